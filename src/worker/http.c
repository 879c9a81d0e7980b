/*
 * http.c
 *	  Setting up one libcurl transfer and classifying how it ended.
 *
 * The worker's event loop (worker.c) drives the transfers; this file knows
 * what an attempt needs from curl: limits, timeouts, connection reuse, and
 * the mapping of curl's results and HTTP statuses to aigw.requests.status.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/settings.h"
#include "worker/http.h"
#include "common/json_util.h"

/* ---------------------------------------------------------------------
 * Response buffer
 * ---------------------------------------------------------------------
 */

static bool
buffer_append(AigwBuffer *buf, const char *data, size_t n)
{
	if (buf->len + n + 1 > buf->cap)
	{
		size_t		newcap = Max(buf->cap * 2, 8192);
		char	   *newdata;

		while (newcap < buf->len + n + 1)
			newcap *= 2;
		newdata = MemoryContextAllocExtended(buf->cxt, newcap,
											 MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
		if (newdata == NULL)
			return false;
		if (buf->len > 0)
			memcpy(newdata, buf->data, buf->len);
		if (buf->data)
			pfree(buf->data);
		buf->data = newdata;
		buf->cap = newcap;
	}
	memcpy(buf->data + buf->len, data, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
	return true;
}

/* ---------------------------------------------------------------------
 * libcurl callbacks: no palloc that can fail, no ereport.
 * ---------------------------------------------------------------------
 */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	AigwTransfer *t = (AigwTransfer *) userp;
	size_t		n = size * nmemb;

	if (t->body.len + n > t->body.limit)
	{
		t->too_large = true;
		return 0;				/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (!buffer_append(&t->body, data, n))
	{
		t->out_of_memory = true;
		return 0;
	}
	return n;
}

static bool
header_is(const char *line, size_t len, const char *name)
{
	size_t		n = strlen(name);

	return len > n && pg_strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static void
header_value(const char *line, size_t len, size_t namelen, char *out, size_t outsize)
{
	const char *v = line + namelen + 1;
	const char *end = line + len;
	size_t		n;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	n = Min((size_t) (end - v), outsize - 1);
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t nitems, void *userp)
{
	AigwTransfer *t = (AigwTransfer *) userp;
	size_t		len = size * nitems;

	/* A new status line (after a 100 Continue, say) starts a new header set. */
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0)
	{
		t->retry_after[0] = '\0';
		t->retry_after_ms[0] = '\0';
		t->should_retry[0] = '\0';
	}
	else if (header_is(line, len, "retry-after"))
		header_value(line, len, strlen("retry-after"), t->retry_after, sizeof(t->retry_after));
	else if (header_is(line, len, "retry-after-ms"))
		header_value(line, len, strlen("retry-after-ms"), t->retry_after_ms, sizeof(t->retry_after_ms));
	else if (header_is(line, len, "x-should-retry"))
		header_value(line, len, strlen("x-should-retry"), t->should_retry, sizeof(t->should_retry));
	return len;
}

/* ---------------------------------------------------------------------
 * Transfer life cycle
 * ---------------------------------------------------------------------
 */

AigwTransfer *
aigw_transfer_create(int slotno, const AigwRequestMsg *request, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "aigw transfer",
											  ALLOCSET_SMALL_SIZES);
	AigwTransfer *t = MemoryContextAllocZero(cxt, sizeof(AigwTransfer));

	t->cxt = cxt;
	t->slotno = slotno;
	t->request = MemoryContextAlloc(cxt, request->total_size);
	memcpy(t->request, request, request->total_size);
	t->provider = aigw_provider_for_style(AIGW_MSG_FIELD(t->request, RQ_API_STYLE));
	t->body.cxt = cxt;
	t->body.limit = t->request->max_response_bytes;
	aigw_attempt_init(&t->attempt);
	t->attempt.request_bytes = t->request->len[RQ_BODY];
	t->attempt.inputs = t->request->inputs;
	if (AIGW_MSG_HAS(t->request, RQ_ROUTE))
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	   *error;

		/* written by aigw's own route.c: always JSON */
		t->attempt.route = aigw_jsonb_parse(AIGW_MSG_FIELD(t->request, RQ_ROUTE), &error);
		MemoryContextSwitchTo(old);
	}
	return t;
}

