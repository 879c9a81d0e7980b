/*
 * chat_request.c
 *	  Validation of aigw.chat's messages and options.
 *
 * Everything here runs in the caller before anything is queued, so a bad
 * request costs nothing and leaves no trace.  Known OpenAI fields are
 * type-checked; unknown keys are refused (a misspelt "temprature" would
 * otherwise be sent and silently ignored by most providers), with
 * options.extra_body as the way to send a field aigw does not know yet.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/chat_request.h"
#include "common/json_util.h"
#include "common/pg_compat.h"

typedef enum OptionKind
{
	OPT_NUMBER,
	OPT_INT,
	OPT_BOOL,
	OPT_STRING,
	OPT_OBJECT,
	OPT_STRING_MAP,				/* object of strings (OpenAI's metadata) */
	OPT_ARRAY,
	OPT_STOP,					/* string or array of up to 4 strings */
	OPT_TOOLS,
	OPT_TOOL_CHOICE,
	OPT_RESPONSE_FORMAT,
	OPT_STREAM,
	OPT_ROUTING					/* checked by route.c, which reads them */
} OptionKind;

typedef struct OptionSpec
{
	const char *name;
	OptionKind	kind;
	double		min;
	double		max;
	bool		upstream;		/* sent to the provider as is */
} OptionSpec;

static const OptionSpec option_specs[] = {
	/* OpenAI chat-completion request fields */
	{"temperature", OPT_NUMBER, 0, 2, true},
	{"top_p", OPT_NUMBER, 0, 1, true},
	{"max_tokens", OPT_INT, 1, PG_INT32_MAX, true},
	{"max_completion_tokens", OPT_INT, 1, PG_INT32_MAX, true},
	{"n", OPT_INT, 1, 128, true},
	{"stop", OPT_STOP, 0, 0, true},
	{"seed", OPT_INT, -9.0e15, 9.0e15, true},
	{"presence_penalty", OPT_NUMBER, -2, 2, true},
	{"frequency_penalty", OPT_NUMBER, -2, 2, true},
	{"logit_bias", OPT_OBJECT, 0, 0, true},
	{"logprobs", OPT_BOOL, 0, 0, true},
	{"top_logprobs", OPT_INT, 0, 20, true},
	{"user", OPT_STRING, 0, 0, true},
	{"tools", OPT_TOOLS, 0, 0, true},
	{"tool_choice", OPT_TOOL_CHOICE, 0, 0, true},
	{"parallel_tool_calls", OPT_BOOL, 0, 0, true},
	{"response_format", OPT_RESPONSE_FORMAT, 0, 0, true},
	{"metadata", OPT_STRING_MAP, 0, 0, true},
	{"reasoning_effort", OPT_STRING, 0, 0, true},
	{"verbosity", OPT_STRING, 0, 0, true},
	{"service_tier", OPT_STRING, 0, 0, true},
	{"store", OPT_BOOL, 0, 0, true},
	{"modalities", OPT_ARRAY, 0, 0, true},
	{"audio", OPT_OBJECT, 0, 0, true},
	{"prediction", OPT_OBJECT, 0, 0, true},
	{"web_search_options", OPT_OBJECT, 0, 0, true},
	{"prompt_cache_key", OPT_STRING, 0, 0, true},
	{"safety_identifier", OPT_STRING, 0, 0, true},
	{"stream", OPT_STREAM, 0, 0, false},
	/* aigw's own */
	{"extra_body", OPT_OBJECT, 0, 0, false},
	{"timeout_ms", OPT_INT, 1, 3600000, false},
	{"tags", OPT_OBJECT, 0, 0, false},
	{"wallet", OPT_STRING, 0, 0, false},
	{"cache", OPT_BOOL, 0, 0, false},
	{"cache_ttl", OPT_INT, 1, 315360000, false},
	/* routing (route.c) */
	{"retries", OPT_ROUTING, 0, 0, false},
	{"fallbacks", OPT_ROUTING, 0, 0, false},
	{"fallback_on_invalid", OPT_ROUTING, 0, 0, false},
	{"candidates", OPT_ROUTING, 0, 0, false},
	{"max_models", OPT_ROUTING, 0, 0, false},
	{"min_quality", OPT_ROUTING, 0, 0, false},
	{"capabilities", OPT_ROUTING, 0, 0, false},
	{"max_price_per_mtok", OPT_ROUTING, 0, 0, false},
	{"providers", OPT_ROUTING, 0, 0, false},
	{"exclude_providers", OPT_ROUTING, 0, 0, false},
	{"expected_output_tokens", OPT_ROUTING, 0, 0, false},
};

