/*
 * quote_cache.c
 *	  Backend-local cache of billing quotes (see quote_cache.h).
 *
 * Correctness rests on three rules:
 *	- A statement trigger on every table the quote reads marks the
 *	  transaction; when it commits, a shared counter is bumped (after the
 *	  commit is visible), and a quote read under an older counter value is
 *	  read again.  The counter is read before the quote's snapshot is
 *	  taken, so a change that commits later always bumps it later.
 *	- Time: a quote holds until the price or exchange-rate period it used
 *	  ends or a scheduled one starts (valid_until).
 *	- What a transaction reads of its own uncommitted changes, or through
 *	  a snapshot older than the statement (REPEATABLE READ), is never
 *	  cached.
 * The balance is not cached data: reservations use the shared-memory
 * balance, which workers keep current.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/shmem.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "common/settings.h"
#include "common/owner_query.h"
#include "catalog/quote_cache.h"

PG_FUNCTION_INFO_V1(aigw_catalog_changed);

#define QUOTE_KEY_LEN 256

typedef struct QuoteEntry
{
	char		key[QUOTE_KEY_LEN]; /* wallet '\x01' model */
	uint64		generation;
	MemoryContext cxt;			/* the quote's strings and numerics */
	AigwQuote	quote;
} QuoteEntry;

static pg_atomic_uint64 *generation = NULL;
static HTAB *quotes = NULL;
static SPIPlanPtr quote_plan = NULL;

/* This transaction changed a table a quote reads: bypass the cache. */
static bool changed_here = false;
static bool callback_registered = false;

enum
{
	Q_WALLETS_EXIST = 1, Q_WALLET_ID, Q_WALLET_XMIN, Q_WALLET_OWNER, Q_WALLET_ENABLED,
	Q_CURRENCY, Q_SCALE, Q_CREDIT_LIMIT, Q_PRICE_CURRENCY, Q_RATE_INPUT, Q_RATE_OUTPUT,
	Q_RATE_CACHED, Q_RATE_REASONING, Q_MAX_INPUT_RATE, Q_MAX_OUTPUT_RATE, Q_FX, Q_FX_TEXT,
	Q_MODEL_MAX_OUTPUT, Q_MODEL_CONTEXT, Q_BALANCE, Q_VERSION, Q_PRICE_SCALE, Q_VALID_UNTIL,
	Q_RATE_CACHE_WRITE, Q_WALLET_GRANTEES, Q_BATCH_RATE_INPUT, Q_BATCH_RATE_OUTPUT,
	Q_BATCH_RATE_CACHED, Q_BATCH_RATE_CACHE_WRITE, Q_BATCH_RATE_REASONING,
	Q_MAX_BATCH_INPUT_RATE, Q_MAX_BATCH_OUTPUT_RATE
};

Size
aigw_quote_cache_shmem_size(void)
{
	return sizeof(pg_atomic_uint64);
}

void
aigw_quote_cache_shmem_init(void)
{
	bool		found;

	generation = ShmemInitStruct("aigw quote generation", sizeof(pg_atomic_uint64), &found);
	if (!found)
		pg_atomic_init_u64(generation, 1);
}

static void
on_xact_end(XactEvent event, void *arg)
{
	if (!changed_here)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			/* it would commit later, in a backend that does not know to bump */
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("aigw's wallets, prices, exchange rates, currencies and models cannot be changed in a prepared transaction"),
					 errhint("Change them in an ordinary transaction.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pg_atomic_fetch_add_u64(generation, 1);
			changed_here = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			changed_here = false;
			break;
		default:
			break;
	}
}

Datum
aigw_catalog_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("aigw.catalog_changed() is a trigger function")));
	/* Not preloaded: there is no shared counter, and no call caches anything. */
	if (!aigw_preloaded)
		return PointerGetDatum(NULL);
	if (!callback_registered)
	{
		RegisterXactCallback(on_xact_end, NULL);
		callback_registered = true;
	}
	changed_here = true;
	return PointerGetDatum(NULL);
}

static Numeric
copy_numeric(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : DatumGetNumericCopy(d);
}

