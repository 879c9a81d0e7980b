/*
 * shipped_rows.c
 *	  Whether the running command is one of aigw's own install or upgrade
 *	  scripts.
 *
 * The catalogue tables (providers, models, prices, currencies,
 * catalogue_providers) hold rows aigw ships and rows an administrator adds
 * or changes.  pg_dump must carry the latter and only them, since CREATE
 * EXTENSION brings back the former; the trigger that keeps each row's
 * origin (sql, aigw.shipped_rows) tells the two by who wrote the row: aigw's
 * scripts, or anyone else.  Nothing in SQL says whether a statement runs
 * inside an extension script, so this asks the backend: CREATE EXTENSION
 * and ALTER EXTENSION UPDATE set creating_extension and the extension
 * being built for the whole time their scripts run, and for nothing else.
 */
#include "postgres.h"

#include "commands/extension.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(aigw_installing);

Datum
aigw_installing(PG_FUNCTION_ARGS)
{
	/*
	 * Another extension's script (one that depends on aigw, say) writing
	 * aigw's tables writes as an administrator would: only aigw's own
	 * scripts ship rows.
	 */
	PG_RETURN_BOOL(creating_extension &&
				   CurrentExtensionObject == get_extension_oid("aigw", true));
}
