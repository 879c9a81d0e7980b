-- aigw 0.8.0 -> 0.9.0: money and data safety.  Charges bounded by their
-- reservation, an intent row made durable before a request leaves, every
-- table an administrator changes in the dump, keys encrypted at rest.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.9.0'" to load this file. \quit

--------------------------------------------------------------------------
-- Charges bounded by their reservation (DESIGN.md, invariant 9).  The
-- token columns hold what was charged, which never exceeds the bounds the
-- reservation was computed from; when an upstream's own figures were not
-- charged as reported (above the bounds, missing, negative or not a
-- number), the row says so in usage_anomaly and keeps them in
-- upstream_usage.  Counts are bigint: an upstream may report anything.
--------------------------------------------------------------------------
-- aigw_api.usage reads aigw.requests.*, which pins the columns' types.
DROP FUNCTION aigw_api.usage(timestamptz, timestamptz);

ALTER TABLE aigw.requests
    ALTER COLUMN prompt_tokens TYPE bigint,
    ALTER COLUMN completion_tokens TYPE bigint,
    ALTER COLUMN cached_tokens TYPE bigint,
    ALTER COLUMN reasoning_tokens TYPE bigint,
    ALTER COLUMN cache_write_tokens TYPE bigint,
    ADD COLUMN usage_anomaly text CHECK (usage_anomaly IN ('over_bound', 'missing')),
    ADD COLUMN upstream_usage jsonb,
    ADD CHECK ((usage_anomaly IS NULL) OR status IN ('ok', 'unknown'));
COMMENT ON COLUMN aigw.requests.prompt_tokens IS
    'Prompt tokens charged: the upstream''s count, bounded by the request''s size (and images), the bound its reservation was computed from.';
COMMENT ON COLUMN aigw.requests.completion_tokens IS
    'Completion tokens charged: the upstream''s count, bounded by max_tokens x n (else the model''s output limit), the bound its reservation was computed from.';
COMMENT ON COLUMN aigw.requests.usage_anomaly IS
    'Why the tokens charged are not the upstream''s own figures: over_bound (it reported more than the call could use; charged at the bound), missing (no usage, or a count that is negative or not a whole number; charged at the bounds, the call''s reservation). NULL: charged as reported.';
