#!/usr/bin/env bash
# Plain SQL at the gateway's speed: 10,000 rows, mock at 50 ms per answer,
# billing on (every call reserved, then charged to one wallet), in one run:
#   CTAS    CREATE TABLE ... AS SELECT id, aigw.ask(m, body) FROM reviews
#   UPDATE  UPDATE reviews SET summary = aigw.ask(m, body)
#   batch   aigw.chat_many over the same rows (the baseline: the batch API)
#   off     the CTAS with aigw.read_ahead = off (row by row), on OFF_N rows
# Each run does all four in turn (interleaved, so the machine's noise hits
# every form alike); the medians over RUNS runs are printed with their
# ratios.  Targets: CTAS and UPDATE >= 90 % of chat_many's rate, and
# >= 50x the same query row by row.  The physical limit at 64 in flight is
# 64 / 0.05 s = 1280 calls/s.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
OFF_N=${OFF_N:-100}
RUNS=${RUNS:-3}
C=${C:-64}
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench-sql AIGW_PORT=54423
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster
aigw_start_mock --latency-ms 50
aigw_use_mock postgres >/dev/null
psql_q >/dev/null <<SQL
SELECT aigw.create_wallet('bench', 'USD');
SELECT aigw.topup('bench', 1000, 'USD', 'bench', 'sql-bench');
ALTER ROLE postgres SET aigw.wallet = 'bench';
ALTER ROLE postgres SET aigw.query_concurrency = $C;
CREATE TABLE reviews AS SELECT g AS id, 'Summarize: review ' || g AS body, NULL::text AS summary
  FROM generate_series(1, $N) g;
SQL

M=openai/gpt-4o-mini
# seconds one statement takes, timed by the session itself
timed() {
    psql_q -At <<SQL | python3 -c 'import sys; a = [float(x) for x in sys.stdin.read().split()]; print(f"{a[1] - a[0]:.3f}")'
SET client_min_messages = warning;
SELECT pg_sleep(0.2);
SELECT extract(epoch FROM clock_timestamp());
$1;
SELECT extract(epoch FROM clock_timestamp());
SQL
}

ctas="DROP TABLE IF EXISTS answers; CREATE TABLE answers AS SELECT id, aigw.ask('$M', body) AS a FROM reviews"
upd="UPDATE reviews SET summary = aigw.ask('$M', body)"
batch="CREATE TEMP TABLE b AS SELECT count(*) FROM aigw.chat_many('$M',
        (SELECT array_agg(jsonb_build_array(jsonb_build_object('role', 'user', 'content', body)) ORDER BY id) FROM reviews),
        '{\"concurrency\": $C}') WHERE error IS NULL"
off="SET aigw.read_ahead = off; DROP TABLE IF EXISTS answers_off;
     CREATE TABLE answers_off AS SELECT id, aigw.ask('$M', body) AS a FROM reviews WHERE id <= $OFF_N"

# quiet the sessions' own output (timed() reads only the two epochs)
ctas="$ctas \\g /dev/null"; upd="$upd \\g /dev/null"; batch="$batch \\g /dev/null"; off="$off \\g /dev/null"

echo "== plain SQL vs chat_many: $N rows, mock at 50 ms, billing on, $C in flight, $RUNS interleaved runs"
psql_q -c "SELECT count(*) FROM aigw.chat_many('$M', ARRAY['[{\"role\":\"user\",\"content\":\"warm up\"}]'::jsonb])" >/dev/null
: >"$AIGW_RUN/times"
for r in $(seq "$RUNS"); do
    t_ctas=$(timed "$ctas"); t_upd=$(timed "$upd"); t_batch=$(timed "$batch"); t_off=$(timed "$off")
    echo "$t_ctas $t_upd $t_batch $t_off" >>"$AIGW_RUN/times"
    echo "run $r: CTAS $t_ctas s, UPDATE $t_upd s, chat_many $t_batch s, row by row ($OFF_N rows) $t_off s"
done
psql_q -At -c "SELECT 'check: ' || (SELECT count(*) FROM answers WHERE a = 'Mock reply to: ' || (SELECT body FROM reviews r WHERE r.id = answers.id))
               || ' CTAS answers right, ' || (SELECT count(*) FROM reviews WHERE summary = 'Mock reply to: ' || body) || ' UPDATE answers right of $N; '
               || 'ledger problems: ' || (SELECT count(*) FROM aigw.verify_ledger())"
python3 - "$N" "$OFF_N" "$C" "$AIGW_RUN/times" <<'PY'
import statistics, sys
n, off_n, c = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = [[float(x) for x in line.split()] for line in open(sys.argv[4])]
med = [statistics.median(col) for col in zip(*rows)]
ctas, upd, batch, off = n / med[0], n / med[1], n / med[2], off_n / med[3]
limit = c / 0.05
print(f"median rates: CTAS {ctas:.0f}/s, UPDATE {upd:.0f}/s, chat_many {batch:.0f}/s, row by row {off:.1f}/s; limit {limit:.0f}/s")
print(f"CTAS   / chat_many: {100 * ctas / batch:5.1f} %   (target >= 90 %); of the limit {100 * ctas / limit:5.1f} %")
print(f"UPDATE / chat_many: {100 * upd / batch:5.1f} %   (target >= 90 %); of the limit {100 * upd / limit:5.1f} %")
print(f"CTAS   / row by row: {ctas / off:6.1f}x   (target >= 50x)")
print(f"UPDATE / row by row: {upd / off:6.1f}x   (target >= 50x)")
PY
