-- aigw 0.5.0 -> 0.6.0: tenants.  Three group roles carry every privilege
-- (nothing is granted to PUBLIC any more), row-level security shows each
-- role its own calls, wallets can be shared and defaulted per role, limits
-- per role or wallet are enforced in shared memory, and schema aigw_api
-- is the PostgREST-ready HTTP surface.

\echo Use "ALTER EXTENSION aigw UPDATE TO '0.6.0'" to load this file. \quit

--------------------------------------------------------------------------
-- The group roles.  Roles belong to the cluster, not to a database or an
-- extension: they are created here when missing (so a second database
-- reuses them) and DROP EXTENSION leaves them behind.
--------------------------------------------------------------------------
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

--------------------------------------------------------------------------
-- Who is asking.  PostgREST switches to the JWT's role and puts the
-- token's claims in request.jwt.claims; outside PostgREST there are none.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.jwt_claim(claim text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> claim;
COMMENT ON FUNCTION aigw.jwt_claim(text) IS
    'A claim of the JWT PostgREST verified for this request (request.jwt.claims), or NULL.';

CREATE FUNCTION aigw.end_user() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN aigw.jwt_claim('sub');
COMMENT ON FUNCTION aigw.end_user() IS
    'The end user of this request: the JWT''s "sub" claim, recorded in aigw.requests.end_user; NULL outside PostgREST.';

CREATE FUNCTION aigw.sees_all() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_has_role('aigw_admin', 'USAGE') OR pg_has_role('aigw_reader', 'USAGE');
COMMENT ON FUNCTION aigw.sees_all() IS
    'Whether the current role reads every tenant''s usage (it has the privileges of aigw_admin or aigw_reader).';

