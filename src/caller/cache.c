/*
 * cache.c
 *	  See cache.h.
 *
 * The key is the SHA-256 of the calling role, the model string as
 * written (a meta-model and its constraints are part of the request) and
 * the normalized request: the messages and the options, as jsonb prints
 * them (keys sorted, whitespace normalized), without the options that do
 * not change the answer (tags, wallet, timeout_ms, retries, cache,
 * cache_ttl).  The role is in the key so that no role is ever served an
 * answer to another role's request.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "caller/cache.h"
#include "common/json_util.h"
#include "common/owner_query.h"

bool		aigw_cache_enabled = false;
int			aigw_cache_ttl_s = 86400;

static bool
changes_the_answer(const JsonbValue *key)
{
	static const char *const neutral[] = {"tags", "wallet", "timeout_ms", "retries", "cache", "cache_ttl"};

	for (int i = 0; i < lengthof(neutral); i++)
		if (aigw_jsonb_string_is(key, neutral[i]))
			return false;
	return true;
}

static bool
temperature_is_zero(const AigwChatInput *input)
{
	JsonbValue *t = aigw_jsonb_key(&input->options->root, "temperature");
	double		d;

	return t != NULL && aigw_jsonb_number(t, &d) && d == 0;
}

/* Whether a call is cached: option "cache" when given, else aigw.cache for a deterministic request. */
static bool
is_cached(const AigwChatInput *input)
{
	/* an embedding is as deterministic as a temperature-0 answer */
	return input->cache == 1 ||
		(input->cache < 0 && aigw_cache_enabled && (input->embedding || temperature_is_zero(input)));
}

/* The options that change the answer, as text: part of every key. */
static char *
answer_options_text(const AigwChatInput *input)
{
	JsonbParseState *ps = NULL;
	Jsonb	   *options;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &input->options->root, changes_the_answer);
	options = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	return JsonbToCString(NULL, &options->root, VARSIZE(options));
}

/* SHA-256 of role, model, messages and options, as hex. */
static void
hash_key(const char *role, const char *model, const char *messages_text, const char *options_text,
		 char hex[AIGW_CACHE_KEY_LEN * 2 + 1])
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[AIGW_CACHE_KEY_LEN];
	static const char sep = '\0';

	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) role, strlen(role)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) &sep, 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) model, strlen(model)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) &sep, 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) messages_text, strlen(messages_text)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) &sep, 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) options_text, strlen(options_text)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute the cache key: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[AIGW_CACHE_KEY_LEN * 2] = '\0';
}

bool
aigw_cache_key(const char *model, const AigwChatInput *input, char hex[AIGW_CACHE_KEY_LEN * 2 + 1])
{
	if (!is_cached(input))
		return false;
	hash_key(GetUserNameFromId(GetUserId(), false), model,
			 JsonbToCString(NULL, &input->messages->root, VARSIZE(input->messages)),
			 answer_options_text(input), hex);
	return true;
}

char *
aigw_cache_embedding_keys(const char *model, const AigwChatInput *input)
{
	JsonbIterator *it;
	JsonbValue	text;
	JsonbIteratorToken tok;
	StringInfoData keys;
	StringInfoData one;
	const char *role;
	char	   *options_text;

	if (!is_cached(input))
		return NULL;
	/* the same for every input: read once */
	role = GetUserNameFromId(GetUserId(), false);
	options_text = answer_options_text(input);
	initStringInfo(&keys);
	initStringInfo(&one);
	it = JsonbIteratorInit(&input->messages->root);
	while ((tok = JsonbIteratorNext(&it, &text, true)) != WJB_DONE)
	{
		char		hex[AIGW_CACHE_KEY_LEN * 2 + 1];

		if (tok != WJB_ELEM)
			continue;
		/* the input alone, as jsonb prints a one-element array */
		resetStringInfo(&one);
		appendStringInfoChar(&one, '[');
		escape_json(&one, pnstrdup(text.val.string.val, text.val.string.len));
		appendStringInfoChar(&one, ']');
		hash_key(role, model, one.data, options_text, hex);
		appendStringInfo(&keys, "%s%s", keys.len ? "," : "", hex);
	}
	return keys.data;
}

static SPIPlanPtr lookup_many_plan = NULL;

int
aigw_cache_lookup_many(char *const *hex, int n, Jsonb **responses)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[1] = {TEXTARRAYOID};
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	Datum		args[1];
	uint64		rows;

	for (int i = 0; i < n; i++)
	{
		elems[i] = CStringGetTextDatum(hex[i]);
		responses[i] = NULL;
	}
	args[0] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rows = aigw_query_rows_as_owner(&lookup_many_plan,
									"SELECT k.ord, c.response"
									"  FROM pg_catalog.unnest($1) WITH ORDINALITY AS k(hex, ord)"
									"  JOIN aigw.response_cache c"
									"    ON c.key OPERATOR(pg_catalog.=) pg_catalog.decode(k.hex, 'hex')"
									" WHERE c.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()",
									1, types, args, NULL);
	MemoryContextSwitchTo(caller);
	for (uint64 r = 0; r < rows; r++)
	{
		bool		isnull;
		int64		ord = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		Datum		response = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);

		responses[ord - 1] = DatumGetJsonbPCopy(response);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return (int) rows;
}

static SPIPlanPtr lookup_plan = NULL;

static const char *const lookup_sql =
"SELECT model, provider, response FROM aigw.response_cache"
" WHERE key OPERATOR(pg_catalog.=) pg_catalog.decode($1, 'hex')"
"   AND expires_at OPERATOR(pg_catalog.>) pg_catalog.now()";

bool
aigw_cache_lookup(const char *hex, AigwCacheEntry *entry)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = CStringGetTextDatum(hex);
	found = aigw_query_rows_as_owner(&lookup_plan, lookup_sql, 1, types, args, NULL) == 1;
	if (found)
	{
		bool		isnull;
		Datum		response = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);

		MemoryContextSwitchTo(caller);
		entry->model = aigw_col_text(1);
		entry->provider = aigw_col_text(2);
		entry->response = DatumGetJsonbPCopy(response);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return found;
}
