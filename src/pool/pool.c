/*
 * pool.c
 *	  Shared memory, request slots and the per-database worker pools.
 *
 * A calling backend takes a free slot, puts its request in the DSA area,
 * queues the slot on its database's pool and sleeps on its latch.  A worker
 * of that pool takes the slot, runs the transfer, logs the attempt in its
 * own transaction, writes the outcome to the DSA area and sets the caller's
 * latch.  The pool lock is held only to move slots between lists; the slot
 * state (see pool.h) is what the caller and the worker agree on.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "pool/pool.h"
#include "billing/usage_limits.h"

/* The in-place part of the DSA area; it grows in DSM segments beyond this. */
#define AIGW_DSA_INPLACE_SIZE	((Size) 4 * 1024 * 1024)

/* How often a waiting caller checks that its pool still has workers. */
#define AIGW_HEALTH_CHECK_MS	1000

/* A registered worker that has not attached by then is presumed dead. */
#define AIGW_ATTACH_DEADLINE_MS	10000

AigwShared *aigw_shared = NULL;
static dsa_area *aigw_area = NULL;

static void slot_free_locked(int slotno);
static void slot_free(int slotno);

/* The "aigw" segment itself: pools, slots and the DSA area's start. */
Size
aigw_pool_shmem_size(void)
{
	Size		size = MAXALIGN(sizeof(AigwShared));

	size = add_size(size, MAXALIGN(mul_size(aigw_max_databases, sizeof(AigwPool))));
	size = add_size(size, MAXALIGN(mul_size(aigw_request_slots, sizeof(AigwSlot))));
	return add_size(size, AIGW_DSA_INPLACE_SIZE);
}

/*
 * Set up the segment (the caller, init/init.c's shmem_startup hook, holds
 * AddinShmemInitLock and registers the DSA tranche after releasing it).
 */
void
aigw_pool_shmem_init(void)
{
	bool		found;
	char	   *p;

	aigw_shared = ShmemInitStruct("aigw", aigw_pool_shmem_size(), &found);
	if (!found)
	{
		dsa_area   *area;

		memset(aigw_shared, 0, sizeof(AigwShared));
		aigw_shared->lock = &(GetNamedLWLockTranche("aigw"))->lock;
		aigw_shared->dsa_tranche = LWLockNewTrancheId();
		aigw_shared->npools = aigw_max_databases;
		aigw_shared->nslots = aigw_request_slots;

		p = (char *) aigw_shared + MAXALIGN(sizeof(AigwShared));
		aigw_shared->pools = (AigwPool *) p;
		p += MAXALIGN(mul_size(aigw_max_databases, sizeof(AigwPool)));
		aigw_shared->slots = (AigwSlot *) p;
		p += MAXALIGN(mul_size(aigw_request_slots, sizeof(AigwSlot)));
		aigw_shared->dsa_space = p;

		memset(aigw_shared->pools, 0, aigw_max_databases * sizeof(AigwPool));
		for (int i = 0; i < aigw_max_databases; i++)
		{
			aigw_shared->pools[i].dboid = InvalidOid;
			aigw_shared->pools[i].queue_head = -1;
			aigw_shared->pools[i].queue_tail = -1;
			pg_atomic_init_u32(&aigw_shared->pools[i].abandons, 0);
		}
		for (int i = 0; i < aigw_request_slots; i++)
		{
			AigwSlot   *slot = &aigw_shared->slots[i];

			pg_atomic_init_u32(&slot->state, SLOT_FREE);
			slot->next = (i + 1 < aigw_request_slots) ? i + 1 : -1;
			slot->pool = -1;
			slot->worker = -1;
			slot->request = InvalidDsaPointer;
			slot->outcome = InvalidDsaPointer;
			slot->wallet = NULL;
			slot->reserved = 0;
		}
		aigw_shared->free_head = 0;
		ConditionVariableInit(&aigw_shared->slot_freed);

		area = dsa_create_in_place(aigw_shared->dsa_space, AIGW_DSA_INPLACE_SIZE,
								   aigw_shared->dsa_tranche, NULL);
		dsa_set_size_limit(area, (Size) aigw_shared_memory_mb * 1024 * 1024);
	}
}

dsa_area *
aigw_dsa(void)
{
	if (aigw_area == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		/*
		 * The postmaster holds the area's first reference for the life of
		 * the shared memory, so ours never needs releasing.
		 */
		aigw_area = dsa_attach_in_place(aigw_shared->dsa_space, NULL);
		dsa_pin_mapping(aigw_area);
		MemoryContextSwitchTo(old);
	}
	return aigw_area;
}

/* ---------------------------------------------------------------------
 * Slots
 * ---------------------------------------------------------------------
 */

