/*
 * usage_limits.c
 *	  aigw.limits, enforced before each attempt is sent (see usage_limits.h).
 *
 * The enabled rows of aigw.limits are copied into the backend and read
 * again when a change to aigw's catalogue commits, so a call reads no
 * table.  The usage of each limit lives in a shared-memory entry (per
 * database and limit id, usage_limits_shmem.c) under its own spinlock: a
 * ring of one-second buckets of requests and tokens over the last minute,
 * calls in flight, today's spend (UTC) and the worst cases reserved by
 * calls in flight.
 * Money is counted in units of 10^-(minor units + 6) of the limit's
 * currency, as the ledger counts it; a call priced in another currency is
 * converted at the rate in force.
 *
 * After a restart the minute windows start empty; today's spend is read
 * once from aigw.requests when a limit is first used.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "common/pg_compat.h"
#include "common/settings.h"
#include "billing/usage_limits_internal.h"
#include "common/owner_query.h"
#include "catalog/quote_cache.h"
#include "tenants/tenant.h"

PG_FUNCTION_INFO_V1(aigw_limit_check_cost);
PG_FUNCTION_INFO_V1(aigw_model_allowed);

#define MAX_APPLICABLE 16

/*
 * Under the spinlock: seconds until what the window holds drops below
 * limit, counting requests (tokens = false) or tokens.
 */
static int
seconds_until_below(const LimitUsage *u, int64 now_s, int64 limit, bool tokens)
{
	int64		total = tokens ? u->window_tokens : u->window_requests;

	/* drop the oldest seconds first */
	for (int64 s = u->latest - WINDOW_S + 1; s <= u->latest; s++)
	{
		int			b = (int) (s % WINDOW_S);

		total -= tokens ? u->tokens[b] : u->requests[b];
		if (total < limit)
			return (int) Max(s + WINDOW_S - now_s, 1);
	}
	return WINDOW_S;
}

/* ---------------------------------------------------------------------
 * The limits of this database, as read from aigw.limits
 * ---------------------------------------------------------------------
 */
static LimitDef *defs = NULL;
static int	ndefs = 0;
static uint64 defs_generation = 0;
static MemoryContext defs_cxt = NULL;
static SPIPlanPtr defs_plan = NULL;

static int64
numeric_units(Datum d, int scale)
{
	int64		pow10 = 1;

	for (int i = 0; i < scale; i++)
		pow10 *= 10;
	d = DirectFunctionCall2(numeric_mul, d, NumericGetDatum(int64_to_numeric(pow10)));
	d = DirectFunctionCall1(numeric_floor, d);
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, d));
}

static void
load_defs(void)
{
	uint64		n;

	if (defs_cxt == NULL)
		defs_cxt = AllocSetContextCreate(CacheMemoryContext, "aigw limits", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(defs_cxt);
	defs = NULL;
	ndefs = 0;
	defs_generation = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	n = aigw_query_rows_as_owner(&defs_plan, "SELECT * FROM aigw.limits_catalogue()",
								 0, NULL, NULL, NULL);
	defs = MemoryContextAllocZero(defs_cxt, sizeof(LimitDef) * Max(n, 1));
	for (uint64 r = 0; r < n; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		LimitDef   *l = &defs[r];
		bool		isnull;
		Datum		d;

		l->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		l->role = isnull ? InvalidOid : DatumGetObjectId(d);
		d = SPI_getbinval(tup, desc, 3, &isnull);
		l->wallet = isnull ? NULL : MemoryContextStrdup(defs_cxt, TextDatumGetCString(d));
		d = SPI_getbinval(tup, desc, 4, &isnull);
		l->requests_per_minute = isnull ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		l->tokens_per_minute = isnull ? 0 : DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 6, &isnull);
		l->max_in_flight = isnull ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 7, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			int			ne;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, NULL, &ne);
			l->models = MemoryContextAlloc(defs_cxt, sizeof(char *) * ne);
			for (int i = 0; i < ne; i++)
				l->models[i] = MemoryContextStrdup(defs_cxt, TextDatumGetCString(elems[i]));
			l->nmodels = ne;
		}
		l->scale = DatumGetInt32(SPI_getbinval(tup, desc, 11, &isnull));
		d = SPI_getbinval(tup, desc, 8, &isnull);
		l->max_cost = isnull ? -1 : numeric_units(d, l->scale);
		d = SPI_getbinval(tup, desc, 9, &isnull);
		l->spend_per_day = isnull ? -1 : numeric_units(d, l->scale);
		l->currency = MemoryContextStrdup(defs_cxt,
										  TextDatumGetCString(SPI_getbinval(tup, desc, 10, &isnull)));
	}
	SPI_finish();
	ndefs = (int) n;
}

