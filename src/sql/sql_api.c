/*
 * sql_api.c
 *	  The SQL-callable functions.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/settings.h"
#include "batch/sql_call.h"
#include "caller/call.h"
#include "catalog/catalog.h"
#include "common/json_util.h"
#include "pool/pool.h"
#include "billing/wallet_cache.h"
#include "common/owner_query.h"

PG_FUNCTION_INFO_V1(aigw_chat);
PG_FUNCTION_INFO_V1(aigw_ask);
PG_FUNCTION_INFO_V1(aigw_pool_status);
PG_FUNCTION_INFO_V1(aigw_wallet_reservations);

/* Each a single call (batch/sql_call.c), read ahead where a plan allows it. */
Datum
aigw_chat(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_CHAT, fcinfo);
}

Datum
aigw_ask(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_ASK, fcinfo);
}

Datum
aigw_pool_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	typedef struct Row
	{
		Oid			dboid;
		int			index;
		pid_t		pid;
		int			inflight;
		uint64		completed;
		TimestampTz started_at;
	} Row;
	Row		   *rows;
	int			nrows = 0;

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	rows = palloc(sizeof(Row) * aigw_shared->npools * AIGW_MAX_WORKERS_PER_POOL);

	LWLockAcquire(aigw_shared->lock, LW_SHARED);
	for (int p = 0; p < aigw_shared->npools; p++)
	{
		AigwPool   *pool = &aigw_shared->pools[p];

		if (!OidIsValid(pool->dboid))
			continue;
		for (int i = 0; i < AIGW_MAX_WORKERS_PER_POOL; i++)
		{
			AigwWorkerInfo *w = &pool->workers[i];

			if (w->pid == 0)
				continue;
			rows[nrows++] = (Row)
			{
				pool->dboid, i, w->pid, w->inflight, w->completed, w->started_at
			};
		}
	}
	LWLockRelease(aigw_shared->lock);

	for (int r = 0; r < nrows; r++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};
		char	   *dbname = get_database_name(rows[r].dboid);

		values[0] = dbname ? CStringGetDatum(dbname) : (Datum) 0;
		nulls[0] = (dbname == NULL);
		if (dbname)
			values[0] = DirectFunctionCall1(namein, CStringGetDatum(dbname));
		values[1] = Int32GetDatum(rows[r].index);
		values[2] = Int32GetDatum((int32) rows[r].pid);
		values[3] = Int32GetDatum(rows[r].inflight);
		values[4] = Int64GetDatum((int64) rows[r].completed);
		values[5] = TimestampTzGetDatum(rows[r].started_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Which of these wallets the calling role may read, sorted: the wallets
 * table's row-level security decides, in one query, so the answer is the
 * same as for a SELECT.  SPI must be connected; the list is allocated in
 * the caller's memory context (SPI leaves its own current after a query,
 * and SPI_finish frees it).
 */
static int
visible_wallets(const AigwWalletSnapshot *rows, int n, int64 **visible)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum	   *ids = palloc(sizeof(Datum) * (n + 1));
	Oid			types[1] = {INT8ARRAYOID};
	Datum		values[1];
	int			nvisible;

	for (int i = 0; i < n; i++)
		ids[i] = Int64GetDatum(rows[i].wallet_id);
	values[0] = PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64), true, TYPALIGN_DOUBLE));
	if (SPI_execute_with_args("SELECT id FROM aigw.wallets WHERE id OPERATOR(pg_catalog.=) ANY ($1)",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "wallet lookup failed");
	MemoryContextSwitchTo(cxt);
	nvisible = (int) SPI_processed;
	*visible = palloc(sizeof(int64) * (nvisible + 1));
	for (int i = 0; i < nvisible; i++)
	{
		bool		isnull;

		(*visible)[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	qsort(*visible, nvisible, sizeof(int64), int64_cmp);
	return nvisible;
}

/*
 * This database's wallets as cached in shared memory, with their
 * reservations: those the caller may read.
 */
Datum
aigw_wallet_reservations(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AigwWalletSnapshot *rows;
	int64	   *visible;
	int			n;
	int			nvisible;
	MemoryContext cxt = CurrentMemoryContext;

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	n = aigw_wallet_cache_list(MyDatabaseId, aigw_table_oid("wallet_balances"), &rows);
	SPI_connect();
	MemoryContextSwitchTo(cxt);
	nvisible = visible_wallets(rows, n, &visible);
	SPI_finish();
	for (int i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};

		if (!bsearch(&rows[i].wallet_id, visible, nvisible, sizeof(int64), int64_cmp))
			continue;
		values[0] = Int64GetDatum(rows[i].wallet_id);
		values[1] = Int64GetDatum(rows[i].reserved);
		values[2] = Int32GetDatum(rows[i].calls);
		values[3] = Int64GetDatum(rows[i].balance);
		values[4] = Int64GetDatum(rows[i].version);
		nulls[3] = nulls[4] = rows[i].version < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
