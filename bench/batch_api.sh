#!/usr/bin/env bash
# aigw.enrich through the provider's batch API (option batch_api) against
# the mock, billing on (one wallet pays every line), ROWS rows (100,000) in
# batches of the default batch_size (10,000):
#   1. hand-over: the CALL's wall time (reading the rows, building each
#      line, packing, uploading, creating the batches, committing), rows/s;
#   2. settle: the dispatcher's time on the ended batches (download, parse,
#      write-back, aigw.requests rows, ledger charges), rows/s.  The two are
#      kept apart: the mock's batches last L ms, L being about twice the
#      hand-over of the run before (at least 3 s), so that none ends before
#      the CALL has returned.  A batch's settling runs from the poll that
#      finds it ended (its next_poll_at, set then) or the end of the batch
#      settled before it (one dispatcher settles one batch at a time),
#      whichever is later, to its ended_at; the batches' settling times add
#      up to the settle time, less the polls of other batches the dispatcher
#      made meanwhile (arrival to answer at the mock, GET /_mock/requests):
#      the mock answers a batch's lines when a poll finds them due, which is
#      the provider's time.  The wait for the poll that finds a batch ended
#      is not in it either.
#      Printed too: the time from the last batch's end at the mock to the
#      job being done (the dispatcher's poll interval, then its backlog).
#   3. memory: the peak RssAnon (private memory; RSS also counts the shared
#      buffers a process touched, which grow with the table and say nothing
#      of aigw) and VmHWM of the calling backend, the dispatcher and the
#      pool worker, sampled every 20 ms, at SMALL rows (20,000) and at
#      ROWS: flat when the ratio stays near 1 while the rows grow 5x; and
#      the rise of RssAnon during the job (the dispatcher and the worker
#      live on from job to job, so their peak also holds earlier work's heap);
#   4. cost: the batch job's charges against the same lines' tokens at the
#      price's standard rates (aigw.token_cost) and against the direct job's
#      charges over the same rows (expected 0.5 both);
#   5. baseline: the same ROWS through a direct aigw.enrich (no batch_api)
#      at its default concurrency (aigw.batch_concurrency, 64), mock at
#      0 ms, cache off; hand-over and settle rows/s as ratios to it.
# RUNS (3) runs of each, interleaved (batch ROWS, direct ROWS, batch SMALL),
# on the tables emptied and vacuumed before each; medians are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
SMALL=${SMALL:-20000}
RUNS=${RUNS:-3}
M=openai/gpt-4o-mini
OPTS='"max_tokens": 50'
./scripts/setup.sh >/dev/null
AIGW_RUN=${BATCH_API_RUN:-/tmp/aigw-bench-batch-api} AIGW_PORT=${BATCH_API_PORT:-54426}
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster
aigw_start_mock --latency-ms 0
aigw_use_mock postgres >/dev/null
psql_q >/dev/null <<SQL
SELECT aigw.create_wallet('bench', 'USD');
SELECT aigw.topup('bench', 100000, 'USD', 'bench', 'batch-api-bench');
ALTER ROLE postgres SET aigw.wallet = 'bench';
CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL, summary text);
INSERT INTO items SELECT g, 'item ' || g || ': a kettle that arrived on time and works well' FROM generate_series(1, $ROWS) g;
CREATE TABLE small (LIKE items INCLUDING ALL);
INSERT INTO small SELECT * FROM items WHERE id <= $SMALL;
CREATE TABLE warm (LIKE items INCLUDING ALL);
INSERT INTO warm SELECT * FROM items WHERE id <= 10;
VACUUM ANALYZE;
SQL
mock() { curl -sf -X "$1" "http://127.0.0.1:$MOCK_PORT$2" ${3:+-d "$3"}; }

# The sampler: peak VmRSS, RssAnon, RssShmem, VmHWM of each pid, how much its
# RssAnon rose over its first sample (the dispatcher and the pool worker live
# on from job to job: their peak also holds what earlier work left in their
# heap) and the CPU it used, every 20 ms until the stop file appears; JSON.
cat >"$AIGW_RUN/sampler.py" <<'PY'
import json, os, sys, time
stop, pids = sys.argv[1], [int(p) for p in sys.argv[2:]]
keys = ("VmRSS", "RssAnon", "RssShmem", "VmHWM")
peak = {p: dict.fromkeys(keys, 0) for p in pids}
first = {}
cpu = {}
tick = os.sysconf("SC_CLK_TCK")
while True:
    done = os.path.exists(stop)
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in keys:
                        peak[p][k] = max(peak[p][k], int(v.split()[0]))
                        if k == "RssAnon":
                            first.setdefault(p, int(v.split()[0]))
            with open(f"/proc/{p}/stat") as f:
                s = f.read().rsplit(")", 1)[1].split()
                c = (int(s[11]) + int(s[12])) / tick
            cpu.setdefault(p, [c, c])[1] = c
        except (OSError, ValueError, IndexError):
            pass
    if done:
        break
    time.sleep(0.02)
