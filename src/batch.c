/*
 * batch.c
 *	  aigw.chat_many: many calls from one statement, up to a concurrency
 *	  in flight at once, each with its own retries and fallbacks.
 *
 * One backend drives every call's state machine (call.h): it starts calls
 * while fewer than `concurrency` are with the pool, sleeps until one
 * finishes or a retry's wait ends, and takes the outcome.  A call that
 * cannot even start (bad messages, no price, insufficient funds) is
 * caught in a subtransaction and reported for its row; the others go on.
 * The rows come back in input order once all are done.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "aigw.h"
#include "batch.h"
#include "call.h"
#include "json_util.h"
#include "pool.h"
#include "retry.h"

PG_FUNCTION_INFO_V1(aigw_chat_many);

int			aigw_batch_concurrency = 64;

typedef struct BatchRow
{
	MemoryContext cxt;			/* the call's working memory, dropped when done */
	AigwCall	call;
	Jsonb	   *messages;		/* NULL: a NULL input, answered with NULLs */
	Jsonb	   *response;
	char	   *error;
} BatchRow;

typedef struct Batch
{
	MemoryContext cxt;			/* the statement's: options, rows, answers */
	const char *model;
	bool		embed;			/* each row is an embeddings request (its texts) */
	const char *what;			/* the function, for an error's context */
	Jsonb	   *options;		/* the per-call options (the batch's own removed) */
	bool		raise;			/* on_error = 'raise' */
	int			concurrency;
	int			n;
	BatchRow   *rows;
	int			remaining;
	int		   *tickets;		/* [concurrency]: slot tickets, -1 when free */
	int		   *ticket_row;		/* [concurrency]: whose */
	MemoryContext *ticket_cxt;	/* [concurrency]: where its outcome goes */
	int			inflight;
	int		   *pending;		/* rows READY or WAITING for their next attempt */
	int			npending;
} Batch;

/* The batch's own options come out; the rest is every call's. */
static bool
is_call_option(const JsonbValue *key)
{
	return !aigw_jsonb_string_is(key, "concurrency") && !aigw_jsonb_string_is(key, "on_error");
}

static void
read_batch_options(Batch *b, Jsonb *options)
{
	JsonbValue *v;
	JsonbParseState *ps = NULL;

	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass '{}' for no options, or e.g. '{\"concurrency\": 32}'.")));
	b->concurrency = aigw_batch_concurrency;
	if ((v = aigw_jsonb_key(&options->root, "concurrency")) != NULL)
	{
		int64		c;

		if (!aigw_jsonb_int64(v, &c) || c < 1 || c > 4096)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"concurrency\" must be an integer from 1 to 4096"),
					 errhint("It caps the calls of this statement in flight at once; aigw.batch_concurrency is the default.")));
		b->concurrency = (int) c;
	}
	b->raise = false;
	if ((v = aigw_jsonb_key(&options->root, "on_error")) != NULL)
	{
		if (aigw_jsonb_string_is(v, "raise"))
			b->raise = true;
		else if (!aigw_jsonb_string_is(v, "continue"))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"on_error\" must be \"continue\" or \"raise\""),
					 errhint("continue (the default) reports a failed call in its row's error column; raise fails the statement.")));
	}
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &options->root, is_call_option);
	b->options = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

static void
row_finish(Batch *b, BatchRow *row, int index)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);

	if (row->call.error && b->raise)
	{
		AigwCallError *e = row->call.error;

		aigw_pool_abandon_all();
		e->context = e->context ? psprintf("%s\n%s %d of %s", e->context, b->embed ? "request" : "row", index + 1, b->what)
			: psprintf("%s %d of %s", b->embed ? "request" : "row", index + 1, b->what);
		aigw_call_raise(e);
	}
	if (row->call.result)
		row->response = (Jsonb *) PG_DETOAST_DATUM_COPY(PointerGetDatum(row->call.result));
	else if (row->call.error)
		row->error = aigw_call_error_text(row->call.error);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(row->cxt);
	row->cxt = NULL;
	b->remaining--;
}

/* A row's call has sent an attempt (ticket), or is over (-1). */
static void
row_sent(Batch *b, int index, int ticket)
{
	int			k;

	if (ticket < 0)
	{
		row_finish(b, &b->rows[index], index);
		return;
	}
	for (k = 0; b->tickets[k] >= 0; k++)
		;
	b->tickets[k] = ticket;
	b->ticket_row[k] = index;
	b->ticket_cxt[k] = b->rows[index].cxt;
	b->inflight++;
}

/* Send a row's next attempt. */
static void
send_row(Batch *b, int index)
{
	MemoryContext old = MemoryContextSwitchTo(b->rows[index].cxt);
	int			ticket = aigw_call_send_guarded(&b->rows[index].call);

	MemoryContextSwitchTo(old);
	row_sent(b, index, ticket);
}