static int
slot_acquire(void)
{
	int			slotno;

	for (;;)
	{
		LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
		slotno = aigw_shared->free_head;
		if (slotno >= 0)
			aigw_shared->free_head = aigw_shared->slots[slotno].next;
		LWLockRelease(aigw_shared->lock);
		if (slotno >= 0)
			break;

		/*
		 * Every slot is in use: wait for one.  The timeout only guards
		 * against a signal lost to a waiter that was cancelled.
		 */
		ConditionVariableTimedSleep(&aigw_shared->slot_freed, 1000,
									PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return slotno;
}

static void
slot_free_locked(int slotno)
{
	AigwSlot   *slot = &aigw_shared->slots[slotno];

	aigw_slot_release_reservation(slotno);
	slot->request = InvalidDsaPointer;
	slot->outcome = InvalidDsaPointer;
	slot->caller = NULL;
	slot->worker = -1;
	slot->worker_pid = 0;
	slot->pool = -1;
	pg_atomic_write_u32(&slot->state, SLOT_FREE);
	slot->next = aigw_shared->free_head;
	aigw_shared->free_head = slotno;
}

static void
slot_free(int slotno)
{
	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	slot_free_locked(slotno);
	LWLockRelease(aigw_shared->lock);
	ConditionVariableSignal(&aigw_shared->slot_freed);
}

/* Unlink a slot that is still on its pool's queue.  Pool lock held. */
static bool
queue_remove_locked(AigwPool *pool, int slotno)
{
	int			prev = -1;

	for (int cur = pool->queue_head; cur >= 0; cur = aigw_shared->slots[cur].next)
	{
		if (cur == slotno)
		{
			int			next = aigw_shared->slots[cur].next;

			if (prev < 0)
				pool->queue_head = next;
			else
				aigw_shared->slots[prev].next = next;
			if (pool->queue_tail == cur)
				pool->queue_tail = prev;
			return true;
		}
		prev = cur;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Pools
 * ---------------------------------------------------------------------
 */

static int
pool_find_locked(Oid dboid)
{
	for (int i = 0; i < aigw_shared->npools; i++)
		if (aigw_shared->pools[i].dboid == dboid)
			return i;
	return -1;
}

static int
pool_find_or_create_locked(Oid dboid)
{
	int			idx = pool_find_locked(dboid);

	if (idx >= 0)
		return idx;
	idx = pool_find_locked(InvalidOid);
	if (idx >= 0)
	{
		AigwPool   *pool = &aigw_shared->pools[idx];

		memset(pool, 0, sizeof(AigwPool));
		pool->dboid = dboid;
		pool->queue_head = pool->queue_tail = -1;
	}
	return idx;
}

static int
pool_live_workers_locked(AigwPool *pool)
{
	int			n = 0;

	for (int i = 0; i < AIGW_MAX_WORKERS_PER_POOL; i++)
		if (pool->workers[i].registered)
			n++;
	return n;
}

/* Release a pool entry nobody uses any more, so other databases can have it. */
static void
pool_maybe_release_locked(AigwPool *pool)
{
	if (pool->queue_head < 0 && pool_live_workers_locked(pool) == 0)
		pool->dboid = InvalidOid;
}

/*
 * Register a background worker of aigw connected to a database and wait
 * until the postmaster has started it.  Returns false if it could not be
 * started.
 */
bool
aigw_start_background_worker(const char *function, const char *name, const char *type,
							 Oid dboid, int extra)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;

	/*
	 * No automatic restart: a worker that keeps failing (say its database
	 * was dropped) must not be relaunched every second forever.  The next
	 * caller, or a caller waiting in the queue, starts a replacement.
	 */
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "aigw");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", type);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	memcpy(worker.bgw_extra, &extra, sizeof(extra));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return false;
	return WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED;
}

static bool
worker_start(Oid dboid, int index)
{
	return aigw_start_background_worker("aigw_worker_main",
										psprintf("aigw worker %d for database %u", index, dboid),
										"aigw worker", dboid, index);
}

/*
 * Start the workers a pool is missing.  Called with nothing locked; the
 * workers to start were marked registered by the caller under the lock, so
 * two backends never start the same one.
 */
static void
pool_start_workers(Oid dboid, int poolno, const int *indexes, int n)
{
	int			failed = 0;
	int			live;

	/*
	 * Startup takes milliseconds; a cancel arriving meanwhile must not
	 * leave workers marked registered that nobody will ever start.
	 */
	HOLD_INTERRUPTS();
	for (int i = 0; i < n; i++)
	{
		if (worker_start(dboid, indexes[i]))
			continue;
		failed++;
		LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
		if (aigw_shared->pools[poolno].dboid == dboid &&
			aigw_shared->pools[poolno].workers[indexes[i]].pid == 0)
			aigw_shared->pools[poolno].workers[indexes[i]].registered = false;
		LWLockRelease(aigw_shared->lock);
	}
	RESUME_INTERRUPTS();
	if (failed == 0)
		return;

	LWLockAcquire(aigw_shared->lock, LW_SHARED);
	live = pool_live_workers_locked(&aigw_shared->pools[poolno]);
	LWLockRelease(aigw_shared->lock);
	if (live == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start an aigw worker for this database"),
				 errdetail("No background worker slot is free: max_worker_processes is %d.",
						   max_worker_processes),
				 errhint("Raise max_worker_processes; each database that calls aigw uses aigw.workers (%d) of them.",
						 aigw_workers)));
	ereport(WARNING,
			(errmsg("aigw started %d of the %d workers requested for this database",
					live, aigw_workers),
			 errhint("Raise max_worker_processes.")));
}

/*
 * Mark the workers this pool lacks as registered and return their indexes;
 * the caller starts them once the lock is released.
 */
static int
pool_claim_missing_locked(AigwPool *pool, int *indexes)
{
	int			n = 0;
	int			want = Min(aigw_workers, AIGW_MAX_WORKERS_PER_POOL);

	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < want; i++)
	{
		AigwWorkerInfo *w = &pool->workers[i];

		/*
		 * A worker that was registered but never attached (its process
		 * failed before reaching aigw's code) is given up after a while.
		 */
		if (w->registered && w->pid == 0 &&
			TimestampDifferenceExceeds(w->registered_at, now, AIGW_ATTACH_DEADLINE_MS))
			w->registered = false;
		if (!w->registered)
		{
			w->registered = true;
			w->registered_at = now;
			indexes[n++] = i;
		}
	}
	return n;
}

