/*
 * call.c
 *	  One chat call, as the calling backend sees it: validate, plan the
 *	  route, then for each attempt resolve the model, build the request, hand
 *	  it to the pool and read the outcome, retrying and falling back as the
 *	  plan allows; and turn the last outcome into a result or an error.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "billing/billing.h"
#include "caller/call.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "catalog/embed_request.h"
#include "routing/health.h"
#include "pool/outcome.h"
#include "billing/usage_limits.h"
#include "pool/pool.h"
#include "routing/retry.h"
#include "routing/route.h"
#include "common/subxact.h"
#include "caller/upstream_request.h"

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

static int
http_sqlstate(int status)
{
	switch (status)
	{
		case 401:
		case 403:
			return ERRCODE_AIGW_UPSTREAM_AUTH;
		case 404:
			return ERRCODE_AIGW_UPSTREAM_NOT_FOUND;
		case 429:
			return ERRCODE_AIGW_UPSTREAM_RATE_LIMITED;
		case 408:
			return ERRCODE_AIGW_UPSTREAM_TIMEOUT;
		default:
			return status >= 500 ? ERRCODE_AIGW_UPSTREAM_UNAVAILABLE
				: ERRCODE_AIGW_UPSTREAM_BAD_REQUEST;
	}
}

static const char *
http_hint(const AigwTarget *target, int status, const char *retry_after)
{
	switch (status)
	{
		case 401:
		case 403:
			return psprintf("Check the key of provider \"%s\"; an administrator can replace it with aigw.set_credential('%s', ...).",
							target->provider, target->provider);
		case 404:
			return psprintf("Check that \"%s\" (aigw.models.upstream_model of \"%s\") exists at provider \"%s\".",
							target->upstream_model, target->model_id, target->provider);
		case 429:
			return retry_after
				? psprintf("The provider asks to retry after %s%s.", retry_after,
						   strspn(retry_after, "0123456789") == strlen(retry_after) ? " seconds" : "")
				: pstrdup("The provider is rate limiting this key; retry later.");
		default:
			if (status >= 500)
				return pstrdup("The provider failed to answer; retry later.");
			return pstrdup("The provider rejected the request; check the messages and options.");
	}
}

/* ---------------------------------------------------------------------
 * Errors, as data: raised by a scalar call, reported per row by a batch
 * ---------------------------------------------------------------------
 */

static AigwCallError *
call_error(int sqlstate, char *message, char *detail, char *hint, char *context)
{
	AigwCallError *e = palloc(sizeof(AigwCallError));

	e->sqlstate = sqlstate;
	e->message = message;
	e->detail = detail;
	e->hint = hint;
	e->context = context;
	return e;
}

void
aigw_call_raise(const AigwCallError *e)
{
	ereport(ERROR,
			(errcode(e->sqlstate),
			 errmsg_internal("%s", e->message),
			 e->detail ? errdetail_internal("%s", e->detail) : 0,
			 e->hint ? errhint("%s", e->hint) : 0,
			 e->context ? errcontext("%s", e->context) : 0));
	pg_unreachable();
}

AigwCallError *
aigw_call_error_from(const ErrorData *edata)
{
	return call_error(edata->sqlerrcode, pstrdup(edata->message),
					  edata->detail ? pstrdup(edata->detail) : NULL,
					  edata->hint ? pstrdup(edata->hint) : NULL,
					  edata->context ? pstrdup(edata->context) : NULL);
}

/* One line: "message (SQLSTATE 5G005). Detail" */
char *
aigw_call_error_text(const AigwCallError *e)
{
	return psprintf("%s (SQLSTATE %s)%s%s", e->message, unpack_sql_state(e->sqlstate),
					e->detail ? ". " : "", e->detail ? e->detail : "");
}

/*
 * Where the call is logged goes in the error's context, not its detail:
 * it is the one part that changes from call to call.
 */
static char *
logged_context(const AigwOutcomeMsg *oc, const AigwCall *call)
{
	if (call->attempts > 1 && call->call_id != 0)
		return psprintf("call logged as aigw.requests call_id " INT64_FORMAT " (%d attempts)",
						call->call_id, call->attempts);
	if (oc->recorded)
		return psprintf("attempt logged as aigw.requests id " INT64_FORMAT, oc->request_id);
	return pstrdup("the attempt could not be logged; see the server log");
}

