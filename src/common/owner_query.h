/*
 * owner_query.h
 *	  Running one of aigw's internal SQL functions as the owner of aigw's
 *	  tables (see aigw_tables_owner), from the calling backend.
 */
#ifndef AIGW_OWNER_QUERY_H
#define AIGW_OWNER_QUERY_H

#include "postgres.h"

#include "access/htup.h"
#include "executor/spi.h"

/*
 * The role that owns aigw's tables (the extension's installer).  aigw's C
 * code reads credentials, wallets and prices as this role, under
 * SECURITY_RESTRICTED_OPERATION, and checks the caller's rights itself.
 */
extern Oid	aigw_tables_owner(void);
extern HeapTuple aigw_table_tuple(const char *relname);
extern Oid	aigw_table_oid(const char *relname);	/* InvalidOid if missing */

/*
 * Execute `sql` (prepared once into *plan and kept) with SPI, as the owner
 * of aigw's tables under SECURITY_RESTRICTED_OPERATION.  SPI must be
 * connected; the result is in SPI_tuptable.  A fresh snapshot is taken
 * (read_only = false) so that the latest committed balance and prices are
 * seen even in a long transaction at READ COMMITTED.
 */
extern void aigw_query_as_owner(SPIPlanPtr *plan, const char *sql, int nargs,
								Oid *types, Datum *values, const char *nulls);

/* The same for a query of any number of rows; returns how many. */
extern uint64 aigw_query_rows_as_owner(SPIPlanPtr *plan, const char *sql, int nargs,
									   Oid *types, Datum *values, const char *nulls);

/* Column helpers, on the first row: NULL / 0 / false for a NULL value. */
extern char *aigw_col_text(int col);
extern int64 aigw_col_int64(int col, int64 if_null);
extern bool aigw_col_isnull(int col);

#endif							/* AIGW_OWNER_QUERY_H */
