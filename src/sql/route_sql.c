/*
 * route_sql.c
 *	  The SQL-callable functions of routing: aigw.auto, aigw.route_explain,
 *	  aigw.circuit_states (behind the aigw.provider_health view) and
 *	  aigw.reset_circuit.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/settings.h"
#include "batch/sql_call.h"
#include "caller/call.h"
#include "catalog/chat_request.h"
#include "routing/health.h"
#include "routing/route.h"

PG_FUNCTION_INFO_V1(aigw_auto);
PG_FUNCTION_INFO_V1(aigw_route_explain);
PG_FUNCTION_INFO_V1(aigw_circuit_states);
PG_FUNCTION_INFO_V1(aigw_reset_circuit);

Datum
aigw_auto(PG_FUNCTION_ARGS)
{
	return aigw_sql_call_run(SQL_CALL_AUTO, fcinfo);
}

/* The plan a call would get, as JSON: the decision, plus the policy. */
Datum
aigw_route_explain(PG_FUNCTION_ARGS)
{
	char	   *model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	AigwChatInput input;
	AigwRoutePlan plan;

	aigw_require_preload();
	aigw_chat_input_parse(PG_GETARG_JSONB_P(1), PG_GETARG_JSONB_P(2), &input);
	aigw_route_plan(model, &input, &plan);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(aigw_route_plan_json(&plan))));
}

static const char *
state_name(AigwCircuitState state)
{
	switch (state)
	{
		case CIRCUIT_CLOSED:
			return "closed";
		case CIRCUIT_OPEN:
			return "open";
		case CIRCUIT_HALF_OPEN:
			return "half_open";
	}
	return "unknown";
}

static Datum
timestamp_or_null(TimestampTz t, bool *isnull)
{
	*isnull = (t == 0);
	return TimestampTzGetDatum(t);
}

Datum
aigw_circuit_states(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AigwHealthRow *rows;
	int			n;

	aigw_require_preload();
	InitMaterializedSRF(fcinfo, 0);
	n = aigw_health_list(MyDatabaseId, &rows);
	for (int i = 0; i < n; i++)
	{
		AigwHealthRow *r = &rows[i];
		Datum		values[18];
		bool		nulls[18] = {0};

		values[0] = CStringGetTextDatum(r->kind == CIRCUIT_PROVIDER ? "provider" : "model");
		values[1] = CStringGetTextDatum(r->name);
		values[2] = CStringGetTextDatum(state_name(r->state));
		values[3] = Int32GetDatum(r->consecutive_failures);
		values[4] = Int32GetDatum(r->window_requests);
		values[5] = Int32GetDatum(r->window_failures);
		values[6] = Int64GetDatum(r->requests);
		values[7] = Int64GetDatum(r->failures);
		values[8] = Int32GetDatum(r->times_opened);
		values[9] = CStringGetTextDatum(r->last_status);
		nulls[9] = r->last_status[0] == '\0';
		values[10] = Int32GetDatum(r->last_http_status);
		nulls[10] = r->last_http_status <= 0;
		values[11] = CStringGetTextDatum(r->last_error);
		nulls[11] = r->last_error[0] == '\0';
		values[12] = timestamp_or_null(r->last_failure_at, &nulls[12]);
		values[13] = timestamp_or_null(r->last_success_at, &nulls[13]);
		values[14] = timestamp_or_null(r->opened_at, &nulls[14]);
		values[15] = timestamp_or_null(r->next_probe_at, &nulls[15]);
		values[16] = Float8GetDatum(r->latency_ms);
		nulls[16] = r->latency_ms < 0;
		values[17] = Int64GetDatum(r->latency_samples);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
aigw_reset_circuit(PG_FUNCTION_ARGS)
{
	aigw_require_preload();
	PG_RETURN_INT32(aigw_health_reset(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}