-- Roles whose privileges the current role has: their calls are its calls.
CREATE FUNCTION aigw.my_roles() RETURNS name[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN ARRAY(SELECT r.rolname FROM pg_roles r WHERE pg_has_role(r.oid, 'USAGE'));

--------------------------------------------------------------------------
-- Team wallets and default wallets
--------------------------------------------------------------------------
CREATE TABLE aigw.wallet_grants (
    wallet_id   bigint NOT NULL REFERENCES aigw.wallets (id) ON DELETE CASCADE,
    grantee     regrole NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    granted_by  name NOT NULL DEFAULT session_user,
    PRIMARY KEY (wallet_id, grantee)
);
COMMENT ON TABLE aigw.wallet_grants IS
    'Roles that may spend from (and read) a wallet besides its owner: aigw.grant_wallet / aigw.revoke_wallet.';

CREATE TABLE aigw.role_wallets (
    role        regrole PRIMARY KEY,
    wallet_id   bigint NOT NULL REFERENCES aigw.wallets (id) ON DELETE CASCADE,
    set_at      timestamptz NOT NULL DEFAULT now(),
    set_by      name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE aigw.role_wallets IS
    'The wallet a role''s calls spend from when neither the call option "wallet", a JWT "wallet" claim nor SET aigw.wallet names one: aigw.set_default_wallet.';

CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.wallet_grants
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.role_wallets
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

-- The roles that may spend from a wallet (its owner first), for policies
-- and for aigw's C code; runs as the tables' owner.
CREATE FUNCTION aigw.wallet_spenders(wallet bigint) RETURNS oid[]
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN ARRAY(SELECT w.owner::oid FROM aigw.wallets w WHERE w.id = wallet
             UNION ALL
             SELECT g.grantee::oid FROM aigw.wallet_grants g WHERE g.wallet_id = wallet);

CREATE FUNCTION aigw.default_wallet(role oid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT w.name FROM aigw.role_wallets d JOIN aigw.wallets w ON w.id = d.wallet_id
         WHERE d.role = default_wallet.role);
COMMENT ON FUNCTION aigw.default_wallet(oid) IS 'The default wallet of a role (aigw.set_default_wallet), or NULL.';

-- The wallet a call made now would spend from (the call option aside).
CREATE FUNCTION aigw.current_wallet() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN coalesce(aigw.jwt_claim('wallet'),
                nullif(current_setting('aigw.wallet', true), ''),
                aigw.default_wallet((SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user)));
COMMENT ON FUNCTION aigw.current_wallet() IS
    'The wallet a call of this session would spend from: the JWT''s "wallet" claim, else SET aigw.wallet, else the role''s default wallet.';

CREATE FUNCTION aigw.wallet_id_of(wallet text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result bigint;
BEGIN
    SELECT w.id INTO result FROM aigw.wallets w WHERE w.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet "%" does not exist', wallet
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM aigw.wallets lists the wallets.';
    END IF;
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION aigw.wallet_id_of(text) FROM PUBLIC;

CREATE FUNCTION aigw.grant_wallet(wallet text, grantee regrole) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF grantee IS NULL THEN
        RAISE EXCEPTION 'grant_wallet needs a role' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    INSERT INTO aigw.wallet_grants (wallet_id, grantee)
    VALUES (aigw.wallet_id_of(wallet), grantee)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION aigw.grant_wallet(text, regrole) IS
    'Let a role (and every role with its privileges) spend from and read a wallet.';

CREATE FUNCTION aigw.revoke_wallet(wallet text, grantee regrole) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM aigw.wallet_grants g
     WHERE g.wallet_id = aigw.wallet_id_of(wallet) AND g.grantee = revoke_wallet.grantee;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END
$$;
COMMENT ON FUNCTION aigw.revoke_wallet(text, regrole) IS
    'Take back aigw.grant_wallet; returns whether there was such a grant.  Calls in flight finish.';

CREATE FUNCTION aigw.set_default_wallet(role regrole, wallet text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    wid bigint;
    spenders oid[];
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'set_default_wallet needs a role' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF wallet IS NULL THEN
        DELETE FROM aigw.role_wallets d WHERE d.role = set_default_wallet.role;
        RETURN;
    END IF;
    wid := aigw.wallet_id_of(wallet);
    spenders := aigw.wallet_spenders(wid);
    IF NOT EXISTS (SELECT 1 FROM unnest(spenders) s WHERE pg_has_role(role::oid, s, 'USAGE')) THEN
        RAISE EXCEPTION 'role "%" may not spend from wallet "%"', role, wallet
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A default wallet must be one the role may use: its owner''s, or one granted to it.',
                  HINT = format('First SELECT aigw.grant_wallet(%L, %L).', wallet, role::text);
    END IF;
    INSERT INTO aigw.role_wallets (role, wallet_id) VALUES (role, wid)
    ON CONFLICT ON CONSTRAINT role_wallets_pkey
    DO UPDATE SET wallet_id = EXCLUDED.wallet_id, set_at = now(), set_by = session_user;
END
$$;
COMMENT ON FUNCTION aigw.set_default_wallet(regrole, text) IS
    'The wallet a role''s calls spend from when nothing else names one (NULL wallet: none).';

--------------------------------------------------------------------------
-- Who pays and who called: the end user on every attempt and charge.
--------------------------------------------------------------------------
ALTER TABLE aigw.requests ADD COLUMN end_user text;
ALTER TABLE aigw.ledger ADD COLUMN end_user text;
COMMENT ON COLUMN aigw.requests.end_user IS
    'The end user the call was made for: the "sub" claim of the JWT of a PostgREST request; NULL otherwise.';
CREATE INDEX ON aigw.requests (end_user, created_at) WHERE end_user IS NOT NULL;

-- billing_quote also returns who may spend from the wallet.
DROP FUNCTION aigw.billing_quote(text, text, timestamptz);
CREATE FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamptz)
RETURNS TABLE (wallets_exist boolean, wallet_id bigint, wallet_xmin xid, wallet_owner oid,
               wallet_enabled boolean, currency text, scale integer, credit_limit_units bigint,
               price_currency text, input_per_mtok text, output_per_mtok text,
               cached_input_per_mtok text, reasoning_per_mtok text,
               max_input_rate numeric, max_output_rate numeric, fx numeric, fx_rate text,
               model_max_output_tokens bigint, model_context_window bigint,
               balance_units bigint, balance_version bigint, price_scale integer,
               valid_until timestamptz, cache_write_per_mtok text, wallet_grantees oid[])
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM aigw.wallets),
           w.id, w.xmin, w.owner::oid, w.enabled, w.currency, c.minor_units + 6,
           (w.credit_limit * 10::numeric ^ (c.minor_units + 6))::bigint,
           p.currency, p.input_per_mtok::text, p.output_per_mtok::text,
           p.cached_input_per_mtok::text, p.reasoning_per_mtok::text,
           greatest(p.input_per_mtok, coalesce(p.cached_input_per_mtok, 0), coalesce(p.cache_write_per_mtok, 0)),
           greatest(p.output_per_mtok, coalesce(p.reasoning_per_mtok, 0)),
           fx.rate,
           CASE WHEN p.currency <> w.currency THEN fx.rate::text END,
           m.max_output_tokens, m.context_window,
           (b.balance * 10::numeric ^ (c.minor_units + 6))::bigint, b.version,
           pc.minor_units + 6,
           least(p.valid_to, next_price.valid_from, fx.valid_until),
           p.cache_write_per_mtok::text,
           ARRAY(SELECT g.grantee::oid FROM aigw.wallet_grants g WHERE g.wallet_id = w.id)
      FROM (SELECT 1) AS one
      LEFT JOIN aigw.wallets w ON w.name = wallet_name
      LEFT JOIN aigw.currencies c ON c.code = w.currency
      LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
      LEFT JOIN aigw.models m ON m.id = model_id
      LEFT JOIN LATERAL (
            SELECT pr.* FROM aigw.prices pr
             WHERE pr.model = model_id AND pr.valid_from <= at AND (pr.valid_to IS NULL OR pr.valid_to > at)
             ORDER BY pr.currency = w.currency DESC NULLS LAST, pr.currency = 'USD' DESC, pr.currency
             LIMIT 1) p ON true
      LEFT JOIN aigw.currencies pc ON pc.code = p.currency
      LEFT JOIN LATERAL (SELECT min(nx.valid_from) AS valid_from FROM aigw.prices nx
                          WHERE nx.model = model_id AND nx.valid_from > at) next_price ON true
      LEFT JOIN LATERAL aigw.fx_quote(p.currency, w.currency, at) fx ON true;
END;

--------------------------------------------------------------------------
-- Limits per role or per wallet, read by aigw's C code (limits.c) and
-- enforced through shared memory: nothing is written per call.
--------------------------------------------------------------------------
CREATE TABLE aigw.limits (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role                 regrole,
    wallet               text REFERENCES aigw.wallets (name) ON UPDATE CASCADE ON DELETE CASCADE,
    requests_per_minute  integer CHECK (requests_per_minute > 0),
    tokens_per_minute    bigint CHECK (tokens_per_minute > 0),
    max_in_flight        integer CHECK (max_in_flight > 0),
    allowed_models       text[] CHECK (cardinality(allowed_models) > 0
                                       AND array_position(allowed_models, NULL) IS NULL),
    max_cost_per_call    numeric CHECK (max_cost_per_call >= 0),
    spend_per_day        numeric CHECK (spend_per_day >= 0),
    currency             text NOT NULL DEFAULT 'USD' REFERENCES aigw.currencies (code),
    enabled              boolean NOT NULL DEFAULT true,
    note                 text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IS NULL) <> (wallet IS NULL))
);
COMMENT ON TABLE aigw.limits IS
    'Limits on the calls of a role (and of every role that is a member of it, together) or on a wallet, enforced before anything is sent, across all sessions: requests and tokens per rolling minute, calls in flight, allowed model patterns (* matches anything: ''openai/*'', ''auto/*''), worst-case cost per call and spend per UTC day (both in currency). Changes apply to the next call.';
