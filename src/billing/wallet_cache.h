/*
 * wallet_cache.h
 *	  Per-wallet state in shared memory: the committed balance as last seen,
 *	  and the amount reserved by calls in flight.  Reserving against it needs
 *	  no table write and no row lock (DESIGN.md, invariants 3 and 4).
 *
 * Amounts are int64 counts of the wallet's ledger unit (a millionth of the
 * currency's minor unit), which every ledger amount is rounded to, so sums
 * are exact.
 */
#ifndef AIGW_WALLET_CACHE_H
#define AIGW_WALLET_CACHE_H

#include "postgres.h"

#include "miscadmin.h"
#include "storage/spin.h"

/*
 * A wallet is known by its database, the OID of that database's
 * aigw.wallet_balances (new for every CREATE EXTENSION, so a reinstalled
 * extension never inherits a cached balance) and its id.
 */
typedef struct AigwWalletKey
{
	Oid			dboid;
	Oid			relid;
	int64		wallet_id;
} AigwWalletKey;

/* The key of a wallet of this database (padding zeroed: keys are hashed as bytes). */
static inline AigwWalletKey
aigw_wallet_key(Oid relid, int64 wallet_id)
{
	AigwWalletKey key;

	memset(&key, 0, sizeof(key));
	key.dboid = MyDatabaseId;
	key.relid = relid;
	key.wallet_id = wallet_id;
	return key;
}

typedef struct AigwWallet
{
	AigwWalletKey key;
	slock_t		mutex;			/* protects the fields below */
	int64		balance;		/* committed balance at `version` */
	int64		version;		/* aigw.wallet_balances.version; -1: unknown */
	int64		reserved;		/* sum of reservations in flight */
	int32		calls;			/* how many */
} AigwWallet;

extern Size aigw_wallet_cache_size(void);
extern void aigw_wallet_cache_init(void);

/*
 * Record a committed (balance, version) of a wallet, creating its entry if
 * needed.  Whoever read it, and however late, the entry only moves to a
 * newer version: so readers with old snapshots and writers that publish
 * after their commit can all call this in any order.  Returns NULL when
 * the table is full.
 */
extern AigwWallet *aigw_wallet_observe(const AigwWalletKey *key, int64 balance, int64 version);

/*
 * Reserve `amount` if balance + credit_limit - reserved covers it.  On
 * failure, *balance and *reserved say why.
 */
extern bool aigw_wallet_reserve(AigwWallet *w, int64 amount, int64 credit_limit,
								int64 *balance, int64 *reserved);
extern void aigw_wallet_release(AigwWallet *w, int64 amount);

typedef struct AigwWalletSnapshot
{
	int64		wallet_id;
	int64		balance;
	int64		version;
	int64		reserved;
	int32		calls;
} AigwWalletSnapshot;

/* Copy the entries of one database and relation; returns how many. */
extern int	aigw_wallet_cache_list(Oid dboid, Oid relid, AigwWalletSnapshot **out);

#endif							/* AIGW_WALLET_CACHE_H */
