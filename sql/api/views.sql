-- Reports: the views over the request log, the ledger, jobs and health.

CREATE VIEW aigw.results AS
 SELECT submissions.id,
    submissions.status,
    submissions.response,
    submissions.error,
    submissions.call_id,
    submissions.model,
    submissions.submitted_at,
    submissions.started_at,
    submissions.finished_at
   FROM aigw.submissions
  WHERE ((submissions.role_name = CURRENT_USER) OR pg_has_role('aigw_admin'::name, 'USAGE'::text));

COMMENT ON VIEW aigw.results IS 'The calls this role submitted with aigw.submit, and their answers or errors once done (aigw.wait waits for them).';

CREATE VIEW aigw.credential_status AS
 SELECT p.name AS provider,
    p.auth_scheme,
    (c.provider IS NOT NULL) AS is_set,
    c.updated_at,
    c.updated_by,
    encode(SUBSTRING(c.ciphertext FROM 2 FOR 8), 'hex'::text) AS master_key_id
   FROM (aigw.providers p
     LEFT JOIN aigw.credentials c ON ((c.provider = p.name)));

COMMENT ON VIEW aigw.credential_status IS 'Which providers have a credential, when it was set, by whom, and the id of the master key it is encrypted under; never the secret.';

CREATE VIEW aigw.calls WITH (security_invoker='true') AS
 SELECT requests.call_id,
    min(requests.created_at) AS created_at,
    max(requests.finished_at) AS finished_at,
    (array_agg(requests.requested_model ORDER BY requests.attempt))[1] AS requested_model,
    max(requests.served_model) FILTER (WHERE (requests.status = 'ok'::text)) AS served_model,
    max(requests.provider) FILTER (WHERE (requests.status = 'ok'::text)) AS provider,
    count(*) AS attempts,
    (array_agg(requests.status ORDER BY requests.attempt DESC))[1] AS status,
    array_agg(((requests.served_model || ': '::text) ||
        CASE
            WHEN (requests.status = 'http_error'::text) THEN ('HTTP '::text || requests.http_status)
            ELSE requests.status
        END) ORDER BY requests.attempt) AS attempt_log,
    sum(requests.latency_ms) AS upstream_ms,
    sum(requests.cost) AS cost,
    max(requests.currency) AS currency,
    (array_agg(requests.route ORDER BY requests.attempt DESC))[1] AS route
   FROM aigw.requests
  GROUP BY requests.call_id;

COMMENT ON VIEW aigw.calls IS 'One row per call: the model that served it (NULL if none did), its attempts in order, their summed upstream time and cost, and the routing decision.';

CREATE VIEW aigw.job_progress WITH (security_invoker='true') AS
 SELECT j.id,
    j.source,
    j.target_column,
    j.model,
        CASE
            WHEN ((j.state = 'running'::text) AND (NOT (EXISTS ( SELECT 1
               FROM pg_stat_activity a
              WHERE (a.pid = j.backend_pid))))) THEN 'interrupted'::text
            ELSE j.state
        END AS state,
    j.rows_done,
    j.rows_failed,
    j.rows_total,
    round(((100.0 * ((j.rows_done + j.rows_failed))::numeric) / (NULLIF(j.rows_total, 0))::numeric), 1) AS pct,
    j.calls_in_flight,
    round((((j.rows_done + j.rows_failed))::numeric / NULLIF(EXTRACT(epoch FROM (j.updated_at - j.started_at)), (0)::numeric)), 1) AS rows_per_s,
        CASE
            WHEN ((j.state = 'running'::text) AND ((j.rows_done + j.rows_failed) > 0)) THEN ((j.updated_at - j.started_at) * ((((j.rows_total - j.rows_done) - j.rows_failed))::double precision / ((j.rows_done + j.rows_failed))::double precision))
            ELSE NULL::interval
        END AS eta,
    j.cost,
    j.currency,
    j.max_cost,
    j.role_name,
    j.started_at,
    j.updated_at,
    j.finished_at
   FROM aigw.jobs j;

COMMENT ON VIEW aigw.job_progress IS 'aigw.jobs with the percentage, the rate and the estimated time left of each run.';

