/*
 * gemini.c
 *	  Google's Gemini API (POST /v1beta/models/{model}:generateContent),
 *	  translated from and to aigw's OpenAI shape.
 *
 * What differs, and forces the code below:
 *	- the model is in the URL path, and turns are "user" / "model" with
 *	  "parts"; the system prompt is a separate systemInstruction;
 *	- a function call has no id, and its answer names the function, not the
 *	  call: the name is found from the assistant message that made the call;
 *	- thoughtsTokenCount is outside candidatesTokenCount but billed as
 *	  output: completion tokens are their sum, reasoning tokens the former.
 */
#include "postgres.h"

#include <time.h>

#include "json_util.h"
#include "providers/provider.h"

pg_attribute_noreturn()
static void
unsupported(const AigwTarget *target, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported by the Gemini protocol (model \"%s\")", what, target->model_id)));
}

static void
push_binary(JsonbParseState **ps, JsonbIteratorToken tok, JsonbContainer *c)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = c;
	v.val.binary.len = 0;
	pushJsonbValue(ps, tok, &v);
}

static void
push_text_part(JsonbParseState **ps, const char *text, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) text;
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "text", &v);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
push_image_part(JsonbParseState **ps, const AigwTarget *target, const char *url)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (strncmp(url, "data:", 5) == 0)
	{
		const char *comma = strchr(url, ',');
		const char *semi = strchr(url, ';');

		if (comma == NULL || semi == NULL || semi > comma || strncmp(semi, ";base64,", 8) != 0)
			unsupported(target, "an image data URL that is not base64");
		aigw_push_key(ps, "inlineData");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "mimeType", pnstrdup(url + 5, semi - url - 5));
		aigw_push_string(ps, "data", comma + 1);
	}
	else
	{
		const char *dot = strrchr(url, '.');

		aigw_push_key(ps, "fileData");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "mimeType",
						 dot && pg_strcasecmp(dot, ".png") == 0 ? "image/png"
						 : dot && pg_strcasecmp(dot, ".webp") == 0 ? "image/webp"
						 : dot && pg_strcasecmp(dot, ".gif") == 0 ? "image/gif" : "image/jpeg");
		aigw_push_string(ps, "fileUri", url);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
push_content_parts(JsonbParseState **ps, const AigwTarget *target, JsonbValue *content)
{
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;

	if (content == NULL || content->type == jbvNull)
		return;
	if (content->type == jbvString)
	{
		if (content->val.string.len > 0)
			push_text_part(ps, content->val.string.val, content->val.string.len);
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
				push_text_part(ps, text->val.string.val, text->val.string.len);
		}
		else if (strcmp(type, "image_url") == 0)
			push_image_part(ps, target, aigw_jsonb_cstring(aigw_jsonb_path2(p, "image_url", "url")));
		else
			unsupported(target, psprintf("a \"%s\" content part", type));
	}
}

static void
append_text(StringInfo buf, JsonbValue *content)
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
	if (content->type != jbvBinary)
		return;
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
	{
		char	   *text;

		if (tok != WJB_ELEM)
			continue;
		text = aigw_jsonb_cstring(aigw_jsonb_key(part.val.binary.data, "text"));
		if (text == NULL)
			continue;
		if (buf->len > 0)
			appendStringInfoString(buf, "\n\n");
		appendStringInfoString(buf, text);
	}
}

/* The function name of an earlier assistant tool call with this id. */
static char *
function_name_of_call(Jsonb *messages, const char *call_id)
{
	JsonbIterator *it = JsonbIteratorInit(&messages->root);
	JsonbValue	msg;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &msg, true)) != WJB_DONE)
	{
		JsonbValue *calls;
		JsonbIterator *ci;
		JsonbValue	call;

		if (tok != WJB_ELEM)
			continue;
		calls = aigw_jsonb_key(msg.val.binary.data, "tool_calls");
		if (!aigw_jsonb_is_array(calls))
			continue;
		ci = JsonbIteratorInit(calls->val.binary.data);
		while ((tok = JsonbIteratorNext(&ci, &call, true)) != WJB_DONE)
		{
			char	   *id;

			if (tok != WJB_ELEM)
				continue;
			id = aigw_jsonb_cstring(aigw_jsonb_key(call.val.binary.data, "id"));
			if (id && strcmp(id, call_id) == 0)
				return aigw_jsonb_cstring(aigw_jsonb_path2(call.val.binary.data, "function", "name"));
		}
	}
	return NULL;
}

