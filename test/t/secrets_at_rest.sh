#!/usr/bin/env bash
# Provider keys at rest and in what comes back: encrypted in the table, the
# WAL and dumps under a master key kept outside the database; calls work for
# a bearer, a query-key and a SigV4 provider; an upstream that quotes the
# credential it was sent (bare, "Bearer ...", URL-encoded, AWS key id,
# secret and session token) gets it into no error, row or log line; without
# the master key, or with another one, calls and set_credential fail with
# errors that say what to configure; a rotation re-encrypts every key.
# A cluster of its own (it restarts it) and a mock of its own (it knows a
# key with URL-special characters and an AWS session token).
source "$(dirname "$0")/lib.bash"
AIGW_RUN=$AIGW_RUN-secrets AIGW_PORT=$((AIGW_PORT + 3))
export PGHOST=$AIGW_RUN PGPORT=$AIGW_PORT
ODD_KEY='gk-odd/key+plus=eq'
AWS_TOKEN='IQoJb3JpZ2luX2VjEXAMPLE/token+part=='
aigw_start_cluster
trap 'aigw_cleanup' EXIT
aigw_start_mock --key "$ODD_KEY" --aws-session-token "$AWS_TOKEN"
fresh_db
plan 45

data=$AIGW_RUN/data
conf=$data/postgresql.conf
key_id() { python3 -c "import hashlib,sys; print(hashlib.sha256(bytes.fromhex(open(sys.argv[1]).read().strip())).hexdigest()[:16])" "$1"; }
urlenc() { python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=''))" "$1"; }
restart() {						# restart [CONF LINE...]: the last line for a setting wins
    for line in "$@"; do echo "$line" >>"$conf"; done
    as_pg "$PGBIN/pg_ctl" -D "$data" -w -m fast restart -l "$AIGW_RUN/server.log" >/dev/null
}
# err SQL: what the caller is told of a failing call (every line of it)
err() { "$PGBIN/psql" -X -q -At -d "$T_DB" -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null; }
ask() { sql "SELECT aigw.ask('$1', '$2')" 2>&1; }

sql "UPDATE aigw.providers SET auth_scheme = 'query-key' WHERE name = 'gemini'"
sql "SELECT aigw.set_credential('gemini', '$ODD_KEY')" >/dev/null
sql "SELECT aigw.set_credential('bedrock', '{\"access_key_id\": \"$AIGW_MOCK_AWS_KEY_ID\", \"secret_access_key\": \"$AIGW_MOCK_AWS_SECRET\", \"session_token\": \"$AWS_TOKEN\", \"region\": \"us-east-1\"}')" >/dev/null
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES
       ('gemini/t', 'gemini', 'gemini-2.5-flash'),
       ('bedrock/t', 'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0'),
       ('openai/echo', 'openai', 'gpt-4o-mini?echo_auth=1'),
       ('openai/echo-text', 'openai', 'gpt-4o-mini?echo_auth=text'),
       ('anthropic/echo', 'anthropic', 'claude-3-5-haiku-20241022?echo_auth=1'),
       ('gemini/echo', 'gemini', 'gemini-2.5-flash?echo_auth=1'),
       ('bedrock/echo', 'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?echo_auth=1')"
# every form a secret of this file can take in text
secrets=("$AIGW_MOCK_KEY" "$ODD_KEY" "$(urlenc "$ODD_KEY")" "$AIGW_MOCK_AWS_KEY_ID" "$AIGW_MOCK_AWS_SECRET"
         "$AWS_TOKEN" "$(urlenc "$AWS_TOKEN")")
carries_secret() {				# carries_secret FILE...: does any of them hold a secret?
    for s in "${secrets[@]}"; do grep -rqaF -- "$s" "$@" && { echo "#   found $s in $*"; return 0; }; done
    return 1
}

echo "# at rest: the table, its WAL and the rest of the data directory hold ciphertext only"
control=control-in-clear-$RANDOM$RANDOM
sql "CREATE TABLE clear_control (t text); INSERT INTO clear_control VALUES ('$control'); CHECKPOINT"
grep -rqaF "$control" "$data/base" && grep -rqaF "$control" "$data/pg_wal"
ok $? "text stored in clear in an ordinary table is found by grep in base/ and in pg_wal/ (so the next check can fail)"
! carries_secret "$data/base" "$data/global" "$data/pg_wal" 2>/dev/null; \
    ok $? "no key in the data directory after set_credential and CHECKPOINT (bare key, URL-encoded, AWS key id, secret, token)"
