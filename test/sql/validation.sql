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

-- a name the caller gave is quoted whole up to 100 characters; a longer one
-- is cut there, with its length (a 200 KB model name, say)
SELECT aigw.ask('openai/' || repeat('y', 93), 'hi');
SELECT aigw.ask('openai/' || repeat('x', 200000), 'hi');
SELECT aigw.ask(repeat('p', 200000) || '/gpt-4o-mini', 'hi');
SELECT aigw.ask(repeat('m', 200000), 'hi');
SELECT aigw.ask('route/' || repeat('r', 200000), 'hi');
SELECT aigw.ask('auto/' || repeat('a', 200000), 'hi');
SELECT aigw.auto(repeat('s', 200000), '[{"role": "user", "content": "hi"}]');
SELECT aigw.embed('auto/' || repeat('e', 200000), 'hi');
SELECT aigw.ask('openai/gpt-4o-mini', 'hi', jsonb_build_object('fallbacks', jsonb_build_array('openai/' || repeat('f', 200000))));
SET aigw.billing = on;
SELECT aigw.ask('openai/gpt-4o-mini', 'hi', jsonb_build_object('wallet', repeat('w', 200000)));
RESET aigw.billing;
SELECT aigw.balance(repeat('w', 200000));
SELECT aigw.adjust(repeat('w', 200000), 1, 'a note');
SELECT aigw.set_price('openai/' || repeat('x', 200000), 1, 1);
INSERT INTO aigw.routes (name, candidates) VALUES ('long', ARRAY['openai/' || repeat('c', 200000)]);

-- none of the above reached the provider or the log
SELECT count(*) - :logged_before AS logged_since FROM aigw.requests;
