#!/usr/bin/env bash
# Invariant 4: no caller holds a lock on a wallet.  A long batch (one
# transaction calling the model for 500 rows, then staying open) never
# blocks another session spending from the same wallet; neither does an
# administrator editing the wallet in an open transaction.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 12
sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
     ('openai/batch', 'openai', 'gpt-4o-mini?latency_ms=5&prompt_tokens=10&completion_tokens=10', 100)"
sql "SELECT aigw.set_price('openai/batch', 1, 1)" >/dev/null
sql "SELECT aigw.create_wallet('w', 'USD')" >/dev/null
sql "SELECT aigw.topup('w', 10, 'USD', 'manual', 'seed')" >/dev/null
sql "CREATE TABLE rows_to_enrich AS SELECT i, 'row ' || i AS txt FROM generate_series(1, 500) i"

# The batch: 500 paid calls in one transaction, which then stays open 4 s.
sql "BEGIN; SET LOCAL aigw.wallet = 'w';
     CREATE TABLE enriched AS SELECT i, aigw.ask('openai/batch', txt) AS answer FROM rows_to_enrich;
     SELECT pg_sleep(4); COMMIT;" >/dev/null &
batch=$!
# An administrator edits the wallet and sits on the row lock for 4 s.
sql "BEGIN; UPDATE aigw.wallets SET credit_limit = 1 WHERE name = 'w'; SELECT pg_sleep(6); COMMIT;" >/dev/null &
admin=$!
# Both must be under way before the other session starts, and still after it.
wait_for 10 '[ "$(sql "SELECT count(*) FROM aigw.requests WHERE status = '"'ok'"'")" -ge 50 ]'
ok $? "the batch is under way (50 of its calls answered)"
admin_holding() { sql "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%UPDATE aigw.wallets SET credit_limit%' AND pid <> pg_backend_pid()"; }
wait_for 5 '[ -n "$(admin_holding)" ]'; ok $? "the administrator's transaction has updated the wallet row and holds its lock"
admin_pid=$(admin_holding)

# Meanwhile another session spends from the same wallet, call after call.
slowest=0
waiting=0
for i in $(seq 1 20); do
    t0=$(date +%s%N)
    sql "SELECT aigw.ask('openai/batch', 'other session $i', '{\"wallet\": \"w\"}')" >/dev/null || slowest=99999
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    waiting=$((waiting + $(sql "SELECT count(*) FROM pg_locks WHERE NOT granted")))
done
batch_running=$(kill -0 $batch 2>/dev/null && echo yes || echo no)
echo "# 20 calls from another session while the batch ran: slowest took $slowest ms"
is "$batch_running" "yes" "the batch transaction was still open during those calls"
[ -n "$admin_pid" ] && [ "$(admin_holding)" = "$admin_pid" ]; ok $? "... and so was the administrator's"
[ "$slowest" -lt 1000 ]; ok $? "no call of the other session waited on the batch or the admin (slowest $slowest ms)"
is "$waiting" 0 "no lock waits while the batch and the admin transaction are open (looked for after each call)"
# A top-up goes through at the same time too.
t0=$(date +%s%N)
sql "SELECT aigw.topup('w', 1, 'USD', 'manual', 'during-batch')" >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1000 ]; ok $? "a top-up during the batch is not blocked ($ms ms)"

wait $batch; ok $? "the batch committed"
wait $admin
is "$(sql "SELECT count(*) FROM enriched WHERE answer LIKE 'Mock reply to: row %'")" 500 "all 500 rows were enriched"
is "$(sql "SELECT count(*) FROM aigw.ledger WHERE kind = 'charge'")" 520 "520 calls, 520 charges"
is "$(sql "SELECT aigw.balance('w')")" "10.98960000" "balance: 10 + 1 - 520 x \$0.00002"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"
finish
