/*
 * message.h
 *	  The two messages a call is made of, as they travel through shared
 *	  memory: the request a backend hands to the pool, and the outcome the
 *	  worker hands back.  Each is one flat chunk (fixed header + packed
 *	  NUL-terminated strings) so it can be copied in and out of a DSA
 *	  allocation with one memcpy and needs no pointer fix-ups.
 */
#ifndef AIGW_MESSAGE_H
#define AIGW_MESSAGE_H

#include "postgres.h"
#include "lib/stringinfo.h"
#include "utils/dsa.h"
#include "utils/timestamp.h"

/*
 * What the pool is asked to do: call a provider, or append a money movement
 * (top-up, refund, adjustment) to the ledger, which the pool's workers do
 * because they alone write wallet balances.
 */
typedef enum AigwRequestKind
{
	RQ_KIND_CALL = 0,
	RQ_KIND_LEDGER,
	/*
	 * A provider API request that is no model call (a batch's upload, its
	 * status, its results): sent as it is, its raw answer handed back,
	 * nothing logged or charged (the batch's lines are, when they settle).
	 */
	RQ_KIND_HTTP
} AigwRequestKind;

typedef enum AigwRequestField
{
	RQ_URL,						/* full URL, without the credential */
	RQ_HEADERS,					/* "Name: value" lines joined by '\n', without the credential */
	RQ_BODY,
	RQ_API_STYLE,
	RQ_PROVIDER,
	RQ_REQUESTED_MODEL,			/* what the caller asked for */
	RQ_SERVED_MODEL,			/* catalogue id that is being called */
	RQ_ROLE,
	RQ_TAGS,					/* jsonb object as text */
	/* billing: numerics as text; empty when absent */
	RQ_WALLET,					/* wallet name */
	RQ_CURRENCY,				/* of the cost: the wallet's, else the price's */
	RQ_ORIGINAL_CURRENCY,		/* price currency (call), paid currency (top-up) */
	RQ_RATE_INPUT,				/* price per million tokens; empty: no price */
	RQ_RATE_OUTPUT,
	RQ_RATE_CACHED,
	RQ_RATE_CACHE_WRITE,
	RQ_RATE_REASONING,
	RQ_FX,						/* original -> wallet currency; empty: same */
	/* ledger movements */
	RQ_LEDGER_KIND,				/* topup, refund, adjustment */
	RQ_AMOUNT,					/* in the wallet currency, at its ledger scale */
	RQ_ORIGINAL_AMOUNT,
	RQ_RAIL,
	RQ_EXTERNAL_REF,
	RQ_NOTE,
	/* routing */
	RQ_ROUTE,					/* the routing decision, jsonb as text; empty: none */
	/* the response cache */
	RQ_CACHE_KEY,				/* hex SHA-256: store the answer under it; empty: don't */
	RQ_END_USER,				/* the JWT's "sub": aigw.requests.end_user */
	/* the credential, sealed: only the worker opens it (upstream_auth.c) */
	RQ_AUTH_SCHEME,				/* aigw.providers.auth_scheme; "none": no credential */
	RQ_CREDENTIAL,				/* bytes of aigw.credentials.ciphertext (secret_box.h) */
	RQ_METHOD,					/* RQ_KIND_HTTP: "GET" or "POST" (empty: POST) */
	RQ_NFIELDS
} AigwRequestField;

typedef struct AigwRequestMsg
{
	uint32		total_size;
	int32		kind;			/* AigwRequestKind */
	int64		wallet_id;		/* 0: nothing is charged */
	Oid			wallets_relid;	/* aigw.wallet_balances, part of the cache key */
	int32		scale;			/* ledger scale of RQ_CURRENCY */
	int64		reserved;		/* reservation held for this call, ledger units */
	int64		input_bound;	/* most prompt tokens the call can use; -1: none */
	int64		output_bound;	/* most completion tokens; -1: none */
	int64		refund_of;		/* refund: the request whose charge it returns */
	int64		call_id;		/* the call's first attempt; 0: this is it */
	bool		cached;			/* RQ_BODY is the cached answer: send nothing */
	int32		cache_ttl_s;	/* with RQ_CACHE_KEY: how long the answer is kept */
	int32		attempt;
	int32		inputs;			/* embeddings: texts the request carries; 0: a chat call */
	int32		timeout_ms;
	int32		connect_timeout_ms;
	int32		max_response_bytes;
	TimestampTz submitted_at;
	uint32		off[RQ_NFIELDS];
	uint32		len[RQ_NFIELDS];
	char		data[FLEXIBLE_ARRAY_MEMBER];
} AigwRequestMsg;

