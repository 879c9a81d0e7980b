-- aigw.agg: one answer about a whole group of texts (Snowflake's AI_AGG).
-- The transition function collects the group's inputs; the final function
-- packs them into as few requests as the model's context window allows and
-- combines the answers level by level (src/batch/agg.c states the rule).
-- The support functions take and return internal, so they cannot be called
-- from SQL; the aggregate runs them with its owner's privileges.

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
