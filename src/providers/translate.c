/*
 * translate.c
 *	  Shared parts of the block-based protocols' translation (translate.h).
 */
#include "postgres.h"

#include <time.h>

#include "utils/json.h"

#include "common/json_util.h"
#include "providers/translate.h"

void
aigw_unsupported(const AigwTarget *target, const char *protocol, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported by the %s protocol (model \"%s\")",
					what, protocol, target->model_id),
			 hint ? errhint("%s", hint) : 0));
}

void
aigw_push_text_object(JsonbParseState **ps, const char *key, const char *text, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) text;
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, key, &v);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

void
aigw_push_string_list(JsonbParseState **ps, const char *key, JsonbValue *v)
{
	aigw_push_key(ps, key);
	if (v->type == jbvString)
	{
		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
		pushJsonbValue(ps, WJB_ELEM, v);
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	else
		aigw_push_container(ps, WJB_VALUE, v->val.binary.data);
}

void
aigw_push_function_tools(JsonbParseState **ps, const AigwTarget *target, const char *protocol,
						 JsonbValue *tools, const AigwToolShape *shape)
{
	JsonbIterator *it = JsonbIteratorInit(tools->val.binary.data);
	JsonbValue	tool;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &tool, true)) != WJB_DONE)
	{
		JsonbValue *function;
		JsonbValue *v;

		if (tok != WJB_ELEM)
			continue;
		function = aigw_jsonb_key(tool.val.binary.data, "function");
		if (!aigw_jsonb_is_object(function))
			aigw_unsupported(target, protocol, "a tool that is not a function", NULL);
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		if (shape->wrapper)
		{
			aigw_push_key(ps, shape->wrapper);
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		}
		aigw_push_value(ps, "name", aigw_jsonb_key(function->val.binary.data, "name"));
		v = aigw_jsonb_key(function->val.binary.data, "description");
		if (v != NULL && v->type == jbvString)
			aigw_push_value(ps, "description", v);
		v = aigw_jsonb_key(function->val.binary.data, "parameters");
		if (aigw_jsonb_is_object(v) || shape->schema_required)
		{
			aigw_push_key(ps, shape->schema_key);
			if (shape->schema_wrapper)
			{
				pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
				aigw_push_key(ps, shape->schema_wrapper);
			}
			if (aigw_jsonb_is_object(v))
				aigw_push_container(ps, WJB_VALUE, v->val.binary.data);
			else
			{
				pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
				aigw_push_string(ps, "type", "object");
				pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			}
			if (shape->schema_wrapper)
				pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		if (shape->wrapper)
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
}

int64
aigw_usage_count(JsonbContainer *usage, const char *key)
{
	int64		n;

	return aigw_jsonb_int64(aigw_jsonb_key(usage, key), &n) && n >= 0 ? n : -1;
}

int64
aigw_usage_optional(JsonbContainer *usage, const char *key)
{
	JsonbValue *v = aigw_jsonb_key(usage, key);

	return v == NULL ? 0 : aigw_usage_count(usage, key);
}

void
aigw_read_cache_usage(AigwAttempt *a, JsonbValue *usage, const char *input, const char *output,
					  const char *cache_read, const char *cache_write)
{
	JsonbContainer *u;

	if (!aigw_jsonb_is_object(usage))
		return;
	u = usage->val.binary.data;
	a->usage = usage;
	/* a cache count is often left out: none then */
	a->cached_tokens = Max(aigw_usage_count(u, cache_read), 0);
	a->cache_write_tokens = Max(aigw_usage_count(u, cache_write), 0);
	a->prompt_tokens = aigw_usage_count(u, input);
	if (a->prompt_tokens >= 0)
		a->prompt_tokens += a->cached_tokens + a->cache_write_tokens;
	a->completion_tokens = aigw_usage_count(u, output);
	a->reasoning_tokens = 0;
}

void
aigw_append_text(StringInfo buf, JsonbValue *content)
{
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;

	if (content == NULL)
		return;
	if (content->type == jbvString)
	{
		if (buf->len > 0)
			appendStringInfoString(buf, "\n\n");
		appendBinaryStringInfo(buf, content->val.string.val, content->val.string.len);
		return;
	}
	if (!aigw_jsonb_is_array(content))
		return;
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
	{
		char	   *text;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&part))
			continue;
		text = aigw_jsonb_cstring(aigw_jsonb_key(part.val.binary.data, "text"));
		if (text == NULL)
			continue;
		if (buf->len > 0)
			appendStringInfoString(buf, "\n\n");
		appendStringInfoString(buf, text);
	}
}

