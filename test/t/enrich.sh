#!/usr/bin/env bash
# The response cache and aigw.enrich, against the mock.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 40
MODEL=openai/gpt-4o-mini
MSG='[{"role": "user", "content": "cache me"}]'
chat_requests() {   # requests the mock received for chat completions since the last reset
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r['path'].endswith('/chat/completions')))"
}

echo "# the response cache"
mock_reset
sql "SET aigw.cache = on; SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0}')" >/dev/null
is "$(sql "SET aigw.cache = on; SELECT r->'aigw'->>'cached' || ' ' || (r->'aigw'->'attempts'->0->>'status') || ' ' || (r->'choices'->0->'message'->>'content')
             FROM aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0, \"tags\": {\"run\": 2}}') r")" \
   "true cache_hit Mock reply to: cache me" "the same request again is answered from the cache (tags do not change the key)"
is "$(chat_requests)" "1" "... and the mock got it once"
is "$(sql "SELECT status || ' ' || cost || ' ' || (error IS NULL) FROM aigw.requests ORDER BY id DESC LIMIT 1")" "cache_hit 0 true" \
   "the hit is logged as cache_hit, at a cost of 0"
sql "SET aigw.cache = on; SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0.7}')" >/dev/null
sql "SET aigw.cache = on; SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0.7}')" >/dev/null
is "$(chat_requests)" "3" "at temperature 0.7 nothing is cached"
sql "SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0.7, \"cache\": true}')" >/dev/null
sql "SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0.7, \"cache\": true}')" >/dev/null
is "$(chat_requests)" "4" "... unless the call asks for it (one request, then a hit)"
sql "SET aigw.cache = on; SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0, \"cache\": false}')" >/dev/null
is "$(chat_requests)" "5" "cache: false bypasses it"
sql "SELECT aigw.chat('$MODEL', '[{\"role\": \"user\", \"content\": \"short-lived\"}]', '{\"cache\": true, \"cache_ttl\": 1}')" >/dev/null
sleep 1.2
sql "SELECT aigw.chat('$MODEL', '[{\"role\": \"user\", \"content\": \"short-lived\"}]', '{\"cache\": true, \"cache_ttl\": 1}')" >/dev/null
is "$(chat_requests)" "7" "an expired entry is not served"
sql "DO \$\$ BEGIN CREATE ROLE enrich_other LOGIN IN ROLE aigw_user; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
"$PGBIN/psql" -X -q -At -U enrich_other -d "$T_DB" -c "SELECT aigw.chat('$MODEL', '$MSG', '{\"temperature\": 0.7, \"cache\": true}')" >/dev/null
is "$(chat_requests)" "8" "another role never gets this role's cached answer"
is "$("$PGBIN/psql" -X -q -At -U enrich_other -d "$T_DB" -c "SELECT count(*) FROM aigw.response_cache" 2>&1 | grep -c "permission denied")" "1" \
   "no role but aigw's own may read the cache table"
is "$(sql "SELECT count(*) FROM aigw.response_cache")" "4" "four answers are stored"

echo "# aigw.enrich"
sql "CREATE TABLE reviews (id int PRIMARY KEY, title text, body text, summary text, facts jsonb)"
sql "INSERT INTO reviews (id, title, body)
     SELECT g, 'T' || g, CASE WHEN g % 50 = 0 THEN 'broken [[mock:status=400]]'
                              ELSE format('review %s: it''s \"fine\" \\ ok', g) END
       FROM generate_series(1, 400) g"
mock_reset
out=$(sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{nope}}', '$MODEL')" 2>&1)
echo "$out" | grep -q 'prompt placeholder {{nope}} names no column of public.reviews'; ok $? "a placeholder naming no column is an error"
out=$(sql "CALL aigw.enrich('reviews', 'missing', 'Summarize {{body}}', '$MODEL')" 2>&1)
echo "$out" | grep -q 'column "missing" of reviews does not exist'; ok $? "so is a target column that does not exist"
out=$(sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{body}}', '$MODEL', '{\"chunk_size\": 0}')" 2>&1)
echo "$out" | grep -q 'invalid enrichment option: chunk_size must be 1 to 100000'; ok $? "a chunk_size of 0 is refused"
out=$(sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{body}}', '$MODEL', '{\"max_cost\": \"lots\"}')" 2>&1)
echo "$out" | grep -q 'invalid enrichment option'; ok $? "so is a max_cost that is not a number"
out=$(sql "CALL aigw.enrich('reviews', 'id', 'Summarize {{body}}', '$MODEL')" 2>&1)
echo "$out" | grep -q 'column "id" of reviews is of type integer, not text or jsonb'; ok $? "and one of the wrong type"
out=$(sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{title}}: {{body}}', '$MODEL', '{\"dry_run\": true}')" 2>&1)
echo "$out" | sed 's/^/#   /'
echo "$out" | grep -q 'dry run: 400 rows of reviews to fill with openai/gpt-4o-mini'; ok $? "dry_run reports the rows to fill"
echo "$out" | grep -q 'estimated cost: .* USD expected .* USD at most'; ok $? "... and the cost range"
is "$(chat_requests) $(sql "SELECT count(*) FROM aigw.jobs")" "0 0" "none of these sent anything or started a job"

