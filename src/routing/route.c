/*
 * route.c
 *	  From a model string to the ordered candidates of a call (see route.h);
 *	  the decision is written down as JSON by route_decision.c.
 *
 * The catalogue a meta-model ranks (models, their providers, whether a key
 * is set, prices converted to USD) is read once into a backend-local copy
 * and kept until a committed change to those tables bumps the shared
 * change counter (quote_cache.c) or a price period it used ends: ranking a
 * few hundred models then costs microseconds, not a query.
 *
 * Estimates, stated once:
 *	- input tokens: the bytes of the messages and options (tools count) / 3,
 *	  plus 1,500 per image.  English runs near 4 bytes a token and CJK near
 *	  3 (one character, one token), so this errs toward "too long": a model
 *	  whose context window only just fits is passed over rather than sent a
 *	  request it will refuse.
 *	- expected output tokens (auto/cheapest): options.expected_output_tokens,
 *	  else max_tokens x n, capped at EXPECTED_OUTPUT_DEFAULT.
 *	- latency (auto/fastest): health.c's moving average per model.
 * Money is compared in USD through aigw.fx_rates; doubles are fine for a
 * ranking (billing itself never uses them).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "catalog/catalog.h"
#include "routing/health.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "catalog/quote_cache.h"
#include "routing/route_internal.h"

#define EXPECTED_OUTPUT_DEFAULT 256
#define IMAGE_TOKEN_ESTIMATE 1500
#define DEFAULT_MAX_MODELS 3

/* ---------------------------------------------------------------------
 * The catalogue, as ranking sees it
 * ---------------------------------------------------------------------
 */

static struct
{
	MemoryContext cxt;
	uint64		generation;		/* 0: nothing cached */
	TimestampTz valid_until;
	int			n;
	RouteModel *models;
	char	   *known_capabilities; /* ",json,reasoning,...," */
} cat;

static SPIPlanPtr catalogue_plan = NULL;

static const char *const catalogue_sql =
"SELECT id, provider, enabled, has_key, context_window, max_output_tokens,"
"       array_to_string(capabilities, ','), quality, input_usd, output_usd, has_price,"
"       valid_until"
"  FROM aigw.routing_catalogue($1)";

