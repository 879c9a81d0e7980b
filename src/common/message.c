/*
 * message.c
 *	  Packing of the request and outcome messages (see message.h).
 */
#include "postgres.h"

#include "common/message.h"
#include "utils/dsa.h"

static const char *const attempt_status_names[] = {
	[ATTEMPT_OK] = "ok",
	[ATTEMPT_HTTP_ERROR] = "http_error",
	[ATTEMPT_TIMEOUT] = "timeout",
	[ATTEMPT_CONNECT_ERROR] = "connect_error",
	[ATTEMPT_CANCELLED] = "cancelled",
	[ATTEMPT_MALFORMED] = "malformed",
	[ATTEMPT_TOO_LARGE] = "too_large",
	[ATTEMPT_ABORTED] = "aborted",
	[ATTEMPT_CACHE_HIT] = "cache_hit",
};

const char *
aigw_attempt_status_name(AigwAttemptStatus status)
{
	Assert(status >= ATTEMPT_OK && status <= ATTEMPT_CACHE_HIT);
	return attempt_status_names[status];
}

void
aigw_msg_begin(StringInfo buf, Size header_size)
{
	initStringInfo(buf);
	enlargeStringInfo(buf, header_size);
	memset(buf->data, 0, header_size);
	buf->len = header_size;
	buf->data[buf->len] = '\0';
}

void
aigw_msg_put(StringInfo buf, Size data_start, Size off_pos, Size len_pos,
			 const char *value, Size value_len)
{
	uint32		off = buf->len - data_start;
	uint32		len = (uint32) value_len;

	if (value_len > 0)
		appendBinaryStringInfo(buf, value, value_len);
	appendStringInfoChar(buf, '\0');
	memcpy(buf->data + off_pos, &off, sizeof(uint32));
	memcpy(buf->data + len_pos, &len, sizeof(uint32));
}

void
aigw_request_put(StringInfo buf, AigwRequestField f, const char *s)
{
	AIGW_MSG_PUT(buf, AigwRequestMsg, f, s ? s : "", s ? strlen(s) : 0);
}

void
aigw_outcome_put(StringInfo buf, AigwOutcomeField f, const char *s)
{
	AIGW_MSG_PUT(buf, AigwOutcomeMsg, f, s ? s : "", s ? strlen(s) : 0);
}

/*
 * A request carries its credential sealed (RQ_CREDENTIAL) and nothing in
 * clear, so its chunk goes back to the allocator as it is.
 */
void
aigw_request_free(dsa_area *area, dsa_pointer dp)
{
	dsa_free(area, dp);
}
