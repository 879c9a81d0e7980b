#!/usr/bin/env bash
# Invariant 8: a crash loses no served call.  Each case starts a batch of
# slow calls, crashes the server in the middle of it (SIGKILL to a pool
# worker, SIGKILL to the postmaster, an immediate shutdown), brings it back,
# and compares what the mock provider received with what aigw accounts for:
# every request that reached the provider has its row (the attempts still in
# flight become 'unknown' and are charged their reservation), and the
# ledger's charges are the rows' costs.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 37
MODEL=openai/gpt-4o-mini
sql "SELECT aigw.create_wallet('c', 'USD')" >/dev/null
sql "SELECT aigw.topup('c', 100, 'USD', 'test', 'crash-1')" >/dev/null
sql "SELECT aigw.set_price('$MODEL', 1, 2)" >/dev/null

postmaster() { head -1 "$AIGW_RUN/data/postmaster.pid"; }
busy_worker() { sql "SELECT pid FROM aigw.pool_status() WHERE database_name = '$T_DB' AND inflight > 0 LIMIT 1"; }
received() { mock_stat requests_total; }
# the rows that account for a case's attempts, whatever their status
rows_sent() { sql "SELECT count(*) FROM aigw.requests WHERE tags->>'case' = '$1'"; }
pending() { sql "SELECT count(*) FROM aigw.requests WHERE status = 'pending'"; }
server_up() { wait_for 60 '"$PGBIN/pg_isready" -q' && wait_for 20 'sql "SELECT 1" >/dev/null 2>&1'; }

# restart_after_postmaster_kill PID: start the server again once the killed
# postmaster's children have noticed and exited (until then its shared memory
# is in use and a new postmaster refuses to start).  A killed postmaster that
# nothing has reaped yet is a zombie, which still "exists" for the lock file
# check: its stale postmaster.pid is removed.
cluster_processes() {				# the live processes working in the data directory
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/cwd" 2>/dev/null)" = "$AIGW_RUN/data" ] && echo "${p#/proc/}"
    done
}
restart_after_postmaster_kill() {
    local pm=$1 try
    wait_for 30 '[ -z "$(cluster_processes)" ]'
    for try in $(seq 60); do
        if [ "$(ps -o stat= -p "$pm" 2>/dev/null | cut -c1)" = Z ] && [ "$(postmaster)" = "$pm" ] &&
           [ -z "$(cluster_processes)" ]; then
            rm -f "$AIGW_RUN/data/postmaster.pid"
        fi
        as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -l "$AIGW_RUN/server.log" -w -t 60 start >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# start_batch CASE: 600 calls of 300 ms, 64 in flight, in the background
start_batch() {
    sql "SELECT count(*) FROM aigw.chat_many('$MODEL',
           array(SELECT ('[{\"role\": \"user\", \"content\": \"call ' || i || ' [[mock:latency_ms=300]]\"}]')::jsonb
                   FROM generate_series(1, 600) i),
           '{\"wallet\": \"c\", \"max_tokens\": 5, \"concurrency\": 64, \"tags\": {\"case\": \"$1\"}}')" \
        >"$AIGW_RUN/crash.$1.out" 2>&1 &
    batch_pid=$!
}

# check_case CASE: a call starts the pool (which resolves what the dead
# workers left), then every sent attempt is accounted for
check_case() {
    local c=$1 got sent pending
    server_up; ok $? "$c: the server is back"
    is "$(sql "SELECT aigw.ask('$MODEL', 'after $c', '{\"wallet\": \"c\"}')")" "Mock reply to: after $c" "$c: calls work again"
    wait_for 20 '[ "$(pending)" = 0 ]'
    ok $? "$c: nothing is left pending once the pool has started"
    got=$(received)
    sent=$(rows_sent "$c")
    echo "# $c: the mock received $got requests; aigw accounts for $sent sent attempts"
    [ "$got" -gt 64 ] && [ "$got" -lt 600 ]; ok $? "$c: the crash came in the middle of the batch ($got of 600 received)"
    [ "$sent" -ge "$((got - 1))" ]; ok $? "$c: every request the provider received has its row (received $got, rows $sent)"
    # the one extra request the mock saw is the call after the restart
    [ "$sent" -le "$((got - 1 + 64))" ]; ok $? "$c: rows beyond what the mock received are at most what was in flight"
    is "$(sql "SELECT count(*) > 0 FROM aigw.requests WHERE tags->>'case' = '$c' AND status = 'unknown'
                AND cost = reserved AND error LIKE '%charged its reservation%'")" "t" \
       "$c: the calls in flight are logged as unknown and charged their reservation"
    is "$(sql "SELECT count(*) FROM aigw.requests r WHERE tags->>'case' = '$c' AND r.cost > 0
                AND NOT EXISTS (SELECT 1 FROM aigw.ledger l WHERE l.request_id = r.id AND l.kind = 'charge' AND l.amount = -r.cost)")" "0" \
       "$c: every costed row has its charge in the ledger"
    is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "$c: verify_ledger finds nothing wrong"
}

