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

/*
 * A request to a provider's API that is no model call (batch APIs): method
 * and path (after the provider's base_url; a full URL when path starts
 * with "http"), the body and its Content-Type (NULL: application/json).
 * It carries the provider's credential and headers like a call, and the
 * pool hands back the raw answer (RQ_KIND_HTTP).
 */
extern AigwRequestMsg *aigw_build_http_request(const AigwTarget *target, const char *method,
											   const char *path, const char *content_type,
											   const char *body, int body_len,
											   int max_response_bytes);

/* The provider's base_url without its trailing slashes. */
extern char *aigw_base_url(const AigwTarget *target);

#endif							/* AIGW_UPSTREAM_REQUEST_H */
