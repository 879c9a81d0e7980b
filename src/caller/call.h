/*
 * call.h
 *	  One chat call from the calling backend's side, as a state machine, so
 *	  that a scalar call and a batch of many in flight drive the same steps:
 *
 *		aigw_call_begin			validate and plan (raises on bad input)
 *		aigw_call_send			the next attempt to the pool: a ticket, or -1
 *								when the call is over (DONE)
 *		aigw_call_take_outcome	the attempt's outcome: the call is then
 *								DONE, READY for another attempt, or
 *								WAITING until not_before (a retry's wait)
 *
 * A finished call has a result or an error; the error is kept as data
 * (AigwCallError) so that a batch can report it for its row and go on.
 */
#ifndef AIGW_CALL_H
#define AIGW_CALL_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "caller/cache.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "common/message.h"
#include "common/pg_compat.h"
#include "routing/route.h"

typedef struct AigwCallError
{
	int			sqlstate;
	char	   *message;
	char	   *detail;			/* or NULL */
	char	   *hint;			/* or NULL */
	char	   *context;		/* or NULL */
} AigwCallError;

typedef enum AigwCallState
{
	CALL_READY,					/* the next attempt can be sent */
	CALL_SENT,					/* an attempt is with the pool */
	CALL_WAITING,				/* a retry waits until not_before */
	CALL_DONE					/* result or error is set */
} AigwCallState;

typedef struct AigwCall
{
	const char *model;			/* as the caller wrote it */
	AigwChatInput input;
	AigwRoutePlan plan;
	AigwCallState state;
	int			candidate;		/* index in plan.candidates */
	int			retry;			/* retries made on that candidate */
	int			attempts;		/* sent so far */
	int64		call_id;		/* aigw.requests.call_id, once an attempt is logged */
	List	   *prior;			/* the attempts so far, as the answer lists them (Jsonb) */
	StringInfoData summary;		/* the same, in words, for an error's detail */
	const char *note;			/* why the call stopped short of a retry, or NULL */
	const char *circuit_why;	/* the last circuit that kept a candidate out */
	TimestampTz deadline;		/* the call's timeout_ms; 0: none */
	TimestampTz not_before;		/* WAITING: when to send again */
	AigwTarget	target;			/* of the attempt sent (its key wiped) */
	uint64		limit_hold;		/* what aigw.limits counts for it (usage_limits.h) */
	bool		cacheable;		/* answered from and stored in the response cache */
	bool		cache_checked;
	char		cache_key[AIGW_CACHE_KEY_LEN * 2 + 1];
	char	   *embed_cache_keys;	/* embeddings: a key per input, comma-joined (cache.h), or NULL */
	AigwOutcomeMsg *last;		/* the last failed attempt's outcome, or NULL */
	AigwTarget	last_target;
	Jsonb	   *result;			/* DONE with an answer */
	AigwCallError *error;		/* DONE without one */
} AigwCall;

extern void aigw_call_begin(AigwCall *call, const char *model, Jsonb *messages, Jsonb *options);
/* The same for one embeddings request: texts is a JSON array of strings. */
extern void aigw_call_begin_embed(AigwCall *call, const char *model, Jsonb *texts, Jsonb *options);
extern int	aigw_call_send(AigwCall *call);
extern void aigw_call_take_outcome(AigwCall *call, AigwOutcomeMsg *oc);

/*
 * The same first two steps for a caller of many calls: an error (bad
 * messages, no price, insufficient funds...) ends only this call, which is
 * then DONE with it, and -1 is returned.  Allocations go to the current
 * memory context.
 */
extern int	aigw_call_start_guarded(AigwCall *call, const char *model, Jsonb *messages, Jsonb *options);
extern int	aigw_call_send_guarded(AigwCall *call);
extern int	aigw_call_start_embed_guarded(AigwCall *call, const char *model, Jsonb *texts, Jsonb *options);

pg_noreturn extern void aigw_call_raise(const AigwCallError *error);
extern AigwCallError *aigw_call_error_from(const ErrorData *edata);
extern char *aigw_call_error_text(const AigwCallError *error);

/* The whole call, synchronously: OpenAI-shaped answer plus the "aigw" object, or an error. */
extern Jsonb *aigw_call_chat(const char *model, Jsonb *messages, Jsonb *options);
/* One embeddings request: {"object": "list", "dimensions": d, "data": [base64 float32 ...]} plus "aigw". */
extern Jsonb *aigw_call_embed(const char *model, Jsonb *texts, Jsonb *options);

#endif							/* AIGW_CALL_H */
