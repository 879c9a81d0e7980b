/*
 * batch.c
 *	  Many calls in flight from one backend (batch.h): aigw.chat_many and
 *	  embed_many over an array, embed_column over a stream of rows.
 *
 * One backend drives every call's state machine (call.h): it starts calls
 * while fewer than `concurrency` are with the pool, sleeps until one
 * finishes or a retry's wait ends, and takes the outcome.  A call that
 * cannot even start (bad messages, no price, insufficient funds) is
 * caught in a subtransaction and reported as its error; the others go on.
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
#include "caller/call.h"
#include "common/json_util.h"
#include "pool/pool.h"
#include "routing/retry.h"

PG_FUNCTION_INFO_V1(aigw_chat_many);

int			aigw_batch_concurrency = 64;

/* A call of the stream: in flight, waiting for a retry, or free. */
typedef struct Slot
{
	MemoryContext cxt;			/* the call's memory, reset when it is over */
	AigwCall	call;
	void	   *data;			/* the source's, for done() */
	bool		busy;
	int			ticket;			/* with the pool; -1 when not */
} Slot;

typedef struct Stream
{
	MemoryContext cxt;
	const AigwBatchSource *src;
	const char *model;
	Jsonb	   *options;
	bool		embed;
	int			concurrency;
	Slot	  **slots;			/* stable addresses; grows past concurrency while retries wait */
	int			nslots;
	int		   *tickets;		/* [concurrency] for aigw_pool_wait: tickets, -1 when free */
	Slot	  **ticket_slot;	/* [concurrency]: whose */
	MemoryContext *ticket_cxt;	/* [concurrency]: where its outcome goes */
	int			inflight;
	int			active;			/* busy slots */
	bool		exhausted;		/* the source has nothing more */
} Stream;

static Slot *
free_slot(Stream *st)
{
	for (int i = 0; i < st->nslots; i++)
		if (!st->slots[i]->busy)
			return st->slots[i];
	st->slots = st->slots ? repalloc(st->slots, sizeof(Slot *) * (st->nslots + 1))
		: palloc(sizeof(Slot *));
	st->slots[st->nslots] = palloc0(sizeof(Slot));
	st->slots[st->nslots]->cxt = AllocSetContextCreate(st->cxt, "aigw batch call", ALLOCSET_SMALL_SIZES);
	st->slots[st->nslots]->ticket = -1;
	return st->slots[st->nslots++];
}

static void
finish(Stream *st, Slot *slot)
{
	st->src->done(st->src->arg, slot->data, &slot->call);
	MemoryContextReset(slot->cxt);
	slot->busy = false;
	slot->data = NULL;
	st->active--;
}

/* A call has sent an attempt (ticket), or is over (-1). */
static void
sent(Stream *st, Slot *slot, int ticket)
{
	int			k;

	slot->ticket = ticket;
	if (ticket < 0)
	{
		finish(st, slot);
		return;
	}
	for (k = 0; st->tickets[k] >= 0; k++)
		;
	st->tickets[k] = ticket;
	st->ticket_slot[k] = slot;
	st->ticket_cxt[k] = slot->cxt;
	st->inflight++;
}

/* Start the source's next call; false when it has none. */
static bool
start_next(Stream *st)
{
	Slot	   *slot = free_slot(st);
	MemoryContext old = MemoryContextSwitchTo(slot->cxt);
	Jsonb	   *payload = st->src->next(st->src->arg, &slot->data);
	int			ticket;

	if (payload == NULL)
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(slot->cxt);
		st->exhausted = true;
		return false;
	}
	slot->busy = true;
	st->active++;
	ticket = st->embed ? aigw_call_start_embed_guarded(&slot->call, st->model, payload, st->options)
		: aigw_call_start_guarded(&slot->call, st->model, payload, st->options);
	MemoryContextSwitchTo(old);
	sent(st, slot, ticket);
	return true;
}

/* A busy slot without a ticket waits to send its next attempt. */
static bool
waiting(const Slot *slot)
{
	return slot->busy && slot->ticket < 0;
}

