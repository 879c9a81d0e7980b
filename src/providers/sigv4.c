/*
 * sigv4.c
 *	  AWS Signature Version 4: canonical request, string to sign, signing
 *	  key and signature, with OpenSSL's SHA-256 and HMAC-SHA256.
 *
 * AWS recomputes the signature from the request it receives, so every
 * byte of the canonical form matters; the rules below are those of AWS's
 * "Create a signed AWS API request" and its test suite, which the
 * comments quote where a rule is not obvious.
 */
#include "postgres.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/stringinfo.h"

#include "providers/sigv4.h"
#include "common/uri_encode.h"

#define SHA256_LEN 32

/* Headers the signer writes itself; a caller's copy would be signed twice. */
static const char *const reserved_headers[] = {
	"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"
};

/* One header to sign: lowercase name, canonical value, position given. */
typedef struct CanonHeader
{
	char	   *name;
	char	   *value;
	int			order;
} CanonHeader;

static void
sha256(const char *data, size_t len, unsigned char *md)
{
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != SHA256_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute a SHA-256 digest with OpenSSL")));
}

/* false on failure, so that the caller wipes its keys before reporting it */
static bool
hmac_sha256(const unsigned char *key, size_t keylen, const char *data, size_t len,
			unsigned char *md)
{
	unsigned int mdlen = 0;

	return HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) data, len,
				md, &mdlen) != NULL && mdlen == SHA256_LEN;
}

static void
hex_encode_lower(const unsigned char *bytes, int n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < n; i++)
	{
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 0xF];
	}
	hex[2 * n] = '\0';
}

void
aigw_sigv4_sha256_hex(const char *data, size_t len, char *hex)
{
	unsigned char md[SHA256_LEN];

	sha256(data ? data : "", len, md);
	hex_encode_lower(md, SHA256_LEN, hex);
}

void
aigw_sigv4_amz_date(time_t t, char *buf)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/*
 * Decode %XX escapes; a '%' not followed by two hex digits stays a
 * literal '%' (and is then encoded as %25).  '+' is not a space: AWS's
 * canonical form is RFC 3986, not HTML forms.
 */
static char *
uri_decode(const char *s, size_t len, size_t *outlen)
{
	char	   *out = palloc(len + 1);
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '%' && i + 2 < len &&
			aigw_hex_digit(s[i + 1]) >= 0 && aigw_hex_digit(s[i + 2]) >= 0)
		{
			out[n++] = (char) (aigw_hex_digit(s[i + 1]) * 16 + aigw_hex_digit(s[i + 2]));
			i += 2;
		}
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/*
 * The path with "." and ".." segments and empty segments (duplicate
 * slashes) removed, as RFC 3986's remove_dot_segments plus AWS's
 * "//example//" -> "/example/".  A path that ended with '/', "." or ".."
 * keeps a trailing slash.
 */
