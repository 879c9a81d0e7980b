#!/usr/bin/env bash
# Plain SQL reads calls ahead: the "AIGW Read Ahead" node (src/batch/
# read_ahead_*.c) keeps many calls of one ordinary statement in flight and
# returns its rows, right and in input order, whatever the statement is
# (a projection, CTAS, INSERT/UPDATE, call quals, LIMIT, a sort, joins and
# rescans, plpgsql), and gives back what it has in flight when the
# statement ends early (a failed call, statement_timeout, an error above
# it, a subtransaction's abort).  Every answer is checked against the
# mock's rule: "Mock reply to: " + the prompt.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 102
MOCK_CHAT=/chat/completions
sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
       ('openai/slow', 'openai', 'gpt-4o-mini?latency_ms=50', 100),
       ('openai/slow200', 'openai', 'gpt-4o-mini?latency_ms=200', 100);
     INSERT INTO aigw.models (id, provider, upstream_model, kind, dimensions, max_inputs_per_request, max_tokens_per_request, dimensions_settable)
       SELECT 'openai/slow-embed', provider, upstream_model || '?latency_ms=50', kind, dimensions, max_inputs_per_request, max_tokens_per_request, dimensions_settable
         FROM aigw.models WHERE id = 'openai/text-embedding-3-small';
     SELECT aigw.set_price('openai/slow', 1, 1), aigw.set_price('openai/slow200', 1, 1), aigw.set_price('openai/slow-embed', 1, 0);
     SELECT aigw.create_wallet('w', 'USD');" >/dev/null
sql "SELECT aigw.topup('w', 100, 'USD', 'test', 'read-ahead-1');
     CREATE TABLE t AS SELECT i AS id, 'openai/slow'::text AS m, 'body ' || i AS body, NULL::text AS ans
                         FROM generate_series(1, 200) i;
     CREATE TABLE a AS SELECT i AS k, 'x' || i AS x FROM generate_series(1, 30) i;
     CREATE TABLE b AS SELECT i AS k, 'y' || i AS y FROM generate_series(1, 30) i;
     ANALYZE t, a, b" >/dev/null
# billing is on: every call below is charged to w, and the ledger checked at the end
export PGOPTIONS="-c aigw.wallet=w"

# expect FROM TO [PREFIX]: "id|Mock reply to: PREFIXbody id" for ids FROM..TO
expect() { seq "$1" "$2" | sed "s/.*/&|Mock reply to: ${3:-}body &/"; }
# same GOT EXPECTED DESCRIPTION: like is, but shows only the first lines that differ
same() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"; diff <(echo "$2") <(echo "$1") | head -8 | sed 's/^/#   /'
    fi
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
in_flight_now() { sql "SELECT coalesce(sum(inflight), 0) FROM aigw.pool_status()"; }
requests_since() { sql "SELECT count(*) FROM aigw.requests WHERE created_at >= '$1' $2"; }

echo "# 1. a projection: 200 calls at 50 ms each, many in flight, answers in input order"
mock_reset
t0=$(date +%s%N)
out=$(sql "SELECT id, aigw.ask(m, body) FROM t")
ms=$(ms_since "$t0")
same "$out" "$(expect 1 200)" "200 rows, each with its own answer, in input order"
peak=$(mock_in_flight $MOCK_CHAT)
[ "$peak" -ge 32 ] && [ "$peak" -le 64 ]; ok $? "the mock had many calls in flight at once ($peak), at most aigw.query_concurrency (64)"
[ "$ms" -lt 3000 ] && [ "$out" = "$(expect 1 200)" ]; ok $? "in $ms ms, where one call after the other takes 10 s"
mock_reset
same "$(sql "SET aigw.query_concurrency = 8; SELECT id, aigw.ask(m, body) FROM t WHERE id <= 80")" "$(expect 1 80)" \
     "with aigw.query_concurrency = 8: the same answers"
is "$(mock_in_flight $MOCK_CHAT)" "8" "... with exactly 8 in flight at the peak"
mock_reset
same "$(sql "SET aigw.read_ahead = off; SELECT id, aigw.ask(m, body) FROM t WHERE id <= 20")" "$(expect 1 20)" \
     "with aigw.read_ahead = off: the same answers"