static bool
col_bool(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

static double
col_double(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

static int
col_int(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/* Whether ",a,b," holds item, without building ",item,". */
static bool
comma_list_has(const char *list, const char *item)
{
	size_t		len = strlen(item);

	for (const char *p = strstr(list, item); p; p = strstr(p + 1, item))
		if (p > list && p[-1] == ',' && p[len] == ',')
			return true;
	return false;
}

static void
load_catalogue(TimestampTz now)
{
	uint64		gen = aigw_catalog_generation();
	bool		cacheable = aigw_catalog_cacheable();
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		args[1];
	uint64		n;
	MemoryContext old;
	StringInfoData known;

	if (cat.generation == gen && cacheable && now < cat.valid_until)
		return;
	if (cat.cxt == NULL)
		cat.cxt = AllocSetContextCreate(CacheMemoryContext, "aigw routing catalogue",
										ALLOCSET_DEFAULT_SIZES);
	cat.generation = 0;
	MemoryContextReset(cat.cxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = TimestampTzGetDatum(now);
	n = aigw_query_rows_as_owner(&catalogue_plan, catalogue_sql, 1, types, args, NULL);

	old = MemoryContextSwitchTo(cat.cxt);
	cat.models = palloc0(sizeof(RouteModel) * Max(n, 1));
	cat.n = (int) n;
	cat.valid_until = DT_NOEND;
	initStringInfo(&known);
	appendStringInfoChar(&known, ',');
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		RouteModel *m = &cat.models[i];
		char	   *caps = SPI_getvalue(tup, desc, 7);
		bool		isnull;
		Datum		until;

		m->id = SPI_getvalue(tup, desc, 1);
		m->provider = SPI_getvalue(tup, desc, 2);
		m->enabled = col_bool(tup, desc, 3);
		m->has_key = col_bool(tup, desc, 4);
		m->context_window = col_int(tup, desc, 5);
		m->max_output = col_int(tup, desc, 6);
		m->capabilities = psprintf(",%s,", caps ? caps : "");
		m->quality = col_double(tup, desc, 8);
		m->input_usd = col_double(tup, desc, 9);
		m->output_usd = col_double(tup, desc, 10);
		m->has_price = col_bool(tup, desc, 11);
		until = SPI_getbinval(tup, desc, 12, &isnull);
		if (!isnull && DatumGetTimestampTz(until) < cat.valid_until)
			cat.valid_until = DatumGetTimestampTz(until);

		/* the capabilities any model has: what an option may ask for */
		for (char *c = caps ? strtok(pstrdup(caps), ",") : NULL; c; c = strtok(NULL, ","))
			if (!comma_list_has(known.data, c))
				appendStringInfo(&known, "%s,", c);
	}
	cat.known_capabilities = known.data;
	MemoryContextSwitchTo(old);
	SPI_finish();
	if (cacheable)
		cat.generation = gen;
}

static RouteModel *
find_model(const char *id)
{
	for (int i = 0; i < cat.n; i++)
		if (strcmp(cat.models[i].id, id) == 0)
			return &cat.models[i];
	return NULL;
}

static bool
has_capability(const RouteModel *m, const char *cap)
{
	return comma_list_has(m->capabilities, cap);
}

/* Every name in an option's list must be known: a typo must not silently route elsewhere. */
static void
check_names(List *names, const char *key, bool models)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		bool		known = false;

		for (int i = 0; i < cat.n && !known; i++)
			known = strcmp(models ? cat.models[i].id : cat.models[i].provider, name) == 0;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("%s %s in option \"%s\" is not in the catalogue",
							models ? "model" : "provider", aigw_quote_name(name), key),
					 errhint("%s", models ? "SELECT id FROM aigw.models lists the models."
							 : "SELECT DISTINCT provider FROM aigw.models lists the providers that have models.")));
	}
}

static void
check_capabilities(List *caps)
{
	ListCell   *lc;

	foreach(lc, caps)
	{
		if (!comma_list_has(cat.known_capabilities, lfirst(lc)))
		{
			char	   *known = pstrdup(cat.known_capabilities + 1);

			if (*known)
				known[strlen(known) - 1] = '\0';
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no model has capability \"%s\"", (char *) lfirst(lc)),
					 errdetail("The catalogue's capabilities are: %s.", known),
					 errhint("aigw.models.capabilities lists each model's.")));
		}
	}
}

/* ---------------------------------------------------------------------
 * Ranking
 * ---------------------------------------------------------------------
 */

static int	rank_strategy;		/* for the comparator */

enum
{
	STRATEGY_ORDERED, STRATEGY_CHEAPEST, STRATEGY_FASTEST, STRATEGY_BEST
};

/* Ascending, unknown (NAN) last. */
static int
cmp_known(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a < b ? -1 : a > b ? 1 : 0;
}

static int
ranked_cmp(const void *pa, const void *pb)
{
	const Ranked *a = pa;
	const Ranked *b = pb;
	int			c = 0;

	switch (rank_strategy)
	{
		case STRATEGY_ORDERED:
			return a->order - b->order;
		case STRATEGY_CHEAPEST:
			c = cmp_known(a->cost, b->cost);
			if (c == 0)
				c = cmp_known(-a->m->quality, -b->m->quality);
			break;
		case STRATEGY_FASTEST:
			c = cmp_known(a->latency, b->latency);
			if (c == 0)
				c = cmp_known(a->cost, b->cost);
			break;
		case STRATEGY_BEST:
			c = cmp_known(-a->m->quality, -b->m->quality);
			if (c == 0)
				c = cmp_known(a->cost, b->cost);
			break;
	}
	if (c == 0)
		c = a->order - b->order;
	return c != 0 ? c : strcmp(a->m->id, b->m->id);
}

