/*
 * quote_name.c
 *	  A name a caller gave, as an error message quotes it.
 *
 * Errors echo the model, route, wallet or provider they are about, and the
 * name is the caller's input, not yet known to be a name at all: a 200 KB
 * string would fill the message, the server log and whatever a client
 * shows.  Long ones are cut, saying how long they were.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "common/settings.h"

#define NAME_ECHO_CHARS 100

char *
aigw_quote_name(const char *name)
{
	int			len = strlen(name);
	int			chars = pg_mbstrlen_with_len(name, len);

	if (chars <= NAME_ECHO_CHARS)
		return psprintf("\"%s\"", name);
	return psprintf("\"%.*s...\" (%d characters)",
					pg_mbcharcliplen(name, len, NAME_ECHO_CHARS), name, chars);
}
