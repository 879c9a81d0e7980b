#!/usr/bin/env bash
# Billing overhead: calls/s with billing on versus billing off, the mock
# answering at once (0 ms), 64 pgbench clients all spending from ONE
# wallet.  With billing on each call also looks up its wallet and price,
# reserves in shared memory, and is charged in the worker's group commit
# (a ledger row per call, one balance update per wallet per commit).
# Target: billing on >= 80 % of billing off.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-64}
SECONDS_RUN=${SECONDS_RUN:-20}
ROUNDS=${ROUNDS:-2}
./scripts/setup.sh >/dev/null
AIGW_RUN=/tmp/aigw-bench-billing AIGW_PORT=54421
source scripts/cluster.sh
trap aigw_cleanup EXIT
aigw_start_cluster "max_connections = 300" "aigw.workers = ${WORKERS:-1}"
aigw_start_mock --latency-ms 0
aigw_use_mock postgres >/dev/null
psql_q >/dev/null <<'SQL'
SELECT aigw.create_wallet('bench', 'USD');
SELECT aigw.topup('bench', 1000000, 'USD', 'manual', 'bench');
ALTER ROLE postgres SET aigw.wallet = 'bench';
SQL

echo "SELECT aigw.chat('openai/gpt-4o-mini', '[{\"role\": \"user\", \"content\": \"Summarize: PostgreSQL is a database.\"}]');" > "$AIGW_RUN/chat.sql"
run() {				# run on|off: prints calls/s
    psql_q -c "ALTER ROLE postgres SET aigw.billing = $1" >/dev/null
    psql_q -c "SELECT aigw.ask('openai/gpt-4o-mini', 'warm up')" >/dev/null
    (cd "$AIGW_RUN" && "$PGBIN/pgbench" -n -c "$CLIENTS" -j 4 -T "$SECONDS_RUN" -f chat.sql postgres 2>&1) |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
off=(); on=()
for r in $(seq "$ROUNDS"); do
    off+=("$(run off)")
    on+=("$(run on)")
    echo "round $r: billing off ${off[-1]} calls/s, billing on ${on[-1]} calls/s"
done
charged=$(psql_q -At -c "SELECT count(*) FROM aigw.ledger WHERE kind = 'charge'")
books=$(psql_q -At -c "SELECT count(*) FROM aigw.verify_ledger()")
python3 - "$charged" "$books" "${off[*]}" "${on[*]}" <<'PY'
import sys, statistics
charged, books = sys.argv[1], sys.argv[2]
off = [float(x) for x in sys.argv[3].split()]
on = [float(x) for x in sys.argv[4].split()]
mo, mn = statistics.median(off), statistics.median(on)
print(f"billing off: {mo:.0f} calls/s; billing on: {mn:.0f} calls/s (medians of {len(off)} runs)")
print(f"ratio {mn / mo:.1%} ({'met' if mn / mo >= 0.80 else 'NOT met'}: target 80 %)")
print(f"charges in the ledger: {charged}; wallets whose books do not balance: {books}")
PY
