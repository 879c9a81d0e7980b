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
#include "commands/dbcommands.h"
#include "nodes/parsenodes.h"
#include "fmgr.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "storage/bufmgr.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "common/settings.h"
#include "batch/column_job.h"
#include "common/json_util.h"

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
aigw_column_job_begin(AigwColumnJob *j, FunctionCallInfo fcinfo, const char *what,
					  const char *filled_verb)
{
	bool		nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	Numeric		budget = PG_ARGISNULL(9) ? NULL : PG_GETARG_NUMERIC(9);

	aigw_require_preload();
	if (!nonatomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("aigw.%s commits as it goes and cannot run inside a transaction block",
						strcmp(what, "embed") == 0 ? "embed_column" : what),
				 errhint("CALL it on its own, outside BEGIN ... COMMIT.")));
	memset(j, 0, sizeof(*j));
	j->cxt = AllocSetContextCreate(TopMemoryContext, "aigw column job", ALLOCSET_DEFAULT_SIZES);
	j->scratch = AllocSetContextCreate(j->cxt, "aigw column job write", ALLOCSET_DEFAULT_SIZES);
	j->what = what;
	j->filled_verb = filled_verb;
	j->job = PG_GETARG_INT64(0);
	j->relid = PG_GETARG_OID(1);
	j->chunk_size = PG_GETARG_INT32(7);
	j->concurrency = PG_GETARG_INT32(8);
	j->budget = budget ? (Numeric) MemoryContextAlloc(j->cxt, VARSIZE(budget)) : NULL;
	if (budget)
		memcpy(j->budget, budget, VARSIZE(budget));
	j->cost = money_zero(j);
	j->spent = money_zero(j);
	j->max_call_cost = money_zero(j);
	j->started = GetCurrentTimestamp();
	/* SPI_finish comes back to the job's context, deleted right after */
	MemoryContextSwitchTo(j->cxt);
	j->source = quote_qualified_identifier(get_namespace_name(get_rel_namespace(j->relid)),
										   get_rel_name(j->relid));
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(j->cxt);
}

/* The next window, as a TID range [lo, hi); false once past the end of the table. */
static bool
next_window(AigwColumnJob *j, ItemPointer lo, ItemPointer hi)
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

/* Read the next windows until one has rows to fill, into the queue. */
static void
fetch(AigwColumnJob *j, const char *expr, const char *target_column)
{
	Oid			types[2] = {TIDOID, TIDOID};
	ItemPointerData lo,
				hi;
	Datum		args[2] = {PointerGetDatum(&lo), PointerGetDatum(&hi)};
	MemoryContext old;
	int16		typlen;
	bool		typbyval;

	if (j->read_plan == NULL)
	{
		j->read_plan = SPI_prepare(psprintf("SELECT t.ctid, %s FROM %s t"
											" WHERE t.ctid >= $1 AND t.ctid < $2 AND t.%s IS NULL",
											expr, j->source, target_column),
								   2, types);
		if (j->read_plan == NULL || SPI_keepplan(j->read_plan) != 0)
			elog(ERROR, "could not prepare the read of the rows of %s job " INT64_FORMAT, j->what, j->job);
	}
	j->qhead = j->qlen = 0;
	for (;;)
	{
		if (!next_window(j, &lo, &hi))
		{
			j->exhausted = true;
			return;
		}
		if (SPI_execute_plan(j->read_plan, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the rows of %s job " INT64_FORMAT, j->what, j->job);
		if (SPI_processed > 0)
			break;
		SPI_freetuptable(SPI_tuptable);
	}
	old = MemoryContextSwitchTo(j->cxt);
	if (j->qtids)
	{
		pfree(j->qtids);
		pfree(j->qvalues);
	}
	j->qlen = (int) SPI_processed;
	j->qtids = palloc(sizeof(ItemPointerData) * j->qlen);
	j->qvalues = palloc(sizeof(Datum) * j->qlen);
	get_typlenbyval(SPI_gettypeid(SPI_tuptable->tupdesc, 2), &typlen, &typbyval);
	for (int r = 0; r < j->qlen; r++)
	{
		bool		isnull;
		Datum		d;

		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
		j->qtids[r] = *(ItemPointer) DatumGetPointer(d);
		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
		/* a copy of its own, detoasted: it outlives the commits that may follow */
		j->qvalues[r] = isnull ? (Datum) 0
			: typlen == -1 ? PointerGetDatum(PG_DETOAST_DATUM_COPY(d)) : datumCopy(d, typbyval, typlen);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

bool
aigw_column_job_next_row(AigwColumnJob *j, const char *expr, const char *target_column,
						 ItemPointer tid, Datum *value)
{
	if (j->qhead == j->qlen)
	{
		if (j->exhausted)
			return false;
		fetch(j, expr, target_column);
		if (j->qlen == 0)
			return false;
	}
	*tid = j->qtids[j->qhead];
	*value = j->qvalues[j->qhead];
	j->qhead++;
	return true;
}

bool
aigw_column_job_rows_left(AigwColumnJob *j)
{
	return j->qhead < j->qlen || !j->exhausted;
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

/* The job's plans, kept across its commits, and its memory. */
static void
release(AigwColumnJob *j)
{
	if (j->read_plan)
		SPI_freeplan(j->read_plan);
	if (j->write_plan)
		SPI_freeplan(j->write_plan);
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextDelete(j->cxt);
}

void
aigw_column_job_run(AigwColumnJob *j, void (*body) (void *arg), void *arg)
{
	PG_TRY();
	{
		body(arg);
	}
	PG_CATCH();
	{
		release(j);
		PG_RE_THROW();
	}
	PG_END_TRY();
	report(j, "running");
	report(j, j->final_state ? j->final_state : j->stop ? "budget_reached" : "done");
	SPI_commit();
	SPI_finish();
	release(j);
}
