-- The HTTP surface for PostgREST (schema aigw_api): OpenAI and Anthropic
-- compatible endpoints, models, balance, usage.

CREATE FUNCTION aigw_api.balance() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    w_name text := aigw.current_wallet();
    result jsonb;
BEGIN
    IF w_name IS NULL THEN
        RETURN aigw.openai_error('5G021', 'no wallet is selected for this caller', NULL,
                                 'Give the token a "wallet" claim, or have an administrator run aigw.set_default_wallet().');
    END IF;
    SELECT jsonb_build_object('object', 'balance', 'wallet', s.wallet, 'currency', s.currency,
                              'balance', s.balance, 'reserved', s.reserved, 'available', s.available,
                              'credit_limit', s.credit_limit, 'calls_in_flight', s.calls_in_flight)
      INTO result
      FROM aigw.wallet_status s WHERE s.wallet = w_name;
    IF result IS NULL THEN
        RETURN aigw.openai_error('42501', format('role "%s" may not use wallet "%s"', current_user, w_name),
                                 NULL, 'An administrator can run aigw.grant_wallet().');
    END IF;
    RETURN result;
END
$$;

COMMENT ON FUNCTION aigw_api.balance() IS 'GET /rpc/balance: the wallet the caller spends from, its balance, reservations and what is left.';

