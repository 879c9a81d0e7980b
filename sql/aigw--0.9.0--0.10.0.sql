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

-- provider batch APIs (batchapi) -------------------------------------------
-- Provider batches hold their reservation in the table (it outlives a
-- restart, where the shared-memory reservations of calls do not).
ALTER TABLE aigw.wallet_balances ADD COLUMN held numeric DEFAULT 0 NOT NULL;
ALTER TABLE aigw.wallet_balances ADD CONSTRAINT wallet_balances_held_check CHECK ((held >= (0)::numeric));

COMMENT ON COLUMN aigw.wallet_balances.held IS 'Reserved by provider batches that are out (aigw.job_batches): the worst case of their lines not settled yet. Calls may spend balance - held (plus the credit limit).';

-- what calls may spend is the balance less what batches hold
CREATE OR REPLACE FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone) RETURNS TABLE(wallets_exist boolean, wallet_id bigint, wallet_xmin xid, wallet_owner oid, wallet_enabled boolean, currency text, scale integer, credit_limit_units bigint, price_currency text, input_per_mtok text, output_per_mtok text, cached_input_per_mtok text, reasoning_per_mtok text, max_input_rate numeric, max_output_rate numeric, fx numeric, fx_rate text, model_max_output_tokens bigint, model_context_window bigint, balance_units bigint, balance_version bigint, price_scale integer, valid_until timestamp with time zone, cache_write_per_mtok text, wallet_grantees oid[], batch_input_per_mtok text, batch_output_per_mtok text, batch_cached_input_per_mtok text, batch_cache_write_per_mtok text, batch_reasoning_per_mtok text, max_batch_input_rate numeric, max_batch_output_rate numeric)
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
     (((b.balance - b.held) * ((10)::numeric ^ ((c.minor_units + 6))::numeric)))::bigint AS int8,
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

ALTER TABLE aigw.requests ADD COLUMN upstream_batch text;
ALTER TABLE aigw.requests ADD COLUMN batch_line text;
CREATE UNIQUE INDEX requests_batch_line_idx ON aigw.requests USING btree (upstream_batch, batch_line) WHERE (upstream_batch IS NOT NULL);

COMMENT ON COLUMN aigw.requests.batch_line IS 'The line''s custom_id in its provider batch: a line is logged (and charged) once, whatever its results file says.';

COMMENT ON COLUMN aigw.requests.upstream_batch IS 'The provider batch (aigw.job_batches.upstream_batch_id) a line was answered in, charged at the batch rate; NULL: a direct call.';

ALTER TABLE aigw.jobs ADD COLUMN batch_api boolean DEFAULT false NOT NULL;
ALTER TABLE aigw.jobs ADD COLUMN error text;
ALTER TABLE aigw.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE aigw.jobs ADD CONSTRAINT jobs_state_check CHECK ((state = ANY (ARRAY['running'::text, 'done'::text, 'budget_reached'::text, 'interrupted'::text, 'submitted'::text, 'cancelled'::text, 'failed'::text])));
GRANT SELECT(batch_api) ON TABLE aigw.jobs TO aigw_reader;
GRANT SELECT(error) ON TABLE aigw.jobs TO aigw_reader;

COMMENT ON TABLE aigw.jobs IS 'Enrichment jobs (aigw.enrich, aigw.embed_column), one row per run, updated and committed after every chunk: rows done and failed of rows_total (the rows whose target was NULL when the run began), calls in flight, cost so far. state: running, done, budget_reached (stopped at max_cost), interrupted (its session ended or was cancelled; CALL aigw.enrich again to resume); with batch_api: submitted (its batches are at the provider: aigw.job_batches), then done, cancelled (aigw.cancel_job) or failed (error says why).';

COMMENT ON COLUMN aigw.jobs.batch_api IS 'The rows go through the provider''s batch API (option batch_api): answered within 24 hours at the batch rate, written back by the database''s dispatcher.';

COMMENT ON COLUMN aigw.jobs.error IS 'Why a batch job failed, or what its batches could not do (a batch that expired, lines without a result).';