print(json.dumps({str(p): dict(peak[p], rise=peak[p]["RssAnon"] - first.get(p, 0),
                               cpu=round(cpu[p][1] - cpu[p][0], 2) if p in cpu else None) for p in pids}))
PY

aigw_pids() { psql_q -At -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE backend_type = '$1'"; }
empty() { psql_q -c "UPDATE $1 SET summary = NULL" -c "VACUUM $1" >/dev/null; }

# batch_run TABLE ROWS BATCH_MS: one batch_api job, sampled; one JSON line on stdout.
batch_run() {
    local table=$1 rows=$2 ms=$3 d w out job t0 t1 json
    empty "$table"
    mock POST /_mock/reset >/dev/null
    mock POST /_mock/batch_config "{\"batch_ms\": $ms}" >/dev/null
    d=$(aigw_pids 'aigw dispatcher'); w=$(aigw_pids 'aigw worker')
    # the peaks from now on (Linux: 5 resets VmHWM)
    for p in $d $w; do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done
    rm -f "$AIGW_RUN/call.pid" "$AIGW_RUN/stop"
    psql_q -At >"$AIGW_RUN/call.out" 2>"$AIGW_RUN/call.err" <<SQL &
SELECT pg_backend_pid() \g $AIGW_RUN/call.pid
SELECT pg_sleep(0.3);
SELECT 't0 ' || extract(epoch FROM clock_timestamp());
CALL aigw.enrich('$table', 'summary', 'Summarize: {{body}}', '$M', '{"batch_api": true, $OPTS}');
SELECT 't1 ' || extract(epoch FROM clock_timestamp());
SELECT 'job ' || max(id) FROM aigw.jobs;
SELECT pg_sleep(0.1);
SQL
    local psql_pid=$!
    for _ in $(seq 200); do [ -s "$AIGW_RUN/call.pid" ] && break; sleep 0.01; done
    python3 "$AIGW_RUN/sampler.py" "$AIGW_RUN/stop" "$(cat "$AIGW_RUN/call.pid")" $d $w >"$AIGW_RUN/peaks.json" &
    local sampler=$!
    wait "$psql_pid" || { cat "$AIGW_RUN/call.err" >&2; return 1; }
    job=$(sed -n 's/^job //p' "$AIGW_RUN/call.out")
    psql_q -At -c "SELECT state FROM aigw.wait_job($job, 600000)" >/dev/null
    touch "$AIGW_RUN/stop"; wait "$sampler"
    t0=$(sed -n 's/^t0 //p' "$AIGW_RUN/call.out"); t1=$(sed -n 's/^t1 //p' "$AIGW_RUN/call.out")
    psql_q -At >"$AIGW_RUN/job.out" <<SQL
SELECT json_build_object('state', j.state, 'done', j.rows_done, 'failed', j.rows_failed, 'cost', j.cost,
       'finished', extract(epoch FROM j.finished_at),
       'right', (SELECT count(*) FROM $table WHERE summary = 'Mock reply to: Summarize: ' || body),
       'batches', (SELECT json_agg(json_build_object('id', b.upstream_batch_id, 'lines', b.lines, 'settled', b.lines_settled,
                          'seen', extract(epoch FROM b.next_poll_at), 'ended', extract(epoch FROM b.ended_at),
                          'submitted', extract(epoch FROM b.submitted_at)) ORDER BY b.ended_at)
                     FROM aigw.job_batches b WHERE b.job_id = j.id),
       'lines', (SELECT count(*) FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id
                  WHERE b.job_id = j.id),
       'standard', (SELECT sum(aigw.token_cost(r.prompt_tokens, r.cached_tokens, r.cache_write_tokens, r.completion_tokens,
                                                r.reasoning_tokens, p.input_per_mtok, p.output_per_mtok, p.cached_input_per_mtok,
                                                p.cache_write_per_mtok, p.reasoning_per_mtok))
                      FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id
                      JOIN aigw.prices p ON p.model = r.served_model AND p.currency = r.currency AND p.valid_to IS NULL
                     WHERE b.job_id = j.id))
  FROM aigw.jobs j WHERE j.id = $job
SQL
    python3 - "$t0" "$t1" "$(cat "$AIGW_RUN/call.pid")" "$d" "$w" "$AIGW_RUN/job.out" "$AIGW_RUN/peaks.json" \
        <(mock GET /_mock/batches) <(mock GET /_mock/requests) "$rows" "$ms" <<'PY'
import json, sys
t0, t1, call, disp, workers = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].split()
job = json.load(open(sys.argv[6])); peaks = json.load(open(sys.argv[7]))
mock = json.load(open(sys.argv[8])); reqs = json.load(open(sys.argv[9]))
rows, ms = int(sys.argv[10]), int(sys.argv[11])
ends = {b["id"]: (b["created_at"] + b["batch_ms"]) / 1000 for b in mock["batches"]}
# each batch's settling, one after the other
spans, prev = [], 0.0
for b in job["batches"]:
    spans.append((max(b["seen"], prev), b["ended"]))
    prev = b["ended"]
# the polls of other batches the dispatcher made meanwhile, as long as the
# mock took to answer them (it answers a batch's lines when a poll finds them due)
polls = [(r["at"] / 1000, r["answered_at"] / 1000) for r in reqs
         if r["method"] == "GET" and "/batches/" in r["path"] and r.get("answered_at")]
in_polls = sum(max(0.0, min(e, pe) - max(s, ps)) for s, e in spans for ps, pe in polls)
busy = sum(e - s for s, e in spans) - in_polls
first = spans[0][0]
# the recordings are a ring of the last 1000: were some of those polls lost?
lost = len(reqs) >= 1000 and min(r["at"] for r in reqs) / 1000 > first
last_end = max(ends[b["id"]] for b in job["batches"])
pk = lambda p: peaks.get(p, {})
print(json.dumps({
    "rows": rows, "ms": ms, "call_s": t1 - t0, "settle_s": busy, "polls_s": in_polls, "polls_lost": lost,
    "tail_s": job["finished"] - last_end,
    "overlap": first < t1, "state": job["state"], "done": job["done"], "failed": job["failed"], "right": job["right"],
    "lines": job["lines"], "batches": len(job["batches"]), "cost": float(job["cost"]), "standard": float(job["standard"]),
    "call": pk(call), "disp": pk(disp),
    "worker": max((pk(w) for w in workers), key=lambda x: x.get("RssAnon", 0), default={})}))
PY
}

