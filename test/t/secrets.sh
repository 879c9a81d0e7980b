#!/usr/bin/env bash
# An API key never shows up in the server log, pg_stat_activity, the request
# log or an error message, whatever goes wrong.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 8
canary=sk-canary-4f1c9e7b2d
# (the mock checks the key before a hang=1 but after the latency: a call with
# a wrong key stays in flight only by waiting)
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('mistral/hang', 'mistral', 'x?latency_ms=10000')"
sql "SELECT aigw.set_credential('mistral', '$canary')" >/dev/null

out=$( {
  sql "SELECT aigw.ask('mistral/mistral-small-latest', 'hi')"          # 401 from the mock
  sql "SELECT aigw.set_credential('nosuch', '$canary')"                # unknown provider
  sql "SELECT aigw.set_credential('mistral', '$canary ')"              # bad secret
  sql "SELECT aigw.set_credential('mistral', '{\"access_key_id\": \"$canary\"}')"  # incomplete JSON credential
  sql "SELECT aigw.ask('mistral/mistral-small-latest', 'hi', '{\"timeout_ms\": 0}')"
} 2>&1 )
echo "$out" | grep -q "returned HTTP 401"; ok $? "the wrong key was refused by the provider"
echo "$out" | grep -q "a JSON credential must be an object"; ok $? "an incomplete JSON credential was refused"
echo "$out" | grep -q "$canary"; [ $? -ne 0 ]; ok $? "no error message carries the key"

sql "SET statement_timeout = '3s'; SELECT aigw.ask('mistral/hang', 'hi')" >/dev/null 2>&1 &
bg=$!
in_flight() { sql "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%mistral/hang%' AND pid <> pg_backend_pid()"; }
wait_for 5 '[ -n "$(in_flight)" ]'; ok $? "a call with the key is in flight"
activity=$(sql "SELECT coalesce(query, '') || application_name || backend_type FROM pg_stat_activity")
# (the call is in the same snapshot, so it was still in flight)
echo "$activity" | grep -q "mistral/hang" && ! echo "$activity" | grep -q "$canary"; ok $? "pg_stat_activity shows no key while a call is in flight"
wait $bg

[ -s "$AIGW_RUN/server.log" ] && ! grep -q "$canary" "$AIGW_RUN/server.log"; ok $? "the server log has no key (even for a failed set_credential)"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE row_to_json(requests)::text LIKE '%$canary%'")" 0 "the request log has no key"
recorded=$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests?limit=20")
echo "$recorded" | grep -q '"authorization":"Bearer sk-c' ; ok $? "the key was sent as a bearer token to its own provider"
finish