CREATE TABLE aigw.job_batches (
    job_id bigint NOT NULL,
    seq integer NOT NULL,
    role_oid oid NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    endpoint text NOT NULL,
    state text DEFAULT 'submitting'::text NOT NULL,
    upstream_status text,
    upstream_batch_id text,
    input_file_id text,
    results text[],
    lines integer NOT NULL,
    lines_settled integer DEFAULT 0 NOT NULL,
    lines_ok integer DEFAULT 0 NOT NULL,
    lines_failed integer DEFAULT 0 NOT NULL,
    wallet_id bigint,
    currency text,
    price_currency text,
    fx numeric,
    rates numeric[],
    input_bound bigint,
    output_bound bigint,
    reserved numeric DEFAULT 0 NOT NULL,
    charged numeric DEFAULT 0 NOT NULL,
    write_back jsonb NOT NULL,
    tags jsonb DEFAULT '{}'::jsonb NOT NULL,
    submitter_pid integer DEFAULT pg_backend_pid() NOT NULL,
    polls integer DEFAULT 0 NOT NULL,
    next_poll_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    submitted_at timestamp with time zone,
    ended_at timestamp with time zone,
    error text,
    upstream_counts jsonb,
    results_at timestamp with time zone,
    CONSTRAINT job_batches_check CHECK ((charged <= reserved)),
    CONSTRAINT job_batches_endpoint_check CHECK ((endpoint = ANY (ARRAY['chat'::text, 'embeddings'::text]))),
    CONSTRAINT job_batches_state_check CHECK ((state = ANY (ARRAY['submitting'::text, 'submitted'::text, 'settling'::text, 'done'::text, 'lost'::text])))
);

COMMENT ON TABLE aigw.job_batches IS 'The provider batches of a batch_api job. state: submitting (being handed over: its reservation is held), submitted (at the provider, polled by the dispatcher), settling (ended there: its results are being written back), done (upstream_status says how it ended), lost (the session handing it over died before the provider''s batch id was committed: its rows were not sent again).';

COMMENT ON COLUMN aigw.job_batches.upstream_counts IS 'The batch''s request counts as the provider last reported them: total, done (answered), failed.';

COMMENT ON COLUMN aigw.job_batches.results_at IS 'When aigw found the batch ended at the provider. Results that cannot be read for 7 days from then (or can never be: a results_url off the provider''s origin) close the batch: its lines not logged are logged unknown and charged their reservation, as the provider may have served them.';

COMMENT ON COLUMN aigw.job_batches.results IS 'Where the batch''s results are: OpenAI''s output and error file ids, Anthropic''s results_url.';

COMMENT ON COLUMN aigw.job_batches.lines_settled IS 'Result lines written back, logged and charged so far (each chunk in one transaction with its charges): where settling resumes after a restart.';

COMMENT ON COLUMN aigw.job_batches.rates IS 'The batch rates per million tokens when the batch was handed over (input, output, cached input, cache write, reasoning): its lines are charged at them.';

COMMENT ON COLUMN aigw.job_batches.input_bound IS 'The largest line''s prompt-token bound (its request bytes); with output_bound, what each line''s tokens are clamped to.';

COMMENT ON COLUMN aigw.job_batches.reserved IS 'The worst case of every line at the batch rates, held on the wallet (aigw.wallet_balances.held) from hand-over until the batch is settled; charged never exceeds it.';

COMMENT ON COLUMN aigw.job_batches.write_back IS 'How an answer goes back into its row: the table, the target column and its kind, and the SQL of the row''s input, so that a row whose input changed meanwhile is not overwritten.';

ALTER TABLE ONLY aigw.job_batches
    ADD CONSTRAINT job_batches_pkey PRIMARY KEY (job_id, seq);

CREATE INDEX job_batches_open_idx ON aigw.job_batches USING btree (next_poll_at) WHERE (state = ANY (ARRAY['submitting'::text, 'submitted'::text, 'settling'::text]));

ALTER TABLE ONLY aigw.job_batches
    ADD CONSTRAINT job_batches_job_id_fkey FOREIGN KEY (job_id) REFERENCES aigw.jobs(id);

ALTER TABLE aigw.job_batches ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON TABLE aigw.job_batches TO aigw_user;

GRANT SELECT ON TABLE aigw.job_batches TO aigw_reader;

SELECT pg_catalog.pg_extension_config_dump('aigw.job_batches', '');

CREATE POLICY tenant_reads ON aigw.job_batches FOR SELECT USING ((EXISTS ( SELECT 1
   FROM aigw.jobs j
  WHERE (j.id = job_batches.job_id))));

CREATE OR REPLACE FUNCTION aigw.resolve_intents() RETURNS TABLE(wallet_id bigint, balance_units bigint, balance_version bigint, attempts bigint)
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
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
        RETURNING wb.wallet_id, ((wb.balance - wb.held) * 10::numeric ^ aigw.ledger_scale(ww.currency))::int8 AS units,
                  wb.version
    )
    SELECT b.wallet_id, b.units, b.version, w.n FROM b JOIN w ON w.wallet_id = b.wallet_id
    UNION ALL
    SELECT NULL, NULL, NULL, count(*) FROM o WHERE NOT (o.wallet_id IS NOT NULL AND o.cost > 0);
