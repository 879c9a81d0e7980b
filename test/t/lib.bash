# Sourced by the multi-session tests: TAP output and helpers.  The cluster
# and the mock provider are the ones test/run started ($AIGW_RUN,
# $MOCK_PORT); each test works in a database of its own.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/cluster.sh"

tap_n=0
tap_failed=0
T_DB=$(basename "$0" .sh)

ok() {						# ok CONDITION-EXIT-CODE DESCRIPTION
    tap_n=$((tap_n + 1))
    # a "#" in a description is escaped, so that it never reads as a directive
    if [ "$1" -eq 0 ]; then echo "ok $tap_n - ${2//#/\\#}"; else echo "not ok $tap_n - ${2//#/\\#}"; tap_failed=$((tap_failed + 1)); fi
}
skip() {					# skip DESCRIPTION REASON: an assertion not made, and why
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - ${1//#/\\#} # SKIP $2"
}
is() {						# is GOT EXPECTED DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1'"; echo "#   expected: '$2'"; fi
}
# Every file declares its plan before its first assertion; test/run fails a
# file whose results do not match it (one that stopped early, or lost some).
tap_plan=
plan() {					# plan N: this file makes N assertions (TAP "1..N" first)
    tap_plan=$1
    echo "1..$1"
}
finish() {
    if [ -z "$tap_plan" ]; then
        echo "# no plan: call plan N before the first assertion"
        exit 1
    elif [ "$tap_n" -ne "$tap_plan" ]; then
        echo "# planned $tap_plan assertions, made $tap_n"
        exit 1
    fi
    [ "$tap_failed" -eq 0 ]
    exit $?
}

# sql QUERY: one value per line, unaligned; errors go to stderr
sql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$T_DB" -c "$1"; }

fresh_db() {
    "$PGBIN/dropdb" --if-exists -f "$T_DB" 2>/dev/null
    "$PGBIN/createdb" "$T_DB"
    aigw_use_mock "$T_DB" >/dev/null
}

mock_stat() { curl -s "http://127.0.0.1:$MOCK_PORT/_mock/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
mock_reset() { curl -s -X POST "http://127.0.0.1:$MOCK_PORT/_mock/reset" >/dev/null; }
# mock_in_flight [PATH-SUFFIX]: the most requests (to paths ending so) the
# mock had open at once since its last reset, from each recording's arrival
# and answer times.  A request arrives no earlier than the answer that freed
# its place, so an answer and an arrival of the same millisecond do not
# overlap; a request never answered (hung, aborted) stays open.
mock_in_flight() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
events = []
for r in json.load(sys.stdin):
    if r['path'].split('?')[0].endswith(sys.argv[1]):
        events += [(r['at'], 1), (r.get('answered_at') or float('inf'), -1)]
open_now = most = 0
for _, d in sorted(events):
    open_now += d
    most = max(most, open_now)
print(most)" "${1:-}"
}

# wait_for SECONDS 'SHELL CONDITION': poll until the condition holds
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until eval "$1"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

# sessions N SQL: run N sessions at once, each running SQL with {s} replaced
# by its number (output in $AIGW_RUN/session.N); sets session_failures (how
# many exited with an error) and session_ms (wall time of the lot).
sessions() {
    local n=$1 template=$2 t0 p
    local pids=()
    rm -f "$AIGW_RUN"/session.*
    t0=$(date +%s%N)
    for s in $(seq 1 "$n"); do
        sql "${template//\{s\}/$s}" >"$AIGW_RUN/session.$s" 2>&1 &
        pids+=($!)
    done
    session_failures=0
    for p in "${pids[@]}"; do wait "$p" || session_failures=$((session_failures + 1)); done
    session_ms=$((($(date +%s%N) - t0) / 1000000))
}

# rest ROLE CLAIMS FUNCTION [BODY]: one HTTP request replayed exactly as
# PostgREST runs it (https://docs.postgrest.org/en/v12/references/transactions.html
# and .../references/auth.html): connected as the authenticator ($REST_AUTH),
# one READ COMMITTED transaction (READ WRITE for a volatile function, READ
# ONLY for a stable one), the JWT's role and claims and the request's method,
# path and headers set with set_config(..., true), the function called with
# the body as its one jsonb argument, then COMMIT.  Prints what PostgREST
# would answer: {"status": ..., "headers": ..., "body": ...}, the status and
# headers being the response.status and response.headers it reads back.
rest() {
    local role=$1 claims=$2 fn=$3 body=${4-} call mode=READ\ WRITE
    call="aigw_api.$fn()"
    # one unnamed jsonb parameter takes the whole body; named ones, its keys
    if [ -n "$body" ] && [ "$(sql "SELECT proargnames IS NULL FROM pg_proc WHERE oid = 'aigw_api.$fn'::regproc")" = t ]; then
        call="aigw_api.$fn(\$rb\$$body\$rb\$::jsonb)"
    elif [ -n "$body" ]; then
        call="aigw_api.$fn($(sql "SELECT coalesce(string_agg(format('%I := %L', key, value), ', '), '') FROM jsonb_each_text(\$rb\$$body\$rb\$)"))"
    fi
    [ "$(sql "SELECT provolatile FROM pg_proc WHERE oid = 'aigw_api.$fn'::regproc")" = s ] && mode="READ ONLY"
    "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$T_DB" -U "${REST_AUTH:-postgres}" <<SQL
BEGIN ISOLATION LEVEL READ COMMITTED $mode;
SELECT set_config('role', '$role', true), set_config('request.jwt.claims', \$cl\$$claims\$cl\$, true),
       set_config('request.method', 'POST', true), set_config('request.path', '/rpc/$fn', true),
       set_config('request.headers', '{"content-type": "application/json"}', true) \g /dev/null
WITH r AS MATERIALIZED (SELECT $call AS body)
SELECT json_build_object('status', coalesce(nullif(current_setting('response.status', true), '')::int, 200),
                         'headers', nullif(current_setting('response.headers', true), '')::json,
                         'body', r.body) FROM r;
COMMIT;
SQL
}

# jget JSON PYTHON-EXPRESSION-ON-j: a value out of a JSON document
# (a tuple prints as its members joined by spaces)
jget() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); v=($2); print(*v) if isinstance(v, tuple) else print(v)" "$1"; }

# as ROLE SQL: run SQL as ROLE (SET ROLE in a session of its own)
as() { sql "SET ROLE $1; $2"; }
