/*
 * usage_limits_shmem.c
 *	  The usage of every limit in shared memory: the table (one entry per
 *	  database and aigw.limits id, sized by aigw.max_limits), finding or
 *	  creating an entry, and aigw.limit_usage(), which reports it.  What is
 *	  counted, and when, is usage_limits.c's business.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "billing/usage_limits_internal.h"
#include "common/shared_hash.h"

PG_FUNCTION_INFO_V1(aigw_limit_usage);

int			aigw_max_limits = 1024;

static HTAB *usages = NULL;
static LWLock *usages_lock = NULL;

Size
aigw_limits_shmem_size(void)
{
	return hash_estimate_size(aigw_max_limits, sizeof(LimitUsage));
}

void
aigw_limits_shmem_init(void)
{
	usages = aigw_shared_hash_init("aigw limits", aigw_max_limits,
								   sizeof(LimitKey), sizeof(LimitUsage));
	usages_lock = &(GetNamedLWLockTranche("aigw"))[3].lock;
}

static void
init_usage(void *entry, const void *arg)
{
	LimitUsage *u = entry;

	SpinLockInit(&u->mutex);
	u->latest = 0;
	memset(u->requests, 0, sizeof(u->requests));
	memset(u->tokens, 0, sizeof(u->tokens));
	u->window_requests = 0;
	u->window_tokens = 0;
	u->in_flight = 0;
	u->day = -1;
	u->spent_loaded = false;
	u->spent = 0;
	u->reserved = 0;
}

LimitUsage *
aigw_limits_usage_of(const LimitDef *l)
{
	LimitKey	key;
	LimitUsage *u;

	memset(&key, 0, sizeof(key));
	key.dboid = MyDatabaseId;
	key.id = l->id;
	u = aigw_shared_hash_enter(usages, usages_lock, &key, init_usage, NULL);
	if (u == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many limits are in use"),
				 errdetail("aigw.max_limits is %d, across all databases.", aigw_max_limits),
				 errhint("Raise aigw.max_limits (needs a restart).")));
	return u;
}

Datum
aigw_limit_usage(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	LimitUsage *u;
	int64		now_s = GetCurrentTimestamp() / USECS_PER_SEC;
	int32		day = (int32) (now_s / SECS_PER_DAY);

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	LWLockAcquire(usages_lock, LW_SHARED);
	hash_seq_init(&scan, usages);
	while ((u = hash_seq_search(&scan)) != NULL)
	{
		Datum		values[6];
		bool		nulls[6] = {false};
		int32		requests;
		int64		tokens;

		if (u->key.dboid != MyDatabaseId)
			continue;
		SpinLockAcquire(&u->mutex);
		advance(u, now_s);
		requests = u->window_requests;
		tokens = u->window_tokens;
		values[0] = Int64GetDatum(u->key.id);
		values[1] = Int32GetDatum(requests);
		values[2] = Int64GetDatum(tokens);
		values[3] = Int32GetDatum(u->in_flight);
		values[4] = Int64GetDatum(u->day == day ? u->spent : 0);
		values[5] = Int64GetDatum(u->reserved);
		SpinLockRelease(&u->mutex);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(usages_lock);
	return (Datum) 0;
}
