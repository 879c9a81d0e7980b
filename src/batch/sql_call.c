/*
 * sql_call.c
 *	  The call functions' two halves (sql_call.h) for aigw.ask, chat, auto
 *	  and embed, the dispatch to the semantic kinds, and the synchronous
 *	  call that the functions run when nothing reads them ahead.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "caller/call.h"
#include "batch/call_queue.h"
#include "batch/sql_call.h"
#include "common/json_util.h"
#include "common/settings.h"
#include "pool/pool.h"
#include "batch/embed.h"

typedef struct KindName
{
	const char *prosrc;			/* the C symbol of the SQL function */
	const char *name;			/* the SQL function, for messages */
	AigwSqlCallKind kind;
} KindName;

static const KindName kinds[] = {
	{"aigw_ask", "aigw.ask", SQL_CALL_ASK},
	{"aigw_chat", "aigw.chat", SQL_CALL_CHAT},
	{"aigw_auto", "aigw.auto", SQL_CALL_AUTO},
	{"aigw_embed", "aigw.embed", SQL_CALL_EMBED},
	{"aigw_is_true", "aigw.is_true", SQL_CALL_IS_TRUE},
	{"aigw_classify", "aigw.classify", SQL_CALL_CLASSIFY},
	{"aigw_extract", "aigw.extract", SQL_CALL_EXTRACT},
	{"aigw_score", "aigw.score", SQL_CALL_SCORE},
};

AigwSqlCallKind
aigw_sql_call_kind(const char *prosrc)
{
	for (int i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i].prosrc, prosrc) == 0)
			return kinds[i].kind;
	return SQL_CALL_NONE;
}

const char *
aigw_sql_call_name(AigwSqlCallKind kind)
{
	for (int i = 0; i < lengthof(kinds); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "aigw call";
}

/* ["text"] */
static Jsonb *
one_text(text *input)
{
	JsonbParseState *ps = NULL;
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = VARDATA_ANY(input);
	v.val.string.len = VARSIZE_ANY_EXHDR(input);
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_ELEM, &v);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

static void
check_strategy(const char *strategy)
{
	if (strcmp(strategy, "cheapest") != 0 && strcmp(strategy, "fastest") != 0 &&
		strcmp(strategy, "best") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown routing strategy %s", aigw_quote_name(strategy)),
				 errhint("The strategies are cheapest, fastest and best.")));
}

bool
aigw_sql_call_prepare(AigwSqlCallKind kind, int nargs, const Datum *args, const bool *nulls,
					  AigwSqlCall *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (kind >= SQL_CALL_IS_TRUE)
		return aigw_semantic_prepare(kind, nargs, args, nulls, out);

	/* aigw.ask, chat, auto, embed are STRICT: (model, input, options) */
	Assert(nargs == 3);
	for (int i = 0; i < 3; i++)
		if (nulls[i])
			return false;
	out->model = TextDatumGetCString(args[0]);
	out->options = DatumGetJsonbP(args[2]);
	switch (kind)
	{
		case SQL_CALL_ASK:
			{
				text	   *prompt = DatumGetTextPP(args[1]);

				out->payload = aigw_chat_messages(NULL, VARDATA_ANY(prompt), VARSIZE_ANY_EXHDR(prompt));
			}
			break;
		case SQL_CALL_CHAT:
			out->payload = DatumGetJsonbP(args[1]);
			break;
		case SQL_CALL_AUTO:
			check_strategy(out->model);
			out->model = psprintf("auto/%s", out->model);
			out->payload = DatumGetJsonbP(args[1]);
			break;
		case SQL_CALL_EMBED:
			if (aigw_jsonb_key(&out->options->root, "concurrency") || aigw_jsonb_key(&out->options->root, "on_error"))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("options \"concurrency\" and \"on_error\" are for aigw.embed_many")));
			out->payload = one_text(DatumGetTextPP(args[1]));
			out->embed = true;
			break;
		default:
			elog(ERROR, "unexpected call kind %d", (int) kind);
	}
	return true;
}

/* The text of choices[0].message.content, or NULL (e.g. a tool call). */
static text *
first_content(Jsonb *answer)
{
	JsonbValue *choices = aigw_jsonb_key(&answer->root, "choices");
	JsonbValue *first;
	JsonbValue *content;

	if (!aigw_jsonb_is_array(choices))
		return NULL;
	first = getIthJsonbValueFromContainer(choices->val.binary.data, 0);
	if (!aigw_jsonb_is_object(first))
		return NULL;
	content = aigw_jsonb_path2(first->val.binary.data, "message", "content");
	if (content == NULL || content->type != jbvString)
		return NULL;
	return cstring_to_text_with_len(content->val.string.val, content->val.string.len);
}

bool
aigw_sql_call_finish(const AigwSqlCall *sc, Jsonb *answer, Datum *value, bool *isnull, char **why)
{
	*isnull = false;
	*why = NULL;
	switch (sc->kind)
	{
		case SQL_CALL_ASK:
			{
				text	   *t = first_content(answer);

				*isnull = (t == NULL);
				*value = t ? PointerGetDatum(t) : (Datum) 0;
				return true;
			}
		case SQL_CALL_CHAT:
		case SQL_CALL_AUTO:
			*value = JsonbPGetDatum(answer);
			return true;
		case SQL_CALL_EMBED:
			{
				JsonbValue *data = aigw_embed_answer_vectors(answer, 1, why);
				bool		normalize = false;
				JsonbValue *v = aigw_jsonb_key(&sc->options->root, "normalize");

				if (data == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
							 errmsg("no embedding of the text from model \"%s\"", sc->model),
							 errdetail("%s", *why ? *why : "no answer")));
				if (v != NULL && v->type == jbvBool)
					normalize = v->val.boolean;
				*value = PointerGetDatum(aigw_embed_vector(data, 0, normalize));
				return true;
			}
		default:
			return aigw_semantic_finish(sc, answer, value, isnull, why);
	}
}

