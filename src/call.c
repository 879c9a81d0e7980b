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

#include "aigw.h"
#include "billing.h"
#include "call.h"
#include "catalog.h"
#include "chat_request.h"
#include "health.h"
#include "pool.h"
#include "retry.h"
#include "route.h"
#include "upstream_request.h"

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

/* One call: its plan, and what its attempts have been so far. */
typedef struct CallState
{
	AigwRoutePlan plan;
	int			attempts;		/* sent so far */
	int64		call_id;		/* aigw.requests.call_id, once the first is logged */
	StringInfoData prior;		/* the attempts so far, as a JSON array */
	StringInfoData summary;		/* the same, in words, for an error's detail */
	const char *note;			/* why the call stopped short of a retry, or NULL */
	TimestampTz deadline;		/* the call's timeout_ms; 0: none */
} CallState;

/*
 * Where the call is logged goes in the error's context, not its detail:
 * it is the one part that changes from call to call.
 */
static int
logged_context(const AigwOutcomeMsg *oc, const CallState *call)
{
	if (call->attempts > 1 && call->call_id != 0)
		return errcontext("call logged as aigw.requests call_id " INT64_FORMAT " (%d attempts)",
						  call->call_id, call->attempts);
	if (oc->recorded)
		return errcontext("attempt logged as aigw.requests id " INT64_FORMAT, oc->request_id);
	return errcontext("the attempt could not be logged; see the server log");
}

/* The upstream's error code and, when there were several, every attempt. */
static int
attempts_detail(const char *type, const CallState *call)
{
	StringInfoData d;

	initStringInfo(&d);
	if (type)
		appendStringInfo(&d, "Upstream error code: %s.", type);
	if (call->attempts > 1 || call->plan.late_skips != NIL)
		appendStringInfo(&d, "%sAttempts: %s.", d.len ? " " : "", call->summary.data);
	if (call->note)
		appendStringInfo(&d, "%s%s", d.len ? " " : "", call->note);
	return d.len ? errdetail("%s", d.data) : 0;
}

pg_attribute_noreturn()
static void
raise_outcome_error(const AigwTarget *target, const AigwOutcomeMsg *oc, const CallState *call)
{
	const char *error = AIGW_MSG_HAS(oc, OC_ERROR) ? AIGW_MSG_FIELD(oc, OC_ERROR) : "no detail";
	const char *type = AIGW_MSG_HAS(oc, OC_ERROR_TYPE) ? AIGW_MSG_FIELD(oc, OC_ERROR_TYPE) : NULL;
	const char *retry = AIGW_MSG_HAS(oc, OC_RETRY_AFTER) ? AIGW_MSG_FIELD(oc, OC_RETRY_AFTER) : NULL;

	switch ((AigwAttemptStatus) oc->status)
	{
		case ATTEMPT_OK:
			/* an answer we could not log is not returned (invariant 2) */
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_WORKER_FAILURE),
					 errmsg("provider \"%s\" answered for model \"%s\" but aigw could not log the request",
							target->provider, target->model_id),
					 errdetail("The answer is withheld because every call is logged before it is returned."),
					 errhint("See the server log for why the insert into aigw.requests failed.")));
			break;
		case ATTEMPT_HTTP_ERROR:
			ereport(ERROR,
					(errcode(http_sqlstate(oc->http_status)),
					 errmsg("provider \"%s\" returned HTTP %d for model \"%s\": %s",
							target->provider, oc->http_status, target->model_id, error),
					 attempts_detail(type, call),
					 errhint("%s", http_hint(target, oc->http_status, retry)),
					 logged_context(oc, call)));
			break;
		case ATTEMPT_TIMEOUT:
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_UPSTREAM_TIMEOUT),
					 errmsg("provider \"%s\" timed out for model \"%s\": %s",
							target->provider, target->model_id, error),
					 attempts_detail(NULL, call),
					 errhint("Raise options.timeout_ms, aigw.providers.request_timeout_ms or aigw.request_timeout_ms."),
					 logged_context(oc, call)));
			break;
		case ATTEMPT_CONNECT_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_UPSTREAM_UNREACHABLE),
					 errmsg("could not reach provider \"%s\" for model \"%s\": %s",
							target->provider, target->model_id, error),
					 attempts_detail(NULL, call),
					 errhint("Check aigw.providers.base_url of \"%s\" and the network.", target->provider),
					 logged_context(oc, call)));
			break;
		case ATTEMPT_MALFORMED:
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
					 errmsg("provider \"%s\" sent an unusable answer for model \"%s\": %s",
							target->provider, target->model_id, error),
					 attempts_detail(NULL, call),
					 logged_context(oc, call)));
			break;
		case ATTEMPT_TOO_LARGE:
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_UPSTREAM_TOO_LARGE),
					 errmsg("answer of provider \"%s\" for model \"%s\" is too large: %s",
							target->provider, target->model_id, error),
					 attempts_detail(NULL, call),
					 errhint("Raise aigw.max_response_bytes, or ask for less output with max_tokens."),
					 logged_context(oc, call)));
			break;
		case ATTEMPT_CANCELLED:
		case ATTEMPT_ABORTED:
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_WORKER_FAILURE),
					 errmsg("call to provider \"%s\" for model \"%s\" was aborted: %s",
							target->provider, target->model_id, error),
					 attempts_detail(NULL, call),
					 logged_context(oc, call)));
			break;
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
time_left_ms(const CallState *call)
{
	if (call->deadline == 0)
		return INT_MAX;
	return (int) Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), call->deadline), 0);
}