# direct_run TABLE: the same rows through direct calls; "seconds cost rows_right" on stdout.
direct_run() {
    empty "$1"
    psql_q -At <<SQL | tr '\n' ' '
SET client_min_messages = warning;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CALL aigw.enrich('$1', 'summary', 'Summarize: {{body}}', '$M', '{"cache": false, $OPTS}');
SELECT extract(epoch FROM clock_timestamp()) - :t0;
SELECT cost FROM aigw.jobs WHERE id = (SELECT max(id) FROM aigw.jobs);
SELECT count(*) FROM $1 WHERE summary = 'Mock reply to: Summarize: ' || body;
SQL
    echo
}

# warm up: the worker, the dispatcher, and a first hand-over time for L
psql_q -c "SELECT count(*) FROM aigw.chat_many('$M', ARRAY['[{\"role\": \"user\", \"content\": \"warm\"}]']::jsonb[])" >/dev/null
batch_run warm 10 0 >/dev/null
echo "== aigw.enrich with batch_api: $ROWS and $SMALL rows, batches of 10,000, billing on; direct aigw.enrich of the same $ROWS rows (cache off, default concurrency, mock at 0 ms); $RUNS interleaved runs"
echo "   hand-over: the CALL's wall time; settle: the dispatcher's time from finding each batch ended to its last chunk committed,"
echo "   less its polls of other batches meanwhile; the mock's batches last about twice the hand-over, so none ends during it"
small_ms=3000
first=$(batch_run small "$SMALL" "$small_ms")
big_ms=$(python3 -c "import json, sys; print(max(3000, int(2000 * json.loads(sys.argv[1])['call_s'] * $ROWS / $SMALL)))" "$first")
: >"$AIGW_RUN/runs"
for r in $(seq "$RUNS"); do
    big=$(batch_run items "$ROWS" "$big_ms")
    direct=$(direct_run items)
    small=$(batch_run small "$SMALL" "$small_ms")
    echo "$big" >>"$AIGW_RUN/runs"; echo "$direct" >>"$AIGW_RUN/runs"; echo "$small" >>"$AIGW_RUN/runs"
    python3 - "$big" "$direct" "$small" "$r" <<'PY'
