#!/usr/bin/env bash
# The provider batch APIs against a hostile or broken provider, a crash
# while a batch settles, a target table gone while its batch is out, two
# sessions racing for one small wallet, and secrets.  Through the real path
# (CALL -> pool -> libcurl -> the mock's batch APIs -> settlement), the mock
# twisting what it sends back with its batch_results directive (see
# test/mock/README.md, Batch APIs).  Money rules throughout: no line charged
# above its reservation nor a batch above its hold, nothing charged twice,
# every line logged, verify_ledger() clean.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 75
MODEL=openai/gpt-4o-mini
CLAUDE=anthropic/claude-opus-4-1

sql "SELECT aigw.create_wallet('w', 'USD')" >/dev/null
sql "SELECT aigw.topup('w', 50, 'USD', 'test', 'hostile-1')" >/dev/null
sql "ALTER DATABASE $T_DB SET aigw.wallet = 'w'" >/dev/null
docs() {   # docs NAME ROWS: a table of ROWS documents to summarize
    sql "SET client_min_messages = warning; DROP TABLE IF EXISTS $1; CREATE TABLE $1 (id int PRIMARY KEY, body text, summary text);
         INSERT INTO $1 SELECT g, 'document ' || g FROM generate_series(1, $2) g" >/dev/null
}
last_job() { sql "SELECT max(id) FROM aigw.jobs"; }
wait_job() { sql "SELECT state FROM aigw.wait_job($1, ${2:-30000})"; }
set_upstream() { sql "UPDATE aigw.models SET upstream_model = '$2' WHERE id = '$1'" >/dev/null; }
enrich() {   # enrich TABLE MODEL [OPTIONS]: hand the table's rows over, print the job's id
    sql "CALL aigw.enrich('$1', 'summary', '{{body}}', '$2', '{\"batch_api\": true, \"max_tokens\": 20${3:+, $3}}')" >/dev/null 2>&1
    last_job
}
held() { sql "SELECT CASE WHEN held_by_batches = 0 THEN '0' ELSE held_by_batches::text END FROM aigw.wallet_status WHERE wallet = '${1:-w}'"; }
ledger_ok() { is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "$1"; }
# the rows of aigw.requests of a job's batches
LINES="aigw.requests r JOIN aigw.job_batches b ON r.upstream_batch = b.upstream_batch_id"
# own TABLE: the rows holding their own answer, the others as id=NULL or id=WRONG
own() {
    sql "SELECT string_agg(CASE WHEN summary = 'Mock reply to: document ' || id THEN 'own'
                                WHEN summary IS NULL THEN id || '=NULL' ELSE id || '=WRONG' END, ' ' ORDER BY id) FROM $1"
}
# money JOB: lines charged above their reservation, batches above their hold (both must be 0)
money() {
    sql "SELECT (SELECT count(*) FROM $LINES WHERE b.job_id = $1 AND r.cost > r.reserved) || ' '
             || (SELECT count(*) FROM aigw.job_batches WHERE job_id = $1 AND charged > reserved)"
}

echo "# a provider that sends a result line twice"
docs h1 5
set_upstream $MODEL 'gpt-4o-mini?batch_ms=200&batch_results=dup_line'
job=$(enrich h1 $MODEL)
is "$(wait_job $job)" "done" "a batch whose results repeat a line ends"
is "$(own h1)" "own own own own own" "each row has its own answer"
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE r.cost > 0) FROM $LINES WHERE b.job_id = $job")" "5 5" \
   "the repeated line is neither logged nor charged again: 5 lines logged and charged for the 5 sent"
is "$(sql "SELECT rows_done || ' ' || rows_failed FROM aigw.jobs WHERE id = $job")" "5 0" "the job counts 5 rows done, none twice"
is "$(sql "SELECT lines_settled || ' ' || (charged = (SELECT sum(cost) FROM $LINES WHERE b.job_id = $job))
             FROM aigw.job_batches b WHERE job_id = $job")" "6 true" "the batch settled its 6 result lines; its charge is the lines' costs"
ledger_ok "verify_ledger is clean after a repeated line"