COMMENT ON COLUMN aigw.limits.allowed_models IS
    'Patterns the model of each attempt must match (* is a wildcard); a meta-model or route the caller named that matches lets through whatever it picks.';
COMMENT ON COLUMN aigw.limits.tokens_per_minute IS
    'Prompt + completion tokens of the answers of the last 60 s; a call is refused while they are at the limit.';
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.limits
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

-- For limits.c, as the tables' owner: the enabled limits of this database.
CREATE FUNCTION aigw.limits_catalogue()
RETURNS TABLE (id bigint, role oid, wallet text, requests_per_minute integer,
               tokens_per_minute bigint, max_in_flight integer, allowed_models text[],
               max_cost_per_call numeric, spend_per_day numeric, currency text, scale integer)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT l.id, l.role::oid, l.wallet, l.requests_per_minute, l.tokens_per_minute, l.max_in_flight,
           l.allowed_models, l.max_cost_per_call, l.spend_per_day, l.currency, c.minor_units + 6
      FROM aigw.limits l JOIN aigw.currencies c ON c.code = l.currency
     WHERE l.enabled
     ORDER BY l.id;
END;
REVOKE ALL ON FUNCTION aigw.limits_catalogue() FROM PUBLIC;

-- Spend counted against a limit today (UTC) before this server started
-- counting it in shared memory, in the limit's currency.
CREATE FUNCTION aigw.limit_spent_today(limit_id bigint)
RETURNS numeric
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(sum(r.cost * CASE WHEN r.currency = l.currency THEN 1
                                      ELSE (SELECT f.rate FROM aigw.fx_quote(r.currency, l.currency, r.created_at) f)
                                 END), 0)
      FROM aigw.limits l
      JOIN aigw.requests r
        ON r.created_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
       AND r.cost > 0
       AND CASE WHEN l.wallet IS NOT NULL
                THEN r.wallet_id = (SELECT w.id FROM aigw.wallets w WHERE w.name = l.wallet)
                ELSE r.role_name IN (SELECT m.rolname FROM pg_roles m
                                      WHERE pg_has_role(m.oid, l.role::oid, 'MEMBER'))
           END
     WHERE l.id = limit_id;
END;
REVOKE ALL ON FUNCTION aigw.limit_spent_today(bigint) FROM PUBLIC;

CREATE FUNCTION aigw.limit_usage()
RETURNS TABLE (limit_id bigint, requests_last_minute integer, tokens_last_minute bigint,
               in_flight integer, spent_today_units bigint, reserved_units bigint)
AS 'MODULE_PATHNAME', 'aigw_limit_usage'
LANGUAGE C VOLATILE;

