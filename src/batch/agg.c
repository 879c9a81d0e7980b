/*
 * agg.c
 *	  The aggregate aigw.agg(input, prompt [, model [, options]]): one
 *	  answer about a whole group of texts, Snowflake's AI_AGG.
 *
 * The transition function only collects: every non-NULL, non-empty input
 * is appended to one buffer in the aggregate's memory context, with its end
 * offset, so a group of a million short rows is two allocations that grow,
 * not a million.  The final function does the work, in levels:
 *
 *	map		the inputs are packed, in order, into as few requests as the
 *			model's context window allows (agg_pack.c's rule, below); each
 *			asks the question about its items;
 *	reduce	the answers of a level are packed the same way into requests
 *			that combine them, level after level, until one answer is left.
 *
 * Each level's requests go out together through the batch machinery
 * (batch.h: up to options.concurrency in flight), so they are ordinary
 * gateway calls: routed, retried, logged, billed and cached like aigw.chat.
 * A call that fails fails the aggregate (on_error = raise).
 *
 * The packing rule, stated once (the README says it too):
 *	- the window W is the model's aigw.models.context_window; for a
 *	  meta-model, a route or a model with fallbacks, the smallest of its
 *	  candidates'; AGG_DEFAULT_WINDOW when none is known;
 *	- the answer room A is options.max_tokens, else the smallest of
 *	  AGG_DEFAULT_ANSWER, W / 8 and the candidates' max_output_tokens, and
 *	  every call is sent with max_tokens = A;
 *	- a request's bytes are its system text + its user text + the options'
 *	  text + AGG_REQUEST_OVERHEAD (the JSON around them), estimated at
 *	  routing's 3 bytes a token (route.c), and must satisfy
 *	  bytes / 3 + A <= W: so a request never trips routing's context-window
 *	  check, and real text (about 4 bytes a token) leaves a margin;
 *	- items are taken in order while the next one fits; an input that does
 *	  not fit a request on its own is cut to fit (one NOTICE per group says
 *	  how many were), and an answer carried to the next level is cut to
 *	  half a request's room, so every reduce request combines at least two
 *	  and the levels end.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "batch/agg.h"
#include "batch/batch.h"
#include "caller/call.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "common/json_util.h"
#include "common/settings.h"
#include "routing/route.h"

PG_FUNCTION_INFO_V1(aigw_agg_transfn);
PG_FUNCTION_INFO_V1(aigw_agg_finalfn);

/* What one group may hold: past this, summarize in steps (the error says how). */
#define AGG_MAX_BYTES		(256 * 1024 * 1024)
#define AGG_MAX_INPUTS		(10 * 1000 * 1000)

/* The collected group, in the aggregate's memory context. */
typedef struct AggState
{
	text	   *prompt;			/* of the first row; every row must repeat it */
	text	   *model;			/* or NULL (aigw.default_model) */
	Jsonb	   *options;		/* or NULL ('{}') */
	StringInfoData texts;		/* the inputs, back to back */
	int		   *ends;			/* ends[i]: where input i ends in texts */
	int			n;
	int			cap;
} AggState;

static bool
same_text(text *a, text *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

static bool
same_options(Jsonb *a, Jsonb *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0)
		return true;
	return DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(a), JsonbPGetDatum(b)));
}

static void
differs(const char *what, int row)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the %s of aigw.agg differs between rows of one group", what),
			 errdetail("Input %d of the group (counting the non-empty ones) has another %s than the first; a group gets one answer, to one question.", row, what),
			 errhint("Pass the %s as a constant, or GROUP BY it.", what)));
}

/*
 * aigw_agg_transfn(state internal, input text, prompt text [, model text
 * [, options jsonb]]): not strict, so that a NULL model (the default) and
 * NULL inputs (skipped) reach it.
 */
Datum
aigw_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MemoryContext old;
	AggState   *st = PG_ARGISNULL(0) ? NULL : (AggState *) PG_GETARG_POINTER(0);
	text	   *input;
	text	   *prompt;
	text	   *model = NULL;
	Jsonb	   *options = NULL;
	int			len;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "aigw_agg_transfn called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);	/* a NULL input is skipped */
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the prompt of aigw.agg is NULL"),
				 errhint("aigw.agg(input, prompt) asks the prompt about the group's inputs.")));
	input = PG_GETARG_TEXT_PP(1);
	len = VARSIZE_ANY_EXHDR(input);
	if (len == 0)
		PG_RETURN_POINTER(st);	/* nothing to say about an empty text */
	prompt = PG_GETARG_TEXT_PP(2);
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		model = PG_GETARG_TEXT_PP(3);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
		options = PG_GETARG_JSONB_P(4);

	old = MemoryContextSwitchTo(aggcxt);
	if (st == NULL)
	{
		st = palloc0(sizeof(AggState));
		st->prompt = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(prompt));
		st->model = model ? (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(model)) : NULL;
		st->options = options ? (Jsonb *) PG_DETOAST_DATUM_COPY(PointerGetDatum(options)) : NULL;
		initStringInfo(&st->texts);
		st->cap = 64;
		st->ends = palloc(sizeof(int) * st->cap);
	}
	else
	{
		if (!same_text(prompt, st->prompt))
			differs("prompt", st->n + 1);
		if ((model == NULL) != (st->model == NULL) || (model && !same_text(model, st->model)))
			differs("model", st->n + 1);
		if (!same_options(options, st->options))
			differs("options", st->n + 1);
	}
	if (st->n >= AGG_MAX_INPUTS || (int64) st->texts.len + len > AGG_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the group of aigw.agg is too large"),
				 errdetail("A group may hold up to %d inputs and %d MB of text.",
						   AGG_MAX_INPUTS, AGG_MAX_BYTES / (1024 * 1024)),
				 errhint("Aggregate smaller groups, then aggregate their answers: aigw.agg over sub-groups, then aigw.agg of those.")));
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->ends = repalloc(st->ends, sizeof(int) * st->cap);
	}
	appendBinaryStringInfo(&st->texts, VARDATA_ANY(input), len);
	st->ends[st->n++] = st->texts.len;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* ---------------------------------------------------------------------
 * The final function: map, then reduce level by level
 * ---------------------------------------------------------------------
 */

