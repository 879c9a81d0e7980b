/*
 * provider.c
 *	  The table of built-in wire protocols.
 */
#include "postgres.h"

#include "json_util.h"
#include "providers/provider.h"

static const AigwProvider *const providers[] = {
	&aigw_provider_openai,
	&aigw_provider_anthropic,
	&aigw_provider_gemini,
	&aigw_provider_azure,
	&aigw_provider_bedrock,
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
aigw_append_percent_encoded(StringInfo buf, const char *s)
{
	for (; *s; s++)
	{
		if (isalnum((unsigned char) *s) || strchr("-._~", *s))
			appendStringInfoChar(buf, *s);
		else
			appendStringInfo(buf, "%%%02X", (unsigned char) *s);
	}
}

const AigwProvider *
aigw_provider_for_style(const char *api_style)
{
	for (int i = 0; i < lengthof(providers); i++)
		if (strcmp(providers[i]->api_style, api_style) == 0)
			return providers[i];
	return NULL;
}
