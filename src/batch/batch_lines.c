/*
 * batch_lines.c
 *	  A provider batch's result lines, a chunk at a time (see
 *	  batch_settle.c): each line read as the direct call's answer would be,
 *	  believed only if it names a row aigw sent and was not seen before,
 *	  its tokens bounded; then, in one transaction, the answers written
 *	  into their rows as the job's role, each line's row in aigw.requests at
 *	  the batch rates, its charge out of the batch's hold, and the count of
 *	  lines read, where settling resumes after a restart.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "batch/batch_settle_internal.h"
#include "billing/billing.h"
#include "batch/column_job.h"
#include "batch/embed.h"
#include "billing/usage_bounds.h"
#include "common/json_util.h"
#include "common/subxact.h"

/*
 * "r<block>-<offset>-<hash>" back into its parts: only an id exactly as
 * batch_submit.c writes it, so that "r1-2-<hash>-x" (or "r+1-2-<hash>"),
 * which no request carried, is not taken for row (1,2) past the check
 * for repeated ids.
 */
static bool
parse_custom_id(const char *id, ItemPointer tid, char **hash)
{
	unsigned int block;
	unsigned int offset;
	char		h[17];
	char		canonical[48];

	if (id == NULL || strlen(id) >= sizeof(canonical) ||
		sscanf(id, "r%u-%u-%16[0-9a-f]", &block, &offset, h) != 3 || strlen(h) != 16 ||
		offset == 0 || offset > MaxOffsetNumber)
		return false;
	snprintf(canonical, sizeof(canonical), "r%u-%u-%s", block, offset, h);
	if (strcmp(canonical, id) != 0)
		return false;
	ItemPointerSet(tid, block, (OffsetNumber) offset);
	*hash = pstrdup(h);
	return true;
}

typedef struct WriteBack
{
	Batch	   *b;
	Chunk	   *c;
	int			only;			/* the one line to write, or -1: all of them */
} WriteBack;

