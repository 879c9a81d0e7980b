/*
 * usage_bounds.h
 *	  What an attempt is charged for, whatever its upstream reported.
 */
#ifndef AIGW_USAGE_BOUNDS_H
#define AIGW_USAGE_BOUNDS_H

#include "common/attempt.h"
#include "common/message.h"

/*
 * Bound the attempt's token counts by what the call could use, in place,
 * and set a->usage_anomaly when they are not the upstream's own figures.
 */
extern void aigw_usage_bound(const AigwRequestMsg *rq, AigwAttempt *a);

#endif							/* AIGW_USAGE_BOUNDS_H */
