#!/usr/bin/env bash
# Trust upgrades: a database installed at the oldest version still shipped
# (0.1.0) and brought up with ALTER EXTENSION aigw UPDATE is the same as one
# where CREATE EXTENSION installed the current version directly: the same
# member objects, the same tables pg_dump keeps (and the rows it leaves
# out), the same pg_dump --schema-only, the same rows in every table and
# the same sequence positions.
#
# pg_dump writes an extension's objects as one CREATE EXTENSION line, so
# each database first lets go of its members (ALTER EXTENSION aigw DROP
# ..., after recording the list): then pg_dump writes every table,
# function, view, trigger, policy, grant and comment of the aigw schemas.
# Normalised in the dumps, and why:
#   * "\restrict KEY" / "\unrestrict KEY" lines (newer pg_dump): a random
#     key per run;
#   * nothing else: pg_dump's output is ordered by object type and name,
#     and holds no OIDs, so two databases with the same objects dump the
#     same text (also the column order of each table, which an upgrade
#     that adds a column at the end must keep in a fresh install).
# pg_dump leaves out the privileges an extension script set (they are its
# initial privileges, pg_init_privs), so the ACLs are also compared from
# the catalogues.
# Rows are compared as md5 of each table's rows (as text) sorted, so the
# physical order they were written in does not matter; the values do,
# every column of them.
source "$(dirname "$0")/lib.bash"
plan 8
FRESH=${T_DB}_fresh
UPDATED=${T_DB}_updated
OLDEST=0.1.0
dbsql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
for db in "$FRESH" "$UPDATED"; do
    "$PGBIN/dropdb" --if-exists -f "$db" 2>/dev/null
    "$PGBIN/createdb" "$db"
done
dbsql "$FRESH" "CREATE EXTENSION aigw"
dbsql "$UPDATED" "CREATE EXTENSION aigw VERSION '$OLDEST'"
dbsql "$UPDATED" "ALTER EXTENSION aigw UPDATE"

# the default version, from the control file the server reads
current=$(dbsql "$FRESH" "SELECT default_version FROM pg_available_extensions WHERE name = 'aigw'")
is "$(dbsql "$FRESH" "SELECT extversion FROM pg_extension WHERE extname = 'aigw'") $(dbsql "$UPDATED" "SELECT extversion FROM pg_extension WHERE extname = 'aigw'")" \
   "$current $current" "both databases are at the current version ($current)"

