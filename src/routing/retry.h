/*
 * retry.h
 *	  What a failed attempt means for the call: retry the same model, move
 *	  on to the next candidate, or stop; and how long to wait before a retry.
 */
#ifndef AIGW_RETRY_H
#define AIGW_RETRY_H

#include "postgres.h"

#include "common/message.h"

typedef enum AigwFailureClass
{
	/* may pass: connect error, timeout, 408, 409, 429, 5xx (Anthropic's 529 too) */
	FAILURE_TRANSIENT,
	/* this upstream cannot serve it, another may: 401, 403, 404, an unusable answer */
	FAILURE_UPSTREAM,
	/* the request itself was refused (400, 413, 422 and other 4xx): no other model will do better */
	FAILURE_INVALID,
	/* the caller gave up, the worker was stopped, or the answer was over aigw.max_response_bytes */
	FAILURE_FINAL
} AigwFailureClass;

extern AigwFailureClass aigw_failure_class(const AigwOutcomeMsg *oc);

/*
 * The wait before retry number `retry` (1 for the first): what the upstream
 * asked for (retry-after-ms, else Retry-After in seconds or as an HTTP
 * date) when it is between 0 and 60 s, as the official SDKs do; otherwise
 * exponential backoff from 0.5 s doubling to at most 8 s, less up to 25 %
 * of jitter.  *asked says whether the upstream's figure was used.
 */
extern int64 aigw_retry_wait_ms(const AigwOutcomeMsg *oc, int retry, bool *asked);

/* Sleep, cancellable (statement_timeout, pg_cancel_backend, postmaster death). */
extern void aigw_retry_sleep(int64 ms);

#endif							/* AIGW_RETRY_H */
