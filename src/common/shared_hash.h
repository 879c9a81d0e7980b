/*
 * shared_hash.h
 *	  Find-or-add on a shared-memory hash table whose entries carry their own
 *	  spinlock: the table's LWLock is held shared to look up, and exclusive
 *	  only to add (the new entry is set up before anyone else can see it).
 */
#ifndef AIGW_SHARED_HASH_H
#define AIGW_SHARED_HASH_H

#include "postgres.h"

#include "storage/lwlock.h"
#include "utils/hsearch.h"

/* Create or attach a table of fixed-size entries keyed by bytes (shmem startup). */
extern HTAB *aigw_shared_hash_init(const char *name, long max_entries, Size keysize, Size entrysize);

/* The entry, or NULL. */
extern void *aigw_shared_hash_find(HTAB *table, LWLock *lock, const void *key);

/* The entry, added and set up by init(entry, arg) if missing; NULL when the table is full. */
extern void *aigw_shared_hash_enter(HTAB *table, LWLock *lock, const void *key,
									void (*init) (void *entry, const void *arg), const void *arg);

#endif							/* AIGW_SHARED_HASH_H */
