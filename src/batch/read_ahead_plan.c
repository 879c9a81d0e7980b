/*
 * read_ahead_plan.c
 *	  The planner hook that puts a read-ahead node above every plan node
 *	  whose expressions hold an aigw call (read_ahead.h).
 *
 * It runs after standard_planner, on the finished plan (its subplans
 * too), so references are already resolved: the node below keeps every
 * expression it evaluated before, and outputs each call's arguments and
 * each piece of the target list around the calls as columns; the
 * read-ahead node's target list and quals are the original ones with each
 * call replaced by its answer's column, built by hand as INDEX_VAR
 * references to the scan tuple.
 *
 * A call is read ahead only where PostgreSQL would evaluate it for every
 * row that reaches the expression: not under CASE, COALESCE, AND/OR, a
 * subscript, a sublink, a window function's arguments or those of an
 * aggregate with a FILTER; those run row by row as before, and EXPLAIN
 * lists them.  An aggregate's own arguments (and FILTER) are evaluated for
 * every input row: their calls are read ahead below the Agg (see "Calls in
 * an aggregate's arguments" below).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "batch/read_ahead.h"
#include "batch/sql_call.h"
#include "common/settings.h"

static planner_hook_type prev_planner_hook = NULL;

/* ---------------------------------------------------------------------
 * Which functions are calls: aigw's C functions, by symbol, looked up
 * once per backend (again after pg_proc changes).
 * ---------------------------------------------------------------------
 */
#define MAX_CALL_FUNCS 32

static bool call_funcs_valid = false;
static int	ncall_funcs = 0;
static Oid	call_func_oids[MAX_CALL_FUNCS];
static AigwSqlCallKind call_func_kinds[MAX_CALL_FUNCS];

static void
call_funcs_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	call_funcs_valid = false;
}

static void
load_call_funcs(void)
{
	static const char *const names[] = {"ask", "chat", "auto", "embed", "is_true", "classify", "extract", "score"};
	Oid			nsp;

	ncall_funcs = 0;
	call_funcs_valid = true;
	if (!OidIsValid(get_extension_oid("aigw", true)) ||
		!OidIsValid(nsp = get_namespace_oid("aigw", true)))
		return;
	for (int i = 0; i < lengthof(names); i++)
	{
		CatCList   *list = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(names[i]));

		for (int j = 0; j < list->n_members && ncall_funcs < MAX_CALL_FUNCS; j++)
		{
			HeapTuple	tup = &list->members[j]->tuple;
			Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
			bool		isnull;
			Datum		src;
			AigwSqlCallKind kind;

			if (proc->pronamespace != nsp || proc->prolang != ClanguageId || proc->proretset)
				continue;
			src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
			if (isnull || (kind = aigw_sql_call_kind(TextDatumGetCString(src))) == SQL_CALL_NONE)
				continue;
			call_func_oids[ncall_funcs] = proc->oid;
			call_func_kinds[ncall_funcs++] = kind;
		}
		ReleaseSysCacheList(list);
	}
}

static AigwSqlCallKind
call_kind(Node *node)
{
	if (node == NULL || !IsA(node, FuncExpr))
		return SQL_CALL_NONE;
	for (int i = 0; i < ncall_funcs; i++)
		if (call_func_oids[i] == ((FuncExpr *) node)->funcid)
			return call_func_kinds[i];
	return SQL_CALL_NONE;
}

/* ---------------------------------------------------------------------
 * Which calls can be read ahead
 * ---------------------------------------------------------------------
 */

/* Expressions that evaluate every argument whenever they are evaluated. */
static bool
evaluates_all_arguments(Node *node)
{
	switch (nodeTag(node))
	{
		case T_FuncExpr:
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
		case T_ScalarArrayOpExpr:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_ConvertRowtypeExpr:
		case T_CollateExpr:
		case T_CoerceToDomain:
		case T_RowExpr:
		case T_ArrayExpr:
		case T_MinMaxExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_FieldSelect:
		case T_TargetEntry:
		case T_List:
			return true;
		default:
			return false;
	}
}

static bool
contains_call_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (call_kind(node) != SQL_CALL_NONE)
		return true;
	return expression_tree_walker(node, contains_call_walker, context);
}