is "$(mock_in_flight $MOCK_CHAT) $(sql "SET aigw.read_ahead = off; EXPLAIN SELECT id, aigw.ask(m, body) FROM t" | grep -c 'AIGW Read Ahead')" \
   "1 0" "... one call at a time, and no read-ahead node in the plan"

echo "# 2. CTAS, INSERT ... SELECT, UPDATE: every row right, one logged call per row"
mock_reset
since=$(sql "SELECT clock_timestamp()")
sql "CREATE TABLE c1 AS SELECT id, aigw.ask(m, body) AS a FROM t"
is "$(sql "SELECT count(*) FILTER (WHERE a = 'Mock reply to: body ' || id) || '/' || count(*) FROM c1")" "200/200" \
   "CREATE TABLE AS: 200 rows, all answered right"
is "$(requests_since "$since") $(requests_since "$since" "AND status = 'ok'") $(mock_stat requests_total)" "200 200 200" \
   "... 200 requests sent, and 200 ok rows in aigw.requests"
[ "$(mock_in_flight $MOCK_CHAT)" -gt 8 ]; ok $? "... read ahead ($(mock_in_flight $MOCK_CHAT) in flight at the peak)"
mock_reset
since=$(sql "SELECT clock_timestamp()")
sql "CREATE TABLE c2 (id int, a text); INSERT INTO c2 SELECT id, aigw.ask(m, 'ins ' || body) FROM t"
is "$(sql "SELECT count(*) FILTER (WHERE a = 'Mock reply to: ins body ' || id) || '/' || count(*) FROM c2")" "200/200" \
   "INSERT ... SELECT: 200 rows, all answered right"
is "$(requests_since "$since") $(requests_since "$since" "AND status = 'ok'") $(mock_stat requests_total)" "200 200 200" \
   "... 200 requests, 200 ok rows"
mock_reset
since=$(sql "SELECT clock_timestamp()")
sql "CREATE TABLE u AS SELECT * FROM t"
sql "UPDATE u SET ans = aigw.ask(m, 'upd ' || body) WHERE ans IS NULL AND id <= 150"
sql "UPDATE u SET ans = aigw.ask(m, 'upd ' || body) WHERE ans IS NULL"
is "$(sql "SELECT count(*) FILTER (WHERE ans = 'Mock reply to: upd body ' || id) || '/' || count(*) FROM u")" "200/200" \
   "UPDATE ... SET ans = aigw.ask(...) WHERE ans IS NULL, twice: every row answered right"
is "$(requests_since "$since") $(requests_since "$since" "AND status = 'ok'") $(mock_stat requests_total)" "200 200 200" \
   "... the second UPDATE asked only for the 50 rows still NULL: 200 calls in all"

echo "# 3. call quals: only rows that pass the cheap filter are sent; a second call only for rows the first kept"
# bodies sent, sorted by number: what the mock received
sent_ids() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
ids = sorted(int(r['body']['messages'][-1]['content'].split()[-1]) for r in json.load(sys.stdin)
             if r['path'].endswith('$MOCK_CHAT') and r['body']['messages'][-1]['content'].startswith(sys.argv[1]))
print(' '.join(map(str, ids)))" "$1"
}
mock_reset
is "$(sql "SELECT id FROM t WHERE id % 10 = 0 AND aigw.ask(m, body) LIKE '%5%'" | tr '\n' ' ')" "50 150 " \
   "WHERE id % 10 = 0 AND aigw.ask(...) LIKE '%5%': rows 50 and 150"
is "$(sent_ids 'body ')" "$(seq 10 10 200 | tr '\n' ' ' | sed 's/ $//')" "... only the 20 rows passing id % 10 = 0 were sent"
mock_reset
is "$(sql "SELECT id FROM t WHERE aigw.ask(m, body) LIKE '%5%' AND aigw.ask(m, 'second ' || body) LIKE '%1%'" | tr '\n' ' ')" \
   "$(sql "SELECT id FROM t WHERE body LIKE '%5%' AND body LIKE '%1%' ORDER BY id" | tr '\n' ' ')" \
   "two call quals: the rows whose both answers match, in input order"
is "$(sent_ids 'second ')" "$(sql "SELECT string_agg(id::text, ' ' ORDER BY id) FROM t WHERE body LIKE '%5%'")" \
   "... the second call was sent only for the 38 rows the first kept"
