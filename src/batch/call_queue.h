/*
 * call_queue.h
 *	  Many calls in flight from one backend, driven step by step: start a
 *	  call, take one that has finished, start another.  chat_many, the
 *	  column jobs (through aigw_batch_stream) and the read-ahead scan of
 *	  plain SQL all send through it.
 *
 *		q = aigw_queue_create(concurrency)
 *		entry = aigw_queue_entry(q)			   a free entry; build the call's
 *											   payload in entry->cxt
 *		aigw_queue_start(q, entry, model, ...) validate, plan, send (an error
 *											   that ends only this call is
 *											   kept in entry->call.error)
 *		entry = aigw_queue_next_done(q, wait)  a finished call, or NULL
 *		aigw_queue_release(q, entry)		   its memory back
 *		aigw_queue_destroy(q)
 *
 * Retries and fallbacks are sent by next_done when their wait is over;
 * new starts wait for room: at most `concurrency` attempts are with the
 * pool at once.  Start a burst between aigw_pool_defer_wakeups() and
 * next_done (which flushes them) so the worker takes it in one turn.
 */
#ifndef AIGW_CALL_QUEUE_H
#define AIGW_CALL_QUEUE_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "caller/call.h"

typedef struct AigwQueueEntry
{
	MemoryContext cxt;			/* the call's memory, reset when released */
	AigwCall	call;			/* DONE: result or error set */
	void	   *data;			/* the caller's */
	bool		busy;
	int			ticket;			/* with the pool; -1 when not */
} AigwQueueEntry;

typedef struct AigwCallQueue
{
	MemoryContext cxt;
	int			concurrency;
	AigwQueueEntry **entries;	/* stable addresses; grows past concurrency while retries wait */
	int			nentries;
	int		   *tickets;		/* [concurrency] for aigw_pool_wait: tickets, -1 when free */
	AigwQueueEntry **ticket_entry;	/* [concurrency]: whose */
	MemoryContext *ticket_cxt;	/* [concurrency]: where its outcome goes */
	int			inflight;		/* attempts with the pool */
	int			active;			/* calls started and not yet released */
	int			pending;		/* calls started and not yet finished */
	List	   *done;			/* finished entries not yet handed out */
	/* what the calls cost, for EXPLAIN ANALYZE and a statement's budget */
	int64		calls;			/* calls started */
	int64		attempts;		/* attempts sent */
	int64		cache_hits;		/* calls answered from the response cache */
} AigwCallQueue;

extern AigwCallQueue *aigw_queue_create(int concurrency);
extern void aigw_queue_destroy(AigwCallQueue *q);
extern void aigw_queue_abandon(AigwCallQueue *q);
extern void aigw_queue_give_back(AigwCallQueue *q);

/* Room for one more attempt with the pool. */
#define aigw_queue_has_room(q) ((q)->inflight < (q)->concurrency)

extern AigwQueueEntry *aigw_queue_entry(AigwCallQueue *q);
extern void aigw_queue_start(AigwCallQueue *q, AigwQueueEntry *entry, const char *model,
							 Jsonb *payload, Jsonb *options, bool embed);
/* A call finished, or NULL: with wait, once one finishes (or a retry's wait ends) */
extern AigwQueueEntry *aigw_queue_next_done(AigwCallQueue *q, bool wait);
extern void aigw_queue_release(AigwCallQueue *q, AigwQueueEntry *entry);

#endif							/* AIGW_CALL_QUEUE_H */
