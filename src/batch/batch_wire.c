/*
 * batch_wire.c
 *	  The providers' batch APIs on the wire (see batch_wire.h).
 *
 * OpenAI: the input is a JSONL file uploaded with purpose "batch"
 * (POST /files, multipart), then POST /batches names it; its results are
 * an output file and an error file (GET /files/{id}/content).  Anthropic:
 * POST /messages/batches carries the requests themselves, and the results
 * are one JSONL document at the batch's results_url.  The paths follow the
 * provider's base_url, as a call's do (base_url ends in /v1 for both).
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "batch/batch_wire.h"
#include "caller/upstream_request.h"
#include "common/json_util.h"
#include "common/settings.h"
#include "common/uri_encode.h"
#include "common/message.h"
#include "pool/pool.h"
#include "providers/provider.h"

/* What a status or an upload answers is small; a results file is not. */
#define SMALL_ANSWER_BYTES (4 * 1024 * 1024)
#define RESULTS_MAX_BYTES (1024 * 1024 * 1024)

bool
aigw_batch_wire_for(const AigwTarget *target, bool embedding, AigwBatchWire *wire, const char **why)
{
	if (strcmp(target->api_style, "openai") == 0)
	{
		*wire = BATCH_WIRE_OPENAI;
		return true;
	}
	if (strcmp(target->api_style, "anthropic") == 0 && !embedding)
	{
		*wire = BATCH_WIRE_ANTHROPIC;
		return true;
	}
	if (strcmp(target->api_style, "gemini") == 0 && !embedding)
	{
		*wire = BATCH_WIRE_GEMINI;
		return true;
	}
	*why = strcmp(target->api_style, "anthropic") == 0 || strcmp(target->api_style, "gemini") == 0
		? psprintf("aigw sends no embeddings through %s's batch API", target->api_style)
		: psprintf("aigw sends batches through OpenAI's Batch API, Anthropic's Message Batches and Gemini's batch mode, and provider \"%s\" speaks api_style \"%s\"",
				   target->provider, target->api_style);
	return false;
}

int
aigw_batch_wire_max_lines(AigwBatchWire wire)
{
	return wire == BATCH_WIRE_OPENAI ? BATCH_OPENAI_MAX_LINES
		: wire == BATCH_WIRE_ANTHROPIC ? BATCH_ANTHROPIC_MAX_LINES : BATCH_GEMINI_MAX_LINES;
}

int64
aigw_batch_wire_max_bytes(AigwBatchWire wire)
{
	return wire == BATCH_WIRE_OPENAI ? BATCH_OPENAI_MAX_BYTES
		: wire == BATCH_WIRE_ANTHROPIC ? BATCH_ANTHROPIC_MAX_BYTES : BATCH_GEMINI_MAX_BYTES;
}

/* ---------------------------------------------------------------------
 * The input
 * ---------------------------------------------------------------------
 */

void
aigw_batch_input_begin(AigwBatchWire wire, StringInfo buf)
{
	if (wire == BATCH_WIRE_ANTHROPIC)
		appendStringInfoString(buf, "{\"requests\":[");
	else if (wire == BATCH_WIRE_GEMINI)
		appendStringInfoString(buf, "{\"batch\":{\"display_name\":\"aigw\",\"input_config\":{\"requests\":{\"requests\":[");
}

void
aigw_batch_input_add(AigwBatchWire wire, StringInfo buf, bool first, const char *custom_id,
					 bool embedding, const char *body, int body_len)
{
	/* custom ids are aigw's own: [A-Za-z0-9_-], nothing to escape */
	if (wire == BATCH_WIRE_OPENAI)
		appendStringInfo(buf, "{\"custom_id\":\"%s\",\"method\":\"POST\",\"url\":\"%s\",\"body\":",
						 custom_id, embedding ? "/v1/embeddings" : "/v1/chat/completions");
	else if (wire == BATCH_WIRE_ANTHROPIC)
		appendStringInfo(buf, "%s{\"custom_id\":\"%s\",\"params\":", first ? "" : ",", custom_id);
	else
		appendStringInfo(buf, "%s{\"metadata\":{\"key\":\"%s\"},\"request\":", first ? "" : ",", custom_id);
	appendBinaryStringInfo(buf, body, body_len);
	appendStringInfoString(buf, wire == BATCH_WIRE_OPENAI ? "}\n" : "}");
}

