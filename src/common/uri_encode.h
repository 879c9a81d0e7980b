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

/* The value of a hexadecimal digit (either case), or -1. */
static inline int
aigw_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif							/* AIGW_URI_ENCODE_H */
