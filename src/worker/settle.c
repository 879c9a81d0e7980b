/*
 * settle.c
 *	  Group commit of a worker's finished requests.
 *
 * The worker's transaction is independent of every caller's, which is what
 * makes a logged and charged call stay logged and charged when its caller
 * rolls back (DESIGN.md, invariant 2), and it commits before any caller is
 * told the outcome.  A call that was sent already has its row, pending and
 * durable since before it left (intent.c): the statement completes it, and
 * the charge never exceeds the reservation (usage_bounds.c).  The same
 * transaction inserts the rows of the requests the turn is about to send;
 * then, and only then, the commit is flushed before it returns.
 *
 * Wallet balances are only ever updated here, once per wallet per turn and
 * in wallet id order (two workers never wait for each other in a cycle),
 * and only for as long as the commit takes: no caller's transaction holds
 * a wallet row (invariant 4).  Each update bumps the wallet's version, and
 * the committed (balance, version) is published to the shared-memory cache
 * after the commit, before the calls' reservations are released.  What is
 * published is what calls may spend: the balance less what provider
 * batches hold (aigw.wallet_balances.held, batch_settle.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "replication/syncrep.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "billing/billing.h"
#include "common/json_util.h"
#include "worker/settle.h"
#include "worker/spi_rows.h"
#include "common/subxact.h"
#include "billing/usage_bounds.h"
#include "billing/wallet_cache.h"


/* ---------------------------------------------------------------------
 * Calls: the request rows, and the charges of those a wallet pays
 * ---------------------------------------------------------------------
 */

/*
 * Each statement settles every call of the turn at once: per call,
 * executor start-up (the plan's expressions, the CHECK constraints and
 * indexes of the table written) would cost more than the rows themselves.
 * The rows come as one array per column.  The charges are inserted by the
 * same statement (one executor start-up a turn, not two); a turn with no
 * call a wallet pays runs the statement without them, so an unbilled call
 * never pays for opening the ledger, its indexes and foreign key.
 *
 * The cost is the exact cost at the rates the caller quoted (the price in
 * force when the call was made), converted at the quoted FX rate and
 * rounded to the ledger scale: the one rounding rule of the ledger.  A row
 * is matched back to its call by its ordinality.  The ids are drawn and
 * the costs computed before the insert (p, materialized once), so the
 * charges and the result read p: joining the insert's RETURNING back to p
 * cost two hash joins a turn.  The result is each row's id and cost; the
 * units charged and the call's id follow from them and the request.
 */
#define CALL_NCOLUMNS 39

/* The charges of the calls a wallet pays: a CTE of the statements below. */
#define CHARGES_INSERT \
" INSERT INTO aigw.ledger (wallet_id, currency, kind, amount, request_id, original_amount," \
"  original_currency, fx_rate, model, provider, role_name, tags, created_by, end_user)"

/*
 * An attempt that was sent has its row already, inserted pending before it
 * left (intent.c): the statement completes that row.  Only columns no
 * index covers change, so the update is HOT and writes no index entry.
 */
#define COMPLETES_INTENT \
" ON CONFLICT (id) DO UPDATE SET finished_at = clock_timestamp(), status = excluded.status," \
"  http_status = excluded.http_status, prompt_tokens = excluded.prompt_tokens," \
"  completion_tokens = excluded.completion_tokens, cached_tokens = excluded.cached_tokens," \
"  reasoning_tokens = excluded.reasoning_tokens, cache_write_tokens = excluded.cache_write_tokens," \
"  latency_ms = excluded.latency_ms, ttfb_ms = excluded.ttfb_ms," \
"  response_bytes = excluded.response_bytes, upstream_id = excluded.upstream_id," \
"  error = excluded.error, cost = excluded.cost, usage_anomaly = excluded.usage_anomaly," \
"  upstream_usage = excluded.upstream_usage"

