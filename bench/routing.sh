#!/usr/bin/env bash
# The seed's cost case: what auto/cheapest at a quality floor saves.
#
# A fixed workload of mixed requests (short and long prompts, max_tokens
# from 64 to 4,096) runs three times through aigw.chat against the mock, over
# the shipped catalogue (its real models, prices and quality scores):
#   1. auto/cheapest with min_quality at each of FLOORS;
#   2. always the best model (auto/best's choice: the highest quality score);
#   3. always one mid-priced model (the median price among the models that
#      meet FLOOR).
# Cost is what aigw logged for each call (the mock's usage at each model's
# price).  The mock answers briefly (about 25 tokens), so a second figure
# projects each call with an answer as long as its max_tokens, at the price of
# the model that served it.  Last, the routing overhead: the time to plan a
# call over the whole catalogue (aigw.route_explain) and the p50 latency of
# auto/cheapest against a direct call to the model it picks.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-300}
FLOOR=${FLOOR:-40}             # the floor of the headline figure and of the mid-priced model
FLOORS=${FLOORS:-"30 40 50 55"}  # auto/cheapest runs at each
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench-routing AIGW_PORT=54421
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster
aigw_start_mock
aigw_use_mock postgres >/dev/null

psql_q <<SQL
-- The workload: deterministic; 60 % short prompts (20-200 words), 40 % long
-- (1,000-12,000 words, up to ~16k tokens); max_tokens 64, 256, 1024 or 4096.
SELECT setseed(0.42);
CREATE TABLE workload AS
SELECT i,
       jsonb_build_array(jsonb_build_object('role', 'user', 'content',
           'Request ' || i || ': ' || repeat('lorem ipsum dolor sit amet ',
               CASE WHEN random() < 0.6 THEN 4 + (random() * 36)::int ELSE 200 + (random() * 2200)::int END))) AS messages,
       (ARRAY[64, 256, 1024, 4096])[1 + floor(random() * 4)::int] AS max_tokens
  FROM generate_series(1, $N) i;
SELECT count(*) AS requests,
       round(avg(length(messages::text))) AS avg_bytes,
       max(length(messages::text)) AS max_bytes,
       round(avg(max_tokens)) AS avg_max_tokens
  FROM workload;
SQL

best=$(psql_q -At -c "SELECT aigw.route_explain('auto/best', '[{\"role\":\"user\",\"content\":\"hi\"}]')->'candidates'->>0")
mid=$(psql_q -At -c "
  SELECT m.id FROM aigw.models m JOIN aigw.prices p ON p.model = m.id AND p.valid_to IS NULL AND p.currency = 'USD'
   WHERE m.quality >= $FLOOR AND m.enabled AND m.context_window >= 100000
   ORDER BY p.input_per_mtok + p.output_per_mtok, m.id
   OFFSET (SELECT count(*) / 2 FROM aigw.models m JOIN aigw.prices p ON p.model = m.id AND p.valid_to IS NULL AND p.currency = 'USD'
            WHERE m.quality >= $FLOOR AND m.enabled AND m.context_window >= 100000) LIMIT 1")
echo "floor: min_quality $FLOOR; best model: $best; mid-priced model above the floor: $mid"

run_policy() {    # run_policy NAME MODEL OPTIONS-SQL
    psql_q -c "SELECT count(aigw.chat('$2', messages,
                   jsonb_build_object('max_tokens', max_tokens,
                                      'tags', jsonb_build_object('policy', '$1', 'i', i)) || $3))
                 FROM workload" >/dev/null
}
for fl in $FLOORS; do
    t0=$(date +%s%N)
    run_policy "cheapest@$fl" auto/cheapest "jsonb_build_object('min_quality', $fl)"
    t1=$(date +%s%N)
done
run_policy best "$best" "'{}'::jsonb"
run_policy mid "$mid" "'{}'::jsonb"

psql_q <<SQL
\echo
\echo cost of the workload per policy, USD (projected: each answer as long as its max_tokens)
CREATE TEMP TABLE costs AS
SELECT r.tags->>'policy' AS policy, count(*) AS calls,
       count(*) FILTER (WHERE r.status <> 'ok') AS failed,
       sum(r.prompt_tokens) AS prompt_tokens, sum(r.completion_tokens) AS completion_tokens,
       sum(r.cost) AS logged,
       sum((r.prompt_tokens * p.input_per_mtok
            + least(w.max_tokens, coalesce(m.max_output_tokens, w.max_tokens)) * p.output_per_mtok) / 1e6)
         FILTER (WHERE r.status = 'ok') AS projected
  FROM aigw.requests r
  JOIN workload w ON w.i = (r.tags->>'i')::int
  JOIN aigw.models m ON m.id = r.served_model
  LEFT JOIN aigw.prices p ON p.model = r.served_model AND p.currency = 'USD'
       AND p.valid_from <= r.created_at AND (p.valid_to IS NULL OR p.valid_to > r.created_at)
 GROUP BY 1;