is "$(sent_ids 'body ' | wc -w)" "200" "... the first, for all 200"

echo "# 4. LIMIT: never more calls than rows still needed"
mock_reset
same "$(sql "SELECT id, aigw.ask(m, body) FROM t LIMIT 10")" "$(expect 1 10)" "LIMIT 10: the first 10 rows, right"
is "$(mock_stat requests_total)" "10" "... and exactly 10 calls sent"
mock_reset
is "$(sql "SELECT id FROM t WHERE aigw.ask(m, body) LIKE '%5%' LIMIT 3" | tr '\n' ' ')" "5 15 25 " \
   "WHERE <call qual> LIMIT 3: rows 5, 15, 25"
is "$(mock_stat requests_total) $(sent_ids 'body ' | tr ' ' '\n' | tail -1)" "25 25" \
   "... rows 1 to 25 sent, none beyond the third match"
[ "$(mock_in_flight $MOCK_CHAT)" -le 3 ]; ok $? "... never more than 3 (the rows still needed) in flight ($(mock_in_flight $MOCK_CHAT))"
mock_reset
same "$(sql "SELECT id, aigw.ask(m, body) FROM t LIMIT 5 OFFSET 100")" "$(expect 101 105)" "LIMIT 5 OFFSET 100: rows 101..105, right"
is "$(mock_stat requests_total)" "105" "... 105 calls (the rows OFFSET skips are evaluated, as row by row), none more"

echo "# 5. ORDER BY a call, LIMIT: read ahead below the sort"
mock_reset
same "$(sql "SELECT id, aigw.ask(m, body) a FROM t ORDER BY a DESC LIMIT 3")" "$(expect 97 99 | tac)" \
     "ORDER BY aigw.ask(...) DESC LIMIT 3: the top 3 answers"
is "$(mock_stat requests_total)" "200" "... after all 200 rows were asked"
[ "$(mock_in_flight $MOCK_CHAT)" -gt 8 ]; ok $? "... read ahead below the sort ($(mock_in_flight $MOCK_CHAT) in flight)"
is "$(sql "SELECT id FROM t ORDER BY length(aigw.ask(m, body)) DESC, id LIMIT 3" | tr '\n' ' ')" "100 101 102 " \
   "ORDER BY length(aigw.ask(...)) DESC, id LIMIT 3: the first three 3-digit rows"

echo "# 6. joins and rescans"
mock_reset
is "$(sql "SELECT count(*) FILTER (WHERE r = 'Mock reply to: ' || x || '-' || y) || '/' || count(*)
             FROM (SELECT a.x, b.y, aigw.ask('openai/slow', a.x || '-' || b.y) r FROM a JOIN b ON a.k = b.k) s")" "30/30" \
   "a call over a join: 30 rows, all right"
NL="SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;"
LATERAL="SELECT a.k, s.r FROM a, LATERAL (SELECT aigw.ask('openai/slow', a.x || '-' || b.y) r FROM b WHERE b.k <= 3) s WHERE a.k <= 10"
sql "$NL EXPLAIN $LATERAL" | grep -A1 -- '->  Custom Scan (AIGW Read Ahead)' | grep -q 'Calls: aigw.ask'
ok $? "a LATERAL call: a read-ahead node on the inner side of the nested loop"
mock_reset
same "$(sql "$NL $LATERAL")" "$(for i in $(seq 1 10); do for j in 1 2 3; do echo "$i|Mock reply to: x$i-y$j"; done; done)" \
     "... rescanned 10 times: 30 rows, each right, in order"
is "$(mock_stat requests_total) $(mock_in_flight $MOCK_CHAT)" "30 3" "... 30 calls, the 3 of each rescan in flight together"
mock_reset
since=$(sql "SELECT clock_timestamp()")
is "$(sql "SELECT a.k FROM a WHERE a.k <= 5 AND EXISTS (SELECT 1 FROM b WHERE aigw.ask('openai/slow', a.x || '-' || b.y) LIKE '%y1')" | tr '\n' ' ')" \
   "1 2 3 4 5 " "EXISTS over a call qual: each rescan stops at its first match (the calls still in flight abandoned)"
wait_for 5 "[ \"\$(in_flight_now)\" = 0 ]"; ok $? "... and nothing is left in flight"

