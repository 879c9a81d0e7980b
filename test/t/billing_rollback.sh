#!/usr/bin/env bash
# Invariant 2: a call the provider answered is charged once, in the worker's
# own transaction, whatever the caller does afterwards (ROLLBACK, an error,
# statement_timeout, pg_cancel_backend).  A call that never got an answer
# charges nothing, and every reservation is released however a call ends.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 17
sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
     ('openai/paid', 'openai', 'gpt-4o-mini?prompt_tokens=100&completion_tokens=100', 100),
     ('openai/hang', 'openai', 'gpt-4o-mini?hang=1', 100)"
# $10 per Mtok in and out: each answered call costs 200 x $10 / 1e6 = $0.002
sql "SELECT aigw.set_price('openai/paid', 10, 10), aigw.set_price('openai/hang', 10, 10)" >/dev/null
sql "SELECT aigw.create_wallet('w', 'USD')" >/dev/null
sql "SELECT aigw.topup('w', 1, 'USD', 'manual', 'seed')" >/dev/null
charges() { sql "SELECT count(*) FROM aigw.ledger WHERE kind = 'charge'"; }
balance() { sql "SELECT aigw.balance('w')"; }
reserved() { sql "SELECT reserved || '|' || calls_in_flight FROM aigw.wallet_status"; }
in_flight() { sql "SELECT calls_in_flight FROM aigw.wallet_status WHERE reserved > 0"; }

# 1. the caller rolls back after a paid call
sql "BEGIN; SET LOCAL aigw.wallet = 'w'; SELECT aigw.ask('openai/paid', 'one'); ROLLBACK;" >/dev/null
is "$(charges)|$(balance)" "1|0.99800000" "ROLLBACK after a paid call: the charge stays, once"

# 2. an error in the caller's statement after the answer
sql "SET aigw.wallet = 'w'; DO \$\$ BEGIN PERFORM aigw.ask('openai/paid', 'two'); RAISE EXCEPTION 'caller fails'; END \$\$" 2>/dev/null
is "$(charges)|$(balance)" "2|0.99600000" "an error after the answer: the charge stays, once"

# 3. statement_timeout fires after the provider answered
sql "SET aigw.wallet = 'w'; SET statement_timeout = '1s'; SELECT aigw.ask('openai/paid', 'three'), pg_sleep(5)" >/dev/null 2>&1
is "$(charges)|$(balance)" "3|0.99400000" "cancelled by statement_timeout after the answer: charged once"

# 4. pg_cancel_backend after the answer, in the middle of a transaction
sql "BEGIN; SET LOCAL aigw.wallet = 'w'; SELECT aigw.ask('openai/paid', 'four cancel-me'), pg_sleep(30); COMMIT;" >/dev/null 2>&1 &
bg=$!
wait_for 10 '[ "$(charges)" = 4 ]'
sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%four cancel-me%' AND pid <> pg_backend_pid()" >/dev/null
wait $bg; rc=$?
[ "$rc" -ne 0 ]; ok $? "the cancelled caller got an error"
is "$(charges)|$(balance)" "4|0.99200000" "pg_cancel_backend after the answer: charged once"

# 5. cancelled before any answer: logged as cancelled, nothing charged, reservation released
sql "SET aigw.wallet = 'w'; SET statement_timeout = '300ms'; SELECT aigw.ask('openai/hang', 'five')" >/dev/null 2>&1
wait_for 5 '[ "$(sql "SELECT count(*) FROM aigw.requests WHERE requested_model = '"'openai/hang'"' AND status = '"'cancelled'"'")" = 1 ]'
ok $? "a call cancelled before its answer is logged as cancelled"
is "$(charges)|$(balance)" "4|0.99200000" "and charges nothing"
wait_for 5 '[ "$(reserved)" = "0.00000000|0" ]'; ok $? "and its reservation is released"

# 6. the caller's backend is terminated while it waits
sql "SET aigw.wallet = 'w'; SELECT aigw.ask('openai/hang', 'six terminate-me')" >/dev/null 2>&1 &
bg=$!
wait_for 5 '[ "$(in_flight)" = 1 ]'; ok $? "a waiting call holds its reservation"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%six terminate-me%' AND pid <> pg_backend_pid()" >/dev/null
wait $bg
wait_for 5 '[ "$(reserved)" = "0.00000000|0" ]'; ok $? "pg_terminate_backend of the caller releases the reservation"

# 7. the worker serving the call is stopped: the attempt is logged as aborted
sql "SET aigw.wallet = 'w'; SELECT aigw.ask('openai/hang', 'seven')" >/dev/null 2>&1 &
bg=$!
wait_for 5 '[ "$(in_flight)" = 1 ]'
sql "SELECT pg_terminate_backend(pid) FROM aigw.pool_status() WHERE database_name = current_database()" >/dev/null
wait $bg
wait_for 5 '[ "$(reserved)" = "0.00000000|0" ]'; ok $? "a stopped worker releases the reservations of its calls"
is "$(sql "SELECT status FROM aigw.requests WHERE requested_model = 'openai/hang' ORDER BY id DESC LIMIT 1")" "aborted" "its attempt is logged as aborted"
is "$(charges)|$(balance)" "4|0.99200000" "and charges nothing"

# Every answered call was charged exactly once, and the books balance.
is "$(sql "SELECT count(*) FROM aigw.requests r JOIN aigw.ledger l ON l.request_id = r.id AND l.kind = 'charge' WHERE r.status = 'ok'")" 4 \
   "the 4 answered calls have one charge each"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE status = 'ok' AND wallet_id IS NOT NULL")" 4 "and there were 4"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"
sql "SELECT aigw.ask('openai/paid', 'after', '{\"wallet\": \"w\"}')" >/dev/null; ok $? "the wallet is usable afterwards"
finish
