/*
 * upstream_auth.c
 *	  Opening, applying, scrubbing and wiping a request's credential in the
 *	  pool worker (see upstream_auth.h).
 *
 * This is the only place a provider key is in clear after set_credential:
 * the calling backend hands the request over with the key sealed, and the
 * worker opens it as late as it can, when the transfer is about to start.
 * Nothing here raises an error (the worker's loop runs outside any
 * transaction); what cannot be applied fails the attempt instead, with a
 * message that never quotes the key.
 */
#include "postgres.h"

#include <time.h>

#include "utils/json.h"
#include "utils/jsonb.h"

#include "common/json_util.h"
#include "common/secret_box.h"
#include "providers/sigv4.h"
#include "worker/upstream_auth.h"
#include "common/uri_encode.h"

/* ---------------------------------------------------------------------
 * The forms a key takes in text
 * ---------------------------------------------------------------------
 */

static void
add_form(AigwUpstreamAuth *auth, char *form, size_t len)
{
	for (int i = 0; i < auth->nforms; i++)
		if (auth->form_len[i] == len && memcmp(auth->forms[i], form, len) == 0)
		{
			explicit_bzero(form, len);
			pfree(form);
			return;
		}
	if (len == 0 || auth->nforms == AIGW_AUTH_MAX_FORMS)
	{
		explicit_bzero(form, len);
		pfree(form);
		return;
	}
	auth->forms[auth->nforms] = form;
	auth->form_len[auth->nforms] = len;
	auth->nforms++;
}

/*
 * A secret as an upstream may quote it back: as sent, percent-encoded as
 * in a query string (either case of hex digits), JSON-escaped, and with
 * "/" escaped as "\/" as some JSON encoders do.  "Bearer <key>" and
 * "?key=<key>" contain one of these, so they are covered too.
 */
static void
add_secret(AigwUpstreamAuth *auth, const char *secret)
{
	size_t		len = secret ? strlen(secret) : 0;
	StringInfoData s;

	if (len == 0)
		return;
	add_form(auth, pnstrdup(secret, len), len);

	initStringInfo(&s);
	aigw_uri_encode(&s, secret, len, false);
	add_form(auth, pnstrdup(s.data, s.len), s.len);
	for (int i = 0; i < s.len; i++)
		if (s.data[i] == '%' && i + 2 < s.len)
		{
			s.data[i + 1] = pg_ascii_tolower(s.data[i + 1]);
			s.data[i + 2] = pg_ascii_tolower(s.data[i + 2]);
		}
	add_form(auth, pnstrdup(s.data, s.len), s.len);
	explicit_bzero(s.data, s.len);

	resetStringInfo(&s);
	escape_json(&s, secret);
	/* without the quotes escape_json puts around it */
	add_form(auth, pnstrdup(s.data + 1, s.len - 2), s.len - 2);
	explicit_bzero(s.data, s.len);

	resetStringInfo(&s);
	for (size_t i = 0; i < len; i++)
	{
		if (secret[i] == '/')
			appendStringInfoChar(&s, '\\');
		appendStringInfoChar(&s, secret[i]);
	}
	add_form(auth, pnstrdup(s.data, s.len), s.len);
	explicit_bzero(s.data, s.len);
	pfree(s.data);
}

/* Longest first: a form that contains another is replaced whole. */
static void
sort_forms(AigwUpstreamAuth *auth)
{
	for (int i = 1; i < auth->nforms; i++)
		for (int j = i; j > 0 && auth->form_len[j] > auth->form_len[j - 1]; j--)
		{
			char	   *f = auth->forms[j];
			size_t		l = auth->form_len[j];

			auth->forms[j] = auth->forms[j - 1];
			auth->form_len[j] = auth->form_len[j - 1];
			auth->forms[j - 1] = f;
			auth->form_len[j - 1] = l;
		}
}

/* ---------------------------------------------------------------------
 * Applying
 * ---------------------------------------------------------------------
 */

typedef struct AwsCredential
{
	Jsonb	   *json;
	AigwSigV4Key key;
} AwsCredential;

static bool
read_aws_credential(const char *plain, AwsCredential *aws, char **error)
{
	char	   *parse_error;
	Jsonb	   *cred = aigw_jsonb_parse(plain, &parse_error);

	memset(aws, 0, sizeof(*aws));
	aws->json = cred;
	if (cred == NULL || !JB_ROOT_IS_OBJECT(cred) || JB_ROOT_IS_SCALAR(cred))
	{
		*error = pstrdup("it is not a JSON object; a sigv4 provider's credential is {\"access_key_id\": ..., \"secret_access_key\": ..., \"session_token\": ..., \"region\": ...}");
		return false;
	}
	aws->key.access_key_id = aigw_jsonb_cstring(aigw_jsonb_key(&cred->root, "access_key_id"));
	aws->key.secret_access_key = aigw_jsonb_cstring(aigw_jsonb_key(&cred->root, "secret_access_key"));
	aws->key.session_token = aigw_jsonb_cstring(aigw_jsonb_key(&cred->root, "session_token"));
	aws->key.region = aigw_jsonb_cstring(aigw_jsonb_key(&cred->root, "region"));
	if (aws->key.access_key_id == NULL || aws->key.secret_access_key == NULL)
	{
		*error = pstrdup("it lacks access_key_id or secret_access_key");
		return false;
	}
	return true;
}

