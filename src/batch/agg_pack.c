/*
 * agg_pack.c
 *	  aigw.agg's requests (agg.h): how many items a request holds, and the
 *	  messages of each.  The rule is at the top of agg.c.
 *
 * A request is two messages: a system message that says what the items are
 * and what to do with them, and a user message with the items, numbered
 * from 1 in each request ("[1] text", a blank line between), then the
 * question.  Long context first and the question last is the order models
 * answer best from; it also makes the first words of a request its first
 * item, which is what the mock provider's answers quote (test/t/agg.sh).
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "batch/agg.h"
#include "common/json_util.h"
#include "common/settings.h"

/* The system messages; %d are counts.  Their longest form is budgeted. */
#define MAP_ALL \
	"You answer a question about a collection of %d numbered items, which follow. " \
	"Answer it from these items only, directly and concisely; do not describe the items one by one " \
	"or mention their numbering."
#define MAP_PART \
	"You answer a question about one part (%d of %d) of a collection of items: the %d numbered items " \
	"that follow. Answer it from these items only, directly and concisely, without mentioning their " \
	"numbering. Your answer will be combined with the answers about the other parts, so keep every " \
	"specific point that bears on the question."
#define REDUCE_ALL \
	"You combine partial answers. The %d numbered texts that follow each answer the question below " \
	"about a different part of one collection of items. Write one answer to the question about the " \
	"whole collection: merge what they share, keep what only some say, and do not mention the parts " \
	"or their numbering."
#define REDUCE_PART \
	"You combine partial answers. The %d numbered texts that follow each answer the question below " \
	"about a different part of one collection of items. Write one answer to the question about all " \
	"of those parts together (%d of %d of such combinations): merge what they share, keep every " \
	"specific point, and do not mention the parts or their numbering."
#define QUESTION "\n\nQuestion: "
#define CUT_MARK " [cut]"

/* The longest system message of a level's requests (counts of 10 digits). */
static int
system_bytes_max(bool reduce)
{
	if (reduce)
		return Max(strlen(psprintf(REDUCE_ALL, PG_INT32_MAX)),
				   strlen(psprintf(REDUCE_PART, PG_INT32_MAX, PG_INT32_MAX, PG_INT32_MAX)));
	return Max(strlen(psprintf(MAP_ALL, PG_INT32_MAX)),
			   strlen(psprintf(MAP_PART, PG_INT32_MAX, PG_INT32_MAX, PG_INT32_MAX)));
}

/* A request's room for framed items, once its system message, question and options are counted. */
static int64
item_room(const AggPacking *pk, bool reduce)
{
	/* routing's estimate: (bytes + 2) / 3 tokens, plus the answer, within the window */
	int64		request_bytes = 3 * ((int64) pk->window - pk->answer) - 2;

	return request_bytes - (system_bytes_max(reduce) + strlen(QUESTION) + pk->prompt_len +
							pk->options_bytes + AGG_REQUEST_OVERHEAD);
}

void
aigw_agg_budget(AggPacking *pk, const char *model)
{
	int64		room = Min(item_room(pk, false), item_room(pk, true));
	int64		fixed = 3 * ((int64) pk->window - pk->answer) - 2 - room;

	if (room < AGG_MIN_ITEM_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model \"%s\"'s context window leaves no room for the inputs of aigw.agg", model),
				 errdetail("A request may hold %d tokens; %d are kept for the answer, and the prompt, instructions and options take about " INT64_FORMAT ".",
						   pk->window, pk->answer, (fixed + 2) / 3),
				 errhint("Pass a lower max_tokens in the options, a shorter prompt, or a model with a larger context window.")));
	pk->map_bytes = (int) Min(item_room(pk, false), (int64) MaxAllocSize / 4);
	pk->reduce_bytes = (int) Min(item_room(pk, true), (int64) MaxAllocSize / 4);
}

static int
frame_bytes(int number)
{
	char		buf[32];

	/* "[n] " before the text, a blank line after it */
	return snprintf(buf, sizeof(buf), "[%d] ", number) + 2;
}

/* The byte length of at most max bytes of s[0..len), cut at a character's end. */
static int
clip(const char *s, int len, int max)
{
	if (len <= max)
		return len;
	return pg_mbcliplen(s, len, max);
}

void
aigw_agg_pack(const AggPacking *pk, const AggItems *items, bool reduce, AggRequests *out)
{
	int			room = reduce ? pk->reduce_bytes : pk->map_bytes;
	/* an answer carried up is at most half a request, so each reduce combines two or more */
	int			item_max = reduce ? room / 2 : room;
	int		   *first = palloc(sizeof(int) * (items->n + 1));	/* first item of each request */
	int		   *len = palloc(sizeof(int) * items->n);	/* each item's bytes as sent */
	bool	   *cut = palloc0(sizeof(bool) * items->n);
	int			used = 0;
	int			in_request = 0;
	int			n = 0;
	StringInfoData user;

	memset(out, 0, sizeof(*out));

	/* where the requests begin: take items while the next one fits */
	for (int i = 0; i < items->n; i++)
	{
		int			start = i > 0 ? items->ends[i - 1] : 0;
		int			bytes = items->ends[i] - start;
		int			frame;

		if (in_request > 0 && used + frame_bytes(in_request + 1) + bytes > room)
		{
			used = 0;
			in_request = 0;
		}
		if (in_request == 0)
			first[n++] = i;
		frame = frame_bytes(in_request + 1);
		if (frame + bytes > item_max)
		{
			bytes = clip(items->data + start, bytes, item_max - frame - (int) strlen(CUT_MARK));
			cut[i] = true;
			out->cut++;
		}
		len[i] = bytes;
		used += frame + bytes + (cut[i] ? (int) strlen(CUT_MARK) : 0);
		in_request++;
	}
	first[n] = items->n;

	/* each request's messages */
	out->n = n;
	out->payloads = palloc(sizeof(Jsonb *) * n);
	initStringInfo(&user);
	for (int r = 0; r < n; r++)
	{
		int			count = first[r + 1] - first[r];
		const char *system;

		if (reduce)
			system = n == 1 ? psprintf(REDUCE_ALL, count) : psprintf(REDUCE_PART, count, r + 1, n);
		else
			system = n == 1 ? psprintf(MAP_ALL, count) : psprintf(MAP_PART, r + 1, n, count);
		resetStringInfo(&user);
		for (int i = first[r]; i < first[r + 1]; i++)
		{
			int			start = i > 0 ? items->ends[i - 1] : 0;

			appendStringInfo(&user, "[%d] ", i - first[r] + 1);
			appendBinaryStringInfo(&user, items->data + start, len[i]);
			if (cut[i])
				appendStringInfoString(&user, CUT_MARK);
			appendStringInfoString(&user, "\n\n");
		}
		/* the last item's blank line is the question's */
		user.len -= 2;
		user.data[user.len] = '\0';
		appendStringInfoString(&user, QUESTION);
		appendBinaryStringInfo(&user, pk->prompt, pk->prompt_len);
		out->payloads[r] = aigw_chat_messages(system, user.data, user.len);
	}
	pfree(user.data);
}
