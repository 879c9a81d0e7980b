#!/usr/bin/env bash
# Routing against the mock: fallback, retries that honour Retry-After,
# circuit breakers shared by every session, and the meta-models.  Every
# assertion about what was sent is checked on what the mock received.
source "$(dirname "$0")/lib.bash"

# test/run turns retries and breakers off for the error-path tests; here
# they run at their shipped defaults unless a test says otherwise.
export PGOPTIONS="-c aigw.max_retries=2 -c aigw.circuit_failures=5 -c aigw.circuit_error_rate=50"
fresh_db
plan 91

# Interchangeable models on three providers; each has an upstream name of
# its own, so the mock's log says which model a request was for.
sql "INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens, capabilities, quality) VALUES
     ('openai/route-a',   'openai',   'route-a',   128000, 16384, '{tools,json}', 60),
     ('deepseek/route-b', 'deepseek', 'route-b',   128000, 8192,  '{tools,json}', 50),
     ('mistral/route-c',  'mistral',  'route-c',   128000, 8192,  '{json}',       40),
     ('groq/route-tiny',  'groq',     'route-tiny',  2000, 1000,  '{tools,json}', 90)"
sql "SELECT aigw.set_price('openai/route-a', 2, 8), aigw.set_price('deepseek/route-b', 0.5, 2),
            aigw.set_price('mistral/route-c', 0.1, 0.3), aigw.set_price('groq/route-tiny', 0.05, 0.1)" >/dev/null

MSG='[{"role": "user", "content": "hi"}]'
# mock_count NAME: requests the mock received for upstream model NAME (any directives)
mock_count() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
print(sum(1 for r in json.load(sys.stdin)
          if isinstance(r.get('body'), dict) and str(r['body'].get('model', '')).split('?')[0] == '$1'))"
}
# mock_gaps NAME: ms between consecutive requests for NAME, space-separated
mock_gaps() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
at = [r['at'] for r in json.load(sys.stdin)
      if isinstance(r.get('body'), dict) and str(r['body'].get('model', '')).split('?')[0] == '$1']
print(' '.join(str(b - a) for a, b in zip(at, at[1:])))"
}
set_upstream() { sql "UPDATE aigw.models SET upstream_model = '$2' WHERE id = '$1'"; }
# served: the served model of a call, and how many attempts it took
served() { sql "SELECT r->'aigw'->>'served_model', jsonb_array_length(r->'aigw'->'attempts') FROM aigw.chat($1) r"; }

echo "# fallback: A answers 500, B serves the call"
mock_reset
set_upstream openai/route-a 'route-a?status=500'
is "$(served "'openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'")" "deepseek/route-b|2" \
   "the result names B, after two attempts"
is "$(mock_count route-a) $(mock_count route-b)" "1 1" "the mock got one request for A (no same-model retry: there was a fallback) and one for B"
is "$(sql "SELECT string_agg(a->>'attempt' || ':' || (a->>'model') || ':' || (a->>'status') || ':' || coalesce(a->>'http_status', ''), ' ' ORDER BY n)
             FROM aigw.chat('openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}') r,
                  jsonb_array_elements(r->'aigw'->'attempts') WITH ORDINALITY AS l(a, n)")" \
   "1:openai/route-a:http_error:500 2:deepseek/route-b:ok:200" "the answer lists both attempts, the failed one first"
is "$(sql "SELECT string_agg(attempt || ':' || served_model || ':' || status || ':' || coalesce(http_status::text, ''), ' ' ORDER BY attempt)
             FROM aigw.requests WHERE call_id = (SELECT max(call_id) FROM aigw.requests)")" \
   "1:openai/route-a:http_error:500 2:deepseek/route-b:ok:200" "both attempts are logged under one call id"
is "$(sql "SELECT served_model || ' ' || attempts || ' ' || status FROM aigw.calls ORDER BY call_id DESC LIMIT 1")" \
   "deepseek/route-b 2 ok" "aigw.calls answers which model served the call in one query"
is "$(sql "SELECT route->>'strategy' || ' ' || (route->'chosen'->1->>'model') FROM aigw.requests WHERE attempt = 2 ORDER BY id DESC LIMIT 1")" \
   "fallbacks deepseek/route-b" "the routing decision is recorded with the attempts"

