/*
 * batch_submit.c
 *	  The hand-over of a batch_api job (aigw.enrich or aigw.embed_column
 *	  with the option batch_api): CALL aigw.batch_job_run reads the rows to
 *	  fill, builds each row's request as a direct call would send it, packs
 *	  them into the provider's batch input up to batch_size lines (and the
 *	  provider's own limits), and hands each batch over.  It returns once
 *	  every batch is out; the database's dispatcher polls them and writes
 *	  the answers back (batch_settle.c).
 *
 * Exactly once: a batch's row in aigw.job_batches, with its reservation
 * held on the wallet (wallet_balances.held, which survives a restart where
 * the shared-memory reservations of calls do not), is committed before the
 * batch is created at the provider, and the provider's batch id right
 * after.  A session that dies in between leaves the row "submitting"; the
 * dispatcher then calls it lost and releases its hold, and its rows are
 * not sent again by this job (they stay NULL for a later run).
 *
 * A line's custom_id is the row's address and a fingerprint of its input:
 * "r<block>-<offset>-<md5 of the input, 16 hex>".  The answer is written
 * back only into a row at that address whose target is still NULL and
 * whose input has the same fingerprint, so a row that moved or changed
 * while the batch was out is never given an answer that is not its own.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/itemptr.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "batch/batch_wire.h"
#include "batch/column_job.h"
#include "batch/embed.h"
#include "batch/dispatcher.h"
#include "billing/billing.h"
#include "billing/wallet_cache.h"
#include "catalog/catalog.h"
#include "catalog/chat_request.h"
#include "catalog/embed_request.h"
#include "catalog/quote_cache.h"
#include "common/json_util.h"
#include "common/owner_query.h"
#include "common/settings.h"
#include "providers/provider.h"
#include "routing/route.h"

PG_FUNCTION_INFO_V1(aigw_batch_job_run);

typedef struct BatchJob
{
	AigwColumnJob cj;			/* first: the bookkeeping */
	const char *target_column;	/* quoted */
	const char *target_kind;	/* text, jsonb or vector */
	const char *input_sql;		/* the row's input over alias t */
	const char *model;
	Jsonb	   *options;		/* the call options */
	bool		embedding;
	int			batch_size;
	Jsonb	   *write_back;
	char	   *tags;			/* the calls' tags (JSON), the job's id among them */
	int64		budget;			/* max_cost in ledger units; -1: none */
	/* resolved with the first row */
	bool		resolved;
	AigwTarget	target;
	AigwBatchWire wire;
	const AigwProvider *provider;
	AigwBill	bill;			/* the last line's: who pays, the rates */
	/* the batch being built */
	StringInfoData input;
	int			lines;
	int64		reserve;		/* ledger units, at the batch rates */
	int64		max_input;
	int64		max_output;
	/* the whole job */
	int			seq;
	int64		handed;
	int64		reserved_total;
} BatchJob;

/* ---------------------------------------------------------------------
 * One batch, handed over
 * ---------------------------------------------------------------------
 */

static SPIPlanPtr hold_plan = NULL;
static SPIPlanPtr sent_plan = NULL;
static SPIPlanPtr refused_plan = NULL;
static SPIPlanPtr uncovered_plan = NULL;

/* The batch's row and its hold on the wallet, in one statement. */
static const char *const hold_sql =
"WITH b AS ("
" INSERT INTO aigw.job_batches (job_id, seq, role_oid, provider, model, endpoint, lines, wallet_id,"
"  currency, price_currency, fx, rates, input_bound, output_bound, reserved, write_back, tags)"
" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::numeric, $12::numeric[], $13, $14,"
"  $15::numeric, $16, $17)"
" RETURNING wallet_id, reserved)"
" UPDATE aigw.wallet_balances wb SET held = wb.held + b.reserved, version = wb.version + 1,"
"        updated_at = now()"
"   FROM b WHERE wb.wallet_id = b.wallet_id"
" RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ $18)::int8, wb.version";

