/*
 * settle.h
 *	  The worker's group commit: log finished calls in aigw.requests, charge
 *	  them to their wallets, append ledger movements, and update the wallet
 *	  balances, all in one transaction of the worker's own.
 */
#ifndef AIGW_SETTLE_H
#define AIGW_SETTLE_H

#include "postgres.h"

#include "common/attempt.h"
#include "common/message.h"

/*
 * Settle n finished requests in one transaction (one commit for every call
 * that finished in one turn of the event loop).  On success each gets
 * recorded = true and its request_id / cost / ledger_id, and the cached
 * balances of the wallets touched are brought up to date; if the
 * transaction fails, none is recorded and the error is in the server log.
 * Reservations are the caller's to release afterwards, once this returns.
 *
 * durable, when not NULL, is more work for the same transaction (the turn's
 * new intents, intent.c), run in a subtransaction of its own so that its
 * failure undoes nothing settled; the commit is then flushed before this
 * returns.  Returns true when durable ran and is durable.
 */
extern bool aigw_settle(AigwRequestMsg **requests, AigwAttempt **attempts, int n,
						void (*durable) (void *arg), void *arg);

#endif							/* AIGW_SETTLE_H */
