/*
 * read_ahead_exec.c
 *	  The read-ahead node at run time (read_ahead.h).
 *
 * Rows are pulled from the input while the pool has room, fewer than
 * twice aigw.query_concurrency rows wait to be returned, and (under a
 * Limit) fewer than the rows still needed are taken.  Each row keeps a
 * copy of its input tuple and its answers in its own memory context; it
 * is returned, in input order, when its last stage is over, and freed at
 * the next call.  A call that fails fails the statement (its calls in
 * flight are abandoned first), unless aigw.on_call_error is null.
 *
 * What the node has in flight when the statement ends early (an error
 * elsewhere in the plan, a cancel) is given back by the transaction
 * callbacks below: at the end of the top transaction, or of the
 * subtransaction that started the node.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/ruleutils.h"

#include "batch/call_queue.h"
#include "common/pg_compat.h"
#include AIGW_EXPLAIN_FORMAT_H
#include "batch/read_ahead.h"
#include "batch/sql_call.h"
#include "common/json_util.h"
#include "common/settings.h"
#include "pool/pool.h"

typedef struct RaRow
{
	MemoryContext cxt;
	HeapTuple	tuple;			/* the input's row */
	Datum	   *answers;
	bool	   *nulls;
	int64		seq;			/* its position in the input, from 1 */
	int			stage;
	int			outstanding;	/* calls of the stage not over yet */
	bool		ready;			/* every stage passed */
	bool		dropped;		/* a stage's qual rejected it */
} RaRow;

typedef struct RaCall
{
	RaRow	   *row;
	int			call;
	AigwSqlCall sc;
} RaCall;

typedef struct RaState
{
	CustomScanState css;
	/* the plan */
	int			nchild;
	int			ncalls;
	int			nstages;
	int			bound;			/* of this run; -1 none */
	int			plan_bound;
	ExprState  *bound_count;	/* the Limit's count, when known only at run time */
	ExprState  *bound_offset;
	bool		bound_set;		/* this run's bound is worked out */
	AigwSqlCallKind *kinds;
	int		   *stages;
	int		   *nargs;
	AttrNumber **args;
	char	  **names;
	int16	   *typlen;
	bool	   *typbyval;
	ExprState **stage_qual;
	List	   *row_by_row;
	/* the run */
	TupleDesc	child_desc;
	AigwCallQueue *q;
	int			max_rows;
	List	   *rows;			/* RaRow, in input order */
	List	   *to_start;		/* RaCall waiting for room in the pool */
	List	   *spare_cxts;		/* row contexts to use again */
	RaRow	   *returned;		/* freed at the next call */
	int64		nread;
	int64		nreturned;
	int64		nfiltered;
	bool		input_done;
	SubTransactionId subid;
	/* what the calls cost, for EXPLAIN ANALYZE */
	Numeric		cost;
	char	   *currency;		/* NULL: none yet; "" several */
} RaState;

static List *active_states = NIL;	/* in TopMemoryContext */

static const CustomExecMethods exec_methods;

Node *
aigw_read_ahead_create_state(CustomScan *cscan)
{
	RaState    *st = (RaState *) newNode(sizeof(RaState), T_CustomScanState);

	st->css.methods = &exec_methods;
	return (Node *) st;
}