static const char *const sent_sql =
"UPDATE aigw.job_batches SET state = 'submitted', upstream_batch_id = $3, input_file_id = $4,"
"       upstream_status = $5, submitted_at = clock_timestamp(), next_poll_at = clock_timestamp()"
" WHERE job_id = $1 AND seq = $2";

/* Refused at hand-over: nothing was sent, the hold goes back, the job fails. */
static const char *const refused_sql =
"WITH b AS ("
" UPDATE aigw.job_batches SET state = 'done', upstream_status = 'refused', error = $3,"
"        ended_at = clock_timestamp()"
"  WHERE job_id = $1 AND seq = $2 RETURNING wallet_id, reserved),"
" j AS (UPDATE aigw.jobs SET state = 'failed', error = $3, finished_at = clock_timestamp(),"
"        updated_at = clock_timestamp() WHERE id = $1)"
" UPDATE aigw.wallet_balances wb SET held = wb.held - b.reserved, version = wb.version + 1,"
"        updated_at = now()"
"   FROM b WHERE wb.wallet_id = b.wallet_id"
" RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ $4)::int8, wb.version";

/*
 * A batch the wallet cannot cover: the job fails, with why, before the
 * error leaves (which would leave its row "running" until the pool calls it
 * interrupted); the batches handed over before still settle.
 */
static const char *const uncovered_sql =
"UPDATE aigw.jobs SET state = 'failed', error = $2, calls_in_flight = $3, finished_at = clock_timestamp(),"
"       updated_at = clock_timestamp() WHERE id = $1";

static char *
rates_array(const AigwQuote *q)
{
	return psprintf("{%s,%s,%s,%s,%s}", q->batch_rate_input, q->batch_rate_output,
					q->batch_rate_cached, q->batch_rate_cache_write, q->batch_rate_reasoning);
}