/* The limits as they stand for this transaction. */
static void
current_defs(void)
{
	uint64		gen = aigw_catalog_generation();

	if (defs_generation == gen && defs_cxt != NULL && aigw_catalog_cacheable())
		return;
	load_defs();
	if (aigw_catalog_cacheable())
		defs_generation = gen;
}

/* '*' matches any run of characters; nothing else is special. */
static bool
glob_match(const char *pattern, const char *s)
{
	const char *star = NULL;
	const char *resume = NULL;

	while (*s)
	{
		if (*pattern == '*')
		{
			star = pattern++;
			resume = s;
		}
		else if (*pattern == *s)
		{
			pattern++;
			s++;
		}
		else if (star)
		{
			pattern = star + 1;
			s = ++resume;
		}
		else
			return false;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static bool
model_allowed(const LimitDef *l, const char *requested, const char *model)
{
	bool		meta = strncmp(requested, "auto/", 5) == 0 || strncmp(requested, "route/", 6) == 0;

	for (int i = 0; i < l->nmodels; i++)
		if (glob_match(l->models[i], model) || (meta && glob_match(l->models[i], requested)))
			return true;
	return false;
}

static const char *
limit_owner(const LimitDef *l)
{
	char	   *role;

	if (l->wallet)
		return psprintf("wallet \"%s\"", l->wallet);
	role = GetUserNameFromId(l->role, true);
	return psprintf("role \"%s\"", role ? role : "(dropped)");
}

/* ---------------------------------------------------------------------
 * Money in a limit's currency
 * ---------------------------------------------------------------------
 */
static SPIPlanPtr fx_plan = NULL;

/* The rate from one currency to another in force now; raises when there is none. */
static double
fx_rate(const char *from, const char *to, int64 limit_id)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(from), CStringGetTextDatum(to)};
	char	   *rate;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aigw_query_as_owner(&fx_plan, "SELECT (SELECT rate FROM aigw.fx_quote($1, $2, now()))::text",
						2, types, values, NULL);
	rate = aigw_col_text(1);
	SPI_finish();
	if (rate == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_FX_RATE),
				 errmsg("no exchange rate from %s to %s is in force", from, to),
				 errdetail("aigw.limits id " INT64_FORMAT " counts spend in %s and this call costs %s.",
						   limit_id, to, from),
				 errhint("An administrator can set one with aigw.set_fx('%s', '%s', rate).", from, to)));
	return strtod(rate, NULL);
}

/* units at from_scale, times fx, at to_scale; rounded up when `up`. */
static int64
convert_units(int64 units, int from_scale, int to_scale, double fx, bool up)
{
	double		v = (double) units * fx;

	for (int i = from_scale; i < to_scale; i++)
		v *= 10;
	for (int i = to_scale; i < from_scale; i++)
		v /= 10;
	return (int64) (up ? ceil(v) : rint(v));
}

/* ---------------------------------------------------------------------
 * Holds: what an admitted attempt counts until it is released
 * ---------------------------------------------------------------------
 */
typedef struct LimitHold
{
	uint64		id;
	int			n;
	LimitUsage *usage[MAX_APPLICABLE];
	int64		reserved[MAX_APPLICABLE];	/* in each limit's units */
	int64		admitted_s;		/* the second its request was counted in */
	int			from_scale;		/* of the call's cost */
	int			to_scale[MAX_APPLICABLE];
	double		fx[MAX_APPLICABLE];
} LimitHold;

static LimitHold *holds = NULL;
static int	nholds = 0;
static int	holds_cap = 0;
static uint64 next_hold_id = 1;

/*
 * Give back what a hold counts; with an outcome, count its tokens and
 * cost.  An attempt that was never sent does not count as a request.
 */
