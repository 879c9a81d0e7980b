/*
 * json_schema.c
 *	  See json_schema.h.
 *
 * A keyword applies to the values of its kind only (minLength to strings,
 * properties to objects, ...), as JSON Schema says: {"minimum": 1} alone
 * accepts "x".
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "common/json_schema.h"
#include "common/json_util.h"

static const char *const type_names[] = {
	"object", "array", "string", "number", "integer", "boolean", "null"
};

/* Validation keywords that aigw does not check: a schema with one is refused. */
static const char *const refused_keywords[] = {
	"$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
	"patternProperties", "propertyNames", "dependentRequired", "dependentSchemas",
	"dependencies", "prefixItems", "contains", "minContains", "maxContains", "uniqueItems",
	"pattern", "multipleOf", "minProperties", "maxProperties", "unevaluatedProperties",
	"unevaluatedItems"
};

static const char *const number_keywords[] = {
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"
};

static const char *const count_keywords[] = {
	"minItems", "maxItems", "minLength", "maxLength"
};

void
aigw_jsonb_root_value(Jsonb *j, JsonbValue *out)
{
	if (JB_ROOT_IS_SCALAR(j))
	{
		if (!JsonbExtractScalar(&j->root, out))
			elog(ERROR, "a scalar jsonb has no scalar");
		return;
	}
	out->type = jbvBinary;
	out->val.binary.data = &j->root;
	out->val.binary.len = VARSIZE(j) - VARHDRSZ;
}

static bool
in_list(const char *s, int len, const char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if ((int) strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
			return true;
	return false;
}

static bool
key_is(const JsonbValue *key, const char *s)
{
	return key->val.string.len == (int) strlen(s) && strncmp(key->val.string.val, s, key->val.string.len) == 0;
}

/* ---------------------------------------------------------------------
 * The schema
 * ---------------------------------------------------------------------
 */

static bool check_at(JsonbContainer *schema, const char *path, char **why);

static bool
fail(char **why, const char *path, const char *problem)
{
	*why = psprintf("%s %s", path, problem);
	return false;
}

static bool
check_type(JsonbValue *v, const char *path, char **why)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			n = 0;

	if (v->type == jbvString)
		return in_list(v->val.string.val, v->val.string.len, type_names, lengthof(type_names))
			? true : fail(why, path, "names an unknown type");
	if (!aigw_jsonb_is_array(v))
		return fail(why, path, "is neither a type name nor a list of them");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
		{
			n++;
			if (e.type != jbvString ||
				!in_list(e.val.string.val, e.val.string.len, type_names, lengthof(type_names)))
				return fail(why, path, "lists something that is not a type name");
		}
	return n > 0 ? true : fail(why, path, "is an empty list");
}

static bool
check_member(const JsonbValue *key, JsonbValue *v, const char *path, char **why)
{
	const char *k = pnstrdup(key->val.string.val, key->val.string.len);
	char	   *at = psprintf("%s.%s", path, k);
	JsonbIterator *it;
	JsonbValue	e;
	JsonbValue	name;
	JsonbIteratorToken tok;
	double		d;
	int64		n;

	if (in_list(key->val.string.val, key->val.string.len, refused_keywords, lengthof(refused_keywords)))
		return fail(why, at, "is a keyword aigw does not validate");
	if (key_is(key, "type"))
		return check_type(v, at, why);
	if (key_is(key, "properties"))
	{
		if (!aigw_jsonb_is_object(v))
			return fail(why, at, "is not an object");
		it = JsonbIteratorInit(v->val.binary.data);
		while (aigw_jsonb_next_member(&it, &name, &e))
		{
			char	   *sub = psprintf("%s.%s", at, pnstrdup(name.val.string.val, name.val.string.len));

			if (!aigw_jsonb_is_object(&e))
				return fail(why, sub, "is not a schema (an object)");
			if (!check_at(e.val.binary.data, sub, why))
				return false;
		}
		return true;
	}
	if (key_is(key, "items") || key_is(key, "additionalProperties"))
	{
		if (key_is(key, "additionalProperties") && v->type == jbvBool)
			return true;
		if (!aigw_jsonb_is_object(v))
			return fail(why, at, "is not a schema (an object)");
		return check_at(v->val.binary.data, at, why);
	}
	if (key_is(key, "required") || key_is(key, "enum"))
	{
		int			count = 0;

		if (!aigw_jsonb_is_array(v))
			return fail(why, at, "is not a list");
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
			{
				count++;
				if (key_is(key, "required") && e.type != jbvString)
					return fail(why, at, "lists something that is not a property name");
			}
		if (key_is(key, "enum") && count == 0)
			return fail(why, at, "is an empty list: no value would be valid");
		return true;
	}
	if (in_list(key->val.string.val, key->val.string.len, number_keywords, lengthof(number_keywords)))
		return aigw_jsonb_number(v, &d) ? true : fail(why, at, "is not a number");
	if (in_list(key->val.string.val, key->val.string.len, count_keywords, lengthof(count_keywords)))
		return aigw_jsonb_int64(v, &n) && n >= 0 ? true : fail(why, at, "is not a whole number >= 0");
	/* const, and annotations (title, description, format, ...) */
	return true;
}

