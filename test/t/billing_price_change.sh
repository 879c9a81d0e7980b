#!/usr/bin/env bash
# Invariant 5: a charge uses the price in force when the call was made.
# Changing the price mid-run never rewrites a charge, and the statement of
# a closed period reads the same before and after.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 8
sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
     ('openai/m', 'openai', 'gpt-4o-mini?prompt_tokens=100&completion_tokens=1000', 1000),
     ('openai/m-slow', 'openai', 'gpt-4o-mini?prompt_tokens=100&completion_tokens=1000&latency_ms=2000', 1000)"
sql "SELECT aigw.set_price('openai/m', 1, 2), aigw.set_price('openai/m-slow', 1, 2)" >/dev/null   # $0.0021 a call
sql "SELECT aigw.create_wallet('w', 'CNY')" >/dev/null
sql "SELECT aigw.set_fx('USD', 'CNY', 7)" >/dev/null
sql "SELECT aigw.topup('w', 100, 'CNY', 'alipay', 'a-1')" >/dev/null
t0=$(sql "SELECT now()")
for i in 1 2 3; do sql "SELECT aigw.ask('openai/m', 'before $i', '{\"wallet\": \"w\"}')" >/dev/null; done
# A slow call is in flight when the price and the rate change.
sql "SELECT aigw.ask('openai/m-slow', 'in flight', '{\"wallet\": \"w\"}')" >/dev/null &
bg=$!
sleep 0.5
t1=$(sql "SELECT now()")
statement="SELECT line, model, items, amount, currency FROM aigw.statement('w', '$t0', '$t1')"
before=$(sql "$statement")
sql "SELECT aigw.set_price('openai/m', 5, 10), aigw.set_price('openai/m-slow', 5, 10), aigw.set_fx('USD', 'CNY', 8)" >/dev/null
wait $bg
for i in 1 2 3; do sql "SELECT aigw.ask('openai/m', 'after $i', '{\"wallet\": \"w\"}')" >/dev/null; done

is "$(sql "SELECT string_agg(amount::text, ' ' ORDER BY id) FROM aigw.ledger WHERE kind = 'charge' AND model = 'openai/m'")" \
   "-0.01470000 -0.01470000 -0.01470000 -0.08400000 -0.08400000 -0.08400000" \
   "charges before the change at \$0.0021 x 7, after it at \$0.0105 x 8"
is "$(sql "SELECT amount || ' ' || fx_rate FROM aigw.ledger WHERE model = 'openai/m-slow'")" "-0.01470000 7" \
   "the call in flight during the change pays the price and rate of when it was made"
is "$(sql "SELECT count(*) FROM aigw.requests r JOIN aigw.ledger l ON l.request_id = r.id WHERE r.cost <> -l.amount")" 0 \
   "every request's cost is its charge"
is "$before" "opening balance|||100.00000000|CNY
charge|openai/m|3|-0.04410000|CNY
closing balance|||99.95590000|CNY" "the statement of the period before the change: the three calls at the price of then"
is "$(sql "$statement")" "$before" "... is the same after the change"
is "$(sql "SELECT count(*) FROM aigw.prices WHERE model = 'openai/m'")" 2 "the old price is kept, closed"

# One session keeps its quote cached between calls; changes committed by
# another session (also one applying them as logical replication does, with
# session_replication_role = replica), and a scheduled price taking effect,
# apply at once.
other() { echo "\\! \"$PGBIN/psql\" -X -q -At -d $T_DB -c \"$1\" >/dev/null"; }
cost="SELECT aigw.chat('openai/m', '[{\"role\": \"user\", \"content\": \"x\"}]', '{\"wallet\": \"w\"}')->'aigw'->>'cost';"
costs=$("$PGBIN/psql" -X -q -At -d "$T_DB" 2>&1 <<SQL
$cost
$(other "SELECT aigw.set_price('openai/m', 10, 20)")
$cost
$(other "SELECT aigw.set_fx('USD', 'CNY', 9)")
$cost
$(other "SELECT aigw.set_price('openai/m', 1, 1, valid_from => now() + interval '2 seconds')")
$cost
SELECT pg_sleep(2.5);
$cost
$(other "SET session_replication_role = replica; SELECT aigw.set_price('openai/m', 2, 3)")
$cost
$(other "UPDATE aigw.wallets SET enabled = false")
$cost
SQL
)
is "$(echo $costs)" "0.08400000 0.16800000 0.18900000 0.18900000 0.00990000 0.02880000 ERROR: wallet \"w\" is disabled HINT: An administrator can enable it with UPDATE aigw.wallets SET enabled = true WHERE name = 'w'." \
   "a session's cached quote follows price, rate, schedule, replicated and wallet changes"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"
finish
