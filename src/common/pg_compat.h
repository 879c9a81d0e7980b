/*
 * pg_compat.h
 *	  What differs between the PostgreSQL majors aigw builds on (15 to 18),
 *	  said once.  This is the one place that tests PG_VERSION_NUM: the code
 *	  uses the names below and reads the same on every major.
 *
 * Each guard names the major that changed the API; when support for the
 * majors before it is dropped, its #else branch goes and the code is
 * unchanged.  test/versions compiles every source file against each
 * major's headers.
 */
#ifndef AIGW_PG_COMPAT_H
#define AIGW_PG_COMPAT_H

#include "postgres.h"

#include "common/base64.h"

/*
 * The varlena macros (VARDATA, SET_VARSIZE, ...): postgres.h had them
 * until 16 moved them to varatt.h.
 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * A function that does not return.  18 has a prefix, pg_noreturn (C11's
 * _Noreturn), and no pg_attribute_noreturn(); before 18 the attribute,
 * which GCC and Clang also take at the front of a declaration.  Written
 * first, as 18 writes it: pg_noreturn extern void f(void);
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * A JSON walk's callbacks return an error code from 16 on (they returned
 * nothing): JSON_ACTION is their return type, JSON_ACTION_DONE their
 * normal end.
 */
#if PG_VERSION_NUM >= 160000
#define JSON_ACTION JsonParseErrorType
#define JSON_ACTION_DONE return JSON_SUCCESS
#else
#define JSON_ACTION void
#define JSON_ACTION_DONE return
#endif

/*
 * A lexer over a string of a given length.  17 takes the context to fill
 * (NULL: allocate one) first.
 */
#if PG_VERSION_NUM >= 170000
#define aigw_json_lex_context(text, len, encoding, need_escapes) \
	makeJsonLexContextCstringLen(NULL, (text), (len), (encoding), (need_escapes))
#else
#define aigw_json_lex_context(text, len, encoding, need_escapes) \
	makeJsonLexContextCstringLen((text), (len), (encoding), (need_escapes))
#endif

/*
 * A wait event set that lives as long as the process.  17 ties a set to a
 * resource owner (NULL: none) where 15 and 16 took a memory context.
 */
#if PG_VERSION_NUM >= 170000
#define aigw_process_wait_event_set(nevents) CreateWaitEventSet(NULL, (nevents))
#else
#define aigw_process_wait_event_set(nevents) CreateWaitEventSet(TopMemoryContext, (nevents))
#endif

/* Does role own the database?  16 made the owner checks one per catalog. */
#if PG_VERSION_NUM >= 160000
#define aigw_database_ownercheck(dboid, roleid) \
	object_ownercheck(DatabaseRelationId, (dboid), (roleid))
#else
#define aigw_database_ownercheck(dboid, roleid) \
	pg_database_ownercheck((dboid), (roleid))
#endif

/*
 * Base64 of bytes.  18 types the bytes as uint8 (and marks the results
 * pg_nodiscard); before, as char.  Either way the result is the length
 * written, or -1.
 */
static inline int
aigw_b64_encode(const void *src, int len, char *dst, int dstlen)
{
#if PG_VERSION_NUM >= 180000
	return pg_b64_encode((const uint8 *) src, len, dst, dstlen);
#else
	return pg_b64_encode((const char *) src, len, dst, dstlen);
#endif
}

static inline int
aigw_b64_decode(const char *src, int len, void *dst, int dstlen)
{
#if PG_VERSION_NUM >= 180000
	return pg_b64_decode(src, len, (uint8 *) dst, dstlen);
#else
	return pg_b64_decode(src, len, (char *) dst, dstlen);
#endif
}

/*
 * 18 moved EXPLAIN's property printers (ExplainPropertyText, ...) out of
 * commands/explain.h: `#include AIGW_EXPLAIN_FORMAT_H` names the right one.
 */
#if PG_VERSION_NUM >= 180000
#define AIGW_EXPLAIN_FORMAT_H "commands/explain_format.h"
#else
#define AIGW_EXPLAIN_FORMAT_H "commands/explain.h"
#endif

#endif							/* AIGW_PG_COMPAT_H */