static void
release_hold(LimitHold *h, const AigwOutcomeMsg *oc, bool sent)
{
	int64		now_s = GetCurrentTimestamp() / USECS_PER_SEC;
	int32		day = (int32) (now_s / SECS_PER_DAY);

	for (int i = 0; i < h->n; i++)
	{
		LimitUsage *u = h->usage[i];
		int64		cost = 0;

		if (oc != NULL && oc->cost_units > 0)
			cost = convert_units(oc->cost_units, h->from_scale, h->to_scale[i], h->fx[i], false);
		SpinLockAcquire(&u->mutex);
		u->in_flight--;
		u->reserved -= h->reserved[i];
		advance(u, now_s);
		if (!sent)
			count(u, h->admitted_s, -1, 0);
		if (oc != NULL)
		{
			roll_day(u, day);
			u->spent += cost;
			count(u, now_s, 0, oc->tokens);
		}
		SpinLockRelease(&u->mutex);
	}
}

void
aigw_limits_release(uint64 hold, const AigwOutcomeMsg *oc, bool sent)
{
	if (hold == 0)
		return;
	for (int i = nholds - 1; i >= 0; i--)
		if (holds[i].id == hold)
		{
			release_hold(&holds[i], oc, sent);
			holds[i] = holds[--nholds];
			return;
		}
}

void
aigw_limits_release_all(void)
{
	while (nholds > 0)
		release_hold(&holds[--nholds], NULL, true);
}

/* ---------------------------------------------------------------------
 * Admission
 * ---------------------------------------------------------------------
 */
pg_noreturn
static void
refuse(const LimitDef *l, const char *what, const char *detail, int retry_s)
{
	ereport(ERROR,
			(errcode(ERRCODE_AIGW_LIMIT_EXCEEDED),
			 errmsg("limit of %s reached: %s", limit_owner(l), what),
			 errdetail("%s Limit: aigw.limits id " INT64_FORMAT ". Nothing was sent.", detail, l->id),
			 retry_s > 0
			 ? errhint("The limit frees up in %d s.", retry_s)
			 : errhint("An administrator can change the limit in aigw.limits.")));
}

static SPIPlanPtr spent_plan = NULL;

/* Today's spend under a limit as the log has it, once per server start and day. */
static void
load_spent(const LimitDef *l, LimitUsage *u, int32 day)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(l->id)};
	bool		loaded;
	int64		spent;
	char	   *text;

	/* a racy peek is enough to skip the lock on every call but the first of a day */
	if (u->spent_loaded && u->day == day)
		return;
	SpinLockAcquire(&u->mutex);
	roll_day(u, day);
	loaded = u->spent_loaded;
	SpinLockRelease(&u->mutex);
	if (loaded)
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aigw_query_as_owner(&spent_plan, "SELECT aigw.limit_spent_today($1)::text", 1, types, values, NULL);
	text = aigw_col_text(1);
	SPI_finish();
	spent = text ? aigw_units_from_text(text, l->scale) : 0;

	SpinLockAcquire(&u->mutex);
	roll_day(u, day);
	if (!u->spent_loaded)
	{
		/* calls settled meanwhile are in both; the log is the larger */
		u->spent = Max(u->spent, spent);
		u->spent_loaded = true;
	}
	SpinLockRelease(&u->mutex);
}

/* The limits that apply to this attempt, into out[]; returns how many. */
static int
applicable(const char *wallet, const LimitDef **out)
{
	Oid			user = GetUserId();
	bool		super = superuser_arg(user);
	int			n = 0;

	for (int i = 0; i < ndefs; i++)
	{
		const LimitDef *l = &defs[i];
		bool		applies;

		if (l->wallet != NULL)
			applies = wallet != NULL && strcmp(l->wallet, wallet) == 0;
		else
			applies = !super && is_member_of_role_nosuper(user, l->role);
		if (!applies)
			continue;
		if (n == MAX_APPLICABLE)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("more than %d limits apply to this call", MAX_APPLICABLE),
					 errhint("Merge some rows of aigw.limits.")));
		out[n++] = l;
	}
	return n;
}

typedef enum Refusal
{
	REFUSED_NOT, REFUSED_REQUESTS, REFUSED_TOKENS, REFUSED_IN_FLIGHT, REFUSED_SPEND
} Refusal;

/* A limit's usage as the refusing check saw it. */
typedef struct Seen
{
	int32		requests;
	int64		tokens;
	int32		in_flight;
	int64		spent;
	int64		reserved;
} Seen;

static bool
counts_money(const LimitDef *l)
{
	return l->max_cost >= 0 || l->spend_per_day >= 0;
}

