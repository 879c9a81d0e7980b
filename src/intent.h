/*
 * intent.h
 *	  A pool worker's record of what it is about to send, durable before it
 *	  leaves, and the start-up rule for what a dead worker left behind.
 */
#ifndef AIGW_INTENT_H
#define AIGW_INTENT_H

#include "http.h"

/*
 * Insert a pending row for each transfer and flush the commit; each
 * transfer's attempt.intent_id gets its row.  False if nothing could be
 * recorded: then none of them may be sent.
 */
extern bool aigw_intents_record(AigwTransfer **transfers, int n);

/*
 * Before a worker sends anything: resolve the attempts that workers no
 * longer alive left pending, and the jobs whose session is gone
 * (aigw.resolve_intents).
 */
extern void aigw_intents_resolve(void);

#endif							/* AIGW_INTENT_H */
