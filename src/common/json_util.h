/*
 * json_util.h
 *	  Small jsonb helpers used on both sides of the pool.
 */
#ifndef AIGW_JSON_UTIL_H
#define AIGW_JSON_UTIL_H

#include "postgres.h"
#include "common/jsonapi.h"
#include "utils/jsonb.h"

/* JSON_ACTION, JSON_ACTION_DONE: a JSON walk's callbacks, on every major */
#include "common/pg_compat.h"

/*
 * Walk text that came from outside with sem's callbacks, building nothing;
 * false if it is not valid JSON (or is nested too deeply for the stack).
 */
extern bool aigw_json_walk(const char *text, size_t len, JsonSemAction *sem);

/* Parse text that came from outside; NULL and *error set if it is not JSON. */
extern Jsonb *aigw_jsonb_parse(const char *text, char **error);

/* Object member lookup; NULL when the container is not an object or lacks it. */
extern JsonbValue *aigw_jsonb_key(JsonbContainer *container, const char *key);
extern JsonbValue *aigw_jsonb_path2(JsonbContainer *container, const char *key1,
									const char *key2);
extern bool aigw_jsonb_is_object(JsonbValue *v);
extern bool aigw_jsonb_is_array(JsonbValue *v);
extern bool aigw_jsonb_int64(JsonbValue *v, int64 *out);
extern bool aigw_jsonb_number(JsonbValue *v, double *out);
extern char *aigw_jsonb_cstring(JsonbValue *v);	/* NULL unless a string */
extern const char *aigw_jsonb_type_name(JsonbValue *v);

/*
 * Walk an object's members: it = JsonbIteratorInit(container), then
 * while (aigw_jsonb_next_member(&it, &key, &value)).  Values are not
 * descended into (containers come back as jbvBinary).
 */
extern bool aigw_jsonb_next_member(JsonbIterator **it, JsonbValue *key, JsonbValue *value);
extern bool aigw_jsonb_string_is(const JsonbValue *v, const char *s);	/* false for NULL */

/* Building */
extern void aigw_push_key(JsonbParseState **ps, const char *key);
extern void aigw_push_string(JsonbParseState **ps, const char *key, const char *value);
extern void aigw_push_int(JsonbParseState **ps, const char *key, int64 value);
extern void aigw_push_bool(JsonbParseState **ps, const char *key, bool value);
extern void aigw_push_int_or_null(JsonbParseState **ps, const char *key, int64 value);
extern void aigw_push_millis(JsonbParseState **ps, const char *key, double ms);
extern void aigw_push_numeric(JsonbParseState **ps, const char *key, const char *value);
extern void aigw_push_value(JsonbParseState **ps, const char *key, JsonbValue *value);	/* NULL: null */

/* [{"role": "system", "content": system}, {"role": "user", "content": user}], without the first when system is NULL */
extern Jsonb *aigw_chat_messages(const char *system, const char *user, int user_len);

/* Push a container (as it is, not copied) as the value or element tok. */
extern void aigw_push_container(JsonbParseState **ps, JsonbIteratorToken tok, JsonbContainer *c);

/* Push the members of an object for which keep(key) is true (all if NULL). */
extern void aigw_push_members(JsonbParseState **ps, JsonbContainer *object,
							  bool (*keep) (const JsonbValue *key));

#endif							/* AIGW_JSON_UTIL_H */