echo "# 7. a failing call fails the statement, naming the row; the others are given back"
sql "CREATE TABLE f AS SELECT i AS id, 'openai/slow'::text AS m,
            'fail-row ' || i || CASE WHEN i = 40 THEN ' [[mock:status=400]]' ELSE '' END AS body
       FROM generate_series(1, 100) i"
mock_reset
since=$(sql "SELECT clock_timestamp()")
charges0=$(sql "SELECT count(*) FROM aigw.ledger WHERE kind = 'charge'")
t0=$(date +%s%N)
err=$(sql "SELECT id, aigw.ask(m, body) FROM f" 2>&1)
ms=$(ms_since "$t0")
echo "$err" | grep -q 'provider "openai" returned HTTP 400 for model "openai/slow"'; ok $? "the statement fails with the upstream's 400"
echo "$err" | grep -q 'row 40 of the read-ahead of aigw.ask'; ok $? "... the context names the row (40)"
[ "$ms" -lt 3000 ]; ok $? "... at once ($ms ms)"
wait_for 5 "[ \"\$(in_flight_now)\" = 0 ]"; ok $? "... and the pool has nothing left in flight"
wait_for 5 "[ \"\$(requests_since '$since' \"AND status = 'pending'\")\" = 0 ]"; ok $? "... no attempt left pending"
wait_for 5 "[ \"\$(requests_since '$since')\" = \"\$(mock_stat requests_total)\" ]"
ok $? "every request the mock received has its row in aigw.requests ($(requests_since "$since"))"
served=$(requests_since "$since" "AND status = 'ok'")
[ "$served" -le "$(mock_stat answers_total)" ] && [ "$served" -ge 1 ]; ok $? "... $served logged ok, none the mock did not answer ($(mock_stat answers_total))"
is "$(sql "SELECT count(*) FROM aigw.ledger WHERE kind = 'charge'") $(requests_since "$since" "AND status = 'ok' AND wallet_id IS NOT NULL")" \
   "$((charges0 + served)) $served" "... each ok row charged once to the wallet"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "... and the ledger balances"
same "$(sql "SELECT id, aigw.ask(m, body) FROM t WHERE id <= 20")" "$(expect 1 20)" "the next query is answered"
mock_reset
out=$(sql "SET aigw.on_call_error = 'null'; SELECT id, coalesce(aigw.ask(m, body), 'NULL') FROM f")
same "$out" "$(seq 1 100 | sed 's/.*/&|Mock reply to: fail-row &/; s/^40|.*/40|NULL/')" \
     "with aigw.on_call_error = 'null': NULL for row 40, the other 99 answered"
is "$(mock_stat requests_total)" "100" "... all 100 sent"
out=$(sql "SET aigw.on_call_error = 'null'; SET aigw.read_ahead = off; SELECT id, coalesce(aigw.ask(m, body), 'NULL') FROM f WHERE id BETWEEN 38 AND 42")
same "$out" "$(seq 38 42 | sed 's/.*/&|Mock reply to: fail-row &/; s/^40|.*/40|NULL/')" \
     "... and row by row: NULL for row 40, the others answered"

echo "# 7b. a 429 with Retry-After on one row: that call waits and is sent again, the others go on"
sql "CREATE TABLE r AS SELECT i AS id, 'openai/slow'::text AS m,
            'retry-row ' || i || CASE WHEN i = 5 THEN ' [[mock:status=429&retry_after=1&fail_first=1]]' ELSE '' END AS body
       FROM generate_series(1, 40) i"
mock_reset
since=$(sql "SELECT clock_timestamp()")
t0=$(date +%s%N)
out=$(sql "SET aigw.max_retries = 2; SELECT id, aigw.ask(m, body) FROM r")
ms=$(ms_since "$t0")
same "$out" "$(sql "SELECT id || '|Mock reply to: ' || body FROM r ORDER BY id")" "all 40 rows answered, row 5 after its retry, in input order"
is "$(sql "SELECT string_agg(status || ' ' || coalesce(http_status::text, '-') || ' attempt ' || attempt, ', ' ORDER BY id)
             FROM aigw.requests WHERE created_at >= '$since' AND attempt > 1 OR (created_at >= '$since' AND status <> 'ok')")" \
   "http_error 429 attempt 1, ok 200 attempt 2" "... the 429 and the retry are both logged"
