/*
 * intent.c
 *	  A crash loses no served call (DESIGN.md, invariant 8).
 *
 * Before a worker sends a turn's new requests it inserts a row per attempt,
 * status 'pending', and commits with a flush: one fsync for every request
 * the turn starts.  The provider can only have served what has such a row,
 * so whatever happens next (a kill, a crash, an immediate shutdown) the
 * attempt is accounted for.  Settling it completes the same row
 * (settle.c); since the row was already durable, that commit need not be
 * flushed before the caller sees the answer.
 *
 * A row still pending when a worker starts, whose worker is no longer
 * alive, is resolved by the rule the README states: status 'unknown',
 * charged its reservation, since the provider may have served and billed
 * it and aigw cannot know for how much.  Jobs whose session is gone are
 * marked interrupted at the same time.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "billing/billing.h"
#include "catalog/catalog.h"
#include "worker/intent.h"
#include "worker/spi_rows.h"
#include "billing/wallet_cache.h"
#include "common/owner_query.h"

#define INTENT_NCOLUMNS 17

static const Oid intent_types[INTENT_NCOLUMNS] = {
	TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID, TEXTOID,
	INT8OID, TEXTOID, TEXTOID, INT8OID, JSONBOID, TEXTOID, INT4OID, TEXTOID, INT4OID
};

#define INTENT_COLUMNS \
" INSERT INTO aigw.requests (id, created_at, role_name, requested_model, served_model, provider," \
"  attempt, request_bytes, tags, wallet_id, currency, reserved, call_id, route, end_user, inputs," \
"  database_name, worker_pid, status)" \
" OVERRIDING SYSTEM VALUE"

/* A turn's rows; the ids are drawn first, to be read back by ordinality. */
static const char *const intents_sql =
"WITH i AS ("
" SELECT u.*, nextval('aigw.requests_id_seq'::regclass) AS id"
"  FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[],"
"   $7::int4[], $8::text[], $9::int8[], $10::text[], $11::text[], $12::int8[], $13::jsonb[],"
"   $14::text[], $15::int4[], $16::text[], $17::int4[])"
"  WITH ORDINALITY"
"  AS u(created_at, role_name, requested_model, served_model, provider, attempt, request_bytes,"
"   tags, wallet_id, currency, reserved, call_id, route, end_user, inputs, database_name,"
"   worker_pid, ord)"
"), r AS ("
INTENT_COLUMNS
" SELECT id, created_at, role_name, requested_model, served_model, provider, attempt,"
"  request_bytes, tags::jsonb, wallet_id, currency, reserved::numeric, coalesce(call_id, id),"
"  route, end_user, inputs, database_name, worker_pid, 'pending'"
"  FROM i"
")"
" SELECT ord, id FROM i";

/* A lone request: a single-row INSERT, cheaper than unnesting arrays of one. */
static const char *const intent_sql =
INTENT_COLUMNS
" SELECT id, $1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::numeric, coalesce($12, id),"
"  $13, $14, $15, $16, $17, 'pending'"
"  FROM (SELECT nextval('aigw.requests_id_seq'::regclass) AS id) n"
" RETURNING 1::int8, id";

static SPIPlanPtr intents_plan = NULL;
static SPIPlanPtr intent_plan = NULL;

static void
intent_row(AigwTransfer *t, Datum *values, char *nulls)
{
	AigwRequestMsg *rq = t->request;
	bool		billed = rq->wallet_id != 0;

	values[0] = TimestampTzGetDatum(rq->submitted_at);
	nulls[0] = ' ';
	aigw_spi_set_text(values, nulls, 1, AIGW_MSG_FIELD(rq, RQ_ROLE));
	aigw_spi_set_text(values, nulls, 2, AIGW_MSG_FIELD(rq, RQ_REQUESTED_MODEL));
	aigw_spi_set_text(values, nulls, 3, AIGW_MSG_FIELD_OR_NULL(rq, RQ_SERVED_MODEL));
	aigw_spi_set_text(values, nulls, 4, AIGW_MSG_FIELD_OR_NULL(rq, RQ_PROVIDER));
	values[5] = Int32GetDatum(rq->attempt);
	nulls[5] = ' ';
	values[6] = Int32GetDatum((int32) t->attempt.request_bytes);
	nulls[6] = ' ';
	aigw_spi_set_text(values, nulls, 7, AIGW_MSG_HAS(rq, RQ_TAGS) ? AIGW_MSG_FIELD(rq, RQ_TAGS) : "{}");
	values[8] = Int64GetDatum(rq->wallet_id);
	nulls[8] = billed ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 9, AIGW_MSG_FIELD_OR_NULL(rq, RQ_CURRENCY));
	aigw_spi_set_text(values, nulls, 10, billed ? aigw_units_text(rq->reserved, rq->scale) : NULL);
	values[11] = Int64GetDatum(rq->call_id);
	nulls[11] = rq->call_id != 0 ? ' ' : 'n';
	values[12] = t->attempt.route ? JsonbPGetDatum(t->attempt.route) : (Datum) 0;
	nulls[12] = t->attempt.route ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 13, AIGW_MSG_FIELD_OR_NULL(rq, RQ_END_USER));
	values[14] = Int32GetDatum(rq->inputs);
	nulls[14] = rq->inputs > 0 ? ' ' : 'n';
	aigw_spi_set_text(values, nulls, 15, aigw_spi_database_name());
	values[16] = Int32GetDatum(MyProcPid);
	nulls[16] = ' ';
}