static void
hand_over(BatchJob *j)
{
	const AigwQuote *q = j->bill.quote;
	bool		billed = j->bill.billed;
	AigwWallet *entry = NULL;
	char	   *batch_id = NULL;
	char	   *file_id = NULL;
	char	   *status = NULL;
	ErrorData  *refusal = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	if (j->lines == 0)
		return;
	aigw_batch_input_end(j->wire, &j->input);
	j->seq++;

	/* the reservation, against what calls in flight hold too */
	if (billed)
	{
		AigwWalletKey key = aigw_wallet_key(j->bill.relid, q->wallet_id);
		int64		balance;
		int64		reserved;

		entry = aigw_wallet_observe(&key, q->balance, q->version);
		if (entry == NULL || !aigw_wallet_reserve(entry, j->reserve, q->credit_limit, &balance, &reserved))
		{
			char	   *message = psprintf("wallet \"%s\" cannot cover batch %d of job " INT64_FORMAT,
										   j->bill.wallet, j->seq, j->cj.job);
			char	   *detail = psprintf("Its %d lines may cost up to %s %s at the batch rate; the balance is %s %s, calls in flight and batches out hold %s %s and the credit limit is %s %s.",
										  j->lines, aigw_units_text(j->reserve, j->bill.scale), j->bill.currency,
										  entry ? aigw_units_text(balance, j->bill.scale) : "?", j->bill.currency,
										  entry ? aigw_units_text(reserved, j->bill.scale) : "?", j->bill.currency,
										  aigw_units_text(q->credit_limit, j->bill.scale), j->bill.currency);
			Oid			types[3] = {INT8OID, TEXTOID, INT4OID};
			Datum		values[3] = {Int64GetDatum(j->cj.job), CStringGetTextDatum(psprintf("%s: %s", message, detail)),
			Int32GetDatum((int32) Min(j->handed, PG_INT32_MAX))};

			aigw_query_rows_as_owner(&uncovered_plan, uncovered_sql, 3, types, values, NULL);
			SPI_commit();
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_INSUFFICIENT_FUNDS),
					 errmsg("%s", message),
					 errdetail("%s", detail),
					 errhint("Top up the wallet, or bound the answers with a lower max_tokens. %s",
							 j->handed > 0 ? psprintf("The %lld rows handed over before are out and will be written back.",
													  (long long) j->handed) : "Nothing was handed over.")));
		}
	}

	/* the batch's row and its durable hold, committed before anything leaves */
	PG_TRY();
	{
		Oid			types[18] = {INT8OID, INT4OID, OIDOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT8OID,
			TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, JSONBOID, JSONBOID, INT4OID};
		Datum		values[18];
		char		nulls[18];

		memset(nulls, ' ', sizeof(nulls));
		values[0] = Int64GetDatum(j->cj.job);
		values[1] = Int32GetDatum(j->seq);
		values[2] = ObjectIdGetDatum(GetUserId());
		values[3] = CStringGetTextDatum(j->target.provider);
		values[4] = CStringGetTextDatum(j->target.model_id);
		values[5] = CStringGetTextDatum(j->embedding ? "embeddings" : "chat");
		values[6] = Int32GetDatum(j->lines);
		values[7] = Int64GetDatum(billed ? q->wallet_id : 0);
		nulls[7] = billed ? ' ' : 'n';
		values[8] = CStringGetTextDatum(j->bill.currency ? j->bill.currency : "");
		nulls[8] = j->bill.currency ? ' ' : 'n';
		values[9] = CStringGetTextDatum(q->price_currency ? q->price_currency : "");
		nulls[9] = q->price_currency ? ' ' : 'n';
		values[10] = CStringGetTextDatum(billed && q->fx_text ? q->fx_text : "");
		nulls[10] = billed && q->fx_text ? ' ' : 'n';
		values[11] = CStringGetTextDatum(q->price_currency ? rates_array(q) : "");
		nulls[11] = q->price_currency ? ' ' : 'n';
		values[12] = Int64GetDatum(j->max_input);
		values[13] = Int64GetDatum(j->max_output);
		nulls[13] = j->max_output >= 0 ? ' ' : 'n';
		values[14] = CStringGetTextDatum(aigw_units_text(billed ? j->reserve : 0, j->bill.scale));
		values[15] = JsonbPGetDatum(j->write_back);
		values[16] = DirectFunctionCall1(jsonb_in, CStringGetDatum(j->tags));
		values[17] = Int32GetDatum(j->bill.scale);
		aigw_query_rows_as_owner(&hold_plan, hold_sql, 18, types, values, nulls);
		aigw_billing_publish_balances();
		/* the dispatcher watches the batch from now on, even if this session dies */
		aigw_dispatcher_expect_work();
		SPI_commit();
	}
	PG_FINALLY();
	{
		if (entry != NULL)
			aigw_wallet_release(entry, j->reserve);
	}
	PG_END_TRY();

	/* now it may leave */
	PG_TRY();
	{
		batch_id = aigw_batch_create(&j->target, j->wire, j->embedding, &j->input, &file_id, &status);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		refusal = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (refusal != NULL)
	{
		Oid			types[4] = {INT8OID, INT4OID, TEXTOID, INT4OID};
		Datum		values[4];

		values[0] = Int64GetDatum(j->cj.job);
		values[1] = Int32GetDatum(j->seq);
		values[2] = CStringGetTextDatum(refusal->detail ? psprintf("%s: %s", refusal->message, refusal->detail)
										: refusal->message);
		values[3] = Int32GetDatum(j->bill.scale);
		aigw_query_rows_as_owner(&refused_plan, refused_sql, 4, types, values, NULL);
		aigw_billing_publish_balances();
		SPI_commit();
		ReThrowError(refusal);
	}
	{
		Oid			types[5] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID};
		Datum		values[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

		values[0] = Int64GetDatum(j->cj.job);
		values[1] = Int32GetDatum(j->seq);
		values[2] = CStringGetTextDatum(batch_id);
		values[3] = CStringGetTextDatum(file_id ? file_id : "");
		nulls[3] = file_id ? ' ' : 'n';
		values[4] = CStringGetTextDatum(status ? status : "");
		nulls[4] = status ? ' ' : 'n';
		aigw_query_rows_as_owner(&sent_plan, sent_sql, 5, types, values, nulls);
		SPI_commit();
	}
	ereport(NOTICE,
			(errmsg("%s job " INT64_FORMAT ": batch %d (%d rows, %s) handed to %s as %s",
					j->cj.what, j->cj.job, j->seq, j->lines,
					billed ? psprintf("up to %s %s held", aigw_units_text(j->reserve, j->bill.scale), j->bill.currency)
					: "nothing held", j->target.provider, batch_id)));
	j->handed += j->lines;
	j->reserved_total += j->reserve;
	resetStringInfo(&j->input);
	j->lines = 0;
	j->reserve = 0;
	j->max_input = 0;
	j->max_output = -1;
}

