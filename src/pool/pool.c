/*
 * pool.c
 *	  Shared memory, request slots and the per-database worker pools: the
 *	  segment, the slot free list, the queues and starting workers.  The
 *	  caller's half is pool_caller.c, the worker's pool_worker.c.
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

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "pool/pool.h"
#include "pool/pool_internal.h"

/* The in-place part of the DSA area; it grows in DSM segments beyond this. */
#define AIGW_DSA_INPLACE_SIZE	((Size) 4 * 1024 * 1024)

/* A registered worker that has not attached by then is presumed dead. */
#define AIGW_ATTACH_DEADLINE_MS	10000

AigwShared *aigw_shared = NULL;
static dsa_area *aigw_area = NULL;


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

int
aigw_slot_acquire(void)
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

void
aigw_slot_free_locked(int slotno)
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

void
aigw_slot_free(int slotno)
{
	LWLockAcquire(aigw_shared->lock, LW_EXCLUSIVE);
	aigw_slot_free_locked(slotno);
	LWLockRelease(aigw_shared->lock);
	ConditionVariableSignal(&aigw_shared->slot_freed);
}

/* Unlink a slot that is still on its pool's queue.  Pool lock held. */
bool
aigw_queue_remove_locked(AigwPool *pool, int slotno)
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

int
aigw_pool_find_or_create_locked(Oid dboid)
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
void
aigw_pool_maybe_release_locked(AigwPool *pool)
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
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	return aigw_start_background_worker_handle(function, name, type, dboid, extra, &handle) &&
		WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED;
}

bool
aigw_start_background_worker_handle(const char *function, const char *name, const char *type,
									Oid dboid, int extra, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

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

	return RegisterDynamicBackgroundWorker(&worker, handle);
}

bool
aigw_extension_installed(void)
{
	bool		found;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	found = OidIsValid(get_extension_oid("aigw", true));
	CommitTransactionCommand();
	return found;
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
void
aigw_pool_start_workers(Oid dboid, int poolno, const int *indexes, int n)
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
int
aigw_pool_claim_missing_locked(AigwPool *pool, int *indexes)
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

PGPROC *
aigw_pool_pick_worker_locked(AigwPool *pool)
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

