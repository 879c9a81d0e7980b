#!/usr/bin/env bash
# aigw.limits: per role and per wallet, enforced across sessions through
# shared memory before anything is sent, changed at run time.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 41
M=openai/gpt-4o-mini
sent() { mock_stat requests_total; }

sql "DO \$\$ DECLARE r text; BEGIN
       FOREACH r IN ARRAY ARRAY['lim_user', 'lim_models', 'lim_flight', 'lim_tok', 'lim_spend', 'lim_wallet', 'lim_fx'] LOOP
         PERFORM 1 FROM pg_roles WHERE rolname = r;
         IF NOT FOUND THEN EXECUTE format('CREATE ROLE %I IN ROLE aigw_user', r); END IF;
       END LOOP;
     END \$\$" >/dev/null
# n calls in a row; counts answered and refused calls and keeps the last refusal's text
sql "CREATE FUNCTION try_ask(n int, model text DEFAULT '$M', options jsonb DEFAULT '{}')
     RETURNS TABLE (answered int, refused int, message text, hint text) LANGUAGE plpgsql AS \$\$
     BEGIN
         answered := 0; refused := 0;
         FOR i IN 1..n LOOP
             BEGIN
                 PERFORM aigw.ask(model, 'hi', options);
                 answered := answered + 1;
             EXCEPTION WHEN SQLSTATE '5G030' OR SQLSTATE '5G031' THEN
                 refused := refused + 1;
                 GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
             END;
         END LOOP;
         RETURN NEXT;
     END \$\$;
     GRANT EXECUTE ON FUNCTION try_ask TO aigw_user;" >/dev/null

