#!/usr/bin/env bash
# Overhead of the gateway: p50 / p95 of `SELECT aigw.chat(...)` against the
# mock provider at 0 ms latency, minus the same request sent directly with
# curl over a kept-alive connection.  Target: overhead <= 2 ms at p50.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench AIGW_PORT=54419
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster
aigw_start_mock
aigw_use_mock postgres >/dev/null

messages='[{"role": "user", "content": "Summarize: PostgreSQL is a database."}]'

# 1. through aigw: pgbench, one client, per-call latencies
echo "SELECT aigw.chat('openai/gpt-4o-mini', '$messages');" > "$AIGW_RUN/chat.sql"
psql_q -c "SELECT aigw.chat('openai/gpt-4o-mini', '$messages')" >/dev/null   # start the pool
(cd "$AIGW_RUN" && "$PGBIN/pgbench" -n -c 1 -t "$N" -f chat.sql -l --log-prefix=aigw postgres >/dev/null 2>&1)
cat "$AIGW_RUN"/aigw.* | awk '{print $3 / 1000.0}' > "$AIGW_RUN/aigw.ms"

# 2. direct: the same body with curl, N requests on one kept-alive connection
printf '{"model": "gpt-4o-mini", "messages": %s}' "$messages" > "$AIGW_RUN/body.json"
url="http://127.0.0.1:$MOCK_PORT/v1/chat/completions"
urls=()
for _ in $(seq "$N"); do urls+=(-o /dev/null "$url"); done
curl -s -w '%{time_total}\n' -H "Authorization: Bearer $AIGW_MOCK_KEY" \
     -H 'Content-Type: application/json' --data-binary @"$AIGW_RUN/body.json" "${urls[@]}" \
  | awk '{print $1 * 1000.0}' > "$AIGW_RUN/curl.ms"

python3 - "$AIGW_RUN/aigw.ms" "$AIGW_RUN/curl.ms" <<'PY'
import sys, statistics
def load(p): return sorted(float(x) for x in open(p) if x.strip())
def pct(v, q): return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
a, c = load(sys.argv[1]), load(sys.argv[2])
print(f"calls: {len(a)} through aigw, {len(c)} direct")
print(f"{'':18}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
for name, v in (("SELECT aigw.chat", a), ("direct curl", c)):
    print(f"{name:18}{pct(v, .5):10.3f}{pct(v, .95):10.3f}{statistics.mean(v):10.3f}")
o50, o95 = pct(a, .5) - pct(c, .5), pct(a, .95) - pct(c, .95)
print(f"{'overhead':18}{o50:10.3f}{o95:10.3f}")
print(f"overhead p50 {o50:.3f} ms against the 2 ms target: {o50 / 2.0:.2f} of the budget "
      f"({'met' if o50 <= 2.0 else 'NOT met'})")
PY
