-- The group roles (cluster-wide: created when missing, left behind by DROP
-- EXTENSION) and the schema of the HTTP surface.  The schema aigw itself is
-- made by CREATE EXTENSION (aigw.control: schema = aigw).

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['aigw_user', 'aigw_reader', 'aigw_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    -- an administrator may also call models and read all usage
    FOREACH r IN ARRAY ARRAY['aigw_user', 'aigw_reader'] LOOP
        IF NOT pg_catalog.pg_has_role('aigw_admin', r, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO aigw_admin', r);
        END IF;
    END LOOP;
END
$roles$;

CREATE SCHEMA aigw_api;

COMMENT ON SCHEMA aigw_api IS 'HTTP surface for PostgREST: POST /rpc/chat_completions (OpenAI), /rpc/messages (Anthropic), GET /rpc/models, /rpc/balance, /rpc/usage.';

GRANT USAGE ON SCHEMA aigw_api TO aigw_user;
