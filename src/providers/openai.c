/*
 * openai.c
 *	  The OpenAI chat-completions protocol, spoken by OpenAI and by most
 *	  other providers (DeepSeek, Qwen's compatible mode, Mistral, Groq,
 *	  Together, OpenRouter, xAI).  aigw's own answer shape is this
 *	  protocol's, so an answer passes through as it came; only its usage is
 *	  read (and normalized later, in outcome.c).
 */
#include "postgres.h"

#include "common/json_util.h"
#include "providers/provider.h"
#include "common/uri_encode.h"

static bool
is_upstream_option(const JsonbValue *key)
{
	return aigw_option_is_upstream(key->val.string.val, key->val.string.len);
}

static void
build_body(const AigwTarget *target, const AigwChatInput *input, StringInfo body)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "model", target->upstream_model);
	aigw_push_key(&ps, "messages");
	aigw_push_container(&ps, WJB_VALUE, &input->messages->root);
	aigw_push_members(&ps, &input->options->root, is_upstream_option);
	aigw_end_body(&ps, &input->options->root, body);
}

static void
openai_build(const AigwTarget *target, const AigwChatInput *input,
			 StringInfo url, StringInfo body)
{
	appendStringInfoString(url, "/chat/completions");
	build_body(target, input, body);
}

/*
 * Azure OpenAI: the same protocol at a deployment's URL, with the API
 * version as a query parameter; upstream_model is the deployment name.
 */
static void
azure_build(const AigwTarget *target, const AigwChatInput *input,
			StringInfo url, StringInfo body)
{
	appendStringInfoString(url, "/deployments/");
	aigw_uri_encode(url, target->upstream_model, strlen(target->upstream_model), false);
	appendStringInfo(url, "/chat/completions?api-version=%s",
					 target->api_version ? target->api_version : "2024-10-21");
	build_body(target, input, body);
}

static int64
usage_int(JsonbContainer *usage, const char *key1, const char *key2)
{
	JsonbValue *v = key2 ? aigw_jsonb_path2(usage, key1, key2) : aigw_jsonb_key(usage, key1);
	int64		n;

	return aigw_jsonb_int64(v, &n) && n >= 0 ? n : -1;
}

static bool
is_string_or_null(JsonbValue *v)
{
	return v == NULL || v->type == jbvString || v->type == jbvNull;
}

static bool
is_string(JsonbValue *v)
{
	return v != NULL && v->type == jbvString;
}

/*
 * What is wrong with one choice, or NULL.  The answer passes through to the
 * caller as it came, so what aigw documents of it (and what aigw.ask,
 * enrich and the native Anthropic surface read) is checked here: a message
 * object whose content is text or null, tool calls that are a list of
 * function calls with a name and their arguments as text (or of another
 * type's calls, as custom tools make), a finish reason that is text.  An
 * OpenAI-compatible server that answers otherwise has sent an unusable
 * answer.  (Arguments that are not JSON pass: models write them.)
 */
static const char *
choice_problem(JsonbValue *choice)
{
	JsonbContainer *c;
	JsonbValue *message;
	JsonbValue *calls;

	if (!aigw_jsonb_is_object(choice))
		return "a choice is not an object";
	c = choice->val.binary.data;
	message = aigw_jsonb_key(c, "message");
	if (!aigw_jsonb_is_object(message))
		return "a choice has no \"message\" object";
	if (!is_string_or_null(aigw_jsonb_key(message->val.binary.data, "content")))
		return "a message's \"content\" is neither text nor null";
	if (!is_string_or_null(aigw_jsonb_key(c, "finish_reason")))
		return "a choice's \"finish_reason\" is not text";
	calls = aigw_jsonb_key(message->val.binary.data, "tool_calls");
	if (calls != NULL && calls->type != jbvNull)
	{
		JsonbIterator *it;
		JsonbValue	call;
		JsonbIteratorToken tok;

		if (!aigw_jsonb_is_array(calls))
			return "a message's \"tool_calls\" is not an array";
		it = JsonbIteratorInit(calls->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &call, true)) != WJB_DONE)
		{
			JsonbValue *function;
			JsonbValue *type;

			if (tok != WJB_ELEM)
				continue;
			if (!aigw_jsonb_is_object(&call))
				return "a tool call is not an object";
			/* a custom tool's call ("type": "custom") has no "function" */
			type = aigw_jsonb_key(call.val.binary.data, "type");
			if (type != NULL && !aigw_jsonb_string_is(type, "function"))
			{
				if (type->type != jbvString)
					return "a tool call's \"type\" is not text";
				continue;
			}
			function = aigw_jsonb_key(call.val.binary.data, "function");
			if (!aigw_jsonb_is_object(function) ||
				!is_string(aigw_jsonb_key(function->val.binary.data, "name")) ||
				!is_string(aigw_jsonb_key(function->val.binary.data, "arguments")))
				return "a function call has no name, or arguments that are not text";
		}
	}
	return NULL;
}

static void
openai_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	Jsonb	   *j = aigw_parse_answer_object(body, a);
	JsonbValue *choices;
	JsonbValue *usage;
	JsonbValue *err;

	if (j == NULL)
		return;
	/* Some OpenAI-compatible servers report errors with status 200. */
	err = aigw_jsonb_key(&j->root, "error");
	if (err != NULL && err->type != jbvNull)
	{
		JsonbValue *msg = aigw_jsonb_is_object(err) ? aigw_jsonb_key(err->val.binary.data, "message") : err;
		char	   *text = aigw_jsonb_cstring(msg);

		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is an error: %s",
						  text ? text : "(no message)");
		return;
	}
	choices = aigw_jsonb_key(&j->root, "choices");
	if (!aigw_jsonb_is_array(choices) || JsonContainerSize(choices->val.binary.data) == 0)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no \"choices\"");
		return;
	}
	{
		JsonbIterator *it = JsonbIteratorInit(choices->val.binary.data);
		JsonbValue	choice;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &choice, true)) != WJB_DONE)
		{
			const char *problem = tok == WJB_ELEM ? choice_problem(&choice) : NULL;

			if (problem != NULL)
			{
				aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not a chat completion: %s", problem);
				return;
			}
		}
	}

	usage = aigw_jsonb_key(&j->root, "usage");
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;

		a->usage = usage;
		a->prompt_tokens = usage_int(u, "prompt_tokens", NULL);
		a->completion_tokens = usage_int(u, "completion_tokens", NULL);
		a->cached_tokens = usage_int(u, "prompt_tokens_details", "cached_tokens");
		/* DeepSeek reports its context cache this way */
		if (a->cached_tokens < 0)
			a->cached_tokens = usage_int(u, "prompt_cache_hit_tokens", NULL);
		a->reasoning_tokens = usage_int(u, "completion_tokens_details", "reasoning_tokens");
		if (a->prompt_tokens >= 0 && a->cached_tokens < 0)
			a->cached_tokens = 0;
		if (a->completion_tokens >= 0 && a->reasoning_tokens < 0)
			a->reasoning_tokens = 0;
	}
	a->upstream_id = aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "id"));
	a->status = ATTEMPT_OK;
	a->result = j;
}

const AigwProvider aigw_provider_openai = {
	.api_style = "openai",
	.build = openai_build,
	.parse_answer = openai_parse_answer,
	.parse_error = aigw_parse_error_body,
};

const AigwProvider aigw_provider_azure = {
	.api_style = "azure",
	.build = azure_build,
	.parse_answer = openai_parse_answer,
	.parse_error = aigw_parse_error_body,
};