static void
ra_begin(CustomScanState *node, EState *estate, int eflags)
{
	RaState    *st = (RaState *) node;
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	List	   *priv = cs->custom_private;
	ListCell   *lc;
	int			i;

	st->nchild = intVal(list_nth(priv, RA_NCHILD));
	st->plan_bound = st->bound = intVal(list_nth(priv, RA_BOUND));
	st->nstages = intVal(list_nth(priv, RA_NSTAGES));
	st->row_by_row = list_nth(priv, RA_ROW_BY_ROW);
	st->ncalls = list_length(list_nth(priv, RA_KINDS));
	st->kinds = palloc0(sizeof(AigwSqlCallKind) * Max(st->ncalls, 1));
	st->stages = palloc0(sizeof(int) * Max(st->ncalls, 1));
	st->nargs = palloc0(sizeof(int) * Max(st->ncalls, 1));
	st->args = palloc0(sizeof(AttrNumber *) * Max(st->ncalls, 1));
	st->names = palloc0(sizeof(char *) * Max(st->ncalls, 1));
	st->typlen = palloc0(sizeof(int16) * Max(st->ncalls, 1));
	st->typbyval = palloc0(sizeof(bool) * Max(st->ncalls, 1));
	for (i = 0; i < st->ncalls; i++)
	{
		List	   *cols = list_nth(list_nth(priv, RA_ARGS), i);
		TargetEntry *tle = list_nth(cs->custom_scan_tlist, st->nchild + i);
		int			j = 0;

		st->kinds[i] = list_nth_int(list_nth(priv, RA_KINDS), i);
		st->stages[i] = list_nth_int(list_nth(priv, RA_STAGES), i);
		st->names[i] = strVal(list_nth(list_nth(priv, RA_NAMES), i));
		st->nargs[i] = list_length(cols);
		st->args[i] = palloc(sizeof(AttrNumber) * Max(st->nargs[i], 1));
		foreach(lc, cols)
			st->args[i][j++] = lfirst_int(lc);
		get_typlenbyval(exprType((Node *) tle->expr), &st->typlen[i], &st->typbyval[i]);
	}
	st->stage_qual = palloc0(sizeof(ExprState *) * Max(st->nstages, 1));
	i = 0;
	foreach(lc, cs->custom_exprs)
		st->stage_qual[i++] = ExecInitQual(lfirst(lc), &node->ss.ps);
	if (list_nth(priv, RA_BOUND_EXPRS) != NIL)
	{
		List	   *bx = list_nth(priv, RA_BOUND_EXPRS);

		st->bound_count = ExecInitExpr(linitial(bx), &node->ss.ps);
		st->bound_offset = ExecInitExpr(lsecond(bx), &node->ss.ps);
	}

	outerPlanState(node) = ExecInitNode(outerPlan(cs), estate, eflags);
	st->child_desc = ExecGetResultType(outerPlanState(node));
	st->subid = GetCurrentSubTransactionId();
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && st->ncalls > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		active_states = lappend(active_states, st);
		MemoryContextSwitchTo(old);
	}
}

/* ---------------------------------------------------------------------
 * Rows
 * ---------------------------------------------------------------------
 */

/* A row's context is kept for the next row (one per row in the window, not one per row read). */
static void
free_row(RaState *st, RaRow *row)
{
	MemoryContext cxt = row->cxt;
	MemoryContext old = MemoryContextSwitchTo(st->q->cxt);

	MemoryContextReset(cxt);
	st->spare_cxts = lappend(st->spare_cxts, cxt);
	MemoryContextSwitchTo(old);
}

static MemoryContext
row_context(RaState *st)
{
	MemoryContext cxt;

	if (st->spare_cxts == NIL)
		return AllocSetContextCreate(st->q->cxt, "aigw read-ahead row", ALLOCSET_SMALL_SIZES);
	cxt = llast(st->spare_cxts);
	st->spare_cxts = list_delete_last(st->spare_cxts);
	return cxt;
}

/* The row as the node's scan tuple: the input's columns, then the answers. */
static TupleTableSlot *
scan_tuple(RaState *st, RaRow *row)
{
	TupleTableSlot *slot = st->css.ss.ss_ScanTupleSlot;

	ExecClearTuple(slot);
	heap_deform_tuple(row->tuple, st->child_desc, slot->tts_values, slot->tts_isnull);
	memcpy(slot->tts_values + st->nchild, row->answers, sizeof(Datum) * st->ncalls);
	memcpy(slot->tts_isnull + st->nchild, row->nulls, sizeof(bool) * st->ncalls);
	return ExecStoreVirtualTuple(slot);
}

static bool
stage_passes(RaState *st, RaRow *row)
{
	ExprContext *econtext = st->css.ss.ps.ps_ExprContext;
	ExprState  *qual = st->stage_qual[row->stage];
	bool		pass;

	if (qual == NULL)
		return true;
	ResetExprContext(econtext);
	econtext->ecxt_scantuple = scan_tuple(st, row);
	pass = ExecQual(qual, econtext);
	if (!pass)
		st->nfiltered++;
	return pass;
}

