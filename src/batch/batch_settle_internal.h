/*
 * batch_settle_internal.h
 *	  What the two halves of the dispatcher's batch work share: the batch
 *	  being seen to and its transactions (batch_settle.c), and a chunk of its
 *	  result lines taken, written back, logged and charged (batch_lines.c).
 */
#ifndef AIGW_BATCH_SETTLE_INTERNAL_H
#define AIGW_BATCH_SETTLE_INTERNAL_H

#include "postgres.h"

#include "storage/itemptr.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"

#include "batch/batch_wire.h"
#include "common/attempt.h"

#define SETTLE_CHUNK 1000

/* One open batch, as its row says. */
typedef struct Batch
{
	int64		job;
	int			seq;
	char	   *state;
	Oid			role;
	char	   *role_name;
	char	   *provider;
	char	   *model;
	char	   *requested_model;
	bool		embedding;
	char	   *batch_id;
	char	   *status;
	ArrayType  *results;
	int			lines;
	int			lines_settled;	/* result lines read so far, kept or not */
	int			lines_logged;	/* of them, logged: at most lines */
	int64		results_age_ms; /* since aigw found it ended at the provider */
	int			submitter_pid;
	int64		age_ms;
	Jsonb	   *write_back;
} Batch;

typedef struct Chunk
{
	int			n;				/* lines kept */
	int			consumed;		/* result lines read, kept or not */
	ItemPointerData tids[SETTLE_CHUNK];
	bool		has_tid[SETTLE_CHUNK];
	char	   *hashes[SETTLE_CHUNK];
	char	   *answers[SETTLE_CHUNK];	/* what goes into the row, or NULL */
	char	   *row_errors[SETTLE_CHUNK];	/* why the row stays NULL, or NULL */
	bool		written[SETTLE_CHUNK];
	AigwAttempt attempts[SETTLE_CHUNK];
} Chunk;

/*
 * What is done with a result line.  A provider that sends a line twice, a
 * line that names no row aigw sent, or more lines than the batch had, is
 * not believed: such lines are counted and dropped, never logged or
 * charged (a batch's charges are also capped by its hold).
 */
typedef enum LineFate
{
	LINE_KEPT,
	LINE_DUPLICATE,
	LINE_FOREIGN,
	LINE_EXTRA
} LineFate;

typedef struct SeenIds
{
	HTAB	   *ids;			/* custom_ids of this batch's lines read so far */
	int			dropped[4];		/* by LineFate */
} SeenIds;

/* batch_settle.c: a transaction with SPI connected, and its statements */
extern void aigw_batch_xact_begin(void);
extern void aigw_batch_xact_end(void);
extern void aigw_batch_run_sql(const char *sql, int nargs, Oid *types, Datum *values,
							   const char *nulls, int expect);

/* batch_lines.c */
extern LineFate aigw_batch_take_line(Batch *b, AigwBatchWire wire, const char *api_style, const char *line,
									 size_t len, int64 input_bound, int64 output_bound, Chunk *c, SeenIds *seen);
extern void aigw_batch_note_settled_line(Batch *b, AigwBatchWire wire, const char *api_style,
										 const char *line, size_t len, SeenIds *seen);
extern void aigw_batch_settle_chunk(Batch *b, Chunk *c);

/*
 * The batch's lines not logged yet, logged unknown with why and charged
 * their reservation (within what the batch holds): its results cannot be
 * read.  In the caller's transaction.
 */
extern void aigw_batch_give_up(Batch *b, const char *why);

#endif							/* AIGW_BATCH_SETTLE_INTERNAL_H */
