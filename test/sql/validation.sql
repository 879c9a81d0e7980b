-- Bad input is refused before anything is sent: no request, no log row.
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');
SELECT count(*) AS logged_before FROM aigw.requests \gset

-- messages
SELECT aigw.chat('openai/gpt-4o-mini', '{"role": "user", "content": "hi"}');
SELECT aigw.chat('openai/gpt-4o-mini', '[]');
SELECT aigw.chat('openai/gpt-4o-mini', '["hi"]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"content": "hi"}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "bot", "content": "hi"}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user"}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": 42}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": []}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": [{"type": "video", "url": "x"}]}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}, {"role": "assistant"}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "assistant", "tool_calls": [{"type": "function"}]}]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "tool", "content": "31 C"}]');

-- options
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '[]');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"temprature": 0.5}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"temperature": "hot"}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"temperature": 3}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"max_tokens": 0}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"max_tokens": 1.5}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"stop": ["a", "b", "c", "d", "e"]}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"tools": [{"function": {"name": "f"}}]}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"tools": [{"type": "function", "function": {}}]}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"tool_choice": "always"}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"response_format": "json"}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"stream": true}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"timeout_ms": 0}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"tags": ["a"]}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"extra_body": {"model": "gpt-5"}}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"tool_choice": {"type": "function"}}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"response_format": {"type": "json_schema"}}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"response_format": {"type": "xml"}}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]', '{"metadata": {"batch": 7}}');
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f"}}]}]');

-- a request over aigw.max_request_bytes
SET aigw.max_request_bytes = 1024;
SELECT aigw.ask('openai/gpt-4o-mini', repeat('x', 2000));
RESET aigw.max_request_bytes;

-- none of the above reached the provider or the log
SELECT count(*) - :logged_before AS logged_since FROM aigw.requests;
