/*
 * outcome.c
 *	  The answer a caller gets: the provider's answer in OpenAI shape with
 *	  usage normalized (every field present, whatever the provider sent) and
 *	  an "aigw" object saying which request, provider and model served it.
 *
 * The worker publishes what it learnt as it is (aigw_outcome_publish); the
 * caller composes the answer (aigw_outcome_answer).  A pool worker serves
 * every caller of its database, so JSON built there is built on one core.
 */
#include "postgres.h"

#include "billing/billing.h"
#include "common/json_util.h"
#include "pool/outcome.h"

static void
push_usage(JsonbParseState **ps, const AigwOutcomeMsg *oc)
{
	aigw_push_key(ps, "usage");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int_or_null(ps, "prompt_tokens", oc->prompt_tokens);
	aigw_push_int_or_null(ps, "completion_tokens", oc->completion_tokens);
	aigw_push_int_or_null(ps, "total_tokens",
						  (oc->prompt_tokens >= 0 && oc->completion_tokens >= 0)
						  ? oc->prompt_tokens + oc->completion_tokens : -1);
	aigw_push_key(ps, "prompt_tokens_details");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int_or_null(ps, "cached_tokens", oc->cached_tokens);
	if (oc->cache_write_tokens > 0)
		aigw_push_int(ps, "cache_write_tokens", oc->cache_write_tokens);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	aigw_push_key(ps, "completion_tokens_details");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int_or_null(ps, "reasoning_tokens", oc->reasoning_tokens);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* A jsonb field, copied out of the message to an aligned chunk. */
static Jsonb *
jsonb_field(const AigwOutcomeMsg *oc, AigwOutcomeField f)
{
	Jsonb	   *j;

	if (!AIGW_MSG_HAS(oc, f))
		return NULL;
	j = palloc(oc->len[f]);
	memcpy(j, AIGW_MSG_FIELD(oc, f), oc->len[f]);
	return j;
}

/* What the caller is told of one attempt, in the answer's list and in aigw.attempts. */
static JsonbValue *
push_this_attempt(JsonbParseState **ps, const AigwOutcomeMsg *oc)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(ps, "attempt", oc->attempt);
	aigw_push_string(ps, "model", AIGW_MSG_FIELD_OR_NULL(oc, OC_SERVED_MODEL));
	aigw_push_string(ps, "provider", AIGW_MSG_FIELD_OR_NULL(oc, OC_PROVIDER));
	aigw_push_string(ps, "status", aigw_attempt_status_name((AigwAttemptStatus) oc->status));
	aigw_push_int_or_null(ps, "http_status", oc->http_status > 0 ? oc->http_status : -1);
	aigw_push_millis(ps, "latency_ms", oc->latency_ms);
	aigw_push_int(ps, "request_id", oc->request_id);
	return pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* Every attempt of the call: the earlier ones as the caller listed them, then this one. */
static void
push_attempts(JsonbParseState **ps, const AigwOutcomeMsg *oc, const List *prior)
{
	ListCell   *lc;

	aigw_push_key(ps, "attempts");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, prior)
		aigw_push_container(ps, WJB_ELEM, &((Jsonb *) lfirst(lc))->root);
	push_this_attempt(ps, oc);
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

static void
push_aigw(JsonbParseState **ps, const AigwOutcomeMsg *oc, const List *prior)
{
	Jsonb	   *route = jsonb_field(oc, OC_ROUTE);

	aigw_push_key(ps, "aigw");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(ps, "request_id", oc->request_id);
	aigw_push_int(ps, "call_id", oc->call_id);
	aigw_push_string(ps, "provider", AIGW_MSG_FIELD_OR_NULL(oc, OC_PROVIDER));
	aigw_push_string(ps, "requested_model", AIGW_MSG_FIELD_OR_NULL(oc, OC_REQUESTED_MODEL));
	aigw_push_string(ps, "served_model", AIGW_MSG_FIELD_OR_NULL(oc, OC_SERVED_MODEL));
	aigw_push_millis(ps, "latency_ms", oc->latency_ms);
	aigw_push_millis(ps, "ttfb_ms", oc->ttfb_ms);
	push_attempts(ps, oc, prior);
	if (oc->cached)
		aigw_push_bool(ps, "cached", true);
	if (route != NULL)
	{
		aigw_push_key(ps, "route");
		aigw_push_container(ps, WJB_VALUE, &route->root);
	}
	if (AIGW_MSG_HAS(oc, OC_COST))
	{
		aigw_push_numeric(ps, "cost", AIGW_MSG_FIELD(oc, OC_COST));
		aigw_push_string(ps, "currency", AIGW_MSG_FIELD_OR_NULL(oc, OC_CURRENCY));
	}
	if (oc->wallet_id != 0)
	{
		aigw_push_string(ps, "wallet", AIGW_MSG_FIELD_OR_NULL(oc, OC_WALLET));
		aigw_push_numeric(ps, "reserved", aigw_units_text(oc->reserved, oc->scale));
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* usage and aigw are rebuilt by aigw; everything else passes through. */
static bool
is_passed_through(const JsonbValue *key)
{
	return !aigw_jsonb_string_is(key, "usage") && !aigw_jsonb_string_is(key, "aigw");
}

Jsonb *
aigw_outcome_answer(const AigwOutcomeMsg *oc, const List *prior)
{
	Jsonb	   *answer = jsonb_field(oc, OC_RESULT);
	JsonbParseState *ps = NULL;
	JsonbValue *root;

	Assert(answer != NULL);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &answer->root, is_passed_through);
	push_usage(&ps, oc);
	push_aigw(&ps, oc, prior);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(root);	/* it points into answer until here */
}

Jsonb *
aigw_outcome_attempt(const AigwOutcomeMsg *oc)
{
	JsonbParseState *ps = NULL;

	return JsonbValueToJsonb(push_this_attempt(&ps, oc));
}

static void
put_jsonb(StringInfo buf, AigwOutcomeField f, const Jsonb *j)
{
	if (j)
		AIGW_MSG_PUT(buf, AigwOutcomeMsg, f, (const char *) j, VARSIZE(j));
	else
		aigw_outcome_put(buf, f, NULL);
}

dsa_pointer
aigw_outcome_publish(dsa_area *area, const AigwRequestMsg *rq, AigwAttempt *a)
{
	StringInfoData buf;
	AigwOutcomeMsg *msg;
	bool		answered = rq->kind == RQ_KIND_CALL && aigw_attempt_answered(a->status) && a->recorded;
	dsa_pointer dp;

	aigw_msg_begin(&buf, offsetof(AigwOutcomeMsg, data));
	if (rq->kind == RQ_KIND_HTTP && a->raw != NULL)
		AIGW_MSG_PUT(&buf, AigwOutcomeMsg, OC_RESULT, a->raw, a->raw_len);
	else
		put_jsonb(&buf, OC_RESULT, answered ? a->result : NULL);
	aigw_outcome_put(&buf, OC_ERROR, a->error);
	aigw_outcome_put(&buf, OC_ERROR_TYPE, a->error_type);
	aigw_outcome_put(&buf, OC_RETRY_AFTER, a->retry_after);
	aigw_outcome_put(&buf, OC_RETRY_AFTER_MS, a->retry_after_ms);
	aigw_outcome_put(&buf, OC_PROVIDER, AIGW_MSG_FIELD_OR_NULL(rq, RQ_PROVIDER));
	aigw_outcome_put(&buf, OC_REQUESTED_MODEL, AIGW_MSG_FIELD_OR_NULL(rq, RQ_REQUESTED_MODEL));
	aigw_outcome_put(&buf, OC_SERVED_MODEL, AIGW_MSG_FIELD_OR_NULL(rq, RQ_SERVED_MODEL));
	put_jsonb(&buf, OC_ROUTE, answered ? a->route : NULL);
	aigw_outcome_put(&buf, OC_WALLET, AIGW_MSG_FIELD_OR_NULL(rq, RQ_WALLET));
	aigw_outcome_put(&buf, OC_CURRENCY, AIGW_MSG_FIELD_OR_NULL(rq, RQ_CURRENCY));
	aigw_outcome_put(&buf, OC_COST, a->cost);

	msg = (AigwOutcomeMsg *) buf.data;
	msg->total_size = buf.len;
	msg->status = a->status;
	msg->http_status = a->http_status;
	msg->request_id = a->request_id;
	msg->recorded = a->recorded;
	msg->commit_lsn = a->commit_lsn;
	msg->call_id = a->call_id;
	msg->should_retry = a->should_retry;
	msg->latency_ms = a->latency_ms;
	msg->ledger_id = a->ledger_id;
	msg->sqlstate = a->sqlstate;
	msg->cost_units = a->cost ? aigw_units_from_text(a->cost, rq->scale) : 0;
	msg->tokens = Max(a->prompt_tokens, 0) + Max(a->completion_tokens, 0);
	msg->attempt = rq->attempt;
	msg->cached = rq->cached;
	msg->ttfb_ms = a->ttfb_ms;
	msg->prompt_tokens = a->prompt_tokens;
	msg->completion_tokens = a->completion_tokens;
	msg->cached_tokens = a->cached_tokens;
	msg->cache_write_tokens = a->cache_write_tokens;
	msg->reasoning_tokens = a->reasoning_tokens;
	msg->wallet_id = rq->wallet_id;
	msg->reserved = rq->reserved;
	msg->scale = rq->scale;

	dp = dsa_allocate_extended(area, buf.len, DSA_ALLOC_NO_OOM | DSA_ALLOC_HUGE);
	if (DsaPointerIsValid(dp))
		memcpy(dsa_get_address(area, dp), buf.data, buf.len);
	pfree(buf.data);
	return dp;
}
