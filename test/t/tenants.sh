#!/usr/bin/env bash
# Tenants: the three group roles, what each role sees (row-level security,
# checked by querying as each role), team and default wallets, and the
# PostgREST surface (aigw_api) replayed as PostgREST runs a request.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 73
M=openai/gpt-4o-mini
HI='[{"role": "user", "content": "hi"}]'
sent() { mock_stat requests_total; }

# Roles belong to the cluster: made once, reused by later runs.
sql "DO \$\$ BEGIN
       PERFORM 1 FROM pg_roles WHERE rolname = 'ten_alice';
       IF NOT FOUND THEN
         CREATE ROLE ten_alice; CREATE ROLE ten_bob; CREATE ROLE ten_reader; CREATE ROLE ten_admin;
         CREATE ROLE ten_nobody; CREATE ROLE ten_app; CREATE ROLE ten_auth LOGIN NOINHERIT;
         GRANT aigw_user TO ten_alice, ten_bob, ten_app; GRANT aigw_reader TO ten_reader;
         GRANT aigw_admin TO ten_admin; GRANT ten_app, ten_nobody TO ten_auth;
       END IF;
     END \$\$" >/dev/null

echo "# a role that was granted nothing can do nothing"
mock_reset
denied() { as ten_nobody "$1" 2>&1 | grep -qF "$2"; ok $? "nobody: $3"; }
denied "SELECT aigw.chat('$M', '$HI')" "permission denied for schema aigw" "cannot call a model"
denied "SELECT count(*) FROM aigw.requests" "permission denied for schema aigw" "cannot read the request log"
denied "SELECT count(*) FROM aigw.credentials" "permission denied for schema aigw" "cannot read a credential"
denied "SELECT aigw_api.chat_completions('{}')" "permission denied for schema aigw_api" "cannot use the HTTP API"
is "$(sent)" "0" "... and the mock got nothing"
is "$(sql "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'aigw\_%'")" \
   "aigw_admin,aigw_reader,aigw_user" "CREATE EXTENSION made the three group roles"

echo "# wallets made by an administrator; alice and bob call"
as ten_admin "SELECT aigw.create_wallet('w_alice', 'USD', 0, 'ten_alice'),
                     aigw.create_wallet('w_bob', 'USD', 0, 'ten_bob'),
                     aigw.create_wallet('w_team', 'USD', 0, 'ten_admin')" >/dev/null
as ten_admin "SELECT aigw.topup(w, 10, 'USD', 'test', w || '-1') FROM unnest(ARRAY['w_alice', 'w_bob', 'w_team']) w" >/dev/null
as ten_admin "SELECT aigw.grant_wallet('w_team', 'ten_alice')" >/dev/null
as ten_alice "SET aigw.wallet = 'w_alice'; SELECT aigw.chat('$M', '$HI'), aigw.chat('$M', '$HI')" >/dev/null
as ten_alice "SELECT aigw.chat('$M', '$HI', '{\"wallet\": \"w_team\"}')" >/dev/null
as ten_bob "SELECT aigw.chat('$M', '$HI', '{\"wallet\": \"w_bob\"}')" >/dev/null
is "$(sent)" "4" "four calls were sent"

