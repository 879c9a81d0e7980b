/*
 * catalog.c
 *	  Resolving a model name to a provider, an endpoint and a credential.
 *
 * The lookup runs as the owner of aigw.credentials, the way a SECURITY
 * DEFINER function would, because the secret must be readable by aigw but
 * by no calling role.  The secret never leaves this backend except in the
 * request handed to the pool, and is never put in an error message.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "aigw.h"
#include "catalog.h"

static SPIPlanPtr resolve_plan = NULL;

/*
 * Runs with the credentials owner's rights, so nothing in it may resolve
 * through the caller's search_path: tables are qualified and so are the
 * operators (a caller could otherwise define its own "=" and have it run
 * with those rights).
 */
static const char *const resolve_sql =
"SELECT p.name, p.api_style, p.base_url, p.auth_scheme, p.enabled,"
"       p.request_timeout_ms, p.connect_timeout_ms, p.extra_headers,"
"       m.id, m.upstream_model, m.enabled,"
"       c.secret, p.api_version, m.max_output_tokens"
"  FROM aigw.providers p"
"  LEFT JOIN aigw.models m ON m.provider OPERATOR(pg_catalog.=) p.name"
"                         AND m.id OPERATOR(pg_catalog.=) $2"
"  LEFT JOIN aigw.credentials c ON c.provider OPERATOR(pg_catalog.=) p.name"
" WHERE p.name OPERATOR(pg_catalog.=) $1";

enum
{
	COL_PROVIDER = 1, COL_API_STYLE, COL_BASE_URL, COL_AUTH_SCHEME, COL_PROVIDER_ENABLED,
	COL_REQUEST_TIMEOUT, COL_CONNECT_TIMEOUT, COL_EXTRA_HEADERS,
	COL_MODEL_ID, COL_UPSTREAM_MODEL, COL_MODEL_ENABLED, COL_SECRET, COL_API_VERSION,
	COL_MAX_OUTPUT
};

/* The pg_class row of one of aigw's tables (release it), or NULL. */
HeapTuple
aigw_table_tuple(const char *relname)
{
	Oid			relid = get_relname_relid(relname, get_namespace_oid("aigw", false));

	return OidIsValid(relid) ? SearchSysCache1(RELOID, ObjectIdGetDatum(relid)) : NULL;
}

/*
 * The pool's workers log in transactions of their own; they cannot see an
 * extension this transaction created and has not committed.
 */
void
aigw_require_committed_extension(void)
{
	HeapTuple	tup = aigw_table_tuple("requests");
	bool		uncommitted;

	if (!HeapTupleIsValid(tup))
		return;
	uncommitted = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
	ReleaseSysCache(tup);
	if (uncommitted)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("aigw was installed in this transaction"),
				 errdetail("Calls are logged by aigw's worker pool, which cannot see the extension until this transaction commits."),
				 errhint("COMMIT after CREATE EXTENSION aigw, then call.")));
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

static char *
col_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static int
col_int(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

static bool
col_bool(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

void
aigw_resolve_model(const char *model, AigwTarget *out)
{
	const char *slash = strchr(model, '/');
	char	   *provider;
	Oid			save_userid;
	int			save_sec_context;
	Datum		args[2];
	int			rc;
	HeapTuple	tup;
	TupleDesc	desc;
	MemoryContext caller_cxt = CurrentMemoryContext;
	bool		isnull;

	if (slash == NULL || slash == model || slash[1] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" is not of the form provider/model", model),
				 errhint("Write e.g. 'openai/gpt-4o-mini'; SELECT id FROM aigw.models lists the catalogue.")));
	provider = pnstrdup(model, slash - model);
	aigw_require_committed_extension();

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(aigw_tables_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	if (resolve_plan == NULL)
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		SPIPlanPtr	plan = SPI_prepare_cursor(resolve_sql, 2, types, CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		resolve_plan = plan;
	}
	args[0] = CStringGetTextDatum(provider);
	args[1] = CStringGetTextDatum(model);
	rc = SPI_execute_plan(resolve_plan, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "model lookup failed: %s", SPI_result_code_string(rc));

	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown provider \"%s\" in model \"%s\"", provider, model),
				 errhint("SELECT name FROM aigw.providers lists the providers.")));

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;

	if (col_text(tup, desc, COL_MODEL_ID) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown model \"%s\"", model),
				 errdetail("Provider \"%s\" exists but aigw.models has no model \"%s\".",
						   provider, model),
				 errhint("SELECT id FROM aigw.models WHERE provider = '%s' lists its models; an administrator can add one with INSERT INTO aigw.models (id, provider, upstream_model).",
						 provider)));
	if (!col_bool(tup, desc, COL_PROVIDER_ENABLED))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("provider \"%s\" is disabled", provider),
				 errhint("An administrator can enable it with UPDATE aigw.providers SET enabled = true WHERE name = '%s'.",
						 provider)));
	if (!col_bool(tup, desc, COL_MODEL_ENABLED))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" is disabled", model),
				 errhint("An administrator can enable it with UPDATE aigw.models SET enabled = true WHERE id = '%s'.",
						 model)));

	MemoryContextSwitchTo(caller_cxt);
	out->model_id = pstrdup(model);
	out->provider = provider;
	out->upstream_model = col_text(tup, desc, COL_UPSTREAM_MODEL);
	out->api_style = col_text(tup, desc, COL_API_STYLE);
	out->base_url = col_text(tup, desc, COL_BASE_URL);
	out->auth_scheme = col_text(tup, desc, COL_AUTH_SCHEME);
	out->secret = col_text(tup, desc, COL_SECRET);
	out->request_timeout_ms = col_int(tup, desc, COL_REQUEST_TIMEOUT);
	out->connect_timeout_ms = col_int(tup, desc, COL_CONNECT_TIMEOUT);
	out->extra_headers = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, COL_EXTRA_HEADERS, &isnull));
	out->api_version = col_text(tup, desc, COL_API_VERSION);
	out->max_output_tokens = col_int(tup, desc, COL_MAX_OUTPUT);
	SPI_finish();

	if (out->secret == NULL && strcmp(out->auth_scheme, "none") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
				 errmsg("no credential is set for provider \"%s\"", provider),
				 errdetail("Model \"%s\" needs the API key of provider \"%s\".", model, provider),
				 errhint("An administrator can set it with SELECT aigw.set_credential('%s', '<api key>').",
						 provider)));
}
