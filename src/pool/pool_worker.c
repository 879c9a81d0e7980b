/*
 * pool_worker.c
 *	  A pool worker's half of the pool (pool.h): join the pool, take queued
 *	  slots, publish outcomes, and leave (idle, or on exit failing what it
 *	  still owns).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "pool/pool.h"
#include "pool/pool_internal.h"

AigwPool *
aigw_pool_for_worker(Oid dboid, int index)
{
	AigwPool   *pool = NULL;
	int			poolno;

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	poolno = aigw_pool_find_or_create_locked(dboid);
	if (poolno >= 0)
	{
		AigwWorkerInfo *w;

		pool = &aigw_shared->pools[poolno];
		w = &pool->workers[index];
		w->registered = true;
		w->pid = MyProcPid;
		w->proc = MyProc;
		w->inflight = 0;
		w->completed = 0;
		w->started_at = GetCurrentTimestamp();
	}
	LWLockRelease(aigw_shared->lock);
	return pool;
}

/*
 * Take up to max queued slots for worker `index`.  They become RUNNING
 * under the lock, so "QUEUED" always means "on a queue" for slot_abandon.
 */
int
aigw_pool_take(AigwPool *pool, int index, int *slots, int max)
{
	int			n = 0;

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	while (n < max && pool->queue_head >= 0)
	{
		int			slotno = pool->queue_head;
		AigwSlot   *slot = &aigw_shared->slots[slotno];

		pool->queue_head = slot->next;
		if (pool->queue_head < 0)
			pool->queue_tail = -1;
		slot->next = -1;
		slot->worker = index;
		slot->worker_pid = MyProcPid;
		pg_atomic_write_u32(&slot->state, SLOT_RUNNING);
		slots[n++] = slotno;
	}
	LWLockRelease(aigw_shared->lock);
	return n;
}

/* Worker: a slot whose caller left; drop what it holds and free it. */
void
aigw_slot_release_abandoned(int slotno)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];

	if (DsaPointerIsValid(slot->request))
		aigw_request_free(aigw_dsa(), slot->request);
	if (DsaPointerIsValid(slot->outcome))
		dsa_free(aigw_dsa(), slot->outcome);
	aigw_slot_free(slotno);
}

/*
 * Give back the slot's reservation, if it still holds one.  The worker
 * does so once the call's charge is committed and its wallet's cached
 * balance updated (in that order, so that the wallet is never counted as
 * having both or neither); freeing a slot does so for a call that never
 * got that far.  No lock: while a slot is RUNNING or ABANDONED only its
 * worker touches the reservation, and the compare-and-swap that hands the
 * slot back is a full barrier.
 */
void
aigw_slot_release_reservation(int slotno)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];

	if (slot->wallet != NULL)
		aigw_wallet_release(slot->wallet, slot->reserved);
	slot->wallet = NULL;
	slot->reserved = 0;
}

/*
 * Worker: publish an outcome.  Returns false if the caller had already
 * abandoned the slot, in which case the slot has been freed here.
 */
bool
aigw_slot_complete(int slotno, dsa_pointer outcome)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];
	uint32		expected = SLOT_RUNNING;
	PGPROC	   *caller = slot->caller;

	slot->outcome = outcome;
	if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_DONE))
	{
		SetLatch(&caller->procLatch);
		return true;
	}
	Assert(expected == SLOT_ABANDONED);
	aigw_slot_release_abandoned(slotno);
	return false;
}

/*
 * Worker exit (normal or not): fail the slots it still owns so their
 * callers wake up with an error instead of waiting forever, and take the
 * worker out of its pool.
 */
void
aigw_worker_detach(AigwPool *pool, int index, bool unregister)
{
	PGPROC	  **wake = palloc0(sizeof(PGPROC *) * aigw_shared->nslots);
	int			nwake = 0;
	bool		freed = false;
	AigwWorkerInfo *w = &pool->workers[index];

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < aigw_shared->nslots; i++)
	{
		AigwSlot   *slot = &aigw_shared->slots[i];
		uint32		state = pg_atomic_read_u32(&slot->state);

		if (slot->worker_pid != MyProcPid)
			continue;
		if (state == SLOT_RUNNING)
		{
			uint32		expected = SLOT_RUNNING;

			slot->outcome = InvalidDsaPointer;
			if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_DONE))
			{
				wake[nwake++] = slot->caller;
				continue;
			}
			state = expected;
		}
		if (state == SLOT_ABANDONED)
		{
			if (DsaPointerIsValid(slot->request))
				aigw_request_free(aigw_dsa(), slot->request);
			aigw_slot_free_locked(i);
			freed = true;
		}
	}
	if (w->pid == MyProcPid)
	{
		w->pid = 0;
		w->proc = NULL;
		w->inflight = 0;
		if (unregister)
			w->registered = false;
	}
	aigw_pool_maybe_release_locked(pool);
	LWLockRelease(aigw_shared->lock);

	for (int i = 0; i < nwake; i++)
		SetLatch(&wake[i]->procLatch);
	if (freed)
		ConditionVariableBroadcast(&aigw_shared->slot_freed);
	pfree(wake);
}

/*
 * Worker: leave the pool if nothing is queued for it.  Decided under the
 * lock so that a caller queueing at the same moment either is seen here or
 * finds the worker gone and starts a new one.
 */
bool
aigw_pool_idle_exit(AigwPool *pool, int index)
{
	bool		leave = false;
	AigwWorkerInfo *w = &pool->workers[index];

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	if (pool->queue_head < 0 && w->pid == MyProcPid)
	{
		w->pid = 0;
		w->proc = NULL;
		w->registered = false;
		aigw_pool_maybe_release_locked(pool);
		leave = true;
	}
	LWLockRelease(aigw_shared->lock);
	return leave;
}
