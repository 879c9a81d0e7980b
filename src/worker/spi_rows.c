/*
 * spi_rows.c
 *	  A pool worker's statements over many rows at once (settle.c, intent.c),
 *	  and what every row it writes records of where it runs.
 *
 * Per row, executor start-up (the plan's expressions, the CHECK
 * constraints and indexes of the table written) would cost more than the
 * rows themselves, so a turn's rows travel as one array per column and one
 * statement unnests them.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "worker/spi_rows.h"

SPIPlanPtr
aigw_spi_plan(SPIPlanPtr *plan, const char *sql, int nargs, const Oid *types)
{
	if (*plan == NULL)
	{
		/*
		 * Generic from the first execution: a custom plan would be made
		 * again for every turn (inlining token_cost each time), and these
		 * statements gain nothing from knowing their parameters.
		 */
		SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, (Oid *) types, CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*plan = p;
	}
	return *plan;
}

/*
 * Rows (n of them, ncolumns values each, row after row) as one array
 * parameter per column; *array_types gets the parameters' types.
 */
static void
array_params(const Datum *rows, const char *nulls, int n, int ncolumns, const Oid *types,
			 Datum *params, Oid *array_types)
{
	Datum	   *column = palloc(sizeof(Datum) * n);
	bool	   *colnulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int c = 0; c < ncolumns; c++)
	{
		int16		len;
		bool		byval;
		char		align;

		for (int k = 0; k < n; k++)
		{
			column[k] = rows[k * ncolumns + c];
			colnulls[k] = nulls[k * ncolumns + c] == 'n';
		}
		get_typlenbyvalalign(types[c], &len, &byval, &align);
		params[c] = PointerGetDatum(construct_md_array(column, colnulls, 1, dims, lbs, types[c],
													   len, byval, align));
		array_types[c] = get_array_type(types[c]);
	}
	pfree(column);
	pfree(colnulls);
}

int
aigw_spi_execute_rows(SPIPlanPtr *plan, const char *sql, int ncolumns, const Oid *types,
					  const Datum *rows, const char *nulls, int n)
{
	Datum	   *params = palloc(sizeof(Datum) * ncolumns);
	Oid		   *array_types = palloc(sizeof(Oid) * ncolumns);

	array_params(rows, nulls, n, ncolumns, types, params, array_types);
	return SPI_execute_plan(aigw_spi_plan(plan, sql, ncolumns, array_types), params, NULL, false, 0);
}

const char *
aigw_spi_database_name(void)
{
	static char *name = NULL;

	if (name == NULL)
		name = MemoryContextStrdup(TopMemoryContext, get_database_name(MyDatabaseId));
	return name;
}

void
aigw_spi_set_text(Datum *values, char *nulls, int i, const char *s)
{
	values[i] = s ? CStringGetTextDatum(s) : (Datum) 0;
	nulls[i] = s ? ' ' : 'n';
}
