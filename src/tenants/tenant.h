/*
 * tenant.h
 *	  Who a call is made for and who pays for it.
 *
 *	  The wallet: the call option "wallet", else the "wallet" claim of the
 *	  JWT PostgREST verified (request.jwt.claims), else SET aigw.wallet,
 *	  else the role's default wallet (aigw.set_default_wallet).  The end
 *	  user: the JWT's "sub" claim.  A role may spend from a wallet when it
 *	  has the privileges of the wallet's owner or of a role the wallet was
 *	  granted to (aigw.grant_wallet).
 */
#ifndef AIGW_TENANT_H
#define AIGW_TENANT_H

#include "postgres.h"

#include "catalog/quote_cache.h"

/* The wallet that pays for a call with this option (NULL: none chosen). */
extern const char *aigw_tenant_wallet(const char *option_wallet);

/* Where the last aigw_tenant_wallet() found its answer, for messages. */
extern const char *aigw_tenant_wallet_source(void);

/* The end user of this request (the JWT's "sub"), or NULL. */
extern const char *aigw_tenant_end_user(void);

/*
 * For the dispatcher, which sends submitted calls for their submitters:
 * the end user recorded with the submission (NULL: none) until unset.
 */
extern void aigw_tenant_act_for(const char *end_user);
extern void aigw_tenant_act_for_self(void);

/* Raise unless the current role may spend from the quoted wallet. */
extern void aigw_tenant_check_spend(const char *wallet, const AigwQuote *q);

#endif							/* AIGW_TENANT_H */