echo "# what each role sees"
counts() {   # counts ROLE: requests calls ledger wallets wallet_status spend_by_role
    as "$1" "SELECT (SELECT count(*) FROM aigw.requests) || ' ' || (SELECT count(*) FROM aigw.calls) || ' ' ||
                    (SELECT count(*) FROM aigw.ledger) || ' ' || (SELECT count(*) FROM aigw.wallets) || ' ' ||
                    (SELECT count(*) FROM aigw.wallet_status) || ' ' || (SELECT coalesce(sum(calls), 0) FROM aigw.spend_by_role)" 2>&1
}
is "$(counts ten_alice)" "3 3 5 2 2 3" "alice: her 3 calls, the ledger of her 2 wallets (w_alice, w_team)"
is "$(counts ten_bob)" "1 1 2 1 1 1" "bob: his call, his wallet"
is "$(counts ten_reader)" "4 4 7 3 3 4" "reader: everything"
is "$(counts ten_admin)" "4 4 7 3 3 4" "admin: everything"
is "$(as ten_alice "SELECT string_agg(DISTINCT role_name, ',') FROM aigw.requests")" "ten_alice" "alice's rows are hers"
denied_to() { as "$1" "$2" 2>&1 | grep -qF "$3"; ok $? "$1: $4"; }
denied_to ten_reader "SELECT aigw.chat('$M', '$HI')" "permission denied for function chat" "a reader cannot call models"
denied_to ten_reader "SELECT * FROM aigw.response_cache" "permission denied for table response_cache" "nor read cached answers"
denied_to ten_admin "SELECT * FROM aigw.credentials" "permission denied for table credentials" "no one reads a secret, not even an admin"
is "$(as ten_alice "SELECT count(*) FROM aigw.credential_status WHERE is_set")" "$(sql "SELECT count(*) FROM aigw.providers")" \
   "a user sees which keys are set"
denied_to ten_alice "UPDATE aigw.models SET enabled = false WHERE id = '$M'" "permission denied for table models" "a user cannot change the catalogue"
denied_to ten_alice "SELECT aigw.topup('w_alice', 5, 'USD', 'test', 'self')" "permission denied for function topup" "nor top up her own wallet"
denied_to ten_alice "SELECT aigw.set_price('$M', 0, 0)" "permission denied for function set_price" "nor set a price"
denied_to ten_alice "INSERT INTO aigw.limits (role, requests_per_minute) VALUES ('ten_alice', 1000)" \
   "permission denied for table limits" "nor lift her own limits"
is "$(as ten_admin "UPDATE aigw.models SET enabled = true WHERE id = '$M' RETURNING id")" "$M" "an admin changes the catalogue"
is "$(as ten_admin "UPDATE aigw.wallets SET enabled = true WHERE name LIKE 'w\_%' RETURNING name" | wc -l)" "3" "... and the wallets"
denied_to ten_alice "UPDATE aigw.wallets SET credit_limit = 1000 WHERE name = 'w_alice'" "permission denied for table wallets" "a user cannot raise her own credit limit"

echo "# jobs and submitted calls"
sql "CREATE TABLE notes (id int, body text, summary text); INSERT INTO notes VALUES (1, 'one', NULL);
     GRANT SELECT, UPDATE ON notes TO ten_alice" >/dev/null
"$PGBIN/psql" -X -q -d "$T_DB" -c "SET ROLE ten_alice" -c "SET aigw.wallet = 'w_alice'" \
    -c "CALL aigw.enrich('notes', 'summary', 'Sum up {{body}}', '$M')" >/dev/null 2>&1
id=$(as ten_alice "SET aigw.wallet = 'w_alice'; SELECT aigw.submit('$M', '$HI')")
as ten_alice "SELECT count(*) FROM aigw.wait(ARRAY[$id], 5000)" >/dev/null
is "$(as ten_alice "SELECT (SELECT count(*) FROM aigw.jobs) || ' ' || (SELECT count(*) FROM aigw.job_progress) || ' ' || (SELECT count(*) FROM aigw.results)")" \
   "1 1 1" "alice sees her job and her submitted call"
is "$(as ten_bob "SELECT (SELECT count(*) FROM aigw.jobs) || ' ' || (SELECT count(*) FROM aigw.job_progress) || ' ' || (SELECT count(*) FROM aigw.results)")" \
   "0 0 0" "bob sees neither"
is "$(as ten_reader "SELECT count(*) || ' ' || max(rows_done) FROM aigw.job_progress")" "1 1" "a reader sees the job's progress"
denied_to ten_reader "SELECT prompt FROM aigw.jobs" "permission denied for table jobs" "but not its prompt"
denied_to ten_reader "SELECT * FROM aigw.results" "permission denied for view results" "nor submitted answers"

