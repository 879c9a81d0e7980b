/*
 * retry.c
 *	  Failure classes and retry waits (see retry.h).
 */
#include "postgres.h"

#include <curl/curl.h>
#include <math.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "routing/retry.h"

#define RETRY_AFTER_MAX_MS 60000
#define BACKOFF_INITIAL_MS 500
#define BACKOFF_MAX_MS 8000

AigwFailureClass
aigw_failure_class(const AigwOutcomeMsg *oc)
{
	AigwFailureClass c;

	switch ((AigwAttemptStatus) oc->status)
	{
		case ATTEMPT_CONNECT_ERROR:
		case ATTEMPT_TIMEOUT:
			c = FAILURE_TRANSIENT;
			break;
		case ATTEMPT_MALFORMED:
			c = FAILURE_UPSTREAM;
			break;
		case ATTEMPT_HTTP_ERROR:
			if (oc->http_status == 408 || oc->http_status == 409 ||
				oc->http_status == 429 || oc->http_status >= 500)
				c = FAILURE_TRANSIENT;
			else if (oc->http_status == 401 || oc->http_status == 403 || oc->http_status == 404)
				c = FAILURE_UPSTREAM;
			else
				c = FAILURE_INVALID;
			break;
		default:
			return FAILURE_FINAL;
	}
	/* x-should-retry (OpenAI, Anthropic) overrides the status either way */
	if (oc->should_retry == 1)
		c = FAILURE_TRANSIENT;
	else if (oc->should_retry == 0 && c == FAILURE_TRANSIENT)
		c = FAILURE_UPSTREAM;
	return c;
}

/* The upstream's own wait, in ms, or -1 when it gave none we can read. */
static int64
asked_wait_ms(const AigwOutcomeMsg *oc)
{
	char	   *end;

	if (AIGW_MSG_HAS(oc, OC_RETRY_AFTER_MS))
	{
		double		ms = strtod(AIGW_MSG_FIELD(oc, OC_RETRY_AFTER_MS), &end);

		if (*end == '\0' && isfinite(ms) && ms >= 0)
			return (int64) ceil(ms);
	}
	if (AIGW_MSG_HAS(oc, OC_RETRY_AFTER))
	{
		const char *v = AIGW_MSG_FIELD(oc, OC_RETRY_AFTER);
		double		s = strtod(v, &end);
		time_t		at;

		if (*end == '\0' && isfinite(s) && s >= 0)
			return (int64) ceil(s * 1000);
		/* an HTTP date; curl_getdate reads all three RFC 9110 forms */
		at = curl_getdate(v, NULL);
		if (at != -1)
		{
			/* to the millisecond: time(NULL) would round the wait up by up to 1 s */
			TimestampTz until = time_t_to_timestamptz(at);

			return Max((until - GetCurrentTimestamp() + 999) / 1000, 0);
		}
	}
	return -1;
}

int64
aigw_retry_wait_ms(const AigwOutcomeMsg *oc, int retry, bool *asked)
{
	int64		ms = asked_wait_ms(oc);
	double		backoff;

	*asked = ms >= 0 && ms <= RETRY_AFTER_MAX_MS;
	if (*asked)
		return ms;
	backoff = Min(BACKOFF_INITIAL_MS * pow(2, Max(retry - 1, 0)), BACKOFF_MAX_MS);
	return (int64) (backoff * (1 - 0.25 * pg_prng_double(&pg_global_prng_state)));
}

void
aigw_retry_sleep(int64 ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
