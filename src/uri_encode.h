/*
 * uri_encode.h
 *	  RFC 3986 percent-encoding, as provider URLs and AWS's SigV4 canonical
 *	  form both want it: every byte but the unreserved characters
 *	  (A-Z a-z 0-9 - . _ ~) becomes %XX, uppercase hex.
 */
#ifndef AIGW_URI_ENCODE_H
#define AIGW_URI_ENCODE_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* Append s[0..len) percent-encoded to out; '/' is kept as is if keep_slash. */
extern void aigw_uri_encode(StringInfo out, const char *s, size_t len, bool keep_slash);

#endif							/* AIGW_URI_ENCODE_H */
