/*
 * embeddings.c
 *	  The embedding endpoints: OpenAI's POST /embeddings (and every
 *	  OpenAI-style provider), Gemini's :batchEmbedContents, and Bedrock's
 *	  InvokeModel for Titan text embeddings (one text a request) and Cohere
 *	  embed (a list).  build runs in the caller; parse_answer in a worker.
 *
 * An answer can hold hundreds of thousands of floats, so it is not read
 * into jsonb (whose numbers are numerics): the JSON lexer walks it once and
 * every array made only of numbers is a vector, in the order of its "index"
 * member where the protocol gives one (OpenAI), else in document order.
 * The vectors travel to the caller as base64 of little-endian float32, one
 * string per input, in a small jsonb: {"object": "list", "dimensions": d,
 * "data": ["...", ...]}.
 */
#include "postgres.h"

#include <math.h>

#include "common/base64.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "catalog/embed_request.h"
#include "common/json_util.h"
#include "common/pg_compat.h"
#include "providers/provider.h"
#include "common/uri_encode.h"

/* ---------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------
 */

/* The texts of the request, in order (messages is a JSON array of strings). */
static void
push_texts(JsonbParseState **ps, const AigwChatInput *input)
{
	aigw_push_container(ps, WJB_VALUE, &input->messages->root);
}

static void
check_dimensions(const AigwTarget *target, const AigwChatInput *input)
{
	if (input->dimensions == 0 || input->dimensions == target->dimensions)
		return;
	if (!target->dimensions_settable)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" cannot return %d dimensions", target->model_id, input->dimensions),
				 errdetail("Its vectors have %d dimensions and it takes no shorter length (aigw.models.dimensions_settable).",
						   target->dimensions),
				 errhint("Leave out the option \"dimensions\", or pick a model that can shorten its vectors.")));
	if (target->dimensions > 0 && input->dimensions > target->dimensions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" returns at most %d dimensions, not %d",
						target->model_id, target->dimensions, input->dimensions)));
}

static void
openai_embed_build(const AigwTarget *target, const AigwChatInput *input,
				   StringInfo url, StringInfo body)
{
	JsonbParseState *ps = NULL;

	check_dimensions(target, input);
	appendStringInfoString(url, "/embeddings");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "model", target->upstream_model);
	aigw_push_key(&ps, "input");
	push_texts(&ps, input);
	aigw_push_string(&ps, "encoding_format", "float");
	if (input->dimensions > 0)
		aigw_push_int(&ps, "dimensions", input->dimensions);
	/* the OpenAI protocol has no input type: documents and queries are embedded alike */
	aigw_end_body(&ps, &input->options->root, body);
}

