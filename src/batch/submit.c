/*
 * submit.c
 *	  aigw.submit and aigw.wait: asynchronous calls from the caller's side.
 *	  The call is checked and queued in aigw.submissions within the caller's
 *	  transaction; the database's dispatcher (dispatcher.c) sends it once
 *	  that commits.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "common/settings.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "batch/dispatcher.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "routing/route.h"
#include "tenants/tenant.h"

PG_FUNCTION_INFO_V1(aigw_submit);
PG_FUNCTION_INFO_V1(aigw_wait);

#define WAIT_POLL_MS 20

static SPIPlanPtr queue_plan = NULL;

Datum
aigw_submit(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *messages = PG_GETARG_JSONB_P(1);
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	AigwChatInput input;
	AigwRoutePlan plan;
	Oid			types[6] = {TEXTOID, JSONBOID, JSONBOID, OIDOID, NAMEOID, TEXTOID};
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	const char *end_user = aigw_tenant_end_user();
	const char *wallet;
	int64		id;
	bool		isnull;

	aigw_require_preload();
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("aigw cannot queue calls on a standby"),
				 errhint("Call aigw.submit on the primary.")));
	aigw_require_committed_extension();

	/* what would fail the call fails the submit, before anything is queued */
	aigw_chat_input_parse(messages, options, &input);
	aigw_route_plan(model, &input, &plan);
	for (int i = 0; i < plan.ncandidates && !plan.routed; i++)
	{
		AigwTarget	target;

		aigw_resolve_model(plan.candidates[i], &target);	/* unknown, disabled, no usable key */
	}

	/* the wallet the session would pay with (claim, setting, default) travels with the call */
	if (input.wallet == NULL && (wallet = aigw_tenant_wallet(NULL)) != NULL)
	{
		JsonbParseState *ps = NULL;

		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		aigw_push_members(&ps, &options->root, NULL);
		aigw_push_string(&ps, "wallet", wallet);
		options = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	}

	aigw_dispatcher_expect_work();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = CStringGetTextDatum(model);
	args[1] = JsonbPGetDatum(messages);
	args[2] = JsonbPGetDatum(options);
	args[3] = ObjectIdGetDatum(GetUserId());
	args[4] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	args[5] = end_user ? CStringGetTextDatum(end_user) : (Datum) 0;
	nulls[5] = end_user ? ' ' : 'n';
	aigw_query_as_owner(&queue_plan, "SELECT aigw.submission_queue($1, $2, $3, $4, $5, $6)",
						6, types, args, nulls);
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(id);
}

/* How many of ids are not done yet (as the caller sees aigw.results). */
static int64
pending(Datum ids)
{
	Oid			type = INT8ARRAYOID;
	bool		isnull;
	int64		n;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT count(*) FROM aigw.results WHERE id = ANY($1) AND status IN ('queued', 'running')",
							  1, &type, &ids, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read aigw.results");
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return n;
}

Datum
aigw_wait(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		ids = PG_GETARG_DATUM(0);
	int			timeout_ms = PG_GETARG_INT32(1);
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), Max(timeout_ms, 0));
	Oid			type = INT8ARRAYOID;

	aigw_require_preload();
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("aigw.wait needs READ COMMITTED"),
				 errdetail("Under REPEATABLE READ or SERIALIZABLE a transaction never sees the answers land."),
				 errhint("Wait in a READ COMMITTED transaction.")));
	while (pending(ids) > 0)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);

		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, WAIT_POLL_MS), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT * FROM aigw.results WHERE id = ANY($1) ORDER BY id",
							  1, &type, &ids, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read aigw.results");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int			natts = rsinfo->setDesc->natts;
		Datum	   *values = palloc(sizeof(Datum) * natts);
		bool	   *nulls = palloc(sizeof(bool) * natts);

		heap_deform_tuple(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
