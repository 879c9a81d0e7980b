-- Calling models: chat, ask, the provider protocols' error shapes and the
-- helpers the worker pool's answers go through.

CREATE FUNCTION aigw.anthropic_error(sqlstate text, message text, detail text, hint text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    c record;
BEGIN
    c := aigw.http_error_class(sqlstate, message, hint);
    PERFORM aigw.http_respond(c.status, c.retry_after);
    RETURN jsonb_build_object('type', 'error', 'error', jsonb_strip_nulls(jsonb_build_object(
        'type', CASE c.status WHEN 400 THEN 'invalid_request_error' WHEN 402 THEN 'billing_error'
                              WHEN 403 THEN 'permission_error' WHEN 404 THEN 'not_found_error'
                              WHEN 429 THEN 'rate_limit_error' WHEN 503 THEN 'overloaded_error'
                              ELSE 'api_error' END,
        'message', message, 'code', c.code, 'sqlstate', sqlstate, 'detail', detail, 'hint', hint)));
END
$$;

CREATE FUNCTION aigw.anthropic_messages(request jsonb) RETURNS jsonb
    LANGUAGE c STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_anthropic_messages';

COMMENT ON FUNCTION aigw.anthropic_messages(request jsonb) IS 'A native Anthropic Messages request in, a native Messages response out (plus an "aigw" object), served by whichever provider serves the model, logged and billed like aigw.chat.';

CREATE FUNCTION aigw.ask(model text, prompt text, options jsonb DEFAULT '{}'::jsonb) RETURNS text
    LANGUAGE c STRICT COST 10000 PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_ask';

COMMENT ON FUNCTION aigw.ask(model text, prompt text, options jsonb) IS 'One user message in, the first choice''s text out.';

CREATE FUNCTION aigw.bad_body(field text, problem text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'invalid request body: "%" %', field, problem
        USING ERRCODE = 'invalid_parameter_value', DETAIL = field,
              HINT = 'The body is an OpenAI chat-completions request: {"model": "...", "messages": [...], ...}.';
END
$$;

CREATE FUNCTION aigw.cache_purge() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 WITH d AS (
          DELETE FROM aigw.response_cache
           WHERE (response_cache.expires_at <= now())
           RETURNING 1 AS "?column?"
         )
  SELECT count(*) AS count
    FROM d;
END;

COMMENT ON FUNCTION aigw.cache_purge() IS 'Delete the expired entries of aigw.response_cache; returns how many.';

CREATE FUNCTION aigw.chat(model text, messages jsonb, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE c STRICT COST 10000 PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_chat';

COMMENT ON FUNCTION aigw.chat(model text, messages jsonb, options jsonb) IS 'Chat completion through the worker pool; returns the OpenAI chat.completion shape plus an "aigw" object.';

CREATE FUNCTION aigw.chat_many(model text, messages jsonb[], options jsonb DEFAULT '{}'::jsonb) RETURNS TABLE(ord integer, response jsonb, error text)
    LANGUAGE c STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'aigw_chat_many';

COMMENT ON FUNCTION aigw.chat_many(model text, messages jsonb[], options jsonb) IS 'One call per element of messages, up to options.concurrency (aigw.batch_concurrency) in flight at once; one row per input, in input order (ord is its 1-based position). A failed call gives its error in error, unless options.on_error = ''raise''.';

CREATE FUNCTION aigw.http_error_class(sqlstate text, message text, hint text, OUT status integer, OUT type text, OUT code text, OUT retry_after integer) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    retry_after := NULL;
    CASE
        WHEN sqlstate = '5G020' THEN status := 402; type := 'insufficient_quota'; code := 'insufficient_funds';
        WHEN sqlstate = '5G021' THEN status := 402; type := 'insufficient_quota'; code := 'no_wallet';
        WHEN sqlstate = '5G030' THEN status := 429; type := 'rate_limit_exceeded'; code := 'limit_exceeded';
            retry_after := substring(hint FROM 'in ([0-9]+) s')::integer;
        WHEN sqlstate = '5G031' THEN status := 403; type := 'permission_error'; code := 'model_not_allowed';
        WHEN sqlstate = '42501' THEN status := 403; type := 'permission_error'; code := 'permission_denied';
        WHEN sqlstate = '42704' AND message LIKE 'wallet %' THEN
            status := 402; type := 'insufficient_quota'; code := 'no_wallet';
        WHEN sqlstate = '42704' THEN status := 404; type := 'invalid_request_error'; code := 'model_not_found';
        WHEN sqlstate = '5G001' OR sqlstate LIKE '22%' OR sqlstate = '54000' OR sqlstate = '0A000'
            THEN status := 400; type := 'invalid_request_error'; code := 'invalid_request';
        WHEN sqlstate = '5G004' THEN status := 429; type := 'rate_limit_exceeded'; code := 'upstream_rate_limited';
            retry_after := substring(hint FROM 'after ([0-9]+) seconds')::integer;
        WHEN sqlstate = '5G006' THEN status := 504; type := 'api_error'; code := 'upstream_timeout';
        WHEN sqlstate IN ('5G012', '5G013') THEN status := 503; type := 'api_error'; code := 'no_upstream_available';
        WHEN sqlstate IN ('5G022', '5G023', '5G011') THEN status := 503; type := 'api_error'; code := 'model_not_configured';
        WHEN sqlstate LIKE '5G00%' THEN status := 502; type := 'api_error'; code := 'upstream_error';
        ELSE status := 500; type := 'api_error'; code := 'internal_error';
    END CASE;
END
$$;

CREATE FUNCTION aigw.http_respond(status integer, retry_after integer) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT set_config('response.status'::text, (status)::text, true) AS set_config;
 SELECT set_config('response.headers'::text,
         CASE
             WHEN (retry_after IS NOT NULL) THEN (jsonb_build_array(jsonb_build_object('Retry-After', (retry_after)::text)))::text
             ELSE '[]'::text
         END, true) AS set_config;
END;

CREATE FUNCTION aigw.json_or_null(value text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION aigw.openai_error(sqlstate text, message text, detail text, hint text, param text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    c record;
BEGIN
    c := aigw.http_error_class(sqlstate, message, hint);
    PERFORM aigw.http_respond(c.status, c.retry_after);
    RETURN jsonb_build_object('error', jsonb_strip_nulls(jsonb_build_object(
        'message', message, 'type', c.type, 'param', param, 'code', c.code,
        'sqlstate', sqlstate, 'detail', detail, 'hint', hint)));
END
$$;

CREATE FUNCTION aigw.openai_error_caught(sqlstate text, message text, detail text, hint text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN CASE WHEN (message ~~ 'invalid request body: %'::text) THEN aigw.openai_error(sqlstate, message, NULL::text, NULLIF(hint, ''::text), detail) ELSE aigw.openai_error(sqlstate, message, NULLIF(detail, ''::text), NULLIF(hint, ''::text)) END;

REVOKE ALL ON FUNCTION aigw.anthropic_error(sqlstate text, message text, detail text, hint text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.anthropic_error(sqlstate text, message text, detail text, hint text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.anthropic_messages(request jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.anthropic_messages(request jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.ask(model text, prompt text, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.ask(model text, prompt text, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.bad_body(field text, problem text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.bad_body(field text, problem text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.cache_purge() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.cache_purge() TO aigw_admin;

REVOKE ALL ON FUNCTION aigw.chat(model text, messages jsonb, options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.chat(model text, messages jsonb, options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.chat_many(model text, messages jsonb[], options jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.chat_many(model text, messages jsonb[], options jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.http_error_class(sqlstate text, message text, hint text, OUT status integer, OUT type text, OUT code text, OUT retry_after integer) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.http_error_class(sqlstate text, message text, hint text, OUT status integer, OUT type text, OUT code text, OUT retry_after integer) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.http_respond(status integer, retry_after integer) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.http_respond(status integer, retry_after integer) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.json_or_null(value text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.json_or_null(value text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.openai_error(sqlstate text, message text, detail text, hint text, param text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.openai_error(sqlstate text, message text, detail text, hint text, param text) TO aigw_user;

REVOKE ALL ON FUNCTION aigw.openai_error_caught(sqlstate text, message text, detail text, hint text) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw.openai_error_caught(sqlstate text, message text, detail text, hint text) TO aigw_user;
