/*
 * json_schema.h
 *	  The subset of JSON Schema that aigw checks a model's structured answer
 *	  against (aigw.extract and the other semantic functions):
 *
 *		type (a name or a list; "integer" is a whole number), properties,
 *		required, additionalProperties (false or a schema), enum, const,
 *		items, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 *		minItems, maxItems, minLength, maxLength, nested to any depth.
 *
 * Annotations and keywords outside JSON Schema's validation vocabulary
 * (title, description, format, default, ...) are ignored.  Validation
 * keywords aigw does not implement ($ref, anyOf, pattern, ...) are refused
 * by aigw_json_schema_check, so that a schema never promises more than the
 * answer is checked for.
 */
#ifndef AIGW_JSON_SCHEMA_H
#define AIGW_JSON_SCHEMA_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/*
 * Whether schema (an object) uses only what the validator understands, with
 * well-formed values; false with *why (naming the keyword's path) if not.
 */
extern bool aigw_json_schema_check(JsonbContainer *schema, char **why);

/*
 * Whether value is valid against schema (checked by aigw_json_schema_check);
 * false with *why naming the first violation's place ($.a.b[0]).
 */
extern bool aigw_json_schema_validate(JsonbContainer *schema, JsonbValue *value, char **why);

/*
 * Whether OpenAI's strict structured outputs take schema as it is: every
 * object lists all its properties as required and closes them
 * (additionalProperties false), and no keyword strict mode refuses.
 */
extern bool aigw_json_schema_strict(JsonbContainer *schema);

/* The root of a Jsonb as a value (a scalar's own value, else its container). */
extern void aigw_jsonb_root_value(Jsonb *j, JsonbValue *out);

#endif							/* AIGW_JSON_SCHEMA_H */
