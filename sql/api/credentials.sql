-- Provider keys: stored encrypted under the master key, re-sealed on
-- rotation and on a provider's rename.

CREATE FUNCTION aigw.credentials_reseal() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_credentials_reseal';

CREATE FUNCTION aigw.rotate_credentials() RETURNS integer
    LANGUAGE c SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS 'MODULE_PATHNAME', 'aigw_rotate_credentials';

COMMENT ON FUNCTION aigw.rotate_credentials() IS 'Re-encrypt under aigw.master_key_file every credential encrypted under aigw.previous_master_key_file; returns how many. All or nothing: a credential neither key decrypts fails the whole rotation.';

CREATE FUNCTION aigw.set_credential(provider text, secret text) RETURNS void
    LANGUAGE c SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS 'MODULE_PATHNAME', 'aigw_set_credential';

COMMENT ON FUNCTION aigw.set_credential(provider text, secret text) IS 'Store (or, with a NULL secret, remove) the API key of a provider, encrypted under the master key (aigw.master_key_file). The key is never shown again.';

CREATE FUNCTION aigw.sigv4_debug(context jsonb, request text) RETURNS TABLE(canonical_request text, string_to_sign text, signature text, "authorization" text)
    LANGUAGE c STRICT
    AS 'MODULE_PATHNAME', 'aigw_sigv4_debug';

COMMENT ON FUNCTION aigw.sigv4_debug(context jsonb, request text) IS 'Signs a raw HTTP request (request line, headers, blank line, body) with AWS Signature Version 4 as described by a context.json of AWS''s test suite (credentials, region, service, timestamp, normalize, sign_body, omit_session_token) and returns the canonical request, string to sign, signature and Authorization header. For testing the signer; sends nothing.';

REVOKE ALL ON FUNCTION aigw.credentials_reseal() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.rotate_credentials() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.rotate_credentials() TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.set_credential(provider text, secret text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.set_credential(provider text, secret text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.sigv4_debug(context jsonb, request text) FROM PUBLIC;
