/*
 * semantic.c
 *	  The semantic functions' halves (sql_call.h): aigw.is_true, classify,
 *	  extract and score.  Each is one gateway call that asks for structured
 *	  output (response_format json_schema; the providers' files turn it into
 *	  their own form: a forced tool, responseJsonSchema) and checks the
 *	  answer against the schema before returning it.
 *
 * A provider requires an object at the root of a structured answer, so the
 * scalar answers are wrapped: {"answer": true}, {"label": "..."},
 * {"score": 0.7}.  aigw.extract asks for the user's own object schema.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "batch/sql_call.h"
#include "common/json_schema.h"
#include "common/json_util.h"
#include "common/settings.h"

/* The options a semantic function owns: a user may not set them. */
static const char *const owned_options[] = {"response_format", "tools", "tool_choice"};

/* What finish and a second try need (AigwSqlCall.extra). */
typedef struct SemanticExtra
{
	Jsonb	   *schema;			/* what the answer is checked against */
	Jsonb	   *resend_options; /* the options, the response cache bypassed */
} SemanticExtra;

typedef struct SemanticShape
{
	AigwSqlCallKind kind;
	int			model_arg;		/* the model's argument number; options follow it */
	const char *schema_name;	/* response_format.json_schema.name */
	const char *member;			/* the wrapped answer's one member, or NULL (extract) */
	const char *instruction;	/* the system message */
} SemanticShape;

static const SemanticShape shapes[] = {
	{SQL_CALL_IS_TRUE, 1, "truth", "answer",
	"Decide whether the user's statement is true, or answer the user's yes-or-no question: "
	"true means yes, false means no."},
	{SQL_CALL_CLASSIFY, 2, "classification", "label",
	"Classify the user's text: answer with the one label that fits it best, exactly as written "
	"among these labels: "},
	{SQL_CALL_EXTRACT, 2, "extraction", NULL,
	"Extract from the user's text the data that the answer's JSON schema describes. "
	"Take values from the text; do not invent what it does not say unless the schema requires it."},
	{SQL_CALL_SCORE, 1, "score", "score",
	"Rate the user's text with a score from 0 to 1: how far what it asks holds (for a query and "
	"a document, how relevant the document is to the query), 0 meaning not at all and 1 fully."},
};

static const SemanticShape *
shape_of(AigwSqlCallKind kind)
{
	for (int i = 0; i < lengthof(shapes); i++)
		if (shapes[i].kind == kind)
			return &shapes[i];
	elog(ERROR, "unexpected call kind %d", (int) kind);
}

static Jsonb *
parse_ours(const char *text)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(text, &error);

	if (j == NULL)
		elog(ERROR, "a schema built by aigw is not JSON: %s", error);
	return j;
}

/* {"type": "object", "properties": {member: value}, "required": [member], ...} */
static Jsonb *
wrapped_schema(const char *member, const char *value)
{
	return parse_ours(psprintf("{\"type\": \"object\", \"properties\": {\"%s\": %s}, "
							   "\"required\": [\"%s\"], \"additionalProperties\": false}",
							   member, value, member));
}

/* The labels as a JSON list, checked: at least one, none NULL, empty or twice. */
static char *
labels_json(const char *fn, ArrayType *labels)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData buf;

	if (ARR_NDIM(labels) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("labels of %s must be a one-dimensional array", fn)));
	deconstruct_array(labels, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("labels of %s are empty", fn),
				 errhint("Give the labels to choose from, e.g. ARRAY['positive', 'negative'].")));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < n; i++)
	{
		char	   *label;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("label %d of %s is NULL", i + 1, fn),
					 errdetail("Every label must be a text the model can answer with.")));
		label = TextDatumGetCString(elems[i]);
		if (*label == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("label %d of %s is empty", i + 1, fn)));
		for (int k = 0; k < i; k++)
			if (!nulls[k] && strcmp(label, TextDatumGetCString(elems[k])) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("label %s of %s is given twice", aigw_quote_name(label), fn),
						 errdetail("Labels %d and %d are the same.", k + 1, i + 1)));
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, label);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

static Jsonb *
user_schema(const char *fn, Jsonb *schema)
{
	char	   *why;

	if (!JB_ROOT_IS_OBJECT(schema) || JB_ROOT_IS_SCALAR(schema) ||
		!aigw_jsonb_string_is(aigw_jsonb_key(&schema->root, "type"), "object"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the schema of %s must describe an object", fn),
				 errdetail("Providers' structured output has an object at its root."),
				 errhint("Use {\"type\": \"object\", \"properties\": {...}}; wrap a list or a single value in a property.")));
	if (!aigw_json_schema_check(&schema->root, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the schema of %s is not supported", fn),
				 errdetail("In the schema, %s.", why),
				 errhint("aigw checks answers against type, properties, required, additionalProperties, enum, const, items, minimum, maximum, minItems, maxItems, minLength and maxLength.")));
	return schema;
}