void
aigw_batch_input_end(AigwBatchWire wire, StringInfo buf)
{
	if (wire == BATCH_WIRE_ANTHROPIC)
		appendStringInfoString(buf, "]}");
	else if (wire == BATCH_WIRE_GEMINI)
		appendStringInfoString(buf, "]}}}}");
}

/* ---------------------------------------------------------------------
 * HTTP through the pool
 * ---------------------------------------------------------------------
 */

/*
 * One request; the answer's body (NUL-terminated) on a 2xx, else NULL and
 * *error: the provider's message, or what stopped the request.
 */
static char *
http(const AigwTarget *target, const char *method, const char *path, const char *content_type,
	 const char *body, int body_len, int max_bytes, size_t *len, char **error)
{
	AigwRequestMsg *rq = aigw_build_http_request(target, method, path, content_type,
												 body, body_len, max_bytes);
	AigwOutcomeMsg *oc = aigw_pool_call(rq, NULL, 0);
	char	   *out;

	pfree(rq);
	if (oc == NULL)
	{
		*error = psprintf("%s %s: the pool returned no answer", method, path);
		return NULL;
	}
	if (oc->status != ATTEMPT_OK)
	{
		*error = psprintf("%s %s: %s%s", method, path,
						  oc->http_status > 0 ? psprintf("HTTP %d: ", oc->http_status) : "",
						  AIGW_MSG_HAS(oc, OC_ERROR) ? AIGW_MSG_FIELD(oc, OC_ERROR) : aigw_attempt_status_name(oc->status));
		pfree(oc);
		return NULL;
	}
	*len = oc->len[OC_RESULT];
	out = palloc(*len + 1);
	memcpy(out, AIGW_MSG_FIELD(oc, OC_RESULT), *len);
	out[*len] = '\0';
	pfree(oc);
	return out;
}

/* A JSON object answer, or NULL and *error. */
static Jsonb *
http_json(const AigwTarget *target, const char *method, const char *path, const char *content_type,
		  const char *body, int body_len, char **error)
{
	size_t		len;
	char	   *text = http(target, method, path, content_type, body, body_len, SMALL_ANSWER_BYTES, &len, error);
	Jsonb	   *json;
	char	   *parse_error = NULL;

	if (text == NULL)
		return NULL;
	json = aigw_jsonb_parse(text, &parse_error);
	if (json == NULL || !JB_ROOT_IS_OBJECT(json))
	{
		*error = psprintf("%s %s: the answer is not a JSON object", method, path);
		return NULL;
	}
	return json;
}

static char *
key_text(Jsonb *json, const char *key)
{
	return aigw_jsonb_cstring(aigw_jsonb_key(&json->root, key));
}

static int64
count_of(JsonbValue *counts, const char *key)
{
	int64		n = 0;

	if (aigw_jsonb_is_object(counts))
		(void) aigw_jsonb_int64(aigw_jsonb_key(counts->val.binary.data, key), &n);
	return n;
}

/* ---------------------------------------------------------------------
 * Handing over, polling, cancelling, downloading
 * ---------------------------------------------------------------------
 */

/* The JSONL as a multipart/form-data upload with purpose "batch". */
static char *
multipart(StringInfo input, char **content_type, int *len)
{
	StringInfoData body;
	char		boundary[48];

	snprintf(boundary, sizeof(boundary), "aigw-%016llx%016llx",
			 (unsigned long long) pg_prng_uint64(&pg_global_prng_state),
			 (unsigned long long) pg_prng_uint64(&pg_global_prng_state));
	initStringInfo(&body);
	enlargeStringInfo(&body, input->len + 512);
	appendStringInfo(&body, "--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n", boundary);
	appendStringInfo(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"aigw-batch.jsonl\"\r\n"
					 "Content-Type: application/jsonl\r\n\r\n", boundary);
	appendBinaryStringInfo(&body, input->data, input->len);
	appendStringInfo(&body, "\r\n--%s--\r\n", boundary);
	*content_type = psprintf("multipart/form-data; boundary=%s", boundary);
	*len = body.len;
	return body.data;
}

/* An id the provider gave goes into URL paths: nothing that would lead elsewhere. */
static bool
url_safe(const char *id)
{
	return id[0] != '\0' && strstr(id, "..") == NULL &&
		strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./") == strlen(id);
}