pg_attribute_noreturn()
static void
raise_out_of_time(const char *model, const CallState *call)
{
	ereport(ERROR,
			(errcode(ERRCODE_AIGW_UPSTREAM_TIMEOUT),
			 errmsg("call to \"%s\" ran out of its %d ms after %d attempts",
					model, call->plan.timeout_ms, call->attempts),
			 call->attempts > 0 ? errdetail("Attempts: %s.", call->summary.data) : 0,
			 errhint("Raise options.timeout_ms.")));
}

/* Send one attempt and wait for its outcome; NULL if the worker could not deliver one. */
static AigwOutcomeMsg *
send_attempt(const char *model, const AigwTarget *target, const AigwChatInput *input,
			 CallState *call)
{
	AttemptContext ctx;
	AigwRequestMsg *rq;
	AigwOutcomeMsg *oc;
	AigwBill	bill;
	char	   *route = aigw_route_decision(&call->plan);

	ctx.attempt = call->attempts + 1;
	ctx.call_id = call->call_id;
	ctx.route = route;
	ctx.prior = call->attempts > 0 ? psprintf("%s]", call->prior.data) : NULL;
	ctx.timeout_ms = call->deadline != 0 ? Max(time_left_ms(call), 1) : 0;
	rq = aigw_build_request(model, target, input, &ctx, &bill);
	if (target->secret)
		explicit_bzero(target->secret, strlen(target->secret));

	PG_TRY();
	{
		aigw_billing_reserve(target, &bill);
		call->attempts++;
		oc = aigw_pool_call(rq, bill.entry, bill.billed ? bill.reserve : 0);
	}
	PG_FINALLY();
	{
		explicit_bzero(rq, rq->total_size);
	}
	PG_END_TRY();
	return oc;
}

/* Add a finished attempt to the call's lists. */
static void
note_attempt(CallState *call, const AigwTarget *target, const AigwOutcomeMsg *oc)
{
	const char *status = aigw_attempt_status_name((AigwAttemptStatus) oc->status);

	if (call->call_id == 0 && oc->recorded)
		call->call_id = oc->call_id;
	appendStringInfoString(&call->prior, call->prior.len > 1 ? "," : "");
	appendStringInfo(&call->prior, "{\"attempt\":%d,\"model\":", call->attempts);
	escape_json(&call->prior, target->model_id);
	appendStringInfoString(&call->prior, ",\"provider\":");
	escape_json(&call->prior, target->provider);
	appendStringInfo(&call->prior, ",\"status\":\"%s\",\"http_status\":", status);
	if (oc->http_status > 0)
		appendStringInfo(&call->prior, "%d", oc->http_status);
	else
		appendStringInfoString(&call->prior, "null");
	appendStringInfo(&call->prior, ",\"latency_ms\":%.3f,\"request_id\":" INT64_FORMAT "}",
					 oc->latency_ms, oc->request_id);

	appendStringInfo(&call->summary, "%s%s ", call->summary.len ? ", " : "", target->model_id);
	if (oc->status == ATTEMPT_HTTP_ERROR)
		appendStringInfo(&call->summary, "HTTP %d", oc->http_status);
	else
		appendStringInfoString(&call->summary, status);
}

