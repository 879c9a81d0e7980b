-- aigw 0.2.0: billing.
-- Prices and FX rates are effective-dated; wallets hold one currency; the
-- ledger is append-only; every call reserves its worst-case cost before it
-- is sent and is charged its actual cost, in the worker's transaction that
-- also logs it (DESIGN.md, invariants 2-7).
--
-- Rounding rule (the only one): an amount charged to or credited to a wallet
-- is rounded half away from zero to one millionth of the wallet currency's
-- minor unit (USD and CNY: 8 decimal places, IDR: 6).  Reservations round up
-- to the same unit.  Top-ups and credit limits are whole minor units.

\echo Use "ALTER EXTENSION aigw UPDATE TO '0.2.0'" to load this file. \quit

--------------------------------------------------------------------------
-- Currencies
--------------------------------------------------------------------------
CREATE TABLE aigw.currencies (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    minor_units  smallint NOT NULL CHECK (minor_units BETWEEN 0 AND 4),
    name         text NOT NULL
);
COMMENT ON TABLE aigw.currencies IS
    'ISO 4217 currencies aigw can hold. minor_units: decimal places of the smallest unit in use; ledger amounts keep 6 more.';
INSERT INTO aigw.currencies (code, minor_units, name) VALUES
    ('USD', 2, 'US dollar'),
    ('CNY', 2, 'Chinese yuan renminbi'),
    -- ISO 4217 lists 2, but no sub-rupiah unit circulates or is transferable.
    ('IDR', 0, 'Indonesian rupiah'),
    ('EUR', 2, 'Euro'),
    ('GBP', 2, 'Pound sterling'),
    ('JPY', 0, 'Japanese yen'),
    ('KRW', 0, 'South Korean won'),
    ('SGD', 2, 'Singapore dollar'),
    ('HKD', 2, 'Hong Kong dollar'),
    ('INR', 2, 'Indian rupee'),
    ('MYR', 2, 'Malaysian ringgit'),
    ('THB', 2, 'Thai baht'),
    ('VND', 0, 'Vietnamese dong'),
    ('PHP', 2, 'Philippine peso'),
    ('AUD', 2, 'Australian dollar'),
    ('CAD', 2, 'Canadian dollar'),
    ('CHF', 2, 'Swiss franc'),
    ('BRL', 2, 'Brazilian real');

-- Decimal places kept on ledger amounts of a currency (see the rounding rule).
CREATE FUNCTION aigw.ledger_scale(currency text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT c.minor_units + 6 FROM aigw.currencies c WHERE c.code = currency);
COMMENT ON FUNCTION aigw.ledger_scale(text) IS
    'Decimal places of ledger amounts in a currency: its minor units + 6 (USD 8, IDR 6).';

-- Ledger units (how shared memory counts money) back to an amount.
CREATE FUNCTION aigw.from_units(units bigint, currency text) RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
RETURN round(units / 10::numeric ^ aigw.ledger_scale(currency), aigw.ledger_scale(currency));

--------------------------------------------------------------------------
-- Prices: per million tokens, effective-dated.  A period is closed, never
-- rewritten: rates of a period that has started cannot change.
--------------------------------------------------------------------------
CREATE TABLE aigw.prices (
    model                 text NOT NULL REFERENCES aigw.models (id) ON UPDATE CASCADE,
    currency              text NOT NULL REFERENCES aigw.currencies (code),
    input_per_mtok        numeric NOT NULL CHECK (input_per_mtok >= 0 AND input_per_mtok < 1000000),
    output_per_mtok       numeric NOT NULL CHECK (output_per_mtok >= 0 AND output_per_mtok < 1000000),
    cached_input_per_mtok numeric CHECK (cached_input_per_mtok >= 0 AND cached_input_per_mtok < 1000000),
    cache_write_per_mtok  numeric CHECK (cache_write_per_mtok >= 0 AND cache_write_per_mtok < 1000000),
    reasoning_per_mtok    numeric CHECK (reasoning_per_mtok >= 0 AND reasoning_per_mtok < 1000000),
    valid_from            timestamptz NOT NULL,
    valid_to              timestamptz CHECK (valid_to > valid_from),
    source                text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by            name NOT NULL DEFAULT current_user,
    PRIMARY KEY (model, currency, valid_from)
);
COMMENT ON TABLE aigw.prices IS
    'Model prices per million tokens, in force from valid_from (inclusive) to valid_to (exclusive). Set with aigw.set_price, which closes the previous period.';