static void
raise_provider_error(const AigwTarget *target, const char *what, const char *error)
{
	ereport(ERROR,
			(errcode(ERRCODE_AIGW_UPSTREAM_BAD_REQUEST),
			 errmsg("provider \"%s\" refused the batch: %s", target->provider, what),
			 errdetail("%s", error),
			 errhint("Nothing was charged for the rows of this batch; its reservation is released. CALL the job again once the cause is fixed: only rows still NULL are sent.")));
}

char *
aigw_batch_create(const AigwTarget *target, AigwBatchWire wire, bool embedding, StringInfo input,
				  char **file_id, char **status)
{
	char	   *error = NULL;
	Jsonb	   *answer;
	char	   *id;

	*file_id = NULL;
	if (wire == BATCH_WIRE_OPENAI)
	{
		char	   *content_type;
		int			len;
		char	   *body = multipart(input, &content_type, &len);
		StringInfoData create;

		answer = http_json(target, "POST", "/files", content_type, body, len, &error);
		pfree(body);
		if (answer == NULL || (*file_id = key_text(answer, "id")) == NULL)
			raise_provider_error(target, "the upload of its input file failed", error ? error : "the answer has no file id");
		initStringInfo(&create);
		appendStringInfoString(&create, "{\"input_file_id\":");
		escape_json(&create, *file_id);
		appendStringInfo(&create, ",\"endpoint\":\"%s\",\"completion_window\":\"24h\"}",
						 embedding ? "/v1/embeddings" : "/v1/chat/completions");
		answer = http_json(target, "POST", "/batches", NULL, create.data, create.len, &error);
	}
	else if (wire == BATCH_WIRE_ANTHROPIC)
		answer = http_json(target, "POST", "/messages/batches", NULL, input->data, input->len, &error);
	else
	{
		StringInfoData path;

		initStringInfo(&path);
		appendStringInfoString(&path, "/models/");
		aigw_uri_encode(&path, target->upstream_model, strlen(target->upstream_model), false);
		appendStringInfoString(&path, ":batchGenerateContent");
		answer = http_json(target, "POST", path.data, NULL, input->data, input->len, &error);
	}
	/* Gemini answers with an Operation named after the batch: "batches/..." */
	id = answer ? key_text(answer, wire == BATCH_WIRE_GEMINI ? "name" : "id") : NULL;
	if (id == NULL)
		raise_provider_error(target, "it could not be created", error ? error : "the answer has no batch id");
	if (!url_safe(id))
		raise_provider_error(target, "its batch id is not one aigw can use in a URL", psprintf("The provider answered the id \"%s\".", id));
	*status = wire == BATCH_WIRE_OPENAI ? key_text(answer, "status")
		: wire == BATCH_WIRE_ANTHROPIC ? key_text(answer, "processing_status")
		: aigw_jsonb_cstring(aigw_jsonb_path2(&answer->root, "metadata", "state"));
	return id;
}

/* Google's int64 comes as a JSON string */
static int64
int64_of(JsonbValue *v)
{
	int64		n = 0;
	char	   *s = aigw_jsonb_cstring(v);

	if (s != NULL)
		n = strtoll(s, NULL, 10);
	else
		(void) aigw_jsonb_int64(v, &n);
	return n;
}

/*
 * Gemini's batch is an Operation: metadata.state says how it is doing, and
 * once it is done its results are in it (response.inlinedResponses), so
 * the status is read with a results file's room.
 */
static bool
gemini_status(const AigwTarget *target, const char *name, AigwBatchStatus *st, char **error)
{
	static const char *const ended[] = {"BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED",
	"BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"};
	size_t		len;
	char	   *text = http(target, "GET", psprintf("/%s", name), NULL, NULL, 0, RESULTS_MAX_BYTES, &len, error);
	char	   *parse_error = NULL;
	Jsonb	   *op = text ? aigw_jsonb_parse(text, &parse_error) : NULL;
	JsonbValue *stats;
	JsonbValue *done;

	if (text != NULL && (op == NULL || !JB_ROOT_IS_OBJECT(op)))
		*error = psprintf("GET /%s: the answer is not a JSON object", name);
	if (op == NULL || !JB_ROOT_IS_OBJECT(op))
		return false;
	st->status = aigw_jsonb_cstring(aigw_jsonb_path2(&op->root, "metadata", "state"));
	done = aigw_jsonb_key(&op->root, "done");
	st->ended = done != NULL && done->type == jbvBool && done->val.boolean;
	for (int i = 0; st->status && i < lengthof(ended); i++)
		st->ended |= strcmp(st->status, ended[i]) == 0;
	if (st->ended)
		st->results[st->nresults++] = pstrdup(name);
	st->error = aigw_jsonb_cstring(aigw_jsonb_path2(&op->root, "error", "message"));
	stats = aigw_jsonb_path2(&op->root, "metadata", "batchStats");
	if (aigw_jsonb_is_object(stats))
	{
		st->total = int64_of(aigw_jsonb_key(stats->val.binary.data, "requestCount"));
		st->done = int64_of(aigw_jsonb_key(stats->val.binary.data, "successfulRequestCount"));
		st->failed = int64_of(aigw_jsonb_key(stats->val.binary.data, "failedRequestCount"));
	}
	if (st->status == NULL)
	{
		*error = pstrdup("the batch's answer has no state");
		return false;
	}
	return true;
}