[ "$ms" -ge 1000 ] && [ "$ms" -lt 3000 ]; ok $? "... Retry-After (1 s) was waited for, once ($ms ms for the 40 rows)"

echo "# 8. statement_timeout while calls are in flight"
sql "CREATE TABLE big AS SELECT i AS id, 'openai/slow200'::text AS m, 'big ' || i AS body FROM generate_series(1, 500) i"
mock_reset
since=$(sql "SELECT clock_timestamp()")
t0=$(date +%s%N)
err=$(sql "SET statement_timeout = '300ms'; SELECT id, aigw.ask(m, body) FROM big" 2>&1)
ms=$(ms_since "$t0")
echo "$err" | grep -q 'canceling statement due to statement timeout'; ok $? "statement_timeout ends the statement"
[ "$ms" -lt 1500 ]; ok $? "... promptly ($ms ms)"
wait_for 5 "[ \"\$(in_flight_now)\" = 0 ]"; ok $? "... the pool's slots are freed"
wait_for 5 "[ \"\$(requests_since '$since' \"AND status = 'pending'\")\" = 0 ]"; ok $? "... no attempt left pending"
cancelled=$(requests_since "$since" "AND status = 'cancelled'")
[ "$cancelled" -ge 1 ]; ok $? "... the calls in flight were abandoned, logged as cancelled ($cancelled)"
wait_for 5 "[ \"\$(requests_since '$since')\" = \"\$(mock_stat requests_total)\" ]"
ok $? "... every request sent has its row ($(requests_since "$since"))"
wait_for 5 "[ \"\$(mock_stat aborted_pending)\" = $cancelled ]"; ok $? "... the mock saw each cancelled one's connection closed"
same "$(sql "SELECT id, aigw.ask(m, body) FROM t WHERE id <= 100")" "$(expect 1 100)" "a new query afterwards is answered"

