/*
 * attempt.c
 *	  Helpers for AigwAttempt.
 */
#include "postgres.h"

#include "common/attempt.h"

void
aigw_attempt_init(AigwAttempt *a)
{
	memset(a, 0, sizeof(*a));
	a->status = ATTEMPT_OK;
	a->prompt_tokens = -1;
	a->completion_tokens = -1;
	a->cached_tokens = -1;
	a->cache_write_tokens = -1;
	a->reasoning_tokens = -1;
	a->should_retry = -1;
}

void
aigw_attempt_fail(AigwAttempt *a, AigwAttemptStatus status, const char *fmt,...)
{
	StringInfoData buf;

	a->status = status;
	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	a->error = buf.data;
	a->result = NULL;
}
