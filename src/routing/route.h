/*
 * route.h
 *	  Which models a call may go to, in which order: a model string,
 *	  a meta-model (auto/cheapest, auto/fastest, auto/best) or a named route
 *	  (route/<name>) becomes an ordered list of candidates, with the policy
 *	  for retrying and falling back, and the decision recorded for the call.
 */
#ifndef AIGW_ROUTE_H
#define AIGW_ROUTE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#include "catalog/chat_request.h"

typedef struct AigwRoutePlan
{
	const char *requested;		/* the model string as the caller wrote it */
	bool		routed;			/* more than a plain model: a decision is recorded */
	const char *strategy;		/* cheapest, fastest, best, ordered */
	int			ncandidates;
	char	  **candidates;		/* catalogue ids, in the order to try */
	int			retries;		/* retries of the same model */
	bool		fallback_on_invalid;	/* an invalid-request answer moves on too */
	int			timeout_ms;		/* the whole call; 0: no limit of its own */
	/* the decision, as JSON members (text), and the skips found later */
	StringInfoData decision;
	List	   *late_skips;		/* "model\0reason" strings, appended by the caller */
} AigwRoutePlan;

/*
 * Resolve a model string for a call.  Raises a clear error, before anything
 * is sent, for an unknown meta-model, route or candidate, a bad routing
 * option, or when no model meets the constraints.
 */
extern void aigw_route_plan(const char *model, const AigwChatInput *input, AigwRoutePlan *plan);

/* A candidate skipped while the call ran (its circuit was open, say). */
extern void aigw_route_note_skip(AigwRoutePlan *plan, const char *model, const char *reason);

/* The decision as a JSON object (text), as far as it is known now. */
extern char *aigw_route_decision(const AigwRoutePlan *plan);

/* The whole plan as a JSON object (aigw.route_explain): candidates, policy and decision. */
extern char *aigw_route_plan_json(const AigwRoutePlan *plan);

#endif							/* AIGW_ROUTE_H */