echo "# a model the upstream does not know, or an unusable answer, moves on too"
for fault in 'status=404' 'malformed=1' 'truncate=1'; do
    mock_reset
    set_upstream openai/route-a "route-a?$fault"
    is "$(served "'openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'")" "deepseek/route-b|2" \
       "$fault from A: served by B"
    is "$(mock_count route-a)" "1" "... after one request to A"
done
set_upstream openai/route-a 'route-a'

echo "# an answer whose headers are over libcurl's limit is unusable, not a connection error: never sent again"
mock_reset
set_upstream openai/route-a 'route-a?huge_header=200000'
err=$(sql "SELECT aigw.chat('openai/route-a', '$MSG')" 2>&1)
echo "$err" | grep -q "provider \"openai\" sent an unusable answer for model \"openai/route-a\": the answer's headers are over libcurl's size limit (100 KB for one header) (HTTP 200)"
ok $? "the error says the answer's headers are too large"
is "$(sql "SELECT count(*) || ' ' || string_agg(status || ' ' || error, ',') FROM aigw.requests WHERE call_id = (SELECT max(call_id) FROM aigw.requests)")" \
   "1 malformed the answer's headers are over libcurl's size limit (100 KB for one header) (HTTP 200)" "the attempt is logged once, as malformed"
is "$(mock_count route-a)" "1" "... and the mock got one request, with retries on (aigw.max_retries = 2)"
set_upstream openai/route-a 'route-a'
sql "SELECT aigw.reset_circuit('openai/route-a'), aigw.reset_circuit('openai')" >/dev/null

