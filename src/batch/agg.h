/*
 * agg.h
 *	  aigw.agg's packing (agg_pack.c): the inputs of a group, or a level's
 *	  answers, into as few requests as the model's context window allows.
 *	  The rule is stated once, at the top of agg.c.
 */
#ifndef AIGW_AGG_H
#define AIGW_AGG_H

#include "postgres.h"

#include "utils/jsonb.h"

/* The window assumed when no candidate's context window is known (tokens). */
#define AGG_DEFAULT_WINDOW		8192
/* The answer room, when options.max_tokens does not say (tokens; at most window / 8). */
#define AGG_DEFAULT_ANSWER		1024
/* Bytes of a request besides its texts and options: the JSON around them, max_tokens. */
#define AGG_REQUEST_OVERHEAD	256
/* Below this room for items, the prompt leaves too little of the window (bytes). */
#define AGG_MIN_ITEM_BYTES		256

typedef struct AggPacking
{
	int			window;			/* tokens */
	int			answer;			/* tokens: every call's max_tokens */
	int			options_bytes;	/* of the per-call options */
	const char *prompt;			/* not NUL-terminated */
	int			prompt_len;
	int			map_bytes;		/* aigw_agg_budget: a request's room for its framed items */
	int			reduce_bytes;	/* the same for a request that combines answers */
} AggPacking;

/* Texts back to back: item i is data[ends[i - 1] .. ends[i]) (from 0 for the first). */
typedef struct AggItems
{
	const char *data;
	const int  *ends;
	int			n;
} AggItems;

typedef struct AggRequests
{
	Jsonb	  **payloads;		/* each request's messages */
	int			n;
	int			cut;			/* items cut to fit */
} AggRequests;

/* Set pk->map_bytes and reduce_bytes, or raise when the prompt leaves too little room. */
extern void aigw_agg_budget(AggPacking *pk, const char *model);

/* Pack items (a level's answers when reduce) into requests, in order. */
extern void aigw_agg_pack(const AggPacking *pk, const AggItems *items, bool reduce, AggRequests *out);

#endif							/* AIGW_AGG_H */
