/*
 * quote_cache.h
 *	  What billing needs to know about a (wallet, model) pair, read with
 *	  aigw.billing_quote() and cached in the backend: wallets, prices and
 *	  exchange rates change rarely, calls are many.
 */
#ifndef AIGW_QUOTE_CACHE_H
#define AIGW_QUOTE_CACHE_H

#include "postgres.h"

#include "utils/numeric.h"
#include "utils/timestamp.h"

typedef struct AigwQuote
{
	bool		wallets_exist;
	int64		wallet_id;		/* 0: no such wallet (or none asked for) */
	TransactionId wallet_xmin;
	Oid			wallet_owner;
	bool		wallet_enabled;
	char	   *currency;
	int			scale;
	int64		credit_limit;	/* ledger units */
	char	   *price_currency; /* NULL: no price in force */
	char	   *rate_input;
	char	   *rate_output;
	char	   *rate_cached;
	char	   *rate_reasoning;
	char	   *rate_cache_write;
	Numeric		max_input_rate; /* highest rate a prompt token can cost */
	Numeric		max_output_rate;
	Numeric		fx;				/* price -> wallet currency; NULL: no rate */
	char	   *fx_text;		/* NULL when no conversion */
	int64		model_max_output;	/* -1: unknown */
	int64		model_context;
	int64		balance;		/* as read: may be older than the cache */
	int64		version;
	int			price_scale;
	TimestampTz valid_until;	/* DT_NOEND: until a change */
	Oid		   *grantees;		/* roles the wallet is granted to (aigw.wallet_grants) */
	int			ngrantees;

	/*
	 * The rates of a line sent through a provider's batch API, resolved by
	 * aigw.billing_quote (its comment states the rule): NULL when no price
	 * is in force.
	 */
	char	   *batch_rate_input;
	char	   *batch_rate_output;
	char	   *batch_rate_cached;
	char	   *batch_rate_cache_write;
	char	   *batch_rate_reasoning;
	Numeric		max_batch_input_rate;
	Numeric		max_batch_output_rate;
} AigwQuote;

/*
 * The quote for a call made at `at`: from the cache if it is still valid
 * (no committed change to the tables it was read from, `at` before
 * valid_until), else read again.  Valid until the next call.
 */
extern const AigwQuote *aigw_quote_get(const char *wallet, const char *model, TimestampTz at);

/*
 * For other backend-local caches of the same tables (route.c): the counter
 * of committed changes, and whether what this transaction reads may be
 * cached at all (not its own uncommitted changes, not an old snapshot).
 */
extern uint64 aigw_catalog_generation(void);
extern bool aigw_catalog_cacheable(void);

/* Shared memory: the counter of committed changes. */
extern Size aigw_quote_cache_shmem_size(void);
extern void aigw_quote_cache_shmem_init(void);

#endif							/* AIGW_QUOTE_CACHE_H */