#define REQUESTS_ROWS \
"WITH i AS (" \
" SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[]," \
"   $6::text[], $7::int4[], $8::text[], $9::int4[], $10::int8[], $11::int8[], $12::int8[]," \
"   $13::int8[], $14::float8[], $15::float8[], $16::int4[], $17::int4[], $18::text[], $19::text[]," \
"   $20::text[], $21::int8[], $22::text[], $23::text[], $24::text[], $25::text[], $26::int4[]," \
"   $27::text[], $28::text[], $29::text[], $30::text[], $31::int8[], $32::text[], $33::int8[]," \
"   $34::jsonb[], $35::text[], $36::int4[], $37::text[], $38::jsonb[], $39::int8[])" \
"  WITH ORDINALITY" \
"  AS i(created_at, role_name, database_name, requested_model, served_model, provider, attempt," \
"   status, http_status, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens," \
"   latency_ms, ttfb_ms, request_bytes, response_bytes, upstream_id, tags, error, wallet_id," \
"   currency, reserved, rate_in, rate_out, scale, rate_cached, rate_reasoning, fx," \
"   original_currency, cache_write_tokens, rate_cache_write, call_id, route, end_user, inputs," \
"   usage_anomaly, upstream_usage, intent_id, ord)" \
"), p AS (" \
" SELECT q.*, round(exact * coalesce(fx::numeric, 1), scale) AS cost" \
"  FROM (SELECT i.*, coalesce(intent_id, nextval('aigw.requests_id_seq'::regclass)) AS id," \
"   tags::jsonb AS tags_json," \
"   aigw.token_cost(prompt_tokens, cached_tokens, cache_write_tokens, completion_tokens," \
"    reasoning_tokens, rate_in::numeric, rate_out::numeric, rate_cached::numeric," \
"    rate_cache_write::numeric, rate_reasoning::numeric) AS exact" \
"   FROM i OFFSET 0) q" \
"), r AS (" \
" INSERT INTO aigw.requests (id, created_at, role_name, database_name, requested_model," \
"  served_model, provider, attempt, status, http_status, prompt_tokens, completion_tokens," \
"  cached_tokens, reasoning_tokens, latency_ms, ttfb_ms, request_bytes, response_bytes," \
"  upstream_id, tags, error, wallet_id, currency, reserved, cost, cache_write_tokens," \
"  call_id, route, end_user, inputs, usage_anomaly, upstream_usage)" \
" OVERRIDING SYSTEM VALUE" \
" SELECT id, created_at, role_name, database_name, requested_model, served_model, provider," \
"  attempt, status, http_status, prompt_tokens, completion_tokens, cached_tokens," \
"  reasoning_tokens, latency_ms, ttfb_ms, request_bytes, response_bytes, upstream_id," \
"  tags_json, error, wallet_id, currency, reserved::numeric, cost, cache_write_tokens," \
"  coalesce(call_id, id), route, end_user, inputs, usage_anomaly, upstream_usage" \
"  FROM p" \
COMPLETES_INTENT \
")"

#define REQUESTS_CHARGES \
", c AS (" \
CHARGES_INSERT \
" SELECT wallet_id, currency, 'charge', -cost, id, exact, original_currency, fx::numeric," \
"  served_model, provider, role_name, tags_json, role_name, end_user" \
"  FROM p" \
" WHERE wallet_id IS NOT NULL AND cost > 0" \
")"

#define REQUESTS_RESULT \
" SELECT ord, id, cost::text FROM p"

static SPIPlanPtr requests_plan = NULL;
static SPIPlanPtr requests_charged_plan = NULL;
static const char *const requests_sql = REQUESTS_ROWS REQUESTS_RESULT;
static const char *const requests_charged_sql = REQUESTS_ROWS REQUESTS_CHARGES REQUESTS_RESULT;

/*
 * The same for a turn that settles a single call (a lone caller, whose
 * every call waits for it): a single-row INSERT, which runs about half a
 * millisecond faster than unnesting arrays of one element
 * (bench/overhead.sh).  Same parameters, as scalars; same result.
 */
#define REQUEST_ROW \
"WITH n AS (" \
" SELECT id, exact, round(exact * coalesce($29::numeric, 1), $26) AS cost" \
"  FROM (SELECT coalesce($39, nextval('aigw.requests_id_seq'::regclass)) AS id," \
"   aigw.token_cost($10, $12, $31, $11, $13, $24::numeric, $25::numeric, $27::numeric," \
"                   $32::numeric, $28::numeric) AS exact OFFSET 0) q" \
"), r AS (" \
"INSERT INTO aigw.requests (id, created_at, role_name, database_name, requested_model," \
"  served_model, provider, attempt, status, http_status, prompt_tokens," \
"  completion_tokens, cached_tokens, reasoning_tokens, latency_ms, ttfb_ms," \
"  request_bytes, response_bytes, upstream_id, tags, error," \
"  wallet_id, currency, reserved, cost, cache_write_tokens, call_id, route, end_user, inputs," \
"  usage_anomaly, upstream_usage)" \
" OVERRIDING SYSTEM VALUE" \
" SELECT id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15," \
"  $16, $17, $18, $19::jsonb, $20, $21, $22, $23::numeric, cost, $31, coalesce($33, id)," \
"  $34, $35, $36, $37, $38" \
"  FROM n" \
COMPLETES_INTENT \
")"

