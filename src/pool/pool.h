/*
 * pool.h
 *	  Shared memory of aigw: request slots, one worker pool per database,
 *	  and the DSA area that carries request and outcome payloads.
 */
#ifndef AIGW_POOL_H
#define AIGW_POOL_H

#include "postgres.h"

#include "common/settings.h"
#include "common/message.h"
#include "billing/wallet_cache.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/dsa.h"

/*
 * A slot's life.  The state is an atomic so that the two parties that may
 * finish a slot, the caller giving up and the worker completing, settle
 * who frees it with one compare-and-swap, without the pool lock:
 *
 *	 FREE -> QUEUED		 caller, under the pool lock (slot leaves the free list)
 *	 QUEUED -> RUNNING	 worker, after taking it off its pool's queue
 *	 RUNNING -> DONE	 worker, once the attempt is durably logged
 *	 QUEUED|RUNNING -> ABANDONED   caller, on cancel / error
 *	 DONE -> FREE		 caller, after copying the outcome
 *	 ABANDONED -> FREE	 worker, after dropping the transfer
 */
typedef enum AigwSlotState
{
	SLOT_FREE = 0,
	SLOT_QUEUED,
	SLOT_RUNNING,
	SLOT_DONE,
	SLOT_ABANDONED
} AigwSlotState;

typedef struct AigwSlot
{
	pg_atomic_uint32 state;
	int			next;			/* free-list / queue link; pool lock */
	int			pool;			/* index of the pool it was queued on */
	int			worker;			/* owning worker index while RUNNING */
	pid_t		worker_pid;		/* its pid, to detect a worker that died */
	PGPROC	   *caller;			/* whose latch to set when DONE */
	dsa_pointer request;		/* AigwRequestMsg; freed by the worker */
	dsa_pointer outcome;		/* AigwOutcomeMsg; freed by the caller */

	/*
	 * The call's reservation on its wallet, owned by the slot from the
	 * moment the caller attaches it: the worker releases it right after the
	 * charge is committed, and freeing a slot that still holds one (a call
	 * never sent, a worker that died) releases it there.
	 */
	AigwWallet *wallet;
	int64		reserved;
} AigwSlot;

typedef struct AigwWorkerInfo
{
	bool		registered;		/* a bgworker exists or is starting */
	TimestampTz registered_at;
	pid_t		pid;			/* 0 until it attached */
	PGPROC	   *proc;
	int			inflight;		/* written by the worker only */
	uint64		completed;		/* written by the worker only */
	TimestampTz started_at;
} AigwWorkerInfo;

typedef struct AigwPool
{
	Oid			dboid;			/* InvalidOid: unused entry */
	int			queue_head;		/* slots waiting for a worker, FIFO */
	int			queue_tail;
	int			next_wakeup;	/* round-robin worker to wake */
	pg_atomic_uint32 abandons;	/* bumped when a caller abandons a RUNNING slot */
	AigwWorkerInfo workers[AIGW_MAX_WORKERS_PER_POOL];
} AigwPool;

typedef struct AigwShared
{
	LWLock	   *lock;			/* protects pools, queues and the free list */
	int			dsa_tranche;
	int			free_head;
	ConditionVariable slot_freed;	/* signalled when a slot goes FREE */
	int			npools;
	int			nslots;
	AigwPool   *pools;			/* points into this same segment */
	AigwSlot   *slots;
	char	   *dsa_space;
} AigwShared;

extern AigwShared *aigw_shared;

/* The "aigw" segment; init/init.c sizes and sets up all shared memory. */
extern Size aigw_pool_shmem_size(void);
extern void aigw_pool_shmem_init(void);

/* Attach (once per process) the DSA area that carries payloads. */
extern dsa_area *aigw_dsa(void);

/* Caller side */
extern AigwOutcomeMsg *aigw_pool_call(AigwRequestMsg *request, AigwWallet *wallet,
									  int64 reserved);

/*
 * The same in two steps, for many requests in flight at once.  Send hands
 * a request over and returns its ticket; wait returns the position in
 * tickets[] (entries < 0 are skipped) of one that has finished, with its
 * outcome (NULL: no outcome could be delivered), or -1 once timeout_ms has
 * passed (-1: no limit) or, with until_latch, the latch was set by something
 * else than a finished request.  The outcome is allocated in contexts[i]
 * (the current context when contexts is NULL).  After an error, abandon
 * gives back one request still in flight (the worker aborts it): each
 * caller gives back its own, since a cursor's read-ahead may have others
 * in flight that a caught error must not touch.  abandon_all gives back
 * every one (the backend's exit, the top transaction's abort).
 */
extern int	aigw_pool_send(AigwRequestMsg *request, AigwWallet *wallet, int64 reserved);
extern int	aigw_pool_wait(const int *tickets, int n, long timeout_ms, bool until_latch,
						   MemoryContext const *contexts, AigwOutcomeMsg **outcome);
extern void aigw_pool_abandon_all(void);
extern void aigw_pool_abandon(int ticket);

/*
 * Around a burst of sends: the workers are woken once, when it ends (wait
 * and abandon_all end it too), so the burst goes out in one turn.
 */
extern void aigw_pool_defer_wakeups(void);
extern void aigw_pool_flush_wakeups(void);

/* Before an answer taken from the pool is handed out: see pool.c. */
extern void aigw_pool_make_durable(void);
extern void aigw_pool_stop(Oid dboid);
extern bool aigw_start_background_worker(const char *function, const char *name, const char *type,
										 Oid dboid, int extra);
/* The same, registered only: the handle says when it has started and stopped. */
extern bool aigw_start_background_worker_handle(const char *function, const char *name, const char *type,
												Oid dboid, int extra, BackgroundWorkerHandle **handle);
/* Whether this database has aigw (a background worker connected to it asks). */
extern bool aigw_extension_installed(void);

/* Worker side */
extern AigwPool *aigw_pool_for_worker(Oid dboid, int index);
extern int	aigw_pool_take(AigwPool *pool, int index, int *slots, int max);
extern void aigw_slot_release_abandoned(int slotno);
extern bool aigw_slot_complete(int slotno, dsa_pointer outcome);
extern void aigw_slot_release_reservation(int slotno);
extern void aigw_worker_detach(AigwPool *pool, int index, bool unregister);
extern bool aigw_pool_idle_exit(AigwPool *pool, int index);

#endif							/* AIGW_POOL_H */
