-- aigw 0.1.0: the core call path.
-- Configuration (providers, models, credentials) and the request log are
-- ordinary tables; the C functions below read them and the worker pool
-- writes the log.

\echo Use "CREATE EXTENSION aigw" to load this file. \quit

--------------------------------------------------------------------------
-- Providers
--------------------------------------------------------------------------
CREATE TABLE aigw.providers (
    name                text PRIMARY KEY
                        CHECK (name ~ '^[a-z0-9][a-z0-9_-]*$'),
    api_style           text NOT NULL DEFAULT 'openai'
                        CHECK (api_style IN ('openai', 'anthropic', 'gemini', 'bedrock', 'azure')),
    base_url            text NOT NULL
                        CHECK (base_url ~ '^https?://[^/?#]+' AND base_url !~ '[[:space:]]'),
    auth_scheme         text NOT NULL DEFAULT 'bearer'
                        CHECK (auth_scheme IN ('bearer', 'x-api-key', 'api-key', 'query-key', 'sigv4', 'none')),
    enabled             boolean NOT NULL DEFAULT true,
    request_timeout_ms  integer CHECK (request_timeout_ms > 0),
    connect_timeout_ms  integer CHECK (connect_timeout_ms > 0),
    extra_headers       jsonb NOT NULL DEFAULT '{}'
                        CHECK (jsonb_typeof(extra_headers) = 'object'),
    description         text
);
COMMENT ON TABLE aigw.providers IS
    'Upstream AI providers. base_url is the API root; the chat path is appended by api_style (openai: /chat/completions).';
COMMENT ON COLUMN aigw.providers.auth_scheme IS
    'How the credential set with aigw.set_credential is sent: bearer = "Authorization: Bearer <secret>", x-api-key / api-key = a header of that name, none = no credential.';
COMMENT ON COLUMN aigw.providers.request_timeout_ms IS
    'Whole-request timeout for this provider; NULL uses the aigw.request_timeout_ms setting.';
COMMENT ON COLUMN aigw.providers.extra_headers IS
    'Non-secret headers sent with every request to this provider, e.g. OpenRouter''s HTTP-Referer. Never put a secret here: use aigw.set_credential.';

INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme, description) VALUES
    ('openai',     'openai', 'https://api.openai.com/v1',                              'bearer', 'OpenAI'),
    ('deepseek',   'openai', 'https://api.deepseek.com/v1',                            'bearer', 'DeepSeek'),
    ('qwen',       'openai', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'bearer', 'Alibaba Cloud Model Studio (DashScope), OpenAI-compatible mode; mainland China accounts use https://dashscope.aliyuncs.com/compatible-mode/v1'),
    ('mistral',    'openai', 'https://api.mistral.ai/v1',                              'bearer', 'Mistral AI'),
    ('groq',       'openai', 'https://api.groq.com/openai/v1',                         'bearer', 'Groq'),
    ('together',   'openai', 'https://api.together.xyz/v1',                            'bearer', 'Together AI'),
    ('openrouter', 'openai', 'https://openrouter.ai/api/v1',                           'bearer', 'OpenRouter'),
    ('xai',        'openai', 'https://api.x.ai/v1',                                    'bearer', 'xAI');

--------------------------------------------------------------------------
-- Models
--------------------------------------------------------------------------
CREATE TABLE aigw.models (
    id                  text PRIMARY KEY,
    provider            text NOT NULL REFERENCES aigw.providers (name) ON UPDATE CASCADE,
    upstream_model      text NOT NULL CHECK (upstream_model <> ''),
    context_window      integer CHECK (context_window > 0),
    max_output_tokens   integer CHECK (max_output_tokens > 0),
    capabilities        text[] NOT NULL DEFAULT '{}',
    enabled             boolean NOT NULL DEFAULT true,
    CONSTRAINT id_is_provider_slash_model
        CHECK (starts_with(id, provider || '/') AND length(id) > length(provider) + 1)
);
COMMENT ON TABLE aigw.models IS
    'The model catalogue. id is ''provider/model'' as callers write it; upstream_model is the name sent to the provider.';
