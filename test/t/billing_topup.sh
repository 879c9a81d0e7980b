#!/usr/bin/env bash
# Invariant 7: a top-up is idempotent by (rail, external_ref).  The same
# payment reported by 10 sessions at once is credited once, and every one
# of them gets the same ledger id; different payments all count.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 13
sql "SELECT aigw.create_wallet('w', 'IDR')" >/dev/null

sessions 10 "SELECT aigw.topup('w', 150000, 'IDR', 'qris', 'QRIS-20261129-0001')"
is "$session_failures" 0 "10 sessions reported the same payment without error"
is "$(cat "$AIGW_RUN"/session.* | sort -u | wc -l)" 1 "all 10 got the same ledger id"
is "$(sql "SELECT count(*) FROM aigw.ledger")" 1 "the ledger has one row"
is "$(sql "SELECT aigw.balance('w')")" "150000.000000" "the wallet was credited once"

sessions 10 "SELECT aigw.topup('w', 1000, 'IDR', 'qris', 'QRIS-20261129-1{s}')"
is "$(cat "$AIGW_RUN"/session.* | sort -u | wc -l)" 10 "10 different payments get 10 ledger ids"
is "$(sql "SELECT aigw.balance('w')")" "160000.000000" "and all are credited"

# The same reference with another amount is an error, not a second credit.
sessions 5 "SELECT aigw.topup('w', 2{s}000, 'IDR', 'qris', 'QRIS-20261129-0001')"
is "$session_failures" 5 "a reused reference with other amounts is refused"
grep -q "already records this payment" "$AIGW_RUN/session.1"; ok $? "saying which ledger entry already records it"
is "$(sql "SELECT aigw.balance('w')")" "160000.000000" "and credits nothing"

# A top-up commits on its own, like a charge: rolling back the caller does
# not undo a credit it was told about, and reporting it again is harmless.
first=$(sql "BEGIN; SELECT aigw.topup('w', 500, 'IDR', 'card', 'ch_rollback'); ROLLBACK;")
is "$(sql "SELECT kind || ' ' || amount || ' ' || external_ref FROM aigw.ledger WHERE id = ${first:-0}")" "topup 500.000000 ch_rollback" \
   "a top-up whose caller rolled back is in the ledger, under the id it returned"
again=$(sql "SELECT aigw.topup('w', 500, 'IDR', 'card', 'ch_rollback')")
is "$again" "$first" "a top-up retried after the caller rolled back returns the same id"
is "$(sql "SELECT aigw.balance('w')")" "160500.000000" "and is credited once"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" 0 "verify_ledger finds nothing wrong"
finish
