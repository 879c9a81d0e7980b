/*
 * provider.c
 *	  The table of built-in wire protocols.
 */
#include "postgres.h"

#include "providers/provider.h"

static const AigwProvider *const providers[] = {
	&aigw_provider_openai,
	&aigw_provider_anthropic,
	&aigw_provider_gemini,
	&aigw_provider_azure,
	&aigw_provider_bedrock,
};

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
