-- Batch work: aigw.submit and its queue, enrich and embed_column (jobs),
-- embeddings.

CREATE FUNCTION aigw.embed(model text, input text, options jsonb DEFAULT '{}'::jsonb) RETURNS real[]
    LANGUAGE c STRICT COST 10000 PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_embed';

COMMENT ON FUNCTION aigw.embed(model text, input text, options jsonb) IS 'The embedding of one text. Options: dimensions, input_type (document | query), normalize, wallet, tags, timeout_ms, cache, cache_ttl, retries.';

CREATE PROCEDURE aigw.embed_column(IN source regclass, IN text_column text, IN target_column text, IN model text, IN options jsonb DEFAULT '{}'::jsonb)
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

CREATE PROCEDURE aigw.embed_column_run(IN job bigint, IN source regclass, IN text_column text, IN target_column text, IN target_type text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_embed_column_run';

COMMENT ON PROCEDURE aigw.embed_column_run(IN job bigint, IN source regclass, IN text_column text, IN target_column text, IN target_type text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric) IS 'Internal: the loop of aigw.embed_column.';

CREATE FUNCTION aigw.embed_many(model text, inputs text[], options jsonb DEFAULT '{}'::jsonb) RETURNS TABLE(ord integer, embedding real[], error text)
    LANGUAGE c STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_embed_many';

COMMENT ON FUNCTION aigw.embed_many(model text, inputs text[], options jsonb) IS 'Embeddings of many texts, one row per input in input order (ord = its 1-based position): inputs packed into as few upstream requests as the provider allows, up to option "concurrency" (aigw.batch_concurrency) requests in flight. A failed request fails only its rows (error); an input over the model''s limit is reported and not sent.';

CREATE FUNCTION aigw.embed_refusal(model text, input text) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_embed_refusal_sql';

COMMENT ON FUNCTION aigw.embed_refusal(model text, input text) IS 'Why aigw.embed_many would not send this input to this model (empty, over its limit of one input), or NULL.';

CREATE FUNCTION aigw.embedding_base64(embedding real[]) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'aigw_embedding_base64';

COMMENT ON FUNCTION aigw.embedding_base64(embedding real[]) IS 'A vector as OpenAI''s encoding_format "base64": little-endian float32, base64-encoded.';

CREATE PROCEDURE aigw.enrich(IN source regclass, IN target_column text, IN prompt text, IN model text, IN options jsonb DEFAULT '{}'::jsonb)
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

CREATE FUNCTION aigw.enrich_answers(model text, messages jsonb[], options jsonb) RETURNS TABLE(ord integer, answer text, error text, cost numeric, currency text)
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT c.ord,
         CASE
             WHEN (c.error IS NULL) THEN ((((c.response -> 'choices'::text) -> 0) -> 'message'::text) ->> 'content'::text)
             ELSE NULL::text
         END AS "case",
         CASE
             WHEN (c.error IS NOT NULL) THEN c.error
             WHEN (((((c.response -> 'choices'::text) -> 0) -> 'message'::text) ->> 'content'::text) IS NULL) THEN (('the answer has no text (finish_reason '::text || COALESCE((((c.response -> 'choices'::text) -> 0) ->> 'finish_reason'::text), 'none'::text)) || ')'::text)
             ELSE NULL::text
         END AS "case",
     (((c.response -> 'aigw'::text) ->> 'cost'::text))::numeric AS "numeric",
     ((c.response -> 'aigw'::text) ->> 'currency'::text)
    FROM aigw.chat_many(enrich_answers.model, enrich_answers.messages, enrich_answers.options) c(ord, response, error);
END;

CREATE PROCEDURE aigw.enrich_estimate(IN source regclass, IN target_column text, IN message_sql text, IN model text, IN call_options jsonb, IN total bigint)
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

CREATE PROCEDURE aigw.enrich_run(IN job bigint, IN source regclass, IN target_column text, IN json_target boolean, IN message_sql text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'aigw_enrich_run';

COMMENT ON PROCEDURE aigw.enrich_run(IN job bigint, IN source regclass, IN target_column text, IN json_target boolean, IN message_sql text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric) IS 'Internal: the loop of aigw.enrich.';

CREATE FUNCTION aigw.job_error(job bigint, row_ctid tid, error text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 INSERT INTO aigw.job_errors (job_id, row_ctid, error)  SELECT jobs.id,
             job_error.row_ctid AS row_ctid,
             job_error.error AS error
            FROM aigw.jobs
           WHERE ((jobs.id = job_error.job) AND (jobs.role_name = CURRENT_USER));
END;

CREATE FUNCTION aigw.job_report(job bigint, done bigint, failed bigint, in_flight integer, cost numeric, currency text, state text) RETURNS void
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

CREATE FUNCTION aigw.job_start(source regclass, target_column text, model text, prompt text, options jsonb, rows_total bigint, max_cost numeric) RETURNS bigint
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

CREATE FUNCTION aigw.resolve_intents() RETURNS TABLE(wallet_id bigint, balance_units bigint, balance_version bigint, attempts bigint)
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

CREATE FUNCTION aigw.submission_queue(model text, messages jsonb, options jsonb, role_oid oid, role_name name, end_user text) RETURNS bigint
    LANGUAGE sql
    BEGIN ATOMIC
 INSERT INTO aigw.submissions (model, messages, options, role_oid, role_name, end_user)
   VALUES (submission_queue.model, submission_queue.messages, submission_queue.options, submission_queue.role_oid, submission_queue.role_name, submission_queue.end_user)
   RETURNING submissions.id;
END;

CREATE FUNCTION aigw.submit(model text, messages jsonb, options jsonb DEFAULT '{}'::jsonb) RETURNS bigint
    LANGUAGE c STRICT
    AS 'MODULE_PATHNAME', 'aigw_submit';

COMMENT ON FUNCTION aigw.submit(model text, messages jsonb, options jsonb) IS 'Queue a chat call and return its id at once; it is sent after this transaction commits (never if it rolls back). The answer lands in aigw.results; aigw.wait(ids, timeout_ms) waits for it. The session''s aigw.wallet travels with it; other settings go in options.';

CREATE FUNCTION aigw.template_sql(source regclass, template text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION aigw.vector_from_base64(vector text, unit_length boolean DEFAULT false) RETURNS real[]
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'aigw_vector_from_base64';

COMMENT ON FUNCTION aigw.vector_from_base64(vector text, unit_length boolean) IS 'A base64 little-endian float32 vector (OpenAI''s encoding_format "base64") as real[], of unit length if asked.';

CREATE FUNCTION aigw.wait(ids bigint[], timeout_ms integer DEFAULT 60000) RETURNS SETOF aigw.results
    LANGUAGE c STRICT
    AS 'MODULE_PATHNAME', 'aigw_wait';

COMMENT ON FUNCTION aigw.wait(ids bigint[], timeout_ms integer) IS 'Wait until every submitted call of ids is done, or timeout_ms passes; returns their rows of aigw.results as they are then.';

REVOKE ALL ON FUNCTION aigw.embed(model text, input text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.embed(model text, input text, options jsonb) TO aigw_user;

REVOKE ALL ON PROCEDURE aigw.embed_column(IN source regclass, IN text_column text, IN target_column text, IN model text, IN options jsonb) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.embed_column(IN source regclass, IN text_column text, IN target_column text, IN model text, IN options jsonb) TO aigw_user;

REVOKE ALL ON PROCEDURE aigw.embed_column_run(IN job bigint, IN source regclass, IN text_column text, IN target_column text, IN target_type text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.embed_column_run(IN job bigint, IN source regclass, IN text_column text, IN target_column text, IN target_type text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.embed_many(model text, inputs text[], options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.embed_many(model text, inputs text[], options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.embed_refusal(model text, input text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.embed_refusal(model text, input text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.embedding_base64(embedding real[]) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.embedding_base64(embedding real[]) TO aigw_user;

REVOKE ALL ON PROCEDURE aigw.enrich(IN source regclass, IN target_column text, IN prompt text, IN model text, IN options jsonb) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.enrich(IN source regclass, IN target_column text, IN prompt text, IN model text, IN options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.enrich_answers(model text, messages jsonb[], options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.enrich_answers(model text, messages jsonb[], options jsonb) TO aigw_user;

REVOKE ALL ON PROCEDURE aigw.enrich_estimate(IN source regclass, IN target_column text, IN message_sql text, IN model text, IN call_options jsonb, IN total bigint) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.enrich_estimate(IN source regclass, IN target_column text, IN message_sql text, IN model text, IN call_options jsonb, IN total bigint) TO aigw_user;

REVOKE ALL ON PROCEDURE aigw.enrich_run(IN job bigint, IN source regclass, IN target_column text, IN json_target boolean, IN message_sql text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.enrich_run(IN job bigint, IN source regclass, IN target_column text, IN json_target boolean, IN message_sql text, IN model text, IN options jsonb, IN chunk_size integer, IN concurrency integer, IN max_cost numeric) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.job_error(job bigint, row_ctid tid, error text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.job_error(job bigint, row_ctid tid, error text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.job_report(job bigint, done bigint, failed bigint, in_flight integer, cost numeric, currency text, state text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.job_report(job bigint, done bigint, failed bigint, in_flight integer, cost numeric, currency text, state text) TO aigw_user;

REVOKE ALL ON PROCEDURE aigw.batch_job_run(IN job bigint, IN source regclass, IN target_column text, IN target_kind text, IN input_sql text, IN model text, IN options jsonb, IN batch_size integer, IN concurrency integer, IN max_cost numeric) FROM PUBLIC;
GRANT ALL ON PROCEDURE aigw.batch_job_run(IN job bigint, IN source regclass, IN target_column text, IN target_kind text, IN input_sql text, IN model text, IN options jsonb, IN batch_size integer, IN concurrency integer, IN max_cost numeric) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.batch_job_notice(job bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.batch_job_notice(job bigint) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.wait_job(job bigint, timeout_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.wait_job(job bigint, timeout_ms integer) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.cancel_job(job bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.cancel_job(job bigint) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.job_start(source regclass, target_column text, model text, prompt text, options jsonb, rows_total bigint, max_cost numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.job_start(source regclass, target_column text, model text, prompt text, options jsonb, rows_total bigint, max_cost numeric) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.resolve_intents() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.submission_queue(model text, messages jsonb, options jsonb, role_oid oid, role_name name, end_user text) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.submit(model text, messages jsonb, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.submit(model text, messages jsonb, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.template_sql(source regclass, template text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.template_sql(source regclass, template text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.vector_from_base64(vector text, unit_length boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.vector_from_base64(vector text, unit_length boolean) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.wait(ids bigint[], timeout_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.wait(ids bigint[], timeout_ms integer) TO aigw_user;