Jsonb *
aigw_tool_call_input(JsonbContainer *call)
{
	char	   *arguments = aigw_jsonb_cstring(aigw_jsonb_path2(call, "function", "arguments"));
	char	   *error;
	Jsonb	   *input = aigw_jsonb_parse(arguments && *arguments ? arguments : "{}", &error);

	if (input == NULL || !JB_ROOT_IS_OBJECT(input) || JB_ROOT_IS_SCALAR(input))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the arguments of tool call \"%s\" are not a JSON object",
						aigw_jsonb_cstring(aigw_jsonb_key(call, "id"))),
				 errdetail("This provider takes a tool call's input as an object; OpenAI's arguments string must hold one.")));
	return input;
}

/* OpenAI options that no block-based protocol can honour. */
static const char *const refused_options[] = {
	"logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "prediction",
	"web_search_options"
};

void
aigw_refuse_options(const AigwTarget *target, const char *protocol,
					JsonbContainer *options, int choices, bool allow_n)
{
	for (int i = 0; i < lengthof(refused_options); i++)
		if (aigw_jsonb_key(options, refused_options[i]) != NULL)
			aigw_unsupported(target, protocol, psprintf("option \"%s\"", refused_options[i]), NULL);
	if (!allow_n && choices > 1)
		aigw_unsupported(target, protocol, "n > 1", "Make several calls instead.");
}

void
aigw_append_json_instruction(StringInfo system, JsonbContainer *options)
{
	JsonbValue *type = aigw_jsonb_path2(options, "response_format", "type");
	JsonbValue *format = aigw_jsonb_key(options, "response_format");

	/* json_schema with a schema is a forced tool (aigw_json_schema_tool) */
	if (!aigw_jsonb_string_is(type, "json_object") &&
		!(aigw_jsonb_string_is(type, "json_schema") &&
		  aigw_jsonb_path2(format->val.binary.data, "json_schema", "schema") == NULL))
		return;
	if (system->len > 0)
		appendStringInfoString(system, "\n\n");
	appendStringInfoString(system, "Answer with one JSON object and nothing else.");
}

/* A one-element array or object, built from JSON text made here. */
static void
jsonb_of(const char *text, JsonbValue *out)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(text, &error);

	if (j == NULL)
		elog(ERROR, "JSON built by aigw does not parse: %s", error);
	out->type = jbvBinary;
	out->val.binary.data = &j->root;
	out->val.binary.len = VARSIZE(j) - VARHDRSZ;
}

bool
aigw_json_schema_tool(const AigwTarget *target, const char *protocol, JsonbContainer *options,
					  JsonbValue *tools, JsonbValue *choice)
{
	JsonbValue *format = aigw_jsonb_key(options, "response_format");
	JsonbValue *user_tools = aigw_jsonb_key(options, "tools");
	JsonbValue *schema;
	JsonbValue *description;
	StringInfoData buf;
	bool		has_tools = aigw_jsonb_is_array(user_tools) &&
		JsonContainerSize(user_tools->val.binary.data) > 0;

	if (has_tools)
	{
		JsonbIterator *it = JsonbIteratorInit(user_tools->val.binary.data);
		JsonbValue	tool;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &tool, true)) != WJB_DONE)
			if (tok == WJB_ELEM && aigw_jsonb_is_object(&tool) &&
				aigw_jsonb_string_is(aigw_jsonb_path2(tool.val.binary.data, "function", "name"), AIGW_JSON_TOOL))
				aigw_unsupported(target, protocol, "a tool named \"" AIGW_JSON_TOOL "\"",
								 "aigw reserves that name for a json_schema response_format: rename the tool.");
	}
	if (!aigw_jsonb_is_object(format) ||
		!aigw_jsonb_string_is(aigw_jsonb_key(format->val.binary.data, "type"), "json_schema"))
		return false;
	/* without a schema it asks for JSON only: the instruction, as json_object */
	if (aigw_jsonb_path2(format->val.binary.data, "json_schema", "schema") == NULL)
		return false;
	if (has_tools)
		aigw_unsupported(target, protocol, "a json_schema response_format together with tools",
						 "This protocol receives the schema as a forced tool, so the model could call no other: send either tools or a json_schema response_format.");
	schema = aigw_jsonb_path2(format->val.binary.data, "json_schema", "schema");
	if (!aigw_jsonb_is_object(schema) ||
		!aigw_jsonb_string_is(aigw_jsonb_key(schema->val.binary.data, "type"), "object"))
		aigw_unsupported(target, protocol, "a json_schema response_format whose schema is not an object's",
						 "Give the schema \"type\": \"object\"; wrap a list or a single value in a property.");
	description = aigw_jsonb_path2(format->val.binary.data, "json_schema", "description");

	initStringInfo(&buf);
	appendStringInfoString(&buf, "[{\"type\": \"function\", \"function\": {\"name\": \"" AIGW_JSON_TOOL "\", \"description\": ");
	escape_json(&buf, description != NULL && description->type == jbvString
				? aigw_jsonb_cstring(description)
				: "Give your answer as this tool's input: it must match the input schema.");
	appendStringInfo(&buf, ", \"parameters\": %s}}]", JsonbToCString(NULL, schema->val.binary.data, -1));
	jsonb_of(buf.data, tools);
	jsonb_of("{\"type\": \"function\", \"function\": {\"name\": \"" AIGW_JSON_TOOL "\"}}", choice);
	return true;
}