static bool
check_at(JsonbContainer *schema, const char *path, char **why)
{
	JsonbIterator *it = JsonbIteratorInit(schema);
	JsonbValue	key;
	JsonbValue	v;

	check_stack_depth();
	while (aigw_jsonb_next_member(&it, &key, &v))
		if (!check_member(&key, &v, path, why))
			return false;
	return true;
}

bool
aigw_json_schema_check(JsonbContainer *schema, char **why)
{
	if (!JsonContainerIsObject(schema))
		return fail(why, "the schema", "is not an object");
	return check_at(schema, "schema", why);
}

/* ---------------------------------------------------------------------
 * A value
 * ---------------------------------------------------------------------
 */

static bool
json_equal(JsonbValue *a, JsonbValue *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvString:
			return a->val.string.len == b->val.string.len &&
				memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		case jbvNumeric:
			return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(a->val.numeric),
													NumericGetDatum(b->val.numeric)));
		case jbvBinary:
			return compareJsonbContainers(a->val.binary.data, b->val.binary.data) == 0;
		default:
			return false;
	}
}

static bool
is_integer(JsonbValue *v)
{
	double		d;

	return aigw_jsonb_number(v, &d) && isfinite(d) && d == floor(d);
}

static bool
type_matches(const char *name, int len, JsonbValue *v)
{
#define IS(s) (len == (int) strlen(s) && strncmp(name, s, len) == 0)
	if (IS("integer"))
		return is_integer(v);
	if (IS("number"))
		return v->type == jbvNumeric;
	return IS(aigw_jsonb_type_name(v));
#undef IS
}

static bool
type_ok(JsonbValue *type, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;

	if (type->type == jbvString)
		return type_matches(type->val.string.val, type->val.string.len, v);
	it = JsonbIteratorInit(type->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM && type_matches(e.val.string.val, e.val.string.len, v))
			return true;
	return false;
}

static bool
in_enum(JsonbValue *list, JsonbValue *v)
{
	JsonbIterator *it = JsonbIteratorInit(list->val.binary.data);
	JsonbValue	e;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM && json_equal(&e, v))
			return true;
	return false;
}

static bool
violation(char **why, StringInfo path, const char *fmt, const char *arg)
{
	*why = psprintf("at %s, %s", path->len > 0 ? path->data : "$", psprintf(fmt, arg));
	return false;
}

static int64
count_of(JsonbContainer *schema, const char *key, int64 otherwise)
{
	int64		n;

	return aigw_jsonb_int64(aigw_jsonb_key(schema, key), &n) ? n : otherwise;
}

static bool validate_at(JsonbContainer *schema, JsonbValue *v, StringInfo path, char **why);

static bool
validate_object(JsonbContainer *schema, JsonbContainer *object, StringInfo path, char **why)
{
	JsonbValue *properties = aigw_jsonb_key(schema, "properties");
	JsonbValue *required = aigw_jsonb_key(schema, "required");
	JsonbValue *additional = aigw_jsonb_key(schema, "additionalProperties");
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			len = path->len;

	if (required != NULL)
	{
		it = JsonbIteratorInit(required->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_ELEM &&
				findJsonbValueFromContainer(object, JB_FOBJECT, &v) == NULL)
				return violation(why, path, "property \"%s\" is required and missing",
								 pnstrdup(v.val.string.val, v.val.string.len));
	}
	it = JsonbIteratorInit(object);
	while (aigw_jsonb_next_member(&it, &key, &v))
	{
		JsonbValue *sub = properties
			? findJsonbValueFromContainer(properties->val.binary.data, JB_FOBJECT, &key) : NULL;
		char	   *name = pnstrdup(key.val.string.val, key.val.string.len);

		if (sub == NULL && additional != NULL && additional->type == jbvBool)
		{
			if (!additional->val.boolean)
				return violation(why, path, "property \"%s\" is not allowed", name);
			continue;
		}
		if (sub == NULL)
			sub = additional;	/* a schema for the others, or NULL: anything */
		if (sub == NULL)
			continue;
		appendStringInfo(path, "%s.%s", len == 0 ? "$" : "", name);
		if (!validate_at(sub->val.binary.data, &v, path, why))
			return false;
		path->len = len;
		path->data[len] = '\0';
	}
	return true;
}

