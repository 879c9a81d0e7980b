#!/usr/bin/env bash
# aigw.enrich and aigw.embed_column through the providers' batch APIs
# (option batch_api): hand-over, polling, write-back, charges at the batch
# rate, several batches, failed lines, a restart while a batch is out,
# cancel, expiry, a failed batch, rows changed meanwhile, refusals.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 82
MODEL=openai/gpt-4o-mini

sql "SELECT aigw.create_wallet('w', 'USD')" >/dev/null
sql "SELECT aigw.topup('w', 5, 'USD', 'test', 'batch-1')" >/dev/null
sql "ALTER DATABASE $T_DB SET aigw.wallet = 'w'" >/dev/null
# each test's rows: a fresh table
docs() {   # docs NAME ROWS: a table of ROWS documents to summarize
    sql "SET client_min_messages = warning; DROP TABLE IF EXISTS $1; CREATE TABLE $1 (id int PRIMARY KEY, body text, summary text, facts jsonb, emb real[]);
         INSERT INTO $1 SELECT g, 'document ' || g FROM generate_series(1, $2) g" >/dev/null
}
last_job() { sql "SELECT max(id) FROM aigw.jobs"; }
wait_job() { sql "SELECT state FROM aigw.wait_job($1, ${2:-30000})"; }
mock_batches() {   # mock_batches PYTHON-EXPR over d (GET /_mock/batches) and b (its batches)
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/batches" | python3 -c "
import json, sys
d = json.load(sys.stdin)
b = d['batches']
print($1)"
}
direct_calls() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r['path'].endswith('/chat/completions') or r['path'].endswith('/v1/messages')))"
}
held() { sql "SELECT CASE WHEN held_by_batches = 0 THEN '0' ELSE held_by_batches::text END FROM aigw.wallet_status WHERE wallet = 'w'"; }
ledger_ok() { is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "$1"; }
set_upstream() { sql "UPDATE aigw.models SET upstream_model = '$2' WHERE id = '$1'" >/dev/null; }

echo "# one batch: handed over at once, answered, written back, charged at the batch rate"
docs d1 30
sql "UPDATE d1 SET body = 'broken [[mock:status=400]]' WHERE id = 7" >/dev/null
set_upstream $MODEL 'gpt-4o-mini?batch_ms=1500'
mock_reset
t0=$(date +%s%N)
out=$(sql "CALL aigw.enrich('d1', 'summary', 'Summarize {{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 50}')" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
job=$(last_job)
echo "$out" | sed 's/^/#   /'
[ "$ms" -lt 1500 ]; ok $? "the CALL returns before the batch has ended ($ms ms)"
echo "$out" | grep -q "30 rows handed over in 1 batches"; ok $? "... and says what it handed over"
is "$(sql "SELECT state || ' ' || batch_api FROM aigw.jobs WHERE id = $job")" "submitted true" "the job is submitted"
is "$(sql "SELECT state || ' ' || lines || ' ' || (upstream_batch_id LIKE 'batch_%') || ' ' || (input_file_id LIKE 'file-%') FROM aigw.job_batches WHERE job_id = $job")" \
   "submitted 30 true true" "its batch is at the provider, with the provider's batch and file ids"
[ "$(held)" != "0" ] && [ -n "$(held)" ]; ok $? "the wallet holds the batch's worst case ($(held) USD)"
is "$(sql "SELECT count(*) FROM d1 WHERE summary IS NOT NULL")" "0" "no row is filled yet"
is "$(direct_calls)" "0" "nothing was sent as a direct call"
is "$(wait_job $job)" "done" "aigw.wait_job returns once the batch is written back: done"
is "$(sql "SELECT count(*) FROM d1 WHERE summary = 'Mock reply to: Summarize document ' || id")" "29" "29 rows are filled with their own answers"
is "$(sql "SELECT summary IS NULL FROM d1 WHERE id = 7")" "t" "the row whose line failed stays NULL"
sql "SELECT row_ctid, error FROM aigw.job_errors WHERE job_id = $job" | sed 's/^/#   /'
is "$(sql "SELECT count(*) FROM aigw.job_errors e JOIN d1 ON d1.ctid = e.row_ctid WHERE e.job_id = $job AND d1.id = 7 AND e.error <> ''")" "1" \
   "... with the provider's error in aigw.job_errors"
is "$(sql "SELECT rows_done || ' ' || rows_failed || ' ' || calls_in_flight FROM aigw.jobs WHERE id = $job")" "29 1 0" "the job counts 29 done, 1 failed"
bid=$(sql "SELECT upstream_batch_id FROM aigw.job_batches WHERE job_id = $job")
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'ok') || ' ' || count(*) FILTER (WHERE status = 'http_error' AND http_status = 400)
             FROM aigw.requests WHERE upstream_batch = '$bid'")" "30 29 1" "each line is logged in aigw.requests with its batch id"
