/*
 * semantic.c
 *	  The semantic functions' halves (sql_call.h): is_true, classify,
 *	  extract, score.  (Placeholder until they land.)
 */
#include "postgres.h"

#include "batch/sql_call.h"

bool
aigw_semantic_prepare(AigwSqlCallKind kind, int nargs, const Datum *args, const bool *nulls,
					  AigwSqlCall *out)
{
	elog(ERROR, "%s is not available yet", aigw_sql_call_name(kind));
}

bool
aigw_semantic_finish(const AigwSqlCall *sc, Jsonb *answer, Datum *value, bool *isnull, char **why)
{
	elog(ERROR, "%s is not available yet", aigw_sql_call_name(sc->kind));
}
