#!/usr/bin/env bash
# statement_timeout and pg_cancel_backend end a call promptly even when the
# provider would take forever; the transfer is aborted (the mock sees the
# connection close) and the attempt is logged as cancelled.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 9
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('openai/hang', 'openai', 'gpt-4o-mini?hang=1')"
sql "CREATE TABLE marks (what text, at timestamptz)"
cancelled_attempts() { sql "SELECT count(*) FROM aigw.requests WHERE requested_model = 'openai/hang' AND status = 'cancelled'"; }
# the mock saw the transfer's connection close, and N attempts are logged as cancelled
closed_and_logged() {			# closed_and_logged N WHAT
    wait_for 5 'test "$(mock_stat aborted_pending)" -ge 1'; ok $? "$2: the provider saw the connection closed"
    wait_for 5 "[ \"\$(cancelled_attempts)\" = $1 ]"; ok $? "$2: the attempt is logged as cancelled"
}
# start a hanging call in the background ($bg), wait until it waits, then run SIGNAL_SQL on its pid
signal_waiting_call() {			# signal_waiting_call CALL_SQL SIGNAL_SQL_WITH_{pid}
    sql "$1" >/dev/null 2>&1 &
    bg=$!
    wait_for 5 '[ -n "$(waiting_pid)" ]'
    sleep 0.3
    sql "${2//\{pid\}/$(waiting_pid)}" >/dev/null
    wait $bg
}
waiting_pid() { sql "SELECT pid FROM pg_stat_activity WHERE query LIKE '%cancel me%' AND pid <> pg_backend_pid() AND wait_event IS NOT NULL"; }

# 1. statement_timeout: the error comes within 100 ms of the timeout
mock_reset
late=$(sql "SET statement_timeout = '300ms';
DO \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM aigw.ask('openai/hang', 'hi');
EXCEPTION WHEN query_canceled THEN
    RAISE NOTICE 'late_ms=%', round(extract(epoch FROM clock_timestamp() - t0) * 1000 - 300);
END \$\$;" 2>&1 | sed -n 's/.*late_ms=\(-*[0-9]*\).*/\1/p')
echo "# statement_timeout fired; the call ended ${late} ms after it"
[ -n "$late" ] && [ "$late" -lt 100 ]; ok $? "statement_timeout ends a hanging call within 100 ms (took ${late} ms)"
closed_and_logged 1 "statement_timeout"

# 2. pg_cancel_backend from another session
mock_reset
signal_waiting_call "DO \$\$
BEGIN
    PERFORM aigw.ask('openai/hang', 'cancel me');
EXCEPTION WHEN query_canceled THEN
    INSERT INTO marks VALUES ('caught', clock_timestamp());
END \$\$;" "INSERT INTO marks VALUES ('signalled', clock_timestamp()); SELECT pg_cancel_backend({pid})"
ms=$(sql "SELECT round(extract(epoch FROM (SELECT at FROM marks WHERE what = 'caught') - (SELECT at FROM marks WHERE what = 'signalled')) * 1000)")
echo "# pg_cancel_backend: the call ended ${ms} ms after the signal"
[ -n "$ms" ] && [ "$ms" -lt 100 ]; ok $? "pg_cancel_backend ends a hanging call within 100 ms (took ${ms} ms)"
closed_and_logged 2 "pg_cancel_backend"

# 3. pg_terminate_backend on the caller: the backend exits (FATAL), and its
# exit callback still gives the call back, so the worker aborts it too.
mock_reset
signal_waiting_call "SELECT aigw.ask('openai/hang', 'cancel me by terminating')" "SELECT pg_terminate_backend({pid})"
closed_and_logged 3 "pg_terminate_backend on the caller"

# 4. after all that, the pool serves calls as usual
is "$(sql "SELECT aigw.ask('openai/gpt-4o-mini', 'still there?')")" "Mock reply to: still there?" "the next call works"
finish