is "$(sql "SELECT count(*) FROM aigw.requests r
             JOIN aigw.prices p ON p.model = r.served_model AND p.valid_to IS NULL
            WHERE r.upstream_batch = '$bid' AND r.status = 'ok'
              AND r.cost = round(aigw.token_cost(r.prompt_tokens, r.cached_tokens, r.cache_write_tokens, r.completion_tokens, r.reasoning_tokens,
                                                 coalesce(p.input_batch_per_mtok, p.input_per_mtok / 2), coalesce(p.output_batch_per_mtok, p.output_per_mtok / 2)), 8)
              AND r.cost > 0 AND r.cost < r.reserved")" "29" "each answered line is charged at the batch rate (half the standard), within its reservation"
is "$(sql "SELECT (SELECT -sum(amount) FROM aigw.ledger WHERE request_id IN (SELECT id FROM aigw.requests WHERE upstream_batch = '$bid'))
                  = (SELECT sum(cost) FROM aigw.requests WHERE upstream_batch = '$bid')")" "t" "the ledger's charges are the lines' costs"
is "$(sql "SELECT charged = (SELECT sum(cost) FROM aigw.requests WHERE upstream_batch = '$bid') AND charged < reserved FROM aigw.job_batches WHERE job_id = $job")" "t" \
   "the batch's charge is the sum of its lines, below its reservation"
is "$(held)" "0" "the rest of the hold went back to the wallet"
is "$(sql "SELECT upstream_counts->>'total' || ' ' || polls::text::int::bool FROM aigw.job_batches WHERE job_id = $job")" "30 true" \
   "the provider's own counts are kept, as last polled"
ledger_ok "aigw.verify_ledger() is clean"

echo "# several batches, split by batch_size; a second run takes only what is still NULL"
docs d2 50
mock_reset
sql "CALL aigw.enrich('d2', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"batch_size\": 20, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
is "$(sql "SELECT string_agg(lines::text, ',' ORDER BY seq) FROM aigw.job_batches WHERE job_id = $job")" "20,20,10" "50 rows go out as batches of 20, 20 and 10"
is "$(wait_job $job)" "done" "the job ends when its last batch is written back"
is "$(sql "SELECT count(*) FROM d2 WHERE summary IS NOT NULL")" "50" "every row is filled"
is "$(mock_batches "str(len(b)) + ' ' + str(d['lines_total'])")" "3 50" "the mock got 3 batches, 50 lines in all"
is "$(mock_batches "str(d['duplicates_total']) + ' ' + str(d['resubmitted_total'])")" "0 0" "... none answered twice, none sent twice"
sql "UPDATE d2 SET summary = NULL WHERE id <= 5" >/dev/null
sql "CALL aigw.enrich('d2', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
is "$(sql "SELECT lines FROM aigw.job_batches WHERE job_id = $job")" "5" "a second run hands over only the 5 rows still NULL"
wait_job $job >/dev/null
ledger_ok "verify_ledger is clean after several batches"

