#!/usr/bin/env python3
"""Generate the SQL that seeds aigw.prices from the LiteLLM model price map.

What: for every model seeded in `aigw.models` (parsed from the extension's SQL
script, so the two lists cannot drift), look up its entry in LiteLLM's public
price map (MIT licence) and emit one INSERT INTO aigw.prices, with the rates
converted exactly from USD per token to USD per million tokens.

Why: the price map is a large third-party file that a user's clone does not
have, so the generated SQL is committed between the marker lines below in
sql/data/prices.sql (`--write`, what a fresh install loads; without it the
SQL is printed) when a newer map is mirrored.  A changed price reaches
existing databases through the next upgrade script (README, "Versions and
upgrades"); a released script is never rewritten.  Decimal arithmetic keeps the rates exact: 1.5E-7 per
token becomes 0.15 per million, never 0.15000000000000002.

The batch rates came after the prices: `--upgrade` writes, into the upgrade
script of the version being developed, the statement that gives the price
periods an existing database already has the batch rates sql/data ships
(read from the generated rows of prices.sql, catalogue.sql, embeddings.sql).

Standard library only (Python 3.11).
"""
import argparse
import decimal
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = '-- BEGIN GENERATED PRICES'
END = '-- END GENERATED PRICES'

# aigw provider -> (litellm_provider, prefix of the price-map key before the
# upstream model name).  OpenAI's own models are keyed by their bare name.
PROVIDERS = {
    'openai':     ('openai', ''),
    'deepseek':   ('deepseek', 'deepseek/'),
    'qwen':       ('dashscope', 'dashscope/'),
    'mistral':    ('mistral', 'mistral/'),
    'groq':       ('groq', 'groq/'),
    'together':   ('together_ai', 'together_ai/'),
    'openrouter': ('openrouter', 'openrouter/'),
    'xai':        ('xai', 'xai/'),
}

# aigw.prices column -> price-map field (USD per token).  The first two are
# required; the last two are the rates through the provider's batch API
# (absent: NULL, which aigw reads as half the input or output rate).
RATES = {
    'input_per_mtok': 'input_cost_per_token',
    'output_per_mtok': 'output_cost_per_token',
    'cached_input_per_mtok': 'cache_read_input_token_cost',
    'cache_write_per_mtok': 'cache_creation_input_token_cost',
    'reasoning_per_mtok': 'output_cost_per_reasoning_token',
    'input_batch_per_mtok': 'input_cost_per_token_batches',
    'output_batch_per_mtok': 'output_cost_per_token_batches',
}
BATCH_RATES = ('input_batch_per_mtok', 'output_batch_per_mtok')

# The files whose aigw.prices rows the generators write (this script,
# gen_catalogue.py, gen_embeddings.py), and the block of the upgrade script
# that gives the price periods an existing database already has their batch
# rates (--upgrade).
DATA_PRICES = ('sql/data/prices.sql', 'sql/data/catalogue.sql', 'sql/data/embeddings.sql')
BATCH_BEGIN = '-- BEGIN GENERATED BATCH RATES'
BATCH_END = '-- END GENERATED BATCH RATES'


def warn(msg):
    print(f'gen_prices: {msg}', file=sys.stderr)