COMMENT ON COLUMN aigw.prices.cached_input_per_mtok IS 'Rate of prompt tokens served from the provider''s cache; NULL: the input rate.';
COMMENT ON COLUMN aigw.prices.cache_write_per_mtok IS 'Rate of prompt tokens written to the provider''s cache (Anthropic); NULL: the input rate.';
COMMENT ON COLUMN aigw.prices.reasoning_per_mtok IS 'Rate of reasoning tokens (part of the completion tokens); NULL: the output rate.';
COMMENT ON COLUMN aigw.prices.source IS 'Where the price comes from, e.g. the price map and its date.';

CREATE FUNCTION aigw.prices_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.valid_from <= now() THEN
        IF TG_OP = 'DELETE'
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
CREATE TRIGGER prices_guard BEFORE INSERT OR UPDATE OR DELETE ON aigw.prices
    FOR EACH ROW EXECUTE FUNCTION aigw.prices_guard();

--------------------------------------------------------------------------
-- FX rates: 1 base = rate quote, effective-dated like prices.
--------------------------------------------------------------------------
CREATE TABLE aigw.fx_rates (
    base        text NOT NULL REFERENCES aigw.currencies (code),
    quote       text NOT NULL REFERENCES aigw.currencies (code) CHECK (quote <> base),
    rate        numeric NOT NULL CHECK (rate > 0 AND rate < 1000000000000),
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz CHECK (valid_to > valid_from),
    source      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  name NOT NULL DEFAULT current_user,
    PRIMARY KEY (base, quote, valid_from)
);
COMMENT ON TABLE aigw.fx_rates IS
    'Exchange rates: 1 unit of base is worth rate units of quote, from valid_from to valid_to. Set with aigw.set_fx. The reverse direction is used when only it is set, at 1/rate rounded to 15 decimal places.';

-- The rate converting an amount in from_currency into to_currency at a
-- time, and until when it holds (the end of its period, or the start of a
-- scheduled rate; NULL: until a change).  A single SELECT, so that it is
-- inlined where it is joined (aigw.billing_quote runs before every call).
CREATE FUNCTION aigw.fx_quote(from_currency text, to_currency text, at timestamptz)
RETURNS TABLE (rate numeric, valid_until timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN from_currency = to_currency THEN 1
                ELSE coalesce(d.rate, round(1 / i.rate, 15)) END,
           CASE WHEN from_currency <> to_currency THEN least(d.valid_to, i.valid_to,
                (SELECT min(n.valid_from) FROM aigw.fx_rates n
                  WHERE n.base = from_currency AND n.quote = to_currency AND n.valid_from > at),
                (SELECT min(n.valid_from) FROM aigw.fx_rates n
                  WHERE n.base = to_currency AND n.quote = from_currency AND n.valid_from > at)) END
      FROM (SELECT 1) AS one
      LEFT JOIN aigw.fx_rates d ON d.base = from_currency AND d.quote = to_currency
            AND d.valid_from <= at AND (d.valid_to IS NULL OR d.valid_to > at)
      LEFT JOIN aigw.fx_rates i ON i.base = to_currency AND i.quote = from_currency
            AND i.valid_from <= at AND (i.valid_to IS NULL OR i.valid_to > at);
END;

CREATE FUNCTION aigw.fx_rate(from_currency text, to_currency text, at timestamptz DEFAULT now())
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT q.rate FROM aigw.fx_quote(from_currency, to_currency, at) q);
COMMENT ON FUNCTION aigw.fx_rate(text, text, timestamptz) IS
    'Rate that converts an amount from one currency into another at a given time; NULL when no rate is in force.';

--------------------------------------------------------------------------
-- Wallets.  The balance lives in its own table, written only by aigw's
-- worker pool, so that editing a wallet (a credit limit, say) in a long
-- transaction never makes the pool wait for a row lock.
--------------------------------------------------------------------------
CREATE TABLE aigw.wallets (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,62}$'),
    currency      text NOT NULL REFERENCES aigw.currencies (code),
    credit_limit  numeric NOT NULL DEFAULT 0 CHECK (credit_limit >= 0 AND credit_limit < 1000000000000),
    owner         regrole NOT NULL,
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    name NOT NULL DEFAULT current_user,
    UNIQUE (id, currency)
);
COMMENT ON TABLE aigw.wallets IS
    'Prepaid wallets. A call spends from the wallet named by SET aigw.wallet or the call option "wallet"; only roles with the privileges of owner may spend from or read it.';
COMMENT ON COLUMN aigw.wallets.credit_limit IS 'How far below zero the balance may go, in the wallet currency.';

