/*
 * pool_caller.c
 *	  The calling backend's half of the pool (pool.h): send a request,
 *	  wait for outcomes, give back what an error or an exit leaves held.
 *
 * The slots a backend holds are tracked here, outside any call, so that
 * its exit callback can give them back however the backend ends.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "billing/usage_limits.h"
#include "pool/pool.h"
#include "pool/pool_internal.h"

/* How often a waiting caller checks that its pool still has workers. */
#define AIGW_HEALTH_CHECK_MS	1000

static void held_mark_submitted(int slotno);

/*
 * A worker woken by the first send of a burst takes that one request and
 * goes on with its turn (reading answers, logging them): the rest of the
 * burst would wait for the turn to end.  So a burst defers the wake-ups,
 * and the workers it queued work for are woken once, when it ends.
 */
static bool deferring_wakeups = false;
static PGPROC *deferred_wakeups[AIGW_MAX_WORKERS_PER_POOL];
static int	ndeferred_wakeups = 0;

void
aigw_pool_defer_wakeups(void)
{
	deferring_wakeups = true;
}

void
aigw_pool_flush_wakeups(void)
{
	deferring_wakeups = false;
	for (int i = 0; i < ndeferred_wakeups; i++)
		SetLatch(&deferred_wakeups[i]->procLatch);
	ndeferred_wakeups = 0;
}

static void
wake_worker(PGPROC *proc)
{
	if (!deferring_wakeups)
	{
		SetLatch(&proc->procLatch);
		return;
	}
	for (int i = 0; i < ndeferred_wakeups; i++)
		if (deferred_wakeups[i] == proc)
			return;
	if (ndeferred_wakeups < lengthof(deferred_wakeups))
		deferred_wakeups[ndeferred_wakeups++] = proc;
	else
		SetLatch(&proc->procLatch);
}

/* Put a slot on this database's pool queue; start workers it lacks. */
static void
pool_submit(int slotno)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];
	int			poolno;
	AigwPool   *pool;
	int			to_start[AIGW_MAX_WORKERS_PER_POOL];
	int			nstart;
	PGPROC	   *wake;

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	poolno = aigw_pool_find_or_create_locked(MyDatabaseId);
	if (poolno < 0)
	{
		LWLockRelease(aigw_shared->lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many databases have an aigw worker pool"),
				 errdetail("aigw.max_databases is %d.", aigw_max_databases),
				 errhint("Raise aigw.max_databases (needs a restart), or let idle pools exit (aigw.pool_idle_timeout).")));
	}
	pool = &aigw_shared->pools[poolno];
	nstart = aigw_pool_claim_missing_locked(pool, to_start);

	slot->pool = poolno;
	slot->next = -1;
	pg_atomic_write_u32(&slot->state, SLOT_QUEUED);
	if (pool->queue_tail >= 0)
		aigw_shared->slots[pool->queue_tail].next = slotno;
	else
		pool->queue_head = slotno;
	pool->queue_tail = slotno;
	wake = aigw_pool_pick_worker_locked(pool);
	LWLockRelease(aigw_shared->lock);

	/* queued: from here on, giving it back means abandoning it */
	held_mark_submitted(slotno);
	if (wake != NULL)
		wake_worker(wake);
	if (nstart > 0)
		aigw_pool_start_workers(MyDatabaseId, poolno, to_start, nstart);
}

/*
 * The caller gives up on a slot (error or cancel while waiting).  A slot
 * still queued is taken back at once; a running one is left to its worker,
 * which aborts the transfer and logs the attempt as cancelled.
 */
