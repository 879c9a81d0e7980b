#!/usr/bin/env bash
# A hostile upstream (issue 18): a few thousand calls, every protocol aigw
# speaks (OpenAI, Azure, Anthropic, Gemini, Bedrock Converse; embeddings
# by OpenAI, Gemini, Bedrock Titan and Cohere), most of them answered by
# the mock's corrupting mode (test/mock/lib/corrupt.js: cut and truncated
# bodies, flipped bytes, wrong JSON types, extreme numbers, duplicated keys,
# invalid UTF-8, \u0000, wrong content types, empty bodies, garbage after
# the JSON), many in flight at once, billed to one wallet with a small
# credit limit.  Whatever comes back: no worker dies, every attempt has its
# row, no charge exceeds its reservation, the wallet stays within its limit
# and its books balance, nothing aigw returns as ok holds invalid data, and
# each unusable answer is a clear error (5G008), not a crash or a hang.
#
# The corruption of a request depends only on the request and the seed:
# SOAK_SEED=N replays a run (the seed is printed; the mock's recording of a
# request, GET /_mock/requests, names the seed of its corruption, which
# corrupt_replay=SEED replays on its own).  Usage corruption (1e15, -5,
# 1e308, "12", null, ... in the usage) runs last, on its own: an unbounded
# charge would empty the wallet, and every later call be refused unsent.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/answer_checks.bash"
fresh_db
plan 16
SEED=${SOAK_SEED:-18}
CHAT=${SOAK_CHAT:-500}          # plain calls per chat protocol (and half as many with tools)
EMBED=${SOAK_EMBED:-300}        # inputs per embedding model
SCALAR=${SOAK_SCALAR:-100}      # aigw.chat calls one after the other (and as many aigw.anthropic_messages)
USAGE=${SOAK_USAGE:-60}         # calls per protocol and embedding model in the usage phase
echo "# corruption seed $SEED (SOAK_SEED=$SEED replays this run)"

ALL_BUT_USAGE=truncate,cut,flip,type,number,dup_keys,utf8,nul,content_type,empty,garbage
hostile="corrupt=$ALL_BUT_USAGE&corrupt_rate=75&corrupt_seed=$SEED"
usage="corrupt=usage&corrupt_rate=75&corrupt_seed=$SEED"
CHATS="openai azure anthropic gemini bedrock"
EMBEDS="openai/soak-embed gemini/soak-embed bedrock/soak-titan bedrock/soak-cohere"

# One chat model a protocol and phase, the directives riding in the model name
# (the only place every protocol carries them); embedding models copy a
# shipped one's limits, 4 inputs a request (Titan: 1).
models() {   # models SUFFIX DIRECTIVES
    sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
           ('openai/soak$1', 'openai', 'gpt-4o-mini?$2', 64),
           ('azure/soak$1', 'azure', 'soak-deployment?$2', 64),
           ('anthropic/soak$1', 'anthropic', 'claude-sonnet-4-5?$2', 64),
           ('gemini/soak$1', 'gemini', 'gemini-2.5-flash?$2', 64),
           ('bedrock/soak$1', 'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?$2', 64)"
    sql "INSERT INTO aigw.models (id, provider, upstream_model, kind, dimensions, dimensions_settable,
                                  max_inputs_per_request, max_tokens_per_request, context_window)
         SELECT s.id || '$1', m.provider, m.upstream_model || '?$2', 'embedding', m.dimensions, m.dimensions_settable,
                least(m.max_inputs_per_request, 4), m.max_tokens_per_request, m.context_window
           FROM (VALUES ('openai/soak-embed', 'openai/text-embedding-3-small'), ('gemini/soak-embed', 'gemini/gemini-embedding-001'),
                        ('bedrock/soak-titan', 'bedrock/amazon.titan-embed-text-v2:0'), ('bedrock/soak-cohere', 'bedrock/cohere.embed-english-v3')) s(id, model)
           JOIN aigw.models m ON m.id = s.model"
}
models "" "$hostile"
models "-usage" "$usage"
sql "SELECT aigw.set_price(id, CASE kind WHEN 'chat' THEN 1 ELSE 0.5 END, CASE kind WHEN 'chat' THEN 2 ELSE 0 END)
       FROM aigw.models WHERE id LIKE '%/soak%'" >/dev/null
# $1 and a credit limit of 5 cents: every call's worst case (a few hundred
# tokens at $1-2 per million) fits many times over, an unbounded charge does not
sql "SELECT aigw.create_wallet('soak', 'USD', credit_limit => 0.05)" >/dev/null
sql "SELECT aigw.topup('soak', 1, 'USD', 'test', 'soak-1')" >/dev/null
sql "ALTER DATABASE $T_DB SET aigw.wallet = 'soak'"
sql "CREATE TABLE answers (session text, ord int, response jsonb, error text);
     CREATE TABLE vectors (model text, ord int, embedding real[], error text)"