/* The upstream's error code and, when there were several, every attempt. */
static char *
attempts_detail(const char *type, const AigwCall *call)
{
	StringInfoData d;

	initStringInfo(&d);
	if (type)
		appendStringInfo(&d, "Upstream error code: %s.", type);
	if (call->attempts > 1 || call->plan.late_skips != NIL)
		appendStringInfo(&d, "%sAttempts: %s.", d.len ? " " : "", call->summary.data);
	if (call->note)
		appendStringInfo(&d, "%s%s", d.len ? " " : "", call->note);
	return d.len ? d.data : NULL;
}

static AigwCallError *
outcome_error(const AigwTarget *target, const AigwOutcomeMsg *oc, const AigwCall *call)
{
	const char *error = AIGW_MSG_HAS(oc, OC_ERROR) ? AIGW_MSG_FIELD(oc, OC_ERROR) : "no detail";
	const char *type = AIGW_MSG_FIELD_OR_NULL(oc, OC_ERROR_TYPE);
	const char *retry = AIGW_MSG_FIELD_OR_NULL(oc, OC_RETRY_AFTER);
	const char *provider = target->provider;
	const char *model = target->model_id;

	switch ((AigwAttemptStatus) oc->status)
	{
		case ATTEMPT_OK:
		case ATTEMPT_CACHE_HIT:
			/* an answer we could not log is not returned (invariant 2) */
			return call_error(ERRCODE_AIGW_WORKER_FAILURE,
							  psprintf("%s answered for model \"%s\" but aigw could not log the request",
									   oc->status == ATTEMPT_CACHE_HIT ? "the response cache"
									   : psprintf("provider \"%s\"", provider), model),
							  pstrdup("The answer is withheld because every call is logged before it is returned."),
							  pstrdup("See the server log for why the insert into aigw.requests failed."), NULL);
		case ATTEMPT_HTTP_ERROR:
			return call_error(http_sqlstate(oc->http_status),
							  psprintf("provider \"%s\" returned HTTP %d for model \"%s\": %s",
									   provider, oc->http_status, model, error),
							  attempts_detail(type, call),
							  (char *) http_hint(target, oc->http_status, retry),
							  logged_context(oc, call));
		case ATTEMPT_TIMEOUT:
			return call_error(ERRCODE_AIGW_UPSTREAM_TIMEOUT,
							  psprintf("provider \"%s\" timed out for model \"%s\": %s", provider, model, error),
							  attempts_detail(NULL, call),
							  pstrdup("Raise options.timeout_ms, aigw.providers.request_timeout_ms or aigw.request_timeout_ms."),
							  logged_context(oc, call));
		case ATTEMPT_CONNECT_ERROR:
			return call_error(ERRCODE_AIGW_UPSTREAM_UNREACHABLE,
							  psprintf("could not reach provider \"%s\" for model \"%s\": %s", provider, model, error),
							  attempts_detail(NULL, call),
							  psprintf("Check aigw.providers.base_url of \"%s\" and the network.", provider),
							  logged_context(oc, call));
		case ATTEMPT_MALFORMED:
			return call_error(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE,
							  psprintf("provider \"%s\" sent an unusable answer for model \"%s\": %s",
									   provider, model, error),
							  attempts_detail(NULL, call), NULL, logged_context(oc, call));
		case ATTEMPT_TOO_LARGE:
			return call_error(ERRCODE_AIGW_UPSTREAM_TOO_LARGE,
							  psprintf("answer of provider \"%s\" for model \"%s\" is too large: %s",
									   provider, model, error),
							  attempts_detail(NULL, call),
							  pstrdup("Raise aigw.max_response_bytes, or ask for less output with max_tokens."),
							  logged_context(oc, call));
		case ATTEMPT_ABORTED:
			/* the worker could not apply the credential: nothing was sent */
			if (oc->sqlstate == ERRCODE_AIGW_NO_CREDENTIAL)
				return call_error(oc->sqlstate,
								  psprintf("nothing was sent to provider \"%s\" for model \"%s\": %s",
										   provider, model, error),
								  attempts_detail(NULL, call),
								  psprintf("An administrator can set the credential again with SELECT aigw.set_credential('%s', ...).",
										   provider),
								  logged_context(oc, call));
			/* FALLTHROUGH */
		case ATTEMPT_CANCELLED:
			return call_error(ERRCODE_AIGW_WORKER_FAILURE,
							  psprintf("call to provider \"%s\" for model \"%s\" was aborted: %s",
									   provider, model, error),
							  attempts_detail(NULL, call), NULL, logged_context(oc, call));
	}
	pg_unreachable();
}

/* ---------------------------------------------------------------------
 * The call: attempts, retries and fallbacks
 * ---------------------------------------------------------------------
 */