static void
slot_abandon(int slotno)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];
	uint32		expected;
	PGPROC	   *worker_proc = NULL;
	AigwPool   *running_pool = NULL;

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&slot->state) == SLOT_QUEUED)
	{
		AigwPool   *pool = &aigw_shared->pools[slot->pool];

		aigw_queue_remove_locked(pool, slotno);
		aigw_request_free(aigw_dsa(), slot->request);
		aigw_slot_free_locked(slotno);
		aigw_pool_maybe_release_locked(pool);
		LWLockRelease(aigw_shared->lock);
		ConditionVariableSignal(&aigw_shared->slot_freed);
		return;
	}

	/*
	 * RUNNING: the worker owns it and may free it the moment it sees
	 * ABANDONED, so whom to wake is read before the swap.
	 */
	if (slot->pool >= 0)
		running_pool = &aigw_shared->pools[slot->pool];
	if (running_pool != NULL && slot->worker >= 0)
		worker_proc = running_pool->workers[slot->worker].proc;
	LWLockRelease(aigw_shared->lock);

	expected = SLOT_RUNNING;
	if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_ABANDONED))
	{
		if (running_pool != NULL)
			pg_atomic_fetch_add_u32(&running_pool->abandons, 1);
		if (worker_proc != NULL)
			SetLatch(&worker_proc->procLatch);
		return;
	}

	/* The worker finished first: the outcome is ours to free. */
	Assert(expected == SLOT_DONE);
	pg_read_barrier();
	if (DsaPointerIsValid(slot->outcome))
		dsa_free(aigw_dsa(), slot->outcome);
	aigw_slot_free(slotno);
}

/*
 * Called every AIGW_HEALTH_CHECK_MS by a waiting caller: a queued slot
 * whose pool lost all its workers gets new ones; a running slot whose
 * worker vanished without completing it (which the worker's exit callback
 * should make impossible) ends the wait with an error.
 */
static bool
slot_worker_alive(int slotno)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];
	uint32		state = pg_atomic_read_u32(&slot->state);

	if (state == SLOT_QUEUED)
	{
		int			to_start[AIGW_MAX_WORKERS_PER_POOL];
		int			nstart = 0;
		int			poolno;

		LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
		poolno = slot->pool;
		if (pg_atomic_read_u32(&slot->state) == SLOT_QUEUED)
			nstart = aigw_pool_claim_missing_locked(&aigw_shared->pools[poolno], to_start);
		LWLockRelease(aigw_shared->lock);
		if (nstart > 0)
			aigw_pool_start_workers(MyDatabaseId, poolno, to_start, nstart);
		return true;
	}
	if (state == SLOT_RUNNING && slot->worker_pid != 0 &&
		kill(slot->worker_pid, 0) != 0 && errno == ESRCH)
		return pg_atomic_read_u32(&slot->state) != SLOT_RUNNING;
	return true;
}

/*
 * The slots this backend is using, and how far each got.  Kept outside the
 * call so that the exit callback can give them back when the backend ends
 * with FATAL (pg_terminate_backend, a lost client, postmaster death),
 * which PG_CATCH does not see.  A scalar call holds one; a batch up to its
 * concurrency.
 */
typedef enum CallerHold
{
	HOLD_NONE,
	HOLD_TAKEN,					/* off the free list, not queued yet */
	HOLD_SUBMITTED				/* queued or running: abandon to give back */
} CallerHold;

typedef struct HeldSlot
{
	int			slotno;
	CallerHold	how;
} HeldSlot;

static HeldSlot *held = NULL;
static int	nheld = 0;
static int	held_cap = 0;
static bool exit_callback_registered = false;

/* A reservation made for a call that has no slot yet to own it. */
static AigwWallet *pending_wallet = NULL;
static int64 pending_reserved = 0;

static void
release_pending_reservation(void)
{
	if (pending_wallet != NULL)
		aigw_wallet_release(pending_wallet, pending_reserved);
	pending_wallet = NULL;
	pending_reserved = 0;
}

static int
held_find(int slotno)
{
	for (int i = nheld - 1; i >= 0; i--)
		if (held[i].slotno == slotno)
			return i;
	return -1;
}

static void
held_mark_submitted(int slotno)
{
	held[held_find(slotno)].how = HOLD_SUBMITTED;
}

/* Room is made before the slot is taken: nothing may fail in between. */
static void
held_reserve_room(void)
{
	if (nheld < held_cap)
		return;
	held_cap = Max(8, held_cap * 2);
	held = held ? repalloc(held, sizeof(HeldSlot) * held_cap)
		: MemoryContextAlloc(TopMemoryContext, sizeof(HeldSlot) * held_cap);
}

