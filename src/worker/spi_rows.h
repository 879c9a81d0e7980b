/*
 * spi_rows.h
 *	  A pool worker's statements over many rows at once: one array
 *	  parameter per column, so a turn's rows cost one executor start-up.
 */
#ifndef AIGW_SPI_ROWS_H
#define AIGW_SPI_ROWS_H

#include "postgres.h"

#include "executor/spi.h"

/* The statement's kept plan, prepared (generic) on first use. */
extern SPIPlanPtr aigw_spi_plan(SPIPlanPtr *plan, const char *sql, int nargs, const Oid *types);

/*
 * Execute sql over n rows (ncolumns values each, row after row, nulls as
 * SPI's ' '/'n'), given as one array parameter per column of types.
 */
extern int	aigw_spi_execute_rows(SPIPlanPtr *plan, const char *sql, int ncolumns,
								  const Oid *types, const Datum *rows, const char *nulls, int n);

/* values[i] = s as text, or NULL. */
extern void aigw_spi_set_text(Datum *values, char *nulls, int i, const char *s);

/* This database's name, as the rows the worker writes record it (looked up
 * once, in a transaction). */
extern const char *aigw_spi_database_name(void);

#endif							/* AIGW_SPI_ROWS_H */
