-- aigw 0.3.0: native provider protocols (Anthropic Messages, Gemini,
-- Bedrock Converse signed with SigV4, Azure OpenAI), the native Anthropic
-- surface, and a catalogue of priced models.

\echo Use "ALTER EXTENSION aigw UPDATE TO '0.3.0'" to load this file. \quit

--------------------------------------------------------------------------
-- Providers: the protocols' own auth schemes and version pins.
--------------------------------------------------------------------------
ALTER TABLE aigw.providers DROP CONSTRAINT providers_auth_scheme_check;
ALTER TABLE aigw.providers ADD CONSTRAINT providers_auth_scheme_check
    CHECK (auth_scheme IN ('bearer', 'x-api-key', 'api-key', 'x-goog-api-key', 'query-key', 'sigv4', 'none'));
ALTER TABLE aigw.providers ADD COLUMN api_version text;
COMMENT ON COLUMN aigw.providers.api_version IS
    'Protocol version pinned for this provider: Anthropic''s anthropic-version header (2023-06-01), Azure OpenAI''s api-version query parameter.';
COMMENT ON COLUMN aigw.providers.auth_scheme IS
    'How the credential set with aigw.set_credential is sent: bearer = "Authorization: Bearer <secret>"; x-api-key, api-key, x-goog-api-key = a header of that name; query-key = ?key=<secret>; sigv4 = AWS Signature Version 4 from a JSON credential {"access_key_id", "secret_access_key", "session_token", "region"}; none = no credential.';

--------------------------------------------------------------------------
-- Cache writes are their own token class (Anthropic, Bedrock), priced at
-- aigw.prices.cache_write_per_mtok.
--------------------------------------------------------------------------
ALTER TABLE aigw.requests ADD COLUMN cache_write_tokens integer;
COMMENT ON COLUMN aigw.requests.prompt_tokens IS
    'Every prompt token, whatever the provider calls them: OpenAI prompt_tokens; Anthropic input_tokens + cache_creation_input_tokens + cache_read_input_tokens; Gemini promptTokenCount; Bedrock inputTokens + cacheReadInputTokens + cacheWriteInputTokens.';
COMMENT ON COLUMN aigw.requests.cached_tokens IS
    'The part of prompt_tokens read from the provider''s cache (OpenAI cached_tokens, DeepSeek prompt_cache_hit_tokens, Anthropic cache_read_input_tokens, Gemini cachedContentTokenCount, Bedrock cacheReadInputTokens).';
COMMENT ON COLUMN aigw.requests.cache_write_tokens IS
    'The part of prompt_tokens written to the provider''s cache (Anthropic cache_creation_input_tokens, Bedrock cacheWriteInputTokens).';
COMMENT ON COLUMN aigw.requests.completion_tokens IS
    'Every output token, reasoning included (OpenAI completion_tokens; Anthropic output_tokens; Gemini candidatesTokenCount + thoughtsTokenCount; Bedrock outputTokens).';
COMMENT ON COLUMN aigw.requests.reasoning_tokens IS
    'The part of completion_tokens spent reasoning (OpenAI reasoning_tokens, Gemini thoughtsTokenCount).';

DROP FUNCTION aigw.token_cost(bigint, bigint, bigint, bigint, numeric, numeric, numeric, numeric);
CREATE FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint,
                                completion_tokens bigint, reasoning_tokens bigint,
                                input_per_mtok numeric, output_per_mtok numeric,
                                cached_input_per_mtok numeric DEFAULT NULL,
                                cache_write_per_mtok numeric DEFAULT NULL,
                                reasoning_per_mtok numeric DEFAULT NULL)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale((
          greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0) - coalesce(cache_write_tokens, 0), 0) * input_per_mtok
        + least(coalesce(cached_tokens, 0), coalesce(prompt_tokens, 0)) * coalesce(cached_input_per_mtok, input_per_mtok)
        + least(coalesce(cache_write_tokens, 0), greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0), 0))
              * coalesce(cache_write_per_mtok, input_per_mtok)
        + greatest(coalesce(completion_tokens, 0) - coalesce(reasoning_tokens, 0), 0) * output_per_mtok
        + least(coalesce(reasoning_tokens, 0), coalesce(completion_tokens, 0)) * coalesce(reasoning_per_mtok, output_per_mtok)
       ) / 1000000);
COMMENT ON FUNCTION aigw.token_cost(bigint, bigint, bigint, bigint, bigint, numeric, numeric, numeric, numeric, numeric) IS
    'Exact cost of a usage at per-million-token rates: prompt tokens neither read from nor written to the cache at the input rate, cache reads at the cached rate, cache writes at the cache-write rate, completion tokens at the output rate except reasoning tokens at the reasoning rate.';

DROP FUNCTION aigw.billing_quote(text, text, timestamptz);
CREATE FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamptz)
RETURNS TABLE (wallets_exist boolean, wallet_id bigint, wallet_xmin xid, wallet_owner oid,
               wallet_enabled boolean, currency text, scale integer, credit_limit_units bigint,
               price_currency text, input_per_mtok text, output_per_mtok text,
               cached_input_per_mtok text, reasoning_per_mtok text,
               max_input_rate numeric, max_output_rate numeric, fx numeric, fx_rate text,
               model_max_output_tokens bigint, model_context_window bigint,
               balance_units bigint, balance_version bigint, price_scale integer,
               valid_until timestamptz, cache_write_per_mtok text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM aigw.wallets),
           w.id, w.xmin, w.owner::oid, w.enabled, w.currency, c.minor_units + 6,
           (w.credit_limit * 10::numeric ^ (c.minor_units + 6))::bigint,
           p.currency, p.input_per_mtok::text, p.output_per_mtok::text,
           p.cached_input_per_mtok::text, p.reasoning_per_mtok::text,
           greatest(p.input_per_mtok, coalesce(p.cached_input_per_mtok, 0), coalesce(p.cache_write_per_mtok, 0)),
           greatest(p.output_per_mtok, coalesce(p.reasoning_per_mtok, 0)),
           coalesce(fx.direct, fx.inverse),
           CASE WHEN p.currency <> w.currency THEN coalesce(fx.direct, fx.inverse)::text END,
           m.max_output_tokens, m.context_window,
           (b.balance * 10::numeric ^ (c.minor_units + 6))::bigint, b.version,
           pc.minor_units + 6,
           least(p.valid_to, next_price.valid_from, fx.direct_to, fx.inverse_to, fx.next_direct_from,
                 fx.next_inverse_from),
           p.cache_write_per_mtok::text
      FROM (SELECT 1) AS one
      LEFT JOIN aigw.wallets w ON w.name = wallet_name
      LEFT JOIN aigw.currencies c ON c.code = w.currency
      LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
      LEFT JOIN aigw.models m ON m.id = model_id
      -- a price in the wallet's currency wins; otherwise USD; otherwise any
      LEFT JOIN LATERAL (
            SELECT pr.* FROM aigw.prices pr
             WHERE pr.model = model_id AND pr.valid_from <= at AND (pr.valid_to IS NULL OR pr.valid_to > at)
             ORDER BY pr.currency = w.currency DESC NULLS LAST, pr.currency = 'USD' DESC, pr.currency
             LIMIT 1) p ON true
      LEFT JOIN aigw.currencies pc ON pc.code = p.currency
      LEFT JOIN LATERAL (SELECT min(nx.valid_from) AS valid_from FROM aigw.prices nx
                          WHERE nx.model = model_id AND nx.valid_from > at) next_price ON true
      -- aigw.fx_rate() written out (a function body with a subquery is never
      -- inlined), with the bounds of the periods it used
      LEFT JOIN LATERAL (
            SELECT CASE WHEN p.currency = w.currency THEN 1 ELSE d.rate END AS direct,
                   CASE WHEN p.currency <> w.currency AND d.rate IS NULL THEN round(1 / i.rate, 15) END AS inverse,
                   d.valid_to AS direct_to, i.valid_to AS inverse_to,
                   (SELECT min(nx.valid_from) FROM aigw.fx_rates nx
                     WHERE nx.base = p.currency AND nx.quote = w.currency AND nx.valid_from > at) AS next_direct_from,
                   (SELECT min(nx.valid_from) FROM aigw.fx_rates nx
                     WHERE nx.base = w.currency AND nx.quote = p.currency AND nx.valid_from > at) AS next_inverse_from
              FROM (SELECT 1) AS one
              LEFT JOIN aigw.fx_rates d ON d.base = p.currency AND d.quote = w.currency
                    AND d.valid_from <= at AND (d.valid_to IS NULL OR d.valid_to > at)
              LEFT JOIN aigw.fx_rates i ON i.base = w.currency AND i.quote = p.currency
                    AND i.valid_from <= at AND (i.valid_to IS NULL OR i.valid_to > at)) fx ON true;
END;
REVOKE ALL ON FUNCTION aigw.billing_quote(text, text, timestamptz) FROM PUBLIC;

--------------------------------------------------------------------------
-- AWS Signature Version 4 (Bedrock), exposed for its test vectors only.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.sigv4_debug(context jsonb, request text)
RETURNS TABLE (canonical_request text, string_to_sign text, signature text, authorization text)
AS 'MODULE_PATHNAME', 'aigw_sigv4_debug' LANGUAGE C STRICT;
COMMENT ON FUNCTION aigw.sigv4_debug(jsonb, text) IS
    'Signs a raw HTTP request (request line, headers, blank line, body) with AWS Signature Version 4 as described by a context.json of AWS''s test suite (credentials, region, service, timestamp, normalize, sign_body, omit_session_token) and returns the canonical request, string to sign, signature and Authorization header. For testing the signer; sends nothing.';
REVOKE ALL ON FUNCTION aigw.sigv4_debug(jsonb, text) FROM PUBLIC;

--------------------------------------------------------------------------
-- Anthropic's Messages API, in and out, whichever provider serves the model.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.anthropic_messages(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'aigw_anthropic_messages'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION aigw.anthropic_messages(jsonb) IS
    'A native Anthropic Messages request in, a native Messages response out (plus an "aigw" object), served by whichever provider serves the model, logged and billed like aigw.chat.';

-- BEGIN GENERATED CATALOGUE
-- Generated by scripts/gen_catalogue.py from the LiteLLM model price map (MIT licence), mirrored 2026-07-24.
-- Do not edit by hand: change the script and run it with --write.

-- Providers at their real endpoints.  A provider an administrator already
-- added under one of these names is kept as it is.
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme, api_version, enabled, description) VALUES
    ('anthropic', 'anthropic', 'https://api.anthropic.com/v1', 'x-api-key', '2023-06-01', true, 'Anthropic, Messages API'),
    ('gemini', 'gemini', 'https://generativelanguage.googleapis.com/v1beta', 'x-goog-api-key', NULL, true, 'Google Gemini API (Google AI Studio), generateContent'),
    ('bedrock', 'bedrock', 'https://bedrock-runtime.us-east-1.amazonaws.com', 'sigv4', NULL, true, 'Amazon Bedrock, Converse API, signed with SigV4; region us-east-1: for another region change it in the host (https://bedrock-runtime.<region>.amazonaws.com). upstream_model is a Bedrock model id or inference profile id (us., global.)'),
    ('azure', 'azure', 'https://your-resource.openai.azure.com/openai', 'api-key', '2024-10-21', false, 'Azure OpenAI: set base_url to your resource (https://<resource>.openai.azure.com/openai), then enable it. Models are deployments: add one per deployment, with upstream_model the deployment name'),
    ('fireworks', 'openai', 'https://api.fireworks.ai/inference/v1', 'bearer', NULL, true, 'Fireworks AI'),
    ('perplexity', 'openai', 'https://api.perplexity.ai', 'bearer', NULL, true, 'Perplexity Sonar (per-request search fees are not in aigw.prices)'),
    ('cerebras', 'openai', 'https://api.cerebras.ai/v1', 'bearer', NULL, true, 'Cerebras Inference'),
    ('deepinfra', 'openai', 'https://api.deepinfra.com/v1/openai', 'bearer', NULL, true, 'DeepInfra, OpenAI-compatible endpoint'),
    ('moonshot', 'openai', 'https://api.moonshot.ai/v1', 'bearer', NULL, true, 'Moonshot AI (Kimi), international endpoint; mainland China accounts use https://api.moonshot.cn/v1'),
    ('sambanova', 'openai', 'https://api.sambanova.ai/v1', 'bearer', NULL, true, 'SambaNova Cloud'),
    ('zai', 'openai', 'https://api.z.ai/api/paas/v4', 'bearer', NULL, true, 'Z.ai (GLM), international endpoint; mainland China accounts use https://open.bigmodel.cn/api/paas/v4')
