/*
 * batch_settle.c
 *	  The dispatcher's side of provider batches (batch_submit.c hands them
 *	  over): poll each open batch, with a pause that grows with its age;
 *	  once it has ended, download its results and settle them a chunk of
 *	  lines at a time.
 *
 * A chunk is one transaction: the answers written into their rows (as
 * the job's role), each line's row in aigw.requests at the batch rates,
 * its charge, the wallet's balance (the charge comes out of the batch's
 * hold, so what calls may spend does not move), and the batch's count of
 * lines settled, which is where settling resumes after a restart: a line
 * is charged once and written once.  When the last line is in, the rest
 * of the hold goes back to the wallet and, once the job has no open batch
 * left, the job is done.
 *
 * The answers only go into rows at the address the line names, still
 * NULL, whose input still has the fingerprint the line carries (see
 * batch_submit.c).  A write-back that fails (the table was dropped, the
 * role lost its privilege) fails only in its subtransaction: the lines are
 * logged and charged all the same, since the provider served them; when a
 * chunk's write-back fails, its answers are written one by one, so that a
 * row a constraint or a trigger refuses fails alone.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "batch/batch_settle.h"
#include "batch/batch_wire.h"
#include "batch/column_job.h"
#include "batch/embed.h"
#include "billing/usage_bounds.h"
#include "billing/wallet_cache.h"
#include "caller/call.h"
#include "catalog/catalog.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "common/settings.h"
#include "common/subxact.h"

#define SETTLE_CHUNK 1000
#define POLL_MIN_MS 200
#define POLL_MAX_MS 60000
#define SUBMITTING_CHECK_MS 2000

/* One open batch, as its row says. */
typedef struct Batch
{
	int64		job;
	int			seq;
	char	   *state;
	Oid			role;
	char	   *role_name;
	char	   *provider;
	char	   *model;
	char	   *requested_model;
	bool		embedding;
	char	   *batch_id;
	char	   *status;
	ArrayType  *results;
	int			lines;
	int			lines_settled;	/* result lines read so far, kept or not */
	int			lines_logged;	/* of them, logged: at most lines */
	int			submitter_pid;
	int64		age_ms;
	Jsonb	   *write_back;
} Batch;

static TimestampTz next_due = 0;

/* ---------------------------------------------------------------------
 * Transactions
 * ---------------------------------------------------------------------
 */

/* A transaction with SPI connected: for the batch's tables. */
static void
xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
xact_end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * A transaction for catalog lookups (the model, the role's name) around
 * the provider's requests; what is allocated stays in the caller's context.
 */
static void
lookup_begin(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(cxt);
}

static void
lookup_end(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

static void
run_sql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "aigw batch statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

/* After a statement that returned (balance - held units, version) of the batch's wallet. */
static void
publish(void)
{
	Oid			relid = aigw_table_oid("wallet_balances");

	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		HeapTuple	tup = SPI_tuptable->vals[r];
		Datum		wallet = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
		AigwWalletKey key;

		if (isnull)
			continue;
		key = aigw_wallet_key(relid, DatumGetInt64(wallet));
		(void) aigw_wallet_observe(&key, DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)),
								   DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull)));
	}
}

static int64
poll_pause_ms(int64 age_ms)
{
	return Min(Max(age_ms / 10, POLL_MIN_MS), POLL_MAX_MS);
}

/* ---------------------------------------------------------------------
 * Ending a batch, and its job
 * ---------------------------------------------------------------------
 */

/*
 * The batch is over: what its hold did not charge goes back, and a job
 * with no open batch left ends.  In the caller's transaction.
 */