/*
 * Why this model cannot serve the call (r->skip_key, and with explain the
 * sentence in r->skip), or nothing; and its scores.  Most of a catalogue is
 * skipped and never listed, so the sentence is only written when asked for.
 */
#define SKIP(key, ...) \
	do { \
		r->skip_key = (key); \
		r->skip = explain ? psprintf(__VA_ARGS__) : NULL; \
		return; \
	} while (0)

void
aigw_route_assess(Ranked *r, const RouteOptions *o, const CallNeeds *need, int strategy, bool explain)
{
	RouteModel *m = r->m;
	ListCell   *lc;

	r->skip_key = NULL;
	r->cost = m->has_price && !isnan(m->input_usd) && !isnan(m->output_usd)
		? ((double) need->input_tokens * m->input_usd +
		   (double) need->expected_output * m->output_usd) / 1e6
		: NAN;
	r->latency = strategy == STRATEGY_FASTEST ? aigw_health_latency(m->id, need->now) : NAN;

	if (!m->enabled)
		SKIP("disabled", "the model or its provider is disabled");
	if (!m->has_key)
		SKIP("no_credential", "no credential is set for provider \"%s\"", m->provider);
	foreach(lc, need->capabilities)
		if (!has_capability(m, lfirst(lc)))
			SKIP("capability", "lacks capability \"%s\"", (char *) lfirst(lc));
	if (!isnan(o->min_quality))
	{
		if (isnan(m->quality))
			SKIP("quality", "has no quality score (aigw.models.quality)");
		if (m->quality < o->min_quality)
			SKIP("quality", "quality %g is below min_quality %g", m->quality, o->min_quality);
	}
	if (m->context_window > 0 &&
		need->input_tokens + Max(need->max_output, 0) > m->context_window)
		SKIP("context_window",
			 "context window of %d tokens is too small for about " INT64_FORMAT " input tokens%s",
			 m->context_window, need->input_tokens,
			 need->max_output > 0 ? psprintf(" + " INT64_FORMAT " max_tokens", need->max_output) : "");
	if (m->max_output > 0 && need->max_output > m->max_output)
		SKIP("max_output", "max_tokens " INT64_FORMAT " is over its output limit of %d",
			 need->max_output, m->max_output);
	if (!isnan(o->max_input_usd) || !isnan(o->max_output_usd))
	{
		if (!m->has_price)
			SKIP("no_price", "has no price in force, so max_price_per_mtok cannot be checked");
		if (isnan(m->input_usd))
			SKIP("no_fx_rate", "its price has no exchange rate to USD in aigw.fx_rates");
		if ((!isnan(o->max_input_usd) && m->input_usd > o->max_input_usd) ||
			(!isnan(o->max_output_usd) && m->output_usd > o->max_output_usd))
			SKIP("max_price",
				 "price %g / %g USD per million input / output tokens is over max_price_per_mtok",
				 m->input_usd, m->output_usd);
	}
	if (strategy == STRATEGY_CHEAPEST && isnan(r->cost))
	{
		if (m->has_price)
			SKIP("no_fx_rate", "its price has no exchange rate to USD in aigw.fx_rates");
		SKIP("no_price", "has no price in force, so its cost cannot be compared");
	}
}

/* ---------------------------------------------------------------------
 * The plan
 * ---------------------------------------------------------------------
 */

/* Routing options make no sense on a plain model: say so rather than ignore them. */
static void
refuse_routing_options(const char *model, const RouteOptions *o)
{
	static const char *const routing_only[] = {
		"min_quality", "capabilities", "max_price_per_mtok", "providers", "exclude_providers",
		"candidates", "max_models", "expected_output_tokens"
	};

	for (int i = 0; i < lengthof(routing_only); i++)
		if (aigw_route_option_given(o, routing_only[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" needs a meta-model or a route, not model %s",
							routing_only[i], aigw_quote_name(model)),
					 errhint("Call e.g. aigw.chat('auto/cheapest', ...), or list other models in option \"fallbacks\".")));
}