static const char *
agg_model(AggState *st)
{
	if (st->model != NULL)
		return text_to_cstring(st->model);
	if (aigw_default_model == NULL || aigw_default_model[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aigw.agg has no model"),
				 errdetail("Its model argument is NULL or not given, and aigw.default_model is empty."),
				 errhint("Pass a model, e.g. aigw.agg(body, 'What do customers complain about?', 'openai/gpt-4o-mini'), or SET aigw.default_model.")));
	return aigw_default_model;
}

/* Options a call of aigw.agg cannot honour: say so rather than ignore them. */
static void
refuse_options(Jsonb *options, const AigwChatInput *input)
{
	static const char *const refused[] = {"tools", "tool_choice", "stream"};
	JsonbValue *v;

	for (int i = 0; i < lengthof(refused); i++)
		if (aigw_jsonb_key(&options->root, refused[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is not for aigw.agg", refused[i]),
					 errdetail("aigw.agg combines the text of its calls' answers.")));
	if (input->choices > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"n\" is not for aigw.agg"),
				 errdetail("aigw.agg combines one answer per call.")));
	if ((v = aigw_jsonb_key(&options->root, "on_error")) != NULL && !aigw_jsonb_string_is(v, "raise"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"on_error\" of aigw.agg can only be \"raise\""),
				 errdetail("An answer about a group is not given without some of its inputs: a failed call fails the aggregate.")));
}

/*
 * The window and answer room of model (see the rule above), and the
 * options every call is sent with (the user's, max_tokens set, on_error =
 * raise for the batch).
 */
static void
agg_limits(const char *model, Jsonb *user_options, AggPacking *pk, Jsonb **call_options)
{
	JsonbParseState *ps = NULL;
	AigwChatInput input;
	AigwRoutePlan plan;
	Jsonb	   *probe;
	Jsonb	   *options;
	JsonbValue	v;
	int			window = 0;
	int			max_output = 0;

	/* a one-message call's plan: the candidates the packs may go to */
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "role", "user");
	aigw_push_string(&ps, "content", "x");
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	probe = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));

	/* the user's options without the batch's own, validated as a call's */
	ps = NULL;
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &user_options->root, aigw_batch_is_call_option);
	options = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	aigw_chat_input_parse(probe, options, &input);
	refuse_options(user_options, &input);
	aigw_route_plan(model, &input, &plan);

	for (int i = 0; i < plan.ncandidates; i++)
	{
		AigwTarget	t;

		aigw_resolve_model(plan.candidates[i], &t);
		if (t.context_window > 0 && (window == 0 || t.context_window < window))
			window = t.context_window;
		if (t.max_output_tokens > 0 && (max_output == 0 || t.max_output_tokens < max_output))
			max_output = t.max_output_tokens;
	}
	pk->window = window > 0 ? window : AGG_DEFAULT_WINDOW;
	if (input.max_output_tokens > 0)
		pk->answer = input.max_output_tokens;
	else
	{
		pk->answer = Min(AGG_DEFAULT_ANSWER, pk->window / 8);
		if (max_output > 0)
			pk->answer = Min(pk->answer, max_output);
	}
	pk->options_bytes = strlen(JsonbToCString(NULL, &options->root, VARSIZE(options)));

	/* what every call is sent with: the user's options, max_tokens, on_error */
	ps = NULL;
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_members(&ps, &user_options->root, NULL);
	if (input.max_output_tokens <= 0)
		aigw_push_int(&ps, "max_tokens", pk->answer);
	if (!aigw_jsonb_key(&user_options->root, "on_error"))
	{
		v.type = jbvString;
		v.val.string.val = "raise";
		v.val.string.len = 5;
		aigw_push_value(&ps, "on_error", &v);
	}
	*call_options = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