/*
 * The row's calls of its stage wait for room; a stage without a call to
 * send (all its inputs NULL) is decided at once.
 */
static void
begin_stage(RaState *st, RaRow *row)
{
	while (row->stage < st->nstages)
	{
		int			started = 0;

		for (int i = 0; i < st->ncalls; i++)
		{
			MemoryContext old;
			RaCall	   *c;
			Datum		args[SQL_CALL_MAX_ARGS];
			bool		nulls[SQL_CALL_MAX_ARGS];

			if (st->stages[i] != row->stage)
				continue;
			old = MemoryContextSwitchTo(row->cxt);
			c = palloc0(sizeof(RaCall));
			c->row = row;
			c->call = i;
			for (int j = 0; j < st->nargs[i]; j++)
				args[j] = heap_getattr(row->tuple, st->args[i][j], st->child_desc, &nulls[j]);
			if (aigw_sql_call_prepare(st->kinds[i], st->nargs[i], args, nulls, &c->sc))
			{
				st->to_start = lappend(st->to_start, c);
				started++;
			}
			else
				row->nulls[i] = true;
			MemoryContextSwitchTo(old);
		}
		row->outstanding = started;
		if (started > 0)
			return;
		if (!stage_passes(st, row))
		{
			row->dropped = true;
			return;
		}
		row->stage++;
	}
	row->ready = true;
}

/* Calls waiting for room go out while there is some. */
static void
pump(RaState *st)
{
	while (st->to_start != NIL && aigw_queue_has_room(st->q))
	{
		RaCall	   *c = linitial(st->to_start);
		AigwQueueEntry *e = aigw_queue_entry(st->q);

		st->to_start = list_delete_first(st->to_start);
		/* over the statement's budget: nothing more is sent (the abort gives back the rest) */
		aigw_statement_check_budget();
		e->data = c;
		aigw_queue_start(st->q, e, c->sc.model, c->sc.payload, c->sc.options, c->sc.embed);
	}
}

static bool
may_read(RaState *st)
{
	int			waiting = list_length(st->rows);

	return !st->input_done && st->to_start == NIL && aigw_queue_has_room(st->q) &&
		waiting < st->max_rows && (st->bound < 0 || st->nreturned + waiting < st->bound);
}

static void
fill(RaState *st)
{
	PlanState  *child = outerPlanState(&st->css);

	aigw_pool_defer_wakeups();
	pump(st);
	while (may_read(st))
	{
		TupleTableSlot *slot = ExecProcNode(child);
		MemoryContext cxt;
		MemoryContext old;
		RaRow	   *row;

		if (TupIsNull(slot))
		{
			st->input_done = true;
			break;
		}
		cxt = row_context(st);
		old = MemoryContextSwitchTo(cxt);
		row = palloc0(sizeof(RaRow));
		row->cxt = cxt;
		row->tuple = ExecCopySlotHeapTuple(slot);
		row->answers = palloc0(sizeof(Datum) * st->ncalls);
		row->nulls = palloc0(sizeof(bool) * st->ncalls);
		MemoryContextSwitchTo(old);
		row->seq = ++st->nread;
		st->rows = lappend(st->rows, row);
		begin_stage(st, row);
		pump(st);
	}
	aigw_pool_flush_wakeups();
}

/* ---------------------------------------------------------------------
 * Answers
 * ---------------------------------------------------------------------
 */

/* What the calls cost, for EXPLAIN ANALYZE only: nothing is summed without it. */
static void
count_cost(RaState *st, Jsonb *answer)
{
	MemoryContext old;
	Numeric		cost;
	Numeric		sum;
	char	   *currency = NULL;

	if (st->css.ss.ps.instrument == NULL)
		return;
	old = MemoryContextSwitchTo(st->q->cxt);
	if ((cost = aigw_answer_cost(answer, &currency)) != NULL)
	{
		sum = st->cost ? numeric_add_opt_error(st->cost, cost, NULL)
			: DatumGetNumeric(datumCopy(NumericGetDatum(cost), false, -1));
		if (st->cost)
			pfree(st->cost);
		st->cost = sum;
	}
	if (currency != NULL && st->currency == NULL)
		st->currency = currency;
	else if (currency != NULL && strcmp(st->currency, currency) != 0)
		st->currency = "";
	MemoryContextSwitchTo(old);
}

