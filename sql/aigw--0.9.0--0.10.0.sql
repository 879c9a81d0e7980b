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
