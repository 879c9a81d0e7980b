-- aigw 0.9.0 -> 0.10.0: AI in plain SQL (calls read ahead by a custom scan,
-- semantic functions), PostgreSQL 16-18.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.10.0'" to load this file. \quit

--------------------------------------------------------------------------
-- Plain SQL reads calls ahead (DESIGN.md, "AI in plain SQL").  A call
-- function costs what a model call costs next to any other condition: with
-- a high COST, PostgreSQL evaluates the cheap conditions of a WHERE first,
-- and only the rows that pass them are sent.
--------------------------------------------------------------------------
ALTER FUNCTION aigw.ask(text, text, jsonb) COST 10000;
ALTER FUNCTION aigw.chat(text, jsonb, jsonb) COST 10000;
ALTER FUNCTION aigw.auto(text, jsonb, jsonb) COST 10000;
ALTER FUNCTION aigw.embed(text, text, jsonb) COST 10000;
-- aigw.agg, the aggregate (issue 20): sql/api/aggregate.sql
CREATE FUNCTION aigw.agg_transfn(state internal, input text, prompt text) RETURNS internal
    LANGUAGE c PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_agg_transfn';

CREATE FUNCTION aigw.agg_transfn(state internal, input text, prompt text, model text) RETURNS internal
    LANGUAGE c PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_agg_transfn';

CREATE FUNCTION aigw.agg_transfn(state internal, input text, prompt text, model text, options jsonb) RETURNS internal
    LANGUAGE c PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_agg_transfn';

CREATE FUNCTION aigw.agg_finalfn(state internal) RETURNS text
    LANGUAGE c PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_agg_finalfn';

CREATE AGGREGATE aigw.agg(input text, prompt text) (
    SFUNC = aigw.agg_transfn,
    STYPE = internal,
    FINALFUNC = aigw.agg_finalfn,
    PARALLEL = RESTRICTED
);

CREATE AGGREGATE aigw.agg(input text, prompt text, model text) (
    SFUNC = aigw.agg_transfn,
    STYPE = internal,
    FINALFUNC = aigw.agg_finalfn,
    PARALLEL = RESTRICTED
);

CREATE AGGREGATE aigw.agg(input text, prompt text, model text, options jsonb) (
    SFUNC = aigw.agg_transfn,
    STYPE = internal,
    FINALFUNC = aigw.agg_finalfn,
    PARALLEL = RESTRICTED
);

COMMENT ON AGGREGATE aigw.agg(input text, prompt text) IS 'One answer to prompt about all the group''s inputs (NULL and empty ones skipped), with the model of aigw.default_model: the inputs are packed into as few requests as the context window allows and the answers combined level by level; each request is a gateway call, logged and billed. NULL for a group with no input, without a call.';
COMMENT ON AGGREGATE aigw.agg(input text, prompt text, model text) IS 'One answer to prompt about all the group''s inputs (NULL and empty ones skipped), from model (a model, meta-model or route; NULL: aigw.default_model): the inputs are packed into as few requests as the context window allows and the answers combined level by level; each request is a gateway call, logged and billed. NULL for a group with no input, without a call.';
COMMENT ON AGGREGATE aigw.agg(input text, prompt text, model text, options jsonb) IS 'aigw.agg with options for every call (wallet, tags, max_tokens, temperature, retries...) and "concurrency" (requests of one level in flight; aigw.batch_concurrency by default). A failed call fails the aggregate.';