CREATE VIEW aigw.limit_status WITH (security_invoker='true') AS
 SELECT l.id,
    l.role,
    l.wallet,
    l.enabled,
    l.requests_per_minute,
    COALESCE(u.requests_last_minute, 0) AS requests_last_minute,
    l.tokens_per_minute,
    COALESCE(u.tokens_last_minute, (0)::bigint) AS tokens_last_minute,
    l.max_in_flight,
    COALESCE(u.in_flight, 0) AS in_flight,
    l.spend_per_day,
    aigw.from_units(COALESCE(u.spent_today_units, (0)::bigint), l.currency) AS spent_today,
    aigw.from_units(COALESCE(u.reserved_units, (0)::bigint), l.currency) AS reserved,
    l.max_cost_per_call,
    l.allowed_models,
    l.currency
   FROM (aigw.limits l
     LEFT JOIN aigw.limit_usage() u(limit_id, requests_last_minute, tokens_last_minute, in_flight, spent_today_units, reserved_units) ON ((u.limit_id = l.id)));

COMMENT ON VIEW aigw.limit_status IS 'Each limit you may read and how much of it is used now (from shared memory: every session of this database).';

CREATE VIEW aigw.provider_health AS
 SELECT circuit_states.kind,
    circuit_states.name,
    circuit_states.state,
    circuit_states.consecutive_failures,
    circuit_states.window_requests,
    circuit_states.window_failures,
    round(((100.0 * (circuit_states.window_failures)::numeric) / (NULLIF(circuit_states.window_requests, 0))::numeric), 1) AS window_error_pct,
    circuit_states.requests,
    circuit_states.failures,
    circuit_states.times_opened,
    circuit_states.last_status,
    circuit_states.last_http_status,
    circuit_states.last_error,
    circuit_states.last_failure_at,
    circuit_states.last_success_at,
    circuit_states.opened_at,
        CASE
            WHEN (circuit_states.state <> 'closed'::text) THEN circuit_states.next_probe_at
            ELSE NULL::timestamp with time zone
        END AS next_probe_at,
    round((circuit_states.latency_ms)::numeric, 3) AS latency_ms,
    circuit_states.latency_samples
   FROM aigw.circuit_states() circuit_states(kind, name, state, consecutive_failures, window_requests, window_failures, requests, failures, times_opened, last_status, last_http_status, last_error, last_failure_at, last_success_at, opened_at, next_probe_at, latency_ms, latency_samples)
  ORDER BY circuit_states.kind DESC, circuit_states.name;

COMMENT ON VIEW aigw.provider_health IS 'Circuit breakers and latency estimates of this database''s providers and models, shared by every session: closed (calls pass), open (skipped until next_probe_at), half_open (the next call is a probe). Thresholds: aigw.circuit_failures, aigw.circuit_error_rate, aigw.circuit_min_requests, aigw.circuit_window, aigw.circuit_cooldown.';

CREATE VIEW aigw.spend_by_model WITH (security_invoker='true') AS
 SELECT w.name AS wallet,
    l.currency,
    l.model,
    l.provider,
    count(*) AS calls,
    (- sum(l.amount)) AS spend
   FROM (aigw.ledger l
     JOIN aigw.wallets w ON ((w.id = l.wallet_id)))
  WHERE (l.kind = 'charge'::text)
  GROUP BY w.name, l.currency, l.model, l.provider;

COMMENT ON VIEW aigw.spend_by_model IS 'Spend per wallet, model and provider.';

CREATE VIEW aigw.spend_by_role WITH (security_invoker='true') AS
 SELECT w.name AS wallet,
    l.currency,
    l.role_name,
    count(*) AS calls,
    (- sum(l.amount)) AS spend
   FROM (aigw.ledger l
     JOIN aigw.wallets w ON ((w.id = l.wallet_id)))
  WHERE (l.kind = 'charge'::text)
  GROUP BY w.name, l.currency, l.role_name;

COMMENT ON VIEW aigw.spend_by_role IS 'Spend per wallet and calling role.';

