/*
 * ledger_ops.c
 *	  aigw.topup, aigw.refund and aigw.adjust: money movements that are not
 *	  charges.
 *
 * Each is validated and converted here, in the caller, by one of aigw's
 * *_quote SQL functions (so a bad request changes nothing), then handed to
 * the worker pool like a call: the pool's workers are the only writers of
 * wallet balances, so no caller's transaction ever holds a wallet's row
 * lock, and the movement commits on its own.  A top-up that returned its
 * ledger id stays credited even if the caller then rolls back; reporting
 * the same payment again returns the same id (idempotent by rail and
 * external reference), which is how a payment webhook retries safely.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "billing/billing.h"
#include "catalog/catalog.h"
#include "common/owner_query.h"
#include "pool/pool.h"

PG_FUNCTION_INFO_V1(aigw_topup);
PG_FUNCTION_INFO_V1(aigw_refund);
PG_FUNCTION_INFO_V1(aigw_adjust);

static SPIPlanPtr topup_plan = NULL;
static SPIPlanPtr refund_plan = NULL;
static SPIPlanPtr adjust_plan = NULL;

typedef struct Movement
{
	const char *kind;
	int64		wallet_id;
	TransactionId wallet_xmin;	/* InvalidTransactionId: not checked */
	const char *wallet;
	const char *currency;
	int			scale;
	const char *amount;			/* in the wallet currency */
	const char *original_amount;	/* as paid, when converted */
	const char *original_currency;
	const char *fx;
	const char *rail;
	const char *external_ref;
	const char *note;
	int64		refund_of;
} Movement;

static void
require_writable(void)
{
	aigw_require_preload();
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("aigw cannot change wallets on a standby"),
				 errhint("Call it on the primary.")));
	aigw_require_committed_extension();
}

/*
 * Run a quote function; its errors are the user's errors, so they go out
 * without the PL/pgSQL context of aigw's internals.
 */
static void
run_quote(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *values,
		  const char *nulls)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		aigw_query_as_owner(plan, sql, nargs, types, values, nulls);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->context = NULL;
		ReThrowError(edata);
	}
	PG_END_TRY();
}

static int64
submit(const Movement *m)
{
	StringInfoData msg;
	AigwRequestMsg *rq;
	AigwOutcomeMsg *oc;

	if (TransactionIdIsValid(m->wallet_xmin))
		aigw_billing_check_committed(m->wallet, m->wallet_xmin);

	aigw_msg_begin(&msg, offsetof(AigwRequestMsg, data));
	aigw_request_put(&msg, RQ_ROLE, GetUserNameFromId(GetUserId(), false));
	aigw_request_put(&msg, RQ_LEDGER_KIND, m->kind);
	aigw_request_put(&msg, RQ_WALLET, m->wallet);
	aigw_request_put(&msg, RQ_CURRENCY, m->currency);
	aigw_request_put(&msg, RQ_AMOUNT, m->amount);
	aigw_request_put(&msg, RQ_ORIGINAL_AMOUNT, m->original_amount);
	aigw_request_put(&msg, RQ_ORIGINAL_CURRENCY, m->original_currency);
	aigw_request_put(&msg, RQ_FX, m->fx);
	aigw_request_put(&msg, RQ_RAIL, m->rail);
	aigw_request_put(&msg, RQ_EXTERNAL_REF, m->external_ref);
	aigw_request_put(&msg, RQ_NOTE, m->note);
	rq = (AigwRequestMsg *) msg.data;
	rq->total_size = msg.len;
	rq->kind = RQ_KIND_LEDGER;
	rq->wallet_id = m->wallet_id;
	rq->wallets_relid = aigw_table_oid("wallet_balances");
	rq->scale = m->scale;
	rq->refund_of = m->refund_of;
	rq->attempt = 1;
	rq->submitted_at = GetCurrentTimestamp();

	oc = aigw_pool_call(rq, NULL, 0);
	if (oc == NULL || !oc->recorded)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_WORKER_FAILURE),
				 errmsg("the %s of wallet \"%s\" could not be written", m->kind, m->wallet),
				 errdetail("aigw's worker pool failed to commit it; nothing was credited or debited."),
				 errhint("See the server log, then try again: a top-up is credited once whatever the number of tries.")));
	if (oc->sqlstate != 0)
	{
		const char *error = AIGW_MSG_FIELD(oc, OC_ERROR);
		const char *nl = strchr(error, '\n');

		ereport(ERROR,
				(errcode(oc->sqlstate),
				 errmsg("%s", nl ? pnstrdup(error, nl - error) : error),
				 nl ? errdetail("%s", nl + 1) : 0));
	}
	return oc->ledger_id;
}

static char *
text_arg(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/*
 * Run one of the *_quote functions on this call's arguments (types: theirs)
 * and take the movement's wallet, currency, scale, amount and FX rate from
 * its answer.
 */
static void
quote(FunctionCallInfo fcinfo, SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
	  Movement *m)
{
	Datum		values[FUNC_MAX_ARGS];
	char		nulls[FUNC_MAX_ARGS];
	MemoryContext cxt = CurrentMemoryContext;

	require_writable();
	for (int i = 0; i < nargs; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	SPI_connect();
	run_quote(plan, sql, nargs, types, values, nulls);
	MemoryContextSwitchTo(cxt);
	m->wallet_id = aigw_col_int64(1, 0);
	m->wallet_xmin = (TransactionId) aigw_col_int64(2, InvalidTransactionId);
	m->currency = aigw_col_text(3);
	m->scale = (int) aigw_col_int64(4, 0);
	m->amount = aigw_col_text(5);
	m->fx = aigw_col_text(6);
	SPI_finish();
}

Datum
aigw_topup(PG_FUNCTION_ARGS)
{
	Oid			types[5] = {TEXTOID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID};
	Movement	m = {.kind = "topup"};

	quote(fcinfo, &topup_plan, "SELECT * FROM aigw.topup_quote($1, $2, $3, $4, $5)", 5, types, &m);
	m.wallet = text_arg(fcinfo, 0);
	if (m.fx != NULL)
	{
		m.original_amount = DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(1)));
		m.original_currency = text_arg(fcinfo, 2);
	}
	m.rail = text_arg(fcinfo, 3);
	m.external_ref = text_arg(fcinfo, 4);
	PG_RETURN_INT64(submit(&m));
}

Datum
aigw_refund(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {INT8OID, NUMERICOID};
	Movement	m = {.kind = "refund"};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("request_id must not be NULL")));
	quote(fcinfo, &refund_plan, "SELECT * FROM aigw.refund_quote($1, $2)", 2, types, &m);
	m.wallet = psprintf("id " INT64_FORMAT, m.wallet_id);
	m.note = text_arg(fcinfo, 2);
	m.refund_of = PG_GETARG_INT64(0);
	PG_RETURN_INT64(submit(&m));
}

Datum
aigw_adjust(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {TEXTOID, NUMERICOID, TEXTOID};
	Movement	m = {.kind = "adjustment"};

	quote(fcinfo, &adjust_plan, "SELECT * FROM aigw.adjust_quote($1, $2, $3)", 3, types, &m);
	m.wallet = text_arg(fcinfo, 0);
	m.note = text_arg(fcinfo, 2);
	PG_RETURN_INT64(submit(&m));
}
