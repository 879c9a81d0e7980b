/*
 * route_options.c
 *	  Routing options and named routes (see route_options.h).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/pg_compat.h"
#include "common/settings.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "routing/route_options.h"

/* ---------------------------------------------------------------------
 * Routing options: of a call, and the constraints of a route
 * ---------------------------------------------------------------------
 */

void
aigw_route_options_init(RouteOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->min_quality = NAN;
	o->max_input_usd = NAN;
	o->max_output_usd = NAN;
	o->retries = -1;
	o->max_models = -1;
	o->expected_output = -1;
	o->fallback_on_invalid = -1;
}

pg_noreturn
static void
route_option_error(const char *where, const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" must be %s", where, key, expected),
			 errhint("See \"Routing\" in aigw's README for the routing options.")));
}

static List *
string_list(const char *where, const char *key, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	List	   *out = NIL;

	if (!aigw_jsonb_is_array(v))
		route_option_error(where, key, "an array of strings");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvString || e.val.string.len == 0)
			route_option_error(where, key, "an array of non-empty strings");
		out = lappend(out, pnstrdup(e.val.string.val, e.val.string.len));
	}
	return out;
}

static int64
int_option(const char *where, const char *key, JsonbValue *v, int64 min, int64 max)
{
	int64		i;

	if (!aigw_jsonb_int64(v, &i) || i < min || i > max)
		route_option_error(where, key, psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT, min, max));
	return i;
}

static double
price_option(const char *where, const char *key, JsonbValue *v)
{
	double		d;

	if (!aigw_jsonb_number(v, &d) || d < 0)
		route_option_error(where, key, "a number >= 0 (USD per million tokens), or {\"input\": n, \"output\": n}");
	return d;
}

/*
 * Read the routing keys of an object (a call's options, or a route's
 * constraints); later calls override what earlier ones set.  Keys that are
 * not routing options are left to chat_request.c (for options) or refused
 * (for a route's constraints, where route_only is true).
 */
void
aigw_route_options_read(Jsonb *obj, const char *where, bool route_only, RouteOptions *o)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;

	if (obj == NULL)
		return;
	it = JsonbIteratorInit(&obj->root);
	while (aigw_jsonb_next_member(&it, &k, &v))
	{
		char	   *key = pnstrdup(k.val.string.val, k.val.string.len);

		if (strcmp(key, "min_quality") == 0)
		{
			if (!aigw_jsonb_number(&v, &o->min_quality) || o->min_quality < 0 || o->min_quality > 100)
				route_option_error(where, key, "a number from 0 to 100");
		}
		else if (strcmp(key, "capabilities") == 0)
			o->capabilities = string_list(where, key, &v);
		else if (strcmp(key, "max_price_per_mtok") == 0)
		{
			if (aigw_jsonb_is_object(&v))
			{
				JsonbValue *in = aigw_jsonb_key(v.val.binary.data, "input");
				JsonbValue *out = aigw_jsonb_key(v.val.binary.data, "output");

				if (in == NULL && out == NULL)
					route_option_error(where, key, "a number, or an object with \"input\" and/or \"output\"");
				o->max_input_usd = in ? price_option(where, key, in) : NAN;
				o->max_output_usd = out ? price_option(where, key, out) : NAN;
			}
			else
				o->max_input_usd = o->max_output_usd = price_option(where, key, &v);
		}
		else if (strcmp(key, "providers") == 0)
			o->providers = string_list(where, key, &v);
		else if (strcmp(key, "exclude_providers") == 0)
			o->exclude_providers = string_list(where, key, &v);
		else if (strcmp(key, "expected_output_tokens") == 0)
			o->expected_output = int_option(where, key, &v, 1, PG_INT32_MAX);
		else if (!route_only && strcmp(key, "candidates") == 0)
			o->candidates = string_list(where, key, &v);
		else if (!route_only && strcmp(key, "fallbacks") == 0)
			o->fallbacks = string_list(where, key, &v);
		else if (!route_only && strcmp(key, "retries") == 0)
			o->retries = (int) int_option(where, key, &v, 0, 10);
		else if (!route_only && strcmp(key, "max_models") == 0)
			o->max_models = (int) int_option(where, key, &v, 1, 100);
		else if (!route_only && strcmp(key, "fallback_on_invalid") == 0)
		{
			if (v.type != jbvBool)
				route_option_error(where, key, "true or false");
			o->fallback_on_invalid = v.val.boolean;
		}
		else if (route_only)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s has an unknown key \"%s\"", where, key),
					 errhint("A route's constraints may set min_quality, capabilities, max_price_per_mtok, providers, exclude_providers and expected_output_tokens.")));
		else
			continue;
		o->given = lappend(o->given, key);
	}
}

bool
aigw_route_option_given(const RouteOptions *o, const char *key)
{
	ListCell   *lc;

	foreach(lc, o->given)
		if (strcmp((char *) lfirst(lc), key) == 0)
			return true;
	return false;
}

bool
aigw_list_has_string(List *l, const char *s)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------------
 * Named routes
 * ---------------------------------------------------------------------
 */

static SPIPlanPtr route_plan = NULL;

static const char *const route_sql =
"SELECT r.strategy, array_to_string(r.candidates, chr(1)), r.constraints, r.max_models,"
"       r.retries, r.fallback_on_invalid, r.timeout_ms, r.enabled"
"  FROM (SELECT 1) AS one"
"  LEFT JOIN aigw.routes r ON r.name OPERATOR(pg_catalog.=) $1";

void
aigw_read_route(const char *name, NamedRoute *r)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	char	   *candidates;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = CStringGetTextDatum(name);
	aigw_query_as_owner(&route_plan, route_sql, 1, types, args, NULL);
	if (aigw_col_isnull(1))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown route %s", aigw_quote_name(name)),
				 errhint("SELECT name FROM aigw.routes lists the routes; an administrator adds one with INSERT INTO aigw.routes.")));
	if (!aigw_col_int64(8, 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("route \"%s\" is disabled", name),
				 errhint("An administrator can enable it with UPDATE aigw.routes SET enabled = true WHERE name = '%s'.", name)));

	MemoryContextSwitchTo(caller);
	r->strategy = aigw_col_text(1);
	candidates = aigw_col_text(2);
	r->candidates = NIL;
	if (candidates != NULL && *candidates)
		for (char *c = strtok(candidates, "\x01"); c; c = strtok(NULL, "\x01"))
			r->candidates = lappend(r->candidates, c);
	r->constraints = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
													  3, &isnull));
	r->max_models = (int) aigw_col_int64(4, -1);
	r->retries = (int) aigw_col_int64(5, -1);
	r->fallback_on_invalid = aigw_col_int64(6, 0) != 0;
	r->timeout_ms = (int) aigw_col_int64(7, 0);
	SPI_finish();
}
