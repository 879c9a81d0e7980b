#!/usr/bin/env bash
# The demo: set up, start a throwaway cluster and the mock provider, open a
# wallet in CNY and top it up, enrich a 1,000-row table with one CALL
# aigw.enrich (64 calls in flight, each reserved, then charged at
# gpt-4o-mini's USD price converted to CNY), and print the usage summary and
# the wallet's statement; then route one question with auto/cheapest at a quality floor
# and show a failing model falling back.  Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
AIGW_RUN=/tmp/aigw-demo
source scripts/cluster.sh
trap aigw_cleanup EXIT

echo "== starting a throwaway cluster in $AIGW_RUN and the mock provider (20 ms per answer)"
aigw_start_cluster
aigw_start_mock --latency-ms 20
aigw_use_mock postgres >/dev/null

psql_q >/dev/null <<'SQL'
-- a wallet in yuan paying a model priced in dollars, topped up through Alipay
SELECT aigw.set_fx('USD', 'CNY', 7.1);
SELECT aigw.create_wallet('analytics', 'CNY');
SELECT aigw.topup('analytics', 50, 'CNY', 'alipay', 'demo-2026112922001');
ALTER ROLE postgres SET aigw.wallet = 'analytics';
CREATE TABLE reviews (id int PRIMARY KEY, body text NOT NULL, summary text);
INSERT INTO reviews (id, body)
SELECT g, format('Review %s: the %s arrived %s and works %s.', g,
                 (ARRAY['kettle','lamp','chair','router'])[1 + g % 4],
                 (ARRAY['early','late','on time'])[1 + g % 3],
                 (ARRAY['well','badly','as expected'])[1 + g % 3])
  FROM generate_series(1, 1000) g;
SQL

echo "== wallet 'analytics' opened in CNY and topped up with 50 CNY (USD->CNY at 7.1)"
echo "== enriching 1,000 rows in one statement, 64 calls in flight:"
echo "   CALL aigw.enrich('reviews', 'summary', 'Summarize in five words: {{body}}', 'openai/gpt-4o-mini', ...)"
start=$(date +%s.%N)
psql_q -c "CALL aigw.enrich('reviews', 'summary', 'Summarize in five words: {{body}}', 'openai/gpt-4o-mini',
                            '{\"concurrency\": 64, \"chunk_size\": 250, \"tags\": {\"job\": \"demo\"}}')" 2>&1 | sed 's/^NOTICE:  /   /'
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "   done in %.1f s: %.0f rows/s\n", e - s, 1000 / (e - s) }'

psql_q -P pager=off <<'SQL'
\echo == a few enriched rows
SELECT id, body, summary FROM reviews ORDER BY id LIMIT 3;
\echo == summary from aigw.requests
SELECT count(*)                                                      AS calls,
       count(*) FILTER (WHERE status = 'ok')                         AS ok,
       sum(prompt_tokens)                                            AS prompt_tokens,
       sum(completion_tokens)                                        AS completion_tokens,
       round(percentile_cont(0.5)  WITHIN GROUP (ORDER BY latency_ms)::numeric, 1) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)::numeric, 1) AS p95_ms,
       sum(cost) || ' ' || min(currency)                             AS cost
  FROM aigw.requests WHERE tags->>'job' = 'demo';
\echo == statement of wallet analytics
SELECT line, model, items, amount, currency
  FROM aigw.statement('analytics', now() - interval '1 hour', now() + interval '1 hour');
\echo == the books balance (aigw.verify_ledger() lists the wallets that do not):
SELECT count(*) AS unbalanced_wallets FROM aigw.verify_ledger();
SQL

psql_q -P pager=off <<'SQL'
\echo == routing: the cheapest model that scores at least 40 (of 280 in the catalogue)
SELECT r->'aigw'->>'served_model' AS served_by,
       r->'aigw'->'route'->'chosen'->0->>'quality' AS quality,
       r->'aigw'->'route'->'chosen'->0->>'expected_cost_usd' AS expected_usd,
       (r->'aigw'->>'cost') || ' ' || (r->'aigw'->>'currency') AS charged
  FROM aigw.auto('cheapest', '[{"role": "user", "content": "Which product gets the worst reviews?"}]',
                 '{"min_quality": 40}') r;
\echo == fallback: a model whose provider answers 503 (the mock is told to), then the next
\o /dev/null
INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens)
     VALUES ('openai/flaky', 'openai', 'gpt-4o-mini?status=503', 128000, 16384);
SELECT aigw.set_price('openai/flaky', 0.15, 0.6);
\o
SELECT a->>'attempt' AS attempt, a->>'model' AS model, a->>'status' AS status, a->>'http_status' AS http
  FROM aigw.chat('openai/flaky', '[{"role": "user", "content": "hi"}]',
                 '{"fallbacks": ["deepseek/deepseek-v4-flash"]}') r,
       jsonb_array_elements(r->'aigw'->'attempts') a;
SQL
