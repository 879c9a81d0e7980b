/*
 * column_job.c
 *	  Bookkeeping shared by the C loops of aigw.enrich and aigw.embed_column
 *	  (column_job.h).  Progress goes to aigw.jobs through aigw.job_report and
 *	  row failures through aigw.job_error, which run as the caller, with row
 *	  policies; they are committed every chunk_size rows while the calls in
 *	  flight go on (they belong to the pool, not to a transaction).
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "column_job.h"
#include "json_util.h"

/* Money sums are kept in the job's context, which outlives the commits. */
static Numeric
money_zero(AigwColumnJob *j)
{
	MemoryContext old = MemoryContextSwitchTo(j->cxt);
	Numeric		zero = int64_to_numeric(0);

	MemoryContextSwitchTo(old);
	return zero;
}

static void
money_add(AigwColumnJob *j, Numeric *sum, Numeric x)
{
	MemoryContext old = MemoryContextSwitchTo(j->cxt);
	Numeric		was = *sum;

	*sum = numeric_add_opt_error(was, x, NULL);
	pfree(was);
	MemoryContextSwitchTo(old);
}

static int
money_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

void
aigw_column_job_begin(AigwColumnJob *j, const char *what, const char *filled_verb,
					  int64 job, Oid relid, int chunk_size, int concurrency, Numeric budget)
{
	memset(j, 0, sizeof(*j));
	j->relid = relid;
	j->cxt = AllocSetContextCreate(TopMemoryContext, "aigw column job", ALLOCSET_DEFAULT_SIZES);
	j->scratch = AllocSetContextCreate(j->cxt, "aigw column job write", ALLOCSET_DEFAULT_SIZES);
	j->what = what;
	j->filled_verb = filled_verb;
	j->job = job;
	j->chunk_size = chunk_size;
	j->concurrency = concurrency;
	j->budget = budget ? (Numeric) MemoryContextAlloc(j->cxt, VARSIZE(budget)) : NULL;
	if (budget)
		memcpy(j->budget, budget, VARSIZE(budget));
	j->cost = money_zero(j);
	j->spent = money_zero(j);
	j->max_call_cost = money_zero(j);
	j->started = GetCurrentTimestamp();
	/* SPI_finish comes back to the job's context, deleted right after */
	MemoryContextSwitchTo(j->cxt);
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(j->cxt);
}

bool
aigw_column_job_window(AigwColumnJob *j, ItemPointer lo, ItemPointer hi)
{
	if (j->next_block >= j->nblocks)
	{
		/* the table may have grown since (rows added, or moved by updates) */
		Relation	rel = table_open(j->relid, AccessShareLock);

		j->nblocks = RelationGetNumberOfBlocks(rel);
		table_close(rel, NoLock);
		if (j->next_block >= j->nblocks)
			return false;
	}
	ItemPointerSet(lo, j->next_block, 0);
	j->next_block += Min(AIGW_WINDOW_BLOCKS, MaxBlockNumber - j->next_block);
	ItemPointerSet(hi, j->next_block, 0);
	return true;
}

void
aigw_column_job_row_error(AigwColumnJob *j, ItemPointer tid, const char *error)
{
	Oid			types[3] = {INT8OID, TIDOID, TEXTOID};
	Datum		args[3] = {Int64GetDatum(j->job), PointerGetDatum(tid), CStringGetTextDatum(error)};

	if (SPI_execute_with_args("SELECT aigw.job_error($1, $2, $3)", 3, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not record a row's error");
	j->failed++;
}

void
aigw_column_job_filled(AigwColumnJob *j, int64 rows)
{
	j->filled += rows;
	j->since_commit += rows;
}

void
aigw_column_job_paid(AigwColumnJob *j, Jsonb *answer)
{
	JsonbValue *cost = aigw_jsonb_path2(&answer->root, "aigw", "cost");

	j->calls_done++;
	if (cost == NULL || cost->type != jbvNumeric)
		return;
	money_add(j, &j->cost, cost->val.numeric);
	money_add(j, &j->spent, cost->val.numeric);
	if (money_cmp(cost->val.numeric, j->max_call_cost) > 0)
	{
		pfree(j->max_call_cost);
		j->max_call_cost = (Numeric) MemoryContextAlloc(j->cxt, VARSIZE(cost->val.numeric));
		memcpy(j->max_call_cost, cost->val.numeric, VARSIZE(cost->val.numeric));
	}
	if (j->currency == NULL)
	{
		char	   *currency = aigw_jsonb_cstring(aigw_jsonb_path2(&answer->root, "aigw", "currency"));

		j->currency = MemoryContextStrdup(j->cxt, currency ? currency : "");
	}
}

bool
aigw_column_job_may_start(AigwColumnJob *j, int inflight, bool more_left)
{
	Numeric		worst;
	bool		room;

	if (j->budget == NULL)
		return true;
	if (j->calls_done == 0)
		return inflight == 0;
	worst = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(j->max_call_cost),
												NumericGetDatum(int64_to_numeric(inflight + 1))));
	room = money_cmp(numeric_add_opt_error(j->spent, worst, NULL), j->budget) <= 0;
	/* nothing in flight can free room: stop, unless nothing is left */
	if (!room && inflight == 0 && more_left)
		j->stop = true;
	return room;
}

static void
report(AigwColumnJob *j, const char *state)
{
	Oid			types[7] = {INT8OID, INT8OID, INT8OID, INT4OID, NUMERICOID, TEXTOID, TEXTOID};
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	args[0] = Int64GetDatum(j->job);
	args[1] = Int64GetDatum(j->filled);
	args[2] = Int64GetDatum(j->failed);
	args[3] = Int32GetDatum(j->inflight);
	args[4] = NumericGetDatum(j->cost);
	args[5] = j->currency ? CStringGetTextDatum(j->currency) : (Datum) 0;
	nulls[5] = j->currency ? ' ' : 'n';
	args[6] = CStringGetTextDatum(state);
	if (SPI_execute_with_args("SELECT aigw.job_report($1, $2, $3, $4, $5, $6, $7)", 7, types, args, nulls,
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not report the job's progress");
	j->done += j->filled;
	j->failed_total += j->failed;
	j->filled = j->failed = 0;
	pfree(j->cost);
	j->cost = money_zero(j);
}

void
aigw_column_job_after(AigwColumnJob *j, int inflight)
{
	double		secs;

	j->inflight = inflight;
	if (j->since_commit < j->chunk_size)
		return;
	report(j, "running");
	SPI_commit();
	j->since_commit = 0;
	secs = Max(TimestampDifferenceMilliseconds(j->started, GetCurrentTimestamp()) / 1000.0, 0.001);
	ereport(NOTICE,
			(errmsg("%s job " INT64_FORMAT ": " INT64_FORMAT " rows %s, " INT64_FORMAT " failed, %.0f rows/s, %d calls in flight, cost %s %s",
					j->what, j->job, j->done, j->filled_verb, j->failed_total,
					(j->done + j->failed_total) / secs, j->inflight,
					DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(j->spent))),
					j->currency ? j->currency : "")));
}

void
aigw_column_job_end(AigwColumnJob *j)
{
	report(j, "running");
	report(j, j->stop ? "budget_reached" : "done");
	SPI_commit();
	SPI_finish();
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextDelete(j->cxt);
}