echo "# Anthropic's Message Batches, a jsonb target"
docs d3 12
sql "CALL aigw.enrich('d3', 'summary', 'Summarize {{body}}', 'anthropic/claude-opus-4-1', '{\"batch_api\": true, \"max_tokens\": 30}')" >/dev/null 2>&1
job=$(last_job)
is "$(sql "SELECT upstream_batch_id LIKE 'msgbatch_%' FROM aigw.job_batches WHERE job_id = $job")" "t" "the batch went to Anthropic's Message Batches"
is "$(wait_job $job)" "done" "... and came back"
is "$(sql "SELECT count(*) FROM d3 WHERE summary LIKE '%document%'")" "12" "every row is filled from Anthropic's answers"
is "$(sql "SELECT count(*) FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id
            WHERE b.job_id = $job AND r.provider = 'anthropic' AND r.prompt_tokens > 0 AND r.cost > 0")" "12" "each line is logged and charged with its tokens"
sql "CALL aigw.enrich('d3', 'facts', 'Facts of {{body}} as JSON', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 40}')" >/dev/null 2>&1
job=$(last_job)
wait_job $job >/dev/null
is "$(sql "SELECT count(*) FROM d3 WHERE jsonb_typeof(facts) = 'object'")" "12" "a jsonb target stores each answer as JSON"

echo "# embed_column through the batch API"
sql "CALL aigw.embed_column('d3', 'body', 'emb', 'openai/text-embedding-3-small', '{\"batch_api\": true}')" >/dev/null 2>&1
job=$(last_job)
is "$(sql "SELECT endpoint FROM aigw.job_batches WHERE job_id = $job")" "embeddings" "the batch goes to /v1/embeddings"
is "$(wait_job $job)" "done" "... and comes back"
is "$(sql "SELECT count(*) FROM d3 WHERE emb = (SELECT aigw.embed('openai/text-embedding-3-small', d3.body))")" "12" \
   "every row has the vector a direct call gives for its text"

echo "# a restart while a batch is out: it is polled again, nothing is sent twice"
docs d4 20
set_upstream $MODEL 'gpt-4o-mini?batch_ms=4000'
mock_reset
sql "CALL aigw.enrich('d4', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -m immediate -w stop >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -l "$AIGW_RUN/server.log" -w -t 60 start >/dev/null
is "$(sql "SELECT state FROM aigw.job_batches WHERE job_id = $job")" "submitted" "after an immediate stop and a start the batch is still submitted"
wait_for 30 "[ \"\$(sql \"SELECT count(*) FROM d4 WHERE summary IS NOT NULL\")\" = 20 ]"; ok $? "the dispatcher the launcher started fills every row, no session asking"
is "$(mock_batches "str(len(b)) + ' ' + str(d['resubmitted_total']) + ' ' + str(d['duplicates_total'])")" "1 0 0" "the provider got one batch: nothing was handed over again or answered twice"
is "$(sql "SELECT count(*) FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id WHERE b.job_id = $job")" "20" \
   "20 lines logged, once each"
ledger_ok "verify_ledger is clean after the restart"

echo "# cancel"
docs d5 20
sql "CALL aigw.enrich('d5', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
out=$(sql "CALL aigw.enrich('d5', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true}')" 2>&1)
echo "$out" | grep -q "has rows out at a provider in job $job"; ok $? "a second run on the same column is refused while its rows are out"
is "$(sql "SELECT aigw.cancel_job($job)")" "1" "aigw.cancel_job cancels the batch at the provider"
is "$(wait_job $job)" "cancelled" "the job ends cancelled"
is "$(sql "SELECT state || ' ' || upstream_status FROM aigw.job_batches WHERE job_id = $job")" "done cancelled" "the batch ended cancelled at the provider"
is "$(held)" "0" "its hold went back"
ledger_ok "verify_ledger is clean after a cancel"

