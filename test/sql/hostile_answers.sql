-- Answers a hostile upstream sends with status 200 that the soak test
-- (test/t/soak.sh) found aigw taking for good ones.  Each is written by hand
-- (the mock's body= directive answers exactly that text) and must be an
-- unusable answer (5G008, logged as malformed; charged only for the usage
-- it reports, where the protocol's reader takes it before the content), or
-- be read for what it says.  In a database of its own: its providers are
-- re-pointed.
SELECT current_database() AS regress_db \gset
CREATE DATABASE aigw_hostile;
\c aigw_hostile
CREATE EXTENSION aigw;
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/openai', enabled = true WHERE name = 'azure';
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1beta' WHERE name = 'gemini';
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'anthropic';
SELECT count(*) AS keys_set FROM (SELECT aigw.set_credential(name, 'test-key-openai') FROM aigw.providers WHERE name IN ('openai', 'azure', 'gemini', 'anthropic')) s;
\set SHOW_CONTEXT never
-- a model whose upstream answers 200 with exactly this body
CREATE FUNCTION pg_temp.answering(id text, upstream text, body text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO aigw.models (id, provider, upstream_model, kind, dimensions, max_inputs_per_request)
    SELECT id, split_part(id, '/', 1), upstream || '?body=' || string_agg(
             CASE WHEN c ~ '^[A-Za-z0-9_.~-]$' THEN c
                  ELSE regexp_replace(upper(encode(convert_to(c, 'UTF8'), 'hex')), '(..)', '%\1', 'g') END, '' ORDER BY i),
           CASE WHEN upstream LIKE 'text-embedding%' THEN 'embedding' ELSE 'chat' END,
           CASE WHEN upstream LIKE 'text-embedding%' THEN 2 END, CASE WHEN upstream LIKE 'text-embedding%' THEN 8 END
      FROM regexp_split_to_table(body, '') WITH ORDINALITY t(c, i);
    SELECT aigw.set_price(id, 1, 2);
$$;

-- An OpenAI answer passes through as it came: what aigw documents of it
-- (choices of messages whose content is text or null) must hold.
SELECT pg_temp.answering('openai/no-choices', 'gpt-4o-mini', '{"id": "x", "choices": [], "usage": {"prompt_tokens": 5}}');
SELECT pg_temp.answering('openai/message-text', 'gpt-4o-mini', '{"choices": [{"index": 0, "message": "hi", "finish_reason": "stop"}]}');
SELECT pg_temp.answering('openai/no-message', 'gpt-4o-mini', '{"choices": [{"index": 0, "finish_reason": "stop"}]}');
SELECT pg_temp.answering('openai/content-number', 'gpt-4o-mini', '{"choices": [{"message": {"role": "assistant", "content": 42}}]}');
SELECT pg_temp.answering('openai/content-object', 'gpt-4o-mini', '{"choices": [{"message": {"role": "assistant", "content": {"text": "hi"}}}]}');
SELECT pg_temp.answering('openai/finish-number', 'gpt-4o-mini', '{"choices": [{"message": {"content": "hi"}, "finish_reason": 1}]}');
SELECT pg_temp.answering('openai/calls-object', 'gpt-4o-mini', '{"choices": [{"message": {"content": null, "tool_calls": {"id": "c"}}}]}');
SELECT pg_temp.answering('openai/call-nameless', 'gpt-4o-mini', '{"choices": [{"message": {"content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"arguments": "{}"}}]}}]}');
SELECT pg_temp.answering('openai/call-no-arguments', 'gpt-4o-mini', '{"choices": [{"message": {"content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": null}}]}}]}');
SELECT pg_temp.answering('openai/call-no-function', 'gpt-4o-mini', '{"choices": [{"message": {"content": null, "tool_calls": [{"id": "c", "type": "function", "eunction": {"name": "f", "arguments": "{}"}}]}}]}');
SELECT pg_temp.answering('azure/choice-array', 'my-deployment', '{"choices": [["stop"]]}');
SELECT aigw.ask('openai/no-choices', 'hi');
SELECT aigw.ask('openai/message-text', 'hi');
SELECT aigw.ask('openai/no-message', 'hi');
SELECT aigw.ask('openai/content-number', 'hi');
SELECT aigw.ask('openai/content-object', 'hi');
SELECT aigw.ask('openai/finish-number', 'hi');
SELECT aigw.ask('openai/calls-object', 'hi');
SELECT aigw.ask('openai/call-nameless', 'hi');
SELECT aigw.ask('openai/call-no-arguments', 'hi');
SELECT aigw.ask('openai/call-no-function', 'hi');
SELECT aigw.ask('azure/choice-array', 'hi');
-- the protocols aigw translates have their answers rebuilt: one with
-- candidates of which none is an object had no choice (was: ok, "choices": [])
SELECT pg_temp.answering('gemini/no-candidate', 'gemini-2.5-flash', '{"candidates": ["x", 1], "usageMetadata": {"promptTokenCount": 3}}');
SELECT aigw.ask('gemini/no-candidate', 'hi');
-- a tool call without a name, or with an input that is no object (was: "name": 42, "arguments": "[1]")
SELECT pg_temp.answering('anthropic/tool-name-number', 'claude-sonnet-4-5', '{"content": [{"type": "tool_use", "id": "t", "name": 42, "input": {}}], "stop_reason": "tool_use"}');
SELECT pg_temp.answering('anthropic/tool-input-array', 'claude-sonnet-4-5', '{"content": [{"type": "tool_use", "id": "t", "name": "f", "input": [1]}], "stop_reason": "tool_use"}');
SELECT pg_temp.answering('gemini/call-nameless', 'gemini-2.5-flash', '{"candidates": [{"content": {"parts": [{"functionCall": {"args": {}}}]}}]}');
SELECT aigw.ask('anthropic/tool-name-number', 'hi');
SELECT aigw.ask('anthropic/tool-input-array', 'hi');
SELECT aigw.ask('gemini/call-nameless', 'hi');
-- what is well-formed still passes: null content, a custom tool's call (no
-- "function"), no finish reason, members aigw does not know
SELECT pg_temp.answering('openai/fine', 'gpt-4o-mini', '{"choices": [{"message": {"content": null, "tool_calls": [{"id": "c", "type": "custom", "custom": {"name": "t", "input": "x"}}]}, "extra": [1]}], "x": {}}');
SELECT a->'choices'->0->'message'->'tool_calls'->0->'custom' AS custom_call
  FROM aigw.chat('openai/fine', '[{"role": "user", "content": "hi"}]') a;

-- Embeddings are read by a walk over the JSON, not into jsonb.
-- 1e39 is a JSON number but no float
SELECT pg_temp.answering('openai/vector-inf', 'text-embedding-3-small', '{"data": [{"index": 0, "embedding": [0.5, 1e39]}, {"index": 1, "embedding": [0.5, 0.5]}]}');
-- one of the numbers of each vector is an array (it was read as a vector of its own, of one number)
SELECT pg_temp.answering('openai/vector-nested', 'text-embedding-3-small', '{"data": [{"index": 0, "embedding": [[0.25], 0.5]}, {"index": 1, "embedding": [[0.75], 0.5]}]}');
-- three vectors for two texts (was: an ok, charged request, and an error without a SQLSTATE)
SELECT pg_temp.answering('openai/vectors-3-for-2', 'text-embedding-3-small', '{"data": [{"embedding": [1, 0]}, {"embedding": [0, 1]}, {"embedding": [1, 1]}]}');
-- an index that is no position (was read as 1: the vectors came back swapped)
SELECT pg_temp.answering('openai/index-fraction', 'text-embedding-3-small', '{"data": [{"index": 1.5, "embedding": [1, 0]}, {"index": 0, "embedding": [0, 1]}]}');
-- token counts are JSON numbers: 1e2 is a hundred (was read as 1), 2.5 is no count
SELECT pg_temp.answering('openai/tokens-exponent', 'text-embedding-3-small', '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": [0, 1]}], "usage": {"prompt_tokens": 1e2}}');
SELECT pg_temp.answering('openai/tokens-fraction', 'text-embedding-3-small', '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": [0, 1]}], "usage": {"prompt_tokens": 2.5}}');
SELECT id, ord, embedding, error
  FROM (VALUES ('openai/vector-inf'), ('openai/vector-nested'), ('openai/vectors-3-for-2'), ('openai/index-fraction'),
               ('openai/tokens-exponent'), ('openai/tokens-fraction')) m(id),
       LATERAL aigw.embed_many(m.id, ARRAY['one', 'two'], '{"concurrency": 1}') e
 ORDER BY id, ord;

-- each is logged as what it was, with what it cost
SELECT requested_model, status, http_status, prompt_tokens, cost > 0 AS charged, error
  FROM aigw.requests ORDER BY id;

\c :regress_db
DROP DATABASE aigw_hostile;