/* The answers into their rows, as the job's role; marks what was written. */
static void
write_back_step(void *arg)
{
	WriteBack  *w = arg;
	Batch	   *b = w->b;
	Chunk	   *c = w->c;
	Datum	   *tids = palloc(sizeof(Datum) * c->n);
	Datum	   *answers = palloc(sizeof(Datum) * c->n);
	Datum	   *hashes = palloc(sizeof(Datum) * c->n);
	int		   *line_of = palloc(sizeof(int) * c->n);	/* the k-th answer's line */
	int			k = 0;
	Oid			types[3] = {TIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[3];
	char	   *kind = aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "kind"));
	char	   *target = aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "target"));
	bool		normalize = aigw_jsonb_string_is(aigw_jsonb_key(&b->write_back->root, "normalize"), "true");
	JsonbValue *nv = aigw_jsonb_key(&b->write_back->root, "normalize");
	char	   *value_sql;
	char	   *sql;
	Oid			save_user;
	int			save_sec;

	if (nv && nv->type == jbvBool)
		normalize = nv->val.boolean;
	for (int i = 0; i < c->n; i++)
		if (c->answers[i] != NULL && (w->only < 0 || w->only == i))
		{
			tids[k] = PointerGetDatum(&c->tids[i]);
			answers[k] = CStringGetTextDatum(c->answers[i]);
			hashes[k] = CStringGetTextDatum(c->hashes[i]);
			line_of[k] = i;
			k++;
		}
	if (k == 0)
		return;
	value_sql = strcmp(kind, "vector") == 0
		? psprintf("aigw.vector_from_base64(x.a, %s)::%s", normalize ? "true" : "false",
				   aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "type")))
		: strcmp(kind, "jsonb") == 0 ? "x.a::jsonb" : "x.a";
	sql = psprintf("UPDATE %s t SET %s = %s FROM unnest($1, $2, $3) WITH ORDINALITY x(id, a, h, k)"
				   " WHERE t.ctid = x.id AND t.%s IS NULL AND left(md5((%s)::text), 16) = x.h"
				   " RETURNING x.k",
				   aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "source")),
				   target, value_sql, target,
				   aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "input")));
	values[0] = PointerGetDatum(construct_array(tids, k, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
	values[1] = PointerGetDatum(construct_array(answers, k, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(hashes, k, TEXTOID, -1, false, TYPALIGN_INT));

	/*
	 * Each answer's row is found by its address (a TID scan): a hash or
	 * merge join would compute every NULL row's fingerprint for every chunk,
	 * which on a table of 20,000 rows took 96 ms a chunk against 1.4 ms
	 * (bench/batch_api.sh).  Local to this transaction.
	 */
	aigw_batch_run_sql("SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)",
					   0, NULL, NULL, NULL, SPI_OK_SELECT);
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(b->role, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		aigw_batch_run_sql(sql, 3, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	/* the lines written, by their place in the arrays */
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));

		if (pos >= 1 && pos <= k)
			c->written[line_of[pos - 1]] = true;
	}
}

/*
 * What the statements below share: the batch's row with its ledger scale
 * and largest rates (a CTE jb); the most a line may cost, its worst case
 * at the batch's largest line's bounds; and the charges (total, of a CTE
 * t) taken out of the wallet's balance and, as they came out of it, out of
 * the batch's hold, returning the wallet's new (balance - held, version).
 */
#define BATCH_ROW(job, seq) \
"jb AS (" \
" SELECT jb.*, aigw.ledger_scale(coalesce(jb.currency, jb.price_currency)) AS scale," \
"  greatest(jb.rates[1], coalesce(jb.rates[3], 0), coalesce(jb.rates[4], 0)) AS max_in," \
"  greatest(jb.rates[2], coalesce(jb.rates[5], 0)) AS max_out" \
"  FROM aigw.job_batches jb WHERE jb.job_id = " job " AND jb.seq = " seq

#define LINE_RESERVED \
"  ceil((jb.input_bound * jb.max_in + coalesce(jb.output_bound, 0) * jb.max_out) / 1e6" \
"       * coalesce(jb.fx, 1) * 10::numeric ^ jb.scale) / 10::numeric ^ jb.scale AS line_reserved"

#define CHARGE_WALLET \
" UPDATE aigw.wallet_balances wb SET balance = wb.balance - t.total, held = wb.held - t.total," \
"  version = wb.version + 1, updated_at = now()" \
"  FROM t, jb JOIN aigw.wallets w ON w.id = jb.wallet_id" \
" WHERE wb.wallet_id = jb.wallet_id AND t.total > 0" \
" RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ aigw.ledger_scale(w.currency))::int8," \
"  wb.version"

/* Each line's row in aigw.requests, its charge, the wallet, the batch's and the job's counts. */
#define LINES_SQL \
"WITH i AS (" \
" SELECT * FROM unnest($1::text[], $2::int4[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]," \
"   $7::int8[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::int4[], $13::int4[], $21::text[])" \
"  WITH ORDINALITY AS i(status, http_status, prompt_tokens, completion_tokens, cached_tokens," \
"   cache_write_tokens, reasoning_tokens, upstream_id, error, usage_anomaly, upstream_usage," \
"   response_bytes, inputs, line, ord)" \
"), " BATCH_ROW("$14", "$15") \
"), q AS (" \
" SELECT i.*, nextval('aigw.requests_id_seq'::regclass) AS id," \
"  aigw.token_cost(i.prompt_tokens, i.cached_tokens, i.cache_write_tokens, i.completion_tokens," \
"   i.reasoning_tokens, jb.rates[1], jb.rates[2], jb.rates[3], jb.rates[4], jb.rates[5]) AS exact," \
LINE_RESERVED \
"  FROM i, jb OFFSET 0" \
"), p AS (" \
" SELECT q.*, CASE WHEN jb.wallet_id IS NULL THEN round(q.exact * coalesce(jb.fx, 1), jb.scale)" \
"  ELSE least(round(q.exact * coalesce(jb.fx, 1), jb.scale)," \
"   greatest(jb.reserved - jb.charged - coalesce(sum(round(q.exact * coalesce(jb.fx, 1), jb.scale))" \
"    OVER (ORDER BY q.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0)) END AS cost," \
"  round(q.exact * coalesce(jb.fx, 1), jb.scale) AS uncapped" \
"  FROM q, jb" \
"), r AS (" \
" INSERT INTO aigw.requests (id, created_at, role_name, database_name, requested_model," \
"  served_model, provider, attempt, status, http_status, prompt_tokens, completion_tokens," \
"  cached_tokens, reasoning_tokens, latency_ms, response_bytes, upstream_id, tags, error," \
"  wallet_id, currency, reserved, cost, cache_write_tokens, call_id, inputs, usage_anomaly," \
"  upstream_usage, upstream_batch, batch_line)" \
" OVERRIDING SYSTEM VALUE" \
" SELECT p.id, jb.submitted_at, $16, current_database(), $17, jb.model, jb.provider, 1, p.status," \
"  p.http_status, p.prompt_tokens, p.completion_tokens, p.cached_tokens, p.reasoning_tokens," \
"  extract(epoch FROM clock_timestamp() - jb.submitted_at) * 1000, p.response_bytes," \
"  p.upstream_id, jb.tags, p.error, jb.wallet_id, coalesce(jb.currency, jb.price_currency)," \
"  CASE WHEN jb.wallet_id IS NOT NULL THEN p.line_reserved END," \
"  CASE WHEN jb.rates IS NOT NULL THEN p.cost END, p.cache_write_tokens, p.id, p.inputs," \
"  CASE WHEN p.cost < p.uncapped AND p.status = 'ok' THEN 'over_bound' ELSE p.usage_anomaly END," \
"  p.upstream_usage, jb.upstream_batch_id, p.line" \
"  FROM p, jb" \
/* a line logged before (a results file read again in another order) is not logged or charged again */ \
" ON CONFLICT (upstream_batch, batch_line) WHERE upstream_batch IS NOT NULL DO NOTHING" \
" RETURNING id" \
"), c AS (" \
" INSERT INTO aigw.ledger (wallet_id, currency, kind, amount, request_id, original_amount," \
"  original_currency, fx_rate, model, provider, role_name, tags, created_by, end_user)" \
" SELECT jb.wallet_id, jb.currency, 'charge', -p.cost, p.id," \
"  CASE WHEN p.cost = p.uncapped THEN p.exact ELSE round(p.cost / coalesce(jb.fx, 1), 12) END," \
"  jb.price_currency, jb.fx, jb.model, jb.provider, $16, jb.tags, $16, NULL" \
"  FROM p JOIN r ON r.id = p.id, jb WHERE jb.wallet_id IS NOT NULL AND p.cost > 0" \
"), t AS (" \
" SELECT coalesce(sum(p.cost) FILTER (WHERE jb.wallet_id IS NOT NULL), 0) AS total," \
"  count(*) FILTER (WHERE p.status = 'ok') AS ok, count(*) FILTER (WHERE p.status <> 'ok') AS failed," \
"  coalesce(sum(p.cost), 0) AS cost" \
"  FROM p JOIN r ON r.id = p.id, jb" \
"), u AS (" \
" UPDATE aigw.job_batches b SET lines_settled = b.lines_settled + $20, lines_ok = b.lines_ok + t.ok," \
"  lines_failed = b.lines_failed + t.failed, charged = b.charged + t.total" \
"  FROM t WHERE b.job_id = $14 AND b.seq = $15" \
"), jj AS (" \
" UPDATE aigw.jobs j SET rows_done = j.rows_done + $19, rows_failed = j.rows_failed + ($18 - $19)," \
"  calls_in_flight = greatest(j.calls_in_flight - $18, 0), cost = j.cost + t.cost," \
"  currency = coalesce(j.currency, (SELECT coalesce(jb.currency, jb.price_currency) FROM jb))," \
"  updated_at = clock_timestamp()" \
"  FROM t WHERE j.id = $14" \
")" \
CHARGE_WALLET

void
aigw_batch_settle_chunk(Batch *b, Chunk *c)
{
	Datum		cols[13];
	Datum	   *v[13];
	bool	   *isnull[13];
	Oid			elem[13] = {TEXTOID, INT4OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, INT4OID};
	Oid			types[21];
	Datum		values[21];
	Datum	   *lines = palloc(sizeof(Datum) * Max(c->n, 1));
	WriteBack	w = {b, c, -1};
	ErrorData  *edata;
	int			filled = 0;

	aigw_batch_xact_begin();
	/* the answers first, in a subtransaction of their own */
	edata = aigw_run_guarded(write_back_step, &w);
	/*
	 * One row's failure (a constraint, a trigger) must not cost the others
	 * their answers: then each is written alone, and fails alone.
	 */
	if (edata != NULL)
		for (int i = 0; i < c->n; i++)
		{
			ErrorData  *e;

			if (c->answers[i] == NULL)
				continue;
			w.only = i;
			if ((e = aigw_run_guarded(write_back_step, &w)) != NULL)
			{
				c->row_errors[i] = psprintf("the answer could not be written back: %s", e->message);
				FreeErrorData(e);
			}
		}
	for (int i = 0; i < c->n; i++)
	{
		if (c->answers[i] != NULL && !c->written[i] && c->row_errors[i] == NULL)
			c->row_errors[i] = "not written back: the row was changed, filled or removed while the batch was out";
		filled += c->written[i];
	}

	for (int col = 0; col < 13; col++)
	{
		v[col] = palloc0(sizeof(Datum) * c->n);
		isnull[col] = palloc0(sizeof(bool) * c->n);
	}
	for (int i = 0; i < c->n; i++)
	{
		AigwAttempt *a = &c->attempts[i];
		int64		tokens[5] = {a->prompt_tokens, a->completion_tokens, a->cached_tokens,
		a->cache_write_tokens, a->reasoning_tokens};

		v[0][i] = CStringGetTextDatum(aigw_attempt_status_name(a->status));
		v[1][i] = Int32GetDatum(a->http_status);
		isnull[1][i] = a->http_status == 0;
		for (int t = 0; t < 5; t++)
		{
			v[2 + t][i] = Int64GetDatum(tokens[t]);
			isnull[2 + t][i] = tokens[t] < 0;
		}
		v[7][i] = a->upstream_id ? CStringGetTextDatum(a->upstream_id) : (Datum) 0;
		isnull[7][i] = a->upstream_id == NULL;
		v[8][i] = a->error ? CStringGetTextDatum(a->error) : (Datum) 0;
		isnull[8][i] = a->error == NULL;
		v[9][i] = a->usage_anomaly ? CStringGetTextDatum(a->usage_anomaly) : (Datum) 0;
		isnull[9][i] = a->usage_anomaly == NULL;
		v[10][i] = a->usage_anomaly && a->usage ? JsonbPGetDatum(JsonbValueToJsonb(a->usage)) : (Datum) 0;
		isnull[10][i] = !(a->usage_anomaly && a->usage);
		v[11][i] = Int32GetDatum((int32) Min(a->response_bytes, PG_INT32_MAX));
		v[12][i] = Int32GetDatum(a->inputs);
		isnull[12][i] = a->inputs <= 0;
	}
	for (int col = 0; col < 13; col++)
	{
		int			dims[1] = {c->n};
		int			lbs[1] = {1};
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(elem[col], &typlen, &typbyval, &typalign);
		cols[col] = PointerGetDatum(construct_md_array(v[col], isnull[col], 1, dims, lbs, elem[col],
													   typlen, typbyval, typalign));
		types[col] = get_array_type(elem[col]);
		values[col] = cols[col];
	}
	types[13] = INT8OID;
	values[13] = Int64GetDatum(b->job);
	types[14] = INT4OID;
	values[14] = Int32GetDatum(b->seq);
	types[15] = TEXTOID;
	values[15] = CStringGetTextDatum(b->role_name);
	types[16] = TEXTOID;
	values[16] = CStringGetTextDatum(b->requested_model);
	types[17] = INT4OID;
	values[17] = Int32GetDatum(c->n);
	types[18] = INT4OID;
	values[18] = Int32GetDatum(filled);
	types[19] = INT4OID;
	values[19] = Int32GetDatum(c->consumed);
	for (int i = 0; i < c->n; i++)
		lines[i] = CStringGetTextDatum(psprintf("r%u-%u-%s", ItemPointerGetBlockNumber(&c->tids[i]),
												ItemPointerGetOffsetNumber(&c->tids[i]), c->hashes[i]));
	types[20] = TEXTARRAYOID;
	values[20] = PointerGetDatum(construct_array(lines, c->n, TEXTOID, -1, false, TYPALIGN_INT));
	aigw_batch_run_sql(LINES_SQL, 21, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	aigw_billing_publish_balances();

	/* why the rows left NULL are */
	for (int i = 0; i < c->n; i++)
	{
		Oid			t3[3] = {INT8OID, TIDOID, TEXTOID};
		Datum		v3[3];
		const char *why = c->row_errors[i] ? c->row_errors[i] : c->attempts[i].error;

		if (c->written[i] || !c->has_tid[i] || why == NULL)
			continue;
		v3[0] = Int64GetDatum(b->job);
		v3[1] = PointerGetDatum(&c->tids[i]);
		v3[2] = CStringGetTextDatum(why);
		aigw_batch_run_sql("INSERT INTO aigw.job_errors (job_id, row_ctid, error) VALUES ($1, $2, $3)", 3, t3, v3, NULL,
			 SPI_OK_INSERT);
	}
	aigw_batch_xact_end();
	if (edata != NULL)
		FreeErrorData(edata);
}



/* The line's custom_id, noted; whether it was new. */
static bool
first_sight(SeenIds *seen, const char *custom_id)
{
	char		key[NAMEDATALEN * 2];
	bool		found;

	memset(key, 0, sizeof(key));
	strlcpy(key, custom_id, sizeof(key));
	(void) hash_search(seen->ids, key, HASH_ENTER, &found);
	return !found;
}

/* A line settled before a restart: only its custom_id is noted. */
void
aigw_batch_note_settled_line(Batch *b, AigwBatchWire wire, const char *api_style, const char *line, size_t len,
				  SeenIds *seen)
{
	AigwAttempt a;
	char	   *custom_id;
	ItemPointerData tid;
	char	   *hash;

	if (aigw_batch_line_parse(wire, b->embedding, api_style, line, len, &custom_id, &a) &&
		parse_custom_id(custom_id, &tid, &hash))
		(void) first_sight(seen, custom_id);
}

/* One result line into the chunk, unless it is not believed. */
LineFate
aigw_batch_take_line(Batch *b, AigwBatchWire wire, const char *api_style, const char *line, size_t len,
		  int64 input_bound, int64 output_bound, Chunk *c, SeenIds *seen)
{
	int			i = c->n;
	AigwAttempt *a = &c->attempts[i];
	char	   *custom_id;
	AigwRequestMsg bounds;

	c->answers[i] = c->row_errors[i] = NULL;
	c->written[i] = false;
	c->has_tid[i] = aigw_batch_line_parse(wire, b->embedding, api_style, line, len, &custom_id, a) &&
		parse_custom_id(custom_id, &c->tids[i], &c->hashes[i]);
	if (!c->has_tid[i])
		return LINE_FOREIGN;
	if (!first_sight(seen, custom_id))
		return LINE_DUPLICATE;
	if (b->lines_logged >= b->lines)
		return LINE_EXTRA;
	c->n++;
	b->lines_logged++;
	/* charged for no more than the line could use, whatever the upstream says */
	memset(&bounds, 0, sizeof(bounds));
	bounds.input_bound = input_bound;
	bounds.output_bound = output_bound;
	if (a->status == ATTEMPT_OK)
		aigw_usage_bound(&bounds, a);
	if (a->status != ATTEMPT_OK)
		return LINE_KEPT;
	if (b->embedding)
	{
		char	   *why = NULL;
		JsonbValue *data = aigw_embed_answer_vectors(a->result, 1, &why);
		JsonbValue *vec = data ? getIthJsonbValueFromContainer(data->val.binary.data, 0) : NULL;

		if (vec != NULL && vec->type == jbvString)
			c->answers[i] = pnstrdup(vec->val.string.val, vec->val.string.len);
		else
			c->row_errors[i] = why ? why : "the answer has no vector";
	}
	else
	{
		char	   *why = NULL;
		bool		json = aigw_jsonb_string_is(aigw_jsonb_key(&b->write_back->root, "kind"), "jsonb");
		Datum		value = aigw_enrich_answer_value(a->result, json, &why);

		if (value == (Datum) 0)
			c->row_errors[i] = why;
		else if (json)
		{
			Jsonb	   *j = DatumGetJsonbP(value);

			c->answers[i] = JsonbToCString(NULL, &j->root, VARSIZE(j));
		}
		else
			c->answers[i] = TextDatumGetCString(value);
	}
	return LINE_KEPT;
}

#define GIVE_UP_SQL \
"WITH " BATCH_ROW("$1", "$2") \
"), q AS (" \
" SELECT g AS ord, nextval('aigw.requests_id_seq'::regclass) AS id," \
LINE_RESERVED \
"  FROM jb, generate_series(1, greatest(jb.lines - jb.lines_ok - jb.lines_failed, 0)) g OFFSET 0" \
"), p AS (" \
" SELECT q.*, least(q.line_reserved, greatest(jb.reserved - jb.charged - coalesce(sum(q.line_reserved)" \
"   OVER (ORDER BY q.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0)) AS cost" \
"  FROM q, jb WHERE jb.wallet_id IS NOT NULL" \
"  UNION ALL SELECT q.*, NULL FROM q, jb WHERE jb.wallet_id IS NULL" \
"), r AS (" \
" INSERT INTO aigw.requests (id, created_at, role_name, database_name, requested_model," \
"  served_model, provider, attempt, status, error, wallet_id, currency, reserved, cost, call_id," \
"  tags, upstream_batch)" \
" OVERRIDING SYSTEM VALUE" \
" SELECT p.id, jb.submitted_at, $3, current_database(), $4, jb.model, jb.provider, 1, 'unknown', $5," \
"  jb.wallet_id, coalesce(jb.currency, jb.price_currency)," \
"  CASE WHEN jb.wallet_id IS NOT NULL THEN p.line_reserved END, p.cost, p.id, jb.tags, jb.upstream_batch_id" \
"  FROM p, jb" \
"), c AS (" \
" INSERT INTO aigw.ledger (wallet_id, currency, kind, amount, request_id, model, provider, role_name," \
"  tags, created_by, note)" \
" SELECT jb.wallet_id, jb.currency, 'charge', -p.cost, p.id, jb.model, jb.provider, $3, jb.tags, $3," \
"  'outcome unknown: charged its reservation'" \
"  FROM p, jb WHERE jb.wallet_id IS NOT NULL AND p.cost > 0" \
"), t AS (" \
" SELECT coalesce(sum(p.cost), 0) AS total, count(*) AS n FROM p" \
"), u AS (" \
" UPDATE aigw.job_batches b SET lines_failed = b.lines_failed + t.n, charged = b.charged + t.total" \
"  FROM t WHERE b.job_id = $1 AND b.seq = $2" \
"), jj AS (" \
" UPDATE aigw.jobs j SET rows_failed = j.rows_failed + t.n, calls_in_flight = greatest(j.calls_in_flight - t.n, 0)," \
"  cost = j.cost + t.total, updated_at = clock_timestamp()" \
"  FROM t WHERE j.id = $1" \
")" \
CHARGE_WALLET

void
aigw_batch_give_up(Batch *b, const char *why)
{
	Oid			types[5] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5] = {Int64GetDatum(b->job), Int32GetDatum(b->seq), CStringGetTextDatum(b->role_name),
	CStringGetTextDatum(b->requested_model), CStringGetTextDatum(why)};

	aigw_batch_run_sql(GIVE_UP_SQL, 5, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	aigw_billing_publish_balances();
}