static void
require_writable_utf8(void)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("aigw cannot call providers on a standby"),
				 errdetail("Every call is logged in aigw.requests before it returns, which needs a writable server."),
				 errhint("Call aigw on the primary.")));
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("aigw needs a database with UTF8 encoding"),
				 errdetail("This database's encoding is %s; provider APIs send and receive UTF-8.",
						   GetDatabaseEncodingName()),
				 errhint("Create the database with ENCODING 'UTF8'.")));
}

/* Milliseconds left of the call's time limit; INT_MAX when it has none. */
static int
time_left_ms(const AigwCall *call)
{
	if (call->deadline == 0)
		return INT_MAX;
	return (int) Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), call->deadline), 0);
}

static void
finish(AigwCall *call, AigwCallError *error)
{
	call->error = error;
	call->state = CALL_DONE;
}

static void
begin(AigwCall *call)
{
	call->cacheable = aigw_cache_key(call->model, &call->input, call->cache_key);
	call->prior = NIL;
	initStringInfo(&call->summary);
	call->deadline = call->plan.timeout_ms > 0
		? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), call->plan.timeout_ms) : 0;
	call->state = CALL_READY;
}

/* What every call checks and clears before its input is read. */
static void
prepare(AigwCall *call, const char *model)
{
	aigw_require_preload();
	require_writable_utf8();
	memset(call, 0, sizeof(AigwCall));
	call->model = model;
}

void
aigw_call_begin(AigwCall *call, const char *model, Jsonb *messages, Jsonb *options)
{
	prepare(call, model);
	aigw_chat_input_parse(messages, options, &call->input);
	aigw_route_plan(model, &call->input, &call->plan);
	begin(call);
}

void
aigw_call_begin_embed(AigwCall *call, const char *model, Jsonb *texts, Jsonb *options)
{
	prepare(call, model);
	aigw_embed_input_parse(texts, options, &call->input);
	aigw_embed_check_model(model);
	aigw_route_plan(model, &call->input, &call->plan);
	begin(call);
	/* cached an input at a time (cache.h), not as the whole request */
	if (call->cacheable)
	{
		call->cacheable = false;
		call->embed_cache_keys = aigw_cache_embedding_keys(model, &call->input);
	}
}

/* Build the attempt's request, reserve its worst case and hand it to the pool. */
static int
send_attempt(AigwCall *call)
{
	AttemptContext ctx;
	AigwRequestMsg *rq;
	AigwBill	bill;
	int			ticket;

	ctx.attempt = call->attempts + 1;
	ctx.call_id = call->call_id;
	ctx.route = aigw_route_decision(&call->plan);
	ctx.timeout_ms = call->deadline != 0 ? Max(time_left_ms(call), 1) : 0;
	ctx.cache_key = call->cacheable ? call->cache_key : call->embed_cache_keys;
	ctx.cache_ttl_s = call->input.cache_ttl_s > 0 ? call->input.cache_ttl_s : aigw_cache_ttl_s;
	rq = aigw_build_request(call->model, &call->target, &call->input, &ctx, &bill);

	PG_TRY();
	{
		call->limit_hold = aigw_limits_admit(call->model, &call->target, &bill);
		aigw_billing_reserve(&call->target, &bill);
		ticket = aigw_pool_send(rq, bill.entry, bill.billed ? bill.reserve : 0);
	}
	PG_CATCH();
	{
		aigw_limits_release(call->limit_hold, NULL, false);
		call->limit_hold = 0;
		PG_RE_THROW();
	}
	PG_END_TRY();
	call->attempts++;
	call->state = CALL_SENT;
	return ticket;
}

static void
note_skip(AigwCall *call, const char *model, const char *why)
{
	aigw_route_note_skip(&call->plan, model, why);
	appendStringInfo(&call->summary, "%s%s skipped (%s)", call->summary.len ? ", " : "", model, why);
	call->circuit_why = why;
}

static AigwCallError *
nothing_sent_error(const AigwCall *call)
{
	return call_error(ERRCODE_AIGW_CIRCUIT_OPEN,
					  psprintf("no request was sent for \"%s\": %s", call->model,
							   call->plan.ncandidates == 1 && call->circuit_why ? call->circuit_why
							   : "every candidate's circuit is open"),
					  call->plan.ncandidates > 1 ? psprintf("Candidates: %s.", call->summary.data) : NULL,
					  pstrdup("aigw.provider_health shows each circuit and when it will let a probe through; an administrator can close one with aigw.reset_circuit()."),
					  NULL);
}

