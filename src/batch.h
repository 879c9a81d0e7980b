/*
 * batch.h
 *	  Many calls from one statement (batch.c): chat_many's calls, or
 *	  embed_many's packed requests.
 */
#ifndef AIGW_BATCH_H
#define AIGW_BATCH_H

#include "postgres.h"
#include "utils/jsonb.h"

extern int	aigw_batch_concurrency;

/*
 * Run n calls of model, up to options.concurrency in flight: each payload
 * is a call's messages (embed: the JSON array of its texts); NULL is
 * skipped.  responses[i] / errors[i] get each one's answer or error text,
 * allocated in the current memory context.  options.on_error = 'raise'
 * fails the statement at the first error instead; `what` names the SQL
 * function in that error's context.
 */
extern void aigw_batch_run(const char *model, Jsonb *options, bool embed, const char *what,
						   Jsonb **payloads, int n, Jsonb **responses, char **errors);

#endif							/* AIGW_BATCH_H */
