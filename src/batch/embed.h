/*
 * embed.h
 *	  What aigw.embed / embed_many (embed.c) share with the column job
 *	  (embed_column.c).
 */
#ifndef AIGW_EMBED_H
#define AIGW_EMBED_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/jsonb.h"

#include "catalog/catalog.h"
#include "catalog/chat_request.h"

/* The model, checked to be a plain embedding model; its key wiped. */
extern void aigw_embed_target(const char *model, AigwTarget *target);

/* Inputs one request may carry (aigw.models.max_inputs_per_request; unknown: 1). */
extern int	aigw_embed_max_inputs(const AigwTarget *target);

/* Whether an input of `need` tokens joins a request that holds `inputs` of `tokens`. */
extern bool aigw_embed_fits(const AigwTarget *target, int inputs, int64 tokens, int64 need);

/* Why an input is not sent (empty, over the model's limit of one input), or NULL; *sqlstate (if not NULL) the error code it would be raised with. */
extern char *aigw_embed_refusal(const char *model, const AigwTarget *target, text *input,
								int *sqlstate);

/* The options as one request sees them (embed_many's own left out), validated. */
extern AigwChatInput aigw_embed_options(Jsonb *options);

/* A JSON array of texts[which[0..n-1]] (which NULL: texts[0..n-1]), one request's inputs. */
extern Jsonb *aigw_embed_texts_json(text **texts, const int *which, int n);

/* The answer's vectors when there is one per input, else NULL and *why. */
extern JsonbValue *aigw_embed_answer_vectors(Jsonb *answer, int inputs, char **why);

/* The k-th vector as real[], of unit length if asked. */
extern ArrayType *aigw_embed_vector(JsonbValue *data, int k, bool normalize);

#endif							/* AIGW_EMBED_H */
