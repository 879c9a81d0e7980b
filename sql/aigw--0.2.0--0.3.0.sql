-- aigw 0.3.0: native provider protocols (Anthropic Messages, Gemini,
-- Bedrock Converse signed with SigV4, Azure OpenAI), the native Anthropic
-- surface, and a catalogue of priced models.

\echo Use "ALTER EXTENSION aigw UPDATE TO '0.3.0'" to load this file. \quit

--------------------------------------------------------------------------
-- Providers: the protocols' own auth schemes and version pins.
--------------------------------------------------------------------------
ALTER TABLE aigw.providers DROP CONSTRAINT providers_auth_scheme_check;
ALTER TABLE aigw.providers ADD CONSTRAINT providers_auth_scheme_check
    CHECK (auth_scheme IN ('bearer', 'x-api-key', 'api-key', 'x-goog-api-key', 'query-key', 'sigv4', 'none'));
ALTER TABLE aigw.providers ADD COLUMN api_version text;
COMMENT ON COLUMN aigw.providers.api_version IS
    'Protocol version pinned for this provider: Anthropic''s anthropic-version header (2023-06-01), Azure OpenAI''s api-version query parameter.';
COMMENT ON COLUMN aigw.providers.auth_scheme IS
    'How the credential set with aigw.set_credential is sent: bearer = "Authorization: Bearer <secret>"; x-api-key, api-key, x-goog-api-key = a header of that name; query-key = ?key=<secret>; sigv4 = AWS Signature Version 4 from a JSON credential {"access_key_id", "secret_access_key", "session_token", "region"}; none = no credential.';

--------------------------------------------------------------------------
-- Cache writes are their own token class (Anthropic, Bedrock), priced at
-- aigw.prices.cache_write_per_mtok.
--------------------------------------------------------------------------
ALTER TABLE aigw.requests ADD COLUMN cache_write_tokens integer;
COMMENT ON COLUMN aigw.requests.prompt_tokens IS
    'Every prompt token, whatever the provider calls them: OpenAI prompt_tokens; Anthropic input_tokens + cache_creation_input_tokens + cache_read_input_tokens; Gemini promptTokenCount; Bedrock inputTokens + cacheReadInputTokens + cacheWriteInputTokens.';
COMMENT ON COLUMN aigw.requests.cached_tokens IS
    'The part of prompt_tokens read from the provider''s cache (OpenAI cached_tokens, DeepSeek prompt_cache_hit_tokens, Anthropic cache_read_input_tokens, Gemini cachedContentTokenCount, Bedrock cacheReadInputTokens).';
COMMENT ON COLUMN aigw.requests.cache_write_tokens IS
    'The part of prompt_tokens written to the provider''s cache (Anthropic cache_creation_input_tokens, Bedrock cacheWriteInputTokens).';
COMMENT ON COLUMN aigw.requests.completion_tokens IS
    'Every output token, reasoning included (OpenAI completion_tokens; Anthropic output_tokens; Gemini candidatesTokenCount + thoughtsTokenCount; Bedrock outputTokens).';
COMMENT ON COLUMN aigw.requests.reasoning_tokens IS
    'The part of completion_tokens spent reasoning (OpenAI reasoning_tokens, Gemini thoughtsTokenCount).';

DROP FUNCTION aigw.token_cost(bigint, bigint, bigint, bigint, numeric, numeric, numeric, numeric);
CREATE FUNCTION aigw.token_cost(prompt_tokens bigint, cached_tokens bigint, cache_write_tokens bigint,
                                completion_tokens bigint, reasoning_tokens bigint,
                                input_per_mtok numeric, output_per_mtok numeric,
                                cached_input_per_mtok numeric DEFAULT NULL,
                                cache_write_per_mtok numeric DEFAULT NULL,
                                reasoning_per_mtok numeric DEFAULT NULL)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale((
          greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0) - coalesce(cache_write_tokens, 0), 0) * input_per_mtok
        + least(coalesce(cached_tokens, 0), coalesce(prompt_tokens, 0)) * coalesce(cached_input_per_mtok, input_per_mtok)
        + least(coalesce(cache_write_tokens, 0), greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0), 0))
              * coalesce(cache_write_per_mtok, input_per_mtok)
        + greatest(coalesce(completion_tokens, 0) - coalesce(reasoning_tokens, 0), 0) * output_per_mtok
        + least(coalesce(reasoning_tokens, 0), coalesce(completion_tokens, 0)) * coalesce(reasoning_per_mtok, output_per_mtok)
       ) / 1000000);
COMMENT ON FUNCTION aigw.token_cost(bigint, bigint, bigint, bigint, bigint, numeric, numeric, numeric, numeric, numeric) IS
    'Exact cost of a usage at per-million-token rates: prompt tokens neither read from nor written to the cache at the input rate, cache reads at the cached rate, cache writes at the cache-write rate, completion tokens at the output rate except reasoning tokens at the reasoning rate.';

