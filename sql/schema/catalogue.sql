-- The catalogue: providers (where calls go, how they authenticate), models
-- (what can be called, with limits and quality), the LiteLLM provider map,
-- and the encrypted provider keys.

CREATE TABLE aigw.models (
    id text NOT NULL,
    provider text NOT NULL,
    upstream_model text NOT NULL,
    context_window integer,
    max_output_tokens integer,
    capabilities text[] DEFAULT '{}'::text[] NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    quality numeric,
    quality_source text,
    kind text DEFAULT 'chat'::text NOT NULL,
    dimensions integer,
    max_inputs_per_request integer,
    max_tokens_per_request integer,
    dimensions_settable boolean DEFAULT false NOT NULL,
    origin text DEFAULT 'added'::text NOT NULL,
    CONSTRAINT id_is_provider_slash_model CHECK ((starts_with(id, (provider || '/'::text)) AND (length(id) > (length(provider) + 1)))),
    CONSTRAINT models_context_window_check CHECK ((context_window > 0)),
    CONSTRAINT models_dimensions_check CHECK ((dimensions > 0)),
    CONSTRAINT models_kind_check CHECK ((kind = ANY (ARRAY['chat'::text, 'embedding'::text]))),
    CONSTRAINT models_max_inputs_per_request_check CHECK ((max_inputs_per_request > 0)),
    CONSTRAINT models_max_output_tokens_check CHECK ((max_output_tokens > 0)),
    CONSTRAINT models_max_tokens_per_request_check CHECK ((max_tokens_per_request > 0)),
    CONSTRAINT models_origin_check CHECK ((origin = ANY (ARRAY['shipped'::text, 'changed'::text, 'added'::text]))),
    CONSTRAINT models_quality_check CHECK (((quality >= (0)::numeric) AND (quality <= (100)::numeric))),
    CONSTRAINT models_upstream_model_check CHECK ((upstream_model <> ''::text))
);

COMMENT ON TABLE aigw.models IS 'The model catalogue. id is ''provider/model'' as callers write it; upstream_model is the name sent to the provider.';

COMMENT ON COLUMN aigw.models.quality IS 'Quality score from 0 to 100, higher is better: what auto/best ranks by and option min_quality filters on. NULL: unknown (such a model never meets a quality floor). Operators may set their own.';

COMMENT ON COLUMN aigw.models.quality_source IS 'Where the quality score comes from: the leaderboard, its date and address.';

COMMENT ON COLUMN aigw.models.kind IS 'chat (aigw.chat and the rest) or embedding (aigw.embed, aigw.embed_many, aigw.embed_column).';

COMMENT ON COLUMN aigw.models.dimensions IS 'Embedding models: the length of the vectors they return by default.';

COMMENT ON COLUMN aigw.models.max_inputs_per_request IS 'Embedding models: how many inputs one upstream request may carry (the provider''s documented limit).';

COMMENT ON COLUMN aigw.models.max_tokens_per_request IS 'Embedding models: tokens summed over one request''s inputs, at most.';

COMMENT ON COLUMN aigw.models.dimensions_settable IS 'Embedding models: whether the option "dimensions" can ask for shorter vectors.';

COMMENT ON COLUMN aigw.models.origin IS 'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';

CREATE TABLE aigw.credentials (
    provider text NOT NULL,
    ciphertext bytea NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by name DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT credentials_sealed CHECK (((octet_length(ciphertext) > 37) AND (get_byte(ciphertext, 0) = 1)))
);

COMMENT ON TABLE aigw.credentials IS 'Provider API keys, encrypted. No grant to any role: read only by aigw''s own C code, and decrypted only by its pool workers. Set with aigw.set_credential(); see aigw.credential_status for what is configured.';

COMMENT ON COLUMN aigw.credentials.ciphertext IS 'AES-256-GCM: version byte 1 | master key id (8 bytes: the start of SHA-256 of the master key) | nonce (12) | ciphertext | tag (16); the provider''s name is authenticated with it, so a ciphertext copied to another row does not decrypt.';

