/*
 * credential_sql.c
 *	  The SQL functions that store provider keys: aigw.set_credential,
 *	  aigw.rotate_credentials, the trigger that re-seals a key when its
 *	  provider is renamed, and the sealing of 0.8.0's clear keys by the
 *	  0.9.0 update.
 *
 * A key is sealed (secret_box.h) before it is written, so aigw.credentials,
 * its WAL, base backups and dumps hold ciphertext only.  These functions run
 * as the table owner (SECURITY DEFINER) for an administrator; none of them
 * puts a key in an error or lets the statement that carries it reach the
 * server log.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "common/pg_compat.h"
#include "common/settings.h"
#include "common/json_util.h"
#include "common/secret_box.h"

PG_FUNCTION_INFO_V1(aigw_set_credential);
PG_FUNCTION_INFO_V1(aigw_rotate_credentials);
PG_FUNCTION_INFO_V1(aigw_credentials_reseal);
PG_FUNCTION_INFO_V1(aigw_seal_clear_credential);

/* ---------------------------------------------------------------------
 * Checking a key before it is stored
 * ---------------------------------------------------------------------
 */

pg_noreturn
static void
credential_error(int sqlstate, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", msg),
			 hint ? errhint("%s", hint) : 0));
}

static const char *const aws_shape =
"For AWS: '{\"access_key_id\": \"...\", \"secret_access_key\": \"...\", \"session_token\": \"...\", \"region\": \"us-east-1\"}'.";

/* Letters, digits, '-', '_', '.': what an AWS key id or region is made of. */
static bool
is_aws_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			  (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static void
wipe_string(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
}

/*
 * A JSON credential (AWS): an object with the two keys signing needs, each
 * part in a form the signer takes, so that what the worker signs with
 * cannot fail for a reason known now.  Never quotes a value.
 */
static void
check_json_credential(char *text)
{
	char	   *error;
	Jsonb	   *j = aigw_jsonb_parse(text, &error);
	bool		object = j != NULL && JB_ROOT_IS_OBJECT(j) && !JB_ROOT_IS_SCALAR(j);
	char	   *key_id = object ? aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "access_key_id")) : NULL;
	char	   *secret = object ? aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "secret_access_key")) : NULL;
	char	   *token = object ? aigw_jsonb_cstring(aigw_jsonb_key(&j->root, "session_token")) : NULL;
	JsonbValue *region = object ? aigw_jsonb_key(&j->root, "region") : NULL;
	const char *problem = NULL;

	if (key_id == NULL || secret == NULL)
		problem = "a JSON credential must be an object with string access_key_id and secret_access_key";
	else if (!is_aws_name(key_id))
		problem = "the access_key_id of a JSON credential may hold only letters, digits, '-', '_' and '.'";
	else if (secret[0] == '\0' || strlen(secret) > 1024)
		problem = "the secret_access_key of a JSON credential must be 1 to 1024 bytes";
	else if (token && strpbrk(token, "\r\n"))
		problem = "the session_token of a JSON credential contains a line break";
	else if (region && !is_aws_name(aigw_jsonb_cstring(region)))
		problem = "the region of a JSON credential must be a string such as \"us-east-1\"";

	wipe_string(key_id);
	wipe_string(secret);
	wipe_string(token);
	wipe_string(text);
	if (j != NULL)
		explicit_bzero(VARDATA(j), VARSIZE(j) - VARHDRSZ);
	if (problem)
		credential_error(ERRCODE_INVALID_PARAMETER_VALUE, problem, aws_shape);
}

static void
check_secret(text *secret)
{
	const char *s = VARDATA_ANY(secret);
	int			len = VARSIZE_ANY_EXHDR(secret);

	if (len == 0)
		credential_error(ERRCODE_INVALID_PARAMETER_VALUE, "the secret is empty",
						 "Pass NULL to remove a credential.");
	if (len > 8192)
		credential_error(ERRCODE_INVALID_PARAMETER_VALUE, "the secret is longer than 8192 bytes", NULL);
	if (s[0] == '{')
		check_json_credential(pnstrdup(s, len));
	else
		for (int i = 0; i < len; i++)
			if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f)
				credential_error(ERRCODE_INVALID_PARAMETER_VALUE,
								 "the secret contains whitespace or a control character",
								 "API keys have none; check for a trailing newline or space.");
}

/* ---------------------------------------------------------------------
 * aigw.set_credential(provider, secret)
 * ---------------------------------------------------------------------
 */

