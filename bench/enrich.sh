#!/usr/bin/env bash
# aigw.enrich against the usual way without aigw.  A 10,000-row table,
# the mock at 50 ms per answer, 64 calls in flight either way:
#   1. CALL aigw.enrich(...), billing on (every call reserved, charged and
#      logged in aigw.requests);
#   2. a Node script (node-postgres + fetch, bench/node/enrich_baseline.js)
#      that reads the rows, keeps 64 requests in flight and writes each
#      answer back with an UPDATE (no log, no billing).
# Each runs RUNS times (3), interleaved, on the same table emptied and
# vacuumed between runs, so that both meet the same host speed and table.
# Prints rows/s of each run, the ratio of each pair, the medians, each
# against the limit 64 / 0.05 s, and how long a request took on average, as
# each client timed its own (curl's total time in aigw's log, fetch to parsed
# answer in Node): the mock waits 50 ms, and a client whose requests take
# longer cannot reach the limit.  The request time includes the client's own
# delay in reading a ready answer, so it bounds that client, not every client.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000}
CONCURRENCY=${CONCURRENCY:-64}
RUNS=${RUNS:-3}
./scripts/setup.sh >/dev/null
(cd bench/node && npm install --no-audit --no-fund --silent >/dev/null)
AIGW_RUN=/tmp/aigw-bench-enrich AIGW_PORT=54423
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster
aigw_start_mock --latency-ms 50
aigw_use_mock postgres >/dev/null
psql_q >/dev/null <<SQL
SELECT aigw.create_wallet('bench', 'USD');
SELECT aigw.topup('bench', 1000, 'USD', 'bench', 'enrich-bench');
ALTER ROLE postgres SET aigw.wallet = 'bench';
CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL, summary text);
INSERT INTO items SELECT g, 'item ' || g || ': a kettle that arrived on time and works well' FROM generate_series(1, $ROWS) g;
SQL
psql_q -c "SELECT count(*) FROM aigw.chat_many('openai/gpt-4o-mini', ARRAY['[{\"role\": \"user\", \"content\": \"warm\"}]']::jsonb[])" >/dev/null

empty() {
    psql_q -c "UPDATE items SET summary = NULL" -c "VACUUM items" >/dev/null
}

results=()
for run in $(seq 1 "$RUNS"); do
    empty
    before=$(psql_q -At -c "SELECT coalesce(max(id), 0) FROM aigw.requests")
    t0=$(date +%s%N)
    psql_q -c "CALL aigw.enrich('items', 'summary', 'Summarize: {{body}}', 'openai/gpt-4o-mini',
                                '{\"concurrency\": $CONCURRENCY, \"chunk_size\": 2000, \"cache\": false}')" 2>/dev/null
    t1=$(date +%s%N)
    filled=$(psql_q -At -c "SELECT count(summary) FROM items")
    read -r logged upstream_ms < <(psql_q -At -F ' ' -c "SELECT count(*), round(avg(latency_ms)::numeric, 2)
        FROM aigw.requests WHERE id > $before AND tags ? 'aigw_job'")

    empty
    t2=$(date +%s%N)
    node bench/node/enrich_baseline.js items summary "http://127.0.0.1:$MOCK_PORT/v1" "$AIGW_MOCK_KEY" gpt-4o-mini "$CONCURRENCY" >"$AIGW_RUN/node.out"
    t3=$(date +%s%N)
    node_filled=$(psql_q -At -c "SELECT count(summary) FROM items")
    node_ms=$(python3 -c "import json,sys; print(round(json.load(sys.stdin)['mean_http_ms'], 2))" <"$AIGW_RUN/node.out")
    results+=("$t0 $t1 $filled $logged $upstream_ms $t2 $t3 $node_filled $node_ms")
done

python3 - "$ROWS" "$CONCURRENCY" "${results[@]}" <<'PY'
import statistics, sys
rows, c = int(sys.argv[1]), int(sys.argv[2])
limit = c / 0.05
print(f"{rows} rows, mock at 50 ms, {c} in flight; limit {limit:.0f} rows/s; {len(sys.argv) - 3} runs of each, interleaved")
aigw, node, ratios, aigw_ms, node_ms = [], [], [], [], []
for i, r in enumerate(sys.argv[3:], 1):
    t0, t1, filled, logged, up, t2, t3, node_filled, nms = r.split()
    a = int(filled) / ((int(t1) - int(t0)) / 1e9)
    n = int(node_filled) / ((int(t3) - int(t2)) / 1e9)
    aigw.append(a); node.append(n); ratios.append(a / n); aigw_ms.append(float(up)); node_ms.append(float(nms))
    print(f"run {i}: aigw.enrich {filled} rows, {logged} calls logged, {a:.0f} rows/s ({100 * a / limit:.1f} %), requests {up} ms;"
          f" Node {node_filled} rows, {n:.0f} rows/s ({100 * n / limit:.1f} %), requests {nms} ms; {a / n:.2f}x")
m = statistics.median
print(f"aigw.enrich (billing on, every call logged): median {m(aigw):.0f} rows/s ({100 * m(aigw) / limit:.1f} % of the limit)")
print(f"Node + pg + fetch (no log, no billing):      median {m(node):.0f} rows/s ({100 * m(node) / limit:.1f} % of the limit)")
for who, ms in (("aigw's (curl)", aigw_ms), ("Node's (fetch)", node_ms)):
    print(f"{who} requests took {m(ms):.2f} ms on average (median of the runs):"
          f" with requests that long a client stays under {100 * 50 / m(ms):.1f} % of the limit")
print(f"aigw / Node: {m(ratios):.2f}x (median of the runs' ratios; min {min(ratios):.2f}, max {max(ratios):.2f}; target 1.5x)")
PY