REVOKE ALL ON FUNCTION aigw.agg_transfn(state internal, input text, prompt text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aigw.agg_transfn(state internal, input text, prompt text, model text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aigw.agg_transfn(state internal, input text, prompt text, model text, options jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION aigw.agg_finalfn(state internal) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.agg(input text, prompt text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.agg(input text, prompt text) TO aigw_user;
REVOKE ALL ON FUNCTION aigw.agg(input text, prompt text, model text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.agg(input text, prompt text, model text) TO aigw_user;
REVOKE ALL ON FUNCTION aigw.agg(input text, prompt text, model text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.agg(input text, prompt text, model text, options jsonb) TO aigw_user;

--------------------------------------------------------------------------
-- Semantic functions (aigw.is_true, classify, extract, score): each one
-- gateway call with structured output checked against its schema
-- (sql/api/semantic.sql).
--------------------------------------------------------------------------
CREATE FUNCTION aigw.classify(input text, labels text[], model text DEFAULT NULL::text, options jsonb DEFAULT '{}'::jsonb) RETURNS text
    LANGUAGE c PARALLEL RESTRICTED COST 10000
    AS 'MODULE_PATHNAME', 'aigw_classify';

COMMENT ON FUNCTION aigw.classify(input text, labels text[], model text, options jsonb) IS 'The one of labels that fits input best, as the model answers it (an enum of exactly the labels); options.instructions adds guidance. NULL model: aigw.default_model.';

CREATE FUNCTION aigw.extract(input text, schema jsonb, model text DEFAULT NULL::text, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE c PARALLEL RESTRICTED COST 10000
    AS 'MODULE_PATHNAME', 'aigw_extract';

COMMENT ON FUNCTION aigw.extract(input text, schema jsonb, model text, options jsonb) IS 'An object valid against the JSON Schema schema, extracted from input by the model; an answer that does not validate is asked for once more, then an error. NULL model: aigw.default_model.';

CREATE FUNCTION aigw.is_true(prompt text, model text DEFAULT NULL::text, options jsonb DEFAULT '{}'::jsonb) RETURNS boolean
    LANGUAGE c PARALLEL RESTRICTED COST 10000
    AS 'MODULE_PATHNAME', 'aigw_is_true';

COMMENT ON FUNCTION aigw.is_true(prompt text, model text, options jsonb) IS 'Whether the model judges prompt (a statement or a yes-or-no question) true. NULL model: aigw.default_model.';

CREATE FUNCTION aigw.score(prompt text, model text DEFAULT NULL::text, options jsonb DEFAULT '{}'::jsonb) RETURNS double precision
    LANGUAGE c PARALLEL RESTRICTED COST 10000
    AS 'MODULE_PATHNAME', 'aigw_score';

COMMENT ON FUNCTION aigw.score(prompt text, model text, options jsonb) IS 'A score from 0 to 1 the model gives prompt (e.g. how relevant a document is to a query), for ranking. NULL model: aigw.default_model.';

REVOKE ALL ON FUNCTION aigw.classify(input text, labels text[], model text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.classify(input text, labels text[], model text, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.extract(input text, schema jsonb, model text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.extract(input text, schema jsonb, model text, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.is_true(prompt text, model text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.is_true(prompt text, model text, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.score(prompt text, model text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.score(prompt text, model text, options jsonb) TO aigw_user;
-- PostgreSQL 16-18 (pgver) ------------------------------------------------
-- PostgreSQL 18 keeps NOT NULL constraints in pg_constraint, named after
-- table and column when made, and a renamed column keeps its constraint's
-- name: 0.9.0 renamed credentials.secret to ciphertext, so a database that
-- came through it on 18 has credentials_secret_not_null where a fresh
-- install has credentials_ciphertext_not_null.  Before 18 there is none.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint
                WHERE conrelid = 'aigw.credentials'::regclass AND conname = 'credentials_secret_not_null') THEN
        ALTER TABLE aigw.credentials RENAME CONSTRAINT credentials_secret_not_null TO credentials_ciphertext_not_null;
    END IF;
END $$;

--------------------------------------------------------------------------
-- batch rates (batchprice)
-- A line sent through a provider's batch API (OpenAI Batch, Anthropic
-- Message Batches, ...) costs about half the standard rate.  aigw.prices
-- gains a batch input and a batch output rate (NULL: half the standard
-- rate), aigw.set_price sets them, aigw.import_catalogue reads them from the
-- price map, aigw.billing_quote gives the batch rate of every token class,
-- and the shipped prices get the batch rates the price map of 2026-07-24
-- gives (sql/schema/money.sql, sql/api/billing.sql, scripts/gen_prices.py).
--------------------------------------------------------------------------
ALTER TABLE aigw.prices ADD COLUMN input_batch_per_mtok numeric
    CHECK (input_batch_per_mtok >= 0 AND input_batch_per_mtok < 1000000);
ALTER TABLE aigw.prices ADD COLUMN output_batch_per_mtok numeric
    CHECK (output_batch_per_mtok >= 0 AND output_batch_per_mtok < 1000000);
COMMENT ON COLUMN aigw.prices.input_batch_per_mtok IS 'Rate of prompt tokens of a line sent through a provider''s batch API; NULL: half the input rate (as OpenAI, Anthropic, Google and AWS document).';
COMMENT ON COLUMN aigw.prices.output_batch_per_mtok IS 'Rate of completion tokens of a line sent through a provider''s batch API; NULL: half the output rate (as OpenAI, Anthropic, Google and AWS document).';

-- A price in force keeps its batch rates too; a restore compares them.
CREATE OR REPLACE FUNCTION aigw.prices_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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
                         NEW.cached_input_per_mtok, NEW.cache_write_per_mtok, NEW.reasoning_per_mtok, NEW.valid_from,
                         NEW.input_batch_per_mtok, NEW.output_batch_per_mtok)
                        IS NOT DISTINCT FROM
                        (OLD.model, OLD.currency, OLD.input_per_mtok, OLD.output_per_mtok,
                         OLD.cached_input_per_mtok, OLD.cache_write_per_mtok, OLD.reasoning_per_mtok, OLD.valid_from,
                         OLD.input_batch_per_mtok, OLD.output_batch_per_mtok))) THEN
            NULL;   -- a restore giving back the history the dumped database had
        ELSIF TG_OP = 'DELETE'
           OR (NEW.model, NEW.currency, NEW.input_per_mtok, NEW.output_per_mtok,
               NEW.cached_input_per_mtok, NEW.cache_write_per_mtok, NEW.reasoning_per_mtok, NEW.valid_from,
               NEW.input_batch_per_mtok, NEW.output_batch_per_mtok)
              IS DISTINCT FROM
              (OLD.model, OLD.currency, OLD.input_per_mtok, OLD.output_per_mtok,
               OLD.cached_input_per_mtok, OLD.cache_write_per_mtok, OLD.reasoning_per_mtok, OLD.valid_from,
               OLD.input_batch_per_mtok, OLD.output_batch_per_mtok)
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

-- A shipped price's fingerprint covers every rate.
CREATE OR REPLACE FUNCTION aigw.shipped_fingerprint(r anyelement) RETURNS text
    LANGUAGE sql STABLE
    SET "TimeZone" TO 'UTC'
    SET search_path TO 'pg_catalog', 'pg_temp'
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
                         'cache_write_per_mtok', 'reasoning_per_mtok', 'valid_from', 'valid_to', 'source',
                         'input_batch_per_mtok', 'output_batch_per_mtok']
               WHEN 'aigw.currencies'::regtype THEN ARRAY['code', 'minor_units', 'name']
               WHEN 'aigw.catalogue_providers'::regtype THEN ARRAY['litellm_provider', 'provider', 'key_prefix']
           END) WITH ORDINALITY AS u(c, n))::text), 16)
$$;

-- aigw.set_price gains two trailing parameters: a new signature, made
-- again with its comment and privileges (nothing in aigw calls it by
-- signature: aigw.import_catalogue calls it by position).
DROP FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text, cached_input_per_mtok numeric, valid_from timestamp with time zone, cache_write_per_mtok numeric, reasoning_per_mtok numeric, source text);
CREATE FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text DEFAULT 'USD'::text, cached_input_per_mtok numeric DEFAULT NULL::numeric, valid_from timestamp with time zone DEFAULT now(), cache_write_per_mtok numeric DEFAULT NULL::numeric, reasoning_per_mtok numeric DEFAULT NULL::numeric, source text DEFAULT NULL::text, input_batch_per_mtok numeric DEFAULT NULL::numeric, output_batch_per_mtok numeric DEFAULT NULL::numeric) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    next_from timestamptz;
    rates constant numeric[] := ARRAY[input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok,
                                      reasoning_per_mtok, input_batch_per_mtok, output_batch_per_mtok];
    names constant text[] := ARRAY['input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok',
                                   'reasoning_per_mtok', 'input_batch_per_mtok', 'output_batch_per_mtok'];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM aigw.models m WHERE m.id = set_price.model FOR NO KEY UPDATE) THEN
        RAISE EXCEPTION 'unknown model %', aigw.quote_name(model)
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id FROM aigw.models lists the catalogue.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM aigw.currencies c WHERE c.code = set_price.currency) THEN
        RAISE EXCEPTION 'unknown currency "%"', currency
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM aigw.currencies lists them.';
    END IF;
    FOR i IN 1 .. array_length(rates, 1) LOOP
        IF rates[i] IS NOT NULL AND (rates[i] < 0 OR rates[i] = 'NaN' OR rates[i] >= 1000000) THEN
            RAISE EXCEPTION 'price % per million tokens is out of range', rates[i]
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('%s is %s.', names[i], rates[i]),
                      HINT = 'Rates are per million tokens, from 0 to less than 1000000.';
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
                             cache_write_per_mtok, reasoning_per_mtok, valid_from, valid_to, source, created_by,
                             input_batch_per_mtok, output_batch_per_mtok)
    VALUES (model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok,
            cache_write_per_mtok, reasoning_per_mtok, valid_from, next_from, source, session_user,
            input_batch_per_mtok, output_batch_per_mtok);
