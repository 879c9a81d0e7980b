/*
 * upstream_auth.h
 *	  The worker's side of a request's credential.
 *
 * A request reaches the worker with its credential sealed (RQ_CREDENTIAL).
 * Just before the transfer starts, the worker opens it in memory and
 * applies it the way the provider's auth_scheme says: a header (bearer,
 * x-api-key, api-key, x-goog-api-key), the query string (query-key), or an
 * AWS SigV4 signature of the final request (sigv4).  While the transfer
 * runs, the worker keeps only the forms the key can take in text (bare,
 * percent-encoded, JSON-escaped; for AWS the key id, the secret and the
 * session token), so that everything the upstream sends back is scrubbed
 * of them before it reaches a row, an error or the log; they are wiped
 * when the transfer ends.
 */
#ifndef AIGW_UPSTREAM_AUTH_H
#define AIGW_UPSTREAM_AUTH_H

#include "postgres.h"

#include "common/attempt.h"
#include "lib/stringinfo.h"
#include "common/message.h"

#define AIGW_REDACTED "[redacted]"
#define AIGW_AUTH_MAX_FORMS 24

typedef struct AigwUpstreamAuth
{
	const char *url;			/* the URL to send */
	char	   *own_url;		/* url, when it carries the key (query-key) */
	StringInfoData headers;		/* "Name: value\n" lines to add */
	int			nforms;
	char	   *forms[AIGW_AUTH_MAX_FORMS]; /* what is scrubbed, longest first */
	size_t		form_len[AIGW_AUTH_MAX_FORMS];
} AigwUpstreamAuth;

/*
 * Open the request's credential and apply it: fills auth->url and
 * auth->headers.  False, with *error (no key in it), when it cannot be
 * used.  Raises no error: it runs in the worker's loop.
 */
extern bool aigw_auth_apply(const AigwRequestMsg *rq, AigwUpstreamAuth *auth, char **error);

/* Wipe what was sent (the URL and header lines): curl has its own copies. */
extern void aigw_auth_wipe_sent(AigwUpstreamAuth *auth);

/*
 * A copy of data[0..len) with every form of the key replaced by
 * AIGW_REDACTED, palloc'd and NUL-terminated, or NULL when none is there.
 */
extern char *aigw_auth_scrub(const AigwUpstreamAuth *auth, const char *data, size_t len,
							 size_t *newlen);

/* Scrub every text of the attempt that came from the upstream. */
extern void aigw_auth_scrub_attempt(const AigwUpstreamAuth *auth, AigwAttempt *a);

/* Wipe and free everything that held the key. */
extern void aigw_auth_wipe(AigwUpstreamAuth *auth);

#endif							/* AIGW_UPSTREAM_AUTH_H */