/* "Name: value" lines joined by '\n', onto the transfer's header list. */
static bool
add_header_lines(AigwTransfer *t, char *lines)
{
	char	   *line = lines;

	while (line && *line)
	{
		char	   *nl = strchr(line, '\n');
		struct curl_slist *list;

		if (nl)
			*nl = '\0';
		list = curl_slist_append(t->headers, line);
		if (nl)
			*nl = '\n';
		if (list == NULL)
			return false;
		t->headers = list;
		line = nl ? nl + 1 : NULL;
	}
	return true;
}

/* The request's headers, then the credential's (curl copies them). */
static bool
add_headers(AigwTransfer *t)
{
	if (!add_header_lines(t, AIGW_MSG_FIELD(t->request, RQ_HEADERS)) ||
		!add_header_lines(t, t->auth.headers.data))
		return false;

	/*
	 * curl sends "Expect: 100-continue" for larger POST bodies and then
	 * waits up to a second for a server that never answers it.
	 */
	t->headers = curl_slist_append(t->headers, "Expect:");
	return t->headers != NULL;
}

static bool start_easy(CURLM *multi, AigwTransfer *t);

bool
aigw_transfer_start(CURLM *multi, AigwTransfer *t)
{
	MemoryContext old = MemoryContextSwitchTo(t->cxt);
	bool		started = start_easy(multi, t);

	MemoryContextSwitchTo(old);
	return started;
}

/*
 * Easy handles of finished transfers, kept for the next ones: an easy
 * handle is a few kilobytes that curl_easy_init sets up from scratch, and a
 * busy worker starts thousands of transfers a second.  What every transfer
 * sets alike is set once, when the handle is made; what differs is set by
 * each transfer, and what points into a transfer (its URL, which may carry
 * a key, its headers, its body) is dropped when the handle is put back.
 */
#define IDLE_EASY_MAX 256
static CURL *idle_easy[IDLE_EASY_MAX];
static int	n_idle_easy = 0;

static CURL *
easy_new(void)
{
	CURL	   *easy = curl_easy_init();

	if (easy == NULL)
		return NULL;
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "aigw/" AIGW_VERSION);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	/*
	 * HTTP/2 where TLS negotiates it; several calls then share a connection.
	 * (CURLOPT_PIPEWAIT, set per transfer, says whether to wait for it.)
	 */
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	/* A redirect would carry the key to another host: never follow one. */
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return easy;
}

static CURL *
easy_get(void)
{
	return n_idle_easy > 0 ? idle_easy[--n_idle_easy] : easy_new();
}

static void
easy_put(CURL *easy)
{
	if (n_idle_easy == IDLE_EASY_MAX)
	{
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, NULL);	/* frees curl's copy */
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
	idle_easy[n_idle_easy++] = easy;
}

