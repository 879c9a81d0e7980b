/*
 * batch_settle.h
 *	  The dispatcher's side of provider batches (batch_settle.c).
 */
#ifndef AIGW_BATCH_SETTLE_H
#define AIGW_BATCH_SETTLE_H

#include "postgres.h"

/*
 * Poll, download and settle the open batches that are due (all of them
 * when woken: a batch may have been handed over).  Returns the ms until
 * the next one is due, 0 when more are due now, -1 when none is open.
 * Runs its own transactions.
 */
extern long aigw_batch_dispatch(bool woken);

/* Whether this database has a batch still open (the dispatcher stays). */
extern bool aigw_batch_any_open(void);

#endif							/* AIGW_BATCH_SETTLE_H */
