-- aigw.requests: one row per upstream attempt, committed by the worker pool
-- in its own transaction, so the caller's rollback cannot erase it.
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');

BEGIN;
SELECT aigw.ask('openai/gpt-4o-mini', 'inside a transaction that rolls back', '{"tags": {"case": "rollback"}}');
ROLLBACK;

BEGIN;
SELECT aigw.ask('openai/gpt-4o-mini', 'then the transaction fails', '{"tags": {"case": "error after"}}');
SELECT 1 / 0;
ROLLBACK;

BEGIN;
SAVEPOINT s;
SELECT aigw.ask('openai/gpt-4o-mini', 'inside a savepoint', '{"tags": {"case": "savepoint"}}');
ROLLBACK TO SAVEPOINT s;
COMMIT;

SELECT tags->>'case' AS "case", role_name, database_name, requested_model, served_model, provider,
       attempt, status, http_status, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
       latency_ms > 0 AS latency, ttfb_ms > 0 AS ttfb, ttfb_ms <= latency_ms AS ttfb_first,
       request_bytes > 0 AS sent, response_bytes > 0 AS received,
       upstream_id LIKE 'chatcmpl-%' AS upstream_id, created_at <= finished_at AS ordered, error
  FROM aigw.requests
 WHERE tags ? 'case'
 ORDER BY id;

-- tags are any JSON object, for cost attribution by plain SQL
SELECT aigw.ask('openai/gpt-4o-mini', 'tagged', '{"tags": {"team": "data", "job": 17}}') IS NOT NULL AS answered;
SELECT tags->>'team' AS team, count(*) FROM aigw.requests WHERE tags ? 'team' GROUP BY 1;
