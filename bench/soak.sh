#!/usr/bin/env bash
# The hostile-upstream soak of test/t/soak.sh at scale: N calls (default
# 100,000) through a mock started in its corrupting mode (--corrupt: cut and
# truncated bodies, flipped bytes, wrong JSON types, extreme numbers,
# duplicated keys, invalid UTF-8, \u0000, wrong content types, empty bodies,
# garbage after the JSON, on 75 % of the answers), every protocol at once
# (chat_many on OpenAI, Azure, Anthropic, Gemini and Bedrock, plain and with
# tools; embed_many on OpenAI, Gemini, Bedrock Titan and Cohere), billed to
# one wallet with a small credit limit; the last 5 % with corrupted usage
# only (1e15, -5, 1e308, "12", null, ... in place of the token counts).
# Prints calls/s, the count of each outcome, rows against the mock's
# answers, charges over their reservation, workers restarted, invalid ok
# answers, the wallet against its limit and verify_ledger's result.
#
#   N=20000 bench/soak.sh          fewer calls
#   SEED=7 bench/soak.sh           another corruption seed (the default is 18)
#   WORKERS=1 bench/soak.sh        pool workers (default 2)
# Every session has a statement_timeout (TIMEOUT seconds, default 1800), so
# the run ends by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
SEED=${SEED:-18}
TIMEOUT=${TIMEOUT:-1800}
./scripts/setup.sh >/dev/null
AIGW_RUN=${SOAK_RUN:-/tmp/aigw-bench-soak} AIGW_PORT=${SOAK_PORT:-54425}
source scripts/cluster.sh
trap aigw_cleanup EXIT
# Circuit breakers off: an upstream this broken would have its circuits open
# in seconds, and the calls refused unsent (that is tested in routing.sh).
aigw_start_cluster "aigw.workers = ${WORKERS:-2}" "aigw.circuit_failures = 0" "aigw.circuit_error_rate = 0"
ALL_BUT_USAGE=truncate,cut,flip,type,number,dup_keys,utf8,nul,content_type,empty,garbage
aigw_start_mock --corrupt "$ALL_BUT_USAGE" --corrupt-rate 75 --corrupt-seed "$SEED"
aigw_use_mock postgres >/dev/null

CHAT=$((N * 75 / 100 / 5 * 2 / 3))      # plain calls per chat protocol (and half as many with tools)
EMBED=$((N * 20 / 100 / 4))             # inputs per embedding model
UCHAT=$((N * 4 / 100 / 5 * 2 / 3))      # usage phase: plain calls per chat protocol (and half with tools)
UEMBED=$((N * 1 / 100 / 4))             # usage phase: inputs per embedding model
CHATS="openai azure anthropic gemini bedrock"
EMBEDS="openai/soak-embed gemini/soak-embed bedrock/soak-titan bedrock/soak-cohere"
usage="corrupt=usage&corrupt_rate=75&corrupt_seed=$SEED"

# the same models as test/t/soak.sh: the corruption of the first set is the
# mock's default; the -usage set asks for usage corruption in its model name
psql_q >/dev/null <<SQL
CREATE FUNCTION pg_temp.models(suffix text, directives text) RETURNS void LANGUAGE sql AS \$\$
    INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
           ('openai/soak' || suffix, 'openai', 'gpt-4o-mini' || directives, 64),
           ('azure/soak' || suffix, 'azure', 'soak-deployment' || directives, 64),
           ('anthropic/soak' || suffix, 'anthropic', 'claude-sonnet-4-5' || directives, 64),
           ('gemini/soak' || suffix, 'gemini', 'gemini-2.5-flash' || directives, 64),
           ('bedrock/soak' || suffix, 'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0' || directives, 64);
    INSERT INTO aigw.models (id, provider, upstream_model, kind, dimensions, dimensions_settable,
                             max_inputs_per_request, max_tokens_per_request, context_window)
    SELECT s.id || suffix, m.provider, m.upstream_model || directives, 'embedding', m.dimensions, m.dimensions_settable,
           least(m.max_inputs_per_request, 4), m.max_tokens_per_request, m.context_window
      FROM (VALUES ('openai/soak-embed', 'openai/text-embedding-3-small'), ('gemini/soak-embed', 'gemini/gemini-embedding-001'),
                   ('bedrock/soak-titan', 'bedrock/amazon.titan-embed-text-v2:0'), ('bedrock/soak-cohere', 'bedrock/cohere.embed-english-v3')) s(id, model)
      JOIN aigw.models m ON m.id = s.model;