#define REQUEST_CHARGE \
", c AS (" \
CHARGES_INSERT \
" SELECT $21, $22, 'charge', -cost, id, exact, $30, $29::numeric, $5, $6, $2, $19::jsonb, $2, $35" \
"  FROM n" \
" WHERE $21 IS NOT NULL AND cost > 0" \
")"

#define REQUEST_RESULT \
" SELECT 1::int8, id, cost::text FROM n"

static SPIPlanPtr request_plan = NULL;
static SPIPlanPtr request_charged_plan = NULL;
static const char *const request_sql = REQUEST_ROW REQUEST_RESULT;
static const char *const request_charged_sql = REQUEST_ROW REQUEST_CHARGE REQUEST_RESULT;

static const Oid call_types[CALL_NCOLUMNS] = {
	TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, INT4OID, TEXTOID, INT4OID, INT8OID,
	INT8OID, INT8OID, INT8OID, FLOAT8OID, FLOAT8OID,
	INT4OID, INT4OID, TEXTOID, TEXTOID, TEXTOID,
	INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	INT8OID, TEXTOID, INT8OID, JSONBOID, TEXTOID, INT4OID,
	TEXTOID, JSONBOID, INT8OID
};

static void
set_int(Datum *values, char *nulls, int i, int64 v, bool null_if_negative)
{
	bool		isnull = (null_if_negative && v < 0);

	values[i] = Int32GetDatum((int32) Min(v, PG_INT32_MAX));
	nulls[i] = isnull ? 'n' : ' ';
}

/* A token count: bigint, NULL when unknown. */
static void
set_count(Datum *values, char *nulls, int i, int64 v)
{
	values[i] = Int64GetDatum(v);
	nulls[i] = v < 0 ? 'n' : ' ';
}

/* A call's tags, a jsonb object as text. */
static const char *
tags_of(AigwRequestMsg *rq)
{
	return AIGW_MSG_HAS(rq, RQ_TAGS) ? AIGW_MSG_FIELD(rq, RQ_TAGS) : "{}";
}

