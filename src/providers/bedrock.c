/*
 * bedrock.c
 *	  AWS Bedrock's Converse API (POST /model/{modelId}/converse), translated
 *	  from and to aigw's OpenAI shape.  The request is signed with SigV4 by
 *	  the caller (call.c) once the body and URL are final.
 *
 * What differs, and forces the code below:
 *	- content blocks are objects keyed by their kind ({"text": ...},
 *	  {"image": ...}, {"toolUse": ...}, {"toolResult": ...});
 *	- images travel as raw base64 bytes with a format, never as URLs;
 *	- usage.inputTokens counts neither cache reads nor cache writes.
 */
#include "postgres.h"

#include "common/json_util.h"
#include "providers/provider.h"
#include "common/uri_encode.h"
#include "providers/translate.h"

static void
text_block(JsonbParseState **ps, const char *text, int len)
{
	aigw_push_text_object(ps, "text", text, len);
}

/* image/jpeg -> {"image": {"format": "jpeg", "source": {"bytes": ...}}} */
static void
image_block(JsonbParseState **ps, const AigwTurnWriter *w, const char *media_type,
			const char *data, const char *url)
{
	if (data == NULL || strncmp(media_type, "image/", 6) != 0)
		aigw_unsupported(w->target, w->protocol, "an image given by URL",
						 "Bedrock takes images inline: send data:image/<format>;base64,<data>.");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "image");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "format", media_type + 6);
	aigw_push_key(ps, "source");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "bytes", data);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
tool_use_block(JsonbParseState **ps, JsonbValue *id, JsonbValue *name, Jsonb *input)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "toolUse");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "toolUseId", id);
	aigw_push_value(ps, "name", name);
	aigw_push_key(ps, "input");
	aigw_push_container(ps, WJB_VALUE, &input->root);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
tool_result_block(JsonbParseState **ps, const AigwTurnWriter *w, Jsonb *messages,
				  JsonbValue *call_id, const char *text)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "toolResult");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "toolUseId", call_id);
	aigw_push_key(ps, "content");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	text_block(ps, text, strlen(text));
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static const AigwToolShape tool_shape = {
	.wrapper = "toolSpec", .schema_key = "inputSchema", .schema_wrapper = "json",
	.schema_required = true
};

