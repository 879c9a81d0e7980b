/*
 * catalog.c
 *	  Resolving a model name to a provider, an endpoint and a credential.
 *
 * The lookup runs as the owner of aigw.credentials, the way a SECURITY
 * DEFINER function would, because the credential must be readable by aigw
 * but by no calling role.  It is read sealed (secret_box.h) and handed to
 * the pool sealed: a calling backend never decrypts a provider key.
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
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "common/settings.h"
#include "catalog/catalog.h"
#include "common/owner_query.h"
#include "catalog/quote_cache.h"
#include "common/secret_box.h"

static SPIPlanPtr resolve_plan = NULL;

/*
 * Run as the credentials owner (aigw_query_as_owner), so nothing in it may
 * resolve through the caller's search_path: tables are qualified and so
 * are the operators (a caller could otherwise define its own "=" and have
 * it run with those rights).  One row always; p.name is NULL for an
 * unknown provider.
 */
static const char *const resolve_sql =
"SELECT p.name, p.api_style, p.base_url, p.auth_scheme, p.enabled,"
"       p.request_timeout_ms, p.connect_timeout_ms, p.extra_headers,"
"       m.id, m.upstream_model, m.enabled,"
"       c.ciphertext, p.api_version, m.max_output_tokens,"
"       m.kind OPERATOR(pg_catalog.=) 'embedding', m.dimensions, m.dimensions_settable,"
"       m.max_inputs_per_request, m.max_tokens_per_request, m.context_window"
"  FROM (SELECT 1) AS one"
"  LEFT JOIN aigw.providers p ON p.name OPERATOR(pg_catalog.=) $1"
"  LEFT JOIN aigw.models m ON m.provider OPERATOR(pg_catalog.=) p.name"
"                         AND m.id OPERATOR(pg_catalog.=) $2"
"  LEFT JOIN aigw.credentials c ON c.provider OPERATOR(pg_catalog.=) p.name";

enum
{
	COL_PROVIDER = 1, COL_API_STYLE, COL_BASE_URL, COL_AUTH_SCHEME, COL_PROVIDER_ENABLED,
	COL_REQUEST_TIMEOUT, COL_CONNECT_TIMEOUT, COL_EXTRA_HEADERS,
	COL_MODEL_ID, COL_UPSTREAM_MODEL, COL_MODEL_ENABLED, COL_CREDENTIAL, COL_API_VERSION,
	COL_MAX_OUTPUT, COL_EMBEDDING, COL_DIMENSIONS, COL_DIMENSIONS_SETTABLE,
	COL_MAX_INPUTS, COL_MAX_TOKENS_PER_REQUEST, COL_CONTEXT_WINDOW
};

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

static void
read_target(const char *model, AigwTarget *out)
{
	const char *slash = strchr(model, '/');
	char	   *provider;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	MemoryContext caller_cxt = CurrentMemoryContext;
	bool		isnull;

	if (slash == NULL || slash == model || slash[1] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model %s is not of the form provider/model", aigw_quote_name(model)),
				 errhint("Write e.g. 'openai/gpt-4o-mini'; SELECT id FROM aigw.models lists the catalogue.")));
	provider = pnstrdup(model, slash - model);
	aigw_require_committed_extension();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = CStringGetTextDatum(provider);
	args[1] = CStringGetTextDatum(model);
	aigw_query_as_owner(&resolve_plan, resolve_sql, 2, types, args, NULL);

	if (aigw_col_isnull(COL_PROVIDER))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown provider %s in model %s", aigw_quote_name(provider), aigw_quote_name(model)),
				 errhint("SELECT name FROM aigw.providers lists the providers.")));
	if (aigw_col_isnull(COL_MODEL_ID))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown model %s", aigw_quote_name(model)),
				 errdetail("Provider \"%s\" exists but aigw.models has no model %s.",
						   provider, aigw_quote_name(model)),
				 errhint("SELECT id FROM aigw.models WHERE provider = '%s' lists its models; an administrator can add one with INSERT INTO aigw.models (id, provider, upstream_model).",
						 provider)));
	if (!aigw_col_int64(COL_PROVIDER_ENABLED, 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("provider \"%s\" is disabled", provider),
				 errhint("An administrator can enable it with UPDATE aigw.providers SET enabled = true WHERE name = '%s'.",
						 provider)));
	if (!aigw_col_int64(COL_MODEL_ENABLED, 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" is disabled", model),
				 errhint("An administrator can enable it with UPDATE aigw.models SET enabled = true WHERE id = '%s'.",
						 model)));

	MemoryContextSwitchTo(caller_cxt);
	out->model_id = pstrdup(model);
	out->provider = provider;
	out->upstream_model = aigw_col_text(COL_UPSTREAM_MODEL);
	out->api_style = aigw_col_text(COL_API_STYLE);
	out->base_url = aigw_col_text(COL_BASE_URL);
	out->auth_scheme = aigw_col_text(COL_AUTH_SCHEME);
	out->credential = aigw_col_isnull(COL_CREDENTIAL) ? NULL
		: DatumGetByteaPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										   COL_CREDENTIAL, &isnull));
	out->request_timeout_ms = (int) aigw_col_int64(COL_REQUEST_TIMEOUT, 0);
	out->connect_timeout_ms = (int) aigw_col_int64(COL_CONNECT_TIMEOUT, 0);
	out->extra_headers = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
														  COL_EXTRA_HEADERS, &isnull));
	out->api_version = aigw_col_text(COL_API_VERSION);
	out->max_output_tokens = (int) aigw_col_int64(COL_MAX_OUTPUT, 0);
	out->embedding = aigw_col_int64(COL_EMBEDDING, 0) != 0;
	out->dimensions = (int) aigw_col_int64(COL_DIMENSIONS, 0);
	out->dimensions_settable = aigw_col_int64(COL_DIMENSIONS_SETTABLE, 0) != 0;
	out->max_inputs_per_request = (int) aigw_col_int64(COL_MAX_INPUTS, 0);
	out->max_tokens_per_request = (int) aigw_col_int64(COL_MAX_TOKENS_PER_REQUEST, 0);
	out->context_window = (int) aigw_col_int64(COL_CONTEXT_WINDOW, 0);
	SPI_finish();

	if (strcmp(out->auth_scheme, "none") == 0)
		out->credential = NULL;
	else if (out->credential == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
				 errmsg("no credential is set for provider \"%s\"", provider),
				 errdetail("Model \"%s\" needs the API key of provider \"%s\".", model, provider),
				 errhint("An administrator can set it with SELECT aigw.set_credential('%s', '<api key>').",
						 provider)));
	else
		aigw_secret_check(provider, VARDATA_ANY(out->credential),
						  VARSIZE_ANY_EXHDR(out->credential));
}