static void
finish_batch(Batch *b, const char *state, const char *note)
{
	Oid			types[4] = {INT8OID, INT4OID, TEXTOID, TEXTOID};
	Datum		values[4] = {Int64GetDatum(b->job), Int32GetDatum(b->seq), CStringGetTextDatum(state),
	CStringGetTextDatum(note ? note : "")};
	char		nulls[4] = {' ', ' ', ' ', note ? ' ' : 'n'};

	run_sql("WITH b AS ("
		 " UPDATE aigw.job_batches SET state = $3, ended_at = clock_timestamp(),"
		 "        error = coalesce($4, error)"
		 "  WHERE job_id = $1 AND seq = $2 RETURNING wallet_id, reserved - charged AS rest),"
		 " j AS ("
		 " UPDATE aigw.jobs j SET"
		 "        state = CASE WHEN j.state IN ('submitted', 'running') THEN 'done' ELSE j.state END,"
		 "        calls_in_flight = 0, finished_at = coalesce(j.finished_at, clock_timestamp()),"
		 "        updated_at = clock_timestamp()"
		 "  WHERE j.id = $1 AND j.state <> 'running'"
		 "    AND NOT EXISTS (SELECT 1 FROM aigw.job_batches o WHERE o.job_id = $1 AND o.seq <> $2"
		 "                     AND o.state IN ('submitting', 'submitted', 'settling')))"
		 " UPDATE aigw.wallet_balances wb SET held = wb.held - b.rest, version = wb.version + 1,"
		 "        updated_at = now()"
		 "   FROM b JOIN aigw.wallets w ON w.id = b.wallet_id"
		 "  WHERE wb.wallet_id = b.wallet_id AND b.rest > 0"
		 " RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ aigw.ledger_scale(w.currency))::int8,"
		 "           wb.version",
		 4, types, values, nulls, SPI_OK_UPDATE_RETURNING);
	publish();
	if (note != NULL)
	{
		Oid			t2[2] = {INT8OID, TEXTOID};
		Datum		v2[2] = {Int64GetDatum(b->job), CStringGetTextDatum(note)};

		run_sql("UPDATE aigw.jobs SET error = concat_ws('; ', error, $2) WHERE id = $1", 2, t2, v2, NULL, SPI_OK_UPDATE);
	}
}

/* ---------------------------------------------------------------------
 * Settling a chunk of result lines
 * ---------------------------------------------------------------------
 */