echo "# a line naming another row (its address, a wrong fingerprint), every line claiming 10^15 tokens"
docs h2 5
set_upstream $MODEL 'gpt-4o-mini?batch_ms=200&batch_results=foreign_id&usage=huge'
job=$(enrich h2 $MODEL)
is "$(wait_job $job)" "done" "the job ends"
is "$(own h2)" "1=NULL own own own own" "the row the line claims gets no answer but its own; the row whose line was relabelled stays NULL"
is "$(money $job)" "0 0" "no line is charged above its reservation, the batch not above its hold"
is "$(sql "SELECT count(*) FROM $LINES WHERE b.job_id = $job AND r.status = 'ok' AND r.usage_anomaly = 'over_bound'")" "5" \
   "every line's 10^15 tokens are charged at its bounds and flagged"
is "$(sql "SELECT rows_done || ' ' || rows_failed FROM aigw.jobs WHERE id = $job")" "4 1" \
   "the job counts 4 rows done and the relabelled line failed (not done: its address was written by another line)"
ledger_ok "verify_ledger is clean after a relabelled line"

echo "# a line that is not JSON, a line with no custom_id, lines for requests never sent, all claiming 10^15 tokens"
docs h3 5
set_upstream $MODEL 'gpt-4o-mini?batch_ms=200&batch_results=garbage_line,missing_id,extra_lines&usage=huge'
job=$(enrich h3 $MODEL)
is "$(wait_job $job)" "done" "the job ends"
is "$(own h3)" "1=NULL own own own own" "the rows named by a line of theirs get their own answer, the others none"
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE r.status = 'ok') || ' ' || count(*) FILTER (WHERE r.cost > 0)
             FROM $LINES WHERE b.job_id = $job")" "4 4 4" \
   "of the 11 result lines only the 4 naming a request sent are logged and charged"
is "$(money $job)" "0 0" "no line is charged above its reservation, the batch not above its hold"
is "$(sql "SELECT rows_done || ' ' || rows_failed FROM aigw.jobs WHERE id = $job")" "4 0" "the job counts the 4 rows done; lines naming no row count as no row"
sql "SELECT error FROM aigw.jobs WHERE id = $job" | sed 's/^/#   /'
sql "SELECT error LIKE '%1 of its 5 lines came back without a result%'
              AND error LIKE '%not believed, neither logged nor charged: 0 repeated, 7 naming no row aigw sent, 0 beyond the 5 lines sent%'
         FROM aigw.jobs WHERE id = $job" | grep -qx t
ok $? "... and says that 1 of its 5 lines came back without a result, and 7 lines were not believed"
is "$(held)" "0" "every hold went back"
ledger_ok "verify_ledger is clean after garbage, a missing id and extra lines"

echo "# Anthropic: a repeated line; a results_url on another origin"
docs h4 5
set_upstream $CLAUDE 'claude-opus-4-1?batch_ms=200&batch_results=dup_line'
job=$(enrich h4 $CLAUDE)
is "$(wait_job $job)" "done" "an Anthropic batch whose results repeat a line ends"
is "$(sql "SELECT count(*) FILTER (WHERE summary LIKE 'Mock reply to: %document ' || id) FROM h4")" "5" "each row has its own answer"
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE r.cost > 0) FROM $LINES WHERE b.job_id = $job")" "5 5" \
   "5 lines logged and charged: the repeated one is not charged again"
sql "SELECT aigw.create_wallet('wa', 'USD')" >/dev/null
sql "SELECT aigw.topup('wa', 5, 'USD', 'test', 'hostile-wa')" >/dev/null
docs h5 5
set_upstream $CLAUDE 'claude-opus-4-1?batch_ms=200&batch_results=foreign_url'
mock_reset
job=$(enrich h5 $CLAUDE '"wallet": "wa"')
wait_for 20 "[ \"\$(sql \"SELECT count(*) FROM aigw.job_batches WHERE job_id = $job AND error LIKE '%is not on the provider''s origin%'\")\" = 1 ]"
ok $? "a results_url on another origin is refused (job_batches.error says why)"
sql "SELECT error FROM aigw.job_batches WHERE job_id = $job" | sed 's/^/#   /'
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
print(sum(1 for r in json.load(sys.stdin) if not r['headers'].get('host', '').startswith('127.0.0.1:')))")" "0" \
   "... and nothing was sent there: the credential stays on the provider's origin"
