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