static bool
contains_call(Node *node)
{
	return contains_call_walker(node, NULL);
}

/* A call whose arguments hold no call: it can be sent as soon as its row is in. */
static bool
is_leaf_call(Node *node)
{
	return call_kind(node) != SQL_CALL_NONE && !contains_call((Node *) ((FuncExpr *) node)->args);
}

/* Whether node holds a call that is evaluated whenever node is. */
static bool
has_sure_call(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (is_leaf_call(node))
		return true;
	if (!evaluates_all_arguments(node))
		return false;
	return expression_tree_walker(node, has_sure_call, context);
}


/* ---------------------------------------------------------------------
 * What EXPLAIN says of the calls that run row by row
 * ---------------------------------------------------------------------
 */
typedef struct NoteContext
{
	const char *why;			/* what keeps the calls below from being read ahead */
	List	  **notes;
} NoteContext;

static const char *
why_row_by_row(Node *node)
{
	switch (nodeTag(node))
	{
		case T_CaseExpr:
			return "under CASE";
		case T_CoalesceExpr:
			return "under COALESCE";
		case T_BoolExpr:
			return "under AND, OR or NOT";
		case T_Aggref:
			return "in an aggregate's arguments";
		case T_WindowFunc:
			return "in a window function's arguments";
		case T_SubPlan:
		case T_AlternativeSubPlan:
			return "in a subquery's test";
		default:
			return "under an expression that may skip it";
	}
}

static bool
note_walker(Node *node, NoteContext *cx)
{
	if (node == NULL)
		return false;
	if (call_kind(node) != SQL_CALL_NONE)
	{
		if (cx->why == NULL && is_leaf_call(node))
			return false;		/* read ahead */
		*cx->notes = lappend(*cx->notes,
							 makeString(psprintf("%s %s", aigw_sql_call_name(call_kind(node)),
												 cx->why ? cx->why : "whose arguments hold a call")));
	}
	else if (cx->why == NULL && !evaluates_all_arguments(node))
	{
		NoteContext sub = {why_row_by_row(node), cx->notes};

		return expression_tree_walker(node, note_walker, &sub);
	}
	return expression_tree_walker(node, note_walker, cx);
}

static void
note_row_by_row(Node *node, const char *why, List **notes)
{
	NoteContext cx = {why, notes};

	(void) note_walker(node, &cx);
}

/* ---------------------------------------------------------------------
 * The rewrite of one plan node's expressions
 * ---------------------------------------------------------------------
 */
typedef struct Rewrite
{
	List	   *child_tlist;	/* the input's new target list */
	List	   *calls;			/* FuncExpr of each call */
	List	   *call_args;		/* each call's argument columns (integer lists) */
	List	   *answers;		/* Var of each call's answer, numbered at the end */
	List	   *kinds;
	List	   *stages;
	List	   *names;
	int			stage;
} Rewrite;

/* expr becomes a column of the input; a reference to it is returned. */
static Var *
push_child(Rewrite *rw, Expr *expr)
{
	ListCell   *lc;
	int			resno = 0;

	foreach(lc, rw->child_tlist)
	{
		TargetEntry *tle = lfirst(lc);

		if (equal(tle->expr, expr))
		{
			resno = tle->resno;
			break;
		}
	}
	if (resno == 0)
	{
		resno = list_length(rw->child_tlist) + 1;
		rw->child_tlist = lappend(rw->child_tlist, makeTargetEntry((Expr *) copyObject(expr), resno, NULL, false));
	}
	return makeVar(INDEX_VAR, resno, exprType((Node *) expr), exprTypmod((Node *) expr),
				   exprCollation((Node *) expr), 0);
}

static Node *
answer_of(Rewrite *rw, FuncExpr *call)
{
	List	   *cols = NIL;
	ListCell   *lc;
	Var		   *answer;

	foreach(lc, call->args)
		cols = lappend_int(cols, push_child(rw, lfirst(lc))->varattno);
	rw->calls = lappend(rw->calls, call);
	rw->call_args = lappend(rw->call_args, cols);
	rw->kinds = lappend_int(rw->kinds, call_kind((Node *) call));
	rw->stages = lappend_int(rw->stages, rw->stage);
	rw->names = lappend(rw->names, makeString(pstrdup(aigw_sql_call_name(call_kind((Node *) call)))));
	answer = makeVar(INDEX_VAR, 0, call->funcresulttype, -1, call->funccollid, 0);
	rw->answers = lappend(rw->answers, answer);
	return (Node *) answer;
}