echo "# a run interrupted mid-way resumes without paying twice"
mock_reset
sql "UPDATE reviews SET body = body || ' [[mock:latency_ms=300]]' WHERE id BETWEEN 201 AND 400" >/dev/null
out=$(PGOPTIONS="-c statement_timeout=1500" sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{title}}: {{body}}', '$MODEL', '{\"chunk_size\": 100, \"concurrency\": 25}')" 2>&1)
echo "$out" | grep -q "statement timeout"; ok $? "the first run is cancelled mid-way"
first=$(sql "SELECT count(summary) FROM reviews")
[ "$first" -ge 100 ] && [ "$first" -lt 400 ]; ok $? "the chunks committed before it stay filled ($first rows)"
sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{title}}: {{body}}', '$MODEL', '{\"chunk_size\": 100, \"concurrency\": 25}')" >/dev/null 2>&1
is "$(sql "SELECT count(summary) FROM reviews")" "392" "the second run fills the rest (all but the 8 the provider refuses)"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE status = 'ok' AND tags ? 'aigw_job'")" "392" "392 answers were paid for: none twice"
# A request in flight at the cancel is aborted by the worker; one whose answer
# the mock had already sent when the abort came is answered once more by the
# second run (it was never read, logged or paid).  So the mock answered the
# 392 paid requests, plus at most the ones logged as cancelled.
answered=$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r['path'].endswith('/chat/completions') and r['status'] == 200 and not r['aborted']))")
cancelled=$(sql "SELECT count(*) FROM aigw.requests WHERE status = 'cancelled' AND tags ? 'aigw_job'")
[ "$answered" -ge 392 ] && [ "$answered" -le $((392 + cancelled)) ]
ok $? "the mock answered the 392 paid requests, plus at most the $cancelled cancelled in flight ($answered)"
echo "# $(sql "SELECT count(*) FROM aigw.requests WHERE status = 'cache_hit'") answers of the interrupted chunk were replayed from the cache"
is "$(sql "SELECT summary FROM reviews WHERE id = 7")" "Mock reply to: Summarize T7: review 7: it's \"fine\" \\ ok" \
   "quotes and backslashes of a row reach the model as written"
is "$(sql "SELECT state, rows_done, rows_failed FROM aigw.jobs ORDER BY id DESC LIMIT 1" | tr '|' ' ')" "done $((392 - first)) 8" \
   "the second job: done, the rows it filled, the 8 refused"
is "$(sql "SELECT state FROM aigw.job_progress ORDER BY id LIMIT 1")" "interrupted" "the first job shows as interrupted"
is "$(sql "SELECT count(*), count(DISTINCT row_ctid) FROM aigw.job_errors WHERE job_id = (SELECT max(id) FROM aigw.jobs) AND error LIKE '%HTTP 400%'" | tr '|' ' ')" \
   "8 8" "each refused row is in aigw.job_errors with the provider's error"
sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{title}}', '$MODEL')" >/dev/null 2>&1
is "$(sql "SELECT rows_total FROM aigw.jobs ORDER BY id DESC LIMIT 1")" "8" "a later run only takes the rows still NULL"

echo "# progress is visible from another session while a job runs"
sql "UPDATE reviews SET summary = NULL, body = 'slow [[mock:latency_ms=150]]' WHERE id <= 200" >/dev/null
sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{body}}', '$MODEL', '{\"chunk_size\": 20, \"concurrency\": 10, \"cache\": false}')" >/dev/null 2>&1 &
bg=$!
sleep 1.2
seen=$(sql "SELECT state || ' ' || (rows_done > 0 AND rows_done < rows_total) || ' ' || calls_in_flight || ' ' || (rows_per_s > 0) || ' ' || (eta IS NOT NULL) FROM aigw.job_progress ORDER BY id DESC LIMIT 1")
wait $bg
is "$seen" "running true 10 true true" "mid-run, another session sees: running, rows done, calls in flight, rate, ETA"

echo "# a budget stops the job cleanly"
sql "UPDATE reviews SET summary = NULL, body = 'b' || lpad(id::text, 3, '0') WHERE id <= 200" >/dev/null
sql "SELECT aigw.set_price('$MODEL', 1, 1)" >/dev/null
out=$(sql "CALL aigw.enrich('reviews', 'summary', 'Summarize {{body}}', '$MODEL', '{\"max_cost\": 0.0005, \"cache\": false}')" 2>&1)
echo "$out" | grep -q 'stopped at its budget'; ok $? "the job says it stopped at its budget"
sql "SELECT cost, max_cost, rows_done FROM aigw.jobs ORDER BY id DESC LIMIT 1" | sed 's/^/# cost, max_cost, rows: /'
is "$(sql "SELECT state || ' ' || (cost <= max_cost) || ' ' || (rows_done < 200) FROM aigw.jobs ORDER BY id DESC LIMIT 1")" "budget_reached true true" \
   "state budget_reached, cost within max_cost, rows left for later"

echo "# calls that find the circuit open are sent again after its probe, not failed"
sql "INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens)
     VALUES ('deepseek/flaky', 'deepseek', 'flaky?status=503', 128000, 8192)"
sql "CREATE TABLE notes (id int PRIMARY KEY, body text, summary text);
     INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 10) g" >/dev/null
