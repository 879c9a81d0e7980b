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

#include <time.h>

#include "json_util.h"
#include "providers/provider.h"

pg_attribute_noreturn()
static void
unsupported(const AigwTarget *target, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported by the Bedrock Converse protocol (model \"%s\")",
					what, target->model_id),
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

	v.type = jbvString;
	v.val.string.val = (char *) text;
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "text", &v);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static void
push_image_block(JsonbParseState **ps, const AigwTarget *target, const char *url)
{
	const char *comma = strchr(url, ',');
	const char *semi = strchr(url, ';');
	const char *slash;

	if (strncmp(url, "data:image/", 11) != 0 || comma == NULL || semi == NULL ||
		semi > comma || strncmp(semi, ";base64,", 8) != 0)
		unsupported(target, "an image given by URL",
					"Bedrock takes images inline: send data:image/<format>;base64,<data>.");
	slash = url + 10;
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "image");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	/* image/jpeg -> jpeg; Bedrock's formats are png, jpeg, gif, webp */
	aigw_push_string(ps, "format", pnstrdup(slash + 1, semi - slash - 1));
	aigw_push_key(ps, "source");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "bytes", comma + 1);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

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
		char	   *error;
		Jsonb	   *input;

		if (tok != WJB_ELEM)
			continue;
		c = call.val.binary.data;
		arguments = aigw_jsonb_cstring(aigw_jsonb_path2(c, "function", "arguments"));
		input = aigw_jsonb_parse(arguments && *arguments ? arguments : "{}", &error);
		if (input == NULL || !JB_ROOT_IS_OBJECT(input) || JB_ROOT_IS_SCALAR(input))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the arguments of tool call \"%s\" are not a JSON object",
							aigw_jsonb_cstring(aigw_jsonb_key(c, "id")))));
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(ps, "toolUse");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "toolUseId", aigw_jsonb_key(c, "id"));
		aigw_push_value(ps, "name", aigw_jsonb_path2(c, "function", "name"));
		aigw_push_key(ps, "input");
		push_binary(ps, WJB_VALUE, &input->root);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
}