static const OptionSpec *
option_spec(const char *key, int keylen)
{
	for (int i = 0; i < lengthof(option_specs); i++)
		if (strlen(option_specs[i].name) == keylen &&
			strncmp(option_specs[i].name, key, keylen) == 0)
			return &option_specs[i];
	return NULL;
}

bool
aigw_option_is_upstream(const char *key, int keylen)
{
	const OptionSpec *spec = option_spec(key, keylen);

	return spec != NULL && spec->upstream;
}

static const char *
article(const char *noun)
{
	return strchr("aeiou", noun[0]) ? "an" : "a";
}

pg_noreturn
static void
option_error(const char *name, const char *expected, JsonbValue *got)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid option \"%s\": expected %s", name, expected),
			 errdetail("The value given is %s %s.", article(aigw_jsonb_type_name(got)),
					   aigw_jsonb_type_name(got))));
}

static bool
all_strings(JsonbValue *array, int *count)
{
	JsonbIterator *it = JsonbIteratorInit(array->val.binary.data);
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		ok = true;

	*count = 0;
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
		{
			(*count)++;
			if (v.type != jbvString)
				ok = false;
		}
	return ok;
}

static void
check_tools(JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			i = 0;

	if (!aigw_jsonb_is_array(v))
		option_error("tools", "an array of tool objects", v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		JsonbValue *type;
		JsonbValue *name;

		if (tok != WJB_ELEM)
			continue;
		if (!aigw_jsonb_is_object(&elem))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid option \"tools\": element %d is not an object", i)));
		type = aigw_jsonb_key(elem.val.binary.data, "type");
		if (type == NULL || type->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid option \"tools\": element %d has no \"type\"", i),
					 errhint("A function tool is {\"type\": \"function\", \"function\": {\"name\": ..., \"parameters\": {...}}}.")));
		if (type->val.string.len == 8 && strncmp(type->val.string.val, "function", 8) == 0)
		{
			name = aigw_jsonb_path2(elem.val.binary.data, "function", "name");
			if (name == NULL || name->type != jbvString || name->val.string.len == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid option \"tools\": function tool %d has no \"function\".\"name\"", i)));
		}
		i++;
	}
}