BREAKER="-c aigw.circuit_failures=2 -c aigw.circuit_cooldown=1000 -c aigw.max_retries=0"
for i in 1 2; do PGOPTIONS="$BREAKER" sql "SELECT aigw.chat('deepseek/flaky', '[{\"role\": \"user\", \"content\": \"x\"}]')" >/dev/null 2>&1; done
is "$(sql "SELECT state FROM aigw.provider_health WHERE name = 'deepseek/flaky'")" "open" "the model's circuit is open"
PGOPTIONS="$BREAKER" sql "CALL aigw.enrich('notes', 'summary', 'Summarize {{body}}', 'deepseek/flaky', '{\"cache\": false}')" >"$AIGW_RUN/flaky.out" 2>&1 &
bg=$!
sleep 0.4
sql "UPDATE aigw.models SET upstream_model = 'flaky' WHERE id = 'deepseek/flaky'"
wait $bg
grep -q 'found the circuit of deepseek/flaky open; waiting' "$AIGW_RUN/flaky.out"; ok $? "the job says it waits for the circuit's probe"
is "$(sql "SELECT count(summary) FROM notes") $(sql "SELECT rows_done || ' ' || rows_failed FROM aigw.jobs ORDER BY id DESC LIMIT 1")" "10 10 0" \
   "once the upstream recovered, every row was filled and none failed"

echo "# an answer without text (a refusal) is a row error, not an empty value"
sql "CREATE TABLE asks (id int PRIMARY KEY, body text, answer text);
     INSERT INTO asks VALUES (1, 'fine'), (2, 'blocked [[mock:safety=1]]')" >/dev/null
sql "CALL aigw.enrich('asks', 'answer', '{{body}}', '$MODEL', '{\"cache\": false}')" >/dev/null 2>&1
is "$(sql "SELECT count(answer) FROM asks") $(sql "SELECT error FROM aigw.job_errors WHERE job_id = (SELECT max(id) FROM aigw.jobs)")" \
   "1 the answer has no text (finish_reason content_filter)" "the refused row is left NULL, with why"

echo "# a jsonb target gets the answer as JSON"
sql "CALL aigw.enrich('reviews', 'facts', 'Facts of {{title}}', '$MODEL')" >/dev/null 2>&1
is "$(sql "SELECT facts->>'reply' FROM reviews WHERE id = 3")" "Mock reply to: Facts of T3" "JSON mode was asked for and the JSON stored"
sql "CREATE TABLE memos (id int PRIMARY KEY, body text, facts jsonb);
     INSERT INTO memos VALUES (1, 'good'), (2, 'prose [[mock:content=just%20words]]')" >/dev/null
sql "CALL aigw.enrich('memos', 'facts', '{{body}}', '$MODEL', '{\"cache\": false}')" >/dev/null 2>&1
is "$(sql "SELECT string_agg(id || ' ' || coalesce(facts->>'reply', 'NULL'), ', ' ORDER BY id) FROM memos") | $(sql "SELECT error FROM aigw.job_errors WHERE job_id = (SELECT max(id) FROM aigw.jobs)")" \
   "1 Mock reply to: good, 2 NULL | the answer is not JSON: just words" "an answer that is not JSON leaves its row NULL, with why; the others are stored"

echo "# a table of many windows of blocks, its rows to fill scattered, some added while the job runs"
sql "CREATE TABLE big (id int, body text, summary text)" >/dev/null
sql "INSERT INTO big SELECT g, 'row ' || g || CASE WHEN g % 997 <> 0 THEN repeat(' padding', 10) ELSE ' [[mock:latency_ms=200]]' END,
            CASE WHEN g % 997 <> 0 THEN 'done before' END
       FROM generate_series(1, 40000) g" >/dev/null
is "$(sql "SELECT pg_relation_size('big') / current_setting('block_size')::int > 4 * 64")" t "the table spans more than four windows of 64 blocks"
mock_reset
sql "CALL aigw.enrich('big', 'summary', 'Summarize {{body}}', '$MODEL', '{\"concurrency\": 8, \"chunk_size\": 10, \"cache\": false}')" >/dev/null 2>&1 &
bg=$!
sleep 0.3   # the job takes about a second: 40 calls of 200 ms, 8 at a time
sql "INSERT INTO big SELECT g, 'late ' || g, NULL FROM generate_series(40001, 40003) g" >/dev/null
wait $bg
is "$(sql "SELECT count(*) FILTER (WHERE summary IS NULL) || ' ' || count(*) FILTER (WHERE summary LIKE 'Mock reply to: Summarize row %')
             || ' ' || count(*) FILTER (WHERE summary LIKE 'Mock reply to: Summarize late %') FROM big")" "0 40 3" \
   "the 40 scattered rows and the 3 added at the end are filled, nothing else"
is "$(chat_requests)" "43" "... with one request each"

finish
