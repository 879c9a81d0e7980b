#!/usr/bin/env bash
# aigw.chat_many: many calls of one statement in flight, against the mock.
# Each request of a batch asks the mock for its own behaviour with a
# [[mock:...]] tag in its text (the batch's options are shared).
source "$(dirname "$0")/lib.bash"
export PGOPTIONS="-c aigw.max_retries=2"
fresh_db
plan 33
MODEL=openai/gpt-4o-mini

# rows JSON-TEXTS...: a jsonb[] literal of one-message conversations
rows() {
    local out="ARRAY[" sep=""
    for t in "$@"; do out+="$sep'[{\"role\": \"user\", \"content\": \"$t\"}]'"; sep=", "; done
    echo "$out]::jsonb[]"
}

echo "# answers come back in input order, whatever order they finish in"
mock_reset
texts=()
for i in $(seq 1 12); do texts+=("row $i [[mock:latency_ms=$(( (13 - i) * 40 ))]]"); done
# (WITH ORDINALITY numbers the rows in the order the function returns them)
is "$(sql "SELECT string_agg(ord || '=' || (response->'choices'->0->'message'->>'content' LIKE 'Mock reply to: row ' || ord || ' %'), ' ' ORDER BY emitted)
             FROM aigw.chat_many('$MODEL', $(rows "${texts[@]}"), '{\"concurrency\": 12}') WITH ORDINALITY AS r(ord, response, error, emitted)")" \
   "1=true 2=true 3=true 4=true 5=true 6=true 7=true 8=true 9=true 10=true 11=true 12=true" \
   "12 rows, each with the answer to its own request, returned in input order"
first_done=$(sql "SELECT count(*) FROM aigw.requests WHERE created_at > now() - interval '1 minute'")
is "$first_done" "12" "twelve attempts logged"
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
rs = [r for r in json.load(sys.stdin) if r['path'].endswith('/chat/completions')]
row = lambda r: r['body']['messages'][-1]['content'].split()[1]
first_answer = min(r['answered_at'] for r in rs)
print(all(r['at'] < first_answer for r in rs), ' '.join(row(r) for r in sorted(rs, key=lambda r: r['answered_at'])))")" \
   "True 12 11 10 9 8 7 6 5 4 3 2 1" \
   "all twelve were in flight at once, the slowest (row 1) too, and they finished in reverse input order"

echo "# the concurrency cap holds"
mock_reset
texts=()
for i in $(seq 1 40); do texts+=("cap $i [[mock:latency_ms=300]]"); done
t0=$(date +%s%N)
is "$(sql "SELECT count(response) FROM aigw.chat_many('$MODEL', $(rows "${texts[@]}"), '{\"concurrency\": 8}')")" "40" \
   "40 calls at concurrency 8 all answered"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1500 ] && [ "$ms" -lt 4000 ]; ok $? "in five waves of 300 ms ($ms ms)"
is "$(mock_in_flight /chat/completions)" "8" "the mock had at most 8 requests in flight, and 8 at the peak"
mock_reset
texts=()
for i in $(seq 1 8); do texts+=("default $i [[mock:latency_ms=200]]"); done
is "$(sql "SET aigw.batch_concurrency = 4; SELECT count(response) FROM aigw.chat_many('$MODEL', $(rows "${texts[@]}"))") $(mock_in_flight /chat/completions)" \
   "8 4" "aigw.batch_concurrency is the default: 8 calls, at most 4 in flight"

echo "# a model read earlier in a transaction is read again once a change to it commits"
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('openai/retiring', 'openai', 'gpt-4o-mini')"
sql "BEGIN; SELECT aigw.ask('openai/retiring', 'first'); SELECT pg_sleep(1.5); SELECT aigw.ask('openai/retiring', 'second'); COMMIT" \
    >"$AIGW_RUN/retiring.out" 2>&1 &