# compare WHAT A B: ok when the two files are the same; else the diff (its start)
compare() {
    if diff -u "$2" "$3" >"$AIGW_RUN/$T_DB.diff"; then ok 0 "$1"
    else ok 1 "$1"; head -40 "$AIGW_RUN/$T_DB.diff" | sed 's/^/#   /'; fi
}
members() {
    dbsql "$1" "SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
                 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
                   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'aigw') ORDER BY 1"
}
config_dump() {
    dbsql "$1" "SELECT t.oid::regclass || ' ' || coalesce(t.cond, '') FROM pg_extension e,
                       unnest(e.extconfig, e.extcondition) AS t(oid, cond)
                 WHERE e.extname = 'aigw' ORDER BY 1"
}
# every table's rows, every sequence's position, in the aigw schemas
contents() {
    local rel kind
    dbsql "$1" "SELECT c.oid::regclass::text, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname IN ('aigw', 'aigw_api') AND c.relkind IN ('r', 'p', 'S') ORDER BY 1" |
    while IFS='|' read -r rel kind; do
        if [ "$kind" = S ]; then
            echo "$rel $(dbsql "$1" "SELECT last_value || ' ' || is_called FROM $rel")"
        else
            echo "$rel $(dbsql "$1" "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM $rel t")"
        fi
    done
}
# who may do what: each schema's, table's, sequence's, function's ACL, and
# the initial privileges pg_dump compares them with (pg_init_privs: an ACL
# an extension script set is left out of pg_dump's output, so it is
# compared here from the catalogues)
privileges() {
    dbsql "$1" "SELECT 'schema ' || nspname || ' ' || coalesce(nspacl::text, '-') FROM pg_namespace WHERE nspname IN ('aigw', 'aigw_api')
                UNION ALL
                SELECT 'relation ' || c.oid::regclass::text || ' ' || coalesce(c.relacl::text, '-') FROM pg_class c
                 WHERE c.relnamespace IN ('aigw'::regnamespace, 'aigw_api'::regnamespace) AND c.relkind IN ('r', 'p', 'S', 'v')
                UNION ALL
                SELECT 'routine ' || p.oid::regprocedure::text || ' ' || coalesce(p.proacl::text, '-') FROM pg_proc p
                 WHERE p.pronamespace IN ('aigw'::regnamespace, 'aigw_api'::regnamespace)
                UNION ALL
                SELECT 'initial ' || pg_describe_object(classoid, objoid, objsubid) || ' ' || privtype::text || ' ' || initprivs::text
                  FROM pg_init_privs WHERE pg_describe_object(classoid, objoid, objsubid) ~ '\maigw(_api)?\.|^schema aigw'
                ORDER BY 1"
}
schema_dump() {
    # (from PostgreSQL 17 on, a table's row type and a type's array type
    # leave with it: tables first, then types, each only if still a member)
    dbsql "$1" "DO \$\$ DECLARE m text; c oid; i oid; n int; BEGIN
        FOR m, c, i, n IN SELECT o.type || ' ' || o.identity, classid, objid, objsubid FROM pg_depend, pg_identify_object(classid, objid, objsubid) o
                  WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
                    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'aigw')
                  ORDER BY o.type = 'type'
        LOOP
            CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_depend WHERE classid = c AND objid = i AND objsubid = n
                                         AND refclassid = 'pg_extension'::regclass AND deptype = 'e');
            EXECUTE 'ALTER EXTENSION aigw DROP ' || m;
        END LOOP; END \$\$"
    "$PGBIN/pg_dump" --schema-only -n aigw -n aigw_api -d "$1" >"$AIGW_RUN/$1.schema" &&
    sed -i '/^\\\(un\)\?restrict /d' "$AIGW_RUN/$1.schema"
}
for db in "$FRESH" "$UPDATED"; do
    members "$db" >"$AIGW_RUN/$db.members"
    config_dump "$db" >"$AIGW_RUN/$db.config"
    contents "$db" >"$AIGW_RUN/$db.contents"
    privileges "$db" >"$AIGW_RUN/$db.privileges" || echo "# privileges of $db not read" >>"$AIGW_RUN/$db.privileges"
done
compare "the same member objects ($(wc -l <"$AIGW_RUN/$FRESH.members"))" "$AIGW_RUN/$FRESH.members" "$AIGW_RUN/$UPDATED.members"
compare "the same tables kept by pg_dump, with the same conditions" "$AIGW_RUN/$FRESH.config" "$AIGW_RUN/$UPDATED.config"
compare "the same rows in every table, the same sequence positions" "$AIGW_RUN/$FRESH.contents" "$AIGW_RUN/$UPDATED.contents"
compare "the same privileges, and the same initial privileges ($(wc -l <"$AIGW_RUN/$FRESH.privileges") ACLs)" "$AIGW_RUN/$FRESH.privileges" "$AIGW_RUN/$UPDATED.privileges"
shipped=$(awk '$2 > 0 && length($3) == 32' "$AIGW_RUN/$FRESH.contents" | wc -l)
ok "$([ "$shipped" -ge 5 ]; echo $?)" "rows were compared: $shipped tables ship rows"

for db in "$FRESH" "$UPDATED"; do schema_dump "$db" || echo "# pg_dump of $db failed" >>"$AIGW_RUN/$db.schema"; done
compare "the same pg_dump --schema-only ($(grep -c '^CREATE' "$AIGW_RUN/$FRESH.schema") CREATE statements)" \
        "$AIGW_RUN/$FRESH.schema" "$AIGW_RUN/$UPDATED.schema"
n=$(grep -c '^CREATE \(FUNCTION\|TABLE\|VIEW\|TRIGGER\|POLICY\)\|^GRANT\|^COMMENT' "$AIGW_RUN/$FRESH.schema")
ok "$([ "$n" -ge 200 ]; echo $?)" "the dump holds the members ($n functions, tables, views, triggers, policies, grants, comments)"

for db in "$FRESH" "$UPDATED"; do "$PGBIN/dropdb" -f "$db"; done
finish