/* ---------------------------------------------------------------------
 * Turns
 * ---------------------------------------------------------------------
 */

static void
push_image(JsonbParseState **ps, const AigwTurnWriter *w, const char *url)
{
	const char *comma;
	const char *semi;

	if (url == NULL || strncmp(url, "data:", 5) != 0)
	{
		w->image(ps, w, NULL, NULL, url);
		return;
	}
	comma = strchr(url, ',');
	semi = strchr(url, ';');
	if (comma == NULL || semi == NULL || semi > comma || strncmp(semi, ";base64,", 8) != 0)
		aigw_unsupported(w->target, w->protocol, "an image data URL that is not base64",
						 "Send images as data:<media type>;base64,<data>.");
	w->image(ps, w, pnstrdup(url + 5, semi - url - 5), comma + 1, NULL);
}

static void
push_parts(JsonbParseState **ps, const AigwTurnWriter *w, JsonbValue *content)
{
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;

	if (content == NULL || content->type == jbvNull)
		return;
	if (content->type == jbvString)
	{
		/* empty text blocks are refused by these APIs */
		if (content->val.string.len > 0)
			w->text(ps, content->val.string.val, content->val.string.len);
		return;
	}
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
	{
		JsonbContainer *p;
		char	   *type;

		if (tok != WJB_ELEM)
			continue;
		p = part.val.binary.data;
		type = aigw_jsonb_cstring(aigw_jsonb_key(p, "type"));
		if (strcmp(type, "text") == 0 || strcmp(type, "refusal") == 0)
		{
			JsonbValue *text = aigw_jsonb_key(p, type);

			if (text && text->type == jbvString && text->val.string.len > 0)
				w->text(ps, text->val.string.val, text->val.string.len);
		}
		else if (strcmp(type, "image_url") == 0)
			push_image(ps, w, aigw_jsonb_cstring(aigw_jsonb_path2(p, "image_url", "url")));
		else
			aigw_unsupported(w->target, w->protocol, psprintf("a \"%s\" content part", type), NULL);
	}
}

static void
push_tool_calls(JsonbParseState **ps, const AigwTurnWriter *w, JsonbValue *calls)
{
	JsonbIterator *it = JsonbIteratorInit(calls->val.binary.data);
	JsonbValue	call;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &call, true)) != WJB_DONE)
	{
		JsonbContainer *c;

		if (tok != WJB_ELEM)
			continue;
		c = call.val.binary.data;
		w->tool_call(ps, aigw_jsonb_key(c, "id"), aigw_jsonb_path2(c, "function", "name"),
					 aigw_tool_call_input(c));
	}
}