is "$(sql "SELECT b.state || ' ' || (held_by_batches = 0) || ' ' || (SELECT count(*) FROM h5 WHERE summary IS NOT NULL)
             FROM aigw.job_batches b, aigw.wallet_status WHERE b.job_id = $job AND wallet = 'wa'")" "done true 0" \
   "results that can never be read close the batch: its rows stay NULL, nothing stays held"
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE r.status = 'unknown' AND r.cost = r.reserved AND r.error LIKE '%may have served%')
             FROM $LINES WHERE b.job_id = $job")" "5 5" \
   "... its 5 lines are logged unknown and charged their reservation (the provider may have served them)"
is "$(sql "SELECT charged = (SELECT sum(r.cost) FROM $LINES WHERE b.job_id = $job) AND charged <= reserved FROM aigw.job_batches WHERE job_id = $job")" "t" \
   "... within the batch's hold"
ledger_ok "verify_ledger is clean after a batch closed unread"

echo "# usage no upstream should report: each line within its reservation, the batch within its hold"
docs h6 7
sql "UPDATE h6 SET body = body || CASE id WHEN 1 THEN ' [[mock:usage=huge]]' WHEN 2 THEN ' [[mock:usage=absurd]]'
       WHEN 3 THEN ' [[mock:usage=negative]]' WHEN 4 THEN ' [[mock:usage=string]]' WHEN 5 THEN ' [[mock:usage=fraction]]'
       WHEN 6 THEN ' [[mock:usage=missing]]' ELSE ' [[mock:prompt_tokens=1000000000000000&completion_tokens=1000000000000000]]' END" >/dev/null
set_upstream $MODEL 'gpt-4o-mini?batch_ms=200'
job=$(enrich h6 $MODEL)
is "$(wait_job $job)" "done" "the job ends"
is "$(sql "SELECT count(*) FROM h6 WHERE summary LIKE 'Mock reply to: document ' || id || '%'")" "7" "every row has its own answer"
is "$(money $job)" "0 0" "no line is charged above its reservation, the batch not above its hold"
is "$(sql "SELECT string_agg(coalesce(r.usage_anomaly, 'none'), ',' ORDER BY r.usage_anomaly) FROM $LINES WHERE b.job_id = $job")" \
   "missing,missing,missing,missing,missing,over_bound,over_bound" \
   "absent, negative, fractional, string and 1e308 counts are charged at the bounds (missing), 10^15 at the bounds too (over_bound)"
is "$(sql "SELECT count(*) FROM $LINES WHERE b.job_id = $job AND r.usage_anomaly = 'missing' AND r.cost = r.reserved")" "5" \
   "... a line with no usable count costs its reservation, no more"
ledger_ok "verify_ledger is clean after absurd usage"

echo "# secrets: a provider quoting the key in a result line, keys the provider refuses at hand-over"
WRONG=sk-batchadv-wrong-7f3e9a1c5d2b
set_upstream $MODEL 'gpt-4o-mini?batch_ms=200&batch_results=echo_auth'
set_upstream $CLAUDE 'claude-opus-4-1?batch_ms=200&batch_results=echo_auth'
docs h7 3
job=$(enrich h7 $MODEL)
wait_job $job >/dev/null
docs h8 3
job2=$(enrich h8 $CLAUDE)
wait_job $job2 >/dev/null
sql "SELECT r.provider || ': ' || r.error FROM $LINES WHERE b.job_id IN ($job, $job2) AND r.status = 'http_error'" | sed 's/^/#   /'
is "$(sql "SELECT count(*) FROM $LINES WHERE b.job_id IN ($job, $job2) AND r.status = 'http_error' AND r.error LIKE '%[redacted]%'")|$(sql "SELECT count(*) FROM aigw.job_errors WHERE job_id IN ($job, $job2) AND error LIKE '%[redacted]%'")" "2|2" \
   "a result line quoting the key it was downloaded with reaches aigw.requests and aigw.job_errors [redacted] (OpenAI, Anthropic)"