echo "# every table and view of aigw, as each role: row count or denied"
sql "CREATE FUNCTION role_view(r text) RETURNS text LANGUAGE plpgsql AS \$\$
     DECLARE rel record; n bigint; result text := '';
     BEGIN
         FOR rel IN SELECT c.relname FROM pg_class c
                     WHERE c.relnamespace = 'aigw'::regnamespace AND c.relkind IN ('r', 'v') ORDER BY 1 LOOP
             BEGIN
                 EXECUTE format('SET LOCAL ROLE %I', r);
                 EXECUTE format('SELECT count(*) FROM aigw.%I', rel.relname) INTO n;
                 result := result || rel.relname || '=' || n || ' ';
                 RESET ROLE;
             EXCEPTION WHEN insufficient_privilege THEN
                 result := result || rel.relname || '=x ';
             END;
         END LOOP;
         RETURN result;
     END \$\$" >/dev/null
catalogue="catalogue_providers=$(sql "SELECT count(*) FROM aigw.catalogue_providers") credential_status=$(sql "SELECT count(*) FROM aigw.providers") credentials=x currencies=$(sql "SELECT count(*) FROM aigw.currencies") deleted_rows=$(sql "SELECT count(*) FROM aigw.deleted_rows") fx_rates=$(sql "SELECT count(*) FROM aigw.fx_rates")"
shared="models=$(sql "SELECT count(*) FROM aigw.models") prices=$(sql "SELECT count(*) FROM aigw.prices") provider_health=2 providers=$(sql "SELECT count(*) FROM aigw.providers")"
is "$(sql "SELECT role_view('ten_nobody')")" "$(sql "SELECT string_agg(relname || '=x', ' ' ORDER BY relname) || ' ' FROM pg_class WHERE relnamespace = 'aigw'::regnamespace AND relkind IN ('r', 'v')")" \
   "nobody: every table and view denied"
is "$(sql "SELECT role_view('ten_alice')")" "calls=5 $catalogue job_batches=0 job_errors=0 job_progress=1 jobs=1 ledger=7 limit_status=0 limits=0 $shared requests=5 response_cache=x results=1 role_wallets=0 routes=0 spend_by_model=2 spend_by_role=2 spend_by_tag=1 spend_daily=2 submissions=x wallet_balances=2 wallet_grants=1 wallet_status=2 wallets=2 " \
   "alice: her 5 calls (3 + enrich + submit), 7 ledger rows of her 2 wallets, her job and result"
is "$(sql "SELECT role_view('ten_bob')")" "calls=1 $catalogue job_batches=0 job_errors=0 job_progress=0 jobs=0 ledger=2 limit_status=0 limits=0 $shared requests=1 response_cache=x results=0 role_wallets=0 routes=0 spend_by_model=1 spend_by_role=1 spend_by_tag=0 spend_daily=1 submissions=x wallet_balances=1 wallet_grants=0 wallet_status=1 wallets=1 " \
   "bob: his call, his wallet, nobody else's"
is "$(sql "SELECT role_view('ten_reader')")" "calls=6 $catalogue job_batches=0 job_errors=0 job_progress=1 jobs=1 ledger=9 limit_status=0 limits=0 $shared requests=6 response_cache=x results=x role_wallets=0 routes=0 spend_by_model=3 spend_by_role=3 spend_by_tag=1 spend_daily=3 submissions=x wallet_balances=3 wallet_grants=1 wallet_status=3 wallets=3 " \
   "reader: all usage of everyone; no answers, no cache, no secrets"
is "$(sql "SELECT role_view('ten_admin')")" "calls=6 $catalogue job_batches=0 job_errors=0 job_progress=1 jobs=1 ledger=9 limit_status=0 limits=0 $shared requests=6 response_cache=x results=1 role_wallets=0 routes=0 spend_by_model=3 spend_by_role=3 spend_by_tag=1 spend_daily=3 submissions=x wallet_balances=3 wallet_grants=1 wallet_status=3 wallets=3 " \
   "admin: all usage and submitted answers; no cache, no secrets"

