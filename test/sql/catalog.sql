-- Providers, models and credentials are ordinary tables.
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');
SELECT count(*) AS logged_before FROM aigw.requests \gset

SELECT name, api_style, base_url LIKE 'https://%' AS real_endpoint, auth_scheme
  FROM aigw.providers WHERE name <> 'openai' ORDER BY name;
SELECT provider, count(*) FROM aigw.models GROUP BY provider ORDER BY provider;

-- model names are provider/model, and must be in the catalogue
SELECT aigw.ask('gpt-4o-mini', 'hi');
SELECT aigw.ask('nosuch/model', 'hi');
SELECT aigw.ask('openai/gpt-99', 'hi');

-- disabled providers and models are refused
UPDATE aigw.providers SET enabled = false WHERE name = 'openai';
SELECT aigw.ask('openai/gpt-4o-mini', 'hi');
UPDATE aigw.providers SET enabled = true WHERE name = 'openai';
UPDATE aigw.models SET enabled = false WHERE id = 'openai/gpt-4o';
SELECT aigw.ask('openai/gpt-4o', 'hi');
UPDATE aigw.models SET enabled = true WHERE id = 'openai/gpt-4o';

-- a provider without a credential
SELECT aigw.ask('deepseek/deepseek-chat', 'hi');

-- a model added by an administrator is usable at once
INSERT INTO aigw.models (id, provider, upstream_model, context_window)
VALUES ('openai/my-finetune', 'openai', 'ft:gpt-4o-mini:acme::abc123', 128000);
SELECT aigw.chat('openai/my-finetune', '[{"role": "user", "content": "hi"}]')->'aigw'->>'served_model' AS served_model;
INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('groq/x', 'openai', 'x');

-- extra_headers are checked before anything is sent
UPDATE aigw.providers SET extra_headers = '{"X-Title": 42}' WHERE name = 'openai';
SELECT aigw.ask('openai/gpt-4o-mini', 'hi');
UPDATE aigw.providers SET extra_headers = '{"X-Title": "a\r\nX-Injected: 1"}' WHERE name = 'openai';
SELECT aigw.ask('openai/gpt-4o-mini', 'hi');
UPDATE aigw.providers SET extra_headers = '{"X-Title": "aigw tests"}' WHERE name = 'openai';
SELECT aigw.ask('openai/gpt-4o-mini', 'with a title');
-- ... and reach the provider with the request (as the mock recorded it)
\! curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests?limit=1" | python3 -c "import json, sys; r = json.load(sys.stdin)[-1]; print(repr(r['body']['messages'][-1]['content']), 'arrived with x-title:', repr(r['headers'].get('x-title')))"
UPDATE aigw.providers SET extra_headers = '{}' WHERE name = 'openai';

-- an auth scheme the provider's protocol does not use: refused before sending
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme) VALUES ('odd', 'openai', 'http://127.0.0.1:9', 'sigv4');
INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('odd/model', 'odd', 'gpt-4o-mini');
SELECT aigw.set_credential('odd', 'ak-1');
SELECT aigw.ask('odd/model', 'hi');

-- Credentials: no ordinary role can read them, only whether one is set.
CREATE ROLE analyst IN ROLE aigw_user;
SET ROLE analyst;
SELECT * FROM aigw.credentials;
SELECT provider, is_set FROM aigw.credential_status WHERE provider IN ('openai', 'deepseek') ORDER BY provider;
SELECT aigw.set_credential('openai', 'stolen');
-- ... but the role can call a model (the key is used on its behalf, never shown)
SELECT aigw.ask('openai/gpt-4o-mini', 'hi from an analyst');
RESET ROLE;
SELECT role_name FROM aigw.requests ORDER BY id DESC LIMIT 1;

-- set_credential checks its input (and never echoes the secret)
SELECT aigw.set_credential('nosuch', 'k');
SELECT aigw.set_credential('openai', '');
SELECT aigw.set_credential('openai', E'sk-with-newline\n');
SELECT aigw.set_credential('deepseek', 'dk-1');
SELECT provider, is_set FROM aigw.credential_status WHERE provider = 'deepseek';
SELECT aigw.set_credential('deepseek', NULL);
SELECT provider, is_set FROM aigw.credential_status WHERE provider = 'deepseek';

-- only the three successful calls above were logged
SELECT count(*) - :logged_before AS logged_since FROM aigw.requests;

DROP ROLE analyst;