static void
store_credential(const char *provider, text *secret)
{
	Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
	Datum		args[3];
	int			rc;

	SPI_connect();
	args[0] = CStringGetTextDatum(provider);
	rc = SPI_execute_with_args("SELECT 1 FROM aigw.providers WHERE name OPERATOR(pg_catalog.=) $1",
							   1, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "provider lookup failed");
	if (SPI_processed == 0)
		credential_error(ERRCODE_UNDEFINED_OBJECT,
						 psprintf("unknown provider \"%s\"", provider),
						 "SELECT name FROM aigw.providers lists the providers.");

	if (secret == NULL)
		rc = SPI_execute_with_args("DELETE FROM aigw.credentials WHERE provider OPERATOR(pg_catalog.=) $1",
								   1, types, args, NULL, false, 0);
	else
	{
		/* sealed with the provider's name: the row's own, checked above */
		args[1] = PointerGetDatum(aigw_secret_seal(provider, VARDATA_ANY(secret),
												   VARSIZE_ANY_EXHDR(secret)));
		args[2] = CStringGetTextDatum(GetUserNameFromId(GetOuterUserId(), false));
		rc = SPI_execute_with_args("INSERT INTO aigw.credentials AS c (provider, ciphertext, updated_by)"
								   " VALUES ($1, $2, $3)"
								   " ON CONFLICT (provider) DO UPDATE"
								   " SET ciphertext = excluded.ciphertext, updated_at = pg_catalog.now(),"
								   "     updated_by = excluded.updated_by",
								   3, types, args, NULL, false, 0);
	}
	if (rc < 0)
		elog(ERROR, "could not store the credential");
	SPI_finish();
}

/*
 * The statement that called this function carries the secret as a literal,
 * so every error raised under it (a refused secret, an unknown provider, no
 * master key, a lock timeout, a concurrent DROP of the provider) leaves the
 * server log without the statement and its context.
 */
Datum
aigw_set_credential(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		text	   *secret = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);

		if (PG_ARGISNULL(0))
			credential_error(ERRCODE_NULL_VALUE_NOT_ALLOWED, "provider must not be NULL", NULL);
		if (secret != NULL)
		{
			/* never stored in clear: refused before anything else is looked at */
			aigw_require_master_key();
			check_secret(secret);
		}
		store_credential(text_to_cstring(PG_GETARG_TEXT_PP(0)), secret);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hide_stmt = true;
		edata->hide_ctx = true;
		ReThrowError(edata);
	}
	PG_END_TRY();
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * aigw.rotate_credentials()
 * ---------------------------------------------------------------------
 */

/*
 * Re-seal what the previous master key sealed under the current one.  All
 * or nothing: a credential that neither key opens fails the whole rotation
 * (naming its provider), so a rotation never half happens.  The keys are
 * opened here, in the administrator's backend, one at a time and wiped at
 * once: re-sealing cannot be done without opening.
 */
