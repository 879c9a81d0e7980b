/*
 * semantic_sql.c
 *	  The semantic functions' SQL entry points: each one gateway call with
 *	  structured output (batch/semantic.c), read ahead where a plan allows
 *	  it.  The read-ahead scan knows them by these C symbols.
 */
#include "postgres.h"

#include "fmgr.h"

#include "batch/sql_call.h"

PG_FUNCTION_INFO_V1(aigw_is_true);
PG_FUNCTION_INFO_V1(aigw_classify);
PG_FUNCTION_INFO_V1(aigw_extract);
PG_FUNCTION_INFO_V1(aigw_score);

Datum
aigw_is_true(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_IS_TRUE, fcinfo);
}

Datum
aigw_classify(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_CLASSIFY, fcinfo);
}

Datum
aigw_extract(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_EXTRACT, fcinfo);
}

Datum
aigw_score(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_SCORE, fcinfo);
}
