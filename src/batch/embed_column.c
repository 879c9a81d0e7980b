/*
 * embed_column.c
 *	  The loop of aigw.embed_column (the SQL procedure checks the arguments,
 *	  starts the job, then CALLs aigw.embed_column_run): a stream, not a
 *	  sequence of chunks.  Rows are read a window at a time (column_job.h),
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
#include "storage/itemptr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/settings.h"
#include "batch/batch.h"
#include "caller/call.h"
#include "batch/column_job.h"
#include "batch/embed.h"
#include "catalog/embed_request.h"
#include "common/json_util.h"

PG_FUNCTION_INFO_V1(aigw_embed_column_run);

typedef struct Pack
{
	int			n;
	ItemPointerData *tids;
	text	  **texts;
} Pack;

typedef struct Job
{
	AigwColumnJob cj;			/* first: the bookkeeping */
	const char *text_expr;		/* the text column as text, over alias t */
	const char *target_column;	/* quoted */
	const char *target_type;
	const char *model;
	Jsonb	   *options;
	bool		normalize;
	AigwTarget	target;
	int			max_inputs;
	/* a row read but left for the next request (the last one was full) */
	bool		held;
	ItemPointerData held_tid;
	text	   *held_text;
} Job;

/* ---------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------
 */

/* A finished request: its vectors into their rows, or its error into each row's. */
static void
write_pack(Job *j, Pack *p, AigwCall *call)
{
	MemoryContext old = MemoryContextSwitchTo(j->cj.scratch);
	Jsonb	   *answer = call->result;
	char	   *why = call->error ? aigw_call_error_text(call->error) : NULL;
	JsonbValue *data = answer ? aigw_embed_answer_vectors(answer, p->n, &why) : NULL;

	if (data != NULL)
	{
		Datum	   *tids = palloc(sizeof(Datum) * p->n);
		Datum	   *vectors = palloc(sizeof(Datum) * p->n);
		Datum		args[3];

		if (j->cj.write_plan == NULL)
		{
			Oid			types[3] = {TIDARRAYOID, TEXTARRAYOID, BOOLOID};

			/* the worker's base64 float32 straight into real[]: no trip through decimal text */
			j->cj.write_plan = SPI_prepare(psprintf("UPDATE %s t SET %s = aigw.vector_from_base64(x.v, $3)::%s"
												 "  FROM unnest($1, $2) x(id, v)"
												 " WHERE t.ctid = x.id AND t.%s IS NULL",
												 j->cj.source, j->target_column, j->target_type, j->target_column),
										3, types);
			if (j->cj.write_plan == NULL || SPI_keepplan(j->cj.write_plan) != 0)
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
		if (SPI_execute_plan(j->cj.write_plan, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not write the vectors back");
		aigw_column_job_paid(&j->cj, answer);
		aigw_column_job_filled(&j->cj, (int64) SPI_processed);
	}
	else
		for (int k = 0; k < p->n; k++)
			aigw_column_job_row_error(&j->cj, &p->tids[k], why ? why : "no answer");
	MemoryContextSwitchTo(old);
	MemoryContextReset(j->cj.scratch);
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
		ItemPointerData tid;
		text	   *t;
		char	   *refused;
		int64		need;

		if (j->held)
		{
			tid = j->held_tid;
			t = j->held_text;
			j->held = false;
		}
		else
		{
			Datum		value;

			if (!aigw_column_job_next_row(&j->cj, j->text_expr, j->target_column, &tid, &value))
				break;
			t = value ? (text *) DatumGetPointer(value) : NULL;
		}
		if (t == NULL || (refused = aigw_embed_refusal(j->model, &j->target, t, NULL)) != NULL)
		{
			aigw_column_job_row_error(&j->cj, &tid, t == NULL ? "the text is NULL" : refused);
			if (t)
				pfree(t);
			continue;
		}
		need = aigw_embed_token_estimate(VARSIZE_ANY_EXHDR(t));
		if (!aigw_embed_fits(&j->target, p->n, tokens, need))
		{
			j->held = true;
			j->held_tid = tid;
			j->held_text = t;
			break;
		}
		p->tids[p->n] = tid;
		p->texts[p->n] = t;
		p->n++;
		tokens += need;
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
	Jsonb	   *payload;

	*data = p;
	if (p == NULL)
		return NULL;
	payload = aigw_embed_texts_json(p->texts, NULL, p->n);
	for (int k = 0; k < p->n; k++)
		pfree(p->texts[k]);
	return payload;
}

static void
stream_done(void *arg, void *data, AigwCall *call)
{
	write_pack((Job *) arg, (Pack *) data, call);
}

static bool
stream_may_start(void *arg, int inflight)
{
	Job		   *j = arg;

	return aigw_column_job_may_start(&j->cj, inflight, j->held || aigw_column_job_rows_left(&j->cj));
}

static void
stream_after(void *arg, int inflight)
{
	aigw_column_job_after(&((Job *) arg)->cj, inflight);
}

static void
run(void *arg)
{
	Job		   *j = arg;
	AigwBatchSource src = {stream_next, stream_done, stream_may_start, stream_after, j};

	aigw_embed_target(j->model, &j->target);
	j->max_inputs = aigw_embed_max_inputs(&j->target);
	aigw_batch_stream(j->model, j->options, true, j->cj.concurrency, &src);
}

/*
 * CALL aigw.embed_column_run(job, source, text_column, target_column,
 *							  target_type, model, options, chunk_size,
 *							  concurrency, max_cost)
 */
Datum
aigw_embed_column_run(PG_FUNCTION_ARGS)
{
	Job			j;

	memset(&j, 0, sizeof(j));
	aigw_column_job_begin(&j.cj, fcinfo, "embed", "embedded");
	j.text_expr = psprintf("t.%s::text", quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(2))));
	j.target_column = quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	j.target_type = text_to_cstring(PG_GETARG_TEXT_PP(4));
	j.model = text_to_cstring(PG_GETARG_TEXT_PP(5));
	j.options = PG_GETARG_JSONB_P_COPY(6);
	j.normalize = aigw_embed_options(j.options).normalize;

	aigw_column_job_run(&j.cj, run, &j);
	PG_RETURN_VOID();
}
