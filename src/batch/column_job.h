/*
 * column_job.h
 *	  The bookkeeping of a job that fills a column as a stream of calls
 *	  (aigw.enrich, aigw.embed_column): rows filled and failed, money spent,
 *	  the budget, progress reported to aigw.jobs and committed every
 *	  chunk_size rows while the calls in flight go on.
 */
#ifndef AIGW_COLUMN_JOB_H
#define AIGW_COLUMN_JOB_H

#include "postgres.h"

#include "storage/block.h"
#include "storage/itemptr.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

typedef struct AigwColumnJob
{
	MemoryContext cxt;			/* outlives the commits */
	MemoryContext scratch;		/* one write's, reset after it */
	const char *what;			/* "enrich" or "embed", for the NOTICEs */
	const char *filled_verb;	/* "filled", "embedded" */
	int64		job;
	const char *source;			/* the table, quoted and qualified */
	int			chunk_size;
	int			concurrency;
	Numeric		budget;			/* NULL: none */
	int			inflight;		/* as the batch engine last said */
	bool		stop;			/* the budget is reached: start no more */
	const char *final_state;	/* the job's state at the end; NULL: done or budget_reached */
	/* since the last report */
	int64		filled;
	int64		failed;
	Numeric		cost;			/* money is numeric here as in the ledger */
	char	   *currency;
	/* the whole run */
	int64		done;
	int64		failed_total;
	Numeric		spent;
	Numeric		max_call_cost;
	int64		calls_done;
	int64		since_commit;
	TimestampTz started;
	/* the rows read and not yet taken (aigw_column_job_next_row) */
	Oid			relid;
	SPIPlanPtr	read_plan;		/* kept across the commits */
	SPIPlanPtr	write_plan;		/* the caller's; freed with the job */
	BlockNumber next_block;		/* where the next window starts */
	BlockNumber nblocks;
	ItemPointerData *qtids;
	Datum	   *qvalues;		/* copies in cxt; NULL for a NULL */
	int			qhead;
	int			qlen;
	bool		exhausted;
} AigwColumnJob;

/*
 * Set up from the arguments the job procedures share (aigw.enrich_run,
 * aigw.embed_column_run): 0 job, 1 source, 7 chunk_size, 8 concurrency,
 * 9 max_cost.  Refuses a call in a transaction block (the job commits as
 * it goes).  Everything lives in a new memory context under
 * TopMemoryContext, left current (aigw_column_job_run deletes it, however
 * the job ends), and SPI is connected non-atomically.
 */
extern void aigw_column_job_begin(AigwColumnJob *j, FunctionCallInfo fcinfo, const char *what,
								  const char *filled_verb);

/*
 * The next row whose target is NULL: its ctid and the value of expr (an SQL
 * expression over alias t) for it, which the caller owns (pfree it when
 * done; NULL for an SQL NULL).  False when the table has no more.
 *
 * Rows are read by physical position, a window of AIGW_WINDOW_BLOCKS
 * blocks at a time (a TID range, no ORDER BY or LIMIT): each block is
 * scanned once over the whole job, where a keyset ORDER BY ctid LIMIT n
 * would sort the rest of the table at every read.  Rows added behind the
 * read position are read when it gets there; it goes as far as the table
 * has grown.
 */
#define AIGW_WINDOW_BLOCKS 64
extern bool aigw_column_job_next_row(AigwColumnJob *j, const char *expr, const char *target_column,
									 ItemPointer tid, Datum *value);

/* Whether rows are left to take (read or not). */
extern bool aigw_column_job_rows_left(AigwColumnJob *j);

/* A row that could not be filled: into aigw.job_errors. */
extern void aigw_column_job_row_error(AigwColumnJob *j, ItemPointer tid, const char *error);

/* A call was answered: count what it cost (its answer's aigw.cost). */
extern void aigw_column_job_paid(AigwColumnJob *j, Jsonb *answer);

/* Answers were written to rows: count them toward the next commit. */
extern void aigw_column_job_filled(AigwColumnJob *j, int64 rows);

/*
 * Whether the budget leaves room for one more call in flight: the dearest
 * call so far times the calls in flight plus one must fit in what is left.
 * The first call goes alone, to learn what one costs.  more_left says
 * whether rows are left to send; with none in flight and no room, the job
 * stops (budget_reached).
 */
extern bool aigw_column_job_may_start(AigwColumnJob *j, int inflight, bool more_left);

/* After a wake-up of the batch engine: report and commit every chunk_size rows. */
extern void aigw_column_job_after(AigwColumnJob *j, int inflight);

/*
 * Run the job's loop, body(arg), then report the last rows and the final
 * state, commit and free the job; after an error in body, free what the job
 * holds and let the error go on.
 */
extern void aigw_column_job_run(AigwColumnJob *j, void (*body) (void *arg), void *arg);

/*
 * The value a chat answer writes into its row (text, or for a jsonb target
 * the parsed JSON), or 0 and why there is none (in the current context):
 * aigw.enrich's, direct (enrich.c) or through a provider batch.
 */
extern Datum aigw_enrich_answer_value(Jsonb *answer, bool json_target, char **why);

#endif							/* AIGW_COLUMN_JOB_H */
