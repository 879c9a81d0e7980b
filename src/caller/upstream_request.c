/*
 * upstream_request.c
 *	  The request of one attempt (see upstream_request.h).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "common/json_util.h"
#include "providers/provider.h"
#include "tenants/tenant.h"
#include "caller/upstream_request.h"

/* Append "Name: value\n", refusing what would split a header. */
static void
append_header(StringInfo headers, const char *name, const char *value, const char *provider)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header \"%s\" configured for provider \"%s\" contains a line break or colon",
						name, provider),
				 errhint("Fix aigw.providers.extra_headers.")));
	appendStringInfo(headers, "%s: %s\n", name, value);
}

static void
build_headers(const AigwTarget *target, const AigwProvider *provider, const char *content_type,
			  StringInfo headers)
{
	JsonbIterator *it = JsonbIteratorInit(&target->extra_headers->root);
	JsonbValue	k;
	JsonbValue	v;

	appendStringInfo(headers, "Content-Type: %s\nAccept: application/json\n",
					 content_type ? content_type : "application/json");
	while (aigw_jsonb_next_member(&it, &k, &v))
	{
		char	   *name;

		name = pnstrdup(k.val.string.val, k.val.string.len);
		if (v.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("header \"%s\" configured for provider \"%s\" is not a string",
							name, target->provider),
					 errhint("aigw.providers.extra_headers maps header names to string values.")));
		append_header(headers, name, aigw_jsonb_cstring(&v), target->provider);
	}
	if (provider->add_headers)
		provider->add_headers(target, headers);
}

/*
 * The credential itself is applied by the worker that sends the request
 * (upstream_auth.c); the caller only checks that the provider's protocol
 * can carry it the way aigw.providers.auth_scheme says.
 */
static void
check_auth_scheme(const AigwTarget *target)
{
	const char *scheme = target->auth_scheme;

	if (strcmp(scheme, "bearer") == 0 || strcmp(scheme, "x-api-key") == 0 ||
		strcmp(scheme, "api-key") == 0 || strcmp(scheme, "x-goog-api-key") == 0 ||
		strcmp(scheme, "query-key") == 0 || strcmp(scheme, "none") == 0 ||
		(strcmp(scheme, "sigv4") == 0 && strcmp(target->api_style, "bedrock") == 0))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("auth_scheme \"%s\" of provider \"%s\" is not supported by api_style \"%s\"",
					scheme, target->provider, target->api_style)));
}

/* The credential, still sealed: only the worker opens it (upstream_auth.c). */
static void
put_credential(StringInfo msg, const AigwTarget *target)
{
	aigw_request_put(msg, RQ_AUTH_SCHEME, target->credential ? target->auth_scheme : "none");
	if (target->credential)
		AIGW_MSG_PUT(msg, AigwRequestMsg, RQ_CREDENTIAL, VARDATA_ANY(target->credential),
					 VARSIZE_ANY_EXHDR(target->credential));
	else
		aigw_request_put(msg, RQ_CREDENTIAL, NULL);
}

