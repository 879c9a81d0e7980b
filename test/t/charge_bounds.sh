#!/usr/bin/env bash
# Invariant 9: a charge never exceeds its reservation, whatever an upstream
# reports.  The mock is told to report absurd usage (far above what the call
# could use, 1e15, negative, fractional, as strings, or none at all) on each
# wire protocol; the tokens charged stay within the bounds the reservation
# was computed from, the row keeps the upstream's own figures and says why
# they were not charged, and a wallet with no credit never goes below zero.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 35

sql "SELECT aigw.create_wallet('w', 'USD')" >/dev/null     # credit limit 0
sql "SELECT aigw.topup('w', 1, 'USD', 'test', 'bounds-1')" >/dev/null

declare -A upstream=([openai]=gpt-4o-mini [anthropic]=claude-sonnet-4-5 [gemini]=gemini-2.5-flash
                     [bedrock]=anthropic.claude-3-haiku-20240307-v1:0)
# model PROVIDER DIRECTIVES: a model of PROVIDER whose upstream is told
# DIRECTIVES, priced $2 / $8 per Mtok (made on first use); prints its id
model() {
    local id="$1/bounds-${2//[=&]/-}"
    if [ "$(sql "SELECT count(*) FROM aigw.models WHERE id = '$id'")" = 0 ]; then
        sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens)
             VALUES ('$id', '$1', '${upstream[$1]}?$2', 1000)" >/dev/null
        sql "SELECT aigw.set_price('$id', 2, 8)" >/dev/null
    fi
    echo "$id"
}
# call PROVIDER DIRECTIVES: one call of 5 completion tokens at most; prints
# its row: status, anomaly, prompt and completion tokens charged, whether
# the cost is the reservation, whether it is within it
call() {
    local m
    m=$(model "$1" "$2")
    sql "SELECT aigw.chat('$m', '[{\"role\": \"user\", \"content\": \"hi\"}]',
           '{\"wallet\": \"w\", \"max_tokens\": 5}') IS NOT NULL" >/dev/null
    sql "SELECT concat_ws(' ', status, coalesce(usage_anomaly, '-'), prompt_tokens, completion_tokens, cost = reserved, cost <= reserved)
           FROM aigw.requests WHERE served_model = '$m' ORDER BY id DESC LIMIT 1"
}
# bound PROVIDER DIRECTIVES: the prompt bound of that call, its request's bytes
bound() { sql "SELECT request_bytes FROM aigw.requests WHERE served_model = '$(model "$1" "$2")' ORDER BY id DESC LIMIT 1"; }
usage_of() { sql "SELECT upstream_usage->>'$3' FROM aigw.requests WHERE served_model = '$(model "$1" "$2")' ORDER BY id DESC LIMIT 1"; }

echo "# the counts above the bounds are charged at the bounds"
is "$(call openai completion_tokens=100000000)" "ok over_bound 5 5 f t" \
   "100,000,000 completion tokens against max_tokens 5: 5 charged, within the reservation"
is "$(usage_of openai completion_tokens=100000000 completion_tokens)" "100000000" \
   "the upstream's own figure is kept in upstream_usage"
r=$(call openai prompt_tokens=100000000)
b=$(bound openai prompt_tokens=100000000)
is "$r" "ok over_bound $b 5 t t" "100,000,000 prompt tokens: charged at the request's $b bytes"
for m in openai anthropic gemini bedrock; do
    r=$(call "$m" usage=huge)
    b=$(bound "$m" usage=huge)
    is "$r" "ok over_bound $b 5 t t" "$m: a usage of 1e15 is charged at the bounds, the reservation"
done
is "$(usage_of openai usage=huge prompt_tokens)" "1000000000000000" "1e15 is kept as the upstream sent it (no silent clamp to 2^31-1)"

echo "# usage the upstream left out, or sent broken, is charged at the reservation, never free"
for mode in missing negative string fraction absurd; do
    for m in openai anthropic gemini bedrock; do
        r=$(call "$m" "usage=$mode")
        b=$(bound "$m" "usage=$mode")
        is "$r" "ok missing $b 5 t t" "$m usage=$mode: charged its reservation, flagged missing"
    done
done
is "$(sql "SELECT count(*) FROM aigw.requests WHERE usage_anomaly = 'missing' AND (cost IS NULL OR cost = 0)")" "0" \
   "no call with broken usage was free"

echo "# within the bounds, usage is charged as reported"
is "$(call openai completion_tokens=3)" "ok - 5 3 f t" "3 completion tokens: charged 3, no anomaly"

echo "# the books"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE cost > reserved")" "0" "no row costs more than it reserved"
is "$(sql "SELECT count(*) FROM aigw.ledger l JOIN aigw.requests r ON r.id = l.request_id
            WHERE l.kind = 'charge' AND -l.amount > r.reserved")" "0" "no charge exceeds its reservation"
is "$(sql "SELECT aigw.balance('w') >= 0")" "t" "a wallet with no credit never went below zero"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "verify_ledger finds nothing wrong"
is "$(sql "SELECT string_agg(DISTINCT data_type, ',') FROM information_schema.columns
            WHERE table_schema = 'aigw' AND table_name = 'requests' AND column_name LIKE '%tokens'")" "bigint" \
   "every token column is bigint"
finish