static void
check_option(const OptionSpec *spec, JsonbValue *v)
{
	double		d;
	int			n;

	switch (spec->kind)
	{
		case OPT_ROUTING:
			break;
		case OPT_NUMBER:
		case OPT_INT:
			if (!aigw_jsonb_number(v, &d) ||
				(spec->kind == OPT_INT && d != floor(d)))
				option_error(spec->name, spec->kind == OPT_INT ? "an integer" : "a number", v);
			if (d < spec->min || d > spec->max)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid option \"%s\": %.15g is out of range", spec->name, d),
						 errdetail("\"%s\" must be between %.15g and %.15g.", spec->name,
								   spec->min, spec->max)));
			break;
		case OPT_BOOL:
			if (v->type != jbvBool)
				option_error(spec->name, "true or false", v);
			break;
		case OPT_STRING:
			if (v->type != jbvString)
				option_error(spec->name, "a string", v);
			break;
		case OPT_OBJECT:
			if (!aigw_jsonb_is_object(v))
				option_error(spec->name, "an object", v);
			break;
		case OPT_STRING_MAP:
			{
				JsonbIterator *it;
				JsonbValue	k;
				JsonbValue	val;

				if (!aigw_jsonb_is_object(v))
					option_error(spec->name, "an object", v);
				it = JsonbIteratorInit(v->val.binary.data);
				while (aigw_jsonb_next_member(&it, &k, &val))
					if (val.type != jbvString)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid option \"%s\": the value of \"%s\" is not a string",
										spec->name, pnstrdup(k.val.string.val, k.val.string.len)),
								 errhint("%s maps keys to strings.", spec->name)));
			}
			break;
		case OPT_ARRAY:
			if (!aigw_jsonb_is_array(v))
				option_error(spec->name, "an array", v);
			break;
		case OPT_STOP:
			if (v->type == jbvString)
				break;
			if (!aigw_jsonb_is_array(v) || !all_strings(v, &n) || n > 4)
				option_error(spec->name, "a string or an array of at most 4 strings", v);
			break;
		case OPT_TOOLS:
			check_tools(v);
			break;
		case OPT_TOOL_CHOICE:
			if (v->type == jbvString)
			{
				char	   *s = aigw_jsonb_cstring(v);

				if (strcmp(s, "none") != 0 && strcmp(s, "auto") != 0 &&
					strcmp(s, "required") != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid option \"tool_choice\": \"%s\"", s),
							 errhint("Use \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.")));
			}
			else
			{
				JsonbValue *name = aigw_jsonb_is_object(v)
					? aigw_jsonb_path2(v->val.binary.data, "function", "name") : NULL;

				if (name == NULL || name->type != jbvString)
					option_error(spec->name, "\"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}", v);
			}
			break;
		case OPT_RESPONSE_FORMAT:
			{
				JsonbValue *type = aigw_jsonb_is_object(v) ? aigw_jsonb_key(v->val.binary.data, "type") : NULL;
				JsonbValue *name = aigw_jsonb_is_object(v)
					? aigw_jsonb_path2(v->val.binary.data, "json_schema", "name") : NULL;

				if (!aigw_jsonb_string_is(type, "text") && !aigw_jsonb_string_is(type, "json_object") &&
					!aigw_jsonb_string_is(type, "json_schema"))
					option_error(spec->name, "an object with a \"type\" (\"text\", \"json_object\" or \"json_schema\")", v);
				if (aigw_jsonb_string_is(type, "json_schema") && (name == NULL || name->type != jbvString))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid option \"response_format\": a json_schema format needs \"json_schema\": {\"name\": ..., \"schema\": {...}}")));
			}
			break;
		case OPT_STREAM:
			if (v->type == jbvBool && !v->val.boolean)
				break;
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("option \"stream\" is not supported by aigw.chat"),
					 errdetail("aigw.chat returns one complete answer."),
					 errhint("Remove \"stream\" from the options.")));
	}
}