static bool
validate_array(JsonbContainer *schema, JsonbContainer *array, StringInfo path, char **why)
{
	JsonbValue *items = aigw_jsonb_key(schema, "items");
	int64		n = JsonContainerSize(array);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			len = path->len;
	int			i = 0;

	if (n < count_of(schema, "minItems", 0))
		return violation(why, path, "%s", psprintf("the list has %lld items, fewer than minItems",
												   (long long) n));
	if (n > count_of(schema, "maxItems", PG_INT64_MAX))
		return violation(why, path, "%s", psprintf("the list has %lld items, more than maxItems",
												   (long long) n));
	if (items == NULL)
		return true;
	it = JsonbIteratorInit(array);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		appendStringInfo(path, "%s[%d]", len == 0 ? "$" : "", i++);
		if (!validate_at(items->val.binary.data, &v, path, why))
			return false;
		path->len = len;
		path->data[len] = '\0';
	}
	return true;
}

static bool
validate_number(JsonbContainer *schema, JsonbValue *v, StringInfo path, char **why)
{
	double		d;
	double		bound;

	aigw_jsonb_number(v, &d);
	if (aigw_jsonb_number(aigw_jsonb_key(schema, "minimum"), &bound) && d < bound)
		return violation(why, path, "%s", psprintf("%g is below the minimum %g", d, bound));
	if (aigw_jsonb_number(aigw_jsonb_key(schema, "maximum"), &bound) && d > bound)
		return violation(why, path, "%s", psprintf("%g is above the maximum %g", d, bound));
	if (aigw_jsonb_number(aigw_jsonb_key(schema, "exclusiveMinimum"), &bound) && d <= bound)
		return violation(why, path, "%s", psprintf("%g is not above the exclusive minimum %g", d, bound));
	if (aigw_jsonb_number(aigw_jsonb_key(schema, "exclusiveMaximum"), &bound) && d >= bound)
		return violation(why, path, "%s", psprintf("%g is not below the exclusive maximum %g", d, bound));
	return true;
}

static bool
validate_at(JsonbContainer *schema, JsonbValue *v, StringInfo path, char **why)
{
	JsonbValue *type = aigw_jsonb_key(schema, "type");
	JsonbValue *c = aigw_jsonb_key(schema, "const");
	JsonbValue *e = aigw_jsonb_key(schema, "enum");

	check_stack_depth();
	if (type != NULL && !type_ok(type, v))
		return violation(why, path, "%s", psprintf("a %s where the schema wants %s",
												   aigw_jsonb_type_name(v),
												   type->type == jbvString
												   ? pnstrdup(type->val.string.val, type->val.string.len)
												   : JsonbToCString(NULL, type->val.binary.data, -1)));
	if (c != NULL && !json_equal(c, v))
		return violation(why, path, "%s", "the value is not the schema's const");
	if (e != NULL && !in_enum(e, v))
		return violation(why, path, "%s", "the value is not one of the schema's enum");
	if (aigw_jsonb_is_object(v))
		return validate_object(schema, v->val.binary.data, path, why);
	if (aigw_jsonb_is_array(v))
		return validate_array(schema, v->val.binary.data, path, why);
	if (v->type == jbvNumeric)
		return validate_number(schema, v, path, why);
	if (v->type == jbvString)
	{
		int64		n = pg_mbstrlen_with_len(v->val.string.val, v->val.string.len);

		if (n < count_of(schema, "minLength", 0))
			return violation(why, path, "%s", "the text is shorter than minLength");
		if (n > count_of(schema, "maxLength", PG_INT64_MAX))
			return violation(why, path, "%s", "the text is longer than maxLength");
	}
	return true;
}

bool
aigw_json_schema_validate(JsonbContainer *schema, JsonbValue *value, char **why)
{
	StringInfoData path;

	initStringInfo(&path);
	return validate_at(schema, value, &path, why);
}

/* ---------------------------------------------------------------------
 * OpenAI's strict mode
 * ---------------------------------------------------------------------
 */

bool
aigw_json_schema_strict(JsonbContainer *schema)
{
	JsonbValue *properties = aigw_jsonb_key(schema, "properties");
	JsonbValue *required = aigw_jsonb_key(schema, "required");
	JsonbValue *additional = aigw_jsonb_key(schema, "additionalProperties");
	JsonbValue *items = aigw_jsonb_key(schema, "items");
	JsonbValue *type = aigw_jsonb_key(schema, "type");
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	v;

	check_stack_depth();
	/* strings' length bounds are not among what strict mode takes */
	if (aigw_jsonb_key(schema, "minLength") || aigw_jsonb_key(schema, "maxLength"))
		return false;
	if (items != NULL && !aigw_json_schema_strict(items->val.binary.data))
		return false;
	if (properties == NULL && !aigw_jsonb_string_is(type, "object"))
		return true;
	/* an object: closed, every property required */
	if (additional == NULL || additional->type != jbvBool || additional->val.boolean)
		return false;
	if (properties == NULL)
		return true;
	it = JsonbIteratorInit(properties->val.binary.data);
	while (aigw_jsonb_next_member(&it, &key, &v))
	{
		if (required == NULL || !in_enum(required, &key))
			return false;
		if (!aigw_json_schema_strict(v.val.binary.data))
			return false;
	}
	return true;
}