for p in openai anthropic; do sql "SELECT aigw.set_credential('$p', '$WRONG')" >/dev/null; done
set_upstream $MODEL 'gpt-4o-mini'
set_upstream $CLAUDE 'claude-opus-4-1'
docs h9 3
refused=$("$PGBIN/psql" -X -q -At -d "$T_DB" -v VERBOSITY=verbose -c "CALL aigw.enrich('h9', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true}')" 2>&1)
refused+=$("$PGBIN/psql" -X -q -At -d "$T_DB" -v VERBOSITY=verbose -c "CALL aigw.enrich('h9', 'summary', '{{body}}', '$CLAUDE', '{\"batch_api\": true}')" 2>&1)
echo "$refused" | grep -E "^ERROR" | sed 's/^/#   /'
is "$(echo "$refused" | grep -cE "^ERROR:  5G001: provider \"(openai|anthropic)\" refused the batch")" "2" "a 401 at hand-over refuses the batch (OpenAI's upload, Anthropic's create)"
is "$(sql "SELECT count(*) FROM aigw.job_batches WHERE upstream_status = 'refused' AND error LIKE '%401%'")|$(held)" "2|0" "... the refusals are recorded and hold nothing"
# a refusal that lands while the dispatcher looks at the batch being handed over: a provider that
# answers the upload with a 401 after 1 s, and a lock that makes the refusal commit just before
# the dispatcher's second look (2 s after its first) writes the row
python3 -c '
import http.server, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(1)
        body = b"{\"error\": {\"message\": \"Incorrect API key provided: sk-ba****2b.\", \"type\": \"invalid_request_error\", \"param\": null, \"code\": \"invalid_api_key\"}}"
        self.send_response(401); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
' >"$AIGW_RUN/slow401.port" &
slow=$!
wait_for 5 "[ -s '$AIGW_RUN/slow401.port' ]"
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$(cat "$AIGW_RUN/slow401.port")/v1' WHERE name = 'openai'" >/dev/null
docs h10 3
sql "CALL aigw.enrich('h10', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true}')" >/dev/null 2>&1 &
caller=$!
BATCH="aigw.job_batches b JOIN aigw.jobs j ON j.id = b.job_id WHERE j.source = 'h10'::regclass"
wait_for 10 "[ \"\$(sql \"SELECT count(*) FROM $BATCH AND b.state = 'submitting' AND b.polls > 0\")\" = 1 ]"
ok $? "the dispatcher looks at the batch being handed over as soon as its hold commits"
sql "BEGIN; SELECT 1 FROM aigw.job_batches WHERE (job_id, seq) IN (SELECT b.job_id, b.seq FROM $BATCH) FOR UPDATE; SELECT pg_sleep(3); COMMIT" >/dev/null &
locker=$!
wait "$caller" 2>/dev/null
wait "$locker"
sleep 0.5
is "$(sql "SELECT b.state || ' ' || b.upstream_status || ' ' || coalesce((b.error LIKE '%HTTP 401%')::text, 'no error') FROM $BATCH")|$(held)|$(sql "SELECT count(*) FROM aigw.verify_ledger()")" \
   "done refused true|0|0" "a refusal that commits while the dispatcher looks keeps its error; the hold is released once"
