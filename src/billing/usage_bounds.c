/*
 * usage_bounds.c
 *	  The tokens a call is charged for never exceed the bounds its
 *	  reservation was computed from (DESIGN.md, invariant 9): prompt tokens
 *	  at most the request's bytes (plus a bound per image), completion
 *	  tokens at most max_tokens x n, else the model's output limit.  So a
 *	  charge never exceeds its reservation and a wallet never passes its
 *	  credit limit, whatever an upstream reports.
 *
 * The rule, stated once (README, Billing):
 *	- a count above its bound is charged at the bound ("over_bound");
 *	- an answer with no usable prompt or completion count (absent,
 *	  negative, not a whole number) is charged at both bounds, the
 *	  call's reservation ("missing"): the provider billed it for
 *	  something, and aigw cannot tell how much;
 *	- cache reads and writes are parts of the prompt, reasoning a part of
 *	  the completion: each is bounded by what it is part of.
 * The upstream's own usage object is kept in the row whenever a rule
 * applied (settle.c), so an audit sees what it said.
 */
#include "postgres.h"

#include "billing/usage_bounds.h"

/* Bound *count by bound (-1: none); true if it was above. */
static bool
clamp(int64 *count, int64 bound)
{
	if (bound >= 0 && *count > bound)
	{
		*count = bound;
		return true;
	}
	return false;
}

void
aigw_usage_bound(const AigwRequestMsg *rq, AigwAttempt *a)
{
	bool		over = false;

	a->usage_anomaly = NULL;
	if (rq->cached || a->status == ATTEMPT_CACHE_HIT)
		return;					/* nothing was sent: nothing is charged */
	if (a->status == ATTEMPT_OK && (a->prompt_tokens < 0 || a->completion_tokens < 0))
	{
		a->prompt_tokens = Max(rq->input_bound, 0);
		a->completion_tokens = Max(rq->output_bound, 0);
		a->cached_tokens = 0;
		a->cache_write_tokens = 0;
		a->reasoning_tokens = 0;
		a->usage_anomaly = "missing";
		return;
	}
	if (a->prompt_tokens >= 0)
	{
		over |= clamp(&a->prompt_tokens, rq->input_bound);
		over |= clamp(&a->cached_tokens, a->prompt_tokens);
		over |= clamp(&a->cache_write_tokens, a->prompt_tokens - Max(a->cached_tokens, 0));
	}
	if (a->completion_tokens >= 0)
	{
		over |= clamp(&a->completion_tokens, rq->output_bound);
		over |= clamp(&a->reasoning_tokens, a->completion_tokens);
	}
	if (over)
		a->usage_anomaly = "over_bound";
}
