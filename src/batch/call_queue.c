/*
 * call_queue.c
 *	  Many calls in flight from one backend, step by step (call_queue.h).
 *
 * The backend drives every call's state machine (call.h): a started call
 * sends its first attempt; an outcome either ends the call or leaves it
 * waiting to send a retry or a fallback, which goes out once its wait is
 * over and there is room.  A call that cannot even start (bad messages, no
 * price, insufficient funds) is caught in a subtransaction and ends with
 * its error; the others go on.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "batch/call_queue.h"
#include "billing/usage_limits.h"
#include "pool/pool.h"
#include "routing/retry.h"

AigwCallQueue *
aigw_queue_create(int concurrency)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "aigw call queue", ALLOCSET_DEFAULT_SIZES);
	AigwCallQueue *q = MemoryContextAllocZero(cxt, sizeof(AigwCallQueue));

	q->cxt = cxt;
	q->concurrency = concurrency;
	q->tickets = MemoryContextAlloc(cxt, sizeof(int) * concurrency);
	q->ticket_entry = MemoryContextAllocZero(cxt, sizeof(AigwQueueEntry *) * concurrency);
	q->ticket_cxt = MemoryContextAllocZero(cxt, sizeof(MemoryContext) * concurrency);
	for (int k = 0; k < concurrency; k++)
		q->tickets[k] = -1;
	return q;
}

/*
 * Only memory goes: what is still in flight is given back first by
 * aigw_queue_abandon (on an error or an early end).
 */
void
aigw_queue_destroy(AigwCallQueue *q)
{
	MemoryContextDelete(q->cxt);
}

/*
 * Give back every call of this queue (a rescan, an early end): those with
 * the pool are abandoned (the worker aborts them; the pool logs them as
 * cancelled), the others dropped.  The queue is empty afterwards.
 */
void
aigw_queue_abandon(AigwCallQueue *q)
{
	aigw_queue_give_back(q);
	for (int i = 0; i < q->nentries; i++)
	{
		AigwQueueEntry *e = q->entries[i];

		MemoryContextReset(e->cxt);
		memset(&e->call, 0, sizeof(e->call));
		e->busy = false;
		e->data = NULL;
		e->ticket = -1;
	}
	list_free(q->done);
	q->done = NIL;
	q->inflight = q->active = q->pending = 0;
}

/*
 * Give back the attempts this queue has with the pool, touching only what
 * lives in the queue's own context (not its entries' contexts): so that
 * it also serves while that context is being deleted.
 */
void
aigw_queue_give_back(AigwCallQueue *q)
{
	for (int k = 0; k < q->concurrency; k++)
	{
		if (q->tickets[k] < 0)
			continue;
		aigw_pool_abandon(q->tickets[k]);
		aigw_limits_release(q->ticket_entry[k]->call.limit_hold, NULL, true);
		q->tickets[k] = -1;
	}
	q->inflight = 0;
	aigw_pool_flush_wakeups();
}

AigwQueueEntry *
aigw_queue_entry(AigwCallQueue *q)
{
	AigwQueueEntry *e;

	for (int i = 0; i < q->nentries; i++)
		if (!q->entries[i]->busy)
			return q->entries[i];
	q->entries = q->entries ? repalloc(q->entries, sizeof(AigwQueueEntry *) * (q->nentries + 1))
		: MemoryContextAlloc(q->cxt, sizeof(AigwQueueEntry *));
	e = MemoryContextAllocZero(q->cxt, sizeof(AigwQueueEntry));
	e->cxt = AllocSetContextCreate(q->cxt, "aigw queued call", ALLOCSET_SMALL_SIZES);
	e->ticket = -1;
	q->entries[q->nentries++] = e;
	return e;
}

static void
finished(AigwCallQueue *q, AigwQueueEntry *e)
{
	MemoryContext old = MemoryContextSwitchTo(q->cxt);

	q->pending--;
	q->done = lappend(q->done, e);
	MemoryContextSwitchTo(old);
}

/* A call has sent an attempt (ticket), or is over (-1). */
static void
sent(AigwCallQueue *q, AigwQueueEntry *e, int ticket)
{
	int			k;

	e->ticket = ticket;
	if (ticket < 0)
	{
		if (e->call.state == CALL_DONE)
			finished(q, e);
		return;
	}
	for (k = 0; q->tickets[k] >= 0; k++)
		;
	q->tickets[k] = ticket;
	q->ticket_entry[k] = e;
	q->ticket_cxt[k] = e->cxt;
	q->inflight++;
	q->attempts++;
}