kill "$slow" 2>/dev/null
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT/v1' WHERE name = 'openai'" >/dev/null
for p in openai anthropic; do sql "SELECT aigw.set_credential('$p', '$AIGW_MOCK_KEY')" >/dev/null; done
leaks=0
for s in "$AIGW_MOCK_KEY" "$WRONG"; do
    n=$(sql "SELECT (SELECT count(*) FROM aigw.job_batches t WHERE t::text LIKE '%$s%') + (SELECT count(*) FROM aigw.jobs t WHERE t::text LIKE '%$s%')
                  + (SELECT count(*) FROM aigw.requests t WHERE t::text LIKE '%$s%') + (SELECT count(*) FROM aigw.job_errors t WHERE t::text LIKE '%$s%')")
    [ "$n" = 0 ] || { echo "#   $s: in $n rows"; leaks=1; }
    echo "$refused" | grep -qF -- "$s" && { echo "#   $s: in an error"; leaks=1; }
    grep -qaF -- "$s" "$AIGW_RUN/server.log" && { echo "#   $s: in the server log"; leaks=1; }
done
ok $leaks "neither key is in aigw.job_batches, aigw.jobs, aigw.requests, aigw.job_errors, the errors or the server log"

echo "# the target table dropped, the role's UPDATE revoked, the role dropped while the batch is out"
sql "DO \$\$ BEGIN CREATE ROLE hostile_user LOGIN IN ROLE aigw_user; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
sql "SET client_min_messages = warning;
     DO \$\$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hostile_gone') THEN EXECUTE 'DROP OWNED BY hostile_gone'; END IF; END \$\$;
     DROP ROLE IF EXISTS hostile_gone; CREATE ROLE hostile_gone LOGIN IN ROLE aigw_user" >/dev/null
sql "SELECT aigw.grant_wallet('w', 'hostile_user'), aigw.grant_wallet('w', 'hostile_gone')" >/dev/null
as_role() { "$PGBIN/psql" -X -q -At -U "$1" -d "$T_DB" -c "$2"; }
set_upstream $MODEL 'gpt-4o-mini?batch_ms=1500'
docs g1 6
docs g2 6
docs g3 6
sql "GRANT SELECT, UPDATE ON g2 TO hostile_user; GRANT SELECT, UPDATE ON g3 TO hostile_gone" >/dev/null
j1=$(enrich g1 $MODEL)
as_role hostile_user "CALL aigw.enrich('g2', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
j2=$(last_job)
as_role hostile_gone "CALL aigw.enrich('g3', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 20}')" >/dev/null 2>&1
j3=$(last_job)
is "$(sql "SELECT string_agg(role_name || ':' || state, ' ' ORDER BY id) FROM aigw.jobs WHERE id IN ($j1, $j2, $j3)")" \
   "postgres:submitted hostile_user:submitted hostile_gone:submitted" "three jobs are out, by two roles"
sql "DROP TABLE g1; REVOKE UPDATE ON g2 FROM hostile_user; DROP OWNED BY hostile_gone; DROP ROLE hostile_gone" >/dev/null
for j in $j1 $j2 $j3; do
    is "$(wait_job $j)" "done" "job $j ends"
done
is "$(sql "SELECT string_agg(b.job_id || ':' || (SELECT count(*) FILTER (WHERE r.status = 'ok' AND r.cost > 0 AND r.cost <= r.reserved)
                                                 FROM aigw.requests r WHERE r.upstream_batch = b.upstream_batch_id), ' ' ORDER BY b.job_id)
             FROM aigw.job_batches b WHERE b.job_id IN ($j1, $j2, $j3)")" "$j1:6 $j2:6 $j3:6" \
   "every line of the three batches is logged and charged (the provider served them), within its reservation"
is "$(sql "SELECT string_agg(rows_done || '/' || rows_failed || '/' || (SELECT count(*) FROM aigw.job_errors e WHERE e.job_id = j.id
                                                                         AND e.error LIKE 'the answer could not be written back: %'), ' ' ORDER BY id)
             FROM aigw.jobs j WHERE id IN ($j1, $j2, $j3)")" "0/6/6 0/6/6 0/6/6" "no row done: each of the 18 failed, why in aigw.job_errors"
sql "SELECT DISTINCT error FROM aigw.job_errors WHERE job_id IN ($j1, $j2, $j3)" | sed 's/^/#   /'
is "$(sql "SELECT count(*) FROM g2 WHERE summary IS NOT NULL")|$(held)" "0|0" "the revoked role's rows are untouched; every hold went back"
ledger_ok "verify_ledger is clean"
docs g4 6
sql "ALTER TABLE g4 ADD CHECK (summary NOT LIKE '%document 3')" >/dev/null
job=$(enrich g4 $MODEL)
wait_job $job >/dev/null
is "$(own g4)|$(sql "SELECT rows_done || ' ' || rows_failed || ' ' || (SELECT string_agg(error, '; ') FROM aigw.job_errors WHERE job_id = $job) FROM aigw.jobs WHERE id = $job")" \
   "own own 3=NULL own own own|5 1 the answer could not be written back: new row for relation \"g4\" violates check constraint \"g4_summary_check\"" \
   "an answer its row's CHECK constraint refuses fails alone: the other answers of its chunk are written"

echo "# two sessions handing batches to one small wallet at once"
# 50-row batches whose lines all have the same worst case R: the wallet holds about 15 and a half of them
fixed() { sql "SET client_min_messages = warning; DROP TABLE IF EXISTS $1; CREATE TABLE $1 (id int PRIMARY KEY, body text, summary text);
               INSERT INTO $1 SELECT g, 'document ' || lpad(g::text, 4, '0') FROM generate_series(1, $2) g" >/dev/null; }
set_upstream $MODEL 'gpt-4o-mini?batch_ms=8000'
fixed probe 50
job=$(enrich probe $MODEL '"max_tokens": 2000')
R=$(sql "SELECT reserved FROM aigw.job_batches WHERE job_id = $job")
sql "SELECT aigw.create_wallet('small', 'USD')" >/dev/null
sql "SELECT aigw.topup('small', ceil($R * 15.5 * 100) / 100, 'USD', 'test', 'hostile-small')" >/dev/null
N=$(sql "SELECT floor(balance / $R) FROM aigw.wallet_status WHERE wallet = 'small'")
echo "#   a batch holds $R USD; the wallet covers $N of them"
fixed ca 500
fixed cb 500
rm -f "$AIGW_RUN"/race.*
for s in a b; do
    "$PGBIN/psql" -X -q -At -d "$T_DB" -v VERBOSITY=verbose \
        -c "CALL aigw.enrich('c$s', 'summary', '{{body}}', '$MODEL', '{\"batch_api\": true, \"max_tokens\": 2000, \"batch_size\": 50, \"wallet\": \"small\"}')" \
        >"$AIGW_RUN/race.$s" 2>&1 &
done
wait
cat "$AIGW_RUN"/race.* | grep -E "^ERROR" | sed 's/^/#   /'
is "$(cat "$AIGW_RUN"/race.* | grep -cE '^ERROR:  5G020: wallet "small" cannot cover batch')" "$(cat "$AIGW_RUN"/race.* | grep -c '^ERROR')" \
   "every refusal is 5G020 (wallet cannot cover the batch)"
[ "$(cat "$AIGW_RUN"/race.* | grep -c '^ERROR')" -ge 1 ]; ok $? "at least one session is refused"
is "$(sql "SELECT count(*) || ' ' || count(DISTINCT job_id) FROM aigw.job_batches b JOIN aigw.wallets w ON w.id = b.wallet_id
            WHERE w.name = 'small' AND b.state <> 'done'")" "$N 2" "exactly the $N batches the wallet covers were handed over, by both sessions"
is "$(sql "SELECT held_by_batches <= balance AND held_by_batches = (SELECT sum(reserved) FROM aigw.job_batches b JOIN aigw.wallets w ON w.id = b.wallet_id
                                                                  WHERE w.name = 'small' AND b.state <> 'done')
             FROM aigw.wallet_status WHERE wallet = 'small'")" "t" "the wallet holds what they reserve, never more than its balance"
ledger_ok "verify_ledger is clean while they are out"
race_jobs=$(sql "SELECT string_agg(DISTINCT job_id::text, ',') FROM aigw.job_batches b JOIN aigw.wallets w ON w.id = b.wallet_id WHERE w.name = 'small'")
is "$(sql "SELECT count(*) FROM aigw.jobs WHERE id IN ($race_jobs) AND state = 'failed' AND error LIKE 'wallet \"small\" cannot cover batch %'")" \
   "$(cat "$AIGW_RUN"/race.* | grep -c '^ERROR')" "a job refused midway is failed at once, saying why (its batches out still settle)"
t0=$SECONDS
refusals=$(cat "$AIGW_RUN"/race.* | grep -c '^ERROR')
is "$(for j in ${race_jobs//,/ }; do wait_job $j 60000; done | sort | tr '\n' ' ')" "$([ "$refusals" = 2 ] && echo "failed failed " || echo "done failed ")" \
   "aigw.wait_job returns once their batches have settled ($((SECONDS - t0)) s): the refused one failed, the other done"
wait_job $job >/dev/null
is "$(held small)|$(sql "SELECT (SELECT count(*) FROM ca WHERE summary IS NOT NULL) + (SELECT count(*) FROM cb WHERE summary IS NOT NULL)")" \
   "0|$((N * 50))" "once they settle the holds go back; the $((N * 50)) rows handed over are filled"
ledger_ok "verify_ledger is clean after the race"

echo "# a crash while a batch of 3,500 lines settles, 1,000 lines a transaction"
server_up() { wait_for 90 '"$PGBIN/pg_isready" -q' && wait_for 30 'sql "SELECT 1" >/dev/null 2>&1'; }
mock_batches() {   # mock_batches PYTHON-EXPR over d (GET /_mock/batches)
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/batches" | python3 -c "
import json, sys
d = json.load(sys.stdin)
print($1)"
}
# the provider repeats the first line at the end: settled before the crash, it is still known after it
set_upstream $MODEL 'gpt-4o-mini?batch_ms=300&batch_results=dup_line'
crash_case() {   # crash_case TABLE HOW (kill: SIGKILL to the dispatcher; immediate: pg_ctl stop -m immediate)
    local t=$1 how=$2 job before dpid bid
    docs $t 3500
    # each chunk's write-back takes 1.5 s (a statement trigger): a window to crash in
    sql "CREATE FUNCTION slow_$t() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END \$\$;
         CREATE TRIGGER slow AFTER UPDATE ON $t FOR EACH STATEMENT EXECUTE FUNCTION slow_$t()" >/dev/null
    mock_reset
    job=$(enrich $t $MODEL)
    wait_for 60 "[ \"\$(sql \"SELECT lines_settled FROM aigw.job_batches WHERE job_id = $job\")\" -ge 1000 ]"
    before=$(sql "SELECT lines_settled FROM aigw.job_batches WHERE job_id = $job")
    dpid=$(sql "SELECT pid FROM pg_stat_activity WHERE backend_type = 'aigw dispatcher' AND datname = current_database()")
    if [ "$how" = kill ]; then
        kill -9 "$dpid"
        sleep 1
    else
        as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -m immediate -w stop >/dev/null
        as_pg "$PGBIN/pg_ctl" -D "$AIGW_RUN/data" -l "$AIGW_RUN/server.log" -w -t 60 start >/dev/null
    fi
    server_up
    [ "$before" -ge 1000 ] && [ "$before" -lt 3500 ] && [ "$(sql "SELECT lines_settled FROM aigw.job_batches WHERE job_id = $job")" -lt 3500 ]
    ok $? "$how: the crash came in the middle of the settlement ($before of 3500 lines settled, dispatcher $dpid)"
    is "$(wait_job $job 120000)" "done" "$how: the dispatcher started after the crash resumes and ends the job"
    bid=$(sql "SELECT upstream_batch_id FROM aigw.job_batches WHERE job_id = $job")
    is "$(sql "SELECT count(*) || ' ' || count(DISTINCT upstream_id) || ' ' || count(*) FILTER (WHERE status = 'ok')
                 FROM aigw.requests WHERE upstream_batch = '$bid'")" "3500 3500 3500" \
       "$how: each of the 3500 lines is logged once (the repeated one not again)"
    is "$(sql "SELECT count(*) || ' ' || count(DISTINCT request_id) FROM aigw.ledger
                WHERE request_id IN (SELECT id FROM aigw.requests WHERE upstream_batch = '$bid')")" "3500 3500" "$how: ... and charged once"
    is "$(own $t | tr ' ' '\n' | sort | uniq -c | sed 's/^ *//')|$(sql "SELECT rows_done || ' ' || rows_failed FROM aigw.jobs WHERE id = $job")" \
       "3500 own|3500 0" "$how: every row has its own answer, counted once"
    is "$(sql "SELECT lines_settled || ' ' || (charged = (SELECT sum(cost) FROM aigw.requests WHERE upstream_batch = '$bid'))
                 FROM aigw.job_batches WHERE job_id = $job")|$(held)" "3501 true|0" "$how: the batch's charge is its lines' costs; the hold went back"
    is "$(mock_batches "str(len(d['batches'])) + ' ' + str(d['resubmitted_total'])")" "1 0" "$how: nothing was handed over again"
    ledger_ok "$how: verify_ledger is clean after the crash"
}
crash_case k1 kill
crash_case k2 immediate

finish
