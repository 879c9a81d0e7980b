/*
 * enrich.c
 *	  The loop of aigw.enrich (the SQL procedure checks the arguments,
 *	  renders the prompt template into an SQL expression, starts the job,
 *	  then CALLs aigw.enrich_run): a stream of calls, not a sequence of
 *	  chunks.  Rows are read a window at a time (column_job.h) with their
 *	  rendered messages, kept in flight up to `concurrency` calls, and the
 *	  answers are written back after every wake-up while the other calls are
 *	  still in flight; the work is committed every `chunk_size` rows.  So the
 *	  pool never drains between chunks (a chunk's slowest call no longer
 *	  holds up the next chunk's first).
 *
 * A call refused because the model's circuit is open (5G012) was not sent:
 * its row is kept, no new call starts until the circuit's cooldown has
 * passed, and the row is sent again then, up to ten times, rather than mark
 * a whole table failed in a few seconds.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/itemptr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "batch/batch.h"
#include "caller/call.h"
#include "batch/column_job.h"
#include "routing/health.h"
#include "common/json_util.h"
#include "routing/retry.h"

PG_FUNCTION_INFO_V1(aigw_enrich_run);

#define CIRCUIT_WAITS 10		/* times a row is sent again after an open circuit */

/*
 * A row in flight, or waiting for an open circuit's cooldown, in the job's
 * context: freed with its conversation (the call's payload as it was read)
 * once the call is over, or kept as it is while the row waits.
 */
typedef struct Row
{
	ItemPointerData tid;
	Jsonb	   *messages;
	int			circuit_waits;
} Row;

typedef struct Job
{
	AigwColumnJob cj;			/* first: the bookkeeping */
	const char *target_column;	/* quoted */
	bool		json_target;
	const char *message_sql;	/* the rendered conversation, over alias t */
	const char *model;
	Jsonb	   *options;
	/* rows refused by an open circuit, sent again once it may have closed */
	List	   *waiting;
	TimestampTz resume_at;
	int			circuit_rounds;
	/* answers taken since the last write: text, or jsonb for a jsonb target */
	MemoryContext answers_cxt;
	ItemPointerData *atids;
	Datum	   *avalues;
	int			nanswers;
} Job;

/* ---------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------
 */

Datum
aigw_enrich_answer_value(Jsonb *answer, bool json_target, char **why)
{
	JsonbValue *choices = aigw_jsonb_key(&answer->root, "choices");
	JsonbValue *choice = aigw_jsonb_is_array(choices)
		? getIthJsonbValueFromContainer(choices->val.binary.data, 0) : NULL;
	JsonbValue *message = aigw_jsonb_is_object(choice)
		? aigw_jsonb_key(choice->val.binary.data, "message") : NULL;
	JsonbValue *content = aigw_jsonb_is_object(message)
		? aigw_jsonb_key(message->val.binary.data, "content") : NULL;
	char	   *text;
	char	   *parse_error = NULL;
	Jsonb	   *json;

	if (content == NULL || content->type != jbvString)
	{
		char	   *finish = aigw_jsonb_is_object(choice)
			? aigw_jsonb_cstring(aigw_jsonb_key(choice->val.binary.data, "finish_reason")) : NULL;

		*why = psprintf("the answer has no text (finish_reason %s)", finish ? finish : "none");
		return (Datum) 0;
	}
	if (!json_target)
		return PointerGetDatum(cstring_to_text_with_len(content->val.string.val, content->val.string.len));
	text = pnstrdup(content->val.string.val, content->val.string.len);
	if ((json = aigw_jsonb_parse(text, &parse_error)) == NULL)
	{
		*why = psprintf("the answer is not JSON: %s",
						pnstrdup(text, pg_mbcharcliplen(text, strlen(text), 200)));
		return (Datum) 0;
	}
	return JsonbPGetDatum(json);
}