AigwRequestMsg *
aigw_build_request(const char *requested_model, const AigwTarget *target,
			  const AigwChatInput *input, const AttemptContext *ctx, AigwBill *bill)
{
	const AigwProvider *provider = input->embedding ? aigw_embedding_provider_for(target->api_style)
		: aigw_provider_for_style(target->api_style);
	StringInfoData url;
	StringInfoData headers;
	StringInfoData body;
	StringInfoData msg;
	AigwRequestMsg *rq;
	TimestampTz now;
	const char *end_user = aigw_tenant_end_user();

	if (provider == NULL && input->embedding)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("provider \"%s\" (api_style \"%s\") has no embedding endpoint aigw can call",
						target->provider, target->api_style),
				 errhint("aigw embeds through the OpenAI, Gemini and Bedrock protocols.")));
	if (provider == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("api_style \"%s\" of provider \"%s\" is not supported yet",
						target->api_style, target->provider),
				 errhint("This aigw version speaks the OpenAI protocol only.")));

	initStringInfo(&url);
	initStringInfo(&headers);
	initStringInfo(&body);
	appendStringInfoString(&url, aigw_base_url(target));
	provider->build(target, input, &url, &body);
	build_headers(target, provider, NULL, &headers);
	check_auth_scheme(target);

	if (body.len > aigw_max_request_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("request for model \"%s\" is %d bytes, over aigw.max_request_bytes (%d)",
						target->model_id, body.len, aigw_max_request_bytes),
				 errhint("Shorten the messages, or raise aigw.max_request_bytes.")));

	/* the price in force when the call is made, and its logged time, are one instant */
	now = GetCurrentTimestamp();
	aigw_billing_quote(target, input, body.len, now, bill);

	aigw_msg_begin(&msg, offsetof(AigwRequestMsg, data));
	/* sized once: the body may be large, and growing would copy it again */
	enlargeStringInfo(&msg, url.len + headers.len + body.len + 4096 +
					  (target->credential ? VARSIZE_ANY_EXHDR(target->credential) : 0) +
					  strlen(requested_model) + strlen(input->tags) + 2 * NAMEDATALEN +
					  (end_user ? strlen(end_user) : 0) +
					  aigw_billing_size(bill) +
					  (ctx->route ? strlen(ctx->route) : 0) +
					  (ctx->cache_key ? strlen(ctx->cache_key) : 0));
	aigw_request_put(&msg, RQ_URL, url.data);
	aigw_request_put(&msg, RQ_HEADERS, headers.data);
	AIGW_MSG_PUT(&msg, AigwRequestMsg, RQ_BODY, body.data, body.len);
	aigw_request_put(&msg, RQ_API_STYLE, provider->api_style);
	aigw_request_put(&msg, RQ_PROVIDER, target->provider);
	aigw_request_put(&msg, RQ_REQUESTED_MODEL, requested_model);
	aigw_request_put(&msg, RQ_SERVED_MODEL, target->model_id);
	aigw_request_put(&msg, RQ_ROLE, GetUserNameFromId(GetUserId(), false));
	aigw_request_put(&msg, RQ_TAGS, input->tags);
	aigw_request_put(&msg, RQ_END_USER, end_user);
	aigw_billing_put(&msg, bill);
	aigw_request_put(&msg, RQ_ROUTE, ctx->route);
	aigw_request_put(&msg, RQ_CACHE_KEY, ctx->cache_key);
	put_credential(&msg, target);

	rq = (AigwRequestMsg *) msg.data;
	rq->total_size = msg.len;
	rq->kind = RQ_KIND_CALL;
	rq->wallet_id = bill->billed ? bill->quote->wallet_id : 0;
	rq->wallets_relid = bill->relid;
	rq->scale = bill->scale;
	rq->reserved = bill->billed ? bill->reserve : 0;
	/* what the reservation was computed from bounds what is charged */
	rq->input_bound = bill->input_bound;
	rq->output_bound = bill->output_bound;
	rq->attempt = ctx->attempt;
	rq->inputs = input->embedding ? input->ntexts : 0;
	rq->call_id = ctx->call_id;
	rq->cache_ttl_s = ctx->cache_ttl_s;
	rq->timeout_ms = ctx->timeout_ms > 0 ? ctx->timeout_ms
		: target->request_timeout_ms > 0 ? target->request_timeout_ms
		: aigw_request_timeout_ms;
	rq->connect_timeout_ms = target->connect_timeout_ms > 0
		? target->connect_timeout_ms : aigw_connect_timeout_ms;
	rq->connect_timeout_ms = Min(rq->connect_timeout_ms, rq->timeout_ms);
	rq->max_response_bytes = aigw_max_response_bytes;
	rq->submitted_at = now;
	return rq;
}

