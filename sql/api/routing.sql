-- Routing and limits: the catalogue the router reads, routes, circuit
-- breakers, the pool's status, per-role limits.

CREATE FUNCTION aigw.auto(strategy text, messages jsonb, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE c STRICT COST 10000 PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_auto';

COMMENT ON FUNCTION aigw.auto(strategy text, messages jsonb, options jsonb) IS 'aigw.chat with meta-model auto/<strategy>: cheapest, fastest or best, under the constraints in options (min_quality, capabilities, max_price_per_mtok, providers, exclude_providers, candidates).';

CREATE FUNCTION aigw.catalog_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_catalog_changed';

CREATE FUNCTION aigw.circuit_states() RETURNS TABLE(kind text, name text, state text, consecutive_failures integer, window_requests integer, window_failures integer, requests bigint, failures bigint, times_opened integer, last_status text, last_http_status integer, last_error text, last_failure_at timestamp with time zone, last_success_at timestamp with time zone, opened_at timestamp with time zone, next_probe_at timestamp with time zone, latency_ms double precision, latency_samples bigint)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_circuit_states';

CREATE FUNCTION aigw.import_catalogue(prices jsonb, valid_from timestamp with time zone DEFAULT now()) RETURNS TABLE(model text, action text, detail text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    -- price-map field of each rate, in the order of aigw.prices' columns
    fields constant text[] := ARRAY['input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost',
                                    'cache_creation_input_token_cost', 'output_cost_per_reasoning_token',
                                    'input_cost_per_token_batches', 'output_cost_per_token_batches'];
    labels constant text[] := ARRAY['input', 'output', 'cached input', 'cache write', 'reasoning', 'batch input', 'batch output'];
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
                               cur.cache_write_per_mtok, cur.reasoning_per_mtok,
                               cur.input_batch_per_mtok, cur.output_batch_per_mtok];
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
                               rates[4], rates[5], format('aigw.import_catalogue: %s', entry.key), rates[6], rates[7]);
        action := 'updated';
        detail := format('%s: %s%s per million tokens', entry.key,
                         CASE WHEN old_rates IS NULL THEN 'no USD price before; ' ELSE '' END,
                         array_to_string(changes, ', '));
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION aigw.import_catalogue(prices jsonb, valid_from timestamp with time zone) IS 'Import prices from the public LiteLLM price map (an object keyed by model, USD per token). Each entry is mapped to an aigw model through aigw.catalogue_providers (provider/key without its prefix); a model whose rates differ from its USD price in force at valid_from gets a new price from valid_from on (the previous period is closed, as by aigw.set_price). One row per entry: updated, unchanged, not in catalogue (models are never created) or skipped (malformed), with the reason.';

CREATE FUNCTION aigw.limit_check_cost(n integer, model text DEFAULT 'openai/gpt-4o-mini'::text) RETURNS TABLE(limits_checked integer, ns_per_check double precision)
    LANGUAGE c STRICT
    AS 'MODULE_PATHNAME', 'aigw_limit_check_cost';