static bool
start_easy(CURLM *multi, AigwTransfer *t)
{
	AigwRequestMsg *rq = t->request;
	CURL	   *easy;
	char	   *error;

	t->started_at = GetCurrentTimestamp();
	if (t->provider == NULL)
	{
		aigw_attempt_fail(&t->attempt, ATTEMPT_CONNECT_ERROR,
						  "api_style \"%s\" is not supported by this aigw build",
						  AIGW_MSG_FIELD(rq, RQ_API_STYLE));
		return false;
	}

	/* the key is opened here, as late as it can be, and applied */
	if (!aigw_auth_apply(rq, &t->auth, &error))
	{
		aigw_attempt_fail(&t->attempt, ATTEMPT_ABORTED, "%s", error);
		t->attempt.sqlstate = ERRCODE_AIGW_NO_CREDENTIAL;
		return false;
	}
	easy = easy_get();
	if (easy == NULL || !add_headers(t))
	{
		if (easy)
			easy_put(easy);
		aigw_auth_wipe(&t->auth);
		aigw_attempt_fail(&t->attempt, ATTEMPT_CONNECT_ERROR, "could not set up the HTTP transfer: out of memory");
		return false;
	}
	t->easy = easy;

	/* every option a transfer sets, each time: a kept handle has the last one's */
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(easy, CURLOPT_URL, t->auth.url);
	if (rq->kind == RQ_KIND_HTTP && AIGW_MSG_HAS(rq, RQ_METHOD) &&
		strcmp(AIGW_MSG_FIELD(rq, RQ_METHOD), "GET") == 0)
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	else
	{
		curl_easy_setopt(easy, CURLOPT_POST, 1L);	/* a kept handle may have done a GET */
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, AIGW_MSG_FIELD(rq, RQ_BODY));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) rq->len[RQ_BODY]);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) rq->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) rq->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) rq->max_response_bytes);

	/*
	 * Waiting for a connection being set up to tell whether it multiplexes
	 * only pays over TLS, where ALPN says so at the handshake: over plain
	 * HTTP curl learns it from the first answer, so a burst of calls to a
	 * new host would all wait for the first one to finish.
	 */
	curl_easy_setopt(easy, CURLOPT_PIPEWAIT,
					 pg_strncasecmp(AIGW_MSG_FIELD(rq, RQ_URL), "https:", 6) == 0 ? 1L : 0L);

	/* curl has its own copies of the URL and the header lines now */
	aigw_auth_wipe_sent(&t->auth);
	if (curl_multi_add_handle(multi, easy) != CURLM_OK)
	{
		aigw_auth_wipe(&t->auth);
		aigw_attempt_fail(&t->attempt, ATTEMPT_CONNECT_ERROR, "could not start the HTTP transfer");
		return false;
	}
	return true;
}

static double
info_ms(CURL *easy, CURLINFO what)
{
	curl_off_t	us = 0;

	if (curl_easy_getinfo(easy, what, &us) != CURLE_OK)
		return 0;
	return (double) us / 1000.0;
}

/* Time and size figures for aigw.requests, from curl when it has them. */
static void
record_timing(AigwTransfer *t)
{
	AigwAttempt *a = &t->attempt;

	a->response_bytes = t->body.len;
	if (t->easy)
	{
		a->latency_ms = info_ms(t->easy, CURLINFO_TOTAL_TIME_T);
		a->ttfb_ms = info_ms(t->easy, CURLINFO_STARTTRANSFER_TIME_T);
	}
	if (a->latency_ms <= 0)
		a->latency_ms = (double) (GetCurrentTimestamp() - t->started_at) / 1000.0;
	if (t->retry_after[0])
		a->retry_after = pstrdup(t->retry_after);
	if (t->retry_after_ms[0])
		a->retry_after_ms = pstrdup(t->retry_after_ms);
	if (strcmp(t->should_retry, "true") == 0)
		a->should_retry = 1;
	else if (strcmp(t->should_retry, "false") == 0)
		a->should_retry = 0;
}

/* The body of an error answer that is not JSON, made printable and short. */
static char *
body_excerpt(const AigwBuffer *body)
{
	size_t		n = pg_encoding_mbcliplen(PG_UTF8, body->data, body->len, 200);
	StringInfoData s;
	bool		space = false;

	initStringInfo(&s);
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) body->data[i];

		if (c <= ' ' || c == 0x7f)
		{
			space = (s.len > 0);
			continue;
		}
		if (space)
			appendStringInfoChar(&s, ' ');
		space = false;
		appendStringInfoChar(&s, (char) c);
	}
	if (body->len > n)
		appendStringInfoString(&s, "...");
	return s.data;
}

