/*
 * db_guard.c
 *	  Stop a database's worker pool before a command that needs the
 *	  database to have no connections: DROP DATABASE, ALTER DATABASE ...
 *	  RENAME, and CREATE DATABASE ... TEMPLATE.
 *
 * Pool workers stay connected to their database while they have work or
 * until aigw.pool_idle_timeout; without this, those commands would fail
 * with "database is being accessed by other users".  PostgreSQL waits up to
 * 5 seconds for other sessions to leave, which is ample for a worker that
 * was asked to stop.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"

#include "common/pg_compat.h"
#include "common/settings.h"
#include "init/db_guard.h"
#include "batch/dispatcher.h"
#include "pool/pool.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/*
 * Only for a command that can succeed: one run outside a transaction block
 * by the database's owner (or a superuser).  Anyone else's failed DROP
 * DATABASE must not abort another role's calls in flight.
 */
static void
stop_pool_of(const char *dbname)
{
	Oid			dboid;

	if (dbname == NULL || IsTransactionBlock())
		return;
	dboid = get_database_oid(dbname, true);
	if (!OidIsValid(dboid))
		return;
	if (!aigw_database_ownercheck(dboid, GetUserId()))
		return;
	aigw_pool_stop(dboid);
	aigw_dispatcher_stop(dboid);
}

static const char *
template_of(CreatedbStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, "template") == 0)
			return defGetString(opt);
	}
	return NULL;
}

static void
aigw_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					 ProcessUtilityContext context, ParamListInfo params,
					 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *node = pstmt->utilityStmt;

	if (IsA(node, DropdbStmt))
		stop_pool_of(((DropdbStmt *) node)->dbname);
	else if (IsA(node, RenameStmt) && ((RenameStmt *) node)->renameType == OBJECT_DATABASE)
		stop_pool_of(((RenameStmt *) node)->subname);
	else if (IsA(node, CreatedbStmt))
		stop_pool_of(template_of((CreatedbStmt *) node));

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

void
aigw_db_guard_install(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = aigw_process_utility;
}