def read_models(sql_path):
    """(id, provider, upstream_model) of each row of the aigw.models INSERT, in order."""
    lines = Path(sql_path).read_text(encoding='utf-8').splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('INSERT INTO aigw.models (')), None)
    if start is None:
        sys.exit(f'gen_prices: no "INSERT INTO aigw.models" in {sql_path}')
    models = []
    for line in lines[start + 1:]:
        quoted = [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", line)]
        if line.lstrip().startswith('(') and len(quoted) >= 3:
            models.append(tuple(quoted[:3]))
        if line.rstrip().endswith(';'):
            break
    return models


def per_mtok(value):
    """USD per token -> plain decimal text per million tokens ('0.15', '10'); None if absent or zero."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, decimal.Decimal)):
        return None
    mtok = (decimal.Decimal(value) * 1000000).normalize()
    return None if mtok == 0 else format(mtok, 'f')


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def price_rows(models, prices, date):
    """The VALUES rows, and the number of models that could not be priced."""
    rows, skipped = [], 0
    for model_id, provider, upstream in models:
        litellm_provider, prefix = PROVIDERS.get(provider, (None, None))
        key = None if prefix is None else prefix + upstream
        entry = prices.get(key) if key else None
        if entry is None and provider == 'openrouter' and '/' in upstream:
            # OpenRouter charges the serving provider's list price; the map
            # lacks some of its aliases, so fall back to the provider's entry.
            vendor, name = upstream.split('/', 1)
            litellm_provider, prefix = PROVIDERS.get(vendor, (None, None))
            key = None if prefix is None else prefix + name
            entry = prices.get(key) if key else None
        if entry is None or entry.get('litellm_provider') != litellm_provider:
            warn(f'{model_id}: no price-map entry {key!r} (provider {litellm_provider!r}); skipped')
            skipped += 1
            continue
        rates = {col: per_mtok(entry.get(field)) for col, field in RATES.items()}
        if rates['input_per_mtok'] is None or rates['output_per_mtok'] is None:
            warn(f'{model_id}: {key!r} lacks an input or output price; skipped')
            skipped += 1
            continue
        print(f'gen_prices: {model_id} <- {key}', file=sys.stderr)
        values = ', '.join(v or 'NULL' for v in rates.values())
        rows.append(f"    ({sql_text(model_id)}, 'USD', {values}, '{date} 00:00:00+00', "
                    f"{sql_text(f'litellm {date}: {key}')})")
    return rows, skipped


def render(rows, date):
    return '\n'.join([
        BEGIN,
        f'-- Generated by scripts/gen_prices.py from the LiteLLM model price map (MIT licence), mirrored {date}.',
        'INSERT INTO aigw.prices (model, currency, ' + ', '.join(RATES) + ', valid_from, source) VALUES',
        ',\n'.join(rows) + ';',
        END,
    ])


def shipped_prices(paths):
    """The price rows the generated files ship, as dicts: model, currency, each
    rate of RATES (SQL text: a number or NULL), valid_from and source.  A row
    is a line "('model', 'USD', rates..., ['valid_from',] 'litellm DATE: key')"
    (the generators write one a line); its period starts on the mirror date."""
    rows = []
    for path in paths:
        for line in (ROOT / path).read_text(encoding='utf-8').splitlines():
            m = re.fullmatch(r"\s*\((.*)\)[,;]?", line)
            tokens = re.findall(r"'(?:[^']|'')*'|[^,\s]+", m.group(1)) if m else []
            if len(tokens) < 3 + len(RATES) or tokens[1] != "'USD'" or not tokens[-1].startswith("'litellm "):
                continue
            source = tokens[-1][1:-1].replace("''", "'")
            date = re.match(r'litellm (\d{4}-\d{2}-\d{2}): ', source)
            if not date:
                sys.exit(f'gen_prices: {path}: no mirror date in the source of {line.strip()}')
            row = {'model': tokens[0][1:-1].replace("''", "'"), 'currency': 'USD'}
            row.update(zip(RATES, tokens[2:2 + len(RATES)]))
            row.update(valid_from=f'{date.group(1)} 00:00:00+00', source=source)
            rows.append(row)
    return rows


def render_batch_upgrade(rows):
    """The UPDATE that gives each shipped price period its batch rates, where
    it has some: the same period (key, source, input and output rates) in a
    database that was installed before the columns existed.  Its origin is
    kept (the trigger does), so a period an administrator closed gets them too,
    as a fresh install would have it."""
    cols = ('input_per_mtok', 'output_per_mtok') + BATCH_RATES
    values = [f"    ({sql_text(r['model'])}, {sql_text(r['currency'])}, {sql_text(r['valid_from'])}, "
              + ', '.join(r[c] for c in cols) + f", {sql_text(r['source'])})"
              for r in rows if any(r[c] != 'NULL' for c in BATCH_RATES)]
    if not values:
        sys.exit('gen_prices: no shipped price has a batch rate')
    return '\n'.join([
        BATCH_BEGIN,
        '-- Generated by scripts/gen_prices.py --upgrade from the prices ' + ', '.join(DATA_PRICES) + ' ship.',
        f'-- Do not edit by hand: change the script and run it again.  {len(values)} price periods.',
        'UPDATE aigw.prices p',
        '   SET ' + ', '.join(f'{c} = v.{c}::numeric' for c in BATCH_RATES),
        '  FROM (VALUES',
        ',\n'.join(values),
        '  ) AS v (model, currency, valid_from, ' + ', '.join(cols) + ', source)',
        ' WHERE p.model = v.model AND p.currency = v.currency AND p.valid_from = v.valid_from::timestamptz',
        '   AND p.source = v.source AND p.input_per_mtok = v.input_per_mtok::numeric'
        ' AND p.output_per_mtok = v.output_per_mtok::numeric;',
        BATCH_END,
    ])


def upgrade_script():
    """The upgrade script to the version being developed (aigw--A--EXTVERSION.sql)."""
    found = sorted((ROOT / 'sql').glob(f'aigw--*--{current_version()}.sql'))
    if len(found) != 1:
        sys.exit(f'gen_prices: expected one upgrade script to {current_version()} in sql/, found {len(found)}')
    return found[0]


def current_version():
    """The version being developed: EXTVERSION in the Makefile, where it is written once."""
    m = re.search(r'^EXTVERSION\s*=\s*(\S+)', (ROOT / 'Makefile').read_text(encoding='utf-8'), re.M)
    return m.group(1) if m else None


def released_script(path):
    """Whether path is an install or upgrade script of a released version (one
    older than the Makefile's EXTVERSION): databases already past it never run
    it again, so a change there would reach fresh installs only."""
    m = re.fullmatch(r'aigw--(?:[0-9.]+--)?([0-9.]+)\.sql', Path(path).name)
    cur = current_version()
    if not m or not cur:
        return False
    key = lambda v: tuple(int(x) for x in v.split('.'))
    return key(m.group(1)) < key(cur)


def write_block(path, block, begin=BEGIN, end=END, prog='gen_prices'):
    """Replace begin..end (marker lines included) in path; every other byte is kept."""
    if released_script(path):
        sys.exit(f'{prog}: {path} is a released script and is never rewritten: new rows and prices '
                 'reach existing databases through the next upgrade script (README, "Versions and upgrades")')
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    begins = [m.start() for m in re.finditer(rf'^{re.escape(begin)}(?=\r?$)', text, re.M)]
    ends = [m.end() for m in re.finditer(rf'^{re.escape(end)}(?=\r?$)', text, re.M)]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        sys.exit(f'{prog}: {path} must contain one "{begin}" line followed by one "{end}" line')
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text[:begins[0]] + block + text[ends[0]:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--prices', default=ROOT.parent / 'shared/data/model_prices_2026-07-24.json',
                    help='LiteLLM price map; its file name must contain the mirror date (YYYY-MM-DD)')
    ap.add_argument('--models-sql', default=ROOT / 'sql/aigw--0.1.0.sql',
                    help='SQL script whose aigw.models INSERT lists the models to price')
    ap.add_argument('--write', metavar='FILE', nargs='?', const=ROOT / 'sql/data/prices.sql',
                    help='replace the generated block in FILE (default sql/data/prices.sql) instead of printing it')
    ap.add_argument('--strict', action='store_true', help='fail if any model cannot be priced')
    ap.add_argument('--upgrade', metavar='FILE', nargs='?', const='',
                    help='instead: write the batch rates of the prices sql/data ships, for databases installed '
                         'before aigw.prices had them, into the generated block of FILE (default: the upgrade '
                         'script to the version being developed)')
    args = ap.parse_args()

    if args.upgrade is not None:
        write_block(args.upgrade or upgrade_script(), render_batch_upgrade(shipped_prices(DATA_PRICES)),
                    BATCH_BEGIN, BATCH_END)
        return

    date = re.search(r'\d{4}-\d{2}-\d{2}', Path(args.prices).name)
    if not date:
        sys.exit(f'gen_prices: no YYYY-MM-DD mirror date in the file name {args.prices}')
    try:
        with open(args.prices, encoding='utf-8') as f:
            prices = json.load(f, parse_float=decimal.Decimal)
    except OSError as e:
        sys.exit(f'gen_prices: cannot read the price map: {e}')

    rows, skipped = price_rows(read_models(args.models_sql), prices, date.group())
    if not rows or (skipped and args.strict):
        sys.exit(f'gen_prices: {skipped} model(s) could not be priced')
    block = render(rows, date.group())
    if args.write:
        write_block(args.write, block)
    else:
        print(block)


if __name__ == '__main__':
    main()