/* How one upstream attempt ended; the names are aigw.requests.status. */
typedef enum AigwAttemptStatus
{
	ATTEMPT_OK,
	ATTEMPT_HTTP_ERROR,
	ATTEMPT_TIMEOUT,
	ATTEMPT_CONNECT_ERROR,
	ATTEMPT_CANCELLED,
	ATTEMPT_MALFORMED,
	ATTEMPT_TOO_LARGE,
	ATTEMPT_ABORTED,
	ATTEMPT_CACHE_HIT			/* answered from aigw.response_cache, nothing sent */
} AigwAttemptStatus;

extern const char *aigw_attempt_status_name(AigwAttemptStatus status);

/* An answer the caller gets: from the provider, or from the response cache. */
static inline bool
aigw_attempt_answered(AigwAttemptStatus status)
{
	return status == ATTEMPT_OK || status == ATTEMPT_CACHE_HIT;
}

/*
 * The caller composes its answer from the outcome (outcome.c): the worker
 * only copies what it learnt, so a busy worker spends its time on HTTP and
 * the log, and the JSON work is spread over the callers' processes.
 */
typedef enum AigwOutcomeField
{
	OC_RESULT,					/* the answer in OpenAI shape, jsonb varlena bytes (answered calls) */
	OC_ERROR,					/* the upstream's own message, or ours */
	OC_ERROR_TYPE,				/* upstream error type / code, if any */
	OC_RETRY_AFTER,				/* Retry-After header as sent, if any */
	OC_RETRY_AFTER_MS,			/* retry-after-ms header as sent, if any */
	/* copied from the request, for the answer's "aigw" object */
	OC_PROVIDER,
	OC_REQUESTED_MODEL,
	OC_SERVED_MODEL,
	OC_ROUTE,					/* the routing decision, jsonb varlena bytes; empty: none */
	OC_WALLET,
	OC_CURRENCY,
	OC_COST,					/* numeric text once logged; empty: no price */
	OC_NFIELDS
} AigwOutcomeField;

typedef struct AigwOutcomeMsg
{
	uint32		total_size;
	int32		status;			/* AigwAttemptStatus */
	int32		http_status;	/* 0 when no HTTP answer arrived */
	int64		request_id;		/* aigw.requests.id; 0 if it could not be
								 * recorded */
	bool		recorded;
	uint64		commit_lsn;		/* end of the log's commit record: durable
								 * once WAL is flushed this far */
	int64		call_id;		/* aigw.requests.call_id */
	int32		should_retry;	/* x-should-retry: 1, 0, or -1 when absent */
	double		latency_ms;
	int64		ledger_id;		/* ledger movement: its aigw.ledger id */
	int32		sqlstate;		/* ledger movement refused, or credential
								 * unusable: why */
	int64		cost_units;		/* the attempt's cost in the request's scale; 0: none */
	int64		tokens;			/* prompt + completion tokens; 0: unknown */
	int32		attempt;		/* the request's attempt number */
	bool		cached;			/* answered from the response cache */
	double		ttfb_ms;
	int64		prompt_tokens;	/* -1: unknown, as in AigwAttempt */
	int64		completion_tokens;
	int64		cached_tokens;
	int64		cache_write_tokens;
	int64		reasoning_tokens;
	int64		wallet_id;		/* 0: no wallet pays */
	int64		reserved;		/* ledger units held for the call */
	int32		scale;			/* ledger scale of OC_CURRENCY */
	uint32		off[OC_NFIELDS];
	uint32		len[OC_NFIELDS];
	char		data[FLEXIBLE_ARRAY_MEMBER];
} AigwOutcomeMsg;

/*
 * Building: aigw_msg_begin reserves a zeroed header, AIGW_MSG_PUT appends
 * one field (any order, each once), and the caller fills the scalar header
 * fields through a cast of buf->data once every field is in (appending may
 * move the buffer).  total_size is set by aigw_msg_begin's caller last.
 */
extern void aigw_msg_begin(StringInfo buf, Size header_size);
extern void aigw_msg_put(StringInfo buf, Size data_start, Size off_pos,
						 Size len_pos, const char *value, Size value_len);

#define AIGW_MSG_PUT(buf, type, field, value, value_len) \
	aigw_msg_put((buf), offsetof(type, data), \
				 offsetof(type, off) + sizeof(uint32) * (field), \
				 offsetof(type, len) + sizeof(uint32) * (field), \
				 (value), (value_len))

/* Append a string field (NULL: empty). */
extern void aigw_request_put(StringInfo buf, AigwRequestField f, const char *s);
extern void aigw_outcome_put(StringInfo buf, AigwOutcomeField f, const char *s);

/* Free a request in the DSA area. */
extern void aigw_request_free(dsa_area *area, dsa_pointer dp);

#define AIGW_MSG_FIELD(msg, f) ((msg)->data + (msg)->off[f])
#define AIGW_MSG_HAS(msg, f) ((msg)->len[f] > 0)
#define AIGW_MSG_FIELD_OR_NULL(msg, f) (AIGW_MSG_HAS(msg, f) ? AIGW_MSG_FIELD(msg, f) : NULL)

#endif							/* AIGW_MESSAGE_H */
