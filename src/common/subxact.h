/*
 * subxact.h
 *	  Running a piece of work in a subtransaction of its own, so that its
 *	  failure can be reported as data and the rest carries on: a refused
 *	  ledger movement among the calls a worker settles, a bad row of a batch.
 */
#ifndef AIGW_SUBXACT_H
#define AIGW_SUBXACT_H

#include "postgres.h"

/*
 * Run fn(arg) in an internal subtransaction.  Returns NULL when it
 * succeeded, else its error (copied into the caller's memory context),
 * after rolling the subtransaction back.  Memory the work allocated in
 * the caller's context is kept either way.
 */
extern ErrorData *aigw_run_guarded(void (*fn) (void *arg), void *arg);

#endif							/* AIGW_SUBXACT_H */