static PGPROC *
pool_pick_worker_locked(AigwPool *pool)
{
	for (int k = 0; k < AIGW_MAX_WORKERS_PER_POOL; k++)
	{
		int			i = (pool->next_wakeup + k) % AIGW_MAX_WORKERS_PER_POOL;

		if (pool->workers[i].proc != NULL)
		{
			pool->next_wakeup = i + 1;
			return pool->workers[i].proc;
		}
	}
	return NULL;
}

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
	poolno = pool_find_or_create_locked(MyDatabaseId);
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
	nstart = pool_claim_missing_locked(pool, to_start);

	slot->pool = poolno;
	slot->next = -1;
	pg_atomic_write_u32(&slot->state, SLOT_QUEUED);
	if (pool->queue_tail >= 0)
		aigw_shared->slots[pool->queue_tail].next = slotno;
	else
		pool->queue_head = slotno;
	pool->queue_tail = slotno;
	wake = pool_pick_worker_locked(pool);
	LWLockRelease(aigw_shared->lock);

	/* queued: from here on, giving it back means abandoning it */
	held_mark_submitted(slotno);
	if (wake != NULL)
		wake_worker(wake);
	if (nstart > 0)
		pool_start_workers(MyDatabaseId, poolno, to_start, nstart);
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

		queue_remove_locked(pool, slotno);
		aigw_request_free(aigw_dsa(), slot->request);
		slot_free_locked(slotno);
		pool_maybe_release_locked(pool);
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
	slot_free(slotno);
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
			nstart = pool_claim_missing_locked(&aigw_shared->pools[poolno], to_start);
		LWLockRelease(aigw_shared->lock);
		if (nstart > 0)
			pool_start_workers(MyDatabaseId, poolno, to_start, nstart);
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
		slot_free(slotno);
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
		slotno = slot_acquire();
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
 * Flush WAL up to the newest outcome taken.  Workers commit their turns
 * without waiting for the flush (settle.c), so whoever hands an answer out
 * calls this first: the log row and the charge behind it are then durable
 * before anyone sees it (DESIGN.md, invariant 2).  Usually free: once one
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
	slot_free(slotno);
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

	PG_TRY();
	{
		ticket = aigw_pool_send(request, wallet, reserved);
		(void) aigw_pool_wait(&ticket, 1, -1, false, NULL, &outcome);
		aigw_pool_make_durable();
	}
	PG_CATCH();
	{
		aigw_pool_abandon_all();
		PG_RE_THROW();
	}
	PG_END_TRY();
	return outcome;
}

/*
 * Ask every worker of a database's pool to stop (they abort what is in
 * flight, log it, and exit).  The next call in that database starts a new
 * pool.
 */
void
aigw_pool_stop(Oid dboid)
{
	pid_t		pids[AIGW_MAX_WORKERS_PER_POOL];
	int			n = 0;
	int			poolno;

	LWLockAcquire(aigw_shared->lock, LW_SHARED);
	poolno = pool_find_locked(dboid);
	if (poolno >= 0)
		for (int i = 0; i < AIGW_MAX_WORKERS_PER_POOL; i++)
			if (aigw_shared->pools[poolno].workers[i].pid != 0)
				pids[n++] = aigw_shared->pools[poolno].workers[i].pid;
	LWLockRelease(aigw_shared->lock);

	for (int i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
}

/* ---------------------------------------------------------------------
 * Worker side
 * ---------------------------------------------------------------------
 */

AigwPool *
aigw_pool_for_worker(Oid dboid, int index)
{
	AigwPool   *pool = NULL;
	int			poolno;

	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	poolno = pool_find_or_create_locked(dboid);
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
	slot_free(slotno);
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
			slot_free_locked(i);
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
	pool_maybe_release_locked(pool);
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
		pool_maybe_release_locked(pool);
		leave = true;
	}
	LWLockRelease(aigw_shared->lock);
	return leave;
}