static void
push_function_call_parts(JsonbParseState **ps, const AigwTarget *target, JsonbValue *calls)
{
	JsonbIterator *it = JsonbIteratorInit(calls->val.binary.data);
	JsonbValue	call;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &call, true)) != WJB_DONE)
	{
		JsonbContainer *c;
		char	   *arguments;
		char	   *error;
		Jsonb	   *args;

		if (tok != WJB_ELEM)
			continue;
		c = call.val.binary.data;
		arguments = aigw_jsonb_cstring(aigw_jsonb_path2(c, "function", "arguments"));
		args = aigw_jsonb_parse(arguments && *arguments ? arguments : "{}", &error);
		if (args == NULL || !JB_ROOT_IS_OBJECT(args) || JB_ROOT_IS_SCALAR(args))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the arguments of tool call \"%s\" are not a JSON object",
							aigw_jsonb_cstring(aigw_jsonb_key(c, "id")))));
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(ps, "functionCall");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "name", aigw_jsonb_path2(c, "function", "name"));
		aigw_push_key(ps, "args");
		push_binary(ps, WJB_VALUE, &args->root);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
}

/* A tool answer: {"functionResponse": {"name", "response": {...}}}. */
static void
push_function_response_part(JsonbParseState **ps, const AigwTarget *target,
							Jsonb *messages, JsonbContainer *msg)
{
	char	   *call_id = aigw_jsonb_cstring(aigw_jsonb_key(msg, "tool_call_id"));
	char	   *name = function_name_of_call(messages, call_id);
	StringInfoData text;
	char	   *error;
	Jsonb	   *parsed;

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tool message answers call \"%s\", which no assistant message made", call_id),
				 errdetail("Gemini names the function a tool answer is for; aigw finds it from the assistant's tool_calls.")));
	initStringInfo(&text);
	append_text(&text, aigw_jsonb_key(msg, "content"));
	parsed = aigw_jsonb_parse(text.data, &error);

	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "functionResponse");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "name", name);
	aigw_push_key(ps, "response");
	if (parsed != NULL && JB_ROOT_IS_OBJECT(parsed) && !JB_ROOT_IS_SCALAR(parsed))
		push_binary(ps, WJB_VALUE, &parsed->root);
	else
	{
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "content", text.data);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
push_contents(JsonbParseState **ps, const AigwTarget *target, Jsonb *messages, StringInfo system)
{
	JsonbIterator *it = JsonbIteratorInit(&messages->root);
	JsonbValue	msg;
	JsonbIteratorToken tok;
	const char *open_role = NULL;

	aigw_push_key(ps, "contents");
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
			append_text(system, aigw_jsonb_key(m, "content"));
			continue;
		}
		turn = strcmp(role, "assistant") == 0 ? "model" : "user";
		if (open_role == NULL || strcmp(open_role, turn) != 0)
		{
			if (open_role != NULL)
			{
				pushJsonbValue(ps, WJB_END_ARRAY, NULL);
				pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			}
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_string(ps, "role", turn);
			aigw_push_key(ps, "parts");
			pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
			open_role = turn;
		}
		if (strcmp(role, "tool") == 0)
			push_function_response_part(ps, target, messages, m);
		else
		{
			push_content_parts(ps, target, aigw_jsonb_key(m, "content"));
			calls = aigw_jsonb_key(m, "tool_calls");
			if (strcmp(role, "assistant") == 0 && aigw_jsonb_is_array(calls))
				push_function_call_parts(ps, target, calls);
		}
	}
	if (open_role != NULL)
	{
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

static void
push_tools(JsonbParseState **ps, JsonbValue *tools)
{
	JsonbIterator *it = JsonbIteratorInit(tools->val.binary.data);
	JsonbValue	tool;
	JsonbIteratorToken tok;

	aigw_push_key(ps, "tools");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "functionDeclarations");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	while ((tok = JsonbIteratorNext(&it, &tool, true)) != WJB_DONE)
	{
		JsonbContainer *fn;
		JsonbValue *v;

		if (tok != WJB_ELEM)
			continue;
		fn = aigw_jsonb_key(tool.val.binary.data, "function")->val.binary.data;
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "name", aigw_jsonb_key(fn, "name"));
		if ((v = aigw_jsonb_key(fn, "description")) != NULL && v->type == jbvString)
			aigw_push_value(ps, "description", v);
		if ((v = aigw_jsonb_key(fn, "parameters")) != NULL && aigw_jsonb_is_object(v))
		{
			aigw_push_key(ps, "parameters");
			push_binary(ps, WJB_VALUE, v->val.binary.data);
		}
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

static void
push_tool_config(JsonbParseState **ps, JsonbValue *choice)
{
	aigw_push_key(ps, "toolConfig");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "functionCallingConfig");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (aigw_jsonb_string_is(choice, "none"))
		aigw_push_string(ps, "mode", "NONE");
	else if (aigw_jsonb_string_is(choice, "required"))
		aigw_push_string(ps, "mode", "ANY");
	else if (aigw_jsonb_is_object(choice))
	{
		aigw_push_string(ps, "mode", "ANY");
		aigw_push_key(ps, "allowedFunctionNames");
		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
		pushJsonbValue(ps, WJB_ELEM, aigw_jsonb_path2(choice->val.binary.data, "function", "name"));
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	else
		aigw_push_string(ps, "mode", "AUTO");
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* Percent-encode a path segment (the model name may carry '?', '/' ...). */
static void
append_path_segment(StringInfo url, const char *s)
{
	for (; *s; s++)
	{
		if (isalnum((unsigned char) *s) || strchr("-._~", *s))
			appendStringInfoChar(url, *s);
		else
			appendStringInfo(url, "%%%02X", (unsigned char) *s);
	}
}

static const char *const refused_options[] = {
	"logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "prediction",
	"web_search_options"
};

/* OpenAI option -> generationConfig field, passed as they are */
static const struct
{
	const char *openai;
	const char *gemini;
}			generation_fields[] = {
	{"temperature", "temperature"},
	{"top_p", "topP"},
	{"seed", "seed"},
	{"presence_penalty", "presencePenalty"},
	{"frequency_penalty", "frequencyPenalty"},
	{"n", "candidateCount"},
};

static void
gemini_build(const AigwTarget *target, const AigwChatInput *input,
			 StringInfo url, StringInfo body)
{
	JsonbContainer *opts = &input->options->root;
	JsonbParseState *ps = NULL;
	StringInfoData system;
	JsonbValue *v;
	JsonbValue *tools;
	JsonbValue *extra;
	JsonbValue *root;

	for (int i = 0; i < lengthof(refused_options); i++)
		if (aigw_jsonb_key(opts, refused_options[i]) != NULL)
			unsupported(target, psprintf("option \"%s\"", refused_options[i]));

	appendStringInfoString(url, "/models/");
	append_path_segment(url, target->upstream_model);
	appendStringInfoString(url, ":generateContent");

	initStringInfo(&system);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_contents(&ps, target, input->messages, &system);
	if (system.len > 0)
	{
		aigw_push_key(&ps, "systemInstruction");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(&ps, "parts");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		push_text_part(&ps, system.data, system.len);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}

	aigw_push_key(&ps, "generationConfig");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < lengthof(generation_fields); i++)
		if ((v = aigw_jsonb_key(opts, generation_fields[i].openai)) != NULL && v->type != jbvNull)
			aigw_push_value(&ps, generation_fields[i].gemini, v);
	if (input->max_output_tokens >= 0)
		aigw_push_int(&ps, "maxOutputTokens", input->max_output_tokens);
	if ((v = aigw_jsonb_key(opts, "stop")) != NULL && v->type != jbvNull)
	{
		aigw_push_key(&ps, "stopSequences");
		if (v->type == jbvString)
		{
			pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
			pushJsonbValue(&ps, WJB_ELEM, v);
			pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		}
		else
			push_binary(&ps, WJB_VALUE, v->val.binary.data);
	}
	if ((v = aigw_jsonb_key(opts, "response_format")) != NULL)
	{
		JsonbValue *type = aigw_jsonb_key(v->val.binary.data, "type");
		JsonbValue *schema = aigw_jsonb_path2(v->val.binary.data, "json_schema", "schema");

		if (aigw_jsonb_string_is(type, "json_object") || aigw_jsonb_string_is(type, "json_schema"))
			aigw_push_string(&ps, "responseMimeType", "application/json");
		if (schema != NULL && schema->type == jbvBinary)
		{
			/* a JSON Schema as such; responseSchema takes an OpenAPI subset */
			aigw_push_key(&ps, "responseJsonSchema");
			push_binary(&ps, WJB_VALUE, schema->val.binary.data);
		}
	}
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	tools = aigw_jsonb_key(opts, "tools");
	if (aigw_jsonb_is_array(tools))
	{
		push_tools(&ps, tools);
		if ((v = aigw_jsonb_key(opts, "tool_choice")) != NULL)
			push_tool_config(&ps, v);
	}
	extra = aigw_jsonb_key(opts, "extra_body");
	if (extra != NULL)
		aigw_push_members(&ps, extra->val.binary.data, NULL);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	(void) JsonbToCString(body, &JsonbValueToJsonb(root)->root, -1);
}

/* ---------------------------------------------------------------------
 * The answer
 * ---------------------------------------------------------------------
 */

static const char *
finish_reason(const char *reason, bool called)
{
	if (called)
		return "tool_calls";
	if (reason == NULL)
		return NULL;
	if (strcmp(reason, "STOP") == 0)
		return "stop";
	if (strcmp(reason, "MAX_TOKENS") == 0)
		return "length";
	return "content_filter";	/* SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII ... */
}

static int64
count(JsonbContainer *usage, const char *key)
{
	int64		n;

	return aigw_jsonb_int64(aigw_jsonb_key(usage, key), &n) && n >= 0 ? n : 0;
}

static void
push_choice(JsonbParseState **ps, JsonbContainer *cand, int index)
{
	JsonbValue *parts = aigw_jsonb_path2(cand, "content", "parts");
	StringInfoData text;
	bool		has_text = false;
	int			ncalls = 0;
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;
	const char *fr;

	initStringInfo(&text);
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(ps, "index", index);
	aigw_push_key(ps, "message");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "role", "assistant");
	if (aigw_jsonb_is_array(parts))
	{
		it = JsonbIteratorInit(parts->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
		{
			JsonbValue *t;

			if (tok != WJB_ELEM || !aigw_jsonb_is_object(&part))
				continue;
			t = aigw_jsonb_key(part.val.binary.data, "text");
			/* thought summaries are not the answer */
			if (t && t->type == jbvString &&
				!aigw_jsonb_key(part.val.binary.data, "thought"))
			{
				appendBinaryStringInfo(&text, t->val.string.val, t->val.string.len);
				has_text = true;
			}
		}
	}
	if (has_text)
		aigw_push_string(ps, "content", text.data);
	else
	{
		JsonbValue	null;

		null.type = jbvNull;
		aigw_push_value(ps, "content", &null);
	}
	if (aigw_jsonb_is_array(parts))
	{
		it = JsonbIteratorInit(parts->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
		{
			JsonbValue *call;
			JsonbValue *args;

			if (tok != WJB_ELEM || !aigw_jsonb_is_object(&part))
				continue;
			call = aigw_jsonb_key(part.val.binary.data, "functionCall");
			if (!aigw_jsonb_is_object(call))
				continue;
			if (ncalls++ == 0)
			{
				aigw_push_key(ps, "tool_calls");
				pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
			}
			args = aigw_jsonb_key(call->val.binary.data, "args");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			/* Gemini calls have no id (newer ones may): make one per answer */
			if (aigw_jsonb_key(call->val.binary.data, "id"))
				aigw_push_value(ps, "id", aigw_jsonb_key(call->val.binary.data, "id"));
			else
				aigw_push_string(ps, "id", psprintf("call_%d_%d", index, ncalls));
			aigw_push_string(ps, "type", "function");
			aigw_push_key(ps, "function");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_value(ps, "name", aigw_jsonb_key(call->val.binary.data, "name"));
			aigw_push_string(ps, "arguments", args && args->type == jbvBinary
							 ? JsonbToCString(NULL, args->val.binary.data, -1) : "{}");
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		if (ncalls > 0)
			pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	fr = finish_reason(aigw_jsonb_cstring(aigw_jsonb_key(cand, "finishReason")), ncalls > 0);
	if (fr)
		aigw_push_string(ps, "finish_reason", fr);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
gemini_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(body, &error);
	JsonbValue *candidates;
	JsonbValue *usage;
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	cand;
	JsonbIteratorToken tok;
	int			n = 0;
	JsonbValue *root;

	if (j == NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not valid JSON (%s)", error);
		return;
	}
	if (!JB_ROOT_IS_OBJECT(j) || JB_ROOT_IS_SCALAR(j))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not a JSON object");
		return;
	}
	usage = aigw_jsonb_key(&j->root, "usageMetadata");
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;
		int64		thoughts = count(u, "thoughtsTokenCount");

		a->prompt_tokens = count(u, "promptTokenCount");
		a->cached_tokens = count(u, "cachedContentTokenCount");
		a->completion_tokens = count(u, "candidatesTokenCount") + thoughts;
		a->reasoning_tokens = thoughts;
	}
	candidates = aigw_jsonb_key(&j->root, "candidates");
	if (!aigw_jsonb_is_array(candidates) || JsonContainerSize(candidates->val.binary.data) == 0)
	{
		char	   *block = aigw_jsonb_cstring(aigw_jsonb_path2(&j->root, "promptFeedback", "blockReason"));

		if (block != NULL)
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the provider blocked the prompt (blockReason %s)", block);
		else
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no candidates");
		return;
	}

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	if (aigw_jsonb_key(&j->root, "responseId"))
		aigw_push_value(&ps, "id", aigw_jsonb_key(&j->root, "responseId"));
	aigw_push_string(&ps, "object", "chat.completion");
	aigw_push_int(&ps, "created", (int64) time(NULL));
	if (aigw_jsonb_key(&j->root, "modelVersion"))
		aigw_push_value(&ps, "model", aigw_jsonb_key(&j->root, "modelVersion"));
	aigw_push_key(&ps, "choices");
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(candidates->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &cand, true)) != WJB_DONE)
		if (tok == WJB_ELEM && aigw_jsonb_is_object(&cand))
			push_choice(&ps, cand.val.binary.data, n++);
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	a->upstream_id = aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "responseId"));
	a->status = ATTEMPT_OK;
	a->result = JsonbValueToJsonb(root);
}

/* {"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}} */
static void
gemini_parse_error(const char *body, size_t len, AigwAttempt *a)
{
	char	   *error;
	Jsonb	   *j;
	JsonbValue *err;

	if (len == 0 || (j = aigw_jsonb_parse(body, &error)) == NULL || JB_ROOT_IS_SCALAR(j))
		return;
	err = aigw_jsonb_key(&j->root, "error");
	if (!aigw_jsonb_is_object(err))
	{
		aigw_parse_error_body(body, len, a);
		return;
	}
	a->error = aigw_jsonb_cstring(aigw_jsonb_key(err->val.binary.data, "message"));
	a->error_type = aigw_jsonb_cstring(aigw_jsonb_key(err->val.binary.data, "status"));
}

const AigwProvider aigw_provider_gemini = {
	.api_style = "gemini",
	.build = gemini_build,
	.parse_answer = gemini_parse_answer,
	.parse_error = gemini_parse_error,
};