void
aigw_queue_start(AigwCallQueue *q, AigwQueueEntry *e, const char *model,
				 Jsonb *payload, Jsonb *options, bool embed)
{
	MemoryContext old = MemoryContextSwitchTo(e->cxt);
	int			ticket;

	Assert(!e->busy && aigw_queue_has_room(q));
	e->busy = true;
	q->active++;
	q->pending++;
	q->calls++;
	ticket = embed ? aigw_call_start_embed_guarded(&e->call, model, payload, options)
		: aigw_call_start_guarded(&e->call, model, payload, options);
	MemoryContextSwitchTo(old);
	if (ticket < 0 && e->call.result != NULL && e->call.attempts == 0)
		q->cache_hits++;
	sent(q, e, ticket);
}

void
aigw_queue_release(AigwCallQueue *q, AigwQueueEntry *e)
{
	Assert(e->busy && e->ticket < 0);
	MemoryContextReset(e->cxt);
	memset(&e->call, 0, sizeof(e->call));
	e->busy = false;
	e->data = NULL;
	q->active--;
}

/* A started call between attempts: waiting for a retry, or ready to send. */
static bool
between_attempts(const AigwQueueEntry *e)
{
	return e->busy && e->ticket < 0 && e->call.state != CALL_DONE;
}

/* The earliest end of a retry's wait, or 0. */
static TimestampTz
next_wakeup(AigwCallQueue *q)
{
	TimestampTz next = 0;

	for (int i = 0; i < q->nentries; i++)
	{
		AigwCall   *call = &q->entries[i]->call;

		if (between_attempts(q->entries[i]) && call->state == CALL_WAITING &&
			(next == 0 || call->not_before < next))
			next = call->not_before;
	}
	return next;
}

/* Retries whose wait is over go out again, while there is room. */
static void
send_due(AigwCallQueue *q)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < q->nentries && aigw_queue_has_room(q); i++)
	{
		AigwQueueEntry *e = q->entries[i];
		MemoryContext old;
		int			ticket;

		if (!between_attempts(e) || (e->call.state == CALL_WAITING && e->call.not_before > now))
			continue;
		old = MemoryContextSwitchTo(e->cxt);
		ticket = aigw_call_send_guarded(&e->call);
		MemoryContextSwitchTo(old);
		sent(q, e, ticket);
	}
}

/* The outcome of the k-th ticket: its call is over, or waits for a retry. */
static void
take(AigwCallQueue *q, int k, AigwOutcomeMsg *oc)
{
	AigwQueueEntry *e = q->ticket_entry[k];
	MemoryContext old;

	q->tickets[k] = -1;
	q->inflight--;
	e->ticket = -1;
	old = MemoryContextSwitchTo(e->cxt);
	aigw_call_take_outcome(&e->call, oc);
	MemoryContextSwitchTo(old);
	if (e->call.state == CALL_DONE)
		finished(q, e);
}

static AigwQueueEntry *
pop_done(AigwCallQueue *q)
{
	AigwQueueEntry *e = linitial(q->done);

	q->done = list_delete_first(q->done);
	return e;
}

AigwQueueEntry *
aigw_queue_next_done(AigwCallQueue *q, bool wait)
{
	for (;;)
	{
		TimestampTz wake;
		long		timeout;
		AigwOutcomeMsg *oc;
		int			k;

		if (q->done != NIL)
			return pop_done(q);
		send_due(q);
		/* what has finished meanwhile, without waiting */
		while (q->inflight > 0 &&
			   (k = aigw_pool_wait(q->tickets, q->concurrency, 0, false, q->ticket_cxt, &oc)) >= 0)
			take(q, k, oc);
		if (q->done != NIL)
			return pop_done(q);
		if (!wait || q->pending == 0)
			return NULL;
		wake = next_wakeup(q);
		timeout = wake ? Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wake), 0) : -1;
		if (q->inflight == 0)
		{
			/* only waits are left: sleep through the first */
			if (timeout > 0)
				aigw_retry_sleep(timeout);
			continue;
		}
		k = aigw_pool_wait(q->tickets, q->concurrency, timeout, false, q->ticket_cxt, &oc);
		if (k >= 0)
			take(q, k, oc);
	}
}