bg=$!
sleep 0.7
sql "UPDATE aigw.models SET enabled = false WHERE id = 'openai/retiring'"
wait $bg
grep -q 'Mock reply to: first' "$AIGW_RUN/retiring.out"; ok $? "the first call of the transaction is answered"
grep -q 'model "openai/retiring" is disabled' "$AIGW_RUN/retiring.out"; ok $? "the second, after the model was disabled elsewhere, is refused"

echo "# a failed call is reported in its row; the others go on"
mock_reset
since=$(sql "SELECT now()")
out=$(sql "SELECT ord || '|' || coalesce(response->'aigw'->>'served_model', '-') || '|' || coalesce(error, '-')
             FROM aigw.chat_many('$MODEL',
                  ARRAY['[{\"role\": \"user\", \"content\": \"fine\"}]',
                        '[{\"role\": \"user\", \"content\": \"refused [[mock:status=400]]\"}]',
                        NULL,
                        '[{\"role\": \"robot\", \"content\": \"bad\"}]',
                        '[{\"role\": \"user\", \"content\": \"retried [[mock:status=429&retry_after=1&fail_first=1]]\"}]']::jsonb[])
            ORDER BY ord")
echo "$out" | sed 's/^/#   /'
echo "$out" | sed -n 1p | grep -q "^1|$MODEL|-$"; ok $? "row 1 answered"
echo "$out" | sed -n 2p | grep -q '^2|-|provider "openai" returned HTTP 400 .*(SQLSTATE 5G001)'; ok $? "row 2: the upstream's 400, with its SQLSTATE"
echo "$out" | sed -n 3p | grep -q '^3|-|-$'; ok $? "row 3: a NULL input gives NULLs, as aigw.chat does"
echo "$out" | sed -n 4p | grep -q '^4|-|invalid message at index 0: unknown role "robot" (SQLSTATE 22023)'; ok $? "row 4: invalid messages, refused before sending"
echo "$out" | sed -n 5p | grep -q "^5|$MODEL|-$"; ok $? "row 5: a 429 retried after its Retry-After, then answered"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE created_at >= '$since'")" "4" \
   "four attempts logged: one each for rows 1 and 2, two for row 5, none for rows 3 and 4"
out=$(sql "SELECT ord || '|' || coalesce(error, 'ok')
             FROM aigw.chat_many('$MODEL', $(rows fine 'stuck [[mock:hang=1]]' 'garbled [[mock:malformed=1]]' 'limited [[mock:status=429&retry_after=30]]'),
                                 '{\"timeout_ms\": 600}')
            ORDER BY ord")
echo "$out" | sed -n 1p | grep -q '^1|ok$'; ok $? "beside a hung, a garbled and a rate-limited call, the good one is answered"
echo "$out" | sed -n 2p | grep -q 'timed out.*(SQLSTATE 5G006)'; ok $? "the hung call ends at timeout_ms with 5G006"
echo "$out" | sed -n 3p | grep -q 'unusable answer.*(SQLSTATE 5G008)'; ok $? "the garbled answer is 5G008"
echo "$out" | sed -n 4p | grep -q 'HTTP 429.*(SQLSTATE 5G004).*Not retried'; ok $? "the 429 whose Retry-After outlives timeout_ms is 5G004, not waited for"
err=$(sql "SELECT count(*) FROM aigw.chat_many('$MODEL', $(rows ok 'no [[mock:status=404]]' ok), '{\"on_error\": \"raise\"}')" 2>&1)
echo "$err" | grep -q 'returned HTTP 404'; ok $? "on_error = raise fails the statement with the row's error"
echo "$err" | grep -q 'row 2 of aigw.chat_many'; ok $? "... naming the row"
err=$(sql "SELECT count(*) FROM aigw.chat_many('$MODEL', $(rows a), '{\"concurrency\": 0}')" 2>&1)
echo "$err" | grep -q 'option "concurrency" must be an integer from 1 to 4096'; ok $? "a bad concurrency is refused"
err=$(sql "SELECT count(*) FROM aigw.chat_many('$MODEL', $(rows a), '{\"on_error\": \"ignore\"}')" 2>&1)
echo "$err" | grep -q 'option "on_error" must be "continue" or "raise"'; ok $? "so is an unknown on_error"
err=$(sql "SELECT count(*) FROM aigw.chat_many('$MODEL', ARRAY[ARRAY['[]'::jsonb], ARRAY['[]'::jsonb]])" 2>&1)
echo "$err" | grep -q 'messages must be a one-dimensional array of jsonb'; ok $? "and a two-dimensional array"

echo "# cancelling a batch aborts every call in flight and gives back their reservations"
mock_reset
since=$(sql "SELECT now()")
sql "SELECT aigw.create_wallet('cancel', 'USD')" >/dev/null
sql "SELECT aigw.topup('cancel', 1, 'USD', 'test', 'cancel-1')" >/dev/null
texts=()
for i in $(seq 1 20); do texts+=("slow $i [[mock:latency_ms=5000]]"); done
t0=$(date +%s%N)
sql "SET statement_timeout = '1500ms';
     SELECT count(*) FROM aigw.chat_many('$MODEL', $(rows "${texts[@]}"), '{\"wallet\": \"cancel\", \"max_tokens\": 100}')" \
    >"$AIGW_RUN/cancel.out" 2>&1 &
bg=$!
wait_for 5 "[ \"\$(mock_stat requests_total)\" = 20 ]"
held=$(sql "SELECT calls || ' ' || (reserved_units > 0) FROM aigw.wallet_reservations() r JOIN aigw.wallets w ON w.id = r.wallet_id WHERE w.name = 'cancel'")
wait $bg
ms=$((($(date +%s%N) - t0) / 1000000))
is "$held" "20 true" "while the 20 calls are in flight, the wallet holds 20 reservations"
grep -q "statement timeout" "$AIGW_RUN/cancel.out"; ok $? "statement_timeout ends the batch"
[ "$ms" -lt 3000 ]; ok $? "promptly ($ms ms)"
wait_for 5 "[ \"\$(mock_stat aborted_pending)\" = 20 ]"; ok $? "the mock saw all 20 connections closed"
wait_for 5 "[ \"\$(sql \"SELECT count(*) FROM aigw.requests WHERE status = 'cancelled' AND created_at >= '$since'\")\" = 20 ]"
ok $? "the 20 attempts are logged as cancelled"
is "$(sql "SELECT coalesce(sum(r.reserved_units), 0) || ' ' || aigw.balance('cancel')
             FROM aigw.wallets w LEFT JOIN aigw.wallet_reservations() r ON r.wallet_id = w.id WHERE w.name = 'cancel'")" \
   "0 1.00000000" "no reservation is left behind, and nothing was charged"

echo "# one wallet, a batch bigger than it can pay for: no overspend"
sql "SELECT aigw.create_wallet('small', 'USD')" >/dev/null
sql "SELECT aigw.topup('small', 0.01, 'USD', 'test', 'batch-1')" >/dev/null
sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens)
     VALUES ('openai/pricey', 'openai', 'gpt-4o-mini?completion_tokens=1000', 1000)"
sql "SELECT aigw.set_price('openai/pricey', 1, 1)" >/dev/null     # about \$0.001 a call
texts=()
for i in $(seq 1 30); do texts+=("pay $i"); done
out=$(sql "SELECT count(response), count(error), count(*) FILTER (WHERE error LIKE '%5G020%')
             FROM aigw.chat_many('openai/pricey', $(rows "${texts[@]}"), '{\"wallet\": \"small\", \"concurrency\": 30}')")
IFS='|' read -r answered failed funds <<<"$out"
[ "$answered" -ge 4 ] && [ "$answered" -le 10 ] && [ $((answered + failed)) -eq 30 ] && [ "$funds" -eq "$failed" ]
ok $? "$answered of 30 answered, the other $failed refused for insufficient funds (5G020)"
is "$(sql "SELECT aigw.balance('small') >= 0")" "t" "the balance never goes below the credit limit (0)"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "the ledger balances"

finish
