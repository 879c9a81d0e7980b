-- aigw 0.4.0 -> 0.5.0: batches.  aigw.chat_many keeps many calls of one
-- statement in flight at once.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.5.0'" to load this file. \quit

CREATE FUNCTION aigw.chat_many(model text, messages jsonb[], options jsonb DEFAULT '{}')
RETURNS TABLE (ord integer, response jsonb, error text)
AS 'MODULE_PATHNAME', 'aigw_chat_many'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION aigw.chat_many(text, jsonb[], jsonb) IS
    'One call per element of messages, up to options.concurrency (aigw.batch_concurrency) in flight at once; one row per input, in input order (ord is its 1-based position). A failed call gives its error in error, unless options.on_error = ''raise''.';

--------------------------------------------------------------------------
-- The response cache: an exact-match cache of normalized requests, written
-- by the worker pool with the call's log row, read before a call is sent.
-- A hit is logged (status cache_hit) and charged nothing.
--------------------------------------------------------------------------
CREATE TABLE aigw.response_cache (
    key         bytea PRIMARY KEY,
    model       text NOT NULL,
    provider    text NOT NULL,
    response    jsonb NOT NULL,
    request_id  bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX ON aigw.response_cache (expires_at);
REVOKE ALL ON aigw.response_cache FROM PUBLIC;
COMMENT ON TABLE aigw.response_cache IS
    'Answers of cacheable calls, keyed by the SHA-256 of the calling role, the model string and the normalized request (messages and the options sent upstream). Read only by aigw, as the tables'' owner: no role is granted anything on it. aigw.cache_purge() deletes expired entries.';
COMMENT ON COLUMN aigw.response_cache.request_id IS 'The aigw.requests row of the call whose answer this is.';

ALTER TABLE aigw.requests DROP CONSTRAINT requests_status_check;
ALTER TABLE aigw.requests ADD CONSTRAINT requests_status_check
    CHECK (status IN ('ok', 'cache_hit', 'http_error', 'timeout', 'connect_error', 'cancelled',
                      'malformed', 'too_large', 'aborted'));
ALTER TABLE aigw.requests DROP CONSTRAINT requests_check;
ALTER TABLE aigw.requests ADD CONSTRAINT requests_error_check
    CHECK ((status IN ('ok', 'cache_hit')) = (error IS NULL));
COMMENT ON COLUMN aigw.requests.status IS
    'ok; cache_hit (answered from aigw.response_cache: nothing sent, nothing charged); http_error (see http_status); timeout; connect_error; cancelled (the caller gave up: statement_timeout, pg_cancel_backend); malformed (unparseable or truncated answer); too_large (answer over aigw.max_response_bytes); aborted (the worker was stopped).';

CREATE FUNCTION aigw.cache_purge()
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH d AS (DELETE FROM aigw.response_cache WHERE expires_at <= now() RETURNING 1)
    SELECT count(*) FROM d;
END;
REVOKE ALL ON FUNCTION aigw.cache_purge() FROM PUBLIC;
COMMENT ON FUNCTION aigw.cache_purge() IS 'Delete the expired entries of aigw.response_cache; returns how many.';

--------------------------------------------------------------------------
-- Enrichment jobs: aigw.enrich fills a column of a table from a prompt
-- template, a chunk at a time, each chunk committed, so that an interrupted
-- run resumes where it stopped.  Progress is in aigw.jobs for every session.
--------------------------------------------------------------------------
CREATE TABLE aigw.jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL DEFAULT 'enrich',
    source          regclass NOT NULL,
    target_column   text NOT NULL,
    model           text NOT NULL,
    prompt          text NOT NULL,
    options         jsonb NOT NULL DEFAULT '{}',
    state           text NOT NULL DEFAULT 'running'
                    CHECK (state IN ('running', 'done', 'budget_reached', 'interrupted')),
    rows_total      bigint NOT NULL,
    rows_done       bigint NOT NULL DEFAULT 0,
    rows_failed     bigint NOT NULL DEFAULT 0,
    calls_in_flight integer NOT NULL DEFAULT 0,
    cost            numeric NOT NULL DEFAULT 0,
    currency        text,
    max_cost        numeric,
    role_name       name NOT NULL DEFAULT current_user,
    backend_pid     integer NOT NULL DEFAULT pg_backend_pid(),
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz
);
COMMENT ON TABLE aigw.jobs IS
    'Enrichment jobs (aigw.enrich), one row per run, updated and committed after every chunk: rows done and failed of rows_total (the rows whose target was NULL when the run began), calls in flight, cost so far. state: running, done, budget_reached (stopped at max_cost), interrupted (its session ended or was cancelled; CALL aigw.enrich again to resume).';

