/*
 * anthropic_surface.c
 *	  aigw.anthropic_messages(request jsonb): Anthropic's Messages API as a
 *	  SQL function, for tooling written against Claude.  The native request
 *	  is turned into aigw's OpenAI shape, called like any aigw.chat (routed
 *	  to whichever provider serves the model, logged and billed), and the
 *	  answer is turned back into a native Messages response.  When the model
 *	  is Anthropic's own, the request goes out in its own protocol again
 *	  (providers/anthropic.c), so nothing is lost on the way.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "caller/call.h"
#include "common/json_util.h"
#include "common/pg_compat.h"
#include "providers/translate.h"

PG_FUNCTION_INFO_V1(aigw_anthropic_messages);

pg_noreturn
static void
request_error(const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid Messages request: %s", problem),
			 hint ? errhint("%s", hint) : 0));
}

/* A member the Messages API requires to be a string. */
static JsonbValue *
required_string(JsonbContainer *block, const char *key, const char *what)
{
	JsonbValue *v = aigw_jsonb_key(block, key);

	if (v == NULL || v->type != jbvString)
		request_error(psprintf("%s needs a string \"%s\"", what, key), NULL);
	return v;
}

static void
push_image_part(JsonbParseState **ps, JsonbContainer *block)
{
	JsonbValue *source = aigw_jsonb_key(block, "source");
	char	   *type = aigw_jsonb_is_object(source) ? aigw_jsonb_cstring(aigw_jsonb_key(source->val.binary.data, "type")) : NULL;
	char	   *url;

	if (type && strcmp(type, "base64") == 0)
		url = psprintf("data:%s;base64,%s",
					   aigw_jsonb_cstring(required_string(source->val.binary.data, "media_type", "a base64 image source")),
					   aigw_jsonb_cstring(required_string(source->val.binary.data, "data", "a base64 image source")));
	else if (type && strcmp(type, "url") == 0)
		url = aigw_jsonb_cstring(required_string(source->val.binary.data, "url", "a url image source"));
	else
		request_error("an image block needs a base64 or url source", NULL);
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "type", "image_url");
	aigw_push_key(ps, "image_url");
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "url", url);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/*
 * One native message becomes one or more OpenAI messages: a user turn's
 * tool_result blocks become "tool" messages (first, as they answer the
 * previous turn's calls); an assistant's tool_use blocks become tool_calls.
 */