echo "# the call's timeout_ms covers its fallbacks"
mock_reset
set_upstream openai/route-a 'route-a?latency_ms=2000'
t0=$(date +%s%N)
err=$(sql "SELECT aigw.chat('openai/route-a', '$MSG', '{\"timeout_ms\": 400, \"fallbacks\": [\"deepseek/route-b\"]}')" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
echo "$err" | grep -q 'call to "openai/route-a" ran out of its 400 ms after 1 attempts'; ok $? "A times out and leaves no time for B: the call says so"
[ "$ms" -lt 1200 ]; ok $? "... at about 400 ms ($ms ms)"
is "$(mock_count route-b)" "0" "... and B got nothing"
set_upstream openai/route-a 'route-a'

echo "# an invalid request does not hop, unless the route says so"
mock_reset
set_upstream openai/route-a 'route-a?status=400'
err=$(sql "SELECT aigw.chat('openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}')" 2>&1)
echo "$err" | grep -q "returned HTTP 400"; ok $? "a 400 from A fails the call"
is "$(mock_count route-b)" "0" "... and nothing was sent to B"
sql "INSERT INTO aigw.routes (name, strategy, candidates, fallback_on_invalid)
     VALUES ('lenient', 'ordered', '{openai/route-a,deepseek/route-b}', true)"
is "$(served "'route/lenient', '$MSG'")" "deepseek/route-b|2" "a route with fallback_on_invalid moves on to B"
is "$(sql "SELECT requested_model FROM aigw.calls ORDER BY call_id DESC LIMIT 1")" "route/lenient" \
   "the log keeps the route as the requested model"
set_upstream openai/route-a 'route-a'

echo "# retries: Retry-After, retry-after-ms, HTTP dates, backoff, x-should-retry"
mock_reset
set_upstream openai/route-a 'route-a?status=429&retry_after=1&fail_first=1'
is "$(served "'openai/route-a', '$MSG'")" "openai/route-a|2" "a 429 with Retry-After: 1 is retried and served"
gap=$(mock_gaps route-a)
[ "$gap" -ge 1000 ] 2>/dev/null; ok $? "the retry came >= 1 s after the 429 ($gap ms)"
mock_reset
set_upstream openai/route-a 'route-a?status=429&retry_after=1'
t0=$(date +%s%N)
err=$(sql "SELECT aigw.chat('openai/route-a', '$MSG', '{\"timeout_ms\": 300}')" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 900 ]; ok $? "with timeout_ms 300 the call fails fast instead of waiting ($ms ms)"
is "$(mock_count route-a)" "1" "... after one request"
echo "$err" | grep -q "Not retried: the wait of 1000 ms the provider asked for is more than"; ok $? "... and says why it did not retry"
mock_reset
set_upstream openai/route-a 'route-a?status=429&retry_after_ms=200&retry_after=30&fail_first=1'
is "$(served "'openai/route-a', '$MSG'")" "openai/route-a|2" "retry-after-ms wins over Retry-After"
gap=$(mock_gaps route-a)
[ "$gap" -ge 200 ] && [ "$gap" -lt 1500 ]; ok $? "the retry came after 200 ms, not 30 s ($gap ms)"
mock_reset
set_upstream openai/route-a 'route-a?status=503&retry_after_date=1&retry_after=2&fail_first=1'
is "$(served "'openai/route-a', '$MSG'")" "openai/route-a|2" "a 503 with Retry-After as an HTTP date is retried"
gap=$(mock_gaps route-a)
# The date is 1-2 s ahead (whole seconds, so just over 1 s less the transit at
# worst); a backoff would be <= 500 ms, and a misread date past the 60 s cap
# also backs off, so the lower bound is the test. The upper bound allows for a
# loaded CI machine.
[ "$gap" -ge 900 ] && [ "$gap" -le 4000 ]; ok $? "at the date (2 s ahead, whole seconds): $gap ms"
mock_reset
set_upstream openai/route-a 'route-a?status=500&fail_first=2'
is "$(served "'openai/route-a', '$MSG'")" "openai/route-a|3" "two 500s without Retry-After: backoff, then served on the third attempt"
gaps=$(mock_gaps route-a)
read -r g1 g2 <<<"$gaps"
[ "$g1" -ge 375 ] && [ "$g2" -ge 750 ] && [ "$g2" -lt 2000 ]; ok $? "waits of 0.5 s then 1 s, less up to 25 % jitter ($gaps ms)"
mock_reset
set_upstream openai/route-a 'route-a?status=500&should_retry=false'
sql "SELECT aigw.chat('openai/route-a', '$MSG')" >/dev/null 2>&1
is "$(mock_count route-a)" "1" "x-should-retry: false stops the retries"
mock_reset
set_upstream openai/route-a 'route-a?status=400&should_retry=true&fail_first=1'
is "$(served "'openai/route-a', '$MSG'")" "openai/route-a|2" "x-should-retry: true retries even a 400"

echo "# a caller waiting in backoff stays cancellable"
mock_reset
set_upstream openai/route-a 'route-a?status=429&retry_after=30'
t0=$(date +%s%N)
err=$(sql "SET statement_timeout = '700ms'; SELECT aigw.chat('openai/route-a', '$MSG')" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
echo "$err" | grep -q "statement timeout"; ok $? "statement_timeout ends the wait"
[ "$ms" -lt 3000 ]; ok $? "... promptly ($ms ms, the provider asked for 30 s)"
is "$(mock_count route-a)" "1" "... and nothing more was sent"
set_upstream openai/route-a 'route-a'

echo "# circuit breakers: shared by every session, skipped without sending, probed after the cooldown"
mock_reset
BREAKER="-c aigw.circuit_failures=3 -c aigw.circuit_cooldown=2000 -c aigw.max_retries=0"
sql "SELECT aigw.reset_circuit('openai') + aigw.reset_circuit('openai/route-a')" >/dev/null   # the counts of the tests above
set_upstream openai/route-a 'route-a?status=503'
for i in 1 2 3; do
    PGOPTIONS="$PGOPTIONS $BREAKER" served "'openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'" >/dev/null
done
is "$(mock_count route-a)" "3" "three calls: three failures of A (each served by B)"
is "$(sql "SELECT string_agg(kind || ' ' || name || ' ' || state, ', ' ORDER BY kind, name) FROM aigw.provider_health
             WHERE name IN ('openai', 'openai/route-a')")" "model openai/route-a open, provider openai open" \
   "aigw.provider_health: A's model and provider circuits are open"
is "$(sql "SELECT consecutive_failures || ' ' || last_http_status || ' ' || (next_probe_at > now()) FROM aigw.provider_health WHERE name = 'openai/route-a'")" \
   "3 503 true" "... with the failure count, the last status and the next probe time"
for i in 1 2 3; do
    r=$(PGOPTIONS="$PGOPTIONS $BREAKER" served "'openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'")
done
is "$r" "deepseek/route-b|1" "while open, calls go straight to B in one attempt"
is "$(mock_count route-a)" "3" "the mock's counter for A stays still"
is "$(sql "SELECT r->'aigw'->'route'->'skipped_while_calling'->0->>'model' FROM aigw.chat('openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}') r")" \
   "openai/route-a" "the result says A was skipped and why"
err=$(sql "SELECT aigw.chat('openai/route-a', '$MSG')" 2>&1)
echo "$err" | grep -q 'no request was sent for "openai/route-a": the circuit of'; ok $? "a call to A alone fails at once, sending nothing"
"$PGBIN/psql" -X -q -At -v VERBOSITY=verbose -d "$T_DB" -c "SELECT aigw.chat('openai/route-a', '$MSG')" 2>&1 | grep -q "5G012"
ok $? "... with SQLSTATE 5G012"
is "$(mock_count route-a)" "3" "... and the mock still got nothing"
set_upstream openai/route-a 'route-a'
sleep 2.2
is "$(PGOPTIONS="$PGOPTIONS $BREAKER" served "'openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'")" "openai/route-a|1" \
   "after the cooldown a probe goes to A, which has recovered"
is "$(mock_count route-a)" "4" "the mock got the probe"
is "$(sql "SELECT string_agg(state, ' ') FROM aigw.provider_health WHERE name IN ('openai', 'openai/route-a')")" "closed closed" \
   "the probe's success closed both circuits"

echo "# half-open: of many sessions at once, one probes and the others fall back"
set_upstream openai/route-a 'route-a?status=503'
for i in 1 2 3; do
    PGOPTIONS="$PGOPTIONS $BREAKER" served "'openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'" >/dev/null
done
is "$(sql "SELECT state FROM aigw.provider_health WHERE name = 'openai/route-a'")" "open" "A's circuit is open again"
set_upstream openai/route-a 'route-a?latency_ms=500'
sleep 2.2
mock_reset
PGOPTIONS="$PGOPTIONS $BREAKER" sessions 8 "SELECT aigw.chat('openai/route-a', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}')->'aigw'->>'served_model'"
is "$session_failures" "0" "8 sessions called A at once after the cooldown, none failed"
is "$(cat "$AIGW_RUN"/session.* | sort | uniq -c | awk '{print $1 " " $2}' | tr '\n' ' ')" "7 deepseek/route-b 1 openai/route-a " \
   "one was A's probe, the other seven went to B"
is "$(mock_count route-a)" "1" "the mock got exactly one request for A"
set_upstream openai/route-a 'route-a'

echo "# Anthropic's 529 (overloaded) moves on like a 5xx"
sql "INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens)
     VALUES ('anthropic/route-busy', 'anthropic', 'claude-3-5-haiku-20241022?status=529', 200000, 8192)"
is "$(served "'anthropic/route-busy', '$MSG', '{\"fallbacks\": [\"deepseek/route-b\"]}'")" "deepseek/route-b|2" \
   "a 529 from the Messages API falls back to B"
is "$(sql "SELECT http_status || ' ' || error FROM aigw.requests WHERE served_model = 'anthropic/route-busy'")" "529 Overloaded" \
   "the 529 is logged with Anthropic's message"

echo "# error-rate rule: half the requests of a window failing opens the circuit"
mock_reset
RATE="-c aigw.circuit_failures=0 -c aigw.circuit_error_rate=50 -c aigw.circuit_min_requests=4 -c aigw.max_retries=0"
sql "SELECT aigw.reset_circuit('mistral'), aigw.reset_circuit('mistral/route-c')" >/dev/null
for u in 'route-c' 'route-c?status=502' 'route-c' 'route-c?status=502'; do
    set_upstream mistral/route-c "$u"
    PGOPTIONS="$PGOPTIONS $RATE" sql "SELECT aigw.chat('mistral/route-c', '$MSG')" >/dev/null 2>&1
done
is "$(sql "SELECT state || ' ' || window_requests || ' ' || window_failures FROM aigw.provider_health WHERE name = 'mistral/route-c'")" \
   "open 4 2" "2 failures in 4 requests (50 %) opened C's circuit though no two failures were consecutive"
is "$(sql "SELECT state FROM aigw.provider_health WHERE name = 'mistral'")" "open" "... and its provider's"
is "$(sql "SELECT aigw.reset_circuit('mistral/route-c') + aigw.reset_circuit('mistral')")" "2" "aigw.reset_circuit closes them"
is "$(sql "SELECT has_function_privilege('public', 'aigw.reset_circuit(text)', 'execute')")" "f" "PUBLIC may not reset circuits"
set_upstream mistral/route-c 'route-c'

echo "# auto/cheapest under a quality floor"
mock_reset
CANDS='"candidates": ["openai/route-a", "deepseek/route-b", "mistral/route-c"]'
is "$(served "'auto/cheapest', '$MSG', '{$CANDS}'")" "mistral/route-c|1" "without a floor, the cheapest candidate (C)"
is "$(served "'auto/cheapest', '$MSG', '{$CANDS, \"min_quality\": 45}'")" "deepseek/route-b|1" \
   "min_quality 45 leaves out C (40): B is the cheapest above the floor"
sql "SELECT aigw.set_price('deepseek/route-b', 5, 20)" >/dev/null
is "$(served "'auto/cheapest', '$MSG', '{$CANDS, \"min_quality\": 45}'")" "openai/route-a|1" \
   "raising B's price flips the choice to A on the next call"
is "$(sql "SELECT aigw.auto('cheapest', '$MSG', '{$CANDS, \"min_quality\": 45}')->'aigw'->>'served_model'")" "openai/route-a" \
   "aigw.auto('cheapest', ...) is the same"
is "$(mock_count route-c)" "1" "C was called only when no floor kept it out"
sql "SELECT aigw.set_price('deepseek/route-b', 0.5, 2)" >/dev/null
TOOLS='"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]'
is "$(served "'auto/cheapest', '$MSG', '{$CANDS, $TOOLS}'")" "deepseek/route-b|1" \
   "a request with tools skips C, which lacks the tools capability"
is "$(served "'auto/cheapest', '$MSG', '{$CANDS, \"exclude_providers\": [\"mistral\", \"deepseek\"]}'")" "openai/route-a|1" \
   "exclude_providers leaves A"
is "$(served "'auto/best', '$MSG', '{$CANDS, \"max_price_per_mtok\": {\"output\": 2.5}}'")" "deepseek/route-b|1" \
   "auto/best under max_price_per_mtok: B, the best whose output price is within it"
is "$(served "'auto/best', '$MSG', '{$CANDS, \"providers\": [\"mistral\"]}'")" "mistral/route-c|1" \
   "providers narrows the candidates to C"
sql "INSERT INTO aigw.routes (name, strategy, candidates, constraints)
     VALUES ('smart-cheap', 'cheapest', '{openai/route-a,deepseek/route-b,mistral/route-c}', '{\"min_quality\": 45}')"
is "$(served "'route/smart-cheap', '$MSG'")" "deepseek/route-b|1" "a named route ranks its candidates under its constraints"
is "$(served "'route/smart-cheap', '$MSG', '{\"min_quality\": 55}'")" "openai/route-a|1" "... which a call's options override"

echo "# a model whose context window is too small is never chosen"
mock_reset
long=$(python3 -c "print('word ' * 2000)")
is "$(served "'auto/best', '$MSG', '{\"candidates\": [\"groq/route-tiny\", \"openai/route-a\"]}'")" "groq/route-tiny|1" \
   "auto/best picks the tiny-context model (quality 90) for a short prompt"
for i in 1 2 3; do
    r=$(served "'auto/best', '[{\"role\": \"user\", \"content\": \"$long\"}]', '{\"candidates\": [\"groq/route-tiny\", \"openai/route-a\"]}'")
done
is "$r" "openai/route-a|1" "a 10 kB prompt goes to A instead"
is "$(mock_count route-tiny)" "1" "the mock never got the long prompt for the 2,000-token model"
is "$(sql "SELECT aigw.route_explain('auto/best', '[{\"role\": \"user\", \"content\": \"$long\"}]', '{\"candidates\": [\"groq/route-tiny\"]}')" 2>&1 | grep -o "context window of 2000 tokens is too small")" \
   "context window of 2000 tokens is too small" "route_explain says why (here: no model left, an error naming the reason)"

echo "# auto/fastest moves away from a model the mock slows down"
mock_reset
FAST='{"candidates": ["openai/route-a", "deepseek/route-b"]}'
sql "SELECT aigw.chat('openai/route-a', '$MSG'), aigw.chat('deepseek/route-b', '$MSG')" >/dev/null
first=$(sql "SELECT aigw.auto('fastest', '$MSG', '$FAST')->'aigw'->>'served_model'")
other=$([ "$first" = "openai/route-a" ] && echo deepseek/route-b || echo openai/route-a)
up=$(sql "SELECT upstream_model FROM aigw.models WHERE id = '$first'")
set_upstream "$first" "$up?latency_ms=300"
picks=""
for i in 1 2 3 4; do picks="$picks $(sql "SELECT aigw.auto('fastest', '$MSG', '$FAST')->'aigw'->>'served_model'")"; done
is "$picks" " $first $other $other $other" "one slow answer from $first, then every call goes to $other"
is "$(sql "SELECT latency_ms > 50 FROM aigw.provider_health WHERE name = '$first'")" "t" "aigw.provider_health shows the slower estimate"
set_upstream "$first" "$up"

echo "# routing options are checked before anything is sent"
mock_reset
# refused SQL TEXT DESCRIPTION: SQL fails with an error that contains TEXT
refused() { sql "$1" 2>&1 | grep -qF -- "$2"; ok $? "$3"; }
refused "SELECT aigw.chat('openai/route-a', '$MSG', '{\"min_quality\": 50}')" \
    'option "min_quality" needs a meta-model or a route' "a routing option on a plain model is refused"
refused "SELECT aigw.chat('auto/cheapest', '$MSG', '{\"candidates\": [\"openai/nope\"]}')" \
    'model "openai/nope" in option "candidates" is not in the catalogue' "an unknown candidate is refused"
refused "SELECT aigw.chat('auto/cheapest', '$MSG', '{\"capabilities\": [\"telepathy\"]}')" \
    'no model has capability "telepathy"' "an unknown capability is refused"
refused "SELECT aigw.chat('auto/cheapest', '$MSG', '{\"min_quality\": 101}')" \
    'option "min_quality" must be a number from 0 to 100' "min_quality out of range is refused"
refused "SELECT aigw.chat('auto/cheapest', '$MSG', '{$CANDS, \"min_quality\": 99}')" \
    'no model can serve "auto/cheapest"' "no model above the floor: a clear error"
refused "SELECT aigw.chat('route/nope', '$MSG')" \
    'unknown route "nope"' "an unknown route is refused"
refused "SELECT aigw.chat('auto/smartest', '$MSG')" \
    'unknown meta-model "auto/smartest"' "an unknown meta-model is refused"
refused "SELECT aigw.chat('auto/cheapest', '$MSG', '{\"fallbacks\": [\"openai/route-a\"]}')" \
    'option "fallbacks" is for a plain model' "fallbacks on a meta-model are refused"
refused "SELECT aigw.auto('smartest', '$MSG')" \
    'unknown routing strategy "smartest"' "aigw.auto names the strategies"
refused "INSERT INTO aigw.routes (name, strategy, constraints) VALUES ('odd', 'best', '{\"min_qualty\": 5}')" \
    'route "odd" has unknown constraints: min_qualty' "a route with a misspelt constraint is refused"
sql "INSERT INTO aigw.routes (name, candidates, enabled) VALUES ('off', '{openai/route-a}', false)"
refused "SELECT aigw.chat('route/off', '$MSG')" 'route "off" is disabled' "a disabled route is refused"
refused "INSERT INTO aigw.routes (name, candidates) VALUES ('typo', '{openai/route-z}')" \
    'not in the catalogue: "openai/route-z"' "a route naming a model not in the catalogue is refused"
is "$(mock_count route-a)$(mock_count route-b)$(mock_count route-c)" "000" "none of these sent anything"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE created_at > now() - interval '5 seconds' AND requested_model IN ('auto/smartest', 'route/nope')")" "0" \
   "... nor logged anything"

finish