static Node *
rewrite_mutator(Node *node, Rewrite *rw)
{
	if (node == NULL)
		return NULL;
	if (is_leaf_call(node))
		return answer_of(rw, (FuncExpr *) node);
	if (!has_sure_call(node, NULL))
	{
		if (IsA(node, Const))
			return copyObject(node);
		return (Node *) push_child(rw, (Expr *) node);
	}
	return expression_tree_mutator(node, rewrite_mutator, rw);
}

/* ---------------------------------------------------------------------
 * Placing the node
 * ---------------------------------------------------------------------
 */
typedef struct Walk
{
	int			next_plan_node_id;
} Walk;

/* Nodes whose target list and quals are evaluated row by row over their input. */
static bool
projects(Plan *plan)
{
	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_IndexScan:
		case T_IndexOnlyScan:
		case T_BitmapHeapScan:
		case T_TidScan:
		case T_TidRangeScan:
		case T_SubqueryScan:
		case T_FunctionScan:
		case T_ValuesScan:
		case T_CteScan:
		case T_NamedTuplestoreScan:
		case T_WorkTableScan:
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
		case T_Agg:
		case T_Group:
			return true;
		case T_Result:
			/* a Result without input gives one row: nothing to read ahead */
			return plan->lefttree != NULL;
		default:
			return false;
	}
}

/* The quals a read-ahead node may take over (evaluating them after the node's own). */
static List **
movable_quals(Plan *plan, List **fixed)
{
	*fixed = NIL;
	if (IsA(plan, NestLoop) || IsA(plan, MergeJoin) || IsA(plan, HashJoin))
	{
		Join	   *join = (Join *) plan;

		if (join->jointype != JOIN_INNER)
			*fixed = join->joinqual;
		else if (has_sure_call((Node *) join->joinqual, NULL))
		{
			/* an inner join's condition may as well filter above it */
			plan->qual = list_concat(join->joinqual, plan->qual);
			join->joinqual = NIL;
		}
	}
	return &plan->qual;
}

static int	limit_bound(Limit *limit);

/*
 * The read-ahead node above plan, whose target list becomes rw's (the
 * calls' arguments and the pieces around them); tlist and stage_quals are
 * the node's own, over its scan tuple.
 */