CREATE TABLE aigw.wallet_balances (
    wallet_id   bigint PRIMARY KEY REFERENCES aigw.wallets (id),
    balance     numeric NOT NULL DEFAULT 0,
    version     bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aigw.wallet_balances IS
    'Committed balance of each wallet (the sum of its ledger), kept by aigw''s worker pool; version counts the changes.';

CREATE FUNCTION aigw.wallets_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.currency <> OLD.currency THEN
        RAISE EXCEPTION 'the currency of wallet "%" cannot change', OLD.name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Create another wallet in the new currency.';
    END IF;
    IF NEW.credit_limit <> round(NEW.credit_limit, (SELECT minor_units FROM aigw.currencies WHERE code = NEW.currency)) THEN
        RAISE EXCEPTION 'credit limit % has more decimal places than % allows', NEW.credit_limit, NEW.currency
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER wallets_guard BEFORE UPDATE ON aigw.wallets
    FOR EACH ROW EXECUTE FUNCTION aigw.wallets_guard();

CREATE FUNCTION aigw.currencies_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.minor_units <> OLD.minor_units AND EXISTS (SELECT 1 FROM aigw.wallets WHERE currency = OLD.code) THEN
        RAISE EXCEPTION 'the minor units of % cannot change: wallets hold it', OLD.code
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER currencies_guard BEFORE UPDATE ON aigw.currencies
    FOR EACH ROW EXECUTE FUNCTION aigw.currencies_guard();

--------------------------------------------------------------------------
-- The ledger: append-only.  Amounts are signed, in the wallet's currency
-- (credits positive, charges negative).  A charge carries the model,
-- provider, role and tags of its call so that statements and the spend
-- views need nothing but the ledger.
--------------------------------------------------------------------------
CREATE TABLE aigw.ledger (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    wallet_id          bigint NOT NULL,
    currency           text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('topup', 'charge', 'refund', 'adjustment')),
    amount             numeric NOT NULL CHECK (amount <> 0),
    request_id         bigint,
    rail               text,
    external_ref       text,
    original_amount    numeric,
    original_currency  text REFERENCES aigw.currencies (code),
    fx_rate            numeric,
    model              text,
    provider           text,
    role_name          name,
    tags               jsonb,
    note               text,
    created_by         name NOT NULL,
    FOREIGN KEY (wallet_id, currency) REFERENCES aigw.wallets (id, currency),
    UNIQUE (rail, external_ref),
    CHECK (kind <> 'topup' OR (amount > 0 AND rail IS NOT NULL AND external_ref IS NOT NULL)),
    CHECK (kind <> 'charge' OR (amount < 0 AND request_id IS NOT NULL)),
    CHECK (kind <> 'refund' OR (amount > 0 AND request_id IS NOT NULL)),
    CHECK (kind <> 'adjustment' OR note IS NOT NULL),
    CHECK ((original_currency IS NULL) = (original_amount IS NULL))
);
COMMENT ON TABLE aigw.ledger IS
    'Every change of every wallet balance, append-only: topup, charge (one per paid request), refund, adjustment. Amounts in the wallet currency, rounded as stated in the install script: half away from zero to a millionth of the minor unit.';
COMMENT ON COLUMN aigw.ledger.request_id IS 'aigw.requests.id of the charged (or refunded) call.';
COMMENT ON COLUMN aigw.ledger.original_amount IS 'Charge: the exact cost in the price''s currency; top-up: the amount paid, in original_currency.';
COMMENT ON COLUMN aigw.ledger.fx_rate IS 'Rate used to convert original_amount into the wallet currency; NULL when no conversion was needed.';
CREATE UNIQUE INDEX ledger_one_charge_or_refund_per_request ON aigw.ledger (request_id, kind)
    WHERE request_id IS NOT NULL;
CREATE INDEX ON aigw.ledger (wallet_id, created_at);

CREATE FUNCTION aigw.ledger_is_append_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'aigw.ledger is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Balances and statements are sums of the ledger; a changed or removed row would falsify them.',
              HINT = 'Correct a wrong entry with aigw.refund() or aigw.adjust(), which append one.';
END
$$;
CREATE TRIGGER ledger_no_update_or_delete BEFORE UPDATE OR DELETE ON aigw.ledger
    FOR EACH ROW EXECUTE FUNCTION aigw.ledger_is_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON aigw.ledger
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.ledger_is_append_only();

--------------------------------------------------------------------------
-- The request log learns what each attempt cost.
--------------------------------------------------------------------------
ALTER TABLE aigw.requests
    ADD COLUMN wallet_id  bigint,
    ADD COLUMN cost       numeric,
    ADD COLUMN currency   text,
    ADD COLUMN reserved   numeric;
COMMENT ON COLUMN aigw.requests.cost IS
    'What the attempt cost at the price in force when it was made: in the wallet currency (and charged) when billed, else in the price''s currency; NULL when the model has no price.';
COMMENT ON COLUMN aigw.requests.reserved IS 'Worst-case cost reserved against the wallet before the attempt was sent.';