/*
 * The error is copied out of the queue's memory, then only this node's
 * calls are given back: another node's (an open cursor's, a loop's
 * query's) go on when the error is caught by a subtransaction.
 */
static void
raise_for_row(RaState *st, RaCall *c, AigwCallError *error)
{
	char	   *where = psprintf("row %lld of the read-ahead of %s", (long long) c->row->seq, st->names[c->call]);
	AigwCallError copy;

	copy.sqlstate = error->sqlstate;
	copy.message = pstrdup(error->message);
	copy.detail = error->detail ? pstrdup(error->detail) : NULL;
	copy.hint = error->hint ? pstrdup(error->hint) : NULL;
	copy.context = error->context ? psprintf("%s\n%s", error->context, where) : where;
	aigw_queue_abandon(st->q);
	aigw_call_raise(&copy);
}

/* A call is over: its answer goes into its row, which may move on. */
static void
took(RaState *st, AigwQueueEntry *e)
{
	RaCall	   *c = e->data;
	RaRow	   *row = c->row;
	int			i = c->call;

	if (e->call.error != NULL)
	{
		if (aigw_on_call_error != AIGW_ON_CALL_ERROR_NULL)
			raise_for_row(st, c, e->call.error);
		row->nulls[i] = true;
	}
	else
	{
		MemoryContext old = MemoryContextSwitchTo(row->cxt);
		Datum		value;
		bool		isnull;
		char	   *why;

		count_cost(st, e->call.result);
		aigw_statement_spend(e->call.result);
		if (aigw_statement_max_cost > 0)
		{
			PG_TRY();
			{
				aigw_statement_check_budget();
			}
			PG_CATCH();
			{
				aigw_queue_abandon(st->q);
				PG_RE_THROW();
			}
			PG_END_TRY();
		}
		if (!aigw_sql_call_finish(&c->sc, e->call.result, &value, &isnull, &why))
		{
			MemoryContextSwitchTo(old);
			if (!c->sc.resent)
			{
				/* an answer that does not match the schema is asked once more */
				aigw_semantic_resend(&c->sc);
				aigw_queue_release(st->q, e);
				st->to_start = lappend(st->to_start, c);
				return;
			}
			if (aigw_on_call_error != AIGW_ON_CALL_ERROR_NULL)
			{
				/* c and why live in the row's memory, which this keeps */
				aigw_queue_abandon(st->q);
				aigw_sql_call_invalid(&c->sc, why);
			}
			value = (Datum) 0;
			isnull = true;
			old = MemoryContextSwitchTo(row->cxt);
		}
		row->answers[i] = isnull ? (Datum) 0 : datumCopy(value, st->typbyval[i], st->typlen[i]);
		row->nulls[i] = isnull;
		MemoryContextSwitchTo(old);
	}
	aigw_queue_release(st->q, e);
	if (--row->outstanding > 0)
		return;
	if (!stage_passes(st, row))
	{
		row->dropped = true;
		return;
	}
	row->stage++;
	begin_stage(st, row);
}

/* ---------------------------------------------------------------------
 * The node
 * ---------------------------------------------------------------------
 */

static TupleTableSlot *
project(RaState *st, TupleTableSlot *scan)
{
	ExprContext *econtext = st->css.ss.ps.ps_ExprContext;

	ResetExprContext(econtext);
	econtext->ecxt_scantuple = scan;
	if (st->css.ss.ps.ps_ProjInfo == NULL)
		return scan;
	return ExecProject(st->css.ss.ps.ps_ProjInfo);
}

/* A node with no call to read ahead only says, in EXPLAIN, which calls run row by row. */
static TupleTableSlot *
pass_through(RaState *st)
{
	TupleTableSlot *slot = ExecProcNode(outerPlanState(&st->css));

	if (TupIsNull(slot))
		return NULL;
	return project(st, ExecCopySlot(st->css.ss.ss_ScanTupleSlot, slot));
}

static void forget(RaState *st);

