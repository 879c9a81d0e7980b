-- Plain SQL reads calls ahead: where the AIGW Read Ahead node goes, what
-- EXPLAIN says of it, and the answers it gives (test/t/read_ahead.sh
-- measures what is in flight, LIMIT's bound, errors and cancels).
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');
SET aigw.query_concurrency = 16;
CREATE TEMP TABLE docs AS SELECT i AS id, 'doc ' || i AS body, NULL::text AS summary FROM generate_series(1, 12) i;
CREATE TEMP TABLE tags AS SELECT i AS id, 'tag ' || i AS tag FROM generate_series(1, 12, 3) i;
ANALYZE docs, tags;

-- a SELECT list: the scan outputs the call's arguments, the node the answer
EXPLAIN (COSTS OFF, VERBOSE) SELECT id, upper(aigw.ask('openai/gpt-4o-mini', body)) FROM docs;
SELECT id, upper(aigw.ask('openai/gpt-4o-mini', body)) FROM docs WHERE id <= 3;

-- the cheap condition stays in the scan; the call's condition is a stage of
-- its own, and the SELECT list's call is sent only for the rows that pass
EXPLAIN (COSTS OFF)
SELECT id, aigw.ask('openai/gpt-4o-mini', body) FROM docs
 WHERE aigw.ask('openai/gpt-4o-mini', 'q ' || body) LIKE '%1%' AND id % 2 = 0;
SELECT id, aigw.ask('openai/gpt-4o-mini', body) FROM docs
 WHERE aigw.ask('openai/gpt-4o-mini', 'q ' || body) LIKE '%1%' AND id % 2 = 0;

-- LIMIT (and OFFSET) bound what is read ahead; above a sort nothing does
EXPLAIN (COSTS OFF) SELECT aigw.ask('openai/gpt-4o-mini', body) FROM docs LIMIT 5 OFFSET 2;
SELECT aigw.ask('openai/gpt-4o-mini', body) FROM docs LIMIT 2 OFFSET 2;
EXPLAIN (COSTS OFF) SELECT id FROM docs ORDER BY aigw.ask('openai/gpt-4o-mini', body) DESC LIMIT 3;
SELECT id FROM docs ORDER BY aigw.ask('openai/gpt-4o-mini', body) DESC LIMIT 3;

-- UPDATE, INSERT ... SELECT, CREATE TABLE AS
EXPLAIN (COSTS OFF) UPDATE docs SET summary = aigw.ask('openai/gpt-4o-mini', body) WHERE summary IS NULL;
UPDATE docs SET summary = aigw.ask('openai/gpt-4o-mini', body) WHERE summary IS NULL;
SELECT count(*) AS rows, count(*) FILTER (WHERE summary = 'Mock reply to: ' || body) AS right_answers FROM docs;
CREATE TEMP TABLE more (id int, a text);
EXPLAIN (COSTS OFF) INSERT INTO more SELECT id, aigw.ask('openai/gpt-4o-mini', body) FROM docs;
INSERT INTO more SELECT id, aigw.ask('openai/gpt-4o-mini', body) FROM docs;
CREATE TEMP TABLE copy AS SELECT id, aigw.ask('openai/gpt-4o-mini', body) AS a FROM docs;
SELECT count(*) AS rows, count(*) FILTER (WHERE m.a = c.a) AS same_answers FROM more m JOIN copy c USING (id);

-- a join: an inner join's condition with a call filters above the join;
-- an outer join's must stay in the join, and runs row by row (unless it
-- names only the inner side: PostgreSQL then moves it into that side's scan)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
SELECT d.id FROM docs d JOIN tags t ON t.id = d.id AND aigw.ask('openai/gpt-4o-mini', d.body || t.tag) LIKE '%tag 4';
SELECT d.id FROM docs d JOIN tags t ON t.id = d.id AND aigw.ask('openai/gpt-4o-mini', d.body || t.tag) LIKE '%tag 4';
EXPLAIN (COSTS OFF)
SELECT d.id FROM docs d LEFT JOIN tags t ON t.id = d.id AND aigw.ask('openai/gpt-4o-mini', t.tag) LIKE 'Mock%';
EXPLAIN (COSTS OFF)
SELECT d.id FROM docs d LEFT JOIN tags t ON t.id = d.id AND aigw.ask('openai/gpt-4o-mini', d.body || t.tag) LIKE 'Mock%';
RESET enable_hashjoin;
RESET enable_mergejoin;

-- an aggregate's arguments (without FILTER) and its FILTER are evaluated
-- for every row: their calls are read ahead below the aggregate (and below
-- the sort that feeds a sorted aggregate)
EXPLAIN (COSTS OFF) SELECT count(aigw.ask('openai/gpt-4o-mini', body)) FROM docs;
SELECT count(aigw.ask('openai/gpt-4o-mini', body)) FROM docs;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT id % 2 AS odd, count(aigw.ask('openai/gpt-4o-mini', body)) FROM docs WHERE id <= 4 GROUP BY 1;
SELECT id % 2 AS odd, string_agg(aigw.ask('openai/gpt-4o-mini', body), ', ' ORDER BY id) FROM docs WHERE id <= 4 GROUP BY 1;
RESET enable_hashagg;
EXPLAIN (COSTS OFF) SELECT count(*) FILTER (WHERE aigw.ask('openai/gpt-4o-mini', body) LIKE '%1%') FROM docs;
SELECT count(*) FILTER (WHERE aigw.ask('openai/gpt-4o-mini', body) LIKE '%1%') FROM docs;

-- calls that may not run for every row run row by row, and EXPLAIN says so
EXPLAIN (COSTS OFF) SELECT count(aigw.ask('openai/gpt-4o-mini', body)) FILTER (WHERE id > 10) FROM docs;
EXPLAIN (COSTS OFF) SELECT CASE WHEN id > 10 THEN aigw.ask('openai/gpt-4o-mini', body) END FROM docs;
EXPLAIN (COSTS OFF) SELECT coalesce(summary, aigw.ask('openai/gpt-4o-mini', body)) FROM docs;
-- ... but a subquery's rows feeding the aggregate are read ahead
EXPLAIN (COSTS OFF) SELECT count(a) FROM (SELECT aigw.ask('openai/gpt-4o-mini', body) AS a FROM docs OFFSET 0) s;
SELECT count(a) FROM (SELECT aigw.ask('openai/gpt-4o-mini', body) AS a FROM docs OFFSET 0) s;

-- a NULL input gives NULL without a call
SELECT id, aigw.ask('openai/gpt-4o-mini', CASE WHEN id = 2 THEN NULL ELSE body END) IS NULL AS no_answer
  FROM docs WHERE id <= 3;

-- aigw.read_ahead = off plans as PostgreSQL would
SET aigw.read_ahead = off;
EXPLAIN (COSTS OFF) SELECT id, aigw.ask('openai/gpt-4o-mini', body) FROM docs;
RESET aigw.read_ahead;