/* The answers taken since the last write into their rows, in one statement. */
static void
write_answers(Job *j)
{
	MemoryContext old;
	Datum		args[2];
	Datum	   *tids;

	if (j->nanswers == 0)
		return;
	old = MemoryContextSwitchTo(j->cj.scratch);
	if (j->cj.write_plan == NULL)
	{
		Oid			types[2] = {TIDARRAYOID, j->json_target ? JSONBARRAYOID : TEXTARRAYOID};

		j->cj.write_plan = SPI_prepare(psprintf("UPDATE %s t SET %s = x.a FROM unnest($1, $2) x(id, a)"
												" WHERE t.ctid = x.id AND t.%s IS NULL",
												j->cj.source, j->target_column, j->target_column),
									   2, types);
		if (j->cj.write_plan == NULL || SPI_keepplan(j->cj.write_plan) != 0)
			elog(ERROR, "could not prepare the write of the answers");
	}
	tids = palloc(sizeof(Datum) * j->nanswers);
	for (int k = 0; k < j->nanswers; k++)
		tids[k] = PointerGetDatum(&j->atids[k]);
	args[0] = PointerGetDatum(construct_array(tids, j->nanswers, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
	args[1] = PointerGetDatum(construct_array(j->avalues, j->nanswers, j->json_target ? JSONBOID : TEXTOID,
											  -1, false, TYPALIGN_INT));
	if (SPI_execute_plan(j->cj.write_plan, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not write the answers back");
	aigw_column_job_filled(&j->cj, (int64) SPI_processed);
	MemoryContextSwitchTo(old);
	MemoryContextReset(j->cj.scratch);
	MemoryContextReset(j->answers_cxt);
	j->nanswers = 0;
	j->atids = NULL;
	j->avalues = NULL;
}

/* A call is over: its answer is kept for the next write, or its row fails or waits. */
static void
take(Job *j, Row *row, AigwCall *call)
{
	char	   *why = NULL;
	Datum		value;
	MemoryContext old;
	ItemPointerData tid;

	if (call->error && call->error->sqlstate == ERRCODE_AIGW_CIRCUIT_OPEN &&
		row->circuit_waits < CIRCUIT_WAITS)
	{
		row->circuit_waits++;
		old = MemoryContextSwitchTo(j->cj.cxt);
		j->waiting = lappend(j->waiting, row);
		MemoryContextSwitchTo(old);
		if (j->resume_at < GetCurrentTimestamp())
			j->resume_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), aigw_circuit_cooldown_ms);
		return;
	}
	tid = row->tid;
	pfree(row->messages);
	pfree(row);
	if (call->error)
	{
		aigw_column_job_row_error(&j->cj, &tid, aigw_call_error_text(call->error));
		return;
	}
	aigw_column_job_paid(&j->cj, call->result);
	old = MemoryContextSwitchTo(j->answers_cxt);
	value = aigw_enrich_answer_value(call->result, j->json_target, &why);
	if (value == (Datum) 0)
	{
		MemoryContextSwitchTo(old);
		aigw_column_job_row_error(&j->cj, &tid, why);
		return;
	}
	if (j->atids == NULL)
	{
		j->atids = palloc(sizeof(ItemPointerData) * j->cj.concurrency);
		j->avalues = palloc(sizeof(Datum) * j->cj.concurrency);
	}
	else if (j->nanswers % j->cj.concurrency == 0)
	{
		j->atids = repalloc(j->atids, sizeof(ItemPointerData) * (j->nanswers + j->cj.concurrency));
		j->avalues = repalloc(j->avalues, sizeof(Datum) * (j->nanswers + j->cj.concurrency));
	}
	j->atids[j->nanswers] = tid;
	j->avalues[j->nanswers] = value;
	j->nanswers++;
	MemoryContextSwitchTo(old);
}

/* ---------------------------------------------------------------------
 * The stream of calls, run by the batch engine (batch.h)
 * ---------------------------------------------------------------------
 */

static Jsonb *
stream_next(void *arg, void **data)
{
	Job		   *j = arg;
	Row		   *row;

	if (j->waiting != NIL && GetCurrentTimestamp() >= j->resume_at)
	{
		row = linitial(j->waiting);
		j->waiting = list_delete_first(j->waiting);
	}
	else
	{
		ItemPointerData tid;
		Datum		messages;

		if (!aigw_column_job_next_row(&j->cj, j->message_sql, j->target_column, &tid, &messages))
			return NULL;
		row = MemoryContextAlloc(j->cj.cxt, sizeof(Row));
		row->tid = tid;
		row->messages = (Jsonb *) DatumGetPointer(messages);
		row->circuit_waits = 0;
	}
	*data = row;
	return row->messages;
}

static void
stream_done(void *arg, void *data, AigwCall *call)
{
	take((Job *) arg, (Row *) data, call);
}

/* No new call while a circuit the job found open cools down, nor past the budget. */
static bool
stream_may_start(void *arg, int inflight)
{
	Job		   *j = arg;

	if (j->waiting != NIL && GetCurrentTimestamp() < j->resume_at)
		return false;
	return aigw_column_job_may_start(&j->cj, inflight, j->waiting != NIL || aigw_column_job_rows_left(&j->cj));
}

static void
stream_after(void *arg, int inflight)
{
	Job		   *j = arg;

	write_answers(j);
	aigw_column_job_after(&j->cj, inflight);
}

/* Until every row is answered or failed, or the budget is reached. */
static void
run(void *arg)
{
	Job		   *j = arg;
	AigwBatchSource src = {stream_next, stream_done, stream_may_start, stream_after, j};

	for (;;)
	{
		int64		wait_ms;

		aigw_batch_stream(j->model, j->options, false, j->cj.concurrency, &src);
		write_answers(j);
		if (j->cj.stop || j->waiting == NIL)
			return;
		/* the stream ended because the circuit's cooldown holds every call back */
		j->circuit_rounds++;
		wait_ms = Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), j->resume_at), 0);
		ereport(NOTICE,
				(errmsg("enrich job " INT64_FORMAT ": %d calls found the circuit of %s open; waiting %d ms for its probe (round %d)",
						j->cj.job, list_length(j->waiting), j->model, (int) wait_ms, j->circuit_rounds)));
		aigw_retry_sleep(wait_ms);
	}
}

/*
 * CALL aigw.enrich_run(job, source, target_column, json_target,
 *						message_sql, model, options, chunk_size,
 *						concurrency, max_cost)
 */
Datum
aigw_enrich_run(PG_FUNCTION_ARGS)
{
	Job			j;

	memset(&j, 0, sizeof(j));
	aigw_column_job_begin(&j.cj, fcinfo, "enrich", "filled");
	j.target_column = quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	j.json_target = PG_GETARG_BOOL(3);
	j.message_sql = text_to_cstring(PG_GETARG_TEXT_PP(4));
	j.model = text_to_cstring(PG_GETARG_TEXT_PP(5));
	j.options = PG_GETARG_JSONB_P_COPY(6);
	j.answers_cxt = AllocSetContextCreate(j.cj.cxt, "aigw enrich answers", ALLOCSET_DEFAULT_SIZES);

	aigw_column_job_run(&j.cj, run, &j);
	PG_RETURN_VOID();
}
