/*
 * embed.c
 *	  aigw.embed and aigw.embed_many.
 *
 * embed_many packs its inputs into as few upstream requests as the model
 * allows (aigw.models.max_inputs_per_request and max_tokens_per_request),
 * in input order, and runs the requests as one batch (batch.c): up to
 * `concurrency` in flight, each with its own retries, reservation and log
 * row.  A request that fails fails only its rows; an input that is empty
 * or over the model's limit of one input is reported in its row and never
 * sent.  The vectors come back from the worker as base64 of little-endian
 * float32 (providers/embeddings.c) and become real[] here.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/settings.h"
#include "batch/batch.h"
#include "caller/cache.h"
#include "caller/call.h"
#include "catalog/catalog.h"
#include "batch/embed.h"
#include "catalog/embed_request.h"
#include "common/json_util.h"
#include "common/pg_compat.h"
#include "pool/pool.h"
#include "caller/upstream_request.h"

PG_FUNCTION_INFO_V1(aigw_embed);
PG_FUNCTION_INFO_V1(aigw_embed_many);
PG_FUNCTION_INFO_V1(aigw_embedding_base64);
PG_FUNCTION_INFO_V1(aigw_embed_refusal_sql);
PG_FUNCTION_INFO_V1(aigw_vector_from_base64);


/* The options as one request sees them, validated before anything is sent. */
AigwChatInput
aigw_embed_options(Jsonb *options)
{
	AigwChatInput input;
	JsonbParseState *ps = NULL;
	Jsonb	   *own;
	Jsonb	   *none;

	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass '{}' for no options, or e.g. '{\"dimensions\": 256}'.")));
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &options->root, aigw_batch_is_call_option);
	own = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	ps = NULL;
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	none = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
	aigw_embed_input_parse(none, own, &input);
	return input;
}

/* A JSON array of the texts, for one request. */
Jsonb *
aigw_embed_texts_json(text **texts, const int *which, int n)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		JsonbValue	v;
		text	   *t = texts[which ? which[i] : i];

		v.type = jbvString;
		v.val.string.val = VARDATA_ANY(t);
		v.val.string.len = VARSIZE_ANY_EXHDR(t);
		pushJsonbValue(&ps, WJB_ELEM, &v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

/* The k-th vector of an answer as real[], of unit length if asked. */
/* A base64 float32 vector (the worker's form) as real[], of unit length if asked. */
static ArrayType *
decode_vector(const char *b64, int len, bool normalize)
{
	int			dlen;
	char	   *raw = palloc(pg_b64_dec_len(len) + 1);
	int			n;
	Datum	   *elems;
	double		norm = 0;

	dlen = aigw_b64_decode(b64, len, raw, pg_b64_dec_len(len));
	if (dlen < 0 || dlen % 4 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a base64 float32 vector")));
	n = dlen / 4;
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		uint32		bits = (uint32) (unsigned char) raw[4 * i] |
			((uint32) (unsigned char) raw[4 * i + 1] << 8) |
			((uint32) (unsigned char) raw[4 * i + 2] << 16) |
			((uint32) (unsigned char) raw[4 * i + 3] << 24);
		float		f;

		memcpy(&f, &bits, sizeof(f));
		elems[i] = Float4GetDatum(f);
		norm += (double) f * f;
	}
	if (normalize && norm > 0)
	{
		norm = sqrt(norm);
		for (int i = 0; i < n; i++)
			elems[i] = Float4GetDatum((float) (DatumGetFloat4(elems[i]) / norm));
	}
	return construct_array(elems, n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
}

ArrayType *
aigw_embed_vector(JsonbValue *data, int k, bool normalize)
{
	JsonbValue *s = getIthJsonbValueFromContainer(data->val.binary.data, k);

	if (s == NULL || s->type != jbvString)
		elog(ERROR, "the embeddings answer has no vector %d", k);
	return decode_vector(s->val.string.val, s->val.string.len, normalize);
}

/* aigw.vector_from_base64(text, normalize): how embed_column writes without a trip through text. */
Datum
aigw_vector_from_base64(PG_FUNCTION_ARGS)
{
	text	   *b64 = PG_GETARG_TEXT_PP(0);

	PG_RETURN_ARRAYTYPE_P(decode_vector(VARDATA_ANY(b64), VARSIZE_ANY_EXHDR(b64), PG_GETARG_BOOL(1)));
}

/* The answer's vectors, or NULL with *why set when they are not one per input. */
JsonbValue *
aigw_embed_answer_vectors(Jsonb *answer, int inputs, char **why)
{
	JsonbValue *data = aigw_jsonb_key(&answer->root, "data");
	int			n;

	if (!aigw_jsonb_is_array(data))
	{
		*why = pstrdup("the embeddings answer has no data");
		return NULL;
	}
	n = JsonContainerSize(data->val.binary.data);
	if (n != inputs)
	{
		*why = psprintf("the provider returned %d vectors for %d inputs", n, inputs);
		return NULL;
	}
	return data;
}

void
aigw_embed_target(const char *model, AigwTarget *target)
{
	aigw_embed_check_model(model);
	/* the model's limits, read once */
	aigw_resolve_model(model, target);
	if (!target->embedding)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a chat model", model),
				 errhint("aigw.embed takes an embedding model: SELECT id FROM aigw.models WHERE kind = 'embedding'.")));
}