CREATE FUNCTION aigw_api.chat_completions(jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    body jsonb := $1;
    st text; msg text; det text; hnt text;
BEGIN
    IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
        PERFORM aigw.bad_body('body', 'must be a JSON object');
    ELSIF jsonb_typeof(body -> 'model') IS DISTINCT FROM 'string' THEN
        PERFORM aigw.bad_body('model', 'is required and must be a string');
    ELSIF jsonb_typeof(body -> 'messages') IS DISTINCT FROM 'array' THEN
        PERFORM aigw.bad_body('messages', 'is required and must be an array');
    ELSIF body ? 'wallet' THEN
        -- the token decides who pays, never the body
        PERFORM aigw.bad_body('wallet', 'is not accepted over HTTP: the JWT''s "wallet" claim or the role''s default wallet pays');
    END IF;
    RETURN aigw.chat(body ->> 'model', body -> 'messages', body - 'model' - 'messages' - 'user');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN aigw.openai_error_caught(st, msg, det, hnt);
END
$_$;

COMMENT ON FUNCTION aigw_api.chat_completions(jsonb) IS 'POST /rpc/chat_completions: an OpenAI chat-completions request body in, the chat.completion (with the "aigw" object) out; errors as OpenAI error bodies with their HTTP status.';

CREATE FUNCTION aigw_api.embeddings(jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    body jsonb := $1;
    inputs text[];
    options jsonb;
    marker text := gen_random_uuid()::text;
    started timestamptz := clock_timestamp();
    base64 boolean;
    data jsonb;
    tokens bigint;
    field text;
    st text; msg text; det text; hnt text;
BEGIN
    IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
        PERFORM aigw.bad_body('body', 'must be a JSON object');
    ELSIF jsonb_typeof(body -> 'model') IS DISTINCT FROM 'string' THEN
        PERFORM aigw.bad_body('model', 'is required and must be a string');
    ELSIF body ? 'wallet' THEN
        PERFORM aigw.bad_body('wallet', 'is not accepted over HTTP: the JWT''s "wallet" claim or the role''s default wallet pays');
    ELSIF coalesce(body ->> 'encoding_format', 'float') NOT IN ('float', 'base64') THEN
        PERFORM aigw.bad_body('encoding_format', 'must be "float" or "base64"');
    END IF;
    CASE jsonb_typeof(body -> 'input')
        WHEN 'string' THEN inputs := ARRAY[body ->> 'input'];
        WHEN 'array' THEN
            IF jsonb_array_length(body -> 'input') = 0
               OR EXISTS (SELECT 1 FROM jsonb_array_elements(body -> 'input') e WHERE jsonb_typeof(e) <> 'string') THEN
                PERFORM aigw.bad_body('input', 'must be a string or a non-empty array of strings');
            END IF;
            inputs := ARRAY(SELECT jsonb_array_elements_text(body -> 'input'));
        ELSE PERFORM aigw.bad_body('input', 'is required and must be a string or an array of strings');
    END CASE;
    -- inputs aigw would not send are refused before any is sent
    SELECT format('%s: %s', x.ord - 1, x.why) INTO field
      FROM unnest(inputs) WITH ORDINALITY AS u(t, ord),
           LATERAL (SELECT u.ord, aigw.embed_refusal(body ->> 'model', u.t) AS why) x
     WHERE x.why IS NOT NULL
     ORDER BY x.ord LIMIT 1;
    IF field IS NOT NULL THEN
        PERFORM aigw.bad_body('input', field);
    END IF;
    base64 := body ->> 'encoding_format' = 'base64';
    -- the SDKs' own fields out; a marker tag finds this call's log rows for its usage
    options := (body - '{model,input,encoding_format,user}'::text[])
               || jsonb_build_object('on_error', 'raise',
                                     'tags', coalesce(body -> 'tags', '{}') || jsonb_build_object('aigw_api_call', marker));
    SELECT jsonb_agg(jsonb_build_object('object', 'embedding', 'index', e.ord - 1,
                                        'embedding', CASE WHEN base64 THEN to_jsonb(aigw.embedding_base64(e.embedding))
                                                          ELSE to_jsonb(e.embedding) END) ORDER BY e.ord),
           min(format('input %s: %s', e.ord - 1, e.error)) FILTER (WHERE e.error IS NOT NULL)
      INTO data, field
      FROM aigw.embed_many(body ->> 'model', inputs, options) e;
    IF field IS NOT NULL THEN   -- an input refused before sending (empty, too long)
        RAISE EXCEPTION 'invalid request body: "input" %', field
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'input';
    END IF;
    SELECT coalesce(sum(r.prompt_tokens), 0) INTO tokens
      FROM aigw.requests r
     WHERE r.created_at >= started AND r.tags @> jsonb_build_object('aigw_api_call', marker);
    RETURN jsonb_build_object('object', 'list', 'data', data, 'model', body ->> 'model',
                              'usage', jsonb_build_object('prompt_tokens', tokens, 'total_tokens', tokens));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN aigw.openai_error_caught(st, msg, det, hnt);
END
$_$;

COMMENT ON FUNCTION aigw_api.embeddings(jsonb) IS 'POST /rpc/embeddings: an OpenAI embeddings request body in (input: a string or an array of strings; dimensions; encoding_format float or base64), the OpenAI list of embeddings out; errors as OpenAI error bodies with their HTTP status.';

CREATE FUNCTION aigw_api.messages(jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    IF $1 IS NULL OR jsonb_typeof($1) <> 'object' THEN
        RAISE EXCEPTION 'invalid request body: "body" must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN aigw.anthropic_messages($1);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN aigw.anthropic_error(st, msg, nullif(det, ''), nullif(hnt, ''));
END
$_$;

COMMENT ON FUNCTION aigw_api.messages(jsonb) IS 'POST /rpc/messages: an Anthropic Messages request in, a Messages response out; errors as Anthropic error bodies with their HTTP status.';

CREATE FUNCTION aigw_api.models() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT jsonb_build_object('object', 'list', 'data', COALESCE(jsonb_agg(m.entry ORDER BY m.id), '[]'::jsonb)) AS jsonb_build_object
    FROM ( SELECT m_1.id,
             jsonb_strip_nulls(jsonb_build_object('id', m_1.id, 'object', 'model', 'created', 0, 'owned_by', m_1.provider, 'context_window', m_1.context_window, 'max_output_tokens', m_1.max_output_tokens, 'capabilities', to_jsonb(m_1.capabilities), 'pricing', ( SELECT jsonb_build_object('currency', p.currency, 'input_per_mtok', p.input_per_mtok, 'output_per_mtok', p.output_per_mtok, 'cached_input_per_mtok', p.cached_input_per_mtok) AS jsonb_build_object
                    FROM aigw.prices p
                   WHERE ((p.model = m_1.id) AND (p.valid_from <= now()) AND ((p.valid_to IS NULL) OR (p.valid_to > now())))
                   ORDER BY (p.currency = 'USD'::text) DESC, p.currency
                  LIMIT 1))) AS entry
            FROM ((aigw.models m_1
              JOIN aigw.providers pr ON ((pr.name = m_1.provider)))
              JOIN aigw.credential_status cs ON ((cs.provider = m_1.provider)))
           WHERE (m_1.enabled AND pr.enabled AND (cs.is_set OR (pr.auth_scheme = 'none'::text)) AND aigw.model_allowed(m_1.id))
         UNION ALL
          SELECT s.id,
             jsonb_build_object('id', s.id, 'object', 'model', 'created', 0, 'owned_by', 'aigw') AS jsonb_build_object
            FROM ( SELECT ('auto/'::text || strategy.strategy) AS id
                    FROM unnest(ARRAY['best'::text, 'cheapest'::text, 'fastest'::text]) strategy(strategy)
                 UNION ALL
                  SELECT ('route/'::text || r.name)
                    FROM aigw.routes r
                   WHERE r.enabled) s
           WHERE aigw.model_allowed(s.id)) m;
END;

COMMENT ON FUNCTION aigw_api.models() IS 'GET /rpc/models: the models the caller may use (enabled, with a key, allowed by its limits), meta-models and routes included, in OpenAI''s /v1/models list shape with prices.';

CREATE FUNCTION aigw_api.usage("from" timestamp with time zone DEFAULT date_trunc('month'::text, now()), "to" timestamp with time zone DEFAULT (now() + '00:00:01'::interval)) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 WITH mine AS (
          SELECT r.id,
             r.created_at,
             r.finished_at,
             r.role_name,
             r.database_name,
             r.requested_model,
             r.served_model,
             r.provider,
             r.attempt,
             r.status,
             r.http_status,
             r.prompt_tokens,
             r.completion_tokens,
             r.cached_tokens,
             r.reasoning_tokens,
             r.latency_ms,
             r.ttfb_ms,
             r.request_bytes,
             r.response_bytes,
             r.upstream_id,
             r.tags,
             r.error,
             r.wallet_id,
             r.cost,
             r.currency,
             r.reserved,
             r.cache_write_tokens,
             r.call_id,
             r.route,
             r.end_user,
             r.inputs,
             r.usage_anomaly,
             r.upstream_usage
            FROM aigw.requests r
           WHERE ((r.created_at >= usage."from") AND (r.created_at < usage."to"))
         ), by_model AS (
          SELECT COALESCE(mine.served_model, mine.requested_model) AS model,
             mine.currency,
             count(*) AS requests,
             count(*) FILTER (WHERE (mine.status = 'ok'::text)) AS answered,
             COALESCE(sum(mine.prompt_tokens), (0)::numeric) AS prompt_tokens,
             COALESCE(sum(mine.completion_tokens), (0)::numeric) AS completion_tokens,
             COALESCE(sum(mine.cost), (0)::numeric) AS cost
            FROM mine
           GROUP BY COALESCE(mine.served_model, mine.requested_model), mine.currency
         )
  SELECT jsonb_build_object('object', 'usage', 'from', "from", 'to', "to", 'end_user', aigw.end_user(), 'requests', ( SELECT count(*) AS count
            FROM mine), 'prompt_tokens', ( SELECT COALESCE(sum(mine.prompt_tokens), (0)::numeric) AS "coalesce"
            FROM mine), 'completion_tokens', ( SELECT COALESCE(sum(mine.completion_tokens), (0)::numeric) AS "coalesce"
            FROM mine), 'cost', ( SELECT COALESCE(jsonb_object_agg(c.currency, c.cost), '{}'::jsonb) AS "coalesce"
            FROM ( SELECT mine.currency,
                     sum(mine.cost) AS cost
                    FROM mine
                   WHERE (mine.currency IS NOT NULL)
                   GROUP BY mine.currency) c), 'by_model', ( SELECT COALESCE(jsonb_agg(to_jsonb(b.*) ORDER BY b.model), '[]'::jsonb) AS "coalesce"
            FROM by_model b)) AS jsonb_build_object;
END;

COMMENT ON FUNCTION aigw_api.usage("from" timestamp with time zone, "to" timestamp with time zone) IS 'POST /rpc/usage {"from": ..., "to": ...}: the caller''s requests, tokens and spend in [from, to), per model (its own rows only, by row-level security).';

REVOKE ALL ON FUNCTION aigw_api.balance() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw_api.balance() TO aigw_user;

REVOKE ALL ON FUNCTION aigw_api.chat_completions(jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw_api.chat_completions(jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw_api.embeddings(jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw_api.embeddings(jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw_api.messages(jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw_api.messages(jsonb) TO aigw_user;

REVOKE ALL ON FUNCTION aigw_api.models() FROM PUBLIC;
GRANT ALL ON FUNCTION aigw_api.models() TO aigw_user;

REVOKE ALL ON FUNCTION aigw_api.usage("from" timestamp with time zone, "to" timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION aigw_api.usage("from" timestamp with time zone, "to" timestamp with time zone) TO aigw_user;