/*
 * Run step(arg) in a transaction of its own, with SPI connected and a
 * snapshot set, and commit (flushed: the worker runs with synchronous_commit
 * on).  An error is logged and rolled back: false.
 */
static bool
in_transaction(void (*step) (void *), void *arg, const char *activity)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool committed = false;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, activity);
		step(arg);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_activity(STATE_IDLE, NULL);
		committed = true;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return committed;
}

void
aigw_intents_insert(void *arg)
{
	AigwIntents *in = arg;
	AigwTransfer **transfers = in->transfers;
	int			n = in->n;
	/* in SPI's memory: gone with the transaction */
	Datum	   *rows = palloc(sizeof(Datum) * n * INTENT_NCOLUMNS);
	char	   *nulls = palloc(n * INTENT_NCOLUMNS);
	int			rc;

	for (int k = 0; k < n; k++)
		intent_row(transfers[k], rows + k * INTENT_NCOLUMNS, nulls + k * INTENT_NCOLUMNS);
	if (n == 1)
		rc = SPI_execute_plan(aigw_spi_plan(&intent_plan, intent_sql, INTENT_NCOLUMNS, intent_types),
							  rows, nulls, false, 0);
	else
		rc = aigw_spi_execute_rows(&intents_plan, intents_sql, INTENT_NCOLUMNS, intent_types,
								   rows, nulls, n);
	if ((rc != SPI_OK_SELECT && rc != SPI_OK_INSERT_RETURNING) || SPI_processed != n)
		elog(ERROR, "could not record %d requests: %s", n, SPI_result_code_string(rc));
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull)) - 1;

		transfers[k]->attempt.intent_id =
			DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
	}
}

bool
aigw_intents_record(AigwTransfer **transfers, int n)
{
	AigwIntents in = {transfers, n};

	if (n == 0)
		return true;
	/* flushed, and under synchronous replication on the standby, before any leaves */
	if (in_transaction(aigw_intents_insert, &in, "aigw: recording requests before sending them"))
		return true;
	for (int k = 0; k < n; k++)
		transfers[k]->attempt.intent_id = 0;
	return false;
}

/* What resolving found: the balances of the wallets it charged. */
typedef struct Resolved
{
	int			nwallets;
	int64	   *wallet;
	int64	   *balance;
	int64	   *version;
	int64		attempts;
	Oid			relid;
	MemoryContext cxt;
} Resolved;

static void
resolve_step(void *arg)
{
	Resolved   *r = arg;
	MemoryContext spi;

	r->relid = aigw_table_oid("wallet_balances");
	if (SPI_execute("SELECT wallet_id, balance_units, balance_version, attempts"
					"  FROM aigw.resolve_intents()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not resolve the calls left in flight");
	spi = MemoryContextSwitchTo(r->cxt);
	r->wallet = palloc(sizeof(int64) * (SPI_processed + 1));
	r->balance = palloc(sizeof(int64) * (SPI_processed + 1));
	r->version = palloc(sizeof(int64) * (SPI_processed + 1));
	MemoryContextSwitchTo(spi);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tup = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		id;

		r->attempts += DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
		id = SPI_getbinval(tup, desc, 1, &isnull);
		if (isnull)
			continue;			/* the attempts no wallet pays */
		r->wallet[r->nwallets] = DatumGetInt64(id);
		r->balance[r->nwallets] = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		r->version[r->nwallets] = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
		r->nwallets++;
	}
}

/* One try; false if it failed (the error is logged). */
static bool
resolve_once(void)
{
	Resolved	r = {0};

	r.cxt = CurrentMemoryContext;
	if (!in_transaction(resolve_step, &r, "aigw: resolving calls left in flight"))
		return false;
	/* the shared-memory balances follow the table, as after a settle */
	for (int i = 0; i < r.nwallets; i++)
	{
		AigwWalletKey key = aigw_wallet_key(r.relid, r.wallet[i]);

		(void) aigw_wallet_observe(&key, r.balance[i], r.version[i]);
	}
	if (r.attempts > 0)
		ereport(LOG,
				(errmsg("aigw: " INT64_FORMAT " calls left in flight by a stopped worker were logged as unknown and charged their reservation",
						r.attempts)));
	return true;
}

void
aigw_intents_resolve(void)
{
	/*
	 * A try can fail on a deadlock with another worker's settle (both write
	 * wallet balances); a later try then finds fewer rows to resolve.  What
	 * is still pending after the last try waits for the next start.
	 */
	for (int i = 0; i < 3; i++)
		if (resolve_once())
			return;
}