void
aigw_push_turns(JsonbParseState **ps, const AigwTurnWriter *w, const char *key,
				Jsonb *messages, StringInfo system)
{
	JsonbIterator *it = JsonbIteratorInit(&messages->root);
	JsonbValue	msg;
	JsonbIteratorToken tok;
	const char *open_role = NULL;

	aigw_push_key(ps, key);
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	while ((tok = JsonbIteratorNext(&it, &msg, true)) != WJB_DONE)
	{
		JsonbContainer *m;
		char	   *role;
		const char *turn;
		JsonbValue *calls;

		if (tok != WJB_ELEM)
			continue;
		m = msg.val.binary.data;
		role = aigw_jsonb_cstring(aigw_jsonb_key(m, "role"));
		if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
		{
			aigw_append_text(system, aigw_jsonb_key(m, "content"));
			continue;
		}
		turn = strcmp(role, "assistant") == 0 ? w->assistant_role : "user";
		if (open_role == NULL || strcmp(open_role, turn) != 0)
		{
			if (open_role != NULL)
			{
				pushJsonbValue(ps, WJB_END_ARRAY, NULL);
				pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			}
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_string(ps, "role", turn);
			aigw_push_key(ps, w->blocks_key);
			pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
			open_role = turn;
		}
		if (strcmp(role, "tool") == 0)
		{
			StringInfoData text;

			initStringInfo(&text);
			aigw_append_text(&text, aigw_jsonb_key(m, "content"));
			w->tool_result(ps, w, messages, aigw_jsonb_key(m, "tool_call_id"), text.data);
		}
		else
		{
			push_parts(ps, w, aigw_jsonb_key(m, "content"));
			calls = aigw_jsonb_key(m, "tool_calls");
			if (strcmp(role, "assistant") == 0 && aigw_jsonb_is_array(calls))
				push_tool_calls(ps, w, calls);
		}
	}
	if (open_role != NULL)
	{
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

/* ---------------------------------------------------------------------
 * The OpenAI-shaped answer
 * ---------------------------------------------------------------------
 */

void
aigw_answer_begin(JsonbParseState **ps, JsonbValue *id, JsonbValue *model)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (id != NULL && id->type == jbvString)
		aigw_push_value(ps, "id", id);
	aigw_push_string(ps, "object", "chat.completion");
	aigw_push_int(ps, "created", (int64) time(NULL));
	if (model != NULL && model->type == jbvString)
		aigw_push_value(ps, "model", model);
	aigw_push_key(ps, "choices");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
}

void
aigw_choice_begin(AigwChoice *c, JsonbParseState **ps, int index)
{
	c->ps = ps;
	initStringInfo(&c->text);
	c->has_text = false;
	c->ncalls = 0;
	c->index = index;
	c->structured = false;
	c->problem = NULL;
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(ps, "index", index);
	aigw_push_key(ps, "message");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "role", "assistant");
}

void
aigw_choice_text(AigwChoice *c, const char *text, int len)
{
	/* text beside the forced answer tool is not the answer */
	if (c->structured)
		return;
	appendBinaryStringInfo(&c->text, text, len);
	c->has_text = true;
}

/* Tool calls are pushed as they come; the text is pushed at the end. */
void
aigw_choice_tool_call(AigwChoice *c, JsonbValue *id, JsonbValue *name, JsonbValue *input)
{
	JsonbParseState **ps = c->ps;

	/* an OpenAI tool call names its function and has an object's JSON as arguments */
	if (c->problem == NULL && (name == NULL || name->type != jbvString || name->val.string.len == 0))
		c->problem = "a tool call has no name";
	if (c->problem == NULL && input != NULL && input->type != jbvNull && !aigw_jsonb_is_object(input))
		c->problem = "a tool call's input is not an object";
	if (c->ncalls++ == 0)
	{
		aigw_push_key(ps, "tool_calls");
		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	}
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (id != NULL && id->type == jbvString)
		aigw_push_value(ps, "id", id);
	else
		aigw_push_string(ps, "id", psprintf("call_%d_%d", c->index, c->ncalls));
	aigw_push_string(ps, "type", "function");
	aigw_push_key(ps, "function");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "name", name);
	aigw_push_string(ps, "arguments", input && input->type == jbvBinary
					 ? JsonbToCString(NULL, input->val.binary.data, -1) : "{}");
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

void
aigw_choice_tool_use(AigwChoice *c, JsonbValue *id, JsonbValue *name, JsonbValue *input)
{
	Jsonb	   *j;

	if (!aigw_jsonb_string_is(name, AIGW_JSON_TOOL))
	{
		aigw_choice_tool_call(c, id, name, input);
		return;
	}
	/* the answer is the tool's input alone: text before it was the model thinking aloud */
	resetStringInfo(&c->text);
	if (input == NULL)
		appendStringInfoString(&c->text, "null");
	else
	{
		j = JsonbValueToJsonb(input);
		appendStringInfoString(&c->text, JsonbToCString(NULL, &j->root, VARSIZE(j)));
	}
	c->has_text = true;
	c->structured = true;
}

void
aigw_choice_end(AigwChoice *c, const char *finish_reason)
{
	JsonbParseState **ps = c->ps;

	if (c->ncalls > 0)
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	if (c->has_text)
		aigw_push_string(ps, "content", c->text.data);
	else
		aigw_push_value(ps, "content", NULL);	/* null */
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	/* the forced answer tool's call is the answer, not a call to make */
	if (c->structured && finish_reason && strcmp(finish_reason, "tool_calls") == 0)
		finish_reason = "stop";
	if (finish_reason)
		aigw_push_string(ps, "finish_reason", finish_reason);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

Jsonb *
aigw_answer_end(JsonbParseState **ps)
{
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(ps, WJB_END_OBJECT, NULL));
}
