/*
 * route_internal.h
 *	  What route.c (the catalogue, ranking and the plan) and
 *	  route_decision.c (the decision and the plan as JSON) share and no
 *	  other module may use: a model as ranking sees it, a candidate with its
 *	  scores and skip, the estimates of a call, and the two calls across.
 */
#ifndef AIGW_ROUTE_INTERNAL_H
#define AIGW_ROUTE_INTERNAL_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "routing/route.h"
#include "routing/route_options.h"

/* The catalogue, as ranking sees it */
typedef struct RouteModel
{
	char	   *id;
	char	   *provider;
	bool		enabled;		/* the model and its provider */
	bool		has_key;		/* a credential is set, or none is needed */
	int			context_window; /* 0: unknown */
	int			max_output;		/* 0: unknown */
	char	   *capabilities;	/* ",tools,vision," for a cheap membership test */
	double		quality;		/* NAN: none */
	double		input_usd;		/* per million tokens; NAN: no price or no FX rate */
	double		output_usd;
	bool		has_price;		/* a price in force, whatever its currency */
} RouteModel;

/* A model in the running for one call */
typedef struct Ranked
{
	RouteModel *m;
	const char *skip_key;		/* why it cannot serve this call, in a word; NULL: eligible */
	const char *skip;			/* ... and in a sentence, once asked for (aigw_route_assess's explain) */
	double		cost;			/* expected USD; NAN: unknown */
	double		latency;
	int			order;			/* position in an explicit list */
} Ranked;

typedef struct CallNeeds
{
	int64		input_tokens;	/* estimated */
	int64		max_output;		/* max_tokens x n; -1: not given */
	int64		expected_output;
	List	   *capabilities;	/* asked for, plus what the request implies */
	TimestampTz now;			/* when the call is planned */
} CallNeeds;

/*
 * Why this model cannot serve the call (r->skip_key, and with explain the
 * sentence in r->skip), or nothing; and its scores.
 */
extern void aigw_route_assess(Ranked *r, const RouteOptions *o, const CallNeeds *need,
							  int strategy, bool explain);

/*
 * Append the members of the decision (plan->decision) for the n ranked
 * models, once ranked and the candidates chosen.
 */
extern void aigw_route_write_decision(AigwRoutePlan *plan, const char *route_name,
									  const RouteOptions *o, const CallNeeds *need,
									  Ranked *ranked, int n, bool explicit_list, int strategy);

#endif							/* AIGW_ROUTE_INTERNAL_H */
