/*
 * request_log.c
 *	  Group commit of attempts to aigw.requests by a pool worker.
 *
 * The worker's transaction is independent of every caller's, which is what
 * makes a logged call stay logged when its caller rolls back (DESIGN.md,
 * invariant 2), and it commits before any caller is told the outcome, so
 * the log is durable before aigw.chat returns.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "request_log.h"

#define NPARAMS 20

static SPIPlanPtr insert_plan = NULL;
static char *database_name = NULL;

static const char *const insert_sql =
"INSERT INTO aigw.requests (created_at, role_name, database_name, requested_model,"
"  served_model, provider, attempt, status, http_status, prompt_tokens,"
"  completion_tokens, cached_tokens, reasoning_tokens, latency_ms, ttfb_ms,"
"  request_bytes, response_bytes, upstream_id, tags, error)"
" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
"  $16, $17, $18, $19::pg_catalog.jsonb, $20)"
" RETURNING id";

static const Oid insert_types[NPARAMS] = {
	TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, INT4OID, TEXTOID, INT4OID, INT4OID,
	INT4OID, INT4OID, INT4OID, FLOAT8OID, FLOAT8OID,
	INT4OID, INT4OID, TEXTOID, TEXTOID, TEXTOID
};

static void
set_text(Datum *values, char *nulls, int i, const char *s)
{
	values[i] = s ? CStringGetTextDatum(s) : (Datum) 0;
	nulls[i] = s ? ' ' : 'n';
}

static void
set_int(Datum *values, char *nulls, int i, int64 v, bool null_if_negative)
{
	bool		isnull = (null_if_negative && v < 0);

	values[i] = Int32GetDatum((int32) Min(v, PG_INT32_MAX));
	nulls[i] = isnull ? 'n' : ' ';
}

static const char *
field_or_null(AigwRequestMsg *rq, AigwRequestField f)
{
	return AIGW_MSG_HAS(rq, f) ? AIGW_MSG_FIELD(rq, f) : NULL;
}

static int64
insert_one(AigwRequestMsg *rq, AigwAttempt *a)
{
	Datum		values[NPARAMS];
	char		nulls[NPARAMS];
	bool		isnull;
	int			rc;

	values[0] = TimestampTzGetDatum(rq->submitted_at);
	nulls[0] = ' ';
	set_text(values, nulls, 1, AIGW_MSG_FIELD(rq, RQ_ROLE));
	set_text(values, nulls, 2, database_name);
	set_text(values, nulls, 3, AIGW_MSG_FIELD(rq, RQ_REQUESTED_MODEL));
	set_text(values, nulls, 4, field_or_null(rq, RQ_SERVED_MODEL));
	set_text(values, nulls, 5, field_or_null(rq, RQ_PROVIDER));
	set_int(values, nulls, 6, rq->attempt, false);
	set_text(values, nulls, 7, aigw_attempt_status_name(a->status));
	set_int(values, nulls, 8, a->http_status > 0 ? a->http_status : -1, true);
	set_int(values, nulls, 9, a->prompt_tokens, true);
	set_int(values, nulls, 10, a->completion_tokens, true);
	set_int(values, nulls, 11, a->cached_tokens, true);
	set_int(values, nulls, 12, a->reasoning_tokens, true);
	values[13] = Float8GetDatum(a->latency_ms);
	nulls[13] = ' ';
	values[14] = Float8GetDatum(a->ttfb_ms);
	nulls[14] = a->ttfb_ms > 0 ? ' ' : 'n';
	set_int(values, nulls, 15, a->request_bytes, true);
	set_int(values, nulls, 16, a->response_bytes, true);
	set_text(values, nulls, 17, a->upstream_id);
	set_text(values, nulls, 18, AIGW_MSG_HAS(rq, RQ_TAGS) ? AIGW_MSG_FIELD(rq, RQ_TAGS) : "{}");
	set_text(values, nulls, 19, a->status == ATTEMPT_OK ? NULL : (a->error ? a->error : "unknown error"));

	rc = SPI_execute_plan(insert_plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert into aigw.requests: %s", SPI_result_code_string(rc));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

void
aigw_request_log_write(AigwRequestMsg **requests, AigwAttempt **attempts, int n)
{
	MemoryContext cxt = CurrentMemoryContext;
	int64	   *ids = palloc(sizeof(int64) * n);

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "aigw: logging requests");

		if (database_name == NULL)
			database_name = MemoryContextStrdup(TopMemoryContext,
												get_database_name(MyDatabaseId));
		if (insert_plan == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare(insert_sql, NPARAMS, (Oid *) insert_types);

			if (plan == NULL)
				elog(ERROR, "could not prepare the aigw.requests insert: %s",
					 SPI_result_code_string(SPI_result));
			SPI_keepplan(plan);
			insert_plan = plan;
		}
		for (int i = 0; i < n; i++)
			ids[i] = insert_one(requests[i], attempts[i]);

		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, NULL);

		for (int i = 0; i < n; i++)
		{
			attempts[i]->request_id = ids[i];
			attempts[i]->recorded = true;
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	pfree(ids);
}