uint64
aigw_limits_admit(const char *requested, const AigwTarget *target, const AigwBill *bill)
{
	const char *wallet = bill->billed ? bill->wallet : NULL;
	const LimitDef *apply[MAX_APPLICABLE];
	int64		worst = -2;		/* -2: not computed yet */
	int64		now_s;
	int32		day;
	LimitHold	h;
	int			n;
	int			admitted = 0;
	Refusal		refused = REFUSED_NOT;
	Seen		seen;
	int			retry = 0;

	current_defs();
	if (ndefs == 0)
		return 0;
	n = applicable(wallet, apply);
	if (n == 0)
		return 0;

	memset(&h, 0, sizeof(h));
	h.from_scale = bill->scale;
	now_s = GetCurrentTimestamp() / USECS_PER_SEC;
	h.admitted_s = now_s;
	day = (int32) (now_s / SECS_PER_DAY);

	/* what needs no shared state, and may read tables, first */
	for (int i = 0; i < n; i++)
	{
		const LimitDef *l = apply[i];

		if (l->nmodels > 0 && !model_allowed(l, requested, target->model_id))
		{
			StringInfoData patterns;

			initStringInfo(&patterns);
			for (int k = 0; k < l->nmodels; k++)
				appendStringInfo(&patterns, "%s%s", k ? ", " : "", l->models[k]);
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_MODEL_NOT_ALLOWED),
					 errmsg("model \"%s\" is not allowed for %s", target->model_id, limit_owner(l)),
					 strcmp(requested, target->model_id) != 0
					 ? errdetail("\"%s\" picked it. Allowed: %s (aigw.limits id " INT64_FORMAT "). Nothing was sent.",
								 requested, patterns.data, l->id)
					 : errdetail("Allowed: %s (aigw.limits id " INT64_FORMAT "). Nothing was sent.",
								 patterns.data, l->id),
					 errhint("Call a model that matches, or have an administrator widen aigw.limits.allowed_models.")));
		}
		h.to_scale[i] = l->scale;
		h.fx[i] = 1.0;
		if (!counts_money(l))
			continue;
		if (worst == -2)
			worst = aigw_billing_worst_case(bill);
		if (worst < 0)
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_LIMIT_EXCEEDED),
					 errmsg("the cost of a call to model \"%s\" cannot be bounded for the limit of %s",
							target->model_id, limit_owner(l)),
					 errdetail("aigw.limits id " INT64_FORMAT " limits spend, and the model has no price in force or no output limit. Nothing was sent.",
							   l->id),
					 errhint("Pass max_tokens, or have an administrator set the model's price.")));
		if (strcmp(bill->currency, l->currency) != 0)
			h.fx[i] = fx_rate(bill->currency, l->currency, l->id);
		h.reserved[i] = convert_units(worst, bill->scale, l->scale, h.fx[i], true);
		if (l->max_cost >= 0 && h.reserved[i] > l->max_cost)
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_LIMIT_EXCEEDED),
					 errmsg("limit of %s reached: a call may cost at most %s %s", limit_owner(l),
							aigw_units_text(l->max_cost, l->scale), l->currency),
					 errdetail("This call to model \"%s\" may cost up to %s %s (aigw.limits id " INT64_FORMAT "). Nothing was sent.",
							   target->model_id, aigw_units_text(h.reserved[i], l->scale), l->currency, l->id),
					 errhint("Bound the answer with a lower max_tokens, or shorten the messages.")));
		if (l->spend_per_day >= 0)
			load_spent(l, aigw_limits_usage_of(l), day);
	}

	/* room for the hold before anything is counted: nothing may fail after */
	if (nholds == holds_cap)
	{
		int			cap = Max(16, holds_cap * 2);

		holds = holds ? repalloc(holds, sizeof(LimitHold) * cap)
			: MemoryContextAlloc(TopMemoryContext, sizeof(LimitHold) * cap);
		holds_cap = cap;
	}
	for (int i = 0; i < n; i++)
		h.usage[i] = aigw_limits_usage_of(apply[i]);

	/* then each counter, all or nothing (no allocation under a spinlock) */
	for (; admitted < n; admitted++)
	{
		const LimitDef *l = apply[admitted];
		LimitUsage *u = h.usage[admitted];

		SpinLockAcquire(&u->mutex);
		roll_day(u, day);
		advance(u, now_s);
		seen.requests = u->window_requests;
		seen.tokens = u->window_tokens;
		seen.in_flight = u->in_flight;
		seen.spent = u->spent;
		seen.reserved = u->reserved;
		if (l->requests_per_minute > 0 && seen.requests >= l->requests_per_minute)
		{
			refused = REFUSED_REQUESTS;
			retry = seconds_until_below(u, now_s, l->requests_per_minute, false);
		}
		else if (l->tokens_per_minute > 0 && seen.tokens >= l->tokens_per_minute)
		{
			refused = REFUSED_TOKENS;
			retry = seconds_until_below(u, now_s, l->tokens_per_minute, true);
		}
		else if (l->max_in_flight > 0 && seen.in_flight >= l->max_in_flight)
			refused = REFUSED_IN_FLIGHT;
		else if (l->spend_per_day >= 0 && seen.spent + seen.reserved + h.reserved[admitted] > l->spend_per_day)
		{
			refused = REFUSED_SPEND;
			retry = (int) ((int64) (day + 1) * SECS_PER_DAY - now_s);
		}
		else
		{
			count(u, now_s, 1, 0);
			u->in_flight++;
			u->reserved += h.reserved[admitted];
		}
		SpinLockRelease(&u->mutex);
		if (refused != REFUSED_NOT)
			break;
	}
	if (refused != REFUSED_NOT)
	{
		const LimitDef *l = apply[admitted];
		char	   *what;
		char	   *detail;

		/* give back what the limits before the refusing one counted */
		h.n = admitted;
		release_hold(&h, NULL, false);
		detail = psprintf("%d requests were sent in the last 60 s and %d calls are in flight under it.",
						  seen.requests, seen.in_flight);
		switch (refused)
		{
			case REFUSED_REQUESTS:
				what = psprintf("%d requests per minute", l->requests_per_minute);
				break;
			case REFUSED_TOKENS:
				what = psprintf(INT64_FORMAT " tokens per minute", l->tokens_per_minute);
				detail = psprintf("Answers in the last 60 s used " INT64_FORMAT " tokens.", seen.tokens);
				break;
			case REFUSED_IN_FLIGHT:
				what = psprintf("%d calls in flight", l->max_in_flight);
				break;
			default:
				what = psprintf("%s %s per day", aigw_units_text(l->spend_per_day, l->scale), l->currency);
				detail = psprintf("Spent today (UTC): %s %s, reserved by calls in flight: %s, this call may cost up to %s.",
								  aigw_units_text(seen.spent, l->scale), l->currency,
								  aigw_units_text(seen.reserved, l->scale),
								  aigw_units_text(h.reserved[admitted], l->scale));
				break;
		}
		refuse(l, what, detail, retry);
	}

	h.n = n;
	h.id = next_hold_id++;
	holds[nholds++] = h;
	return h.id;
}