CREATE TABLE aigw.providers (
    name text NOT NULL,
    api_style text DEFAULT 'openai'::text NOT NULL,
    base_url text NOT NULL,
    auth_scheme text DEFAULT 'bearer'::text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    request_timeout_ms integer,
    connect_timeout_ms integer,
    extra_headers jsonb DEFAULT '{}'::jsonb NOT NULL,
    description text,
    api_version text,
    origin text DEFAULT 'added'::text NOT NULL,
    CONSTRAINT providers_api_style_check CHECK ((api_style = ANY (ARRAY['openai'::text, 'anthropic'::text, 'gemini'::text, 'bedrock'::text, 'azure'::text]))),
    CONSTRAINT providers_auth_scheme_check CHECK ((auth_scheme = ANY (ARRAY['bearer'::text, 'x-api-key'::text, 'api-key'::text, 'x-goog-api-key'::text, 'query-key'::text, 'sigv4'::text, 'none'::text]))),
    CONSTRAINT providers_base_url_check CHECK (((base_url ~ '^https?://[^/?#]+'::text) AND (base_url !~ '[[:space:]]'::text))),
    CONSTRAINT providers_connect_timeout_ms_check CHECK ((connect_timeout_ms > 0)),
    CONSTRAINT providers_extra_headers_check CHECK ((jsonb_typeof(extra_headers) = 'object'::text)),
    CONSTRAINT providers_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9_-]*$'::text)),
    CONSTRAINT providers_origin_check CHECK ((origin = ANY (ARRAY['shipped'::text, 'changed'::text, 'added'::text]))),
    CONSTRAINT providers_request_timeout_ms_check CHECK ((request_timeout_ms > 0))
);

COMMENT ON TABLE aigw.providers IS 'Upstream AI providers. base_url is the API root; the chat path is appended by api_style (openai: /chat/completions).';

COMMENT ON COLUMN aigw.providers.auth_scheme IS 'How the credential set with aigw.set_credential is sent: bearer = "Authorization: Bearer <secret>"; x-api-key, api-key, x-goog-api-key = a header of that name; query-key = ?key=<secret>; sigv4 = AWS Signature Version 4 from a JSON credential {"access_key_id", "secret_access_key", "session_token", "region"}; none = no credential.';

COMMENT ON COLUMN aigw.providers.request_timeout_ms IS 'Whole-request timeout for this provider; NULL uses the aigw.request_timeout_ms setting.';

COMMENT ON COLUMN aigw.providers.extra_headers IS 'Non-secret headers sent with every request to this provider, e.g. OpenRouter''s HTTP-Referer. Never put a secret here: use aigw.set_credential.';

COMMENT ON COLUMN aigw.providers.api_version IS 'Protocol version pinned for this provider: Anthropic''s anthropic-version header (2023-06-01), Azure OpenAI''s api-version query parameter.';

COMMENT ON COLUMN aigw.providers.origin IS 'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';

CREATE TABLE aigw.catalogue_providers (
    litellm_provider text NOT NULL,
    provider text NOT NULL,
    key_prefix text DEFAULT ''::text NOT NULL,
    origin text DEFAULT 'added'::text NOT NULL,
    CONSTRAINT catalogue_providers_origin_check CHECK ((origin = ANY (ARRAY['shipped'::text, 'changed'::text, 'added'::text])))
);

COMMENT ON TABLE aigw.catalogue_providers IS 'How the LiteLLM price map names aigw models: an entry keyed K whose litellm_provider is L is the model provider || ''/'' || (K without key_prefix). Used by aigw.import_catalogue.';

COMMENT ON COLUMN aigw.catalogue_providers.origin IS 'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';

ALTER TABLE ONLY aigw.catalogue_providers
    ADD CONSTRAINT catalogue_providers_pkey PRIMARY KEY (litellm_provider);

ALTER TABLE ONLY aigw.credentials
    ADD CONSTRAINT credentials_pkey PRIMARY KEY (provider);

ALTER TABLE ONLY aigw.models
    ADD CONSTRAINT models_pkey PRIMARY KEY (id);

ALTER TABLE ONLY aigw.providers
    ADD CONSTRAINT providers_pkey PRIMARY KEY (name);

CREATE INDEX models_provider_idx ON aigw.models USING btree (provider);

ALTER TABLE ONLY aigw.catalogue_providers
    ADD CONSTRAINT catalogue_providers_provider_fkey FOREIGN KEY (provider) REFERENCES aigw.providers(name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY aigw.credentials
    ADD CONSTRAINT credentials_provider_fkey FOREIGN KEY (provider) REFERENCES aigw.providers(name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY aigw.models
    ADD CONSTRAINT models_provider_fkey FOREIGN KEY (provider) REFERENCES aigw.providers(name) ON UPDATE CASCADE;

GRANT SELECT ON TABLE aigw.models TO aigw_user;
GRANT SELECT ON TABLE aigw.models TO aigw_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE aigw.models TO aigw_admin;

GRANT SELECT ON TABLE aigw.providers TO aigw_user;
GRANT SELECT ON TABLE aigw.providers TO aigw_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE aigw.providers TO aigw_admin;

GRANT SELECT ON TABLE aigw.catalogue_providers TO aigw_user;
GRANT SELECT ON TABLE aigw.catalogue_providers TO aigw_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE aigw.catalogue_providers TO aigw_admin;

-- What pg_dump keeps of this topic's tables (the rest CREATE EXTENSION makes again).
SELECT pg_catalog.pg_extension_config_dump('aigw.credentials', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.providers', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.models', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.catalogue_providers', 'WHERE origin <> ''shipped''');