\$\$;
SELECT pg_temp.models('', '');
SELECT pg_temp.models('-usage', '?$usage');
SELECT aigw.set_price(id, CASE kind WHEN 'chat' THEN 1 ELSE 0.5 END, CASE kind WHEN 'chat' THEN 2 ELSE 0 END)
  FROM aigw.models WHERE id LIKE '%/soak%';
-- a worst case is a few hundred tokens at \$1-2 per million: \$0.0005 a call
-- covers every call, a credit limit of 5 cents no unbounded charge
SELECT aigw.create_wallet('soak', 'USD', credit_limit => 0.05);
SELECT aigw.topup('soak', greatest(1, $N * 0.0005), 'USD', 'bench', 'soak-1');
ALTER DATABASE postgres SET aigw.wallet = 'soak';
CREATE TABLE results (session text, ord int, ok bool, valid bool, error text, invalid text);
SQL
# the pool is up (the answer may be corrupted: that is no matter here)
psql_q -At -c "SELECT aigw.ask('openai/gpt-4o-mini', 'warm up')" >/dev/null 2>&1 || true
pool_before=$(psql_q -At -c "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM aigw.pool_status() WHERE database_name = current_database()")
log_from=$(($(stat -c %s "$AIGW_RUN/server.log") + 1))
curl -s -X POST "http://127.0.0.1:$MOCK_PORT/_mock/reset" >/dev/null

# what test/t/soak.sh checks of an answer returned as ok, on the spot
source test/t/answer_checks.bash
valid=$VALID_CHAT_ANSWER
vvalid=$VALID_VECTOR
prompts() { echo "(SELECT array_agg(jsonb_build_array(jsonb_build_object('role', 'user', 'content', '$1 ' || g)) ORDER BY g) FROM generate_series(1, $2) g)"; }
tools='"tools": [{"type": "function", "function": {"name": "get_weather", "description": "w", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}], "tool_choice": "required"'
opts='"max_tokens": 16, "timeout_ms": 20000, "concurrency": 64'
chat_session() {   # PROTOCOL SUFFIX COUNT
    local keep="error IS NULL, error IS NOT NULL OR ($valid), error, CASE WHEN error IS NULL AND NOT ($valid) THEN response::text END"
    echo "INSERT INTO results SELECT '$1', ord, $keep FROM aigw.chat_many('$1/soak$2', $(prompts "soak $1" "$3"), '{$opts}');
          INSERT INTO results SELECT '$1 tools', ord, $keep FROM aigw.chat_many('$1/soak$2', $(prompts "weather $1" $(($3 / 2))), '{$opts, $tools}');"
}
embed_session() {   # MODEL COUNT
    echo "INSERT INTO results SELECT '$1', ord, error IS NULL, error IS NOT NULL OR ($vvalid), error, CASE WHEN NOT ($vvalid) THEN embedding::text END
            FROM aigw.embed_many('$1', ARRAY(SELECT 'soak text ' || g FROM generate_series(1, $2) g), '{\"timeout_ms\": 20000, \"concurrency\": 32}');"
}
run_sessions() {
    local i=0 pids=() failures=0
    for w in "$@"; do
        i=$((i + 1))
        psql_q -At -c "SET statement_timeout = '${TIMEOUT}s'; $w" >"$AIGW_RUN/soak.$i" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || failures=$((failures + 1)); done
    [ $failures -eq 0 ] || { echo "$failures sessions failed:"; cat "$AIGW_RUN"/soak.*; }
}

echo "== $N calls, corruption seed $SEED (75 % of the answers), ${WORKERS:-2} workers"
t0=$(date +%s%N)
work=()
for p in $CHATS; do work+=("$(chat_session "$p" "" "$CHAT")"); done
for m in $EMBEDS; do work+=("$(embed_session "$m" "$EMBED")"); done
run_sessions "${work[@]}"
t1=$(date +%s%N)
work=()
for p in $CHATS; do work+=("$(chat_session "$p" -usage "$UCHAT")"); done
for m in $EMBEDS; do work+=("$(embed_session "$m-usage" "$UEMBED")"); done
run_sessions "${work[@]}"
t2=$(date +%s%N)

