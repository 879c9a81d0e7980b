/*
 * owner_query.c
 *	  Internal queries run with the rights of aigw's tables' owner.
 *
 * The queries call aigw's own functions, which fix their search_path, or
 * qualify every table and operator, so nothing a caller put on its
 * search_path runs with those rights.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "common/owner_query.h"

Oid
aigw_table_oid(const char *relname)
{
	return get_relname_relid(relname, get_namespace_oid("aigw", false));
}

/* The pg_class row of one of aigw's tables (release it), or NULL. */
HeapTuple
aigw_table_tuple(const char *relname)
{
	Oid			relid = aigw_table_oid(relname);

	return OidIsValid(relid) ? SearchSysCache1(RELOID, ObjectIdGetDatum(relid)) : NULL;
}

Oid
aigw_tables_owner(void)
{
	HeapTuple	tup = aigw_table_tuple("credentials");
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table aigw.credentials is missing"),
				 errhint("Reinstall the extension: DROP EXTENSION aigw; CREATE EXTENSION aigw.")));
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

uint64
aigw_query_rows_as_owner(SPIPlanPtr *plan, const char *sql, int nargs,
						 Oid *types, Datum *values, const char *nulls)
{
	Oid			save_userid;
	int			save_sec_context;
	int			rc;

	if (*plan == NULL)
	{
		/* generic: planned once, not again for every call (see settle.c) */
		SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*plan = p;
	}

	/* Restored by transaction abort if the query fails. */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(aigw_tables_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_plan(*plan, values, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	/* a query, or a change with or without RETURNING */
	if (rc < 0 || rc == SPI_OK_UTILITY)
		elog(ERROR, "\"%s\" returned %s", sql, SPI_result_code_string(rc));
	return SPI_processed;
}

void
aigw_query_as_owner(SPIPlanPtr *plan, const char *sql, int nargs,
					Oid *types, Datum *values, const char *nulls)
{
	uint64		n = aigw_query_rows_as_owner(plan, sql, nargs, types, values, nulls);

	if (n != 1)
		elog(ERROR, "\"%s\" returned " UINT64_FORMAT " rows", sql, n);
}

char *
aigw_col_text(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		return NULL;
	/* text, or anything else through its output function */
	if (SPI_gettypeid(SPI_tuptable->tupdesc, col) == TEXTOID)
		return TextDatumGetCString(d);
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

int64
aigw_col_int64(int col, int64 if_null)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	Oid			type = SPI_gettypeid(SPI_tuptable->tupdesc, col);

	if (isnull)
		return if_null;
	switch (type)
	{
		case INT8OID:
			return DatumGetInt64(d);
		case INT4OID:
			return DatumGetInt32(d);
		case OIDOID:
			return DatumGetObjectId(d);
		case XIDOID:
			return DatumGetTransactionId(d);
		case BOOLOID:
			return DatumGetBool(d);
		default:
			elog(ERROR, "column %d has unexpected type %u", col, type);
	}
	return 0;
}

bool
aigw_col_isnull(int col)
{
	bool		isnull;

	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	return isnull;
}
