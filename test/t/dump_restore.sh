#!/usr/bin/env bash
# Backup and restore: pg_dump -Fc of a database an administrator has
# configured and used, pg_restore into a new database, and the copy is the
# same, row for row, in every aigw table and sequence: shipped rows changed
# or deleted, rows added, prices set, money moved.  A call in the copy is
# sent where the original sends it and costs what it costs there.
source "$(dirname "$0")/lib.bash"
fresh_db                        # providers pointed at the mock: every shipped provider changed
plan 20
R_DB=${T_DB}_restored
DUMP=$AIGW_RUN/$T_DB.dump
dbsql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
rsql() { dbsql "$R_DB" "$1"; }
HELLO='[{"role": "user", "content": "a call made before and after the restore"}]'

echo "# an administrator configures the gateway"
sql "
-- a shipped provider changed (besides its base_url, which points at the mock)
UPDATE aigw.providers SET request_timeout_ms = 45000, connect_timeout_ms = 4000 WHERE name = 'openai';
-- a provider and a model added, with a key
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme, description)
VALUES ('inhouse', 'openai', 'http://127.0.0.1:$MOCK_PORT/v1', 'bearer', 'our own deployment');
SELECT aigw.set_credential('inhouse', '$AIGW_MOCK_KEY');
INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens, quality)
VALUES ('inhouse/small', 'inhouse', 'gpt-4o-mini', 1000, 42);
-- shipped rows changed: a model disabled, a quality score, a currency's name
UPDATE aigw.models SET enabled = false WHERE id = 'openai/gpt-4o';
UPDATE aigw.models SET quality = 77, quality_source = 'our own evaluation' WHERE id = 'openai/gpt-4o-mini';
UPDATE aigw.currencies SET name = 'Renminbi' WHERE code = 'CNY';
INSERT INTO aigw.currencies (code, minor_units, name) VALUES ('NZD', 2, 'New Zealand dollar');
-- shipped rows deleted
DELETE FROM aigw.providers WHERE name = 'azure';
DELETE FROM aigw.catalogue_providers WHERE litellm_provider = 'zai';
DELETE FROM aigw.currencies WHERE code = 'BRL';
-- prices: a shipped model's price changed (its shipped period is closed), an added model priced in EUR
SELECT aigw.set_price('openai/gpt-4o-mini', 7, 11);
SELECT aigw.set_price('inhouse/small', 3, 5, 'EUR');
SELECT aigw.set_fx('USD', 'EUR', 0.9);
-- a route, limits, a wallet with its default role
INSERT INTO aigw.routes (name, strategy, candidates) VALUES ('main', 'ordered', '{inhouse/small,openai/gpt-4o-mini}');
SELECT aigw.create_wallet('acme', 'EUR', 10);
SELECT aigw.set_default_wallet('postgres', 'acme');
INSERT INTO aigw.limits (wallet, spend_per_day, currency, note) VALUES ('acme', 1000, 'EUR', 'daily budget');
INSERT INTO aigw.limits (role, requests_per_minute) VALUES ('postgres', 10000);
" >/dev/null
sql "SELECT aigw.topup('acme', 100, 'EUR', 'bank', 'dump-restore-1'), aigw.topup('acme', 50, 'USD', 'card', 'dump-restore-2')" >/dev/null
sql "SELECT aigw.chat('openai/gpt-4o-mini', '$HELLO'), aigw.chat('route/main', '$HELLO'),
            aigw.chat('openai/gpt-4o-mini', '[{\"role\": \"user\", \"content\": \"x\"}]', '{\"max_tokens\": 5}')" >/dev/null

echo "# pg_dump -Fc, pg_restore into a new database"
"$PGBIN/pg_dump" -Fc -f "$DUMP" "$T_DB" 2>"$AIGW_RUN/pg_dump.err"
ok $? "pg_dump -Fc of the database"
[ -n "$KEEP" ] || "$PGBIN/dropdb" --if-exists -f "$R_DB" 2>/dev/null
"$PGBIN/createdb" "$R_DB"
"$PGBIN/pg_restore" -d "$R_DB" "$DUMP" >"$AIGW_RUN/pg_restore.err" 2>&1
rc=$?
ok $rc "pg_restore into a new database reports no error"
[ $rc -eq 0 ] || sed 's/^/#   /' "$AIGW_RUN/pg_restore.err" | head -20

