/*
 * provider.c
 *	  The table of built-in wire protocols.
 */
#include "postgres.h"

#include "common/json_util.h"
#include "providers/provider.h"

static const AigwProvider *const providers[] = {
	&aigw_provider_openai,
	&aigw_provider_anthropic,
	&aigw_provider_gemini,
	&aigw_provider_azure,
	&aigw_provider_bedrock,
	&aigw_provider_openai_embeddings,
	&aigw_provider_gemini_embeddings,
	&aigw_provider_bedrock_embeddings,
};

Jsonb *
aigw_parse_answer_object(const char *body, AigwAttempt *a)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(body, &error);

	if (j == NULL)
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not valid JSON (%s)", error);
	else if (!JB_ROOT_IS_OBJECT(j) || JB_ROOT_IS_SCALAR(j))
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not a JSON object");
		j = NULL;
	}
	return j;
}

void
aigw_parse_error_body(const char *body, size_t len, AigwAttempt *a)
{
	char	   *error;
	Jsonb	   *j;
	JsonbValue *err;
	JsonbContainer *e = NULL;

	if (len == 0)
		return;
	j = aigw_jsonb_parse(body, &error);
	if (j == NULL || JB_ROOT_IS_SCALAR(j))
		return;
	err = aigw_jsonb_key(&j->root, "error");
	if (aigw_jsonb_is_object(err))
		e = err->val.binary.data;
	else if (err != NULL && err->type == jbvString)
	{
		a->error = aigw_jsonb_cstring(err);
		return;
	}
	else if (err == NULL && aigw_jsonb_key(&j->root, "message") != NULL)
		e = &j->root;			/* a bare {"message": ...} */
	if (e != NULL)
	{
		/* a string code (OpenAI), else the type (Anthropic), else the status (Gemini) */
		char	   *code = aigw_jsonb_cstring(aigw_jsonb_key(e, "code"));
		char	   *type = aigw_jsonb_cstring(aigw_jsonb_key(e, "type"));

		a->error = aigw_jsonb_cstring(aigw_jsonb_key(e, "message"));
		a->error_type = code ? code : type ? type : aigw_jsonb_cstring(aigw_jsonb_key(e, "status"));
	}
}

void
aigw_end_body(JsonbParseState **ps, JsonbContainer *options, StringInfo body)
{
	JsonbValue *extra = aigw_jsonb_key(options, "extra_body");
	JsonbValue *root;

	if (aigw_jsonb_is_object(extra))
		aigw_push_members(ps, extra->val.binary.data, NULL);
	root = pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	(void) JsonbToCString(body, &JsonbValueToJsonb(root)->root, -1);
}

const AigwProvider *
aigw_provider_for_style(const char *api_style)
{
	for (int i = 0; i < lengthof(providers); i++)
		if (strcmp(providers[i]->api_style, api_style) == 0)
			return providers[i];
	return NULL;
}