static void
gemini_embed_build(const AigwTarget *target, const AigwChatInput *input,
				   StringInfo url, StringInfo body)
{
	JsonbParseState *ps = NULL;
	JsonbIterator *it = JsonbIteratorInit(&input->messages->root);
	JsonbValue	text;
	JsonbIteratorToken tok;
	char	   *model_ref = psprintf("models/%s", target->upstream_model);

	check_dimensions(target, input);
	appendStringInfoString(url, "/models/");
	aigw_uri_encode(url, target->upstream_model, strlen(target->upstream_model), false);
	appendStringInfoString(url, ":batchEmbedContents");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_key(&ps, "requests");
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	while ((tok = JsonbIteratorNext(&it, &text, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(&ps, "model", model_ref);
		aigw_push_key(&ps, "content");
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_key(&ps, "parts");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_value(&ps, "text", &text);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		if (input->input_type)
			aigw_push_string(&ps, "taskType",
							 strcmp(input->input_type, "query") == 0 ? "RETRIEVAL_QUERY" : "RETRIEVAL_DOCUMENT");
		if (input->dimensions > 0)
			aigw_push_int(&ps, "outputDimensionality", input->dimensions);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	aigw_end_body(&ps, &input->options->root, body);
}

static bool
is_titan(const AigwTarget *target)
{
	return strncmp(target->upstream_model, "amazon.titan-embed", 18) == 0;
}

static bool
is_cohere(const AigwTarget *target)
{
	return strncmp(target->upstream_model, "cohere.embed", 12) == 0;
}

static void
bedrock_embed_build(const AigwTarget *target, const AigwChatInput *input,
					StringInfo url, StringInfo body)
{
	JsonbParseState *ps = NULL;

	check_dimensions(target, input);
	appendStringInfoString(url, "/model/");
	aigw_uri_encode(url, target->upstream_model, strlen(target->upstream_model), false);
	appendStringInfoString(url, "/invoke");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	if (is_titan(target))
	{
		JsonbIterator *it = JsonbIteratorInit(&input->messages->root);
		JsonbValue	text;

		if (input->ntexts != 1)
			elog(ERROR, "a Titan embedding request carries one text, not %d", input->ntexts);
		while (JsonbIteratorNext(&it, &text, true) != WJB_ELEM)
			;
		aigw_push_value(&ps, "inputText", &text);
		if (input->dimensions > 0)
			aigw_push_int(&ps, "dimensions", input->dimensions);
		/* Titan has no input type; normalize is done by aigw for every provider alike */
	}
	else if (is_cohere(target))
	{
		aigw_push_key(&ps, "texts");
		push_texts(&ps, input);
		aigw_push_string(&ps, "input_type",
						 input->input_type && strcmp(input->input_type, "query") == 0
						 ? "search_query" : "search_document");
		/* an over-long input is an error, never silently cut */
		aigw_push_string(&ps, "truncate", "NONE");
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("aigw does not know the embedding request of Bedrock model \"%s\"",
						target->upstream_model),
				 errhint("Bedrock embeddings are supported for amazon.titan-embed-* and cohere.embed-* models.")));
	aigw_end_body(&ps, &input->options->root, body);
}

/* ---------------------------------------------------------------------
 * Answers
 * ---------------------------------------------------------------------
 */

#define MAX_DEPTH 64

typedef struct Vector
{
	int			object;			/* serial of the innermost object around it */
	int			offset;			/* into Walk.floats */
	int			n;
} Vector;

typedef struct Walk
{
	int			depth;
	bool		numeric[MAX_DEPTH]; /* arrays: only numbers so far */
	bool		numbers[MAX_DEPTH]; /* arrays: holds a number */
	bool		nested[MAX_DEPTH];	/* arrays: holds an array or object */
	int			start[MAX_DEPTH];	/* arrays: floats offset at their start */
	int			object[MAX_DEPTH];	/* serial of the object open at each depth, or -1 */
	bool		skip[MAX_DEPTH];	/* inside a member that repeats the vectors */
	int			objects;		/* objects seen */
	char	   *field;			/* the member being read */
	float	   *floats;
	int			nfloats;
	int			cap;
	Vector	   *vectors;
	int			nvectors;
	int			vcap;
	int		   *index_of;		/* by object serial: its "index" member, or -1 */
	int			index_cap;
	int64		tokens;			/* the first token count found, or -1 */
	bool		overflow;
	const char *problem;		/* why the answer cannot be used, or NULL */
} Walk;

/*
 * Titan also gives each vector again under "embeddingsByType": {"float":
 * [...]}; only the first copy counts.
 */
static bool
repeats_vectors(const Walk *w)
{
	return w->field != NULL && strcmp(w->field, "embeddingsByType") == 0;
}

static bool
skipping(const Walk *w)
{
	for (int d = 0; d < w->depth; d++)
		if (w->skip[d])
			return true;
	return false;
}

static int
open_object(const Walk *w)
{
	for (int d = w->depth - 1; d >= 0; d--)
		if (w->object[d] >= 0)
			return w->object[d];
	return -1;
}

/* A container opens at w->depth; false when the answer nests too deeply. */
static bool
open_container(Walk *w)
{
	if (w->depth >= MAX_DEPTH)
	{
		w->overflow = true;
		return false;
	}
	if (w->depth > 0)
		w->nested[w->depth - 1] = true;
	w->skip[w->depth] = repeats_vectors(w);
	return true;
}

static JSON_ACTION
walk_object_start(void *state)
{
	Walk	   *w = state;

	if (open_container(w))
	{
		w->object[w->depth] = w->objects++;
		w->numeric[w->depth] = false;
		w->depth++;
	}
	JSON_ACTION_DONE;
}

static JSON_ACTION
walk_end(void *state)
{
	Walk	   *w = state;

	if (w->depth > 0 && !w->overflow)
		w->depth--;
	JSON_ACTION_DONE;
}

static JSON_ACTION
walk_array_start(void *state)
{
	Walk	   *w = state;

	if (open_container(w))
	{
		w->object[w->depth] = -1;
		w->numeric[w->depth] = true;
		w->numbers[w->depth] = false;
		w->nested[w->depth] = false;
		w->start[w->depth] = w->nfloats;
		w->depth++;
	}
	JSON_ACTION_DONE;
}

static JSON_ACTION
walk_array_end(void *state)
{
	Walk	   *w = state;
	int			d = w->depth - 1;

	if (w->overflow || d < 0)
		JSON_ACTION_DONE;
	/* no protocol mixes them: a vector with an array for one of its numbers */
	if (w->numbers[d] && w->nested[d] && w->problem == NULL)
		w->problem = "an array holds both numbers and arrays or objects";
	if (w->numeric[d] && !w->nested[d] && w->nfloats > w->start[d] && !skipping(w))
	{
		if (w->nvectors == w->vcap)
		{
			w->vcap = Max(16, w->vcap * 2);
			w->vectors = w->vectors ? repalloc(w->vectors, sizeof(Vector) * w->vcap)
				: palloc(sizeof(Vector) * w->vcap);
		}
		w->vectors[w->nvectors].object = open_object(w);
		w->vectors[w->nvectors].offset = w->start[d];
		w->vectors[w->nvectors].n = w->nfloats - w->start[d];
		w->nvectors++;
	}
	else if (!w->nested[d])
		w->nfloats = w->start[d];	/* numbers of an array that is no vector */
	w->depth--;
	JSON_ACTION_DONE;
}

static JSON_ACTION
walk_field_start(void *state, char *fname, bool isnull)
{
	((Walk *) state)->field = fname;
	JSON_ACTION_DONE;
}

static JSON_ACTION
walk_element_start(void *state, bool isnull)
{
	((Walk *) state)->field = NULL;	/* an element is no member */
	JSON_ACTION_DONE;
}

/*
 * A JSON number that is a whole number a count can be (what
 * aigw_jsonb_int64 accepts from jsonb), else -1: "1e15" is 10^15 and "1.5"
 * is no count, where strtoll would read both as 1.
 */
static int64
whole_number(const char *token)
{
	double		d = strtod(token, NULL);

	if (!isfinite(d) || d != floor(d) || d < 0 || d > 9.0e15)
		return -1;
	return (int64) d;
}

static JSON_ACTION
walk_scalar(void *state, char *token, JsonTokenType type)
{
	Walk	   *w = state;
	int			d = w->depth - 1;
	bool		in_array = d >= 0 && w->object[d] < 0;

	if (w->overflow)
		JSON_ACTION_DONE;
	if (in_array)
	{
		if (type != JSON_TOKEN_NUMBER)
		{
			w->numeric[d] = false;
			JSON_ACTION_DONE;
		}
		if (w->nfloats == w->cap)
		{
			w->cap = Max(1024, w->cap * 2);
			w->floats = w->floats ? repalloc_huge(w->floats, sizeof(float) * w->cap)
				: palloc_extended(sizeof(float) * w->cap, MCXT_ALLOC_HUGE);
		}
		w->numbers[d] = true;
		w->floats[w->nfloats] = strtof(token, NULL);
		/* 1e39 is a JSON number but no float: a vector of infinities is no embedding */
		if (isinf(w->floats[w->nfloats]) && w->problem == NULL)
			w->problem = "a number is out of the range of a float";
		w->nfloats++;
		JSON_ACTION_DONE;
	}
	if (type != JSON_TOKEN_NUMBER || w->field == NULL)
		JSON_ACTION_DONE;
	if (strcmp(w->field, "index") == 0 && d >= 0)
	{
		int			obj = w->object[d];

		if (obj >= w->index_cap)
		{
			int			cap = Max(obj + 1, w->index_cap * 2);

			w->index_of = w->index_of ? repalloc(w->index_of, sizeof(int) * cap)
				: palloc(sizeof(int) * cap);
			for (int i = w->index_cap; i < cap; i++)
				w->index_of[i] = -1;
			w->index_cap = cap;
		}
		/* PG_INT32_MAX: no whole number a position can be (1.5, -1, 1e308) */
		w->index_of[obj] = (int) Min(whole_number(token), (int64) PG_INT32_MAX);
		if (w->index_of[obj] < 0)
			w->index_of[obj] = PG_INT32_MAX;
	}
	else if (w->tokens < 0 && (strcmp(w->field, "prompt_tokens") == 0 ||
							   strcmp(w->field, "inputTextTokenCount") == 0))
		w->tokens = whole_number(token);	/* -1 (unknown) for a count that is none */
	JSON_ACTION_DONE;
}

static int
index_of(const Walk *w, const Vector *v)
{
	return v->object >= 0 && v->object < w->index_cap ? w->index_of[v->object] : -1;
}

/* Base64 of the vector as little-endian float32, normalized if asked. */
static char *
encode_vector(const float *f, int n)
{
	int			bytes = n * (int) sizeof(float);
	char	   *raw = palloc(bytes);
	char	   *out = palloc(pg_b64_enc_len(bytes) + 1);
	int			len;

	for (int i = 0; i < n; i++)
	{
		uint32		bits;

		memcpy(&bits, &f[i], sizeof(bits));
		raw[4 * i] = (char) (bits & 0xff);
		raw[4 * i + 1] = (char) ((bits >> 8) & 0xff);
		raw[4 * i + 2] = (char) ((bits >> 16) & 0xff);
		raw[4 * i + 3] = (char) ((bits >> 24) & 0xff);
	}
	len = aigw_b64_encode(raw, bytes, out, pg_b64_enc_len(bytes));
	out[Max(len, 0)] = '\0';
	pfree(raw);
	return out;
}

static void
embed_parse_answer(const char *body, size_t len, AigwAttempt *a)
{
	JsonSemAction sem;
	Walk		w;
	JsonbParseState *ps = NULL;
	int		   *order;
	int			dims;

	memset(&w, 0, sizeof(w));
	w.tokens = -1;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &w;
	sem.object_start = walk_object_start;
	sem.object_end = walk_end;
	sem.array_start = walk_array_start;
	sem.array_end = walk_array_end;
	sem.object_field_start = walk_field_start;
	sem.array_element_start = walk_element_start;
	sem.scalar = walk_scalar;
	if (!aigw_json_walk(body, len, &sem) || w.overflow)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer is not valid JSON%s",
						  w.overflow ? " (nested too deeply)" : "");
		return;
	}
	if (w.problem != NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer is not a list of vectors: %s", w.problem);
		return;
	}
	if (w.nvectors == 0)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer holds no vector");
		return;
	}
	/* one vector a text: with more or fewer, which text each vector is of is a guess */
	if (a->inputs > 0 && w.nvectors != a->inputs)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer holds %d vectors for %d texts",
						  w.nvectors, a->inputs);
		return;
	}
	dims = w.vectors[0].n;
	order = palloc(sizeof(int) * w.nvectors);
	for (int i = 0; i < w.nvectors; i++)
	{
		int			at = index_of(&w, &w.vectors[i]);

		if (w.vectors[i].n != dims)
		{
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer mixes vectors of %d and %d dimensions",
							  dims, w.vectors[i].n);
			return;
		}
		order[i] = -1;
		if (at < 0)
			at = i;
		if (at == PG_INT32_MAX)
		{
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer has an index that is not a whole number from 0 to %d",
							  w.nvectors - 1);
			return;
		}
		if (at >= w.nvectors)
		{
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer has index %d among %d vectors",
							  at, w.nvectors);
			return;
		}
		order[i] = at;
	}
	{
		int		   *slot = palloc(sizeof(int) * w.nvectors);

		for (int i = 0; i < w.nvectors; i++)
			slot[i] = -1;
		for (int i = 0; i < w.nvectors; i++)
		{
			if (slot[order[i]] >= 0)
			{
				aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the embeddings answer has index %d twice", order[i]);
				return;
			}
			slot[order[i]] = i;
		}
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_string(&ps, "object", "list");
		aigw_push_int(&ps, "dimensions", dims);
		aigw_push_key(&ps, "data");
		pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
		for (int k = 0; k < w.nvectors; k++)
		{
			Vector	   *v = &w.vectors[slot[k]];
			JsonbValue	s;

			s.type = jbvString;
			s.val.string.val = encode_vector(w.floats + v->offset, v->n);
			s.val.string.len = strlen(s.val.string.val);
			pushJsonbValue(&ps, WJB_ELEM, &s);
		}
		pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		a->result = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	}
	a->status = ATTEMPT_OK;
	/* Gemini and Cohere report no tokens: about 4 bytes of the request a token */
	a->prompt_tokens = w.tokens >= 0 ? w.tokens : (a->request_bytes > 0 ? a->request_bytes / 4 + 1 : -1);
	a->completion_tokens = 0;
}

const AigwProvider aigw_provider_openai_embeddings = {
	.api_style = "openai-embeddings",
	.build = openai_embed_build,
	.parse_answer = embed_parse_answer,
	.parse_error = aigw_parse_error_body,
};

const AigwProvider aigw_provider_gemini_embeddings = {
	.api_style = "gemini-embeddings",
	.build = gemini_embed_build,
	.parse_answer = embed_parse_answer,
	.parse_error = aigw_parse_error_body,
};

const AigwProvider aigw_provider_bedrock_embeddings = {
	.api_style = "bedrock-embeddings",
	.build = bedrock_embed_build,
	.parse_answer = embed_parse_answer,
	.parse_error = aigw_parse_error_body,
};

const AigwProvider *
aigw_embedding_provider_for(const char *api_style)
{
	if (strcmp(api_style, "openai") == 0)
		return &aigw_provider_openai_embeddings;
	if (strcmp(api_style, "gemini") == 0)
		return &aigw_provider_gemini_embeddings;
	if (strcmp(api_style, "bedrock") == 0)
		return &aigw_provider_bedrock_embeddings;
	return NULL;
}
