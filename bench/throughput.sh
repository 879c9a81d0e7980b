#!/usr/bin/env bash
# Concurrency: pgbench with 64 clients each calling aigw.chat, the mock
# provider answering after 50 ms.  The limit is 64 / 0.05 s = 1,280 calls/s;
# the target is >= 85 % of it.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-64}
LATENCY_MS=${LATENCY_MS:-50}
SECONDS_RUN=${SECONDS_RUN:-20}
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench AIGW_PORT=54419
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster "max_connections = 300" "aigw.workers = ${WORKERS:-1}"
aigw_start_mock --latency-ms "$LATENCY_MS"
aigw_use_mock postgres >/dev/null

echo "SELECT aigw.chat('openai/gpt-4o-mini', '[{\"role\": \"user\", \"content\": \"Summarize: PostgreSQL is a database.\"}]');" > "$AIGW_RUN/chat.sql"
psql_q -c "SELECT aigw.ask('openai/gpt-4o-mini', 'warm up')" >/dev/null
out=$(cd "$AIGW_RUN" && "$PGBIN/pgbench" -n -c "$CLIENTS" -j 4 -T "$SECONDS_RUN" -f chat.sql postgres 2>&1)
echo "$out" | grep -E "number of (transactions|failed)|latency average|^tps"
tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
logged=$(psql_q -At -c "SELECT count(*) FILTER (WHERE status = 'ok') || ' ok, ' || count(*) FILTER (WHERE status <> 'ok') || ' failed' FROM aigw.requests")
python3 - "$tps" "$CLIENTS" "$LATENCY_MS" "$logged" <<'PY'
import sys
tps, clients, lat = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
limit = clients / (lat / 1000.0)
print(f"calls/s: {tps:.0f}; limit {clients} / {lat / 1000:.3f} s = {limit:.0f}/s; ratio {tps / limit:.1%} "
      f"({'met' if tps / limit >= 0.85 else 'NOT met'}: target 85 %)")
print(f"request log: {sys.argv[4]}")
PY
