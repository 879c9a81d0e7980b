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

-- BEGIN GENERATED CATALOGUE
-- END GENERATED CATALOGUE