echo "# spending from another's wallet is refused, names both, sends nothing"
before=$(sent)
out=$(as ten_bob "SELECT aigw.chat('$M', '$HI', '{\"wallet\": \"w_alice\"}')" 2>&1)
echo "$out" | grep -qF 'role "ten_bob" may not spend from wallet "w_alice"'; ok $? "bob on w_alice: refused, naming the role and the wallet"
is "$(sent)" "$before" "... and nothing was sent"

echo "# team wallets and default wallets"
as ten_admin "SELECT aigw.grant_wallet('w_team', 'ten_bob')" >/dev/null
is "$(as ten_bob "SELECT aigw.chat('$M', '$HI', '{\"wallet\": \"w_team\"}')->'aigw'->>'wallet'")" "w_team" "once granted, bob spends from the team wallet"
is "$(as ten_admin "SELECT aigw.revoke_wallet('w_team', 'ten_bob')")" "t" "revoke_wallet takes the grant back"
as ten_bob "SELECT aigw.chat('$M', '$HI', '{\"wallet\": \"w_team\"}')" 2>&1 | grep -qF 'may not spend from wallet "w_team"'
ok $? "... and bob is refused again at once"
as ten_bob "SELECT aigw.chat('$M', '$HI')" 2>&1 | grep -qF 'no wallet is selected'; ok $? "bob without a wallet: no wallet selected"
as ten_admin "SELECT aigw.set_default_wallet('ten_bob', 'w_bob')" >/dev/null
is "$(as ten_bob "SELECT aigw.chat('$M', '$HI')->'aigw'->>'wallet'")" "w_bob" "with a default wallet, bob needs no SET aigw.wallet"
as ten_admin "SELECT aigw.set_default_wallet('ten_bob', 'w_alice')" 2>&1 | grep -qF 'role "ten_bob" may not spend from wallet "w_alice"'
ok $? "a default wallet must be one the role may use"

echo "# the helpers row-level security uses tell a role only about wallets it may read"
w_id() { sql "SELECT id FROM aigw.wallets WHERE name = '$1'"; }
is "$(as ten_alice "SELECT aigw.wallet_spenders($(w_id w_bob))")" "{}" "alice: nothing of who may spend from bob's wallet"
is "$(as ten_alice "SELECT aigw.wallet_spenders($(w_id w_team)) = ARRAY['ten_admin'::regrole, 'ten_alice'::regrole]::oid[]")" "t" \
   "... the spenders of a wallet she shares"
is "$(as ten_bob "SELECT aigw.wallet_spenders($(w_id w_team))::text || ' ' || aigw.wallet_spenders($(w_id w_alice))::text")" "{} {}" \
   "bob: nothing of the team wallet he was taken off, nor of alice's"
is "$(as ten_alice "SELECT coalesce(aigw.default_wallet('ten_bob'::regrole), 'none')")" "none" "alice: not bob's default wallet"
is "$(as ten_bob "SELECT aigw.default_wallet('ten_bob'::regrole) || ' ' || aigw.current_wallet()")" "w_bob w_bob" \
   "bob: his own default wallet, the one his calls use"
is "$(as ten_reader "SELECT aigw.default_wallet('ten_bob'::regrole) || ' ' || cardinality(aigw.wallet_spenders($(w_id w_bob)))")" "w_bob 1" \
   "a reader reads every wallet: the same helpers tell it everything"

echo "# PostgREST: end users of one app role, each with a wallet of their own"
REST_AUTH=ten_auth
as ten_admin "SELECT aigw.create_wallet('w_u1', 'USD', 0, 'ten_admin'), aigw.create_wallet('w_u2', 'USD', 0, 'ten_admin'),
                     aigw.create_wallet('w_empty', 'USD', 0, 'ten_admin')" >/dev/null
