#!/usr/bin/env bash
# The PostgREST surface: calls/s and latency of aigw_api.chat_completions
# run as PostgREST runs a request (one transaction per request: the JWT's
# role and claims set locally, then the function; see test/t/lib.bash rest())
# against plain `SELECT aigw.chat(...)`, 32 clients, mock at 0 ms, billing
# on; then the same replay with limits on the role and the wallet; and the
# cost of the limit check itself (aigw.limit_check_cost: the code a call
# runs, looped).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
CLIENTS=${CLIENTS:-32}
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench AIGW_PORT=54419
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster "max_connections = 100"
aigw_start_mock
aigw_use_mock postgres >/dev/null

M=openai/gpt-4o-mini
psql_q <<'SQL' >/dev/null
CREATE ROLE bench_app IN ROLE aigw_user;
CREATE ROLE bench_auth LOGIN NOINHERIT IN ROLE bench_app;
CREATE ROLE bench_user LOGIN IN ROLE aigw_user, aigw_admin, bench_app;
SELECT aigw.create_wallet('w_bench', 'USD', 0, 'bench_user');
SELECT aigw.grant_wallet('w_bench', 'bench_app');
ALTER ROLE bench_user SET aigw.wallet = 'w_bench';
SQL
psql_q -c "SELECT aigw.topup('w_bench', 1000000, 'USD', 'bench', 'w_bench-1')" >/dev/null

body='{"model": "'$M'", "messages": [{"role": "user", "content": "Summarize: PostgreSQL is a database."}], "max_tokens": 64}'
echo "SELECT aigw.chat('$M', '[{\"role\": \"user\", \"content\": \"Summarize: PostgreSQL is a database.\"}]', '{\"max_tokens\": 64}');" \
    > "$AIGW_RUN/plain.sql"
cat > "$AIGW_RUN/replay.sql" <<SQL
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('role', 'bench_app', true), set_config('request.jwt.claims', '{"role": "bench_app", "sub": "user-' || :client_id || '", "wallet": "w_bench"}', true), set_config('request.method', 'POST', true), set_config('request.path', '/rpc/chat_completions', true), set_config('request.headers', '{"content-type": "application/json"}', true);
SELECT aigw_api.chat_completions('$body'::jsonb);
COMMIT;
SQL

# the same transaction calling aigw.chat: what the protocol costs, apart from aigw_api
sed "s|SELECT aigw_api.chat_completions('\$body'::jsonb);|SELECT aigw.chat('$M', '[{\"role\": \"user\", \"content\": \"Summarize: PostgreSQL is a database.\"}]', '{\"max_tokens\": 64}');|" \
    "$AIGW_RUN/replay.sql" > "$AIGW_RUN/txn.sql"

run() {   # run NAME USER SCRIPT: pgbench, per-transaction log -> "calls/s p50 p95"
    rm -f "$AIGW_RUN"/log_"$1".*
    psql_q -U "$2" -v client_id=0 -f "$AIGW_RUN/$3" >/dev/null   # warm the pool and the caches
    (cd "$AIGW_RUN" && "$PGBIN/pgbench" -n -U "$2" -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -f "$3" \
        -l --log-prefix="log_$1" postgres >"log_$1.out" 2>&1)
    python3 - "$AIGW_RUN" "$1" "$SECONDS_PER_RUN" <<'PY'
import glob, sys
run, name, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
lat = sorted(int(l.split()[2]) / 1000.0 for f in glob.glob(f"{run}/log_{name}.*") if not f.endswith('.out')
             for l in open(f) if l.strip())
p = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1)))]
print(f"{len(lat) / secs:.0f} {p(.5):.2f} {p(.95):.2f}")
PY
}

plain=$(run plain bench_user plain.sql)
txn=$(run txn bench_auth txn.sql)
replay=$(run replay bench_auth replay.sql)
psql_q <<SQL >/dev/null
INSERT INTO aigw.limits (role, requests_per_minute, tokens_per_minute, max_in_flight, allowed_models, max_cost_per_call, spend_per_day)
VALUES ('bench_app', 100000000, 100000000000, 1000, '{openai/*,auto/*}', 1, 1000000);
INSERT INTO aigw.limits (wallet, requests_per_minute, spend_per_day) VALUES ('w_bench', 100000000, 1000000);
SQL
limited=$(run limited bench_auth replay.sql)
check=$(psql_q -At -U bench_user -c "SELECT limits_checked || ' ' || round(ns_per_check::numeric / 1000, 2) FROM aigw.limit_check_cost(200000, '$M')")
psql_q -c "DELETE FROM aigw.limits" >/dev/null
nolimit=$(psql_q -At -U bench_user -c "SELECT round(ns_per_check::numeric / 1000, 2) FROM aigw.limit_check_cost(200000, '$M')")
logged=$(psql_q -At -c "SELECT count(*) || ' ' || count(DISTINCT end_user) FROM aigw.requests WHERE end_user IS NOT NULL")

python3 - "$plain" "$replay" "$limited" "$check" "$nolimit" "$logged" "$CLIENTS" "$txn" <<'PY'
import sys
plain, replay, limited = (list(map(float, a.split())) for a in sys.argv[1:4])
checked, check_us = sys.argv[4].split()
nolimit_us, logged, clients = sys.argv[5], sys.argv[6].split(), sys.argv[7]
txn = list(map(float, sys.argv[8].split()))
print(f"{clients} clients, mock at 0 ms, billing on (one wallet)")
print(f"{'':44}{'calls/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
for name, v in (("SELECT aigw.chat (plain session)", plain),
                ("PostgREST's transaction around aigw.chat", txn),
                ("aigw_api.chat_completions, PostgREST replay", replay),
                ("... with 2 limits on the role and wallet", limited)):
    print(f"{name:44}{v[0]:9.0f}{v[1]:9.2f}{v[2]:9.2f}")
print(f"replay vs plain: {replay[0] / plain[0]:.2f}x the calls/s, p50 +{replay[1] - plain[1]:.2f} ms "
      f"(the transaction alone: {txn[0] / plain[0]:.2f}x; aigw_api's own share: {replay[0] / txn[0]:.2f}x)")
print(f"limits vs none (replay): {limited[0] / replay[0]:.2f}x the calls/s, p50 {limited[1] - replay[1]:+.2f} ms")
print(f"limit check: {check_us} us per call with {checked} limits applying; {nolimit_us} us with none")
print(f"logged end users: {logged[0]} requests from {logged[1]} distinct JWT subs")
PY