static void
start_row(Batch *b, int index)
{
	BatchRow   *row = &b->rows[index];
	MemoryContext old;
	int			ticket;

	if (row->messages == NULL)
	{
		b->remaining--;			/* answered with NULLs */
		return;
	}
	row->cxt = AllocSetContextCreate(b->cxt, "aigw batch call", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(row->cxt);
	ticket = b->embed ? aigw_call_start_embed_guarded(&row->call, b->model, row->messages, b->options)
		: aigw_call_start_guarded(&row->call, b->model, row->messages, b->options);
	MemoryContextSwitchTo(old);
	row_sent(b, index, ticket);
}

/* The earliest end of a retry's wait among pending rows, or 0. */
static TimestampTz
next_wakeup(Batch *b)
{
	TimestampTz t = 0;

	for (int p = 0; p < b->npending; p++)
	{
		AigwCall   *call = &b->rows[b->pending[p]].call;

		if (call->state == CALL_WAITING && (t == 0 || call->not_before < t))
			t = call->not_before;
	}
	return t;
}

/* Send the pending rows that may go now, while there is room. */
static void
send_pending(Batch *b)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int p = 0; p < b->npending && b->inflight < b->concurrency;)
	{
		int			index = b->pending[p];
		AigwCall   *call = &b->rows[index].call;

		if (call->state == CALL_WAITING && call->not_before > now)
		{
			p++;
			continue;
		}
		b->pending[p] = b->pending[--b->npending];
		send_row(b, index);
	}
}

static void
run_batch(Batch *b)
{
	int			next = 0;

	while (b->remaining > 0)
	{
		TimestampTz wake;
		long		timeout;
		AigwOutcomeMsg *oc;
		int			k;

		/* retries and fallbacks first, then new rows */
		send_pending(b);
		while (next < b->n && b->inflight < b->concurrency)
			start_row(b, next++);
		if (b->remaining == 0)
			break;

		wake = next_wakeup(b);
		timeout = wake ? Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wake), 0) : -1;
		if (b->inflight == 0)
		{
			/* only waits are left: sleep through the first */
			if (timeout > 0)
				aigw_retry_sleep(timeout);
			continue;
		}
		k = aigw_pool_wait(b->tickets, b->concurrency, timeout, false, b->ticket_cxt, &oc);
		if (k < 0)
			continue;
		{
			int			index = b->ticket_row[k];
			BatchRow   *row = &b->rows[index];
			MemoryContext old = MemoryContextSwitchTo(row->cxt);

			b->tickets[k] = -1;
			b->inflight--;
			aigw_call_take_outcome(&row->call, oc);
			MemoryContextSwitchTo(old);
			if (row->call.state == CALL_DONE)
				row_finish(b, row, index);
			else
				b->pending[b->npending++] = index;
		}
	}
}

void
aigw_batch_run(const char *model, Jsonb *options, bool embed, const char *what,
			   Jsonb **payloads, int n, Jsonb **responses, char **errors)
{
	MemoryContext batch_cxt;
	MemoryContext caller_cxt = CurrentMemoryContext;
	Batch		b;

	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "aigw batch", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(batch_cxt);
	memset(&b, 0, sizeof(b));
	b.cxt = batch_cxt;
	b.model = model;
	b.embed = embed;
	b.what = what;
	read_batch_options(&b, options);
	b.n = n;
	b.rows = palloc0(sizeof(BatchRow) * Max(b.n, 1));
	for (int i = 0; i < b.n; i++)
		b.rows[i].messages = payloads[i];
	b.remaining = b.n;
	b.tickets = palloc(sizeof(int) * b.concurrency);
	b.ticket_row = palloc(sizeof(int) * b.concurrency);
	b.ticket_cxt = palloc0(sizeof(MemoryContext) * b.concurrency);
	b.pending = palloc(sizeof(int) * Max(b.n, 1));
	for (int k = 0; k < b.concurrency; k++)
		b.tickets[k] = -1;

	PG_TRY();
	{
		run_batch(&b);
	}
	PG_CATCH();
	{
		aigw_pool_abandon_all();
		PG_RE_THROW();
	}
	PG_END_TRY();

	MemoryContextSwitchTo(caller_cxt);
	for (int i = 0; i < b.n; i++)
	{
		responses[i] = b.rows[i].response
			? (Jsonb *) PG_DETOAST_DATUM_COPY(PointerGetDatum(b.rows[i].response)) : NULL;
		errors[i] = b.rows[i].error ? pstrdup(b.rows[i].error) : NULL;
	}
	MemoryContextDelete(batch_cxt);
}

Datum
aigw_chat_many(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *messages = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Jsonb	  **payloads;
	Jsonb	  **responses;
	char	  **errors;

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	if (ARR_NDIM(messages) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("messages must be a one-dimensional array of jsonb"),
				 errhint("One element per call: each a JSON array of messages.")));
	deconstruct_array(messages, JSONBOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	payloads = palloc0(sizeof(Jsonb *) * Max(n, 1));
	responses = palloc0(sizeof(Jsonb *) * Max(n, 1));
	errors = palloc0(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		payloads[i] = nulls[i] ? NULL : DatumGetJsonbP(elems[i]);
	aigw_batch_run(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_JSONB_P(2), false,
				   "aigw.chat_many", payloads, n, responses, errors);

	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		isnull[3] = {false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = responses[i] ? JsonbPGetDatum(responses[i]) : (Datum) 0;
		isnull[1] = responses[i] == NULL;
		values[2] = errors[i] ? CStringGetTextDatum(errors[i]) : (Datum) 0;
		isnull[2] = errors[i] == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	return (Datum) 0;
}
