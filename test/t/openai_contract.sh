#!/usr/bin/env bash
# Contract check: the chat-completions requests aigw sends to an OpenAI-style
# provider are valid against OpenAI's published OpenAPI description
# (test/data/openai-openapi/chat-completions.json, cut by
# scripts/trim_openapi.py).  A validating mock, Prism (@stoplight/prism-cli,
# pinned in test/contract/package-lock.json), serves POST /chat/completions
# and, with --errors, answers 422 to a request whose body, headers or
# security do not match the description.  Prism must be installable: without
# npm or the registry this test fails, it does not skip.
source "$(dirname "$0")/lib.bash"
plan 39

CONTRACT=$AIGW_ROOT/test/contract
SPEC=$AIGW_ROOT/test/data/openai-openapi/chat-completions.json
PRISM=$CONTRACT/node_modules/.bin/prism
STAMP=$CONTRACT/node_modules/.aigw-lock.sha256

# npm ci only when node_modules is not the lock file's (a stamp in node_modules).
lock_sha=$(sha256sum "$CONTRACT/package-lock.json" | cut -d' ' -f1)
t0=$(date +%s%N)
if [ -x "$PRISM" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$lock_sha" ]; then
    echo "# prism already installed from package-lock.json"
    rc=0
else
    if command -v npm >/dev/null; then
        npm ci --prefix "$CONTRACT" --no-audit --no-fund --ignore-scripts --loglevel=error >"$AIGW_RUN/npm-ci.log" 2>&1
        rc=$?
    else
        echo "npm: command not found (scripts/setup.sh installs it)" >"$AIGW_RUN/npm-ci.log"
        rc=127
    fi
    [ $rc -eq 0 ] && echo "$lock_sha" >"$STAMP"
    echo "# npm ci: $((($(date +%s%N) - t0) / 1000000)) ms"
fi
[ $rc -eq 0 ] && [ -x "$PRISM" ]; ok $? "Prism is installed from test/contract/package-lock.json"
if [ $rc -ne 0 ] || [ ! -x "$PRISM" ]; then
    grep -v "^npm error  *at " "$AIGW_RUN/npm-ci.log" | head -12 | sed 's/^/#   /'
    finish
fi
echo "# prism $("$PRISM" --version 2>/dev/null)"

# Prism on a free port of 127.0.0.1 (another process may take the port
# between the probe and the bind: then try another).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
prism_pid=
stop_prism() { [ -n "$prism_pid" ] && kill "$prism_pid" 2>/dev/null; wait "$prism_pid" 2>/dev/null; prism_pid=; }
trap stop_prism EXIT
PRISM_LOG=$AIGW_RUN/prism.log
listening=1
for _ in 1 2 3; do
    PRISM_PORT=$(free_port)
    "$PRISM" mock --host 127.0.0.1 --port "$PRISM_PORT" --errors "$SPEC" >"$PRISM_LOG" 2>&1 &
    prism_pid=$!
    wait_for 60 'grep -q "Prism is listening" "$PRISM_LOG" || ! kill -0 $prism_pid 2>/dev/null'
    if grep -q "Prism is listening" "$PRISM_LOG" && kill -0 $prism_pid 2>/dev/null; then listening=0; break; fi
    stop_prism
done
ok $listening "Prism mocks POST /chat/completions on 127.0.0.1"
if [ $listening -ne 0 ]; then sed 's/^/#   /' "$PRISM_LOG" | tail -20; finish; fi

# The spec's server is https://api.openai.com/v1 and its path /chat/completions;
# Prism serves the paths without the server's /v1, so base_url has none.
fresh_db
sql "INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme)
     VALUES ('contract', 'openai', 'http://127.0.0.1:$PRISM_PORT', 'bearer');
     INSERT INTO aigw.models (id, provider, upstream_model) VALUES
         ('contract/gpt-4o-mini', 'contract', 'gpt-4o-mini'),
         ('contract/o4-mini', 'contract', 'o4-mini');
     SELECT aigw.set_credential('contract', 'sk-contract-test');" >/dev/null

# call MODEL MESSAGES OPTIONS: aigw.chat; prints the answer's choices type or
# the error (VERBOSITY verbose: "ERROR:  SQLSTATE: message").  JSON goes in
# dollar quotes, so it may hold any character but "$m$" and "$o$".
call() {
    "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$T_DB" -c \
        "SELECT jsonb_typeof(aigw.chat('$1', \$m\$$2\$m\$, \$o\$$3\$o\$)->'choices')" 2>&1
}
# Prism's validator lines logged since line $1 of its log
prism_says() { tail -n +"$(($1 + 1))" "$PRISM_LOG" | grep -E "VALIDATOR|NEGOTIATOR" | sed 's/^.*\(VALIDATOR\|NEGOTIATOR\)\] *//'; }

accepted=0
# accepts DESCRIPTION MESSAGES [OPTIONS [MODEL]]: Prism accepts the request aigw sends
accepts() {
    local from out
    from=$(wc -l <"$PRISM_LOG")
    out=$(call "${4:-contract/gpt-4o-mini}" "$2" "${3:-"{}"}")
    is "$out" array "$1"
    if [ "$out" = array ]; then
        accepted=$((accepted + 1))
        prism_says "$from" | grep -E "⚠|✖" | sed 's/^/#   prism: /'
    else
        prism_says "$from" | sed 's/^/#   prism: /'
    fi
}
# rejects DESCRIPTION MESSAGES OPTIONS: Prism refuses it, aigw reports 5G001 / HTTP 422
rejects() {
    local from out
    from=$(wc -l <"$PRISM_LOG")
    out=$(call contract/gpt-4o-mini "$2" "$3")
    echo "$out" | grep -qE '^ERROR: +5G001: provider "contract" returned HTTP (422|400)'
    ok $? "$1"
    echo "$out" | head -3 | sed 's/^/#   aigw: /'
    prism_says "$from" | grep "✖" | head -3 | sed 's/^/#   prism: /'
}

U='[{"role": "user", "content": "Say hi"}]'

accepts "plain text" "$U"
accepts "system + multi-turn" \
    '[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "And again?"}]'
accepts "developer message" '[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}]'
accepts "content parts: text + image_url" \
    '[{"role": "user", "content": [{"type": "text", "text": "What is this?"},
      {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]'

TOOLS='"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                         "additionalProperties": false}, "strict": true}}]'
accepts "tools + tool_choice auto" "$U" "{$TOOLS, \"tool_choice\": \"auto\"}"
accepts "tools + tool_choice required" "$U" "{$TOOLS, \"tool_choice\": \"required\"}"
accepts "tools + tool_choice none" "$U" "{$TOOLS, \"tool_choice\": \"none\"}"
accepts "tools + tool_choice a named function + parallel_tool_calls" "$U" \
    "{$TOOLS, \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}, \"parallel_tool_calls\": false}"
accepts "assistant tool_calls (content null) + tool answer" \
    '[{"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"}]' "{$TOOLS}"
accepts "assistant tool_calls without content" \
    '[{"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "18 C"}]}]' "{$TOOLS}"

accepts "response_format json_object" "$U" '{"response_format": {"type": "json_object"}}'
accepts "response_format json_schema" "$U" \
    '{"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
      "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}}}}'
accepts "response_format text" "$U" '{"response_format": {"type": "text"}}'

accepts "stop as a string" "$U" '{"stop": "\n"}'
accepts "stop as an array" "$U" '{"stop": ["END", "STOP", "\n\n", "###"]}'
accepts "max_tokens, temperature, top_p, n, seed" "$U" \
    '{"max_tokens": 50, "temperature": 0.7, "top_p": 0.9, "n": 2, "seed": 42}'
accepts "max_completion_tokens" "$U" '{"max_completion_tokens": 100, "temperature": 0}'
accepts "user, metadata, store" "$U" '{"user": "user-1234", "metadata": {"team": "a", "job": "enrich"}, "store": false}'
accepts "logprobs + top_logprobs" "$U" '{"logprobs": true, "top_logprobs": 5}'
accepts "presence/frequency penalty, logit_bias" "$U" \
    '{"presence_penalty": 0.5, "frequency_penalty": -0.5, "logit_bias": {"50256": -100}}'
accepts "reasoning_effort, verbosity, service_tier" "$U" \
    '{"reasoning_effort": "low", "verbosity": "low", "service_tier": "auto", "max_completion_tokens": 200}' contract/o4-mini
accepts "prompt_cache_key, safety_identifier" "$U" '{"prompt_cache_key": "k1", "safety_identifier": "u-1"}'
accepts "aigw's own options are accepted (timeout_ms, tags, stream false)" "$U" \
    '{"timeout_ms": 30000, "tags": {"job": "contract"}, "stream": false}'
# Prism accepts fields the description does not name, so whether they were
# sent is read where the same call arrives: the mock, which records bodies.
sql "SELECT aigw.chat('openai/gpt-4o-mini', \$m\$$U\$m\$, '{\"timeout_ms\": 30000, \"tags\": {\"job\": \"contract\"}, \"stream\": false}')" >/dev/null
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests?limit=1" | python3 -c "import json, sys; print(json.dumps(json.load(sys.stdin)[-1]['body'], sort_keys=True))")" \
   '{"messages": [{"content": "Say hi", "role": "user"}], "model": "gpt-4o-mini"}' "... and not sent: the body received has none of them"
accepts "extra_body merged into the body" "$U" '{"extra_body": {"prompt_cache_retention": "24h"}}'

is "$(sql "SELECT count(*) FROM aigw.requests WHERE provider = 'contract' AND status = 'ok' AND http_status = 200")" \
    "$accepted" "every accepted call reached Prism and was answered 200"

# The check bites: Prism refuses what the description forbids.
rejects "negative control: extra_body temperature \"hot\" is refused by Prism (5G001, HTTP 422)" \
    "$U" '{"extra_body": {"temperature": "hot"}}'

# The bearer key is part of the contract (security: ApiKeyAuth, HTTP bearer).
sql "UPDATE aigw.providers SET auth_scheme = 'x-api-key' WHERE name = 'contract'"
out=$(call contract/gpt-4o-mini "$U" '{}')
echo "$out" | grep -qE '^ERROR: +5G002: provider "contract" returned HTTP 401'
ok $? "negative control: the key in another header than Authorization: Bearer is refused (5G002, HTTP 401)"
echo "$out" | head -1 | cut -c1-120 | sed 's/^/#   aigw: /'
sql "UPDATE aigw.providers SET auth_scheme = 'bearer' WHERE name = 'contract'"

# Mistakes the description forbids are never answered: aigw refuses them
# itself (22023) or passes them on and Prism refuses them (5G001).
never() {
    local from out by
    from=$(wc -l <"$PRISM_LOG")
    out=$(call contract/gpt-4o-mini "$2" "${3:-"{}"}")
    if echo "$out" | grep -qE '^ERROR: +22023:'; then by="aigw (22023)"
    elif echo "$out" | grep -qE '^ERROR: +5G001: provider "contract" returned HTTP (422|400)'; then by="Prism (5G001, HTTP 422)"
    fi
    [ -n "$by" ]; ok $? "$1: refused by ${by:-nobody}"
    [ -n "$by" ] || echo "$out" | head -3 | sed 's/^/#   aigw: /'
    prism_says "$from" | grep "✖" | head -2 | sed 's/^/#   prism: /'
}
never "reasoning_effort outside the enum" "$U" '{"reasoning_effort": "extreme"}'
never "response_format json_schema without json_schema" "$U" '{"response_format": {"type": "json_schema"}}'
never "tool_choice object without the function" "$U" "{$TOOLS, \"tool_choice\": {\"type\": \"function\"}}"
never "metadata with a non-string value" "$U" '{"metadata": {"n": 1}}'
never "image_url detail outside the enum" \
    '[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "ultra"}}]}]'
never "a tool message without content" \
    '[{"role": "user", "content": "Hi"}, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c1"}]' "{$TOOLS}"
never "a tool call without arguments" \
    '[{"role": "user", "content": "Hi"}, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
      "function": {"name": "get_weather"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "x"}]' "{$TOOLS}"
never "stop with 5 sequences" "$U" '{"stop": ["a", "b", "c", "d", "e"]}'
never "service_tier outside the enum" "$U" '{"service_tier": "turbo"}'

finish
