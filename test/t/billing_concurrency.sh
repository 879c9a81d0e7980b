#!/usr/bin/env bash
# Invariant 3: 64 sessions call at once on one wallet that can afford
# exactly K = 20 worst-case reservations.  At most K calls reach the
# provider, the rest fail before sending anything, and the balance ends
# exactly at minus the credit limit, never below.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 16
# Output is $1 per million tokens, input free: the worst case of a call is
# max_output_tokens (1000) x $1/Mtok = $0.001, and the mock reports exactly
# 1000 completion tokens, so each call costs its whole reservation.  It
# answers after 4 s so that all 64 sessions ask while the first K are still
# in flight.
sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens)
     VALUES ('openai/paid', 'openai', 'gpt-4o-mini?latency_ms=4000&prompt_tokens=10&completion_tokens=1000', 1000)"
sql "SELECT aigw.set_price('openai/paid', 0, 1)"
# balance 0.01 + credit limit 0.01 = 0.02 = 20 reservations of 0.001
sql "SELECT aigw.create_wallet('shared', 'USD', credit_limit => 0.01)" >/dev/null
sql "SELECT aigw.topup('shared', 0.01, 'USD', 'manual', 'seed')" >/dev/null
mock_reset

# While they run, sample the wallet's reservations (from shared memory).
sample() {
    while :; do
        sql "SELECT reserved || ' ' || calls_in_flight FROM aigw.wallet_status WHERE wallet = 'shared'"
        sleep 0.05
    done >"$AIGW_RUN/reservations" 2>/dev/null
}
sample &
sampler=$!
sessions 64 "SET aigw.wallet = 'shared'; SELECT aigw.ask('openai/paid', 'session {s}')"
kill $sampler; wait $sampler 2>/dev/null
served=$(grep -l "^Mock reply to: session" "$AIGW_RUN"/session.* | wc -l)
refused=$(grep -l 'cannot cover a call' "$AIGW_RUN"/session.* | wc -l)
echo "# 64 sessions: $served served, $refused refused, in $session_ms ms"
is "$served" 20 "exactly K = 20 calls were served"
is "$refused" 44 "the other 44 were refused with 'cannot cover'"
is "$session_failures" 44 "the refused sessions got an error"
is "$(mock_stat requests_total)" 20 "the provider received exactly K requests"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE requested_model = 'openai/paid'")" 20 "only the K sent calls are logged"
is "$(sql "SELECT aigw.balance('shared')")" "-0.01000000" "the balance ends at minus the credit limit"
echo "# $(wc -l <"$AIGW_RUN/reservations") samples of the reservations while the calls ran"
is "$(sort -n "$AIGW_RUN/reservations" | tail -1)" "0.02000000 20" \
   "at the peak, K = 20 calls were in flight holding 0.02 (balance + credit limit), never more"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"
is "$(sql "SELECT reserved, calls_in_flight FROM aigw.wallet_status")" "0.00000000|0" "no reservation is left behind"

# The refused callers got the figures that explain the refusal.
grep -h 'DETAIL' "$AIGW_RUN"/session.* | head -1 | sed 's/^/# /'
grep -q 'DETAIL:  The call may cost up to 0.00100000 USD' "$AIGW_RUN"/session.*; ok $? "the error states what the call needed"

# Once the wallet is topped up, calls go through again.
sql "SELECT aigw.topup('shared', 1, 'USD', 'manual', 'refill')" >/dev/null
is "$(sql "SELECT aigw.ask('openai/paid', 'after refill', '{\"wallet\": \"shared\", \"tags\": {\"k\": 1}}')")" "Mock reply to: after refill" "a topped-up wallet pays again"

# A worker updates a balance row where it last left it.  Once the table is
# rewritten the rows are elsewhere (and that place may be another wallet's):
# each wallet still gets exactly its own charges.
sql "SELECT aigw.create_wallet('left', 'USD'), aigw.create_wallet('right', 'USD')" >/dev/null
sql "SELECT aigw.topup('left', 1, 'USD', 'manual', 'left-1'), aigw.topup('right', 1, 'USD', 'manual', 'right-1')" >/dev/null
charge_both() {					# four paid calls; returns how many failed
    local w failures=0
    for w in left right right left; do
        sql "SELECT aigw.ask('openai/paid', 'moving $w', '{\"wallet\": \"$w\"}')" >/dev/null || failures=$((failures + 1))
    done
    return $failures
}
charge_both; ok $? "four paid calls, two on each wallet, all answered"
sql "VACUUM FULL aigw.wallet_balances"
charge_both; ok $? "after the balance table was rewritten, four more, all answered"
is "$(sql "SELECT string_agg(w.name || ' ' || (SELECT count(*) FROM aigw.ledger l WHERE l.wallet_id = w.id AND l.kind = 'charge'), ', ' ORDER BY w.name)
             FROM aigw.wallets w WHERE w.name IN ('left', 'right')")" "left 4, right 4" "each wallet was charged for its own 4 calls"
is "$(sql "SELECT string_agg(w.name || ' ' || (b.balance = 1 - (SELECT coalesce(sum(r.cost), 0) FROM aigw.requests r WHERE r.wallet_id = w.id))
                                  || ' ' || (b.balance = (SELECT sum(l.amount) FROM aigw.ledger l WHERE l.wallet_id = w.id)), ', ' ORDER BY w.name)
             FROM aigw.wallets w JOIN aigw.wallet_balances b ON b.wallet_id = w.id WHERE w.name IN ('left', 'right')")" \
   "left true true, right true true" "after the balance table was rewritten, each wallet's balance is its own ledger's"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "... and verify_ledger finds nothing wrong"
finish
