/*
 * upstream_request.h
 *	  The request of one attempt, as the pool's worker will send it: URL,
 *	  headers, body, the credential still sealed (the worker opens and
 *	  applies it: upstream_auth.h), and what the worker logs with it.
 */
#ifndef AIGW_UPSTREAM_REQUEST_H
#define AIGW_UPSTREAM_REQUEST_H

#include "postgres.h"

#include "billing/billing.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "common/message.h"

/*
 * The request of one attempt.  `ctx` carries what the worker logs with
 * it: the call it belongs to and the routing decision.
 */
typedef struct AttemptContext
{
	int			attempt;		/* 1 for the call's first */
	int64		call_id;		/* 0 until the first attempt is logged */
	const char *route;			/* routing decision (JSON), or NULL */
	int			timeout_ms;		/* what is left of the call's; 0: no limit of its own */
	const char *cache_key;		/* store the answer under it (hex), or NULL */
	int			cache_ttl_s;
} AttemptContext;

/*
 * Build it, quote its price and fill *bill.  Raises a clear error for what
 * cannot be sent (a bad header, an auth scheme the protocol cannot carry,
 * a body over aigw.max_request_bytes).
 */
extern AigwRequestMsg *aigw_build_request(const char *requested_model, const AigwTarget *target,
										  const AigwChatInput *input, const AttemptContext *ctx,
										  AigwBill *bill);

/*
 * A call answered from the response cache: nothing is sent, but the pool
 * logs it (status cache_hit, nothing charged) and returns the answer.
 */
extern AigwRequestMsg *aigw_build_cached_request(const char *requested_model, const char *model,
												 const char *provider, Jsonb *response,
												 const AigwChatInput *input, int attempt);

#endif							/* AIGW_UPSTREAM_REQUEST_H */
