#!/usr/bin/env bash
# Without shared_preload_libraries every aigw function fails with a clear
# error and a hint; nothing hangs, nothing is half set up.
source "$(dirname "$0")/lib.bash"
plan 4
AIGW_RUN=$AIGW_RUN-nopreload AIGW_PORT=$((AIGW_PORT + 1))
export PGHOST=$AIGW_RUN PGPORT=$AIGW_PORT
aigw_start_cluster "shared_preload_libraries = ''"
trap 'aigw_cleanup' EXIT
T_DB=postgres
sql "CREATE EXTENSION aigw"; ok $? "CREATE EXTENSION works without preloading"
out=$(sql "SELECT aigw.ask('openai/gpt-4o-mini', 'hi')" 2>&1)
echo "$out" | sed 's/^/#   /'
echo "$out" | grep -q 'ERROR:  aigw is not loaded through shared_preload_libraries'; ok $? "a call fails with a clear error"
echo "$out" | grep -q "HINT:  Add aigw to shared_preload_libraries in postgresql.conf and restart the server."; ok $? "... and a hint that says the fix"
out=$(sql "SELECT * FROM aigw.pool_status()" 2>&1)
echo "$out" | grep -q 'not loaded through shared_preload_libraries'; ok $? "so does aigw.pool_status()"
finish
