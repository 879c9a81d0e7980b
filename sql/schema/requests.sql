-- The request log (one row per call, with its cost) and the response cache.

CREATE TABLE aigw.response_cache (
    key bytea NOT NULL,
    model text NOT NULL,
    provider text NOT NULL,
    response jsonb NOT NULL,
    request_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE aigw.response_cache IS 'Answers of cacheable calls, keyed by the SHA-256 of the calling role, the model string and the normalized request (messages and the options sent upstream). Read only by aigw, as the tables'' owner: no role is granted anything on it. aigw.cache_purge() deletes expired entries.';

COMMENT ON COLUMN aigw.response_cache.request_id IS 'The aigw.requests row of the call whose answer this is.';

CREATE TABLE aigw.requests (
    id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    role_name name NOT NULL,
    database_name name NOT NULL,
    requested_model text NOT NULL,
    served_model text,
    provider text,
    attempt integer DEFAULT 1 NOT NULL,
    status text NOT NULL,
    http_status integer,
    prompt_tokens bigint,
    completion_tokens bigint,
    cached_tokens bigint,
    reasoning_tokens bigint,
    latency_ms double precision,
    ttfb_ms double precision,
    request_bytes integer,
    response_bytes integer,
    upstream_id text,
    tags jsonb DEFAULT '{}'::jsonb NOT NULL,
    error text,
    wallet_id bigint,
    cost numeric,
    currency text,
    reserved numeric,
    cache_write_tokens bigint,
    call_id bigint NOT NULL,
    route jsonb,
    end_user text,
    inputs integer,
    usage_anomaly text,
    upstream_usage jsonb,
    worker_pid integer,
    upstream_batch text,
    batch_line text,
    CONSTRAINT requests_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT requests_check CHECK (((usage_anomaly IS NULL) OR (status = ANY (ARRAY['ok'::text, 'unknown'::text])))),
    CONSTRAINT requests_error_check CHECK (((status = ANY (ARRAY['ok'::text, 'cache_hit'::text, 'pending'::text])) = (error IS NULL))),
    CONSTRAINT requests_inputs_check CHECK ((inputs > 0)),
    CONSTRAINT requests_status_check CHECK ((status = ANY (ARRAY['ok'::text, 'cache_hit'::text, 'http_error'::text, 'timeout'::text, 'connect_error'::text, 'cancelled'::text, 'malformed'::text, 'too_large'::text, 'aborted'::text, 'pending'::text, 'unknown'::text]))),
    CONSTRAINT requests_usage_anomaly_check CHECK ((usage_anomaly = ANY (ARRAY['over_bound'::text, 'missing'::text])))
)
WITH (fillfactor='50');

COMMENT ON TABLE aigw.requests IS 'One row per upstream attempt, committed by aigw''s worker pool independently of the caller''s transaction and before the call returns.';

COMMENT ON COLUMN aigw.requests.created_at IS 'When the caller handed the request to the pool.';

COMMENT ON COLUMN aigw.requests.attempt IS 'Position of this attempt within its call (1 for the first), across retries and fallbacks.';

COMMENT ON COLUMN aigw.requests.status IS 'ok, cache_hit, http_error, timeout, connect_error, cancelled, malformed, too_large, aborted; pending while in flight; unknown when the worker that had it in flight died (a crash, a kill, an immediate shutdown): the provider may have served it, so it is charged its reservation.';

COMMENT ON COLUMN aigw.requests.prompt_tokens IS 'Prompt tokens charged: the upstream''s count, bounded by the request''s size (and images), the bound its reservation was computed from.';

COMMENT ON COLUMN aigw.requests.completion_tokens IS 'Completion tokens charged: the upstream''s count, bounded by max_tokens x n (else the model''s output limit), the bound its reservation was computed from.';

COMMENT ON COLUMN aigw.requests.cached_tokens IS 'The part of prompt_tokens read from the provider''s cache (OpenAI cached_tokens, DeepSeek prompt_cache_hit_tokens, Anthropic cache_read_input_tokens, Gemini cachedContentTokenCount, Bedrock cacheReadInputTokens).';

COMMENT ON COLUMN aigw.requests.reasoning_tokens IS 'The part of completion_tokens spent reasoning (OpenAI reasoning_tokens, Gemini thoughtsTokenCount).';

COMMENT ON COLUMN aigw.requests.latency_ms IS 'From dispatch by the worker to the last byte of the answer.';

COMMENT ON COLUMN aigw.requests.ttfb_ms IS 'From dispatch to the first byte of the answer.';

COMMENT ON COLUMN aigw.requests.upstream_id IS 'The provider''s id for the answer (its "id" field), for support tickets.';

COMMENT ON COLUMN aigw.requests.cost IS 'What the attempt cost at the price in force when it was made: in the wallet currency (and charged) when billed, else in the price''s currency; NULL when the model has no price.';

COMMENT ON COLUMN aigw.requests.reserved IS 'Worst-case cost reserved against the wallet before the attempt was sent.';

COMMENT ON COLUMN aigw.requests.cache_write_tokens IS 'The part of prompt_tokens written to the provider''s cache (Anthropic cache_creation_input_tokens, Bedrock cacheWriteInputTokens).';

COMMENT ON COLUMN aigw.requests.call_id IS 'The call this attempt belongs to: the id of its first attempt. Retries and fallbacks of one call share it; attempt numbers them.';

COMMENT ON COLUMN aigw.requests.route IS 'For a meta-model, a route or a call with fallbacks: the routing decision as it stood when this attempt was sent (strategy, estimates, the chosen candidates with the figures they were ranked by, the models skipped and why). NULL for a plain model.';

COMMENT ON COLUMN aigw.requests.end_user IS 'The end user the call was made for: the "sub" claim of the JWT of a PostgREST request; NULL otherwise.';

COMMENT ON COLUMN aigw.requests.inputs IS 'Embedding requests: how many inputs the request carried (NULL for chat).';

COMMENT ON COLUMN aigw.requests.usage_anomaly IS 'Why the tokens charged are not the upstream''s own figures: over_bound (it reported more than the call could use; charged at the bound), missing (no usage, or a count that is negative or not a whole number; charged at the bounds, the call''s reservation). NULL: charged as reported.';

COMMENT ON COLUMN aigw.requests.upstream_usage IS 'The upstream''s own usage object, as it sent it, when it was not charged as reported (usage_anomaly is set).';

COMMENT ON COLUMN aigw.requests.upstream_batch IS 'The provider batch (aigw.job_batches.upstream_batch_id) a line was answered in, charged at the batch rate; NULL: a direct call.';

COMMENT ON COLUMN aigw.requests.batch_line IS 'The line''s custom_id in its provider batch: a line is logged (and charged) once, whatever its results file says.';

COMMENT ON COLUMN aigw.requests.worker_pid IS 'The pool worker that sent the attempt (NULL: nothing was sent). While the status is pending, the worker has it in flight.';

ALTER TABLE aigw.requests ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME aigw.requests_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY aigw.requests
    ADD CONSTRAINT requests_pkey PRIMARY KEY (id);

ALTER TABLE ONLY aigw.response_cache
    ADD CONSTRAINT response_cache_pkey PRIMARY KEY (key);

CREATE INDEX requests_call_id_idx ON aigw.requests USING btree (call_id);

CREATE INDEX requests_created_at_idx ON aigw.requests USING btree (created_at);

CREATE INDEX requests_end_user_created_at_idx ON aigw.requests USING btree (end_user, created_at) WHERE (end_user IS NOT NULL);

CREATE UNIQUE INDEX requests_batch_line_idx ON aigw.requests USING btree (upstream_batch, batch_line) WHERE (upstream_batch IS NOT NULL);

CREATE INDEX response_cache_expires_at_idx ON aigw.response_cache USING btree (expires_at);

ALTER TABLE aigw.requests ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON TABLE aigw.requests TO aigw_user;
GRANT SELECT ON TABLE aigw.requests TO aigw_reader;

-- What pg_dump keeps of this topic's tables (the rest CREATE EXTENSION makes again).
SELECT pg_catalog.pg_extension_config_dump('aigw.requests', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.requests_id_seq', '');