/* One call's row: the values of the columns, in call_types' order. */
static void
call_row(AigwRequestMsg *rq, AigwAttempt *a, Datum *values, char *nulls)
{
	bool		billed = rq->wallet_id != 0;
	JsonbValue *usage = a->usage;

	/* what is charged is bounded by what was reserved (usage_bounds.c) */
	aigw_usage_bound(rq, a);

	values[0] = TimestampTzGetDatum(rq->submitted_at);
	nulls[0] = ' ';
	aigw_spi_set_text(values, nulls, 1, AIGW_MSG_FIELD(rq, RQ_ROLE));
	aigw_spi_set_text(values, nulls, 2, aigw_spi_database_name());
	aigw_spi_set_text(values, nulls, 3, AIGW_MSG_FIELD(rq, RQ_REQUESTED_MODEL));
	aigw_spi_set_text(values, nulls, 4, AIGW_MSG_FIELD_OR_NULL(rq, RQ_SERVED_MODEL));
	aigw_spi_set_text(values, nulls, 5, AIGW_MSG_FIELD_OR_NULL(rq, RQ_PROVIDER));
	set_int(values, nulls, 6, rq->attempt, false);
	aigw_spi_set_text(values, nulls, 7, aigw_attempt_status_name(a->status));
	set_int(values, nulls, 8, a->http_status > 0 ? a->http_status : -1, true);
	set_count(values, nulls, 9, a->prompt_tokens);
	set_count(values, nulls, 10, a->completion_tokens);
	set_count(values, nulls, 11, a->cached_tokens);
	set_count(values, nulls, 12, a->reasoning_tokens);
	values[13] = Float8GetDatum(a->latency_ms);
	nulls[13] = ' ';
	values[14] = Float8GetDatum(a->ttfb_ms);
	nulls[14] = a->ttfb_ms > 0 ? ' ' : 'n';
	set_int(values, nulls, 15, a->request_bytes, true);
	set_int(values, nulls, 16, a->response_bytes, true);
	aigw_spi_set_text(values, nulls, 17, a->upstream_id);
	aigw_spi_set_text(values, nulls, 18, tags_of(rq));
	aigw_spi_set_text(values, nulls, 19, aigw_attempt_answered(a->status) ? NULL
			 : (a->error ? a->error : "unknown error"));
	values[20] = Int64GetDatum(rq->wallet_id);
	nulls[20] = billed ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 21, AIGW_MSG_FIELD_OR_NULL(rq, RQ_CURRENCY));
	aigw_spi_set_text(values, nulls, 22, billed ? aigw_units_text(rq->reserved, rq->scale) : NULL);
	aigw_spi_set_text(values, nulls, 23, AIGW_MSG_FIELD_OR_NULL(rq, RQ_RATE_INPUT));
	aigw_spi_set_text(values, nulls, 24, AIGW_MSG_FIELD_OR_NULL(rq, RQ_RATE_OUTPUT));
	values[25] = Int32GetDatum(rq->scale);
	nulls[25] = ' ';
	aigw_spi_set_text(values, nulls, 26, AIGW_MSG_FIELD_OR_NULL(rq, RQ_RATE_CACHED));
	aigw_spi_set_text(values, nulls, 27, AIGW_MSG_FIELD_OR_NULL(rq, RQ_RATE_REASONING));
	aigw_spi_set_text(values, nulls, 28, AIGW_MSG_FIELD_OR_NULL(rq, RQ_FX));
	aigw_spi_set_text(values, nulls, 29, AIGW_MSG_FIELD_OR_NULL(rq, RQ_ORIGINAL_CURRENCY));
	set_count(values, nulls, 30, a->cache_write_tokens);
	aigw_spi_set_text(values, nulls, 31, AIGW_MSG_FIELD_OR_NULL(rq, RQ_RATE_CACHE_WRITE));
	values[32] = Int64GetDatum(rq->call_id);
	nulls[32] = rq->call_id != 0 ? ' ' : 'n';
	values[33] = a->route ? JsonbPGetDatum(a->route) : (Datum) 0;
	nulls[33] = a->route ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 34, AIGW_MSG_FIELD_OR_NULL(rq, RQ_END_USER));
	values[35] = Int32GetDatum(rq->inputs);
	nulls[35] = rq->inputs > 0 ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 36, a->usage_anomaly);
	/* the upstream's own figures, kept when they were not charged as sent */
	values[37] = (a->usage_anomaly && usage) ? JsonbPGetDatum(JsonbValueToJsonb(usage)) : (Datum) 0;
	nulls[37] = (a->usage_anomaly && usage) ? ' ' : 'n';
	values[38] = Int64GetDatum(a->intent_id);
	nulls[38] = a->intent_id != 0 ? ' ' : 'n';
}

#define CACHE_NCOLUMNS 6

static SPIPlanPtr cache_plan = NULL;

/*
 * Answers of cacheable calls, stored with their log row.  Two identical
 * calls settled in one turn leave one entry (DISTINCT ON): an upsert may
 * not touch a row twice.
 */
static const char *const cache_sql =
"INSERT INTO aigw.response_cache AS c (key, model, provider, response, request_id, expires_at)"
" SELECT DISTINCT ON (k) decode(k, 'hex'), m, p, r, id, now() + make_interval(secs => ttl)"
"   FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int8[], $6::int4[])"
"     AS u(k, m, p, r, id, ttl)"
" ORDER BY k, id DESC"
" ON CONFLICT (key) DO UPDATE SET model = excluded.model, provider = excluded.provider,"
"   response = excluded.response, request_id = excluded.request_id,"
"   created_at = excluded.created_at, expires_at = excluded.expires_at";

static const Oid cache_types[CACHE_NCOLUMNS] = {
	TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8OID, INT4OID
};

/*
 * An embeddings request carries a key per input (cache.h): the i-th key
 * gets the answer as if its input had been sent alone, the i-th vector.
 */
static Jsonb *
one_vector(Jsonb *answer, int i)
{
	JsonbValue *dims = getKeyJsonValueFromContainer(&answer->root, "dimensions", 10, NULL);
	JsonbValue *data = getKeyJsonValueFromContainer(&answer->root, "data", 4, NULL);
	JsonbValue *v;
	JsonbParseState *ps = NULL;

	if (data == NULL || data->type != jbvBinary ||
		(v = getIthJsonbValueFromContainer(data->val.binary.data, i)) == NULL)
		return NULL;
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "object", "list");
	if (dims)
		aigw_push_value(&ps, "dimensions", dims);
	aigw_push_key(&ps, "data");
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_ELEM, v);
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

