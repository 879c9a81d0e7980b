/*
 * billing.c
 *	  Before a call is sent: find the wallet that pays and the price in
 *	  force, check the caller may spend from the wallet, and reserve the
 *	  call's worst-case cost in shared memory (DESIGN.md, invariant 3).  The
 *	  charge itself is made by the worker that logs the call (settle.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "aigw.h"
#include "billing.h"
#include "message.h"
#include "owner_query.h"

static SPIPlanPtr quote_plan = NULL;

enum
{
	Q_WALLETS_EXIST = 1, Q_WALLET_ID, Q_WALLET_XMIN, Q_WALLET_OWNER, Q_WALLET_ENABLED,
	Q_CURRENCY, Q_SCALE, Q_CREDIT_LIMIT, Q_PRICE_CURRENCY, Q_RATE_INPUT, Q_RATE_OUTPUT,
	Q_RATE_CACHED, Q_RATE_REASONING, Q_FX, Q_OUTPUT_BOUND, Q_RESERVE, Q_BALANCE,
	Q_VERSION, Q_PRICE_SCALE
};

char *
aigw_units_text(int64 units, int scale)
{
	uint64		abs_units = units < 0 ? -(uint64) units : (uint64) units;
	uint64		pow10 = 1;

	for (int i = 0; i < scale; i++)
		pow10 *= 10;
	if (scale == 0)
		return psprintf("%s" UINT64_FORMAT, units < 0 ? "-" : "", abs_units);
	return psprintf("%s%llu.%0*llu", units < 0 ? "-" : "",
					(unsigned long long) (abs_units / pow10), scale,
					(unsigned long long) (abs_units % pow10));
}

const char *
aigw_billing_wallet_name(const AigwChatInput *input)
{
	if (input->wallet != NULL)
		return input->wallet;
	if (aigw_wallet != NULL && aigw_wallet[0] != '\0')
		return aigw_wallet;
	return NULL;
}

void
aigw_billing_check_access(const char *wallet, Oid owner, bool spend)
{
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for wallet \"%s\"", wallet),
				 errdetail("Only roles with the privileges of role \"%s\" may %s it.",
						   GetUserNameFromId(owner, false), spend ? "spend from" : "read"),
				 errhint("Pick another wallet with SET aigw.wallet or the call option \"wallet\"; aigw.wallet_status lists yours.")));
}

void
aigw_billing_check_committed(const char *wallet, TransactionId xmin)
{
	if (TransactionIdIsCurrentTransactionId(xmin))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wallet \"%s\" was created in this transaction", wallet),
				 errdetail("Its charges are written by aigw's worker pool, which cannot see the wallet until this transaction commits."),
				 errhint("COMMIT after aigw.create_wallet(), then use the wallet.")));
}

static Oid
balances_relid(void)
{
	return get_relname_relid("wallet_balances", get_namespace_oid("aigw", false));
}

void
aigw_billing_quote(const AigwTarget *target, const AigwChatInput *input,
				   int64 request_bytes, AigwBill *bill)
{
	Oid			types[6] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT4OID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	const char *wallet = NULL;
	MemoryContext caller_cxt = CurrentMemoryContext;
	bool		wallets_exist;
	Oid			owner;
	TransactionId xmin;
	bool		enabled;

	memset(bill, 0, sizeof(*bill));
	if (aigw_billing != AIGW_BILLING_OFF)
		wallet = aigw_billing_wallet_name(input);
	bill->input_bound = request_bytes + (int64) input->images * AIGW_IMAGE_TOKEN_BOUND;

	values[0] = wallet ? CStringGetTextDatum(wallet) : (Datum) 0;
	nulls[0] = wallet ? ' ' : 'n';
	values[1] = CStringGetTextDatum(target->model_id);
	values[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[3] = Int64GetDatum(bill->input_bound);
	values[4] = Int64GetDatum(input->max_output_tokens);
	nulls[4] = input->max_output_tokens < 0 ? 'n' : ' ';
	values[5] = Int32GetDatum(input->choices);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aigw_query_as_owner(&quote_plan,
						"SELECT * FROM aigw.billing_quote($1, $2, $3, $4, $5, $6)",
						6, types, values, nulls);
	MemoryContextSwitchTo(caller_cxt);

	wallets_exist = aigw_col_int64(Q_WALLETS_EXIST, 0) != 0;
	bill->billed = aigw_billing == AIGW_BILLING_ON ||
		(aigw_billing == AIGW_BILLING_AUTO && wallets_exist);
	bill->priced = !aigw_col_isnull(Q_RATE_INPUT);
	bill->wallet_id = aigw_col_int64(Q_WALLET_ID, 0);
	xmin = (TransactionId) aigw_col_int64(Q_WALLET_XMIN, 0);
	owner = (Oid) aigw_col_int64(Q_WALLET_OWNER, 0);
	enabled = aigw_col_int64(Q_WALLET_ENABLED, 0) != 0;
	bill->price_currency = aigw_col_text(Q_PRICE_CURRENCY);
	bill->rate_input = aigw_col_text(Q_RATE_INPUT);
	bill->rate_output = aigw_col_text(Q_RATE_OUTPUT);
	bill->rate_cached = aigw_col_text(Q_RATE_CACHED);
	bill->rate_reasoning = aigw_col_text(Q_RATE_REASONING);
	bill->fx = aigw_col_text(Q_FX);
	bill->output_bound = aigw_col_int64(Q_OUTPUT_BOUND, -1);
	bill->reserve = aigw_col_int64(Q_RESERVE, -1);
	bill->credit_limit = aigw_col_int64(Q_CREDIT_LIMIT, 0);
	bill->balance = aigw_col_int64(Q_BALANCE, 0);
	bill->version = aigw_col_int64(Q_VERSION, -1);
	if (bill->billed)
	{
		bill->currency = aigw_col_text(Q_CURRENCY);
		bill->scale = (int) aigw_col_int64(Q_SCALE, 0);
	}
	else
	{
		bill->currency = bill->price_currency;
		bill->scale = (int) aigw_col_int64(Q_PRICE_SCALE, 0);
	}
	SPI_finish();

	if (!bill->billed)
		return;
	if (wallet == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_WALLET),
				 errmsg("no wallet is selected to pay for this call"),
				 errdetail("Billing is on (aigw.billing = %s%s), so every call is charged to a wallet.",
						   aigw_billing == AIGW_BILLING_ON ? "on" : "auto",
						   aigw_billing == AIGW_BILLING_ON ? "" : ", and this database has wallets"),
				 errhint("SET aigw.wallet = '<wallet>' for the session, or pass the call option \"wallet\".")));
	bill->wallet = pstrdup(wallet);
	if (bill->wallet_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("wallet \"%s\" does not exist", wallet),
				 errhint("SELECT wallet FROM aigw.wallet_status lists the wallets you can use.")));
	aigw_billing_check_access(wallet, owner, true);
	aigw_billing_check_committed(wallet, xmin);
	if (!enabled)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wallet \"%s\" is disabled", wallet),
				 errhint("An administrator can enable it with UPDATE aigw.wallets SET enabled = true WHERE name = '%s'.",
						 wallet)));
	if (!bill->priced)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_PRICE),
				 errmsg("model \"%s\" has no price in force", target->model_id),
				 errdetail("The call would be charged to wallet \"%s\", but aigw.prices has no current price for the model.",
						   wallet),
				 errhint("An administrator can set one with aigw.set_price('%s', input_per_mtok, output_per_mtok).",
						 target->model_id)));
	if (bill->output_bound < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the cost of a call to model \"%s\" has no upper bound", target->model_id),
				 errdetail("The call sets no max_tokens and aigw.models knows neither the model's output limit nor its context window, so no worst case can be reserved."),
				 errhint("Pass the option max_tokens, or set aigw.models.max_output_tokens of \"%s\".",
						 target->model_id)));
	if (bill->reserve < 0)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_FX_RATE),
				 errmsg("no exchange rate from %s to %s is in force", bill->price_currency, bill->currency),
				 errdetail("Model \"%s\" is priced in %s and wallet \"%s\" holds %s.",
						   target->model_id, bill->price_currency, wallet, bill->currency),
				 errhint("An administrator can set one with aigw.set_fx('%s', '%s', rate), or price the model in %s with aigw.set_price().",
						 bill->price_currency, bill->currency, bill->currency)));
	bill->relid = balances_relid();
}

void
aigw_billing_reserve(const AigwTarget *target, AigwBill *bill)
{
	AigwWalletKey key;
	int64		balance;
	int64		reserved;

	if (!bill->billed)
		return;
	memset(&key, 0, sizeof(key));
	key.dboid = MyDatabaseId;
	key.relid = bill->relid;
	key.wallet_id = bill->wallet_id;
	bill->entry = aigw_wallet_observe(&key, bill->balance, bill->version);
	if (bill->entry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many wallets are in use"),
				 errdetail("aigw.max_wallets is %d.", aigw_max_wallets),
				 errhint("Raise aigw.max_wallets (needs a restart).")));
	if (!aigw_wallet_reserve(bill->entry, bill->reserve, bill->credit_limit, &balance, &reserved))
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_INSUFFICIENT_FUNDS),
				 errmsg("wallet \"%s\" cannot cover a call to model \"%s\"",
						bill->wallet, target->model_id),
				 errdetail("The call may cost up to %s %s (at most " INT64_FORMAT " prompt and " INT64_FORMAT " completion tokens); the balance is %s %s, calls in flight hold %s %s and the credit limit is %s %s.",
						   aigw_units_text(bill->reserve, bill->scale), bill->currency,
						   bill->input_bound, bill->output_bound,
						   aigw_units_text(balance, bill->scale), bill->currency,
						   aigw_units_text(reserved, bill->scale), bill->currency,
						   aigw_units_text(bill->credit_limit, bill->scale), bill->currency),
				 errhint("Top up the wallet with aigw.topup(), or bound the answer with a lower max_tokens.")));
}

static void
put(StringInfo buf, AigwRequestField f, const char *s)
{
	AIGW_MSG_PUT(buf, AigwRequestMsg, f, s ? s : "", s ? strlen(s) : 0);
}

Size
aigw_billing_size(const AigwBill *bill)
{
	const char *fields[] = {bill->wallet, bill->currency, bill->price_currency, bill->rate_input,
	bill->rate_output, bill->rate_cached, bill->rate_reasoning, bill->fx};
	Size		size = 0;

	for (int i = 0; i < lengthof(fields); i++)
		size += (fields[i] ? strlen(fields[i]) : 0) + 1;
	return size;
}

void
aigw_billing_put(StringInfo msg, const AigwBill *bill)
{
	put(msg, RQ_WALLET, bill->billed ? bill->wallet : NULL);
	put(msg, RQ_CURRENCY, bill->currency);
	put(msg, RQ_ORIGINAL_CURRENCY, bill->price_currency);
	put(msg, RQ_RATE_INPUT, bill->rate_input);
	put(msg, RQ_RATE_OUTPUT, bill->rate_output);
	put(msg, RQ_RATE_CACHED, bill->rate_cached);
	put(msg, RQ_RATE_REASONING, bill->rate_reasoning);
	put(msg, RQ_FX, bill->billed ? bill->fx : NULL);
}
