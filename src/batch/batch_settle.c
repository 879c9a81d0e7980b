/*
 * batch_settle.c
 *	  The dispatcher's side of provider batches (batch_submit.c hands them
 *	  over): poll each open batch, with a pause that grows with its age;
 *	  once it has ended, download its results and settle them a chunk of
 *	  lines at a time.
 *
 * A chunk (batch_lines.c) is one transaction: the answers written into their rows (as
 * the job's role), each line's row in aigw.requests at the batch rates,
 * its charge, the wallet's balance (the charge comes out of the batch's
 * hold, so what calls may spend does not move), and the batch's count of
 * lines settled, which is where settling resumes after a restart: a line
 * is charged once and written once.  When the last line is in, the rest
 * of the hold goes back to the wallet and, once the job has no open batch
 * left, the job is done.
 *
 * The answers only go into rows at the address the line names, still
 * NULL, whose input still has the fingerprint the line carries (see
 * batch_submit.c).  A write-back that fails (the table was dropped, the
 * role lost its privilege) fails only in its subtransaction: the lines are
 * logged and charged all the same, since the provider served them; when a
 * chunk's write-back fails, its answers are written one by one, so that a
 * row a constraint or a trigger refuses fails alone.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "batch/batch_settle.h"
#include "batch/batch_settle_internal.h"
#include "billing/billing.h"
#include "batch/batch_wire.h"
#include "batch/column_job.h"
#include "batch/embed.h"
#include "billing/usage_bounds.h"
#include "caller/call.h"
#include "catalog/catalog.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "common/settings.h"
#include "common/subxact.h"

#define POLL_MIN_MS 200
#define POLL_MAX_MS 60000
#define SUBMITTING_CHECK_MS 2000
#define RESULTS_GIVE_UP_MS (7 * 24 * 3600 * 1000L)	/* results unreadable this long: closed */


static TimestampTz next_due = 0;

/* ---------------------------------------------------------------------
 * Transactions
 * ---------------------------------------------------------------------
 */

