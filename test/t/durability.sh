#!/usr/bin/env bash
# Invariants 2 and 8: nothing anyone has seen is lost in a crash.  A call's
# row is inserted pending and flushed before its request leaves (intent.c);
# the settle commit that completes it is not waited for, so a crash may undo
# it, and then start-up's rule accounts for the call (unknown, charged its
# reservation).  A top-up has no such row: whoever hands its outcome out
# flushes first (aigw_pool_make_durable).  Here nothing else flushes: the
# database commits asynchronously, the caller's own transaction writes
# nothing, and the WAL writer is stopped (SIGSTOP).  Each case takes an
# answer, then crashes the server (SIGKILL to the WAL writer: the postmaster
# kills everything and recovers from WAL), starts the pool again and looks
# for the rows.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 12
sql "SELECT aigw.create_wallet('d', 'USD')" >/dev/null
sql "SELECT aigw.topup('d', 10, 'USD', 'test', 'durability-1')" >/dev/null
sql "ALTER DATABASE $T_DB SET synchronous_commit = off"
sql "ALTER ROLE CURRENT_USER IN DATABASE $T_DB SET aigw.wallet = 'd'"

walwriter() { pgrep -P "$(head -1 "$AIGW_RUN/data/postmaster.pid")" -f 'walwriter'; }

# stop_walwriter PID: SIGSTOP the WAL writer while it sleeps.  Stopped in the
# middle of a flush it would hold WALWriteLock, and every XLogFlush (the very
# one under test) would wait for it forever.  Its wait event is WalWriterMain
# only inside its idle wait, where it holds no lock; a stopped process's wait
# event cannot change, so one read after the stop settles it.
stop_walwriter() {
    local try
    for try in $(seq 200); do
        kill -STOP "$1"
        [ "$(sql "SELECT wait_event FROM pg_stat_activity WHERE pid = $1")" = WalWriterMain ] && return 0
        kill -CONT "$1"
        sleep 0.05
    done
    return 1
}

# crash_after SQL: run SQL with the WAL writer stopped, then crash and recover.
# A watchdog lets the WAL writer go on after 60 s, so a flush that waits for it
# fails the case instead of hanging the run.
crash_after() {
    local w pid rc late=0
    w=$(walwriter)
    stop_walwriter "$w" || { echo "# the WAL writer never sat in its idle wait"; return 1; }
    sql "$1" >"$AIGW_RUN/durability.out" 2>&1 &
    pid=$!
    if ! wait_for 60 '! kill -0 $pid 2>/dev/null'; then
        echo "# still waiting after 60 s with the WAL writer stopped"
        kill -CONT "$w"
        late=1
    fi
    wait $pid
    rc=$?
    kill -KILL "$w"
    sleep 0.5
    wait_for 30 '"$PGBIN/pg_isready" -q' && wait_for 10 'sql "SELECT 1" >/dev/null 2>&1'
    [ $late -eq 0 ] && return $rc
}

# the answered calls' rows (ok, or unknown once a crash undid the settle)
# and their charges, leaving out the calls that wake the pool
counts() { sql "SELECT (SELECT count(*) FROM aigw.requests WHERE status IN ('ok', 'unknown') AND NOT tags ? 'wake')
                 || ' ' || (SELECT count(*) FROM aigw.ledger l JOIN aigw.requests r ON r.id = l.request_id
                             WHERE l.kind = 'charge' AND NOT r.tags ? 'wake') || ' ' || aigw.balance('d')"; }
pending() { sql "SELECT count(*) FROM aigw.requests WHERE status = 'pending'"; }
# a call starts the pool, which resolves what the crash left pending
wake() {
    sql "SELECT aigw.ask('openai/gpt-4o-mini', 'wake', '{\"tags\": {\"wake\": 1}}')" >/dev/null &&
        wait_for 20 '[ "$(pending)" = 0 ]'
}

[ -n "$(walwriter)" ]; ok $? "the cluster's WAL writer is found"

# 1. one call
crash_after "SELECT aigw.ask('openai/gpt-4o-mini', 'durable one')"; ok $? "aigw.ask answered before the crash"
wake; ok $? "the pool starts again and leaves nothing pending"
read -r req chg bal < <(counts)
is "$req $chg" "1 1" "after recovery its log row and its charge are there"
is "$(sql "SELECT aigw.balance('d') = 10 - (SELECT sum(cost) FROM aigw.requests)")" t \
   "... and the wallet's balance has the charge ($bal)"

# 2. a batch
crash_after "SELECT 1 / (count(*) FILTER (WHERE error IS NULL) / 20) FROM aigw.chat_many('openai/gpt-4o-mini',
               ARRAY(SELECT jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'many ' || g))
                       FROM generate_series(1, 20) g))"; ok $? "chat_many answered all 20 before the crash"
wake; ok $? "the pool starts again and leaves nothing pending"
read -r req chg bal < <(counts)
is "$req $chg" "21 21" "after recovery all 20 log rows and charges are there"

# 3. a top-up (a ledger movement settled by a worker)
crash_after "SELECT aigw.topup('d', 5, 'USD', 'test', 'durability-2')"; ok $? "the top-up returned before the crash"
is "$(sql "SELECT count(*) FROM aigw.ledger WHERE external_ref = 'durability-2'")" 1 "after recovery the top-up is there"
is "$(sql "SELECT aigw.balance('d') = 15 - (SELECT sum(cost) FROM aigw.requests)")" t \
   "... and the balance is the ledger's"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"

sql "ALTER DATABASE $T_DB RESET synchronous_commit"
finish