END
$$;

COMMENT ON FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text, cached_input_per_mtok numeric, valid_from timestamp with time zone, cache_write_per_mtok numeric, reasoning_per_mtok numeric, source text, input_batch_per_mtok numeric, output_batch_per_mtok numeric) IS 'Set a model''s price per million tokens from valid_from on, closing the period in force then. Earlier charges keep their price. input_batch_per_mtok and output_batch_per_mtok: the rates of a line sent through the provider''s batch API (NULL: half the input and output rates).';
REVOKE ALL ON FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text, cached_input_per_mtok numeric, valid_from timestamp with time zone, cache_write_per_mtok numeric, reasoning_per_mtok numeric, source text, input_batch_per_mtok numeric, output_batch_per_mtok numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text, cached_input_per_mtok numeric, valid_from timestamp with time zone, cache_write_per_mtok numeric, reasoning_per_mtok numeric, source text, input_batch_per_mtok numeric, output_batch_per_mtok numeric) TO aigw_admin;

-- aigw.import_catalogue reads the batch rates of a newer map as well.
CREATE OR REPLACE FUNCTION aigw.import_catalogue(prices jsonb, valid_from timestamp with time zone DEFAULT now()) RETURNS TABLE(model text, action text, detail text)
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

-- aigw.billing_quote gives the batch rates after its other columns (a new
-- result type: made again, with its privileges and a comment).
DROP FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone);
CREATE FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone) RETURNS TABLE(wallets_exist boolean, wallet_id bigint, wallet_xmin xid, wallet_owner oid, wallet_enabled boolean, currency text, scale integer, credit_limit_units bigint, price_currency text, input_per_mtok text, output_per_mtok text, cached_input_per_mtok text, reasoning_per_mtok text, max_input_rate numeric, max_output_rate numeric, fx numeric, fx_rate text, model_max_output_tokens bigint, model_context_window bigint, balance_units bigint, balance_version bigint, price_scale integer, valid_until timestamp with time zone, cache_write_per_mtok text, wallet_grantees oid[], batch_input_per_mtok text, batch_output_per_mtok text, batch_cached_input_per_mtok text, batch_cache_write_per_mtok text, batch_reasoning_per_mtok text, max_batch_input_rate numeric, max_batch_output_rate numeric)
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT (EXISTS ( SELECT 1
            FROM aigw.wallets)) AS "exists",
     w.id,
     w.xmin,
     (w.owner)::oid AS owner,
     w.enabled,
     w.currency,
     (c.minor_units + 6),
     ((w.credit_limit * ((10)::numeric ^ ((c.minor_units + 6))::numeric)))::bigint AS int8,
     p.currency,
     (p.input_per_mtok)::text AS input_per_mtok,
     (p.output_per_mtok)::text AS output_per_mtok,
     (p.cached_input_per_mtok)::text AS cached_input_per_mtok,
     (p.reasoning_per_mtok)::text AS reasoning_per_mtok,
     GREATEST(p.input_per_mtok, COALESCE(p.cached_input_per_mtok, (0)::numeric), COALESCE(p.cache_write_per_mtok, (0)::numeric)) AS "greatest",
     GREATEST(p.output_per_mtok, COALESCE(p.reasoning_per_mtok, (0)::numeric)) AS "greatest",
     fx.rate,
         CASE
             WHEN (p.currency <> w.currency) THEN (fx.rate)::text
             ELSE NULL::text
         END AS "case",
     m.max_output_tokens,
     m.context_window,
     ((b.balance * ((10)::numeric ^ ((c.minor_units + 6))::numeric)))::bigint AS int8,
     b.version,
     (pc.minor_units + 6),
     LEAST(p.valid_to, next_price.valid_from, fx.valid_until) AS "least",
     (p.cache_write_per_mtok)::text AS cache_write_per_mtok,
     ARRAY( SELECT (g.grantee)::oid AS grantee
            FROM aigw.wallet_grants g
           WHERE (g.wallet_id = w.id)) AS "array",
     (trim_scale(pb.batch_input))::text AS batch_input_per_mtok,
     (trim_scale(pb.batch_output))::text AS batch_output_per_mtok,
     (trim_scale(pb.batch_cached))::text AS batch_cached_input_per_mtok,
     (trim_scale(pb.batch_cache_write))::text AS batch_cache_write_per_mtok,
     (trim_scale(pb.batch_reasoning))::text AS batch_reasoning_per_mtok,
     trim_scale(GREATEST(pb.batch_input, pb.batch_cached, pb.batch_cache_write)) AS max_batch_input_rate,
     trim_scale(GREATEST(pb.batch_output, pb.batch_reasoning)) AS max_batch_output_rate
    FROM (((((((((( SELECT 1 AS "?column?") one
      LEFT JOIN aigw.wallets w ON ((w.name = billing_quote.wallet_name)))
      LEFT JOIN aigw.currencies c ON ((c.code = w.currency)))
      LEFT JOIN aigw.wallet_balances b ON ((b.wallet_id = w.id)))
      LEFT JOIN aigw.models m ON ((m.id = billing_quote.model_id)))
      LEFT JOIN LATERAL ( SELECT pr.model,
             pr.currency,
             pr.input_per_mtok,
             pr.output_per_mtok,
             pr.cached_input_per_mtok,
             pr.cache_write_per_mtok,
             pr.reasoning_per_mtok,
             pr.valid_from,
             pr.valid_to,
             pr.source,
             pr.created_at,
             pr.created_by,
             pr.input_batch_per_mtok,
             pr.output_batch_per_mtok
            FROM aigw.prices pr
           WHERE ((pr.model = billing_quote.model_id) AND (pr.valid_from <= billing_quote.at) AND ((pr.valid_to IS NULL) OR (pr.valid_to > billing_quote.at)))
           ORDER BY (pr.currency = w.currency) DESC NULLS LAST, (pr.currency = 'USD'::text) DESC, pr.currency
          LIMIT 1) p ON (true))
      LEFT JOIN aigw.currencies pc ON ((pc.code = p.currency)))
      LEFT JOIN LATERAL ( SELECT min(nx.valid_from) AS valid_from
            FROM aigw.prices nx
           WHERE ((nx.model = billing_quote.model_id) AND (nx.valid_from > billing_quote.at))) next_price ON (true))
      LEFT JOIN LATERAL aigw.fx_quote(p.currency, w.currency, billing_quote.at) fx(rate, valid_until) ON (true))
      LEFT JOIN LATERAL ( SELECT COALESCE(p.input_batch_per_mtok, (p.input_per_mtok * 0.5)) AS batch_input,
             COALESCE(p.output_batch_per_mtok, (p.output_per_mtok * 0.5)) AS batch_output,
                 CASE
                     WHEN ((p.input_batch_per_mtok IS NULL) OR (p.input_per_mtok = (0)::numeric)) THEN (COALESCE(p.cached_input_per_mtok, p.input_per_mtok) * 0.5)
                     ELSE ((COALESCE(p.cached_input_per_mtok, p.input_per_mtok) * p.input_batch_per_mtok) / p.input_per_mtok)
                 END AS batch_cached,
                 CASE
                     WHEN ((p.input_batch_per_mtok IS NULL) OR (p.input_per_mtok = (0)::numeric)) THEN (COALESCE(p.cache_write_per_mtok, p.input_per_mtok) * 0.5)
                     ELSE ((COALESCE(p.cache_write_per_mtok, p.input_per_mtok) * p.input_batch_per_mtok) / p.input_per_mtok)
                 END AS batch_cache_write,
                 CASE
                     WHEN ((p.output_batch_per_mtok IS NULL) OR (p.output_per_mtok = (0)::numeric)) THEN (COALESCE(p.reasoning_per_mtok, p.output_per_mtok) * 0.5)
                     ELSE ((COALESCE(p.reasoning_per_mtok, p.output_per_mtok) * p.output_batch_per_mtok) / p.output_per_mtok)
                 END AS batch_reasoning) pb ON (true));
