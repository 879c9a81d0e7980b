-- Money: currencies, prices (periods per model and currency), exchange
-- rates, wallets, their balances and grants, each role's default wallet,
-- and the append-only ledger.

CREATE TABLE aigw.fx_rates (
    base text NOT NULL,
    quote text NOT NULL,
    rate numeric NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone,
    source text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT fx_rates_check CHECK ((quote <> base)),
    CONSTRAINT fx_rates_check1 CHECK ((valid_to > valid_from)),
    CONSTRAINT fx_rates_rate_check CHECK (((rate > (0)::numeric) AND (rate < ('1000000000000'::bigint)::numeric)))
);

COMMENT ON TABLE aigw.fx_rates IS 'Exchange rates: 1 unit of base is worth rate units of quote, from valid_from to valid_to. Set with aigw.set_fx. The reverse direction is used when only it is set, at 1/rate rounded to 15 decimal places.';

CREATE TABLE aigw.currencies (
    code text NOT NULL,
    minor_units smallint NOT NULL,
    name text NOT NULL,
    origin text DEFAULT 'added'::text NOT NULL,
    CONSTRAINT currencies_code_check CHECK ((code ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT currencies_minor_units_check CHECK (((minor_units >= 0) AND (minor_units <= 4))),
    CONSTRAINT currencies_origin_check CHECK ((origin = ANY (ARRAY['shipped'::text, 'changed'::text, 'added'::text])))
);

COMMENT ON TABLE aigw.currencies IS 'ISO 4217 currencies aigw can hold. minor_units: decimal places of the smallest unit in use; ledger amounts keep 6 more.';

COMMENT ON COLUMN aigw.currencies.origin IS 'shipped: as aigw shipped it (a later release may update it); changed: shipped, then changed here; added: added here. pg_dump keeps the rows that are not shipped.';

CREATE TABLE aigw.prices (
    model text NOT NULL,
    currency text NOT NULL,
    input_per_mtok numeric NOT NULL,
    output_per_mtok numeric NOT NULL,
    cached_input_per_mtok numeric,
    cache_write_per_mtok numeric,
    reasoning_per_mtok numeric,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone,
    source text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT CURRENT_USER NOT NULL,
    origin text DEFAULT 'added'::text NOT NULL,
    input_batch_per_mtok numeric,
    output_batch_per_mtok numeric,
    CONSTRAINT prices_cache_write_per_mtok_check CHECK (((cache_write_per_mtok >= (0)::numeric) AND (cache_write_per_mtok < (1000000)::numeric))),
    CONSTRAINT prices_cached_input_per_mtok_check CHECK (((cached_input_per_mtok >= (0)::numeric) AND (cached_input_per_mtok < (1000000)::numeric))),
    CONSTRAINT prices_check CHECK ((valid_to > valid_from)),
    CONSTRAINT prices_input_batch_per_mtok_check CHECK (((input_batch_per_mtok >= (0)::numeric) AND (input_batch_per_mtok < (1000000)::numeric))),
    CONSTRAINT prices_input_per_mtok_check CHECK (((input_per_mtok >= (0)::numeric) AND (input_per_mtok < (1000000)::numeric))),
    CONSTRAINT prices_origin_check CHECK ((origin = ANY (ARRAY['shipped'::text, 'changed'::text, 'added'::text]))),
    CONSTRAINT prices_output_batch_per_mtok_check CHECK (((output_batch_per_mtok >= (0)::numeric) AND (output_batch_per_mtok < (1000000)::numeric))),
    CONSTRAINT prices_output_per_mtok_check CHECK (((output_per_mtok >= (0)::numeric) AND (output_per_mtok < (1000000)::numeric))),
    CONSTRAINT prices_reasoning_per_mtok_check CHECK (((reasoning_per_mtok >= (0)::numeric) AND (reasoning_per_mtok < (1000000)::numeric)))
);

COMMENT ON TABLE aigw.prices IS 'Model prices per million tokens, in force from valid_from (inclusive) to valid_to (exclusive). Set with aigw.set_price, which closes the previous period.';

COMMENT ON COLUMN aigw.prices.cached_input_per_mtok IS 'Rate of prompt tokens served from the provider''s cache; NULL: the input rate.';

COMMENT ON COLUMN aigw.prices.cache_write_per_mtok IS 'Rate of prompt tokens written to the provider''s cache (Anthropic); NULL: the input rate.';

COMMENT ON COLUMN aigw.prices.reasoning_per_mtok IS 'Rate of reasoning tokens (part of the completion tokens); NULL: the output rate.';

COMMENT ON COLUMN aigw.prices.source IS 'Where the price comes from, e.g. the price map and its date.';

COMMENT ON COLUMN aigw.prices.origin IS 'shipped: as aigw shipped it; changed: shipped, then changed here (a period closed by aigw.set_price); added: added here. pg_dump keeps the rows that are not shipped.';

COMMENT ON COLUMN aigw.prices.input_batch_per_mtok IS 'Rate of prompt tokens of a line sent through a provider''s batch API; NULL: half the input rate (as OpenAI, Anthropic, Google and AWS document).';

COMMENT ON COLUMN aigw.prices.output_batch_per_mtok IS 'Rate of completion tokens of a line sent through a provider''s batch API; NULL: half the output rate (as OpenAI, Anthropic, Google and AWS document).';

CREATE TABLE aigw.wallet_balances (
    wallet_id bigint NOT NULL,
    balance numeric DEFAULT 0 NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    held numeric DEFAULT 0 NOT NULL,
    CONSTRAINT wallet_balances_held_check CHECK ((held >= (0)::numeric))
);

COMMENT ON TABLE aigw.wallet_balances IS 'Committed balance of each wallet (the sum of its ledger), kept by aigw''s worker pool; version counts the changes.';

COMMENT ON COLUMN aigw.wallet_balances.held IS 'Reserved by provider batches that are out (aigw.job_batches): the worst case of their lines not settled yet. Calls may spend balance - held (plus the credit limit).';

CREATE TABLE aigw.wallet_grants (
    wallet_id bigint NOT NULL,
    grantee regrole NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL,
    granted_by name DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE aigw.wallet_grants IS 'Roles that may spend from (and read) a wallet besides its owner: aigw.grant_wallet / aigw.revoke_wallet.';

CREATE TABLE aigw.wallets (
    id bigint NOT NULL,
    name text NOT NULL,
    currency text NOT NULL,
    credit_limit numeric DEFAULT 0 NOT NULL,
    owner regrole NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT wallets_credit_limit_check CHECK (((credit_limit >= (0)::numeric) AND (credit_limit < ('1000000000000'::bigint)::numeric))),
    CONSTRAINT wallets_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,62}$'::text))
);

COMMENT ON TABLE aigw.wallets IS 'Prepaid wallets. A call spends from the wallet named by SET aigw.wallet or the call option "wallet"; only roles with the privileges of owner may spend from or read it.';

COMMENT ON COLUMN aigw.wallets.credit_limit IS 'How far below zero the balance may go, in the wallet currency.';

CREATE TABLE aigw.role_wallets (
    role regrole NOT NULL,
    wallet_id bigint NOT NULL,
    set_at timestamp with time zone DEFAULT now() NOT NULL,
    set_by name DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE aigw.role_wallets IS 'The wallet a role''s calls spend from when neither the call option "wallet", a JWT "wallet" claim nor SET aigw.wallet names one: aigw.set_default_wallet.';

CREATE TABLE aigw.ledger (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    wallet_id bigint NOT NULL,
    currency text NOT NULL,
    kind text NOT NULL,
    amount numeric NOT NULL,
    request_id bigint,
    rail text,
    external_ref text,
    original_amount numeric,
    original_currency text,
    fx_rate numeric,
    model text,
    provider text,
    role_name name,
    tags jsonb,
    note text,
    created_by name NOT NULL,
    end_user text,
    CONSTRAINT ledger_amount_check CHECK ((amount <> (0)::numeric)),
    CONSTRAINT ledger_check CHECK (((kind <> 'topup'::text) OR ((amount > (0)::numeric) AND (rail IS NOT NULL) AND (external_ref IS NOT NULL)))),
    CONSTRAINT ledger_check1 CHECK (((kind <> 'charge'::text) OR ((amount < (0)::numeric) AND (request_id IS NOT NULL)))),
    CONSTRAINT ledger_check2 CHECK (((kind <> 'refund'::text) OR ((amount > (0)::numeric) AND (request_id IS NOT NULL)))),
    CONSTRAINT ledger_check3 CHECK (((kind <> 'adjustment'::text) OR (note IS NOT NULL))),
    CONSTRAINT ledger_check4 CHECK (((original_currency IS NULL) = (original_amount IS NULL))),
    CONSTRAINT ledger_kind_check CHECK ((kind = ANY (ARRAY['topup'::text, 'charge'::text, 'refund'::text, 'adjustment'::text])))
);

COMMENT ON TABLE aigw.ledger IS 'Every change of every wallet balance, append-only: topup, charge (one per paid request), refund, adjustment. Amounts in the wallet currency, rounded as stated in the install script: half away from zero to a millionth of the minor unit.';

COMMENT ON COLUMN aigw.ledger.request_id IS 'aigw.requests.id of the charged (or refunded) call.';

COMMENT ON COLUMN aigw.ledger.original_amount IS 'Charge: the exact cost in the price''s currency; top-up: the amount paid, in original_currency.';

COMMENT ON COLUMN aigw.ledger.fx_rate IS 'Rate used to convert original_amount into the wallet currency; NULL when no conversion was needed.';

ALTER TABLE aigw.ledger ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME aigw.ledger_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE aigw.wallets ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME aigw.wallets_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY aigw.currencies
    ADD CONSTRAINT currencies_pkey PRIMARY KEY (code);

ALTER TABLE ONLY aigw.fx_rates
    ADD CONSTRAINT fx_rates_pkey PRIMARY KEY (base, quote, valid_from);

ALTER TABLE ONLY aigw.ledger
    ADD CONSTRAINT ledger_pkey PRIMARY KEY (id);

ALTER TABLE ONLY aigw.ledger
    ADD CONSTRAINT ledger_rail_external_ref_key UNIQUE (rail, external_ref);

ALTER TABLE ONLY aigw.prices
    ADD CONSTRAINT prices_pkey PRIMARY KEY (model, currency, valid_from);

ALTER TABLE ONLY aigw.role_wallets
    ADD CONSTRAINT role_wallets_pkey PRIMARY KEY (role);

ALTER TABLE ONLY aigw.wallet_balances
    ADD CONSTRAINT wallet_balances_pkey PRIMARY KEY (wallet_id);

ALTER TABLE ONLY aigw.wallet_grants
    ADD CONSTRAINT wallet_grants_pkey PRIMARY KEY (wallet_id, grantee);

ALTER TABLE ONLY aigw.wallets
    ADD CONSTRAINT wallets_id_currency_key UNIQUE (id, currency);

ALTER TABLE ONLY aigw.wallets
    ADD CONSTRAINT wallets_name_key UNIQUE (name);

ALTER TABLE ONLY aigw.wallets
    ADD CONSTRAINT wallets_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX ledger_one_charge_or_refund_per_request ON aigw.ledger USING btree (request_id, kind) WHERE (request_id IS NOT NULL);

CREATE INDEX ledger_wallet_id_created_at_idx ON aigw.ledger USING btree (wallet_id, created_at);

ALTER TABLE ONLY aigw.fx_rates
    ADD CONSTRAINT fx_rates_base_fkey FOREIGN KEY (base) REFERENCES aigw.currencies(code);

ALTER TABLE ONLY aigw.fx_rates
    ADD CONSTRAINT fx_rates_quote_fkey FOREIGN KEY (quote) REFERENCES aigw.currencies(code);

ALTER TABLE ONLY aigw.ledger
    ADD CONSTRAINT ledger_original_currency_fkey FOREIGN KEY (original_currency) REFERENCES aigw.currencies(code);

ALTER TABLE ONLY aigw.ledger
    ADD CONSTRAINT ledger_wallet_id_currency_fkey FOREIGN KEY (wallet_id, currency) REFERENCES aigw.wallets(id, currency);

ALTER TABLE ONLY aigw.prices
    ADD CONSTRAINT prices_currency_fkey FOREIGN KEY (currency) REFERENCES aigw.currencies(code);

ALTER TABLE ONLY aigw.prices
    ADD CONSTRAINT prices_model_fkey FOREIGN KEY (model) REFERENCES aigw.models(id) ON UPDATE CASCADE;

ALTER TABLE ONLY aigw.role_wallets
    ADD CONSTRAINT role_wallets_wallet_id_fkey FOREIGN KEY (wallet_id) REFERENCES aigw.wallets(id) ON DELETE CASCADE;

ALTER TABLE ONLY aigw.wallet_balances
    ADD CONSTRAINT wallet_balances_wallet_id_fkey FOREIGN KEY (wallet_id) REFERENCES aigw.wallets(id);

ALTER TABLE ONLY aigw.wallet_grants
    ADD CONSTRAINT wallet_grants_wallet_id_fkey FOREIGN KEY (wallet_id) REFERENCES aigw.wallets(id) ON DELETE CASCADE;

ALTER TABLE ONLY aigw.wallets
    ADD CONSTRAINT wallets_currency_fkey FOREIGN KEY (currency) REFERENCES aigw.currencies(code);

ALTER TABLE aigw.ledger ENABLE ROW LEVEL SECURITY;

ALTER TABLE aigw.role_wallets ENABLE ROW LEVEL SECURITY;

ALTER TABLE aigw.wallet_balances ENABLE ROW LEVEL SECURITY;

ALTER TABLE aigw.wallet_grants ENABLE ROW LEVEL SECURITY;

ALTER TABLE aigw.wallets ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON TABLE aigw.fx_rates TO aigw_user;
GRANT SELECT ON TABLE aigw.fx_rates TO aigw_reader;

GRANT SELECT ON TABLE aigw.currencies TO aigw_user;
GRANT SELECT ON TABLE aigw.currencies TO aigw_reader;

GRANT SELECT ON TABLE aigw.prices TO aigw_user;
GRANT SELECT ON TABLE aigw.prices TO aigw_reader;

GRANT SELECT ON TABLE aigw.wallet_balances TO aigw_user;
GRANT SELECT ON TABLE aigw.wallet_balances TO aigw_reader;

GRANT SELECT ON TABLE aigw.wallet_grants TO aigw_user;
GRANT SELECT ON TABLE aigw.wallet_grants TO aigw_reader;

GRANT SELECT ON TABLE aigw.wallets TO aigw_user;
GRANT SELECT ON TABLE aigw.wallets TO aigw_reader;

GRANT UPDATE(credit_limit) ON TABLE aigw.wallets TO aigw_admin;

GRANT UPDATE(enabled) ON TABLE aigw.wallets TO aigw_admin;

GRANT SELECT ON TABLE aigw.role_wallets TO aigw_user;
GRANT SELECT ON TABLE aigw.role_wallets TO aigw_reader;

GRANT SELECT ON TABLE aigw.ledger TO aigw_user;
GRANT SELECT ON TABLE aigw.ledger TO aigw_reader;

-- What pg_dump keeps of this topic's tables (the rest CREATE EXTENSION makes again).
SELECT pg_catalog.pg_extension_config_dump('aigw.wallets', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.wallets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.wallet_balances', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.ledger', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.ledger_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.fx_rates', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.wallet_grants', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.role_wallets', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.prices', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('aigw.currencies', 'WHERE origin <> ''shipped''');
