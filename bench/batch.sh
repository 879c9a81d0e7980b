#!/usr/bin/env bash
# aigw.chat_many at the physical limit: 10,000 requests from one statement,
# mock at 50 ms per answer, billing on (every call reserved, then charged to
# one wallet), at concurrency 16, 64 and 256.  The limit is concurrency /
# 0.05 s; targets: >= 90 % of it at 64, >= 75 % at 256 on a 2-core machine.
# Also the CPU each call costs (the calling backend, the pool's workers and
# the mock, from /proc), and the pool's resident memory across 100,000 calls
# (it must not grow).  WORKERS sets aigw.workers (default 1, the server default);
# RUNS statements are run at each level and their median ratio printed.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
LEVELS=${LEVELS:-"16 64 256"}
RUNS=${RUNS:-3}     # statements per level: one run's ratio varies by +-3 points here
MEMORY_CALLS=${MEMORY_CALLS:-100000}
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench-batch AIGW_PORT=54422
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster "aigw.workers = ${WORKERS:-1}"
aigw_start_mock --latency-ms 50
aigw_use_mock postgres >/dev/null
psql_q >/dev/null <<'SQL'
SELECT aigw.create_wallet('bench', 'USD');
SELECT aigw.topup('bench', 1000, 'USD', 'bench', 'batch-bench');
ALTER ROLE postgres SET aigw.wallet = 'bench';
CREATE TABLE prompts AS
SELECT array_agg(jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Summarize: item ' || g))) AS a
  FROM generate_series(1, 10000) g;
SQL

cpu_ms() { awk '{s += $14 + $15} END {print s * 10}' "$@" 2>/dev/null; }
# this cluster's pool workers only (not those of another cluster on the machine)
pool_pids() { pgrep -P "$(head -1 "$AIGW_RUN/data/postmaster.pid")" -f "aigw worker"; }
worker_stats() { pool_pids | sed 's|.*|/proc/&/stat|'; }

# one statement of N calls at concurrency C; prints calls/s, ratio, CPU per call.
# The session times the statement itself (clock_timestamp before and after)
# and the counters of /proc are read once before it starts and once after it
# has ended, while the session sleeps: nothing is forked while it runs (a
# polling loop of awk and pgrep costs a 2-core machine a good part of a core).
run_level() {
    local c=$1 bp b0 b1 w0 w1 m0 m1 lines
    psql_q -At -c "SELECT count(*) FROM prompts, aigw.chat_many('openai/gpt-4o-mini', prompts.a[1:100], '{\"concurrency\": $c}')" >/dev/null
    rm -f "$AIGW_RUN/run.out"
    psql_q -At >"$AIGW_RUN/run.out" <<SQL &
SELECT pg_backend_pid();
SELECT pg_sleep(0.3);
SELECT extract(epoch FROM clock_timestamp());
SELECT count(*) FILTER (WHERE error IS NULL) || ' ' || count(error)
  FROM prompts, aigw.chat_many('openai/gpt-4o-mini', prompts.a[1:$N], '{"concurrency": $c}');
SELECT extract(epoch FROM clock_timestamp());
SELECT pg_sleep(0.5);
SQL
    until [ -s "$AIGW_RUN/run.out" ]; do sleep 0.01; done   # before the statement: forking is harmless
    bp=$(head -1 "$AIGW_RUN/run.out")
    b0=$(cpu_ms /proc/$bp/stat); w0=$(cpu_ms $(worker_stats)); m0=$(cpu_ms /proc/$(cat "$AIGW_RUN/mock.pid")/stat)
    # wait for the second timestamp with builtins only (read -t as the sleep)
    rm -f "$AIGW_RUN/tick"; mkfifo "$AIGW_RUN/tick"; exec 9<>"$AIGW_RUN/tick"
    while mapfile -t lines <"$AIGW_RUN/run.out"; [ "${#lines[@]}" -lt 5 ]; do read -r -t 0.02 -u 9 || true; done
    exec 9>&-
    b1=$(cpu_ms /proc/$bp/stat); w1=$(cpu_ms $(worker_stats)); m1=$(cpu_ms /proc/$(cat "$AIGW_RUN/mock.pid")/stat)
    wait
    read -r okn errn < <(sed -n 4p "$AIGW_RUN/run.out")
    t0=$(sed -n 3p "$AIGW_RUN/run.out"); t1=$(sed -n 5p "$AIGW_RUN/run.out")
    python3 - "$c" "$N" "$okn" "$errn" "$t0" "$t1" "$b0" "$b1" "$w0" "$w1" "$m0" "$m1" <<'PY'
import sys
c, n, ok, err = (int(x) for x in sys.argv[1:5])
t0, t1, b0, b1, w0, w1, m0, m1 = (float(x) for x in sys.argv[5:13])
secs = t1 - t0
rate = n / secs
limit = c / 0.05
print(f"concurrency {c:4d}: {n} calls ({ok} ok, {err} failed) in {secs:6.2f} s = {rate:7.0f} calls/s; "
      f"limit {limit:6.0f}/s; ratio {100 * rate / limit:5.1f} %; CPU per call: backend {1000 * (b1 - b0) / n:5.0f} us, "
      f"workers {1000 * (w1 - w0) / n:5.0f} us, mock {1000 * (m1 - m0) / n:5.0f} us")
PY
}

echo "== chat_many, $N requests, mock at 50 ms, billing on (wallet 'bench'), $RUNS statements per level"
for c in $LEVELS; do
    for _ in $(seq "$RUNS"); do run_level "$c"; done | tee "$AIGW_RUN/level.out"
    python3 - "$c" "$AIGW_RUN/level.out" <<'PY'
import re, statistics, sys
ratios = [float(m.group(1)) for m in re.finditer(r"ratio +([0-9.]+) %", open(sys.argv[2]).read())]
print(f"concurrency {int(sys.argv[1]):4d}: median ratio {statistics.median(ratios):5.1f} % "
      f"(min {min(ratios):.1f}, max {max(ratios):.1f}, {len(ratios)} runs)")
PY
done

echo "== resident memory of the pool across $MEMORY_CALLS calls (concurrency 256, mock at 50 ms)"
# RssAnon is the workers' own memory (a leak would show there); RssShmem is
# shared memory they have touched so far (the payload area fills up to its
# working set, then stops).
mem() { for p in $(pool_pids); do awk -v k="$1:" '$1 == k {print $2}' /proc/$p/status; done | paste -sd+ | bc; }
done_calls=0
printf "%10s %16s %16s\n" calls "RssAnon (kB)" "RssShmem (kB)"
while [ $done_calls -lt "$MEMORY_CALLS" ]; do
    psql_q -At -c "SELECT count(*) FROM prompts, aigw.chat_many('openai/gpt-4o-mini', prompts.a, '{\"concurrency\": 256}')" >/dev/null
    done_calls=$((done_calls + 10000))
    printf "%10d %16d %16d\n" $done_calls "$(mem RssAnon)" "$(mem RssShmem)"
done | tee "$AIGW_RUN/rss.out"
python3 - "$AIGW_RUN/rss.out" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
first, last = int(rows[1][1]), int(rows[-1][1])     # after the first 10,000: warm
print(f"pool private memory (RssAnon) from {rows[1][0]} to {rows[-1][0]} calls: {first} kB -> {last} kB "
      f"({100 * (last - first) / first:+.1f} %); shared memory touched: {rows[1][2]} -> {rows[-1][2]} kB")
PY