echo "# 100 requests per minute, 64 sessions of one role"
sql "INSERT INTO aigw.limits (role, requests_per_minute) VALUES ('lim_user', 100)" >/dev/null
mock_reset
sessions 64 "SET ROLE lim_user; SELECT answered || ' ' || refused || ' ' || coalesce(hint, '') FROM try_ask(3)"
is "$session_failures" "0" "64 sessions ran 3 calls each"
is "$(cat "$AIGW_RUN"/session.* | awk '{a += $1; r += $2} END {print a, r}')" "100 92" "100 answered, 92 refused"
is "$(sent)" "100" "the mock got exactly 100"
hint=$(cat "$AIGW_RUN"/session.* | grep -o 'frees up in [0-9]* s' | head -1)
[[ "$hint" =~ ^frees\ up\ in\ ([0-9]+)\ s$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] && [ "${BASH_REMATCH[1]}" -le 60 ]
ok $? "a refusal says when the window frees up ($hint)"
is "$(sql "SELECT requests_last_minute || ' ' || in_flight FROM aigw.limit_status WHERE role = 'lim_user'::regrole")" "100 0" \
   "aigw.limit_status: 100 in the last minute, none in flight"
out=$(sql "SET ROLE lim_user; SELECT aigw.ask('$M', 'one more')" 2>&1)
echo "$out" | grep -qF 'limit of role "lim_user" reached: 100 requests per minute'; ok $? "the 101st call gets the limit error"
echo "$out" | grep -qE 'HINT:  The limit frees up in [0-9]+ s\.'; ok $? "... with a retry hint in seconds"
is "$(sent)" "100" "... and is not sent"
r=$(rest lim_user '{"role": "lim_user"}' chat_completions '{"model": "'$M'", "messages": [{"role": "user", "content": "x"}]}')
is "$(jget "$r" "j['status'], j['body']['error']['code'], 1 <= int(j['headers'][0]['Retry-After']) <= 60")" "429 limit_exceeded True" \
   "over HTTP: 429 with a Retry-After header"
sql "UPDATE aigw.limits SET requests_per_minute = 1000 WHERE role = 'lim_user'::regrole" >/dev/null
is "$(sql "SET ROLE lim_user; SELECT answered FROM try_ask(1)")" "1" "raising the limit takes effect on the next call, no restart"

echo "# allowed models"
sql "INSERT INTO aigw.limits (role, allowed_models) VALUES ('lim_models', '{openai/*}')" >/dev/null
mock_reset
out=$(sql "SET ROLE lim_models; SELECT aigw.ask('deepseek/deepseek-chat', 'hi')" 2>&1)
echo "$out" | grep -qF 'model "deepseek/deepseek-chat" is not allowed for role "lim_models"'; ok $? "a model outside the allowlist is refused"
echo "$out" | grep -qF 'Allowed: openai/*'; ok $? "... saying what is allowed"
is "$(sent)" "0" "... before anything is sent"
is "$(sql "SET ROLE lim_models; SELECT answered FROM try_ask(1)")" "1" "an allowed model is called"
out=$(sql "SET ROLE lim_models; SELECT aigw.chat('auto/cheapest', '[{\"role\": \"user\", \"content\": \"hi\"}]', '{\"candidates\": [\"deepseek/deepseek-chat\"]}')" 2>&1)
echo "$out" | grep -qF '"auto/cheapest" picked it'; ok $? "a meta-model's pick outside the allowlist is refused too"
sql "UPDATE aigw.limits SET allowed_models = '{openai/*,auto/*}' WHERE role = 'lim_models'::regrole" >/dev/null
is "$(sql "SET ROLE lim_models; SELECT aigw.chat('auto/cheapest', '[{\"role\": \"user\", \"content\": \"hi\"}]', '{\"candidates\": [\"deepseek/deepseek-chat\"]}')->'aigw'->>'served_model'")" \
   "deepseek/deepseek-chat" "with auto/* allowed, whatever the meta-model picks goes"
r=$(rest lim_models '{"role": "lim_models"}' models)
is "$(jget "$r" "sorted(set(m['id'].split('/')[0] for m in j['body']['data']))")" "['auto', 'openai']" \
   "/rpc/models lists only what the role may call"
r=$(rest lim_models '{"role": "lim_models"}' chat_completions '{"model": "deepseek/deepseek-chat", "messages": [{"role": "user", "content": "x"}]}')
is "$(jget "$r" "j['status'], j['body']['error']['code']")" "403 model_not_allowed" "over HTTP: 403"

echo "# calls in flight"
sql "INSERT INTO aigw.limits (role, max_in_flight) VALUES ('lim_flight', 2)" >/dev/null
mock_reset
sql "CREATE OR REPLACE FUNCTION slow_ask() RETURNS text LANGUAGE sql AS \$\$ SELECT aigw.ask('$M', 'slow [[mock:latency_ms=800]]') \$\$;
     GRANT EXECUTE ON FUNCTION slow_ask TO aigw_user" >/dev/null
sessions 4 "SET ROLE lim_flight; SELECT slow_ask()"
is "$session_failures" "2" "with calls of 800 ms, 2 of 4 sessions are refused"
grep -h 'calls in flight' "$AIGW_RUN"/session.* | grep -qF 'limit of role "lim_flight" reached: 2 calls in flight'
ok $? "... with the in-flight limit's error"
sql "SET statement_timeout = '200ms'; SET ROLE lim_flight; SELECT slow_ask()" >/dev/null 2>&1
is "$(sql "SELECT in_flight FROM aigw.limit_status WHERE role = 'lim_flight'::regrole")" "0" \
   "a call cancelled by statement_timeout gives its place back"

echo "# tokens per minute"
sql "INSERT INTO aigw.limits (role, tokens_per_minute) VALUES ('lim_tok', 40)" >/dev/null
res=$(sql "SET ROLE lim_tok; SELECT answered || ' ' || refused || ' ' || coalesce(message, '') FROM try_ask(10)")
echo "# $res"
[ "${res%% *}" -ge 1 ] && [ "${res%% *}" -lt 10 ]; ok $? "some calls pass, then the role's tokens run out"
echo "$res" | grep -qF '40 tokens per minute'; ok $? "... refused by the tokens-per-minute limit"
is "$(sql "SELECT tokens_last_minute >= 40 FROM aigw.limit_status WHERE role = 'lim_tok'::regrole")" "t" \
   "the window holds the answers' tokens"
is "$(sql "SELECT sum(prompt_tokens + completion_tokens) FROM aigw.requests WHERE role_name = 'lim_tok'")" \
   "$(sql "SELECT tokens_last_minute FROM aigw.limit_status WHERE role = 'lim_tok'::regrole")" "... exactly those the log has"

echo "# spend per day (billing off: no wallet yet; the cost at the price counts)"
sql "INSERT INTO aigw.limits (role, spend_per_day) VALUES ('lim_spend', 0.0001)" >/dev/null
res=$(sql "SET ROLE lim_spend; SELECT answered || ' ' || refused || ' ' || coalesce(message, '') FROM try_ask(60, '$M', '{\"max_tokens\": 16}')")
echo "# $res"
echo "$res" | grep -qF '0.00010000 USD per day'; ok $? "calls go until the day's budget would be passed"
is "$(sql "SELECT sum(cost) <= 0.0001 AND sum(cost) > 0.00007 FROM aigw.requests WHERE role_name = 'lim_spend'")" "t" \
   "what was spent today stays within 0.0001 USD, and close to it"
is "$(sql "SELECT spent_today = (SELECT sum(cost) FROM aigw.requests WHERE role_name = 'lim_spend') FROM aigw.limit_status WHERE role = 'lim_spend'::regrole")" "t" \
   "aigw.limit_status counts what the log has"
sql "INSERT INTO aigw.limits (role, spend_per_day) VALUES ('lim_spend', 0.00005)" >/dev/null
sql "UPDATE aigw.limits SET enabled = false WHERE role = 'lim_spend'::regrole AND spend_per_day = 0.0001" >/dev/null
out=$(sql "SET ROLE lim_spend; SELECT aigw.ask('$M', 'hi', '{\"max_tokens\": 16}')" 2>&1)
echo "$out" | grep -qF '0.00005000 USD per day'; ok $? "a new limit starts from today's spend in the log, not from zero"

echo "# a limit in another currency than the price's"
sql "INSERT INTO aigw.limits (role, spend_per_day, currency) VALUES ('lim_fx', 1, 'CNY')" >/dev/null
mock_reset
out=$(sql "SET ROLE lim_fx; SELECT aigw.ask('$M', 'hi', '{\"max_tokens\": 16}')" 2>&1)
echo "$out" | grep -qF 'no exchange rate from USD to CNY is in force'; ok $? "with no rate in force the call is refused, saying which"
is "$(sent)" "0" "... before anything is sent"
sql "SELECT aigw.set_fx('USD', 'CNY', 7)" >/dev/null
is "$(sql "SET ROLE lim_fx; SELECT answered FROM try_ask(2, '$M', '{\"max_tokens\": 16}')")" "2" "with a rate, the calls pass"
is "$(sql "SELECT spent_today = round((SELECT sum(cost) FROM aigw.requests WHERE role_name = 'lim_fx') * 7, 8) AND spent_today > 0
             FROM aigw.limit_status WHERE role = 'lim_fx'::regrole")" "t" "and count at the rate: 7 CNY to the dollar"

echo "# worst-case cost per call, on a wallet"
sql "SELECT aigw.create_wallet('w_lim', 'USD', 0, 'lim_wallet')" >/dev/null
sql "SELECT aigw.topup('w_lim', 1, 'USD', 'test', 'w_lim-1')" >/dev/null
sql "INSERT INTO aigw.limits (wallet, max_cost_per_call) VALUES ('w_lim', 0.001)" >/dev/null
mock_reset
is "$(sql "SET ROLE lim_wallet; SET aigw.wallet = 'w_lim'; SELECT answered FROM try_ask(1, '$M', '{\"max_tokens\": 16}')")" "1" \
   "a call that may cost little passes"
out=$(sql "SET ROLE lim_wallet; SET aigw.wallet = 'w_lim'; SELECT aigw.ask('$M', 'hi', '{\"max_tokens\": 10000}')" 2>&1)
echo "$out" | grep -qF 'limit of wallet "w_lim" reached: a call may cost at most 0.00100000 USD'; ok $? "one that may cost more is refused"
is "$(sent)" "1" "... unsent"
is "$(sql "SELECT reserved FROM aigw.wallet_status WHERE wallet = 'w_lim'")" "0.00000000" "... and nothing stays reserved on the wallet"

echo "# bad limits are refused"
refused() { sql "$1" 2>&1 | grep -qF "$2"; ok $? "$3"; }
refused "INSERT INTO aigw.limits (role, wallet, requests_per_minute) VALUES ('lim_user', 'w_lim', 1)" 'limits_check' "a limit is on a role or a wallet, not both"
refused "INSERT INTO aigw.limits (role, requests_per_minute) VALUES ('lim_user', 0)" 'requests_per_minute_check' "a limit of 0 requests is refused"
refused "INSERT INTO aigw.limits (wallet, spend_per_day) VALUES ('nope', 1)" 'limits_wallet_fkey' "a limit on an unknown wallet is refused"
refused "INSERT INTO aigw.limits (role, allowed_models) VALUES ('lim_user', '{}')" 'allowed_models_check' "an empty allowlist is refused"

finish