# the pool is up (a clean call), then everything counts from here
sql "SELECT aigw.ask('openai/gpt-4o-mini', 'warm up')" >/dev/null
pids_before=$(sql "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM aigw.pool_status() WHERE database_name = '$T_DB'")
log_from=$(($(stat -c %s "$AIGW_RUN/server.log") + 1))
mock_reset

prompts() { echo "(SELECT array_agg(jsonb_build_array(jsonb_build_object('role', 'user', 'content', '$1 ' || g)) ORDER BY g) FROM generate_series(1, $2) g)"; }
tools='"tools": [{"type": "function", "function": {"name": "get_weather", "description": "w", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}], "tool_choice": "required"'
opts='"max_tokens": 16, "timeout_ms": 20000, "concurrency": 32'
# chat_many a protocol, plain then with tools (tool calls: the blocks the
# translators read); embed_many a model; aigw.chat and the native Anthropic
# surface one call at a time, each error caught as chat_many would report it
chat_session() {   # PROTOCOL SUFFIX COUNT
    echo "INSERT INTO answers SELECT '$1', ord, response, error FROM aigw.chat_many('$1/soak$2', $(prompts "soak $1" "$3"), '{$opts}');
          INSERT INTO answers SELECT '$1 tools', ord, response, error FROM aigw.chat_many('$1/soak$2', $(prompts "weather $1" $(($3 / 2))), '{$opts, $tools}');"
}
embed_session() {   # MODEL COUNT
    echo "INSERT INTO vectors SELECT '$1', ord, embedding, error FROM aigw.embed_many('$1', ARRAY(SELECT 'soak text ' || g FROM generate_series(1, $2) g), '{\"timeout_ms\": 20000, \"concurrency\": 16}');"
}
scalar_session() {   # COUNT
    echo "DO \$\$ DECLARE m text; BEGIN FOR i IN 1..$1 LOOP
            m := (ARRAY['openai','azure','anthropic','gemini','bedrock'])[1 + i % 5] || '/soak';
            BEGIN
              INSERT INTO answers VALUES ('scalar', i, aigw.chat(m,
                  jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'one at a time ' || i)), '{\"max_tokens\": 16, \"timeout_ms\": 20000}'), NULL);
            EXCEPTION WHEN OTHERS THEN INSERT INTO answers VALUES ('scalar', i, NULL, SQLERRM || ' (SQLSTATE ' || SQLSTATE || ')');
            END;
            BEGIN
              INSERT INTO answers VALUES ('native', i, aigw.anthropic_messages(jsonb_build_object('model', m, 'max_tokens', 16,
                  'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'natively ' || i)))), NULL);
            EXCEPTION WHEN OTHERS THEN INSERT INTO answers VALUES ('native', i, NULL, SQLERRM || ' (SQLSTATE ' || SQLSTATE || ')');
            END;
          END LOOP; END \$\$;"
}

# Phase 1: every corruption but the usage's, every protocol at once
work=()
for p in $CHATS; do work+=("$(chat_session "$p" "" "$CHAT")"); done
for m in $EMBEDS; do work+=("$(embed_session "$m" "$EMBED")"); done
work+=("$(scalar_session "$SCALAR")")
run_sessions() {
    local i=0 pids=() t0=$SECONDS
    for w in "$@"; do
        i=$((i + 1))
        "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$T_DB" -c "SET statement_timeout = '300s'; $w" >"$AIGW_RUN/soak.$i" 2>&1 &
        pids+=($!)
    done
    failures=0
    for p in "${pids[@]}"; do wait "$p" || failures=$((failures + 1)); done
    echo "# $# sessions in $((SECONDS - t0)) s, $failures failed"
    [ $failures -eq 0 ] || cat "$AIGW_RUN"/soak.*
    return $failures
}
t0=$(date +%s%N)
run_sessions "${work[@]}"; ok $? "phase 1: every session ended (none hung, none lost its connection)"
# Phase 2: usage corruption alone
work=()
for p in $CHATS; do work+=("$(chat_session "$p" -usage "$USAGE")"); done
for m in $EMBEDS; do work+=("$(embed_session "$m-usage" "$USAGE")"); done
run_sessions "${work[@]}"; ok $? "phase 2 (usage): every session ended"
ms=$((($(date +%s%N) - t0) / 1000000))

calls=$(sql "SELECT (SELECT count(*) FROM answers) + (SELECT count(*) FROM vectors)")
rows=$(sql "SELECT count(*) FROM aigw.requests WHERE requested_model LIKE '%/soak%'")
echo "# $calls calls ($rows upstream requests) in $ms ms: $((rows * 1000 / (ms > 0 ? ms : 1))) requests/s"
echo "# statuses: $(sql "SELECT string_agg(status || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT status, count(*) n FROM aigw.requests WHERE requested_model LIKE '%/soak%' GROUP BY 1) s")"
echo "# mock: $(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/stats" | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['requests_total'], 'requests,', s['answers_total'], 'answered,', s['corrupted_total'], 'corrupted:', ', '.join(f'{k} {v}' for k, v in sorted(s['corrupted_by_kind'].items())))")"

echo "# no worker died"
is "$(sql "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM aigw.pool_status() WHERE database_name = '$T_DB'")" "$pids_before" \
   "the pool's workers are the ones that started ($pids_before)"
crashes=$(tail -c +"$log_from" "$AIGW_RUN/server.log" | grep -E "terminated by signal|was terminated|server process .* (exited|was)|PANIC|TRAP:|segmentation" | head -5)
is "$crashes" "" "the server log shows no crash"

echo "# every attempt has its row"
is "$rows" "$(mock_stat requests_total)" "one aigw.requests row per request the mock received (every status)"
is "$(mock_stat answers_total)" "$(mock_stat requests_total)" "... and the mock answered them all (none was left hanging)"
is "$(sql "SELECT count(*) FROM answers") $(sql "SELECT count(*) FROM vectors")" \
   "$((5 * (CHAT + CHAT / 2) + 2 * SCALAR + 5 * (USAGE + USAGE / 2))) $((4 * EMBED + 4 * USAGE))" "every call came back, answered or failed"

echo "# billing: no charge over its reservation, the wallet within its limit"
over=$(sql "SELECT count(*) || ' (max ' || coalesce(max(cost)::text, '-') || ' charged for ' || coalesce(max(reserved) FILTER (WHERE cost = (SELECT max(cost) FROM aigw.requests))::text, '-') || ' reserved)'
              FROM aigw.requests WHERE cost > reserved")
is "${over%% *}" 0 "no request costs more than it reserved: $over"
is "$(sql "SELECT count(*) FROM aigw.ledger l JOIN aigw.requests r ON r.id = l.request_id WHERE l.kind = 'charge' AND -l.amount > r.reserved")" 0 \
   "no ledger charge exceeds its request's reservation"
balance=$(sql "SELECT aigw.balance('soak')")
is "$(sql "SELECT $balance >= -credit_limit FROM aigw.wallets WHERE name = 'soak'")" t "the wallet is within its credit limit (balance $balance, limit -0.05)"

echo "# what aigw returned as ok is valid"
# An OpenAI-shaped answer: it survives a trip through text, its choices are
# objects with a message whose content is text or null (and tool calls, if
# any, functions with a name and their arguments as text), its usage counts
# are whole numbers (or null), and it names the row that logged it as ok.  A
# native Anthropic one: a message with a list of content blocks.
bad=$(sql "SELECT count(*) FROM answers a WHERE a.error IS NULL AND a.session = 'native' AND NOT (
             a.response::text::jsonb = a.response AND a.response->>'type' = 'message'
         AND jsonb_typeof(a.response->'content') = 'array' AND jsonb_typeof(a.response->'usage'->'input_tokens') = 'number')")
bad=$((bad + $(sql "SELECT count(*) FROM answers a WHERE a.error IS NULL AND a.session <> 'native' AND NOT (
             $VALID_CHAT_ANSWER
         AND EXISTS (SELECT FROM aigw.requests r WHERE r.id = (a.response->'aigw'->>'request_id')::bigint AND r.status = 'ok'))")))
is "$bad" 0 "every answer returned as ok is well-formed"
is "$(sql "SELECT count(*) FROM vectors v WHERE error IS NULL AND (NOT ($VALID_VECTOR)
              OR cardinality(embedding) <> (SELECT mode() WITHIN GROUP (ORDER BY cardinality(w.embedding)) FROM vectors w WHERE w.model = v.model AND w.error IS NULL))")" 0 \
   "every vector returned as ok is finite and as long as its model's others"

echo "# a corrupted answer is a clear error"
echo "# errors: $(sql "SELECT string_agg(e || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT coalesce(substring(error FROM 'SQLSTATE (\w+)'), error) e, count(*) n FROM (SELECT error FROM answers UNION ALL SELECT error FROM vectors) x WHERE error IS NOT NULL GROUP BY 1) s")"
# 5G008 unusable answer; 5G020 refused before sending (the wallet, in the usage phase)
is "$(sql "SELECT count(*) FROM (SELECT error FROM answers UNION ALL SELECT error FROM vectors) x
            WHERE error IS NOT NULL AND coalesce(substring(error FROM 'SQLSTATE (\w+)'), '?') NOT IN ('5G008', '5G020')")" 0 \
   "every failed call is an unusable answer (5G008) or a refusal (5G020), with its SQLSTATE"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE requested_model LIKE '%/soak%' AND NOT (status = 'ok' OR status = 'malformed' AND error <> '' AND http_status = 200)")" 0 \
   "every request is logged ok or malformed (HTTP 200, with its error): no timeout, no abort"
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/stats" | python3 -c "import json,sys; k=json.load(sys.stdin)['corrupted_by_kind']; print(len(k), min(k.values()) > 0)")" "12 True" \
   "the mock used every kind of corruption"
echo "# and the books balance"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"
finish