static void
insert_cache_entries(AigwRequestMsg **requests, AigwAttempt **attempts, const int *calls, int n)
{
	int			cap = n;
	Datum	   *rows = palloc(sizeof(Datum) * cap * CACHE_NCOLUMNS);
	char	   *nulls = palloc(cap * CACHE_NCOLUMNS);
	int			nentries = 0;
	int			rc;

	for (int k = 0; k < n; k++)
	{
		AigwRequestMsg *rq = requests[calls[k]];
		AigwAttempt *a = attempts[calls[k]];
		char	   *keys;
		int			nkeys = 1;

		if (a->status != ATTEMPT_OK || a->result == NULL || !AIGW_MSG_HAS(rq, RQ_CACHE_KEY))
			continue;
		keys = pstrdup(AIGW_MSG_FIELD(rq, RQ_CACHE_KEY));
		for (char *c = keys; *c; c++)
			nkeys += (*c == ',');
		if (nentries + nkeys > cap)
		{
			cap = (nentries + nkeys) * 2;
			rows = repalloc(rows, sizeof(Datum) * cap * CACHE_NCOLUMNS);
			nulls = repalloc(nulls, cap * CACHE_NCOLUMNS);
		}
		for (int i = 0; i < nkeys; i++)
		{
			Datum	   *values = rows + nentries * CACHE_NCOLUMNS;
			char	   *isnull = nulls + nentries * CACHE_NCOLUMNS;
			char	   *key = strtok(i == 0 ? keys : NULL, ",");
			Jsonb	   *answer = rq->inputs > 0 ? one_vector(a->result, i) : a->result;

			if (key == NULL || answer == NULL)
				break;
			aigw_spi_set_text(values, isnull, 0, key);
			aigw_spi_set_text(values, isnull, 1, AIGW_MSG_FIELD(rq, RQ_SERVED_MODEL));
			aigw_spi_set_text(values, isnull, 2, AIGW_MSG_FIELD(rq, RQ_PROVIDER));
			values[3] = JsonbPGetDatum(answer);
			isnull[3] = ' ';
			values[4] = Int64GetDatum(a->request_id);
			isnull[4] = ' ';
			values[5] = Int32GetDatum(rq->cache_ttl_s);
			isnull[5] = ' ';
			nentries++;
		}
	}
	if (nentries == 0)
		return;
	rc = aigw_spi_execute_rows(&cache_plan, cache_sql, CACHE_NCOLUMNS, cache_types, rows, nulls, nentries);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not store %d answers in the response cache: %s", nentries,
			 SPI_result_code_string(rc));
}

/*
 * Log the calls and charge those a wallet pays.  What outlives the
 * transaction (the costs) is kept in the turn's context, cxt: SPI leaves
 * its own current after each execution.
 */
static void
settle_calls(AigwRequestMsg **requests, AigwAttempt **attempts, const int *calls, int n)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum	   *rows = palloc(sizeof(Datum) * n * CALL_NCOLUMNS);
	char	   *nulls = palloc(n * CALL_NCOLUMNS);
	int			rc;

	bool		billed = false;

	for (int k = 0; k < n; k++)
	{
		call_row(requests[calls[k]], attempts[calls[k]],
				 rows + k * CALL_NCOLUMNS, nulls + k * CALL_NCOLUMNS);
		billed |= requests[calls[k]]->wallet_id != 0;
	}
	if (n == 1)
		rc = SPI_execute_plan(billed ? aigw_spi_plan(&request_charged_plan, request_charged_sql, CALL_NCOLUMNS, call_types)
							  : aigw_spi_plan(&request_plan, request_sql, CALL_NCOLUMNS, call_types),
							  rows, nulls, false, 0);
	else if (billed)
		rc = aigw_spi_execute_rows(&requests_charged_plan, requests_charged_sql, CALL_NCOLUMNS, call_types, rows, nulls, n);
	else
		rc = aigw_spi_execute_rows(&requests_plan, requests_sql, CALL_NCOLUMNS, call_types, rows, nulls, n);
	if (rc != SPI_OK_SELECT || SPI_processed != n)
		elog(ERROR, "could not log %d requests: %s", n, SPI_result_code_string(rc));
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)) - 1;
		AigwRequestMsg *rq = requests[calls[k]];
		AigwAttempt *a = attempts[calls[k]];
		char	   *cost = SPI_getvalue(tup, desc, 3);
		int64		units = cost ? aigw_units_from_text(cost, rq->scale) : 0;

		/* NULL cost: no price in force */
		a->request_id = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		a->cost = cost ? MemoryContextStrdup(cxt, cost) : NULL;
		/* what the statement charged: a wallet pays and the cost is above 0 */
		a->charged = rq->wallet_id != 0 && units > 0 ? units : 0;
		a->call_id = rq->call_id != 0 ? rq->call_id : a->request_id;
	}
	MemoryContextSwitchTo(cxt);
	insert_cache_entries(requests, attempts, calls, n);
}