# Every table and sequence of the schema (a table added later is compared
# without changing this file): the same rows, whatever their order.
digest() {   # digest DB RELATION RELKIND
    if [ "$3" = S ]; then dbsql "$1" "SELECT last_value || ' ' || is_called FROM aigw.$2"
    else dbsql "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '-') FROM aigw.$2 t"; fi
}
differ() {   # differ DB COPY RELKINDS: the relations of those kinds whose contents differ
    local rel kind out=
    while IFS='|' read -r rel kind; do
        a=$(digest "$1" "$rel" "$kind" 2>&1); b=$(digest "$2" "$rel" "$kind" 2>&1)
        [ "$a" = "$b" ] || { out="$out $rel"; echo "#   $rel: $a | restored: $b" >&2; }
    done < <(dbsql "$1" "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'aigw' AND c.relkind IN ($3) ORDER BY 1")
    echo "${out# }"
}
is "$(differ "$T_DB" "$R_DB" "'r', 'p'")" "" "every aigw table has the same rows in the restored database"
is "$(differ "$T_DB" "$R_DB" "'S'")" "" "every aigw sequence is where it was"
is "$(rsql "SELECT base_url LIKE 'http://127.0.0.1:%' AND request_timeout_ms = 45000 AND connect_timeout_ms = 4000
              FROM aigw.providers WHERE name = 'openai'")" "t" "a shipped provider keeps its changed base_url and timeouts"
is "$(rsql "SELECT count(*) FROM aigw.providers WHERE name = 'azure'") $(rsql "SELECT count(*) FROM aigw.currencies WHERE code = 'BRL'")" \
   "0 0" "deleted shipped rows stay deleted"
is "$(rsql "SELECT input_per_mtok || '/' || output_per_mtok FROM aigw.prices
             WHERE model = 'openai/gpt-4o-mini' AND valid_to IS NULL")" "7/11" "the price set with aigw.set_price is in force"
is "$(rsql "SELECT count(*) FROM aigw.prices WHERE model = 'openai/gpt-4o-mini'")" "2" \
   "and the shipped period it closed is there once"

echo "# the same calls in both databases"
before=$(rsql "SELECT max(id) FROM aigw.requests")
for db in sql rsql; do
    $db "SELECT r->'aigw'->>'provider', r->'aigw'->>'cost', (r->'aigw'->>'request_id')::bigint
           FROM (SELECT aigw.chat('openai/gpt-4o-mini', '$HELLO') r) c
         UNION ALL
         SELECT r->'aigw'->>'provider', r->'aigw'->>'cost', (r->'aigw'->>'request_id')::bigint
           FROM (SELECT aigw.chat('route/main', '$HELLO') r) c" >"$AIGW_RUN/calls.$db" 2>&1
done
is "$(cut -d'|' -f1,2 "$AIGW_RUN/calls.rsql" | tr '\n' ' ')" "$(cut -d'|' -f1,2 "$AIGW_RUN/calls.sql" | tr '\n' ' ')" \
   "the restored database sends the calls to the same providers, at the same cost"