static Plan *
make_node(Plan *plan, Rewrite *rw, List *tlist, List *stage_quals, List *notes, Limit *limit, Walk *w)
{
	List	   *scan_tlist = NIL;
	List	   *private = NIL;
	CustomScan *cs;
	ListCell   *lc;
	int			nchild;
	int			i;

	nchild = list_length(rw->child_tlist);
	i = 0;
	foreach(lc, rw->answers)
		((Var *) lfirst(lc))->varattno = nchild + ++i;
	plan->targetlist = rw->child_tlist;

	/* the scan tuple: the input's columns, then the calls (as EXPLAIN shows them) */
	foreach(lc, rw->child_tlist)
	{
		TargetEntry *tle = lfirst(lc);

		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) makeVar(OUTER_VAR, tle->resno, exprType((Node *) tle->expr),
															  exprTypmod((Node *) tle->expr),
															  exprCollation((Node *) tle->expr), 0),
											 tle->resno, NULL, false));
	}
	i = 0;
	foreach(lc, rw->calls)
	{
		FuncExpr   *shown = copyObject((FuncExpr *) lfirst(lc));
		List	   *cols = list_nth(rw->call_args, i);
		ListCell   *arg;
		ListCell   *col;

		forboth(arg, shown->args, col, cols)
		{
			Node	   *a = lfirst(arg);

			lfirst(arg) = makeVar(OUTER_VAR, lfirst_int(col), exprType(a), exprTypmod(a), exprCollation(a), 0);
		}
		scan_tlist = lappend(scan_tlist, makeTargetEntry((Expr *) shown, nchild + ++i, NULL, false));
	}

	private = lappend(private, makeInteger(nchild));
	private = lappend(private, makeInteger(limit ? limit_bound(limit) : -1));
	private = lappend(private, rw->kinds);
	private = lappend(private, rw->stages);
	private = lappend(private, rw->call_args);
	private = lappend(private, rw->names);
	private = lappend(private, notes);
	private = lappend(private, makeInteger(list_length(stage_quals)));
	/*
	 * A count known only at run time (a parameter of a generic plan, an
	 * init plan): the node works its bound out when it starts, as the
	 * Limit does.
	 */
	if (limit != NULL && limit_bound(limit) < 0 && limit->limitOption == LIMIT_OPTION_COUNT &&
		limit->limitCount != NULL)
		private = lappend(private, list_make2(copyObject(limit->limitCount), copyObject(limit->limitOffset)));
	else
		private = lappend(private, NIL);

	cs = makeNode(CustomScan);
	cs->scan.plan.startup_cost = plan->startup_cost;
	cs->scan.plan.total_cost = plan->total_cost;
	cs->scan.plan.plan_rows = plan->plan_rows;
	cs->scan.plan.plan_width = plan->plan_width;
	cs->scan.plan.parallel_aware = false;
	cs->scan.plan.parallel_safe = false;
	cs->scan.plan.plan_node_id = w->next_plan_node_id++;
	cs->scan.plan.targetlist = tlist;
	cs->scan.plan.qual = NIL;
	cs->scan.plan.lefttree = plan;
	cs->scan.plan.extParam = bms_copy(plan->extParam);
	cs->scan.plan.allParam = bms_copy(plan->allParam);
	cs->scan.scanrelid = 0;
	cs->flags = 0;
	cs->custom_plans = NIL;
	cs->custom_exprs = stage_quals;
	cs->custom_private = private;
	cs->custom_scan_tlist = scan_tlist;
	cs->methods = &aigw_read_ahead_plan_methods;
	return (Plan *) cs;
}

/*
 * Put a read-ahead node above plan when its expressions hold calls;
 * returns what the parent should point to.  limit: the Limit whose rows
 * come one for one from plan's, or NULL.
 */
static Plan *
place(Plan *plan, Limit *limit, Walk *w)
{
	Rewrite		rw;
	List	   *fixed;
	List	  **quals;
	List	   *kept = NIL;
	List	   *stage_quals = NIL;
	List	   *tlist = NIL;
	List	   *notes = NIL;
	ListCell   *lc;

	if (!contains_call((Node *) plan->targetlist) && !contains_call((Node *) plan->qual) &&
		!((IsA(plan, NestLoop) || IsA(plan, MergeJoin) || IsA(plan, HashJoin)) &&
		  contains_call((Node *) ((Join *) plan)->joinqual)))
		return plan;
	if (!projects(plan))
		return plan;

	memset(&rw, 0, sizeof(rw));
	quals = movable_quals(plan, &fixed);
	note_row_by_row((Node *) fixed, "in an outer join's condition", &notes);

	/* one stage per call qual, in the order the node evaluated them */
	foreach(lc, *quals)
	{
		Node	   *qual = lfirst(lc);

		if (!has_sure_call(qual, NULL))
		{
			kept = lappend(kept, qual);
			note_row_by_row(qual, NULL, &notes);
			continue;
		}
		note_row_by_row(qual, NULL, &notes);
		stage_quals = lappend(stage_quals, list_make1(rewrite_mutator(qual, &rw)));
		rw.stage++;
	}
	/* the target list's calls, for the rows that passed */
	foreach(lc, plan->targetlist)
	{
		TargetEntry *tle = lfirst(lc);
		TargetEntry *copy = flatCopyTargetEntry(tle);

		note_row_by_row((Node *) tle->expr, NULL, &notes);
		copy->expr = (Expr *) rewrite_mutator((Node *) tle->expr, &rw);
		tlist = lappend(tlist, copy);
	}
	if (list_member_int(rw.stages, list_length(stage_quals)))
		stage_quals = lappend(stage_quals, NIL);
	if (rw.calls == NIL && notes == NIL)
		return plan;			/* nothing was changed */

	*quals = kept;
	return make_node(plan, &rw, tlist, stage_quals, notes, limit, w);
}

