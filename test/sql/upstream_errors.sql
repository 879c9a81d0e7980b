-- Provider failures: each is an error with its own SQLSTATE that names the
-- provider and model and quotes the provider's message; each attempt is
-- logged with its status.  The mock provider misbehaves on request: its
-- directives ride in the upstream model name.
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');
\set SHOW_CONTEXT never
SELECT coalesce(max(id), 0) AS last_id FROM aigw.requests \gset

INSERT INTO aigw.models (id, provider, upstream_model) VALUES
    ('openai/bad-request',  'openai', 'gpt-4o-mini?status=400'),
    ('openai/forbidden',    'openai', 'gpt-4o-mini?status=403'),
    ('openai/missing',      'openai', 'gpt-4o-mini?status=404'),
    ('openai/rate-limited', 'openai', 'gpt-4o-mini?status=429&retry_after=7'),
    ('openai/server-error', 'openai', 'gpt-4o-mini?status=500'),
    ('openai/unavailable',  'openai', 'gpt-4o-mini?status=503'),
    ('openai/overloaded',   'openai', 'gpt-4o-mini?status=529'),
    ('openai/proxy-error',  'openai', 'gpt-4o-mini?html=1'),
    ('openai/malformed',    'openai', 'gpt-4o-mini?malformed=1'),
    ('openai/error-in-200', 'openai', 'gpt-4o-mini?error_body=1'),
    ('openai/deep',         'openai', 'gpt-4o-mini?nested=100000'),
    ('openai/truncated',    'openai', 'gpt-4o-mini?truncate=1'),
    ('openai/empty',        'openai', 'gpt-4o-mini?empty=1'),
    ('openai/dropped',      'openai', 'gpt-4o-mini?drop=1'),
    ('openai/huge',         'openai', 'gpt-4o-mini?huge_bytes=20000000'),
    ('openai/two-kb',       'openai', 'gpt-4o-mini?huge_bytes=2000'),
    ('openai/slow',         'openai', 'gpt-4o-mini?latency_ms=5000');

SELECT aigw.ask('openai/bad-request', 'hi');
SELECT aigw.ask('openai/forbidden', 'hi');
SELECT aigw.ask('openai/missing', 'hi');
SELECT aigw.ask('openai/rate-limited', 'hi');
SELECT aigw.ask('openai/server-error', 'hi');
SELECT aigw.ask('openai/unavailable', 'hi');
SELECT aigw.ask('openai/overloaded', 'hi');
SELECT aigw.ask('openai/proxy-error', 'hi');
SELECT aigw.ask('openai/malformed', 'hi');
-- some OpenAI-compatible servers answer an error with status 200
SELECT aigw.ask('openai/error-in-200', 'hi');
-- valid JSON nested 100,000 deep: parsers recurse, and it must fail the call, not the worker
CREATE TEMP TABLE workers_before AS
SELECT pid FROM pg_stat_activity WHERE backend_type = 'aigw worker' AND datname = current_database();
SELECT aigw.ask('openai/deep', 'hi');
SELECT count(*) > 0 AS had_workers, count(a.pid) = count(*) AS none_died
  FROM workers_before b LEFT JOIN pg_stat_activity a USING (pid);
SELECT aigw.ask('openai/truncated', 'hi');
SELECT aigw.ask('openai/empty', 'hi');
-- a connection closed with no answer: libcurl says "Empty reply from server",
-- or, when it had reused a kept-alive connection and tried again on new
-- ones, "Connection died, tried 5 times before giving up"
DO $$
DECLARE
    msg text;
    hint text;
BEGIN
    PERFORM aigw.ask('openai/dropped', 'hi');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = SQLSTATE, HINT = hint,
        MESSAGE = regexp_replace(msg, '(Empty reply from server|Connection died, tried \d+ times before giving up)$', 'closed with no answer (libcurl''s words)');
END $$;
-- 20 MB is over the default aigw.max_response_bytes (16 MB) ...
SELECT aigw.ask('openai/huge', 'hi');
-- ... and so is an ordinary answer of 2 kB under a lowered limit (1024, the
-- setting's minimum), the same answer the default lets through
SET aigw.max_response_bytes = 1024;
SELECT aigw.ask('openai/two-kb', 'hi');
RESET aigw.max_response_bytes;
SELECT length(aigw.ask('openai/two-kb', 'hi')) AS answer_length;
-- the whole call has a time limit: per call, per provider, or by setting
SELECT aigw.ask('openai/slow', 'hi', '{"timeout_ms": 300}');
SET aigw.request_timeout_ms = 200;
SELECT aigw.ask('openai/slow', 'hi');
RESET aigw.request_timeout_ms;
UPDATE aigw.providers SET request_timeout_ms = 250 WHERE name = 'openai';
SELECT aigw.ask('openai/slow', 'hi');
UPDATE aigw.providers SET request_timeout_ms = NULL WHERE name = 'openai';

-- a wrong key: the provider's 401 (a second provider, re-pointed at the mock)
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'mistral';
SELECT aigw.set_credential('mistral', 'wrong-key');
SELECT aigw.ask('mistral/mistral-small-latest', 'hi');

-- nothing listening
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:1/v1' WHERE name = 'groq';
SELECT aigw.set_credential('groq', 'gk-1');
-- (libcurl's own words after "Failed to connect to 127.0.0.1" differ
-- between its versions: 7.88, 8.14 and 8.23 say it three ways)
DO $$
DECLARE
    msg text;
    hint text;
BEGIN
    PERFORM aigw.ask('groq/llama-3.1-8b-instant', 'hi');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = SQLSTATE, HINT = hint,
        MESSAGE = regexp_replace(msg, '(Failed to connect to 127\.0\.0\.1)\M.*$', '\1 ... (libcurl''s words)');
END $$;

-- every attempt above is in the log, with what went wrong
SELECT requested_model, status, http_status, prompt_tokens,
       left(regexp_replace(regexp_replace(error, '^(Failed to connect to 127\.0\.0\.1)\M.*$', '\1 ... (libcurl''s words)'),
                           '^(Empty reply from server|Connection died, tried \d+ times before giving up)$', 'closed with no answer (libcurl''s words)'), 90) AS error
  FROM aigw.requests WHERE id > :last_id ORDER BY id;

-- the provider's own key never appears in the log
SELECT count(*) AS rows_with_key FROM aigw.requests
 WHERE error LIKE '%test-key-openai%' OR error LIKE '%wrong-key%' OR tags::text LIKE '%key%';

-- each failure has its own SQLSTATE (class 5G), so callers can tell them apart
CREATE FUNCTION pg_temp.sqlstate_of(model text, options jsonb DEFAULT '{}') RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM aigw.ask(model, 'hi', options);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT model, pg_temp.sqlstate_of(model, options) AS sqlstate
  FROM (VALUES ('openai/gpt-4o-mini', '{}'::jsonb), ('openai/bad-request', '{}'), ('openai/forbidden', '{}'),
               ('mistral/mistral-small-latest', '{}'), ('openai/missing', '{}'), ('openai/rate-limited', '{}'),
               ('openai/server-error', '{}'), ('openai/overloaded', '{}'), ('openai/slow', '{"timeout_ms": 300}'),
               ('groq/llama-3.1-8b-instant', '{}'), ('openai/malformed', '{}'), ('openai/huge', '{}')) t(model, options);
