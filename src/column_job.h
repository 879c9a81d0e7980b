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
	int			chunk_size;
	int			concurrency;
	Numeric		budget;			/* NULL: none */
	int			inflight;		/* as the batch engine last said */
	bool		stop;			/* the budget is reached: start no more */
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
	/* where the rows are read next (aigw_column_job_window) */
	Oid			relid;
	BlockNumber next_block;
	BlockNumber nblocks;
} AigwColumnJob;

/*
 * Set up from the job procedures' common arguments, in a new memory context
 * under TopMemoryContext, left current (aigw_column_job_end deletes it; on
 * an error the caller does), and connect SPI non-atomically.
 */
extern void aigw_column_job_begin(AigwColumnJob *j, const char *what, const char *filled_verb,
								  int64 job, Oid relid, int chunk_size, int concurrency,
								  Numeric budget);

/*
 * The next window of the table to read, as a TID range [lo, hi) of
 * AIGW_WINDOW_BLOCKS blocks; false once past the end of the table.  Rows
 * are read by physical position, a window at a time, with no ORDER BY or
 * LIMIT: each block is scanned once over the whole job, where a keyset
 * ORDER BY ctid LIMIT n would sort the rest of the table at every read.
 */
#define AIGW_WINDOW_BLOCKS 64
extern bool aigw_column_job_window(AigwColumnJob *j, ItemPointer lo, ItemPointer hi);

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

/* Report the last rows and the final state, commit, and free the job. */
extern void aigw_column_job_end(AigwColumnJob *j);

#endif							/* AIGW_COLUMN_JOB_H */
