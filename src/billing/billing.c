/*
 * billing.c
 *	  Before a call is sent: find the wallet that pays and the price in
 *	  force, check the caller may spend from the wallet, and reserve the
 *	  call's worst-case cost in shared memory (DESIGN.md, invariant 3).  The
 *	  charge itself is made by the worker that logs the call (settle.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "billing/billing.h"
#include "common/message.h"
#include "catalog/quote_cache.h"
#include "tenants/tenant.h"
#include "common/owner_query.h"

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

int64
aigw_units_from_text(const char *text, int scale)
{
	bool		negative = (*text == '-');
	const char *p = text + (negative || *text == '+');
	int64		units = 0;
	int			decimals = -1;

	for (; *p; p++)
	{
		if (*p == '.' && decimals < 0)
		{
			decimals = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || decimals == scale)
			break;
		units = units * 10 + (*p - '0');
		if (decimals >= 0)
			decimals++;
	}
	for (decimals = Max(decimals, 0); decimals < scale; decimals++)
		units *= 10;
	return negative ? -units : units;
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

/*
 * The worst case in units of 10^-scale, rounded up:
 * (prompt bound x highest input rate + output bound x highest output rate)
 * / 1e6 x fx (NULL: 1), times 10^scale.  scale is at least 6, so the
 * division by a million folds into the power of ten and every step is exact.
 */
static int64
worst_case_units(Numeric input_rate, Numeric output_rate, int64 input_tokens, int64 output_tokens,
				 Numeric fx, int scale)
{
	Datum		in = DirectFunctionCall2(numeric_mul,
										 NumericGetDatum(int64_to_numeric(input_tokens)),
										 NumericGetDatum(input_rate));
	Datum		out = DirectFunctionCall2(numeric_mul,
										  NumericGetDatum(int64_to_numeric(output_tokens)),
										  NumericGetDatum(output_rate));
	Datum		total = DirectFunctionCall2(numeric_add, in, out);
	int64		pow10 = 1;

	for (int i = 6; i < scale; i++)
		pow10 *= 10;
	if (fx != NULL)
		total = DirectFunctionCall2(numeric_mul, total, NumericGetDatum(fx));
	total = DirectFunctionCall2(numeric_mul, total, NumericGetDatum(int64_to_numeric(pow10)));
	total = DirectFunctionCall1(numeric_ceil, total);
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, total));
}

void
aigw_billing_quote(const AigwTarget *target, const AigwChatInput *input,
				   int64 request_bytes, TimestampTz at, AigwBill *bill)
{
	const char *wallet = NULL;
	const AigwQuote *q;

	memset(bill, 0, sizeof(*bill));
	if (aigw_billing != AIGW_BILLING_OFF)
		wallet = aigw_tenant_wallet(input->wallet);
	bill->input_bound = request_bytes + (int64) input->images * AIGW_IMAGE_TOKEN_BOUND;

	q = aigw_quote_get(wallet, target->model_id, at);
	bill->quote = q;
	bill->billed = aigw_billing == AIGW_BILLING_ON ||
		(aigw_billing == AIGW_BILLING_AUTO && q->wallets_exist);
	bill->currency = bill->billed ? q->currency : q->price_currency;
	bill->scale = bill->billed ? q->scale : q->price_scale;
	bill->output_bound = -1;
	if (input->max_output_tokens >= 0)
		bill->output_bound = input->max_output_tokens;
	else if (q->model_max_output >= 0)
		bill->output_bound = q->model_max_output;
	else if (q->model_context >= 0)
		bill->output_bound = q->model_context;
	if (bill->output_bound >= 0)
		bill->output_bound *= Max(input->choices, 1);

	if (!bill->billed)
		return;
	if (wallet == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_WALLET),
				 errmsg("no wallet is selected to pay for this call"),
				 errdetail("Billing is on (aigw.billing = %s%s), so every call is charged to a wallet.",
						   aigw_billing == AIGW_BILLING_ON ? "on" : "auto",
						   aigw_billing == AIGW_BILLING_ON ? "" : ", and this database has wallets"),
				 errhint("SET aigw.wallet = '<wallet>' for the session, pass the call option \"wallet\", or have an administrator give the role a default wallet with aigw.set_default_wallet().")));
	bill->wallet = pstrdup(wallet);
	if (q->wallet_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("wallet %s does not exist", aigw_quote_name(wallet)),
				 errdetail("It was named by %s.", aigw_tenant_wallet_source()),
				 errhint("SELECT wallet FROM aigw.wallet_status lists the wallets you can use.")));
	aigw_tenant_check_spend(wallet, q);
	aigw_billing_check_committed(wallet, q->wallet_xmin);
	if (!q->wallet_enabled)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wallet \"%s\" is disabled", wallet),
				 errhint("An administrator can enable it with UPDATE aigw.wallets SET enabled = true WHERE name = '%s'.",
						 wallet)));
	if (q->price_currency == NULL)
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
	if (q->fx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_FX_RATE),
				 errmsg("no exchange rate from %s to %s is in force", q->price_currency, bill->currency),
				 errdetail("Model \"%s\" is priced in %s and wallet \"%s\" holds %s.",
						   target->model_id, q->price_currency, wallet, bill->currency),
				 errhint("An administrator can set one with aigw.set_fx('%s', '%s', rate), or price the model in %s with aigw.set_price().",
						 q->price_currency, bill->currency, bill->currency)));
	bill->reserve = worst_case_units(q->max_input_rate, q->max_output_rate, bill->input_bound,
									 bill->output_bound, q->fx, q->scale);
	bill->relid = aigw_table_oid("wallet_balances");
}