CREATE VIEW aigw.spend_by_tag WITH (security_invoker='true') AS
 SELECT w.name AS wallet,
    l.currency,
    t.key AS tag,
    t.value,
    count(*) AS calls,
    (- sum(l.amount)) AS spend
   FROM ((aigw.ledger l
     JOIN aigw.wallets w ON ((w.id = l.wallet_id)))
     CROSS JOIN LATERAL jsonb_each_text(l.tags) t(key, value))
  WHERE (l.kind = 'charge'::text)
  GROUP BY w.name, l.currency, t.key, t.value;

COMMENT ON VIEW aigw.spend_by_tag IS 'Spend per wallet and tag (key and value of the call option "tags").';

CREATE VIEW aigw.spend_daily WITH (security_invoker='true') AS
 SELECT date_trunc('day'::text, l.created_at) AS day,
    w.name AS wallet,
    l.currency,
    count(*) AS calls,
    (- sum(l.amount)) AS spend
   FROM (aigw.ledger l
     JOIN aigw.wallets w ON ((w.id = l.wallet_id)))
  WHERE (l.kind = 'charge'::text)
  GROUP BY (date_trunc('day'::text, l.created_at)), w.name, l.currency;

COMMENT ON VIEW aigw.spend_daily IS 'Spend per day and wallet, in the wallet currency.';

CREATE VIEW aigw.wallet_status WITH (security_invoker='true') AS
 SELECT w.name AS wallet,
    w.currency,
    b.balance,
    w.credit_limit,
    (aigw.from_units(COALESCE(r.reserved_units, (0)::bigint), w.currency) + b.held) AS reserved,
    (((b.balance + w.credit_limit) - aigw.from_units(COALESCE(r.reserved_units, (0)::bigint), w.currency)) - b.held) AS available,
    COALESCE(r.calls, 0) AS calls_in_flight,
    w.owner,
    w.enabled,
    b.held AS held_by_batches
   FROM ((aigw.wallets w
     JOIN aigw.wallet_balances b ON ((b.wallet_id = w.id)))
     LEFT JOIN aigw.wallet_reservations() r(wallet_id, reserved_units, calls, cached_balance_units, cached_version) ON ((r.wallet_id = w.id)));

COMMENT ON VIEW aigw.wallet_status IS 'Each wallet you may read: committed balance, amount reserved by calls in flight and by provider batches that are out (held_by_batches, part of reserved), and what is left to spend.';

GRANT SELECT ON TABLE aigw.results TO aigw_user;
GRANT SELECT ON TABLE aigw.results TO aigw_admin;

GRANT SELECT ON TABLE aigw.credential_status TO aigw_user;
GRANT SELECT ON TABLE aigw.credential_status TO aigw_reader;

GRANT SELECT ON TABLE aigw.calls TO aigw_user;
GRANT SELECT ON TABLE aigw.calls TO aigw_reader;

GRANT SELECT ON TABLE aigw.job_progress TO aigw_user;
GRANT SELECT ON TABLE aigw.job_progress TO aigw_reader;

GRANT SELECT ON TABLE aigw.limit_status TO aigw_user;
GRANT SELECT ON TABLE aigw.limit_status TO aigw_reader;

GRANT SELECT ON TABLE aigw.provider_health TO aigw_user;
GRANT SELECT ON TABLE aigw.provider_health TO aigw_reader;

GRANT SELECT ON TABLE aigw.spend_by_model TO aigw_user;
GRANT SELECT ON TABLE aigw.spend_by_model TO aigw_reader;

GRANT SELECT ON TABLE aigw.spend_by_role TO aigw_user;
GRANT SELECT ON TABLE aigw.spend_by_role TO aigw_reader;

GRANT SELECT ON TABLE aigw.spend_by_tag TO aigw_user;
GRANT SELECT ON TABLE aigw.spend_by_tag TO aigw_reader;

GRANT SELECT ON TABLE aigw.spend_daily TO aigw_user;
GRANT SELECT ON TABLE aigw.spend_daily TO aigw_reader;

GRANT SELECT ON TABLE aigw.wallet_status TO aigw_user;
GRANT SELECT ON TABLE aigw.wallet_status TO aigw_reader;

--
