#!/usr/bin/env bash
# Embeddings: aigw.embed / aigw.embed_many against the mock's embedding
# endpoints (OpenAI, Gemini, Bedrock Titan and Cohere): how inputs are
# packed per request, order, per-row failures, each provider's fields,
# usage, cost and the log.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 78
E=openai/text-embedding-3-small
sent() { mock_stat requests_total; }
# the inputs of each embeddings request the mock received, one request a line
packed() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
for r in json.load(sys.stdin):
    b = r['body']
    if r['path'].endswith('/embeddings'):
        print(' '.join(t.split(' [[')[0] for t in b['input']))
    elif r['path'].endswith(':batchEmbedContents'):
        print(' '.join(q['content']['parts'][0]['text'] for q in b['requests']))
    elif r['path'].endswith('/invoke'):
        print(' '.join(b['texts']) if 'texts' in b else b['inputText'])"
}
# vectors TEXT...: "(1, '{...}'::real[]), (2, ...)", the vector the mock sends
# for each text, computed here by its rule (test/mock/lib/embeddings.js) and
# not read back through aigw, to compare with what aigw returned
vectors() {
    node -e "
const { embeddingVector } = require(process.argv[1]);
console.log(process.argv.slice(2).map((t, i) => '(' + (i + 1) + \", '{\" + embeddingVector(t).join(',') + \"}'::real[])\").join(', '));" \
        -- "$AIGW_ROOT/test/mock/lib/embeddings.js" "$@"
}
last_body() { curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)[-1]['body'], sort_keys=True))"; }

echo "# packing: as many inputs a request as the model allows, in input order"
sql "UPDATE aigw.models SET max_inputs_per_request = 3 WHERE id = '$E'" >/dev/null
mock_reset
is "$(sql "SELECT count(embedding) FROM aigw.embed_many('$E', ARRAY['a1','a2','a3','a4','a5','a6','a7','a8'])")" "8" "8 inputs, 8 vectors"
is "$(packed | sort | paste -sd'|')" "a1 a2 a3|a4 a5 a6|a7 a8" "sent as 3 requests of 3, 3 and 2 inputs (in flight together, in any order)"
# (the three were in flight together: their rows are in the order they were answered)
is "$(sql "SELECT string_agg(inputs::text, ',' ORDER BY inputs DESC) FROM aigw.requests")" "3,3,2" "one log row per request, with its input count"
is "$(sql "SELECT bool_and(cost = round(prompt_tokens * 0.02 / 1e6, 8)) AND bool_and(prompt_tokens > 0) FROM aigw.requests")" "t" \
   "each row has the request's tokens and their cost at 0.02 USD per million"