/* choices[0].message.content of an answer, or an error naming the call. */
static text *
answer_text(Jsonb *answer, const char *model, int request, const char *level)
{
	JsonbValue *choices = aigw_jsonb_key(&answer->root, "choices");
	JsonbValue *first = NULL;
	JsonbValue *content = NULL;

	if (aigw_jsonb_is_array(choices))
		first = getIthJsonbValueFromContainer(choices->val.binary.data, 0);
	if (aigw_jsonb_is_object(first))
		content = aigw_jsonb_path2(first->val.binary.data, "message", "content");
	if (content == NULL || content->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
				 errmsg("request %d of aigw.agg's %s got no text from model \"%s\"", request, level, model),
				 errdetail("The answer has no choices[0].message.content (a refusal, or a content filter); the call was logged and charged.")));
	return cstring_to_text_with_len(content->val.string.val, content->val.string.len);
}

typedef struct LevelContext
{
	int			level;
	int			requests;
	int			items;
} LevelContext;

static void
level_context(void *arg)
{
	LevelContext *lc = arg;

	if (lc->level == 1)
		errcontext("aigw.agg: map level, %d requests over %d inputs", lc->requests, lc->items);
	else
		errcontext("aigw.agg: reduce level %d, %d requests over %d answers", lc->level - 1,
				   lc->requests, lc->items);
}

/*
 * aigw_agg_finalfn(state internal) returns text: NULL for a group with no
 * input, and no call.
 */
Datum
aigw_agg_finalfn(PG_FUNCTION_ARGS)
{
	AggState   *st = PG_ARGISNULL(0) ? NULL : (AggState *) PG_GETARG_POINTER(0);
	const char *model;
	Jsonb	   *user_options;
	Jsonb	   *call_options;
	AggPacking	pk;
	AggItems	items;
	int			level = 1;

	if (AggCheckCallContext(fcinfo, NULL) == AGG_CONTEXT_WINDOW)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("aigw.agg cannot be used as a window function"),
				 errdetail("Each row's window would make its own calls."),
				 errhint("Use it with GROUP BY, or over a subquery.")));
	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	aigw_require_preload();
	model = agg_model(st);
	user_options = st->options ? st->options : DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	if (!JB_ROOT_IS_OBJECT(user_options) || JB_ROOT_IS_SCALAR(user_options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass '{}' for no options, or e.g. '{\"wallet\": \"team\", \"max_tokens\": 300}'.")));
	memset(&pk, 0, sizeof(pk));
	agg_limits(model, user_options, &pk, &call_options);
	pk.prompt = VARDATA_ANY(st->prompt);
	pk.prompt_len = VARSIZE_ANY_EXHDR(st->prompt);
	aigw_agg_budget(&pk, model);

	items.data = st->texts.data;
	items.ends = st->ends;
	items.n = st->n;
	for (;;)
	{
		AggRequests reqs;
		Jsonb	  **responses;
		char	  **errors;
		StringInfoData next;
		int		   *next_ends;
		LevelContext lc;
		ErrorContextCallback errcb;

		aigw_agg_pack(&pk, &items, level > 1, &reqs);
		if (reqs.cut > 0 && level == 1)
			ereport(NOTICE,
					(errmsg("aigw.agg cut %d of %d inputs to fit model \"%s\"'s context window", reqs.cut, items.n, model),
					 errdetail("A request holds up to %d bytes of inputs (a window of %d tokens, %d of them kept for the answer); a longer input keeps its start.",
							   pk.map_bytes, pk.window, pk.answer)));
		else if (reqs.cut > 0)
			ereport(NOTICE,
					(errmsg("aigw.agg cut %d of %d answers of level %d to half a request", reqs.cut, items.n, level - 1),
					 errdetail("An answer carried up is at most %d bytes, so that each request combines at least two.",
							   pk.reduce_bytes / 2)));
		responses = palloc0(sizeof(Jsonb *) * reqs.n);
		errors = palloc0(sizeof(char *) * reqs.n);
		lc.level = level;
		lc.requests = reqs.n;
		lc.items = items.n;
		errcb.callback = level_context;
		errcb.arg = &lc;
		errcb.previous = error_context_stack;
		error_context_stack = &errcb;
		aigw_batch_run(model, call_options, false, level == 1 ? "aigw.agg's map requests" : "aigw.agg's reduce requests",
					   reqs.payloads, reqs.n, responses, errors);

		/* the answers are the next level's items */
		initStringInfo(&next);
		next_ends = palloc(sizeof(int) * reqs.n);
		for (int i = 0; i < reqs.n; i++)
		{
			text	   *t;

			if (responses[i] == NULL)	/* on_error = raise: not reached */
				ereport(ERROR,
						(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
						 errmsg("request %d of aigw.agg failed", i + 1),
						 errdetail("%s", errors[i] ? errors[i] : "No answer.")));
			t = answer_text(responses[i], model, i + 1, level == 1 ? "map requests" : "reduce requests");
			appendBinaryStringInfo(&next, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			next_ends[i] = next.len;
		}
		error_context_stack = errcb.previous;
		if (reqs.n == 1)
			PG_RETURN_TEXT_P(cstring_to_text_with_len(next.data, next.len));
		items.data = next.data;
		items.ends = next_ends;
		items.n = reqs.n;
		level++;
	}
}
