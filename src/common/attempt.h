/*
 * attempt.h
 *	  What a worker learns from one upstream attempt.  Filled by http.c
 *	  (transport) and the provider module (body), logged and charged by settle.c
 *	  and turned into the caller's outcome by outcome.c.
 */
#ifndef AIGW_ATTEMPT_H
#define AIGW_ATTEMPT_H

#include "postgres.h"

#include "common/message.h"
#include "utils/jsonb.h"

typedef struct AigwAttempt
{
	AigwAttemptStatus status;
	int			http_status;	/* 0: no HTTP answer */
	int64		prompt_tokens;	/* -1: unknown */
	int64		completion_tokens;
	int64		cached_tokens;	/* part of prompt_tokens: read from the cache */
	int64		cache_write_tokens; /* part of prompt_tokens: written to it */
	int64		reasoning_tokens;
	JsonbValue *usage;			/* the upstream's usage object as sent (in the
								 * parsed answer), or NULL */
	const char *usage_anomaly;	/* usage_bounds.c: why the tokens charged are
								 * not the upstream's own; NULL: they are */
	double		latency_ms;
	double		ttfb_ms;
	int64		request_bytes;
	int64		response_bytes;
	int32		inputs;			/* embeddings: texts sent, so vectors its answer must hold; 0: chat */
	char	   *upstream_id;	/* provider's answer id, or NULL */
	char	   *error;			/* NULL when status is ATTEMPT_OK */
	char	   *error_type;		/* upstream error type / code, or NULL */
	char	   *retry_after;	/* Retry-After as sent, or NULL */
	char	   *retry_after_ms; /* retry-after-ms as sent, or NULL */
	int			should_retry;	/* x-should-retry: 1 true, 0 false, -1 absent */
	Jsonb	   *result;			/* OpenAI-shaped answer (ATTEMPT_OK) */
	char	   *raw;			/* RQ_KIND_HTTP: the answer's body as received */
	size_t		raw_len;
	Jsonb	   *route;			/* the request's routing decision, parsed once for the log and the answer */
	int64		intent_id;		/* its pending row, durable before it was sent; 0: none */
	int64		request_id;		/* aigw.requests.id once logged */
	int64		call_id;		/* aigw.requests.call_id once logged */
	bool		recorded;
	uint64		commit_lsn;		/* the log's commit record, once logged */
	char	   *cost;			/* numeric text once logged; NULL: no price */
	int64		charged;		/* ledger units taken from the wallet */
	int64		ledger_id;		/* ledger movement: its row */
	int64		credited;		/* ledger movement: units added to the balance */
	int			sqlstate;		/* ledger movement refused, or a call's credential
								 * unusable (nothing sent): the error's code */
} AigwAttempt;

extern void aigw_attempt_init(AigwAttempt *a);
extern void aigw_attempt_fail(AigwAttempt *a, AigwAttemptStatus status, const char *fmt,...) pg_attribute_printf(3, 4);

#endif							/* AIGW_ATTEMPT_H */