void
aigw_sql_call_invalid(const AigwSqlCall *sc, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE),
			 errmsg("the answer of model \"%s\" to %s does not match its schema", sc->model,
					aigw_sql_call_name(sc->kind)),
			 errdetail("%s (the call was sent twice; both answers were logged and charged).", why),
			 errhint("Try another model, or a simpler schema.")));
}

/* ---------------------------------------------------------------------
 * aigw.statement_max_cost: what the call functions of one top-level
 * statement were charged (in the charges' own currencies, as numbers).
 * ---------------------------------------------------------------------
 */
static TimestampTz spend_statement = 0;
static double spend_total = 0;

static void
spend_begin(void)
{
	if (spend_statement != GetCurrentStatementStartTimestamp())
	{
		spend_statement = GetCurrentStatementStartTimestamp();
		spend_total = 0;
	}
}

void
aigw_statement_check_budget(void)
{
	if (aigw_statement_max_cost <= 0)
		return;
	spend_begin();
	if (spend_total > aigw_statement_max_cost)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_LIMIT_EXCEEDED),
				 errmsg("the statement's calls have cost %.6f, over aigw.statement_max_cost (%g)",
						spend_total, aigw_statement_max_cost),
				 errdetail("The calls answered so far were logged and charged; those still in flight were abandoned, and no more were sent."),
				 errhint("Raise aigw.statement_max_cost, or run the statement over fewer rows.")));
}

Numeric
aigw_answer_cost(Jsonb *answer, char **currency)
{
	JsonbValue *cost = aigw_jsonb_path2(&answer->root, "aigw", "cost");

	if (cost == NULL || cost->type != jbvNumeric)
		return NULL;
	if (currency != NULL)
		*currency = aigw_jsonb_cstring(aigw_jsonb_path2(&answer->root, "aigw", "currency"));
	return cost->val.numeric;
}

void
aigw_statement_spend(Jsonb *answer)
{
	Numeric		cost;

	if (aigw_statement_max_cost <= 0)
		return;
	spend_begin();
	if ((cost = aigw_answer_cost(answer, NULL)) != NULL)
		spend_total += DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(cost)));
}

/*
 * The call, its failure given back as NULL (aigw.on_call_error = null):
 * the same guarded steps as a read-ahead call, one in flight.
 */
static Jsonb *
call_or_null(const AigwSqlCall *sc)
{
	AigwCallQueue *q = aigw_queue_create(1);
	AigwQueueEntry *e = aigw_queue_entry(q);
	Jsonb	   *answer = NULL;

	aigw_statement_check_budget();
	PG_TRY();
	{
		aigw_queue_start(q, e, sc->model, sc->payload, sc->options, sc->embed);
		e = aigw_queue_next_done(q, true);
		aigw_pool_make_durable();
	}
	PG_CATCH();
	{
		aigw_queue_abandon(q);
		aigw_queue_destroy(q);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (e->call.result != NULL)
		answer = (Jsonb *) PG_DETOAST_DATUM_COPY(JsonbPGetDatum(e->call.result));
	aigw_queue_destroy(q);
	return answer;
}

Datum
aigw_sql_call_run(AigwSqlCallKind kind, FunctionCallInfo fcinfo)
{
	Datum		args[SQL_CALL_MAX_ARGS];
	bool		nulls[SQL_CALL_MAX_ARGS];
	AigwSqlCall sc;

	aigw_require_preload();
	Assert(PG_NARGS() <= SQL_CALL_MAX_ARGS);
	for (int i = 0; i < PG_NARGS(); i++)
	{
		args[i] = fcinfo->args[i].value;
		nulls[i] = fcinfo->args[i].isnull;
	}
	if (!aigw_sql_call_prepare(kind, PG_NARGS(), args, nulls, &sc))
		PG_RETURN_NULL();
	for (;;)
	{
		Jsonb	   *answer;
		Datum		value;
		bool		isnull;
		char	   *why;

		if (aigw_on_call_error == AIGW_ON_CALL_ERROR_NULL)
		{
			if ((answer = call_or_null(&sc)) == NULL)
				PG_RETURN_NULL();
		}
		else
		{
			aigw_statement_check_budget();
			answer = sc.embed ? aigw_call_embed(sc.model, sc.payload, sc.options)
				: aigw_call_chat(sc.model, sc.payload, sc.options);
		}
		aigw_statement_spend(answer);
		aigw_statement_check_budget();
		if (aigw_sql_call_finish(&sc, answer, &value, &isnull, &why))
		{
			fcinfo->isnull = isnull;
			return value;
		}
		if (sc.resent && aigw_on_call_error == AIGW_ON_CALL_ERROR_NULL)
			PG_RETURN_NULL();
		if (sc.resent)
			aigw_sql_call_invalid(&sc, why);
		aigw_semantic_resend(&sc);
	}
}