/*
 * The queue's memory goes without the node's End when its portal failed
 * (an error in a FETCH caught by a savepoint, the cursor then closed or
 * the transaction committed): its calls are given back then, and the
 * node is forgotten before the callbacks below could see freed memory.
 */
static void
run_memory_gone(void *arg)
{
	RaState    *st = arg;

	aigw_queue_give_back(st->q);
	forget(st);
}

static void
start_run(RaState *st)
{
	MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);
	MemoryContextCallback *cb;

	st->q = aigw_queue_create(Min(aigw_query_concurrency, aigw_max_inflight));
	st->max_rows = 2 * st->q->concurrency;
	cb = MemoryContextAlloc(st->q->cxt, sizeof(MemoryContextCallback));
	cb->func = run_memory_gone;
	cb->arg = st;
	MemoryContextRegisterResetCallback(st->q->cxt, cb);
	MemoryContextSwitchTo(old);
}

/*
 * This run's bound: the plan's, or the Limit's count and offset worked out
 * now (they hold only parameters), as the Limit itself does when it starts.
 */
static void
set_bound(RaState *st)
{
	ExprContext *econtext = st->css.ss.ps.ps_ExprContext;
	bool		isnull;
	Datum		count;
	int64		n;

	st->bound = st->plan_bound;
	st->bound_set = true;
	if (st->bound_count == NULL)
		return;
	ResetExprContext(econtext);
	count = ExecEvalExprSwitchContext(st->bound_count, econtext, &isnull);
	if (isnull || (n = DatumGetInt64(count)) < 0)
		return;
	if (st->bound_offset != NULL)
	{
		Datum		offset = ExecEvalExprSwitchContext(st->bound_offset, econtext, &isnull);

		if (!isnull)
		{
			if (DatumGetInt64(offset) < 0)
				return;
			n += DatumGetInt64(offset);
		}
	}
	if (n >= 0 && n <= PG_INT32_MAX)
		st->bound = (int) n;
}

static TupleTableSlot *
ra_exec(CustomScanState *node)
{
	RaState    *st = (RaState *) node;

	if (st->ncalls == 0)
		return pass_through(st);
	if (st->q == NULL)
	{
		aigw_require_preload();
		start_run(st);
	}
	if (!st->bound_set)
		set_bound(st);
	if (st->returned != NULL)
	{
		free_row(st, st->returned);
		st->returned = NULL;
	}
	for (;;)
	{
		AigwQueueEntry *e;
		RaRow	   *head = NULL;

		CHECK_FOR_INTERRUPTS();
		fill(st);
		while (st->rows != NIL && ((RaRow *) linitial(st->rows))->dropped)
		{
			free_row(st, linitial(st->rows));
			st->rows = list_delete_first(st->rows);
		}
		if (st->rows != NIL)
			head = linitial(st->rows);
		if (head != NULL && head->ready)
		{
			st->rows = list_delete_first(st->rows);
			st->returned = head;
			st->nreturned++;
			/* the answers' rows must be durable before anyone sees them */
			aigw_pool_make_durable();
			return project(st, scan_tuple(st, head));
		}
		if (head == NULL && st->input_done)
			return NULL;
		if ((e = aigw_queue_next_done(st->q, true)) == NULL)
		{
			if (st->to_start == NIL && !may_read(st))
				elog(ERROR, "read-ahead of %s has nothing in flight and no row ready", st->names[0]);
			continue;
		}
		took(st, e);
		while ((e = aigw_queue_next_done(st->q, false)) != NULL)
			took(st, e);
	}
}

static void
forget(RaState *st)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	active_states = list_delete_ptr(active_states, st);
	MemoryContextSwitchTo(old);
}

/* What is in flight goes back to the pool; the rows are dropped. */
static void
drop_run(RaState *st)
{
	ListCell   *lc;

	if (st->q == NULL)
		return;
	aigw_queue_abandon(st->q);
	foreach(lc, st->rows)
		free_row(st, lfirst(lc));
	if (st->returned != NULL)
		free_row(st, st->returned);
	st->rows = NIL;
	st->to_start = NIL;
	st->returned = NULL;
	st->input_done = false;
	st->nreturned = 0;
	st->bound_set = false;		/* the Limit's parameters may have changed */
}