CREATE INDEX ON aigw.models (provider);

-- Context windows and output limits: LiteLLM model price map, mirrored 2026-07-24.
INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens, capabilities) VALUES
    ('openai/gpt-4o-mini',   'openai', 'gpt-4o-mini',   128000,  16384,  '{tools,vision,json}'),
    ('openai/gpt-4o',        'openai', 'gpt-4o',        128000,  16384,  '{tools,vision,json}'),
    ('openai/gpt-4.1',       'openai', 'gpt-4.1',       1047576, 32768,  '{tools,vision,json}'),
    ('openai/gpt-4.1-mini',  'openai', 'gpt-4.1-mini',  1047576, 32768,  '{tools,vision,json}'),
    ('openai/gpt-4.1-nano',  'openai', 'gpt-4.1-nano',  1047576, 32768,  '{tools,vision,json}'),
    ('openai/gpt-5',         'openai', 'gpt-5',         272000,  128000, '{tools,vision,json,reasoning}'),
    ('openai/gpt-5-mini',    'openai', 'gpt-5-mini',    272000,  128000, '{tools,vision,json,reasoning}'),
    ('openai/o4-mini',       'openai', 'o4-mini',       200000,  100000, '{tools,vision,json,reasoning}'),
    ('deepseek/deepseek-chat',     'deepseek', 'deepseek-chat',     131072, 8192,  '{tools,json}'),
    ('deepseek/deepseek-reasoner', 'deepseek', 'deepseek-reasoner', 131072, 65536, '{reasoning}'),
    ('qwen/qwen-plus',       'qwen', 'qwen-plus',       129024, 16384, '{tools,json}'),
    ('qwen/qwen-max',        'qwen', 'qwen-max',        30720,  8192,  '{tools,json}'),
    ('qwen/qwen-turbo',      'qwen', 'qwen-turbo',      129024, 16384, '{tools,json}'),
    ('mistral/mistral-large-latest', 'mistral', 'mistral-large-latest', 262144, 262144, '{tools,json}'),
    ('mistral/mistral-small-latest', 'mistral', 'mistral-small-latest', 131072, 131072, '{tools,json}'),
    ('groq/llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile', 128000, 32768, '{tools,json}'),
    ('groq/llama-3.1-8b-instant',    'groq', 'llama-3.1-8b-instant',    128000, 8192,  '{tools,json}'),
    ('together/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 131072, NULL, '{tools,json}'),
    ('openrouter/openai/gpt-4o-mini', 'openrouter', 'openai/gpt-4o-mini', 128000, 16384, '{tools,vision,json}'),
    ('xai/grok-3',           'xai', 'grok-3',           131072, 131072, '{tools,json}'),
    ('xai/grok-3-mini',      'xai', 'grok-3-mini',      131072, 131072, '{tools,json,reasoning}');

--------------------------------------------------------------------------
-- Credentials: readable by no ordinary role.  Only the functions below,
-- running with the extension owner's rights, touch this table.
--------------------------------------------------------------------------
CREATE TABLE aigw.credentials (
    provider    text PRIMARY KEY REFERENCES aigw.providers (name) ON UPDATE CASCADE ON DELETE CASCADE,
    secret      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  name NOT NULL DEFAULT current_user
);
REVOKE ALL ON aigw.credentials FROM PUBLIC;
COMMENT ON TABLE aigw.credentials IS
    'Provider API keys. No grant to any role: read only by aigw''s own C code. Set with aigw.set_credential(); see aigw.credential_status for what is configured.';

-- Tell whether a key is set without revealing any part of it.
CREATE VIEW aigw.credential_status AS
    SELECT p.name AS provider, p.auth_scheme,
           (c.provider IS NOT NULL) AS is_set,
           c.updated_at, c.updated_by
      FROM aigw.providers p LEFT JOIN aigw.credentials c ON c.provider = p.name;
COMMENT ON VIEW aigw.credential_status IS 'Which providers have a credential, when it was set and by whom; never the secret.';
-- The view runs with its owner's rights, which is what lets it see the
-- credentials table; it exposes no secret column.

--------------------------------------------------------------------------
-- The request log: one row per upstream attempt, written and committed by
-- the worker pool in its own transaction (never the caller's).
--------------------------------------------------------------------------
CREATE TABLE aigw.requests (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at          timestamptz NOT NULL,
    finished_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    role_name           name NOT NULL,
    database_name       name NOT NULL,
    requested_model     text NOT NULL,
    served_model        text,
    provider            text,
    attempt             integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    status              text NOT NULL
                        CHECK (status IN ('ok', 'http_error', 'timeout', 'connect_error',
                                          'cancelled', 'malformed', 'too_large', 'aborted')),
    http_status         integer,
    prompt_tokens       integer,
    completion_tokens   integer,
    cached_tokens       integer,
    reasoning_tokens    integer,
    latency_ms          double precision,
    ttfb_ms             double precision,
    request_bytes       integer,
    response_bytes      integer,
    upstream_id         text,
    tags                jsonb NOT NULL DEFAULT '{}',
    error               text,
    CHECK ((status = 'ok') = (error IS NULL))
);
COMMENT ON TABLE aigw.requests IS
    'One row per upstream attempt, committed by aigw''s worker pool independently of the caller''s transaction and before the call returns.';
COMMENT ON COLUMN aigw.requests.created_at IS 'When the caller handed the request to the pool.';
COMMENT ON COLUMN aigw.requests.status IS
    'ok; http_error (see http_status); timeout; connect_error; cancelled (the caller gave up: statement_timeout, pg_cancel_backend); malformed (unparseable or truncated answer); too_large (answer over aigw.max_response_bytes); aborted (the worker was stopped).';
COMMENT ON COLUMN aigw.requests.latency_ms IS 'From dispatch by the worker to the last byte of the answer.';
COMMENT ON COLUMN aigw.requests.ttfb_ms IS 'From dispatch to the first byte of the answer.';
COMMENT ON COLUMN aigw.requests.upstream_id IS 'The provider''s id for the answer (its "id" field), for support tickets.';
CREATE INDEX ON aigw.requests (created_at);

--------------------------------------------------------------------------
-- Functions
--------------------------------------------------------------------------
CREATE FUNCTION aigw.chat(model text, messages jsonb, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'aigw_chat'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION aigw.chat(text, jsonb, jsonb) IS
    'Chat completion through the worker pool; returns the OpenAI chat.completion shape plus an "aigw" object.';

CREATE FUNCTION aigw.ask(model text, prompt text, options jsonb DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'aigw_ask'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION aigw.ask(text, text, jsonb) IS
    'One user message in, the first choice''s text out.';

CREATE FUNCTION aigw.set_credential(provider text, secret text)
RETURNS void
AS 'MODULE_PATHNAME', 'aigw_set_credential'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION aigw.set_credential(text, text) FROM PUBLIC;
COMMENT ON FUNCTION aigw.set_credential(text, text) IS
    'Store (or, with a NULL secret, remove) the API key of a provider. The key is never shown again.';

CREATE FUNCTION aigw.pool_status()
RETURNS TABLE (database_name name, worker int, pid int, inflight int, completed bigint, started_at timestamptz)
AS 'MODULE_PATHNAME', 'aigw_pool_status'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION aigw.pool_status() IS 'The worker pools of every database: one row per running worker.';

GRANT USAGE ON SCHEMA aigw TO PUBLIC;
GRANT SELECT ON aigw.providers, aigw.models, aigw.credential_status TO PUBLIC;
