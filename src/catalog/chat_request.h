/*
 * chat_request.h
 *	  Validation of what a caller passes to aigw.chat: the messages and the
 *	  options, split into aigw's own settings and the fields sent upstream.
 */
#ifndef AIGW_CHAT_REQUEST_H
#define AIGW_CHAT_REQUEST_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef struct AigwChatInput
{
	Jsonb	   *messages;		/* validated OpenAI-shaped messages */
	Jsonb	   *options;		/* as given; see aigw_option_is_upstream */
	int			timeout_ms;		/* 0: provider or GUC default */
	char	   *tags;			/* jsonb object as text, "{}" by default */
	char	   *wallet;			/* option "wallet", or NULL */
	int64		max_output_tokens;	/* max_tokens / max_completion_tokens; -1: none */
	int			choices;		/* n */
	int			images;			/* image parts, which cost tokens their bytes don't show */
	int			cache;			/* option "cache": 1 true, 0 false, -1 absent */
	int			cache_ttl_s;	/* option "cache_ttl" (seconds); 0: aigw.cache_ttl */
	/* an embeddings request (embed_request.c): messages is then a JSON array of texts */
	bool		embedding;
	int			ntexts;
	int			dimensions;		/* option "dimensions"; 0: the model's */
	const char *input_type;		/* option "input_type": "document", "query"; NULL */
	bool		normalize;		/* option "normalize": unit-length vectors */
} AigwChatInput;

/* Raises a clear error for anything a provider would reject or we can't send. */
extern void aigw_chat_input_parse(Jsonb *messages, Jsonb *options, AigwChatInput *out);

/* Whether an options key is an upstream field (as opposed to aigw's own). */
extern bool aigw_option_is_upstream(const char *key, int keylen);

#endif							/* AIGW_CHAT_REQUEST_H */
