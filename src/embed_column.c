/*
 * embed_column.c
 *	  The loop of aigw.embed_column (the SQL procedure checks the arguments,
 *	  starts the job, then CALLs aigw.embed_column_run): a stream, not a
 *	  sequence of chunks.  Rows are read a batch at a time (keyset on ctid),
 *	  packed as the model allows, and kept in flight up to `concurrency`
 *	  requests; each finished request's vectors are written back at once,
 *	  while the others are still in flight, and the work is committed every
 *	  `chunk_size` rows.  So the pool never drains between chunks and the
 *	  table's reads and writes overlap the waits for the provider.
 *
 * The requests are run by the batch engine (batch.h), as a stream; they
 * outlive the commits (they belong to the pool, not to a transaction), and
 * their memory is the engine's, which outlives them too.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/itemptr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "aigw.h"
#include "batch.h"
#include "call.h"
#include "embed.h"
#include "embed_request.h"
#include "json_util.h"

PG_FUNCTION_INFO_V1(aigw_embed_column_run);

typedef struct Pack
{
	int			n;
	ItemPointerData *tids;
	text	  **texts;
} Pack;

typedef struct Job
{
	MemoryContext cxt;			/* outlives the commits */
	MemoryContext scratch;		/* one write's, reset after it */
	int64		job;
	const char *source;			/* quoted, qualified */
	const char *text_column;	/* quoted */
	const char *target_column;	/* quoted */
	const char *target_type;
	const char *model;
	Jsonb	   *options;
	bool		normalize;
	SPIPlanPtr	read_plan;		/* kept across the commits */
	SPIPlanPtr	write_plan;
	int			chunk_size;
	int			concurrency;
	Numeric		budget;			/* NULL: none */
	AigwTarget	target;
	int			max_inputs;
	/* rows read and not yet packed */
	ItemPointerData last_tid;
	ItemPointerData *qtids;
	text	  **qtexts;
	int			qhead;
	int			qlen;
	bool		exhausted;
	int			inflight;		/* as the batch engine last said */
	bool		stop;			/* the budget is reached: start no more */
	/* since the last report */
	int64		filled;
	int64		failed;
	Numeric		cost;			/* money is numeric here as in the ledger */
	char	   *currency;
	/* the whole run */
	int64		done;
	int64		failed_total;
	Numeric		spent;
	Numeric		max_pack_cost;
	int64		packs_done;
	int64		since_commit;
	TimestampTz started;
} Job;

/* Sums kept in the job's context, which outlives the commits. */
static Numeric
money_zero(Job *j)
{
	MemoryContext old = MemoryContextSwitchTo(j->cxt);
	Numeric		zero = int64_to_numeric(0);

	MemoryContextSwitchTo(old);
	return zero;
}

static Numeric
money_add(Job *j, Numeric a, Numeric b)
{
	MemoryContext old = MemoryContextSwitchTo(j->cxt);
	Numeric		sum = numeric_add_opt_error(a, b, NULL);

	MemoryContextSwitchTo(old);
	return sum;
}

static int
money_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

/* ---------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------
 */