/* ---------------------------------------------------------------------
 * Within a transaction, a model is read once
 * ---------------------------------------------------------------------
 *
 * A batch resolves the same model for every row, and the query above was
 * most of its caller's CPU (perf: 58 % of a chat_many backend).  So the
 * targets read in a transaction are kept until it ends, or until a change
 * to aigw.models, aigw.providers or aigw.credentials commits (the shared
 * change counter of quote_cache.c).  Callers get their own copy.
 */
typedef struct ResolvedTarget
{
	char	   *model;
	AigwTarget	target;
} ResolvedTarget;

static MemoryContext resolved_cxt = NULL;
static List *resolved = NIL;
static uint64 resolved_generation = 0;
static bool resolved_callback = false;

static char *
copy_string(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

static void
copy_target(const AigwTarget *src, AigwTarget *dst)
{
	*dst = *src;
	dst->model_id = copy_string(src->model_id);
	dst->provider = copy_string(src->provider);
	dst->upstream_model = copy_string(src->upstream_model);
	dst->api_style = copy_string(src->api_style);
	dst->base_url = copy_string(src->base_url);
	dst->auth_scheme = copy_string(src->auth_scheme);
	dst->credential = src->credential ? (bytea *) palloc(VARSIZE_ANY(src->credential)) : NULL;
	if (dst->credential)
		memcpy(dst->credential, src->credential, VARSIZE_ANY(src->credential));
	dst->api_version = copy_string(src->api_version);
	dst->extra_headers = src->extra_headers ? palloc(VARSIZE(src->extra_headers)) : NULL;
	if (dst->extra_headers)
		memcpy(dst->extra_headers, src->extra_headers, VARSIZE(src->extra_headers));
}

static void
forget_resolved(void)
{
	resolved = NIL;
	resolved_generation = 0;
	if (resolved_cxt)
		MemoryContextReset(resolved_cxt);
}

static void
on_xact_end(XactEvent event, void *arg)
{
	if (resolved != NIL)
		forget_resolved();
}

void
aigw_resolve_model(const char *model, AigwTarget *out)
{
	uint64		gen = aigw_catalog_generation();
	bool		cacheable = aigw_catalog_cacheable();
	ListCell   *lc;
	MemoryContext old;
	ResolvedTarget *r;

	if (cacheable && gen == resolved_generation)
		foreach(lc, resolved)
		{
			r = lfirst(lc);
			if (strcmp(r->model, model) == 0)
			{
				copy_target(&r->target, out);
				return;
			}
		}

	read_target(model, out);
	if (!cacheable)
		return;
	if (!resolved_callback)
	{
		RegisterXactCallback(on_xact_end, NULL);
		resolved_cxt = AllocSetContextCreate(TopMemoryContext, "aigw resolved models",
											 ALLOCSET_SMALL_SIZES);
		resolved_callback = true;
	}
	if (gen != resolved_generation)
		forget_resolved();
	old = MemoryContextSwitchTo(resolved_cxt);
	r = palloc(sizeof(ResolvedTarget));
	r->model = pstrdup(model);
	copy_target(out, &r->target);
	resolved = lappend(resolved, r);
	resolved_generation = gen;
	MemoryContextSwitchTo(old);
}
