#!/usr/bin/env bash
# aigw.enrich against the usual way without aigw.  A 10,000-row table,
# the mock at 50 ms per answer, 64 calls in flight either way:
#   1. CALL aigw.enrich(...), billing on (every call reserved, charged and
#      logged in aigw.requests);
#   2. a Node script (node-postgres + fetch, bench/node/enrich_baseline.js)
#      that reads the rows, keeps 64 requests in flight and writes each
#      answer back with an UPDATE (no log, no billing).
# Prints rows/s of each, the ratio, and each against the limit 64 / 0.05 s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000}
CONCURRENCY=${CONCURRENCY:-64}
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

t0=$(date +%s%N)
psql_q -c "CALL aigw.enrich('items', 'summary', 'Summarize: {{body}}', 'openai/gpt-4o-mini',
                            '{\"concurrency\": $CONCURRENCY, \"chunk_size\": 2000, \"cache\": false}')" 2>/dev/null
t1=$(date +%s%N)
filled=$(psql_q -At -c "SELECT count(summary) FROM items")
logged=$(psql_q -At -c "SELECT count(*) FROM aigw.requests WHERE tags ? 'aigw_job'")

psql_q -c "UPDATE items SET summary = NULL" >/dev/null
t2=$(date +%s%N)
node bench/node/enrich_baseline.js items summary "http://127.0.0.1:$MOCK_PORT/v1" "$AIGW_MOCK_KEY" gpt-4o-mini "$CONCURRENCY" >"$AIGW_RUN/node.out"
t3=$(date +%s%N)
node_filled=$(psql_q -At -c "SELECT count(summary) FROM items")

python3 - "$ROWS" "$CONCURRENCY" "$t0" "$t1" "$t2" "$t3" "$filled" "$logged" "$node_filled" <<'PY'
import sys
rows, c = int(sys.argv[1]), int(sys.argv[2])
t0, t1, t2, t3 = (int(x) for x in sys.argv[3:7])
filled, logged, node_filled = (int(x) for x in sys.argv[7:10])
a, n = (t1 - t0) / 1e9, (t3 - t2) / 1e9
limit = c / 0.05
print(f"{rows} rows, mock at 50 ms, {c} in flight; limit {limit:.0f} rows/s")
print(f"aigw.enrich (billing on, {logged} calls logged): {filled} rows in {a:.2f} s = {filled / a:.0f} rows/s ({100 * filled / a / limit:.1f} % of the limit)")
print(f"Node + pg + fetch (no log, no billing):   {node_filled} rows in {n:.2f} s = {node_filled / n:.0f} rows/s ({100 * node_filled / n / limit:.1f} % of the limit)")
print(f"aigw / Node: {n / a:.2f}x (target 1.5x)")
PY