/* ---------------------------------------------------------------------
 * Ledger movements: top-ups, refunds, adjustments
 * ---------------------------------------------------------------------
 */

#define LEDGER_NPARAMS 13

static SPIPlanPtr ledger_plan = NULL;

static const char *const ledger_sql =
"SELECT a.id, a.inserted, ($4::numeric * 10::numeric ^ $13)::int8"
"  FROM aigw.ledger_append($1, $2, $3, $4::numeric, $5, $6, $7, $8::numeric, $9,"
"                          $10::numeric, $11, $12::name) a";

static const Oid ledger_types[LEDGER_NPARAMS] = {
	TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID
};

static void
append_ledger(AigwRequestMsg *rq, AigwAttempt *a)
{
	Datum		values[LEDGER_NPARAMS];
	char		nulls[LEDGER_NPARAMS];
	bool		isnull;
	int			rc;

	aigw_spi_set_text(values, nulls, 0, AIGW_MSG_FIELD(rq, RQ_LEDGER_KIND));
	values[1] = Int64GetDatum(rq->wallet_id);
	nulls[1] = ' ';
	aigw_spi_set_text(values, nulls, 2, AIGW_MSG_FIELD(rq, RQ_CURRENCY));
	aigw_spi_set_text(values, nulls, 3, AIGW_MSG_FIELD(rq, RQ_AMOUNT));
	aigw_spi_set_text(values, nulls, 4, AIGW_MSG_FIELD_OR_NULL(rq, RQ_RAIL));
	aigw_spi_set_text(values, nulls, 5, AIGW_MSG_FIELD_OR_NULL(rq, RQ_EXTERNAL_REF));
	values[6] = Int64GetDatum(rq->refund_of);
	nulls[6] = rq->refund_of != 0 ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 7, AIGW_MSG_FIELD_OR_NULL(rq, RQ_ORIGINAL_AMOUNT));
	aigw_spi_set_text(values, nulls, 8, AIGW_MSG_HAS(rq, RQ_ORIGINAL_AMOUNT) ? AIGW_MSG_FIELD_OR_NULL(rq, RQ_ORIGINAL_CURRENCY) : NULL);
	aigw_spi_set_text(values, nulls, 9, AIGW_MSG_FIELD_OR_NULL(rq, RQ_FX));
	aigw_spi_set_text(values, nulls, 10, AIGW_MSG_FIELD_OR_NULL(rq, RQ_NOTE));
	aigw_spi_set_text(values, nulls, 11, AIGW_MSG_FIELD(rq, RQ_ROLE));
	values[12] = Int32GetDatum(rq->scale);
	nulls[12] = ' ';

	rc = SPI_execute_plan(aigw_spi_plan(&ledger_plan, ledger_sql, LEDGER_NPARAMS, ledger_types),
						  values, nulls, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not append to the ledger: %s", SPI_result_code_string(rc));
	a->ledger_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		a->credited = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
}

/*
 * A refused movement (a top-up reference reused for another amount, say)
 * must not fail the calls settled beside it: it runs in a subtransaction
 * and only it is rolled back.
 */
typedef struct LedgerMove
{
	AigwRequestMsg *rq;
	AigwAttempt *a;
} LedgerMove;

static void
append_ledger_step(void *arg)
{
	LedgerMove *m = arg;

	append_ledger(m->rq, m->a);
}

static void
append_ledger_guarded(AigwRequestMsg *rq, AigwAttempt *a)
{
	LedgerMove	m = {rq, a};
	ErrorData  *edata = aigw_run_guarded(append_ledger_step, &m);

	if (edata == NULL)
		return;
	a->sqlstate = edata->sqlerrcode;
	a->error = edata->detail ? psprintf("%s\n%s", edata->message, edata->detail)
		: pstrdup(edata->message);
	a->ledger_id = 0;
	a->credited = 0;
	FreeErrorData(edata);
}

