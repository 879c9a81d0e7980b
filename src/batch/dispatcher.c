/*
 * dispatcher.c
 *	  The dispatcher of a database's asynchronous calls (see dispatcher.h).
 *
 * aigw.submit only inserts a row into aigw.submissions, in the caller's
 * transaction: an outbox, so that a rolled-back submit is never sent
 * (DESIGN.md, "Who writes the tables").  The dispatcher, a background
 * worker connected to the database, claims committed rows, and for each
 * runs the same call state machine as aigw.chat (call.h), as the
 * submitting role, through the same worker pool; it writes the answer or
 * the error back into the row.  It is woken at the submitter's commit and
 * looks at the outbox every second besides.
 *
 * A call that was running when its dispatcher stopped may have been served
 * (and charged): the next dispatcher marks it as an error that says so
 * rather than send it again.
 *
 * The dispatcher also polls and settles the database's provider batches
 * (batch_settle.c), and stays while any is open.  At server start (after a
 * crash too) the launcher starts one in every database, which leaves at
 * once unless it finds work: batches go on across restarts.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "caller/call.h"
#include "batch/batch_settle.h"
#include "batch/dispatcher.h"
#include "pool/pool.h"
#include "tenants/tenant.h"

#define DISPATCHER_POLL_MS 1000
#define DISPATCHER_FROM_LAUNCHER 1	/* bgw_extra: leave at once unless there is work */
#define DISPATCHER_START_DEADLINE_MS 10000

/* ---------------------------------------------------------------------
 * The registry: one dispatcher per database
 * ---------------------------------------------------------------------
 */

typedef struct DispatcherInfo
{
	Oid			dboid;			/* InvalidOid: unused */
	pid_t		pid;			/* 0 until it attached */
	PGPROC	   *proc;
	bool		registered;
	TimestampTz registered_at;
	int			expecting;		/* transactions that submitted and have not ended */
} DispatcherInfo;

typedef struct Dispatchers
{
	slock_t		mutex;			/* protects every entry */
	int			n;
	DispatcherInfo d[FLEXIBLE_ARRAY_MEMBER];
} Dispatchers;

static Dispatchers *dispatchers = NULL;

Size
aigw_dispatcher_shmem_size(void)
{
	return add_size(offsetof(Dispatchers, d), mul_size(aigw_max_databases, sizeof(DispatcherInfo)));
}

void
aigw_dispatcher_shmem_init(void)
{
	bool		found;

	dispatchers = ShmemInitStruct("aigw dispatchers", aigw_dispatcher_shmem_size(), &found);
	if (!found)
	{
		SpinLockInit(&dispatchers->mutex);
		dispatchers->n = aigw_max_databases;
		memset(dispatchers->d, 0, sizeof(DispatcherInfo) * aigw_max_databases);
	}
}

static DispatcherInfo *
find_locked(Oid dboid, bool create)
{
	DispatcherInfo *free_entry = NULL;

	for (int i = 0; i < dispatchers->n; i++)
	{
		if (dispatchers->d[i].dboid == dboid)
			return &dispatchers->d[i];
		if (free_entry == NULL && dispatchers->d[i].dboid == InvalidOid)
			free_entry = &dispatchers->d[i];
	}
	if (create && free_entry != NULL)
	{
		memset(free_entry, 0, sizeof(DispatcherInfo));
		free_entry->dboid = dboid;
	}
	return create ? free_entry : NULL;
}

void
aigw_dispatcher_stop(Oid dboid)
{
	DispatcherInfo *d;
	pid_t		pid = 0;

	if (dispatchers == NULL)
		return;
	SpinLockAcquire(&dispatchers->mutex);
	d = find_locked(dboid, false);
	if (d != NULL)
		pid = d->pid;
	SpinLockRelease(&dispatchers->mutex);
	if (pid != 0)
		kill(pid, SIGTERM);
}

/* ---------------------------------------------------------------------
 * The submitting side
 * ---------------------------------------------------------------------
 */

static bool expecting_here = false;
static bool callback_registered = false;

static void
on_xact_end(XactEvent event, void *arg)
{
	DispatcherInfo *d;
	PGPROC	   *wake = NULL;

	if (!expecting_here || (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
							event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT))
		return;
	expecting_here = false;
	SpinLockAcquire(&dispatchers->mutex);
	d = find_locked(MyDatabaseId, false);
	if (d != NULL)
	{
		d->expecting = Max(d->expecting - 1, 0);
		if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
			wake = d->proc;
	}
	SpinLockRelease(&dispatchers->mutex);
	if (wake != NULL)
		SetLatch(&wake->procLatch);
}

