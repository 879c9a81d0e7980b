/*
 * read_ahead.h
 *	  Plain SQL at the gateway's speed: a custom plan node that reads calls
 *	  ahead (DESIGN.md, "AI in plain SQL").
 *
 * read_ahead_plan.c (the planner hook) finds, after standard planning,
 * the plan nodes whose target list or quals hold a call of aigw's (ask,
 * chat, auto, embed, the semantic functions), and puts an "AIGW Read
 * Ahead" node above each.  The node below now outputs the calls'
 * arguments instead of the calls; the read-ahead node pulls rows ahead
 * from it, sends their calls through the pool without waiting
 * (call_queue.h), and returns each row, in input order, once its answers
 * are in.  read_ahead_exec.c is the node at run time.
 *
 * The node's scan tuple is the input's columns, then one column per call
 * (its answer); its target list and its stages' quals refer to it with
 * INDEX_VAR.  A row's calls go out in stages: one stage per call qual (a
 * top-level AND-ed condition holding a call, in the order the planner
 * evaluates them), so that a row a qual rejects sends nothing more, and a
 * last stage for the calls of the target list.
 */
#ifndef AIGW_READ_AHEAD_H
#define AIGW_READ_AHEAD_H

#include "postgres.h"

#include "nodes/extensible.h"
#include "nodes/pg_list.h"

#define READ_AHEAD_NAME "AIGW Read Ahead"

/*
 * custom_private: a list of these, in this order.  Per call: kind, stage,
 * the input columns of its arguments (an integer list), its SQL name.
 */
enum
{
	RA_NCHILD,					/* Integer: the input's columns */
	RA_BOUND,					/* Integer: rows needed at most; -1 none */
	RA_KINDS,					/* integer list: AigwSqlCallKind per call */
	RA_STAGES,					/* integer list: the stage of each call */
	RA_ARGS,					/* list of integer lists: each call's argument columns */
	RA_NAMES,					/* list of String: each call's function, for EXPLAIN */
	RA_ROW_BY_ROW,				/* list of String: calls left to run row by row, and why */
	RA_NSTAGES,					/* Integer */
	RA_BOUND_EXPRS,				/* NIL, or the Limit's count and offset (or NULL), when RA_BOUND is not known at plan time */
	RA_NPRIVATE
};

/* custom_exprs: one qual per stage (NULL for the target list's stage). */

extern const CustomScanMethods aigw_read_ahead_plan_methods;

extern void aigw_read_ahead_init(void);

/* The executor side (read_ahead_exec.c). */
extern Node *aigw_read_ahead_create_state(CustomScan *cscan);
extern void aigw_read_ahead_register_exec(void);

#endif							/* AIGW_READ_AHEAD_H */