echo "# 9. an error elsewhere in the plan while calls are in flight"
mock_reset
err=$(sql "SELECT id, a, 1 / (id - 150) FROM (SELECT id, aigw.ask(m, body) a FROM t OFFSET 0) s" 2>&1)
echo "$err" | grep -q 'division by zero'; ok $? "an error above the node fails the statement"
wait_for 5 "[ \"\$(in_flight_now)\" = 0 ]"; ok $? "... nothing is left in flight"
err=$(sql "SELECT id, 1 / (id - 150), aigw.ask(m, body) FROM t" 2>&1)
echo "$err" | grep -q 'division by zero'; ok $? "an error below the node (in its input) fails the statement"
wait_for 5 "[ \"\$(in_flight_now)\" = 0 ]"; ok $? "... nothing is left in flight"
mock_reset
same "$(sql "SELECT id, aigw.ask(m, body) FROM t")" "$(expect 1 200)" "the projection again: all 200 right"
[ "$(mock_in_flight $MOCK_CHAT)" -ge 32 ]; ok $? "... still many in flight: no slot leaked"
out=$(sql "DO \$\$
DECLARE n int;
BEGIN
    BEGIN
        SELECT sum(length(a) / (id - 150)) INTO n FROM (SELECT id, aigw.ask(m, body) a FROM t OFFSET 0) s;
    EXCEPTION WHEN division_by_zero THEN RAISE NOTICE 'caught';
    END;
    SELECT count(*) INTO n FROM (SELECT id, aigw.ask(m, body) a FROM t) s WHERE a = 'Mock reply to: body ' || id;
    RAISE NOTICE 'after: %', n;
END \$\$" 2>&1)
echo "$out" | grep -q 'caught' && echo "$out" | grep -q 'after: 200'
ok $? "in a plpgsql EXCEPTION block: the error is caught, and the next query reads 200 answers right"
out=$(sql "DO \$\$
DECLARE r record; n int := 0; good int := 0;
BEGIN
    FOR r IN SELECT id, aigw.ask(m, body) a FROM t LOOP
        BEGIN
            IF r.id IN (10, 20) THEN PERFORM aigw.ask('openai/gpt-4o-mini', 'fail [[mock:status=400]]'); END IF;
            IF r.id = 30 THEN PERFORM 1 / 0; END IF;
        EXCEPTION WHEN others THEN n := n + 1;
        END;
        IF r.a = 'Mock reply to: body ' || r.id THEN good := good + 1; END IF;
    END LOOP;
    RAISE NOTICE 'caught % good %', n, good;
END \$\$" 2>&1)
echo "$out" | grep -q 'caught 3 good 200'
ok $? "a FOR loop over a read-ahead query whose body catches three errors: all 200 rows right ($(echo "$out" | grep -o 'caught.*'))"

echo "# 9b. open cursors: one node's failure leaves another's calls alone; a failed cursor's calls are given back"
mock_reset
out=$(timeout 30 "$PGBIN/psql" -X -q -At -d "$T_DB" 2>&1 <<'SQL'
SET statement_timeout = '20s';
BEGIN;
DECLARE c CURSOR FOR SELECT id, aigw.ask(m, body) FROM t;
FETCH 2 FROM c;
DO $$ BEGIN PERFORM count(*) FROM (SELECT aigw.ask(m, body) FROM f) s; EXCEPTION WHEN others THEN RAISE NOTICE 'caught: %', sqlerrm; END $$;
FETCH ALL FROM c;
COMMIT;
SQL
)
echo "$out" | grep -q 'caught: provider "openai" returned HTTP 400'; ok $? "a failing read-ahead in a caught block, while cursor c has calls in flight"
same "$(echo "$out" | grep -v 'NOTICE')" "$(expect 1 200)" "... c's FETCHes still read all 200 rows, right (its calls were not abandoned with the other node's)"
# chat_many (on_error raise) failing in a caught block gives back its own calls only
out=$(timeout 30 "$PGBIN/psql" -X -q -At -d "$T_DB" 2>&1 <<'SQL'
SET statement_timeout = '10s';
BEGIN;
DECLARE c CURSOR FOR SELECT id, aigw.ask(m, body) FROM t;
FETCH 2 FROM c;
DO $$ BEGIN PERFORM count(*) FROM aigw.chat_many('openai/slow', ARRAY['[{"role":"user","content":"a"}]', '[{"role":"user","content":"b [[mock:status=400]]"}]']::jsonb[], '{"on_error": "raise"}');
     EXCEPTION WHEN others THEN RAISE NOTICE 'caught: %', sqlerrm; END $$;
FETCH ALL FROM c;
COMMIT;
SQL
)
echo "$out" | grep -q 'caught: provider "openai" returned HTTP 400'; ok $? "chat_many failing (on_error raise) in a caught block, while cursor c has calls in flight"
same "$(echo "$out" | grep -v 'NOTICE')" "$(expect 1 200)" "... c's FETCHes still read all 200 rows, right (chat_many gave back its own calls only)"
mock_reset
since=$(sql "SELECT clock_timestamp()")
out=$(timeout 30 "$PGBIN/psql" -X -q -At -d "$T_DB" 2>&1 <<'SQL'
SET statement_timeout = '20s';
BEGIN;
DECLARE c CURSOR FOR SELECT id, 1 / (id - 100), aigw.ask('openai/slow200', body) FROM t;
SAVEPOINT s;
FETCH ALL FROM c;
ROLLBACK TO s;
CLOSE c;
COMMIT;
SQL
)
echo "$out" | grep -q 'division by zero'; ok $? "a FETCH that fails in a savepoint, the cursor then closed"
wait_for 5 "[ \"\$(requests_since '$since' \"AND status = 'pending'\")\" = 0 ] && [ \"\$(requests_since '$since')\" = \"\$(mock_stat requests_total)\" ]"
ok $? "... every request sent has its row, none pending"
cancelled=$(requests_since "$since" "AND status = 'cancelled'")
answered=$(requests_since "$since" "AND status = 'ok'")
# rows 1..99 were read (row 100 failed): had their calls not been given
# back, all 99 would have been answered; those in flight were cancelled,
# or never sent if the worker had not taken them yet
[ "$answered" -lt 99 ]; ok $? "... the calls the failed cursor had in flight were given back when it was closed ($answered of its 99 answered, $cancelled cancelled)"

echo "# 10. EXPLAIN"
ex=$(sql "EXPLAIN SELECT id, aigw.ask(m, body) FROM t LIMIT 10")
echo "$ex" | grep -q 'Custom Scan (AIGW Read Ahead)' && echo "$ex" | grep -q 'Calls: aigw.ask$' &&
    echo "$ex" | grep -q 'Concurrency: 64' && echo "$ex" | grep -q 'Order: kept' && echo "$ex" | grep -q 'Bound: 10 rows'
ok $? "EXPLAIN shows the node: Calls, Concurrency, Order, Bound"
sql "EXPLAIN SELECT id, aigw.ask(m, body) FROM t" | grep -q 'Bound'; ok $((!$?)) "... no Bound without a Limit"
sql "EXPLAIN SELECT count(aigw.ask(m, body)) FILTER (WHERE id > 5) FROM t" | grep -q "Row by Row: aigw.ask in an aggregate's arguments"
ok $? "a call in the arguments of an aggregate with a FILTER: Row by Row"
mock_reset
is "$(sql "SELECT count(*) FILTER (WHERE a = 'Mock reply to: body ' || id) || ' ' || (string_agg(a, '|' ORDER BY id) = (SELECT string_agg('Mock reply to: body ' || id, '|' ORDER BY id) FROM t))
             FROM (SELECT id, aigw.ask(m, body) a FROM t) s")" "200 true" "a call in a subquery feeding aggregates: 200 answers, right"
mock_reset
is "$(sql "SELECT count(aigw.ask(m, body)) || ' ' || md5(string_agg(aigw.ask(m, body), '|' ORDER BY id)) FROM t")" \
   "200 $(sql "SELECT md5(string_agg('Mock reply to: body ' || id, '|' ORDER BY id)) FROM t")" \
   "calls in aggregates' arguments (count, string_agg ... ORDER BY): right"
peak=$(mock_in_flight $MOCK_CHAT)
[ "$peak" -ge 32 ]; ok $? "... read ahead below the aggregate ($peak in flight)"
sql "EXPLAIN SELECT CASE WHEN id > 5 THEN aigw.ask(m, body) END FROM t" | grep -q "Row by Row: aigw.ask under CASE"
ok $? "a call under CASE: Row by Row"
mock_reset
ex=$(sql "EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM t WHERE id % 10 = 0 AND aigw.ask(m, body) LIKE '%5%'")
is "$(echo "$ex" | grep -o 'Calls Sent: [0-9]*') $(mock_stat requests_total)" "Calls Sent: 20 20" "EXPLAIN ANALYZE: Calls Sent is what the mock received"
echo "$ex" | grep -q 'Rows Removed by Call Filter: 18'; ok $? "... and Rows Removed by Call Filter: 18"
since=$(sql "SELECT clock_timestamp()")
shown=$(sql "EXPLAIN (ANALYZE, COSTS OFF) SELECT id, aigw.ask(m, body) FROM t WHERE id <= 30" | sed -n 's/.*Cost: \([0-9.]*\) USD.*/\1/p')
is "$(sql "SELECT count(*) || ' ' || (sum(cost) = '${shown:-0}'::numeric AND sum(cost) > 0) FROM aigw.requests WHERE created_at >= '$since'")" "30 true" \
   "... and Cost ($shown USD) is what the 30 calls' rows were charged"

echo "# 11. plpgsql and prepared statements"
sql "CREATE FUNCTION answers(lo int, hi int) RETURNS TABLE(id int, a text) LANGUAGE plpgsql AS \$\$
     BEGIN RETURN QUERY SELECT t.id, aigw.ask(t.m, t.body) FROM t WHERE t.id BETWEEN lo AND hi; END \$\$"
mock_reset
out=$(sql "SELECT * FROM answers(1, 60); SELECT * FROM answers(61, 120)")
same "$out" "$(expect 1 120)" "a query in a plpgsql function, run twice in one session: right both times"
[ "$(mock_in_flight $MOCK_CHAT)" -ge 30 ]; ok $? "... read ahead ($(mock_in_flight $MOCK_CHAT) in flight)"
mock_reset
prepared() {                    # prepared PLAN-CACHE-MODE: three executions of one prepared statement
    "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$T_DB" <<SQL
SET plan_cache_mode = $1;
PREPARE p(int, int) AS SELECT id, aigw.ask(m, body) FROM t WHERE id > \$1 LIMIT \$2;
EXECUTE p(0, 5);
EXECUTE p(5, 5);
EXECUTE p(10, 30);
SQL
}
same "$(prepared force_custom_plan)" "$(expect 1 40)" "a prepared statement (custom plans): right across three executions"
is "$(mock_stat requests_total)" "40" "... each execution bound by its LIMIT: 40 calls for 40 rows"
mock_reset
same "$(prepared force_generic_plan)" "$(expect 1 40)" "... with a generic plan (LIMIT \$2 unknown when planned): right too"
is "$(mock_stat requests_total)" "40" "... the node works its bound out when it starts: 40 calls for 40 rows"
mock_reset
is "$(sql "$NL SELECT a.k, s.r FROM a, LATERAL (SELECT aigw.ask('openai/slow', a.x || '-' || b.y) r FROM b LIMIT a.k) s WHERE a.k <= 4" | wc -l) $(mock_stat requests_total)" \
   "10 10" "LIMIT a.k in a LATERAL subquery: each rescan bound by its own count (10 rows, 10 calls)"

echo "# 12. aigw.chat and aigw.embed are read ahead too"
mock_reset
is "$(sql "SELECT count(*) FILTER (WHERE r->'choices'->0->'message'->>'content' = 'Mock reply to: chat ' || id) || '/' || count(*)
             FROM (SELECT id, aigw.chat(m, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'chat ' || id))) r FROM t) s")" \
   "200/200" "aigw.chat in a projection: 200 answers, right"
