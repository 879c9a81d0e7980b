/*
 * embed_request.h
 *	  Validation of what a caller passes to aigw.embed / embed_many: the
 *	  texts of one upstream request and the options.
 */
#ifndef AIGW_EMBED_REQUEST_H
#define AIGW_EMBED_REQUEST_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "catalog/chat_request.h"

/*
 * texts: a JSON array of strings (one upstream request's inputs).  Raises
 * a clear error for an unknown or ill-typed option.
 */
extern void aigw_embed_input_parse(Jsonb *texts, Jsonb *options, AigwChatInput *out);

/* Refuse a meta-model or a route: embeddings are never routed. */
extern void aigw_embed_check_model(const char *model);

/* Tokens an input may hold at most, from its bytes (no tokenizer here). */
extern int64 aigw_embed_token_estimate(int64 bytes);

#endif							/* AIGW_EMBED_REQUEST_H */