COMMENT ON COLUMN aigw.requests.upstream_usage IS
    'The upstream''s own usage object, as it sent it, when it was not charged as reported (usage_anomaly is set).';

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
REVOKE ALL ON FUNCTION aigw_api.usage(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aigw_api.usage(timestamptz, timestamptz) TO aigw_user;

--------------------------------------------------------------------------
-- A crash loses no served call (DESIGN.md, invariant 8).  A pool worker
-- inserts each attempt's row as 'pending' and flushes that commit before
-- the request leaves; settling the attempt completes the same row (its
-- indexed columns unchanged, so the update can stay HOT: hence half of
-- each page left free; with 64 calls in flight, 83 % of the updates were
-- HOT at fillfactor 50 against 45 % at 70).  A row still pending when a pool starts again belonged to
-- a worker that died with the call in flight: it becomes 'unknown' and is
-- charged its reservation, since the provider may have served and billed
-- it (aigw.resolve_intents).
--------------------------------------------------------------------------
ALTER TABLE aigw.requests DROP CONSTRAINT requests_status_check;
ALTER TABLE aigw.requests ADD CONSTRAINT requests_status_check
    CHECK (status IN ('ok', 'cache_hit', 'http_error', 'timeout', 'connect_error', 'cancelled',
                      'malformed', 'too_large', 'aborted', 'pending', 'unknown'));
ALTER TABLE aigw.requests DROP CONSTRAINT requests_error_check;
ALTER TABLE aigw.requests ADD CONSTRAINT requests_error_check
    CHECK ((status IN ('ok', 'cache_hit', 'pending')) = (error IS NULL));
ALTER TABLE aigw.requests ADD COLUMN worker_pid integer;
ALTER TABLE aigw.requests SET (fillfactor = 50);
COMMENT ON COLUMN aigw.requests.worker_pid IS
    'The pool worker that sent the attempt (NULL: nothing was sent). While the status is pending, the worker has it in flight.';
COMMENT ON COLUMN aigw.requests.status IS
    'ok, cache_hit, http_error, timeout, connect_error, cancelled, malformed, too_large, aborted; pending while in flight; unknown when the worker that had it in flight died (a crash, a kill, an immediate shutdown): the provider may have served it, so it is charged its reservation.';

-- A charge above the reservation it was made under is a problem too.
CREATE OR REPLACE FUNCTION aigw.verify_ledger()
RETURNS TABLE (wallet text, currency text, balance numeric, ledger_sum numeric,
               cached_balance numeric, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH sums AS (
        SELECT l.wallet_id, sum(l.amount) AS total,
               bool_or(l.amount <> round(l.amount, aigw.ledger_scale(l.currency))) AS unrounded
          FROM aigw.ledger l GROUP BY l.wallet_id
    ), over_reserved AS (
        SELECT l.wallet_id, count(*) AS charges
          FROM aigw.ledger l JOIN aigw.requests r ON r.id = l.request_id
         WHERE l.kind = 'charge' AND -l.amount > coalesce(r.reserved, 0)
         GROUP BY l.wallet_id
    )
    SELECT * FROM (
        SELECT w.name, w.currency, b.balance, coalesce(s.total, 0),
               aigw.from_units(r.cached_balance_units, w.currency),
               concat_ws('; ',
                   CASE WHEN b.balance IS NULL THEN 'no balance row' END,
                   CASE WHEN b.balance <> coalesce(s.total, 0) THEN 'balance is not the sum of the ledger' END,
                   CASE WHEN s.unrounded THEN 'ledger amounts finer than the ledger scale' END,
                   CASE WHEN o.charges > 0 THEN o.charges || ' charges above their reservation' END,
                   CASE WHEN r.cached_version = b.version
                             AND r.cached_balance_units <> b.balance * 10::numeric ^ aigw.ledger_scale(w.currency)
                        THEN 'shared-memory balance differs from the table' END) AS problem
          FROM aigw.wallets w
          LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
          LEFT JOIN sums s ON s.wallet_id = w.id
          LEFT JOIN over_reserved o ON o.wallet_id = w.id
          LEFT JOIN aigw.wallet_reservations() r ON r.wallet_id = w.id) v
     WHERE v.problem <> ''
$$;

-- What a pool worker runs when it starts, before it sends anything:
-- resolve the attempts that workers no longer alive left pending, and mark
-- interrupted the jobs whose session is gone.  Serialized per database (the
-- pool's workers start together).  The live workers are read after the
-- statement's snapshot is taken, so an intent visible to it belongs to a
-- worker that was already registered, and is not resolved while alive.
-- Returns each charged wallet's new balance (for the shared-memory cache)
-- and how many attempts it resolved; wallet_id NULL: those no wallet pays.
CREATE FUNCTION aigw.resolve_intents()
RETURNS TABLE (wallet_id bigint, balance_units bigint, balance_version bigint, attempts bigint)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_advisory_xact_lock(hashtext('aigw.resolve_intents'));
    UPDATE aigw.jobs j
       SET state = 'interrupted', calls_in_flight = 0,
           updated_at = clock_timestamp(), finished_at = clock_timestamp()
     WHERE j.state = 'running'
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = j.backend_pid);
    WITH o AS (
        UPDATE aigw.requests r
           SET status = 'unknown', finished_at = clock_timestamp(),
               error = 'the aigw worker that had this call in flight stopped (a crash, a kill or an immediate shutdown) before its outcome was logged; the provider may have served it, so it is charged its reservation',
               cost = CASE WHEN r.wallet_id IS NOT NULL THEN r.reserved END
         WHERE r.status = 'pending'
           AND r.worker_pid <> ALL (ARRAY(SELECT p.pid FROM aigw.pool_status() p
                                           WHERE p.database_name = current_database()
                                             AND p.pid <> pg_backend_pid()))
        RETURNING r.*
    ), c AS (
        INSERT INTO aigw.ledger (wallet_id, currency, kind, amount, request_id, model, provider,
                                 role_name, tags, created_by, end_user, note)
        SELECT o.wallet_id, o.currency, 'charge', -o.cost, o.id, o.served_model, o.provider,
               o.role_name, o.tags, o.role_name, o.end_user, 'outcome unknown: charged its reservation'
          FROM o WHERE o.wallet_id IS NOT NULL AND o.cost > 0
    ), w AS (
        SELECT o.wallet_id, sum(o.cost) AS total, count(*) AS n
          FROM o WHERE o.wallet_id IS NOT NULL AND o.cost > 0 GROUP BY o.wallet_id
    ), b AS (
        UPDATE aigw.wallet_balances wb
           SET balance = wb.balance - w.total, version = wb.version + 1, updated_at = now()
          FROM w JOIN aigw.wallets ww ON ww.id = w.wallet_id
         WHERE wb.wallet_id = w.wallet_id
        RETURNING wb.wallet_id, (wb.balance * 10::numeric ^ aigw.ledger_scale(ww.currency))::int8 AS units,
                  wb.version
    )
    SELECT b.wallet_id, b.units, b.version, w.n FROM b JOIN w ON w.wallet_id = b.wallet_id
    UNION ALL
    SELECT NULL, NULL, NULL, count(*) FROM o WHERE NOT (o.wallet_id IS NOT NULL AND o.cost > 0);
$$;
REVOKE ALL ON FUNCTION aigw.resolve_intents() FROM PUBLIC;
COMMENT ON FUNCTION aigw.resolve_intents() IS
    'Internal, run by a pool worker as it starts: attempts left pending by workers that died become unknown and are charged their reservation; jobs whose session is gone become interrupted.';

--------------------------------------------------------------------------
-- Keys encrypted at rest (issue 18, defect 4).  aigw.credentials keeps
-- ciphertext only: AES-256-GCM under a master key read by the server from
-- aigw.master_key_file / aigw.master_key_command at start, never stored in
-- the database.  The keys 0.8.0 stored in clear are encrypted here, by a
-- rewrite of the table (its old file, which held them, is removed when this
-- update commits); without a master key this update fails and changes
-- nothing, unless there is no key to encrypt.
--------------------------------------------------------------------------
CREATE FUNCTION aigw._seal_clear_credential(provider text, secret text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'aigw_seal_clear_credential'
LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION aigw._seal_clear_credential(text, text) FROM PUBLIC;

ALTER TABLE aigw.credentials
    ALTER COLUMN secret TYPE bytea USING aigw._seal_clear_credential(provider, secret);
ALTER TABLE aigw.credentials RENAME COLUMN secret TO ciphertext;
DROP FUNCTION aigw._seal_clear_credential(text, text);

ALTER TABLE aigw.credentials ADD CONSTRAINT credentials_sealed
    CHECK (octet_length(ciphertext) > 37 AND get_byte(ciphertext, 0) = 1);
COMMENT ON TABLE aigw.credentials IS
    'Provider API keys, encrypted. No grant to any role: read only by aigw''s own C code, and decrypted only by its pool workers. Set with aigw.set_credential(); see aigw.credential_status for what is configured.';
-- Dumped like the rest of the configuration: ciphertext, restorable on a
-- server with the same master key.
SELECT pg_catalog.pg_extension_config_dump('aigw.credentials', '');
COMMENT ON COLUMN aigw.credentials.ciphertext IS
    'AES-256-GCM: version byte 1 | master key id (8 bytes: the start of SHA-256 of the master key) | nonce (12) | ciphertext | tag (16); the provider''s name is authenticated with it, so a ciphertext copied to another row does not decrypt.';

-- Which master key each credential is under: what a rotation still has to do.
CREATE OR REPLACE VIEW aigw.credential_status AS
    SELECT p.name AS provider, p.auth_scheme,
           (c.provider IS NOT NULL) AS is_set,
           c.updated_at, c.updated_by,
           encode(substring(c.ciphertext FROM 2 FOR 8), 'hex') AS master_key_id
      FROM aigw.providers p LEFT JOIN aigw.credentials c ON c.provider = p.name;
COMMENT ON VIEW aigw.credential_status IS
    'Which providers have a credential, when it was set, by whom, and the id of the master key it is encrypted under; never the secret.';

CREATE FUNCTION aigw.rotate_credentials()
RETURNS integer
AS 'MODULE_PATHNAME', 'aigw_rotate_credentials'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION aigw.rotate_credentials() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aigw.rotate_credentials() TO aigw_admin;
COMMENT ON FUNCTION aigw.rotate_credentials() IS
    'Re-encrypt under aigw.master_key_file every credential encrypted under aigw.previous_master_key_file; returns how many. All or nothing: a credential neither key decrypts fails the whole rotation.';

-- The provider's name is part of what a credential is sealed with: a rename
-- (which cascades to aigw.credentials) re-seals it under the new name.
CREATE FUNCTION aigw.credentials_reseal()
RETURNS trigger
AS 'MODULE_PATHNAME', 'aigw_credentials_reseal'
LANGUAGE C;
REVOKE ALL ON FUNCTION aigw.credentials_reseal() FROM PUBLIC;
CREATE TRIGGER reseal_on_rename BEFORE UPDATE OF provider ON aigw.credentials
    FOR EACH ROW EXECUTE FUNCTION aigw.credentials_reseal();
ALTER TABLE aigw.credentials ENABLE ALWAYS TRIGGER reseal_on_rename;

COMMENT ON FUNCTION aigw.set_credential(text, text) IS
    'Store (or, with a NULL secret, remove) the API key of a provider, encrypted under the master key (aigw.master_key_file). The key is never shown again.';

-- Backup and restore (issue 18, defect 3): pg_dump keeps every table an
-- administrator or a user changes.
--
-- Five tables hold rows aigw ships beside rows an administrator adds or
-- changes: providers, models, prices, currencies, catalogue_providers.
-- CREATE EXTENSION (which pg_restore runs before it loads any data) makes
-- the shipped rows again, so pg_dump must carry exactly the others:
--   * origin says where each row comes from: 'shipped' (as aigw's scripts
--     wrote it), 'changed' (a row aigw ships, changed by someone else:
--     a provider's base_url, a model disabled, a price period closed by
--     aigw.set_price) or 'added'.  Only aigw's own install and upgrade
--     scripts write 'shipped' (aigw.installing() says when they run); any
--     other insert or update makes the row 'changed' or 'added', whatever
--     origin it names.  pg_dump dumps the rows that are not 'shipped'.
--   * Restoring a 'changed' row meets the untouched copy CREATE EXTENSION
--     made under the same key: instead of failing on the key, the insert
--     becomes an update of that copy (only of an untouched 'shipped' one:
--     inserting the key of a row already changed or added is still an
--     error).
--   * aigw.deleted_rows remembers the key of every row aigw ships that an
--     administrator deleted (or renamed); restoring it deletes the copy
--     CREATE EXTENSION made again.
--   * A price period restored where CREATE EXTENSION made an untouched
--     shipped one that overlaps it wins (the dumped database did not have
--     that shipped period, or had it closed: its own copy follows in the
--     same load), so the load works in any order.
--   * A shipped price records valid_from as created_at and 'aigw' as
--     created_by, not when and by whom it was installed: the copy CREATE
--     EXTENSION makes at a restore is the same row.
-- Every other table an administrator or user changes was already dumped
-- whole (wallets, ledger, fx_rates, requests, routes, limits, jobs, ...);
-- aigw.credentials (no shipped rows: keys, as stored) and
-- aigw.deleted_rows are now too.  aigw.response_cache is not: it is a cache
-- of answers, refilled by calls, that would only make dumps bigger.
--
-- The rule for every later release (and for the sections below this one):
--   * Ship a new row with INSERT ... ON CONFLICT DO NOTHING: it is marked
--     'shipped'; a key an administrator deleted is not brought back (the
--     trigger skips it) and an administrator's own row under the key is
--     kept as it is (and becomes 'changed', so that deleting it is
--     remembered).
--   * Change a shipped row only WHERE origin = 'shipped': a row an
--     administrator changed is theirs.  An upgrade script's UPDATE keeps
--     the origin it finds.
--   * Delete a shipped row only WHERE origin = 'shipped' (no tombstone is
--     written for what a release removes).
-- A database updated from 0.8.0 or earlier has no record of what was
-- changed: its rows are compared with what 0.8.0 shipped (the generated
-- fingerprints below).  So a section of this file that changes rows of the
-- five tables goes after this one (or the fingerprints are generated
-- again).  pg_dump orders the tables' data by their foreign keys
-- (providers, then models, then prices); pg_restore -j does not keep that
-- order (README, "Backup and restore").
--------------------------------------------------------------------------
CREATE FUNCTION aigw.installing() RETURNS boolean
AS 'MODULE_PATHNAME', 'aigw_installing'
LANGUAGE C STABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION aigw.installing() FROM PUBLIC;
COMMENT ON FUNCTION aigw.installing() IS
    'Whether the running statement is part of aigw''s own install or upgrade script (CREATE EXTENSION aigw, ALTER EXTENSION aigw UPDATE): what marks a row as shipped.';

-- The primary key of a row as jsonb, timestamps in UTC so that the same key
-- is the same jsonb whatever the session's TimeZone.
CREATE FUNCTION aigw.row_key(r anyelement) RETURNS jsonb
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_object_agg(a.attname, to_jsonb(r) -> a.attname::text)
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indisprimary
       AND i.indrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = pg_typeof(r))
$$;
REVOKE ALL ON FUNCTION aigw.row_key(anyelement) FROM PUBLIC;

-- BEGIN SHIPPED FINGERPRINT
-- What a row of the five tables held as aigw 0.8.0 shipped it, in 16 hex
-- digits: the columns of 0.8.0 (not who inserted it nor when), timestamps
-- in UTC.  Used below, once, to tell the rows of a database updated from an
-- earlier release that are still as shipped; scripts/gen_shipped_rows.py
-- computes the shipped values with it.
CREATE FUNCTION aigw.shipped_fingerprint(r anyelement) RETURNS text
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
SET search_path = pg_catalog, pg_temp
AS $$
SELECT left(md5((
    SELECT jsonb_agg(to_jsonb(r) -> c ORDER BY n)
      FROM unnest(CASE pg_typeof(r)
               WHEN 'aigw.providers'::regtype THEN
                   ARRAY['name', 'api_style', 'base_url', 'auth_scheme', 'enabled', 'request_timeout_ms',
                         'connect_timeout_ms', 'extra_headers', 'description', 'api_version']
               WHEN 'aigw.models'::regtype THEN
                   ARRAY['id', 'provider', 'upstream_model', 'context_window', 'max_output_tokens', 'capabilities',
                         'enabled', 'quality', 'quality_source', 'kind', 'dimensions', 'max_inputs_per_request',
                         'max_tokens_per_request', 'dimensions_settable']
               WHEN 'aigw.prices'::regtype THEN
                   ARRAY['model', 'currency', 'input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok',
                         'cache_write_per_mtok', 'reasoning_per_mtok', 'valid_from', 'valid_to', 'source']
               WHEN 'aigw.currencies'::regtype THEN ARRAY['code', 'minor_units', 'name']
               WHEN 'aigw.catalogue_providers'::regtype THEN ARRAY['litellm_provider', 'provider', 'key_prefix']
           END) WITH ORDINALITY AS u(c, n))::text), 16)
$$;
-- END SHIPPED FINGERPRINT
REVOKE ALL ON FUNCTION aigw.shipped_fingerprint(anyelement) FROM PUBLIC;

ALTER TABLE aigw.providers ADD COLUMN origin text NOT NULL DEFAULT 'added'
    CHECK (origin IN ('shipped', 'changed', 'added'));
ALTER TABLE aigw.models ADD COLUMN origin text NOT NULL DEFAULT 'added'
    CHECK (origin IN ('shipped', 'changed', 'added'));
ALTER TABLE aigw.prices ADD COLUMN origin text NOT NULL DEFAULT 'added'
    CHECK (origin IN ('shipped', 'changed', 'added'));
ALTER TABLE aigw.currencies ADD COLUMN origin text NOT NULL DEFAULT 'added'
    CHECK (origin IN ('shipped', 'changed', 'added'));
ALTER TABLE aigw.catalogue_providers ADD COLUMN origin text NOT NULL DEFAULT 'added'
    CHECK (origin IN ('shipped', 'changed', 'added'));
COMMENT ON COLUMN aigw.providers.origin IS
    'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';
COMMENT ON COLUMN aigw.models.origin IS
    'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';
COMMENT ON COLUMN aigw.prices.origin IS
    'shipped: as aigw shipped it; changed: shipped, then changed here (a period closed by aigw.set_price); added: added here. pg_dump keeps the rows that are not shipped.';
COMMENT ON COLUMN aigw.currencies.origin IS
    'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';
COMMENT ON COLUMN aigw.catalogue_providers.origin IS
    'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';

CREATE TABLE aigw.deleted_rows (
    table_name  text NOT NULL
                CHECK (table_name IN ('providers', 'models', 'prices', 'currencies', 'catalogue_providers')),
    key         jsonb NOT NULL CHECK (jsonb_typeof(key) = 'object'),
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    deleted_by  name NOT NULL DEFAULT session_user,
    PRIMARY KEY (table_name, key)
);
COMMENT ON TABLE aigw.deleted_rows IS
    'Rows aigw ships that this database does not have: deleted (or renamed) by an administrator, or missing when it was updated to aigw 0.9.0. A restore deletes them again after CREATE EXTENSION has made them; a later release does not bring them back. key is the row''s primary key (timestamps in UTC). Inserting the row again removes its entry.';
GRANT SELECT ON aigw.deleted_rows TO aigw_user, aigw_reader;

--------------------------------------------------------------------------
-- Prices: a change of origin alone is bookkeeping, not a change of price;
-- and the restore of a dump may close or remove a period CREATE EXTENSION
-- has just made (aigw.shipped_rows and aigw.deleted_rows do, from inside
-- their triggers), since the dumped database had it closed or did not have
-- it.  Everything else is as before: a period that has taken effect keeps
-- its rates, and periods of a model and currency do not overlap.
--------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION aigw.prices_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'origin') = (to_jsonb(OLD) - 'origin') THEN
        RETURN NEW;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.valid_from <= now() THEN
        IF pg_trigger_depth() > 1 AND OLD.origin = 'shipped'
           AND (TG_OP = 'DELETE'
                OR (NEW.origin = 'changed'
                    AND (NEW.model, NEW.currency, NEW.input_per_mtok, NEW.output_per_mtok,
                         NEW.cached_input_per_mtok, NEW.cache_write_per_mtok, NEW.reasoning_per_mtok, NEW.valid_from)
                        IS NOT DISTINCT FROM
                        (OLD.model, OLD.currency, OLD.input_per_mtok, OLD.output_per_mtok,
                         OLD.cached_input_per_mtok, OLD.cache_write_per_mtok, OLD.reasoning_per_mtok, OLD.valid_from))) THEN
            NULL;   -- a restore giving back the history the dumped database had
        ELSIF TG_OP = 'DELETE'
           OR (NEW.model, NEW.currency, NEW.input_per_mtok, NEW.output_per_mtok,
               NEW.cached_input_per_mtok, NEW.cache_write_per_mtok, NEW.reasoning_per_mtok, NEW.valid_from)
              IS DISTINCT FROM
              (OLD.model, OLD.currency, OLD.input_per_mtok, OLD.output_per_mtok,
               OLD.cached_input_per_mtok, OLD.cache_write_per_mtok, OLD.reasoning_per_mtok, OLD.valid_from)
           OR NEW.valid_to < now() OR OLD.valid_to <= now() THEN
            RAISE EXCEPTION 'price of model "%" in % from % has taken effect and cannot be changed',
                    OLD.model, OLD.currency, OLD.valid_from
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'Charges made at this price must stay reproducible; only a price period that has not ended can be closed.',
                      HINT = 'Set a new price from now on with aigw.set_price().';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.created_at < now() THEN
        -- A period recorded before this transaction began is being restored
        -- from a dump (aigw.set_price and a plain INSERT record now()).  A
        -- shipped period it overlaps, untouched here, was not in the dumped
        -- database as it is here (see above): it gives way.
        DELETE FROM aigw.prices p
         WHERE p.model = NEW.model AND p.currency = NEW.currency AND p.valid_from <> NEW.valid_from
           AND p.origin = 'shipped'
           AND tstzrange(p.valid_from, p.valid_to) && tstzrange(NEW.valid_from, NEW.valid_to);
    END IF;
    IF EXISTS (SELECT 1 FROM aigw.prices p
                WHERE p.model = NEW.model AND p.currency = NEW.currency
                  AND p.valid_from <> NEW.valid_from
                  AND tstzrange(p.valid_from, p.valid_to) && tstzrange(NEW.valid_from, NEW.valid_to)) THEN
        RAISE EXCEPTION 'price of model "%" in % from % overlaps another price period', NEW.model, NEW.currency, NEW.valid_from
            USING ERRCODE = 'exclusion_violation',
                  HINT = 'Use aigw.set_price(), which closes the period in force.';
    END IF;
    RETURN NEW;
END
$$;

-- BEGIN GENERATED SHIPPED ROWS
-- Generated by scripts/gen_shipped_rows.py from a fresh install of aigw 0.8.0: the key and
-- fingerprint of each row it ships.  Do not edit by hand: change the script and run it
-- with --write.  A row still as shipped becomes 'shipped', one changed since 'changed',
-- and a shipped key this database does not have is recorded in aigw.deleted_rows.
-- providers: 19, models: 293, prices: 293, currencies: 18, catalogue_providers: 19 rows.
WITH shipped (name, fp) AS (VALUES
    ('anthropic', '97c1d9209afa686b'),
    ('azure', '04ae7bc3abc912fd'),
    ('bedrock', '4ff1b6b09c8c1ce3'),
    ('cerebras', '2177ea7a97532a8b'),
    ('deepinfra', '622da5016091c183'),
    ('deepseek', 'f6b2e07564633335'),
    ('fireworks', 'aeed0997d32afa40'),
    ('gemini', '06c91c72e326b368'),
    ('groq', '2b6c04392fd456e6'),
    ('mistral', 'c7eaf8c91dd3af50'),
    ('moonshot', 'b03f71c90ddad566'),
    ('openai', '6fdfb2f383e93be6'),
    ('openrouter', 'f96333bf911eb851'),
    ('perplexity', '15d0f811f74cef5a'),
    ('qwen', '8a432e4aee2dab60'),
    ('sambanova', '3e15a1392eaf3def'),
    ('together', 'fbcd364bd193d3f3'),
    ('xai', '06264ab21f04f2d0'),
    ('zai', 'babc11d7053eeeb3')
), marked AS (
    UPDATE aigw.providers t SET origin = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN 'shipped' ELSE 'changed' END
      FROM shipped s WHERE t.name = s.name
    RETURNING t.*
)
INSERT INTO aigw.deleted_rows (table_name, key)
SELECT 'providers', aigw.row_key(r)
  FROM shipped s, jsonb_populate_record(NULL::aigw.providers, jsonb_build_object('name', s.name)) r
 WHERE NOT EXISTS (SELECT 1 FROM marked t WHERE t.name = s.name);

WITH shipped (id, fp) AS (VALUES
    ('anthropic/claude-fable-5', '04a80f3d6bfc732a'),
    ('anthropic/claude-haiku-4-5', '851b3423ae368d83'),
    ('anthropic/claude-opus-4-1', '54a1605381ae9fb1'),
    ('anthropic/claude-opus-4-5', 'e890314c409368df'),
    ('anthropic/claude-opus-4-6', '73ce7f2a4f314b51'),
    ('anthropic/claude-opus-4-7', '647c0282b2b5bd28'),
    ('anthropic/claude-opus-4-8', '050ea16781c54a21'),
    ('anthropic/claude-opus-5', 'c31421b0c1a8103d'),
    ('anthropic/claude-sonnet-4-5', '3722c54f8eff05c6'),
    ('anthropic/claude-sonnet-4-6', '87f99a0b3d84203e'),
    ('anthropic/claude-sonnet-5', 'faac2d5e59253e9d'),
    ('bedrock/amazon.nova-lite-v1:0', '8b9c52eff8583ae8'),
    ('bedrock/amazon.nova-micro-v1:0', 'f1ce5fdda5bdf0bb'),
    ('bedrock/amazon.nova-pro-v1:0', '4ec1012eb6078aca'),
    ('bedrock/amazon.titan-embed-text-v1', '5adf208bcb82da0a'),
    ('bedrock/amazon.titan-embed-text-v2:0', '34df940b98dbf251'),
    ('bedrock/anthropic.claude-3-haiku-20240307-v1:0', 'd01b55e79802b012'),
    ('bedrock/cohere.embed-english-v3', 'a7e7c04c027932e4'),
    ('bedrock/cohere.embed-multilingual-v3', 'b8b272a74f3ed20a'),
    ('bedrock/cohere.embed-v4:0', '62f4a8b879e882e9'),
    ('bedrock/deepseek.v3-v1:0', '9802e6e16db9bab3'),
    ('bedrock/deepseek.v3.2', '583a507317d05c8e'),
    ('bedrock/global.amazon.nova-2-lite-v1:0', '2617df793c38a43e'),
    ('bedrock/global.anthropic.claude-fable-5', '2b58d7801f70b00c'),
    ('bedrock/global.anthropic.claude-haiku-4-5-20251001-v1:0', 'c3f670d9140b2543'),
    ('bedrock/global.anthropic.claude-opus-4-5-20251101-v1:0', 'a2a9e7a75f558013'),
    ('bedrock/global.anthropic.claude-opus-4-6-v1', '2ae90d102a92d515'),
    ('bedrock/global.anthropic.claude-opus-4-7', 'c0cceb0b51b24b7e'),
    ('bedrock/global.anthropic.claude-opus-4-8', 'f9dca3854a7e4dba'),
    ('bedrock/global.anthropic.claude-opus-5', '338648fb3f051729'),
    ('bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'e38e6b336c8d1c61'),
    ('bedrock/global.anthropic.claude-sonnet-4-6', '6e7d80dfc4d043c1'),
    ('bedrock/global.anthropic.claude-sonnet-5', 'cf44d4ea864d3432'),
    ('bedrock/google.gemma-3-27b-it', 'f391030e3c46c6b3'),
    ('bedrock/minimax.minimax-m2.1', '9bac8cd5eb8d96d4'),
    ('bedrock/minimax.minimax-m2.5', 'abeff343bc4dabed'),
    ('bedrock/mistral.devstral-2-123b', 'cedd7610a30defb4'),
    ('bedrock/mistral.magistral-small-2509', 'dd57ec03aeb2a0b9'),
    ('bedrock/mistral.ministral-3-14b-instruct', 'e4370e89587e9160'),
    ('bedrock/mistral.ministral-3-8b-instruct', 'dc30ccfa9e54d9eb'),
    ('bedrock/mistral.mistral-large-3-675b-instruct', '9b47f583ebc3d79a'),
    ('bedrock/moonshot.kimi-k2-thinking', 'a50c3721f69bf24e'),
    ('bedrock/moonshotai.kimi-k2.5', '3cb269a61fb49440'),
    ('bedrock/nvidia.nemotron-nano-3-30b', 'a44fa8b53e4faa83'),
    ('bedrock/nvidia.nemotron-super-3-120b', '582236d600cc4ecb'),
    ('bedrock/openai.gpt-oss-120b-1:0', 'fb330bc1660967b8'),
    ('bedrock/openai.gpt-oss-20b-1:0', '9edf2455b58a8b69'),
    ('bedrock/qwen.qwen3-235b-a22b-2507-v1:0', '809b0e3531fe1110'),
    ('bedrock/qwen.qwen3-32b-v1:0', '8b9365b2c51c3d67'),
    ('bedrock/qwen.qwen3-coder-30b-a3b-v1:0', 'fb1a83d4fc759022'),
    ('bedrock/qwen.qwen3-coder-480b-a35b-v1:0', 'edd2944d14b4006b'),
    ('bedrock/qwen.qwen3-next-80b-a3b', 'dc652673bb03bec6'),
    ('bedrock/qwen.qwen3-vl-235b-a22b', 'b7d0f11c38a57c46'),
    ('bedrock/us.amazon.nova-premier-v1:0', 'ea1355bcba3192b6'),
    ('bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0', 'b5db9a77a8442b55'),
    ('bedrock/us.deepseek.r1-v1:0', '372c1d4e9550c39a'),
    ('bedrock/us.meta.llama3-3-70b-instruct-v1:0', '6271eb72c5800dc7'),
    ('bedrock/us.meta.llama4-maverick-17b-instruct-v1:0', '68620c0e8ca78407'),
    ('bedrock/us.meta.llama4-scout-17b-instruct-v1:0', '852c006f0a12dc89'),
    ('bedrock/us.mistral.pixtral-large-2502-v1:0', '37571604d7af49fd'),
    ('bedrock/us.writer.palmyra-x5-v1:0', '8ced48b1de11fa47'),
    ('bedrock/zai.glm-4.7', '379990076b13b14f'),
    ('bedrock/zai.glm-4.7-flash', '017ef1f5f1f393df'),
    ('bedrock/zai.glm-5', 'decaf01d90592eb6'),
    ('cerebras/gpt-oss-120b', '06e3571f64168d84'),
    ('cerebras/llama-3.3-70b', 'd6deb4e9f22efa88'),
    ('cerebras/llama3.1-8b', 'd2af46ea4ebcede7'),
    ('cerebras/qwen-3-32b', 'b2a42320137dd49f'),
    ('cerebras/zai-glm-4.7', '43b8b342f3029286'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507', 'b48c45edbff90d46'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507', 'a8f411dc97ad2bea'),
    ('deepinfra/Qwen/Qwen3-32B', 'f55dfe43b5eb7105'),
    ('deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct', '1658c2f054eface0'),
    ('deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct', '725f8025eceddbd3'),
    ('deepinfra/deepseek-ai/DeepSeek-R1-0528', '914271e57f572c4f'),
    ('deepinfra/deepseek-ai/DeepSeek-V3.1', 'fc7d587496be4548'),
    ('deepinfra/google/gemma-3-27b-it', '29b557524ff23638'),
    ('deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'cdc68576e7f0973a'),
    ('deepinfra/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', '919bf92e2eb597ea'),
    ('deepinfra/meta-llama/Llama-4-Scout-17B-16E-Instruct', '359ee19178c11178'),
    ('deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct', '8a02273fb3bcbdd2'),
    ('deepinfra/microsoft/phi-4', '25bad6d4bae50975'),
    ('deepinfra/mistralai/Mistral-Nemo-Instruct-2407', '7f3e9c1b7f67e0da'),
    ('deepinfra/mistralai/Mistral-Small-3.2-24B-Instruct-2506', '8e33e9fcd7748eb7'),
    ('deepinfra/moonshotai/Kimi-K2-Instruct-0905', 'dc4609a2b2ec95b3'),
    ('deepinfra/nvidia/Llama-3.3-Nemotron-Super-49B-v1.5', 'f6a0811ce0c675d0'),
    ('deepinfra/openai/gpt-oss-120b', '98632b9811e87c92'),
    ('deepinfra/openai/gpt-oss-20b', 'dc7b8be6ff4beccb'),
    ('deepinfra/zai-org/GLM-4.5', '737b4b6ab30d0e9f'),
    ('deepseek/deepseek-chat', '9889fb8a77b0bf3c'),
    ('deepseek/deepseek-reasoner', 'f693078e88ef9ad8'),
    ('deepseek/deepseek-v4-flash', 'db9143ce03f72699'),
    ('deepseek/deepseek-v4-pro', '45a7711c573758bd'),
    ('fireworks/accounts/fireworks/models/deepseek-r1-0528', 'c9ebf83dded115fc'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p1', '8af58a611cb07878'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p2', '1521d7621f7c1778'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-flash', '3f5f646757208a47'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-pro', '3489a3c2182c5656'),
    ('fireworks/accounts/fireworks/models/glm-4p5-air', '1544f8ff5046b227'),
    ('fireworks/accounts/fireworks/models/glm-4p7', '7950c330052167c4'),
    ('fireworks/accounts/fireworks/models/glm-5p1', '4cc2238d8bf6eba7'),
    ('fireworks/accounts/fireworks/models/glm-5p2', 'e931dc35ba9b1888'),
    ('fireworks/accounts/fireworks/models/gpt-oss-120b', '1e263d85450526d8'),
    ('fireworks/accounts/fireworks/models/gpt-oss-20b', 'd683bb4160a56aad'),
    ('fireworks/accounts/fireworks/models/kimi-k2-instruct-0905', '4c1530b5827a38e3'),
    ('fireworks/accounts/fireworks/models/kimi-k2-thinking', '295d274d5368ef53'),
    ('fireworks/accounts/fireworks/models/kimi-k2p5', '71b7a93c19f325d3'),
    ('fireworks/accounts/fireworks/models/kimi-k2p6', '82fa2724f0a9a118'),
    ('fireworks/accounts/fireworks/models/kimi-k2p7-code', 'cbf7ee4e52df8fb6'),
    ('fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct', '3eb21b4652d8905f'),
    ('fireworks/accounts/fireworks/models/llama4-maverick-instruct-basic', 'abb939bdabd15425'),
    ('fireworks/accounts/fireworks/models/llama4-scout-instruct-basic', 'd7c957b2ad7e29ba'),
    ('fireworks/accounts/fireworks/models/minimax-m2p7', '69165c37531db197'),
    ('fireworks/accounts/fireworks/models/minimax-m3', '76d41984714f1ba0'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-instruct-2507', 'bf1ead0ef1a491d3'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-thinking-2507', '0cfecdf233ea92d7'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-30b-a3b-instruct', '166c3da64d6a6d80'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', 'b50ec138003e94e3'),
    ('fireworks/accounts/fireworks/models/qwen3-vl-235b-a22b-instruct', 'c9b3042a076dc359'),
    ('fireworks/accounts/fireworks/models/qwen3p7-plus', '31e0e0c85d842254'),
    ('gemini/gemini-2.5-flash', '9c16687c64ef6972'),
    ('gemini/gemini-2.5-flash-lite', '4a928c7ac15d6c31'),
    ('gemini/gemini-2.5-pro', '78d5412d19fc8c5e'),
    ('gemini/gemini-3-flash-preview', '8e6551e246b98895'),
    ('gemini/gemini-3.1-flash-lite', '18fcd131554f7e74'),
    ('gemini/gemini-3.1-pro-preview', 'e91977e208443c47'),
    ('gemini/gemini-3.5-flash', 'f4b26b201e5ce0e5'),
    ('gemini/gemini-3.5-flash-lite', '0d6a0bb79666a16a'),
    ('gemini/gemini-3.6-flash', '9dc1c22bc23df7b2'),
    ('gemini/gemini-embedding-001', '00c978710d3e6eb1'),
    ('gemini/gemini-embedding-2', 'cc26bcbd54ca1f4c'),
    ('gemini/gemini-flash-latest', 'e541b82b0aba3a0f'),
    ('gemini/gemini-flash-lite-latest', 'e51979ba10054402'),
    ('gemini/gemini-pro-latest', '930b26bd0e16e5ae'),
    ('groq/llama-3.1-8b-instant', '75020a2e64aaa7a6'),
    ('groq/llama-3.3-70b-versatile', '03cbc273bb0896a6'),
    ('groq/meta-llama/llama-4-maverick-17b-128e-instruct', 'b0d8ae57eafc46b9'),
    ('groq/meta-llama/llama-4-scout-17b-16e-instruct', '64df325409684bc6'),
    ('groq/moonshotai/kimi-k2-instruct-0905', 'd7be25054521b8ce'),
    ('groq/openai/gpt-oss-120b', '7dd7204767ee93e7'),
    ('groq/openai/gpt-oss-20b', 'd41f388d50d9ca49'),
    ('groq/qwen/qwen3-32b', '2a6a92e3bdad914b'),
    ('mistral/codestral-2508', '0293f8c9d2b82710'),
    ('mistral/codestral-embed', '484f84d9dd781ca6'),
    ('mistral/devstral-medium-latest', '5f52d31e61d670d0'),
    ('mistral/devstral-small-latest', '2249d040f9f7e584'),
    ('mistral/magistral-medium-latest', '52598f3c75b1a532'),
    ('mistral/magistral-small-latest', 'b897cf01ad942db5'),
    ('mistral/ministral-3-14b-2512', 'e5381c56a33074d3'),
    ('mistral/ministral-3-3b-2512', '87aff2c9a19387c6'),
    ('mistral/ministral-8b-latest', '81c56c03e643a6ca'),
    ('mistral/mistral-embed', '5fac5031a205d40f'),
    ('mistral/mistral-large-latest', '078fcf16317556ea'),
    ('mistral/mistral-medium-latest', 'c4bedfd19612da4e'),
    ('mistral/mistral-small-latest', 'c309d8b66f9822e3'),
    ('mistral/open-mistral-nemo', 'ddc96f1155d9bf34'),
    ('mistral/pixtral-large-latest', 'd448aaea282cc22f'),
    ('moonshot/kimi-k2.5', 'bc6d48547a314cb8'),
    ('moonshot/kimi-k2.6', '70ba531159d32702'),
    ('moonshot/moonshot-v1-128k', '0968b7e562975460'),
    ('moonshot/moonshot-v1-32k', '18f33284965e8c2c'),
    ('moonshot/moonshot-v1-8k', 'a7ca9cdc21b9503d'),
    ('openai/gpt-4.1', 'daa10310074eb5d2'),
    ('openai/gpt-4.1-mini', '7e1b0e57b568e298'),
    ('openai/gpt-4.1-nano', '1bbb2db9bce2a823'),
    ('openai/gpt-4o', '679eb64f89ef40a3'),
    ('openai/gpt-4o-mini', '4a351a3acc613729'),
    ('openai/gpt-4o-mini-search-preview', 'e8ac8198df9e6e50'),
    ('openai/gpt-4o-search-preview', 'cc48c4266be14216'),
    ('openai/gpt-5', '94f9b87ca83f2f44'),
    ('openai/gpt-5-chat-latest', '012f95608a515c73'),
    ('openai/gpt-5-mini', 'da2476d2217f9e0c'),
    ('openai/gpt-5-nano', 'ccfd7d4704c996d3'),
    ('openai/gpt-5-search-api', 'ed807fea7c2369a9'),
    ('openai/gpt-5.1', '86fb8e14c967f4f6'),
    ('openai/gpt-5.1-chat-latest', '167d50a908f605d8'),
    ('openai/gpt-5.2', 'e6183270450ef969'),
    ('openai/gpt-5.2-chat-latest', 'b4ec303586a58c8c'),
    ('openai/gpt-5.3-chat-latest', '2842f3eb3fb2e8be'),
    ('openai/gpt-5.4', '75315b5633390e5a'),
    ('openai/gpt-5.4-mini', '494819c4544f36ea'),
    ('openai/gpt-5.4-nano', 'd632e3f378a89afb'),
    ('openai/gpt-5.5', '9eaaa9bb02ef48cc'),
    ('openai/gpt-5.6', '09ba410d5127c95f'),
    ('openai/gpt-5.6-luna', '18f1652fd638859c'),
    ('openai/gpt-5.6-sol', '8b87048fcb0dcdb2'),
    ('openai/gpt-5.6-terra', '258077b96e4fde6d'),
    ('openai/o1', 'b41871452bda7ccd'),
    ('openai/o3', '2cebf8112a4c5829'),
    ('openai/o3-mini', '53c573b6940363c4'),
    ('openai/o4-mini', '48a45071fd8aee09'),
    ('openai/text-embedding-3-large', '81eb454b3442cc7b'),
    ('openai/text-embedding-3-small', '7c1236f6b5a32853'),
    ('openai/text-embedding-ada-002', '45787286f4b3cf49'),
    ('openrouter/anthropic/claude-haiku-4.5', 'dc0b560ea755d582'),
    ('openrouter/anthropic/claude-opus-4.1', '291685bb4887f92e'),
    ('openrouter/anthropic/claude-opus-4.5', '46e729057750201d'),
    ('openrouter/anthropic/claude-opus-4.6', 'd2dba9386ffaf549'),
    ('openrouter/anthropic/claude-opus-4.7', 'f42fe67757533bf8'),
    ('openrouter/anthropic/claude-sonnet-4.5', '5e20eac30f0f5b6a'),
    ('openrouter/anthropic/claude-sonnet-4.6', '72edccc911432c91'),
    ('openrouter/deepseek/deepseek-chat-v3.1', 'bdc30832f7f13cdd'),
    ('openrouter/deepseek/deepseek-r1-0528', '4d0b655e82500a50'),
    ('openrouter/deepseek/deepseek-v3.2', 'fb7a11a1be4af375'),
    ('openrouter/google/gemini-2.5-flash', 'dae426a3c3e77b0a'),
    ('openrouter/google/gemini-2.5-pro', '9bf60bcaef5ab0d8'),
    ('openrouter/google/gemini-3-flash-preview', 'c10cdb8486ee43fc'),
    ('openrouter/google/gemini-3.1-flash-lite', '8dff5671966a8fe7'),
    ('openrouter/google/gemini-3.1-pro-preview', '3467c6a063807995'),
    ('openrouter/minimax/minimax-m2.5', '911320f2c120b57d'),
    ('openrouter/mistralai/devstral-2512', '084c3c09cf22cc1b'),
    ('openrouter/mistralai/mistral-large-2512', '83a62eb78aa02e64'),
    ('openrouter/moonshotai/kimi-k2.5', 'cd9b3dce569c2daa'),
    ('openrouter/openai/gpt-4.1', '2e431001ad70f916'),
    ('openrouter/openai/gpt-4.1-mini', '288427772a6130eb'),
    ('openrouter/openai/gpt-4o', '6befa4e2ff06af04'),
    ('openrouter/openai/gpt-4o-mini', 'cbe8eae1b4b81580'),
    ('openrouter/openai/gpt-5', '6a292dfa34134a69'),
    ('openrouter/openai/gpt-5-mini', 'cc81f9b6ca24579c'),
    ('openrouter/openai/gpt-5-nano', 'c704bb456431c9d6'),
    ('openrouter/openai/gpt-5.2', 'c2a7eac95afbfa66'),
    ('openrouter/openai/gpt-oss-120b', '4e0bfb16547b3a3d'),
    ('openrouter/openai/gpt-oss-20b', '88a6f06e1c90567f'),
    ('openrouter/qwen/qwen3-235b-a22b-2507', '95d8d3248c0147da'),
    ('openrouter/qwen/qwen3-coder', '2776b579d4d54867'),
    ('openrouter/qwen/qwen3.5-397b-a17b', 'c7594f3b12f750f0'),
    ('openrouter/qwen/qwen3.6-plus', 'bda550d0ced8cfa4'),
    ('openrouter/x-ai/grok-4', 'f2a09121d1c349d6'),
    ('openrouter/xiaomi/mimo-v2.5', '1fb2d8c20b5e3e78'),
    ('openrouter/z-ai/glm-4.7', 'eea7d121c387e989'),
    ('openrouter/z-ai/glm-5.1', 'ba5f07773caa600a'),
    ('perplexity/sonar', 'b777518d194cee97'),
    ('perplexity/sonar-deep-research', 'dcc2fd859ffe117b'),
    ('perplexity/sonar-pro', '6b21733077df5fc7'),
    ('perplexity/sonar-reasoning', '17f553f422a5d2c3'),
    ('perplexity/sonar-reasoning-pro', '7c93c96d61525d5e'),
    ('qwen/qwen-max', 'bcaab7cbc38cadd8'),
    ('qwen/qwen-plus', 'fcaf3e9df2c64a16'),
    ('qwen/qwen-turbo', '5eb348066f61a1c6'),
    ('qwen/qwen3-next-80b-a3b-instruct', '247ffddc649287fd'),
    ('qwen/qwen3-next-80b-a3b-thinking', 'c6f0a1d8ca0b230b'),
    ('qwen/qwen3-vl-235b-a22b-instruct', 'f7df86f8d76b57f0'),
    ('qwen/qwen3-vl-235b-a22b-thinking', '2f6c2af105acb18b'),
    ('qwen/qwen3-vl-32b-instruct', 'ebcbfd02892e2187'),
    ('qwen/qwen3-vl-32b-thinking', '93ff16e2fccc0b2a'),
    ('qwen/qwq-plus', '269a69090505cca1'),
    ('sambanova/DeepSeek-R1', '754cd6bc40c055a0'),
    ('sambanova/DeepSeek-V3.1', '1b79aa57e3ac1976'),
    ('sambanova/DeepSeek-V3.2', '133ee544ddb8f099'),
    ('sambanova/Llama-4-Maverick-17B-128E-Instruct', '78460f0cb8cc4bbb'),
    ('sambanova/Meta-Llama-3.3-70B-Instruct', 'c681c0ce31545b19'),
    ('sambanova/MiniMax-M2.7', '2f0edb0eeca20c70'),
    ('sambanova/gemma-4-31B-it', '622da01663103385'),
    ('sambanova/gpt-oss-120b', '2d1007c40a616c2d'),
    ('together/BAAI/bge-base-en-v1.5', 'c849f0dafa2f0776'),
    ('together/Qwen/Qwen3-235B-A22B-Instruct-2507-tput', '4827fc19cf027d35'),
    ('together/Qwen/Qwen3-235B-A22B-Thinking-2507', '22348fe7cb4a0933'),
    ('together/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', '5ef260b7f9c16f2f'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Instruct', '4378ceac9baa7481'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Thinking', '2ed39d4abced8f59'),
    ('together/Qwen/Qwen3.5-397B-A17B', '67160cc4cca55d41'),
    ('together/deepseek-ai/DeepSeek-R1', 'a7b0df5ec6006ebd'),
    ('together/deepseek-ai/DeepSeek-V3', 'f1565074b2c72419'),
    ('together/deepseek-ai/DeepSeek-V3.1', 'b0dca9cd326c32bb'),
    ('together/meta-llama/Llama-3.3-70B-Instruct-Turbo', '60a64bbed7cc4d66'),
    ('together/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'c0200a7a3bc8a07e'),
    ('together/meta-llama/Llama-4-Scout-17B-16E-Instruct', '4e24b33f9a273856'),
    ('together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'aeabad8457f31015'),
    ('together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', '83390c417c3052f2'),
    ('together/moonshotai/Kimi-K2-Instruct-0905', 'd280538dc9f907d4'),
    ('together/moonshotai/Kimi-K2.5', 'e9b7440c442982b7'),
    ('together/openai/gpt-oss-120b', 'cd75c39dfc988acb'),
    ('together/openai/gpt-oss-20b', 'a91432dd251e05ea'),
    ('together/zai-org/GLM-4.5-Air-FP8', '60318bf30f7ac8c2'),
    ('together/zai-org/GLM-4.6', '2e01f3be5362c37f'),
    ('together/zai-org/GLM-4.7', '71b37b911513ac20'),
    ('xai/grok-3', '5ad06bd74b26b051'),
    ('xai/grok-3-mini', '1a72a0552f073602'),
    ('xai/grok-4', '6fdf56d56d3c4283'),
    ('xai/grok-4-1-fast', '3d0a786141b5bcdd'),
    ('xai/grok-4.20-0309-reasoning', 'ba79879d401cf391'),
    ('xai/grok-4.20-beta-0309-non-reasoning', '74f765ac3a54e789'),
    ('xai/grok-4.3', '830744ba4784823b'),
    ('xai/grok-4.5', '17b7491151f8201a'),
    ('xai/grok-code-fast', 'b3041e456f0a490d'),
    ('zai/glm-4.5', 'e75ce7c4f51a6f6a'),
    ('zai/glm-4.5-air', '44afa9e0dc3aa91c'),
    ('zai/glm-4.5v', '9f5cc9bd438d6a55'),
    ('zai/glm-4.6', '42098637b0d12d5e'),
    ('zai/glm-4.7', '1299cb8772213834'),
    ('zai/glm-5', '5ad25c9f623614cf'),
    ('zai/glm-5-code', '791f118cb8eb59a5'),
    ('zai/glm-5.1', '0f35b424bc3606db')
), marked AS (
    UPDATE aigw.models t SET origin = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN 'shipped' ELSE 'changed' END
      FROM shipped s WHERE t.id = s.id
    RETURNING t.*
)
INSERT INTO aigw.deleted_rows (table_name, key)
SELECT 'models', aigw.row_key(r)
  FROM shipped s, jsonb_populate_record(NULL::aigw.models, jsonb_build_object('id', s.id)) r
 WHERE NOT EXISTS (SELECT 1 FROM marked t WHERE t.id = s.id);

WITH shipped (model, currency, valid_from, fp) AS (VALUES
    ('anthropic/claude-fable-5', 'USD', '2026-07-24 00:00:00.000000+00', 'b859629cc3174d51'),
    ('anthropic/claude-haiku-4-5', 'USD', '2026-07-24 00:00:00.000000+00', '5dc1444b334ab303'),
    ('anthropic/claude-opus-4-1', 'USD', '2026-07-24 00:00:00.000000+00', '5f17a3f5cc5e1fcd'),
    ('anthropic/claude-opus-4-5', 'USD', '2026-07-24 00:00:00.000000+00', 'f1c526ee7e5e04ae'),
    ('anthropic/claude-opus-4-6', 'USD', '2026-07-24 00:00:00.000000+00', '07df4cf159846611'),
    ('anthropic/claude-opus-4-7', 'USD', '2026-07-24 00:00:00.000000+00', '8d123a4cffacaad8'),
    ('anthropic/claude-opus-4-8', 'USD', '2026-07-24 00:00:00.000000+00', 'a1ab07d3020e29c5'),
    ('anthropic/claude-opus-5', 'USD', '2026-07-24 00:00:00.000000+00', '77cb43c6d503b376'),
    ('anthropic/claude-sonnet-4-5', 'USD', '2026-07-24 00:00:00.000000+00', '79fba6c6f27f6eb5'),
    ('anthropic/claude-sonnet-4-6', 'USD', '2026-07-24 00:00:00.000000+00', 'e5a5381a6cd29e7a'),
    ('anthropic/claude-sonnet-5', 'USD', '2026-07-24 00:00:00.000000+00', '31b1328523050d00'),
    ('bedrock/amazon.nova-lite-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '12dcc5f53e81c4d8'),
    ('bedrock/amazon.nova-micro-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'c3758537234198cf'),
    ('bedrock/amazon.nova-pro-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'de0a31315eaf2e81'),
    ('bedrock/amazon.titan-embed-text-v1', 'USD', '2026-07-24 00:00:00.000000+00', 'b1935ac93f4b76eb'),
    ('bedrock/amazon.titan-embed-text-v2:0', 'USD', '2026-07-24 00:00:00.000000+00', '71861ddb05ac8588'),
    ('bedrock/anthropic.claude-3-haiku-20240307-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '8fc222db59f271ed'),
    ('bedrock/cohere.embed-english-v3', 'USD', '2026-07-24 00:00:00.000000+00', '730b6ed317e1e005'),
    ('bedrock/cohere.embed-multilingual-v3', 'USD', '2026-07-24 00:00:00.000000+00', '054bc6c6f7fa8584'),
    ('bedrock/cohere.embed-v4:0', 'USD', '2026-07-24 00:00:00.000000+00', '30d2dabc157f6449'),
    ('bedrock/deepseek.v3-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '3a73242d74143692'),
    ('bedrock/deepseek.v3.2', 'USD', '2026-07-24 00:00:00.000000+00', 'f39d8dd29a6f37bf'),
    ('bedrock/global.amazon.nova-2-lite-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'c20a566750a7e574'),
    ('bedrock/global.anthropic.claude-fable-5', 'USD', '2026-07-24 00:00:00.000000+00', '4def91deadf3a7c2'),
    ('bedrock/global.anthropic.claude-haiku-4-5-20251001-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '060863b54456557f'),
    ('bedrock/global.anthropic.claude-opus-4-5-20251101-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'fc65393ad12a2708'),
    ('bedrock/global.anthropic.claude-opus-4-6-v1', 'USD', '2026-07-24 00:00:00.000000+00', 'a7f8fbaf7bb69b1f'),
    ('bedrock/global.anthropic.claude-opus-4-7', 'USD', '2026-07-24 00:00:00.000000+00', '10bb2b7515da1c32'),
    ('bedrock/global.anthropic.claude-opus-4-8', 'USD', '2026-07-24 00:00:00.000000+00', 'a26351d1e60f39e1'),
    ('bedrock/global.anthropic.claude-opus-5', 'USD', '2026-07-24 00:00:00.000000+00', 'a26cf9a9d9b57def'),
    ('bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'd77ea405bdf5b5f3'),
    ('bedrock/global.anthropic.claude-sonnet-4-6', 'USD', '2026-07-24 00:00:00.000000+00', '81c9613d1f0e53cd'),
    ('bedrock/global.anthropic.claude-sonnet-5', 'USD', '2026-07-24 00:00:00.000000+00', '2fb6335a72820b9e'),
    ('bedrock/google.gemma-3-27b-it', 'USD', '2026-07-24 00:00:00.000000+00', '411392d21940af86'),
    ('bedrock/minimax.minimax-m2.1', 'USD', '2026-07-24 00:00:00.000000+00', '45527a47adea4178'),
    ('bedrock/minimax.minimax-m2.5', 'USD', '2026-07-24 00:00:00.000000+00', 'e9a095f9714eae29'),
    ('bedrock/mistral.devstral-2-123b', 'USD', '2026-07-24 00:00:00.000000+00', '76397c3e75323f42'),
    ('bedrock/mistral.magistral-small-2509', 'USD', '2026-07-24 00:00:00.000000+00', '64076db137e1a554'),
    ('bedrock/mistral.ministral-3-14b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '31c57577fce64406'),
    ('bedrock/mistral.ministral-3-8b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '7cb3e7a2ad210085'),
    ('bedrock/mistral.mistral-large-3-675b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '183297877779420b'),
    ('bedrock/moonshot.kimi-k2-thinking', 'USD', '2026-07-24 00:00:00.000000+00', '114b70ccc50b3997'),
    ('bedrock/moonshotai.kimi-k2.5', 'USD', '2026-07-24 00:00:00.000000+00', 'c1461c91d0a6e7c6'),
    ('bedrock/nvidia.nemotron-nano-3-30b', 'USD', '2026-07-24 00:00:00.000000+00', '3441e1f9b3601739'),
    ('bedrock/nvidia.nemotron-super-3-120b', 'USD', '2026-07-24 00:00:00.000000+00', '2afbd271069552c8'),
    ('bedrock/openai.gpt-oss-120b-1:0', 'USD', '2026-07-24 00:00:00.000000+00', '42d9b596df58ce61'),
    ('bedrock/openai.gpt-oss-20b-1:0', 'USD', '2026-07-24 00:00:00.000000+00', '765c59e072a6fd85'),
    ('bedrock/qwen.qwen3-235b-a22b-2507-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'b4d081fafeb05333'),
    ('bedrock/qwen.qwen3-32b-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '2cb317ab6d55f51e'),
    ('bedrock/qwen.qwen3-coder-30b-a3b-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '96dead1fb6464be5'),
    ('bedrock/qwen.qwen3-coder-480b-a35b-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'ea959f01c489ac47'),
    ('bedrock/qwen.qwen3-next-80b-a3b', 'USD', '2026-07-24 00:00:00.000000+00', '69fcf0845edda479'),
    ('bedrock/qwen.qwen3-vl-235b-a22b', 'USD', '2026-07-24 00:00:00.000000+00', '601afa5899f90f7a'),
    ('bedrock/us.amazon.nova-premier-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '565ae63ea3e6bac3'),
    ('bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '6035295fa922fcea'),
    ('bedrock/us.deepseek.r1-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '79c7b6d84d91b767'),
    ('bedrock/us.meta.llama3-3-70b-instruct-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '5619ceb432a0cb7a'),
    ('bedrock/us.meta.llama4-maverick-17b-instruct-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '074c1e24f22e91f8'),
    ('bedrock/us.meta.llama4-scout-17b-instruct-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '520e226119ba33ff'),
    ('bedrock/us.mistral.pixtral-large-2502-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', 'e663fb86d0e4963e'),
    ('bedrock/us.writer.palmyra-x5-v1:0', 'USD', '2026-07-24 00:00:00.000000+00', '7187e51914e6236a'),
    ('bedrock/zai.glm-4.7', 'USD', '2026-07-24 00:00:00.000000+00', '66018cb2c1f88b0b'),
    ('bedrock/zai.glm-4.7-flash', 'USD', '2026-07-24 00:00:00.000000+00', 'be25ce55b11557b4'),
    ('bedrock/zai.glm-5', 'USD', '2026-07-24 00:00:00.000000+00', '25c05c92936d2fb7'),
    ('cerebras/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', '944179a9288ebeda'),
    ('cerebras/llama-3.3-70b', 'USD', '2026-07-24 00:00:00.000000+00', 'a7848abd172856bd'),
    ('cerebras/llama3.1-8b', 'USD', '2026-07-24 00:00:00.000000+00', 'a87e245161ac5d04'),
    ('cerebras/qwen-3-32b', 'USD', '2026-07-24 00:00:00.000000+00', '1656f073758975c2'),
    ('cerebras/zai-glm-4.7', 'USD', '2026-07-24 00:00:00.000000+00', 'dc07c9d806a234bf'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507', 'USD', '2026-07-24 00:00:00.000000+00', '1dd8797d2920417b'),
    ('deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507', 'USD', '2026-07-24 00:00:00.000000+00', '0c3d38f9b700dc4f'),
    ('deepinfra/Qwen/Qwen3-32B', 'USD', '2026-07-24 00:00:00.000000+00', 'fbfefe9de75109ff'),
    ('deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'badb1e41e9d561ae'),
    ('deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', '163c3cc0a26dc858'),
    ('deepinfra/deepseek-ai/DeepSeek-R1-0528', 'USD', '2026-07-24 00:00:00.000000+00', 'afa45defe78f692e'),
    ('deepinfra/deepseek-ai/DeepSeek-V3.1', 'USD', '2026-07-24 00:00:00.000000+00', '88d8c747d880beb1'),
    ('deepinfra/google/gemma-3-27b-it', 'USD', '2026-07-24 00:00:00.000000+00', '11c2b804fa532f28'),
    ('deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'USD', '2026-07-24 00:00:00.000000+00', '7abe9fdf0de4455a'),
    ('deepinfra/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'USD', '2026-07-24 00:00:00.000000+00', '61779754be4bf108'),
    ('deepinfra/meta-llama/Llama-4-Scout-17B-16E-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', '14c48f7d34491b1f'),
    ('deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'dd44c4dbcbe934a3'),
    ('deepinfra/microsoft/phi-4', 'USD', '2026-07-24 00:00:00.000000+00', '175afbec155d7b6a'),
    ('deepinfra/mistralai/Mistral-Nemo-Instruct-2407', 'USD', '2026-07-24 00:00:00.000000+00', '6323ff617a9f6ad2'),
    ('deepinfra/mistralai/Mistral-Small-3.2-24B-Instruct-2506', 'USD', '2026-07-24 00:00:00.000000+00', '6612717d45373403'),
    ('deepinfra/moonshotai/Kimi-K2-Instruct-0905', 'USD', '2026-07-24 00:00:00.000000+00', 'a885cc7bb33e0d45'),
    ('deepinfra/nvidia/Llama-3.3-Nemotron-Super-49B-v1.5', 'USD', '2026-07-24 00:00:00.000000+00', '5342f87559c373ea'),
    ('deepinfra/openai/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', '319f44d4df08402d'),
    ('deepinfra/openai/gpt-oss-20b', 'USD', '2026-07-24 00:00:00.000000+00', 'ff7786d16b49165e'),
    ('deepinfra/zai-org/GLM-4.5', 'USD', '2026-07-24 00:00:00.000000+00', '0c39d9a098f5147f'),
    ('deepseek/deepseek-chat', 'USD', '2026-07-24 00:00:00.000000+00', '90284aec808185a5'),
    ('deepseek/deepseek-reasoner', 'USD', '2026-07-24 00:00:00.000000+00', '871899500c0ba4b9'),
    ('deepseek/deepseek-v4-flash', 'USD', '2026-07-24 00:00:00.000000+00', '0792aa5518fb3611'),
    ('deepseek/deepseek-v4-pro', 'USD', '2026-07-24 00:00:00.000000+00', 'a4596aaffa8c8a87'),
    ('fireworks/accounts/fireworks/models/deepseek-r1-0528', 'USD', '2026-07-24 00:00:00.000000+00', '6b272340f51781fc'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p1', 'USD', '2026-07-24 00:00:00.000000+00', 'a6f7f8eb88ac0fd3'),
    ('fireworks/accounts/fireworks/models/deepseek-v3p2', 'USD', '2026-07-24 00:00:00.000000+00', '7d08bfcfcf4fc3ad'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-flash', 'USD', '2026-07-24 00:00:00.000000+00', 'ae635251ea012e27'),
    ('fireworks/accounts/fireworks/models/deepseek-v4-pro', 'USD', '2026-07-24 00:00:00.000000+00', 'f135b66217a7074f'),
    ('fireworks/accounts/fireworks/models/glm-4p5-air', 'USD', '2026-07-24 00:00:00.000000+00', 'ed730882374293e0'),
    ('fireworks/accounts/fireworks/models/glm-4p7', 'USD', '2026-07-24 00:00:00.000000+00', 'e23affc64e5d4f2e'),
    ('fireworks/accounts/fireworks/models/glm-5p1', 'USD', '2026-07-24 00:00:00.000000+00', '2e1e0a4f3d5f91fc'),
    ('fireworks/accounts/fireworks/models/glm-5p2', 'USD', '2026-07-24 00:00:00.000000+00', '26acbf649e94a237'),
    ('fireworks/accounts/fireworks/models/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', '93f962fde35627a7'),
    ('fireworks/accounts/fireworks/models/gpt-oss-20b', 'USD', '2026-07-24 00:00:00.000000+00', 'c420c07db7b48e41'),
    ('fireworks/accounts/fireworks/models/kimi-k2-instruct-0905', 'USD', '2026-07-24 00:00:00.000000+00', 'ce683721e084f42a'),
    ('fireworks/accounts/fireworks/models/kimi-k2-thinking', 'USD', '2026-07-24 00:00:00.000000+00', '3e9491ac40376d8d'),
    ('fireworks/accounts/fireworks/models/kimi-k2p5', 'USD', '2026-07-24 00:00:00.000000+00', 'ee751ebbbe29c372'),
    ('fireworks/accounts/fireworks/models/kimi-k2p6', 'USD', '2026-07-24 00:00:00.000000+00', '3f622dbb774433b4'),
    ('fireworks/accounts/fireworks/models/kimi-k2p7-code', 'USD', '2026-07-24 00:00:00.000000+00', '6eded4960b63060b'),
    ('fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'ce518a6bfba9b84f'),
    ('fireworks/accounts/fireworks/models/llama4-maverick-instruct-basic', 'USD', '2026-07-24 00:00:00.000000+00', 'f30ded0e1e74e949'),
    ('fireworks/accounts/fireworks/models/llama4-scout-instruct-basic', 'USD', '2026-07-24 00:00:00.000000+00', '831578ce843089d3'),
    ('fireworks/accounts/fireworks/models/minimax-m2p7', 'USD', '2026-07-24 00:00:00.000000+00', '9cac74757090c273'),
    ('fireworks/accounts/fireworks/models/minimax-m3', 'USD', '2026-07-24 00:00:00.000000+00', '43f5c3eae8759038'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-instruct-2507', 'USD', '2026-07-24 00:00:00.000000+00', 'd9aac47acc3716d2'),
    ('fireworks/accounts/fireworks/models/qwen3-235b-a22b-thinking-2507', 'USD', '2026-07-24 00:00:00.000000+00', '39a0d7fc9be5fedb'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-30b-a3b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'a02cc41cc6a8077c'),
    ('fireworks/accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'befae28e08f21b0f'),
    ('fireworks/accounts/fireworks/models/qwen3-vl-235b-a22b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'b420b10623356ce5'),
    ('fireworks/accounts/fireworks/models/qwen3p7-plus', 'USD', '2026-07-24 00:00:00.000000+00', '20e782bd5e971146'),
    ('gemini/gemini-2.5-flash', 'USD', '2026-07-24 00:00:00.000000+00', '288ad95574aec7b0'),
    ('gemini/gemini-2.5-flash-lite', 'USD', '2026-07-24 00:00:00.000000+00', 'd2bf24a2e64d030a'),
    ('gemini/gemini-2.5-pro', 'USD', '2026-07-24 00:00:00.000000+00', '2fde9d2da2996186'),
    ('gemini/gemini-3-flash-preview', 'USD', '2026-07-24 00:00:00.000000+00', '3a2652ae680b796d'),
    ('gemini/gemini-3.1-flash-lite', 'USD', '2026-07-24 00:00:00.000000+00', 'd36f817985498730'),
    ('gemini/gemini-3.1-pro-preview', 'USD', '2026-07-24 00:00:00.000000+00', '34954e0070b6699a'),
    ('gemini/gemini-3.5-flash', 'USD', '2026-07-24 00:00:00.000000+00', 'df9f9d92bb1134c5'),
    ('gemini/gemini-3.5-flash-lite', 'USD', '2026-07-24 00:00:00.000000+00', 'a8befe7987a9ed00'),
    ('gemini/gemini-3.6-flash', 'USD', '2026-07-24 00:00:00.000000+00', '1fb1d56523197470'),
    ('gemini/gemini-embedding-001', 'USD', '2026-07-24 00:00:00.000000+00', 'fe8fc66bf54eed50'),
    ('gemini/gemini-embedding-2', 'USD', '2026-07-24 00:00:00.000000+00', '1acd439f7c2f1e8a'),
    ('gemini/gemini-flash-latest', 'USD', '2026-07-24 00:00:00.000000+00', '32230b6174b52878'),
    ('gemini/gemini-flash-lite-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'bad2d6dd13990f4b'),
    ('gemini/gemini-pro-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'ef08c60abfc9c7cb'),
    ('groq/llama-3.1-8b-instant', 'USD', '2026-07-24 00:00:00.000000+00', '03f256ae0d7aab82'),
    ('groq/llama-3.3-70b-versatile', 'USD', '2026-07-24 00:00:00.000000+00', '3b928b29c6d8e7f3'),
    ('groq/meta-llama/llama-4-maverick-17b-128e-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '002e9559fb315953'),
    ('groq/meta-llama/llama-4-scout-17b-16e-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '11c13548df17164b'),
    ('groq/moonshotai/kimi-k2-instruct-0905', 'USD', '2026-07-24 00:00:00.000000+00', '3cdb1d89e05f1ce0'),
    ('groq/openai/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', 'c40ae102742beb1f'),
    ('groq/openai/gpt-oss-20b', 'USD', '2026-07-24 00:00:00.000000+00', '8a16d835d6f8c16f'),
    ('groq/qwen/qwen3-32b', 'USD', '2026-07-24 00:00:00.000000+00', 'd637dde25125a5e0'),
    ('mistral/codestral-2508', 'USD', '2026-07-24 00:00:00.000000+00', 'e56667a28848dd44'),
    ('mistral/codestral-embed', 'USD', '2026-07-24 00:00:00.000000+00', '18b6da4128cd6c2e'),
    ('mistral/devstral-medium-latest', 'USD', '2026-07-24 00:00:00.000000+00', '926ddf260f41e457'),
    ('mistral/devstral-small-latest', 'USD', '2026-07-24 00:00:00.000000+00', '9770c71f3c47fde7'),
    ('mistral/magistral-medium-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'c095a7c961fc2073'),
    ('mistral/magistral-small-latest', 'USD', '2026-07-24 00:00:00.000000+00', '009eb3b7b3f50292'),
    ('mistral/ministral-3-14b-2512', 'USD', '2026-07-24 00:00:00.000000+00', '5cf1f429d55e6bc6'),
    ('mistral/ministral-3-3b-2512', 'USD', '2026-07-24 00:00:00.000000+00', '8e64e09570c390ed'),
    ('mistral/ministral-8b-latest', 'USD', '2026-07-24 00:00:00.000000+00', '5b8424fac6d9fa91'),
    ('mistral/mistral-embed', 'USD', '2026-07-24 00:00:00.000000+00', 'c152f899e6f0246b'),
    ('mistral/mistral-large-latest', 'USD', '2026-07-24 00:00:00.000000+00', '5297b34dda8d3c54'),
    ('mistral/mistral-medium-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'e23eff2d97cd8f54'),
    ('mistral/mistral-small-latest', 'USD', '2026-07-24 00:00:00.000000+00', '181a73c134f2f0ad'),
    ('mistral/open-mistral-nemo', 'USD', '2026-07-24 00:00:00.000000+00', '53a2f1e407e516a1'),
    ('mistral/pixtral-large-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'ecfc44b3cf14f226'),
    ('moonshot/kimi-k2.5', 'USD', '2026-07-24 00:00:00.000000+00', '3e077e90c2a34379'),
    ('moonshot/kimi-k2.6', 'USD', '2026-07-24 00:00:00.000000+00', '0acac007939e5727'),
    ('moonshot/moonshot-v1-128k', 'USD', '2026-07-24 00:00:00.000000+00', '4451d800ba321e65'),
    ('moonshot/moonshot-v1-32k', 'USD', '2026-07-24 00:00:00.000000+00', 'a35a09f053f21071'),
    ('moonshot/moonshot-v1-8k', 'USD', '2026-07-24 00:00:00.000000+00', '04d76ee9aa77ee30'),
    ('openai/gpt-4.1', 'USD', '2026-07-24 00:00:00.000000+00', 'f9ce4c31d634f924'),
    ('openai/gpt-4.1-mini', 'USD', '2026-07-24 00:00:00.000000+00', '49d5b9540ea80ccf'),
    ('openai/gpt-4.1-nano', 'USD', '2026-07-24 00:00:00.000000+00', '37ba7cd6edeaa372'),
    ('openai/gpt-4o', 'USD', '2026-07-24 00:00:00.000000+00', 'bceabdaff13fca96'),
    ('openai/gpt-4o-mini', 'USD', '2026-07-24 00:00:00.000000+00', '68fd91880291dbcf'),
    ('openai/gpt-4o-mini-search-preview', 'USD', '2026-07-24 00:00:00.000000+00', 'fe8393d356deba09'),
    ('openai/gpt-4o-search-preview', 'USD', '2026-07-24 00:00:00.000000+00', '0e953c20135b1cba'),
    ('openai/gpt-5', 'USD', '2026-07-24 00:00:00.000000+00', 'd0b4d1ad2f5b22c0'),
    ('openai/gpt-5-chat-latest', 'USD', '2026-07-24 00:00:00.000000+00', '92fa5ad51f13155f'),
    ('openai/gpt-5-mini', 'USD', '2026-07-24 00:00:00.000000+00', '686202f3b015ccf2'),
    ('openai/gpt-5-nano', 'USD', '2026-07-24 00:00:00.000000+00', '926f598ebc91470a'),
    ('openai/gpt-5-search-api', 'USD', '2026-07-24 00:00:00.000000+00', 'ecfea53304331cb6'),
    ('openai/gpt-5.1', 'USD', '2026-07-24 00:00:00.000000+00', 'd414024e93a6e5c7'),
    ('openai/gpt-5.1-chat-latest', 'USD', '2026-07-24 00:00:00.000000+00', '5cc0a827c4b470f9'),
    ('openai/gpt-5.2', 'USD', '2026-07-24 00:00:00.000000+00', '9ac2a21d7b10b31c'),
    ('openai/gpt-5.2-chat-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'e16ea9d0530fe948'),
    ('openai/gpt-5.3-chat-latest', 'USD', '2026-07-24 00:00:00.000000+00', 'c0492a06119099b7'),
    ('openai/gpt-5.4', 'USD', '2026-07-24 00:00:00.000000+00', '6421136a681bc3c1'),
    ('openai/gpt-5.4-mini', 'USD', '2026-07-24 00:00:00.000000+00', '0f74a659f6250bae'),
    ('openai/gpt-5.4-nano', 'USD', '2026-07-24 00:00:00.000000+00', 'cb351b7bce31d73f'),
    ('openai/gpt-5.5', 'USD', '2026-07-24 00:00:00.000000+00', 'a29d57ab4e9d50f0'),
    ('openai/gpt-5.6', 'USD', '2026-07-24 00:00:00.000000+00', 'c8d7c60d431e8eae'),
    ('openai/gpt-5.6-luna', 'USD', '2026-07-24 00:00:00.000000+00', 'c8eae3a48a55e6b8'),
    ('openai/gpt-5.6-sol', 'USD', '2026-07-24 00:00:00.000000+00', 'c047f22029b9fc4c'),
    ('openai/gpt-5.6-terra', 'USD', '2026-07-24 00:00:00.000000+00', '8049ed88b5325ba6'),
    ('openai/o1', 'USD', '2026-07-24 00:00:00.000000+00', 'bf7ebe29543d1a7c'),
    ('openai/o3', 'USD', '2026-07-24 00:00:00.000000+00', 'f06fd0acc9724ec9'),
    ('openai/o3-mini', 'USD', '2026-07-24 00:00:00.000000+00', 'b155160857e95737'),
    ('openai/o4-mini', 'USD', '2026-07-24 00:00:00.000000+00', '86ff486f06b8c574'),
    ('openai/text-embedding-3-large', 'USD', '2026-07-24 00:00:00.000000+00', 'cf91a36bf6f5a1fd'),
    ('openai/text-embedding-3-small', 'USD', '2026-07-24 00:00:00.000000+00', 'f695077bcfb986e0'),
    ('openai/text-embedding-ada-002', 'USD', '2026-07-24 00:00:00.000000+00', '90ab2eca9287e037'),
    ('openrouter/anthropic/claude-haiku-4.5', 'USD', '2026-07-24 00:00:00.000000+00', 'c4679d6be27aa595'),
    ('openrouter/anthropic/claude-opus-4.1', 'USD', '2026-07-24 00:00:00.000000+00', 'ffb4076541c982ac'),
    ('openrouter/anthropic/claude-opus-4.5', 'USD', '2026-07-24 00:00:00.000000+00', '1cb65147e4961405'),
    ('openrouter/anthropic/claude-opus-4.6', 'USD', '2026-07-24 00:00:00.000000+00', '0f7c138dae081450'),
    ('openrouter/anthropic/claude-opus-4.7', 'USD', '2026-07-24 00:00:00.000000+00', '08a6bd5718bf688e'),
    ('openrouter/anthropic/claude-sonnet-4.5', 'USD', '2026-07-24 00:00:00.000000+00', 'f37dfb6b2bace474'),
    ('openrouter/anthropic/claude-sonnet-4.6', 'USD', '2026-07-24 00:00:00.000000+00', '60b9b4859456e64c'),
    ('openrouter/deepseek/deepseek-chat-v3.1', 'USD', '2026-07-24 00:00:00.000000+00', 'd012be7f7c64af1d'),
    ('openrouter/deepseek/deepseek-r1-0528', 'USD', '2026-07-24 00:00:00.000000+00', 'e77e65898f8eda4e'),
    ('openrouter/deepseek/deepseek-v3.2', 'USD', '2026-07-24 00:00:00.000000+00', '917f4505188b475b'),
    ('openrouter/google/gemini-2.5-flash', 'USD', '2026-07-24 00:00:00.000000+00', '2205d050b2a2305d'),
    ('openrouter/google/gemini-2.5-pro', 'USD', '2026-07-24 00:00:00.000000+00', '002027c83ce74a45'),
    ('openrouter/google/gemini-3-flash-preview', 'USD', '2026-07-24 00:00:00.000000+00', '57c11772be238cb3'),
    ('openrouter/google/gemini-3.1-flash-lite', 'USD', '2026-07-24 00:00:00.000000+00', '93b73fdba4f9a12c'),
    ('openrouter/google/gemini-3.1-pro-preview', 'USD', '2026-07-24 00:00:00.000000+00', 'dd6449674ba89c37'),
    ('openrouter/minimax/minimax-m2.5', 'USD', '2026-07-24 00:00:00.000000+00', '45f65313005a3167'),
    ('openrouter/mistralai/devstral-2512', 'USD', '2026-07-24 00:00:00.000000+00', 'dcf7800ec99aebed'),
    ('openrouter/mistralai/mistral-large-2512', 'USD', '2026-07-24 00:00:00.000000+00', '31a56e5a9ce48065'),
    ('openrouter/moonshotai/kimi-k2.5', 'USD', '2026-07-24 00:00:00.000000+00', '36e0124a919cf7fd'),
    ('openrouter/openai/gpt-4.1', 'USD', '2026-07-24 00:00:00.000000+00', 'b82cc49efc84a09e'),
    ('openrouter/openai/gpt-4.1-mini', 'USD', '2026-07-24 00:00:00.000000+00', '3002147a0eb7839b'),
    ('openrouter/openai/gpt-4o', 'USD', '2026-07-24 00:00:00.000000+00', 'fbd9ac9578d4449a'),
    ('openrouter/openai/gpt-4o-mini', 'USD', '2026-07-24 00:00:00.000000+00', 'eff5d810af2c6805'),
    ('openrouter/openai/gpt-5', 'USD', '2026-07-24 00:00:00.000000+00', 'a7dd2191bcc7c209'),
    ('openrouter/openai/gpt-5-mini', 'USD', '2026-07-24 00:00:00.000000+00', '0e3301ce3b99cce8'),
    ('openrouter/openai/gpt-5-nano', 'USD', '2026-07-24 00:00:00.000000+00', 'f721280289eaa15b'),
    ('openrouter/openai/gpt-5.2', 'USD', '2026-07-24 00:00:00.000000+00', '259912927ba1d1df'),
    ('openrouter/openai/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', '7c525a7dcfaaacca'),
    ('openrouter/openai/gpt-oss-20b', 'USD', '2026-07-24 00:00:00.000000+00', '90364fb325b1ee7d'),
    ('openrouter/qwen/qwen3-235b-a22b-2507', 'USD', '2026-07-24 00:00:00.000000+00', '4be29f3eeeb2d02c'),
    ('openrouter/qwen/qwen3-coder', 'USD', '2026-07-24 00:00:00.000000+00', 'e2e2ed7a44fdcc3a'),
    ('openrouter/qwen/qwen3.5-397b-a17b', 'USD', '2026-07-24 00:00:00.000000+00', '8a73bf3d49160a60'),
    ('openrouter/qwen/qwen3.6-plus', 'USD', '2026-07-24 00:00:00.000000+00', '5b4a635882247cc8'),
    ('openrouter/x-ai/grok-4', 'USD', '2026-07-24 00:00:00.000000+00', 'b7a089beaf054d50'),
    ('openrouter/xiaomi/mimo-v2.5', 'USD', '2026-07-24 00:00:00.000000+00', '6913cab319a740b8'),
    ('openrouter/z-ai/glm-4.7', 'USD', '2026-07-24 00:00:00.000000+00', '82876bc7b88b7fb3'),
    ('openrouter/z-ai/glm-5.1', 'USD', '2026-07-24 00:00:00.000000+00', 'cd41461fa1285774'),
    ('perplexity/sonar', 'USD', '2026-07-24 00:00:00.000000+00', '375e9ed70834bbd6'),
    ('perplexity/sonar-deep-research', 'USD', '2026-07-24 00:00:00.000000+00', 'd7852b05cb8cc429'),
    ('perplexity/sonar-pro', 'USD', '2026-07-24 00:00:00.000000+00', '33f6ab4e727edc99'),
    ('perplexity/sonar-reasoning', 'USD', '2026-07-24 00:00:00.000000+00', 'e0c81b1a8f830b49'),
    ('perplexity/sonar-reasoning-pro', 'USD', '2026-07-24 00:00:00.000000+00', '258a5ede90085f50'),
    ('qwen/qwen-max', 'USD', '2026-07-24 00:00:00.000000+00', '6216fde62c1b4cd5'),
    ('qwen/qwen-plus', 'USD', '2026-07-24 00:00:00.000000+00', '7e826bdc3bb8219c'),
    ('qwen/qwen-turbo', 'USD', '2026-07-24 00:00:00.000000+00', 'e9268e178d486911'),
    ('qwen/qwen3-next-80b-a3b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '0882a17311611b8b'),
    ('qwen/qwen3-next-80b-a3b-thinking', 'USD', '2026-07-24 00:00:00.000000+00', '0f096f33cca75a19'),
    ('qwen/qwen3-vl-235b-a22b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '46585bf15d12bebf'),
    ('qwen/qwen3-vl-235b-a22b-thinking', 'USD', '2026-07-24 00:00:00.000000+00', '538a3c0d16b2e010'),
    ('qwen/qwen3-vl-32b-instruct', 'USD', '2026-07-24 00:00:00.000000+00', '7f06ada3f8b03f64'),
    ('qwen/qwen3-vl-32b-thinking', 'USD', '2026-07-24 00:00:00.000000+00', '2bd0f8117d32d36f'),
    ('qwen/qwq-plus', 'USD', '2026-07-24 00:00:00.000000+00', '6ca79668851a515b'),
    ('sambanova/DeepSeek-R1', 'USD', '2026-07-24 00:00:00.000000+00', '995497fb98f73dda'),
    ('sambanova/DeepSeek-V3.1', 'USD', '2026-07-24 00:00:00.000000+00', 'ad94777fda955937'),
    ('sambanova/DeepSeek-V3.2', 'USD', '2026-07-24 00:00:00.000000+00', '5db15b10e17aac3c'),
    ('sambanova/Llama-4-Maverick-17B-128E-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'add0f6bceef79f4c'),
    ('sambanova/Meta-Llama-3.3-70B-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', '1a241f230a6df321'),
    ('sambanova/MiniMax-M2.7', 'USD', '2026-07-24 00:00:00.000000+00', 'b1053b82570f5370'),
    ('sambanova/gemma-4-31B-it', 'USD', '2026-07-24 00:00:00.000000+00', 'a2692f6f648b0766'),
    ('sambanova/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', '555878468eeaadd0'),
    ('together/BAAI/bge-base-en-v1.5', 'USD', '2026-07-24 00:00:00.000000+00', 'ccbb92629a8bc96b'),
    ('together/Qwen/Qwen3-235B-A22B-Instruct-2507-tput', 'USD', '2026-07-24 00:00:00.000000+00', '497a99f5011f9322'),
    ('together/Qwen/Qwen3-235B-A22B-Thinking-2507', 'USD', '2026-07-24 00:00:00.000000+00', 'b0f4bd00dc690a37'),
    ('together/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', 'USD', '2026-07-24 00:00:00.000000+00', 'aec72c320c6fb1ed'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'f33e5e3f789650d7'),
    ('together/Qwen/Qwen3-Next-80B-A3B-Thinking', 'USD', '2026-07-24 00:00:00.000000+00', '7e3ce08809030dd9'),
    ('together/Qwen/Qwen3.5-397B-A17B', 'USD', '2026-07-24 00:00:00.000000+00', '20ccc056a2969685'),
    ('together/deepseek-ai/DeepSeek-R1', 'USD', '2026-07-24 00:00:00.000000+00', '98670f2a30e72f19'),
    ('together/deepseek-ai/DeepSeek-V3', 'USD', '2026-07-24 00:00:00.000000+00', '26d75adfd4e86946'),
    ('together/deepseek-ai/DeepSeek-V3.1', 'USD', '2026-07-24 00:00:00.000000+00', 'c6e39788c9eab7df'),
    ('together/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'USD', '2026-07-24 00:00:00.000000+00', '7eab3d9b003d9f97'),
    ('together/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'USD', '2026-07-24 00:00:00.000000+00', '9b04ae127f193ae9'),
    ('together/meta-llama/Llama-4-Scout-17B-16E-Instruct', 'USD', '2026-07-24 00:00:00.000000+00', 'ddead5d5fdef5414'),
    ('together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'USD', '2026-07-24 00:00:00.000000+00', '4e52216f3dfa4d12'),
    ('together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'USD', '2026-07-24 00:00:00.000000+00', '47570f861ec2f473'),
    ('together/moonshotai/Kimi-K2-Instruct-0905', 'USD', '2026-07-24 00:00:00.000000+00', '3c2e30858a3b514b'),
    ('together/moonshotai/Kimi-K2.5', 'USD', '2026-07-24 00:00:00.000000+00', 'f73dabe39409ab63'),
    ('together/openai/gpt-oss-120b', 'USD', '2026-07-24 00:00:00.000000+00', '5d5f9f2271e26675'),
    ('together/openai/gpt-oss-20b', 'USD', '2026-07-24 00:00:00.000000+00', 'c96b5e2b4c552ec0'),
    ('together/zai-org/GLM-4.5-Air-FP8', 'USD', '2026-07-24 00:00:00.000000+00', '31d7c322fbb83828'),
    ('together/zai-org/GLM-4.6', 'USD', '2026-07-24 00:00:00.000000+00', 'd98d9100ca58d035'),
    ('together/zai-org/GLM-4.7', 'USD', '2026-07-24 00:00:00.000000+00', 'd1471726d98905b2'),
    ('xai/grok-3', 'USD', '2026-07-24 00:00:00.000000+00', '85664fc6e7bce4ab'),
    ('xai/grok-3-mini', 'USD', '2026-07-24 00:00:00.000000+00', '2c5ba05d14147a2d'),
    ('xai/grok-4', 'USD', '2026-07-24 00:00:00.000000+00', '45ced6a3db6f9560'),
    ('xai/grok-4-1-fast', 'USD', '2026-07-24 00:00:00.000000+00', 'adc87a48b61a7f57'),
    ('xai/grok-4.20-0309-reasoning', 'USD', '2026-07-24 00:00:00.000000+00', '3aae3f5b953bf95e'),
    ('xai/grok-4.20-beta-0309-non-reasoning', 'USD', '2026-07-24 00:00:00.000000+00', 'd5341efef66b3e64'),
    ('xai/grok-4.3', 'USD', '2026-07-24 00:00:00.000000+00', '0377311a01597770'),
    ('xai/grok-4.5', 'USD', '2026-07-24 00:00:00.000000+00', 'e9aea2fc63888395'),
    ('xai/grok-code-fast', 'USD', '2026-07-24 00:00:00.000000+00', '9b818f6b0db61f7e'),
    ('zai/glm-4.5', 'USD', '2026-07-24 00:00:00.000000+00', 'd05f3d51b1d0795f'),
    ('zai/glm-4.5-air', 'USD', '2026-07-24 00:00:00.000000+00', 'c3335d82eb891034'),
    ('zai/glm-4.5v', 'USD', '2026-07-24 00:00:00.000000+00', '4b74639be532687b'),
    ('zai/glm-4.6', 'USD', '2026-07-24 00:00:00.000000+00', '1f236d245d14e71c'),
    ('zai/glm-4.7', 'USD', '2026-07-24 00:00:00.000000+00', '989b76fa6ed9a7bf'),
    ('zai/glm-5', 'USD', '2026-07-24 00:00:00.000000+00', '583fcfc835d6cea2'),
    ('zai/glm-5-code', 'USD', '2026-07-24 00:00:00.000000+00', '95595e5efc6d818d'),
    ('zai/glm-5.1', 'USD', '2026-07-24 00:00:00.000000+00', '1f1f1224ffa269a5')
), marked AS (
    UPDATE aigw.prices t SET origin = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN 'shipped' ELSE 'changed' END,
        created_at = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN t.valid_from ELSE t.created_at END,
        created_by = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN 'aigw' ELSE t.created_by END
      FROM shipped s WHERE t.model = s.model AND t.currency = s.currency AND t.valid_from = s.valid_from::timestamptz
    RETURNING t.*
)
INSERT INTO aigw.deleted_rows (table_name, key)
SELECT 'prices', aigw.row_key(r)
  FROM shipped s, jsonb_populate_record(NULL::aigw.prices, jsonb_build_object('model', s.model, 'currency', s.currency, 'valid_from', s.valid_from::timestamptz)) r
 WHERE NOT EXISTS (SELECT 1 FROM marked t WHERE t.model = s.model AND t.currency = s.currency AND t.valid_from = s.valid_from::timestamptz);

WITH shipped (code, fp) AS (VALUES
    ('AUD', 'f15daddeedacfe2c'),
    ('BRL', 'fb1ce7a37b699b65'),
    ('CAD', '11d91a4aee07c21a'),
    ('CHF', '99b573569b193962'),
    ('CNY', 'f9878dba421c104f'),
    ('EUR', '383069c5a4fd332a'),
    ('GBP', '6eb6a23e691b2eb8'),
    ('HKD', 'ade14a04250d0b38'),
    ('IDR', 'c3565264c77a0a86'),
    ('INR', '9954437b3d4cbe39'),
    ('JPY', '17bb7f4b34b93701'),
    ('KRW', 'f15179bf70105a9e'),
    ('MYR', '3a9fa8e74cc04426'),
    ('PHP', 'e8f0b5ad072a054f'),
    ('SGD', '8c2f2af4ea50270a'),
    ('THB', '95b58ebc84170145'),
    ('USD', '17a3a09385cbd3bc'),
    ('VND', 'f7926c3a68ff9e1d')
), marked AS (
    UPDATE aigw.currencies t SET origin = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN 'shipped' ELSE 'changed' END
      FROM shipped s WHERE t.code = s.code
    RETURNING t.*
)
INSERT INTO aigw.deleted_rows (table_name, key)
SELECT 'currencies', aigw.row_key(r)
  FROM shipped s, jsonb_populate_record(NULL::aigw.currencies, jsonb_build_object('code', s.code)) r
 WHERE NOT EXISTS (SELECT 1 FROM marked t WHERE t.code = s.code);

WITH shipped (litellm_provider, fp) AS (VALUES
    ('anthropic', '7a5621606d0404d3'),
    ('bedrock', '9342c9c7aa34083e'),
    ('bedrock_converse', 'da0e894e28c14f1b'),
    ('cerebras', '7fc546460ec9b6cc'),
    ('dashscope', '0902dcd745de3082'),
    ('deepinfra', '8af4adf24b64178e'),
    ('deepseek', 'ce4e0622e0cfd7b0'),
    ('fireworks_ai', 'ff4f9a2e06d8f20d'),
    ('gemini', '1cb153ed4f407ac1'),
    ('groq', '4d040d3693724f4d'),
    ('mistral', '66c2b845890015f2'),
    ('moonshot', '169b20ef1d4d9086'),
    ('openai', 'c5b4f88156852451'),
    ('openrouter', 'aba289f8f0e97284'),
    ('perplexity', '0f3dad8c3b0226e0'),
    ('sambanova', '3972e336a09a67df'),
    ('together_ai', '75b974ad9e4b7176'),
    ('xai', '8da80f6fa9dbbfd0'),
    ('zai', '49c8e402db12adfd')
), marked AS (
    UPDATE aigw.catalogue_providers t SET origin = CASE WHEN aigw.shipped_fingerprint(t) = s.fp THEN 'shipped' ELSE 'changed' END
      FROM shipped s WHERE t.litellm_provider = s.litellm_provider
    RETURNING t.*
)
INSERT INTO aigw.deleted_rows (table_name, key)
SELECT 'catalogue_providers', aigw.row_key(r)
  FROM shipped s, jsonb_populate_record(NULL::aigw.catalogue_providers, jsonb_build_object('litellm_provider', s.litellm_provider)) r
 WHERE NOT EXISTS (SELECT 1 FROM marked t WHERE t.litellm_provider = s.litellm_provider);
-- END GENERATED SHIPPED ROWS

--------------------------------------------------------------------------
-- Keeping origin and aigw.deleted_rows, for every write to the five
-- tables.  SECURITY DEFINER: an administrator who may change providers
-- need not be granted aigw.deleted_rows.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.shipped_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    by_aigw constant boolean := aigw.installing();
    tbl constant text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    key_columns text;
    all_columns text;
    new_key jsonb;
    merged integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- CREATE EXTENSION would make it again in a restored copy, and a
        -- later release might
        IF NOT by_aigw AND OLD.origin <> 'added' THEN
            INSERT INTO aigw.deleted_rows (table_name, key)
            VALUES (TG_TABLE_NAME, aigw.row_key(OLD))
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN OLD;
    END IF;

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO key_columns
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indrelid = TG_RELID AND i.indisprimary;
    new_key := aigw.row_key(NEW);

    IF by_aigw THEN
        IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM aigw.deleted_rows d WHERE d.table_name = TG_TABLE_NAME AND d.key = new_key) THEN
                RETURN NULL;    -- an administrator deleted it: it stays deleted
            END IF;
            -- an administrator's own row under a key aigw now ships stays
            -- theirs (ON CONFLICT DO NOTHING), but it is a shipped key now
            EXECUTE format('UPDATE %s t SET origin = ''changed'' WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) k) AND t.origin = ''added''',
                           tbl, key_columns, key_columns, tbl)
                USING to_jsonb(NEW);
            NEW.origin := 'shipped';
            -- the same in every database, whoever installed it and when: a
            -- restored copy is then the same row for row
            IF TG_TABLE_NAME = 'prices' THEN
                NEW.created_at := NEW.valid_from;
                NEW.created_by := 'aigw';
            END IF;
        END IF;
        RETURN NEW;
    END IF;

    IF TG_OP = 'UPDATE' THEN
        NEW.origin := CASE OLD.origin WHEN 'added' THEN 'added' ELSE 'changed' END;
        IF new_key IS DISTINCT FROM aigw.row_key(OLD) THEN
            -- renamed: the old key is gone, as if deleted
            IF OLD.origin <> 'added' THEN
                INSERT INTO aigw.deleted_rows (table_name, key)
                VALUES (TG_TABLE_NAME, aigw.row_key(OLD))
                ON CONFLICT DO NOTHING;
            END IF;
            DELETE FROM aigw.deleted_rows d WHERE d.table_name = TG_TABLE_NAME AND d.key = new_key;
            NEW.origin := CASE WHEN FOUND THEN 'changed' ELSE 'added' END;
        END IF;
        RETURN NEW;
    END IF;

    -- INSERT by anyone but aigw's scripts
    NEW.origin := CASE NEW.origin WHEN 'changed' THEN 'changed' ELSE 'added' END;
    DELETE FROM aigw.deleted_rows d WHERE d.table_name = TG_TABLE_NAME AND d.key = new_key;
    IF FOUND THEN
        NEW.origin := 'changed';
    END IF;
    -- The key of an untouched shipped row: what pg_restore does with a
    -- changed row after CREATE EXTENSION has made the shipped one again.
    -- The insert becomes the change.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO all_columns
      FROM pg_attribute a
     WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    EXECUTE format('UPDATE %s t SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) r) WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) k) AND t.origin = ''shipped''',
                   tbl, all_columns, all_columns, tbl, key_columns, key_columns, tbl)
        USING to_jsonb(NEW) || '{"origin": "changed"}';
    GET DIAGNOSTICS merged = ROW_COUNT;
    IF merged > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION aigw.shipped_rows() FROM PUBLIC;

CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.providers
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.providers
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.models
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.models
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.prices
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.prices
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.currencies
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.currencies
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.catalogue_providers
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();
CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.catalogue_providers
    FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

-- A deletion recorded twice (a restore that already removed the row, then
-- loads the record) keeps its earliest record; a recorded deletion removes
-- the untouched shipped row of its key (a restore: CREATE EXTENSION made it
-- again).
CREATE FUNCTION aigw.deleted_rows_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tbl constant text := format('aigw.%I', NEW.table_name);
    key_columns text;
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        UPDATE aigw.deleted_rows d SET deleted_at = NEW.deleted_at, deleted_by = NEW.deleted_by
         WHERE d.table_name = NEW.table_name AND d.key = NEW.key AND d.deleted_at > NEW.deleted_at;
        IF EXISTS (SELECT 1 FROM aigw.deleted_rows d WHERE d.table_name = NEW.table_name AND d.key = NEW.key) THEN
            RETURN NULL;
        END IF;
        RETURN NEW;
    END IF;
    -- Only a deletion loaded here (pg_restore's COPY) is applied: one that
    -- aigw.shipped_rows records, from inside a trigger, is already done, or
    -- is a rename whose row must not be deleted under it.
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO key_columns
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indrelid = tbl::regclass AND i.indisprimary;
    EXECUTE format('DELETE FROM %s t WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) k) AND t.origin = ''shipped''',
                   tbl, key_columns, key_columns, tbl)
        USING NEW.key;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION aigw.deleted_rows_apply() FROM PUBLIC;
CREATE TRIGGER deleted_rows_once BEFORE INSERT ON aigw.deleted_rows
    FOR EACH ROW EXECUTE FUNCTION aigw.deleted_rows_apply();
CREATE TRIGGER deleted_rows_apply AFTER INSERT ON aigw.deleted_rows
    FOR EACH ROW EXECUTE FUNCTION aigw.deleted_rows_apply();

-- What pg_dump keeps: the rows that are not as shipped, the keys, the
-- deletions.
SELECT pg_catalog.pg_extension_config_dump('aigw.providers', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.models', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.prices', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.currencies', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.catalogue_providers', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.credentials', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.deleted_rows', '');

--------------------------------------------------------------------------
-- Tenants (issue 18, defect 5): aigw.wallet_spenders and
-- aigw.default_wallet, helpers that row-level security evaluates as the
-- querying role, were SECURITY DEFINER and answered any aigw_user about any
-- wallet and any role.  They are now C functions run with the caller's
-- rights (src/tenants/wallet_visibility.c): the lookup runs as the tables' owner,
-- which passes them the caller, and they answer only about a wallet that
-- caller may read, by the rule of the policy on aigw.wallets
-- (aigw.wallet_visible_to); a default wallet also only for a role whose
-- privileges the caller has, as the policy on aigw.role_wallets.  Called as
-- the owner (aigw's own code, SECURITY DEFINER functions) they see all.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.spenders_of(wallet bigint) RETURNS oid[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN ARRAY(SELECT w.owner::oid FROM aigw.wallets w WHERE w.id = wallet
             UNION ALL
             SELECT g.grantee::oid FROM aigw.wallet_grants g WHERE g.wallet_id = wallet);
REVOKE ALL ON FUNCTION aigw.spenders_of(bigint) FROM PUBLIC;

CREATE FUNCTION aigw.default_wallet_of(role oid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT w.name FROM aigw.role_wallets d JOIN aigw.wallets w ON w.id = d.wallet_id
         WHERE d.role = default_wallet_of.role);
REVOKE ALL ON FUNCTION aigw.default_wallet_of(oid) FROM PUBLIC;

-- The policy tenant_reads on aigw.wallets, for a given role: aigw_admin and
-- aigw_reader read every wallet; any other role the wallets it may spend
-- from, and under a JWT with an end user only the wallet the call would
-- spend from.
CREATE FUNCTION aigw.wallet_visible_to(wallet bigint, viewer oid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN coalesce((
    SELECT pg_has_role(viewer, 'aigw_admin', 'USAGE') OR pg_has_role(viewer, 'aigw_reader', 'USAGE')
           OR (EXISTS (SELECT 1 FROM unnest(aigw.spenders_of(w.id)) s(role) WHERE pg_has_role(viewer, s.role, 'USAGE'))
               AND (aigw.end_user() IS NULL
                    OR w.name = coalesce(aigw.jwt_claim('wallet'), nullif(current_setting('aigw.wallet', true), ''),
                                         aigw.default_wallet_of(viewer))))
      FROM aigw.wallets w WHERE w.id = wallet), false);
REVOKE ALL ON FUNCTION aigw.wallet_visible_to(bigint, oid) FROM PUBLIC;

CREATE FUNCTION aigw.default_wallet_visible_to(role oid, viewer oid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT w.name FROM aigw.role_wallets d JOIN aigw.wallets w ON w.id = d.wallet_id
         WHERE d.role = default_wallet_visible_to.role
           AND (pg_has_role(viewer, 'aigw_admin', 'USAGE') OR pg_has_role(viewer, 'aigw_reader', 'USAGE')
                OR pg_has_role(viewer, d.role::oid, 'USAGE'))
           AND aigw.wallet_visible_to(w.id, viewer));
REVOKE ALL ON FUNCTION aigw.default_wallet_visible_to(oid, oid) FROM PUBLIC;

-- Same names and privileges, so the policies and grants that use them stay.
CREATE OR REPLACE FUNCTION aigw.wallet_spenders(wallet bigint) RETURNS oid[]
AS 'MODULE_PATHNAME', 'aigw_wallet_spenders'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED SECURITY INVOKER;
COMMENT ON FUNCTION aigw.wallet_spenders(bigint) IS
    'The roles that may spend from a wallet, its owner first, if you may read the wallet; else an empty array.';
CREATE OR REPLACE FUNCTION aigw.default_wallet(role oid) RETURNS text
AS 'MODULE_PATHNAME', 'aigw_default_wallet'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED SECURITY INVOKER;
COMMENT ON FUNCTION aigw.default_wallet(oid) IS
    'The default wallet of a role (aigw.set_default_wallet), or NULL: only of a role whose privileges you have, and only a wallet you may read.';

--------------------------------------------------------------------------
-- Names in errors (issue 18, defect 5): an unknown model, route, wallet
-- or provider is the caller's input, and a 200 KB one was echoed whole into
-- the error (and the server log).  Errors quote such a name with
-- aigw.quote_name: whole up to 100 characters, else its first 100 and its
-- length (the C side: src/common/quote_name.c, the same rule).
--------------------------------------------------------------------------
CREATE FUNCTION aigw.quote_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN length(name) <= 100 THEN '"' || name || '"'
            ELSE format('"%s..." (%s characters)', left(name, 100), length(name)) END;
COMMENT ON FUNCTION aigw.quote_name(text) IS
    'A name as an error quotes it: "name", or its first 100 characters and its length when longer.';
GRANT EXECUTE ON FUNCTION aigw.quote_name(text) TO aigw_user, aigw_reader;

--------------------------------------------------------------------------
-- Amounts out of range (issue 18, defect 5).  A balance is counted in
-- shared memory as a 64-bit integer of ledger units (the rounding rule of
-- 0.2.0: a millionth of the minor unit), and a reservation is checked
-- against balance + credit limit: a top-up of 1e30 failed with a bare
-- "bigint out of range", and a credit limit or a balance near the edge
-- made every later call of the wallet fail.  Each amount is now checked
-- before anything is written: a top-up, an adjustment or a refund may not
-- take the balance plus the credit limit past the largest amount, nor the
-- balance below its negative; a credit limit may not either.  (Rates of
-- aigw.set_price and aigw.set_fx had bounds already.)
--------------------------------------------------------------------------
-- The largest amount a balance in a currency can be, in whole minor units:
-- 92233720368.54 USD, 9223372036854 IDR.
CREATE FUNCTION aigw.max_balance(currency text) RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT trunc(9223372036854775807 / 10::numeric ^ (c.minor_units + 6), c.minor_units)
          FROM aigw.currencies c WHERE c.code = currency);
COMMENT ON FUNCTION aigw.max_balance(text) IS
    'The largest balance (plus credit limit) a wallet in a currency may reach, and the most it may owe: aigw counts balances in 64-bit integers of a millionth of the minor unit.';
GRANT EXECUTE ON FUNCTION aigw.max_balance(text) TO aigw_user, aigw_reader;

-- Refuse a movement of `credit` (in the wallet's currency, signed) that
-- would take the wallet out of range.  `amount` and `amount_currency` are
-- what the caller asked for (a top-up may be paid in another currency, at
-- `fx` to the wallet's); `what` names the movement, `hint` says what to do.
CREATE FUNCTION aigw.check_wallet_range(what text, amount numeric, amount_currency text, w aigw.wallets,
                                        credit numeric, fx numeric, hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    most constant numeric := aigw.max_balance(w.currency);
    minor constant smallint := (SELECT c.minor_units FROM aigw.currencies c WHERE c.code = w.currency);
    balance constant numeric := coalesce((SELECT b.balance FROM aigw.wallet_balances b WHERE b.wallet_id = w.id), 0);
    room numeric;
    largest text;
BEGIN
    room := CASE WHEN credit >= 0 THEN most - balance - w.credit_limit ELSE most + balance END;
    IF abs(credit) <= room THEN
        RETURN;
    END IF;
    -- signed as the movement: a debit's limit is negative
    largest := format('%s %s', sign(credit) * trunc(greatest(room, 0), minor), w.currency);
    IF fx IS NOT NULL AND fx > 0 THEN
        largest := largest || format(' (%s %s at the rate in force)',
                                     trunc(greatest(room, 0) / fx, (SELECT c.minor_units FROM aigw.currencies c
                                                                     WHERE c.code = amount_currency)),
                                     amount_currency);
    END IF;
    RAISE EXCEPTION '% of % % is out of range', what, amount, amount_currency
        USING ERRCODE = 'numeric_value_out_of_range',
              DETAIL = format('The largest %s wallet "%s" accepts now is %s: a balance in %s is counted to %s decimal places in a 64-bit integer, so with its credit limit it stays within %s %s either way (the balance is %s %s, the credit limit %s %s).',
                              what, w.name, largest, w.currency, minor + 6, most, w.currency,
                              balance, w.currency, w.credit_limit, w.currency),
              HINT = hint;
END
$$;
REVOKE ALL ON FUNCTION aigw.check_wallet_range(text, numeric, text, aigw.wallets, numeric, numeric, text) FROM PUBLIC;

-- A credit limit, alone or with the balance, within the same range.
CREATE FUNCTION aigw.check_credit_limit_range(credit_limit numeric, currency text, balance numeric)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    most constant numeric := aigw.max_balance(currency);
    minor constant smallint := (SELECT c.minor_units FROM aigw.currencies c WHERE c.code = currency);
    largest constant numeric := least(most - greatest(balance, 0), trunc(999999999999.999999, minor));
BEGIN
    IF credit_limit > largest THEN
        RAISE EXCEPTION 'credit limit % % is out of range', credit_limit, currency
            USING ERRCODE = 'numeric_value_out_of_range',
                  DETAIL = format('The largest credit limit accepted is %s %s: a balance in %s is counted to %s decimal places in a 64-bit integer, and the balance (%s %s) plus the credit limit stays within %s %s.',
                                  trunc(greatest(largest, 0), minor), currency, currency, minor + 6, balance, currency, most, currency),
                  HINT = 'Set a smaller credit limit.';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION aigw.check_credit_limit_range(numeric, text, numeric) FROM PUBLIC;

-- The functions that take an amount, checking it (bodies as in 0.2.0 otherwise).
CREATE OR REPLACE FUNCTION aigw.create_wallet(name text, currency text, credit_limit numeric DEFAULT 0,
                                   owner regrole DEFAULT current_user::regrole)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    minor smallint;
    new_id bigint;
BEGIN
    SELECT c.minor_units INTO minor FROM aigw.currencies c WHERE c.code = create_wallet.currency;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown currency "%"', currency
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Currencies are ISO 4217 codes such as USD, CNY or IDR; SELECT code FROM aigw.currencies lists them.';
    END IF;
    IF name IS NULL OR name !~ '^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid wallet name %', aigw.quote_name(name)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Up to 63 letters, digits and _ . : @ -, starting with a letter or digit.';
    END IF;
    PERFORM aigw.check_money(credit_limit, 'credit_limit');
    PERFORM aigw.check_credit_limit_range(credit_limit, currency, 0);
    IF credit_limit < 0 OR credit_limit <> round(credit_limit, minor) OR credit_limit >= 1000000000000 THEN
        RAISE EXCEPTION 'invalid credit limit % %', credit_limit, currency
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('A credit limit is zero or more, in whole units of %s (%s decimal places).', currency, minor);
    END IF;
    IF owner IS NULL THEN
        RAISE EXCEPTION 'a wallet needs an owner role' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.name = create_wallet.name) THEN
        RAISE EXCEPTION 'wallet "%" already exists', name USING ERRCODE = 'duplicate_object';
    END IF;
    INSERT INTO aigw.wallets (name, currency, credit_limit, owner, created_by)
    VALUES (name, currency, credit_limit, owner, session_user)
    RETURNING id INTO new_id;
    INSERT INTO aigw.wallet_balances (wallet_id) VALUES (new_id);
    RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION aigw.set_credit_limit(wallet text, credit_limit numeric) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w aigw.wallets;
BEGIN
    PERFORM aigw.check_money(credit_limit, 'credit_limit');
    IF credit_limit < 0 THEN
        RAISE EXCEPTION 'a credit limit cannot be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO w FROM aigw.wallets x WHERE x.name = wallet;
    IF FOUND THEN
        PERFORM aigw.check_credit_limit_range(credit_limit, w.currency,
                                              coalesce((SELECT b.balance FROM aigw.wallet_balances b WHERE b.wallet_id = w.id), 0));
    END IF;
    UPDATE aigw.wallets w SET credit_limit = set_credit_limit.credit_limit WHERE w.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet % does not exist', aigw.quote_name(wallet) USING ERRCODE = 'undefined_object';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION aigw.topup_quote(wallet text, amount numeric, currency text, rail text, external_ref text)
RETURNS TABLE (wallet_id bigint, wallet_xmin xid, wallet_currency text, scale integer,
               credit text, fx_rate text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w aigw.wallets;
    minor smallint;
    fx numeric;
BEGIN
    PERFORM aigw.check_money(amount, 'a top-up amount');
    IF amount <= 0 THEN
        RAISE EXCEPTION 'a top-up amount must be positive, not %', amount
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Take money out with aigw.adjust() and a note saying why.';
    END IF;
    SELECT c.minor_units INTO minor FROM aigw.currencies c WHERE c.code = topup_quote.currency;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown currency "%"', currency
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM aigw.currencies lists them.';
    END IF;
    IF amount <> round(amount, minor) THEN
        RAISE EXCEPTION 'top-up amount % has more decimal places than % has', amount, currency
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s is paid in whole units of %s decimal places.', currency, minor);
    END IF;
    IF rail IS NULL OR btrim(rail) = '' OR external_ref IS NULL OR btrim(external_ref) = '' THEN
        RAISE EXCEPTION 'a top-up needs its payment rail and the rail''s transaction reference'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'external_ref is what makes a top-up idempotent: the same (rail, external_ref) is credited once.';
    END IF;
    SELECT * INTO w FROM aigw.wallets WHERE name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet % does not exist', aigw.quote_name(wallet) USING ERRCODE = 'undefined_object';
    END IF;
    fx := aigw.fx_rate(currency, w.currency, now());
    IF fx IS NULL THEN
        RAISE EXCEPTION 'no exchange rate from % to % is in force', currency, w.currency
            USING ERRCODE = '5G023',
                  DETAIL = format('Wallet "%s" holds %s.', wallet, w.currency),
                  HINT = format('Set one with aigw.set_fx(%L, %L, rate), or top up in %s.', currency, w.currency, w.currency);
    END IF;
    wallet_id := w.id;
    wallet_xmin := w.xmin;
    wallet_currency := w.currency;
    scale := aigw.ledger_scale(w.currency);
    credit := round(amount * fx, scale);
    fx_rate := CASE WHEN currency <> w.currency THEN fx END;
    PERFORM aigw.check_wallet_range('top-up', amount, currency, w, credit::numeric, fx_rate::numeric,
                                    'Top up a smaller amount, or split the payment over several wallets.');
    RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION aigw.refund_quote(request_id bigint, amount numeric)
RETURNS TABLE (wallet_id bigint, wallet_xmin xid, wallet_currency text, scale integer,
               credit text, fx_rate text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c aigw.ledger;
BEGIN
    SELECT * INTO c FROM aigw.ledger l WHERE l.request_id = refund_quote.request_id AND l.kind = 'charge';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'request % was not charged', request_id
            USING ERRCODE = 'undefined_object', HINT = 'Only a charged request can be refunded: see aigw.ledger.';
    END IF;
    IF amount IS NOT NULL THEN
        PERFORM aigw.check_money(amount, 'a refund amount');
        IF amount <= 0 OR amount > -c.amount THEN
            RAISE EXCEPTION 'refund amount % is not between 0 and the charge of % %', amount, -c.amount, c.currency
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    wallet_id := c.wallet_id;
    wallet_currency := c.currency;
    scale := aigw.ledger_scale(c.currency);
    credit := round(coalesce(amount, -c.amount), scale);
    PERFORM aigw.check_wallet_range('refund', coalesce(amount, -c.amount), c.currency,
                                    (SELECT w FROM aigw.wallets w WHERE w.id = c.wallet_id), credit::numeric, NULL,
                                    'Refund less, or take money out of the wallet first with aigw.adjust().');
    RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION aigw.adjust_quote(wallet text, amount numeric, note text)
RETURNS TABLE (wallet_id bigint, wallet_xmin xid, wallet_currency text, scale integer,
               credit text, fx_rate text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w aigw.wallets;
BEGIN
    PERFORM aigw.check_money(amount, 'an adjustment');
    IF amount = 0 THEN
        RAISE EXCEPTION 'an adjustment cannot be zero' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF note IS NULL OR btrim(note) = '' THEN
        RAISE EXCEPTION 'an adjustment needs a note saying why'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO w FROM aigw.wallets WHERE name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet % does not exist', aigw.quote_name(wallet) USING ERRCODE = 'undefined_object';
    END IF;
    scale := aigw.ledger_scale(w.currency);
    IF amount <> round(amount, scale) THEN
        RAISE EXCEPTION 'adjustment % has more than % decimal places', amount, scale
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    wallet_id := w.id;
    wallet_xmin := w.xmin;
    wallet_currency := w.currency;
    credit := round(amount, scale);
    PERFORM aigw.check_wallet_range('adjustment', amount, w.currency, w, credit::numeric, NULL,
                                    'Adjust by a smaller amount.');
    RETURN NEXT;
END
$$;

-- The functions that echo a name (see "Names in errors" above; bodies as before otherwise).
CREATE OR REPLACE FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric,
                               currency text DEFAULT 'USD', cached_input_per_mtok numeric DEFAULT NULL,
                               valid_from timestamptz DEFAULT now(),
                               cache_write_per_mtok numeric DEFAULT NULL,
                               reasoning_per_mtok numeric DEFAULT NULL,
                               source text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    next_from timestamptz;
    rate numeric;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM aigw.models m WHERE m.id = set_price.model FOR NO KEY UPDATE) THEN
        RAISE EXCEPTION 'unknown model %', aigw.quote_name(model)
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id FROM aigw.models lists the catalogue.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM aigw.currencies c WHERE c.code = set_price.currency) THEN
        RAISE EXCEPTION 'unknown currency "%"', currency
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM aigw.currencies lists them.';
    END IF;
    FOREACH rate IN ARRAY ARRAY[input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, reasoning_per_mtok] LOOP
        IF rate IS NOT NULL AND (rate < 0 OR rate = 'NaN' OR rate >= 1000000) THEN
            RAISE EXCEPTION 'price % per million tokens is out of range', rate
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Rates are per million tokens, from 0 to less than 1000000.';
        END IF;
    END LOOP;
    IF input_per_mtok IS NULL OR output_per_mtok IS NULL THEN
        RAISE EXCEPTION 'input_per_mtok and output_per_mtok are required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF valid_from IS NULL OR valid_from < now() THEN
        RAISE EXCEPTION 'a price cannot take effect in the past'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'valid_from is earlier than the start of this transaction.',
                  HINT = 'Charges already made keep the price they were made at; set the new price from now on.';
    END IF;

    SELECT min(p.valid_from) INTO next_from FROM aigw.prices p
     WHERE p.model = set_price.model AND p.currency = set_price.currency AND p.valid_from > set_price.valid_from;
    DELETE FROM aigw.prices p
     WHERE p.model = set_price.model AND p.currency = set_price.currency AND p.valid_from = set_price.valid_from;
    UPDATE aigw.prices p SET valid_to = set_price.valid_from
     WHERE p.model = set_price.model AND p.currency = set_price.currency
       AND p.valid_from < set_price.valid_from AND (p.valid_to IS NULL OR p.valid_to > set_price.valid_from);
    INSERT INTO aigw.prices (model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok,
                             cache_write_per_mtok, reasoning_per_mtok, valid_from, valid_to, source, created_by)
    VALUES (model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok,
            cache_write_per_mtok, reasoning_per_mtok, valid_from, next_from, source, session_user);
END
$$;

CREATE OR REPLACE FUNCTION aigw.balance(wallet text) RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result numeric;
BEGIN
    SELECT b.balance INTO result
      FROM aigw.wallets w JOIN aigw.wallet_balances b ON b.wallet_id = w.id
     WHERE w.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet % does not exist or role "%" may not read it', aigw.quote_name(wallet), current_user
            USING ERRCODE = 'undefined_object',
                  HINT = 'A wallet is readable by roles with the privileges of its owner.';
    END IF;
    RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION aigw.statement(wallet text, period_from timestamptz, period_to timestamptz)
RETURNS TABLE (line text, model text, provider text, items bigint, amount numeric, currency text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w aigw.wallets;
BEGIN
    SELECT * INTO w FROM aigw.wallets x WHERE x.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet % does not exist or role "%" may not read it', aigw.quote_name(wallet), current_user
            USING ERRCODE = 'undefined_object';
    END IF;
    IF period_from IS NULL OR period_to IS NULL OR period_to < period_from THEN
        RAISE EXCEPTION 'invalid statement period [%, %)', period_from, period_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the closing balance is the opening one plus the period's movements:
    -- the ledger before period_from is summed once, not twice
    RETURN QUERY
    WITH opening AS (
        SELECT coalesce(sum(l.amount), 0) AS a FROM aigw.ledger l
         WHERE l.wallet_id = w.id AND l.created_at < period_from
    ), lines AS (
        SELECT l.kind AS line, l.model AS m, l.provider AS p, count(*) AS n, sum(l.amount) AS a,
               CASE l.kind WHEN 'topup' THEN 1 WHEN 'refund' THEN 2 WHEN 'adjustment' THEN 3 ELSE 4 END AS ord
          FROM aigw.ledger l
         WHERE l.wallet_id = w.id AND l.created_at >= period_from AND l.created_at < period_to
         GROUP BY l.kind, l.model, l.provider
    )
    SELECT 'opening balance', NULL::text, NULL::text, NULL::bigint,
           round(o.a, aigw.ledger_scale(w.currency)), w.currency
      FROM opening o
    UNION ALL
    (SELECT x.line, x.m, x.p, x.n, x.a, w.currency FROM lines x ORDER BY x.ord, x.a, x.m)
    UNION ALL
    SELECT 'closing balance', NULL, NULL, NULL,
           round(o.a + coalesce((SELECT sum(x.a) FROM lines x), 0), aigw.ledger_scale(w.currency)),
           w.currency
      FROM opening o;
END
$$;

CREATE OR REPLACE FUNCTION aigw.wallet_id_of(wallet text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result bigint;
BEGIN
    SELECT w.id INTO result FROM aigw.wallets w WHERE w.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet % does not exist', aigw.quote_name(wallet)
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM aigw.wallets lists the wallets.';
    END IF;
    RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION aigw.routes_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
    unknown text;
BEGIN
    SELECT string_agg(aigw.quote_name(c), ', ') INTO missing
      FROM unnest(NEW.candidates) AS c
     WHERE NOT EXISTS (SELECT 1 FROM aigw.models m WHERE m.id = c);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'route % names models that are not in the catalogue: %', aigw.quote_name(NEW.name), missing
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'SELECT id FROM aigw.models lists the models.';
    END IF;
    SELECT string_agg(k, ', ') INTO unknown
      FROM jsonb_object_keys(NEW.constraints) AS k
     WHERE k NOT IN ('min_quality', 'capabilities', 'max_price_per_mtok', 'providers',
                     'exclude_providers', 'expected_output_tokens');
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'route % has unknown constraints: %', aigw.quote_name(NEW.name), unknown
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A route''s constraints may set min_quality, capabilities, max_price_per_mtok, providers, exclude_providers and expected_output_tokens.';
    END IF;
    RETURN NEW;
END
$$;
