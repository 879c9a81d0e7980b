-- Routes (named lists of candidate models and a strategy) and spending limits.

CREATE TABLE aigw.limits (
    id bigint NOT NULL,
    role regrole,
    wallet text,
    requests_per_minute integer,
    tokens_per_minute bigint,
    max_in_flight integer,
    allowed_models text[],
    max_cost_per_call numeric,
    spend_per_day numeric,
    currency text DEFAULT 'USD'::text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT limits_allowed_models_check CHECK (((cardinality(allowed_models) > 0) AND (array_position(allowed_models, NULL::text) IS NULL))),
    CONSTRAINT limits_check CHECK (((role IS NULL) <> (wallet IS NULL))),
    CONSTRAINT limits_max_cost_per_call_check CHECK ((max_cost_per_call >= (0)::numeric)),
    CONSTRAINT limits_max_in_flight_check CHECK ((max_in_flight > 0)),
    CONSTRAINT limits_requests_per_minute_check CHECK ((requests_per_minute > 0)),
    CONSTRAINT limits_spend_per_day_check CHECK ((spend_per_day >= (0)::numeric)),
    CONSTRAINT limits_tokens_per_minute_check CHECK ((tokens_per_minute > 0))
);

COMMENT ON TABLE aigw.limits IS 'Limits on the calls of a role (and of every role that is a member of it, together) or on a wallet, enforced before anything is sent, across all sessions: requests and tokens per rolling minute, calls in flight, allowed model patterns (* matches anything: ''openai/*'', ''auto/*''), worst-case cost per call and spend per UTC day (both in currency). Changes apply to the next call.';

COMMENT ON COLUMN aigw.limits.tokens_per_minute IS 'Prompt + completion tokens of the answers of the last 60 s; a call is refused while they are at the limit.';

COMMENT ON COLUMN aigw.limits.allowed_models IS 'Patterns the model of each attempt must match (* is a wildcard); a meta-model or route the caller named that matches lets through whatever it picks.';

CREATE TABLE aigw.routes (
    name text NOT NULL,
    strategy text DEFAULT 'ordered'::text NOT NULL,
    candidates text[],
    constraints jsonb DEFAULT '{}'::jsonb NOT NULL,
    max_models integer,
    retries integer,
    fallback_on_invalid boolean DEFAULT false NOT NULL,
    timeout_ms integer,
    enabled boolean DEFAULT true NOT NULL,
    description text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT routes_candidates_check CHECK (((cardinality(candidates) >= 1) AND (cardinality(candidates) <= 100))),
    CONSTRAINT routes_check CHECK (((strategy <> 'ordered'::text) OR (candidates IS NOT NULL))),
    CONSTRAINT routes_constraints_check CHECK ((jsonb_typeof(constraints) = 'object'::text)),
    CONSTRAINT routes_max_models_check CHECK (((max_models >= 1) AND (max_models <= 100))),
    CONSTRAINT routes_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$'::text)),
    CONSTRAINT routes_retries_check CHECK (((retries >= 0) AND (retries <= 10))),
    CONSTRAINT routes_strategy_check CHECK ((strategy = ANY (ARRAY['ordered'::text, 'cheapest'::text, 'fastest'::text, 'best'::text]))),
    CONSTRAINT routes_timeout_ms_check CHECK (((timeout_ms >= 1) AND (timeout_ms <= 3600000)))
);

COMMENT ON TABLE aigw.routes IS 'Named routes, called as model ''route/<name>''. ordered: try the candidates in the order given; cheapest, fastest, best: rank the candidates (or, with none, the whole catalogue) as the meta-models do.';

COMMENT ON COLUMN aigw.routes.candidates IS 'Catalogue ids (aigw.models.id); NULL: the whole catalogue (not for ordered).';

COMMENT ON COLUMN aigw.routes.constraints IS 'Routing constraints, as the call options of the same names: min_quality, capabilities, max_price_per_mtok, providers, exclude_providers, expected_output_tokens. A call''s options override them.';

COMMENT ON COLUMN aigw.routes.max_models IS 'How many distinct models one call may try; NULL: every candidate for ordered, 3 otherwise.';

COMMENT ON COLUMN aigw.routes.retries IS 'Retries of the same model after a transient failure; NULL: none when there is another model to fall back to, else aigw.max_retries.';

COMMENT ON COLUMN aigw.routes.fallback_on_invalid IS 'Whether a request the upstream refuses as invalid (400, 413, 422) moves on to the next model too.';

COMMENT ON COLUMN aigw.routes.timeout_ms IS 'Time limit of the whole call, every attempt and wait included; a call''s timeout_ms overrides it.';

ALTER TABLE aigw.limits ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME aigw.limits_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY aigw.limits
    ADD CONSTRAINT limits_pkey PRIMARY KEY (id);

ALTER TABLE ONLY aigw.routes
    ADD CONSTRAINT routes_pkey PRIMARY KEY (name);

ALTER TABLE ONLY aigw.limits
    ADD CONSTRAINT limits_currency_fkey FOREIGN KEY (currency) REFERENCES aigw.currencies(code);

ALTER TABLE ONLY aigw.limits
    ADD CONSTRAINT limits_wallet_fkey FOREIGN KEY (wallet) REFERENCES aigw.wallets(name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE aigw.limits ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON TABLE aigw.limits TO aigw_user;
GRANT SELECT ON TABLE aigw.limits TO aigw_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE aigw.limits TO aigw_admin;

GRANT SELECT ON TABLE aigw.routes TO aigw_user;
GRANT SELECT ON TABLE aigw.routes TO aigw_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE aigw.routes TO aigw_admin;

-- What pg_dump keeps of this topic's tables (the rest CREATE EXTENSION makes again).
SELECT pg_catalog.pg_extension_config_dump('aigw.routes', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.limits', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.limits_id_seq', '');