/* A cached answer, logged by the pool like any attempt. */
static int
send_cached(AigwCall *call, AigwCacheEntry *entry)
{
	AigwRequestMsg *rq = aigw_build_cached_request(call->model, entry->model, entry->provider,
												   entry->response, &call->input, call->attempts + 1);
	int			ticket = aigw_pool_send(rq, NULL, 0);

	memset(&call->target, 0, sizeof(call->target));
	call->target.model_id = entry->model;
	call->target.provider = entry->provider;
	call->attempts++;
	call->state = CALL_SENT;
	return ticket;
}

int
aigw_call_send(AigwCall *call)
{
	Assert(call->state == CALL_READY || call->state == CALL_WAITING);
	if (call->cacheable && !call->cache_checked)
	{
		AigwCacheEntry entry;

		call->cache_checked = true;
		if (aigw_cache_lookup(call->cache_key, &entry))
			return send_cached(call, &entry);
	}
	while (call->candidate < call->plan.ncandidates)
	{
		const char *candidate = call->plan.candidates[call->candidate];
		/* a catalogue id is provider/model (aigw.models checks it) */
		char	   *provider = pnstrdup(candidate, strcspn(candidate, "/"));
		char	   *why;

		if (!aigw_health_admit(provider, candidate, GetCurrentTimestamp(), &why))
		{
			note_skip(call, candidate, why);
			call->candidate++;
			call->retry = 0;
			continue;
		}
		if (time_left_ms(call) <= 0)
		{
			finish(call, call_error(ERRCODE_AIGW_UPSTREAM_TIMEOUT,
									psprintf("call to \"%s\" ran out of its %d ms after %d attempts",
											 call->model, call->plan.timeout_ms, call->attempts),
									call->attempts > 0 ? psprintf("Attempts: %s.", call->summary.data) : NULL,
									pstrdup("Raise options.timeout_ms."), NULL));
			return -1;
		}
		aigw_resolve_model(candidate, &call->target);
		if (call->target.embedding != call->input.embedding)
		{
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("model \"%s\" is %s model", candidate,
							call->target.embedding ? "an embedding" : "a chat"),
					 errhint(call->target.embedding ? "Call it with aigw.embed or aigw.embed_many."
							 : "aigw.embed takes an embedding model: SELECT id FROM aigw.models WHERE kind = 'embedding'.")));
		}
		return send_attempt(call);
	}
	finish(call, call->last ? outcome_error(&call->last_target, call->last, call)
		   : nothing_sent_error(call));
	return -1;
}

/* Add a finished attempt to the call's lists. */
static void
note_attempt(AigwCall *call, const AigwOutcomeMsg *oc)
{
	const AigwTarget *target = &call->target;
	const char *status = aigw_attempt_status_name((AigwAttemptStatus) oc->status);

	call->prior = lappend(call->prior, aigw_outcome_attempt(oc));

	appendStringInfo(&call->summary, "%s%s ", call->summary.len ? ", " : "", target->model_id);
	if (oc->status == ATTEMPT_HTTP_ERROR)
		appendStringInfo(&call->summary, "HTTP %d", oc->http_status);
	else
		appendStringInfoString(&call->summary, status);
}

void
aigw_call_take_outcome(AigwCall *call, AigwOutcomeMsg *oc)
{
	AigwFailureClass failure;

	Assert(call->state == CALL_SENT);
	aigw_limits_release(call->limit_hold, oc, true);
	call->limit_hold = 0;
	if (oc == NULL)
	{
		finish(call, call_error(ERRCODE_AIGW_WORKER_FAILURE,
								psprintf("the aigw worker serving model \"%s\" could not deliver an answer",
										 call->target.model_id),
								psprintf("The worker exited (terminated or failed), or shared memory for answers ran out; the call may or may not have reached provider \"%s\".",
										 call->target.provider),
								pstrdup("See the server log; the next call starts a new worker if needed. aigw.shared_memory bounds the answers in flight."),
								NULL));
		return;
	}
	if (oc->status != ATTEMPT_CACHE_HIT)
		aigw_health_observe(MyDatabaseId, call->target.provider, call->target.model_id,
							(AigwAttemptStatus) oc->status, oc->http_status, oc->latency_ms,
							AIGW_MSG_FIELD_OR_NULL(oc, OC_ERROR));
	if (call->call_id == 0 && oc->recorded)
		call->call_id = oc->call_id;
	if (aigw_attempt_answered(oc->status) && oc->recorded)
	{
		call->result = aigw_outcome_answer(oc, call->prior);
		pfree(oc);
		finish(call, NULL);
		return;
	}
	note_attempt(call, oc);
	if (call->last)
		pfree(call->last);
	call->last = oc;
	call->last_target = call->target;
	failure = aigw_failure_class(oc);
	if (aigw_attempt_answered(oc->status) || failure == FAILURE_FINAL ||
		(failure == FAILURE_INVALID && !call->plan.fallback_on_invalid))
	{
		finish(call, outcome_error(&call->target, oc, call));
		return;
	}
	if (failure == FAILURE_TRANSIENT && call->retry < call->plan.retries)
	{
		bool		asked;
		int64		wait = aigw_retry_wait_ms(oc, call->retry + 1, &asked);

		/* a wait the call has no time for is not waited: fail or fall back now */
		if (wait < time_left_ms(call))
		{
			call->retry++;
			call->not_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait);
			call->state = CALL_WAITING;
			return;
		}
		call->note = psprintf("Not retried: the wait of " INT64_FORMAT " ms %s is more than the %d ms left of the call's timeout_ms.",
							  wait, asked ? "the provider asked for" : "before a retry",
							  time_left_ms(call));
		if (call->candidate + 1 >= call->plan.ncandidates)
		{
			finish(call, outcome_error(&call->target, oc, call));
			return;
		}
	}
	call->candidate++;
	call->retry = 0;
	call->state = CALL_READY;
}