static char *
normalize_path(const char *path)
{
	size_t		len = strlen(path);
	const char **seg = palloc(sizeof(char *) * (len + 1));
	int		   *seglen = palloc(sizeof(int) * (len + 1));
	int			nseg = 0;
	bool		trailing = false;
	const char *p = path;
	StringInfoData out;

	while (true)
	{
		const char *end = strchr(p, '/');
		int			n = end ? (int) (end - p) : (int) strlen(p);

		trailing = false;
		if (n == 0 || (n == 1 && p[0] == '.'))
			trailing = true;
		else if (n == 2 && p[0] == '.' && p[1] == '.')
		{
			if (nseg > 0)
				nseg--;
			trailing = true;
		}
		else
		{
			seg[nseg] = p;
			seglen[nseg] = n;
			nseg++;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}

	initStringInfo(&out);
	for (int i = 0; i < nseg; i++)
	{
		appendStringInfoChar(&out, '/');
		appendBinaryStringInfo(&out, seg[i], seglen[i]);
	}
	if (nseg == 0 || trailing)
		appendStringInfoChar(&out, '/');
	pfree(seg);
	pfree(seglen);
	return out.data;
}

/*
 * Canonical URI.  Every service but S3 signs the wire path encoded once
 * more ("each path segment URI-encoded twice"): /a%3Ab is signed as
 * /a%253Ab, and a raw space or UTF-8 byte, which the test suite sends
 * unencoded, as %20 or %E1.
 */
static char *
canonical_uri(const AigwSigV4Input *in)
{
	const char *path = (in->path && in->path[0]) ? in->path : "/";
	char	   *normalized;
	StringInfoData out;

	if (in->normalize_path)
		normalized = normalize_path(path);
	else if (path[0] != '/')
		normalized = psprintf("/%s", path);
	else
		normalized = pstrdup(path);

	if (!in->double_encode_path)
		return normalized;

	initStringInfo(&out);
	aigw_uri_encode(&out, normalized, strlen(normalized), true);
	pfree(normalized);
	return out.data;
}

typedef struct QueryParam
{
	char	   *name;
	char	   *value;
} QueryParam;

static int
query_param_cmp(const void *a, const void *b)
{
	const QueryParam *x = a;
	const QueryParam *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static char *
encode_component(const char *s, size_t len)
{
	StringInfoData out;
	size_t		dlen;
	char	   *decoded = uri_decode(s, len, &dlen);

	initStringInfo(&out);
	aigw_uri_encode(&out, decoded, dlen, false);
	pfree(decoded);
	return out.data;
}

/*
 * Canonical query string: each name and value decoded and encoded again
 * (so "%E1%88%B4" and the raw UTF-8 bytes sign alike), a name without
 * '=' taking an empty value, sorted by encoded name and then by encoded
 * value -- not by "name=value", which would put Param-3 before Param.
 */
static char *
canonical_query(const char *query)
{
	int			cap = 1;
	int			n = 0;
	QueryParam *params;
	StringInfoData out;
	const char *p = query;

	for (const char *c = query; *c; c++)
		if (*c == '&')
			cap++;
	params = palloc(sizeof(QueryParam) * cap);

	while (*p)
	{
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', end - p);

		if (end > p)
		{
			params[n].name = encode_component(p, (eq ? eq : end) - p);
			params[n].value = eq ? encode_component(eq + 1, end - eq - 1) : pstrdup("");
			n++;
		}
		p = *end ? end + 1 : end;
	}
	qsort(params, n, sizeof(QueryParam), query_param_cmp);

	initStringInfo(&out);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&out, '&');
		appendStringInfo(&out, "%s=%s", params[i].name, params[i].value);
	}
	return out.data;
}

static int
canon_header_cmp(const void *a, const void *b)
{
	const CanonHeader *x = a;
	const CanonHeader *y = b;
	int			c = strcmp(x->name, y->name);

	/* duplicates keep the order they were given in: AWS joins them so */
	return c != 0 ? c : (x->order > y->order) - (x->order < y->order);
}

/*
 * A header value as signed: leading and trailing spaces trimmed and runs
 * of spaces inside collapsed to one, quotes or not ("a   b" -> "a b").
 */
static char *
canonical_header_value(const char *value)
{
	StringInfoData out;
	bool		in_space = false;

	initStringInfo(&out);
	for (const char *c = value; *c; c++)
	{
		if (*c == ' ' || *c == '\t')
			in_space = true;
		else
		{
			if (in_space && out.len > 0)
				appendStringInfoChar(&out, ' ');
			in_space = false;
			appendStringInfoChar(&out, *c);
		}
	}
	return out.data;
}

static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7F && c != ':' && c != '(' && c != ')' &&
		c != ',' && c != ';' && c != '"' && c != '/' && c != '[' && c != ']' &&
		c != '?' && c != '=' && c != '{' && c != '}' && c != '\\' &&
		c != '<' && c != '>' && c != '@';
}

/* Header names are not secret; values may be, so errors never quote them. */
static CanonHeader
make_header(const char *name, const char *value, int order)
{
	CanonHeader h;
	int			len = strlen(name);

	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a header to sign has an empty name")));
	h.name = palloc(len + 1);
	for (int i = 0; i < len; i++)
	{
		if (!is_token_char((unsigned char) name[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("header name \"%s\" is not a valid HTTP token", name)));
		h.name[i] = pg_ascii_tolower(name[i]);
	}
	h.name[len] = '\0';
	if (strpbrk(value, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the value of header \"%s\" contains a line break", name),
				 errhint("Fold a multi-line value into one line before signing.")));
	h.value = canonical_header_value(value);
	h.order = order;
	return h;
}

