/*
 * usage_limits_internal.h
 *	  What usage_limits.c (the check before each attempt) and
 *	  usage_limits_shmem.c (the usage table in shared memory) share and no
 *	  other module may use: a limit as read from aigw.limits, its usage
 *	  entry, and the rolling minute kept under the entry's spinlock.
 */
#ifndef AIGW_USAGE_LIMITS_INTERNAL_H
#define AIGW_USAGE_LIMITS_INTERNAL_H

#include "postgres.h"

#include "storage/spin.h"

#include "billing/usage_limits.h"

#define WINDOW_S 60

/* ---------------------------------------------------------------------
 * Shared usage
 * ---------------------------------------------------------------------
 */
typedef struct LimitKey
{
	Oid			dboid;
	int64		id;
} LimitKey;

typedef struct LimitUsage
{
	LimitKey	key;
	slock_t		mutex;
	int64		latest;			/* newest second counted; bucket s % WINDOW_S holds second s */
	int32		requests[WINDOW_S];
	int64		tokens[WINDOW_S];
	int32		window_requests;	/* the buckets' sums */
	int64		window_tokens;
	int32		in_flight;
	int32		day;			/* UTC day that `spent` is of */
	bool		spent_loaded;	/* the log's spend of `day` is in it */
	int64		spent;
	int64		reserved;		/* worst cases of calls in flight */
} LimitUsage;

/* The limits of this database, as read from aigw.limits */
typedef struct LimitDef
{
	int64		id;
	Oid			role;			/* or InvalidOid */
	char	   *wallet;			/* or NULL */
	int32		requests_per_minute;	/* 0: none */
	int64		tokens_per_minute;
	int32		max_in_flight;
	char	  **models;			/* allowed patterns; nmodels 0: any */
	int			nmodels;
	int64		max_cost;		/* units; -1: none */
	int64		spend_per_day;
	char	   *currency;
	int			scale;
} LimitDef;

/*
 * The usage entry of a limit in this database, created (empty) on first
 * use; raises when aigw.max_limits entries are taken.
 */
extern LimitUsage *aigw_limits_usage_of(const LimitDef *l);

/* Under the entry's spinlock: start a new day when it has come. */
static inline void
roll_day(LimitUsage *u, int32 day)
{
	if (u->day != day)
	{
		u->spent_loaded = false;
		u->spent = 0;
		u->day = day;
	}
}

/*
 * Under the spinlock: move the window to end at now_s, emptying the seconds
 * that left it (constant time per call: the sums are kept, not recomputed).
 * A clock a little behind another backend's counts into its own second,
 * which is still in the window.
 */
static inline void
advance(LimitUsage *u, int64 now_s)
{
	if (now_s <= u->latest)
		return;
	if (now_s - u->latest >= WINDOW_S)
	{
		memset(u->requests, 0, sizeof(u->requests));
		memset(u->tokens, 0, sizeof(u->tokens));
		u->window_requests = 0;
		u->window_tokens = 0;
	}
	else
		for (int64 s = u->latest + 1; s <= now_s; s++)
		{
			int			b = (int) (s % WINDOW_S);

			u->window_requests -= u->requests[b];
			u->window_tokens -= u->tokens[b];
			u->requests[b] = 0;
			u->tokens[b] = 0;
		}
	u->latest = now_s;
}

/* Under the spinlock: count requests and tokens in second s (in the window). */
static inline void
count(LimitUsage *u, int64 s, int32 requests, int64 tokens)
{
	int			b = (int) (s % WINDOW_S);

	if (s <= u->latest - WINDOW_S)
		return;					/* already out of the window */
	u->requests[b] += requests;
	u->tokens[b] += tokens;
	u->window_requests += requests;
	u->window_tokens += tokens;
}

#endif							/* AIGW_USAGE_LIMITS_INTERNAL_H */
