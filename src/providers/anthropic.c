/*
 * anthropic.c
 *	  Anthropic's Messages protocol (POST /v1/messages), translated from and
 *	  to aigw's OpenAI shape.
 *
 * What differs, and forces the code below:
 *	- system prompts are a top-level "system", not messages;
 *	- content is a list of typed blocks; tool calls are "tool_use" blocks of
 *	  the assistant and their answers "tool_result" blocks of the user, so
 *	  consecutive OpenAI "tool" messages fold into one user turn;
 *	- max_tokens is required;
 *	- usage.input_tokens counts neither cache reads nor cache writes: the
 *	  prompt is input + cache_creation + cache_read tokens.
 */
#include "postgres.h"

#include <time.h>

#include "utils/builtins.h"

#include "json_util.h"
#include "providers/provider.h"

/* When the model's output limit is unknown and the call sets none. */
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096

pg_attribute_noreturn()
static void
unsupported(const AigwTarget *target, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported by the Anthropic protocol (model \"%s\")", what, target->model_id),
			 hint ? errhint("%s", hint) : 0));
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
push_text_block(JsonbParseState **ps, const char *text, int len)
{
	JsonbValue	v;

	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "text");
	v.type = jbvString;
	v.val.string.val = (char *) text;
	v.val.string.len = len;
	aigw_push_value(ps, "text", &v);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* image_url {"url": "data:<type>;base64,<data>" or "https://..."} */
static void
push_image_block(JsonbParseState **ps, const AigwTarget *target, const char *url)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "image");
	aigw_push_key(ps, "source");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (strncmp(url, "data:", 5) == 0)
	{
		const char *comma = strchr(url, ',');
		const char *semi = strchr(url, ';');

		if (comma == NULL || semi == NULL || semi > comma || strncmp(semi, ";base64,", 8) != 0)
			unsupported(target, "an image data URL that is not base64",
						"Send images as data:<media type>;base64,<data> or as an https URL.");
		aigw_push_string(ps, "type", "base64");
		aigw_push_string(ps, "media_type", pnstrdup(url + 5, semi - url - 5));
		aigw_push_string(ps, "data", comma + 1);
	}
	else
	{
		aigw_push_string(ps, "type", "url");
		aigw_push_string(ps, "url", url);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* The blocks of one OpenAI "content": a string or a list of parts. */
static void
push_content_blocks(JsonbParseState **ps, const AigwTarget *target, JsonbValue *content)
{
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;

	if (content == NULL || content->type == jbvNull)
		return;
	if (content->type == jbvString)
	{
		/* Anthropic refuses empty text blocks */
		if (content->val.string.len > 0)
			push_text_block(ps, content->val.string.val, content->val.string.len);
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
				push_text_block(ps, text->val.string.val, text->val.string.len);
		}
		else if (strcmp(type, "image_url") == 0)
			push_image_block(ps, target, aigw_jsonb_cstring(aigw_jsonb_path2(p, "image_url", "url")));
		else
			unsupported(target, psprintf("a \"%s\" content part", type), NULL);
	}
}

/* Text of a system message: its string, or its text parts joined. */
static void
append_system_text(StringInfo system, JsonbValue *content)
{
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;

	if (content->type == jbvString)
	{
		if (system->len > 0)
			appendStringInfoString(system, "\n\n");
		appendBinaryStringInfo(system, content->val.string.val, content->val.string.len);
		return;
	}
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
	{
		char	   *text;

		if (tok != WJB_ELEM)
			continue;
		text = aigw_jsonb_cstring(aigw_jsonb_key(part.val.binary.data, "text"));
		if (text == NULL)
			continue;
		if (system->len > 0)
			appendStringInfoString(system, "\n\n");
		appendStringInfoString(system, text);
	}
}

static void
push_tool_use_blocks(JsonbParseState **ps, const AigwTarget *target, JsonbValue *calls)
{
	JsonbIterator *it = JsonbIteratorInit(calls->val.binary.data);
	JsonbValue	call;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &call, true)) != WJB_DONE)
	{
		JsonbContainer *c;
		char	   *arguments;
		Jsonb	   *input;
		char	   *error;

		if (tok != WJB_ELEM)
			continue;
		c = call.val.binary.data;
		arguments = aigw_jsonb_cstring(aigw_jsonb_path2(c, "function", "arguments"));
		input = aigw_jsonb_parse(arguments && *arguments ? arguments : "{}", &error);
		if (input == NULL || !JB_ROOT_IS_OBJECT(input) || JB_ROOT_IS_SCALAR(input))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the arguments of tool call \"%s\" are not a JSON object",
							aigw_jsonb_cstring(aigw_jsonb_key(c, "id"))),
					 errdetail("Anthropic takes a tool call's input as an object; OpenAI's arguments string must hold one.")));
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "type", "tool_use");
		aigw_push_value(ps, "id", aigw_jsonb_key(c, "id"));
		aigw_push_value(ps, "name", aigw_jsonb_path2(c, "function", "name"));
		aigw_push_key(ps, "input");
		push_binary(ps, WJB_VALUE, &input->root);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
}