/* ---------------------------------------------------------------------
 * Wallet balances
 * ---------------------------------------------------------------------
 */

typedef struct WalletDelta
{
	int64		wallet_id;
	Oid			relid;
	int			scale;
	int64		delta;			/* ledger units */
	int64		balance;		/* after the update */
	int64		version;
} WalletDelta;

/*
 * A wallet's balance row is updated every turn.  While any snapshot older
 * than the batch is open (the batch's own statement, a report, pg_dump),
 * none of its old versions can be pruned, and finding the row through its
 * index walks all of them: each turn would cost more than the last.  So
 * the worker remembers where it left the row (its ctid) and updates it
 * there; the index is used only when the row has moved since (another
 * worker, or a rewrite of the table), which the wallet id guards against.
 */
static SPIPlanPtr balance_plan = NULL;
static SPIPlanPtr balance_at_plan = NULL;

#define BALANCE_SET \
"UPDATE aigw.wallet_balances" \
"   SET balance = balance + $2::numeric, version = version + 1, updated_at = now()"
#define BALANCE_RETURNING \
" RETURNING ((balance - held) * 10::numeric ^ $3)::int8, version, ctid"

static const char *const balance_sql = BALANCE_SET " WHERE wallet_id = $1" BALANCE_RETURNING;
static const char *const balance_at_sql = BALANCE_SET " WHERE ctid = $4 AND wallet_id = $1" BALANCE_RETURNING;

static const Oid balance_types[4] = {INT8OID, TEXTOID, INT4OID, TIDOID};

typedef struct BalanceRow
{
	int64		wallet_id;		/* hash key */
	ItemPointerData tid;
} BalanceRow;

static HTAB *balance_rows = NULL;

static void
add_delta(WalletDelta *deltas, int *n, const AigwRequestMsg *rq, int64 delta)
{
	int			i;

	if (delta == 0)
		return;
	for (i = 0; i < *n; i++)
		if (deltas[i].wallet_id == rq->wallet_id)
			break;
	if (i == *n)
	{
		deltas[i].wallet_id = rq->wallet_id;
		deltas[i].relid = rq->wallets_relid;
		deltas[i].scale = rq->scale;
		deltas[i].delta = 0;
		(*n)++;
	}
	deltas[i].delta += delta;
}

static int
delta_cmp(const void *a, const void *b)
{
	int64		x = ((const WalletDelta *) a)->wallet_id;
	int64		y = ((const WalletDelta *) b)->wallet_id;

	return x < y ? -1 : x > y ? 1 : 0;
}