int
aigw_embed_max_inputs(const AigwTarget *target)
{
	/* an unknown limit: one input a request is the only safe guess */
	return target->max_inputs_per_request > 0 ? target->max_inputs_per_request : 1;
}

bool
aigw_embed_fits(const AigwTarget *target, int inputs, int64 tokens, int64 need)
{
	if (inputs == 0)
		return true;
	return inputs < aigw_embed_max_inputs(target) &&
		(target->max_tokens_per_request <= 0 || tokens + need <= target->max_tokens_per_request);
}

char *
aigw_embed_refusal(const char *model, const AigwTarget *target, text *input, int *sqlstate)
{
	int64		bytes = VARSIZE_ANY_EXHDR(input);
	int64		tokens = aigw_embed_token_estimate(bytes);

	if (sqlstate)
		*sqlstate = bytes == 0 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED;
	if (bytes == 0)
		return pstrdup("an empty text has no embedding; not sent");
	if (target->context_window > 0 && tokens > target->context_window)
		return psprintf("input of %d bytes (about " INT64_FORMAT " tokens) is over the limit of model \"%s\" (%d tokens an input); not sent",
						(int) bytes, tokens, model, target->context_window);
	return NULL;
}

typedef struct Pack
{
	int		   *rows;			/* input positions, in order */
	int			n;
} Pack;

/*
 * Answer what the response cache holds (one key per input, as if it were
 * sent alone: cache.h), and log the hits as one cache_hit row; returns
 * how many inputs it answered.
 */
static int
answer_from_cache(const char *model, const AigwChatInput *tmpl, const AigwTarget *target,
				  text **texts, int n, ArrayType **vectors, char **errors)
{
	int		   *which = palloc(sizeof(int) * Max(n, 1));
	int			m = 0;
	AigwChatInput all = *tmpl;
	char	   *keys;
	char	  **hex;
	Jsonb	  **cached;
	int			hits = 0;

	for (int i = 0; i < n; i++)
		if (texts[i] != NULL && errors[i] == NULL)
			which[m++] = i;
	if (m == 0)
		return 0;
	all.messages = aigw_embed_texts_json(texts, which, m);
	all.ntexts = m;
	if ((keys = aigw_cache_embedding_keys(model, &all)) == NULL)
		return 0;
	hex = palloc(sizeof(char *) * m);
	for (int j = 0; j < m; j++)
		hex[j] = strtok(j == 0 ? keys : NULL, ",");
	cached = palloc(sizeof(Jsonb *) * m);
	if (aigw_cache_lookup_many(hex, m, cached) == 0)
		return 0;
	for (int j = 0; j < m; j++)
	{
		JsonbValue *data;
		char	   *why;

		if (cached[j] == NULL || (data = aigw_embed_answer_vectors(cached[j], 1, &why)) == NULL)
			continue;
		vectors[which[j]] = aigw_embed_vector(data, 0, tmpl->normalize);
		hits++;
	}
	if (hits > 0)
	{
		/* logged like any cached answer: a row of aigw.requests, at no cost */
		AigwChatInput logged = *tmpl;
		JsonbParseState *ps = NULL;

		logged.ntexts = hits;
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(&ps, "object", "list");
		(void) aigw_pool_call(aigw_build_cached_request(model, target->model_id, target->provider,
														JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL)),
														&logged, 1),
							  NULL, 0);
	}
	return hits;
}

/*
 * Embed n texts (NULL ones are skipped): vectors[i] or errors[i] for each.
 * options as the caller gave them (embed_many's concurrency and on_error
 * included).
 */