void
aigw_billing_reserve(const AigwTarget *target, AigwBill *bill)
{
	const AigwQuote *q = bill->quote;
	AigwWalletKey key = aigw_wallet_key(bill->relid, q->wallet_id);
	int64		balance;
	int64		reserved;

	if (!bill->billed)
		return;
	bill->entry = aigw_wallet_observe(&key, q->balance, q->version);
	if (bill->entry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many wallets are in use"),
				 errdetail("aigw.max_wallets is %d.", aigw_max_wallets),
				 errhint("Raise aigw.max_wallets (needs a restart).")));
	if (!aigw_wallet_reserve(bill->entry, bill->reserve, q->credit_limit, &balance, &reserved))
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_INSUFFICIENT_FUNDS),
				 errmsg("wallet \"%s\" cannot cover a call to model \"%s\"",
						bill->wallet, target->model_id),
				 errdetail("The call may cost up to %s %s (at most " INT64_FORMAT " prompt and " INT64_FORMAT " completion tokens); the balance is %s %s, calls in flight hold %s %s and the credit limit is %s %s.",
						   aigw_units_text(bill->reserve, bill->scale), bill->currency,
						   bill->input_bound, bill->output_bound,
						   aigw_units_text(balance, bill->scale), bill->currency,
						   aigw_units_text(reserved, bill->scale), bill->currency,
						   aigw_units_text(q->credit_limit, bill->scale), bill->currency),
				 errhint("Top up the wallet with aigw.topup(), or bound the answer with a lower max_tokens.")));
}

int64
aigw_billing_worst_case(const AigwBill *bill)
{
	if (bill->billed)
		return bill->reserve;
	if (bill->quote->price_currency == NULL || bill->output_bound < 0)
		return -1;
	return worst_case_units(bill->quote->max_input_rate, bill->quote->max_output_rate,
							bill->input_bound, bill->output_bound, NULL, bill->scale);
}

int64
aigw_billing_batch_worst_case(const AigwBill *bill)
{
	const AigwQuote *q = bill->quote;

	if (q->price_currency == NULL || q->max_batch_input_rate == NULL || bill->output_bound < 0)
		return -1;
	return worst_case_units(q->max_batch_input_rate, q->max_batch_output_rate, bill->input_bound,
							bill->output_bound, bill->billed ? q->fx : NULL, bill->scale);
}

Size
aigw_billing_size(const AigwBill *bill)
{
	const AigwQuote *q = bill->quote;
	const char *fields[] = {bill->wallet, bill->currency, q->price_currency, q->rate_input,
	q->rate_output, q->rate_cached, q->rate_reasoning, q->rate_cache_write, q->fx_text};
	Size		size = 0;

	for (int i = 0; i < lengthof(fields); i++)
		size += (fields[i] ? strlen(fields[i]) : 0) + 1;
	return size;
}

void
aigw_billing_put(StringInfo msg, const AigwBill *bill)
{
	const AigwQuote *q = bill->quote;

	aigw_request_put(msg, RQ_WALLET, bill->billed ? bill->wallet : NULL);
	aigw_request_put(msg, RQ_CURRENCY, bill->currency);
	aigw_request_put(msg, RQ_ORIGINAL_CURRENCY, q->price_currency);
	aigw_request_put(msg, RQ_RATE_INPUT, q->rate_input);
	aigw_request_put(msg, RQ_RATE_OUTPUT, q->rate_output);
	aigw_request_put(msg, RQ_RATE_CACHED, q->rate_cached);
	aigw_request_put(msg, RQ_RATE_REASONING, q->rate_reasoning);
	aigw_request_put(msg, RQ_RATE_CACHE_WRITE, q->rate_cache_write);
	aigw_request_put(msg, RQ_FX, bill->billed ? q->fx_text : NULL);
}

/* Balances changed by this transaction, published at its commit. */
typedef struct PendingBalance
{
	int64		wallet_id;
	int64		units;
	int64		version;
} PendingBalance;

static PendingBalance *pending = NULL;
static int	npending = 0;
static int	pending_cap = 0;
static Oid	pending_relid = InvalidOid;
static bool pending_callback = false;

static void
publish_at_commit(XactEvent event, void *arg)
{
	if (npending == 0)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		for (int i = 0; i < npending; i++)
		{
			AigwWalletKey key = aigw_wallet_key(pending_relid, pending[i].wallet_id);

			(void) aigw_wallet_observe(&key, pending[i].units, pending[i].version);
		}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		npending = 0;
}

void
aigw_billing_publish_balances(void)
{
	if (!pending_callback)
	{
		RegisterXactCallback(publish_at_commit, NULL);
		pending_callback = true;
	}
	if (SPI_processed > 0)
		pending_relid = aigw_table_oid("wallet_balances");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		wallet = SPI_getbinval(tup, desc, 1, &isnull);

		if (isnull)
			continue;
		if (npending == pending_cap)
		{
			pending_cap = Max(8, pending_cap * 2);
			pending = pending ? repalloc(pending, sizeof(PendingBalance) * pending_cap)
				: MemoryContextAlloc(TopMemoryContext, sizeof(PendingBalance) * pending_cap);
		}
		pending[npending].wallet_id = DatumGetInt64(wallet);
		pending[npending].units = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		pending[npending].version = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
		npending++;
	}
}