ON CONFLICT (name) DO NOTHING;

-- Where the public price map files the models of each provider.
CREATE TABLE aigw.catalogue_providers (
    litellm_provider  text PRIMARY KEY,
    provider          text NOT NULL REFERENCES aigw.providers (name) ON UPDATE CASCADE ON DELETE CASCADE,
    key_prefix        text NOT NULL DEFAULT ''
);
COMMENT ON TABLE aigw.catalogue_providers IS
    'How the LiteLLM price map names aigw models: an entry keyed K whose litellm_provider is L is the model provider || ''/'' || (K without key_prefix). Used by aigw.import_catalogue.';
INSERT INTO aigw.catalogue_providers (litellm_provider, provider, key_prefix) VALUES
    ('openai', 'openai', ''),
    ('deepseek', 'deepseek', 'deepseek/'),
    ('dashscope', 'qwen', 'dashscope/'),
    ('mistral', 'mistral', 'mistral/'),
    ('groq', 'groq', 'groq/'),
    ('together_ai', 'together', 'together_ai/'),
    ('openrouter', 'openrouter', 'openrouter/'),
    ('xai', 'xai', 'xai/'),
    ('anthropic', 'anthropic', ''),
    ('gemini', 'gemini', 'gemini/'),
    ('bedrock', 'bedrock', ''),
    ('bedrock_converse', 'bedrock', ''),
    ('fireworks_ai', 'fireworks', 'fireworks_ai/'),
    ('perplexity', 'perplexity', 'perplexity/'),
    ('cerebras', 'cerebras', 'cerebras/'),
    ('deepinfra', 'deepinfra', 'deepinfra/'),
    ('moonshot', 'moonshot', 'moonshot/'),
    ('sambanova', 'sambanova', 'sambanova/'),
    ('zai', 'zai', 'zai/');
GRANT SELECT ON aigw.catalogue_providers TO PUBLIC;