static void
embed_inputs(const char *what, const char *model, Jsonb *options, text **texts, int n,
			 ArrayType **vectors, char **errors)
{
	AigwChatInput opts = aigw_embed_options(options);
	bool		raise = aigw_jsonb_string_is(aigw_jsonb_key(&options->root, "on_error"), "raise");
	AigwTarget	target;
	Pack	   *packs;
	int			npacks = 0;
	int			max_inputs;
	int64		pack_tokens = 0;
	Jsonb	  **payloads;
	Jsonb	  **answers;
	char	  **failures;

	aigw_embed_target(model, &target);
	max_inputs = aigw_embed_max_inputs(&target);
	for (int i = 0; i < n; i++)
	{
		int			sqlstate;

		if (texts[i] == NULL || (errors[i] = aigw_embed_refusal(model, &target, texts[i], &sqlstate)) == NULL)
			continue;
		/* on_error raise fails the statement before anything is sent */
		if (raise)
			ereport(ERROR,
					(errcode(sqlstate),
					 errmsg_internal("%s", errors[i]),
					 errcontext("input %d of %s", i + 1, what)));
	}
	answer_from_cache(model, &opts, &target, texts, n, vectors, errors);

	packs = palloc0(sizeof(Pack) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int64		tokens;
		Pack	   *p;

		if (texts[i] == NULL || errors[i] != NULL || vectors[i] != NULL)
			continue;
		tokens = aigw_embed_token_estimate(VARSIZE_ANY_EXHDR(texts[i]));
		p = npacks > 0 ? &packs[npacks - 1] : NULL;
		if (p == NULL || !aigw_embed_fits(&target, p->n, pack_tokens, tokens))
		{
			p = &packs[npacks++];
			p->rows = palloc(sizeof(int) * max_inputs);
			pack_tokens = 0;
		}
		p->rows[p->n++] = i;
		pack_tokens += tokens;
	}

	payloads = palloc0(sizeof(Jsonb *) * Max(npacks, 1));
	answers = palloc0(sizeof(Jsonb *) * Max(npacks, 1));
	failures = palloc0(sizeof(char *) * Max(npacks, 1));
	for (int k = 0; k < npacks; k++)
		payloads[k] = aigw_embed_texts_json(texts, packs[k].rows, packs[k].n);
	aigw_batch_run(model, options, true, what, payloads, npacks, answers, failures);

	for (int k = 0; k < npacks; k++)
	{
		JsonbValue *data = NULL;
		char	   *why = failures[k];

		if (answers[k] != NULL)
			data = aigw_embed_answer_vectors(answers[k], packs[k].n, &why);
		for (int j = 0; j < packs[k].n; j++)
		{
			int			i = packs[k].rows[j];

			if (data != NULL)
				vectors[i] = aigw_embed_vector(data, j, opts.normalize);
			else
				errors[i] = why ? why : pstrdup("no answer");
		}
	}
}

/* The options with on_error = raise. */
static JsonbValue *
with_raise(Jsonb *options)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &options->root, NULL);
	aigw_push_string(&ps, "on_error", "raise");
	return pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
}

Datum
aigw_embed(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *input = PG_GETARG_TEXT_PP(1);
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	ArrayType  *vector = NULL;
	char	   *error = NULL;

	aigw_require_preload();
	if (aigw_jsonb_key(&options->root, "concurrency") || aigw_jsonb_key(&options->root, "on_error"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"concurrency\" and \"on_error\" are for aigw.embed_many")));
	/* a refused input or a failed request raises its own error, with its own SQLSTATE */
	embed_inputs("aigw.embed", model, JsonbValueToJsonb(with_raise(options)), &input, 1, &vector, &error);
	if (vector == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
				 errmsg("no embedding of the text from model \"%s\"", model),
				 errdetail("%s", error ? error : "no answer")));
	PG_RETURN_ARRAYTYPE_P(vector);
}

Datum
aigw_embed_many(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *inputs = PG_GETARG_ARRAYTYPE_P(1);
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	text	  **texts;
	char	  **errors;
	ArrayType **vectors;

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	if (ARR_NDIM(inputs) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("inputs must be a one-dimensional array of text")));
	deconstruct_array(inputs, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	texts = palloc0(sizeof(text *) * Max(n, 1));
	errors = palloc0(sizeof(char *) * Max(n, 1));
	vectors = palloc0(sizeof(ArrayType *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		texts[i] = nulls[i] ? NULL : DatumGetTextPP(elems[i]);
	embed_inputs("aigw.embed_many", model, options, texts, n, vectors, errors);

	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		isnull[3] = {false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = vectors[i] ? PointerGetDatum(vectors[i]) : (Datum) 0;
		isnull[1] = vectors[i] == NULL;
		values[2] = errors[i] ? CStringGetTextDatum(errors[i]) : (Datum) 0;
		isnull[2] = errors[i] == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	return (Datum) 0;
}

/* aigw.embed_refusal(model, input): why embed_many would not send it, or NULL. */
Datum
aigw_embed_refusal_sql(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	AigwTarget	target;
	char	   *why;

	aigw_embed_target(model, &target);
	why = aigw_embed_refusal(model, &target, PG_GETARG_TEXT_PP(1), NULL);
	if (why == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(why));
}

/* OpenAI's encoding_format "base64": little-endian float32, base64. */
Datum
aigw_embedding_base64(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	   *raw;
	char	   *out;
	int			len;

	deconstruct_array(a, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT, &elems, &nulls, &n);
	raw = palloc(Max(n, 1) * 4);
	for (int i = 0; i < n; i++)
	{
		float4		f = nulls[i] ? 0 : DatumGetFloat4(elems[i]);
		uint32		bits;

		memcpy(&bits, &f, sizeof(bits));
		for (int b = 0; b < 4; b++)
			raw[4 * i + b] = (char) ((bits >> (8 * b)) & 0xff);
	}
	out = palloc(pg_b64_enc_len(n * 4) + 1);
	len = aigw_b64_encode(raw, n * 4, out, pg_b64_enc_len(n * 4));
	out[Max(len, 0)] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
