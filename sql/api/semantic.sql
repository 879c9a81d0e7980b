-- The semantic functions: each one gateway call (routed, logged, billed,
-- cached like aigw.chat) that asks for structured output and checks the
-- answer against its schema.  Not strict: a NULL text gives NULL with no
-- call, a NULL model means the setting aigw.default_model.  COST is high so
-- that the planner runs cheaper quals first.

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
