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

#include "common/json_util.h"
#include "providers/provider.h"
#include "common/uri_encode.h"
#include "providers/translate.h"

static void
text_part(JsonbParseState **ps, const char *text, int len)
{
	aigw_push_text_object(ps, "text", text, len);
}

static void
image_part(JsonbParseState **ps, const AigwTurnWriter *w, const char *media_type,
		   const char *data, const char *url)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	if (data != NULL)
	{
		aigw_push_key(ps, "inlineData");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "mimeType", media_type);
		aigw_push_string(ps, "data", data);
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
function_call_part(JsonbParseState **ps, JsonbValue *id, JsonbValue *name, Jsonb *input)
{
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "functionCall");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(ps, "name", name);
	aigw_push_key(ps, "args");
	aigw_push_container(ps, WJB_VALUE, &input->root);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
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
			if (id && call_id && strcmp(id, call_id) == 0)
				return aigw_jsonb_cstring(aigw_jsonb_path2(call.val.binary.data, "function", "name"));
		}
	}
	return NULL;
}

/* A tool answer: {"functionResponse": {"name", "response": {...}}}. */
static void
function_response_part(JsonbParseState **ps, const AigwTurnWriter *w, Jsonb *messages,
					   JsonbValue *call, const char *text)
{
	char	   *call_id = aigw_jsonb_cstring(call);
	char	   *name = function_name_of_call(messages, call_id);
	char	   *error;
	Jsonb	   *parsed = aigw_jsonb_parse(text, &error);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tool message answers call \"%s\", which no assistant message made", call_id),
				 errdetail("Gemini names the function a tool answer is for; aigw finds it from the assistant's tool_calls.")));

	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(ps, "functionResponse");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "name", name);
	aigw_push_key(ps, "response");
	if (parsed != NULL && JB_ROOT_IS_OBJECT(parsed) && !JB_ROOT_IS_SCALAR(parsed))
		aigw_push_container(ps, WJB_VALUE, &parsed->root);
	else
	{
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "content", text);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static const AigwToolShape tool_shape = {
	.schema_key = "parameters"
};

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
	AigwTurnWriter w = {
		.target = target, .protocol = "Gemini", .assistant_role = "model",
		.blocks_key = "parts", .text = text_part, .image = image_part,
		.tool_call = function_call_part, .tool_result = function_response_part
	};

	aigw_refuse_options(target, "Gemini", opts, input->choices, true);
	appendStringInfoString(url, "/models/");
	aigw_uri_encode(url, target->upstream_model, strlen(target->upstream_model), false);
	appendStringInfoString(url, ":generateContent");

	initStringInfo(&system);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_turns(&ps, &w, "contents", input->messages, &system);
	if (system.len > 0)
	{
		aigw_push_key(&ps, "systemInstruction");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(&ps, "parts");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		text_part(&ps, system.data, system.len);
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
		aigw_push_string_list(&ps, "stopSequences", v);
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
			aigw_push_container(&ps, WJB_VALUE, schema->val.binary.data);
		}
	}
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	tools = aigw_jsonb_key(opts, "tools");
	if (aigw_jsonb_is_array(tools))
	{
		aigw_push_key(&ps, "tools");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(&ps, "functionDeclarations");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		aigw_push_function_tools(&ps, target, "Gemini", tools, &tool_shape);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		if ((v = aigw_jsonb_key(opts, "tool_choice")) != NULL)
			push_tool_config(&ps, v);
	}
	aigw_end_body(&ps, opts, body);
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

/* Returns why the candidate is unusable, or NULL. */
static const char *
push_choice(JsonbParseState **ps, JsonbContainer *cand, int index)
{
	JsonbValue *parts = aigw_jsonb_path2(cand, "content", "parts");
	AigwChoice	choice;
	JsonbIterator *it;
	JsonbValue	part;
	JsonbIteratorToken tok;

	aigw_choice_begin(&choice, ps, index);
	if (aigw_jsonb_is_array(parts))
	{
		it = JsonbIteratorInit(parts->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
		{
			JsonbContainer *p;
			JsonbValue *t;
			JsonbValue *call;

			if (tok != WJB_ELEM || !aigw_jsonb_is_object(&part))
				continue;
			p = part.val.binary.data;
			t = aigw_jsonb_key(p, "text");
			call = aigw_jsonb_key(p, "functionCall");
			/* thought summaries are not the answer */
			if (t && t->type == jbvString && !aigw_jsonb_key(p, "thought"))
				aigw_choice_text(&choice, t->val.string.val, t->val.string.len);
			else if (aigw_jsonb_is_object(call))
				aigw_choice_tool_call(&choice, aigw_jsonb_key(call->val.binary.data, "id"),
									  aigw_jsonb_key(call->val.binary.data, "name"),
									  aigw_jsonb_key(call->val.binary.data, "args"));
		}
	}
	aigw_choice_end(&choice, finish_reason(aigw_jsonb_cstring(aigw_jsonb_key(cand, "finishReason")),
										   choice.ncalls > 0));
	return choice.problem;
}

static void
gemini_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	Jsonb	   *j = aigw_parse_answer_object(body, a);
	JsonbValue *candidates;
	JsonbValue *usage;
	JsonbParseState *ps = NULL;
	JsonbIterator *it;
	JsonbValue	cand;
	JsonbIteratorToken tok;
	int			n = 0;

	if (j == NULL)
		return;
	usage = aigw_jsonb_key(&j->root, "usageMetadata");
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;
		/* Gemini leaves out a count that is 0 (proto3's JSON) */
		int64		thoughts = aigw_usage_optional(u, "thoughtsTokenCount");
		int64		candidates = aigw_usage_optional(u, "candidatesTokenCount");

		a->usage = usage;
		a->prompt_tokens = aigw_usage_count(u, "promptTokenCount");
		a->cached_tokens = Max(aigw_usage_optional(u, "cachedContentTokenCount"), 0);
		a->completion_tokens = (candidates < 0 || thoughts < 0) ? -1 : candidates + thoughts;
		a->reasoning_tokens = Max(thoughts, 0);
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

	aigw_answer_begin(&ps, aigw_jsonb_key(&j->root, "responseId"), aigw_jsonb_key(&j->root, "modelVersion"));
	it = JsonbIteratorInit(candidates->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &cand, true)) != WJB_DONE)
		if (tok == WJB_ELEM && aigw_jsonb_is_object(&cand))
		{
			const char *problem = push_choice(&ps, cand.val.binary.data, n++);

			if (problem != NULL)
			{
				aigw_attempt_fail(a, ATTEMPT_MALFORMED, "in the answer, %s", problem);
				return;
			}
		}
	/* candidates, but none an object: no choice to answer with */
	if (n == 0)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no candidate that is an object");
		return;
	}

	a->upstream_id = aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "responseId"));
	a->status = ATTEMPT_OK;
	a->result = aigw_answer_end(&ps);
}

const AigwProvider aigw_provider_gemini = {
	.api_style = "gemini",
	.build = gemini_build,
	.parse_answer = gemini_parse_answer,
	.parse_error = aigw_parse_error_body,
};