is "$(sql "SELECT get_byte(ciphertext, 0) = 1, octet_length(ciphertext) = 37 + octet_length('$AIGW_MOCK_KEY'),
              position(convert_to('$AIGW_MOCK_KEY', 'UTF8') IN ciphertext) = 0
         FROM aigw.credentials WHERE provider = 'openai'")" "t|t|t" \
   "the row holds version 1 | key id | nonce | ciphertext | tag, not the key"
is "$(sql "SELECT DISTINCT master_key_id FROM aigw.credential_status WHERE is_set")" "$(key_id "$AIGW_MASTER_KEY_FILE")" \
   "aigw.credential_status names the master key (the start of its SHA-256) every credential is under"
out=$(sql "INSERT INTO aigw.credentials (provider, ciphertext) VALUES ('xai', convert_to('xai-clear-key', 'UTF8'))" 2>&1)
echo "$out" | grep -q 'violates check constraint "credentials_sealed"'; ok $? "a key written in clear straight into the table is refused"

echo "# calls work with the keys encrypted: bearer, query-key (a key with /, + and =), SigV4 with a session token"
is "$(ask openai/gpt-4o-mini 'bearer')" "Mock reply to: bearer" "bearer: the worker decrypts the key and sends it"
is "$(ask gemini/t 'query key')" "Mock reply to: query key" "query-key: the key rides in ?key=, URL-encoded"
is "$(ask bedrock/t 'signed')" "Mock reply to: signed" "sigv4: the worker signs the final request (the mock verified it, session token included)"

echo "# an upstream that quotes the credential it received"
for m in openai/echo openai/echo-text anthropic/echo gemini/echo bedrock/echo; do
    e=$(err "SELECT aigw.ask('$m', 'who am I')")
    echo "$e" | head -2 | sed 's/^/#   /'
    echo "$e" | grep -q "^ERROR:  5G002: .*Incorrect API key provided: .*\[redacted\]"; ok $? "$m: 5G002, the quoted credential is [redacted] in the error"
    errors+="$e"$'\n'
done
echo "$errors" | grep -q "Bearer \[redacted\]" && echo "$errors" | grep -q "key=\[redacted\]" &&
    echo "$errors" | grep -q "x-amz-security-token: \[redacted\]" && echo "$errors" | grep -q "Credential=\[redacted\]/"
ok $? "each form was found and replaced: Bearer <key>, ?key=<URL-encoded key>, session token, access key id"
printf '%s' "$errors" >"$AIGW_RUN/errors.txt"
! carries_secret "$AIGW_RUN/errors.txt"; ok $? "no error the callers saw carries a key, a key id, a secret or a token"
is "$(sql "SELECT count(*) FILTER (WHERE error LIKE '%[redacted]%') FROM aigw.requests WHERE requested_model LIKE '%/echo%'")" 5 \
   "the five attempts are logged with the scrubbed error"
sql "SELECT coalesce(error, '') || coalesce(upstream_id, '') FROM aigw.requests" >"$AIGW_RUN/rows.txt"
! carries_secret "$AIGW_RUN/rows.txt"; ok $? "aigw.requests carries none of them"
grep -q "\[redacted\]" "$AIGW_RUN/server.log" && ! carries_secret "$AIGW_RUN/server.log"
ok $? "the server log has the scrubbed errors and none of the secrets"