static void
wipe_aws_credential(AwsCredential *aws)
{
	if (aws->json)
		explicit_bzero(VARDATA(aws->json), VARSIZE(aws->json) - VARHDRSZ);
	if (aws->key.access_key_id)
		explicit_bzero((char *) aws->key.access_key_id, strlen(aws->key.access_key_id));
	if (aws->key.secret_access_key)
		explicit_bzero((char *) aws->key.secret_access_key, strlen(aws->key.secret_access_key));
	if (aws->key.session_token)
		explicit_bzero((char *) aws->key.session_token, strlen(aws->key.session_token));
}

/*
 * AWS Signature Version 4 over the final URL, headers and body, with the
 * signing name "bedrock" (the host says bedrock-runtime).  The region is
 * the credential's, else the host's (bedrock-runtime.<region>.amazonaws.com).
 * The signer raises errors on bad input (never quoting a secret); they fail
 * the attempt.
 */
static bool
sign_sigv4(const AigwRequestMsg *rq, AwsCredential *aws, StringInfo headers, char **error)
{
	const char *url = AIGW_MSG_FIELD(rq, RQ_URL);
	const char *scheme_end = strstr(url, "://");
	const char *authority = scheme_end ? scheme_end + 3 : url;
	const char *path = strchr(authority, '/');
	const char *query = path ? strchr(path, '?') : NULL;
	char	   *host = path ? pnstrdup(authority, path - authority) : pstrdup(authority);
	AigwSigV4Input in;
	AigwSigV4Output out;
	AigwSigV4Header signed_headers[2];
	char		amz_date[17];
	MemoryContext cxt = CurrentMemoryContext;
	bool		ok = true;

	if (aws->key.region == NULL && strncmp(host, "bedrock-runtime.", 16) == 0 && strchr(host + 16, '.'))
		aws->key.region = pnstrdup(host + 16, strchr(host + 16, '.') - (host + 16));
	if (aws->key.region == NULL)
	{
		*error = pstrdup("it names no region, and the provider's host does not either");
		return false;
	}
	aws->key.service = "bedrock";

	signed_headers[0].name = "host";
	signed_headers[0].value = host;
	signed_headers[1].name = "content-type";
	signed_headers[1].value = "application/json";
	memset(&in, 0, sizeof(in));
	in.method = "POST";
	in.path = path ? (query ? pnstrdup(path, query - path) : path) : "/";
	in.query = query ? query + 1 : "";
	in.headers = signed_headers;
	in.nheaders = 2;
	in.body = AIGW_MSG_FIELD(rq, RQ_BODY);
	in.body_len = rq->len[RQ_BODY];
	aigw_sigv4_amz_date(time(NULL), amz_date);
	in.amz_date = amz_date;
	in.double_encode_path = true;
	in.normalize_path = true;

	memset(&out, 0, sizeof(out));
	PG_TRY();
	{
		aigw_sigv4_sign(&aws->key, &in, &out);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		*error = pstrdup(edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
		return false;
	for (int i = 0; i < out.nheaders; i++)
		appendStringInfo(headers, "%s: %s\n", out.headers[i].name, out.headers[i].value);
	/* it holds the session token when there is one */
	explicit_bzero(out.canonical_request, strlen(out.canonical_request));
	return true;
}

static bool
apply(const AigwRequestMsg *rq, const char *scheme, const char *plain,
	  AigwUpstreamAuth *auth, char **error)
{
	if (strcmp(scheme, "sigv4") == 0)
	{
		AwsCredential aws;
		bool		ok;

		ok = read_aws_credential(plain, &aws, error);
		if (ok)
		{
			add_secret(auth, aws.key.access_key_id);
			add_secret(auth, aws.key.secret_access_key);
			add_secret(auth, aws.key.session_token);
			ok = sign_sigv4(rq, &aws, &auth->headers, error);
		}
		wipe_aws_credential(&aws);
		return ok;
	}

	if (strcmp(scheme, "bearer") == 0)
		appendStringInfo(&auth->headers, "Authorization: Bearer %s\n", plain);
	else if (strcmp(scheme, "x-api-key") == 0 || strcmp(scheme, "api-key") == 0 ||
			 strcmp(scheme, "x-goog-api-key") == 0)
		appendStringInfo(&auth->headers, "%s: %s\n", scheme, plain);
	else if (strcmp(scheme, "query-key") == 0)
	{
		/* ?key=<secret>, as Gemini accepts it */
		StringInfoData url;

		initStringInfo(&url);
		appendStringInfoString(&url, auth->url);
		appendStringInfoString(&url, strchr(auth->url, '?') ? "&key=" : "?key=");
		aigw_uri_encode(&url, plain, strlen(plain), false);
		auth->own_url = url.data;
		auth->url = url.data;
	}
	else
	{
		*error = psprintf("auth_scheme \"%s\" is not one this worker knows", scheme);
		return false;
	}
	return true;
}

bool
aigw_auth_apply(const AigwRequestMsg *rq, AigwUpstreamAuth *auth, char **error)
{
	const char *scheme = AIGW_MSG_FIELD(rq, RQ_AUTH_SCHEME);
	const char *provider = AIGW_MSG_FIELD(rq, RQ_PROVIDER);
	const char *why;
	char	   *plain;
	bool		ok;

	memset(auth, 0, sizeof(*auth));
	auth->url = AIGW_MSG_FIELD(rq, RQ_URL);
	initStringInfo(&auth->headers);
	*error = NULL;
	if (!AIGW_MSG_HAS(rq, RQ_CREDENTIAL) || strcmp(scheme, "none") == 0)
		return true;

	plain = aigw_secret_open(provider, AIGW_MSG_FIELD(rq, RQ_CREDENTIAL), rq->len[RQ_CREDENTIAL], &why);
	if (plain == NULL)
	{
		*error = psprintf("the credential of provider \"%s\" could not be used: %s", provider, why);
		aigw_auth_wipe(auth);
		return false;
	}
	/* the whole plaintext too: a JSON credential quoted whole */
	add_secret(auth, plain);
	ok = apply(rq, scheme, plain, auth, error);
	explicit_bzero(plain, strlen(plain));
	pfree(plain);
	sort_forms(auth);
	if (!ok)
	{
		*error = psprintf("the credential of provider \"%s\" could not be used: %s", provider, *error);
		aigw_auth_wipe(auth);
	}
	return ok;
}

void
aigw_auth_wipe_sent(AigwUpstreamAuth *auth)
{
	if (auth->own_url)
	{
		explicit_bzero(auth->own_url, strlen(auth->own_url));
		pfree(auth->own_url);
		auth->own_url = NULL;
		auth->url = NULL;
	}
	if (auth->headers.data)
	{
		explicit_bzero(auth->headers.data, auth->headers.maxlen);
		pfree(auth->headers.data);
		auth->headers.data = NULL;
		auth->headers.len = 0;
	}
}

void
aigw_auth_wipe(AigwUpstreamAuth *auth)
{
	aigw_auth_wipe_sent(auth);
	for (int i = 0; i < auth->nforms; i++)
	{
		explicit_bzero(auth->forms[i], auth->form_len[i]);
		pfree(auth->forms[i]);
	}
	auth->nforms = 0;
}

/* ---------------------------------------------------------------------
 * Scrubbing
 * ---------------------------------------------------------------------
 */

char *
aigw_auth_scrub(const AigwUpstreamAuth *auth, const char *data, size_t len, size_t *newlen)
{
	char	   *cur = NULL;		/* the text so far, once something was replaced */
	size_t		curlen = len;

	for (int f = 0; f < auth->nforms; f++)
	{
		const char *text = cur ? cur : data;
		const char *form = auth->forms[f];
		size_t		flen = auth->form_len[f];
		const char *hit = memmem(text, curlen, form, flen);
		StringInfoData out;
		const char *from = text;

		if (hit == NULL)
			continue;
		initStringInfo(&out);
		while (hit != NULL)
		{
			appendBinaryStringInfo(&out, from, hit - from);
			appendStringInfoString(&out, AIGW_REDACTED);
			from = hit + flen;
			hit = memmem(from, curlen - (from - text), form, flen);
		}
		appendBinaryStringInfo(&out, from, curlen - (from - text));
		if (cur)
		{
			explicit_bzero(cur, curlen);
			pfree(cur);
		}
		cur = out.data;
		curlen = out.len;
	}
	if (newlen)
		*newlen = curlen;
	return cur;
}

static void
scrub_field(const AigwUpstreamAuth *auth, char **field)
{
	char	   *scrubbed;

	if (*field == NULL)
		return;
	scrubbed = aigw_auth_scrub(auth, *field, strlen(*field), NULL);
	if (scrubbed)
	{
		explicit_bzero(*field, strlen(*field));
		*field = scrubbed;
	}
}

void
aigw_auth_scrub_attempt(const AigwUpstreamAuth *auth, AigwAttempt *a)
{
	if (auth->nforms == 0)
		return;
	scrub_field(auth, &a->error);
	scrub_field(auth, &a->error_type);
	scrub_field(auth, &a->retry_after);
	scrub_field(auth, &a->retry_after_ms);
	scrub_field(auth, &a->upstream_id);
}