static void
push_tool_result_block(JsonbParseState **ps, JsonbContainer *msg)
{
	StringInfoData text;

	initStringInfo(&text);
	append_text(&text, aigw_jsonb_key(msg, "content"));
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "toolResult");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "toolUseId", aigw_jsonb_key(msg, "tool_call_id"));
	aigw_push_key(ps, "content");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	push_text_block(ps, text.data, text.len);
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

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
			push_tool_result_block(ps, m);
		else
		{
			push_content_blocks(ps, target, aigw_jsonb_key(m, "content"));
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
push_tool_config(JsonbParseState **ps, JsonbValue *tools, JsonbValue *choice)
{
	JsonbIterator *it = JsonbIteratorInit(tools->val.binary.data);
	JsonbValue	tool;
	JsonbIteratorToken tok;

	aigw_push_key(ps, "toolConfig");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "tools");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	while ((tok = JsonbIteratorNext(&it, &tool, true)) != WJB_DONE)
	{
		JsonbContainer *fn;
		JsonbValue *v;

		if (tok != WJB_ELEM)
			continue;
		fn = aigw_jsonb_key(tool.val.binary.data, "function")->val.binary.data;
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(ps, "toolSpec");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "name", aigw_jsonb_key(fn, "name"));
		if ((v = aigw_jsonb_key(fn, "description")) != NULL && v->type == jbvString)
			aigw_push_value(ps, "description", v);
		aigw_push_key(ps, "inputSchema");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(ps, "json");
		if ((v = aigw_jsonb_key(fn, "parameters")) != NULL && aigw_jsonb_is_object(v))
			push_binary(ps, WJB_VALUE, v->val.binary.data);
		else
		{
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_string(ps, "type", "object");
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
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

static const char *const refused_options[] = {
	"logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "prediction",
	"web_search_options"
};

static void
bedrock_build(const AigwTarget *target, const AigwChatInput *input,
			  StringInfo url, StringInfo body)
{
	JsonbContainer *opts = &input->options->root;
	JsonbParseState *ps = NULL;
	StringInfoData system;
	JsonbValue *v;
	JsonbValue *tools;
	JsonbValue *extra;
	JsonbValue *root;
	int64		max_tokens;

	for (int i = 0; i < lengthof(refused_options); i++)
		if (aigw_jsonb_key(opts, refused_options[i]) != NULL)
			unsupported(target, psprintf("option \"%s\"", refused_options[i]), NULL);
	if (input->choices > 1)
		unsupported(target, "n > 1", "Make several calls instead.");

	/* the model id's ':' and anything else outside the unreserved set */
	appendStringInfoString(url, "/model/");
	for (const char *c = target->upstream_model; *c; c++)
	{
		if (isalnum((unsigned char) *c) || strchr("-._~", *c))
			appendStringInfoChar(url, *c);
		else
			appendStringInfo(url, "%%%02X", (unsigned char) *c);
	}
	appendStringInfoString(url, "/converse");

	initStringInfo(&system);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_messages(&ps, target, input->messages, &system);

	if ((v = aigw_jsonb_key(opts, "response_format")) != NULL)
	{
		JsonbValue *type = aigw_jsonb_key(v->val.binary.data, "type");
		JsonbValue *schema = aigw_jsonb_path2(v->val.binary.data, "json_schema", "schema");

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
	{
		aigw_push_key(&ps, "system");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		push_text_block(&ps, system.data, system.len);
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
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	tools = aigw_jsonb_key(opts, "tools");
	if (aigw_jsonb_is_array(tools))
		push_tool_config(&ps, tools, aigw_jsonb_key(opts, "tool_choice"));
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

static int64
count(JsonbContainer *usage, const char *key)
{
	int64		n;

	return aigw_jsonb_int64(aigw_jsonb_key(usage, key), &n) && n >= 0 ? n : 0;
}

static void
bedrock_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(body, &error);
	JsonbValue *content;
	JsonbValue *usage;
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	block;
	JsonbIteratorToken tok;
	StringInfoData text;
	bool		has_text = false;
	int			ncalls = 0;
	const char *fr;
	JsonbValue *root;

	if (j == NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not valid JSON (%s)", error);
		return;
	}
	content = JB_ROOT_IS_OBJECT(j) && !JB_ROOT_IS_SCALAR(j)
		? aigw_jsonb_key(&j->root, "output") : NULL;
	content = aigw_jsonb_is_object(content)
		? aigw_jsonb_path2(content->val.binary.data, "message", "content") : NULL;
	if (!aigw_jsonb_is_array(content))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no output.message.content array");
		return;
	}
	usage = aigw_jsonb_key(&j->root, "usage");
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;
		int64		cache_read = count(u, "cacheReadInputTokens");
		int64		cache_write = count(u, "cacheWriteInputTokens");

		a->prompt_tokens = count(u, "inputTokens") + cache_read + cache_write;
		a->cached_tokens = cache_read;
		a->cache_write_tokens = cache_write;
		a->completion_tokens = count(u, "outputTokens");
		a->reasoning_tokens = 0;
	}

	initStringInfo(&text);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "object", "chat.completion");
	aigw_push_int(&ps, "created", (int64) time(NULL));
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
		JsonbValue *t;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&block))
			continue;
		t = aigw_jsonb_key(block.val.binary.data, "text");
		if (t && t->type == jbvString)
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
		JsonbValue *use;
		JsonbValue *input;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&block))
			continue;
		use = aigw_jsonb_key(block.val.binary.data, "toolUse");
		if (!aigw_jsonb_is_object(use))
			continue;
		if (ncalls++ == 0)
		{
			aigw_push_key(&ps, "tool_calls");
			pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		}
		input = aigw_jsonb_key(use->val.binary.data, "input");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "id", aigw_jsonb_key(use->val.binary.data, "toolUseId"));
		aigw_push_string(&ps, "type", "function");
		aigw_push_key(&ps, "function");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "name", aigw_jsonb_key(use->val.binary.data, "name"));
		aigw_push_string(&ps, "arguments", input && input->type == jbvBinary
						 ? JsonbToCString(NULL, input->val.binary.data, -1) : "{}");
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	if (ncalls > 0)
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	fr = finish_reason(aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "stopReason")));
	if (fr)
		aigw_push_string(&ps, "finish_reason", fr);
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	root = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	a->status = ATTEMPT_OK;
	a->result = JsonbValueToJsonb(root);
}

const AigwProvider aigw_provider_bedrock = {
	.api_style = "bedrock",
	.build = bedrock_build,
	.parse_answer = bedrock_parse_answer,
	/* {"message": "..."}, the kind in the x-amzn-errortype header */
	.parse_error = aigw_parse_error_body,
};