/* The next rows whose target is NULL, after the last one read. */
static void
fetch(Job *j)
{
	Oid			types[2] = {TIDOID, INT4OID};
	Datum		args[2];
	int			want = Max(j->max_inputs * j->concurrency, 1000);
	MemoryContext old = MemoryContextSwitchTo(j->scratch);

	if (j->read_plan == NULL)
	{
		j->read_plan = SPI_prepare(psprintf("SELECT t.ctid, t.%s::text FROM %s t WHERE t.%s IS NULL AND t.ctid > $1"
											" ORDER BY t.ctid LIMIT $2",
											j->text_column, j->source, j->target_column),
								   2, types);
		if (j->read_plan == NULL || SPI_keepplan(j->read_plan) != 0)
			elog(ERROR, "could not prepare the read of the rows to embed");
	}
	args[0] = PointerGetDatum(&j->last_tid);
	args[1] = Int32GetDatum(want);
	if (SPI_execute_plan(j->read_plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the rows to embed");
	MemoryContextSwitchTo(j->cxt);
	if (j->qtids)
	{
		pfree(j->qtids);
		pfree(j->qtexts);
	}
	j->qtids = palloc(sizeof(ItemPointerData) * Max(SPI_processed, 1));
	j->qtexts = palloc(sizeof(text *) * Max(SPI_processed, 1));
	j->qhead = 0;
	j->qlen = (int) SPI_processed;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		Datum		d;

		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
		j->qtids[r] = *(ItemPointer) DatumGetPointer(d);
		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
		j->qtexts[r] = isnull ? NULL : DatumGetTextPCopy(d);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(j->scratch);
	if (j->qlen > 0)
		j->last_tid = j->qtids[j->qlen - 1];
	else
		j->exhausted = true;
	SPI_freetuptable(SPI_tuptable);
}

/* ---------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------
 */

static void
row_error(Job *j, ItemPointer tid, const char *error)
{
	Oid			types[3] = {INT8OID, TIDOID, TEXTOID};
	Datum		args[3] = {Int64GetDatum(j->job), PointerGetDatum(tid), CStringGetTextDatum(error)};

	if (SPI_execute_with_args("SELECT aigw.job_error($1, $2, $3)", 3, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not record a row's error");
	j->failed++;
}

/* A finished request: its vectors into their rows, or its error into each row's. */
static void
write_pack(Job *j, Pack *p, AigwCall *call)
{
	MemoryContext old = MemoryContextSwitchTo(j->scratch);
	Jsonb	   *answer = call->result;
	char	   *why = call->error ? aigw_call_error_text(call->error) : NULL;
	JsonbValue *data = answer ? aigw_embed_answer_vectors(answer, p->n, &why) : NULL;

	if (data != NULL)
	{
		Datum	   *tids = palloc(sizeof(Datum) * p->n);
		Datum	   *vectors = palloc(sizeof(Datum) * p->n);
		Datum		args[3];
		JsonbValue *cost = aigw_jsonb_path2(&answer->root, "aigw", "cost");

		if (j->write_plan == NULL)
		{
			Oid			types[3] = {TIDARRAYOID, TEXTARRAYOID, BOOLOID};

			/* the worker's base64 float32 straight into real[]: no trip through decimal text */
			j->write_plan = SPI_prepare(psprintf("UPDATE %s t SET %s = aigw.vector_from_base64(x.v, $3)::%s"
												 "  FROM unnest($1, $2) x(id, v)"
												 " WHERE t.ctid = x.id AND t.%s IS NULL",
												 j->source, j->target_column, j->target_type, j->target_column),
										3, types);
			if (j->write_plan == NULL || SPI_keepplan(j->write_plan) != 0)
				elog(ERROR, "could not prepare the write of the vectors");
		}
		for (int k = 0; k < p->n; k++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(data->val.binary.data, k);

			if (v == NULL || v->type != jbvString)
				elog(ERROR, "the embeddings answer has no vector %d", k);
			tids[k] = PointerGetDatum(&p->tids[k]);
			vectors[k] = PointerGetDatum(cstring_to_text_with_len(v->val.string.val, v->val.string.len));
		}
		args[0] = PointerGetDatum(construct_array(tids, p->n, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
		args[1] = PointerGetDatum(construct_array(vectors, p->n, TEXTOID, -1, false, TYPALIGN_INT));
		args[2] = BoolGetDatum(j->normalize);
		if (SPI_execute_plan(j->write_plan, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not write the vectors back");
		j->filled += SPI_processed;
		j->since_commit += SPI_processed;
		if (cost != NULL && cost->type == jbvNumeric)
		{
			Numeric		was_cost = j->cost;
			Numeric		was_spent = j->spent;

			j->cost = money_add(j, was_cost, cost->val.numeric);
			j->spent = money_add(j, was_spent, cost->val.numeric);
			pfree(was_cost);
			pfree(was_spent);
			if (money_cmp(cost->val.numeric, j->max_pack_cost) > 0)
			{
				pfree(j->max_pack_cost);
				j->max_pack_cost = (Numeric) MemoryContextAlloc(j->cxt, VARSIZE(cost->val.numeric));
				memcpy(j->max_pack_cost, cost->val.numeric, VARSIZE(cost->val.numeric));
			}
			if (j->currency == NULL)
			{
				char	   *currency = aigw_jsonb_cstring(aigw_jsonb_path2(&answer->root, "aigw", "currency"));

				j->currency = MemoryContextStrdup(j->cxt, currency ? currency : "");
			}
		}
	}
	else
		for (int k = 0; k < p->n; k++)
			row_error(j, &p->tids[k], why ? why : "no answer");
	j->packs_done++;
	MemoryContextSwitchTo(old);
	MemoryContextReset(j->scratch);
}

static void
report(Job *j, const char *state)
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

/* Report and commit; the requests in flight go on. */
static void
commit_progress(Job *j)
{
	double		secs = Max(TimestampDifferenceMilliseconds(j->started, GetCurrentTimestamp()) / 1000.0, 0.001);

	report(j, "running");
	SPI_commit();
	j->since_commit = 0;
	ereport(NOTICE,
			(errmsg("embed job " INT64_FORMAT ": " INT64_FORMAT " rows embedded, " INT64_FORMAT " failed, %.0f rows/s, %d requests in flight, cost %s %s",
					j->job, j->done, j->failed_total, (j->done + j->failed_total) / secs, j->inflight,
					DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(j->spent))),
					j->currency ? j->currency : "")));
}

/* ---------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------
 */

/* The next pack of rows (in the current memory context), or NULL when there are none left. */
static Pack *
next_pack(Job *j)
{
	Pack	   *p = palloc(sizeof(Pack));
	int64		tokens = 0;

	p->n = 0;
	p->tids = palloc(sizeof(ItemPointerData) * j->max_inputs);
	p->texts = palloc(sizeof(text *) * j->max_inputs);
	for (;;)
	{
		text	   *t;
		char	   *refused;
		int64		need;

		if (j->qhead == j->qlen)
		{
			if (j->exhausted)
				break;
			fetch(j);
			if (j->qlen == 0)
				break;
		}
		t = j->qtexts[j->qhead];
		if (t == NULL || (refused = aigw_embed_refusal(j->model, &j->target, t, NULL)) != NULL)
		{
			row_error(j, &j->qtids[j->qhead], t == NULL ? "the text is NULL" : refused);
			j->qhead++;
			continue;
		}
		need = aigw_embed_token_estimate(VARSIZE_ANY_EXHDR(t));
		if (!aigw_embed_fits(&j->target, p->n, tokens, need))
			break;
		p->tids[p->n] = j->qtids[j->qhead];
		p->texts[p->n] = t;
		p->n++;
		tokens += need;
		j->qhead++;
	}
	return p->n > 0 ? p : NULL;
}

/* ---------------------------------------------------------------------
 * The stream of requests, run by the batch engine (batch.h)
 * ---------------------------------------------------------------------
 */

static Jsonb *
stream_next(void *arg, void **data)
{
	Job		   *j = arg;
	Pack	   *p = next_pack(j);

	*data = p;
	return p ? aigw_embed_texts_json(p->texts, NULL, p->n) : NULL;
}

static void
stream_done(void *arg, void *data, AigwCall *call)
{
	write_pack((Job *) arg, (Pack *) data, call);
}

/* Whether the budget leaves room for one more request in flight. */
static bool
stream_may_start(void *arg, int inflight)
{
	Job		   *j = arg;
	Numeric		worst;
	bool		room;

	if (j->budget == NULL)
		return true;
	if (j->packs_done == 0)
		return inflight == 0;	/* one request first, to learn what one costs */
	worst = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(j->max_pack_cost),
												NumericGetDatum(int64_to_numeric(inflight + 1))));
	room = money_cmp(numeric_add_opt_error(j->spent, worst, NULL), j->budget) <= 0;
	/* nothing in flight can free room: stop, unless nothing is left */
	if (!room && inflight == 0 && (j->qhead < j->qlen || !j->exhausted))
		j->stop = true;
	return room;
}

static void
stream_after(void *arg, int inflight)
{
	Job		   *j = arg;

	j->inflight = inflight;
	if (j->since_commit >= j->chunk_size)
		commit_progress(j);
}

/*
 * CALL aigw.embed_column_run(job, source, text_column, target_column,
 *							  target_type, model, options, chunk_size,
 *							  concurrency, max_cost)
 */
Datum
aigw_embed_column_run(PG_FUNCTION_ARGS)
{
	bool		nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	Job			j;
	AigwBatchSource src = {stream_next, stream_done, stream_may_start, stream_after, &j};
	MemoryContext cxt;
	const char *state;

	aigw_require_preload();
	if (!nonatomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("aigw.embed_column commits as it goes and cannot run inside a transaction block"),
				 errhint("CALL it on its own, outside BEGIN ... COMMIT.")));
	cxt = AllocSetContextCreate(TopMemoryContext, "aigw embed_column", ALLOCSET_DEFAULT_SIZES);
	memset(&j, 0, sizeof(j));
	j.cxt = cxt;
	j.scratch = AllocSetContextCreate(cxt, "aigw embed_column write", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	j.job = PG_GETARG_INT64(0);
	j.source = quote_qualified_identifier(get_namespace_name(get_rel_namespace(PG_GETARG_OID(1))),
										  get_rel_name(PG_GETARG_OID(1)));
	j.text_column = quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	j.target_column = quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	j.target_type = text_to_cstring(PG_GETARG_TEXT_PP(4));
	j.model = text_to_cstring(PG_GETARG_TEXT_PP(5));
	j.options = PG_GETARG_JSONB_P_COPY(6);
	j.chunk_size = PG_GETARG_INT32(7);
	j.concurrency = PG_GETARG_INT32(8);
	j.budget = PG_ARGISNULL(9) ? NULL : PG_GETARG_NUMERIC_COPY(9);
	j.cost = money_zero(&j);
	j.spent = money_zero(&j);
	j.max_pack_cost = money_zero(&j);
	j.normalize = aigw_embed_options(j.options).normalize;

	ItemPointerSet(&j.last_tid, 0, 0);
	j.started = GetCurrentTimestamp();

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PG_TRY();
	{
		aigw_embed_target(j.model, &j.target);
		j.max_inputs = aigw_embed_max_inputs(&j.target);
		aigw_batch_stream(j.model, j.options, true, j.concurrency, &src);
	}
	PG_CATCH();
	{
		if (j.read_plan)
			SPI_freeplan(j.read_plan);
		if (j.write_plan)
			SPI_freeplan(j.write_plan);
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	state = j.stop ? "budget_reached" : "done";
	report(&j, "running");
	report(&j, state);
	SPI_commit();
	if (j.read_plan)
		SPI_freeplan(j.read_plan);
	if (j.write_plan)
		SPI_freeplan(j.write_plan);
	SPI_finish();
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextDelete(cxt);
	PG_RETURN_VOID();
}