/*
 * For a caller of many calls (a batch, the dispatcher): begin and send, or
 * send, in a subtransaction, so that what fails (bad messages, no price,
 * insufficient funds) ends this call with its error and the others go on.
 */
typedef struct GuardedStep
{
	AigwCall   *call;
	bool		begin;
	bool		embed;			/* begin an embeddings request */
	const char *model;
	Jsonb	   *messages;
	Jsonb	   *options;
	int			ticket;
} GuardedStep;

static void
guarded_step(void *arg)
{
	GuardedStep *s = arg;

	if (s->begin && s->embed)
		aigw_call_begin_embed(s->call, s->model, s->messages, s->options);
	else if (s->begin)
		aigw_call_begin(s->call, s->model, s->messages, s->options);
	s->ticket = aigw_call_send(s->call);
}

static int
run_guarded(GuardedStep *s)
{
	ErrorData  *edata = aigw_run_guarded(guarded_step, s);

	if (edata == NULL)
		return s->ticket;
	s->call->error = aigw_call_error_from(edata);
	s->call->result = NULL;
	s->call->state = CALL_DONE;
	FreeErrorData(edata);
	return -1;
}

int
aigw_call_start_guarded(AigwCall *call, const char *model, Jsonb *messages, Jsonb *options)
{
	GuardedStep s = {call, true, false, model, messages, options, -1};

	return run_guarded(&s);
}

int
aigw_call_start_embed_guarded(AigwCall *call, const char *model, Jsonb *texts, Jsonb *options)
{
	GuardedStep s = {call, true, true, model, texts, options, -1};

	return run_guarded(&s);
}

int
aigw_call_send_guarded(AigwCall *call)
{
	GuardedStep s = {call, false, false, NULL, NULL, NULL, -1};

	return run_guarded(&s);
}

/* Drive one begun call to its end in this backend, waiting for each attempt. */
static Jsonb *
run_to_end(AigwCall *call)
{
	while (call->state != CALL_DONE)
	{
		AigwOutcomeMsg *oc;
		int			ticket;

		if (call->state == CALL_WAITING)
			aigw_retry_sleep(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), call->not_before));
		ticket = aigw_call_send(call);
		if (ticket < 0)
			break;
		PG_TRY();
		{
			(void) aigw_pool_wait(&ticket, 1, -1, false, NULL, &oc);
		}
		PG_CATCH();
		{
			/* this call's attempt only: others of this backend (a cursor's) go on */
			aigw_pool_abandon(ticket);
			aigw_limits_release(call->limit_hold, NULL, true);
			call->limit_hold = 0;
			aigw_pool_flush_wakeups();
			PG_RE_THROW();
		}
		PG_END_TRY();
		aigw_call_take_outcome(call, oc);
	}
	aigw_pool_make_durable();
	if (call->error)
		aigw_call_raise(call->error);
	return call->result;
}

Jsonb *
aigw_call_chat(const char *model, Jsonb *messages, Jsonb *options)
{
	AigwCall	call;

	aigw_call_begin(&call, model, messages, options);
	return run_to_end(&call);
}

Jsonb *
aigw_call_embed(const char *model, Jsonb *texts, Jsonb *options)
{
	AigwCall	call;

	aigw_call_begin_embed(&call, model, texts, options);
	return run_to_end(&call);
}
