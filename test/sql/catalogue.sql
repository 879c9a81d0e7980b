-- The shipped catalogue (providers, chat models, published prices) and
-- aigw.import_catalogue.  A database of its own: it starts from 0.2.0 with
-- an administrator's own Anthropic provider and a priced model already
-- there, as a database being updated may have them; no provider is called.
SELECT current_database() AS regress_db \gset
CREATE DATABASE aigw_catalogue;
\c aigw_catalogue
\set SHOW_CONTEXT never
CREATE EXTENSION aigw VERSION '0.2.0';
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme)
VALUES ('anthropic', 'anthropic', 'https://llm-proxy.example.com/anthropic', 'x-api-key');
INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('anthropic/claude-opus-4-1', 'anthropic', 'claude-opus-4-1');
SELECT aigw.set_price('anthropic/claude-opus-4-1', 12, 60, source => 'negotiated');
ALTER EXTENSION aigw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'aigw';
-- what the administrator had is kept
SELECT base_url, api_version FROM aigw.providers WHERE name = 'anthropic';
SELECT input_per_mtok, output_per_mtok, source FROM aigw.prices WHERE model = 'anthropic/claude-opus-4-1';
-- and told from what aigw ships (pg_dump keeps the rows that are not
-- 'shipped'): the administrator's provider and model have the keys of
-- shipped rows, the price is their own, and the shipped price of that
-- model, never inserted here, is recorded as missing
SELECT t AS "table", origin, count(*)
  FROM (SELECT 'providers' AS t, origin FROM aigw.providers UNION ALL SELECT 'models', origin FROM aigw.models
        UNION ALL SELECT 'prices', origin FROM aigw.prices UNION ALL SELECT 'currencies', origin FROM aigw.currencies
        UNION ALL SELECT 'catalogue_providers', origin FROM aigw.catalogue_providers) o
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT name, origin FROM aigw.providers WHERE origin <> 'shipped';
SELECT table_name, key FROM aigw.deleted_rows;

--------------------------------------------------------------------------
-- Providers, at their real endpoints
SELECT name, api_style, base_url, auth_scheme, api_version, enabled
  FROM aigw.providers WHERE name NOT IN ('openai', 'deepseek', 'qwen', 'mistral', 'groq', 'together', 'openrouter', 'xai')
 ORDER BY name;
SELECT litellm_provider, provider, key_prefix FROM aigw.catalogue_providers ORDER BY provider, litellm_provider;

--------------------------------------------------------------------------
-- At least 200 chat models of at least 10 providers
SELECT count(*) >= 200 AS at_least_200_models, count(DISTINCT provider) >= 10 AS at_least_10_providers FROM aigw.models;
SELECT provider, count(*) AS models FROM aigw.models GROUP BY provider ORDER BY provider;
-- ids are provider/upstream_model; capabilities come from a fixed set
SELECT id FROM aigw.models WHERE id <> provider || '/' || upstream_model;
SELECT id, capabilities FROM aigw.models WHERE NOT capabilities <@ '{tools,vision,json,reasoning}';
SELECT c AS capability, count(*) AS models FROM aigw.models, unnest(capabilities) c GROUP BY c ORDER BY c;
-- Azure has no shipped models: they are the user's deployments
SELECT count(*) AS azure_models FROM aigw.models WHERE provider = 'azure';

--------------------------------------------------------------------------
-- Every model has a USD price in force, and one price period only
SELECT count(*) AS models_without_price FROM aigw.models m
 WHERE NOT EXISTS (SELECT 1 FROM aigw.prices p
                    WHERE p.model = m.id AND p.currency = 'USD'
                      AND p.valid_from <= now() AND (p.valid_to IS NULL OR p.valid_to > now()));
SELECT model, count(*) FROM aigw.prices GROUP BY model HAVING count(*) > 1;
-- the prices of 0.2.0 are untouched
SELECT model, input_per_mtok, output_per_mtok, cached_input_per_mtok, source
  FROM aigw.prices WHERE model IN ('openai/gpt-4o-mini', 'xai/grok-3-mini', 'openrouter/openai/gpt-4o-mini')
 ORDER BY model;
SELECT count(*) AS from_the_map_of_2026_07_24 FROM aigw.prices
 WHERE valid_from = '2026-07-24 00:00:00+00' AND source LIKE 'litellm 2026-07-24: %';