$$;

COMMENT ON FUNCTION aigw.resolve_intents() IS 'Internal, run by a pool worker as it starts: attempts left pending by workers that died become unknown and are charged their reservation; jobs whose session is gone become interrupted.';

CREATE OR REPLACE FUNCTION aigw.verify_ledger() RETURNS TABLE(wallet text, currency text, balance numeric, ledger_sum numeric, cached_balance numeric, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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
                             AND r.cached_balance_units <> (b.balance - b.held) * 10::numeric ^ aigw.ledger_scale(w.currency)
                        THEN 'shared-memory balance differs from the table' END,
                   CASE WHEN b.held <> coalesce(h.held, 0)
                        THEN 'held is not what the open batches reserve' END,
                   CASE WHEN h.over > 0 THEN h.over || ' batches charged above their reservation' END) AS problem
          FROM aigw.wallets w
          LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
          LEFT JOIN sums s ON s.wallet_id = w.id
          LEFT JOIN (SELECT jb.wallet_id,
                            sum(jb.reserved - jb.charged) FILTER (WHERE jb.state <> ALL (ARRAY['done', 'lost'])) AS held,
                            count(*) FILTER (WHERE jb.charged > jb.reserved) AS over
                       FROM aigw.job_batches jb GROUP BY jb.wallet_id) h ON h.wallet_id = w.id
          LEFT JOIN over_reserved o ON o.wallet_id = w.id
          LEFT JOIN aigw.wallet_reservations() r ON r.wallet_id = w.id) v
     WHERE v.problem <> ''
$$;

COMMENT ON FUNCTION aigw.verify_ledger() IS 'Wallets whose balance is not the sum of their ledger (or whose cached balance disagrees); no rows when the books balance.';

CREATE OR REPLACE VIEW aigw.wallet_status WITH (security_invoker='true') AS
 SELECT w.name AS wallet,
    w.currency,
    b.balance,
    w.credit_limit,
    (aigw.from_units(COALESCE(r.reserved_units, (0)::bigint), w.currency) + b.held) AS reserved,
    (((b.balance + w.credit_limit) - aigw.from_units(COALESCE(r.reserved_units, (0)::bigint), w.currency)) - b.held) AS available,
    COALESCE(r.calls, 0) AS calls_in_flight,
    w.owner,
    w.enabled,
    b.held AS held_by_batches
   FROM ((aigw.wallets w
     JOIN aigw.wallet_balances b ON ((b.wallet_id = w.id)))
     LEFT JOIN aigw.wallet_reservations() r(wallet_id, reserved_units, calls, cached_balance_units, cached_version) ON ((r.wallet_id = w.id)));

COMMENT ON VIEW aigw.wallet_status IS 'Each wallet you may read: committed balance, amount reserved by calls in flight and by provider batches that are out (held_by_batches, part of reserved), and what is left to spend.';

CREATE OR REPLACE PROCEDURE aigw.embed_column(IN source regclass, IN text_column text, IN target_column text, IN model text, IN options jsonb DEFAULT '{}'::jsonb)
    LANGUAGE plpgsql
    AS $$
DECLARE
    chunk_size integer;
    concurrency integer;
    budget numeric;
    dry_run boolean;
    call_options jsonb;
    job_options jsonb;
    target_type text;
    target_base regtype;
    target_typmod integer;
    dims integer;
    m record;
    total bigint;
    bytes bigint;
    job bigint;
    done bigint;
    failed_total bigint;
    spent numeric;
    currency text;
    state text;
    batch_api boolean;
    batch_size integer;
