/*
 * shared_hash.c
 *	  See shared_hash.h.
 */
#include "postgres.h"

#include "storage/shmem.h"

#include "common/shared_hash.h"

HTAB *
aigw_shared_hash_init(const char *name, long max_entries, Size keysize, Size entrysize)
{
	HASHCTL		info;

	info.keysize = keysize;
	info.entrysize = entrysize;
	return ShmemInitHash(name, max_entries, max_entries, &info, HASH_ELEM | HASH_BLOBS);
}

void *
aigw_shared_hash_find(HTAB *table, LWLock *lock, const void *key)
{
	void	   *entry;

	LWLockAcquire(lock, LW_SHARED);
	entry = hash_search(table, key, HASH_FIND, NULL);
	LWLockRelease(lock);
	return entry;
}

void *
aigw_shared_hash_enter(HTAB *table, LWLock *lock, const void *key,
					   void (*init) (void *entry, const void *arg), const void *arg)
{
	void	   *entry = aigw_shared_hash_find(table, lock, key);
	bool		found;

	if (entry != NULL)
		return entry;
	LWLockAcquire(lock, LW_EXCLUSIVE);
	entry = hash_search(table, key, HASH_ENTER_NULL, &found);
	if (entry != NULL && !found)
		init(entry, arg);
	LWLockRelease(lock);
	return entry;
}