static void
held_forget(int i)
{
	held[i] = held[--nheld];
}

static void
release_held(int i)
{
	int			slotno = held[i].slotno;
	CallerHold	how = held[i].how;

	held_forget(i);
	if (how == HOLD_TAKEN)
	{
		AigwSlot   *slot = &aigw_shared->slots[slotno];

		if (DsaPointerIsValid(slot->request))
			aigw_request_free(aigw_dsa(), slot->request);
		aigw_slot_free(slotno);
	}
	else if (how == HOLD_SUBMITTED)
		slot_abandon(slotno);
}

void
aigw_pool_abandon_all(void)
{
	aigw_pool_flush_wakeups();
	release_pending_reservation();
	while (nheld > 0)
		release_held(nheld - 1);
	aigw_limits_release_all();
}

/*
 * Give back one request still in flight (a read-ahead scan rescanned or
 * ended early): the worker aborts it, the pool logs and settles it as for
 * a cancel.  The call's aigw.limits hold is the caller's to release.
 */
void
aigw_pool_abandon(int ticket)
{
	int			i = held_find(ticket);

	if (i >= 0)
		release_held(i);
}

static void
caller_exit_callback(int code, Datum arg)
{
	aigw_pool_abandon_all();
}

/*
 * On an error, send gives back what it took (the slot, the reservation)
 * before raising: the other requests of a batch go on.
 */
int
aigw_pool_send(AigwRequestMsg *request, AigwWallet *wallet, int64 reserved)
{
	dsa_area   *area = aigw_dsa();
	int			slotno = -1;
	AigwSlot   *slot;
	dsa_pointer dp;

	if (!exit_callback_registered)
	{
		before_shmem_exit(caller_exit_callback, (Datum) 0);
		exit_callback_registered = true;
	}

	pending_wallet = wallet;
	pending_reserved = reserved;
	PG_TRY();
	{
		held_reserve_room();
		slotno = aigw_slot_acquire();
		slot = &aigw_shared->slots[slotno];
		slot->request = InvalidDsaPointer;
		slot->wallet = wallet;
		slot->reserved = reserved;
		pending_wallet = NULL;
		pending_reserved = 0;
		held[nheld].slotno = slotno;
		held[nheld].how = HOLD_TAKEN;
		nheld++;

		dp = dsa_allocate_extended(area, request->total_size, DSA_ALLOC_NO_OOM);
		if (!DsaPointerIsValid(dp))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("aigw shared memory for requests is exhausted"),
					 errdetail("A request of %u bytes did not fit in aigw.shared_memory (%d MB).",
							   request->total_size, aigw_shared_memory_mb),
					 errhint("Raise aigw.shared_memory (needs a restart) or lower the number of calls in flight.")));
		memcpy(dsa_get_address(area, dp), request, request->total_size);
		slot->request = dp;
		slot->outcome = InvalidDsaPointer;
		slot->caller = MyProc;
		slot->worker = -1;
		slot->worker_pid = 0;

		pool_submit(slotno);
	}
	PG_CATCH();
	{
		int			i = slotno >= 0 ? held_find(slotno) : -1;

		release_pending_reservation();
		if (i >= 0)
			release_held(i);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return slotno;
}

/* The newest worker commit behind an outcome this backend took. */
static XLogRecPtr outcomes_lsn = InvalidXLogRecPtr;

/*
 * Flush WAL up to the newest outcome taken.  A worker's turn commits
 * without waiting for the flush unless it sends something (settle.c); a
 * call that was sent was durable as a pending row before it left, and its
 * outcome carries no position to flush to (intent.c).  What else comes out
 * of the pool (a top-up, a call that never left) is made durable here by
 * whoever hands it out, before anyone sees it (DESIGN.md, invariants 2 and
 * 8).  Usually free: once one
 * caller, the other worker of the pool or the WAL writer has flushed past
 * it, there is nothing to do; otherwise concurrent flushes are grouped by
 * PostgreSQL into one fsync.
 */