echo "# 1. SIGKILL of the pool worker that has the calls in flight"
mock_reset
start_batch worker
wait_for 20 '[ "$(received)" -ge 150 ]'; ok $? "worker: the batch is under way"
victim=$(busy_worker)
kill -9 "$victim"
wait $batch_pid
sed 's/^/#   /' "$AIGW_RUN/crash.worker.out"
check_case worker

echo "# 2. SIGKILL of the postmaster during an enrich job"
sql "CREATE TABLE docs (id int PRIMARY KEY, body text, summary text)"
sql "INSERT INTO docs SELECT i, 'doc ' || i, NULL FROM generate_series(1, 3000) i"
mock_reset
sql "CALL aigw.enrich('docs', 'summary', 'Summarize: {{body}} [[mock:latency_ms=200]]', '$MODEL',
       '{\"wallet\": \"c\", \"max_tokens\": 5, \"concurrency\": 64, \"tags\": {\"case\": \"postmaster\"}}')" \
    >"$AIGW_RUN/crash.postmaster.out" 2>&1 &
batch_pid=$!
wait_for 30 '[ "$(received)" -ge 300 ]'; ok $? "postmaster: the job is under way"
# The job's session dies with the postmaster, as in a power cut: left to
# itself, a backend may go on after the postmaster's death long enough to
# fail the job's remaining rows and mark it done.
pm=$(postmaster)
job_backend=$(sql "SELECT backend_pid FROM aigw.jobs WHERE state = 'running' ORDER BY id DESC LIMIT 1")
kill -9 "$pm" $job_backend
wait $batch_pid
restart_after_postmaster_kill "$pm"
check_case postmaster
is "$(sql "SELECT state || ' ' || calls_in_flight FROM aigw.jobs ORDER BY id DESC LIMIT 1")" "interrupted 0" \
   "postmaster: the job the crash stopped is marked interrupted, nothing in flight"
filled=$(sql "SELECT count(*) FROM docs WHERE summary IS NOT NULL")
answered=$(sql "SELECT count(*) FROM aigw.requests WHERE tags->>'case' = 'postmaster' AND status = 'ok'")
[ "$filled" -le "$answered" ]; ok $? "postmaster: every filled row has its logged call ($filled filled, $answered ok)"

echo "# 3. pg_ctl stop -m immediate"
mock_reset
start_batch immediate
wait_for 20 '[ "$(received)" -ge 150 ]'; ok $? "immediate: the batch is under way"
as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -m immediate -w stop >/dev/null
wait $batch_pid
as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -l "$AIGW_RUN/server.log" -w -t 60 start >/dev/null
check_case immediate

echo "# 4. a request whose row cannot be made durable is not sent"
sql "CREATE FUNCTION refuse_pending() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'no pending rows today'; END\$\$"
sql "CREATE TRIGGER refuse_pending BEFORE INSERT ON aigw.requests FOR EACH ROW
       WHEN (NEW.status = 'pending') EXECUTE FUNCTION refuse_pending()"
mock_reset
sql "SELECT aigw.ask('$MODEL', 'unrecorded', '{\"wallet\": \"c\", \"tags\": {\"case\": \"unrecorded\"}}')" \
    >"$AIGW_RUN/crash.unrecorded.out" 2>&1
grep -q 'could not record the call before sending it' "$AIGW_RUN/crash.unrecorded.out"
ok $? "unrecorded: the call fails, saying its row could not be recorded"
sed 's/^/#   /' "$AIGW_RUN/crash.unrecorded.out"
is "$(received)" 0 "unrecorded: nothing reached the provider"
is "$(sql "SELECT status || ' ' || (coalesce(cost, 0) = 0) || ' ' || NOT EXISTS (SELECT 1 FROM aigw.ledger l WHERE l.request_id = r.id)
            FROM aigw.requests r WHERE tags->>'case' = 'unrecorded'")" "aborted true true" \
   "unrecorded: its attempt is logged as aborted, and costs nothing"
sql "DROP TRIGGER refuse_pending ON aigw.requests"
is "$(sql "SELECT aigw.ask('$MODEL', 'recorded again', '{\"wallet\": \"c\"}')")" "Mock reply to: recorded again" \
   "unrecorded: once rows can be recorded, calls go out again"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "unrecorded: verify_ledger finds nothing wrong"
finish