/* ---------------------------------------------------------------------
 * The rows
 * ---------------------------------------------------------------------
 */

/* The input of a row as a direct call would take it. */
static void
row_input(BatchJob *j, Datum value, AigwChatInput *input, text **as_text)
{
	if (j->embedding)
	{
		text	   *t = (text *) DatumGetPointer(value);

		aigw_embed_input_parse(aigw_embed_texts_json(&t, NULL, 1), j->options, input);
		*as_text = t;
	}
	else
	{
		Jsonb	   *messages = (Jsonb *) DatumGetPointer(value);

		aigw_chat_input_parse(messages, j->options, input);
		*as_text = cstring_to_text(JsonbToCString(NULL, &messages->root, VARSIZE(messages)));
	}
}

/* The first row fixes the model, the provider and its batch API. */
static void
resolve(BatchJob *j, const AigwChatInput *input)
{
	AigwRoutePlan plan;
	StringInfoData why;

	initStringInfo(&why);
	aigw_route_plan(j->model, input, &plan);
	for (int i = 0; i < plan.ncandidates; i++)
	{
		const char *no;

		aigw_resolve_model(plan.candidates[i], &j->target);
		if (aigw_batch_wire_for(&j->target, j->embedding, &j->wire, &no))
		{
			j->provider = j->embedding ? aigw_embedding_provider_for(j->target.api_style)
				: aigw_provider_for_style(j->target.api_style);
			j->resolved = true;
			if (plan.ncandidates > 1)
				ereport(NOTICE,
						(errmsg("%s job " INT64_FORMAT ": \"%s\" resolved to %s for the whole job; fallback does not apply inside a provider batch",
								j->cj.what, j->cj.job, j->model, j->target.model_id)));
			return;
		}
		appendStringInfo(&why, "%s%s: %s", why.len ? "; " : "", plan.candidates[i], no);
	}
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("no candidate of \"%s\" offers a batch API aigw can use", j->model),
			 errdetail("%s.", why.data),
			 errhint("Name a model of an OpenAI or Anthropic provider, or leave out the option batch_api to call the model directly.")));
}