static void
note_skip(CallState *call, const char *model, const char *why)
{
	aigw_route_note_skip(&call->plan, model, why);
	appendStringInfo(&call->summary, "%s%s skipped (%s)", call->summary.len ? ", " : "", model, why);
}

Jsonb *
aigw_call_chat(const char *model, Jsonb *messages, Jsonb *options)
{
	AigwChatInput input;
	CallState	call;
	AigwTarget	target;
	AigwOutcomeMsg *last = NULL;
	AigwTarget	last_target;
	char	   *circuit_why = NULL;

	aigw_require_preload();
	require_writable_utf8();
	aigw_chat_input_parse(messages, options, &input);
	aigw_route_plan(model, &input, &call.plan);
	call.attempts = 0;
	call.call_id = 0;
	initStringInfo(&call.prior);
	appendStringInfoChar(&call.prior, '[');
	initStringInfo(&call.summary);
	call.note = NULL;
	call.deadline = call.plan.timeout_ms > 0
		? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), call.plan.timeout_ms) : 0;

	for (int c = 0; c < call.plan.ncandidates; c++)
	{
		const char *candidate = call.plan.candidates[c];
		bool		more = c + 1 < call.plan.ncandidates;

		for (int retry = 0;; retry++)
		{
			AigwOutcomeMsg *oc;
			AigwFailureClass failure;
			char	   *why;

			/* read for each attempt: the key is wiped as soon as the request is built */
			aigw_resolve_model(candidate, &target);
			if (!aigw_health_admit(target.provider, target.model_id, GetCurrentTimestamp(), &why))
			{
				note_skip(&call, candidate, why);
				circuit_why = why;
				break;
			}
			if (time_left_ms(&call) <= 0)
				raise_out_of_time(model, &call);

			oc = send_attempt(model, &target, &input, &call);
			if (oc == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_AIGW_WORKER_FAILURE),
						 errmsg("the aigw worker serving model \"%s\" could not deliver an answer", candidate),
						 errdetail("The worker exited (terminated or failed), or shared memory for answers ran out; the call may or may not have reached provider \"%s\".",
								   target.provider),
						 errhint("See the server log; the next call starts a new worker if needed. aigw.shared_memory bounds the answers in flight.")));
			aigw_health_observe(MyDatabaseId, target.provider, target.model_id,
								(AigwAttemptStatus) oc->status, oc->http_status, oc->latency_ms,
								AIGW_MSG_HAS(oc, OC_ERROR) ? AIGW_MSG_FIELD(oc, OC_ERROR) : NULL);
			if (oc->status == ATTEMPT_OK && oc->recorded)
			{
				Jsonb	   *result = palloc(oc->len[OC_RESULT]);

				memcpy(result, AIGW_MSG_FIELD(oc, OC_RESULT), oc->len[OC_RESULT]);
				pfree(oc);
				return result;
			}
			note_attempt(&call, &target, oc);
			last = oc;
			last_target = target;
			failure = aigw_failure_class(oc);
			if (oc->status == ATTEMPT_OK || failure == FAILURE_FINAL ||
				(failure == FAILURE_INVALID && !call.plan.fallback_on_invalid))
				raise_outcome_error(&target, oc, &call);
			if (failure == FAILURE_TRANSIENT && retry < call.plan.retries)
			{
				bool		asked;
				int64		wait = aigw_retry_wait_ms(oc, retry + 1, &asked);

				/* a wait the call has no time for is not waited: fail or fall back now */
				if (wait < time_left_ms(&call))
				{
					aigw_retry_sleep(wait);
					continue;
				}
				call.note = psprintf("Not retried: the wait of " INT64_FORMAT " ms %s is more than the %d ms left of the call's timeout_ms.",
									 wait, asked ? "the provider asked for" : "before a retry",
									 time_left_ms(&call));
				if (!more)
					raise_outcome_error(&target, oc, &call);
			}
			break;
		}
	}

	if (last != NULL)
		raise_outcome_error(&last_target, last, &call);
	ereport(ERROR,
			(errcode(ERRCODE_AIGW_CIRCUIT_OPEN),
			 errmsg("no request was sent for \"%s\": %s", model,
					call.plan.ncandidates == 1 && circuit_why ? circuit_why
					: "every candidate's circuit is open"),
			 call.plan.ncandidates > 1 ? errdetail("Candidates: %s.", call.summary.data) : 0,
			 errhint("aigw.provider_health shows each circuit and when it will let a probe through; an administrator can close one with aigw.reset_circuit().")));
	pg_unreachable();
}