static void
push_tool_result_block(JsonbParseState **ps, const AigwTarget *target, JsonbContainer *msg)
{
	JsonbValue *content = aigw_jsonb_key(msg, "content");

	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "tool_result");
	aigw_push_value(ps, "tool_use_id", aigw_jsonb_key(msg, "tool_call_id"));
	if (content != NULL && content->type == jbvString)
		aigw_push_value(ps, "content", content);
	else if (content != NULL && content->type == jbvBinary)
	{
		aigw_push_key(ps, "content");
		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
		push_content_blocks(ps, target, content);
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/*
 * messages: system ones go to *system; the others become alternating
 * user / assistant turns (consecutive ones of one role are merged).
 */
static void
push_messages(JsonbParseState **ps, const AigwTarget *target, Jsonb *messages, StringInfo system)
{
	JsonbIterator *it = JsonbIteratorInit(&messages->root);
	JsonbValue	msg;
	JsonbIteratorToken tok;
	const char *open_role = NULL;

	aigw_push_key(ps, "messages");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	while ((tok = JsonbIteratorNext(&it, &msg, true)) != WJB_DONE)
	{
		JsonbContainer *m;
		char	   *role;
		const char *turn;
		JsonbValue *content;
		JsonbValue *calls;

		if (tok != WJB_ELEM)
			continue;
		m = msg.val.binary.data;
		role = aigw_jsonb_cstring(aigw_jsonb_key(m, "role"));
		content = aigw_jsonb_key(m, "content");
		if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
		{
			append_system_text(system, content);
			continue;
		}
		turn = strcmp(role, "assistant") == 0 ? "assistant" : "user";
		if (open_role == NULL || strcmp(open_role, turn) != 0)
		{
			if (open_role != NULL)
			{
				pushJsonbValue(ps, WJB_END_ARRAY, NULL);
				pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			}
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_string(ps, "role", turn);
			aigw_push_key(ps, "content");
			pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
			open_role = turn;
		}
		if (strcmp(role, "tool") == 0)
			push_tool_result_block(ps, target, m);
		else
		{
			push_content_blocks(ps, target, content);
			calls = aigw_jsonb_key(m, "tool_calls");
			if (strcmp(role, "assistant") == 0 && aigw_jsonb_is_array(calls))
				push_tool_use_blocks(ps, target, calls);
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
	while ((tok = JsonbIteratorNext(&it, &tool, true)) != WJB_DONE)
	{
		JsonbContainer *fn;
		JsonbValue *params;
		JsonbValue *desc;

		if (tok != WJB_ELEM)
			continue;
		fn = aigw_jsonb_key(tool.val.binary.data, "function")->val.binary.data;
		params = aigw_jsonb_key(fn, "parameters");
		desc = aigw_jsonb_key(fn, "description");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "name", aigw_jsonb_key(fn, "name"));
		if (desc != NULL && desc->type == jbvString)
			aigw_push_value(ps, "description", desc);
		aigw_push_key(ps, "input_schema");
		if (aigw_jsonb_is_object(params))
			push_binary(ps, WJB_VALUE, params->val.binary.data);
		else
		{
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_string(ps, "type", "object");
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

/* tool_choice: "auto" | "none" | "required" | {"type":"function","function":{"name"}} */
static void
push_tool_choice(JsonbParseState **ps, JsonbValue *choice, bool no_parallel)
{
	aigw_push_key(ps, "tool_choice");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (choice == NULL || aigw_jsonb_string_is(choice, "auto"))
		aigw_push_string(ps, "type", "auto");
	else if (aigw_jsonb_string_is(choice, "none"))
		aigw_push_string(ps, "type", "none");
	else if (aigw_jsonb_string_is(choice, "required"))
		aigw_push_string(ps, "type", "any");
	else
	{
		aigw_push_string(ps, "type", "tool");
		aigw_push_value(ps, "name", aigw_jsonb_path2(choice->val.binary.data, "function", "name"));
	}
	if (no_parallel)
	{
		JsonbValue	t;

		t.type = jbvBool;
		t.val.boolean = true;
		aigw_push_value(ps, "disable_parallel_tool_use", &t);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* OpenAI options Anthropic cannot honour: refused rather than dropped. */
static const char *const refused_options[] = {
	"logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "prediction",
	"web_search_options"
};

static void
anthropic_build(const AigwTarget *target, const AigwChatInput *input,
				StringInfo url, StringInfo body)
{
	JsonbContainer *opts = &input->options->root;
	JsonbParseState *ps = NULL;
	StringInfoData system;
	JsonbValue *v;
	JsonbValue *tools;
	JsonbValue *extra;
	JsonbValue *parallel;
	JsonbValue *format;
	int64		max_tokens;
	JsonbValue *root;

	for (int i = 0; i < lengthof(refused_options); i++)
		if (aigw_jsonb_key(opts, refused_options[i]) != NULL)
			unsupported(target, psprintf("option \"%s\"", refused_options[i]), NULL);
	if (input->choices > 1)
		unsupported(target, "n > 1", "Make several calls instead.");

	appendStringInfoString(url, "/messages");
	initStringInfo(&system);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "model", target->upstream_model);
	max_tokens = input->max_output_tokens >= 0 ? input->max_output_tokens
		: target->max_output_tokens > 0 ? target->max_output_tokens
		: ANTHROPIC_DEFAULT_MAX_TOKENS;
	aigw_push_int(&ps, "max_tokens", max_tokens);
	push_messages(&ps, target, input->messages, &system);

	/* No JSON mode: say it in the system prompt, with the schema if any. */
	format = aigw_jsonb_key(opts, "response_format");
	if (format != NULL)
	{
		JsonbValue *type = aigw_jsonb_key(format->val.binary.data, "type");
		JsonbValue *schema = aigw_jsonb_path2(format->val.binary.data, "json_schema", "schema");

		if (aigw_jsonb_string_is(type, "json_object") || aigw_jsonb_string_is(type, "json_schema"))
		{
			if (system.len > 0)
				appendStringInfoString(&system, "\n\n");
			appendStringInfoString(&system, "Answer with one JSON object and nothing else.");
			if (schema != NULL && schema->type == jbvBinary)
				appendStringInfo(&system, " It must match this JSON schema: %s",
								 JsonbToCString(NULL, schema->val.binary.data, -1));
		}
	}
	if (system.len > 0)
		aigw_push_string(&ps, "system", system.data);

	if ((v = aigw_jsonb_key(opts, "temperature")) != NULL)
		aigw_push_value(&ps, "temperature", v);
	if ((v = aigw_jsonb_key(opts, "top_p")) != NULL)
		aigw_push_value(&ps, "top_p", v);
	if ((v = aigw_jsonb_key(opts, "stop")) != NULL && v->type != jbvNull)
	{
		aigw_push_key(&ps, "stop_sequences");
		if (v->type == jbvString)
		{
			pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
			pushJsonbValue(&ps, WJB_ELEM, v);
			pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		}
		else
			push_binary(&ps, WJB_VALUE, v->val.binary.data);
	}
	if ((v = aigw_jsonb_key(opts, "user")) != NULL)
	{
		aigw_push_key(&ps, "metadata");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "user_id", v);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	tools = aigw_jsonb_key(opts, "tools");
	parallel = aigw_jsonb_key(opts, "parallel_tool_calls");
	if (aigw_jsonb_is_array(tools))
	{
		push_tools(&ps, tools);
		v = aigw_jsonb_key(opts, "tool_choice");
		if (v != NULL || (parallel != NULL && parallel->type == jbvBool && !parallel->val.boolean))
			push_tool_choice(&ps, v, parallel != NULL && parallel->type == jbvBool &&
							 !parallel->val.boolean);
	}
	extra = aigw_jsonb_key(opts, "extra_body");
	if (extra != NULL)
		aigw_push_members(&ps, extra->val.binary.data, NULL);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	(void) JsonbToCString(body, &JsonbValueToJsonb(root)->root, -1);
}

static void
anthropic_add_headers(const AigwTarget *target, StringInfo headers)
{
	appendStringInfo(headers, "anthropic-version: %s\n",
					 target->api_version ? target->api_version : "2023-06-01");
}

/* ---------------------------------------------------------------------
 * The answer
 * ---------------------------------------------------------------------
 */

static const char *
finish_reason(const char *stop_reason)
{
	if (stop_reason == NULL)
		return NULL;
	if (strcmp(stop_reason, "max_tokens") == 0 || strcmp(stop_reason, "model_context_window_exceeded") == 0)
		return "length";
	if (strcmp(stop_reason, "tool_use") == 0)
		return "tool_calls";
	if (strcmp(stop_reason, "refusal") == 0)
		return "content_filter";
	return "stop";				/* end_turn, stop_sequence, pause_turn */
}

static int64
count(JsonbContainer *usage, const char *key)
{
	int64		n;

	return aigw_jsonb_int64(aigw_jsonb_key(usage, key), &n) && n >= 0 ? n : 0;
}

static void
anthropic_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(body, &error);
	JsonbValue *content;
	JsonbValue *usage;
	JsonbIterator *it;
	JsonbValue	block;
	JsonbIteratorToken tok;
	StringInfoData text;
	JsonbParseState *ps = NULL;
	int			ncalls = 0;
	bool		has_text = false;
	JsonbValue *root;

	if (j == NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not valid JSON (%s)", error);
		return;
	}
	content = JB_ROOT_IS_OBJECT(j) && !JB_ROOT_IS_SCALAR(j) ? aigw_jsonb_key(&j->root, "content") : NULL;
	if (!aigw_jsonb_is_array(content))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no \"content\" array");
		return;
	}

	usage = aigw_jsonb_key(&j->root, "usage");
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;
		int64		cache_read = count(u, "cache_read_input_tokens");
		int64		cache_write = count(u, "cache_creation_input_tokens");

		a->prompt_tokens = count(u, "input_tokens") + cache_read + cache_write;
		a->cached_tokens = cache_read;
		a->cache_write_tokens = cache_write;
		a->completion_tokens = count(u, "output_tokens");
		a->reasoning_tokens = 0;
	}

	/* choices[0].message: the text blocks joined, tool_use -> tool_calls */
	initStringInfo(&text);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(&ps, "id", aigw_jsonb_key(&j->root, "id"));
	aigw_push_string(&ps, "object", "chat.completion");
	aigw_push_int(&ps, "created", (int64) time(NULL));
	aigw_push_value(&ps, "model", aigw_jsonb_key(&j->root, "model"));
	aigw_push_key(&ps, "choices");
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_int(&ps, "index", 0);
	aigw_push_key(&ps, "message");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "role", "assistant");

	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &block, true)) != WJB_DONE)
	{
		char	   *type;
		JsonbValue *t;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&block))
			continue;
		type = aigw_jsonb_cstring(aigw_jsonb_key(block.val.binary.data, "type"));
		t = aigw_jsonb_key(block.val.binary.data, "text");
		if (type && strcmp(type, "text") == 0 && t && t->type == jbvString)
		{
			appendBinaryStringInfo(&text, t->val.string.val, t->val.string.len);
			has_text = true;
		}
	}
	if (has_text)
		aigw_push_string(&ps, "content", text.data);
	else
	{
		JsonbValue	null;

		null.type = jbvNull;
		aigw_push_value(&ps, "content", &null);
	}

	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &block, true)) != WJB_DONE)
	{
		JsonbContainer *b;
		JsonbValue *input;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&block))
			continue;
		b = block.val.binary.data;
		if (!aigw_jsonb_string_is(aigw_jsonb_key(b, "type"), "tool_use"))
			continue;
		if (ncalls++ == 0)
		{
			aigw_push_key(&ps, "tool_calls");
			pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		}
		input = aigw_jsonb_key(b, "input");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "id", aigw_jsonb_key(b, "id"));
		aigw_push_string(&ps, "type", "function");
		aigw_push_key(&ps, "function");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "name", aigw_jsonb_key(b, "name"));
		aigw_push_string(&ps, "arguments",
						 input && input->type == jbvBinary
						 ? JsonbToCString(NULL, input->val.binary.data, -1) : "{}");
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	if (ncalls > 0)
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);	/* message */
	{
		const char *fr = finish_reason(aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "stop_reason")));

		if (fr)
			aigw_push_string(&ps, "finish_reason", fr);
	}
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);	/* choice */
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	a->upstream_id = aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "id"));
	a->status = ATTEMPT_OK;
	a->result = JsonbValueToJsonb(root);
}

const AigwProvider aigw_provider_anthropic = {
	.api_style = "anthropic",
	.build = anthropic_build,
	.add_headers = anthropic_add_headers,
	.parse_answer = anthropic_parse_answer,
	/* {"type": "error", "error": {"type", "message"}} reads like OpenAI's */
	.parse_error = aigw_parse_error_body,
};