CREATE FUNCTION aigw.limit_spent_today(limit_id bigint) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT COALESCE(sum((r.cost *
         CASE
             WHEN (r.currency = l.currency) THEN (1)::numeric
             ELSE ( SELECT f.rate
                FROM aigw.fx_quote(r.currency, l.currency, r.created_at) f(rate, valid_until))
         END)), (0)::numeric) AS "coalesce"
    FROM (aigw.limits l
      JOIN aigw.requests r ON (((r.created_at >= (date_trunc('day'::text, (now() AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text)) AND (r.cost > (0)::numeric) AND
         CASE
             WHEN (l.wallet IS NOT NULL) THEN (r.wallet_id = ( SELECT w.id
                FROM aigw.wallets w
               WHERE (w.name = l.wallet)))
             ELSE (r.role_name IN ( SELECT m.rolname
                FROM pg_roles m
               WHERE pg_has_role(m.oid, (l.role)::oid, 'MEMBER'::text)))
         END)))
   WHERE (l.id = limit_spent_today.limit_id);
END;

CREATE FUNCTION aigw.limit_usage() RETURNS TABLE(limit_id bigint, requests_last_minute integer, tokens_last_minute bigint, in_flight integer, spent_today_units bigint, reserved_units bigint)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_limit_usage';

CREATE FUNCTION aigw.limits_catalogue() RETURNS TABLE(id bigint, role oid, wallet text, requests_per_minute integer, tokens_per_minute bigint, max_in_flight integer, allowed_models text[], max_cost_per_call numeric, spend_per_day numeric, currency text, scale integer)
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT l.id,
     (l.role)::oid AS role,
     l.wallet,
     l.requests_per_minute,
     l.tokens_per_minute,
     l.max_in_flight,
     l.allowed_models,
     l.max_cost_per_call,
     l.spend_per_day,
     l.currency,
     (c.minor_units + 6)
    FROM (aigw.limits l
      JOIN aigw.currencies c ON ((c.code = l.currency)))
   WHERE l.enabled
   ORDER BY l.id;
END;

CREATE FUNCTION aigw.model_allowed(model text) RETURNS boolean
    LANGUAGE c STABLE STRICT
    AS 'MODULE_PATHNAME', 'aigw_model_allowed';

CREATE FUNCTION aigw.pool_status() RETURNS TABLE(database_name name, worker integer, pid integer, inflight integer, completed bigint, started_at timestamp with time zone)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_pool_status';

COMMENT ON FUNCTION aigw.pool_status() IS 'The worker pools of every database: one row per running worker.';

CREATE FUNCTION aigw.reset_circuit(name text) RETURNS integer
    LANGUAGE c STRICT
    AS 'MODULE_PATHNAME', 'aigw_reset_circuit';

COMMENT ON FUNCTION aigw.reset_circuit(name text) IS 'Close the circuits of a provider or a model (by name or catalogue id) now; returns how many were reset.';

CREATE FUNCTION aigw.route_explain(model text, messages jsonb, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE c STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_route_explain';

COMMENT ON FUNCTION aigw.route_explain(model text, messages jsonb, options jsonb) IS 'The routing decision a call would get now, without sending anything: the candidates in order, what they were ranked by, and why others were skipped.';

CREATE FUNCTION aigw.routes_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.routing_catalogue(at timestamp with time zone) RETURNS TABLE(id text, provider text, enabled boolean, has_key boolean, context_window integer, max_output_tokens integer, capabilities text[], quality double precision, input_usd double precision, output_usd double precision, has_price boolean, valid_until timestamp with time zone)
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT m.id,
     m.provider,
     (m.enabled AND p.enabled),
     ((c.provider IS NOT NULL) OR (p.auth_scheme = 'none'::text)),
     m.context_window,
     m.max_output_tokens,
     m.capabilities,
     (m.quality)::double precision AS quality,
     ((pr.input_per_mtok * pr.rate))::double precision AS float8,
     ((pr.output_per_mtok * pr.rate))::double precision AS float8,
     (pr.model IS NOT NULL),
     LEAST(pr.valid_to, pr.fx_until, pr.next_from) AS "least"
    FROM (((aigw.models m
      JOIN aigw.providers p ON ((p.name = m.provider)))
      LEFT JOIN aigw.credentials c ON ((c.provider = m.provider)))
      LEFT JOIN LATERAL ( SELECT x.model,
             x.input_per_mtok,
             x.output_per_mtok,
             x.valid_to,
             q.rate,
             q.valid_until AS fx_until,
             ( SELECT min(n.valid_from) AS min
                    FROM aigw.prices n
                   WHERE ((n.model = x.model) AND (n.valid_from > routing_catalogue.at))) AS next_from
            FROM (aigw.prices x
              CROSS JOIN LATERAL aigw.fx_quote(x.currency, 'USD'::text, routing_catalogue.at) q(rate, valid_until))
           WHERE ((x.model = m.id) AND (x.valid_from <= routing_catalogue.at) AND ((x.valid_to IS NULL) OR (x.valid_to > routing_catalogue.at)))
           ORDER BY (q.rate IS NULL), (x.currency <> 'USD'::text), x.currency
          LIMIT 1) pr ON (true))
   WHERE (m.kind = 'chat'::text)
   ORDER BY m.id;
END;

REVOKE ALL ON FUNCTION aigw.auto(strategy text, messages jsonb, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.auto(strategy text, messages jsonb, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.catalog_changed() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.circuit_states() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.circuit_states() TO aigw_user;
GRANT ALL ON FUNCTION aigw.circuit_states() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.import_catalogue(prices jsonb, valid_from timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.import_catalogue(prices jsonb, valid_from timestamp with time zone) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.limit_check_cost(n integer, model text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.limit_check_cost(n integer, model text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.limit_spent_today(limit_id bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.limit_usage() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.limit_usage() TO aigw_user;
GRANT ALL ON FUNCTION aigw.limit_usage() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.limits_catalogue() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.model_allowed(model text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.model_allowed(model text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.pool_status() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.pool_status() TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.reset_circuit(name text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.reset_circuit(name text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.route_explain(model text, messages jsonb, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.route_explain(model text, messages jsonb, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.routes_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.routing_catalogue(at timestamp with time zone) FROM PUBLIC;