echo "# an expired batch: half answered; a failed batch: nothing answered"
docs d6 20
set_upstream $MODEL 'gpt-4o-mini?batch_ms=300&batch_end=expired&batch_done_fraction=0.5'
sql "CALL aigw.enrich('d6', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
wait_job $job >/dev/null
is "$(sql "SELECT count(*) FILTER (WHERE summary IS NOT NULL) || ' ' || count(*) FILTER (WHERE summary IS NULL) FROM d6")" "10 10" "an expired batch fills the rows answered before it expired"
is "$(sql "SELECT count(*) FROM aigw.job_errors WHERE job_id = $job AND error LIKE '%completion window%'")" "10" "... and says why the others stay NULL"
is "$(sql "SELECT count(*) FILTER (WHERE status = 'ok') || ' ' || count(*) FILTER (WHERE status = 'timeout' AND coalesce(cost, 0) = 0)
             FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id WHERE b.job_id = $job")" "10 10" \
   "only the answered lines are charged"
docs d7 10
set_upstream $MODEL 'gpt-4o-mini?batch_ms=300&batch_end=failed'
sql "CALL aigw.enrich('d7', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
wait_job $job >/dev/null
is "$(sql "SELECT upstream_status || ' ' || (error IS NOT NULL) FROM aigw.job_batches WHERE job_id = $job")" "failed true" "a failed batch is recorded with the provider's error"
is "$(sql "SELECT count(*) FROM d7 WHERE summary IS NULL")" "10" "... its rows stay NULL"
is "$(held)" "0" "every hold went back"
ledger_ok "verify_ledger is clean after expiry and failure"

echo "# rows changed while their batch was out are not overwritten"
docs d8 10
set_upstream $MODEL 'gpt-4o-mini?batch_ms=1500'
sql "CALL aigw.enrich('d8', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
sql "UPDATE d8 SET body = 'rewritten' WHERE id = 1; UPDATE d8 SET summary = 'by hand' WHERE id = 2" >/dev/null
wait_job $job >/dev/null
is "$(sql "SELECT coalesce(summary, 'NULL') FROM d8 WHERE id IN (1, 2) ORDER BY id" | tr '\n' ' ')" "NULL by hand " \
   "a row whose input changed gets no answer, a row filled meanwhile keeps its value"
is "$(sql "SELECT count(*) FROM d8 WHERE summary = 'Mock reply to: document ' || id")" "8" "the other rows are filled"

echo "# an upstream that inflates its usage is charged at the bounds; a wallet that cannot cover a batch"
docs d10 10
set_upstream $MODEL 'gpt-4o-mini?batch_ms=200&completion_tokens=100000000'
sql "CALL aigw.enrich('d10', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
job=$(last_job)
wait_job $job >/dev/null
is "$(sql "SELECT count(*) FILTER (WHERE r.usage_anomaly = 'over_bound' AND r.completion_tokens = 20 AND r.cost <= r.reserved)
             FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id WHERE b.job_id = $job")" "10" \
   "100,000,000 completion tokens a line: each charged for its max_tokens 20, flagged, within its reservation"
is "$(sql "SELECT charged <= reserved AND charged > 0 FROM aigw.job_batches WHERE job_id = $job")" "t" "the batch's charges stay within its hold"
ledger_ok "verify_ledger is clean after an inflating upstream"
set_upstream $MODEL 'gpt-4o-mini'
sql "SELECT aigw.create_wallet('poor', 'USD')" >/dev/null
sql "SELECT aigw.topup('poor', 0.0001, 'USD', 'test', 'batch-poor')" >/dev/null
mock_reset
out=$(sql "CALL aigw.enrich('d10', 'facts', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 4000, \"wallet\": \"poor\"}')" 2>&1)
echo "$out" | grep -q 'wallet "poor" cannot cover batch 1 of job'; ok $? "a batch the wallet cannot cover is refused before it leaves (5G020)"
is "$(mock_batches "len(b)")" "0" "... nothing reached the provider"
is "$(sql "SELECT held_by_batches = 0 AND reserved = 0 FROM aigw.wallet_status WHERE wallet = 'poor'")" "t" "... and nothing stays held"

