/*
 * openai.c
 *	  The OpenAI chat-completions protocol, spoken by OpenAI and by most
 *	  other providers (DeepSeek, Qwen's compatible mode, Mistral, Groq,
 *	  Together, OpenRouter, xAI).  aigw's own answer shape is this
 *	  protocol's, so an answer passes through as it came; only its usage is
 *	  read (and normalized later, in outcome.c).
 */
#include "postgres.h"

#include <math.h>

#include "json_util.h"
#include "providers/provider.h"
#include "uri_encode.h"

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

/* The whole answer as jsonb: what the scan below hands over when it cannot tell. */
static void
parse_fully(const char *body, AigwAttempt *a)
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
	if (!aigw_jsonb_is_array(choices))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer has no \"choices\" array");
		return;
	}

	usage = aigw_jsonb_key(&j->root, "usage");
	if (aigw_jsonb_is_object(usage))
	{
		JsonbContainer *u = usage->val.binary.data;

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

/*
 * The common case, read without building the answer: a walk that picks
 * what the log needs (usage, id) and checks what parse_fully checks.  The
 * answer passes through as it came, so the caller parses it in its own
 * process (outcome.c); the worker serves every caller of the database.
 * Anything the walk cannot vouch for jsonb taking as it does (a number with
 * an exponent, which jsonb turns into numeric) or that is not a plain
 * answer goes to parse_fully, which also words the errors.
 */
typedef struct AnswerScan
{
	int			depth;			/* containers open */
	bool		root_is_object;
	bool		unsure;			/* leave it to parse_fully */
	const char *top;			/* the top-level member being read */
	const char *usage_key;		/* the member of "usage" being read */
	const char *field;			/* the member whose value comes next */
	bool		error;			/* "error" is there and not null */
	char	   *error_message;
	bool		choices_array;
	char	   *id;
	int64		prompt,
				completion,
				cached,
				cache_hit,
				reasoning;
} AnswerScan;

static void
reset_usage(AnswerScan *s)
{
	s->prompt = s->completion = s->cached = s->cache_hit = s->reasoning = -1;
}

static bool
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* A top-level member's value begins: a container (scalars in scan_scalar). */
static void
top_value_begins(AnswerScan *s, bool object)
{
	if (is(s->top, "error"))
	{
		s->error = true;
		s->error_message = NULL;
	}
	else if (is(s->top, "choices"))
		s->choices_array = !object;
	else if (is(s->top, "usage"))
		reset_usage(s);
	else if (is(s->top, "id"))
		s->id = NULL;
}

static JSON_ACTION
scan_object_start(void *state)
{
	AnswerScan *s = state;

	if (s->depth == 0)
		s->root_is_object = true;
	else if (s->depth == 1)
		top_value_begins(s, true);
	s->depth++;
	JSON_ACTION_DONE;
}

static JSON_ACTION
scan_array_start(void *state)
{
	AnswerScan *s = state;

	if (s->depth == 1)
		top_value_begins(s, false);
	s->depth++;
	JSON_ACTION_DONE;
}

static JSON_ACTION
scan_end(void *state)
{
	((AnswerScan *) state)->depth--;
	JSON_ACTION_DONE;
}

static JSON_ACTION
scan_field_start(void *state, char *fname, bool isnull)
{
	AnswerScan *s = state;

	if (s->depth == 1)
		s->top = fname;
	else if (s->depth == 2 && is(s->top, "usage"))
		s->usage_key = fname;
	s->field = fname;
	JSON_ACTION_DONE;
}

static JSON_ACTION
scan_element_start(void *state, bool isnull)
{
	((AnswerScan *) state)->field = NULL;
	JSON_ACTION_DONE;
}

/* As usage_int: a non-negative whole number, else -1. */
static int64
token_count(const char *token, JsonTokenType type)
{
	double		d;

	if (type != JSON_TOKEN_NUMBER)
		return -1;
	d = strtod(token, NULL);
	return d == floor(d) && fabs(d) <= 9.0e15 && d >= 0 ? (int64) d : -1;
}

static JSON_ACTION
scan_scalar(void *state, char *token, JsonTokenType type)
{
	AnswerScan *s = state;

	if (type == JSON_TOKEN_NUMBER && strpbrk(token, "eE") != NULL)
		s->unsure = true;
	if (s->depth == 1 && s->field != NULL)
	{
		if (is(s->top, "error"))
		{
			s->error = type != JSON_TOKEN_NULL;
			s->error_message = type == JSON_TOKEN_STRING ? token : NULL;
		}
		else if (is(s->top, "choices"))
			s->choices_array = false;
		else if (is(s->top, "usage"))
			reset_usage(s);
		else if (is(s->top, "id"))
			s->id = type == JSON_TOKEN_STRING ? token : NULL;
	}
	else if (s->depth == 2 && is(s->top, "error") && is(s->field, "message"))
		s->error_message = type == JSON_TOKEN_STRING ? token : NULL;
	else if (s->depth == 2 && is(s->top, "usage"))
	{
		if (is(s->field, "prompt_tokens"))
			s->prompt = token_count(token, type);
		else if (is(s->field, "completion_tokens"))
			s->completion = token_count(token, type);
		else if (is(s->field, "prompt_cache_hit_tokens"))
			s->cache_hit = token_count(token, type);
	}
	else if (s->depth == 3 && is(s->top, "usage"))
	{
		if (is(s->usage_key, "prompt_tokens_details") && is(s->field, "cached_tokens"))
			s->cached = token_count(token, type);
		else if (is(s->usage_key, "completion_tokens_details") && is(s->field, "reasoning_tokens"))
			s->reasoning = token_count(token, type);
	}
	JSON_ACTION_DONE;
}

static void
openai_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	AnswerScan	s;
	JsonSemAction sem;

	memset(&s, 0, sizeof(s));
	reset_usage(&s);
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &s;
	sem.object_start = scan_object_start;
	sem.object_end = scan_end;
	sem.array_start = scan_array_start;
	sem.array_end = scan_end;
	sem.object_field_start = scan_field_start;
	sem.array_element_start = scan_element_start;
	sem.scalar = scan_scalar;
	if (!aigw_json_walk(body, len, &sem) || !s.root_is_object || s.unsure ||
		s.error || !s.choices_array)
	{
		parse_fully(body, a);
		return;
	}
	a->prompt_tokens = s.prompt;
	a->completion_tokens = s.completion;
	/* DeepSeek reports its context cache this way */
	a->cached_tokens = s.cached >= 0 ? s.cached : s.cache_hit;
	a->reasoning_tokens = s.reasoning;
	if (a->prompt_tokens >= 0 && a->cached_tokens < 0)
		a->cached_tokens = 0;
	if (a->completion_tokens >= 0 && a->reasoning_tokens < 0)
		a->reasoning_tokens = 0;
	a->upstream_id = s.id;
	a->status = ATTEMPT_OK;
	a->answer_text = body;
	a->answer_len = len;
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
