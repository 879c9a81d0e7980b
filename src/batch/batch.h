/*
 * batch.h
 *	  Many calls from one statement (batch.c): chat_many's calls, or
 *	  embed_many's packed requests.
 */
#ifndef AIGW_BATCH_H
#define AIGW_BATCH_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "caller/call.h"

extern int	aigw_batch_concurrency;

/* An option for every call, not one of the batch's own (concurrency, on_error). */
extern bool aigw_batch_is_call_option(const JsonbValue *key);

/*
 * Where a stream of calls comes from and where their ends go.  next()
 * gives the next call's payload (its messages; for embeddings the JSON
 * array of its texts) allocated in the current memory context, which lives
 * as long as the call, and may set *data for done(); NULL when there are
 * no more.  done() gets every call once it is over (result or error set).
 * may_start() (optional) may hold back new calls, given how many are in
 * flight; after() (optional) runs after each wake-up, once the calls that
 * could start have been sent.
 */
typedef struct AigwBatchSource
{
	Jsonb	   *(*next) (void *arg, void **data);
	void		(*done) (void *arg, void *data, AigwCall *call);
	bool		(*may_start) (void *arg, int inflight);
	void		(*after) (void *arg, int inflight);
	void	   *arg;
} AigwBatchSource;

/*
 * Run the source's calls of model, up to concurrency in flight, each with
 * its own retries and fallbacks, until it has no more and all are over.
 * An error in a callback aborts the calls in flight.
 */
extern void aigw_batch_stream(const char *model, Jsonb *call_options, bool embed, int concurrency,
							  const AigwBatchSource *src);

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
