#!/usr/bin/env bash
# aigw.embed_column against the usual way without aigw.  100,000 short
# texts, the mock at 50 ms per request, BATCH inputs per request and
# CONCURRENCY requests in flight either way:
#   1. CALL aigw.embed_column(...), billing on (every request reserved,
#      charged and logged in aigw.requests with its input count);
#   2. a Node script (node-postgres + the official openai client,
#      bench/node/embed_baseline.js) that reads the rows, keeps CONCURRENCY
#      requests of BATCH inputs in flight and writes each batch back with one
#      UPDATE (no log, no billing).
# aigw runs twice: at BATCH inputs a request like the script, and packing
# as the model allows (text-embedding-3-small: 2048 inputs, 300,000 tokens).
# Prints rows/s of each, the ratios, and each against its limit
# inputs a request x CONCURRENCY / 0.05 s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
BATCH=${BATCH:-100}
CONCURRENCY=${CONCURRENCY:-64}
CHUNK=${CHUNK:-5000}
./scripts/setup.sh >/dev/null
(cd bench/node && npm install --no-audit --no-fund --silent >/dev/null)
AIGW_RUN=/tmp/aigw-bench-embed AIGW_PORT=54424
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster
aigw_start_mock --latency-ms 50
aigw_use_mock postgres >/dev/null
M=openai/text-embedding-3-small
psql_q >/dev/null <<SQL
SELECT aigw.create_wallet('bench', 'USD');
SELECT aigw.topup('bench', 1000, 'USD', 'bench', 'embed-bench');
ALTER ROLE postgres SET aigw.wallet = 'bench';
-- the same batch size for both
UPDATE aigw.models SET max_inputs_per_request = $BATCH WHERE id = '$M';
CREATE TABLE docs (id int PRIMARY KEY, body text NOT NULL, emb real[]);
INSERT INTO docs SELECT g, 'document ' || g || ': a kettle that arrived on time and works well' FROM generate_series(1, $ROWS) g;
SQL
psql_q -c "SELECT count(*) FROM aigw.embed_many('$M', ARRAY['warm'])" >/dev/null


embed_run() {   # embed_run: CALL embed_column; prints "seconds requests inputs filled"
    local t0 t1
    psql_q -c "UPDATE docs SET emb = NULL" >/dev/null
    psql_q -c "VACUUM docs" >/dev/null
    psql_q -c "DELETE FROM aigw.requests WHERE tags ? 'aigw_job'" >/dev/null
    t0=$(date +%s%N)
    psql_q -c "CALL aigw.embed_column('docs', 'body', 'emb', '$M',
                                      '{\"concurrency\": $CONCURRENCY, \"chunk_size\": $CHUNK, \"cache\": false}')" 2>/dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(psql_q -At -c "SELECT count(*) || ' ' || sum(inputs) FROM aigw.requests WHERE tags ? 'aigw_job'") $(psql_q -At -c "SELECT count(emb) FROM docs")"
}
same=$(embed_run)
psql_q -c "UPDATE aigw.models SET max_inputs_per_request = 2048 WHERE id = '$M'" >/dev/null
own=$(embed_run)

# The floor of the write-back alone: the statements embed_column runs to write
# each request's vectors (BATCH rows a statement, through
# aigw.vector_from_base64, committed every CHUNK rows), with the vectors made
# beforehand: no provider, no HTTP, no log, no billing.  No run can beat it.
floor_run() {
    local t0 t1
    psql_q -c "UPDATE docs SET emb = NULL" >/dev/null
    psql_q -c "VACUUM docs" >/dev/null
    psql_q >/dev/null <<SQL
CREATE TABLE floor_packs AS
SELECT array_agg(ctid ORDER BY ctid) AS tids, array_agg(v ORDER BY ctid) AS vectors
  FROM (SELECT ctid, (row_number() OVER (ORDER BY ctid) - 1) / $BATCH AS pack,
               aigw.embedding_base64(ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 8) d WHERE id > 0)) AS v
          FROM docs) s
 GROUP BY pack;
CREATE PROCEDURE floor_fill() LANGUAGE plpgsql AS \$\$
DECLARE p record; since integer := 0;
BEGIN
    FOR p IN SELECT * FROM floor_packs LOOP
        UPDATE docs t SET emb = aigw.vector_from_base64(x.v, false)::real[]
          FROM unnest(p.tids, p.vectors) x(id, v)
         WHERE t.ctid = ANY (p.tids) AND t.ctid = x.id AND t.emb IS NULL;
        since := since + array_length(p.tids, 1);
        IF since >= $CHUNK THEN COMMIT; since := 0; END IF;
    END LOOP;
END \$\$;
SQL
    t0=$(date +%s%N)
    psql_q -c "CALL floor_fill()"
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(psql_q -At -c "SELECT count(emb) FROM docs")"
    psql_q -c "DROP PROCEDURE floor_fill(); DROP TABLE floor_packs" >/dev/null
}
floor=$(floor_run)

psql_q -c "UPDATE docs SET emb = NULL" >/dev/null
psql_q -c "VACUUM docs" >/dev/null
t2=$(date +%s%N)
node bench/node/embed_baseline.js docs body emb "http://127.0.0.1:$MOCK_PORT/v1" "$AIGW_MOCK_KEY" text-embedding-3-small \
    "$BATCH" "$CONCURRENCY" >"$AIGW_RUN/node.out"
t3=$(date +%s%N)
node_filled=$(psql_q -At -c "SELECT count(emb) FROM docs")

python3 - "$ROWS" "$BATCH" "$CONCURRENCY" "$t2" "$t3" "$node_filled" "$CHUNK" "$same" "$own" "$floor" <<'PY'
import sys
rows, batch, c = (int(x) for x in sys.argv[1:4])
t2, t3 = (int(x) for x in sys.argv[4:6])
node_filled = int(sys.argv[6]); chunk = sys.argv[7]
n = (t3 - t2) / 1e9
print(f"{rows} rows, mock at 50 ms a request, {c} requests in flight, billing on for aigw (chunks of {chunk})")
for name, run in (("aigw.embed_column, 100 inputs a request", sys.argv[8]), ("aigw.embed_column, packed as the model allows", sys.argv[9])):
    us, requests, inputs, filled = (int(x) for x in run.split())
    a = us / 1e6
    per = int(inputs) / int(requests)
    limit = per * c / 0.05
    print(f"{name}: {filled} rows in {a:.2f} s = {filled / a:.0f} rows/s; {requests} requests of {per:.0f} inputs logged; "
          f"{100 * filled / a / limit:.1f} % of its limit ({limit:.0f} rows/s); {n / a:.2f}x the Node script")
limit = batch * c / 0.05
print(f"Node + pg + openai, {batch} inputs a request (no log, no billing): {node_filled} rows in {n:.2f} s = {node_filled / n:.0f} rows/s "
      f"({100 * node_filled / n / limit:.1f} % of the limit {limit:.0f} rows/s)")
us, filled = (int(x) for x in sys.argv[10].split())
f = us / 1e6
print(f"floor: writing the {filled} vectors back alone ({batch} rows a statement, vectors made beforehand, no HTTP, "
      f"no log, no billing) takes {f:.2f} s = {filled / f:.0f} rows/s = {100 * filled / f / limit:.1f} % of the limit")
print("targets: 1.5x the Node script, 80 % of the limit")
PY