static void
classify_http(AigwTransfer *t)
{
	AigwAttempt *a = &t->attempt;
	long		code = 0;
	const char *body = t->body.data ? t->body.data : "";

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
	a->http_status = (int) code;

	/* Provider APIs speak UTF-8, and so do the databases aigw runs in. */
	if (!pg_verify_mbstr(PG_UTF8, body, t->body.len, true))
	{
		if (code >= 200 && code < 300)
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is not valid UTF-8 (HTTP %ld)", code);
		else
			aigw_attempt_fail(a, ATTEMPT_HTTP_ERROR, "HTTP %ld with a body that is not valid UTF-8", code);
		return;
	}

	if (code >= 200 && code < 300 && t->request->kind == RQ_KIND_HTTP)
	{
		/* a batch API's answer: the caller reads it (batch/batch_wire.c) */
		a->status = ATTEMPT_OK;
		a->raw = t->body.data ? t->body.data : "";
		a->raw_len = t->body.len;
		return;
	}
	if (code >= 200 && code < 300)
	{
		if (t->body.len == 0)
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer is empty (HTTP %ld)", code);
		else
			t->provider->parse_answer(body, t->body.len, a);
		return;
	}

	a->status = ATTEMPT_HTTP_ERROR;
	t->provider->parse_error(body, t->body.len, a);
	if (a->error == NULL)
		a->error = t->body.len > 0
			? psprintf("HTTP %ld: %s", code, body_excerpt(&t->body))
			: psprintf("HTTP %ld with an empty body", code);
}

/*
 * What the upstream sent is scrubbed of the credential before anything
 * reads it: a proxy or provider that quotes the key it was given ("Incorrect
 * API key provided: sk-...") must not put it in an error, a row or the log.
 * The whole body, before the error excerpt cuts it (a key cut in half would
 * no longer be found), and the answer too.
 */
static void
scrub_body(AigwTransfer *t)
{
	size_t		len;
	char	   *scrubbed;

	if (t->body.len == 0 || t->auth.nforms == 0)
		return;
	scrubbed = aigw_auth_scrub(&t->auth, t->body.data, t->body.len, &len);
	if (scrubbed == NULL)
		return;
	explicit_bzero(t->body.data, t->body.len);
	pfree(t->body.data);
	t->body.data = scrubbed;
	t->body.len = len;
	t->body.cap = len + 1;
}

/*
 * The attempt's texts (the parsed error, curl's message, headers kept) are
 * scrubbed too, in case the key arrived escaped in a way the body did not
 * show; then the credential is wiped: the transfer is over.
 */
static void
forget_credential(AigwTransfer *t)
{
	aigw_auth_scrub_attempt(&t->auth, &t->attempt);
	aigw_auth_wipe(&t->auth);
}

/*
 * curl's own message, without the elapsed time it embeds ("... after 12 ms:
 * ..."), which says nothing useful and makes equal failures read differently.
 */
static const char *
curl_detail(AigwTransfer *t, CURLcode result)
{
	char	   *after;
	char	   *colon;

	if (t->errbuf[0] == '\0')
		return curl_easy_strerror(result);
	after = strstr(t->errbuf, " after ");
	colon = after ? strstr(after, " ms:") : NULL;
	if (colon != NULL)
		memmove(after, colon + 3, strlen(colon + 3) + 1);
	return t->errbuf;
}

/*
 * A transfer ended inside curl (completed, failed or timed out).  Fill the
 * attempt from curl's result and, for an HTTP answer, from its body.
 */