--------------------------------------------------------------------------
-- Cost arithmetic
--------------------------------------------------------------------------
-- The exact cost of a usage at given rates, unrounded.  Cached and
-- cache-written prompt tokens are part of prompt_tokens and reasoning
-- tokens part of completion_tokens (OpenAI's usage shape, which aigw
-- normalizes every provider to).
CREATE FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint,
                                completion_tokens bigint, reasoning_tokens bigint,
                                input_per_mtok numeric, output_per_mtok numeric,
                                cached_input_per_mtok numeric DEFAULT NULL,
                                cache_write_per_mtok numeric DEFAULT NULL,
                                reasoning_per_mtok numeric DEFAULT NULL)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale((
          greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0) - coalesce(cache_write_tokens, 0), 0) * input_per_mtok
        + least(coalesce(cached_tokens, 0), coalesce(prompt_tokens, 0)) * coalesce(cached_input_per_mtok, input_per_mtok)
        + least(coalesce(cache_write_tokens, 0), greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0), 0))
              * coalesce(cache_write_per_mtok, input_per_mtok)
        + greatest(coalesce(completion_tokens, 0) - coalesce(reasoning_tokens, 0), 0) * output_per_mtok
        + least(coalesce(reasoning_tokens, 0), coalesce(completion_tokens, 0)) * coalesce(reasoning_per_mtok, output_per_mtok)
       ) / 1000000);
COMMENT ON FUNCTION aigw.token_cost(bigint, bigint, bigint, bigint, bigint, numeric, numeric, numeric, numeric, numeric) IS
    'Exact cost of a usage at per-million-token rates: prompt tokens neither read from nor written to the cache at the input rate, cache reads at the cached rate, cache writes at the cache-write rate, completion tokens at the output rate except reasoning tokens at the reasoning rate.';

-- Everything the calling backend needs to reserve and later charge a call:
-- the wallet (by name), the price in force, the FX rate, the model's
-- output limits, and until when all of that holds (valid_until: the end of
-- the price or rate period, or the start of a scheduled one).  Run by
-- aigw's C code as the extension owner, which checks the caller's right to
-- the wallet itself and caches the answer until valid_until or until one of
-- the tables it reads changes (see aigw.catalog_changed).  One query,
-- inlined into the caller's plan.
CREATE FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamptz)
RETURNS TABLE (wallets_exist boolean, wallet_id bigint, wallet_xmin xid, wallet_owner oid,
               wallet_enabled boolean, currency text, scale integer, credit_limit_units bigint,
               price_currency text, input_per_mtok text, output_per_mtok text,
               cached_input_per_mtok text, reasoning_per_mtok text,
               max_input_rate numeric, max_output_rate numeric, fx numeric, fx_rate text,
               model_max_output_tokens bigint, model_context_window bigint,
               balance_units bigint, balance_version bigint, price_scale integer,
               valid_until timestamptz, cache_write_per_mtok text)
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
           p.cache_write_per_mtok::text
      FROM (SELECT 1) AS one
      LEFT JOIN aigw.wallets w ON w.name = wallet_name
      LEFT JOIN aigw.currencies c ON c.code = w.currency
      LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
      LEFT JOIN aigw.models m ON m.id = model_id
      -- a price in the wallet's currency wins; otherwise USD; otherwise any
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
REVOKE ALL ON FUNCTION aigw.billing_quote(text, text, timestamptz) FROM PUBLIC;

-- Every change to a table that billing_quote reads bumps a counter in
-- shared memory when its transaction commits, so that no backend keeps
-- using a quote from before the change.
CREATE FUNCTION aigw.catalog_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'aigw_catalog_changed'
LANGUAGE C;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.wallets
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.prices
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.fx_rates
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.currencies
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aigw.models
    FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();
-- Also for changes applied with session_replication_role = replica, as
-- logical replication applies them: a cache that missed one would bill at
-- a price no longer in force.
ALTER TABLE aigw.wallets ENABLE ALWAYS TRIGGER catalog_changed;
ALTER TABLE aigw.prices ENABLE ALWAYS TRIGGER catalog_changed;
ALTER TABLE aigw.fx_rates ENABLE ALWAYS TRIGGER catalog_changed;
ALTER TABLE aigw.currencies ENABLE ALWAYS TRIGGER catalog_changed;
ALTER TABLE aigw.models ENABLE ALWAYS TRIGGER catalog_changed;