echo "# without the master key, or with another one"
logged=$(sql "SELECT count(*) FROM aigw.requests")
restart "aigw.master_key_file = ''"
e=$(err "SELECT aigw.ask('openai/gpt-4o-mini', 'no key')")
echo "$e" | sed 's/^/#   /'
echo "$e" | grep -q '^ERROR:  5G011: the credential of provider "openai" cannot be decrypted: no master key is configured'
ok $? "a call fails: no master key is configured (5G011)"
echo "$e" | grep -q "^HINT:  Set aigw.master_key_file (or aigw.master_key_command) in postgresql.conf and restart the server"
ok $? "... and the hint names the setting"
e=$(err "SELECT aigw.set_credential('openai', 'sk-new')")
echo "$e" | grep -q "^ERROR:  55000: no master key is configured" && echo "$e" | grep -q "^HINT:  Set aigw.master_key_file"
ok $? "set_credential refuses to store a key without a master key, and says what to set"
is "$(sql "SELECT aigw.set_credential('deepseek', NULL); SELECT count(*) FROM aigw.credentials WHERE provider = 'openai'")" "
1" "removing a key needs no master key; the refused one changed nothing"
# a database still on 0.8.0, whose keys are in clear
"$PGBIN/createdb" up_clear
T_DB=up_clear sql "CREATE EXTENSION aigw VERSION '0.8.0'; INSERT INTO aigw.credentials (provider, secret) VALUES ('openai', '$AIGW_MOCK_KEY')"
e=$(T_DB=up_clear err "ALTER EXTENSION aigw UPDATE")
echo "$e" | head -1 | sed 's/^/#   /'
echo "$e" | grep -q "^ERROR:  55000: cannot encrypt the provider keys stored by aigw 0.8.0: no master key is loaded" &&
    echo "$e" | grep -q "^HINT:  Set aigw.master_key_file (or aigw.master_key_command) in postgresql.conf, restart the server, and run ALTER EXTENSION aigw UPDATE again"
ok $? "updating from 0.8.0 with keys in clear and no master key fails, saying what to set"
is "$(T_DB=up_clear sql "SELECT extversion FROM pg_extension WHERE extname = 'aigw'")" "0.8.0" "... and changes nothing"
wrong=$AIGW_RUN/wrong.key
aigw_make_master_key "$wrong"
restart "aigw.master_key_file = '$wrong'"
e=$(err "SELECT aigw.ask('openai/gpt-4o-mini', 'wrong key')")
echo "$e" | sed 's/^/#   /'
echo "$e" | grep -q '^ERROR:  5G011: the credential of provider "openai" was encrypted under another master key' &&
    echo "$e" | grep -q "DETAIL:  It needs master key $(key_id "$AIGW_MASTER_KEY_FILE"); this server has master key $(key_id "$wrong")"
ok $? "with another master key: the error names the key the credential needs and the one the server has"
is "$(sql "SELECT count(*) - $logged FROM aigw.requests")" 0 "refused calls sent nothing and logged nothing"
restart "aigw.master_key_file = '$AIGW_MASTER_KEY_FILE'"
is "$(ask openai/gpt-4o-mini 'right key again')" "Mock reply to: right key again" "back with the right key, calls work again"
is "$(T_DB=up_clear sql "ALTER EXTENSION aigw UPDATE;
        UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT/v1' WHERE name = 'openai';
        SELECT extversion, get_byte(ciphertext, 0) FROM pg_extension, aigw.credentials WHERE extname = 'aigw'")" "0.10.0|1" \
   "with the master key, the update from 0.8.0 encrypts the keys it finds"
is "$(T_DB=up_clear ask openai/gpt-4o-mini 'upgraded')" "Mock reply to: upgraded" "... and the key works, encrypted"
sql "CHECKPOINT"
! grep -rqaF "$AIGW_MOCK_KEY" "$data/base"; ok $? "the table file that held the clear key is gone from base/ (older WAL still has it: see README)"
chmod 644 "$wrong"
restart "aigw.master_key_file = '$wrong'"
grep -q 'WARNING:  aigw: the current master key could not be read' "$AIGW_RUN/server.log" &&
    grep -q 'has group or world access; it must be readable by its owner only (chmod 600)' "$AIGW_RUN/server.log"
ok $? "a key file others can read is not used, and the server log says why"

echo "# rotation: a new master key, the old one as the previous key, then without it"
old=$AIGW_RUN/old.key
new=$AIGW_RUN/new.key
cp -p "$AIGW_MASTER_KEY_FILE" "$old"
aigw_make_master_key "$new"
restart "aigw.master_key_file = '$new'" "aigw.previous_master_key_file = '$old'"
is "$(ask openai/gpt-4o-mini 'before rotation')" "Mock reply to: before rotation" "after the switch, keys still under the previous master key work"
sql "SELECT aigw.set_credential('xai', 'xai-under-new')" >/dev/null
is "$(sql "SELECT master_key_id FROM aigw.credential_status WHERE provider = 'xai'")" "$(key_id "$new")" \
   "a key set now is encrypted under the new master key"