static void
run(void *arg)
{
	BatchJob   *j = arg;
	ItemPointerData tid;
	Datum		value;
	int			max_lines = 0;
	int64		max_bytes = 0;

	/*
	 * What a row needs (its input parsed, its body, its quote) lives until
	 * the next row is taken: memory is one row's, not the job's.  SPI calls
	 * leave their own context current, so the row's is made current again
	 * after each.
	 */
	MemoryContext row_cxt = AllocSetContextCreate(j->cj.cxt, "aigw batch row", ALLOCSET_DEFAULT_SIZES);

	MemoryContextSwitchTo(j->cj.cxt);
	initStringInfo(&j->input);
	j->max_output = -1;
	j->budget = -1;
	while (!j->cj.stop && aigw_column_job_next_row(&j->cj, j->input_sql, j->target_column, &tid, &value))
	{
		AigwChatInput input;
		text	   *as_text;
		StringInfoData url;
		StringInfoData body;
		char	   *custom_id;
		char	   *hash;
		int64		worst;

		MemoryContextReset(row_cxt);
		MemoryContextSwitchTo(row_cxt);
		if (value == (Datum) 0)
			continue;			/* a NULL input: nothing to ask (as a STRICT call) */
		row_input(j, value, &input, &as_text);
		if (!j->resolved)
		{
			MemoryContextSwitchTo(j->cj.cxt);
			resolve(j, &input);
			j->tags = pstrdup(input.tags);
			MemoryContextSwitchTo(row_cxt);
			max_lines = Min(j->batch_size, aigw_batch_wire_max_lines(j->wire));
			max_bytes = aigw_batch_wire_max_bytes(j->wire) - 1024;
		}
		initStringInfo(&url);
		initStringInfo(&body);
		j->provider->build(&j->target, &input, &url, &body);
		aigw_billing_quote(&j->target, &input, body.len, GetCurrentTimestamp(), &j->bill);
		worst = aigw_billing_batch_worst_case(&j->bill);
		if (j->bill.billed && worst < 0)
			elog(ERROR, "no batch rate for model \"%s\"", j->target.model_id);

		hash = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(md5_text, PointerGetDatum(as_text))));
		custom_id = psprintf("r%u-%u-%.16s", ItemPointerGetBlockNumber(&tid),
							 ItemPointerGetOffsetNumber(&tid), hash);

		if (j->lines > 0 && (j->lines >= max_lines || j->input.len + body.len + 256 > max_bytes))
		{
			hand_over(j);
			MemoryContextSwitchTo(row_cxt);
		}
		/* max_cost bounds what the batches may cost at worst */
		if (j->cj.budget != NULL && j->budget < 0)
			j->budget = aigw_units_from_text(DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(j->cj.budget))),
											 j->bill.scale);
		if (j->cj.budget != NULL && worst > 0 && j->reserved_total + j->reserve + worst > j->budget)
		{
			j->cj.stop = true;
			break;
		}
		if (j->lines == 0)
			aigw_batch_input_begin(j->wire, &j->input);
		aigw_batch_input_add(j->wire, &j->input, j->lines == 0, custom_id, j->embedding, body.data, body.len);
		j->lines++;
		j->reserve += Max(worst, 0);
		j->max_input = Max(j->max_input, j->bill.input_bound);
		j->max_output = Max(j->max_output, j->bill.output_bound);
		pfree(DatumGetPointer(value));	/* the job's copy of the row's input */
	}
	hand_over(j);
	j->cj.final_state = j->handed > 0 ? "submitted" : j->cj.stop ? "budget_reached" : "done";
	j->cj.inflight = (int) Min(j->handed, PG_INT32_MAX);
	/* the dispatcher is woken when this commits */
	if (j->handed > 0)
		aigw_dispatcher_expect_work();
}

/* The target column's type as SQL spells it, with its typmod. */
static char *
column_type(Oid relid, const char *column)
{
	HeapTuple	tup = SearchSysCacheAttName(relid, column);
	char	   *type;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "column \"%s\" not found", column);
	type = format_type_with_typemod(((Form_pg_attribute) GETSTRUCT(tup))->atttypid,
									((Form_pg_attribute) GETSTRUCT(tup))->atttypmod);
	ReleaseSysCache(tup);
	return type;
}

/*
 * CALL aigw.batch_job_run(job, source, target_column, target_kind,
 *						   input_sql, model, options, batch_size,
 *						   concurrency (unused), max_cost)
 */
Datum
aigw_batch_job_run(PG_FUNCTION_ARGS)
{
	BatchJob	j;
	char	   *column = text_to_cstring(PG_GETARG_TEXT_PP(2));
	JsonbParseState *ps = NULL;

	memset(&j, 0, sizeof(j));
	aigw_column_job_begin(&j.cj, fcinfo, "batch", "handed over");
	j.cj.what = PG_GETARG_TEXT_PP(3) && strcmp(text_to_cstring(PG_GETARG_TEXT_PP(3)), "vector") == 0
		? "embed" : "enrich";
	j.target_column = quote_identifier(column);
	j.target_kind = text_to_cstring(PG_GETARG_TEXT_PP(3));
	j.embedding = strcmp(j.target_kind, "vector") == 0;
	j.input_sql = text_to_cstring(PG_GETARG_TEXT_PP(4));
	j.model = text_to_cstring(PG_GETARG_TEXT_PP(5));
	j.options = PG_GETARG_JSONB_P_COPY(6);
	j.batch_size = PG_GETARG_INT32(7);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	aigw_push_string(&ps, "source", j.cj.source);
	aigw_push_string(&ps, "target", j.target_column);
	aigw_push_string(&ps, "kind", j.target_kind);
	aigw_push_string(&ps, "type", column_type(j.cj.relid, column));
	aigw_push_string(&ps, "input", j.input_sql);
	aigw_push_bool(&ps, "normalize", j.embedding && aigw_embed_options(j.options).normalize);
	j.write_back = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));

	aigw_column_job_run(&j.cj, run, &j);
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * Cancelling
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(aigw_cancel_job);

