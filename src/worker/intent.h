/*
 * intent.h
 *	  A pool worker's record of what it is about to send, durable before it
 *	  leaves, and the start-up rule for what a dead worker left behind.
 */
#ifndef AIGW_INTENT_H
#define AIGW_INTENT_H

#include "worker/http.h"

typedef struct AigwIntents
{
	AigwTransfer **transfers;
	int			n;
} AigwIntents;

/*
 * Insert a pending row for each transfer of an AigwIntents; each one's
 * attempt.intent_id gets its row.  Runs in the caller's transaction, with
 * SPI connected: the turn's settle (aigw_settle's durable work), whose
 * commit is flushed before any of them is sent.
 */
extern void aigw_intents_insert(void *intents);

/*
 * The same in a transaction of its own, flushed.  False if nothing could be
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