/* A transaction with SPI connected: for the batch's tables. */
void
aigw_batch_xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
aigw_batch_xact_end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * A transaction for catalog lookups (the model, the role's name) around
 * the provider's requests; what is allocated stays in the caller's context.
 */
static void
lookup_begin(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(cxt);
}

static void
lookup_end(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

void
aigw_batch_run_sql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "aigw batch statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

static int64
poll_pause_ms(int64 age_ms)
{
	return Min(Max(age_ms / 10, POLL_MIN_MS), POLL_MAX_MS);
}

/* ---------------------------------------------------------------------
 * Ending a batch, and its job
 * ---------------------------------------------------------------------
 */

/*
 * The batch is over: what its hold did not charge goes back, and a job
 * with no open batch left ends.  In the caller's transaction.
 */
static void
finish_batch(Batch *b, const char *state, const char *note)
{
	Oid			types[4] = {INT8OID, INT4OID, TEXTOID, TEXTOID};
	Datum		values[4] = {Int64GetDatum(b->job), Int32GetDatum(b->seq), CStringGetTextDatum(state),
	CStringGetTextDatum(note ? note : "")};
	char		nulls[4] = {' ', ' ', ' ', note ? ' ' : 'n'};

	aigw_batch_run_sql("WITH b AS ("
		 " UPDATE aigw.job_batches SET state = $3, ended_at = clock_timestamp(),"
		 "        error = coalesce($4, error)"
		 "  WHERE job_id = $1 AND seq = $2 RETURNING wallet_id, reserved - charged AS rest),"
		 " j AS ("
		 " UPDATE aigw.jobs j SET"
		 "        state = CASE WHEN j.state IN ('submitted', 'running') THEN 'done' ELSE j.state END,"
		 "        calls_in_flight = 0, finished_at = coalesce(j.finished_at, clock_timestamp()),"
		 "        updated_at = clock_timestamp()"
		 "  WHERE j.id = $1 AND j.state <> 'running'"
		 "    AND NOT EXISTS (SELECT 1 FROM aigw.job_batches o WHERE o.job_id = $1 AND o.seq <> $2"
		 "                     AND o.state IN ('submitting', 'submitted', 'settling')))"
		 " UPDATE aigw.wallet_balances wb SET held = wb.held - b.rest, version = wb.version + 1,"
		 "        updated_at = now()"
		 "   FROM b JOIN aigw.wallets w ON w.id = b.wallet_id"
		 "  WHERE wb.wallet_id = b.wallet_id AND b.rest > 0"
		 " RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ aigw.ledger_scale(w.currency))::int8,"
		 "           wb.version",
		 4, types, values, nulls, SPI_OK_UPDATE_RETURNING);
	aigw_billing_publish_balances();
	if (note != NULL)
	{
		Oid			t2[2] = {INT8OID, TEXTOID};
		Datum		v2[2] = {Int64GetDatum(b->job), CStringGetTextDatum(note)};

		aigw_batch_run_sql("UPDATE aigw.jobs SET error = concat_ws('; ', error, $2) WHERE id = $1", 2, t2, v2, NULL, SPI_OK_UPDATE);
	}
}

/* ---------------------------------------------------------------------
 * A batch's turn
 * ---------------------------------------------------------------------
 */

/* The target of the batch's model, as its role sees it (the credential). */
static bool
resolve_as_role(Batch *b, AigwTarget *target, char **error)
{
	Oid			save_user;
	int			save_sec;
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	lookup_begin();
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(b->role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		aigw_resolve_model(b->model, target);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		*error = pstrdup(e->message);
		ok = false;
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_user, save_sec);
	lookup_end();
	return ok;
}

static void
set_poll_counts(Batch *b, const char *status, const char *error, int64 pause_ms, const AigwBatchStatus *st)
{
	Oid			types[8] = {INT8OID, INT4OID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID};
	Datum		values[8] = {Int64GetDatum(b->job), Int32GetDatum(b->seq),
		CStringGetTextDatum(status ? status : ""), CStringGetTextDatum(error ? error : ""),
		Int64GetDatum(pause_ms), Int64GetDatum(st ? st->total : 0), Int64GetDatum(st ? st->done : 0),
	Int64GetDatum(st ? st->failed : 0)};
	char		nulls[8] = {' ', ' ', status ? ' ' : 'n', error ? ' ' : 'n', ' ', st ? ' ' : 'n', ' ', ' '};

	aigw_batch_run_sql("UPDATE aigw.job_batches SET polls = polls + 1, upstream_status = coalesce($3, upstream_status),"
			"       error = $4, next_poll_at = clock_timestamp() + $5 * interval '1 millisecond',"
			"       upstream_counts = CASE WHEN $6 IS NULL THEN upstream_counts"
			"                              ELSE jsonb_build_object('total', $6, 'done', $7, 'failed', $8) END"
			" WHERE job_id = $1 AND seq = $2", 8, types, values, nulls, SPI_OK_UPDATE);
}

static void
set_poll(Batch *b, const char *status, const char *error, int64 pause_ms)
{
	set_poll_counts(b, status, error, pause_ms, NULL);
}

/* A batch whose hand-over never got its provider id committed. */
static void
check_submitting(Batch *b)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2] = {Int64GetDatum(b->job), Int32GetDatum(b->seq)};

	aigw_batch_xact_begin();
	/*
	 * Its session may have ended the hand-over (the provider's id, or the
	 * refusal that released the hold) since the batch was read: only a
	 * batch still submitting is looked at, locked against that session's
	 * last statement, else a refused batch would lose its error, or be
	 * released twice, and a batch at the provider be called lost.
	 */
	aigw_batch_run_sql("SELECT 1 FROM aigw.job_batches WHERE job_id = $1 AND seq = $2 AND state = 'submitting' FOR UPDATE",
			2, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		;						/* the next turn sees what it became */
	else if (b->submitter_pid != MyProcPid && BackendPidGetProc(b->submitter_pid) != NULL)
		set_poll(b, NULL, NULL, SUBMITTING_CHECK_MS);
	else
		finish_batch(b, "lost",
					 psprintf("batch %d: the session handing it over ended before the provider's batch id was committed; its %d rows were not sent again by this job and stay NULL",
							  b->seq, b->lines));
	aigw_batch_xact_end();
}

static void
poll_batch(Batch *b, AigwTarget *target, AigwBatchWire wire)
{
	AigwBatchStatus st;
	char	   *error = NULL;
	bool		asked;

	lookup_begin();
	asked = aigw_batch_poll_status(target, wire, b->batch_id, &st, &error);
	lookup_end();

	aigw_batch_xact_begin();
	if (!asked)
		set_poll(b, NULL, error, poll_pause_ms(b->age_ms) * 2);
	else if (!st.ended)
		set_poll_counts(b, st.status, NULL, poll_pause_ms(b->age_ms), &st);
	else
	{
		Datum	   *elems = palloc(sizeof(Datum) * Max(st.nresults, 1));
		Oid			types[8] = {INT8OID, INT4OID, TEXTOID, TEXTARRAYOID, TEXTOID, INT8OID, INT8OID, INT8OID};
		Datum		values[8];
		char		nulls[8] = {' ', ' ', ' ', ' ', st.error ? ' ' : 'n', ' ', ' ', ' '};

		for (int i = 0; i < st.nresults; i++)
			elems[i] = CStringGetTextDatum(st.results[i]);
		values[0] = Int64GetDatum(b->job);
		values[1] = Int32GetDatum(b->seq);
		values[2] = CStringGetTextDatum(st.status);
		values[3] = PointerGetDatum(construct_array(elems, st.nresults, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = CStringGetTextDatum(st.error ? st.error : "");
		values[5] = Int64GetDatum(st.total);
		values[6] = Int64GetDatum(st.done);
		values[7] = Int64GetDatum(st.failed);
		aigw_batch_run_sql("UPDATE aigw.job_batches SET state = 'settling', upstream_status = $3, results = $4,"
						   "       results_at = clock_timestamp(),"
				"       error = $5, polls = polls + 1, next_poll_at = clock_timestamp(),"
				"       upstream_counts = jsonb_build_object('total', $6, 'done', $7, 'failed', $8)"
				" WHERE job_id = $1 AND seq = $2", 8, types, values, nulls, SPI_OK_UPDATE);
		next_due = 0;
	}
	aigw_batch_xact_end();
}

/* Download the results, settle the lines not settled yet, end the batch. */
static void
settle_batch(Batch *b, AigwTarget *target, AigwBatchWire wire, int64 input_bound, int64 output_bound)
{
	Datum	   *files;
	int			nfiles;
	int			read = 0;
	Chunk	   *c = palloc(sizeof(Chunk));
	MemoryContext chunk_cxt = AllocSetContextCreate(CurrentMemoryContext, "aigw batch chunk",
													ALLOCSET_DEFAULT_SIZES);
	char	   *note = NULL;
	SeenIds		seen;
	HASHCTL		ctl = {.keysize = NAMEDATALEN * 2, .entrysize = NAMEDATALEN * 2,
	.hcxt = CurrentMemoryContext};

	memset(seen.dropped, 0, sizeof(seen.dropped));
	seen.ids = hash_create("aigw batch custom ids", Max(b->lines, 16), &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	deconstruct_array(b->results, TEXTOID, -1, false, TYPALIGN_INT, &files, NULL, &nfiles);
	c->n = c->consumed = 0;
	for (int f = 0; f < nfiles; f++)
	{
		size_t		len;
		char	   *error = NULL;
		char	   *body;
		char	   *p;
		bool		never;

		lookup_begin();
		body = aigw_batch_download(target, wire, TextDatumGetCString(files[f]), &len, &error, &never);
		lookup_end();
		if (body != NULL)
			body = aigw_batch_results_jsonl(wire, body, &len, &error);

		if (body == NULL && (never || b->results_age_ms > RESULTS_GIVE_UP_MS))
		{
			/* the lines not logged may have been served: unknown, at their reservation */
			MemoryContextDelete(chunk_cxt);
			aigw_batch_xact_begin();
			aigw_batch_give_up(b, psprintf("the batch's results could not be read (%s); the provider may have served this line, so it is charged its reservation",
										   error));
			finish_batch(b, "done", psprintf("batch %d (%s): its results could not be read: %s; its %d lines not logged were logged unknown and charged their reservation",
											 b->seq, b->batch_id, error, b->lines - b->lines_logged));
			aigw_batch_xact_end();
			return;
		}
		if (body == NULL)
		{
			/* asked again later: the results are the provider's until they expire */
			aigw_batch_xact_begin();
			set_poll(b, NULL, error, poll_pause_ms(b->age_ms) * 2);
			aigw_batch_xact_end();
			MemoryContextDelete(chunk_cxt);
			return;
		}
		for (p = body; p < body + len;)
		{
			char	   *nl = memchr(p, '\n', body + len - p);
			size_t		n = nl ? (size_t) (nl - p) : (size_t) (body + len - p);

			if (n > 0 && !(n == 1 && *p == '\r'))
			{
				MemoryContext old = MemoryContextSwitchTo(chunk_cxt);

				if (read++ < b->lines_settled)
					aigw_batch_note_settled_line(b, wire, target->api_style, p, n, &seen);
				else
				{
					LineFate	fate = aigw_batch_take_line(b, wire, target->api_style, p, n, input_bound,
												 output_bound, c, &seen);

					seen.dropped[fate]++;
					c->consumed++;
				}
				MemoryContextSwitchTo(old);
				if (c->n == SETTLE_CHUNK || c->consumed >= 4 * SETTLE_CHUNK)
				{
					aigw_batch_settle_chunk(b, c);
					b->lines_settled += c->consumed;
					c->n = c->consumed = 0;
					MemoryContextReset(chunk_cxt);
				}
			}
			p = nl ? nl + 1 : body + len;
		}
		pfree(body);
	}
	if (c->consumed > 0)
		aigw_batch_settle_chunk(b, c);
	MemoryContextDelete(chunk_cxt);
	if (b->lines_logged < b->lines)
		note = psprintf("batch %d (%s, %s): %d of its %d lines came back without a result; their rows stay NULL",
						b->seq, b->batch_id, b->status ? b->status : "ended", b->lines - b->lines_logged, b->lines);
	if (seen.dropped[LINE_DUPLICATE] + seen.dropped[LINE_FOREIGN] + seen.dropped[LINE_EXTRA] > 0)
		note = psprintf("%s%sbatch %d (%s): result lines not believed, neither logged nor charged: %d repeated, %d naming no row aigw sent, %d beyond the %d lines sent",
						note ? note : "", note ? "; " : "", b->seq, b->batch_id,
						seen.dropped[LINE_DUPLICATE], seen.dropped[LINE_FOREIGN], seen.dropped[LINE_EXTRA], b->lines);
	aigw_batch_xact_begin();
	finish_batch(b, "done", note);
	aigw_batch_xact_end();
}

/* The next open batch that is due, or false (and next_due set) when none is. */
static bool
next_batch(Batch *b, int64 *input_bound, int64 *output_bound)
{
	bool		found = false;
	bool		isnull;
	MemoryContext cxt = CurrentMemoryContext;

	aigw_batch_xact_begin();
	if (SPI_execute("SELECT jb.job_id, jb.seq, jb.state, jb.role_oid, jb.provider, jb.model, j.model,"
					"       jb.endpoint = 'embeddings', jb.upstream_batch_id, jb.upstream_status, jb.results,"
					"       jb.lines, jb.lines_settled, jb.submitter_pid,"
					"       (extract(epoch FROM clock_timestamp() - jb.created_at) * 1000)::int8,"
					"       jb.write_back, jb.input_bound, jb.output_bound, jb.lines_ok + jb.lines_failed,"
					"       coalesce((extract(epoch FROM clock_timestamp() - jb.results_at) * 1000)::int8, 0)"
					"  FROM aigw.job_batches jb JOIN aigw.jobs j ON j.id = jb.job_id"
					" WHERE jb.state IN ('submitting', 'submitted', 'settling')"
					"   AND jb.next_poll_at <= clock_timestamp()"
					" ORDER BY jb.next_poll_at LIMIT 1", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the open batches");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		d;

		MemoryContextSwitchTo(cxt);
		b->job = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		b->seq = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		b->state = SPI_getvalue(tup, desc, 3);
		b->role = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
		b->role_name = GetUserNameFromId(b->role, true);
		if (b->role_name == NULL)
			b->role_name = psprintf("role %u", b->role);
		b->provider = SPI_getvalue(tup, desc, 5);
		b->model = SPI_getvalue(tup, desc, 6);
		b->requested_model = SPI_getvalue(tup, desc, 7);
		b->embedding = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
		b->batch_id = SPI_getvalue(tup, desc, 9);
		b->status = SPI_getvalue(tup, desc, 10);
		d = SPI_getbinval(tup, desc, 11, &isnull);
		b->results = isnull ? construct_empty_array(TEXTOID) : DatumGetArrayTypePCopy(d);
		b->lines = DatumGetInt32(SPI_getbinval(tup, desc, 12, &isnull));
		b->lines_settled = DatumGetInt32(SPI_getbinval(tup, desc, 13, &isnull));
		b->submitter_pid = DatumGetInt32(SPI_getbinval(tup, desc, 14, &isnull));
		b->age_ms = DatumGetInt64(SPI_getbinval(tup, desc, 15, &isnull));
		b->write_back = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 16, &isnull));
		*input_bound = DatumGetInt64(SPI_getbinval(tup, desc, 17, &isnull));
		d = SPI_getbinval(tup, desc, 18, &isnull);
		*output_bound = isnull ? -1 : DatumGetInt64(d);
		b->lines_logged = DatumGetInt32(SPI_getbinval(tup, desc, 19, &isnull));
		b->results_age_ms = DatumGetInt64(SPI_getbinval(tup, desc, 20, &isnull));
		found = true;
	}
	else
	{
		/* a job whose batches all ended before its hand-over did */
		if (SPI_execute("UPDATE aigw.jobs j SET state = 'done', calls_in_flight = 0,"
						"       finished_at = clock_timestamp(), updated_at = clock_timestamp()"
						" WHERE j.state = 'submitted' AND j.batch_api"
						"   AND NOT EXISTS (SELECT 1 FROM aigw.job_batches b WHERE b.job_id = j.id"
						"                    AND b.state IN ('submitting', 'submitted', 'settling'))",
						false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not end the jobs whose batches have all ended");
		/* when the next one is due */
		if (SPI_execute("SELECT min(next_poll_at) FROM aigw.job_batches"
						" WHERE state IN ('submitting', 'submitted', 'settling')", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the open batches");
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			next_due = isnull ? DT_NOEND : DatumGetTimestampTz(d);
		}
	}
	MemoryContextSwitchTo(cxt);
	aigw_batch_xact_end();
	MemoryContextSwitchTo(cxt);
	return found;
}

static void
batch_turn(Batch *b, int64 input_bound, int64 output_bound)
{
	AigwTarget	target;
	AigwBatchWire wire;
	const char *why = NULL;
	char	   *error = NULL;

	if (strcmp(b->state, "submitting") == 0)
		check_submitting(b);
	else if (!resolve_as_role(b, &target, &error) ||
			 !aigw_batch_wire_for(&target, b->embedding, &wire, &why))
	{
		/* asked again later: a credential can be fixed */
		aigw_batch_xact_begin();
		set_poll(b, NULL, error ? error : why, POLL_MAX_MS);
		aigw_batch_xact_end();
	}
	else if (strcmp(b->state, "submitted") == 0)
		poll_batch(b, &target, wire);
	else
		settle_batch(b, &target, wire, input_bound, output_bound);
}

long
aigw_batch_dispatch(bool woken)
{
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "aigw batch turn", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Batch		b;
	int64		input_bound;
	int64		output_bound;

	if (woken || now >= next_due)
	{
		next_due = 0;
		/* a few batches a turn, so the dispatcher's calls are not held up */
		for (int turn = 0; turn < 8 && next_batch(&b, &input_bound, &output_bound); turn++)
		{
			pgstat_report_activity(STATE_RUNNING, "aigw: provider batches");
			PG_TRY();
			{
				batch_turn(&b, input_bound, output_bound);
			}
			PG_CATCH();
			{
				/* one batch's trouble (a table it cannot write, say) stops only it, for a while */
				ErrorData  *e;

				MemoryContextSwitchTo(cxt);
				e = CopyErrorData();
				FlushErrorState();
				AbortCurrentTransaction();
				ereport(WARNING,
						(errmsg("aigw: batch %d of job " INT64_FORMAT " could not be seen to: %s",
								b.seq, b.job, e->message),
						 errhint("It is tried again in a minute; aigw.job_batches.error says why.")));
				aigw_batch_xact_begin();
				set_poll(&b, NULL, e->message, POLL_MAX_MS);
				aigw_batch_xact_end();
			}
			PG_END_TRY();
			pgstat_report_activity(STATE_IDLE, NULL);
			MemoryContextSwitchTo(cxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	if (next_due == 0)
		return 0;
	if (next_due == DT_NOEND)
		return -1;
	return Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_due), 0);
}

bool
aigw_batch_any_open(void)
{
	bool		open;

	aigw_batch_xact_begin();
	SPI_execute("SELECT 1 FROM aigw.job_batches WHERE state IN ('submitting', 'submitted', 'settling') LIMIT 1",
				true, 1);
	open = SPI_processed > 0;
	aigw_batch_xact_end();
	return open;
}
