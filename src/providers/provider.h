/*
 * provider.h
 *	  The wire protocol of one API style: how a request is written and how
 *	  an answer or an error is read.  build runs in the calling backend;
 *	  parse_answer and parse_error run in a pool worker.
 */
#ifndef AIGW_PROVIDER_H
#define AIGW_PROVIDER_H

#include "postgres.h"

#include "common/attempt.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "lib/stringinfo.h"

typedef struct AigwProvider
{
	const char *api_style;

	/* Append the URL path after base_url and the JSON body. */
	void		(*build) (const AigwTarget *target, const AigwChatInput *input,
						  StringInfo url, StringInfo body);

	/* Optional: protocol headers ("Name: value\n" lines), never the key. */
	void		(*add_headers) (const AigwTarget *target, StringInfo headers);

	/* A 2xx body: set a->result and the token counts, or fail as malformed. */
	void		(*parse_answer) (const char *body, size_t len, AigwAttempt *a);

	/* A non-2xx body: set a->error (and a->error_type) from it. */
	void		(*parse_error) (const char *body, size_t len, AigwAttempt *a);
} AigwProvider;

/*
 * Error bodies of the OpenAI ({"error": {"message", "type", "code"}}),
 * Anthropic ({"type": "error", "error": {"type", "message"}}) and Gemini
 * ({"error": {"code": 429, "message", "status"}}) kinds, and a bare
 * {"message"} (Bedrock).
 */
extern void aigw_parse_error_body(const char *body, size_t len, AigwAttempt *a);

/*
 * Close a request object: options.extra_body's members go in last, so
 * that where one repeats a key it wins; then write the JSON into body.
 */
extern void aigw_end_body(JsonbParseState **ps, JsonbContainer *options, StringInfo body);

/*
 * A 2xx body as a JSON object, or NULL after failing the attempt as
 * malformed (not JSON, or not an object).
 */
extern Jsonb *aigw_parse_answer_object(const char *body, AigwAttempt *a);

/* NULL when no protocol of that name is built in. */
extern const AigwProvider *aigw_provider_for_style(const char *api_style);

extern const AigwProvider aigw_provider_openai;
extern const AigwProvider aigw_provider_anthropic;
extern const AigwProvider aigw_provider_gemini;
extern const AigwProvider aigw_provider_azure;

/* Embedding endpoints (embeddings.c), by the api_style of the chat protocol; NULL: none. */
extern const AigwProvider aigw_provider_openai_embeddings;
extern const AigwProvider aigw_provider_gemini_embeddings;
extern const AigwProvider aigw_provider_bedrock_embeddings;
extern const AigwProvider *aigw_embedding_provider_for(const char *api_style);
extern const AigwProvider aigw_provider_bedrock;

#endif							/* AIGW_PROVIDER_H */