static void
estimate_needs(const AigwChatInput *input, const RouteOptions *o, CallNeeds *need)
{
	JsonbValue *tools = aigw_jsonb_key(&input->options->root, "tools");
	JsonbValue *format = aigw_jsonb_path2(&input->options->root, "response_format", "type");
	int64		bytes = VARSIZE_ANY_EXHDR(input->messages) + VARSIZE_ANY_EXHDR(input->options);

	need->input_tokens = (bytes + 2) / 3 + (int64) input->images * IMAGE_TOKEN_ESTIMATE;
	need->max_output = input->max_output_tokens > 0
		? input->max_output_tokens * Max(input->choices, 1) : -1;
	need->expected_output = o->expected_output > 0 ? o->expected_output
		: need->max_output > 0 ? Min(need->max_output, EXPECTED_OUTPUT_DEFAULT)
		: EXPECTED_OUTPUT_DEFAULT;

	need->capabilities = list_copy(o->capabilities);
	if (tools && aigw_jsonb_is_array(tools) && JsonContainerSize(tools->val.binary.data) > 0 &&
		!aigw_list_has_string(need->capabilities, "tools"))
		need->capabilities = lappend(need->capabilities, "tools");
	if (input->images > 0 && !aigw_list_has_string(need->capabilities, "vision"))
		need->capabilities = lappend(need->capabilities, "vision");
	if (format && (aigw_jsonb_string_is(format, "json_object") || aigw_jsonb_string_is(format, "json_schema")) &&
		!aigw_list_has_string(need->capabilities, "json"))
		need->capabilities = lappend(need->capabilities, "json");
}

static int
strategy_code(const char *name)
{
	if (strcmp(name, "cheapest") == 0)
		return STRATEGY_CHEAPEST;
	if (strcmp(name, "fastest") == 0)
		return STRATEGY_FASTEST;
	if (strcmp(name, "best") == 0)
		return STRATEGY_BEST;
	if (strcmp(name, "ordered") == 0)
		return STRATEGY_ORDERED;
	return -1;
}