bool
aigw_batch_poll_status(const AigwTarget *target, AigwBatchWire wire, const char *batch_id,
					   AigwBatchStatus *st, char **error)
{
	Jsonb	   *answer;
	JsonbValue *counts;

	memset(st, 0, sizeof(*st));
	if (wire == BATCH_WIRE_GEMINI)
		return gemini_status(target, batch_id, st, error);
	answer = http_json(target, "GET",
					   psprintf(wire == BATCH_WIRE_OPENAI ? "/batches/%s" : "/messages/batches/%s", batch_id),
					   NULL, NULL, 0, error);
	if (answer == NULL)
		return false;
	counts = aigw_jsonb_key(&answer->root, "request_counts");
	if (wire == BATCH_WIRE_OPENAI)
	{
		static const char *const ended[] = {"completed", "failed", "expired", "cancelled"};
		static const char *const files[] = {"output_file_id", "error_file_id"};
		JsonbValue *errors = aigw_jsonb_path2(&answer->root, "errors", "data");

		st->status = key_text(answer, "status");
		for (int i = 0; st->status && i < lengthof(ended); i++)
			st->ended |= strcmp(st->status, ended[i]) == 0;
		for (int i = 0; i < lengthof(files); i++)
		{
			char	   *file = key_text(answer, files[i]);

			if (file != NULL)
				st->results[st->nresults++] = file;
		}
		if (aigw_jsonb_is_array(errors))
		{
			JsonbValue *first = getIthJsonbValueFromContainer(errors->val.binary.data, 0);

			if (aigw_jsonb_is_object(first))
				st->error = aigw_jsonb_cstring(aigw_jsonb_key(first->val.binary.data, "message"));
		}
		st->total = count_of(counts, "total");
		st->done = count_of(counts, "completed");
		st->failed = count_of(counts, "failed");
	}
	else
	{
		char	   *url;

		st->status = key_text(answer, "processing_status");
		st->ended = st->status && strcmp(st->status, "ended") == 0;
		if ((url = key_text(answer, "results_url")) != NULL)
			st->results[st->nresults++] = url;
		st->done = count_of(counts, "succeeded");
		st->failed = count_of(counts, "errored") + count_of(counts, "canceled") + count_of(counts, "expired");
		st->total = st->done + st->failed + count_of(counts, "processing");
	}
	if (st->status == NULL)
	{
		*error = pstrdup("the batch's answer has no status");
		return false;
	}
	return true;
}

bool
aigw_batch_cancel_upstream(const AigwTarget *target, AigwBatchWire wire, const char *batch_id,
						   char **error)
{
	return http_json(target, "POST",
					 psprintf(wire == BATCH_WIRE_OPENAI ? "/batches/%s/cancel"
							  : wire == BATCH_WIRE_ANTHROPIC ? "/messages/batches/%s/cancel" : "/%s:cancel",
							  batch_id),
					 NULL, "", 0, error) != NULL;
}

/* scheme://host[:port] of a URL */
static char *
origin_of(const char *url)
{
	const char *p = strstr(url, "://");
	size_t		n;

	if (p == NULL)
		return pstrdup("");
	p += 3;
	n = strcspn(p, "/?#");
	return pnstrdup(url, (p - url) + n);
}