static void
ra_rescan(CustomScanState *node)
{
	RaState    *st = (RaState *) node;
	PlanState  *child = outerPlanState(node);

	drop_run(st);
	if (child->chgParam == NULL)
		ExecReScan(child);
}

static void
ra_end(CustomScanState *node)
{
	RaState    *st = (RaState *) node;

	drop_run(st);
	forget(st);
	ExecEndNode(outerPlanState(node));
}

/* ---------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------
 */
static void
ra_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	RaState    *st = (RaState *) node;
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	StringInfoData calls;
	List	   *context;
	ListCell   *lc;

	initStringInfo(&calls);
	for (int i = 0; i < st->ncalls; i++)
		appendStringInfo(&calls, "%s%s%s", i ? ", " : "", st->names[i],
						 st->stage_qual[st->stages[i]] ? " (filter)" : "");
	if (st->ncalls > 0)
	{
		ExplainPropertyText("Calls", calls.data, es);
		ExplainPropertyInteger("Concurrency", NULL,
							   st->q ? st->q->concurrency : Min(aigw_query_concurrency, aigw_max_inflight), es);
		ExplainPropertyText("Order", "kept", es);
		if (st->bound >= 0 && (st->bound_count == NULL || st->bound_set))
			ExplainPropertyInteger("Bound", "rows", st->bound, es);
		else if (st->bound_count != NULL)
		{
			List	   *bx = list_nth(cs->custom_private, RA_BOUND_EXPRS);
			List	   *dcx = set_deparse_context_plan(es->deparse_cxt, &cs->scan.plan, ancestors);
			char	   *count = deparse_expression(linitial(bx), dcx, false, false);

			ExplainPropertyText("Bound", lsecond(bx) == NULL ? psprintf("%s rows", count)
								: psprintf("%s + %s rows", count, deparse_expression(lsecond(bx), dcx, false, false)),
								es);
		}
	}
	context = set_deparse_context_plan(es->deparse_cxt, &cs->scan.plan, ancestors);
	foreach(lc, cs->custom_exprs)
	{
		if (lfirst(lc) != NIL)
			ExplainPropertyText("Call Filter",
								deparse_expression((Node *) make_ands_explicit(lfirst(lc)), context,
												   es->verbose, false), es);
	}
	foreach(lc, st->row_by_row)
		ExplainPropertyText("Row by Row", strVal(lfirst(lc)), es);
	if (es->analyze && st->q != NULL)
	{
		ExplainPropertyInteger("Calls Sent", NULL, st->q->calls - st->q->cache_hits, es);
		ExplainPropertyInteger("Attempts", NULL, st->q->attempts, es);
		ExplainPropertyInteger("Cache Hits", NULL, st->q->cache_hits, es);
		ExplainPropertyInteger("Rows Removed by Call Filter", NULL, st->nfiltered, es);
		if (st->cost != NULL)
			ExplainPropertyText("Cost",
								psprintf("%s%s%s", DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(st->cost))),
										 st->currency && *st->currency ? " " : "",
										 st->currency == NULL ? "" : *st->currency ? st->currency : " (several currencies)"),
								es);
	}
}

static const CustomExecMethods exec_methods = {
	.CustomName = READ_AHEAD_NAME,
	.BeginCustomScan = ra_begin,
	.ExecCustomScan = ra_exec,
	.EndCustomScan = ra_end,
	.ReScanCustomScan = ra_rescan,
	.ExplainCustomScan = ra_explain,
};

/* ---------------------------------------------------------------------
 * A statement that ends with calls in flight
 * ---------------------------------------------------------------------
 */
static void
xact_callback(XactEvent event, void *arg)
{
	if ((event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) && active_states != NIL)
	{
		aigw_pool_abandon_all();
		list_free(active_states);
		active_states = NIL;
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	foreach(lc, active_states)
	{
		RaState    *st = lfirst(lc);

		if (st->subid >= mySubid && st->q != NULL)
			aigw_queue_abandon(st->q);
		if (st->subid >= mySubid)
			active_states = foreach_delete_current(active_states, lc);
	}
}

void
aigw_read_ahead_register_exec(void)
{
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}
