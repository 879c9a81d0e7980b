-- aigw 0.7.0 -> 0.8.0: aigw.enrich's loop runs in C, as a stream.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.8.0'" to load this file. \quit

--------------------------------------------------------------------------
-- aigw.enrich: the procedure still checks its arguments, renders the
-- prompt template into an SQL expression and starts the job; the loop is
-- aigw.enrich_run, which keeps calls in flight across its commits (the
-- pool never drains between chunks) and writes answers back as they come.
--------------------------------------------------------------------------
CREATE PROCEDURE aigw.enrich_run(job bigint, source regclass, target_column text, json_target boolean,
                                 message_sql text, model text, options jsonb, chunk_size integer,
                                 concurrency integer, max_cost numeric)
AS 'MODULE_PATHNAME', 'aigw_enrich_run'
LANGUAGE C;
REVOKE ALL ON PROCEDURE aigw.enrich_run(bigint, regclass, text, boolean, text, text, jsonb, integer, integer, numeric) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE aigw.enrich_run(bigint, regclass, text, boolean, text, text, jsonb, integer, integer, numeric) TO aigw_user;
COMMENT ON PROCEDURE aigw.enrich_run(bigint, regclass, text, boolean, text, text, jsonb, integer, integer, numeric) IS
    'Internal: the loop of aigw.enrich.';

CREATE OR REPLACE PROCEDURE aigw.enrich(source regclass, target_column text, prompt text, model text,
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
    job_options jsonb;
    done bigint;
    failed_total bigint;
    spent numeric;
    currency text;
    state text;
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
$proc$;
COMMENT ON PROCEDURE aigw.enrich(regclass, text, text, text, jsonb) IS
    'Fill target_column of every row where it is NULL with the answer to prompt (a template with {{column}} placeholders), committing every chunk_size rows while calls stay in flight; CALL it outside a transaction block. Options: concurrency, chunk_size, max_cost, dry_run, system, and any call option (wallet, tags, temperature, max_tokens, response_format, ...). Progress: aigw.job_progress; failed rows: aigw.job_errors.';