/* The earliest end of a retry's wait, or 0. */
static TimestampTz
next_wakeup(Stream *st)
{
	TimestampTz next = 0;

	for (int i = 0; i < st->nslots; i++)
	{
		AigwCall   *call = &st->slots[i]->call;

		if (waiting(st->slots[i]) && call->state == CALL_WAITING && (next == 0 || call->not_before < next))
			next = call->not_before;
	}
	return next;
}

/* Retries whose wait is over go out again, while there is room. */
static void
send_due(Stream *st)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < st->nslots && st->inflight < st->concurrency; i++)
	{
		Slot	   *slot = st->slots[i];
		MemoryContext old;
		int			ticket;

		if (!waiting(slot) || (slot->call.state == CALL_WAITING && slot->call.not_before > now))
			continue;
		old = MemoryContextSwitchTo(slot->cxt);
		ticket = aigw_call_send_guarded(&slot->call);
		MemoryContextSwitchTo(old);
		sent(st, slot, ticket);
	}
}

/* The outcome of the k-th ticket: its call is over, or waits for a retry. */
static void
take(Stream *st, int k, AigwOutcomeMsg *oc)
{
	Slot	   *slot = st->ticket_slot[k];
	MemoryContext old;

	st->tickets[k] = -1;
	st->inflight--;
	slot->ticket = -1;
	old = MemoryContextSwitchTo(slot->cxt);
	aigw_call_take_outcome(&slot->call, oc);
	MemoryContextSwitchTo(old);
	if (slot->call.state == CALL_DONE)
		finish(st, slot);
}

static void
run(Stream *st)
{
	for (;;)
	{
		TimestampTz wake;
		long		timeout;
		AigwOutcomeMsg *oc;
		int			k;

		/* retries and fallbacks first, then new calls: one burst for the pool */
		aigw_pool_defer_wakeups();
		send_due(st);
		while (!st->exhausted && st->inflight < st->concurrency &&
			   (st->src->may_start == NULL || st->src->may_start(st->src->arg, st->inflight)))
			if (!start_next(st))
				break;
		aigw_pool_flush_wakeups();
		/* what the last wake-up brought is handled while the new calls are out */
		if (st->src->after)
			st->src->after(st->src->arg, st->inflight);
		if (st->active == 0)
			break;
		wake = next_wakeup(st);
		timeout = wake ? Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wake), 0) : -1;
		if (st->inflight == 0)
		{
			/* only waits are left: sleep through the first */
			if (timeout > 0)
				aigw_retry_sleep(timeout);
			continue;
		}
		k = aigw_pool_wait(st->tickets, st->concurrency, timeout, false, st->ticket_cxt, &oc);
		if (k < 0)
			continue;
		take(st, k, oc);
		/* what else finished meanwhile, without waiting */
		while ((k = aigw_pool_wait(st->tickets, st->concurrency, 0, false, st->ticket_cxt, &oc)) >= 0)
			take(st, k, oc);
	}
}

void
aigw_batch_stream(const char *model, Jsonb *call_options, bool embed, int concurrency,
				  const AigwBatchSource *src)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "aigw batch", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Stream		st;

	memset(&st, 0, sizeof(st));
	st.cxt = cxt;
	st.src = src;
	st.model = pstrdup(model);
	st.options = call_options;
	st.embed = embed;
	st.concurrency = concurrency;
	st.tickets = palloc(sizeof(int) * concurrency);
	st.ticket_slot = palloc0(sizeof(Slot *) * concurrency);
	st.ticket_cxt = palloc0(sizeof(MemoryContext) * concurrency);
	for (int k = 0; k < concurrency; k++)
		st.tickets[k] = -1;
	MemoryContextSwitchTo(old);

	PG_TRY();
	{
		run(&st);
		aigw_pool_make_durable();
	}
	PG_CATCH();
	{
		aigw_pool_abandon_all();
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextDelete(cxt);
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

		aigw_pool_abandon_all();
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
