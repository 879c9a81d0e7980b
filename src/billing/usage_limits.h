/*
 * usage_limits.h
 *	  aigw.limits, enforced before each upstream attempt is sent: requests
 *	  and tokens per rolling minute, calls in flight, allowed models,
 *	  worst-case cost per call and spend per UTC day, per role (counting
 *	  every member together) or per wallet, across all sessions.
 *
 *	  An admitted attempt holds its place (in flight, reserved worst case)
 *	  until its outcome is taken; aigw_pool_abandon_all gives back every
 *	  hold of the backend when it errors out or exits.
 */
#ifndef AIGW_USAGE_LIMITS_H
#define AIGW_USAGE_LIMITS_H

#include "postgres.h"

#include "billing/billing.h"
#include "catalog/catalog.h"
#include "common/message.h"

extern int	aigw_max_limits;

/*
 * Check the limits that apply to this attempt of a call to `requested`
 * (served by target) and count it; raise ERRCODE_AIGW_LIMIT_EXCEEDED or
 * ERRCODE_AIGW_MODEL_NOT_ALLOWED when one refuses.  Returns the hold to
 * release, 0 when no limit applies.
 */
extern uint64 aigw_limits_admit(const char *requested, const AigwTarget *target,
								const AigwBill *bill);

/*
 * The attempt ended: its outcome's tokens and cost count (oc may be NULL).
 * sent = false: it never left (the wallet refused it, the pool was full),
 * so it does not count as a request either.
 */
extern void aigw_limits_release(uint64 hold, const AigwOutcomeMsg *oc, bool sent);

/* Give back every hold of this backend (nothing more is counted). */
extern void aigw_limits_release_all(void);

extern Size aigw_limits_shmem_size(void);
extern void aigw_limits_shmem_init(void);

#endif							/* AIGW_USAGE_LIMITS_H */