AigwRequestMsg *
aigw_build_cached_request(const char *requested_model, const char *model, const char *provider,
						  Jsonb *response, const AigwChatInput *input, int attempt)
{
	StringInfoData msg;
	AigwRequestMsg *rq;
	char	   *body = JsonbToCString(NULL, &response->root, VARSIZE(response));

	aigw_msg_begin(&msg, offsetof(AigwRequestMsg, data));
	AIGW_MSG_PUT(&msg, AigwRequestMsg, RQ_BODY, body, strlen(body));
	aigw_request_put(&msg, RQ_PROVIDER, provider);
	aigw_request_put(&msg, RQ_REQUESTED_MODEL, requested_model);
	aigw_request_put(&msg, RQ_SERVED_MODEL, model);
	aigw_request_put(&msg, RQ_ROLE, GetUserNameFromId(GetUserId(), false));
	aigw_request_put(&msg, RQ_TAGS, input->tags);
	aigw_request_put(&msg, RQ_END_USER, aigw_tenant_end_user());
	/* zero rates: logged at a cost of 0 */
	aigw_request_put(&msg, RQ_RATE_INPUT, "0");
	aigw_request_put(&msg, RQ_RATE_OUTPUT, "0");

	rq = (AigwRequestMsg *) msg.data;
	rq->total_size = msg.len;
	rq->kind = RQ_KIND_CALL;
	rq->cached = true;
	rq->attempt = attempt;
	rq->inputs = input->embedding ? input->ntexts : 0;
	rq->timeout_ms = aigw_request_timeout_ms;
	rq->connect_timeout_ms = aigw_connect_timeout_ms;
	rq->max_response_bytes = aigw_max_response_bytes;
	rq->submitted_at = GetCurrentTimestamp();
	return rq;
}

char *
aigw_base_url(const AigwTarget *target)
{
	int			len = strlen(target->base_url);

	while (len > 0 && target->base_url[len - 1] == '/')
		len--;
	return pnstrdup(target->base_url, len);
}

AigwRequestMsg *
aigw_build_http_request(const AigwTarget *target, const char *method, const char *path,
						const char *content_type, const char *body, int body_len,
						int max_response_bytes)
{
	const AigwProvider *provider = aigw_provider_for_style(target->api_style);
	StringInfoData headers;
	StringInfoData msg;
	AigwRequestMsg *rq;
	char	   *url = strncmp(path, "http", 4) == 0 ? pstrdup(path)
		: psprintf("%s%s", aigw_base_url(target), path);

	Assert(provider != NULL);
	initStringInfo(&headers);
	build_headers(target, provider, content_type, &headers);
	check_auth_scheme(target);

	aigw_msg_begin(&msg, offsetof(AigwRequestMsg, data));
	enlargeStringInfo(&msg, strlen(url) + headers.len + body_len + 1024 +
					  (target->credential ? VARSIZE_ANY_EXHDR(target->credential) : 0));
	aigw_request_put(&msg, RQ_URL, url);
	aigw_request_put(&msg, RQ_HEADERS, headers.data);
	AIGW_MSG_PUT(&msg, AigwRequestMsg, RQ_BODY, body ? body : "", body ? body_len : 0);
	aigw_request_put(&msg, RQ_API_STYLE, provider->api_style);
	aigw_request_put(&msg, RQ_PROVIDER, target->provider);
	aigw_request_put(&msg, RQ_SERVED_MODEL, target->model_id);
	aigw_request_put(&msg, RQ_ROLE, GetUserNameFromId(GetUserId(), false));
	aigw_request_put(&msg, RQ_METHOD, method);
	put_credential(&msg, target);

	rq = (AigwRequestMsg *) msg.data;
	rq->total_size = msg.len;
	rq->kind = RQ_KIND_HTTP;
	rq->attempt = 1;
	rq->input_bound = rq->output_bound = -1;
	rq->timeout_ms = target->request_timeout_ms > 0 ? target->request_timeout_ms : aigw_request_timeout_ms;
	/* an upload or a results file takes longer than a call's answer */
	rq->timeout_ms = Max(rq->timeout_ms, 300000);
	rq->connect_timeout_ms = target->connect_timeout_ms > 0
		? target->connect_timeout_ms : aigw_connect_timeout_ms;
	rq->max_response_bytes = max_response_bytes;
	rq->submitted_at = GetCurrentTimestamp();
	return rq;
}