-- Chat models: context windows, output limits and capabilities from the map.
INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens, capabilities) VALUES
    ('openai/gpt-5-nano', 'openai', 'gpt-5-nano', 272000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.1', 'openai', 'gpt-5.1', 272000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.2', 'openai', 'gpt-5.2', 272000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.4', 'openai', 'gpt-5.4', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.4-mini', 'openai', 'gpt-5.4-mini', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.4-nano', 'openai', 'gpt-5.4-nano', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.5', 'openai', 'gpt-5.5', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.6', 'openai', 'gpt-5.6', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.6-sol', 'openai', 'gpt-5.6-sol', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.6-terra', 'openai', 'gpt-5.6-terra', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.6-luna', 'openai', 'gpt-5.6-luna', 1050000, 128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5-chat-latest', 'openai', 'gpt-5-chat-latest', 128000, 16384, '{vision,json,reasoning}'),
    ('openai/gpt-5.1-chat-latest', 'openai', 'gpt-5.1-chat-latest', 128000, 16384, '{vision,json,reasoning}'),
    ('openai/gpt-5.2-chat-latest', 'openai', 'gpt-5.2-chat-latest', 128000, 16384, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5.3-chat-latest', 'openai', 'gpt-5.3-chat-latest', 128000, 16384, '{tools,vision,json,reasoning}'),
    ('openai/o1', 'openai', 'o1', 200000, 100000, '{tools,vision,json,reasoning}'),
    ('openai/o3', 'openai', 'o3', 200000, 100000, '{tools,vision,json,reasoning}'),
    ('openai/o3-mini', 'openai', 'o3-mini', 200000, 100000, '{tools,json,reasoning}'),
    ('openai/gpt-4o-search-preview', 'openai', 'gpt-4o-search-preview', 128000, 16384, '{tools,vision,json}'),
    ('openai/gpt-4o-mini-search-preview', 'openai', 'gpt-4o-mini-search-preview', 128000, 16384, '{tools,vision,json}'),
    ('openai/gpt-5-search-api', 'openai', 'gpt-5-search-api', 272000, 128000, '{tools,vision,json}'),
    ('anthropic/claude-opus-5', 'anthropic', 'claude-opus-5', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-sonnet-5', 'anthropic', 'claude-sonnet-5', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-fable-5', 'anthropic', 'claude-fable-5', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-opus-4-8', 'anthropic', 'claude-opus-4-8', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-opus-4-7', 'anthropic', 'claude-opus-4-7', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-opus-4-6', 'anthropic', 'claude-opus-4-6', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-opus-4-5', 'anthropic', 'claude-opus-4-5', 200000, 64000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-opus-4-1', 'anthropic', 'claude-opus-4-1', 200000, 32000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-sonnet-4-6', 'anthropic', 'claude-sonnet-4-6', 1000000, 64000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-sonnet-4-5', 'anthropic', 'claude-sonnet-4-5', 200000, 64000, '{tools,vision,json,reasoning}'),
    ('anthropic/claude-haiku-4-5', 'anthropic', 'claude-haiku-4-5', 200000, 64000, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-3.6-flash', 'gemini', 'gemini-3.6-flash', 1048576, 65536, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-3.5-flash', 'gemini', 'gemini-3.5-flash', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-3.5-flash-lite', 'gemini', 'gemini-3.5-flash-lite', 1048576, 65536, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-3.1-pro-preview', 'gemini', 'gemini-3.1-pro-preview', 1048576, 65536, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-3.1-flash-lite', 'gemini', 'gemini-3.1-flash-lite', 1048576, 65536, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-3-flash-preview', 'gemini', 'gemini-3-flash-preview', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-2.5-pro', 'gemini', 'gemini-2.5-pro', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-2.5-flash', 'gemini', 'gemini-2.5-flash', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-2.5-flash-lite', 'gemini', 'gemini-2.5-flash-lite', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-pro-latest', 'gemini', 'gemini-pro-latest', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-flash-latest', 'gemini', 'gemini-flash-latest', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('gemini/gemini-flash-lite-latest', 'gemini', 'gemini-flash-lite-latest', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('deepseek/deepseek-v4-pro', 'deepseek', 'deepseek-v4-pro', 1000000, 8192, '{tools,json}'),
    ('deepseek/deepseek-v4-flash', 'deepseek', 'deepseek-v4-flash', 1000000, 8192, '{tools,json}'),
    ('qwen/qwen3-next-80b-a3b-instruct', 'qwen', 'qwen3-next-80b-a3b-instruct', 262144, 65536, '{tools}'),
    ('qwen/qwen3-next-80b-a3b-thinking', 'qwen', 'qwen3-next-80b-a3b-thinking', 262144, 65536, '{tools,reasoning}'),
    ('qwen/qwen3-vl-235b-a22b-instruct', 'qwen', 'qwen3-vl-235b-a22b-instruct', 131072, 32768, '{tools,vision}'),
    ('qwen/qwen3-vl-235b-a22b-thinking', 'qwen', 'qwen3-vl-235b-a22b-thinking', 131072, 32768, '{tools,vision,reasoning}'),
    ('qwen/qwen3-vl-32b-instruct', 'qwen', 'qwen3-vl-32b-instruct', 131072, 32768, '{tools,vision}'),
    ('qwen/qwen3-vl-32b-thinking', 'qwen', 'qwen3-vl-32b-thinking', 131072, 32768, '{tools,vision,reasoning}'),
    ('qwen/qwq-plus', 'qwen', 'qwq-plus', 98304, 8192, '{tools,reasoning}'),
    ('mistral/mistral-medium-latest', 'mistral', 'mistral-medium-latest', 262144, 262144, '{tools,vision,json,reasoning}'),
    ('mistral/magistral-medium-latest', 'mistral', 'magistral-medium-latest', 40000, 40000, '{tools,json,reasoning}'),
    ('mistral/magistral-small-latest', 'mistral', 'magistral-small-latest', 40000, 40000, '{tools,json,reasoning}'),
    ('mistral/devstral-medium-latest', 'mistral', 'devstral-medium-latest', 256000, 256000, '{tools,json}'),
    ('mistral/devstral-small-latest', 'mistral', 'devstral-small-latest', 256000, 256000, '{tools,json}'),
    ('mistral/codestral-2508', 'mistral', 'codestral-2508', 256000, 256000, '{tools,json}'),
    ('mistral/ministral-8b-latest', 'mistral', 'ministral-8b-latest', 262144, 262144, '{tools,vision,json}'),
    ('mistral/ministral-3-14b-2512', 'mistral', 'ministral-3-14b-2512', 262144, 262144, '{tools,vision,json}'),
    ('mistral/ministral-3-3b-2512', 'mistral', 'ministral-3-3b-2512', 131072, 131072, '{tools,vision,json}'),
    ('mistral/pixtral-large-latest', 'mistral', 'pixtral-large-latest', 128000, 128000, '{tools,vision,json}'),
    ('mistral/open-mistral-nemo', 'mistral', 'open-mistral-nemo', 128000, 128000, '{json}'),
    ('groq/openai/gpt-oss-120b', 'groq', 'openai/gpt-oss-120b', 131072, 32766, '{tools,json,reasoning}'),
    ('groq/openai/gpt-oss-20b', 'groq', 'openai/gpt-oss-20b', 131072, 32768, '{tools,json,reasoning}'),
    ('groq/moonshotai/kimi-k2-instruct-0905', 'groq', 'moonshotai/kimi-k2-instruct-0905', 262144, 16384, '{tools,json}'),
    ('groq/meta-llama/llama-4-maverick-17b-128e-instruct', 'groq', 'meta-llama/llama-4-maverick-17b-128e-instruct', 131072, 8192, '{tools,vision,json}'),
    ('groq/meta-llama/llama-4-scout-17b-16e-instruct', 'groq', 'meta-llama/llama-4-scout-17b-16e-instruct', 131072, 8192, '{tools,vision,json}'),
    ('groq/qwen/qwen3-32b', 'groq', 'qwen/qwen3-32b', 131000, 131000, '{tools,reasoning}'),
    ('together/openai/gpt-oss-120b', 'together', 'openai/gpt-oss-120b', 131072, 131072, '{tools,json,reasoning}'),
    ('together/openai/gpt-oss-20b', 'together', 'openai/gpt-oss-20b', 128000, NULL, '{tools,json}'),
    ('together/deepseek-ai/DeepSeek-V3.1', 'together', 'deepseek-ai/DeepSeek-V3.1', 128000, 16384, '{tools,reasoning}'),
    ('together/deepseek-ai/DeepSeek-V3', 'together', 'deepseek-ai/DeepSeek-V3', 65536, 8192, '{tools,json}'),
    ('together/deepseek-ai/DeepSeek-R1', 'together', 'deepseek-ai/DeepSeek-R1', 128000, 20480, '{tools,json}'),
    ('together/Qwen/Qwen3.5-397B-A17B', 'together', 'Qwen/Qwen3.5-397B-A17B', 262144, NULL, '{tools,json}'),
    ('together/Qwen/Qwen3-235B-A22B-Instruct-2507-tput', 'together', 'Qwen/Qwen3-235B-A22B-Instruct-2507-tput', 262000, NULL, '{tools,json}'),
    ('together/Qwen/Qwen3-235B-A22B-Thinking-2507', 'together', 'Qwen/Qwen3-235B-A22B-Thinking-2507', 256000, NULL, '{tools,json}'),
    ('together/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', 'together', 'Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', 256000, NULL, '{tools,json}'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Instruct', 'together', 'Qwen/Qwen3-Next-80B-A3B-Instruct', 262144, NULL, '{tools,json}'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Thinking', 'together', 'Qwen/Qwen3-Next-80B-A3B-Thinking', 262144, NULL, '{tools,json}'),
    ('together/moonshotai/Kimi-K2.5', 'together', 'moonshotai/Kimi-K2.5', 256000, 256000, '{tools,vision,reasoning}'),
    ('together/moonshotai/Kimi-K2-Instruct-0905', 'together', 'moonshotai/Kimi-K2-Instruct-0905', 262144, NULL, '{tools}'),
    ('together/zai-org/GLM-4.7', 'together', 'zai-org/GLM-4.7', 200000, 200000, '{tools,reasoning}'),
    ('together/zai-org/GLM-4.6', 'together', 'zai-org/GLM-4.6', 200000, 200000, '{tools,reasoning}'),
    ('together/zai-org/GLM-4.5-Air-FP8', 'together', 'zai-org/GLM-4.5-Air-FP8', 128000, NULL, '{tools,json}'),
    ('together/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'together', 'meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', NULL, NULL, '{tools,json}'),
    ('together/meta-llama/Llama-4-Scout-17B-16E-Instruct', 'together', 'meta-llama/Llama-4-Scout-17B-16E-Instruct', NULL, NULL, '{tools,json}'),
    ('together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'together', 'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', NULL, NULL, '{tools,json}'),
    ('together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'together', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', NULL, NULL, '{tools,json}'),
    ('openrouter/anthropic/claude-opus-4.7', 'openrouter', 'anthropic/claude-opus-4.7', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('openrouter/anthropic/claude-opus-4.6', 'openrouter', 'anthropic/claude-opus-4.6', 1000000, 128000, '{tools,vision,reasoning}'),
    ('openrouter/anthropic/claude-opus-4.5', 'openrouter', 'anthropic/claude-opus-4.5', 200000, 32000, '{tools,vision,reasoning}'),
    ('openrouter/anthropic/claude-opus-4.1', 'openrouter', 'anthropic/claude-opus-4.1', 200000, 32000, '{tools,vision,reasoning}'),
    ('openrouter/anthropic/claude-sonnet-4.6', 'openrouter', 'anthropic/claude-sonnet-4.6', 1000000, 128000, '{tools,vision,reasoning}'),
    ('openrouter/anthropic/claude-sonnet-4.5', 'openrouter', 'anthropic/claude-sonnet-4.5', 1000000, 1000000, '{tools,vision,reasoning}'),
    ('openrouter/anthropic/claude-haiku-4.5', 'openrouter', 'anthropic/claude-haiku-4.5', 200000, 200000, '{tools,vision,reasoning}'),
    ('openrouter/google/gemini-3.1-pro-preview', 'openrouter', 'google/gemini-3.1-pro-preview', 1048576, 65536, '{tools,vision,json,reasoning}'),
    ('openrouter/google/gemini-3-flash-preview', 'openrouter', 'google/gemini-3-flash-preview', 1048576, 65535, '{tools,vision,json,reasoning}'),
    ('openrouter/google/gemini-3.1-flash-lite', 'openrouter', 'google/gemini-3.1-flash-lite', 1048576, 65536, '{tools,vision,json,reasoning}'),
    ('openrouter/google/gemini-2.5-pro', 'openrouter', 'google/gemini-2.5-pro', 1048576, 8192, '{tools,vision,json}'),
    ('openrouter/google/gemini-2.5-flash', 'openrouter', 'google/gemini-2.5-flash', 1048576, 8192, '{tools,vision,json}'),
    ('openrouter/openai/gpt-5.2', 'openrouter', 'openai/gpt-5.2', 272000, 128000, '{tools,vision,reasoning}'),
    ('openrouter/openai/gpt-5', 'openrouter', 'openai/gpt-5', 272000, 128000, '{reasoning}'),
    ('openrouter/openai/gpt-5-mini', 'openrouter', 'openai/gpt-5-mini', 272000, 128000, '{reasoning}'),
    ('openrouter/openai/gpt-5-nano', 'openrouter', 'openai/gpt-5-nano', 272000, 128000, '{reasoning}'),
    ('openrouter/openai/gpt-4.1', 'openrouter', 'openai/gpt-4.1', 1047576, 32768, '{tools,vision,json}'),
    ('openrouter/openai/gpt-4.1-mini', 'openrouter', 'openai/gpt-4.1-mini', 1047576, 32768, '{tools,vision,json}'),
    ('openrouter/openai/gpt-4o', 'openrouter', 'openai/gpt-4o', 128000, 4096, '{tools,vision}'),
    ('openrouter/openai/gpt-oss-120b', 'openrouter', 'openai/gpt-oss-120b', 131072, 32768, '{tools,json,reasoning}'),
    ('openrouter/openai/gpt-oss-20b', 'openrouter', 'openai/gpt-oss-20b', 131072, 32768, '{tools,json,reasoning}'),
    ('openrouter/x-ai/grok-4', 'openrouter', 'x-ai/grok-4', 256000, 256000, '{tools,reasoning}'),
    ('openrouter/deepseek/deepseek-v3.2', 'openrouter', 'deepseek/deepseek-v3.2', 163840, 163840, '{tools,reasoning}'),
    ('openrouter/deepseek/deepseek-chat-v3.1', 'openrouter', 'deepseek/deepseek-chat-v3.1', 163840, 163840, '{tools,reasoning}'),
    ('openrouter/deepseek/deepseek-r1-0528', 'openrouter', 'deepseek/deepseek-r1-0528', 65336, 8192, '{tools,reasoning}'),
    ('openrouter/qwen/qwen3.6-plus', 'openrouter', 'qwen/qwen3.6-plus', 1000000, 65536, '{tools,vision,reasoning}'),
    ('openrouter/qwen/qwen3.5-397b-a17b', 'openrouter', 'qwen/qwen3.5-397b-a17b', 262144, 65536, '{tools,vision,reasoning}'),
    ('openrouter/qwen/qwen3-coder', 'openrouter', 'qwen/qwen3-coder', 262100, 262100, '{tools}'),
    ('openrouter/qwen/qwen3-235b-a22b-2507', 'openrouter', 'qwen/qwen3-235b-a22b-2507', 262144, 262144, '{tools}'),
    ('openrouter/moonshotai/kimi-k2.5', 'openrouter', 'moonshotai/kimi-k2.5', 262144, 262144, '{tools,vision}'),
    ('openrouter/z-ai/glm-5.1', 'openrouter', 'z-ai/glm-5.1', 202752, 65535, '{tools,reasoning}'),
    ('openrouter/z-ai/glm-4.7', 'openrouter', 'z-ai/glm-4.7', 202752, 64000, '{tools,vision,reasoning}'),
    ('openrouter/minimax/minimax-m2.5', 'openrouter', 'minimax/minimax-m2.5', 196608, 65536, '{tools,reasoning}'),
    ('openrouter/mistralai/mistral-large-2512', 'openrouter', 'mistralai/mistral-large-2512', 262144, 262144, '{tools,vision}'),
    ('openrouter/mistralai/devstral-2512', 'openrouter', 'mistralai/devstral-2512', 262144, 65536, '{tools}'),
    ('openrouter/xiaomi/mimo-v2.5', 'openrouter', 'xiaomi/mimo-v2.5', 1048576, 131072, '{tools,vision,json,reasoning}'),
    ('xai/grok-4.5', 'xai', 'grok-4.5', 500000, 500000, '{tools,vision,json,reasoning}'),
    ('xai/grok-4.3', 'xai', 'grok-4.3', 1000000, 1000000, '{tools,vision,json,reasoning}'),
    ('xai/grok-4.20-0309-reasoning', 'xai', 'grok-4.20-0309-reasoning', 2000000, 2000000, '{tools,vision,reasoning}'),
    ('xai/grok-4.20-beta-0309-non-reasoning', 'xai', 'grok-4.20-beta-0309-non-reasoning', 2000000, 2000000, '{tools,vision}'),
    ('xai/grok-4-1-fast', 'xai', 'grok-4-1-fast', 2000000, 2000000, '{tools,vision,json,reasoning}'),
    ('xai/grok-4', 'xai', 'grok-4', 256000, 256000, '{tools}'),
    ('xai/grok-code-fast', 'xai', 'grok-code-fast', 256000, 256000, '{tools,reasoning}'),
    ('bedrock/global.anthropic.claude-opus-5', 'bedrock', 'global.anthropic.claude-opus-5', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-sonnet-5', 'bedrock', 'global.anthropic.claude-sonnet-5', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-fable-5', 'bedrock', 'global.anthropic.claude-fable-5', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-opus-4-8', 'bedrock', 'global.anthropic.claude-opus-4-8', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-opus-4-7', 'bedrock', 'global.anthropic.claude-opus-4-7', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-opus-4-6-v1', 'bedrock', 'global.anthropic.claude-opus-4-6-v1', 1000000, 128000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-opus-4-5-20251101-v1:0', 'bedrock', 'global.anthropic.claude-opus-4-5-20251101-v1:0', 200000, 64000, '{tools,vision,json,reasoning}'),
    ('bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0', 'bedrock', 'us.anthropic.claude-opus-4-1-20250805-v1:0', 200000, 32000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-sonnet-4-6', 'bedrock', 'global.anthropic.claude-sonnet-4-6', 1000000, 64000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 200000, 64000, '{tools,vision,json,reasoning}'),
    ('bedrock/global.anthropic.claude-haiku-4-5-20251001-v1:0', 'bedrock', 'global.anthropic.claude-haiku-4-5-20251001-v1:0', 200000, 64000, '{tools,vision,json,reasoning}'),
    ('bedrock/anthropic.claude-3-haiku-20240307-v1:0', 'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', 200000, 4096, '{tools,vision,json}'),
    ('bedrock/amazon.nova-pro-v1:0', 'bedrock', 'amazon.nova-pro-v1:0', 300000, 10000, '{tools,vision,json}'),
    ('bedrock/amazon.nova-lite-v1:0', 'bedrock', 'amazon.nova-lite-v1:0', 300000, 10000, '{tools,vision,json}'),
    ('bedrock/amazon.nova-micro-v1:0', 'bedrock', 'amazon.nova-micro-v1:0', 128000, 10000, '{tools,json}'),
    ('bedrock/us.amazon.nova-premier-v1:0', 'bedrock', 'us.amazon.nova-premier-v1:0', 1000000, 10000, '{tools,vision,json}'),
    ('bedrock/global.amazon.nova-2-lite-v1:0', 'bedrock', 'global.amazon.nova-2-lite-v1:0', 1000000, 64000, '{tools,vision,json,reasoning}'),
    ('bedrock/us.meta.llama4-maverick-17b-instruct-v1:0', 'bedrock', 'us.meta.llama4-maverick-17b-instruct-v1:0', 128000, 4096, '{tools}'),
    ('bedrock/us.meta.llama4-scout-17b-instruct-v1:0', 'bedrock', 'us.meta.llama4-scout-17b-instruct-v1:0', 128000, 4096, '{tools}'),
    ('bedrock/us.meta.llama3-3-70b-instruct-v1:0', 'bedrock', 'us.meta.llama3-3-70b-instruct-v1:0', 128000, 4096, '{tools}'),
    ('bedrock/deepseek.v3.2', 'bedrock', 'deepseek.v3.2', 163840, 163840, '{tools,reasoning}'),
    ('bedrock/deepseek.v3-v1:0', 'bedrock', 'deepseek.v3-v1:0', 163840, 81920, '{tools,reasoning}'),
    ('bedrock/us.deepseek.r1-v1:0', 'bedrock', 'us.deepseek.r1-v1:0', 128000, 4096, '{reasoning}'),
    ('bedrock/openai.gpt-oss-120b-1:0', 'bedrock', 'openai.gpt-oss-120b-1:0', 128000, 128000, '{tools,json,reasoning}'),
    ('bedrock/openai.gpt-oss-20b-1:0', 'bedrock', 'openai.gpt-oss-20b-1:0', 128000, 128000, '{tools,json,reasoning}'),
    ('bedrock/qwen.qwen3-235b-a22b-2507-v1:0', 'bedrock', 'qwen.qwen3-235b-a22b-2507-v1:0', 262144, 131072, '{tools,reasoning}'),
    ('bedrock/qwen.qwen3-coder-480b-a35b-v1:0', 'bedrock', 'qwen.qwen3-coder-480b-a35b-v1:0', 262000, 65536, '{tools,reasoning}'),
    ('bedrock/qwen.qwen3-coder-30b-a3b-v1:0', 'bedrock', 'qwen.qwen3-coder-30b-a3b-v1:0', 262144, 131072, '{tools,reasoning}'),
    ('bedrock/qwen.qwen3-32b-v1:0', 'bedrock', 'qwen.qwen3-32b-v1:0', 131072, 16384, '{tools,reasoning}'),
    ('bedrock/qwen.qwen3-next-80b-a3b', 'bedrock', 'qwen.qwen3-next-80b-a3b', 128000, 8192, '{tools}'),
    ('bedrock/qwen.qwen3-vl-235b-a22b', 'bedrock', 'qwen.qwen3-vl-235b-a22b', 128000, 8192, '{tools,vision}'),
    ('bedrock/mistral.mistral-large-3-675b-instruct', 'bedrock', 'mistral.mistral-large-3-675b-instruct', 128000, 8192, '{tools}'),
    ('bedrock/mistral.devstral-2-123b', 'bedrock', 'mistral.devstral-2-123b', 256000, 8192, '{tools}'),
    ('bedrock/mistral.magistral-small-2509', 'bedrock', 'mistral.magistral-small-2509', 128000, 8192, '{tools,reasoning}'),
    ('bedrock/mistral.ministral-3-14b-instruct', 'bedrock', 'mistral.ministral-3-14b-instruct', 128000, 8192, '{tools}'),
    ('bedrock/mistral.ministral-3-8b-instruct', 'bedrock', 'mistral.ministral-3-8b-instruct', 128000, 8192, '{tools}'),
    ('bedrock/us.mistral.pixtral-large-2502-v1:0', 'bedrock', 'us.mistral.pixtral-large-2502-v1:0', 128000, 4096, '{tools}'),
    ('bedrock/moonshotai.kimi-k2.5', 'bedrock', 'moonshotai.kimi-k2.5', 262144, 262144, '{tools,vision}'),
    ('bedrock/moonshot.kimi-k2-thinking', 'bedrock', 'moonshot.kimi-k2-thinking', 128000, 8192, '{reasoning}'),
    ('bedrock/minimax.minimax-m2.5', 'bedrock', 'minimax.minimax-m2.5', 1000000, 8192, '{tools}'),
    ('bedrock/minimax.minimax-m2.1', 'bedrock', 'minimax.minimax-m2.1', 196000, 8192, '{tools}'),
    ('bedrock/zai.glm-5', 'bedrock', 'zai.glm-5', 200000, 128000, '{tools,reasoning}'),
    ('bedrock/zai.glm-4.7', 'bedrock', 'zai.glm-4.7', 200000, 128000, '{tools,reasoning}'),
    ('bedrock/zai.glm-4.7-flash', 'bedrock', 'zai.glm-4.7-flash', 200000, 128000, '{tools,reasoning}'),
    ('bedrock/google.gemma-3-27b-it', 'bedrock', 'google.gemma-3-27b-it', 128000, 8192, '{vision}'),
    ('bedrock/nvidia.nemotron-super-3-120b', 'bedrock', 'nvidia.nemotron-super-3-120b', 256000, 32768, '{tools,reasoning}'),
    ('bedrock/nvidia.nemotron-nano-3-30b', 'bedrock', 'nvidia.nemotron-nano-3-30b', 262144, 8192, '{tools}'),
    ('bedrock/us.writer.palmyra-x5-v1:0', 'bedrock', 'us.writer.palmyra-x5-v1:0', 1000000, 8192, '{tools}'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-pro', 'fireworks', 'accounts/fireworks/models/deepseek-v4-pro', 1048576, 384000, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-flash', 'fireworks', 'accounts/fireworks/models/deepseek-v4-flash', 1048576, 384000, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p2', 'fireworks', 'accounts/fireworks/models/deepseek-v3p2', 163840, 163840, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p1', 'fireworks', 'accounts/fireworks/models/deepseek-v3p1', 128000, 8192, '{json,reasoning}'),
    ('fireworks/accounts/fireworks/models/deepseek-r1-0528', 'fireworks', 'accounts/fireworks/models/deepseek-r1-0528', 160000, 160000, '{json}'),
    ('fireworks/accounts/fireworks/models/kimi-k2p7-code', 'fireworks', 'accounts/fireworks/models/kimi-k2p7-code', 262144, 262144, '{tools,vision,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/kimi-k2p6', 'fireworks', 'accounts/fireworks/models/kimi-k2p6', 262144, 262144, '{tools,vision,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/kimi-k2p5', 'fireworks', 'accounts/fireworks/models/kimi-k2p5', 262144, 262144, '{tools,json}'),
    ('fireworks/accounts/fireworks/models/kimi-k2-thinking', 'fireworks', 'accounts/fireworks/models/kimi-k2-thinking', 262144, 262144, '{tools,json}'),
    ('fireworks/accounts/fireworks/models/kimi-k2-instruct-0905', 'fireworks', 'accounts/fireworks/models/kimi-k2-instruct-0905', 262144, 32768, '{tools,json}'),
    ('fireworks/accounts/fireworks/models/glm-5p2', 'fireworks', 'accounts/fireworks/models/glm-5p2', 1048576, 131072, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/glm-5p1', 'fireworks', 'accounts/fireworks/models/glm-5p1', 202800, 131072, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/glm-4p7', 'fireworks', 'accounts/fireworks/models/glm-4p7', 202800, 202800, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/glm-4p5-air', 'fireworks', 'accounts/fireworks/models/glm-4p5-air', 128000, 96000, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/minimax-m3', 'fireworks', 'accounts/fireworks/models/minimax-m3', 512000, 512000, '{tools,vision,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/minimax-m2p7', 'fireworks', 'accounts/fireworks/models/minimax-m2p7', 196608, 196608, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/gpt-oss-120b', 'fireworks', 'accounts/fireworks/models/gpt-oss-120b', 131072, 32768, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/gpt-oss-20b', 'fireworks', 'accounts/fireworks/models/gpt-oss-20b', 131072, 32768, '{tools,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/qwen3p7-plus', 'fireworks', 'accounts/fireworks/models/qwen3p7-plus', 262144, 65536, '{tools,vision,json,reasoning}'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-instruct-2507', 'fireworks', 'accounts/fireworks/models/qwen3-235b-a22b-instruct-2507', 262144, 262144, '{}'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-thinking-2507', 'fireworks', 'accounts/fireworks/models/qwen3-235b-a22b-thinking-2507', 262144, 262144, '{}'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', 'fireworks', 'accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', 262144, 262144, '{reasoning}'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-30b-a3b-instruct', 'fireworks', 'accounts/fireworks/models/qwen3-coder-30b-a3b-instruct', 262144, 262144, '{}'),
    ('fireworks/accounts/fireworks/models/qwen3-vl-235b-a22b-instruct', 'fireworks', 'accounts/fireworks/models/qwen3-vl-235b-a22b-instruct', 262144, 262144, '{}'),
    ('fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct', 'fireworks', 'accounts/fireworks/models/llama-v3p3-70b-instruct', 131072, 131072, '{}'),
    ('fireworks/accounts/fireworks/models/llama4-maverick-instruct-basic', 'fireworks', 'accounts/fireworks/models/llama4-maverick-instruct-basic', 131072, 131072, '{json}'),
    ('fireworks/accounts/fireworks/models/llama4-scout-instruct-basic', 'fireworks', 'accounts/fireworks/models/llama4-scout-instruct-basic', 131072, 131072, '{json}'),
    ('perplexity/sonar', 'perplexity', 'sonar', 128000, NULL, '{}'),
    ('perplexity/sonar-pro', 'perplexity', 'sonar-pro', 200000, 8000, '{}'),
    ('perplexity/sonar-reasoning', 'perplexity', 'sonar-reasoning', 128000, NULL, '{reasoning}'),
    ('perplexity/sonar-reasoning-pro', 'perplexity', 'sonar-reasoning-pro', 128000, NULL, '{reasoning}'),
    ('perplexity/sonar-deep-research', 'perplexity', 'sonar-deep-research', 128000, NULL, '{reasoning}'),
    ('cerebras/gpt-oss-120b', 'cerebras', 'gpt-oss-120b', 131072, 32768, '{tools,json,reasoning}'),
    ('cerebras/zai-glm-4.7', 'cerebras', 'zai-glm-4.7', 128000, 128000, '{tools,reasoning}'),
    ('cerebras/qwen-3-32b', 'cerebras', 'qwen-3-32b', 128000, 128000, '{tools,reasoning}'),
    ('cerebras/llama-3.3-70b', 'cerebras', 'llama-3.3-70b', 128000, 128000, '{tools}'),
    ('cerebras/llama3.1-8b', 'cerebras', 'llama3.1-8b', 128000, 128000, '{tools}'),
    ('deepinfra/deepseek-ai/DeepSeek-V3.1', 'deepinfra', 'deepseek-ai/DeepSeek-V3.1', 163840, 163840, '{tools,reasoning}'),
    ('deepinfra/deepseek-ai/DeepSeek-R1-0528', 'deepinfra', 'deepseek-ai/DeepSeek-R1-0528', 163840, 163840, '{tools}'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507', 'deepinfra', 'Qwen/Qwen3-235B-A22B-Instruct-2507', 262144, 262144, '{tools}'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507', 'deepinfra', 'Qwen/Qwen3-235B-A22B-Thinking-2507', 262144, 262144, '{tools}'),
    ('deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct', 'deepinfra', 'Qwen/Qwen3-Coder-480B-A35B-Instruct', 262144, 262144, '{tools}'),
    ('deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct', 'deepinfra', 'Qwen/Qwen3-Next-80B-A3B-Instruct', 262144, 262144, '{tools}'),
    ('deepinfra/Qwen/Qwen3-32B', 'deepinfra', 'Qwen/Qwen3-32B', 40960, 40960, '{tools}'),
    ('deepinfra/moonshotai/Kimi-K2-Instruct-0905', 'deepinfra', 'moonshotai/Kimi-K2-Instruct-0905', 262144, 262144, '{tools}'),
    ('deepinfra/zai-org/GLM-4.5', 'deepinfra', 'zai-org/GLM-4.5', 131072, 131072, '{tools}'),
    ('deepinfra/openai/gpt-oss-120b', 'deepinfra', 'openai/gpt-oss-120b', 131072, 131072, '{tools}'),
    ('deepinfra/openai/gpt-oss-20b', 'deepinfra', 'openai/gpt-oss-20b', 131072, 131072, '{tools}'),
    ('deepinfra/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'deepinfra', 'meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 1048576, 1048576, '{tools}'),
    ('deepinfra/meta-llama/Llama-4-Scout-17B-16E-Instruct', 'deepinfra', 'meta-llama/Llama-4-Scout-17B-16E-Instruct', 327680, 327680, '{tools}'),
    ('deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'deepinfra', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 131072, 131072, '{tools}'),
    ('deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct', 'deepinfra', 'meta-llama/Meta-Llama-3.1-8B-Instruct', 131072, 131072, '{tools}'),
    ('deepinfra/nvidia/Llama-3.3-Nemotron-Super-49B-v1.5', 'deepinfra', 'nvidia/Llama-3.3-Nemotron-Super-49B-v1.5', 131072, 131072, '{tools}'),
    ('deepinfra/google/gemma-3-27b-it', 'deepinfra', 'google/gemma-3-27b-it', 131072, 131072, '{tools}'),
    ('deepinfra/mistralai/Mistral-Small-3.2-24B-Instruct-2506', 'deepinfra', 'mistralai/Mistral-Small-3.2-24B-Instruct-2506', 128000, 128000, '{tools}'),
    ('deepinfra/mistralai/Mistral-Nemo-Instruct-2407', 'deepinfra', 'mistralai/Mistral-Nemo-Instruct-2407', 131072, 131072, '{tools}'),
    ('deepinfra/microsoft/phi-4', 'deepinfra', 'microsoft/phi-4', 16384, 16384, '{tools}'),
    ('moonshot/kimi-k2.6', 'moonshot', 'kimi-k2.6', 262144, 262144, '{tools,vision,json,reasoning}'),
    ('moonshot/kimi-k2.5', 'moonshot', 'kimi-k2.5', 262144, 262144, '{tools,vision,json,reasoning}'),
    ('moonshot/moonshot-v1-128k', 'moonshot', 'moonshot-v1-128k', 131072, 131072, '{tools,json}'),
    ('moonshot/moonshot-v1-32k', 'moonshot', 'moonshot-v1-32k', 32768, 32768, '{tools,json}'),
    ('moonshot/moonshot-v1-8k', 'moonshot', 'moonshot-v1-8k', 8192, 8192, '{tools,json}'),
    ('sambanova/DeepSeek-V3.2', 'sambanova', 'DeepSeek-V3.2', 32768, 32768, '{tools}'),
    ('sambanova/DeepSeek-V3.1', 'sambanova', 'DeepSeek-V3.1', 131072, 131072, '{tools,reasoning}'),
    ('sambanova/DeepSeek-R1', 'sambanova', 'DeepSeek-R1', 32768, 32768, '{}'),
    ('sambanova/gpt-oss-120b', 'sambanova', 'gpt-oss-120b', 131072, 131072, '{tools,reasoning}'),
    ('sambanova/MiniMax-M2.7', 'sambanova', 'MiniMax-M2.7', 196608, 131072, '{tools,reasoning}'),
    ('sambanova/Llama-4-Maverick-17B-128E-Instruct', 'sambanova', 'Llama-4-Maverick-17B-128E-Instruct', 131072, 131072, '{tools,vision,json}'),
    ('sambanova/Meta-Llama-3.3-70B-Instruct', 'sambanova', 'Meta-Llama-3.3-70B-Instruct', 131072, 131072, '{tools,json}'),
    ('sambanova/gemma-4-31B-it', 'sambanova', 'gemma-4-31B-it', 131072, 131072, '{vision}'),
    ('zai/glm-5.1', 'zai', 'glm-5.1', 200000, 128000, '{tools,reasoning}'),
    ('zai/glm-5', 'zai', 'glm-5', 200000, 128000, '{tools,reasoning}'),
    ('zai/glm-5-code', 'zai', 'glm-5-code', 200000, 128000, '{tools,reasoning}'),
    ('zai/glm-4.7', 'zai', 'glm-4.7', 200000, 128000, '{tools,reasoning}'),
    ('zai/glm-4.6', 'zai', 'glm-4.6', 200000, 128000, '{tools,reasoning}'),
    ('zai/glm-4.5', 'zai', 'glm-4.5', 128000, 32000, '{tools}'),
    ('zai/glm-4.5-air', 'zai', 'glm-4.5-air', 128000, 32000, '{tools}'),
    ('zai/glm-4.5v', 'zai', 'glm-4.5v', 128000, 32000, '{tools,vision}')
ON CONFLICT (id) DO NOTHING;

-- Their published prices, per million tokens, for the models that have none yet.
INSERT INTO aigw.prices (model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, reasoning_per_mtok, valid_from, source)
SELECT v.model, v.currency, v.input_per_mtok::numeric, v.output_per_mtok::numeric, v.cached_input_per_mtok::numeric, v.cache_write_per_mtok::numeric, v.reasoning_per_mtok::numeric, '2026-07-24 00:00:00+00', v.source
  FROM (VALUES
    ('openai/gpt-5-nano', 'USD', 0.05, 0.4, 0.005, NULL, NULL, 'litellm 2026-07-24: gpt-5-nano'),
    ('openai/gpt-5.1', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: gpt-5.1'),
    ('openai/gpt-5.2', 'USD', 1.75, 14, 0.175, NULL, NULL, 'litellm 2026-07-24: gpt-5.2'),
    ('openai/gpt-5.4', 'USD', 2.5, 15, 0.25, NULL, NULL, 'litellm 2026-07-24: gpt-5.4'),
    ('openai/gpt-5.4-mini', 'USD', 0.75, 4.5, 0.075, NULL, NULL, 'litellm 2026-07-24: gpt-5.4-mini'),
    ('openai/gpt-5.4-nano', 'USD', 0.2, 1.25, 0.02, NULL, NULL, 'litellm 2026-07-24: gpt-5.4-nano'),
    ('openai/gpt-5.5', 'USD', 5, 30, 0.5, NULL, NULL, 'litellm 2026-07-24: gpt-5.5'),
    ('openai/gpt-5.6', 'USD', 5, 30, 0.5, 6.25, NULL, 'litellm 2026-07-24: gpt-5.6'),
    ('openai/gpt-5.6-sol', 'USD', 5, 30, 0.5, 6.25, NULL, 'litellm 2026-07-24: gpt-5.6-sol'),
    ('openai/gpt-5.6-terra', 'USD', 2.5, 15, 0.25, 3.125, NULL, 'litellm 2026-07-24: gpt-5.6-terra'),
    ('openai/gpt-5.6-luna', 'USD', 1, 6, 0.1, 1.25, NULL, 'litellm 2026-07-24: gpt-5.6-luna'),
    ('openai/gpt-5-chat-latest', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: gpt-5-chat-latest'),
    ('openai/gpt-5.1-chat-latest', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: gpt-5.1-chat-latest'),
    ('openai/gpt-5.2-chat-latest', 'USD', 1.75, 14, 0.175, NULL, NULL, 'litellm 2026-07-24: gpt-5.2-chat-latest'),
    ('openai/gpt-5.3-chat-latest', 'USD', 1.75, 14, 0.175, NULL, NULL, 'litellm 2026-07-24: gpt-5.3-chat-latest'),
    ('openai/o1', 'USD', 15, 60, 7.5, NULL, NULL, 'litellm 2026-07-24: o1'),
    ('openai/o3', 'USD', 2, 8, 0.5, NULL, NULL, 'litellm 2026-07-24: o3'),
    ('openai/o3-mini', 'USD', 1.1, 4.4, 0.55, NULL, NULL, 'litellm 2026-07-24: o3-mini'),
    ('openai/gpt-4o-search-preview', 'USD', 2.5, 10, 1.25, NULL, NULL, 'litellm 2026-07-24: gpt-4o-search-preview'),
    ('openai/gpt-4o-mini-search-preview', 'USD', 0.15, 0.6, 0.075, NULL, NULL, 'litellm 2026-07-24: gpt-4o-mini-search-preview'),
    ('openai/gpt-5-search-api', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: gpt-5-search-api'),
    ('anthropic/claude-opus-5', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: claude-opus-5'),
    ('anthropic/claude-sonnet-5', 'USD', 2, 10, 0.2, 2.5, NULL, 'litellm 2026-07-24: claude-sonnet-5'),
    ('anthropic/claude-fable-5', 'USD', 10, 50, 1, 12.5, NULL, 'litellm 2026-07-24: claude-fable-5'),
    ('anthropic/claude-opus-4-8', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: claude-opus-4-8'),
    ('anthropic/claude-opus-4-7', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: claude-opus-4-7'),
    ('anthropic/claude-opus-4-6', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: claude-opus-4-6'),
    ('anthropic/claude-opus-4-5', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: claude-opus-4-5'),
    ('anthropic/claude-opus-4-1', 'USD', 15, 75, 1.5, 18.75, NULL, 'litellm 2026-07-24: claude-opus-4-1'),
    ('anthropic/claude-sonnet-4-6', 'USD', 3, 15, 0.3, 3.75, NULL, 'litellm 2026-07-24: claude-sonnet-4-6'),
    ('anthropic/claude-sonnet-4-5', 'USD', 3, 15, 0.3, 3.75, NULL, 'litellm 2026-07-24: claude-sonnet-4-5'),
    ('anthropic/claude-haiku-4-5', 'USD', 1, 5, 0.1, 1.25, NULL, 'litellm 2026-07-24: claude-haiku-4-5'),
    ('gemini/gemini-3.6-flash', 'USD', 1.5, 7.5, 0.15, NULL, 7.5, 'litellm 2026-07-24: gemini/gemini-3.6-flash'),
    ('gemini/gemini-3.5-flash', 'USD', 1.5, 9, 0.15, NULL, 9, 'litellm 2026-07-24: gemini/gemini-3.5-flash'),
    ('gemini/gemini-3.5-flash-lite', 'USD', 0.3, 2.5, 0.03, NULL, 2.5, 'litellm 2026-07-24: gemini/gemini-3.5-flash-lite'),
    ('gemini/gemini-3.1-pro-preview', 'USD', 2, 12, 0.2, NULL, NULL, 'litellm 2026-07-24: gemini/gemini-3.1-pro-preview'),
    ('gemini/gemini-3.1-flash-lite', 'USD', 0.25, 1.5, 0.025, NULL, 1.5, 'litellm 2026-07-24: gemini/gemini-3.1-flash-lite'),
    ('gemini/gemini-3-flash-preview', 'USD', 0.5, 3, 0.05, NULL, 3, 'litellm 2026-07-24: gemini/gemini-3-flash-preview'),
    ('gemini/gemini-2.5-pro', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: gemini/gemini-2.5-pro'),
    ('gemini/gemini-2.5-flash', 'USD', 0.3, 2.5, 0.03, NULL, 2.5, 'litellm 2026-07-24: gemini/gemini-2.5-flash'),
    ('gemini/gemini-2.5-flash-lite', 'USD', 0.1, 0.4, 0.01, NULL, 0.4, 'litellm 2026-07-24: gemini/gemini-2.5-flash-lite'),
    ('gemini/gemini-pro-latest', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: gemini/gemini-pro-latest'),
    ('gemini/gemini-flash-latest', 'USD', 0.3, 2.5, 0.075, NULL, 2.5, 'litellm 2026-07-24: gemini/gemini-flash-latest'),
    ('gemini/gemini-flash-lite-latest', 'USD', 0.1, 0.4, 0.025, NULL, 0.4, 'litellm 2026-07-24: gemini/gemini-flash-lite-latest'),
    ('deepseek/deepseek-v4-pro', 'USD', 0.435, 0.87, 0.003625, NULL, NULL, 'litellm 2026-07-24: deepseek/deepseek-v4-pro'),
    ('deepseek/deepseek-v4-flash', 'USD', 0.14, 0.28, 0.0028, NULL, NULL, 'litellm 2026-07-24: deepseek/deepseek-v4-flash'),
    ('qwen/qwen3-next-80b-a3b-instruct', 'USD', 0.15, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwen3-next-80b-a3b-instruct'),
    ('qwen/qwen3-next-80b-a3b-thinking', 'USD', 0.15, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwen3-next-80b-a3b-thinking'),
    ('qwen/qwen3-vl-235b-a22b-instruct', 'USD', 0.4, 1.6, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwen3-vl-235b-a22b-instruct'),
    ('qwen/qwen3-vl-235b-a22b-thinking', 'USD', 0.4, 4, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwen3-vl-235b-a22b-thinking'),
    ('qwen/qwen3-vl-32b-instruct', 'USD', 0.16, 0.64, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwen3-vl-32b-instruct'),
    ('qwen/qwen3-vl-32b-thinking', 'USD', 0.16, 2.87, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwen3-vl-32b-thinking'),
    ('qwen/qwq-plus', 'USD', 0.8, 2.4, NULL, NULL, NULL, 'litellm 2026-07-24: dashscope/qwq-plus'),
    ('mistral/mistral-medium-latest', 'USD', 1.5, 7.5, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/mistral-medium-latest'),
    ('mistral/magistral-medium-latest', 'USD', 2, 5, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/magistral-medium-latest'),
    ('mistral/magistral-small-latest', 'USD', 0.5, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/magistral-small-latest'),
    ('mistral/devstral-medium-latest', 'USD', 0.4, 2, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/devstral-medium-latest'),
    ('mistral/devstral-small-latest', 'USD', 0.1, 0.3, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/devstral-small-latest'),
    ('mistral/codestral-2508', 'USD', 0.3, 0.9, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/codestral-2508'),
    ('mistral/ministral-8b-latest', 'USD', 0.15, 0.15, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/ministral-8b-latest'),
    ('mistral/ministral-3-14b-2512', 'USD', 0.2, 0.2, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/ministral-3-14b-2512'),
    ('mistral/ministral-3-3b-2512', 'USD', 0.1, 0.1, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/ministral-3-3b-2512'),
    ('mistral/pixtral-large-latest', 'USD', 2, 6, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/pixtral-large-latest'),
    ('mistral/open-mistral-nemo', 'USD', 0.3, 0.3, NULL, NULL, NULL, 'litellm 2026-07-24: mistral/open-mistral-nemo'),
    ('groq/openai/gpt-oss-120b', 'USD', 0.15, 0.6, 0.075, NULL, NULL, 'litellm 2026-07-24: groq/openai/gpt-oss-120b'),
    ('groq/openai/gpt-oss-20b', 'USD', 0.075, 0.3, 0.0375, NULL, NULL, 'litellm 2026-07-24: groq/openai/gpt-oss-20b'),
    ('groq/moonshotai/kimi-k2-instruct-0905', 'USD', 1, 3, 0.5, NULL, NULL, 'litellm 2026-07-24: groq/moonshotai/kimi-k2-instruct-0905'),
    ('groq/meta-llama/llama-4-maverick-17b-128e-instruct', 'USD', 0.2, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: groq/meta-llama/llama-4-maverick-17b-128e-instruct'),
    ('groq/meta-llama/llama-4-scout-17b-16e-instruct', 'USD', 0.11, 0.34, NULL, NULL, NULL, 'litellm 2026-07-24: groq/meta-llama/llama-4-scout-17b-16e-instruct'),
    ('groq/qwen/qwen3-32b', 'USD', 0.29, 0.59, NULL, NULL, NULL, 'litellm 2026-07-24: groq/qwen/qwen3-32b'),
    ('together/openai/gpt-oss-120b', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/openai/gpt-oss-120b'),
    ('together/openai/gpt-oss-20b', 'USD', 0.05, 0.2, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/openai/gpt-oss-20b'),
    ('together/deepseek-ai/DeepSeek-V3.1', 'USD', 0.6, 1.7, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/deepseek-ai/DeepSeek-V3.1'),
    ('together/deepseek-ai/DeepSeek-V3', 'USD', 1.25, 1.25, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/deepseek-ai/DeepSeek-V3'),
    ('together/deepseek-ai/DeepSeek-R1', 'USD', 3, 7, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/deepseek-ai/DeepSeek-R1'),
    ('together/Qwen/Qwen3.5-397B-A17B', 'USD', 0.6, 3.6, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/Qwen/Qwen3.5-397B-A17B'),
    ('together/Qwen/Qwen3-235B-A22B-Instruct-2507-tput', 'USD', 0.2, 6, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/Qwen/Qwen3-235B-A22B-Instruct-2507-tput'),
    ('together/Qwen/Qwen3-235B-A22B-Thinking-2507', 'USD', 0.65, 3, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/Qwen/Qwen3-235B-A22B-Thinking-2507'),
    ('together/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', 'USD', 2, 2, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Instruct', 'USD', 0.15, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/Qwen/Qwen3-Next-80B-A3B-Instruct'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Thinking', 'USD', 0.15, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/Qwen/Qwen3-Next-80B-A3B-Thinking'),
    ('together/moonshotai/Kimi-K2.5', 'USD', 0.5, 2.8, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/moonshotai/Kimi-K2.5'),
    ('together/moonshotai/Kimi-K2-Instruct-0905', 'USD', 1, 3, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/moonshotai/Kimi-K2-Instruct-0905'),
    ('together/zai-org/GLM-4.7', 'USD', 0.45, 2, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/zai-org/GLM-4.7'),
    ('together/zai-org/GLM-4.6', 'USD', 0.6, 2.2, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/zai-org/GLM-4.6'),
    ('together/zai-org/GLM-4.5-Air-FP8', 'USD', 0.2, 1.1, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/zai-org/GLM-4.5-Air-FP8'),
    ('together/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'USD', 0.27, 0.85, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8'),
    ('together/meta-llama/Llama-4-Scout-17B-16E-Instruct', 'USD', 0.18, 0.59, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/meta-llama/Llama-4-Scout-17B-16E-Instruct'),
    ('together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'USD', 3.5, 3.5, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo'),
    ('together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'USD', 0.18, 0.18, NULL, NULL, NULL, 'litellm 2026-07-24: together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'),
    ('openrouter/anthropic/claude-opus-4.7', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-opus-4.7'),
    ('openrouter/anthropic/claude-opus-4.6', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-opus-4.6'),
    ('openrouter/anthropic/claude-opus-4.5', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-opus-4.5'),
    ('openrouter/anthropic/claude-opus-4.1', 'USD', 15, 75, 1.5, 18.75, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-opus-4.1'),
    ('openrouter/anthropic/claude-sonnet-4.6', 'USD', 3, 15, 0.3, 3.75, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-sonnet-4.6'),
    ('openrouter/anthropic/claude-sonnet-4.5', 'USD', 3, 15, 0.3, 3.75, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-sonnet-4.5'),
    ('openrouter/anthropic/claude-haiku-4.5', 'USD', 1, 5, 0.1, 1.25, NULL, 'litellm 2026-07-24: openrouter/anthropic/claude-haiku-4.5'),
    ('openrouter/google/gemini-3.1-pro-preview', 'USD', 2, 12, 0.2, NULL, NULL, 'litellm 2026-07-24: openrouter/google/gemini-3.1-pro-preview'),
    ('openrouter/google/gemini-3-flash-preview', 'USD', 0.5, 3, 0.05, NULL, 3, 'litellm 2026-07-24: openrouter/google/gemini-3-flash-preview'),
    ('openrouter/google/gemini-3.1-flash-lite', 'USD', 0.25, 1.5, 0.025, NULL, 1.5, 'litellm 2026-07-24: openrouter/google/gemini-3.1-flash-lite'),
    ('openrouter/google/gemini-2.5-pro', 'USD', 1.25, 10, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/google/gemini-2.5-pro'),
    ('openrouter/google/gemini-2.5-flash', 'USD', 0.3, 2.5, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/google/gemini-2.5-flash'),
    ('openrouter/openai/gpt-5.2', 'USD', 1.75, 14, 0.175, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-5.2'),
    ('openrouter/openai/gpt-5', 'USD', 1.25, 10, 0.125, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-5'),
    ('openrouter/openai/gpt-5-mini', 'USD', 0.25, 2, 0.025, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-5-mini'),
    ('openrouter/openai/gpt-5-nano', 'USD', 0.05, 0.4, 0.005, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-5-nano'),
    ('openrouter/openai/gpt-4.1', 'USD', 2, 8, 0.5, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-4.1'),
    ('openrouter/openai/gpt-4.1-mini', 'USD', 0.4, 1.6, 0.1, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-4.1-mini'),
    ('openrouter/openai/gpt-4o', 'USD', 2.5, 10, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-4o'),
    ('openrouter/openai/gpt-oss-120b', 'USD', 0.18, 0.8, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-oss-120b'),
    ('openrouter/openai/gpt-oss-20b', 'USD', 0.02, 0.1, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/openai/gpt-oss-20b'),
    ('openrouter/x-ai/grok-4', 'USD', 3, 15, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/x-ai/grok-4'),
    ('openrouter/deepseek/deepseek-v3.2', 'USD', 0.28, 0.4, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/deepseek/deepseek-v3.2'),
    ('openrouter/deepseek/deepseek-chat-v3.1', 'USD', 0.2, 0.8, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/deepseek/deepseek-chat-v3.1'),
    ('openrouter/deepseek/deepseek-r1-0528', 'USD', 0.5, 2.15, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/deepseek/deepseek-r1-0528'),
    ('openrouter/qwen/qwen3.6-plus', 'USD', 0.325, 1.95, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/qwen/qwen3.6-plus'),
    ('openrouter/qwen/qwen3.5-397b-a17b', 'USD', 0.6, 3.6, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/qwen/qwen3.5-397b-a17b'),
    ('openrouter/qwen/qwen3-coder', 'USD', 0.22, 0.95, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/qwen/qwen3-coder'),
    ('openrouter/qwen/qwen3-235b-a22b-2507', 'USD', 0.071, 0.1, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/qwen/qwen3-235b-a22b-2507'),
    ('openrouter/moonshotai/kimi-k2.5', 'USD', 0.6, 3, 0.1, NULL, NULL, 'litellm 2026-07-24: openrouter/moonshotai/kimi-k2.5'),
    ('openrouter/z-ai/glm-5.1', 'USD', 1.05, 3.5, 0.525, NULL, NULL, 'litellm 2026-07-24: openrouter/z-ai/glm-5.1'),
    ('openrouter/z-ai/glm-4.7', 'USD', 0.4, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/z-ai/glm-4.7'),
    ('openrouter/minimax/minimax-m2.5', 'USD', 0.3, 1.1, 0.15, NULL, NULL, 'litellm 2026-07-24: openrouter/minimax/minimax-m2.5'),
    ('openrouter/mistralai/mistral-large-2512', 'USD', 0.5, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/mistralai/mistral-large-2512'),
    ('openrouter/mistralai/devstral-2512', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: openrouter/mistralai/devstral-2512'),
    ('openrouter/xiaomi/mimo-v2.5', 'USD', 0.4, 2, 0.08, NULL, NULL, 'litellm 2026-07-24: openrouter/xiaomi/mimo-v2.5'),
    ('xai/grok-4.5', 'USD', 2, 6, 0.5, NULL, NULL, 'litellm 2026-07-24: xai/grok-4.5'),
    ('xai/grok-4.3', 'USD', 1.25, 2.5, 0.2, NULL, NULL, 'litellm 2026-07-24: xai/grok-4.3'),
    ('xai/grok-4.20-0309-reasoning', 'USD', 2, 6, 0.2, NULL, NULL, 'litellm 2026-07-24: xai/grok-4.20-0309-reasoning'),
    ('xai/grok-4.20-beta-0309-non-reasoning', 'USD', 2, 6, 0.2, NULL, NULL, 'litellm 2026-07-24: xai/grok-4.20-beta-0309-non-reasoning'),
    ('xai/grok-4-1-fast', 'USD', 0.2, 0.5, 0.05, NULL, NULL, 'litellm 2026-07-24: xai/grok-4-1-fast'),
    ('xai/grok-4', 'USD', 3, 15, NULL, NULL, NULL, 'litellm 2026-07-24: xai/grok-4'),
    ('xai/grok-code-fast', 'USD', 0.2, 1.5, 0.02, NULL, NULL, 'litellm 2026-07-24: xai/grok-code-fast'),
    ('bedrock/global.anthropic.claude-opus-5', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: global.anthropic.claude-opus-5'),
    ('bedrock/global.anthropic.claude-sonnet-5', 'USD', 2, 10, 0.2, 2.5, NULL, 'litellm 2026-07-24: global.anthropic.claude-sonnet-5'),
    ('bedrock/global.anthropic.claude-fable-5', 'USD', 10, 50, 1, 12.5, NULL, 'litellm 2026-07-24: global.anthropic.claude-fable-5'),
    ('bedrock/global.anthropic.claude-opus-4-8', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: global.anthropic.claude-opus-4-8'),
    ('bedrock/global.anthropic.claude-opus-4-7', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: global.anthropic.claude-opus-4-7'),
    ('bedrock/global.anthropic.claude-opus-4-6-v1', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: global.anthropic.claude-opus-4-6-v1'),
    ('bedrock/global.anthropic.claude-opus-4-5-20251101-v1:0', 'USD', 5, 25, 0.5, 6.25, NULL, 'litellm 2026-07-24: global.anthropic.claude-opus-4-5-20251101-v1:0'),
    ('bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0', 'USD', 15, 75, 1.5, 18.75, NULL, 'litellm 2026-07-24: us.anthropic.claude-opus-4-1-20250805-v1:0'),
    ('bedrock/global.anthropic.claude-sonnet-4-6', 'USD', 3, 15, 0.3, 3.75, NULL, 'litellm 2026-07-24: global.anthropic.claude-sonnet-4-6'),
    ('bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'USD', 3, 15, 0.3, 3.75, NULL, 'litellm 2026-07-24: global.anthropic.claude-sonnet-4-5-20250929-v1:0'),
    ('bedrock/global.anthropic.claude-haiku-4-5-20251001-v1:0', 'USD', 1, 5, 0.1, 1.25, NULL, 'litellm 2026-07-24: global.anthropic.claude-haiku-4-5-20251001-v1:0'),
    ('bedrock/anthropic.claude-3-haiku-20240307-v1:0', 'USD', 0.25, 1.25, 0.025, 0.3125, NULL, 'litellm 2026-07-24: anthropic.claude-3-haiku-20240307-v1:0'),
    ('bedrock/amazon.nova-pro-v1:0', 'USD', 0.8, 3.2, NULL, NULL, NULL, 'litellm 2026-07-24: amazon.nova-pro-v1:0'),
    ('bedrock/amazon.nova-lite-v1:0', 'USD', 0.06, 0.24, NULL, NULL, NULL, 'litellm 2026-07-24: amazon.nova-lite-v1:0'),
    ('bedrock/amazon.nova-micro-v1:0', 'USD', 0.035, 0.14, NULL, NULL, NULL, 'litellm 2026-07-24: amazon.nova-micro-v1:0'),
    ('bedrock/us.amazon.nova-premier-v1:0', 'USD', 2.5, 12.5, NULL, NULL, NULL, 'litellm 2026-07-24: us.amazon.nova-premier-v1:0'),
    ('bedrock/global.amazon.nova-2-lite-v1:0', 'USD', 0.3, 2.5, 0.075, NULL, NULL, 'litellm 2026-07-24: global.amazon.nova-2-lite-v1:0'),
    ('bedrock/us.meta.llama4-maverick-17b-instruct-v1:0', 'USD', 0.24, 0.97, NULL, NULL, NULL, 'litellm 2026-07-24: us.meta.llama4-maverick-17b-instruct-v1:0'),
    ('bedrock/us.meta.llama4-scout-17b-instruct-v1:0', 'USD', 0.17, 0.66, NULL, NULL, NULL, 'litellm 2026-07-24: us.meta.llama4-scout-17b-instruct-v1:0'),
    ('bedrock/us.meta.llama3-3-70b-instruct-v1:0', 'USD', 0.72, 0.72, NULL, NULL, NULL, 'litellm 2026-07-24: us.meta.llama3-3-70b-instruct-v1:0'),
    ('bedrock/deepseek.v3.2', 'USD', 0.62, 1.85, NULL, NULL, NULL, 'litellm 2026-07-24: deepseek.v3.2'),
    ('bedrock/deepseek.v3-v1:0', 'USD', 0.58, 1.68, NULL, NULL, NULL, 'litellm 2026-07-24: deepseek.v3-v1:0'),
    ('bedrock/us.deepseek.r1-v1:0', 'USD', 1.35, 5.4, NULL, NULL, NULL, 'litellm 2026-07-24: us.deepseek.r1-v1:0'),
    ('bedrock/openai.gpt-oss-120b-1:0', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: openai.gpt-oss-120b-1:0'),
    ('bedrock/openai.gpt-oss-20b-1:0', 'USD', 0.07, 0.3, NULL, NULL, NULL, 'litellm 2026-07-24: openai.gpt-oss-20b-1:0'),
    ('bedrock/qwen.qwen3-235b-a22b-2507-v1:0', 'USD', 0.22, 0.88, NULL, NULL, NULL, 'litellm 2026-07-24: qwen.qwen3-235b-a22b-2507-v1:0'),
    ('bedrock/qwen.qwen3-coder-480b-a35b-v1:0', 'USD', 0.22, 1.8, NULL, NULL, NULL, 'litellm 2026-07-24: qwen.qwen3-coder-480b-a35b-v1:0'),
    ('bedrock/qwen.qwen3-coder-30b-a3b-v1:0', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: qwen.qwen3-coder-30b-a3b-v1:0'),
    ('bedrock/qwen.qwen3-32b-v1:0', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: qwen.qwen3-32b-v1:0'),
    ('bedrock/qwen.qwen3-next-80b-a3b', 'USD', 0.15, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: qwen.qwen3-next-80b-a3b'),
    ('bedrock/qwen.qwen3-vl-235b-a22b', 'USD', 0.53, 2.66, NULL, NULL, NULL, 'litellm 2026-07-24: qwen.qwen3-vl-235b-a22b'),
    ('bedrock/mistral.mistral-large-3-675b-instruct', 'USD', 0.5, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: mistral.mistral-large-3-675b-instruct'),
    ('bedrock/mistral.devstral-2-123b', 'USD', 0.4, 2, NULL, NULL, NULL, 'litellm 2026-07-24: mistral.devstral-2-123b'),
    ('bedrock/mistral.magistral-small-2509', 'USD', 0.5, 1.5, NULL, NULL, NULL, 'litellm 2026-07-24: mistral.magistral-small-2509'),
    ('bedrock/mistral.ministral-3-14b-instruct', 'USD', 0.2, 0.2, NULL, NULL, NULL, 'litellm 2026-07-24: mistral.ministral-3-14b-instruct'),
    ('bedrock/mistral.ministral-3-8b-instruct', 'USD', 0.15, 0.15, NULL, NULL, NULL, 'litellm 2026-07-24: mistral.ministral-3-8b-instruct'),
    ('bedrock/us.mistral.pixtral-large-2502-v1:0', 'USD', 2, 6, NULL, NULL, NULL, 'litellm 2026-07-24: us.mistral.pixtral-large-2502-v1:0'),
    ('bedrock/moonshotai.kimi-k2.5', 'USD', 0.6, 3, NULL, NULL, NULL, 'litellm 2026-07-24: moonshotai.kimi-k2.5'),
    ('bedrock/moonshot.kimi-k2-thinking', 'USD', 0.6, 2.5, NULL, NULL, NULL, 'litellm 2026-07-24: moonshot.kimi-k2-thinking'),
    ('bedrock/minimax.minimax-m2.5', 'USD', 0.3, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: minimax.minimax-m2.5'),
    ('bedrock/minimax.minimax-m2.1', 'USD', 0.3, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: minimax.minimax-m2.1'),
    ('bedrock/zai.glm-5', 'USD', 1, 3.2, NULL, NULL, NULL, 'litellm 2026-07-24: zai.glm-5'),
    ('bedrock/zai.glm-4.7', 'USD', 0.6, 2.2, NULL, NULL, NULL, 'litellm 2026-07-24: zai.glm-4.7'),
    ('bedrock/zai.glm-4.7-flash', 'USD', 0.07, 0.4, NULL, NULL, NULL, 'litellm 2026-07-24: zai.glm-4.7-flash'),
    ('bedrock/google.gemma-3-27b-it', 'USD', 0.23, 0.38, NULL, NULL, NULL, 'litellm 2026-07-24: google.gemma-3-27b-it'),
    ('bedrock/nvidia.nemotron-super-3-120b', 'USD', 0.15, 0.65, NULL, NULL, NULL, 'litellm 2026-07-24: nvidia.nemotron-super-3-120b'),
    ('bedrock/nvidia.nemotron-nano-3-30b', 'USD', 0.06, 0.24, NULL, NULL, NULL, 'litellm 2026-07-24: nvidia.nemotron-nano-3-30b'),
    ('bedrock/us.writer.palmyra-x5-v1:0', 'USD', 0.6, 6, NULL, NULL, NULL, 'litellm 2026-07-24: us.writer.palmyra-x5-v1:0'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-pro', 'USD', 1.74, 3.48, 0.145, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/deepseek-v4-pro'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-flash', 'USD', 0.14, 0.28, 0.028, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/deepseek-v4-flash'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p2', 'USD', 0.56, 1.68, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/deepseek-v3p2'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p1', 'USD', 0.56, 1.68, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/deepseek-v3p1'),
    ('fireworks/accounts/fireworks/models/deepseek-r1-0528', 'USD', 3, 8, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/deepseek-r1-0528'),
    ('fireworks/accounts/fireworks/models/kimi-k2p7-code', 'USD', 0.95, 4, 0.19, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/kimi-k2p7-code'),
    ('fireworks/accounts/fireworks/models/kimi-k2p6', 'USD', 0.95, 4, 0.16, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/kimi-k2p6'),
    ('fireworks/accounts/fireworks/models/kimi-k2p5', 'USD', 0.6, 3, 0.1, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/kimi-k2p5'),
    ('fireworks/accounts/fireworks/models/kimi-k2-thinking', 'USD', 0.6, 2.5, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/kimi-k2-thinking'),
    ('fireworks/accounts/fireworks/models/kimi-k2-instruct-0905', 'USD', 0.6, 2.5, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/kimi-k2-instruct-0905'),
    ('fireworks/accounts/fireworks/models/glm-5p2', 'USD', 1.4, 4.4, 0.14, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/glm-5p2'),
    ('fireworks/accounts/fireworks/models/glm-5p1', 'USD', 1.4, 4.4, 0.26, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/glm-5p1'),
    ('fireworks/accounts/fireworks/models/glm-4p7', 'USD', 0.6, 2.2, 0.3, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/glm-4p7'),
    ('fireworks/accounts/fireworks/models/glm-4p5-air', 'USD', 0.22, 0.88, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/glm-4p5-air'),
    ('fireworks/accounts/fireworks/models/minimax-m3', 'USD', 0.3, 1.2, 0.06, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/minimax-m3'),
    ('fireworks/accounts/fireworks/models/minimax-m2p7', 'USD', 0.3, 1.2, 0.06, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/minimax-m2p7'),
    ('fireworks/accounts/fireworks/models/gpt-oss-120b', 'USD', 0.15, 0.6, 0.015, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/gpt-oss-120b'),
    ('fireworks/accounts/fireworks/models/gpt-oss-20b', 'USD', 0.07, 0.3, 0.035, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/gpt-oss-20b'),
    ('fireworks/accounts/fireworks/models/qwen3p7-plus', 'USD', 0.4, 1.6, 0.08, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/qwen3p7-plus'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-instruct-2507', 'USD', 0.22, 0.88, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/qwen3-235b-a22b-instruct-2507'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-thinking-2507', 'USD', 0.22, 0.88, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/qwen3-235b-a22b-thinking-2507'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', 'USD', 0.45, 1.8, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/qwen3-coder-480b-a35b-instruct'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-30b-a3b-instruct', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/qwen3-coder-30b-a3b-instruct'),
    ('fireworks/accounts/fireworks/models/qwen3-vl-235b-a22b-instruct', 'USD', 0.22, 0.88, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/qwen3-vl-235b-a22b-instruct'),
    ('fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct', 'USD', 0.9, 0.9, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct'),
    ('fireworks/accounts/fireworks/models/llama4-maverick-instruct-basic', 'USD', 0.22, 0.88, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/llama4-maverick-instruct-basic'),
    ('fireworks/accounts/fireworks/models/llama4-scout-instruct-basic', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: fireworks_ai/accounts/fireworks/models/llama4-scout-instruct-basic'),
    ('perplexity/sonar', 'USD', 1, 1, NULL, NULL, NULL, 'litellm 2026-07-24: perplexity/sonar'),
    ('perplexity/sonar-pro', 'USD', 3, 15, NULL, NULL, NULL, 'litellm 2026-07-24: perplexity/sonar-pro'),
    ('perplexity/sonar-reasoning', 'USD', 1, 5, NULL, NULL, NULL, 'litellm 2026-07-24: perplexity/sonar-reasoning'),
    ('perplexity/sonar-reasoning-pro', 'USD', 2, 8, NULL, NULL, NULL, 'litellm 2026-07-24: perplexity/sonar-reasoning-pro'),
    ('perplexity/sonar-deep-research', 'USD', 2, 8, NULL, NULL, 3, 'litellm 2026-07-24: perplexity/sonar-deep-research'),
    ('cerebras/gpt-oss-120b', 'USD', 0.35, 0.75, NULL, NULL, NULL, 'litellm 2026-07-24: cerebras/gpt-oss-120b'),
    ('cerebras/zai-glm-4.7', 'USD', 2.25, 2.75, NULL, NULL, NULL, 'litellm 2026-07-24: cerebras/zai-glm-4.7'),
    ('cerebras/qwen-3-32b', 'USD', 0.4, 0.8, NULL, NULL, NULL, 'litellm 2026-07-24: cerebras/qwen-3-32b'),
    ('cerebras/llama-3.3-70b', 'USD', 0.85, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: cerebras/llama-3.3-70b'),
    ('cerebras/llama3.1-8b', 'USD', 0.1, 0.1, NULL, NULL, NULL, 'litellm 2026-07-24: cerebras/llama3.1-8b'),
    ('deepinfra/deepseek-ai/DeepSeek-V3.1', 'USD', 0.27, 1, 0.216, NULL, NULL, 'litellm 2026-07-24: deepinfra/deepseek-ai/DeepSeek-V3.1'),
    ('deepinfra/deepseek-ai/DeepSeek-R1-0528', 'USD', 0.5, 2.15, 0.4, NULL, NULL, 'litellm 2026-07-24: deepinfra/deepseek-ai/DeepSeek-R1-0528'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507', 'USD', 0.09, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507', 'USD', 0.3, 2.9, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507'),
    ('deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct', 'USD', 0.4, 1.6, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct'),
    ('deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct', 'USD', 0.14, 1.4, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct'),
    ('deepinfra/Qwen/Qwen3-32B', 'USD', 0.1, 0.28, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/Qwen/Qwen3-32B'),
    ('deepinfra/moonshotai/Kimi-K2-Instruct-0905', 'USD', 0.5, 2, 0.4, NULL, NULL, 'litellm 2026-07-24: deepinfra/moonshotai/Kimi-K2-Instruct-0905'),
    ('deepinfra/zai-org/GLM-4.5', 'USD', 0.4, 1.6, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/zai-org/GLM-4.5'),
    ('deepinfra/openai/gpt-oss-120b', 'USD', 0.05, 0.45, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/openai/gpt-oss-120b'),
    ('deepinfra/openai/gpt-oss-20b', 'USD', 0.04, 0.15, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/openai/gpt-oss-20b'),
    ('deepinfra/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'USD', 0.15, 0.6, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8'),
    ('deepinfra/meta-llama/Llama-4-Scout-17B-16E-Instruct', 'USD', 0.08, 0.3, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/meta-llama/Llama-4-Scout-17B-16E-Instruct'),
    ('deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'USD', 0.13, 0.39, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo'),
    ('deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct', 'USD', 0.03, 0.05, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct'),
    ('deepinfra/nvidia/Llama-3.3-Nemotron-Super-49B-v1.5', 'USD', 0.1, 0.4, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/nvidia/Llama-3.3-Nemotron-Super-49B-v1.5'),
    ('deepinfra/google/gemma-3-27b-it', 'USD', 0.09, 0.16, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/google/gemma-3-27b-it'),
    ('deepinfra/mistralai/Mistral-Small-3.2-24B-Instruct-2506', 'USD', 0.075, 0.2, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/mistralai/Mistral-Small-3.2-24B-Instruct-2506'),
    ('deepinfra/mistralai/Mistral-Nemo-Instruct-2407', 'USD', 0.02, 0.04, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/mistralai/Mistral-Nemo-Instruct-2407'),
    ('deepinfra/microsoft/phi-4', 'USD', 0.07, 0.14, NULL, NULL, NULL, 'litellm 2026-07-24: deepinfra/microsoft/phi-4'),
    ('moonshot/kimi-k2.6', 'USD', 0.95, 4, 0.16, NULL, NULL, 'litellm 2026-07-24: moonshot/kimi-k2.6'),
    ('moonshot/kimi-k2.5', 'USD', 0.6, 3, 0.1, NULL, NULL, 'litellm 2026-07-24: moonshot/kimi-k2.5'),
    ('moonshot/moonshot-v1-128k', 'USD', 2, 5, NULL, NULL, NULL, 'litellm 2026-07-24: moonshot/moonshot-v1-128k'),
    ('moonshot/moonshot-v1-32k', 'USD', 1, 3, NULL, NULL, NULL, 'litellm 2026-07-24: moonshot/moonshot-v1-32k'),
    ('moonshot/moonshot-v1-8k', 'USD', 0.2, 2, NULL, NULL, NULL, 'litellm 2026-07-24: moonshot/moonshot-v1-8k'),
    ('sambanova/DeepSeek-V3.2', 'USD', 3, 4.5, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/DeepSeek-V3.2'),
    ('sambanova/DeepSeek-V3.1', 'USD', 3, 4.5, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/DeepSeek-V3.1'),
    ('sambanova/DeepSeek-R1', 'USD', 5, 7, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/DeepSeek-R1'),
    ('sambanova/gpt-oss-120b', 'USD', 0.22, 0.59, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/gpt-oss-120b'),
    ('sambanova/MiniMax-M2.7', 'USD', 0.6, 2.4, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/MiniMax-M2.7'),
    ('sambanova/Llama-4-Maverick-17B-128E-Instruct', 'USD', 0.63, 1.8, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/Llama-4-Maverick-17B-128E-Instruct'),
    ('sambanova/Meta-Llama-3.3-70B-Instruct', 'USD', 0.6, 1.2, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/Meta-Llama-3.3-70B-Instruct'),
    ('sambanova/gemma-4-31B-it', 'USD', 0.38, 1.15, NULL, NULL, NULL, 'litellm 2026-07-24: sambanova/gemma-4-31B-it'),
    ('zai/glm-5.1', 'USD', 1.4, 4.4, 0.26, NULL, NULL, 'litellm 2026-07-24: zai/glm-5.1'),
    ('zai/glm-5', 'USD', 1, 3.2, 0.2, NULL, NULL, 'litellm 2026-07-24: zai/glm-5'),
    ('zai/glm-5-code', 'USD', 1.2, 5, 0.3, NULL, NULL, 'litellm 2026-07-24: zai/glm-5-code'),
    ('zai/glm-4.7', 'USD', 0.6, 2.2, 0.11, NULL, NULL, 'litellm 2026-07-24: zai/glm-4.7'),
    ('zai/glm-4.6', 'USD', 0.6, 2.2, 0.11, NULL, NULL, 'litellm 2026-07-24: zai/glm-4.6'),
    ('zai/glm-4.5', 'USD', 0.6, 2.2, NULL, NULL, NULL, 'litellm 2026-07-24: zai/glm-4.5'),
    ('zai/glm-4.5-air', 'USD', 0.2, 1.1, NULL, NULL, NULL, 'litellm 2026-07-24: zai/glm-4.5-air'),
    ('zai/glm-4.5v', 'USD', 0.6, 1.8, NULL, NULL, NULL, 'litellm 2026-07-24: zai/glm-4.5v')
  ) AS v (model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, reasoning_per_mtok, source)
 WHERE NOT EXISTS (SELECT 1 FROM aigw.prices p WHERE p.model = v.model)
ON CONFLICT DO NOTHING;
-- END GENERATED CATALOGUE

--------------------------------------------------------------------------
-- Importing a newer price map.  The same public format the catalogue is
-- generated from (LiteLLM's model price map: an object keyed by model,
-- USD per token), mapped to aigw models by aigw.catalogue_providers as the
-- generator maps it.  Prices change from valid_from on, like set_price:
-- nothing that has taken effect is rewritten.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.import_catalogue(prices jsonb, valid_from timestamptz DEFAULT now())
RETURNS TABLE (model text, action text, detail text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- price-map field of each rate, in the order of aigw.prices' columns
    fields constant text[] := ARRAY['input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost',
                                    'cache_creation_input_token_cost', 'output_cost_per_reasoning_token'];
    labels constant text[] := ARRAY['input', 'output', 'cached input', 'cache write', 'reasoning'];
    entry record;
    map aigw.catalogue_providers;
    cur aigw.prices;
    litellm text;
    model_id text;
    rates numeric[];
    old_rates numeric[];
    value jsonb;
    rate numeric;
    problem text;
    changes text[];
BEGIN
    IF prices IS NULL OR jsonb_typeof(prices) <> 'object' THEN
        RAISE EXCEPTION 'a price map must be a JSON object, not %',
                coalesce('a JSON ' || jsonb_typeof(prices), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'aigw.import_catalogue reads the public LiteLLM price map: an object keyed by model whose values carry "litellm_provider" and prices in USD per token ("input_cost_per_token", "output_cost_per_token", ...).',
                  HINT = 'Pass the whole file, e.g. SELECT * FROM aigw.import_catalogue(pg_read_file(''/path/model_prices_and_context_window.json'')::jsonb).';
    END IF;
    IF valid_from IS NULL OR valid_from < now() THEN
        RAISE EXCEPTION 'imported prices cannot take effect in the past'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'valid_from is NULL or earlier than the start of this transaction.',
                  HINT = 'Charges already made keep the price they were made at; import with valid_from now() (the default) or later.';
    END IF;

    FOR entry IN SELECT e.key, e.value FROM jsonb_each(prices) AS e ORDER BY e.key COLLATE "C" LOOP
        model := entry.key;
        action := 'not in catalogue';
        IF jsonb_typeof(entry.value) <> 'object' THEN
            action := 'skipped';
            detail := format('%s: the entry is a JSON %s, not an object', entry.key, jsonb_typeof(entry.value));
            RETURN NEXT;
            CONTINUE;
        END IF;
        litellm := entry.value ->> 'litellm_provider';
        IF jsonb_typeof(entry.value -> 'litellm_provider') IS DISTINCT FROM 'string' THEN
            action := 'skipped';
            detail := format('%s: no "litellm_provider" string', entry.key);
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT * INTO map FROM aigw.catalogue_providers c WHERE c.litellm_provider = litellm;
        IF NOT FOUND THEN
            detail := format('%s: litellm_provider "%s" is not in aigw.catalogue_providers', entry.key, litellm);
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF NOT starts_with(entry.key, map.key_prefix) OR length(entry.key) = length(map.key_prefix) THEN
            detail := format('%s: keys of litellm_provider "%s" that name aigw models start with "%s"',
                             entry.key, litellm, map.key_prefix);
            RETURN NEXT;
            CONTINUE;
        END IF;
        model_id := map.provider || '/' || substr(entry.key, length(map.key_prefix) + 1);
        model := model_id;
        -- lock the model, as set_price does, before reading its price
        PERFORM 1 FROM aigw.models m WHERE m.id = model_id FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            detail := format('%s: no model "%s" in aigw.models', entry.key, model_id);
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- USD per token -> per million tokens, exactly; a zero or absent
        -- optional rate is no rate (the input or output rate applies), as
        -- in the generated catalogue
        rates := '{}';
        problem := NULL;
        FOR i IN 1 .. array_length(fields, 1) LOOP
            value := entry.value -> fields[i];
            rate := NULL;
            IF value IS NOT NULL AND jsonb_typeof(value) <> 'null' THEN
                IF jsonb_typeof(value) <> 'number' THEN
                    problem := format('"%s" is %s, not a number', fields[i], value);
                    EXIT;
                END IF;
                rate := trim_scale(value::numeric * 1000000);
                IF rate < 0 OR rate >= 1000000 THEN
                    problem := format('"%s" is %s, out of range', fields[i], value);
                    EXIT;
                END IF;
                IF rate = 0 THEN
                    rate := NULL;
                END IF;
            END IF;
            rates := rates || rate;
        END LOOP;
        IF problem IS NULL AND (rates[1] IS NULL OR rates[2] IS NULL) THEN
            problem := 'no input or output price ("input_cost_per_token", "output_cost_per_token")';
        END IF;
        IF problem IS NOT NULL THEN
            action := 'skipped';
            detail := format('%s: %s', entry.key, problem);
            RETURN NEXT;
            CONTINUE;
        END IF;

        SELECT * INTO cur FROM aigw.prices p
         WHERE p.model = model_id AND p.currency = 'USD'
           AND p.valid_from <= import_catalogue.valid_from
           AND (p.valid_to IS NULL OR p.valid_to > import_catalogue.valid_from);
        IF FOUND THEN
            old_rates := ARRAY[cur.input_per_mtok, cur.output_per_mtok, cur.cached_input_per_mtok,
                               cur.cache_write_per_mtok, cur.reasoning_per_mtok];
        ELSE
            old_rates := NULL;
        END IF;
        IF old_rates IS NOT NULL AND old_rates = rates THEN     -- = on numeric[]: NULL elements compare equal
            action := 'unchanged';
            detail := entry.key;
            RETURN NEXT;
            CONTINUE;
        END IF;

        changes := '{}';
        FOR i IN 1 .. array_length(fields, 1) LOOP
            IF old_rates IS NULL AND rates[i] IS NOT NULL THEN
                changes := changes || format('%s %s', labels[i], rates[i]);
            ELSIF old_rates[i] IS DISTINCT FROM rates[i] THEN
                changes := changes || format('%s %s -> %s', labels[i],
                                             coalesce(old_rates[i]::text, 'none'), coalesce(rates[i]::text, 'none'));
            END IF;
        END LOOP;
        PERFORM aigw.set_price(model_id, rates[1], rates[2], 'USD', rates[3], import_catalogue.valid_from,
                               rates[4], rates[5], format('aigw.import_catalogue: %s', entry.key));
        action := 'updated';
        detail := format('%s: %s%s per million tokens', entry.key,
                         CASE WHEN old_rates IS NULL THEN 'no USD price before; ' ELSE '' END,
                         array_to_string(changes, ', '));
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION aigw.import_catalogue(jsonb, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION aigw.import_catalogue(jsonb, timestamptz) IS
    'Import prices from the public LiteLLM price map (an object keyed by model, USD per token). Each entry is mapped to an aigw model through aigw.catalogue_providers (provider/key without its prefix); a model whose rates differ from its USD price in force at valid_from gets a new price from valid_from on (the previous period is closed, as by aigw.set_price). One row per entry: updated, unchanged, not in catalogue (models are never created) or skipped (malformed), with the reason.';
