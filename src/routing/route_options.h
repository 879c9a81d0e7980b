/*
 * route_options.h
 *	  Routing options, as a call's options and a route's constraints give
 *	  them, and named routes as aigw.routes stores them.
 */
#ifndef AIGW_ROUTE_OPTIONS_H
#define AIGW_ROUTE_OPTIONS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct RouteOptions
{
	double		min_quality;	/* NAN: none */
	List	   *capabilities;	/* of char * */
	double		max_input_usd;	/* NAN: none */
	double		max_output_usd;
	List	   *providers;
	List	   *exclude_providers;
	List	   *candidates;
	List	   *fallbacks;
	int			retries;		/* -1: not given */
	int			max_models;
	int64		expected_output;
	int			fallback_on_invalid;	/* -1, 0, 1 */
	List	   *given;			/* names of the routing options present */
} RouteOptions;

extern void aigw_route_options_init(RouteOptions *o);

/*
 * Read the routing keys of an object (a call's options, or a route's
 * constraints, where route_only is true and other keys are refused);
 * later calls override what earlier ones set.  `where` names the object in
 * errors.
 */
extern void aigw_route_options_read(Jsonb *obj, const char *where, bool route_only, RouteOptions *o);
extern bool aigw_route_option_given(const RouteOptions *o, const char *key);
extern bool aigw_list_has_string(List *l, const char *s);

typedef struct NamedRoute
{
	char	   *strategy;
	List	   *candidates;
	Jsonb	   *constraints;
	int			max_models;		/* -1: default */
	int			retries;		/* -1: default */
	bool		fallback_on_invalid;
	int			timeout_ms;		/* 0: none */
} NamedRoute;

/* The route of that name; an error if there is none or it is disabled. */
extern void aigw_read_route(const char *name, NamedRoute *r);

#endif							/* AIGW_ROUTE_OPTIONS_H */