SELECT policy, calls, failed, prompt_tokens, completion_tokens,
       round(logged, 4) AS logged_usd, round(projected, 4) AS projected_usd
  FROM costs ORDER BY logged DESC;
SELECT policy AS "auto/cheapest at", string_agg(served_model || ' (q ' || quality || ') x' || n, ', ' ORDER BY n DESC, served_model) AS served
  FROM (SELECT tags->>'policy' AS policy, served_model, count(*) AS n FROM aigw.requests
         WHERE tags->>'policy' LIKE 'cheapest@%' AND status = 'ok' GROUP BY 1, 2) s
  JOIN aigw.models m ON m.id = s.served_model
 GROUP BY 1 ORDER BY 1;
SELECT format('saving of auto/%s against always %s: %s %% logged, %s %% projected',
              c.policy, b.name, round(100 * (1 - c.logged / b.logged), 1), round(100 * (1 - c.projected / b.projected), 1))
  FROM costs c, (SELECT CASE policy WHEN 'best' THEN '$best' ELSE '$mid' END AS name, * FROM costs
                  WHERE policy IN ('best', 'mid')) b
 WHERE c.policy LIKE 'cheapest@%' ORDER BY b.logged DESC, c.policy;
SQL
echo "(the seed claims 20-40 %; the figure depends on the floor and on the baseline)"

# Routing overhead 1: planning alone, over the whole catalogue.
psql_q -At <<'SQL'
\set msgs '[{"role": "user", "content": "Summarize: PostgreSQL is a database."}]'
SELECT aigw.route_explain('auto/cheapest', :'msgs', '{"min_quality": 40}') IS NOT NULL AS warm \gset
CREATE TEMP TABLE t AS SELECT clock_timestamp() AS t0;
SELECT count(aigw.route_explain('auto/cheapest', :'msgs', '{"min_quality": 40}')) FROM generate_series(1, 5000);
SELECT 'planning auto/cheapest over ' || (SELECT count(*) FROM aigw.models) || ' models: '
       || round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / 5000, 1) || ' us per call (route_explain, JSON decision included)'
  FROM t;
SQL

# Routing overhead 2: end to end, p50 of auto/cheapest against a direct call
# to the model it picks; the two alternate, four rounds each, so that drift
# of this 2-core machine falls on both alike.
pick=$(psql_q -At -c "SELECT aigw.route_explain('auto/cheapest', '[{\"role\":\"user\",\"content\":\"hi\"}]', '{\"min_quality\": $FLOOR}')->'candidates'->>0")
echo "SELECT aigw.chat('auto/cheapest', '[{\"role\": \"user\", \"content\": \"hi\"}]', '{\"min_quality\": $FLOOR}');" > "$AIGW_RUN/auto.sql"
echo "SELECT aigw.chat('$pick', '[{\"role\": \"user\", \"content\": \"hi\"}]');" > "$AIGW_RUN/direct.sql"
for round in 1 2 3 4; do
    for f in direct auto; do
        (cd "$AIGW_RUN" && "$PGBIN/pgbench" -n -c 1 -t 1000 -f $f.sql -l --log-prefix=$f.$round postgres >/dev/null 2>&1)
    done
done
for f in direct auto; do cat "$AIGW_RUN"/$f.[0-9].[0-9]* | awk '{print $3}' > "$AIGW_RUN/$f.us"; done
python3 - "$AIGW_RUN/auto.us" "$AIGW_RUN/direct.us" "$pick" <<'PY'
import sys
def load(p): return sorted(float(x) for x in open(p) if x.strip())
a, d = load(sys.argv[1]), load(sys.argv[2])
p50 = lambda v: v[len(v) // 2]
print(f"p50 latency over {len(a)} calls each: auto/cheapest {p50(a):.0f} us, {sys.argv[3]} directly {p50(d):.0f} us: "
      f"routing overhead {p50(a) - p50(d):.0f} us per call")
PY
echo "wall time of the last auto/cheapest run: $(( (t1 - t0) / 1000000 )) ms for $N calls"