is "$(cut -d'|' -f2 "$AIGW_RUN/calls.sql" | awk '$1 > 0' | wc -l)" "2" "both calls cost something"
is "$(awk -F'|' -v m="$before" '$3 > m' "$AIGW_RUN/calls.rsql" | wc -l)" "2" "new request ids follow the restored ones"
charges() { $1 "SELECT string_agg(l.amount::text, ' ' ORDER BY l.id) FROM aigw.ledger l
                 WHERE l.kind = 'charge' AND l.request_id IN (SELECT id FROM aigw.requests WHERE id > $before)"; }
is "$(charges rsql)" "$(charges sql)" "and charges the wallet the same amounts"
is "$(rsql "SELECT aigw.balance('acme')")" "$(sql "SELECT aigw.balance('acme')")" "the wallet has the same balance"
is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "verify_ledger: the original's books balance"
is "$(rsql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "verify_ledger: the restored database's books balance"

[ -n "$KEEP" ] || "$PGBIN/dropdb" --if-exists -f "$R_DB" 2>/dev/null

echo "# a database updated from aigw 0.2.0: its administrator had a provider, a model and a price"
echo "# before aigw shipped them (the shipped price was never inserted), and disabled a model"
U_DB=${T_DB}_updated
"$PGBIN/dropdb" --if-exists -f "$U_DB" 2>/dev/null
"$PGBIN/createdb" "$U_DB"
dbsql "$U_DB" "CREATE EXTENSION aigw VERSION '0.2.0'"
dbsql "$U_DB" "INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme)
               VALUES ('anthropic', 'anthropic', 'https://llm-proxy.example.com/anthropic', 'x-api-key');
               INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('anthropic/claude-opus-4-1', 'anthropic', 'claude-opus-4-1');
               UPDATE aigw.models SET enabled = false WHERE id = 'openai/gpt-4o'" >/dev/null
dbsql "$U_DB" "SELECT aigw.set_price('anthropic/claude-opus-4-1', 12, 60, source => 'negotiated')" >/dev/null
# and closed the shipped period of a model that now has batch rates
dbsql "$U_DB" "SELECT aigw.set_price('openai/gpt-4.1-nano', 0.2, 0.8)" >/dev/null
dbsql "$U_DB" "ALTER EXTENSION aigw UPDATE"
is "$(dbsql "$U_DB" "SELECT (SELECT origin FROM aigw.providers WHERE name = 'anthropic') || ' ' ||
                            (SELECT origin FROM aigw.providers WHERE name = 'openai') || ' ' ||
                            (SELECT origin FROM aigw.models WHERE id = 'openai/gpt-4o') || ' ' ||
                            (SELECT origin FROM aigw.models WHERE id = 'openai/gpt-4o-mini') || ' ' ||
                            (SELECT string_agg(origin, ',' ORDER BY valid_from) FROM aigw.prices WHERE model = 'anthropic/claude-opus-4-1')")" \
   "changed shipped changed shipped added" "the update tells the rows still as shipped from the administrator's"
is "$(dbsql "$U_DB" "SELECT table_name || ' ' || (key->>'model') FROM aigw.deleted_rows")" "prices anthropic/claude-opus-4-1" \
   "and records the shipped price the database does not have"
is "$(dbsql "$U_DB" "SELECT string_agg(origin || ' ' || coalesce(input_batch_per_mtok || '/' || output_batch_per_mtok, '-'), ', '
                              ORDER BY valid_from) FROM aigw.prices WHERE model = 'openai/gpt-4.1-nano'")" \
   "changed 0.05/0.2, added -" \
   "the shipped period the administrator closed has the batch rates a fresh install ships (a restore compares them)"
"$PGBIN/pg_dump" -Fc -f "$DUMP" "$U_DB"
# Loaded in another order than pg_dump's (aigw.deleted_rows last), the
# administrator's price meets the shipped period CREATE EXTENSION made.
"$PGBIN/pg_restore" -l "$DUMP" | grep -v "TABLE DATA aigw deleted_rows" >"$AIGW_RUN/toc.list"
"$PGBIN/pg_restore" -l "$DUMP" | grep "TABLE DATA aigw deleted_rows" >>"$AIGW_RUN/toc.list"
for order in default reordered; do
    "$PGBIN/dropdb" --if-exists -f "$R_DB" 2>/dev/null
    "$PGBIN/createdb" "$R_DB"
    if [ $order = default ]; then "$PGBIN/pg_restore" -d "$R_DB" "$DUMP" >"$AIGW_RUN/pg_restore.err" 2>&1
    else "$PGBIN/pg_restore" -d "$R_DB" -L "$AIGW_RUN/toc.list" "$DUMP" >"$AIGW_RUN/pg_restore.err" 2>&1; fi
    rc=$?
    [ $rc -eq 0 ] || sed 's/^/#   /' "$AIGW_RUN/pg_restore.err" | head -20
    is "$rc $(differ "$U_DB" "$R_DB" "'r', 'p', 'S'")" "0 " "restored in the $order order: no error, every table and sequence the same"
done

[ -n "$KEEP" ] || "$PGBIN/dropdb" --if-exists -f "$R_DB" 2>/dev/null
[ -n "$KEEP" ] || "$PGBIN/dropdb" --if-exists -f "$U_DB" 2>/dev/null
rm -f "$DUMP"
finish