/* Read the quote into q, allocating in the current memory context. */
static void
read_quote(const char *wallet, const char *model, TimestampTz at, AigwQuote *q,
		   MemoryContext cxt)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	Datum		d;

	values[0] = wallet ? CStringGetTextDatum(wallet) : (Datum) 0;
	nulls[0] = wallet ? ' ' : 'n';
	values[1] = CStringGetTextDatum(model);
	values[2] = TimestampTzGetDatum(at);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aigw_query_as_owner(&quote_plan, "SELECT * FROM aigw.billing_quote($1, $2, $3)",
						3, types, values, nulls);
	MemoryContextSwitchTo(cxt);
	q->wallets_exist = aigw_col_int64(Q_WALLETS_EXIST, 0) != 0;
	q->wallet_id = aigw_col_int64(Q_WALLET_ID, 0);
	q->wallet_xmin = (TransactionId) aigw_col_int64(Q_WALLET_XMIN, 0);
	q->wallet_owner = (Oid) aigw_col_int64(Q_WALLET_OWNER, 0);
	q->wallet_enabled = aigw_col_int64(Q_WALLET_ENABLED, 0) != 0;
	q->currency = aigw_col_text(Q_CURRENCY);
	q->scale = (int) aigw_col_int64(Q_SCALE, 0);
	q->credit_limit = aigw_col_int64(Q_CREDIT_LIMIT, 0);
	q->price_currency = aigw_col_text(Q_PRICE_CURRENCY);
	q->rate_input = aigw_col_text(Q_RATE_INPUT);
	q->rate_output = aigw_col_text(Q_RATE_OUTPUT);
	q->rate_cached = aigw_col_text(Q_RATE_CACHED);
	q->rate_reasoning = aigw_col_text(Q_RATE_REASONING);
	q->rate_cache_write = aigw_col_text(Q_RATE_CACHE_WRITE);
	q->max_input_rate = copy_numeric(Q_MAX_INPUT_RATE);
	q->max_output_rate = copy_numeric(Q_MAX_OUTPUT_RATE);
	q->batch_rate_input = aigw_col_text(Q_BATCH_RATE_INPUT);
	q->batch_rate_output = aigw_col_text(Q_BATCH_RATE_OUTPUT);
	q->batch_rate_cached = aigw_col_text(Q_BATCH_RATE_CACHED);
	q->batch_rate_cache_write = aigw_col_text(Q_BATCH_RATE_CACHE_WRITE);
	q->batch_rate_reasoning = aigw_col_text(Q_BATCH_RATE_REASONING);
	q->max_batch_input_rate = copy_numeric(Q_MAX_BATCH_INPUT_RATE);
	q->max_batch_output_rate = copy_numeric(Q_MAX_BATCH_OUTPUT_RATE);
	q->fx = copy_numeric(Q_FX);
	q->fx_text = aigw_col_text(Q_FX_TEXT);
	q->model_max_output = aigw_col_int64(Q_MODEL_MAX_OUTPUT, -1);
	q->model_context = aigw_col_int64(Q_MODEL_CONTEXT, -1);
	q->balance = aigw_col_int64(Q_BALANCE, 0);
	q->version = aigw_col_int64(Q_VERSION, -1);
	q->price_scale = (int) aigw_col_int64(Q_PRICE_SCALE, 0);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, Q_VALID_UNTIL, &isnull);
	q->valid_until = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, Q_WALLET_GRANTEES, &isnull);
	q->grantees = NULL;
	q->ngrantees = 0;
	if (!isnull)
	{
		Datum	   *elems;
		int			n;

		deconstruct_array(DatumGetArrayTypePCopy(d), OIDOID, sizeof(Oid), true, TYPALIGN_INT,
						  &elems, NULL, &n);
		q->grantees = palloc(sizeof(Oid) * Max(n, 1));
		for (int i = 0; i < n; i++)
			q->grantees[i] = DatumGetObjectId(elems[i]);
		q->ngrantees = n;
	}
	SPI_finish();
}

/* A wallet this transaction created is its alone: never cached. */
static bool
reads_own_wallet(const AigwQuote *q)
{
	return q->wallet_id != 0 && TransactionIdIsCurrentTransactionId(q->wallet_xmin);
}

const AigwQuote *
aigw_quote_get(const char *wallet, const char *model, TimestampTz at)
{
	static AigwQuote uncached;
	static MemoryContext uncached_cxt = NULL;
	char		key[QUOTE_KEY_LEN];
	QuoteEntry *e = NULL;
	uint64		gen;
	bool		found;
	MemoryContext old = CurrentMemoryContext;

	if (quotes == NULL)
	{
		HASHCTL		info;

		info.keysize = QUOTE_KEY_LEN;
		info.entrysize = sizeof(QuoteEntry);
		info.hcxt = CacheMemoryContext;
		quotes = hash_create("aigw quotes", 64, &info, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
		uncached_cxt = AllocSetContextCreate(CacheMemoryContext, "aigw uncached quote",
											 ALLOCSET_SMALL_SIZES);
	}

	gen = pg_atomic_read_u64(generation);
	if (snprintf(key, sizeof(key), "%s\x01%s", wallet ? wallet : "", model) < (int) sizeof(key) &&
		!changed_here && !IsolationUsesXactSnapshot())
	{
		e = hash_search(quotes, key, HASH_ENTER, &found);
		if (!found)
		{
			e->cxt = AllocSetContextCreate(CacheMemoryContext, "aigw quote", ALLOCSET_SMALL_SIZES);
			e->generation = 0;
		}
		/* stamped with a generation only when it was cacheable */
		if (e->generation == gen && at < e->quote.valid_until)
			return &e->quote;
	}

	if (e != NULL)
	{
		MemoryContextReset(e->cxt);
		e->generation = 0;		/* until the read succeeds */
		read_quote(wallet, model, at, &e->quote, e->cxt);
		MemoryContextSwitchTo(old);
		if (!reads_own_wallet(&e->quote))
			e->generation = gen;
		return &e->quote;
	}
	MemoryContextReset(uncached_cxt);
	read_quote(wallet, model, at, &uncached, uncached_cxt);
	MemoryContextSwitchTo(old);
	return &uncached;
}

uint64
aigw_catalog_generation(void)
{
	return pg_atomic_read_u64(generation);
}

bool
aigw_catalog_cacheable(void)
{
	return !changed_here && !IsolationUsesXactSnapshot();
}