static void
push_message(JsonbParseState **ps, JsonbContainer *msg, int index)
{
	char	   *role = aigw_jsonb_cstring(aigw_jsonb_key(msg, "role"));
	JsonbValue *content = aigw_jsonb_key(msg, "content");
	JsonbIterator *it;
	JsonbValue	b;
	JsonbIteratorToken tok;
	bool		assistant;
	int			nparts = 0;
	int			ncalls = 0;
	StringInfoData text;

	if (role == NULL || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0))
		request_error(psprintf("message %d: role must be \"user\" or \"assistant\"", index),
					  "The system prompt goes in the top-level \"system\".");
	assistant = strcmp(role, "assistant") == 0;
	if (content == NULL || (content->type != jbvString && !aigw_jsonb_is_array(content)))
		request_error(psprintf("message %d: content must be a string or an array of blocks", index), NULL);

	if (content->type == jbvString)
	{
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "role", role);
		aigw_push_value(ps, "content", content);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		return;
	}

	/* tool results first, each its own "tool" message */
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &b, true)) != WJB_DONE)
	{
		JsonbContainer *block;
		StringInfoData result;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&b))
			continue;
		block = b.val.binary.data;
		if (!aigw_jsonb_string_is(aigw_jsonb_key(block, "type"), "tool_result"))
			continue;
		if (assistant)
			request_error(psprintf("message %d: tool_result blocks belong to user messages", index), NULL);
		initStringInfo(&result);
		aigw_append_text(&result, aigw_jsonb_key(block, "content"));
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "role", "tool");
		aigw_push_value(ps, "tool_call_id", required_string(block, "tool_use_id", "a tool_result block"));
		aigw_push_string(ps, "content", result.data);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}

	initStringInfo(&text);
	it = JsonbIteratorInit(content->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &b, true)) != WJB_DONE)
	{
		char	   *type;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&b))
			continue;
		type = aigw_jsonb_cstring(aigw_jsonb_key(b.val.binary.data, "type"));
		if (type == NULL)
			request_error(psprintf("message %d: every content block needs a \"type\"", index), NULL);
		if (strcmp(type, "text") == 0 || strcmp(type, "image") == 0)
			nparts++;
		else if (strcmp(type, "tool_use") == 0)
			ncalls++;
		else if (strcmp(type, "tool_result") != 0)
			request_error(psprintf("message %d: content block type \"%s\" is not supported", index, type),
						  "aigw takes text, image, tool_use and tool_result blocks.");
	}
	if (nparts == 0 && ncalls == 0)
		return;

	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(ps, "role", role);
	if (assistant)
	{
		aigw_append_text(&text, content);
		if (text.len > 0)
			aigw_push_string(ps, "content", text.data);
		else
			aigw_push_value(ps, "content", NULL);	/* null */
	}
	else if (nparts > 0)
	{
		aigw_push_key(ps, "content");
		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
		it = JsonbIteratorInit(content->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &b, true)) != WJB_DONE)
		{
			JsonbContainer *block;

			if (tok != WJB_ELEM || !aigw_jsonb_is_object(&b))
				continue;
			block = b.val.binary.data;
			if (aigw_jsonb_string_is(aigw_jsonb_key(block, "type"), "text"))
			{
				pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
				aigw_push_string(ps, "type", "text");
				aigw_push_value(ps, "text", required_string(block, "text", "a text block"));
				pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			}
			else if (aigw_jsonb_string_is(aigw_jsonb_key(block, "type"), "image"))
				push_image_part(ps, block);
		}
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	if (ncalls > 0)
	{
		aigw_push_key(ps, "tool_calls");
		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
		it = JsonbIteratorInit(content->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &b, true)) != WJB_DONE)
		{
			JsonbContainer *block;
			JsonbValue *input;

			if (tok != WJB_ELEM || !aigw_jsonb_is_object(&b))
				continue;
			block = b.val.binary.data;
			if (!aigw_jsonb_string_is(aigw_jsonb_key(block, "type"), "tool_use"))
				continue;
			input = aigw_jsonb_key(block, "input");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_value(ps, "id", required_string(block, "id", "a tool_use block"));
			aigw_push_string(ps, "type", "function");
			aigw_push_key(ps, "function");
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_value(ps, "name", required_string(block, "name", "a tool_use block"));
			aigw_push_string(ps, "arguments", input && input->type == jbvBinary
							 ? JsonbToCString(NULL, input->val.binary.data, -1) : "{}");
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static Jsonb *
openai_messages(JsonbContainer *req)
{
	JsonbParseState *ps = NULL;
	JsonbValue *system = aigw_jsonb_key(req, "system");
	JsonbValue *messages = aigw_jsonb_key(req, "messages");
	JsonbIterator *it;
	JsonbValue	m;
	JsonbIteratorToken tok;
	int			i = 0;

	if (!aigw_jsonb_is_array(messages))
		request_error("\"messages\" must be an array", NULL);
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	if (system != NULL && system->type != jbvNull)
	{
		StringInfoData text;

		initStringInfo(&text);
		aigw_append_text(&text, system);
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(&ps, "role", "system");
		aigw_push_string(&ps, "content", text.data);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	it = JsonbIteratorInit(messages->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &m, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (!aigw_jsonb_is_object(&m))
			request_error(psprintf("message %d is not an object", i), NULL);
		push_message(&ps, m.val.binary.data, i++);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

static void
push_tools(JsonbParseState **ps, JsonbValue *tools)
{
	JsonbIterator *it = JsonbIteratorInit(tools->val.binary.data);
	JsonbValue	t;
	JsonbIteratorToken tok;

	aigw_push_key(ps, "tools");
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	while ((tok = JsonbIteratorNext(&it, &t, true)) != WJB_DONE)
	{
		JsonbContainer *tool;
		JsonbValue *v;

		if (tok != WJB_ELEM || !aigw_jsonb_is_object(&t))
			continue;
		tool = t.val.binary.data;
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "type", "function");
		aigw_push_key(ps, "function");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "name", required_string(tool, "name", "a tool"));
		if ((v = aigw_jsonb_key(tool, "description")) != NULL)
			aigw_push_value(ps, "description", v);
		if ((v = aigw_jsonb_key(tool, "input_schema")) != NULL && aigw_jsonb_is_object(v))
		{
			aigw_push_key(ps, "parameters");
			aigw_push_container(ps, WJB_VALUE, v->val.binary.data);
		}
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

static void
push_tool_choice(JsonbParseState **ps, JsonbValue *choice)
{
	char	   *type = aigw_jsonb_is_object(choice)
		? aigw_jsonb_cstring(aigw_jsonb_key(choice->val.binary.data, "type")) : NULL;

	if (type == NULL)
		request_error("\"tool_choice\" must be an object with a \"type\"", NULL);
	if (strcmp(type, "tool") == 0)
	{
		aigw_push_key(ps, "tool_choice");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(ps, "type", "function");
		aigw_push_key(ps, "function");
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(ps, "name", aigw_jsonb_key(choice->val.binary.data, "name"));
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	else
		aigw_push_string(ps, "tool_choice", strcmp(type, "any") == 0 ? "required" : type);
}

static const char *const known_fields[] = {
	"model", "messages", "system", "max_tokens", "temperature", "top_p", "top_k",
	"stop_sequences", "tools", "tool_choice", "metadata", "stream"
};

static Jsonb *
openai_options(JsonbContainer *req)
{
	JsonbParseState *ps = NULL;
	JsonbIterator *it = JsonbIteratorInit(req);
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *x;

	while (aigw_jsonb_next_member(&it, &k, &v))
	{
		bool		known = false;

		for (int i = 0; i < lengthof(known_fields); i++)
			known |= aigw_jsonb_string_is(&k, known_fields[i]);
		if (!known)
			request_error(psprintf("unknown field \"%s\"", pnstrdup(k.val.string.val, k.val.string.len)),
						  "aigw.anthropic_messages takes the Messages API's request fields.");
	}
	if ((x = aigw_jsonb_key(req, "stream")) != NULL && x->type == jbvBool && x->val.boolean)
		request_error("streaming is not supported", "Leave \"stream\" out or false.");
	if ((x = aigw_jsonb_key(req, "max_tokens")) == NULL || x->type != jbvNumeric)
		request_error("\"max_tokens\" is required", "The Messages API requires it; e.g. \"max_tokens\": 1024.");

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_value(&ps, "max_tokens", x);
	if ((x = aigw_jsonb_key(req, "temperature")) != NULL)
		aigw_push_value(&ps, "temperature", x);
	if ((x = aigw_jsonb_key(req, "top_p")) != NULL)
		aigw_push_value(&ps, "top_p", x);
	if ((x = aigw_jsonb_key(req, "stop_sequences")) != NULL)
		aigw_push_value(&ps, "stop", x);
	if ((x = aigw_jsonb_path2(req, "metadata", "user_id")) != NULL)
		aigw_push_value(&ps, "user", x);
	if ((x = aigw_jsonb_key(req, "tools")) != NULL && aigw_jsonb_is_array(x))
		push_tools(&ps, x);
	if ((x = aigw_jsonb_key(req, "tool_choice")) != NULL)
		push_tool_choice(&ps, x);
	/* no OpenAI equivalent: sent as is, which only Anthropic models accept */
	if ((x = aigw_jsonb_key(req, "top_k")) != NULL)
	{
		aigw_push_key(&ps, "extra_body");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "top_k", x);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

/* ---------------------------------------------------------------------
 * The answer, back to the native shape
 * ---------------------------------------------------------------------
 */

static const char *
stop_reason(const char *finish)
{
	if (finish == NULL)
		return "end_turn";
	if (strcmp(finish, "length") == 0)
		return "max_tokens";
	if (strcmp(finish, "tool_calls") == 0 || strcmp(finish, "function_call") == 0)
		return "tool_use";
	if (strcmp(finish, "content_filter") == 0)
		return "refusal";
	return "end_turn";
}

static int64
usage_count(JsonbContainer *usage, const char *k1, const char *k2)
{
	JsonbValue *v = k2 ? aigw_jsonb_path2(usage, k1, k2) : aigw_jsonb_key(usage, k1);
	int64		n;

	return aigw_jsonb_int64(v, &n) && n > 0 ? n : 0;
}

static Jsonb *
native_answer(Jsonb *answer, const char *model)
{
	JsonbParseState *ps = NULL;
	JsonbValue *choices = aigw_jsonb_key(&answer->root, "choices");
	JsonbValue *first = aigw_jsonb_is_array(choices)
		? getIthJsonbValueFromContainer(choices->val.binary.data, 0) : NULL;
	JsonbContainer *message = NULL;
	JsonbValue *content;
	JsonbValue *calls;
	JsonbValue *usage = aigw_jsonb_key(&answer->root, "usage");
	JsonbValue *aigw = aigw_jsonb_key(&answer->root, "aigw");
	JsonbValue *id;

	if (first != NULL && aigw_jsonb_is_object(first))
	{
		JsonbValue *m = aigw_jsonb_key(first->val.binary.data, "message");

		if (aigw_jsonb_is_object(m))
			message = m->val.binary.data;
	}

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	id = aigw_jsonb_key(&answer->root, "id");
	if (id != NULL && id->type == jbvString)
		aigw_push_value(&ps, "id", id);
	aigw_push_string(&ps, "type", "message");
	aigw_push_string(&ps, "role", "assistant");
	aigw_push_string(&ps, "model", model);
	aigw_push_key(&ps, "content");
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	content = message ? aigw_jsonb_key(message, "content") : NULL;
	if (content != NULL && content->type == jbvString && content->val.string.len > 0)
	{
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(&ps, "type", "text");
		aigw_push_value(&ps, "text", content);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	calls = message ? aigw_jsonb_key(message, "tool_calls") : NULL;
	if (aigw_jsonb_is_array(calls))
	{
		JsonbIterator *it = JsonbIteratorInit(calls->val.binary.data);
		JsonbValue	c;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &c, true)) != WJB_DONE)
		{
			char	   *arguments;
			char	   *error;
			Jsonb	   *input;

			if (tok != WJB_ELEM || !aigw_jsonb_is_object(&c))
				continue;
			arguments = aigw_jsonb_cstring(aigw_jsonb_path2(c.val.binary.data, "function", "arguments"));
			input = aigw_jsonb_parse(arguments && *arguments ? arguments : "{}", &error);
			pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
			aigw_push_string(&ps, "type", "tool_use");
			aigw_push_value(&ps, "id", aigw_jsonb_key(c.val.binary.data, "id"));
			aigw_push_value(&ps, "name", aigw_jsonb_path2(c.val.binary.data, "function", "name"));
			aigw_push_key(&ps, "input");
			if (input != NULL && JB_ROOT_IS_OBJECT(input) && !JB_ROOT_IS_SCALAR(input))
				aigw_push_container(&ps, WJB_VALUE, &input->root);
			else
			{
				pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
				pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
			}
			pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		}
	}
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	aigw_push_string(&ps, "stop_reason",
					 stop_reason(first && aigw_jsonb_is_object(first)
								 ? aigw_jsonb_cstring(aigw_jsonb_key(first->val.binary.data, "finish_reason"))
								 : NULL));
	aigw_push_value(&ps, "stop_sequence", NULL);	/* null */
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;
		int64		prompt = usage_count(u, "prompt_tokens", NULL);
		int64		cached = usage_count(u, "prompt_tokens_details", "cached_tokens");
		int64		written = usage_count(u, "prompt_tokens_details", "cache_write_tokens");

		/* Anthropic's input_tokens excludes both cache classes */
		aigw_push_key(&ps, "usage");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_int(&ps, "input_tokens", Max(prompt - cached - written, 0));
		aigw_push_int(&ps, "output_tokens", usage_count(u, "completion_tokens", NULL));
		aigw_push_int(&ps, "cache_creation_input_tokens", written);
		aigw_push_int(&ps, "cache_read_input_tokens", cached);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	if (aigw != NULL)
	{
		aigw_push_key(&ps, "aigw");
		aigw_push_container(&ps, WJB_VALUE, aigw->val.binary.data);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

Datum
aigw_anthropic_messages(PG_FUNCTION_ARGS)
{
	Jsonb	   *req = PG_GETARG_JSONB_P(0);
	char	   *model;
	Jsonb	   *answer;

	if (!JB_ROOT_IS_OBJECT(req) || JB_ROOT_IS_SCALAR(req))
		request_error("the request must be a JSON object", NULL);
	model = aigw_jsonb_cstring(aigw_jsonb_key(&req->root, "model"));
	if (model == NULL)
		request_error("\"model\" is required", "Name an aigw model, e.g. \"anthropic/claude-sonnet-4-5\".");
	answer = aigw_call_chat(model, openai_messages(&req->root), openai_options(&req->root));
	PG_RETURN_JSONB_P(native_answer(answer, model));
}
