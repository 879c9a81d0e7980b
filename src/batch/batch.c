/*
 * batch.c
 *	  Many calls in flight from one backend (batch.h): aigw.chat_many and
 *	  embed_many over an array, embed_column over a stream of rows.
 *
 * A stream starts calls while fewer than `concurrency` are with the pool
 * (call_queue.c drives them), and hands each finished one to its source.
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

#include "common/settings.h"
#include "batch/batch.h"
#include "batch/call_queue.h"
#include "caller/call.h"
#include "common/json_util.h"
#include "pool/pool.h"
#include "routing/retry.h"

PG_FUNCTION_INFO_V1(aigw_chat_many);

int			aigw_batch_concurrency = 64;

/* Hand a finished call to the source, and its memory back. */
static void
finish(AigwCallQueue *q, const AigwBatchSource *src, AigwQueueEntry *e)
{
	src->done(src->arg, e->data, &e->call);
	aigw_queue_release(q, e);
}

/* Start the source's next call; false when it has none. */
static bool
start_next(AigwCallQueue *q, const AigwBatchSource *src, const char *model, Jsonb *options, bool embed)
{
	AigwQueueEntry *e = aigw_queue_entry(q);
	MemoryContext old = MemoryContextSwitchTo(e->cxt);
	Jsonb	   *payload = src->next(src->arg, &e->data);

	MemoryContextSwitchTo(old);
	if (payload == NULL)
	{
		MemoryContextReset(e->cxt);
		return false;
	}
	aigw_queue_start(q, e, model, payload, options, embed);
	return true;
}

static void
run(AigwCallQueue *q, const AigwBatchSource *src, const char *model, Jsonb *options, bool embed)
{
	bool		exhausted = false;

	for (;;)
	{
		AigwQueueEntry *e;

		/* new calls go out in one burst for the pool */
		aigw_pool_defer_wakeups();
		while (!exhausted && aigw_queue_has_room(q) &&
			   (src->may_start == NULL || src->may_start(src->arg, q->inflight)))
			if (!start_next(q, src, model, options, embed))
				exhausted = true;
		aigw_pool_flush_wakeups();
		/* what the last wake-up brought is handled while the new calls are out */
		if (src->after)
			src->after(src->arg, q->inflight);
		if (q->active == 0)
			break;
		if ((e = aigw_queue_next_done(q, true)) != NULL)
			finish(q, src, e);
		while ((e = aigw_queue_next_done(q, false)) != NULL)
			finish(q, src, e);
	}
}

void
aigw_batch_stream(const char *model, Jsonb *call_options, bool embed, int concurrency,
				  const AigwBatchSource *src)
{
	AigwCallQueue *q = aigw_queue_create(concurrency);

	PG_TRY();
	{
		run(q, src, model, call_options, embed);
		aigw_pool_make_durable();
	}
	PG_CATCH();
	{
		/* this stream's calls only: a cursor's read-ahead may have its own in flight */
		aigw_queue_abandon(q);
		aigw_queue_destroy(q);
		PG_RE_THROW();
	}
	PG_END_TRY();
	aigw_queue_destroy(q);
}

/* ---------------------------------------------------------------------
 * An array of calls: chat_many, embed_many
 * ---------------------------------------------------------------------
 */
typedef struct Batch
{
	MemoryContext cxt;			/* the caller's: answers and errors */
	const char *what;			/* the function, for an error's context */
	bool		embed;
	bool		raise;			/* on_error = 'raise' */
	int			concurrency;
	Jsonb	   *options;		/* the per-call options (the batch's own removed) */
	Jsonb	  **payloads;
	int			n;
	int			next;
	Jsonb	  **responses;
	char	  **errors;
} Batch;

bool
aigw_batch_is_call_option(const JsonbValue *key)
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
	aigw_push_members(&ps, &options->root, aigw_batch_is_call_option);
	b->options = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

static Jsonb *
array_next(void *arg, void **data)
{
	Batch	   *b = arg;

	while (b->next < b->n && b->payloads[b->next] == NULL)
		b->next++;				/* a NULL input is answered with NULLs */
	if (b->next == b->n)
		return NULL;
	*data = palloc(sizeof(int));
	*(int *) *data = b->next;
	return b->payloads[b->next++];
}

static void
array_done(void *arg, void *data, AigwCall *call)
{
	Batch	   *b = arg;
	int			index = *(int *) data;
	MemoryContext old;

	if (call->error && b->raise)
	{
		AigwCallError *e = call->error;

		/* the stream gives back its calls in flight as the error passes */
		e->context = e->context ? psprintf("%s\n%s %d of %s", e->context, b->embed ? "request" : "row", index + 1, b->what)
			: psprintf("%s %d of %s", b->embed ? "request" : "row", index + 1, b->what);
		aigw_call_raise(e);
	}
	old = MemoryContextSwitchTo(b->cxt);
	if (call->result)
		b->responses[index] = (Jsonb *) PG_DETOAST_DATUM_COPY(PointerGetDatum(call->result));
	else if (call->error)
		b->errors[index] = aigw_call_error_text(call->error);
	MemoryContextSwitchTo(old);
}

void
aigw_batch_run(const char *model, Jsonb *options, bool embed, const char *what,
			   Jsonb **payloads, int n, Jsonb **responses, char **errors)
{
	Batch		b;
	AigwBatchSource src = {array_next, array_done, NULL, NULL, &b};

	memset(&b, 0, sizeof(b));
	b.cxt = CurrentMemoryContext;
	b.what = what;
	b.embed = embed;
	read_batch_options(&b, options);
	b.payloads = payloads;
	b.n = n;
	b.responses = responses;
	b.errors = errors;
	for (int i = 0; i < n; i++)
	{
		responses[i] = NULL;
		errors[i] = NULL;
	}
	aigw_batch_stream(model, b.options, embed, b.concurrency, &src);
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