BEGIN
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        chunk_size := coalesce((options->>'chunk_size')::integer, 1000);
        concurrency := coalesce((options->>'concurrency')::integer,
                                current_setting('aigw.batch_concurrency')::integer);
        budget := (options->>'max_cost')::numeric;
        dry_run := coalesce((options->>'dry_run')::boolean, false);
        batch_api := coalesce((options->>'batch_api')::boolean, false);
        batch_size := coalesce((options->>'batch_size')::integer, 10000);
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'invalid embed_column option: %', SQLERRM
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'chunk_size, concurrency and batch_size are integers, max_cost a number, dry_run and batch_api true or false.';
    END;
    IF chunk_size NOT BETWEEN 1 AND 100000 OR concurrency NOT BETWEEN 1 AND 4096 OR budget <= 0
       OR batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'invalid embed_column option: chunk_size must be 1 to 100000, concurrency 1 to 4096, batch_size 1 to 100000, max_cost above 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- what each request is sent with (concurrency and the rest are the job's)
    call_options := options - '{chunk_size,max_cost,dry_run,concurrency,on_error,batch_api,batch_size}'::text[];
    IF NOT call_options ? 'cache' AND NOT batch_api THEN
        call_options := call_options || '{"cache": true}';   -- an interrupted chunk replays for free
    END IF;

    SELECT * INTO m FROM aigw.models WHERE id = model;
    IF NOT FOUND OR m.kind <> 'embedding' THEN
        RAISE EXCEPTION 'model "%" is not an embedding model', model
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'SELECT id FROM aigw.models WHERE kind = ''embedding'' lists them.';
    END IF;
    dims := coalesce((options->>'dimensions')::integer, m.dimensions);

    PERFORM 1 FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = source AND a.attname = text_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of % does not exist', text_column, source USING ERRCODE = 'undefined_column';
    END IF;
    SELECT format_type(a.atttypid, a.atttypmod), a.atttypid::regtype, a.atttypmod
      INTO target_type, target_base, target_typmod
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = source AND a.attname = target_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of % does not exist', target_column, source
            USING ERRCODE = 'undefined_column',
                  HINT = 'Add it first, e.g. ALTER TABLE ... ADD COLUMN ' || quote_ident(target_column) || ' real[].';
    END IF;
    IF target_base::text = 'vector' THEN
        -- pgvector: its typmod is the dimension
        IF target_typmod > 0 AND dims IS NOT NULL AND target_typmod <> dims THEN
            RAISE EXCEPTION 'column "%" of % is %, but model "%" returns % dimensions', target_column, source,
                target_type, model, dims
                USING ERRCODE = 'datatype_mismatch',
                      HINT = format('Use a vector(%s) column, or pass the option "dimensions" if the model can shorten its vectors.', dims);
        END IF;
    ELSIF target_base NOT IN ('real[]'::regtype, 'double precision[]'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % is of type %, not real[], double precision[] or vector', target_column, source, target_type
            USING ERRCODE = 'datatype_mismatch';
    END IF;

    EXECUTE format('SELECT count(*), coalesce(sum(octet_length(t.%I::text)), 0) FROM %s t WHERE t.%I IS NULL',
                   text_column, source, target_column) INTO total, bytes;
    IF dry_run THEN
        SELECT p.input_per_mtok, p.input_batch_per_mtok, p.currency INTO m
          FROM aigw.prices p
         WHERE p.model = embed_column.model AND p.valid_from <= now() AND (p.valid_to IS NULL OR p.valid_to > now())
         ORDER BY p.currency <> 'USD' LIMIT 1;
        RAISE NOTICE 'dry run: % rows of % to embed with %, about % input tokens in about % requests; nothing sent',
            total, source, model, bytes / 4,
            ceil(total::numeric / coalesce((SELECT x.max_inputs_per_request FROM aigw.models x WHERE x.id = model), 1));
        IF m.input_per_mtok IS NULL THEN
            RAISE NOTICE 'model % has no price in force: no cost estimate', model;
        ELSE
            RAISE NOTICE 'estimated cost: % % expected (4 bytes a token), % % at most (3 bytes a token)',
                round(bytes / 4.0 * m.input_per_mtok / 1e6, 6), m.currency,
                round((bytes / 3.0 + total) * m.input_per_mtok / 1e6, 6), m.currency;
            RAISE NOTICE 'through the batch API (option batch_api): % % expected, % % at most',
                round(bytes / 4.0 * coalesce(m.input_batch_per_mtok, m.input_per_mtok * 0.5) / 1e6, 6), m.currency,
                round((bytes / 3.0 + total) * coalesce(m.input_batch_per_mtok, m.input_per_mtok * 0.5) / 1e6, 6), m.currency;
        END IF;
        RETURN;
    END IF;

    job := aigw.job_start(source, target_column, model, text_column, options, total, budget);
    UPDATE aigw.jobs SET kind = 'embed' WHERE id = job;
    COMMIT;
    job_options := call_options
                   || jsonb_build_object('tags', coalesce(call_options->'tags', '{}') || jsonb_build_object('aigw_job', job));
    IF batch_api THEN
        RAISE NOTICE 'embed job %: % rows of % to embed through the batch API of %', job, total, source, model;
        CALL aigw.batch_job_run(job, source, target_column, 'vector', format('t.%I::text', text_column), model,
                                job_options, batch_size, 1, budget);
        PERFORM aigw.batch_job_notice(job);
        RETURN;
    END IF;
    RAISE NOTICE 'embed job %: % rows of % to embed, % requests in flight', job, total, source, concurrency;
    -- the loop runs in C: requests stay in flight across its commits
    CALL aigw.embed_column_run(job, source, text_column, target_column, target_type, model, job_options,
                               chunk_size, concurrency, budget);
    SELECT j.state, j.rows_done, j.rows_failed, j.cost, j.currency INTO state, done, failed_total, spent, currency
      FROM aigw.jobs j WHERE j.id = job;
    IF state = 'budget_reached' THEN
        RAISE NOTICE 'embed job % stopped at its budget: spent % of max_cost %; CALL it again with a higher max_cost to go on',
            job, spent, budget;
    ELSE
        RAISE NOTICE 'embed job % done: % rows embedded, % failed, cost % %', job, done, failed_total, spent,
            coalesce(currency, '');
    END IF;
END
$$;

COMMENT ON PROCEDURE aigw.embed_column(IN source regclass, IN text_column text, IN target_column text, IN model text, IN options jsonb) IS 'Fill target_column (real[], double precision[] or pgvector''s vector(n)) of every row where it is NULL with the embedding of text_column, chunk by chunk, each chunk committed; CALL it outside a transaction block. Options: concurrency, chunk_size, max_cost, dry_run, and the embedding options (dimensions, input_type, normalize, wallet, tags, cache). Progress: aigw.job_progress; failed rows: aigw.job_errors.';

CREATE OR REPLACE PROCEDURE aigw.enrich(IN source regclass, IN target_column text, IN prompt text, IN model text, IN options jsonb DEFAULT '{}'::jsonb)
    LANGUAGE plpgsql
    AS $$
DECLARE
    chunk_size integer;
    concurrency integer;
    budget numeric;
    dry_run boolean;
    call_options jsonb;
    target_type regtype;
    message_sql text;
    total bigint;
    job bigint;
    job_options jsonb;
    done bigint;
    failed_total bigint;
    spent numeric;
    currency text;
    state text;
    batch_api boolean;
    batch_size integer;
BEGIN
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        chunk_size := coalesce((options->>'chunk_size')::integer, 1000);
        concurrency := coalesce((options->>'concurrency')::integer,
                                current_setting('aigw.batch_concurrency')::integer);
        budget := (options->>'max_cost')::numeric;
        dry_run := coalesce((options->>'dry_run')::boolean, false);
        batch_api := coalesce((options->>'batch_api')::boolean, false);
        batch_size := coalesce((options->>'batch_size')::integer, 10000);
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'invalid enrichment option: %', SQLERRM
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'chunk_size, concurrency and batch_size are integers, max_cost a number, dry_run and batch_api true or false.';
    END;
    IF chunk_size NOT BETWEEN 1 AND 100000 OR concurrency NOT BETWEEN 1 AND 4096 OR budget <= 0
       OR batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'invalid enrichment option: chunk_size must be 1 to 100000, concurrency 1 to 4096, batch_size 1 to 100000, max_cost above 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    call_options := (options - '{chunk_size,max_cost,dry_run,system,batch_api,batch_size}'::text[])
                    || jsonb_build_object('concurrency', concurrency);

    SELECT a.atttypid::regtype INTO target_type
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = source AND a.attname = target_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of % does not exist', target_column, source
            USING ERRCODE = 'undefined_column',
                  HINT = 'Add it first, e.g. ALTER TABLE ... ADD COLUMN ' || quote_ident(target_column) || ' text.';
    END IF;
    IF target_type NOT IN ('text'::regtype, 'character varying'::regtype, 'jsonb'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % is of type %, not text or jsonb', target_column, source, target_type
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    -- answers are kept in the response cache, so that a run interrupted after
    -- answers came back but before its chunk committed replays them for free
    -- (a provider batch settles exactly once: it needs none)
    IF NOT call_options ? 'cache' AND NOT batch_api THEN
        call_options := call_options || '{"cache": true}';
    END IF;
    IF target_type = 'jsonb'::regtype AND NOT call_options ? 'response_format' THEN
        call_options := call_options || '{"response_format": {"type": "json_object"}}';
    END IF;

    -- the conversation of a row: an optional system message, then the rendered prompt
    message_sql := format('jsonb_build_array(%s jsonb_build_object(''role'', ''user'', ''content'', %s))',
                          CASE WHEN options ? 'system'
                               THEN format('jsonb_build_object(''role'', ''system'', ''content'', %L),', options->>'system')
                               ELSE '' END,
                          aigw.template_sql(source, prompt));
    EXECUTE format('SELECT count(*) FROM %s t WHERE t.%I IS NULL', source, target_column) INTO total;

    IF dry_run THEN
        CALL aigw.enrich_estimate(source, target_column, message_sql, model, call_options, total);
        RETURN;
    END IF;

    job := aigw.job_start(source, target_column, model, prompt, options, total, budget);
    COMMIT;
    job_options := call_options || jsonb_build_object('tags',
                       coalesce(call_options->'tags', '{}') || jsonb_build_object('aigw_job', job));
    IF batch_api THEN
        RAISE NOTICE 'enrich job %: % rows of % to fill through the batch API of %', job, total, source, model;
        CALL aigw.batch_job_run(job, source, target_column,
                                CASE WHEN target_type = 'jsonb'::regtype THEN 'jsonb' ELSE 'text' END,
                                message_sql, model, job_options - '{concurrency,on_error}'::text[],
                                batch_size, 1, budget);
        PERFORM aigw.batch_job_notice(job);
        RETURN;
    END IF;
    RAISE NOTICE 'enrich job %: % rows of % to fill, % calls in flight', job, total, source, concurrency;
    -- the loop runs in C: calls stay in flight across its commits
    CALL aigw.enrich_run(job, source, target_column, target_type = 'jsonb'::regtype, message_sql, model,
                         job_options - '{concurrency,on_error}'::text[], chunk_size, concurrency, budget);
    SELECT j.state, j.rows_done, j.rows_failed, j.cost, j.currency INTO state, done, failed_total, spent, currency
      FROM aigw.jobs j WHERE j.id = job;
    IF state = 'budget_reached' THEN
        RAISE NOTICE 'enrich job % stopped at its budget: spent % of max_cost %; CALL it again with a higher max_cost to go on',
            job, spent, budget;
    ELSE
        RAISE NOTICE 'enrich job % done: % rows filled, % failed, cost % %', job, done, failed_total, spent,
            coalesce(currency, '');
    END IF;
END
$$;

COMMENT ON PROCEDURE aigw.enrich(IN source regclass, IN target_column text, IN prompt text, IN model text, IN options jsonb) IS 'Fill target_column of every row where it is NULL with the answer to prompt (a template with {{column}} placeholders), committing every chunk_size rows while calls stay in flight; CALL it outside a transaction block. Options: concurrency, chunk_size, max_cost, dry_run, system, and any call option (wallet, tags, temperature, max_tokens, response_format, ...). Progress: aigw.job_progress; failed rows: aigw.job_errors.';

CREATE OR REPLACE PROCEDURE aigw.enrich_estimate(IN source regclass, IN target_column text, IN message_sql text, IN model text, IN call_options jsonb, IN total bigint)
    LANGUAGE plpgsql
    AS $$
DECLARE
    bytes bigint;
    plan jsonb;
    served text;
    price record;
    max_out bigint;
    expected_out bigint;
BEGIN
    EXECUTE format('SELECT coalesce(sum(octet_length(%s::text)), 0) FROM %s t WHERE t.%I IS NULL',
                   message_sql, source, target_column) INTO bytes;
    plan := aigw.route_explain(model, '[{"role": "user", "content": "estimate"}]',
                               call_options - '{concurrency,on_error}'::text[]);
    served := plan->'candidates'->>0;
    SELECT p.input_per_mtok, p.output_per_mtok, p.currency,
           coalesce(p.input_batch_per_mtok, p.input_per_mtok * 0.5) AS input_batch,
           coalesce(p.output_batch_per_mtok, p.output_per_mtok * 0.5) AS output_batch INTO price
      FROM aigw.prices p
     WHERE p.model = served AND p.valid_from <= now() AND (p.valid_to IS NULL OR p.valid_to > now())
     ORDER BY p.currency <> 'USD' LIMIT 1;
    SELECT coalesce((call_options->>'max_tokens')::bigint, (call_options->>'max_completion_tokens')::bigint,
                    m.max_output_tokens::bigint)
      INTO max_out FROM aigw.models m WHERE m.id = served;
    expected_out := least(coalesce(max_out, 256), 256);
    RAISE NOTICE 'dry run: % rows of % to fill with %, about % input tokens (% to % per row); nothing sent',
        total, source, served, bytes / 4, CASE WHEN total > 0 THEN bytes / 4 / total END,
        CASE WHEN total > 0 THEN bytes / total END;
    IF price IS NULL THEN
        RAISE NOTICE 'model % has no price in force: no cost estimate', served;
    ELSE
        RAISE NOTICE 'estimated cost: % % expected (input at 4 bytes a token, % output tokens a row), % % at most (a token a byte, % output tokens a row)',
            round((bytes / 4.0 * price.input_per_mtok + total * expected_out * price.output_per_mtok) / 1e6, 6), price.currency,
            expected_out,
            CASE WHEN max_out IS NULL THEN 'unbounded'
                 ELSE round((bytes * price.input_per_mtok + total * max_out * price.output_per_mtok) / 1e6, 6)::text END,
            price.currency, coalesce(max_out::text, 'no limit on the');
        RAISE NOTICE 'through the batch API (option batch_api): % % expected, % % at most',
            round((bytes / 4.0 * price.input_batch + total * expected_out * price.output_batch) / 1e6, 6), price.currency,
            CASE WHEN max_out IS NULL THEN 'unbounded'
                 ELSE round((bytes * price.input_batch + total * max_out * price.output_batch) / 1e6, 6)::text END,
            price.currency;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION aigw.job_report(job bigint, done bigint, failed bigint, in_flight integer, cost numeric, currency text, state text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 UPDATE aigw.jobs SET rows_done = (jobs.rows_done + job_report.done), rows_failed = (jobs.rows_failed + job_report.failed), calls_in_flight = job_report.in_flight, cost = (jobs.cost + job_report.cost), currency = COALESCE(job_report.currency, jobs.currency), state = job_report.state, updated_at = clock_timestamp(), finished_at =
         CASE
             WHEN (job_report.state <> ALL (ARRAY['running'::text, 'submitted'::text])) THEN clock_timestamp()
             ELSE NULL::timestamp with time zone
         END
   WHERE ((jobs.id = job_report.job) AND (jobs.role_name = CURRENT_USER));
END;

CREATE OR REPLACE FUNCTION aigw.job_start(source regclass, target_column text, model text, prompt text, options jsonb, rows_total bigint, max_cost numeric) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    open_job bigint;
    result bigint;
BEGIN
    -- rows out at a provider are NULL until they come back: never send them twice
    SELECT j.id INTO open_job
      FROM aigw.jobs j
     WHERE j.source::oid = job_start.source::oid AND j.target_column = job_start.target_column
       AND EXISTS (SELECT 1 FROM aigw.job_batches b
                    WHERE b.job_id = j.id AND b.state IN ('submitting', 'submitted', 'settling'))
     LIMIT 1;
    IF open_job IS NOT NULL THEN
        RAISE EXCEPTION 'column "%" of % has rows out at a provider in job %', target_column, source, open_job
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'Its rows stay NULL until the batches come back; a new run would send them again.',
                  HINT = format('Wait for it with SELECT aigw.wait_job(%s), or cancel it with SELECT aigw.cancel_job(%s).', open_job, open_job);
    END IF;
    UPDATE aigw.jobs SET state = 'interrupted', finished_at = clock_timestamp()
     WHERE jobs.source::oid = job_start.source::oid AND jobs.target_column = job_start.target_column
       AND jobs.state = 'running' AND jobs.role_name = CURRENT_USER
       AND (jobs.backend_pid = pg_backend_pid()
            OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = jobs.backend_pid));
    INSERT INTO aigw.jobs (source, target_column, model, prompt, options, rows_total, max_cost, batch_api)
    VALUES (job_start.source, job_start.target_column, job_start.model, job_start.prompt, job_start.options,
            job_start.rows_total, job_start.max_cost, coalesce((job_start.options->>'batch_api')::boolean, false))
    RETURNING jobs.id INTO result;
    RETURN result;
END
$$;

CREATE PROCEDURE aigw.batch_job_run(IN job bigint, IN source regclass, IN target_column text, IN target_kind text, IN input_sql text, IN model text, IN options jsonb, IN batch_size integer, IN concurrency integer, IN max_cost numeric)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_batch_job_run';

COMMENT ON PROCEDURE aigw.batch_job_run(IN job bigint, IN source regclass, IN target_column text, IN target_kind text, IN input_sql text, IN model text, IN options jsonb, IN batch_size integer, IN concurrency integer, IN max_cost numeric) IS 'Internal: the hand-over of a batch_api job (aigw.enrich, aigw.embed_column) to the provider''s batch API.';

CREATE FUNCTION aigw.batch_job_notice(job bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    j aigw.jobs;
    batches integer;
    lines bigint;
    held numeric;
BEGIN
    SELECT * INTO j FROM aigw.jobs x WHERE x.id = batch_job_notice.job;
    SELECT count(*), coalesce(sum(b.lines), 0), coalesce(sum(b.reserved), 0) INTO batches, lines, held
      FROM aigw.job_batches b WHERE b.job_id = batch_job_notice.job;
    IF batches = 0 THEN
        RAISE NOTICE '% job %: nothing to send', j.kind, j.id;
    ELSE
        RAISE NOTICE '% job %: % rows handed over in % batches, %; answers are written back as the batches end (within 24 hours): SELECT aigw.wait_job(%) waits, aigw.job_batches shows them',
            j.kind, j.id, lines, batches,
            CASE WHEN EXISTS (SELECT 1 FROM aigw.job_batches b WHERE b.job_id = j.id AND b.wallet_id IS NOT NULL)
                 THEN format('up to %s %s held at the batch rate', held, (SELECT b.currency FROM aigw.job_batches b WHERE b.job_id = j.id LIMIT 1))
                 ELSE 'no wallet pays' END,
            j.id;
    END IF;
    IF j.state = 'budget_reached' OR (j.max_cost IS NOT NULL AND lines < j.rows_total) THEN
        RAISE NOTICE '% job % stopped at its budget: the rows left would cost more than max_cost % at worst', j.kind, j.id, j.max_cost;
    END IF;
END
$$;

COMMENT ON FUNCTION aigw.batch_job_notice(job bigint) IS 'Internal: what a batch_api job handed over, in words.';

CREATE FUNCTION aigw.wait_job(job bigint, timeout_ms integer DEFAULT NULL::integer) RETURNS aigw.jobs
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    j aigw.jobs;
    deadline timestamptz := clock_timestamp() + timeout_ms * interval '1 millisecond';
BEGIN
    IF timeout_ms < 0 THEN
        RAISE EXCEPTION 'timeout_ms must be 0 or more, not %', timeout_ms USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOOP
        SELECT * INTO j FROM aigw.jobs x WHERE x.id = wait_job.job;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'job % does not exist or role "%" may not see it', job, current_user
                USING ERRCODE = 'undefined_object', HINT = 'SELECT id, state FROM aigw.jobs lists the jobs you can see.';
        END IF;
        EXIT WHEN j.state NOT IN ('running', 'submitted')
              AND NOT EXISTS (SELECT 1 FROM aigw.job_batches b
                               WHERE b.job_id = j.id AND b.state IN ('submitting', 'submitted', 'settling'));
        EXIT WHEN clock_timestamp() >= deadline;
        PERFORM pg_sleep(least(0.1, greatest(extract(epoch FROM deadline - clock_timestamp()), 0.001)::float8));
    END LOOP;
    RETURN j;
END
$$;

COMMENT ON FUNCTION aigw.wait_job(job bigint, timeout_ms integer) IS 'Wait until a job has ended (its provider batches too), or timeout_ms has passed (NULL: no limit); returns its row, whose state says which. For scripts; statement_timeout and a cancel end the wait.';

CREATE FUNCTION aigw.cancel_job(job bigint) RETURNS integer
    LANGUAGE c STRICT
    AS 'MODULE_PATHNAME', 'aigw_cancel_job';

COMMENT ON FUNCTION aigw.cancel_job(job bigint) IS 'Cancel a batch_api job: its batches still at the provider are cancelled there (lines already answered are written back and charged, the rest stay NULL and their reservation is released); returns how many batches were asked to cancel.';

REVOKE ALL ON PROCEDURE aigw.batch_job_run(IN job bigint, IN source regclass, IN target_column text, IN target_kind text, IN input_sql text, IN model text, IN options jsonb, IN batch_size integer, IN concurrency integer, IN max_cost numeric) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.batch_job_run(IN job bigint, IN source regclass, IN target_column text, IN target_kind text, IN input_sql text, IN model text, IN options jsonb, IN batch_size integer, IN concurrency integer, IN max_cost numeric) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.batch_job_notice(job bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.batch_job_notice(job bigint) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.wait_job(job bigint, timeout_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.wait_job(job bigint, timeout_ms integer) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.cancel_job(job bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.cancel_job(job bigint) TO aigw_user;