import json, sys
b, d, s, r = json.loads(sys.argv[1]), sys.argv[2].split(), json.loads(sys.argv[3]), sys.argv[4]
n = b["rows"]
print(f"run {r}: batch {n}: hand-over {b['call_s']:.2f} s ({n / b['call_s']:.0f} rows/s), settle {b['settle_s']:.2f} s"
      f" ({n / b['settle_s']:.0f} rows/s; {b['polls_s']:.2f} s of polls left out), last batch's end to done {b['tail_s']:.2f} s,"
      f" batches of {b['ms']} ms;"
      f" direct {float(d[0]):.2f} s ({n / float(d[0]):.0f} rows/s);"
      f" batch {s['rows']}: hand-over {s['call_s']:.2f} s, settle {s['settle_s']:.2f} s")
PY
    big_ms=$(python3 -c "import json, sys; print(max(3000, int(2000 * json.loads(sys.argv[1])['call_s'])))" "$big")
    small_ms=$(python3 -c "import json, sys; print(max(3000, int(2000 * json.loads(sys.argv[1])['call_s'])))" "$small")
done
psql_q -At -c "SELECT 'ledger problems: ' || count(*) FROM aigw.verify_ledger()"

python3 - "$AIGW_RUN/runs" <<'PY'
import json, statistics, sys
lines = open(sys.argv[1]).read().splitlines()
big = [json.loads(l) for l in lines[0::3]]
direct = [l.split() for l in lines[1::3]]
small = [json.loads(l) for l in lines[2::3]]
m = statistics.median
n, ns = big[0]["rows"], small[0]["rows"]
hand = m(n / b["call_s"] for b in big)
settle = m(n / b["settle_s"] for b in big)
base = m(n / float(d[0]) for d in direct)
# each run's ratio to the direct run beside it, then their median
hand_x = m(float(d[0]) / b["call_s"] for b, d in zip(big, direct))
settle_x = m(float(d[0]) / b["settle_s"] for b, d in zip(big, direct))
print(f"checks: batch jobs {[b['state'] for b in big + small]}, rows filled right {[b['right'] for b in big]} of {n}"
      f" and {[s['right'] for s in small]} of {ns}, lines logged {[b['lines'] for b in big]}, failed {[b['failed'] for b in big]};"
      f" direct rows right {[int(d[2]) for d in direct]}")
for who, runs in (("batch " + str(n), big), ("batch " + str(ns), small)):
    if any(b["overlap"] for b in runs):
        print(f"note: in {sum(b['overlap'] for b in runs)} {who} run(s) a batch ended (and was settled) before the hand-over had returned")
    if any(b["polls_lost"] for b in runs):
        print(f"note: in {sum(b['polls_lost'] for b in runs)} {who} run(s) the mock's ring of 1000 recordings lost polls made while settling: settle is too long")
print()
print(f"speed (medians of {len(big)} runs, {n} rows):")
print(f"  direct aigw.enrich (baseline)   {base:8.0f} rows/s")
print(f"  batch hand-over (the CALL)      {hand:8.0f} rows/s   {hand_x:5.2f}x the direct calls   (CPU of the backend {m(b['call']['cpu'] for b in big):.2f} s)")
print(f"  batch settle (the dispatcher)   {settle:8.0f} rows/s   {settle_x:5.2f}x the direct calls   (CPU of the dispatcher {m(b['disp']['cpu'] for b in big):.2f} s)")
print(f"  (ratios: the median of each run's ratio to the direct run beside it)")
print(f"  last batch's end at the mock to the job done: {m(b['tail_s'] for b in big):.2f} s"
      f" (batches of {m(b['ms'] for b in big):.0f} ms: the poll that finds it ended comes up to a tenth of its age later)")
print(f"  {ns} rows: hand-over {m(ns / s['call_s'] for s in small):.0f} rows/s, settle {m(ns / s['settle_s'] for s in small):.0f} rows/s")
print()
print(f"memory (medians of {len(big)} runs), MB:             {ns:>7} rows {n:>8} rows   ratio")
for who, key in (("calling backend", "call"), ("dispatcher", "disp"), ("pool worker", "worker")):
    for metric, label in (("RssAnon", "RssAnon peak"), ("rise", "RssAnon rise"), ("VmHWM", "VmHWM")):
        a = m(s[key].get(metric, 0) for s in small) / 1024
        b = m(x[key].get(metric, 0) for x in big) / 1024
        print(f"  {who:16} {label:13} {a:13.1f} {b:13.1f} {f'{b / a:7.2f}' if a >= 0.05 else '      -'}")
print()
cost = m(b["cost"] for b in big); std = m(b["standard"] for b in big); dcost = m(float(d[1]) for d in direct)
print(f"cost of {n} rows (medians): batch job {cost:.6f} USD; its lines' tokens at the standard rates {std:.6f} USD;"
      f" the direct job over the same rows {dcost:.6f} USD")
print(f"  batch / standard rate: {cost / std:.3f}   batch / direct: {cost / dcost:.3f}   (expected 0.5)")
PY
