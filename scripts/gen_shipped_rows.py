#!/usr/bin/env python3
"""Generate the SQL that marks the rows aigw 0.8.0 shipped, for the 0.9.0 upgrade.

What: install aigw 0.8.0 in a scratch database of a running server (the
one PGHOST/PGPORT name, e.g. after `source scripts/cluster.sh` with a cluster
started; aigw must be installed there: scripts/setup.sh), compute the key and the
fingerprint (aigw.shipped_fingerprint, taken from the upgrade script
itself) of every row it ships in providers, models, prices, currencies and
catalogue_providers, and emit, per table, one statement that marks the rows
of the database being upgraded: 'shipped' when the row is still as shipped,
'changed' when it has the key of a shipped row but other values, and a row
of aigw.deleted_rows for a shipped key the database does not have.

Why: from 0.9.0 on a trigger keeps each row's origin, but a database
updated from an earlier release has no record of what its administrator
changed; comparing with what was shipped is the only way to know, and it is
what lets pg_dump leave out exactly the rows CREATE EXTENSION makes again.
The output is committed between `-- BEGIN GENERATED SHIPPED ROWS` and
`-- END GENERATED SHIPPED ROWS` of sql/aigw--0.8.0--0.9.0.sql
(`--write FILE`; without it the SQL is printed).

Standard library only (Python 3.11).
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_prices import sql_text, write_block  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UPGRADE = ROOT / 'sql/aigw--0.8.0--0.9.0.sql'
BEGIN = '-- BEGIN GENERATED SHIPPED ROWS'
END = '-- END GENERATED SHIPPED ROWS'
PROG = 'gen_shipped_rows'
SCRATCH = 'aigw_gen_shipped_rows'

# table -> its primary key columns, in order
TABLES = {
    'providers': ['name'],
    'models': ['id'],
    'prices': ['model', 'currency', 'valid_from'],
    'currencies': ['code'],
    'catalogue_providers': ['litellm_provider'],
}


def fail(msg):
    sys.exit(f'{PROG}: {msg}')


def psql(args, database, sql):
    cmd = [args.psql, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-F', '\t', '-d', database, '-c', sql]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f'psql failed: {done.stderr.strip()}')
    return done.stdout


def fingerprint_function():
    """The CREATE FUNCTION of aigw.shipped_fingerprint, as the upgrade script has it."""
    text = UPGRADE.read_text(encoding='utf-8')
    m = re.search(r'^-- BEGIN SHIPPED FINGERPRINT\n(.*?)^-- END SHIPPED FINGERPRINT$', text, re.M | re.S)
    if not m:
        fail(f'{UPGRADE} has no "-- BEGIN SHIPPED FINGERPRINT" ... "-- END SHIPPED FINGERPRINT" block')
    return m.group(1)


def shipped_rows(args):
    """table -> [(key values..., fingerprint)], from a fresh aigw 0.8.0."""
    psql(args, 'postgres', f'DROP DATABASE IF EXISTS {SCRATCH}')
    psql(args, 'postgres', f'CREATE DATABASE {SCRATCH}')
    try:
        psql(args, SCRATCH, "CREATE EXTENSION aigw VERSION '0.8.0'")
        psql(args, SCRATCH, fingerprint_function())
        rows = {}
        for table, key in TABLES.items():
            cols = ', '.join(
                f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'" if c == 'valid_from' else c
                for c in key)
            order = ', '.join(c if c == 'valid_from' else f'{c} COLLATE "C"' for c in key)
            out = psql(args, SCRATCH, f'SELECT {cols}, aigw.shipped_fingerprint(t) FROM aigw.{table} t ORDER BY {order}')
            rows[table] = [line.split('\t') for line in out.splitlines()]
    finally:
        psql(args, 'postgres', f'DROP DATABASE IF EXISTS {SCRATCH}')
    return rows


def statement(table, key, rows):
    names = ', '.join(key)
    values = ',\n'.join('    (' + ', '.join(sql_text(v) for v in r) + ')' for r in rows)
    typed = ', '.join(f's.{c}::timestamptz' if c == 'valid_from' else f's.{c}' for c in key)
    match = ' AND '.join(f't.{c} = s.{c}::timestamptz' if c == 'valid_from' else f't.{c} = s.{c}' for c in key)
    built = ', '.join(f"'{c}', {t}" for c, t in zip(key, typed.split(', ')))
    same = 'aigw.shipped_fingerprint(t) = s.fp'
    sets = f"origin = CASE WHEN {same} THEN 'shipped' ELSE 'changed' END"
    if table == 'prices':
        # a shipped price is recorded as of its valid_from, by 'aigw' (see the upgrade script)
        sets += (f',\n        created_at = CASE WHEN {same} THEN t.valid_from ELSE t.created_at END,'
                 f"\n        created_by = CASE WHEN {same} THEN 'aigw' ELSE t.created_by END")
    return (f'WITH shipped ({names}, fp) AS (VALUES\n{values}\n), marked AS (\n'
            f"    UPDATE aigw.{table} t SET {sets}\n"
            f'      FROM shipped s WHERE {match}\n'
            f'    RETURNING t.*\n)\n'
            f'INSERT INTO aigw.deleted_rows (table_name, key)\n'
            f"SELECT '{table}', aigw.row_key(r)\n"
            f'  FROM shipped s, jsonb_populate_record(NULL::aigw.{table}, jsonb_build_object({built})) r\n'
            f' WHERE NOT EXISTS (SELECT 1 FROM marked t WHERE {match});\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--psql', default=os.path.join(os.environ.get('AIGW_PGBIN', '/usr/lib/postgresql/15/bin'), 'psql'),
                    help='psql of the server to use (default: $AIGW_PGBIN/psql)')
    ap.add_argument('--write', metavar='FILE', help='replace the generated block in FILE instead of printing it')
    args = ap.parse_args()

    rows = shipped_rows(args)
    block = [BEGIN,
             f'-- Generated by scripts/gen_shipped_rows.py from a fresh install of aigw 0.8.0: the key and',
             '-- fingerprint of each row it ships.  Do not edit by hand: change the script and run it',
             '-- with --write.  A row still as shipped becomes \'shipped\', one changed since \'changed\',',
             '-- and a shipped key this database does not have is recorded in aigw.deleted_rows.',
             '-- ' + ', '.join(f'{t}: {len(r)}' for t, r in rows.items()) + ' rows.']
    for table, key in TABLES.items():
        if not rows[table]:
            fail(f'aigw 0.8.0 ships no row in aigw.{table}?')
        block.append(statement(table, key, rows[table]))
    text = '\n'.join(block) + END
    if args.write:
        write_block(args.write, text, BEGIN, END, PROG)
    else:
        sys.stdout.write(text)


if __name__ == '__main__':
    main()