static const char *
chosen_model(const char *fn, const Datum *args, const bool *nulls, int i)
{
	if (!nulls[i])
		return TextDatumGetCString(args[i]);
	if (aigw_default_model == NULL || aigw_default_model[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has no model", fn),
				 errdetail("Its model argument is NULL and the setting aigw.default_model is empty."),
				 errhint("Pass a model, or set aigw.default_model (e.g. SET aigw.default_model = 'openai/gpt-4o-mini').")));
	return pstrdup(aigw_default_model);
}

static bool
not_owned(const JsonbValue *key)
{
	return !aigw_jsonb_string_is(key, "instructions");
}

/*
 * The call's options: the user's (an object) without "instructions", with
 * the response_format asked for and temperature 0 unless given.
 */
static Jsonb *
call_options(const char *fn, const SemanticShape *shape, Jsonb *user, Jsonb *schema,
			 char **instructions)
{
	JsonbParseState *ps = NULL;
	JsonbValue *v;
	JsonbValue	t;

	if (!JB_ROOT_IS_OBJECT(user) || JB_ROOT_IS_SCALAR(user))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of %s must be a JSON object", fn)));
	for (int i = 0; i < lengthof(owned_options); i++)
		if (aigw_jsonb_key(&user->root, owned_options[i]) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is not for %s", owned_options[i], fn),
					 errdetail("%s sets the structured output it asks for itself.", fn),
					 errhint("Call aigw.chat for another output format or for tools.")));
	v = aigw_jsonb_key(&user->root, "instructions");
	*instructions = NULL;
	if (v != NULL && v->type != jbvNull)
	{
		if (v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"instructions\" of %s must be text", fn)));
		*instructions = aigw_jsonb_cstring(v);
	}

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &user->root, not_owned);
	if (aigw_jsonb_key(&user->root, "temperature") == NULL)
		aigw_push_int(&ps, "temperature", 0);
	aigw_push_key(&ps, "response_format");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "type", "json_schema");
	aigw_push_key(&ps, "json_schema");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "name", shape->schema_name);
	/* OpenAI's strict mode refuses a schema that leaves a property optional */
	t.type = jbvBool;
	t.val.boolean = aigw_json_schema_strict(&schema->root);
	aigw_push_value(&ps, "strict", &t);
	aigw_push_key(&ps, "schema");
	aigw_push_container(&ps, WJB_VALUE, &schema->root);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

static bool
not_cache(const JsonbValue *key)
{
	return !aigw_jsonb_string_is(key, "cache");
}

/*
 * The options of a second try: the response cache holds the first answer
 * (a temperature-0 call is cached), so the second request bypasses it, or
 * it would get the same answer again, for free.
 */
static Jsonb *
without_cache(Jsonb *options)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &options->root, not_cache);
	aigw_push_bool(&ps, "cache", false);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