static void
push_tool_config(JsonbParseState **ps, const AigwTarget *target, JsonbValue *tools,
				 JsonbValue *choice)
{
	aigw_push_key(ps, "toolConfig");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "tools");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	aigw_push_function_tools(ps, target, "Bedrock Converse", tools, &tool_shape);
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	/* Converse has no "none": leaving toolChoice out lets the model decide */
	if (choice != NULL && !aigw_jsonb_string_is(choice, "none"))
	{
		aigw_push_key(ps, "toolChoice");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		if (aigw_jsonb_string_is(choice, "auto"))
		{
			aigw_push_key(ps, "auto");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		else if (aigw_jsonb_string_is(choice, "required"))
		{
			aigw_push_key(ps, "any");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		else
		{
			aigw_push_key(ps, "tool");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_value(ps, "name", aigw_jsonb_path2(choice->val.binary.data, "function", "name"));
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
bedrock_build(const AigwTarget *target, const AigwChatInput *input,
			  StringInfo url, StringInfo body)
{
	JsonbContainer *opts = &input->options->root;
	JsonbParseState *ps = NULL;
	StringInfoData system;
	JsonbValue *v;
	JsonbValue *tools;
	JsonbValue	forced_tools;
	JsonbValue	forced_choice;
	int64		max_tokens;
	AigwTurnWriter w = {
		.target = target, .protocol = "Bedrock Converse", .assistant_role = "assistant",
		.blocks_key = "content", .text = text_block, .image = image_block,
		.tool_call = tool_use_block, .tool_result = tool_result_block
	};

	aigw_refuse_options(target, "Bedrock Converse", opts, input->choices, false);

	/* the model id's ':' and anything else outside the unreserved set */
	appendStringInfoString(url, "/model/");
	aigw_uri_encode(url, target->upstream_model, strlen(target->upstream_model), false);
	appendStringInfoString(url, "/converse");

	initStringInfo(&system);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_turns(&ps, &w, "messages", input->messages, &system);
	/* no JSON mode: json_object is asked for in the system prompt */
	aigw_append_json_instruction(&system, opts);
	if (system.len > 0)
	{
		aigw_push_key(&ps, "system");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		text_block(&ps, system.data, system.len);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	}

	aigw_push_key(&ps, "inferenceConfig");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	max_tokens = input->max_output_tokens >= 0 ? input->max_output_tokens : target->max_output_tokens;
	if (max_tokens > 0)
		aigw_push_int(&ps, "maxTokens", max_tokens);
	if ((v = aigw_jsonb_key(opts, "temperature")) != NULL)
		aigw_push_value(&ps, "temperature", v);
	if ((v = aigw_jsonb_key(opts, "top_p")) != NULL)
		aigw_push_value(&ps, "topP", v);
	if ((v = aigw_jsonb_key(opts, "stop")) != NULL && v->type != jbvNull)
		aigw_push_string_list(&ps, "stopSequences", v);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	tools = aigw_jsonb_key(opts, "tools");
	/* no JSON-schema mode: the schema is a tool's input, and the tool forced */
	if (aigw_json_schema_tool(target, "Bedrock Converse", opts, &forced_tools, &forced_choice))
		push_tool_config(&ps, target, &forced_tools, &forced_choice);
	else if (aigw_jsonb_is_array(tools))
		push_tool_config(&ps, target, tools, aigw_jsonb_key(opts, "tool_choice"));
	aigw_end_body(&ps, opts, body);
}

/* ---------------------------------------------------------------------
 * The answer
 * ---------------------------------------------------------------------
 */

static const char *
finish_reason(const char *stop)
{
	if (stop == NULL)
		return NULL;
	if (strcmp(stop, "max_tokens") == 0 || strcmp(stop, "model_context_window_exceeded") == 0)
		return "length";
	if (strcmp(stop, "tool_use") == 0)
		return "tool_calls";
	if (strcmp(stop, "content_filtered") == 0 || strcmp(stop, "guardrail_intervened") == 0)
		return "content_filter";
	return "stop";
}

static void
bedrock_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	Jsonb	   *j = aigw_parse_answer_object(body, a);
	JsonbValue *content;
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	block;
	JsonbIteratorToken tok;
	AigwChoice	choice;

	if (j == NULL)
		return;
	content = aigw_jsonb_key(&j->root, "output");
	content = aigw_jsonb_is_object(content)
		? aigw_jsonb_path2(content->val.binary.data, "message", "content") : NULL;
	if (!aigw_jsonb_is_array(content))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no output.message.content array");
		return;
	}
	aigw_read_cache_usage(a, aigw_jsonb_key(&j->root, "usage"), "inputTokens", "outputTokens",
						  "cacheReadInputTokens", "cacheWriteInputTokens");

	aigw_answer_begin(&ps, NULL, NULL);
	aigw_choice_begin(&choice, &ps, 0);
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &block, true)) != WJB_DONE)
	{
		JsonbValue *t;
		JsonbValue *use;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&block))
			continue;
		t = aigw_jsonb_key(block.val.binary.data, "text");
		use = aigw_jsonb_key(block.val.binary.data, "toolUse");
		if (t && t->type == jbvString)
			aigw_choice_text(&choice, t->val.string.val, t->val.string.len);
		else if (aigw_jsonb_is_object(use))
			aigw_choice_tool_use(&choice, aigw_jsonb_key(use->val.binary.data, "toolUseId"),
								  aigw_jsonb_key(use->val.binary.data, "name"),
								  aigw_jsonb_key(use->val.binary.data, "input"));
	}
	aigw_choice_end(&choice, finish_reason(aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "stopReason"))));
	if (choice.problem != NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "in the answer, %s", choice.problem);
		return;
	}

	a->status = ATTEMPT_OK;
	a->result = aigw_answer_end(&ps);
}

const AigwProvider aigw_provider_bedrock = {
	.api_style = "bedrock",
	.build = bedrock_build,
	.parse_answer = bedrock_parse_answer,
	/* {"message": "..."}, the kind in the x-amzn-errortype header */
	.parse_error = aigw_parse_error_body,
};
