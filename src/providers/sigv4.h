/*
 * sigv4.h
 *	  AWS Signature Version 4 (header signing), as AWS Bedrock requires.
 *
 * The signer follows AWS's published algorithm and reproduces AWS's own
 * test suite byte for byte (test/t/sigv4.sh).  It signs; it sends nothing
 * and reads no credential from anywhere: the caller passes the key in and
 * adds the returned headers to the request it sends.
 *
 * Every string is palloc'd in the current memory context.  The derived
 * signing keys are wiped before return; the secret access key is never
 * copied into the output nor into an error message.
 */
#ifndef AIGW_SIGV4_H
#define AIGW_SIGV4_H

#include "postgres.h"

#include <time.h>

typedef struct AigwSigV4Key
{
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL when the credential has none */
	const char *region;			/* "us-east-1" */
	const char *service;		/* signing name: "bedrock" for Bedrock Runtime */
} AigwSigV4Key;

typedef struct AigwSigV4Header
{
	const char *name;
	const char *value;
} AigwSigV4Header;

typedef struct AigwSigV4Input
{
	const char *method;			/* "POST" */

	/*
	 * The path exactly as sent on the wire, already percent-encoded, e.g.
	 * /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse.
	 */
	const char *path;
	const char *query;			/* without '?'; "" or NULL for none */

	/*
	 * The headers that will be sent with exactly these values, to be
	 * signed; must include host.  Not x-amz-date, x-amz-security-token,
	 * x-amz-content-sha256 or authorization: the signer makes those.
	 */
	const AigwSigV4Header *headers;
	int			nheaders;

	const char *body;			/* may be NULL when body_len is 0 */
	size_t		body_len;

	const char *amz_date;		/* "20150830T123600Z", see aigw_sigv4_amz_date */

	/*
	 * Canonical URI = the wire path URI-encoded once more.  True for every
	 * service but S3, so true for Bedrock: a model id's ':' goes on the
	 * wire as %3A and is signed as %253A.
	 */
	bool		double_encode_path;

	/* Remove "." and ".." segments and empty segments (not for S3). */
	bool		normalize_path;

	/* Send and sign x-amz-content-sha256 (Bedrock accepts it). */
	bool		add_content_sha256_header;

	/*
	 * Add x-amz-security-token after signing instead of signing it.  Only
	 * for the few services that want it so (and AWS's test suite); never
	 * for Bedrock, which wants the token signed.
	 */
	bool		omit_session_token;
} AigwSigV4Input;

typedef struct AigwSigV4Output
{
	/*
	 * The intermediate artefacts, for tests and debugging.  The canonical
	 * request carries the session token when it is signed: do not log it.
	 */
	char	   *canonical_request;
	char	   *string_to_sign;
	char	   *signed_headers;		/* "host;x-amz-date" */
	char	   *signature_hex;		/* 64 lowercase hex digits */
	char	   *authorization;		/* value of the Authorization header */

	/*
	 * The headers to add to the request as sent, in this order:
	 * X-Amz-Date, X-Amz-Security-Token (if a token), x-amz-content-sha256
	 * (if asked), Authorization.
	 */
	AigwSigV4Header headers[4];
	int			nheaders;
} AigwSigV4Output;

/* Sign a request; ereports ERROR on invalid input (never quoting a secret). */
extern void aigw_sigv4_sign(const AigwSigV4Key *key, const AigwSigV4Input *in,
							AigwSigV4Output *out);

/* Write t as an x-amz-date ("YYYYMMDDTHHMMSSZ", UTC) into buf[17]. */
extern void aigw_sigv4_amz_date(time_t t, char *buf);

/* Lowercase hex SHA-256 of data, 64 digits and a NUL into hex[65]. */
extern void aigw_sigv4_sha256_hex(const char *data, size_t len, char *hex);

#endif							/* AIGW_SIGV4_H */
