-- Billing: quotes, wallets, top-ups, refunds, adjustments, prices and
-- exchange rates, the ledger's checks, and who may see which wallet.

CREATE FUNCTION aigw.adjust(wallet text, amount numeric, note text) RETURNS bigint
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_adjust';

COMMENT ON FUNCTION aigw.adjust(wallet text, amount numeric, note text) IS 'Credit (positive) or debit (negative) a wallet with a note saying why; returns the ledger id.';

CREATE FUNCTION aigw.adjust_quote(wallet text, amount numeric, note text) RETURNS TABLE(wallet_id bigint, wallet_xmin xid, wallet_currency text, scale integer, credit text, fx_rate text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.balance(wallet text) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION aigw.balance(wallet text) IS 'Committed balance of a wallet, in its currency (calls in flight not deducted; see aigw.wallet_status).';

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE FUNCTION aigw.fx_quote(from_currency text, to_currency text, at timestamp with time zone) RETURNS TABLE(rate numeric, valid_until timestamp with time zone)
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (fx_quote.from_currency = fx_quote.to_currency) THEN (1)::numeric
             ELSE COALESCE(d.rate, round(((1)::numeric / i.rate), 15))
         END AS "coalesce",
         CASE
             WHEN (fx_quote.from_currency <> fx_quote.to_currency) THEN LEAST(d.valid_to, i.valid_to, ( SELECT min(n.valid_from) AS min
                FROM aigw.fx_rates n
               WHERE ((n.base = fx_quote.from_currency) AND (n.quote = fx_quote.to_currency) AND (n.valid_from > fx_quote.at))), ( SELECT min(n.valid_from) AS min
                FROM aigw.fx_rates n
               WHERE ((n.base = fx_quote.to_currency) AND (n.quote = fx_quote.from_currency) AND (n.valid_from > fx_quote.at))))
             ELSE NULL::timestamp with time zone
         END AS "case"
    FROM ((( SELECT 1 AS "?column?") one
      LEFT JOIN aigw.fx_rates d ON (((d.base = fx_quote.from_currency) AND (d.quote = fx_quote.to_currency) AND (d.valid_from <= fx_quote.at) AND ((d.valid_to IS NULL) OR (d.valid_to > fx_quote.at)))))
      LEFT JOIN aigw.fx_rates i ON (((i.base = fx_quote.to_currency) AND (i.quote = fx_quote.from_currency) AND (i.valid_from <= fx_quote.at) AND ((i.valid_to IS NULL) OR (i.valid_to > fx_quote.at)))));
END;

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

COMMENT ON FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone) IS 'What billing reads before a call of model_id at time at from wallet_name (aigw''s C code reads it through a per-backend cache): the wallet, its balance, the price in force and the exchange rate. The batch_* columns are the rates of a line sent through a provider''s batch API: input and output at the price''s batch rate, else half the standard rate; cached input and cache write at their standard rate (NULL: the input rate) times the input''s batch/standard ratio, reasoning at its standard rate (NULL: the output rate) times the output''s ratio (a ratio is 0.5 where the standard rate is 0); max_batch_input_rate and max_batch_output_rate are max_input_rate and max_output_rate over the batch rates. All NULL when no price is in force.';