static SPIPlanPtr repoll_plan = NULL;

/*
 * SELECT aigw.cancel_job(job): each batch still at the provider is asked
 * to cancel, as the caller (whose row policies say which jobs are theirs);
 * the dispatcher then settles what came back, as for any batch that ends.
 */
Datum
aigw_cancel_job(PG_FUNCTION_ARGS)
{
	int64		job = PG_GETARG_INT64(0);
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(job)};
	int			asked = 0;
	uint64		n;
	char	  **models;
	char	  **ids;
	bool	   *embedding;
	StringInfoData errors;

	aigw_require_preload();
	initStringInfo(&errors);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("UPDATE aigw.jobs SET state = 'cancelled', updated_at = clock_timestamp()"
							  " WHERE id = $1 AND state IN ('running', 'submitted') RETURNING id",
							  1, types, values, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not mark the job cancelled");
	if (SPI_processed == 0 &&
		(SPI_execute_with_args("SELECT 1 FROM aigw.jobs WHERE id = $1", 1, types, values, NULL, true, 1) != SPI_OK_SELECT ||
		 SPI_processed == 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job " INT64_FORMAT " does not exist or role \"%s\" may not cancel it", job,
						GetUserNameFromId(GetUserId(), false)),
				 errhint("SELECT id, state FROM aigw.jobs lists the jobs you can see; a job is cancelled by its own role.")));
	if (SPI_execute_with_args("SELECT b.model, b.upstream_batch_id, b.endpoint = 'embeddings'"
							  "  FROM aigw.job_batches b JOIN aigw.jobs j ON j.id = b.job_id"
							  " WHERE b.job_id = $1 AND b.state = 'submitted' AND j.role_name = CURRENT_USER"
							  " ORDER BY b.seq", 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the job's batches");
	n = SPI_processed;
	models = palloc(sizeof(char *) * (n + 1));
	ids = palloc(sizeof(char *) * (n + 1));
	embedding = palloc(sizeof(bool) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		models[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		ids[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		embedding[i] = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
	}
	for (uint64 i = 0; i < n; i++)
	{
		AigwTarget	target;
		AigwBatchWire wire;
		const char *why;
		char	   *error = NULL;

		aigw_resolve_model(models[i], &target);
		if (!aigw_batch_wire_for(&target, embedding[i], &wire, &why))
			continue;
		if (aigw_batch_cancel_upstream(&target, wire, ids[i], &error))
			asked++;
		else
			appendStringInfo(&errors, "%s%s: %s", errors.len ? "; " : "", ids[i], error);
	}
	/* the dispatcher looks again now */
	aigw_query_rows_as_owner(&repoll_plan,
							 "UPDATE aigw.job_batches SET next_poll_at = clock_timestamp()"
							 " WHERE job_id = $1 AND state = 'submitted'", 1, types, values, NULL);
	SPI_finish();
	if (n > 0)
		aigw_dispatcher_expect_work();
	if (errors.len > 0)
		ereport(WARNING,
				(errmsg("job " INT64_FORMAT ": %d of %d batches could not be cancelled at the provider",
						job, (int) n - asked, (int) n),
				 errdetail("%s.", errors.data),
				 errhint("They run to their end; their answers are written back and charged as usual.")));
	PG_RETURN_INT32(asked);
}