[ "$(mock_in_flight $MOCK_CHAT)" -ge 32 ]; ok $? "... read ahead ($(mock_in_flight $MOCK_CHAT) in flight)"
mock_reset
sql "CREATE TABLE e1 AS SELECT id, aigw.embed('openai/slow-embed', body) v FROM t WHERE id <= 40"
[ "$(mock_in_flight /embeddings)" -ge 20 ]; ok $? "aigw.embed in a projection: read ahead ($(mock_in_flight /embeddings) in flight)"
sql "SET aigw.read_ahead = off; CREATE TABLE e2 AS SELECT id, aigw.embed('openai/slow-embed', body) v FROM t WHERE id <= 40"
is "$(sql "SELECT count(*) FILTER (WHERE e1.v = e2.v AND array_length(e1.v, 1) > 0) || '/' || count(*) FROM e1 JOIN e2 USING (id)")" "40/40" \
   "... each vector the one aigw.embed gives row by row"

echo "# 13. a NULL argument gives NULL and sends nothing"
sql "CREATE TABLE tn AS SELECT id, m, CASE WHEN id % 3 = 0 THEN NULL ELSE body END AS body FROM t WHERE id <= 30"
mock_reset
out=$(sql "SELECT id, coalesce(a, 'NULL') FROM (SELECT id, aigw.ask(m, body) a FROM tn) s")
same "$out" "$(expect 1 30 | awk -F'|' '{ if ($1 % 3 == 0) print $1 "|NULL"; else print }')" \
     "NULL bodies give NULL answers, the others right"
