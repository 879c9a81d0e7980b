#!/usr/bin/env bash
# The cluster-wide limits hold and are waited on, not overrun: with 16
# request slots, 32 sessions still all get answers (half of them wait for a
# slot, cancellably); with one pool allowed, a second database is told why.
source "$(dirname "$0")/lib.bash"
AIGW_RUN=$AIGW_RUN-limits AIGW_PORT=$((AIGW_PORT + 2))
export PGHOST=$AIGW_RUN PGPORT=$AIGW_PORT
aigw_start_cluster "aigw.request_slots = 16" "aigw.max_databases = 1" "aigw.pool_idle_timeout = 2" "aigw.shared_memory = 8MB"
trap 'aigw_cleanup' EXIT
fresh_db
plan 13
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES
       ('openai/slow', 'openai', 'gpt-4o-mini?latency_ms=400'),
       ('openai/hang', 'openai', 'gpt-4o-mini?hang=1')"

# 1. 32 callers, 16 slots: everyone is answered, in two waves
mock_reset
sessions 32 "SELECT aigw.ask('openai/slow', 'caller {s}')"
is "$session_failures" 0 "32 callers with 16 request slots all got an answer"
echo "# took $session_ms ms for two waves of 400 ms calls"
is "$(mock_in_flight /chat/completions)" 16 "no more than 16 were in flight at once, and 16 at the peak (the mock's count)"

# 2. waiting for a slot is cancellable
for s in $(seq 1 16); do
    sql "SET statement_timeout = '4s'; SELECT aigw.ask('openai/hang', 'hold $s')" >/dev/null 2>&1 &
done
hung() { sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%openai/hang%' AND wait_event = 'Extension' AND pid <> pg_backend_pid()"; }
wait_for 5 '[ "$(hung)" = 16 ]'; ok $? "16 calls hold every slot"
out=$(sql "SET statement_timeout = '300ms'; SELECT aigw.ask('openai/gpt-4o-mini', 'no slot for me')" 2>&1)
echo "$out" | grep -q "canceling statement due to statement timeout"; ok $? "a caller waiting for a slot is cancelled by statement_timeout"
wait
is "$(sql "SELECT aigw.ask('openai/gpt-4o-mini', 'slots are back')")" "Mock reply to: slots are back" "once the holders give up, slots are free again"

# 3. aigw.max_databases = 1: a second database is refused while the first has a pool
other=${T_DB}_2
"$PGBIN/dropdb" --if-exists "$other" 2>/dev/null
"$PGBIN/createdb" "$other" && aigw_use_mock "$other" >/dev/null
out=$(T_DB=$other sql "SELECT aigw.ask('openai/gpt-4o-mini', 'second database')" 2>&1)
echo "$out" | sed 's/^/#   /'
echo "$out" | grep -q "too many databases have an aigw worker pool"; ok $? "a second database is refused with the reason"
echo "$out" | grep -q "HINT:  Raise aigw.max_databases"; ok $? "... and the fix"
pool_of_first() { sql "SELECT count(*) FROM aigw.pool_status()"; }
wait_for 15 '[ "$(pool_of_first)" = 0 ]'; ok $? "the first pool exits when idle"
is "$(T_DB=$other sql "SELECT aigw.ask('openai/gpt-4o-mini', 'second database')")" "Mock reply to: second database" "then the second database gets the pool entry"

# 4. aigw.shared_memory bounds the payloads in flight: a request larger than
# all of it is refused before it is queued
out=$(T_DB=$other sql "SET aigw.max_request_bytes = '16MB'; SELECT aigw.ask('openai/gpt-4o-mini', repeat('x', 10000000))" 2>&1)
echo "$out" | sed 's/^/#   /'
echo "$out" | grep -q "aigw shared memory for requests is exhausted"; ok $? "a request over aigw.shared_memory is refused with the reason"
is "$(T_DB=$other sql "SELECT aigw.ask('openai/gpt-4o-mini', 'small again')")" "Mock reply to: small again" "and nothing is left behind"

# 5. no background worker slot free: the call fails at once and says which setting to raise
echo "max_worker_processes = 1" >> "$AIGW_RUN/data/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -w -m fast restart -l "$AIGW_RUN/server.log" >/dev/null
out=$(T_DB=$other sql "SELECT aigw.ask('openai/gpt-4o-mini', 'no workers')" 2>&1)
echo "$out" | sed 's/^/#   /'
echo "$out" | grep -q "could not start an aigw worker for this database"; ok $? "without a free worker slot the call fails clearly"
echo "$out" | grep -q "HINT:  Raise max_worker_processes"; ok $? "... and names the setting to raise"
finish
