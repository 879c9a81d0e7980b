-- Batch work: jobs (enrich, embed_column), their per-row errors, and the
-- durable submissions of aigw.submit.

CREATE TABLE aigw.job_errors (
    job_id bigint NOT NULL,
    row_ctid tid NOT NULL,
    error text NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

COMMENT ON TABLE aigw.job_errors IS 'Rows an enrichment job could not fill, and why; the row is left NULL, so a later run tries it again.';

CREATE TABLE aigw.jobs (
    id bigint NOT NULL,
    kind text DEFAULT 'enrich'::text NOT NULL,
    source regclass NOT NULL,
    target_column text NOT NULL,
    model text NOT NULL,
    prompt text NOT NULL,
    options jsonb DEFAULT '{}'::jsonb NOT NULL,
    state text DEFAULT 'running'::text NOT NULL,
    rows_total bigint NOT NULL,
    rows_done bigint DEFAULT 0 NOT NULL,
    rows_failed bigint DEFAULT 0 NOT NULL,
    calls_in_flight integer DEFAULT 0 NOT NULL,
    cost numeric DEFAULT 0 NOT NULL,
    currency text,
    max_cost numeric,
    role_name name DEFAULT CURRENT_USER NOT NULL,
    backend_pid integer DEFAULT pg_backend_pid() NOT NULL,
    started_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    updated_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    finished_at timestamp with time zone,
    batch_api boolean DEFAULT false NOT NULL,
    error text,
    CONSTRAINT jobs_state_check CHECK ((state = ANY (ARRAY['running'::text, 'done'::text, 'budget_reached'::text, 'interrupted'::text, 'submitted'::text, 'cancelled'::text, 'failed'::text])))
);

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

CREATE TABLE aigw.submissions (
    id bigint NOT NULL,
    model text NOT NULL,
    messages jsonb NOT NULL,
    options jsonb NOT NULL,
    role_oid oid NOT NULL,
    role_name name NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    response jsonb,
    error text,
    call_id bigint,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    dispatcher_pid integer,
    end_user text,
    CONSTRAINT submissions_check CHECK (((status = 'ok'::text) = (response IS NOT NULL))),
    CONSTRAINT submissions_check1 CHECK (((status = 'error'::text) = (error IS NOT NULL))),
    CONSTRAINT submissions_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'ok'::text, 'error'::text])))
);

COMMENT ON TABLE aigw.submissions IS 'Calls queued by aigw.submit, sent by the database''s dispatcher once the submitting transaction commits. status: queued, running, ok (response set), error (error set). A call that was running when its dispatcher stopped ends as an error that says so: it is never sent twice.';

ALTER TABLE aigw.jobs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME aigw.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE aigw.submissions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME aigw.submissions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY aigw.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY aigw.job_batches
    ADD CONSTRAINT job_batches_pkey PRIMARY KEY (job_id, seq);

CREATE INDEX job_batches_open_idx ON aigw.job_batches USING btree (next_poll_at) WHERE (state = ANY (ARRAY['submitting'::text, 'submitted'::text, 'settling'::text]));

ALTER TABLE ONLY aigw.job_batches
    ADD CONSTRAINT job_batches_job_id_fkey FOREIGN KEY (job_id) REFERENCES aigw.jobs(id);

ALTER TABLE aigw.job_batches ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON TABLE aigw.job_batches TO aigw_user;
GRANT SELECT ON TABLE aigw.job_batches TO aigw_reader;

ALTER TABLE ONLY aigw.submissions
    ADD CONSTRAINT submissions_pkey PRIMARY KEY (id);

CREATE INDEX job_errors_job_id_idx ON aigw.job_errors USING btree (job_id);

CREATE INDEX submissions_id_idx ON aigw.submissions USING btree (id) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text]));

ALTER TABLE ONLY aigw.job_errors
    ADD CONSTRAINT job_errors_job_id_fkey FOREIGN KEY (job_id) REFERENCES aigw.jobs(id) ON DELETE CASCADE;

ALTER TABLE aigw.job_errors ENABLE ROW LEVEL SECURITY;

ALTER TABLE aigw.jobs ENABLE ROW LEVEL SECURITY;

GRANT SELECT,INSERT ON TABLE aigw.job_errors TO aigw_user;
GRANT SELECT ON TABLE aigw.job_errors TO aigw_reader;

GRANT SELECT,INSERT,UPDATE ON TABLE aigw.jobs TO aigw_user;
GRANT SELECT ON TABLE aigw.jobs TO aigw_admin;

GRANT SELECT(id) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(kind) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(source) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(target_column) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(model) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(state) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(rows_total) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(rows_done) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(rows_failed) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(calls_in_flight) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(cost) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(currency) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(max_cost) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(role_name) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(backend_pid) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(started_at) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(updated_at) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(finished_at) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(batch_api) ON TABLE aigw.jobs TO aigw_reader;

GRANT SELECT(error) ON TABLE aigw.jobs TO aigw_reader;

-- What pg_dump keeps of this topic's tables (the rest CREATE EXTENSION makes again).
SELECT pg_catalog.pg_extension_config_dump('aigw.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.jobs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.job_errors', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.job_batches', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.submissions', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.submissions_id_seq', '');
