/*
 * json_util.c
 *	  Small jsonb helpers used on both sides of the pool.
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "common/json_util.h"

/*
 * jsonb_in reports bad input with ereport; text from a provider may be
 * anything, so the error is caught and handed back as a string instead.
 * This runs in pool workers outside any transaction, where an uncaught
 * error would end the worker.
 */
Jsonb *
aigw_jsonb_parse(const char *text, char **error)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *result = NULL;

	*error = NULL;
	PG_TRY();
	{
		result = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		*error = edata->detail ? psprintf("%s: %s", edata->message, edata->detail)
			: pstrdup(edata->message);
		FreeErrorData(edata);
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

bool
aigw_json_walk(const char *text, size_t len, JsonSemAction *sem)
{
	MemoryContext cxt = CurrentMemoryContext;
	JsonLexContext *lex;
	bool		ok;

	lex = aigw_json_lex_context((char *) text, (int) len, GetDatabaseEncoding(), true);
	/* the parser recurses: deep nesting ends in check_stack_depth's error */
	PG_TRY();
	{
		ok = pg_parse_json(lex, sem) == JSON_SUCCESS;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

JsonbValue *
aigw_jsonb_key(JsonbContainer *container, const char *key)
{
	JsonbValue	k;

	if (container == NULL || !JsonContainerIsObject(container))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(container, JB_FOBJECT, &k);
}

JsonbValue *
aigw_jsonb_path2(JsonbContainer *container, const char *key1, const char *key2)
{
	JsonbValue *v = aigw_jsonb_key(container, key1);

	if (v == NULL || v->type != jbvBinary)
		return NULL;
	return aigw_jsonb_key(v->val.binary.data, key2);
}

bool
aigw_jsonb_is_object(JsonbValue *v)
{
	return v != NULL && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

bool
aigw_jsonb_is_array(JsonbValue *v)
{
	return v != NULL && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

bool
aigw_jsonb_number(JsonbValue *v, double *out)
{
	if (v == NULL || v->type != jbvNumeric)
		return false;
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	return true;
}

bool
aigw_jsonb_int64(JsonbValue *v, int64 *out)
{
	double		d;

	if (!aigw_jsonb_number(v, &d) || d != floor(d) || fabs(d) > 9.0e15)
		return false;
	*out = (int64) d;
	return true;
}

char *
aigw_jsonb_cstring(JsonbValue *v)
{
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

const char *
aigw_jsonb_type_name(JsonbValue *v)
{
	if (v == NULL)
		return "missing";
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "array" : "object";
		default:
			return "unknown";
	}
}

bool
aigw_jsonb_next_member(JsonbIterator **it, JsonbValue *key, JsonbValue *value)
{
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(it, key, true)) != WJB_DONE)
		if (tok == WJB_KEY)
		{
			JsonbIteratorNext(it, value, true);
			return true;
		}
	return false;
}

bool
aigw_jsonb_string_is(const JsonbValue *v, const char *s)
{
	return v != NULL && v->type == jbvString && v->val.string.len == strlen(s) &&
		memcmp(v->val.string.val, s, v->val.string.len) == 0;
}

void
aigw_push_container(JsonbParseState **ps, JsonbIteratorToken tok, JsonbContainer *c)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = c;
	v.val.binary.len = 0;		/* not consulted when unpacking */
	pushJsonbValue(ps, tok, &v);
}

void
aigw_push_members(JsonbParseState **ps, JsonbContainer *object,
				  bool (*keep) (const JsonbValue *key))
{
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbValue	k;
	JsonbValue	v;

	while (aigw_jsonb_next_member(&it, &k, &v))
	{
		if (keep != NULL && !keep(&k))
			continue;
		pushJsonbValue(ps, WJB_KEY, &k);
		pushJsonbValue(ps, WJB_VALUE, &v);
	}
}

void
aigw_push_key(JsonbParseState **ps, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
}

Jsonb *
aigw_chat_messages(const char *system, const char *user, int user_len)
{
	JsonbParseState *ps = NULL;
	JsonbValue	v;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	if (system != NULL)
	{
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(&ps, "role", "system");
		aigw_push_string(&ps, "content", system);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "role", "user");
	v.type = jbvString;
	v.val.string.val = (char *) user;
	v.val.string.len = user_len;
	aigw_push_value(&ps, "content", &v);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

void
aigw_push_value(JsonbParseState **ps, const char *key, JsonbValue *value)
{
	JsonbValue	null;

	/* a member missing from an upstream answer becomes null, not a crash */
	if (value == NULL)
	{
		null.type = jbvNull;
		value = &null;
	}
	aigw_push_key(ps, key);
	pushJsonbValue(ps, WJB_VALUE, value);
}

void
aigw_push_string(JsonbParseState **ps, const char *key, const char *value)
{
	JsonbValue	v;

	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	aigw_push_value(ps, key, &v);
}

void
aigw_push_int(JsonbParseState **ps, const char *key, int64 value)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	aigw_push_value(ps, key, &v);
}

void
aigw_push_bool(JsonbParseState **ps, const char *key, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	aigw_push_value(ps, key, &v);
}

/* Negative means unknown: pushed as JSON null. */
void
aigw_push_int_or_null(JsonbParseState **ps, const char *key, int64 value)
{
	JsonbValue	v;

	if (value >= 0)
	{
		aigw_push_int(ps, key, value);
		return;
	}
	v.type = jbvNull;
	aigw_push_value(ps, key, &v);
}

/*
 * A duration in milliseconds, to the microsecond, with no trailing zeros
 * (51.8, not 51.800).  Made from an integer: printing the double and
 * reading the text back cost more than the rest of its answer's "aigw".
 */
void
aigw_push_millis(JsonbParseState **ps, const char *key, double ms)
{
	int64		us = (int64) llround(ms * 1000.0);
	int			scale = 3;
	JsonbValue	v;

	while (scale > 0 && us % 10 == 0)
	{
		us /= 10;
		scale--;
	}
	v.type = jbvNumeric;
	v.val.numeric = int64_div_fast_to_numeric(us, scale);
	aigw_push_value(ps, key, &v);
}

/* A numeric given as its text, pushed exactly (money must not pass through a double). */
void
aigw_push_numeric(JsonbParseState **ps, const char *key, const char *value)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(value),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
	aigw_push_value(ps, key, &v);
}
