/*
 * sigv4_sql.c
 *	  aigw.sigv4_debug(context, request): the SigV4 signer run on a raw
 *	  HTTP request and a context.json of AWS's test suite, so that the
 *	  suite's expected canonical requests, strings to sign and signatures
 *	  can be compared byte for byte (test/t/sigv4.sh).
 *
 * Not a way to call AWS: it signs text it is given and returns the
 * intermediate artefacts.  Not executable by PUBLIC.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/json_util.h"
#include "providers/sigv4.h"

PG_FUNCTION_INFO_V1(aigw_sigv4_debug);

/* A request.txt taken apart. */
typedef struct ParsedRequest
{
	char	   *method;
	char	   *path;
	char	   *query;
	AigwSigV4Header *headers;
	int			nheaders;
	const char *body;
	size_t		body_len;
} ParsedRequest;

static void
bad_request(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid HTTP request text"),
			 errdetail("%s", detail)));
}

/* The next line of [*p, end), without its "\n" or "\r\n"; advances *p. */
static char *
next_line(const char **p, const char *end)
{
	const char *start = *p;
	const char *nl = memchr(start, '\n', end - start);
	const char *stop = nl ? nl : end;

	*p = nl ? nl + 1 : end;
	if (stop > start && stop[-1] == '\r')
		stop--;
	return pnstrdup(start, stop - start);
}

/*
 * Request line, header lines up to a blank line or the end, then the body
 * byte for byte.  The request target may contain raw spaces (the suite's
 * "GET /example space/ HTTP/1.1"), so the method ends at the first space
 * and the version starts after the last.  A line that starts with a space
 * or a tab continues the previous header's value (obsolete line folding,
 * RFC 9112 5.2), folded into one line with a space.
 */
static void
parse_request(const char *text, size_t len, ParsedRequest *req)
{
	const char *p = text;
	const char *end = text + len;
	char	   *line = next_line(&p, end);
	char	   *sp1 = strchr(line, ' ');
	char	   *sp2 = strrchr(line, ' ');
	char	   *q;
	StringInfoData *values;
	int			cap = 8;

	if (sp1 == NULL || sp2 == sp1)
		bad_request("The first line must be \"METHOD target HTTP/version\".");
	req->method = pnstrdup(line, sp1 - line);
	*sp2 = '\0';
	req->path = pstrdup(sp1 + 1);
	q = strchr(req->path, '?');
	req->query = pstrdup(q ? q + 1 : "");
	if (q)
		*q = '\0';

	req->headers = palloc(sizeof(AigwSigV4Header) * cap);
	values = palloc(sizeof(StringInfoData) * cap);
	req->nheaders = 0;
	while (p < end)
	{
		char	   *colon;

		line = next_line(&p, end);
		if (line[0] == '\0')
			break;
		if (line[0] == ' ' || line[0] == '\t')
		{
			if (req->nheaders == 0)
				bad_request("A continuation line comes before any header.");
			appendStringInfoChar(&values[req->nheaders - 1], ' ');
			appendStringInfoString(&values[req->nheaders - 1], line + strspn(line, " \t"));
			continue;
		}
		colon = strchr(line, ':');
		if (colon == NULL)
			bad_request("A header line has no ':'.");
		if (req->nheaders == cap)
		{
			cap *= 2;
			req->headers = repalloc(req->headers, sizeof(AigwSigV4Header) * cap);
			values = repalloc(values, sizeof(StringInfoData) * cap);
		}
		*colon = '\0';
		req->headers[req->nheaders].name = line;
		initStringInfo(&values[req->nheaders]);
		appendStringInfoString(&values[req->nheaders], colon + 1);
		req->nheaders++;
	}
	for (int i = 0; i < req->nheaders; i++)
		req->headers[i].value = values[i].data;
	req->body = p;
	req->body_len = end - p;
}

static char *
context_string(Jsonb *ctx, const char *key1, const char *key2, bool required)
{
	JsonbValue *v = key2 ? aigw_jsonb_path2(&ctx->root, key1, key2)
		: aigw_jsonb_key(&ctx->root, key1);
	char	   *s = v ? aigw_jsonb_cstring(v) : NULL;

	if (s == NULL && (required || v != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("context member \"%s%s%s\" must be a string",
						key1, key2 ? "." : "", key2 ? key2 : "")));
	return s;
}

static bool
context_bool(Jsonb *ctx, const char *key, bool dflt)
{
	JsonbValue *v = aigw_jsonb_key(&ctx->root, key);

	if (v == NULL)
		return dflt;
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("context member \"%s\" must be a boolean", key)));
	return v->val.boolean;
}

/* "2015-08-30T12:36:00Z" -> "20150830T123600Z"; the signer checks the rest. */
static char *
amz_date_from_timestamp(const char *ts)
{
	StringInfoData out;

	initStringInfo(&out);
	for (const char *c = ts; *c; c++)
		if (*c != '-' && *c != ':')
			appendStringInfoChar(&out, *c);
	return out.data;
}

/*
 * The context is a test-suite context.json: credentials {access_key_id,
 * secret_access_key, token}, region, service, timestamp, and the flags
 * normalize, sign_body (send and sign x-amz-content-sha256) and
 * omit_session_token.  double_uri_encode (default true) is aigw's own,
 * for showing the S3 form.
 */
Datum
aigw_sigv4_debug(PG_FUNCTION_ARGS)
{
	Jsonb	   *ctx = PG_GETARG_JSONB_P(0);
	text	   *request = PG_GETARG_TEXT_PP(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AigwSigV4Key key;
	AigwSigV4Input in;
	AigwSigV4Output out;
	ParsedRequest req;
	Datum		values[4];
	bool		nulls[4] = {false};

	if (!JB_ROOT_IS_OBJECT(ctx))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("context must be a JSON object")));

	key.access_key_id = context_string(ctx, "credentials", "access_key_id", true);
	key.secret_access_key = context_string(ctx, "credentials", "secret_access_key", true);
	key.session_token = context_string(ctx, "credentials", "token", false);
	key.region = context_string(ctx, "region", NULL, true);
	key.service = context_string(ctx, "service", NULL, true);

	parse_request(VARDATA_ANY(request), VARSIZE_ANY_EXHDR(request), &req);

	memset(&in, 0, sizeof(in));
	in.method = req.method;
	in.path = req.path;
	in.query = req.query;
	in.headers = req.headers;
	in.nheaders = req.nheaders;
	in.body = req.body;
	in.body_len = req.body_len;
	in.amz_date = amz_date_from_timestamp(context_string(ctx, "timestamp", NULL, true));
	in.double_encode_path = context_bool(ctx, "double_uri_encode", true);
	in.normalize_path = context_bool(ctx, "normalize", true);
	in.add_content_sha256_header = context_bool(ctx, "sign_body", false);
	in.omit_session_token = context_bool(ctx, "omit_session_token", false);

	aigw_sigv4_sign(&key, &in, &out);

	InitMaterializedSRF(fcinfo, 0);
	values[0] = CStringGetTextDatum(out.canonical_request);
	values[1] = CStringGetTextDatum(out.string_to_sign);
	values[2] = CStringGetTextDatum(out.signature_hex);
	values[3] = CStringGetTextDatum(out.authorization);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	return (Datum) 0;
}