echo "# Gemini's batch mode: inline requests, the results in the batch itself"
docs d11 8
sql "UPDATE d11 SET body = 'broken [[mock:status=400]]' WHERE id = 3" >/dev/null
sql "CALL aigw.enrich('d11', 'summary', 'Summarize {{body}}', 'gemini/gemini-3.5-flash', '{\"batch_api\": true, \"max_tokens\": 30}')" >/dev/null 2>&1
job=$(last_job)
is "$(sql "SELECT upstream_batch_id LIKE 'batches/%' FROM aigw.job_batches WHERE job_id = $job") $(wait_job $job)" "t done" "a Gemini batch is created and comes back"
is "$(sql "SELECT count(*) FROM d11 WHERE summary LIKE '%document%'") $(sql "SELECT summary IS NULL FROM d11 WHERE id = 3")" "7 t" \
   "seven rows are filled, the failed one stays NULL"
is "$(sql "SELECT string_agg(r.status || '/' || coalesce(r.http_status::text, '-'), ',' ORDER BY r.status)
             FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id
            WHERE b.job_id = $job AND (r.status <> 'ok' OR r.cost > 0)" | tr ',' '\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
   " 1 http_error/400; 7 ok/200;" "each request is logged: 7 answered and charged, the failed one with its HTTP status (from Google's gRPC code)"