-- spot checks of published prices, per million tokens
SELECT model, input_per_mtok AS input, output_per_mtok AS output, cached_input_per_mtok AS cached,
       cache_write_per_mtok AS cache_write, reasoning_per_mtok AS reasoning, source
  FROM aigw.prices
 WHERE model IN ('anthropic/claude-sonnet-4-5', 'anthropic/claude-haiku-4-5', 'gemini/gemini-2.5-flash',
                 'gemini/gemini-2.5-pro', 'bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0',
                 'bedrock/amazon.nova-pro-v1:0', 'openai/gpt-5.4', 'deepseek/deepseek-v4-pro',
                 'fireworks/accounts/fireworks/models/kimi-k2p6', 'perplexity/sonar-pro')
 ORDER BY model;
-- the batch rates the map gives, which the update gave the prices already
-- here (NULL: half the standard rate)
SELECT model, input_per_mtok AS input, output_per_mtok AS output, input_batch_per_mtok AS batch_input,
       output_batch_per_mtok AS batch_output, origin
  FROM aigw.prices
 WHERE model IN ('openai/gpt-4o-mini', 'openai/gpt-5.4', 'gemini/gemini-3.1-pro-preview', 'openai/text-embedding-3-small',
                 'bedrock/us.meta.llama4-scout-17b-instruct-v1:0', 'anthropic/claude-sonnet-4-5')
 ORDER BY model;
SELECT count(*) AS with_batch_rates FROM aigw.prices WHERE input_batch_per_mtok IS NOT NULL OR output_batch_per_mtok IS NOT NULL;
SELECT id, context_window, max_output_tokens, capabilities FROM aigw.models
 WHERE id IN ('anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash', 'bedrock/amazon.nova-pro-v1:0',
              'together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo')
 ORDER BY id;

--------------------------------------------------------------------------
-- aigw.import_catalogue: the same price-map format, USD per token
SELECT now() + interval '1 day' AS tomorrow \gset
SELECT count(*) AS prices_before FROM aigw.prices \gset
INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('openai/gpt-4o-2024-08-06', 'openai', 'gpt-4o-2024-08-06');
SELECT * FROM aigw.import_catalogue($${
  "claude-sonnet-4-5": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 2.5e-06,
                        "output_cost_per_token": 1.25e-05, "cache_read_input_token_cost": 3e-07,
                        "cache_creation_input_token_cost": 3.75e-06},
  "gemini/gemini-2.5-flash": {"litellm_provider": "gemini", "input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06,
                              "cache_read_input_token_cost": 3e-08, "output_cost_per_reasoning_token": 2.5e-06,
                              "max_input_tokens": 1048576},
  "gpt-4o-2024-08-06": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                        "cache_read_input_token_cost": 1.25e-06, "input_cost_per_token_batches": 1.25e-06,
                        "output_cost_per_token_batches": 5e-06},
  "amazon.nova-pro-v1:0": {"litellm_provider": "bedrock_converse", "input_cost_per_token": 8e-07, "output_cost_per_token": 3.2e-06,
                           "cache_read_input_token_cost": 0},
  "gpt-99": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
  "deepseek-chat": {"litellm_provider": "deepseek", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
  "vertex_ai/gemini-2.5-flash": {"litellm_provider": "vertex_ai-language-models", "input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06},
  "xai/grok-3": {"litellm_provider": "xai", "input_cost_per_token": "3e-06", "output_cost_per_token": 1.5e-05},
  "xai/grok-3-mini": {"litellm_provider": "xai", "input_cost_per_token": -1e-07, "output_cost_per_token": 5e-07},
  "mistral/mistral-small-latest": {"litellm_provider": "mistral", "input_cost_per_token": 6e-08},
  "groq/llama-3.1-8b-instant": "cheap",
  "last_updated": "2026-07-24"
}$$, :'tomorrow');
-- a new period from valid_from; the one in force is closed then, and kept
SELECT input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok,
       valid_from = :'tomorrow' AS from_tomorrow, valid_to = :'tomorrow' AS until_tomorrow, valid_to IS NULL AS open, source
  FROM aigw.prices WHERE model = 'anthropic/claude-sonnet-4-5' ORDER BY valid_from;
SELECT input_per_mtok, output_per_mtok, cached_input_per_mtok, valid_from = :'tomorrow' AS from_tomorrow, source
  FROM aigw.prices WHERE model = 'openai/gpt-4o-2024-08-06';
SELECT input_batch_per_mtok, output_batch_per_mtok FROM aigw.prices WHERE model = 'openai/gpt-4o-2024-08-06';
-- malformed entries changed nothing
SELECT model, input_per_mtok, output_per_mtok, valid_to FROM aigw.prices
 WHERE model IN ('xai/grok-3', 'xai/grok-3-mini', 'mistral/mistral-small-latest', 'groq/llama-3.1-8b-instant', 'deepseek/deepseek-chat')
 ORDER BY model;