void
aigw_transfer_finish(CURLM *multi, AigwTransfer *t, CURLcode result)
{
	MemoryContext old = MemoryContextSwitchTo(t->cxt);
	AigwAttempt *a = &t->attempt;
	const char *detail = curl_detail(t, result);

	record_timing(t);
	scrub_body(t);
	switch (result)
	{
		case CURLE_OK:
			classify_http(t);
			break;
		case CURLE_OPERATION_TIMEDOUT:
			aigw_attempt_fail(a, ATTEMPT_TIMEOUT, "no complete answer within %d ms",
							  t->request->timeout_ms);
			break;
		case CURLE_WRITE_ERROR:
		case CURLE_FILESIZE_EXCEEDED:
			if (t->out_of_memory)
				aigw_attempt_fail(a, ATTEMPT_ABORTED, "out of memory while reading the answer");
			else
				aigw_attempt_fail(a, ATTEMPT_TOO_LARGE, "the answer exceeds aigw.max_response_bytes (%d bytes)",
								  t->request->max_response_bytes);
			break;
		case CURLE_PARTIAL_FILE:
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer was truncated: the connection closed before its end");
			break;
		case CURLE_BAD_CONTENT_ENCODING:
			aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the answer could not be decoded (%s)", detail);
			break;
#if LIBCURL_VERSION_NUM >= 0x080600
		case CURLE_TOO_LARGE:	/* libcurl 8.6 and later say this instead */
#endif
		case CURLE_OUT_OF_MEMORY:
			{
				long		code = 0;

				/*
				 * What libcurl answers when a header of the answer is over its
				 * limit (CURL_MAX_HTTP_HEADER, 100 KB), with no message of its
				 * own before 8.6: once a status line has come, an unusable
				 * answer.  Not a network failure, and sending the request
				 * again would get the same answer (and maybe another bill).
				 */
				if (t->easy)
					curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
				if (code > 0)
					aigw_attempt_fail(a, ATTEMPT_MALFORMED,
									  "the answer's headers are over libcurl's size limit (100 KB for one header) (HTTP %ld)",
									  code);
				else
					aigw_attempt_fail(a, ATTEMPT_ABORTED, "out of memory in libcurl while reading the answer");
			}
			break;
		default:
			/* refused, reset, DNS, TLS, nothing received ... */
			aigw_attempt_fail(a, ATTEMPT_CONNECT_ERROR, "%s", detail);
			break;
	}
	if (t->easy && result != CURLE_OK)
	{
		long		code = 0;

		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
		a->http_status = (int) code;
	}
	if (t->easy)
		curl_multi_remove_handle(multi, t->easy);
	forget_credential(t);
	MemoryContextSwitchTo(old);
}

/*
 * End a transfer before curl did: the caller gave up or the worker is
 * stopping.  Removing a handle mid-transfer closes its connection, which is
 * how the provider learns the answer is no longer wanted.
 */
void
aigw_transfer_stop(CURLM *multi, AigwTransfer *t, AigwAttemptStatus status,
				   const char *reason)
{
	MemoryContext old = MemoryContextSwitchTo(t->cxt);

	record_timing(t);
	aigw_attempt_fail(&t->attempt, status, "%s", reason);
	if (t->easy)
		curl_multi_remove_handle(multi, t->easy);
	forget_credential(t);
	MemoryContextSwitchTo(old);
}

void
aigw_transfer_destroy(AigwTransfer *t)
{
	if (t->easy)
		easy_put(t->easy);		/* out of the multi handle already */
	/* curl's copies of the header lines carry the credential */
	if (t->headers)
	{
		for (struct curl_slist *h = t->headers; h != NULL; h = h->next)
			explicit_bzero(h->data, strlen(h->data));
		curl_slist_free_all(t->headers);
	}
	aigw_auth_wipe(&t->auth);
	MemoryContextDelete(t->cxt);
}

/* The answer of a call the caller found in the response cache: nothing is sent. */
void
aigw_transfer_answer_from_cache(AigwTransfer *t)
{
	AigwAttempt *a = &t->attempt;
	MemoryContext old = MemoryContextSwitchTo(t->cxt);
	char	   *error;
	int64		v;

	a->response_bytes = t->request->len[RQ_BODY];
	a->result = aigw_jsonb_parse(AIGW_MSG_FIELD(t->request, RQ_BODY), &error);
	if (a->result == NULL)
		aigw_attempt_fail(a, ATTEMPT_MALFORMED, "the cached answer is not JSON: %s", error);
	else
	{
		a->status = ATTEMPT_CACHE_HIT;
		if (aigw_jsonb_int64(aigw_jsonb_path2(&a->result->root, "usage", "prompt_tokens"), &v))
			a->prompt_tokens = v;
		if (aigw_jsonb_int64(aigw_jsonb_path2(&a->result->root, "usage", "completion_tokens"), &v))
			a->completion_tokens = v;
	}
	MemoryContextSwitchTo(old);
}