void
aigw_pool_make_durable(void)
{
	if (outcomes_lsn != InvalidXLogRecPtr && outcomes_lsn > GetFlushRecPtr(NULL))
		XLogFlush(outcomes_lsn);
	outcomes_lsn = InvalidXLogRecPtr;
}

/* A DONE slot: copy its outcome out (into cxt) and free it. */
static AigwOutcomeMsg *
take_outcome(int slotno, MemoryContext cxt)
{
	dsa_area   *area = aigw_dsa();
	AigwSlot   *slot = &aigw_shared->slots[slotno];
	AigwOutcomeMsg *outcome = NULL;

	held_forget(held_find(slotno));
	pg_read_barrier();
	if (DsaPointerIsValid(slot->outcome))
	{
		AigwOutcomeMsg *shared = dsa_get_address(area, slot->outcome);

		outcome = MemoryContextAlloc(cxt, shared->total_size);
		memcpy(outcome, shared, shared->total_size);
		if (outcome->commit_lsn > outcomes_lsn)
			outcomes_lsn = outcome->commit_lsn;
		dsa_free(area, slot->outcome);
	}
	aigw_slot_free(slotno);
	return outcome;
}

int
aigw_pool_wait(const int *tickets, int n, long timeout_ms, bool until_latch,
			   MemoryContext const *contexts, AigwOutcomeMsg **outcome)
{
	TimestampTz deadline = timeout_ms >= 0
		? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms) : 0;

	aigw_pool_flush_wakeups();	/* nothing waits on a request not yet woken for */
	*outcome = NULL;
	for (;;)
	{
		long		wait = AIGW_HEALTH_CHECK_MS;
		int			rc;

		for (int i = 0; i < n; i++)
			if (tickets[i] >= 0 && pg_atomic_read_u32(&aigw_shared->slots[tickets[i]].state) == SLOT_DONE)
			{
				*outcome = take_outcome(tickets[i], contexts ? contexts[i] : CurrentMemoryContext);
				return i;
			}
		if (deadline != 0)
		{
			wait = Min(wait, TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline));
			if (wait <= 0)
				return -1;
		}
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   wait, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if ((rc & WL_LATCH_SET) && until_latch)
		{
			for (int i = 0; i < n; i++)
				if (tickets[i] >= 0 && pg_atomic_read_u32(&aigw_shared->slots[tickets[i]].state) == SLOT_DONE)
				{
					*outcome = take_outcome(tickets[i], contexts ? contexts[i] : CurrentMemoryContext);
					return i;
				}
			return -1;
		}
		if (rc & WL_TIMEOUT)
			for (int i = 0; i < n; i++)
				if (tickets[i] >= 0 && !slot_worker_alive(tickets[i]))
				{
					/* its worker is gone: no outcome will come */
					release_held(held_find(tickets[i]));
					return i;
				}
	}
}

/*
 * Hand a request to this database's pool and wait for its outcome.
 * Returns the outcome copied into the current memory context, or NULL if
 * the worker could not deliver one.  A reservation made for the call
 * (wallet non-NULL) passes to its slot, which releases it however the call
 * ends; if no slot can be had, it is released here.
 */
AigwOutcomeMsg *
aigw_pool_call(AigwRequestMsg *request, AigwWallet *wallet, int64 reserved)
{
	AigwOutcomeMsg *outcome;
	int			ticket;
	volatile int sent = -1;

	PG_TRY();
	{
		ticket = aigw_pool_send(request, wallet, reserved);
		sent = ticket;
		(void) aigw_pool_wait(&ticket, 1, -1, false, NULL, &outcome);
		aigw_pool_make_durable();
	}
	PG_CATCH();
	{
		/* send gave back what it took if it failed; a request sent is abandoned */
		if (sent >= 0)
			aigw_pool_abandon(sent);
		aigw_pool_flush_wakeups();
		PG_RE_THROW();
	}
	PG_END_TRY();
	return outcome;
}
