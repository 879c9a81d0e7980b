# Sourced by the demo, the tests and the benchmarks: a throwaway PostgreSQL
# cluster with aigw preloaded, run by an unprivileged OS user (PostgreSQL
# refuses root), and the mock provider on 127.0.0.1.  Everything lives
# under $AIGW_RUN and is removed by aigw_cleanup, also on a second run.
# Provider keys are encrypted at rest under a master key made for the
# cluster ($AIGW_MASTER_KEY_FILE, beside the data directory, not in it).

# Which server: AIGW_PGBIN, PG_CONFIG or AIGW_PG_MAJOR (scripts/pg_major.sh)
AIGW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$AIGW_ROOT/scripts/pg_major.sh"
AIGW_RUN=${AIGW_RUN:-/tmp/aigw-run}
AIGW_OS_USER=${AIGW_OS_USER:-postgres}
AIGW_PORT=${AIGW_PORT:-54329}
AIGW_MOCK_KEY=test-key-openai
# The AWS credential the mock verifies Bedrock signatures with (not a real one).
AIGW_MOCK_AWS_KEY_ID=AKIDAIGWMOCKEXAMPLE
AIGW_MOCK_AWS_SECRET=aigwMockSecretKey/K7MDENG+bPxRfiCYEXAMPLE

export PGHOST=$AIGW_RUN PGPORT=$AIGW_PORT PGUSER=postgres PGDATABASE=postgres

as_pg() { runuser -u "$AIGW_OS_USER" -- "$@"; }
psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# aigw_make_master_key FILE: a new random master key (64 hex digits), readable
# by the server's OS user only, as aigw.master_key_file wants it.
aigw_make_master_key() {
    (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$1"; echo >>"$1")
    chown "$AIGW_OS_USER" "$1"
    chmod 600 "$1"
}

# Stop whatever an earlier run left behind in $AIGW_RUN.
aigw_cleanup() {
    local dir=${1:-$AIGW_RUN}
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/mock.pid" ]; then
        kill "$(cat "$dir/mock.pid")" 2>/dev/null || true
    fi
    pkill -f "mock_provider.js .*--port-file $dir/mock.port" 2>/dev/null || true
    rm -rf "$dir"
}

# aigw_start_cluster [extra postgresql.conf lines...]
aigw_start_cluster() {
    id "$AIGW_OS_USER" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$AIGW_OS_USER"
    aigw_cleanup
    mkdir -p "$AIGW_RUN"
    chown "$AIGW_OS_USER" "$AIGW_RUN"
    as_pg "$PGBIN/initdb" -D "$AIGW_RUN/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
    AIGW_MASTER_KEY_FILE=$AIGW_RUN/master.key
    aigw_make_master_key "$AIGW_MASTER_KEY_FILE"
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$AIGW_RUN'"
        echo "port = $AIGW_PORT"
        echo "shared_preload_libraries = 'aigw'"
        echo "max_connections = 200"
        echo "max_worker_processes = 32"
        echo "logging_collector = off"
        echo "log_min_messages = warning"
        echo "aigw.master_key_file = '$AIGW_MASTER_KEY_FILE'"
        for line in "$@"; do echo "$line"; done
    } >> "$AIGW_RUN/data/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -l "$AIGW_RUN/server.log" -w -t 60 start >/dev/null
}

# aigw_start_mock [extra mock arguments...]; sets MOCK_PORT
aigw_start_mock() {
    node "$AIGW_ROOT/test/mock/mock_provider.js" --port 0 --quiet \
        --port-file "$AIGW_RUN/mock.port" --pid-file "$AIGW_RUN/mock.pid" \
        --key "$AIGW_MOCK_KEY" --aws-access-key-id "$AIGW_MOCK_AWS_KEY_ID" \
        --aws-secret-access-key "$AIGW_MOCK_AWS_SECRET" --aws-region us-east-1 \
        "$@" >>"$AIGW_RUN/mock.log" 2>&1 &
    disown
    for _ in $(seq 100); do
        [ -s "$AIGW_RUN/mock.port" ] && break
        sleep 0.1
    done
    [ -s "$AIGW_RUN/mock.port" ] || { echo "mock provider did not start" >&2; cat "$AIGW_RUN/mock.log" >&2; return 1; }
    MOCK_PORT=$(cat "$AIGW_RUN/mock.port")
    export MOCK_PORT
}

# aigw_use_mock DB: create the extension and point every provider at the
# mock, each at the path its protocol lives under there.
aigw_use_mock() {
    local db=${1:-postgres}
    psql_q -d "$db" <<SQL
CREATE EXTENSION IF NOT EXISTS aigw;
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT'
    || CASE api_style WHEN 'gemini' THEN '/v1beta' WHEN 'bedrock' THEN '' WHEN 'azure' THEN '/openai' ELSE '/v1' END;
UPDATE aigw.providers SET enabled = true WHERE api_style = 'azure';
SELECT aigw.set_credential(name, CASE auth_scheme WHEN 'sigv4'
    THEN '{"access_key_id": "$AIGW_MOCK_AWS_KEY_ID", "secret_access_key": "$AIGW_MOCK_AWS_SECRET", "region": "us-east-1"}'
    ELSE '$AIGW_MOCK_KEY' END) FROM aigw.providers;
SQL
}