static void
parse_options(Jsonb *options, AigwChatInput *out)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;

	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass '{}' for no options, or e.g. '{\"temperature\": 0}'.")));

	it = JsonbIteratorInit(&options->root);
	while (aigw_jsonb_next_member(&it, &k, &v))
	{
		const OptionSpec *spec;
		char	   *key;

		key = pnstrdup(k.val.string.val, k.val.string.len);
		spec = option_spec(k.val.string.val, k.val.string.len);
		if (spec == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\"", key),
					 errdetail("aigw knows the OpenAI chat-completion fields, its own options timeout_ms, tags, wallet and extra_body, and the routing options (retries, fallbacks, candidates, min_quality, ...)."),
					 errhint("To send a field aigw does not know, put it in options.extra_body.")));
		check_option(spec, &v);

		if (strcmp(key, "timeout_ms") == 0)
		{
			int64		ms;

			aigw_jsonb_int64(&v, &ms);
			out->timeout_ms = (int) ms;
		}
		else if (strcmp(key, "tags") == 0)
			out->tags = JsonbToCString(NULL, v.val.binary.data, -1);
		else if (strcmp(key, "wallet") == 0)
			out->wallet = aigw_jsonb_cstring(&v);
		else if (strcmp(key, "cache") == 0)
			out->cache = v.val.boolean ? 1 : 0;
		else if (strcmp(key, "cache_ttl") == 0)
		{
			int64		s;

			aigw_jsonb_int64(&v, &s);
			out->cache_ttl_s = (int) s;
		}
		else if (strcmp(key, "max_tokens") == 0 || strcmp(key, "max_completion_tokens") == 0)
		{
			int64		limit;

			/* either bounds the output; with both, the provider obeys the lower */
			aigw_jsonb_int64(&v, &limit);
			out->max_output_tokens = out->max_output_tokens < 0 ? limit
				: Min(out->max_output_tokens, limit);
		}
		else if (strcmp(key, "n") == 0)
		{
			int64		n;

			aigw_jsonb_int64(&v, &n);
			out->choices = (int) n;
		}
		else if (strcmp(key, "extra_body") == 0)
		{
			static const char *const reserved[] = {"model", "messages", "stream"};

			for (int i = 0; i < lengthof(reserved); i++)
				if (aigw_jsonb_key(v.val.binary.data, reserved[i]) != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("options.extra_body may not set \"%s\"", reserved[i]),
							 errdetail("aigw sets \"model\" and \"messages\" itself and does not stream.")));
		}
	}
}

/* ---------------------------------------------------------------------
 * Messages
 * ---------------------------------------------------------------------
 */

pg_noreturn
static void
message_error(int index, const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid message at index %d: %s", index, problem),
			 hint ? errhint("%s", hint) : 0));
}

static void
check_content_parts(int index, JsonbValue *content, int *images)
{
	JsonbIterator *it = JsonbIteratorInit(content->val.binary.data);
	JsonbValue	part;
	JsonbIteratorToken tok;
	int			n = 0;

	while ((tok = JsonbIteratorNext(&it, &part, true)) != WJB_DONE)
	{
		JsonbValue *type;
		char	   *t;

		if (tok != WJB_ELEM)
			continue;
		n++;
		type = aigw_jsonb_is_object(&part) ? aigw_jsonb_key(part.val.binary.data, "type") : NULL;
		if (type == NULL || type->type != jbvString)
			message_error(index, "every content part must be an object with a \"type\"",
						  "A text part is {\"type\": \"text\", \"text\": \"...\"}.");
		t = aigw_jsonb_cstring(type);
		if (strcmp(t, "text") == 0)
		{
			JsonbValue *text = aigw_jsonb_key(part.val.binary.data, "text");

			if (text == NULL || text->type != jbvString)
				message_error(index, "a \"text\" content part needs a string \"text\"", NULL);
		}
		else if (strcmp(t, "image_url") == 0)
		{
			JsonbValue *url = aigw_jsonb_path2(part.val.binary.data, "image_url", "url");

			if (url == NULL || url->type != jbvString)
				message_error(index, "an \"image_url\" content part needs \"image_url\": {\"url\": \"...\"}", NULL);
			(*images)++;
		}
		else if (strcmp(t, "input_audio") != 0 && strcmp(t, "file") != 0 &&
				 strcmp(t, "refusal") != 0)
			message_error(index, psprintf("unknown content part type \"%s\"", t),
						  "Content part types are text, image_url, input_audio, file and refusal.");
	}
	if (n == 0)
		message_error(index, "\"content\" is an empty array", NULL);
}

