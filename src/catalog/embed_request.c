/*
 * embed_request.c
 *	  Options of an embeddings call (see embed_request.h).  They are few and
 *	  none is passed through blindly: each provider names its fields
 *	  differently (providers/embeddings.c), so only what aigw can map is
 *	  accepted.
 */
#include "postgres.h"

#include "catalog/embed_request.h"
#include "common/pg_compat.h"
#include "common/settings.h"
#include "common/json_util.h"

pg_noreturn
static void
option_error(const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid option \"%s\": expected %s", key, expected)));
}

void
aigw_embed_check_model(const char *model)
{
	if (strncmp(model, "auto/", 5) == 0 || strncmp(model, "route/", 6) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("embeddings take a plain model, not %s", aigw_quote_name(model)),
				 errdetail("Vectors of different models cannot be compared, so aigw does not route or fall back between them."),
				 errhint("SELECT id FROM aigw.models WHERE kind = 'embedding' lists the embedding models.")));
}

int64
aigw_embed_token_estimate(int64 bytes)
{
	/* the routing estimate (route.c): about 3 bytes a token of text */
	return bytes / 3 + 1;
}

void
aigw_embed_input_parse(Jsonb *texts, Jsonb *options, AigwChatInput *out)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;

	memset(out, 0, sizeof(*out));
	out->embedding = true;
	out->messages = texts;
	out->options = options;
	out->tags = "{}";
	out->max_output_tokens = 0;	/* an embedding has no output tokens */
	out->choices = 1;
	out->cache = -1;
	out->ntexts = (int) JB_ROOT_COUNT(texts);

	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass '{}' for no options, or e.g. '{\"dimensions\": 256}'.")));
	it = JsonbIteratorInit(&options->root);
	while (aigw_jsonb_next_member(&it, &k, &v))
	{
		char	   *key = pnstrdup(k.val.string.val, k.val.string.len);
		int64		n;

		if (strcmp(key, "dimensions") == 0)
		{
			if (!aigw_jsonb_int64(&v, &n) || n < 1 || n > 65536)
				option_error(key, "an integer from 1 to 65536");
			out->dimensions = (int) n;
		}
		else if (strcmp(key, "input_type") == 0)
		{
			if (aigw_jsonb_string_is(&v, "document"))
				out->input_type = "document";
			else if (aigw_jsonb_string_is(&v, "query"))
				out->input_type = "query";
			else
				option_error(key, "\"document\" or \"query\"");
		}
		else if (strcmp(key, "normalize") == 0)
		{
			if (v.type != jbvBool)
				option_error(key, "true or false");
			out->normalize = v.val.boolean;
		}
		else if (strcmp(key, "wallet") == 0)
		{
			if ((out->wallet = aigw_jsonb_cstring(&v)) == NULL)
				option_error(key, "a string");
		}
		else if (strcmp(key, "tags") == 0)
		{
			if (!aigw_jsonb_is_object(&v))
				option_error(key, "a JSON object");
			out->tags = JsonbToCString(NULL, v.val.binary.data, -1);
		}
		else if (strcmp(key, "timeout_ms") == 0)
		{
			if (!aigw_jsonb_int64(&v, &n) || n < 1 || n > 3600000)
				option_error(key, "an integer from 1 to 3600000");
			out->timeout_ms = (int) n;
		}
		else if (strcmp(key, "cache") == 0)
		{
			if (v.type != jbvBool)
				option_error(key, "true or false");
			out->cache = v.val.boolean ? 1 : 0;
		}
		else if (strcmp(key, "cache_ttl") == 0)
		{
			if (!aigw_jsonb_int64(&v, &n) || n < 1 || n > 315360000)
				option_error(key, "a number of seconds from 1 to 315360000");
			out->cache_ttl_s = (int) n;
		}
		else if (strcmp(key, "retries") != 0)	/* retries: read by the route plan */
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\"", key),
					 errhint("Embeddings take dimensions, input_type, normalize, wallet, tags, timeout_ms, cache, cache_ttl and retries (embed_many also concurrency and on_error).")));
	}
}
