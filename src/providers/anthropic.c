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

#include "utils/builtins.h"

#include "common/json_util.h"
#include "providers/provider.h"
#include "providers/translate.h"

/* When the model's output limit is unknown and the call sets none. */
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096

static void
text_block(JsonbParseState **ps, const char *text, int len)
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

static void
image_block(JsonbParseState **ps, const AigwTurnWriter *w, const char *media_type,
			const char *data, const char *url)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "image");
	aigw_push_key(ps, "source");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (data != NULL)
	{
		aigw_push_string(ps, "type", "base64");
		aigw_push_string(ps, "media_type", media_type);
		aigw_push_string(ps, "data", data);
	}
	else
	{
		aigw_push_string(ps, "type", "url");
		aigw_push_string(ps, "url", url);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
tool_use_block(JsonbParseState **ps, JsonbValue *id, JsonbValue *name, Jsonb *input)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "tool_use");
	aigw_push_value(ps, "id", id);
	aigw_push_value(ps, "name", name);
	aigw_push_key(ps, "input");
	aigw_push_container(ps, WJB_VALUE, &input->root);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
tool_result_block(JsonbParseState **ps, const AigwTurnWriter *w, Jsonb *messages,
				  JsonbValue *call_id, const char *text)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "tool_result");
	aigw_push_value(ps, "tool_use_id", call_id);
	aigw_push_string(ps, "content", text);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static const AigwToolShape tool_shape = {
	.schema_key = "input_schema", .schema_required = true
};

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

static void
anthropic_build(const AigwTarget *target, const AigwChatInput *input,
				StringInfo url, StringInfo body)
{
	JsonbContainer *opts = &input->options->root;
	JsonbParseState *ps = NULL;
	StringInfoData system;
	AigwTurnWriter w = {
		.target = target, .protocol = "Anthropic", .assistant_role = "assistant",
		.blocks_key = "content", .text = text_block, .image = image_block,
		.tool_call = tool_use_block, .tool_result = tool_result_block
	};
	JsonbValue *v;
	JsonbValue *tools;
	JsonbValue *parallel;
	JsonbValue	forced_tools;
	JsonbValue	forced_choice;
	int64		max_tokens;

	aigw_refuse_options(target, "Anthropic", opts, input->choices, false);
	appendStringInfoString(url, "/messages");
	initStringInfo(&system);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "model", target->upstream_model);
	max_tokens = input->max_output_tokens >= 0 ? input->max_output_tokens
		: target->max_output_tokens > 0 ? target->max_output_tokens
		: ANTHROPIC_DEFAULT_MAX_TOKENS;
	aigw_push_int(&ps, "max_tokens", max_tokens);
	aigw_push_turns(&ps, &w, "messages", input->messages, &system);
	/* no JSON mode: json_object is asked for in the system prompt */
	aigw_append_json_instruction(&system, opts);
	if (system.len > 0)
		aigw_push_string(&ps, "system", system.data);

	if ((v = aigw_jsonb_key(opts, "temperature")) != NULL)
		aigw_push_value(&ps, "temperature", v);
	if ((v = aigw_jsonb_key(opts, "top_p")) != NULL)
		aigw_push_value(&ps, "top_p", v);
	if ((v = aigw_jsonb_key(opts, "stop")) != NULL && v->type != jbvNull)
		aigw_push_string_list(&ps, "stop_sequences", v);
	if ((v = aigw_jsonb_key(opts, "user")) != NULL)
	{
		aigw_push_key(&ps, "metadata");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "user_id", v);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	tools = aigw_jsonb_key(opts, "tools");
	parallel = aigw_jsonb_key(opts, "parallel_tool_calls");
	if (aigw_json_schema_tool(target, "Anthropic", opts, &forced_tools, &forced_choice))
	{
		/* no JSON-schema mode: the schema is a tool's input, and the tool forced */
		aigw_push_key(&ps, "tools");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		aigw_push_function_tools(&ps, target, "Anthropic", &forced_tools, &tool_shape);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		push_tool_choice(&ps, &forced_choice, false);
	}
	else if (aigw_jsonb_is_array(tools))
	{
		bool		no_parallel = parallel != NULL && parallel->type == jbvBool && !parallel->val.boolean;

		aigw_push_key(&ps, "tools");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		aigw_push_function_tools(&ps, target, "Anthropic", tools, &tool_shape);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		v = aigw_jsonb_key(opts, "tool_choice");
		if (v != NULL || no_parallel)
			push_tool_choice(&ps, v, no_parallel);
	}
	aigw_end_body(&ps, opts, body);
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

static void
anthropic_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	Jsonb	   *j = aigw_parse_answer_object(body, a);
	JsonbValue *content;
	JsonbIterator *it;
	JsonbValue	block;
	JsonbIteratorToken tok;
	JsonbParseState *ps = NULL;
	AigwChoice	choice;

	if (j == NULL)
		return;
	content = aigw_jsonb_key(&j->root, "content");
	if (!aigw_jsonb_is_array(content))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no \"content\" array");
		return;
	}

	aigw_read_cache_usage(a, aigw_jsonb_key(&j->root, "usage"), "input_tokens", "output_tokens",
						  "cache_read_input_tokens", "cache_creation_input_tokens");

	aigw_answer_begin(&ps, aigw_jsonb_key(&j->root, "id"), aigw_jsonb_key(&j->root, "model"));
	aigw_choice_begin(&choice, &ps, 0);
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &block, true)) != WJB_DONE)
	{
		JsonbContainer *b;
		JsonbValue *type;
		JsonbValue *t;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&block))
			continue;
		b = block.val.binary.data;
		type = aigw_jsonb_key(b, "type");
		t = aigw_jsonb_key(b, "text");
		if (aigw_jsonb_string_is(type, "text") && t && t->type == jbvString)
			aigw_choice_text(&choice, t->val.string.val, t->val.string.len);
		else if (aigw_jsonb_string_is(type, "tool_use"))
			aigw_choice_tool_use(&choice, aigw_jsonb_key(b, "id"), aigw_jsonb_key(b, "name"),
								  aigw_jsonb_key(b, "input"));
	}
	aigw_choice_end(&choice, finish_reason(aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "stop_reason"))));
	if (choice.problem != NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "in the answer, %s", choice.problem);
		return;
	}

	a->upstream_id = aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "id"));
	a->status = ATTEMPT_OK;
	a->result = aigw_answer_end(&ps);
}

const AigwProvider aigw_provider_anthropic = {
	.api_style = "anthropic",
	.build = anthropic_build,
	.add_headers = anthropic_add_headers,
	.parse_answer = anthropic_parse_answer,
	/* {"type": "error", "error": {"type", "message"}} reads like OpenAI's */
	.parse_error = aigw_parse_error_body,
};
