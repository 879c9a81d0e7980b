#!/usr/bin/env bash
# A pool worker that is terminated or killed: its callers get an error, never
# a hang, and the next call is served by a new worker.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 9
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('openai/hang', 'openai', 'gpt-4o-mini?hang=1')"
sql "SELECT aigw.ask('openai/gpt-4o-mini', 'warm up')" >/dev/null

busy_worker() { sql "SELECT pid FROM aigw.pool_status() WHERE database_name = '$T_DB' AND inflight > 0 LIMIT 1"; }

# 1. pg_terminate_backend (SIGTERM) on the worker serving a call
sql "SET statement_timeout = '30s'; SELECT aigw.ask('openai/hang', 'hi')" >"$AIGW_RUN/kill1.out" 2>&1 &
bg=$!
wait_for 5 'test -n "$(busy_worker)"'; ok $? "a worker has the call in flight"
victim=$(busy_worker)
t0=$SECONDS
sql "SELECT pg_terminate_backend($victim)" >/dev/null
wait $bg
rc=$?
[ $rc -ne 0 ] && [ $((SECONDS - t0)) -lt 5 ]; ok $? "the caller got an error promptly (rc=$rc, $((SECONDS - t0)) s)"
grep -q 'was aborted: the aigw worker was stopped' "$AIGW_RUN/kill1.out"; ok $? "the error says the worker was stopped"
sed 's/^/#   /' "$AIGW_RUN/kill1.out"
is "$(sql "SELECT status FROM aigw.requests WHERE requested_model = 'openai/hang' ORDER BY id DESC LIMIT 1")" "aborted" "the attempt is logged as aborted"
is "$(sql "SELECT aigw.ask('openai/gpt-4o-mini', 'after the kill')")" "Mock reply to: after the kill" "the next call is served"
new_pids=$(sql "SELECT string_agg(pid::text, ',') FROM aigw.pool_status() WHERE database_name = '$T_DB'")
[[ ",$new_pids," != *",$victim,"* ]] && [ -n "$new_pids" ]; ok $? "by a new worker ($victim replaced; pool now $new_pids)"

# 2. SIGKILL: the postmaster treats it as a crash and restarts the server;
# the waiting caller loses its connection with an error instead of hanging.
sql "SET statement_timeout = '30s'; SELECT aigw.ask('openai/hang', 'hi')" >"$AIGW_RUN/kill2.out" 2>&1 &
bg=$!
wait_for 5 'test -n "$(busy_worker)"'
victim=$(busy_worker)
t0=$SECONDS
kill -9 "$victim"
wait $bg
rc=$?
[ $rc -ne 0 ] && [ $((SECONDS - t0)) -lt 10 ]; ok $? "after SIGKILL the caller got an error, not a hang (rc=$rc)"
sed 's/^/#   /' "$AIGW_RUN/kill2.out"
wait_for 30 '"$PGBIN/pg_isready" -q'; ok $? "the server is back after crash recovery"
wait_for 10 'sql "SELECT 1" >/dev/null 2>&1'
is "$(sql "SELECT aigw.ask('openai/gpt-4o-mini', 'after recovery')" 2>&1)" "Mock reply to: after recovery" "calls work again after recovery"
finish