as ten_admin "SELECT aigw.topup(w, 5, 'USD', 'test', w || '-1') FROM unnest(ARRAY['w_u1', 'w_u2']) w" >/dev/null
as ten_admin "SELECT aigw.grant_wallet(w, 'ten_app') FROM unnest(ARRAY['w_u1', 'w_u2', 'w_empty']) w" >/dev/null
U1='{"role": "ten_app", "sub": "user-1", "wallet": "w_u1"}'
U2='{"role": "ten_app", "sub": "user-2", "wallet": "w_u2"}'
BODY='{"model": "'$M'", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 20, "temperature": 0.5}'
r=$(rest ten_app "$U1" chat_completions "$BODY")
is "$(jget "$r" "j['status'], j['body']['object'], j['body']['aigw']['wallet']")" "200 chat.completion w_u1" \
   "user-1: 200, a chat.completion paid from w_u1"
rest ten_app "$U1" chat_completions "$BODY" >/dev/null
r=$(rest ten_app "$U2" chat_completions "$BODY")
is "$(jget "$r" "j['status'], j['body']['aigw']['wallet']")" "200 w_u2" "user-2: paid from w_u2"
is "$(sql "SELECT string_agg(end_user || ':' || count, ',' ORDER BY end_user) FROM (SELECT end_user, count(*) FROM aigw.requests WHERE end_user IS NOT NULL GROUP BY 1) c")" \
   "user-1:2,user-2:1" "the JWT's sub is each call's end user in aigw.requests"
is "$(sql "SELECT string_agg(w.name || ':' || l.end_user, ',' ORDER BY w.name) FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id WHERE l.kind = 'charge' AND l.end_user IS NOT NULL AND l.request_id IN (SELECT max(id) FROM aigw.requests GROUP BY end_user)")" \
   "w_u1:user-1,w_u2:user-2" "... and of each charge in the ledger"
r=$(rest ten_app "$U1" usage)
is "$(jget "$r" "j['status'], j['body']['requests'], j['body']['end_user']")" "200 2 user-1" "user-1's /rpc/usage: its 2 requests only"
r=$(rest ten_app "$U2" usage '{"from": "2000-01-01", "to": "2100-01-01"}')
is "$(jget "$r" "j['body']['requests']")" "1" "user-2's: its 1"
r=$(rest ten_app "$U1" balance)
is "$(jget "$r" "j['status'], j['body']['wallet'], j['body']['balance'] < 5")" "200 w_u1 True" "user-1's /rpc/balance: w_u1, charged"
r=$(rest ten_app "$U2" models)
jget "$r" "j['status'] == 200 and j['body']['object'] == 'list' and any(m['id'] == '$M' and m['pricing']['input_per_mtok'] > 0 for m in j['body']['data']) and any(m['id'] == 'auto/cheapest' for m in j['body']['data'])" | grep -qx True
ok $? "/rpc/models: the OpenAI list shape, with prices and meta-models"
is "$("$PGBIN/psql" -X -q -At -d "$T_DB" -U ten_auth -c "BEGIN" -c "SELECT set_config('role', 'ten_app', true), set_config('request.jwt.claims', '$U1', true)" \
     -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE end_user = 'user-1') FROM aigw.requests" -c "COMMIT" | tail -1)" "2 2" \
   "row-level security: under user-1's JWT, aigw.requests has user-1's rows only"

id=$("$PGBIN/psql" -X -q -At -d "$T_DB" -U ten_auth -c "BEGIN" -c "SELECT set_config('role', 'ten_app', true), set_config('request.jwt.claims', '$U2', true)" \
     -c "SELECT aigw.submit('$M', '[{\"role\": \"user\", \"content\": \"later\"}]')" -c "COMMIT" | tail -1)