echo "# dry_run shows both rates; a meta-model is resolved once, to a model with a batch API"
docs d12 3
out=$(sql "CALL aigw.enrich('d12', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"dry_run\": true, \"max_tokens\": 10}')" 2>&1)
echo "$out" | grep -q "estimated cost:" && echo "$out" | grep -q "through the batch API (option batch_api):"; ok $? "dry_run gives the estimate at the standard and at the batch rate"
is "$(sql "SELECT count(*) FROM aigw.jobs j JOIN aigw.job_batches b ON b.job_id = j.id WHERE j.source = 'd12'::regclass")" "0" "... sending nothing"
out=$(sql "CALL aigw.enrich('d12', 'summary', '{{body}}', 'auto/cheapest', '{\"batch_api\": true, \"max_tokens\": 10}')" 2>&1)
job=$(last_job)
echo "$out" | grep -q "resolved to .* for the whole job; fallback does not apply inside a provider batch"; ok $? "auto/cheapest is resolved once for the whole job, and says fallback does not apply"
is "$(wait_job $job) $(sql "SELECT count(*) FROM d12 WHERE summary IS NOT NULL")" "done 3" "... and its batch fills the rows"
echo "# a session that dies while handing a batch over: the batch is lost, its hold released, nothing sent again"
docs d13 5
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)      # accepts, never answers
' > "$AIGW_RUN/hang.port" &
hang=$!
wait_for 5 "[ -s '$AIGW_RUN/hang.port' ]"
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$(cat "$AIGW_RUN/hang.port")/v1' WHERE name = 'openai'" >/dev/null
sql "CALL aigw.enrich('d13', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 10}')" >/dev/null 2>&1 &
caller=$!
wait_for 15 "[ \"\$(sql \"SELECT count(*) FROM aigw.job_batches b JOIN aigw.jobs j ON j.id = b.job_id WHERE j.source = 'd13'::regclass AND b.state = 'submitting'\")\" = 1 ]"
ok $? "the batch's row and its hold are committed before the upload (which hangs)"
[ "$(held)" != "0" ]; ok $? "... the wallet holds it ($(held))"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL aigw.enrich(''d13''%'" >/dev/null
wait "$caller" 2>/dev/null
job=$(sql "SELECT max(id) FROM aigw.jobs WHERE source = 'd13'::regclass")
wait_for 20 "[ \"\$(sql \"SELECT state FROM aigw.job_batches WHERE job_id = $job\")\" = lost ]"; ok $? "once its session is gone, the dispatcher calls the batch lost"
is "$(held)" "0" "... and releases its hold"
is "$(sql "SELECT error LIKE '%ended before the provider''s batch id was committed%' FROM aigw.jobs WHERE id = $job")" "t" "the job says why its rows stay NULL"
kill "$hang" 2>/dev/null
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT/v1' WHERE name = 'openai'" >/dev/null

echo "# a results file read again from its start (as after a crash): nothing is logged or charged twice"
b2=$(sql "SELECT max(job_id) FROM aigw.job_batches WHERE state = 'done' AND upstream_status = 'completed' AND wallet_id IS NOT NULL")
before=$(sql "SELECT (SELECT count(*) FROM aigw.requests) || ' ' || (SELECT sum(amount) FROM aigw.ledger)")
# back to the state of a batch whose settlement a crash stopped before its last commit
sql "BEGIN;
     UPDATE aigw.wallet_balances wb SET held = wb.held + (b.reserved - b.charged) FROM aigw.job_batches b
      WHERE b.job_id = $b2 AND b.seq = 1 AND wb.wallet_id = b.wallet_id;
     UPDATE aigw.job_batches SET state = 'settling', lines_settled = 0, lines_ok = 0, lines_failed = 0,
            next_poll_at = clock_timestamp() WHERE job_id = $b2 AND seq = 1;
     UPDATE aigw.jobs SET state = 'submitted' WHERE id = $b2;
     COMMIT" >/dev/null
sql "SELECT aigw.wait_job($b2, 20000)" >/dev/null
is "$(sql "SELECT state FROM aigw.job_batches WHERE job_id = $b2 AND seq = 1")" "done" "the batch is settled again from its first line"
is "$(sql "SELECT (SELECT count(*) FROM aigw.requests) || ' ' || (SELECT sum(amount) FROM aigw.ledger)")" "$before" \
   "... without a new request row or charge: each line is logged once (upstream_batch, batch_line)"
ledger_ok "... and the books balance, holds included"

echo "# the provider answers 503 while a batch is out: the poll is asked again, the batch settles once"
docs d14 5
set_upstream $MODEL 'gpt-4o-mini?batch_ms=1500'
sql "CALL aigw.enrich('d14', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 10}')" >/dev/null 2>&1
job=$(last_job)
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("content-length") or 0)
        self.rfile.read(n)
        body = b"{\"error\": {\"message\": \"The server is overloaded.\", \"type\": \"server_error\"}}"
        self.send_response(503); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    do_GET = do_POST = answer
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
' > "$AIGW_RUN/busy.port" &
busy=$!
wait_for 5 "[ -s '$AIGW_RUN/busy.port' ]"
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$(cat "$AIGW_RUN/busy.port")/v1' WHERE name = 'openai'" >/dev/null
wait_for 20 "[ \"\$(sql \"SELECT count(*) FROM aigw.job_batches WHERE job_id = $job AND error LIKE '%HTTP 503%overloaded%'\")\" = 1 ]"
ok $? "a 503 on the status poll is recorded in job_batches.error"
is "$(sql "SELECT state FROM aigw.job_batches WHERE job_id = $job")" "submitted" "... and the batch stays out, to be asked again"
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT/v1' WHERE name = 'openai'" >/dev/null
kill "$busy" 2>/dev/null
is "$(wait_job $job) $(sql "SELECT count(*) FROM d14 WHERE summary IS NOT NULL")" "done 5" "once the provider answers again, the batch settles and fills every row"
is "$(sql "SELECT count(*) FROM aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id WHERE b.job_id = $job")" "5" \
   "... each line logged once"
ledger_ok "verify_ledger is clean after a provider outage"

echo "# refusals"
set_upstream $MODEL 'gpt-4o-mini'
docs d9 3
out=$(sql "CALL aigw.enrich('d9', 'summary', '{{body}}', 'bedrock/global.anthropic.claude-sonnet-5', '{\"batch_api\": true}')" 2>&1)
echo "$out" | grep -q "offers a batch API aigw can use"; ok $? "a model whose provider has no batch API aigw speaks is refused"
is "$(held)" "0" "... holding nothing"

finish