/* Scope parts and the key id go into the Authorization header verbatim. */
static void
check_credential_part(const char *value, const char *what)
{
	if (value == NULL || value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("AWS credential has no %s", what)));
	for (const char *c = value; *c; c++)
		if (!is_token_char((unsigned char) *c))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("AWS %s contains a character that cannot be signed", what),
					 errdetail("Only printable ASCII without spaces, commas, semicolons or slashes is allowed.")));
}

static void
check_input(const AigwSigV4Key *key, const AigwSigV4Input *in)
{
	const char *d = in->amz_date;

	check_credential_part(key->access_key_id, "access key id");
	check_credential_part(key->region, "region");
	check_credential_part(key->service, "service name");
	if (key->secret_access_key == NULL || key->secret_access_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("AWS credential has no secret access key")));
	/* HMAC takes an int key length; real secrets are 40 characters */
	if (strlen(key->secret_access_key) > 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("AWS secret access key is longer than 1024 bytes")));
	if (key->session_token && strpbrk(key->session_token, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("AWS session token contains a line break")));

	if (in->method == NULL || in->method[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request to sign has no method")));
	for (const char *c = in->method; *c; c++)
		if (!is_token_char((unsigned char) *c))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request method \"%s\" is not a valid HTTP token", in->method)));
	if (in->path && strpbrk(in->path, "\r\n?#") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request path to sign contains a line break, '?' or '#'"),
				 errhint("Pass the query string separately, without its '?'.")));
	if (in->query && strpbrk(in->query, "\r\n#") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query string to sign contains a line break or '#'")));

	if (in->body == NULL && in->body_len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request to sign has a body length but no body")));

	if (d == NULL || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z' ||
		strspn(d, "0123456789") != 8 || strspn(d + 9, "0123456789") != 6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x-amz-date \"%s\" is not of the form YYYYMMDDTHHMMSSZ",
						d ? d : "")));
}

/*
 * Canonical headers ("name:value\n" each, sorted by name, values of a
 * repeated name joined by ',') and the signed headers list ("a;b;c").
 */
static void
canonical_headers(const AigwSigV4Input *in, const AigwSigV4Header *extra, int nextra,
				  StringInfo canon, StringInfo signed_headers)
{
	int			n = in->nheaders + nextra;
	CanonHeader *h = palloc(sizeof(CanonHeader) * n);
	bool		has_host = false;

	for (int i = 0; i < in->nheaders; i++)
	{
		h[i] = make_header(in->headers[i].name, in->headers[i].value, i);
		for (int r = 0; r < lengthof(reserved_headers); r++)
			if (strcmp(h[i].name, reserved_headers[r]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("header \"%s\" must not be given to the signer", h[i].name),
						 errdetail("The signer computes and returns it.")));
		if (strcmp(h[i].name, "host") == 0)
			has_host = true;
	}
	if (!has_host)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request to sign has no host header"),
				 errdetail("Signature Version 4 always signs the host.")));
	for (int i = 0; i < nextra; i++)
		h[in->nheaders + i] = make_header(extra[i].name, extra[i].value, in->nheaders + i);

	qsort(h, n, sizeof(CanonHeader), canon_header_cmp);

	for (int i = 0; i < n; i++)
	{
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0)
		{
			/* replace the previous line's '\n' with ',' and the next value */
			canon->data[--canon->len] = '\0';
			appendStringInfo(canon, ",%s\n", h[i].value);
			continue;
		}
		appendStringInfo(canon, "%s:%s\n", h[i].name, h[i].value);
		if (signed_headers->len > 0)
			appendStringInfoChar(signed_headers, ';');
		appendStringInfoString(signed_headers, h[i].name);
	}
}

/*
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"); signature = hex(HMAC(kSigning, string to sign)).  Every
 * key on the way is wiped whether or not OpenSSL fails.
 */
