/*
 * uri_encode.c
 *	  RFC 3986 percent-encoding (see uri_encode.h).  Byte by byte and
 *	  independent of the locale: a model id or a key is never letters to
 *	  isalnum().
 */
#include "postgres.h"

#include "common/uri_encode.h"

static inline bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

void
aigw_uri_encode(StringInfo out, const char *s, size_t len, bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (is_unreserved(c) || (keep_slash && c == '/'))
			appendStringInfoChar(out, (char) c);
		else
		{
			appendStringInfoChar(out, '%');
			appendStringInfoChar(out, digits[c >> 4]);
			appendStringInfoChar(out, digits[c & 0xF]);
		}
	}
}