sql "SELECT count(*) FROM aigw.wait(ARRAY[$id], 5000)" >/dev/null
is "$(sql "SELECT r.end_user || ' ' || w.name FROM aigw.submissions s JOIN aigw.requests r ON r.call_id = s.call_id JOIN aigw.wallets w ON w.id = r.wallet_id WHERE s.id = $id")" \
   "user-2 w_u2" "a call submitted under user-2's JWT is sent for user-2, from user-2's wallet"

echo "# PostgREST: errors reach the client with their HTTP status"
before=$(sent)
r=$(rest ten_app '{"role": "ten_app", "sub": "user-3"}' chat_completions "$BODY")
is "$(jget "$r" "j['status'], j['body']['error']['code']")" "402 no_wallet" "a JWT without a wallet, a role without a default: 402"
r=$(rest ten_app '{"role": "ten_app", "sub": "user-3", "wallet": "w_alice"}' chat_completions "$BODY")
is "$(jget "$r" "j['status'], j['body']['error']['code'], 'w_alice' in j['body']['error']['message'] and 'ten_app' in j['body']['error']['message']")" \
   "403 permission_denied True" "a wallet the role may not use: 403, naming both"
r=$(rest ten_app '{"role": "ten_app", "sub": "user-3", "wallet": "w_nope"}' chat_completions "$BODY")
is "$(jget "$r" "j['status'], j['body']['error']['code']")" "402 no_wallet" "a wallet that does not exist: 402"
r=$(rest ten_app '{"role": "ten_app", "sub": "user-3", "wallet": "w_empty"}' chat_completions "$BODY")
is "$(jget "$r" "j['status'], j['body']['error']['type'], j['body']['error']['code']")" "402 insufficient_quota insufficient_funds" \
   "an empty wallet: 402 insufficient_quota"
r=$(rest ten_app "$U1" chat_completions '{"model": "openai/nope", "messages": [{"role": "user", "content": "x"}]}')
is "$(jget "$r" "j['status'], j['body']['error']['code']")" "404 model_not_found" "an unknown model: 404"
for bad in '{"messages": []}|model' '{"model": "'$M'"}|messages' '{"model": "'$M'", "messages": {}}|messages' \
           '{"model": "'$M'", "messages": [], "wallet": "w_u2"}|wallet' '[1, 2]|body'; do
    r=$(rest ten_app "$U1" chat_completions "${bad%|*}")
    is "$(jget "$r" "j['status'], j['body']['error']['type'], j['body']['error']['param']")" "400 invalid_request_error ${bad#*|}" \
       "invalid body ${bad%|*}: 400 naming \"${bad#*|}\""
done
r=$(rest ten_app "$U1" chat_completions '{"model": "'$M'", "messages": [{"role": "robot", "content": "x"}]}')
is "$(jget "$r" "j['status'], 'robot' in j['body']['error']['message']")" "400 True" "a bad message: 400 with aigw's own message"
r=$(rest ten_app "$U1" chat_completions '{"model": "'$M'", "messages": [{"role": "user", "content": "x"}], "temprature": 1}')
is "$(jget "$r" "j['status'], 'temprature' in j['body']['error']['message']")" "400 True" "an unknown field: 400 naming it"
is "$(sent)" "$before" "none of those sent anything"
r=$(rest ten_app "$U1" chat_completions '{"model": "'$M'", "messages": [{"role": "user", "content": "x [[mock:status=500]]"}]}')
is "$(jget "$r" "j['status'], j['body']['error']['code']")" "502 upstream_error" "an upstream failure: 502"
r=$(rest ten_app "$U1" messages '{"model": "'$M'", "max_tokens": 20, "messages": [{"role": "user", "content": "hello"}]}')
is "$(jget "$r" "j['status'], j['body']['type'], j['body']['role']")" "200 message assistant" "/rpc/messages: an Anthropic Messages response"
r=$(rest ten_app "$U1" messages '{"model": "'$M'", "messages": [{"role": "user", "content": "hello"}]}')
is "$(jget "$r" "j['status'], j['body']['type'], j['body']['error']['type']")" "400 error invalid_request_error" \
   "... and an Anthropic error body for a bad request"

finish
