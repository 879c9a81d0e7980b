#!/usr/bin/env bash
# Each database has its own pool, started by its first call; an idle pool
# exits after aigw.pool_idle_timeout and the next call starts it again.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 11
other=${T_DB}_other
"$PGBIN/dropdb" --if-exists -f "$other" 2>/dev/null
"$PGBIN/createdb" "$other" && aigw_use_mock "$other" >/dev/null

workers_of() { sql "SELECT count(*) FROM aigw.pool_status() WHERE database_name = '$1'"; }

is "$(workers_of "$other")" 0 "no pool before the first call"
sql "SELECT aigw.ask('openai/gpt-4o-mini', 'one')" >/dev/null
T_DB=$other sql "SELECT aigw.ask('openai/gpt-4o-mini', 'two')" >/dev/null
is "$(workers_of "$T_DB")" 2 "the first database has aigw.workers (2) workers"
is "$(workers_of "$other")" 2 "so does the second: a pool per database"
is "$(T_DB=$other sql "SELECT count(*) FROM aigw.requests")" 1 "each database logs its own calls"

# The pool logs durably whatever the database's defaults say.
sql "ALTER DATABASE $other SET default_transaction_read_only = on"
sql "ALTER DATABASE $other SET synchronous_commit = off"
"$PGBIN/psql" -X -q -d "$other" -c "SELECT pg_terminate_backend(pid) FROM aigw.pool_status() WHERE database_name = '$other'" >/dev/null
wait_for 10 '[ "$(workers_of "$other")" = 0 ]'
is "$(T_DB=$other sql "SET default_transaction_read_only = off; SELECT aigw.ask('openai/gpt-4o-mini', 'read-only by default')")" \
   "Mock reply to: read-only by default" "a database that is read-only by default still gets its calls logged"
is "$(T_DB=$other sql "SELECT count(*) FROM aigw.requests")" 2 "... as the log shows"

sql "ALTER SYSTEM SET aigw.pool_idle_timeout = 1" && sql "SELECT pg_reload_conf()" >/dev/null
wait_for 10 'test "$(workers_of "$T_DB")" = 0'; ok $? "an idle pool exits after aigw.pool_idle_timeout"
is "$(sql "SELECT aigw.ask('openai/gpt-4o-mini', 'wake up')")" "Mock reply to: wake up" "the next call starts it again"
sql "ALTER SYSTEM RESET aigw.pool_idle_timeout" && sql "SELECT pg_reload_conf()" >/dev/null

"$PGBIN/dropdb" "$other"; ok $? "DROP DATABASE works while the database has a pool"

# A call in the transaction that created the extension is refused up front:
# the pool logs in its own transactions and could not see the new tables.
"$PGBIN/createdb" "$other"
out=$(T_DB=$other sql "BEGIN; CREATE EXTENSION aigw; SELECT aigw.ask('openai/gpt-4o-mini', 'too early'); COMMIT;" 2>&1)
echo "$out" | grep -q "aigw was installed in this transaction"; ok $? "a call in the transaction that created aigw fails clearly"
"$PGBIN/dropdb" "$other"

# provider APIs speak UTF-8: a database in another encoding is told so up front
"$PGBIN/createdb" -E LATIN1 -T template0 --locale=C "$other"
out=$(T_DB=$other sql "CREATE EXTENSION aigw; SELECT aigw.ask('openai/gpt-4o-mini', 'hi')" 2>&1)
echo "$out" | grep -q "aigw needs a database with UTF8 encoding"; ok $? "a LATIN1 database gets a clear error, nothing is sent"
"$PGBIN/dropdb" "$other"
finish