/* ---------------------------------------------------------------------
 * Calls in an aggregate's arguments
 *
 * An Agg evaluates its aggregates' arguments for every input row, so a
 * call there (in an aggregate without FILTER) can be read ahead below it:
 * a read-ahead node goes between the Agg and its input, which outputs the
 * calls' arguments; the node adds the answers as columns after the
 * input's own, and the aggregates read them there.
 * ---------------------------------------------------------------------
 */
typedef struct AggArgs
{
	Rewrite	   *rw;
	List	   *chain;			/* the Agg's input, then each sort below it, down to the projecting node */
	int			ninput;			/* the Agg's input's columns */
	bool		ok;				/* every input column a call's arguments use can be computed again */
} AggArgs;

/* A node between an Agg and the node that computes its input's columns. */
static bool
passes_columns_through(Plan *plan)
{
	return IsA(plan, Sort) || IsA(plan, IncrementalSort);
}

/*
 * An expression over the Agg's input (OUTER_VAR) as the projecting node at
 * the bottom of the chain computes it (a sort's columns are its input's).
 */
typedef struct InputTerms
{
	AggArgs    *aa;
	int			depth;			/* in aa->chain: whose columns OUTER_VAR names */
} InputTerms;

static Node *
input_terms_mutator(Node *node, InputTerms *it)
{
	AggArgs    *aa = it->aa;

	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varno == OUTER_VAR)
	{
		Plan	   *at = list_nth(aa->chain, it->depth);
		TargetEntry *tle = list_nth(at->targetlist, ((Var *) node)->varattno - 1);
		InputTerms	below = {aa, it->depth + 1};

		if (below.depth < list_length(aa->chain))
			return input_terms_mutator((Node *) tle->expr, &below);
		/* an input column is computed again for the call: not if that costs a call or may differ */
		if (contains_call((Node *) tle->expr) || contain_volatile_functions((Node *) tle->expr))
			aa->ok = false;
		return copyObject((Node *) tle->expr);
	}
	if (IsA(node, Var) || IsA(node, Aggref))
	{
		aa->ok = false;			/* not an input column: leave the aggregate as it is */
		return node;
	}
	return expression_tree_mutator(node, input_terms_mutator, it);
}

static Node *
input_terms(Node *node, AggArgs *aa)
{
	InputTerms	it = {aa, 0};

	return input_terms_mutator(node, &it);
}

static Node *
agg_arg_mutator(Node *node, AggArgs *aa)
{
	if (node == NULL)
		return NULL;
	if (is_leaf_call(node))
	{
		FuncExpr   *call = (FuncExpr *) input_terms(node, aa);

		(void) answer_of(aa->rw, call);
		return (Node *) makeVar(OUTER_VAR, aa->ninput + list_length(aa->rw->answers),
								call->funcresulttype, -1, call->funccollid, 0);
	}
	if (!evaluates_all_arguments(node))
		return node;
	return expression_tree_mutator(node, agg_arg_mutator, aa);
}

/*
 * An aggregate's FILTER is evaluated for every row, its arguments for the
 * rows that pass it (all of them without a FILTER).
 */
static Node *
aggref_mutator(Node *node, AggArgs *aa)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref))
	{
		Aggref	   *agg = (Aggref *) node;
		Aggref	   *copy;

		if (agg->aggsplit != AGGSPLIT_SIMPLE ||
			!(has_sure_call((Node *) agg->aggfilter, NULL) ||
			  (agg->aggfilter == NULL && has_sure_call((Node *) agg->args, NULL))))
			return node;
		copy = (Aggref *) copyObject(node);
		if (agg->aggfilter != NULL)
			copy->aggfilter = (Expr *) agg_arg_mutator((Node *) agg->aggfilter, aa);
		else
			copy->args = (List *) agg_arg_mutator((Node *) agg->args, aa);
		return (Node *) copy;
	}
	return expression_tree_mutator(node, aggref_mutator, aa);
}