CREATE TABLE aigw.job_errors (
    job_id      bigint NOT NULL REFERENCES aigw.jobs (id) ON DELETE CASCADE,
    row_ctid    tid NOT NULL,
    error       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON aigw.job_errors (job_id);
COMMENT ON TABLE aigw.job_errors IS
    'Rows an enrichment job could not fill, and why; the row is left NULL, so a later run tries it again.';

CREATE VIEW aigw.job_progress AS
    SELECT j.id, j.source, j.target_column, j.model,
           CASE WHEN j.state = 'running' AND NOT EXISTS
                     (SELECT 1 FROM pg_stat_activity a WHERE a.pid = j.backend_pid)
                THEN 'interrupted' ELSE j.state END AS state,
           j.rows_done, j.rows_failed, j.rows_total,
           round(100.0 * (j.rows_done + j.rows_failed) / nullif(j.rows_total, 0), 1) AS pct,
           j.calls_in_flight,
           round((j.rows_done + j.rows_failed)
                 / nullif(extract(epoch FROM j.updated_at - j.started_at), 0), 1) AS rows_per_s,
           CASE WHEN j.state = 'running' AND j.rows_done + j.rows_failed > 0
                THEN (j.updated_at - j.started_at)
                     * ((j.rows_total - j.rows_done - j.rows_failed)::float8 / (j.rows_done + j.rows_failed))
           END AS eta,
           j.cost, j.currency, j.max_cost, j.role_name, j.started_at, j.updated_at, j.finished_at
      FROM aigw.jobs j;
COMMENT ON VIEW aigw.job_progress IS 'aigw.jobs with the percentage, the rate and the estimated time left of each run.';

-- The bookkeeping runs with the tables' owner's rights, for the job's own role only.
CREATE FUNCTION aigw.job_start(source regclass, target_column text, model text, prompt text,
                               options jsonb, rows_total bigint, max_cost numeric)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    UPDATE aigw.jobs SET state = 'interrupted', finished_at = clock_timestamp()
     WHERE jobs.source = job_start.source AND jobs.target_column = job_start.target_column
       AND jobs.state = 'running' AND jobs.role_name = current_user
       AND (jobs.backend_pid = pg_backend_pid()
            OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = jobs.backend_pid));
    INSERT INTO aigw.jobs (source, target_column, model, prompt, options, rows_total, max_cost)
    VALUES (source, target_column, model, prompt, options, rows_total, max_cost)
    RETURNING id;
END;

