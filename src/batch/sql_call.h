/*
 * sql_call.h
 *	  The SQL functions that make one gateway call each (aigw.ask, chat,
 *	  auto, embed and the semantic functions), cut in two halves so that the
 *	  same code serves a call made row by row and one read ahead by the
 *	  custom scan (batch/read_ahead.c):
 *
 *		aigw_sql_call_prepare	the function's arguments -> the request
 *								(model, payload, options); raises on bad
 *								input; false when the value is NULL with no
 *								call (a NULL input)
 *		aigw_sql_call_finish	the call's answer -> the function's value;
 *								false when the answer does not satisfy the
 *								function's schema (resent once, then
 *								aigw_sql_call_invalid raises)
 *
 * aigw_sql_call_run is the whole call, synchronously: the SQL function's
 * body when it runs row by row.
 */
#ifndef AIGW_SQL_CALL_H
#define AIGW_SQL_CALL_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "common/pg_compat.h"

typedef enum AigwSqlCallKind
{
	SQL_CALL_NONE = 0,
	SQL_CALL_ASK,				/* aigw.ask(model, prompt, options) -> text */
	SQL_CALL_CHAT,				/* aigw.chat(model, messages, options) -> jsonb */
	SQL_CALL_AUTO,				/* aigw.auto(strategy, messages, options) -> jsonb */
	SQL_CALL_EMBED,				/* aigw.embed(model, input, options) -> real[] */
	SQL_CALL_IS_TRUE,			/* aigw.is_true(prompt, model, options) -> boolean */
	SQL_CALL_CLASSIFY,			/* aigw.classify(input, labels, model, options) -> text */
	SQL_CALL_EXTRACT,			/* aigw.extract(input, schema, model, options) -> jsonb */
	SQL_CALL_SCORE				/* aigw.score(prompt, model, options) -> float8 */
} AigwSqlCallKind;

#define SQL_CALL_MAX_ARGS 4

typedef struct AigwSqlCall
{
	AigwSqlCallKind kind;
	char	   *model;			/* as aigw_call_begin takes it (auto/<strategy> for aigw.auto) */
	Jsonb	   *payload;		/* the messages; embed: a JSON array of the one text */
	Jsonb	   *options;		/* the per-call options */
	bool		embed;
	void	   *extra;			/* the kind's own: labels, the user's schema */
	bool		resent;			/* an answer that did not validate was already resent */
} AigwSqlCall;

/* The kind of the function whose C symbol (pg_proc.prosrc) is given, or SQL_CALL_NONE. */
extern AigwSqlCallKind aigw_sql_call_kind(const char *prosrc);
extern const char *aigw_sql_call_name(AigwSqlCallKind kind);

extern bool aigw_sql_call_prepare(AigwSqlCallKind kind, int nargs, const Datum *args, const bool *nulls,
								  AigwSqlCall *out);
extern bool aigw_sql_call_finish(const AigwSqlCall *sc, Jsonb *answer, Datum *value, bool *isnull,
								 char **why);
pg_noreturn extern void aigw_sql_call_invalid(const AigwSqlCall *sc, const char *why);

extern Datum aigw_sql_call_run(AigwSqlCallKind kind, FunctionCallInfo fcinfo);

/*
 * aigw.statement_max_cost: an answer's cost counts against the top-level
 * statement's budget; check raises once the statement is over it.
 */
extern void aigw_statement_spend(Jsonb *answer);

/* The cost in an answer's "aigw" object (not a copy), and its currency if asked; NULL: none. */
extern Numeric aigw_answer_cost(Jsonb *answer, char **currency);
extern void aigw_statement_check_budget(void);

/*
 * The semantic kinds (batch/semantic.c): the same two halves for
 * is_true, classify, extract and score.
 */
extern bool aigw_semantic_prepare(AigwSqlCallKind kind, int nargs, const Datum *args, const bool *nulls,
								  AigwSqlCall *out);
extern bool aigw_semantic_finish(const AigwSqlCall *sc, Jsonb *answer, Datum *value, bool *isnull,
								 char **why);

/*
 * Before sending again a call whose answer did not validate (finish gave
 * false): sets resent, and has the second request bypass the response
 * cache, which holds the first answer.  Allocates nothing.
 */
extern void aigw_semantic_resend(AigwSqlCall *sc);

#endif							/* AIGW_SQL_CALL_H */
