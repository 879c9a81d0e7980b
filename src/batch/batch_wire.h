/*
 * batch_wire.h
 *	  The providers' batch APIs on the wire: OpenAI's Files and Batches,
 *	  Anthropic's Message Batches.  Building a batch's input, handing it
 *	  over, asking how it is doing, cancelling it, downloading its results
 *	  and reading one result line.  Every HTTP request goes through the
 *	  pool (RQ_KIND_HTTP) with the provider's credential, like a call.
 */
#ifndef AIGW_BATCH_WIRE_H
#define AIGW_BATCH_WIRE_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "catalog/catalog.h"
#include "common/attempt.h"

typedef enum AigwBatchWire
{
	BATCH_WIRE_OPENAI,
	BATCH_WIRE_ANTHROPIC,
	BATCH_WIRE_GEMINI
} AigwBatchWire;

/* The most lines and bytes one batch may hold, as the providers document. */
#define BATCH_OPENAI_MAX_LINES 50000
#define BATCH_OPENAI_MAX_BYTES (200 * 1024 * 1024)
#define BATCH_ANTHROPIC_MAX_LINES 100000
#define BATCH_ANTHROPIC_MAX_BYTES (256 * 1024 * 1024)
/* Gemini's batch mode takes inline requests up to 20 MB (more needs its Files API) */
#define BATCH_GEMINI_MAX_LINES 100000
#define BATCH_GEMINI_MAX_BYTES (20 * 1024 * 1024)

/* Whether the target's protocol has a batch API aigw speaks (why not, if not). */
extern bool aigw_batch_wire_for(const AigwTarget *target, bool embedding, AigwBatchWire *wire,
								const char **why);
extern int	aigw_batch_wire_max_lines(AigwBatchWire wire);
extern int64 aigw_batch_wire_max_bytes(AigwBatchWire wire);

/*
 * The batch's input, a line at a time: OpenAI's JSONL file, Anthropic's
 * {"requests": [...]}, Gemini's {"batch": {..., "input_config": {"requests":
 * {"requests": [...]}}}}.  body is the request body a direct call would send.
 */
extern void aigw_batch_input_begin(AigwBatchWire wire, StringInfo buf);
extern void aigw_batch_input_add(AigwBatchWire wire, StringInfo buf, bool first, const char *custom_id,
								 bool embedding, const char *body, int body_len);
extern void aigw_batch_input_end(AigwBatchWire wire, StringInfo buf);

/* How a batch is doing, as its provider says. */
typedef struct AigwBatchStatus
{
	char	   *status;			/* the provider's own word */
	bool		ended;			/* its results (if any) are final */
	char	   *results[2];		/* OpenAI: output and error file ids; Anthropic:
								 * results_url; Gemini: the batch's name (its
								 * results are in the batch itself) */
	int			nresults;
	char	   *error;			/* why it failed, or NULL */
	int64		total;
	int64		done;
	int64		failed;
} AigwBatchStatus;

/*
 * Hand the input over: returns the provider's batch id, *file_id the
 * uploaded input file (OpenAI; NULL otherwise) and *status.  Raises the
 * provider's error.
 */
extern char *aigw_batch_create(const AigwTarget *target, AigwBatchWire wire, bool embedding,
							   StringInfo input, char **file_id, char **status);

/* Ask the provider; false (and *error) when it could not be asked. */
extern bool aigw_batch_poll_status(const AigwTarget *target, AigwBatchWire wire, const char *batch_id,
								   AigwBatchStatus *st, char **error);
extern bool aigw_batch_cancel_upstream(const AigwTarget *target, AigwBatchWire wire,
									   const char *batch_id, char **error);

/*
 * A results file, whole (a batch is bounded by aigw's batch_size): NULL
 * and *error when it could not be read, *never when it never will be (an
 * Anthropic results_url must be on the provider's own origin: the
 * credential goes nowhere else; a name aigw does not put in a URL).
 */
extern char *aigw_batch_download(const AigwTarget *target, AigwBatchWire wire, const char *where,
								 size_t *len, char **error, bool *never);

/*
 * The results as JSONL, one result per line: OpenAI's and Anthropic's as
 * they are; Gemini's inline responses, taken out of the batch, one a line.
 * NULL and *error when they are not what the wire says.
 */
extern char *aigw_batch_results_jsonl(AigwBatchWire wire, char *body, size_t *len, char **error);

/*
 * One result line: its custom_id, and the attempt as a direct call would
 * have it (status, HTTP status, tokens, the OpenAI-shaped result or the
 * error), parsed by the provider's own answer parser.  False when the line
 * is not a result line at all (then a->error says why).
 */
extern bool aigw_batch_line_parse(AigwBatchWire wire, bool embedding, const char *api_style,
								  const char *line, size_t len, char **custom_id, AigwAttempt *a);

#endif							/* AIGW_BATCH_WIRE_H */