void
aigw_route_plan(const char *model, const AigwChatInput *input, AigwRoutePlan *plan)
{
	RouteOptions o;
	NamedRoute	route;
	const char *route_name = NULL;
	List	   *pool = NIL;		/* explicit candidates, in order; NIL: the catalogue */
	bool		explicit_list;
	int			strategy;
	int			n = 0;
	int			max_models;
	Ranked	   *ranked;
	CallNeeds	need;
	TimestampTz now = GetCurrentTimestamp();

	memset(plan, 0, sizeof(*plan));
	memset(&route, 0, sizeof(route));
	plan->requested = model;
	aigw_route_options_init(&o);
	initStringInfo(&plan->decision);

	if (strncmp(model, "auto/", 5) == 0)
	{
		plan->strategy = model + 5;
		strategy = strategy_code(plan->strategy);
		if (strategy < 0 || strategy == STRATEGY_ORDERED)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown meta-model %s", aigw_quote_name(model)),
					 errhint("The meta-models are auto/cheapest, auto/fastest and auto/best; named routes are written route/<name>.")));
	}
	else if (strncmp(model, "route/", 6) == 0)
	{
		route_name = model + 6;
		aigw_read_route(route_name, &route);
		plan->strategy = route.strategy;
		strategy = strategy_code(route.strategy);
		pool = route.candidates;
		aigw_route_options_read(route.constraints, psprintf("constraint of route \"%s\"", route_name), true, &o);
	}
	else
	{
		plan->strategy = "ordered";
		strategy = STRATEGY_ORDERED;
		pool = list_make1((char *) model);
	}
	aigw_route_options_read(input->options, "option", false, &o);

	if (pool != NIL && route_name == NULL && o.fallbacks == NIL)
	{
		/* a plain model: no ranking, no decision; only retries apply */
		refuse_routing_options(model, &o);
		plan->ncandidates = 1;
		plan->candidates = palloc(sizeof(char *));
		plan->candidates[0] = pstrdup(model);
		plan->retries = o.retries >= 0 ? o.retries : aigw_max_retries;
		plan->fallback_on_invalid = o.fallback_on_invalid == 1;
		plan->timeout_ms = input->timeout_ms;
		return;
	}

	load_catalogue(now);
	plan->routed = true;
	if (o.candidates != NIL)
		pool = o.candidates;	/* the call narrows the route's list */
	if (o.fallbacks != NIL)
	{
		if (route_name != NULL || strncmp(model, "auto/", 5) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"fallbacks\" is for a plain model, not \"%s\"", model),
					 errhint("A meta-model or a route falls back on its own; narrow it with option \"candidates\".")));
		if (find_model(model) == NULL)
		{
			AigwTarget	target;

			aigw_resolve_model(model, &target); /* its own clear error */
		}
		pool = list_concat(list_make1((char *) model), o.fallbacks);
		plan->strategy = "fallbacks";
	}
	check_names(pool, o.fallbacks ? "fallbacks" : "candidates", true);
	check_names(o.providers, "providers", false);
	check_names(o.exclude_providers, "exclude_providers", false);
	check_capabilities(o.capabilities);
	explicit_list = pool != NIL;
	estimate_needs(input, &o, &need);
	need.now = now;

	/* who is in the running: the explicit list, or the whole catalogue */
	ranked = palloc0(sizeof(Ranked) * (explicit_list ? list_length(pool) : Max(cat.n, 1)));
	if (explicit_list)
	{
		ListCell   *lc;

		foreach(lc, pool)
		{
			RouteModel *m = find_model(lfirst(lc));
			bool		dup = false;

			for (int i = 0; i < n && !dup; i++)
				dup = ranked[i].m == m;
			if (dup)
				continue;
			ranked[n].m = m;
			ranked[n].order = n;
			n++;
		}
	}
	else
		for (int i = 0; i < cat.n; i++)
		{
			ranked[n].m = &cat.models[i];
			ranked[n].order = n;
			n++;
		}

	/* the provider filters narrow who is considered; they are not skips */
	{
		int			kept = 0;

		for (int i = 0; i < n; i++)
		{
			const char *p = ranked[i].m->provider;

			if ((o.providers != NIL && !aigw_list_has_string(o.providers, p)) ||
				aigw_list_has_string(o.exclude_providers, p))
				continue;
			ranked[kept++] = ranked[i];
		}
		n = kept;
	}

	for (int i = 0; i < n; i++)
		aigw_route_assess(&ranked[i], &o, &need, strategy, false);
	rank_strategy = strategy;
	qsort(ranked, n, sizeof(Ranked), ranked_cmp);

	max_models = o.max_models > 0 ? o.max_models
		: (route_name && route.max_models > 0) ? route.max_models
		: strategy == STRATEGY_ORDERED ? n : DEFAULT_MAX_MODELS;
	/*
	 * Copied: the catalogue is read again when a change commits, and a
	 * batch plans its other calls while this one is still going.
	 */
	plan->candidates = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n && plan->ncandidates < max_models; i++)
		if (!ranked[i].skip_key)
			plan->candidates[plan->ncandidates++] = pstrdup(ranked[i].m->id);

	plan->retries = o.retries >= 0 ? o.retries
		: (route_name && route.retries >= 0) ? route.retries
		: plan->ncandidates > 1 ? 0 : aigw_max_retries;
	plan->fallback_on_invalid = o.fallback_on_invalid >= 0 ? o.fallback_on_invalid == 1
		: route_name ? route.fallback_on_invalid : false;
	plan->timeout_ms = input->timeout_ms > 0 ? input->timeout_ms
		: route_name ? route.timeout_ms : 0;
	aigw_route_write_decision(plan, route_name, &o, &need, ranked, n, explicit_list, strategy);

	if (plan->ncandidates == 0)
	{
		char	   *decision = aigw_route_decision(plan);

		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_ROUTE),
				 errmsg("no model can serve \"%s\" under the call's constraints", model),
				 errdetail("Routing decision: %s", decision),
				 errhint("Relax min_quality, capabilities or max_price_per_mtok, widen the candidates, set the missing credentials, or shorten the request.")));
	}
}