q() { psql_q -At -c "$1"; }
stats=$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/stats")
calls=$(q "SELECT count(*) FROM results")
rows=$(q "SELECT count(*) FROM aigw.requests WHERE requested_model LIKE '%/soak%'")
python3 - "$calls" "$rows" "$t0" "$t1" "$t2" <<'PY'
import sys
calls, rows, t0, t1, t2 = (int(x) for x in sys.argv[1:])
secs = (t2 - t0) / 1e9
print(f"calls: {calls} in {secs:.1f} s = {calls / secs:.0f} calls/s ({rows} upstream requests, {rows / secs:.0f}/s); "
      f"usage phase alone {(t2 - t1) / 1e9:.1f} s")
PY
echo "outcomes (aigw.requests.status): $(q "SELECT string_agg(status || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT status, count(*) n FROM aigw.requests WHERE requested_model LIKE '%/soak%' GROUP BY 1) s")"
echo "call errors by SQLSTATE: $(q "SELECT coalesce(string_agg(e || ' ' || n, ', ' ORDER BY n DESC), 'none') FROM (SELECT coalesce(substring(error FROM 'SQLSTATE (\w+)'), 'none: ' || left(error, 60)) e, count(*) n FROM results WHERE error IS NOT NULL GROUP BY 1) s")"
echo "$stats" | python3 -c "
import json, sys
s = json.load(sys.stdin)
print(f\"mock: {s['requests_total']} requests received, {s['answers_total']} answered, {s['aborted_pending']} aborted by the client; \"
      f\"{s['corrupted_total']} corrupted: \" + ', '.join(f'{k} {v}' for k, v in sorted(s['corrupted_by_kind'].items())))"
mock_requests=$(echo "$stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['requests_total'])")
echo "rows vs mock: $rows aigw.requests rows for $mock_requests requests the mock received ($([ "$rows" = "$mock_requests" ] && echo equal || echo DIFFERENT))"
echo "charges over reservation: $(q "SELECT count(*) || ' requests (of ' || (SELECT count(*) FROM aigw.requests WHERE cost > 0) || ' charged); the largest ' || coalesce(max(cost)::text, '-') || ' USD for ' || coalesce((SELECT reserved FROM aigw.requests WHERE cost > reserved ORDER BY cost DESC LIMIT 1)::text, '-') || ' reserved; ' || coalesce(sum(cost - reserved)::text, '0') || ' USD over in all' FROM aigw.requests WHERE cost > reserved")"
echo "ledger charges over reservation: $(q "SELECT count(*) FROM aigw.ledger l JOIN aigw.requests r ON r.id = l.request_id WHERE l.kind = 'charge' AND -l.amount > r.reserved")"
echo "wallet: $(q "SELECT 'balance ' || aigw.balance('soak') || ' USD, credit limit ' || credit_limit || ': ' || CASE WHEN aigw.balance('soak') >= -credit_limit THEN 'within' ELSE 'PASSED' END FROM aigw.wallets WHERE name = 'soak'")"
echo "verify_ledger: $(q "SELECT coalesce(string_agg(wallet || ': ' || problem, '; '), 'nothing wrong') FROM aigw.verify_ledger()")"
echo "calls returned as ok whose answer is invalid: $(q "SELECT count(*) FILTER (WHERE ok AND NOT valid) || ' of ' || count(*) FILTER (WHERE ok) FROM results")"
q "SELECT session || ' ' || ord || ': ' || left(invalid, 300) FROM results WHERE ok AND NOT valid ORDER BY session, ord LIMIT 5" | sed 's/^/  /'
pool_after=$(q "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM aigw.pool_status() WHERE database_name = current_database()")
restarted=$(python3 -c "import sys; a, b = set(sys.argv[1].split(',')), set(sys.argv[2].split(',')); print(len(a - b))" "$pool_before" "$pool_after")
crashes=$(tail -c +"$log_from" "$AIGW_RUN/server.log" | grep -cE "terminated by signal|was terminated|PANIC|TRAP:|segmentation" || true)
echo "workers restarted: $restarted (pool $pool_before before, $pool_after after); crash lines in the server log: $crashes"