CREATE FUNCTION aigw.job_report(job bigint, done bigint, failed bigint, in_flight integer,
                                cost numeric, currency text, state text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    UPDATE aigw.jobs
       SET rows_done = rows_done + job_report.done, rows_failed = rows_failed + job_report.failed,
           calls_in_flight = job_report.in_flight, cost = jobs.cost + job_report.cost,
           currency = coalesce(job_report.currency, jobs.currency),
           state = job_report.state, updated_at = clock_timestamp(),
           finished_at = CASE WHEN job_report.state <> 'running' THEN clock_timestamp() END
     WHERE id = job_report.job AND role_name = current_user;
END;

CREATE FUNCTION aigw.job_error(job bigint, row_ctid tid, error text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO aigw.job_errors (job_id, row_ctid, error)
    SELECT id, job_error.row_ctid, job_error.error FROM aigw.jobs
     WHERE id = job_error.job AND role_name = current_user;
END;

-- {{column}} placeholders of a template, checked against the table's
-- columns, as a SQL expression over alias t (identifiers and literals quoted).
CREATE FUNCTION aigw.template_sql(source regclass, template text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := regexp_split_to_array(template, '\{\{\s*[^{}]*?\s*\}\}');
    names text[] := ARRAY(SELECT m[1] FROM regexp_matches(template, '\{\{\s*([^{}]*?)\s*\}\}', 'g') AS m);
    expr text := quote_literal(parts[1]);
BEGIN
    FOR i IN 1 .. coalesce(array_length(names, 1), 0) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                        WHERE attrelid = source AND attname = names[i] AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'prompt placeholder {{%}} names no column of %', names[i], source
                USING ERRCODE = 'undefined_column',
                      HINT = format('The columns are: %s.', (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
                                                               FROM pg_attribute WHERE attrelid = source AND attnum > 0 AND NOT attisdropped));
        END IF;
        expr := expr || format(' || coalesce(t.%I::text, %L) || %L', names[i], '', parts[i + 1]);
    END LOOP;
    RETURN expr;
END
$$;

-- A JSON answer for a jsonb target: NULL when it is not JSON.
CREATE FUNCTION aigw.json_or_null(value text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END
$$;

-- One chunk's calls, as enrich reads them: the text of each answer, or why
-- there is none, and what it cost.
CREATE FUNCTION aigw.enrich_answers(model text, messages jsonb[], options jsonb)
RETURNS TABLE (ord integer, answer text, error text, cost numeric, currency text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT c.ord,
           CASE WHEN c.error IS NULL THEN c.response->'choices'->0->'message'->>'content' END,
           CASE WHEN c.error IS NOT NULL THEN c.error
                WHEN c.response->'choices'->0->'message'->>'content' IS NULL
                THEN 'the answer has no text (finish_reason '
                     || coalesce(c.response->'choices'->0->>'finish_reason', 'none') || ')' END,
           (c.response->'aigw'->>'cost')::numeric,
           c.response->'aigw'->>'currency'
      FROM aigw.chat_many(model, messages, options) c;
END;

CREATE PROCEDURE aigw.enrich(source regclass, target_column text, prompt text, model text,
                             options jsonb DEFAULT '{}')
LANGUAGE plpgsql
AS $proc$
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
    last_tid tid := '(0,0)';
    tids tid[];
    messages jsonb[];
    answers text[];
    errors text[];
    chunk_cost numeric;
    chunk_currency text;
    n integer;
    filled bigint;
    failed bigint;
    failed_total bigint := 0;
    job_options jsonb;
    done bigint := 0;
    spent numeric := 0;
    row_cost numeric := 0;      -- the costliest row so far
    chunk_max numeric;
    started timestamptz := clock_timestamp();
    state text := 'running';
    circuit_waits integer;
    retry_at bigint[];
    r record;
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
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'invalid enrichment option: %', SQLERRM
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'chunk_size and concurrency are integers, max_cost a number, dry_run true or false.';
    END;
    IF chunk_size NOT BETWEEN 1 AND 100000 OR concurrency NOT BETWEEN 1 AND 4096 OR budget <= 0 THEN
        RAISE EXCEPTION 'invalid enrichment option: chunk_size must be 1 to 100000, concurrency 1 to 4096, max_cost above 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    call_options := (options - '{chunk_size,max_cost,dry_run,system}'::text[])
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
    IF NOT call_options ? 'cache' THEN
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
    RAISE NOTICE 'enrich job %: % rows of % to fill, % calls in flight', job, total, source, concurrency;

    LOOP
        n := chunk_size;
        IF budget IS NOT NULL THEN
            IF spent >= budget THEN
                state := 'budget_reached';
                EXIT;
            END IF;
            -- size the chunk to what is left of the budget at 1.5 times the
            -- costliest row so far (so only rows dearer than that can take the
            -- job past max_cost); the first chunk is one row, to learn the cost
            n := CASE WHEN row_cost > 0 THEN least(n, floor((budget - spent) / (1.5 * row_cost))::integer)
                      WHEN done = 0 THEN 1
                      ELSE least(n, concurrency) END;
            IF n < 1 THEN
                state := 'budget_reached';
                EXIT;
            END IF;
        END IF;
        EXECUTE format('SELECT array_agg(ctid ORDER BY ctid), array_agg(m ORDER BY ctid)
                          FROM (SELECT t.ctid, %s AS m FROM %s t
                                 WHERE t.%I IS NULL AND t.ctid > $1 ORDER BY t.ctid LIMIT $2) s',
                       message_sql, source, target_column)
           INTO tids, messages USING last_tid, n;
        EXIT WHEN tids IS NULL;
        last_tid := tids[array_length(tids, 1)];

        SELECT array_agg(a.answer ORDER BY a.ord), array_agg(a.error ORDER BY a.ord),
               coalesce(sum(a.cost), 0), max(a.cost), max(a.currency)
          INTO answers, errors, chunk_cost, chunk_max, chunk_currency
          FROM aigw.enrich_answers(model, messages, job_options) a;

        -- Calls refused because the upstream's circuit is open were not
        -- sent: wait for its probe and send them again (up to 10 times),
        -- rather than mark a whole table failed in a few seconds.
        circuit_waits := 0;
        LOOP
            SELECT array_agg(o ORDER BY o) INTO retry_at
              FROM unnest(errors) WITH ORDINALITY AS x(e, o) WHERE e LIKE '%(SQLSTATE 5G012)%';
            EXIT WHEN retry_at IS NULL OR circuit_waits >= 10;
            circuit_waits := circuit_waits + 1;
            RAISE NOTICE 'enrich job %: % calls found the circuit of % open; waiting % for its probe (% of 10)',
                job, array_length(retry_at, 1), model, current_setting('aigw.circuit_cooldown'), circuit_waits;
            PERFORM pg_catalog.pg_sleep(extract(epoch FROM current_setting('aigw.circuit_cooldown')::interval));
            FOR r IN SELECT x.k, a.answer, a.error, a.cost, a.currency
                       FROM aigw.enrich_answers(model, ARRAY(SELECT messages[k] FROM unnest(retry_at) k), job_options) a
                       JOIN unnest(retry_at) WITH ORDINALITY AS x(k, o) ON x.o = a.ord
            LOOP
                answers[r.k] := r.answer;
                errors[r.k] := r.error;
                chunk_cost := chunk_cost + coalesce(r.cost, 0);
                chunk_max := greatest(chunk_max, r.cost);
                chunk_currency := coalesce(chunk_currency, r.currency);
            END LOOP;
        END LOOP;

        IF target_type = 'jsonb'::regtype THEN
            EXECUTE format('UPDATE %s t SET %I = j.v FROM unnest($1::tid[], $2::text[]) x(id, a),
                                   LATERAL (SELECT aigw.json_or_null(x.a) AS v) j(v)
                             WHERE t.ctid = x.id AND j.v IS NOT NULL AND t.%I IS NULL', source, target_column, target_column)
              USING tids, answers;
            GET DIAGNOSTICS filled = ROW_COUNT;
            SELECT array_agg(CASE WHEN e IS NULL AND a IS NOT NULL AND aigw.json_or_null(a) IS NULL
                                  THEN 'the answer is not JSON: ' || left(a, 200) ELSE e END ORDER BY o)
              INTO errors FROM unnest(answers, errors) WITH ORDINALITY AS x(a, e, o);
        ELSE
            EXECUTE format('UPDATE %s t SET %I = x.a FROM unnest($1::tid[], $2::text[]) x(id, a)
                             WHERE t.ctid = x.id AND x.a IS NOT NULL AND t.%I IS NULL', source, target_column, target_column)
              USING tids, answers;
            GET DIAGNOSTICS filled = ROW_COUNT;
        END IF;
        failed := 0;
        FOR i IN 1 .. array_length(tids, 1) LOOP
            IF errors[i] IS NOT NULL THEN
                PERFORM aigw.job_error(job, tids[i], errors[i]);
                failed := failed + 1;
            END IF;
        END LOOP;
        done := done + filled;
        failed_total := failed_total + failed;
        spent := spent + chunk_cost;
        row_cost := greatest(row_cost, coalesce(chunk_max, 0));
        PERFORM aigw.job_report(job, filled, failed, concurrency, chunk_cost, chunk_currency, 'running');
        COMMIT;
        RAISE NOTICE 'enrich job %: % of % rows filled, % failed, % rows/s, cost % %', job, done, total,
            failed_total,
            round((done + failed_total) / greatest(extract(epoch FROM clock_timestamp() - started), 0.001)),
            spent, coalesce(chunk_currency, '');
    END LOOP;

    IF state = 'running' THEN
        state := 'done';
    END IF;
    PERFORM aigw.job_report(job, 0, 0, 0, 0, NULL, state);
    COMMIT;
    IF state = 'budget_reached' THEN
        RAISE NOTICE 'enrich job % stopped at its budget: spent % of max_cost %; CALL it again with a higher max_cost to go on',
            job, spent, budget;
    ELSE
        RAISE NOTICE 'enrich job % done: % rows filled', job, done;
    END IF;
END
$proc$;
COMMENT ON PROCEDURE aigw.enrich(regclass, text, text, text, jsonb) IS
    'Fill target_column of every row where it is NULL with the answer to prompt (a template with {{column}} placeholders), chunk by chunk, each chunk committed; CALL it outside a transaction block. Options: concurrency, chunk_size, max_cost, dry_run, system, and any call option (wallet, tags, temperature, max_tokens, response_format, ...). Progress: aigw.job_progress; failed rows: aigw.job_errors.';

-- dry_run: what a run would cost, from the rendered prompts, without sending anything.
CREATE PROCEDURE aigw.enrich_estimate(source regclass, target_column text, message_sql text,
                                      model text, call_options jsonb, total bigint)
LANGUAGE plpgsql
AS $proc$
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
    SELECT p.input_per_mtok, p.output_per_mtok, p.currency INTO price
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
    END IF;
END
$proc$;

GRANT SELECT ON aigw.jobs, aigw.job_errors, aigw.job_progress TO PUBLIC;
REVOKE ALL ON FUNCTION aigw.job_start(regclass, text, text, text, jsonb, bigint, numeric),
                       aigw.job_report(bigint, bigint, bigint, integer, numeric, text, text),
                       aigw.job_error(bigint, tid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aigw.job_start(regclass, text, text, text, jsonb, bigint, numeric),
                          aigw.job_report(bigint, bigint, bigint, integer, numeric, text, text),
                          aigw.job_error(bigint, tid, text) TO PUBLIC;

--------------------------------------------------------------------------
-- Asynchronous calls: aigw.submit queues a call in the caller's own
-- transaction (an outbox: a rolled-back submit is never sent); the
-- database's dispatcher sends it once that commits and writes the answer.
--------------------------------------------------------------------------
CREATE TABLE aigw.submissions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model           text NOT NULL,
    messages        jsonb NOT NULL,
    options         jsonb NOT NULL,
    role_oid        oid NOT NULL,
    role_name       name NOT NULL,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'ok', 'error')),
    response        jsonb,
    error           text,
    call_id         bigint,
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    dispatcher_pid  integer,
    CHECK ((status = 'ok') = (response IS NOT NULL)),
    CHECK ((status = 'error') = (error IS NOT NULL))
);
CREATE INDEX ON aigw.submissions (id) WHERE status IN ('queued', 'running');
REVOKE ALL ON aigw.submissions FROM PUBLIC;
COMMENT ON TABLE aigw.submissions IS
    'Calls queued by aigw.submit, sent by the database''s dispatcher once the submitting transaction commits. status: queued, running, ok (response set), error (error set). A call that was running when its dispatcher stopped ends as an error that says so: it is never sent twice.';

CREATE VIEW aigw.results AS
    SELECT id, status, response, error, call_id, model, submitted_at, started_at, finished_at
      FROM aigw.submissions
     WHERE role_name = current_user;
COMMENT ON VIEW aigw.results IS
    'The calls this role submitted with aigw.submit, and their answers or errors once done (aigw.wait waits for them).';
GRANT SELECT ON aigw.results TO PUBLIC;

CREATE FUNCTION aigw.submit(model text, messages jsonb, options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'aigw_submit'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION aigw.submit(text, jsonb, jsonb) IS
    'Queue a chat call and return its id at once; it is sent after this transaction commits (never if it rolls back). The answer lands in aigw.results; aigw.wait(ids, timeout_ms) waits for it. The session''s aigw.wallet travels with it; other settings go in options.';

CREATE FUNCTION aigw.wait(ids bigint[], timeout_ms integer DEFAULT 60000)
RETURNS SETOF aigw.results
AS 'MODULE_PATHNAME', 'aigw_wait'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION aigw.wait(bigint[], integer) IS
    'Wait until every submitted call of ids is done, or timeout_ms passes; returns their rows of aigw.results as they are then.';

-- Internal: the outbox's writes, as the tables' owner, for aigw's C code.
CREATE FUNCTION aigw.submission_queue(model text, messages jsonb, options jsonb, role_oid oid, role_name name)
RETURNS bigint
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO aigw.submissions (model, messages, options, role_oid, role_name)
    VALUES (model, messages, options, role_oid, role_name)
    RETURNING id;
END;
REVOKE ALL ON FUNCTION aigw.submission_queue(text, jsonb, jsonb, oid, name) FROM PUBLIC;

-- Jobs and submitted calls are the users' data: pg_dump keeps them (the
-- response cache is only a cache, and is not dumped).
SELECT pg_catalog.pg_extension_config_dump('aigw.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.jobs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.job_errors', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.submissions', '');
SELECT pg_catalog.pg_extension_config_dump('aigw.submissions_id_seq', '');