char *
aigw_batch_download(const AigwTarget *target, AigwBatchWire wire, const char *where, size_t *len,
					char **error, bool *never)
{
	*never = true;
	if (wire != BATCH_WIRE_ANTHROPIC && !url_safe(where))
	{
		*error = psprintf("the provider named its results \"%s\", which aigw does not put in a URL", where);
		return NULL;
	}
	*never = false;
	if (wire == BATCH_WIRE_OPENAI)
		return http(target, "GET", psprintf("/files/%s/content", where), NULL, NULL, 0,
					RESULTS_MAX_BYTES, len, error);
	if (wire == BATCH_WIRE_GEMINI)
		return http(target, "GET", psprintf("/%s", where), NULL, NULL, 0, RESULTS_MAX_BYTES, len, error);
	if (strcmp(origin_of(where), origin_of(target->base_url)) != 0)
	{
		*error = psprintf("the results_url %s is not on the provider's origin %s: aigw sends its credential nowhere else",
						  where, origin_of(target->base_url));
		*never = true;
		return NULL;
	}
	return http(target, "GET", where, NULL, NULL, 0, RESULTS_MAX_BYTES, len, error);
}

char *
aigw_batch_results_jsonl(AigwBatchWire wire, char *body, size_t *len, char **error)
{
	char	   *parse_error = NULL;
	Jsonb	   *op;
	JsonbValue *list;
	StringInfoData out;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (wire != BATCH_WIRE_GEMINI)
		return body;
	op = aigw_jsonb_parse(body, &parse_error);
	list = op && JB_ROOT_IS_OBJECT(op) ? aigw_jsonb_path2(&op->root, "response", "inlinedResponses") : NULL;
	list = aigw_jsonb_is_object(list) ? aigw_jsonb_key(list->val.binary.data, "inlinedResponses") : NULL;
	initStringInfo(&out);
	if (op == NULL || !JB_ROOT_IS_OBJECT(op))
	{
		*error = pstrdup("the ended batch is not a JSON object");
		return NULL;
	}
	if (!aigw_jsonb_is_array(list))
	{
		/* a batch that failed as a whole has no responses: no lines */
		*len = 0;
		return out.data;
	}
	it = JsonbIteratorInit(list->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type == jbvBinary)
			(void) JsonbToCString(&out, v.val.binary.data, v.val.binary.len);
		else
			appendStringInfoString(&out, "null");
		appendStringInfoChar(&out, '\n');
	}
	pfree(body);
	*len = out.len;
	return out.data;
}

/* ---------------------------------------------------------------------
 * A result line
 * ---------------------------------------------------------------------
 */

/* The HTTP status Google's API gives for a gRPC code (google.rpc.Code); 0: none. */
static int
grpc_http_status(int64 code)
{
	switch (code)
	{
		case 3:				/* INVALID_ARGUMENT */
		case 9:				/* FAILED_PRECONDITION */
		case 11:				/* OUT_OF_RANGE */
			return 400;
		case 16:				/* UNAUTHENTICATED */
			return 401;
		case 7:				/* PERMISSION_DENIED */
			return 403;
		case 5:				/* NOT_FOUND */
			return 404;
		case 6:				/* ALREADY_EXISTS */
		case 10:				/* ABORTED */
			return 409;
		case 8:				/* RESOURCE_EXHAUSTED */
			return 429;
		case 12:				/* UNIMPLEMENTED */
			return 501;
		case 14:				/* UNAVAILABLE */
			return 503;
		case 4:				/* DEADLINE_EXCEEDED */
			return 504;
		case 1:				/* CANCELLED: no HTTP answer */
			return 0;
		default:				/* UNKNOWN, INTERNAL, DATA_LOSS... */
			return 500;
	}
}

static void
parse_body(const AigwProvider *provider, JsonbValue *body, int http_status, AigwAttempt *a)
{
	char	   *text = aigw_jsonb_is_object(body)
		? JsonbToCString(NULL, body->val.binary.data, body->val.binary.len) : NULL;

	a->http_status = http_status;
	if (text == NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the result line has no answer object");
		return;
	}
	a->response_bytes = strlen(text);
	if (http_status >= 200 && http_status < 300)
		provider->parse_answer(text, strlen(text), a);
	else
	{
		a->status = ATTEMPT_HTTP_ERROR;
		provider->parse_error(text, strlen(text), a);
		if (a->error == NULL)
			a->error = psprintf("HTTP %d", http_status);
	}
}