CREATE VIEW aigw.limit_status WITH (security_invoker = true) AS
    SELECT l.id, l.role, l.wallet, l.enabled,
           l.requests_per_minute, coalesce(u.requests_last_minute, 0) AS requests_last_minute,
           l.tokens_per_minute, coalesce(u.tokens_last_minute, 0) AS tokens_last_minute,
           l.max_in_flight, coalesce(u.in_flight, 0) AS in_flight,
           l.spend_per_day, aigw.from_units(coalesce(u.spent_today_units, 0), l.currency) AS spent_today,
           aigw.from_units(coalesce(u.reserved_units, 0), l.currency) AS reserved,
           l.max_cost_per_call, l.allowed_models, l.currency
      FROM aigw.limits l
      LEFT JOIN aigw.limit_usage() u ON u.limit_id = l.id;
COMMENT ON VIEW aigw.limit_status IS
    'Each limit you may read and how much of it is used now (from shared memory: every session of this database).';

-- Measure the limit check: n admissions and releases of a call by the
-- current role on its wallet, through the same code as a call.
CREATE FUNCTION aigw.limit_check_cost(n integer, model text DEFAULT 'openai/gpt-4o-mini')
RETURNS TABLE (limits_checked integer, ns_per_check double precision)
AS 'MODULE_PATHNAME', 'aigw_limit_check_cost'
LANGUAGE C VOLATILE STRICT;

--------------------------------------------------------------------------
-- Row-level security: a role sees its own calls (and, under a JWT with a
-- "sub", only that end user's), aigw_admin and aigw_reader see all.
-- Scalar subqueries keep each helper to one evaluation per query.
--------------------------------------------------------------------------
ALTER TABLE aigw.requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON aigw.requests FOR SELECT USING (
    (SELECT aigw.sees_all())
    OR (role_name = ANY (coalesce((SELECT aigw.my_roles()), '{}'))
        AND ((SELECT aigw.end_user()) IS NULL OR end_user = (SELECT aigw.end_user()))));

DROP POLICY owner_reads ON aigw.wallets;
CREATE POLICY tenant_reads ON aigw.wallets FOR SELECT USING (
    (SELECT aigw.sees_all())
    OR (EXISTS (SELECT 1 FROM unnest(aigw.wallet_spenders(id)) s(role) WHERE pg_has_role(s.role, 'USAGE'))
        AND ((SELECT aigw.end_user()) IS NULL OR name = (SELECT aigw.current_wallet()))));

CREATE POLICY admin_updates ON aigw.wallets FOR UPDATE USING (pg_has_role('aigw_admin', 'USAGE'));

DROP POLICY owner_reads ON aigw.wallet_balances;
CREATE POLICY tenant_reads ON aigw.wallet_balances FOR SELECT
    USING (EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.id = wallet_id));

DROP POLICY owner_reads ON aigw.ledger;
CREATE POLICY tenant_reads ON aigw.ledger FOR SELECT USING (
    (SELECT aigw.sees_all())
    OR EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.id = wallet_id));

ALTER TABLE aigw.wallet_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON aigw.wallet_grants FOR SELECT USING (
    (SELECT aigw.sees_all()) OR EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.id = wallet_id));
ALTER TABLE aigw.role_wallets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON aigw.role_wallets FOR SELECT USING (
    (SELECT aigw.sees_all()) OR pg_has_role(role::oid, 'USAGE'));

ALTER TABLE aigw.limits ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_writes ON aigw.limits USING (pg_has_role('aigw_admin', 'USAGE'));
CREATE POLICY tenant_reads ON aigw.limits FOR SELECT USING (
    (SELECT aigw.sees_all())
    OR (role IS NOT NULL AND pg_has_role(role::oid, 'MEMBER'))
    OR EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.name = wallet));

ALTER TABLE aigw.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON aigw.jobs FOR SELECT USING (
    (SELECT aigw.sees_all()) OR role_name = ANY (coalesce((SELECT aigw.my_roles()), '{}')));
ALTER TABLE aigw.job_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON aigw.job_errors FOR SELECT
    USING (EXISTS (SELECT 1 FROM aigw.jobs j WHERE j.id = job_id));

-- A job's bookkeeping runs as the role that runs it (as the tables' owner,
-- current_user was the owner and every job was recorded as the owner's):
-- each role writes its own rows only.
ALTER FUNCTION aigw.job_start(regclass, text, text, text, jsonb, bigint, numeric) SECURITY INVOKER;
ALTER FUNCTION aigw.job_report(bigint, bigint, bigint, integer, numeric, text, text) SECURITY INVOKER;
ALTER FUNCTION aigw.job_error(bigint, tid, text) SECURITY INVOKER;
CREATE POLICY own_inserts ON aigw.jobs FOR INSERT WITH CHECK (role_name = current_user);
CREATE POLICY own_updates ON aigw.jobs FOR UPDATE
    USING (role_name = current_user) WITH CHECK (role_name = current_user);
CREATE POLICY own_inserts ON aigw.job_errors FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM aigw.jobs j WHERE j.id = job_id AND j.role_name = current_user));
ALTER VIEW aigw.job_progress SET (security_invoker = true);