--------------------------------------------------------------------------
-- Administration: prices, FX, wallets.  SECURITY DEFINER so that an
-- administrator role needs only EXECUTE on them (none is granted to PUBLIC).
--------------------------------------------------------------------------
CREATE FUNCTION aigw.check_money(amount numeric, what text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF amount IS NULL OR amount = 'NaN'::numeric OR amount IN ('Infinity'::numeric, '-Infinity'::numeric) THEN
        RAISE EXCEPTION '% must be a finite number, not %', what, coalesce(amount::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

CREATE FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric,
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
        RAISE EXCEPTION 'unknown model "%"', model
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
REVOKE ALL ON FUNCTION aigw.set_price(text, numeric, numeric, text, numeric, timestamptz, numeric, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION aigw.set_price(text, numeric, numeric, text, numeric, timestamptz, numeric, numeric, text) IS
    'Set a model''s price per million tokens from valid_from on, closing the period in force then. Earlier charges keep their price.';

CREATE FUNCTION aigw.set_fx(base text, quote text, rate numeric, valid_from timestamptz DEFAULT now(),
                            source text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    next_from timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM aigw.currencies c WHERE c.code = base)
       OR NOT EXISTS (SELECT 1 FROM aigw.currencies c WHERE c.code = quote) THEN
        RAISE EXCEPTION 'unknown currency in %/%', base, quote
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM aigw.currencies lists them.';
    END IF;
    IF base = quote THEN
        RAISE EXCEPTION 'an exchange rate needs two different currencies' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF rate IS NULL OR rate <= 0 OR rate = 'NaN' OR rate >= 1000000000000 THEN
        RAISE EXCEPTION 'exchange rate % is out of range', rate
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The rate is how many units of quote one unit of base is worth, greater than 0.';
    END IF;
    IF valid_from IS NULL OR valid_from < now() THEN
        RAISE EXCEPTION 'an exchange rate cannot take effect in the past'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Conversions already made keep the rate they used; set the new rate from now on.';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('aigw.fx_rates'), hashtext(base || '/' || quote));
    SELECT min(f.valid_from) INTO next_from FROM aigw.fx_rates f
     WHERE f.base = set_fx.base AND f.quote = set_fx.quote AND f.valid_from > set_fx.valid_from;
    UPDATE aigw.fx_rates f SET valid_to = set_fx.valid_from
     WHERE f.base = set_fx.base AND f.quote = set_fx.quote
       AND f.valid_from < set_fx.valid_from AND (f.valid_to IS NULL OR f.valid_to > set_fx.valid_from);
    INSERT INTO aigw.fx_rates (base, quote, rate, valid_from, valid_to, source, created_by)
    VALUES (base, quote, rate, valid_from, next_from, source, session_user)
    ON CONFLICT ON CONSTRAINT fx_rates_pkey DO UPDATE SET rate = EXCLUDED.rate, source = EXCLUDED.source;
END
$$;
REVOKE ALL ON FUNCTION aigw.set_fx(text, text, numeric, timestamptz, text) FROM PUBLIC;
COMMENT ON FUNCTION aigw.set_fx(text, text, numeric, timestamptz, text) IS
    'Set the rate of base in quote from valid_from on, closing the period in force then.';

CREATE FUNCTION aigw.create_wallet(name text, currency text, credit_limit numeric DEFAULT 0,
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
        RAISE EXCEPTION 'invalid wallet name "%"', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Up to 63 letters, digits and _ . : @ -, starting with a letter or digit.';
    END IF;
    PERFORM aigw.check_money(credit_limit, 'credit_limit');
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
REVOKE ALL ON FUNCTION aigw.create_wallet(text, text, numeric, regrole) FROM PUBLIC;
COMMENT ON FUNCTION aigw.create_wallet(text, text, numeric, regrole) IS
    'Create a wallet in a currency (ISO 4217), spendable by roles with the privileges of owner, down to minus credit_limit.';

CREATE FUNCTION aigw.set_credit_limit(wallet text, credit_limit numeric) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM aigw.check_money(credit_limit, 'credit_limit');
    IF credit_limit < 0 THEN
        RAISE EXCEPTION 'a credit limit cannot be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE aigw.wallets w SET credit_limit = set_credit_limit.credit_limit WHERE w.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet "%" does not exist', wallet USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION aigw.set_credit_limit(text, numeric) FROM PUBLIC;

--------------------------------------------------------------------------
-- Money movements other than charges.  aigw.topup, aigw.refund and
-- aigw.adjust are C functions: like a charge, each is written by the
-- worker pool in a transaction of its own, because the pool alone updates
-- wallet balances (no caller ever holds a wallet's row lock).  These
-- quote functions validate and convert first, in the caller, so a bad
-- request changes nothing; all three answer with the same columns: the
-- wallet (wallet_xmin NULL when it needs no check), its currency and
-- ledger scale, the amount to credit in it, and the FX rate used if any.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.topup_quote(wallet text, amount numeric, currency text, rail text, external_ref text)
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
        RAISE EXCEPTION 'wallet "%" does not exist', wallet USING ERRCODE = 'undefined_object';
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
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION aigw.topup_quote(text, numeric, text, text, text) FROM PUBLIC;

CREATE FUNCTION aigw.refund_quote(request_id bigint, amount numeric)
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
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION aigw.refund_quote(bigint, numeric) FROM PUBLIC;

CREATE FUNCTION aigw.adjust_quote(wallet text, amount numeric, note text)
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
        RAISE EXCEPTION 'wallet "%" does not exist', wallet USING ERRCODE = 'undefined_object';
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
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION aigw.adjust_quote(text, numeric, text) FROM PUBLIC;

-- Run by the worker pool: append one credit or debit, idempotently.  The
-- same (rail, external_ref), or a second refund of one request, returns
-- the row already there instead of a second one, provided it describes
-- the same movement.  inserted says whether the balance must change.
CREATE FUNCTION aigw.ledger_append(kind text, wallet_id bigint, currency text, amount numeric,
                                   rail text, external_ref text, request_id bigint,
                                   original_amount numeric, original_currency text, fx_rate numeric,
                                   note text, created_by name,
                                   OUT id bigint, OUT inserted boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old aigw.ledger;
BEGIN
    INSERT INTO aigw.ledger AS l (kind, wallet_id, currency, amount, rail, external_ref, request_id,
                                  original_amount, original_currency, fx_rate, note, created_by)
    VALUES (kind, wallet_id, currency, amount, rail, external_ref, request_id,
            original_amount, original_currency, fx_rate, note, created_by)
    ON CONFLICT DO NOTHING
    RETURNING l.id INTO id;
    inserted := FOUND;
    IF inserted THEN
        RETURN;
    END IF;
    SELECT * INTO old FROM aigw.ledger l
     WHERE (ledger_append.rail IS NOT NULL AND l.rail = ledger_append.rail AND l.external_ref = ledger_append.external_ref)
        OR (ledger_append.rail IS NULL AND l.request_id = ledger_append.request_id AND l.kind = ledger_append.kind);
    IF old.wallet_id <> wallet_id OR old.amount <> amount OR old.kind <> kind THEN
        RAISE EXCEPTION 'ledger entry % already records this %', old.id,
                CASE WHEN rail IS NOT NULL THEN format('payment (%s, %s)', rail, external_ref)
                     ELSE format('%s of request %s', kind, request_id) END
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('It is a %s of %s %s to wallet id %s; this one is a %s of %s %s to wallet id %s.',
                                  old.kind, old.amount, old.currency, old.wallet_id, kind, amount, currency, wallet_id);
    END IF;
    id := old.id;
END
$$;
REVOKE ALL ON FUNCTION aigw.ledger_append(text, bigint, text, numeric, text, text, bigint, numeric, text, numeric, text, name) FROM PUBLIC;

CREATE FUNCTION aigw.topup(wallet text, amount numeric, currency text, rail text, external_ref text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'aigw_topup'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION aigw.topup(text, numeric, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION aigw.topup(text, numeric, text, text, text) IS
    'Credit a payment to a wallet; returns its ledger id. Idempotent by (rail, external_ref). Committed by the worker pool on its own, like a charge: reporting the payment again returns the same id.';

CREATE FUNCTION aigw.refund(request_id bigint, amount numeric DEFAULT NULL, note text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'aigw_refund'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION aigw.refund(bigint, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION aigw.refund(bigint, numeric, text) IS
    'Refund the charge of a request, in full (amount NULL) or in part, once; returns the ledger id.';

CREATE FUNCTION aigw.adjust(wallet text, amount numeric, note text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'aigw_adjust'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION aigw.adjust(text, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION aigw.adjust(text, numeric, text) IS
    'Credit (positive) or debit (negative) a wallet with a note saying why; returns the ledger id.';

--------------------------------------------------------------------------
-- Reading wallets.  Row-level security shows a role the wallets whose
-- owner's privileges it has, and their ledger; everything below is
-- SECURITY INVOKER so that it shows exactly that.
--------------------------------------------------------------------------
ALTER TABLE aigw.wallets ENABLE ROW LEVEL SECURITY;
ALTER TABLE aigw.wallet_balances ENABLE ROW LEVEL SECURITY;
ALTER TABLE aigw.ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_reads ON aigw.wallets FOR SELECT
    USING (pg_has_role(owner::oid, 'USAGE'));
CREATE POLICY owner_reads ON aigw.wallet_balances FOR SELECT
    USING (EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.id = wallet_id));
CREATE POLICY owner_reads ON aigw.ledger FOR SELECT
    USING (EXISTS (SELECT 1 FROM aigw.wallets w WHERE w.id = wallet_id));
GRANT SELECT ON aigw.currencies, aigw.prices, aigw.fx_rates,
                aigw.wallets, aigw.wallet_balances, aigw.ledger TO PUBLIC;

CREATE FUNCTION aigw.balance(wallet text) RETURNS numeric
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
        RAISE EXCEPTION 'wallet "%" does not exist or role "%" may not read it', wallet, current_user
            USING ERRCODE = 'undefined_object',
                  HINT = 'A wallet is readable by roles with the privileges of its owner.';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION aigw.balance(text) IS 'Committed balance of a wallet, in its currency (calls in flight not deducted; see aigw.wallet_status).';

-- Reservations of calls in flight, from shared memory.
CREATE FUNCTION aigw.wallet_reservations()
RETURNS TABLE (wallet_id bigint, reserved_units bigint, calls integer, cached_balance_units bigint, cached_version bigint)
AS 'MODULE_PATHNAME', 'aigw_wallet_reservations'
LANGUAGE C VOLATILE;

CREATE VIEW aigw.wallet_status WITH (security_invoker = true) AS
    SELECT w.name AS wallet, w.currency, b.balance, w.credit_limit,
           aigw.from_units(coalesce(r.reserved_units, 0), w.currency) AS reserved,
           b.balance + w.credit_limit - aigw.from_units(coalesce(r.reserved_units, 0), w.currency) AS available,
           coalesce(r.calls, 0) AS calls_in_flight, w.owner, w.enabled
      FROM aigw.wallets w
      JOIN aigw.wallet_balances b ON b.wallet_id = w.id
      LEFT JOIN aigw.wallet_reservations() r ON r.wallet_id = w.id;
COMMENT ON VIEW aigw.wallet_status IS 'Each wallet you may read: committed balance, amount reserved by calls in flight, and what is left to spend.';

-- Wallets whose recorded balance is not the sum of their ledger, or whose
-- balance cached in shared memory (what reservations are checked against)
-- disagrees with the table.  Empty when all is well.
CREATE FUNCTION aigw.verify_ledger()
RETURNS TABLE (wallet text, currency text, balance numeric, ledger_sum numeric, cached_balance numeric, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH sums AS (
        SELECT l.wallet_id, sum(l.amount) AS total,
               bool_or(l.amount <> round(l.amount, aigw.ledger_scale(l.currency))) AS unrounded
          FROM aigw.ledger l GROUP BY l.wallet_id
    )
    SELECT * FROM (
        SELECT w.name, w.currency, b.balance, coalesce(s.total, 0),
               aigw.from_units(r.cached_balance_units, w.currency),
               concat_ws('; ',
                   CASE WHEN b.balance IS NULL THEN 'no balance row' END,
                   CASE WHEN b.balance <> coalesce(s.total, 0) THEN 'balance is not the sum of the ledger' END,
                   CASE WHEN s.unrounded THEN 'ledger amounts finer than the ledger scale' END,
                   CASE WHEN r.cached_version = b.version
                             AND r.cached_balance_units <> b.balance * 10::numeric ^ aigw.ledger_scale(w.currency)
                        THEN 'shared-memory balance differs from the table' END) AS problem
          FROM aigw.wallets w
          LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
          LEFT JOIN sums s ON s.wallet_id = w.id
          LEFT JOIN aigw.wallet_reservations() r ON r.wallet_id = w.id) v
     WHERE v.problem <> ''
$$;
COMMENT ON FUNCTION aigw.verify_ledger() IS
    'Wallets whose balance is not the sum of their ledger (or whose cached balance disagrees); no rows when the books balance.';

-- A statement: opening balance, movements by kind (charges by model and
-- provider), closing balance, for [period_from, period_to).  It reads the
-- ledger only, so it is the same whenever it is asked for.
CREATE FUNCTION aigw.statement(wallet text, period_from timestamptz, period_to timestamptz)
RETURNS TABLE (line text, model text, provider text, items bigint, amount numeric, currency text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w aigw.wallets;
BEGIN
    SELECT * INTO w FROM aigw.wallets x WHERE x.name = wallet;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet "%" does not exist or role "%" may not read it', wallet, current_user
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
COMMENT ON FUNCTION aigw.statement(text, timestamptz, timestamptz) IS
    'Statement of a wallet for [period_from, period_to): opening balance, top-ups, refunds, adjustments, charges by model and provider, closing balance.';

--------------------------------------------------------------------------
-- Spend views for BI tools (plain SELECT; each role sees its wallets).
--------------------------------------------------------------------------
CREATE VIEW aigw.spend_daily WITH (security_invoker = true) AS
    SELECT date_trunc('day', l.created_at) AS day, w.name AS wallet, l.currency,
           count(*) AS calls, -sum(l.amount) AS spend
      FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
     WHERE l.kind = 'charge'
     GROUP BY 1, 2, 3;
COMMENT ON VIEW aigw.spend_daily IS 'Spend per day and wallet, in the wallet currency.';

CREATE VIEW aigw.spend_by_model WITH (security_invoker = true) AS
    SELECT w.name AS wallet, l.currency, l.model, l.provider,
           count(*) AS calls, -sum(l.amount) AS spend
      FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
     WHERE l.kind = 'charge'
     GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW aigw.spend_by_model IS 'Spend per wallet, model and provider.';

CREATE VIEW aigw.spend_by_tag WITH (security_invoker = true) AS
    SELECT w.name AS wallet, l.currency, t.key AS tag, t.value,
           count(*) AS calls, -sum(l.amount) AS spend
      FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
     CROSS JOIN LATERAL jsonb_each_text(l.tags) t
     WHERE l.kind = 'charge'
     GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW aigw.spend_by_tag IS 'Spend per wallet and tag (key and value of the call option "tags").';

CREATE VIEW aigw.spend_by_role WITH (security_invoker = true) AS
    SELECT w.name AS wallet, l.currency, l.role_name,
           count(*) AS calls, -sum(l.amount) AS spend
      FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
     WHERE l.kind = 'charge'
     GROUP BY 1, 2, 3;
COMMENT ON VIEW aigw.spend_by_role IS 'Spend per wallet and calling role.';

GRANT SELECT ON aigw.wallet_status, aigw.spend_daily, aigw.spend_by_model,
                aigw.spend_by_tag, aigw.spend_by_role TO PUBLIC;

--------------------------------------------------------------------------
-- pg_dump must keep what users put in aigw's tables: money above all.
-- (aigw.prices is not marked: its shipped rows, recreated by CREATE
-- EXTENSION, would collide with their dumped copies.)
--------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('aigw.wallets', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.wallets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.wallet_balances', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.ledger', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.ledger_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.fx_rates', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.requests', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.requests_id_seq', '');

--------------------------------------------------------------------------
-- The price catalogue
--------------------------------------------------------------------------
-- BEGIN GENERATED PRICES
-- Generated by scripts/gen_prices.py from the LiteLLM model price map (MIT licence), mirrored 2026-07-24.
INSERT INTO aigw.prices (model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, reasoning_per_mtok, valid_from, source) VALUES
    ('openai/gpt-4o-mini', 'USD', 0.15, 0.6, 0.075, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-4o-mini'),
    ('openai/gpt-4o', 'USD', 2.5, 10, 1.25, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-4o'),
    ('openai/gpt-4.1', 'USD', 2, 8, 0.5, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-4.1'),
    ('openai/gpt-4.1-mini', 'USD', 0.4, 1.6, 0.1, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-4.1-mini'),
    ('openai/gpt-4.1-nano', 'USD', 0.1, 0.4, 0.025, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-4.1-nano'),
    ('openai/gpt-5', 'USD', 1.25, 10, 0.125, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-5'),
    ('openai/gpt-5-mini', 'USD', 0.25, 2, 0.025, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-5-mini'),
    ('openai/o4-mini', 'USD', 1.1, 4.4, 0.275, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: o4-mini'),
    ('deepseek/deepseek-chat', 'USD', 0.28, 0.42, 0.028, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: deepseek/deepseek-chat'),
    ('deepseek/deepseek-reasoner', 'USD', 0.28, 0.42, 0.028, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: deepseek/deepseek-reasoner'),
    ('qwen/qwen-plus', 'USD', 0.4, 1.2, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: dashscope/qwen-plus'),
    ('qwen/qwen-max', 'USD', 1.6, 6.4, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: dashscope/qwen-max'),
    ('qwen/qwen-turbo', 'USD', 0.05, 0.2, NULL, NULL, 0.5, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: dashscope/qwen-turbo'),
    ('mistral/mistral-large-latest', 'USD', 0.5, 1.5, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: mistral/mistral-large-latest'),
    ('mistral/mistral-small-latest', 'USD', 0.06, 0.18, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: mistral/mistral-small-latest'),
    ('groq/llama-3.3-70b-versatile', 'USD', 0.59, 0.79, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: groq/llama-3.3-70b-versatile'),
    ('groq/llama-3.1-8b-instant', 'USD', 0.05, 0.08, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: groq/llama-3.1-8b-instant'),
    ('together/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'USD', 0.88, 0.88, NULL, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo'),
    ('openrouter/openai/gpt-4o-mini', 'USD', 0.15, 0.6, 0.075, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: gpt-4o-mini'),
    ('xai/grok-3', 'USD', 3, 15, 0.75, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: xai/grok-3'),
    ('xai/grok-3-mini', 'USD', 0.3, 0.5, 0.075, NULL, NULL, '2026-07-24 00:00:00+00', 'litellm 2026-07-24: xai/grok-3-mini');
-- END GENERATED PRICES