/* The calls of agg's aggregates read ahead below it (and below the sorts that feed it), where they can be. */
static void
read_ahead_agg_args(Agg *agg, Walk *w)
{
	Plan	   *input = agg->plan.lefttree;
	Plan	   *parent = (Plan *) agg;
	Rewrite		rw;
	AggArgs		aa;
	List	   *tlist = NIL;
	List	   *agg_tlist;
	List	   *agg_qual;
	ListCell   *lc;
	int			k = 0;
	int			nanswers;

	if (input == NULL || agg->aggsplit != AGGSPLIT_SIMPLE ||
		(!contains_call((Node *) agg->plan.targetlist) && !contains_call((Node *) agg->plan.qual)))
		return;
	memset(&aa, 0, sizeof(aa));
	while (passes_columns_through(input))
	{
		aa.chain = lappend(aa.chain, input);
		parent = input;
		input = input->lefttree;
	}
	if (input == NULL || !projects(input))
		return;
	aa.chain = lappend(aa.chain, input);

	memset(&rw, 0, sizeof(rw));
	/* the input keeps its columns where they are; the arguments come after them */
	foreach(lc, input->targetlist)
		rw.child_tlist = lappend(rw.child_tlist, flatCopyTargetEntry(lfirst(lc)));
	aa.rw = &rw;
	aa.ninput = list_length(agg->plan.lefttree->targetlist);
	aa.ok = true;
	agg_tlist = (List *) aggref_mutator((Node *) agg->plan.targetlist, &aa);
	agg_qual = (List *) aggref_mutator((Node *) agg->plan.qual, &aa);
	if (rw.calls == NIL || !aa.ok)
		return;
	nanswers = list_length(rw.answers);

	/* the node returns the input's columns, then the answers */
	foreach(lc, input->targetlist)
	{
		TargetEntry *tle = lfirst(lc);

		k++;
		tlist = lappend(tlist, makeTargetEntry((Expr *) makeVar(INDEX_VAR, k, exprType((Node *) tle->expr),
																 exprTypmod((Node *) tle->expr),
																 exprCollation((Node *) tle->expr), 0),
											   k, tle->resname, tle->resjunk));
	}
	foreach(lc, rw.answers)
		tlist = lappend(tlist, makeTargetEntry(lfirst(lc), ++k, NULL, true));
	/* each sort between passes the answers up, after its own columns */
	foreach(lc, aa.chain)
	{
		Plan	   *sort = lfirst(lc);
		int			nown;

		if (sort == input)
			break;
		nown = list_length(sort->lefttree->targetlist);
		for (int i = 0; i < nanswers; i++)
		{
			Var		   *answer = list_nth(rw.answers, i);

			sort->targetlist = lappend(sort->targetlist,
									   makeTargetEntry((Expr *) makeVar(OUTER_VAR, nown + i + 1, answer->vartype,
																		answer->vartypmod, answer->varcollid, 0),
													   list_length(sort->targetlist) + 1, NULL, true));
		}
	}
	agg->plan.targetlist = agg_tlist;
	agg->plan.qual = agg_qual;
	/* one stage, without a qual: every row's calls are sent */
	parent->lefttree = make_node(input, &rw, tlist, list_make1(NIL), NIL, NULL, w);
}

/* ---------------------------------------------------------------------
 * The walk over the finished plan
 * ---------------------------------------------------------------------
 */

/* The rows a Limit will take at most, when its count and offset are constants; -1 otherwise. */
static int
limit_bound(Limit *limit)
{
	Const	   *count = (Const *) limit->limitCount;
	Const	   *offset = (Const *) limit->limitOffset;
	int64		n;

	if (limit->limitOption != LIMIT_OPTION_COUNT || count == NULL || !IsA(count, Const) || count->constisnull)
		return -1;
	n = DatumGetInt64(count->constvalue);
	if (offset != NULL)
	{
		if (!IsA(offset, Const))
			return -1;
		if (!offset->constisnull)
			n += DatumGetInt64(offset->constvalue);
	}
	return (n < 0 || n > PG_INT32_MAX) ? -1 : (int) n;
}

/* Nodes that return each row of their input once, and nothing else. */
static bool
passes_rows_through(Plan *plan)
{
	return (IsA(plan, Result) && plan->qual == NIL && ((Result *) plan)->resconstantqual == NULL) ||
		(IsA(plan, SubqueryScan) && plan->qual == NIL);
}

static Plan *walk(Plan *plan, Limit *limit, bool below_gather, Walk *w);

static List *
walk_list(List *plans, bool below_gather, Walk *w)
{
	ListCell   *lc;

	foreach(lc, plans)
		lfirst(lc) = walk(lfirst(lc), NULL, below_gather, w);
	return plans;
}

