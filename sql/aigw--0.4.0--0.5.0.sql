-- aigw 0.4.0 -> 0.5.0: batches.  aigw.chat_many keeps many calls of one
-- statement in flight at once.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.5.0'" to load this file. \quit

CREATE FUNCTION aigw.chat_many(model text, messages jsonb[], options jsonb DEFAULT '{}')
RETURNS TABLE (ord integer, response jsonb, error text)
AS 'MODULE_PATHNAME', 'aigw_chat_many'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION aigw.chat_many(text, jsonb[], jsonb) IS
    'One call per element of messages, up to options.concurrency (aigw.batch_concurrency) in flight at once; one row per input, in input order (ord is its 1-based position). A failed call gives its error in error, unless options.on_error = ''raise''.';
