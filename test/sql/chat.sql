-- aigw.chat: one call through the worker pool to an OpenAI-style provider.
-- The tests point the openai provider at the local mock provider.
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');

-- The answer is OpenAI's chat.completion shape plus an "aigw" object.
CREATE TEMP TABLE answer AS
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "Hello there"}]') AS r;
SELECT r->'object' AS object, r->'model' AS model,
       r->'choices'->0->'index' AS index,
       r->'choices'->0->'message' AS message,
       r->'choices'->0->'finish_reason' AS finish_reason
  FROM answer;
-- usage is normalized: every field present (the mock counts 4 + ceil(chars/4) per message)
SELECT jsonb_pretty(r->'usage') AS usage FROM answer;
SELECT r->'aigw'->'provider' AS provider,
       r->'aigw'->'requested_model' AS requested_model,
       r->'aigw'->'served_model' AS served_model,
       (r->'aigw'->'attempts'->0) - '{latency_ms,request_id}'::text[] AS attempt,
       r->'aigw'->'call_id' = r->'aigw'->'request_id' AS first_attempt_is_the_call,
       (r->'aigw'->>'latency_ms')::float8 > 0 AS has_latency,
       r->>'id' LIKE 'chatcmpl-%' AS has_upstream_id
  FROM answer;
-- the call is in the request log, committed before aigw.chat returned
SELECT q.status, q.http_status, q.prompt_tokens, q.completion_tokens, q.upstream_id = a.r->>'id' AS same_id
  FROM answer a JOIN aigw.requests q ON q.id = (a.r->'aigw'->>'request_id')::bigint;
-- its timings are the logged ones to the microsecond, written without trailing zeros
SELECT (a.r->'aigw'->>'latency_ms')::numeric = round(q.latency_ms::numeric, 3) AS same_latency,
       (a.r->'aigw'->>'ttfb_ms')::numeric = round(q.ttfb_ms::numeric, 3) AS same_ttfb,
       (a.r->'aigw'->'attempts'->0->'latency_ms') = (a.r->'aigw'->'latency_ms') AS attempt_latency,
       a.r->'aigw'->>'latency_ms' !~ '\.\d*0$' AS no_trailing_zero
  FROM answer a JOIN aigw.requests q ON q.id = (a.r->'aigw'->>'request_id')::bigint;

-- OpenAI request fields pass through; aigw's own options (timeout_ms, tags)
-- do not; extra_body carries fields aigw does not know.  The mock's echo
-- directive answers with the body it received (without the messages).
SELECT (aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]',
        '{"temperature": 0.2, "top_p": 0.9, "max_tokens": 300, "stop": ["\n\n"], "seed": 7,
          "user": "u-42", "response_format": {"type": "text"}, "timeout_ms": 5000,
          "tags": {"team": "growth"}, "extra_body": {"top_k": 3},
          "metadata": {"mock": "echo=1"}}')->'choices'->0->'message'->>'content')::jsonb AS sent;

-- Tools: a forced tool call comes back as tool_calls with finish_reason tool_calls.
SELECT r->'choices'->0->'message'->'content' AS content,
       r->'choices'->0->'message'->'tool_calls'->0->'function'->>'name' AS tool,
       r->'choices'->0->'finish_reason' AS finish_reason
  FROM aigw.chat('openai/gpt-4o-mini',
                 '[{"role": "user", "content": "Weather in Jakarta?"}]',
                 '{"tools": [{"type": "function", "function": {"name": "get_weather",
                              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
                   "tool_choice": "required"}') r;

-- ... and the conversation continues with the assistant's tool call and the tool's answer.
SELECT aigw.chat('openai/gpt-4o-mini', '[
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Weather in Jakarta?"},
  {"role": "assistant", "content": null,
   "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Jakarta\"}"}}]},
  {"role": "tool", "tool_call_id": "call_1", "content": "31 C, humid"},
  {"role": "user", "content": [{"type": "text", "text": "And the photo?"},
                               {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}
]')->'choices'->0->'message'->>'content' AS content;

-- n > 1 gives several choices; max_tokens truncates with finish_reason length.
SELECT jsonb_array_length(aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"n": 3}')->'choices') AS choices;
SELECT r->'choices'->0->'finish_reason' AS finish_reason, r->'usage'->'completion_tokens' AS completion_tokens
  FROM aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "a long answer please"}]', '{"max_tokens": 2}') r;

-- Reasoning and cached tokens are reported where the provider reports them.
SELECT r->'usage'->'completion_tokens_details'->'reasoning_tokens' AS reasoning_tokens
  FROM aigw.chat('openai/o4-mini', '[{"role": "user", "content": "think"}]') r;
SELECT r->'usage'->'prompt_tokens_details'->'cached_tokens' AS cached_tokens
  FROM aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "the same long prompt"}]',
                 '{"metadata": {"mock": "cached=5"}}') r;

-- Numbers JSON writes with an exponent (OpenAI's logprobs often are) reach the
-- caller as numbers, and the answer's usage is logged as any other's.
CREATE TEMP TABLE logprobs AS
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "Hello there"}]', '{"logprobs": true}') AS r;
SELECT r->'choices'->0->'logprobs'->'content'->1->>'token' AS token,
       (r->'choices'->0->'logprobs'->'content'->1->>'logprob')::float8 AS logprob,
       r->'usage'->'prompt_tokens' AS prompt_tokens, r->'usage'->'completion_tokens' AS completion_tokens,
       q.status, q.prompt_tokens AS logged_prompt_tokens, q.completion_tokens AS logged_completion_tokens,
       q.upstream_id = r->>'id' AS same_id
  FROM logprobs JOIN aigw.requests q ON q.id = (r->'aigw'->>'request_id')::bigint;

-- Large answers travel through shared memory like small ones (5 MB here;
-- the limit is aigw.max_response_bytes).
INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('openai/verbose', 'openai', 'gpt-4o-mini?huge_bytes=5000000');
SELECT length(aigw.ask('openai/verbose', 'tell me everything')) AS answer_length;

-- NULL in, NULL out, nothing sent.
SELECT aigw.chat('openai/gpt-4o-mini', NULL) IS NULL AS is_null;