static void
compute_signature(const AigwSigV4Key *key, const char *date8,
				  const char *string_to_sign, char *signature_hex)
{
	size_t		slen = strlen(key->secret_access_key);
	unsigned char *ksecret = palloc(slen + 4);
	unsigned char kdate[SHA256_LEN];
	unsigned char kregion[SHA256_LEN];
	unsigned char kservice[SHA256_LEN];
	unsigned char ksigning[SHA256_LEN];
	unsigned char sig[SHA256_LEN];
	bool		ok;

	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, key->secret_access_key, slen);

	ok = hmac_sha256(ksecret, slen + 4, date8, 8, kdate) &&
		hmac_sha256(kdate, SHA256_LEN, key->region, strlen(key->region), kregion) &&
		hmac_sha256(kregion, SHA256_LEN, key->service, strlen(key->service), kservice) &&
		hmac_sha256(kservice, SHA256_LEN, "aws4_request", 12, ksigning) &&
		hmac_sha256(ksigning, SHA256_LEN, string_to_sign, strlen(string_to_sign), sig);

	explicit_bzero(ksecret, slen + 4);
	pfree(ksecret);
	explicit_bzero(kdate, sizeof(kdate));
	explicit_bzero(kregion, sizeof(kregion));
	explicit_bzero(kservice, sizeof(kservice));
	explicit_bzero(ksigning, sizeof(ksigning));

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute an HMAC-SHA256 with OpenSSL")));
	hex_encode_lower(sig, SHA256_LEN, signature_hex);
}

static void
push_header(AigwSigV4Header *headers, int *n, const char *name, const char *value)
{
	headers[*n].name = name;
	headers[*n].value = value;
	(*n)++;
}

void
aigw_sigv4_sign(const AigwSigV4Key *key, const AigwSigV4Input *in, AigwSigV4Output *out)
{
	char		payload_hash[2 * SHA256_LEN + 1];
	char		request_hash[2 * SHA256_LEN + 1];
	char		date8[9];
	AigwSigV4Header extra[3];
	int			nextra = 0;
	bool		has_token;
	char	   *scope;
	StringInfoData canon;
	StringInfoData signed_headers;

	check_input(key, in);
	has_token = key->session_token != NULL && key->session_token[0] != '\0';
	memcpy(date8, in->amz_date, 8);
	date8[8] = '\0';
	scope = psprintf("%s/%s/%s/aws4_request", date8, key->region, key->service);

	aigw_sigv4_sha256_hex(in->body, in->body_len, payload_hash);

	push_header(extra, &nextra, "x-amz-date", in->amz_date);
	if (has_token && !in->omit_session_token)
		push_header(extra, &nextra, "x-amz-security-token", key->session_token);
	if (in->add_content_sha256_header)
		push_header(extra, &nextra, "x-amz-content-sha256", payload_hash);

	initStringInfo(&canon);
	initStringInfo(&signed_headers);
	appendStringInfo(&canon, "%s\n", in->method);
	appendStringInfo(&canon, "%s\n", canonical_uri(in));
	appendStringInfo(&canon, "%s\n", canonical_query(in->query ? in->query : ""));
	canonical_headers(in, extra, nextra, &canon, &signed_headers);
	appendStringInfo(&canon, "\n%s\n%s", signed_headers.data, payload_hash);

	aigw_sigv4_sha256_hex(canon.data, canon.len, request_hash);

	out->canonical_request = canon.data;
	out->signed_headers = signed_headers.data;
	out->string_to_sign = psprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s",
								   in->amz_date, scope, request_hash);
	out->signature_hex = palloc(2 * SHA256_LEN + 1);
	compute_signature(key, date8, out->string_to_sign, out->signature_hex);
	out->authorization = psprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
								  key->access_key_id, scope, signed_headers.data,
								  out->signature_hex);

	out->nheaders = 0;
	push_header(out->headers, &out->nheaders, "X-Amz-Date", pstrdup(in->amz_date));
	if (has_token)
		push_header(out->headers, &out->nheaders, "X-Amz-Security-Token",
					pstrdup(key->session_token));
	if (in->add_content_sha256_header)
		push_header(out->headers, &out->nheaders, "x-amz-content-sha256",
					pstrdup(payload_hash));
	push_header(out->headers, &out->nheaders, "Authorization", out->authorization);
}