bool
aigw_batch_line_parse(AigwBatchWire wire, bool embedding, const char *api_style,
					  const char *line, size_t len, char **custom_id, AigwAttempt *a)
{
	const AigwProvider *provider = embedding ? aigw_embedding_provider_for(api_style)
		: aigw_provider_for_style(api_style);
	char	   *text = pnstrdup(line, len);
	char	   *parse_error = NULL;
	Jsonb	   *json = aigw_jsonb_parse(text, &parse_error);

	aigw_attempt_init(a);
	a->inputs = embedding ? 1 : 0;
	*custom_id = json == NULL || !JB_ROOT_IS_OBJECT(json) ? NULL
		: wire == BATCH_WIRE_GEMINI ? aigw_jsonb_cstring(aigw_jsonb_path2(&json->root, "metadata", "key"))
		: key_text(json, "custom_id");
	if (*custom_id == NULL)
	{
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "a result line is not a JSON object with a custom_id");
		return false;
	}
	if (wire == BATCH_WIRE_OPENAI)
	{
		JsonbValue *response = aigw_jsonb_key(&json->root, "response");
		JsonbValue *error = aigw_jsonb_key(&json->root, "error");
		int64		status = 0;

		if (aigw_jsonb_is_object(response) &&
			aigw_jsonb_int64(aigw_jsonb_key(response->val.binary.data, "status_code"), &status))
			parse_body(provider, aigw_jsonb_key(response->val.binary.data, "body"), (int) status, a);
		else
		{
			char	   *code = aigw_jsonb_is_object(error)
				? aigw_jsonb_cstring(aigw_jsonb_key(error->val.binary.data, "code")) : NULL;
			char	   *message = aigw_jsonb_is_object(error)
				? aigw_jsonb_cstring(aigw_jsonb_key(error->val.binary.data, "message")) : NULL;

			aigw_attempt_fail(a, code && strcmp(code, "batch_expired") == 0 ? ATTEMPT_TIMEOUT
							  : code && strcmp(code, "batch_cancelled") == 0 ? ATTEMPT_CANCELLED
							  : ATTEMPT_HTTP_ERROR,
							  "%s", message ? message : code ? code : "the line failed without a reason");
			a->error_type = code;
		}
	}
	else if (wire == BATCH_WIRE_GEMINI)
	{
		JsonbValue *response = aigw_jsonb_key(&json->root, "response");
		JsonbValue *error = aigw_jsonb_key(&json->root, "error");

		if (aigw_jsonb_is_object(response))
			parse_body(provider, response, 200, a);
		else
		{
			/* a google.rpc.Status: code is a gRPC code, not an HTTP status */
			int64		code = 2;
			char	   *message = aigw_jsonb_is_object(error)
				? aigw_jsonb_cstring(aigw_jsonb_key(error->val.binary.data, "message")) : NULL;

			if (aigw_jsonb_is_object(error))
				(void) aigw_jsonb_int64(aigw_jsonb_key(error->val.binary.data, "code"), &code);
			aigw_attempt_fail(a, code == 4 ? ATTEMPT_TIMEOUT : code == 1 ? ATTEMPT_CANCELLED : ATTEMPT_HTTP_ERROR,
							  "%s", message ? message : "the request failed without a reason");
			a->http_status = grpc_http_status(code);
			a->error_type = psprintf("grpc %d", (int) code);
		}
	}
	else
	{
		JsonbValue *result = aigw_jsonb_key(&json->root, "result");
		char	   *type = aigw_jsonb_is_object(result)
			? aigw_jsonb_cstring(aigw_jsonb_key(result->val.binary.data, "type")) : NULL;

		if (type == NULL)
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the result line has no result type");
		else if (strcmp(type, "succeeded") == 0)
			parse_body(provider, aigw_jsonb_key(result->val.binary.data, "message"), 200, a);
		else if (strcmp(type, "errored") == 0)
		{
			JsonbValue *inner = aigw_jsonb_path2(result->val.binary.data, "error", "error");

			aigw_attempt_fail(a, ATTEMPT_HTTP_ERROR, "%s",
							  aigw_jsonb_is_object(inner) && aigw_jsonb_key(inner->val.binary.data, "message")
							  ? aigw_jsonb_cstring(aigw_jsonb_key(inner->val.binary.data, "message"))
							  : "the request errored");
			if (aigw_jsonb_is_object(inner))
				a->error_type = aigw_jsonb_cstring(aigw_jsonb_key(inner->val.binary.data, "type"));
		}
		else if (strcmp(type, "canceled") == 0)
			aigw_attempt_fail(a, ATTEMPT_CANCELLED, "the batch was cancelled before this request was processed");
		else if (strcmp(type, "expired") == 0)
			aigw_attempt_fail(a, ATTEMPT_TIMEOUT, "the batch expired before this request was processed");
		else
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "unknown result type \"%s\"", type);
	}
	return true;
}