is "$(sql "SELECT aigw.rotate_credentials()")" "$(sql "SELECT count(*) - 1 FROM aigw.credentials")" \
   "aigw.rotate_credentials() re-encrypts every key under the previous master key and says how many"
is "$(sql "SELECT string_agg(DISTINCT master_key_id, ',') FROM aigw.credential_status WHERE is_set")" "$(key_id "$new")" \
   "every credential is now under the new master key"
is "$(sql "SELECT aigw.rotate_credentials()")" 0 "a second rotation has nothing to do"
sql "CREATE ROLE rotator IN ROLE aigw_user" 2>/dev/null
e=$(err "SET ROLE rotator; SELECT aigw.rotate_credentials()")
echo "$e" | grep -q "permission denied for function rotate_credentials"; ok $? "PUBLIC (and aigw_user) may not rotate"
rm -f "$old"
restart "aigw.previous_master_key_file = ''"
is "$(ask openai/gpt-4o-mini 'new key only')" "Mock reply to: new key only" "with the old key file gone, bearer calls work under the new key"
is "$(ask bedrock/t 'new key only')" "Mock reply to: new key only" "... and SigV4 calls"
restart "aigw.master_key_file = ''" "aigw.master_key_command = 'cat $new'"
is "$(ask openai/gpt-4o-mini 'from a command')" "Mock reply to: from a command" "the master key can come from aigw.master_key_command instead of a file"

echo "# a provider renamed keeps its key (the name is authenticated with the ciphertext)"
sql "INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme) VALUES ('acme', 'openai', 'http://127.0.0.1:$MOCK_PORT/v1', 'bearer')"
sql "SELECT aigw.set_credential('acme', '$AIGW_MOCK_KEY')" >/dev/null
sql "UPDATE aigw.providers SET name = 'acme2' WHERE name = 'acme'"
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('acme2/m', 'acme2', 'gpt-4o-mini')"
is "$(ask acme2/m 'renamed')" "Mock reply to: renamed" "the credential followed the rename, re-encrypted for the new name"
sql "UPDATE aigw.credentials SET ciphertext = (SELECT ciphertext FROM aigw.credentials WHERE provider = 'openai') WHERE provider = 'acme2'"
e=$(err "SELECT aigw.ask('acme2/m', 'moved')")
echo "$e" | head -1 | sed 's/^/#   /'
echo "$e" | grep -q '^ERROR:  5G011: nothing was sent to provider "acme2" for model "acme2/m": the credential of provider "acme2" could not be used: it does not decrypt'
ok $? "another provider's ciphertext copied into a row does not decrypt: nothing is sent, 5G011"

echo "# pg_dump carries the ciphertext; a restore on a server with the same master key works"
sql "SELECT aigw.set_credential('acme2', NULL)" >/dev/null
sql "DELETE FROM aigw.models WHERE provider = 'acme2'; DELETE FROM aigw.providers WHERE name = 'acme2'"
"$PGBIN/pg_dump" -d "$T_DB" >"$AIGW_RUN/dump.sql"
grep -q "$(sql "SELECT encode(ciphertext, 'hex') FROM aigw.credentials WHERE provider = 'openai'")" "$AIGW_RUN/dump.sql"
ok $? "the dump holds aigw.credentials' ciphertext"
! carries_secret "$AIGW_RUN/dump.sql"; ok $? "... and no key"
"$PGBIN/dropdb" --if-exists "${T_DB}_restored" 2>/dev/null; "$PGBIN/createdb" "${T_DB}_restored"
"$PGBIN/psql" -X -q -d "${T_DB}_restored" -f "$AIGW_RUN/dump.sql" >/dev/null 2>&1
T_DB=${T_DB}_restored sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT/v1' WHERE name = 'openai'"
is "$(T_DB=${T_DB}_restored ask openai/gpt-4o-mini 'restored')" "Mock reply to: restored" "the restored database calls with the restored (encrypted) key"
finish
