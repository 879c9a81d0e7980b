/*
 * wallet_cache.c
 *	  The shared-memory wallet table (see wallet_cache.h).
 *
 * The hash table is only locked to find or add an entry; the money fields
 * of an entry are under its own spinlock, held for a few instructions, so
 * that calls on different wallets never wait for each other and calls on
 * one wallet wait for microseconds at most (invariant 4).
 */
#include "postgres.h"

#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"

#include "common/settings.h"
#include "common/shared_hash.h"
#include "billing/wallet_cache.h"

static HTAB *wallets = NULL;
static LWLock *wallets_lock = NULL;

Size
aigw_wallet_cache_size(void)
{
	return hash_estimate_size(aigw_max_wallets, sizeof(AigwWallet));
}

void
aigw_wallet_cache_init(void)
{
	wallets = aigw_shared_hash_init("aigw wallets", aigw_max_wallets,
									sizeof(AigwWalletKey), sizeof(AigwWallet));
	wallets_lock = &(GetNamedLWLockTranche("aigw"))[1].lock;
}

static void
update_committed(AigwWallet *w, int64 balance, int64 version)
{
	SpinLockAcquire(&w->mutex);
	if (version > w->version)
	{
		w->balance = balance;
		w->version = version;
	}
	SpinLockRelease(&w->mutex);
}

static void
init_wallet(void *entry, const void *arg)
{
	AigwWallet *w = entry;

	SpinLockInit(&w->mutex);
	w->balance = 0;
	w->version = -1;
	w->reserved = 0;
	w->calls = 0;
}

AigwWallet *
aigw_wallet_observe(const AigwWalletKey *key, int64 balance, int64 version)
{
	AigwWallet *w = aigw_shared_hash_enter(wallets, wallets_lock, key, init_wallet, NULL);

	if (w != NULL)
		update_committed(w, balance, version);
	return w;
}

bool
aigw_wallet_reserve(AigwWallet *w, int64 amount, int64 credit_limit,
					int64 *balance, int64 *reserved)
{
	bool		ok;

	SpinLockAcquire(&w->mutex);
	ok = w->balance + credit_limit - w->reserved >= amount;
	if (ok)
	{
		w->reserved += amount;
		w->calls++;
	}
	*balance = w->balance;
	*reserved = w->reserved;
	SpinLockRelease(&w->mutex);
	return ok;
}

void
aigw_wallet_release(AigwWallet *w, int64 amount)
{
	SpinLockAcquire(&w->mutex);
	w->reserved -= amount;
	w->calls--;
	Assert(w->reserved >= 0 && w->calls >= 0);
	SpinLockRelease(&w->mutex);
}

int
aigw_wallet_cache_list(Oid dboid, Oid relid, AigwWalletSnapshot **out)
{
	HASH_SEQ_STATUS seq;
	AigwWallet *w;
	int			n = 0;
	int			cap = 16;

	*out = palloc(sizeof(AigwWalletSnapshot) * cap);
	LWLockAcquire(wallets_lock, LW_SHARED);
	hash_seq_init(&seq, wallets);
	while ((w = hash_seq_search(&seq)) != NULL)
	{
		if (w->key.dboid != dboid || w->key.relid != relid)
			continue;
		if (n == cap)
		{
			cap *= 2;
			*out = repalloc(*out, sizeof(AigwWalletSnapshot) * cap);
		}
		SpinLockAcquire(&w->mutex);
		(*out)[n].wallet_id = w->key.wallet_id;
		(*out)[n].balance = w->balance;
		(*out)[n].version = w->version;
		(*out)[n].reserved = w->reserved;
		(*out)[n].calls = w->calls;
		SpinLockRelease(&w->mutex);
		n++;
	}
	LWLockRelease(wallets_lock);
	return n;
}