-- A submitted call remembers its end user (the JWT's "sub") for the dispatcher.
ALTER TABLE aigw.submissions ADD COLUMN end_user text;
DROP FUNCTION aigw.submission_queue(text, jsonb, jsonb, oid, name);
CREATE FUNCTION aigw.submission_queue(model text, messages jsonb, options jsonb, role_oid oid,
                                      role_name name, end_user text)
RETURNS bigint
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO aigw.submissions (model, messages, options, role_oid, role_name, end_user)
    VALUES (model, messages, options, role_oid, role_name, end_user)
    RETURNING id;
END;

-- A role's own submitted calls; an administrator's, all of them.
CREATE OR REPLACE VIEW aigw.results AS
    SELECT id, status, response, error, call_id, model, submitted_at, started_at, finished_at
      FROM aigw.submissions
     WHERE role_name = current_user OR pg_has_role('aigw_admin', 'USAGE');

--------------------------------------------------------------------------
-- Privileges: none for PUBLIC; everything through the three roles.
--------------------------------------------------------------------------
REVOKE ALL ON SCHEMA aigw FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA aigw FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA aigw FROM PUBLIC;
REVOKE ALL ON ALL ROUTINES IN SCHEMA aigw FROM PUBLIC;
GRANT USAGE ON SCHEMA aigw TO aigw_user, aigw_reader, aigw_admin;

-- Helpers that policies and views evaluate as the querying role.
GRANT EXECUTE ON FUNCTION aigw.jwt_claim(text), aigw.end_user(), aigw.sees_all(), aigw.my_roles(),
      aigw.wallet_spenders(bigint), aigw.default_wallet(oid), aigw.current_wallet(),
      aigw.ledger_scale(text), aigw.from_units(bigint, text), aigw.fx_quote(text, text, timestamptz),
      aigw.fx_rate(text, text, timestamptz), aigw.token_cost(bigint, bigint, bigint, bigint, bigint,
      numeric, numeric, numeric, numeric, numeric), aigw.wallet_reservations(),
      aigw.circuit_states(), aigw.limit_usage()
   TO aigw_user, aigw_reader;

-- Catalogue and configuration: readable by users and readers.
GRANT SELECT ON aigw.providers, aigw.models, aigw.credential_status, aigw.catalogue_providers,
      aigw.currencies, aigw.prices, aigw.fx_rates, aigw.routes, aigw.provider_health
   TO aigw_user, aigw_reader;

-- Usage: each role its own rows (policies above); readers and admins all.
GRANT SELECT ON aigw.requests, aigw.calls, aigw.ledger, aigw.wallets, aigw.wallet_balances,
      aigw.wallet_status, aigw.wallet_grants, aigw.role_wallets, aigw.limits, aigw.limit_status,
      aigw.spend_daily, aigw.spend_by_model, aigw.spend_by_tag, aigw.spend_by_role,
      aigw.job_errors, aigw.job_progress
   TO aigw_user, aigw_reader;
GRANT SELECT, INSERT, UPDATE ON aigw.jobs TO aigw_user;
GRANT INSERT ON aigw.job_errors TO aigw_user;
-- a reader sees every job but not its prompt or options (they carry prompt text)
GRANT SELECT (id, kind, source, target_column, model, state, rows_total, rows_done, rows_failed,
              calls_in_flight, cost, currency, max_cost, role_name, backend_pid, started_at,
              updated_at, finished_at)
   ON aigw.jobs TO aigw_reader;
GRANT SELECT ON aigw.results TO aigw_user;

-- Calling models.
GRANT EXECUTE ON FUNCTION aigw.chat(text, jsonb, jsonb), aigw.ask(text, text, jsonb),
      aigw.auto(text, jsonb, jsonb), aigw.chat_many(text, jsonb[], jsonb),
      aigw.anthropic_messages(jsonb), aigw.route_explain(text, jsonb, jsonb),
      aigw.submit(text, jsonb, jsonb), aigw.wait(bigint[], integer),
      aigw.balance(text), aigw.statement(text, timestamptz, timestamptz),
      aigw.template_sql(regclass, text), aigw.json_or_null(text),
      aigw.enrich_answers(text, jsonb[], jsonb),
      aigw.job_start(regclass, text, text, text, jsonb, bigint, numeric),
      aigw.job_report(bigint, bigint, bigint, integer, numeric, text, text),
      aigw.job_error(bigint, tid, text)
   TO aigw_user;
GRANT EXECUTE ON PROCEDURE aigw.enrich(regclass, text, text, text, jsonb),
      aigw.enrich_estimate(regclass, text, text, text, jsonb, bigint)
   TO aigw_user;

-- Administration.
GRANT INSERT, UPDATE, DELETE ON aigw.providers, aigw.models, aigw.routes, aigw.catalogue_providers
   TO aigw_admin;
GRANT UPDATE (credit_limit, enabled) ON aigw.wallets TO aigw_admin;
GRANT INSERT, UPDATE, DELETE ON aigw.limits TO aigw_admin;
GRANT SELECT ON aigw.results TO aigw_admin;
GRANT SELECT ON aigw.jobs TO aigw_admin;
GRANT EXECUTE ON FUNCTION aigw.set_credential(text, text),
      aigw.set_price(text, numeric, numeric, text, numeric, timestamptz, numeric, numeric, text),
      aigw.set_fx(text, text, numeric, timestamptz, text),
      aigw.create_wallet(text, text, numeric, regrole), aigw.set_credit_limit(text, numeric),
      aigw.topup(text, numeric, text, text, text), aigw.refund(bigint, numeric, text),
      aigw.adjust(text, numeric, text), aigw.verify_ledger(), aigw.pool_status(),
      aigw.import_catalogue(jsonb, timestamptz), aigw.reset_circuit(text), aigw.cache_purge(),
      aigw.grant_wallet(text, regrole), aigw.revoke_wallet(text, regrole),
      aigw.set_default_wallet(regrole, text), aigw.limit_check_cost(integer, text)
   TO aigw_admin;

--------------------------------------------------------------------------
-- aigw_api: the schema PostgREST serves (db-schemas = aigw_api).  Each
-- function takes the request body as one unnamed jsonb parameter; errors
-- come back as the provider's own error body with the HTTP status and
-- headers set through PostgREST's response.status / response.headers.
--------------------------------------------------------------------------
CREATE SCHEMA aigw_api;
COMMENT ON SCHEMA aigw_api IS
    'HTTP surface for PostgREST: POST /rpc/chat_completions (OpenAI), /rpc/messages (Anthropic), GET /rpc/models, /rpc/balance, /rpc/usage.';
GRANT USAGE ON SCHEMA aigw_api TO aigw_user;

-- An aigw error as (HTTP status, error type, error code, Retry-After seconds).
CREATE FUNCTION aigw.http_error_class(sqlstate text, message text, hint text,
                                      OUT status integer, OUT type text, OUT code text,
                                      OUT retry_after integer)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    retry_after := NULL;
    CASE
        WHEN sqlstate = '5G020' THEN status := 402; type := 'insufficient_quota'; code := 'insufficient_funds';
        WHEN sqlstate = '5G021' THEN status := 402; type := 'insufficient_quota'; code := 'no_wallet';
        WHEN sqlstate = '5G030' THEN status := 429; type := 'rate_limit_exceeded'; code := 'limit_exceeded';
            retry_after := substring(hint FROM 'in ([0-9]+) s')::integer;
        WHEN sqlstate = '5G031' THEN status := 403; type := 'permission_error'; code := 'model_not_allowed';
        WHEN sqlstate = '42501' THEN status := 403; type := 'permission_error'; code := 'permission_denied';
        WHEN sqlstate = '42704' AND message LIKE 'wallet %' THEN
            status := 402; type := 'insufficient_quota'; code := 'no_wallet';
        WHEN sqlstate = '42704' THEN status := 404; type := 'invalid_request_error'; code := 'model_not_found';
        WHEN sqlstate = '5G001' OR sqlstate LIKE '22%' OR sqlstate = '54000' OR sqlstate = '0A000'
            THEN status := 400; type := 'invalid_request_error'; code := 'invalid_request';
        WHEN sqlstate = '5G004' THEN status := 429; type := 'rate_limit_exceeded'; code := 'upstream_rate_limited';
            retry_after := substring(hint FROM 'after ([0-9]+) seconds')::integer;
        WHEN sqlstate = '5G006' THEN status := 504; type := 'api_error'; code := 'upstream_timeout';
        WHEN sqlstate IN ('5G012', '5G013') THEN status := 503; type := 'api_error'; code := 'no_upstream_available';
        WHEN sqlstate IN ('5G022', '5G023', '5G011') THEN status := 503; type := 'api_error'; code := 'model_not_configured';
        WHEN sqlstate LIKE '5G00%' THEN status := 502; type := 'api_error'; code := 'upstream_error';
        ELSE status := 500; type := 'api_error'; code := 'internal_error';
    END CASE;
END
$$;

-- Set the HTTP status (and Retry-After) PostgREST answers with.
CREATE FUNCTION aigw.http_respond(status integer, retry_after integer) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT set_config('response.status', status::text, true);
    SELECT set_config('response.headers',
                      CASE WHEN retry_after IS NOT NULL
                           THEN jsonb_build_array(jsonb_build_object('Retry-After', retry_after::text))::text
                           ELSE '[]' END, true);
END;

-- The OpenAI error body for a caught error; sets status and headers.
CREATE FUNCTION aigw.openai_error(sqlstate text, message text, detail text, hint text, param text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    c := aigw.http_error_class(sqlstate, message, hint);
    PERFORM aigw.http_respond(c.status, c.retry_after);
    RETURN jsonb_build_object('error', jsonb_strip_nulls(jsonb_build_object(
        'message', message, 'type', c.type, 'param', param, 'code', c.code,
        'sqlstate', sqlstate, 'detail', detail, 'hint', hint)));
END
$$;

-- The Anthropic error body for a caught error.
CREATE FUNCTION aigw.anthropic_error(sqlstate text, message text, detail text, hint text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    c := aigw.http_error_class(sqlstate, message, hint);
    PERFORM aigw.http_respond(c.status, c.retry_after);
    RETURN jsonb_build_object('type', 'error', 'error', jsonb_strip_nulls(jsonb_build_object(
        'type', CASE c.status WHEN 400 THEN 'invalid_request_error' WHEN 402 THEN 'billing_error'
                              WHEN 403 THEN 'permission_error' WHEN 404 THEN 'not_found_error'
                              WHEN 429 THEN 'rate_limit_error' WHEN 503 THEN 'overloaded_error'
                              ELSE 'api_error' END,
        'message', message, 'code', c.code, 'sqlstate', sqlstate, 'detail', detail, 'hint', hint)));
END
$$;

-- A request body problem, raised before anything is sent.
CREATE FUNCTION aigw.bad_body(field text, problem text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'invalid request body: "%" %', field, problem
        USING ERRCODE = 'invalid_parameter_value', DETAIL = field,
              HINT = 'The body is an OpenAI chat-completions request: {"model": "...", "messages": [...], ...}.';
END
$$;

-- A caught error as an OpenAI error body: a body problem (aigw.bad_body)
-- names its field as "param".
CREATE FUNCTION aigw.openai_error_caught(sqlstate text, message text, detail text, hint text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN message LIKE 'invalid request body: %'
            THEN aigw.openai_error(sqlstate, message, NULL, nullif(hint, ''), detail)
            ELSE aigw.openai_error(sqlstate, message, nullif(detail, ''), nullif(hint, '')) END;

CREATE FUNCTION aigw_api.chat_completions(jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    body jsonb := $1;
    st text; msg text; det text; hnt text;
BEGIN
    IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
        PERFORM aigw.bad_body('body', 'must be a JSON object');
    ELSIF jsonb_typeof(body -> 'model') IS DISTINCT FROM 'string' THEN
        PERFORM aigw.bad_body('model', 'is required and must be a string');
    ELSIF jsonb_typeof(body -> 'messages') IS DISTINCT FROM 'array' THEN
        PERFORM aigw.bad_body('messages', 'is required and must be an array');
    ELSIF body ? 'wallet' THEN
        -- the token decides who pays, never the body
        PERFORM aigw.bad_body('wallet', 'is not accepted over HTTP: the JWT''s "wallet" claim or the role''s default wallet pays');
    END IF;
    RETURN aigw.chat(body ->> 'model', body -> 'messages', body - 'model' - 'messages' - 'user');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN aigw.openai_error_caught(st, msg, det, hnt);
END
$$;
COMMENT ON FUNCTION aigw_api.chat_completions(jsonb) IS
    'POST /rpc/chat_completions: an OpenAI chat-completions request body in, the chat.completion (with the "aigw" object) out; errors as OpenAI error bodies with their HTTP status.';

CREATE FUNCTION aigw_api.messages(jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    IF $1 IS NULL OR jsonb_typeof($1) <> 'object' THEN
        RAISE EXCEPTION 'invalid request body: "body" must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN aigw.anthropic_messages($1);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN aigw.anthropic_error(st, msg, nullif(det, ''), nullif(hnt, ''));
END
$$;
COMMENT ON FUNCTION aigw_api.messages(jsonb) IS
    'POST /rpc/messages: an Anthropic Messages request in, a Messages response out; errors as Anthropic error bodies with their HTTP status.';

-- Whether the current role (and the wallet it would spend from) may call a model.
-- the same rule a call is held to (usage_limits.c), for /rpc/models
CREATE FUNCTION aigw.model_allowed(model text) RETURNS boolean
AS 'MODULE_PATHNAME', 'aigw_model_allowed'
LANGUAGE C STABLE STRICT;
GRANT EXECUTE ON FUNCTION aigw.model_allowed(text) TO aigw_user;

CREATE FUNCTION aigw_api.models() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object('object', 'list', 'data', coalesce(jsonb_agg(m.entry ORDER BY m.id), '[]'))
      FROM (
        SELECT m.id, jsonb_strip_nulls(jsonb_build_object(
                   'id', m.id, 'object', 'model', 'created', 0, 'owned_by', m.provider,
                   'context_window', m.context_window, 'max_output_tokens', m.max_output_tokens,
                   'capabilities', to_jsonb(m.capabilities),
                   'pricing', (SELECT jsonb_build_object('currency', p.currency,
                                                         'input_per_mtok', p.input_per_mtok,
                                                         'output_per_mtok', p.output_per_mtok,
                                                         'cached_input_per_mtok', p.cached_input_per_mtok)
                                 FROM aigw.prices p
                                WHERE p.model = m.id AND p.valid_from <= now()
                                  AND (p.valid_to IS NULL OR p.valid_to > now())
                                ORDER BY p.currency = 'USD' DESC, p.currency LIMIT 1))) AS entry
          FROM aigw.models m
          JOIN aigw.providers pr ON pr.name = m.provider
          JOIN aigw.credential_status cs ON cs.provider = m.provider
         WHERE m.enabled AND pr.enabled AND (cs.is_set OR pr.auth_scheme = 'none')
           AND aigw.model_allowed(m.id)
        UNION ALL
        SELECT s.id, jsonb_build_object('id', s.id, 'object', 'model', 'created', 0, 'owned_by', 'aigw')
          FROM (SELECT 'auto/' || strategy AS id FROM unnest(ARRAY['best', 'cheapest', 'fastest']) strategy
                UNION ALL
                SELECT 'route/' || r.name FROM aigw.routes r WHERE r.enabled) s
         WHERE aigw.model_allowed(s.id)
      ) m;
END;
COMMENT ON FUNCTION aigw_api.models() IS
    'GET /rpc/models: the models the caller may use (enabled, with a key, allowed by its limits), meta-models and routes included, in OpenAI''s /v1/models list shape with prices.';

CREATE FUNCTION aigw_api.balance() RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w_name text := aigw.current_wallet();
    result jsonb;
BEGIN
    IF w_name IS NULL THEN
        RETURN aigw.openai_error('5G021', 'no wallet is selected for this caller', NULL,
                                 'Give the token a "wallet" claim, or have an administrator run aigw.set_default_wallet().');
    END IF;
    SELECT jsonb_build_object('object', 'balance', 'wallet', s.wallet, 'currency', s.currency,
                              'balance', s.balance, 'reserved', s.reserved, 'available', s.available,
                              'credit_limit', s.credit_limit, 'calls_in_flight', s.calls_in_flight)
      INTO result
      FROM aigw.wallet_status s WHERE s.wallet = w_name;
    IF result IS NULL THEN
        RETURN aigw.openai_error('42501', format('role "%s" may not use wallet "%s"', current_user, w_name),
                                 NULL, 'An administrator can run aigw.grant_wallet().');
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION aigw_api.balance() IS 'GET /rpc/balance: the wallet the caller spends from, its balance, reservations and what is left.';

CREATE FUNCTION aigw_api.usage("from" timestamptz DEFAULT date_trunc('month', now()),
                               "to" timestamptz DEFAULT now() + interval '1 second')
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH mine AS (
        SELECT * FROM aigw.requests r
         WHERE r.created_at >= usage."from" AND r.created_at < usage."to"),
    by_model AS (
        SELECT coalesce(served_model, requested_model) AS model, currency,
               count(*) AS requests, count(*) FILTER (WHERE status = 'ok') AS answered,
               coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
               coalesce(sum(completion_tokens), 0) AS completion_tokens,
               coalesce(sum(cost), 0) AS cost
          FROM mine GROUP BY 1, 2)
    SELECT jsonb_build_object(
        'object', 'usage', 'from', usage."from", 'to', usage."to",
        'end_user', aigw.end_user(),
        'requests', (SELECT count(*) FROM mine),
        'prompt_tokens', (SELECT coalesce(sum(prompt_tokens), 0) FROM mine),
        'completion_tokens', (SELECT coalesce(sum(completion_tokens), 0) FROM mine),
        'cost', (SELECT coalesce(jsonb_object_agg(currency, cost), '{}')
                   FROM (SELECT currency, sum(cost) AS cost FROM mine WHERE currency IS NOT NULL
                          GROUP BY currency) c),
        'by_model', (SELECT coalesce(jsonb_agg(to_jsonb(b) ORDER BY b.model), '[]') FROM by_model b));
END;
COMMENT ON FUNCTION aigw_api.usage(timestamptz, timestamptz) IS
    'POST /rpc/usage {"from": ..., "to": ...}: the caller''s requests, tokens and spend in [from, to), per model (its own rows only, by row-level security).';

REVOKE ALL ON ALL ROUTINES IN SCHEMA aigw_api FROM PUBLIC;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA aigw_api TO aigw_user;
GRANT EXECUTE ON FUNCTION aigw.openai_error(text, text, text, text, text),
      aigw.anthropic_error(text, text, text, text), aigw.http_error_class(text, text, text),
      aigw.http_respond(integer, integer), aigw.bad_body(text, text),
      aigw.openai_error_caught(text, text, text, text)
   TO aigw_user;

-- Functions created above after the first REVOKE got PUBLIC's default
-- EXECUTE: take it back (the grants to the three roles stay).
REVOKE ALL ON ALL ROUTINES IN SCHEMA aigw FROM PUBLIC;

-- Users' data: pg_dump keeps it.
SELECT pg_catalog.pg_extension_config_dump('aigw.wallet_grants', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.role_wallets', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.limits', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.limits_id_seq', '');
