#!/usr/bin/env bash
# Asynchronous calls: aigw.submit queues in the caller's transaction, the
# dispatcher sends after the commit, aigw.wait waits for the answers.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 24
MODEL=openai/gpt-4o-mini
chat_texts() {   # the user texts the mock received, sorted
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c "
import json, sys
print(' '.join(sorted(r['body']['messages'][-1]['content'].split(' [[')[0] for r in json.load(sys.stdin)
                      if r['path'].endswith('/chat/completions'))))"
}

echo "# committed submits are sent, rolled-back ones never"
mock_reset
ids=$(sql "BEGIN;
           SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"one\"}]');
           SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"two\"}]');
           COMMIT;" | paste -sd, -)
never=$(sql "BEGIN; SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"never\"}]'); ROLLBACK;")
is "$(sql "SELECT string_agg(id || ' ' || status || ' ' || (response->'choices'->0->'message'->>'content'), ', ' ORDER BY id)
             FROM aigw.wait(ARRAY[$ids], 5000)")" \
   "${ids%,*} ok Mock reply to: one, ${ids#*,} ok Mock reply to: two" "aigw.wait returns both answers"
# The dispatcher sends in id order: once a submit made after the rollback is
# answered, anything queued before it has been sent, and nothing is left.
later=$(sql "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"later\"}]')")
is "$(sql "SELECT status FROM aigw.wait(ARRAY[$later], 5000)") $(sql "SELECT count(*) FROM aigw.results WHERE status IN ('queued', 'running')")" "ok 0" \
   "a later submit is answered, and nothing is left queued or running"
is "$(chat_texts)" "later one two" "the mock got the committed calls, not the rolled-back one"
is "$(sql "SELECT count(*) FROM aigw.results WHERE id = $never")" "0" "the rolled-back submit left no row"
is "$(sql "SELECT count(*) FROM aigw.results r JOIN aigw.requests q ON q.call_id = r.call_id AND q.status = 'ok' WHERE r.id IN ($ids)")" "2" \
   "each result names the call logged in aigw.requests"

echo "# from a trigger"
mock_reset
sql "CREATE TABLE tickets (id int PRIMARY KEY, body text, submission bigint);
     CREATE FUNCTION ask_about_ticket() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
         NEW.submission := aigw.submit('$MODEL', jsonb_build_array(jsonb_build_object('role', 'user', 'content', NEW.body)));
         RETURN NEW;
     END \$\$;
     CREATE TRIGGER ask BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION ask_about_ticket();" >/dev/null
sql "INSERT INTO tickets (id, body) SELECT g, 'ticket ' || g FROM generate_series(1, 5) g" >/dev/null
is "$(sql "SELECT count(*) FILTER (WHERE status = 'ok') FROM aigw.wait((SELECT array_agg(submission) FROM tickets), 5000)")" "5" \
   "five inserted rows, five answers"

echo "# errors and timeouts"
err_id=$(sql "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"refused [[mock:status=400]]\"}]')")
is "$(sql "SELECT status || ': ' || (error LIKE 'provider \"openai\" returned HTTP 400%') FROM aigw.wait(ARRAY[$err_id], 5000)")" "error: true" \
   "a refused call ends as an error with the provider's message"
slow_id=$(sql "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"slow [[mock:latency_ms=1500]]\"}]')")
t0=$(date +%s%N)
st=$(sql "SELECT status FROM aigw.wait(ARRAY[$slow_id], 200)")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$st" = "running" ] || [ "$st" = "queued" ]; ok $? "aigw.wait returns at its timeout with the call still $st"
[ "$ms" -lt 1000 ]; ok $? "... after about 200 ms ($ms ms)"
is "$(sql "SELECT status FROM aigw.wait(ARRAY[$slow_id], 5000)")" "ok" "and later the answer is there"
refused() { sql "$1" 2>&1 | grep -qF -- "$2"; ok $? "$3"; }
refused "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM aigw.wait(ARRAY[$slow_id], 10); COMMIT" \
   'aigw.wait needs READ COMMITTED' "aigw.wait refuses a snapshot that would never see the answers"
refused "SELECT aigw.submit('$MODEL', '[{\"role\": \"robot\"}]')" 'unknown role "robot"' "bad messages are refused at submit"
refused "SELECT aigw.submit('openai/nope', '[{\"role\": \"user\", \"content\": \"x\"}]')" 'unknown model "openai/nope"' \
   "an unknown model is refused at submit"

echo "# a call in flight when the dispatcher stops is not sent twice"
mock_reset
lost=$(sql "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"lost [[mock:latency_ms=3000]]\"}]')")
wait_for 5 "[ \"\$(sql \"SELECT status FROM aigw.results WHERE id = $lost\")\" = running ]"; ok $? "the call is running"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'aigw dispatcher' AND datname = current_database()" >/dev/null
wait_for 5 "[ \"\$(sql \"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'aigw dispatcher' AND datname = current_database()\")\" = 0 ]"
ok $? "the dispatcher is gone"
next=$(sql "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"after\"}]')")
is "$(sql "SELECT status FROM aigw.wait(ARRAY[$next], 5000)")" "ok" "the next submit starts a new dispatcher and is answered"
is "$(sql "SELECT status || ' ' || (error LIKE 'interrupted:%') FROM aigw.results WHERE id = $lost")" "error true" \
   "the lost call is an error that says it was interrupted"
later=$(sql "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"later\"}]')")
is "$(sql "SELECT status FROM aigw.wait(ARRAY[$later], 5000)") $(sql "SELECT count(*) FROM aigw.results WHERE status IN ('queued', 'running')")" "ok 0" \
   "a later submit is answered, and nothing is left queued or running"
is "$(chat_texts)" "after later lost" "the mock got the lost call once, and never again"

echo "# roles and wallets"
sql "DO \$\$ BEGIN CREATE ROLE submit_other LOGIN IN ROLE aigw_user; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
is "$("$PGBIN/psql" -X -q -At -U submit_other -d "$T_DB" -c "SELECT count(*) FROM aigw.results")" "0" "another role sees none of these results"
sql "SELECT aigw.create_wallet('async', 'USD')" >/dev/null
sql "SELECT aigw.topup('async', 1, 'USD', 'test', 'submit-1')" >/dev/null
sql "SELECT aigw.set_price('$MODEL', 1, 1)" >/dev/null
paid=$(sql "SET aigw.wallet = 'async'; SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"on the wallet\"}]')")
is "$(sql "SELECT status FROM aigw.wait(ARRAY[$paid], 5000)")" "ok" "a call submitted with SET aigw.wallet is answered"
is "$(sql "SELECT l.kind FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
             JOIN aigw.results r ON r.call_id = l.request_id WHERE w.name = 'async' AND r.id = $paid")" "charge" \
   "and charged to that wallet"

echo "# DROP DATABASE stops the dispatcher it needs gone"
"$PGBIN/createdb" submit_drop
aigw_use_mock submit_drop >/dev/null
id=$("$PGBIN/psql" -X -q -At -d submit_drop -c "SELECT aigw.submit('$MODEL', '[{\"role\": \"user\", \"content\": \"bye\"}]')")
is "$("$PGBIN/psql" -X -q -At -d submit_drop -c "SELECT status FROM aigw.wait(ARRAY[$id], 5000)")" "ok" "a database with a running dispatcher"
"$PGBIN/dropdb" submit_drop; ok $? "is dropped by a plain DROP DATABASE"

finish