CREATE FUNCTION aigw.check_credit_limit_range(credit_limit numeric, currency text, balance numeric) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.check_money(amount numeric, what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF amount IS NULL OR amount = 'NaN'::numeric OR amount IN ('Infinity'::numeric, '-Infinity'::numeric) THEN
        RAISE EXCEPTION '% must be a finite number, not %', what, coalesce(amount::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

CREATE FUNCTION aigw.check_wallet_range(what text, amount numeric, amount_currency text, w aigw.wallets, credit numeric, fx numeric, hint text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.create_wallet(name text, currency text, credit_limit numeric DEFAULT 0, owner regrole DEFAULT (CURRENT_USER)::regrole) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION aigw.create_wallet(name text, currency text, credit_limit numeric, owner regrole) IS 'Create a wallet in a currency (ISO 4217), spendable by roles with the privileges of owner, down to minus credit_limit.';

CREATE FUNCTION aigw.currencies_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NEW.minor_units <> OLD.minor_units AND EXISTS (SELECT 1 FROM aigw.wallets WHERE currency = OLD.code) THEN
        RAISE EXCEPTION 'the minor units of % cannot change: wallets hold it', OLD.code
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION aigw.default_wallet(role oid) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_default_wallet';

COMMENT ON FUNCTION aigw.default_wallet(role oid) IS 'The default wallet of a role (aigw.set_default_wallet), or NULL: only of a role whose privileges you have, and only a wallet you may read.';

CREATE FUNCTION aigw.jwt_claim(claim text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ((NULLIF(current_setting('request.jwt.claims'::text, true), ''::text))::jsonb ->> claim);

COMMENT ON FUNCTION aigw.jwt_claim(claim text) IS 'A claim of the JWT PostgREST verified for this request (request.jwt.claims), or NULL.';

CREATE FUNCTION aigw.current_wallet() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN COALESCE(aigw.jwt_claim('wallet'::text), NULLIF(current_setting('aigw.wallet'::text, true), ''::text), aigw.default_wallet((SELECT r.oid FROM pg_roles r WHERE (r.rolname = CURRENT_USER))));

COMMENT ON FUNCTION aigw.current_wallet() IS 'The wallet a call of this session would spend from: the JWT''s "wallet" claim, else SET aigw.wallet, else the role''s default wallet.';

CREATE FUNCTION aigw.default_wallet_of(role oid) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN (SELECT w.name FROM (aigw.role_wallets d JOIN aigw.wallets w ON ((w.id = d.wallet_id))) WHERE ((d.role)::oid = default_wallet_of.role));

CREATE FUNCTION aigw.end_user() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN aigw.jwt_claim('sub'::text);

COMMENT ON FUNCTION aigw.end_user() IS 'The end user of this request: the JWT''s "sub" claim, recorded in aigw.requests.end_user; NULL outside PostgREST.';

CREATE FUNCTION aigw.spenders_of(wallet bigint) RETURNS oid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY(SELECT (w.owner)::oid AS owner FROM aigw.wallets w WHERE (w.id = spenders_of.wallet) UNION ALL SELECT (g.grantee)::oid AS grantee FROM aigw.wallet_grants g WHERE (g.wallet_id = spenders_of.wallet));

CREATE FUNCTION aigw.wallet_visible_to(wallet bigint, viewer oid) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN COALESCE((SELECT (pg_has_role(wallet_visible_to.viewer, 'aigw_admin'::name, 'USAGE'::text) OR pg_has_role(wallet_visible_to.viewer, 'aigw_reader'::name, 'USAGE'::text) OR ((EXISTS (SELECT 1 FROM unnest(aigw.spenders_of(w.id)) s(role) WHERE pg_has_role(wallet_visible_to.viewer, s.role, 'USAGE'::text))) AND ((aigw.end_user() IS NULL) OR (w.name = COALESCE(aigw.jwt_claim('wallet'::text), NULLIF(current_setting('aigw.wallet'::text, true), ''::text), aigw.default_wallet_of(wallet_visible_to.viewer)))))) FROM aigw.wallets w WHERE (w.id = wallet_visible_to.wallet)), false);

CREATE FUNCTION aigw.default_wallet_visible_to(role oid, viewer oid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN (SELECT w.name FROM (aigw.role_wallets d JOIN aigw.wallets w ON ((w.id = d.wallet_id))) WHERE (((d.role)::oid = default_wallet_visible_to.role) AND (pg_has_role(default_wallet_visible_to.viewer, 'aigw_admin'::name, 'USAGE'::text) OR pg_has_role(default_wallet_visible_to.viewer, 'aigw_reader'::name, 'USAGE'::text) OR pg_has_role(default_wallet_visible_to.viewer, (d.role)::oid, 'USAGE'::text)) AND aigw.wallet_visible_to(w.id, default_wallet_visible_to.viewer)));

CREATE FUNCTION aigw.ledger_scale(currency text) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT (c.minor_units + 6) FROM aigw.currencies c WHERE (c.code = ledger_scale.currency));

COMMENT ON FUNCTION aigw.ledger_scale(currency text) IS 'Decimal places of ledger amounts in a currency: its minor units + 6 (USD 8, IDR 6).';

CREATE FUNCTION aigw.from_units(units bigint, currency text) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN round(((units)::numeric / ((10)::numeric ^ (aigw.ledger_scale(currency))::numeric)), aigw.ledger_scale(currency));

CREATE FUNCTION aigw.fx_rate(from_currency text, to_currency text, at timestamp with time zone DEFAULT now()) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT q.rate FROM aigw.fx_quote(fx_rate.from_currency, fx_rate.to_currency, fx_rate.at) q(rate, valid_until));

COMMENT ON FUNCTION aigw.fx_rate(from_currency text, to_currency text, at timestamp with time zone) IS 'Rate that converts an amount from one currency into another at a given time; NULL when no rate is in force.';

CREATE FUNCTION aigw.grant_wallet(wallet text, grantee regrole) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION aigw.grant_wallet(wallet text, grantee regrole) IS 'Let a role (and every role with its privileges) spend from and read a wallet.';

CREATE FUNCTION aigw.ledger_append(kind text, wallet_id bigint, currency text, amount numeric, rail text, external_ref text, request_id bigint, original_amount numeric, original_currency text, fx_rate numeric, note text, created_by name, OUT id bigint, OUT inserted boolean) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.ledger_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'aigw.ledger is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Balances and statements are sums of the ledger; a changed or removed row would falsify them.',
              HINT = 'Correct a wrong entry with aigw.refund() or aigw.adjust(), which append one.';
END
$$;

CREATE FUNCTION aigw.max_balance(currency text) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN (SELECT trunc((('9223372036854775807'::bigint)::numeric / ((10)::numeric ^ ((c.minor_units + 6))::numeric)), (c.minor_units)::integer) AS trunc FROM aigw.currencies c WHERE (c.code = max_balance.currency));

COMMENT ON FUNCTION aigw.max_balance(currency text) IS 'The largest balance (plus credit limit) a wallet in a currency may reach, and the most it may owe: aigw counts balances in 64-bit integers of a millionth of the minor unit.';

CREATE FUNCTION aigw.my_roles() RETURNS name[]
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY(SELECT r.rolname FROM pg_roles r WHERE pg_has_role(r.oid, 'USAGE'::text));

CREATE FUNCTION aigw.prices_guard() RETURNS trigger
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

CREATE FUNCTION aigw.quote_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN (length(name) <= 100) THEN (('"'::text || name) || '"'::text) ELSE format('"%s..." (%s characters)'::text, "left"(name, 100), length(name)) END;

COMMENT ON FUNCTION aigw.quote_name(name text) IS 'A name as an error quotes it: "name", or its first 100 characters and its length when longer.';

CREATE FUNCTION aigw.refund(request_id bigint, amount numeric DEFAULT NULL::numeric, note text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_refund';

COMMENT ON FUNCTION aigw.refund(request_id bigint, amount numeric, note text) IS 'Refund the charge of a request, in full (amount NULL) or in part, once; returns the ledger id.';

CREATE FUNCTION aigw.refund_quote(request_id bigint, amount numeric) RETURNS TABLE(wallet_id bigint, wallet_xmin xid, wallet_currency text, scale integer, credit text, fx_rate text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.revoke_wallet(wallet text, grantee regrole) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION aigw.revoke_wallet(wallet text, grantee regrole) IS 'Take back aigw.grant_wallet; returns whether there was such a grant.  Calls in flight finish.';

CREATE FUNCTION aigw.sees_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN (pg_has_role('aigw_admin'::name, 'USAGE'::text) OR pg_has_role('aigw_reader'::name, 'USAGE'::text));

COMMENT ON FUNCTION aigw.sees_all() IS 'Whether the current role reads every tenant''s usage (it has the privileges of aigw_admin or aigw_reader).';

CREATE FUNCTION aigw.set_credit_limit(wallet text, credit_limit numeric) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.set_default_wallet(role regrole, wallet text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION aigw.set_default_wallet(role regrole, wallet text) IS 'The wallet a role''s calls spend from when nothing else names one (NULL wallet: none).';

CREATE FUNCTION aigw.set_fx(base text, quote text, rate numeric, valid_from timestamp with time zone DEFAULT now(), source text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION aigw.set_fx(base text, quote text, rate numeric, valid_from timestamp with time zone, source text) IS 'Set the rate of base in quote from valid_from on, closing the period in force then.';

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

CREATE FUNCTION aigw.statement(wallet text, period_from timestamp with time zone, period_to timestamp with time zone) RETURNS TABLE(line text, model text, provider text, items bigint, amount numeric, currency text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION aigw.statement(wallet text, period_from timestamp with time zone, period_to timestamp with time zone) IS 'Statement of a wallet for [period_from, period_to): opening balance, top-ups, refunds, adjustments, charges by model and provider, closing balance.';

CREATE FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, completion_tokens bigint, reasoning_tokens bigint, input_per_mtok numeric, output_per_mtok numeric, cached_input_per_mtok numeric DEFAULT NULL::numeric, cache_write_per_mtok numeric DEFAULT NULL::numeric, reasoning_per_mtok numeric DEFAULT NULL::numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN trim_scale((((((((GREATEST(((COALESCE(prompt_tokens, (0)::bigint) - COALESCE(cached_tokens, (0)::bigint)) - COALESCE(cache_write_tokens, (0)::bigint)), (0)::bigint))::numeric * input_per_mtok) + ((LEAST(COALESCE(cached_tokens, (0)::bigint), COALESCE(prompt_tokens, (0)::bigint)))::numeric * COALESCE(cached_input_per_mtok, input_per_mtok))) + ((LEAST(COALESCE(cache_write_tokens, (0)::bigint), GREATEST((COALESCE(prompt_tokens, (0)::bigint) - COALESCE(cached_tokens, (0)::bigint)), (0)::bigint)))::numeric * COALESCE(cache_write_per_mtok, input_per_mtok))) + ((GREATEST((COALESCE(completion_tokens, (0)::bigint) - COALESCE(reasoning_tokens, (0)::bigint)), (0)::bigint))::numeric * output_per_mtok)) + ((LEAST(COALESCE(reasoning_tokens, (0)::bigint), COALESCE(completion_tokens, (0)::bigint)))::numeric * COALESCE(reasoning_per_mtok, output_per_mtok))) / (1000000)::numeric));

COMMENT ON FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, completion_tokens bigint, reasoning_tokens bigint, input_per_mtok numeric, output_per_mtok numeric, cached_input_per_mtok numeric, cache_write_per_mtok numeric, reasoning_per_mtok numeric) IS 'Exact cost of a usage at per-million-token rates: prompt tokens neither read from nor written to the cache at the input rate, cache reads at the cached rate, cache writes at the cache-write rate, completion tokens at the output rate except reasoning tokens at the reasoning rate.';

CREATE FUNCTION aigw.topup(wallet text, amount numeric, currency text, rail text, external_ref text) RETURNS bigint
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_topup';

COMMENT ON FUNCTION aigw.topup(wallet text, amount numeric, currency text, rail text, external_ref text) IS 'Credit a payment to a wallet; returns its ledger id. Idempotent by (rail, external_ref). Committed by the worker pool on its own, like a charge: reporting the payment again returns the same id.';

CREATE FUNCTION aigw.topup_quote(wallet text, amount numeric, currency text, rail text, external_ref text) RETURNS TABLE(wallet_id bigint, wallet_xmin xid, wallet_currency text, scale integer, credit text, fx_rate text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.verify_ledger() RETURNS TABLE(wallet text, currency text, balance numeric, ledger_sum numeric, cached_balance numeric, problem text)
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

CREATE FUNCTION aigw.wallet_id_of(wallet text) RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.wallet_reservations() RETURNS TABLE(wallet_id bigint, reserved_units bigint, calls integer, cached_balance_units bigint, cached_version bigint)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_wallet_reservations';

CREATE FUNCTION aigw.wallet_spenders(wallet bigint) RETURNS oid[]
    LANGUAGE c STABLE STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_wallet_spenders';

COMMENT ON FUNCTION aigw.wallet_spenders(wallet bigint) IS 'The roles that may spend from a wallet, its owner first, if you may read the wallet; else an empty array.';

CREATE FUNCTION aigw.wallets_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

REVOKE ALL ON FUNCTION aigw.adjust(wallet text, amount numeric, note text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.adjust(wallet text, amount numeric, note text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.adjust_quote(wallet text, amount numeric, note text) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.balance(wallet text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.balance(wallet text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.fx_quote(from_currency text, to_currency text, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.fx_quote(from_currency text, to_currency text, at timestamp with time zone) TO aigw_user;
GRANT ALL ON FUNCTION aigw.fx_quote(from_currency text, to_currency text, at timestamp with time zone) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.check_credit_limit_range(credit_limit numeric, currency text, balance numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.check_money(amount numeric, what text) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.check_wallet_range(what text, amount numeric, amount_currency text, w aigw.wallets, credit numeric, fx numeric, hint text) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.create_wallet(name text, currency text, credit_limit numeric, owner regrole) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.create_wallet(name text, currency text, credit_limit numeric, owner regrole) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.currencies_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.default_wallet(role oid) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.default_wallet(role oid) TO aigw_user;
GRANT ALL ON FUNCTION aigw.default_wallet(role oid) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.jwt_claim(claim text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.jwt_claim(claim text) TO aigw_user;
GRANT ALL ON FUNCTION aigw.jwt_claim(claim text) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.current_wallet() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.current_wallet() TO aigw_user;
GRANT ALL ON FUNCTION aigw.current_wallet() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.default_wallet_of(role oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.end_user() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.end_user() TO aigw_user;
GRANT ALL ON FUNCTION aigw.end_user() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.spenders_of(wallet bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.wallet_visible_to(wallet bigint, viewer oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.default_wallet_visible_to(role oid, viewer oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.ledger_scale(currency text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.ledger_scale(currency text) TO aigw_user;
GRANT ALL ON FUNCTION aigw.ledger_scale(currency text) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.from_units(units bigint, currency text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.from_units(units bigint, currency text) TO aigw_user;
GRANT ALL ON FUNCTION aigw.from_units(units bigint, currency text) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.fx_rate(from_currency text, to_currency text, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.fx_rate(from_currency text, to_currency text, at timestamp with time zone) TO aigw_user;
GRANT ALL ON FUNCTION aigw.fx_rate(from_currency text, to_currency text, at timestamp with time zone) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.grant_wallet(wallet text, grantee regrole) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.grant_wallet(wallet text, grantee regrole) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.ledger_append(kind text, wallet_id bigint, currency text, amount numeric, rail text, external_ref text, request_id bigint, original_amount numeric, original_currency text, fx_rate numeric, note text, created_by name, OUT id bigint, OUT inserted boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.ledger_is_append_only() FROM PUBLIC;

GRANT ALL ON FUNCTION aigw.max_balance(currency text) TO aigw_user;
GRANT ALL ON FUNCTION aigw.max_balance(currency text) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.my_roles() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.my_roles() TO aigw_user;
GRANT ALL ON FUNCTION aigw.my_roles() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.prices_guard() FROM PUBLIC;

GRANT ALL ON FUNCTION aigw.quote_name(name text) TO aigw_user;
GRANT ALL ON FUNCTION aigw.quote_name(name text) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.refund(request_id bigint, amount numeric, note text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.refund(request_id bigint, amount numeric, note text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.refund_quote(request_id bigint, amount numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.revoke_wallet(wallet text, grantee regrole) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.revoke_wallet(wallet text, grantee regrole) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.sees_all() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.sees_all() TO aigw_user;
GRANT ALL ON FUNCTION aigw.sees_all() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.set_credit_limit(wallet text, credit_limit numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.set_credit_limit(wallet text, credit_limit numeric) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.set_default_wallet(role regrole, wallet text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.set_default_wallet(role regrole, wallet text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.set_fx(base text, quote text, rate numeric, valid_from timestamp with time zone, source text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.set_fx(base text, quote text, rate numeric, valid_from timestamp with time zone, source text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text, cached_input_per_mtok numeric, valid_from timestamp with time zone, cache_write_per_mtok numeric, reasoning_per_mtok numeric, source text, input_batch_per_mtok numeric, output_batch_per_mtok numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.set_price(model text, input_per_mtok numeric, output_per_mtok numeric, currency text, cached_input_per_mtok numeric, valid_from timestamp with time zone, cache_write_per_mtok numeric, reasoning_per_mtok numeric, source text, input_batch_per_mtok numeric, output_batch_per_mtok numeric) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.statement(wallet text, period_from timestamp with time zone, period_to timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.statement(wallet text, period_from timestamp with time zone, period_to timestamp with time zone) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, completion_tokens bigint, reasoning_tokens bigint, input_per_mtok numeric, output_per_mtok numeric, cached_input_per_mtok numeric, cache_write_per_mtok numeric, reasoning_per_mtok numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, completion_tokens bigint, reasoning_tokens bigint, input_per_mtok numeric, output_per_mtok numeric, cached_input_per_mtok numeric, cache_write_per_mtok numeric, reasoning_per_mtok numeric) TO aigw_user;
GRANT ALL ON FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, completion_tokens bigint, reasoning_tokens bigint, input_per_mtok numeric, output_per_mtok numeric, cached_input_per_mtok numeric, cache_write_per_mtok numeric, reasoning_per_mtok numeric) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.topup(wallet text, amount numeric, currency text, rail text, external_ref text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.topup(wallet text, amount numeric, currency text, rail text, external_ref text) TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.topup_quote(wallet text, amount numeric, currency text, rail text, external_ref text) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.verify_ledger() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.verify_ledger() TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.wallet_id_of(wallet text) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.wallet_reservations() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.wallet_reservations() TO aigw_user;
GRANT ALL ON FUNCTION aigw.wallet_reservations() TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.wallet_spenders(wallet bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.wallet_spenders(wallet bigint) TO aigw_user;
GRANT ALL ON FUNCTION aigw.wallet_spenders(wallet bigint) TO aigw_reader;

REVOKE ALL ON FUNCTION aigw.wallets_guard() FROM PUBLIC;