static void
start_dispatcher(Oid dboid)
{
	if (!aigw_start_background_worker("aigw_dispatcher_main",
									  psprintf("aigw dispatcher for database %u", dboid),
									  "aigw dispatcher", dboid, 0))
	{
		SpinLockAcquire(&dispatchers->mutex);
		{
			DispatcherInfo *d = find_locked(dboid, false);

			if (d != NULL && d->pid == 0)
				d->registered = false;
		}
		SpinLockRelease(&dispatchers->mutex);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the aigw dispatcher of this database"),
				 errdetail("No background worker slot is free: max_worker_processes is %d.",
						   max_worker_processes),
				 errhint("Raise max_worker_processes; each database that uses aigw.submit needs one more.")));
	}
}

void
aigw_dispatcher_expect_work(void)
{
	DispatcherInfo *d;
	bool		start = false;
	TimestampTz now = GetCurrentTimestamp();

	if (!callback_registered)
	{
		RegisterXactCallback(on_xact_end, NULL);
		callback_registered = true;
	}
	SpinLockAcquire(&dispatchers->mutex);
	d = find_locked(MyDatabaseId, true);
	if (d == NULL)
	{
		SpinLockRelease(&dispatchers->mutex);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many databases have an aigw dispatcher"),
				 errdetail("aigw.max_databases is %d.", aigw_max_databases),
				 errhint("Raise aigw.max_databases (needs a restart).")));
	}
	if (!expecting_here)
		d->expecting++;
	expecting_here = true;
	/* a dispatcher registered that never attached is given up after a while */
	if (d->registered && d->pid == 0 &&
		TimestampDifferenceExceeds(d->registered_at, now, DISPATCHER_START_DEADLINE_MS))
		d->registered = false;
	if (!d->registered)
	{
		d->registered = true;
		d->registered_at = now;
		start = true;
	}
	SpinLockRelease(&dispatchers->mutex);
	if (start)
		start_dispatcher(MyDatabaseId);
}

/* ---------------------------------------------------------------------
 * The dispatcher
 * ---------------------------------------------------------------------
 */

typedef struct Entry
{
	int64		id;
	Oid			role;
	char	   *model;
	Jsonb	   *messages;
	Jsonb	   *options;
	char	   *end_user;		/* the submitting request's JWT "sub", or NULL */
	MemoryContext cxt;
	AigwCall	call;
	int			ticket;			/* -1 when not with the pool */
	bool		active;
	bool		started;		/* claimed and begun */
} Entry;

static DispatcherInfo *me = NULL;
static Entry *entries;
static int	capacity;
static MemoryContext dispatcher_cxt;

static void
detach(int code, Datum arg)
{
	SpinLockAcquire(&dispatchers->mutex);
	if (me != NULL && me->pid == MyProcPid)
	{
		me->pid = 0;
		me->proc = NULL;
		me->registered = false;
		/* the entry goes back to the registry unless a submitter counts on it */
		if (me->expecting == 0)
			me->dboid = InvalidOid;
	}
	SpinLockRelease(&dispatchers->mutex);
}

static void
begin_xact(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
end_xact(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Run SQL in its own transaction (as the tables' owner: the dispatcher is a superuser). */
static void
run_sql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	begin_xact();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0) < 0)
		elog(ERROR, "\"%s\" failed", sql);
	SPI_finish();
	end_xact();
}

