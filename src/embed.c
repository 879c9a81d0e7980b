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

#include "aigw.h"
#include "batch.h"
#include "call.h"
#include "catalog.h"
#include "embed_request.h"
#include "json_util.h"

PG_FUNCTION_INFO_V1(aigw_embed);
PG_FUNCTION_INFO_V1(aigw_embed_many);

/* The batch's own options are not an embedding's. */
static bool
is_embedding_option(const JsonbValue *key)
{
	return !aigw_jsonb_string_is(key, "concurrency") && !aigw_jsonb_string_is(key, "on_error");
}

/* The options as one request sees them, validated before anything is sent. */
static AigwChatInput
read_options(Jsonb *options)
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
	aigw_push_members(&ps, &options->root, is_embedding_option);
	own = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	ps = NULL;
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	none = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
	aigw_embed_input_parse(none, own, &input);
	return input;
}

/* A JSON array of the texts, for one request. */
static Jsonb *
texts_json(text **texts, const int *which, int n)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		JsonbValue	v;

		v.type = jbvString;
		v.val.string.val = VARDATA_ANY(texts[which[i]]);
		v.val.string.len = VARSIZE_ANY_EXHDR(texts[which[i]]);
		pushJsonbValue(&ps, WJB_ELEM, &v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

/* The k-th vector of an answer as real[], of unit length if asked. */
static ArrayType *
vector_of(JsonbValue *data, int k, bool normalize)
{
	JsonbValue *s = getIthJsonbValueFromContainer(data->val.binary.data, k);
	int			dlen;
	char	   *raw;
	int			n;
	Datum	   *elems;
	double		norm = 0;

	if (s == NULL || s->type != jbvString)
		elog(ERROR, "the embeddings answer has no vector %d", k);
	raw = palloc(pg_b64_dec_len(s->val.string.len) + 1);
	dlen = pg_b64_decode(s->val.string.val, s->val.string.len, raw, pg_b64_dec_len(s->val.string.len));
	if (dlen < 0 || dlen % 4 != 0)
		elog(ERROR, "the embeddings answer has a vector that does not decode");
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

/* The answer's vectors, or NULL with *why set when they are not one per input. */
static JsonbValue *
answer_vectors(Jsonb *answer, int inputs, char **why)
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

Datum
aigw_embed(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *input = PG_GETARG_TEXT_PP(1);
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	AigwChatInput opts;
	int			which = 0;
	Jsonb	   *answer;
	JsonbValue *data;
	char	   *why;

	aigw_require_preload();
	opts = read_options(options);
	if (VARSIZE_ANY_EXHDR(input) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an empty text has no embedding")));
	answer = aigw_call_embed(model, texts_json(&input, &which, 1), options);
	if ((data = answer_vectors(answer, 1, &why)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
				 errmsg("model \"%s\" sent an unusable embeddings answer: %s", model, why)));
	PG_RETURN_ARRAYTYPE_P(vector_of(data, 0, opts.normalize));
}

typedef struct Pack
{
	int		   *rows;			/* input positions, in order */
	int			n;
} Pack;

Datum
aigw_embed_many(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *inputs = PG_GETARG_ARRAYTYPE_P(1);
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	AigwChatInput opts;
	AigwTarget	target;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	text	  **texts;
	char	  **row_error;
	ArrayType **row_vector;
	Pack	   *packs;
	int			npacks = 0;
	int			max_inputs;
	int64		pack_tokens = 0;
	Jsonb	  **payloads;
	Jsonb	  **answers;
	char	  **errors;

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	opts = read_options(options);
	if (ARR_NDIM(inputs) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("inputs must be a one-dimensional array of text")));
	deconstruct_array(inputs, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);

	/* the model's limits, read once (its key is not needed here: wipe it) */
	aigw_resolve_model(model, &target);
	if (target.secret)
		explicit_bzero(target.secret, strlen(target.secret));
	max_inputs = target.max_inputs_per_request > 0 ? target.max_inputs_per_request : 1;

	texts = palloc0(sizeof(text *) * Max(n, 1));
	row_error = palloc0(sizeof(char *) * Max(n, 1));
	row_vector = palloc0(sizeof(ArrayType *) * Max(n, 1));
	packs = palloc0(sizeof(Pack) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int64		tokens;
		Pack	   *p;

		if (nulls[i])
			continue;
		texts[i] = DatumGetTextPP(elems[i]);
		tokens = aigw_embed_token_estimate(VARSIZE_ANY_EXHDR(texts[i]));
		if (VARSIZE_ANY_EXHDR(texts[i]) == 0)
		{
			row_error[i] = pstrdup("an empty text has no embedding; not sent");
			continue;
		}
		if (target.context_window > 0 && tokens > target.context_window)
		{
			row_error[i] = psprintf("input of %d bytes (about " INT64_FORMAT " tokens) is over the limit of model \"%s\" (%d tokens an input); not sent",
									(int) VARSIZE_ANY_EXHDR(texts[i]), tokens, model, target.context_window);
			continue;
		}
		p = npacks > 0 ? &packs[npacks - 1] : NULL;
		if (p == NULL || p->n == max_inputs ||
			(target.max_tokens_per_request > 0 && pack_tokens + tokens > target.max_tokens_per_request))
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
	errors = palloc0(sizeof(char *) * Max(npacks, 1));
	for (int k = 0; k < npacks; k++)
		payloads[k] = texts_json(texts, packs[k].rows, packs[k].n);
	aigw_batch_run(model, options, true, "aigw.embed_many", payloads, npacks, answers, errors);

	for (int k = 0; k < npacks; k++)
	{
		JsonbValue *data = NULL;
		char	   *why = errors[k];

		if (answers[k] != NULL)
			data = answer_vectors(answers[k], packs[k].n, &why);
		for (int j = 0; j < packs[k].n; j++)
		{
			int			i = packs[k].rows[j];

			if (data != NULL)
				row_vector[i] = vector_of(data, j, opts.normalize);
			else
				row_error[i] = why ? why : pstrdup("no answer");
		}
	}

	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		isnull[3] = {false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = row_vector[i] ? PointerGetDatum(row_vector[i]) : (Datum) 0;
		isnull[1] = row_vector[i] == NULL;
		values[2] = row_error[i] ? CStringGetTextDatum(row_error[i]) : (Datum) 0;
		isnull[2] = row_error[i] == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	return (Datum) 0;
}
