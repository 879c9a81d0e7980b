/*
 * cache.h
 *	  The response cache from the caller's side: whether a call may be
 *	  answered from aigw.response_cache, under which key, and the lookup.
 *	  The worker pool writes the answers (settle.c), with the call's log row.
 */
#ifndef AIGW_CACHE_H
#define AIGW_CACHE_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "catalog/chat_request.h"

#define AIGW_CACHE_KEY_LEN 32	/* SHA-256 */

/* GUCs (registered by init/init.c) */
extern bool aigw_cache_enabled;
extern int	aigw_cache_ttl_s;

/*
 * Whether this call is cached: option "cache" when given, else aigw.cache
 * for a request with temperature 0 (an answer sampled at a higher
 * temperature is one of many, so it is cached only when asked for).
 * Fills the key (hex, NUL-terminated) when it is.
 */
extern bool aigw_cache_key(const char *model, const AigwChatInput *input,
						   char hex[AIGW_CACHE_KEY_LEN * 2 + 1]);

typedef struct AigwCacheEntry
{
	char	   *model;
	char	   *provider;
	Jsonb	   *response;
} AigwCacheEntry;

/* The live entry under a key, or false. */
extern bool aigw_cache_lookup(const char *hex, AigwCacheEntry *entry);

/*
 * Embeddings are cached an input at a time (so re-embedding a text costs
 * nothing whichever request carried it): the key of each of the request's
 * texts, as if it were sent alone, joined by commas; NULL when the request
 * is not cached.  The worker stores each input's vector under its key.
 */
extern char *aigw_cache_embedding_keys(const char *model, const AigwChatInput *input);

/* Many keys at once: responses[i] is the live answer under hex[i], or NULL; returns the hits. */
extern int	aigw_cache_lookup_many(char *const *hex, int n, Jsonb **responses);

#endif							/* AIGW_CACHE_H */