static void
check_tool_calls(int index, JsonbValue *calls)
{
	JsonbIterator *it;
	JsonbValue	call;
	JsonbIteratorToken tok;

	if (!aigw_jsonb_is_array(calls))
		message_error(index, "\"tool_calls\" must be an array", NULL);
	it = JsonbIteratorInit(calls->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &call, true)) != WJB_DONE)
	{
		JsonbValue *id;
		JsonbValue *name;
		JsonbValue *arguments;

		if (tok != WJB_ELEM)
			continue;
		id = aigw_jsonb_is_object(&call) ? aigw_jsonb_key(call.val.binary.data, "id") : NULL;
		name = aigw_jsonb_is_object(&call) ? aigw_jsonb_path2(call.val.binary.data, "function", "name") : NULL;
		arguments = aigw_jsonb_is_object(&call) ? aigw_jsonb_path2(call.val.binary.data, "function", "arguments") : NULL;
		if (id == NULL || id->type != jbvString || name == NULL || name->type != jbvString ||
			arguments == NULL || arguments->type != jbvString)
			message_error(index, "each tool call needs an \"id\" and a \"function\" with a \"name\" and \"arguments\" (a JSON string)",
						  "A tool call is {\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}.");
	}
}

static void
check_message(int index, JsonbValue *msg, int *images)
{
	JsonbValue *role;
	JsonbValue *content;
	char	   *r;

	if (!aigw_jsonb_is_object(msg))
		message_error(index, psprintf("expected an object, got %s %s",
									  article(aigw_jsonb_type_name(msg)),
									  aigw_jsonb_type_name(msg)),
					  "A message is {\"role\": \"user\", \"content\": \"...\"}.");

	role = aigw_jsonb_key(msg->val.binary.data, "role");
	if (role == NULL || role->type != jbvString)
		message_error(index, "\"role\" is missing or not a string",
					  "Roles are system, developer, user, assistant and tool.");
	r = aigw_jsonb_cstring(role);
	content = aigw_jsonb_key(msg->val.binary.data, "content");

	if (strcmp(r, "assistant") == 0)
	{
		JsonbValue *calls = aigw_jsonb_key(msg->val.binary.data, "tool_calls");

		if (calls != NULL && calls->type != jbvNull)
			check_tool_calls(index, calls);
		else if (content == NULL || content->type == jbvNull)
			message_error(index, "an assistant message needs \"content\" or \"tool_calls\"", NULL);
	}
	else if (strcmp(r, "tool") == 0)
	{
		JsonbValue *id = aigw_jsonb_key(msg->val.binary.data, "tool_call_id");

		if (id == NULL || id->type != jbvString)
			message_error(index, "a tool message needs a string \"tool_call_id\"",
						  "Answer a tool call with {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"...\"}.");
	}
	else if (strcmp(r, "system") != 0 && strcmp(r, "developer") != 0 &&
			 strcmp(r, "user") != 0)
		message_error(index, psprintf("unknown role \"%s\"", r),
					  "Roles are system, developer, user, assistant and tool.");

	if (content == NULL || content->type == jbvNull)
	{
		if (strcmp(r, "assistant") != 0)
			message_error(index, "\"content\" is missing", NULL);
	}
	else if (aigw_jsonb_is_array(content))
		check_content_parts(index, content, images);
	else if (content->type != jbvString)
		message_error(index, "\"content\" must be a string or an array of content parts", NULL);
}

static void
check_messages(Jsonb *messages, int *images)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			index = 0;

	if (!JB_ROOT_IS_ARRAY(messages) || JB_ROOT_IS_SCALAR(messages))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("messages must be a JSON array"),
				 errhint("Write '[{\"role\": \"user\", \"content\": \"Hello\"}]', or use aigw.ask(model, prompt).")));

	it = JsonbIteratorInit(&messages->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			check_message(index++, &v, images);
	if (index == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("messages is an empty array"),
				 errhint("Send at least one message, e.g. '[{\"role\": \"user\", \"content\": \"Hello\"}]'.")));
}

void
aigw_chat_input_parse(Jsonb *messages, Jsonb *options, AigwChatInput *out)
{
	memset(out, 0, sizeof(*out));
	out->messages = messages;
	out->options = options;
	out->tags = "{}";
	out->max_output_tokens = -1;
	out->choices = 1;
	out->cache = -1;

	check_messages(messages, &out->images);
	parse_options(options, out);
}
