/*
 * route_decision.c
 *	  The routing decision as JSON (see route.h): what a routed call
 *	  records in aigw.requests.route, what a "no route" error shows, and
 *	  the whole plan that aigw.route_explain returns.  Which models are
 *	  chosen, and why, is route.c's business; this file only writes it down.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/json.h"

#include "routing/route_internal.h"

#define MAX_LISTED_SKIPS 5

static void
json_key(StringInfo s, const char *key)
{
	if (s->len > 0 && s->data[s->len - 1] != '{' && s->data[s->len - 1] != '[')
		appendStringInfoChar(s, ',');
	escape_json(s, key);
	appendStringInfoChar(s, ':');
}

static void
json_number(StringInfo s, const char *key, double v)
{
	json_key(s, key);
	if (isnan(v))
		appendStringInfoString(s, "null");
	else
		appendStringInfo(s, "%.10g", v);
}

static void
json_string(StringInfo s, const char *key, const char *v)
{
	json_key(s, key);
	escape_json(s, v);
}

static void
json_string_list(StringInfo s, const char *key, List *l)
{
	ListCell   *lc;

	json_key(s, key);
	appendStringInfoChar(s, '[');
	foreach(lc, l)
	{
		if (lc != list_head(l))
			appendStringInfoChar(s, ',');
		escape_json(s, lfirst(lc));
	}
	appendStringInfoChar(s, ']');
}

static void
json_skip(StringInfo s, const char *model, const char *reason)
{
	if (s->data[s->len - 1] != '[')
		appendStringInfoChar(s, ',');
	appendStringInfoChar(s, '{');
	json_string(s, "model", model);
	json_string(s, "reason", reason);
	appendStringInfoChar(s, '}');
}

static void
write_constraints(StringInfo s, const RouteOptions *o)
{
	json_key(s, "constraints");
	appendStringInfoChar(s, '{');
	if (!isnan(o->min_quality))
		json_number(s, "min_quality", o->min_quality);
	if (o->capabilities)
		json_string_list(s, "capabilities", o->capabilities);
	if (!isnan(o->max_input_usd))
		json_number(s, "max_input_usd_per_mtok", o->max_input_usd);
	if (!isnan(o->max_output_usd))
		json_number(s, "max_output_usd_per_mtok", o->max_output_usd);
	if (o->providers)
		json_string_list(s, "providers", o->providers);
	if (o->exclude_providers)
		json_string_list(s, "exclude_providers", o->exclude_providers);
	appendStringInfoChar(s, '}');
}

/*
 * The members of the decision: the chosen candidates with the figures they
 * were ranked by, the models that ranked above the first choice but could
 * not serve the call and why (all of them for an explicit list), and a
 * count of every skip by reason.
 */
void
aigw_route_write_decision(AigwRoutePlan *plan, const char *route_name, const RouteOptions *o,
						  const CallNeeds *need, Ranked *ranked, int n, bool explicit_list, int strategy)
{
	StringInfo	s = &plan->decision;
	int			nskip_listed = 0;
	bool		before_first = true;
	int			nchosen = 0;

	json_string(s, "strategy", plan->strategy);
	if (route_name)
		json_string(s, "route", route_name);
	json_number(s, "estimated_input_tokens", (double) need->input_tokens);
	if (strcmp(plan->strategy, "cheapest") == 0)
		json_number(s, "expected_output_tokens", (double) need->expected_output);
	write_constraints(s, o);
	json_number(s, "considered", n);

	json_key(s, "chosen");
	appendStringInfoChar(s, '[');
	for (int i = 0; i < n && nchosen < plan->ncandidates; i++)
	{
		if (ranked[i].skip_key)
			continue;
		if (nchosen++ > 0)
			appendStringInfoChar(s, ',');
		appendStringInfoChar(s, '{');
		json_string(s, "model", ranked[i].m->id);
		json_number(s, "expected_cost_usd", ranked[i].cost);
		json_number(s, "quality", ranked[i].m->quality);
		if (!isnan(ranked[i].latency))
			json_number(s, "latency_ms", round(ranked[i].latency * 1000) / 1000);
		appendStringInfoChar(s, '}');
	}
	appendStringInfoChar(s, ']');

	json_key(s, "skipped");
	appendStringInfoChar(s, '[');
	for (int i = 0; i < n; i++)
	{
		if (!ranked[i].skip_key)
		{
			before_first = false;
			continue;
		}
		if (explicit_list || (before_first && nskip_listed < MAX_LISTED_SKIPS))
		{
			aigw_route_assess(&ranked[i], o, need, strategy, true);
			json_skip(s, ranked[i].m->id, ranked[i].skip);
			nskip_listed++;
		}
	}
	appendStringInfoChar(s, ']');

	/* counts by reason, in first-seen order */
	json_key(s, "skipped_counts");
	appendStringInfoChar(s, '{');
	for (int i = 0; i < n; i++)
	{
		int			count = 0;
		bool		seen = false;

		if (!ranked[i].skip_key)
			continue;
		for (int j = 0; j < i && !seen; j++)
			seen = ranked[j].skip_key && strcmp(ranked[j].skip_key, ranked[i].skip_key) == 0;
		if (seen)
			continue;
		for (int j = i; j < n; j++)
			if (ranked[j].skip_key && strcmp(ranked[j].skip_key, ranked[i].skip_key) == 0)
				count++;
		json_number(s, ranked[i].skip_key, count);
	}
	appendStringInfoChar(s, '}');
}

void
aigw_route_note_skip(AigwRoutePlan *plan, const char *model, const char *reason)
{
	plan->late_skips = lappend(plan->late_skips, psprintf("%s%c%s", model, '\0', reason));
}

char *
aigw_route_decision(const AigwRoutePlan *plan)
{
	StringInfoData s;
	ListCell   *lc;

	if (!plan->routed)
		return NULL;
	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	appendBinaryStringInfo(&s, plan->decision.data, plan->decision.len);
	if (plan->late_skips)
	{
		json_key(&s, "skipped_while_calling");
		appendStringInfoChar(&s, '[');
		foreach(lc, plan->late_skips)
		{
			char	   *model = lfirst(lc);

			json_skip(&s, model, model + strlen(model) + 1);
		}
		appendStringInfoChar(&s, ']');
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}

char *
aigw_route_plan_json(const AigwRoutePlan *plan)
{
	StringInfoData s;
	char	   *decision = aigw_route_decision(plan);

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	json_string(&s, "requested_model", plan->requested);
	json_key(&s, "candidates");
	appendStringInfoChar(&s, '[');
	for (int i = 0; i < plan->ncandidates; i++)
	{
		if (i > 0)
			appendStringInfoChar(&s, ',');
		escape_json(&s, plan->candidates[i]);
	}
	appendStringInfoChar(&s, ']');
	json_number(&s, "retries", plan->retries);
	json_key(&s, "fallback_on_invalid");
	appendStringInfoString(&s, plan->fallback_on_invalid ? "true" : "false");
	json_number(&s, "timeout_ms", plan->timeout_ms > 0 ? plan->timeout_ms : NAN);
	if (decision)
	{
		json_key(&s, "decision");
		appendStringInfoString(&s, decision);
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}