static void
finish_entry(Entry *e)
{
	AigwCall   *call = &e->call;
	Oid			types[5] = {INT8OID, TEXTOID, JSONBOID, TEXTOID, INT8OID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', 'n', 'n', 'n'};

	values[0] = Int64GetDatum(e->id);
	values[1] = CStringGetTextDatum(call->result ? "ok" : "error");
	if (call->result)
	{
		values[2] = JsonbPGetDatum(call->result);
		nulls[2] = ' ';
	}
	else
	{
		values[3] = CStringGetTextDatum(call->error ? aigw_call_error_text(call->error) : "no answer");
		nulls[3] = ' ';
	}
	if (call->call_id != 0)
	{
		values[4] = Int64GetDatum(call->call_id);
		nulls[4] = ' ';
	}
	run_sql("UPDATE aigw.submissions SET status = $2, response = $3, error = $4, call_id = $5,"
			"       finished_at = now() WHERE id = $1", 5, types, values, nulls);
	MemoryContextDelete(e->cxt);
	e->active = false;
}

/* Start or go on with a call, as its role, in a transaction; an error ends it. */
static void
advance(Entry *e, bool begin)
{
	Oid			save_user;
	int			save_sec;

	e->started = true;
	begin_xact();
	MemoryContextSwitchTo(e->cxt);
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(e->role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	aigw_tenant_act_for(e->end_user);
	e->ticket = begin ? aigw_call_start_guarded(&e->call, e->model, e->messages, e->options)
		: aigw_call_send_guarded(&e->call);
	aigw_tenant_act_for_self();
	SetUserIdAndSecContext(save_user, save_sec);
	MemoryContextSwitchTo(dispatcher_cxt);
	end_xact();
	if (e->call.state == CALL_DONE)
		finish_entry(e);
}

/* Claim queued submissions, up to the room left. */
static int
claim(int room)
{
	int			n = 0;

	begin_xact();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Datum		arg = Int32GetDatum(room);
		Oid			type = INT4OID;

		if (SPI_execute_with_args("UPDATE aigw.submissions s SET status = 'running', started_at = now(),"
								  "       dispatcher_pid = pg_backend_pid()"
								  "  FROM (SELECT id FROM aigw.submissions WHERE status = 'queued'"
								  "         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) q"
								  " WHERE s.id = q.id"
								  " RETURNING s.id, s.role_oid, s.model, s.messages, s.options, s.end_user",
								  1, &type, &arg, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "could not claim submissions");
	}
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Entry	   *e = NULL;

		for (int i = 0; i < capacity && e == NULL; i++)
			if (!entries[i].active)
				e = &entries[i];
		Assert(e != NULL);
		memset(e, 0, sizeof(Entry));
		e->cxt = AllocSetContextCreate(dispatcher_cxt, "aigw submitted call", ALLOCSET_SMALL_SIZES);
		MemoryContextSwitchTo(e->cxt);
		e->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		e->role = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		e->model = SPI_getvalue(tup, desc, 3);
		e->messages = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 4, &isnull));
		e->options = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 5, &isnull));
		e->end_user = SPI_getvalue(tup, desc, 6);	/* NULL when none */
		e->ticket = -1;
		e->active = true;
		MemoryContextSwitchTo(dispatcher_cxt);
		n++;
	}
	SPI_finish();
	end_xact();
	return n;
}

static bool
queue_empty(void)
{
	bool		empty;

	begin_xact();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SPI_execute("SELECT 1 FROM aigw.submissions WHERE status = 'queued' LIMIT 1", true, 1);
	empty = SPI_processed == 0;
	SPI_finish();
	end_xact();
	return empty;
}

/* Leave when idle, unless a submitter is about to commit work. */
static bool
may_leave(void)
{
	bool		leave = false;

	SpinLockAcquire(&dispatchers->mutex);
	if (me->expecting == 0)
	{
		me->pid = 0;
		me->proc = NULL;
		me->registered = false;
		me->dboid = InvalidOid;
		leave = true;
	}
	SpinLockRelease(&dispatchers->mutex);
	return leave;
}

