-- aigw.ask: one prompt in, the first choice's text out.
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');

SELECT aigw.ask('openai/gpt-4o-mini', 'Summarize: PostgreSQL is a database.');

-- over the rows of a table
CREATE TEMP TABLE docs (id int, body text);
INSERT INTO docs VALUES (1, 'Kettle arrived broken.'), (2, 'Great lamp, bright.'), (3, NULL);
SELECT id, aigw.ask('openai/gpt-4o-mini', 'Summarize: ' || body) AS summary FROM docs ORDER BY id;

-- options as for aigw.chat
SELECT aigw.ask('openai/gpt-4o-mini', 'Hello world, tell me everything', '{"max_tokens": 2}');
-- a tool call has no text: NULL
SELECT aigw.ask('openai/gpt-4o-mini', 'Weather?',
                '{"tools": [{"type": "function", "function": {"name": "get_weather"}}], "tool_choice": "required"}') IS NULL AS no_text;