DROP FUNCTION aigw.billing_quote(text, text, timestamptz);
CREATE FUNCTION aigw.billing_quote(wallet_name text, model_id text, at timestamptz)
RETURNS TABLE (wallets_exist boolean, wallet_id bigint, wallet_xmin xid, wallet_owner oid,
               wallet_enabled boolean, currency text, scale integer, credit_limit_units bigint,
               price_currency text, input_per_mtok text, output_per_mtok text,
               cached_input_per_mtok text, reasoning_per_mtok text,
               max_input_rate numeric, max_output_rate numeric, fx numeric, fx_rate text,
               model_max_output_tokens bigint, model_context_window bigint,
               balance_units bigint, balance_version bigint, price_scale integer,
               valid_until timestamptz, cache_write_per_mtok text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM aigw.wallets),
           w.id, w.xmin, w.owner::oid, w.enabled, w.currency, c.minor_units + 6,
           (w.credit_limit * 10::numeric ^ (c.minor_units + 6))::bigint,
           p.currency, p.input_per_mtok::text, p.output_per_mtok::text,
           p.cached_input_per_mtok::text, p.reasoning_per_mtok::text,
           greatest(p.input_per_mtok, coalesce(p.cached_input_per_mtok, 0), coalesce(p.cache_write_per_mtok, 0)),
           greatest(p.output_per_mtok, coalesce(p.reasoning_per_mtok, 0)),
           coalesce(fx.direct, fx.inverse),
           CASE WHEN p.currency <> w.currency THEN coalesce(fx.direct, fx.inverse)::text END,
           m.max_output_tokens, m.context_window,
           (b.balance * 10::numeric ^ (c.minor_units + 6))::bigint, b.version,
           pc.minor_units + 6,
           least(p.valid_to, next_price.valid_from, fx.direct_to, fx.inverse_to, fx.next_direct_from,
                 fx.next_inverse_from),
           p.cache_write_per_mtok::text
      FROM (SELECT 1) AS one
      LEFT JOIN aigw.wallets w ON w.name = wallet_name
      LEFT JOIN aigw.currencies c ON c.code = w.currency
      LEFT JOIN aigw.wallet_balances b ON b.wallet_id = w.id
      LEFT JOIN aigw.models m ON m.id = model_id
      -- a price in the wallet's currency wins; otherwise USD; otherwise any
      LEFT JOIN LATERAL (
            SELECT pr.* FROM aigw.prices pr
             WHERE pr.model = model_id AND pr.valid_from <= at AND (pr.valid_to IS NULL OR pr.valid_to > at)
             ORDER BY pr.currency = w.currency DESC NULLS LAST, pr.currency = 'USD' DESC, pr.currency
             LIMIT 1) p ON true
      LEFT JOIN aigw.currencies pc ON pc.code = p.currency
      LEFT JOIN LATERAL (SELECT min(nx.valid_from) AS valid_from FROM aigw.prices nx
                          WHERE nx.model = model_id AND nx.valid_from > at) next_price ON true
      -- aigw.fx_rate() written out (a function body with a subquery is never
      -- inlined), with the bounds of the periods it used
      LEFT JOIN LATERAL (
            SELECT CASE WHEN p.currency = w.currency THEN 1 ELSE d.rate END AS direct,
                   CASE WHEN p.currency <> w.currency AND d.rate IS NULL THEN round(1 / i.rate, 15) END AS inverse,
                   d.valid_to AS direct_to, i.valid_to AS inverse_to,
                   (SELECT min(nx.valid_from) FROM aigw.fx_rates nx
                     WHERE nx.base = p.currency AND nx.quote = w.currency AND nx.valid_from > at) AS next_direct_from,
                   (SELECT min(nx.valid_from) FROM aigw.fx_rates nx
                     WHERE nx.base = w.currency AND nx.quote = p.currency AND nx.valid_from > at) AS next_inverse_from
              FROM (SELECT 1) AS one
              LEFT JOIN aigw.fx_rates d ON d.base = p.currency AND d.quote = w.currency
                    AND d.valid_from <= at AND (d.valid_to IS NULL OR d.valid_to > at)
              LEFT JOIN aigw.fx_rates i ON i.base = w.currency AND i.quote = p.currency
                    AND i.valid_from <= at AND (i.valid_to IS NULL OR i.valid_to > at)) fx ON true;
END;
REVOKE ALL ON FUNCTION aigw.billing_quote(text, text, timestamptz) FROM PUBLIC;

--------------------------------------------------------------------------
-- AWS Signature Version 4 (Bedrock), exposed for its test vectors only.
--------------------------------------------------------------------------
CREATE FUNCTION aigw.sigv4_debug(context jsonb, request text)
RETURNS TABLE (canonical_request text, string_to_sign text, signature text, authorization text)
AS 'MODULE_PATHNAME', 'aigw_sigv4_debug' LANGUAGE C STRICT;
COMMENT ON FUNCTION aigw.sigv4_debug(jsonb, text) IS
    'Signs a raw HTTP request (request line, headers, blank line, body) with AWS Signature Version 4 as described by a context.json of AWS''s test suite (credentials, region, service, timestamp, normalize, sign_body, omit_session_token) and returns the canonical request, string to sign, signature and Authorization header. For testing the signer; sends nothing.';
REVOKE ALL ON FUNCTION aigw.sigv4_debug(jsonb, text) FROM PUBLIC;

-- BEGIN GENERATED CATALOGUE
-- END GENERATED CATALOGUE