echo "# order survives out-of-order completions; a vector is the same whichever request carried it"
mock_reset
# (WITH ORDINALITY numbers the rows in the order the function returns them)
sql "CREATE TABLE many AS SELECT ord, embedding, error, emitted FROM aigw.embed_many('$E',
       ARRAY['slow [[mock:latency_ms=400]]', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6']) WITH ORDINALITY AS e(ord, embedding, error, emitted)" >/dev/null
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
rs = json.load(sys.stdin)
print(sorted(rs, key=lambda r: r.get('answered_at', r['at']))[-1]['body']['input'][0].split(' [[')[0])")" \
   "slow" "the first request (slow) was answered last"
is "$(sql "SELECT string_agg(ord::text, ',' ORDER BY emitted) FROM many WHERE error IS NULL")" "1,2,3,4,5,6,7" "rows are returned in input order"
is "$(sql "SELECT count(*) FROM many m JOIN (VALUES $(vectors 'slow [[mock:latency_ms=400]]' b1 b2 b3 b4 b5 b6)) v(ord, vector) USING (ord)
             WHERE m.embedding = v.vector")" \
   "7" "each row's vector is its own input's (the mock's vector of that text)"

echo "# an input over the model's limit, and an empty one, fail their rows only"
mock_reset
long=$(python3 -c "print('x ' * 15000)")
res=$(sql "SELECT string_agg(ord || ':' || coalesce(array_length(embedding, 1)::text, error), E'\n' ORDER BY ord)
           FROM aigw.embed_many('$E', ARRAY['c1', '$long', '', 'c2'])")
echo "$res" | grep -q '^1:8$' && echo "$res" | grep -q '^4:8$'; ok $? "the good inputs get vectors (the mock's are 8 long)"
echo "$res" | grep -q '^2:input of 30000 bytes (about 10001 tokens) is over the limit of model "openai/text-embedding-3-small" (8191 tokens an input); not sent$'
ok $? "the over-long one is reported in its row"
echo "$res" | grep -q '^3:an empty text has no embedding; not sent$'; ok $? "so is the empty one"
is "$(packed)" "c1 c2" "neither was sent"
mock_reset
sql "SELECT * FROM aigw.embed_many('$E', ARRAY['c1', '', 'c2'], '{\"on_error\": \"raise\"}')" 2>&1 | grep -qF 'input 2 of aigw.embed_many'
ok $? "with on_error raise, a refused input fails the statement, naming it..."
out=$("$PGBIN/psql" -X -q -d "$T_DB" -c "\\set VERBOSITY verbose" -c "SELECT aigw.embed('$E', '$long')" 2>&1)
echo "$out" | grep -q 'ERROR:  54000: input of 30000 bytes (about 10001 tokens) is over the limit'; ok $? "... and aigw.embed of a text over the limit is 54000"
is "$(sent)" "0" "... before anything is sent"

echo "# an answer nested too deeply for a parser that recurses fails the call, not the worker"
workers="SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE backend_type = 'aigw worker' AND datname = current_database()"
before=$(sql "$workers")
out=$(sql "SELECT aigw.embed('$E', 'deep [[mock:nested=100000]]')" 2>&1)
echo "$out" | grep -q 'the embeddings answer is not valid JSON'; ok $? "aigw.embed of an answer nested 100,000 deep is an unusable answer"
[ -n "$before" ]; ok $? "... (there were workers to check)"
is "$(sql "$workers")" "$before" "... and the pool's workers are the same processes"

echo "# a failed request fails only its rows"
mock_reset
res=$(sql "SELECT string_agg(ord || ':' || coalesce(array_length(embedding, 1)::text, left(error, 45)), ' ' ORDER BY ord)
           FROM aigw.embed_many('$E', ARRAY['d1','d2','d3','d4 [[mock:status=500]]','d5','d6','d7'])")
is "$res" "1:8 2:8 3:8 4:provider \"openai\" returned HTTP 500 for model 5:provider \"openai\" returned HTTP 500 for model 6:provider \"openai\" returned HTTP 500 for model 7:8" \
   "the request of d4-d6 failed; its three rows say why, the others have vectors"
sql "SELECT * FROM aigw.embed_many('$E', ARRAY['e1', 'e2 [[mock:status=500]]'], '{\"on_error\": \"raise\", \"concurrency\": 1}')" 2>&1 | grep -q 'request 1 of aigw.embed_many'
ok $? "on_error raise fails the statement, naming the request"
res=$(sql "SELECT string_agg(ord || ':' || coalesce(array_length(embedding, 1)::text, substring(error FROM 'SQLSTATE [0-9A-Z]+')), ' ' ORDER BY ord)
           FROM aigw.embed_many('$E', ARRAY['m1 [[mock:malformed=1]]', 'm2', 'm3', 'm4 [[mock:truncate=1]]', 'm5', 'm6',
                                       'm7 [[mock:latency_ms=3000]]', 'm8', 'm9', 'm10'], '{\"timeout_ms\": 500}')")
is "$res" "1:SQLSTATE 5G008 2:SQLSTATE 5G008 3:SQLSTATE 5G008 4:SQLSTATE 5G008 5:SQLSTATE 5G008 6:SQLSTATE 5G008 7:SQLSTATE 5G006 8:SQLSTATE 5G006 9:SQLSTATE 5G006 10:8" \
   "a cut answer, a truncated one and a timeout each fail their own request's rows, with their own SQLSTATE"
mock_reset
is "$(sql "SELECT count(embedding) FROM aigw.embed_many('$E', ARRAY['r1 [[mock:status=429&retry_after=1&fail_first=1]]', 'r2', 'r3'], '{\"retries\": 1}')")" "3" \
   "a 429 with Retry-After is retried..."
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
rs = [r for r in json.load(sys.stdin) if r['path'].endswith('/embeddings')]
print(len(rs), rs[0]['status'], rs[1]['status'], round((rs[1]['at'] - rs[0]['at']) / 1000))")" "2 429 200 1" \
   "... once, a second after the 429, and answered"
is "$(sql "SELECT string_agg(status, ',' ORDER BY id) FROM (SELECT * FROM aigw.requests ORDER BY id DESC LIMIT 2) r")" "http_error,ok" \
   "both attempts are logged"

echo "# each provider's fields"
mock_reset
is "$(sql "SELECT array_length(aigw.embed('$E', 'f', '{\"dimensions\": 4}'), 1)")" "4" "OpenAI: dimensions 4, a vector of 4"
is "$(last_body)" '{"dimensions": 4, "encoding_format": "float", "input": ["f"], "model": "text-embedding-3-small"}' "... sent as OpenAI's own fields"
out=$(sql "SELECT aigw.embed('openai/text-embedding-ada-002', 'f', '{\"dimensions\": 4}')" 2>&1)
echo "$out" | grep -qF 'model "openai/text-embedding-ada-002" cannot return 4 dimensions'; ok $? "a model that cannot shorten its vectors refuses dimensions"
is "$(sql "SELECT array_length(aigw.embed('gemini/gemini-embedding-001', 'g', '{\"dimensions\": 16, \"input_type\": \"query\"}'), 1)")" "16" "Gemini: 16 dimensions"
is "$(last_body)" '{"requests": [{"content": {"parts": [{"text": "g"}]}, "model": "models/gemini-embedding-001", "outputDimensionality": 16, "taskType": "RETRIEVAL_QUERY"}]}' \
   "... as outputDimensionality, and input_type query as taskType RETRIEVAL_QUERY"
is "$(sql "SELECT aigw.embed('gemini/gemini-embedding-001', 'g', '{\"input_type\": \"query\"}') <> aigw.embed('gemini/gemini-embedding-001', 'g', '{\"input_type\": \"document\"}')")" \
   "t" "the task type reaches the provider (a query's vector differs from a document's)"
mock_reset
is "$(sql "SELECT count(*) FILTER (WHERE array_length(embedding, 1) = 256) FROM aigw.embed_many('bedrock/amazon.titan-embed-text-v2:0', ARRAY['t1', 't2', 't3'], '{\"dimensions\": 256}')")" \
   "3" "Bedrock Titan: 256 dimensions"
is "$(packed | sort | paste -sd'|')" "t1|t2|t3" "... one text a request, as Titan takes it (signed with SigV4 by the mock's check)"
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "import json,sys; print(json.dumps([r['body'] for r in json.load(sys.stdin) if r['body'].get('inputText') == 't3'][0], sort_keys=True))")" \
   '{"dimensions": 256, "inputText": "t3"}' "... with Titan's own fields"
mock_reset
is "$(sql "SELECT count(*) FILTER (WHERE array_length(embedding, 1) = 1024) FROM aigw.embed_many('bedrock/cohere.embed-english-v3', ARRAY['k1', 'k2'], '{\"input_type\": \"query\"}')")" \
   "2" "Bedrock Cohere: two vectors of 1024"
is "$(last_body)" '{"input_type": "search_query", "texts": ["k1", "k2"], "truncate": "NONE"}' "... in one request, input_type search_query, never truncated"
is "$(sql "SELECT string_agg(inputs::text, ',' ORDER BY id) FROM aigw.requests WHERE served_model LIKE 'bedrock/%' AND status = 'ok'")" "1,1,1,2" \
   "Bedrock requests are logged with their input counts"

echo "# options, kinds and models"
v=$(sql "SELECT round(sqrt(sum(x * x))::numeric, 4) FROM unnest(aigw.embed('$E', 'n', '{\"normalize\": true}')) x")
is "$v" "1.0000" "normalize: unit length"
sql "SELECT aigw.chat('$E', '[{\"role\": \"user\", \"content\": \"hi\"}]')" 2>&1 | grep -qF "model \"$E\" is an embedding model"
ok $? "aigw.chat refuses an embedding model"
sql "SELECT aigw.embed('openai/gpt-4o-mini', 'x')" 2>&1 | grep -qF 'model "openai/gpt-4o-mini" is a chat model'; ok $? "aigw.embed refuses a chat model"
sql "SELECT aigw.embed('auto/cheapest', 'x')" 2>&1 | grep -qF 'embeddings take a plain model'; ok $? "embeddings are not routed"
sql "SELECT aigw.embed('$E', 'x', '{\"temperature\": 0}')" 2>&1 | grep -qF 'unknown option "temperature"'; ok $? "an unknown option is refused"
is "$(sql "SELECT count(*) FROM aigw.route_explain('auto/cheapest', '[{\"role\": \"user\", \"content\": \"hi\"}]') r,
             jsonb_array_elements(r -> 'candidates') c WHERE c ->> 'model' LIKE '%embed%'")" "0" "meta-models never pick an embedding model"

echo "# billing and the cache"
sql "SELECT aigw.create_wallet('emb', 'USD')" >/dev/null
sql "SELECT aigw.topup('emb', 1, 'USD', 'test', 'emb-1')" >/dev/null
mock_reset
is "$(sql "SET aigw.wallet = 'emb'; SELECT count(embedding) FROM aigw.embed_many('$E', ARRAY['w1','w2','w3','w4'])")" "4" "on a wallet"
is "$(sql "SELECT count(*) || ' ' || (sum(-amount) = (SELECT sum(cost) FROM aigw.requests WHERE wallet_id IS NOT NULL)) FROM aigw.ledger WHERE kind = 'charge'")" \
   "2 true" "two requests, two charges, equal to their logged cost"
is "$(sql "SELECT reserved FROM aigw.wallet_status WHERE wallet = 'emb'")" "0.00000000" "nothing stays reserved"
mock_reset
sql "SET aigw.wallet = 'emb'; SET aigw.cache = on; SELECT count(*) FROM aigw.embed_many('$E', ARRAY['h1','h2'])" >/dev/null
is "$(sql "SET aigw.wallet = 'emb'; SET aigw.cache = on; SELECT count(embedding) FROM aigw.embed_many('$E', ARRAY['h1','h2'])")" "2" \
   "with aigw.cache on, the same inputs again..."
is "$(sent)" "1" "... are answered from the cache"
is "$(sql "SELECT status || ' ' || cost || ' ' || inputs FROM aigw.requests ORDER BY id DESC LIMIT 1")" "cache_hit 0 2" "... logged as a cache hit of 2 inputs, at no cost"
mock_reset
is "$(sql "SET aigw.wallet = 'emb'; SET aigw.cache = on; SELECT count(embedding) FROM aigw.embed_many('$E', ARRAY['h2','h3','h1','h4'])")" "4" \
   "a text is cached by itself: h1 and h2 again, packed with new ones..."
is "$(packed)" "h3 h4" "... only the new ones are sent"
is "$(sql "SET aigw.wallet = 'emb'; SET aigw.cache = on; SELECT string_agg((e.embedding = v.vector)::text, ',' ORDER BY e.ord)
             FROM aigw.embed_many('$E', ARRAY['h2','h3','h1','h4']) e JOIN (VALUES $(vectors h2 h3 h1 h4)) v(ord, vector) USING (ord)")" \
   "true,true,true,true" "... and every vector, cached or not, is its own text's (the mock's vector of it)"

echo "# embed_column: resumable, chunk by chunk, nothing paid twice"
sql "CREATE TABLE notes (id int PRIMARY KEY, body text, emb real[], emb8 double precision[], label text);
     INSERT INTO notes (id, body) SELECT g, 'note ' || g FROM generate_series(1, 40) g" >/dev/null
mock_reset
before=$(sent)
"$PGBIN/psql" -X -q -d "$T_DB" -c "CALL aigw.embed_column('notes', 'body', 'emb', '$E', '{\"dry_run\": true}')" 2>&1 | grep -q 'dry run: 40 rows of notes to embed'
ok $? "dry run: the rows to embed and an estimate"
is "$(sent)" "$before" "... and nothing sent"
"$PGBIN/psql" -X -q -d "$T_DB" -c "SET aigw.wallet = 'emb'" \
    -c "CALL aigw.embed_column('notes', 'body', 'emb', '$E', '{\"chunk_size\": 10, \"max_cost\": 0.0000002, \"cache\": false}')" >/dev/null 2>&1
first=$(sql "SELECT count(emb) FROM notes")
[ "$first" -gt 0 ] && [ "$first" -lt 40 ]; ok $? "a run with a small max_cost stops part way ($first of 40 rows)"
is "$(sql "SELECT state FROM aigw.jobs ORDER BY id DESC LIMIT 1")" "budget_reached" "... as budget_reached"
is "$(sql "SELECT bool_and(j.cost = (SELECT sum(r.cost) FROM aigw.requests r WHERE r.tags @> jsonb_build_object('aigw_job', j.id))) FROM aigw.jobs j WHERE j.source = 'notes'::regclass")" \
   "t" "the job's cost is exactly what its requests cost"
"$PGBIN/psql" -X -q -d "$T_DB" -c "SET aigw.wallet = 'emb'" \
    -c "CALL aigw.embed_column('notes', 'body', 'emb', '$E', '{\"chunk_size\": 10, \"cache\": false}')" >/dev/null 2>&1
is "$(sql "SELECT count(emb) FROM notes")" "40" "the next run fills the rest"
is "$(packed | tr ' ' '\n' | grep -c note)" "40" "each row's text was sent once over both runs"
bodies=()
for i in $(seq 1 40); do bodies+=("note $i"); done
is "$(sql "SELECT count(*) FROM notes n JOIN (VALUES $(vectors "${bodies[@]}")) v(id, vector) USING (id)
             WHERE n.emb = v.vector")" "40" "each row holds its own text's vector (the mock's vector of it)"
is "$(sql "SELECT string_agg(DISTINCT kind, ',') FROM aigw.jobs WHERE source = 'notes'::regclass")" "embed" "the runs are jobs of kind embed"
"$PGBIN/psql" -X -q -d "$T_DB" -c "SET aigw.wallet = 'emb'" -c "CALL aigw.embed_column('notes', 'body', 'emb8', '$E')" >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM notes WHERE emb8 = emb::double precision[]")" "40" "a double precision[] target gets the same vectors"
before=$(sent)
sql "CALL aigw.embed_column('notes', 'body', 'label', '$E')" 2>&1 | grep -qF 'column "label" of notes is of type text, not real[], double precision[] or vector'
ok $? "a text target is refused"
sql "CALL aigw.embed_column('notes', 'body', 'emb', 'openai/gpt-4o-mini')" 2>&1 | grep -qF 'is not an embedding model'
ok $? "so is a chat model"
is "$(sent)" "$before" "... before anything is sent"

echo "# POST /rpc/embeddings, as PostgREST runs it: OpenAI's request and answer"
mock_reset
CL='{"role": "postgres", "sub": "app-user", "wallet": "emb"}'
r=$(rest postgres "$CL" embeddings '{"model": "'$E'", "input": ["p1", "p2"]}')
is "$(jget "$r" "j['status'], j['body']['object'], [d['index'] for d in j['body']['data']], len(j['body']['data'][1]['embedding']), j['body']['usage']['prompt_tokens'] > 0")" \
   "200 list [0, 1] 8 True" "floats, indexed, with the request's usage"
r64=$(rest postgres "$CL" embeddings '{"model": "'$E'", "input": "p2", "encoding_format": "base64"}')
jget "$r64" "__import__('struct').unpack('<8f', __import__('base64').b64decode(j['body']['data'][0]['embedding'])) == tuple(__import__('struct').unpack('<8f', __import__('struct').pack('<8f', *$(jget "$r" "j['body']['data'][1]['embedding']"))))" | grep -qx True
ok $? "base64 (the SDKs' default) decodes to the same float32 vector"
r=$(rest postgres "$CL" embeddings '{"model": "'$E'", "input": ["ok", ""]}')
is "$(jget "$r" "j['status'], j['body']['error']['param']")" "400 input" "an empty input: 400 on input"
r=$(rest postgres "$CL" embeddings '{"model": "'$E'"}')
is "$(jget "$r" "j['status'], j['body']['error']['param']")" "400 input" "no input: 400"
r=$(rest postgres "$CL" embeddings '{"model": "'$E'", "input": "q [[mock:status=500]]"}')
is "$(jget "$r" "j['status']")" "502" "an upstream failure: 502"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE end_user = 'app-user' AND inputs IS NOT NULL")" "3" \
   "each request logged for the token's end user; the refused bodies sent nothing"

echo "# cancelled mid-flight, and under a limit"
mock_reset
sql "SET aigw.wallet = 'emb'; SET statement_timeout = '300ms';
     SELECT count(*) FROM aigw.embed_many('$E', ARRAY['z1 [[mock:latency_ms=3000]]', 'z2', 'z3', 'z4 [[mock:latency_ms=3000]]'])" 2>&1 \
  | grep -qF 'canceling statement due to statement timeout'
ok $? "statement_timeout ends an embed_many with requests in flight"
is "$(sql "SELECT reserved || ' ' || calls_in_flight FROM aigw.wallet_status WHERE wallet = 'emb'")" "0.00000000 0" \
   "... leaving nothing reserved and nothing in flight"
wait_for 5 '[ "$(sql "SELECT count(*) FROM aigw.requests WHERE status = '"'"'cancelled'"'"' AND inputs IS NOT NULL")" -ge 1 ]'
ok $? "the abandoned request is logged as cancelled"
sql "INSERT INTO aigw.limits (wallet, requests_per_minute) VALUES ('emb', 2)" >/dev/null
mock_reset
res=$(sql "SET aigw.wallet = 'emb'; SELECT count(embedding) || ' ' || count(error) || ' ' || max(left(error, 68)) FROM aigw.embed_many('$E', ARRAY['l1','l2','l3','l4','l5','l6','l7','l8','l9'], '{\"concurrency\": 1}')")
is "$res" "6 3 limit of wallet \"emb\" reached: 2 requests per minute (SQLSTATE 5G030" \
   "a requests-per-minute limit counts requests, not inputs: 2 requests of 3 pass, the third is refused for its rows"
is "$(sent)" "2" "... and not sent"
sql "DELETE FROM aigw.limits WHERE wallet = 'emb'" >/dev/null

echo "# embed_column cancelled mid-stream keeps what it committed"
sql "CREATE TABLE slow_notes (id int PRIMARY KEY, body text, emb real[]);
     INSERT INTO slow_notes SELECT g, 'slow ' || g || CASE WHEN g > 12 THEN ' [[mock:latency_ms=2000]]' ELSE '' END
       FROM generate_series(1, 30) g" >/dev/null
"$PGBIN/psql" -X -q -d "$T_DB" -c "SET aigw.wallet = 'emb'" -c "SET statement_timeout = '1s'" \
    -c "CALL aigw.embed_column('slow_notes', 'body', 'emb', '$E', '{\"chunk_size\": 3, \"concurrency\": 2, \"cache\": false}')" 2>&1 \
  | grep -qF 'canceling statement due to statement timeout'
ok $? "statement_timeout stops embed_column with requests in flight"
is "$(sql "SELECT count(emb) FROM slow_notes")" "12" "the rows written before it are committed (12 quick ones, 3 a request, 2 in flight)"
is "$(sql "SELECT reserved || ' ' || calls_in_flight FROM aigw.wallet_status WHERE wallet = 'emb'")" "0.00000000 0" "nothing stays reserved or in flight"
is "$(sql "SELECT state FROM aigw.job_progress WHERE source = 'slow_notes'::regclass")" "interrupted" "the job shows as interrupted"

finish
