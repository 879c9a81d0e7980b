/*
 * http.h
 *	  One upstream transfer: a libcurl easy handle, its response buffer and
 *	  what was learned from it.
 */
#ifndef AIGW_HTTP_H
#define AIGW_HTTP_H

#include "postgres.h"

#include <curl/curl.h>

#include "common/attempt.h"
#include "lib/ilist.h"
#include "common/message.h"
#include "providers/provider.h"
#include "worker/upstream_auth.h"

/* A growable byte buffer that reports running out of memory instead of
 * raising an error: it is filled from inside libcurl's callbacks, where a
 * longjmp would leave curl's state broken. */
typedef struct AigwBuffer
{
	char	   *data;
	size_t		len;
	size_t		cap;
	size_t		limit;
	MemoryContext cxt;
} AigwBuffer;

typedef struct AigwTransfer
{
	dlist_node	node;
	int			slotno;
	MemoryContext cxt;			/* everything of this transfer lives here */
	AigwRequestMsg *request;	/* local copy of the caller's request */
	const AigwProvider *provider;
	CURL	   *easy;
	struct curl_slist *headers;
	AigwBuffer	body;
	bool		too_large;
	bool		out_of_memory;
	TimestampTz started_at;
	char		errbuf[CURL_ERROR_SIZE];
	char		retry_after[64];
	char		retry_after_ms[32];
	char		should_retry[8];
	AigwAttempt attempt;
	AigwUpstreamAuth auth;		/* the credential, in clear while in flight */
} AigwTransfer;

extern AigwTransfer *aigw_transfer_create(int slotno, const AigwRequestMsg *request,
										  MemoryContext parent);
extern bool aigw_transfer_start(CURLM *multi, AigwTransfer *t);
extern void aigw_transfer_finish(CURLM *multi, AigwTransfer *t, CURLcode result);
extern void aigw_transfer_stop(CURLM *multi, AigwTransfer *t,
							   AigwAttemptStatus status, const char *reason);
extern void aigw_transfer_destroy(AigwTransfer *t);
extern void aigw_transfer_answer_from_cache(AigwTransfer *t);

#endif							/* AIGW_HTTP_H */