bool
aigw_semantic_prepare(AigwSqlCallKind kind, int nargs, const Datum *args, const bool *nulls,
					  AigwSqlCall *out)
{
	const SemanticShape *shape = shape_of(kind);
	const char *fn = aigw_sql_call_name(kind);
	int			m = shape->model_arg;
	StringInfoData instruction;
	text	   *input;
	char	   *labels = NULL;
	char	   *more;
	Jsonb	   *schema;
	Jsonb	   *options;
	SemanticExtra *extra;

	Assert(nargs == m + 2);
	/* a NULL text has no answer, as a strict function's */
	if (nulls[0])
		return false;
	if (m == 2 && nulls[1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of %s is NULL", kind == SQL_CALL_CLASSIFY ? "labels" : "schema", fn)));

	initStringInfo(&instruction);
	appendStringInfoString(&instruction, shape->instruction);
	switch (kind)
	{
		case SQL_CALL_IS_TRUE:
			schema = wrapped_schema("answer", "{\"type\": \"boolean\"}");
			break;
		case SQL_CALL_CLASSIFY:
			labels = labels_json(fn, DatumGetArrayTypeP(args[1]));
			schema = wrapped_schema("label", psprintf("{\"type\": \"string\", \"enum\": %s}", labels));
			appendStringInfo(&instruction, "%s.", labels);
			break;
		case SQL_CALL_EXTRACT:
			/* a copy: finish reads it after the argument's row is gone */
			schema = user_schema(fn, (Jsonb *) PG_DETOAST_DATUM_COPY(args[1]));
			break;
		case SQL_CALL_SCORE:
			schema = wrapped_schema("score", "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}");
			break;
		default:
			elog(ERROR, "unexpected call kind %d", (int) kind);
	}
	out->model = (char *) chosen_model(fn, args, nulls, m);
	options = nulls[m + 1] ? parse_ours("{}") : DatumGetJsonbP(args[m + 1]);
	out->options = call_options(fn, shape, options, schema, &more);
	if (more != NULL && *more != '\0')
		appendStringInfo(&instruction, "\n\n%s", more);
	input = DatumGetTextPP(args[0]);
	out->payload = aigw_chat_messages(instruction.data, VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input));
	extra = palloc(sizeof(SemanticExtra));
	extra->schema = schema;
	extra->resend_options = without_cache(out->options);
	out->extra = extra;
	return true;
}

/* ---------------------------------------------------------------------
 * The answer
 * ---------------------------------------------------------------------
 */

/* The JSON text without the Markdown fence some models put around it. */
static char *
unfenced(char *s)
{
	char	   *end;

	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	if (strncmp(s, "```", 3) != 0)
		return s;
	s = strchr(s, '\n');
	if (s == NULL)
		return "";
	end = strstr(s, "```");
	return end ? pnstrdup(s, end - s) : s;
}

/* The text of the first choice, or NULL with *why. */
static char *
answer_text(Jsonb *answer, const char **why, bool *cut)
{
	JsonbValue *choices = aigw_jsonb_key(&answer->root, "choices");
	JsonbValue *first;
	JsonbValue *content;
	JsonbValue *refusal;
	char	   *finish;

	*cut = false;
	first = aigw_jsonb_is_array(choices)
		? getIthJsonbValueFromContainer(choices->val.binary.data, 0) : NULL;
	if (!aigw_jsonb_is_object(first))
	{
		*why = "the answer has no choice";
		return NULL;
	}
	finish = aigw_jsonb_cstring(aigw_jsonb_key(first->val.binary.data, "finish_reason"));
	*cut = finish != NULL && strcmp(finish, "length") == 0;
	refusal = aigw_jsonb_path2(first->val.binary.data, "message", "refusal");
	if (refusal != NULL && refusal->type == jbvString && refusal->val.string.len > 0)
	{
		*why = "the model refused to answer";
		return NULL;
	}
	content = aigw_jsonb_path2(first->val.binary.data, "message", "content");
	if (content != NULL && content->type == jbvString)
		return aigw_jsonb_cstring(content);
	if (finish != NULL && strcmp(finish, "content_filter") == 0)
		*why = "the provider's content filter withheld the answer";
	else if (aigw_jsonb_path2(first->val.binary.data, "message", "tool_calls") != NULL)
		*why = "the answer is a tool call, not the JSON asked for";
	else if (*cut)
		*why = "the answer was cut at its output limit before any text";
	else
		*why = "the answer has no text";
	return NULL;
}

/* Built by prepare, so that a second try allocates nothing. */
void
aigw_semantic_resend(AigwSqlCall *sc)
{
	sc->resent = true;
	sc->options = ((SemanticExtra *) sc->extra)->resend_options;
}

bool
aigw_semantic_finish(const AigwSqlCall *sc, Jsonb *answer, Datum *value, bool *isnull, char **why)
{
	const SemanticShape *shape = shape_of(sc->kind);
	Jsonb	   *schema = ((SemanticExtra *) sc->extra)->schema;
	const char *problem = NULL;
	bool		cut;
	char	   *text = answer_text(answer, &problem, &cut);
	char	   *error;
	char	   *invalid;
	Jsonb	   *parsed;
	JsonbValue	root;
	JsonbValue *v;

	*isnull = false;
	if (text == NULL)
	{
		*why = pstrdup(problem);
		return false;
	}
	parsed = aigw_jsonb_parse(unfenced(text), &error);
	if (parsed == NULL)
	{
		*why = cut ? "the answer was cut at its output limit (finish_reason \"length\") and is not whole JSON"
			: "the answer is not JSON";
		return false;
	}
	aigw_jsonb_root_value(parsed, &root);
	if (!aigw_json_schema_validate(&schema->root, &root, &invalid))
	{
		*why = psprintf("the answer does not match the schema: %s", invalid);
		return false;
	}
	if (shape->member == NULL)
	{
		*value = JsonbPGetDatum(parsed);
		return true;
	}
	v = aigw_jsonb_key(&parsed->root, shape->member);
	switch (sc->kind)
	{
		case SQL_CALL_IS_TRUE:
			*value = BoolGetDatum(v->val.boolean);
			break;
		case SQL_CALL_CLASSIFY:
			*value = PointerGetDatum(cstring_to_text_with_len(v->val.string.val, v->val.string.len));
			break;
		case SQL_CALL_SCORE:
			{
				double		d;

				aigw_jsonb_number(v, &d);
				*value = Float8GetDatum(d);
			}
			break;
		default:
			elog(ERROR, "unexpected call kind %d", (int) sc->kind);
	}
	return true;
}