static Plan *
walk(Plan *plan, Limit *limit, bool below_gather, Walk *w)
{
	Limit	   *child_limit = NULL;

	if (plan == NULL)
		return NULL;
	check_stack_depth();
	if (IsA(plan, Limit))
		child_limit = (Limit *) plan;
	else if (passes_rows_through(plan))
		child_limit = limit;
	if (IsA(plan, Gather) || IsA(plan, GatherMerge))
		below_gather = true;
	if (IsA(plan, Agg) && !below_gather)
		read_ahead_agg_args((Agg *) plan, w);

	plan->lefttree = walk(plan->lefttree, child_limit, below_gather, w);
	/* the inner side of a merge join must support mark and restore: left as it is */
	if (!IsA(plan, MergeJoin))
		plan->righttree = walk(plan->righttree, NULL, below_gather, w);
	switch (nodeTag(plan))
	{
		case T_Append:
			walk_list(((Append *) plan)->appendplans, below_gather, w);
			break;
		case T_MergeAppend:
			walk_list(((MergeAppend *) plan)->mergeplans, below_gather, w);
			break;
		case T_SubqueryScan:
			((SubqueryScan *) plan)->subplan = walk(((SubqueryScan *) plan)->subplan,
													 passes_rows_through(plan) ? limit : NULL, below_gather, w);
			break;
		case T_CustomScan:
			walk_list(((CustomScan *) plan)->custom_plans, below_gather, w);
			break;
		default:
			break;
	}
	if (below_gather)
		return plan;			/* parallel workers do not call out */
	return place(plan, limit, w);
}

static void
max_plan_node_id(Plan *plan, int *max)
{
	ListCell   *lc;

	if (plan == NULL)
		return;
	*max = Max(*max, plan->plan_node_id);
	max_plan_node_id(plan->lefttree, max);
	max_plan_node_id(plan->righttree, max);
	if (IsA(plan, Append))
		foreach(lc, ((Append *) plan)->appendplans)
			max_plan_node_id(lfirst(lc), max);
	if (IsA(plan, MergeAppend))
		foreach(lc, ((MergeAppend *) plan)->mergeplans)
			max_plan_node_id(lfirst(lc), max);
	if (IsA(plan, SubqueryScan))
		max_plan_node_id(((SubqueryScan *) plan)->subplan, max);
	if (IsA(plan, CustomScan))
		foreach(lc, ((CustomScan *) plan)->custom_plans)
			max_plan_node_id(lfirst(lc), max);
}

static PlannedStmt *
read_ahead_planner(Query *parse, const char *query_string, int cursorOptions, ParamListInfo boundParams)
{
	PlannedStmt *stmt = prev_planner_hook ? prev_planner_hook(parse, query_string, cursorOptions, boundParams)
		: standard_planner(parse, query_string, cursorOptions, boundParams);
	Walk		w;
	int			max = 0;
	ListCell   *lc;

	if (!aigw_read_ahead || (cursorOptions & CURSOR_OPT_SCROLL) || stmt->commandType == CMD_UTILITY)
		return stmt;
	if (!call_funcs_valid)
		load_call_funcs();
	if (ncall_funcs == 0)
		return stmt;

	max_plan_node_id(stmt->planTree, &max);
	foreach(lc, stmt->subplans)
		max_plan_node_id(lfirst(lc), &max);
	w.next_plan_node_id = max + 1;
	stmt->planTree = walk(stmt->planTree, NULL, false, &w);
	foreach(lc, stmt->subplans)
		lfirst(lc) = walk(lfirst(lc), NULL, false, &w);
	return stmt;
}

const CustomScanMethods aigw_read_ahead_plan_methods = {
	.CustomName = READ_AHEAD_NAME,
	.CreateCustomScanState = aigw_read_ahead_create_state,
};

void
aigw_read_ahead_init(void)
{
	RegisterCustomScanMethods(&aigw_read_ahead_plan_methods);
	aigw_read_ahead_register_exec();
	CacheRegisterSyscacheCallback(PROCOID, call_funcs_invalidate, (Datum) 0);
	prev_planner_hook = planner_hook;
	planner_hook = read_ahead_planner;
}