SELECT count(*) - :prices_before AS new_prices FROM aigw.prices;
-- importing the same map again changes nothing
SELECT model, action FROM aigw.import_catalogue($${
  "claude-sonnet-4-5": {"litellm_provider": "anthropic", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1.25e-05,
                        "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06}
}$$, :'tomorrow');
-- a price change from now on (the default valid_from)
BEGIN;
SELECT model, action, detail FROM aigw.import_catalogue(
  '{"xai/grok-3-mini": {"litellm_provider": "xai", "input_cost_per_token": 2e-07, "output_cost_per_token": 4e-07, "cache_read_input_token_cost": 7.5e-08}}');
SELECT input_per_mtok, output_per_mtok, valid_to = now() AS closed_now, valid_from = now() AS from_now
  FROM aigw.prices WHERE model = 'xai/grok-3-mini' ORDER BY valid_from;
COMMIT;
SELECT count(*) - :prices_before AS new_prices FROM aigw.prices;

-- Bad arguments are refused, and change nothing
SELECT count(*) AS prices_before FROM aigw.prices \gset
SELECT * FROM aigw.import_catalogue('[{"gpt-4o": {}}]');
SELECT * FROM aigw.import_catalogue('"gpt-4o"');
SELECT * FROM aigw.import_catalogue(NULL);
SELECT * FROM aigw.import_catalogue('{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}}',
                                    now() - interval '1 hour');
SELECT * FROM aigw.import_catalogue('{}');
SELECT count(*) - :prices_before AS new_prices FROM aigw.prices;

-- Not executable by PUBLIC
CREATE ROLE aigw_catalogue_reader IN ROLE aigw_user;
SET ROLE aigw_catalogue_reader;
SELECT * FROM aigw.import_catalogue('{}');
SELECT count(*) >= 200 AS models_readable FROM aigw.models;
SELECT count(*) AS mappings_readable FROM aigw.catalogue_providers;
RESET ROLE;
DROP ROLE aigw_catalogue_reader;

--------------------------------------------------------------------------
-- Rows an administrator changes, adds and deletes.  Only aigw's own
-- scripts write 'shipped'; naming it does not make a row shipped.
SELECT origin, count(*) FROM aigw.prices WHERE model = 'anthropic/claude-sonnet-4-5' GROUP BY origin ORDER BY origin;
BEGIN;
UPDATE aigw.providers SET request_timeout_ms = 30000 WHERE name = 'openai';
UPDATE aigw.providers SET origin = 'shipped' WHERE name = 'deepseek';
INSERT INTO aigw.currencies (code, minor_units, name, origin) VALUES ('NZD', 2, 'New Zealand dollar', 'shipped');
SELECT name, origin FROM aigw.providers WHERE name IN ('openai', 'deepseek', 'qwen') ORDER BY name;
SELECT code, origin FROM aigw.currencies WHERE code = 'NZD';
-- a shipped row deleted or renamed is remembered; added again, it is the administrator's
DELETE FROM aigw.catalogue_providers WHERE litellm_provider = 'zai';
UPDATE aigw.providers SET name = 'my-azure' WHERE name = 'azure';
SELECT table_name, key FROM aigw.deleted_rows ORDER BY 1, 2;
INSERT INTO aigw.catalogue_providers (litellm_provider, provider, key_prefix) VALUES ('zai', 'zai', 'zai/');
SELECT litellm_provider, origin FROM aigw.catalogue_providers WHERE litellm_provider = 'zai';
SELECT name, origin FROM aigw.providers WHERE name LIKE '%azure';
SELECT table_name, key FROM aigw.deleted_rows ORDER BY 1, 2;
-- an added row deleted leaves nothing behind
DELETE FROM aigw.currencies WHERE code = 'NZD';
SELECT count(*) AS deleted_currencies FROM aigw.deleted_rows WHERE table_name = 'currencies';
-- inserting the key of an untouched shipped row changes that row (this is
-- how pg_restore brings back a changed row after CREATE EXTENSION)
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme) VALUES ('groq', 'openai', 'https://proxy.example.com/groq', 'bearer');
SELECT name, base_url, origin FROM aigw.providers WHERE name = 'groq';
SELECT count(*) AS providers FROM aigw.providers;
-- the key of a row already changed is a duplicate, as ever
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme) VALUES ('openai', 'openai', 'https://proxy.example.com/v1', 'bearer');
ROLLBACK;

\c :regress_db
DROP DATABASE aigw_catalogue;
