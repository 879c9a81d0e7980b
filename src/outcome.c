/*
 * outcome.c
 *	  The answer a caller gets: the provider's answer in OpenAI shape with
 *	  usage normalized (every field present, whatever the provider sent) and
 *	  an "aigw" object saying which request, provider and model served it.
 */
#include "postgres.h"

#include <math.h>

#include "billing.h"
#include "json_util.h"
#include "outcome.h"

static void
push_usage(JsonbParseState **ps, const AigwAttempt *a)
{
	aigw_push_key(ps, "usage");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int_or_null(ps, "prompt_tokens", a->prompt_tokens);
	aigw_push_int_or_null(ps, "completion_tokens", a->completion_tokens);
	aigw_push_int_or_null(ps, "total_tokens",
						  (a->prompt_tokens >= 0 && a->completion_tokens >= 0)
						  ? a->prompt_tokens + a->completion_tokens : -1);
	aigw_push_key(ps, "prompt_tokens_details");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int_or_null(ps, "cached_tokens", a->cached_tokens);
	if (a->cache_write_tokens > 0)
		aigw_push_int(ps, "cache_write_tokens", a->cache_write_tokens);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	aigw_push_key(ps, "completion_tokens_details");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int_or_null(ps, "reasoning_tokens", a->reasoning_tokens);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* What the caller is told of one attempt, in the answer's list and, for a failed one, in OC_ATTEMPT. */
static JsonbValue *
push_this_attempt(JsonbParseState **ps, const AigwRequestMsg *rq, const AigwAttempt *a)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(ps, "attempt", rq->attempt);
	aigw_push_string(ps, "model", AIGW_MSG_FIELD(rq, RQ_SERVED_MODEL));
	aigw_push_string(ps, "provider", AIGW_MSG_FIELD(rq, RQ_PROVIDER));
	aigw_push_string(ps, "status", aigw_attempt_status_name(a->status));
	aigw_push_int_or_null(ps, "http_status", a->http_status > 0 ? a->http_status : -1);
	aigw_push_float(ps, "latency_ms", round(a->latency_ms * 1000.0) / 1000.0);
	aigw_push_int(ps, "request_id", a->request_id);
	return pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* Every attempt of the call: the earlier ones as the caller listed them, then this one. */
static void
push_attempts(JsonbParseState **ps, const AigwRequestMsg *rq, const AigwAttempt *a)
{
	aigw_push_key(ps, "attempts");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	if (AIGW_MSG_HAS(rq, RQ_PRIOR_ATTEMPTS))
	{
		char	   *error;
		Jsonb	   *prior = aigw_jsonb_parse(AIGW_MSG_FIELD(rq, RQ_PRIOR_ATTEMPTS), &error);
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		/* written by aigw's own call.c: always an array */
		it = prior ? JsonbIteratorInit(&prior->root) : NULL;
		while (it && (tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
				pushJsonbValue(ps, WJB_ELEM, &v);
	}
	push_this_attempt(ps, rq, a);
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

static void
push_aigw(JsonbParseState **ps, const AigwRequestMsg *rq, const AigwAttempt *a)
{
	aigw_push_key(ps, "aigw");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(ps, "request_id", a->request_id);
	aigw_push_int(ps, "call_id", a->call_id);
	aigw_push_string(ps, "provider", AIGW_MSG_FIELD(rq, RQ_PROVIDER));
	aigw_push_string(ps, "requested_model", AIGW_MSG_FIELD(rq, RQ_REQUESTED_MODEL));
	aigw_push_string(ps, "served_model", AIGW_MSG_FIELD(rq, RQ_SERVED_MODEL));
	aigw_push_float(ps, "latency_ms", round(a->latency_ms * 1000.0) / 1000.0);
	aigw_push_float(ps, "ttfb_ms", round(a->ttfb_ms * 1000.0) / 1000.0);
	push_attempts(ps, rq, a);
	if (rq->cached)
		aigw_push_bool(ps, "cached", true);
	if (a->route != NULL)
	{
		aigw_push_key(ps, "route");
		aigw_push_container(ps, WJB_VALUE, &a->route->root);
	}
	if (a->cost != NULL)
	{
		aigw_push_numeric(ps, "cost", a->cost);
		aigw_push_string(ps, "currency", AIGW_MSG_FIELD(rq, RQ_CURRENCY));
	}
	if (rq->wallet_id != 0)
	{
		aigw_push_string(ps, "wallet", AIGW_MSG_FIELD(rq, RQ_WALLET));
		aigw_push_numeric(ps, "reserved", aigw_units_text(rq->reserved, rq->scale));
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* usage and aigw are rebuilt by aigw; everything else passes through. */
static bool
is_passed_through(const JsonbValue *key)
{
	return !aigw_jsonb_string_is(key, "usage") && !aigw_jsonb_string_is(key, "aigw");
}

static Jsonb *
compose_result(const AigwRequestMsg *rq, const AigwAttempt *a)
{
	JsonbParseState *ps = NULL;
	JsonbValue *root;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &a->result->root, is_passed_through);
	push_usage(&ps, a);
	push_aigw(&ps, rq, a);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(root);
}

dsa_pointer
aigw_outcome_publish(dsa_area *area, const AigwRequestMsg *rq, AigwAttempt *a)
{
	StringInfoData buf;
	AigwOutcomeMsg *msg;
	Jsonb	   *result = NULL;
	dsa_pointer dp;

	char	   *attempt = NULL;

	if (rq->kind == RQ_KIND_CALL && aigw_attempt_answered(a->status) && a->recorded)
		result = compose_result(rq, a);
	else if (rq->kind == RQ_KIND_CALL)
	{
		/* the caller lists it among the call's attempts */
		JsonbParseState *ps = NULL;
		Jsonb	   *j = JsonbValueToJsonb(push_this_attempt(&ps, rq, a));

		attempt = JsonbToCString(NULL, &j->root, VARSIZE(j));
	}

	aigw_msg_begin(&buf, offsetof(AigwOutcomeMsg, data));
	if (result)
		AIGW_MSG_PUT(&buf, AigwOutcomeMsg, OC_RESULT, (char *) result, VARSIZE(result));
	else
		aigw_outcome_put(&buf, OC_RESULT, NULL);
	aigw_outcome_put(&buf, OC_ERROR, a->error);
	aigw_outcome_put(&buf, OC_ERROR_TYPE, a->error_type);
	aigw_outcome_put(&buf, OC_RETRY_AFTER, a->retry_after);
	aigw_outcome_put(&buf, OC_RETRY_AFTER_MS, a->retry_after_ms);
	aigw_outcome_put(&buf, OC_ATTEMPT, attempt);

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

	dp = dsa_allocate_extended(area, buf.len, DSA_ALLOC_NO_OOM | DSA_ALLOC_HUGE);
	if (DsaPointerIsValid(dp))
		memcpy(dsa_get_address(area, dp), buf.data, buf.len);
	pfree(buf.data);
	return dp;
}