static void
update_balance(WalletDelta *d)
{
	Datum		values[4];
	bool		isnull;
	bool		found;
	BalanceRow *row;
	int			rc = 0;

	if (balance_rows == NULL)
	{
		HASHCTL		ctl = {.keysize = sizeof(int64), .entrysize = sizeof(BalanceRow)};

		balance_rows = hash_create("aigw balance rows", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	row = hash_search(balance_rows, &d->wallet_id, HASH_ENTER, &found);
	values[0] = Int64GetDatum(d->wallet_id);
	values[1] = CStringGetTextDatum(aigw_units_text(d->delta, d->scale));
	values[2] = Int32GetDatum(d->scale);
	values[3] = PointerGetDatum(&row->tid);
	if (found)
		rc = SPI_execute_plan(aigw_spi_plan(&balance_at_plan, balance_at_sql, 4, balance_types),
							  values, NULL, false, 0);
	if (!found || (rc == SPI_OK_UPDATE_RETURNING && SPI_processed == 0))
		rc = SPI_execute_plan(aigw_spi_plan(&balance_plan, balance_sql, 3, balance_types),
							  values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING || SPI_processed != 1)
	{
		hash_search(balance_rows, &d->wallet_id, HASH_REMOVE, NULL);
		elog(ERROR, "wallet " INT64_FORMAT " has no row in aigw.wallet_balances", d->wallet_id);
	}
	d->balance = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	d->version = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	row->tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
}

/* ---------------------------------------------------------------------
 * The transaction
 * ---------------------------------------------------------------------
 */

/*
 * Commit without waiting for the WAL flush, and return the end of the
 * commit record: for a turn that sends nothing.  What a caller is about to
 * see must be durable (DESIGN.md, invariants 2 and 8): a call that was sent
 * is, by its intent row; a top-up or a call that never left is made durable
 * by whoever hands it out (aigw_pool_make_durable).  Waiting here would stop
 * this worker's HTTP for the length of an fsync and keep the turn's wallet
 * rows locked meanwhile, so the pool's other workers queued on them.  Under synchronous replication the commit stays
 * synchronous: waiting for a standby is part of what the worker's "on"
 * promises there, and only a commit waits for one.
 */
static XLogRecPtr
commit_without_flushing(void)
{
	int			saved = synchronous_commit;

	if (SyncRepStandbyNames != NULL && SyncRepStandbyNames[0] != '\0')
	{
		CommitTransactionCommand();
		return XactLastCommitEnd;
	}
	synchronous_commit = SYNCHRONOUS_COMMIT_OFF;
	PG_TRY();
	{
		CommitTransactionCommand();
	}
	PG_FINALLY();
	{
		synchronous_commit = saved;
	}
	PG_END_TRY();
	return XactLastCommitEnd;
}

bool
aigw_settle(AigwRequestMsg **requests, AigwAttempt **attempts, int n,
			void (*durable) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	WalletDelta *deltas = palloc(sizeof(WalletDelta) * Max(n, 1));
	int			ndeltas = 0;
	XLogRecPtr	lsn;
	volatile bool durable_done = false;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "aigw: settling requests");

		{
			MemoryContext spi_cxt = MemoryContextSwitchTo(cxt);
			int		   *calls = palloc(sizeof(int) * n);
			int			ncalls = 0;

			for (int i = 0; i < n; i++)
				if (requests[i]->kind == RQ_KIND_CALL)
					calls[ncalls++] = i;
			if (ncalls > 0)
				settle_calls(requests, attempts, calls, ncalls);
			for (int i = 0; i < n; i++)
			{
				/* what is kept of a movement must outlive SPI_finish */
				MemoryContextSwitchTo(cxt);
				if (requests[i]->kind == RQ_KIND_LEDGER)
				{
					append_ledger_guarded(requests[i], attempts[i]);
					add_delta(deltas, &ndeltas, requests[i], attempts[i]->credited);
				}
				else
					add_delta(deltas, &ndeltas, requests[i], -attempts[i]->charged);
			}
			MemoryContextSwitchTo(spi_cxt);
		}

		qsort(deltas, ndeltas, sizeof(WalletDelta), delta_cmp);
		for (int i = 0; i < ndeltas; i++)
			update_balance(&deltas[i]);

		if (durable != NULL)
		{
			ErrorData  *edata = aigw_run_guarded(durable, arg);

			if (edata != NULL)
			{
				ereport(WARNING, (errmsg("%s", edata->message),
								  edata->detail ? errdetail("%s", edata->detail) : 0));
				FreeErrorData(edata);
			}
			else
				durable_done = true;
		}

		SPI_finish();
		PopActiveSnapshot();
		if (durable_done)
		{
			/* the worker runs with synchronous_commit on: flushed */
			CommitTransactionCommand();
			lsn = XactLastCommitEnd;
		}
		else
			lsn = commit_without_flushing();
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, NULL);

		for (int i = 0; i < ndeltas; i++)
		{
			AigwWalletKey key = aigw_wallet_key(deltas[i].relid, deltas[i].wallet_id);

			(void) aigw_wallet_observe(&key, deltas[i].balance, deltas[i].version);
		}
		/*
		 * An attempt that was sent had its row made durable before it left
		 * (intent.c): a crash from here on leaves that row for start-up to
		 * resolve, so its caller need not wait for this commit's flush.
		 * Everything else (a top-up, a call that never left) is durable only
		 * once this commit is.
		 */
		for (int i = 0; i < n; i++)
		{
			attempts[i]->recorded = true;
			attempts[i]->commit_lsn = attempts[i]->intent_id != 0 ? InvalidXLogRecPtr : lsn;
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		durable_done = false;
		for (int i = 0; i < n; i++)
		{
			attempts[i]->request_id = 0;
			attempts[i]->call_id = 0;
			attempts[i]->cost = NULL;
			attempts[i]->charged = 0;
			attempts[i]->ledger_id = 0;
			attempts[i]->credited = 0;
		}
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	pfree(deltas);
	return durable_done;
}
