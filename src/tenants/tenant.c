/*
 * tenant.c
 *	  Who a call is made for and who pays for it (see tenant.h).
 *
 * The JWT claims arrive as a JSON string in a setting that PostgREST sets
 * per request; they are parsed once per distinct string.  Default wallets
 * are read once per role and kept until a change to aigw's catalogue
 * commits, like every other cached read of it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "common/settings.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "tenants/tenant.h"

/* The last claims string parsed, and what it said. */
static char *claims_text = NULL;
static char *claim_sub = NULL;
static char *claim_wallet = NULL;

static const char *wallet_source = "";

static char *
claim_string(JsonbContainer *claims, const char *key)
{
	JsonbValue *v = aigw_jsonb_key(claims, key);

	if (v == NULL)
		return NULL;
	if (v->type == jbvString)
	{
		char	   *s = MemoryContextAlloc(TopMemoryContext, v->val.string.len + 1);

		memcpy(s, v->val.string.val, v->val.string.len);
		s[v->val.string.len] = '\0';
		return s;
	}
	if (v->type == jbvNumeric)	/* a numeric user id */
		return MemoryContextStrdup(TopMemoryContext,
								   DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric))));
	return NULL;
}

static void
read_claims(void)
{
	const char *text = GetConfigOption("request.jwt.claims", true, false);
	Jsonb	   *claims;

	if (text == NULL || text[0] == '\0')
	{
		claim_sub = claim_wallet = NULL;
		return;
	}
	if (claims_text != NULL && strcmp(text, claims_text) == 0)
		return;

	if (claims_text)
		pfree(claims_text);
	if (claim_sub)
		pfree(claim_sub);
	if (claim_wallet)
		pfree(claim_wallet);
	claims_text = claim_sub = claim_wallet = NULL;

	claims = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	if (!JB_ROOT_IS_OBJECT(claims))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request.jwt.claims is not a JSON object")));
	claim_sub = claim_string(&claims->root, "sub");
	claim_wallet = claim_string(&claims->root, "wallet");
	claims_text = MemoryContextStrdup(TopMemoryContext, text);
}

/* The dispatcher's stand-in for the claims of the submitting request. */
static bool acting = false;
static const char *acting_end_user = NULL;

const char *
aigw_tenant_end_user(void)
{
	if (acting)
		return acting_end_user;
	read_claims();
	return claim_sub;
}

void
aigw_tenant_act_for(const char *end_user)
{
	acting = true;
	acting_end_user = end_user;
}

void
aigw_tenant_act_for_self(void)
{
	acting = false;
	acting_end_user = NULL;
}

/* ---------------------------------------------------------------------
 * Default wallets, per role
 * ---------------------------------------------------------------------
 */
typedef struct DefaultWallet
{
	Oid			role;			/* hash key */
	uint64		generation;		/* 0: not valid */
	char		wallet[NAMEDATALEN * 2];	/* "" when none */
} DefaultWallet;

static HTAB *defaults = NULL;
static SPIPlanPtr default_plan = NULL;

static void
read_default(Oid role, char *out, Size outlen)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(role)};
	char	   *wallet;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aigw_query_as_owner(&default_plan, "SELECT aigw.default_wallet_of($1)", 1, types, values, NULL);
	wallet = aigw_col_text(1);
	strlcpy(out, wallet ? wallet : "", outlen);
	SPI_finish();
}

static const char *
default_wallet(Oid role)
{
	static char uncached[NAMEDATALEN * 2];
	uint64		gen = aigw_catalog_generation();
	DefaultWallet *d;
	bool		found;

	if (!aigw_catalog_cacheable())
	{
		read_default(role, uncached, sizeof(uncached));
		return uncached[0] ? uncached : NULL;
	}
	if (defaults == NULL)
	{
		HASHCTL		info;

		info.keysize = sizeof(Oid);
		info.entrysize = sizeof(DefaultWallet);
		info.hcxt = CacheMemoryContext;
		defaults = hash_create("aigw default wallets", 16, &info,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	d = hash_search(defaults, &role, HASH_ENTER, &found);
	if (!found || d->generation != gen)
	{
		d->generation = 0;		/* until the read succeeds */
		read_default(role, d->wallet, sizeof(d->wallet));
		d->generation = gen;
	}
	return d->wallet[0] ? d->wallet : NULL;
}

const char *
aigw_tenant_wallet(const char *option_wallet)
{
	const char *wallet;

	if (option_wallet != NULL)
	{
		wallet_source = "the call option \"wallet\"";
		return option_wallet;
	}
	read_claims();
	if (claim_wallet != NULL)
	{
		wallet_source = "the JWT's \"wallet\" claim";
		return claim_wallet;
	}
	if (aigw_wallet != NULL && aigw_wallet[0] != '\0')
	{
		wallet_source = "SET aigw.wallet";
		return aigw_wallet;
	}
	wallet = default_wallet(GetUserId());
	wallet_source = wallet ? "the role's default wallet" : "";
	return wallet;
}

const char *
aigw_tenant_wallet_source(void)
{
	return wallet_source;
}

void
aigw_tenant_check_spend(const char *wallet, const AigwQuote *q)
{
	Oid			user = GetUserId();
	const char *owner;

	if (has_privs_of_role(user, q->wallet_owner))
		return;
	for (int i = 0; i < q->ngrantees; i++)
		if (has_privs_of_role(user, q->grantees[i]))
			return;
	owner = GetUserNameFromId(q->wallet_owner, true);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not spend from wallet \"%s\"",
					GetUserNameFromId(user, false), wallet),
			 errdetail("The wallet was named by %s. It belongs to role \"%s\"%s.",
					   wallet_source, owner ? owner : "(dropped)",
					   q->ngrantees > 0 ? " and is shared with other roles, not this one" : ""),
			 errhint("Use a wallet of yours (aigw.wallet_status lists them), or have an administrator run aigw.grant_wallet('%s', '%s').",
					 wallet, GetUserNameFromId(user, false))));
}