typedef struct Chunk
{
	int			n;				/* lines kept */
	int			consumed;		/* result lines read, kept or not */
	ItemPointerData tids[SETTLE_CHUNK];
	bool		has_tid[SETTLE_CHUNK];
	char	   *hashes[SETTLE_CHUNK];
	char	   *answers[SETTLE_CHUNK];	/* what goes into the row, or NULL */
	char	   *row_errors[SETTLE_CHUNK];	/* why the row stays NULL, or NULL */
	bool		written[SETTLE_CHUNK];
	AigwAttempt attempts[SETTLE_CHUNK];
} Chunk;

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
			k++;
		}
	if (k == 0)
		return;
	value_sql = strcmp(kind, "vector") == 0
		? psprintf("aigw.vector_from_base64(x.a, %s)::%s", normalize ? "true" : "false",
				   aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "type")))
		: strcmp(kind, "jsonb") == 0 ? "x.a::jsonb" : "x.a";
	sql = psprintf("UPDATE %s t SET %s = %s FROM unnest($1, $2, $3) x(id, a, h)"
				   " WHERE t.ctid = x.id AND t.%s IS NULL AND left(md5((%s)::text), 16) = x.h"
				   " RETURNING x.id, x.h",
				   aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "source")),
				   target, value_sql, target,
				   aigw_jsonb_cstring(aigw_jsonb_key(&b->write_back->root, "input")));
	values[0] = PointerGetDatum(construct_array(tids, k, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
	values[1] = PointerGetDatum(construct_array(answers, k, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(hashes, k, TEXTOID, -1, false, TYPALIGN_INT));

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(b->role, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		run_sql(sql, 3, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		ItemPointer tid = (ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[r],
																	  SPI_tuptable->tupdesc, 1, &isnull));
		char	   *hash = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);

		/* the line written, not another naming the same address with another fingerprint */
		for (int i = 0; i < c->n; i++)
			if (c->answers[i] != NULL && ItemPointerEquals(&c->tids[i], tid) && strcmp(c->hashes[i], hash) == 0)
				c->written[i] = true;
	}
}

/* Each line's row in aigw.requests, its charge, the wallet, the batch's and the job's counts. */
#define LINES_SQL \
"WITH i AS (" \
" SELECT * FROM unnest($1::text[], $2::int4[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]," \
"   $7::int8[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::int4[], $13::int4[])" \
"  WITH ORDINALITY AS i(status, http_status, prompt_tokens, completion_tokens, cached_tokens," \
"   cache_write_tokens, reasoning_tokens, upstream_id, error, usage_anomaly, upstream_usage," \
"   response_bytes, inputs, ord)" \
"), jb AS (" \
" SELECT jb.*, aigw.ledger_scale(coalesce(jb.currency, jb.price_currency)) AS scale," \
"  greatest(jb.rates[1], coalesce(jb.rates[3], 0), coalesce(jb.rates[4], 0)) AS max_in," \
"  greatest(jb.rates[2], coalesce(jb.rates[5], 0)) AS max_out" \
"  FROM aigw.job_batches jb WHERE jb.job_id = $14 AND jb.seq = $15" \
"), q AS (" \
" SELECT i.*, nextval('aigw.requests_id_seq'::regclass) AS id," \
"  aigw.token_cost(i.prompt_tokens, i.cached_tokens, i.cache_write_tokens, i.completion_tokens," \
"   i.reasoning_tokens, jb.rates[1], jb.rates[2], jb.rates[3], jb.rates[4], jb.rates[5]) AS exact," \
"  ceil((jb.input_bound * jb.max_in + coalesce(jb.output_bound, 0) * jb.max_out) / 1e6" \
"       * coalesce(jb.fx, 1) * 10::numeric ^ jb.scale) / 10::numeric ^ jb.scale AS line_reserved" \
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
"  upstream_usage, upstream_batch)" \
" OVERRIDING SYSTEM VALUE" \
" SELECT p.id, jb.submitted_at, $16, current_database(), $17, jb.model, jb.provider, 1, p.status," \
"  p.http_status, p.prompt_tokens, p.completion_tokens, p.cached_tokens, p.reasoning_tokens," \
"  extract(epoch FROM clock_timestamp() - jb.submitted_at) * 1000, p.response_bytes," \
"  p.upstream_id, jb.tags, p.error, jb.wallet_id, coalesce(jb.currency, jb.price_currency)," \
"  CASE WHEN jb.wallet_id IS NOT NULL THEN p.line_reserved END," \
"  CASE WHEN jb.rates IS NOT NULL THEN p.cost END, p.cache_write_tokens, p.id, p.inputs," \
"  CASE WHEN p.cost < p.uncapped AND p.status = 'ok' THEN 'over_bound' ELSE p.usage_anomaly END," \
"  p.upstream_usage, jb.upstream_batch_id" \
"  FROM p, jb" \
"), c AS (" \
" INSERT INTO aigw.ledger (wallet_id, currency, kind, amount, request_id, original_amount," \
"  original_currency, fx_rate, model, provider, role_name, tags, created_by, end_user)" \
" SELECT jb.wallet_id, jb.currency, 'charge', -p.cost, p.id," \
"  CASE WHEN p.cost = p.uncapped THEN p.exact ELSE round(p.cost / coalesce(jb.fx, 1), 12) END," \
"  jb.price_currency, jb.fx, jb.model, jb.provider, $16, jb.tags, $16, NULL" \
"  FROM p, jb WHERE jb.wallet_id IS NOT NULL AND p.cost > 0" \
"), t AS (" \
" SELECT coalesce(sum(p.cost) FILTER (WHERE jb.wallet_id IS NOT NULL), 0) AS total," \
"  count(*) FILTER (WHERE p.status = 'ok') AS ok, count(*) FILTER (WHERE p.status <> 'ok') AS failed," \
"  coalesce(sum(p.cost), 0) AS cost" \
"  FROM p, jb" \
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
" UPDATE aigw.wallet_balances wb SET balance = wb.balance - t.total, held = wb.held - t.total," \
"  version = wb.version + 1, updated_at = now()" \
"  FROM t, jb JOIN aigw.wallets w ON w.id = jb.wallet_id" \
" WHERE wb.wallet_id = jb.wallet_id AND t.total > 0" \
" RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ aigw.ledger_scale(w.currency))::int8," \
"  wb.version"

static void
settle_chunk(Batch *b, Chunk *c)
{
	Datum		cols[13];
	Datum	   *v[13];
	bool	   *isnull[13];
	Oid			elem[13] = {TEXTOID, INT4OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, INT4OID};
	Oid			types[20];
	Datum		values[20];
	WriteBack	w = {b, c, -1};
	ErrorData  *edata;
	int			filled = 0;

	xact_begin();
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
	run_sql(LINES_SQL, 20, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	publish();

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
		run_sql("INSERT INTO aigw.job_errors (job_id, row_ctid, error) VALUES ($1, $2, $3)", 3, t3, v3, NULL,
			 SPI_OK_INSERT);
	}
	xact_end();
	if (edata != NULL)
		FreeErrorData(edata);
}

/*
 * What is done with a result line.  A provider that sends a line twice, a
 * line that names no row aigw sent, or more lines than the batch had, is
 * not believed: such lines are counted and dropped, never logged or
 * charged (a batch's charges are also capped by its hold).
 */
typedef enum LineFate
{
	LINE_KEPT,
	LINE_DUPLICATE,
	LINE_FOREIGN,
	LINE_EXTRA
} LineFate;

typedef struct SeenIds
{
	HTAB	   *ids;			/* custom_ids of this batch's lines read so far */
	int			dropped[4];		/* by LineFate */
} SeenIds;

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
static void
note_settled_line(Batch *b, AigwBatchWire wire, const char *api_style, const char *line, size_t len,
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
static LineFate
take_line(Batch *b, AigwBatchWire wire, const char *api_style, const char *line, size_t len,
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

/* ---------------------------------------------------------------------
 * A batch's turn
 * ---------------------------------------------------------------------
 */

/* The target of the batch's model, as its role sees it (the credential). */
static bool
resolve_as_role(Batch *b, AigwTarget *target, char **error)
{
	Oid			save_user;
	int			save_sec;
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	lookup_begin();
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(b->role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		aigw_resolve_model(b->model, target);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		*error = pstrdup(e->message);
		ok = false;
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_user, save_sec);
	lookup_end();
	return ok;
}

static void
set_poll_counts(Batch *b, const char *status, const char *error, int64 pause_ms, const AigwBatchStatus *st)
{
	Oid			types[8] = {INT8OID, INT4OID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID};
	Datum		values[8] = {Int64GetDatum(b->job), Int32GetDatum(b->seq),
		CStringGetTextDatum(status ? status : ""), CStringGetTextDatum(error ? error : ""),
		Int64GetDatum(pause_ms), Int64GetDatum(st ? st->total : 0), Int64GetDatum(st ? st->done : 0),
	Int64GetDatum(st ? st->failed : 0)};
	char		nulls[8] = {' ', ' ', status ? ' ' : 'n', error ? ' ' : 'n', ' ', st ? ' ' : 'n', ' ', ' '};

	run_sql("UPDATE aigw.job_batches SET polls = polls + 1, upstream_status = coalesce($3, upstream_status),"
			"       error = $4, next_poll_at = clock_timestamp() + $5 * interval '1 millisecond',"
			"       upstream_counts = CASE WHEN $6 IS NULL THEN upstream_counts"
			"                              ELSE jsonb_build_object('total', $6, 'done', $7, 'failed', $8) END"
			" WHERE job_id = $1 AND seq = $2", 8, types, values, nulls, SPI_OK_UPDATE);
}

static void
set_poll(Batch *b, const char *status, const char *error, int64 pause_ms)
{
	set_poll_counts(b, status, error, pause_ms, NULL);
}

/* A batch whose hand-over never got its provider id committed. */
static void
check_submitting(Batch *b)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2] = {Int64GetDatum(b->job), Int32GetDatum(b->seq)};

	xact_begin();
	/*
	 * Its session may have ended the hand-over (the provider's id, or the
	 * refusal that released the hold) since the batch was read: only a
	 * batch still submitting is looked at, locked against that session's
	 * last statement, else a refused batch would lose its error, or be
	 * released twice, and a batch at the provider be called lost.
	 */
	run_sql("SELECT 1 FROM aigw.job_batches WHERE job_id = $1 AND seq = $2 AND state = 'submitting' FOR UPDATE",
			2, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		;						/* the next turn sees what it became */
	else if (b->submitter_pid != MyProcPid && BackendPidGetProc(b->submitter_pid) != NULL)
		set_poll(b, NULL, NULL, SUBMITTING_CHECK_MS);
	else
		finish_batch(b, "lost",
					 psprintf("batch %d: the session handing it over ended before the provider's batch id was committed; its %d rows were not sent again by this job and stay NULL",
							  b->seq, b->lines));
	xact_end();
}

static void
poll_batch(Batch *b, AigwTarget *target, AigwBatchWire wire)
{
	AigwBatchStatus st;
	char	   *error = NULL;
	bool		asked;

	lookup_begin();
	asked = aigw_batch_poll_status(target, wire, b->batch_id, &st, &error);
	lookup_end();

	xact_begin();
	if (!asked)
		set_poll(b, NULL, error, poll_pause_ms(b->age_ms) * 2);
	else if (!st.ended)
		set_poll_counts(b, st.status, NULL, poll_pause_ms(b->age_ms), &st);
	else
	{
		Datum	   *elems = palloc(sizeof(Datum) * Max(st.nresults, 1));
		Oid			types[8] = {INT8OID, INT4OID, TEXTOID, TEXTARRAYOID, TEXTOID, INT8OID, INT8OID, INT8OID};
		Datum		values[8];
		char		nulls[8] = {' ', ' ', ' ', ' ', st.error ? ' ' : 'n', ' ', ' ', ' '};

		for (int i = 0; i < st.nresults; i++)
			elems[i] = CStringGetTextDatum(st.results[i]);
		values[0] = Int64GetDatum(b->job);
		values[1] = Int32GetDatum(b->seq);
		values[2] = CStringGetTextDatum(st.status);
		values[3] = PointerGetDatum(construct_array(elems, st.nresults, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = CStringGetTextDatum(st.error ? st.error : "");
		values[5] = Int64GetDatum(st.total);
		values[6] = Int64GetDatum(st.done);
		values[7] = Int64GetDatum(st.failed);
		run_sql("UPDATE aigw.job_batches SET state = 'settling', upstream_status = $3, results = $4,"
				"       error = $5, polls = polls + 1, next_poll_at = clock_timestamp(),"
				"       upstream_counts = jsonb_build_object('total', $6, 'done', $7, 'failed', $8)"
				" WHERE job_id = $1 AND seq = $2", 8, types, values, nulls, SPI_OK_UPDATE);
		next_due = 0;
	}
	xact_end();
}

/* Download the results, settle the lines not settled yet, end the batch. */
static void
settle_batch(Batch *b, AigwTarget *target, AigwBatchWire wire, int64 input_bound, int64 output_bound)
{
	Datum	   *files;
	int			nfiles;
	int			read = 0;
	Chunk	   *c = palloc(sizeof(Chunk));
	MemoryContext chunk_cxt = AllocSetContextCreate(CurrentMemoryContext, "aigw batch chunk",
													ALLOCSET_DEFAULT_SIZES);
	char	   *note = NULL;
	SeenIds		seen;
	HASHCTL		ctl = {.keysize = NAMEDATALEN * 2, .entrysize = NAMEDATALEN * 2,
	.hcxt = CurrentMemoryContext};

	memset(seen.dropped, 0, sizeof(seen.dropped));
	seen.ids = hash_create("aigw batch custom ids", Max(b->lines, 16), &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	deconstruct_array(b->results, TEXTOID, -1, false, TYPALIGN_INT, &files, NULL, &nfiles);
	c->n = c->consumed = 0;
	for (int f = 0; f < nfiles; f++)
	{
		size_t		len;
		char	   *error = NULL;
		char	   *body;
		char	   *p;

		lookup_begin();
		body = aigw_batch_download(target, wire, TextDatumGetCString(files[f]), &len, &error);
		lookup_end();
		if (body != NULL)
			body = aigw_batch_results_jsonl(wire, body, &len, &error);

		if (body == NULL)
		{
			/* asked again later: the results are the provider's until they expire */
			xact_begin();
			set_poll(b, NULL, error, poll_pause_ms(b->age_ms) * 2);
			xact_end();
			MemoryContextDelete(chunk_cxt);
			return;
		}
		for (p = body; p < body + len;)
		{
			char	   *nl = memchr(p, '\n', body + len - p);
			size_t		n = nl ? (size_t) (nl - p) : (size_t) (body + len - p);

			if (n > 0 && !(n == 1 && *p == '\r'))
			{
				MemoryContext old = MemoryContextSwitchTo(chunk_cxt);

				if (read++ < b->lines_settled)
					note_settled_line(b, wire, target->api_style, p, n, &seen);
				else
				{
					LineFate	fate = take_line(b, wire, target->api_style, p, n, input_bound,
												 output_bound, c, &seen);

					seen.dropped[fate]++;
					c->consumed++;
				}
				MemoryContextSwitchTo(old);
				if (c->n == SETTLE_CHUNK || c->consumed >= 4 * SETTLE_CHUNK)
				{
					settle_chunk(b, c);
					b->lines_settled += c->consumed;
					c->n = c->consumed = 0;
					MemoryContextReset(chunk_cxt);
				}
			}
			p = nl ? nl + 1 : body + len;
		}
		pfree(body);
	}
	if (c->consumed > 0)
		settle_chunk(b, c);
	MemoryContextDelete(chunk_cxt);
	if (b->lines_logged < b->lines)
		note = psprintf("batch %d (%s, %s): %d of its %d lines came back without a result; their rows stay NULL",
						b->seq, b->batch_id, b->status ? b->status : "ended", b->lines - b->lines_logged, b->lines);
	if (seen.dropped[LINE_DUPLICATE] + seen.dropped[LINE_FOREIGN] + seen.dropped[LINE_EXTRA] > 0)
		note = psprintf("%s%sbatch %d (%s): result lines not believed, neither logged nor charged: %d repeated, %d naming no row aigw sent, %d beyond the %d lines sent",
						note ? note : "", note ? "; " : "", b->seq, b->batch_id,
						seen.dropped[LINE_DUPLICATE], seen.dropped[LINE_FOREIGN], seen.dropped[LINE_EXTRA], b->lines);
	xact_begin();
	finish_batch(b, "done", note);
	xact_end();
}

/* The next open batch that is due, or false (and next_due set) when none is. */
static bool
next_batch(Batch *b, int64 *input_bound, int64 *output_bound)
{
	bool		found = false;
	bool		isnull;
	MemoryContext cxt = CurrentMemoryContext;

	xact_begin();
	if (SPI_execute("SELECT jb.job_id, jb.seq, jb.state, jb.role_oid, jb.provider, jb.model, j.model,"
					"       jb.endpoint = 'embeddings', jb.upstream_batch_id, jb.upstream_status, jb.results,"
					"       jb.lines, jb.lines_settled, jb.submitter_pid,"
					"       (extract(epoch FROM clock_timestamp() - jb.created_at) * 1000)::int8,"
					"       jb.write_back, jb.input_bound, jb.output_bound, jb.lines_ok + jb.lines_failed"
					"  FROM aigw.job_batches jb JOIN aigw.jobs j ON j.id = jb.job_id"
					" WHERE jb.state IN ('submitting', 'submitted', 'settling')"
					"   AND jb.next_poll_at <= clock_timestamp()"
					" ORDER BY jb.next_poll_at LIMIT 1", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the open batches");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		d;

		MemoryContextSwitchTo(cxt);
		b->job = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		b->seq = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		b->state = SPI_getvalue(tup, desc, 3);
		b->role = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
		b->role_name = GetUserNameFromId(b->role, true);
		if (b->role_name == NULL)
			b->role_name = psprintf("role %u", b->role);
		b->provider = SPI_getvalue(tup, desc, 5);
		b->model = SPI_getvalue(tup, desc, 6);
		b->requested_model = SPI_getvalue(tup, desc, 7);
		b->embedding = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
		b->batch_id = SPI_getvalue(tup, desc, 9);
		b->status = SPI_getvalue(tup, desc, 10);
		d = SPI_getbinval(tup, desc, 11, &isnull);
		b->results = isnull ? construct_empty_array(TEXTOID) : DatumGetArrayTypePCopy(d);
		b->lines = DatumGetInt32(SPI_getbinval(tup, desc, 12, &isnull));
		b->lines_settled = DatumGetInt32(SPI_getbinval(tup, desc, 13, &isnull));
		b->submitter_pid = DatumGetInt32(SPI_getbinval(tup, desc, 14, &isnull));
		b->age_ms = DatumGetInt64(SPI_getbinval(tup, desc, 15, &isnull));
		b->write_back = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 16, &isnull));
		*input_bound = DatumGetInt64(SPI_getbinval(tup, desc, 17, &isnull));
		d = SPI_getbinval(tup, desc, 18, &isnull);
		*output_bound = isnull ? -1 : DatumGetInt64(d);
		b->lines_logged = DatumGetInt32(SPI_getbinval(tup, desc, 19, &isnull));
		found = true;
	}
	else
	{
		/* a job whose batches all ended before its hand-over did */
		if (SPI_execute("UPDATE aigw.jobs j SET state = 'done', calls_in_flight = 0,"
						"       finished_at = clock_timestamp(), updated_at = clock_timestamp()"
						" WHERE j.state = 'submitted' AND j.batch_api"
						"   AND NOT EXISTS (SELECT 1 FROM aigw.job_batches b WHERE b.job_id = j.id"
						"                    AND b.state IN ('submitting', 'submitted', 'settling'))",
						false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not end the jobs whose batches have all ended");
		/* when the next one is due */
		if (SPI_execute("SELECT min(next_poll_at) FROM aigw.job_batches"
						" WHERE state IN ('submitting', 'submitted', 'settling')", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the open batches");
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			next_due = isnull ? DT_NOEND : DatumGetTimestampTz(d);
		}
	}
	MemoryContextSwitchTo(cxt);
	xact_end();
	MemoryContextSwitchTo(cxt);
	return found;
}

static void
batch_turn(Batch *b, int64 input_bound, int64 output_bound)
{
	AigwTarget	target;
	AigwBatchWire wire;
	const char *why = NULL;
	char	   *error = NULL;

	if (strcmp(b->state, "submitting") == 0)
		check_submitting(b);
	else if (!resolve_as_role(b, &target, &error) ||
			 !aigw_batch_wire_for(&target, b->embedding, &wire, &why))
	{
		/* asked again later: a credential can be fixed */
		xact_begin();
		set_poll(b, NULL, error ? error : why, POLL_MAX_MS);
		xact_end();
	}
	else if (strcmp(b->state, "submitted") == 0)
		poll_batch(b, &target, wire);
	else
		settle_batch(b, &target, wire, input_bound, output_bound);
}

long
aigw_batch_dispatch(bool woken)
{
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "aigw batch turn", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Batch		b;
	int64		input_bound;
	int64		output_bound;

	if (woken || now >= next_due)
	{
		next_due = 0;
		/* a few batches a turn, so the dispatcher's calls are not held up */
		for (int turn = 0; turn < 8 && next_batch(&b, &input_bound, &output_bound); turn++)
		{
			pgstat_report_activity(STATE_RUNNING, "aigw: provider batches");
			PG_TRY();
			{
				batch_turn(&b, input_bound, output_bound);
			}
			PG_CATCH();
			{
				/* one batch's trouble (a table it cannot write, say) stops only it, for a while */
				ErrorData  *e;

				MemoryContextSwitchTo(cxt);
				e = CopyErrorData();
				FlushErrorState();
				AbortCurrentTransaction();
				ereport(WARNING,
						(errmsg("aigw: batch %d of job " INT64_FORMAT " could not be seen to: %s",
								b.seq, b.job, e->message),
						 errhint("It is tried again in a minute; aigw.job_batches.error says why.")));
				xact_begin();
				set_poll(&b, NULL, e->message, POLL_MAX_MS);
				xact_end();
			}
			PG_END_TRY();
			pgstat_report_activity(STATE_IDLE, NULL);
			MemoryContextSwitchTo(cxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	if (next_due == 0)
		return 0;
	if (next_due == DT_NOEND)
		return -1;
	return Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_due), 0);
}

bool
aigw_batch_any_open(void)
{
	bool		open;

	xact_begin();
	SPI_execute("SELECT 1 FROM aigw.job_batches WHERE state IN ('submitting', 'submitted', 'settling') LIMIT 1",
				true, 1);
	open = SPI_processed > 0;
	xact_end();
	return open;
}
