/*
 * dispatcher.h
 *	  Asynchronous calls (aigw.submit): one dispatcher per database, a
 *	  background worker that acts as the caller of the calls queued in
 *	  aigw.submissions, and the shared registry that finds it.
 */
#ifndef AIGW_DISPATCHER_H
#define AIGW_DISPATCHER_H

#include "postgres.h"

extern Size aigw_dispatcher_shmem_size(void);
extern void aigw_dispatcher_shmem_init(void);

/*
 * The submitting side: make sure this database has a dispatcher before
 * the transaction commits, keep it from leaving meanwhile, and wake it at
 * commit.
 */
extern void aigw_dispatcher_expect_work(void);

/* Ask the dispatcher of a database to stop (DROP DATABASE needs it gone). */
extern void aigw_dispatcher_stop(Oid dboid);

PGDLLEXPORT void aigw_dispatcher_main(Datum arg);

/*
 * The launcher (registered at _PG_init): at server start, and after a
 * crash, it starts a dispatcher in every database, which leaves at once
 * unless it has provider batches or queued calls to see to.
 */
extern void aigw_dispatcher_register_launcher(void);
PGDLLEXPORT void aigw_dispatcher_launcher_main(Datum arg);

#endif							/* AIGW_DISPATCHER_H */
