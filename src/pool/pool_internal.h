/*
 * pool_internal.h
 *	  What pool.c, pool_caller.c and pool_worker.c share and no other
 *	  module may use: the slot free list, the queues and the pools' worker
 *	  tables, all under aigw_shared->lock where the name says _locked.
 */
#ifndef AIGW_POOL_INTERNAL_H
#define AIGW_POOL_INTERNAL_H

#include "postgres.h"

#include "pool/pool.h"

/* Slots: take a free one (waits while none is free), give one back. */
extern int	aigw_slot_acquire(void);
extern void aigw_slot_free_locked(int slotno);
extern void aigw_slot_free(int slotno);

/* A pool's queue and workers (the lock held by the caller). */
extern bool aigw_queue_remove_locked(AigwPool *pool, int slotno);
extern int	aigw_pool_find_or_create_locked(Oid dboid);
extern int	aigw_pool_claim_missing_locked(AigwPool *pool, int *indexes);
extern PGPROC *aigw_pool_pick_worker_locked(AigwPool *pool);
extern void aigw_pool_maybe_release_locked(AigwPool *pool);

/* Register the background workers claimed by aigw_pool_claim_missing_locked. */
extern void aigw_pool_start_workers(Oid dboid, int poolno, const int *indexes, int n);

#endif							/* AIGW_POOL_INTERNAL_H */