is "$(mock_stat requests_total)" "20" "... only the 20 non-NULL rows were sent"

echo "# 14. aigw.statement_max_cost stops a statement once its calls have cost more"
# a call here costs 12 tokens at 1 USD per million: 0.000012 USD
since=$(sql "SELECT clock_timestamp()")
out=$(sql "SET aigw.statement_max_cost = 0.0001; SELECT id, aigw.ask(m, body) FROM t" 2>&1)
echo "$out" | grep -q 'over aigw.statement_max_cost (0.0001)'; ok $? "read ahead: the statement fails once its calls cost more than the budget"
wait_for 5 "[ \"\$(requests_since '$since' \"AND status = 'pending'\")\" = 0 ]"
answered=$(requests_since "$since" "AND status = 'ok'")
[ "$answered" -ge 9 ] && [ "$answered" -le 80 ]; ok $? "... after $answered of the 200 calls were answered (the budget's 9, and what was in flight)"
since=$(sql "SELECT clock_timestamp()")
out=$(sql "SET aigw.read_ahead = off; SET aigw.statement_max_cost = 0.0001; SELECT id, aigw.ask(m, body) FROM t" 2>&1)
answered=$(requests_since "$since" "AND status = 'ok'")
echo "$out" | grep -q 'over aigw.statement_max_cost' && [ "$answered" -ge 9 ] && [ "$answered" -le 10 ]
ok $? "row by row: the same error, after $answered calls (no call is sent once the budget is spent)"

is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "at the end, the ledger balances"
finish