END;

COMMENT ON FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone) IS 'What billing reads before a call of model_id at time at from wallet_name (aigw''s C code reads it through a per-backend cache): the wallet, its balance, the price in force and the exchange rate. The batch_* columns are the rates of a line sent through a provider''s batch API: input and output at the price''s batch rate, else half the standard rate; cached input and cache write at their standard rate (NULL: the input rate) times the input''s batch/standard ratio, reasoning at its standard rate (NULL: the output rate) times the output''s ratio (a ratio is 0.5 where the standard rate is 0); max_batch_input_rate and max_batch_output_rate are max_input_rate and max_output_rate over the batch rates. All NULL when no price is in force.';
REVOKE ALL ON FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone) FROM PUBLIC;

-- The shipped price periods get the batch rates a fresh install ships.
-- The guard refuses any change to a price that has taken effect, so it is
-- off for this one statement: no charge before this version was made at a
-- batch rate (and every batch rate the map gives is half the standard
-- rate, what NULL means).  A shipped period an administrator closed
-- (origin 'changed', kept) gets them too, as a fresh install has it: a
-- restore that meets the period CREATE EXTENSION made compares its rates.
ALTER TABLE aigw.prices DISABLE TRIGGER prices_guard;
-- BEGIN GENERATED BATCH RATES
-- Generated by scripts/gen_prices.py --upgrade from the prices sql/data/prices.sql, sql/data/catalogue.sql, sql/data/embeddings.sql ship.
-- Do not edit by hand: change the script and run it again.  24 price periods.
UPDATE aigw.prices p
   SET input_batch_per_mtok = v.input_batch_per_mtok::numeric, output_batch_per_mtok = v.output_batch_per_mtok::numeric
  FROM (VALUES
    ('openai/gpt-4o-mini', 'USD', '2026-07-24 00:00:00+00', 0.15, 0.6, 0.075, 0.3, 'litellm 2026-07-24: gpt-4o-mini'),
    ('openai/gpt-4o', 'USD', '2026-07-24 00:00:00+00', 2.5, 10, 1.25, 5, 'litellm 2026-07-24: gpt-4o'),
    ('openai/gpt-4.1', 'USD', '2026-07-24 00:00:00+00', 2, 8, 1, 4, 'litellm 2026-07-24: gpt-4.1'),
    ('openai/gpt-4.1-mini', 'USD', '2026-07-24 00:00:00+00', 0.4, 1.6, 0.2, 0.8, 'litellm 2026-07-24: gpt-4.1-mini'),
    ('openai/gpt-4.1-nano', 'USD', '2026-07-24 00:00:00+00', 0.1, 0.4, 0.05, 0.2, 'litellm 2026-07-24: gpt-4.1-nano'),
    ('openrouter/openai/gpt-4o-mini', 'USD', '2026-07-24 00:00:00+00', 0.15, 0.6, 0.075, 0.3, 'litellm 2026-07-24: gpt-4o-mini'),
    ('openai/gpt-5.4', 'USD', '2026-07-24 00:00:00+00', 2.5, 15, 1.25, 7.5, 'litellm 2026-07-24: gpt-5.4'),
    ('openai/gpt-5.4-mini', 'USD', '2026-07-24 00:00:00+00', 0.75, 4.5, 0.375, 2.25, 'litellm 2026-07-24: gpt-5.4-mini'),
    ('openai/gpt-5.4-nano', 'USD', '2026-07-24 00:00:00+00', 0.2, 1.25, 0.1, 0.625, 'litellm 2026-07-24: gpt-5.4-nano'),
    ('openai/gpt-5.5', 'USD', '2026-07-24 00:00:00+00', 5, 30, 2.5, 15, 'litellm 2026-07-24: gpt-5.5'),
    ('openai/gpt-5.6', 'USD', '2026-07-24 00:00:00+00', 5, 30, 2.5, 15, 'litellm 2026-07-24: gpt-5.6'),
    ('openai/gpt-5.6-sol', 'USD', '2026-07-24 00:00:00+00', 5, 30, 2.5, 15, 'litellm 2026-07-24: gpt-5.6-sol'),
    ('openai/gpt-5.6-terra', 'USD', '2026-07-24 00:00:00+00', 2.5, 15, 1.25, 7.5, 'litellm 2026-07-24: gpt-5.6-terra'),
    ('openai/gpt-5.6-luna', 'USD', '2026-07-24 00:00:00+00', 1, 6, 0.5, 3, 'litellm 2026-07-24: gpt-5.6-luna'),
    ('openai/gpt-4o-search-preview', 'USD', '2026-07-24 00:00:00+00', 2.5, 10, 1.25, 5, 'litellm 2026-07-24: gpt-4o-search-preview'),
    ('openai/gpt-4o-mini-search-preview', 'USD', '2026-07-24 00:00:00+00', 0.15, 0.6, 0.075, 0.3, 'litellm 2026-07-24: gpt-4o-mini-search-preview'),
    ('gemini/gemini-3.6-flash', 'USD', '2026-07-24 00:00:00+00', 1.5, 7.5, 0.75, 3.75, 'litellm 2026-07-24: gemini/gemini-3.6-flash'),
    ('gemini/gemini-3.5-flash-lite', 'USD', '2026-07-24 00:00:00+00', 0.3, 2.5, 0.15, 1.25, 'litellm 2026-07-24: gemini/gemini-3.5-flash-lite'),
    ('gemini/gemini-3.1-pro-preview', 'USD', '2026-07-24 00:00:00+00', 2, 12, 1, 6, 'litellm 2026-07-24: gemini/gemini-3.1-pro-preview'),
    ('gemini/gemini-3.1-flash-lite', 'USD', '2026-07-24 00:00:00+00', 0.25, 1.5, 0.125, 0.75, 'litellm 2026-07-24: gemini/gemini-3.1-flash-lite'),
    ('bedrock/us.meta.llama4-maverick-17b-instruct-v1:0', 'USD', '2026-07-24 00:00:00+00', 0.24, 0.97, 0.12, 0.485, 'litellm 2026-07-24: us.meta.llama4-maverick-17b-instruct-v1:0'),
    ('bedrock/us.meta.llama4-scout-17b-instruct-v1:0', 'USD', '2026-07-24 00:00:00+00', 0.17, 0.66, 0.085, 0.33, 'litellm 2026-07-24: us.meta.llama4-scout-17b-instruct-v1:0'),
    ('openai/text-embedding-3-small', 'USD', '2026-07-24 00:00:00+00', 0.02, 0, 0.01, NULL, 'litellm 2026-07-24: text-embedding-3-small'),
    ('openai/text-embedding-3-large', 'USD', '2026-07-24 00:00:00+00', 0.13, 0, 0.065, NULL, 'litellm 2026-07-24: text-embedding-3-large')
  ) AS v (model, currency, valid_from, input_per_mtok, output_per_mtok, input_batch_per_mtok, output_batch_per_mtok, source)
 WHERE p.model = v.model AND p.currency = v.currency AND p.valid_from = v.valid_from::timestamptz
   AND p.source = v.source AND p.input_per_mtok = v.input_per_mtok::numeric AND p.output_per_mtok = v.output_per_mtok::numeric;
-- END GENERATED BATCH RATES
ALTER TABLE aigw.prices ENABLE TRIGGER prices_guard;