/* ---------------------------------------------------------------------
 * SQL
 * ---------------------------------------------------------------------
 */
/*
 * For bench/: admit and release an attempt of the current role on its
 * wallet n times, through the code a call runs, and say how long one
 * check took.  Each admission counts like a request.
 */
Datum
aigw_limit_check_cost(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(1));
	AigwChatInput input;
	AigwTarget	target;
	AigwBill	bill;
	const LimitDef *apply[MAX_APPLICABLE];
	instr_time	start,
				elapsed;
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	aigw_require_preload();
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be at least 1")));
	memset(&input, 0, sizeof(input));
	input.max_output_tokens = 16;
	input.tags = "{}";
	aigw_resolve_model(model, &target);
	aigw_billing_quote(&target, &input, 64, GetCurrentTimestamp(), &bill);

	INSTR_TIME_SET_CURRENT(start);
	for (int i = 0; i < n; i++)
		aigw_limits_release(aigw_limits_admit(model, &target, &bill), NULL, false);
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(applicable(bill.billed ? bill.wallet : NULL, apply));
	values[1] = Float8GetDatum(INSTR_TIME_GET_DOUBLE(elapsed) * 1e9 / n);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/*
 * aigw.model_allowed(model): whether the allowlists that apply to the
 * current role and the wallet it would pay with let it call model (what
 * aigw_api.models lists).
 */
Datum
aigw_model_allowed(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const LimitDef *apply[MAX_APPLICABLE];
	int			n;

	aigw_require_preload();
	current_defs();
	n = applicable(aigw_tenant_wallet(NULL), apply);
	for (int i = 0; i < n; i++)
		if (apply[i]->nmodels > 0 && !model_allowed(apply[i], model, model))
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(true);
}