Datum
aigw_rotate_credentials(PG_FUNCTION_ARGS)
{
	int			n;
	char	  **providers;
	bytea	  **sealed;
	StringInfoData unknown;
	int			nunknown = 0;
	int			rotated = 0;
	MemoryContext cxt = CurrentMemoryContext;

	aigw_require_master_key();
	SPI_connect();
	if (SPI_execute("SELECT provider, ciphertext FROM aigw.credentials"
					" ORDER BY provider FOR UPDATE", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read aigw.credentials");
	n = (int) SPI_processed;
	providers = MemoryContextAlloc(cxt, sizeof(char *) * (n + 1));
	sealed = MemoryContextAlloc(cxt, sizeof(bytea *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(cxt);

		providers[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		sealed[i] = DatumGetByteaPCopy(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		MemoryContextSwitchTo(old);
	}

	initStringInfo(&unknown);
	for (int i = 0; i < n; i++)
	{
		AigwSealedBy by = aigw_secret_sealed_by(VARDATA_ANY(sealed[i]), VARSIZE_ANY_EXHDR(sealed[i]));

		if (by == SEALED_BY_UNKNOWN || by == SEALED_MALFORMED)
		{
			appendStringInfo(&unknown, "%s\"%s\"", nunknown ? ", " : "", providers[i]);
			nunknown++;
		}
	}
	if (nunknown > 0)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
				 errmsg("%d credentials are encrypted under a master key this server does not have",
						nunknown),
				 errdetail("Providers: %s. Nothing was re-encrypted.", unknown.data),
				 errhint("Set aigw.previous_master_key_file (or aigw.previous_master_key_command) to the key they were stored under and restart the server, or set them again with aigw.set_credential.")));

	for (int i = 0; i < n; i++)
	{
		const char *why;
		char	   *plain;
		Oid			types[2] = {TEXTOID, BYTEAOID};
		Datum		args[2];

		if (aigw_secret_sealed_by(VARDATA_ANY(sealed[i]), VARSIZE_ANY_EXHDR(sealed[i])) != SEALED_BY_PREVIOUS)
			continue;
		plain = aigw_secret_open(providers[i], VARDATA_ANY(sealed[i]), VARSIZE_ANY_EXHDR(sealed[i]), &why);
		if (plain == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
					 errmsg("the credential of provider \"%s\" could not be re-encrypted: %s", providers[i], why),
					 errdetail("Nothing was re-encrypted."),
					 errhint("Set it again with aigw.set_credential.")));
		args[0] = CStringGetTextDatum(providers[i]);
		args[1] = PointerGetDatum(aigw_secret_seal(providers[i], plain, strlen(plain)));
		explicit_bzero(plain, strlen(plain));
		pfree(plain);
		if (SPI_execute_with_args("UPDATE aigw.credentials SET ciphertext = $2"
								  " WHERE provider OPERATOR(pg_catalog.=) $1",
								  2, types, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not update aigw.credentials");
		rotated++;
	}
	SPI_finish();
	PG_RETURN_INT32(rotated);
}

/* ---------------------------------------------------------------------
 * A provider renamed: its credential follows, re-sealed
 * ---------------------------------------------------------------------
 */

/*
 * The provider's name is part of what a credential is sealed with, so the
 * ON UPDATE CASCADE that renames aigw.credentials.provider would leave a
 * key that no longer opens.  This BEFORE UPDATE trigger re-seals it under
 * the new name; without the master key the rename fails and says why.
 */
Datum
aigw_credentials_reseal(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtup;
	int			col_provider;
	int			col_sealed;
	bool		isnull;
	char	   *old_name;
	char	   *new_name;
	bytea	   *sealed;
	const char *why;
	char	   *plain;
	Datum		value;
	AigwSealedBy by;
	Datum		values[1];
	bool		nulls[1] = {false};
	int			cols[1];

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trig->tg_event) || !TRIGGER_FIRED_BEFORE(trig->tg_event))
		elog(ERROR, "aigw_credentials_reseal must be a BEFORE UPDATE row trigger");
	desc = RelationGetDescr(trig->tg_relation);
	newtup = trig->tg_newtuple;
	col_provider = SPI_fnumber(desc, "provider");
	col_sealed = SPI_fnumber(desc, "ciphertext");
	if (col_provider <= 0 || col_sealed <= 0)
		elog(ERROR, "aigw.credentials lacks provider or ciphertext");

	old_name = SPI_getvalue(trig->tg_trigtuple, desc, col_provider);
	new_name = SPI_getvalue(newtup, desc, col_provider);
	if (strcmp(old_name, new_name) == 0)
		return PointerGetDatum(newtup);
	/* a new ciphertext written with the rename was sealed for the new name */
	if (!datumIsEqual(SPI_getbinval(trig->tg_trigtuple, desc, col_sealed, &isnull),
					  SPI_getbinval(newtup, desc, col_sealed, &isnull), false, -1))
		return PointerGetDatum(newtup);

	value = SPI_getbinval(newtup, desc, col_sealed, &isnull);
	sealed = DatumGetByteaPP(value);
	by = aigw_secret_sealed_by(VARDATA_ANY(sealed), VARSIZE_ANY_EXHDR(sealed));
	if (by == SEALED_BY_UNKNOWN || by == SEALED_MALFORMED)
		aigw_secret_check(old_name, VARDATA_ANY(sealed), VARSIZE_ANY_EXHDR(sealed));	/* says why */
	plain = aigw_secret_open(old_name, VARDATA_ANY(sealed), VARSIZE_ANY_EXHDR(sealed), &why);
	if (plain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
				 errmsg("the credential of provider \"%s\" cannot follow its rename: %s", old_name, why),
				 errhint("Remove it with aigw.set_credential('%s', NULL) first, and set it again after the rename.",
						 old_name)));
	cols[0] = col_sealed;
	values[0] = PointerGetDatum(aigw_secret_seal(new_name, plain, strlen(plain)));
	explicit_bzero(plain, strlen(plain));
	pfree(plain);
	return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, 1, cols, values, nulls));
}

/* ---------------------------------------------------------------------
 * The 0.8.0 -> 0.9.0 update: keys stored in clear are sealed
 * ---------------------------------------------------------------------
 */

/*
 * Called by the update for each key 0.8.0 stored in clear.  Without a
 * master key the update fails (and changes nothing) rather than leave keys
 * in clear under a version that promises they are not.
 */
Datum
aigw_seal_clear_credential(PG_FUNCTION_ARGS)
{
	char	   *provider = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *secret = PG_GETARG_TEXT_PP(1);

	aigw_require_preload();
	if (aigw_master_key_id() == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot encrypt the provider keys stored by aigw 0.8.0: no master key is loaded"),
				 errdetail("aigw 0.9.0 keeps provider keys encrypted at rest, and this update encrypts the keys already stored; nothing was changed."),
				 errhint("Set aigw.master_key_file (or aigw.master_key_command) in postgresql.conf, restart the server, and run ALTER EXTENSION aigw UPDATE again; see the README's Secrets section.")));
	PG_RETURN_BYTEA_P(aigw_secret_seal(provider, VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret)));
}
