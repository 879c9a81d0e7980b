/*
 * wallet_visibility.c
 *	  aigw.wallet_spenders and aigw.default_wallet: what a role may learn
 *	  about wallets.
 *
 * Row-level security on aigw.wallets needs the roles that may spend from a
 * wallet, which it cannot read through the table's own policies (they would
 * recurse), so a helper reads them with the rights of aigw's tables' owner.
 * A SECURITY DEFINER function could do that, but it would answer anyone
 * about any wallet: inside it the caller is gone.  These are C functions
 * instead, run with the caller's rights: they run the lookup as the owner
 * (owner_query.c) and pass the caller they saw, and the SQL they call
 * answers only about a wallet that caller may read, by the rule the policy
 * on aigw.wallets applies (aigw.wallet_visible_to).  Called as the owner
 * (aigw's own code, SECURITY DEFINER functions) they see every wallet, as
 * the owner does.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/owner_query.h"

PG_FUNCTION_INFO_V1(aigw_wallet_spenders);
PG_FUNCTION_INFO_V1(aigw_default_wallet);

static SPIPlanPtr spenders_plan = NULL;
static SPIPlanPtr default_plan = NULL;

/*
 * The one value a query answers, run as the owner of aigw's tables (with
 * the caller's role passed in, for the visibility rule), copied out of
 * SPI's memory.
 */
static Datum
owner_value(SPIPlanPtr *plan, const char *sql, Oid *types, Datum *values, bool *isnull)
{
	Datum		d;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aigw_query_as_owner(plan, sql, 2, types, values, NULL);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	d = *isnull ? (Datum) 0 : SPI_datumTransfer(d, false, -1);
	SPI_finish();
	return d;
}

Datum
aigw_wallet_spenders(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {INT8OID, OIDOID};
	Datum		values[2] = {PG_GETARG_DATUM(0), ObjectIdGetDatum(GetUserId())};
	bool		isnull;
	Datum		result = owner_value(&spenders_plan,
									 "SELECT CASE WHEN aigw.wallet_visible_to($1, $2) THEN aigw.spenders_of($1) ELSE '{}' END",
									 types, values, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

Datum
aigw_default_wallet(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2] = {PG_GETARG_DATUM(0), ObjectIdGetDatum(GetUserId())};
	bool		isnull;
	Datum		result = owner_value(&default_plan, "SELECT aigw.default_wallet_visible_to($1, $2)",
									 types, values, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