void
aigw_dispatcher_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	int		   *tickets;
	MemoryContext *contexts;
	TimestampTz last_busy;
	TimestampTz last_look = 0;
	bool		look = true;
	int			extra;
	bool		from_launcher;

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	memcpy(&extra, MyBgworkerEntry->bgw_extra, sizeof(int));
	from_launcher = extra == DISPATCHER_FROM_LAUNCHER;

	SpinLockAcquire(&dispatchers->mutex);
	me = find_locked(dboid, true);
	if (me != NULL && me->pid == 0)
	{
		me->pid = MyProcPid;
		me->proc = MyProc;
		me->registered = true;
	}
	else
		me = NULL;
	SpinLockRelease(&dispatchers->mutex);
	if (me == NULL)
		proc_exit(0);			/* another one is running */
	before_shmem_exit(detach, (Datum) 0);

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("aigw dispatcher");
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	/* what it writes back and charges must survive a crash once committed */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
	if (!aigw_extension_installed())
		proc_exit(0);			/* started by the launcher in a database without aigw */

	dispatcher_cxt = AllocSetContextCreate(TopMemoryContext, "aigw dispatcher", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(dispatcher_cxt);
	capacity = aigw_batch_concurrency;
	entries = palloc0(sizeof(Entry) * capacity);
	tickets = palloc(sizeof(int) * capacity);
	contexts = palloc0(sizeof(MemoryContext) * capacity);

	/* what a stopped dispatcher left running may have been served: never send it twice */
	run_sql("UPDATE aigw.submissions SET status = 'error', finished_at = now(),"
			"       error = 'interrupted: the dispatcher stopped while the call was in flight; it may have been served (see aigw.requests), and is not sent again'"
			" WHERE status = 'running'", 0, NULL, NULL, NULL);

	last_busy = GetCurrentTimestamp();
	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		int			active = 0;
		long		timeout = DISPATCHER_POLL_MS;
		AigwOutcomeMsg *oc;
		int			k;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* calls ready for their next attempt, then new ones: one burst for the pool */
		aigw_pool_defer_wakeups();
		for (int i = 0; i < capacity; i++)
		{
			Entry	   *e = &entries[i];

			if (!e->active || !e->started || e->ticket >= 0)
				continue;
			if (e->call.state == CALL_READY ||
				(e->call.state == CALL_WAITING && e->call.not_before <= now))
				advance(e, false);
			else if (e->call.state == CALL_WAITING)
				timeout = Min(timeout, Max(TimestampDifferenceMilliseconds(now, e->call.not_before), 0));
		}
		for (int i = 0; i < capacity; i++)
			if (entries[i].active)
				active++;

		/*
		 * New work: after a wake-up that was no answer (a submitter's commit
		 * sets the latch) or a second since the last look, so that a busy
		 * dispatcher does not query the outbox for every answer.
		 */
		if (active < capacity &&
			(look || TimestampDifferenceExceeds(last_look, now, DISPATCHER_POLL_MS)))
		{
			int			n = claim(capacity - active);

			last_look = now;
			for (int i = 0; i < capacity && n > 0; i++)
			{
				Entry	   *e = &entries[i];

				if (e->active && !e->started)
				{
					advance(e, true);
					n--;
				}
			}
		}

		aigw_pool_flush_wakeups();

		/* provider batches that are due (all of them after a wake-up) */
		{
			long		batch_ms = aigw_batch_dispatch(look);

			if (batch_ms >= 0)
				timeout = Min(timeout, batch_ms);
		}

		active = 0;
		for (int i = 0; i < capacity; i++)
		{
			tickets[i] = entries[i].active ? entries[i].ticket : -1;
			contexts[i] = entries[i].cxt;
			if (entries[i].active)
				active++;
		}
		if (active > 0)
			last_busy = now;
		else if ((from_launcher || TimestampDifferenceExceeds(last_busy, now, aigw_pool_idle_timeout_s * 1000L)) &&
				 queue_empty() && !aigw_batch_any_open() && may_leave())
			proc_exit(0);
		from_launcher = false;

		k = aigw_pool_wait(tickets, capacity, timeout, true, contexts, &oc);
		look = k < 0;
		if (k >= 0)
		{
			Entry	   *e = &entries[k];

			e->ticket = -1;
			MemoryContextSwitchTo(e->cxt);
			aigw_call_take_outcome(&e->call, oc);
			MemoryContextSwitchTo(dispatcher_cxt);
			if (e->call.state == CALL_DONE)
			{
				aigw_pool_make_durable();
				finish_entry(e);
			}
		}
	}
}

/* ---------------------------------------------------------------------
 * The launcher
 * ---------------------------------------------------------------------
 */

void
aigw_dispatcher_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* restarted after a crash, when the batches left open need their dispatchers again */
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "aigw");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "aigw_dispatcher_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "aigw launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "aigw launcher");
	RegisterBackgroundWorker(&worker);
}

/* The databases a dispatcher can connect to. */
static List *
database_list(void)
{
	List	   *oids = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	MemoryContext cxt = CurrentMemoryContext;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(cxt);
		oids = lappend_oid(oids, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return oids;
}

void
aigw_dispatcher_launcher_main(Datum arg)
{
	ListCell   *lc;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("aigw launcher");

	foreach(lc, database_list())
	{
		BackgroundWorkerHandle *handle;
		pid_t		pid;

		if (!aigw_start_background_worker_handle("aigw_dispatcher_main",
												 psprintf("aigw dispatcher for database %u", lfirst_oid(lc)),
												 "aigw dispatcher", lfirst_oid(lc), DISPATCHER_FROM_LAUNCHER,
												 &handle))
		{
			ereport(LOG,
					(errmsg("aigw launcher: no background worker slot to start the dispatcher of database %u",
							lfirst_oid(lc)),
					 errhint("Its provider batches are polled once a session there uses aigw; raise max_worker_processes.")));
			continue;
		}
		/* one at a time: most leave at once, and slots are few */
		if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED)
		{
			TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 2000);

			while (GetBackgroundWorkerPid(handle, &pid) == BGWH_STARTED && GetCurrentTimestamp() < until)
			{
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50,
								 PG_WAIT_EXTENSION);
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
			}
		}
	}
	/* the work is done; staying keeps the postmaster from starting it again */
	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
