#!/usr/bin/env python3
"""Generate the SQL of aigw's embedding-model catalogue from the LiteLLM model price map.

What: the embedding models (price-map entries of mode "embedding") of the
providers aigw already has, as rows of aigw.models with kind 'embedding',
their output vector size (dimensions), context window (the token limit of
ONE input), per-request packing limits (max_inputs_per_request,
max_tokens_per_request) and whether they accept a shorter `dimensions`
(dimensions_settable); and their published input prices in aigw.prices,
converted exactly from USD per token to USD per million tokens, with an
output price of 0 (an embedding call has no output tokens).

Why: the price map is a large third-party file that a user's clone does not
have, so the generated SQL is committed between the marker lines
`-- BEGIN GENERATED EMBEDDING CATALOGUE` and
`-- END GENERATED EMBEDDING CATALOGUE` of sql/data/embeddings.sql (what a
fresh install loads), and this script is how it is regenerated when a newer
map is mirrored (`--write`; without it the block is printed).  What changed
reaches existing databases through the next upgrade script (README,
"Versions and upgrades"); a released script is never rewritten.

Which models: EMBEDDINGS below names price-map keys, one list per aigw
provider, chosen by hand, each with the packing limits its provider
documents.  The provider is the one aigw.catalogue_providers maps the
entry's litellm_provider to (gen_catalogue.CATALOGUE_PROVIDERS: the one
mapping), and the id is '<aigw provider>/<upstream model>' as for chat
models.  Left out: models of providers aigw does not have, anything retired
on or before the mirror date (the map's `deprecation_date`), anything
without an input price, dated or preview duplicates of an alias at the same
price (DUPLICATES), and models whose requests or answers are not the ones
listed here (LEFT_OUT, with the reason).  The script checks each listed key
against the map and leaves out, with a warning, any that no longer
qualifies; --strict makes that an error.  An embedding entry of a provider
aigw has that is neither listed nor left out on purpose is reported, so a
newer map's additions are not missed.

Standard library only (Python 3.11).
"""
import argparse
import datetime
import decimal
import json
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_prices     # noqa: E402  (per_mtok, sql_text, RATES, read_models, write_block)
import gen_catalogue  # noqa: E402  (CATALOGUE_PROVIDERS, sql_value, limit)

ROOT = gen_prices.ROOT
BEGIN = '-- BEGIN GENERATED EMBEDDING CATALOGUE'
END = '-- END GENERATED EMBEDDING CATALOGUE'

# Scripts whose aigw.models INSERT lists models already shipped (0.1.0 and
# the 0.3.0 chat catalogue); an embedding id among them is a conflict.
SHIPPED_SQL = ('sql/aigw--0.1.0.sql', 'sql/aigw--0.2.0--0.3.0.sql')


def spec(inputs, tokens, settable, dimensions, dimensions_doc=None):
    """Packing limits of one model, as its provider documents them.

    inputs:     most inputs in one request (max_inputs_per_request); None: not documented.
    tokens:     most tokens summed over the inputs of one request (max_tokens_per_request);
                None: no request-wide limit beyond inputs x context window.
    settable:   the model accepts a shorter output size (dimensions_settable).
    dimensions: the provider's documented default output size, used when the map
                has no output_vector_size, and checked against it when it has one.
    """
    return {'inputs': inputs, 'tokens': tokens, 'settable': settable,
            'dimensions': dimensions, 'dimensions_doc': dimensions_doc}


# --- Per-request limits, and where each is stated --------------------------
#
# OpenAI, POST /v1/embeddings (API reference, "Create embeddings", request
# body `input`; the same text is in OpenAI's OpenAPI description,
# CreateEmbeddingRequest, mirrored in ../shared/data/openai-openapi):
# "any array must be 2048 dimensions or less" (maxItems 2048) and "all
# embedding models enforce a maximum of 300,000 tokens summed across all
# inputs in a single request"; `dimensions`: "Only supported in
# text-embedding-3 and later models" (so not ada-002).  Default sizes (OpenAI
# embeddings guide): 3-small 1536, 3-large 3072, ada-002 1536.
OPENAI_3 = dict(inputs=2048, tokens=300000, settable=True)
OPENAI_ADA = dict(inputs=2048, tokens=300000, settable=False)

# Gemini API, models.batchEmbedContents: at most 100 requests (inputs) per
# batch; the API answers 400 "BatchEmbedContentsRequest.requests: at most 100
# requests can be in one batch".  No request-wide token limit is stated (each
# input is bounded by the model's input token limit).  Output size: the model
# pages of gemini-embedding-001 and gemini-embedding-2 (ai.google.dev/
# gemini-api/docs/models/...): "Output dimension size: Flexible, supports
# 128 - 3072, recommended 768, 1536, 3072" (EmbedContentRequest
# .outputDimensionality); default 3072.
GEMINI = dict(inputs=100, tokens=None, settable=True)

# Amazon Bedrock, InvokeModel (Bedrock user guide, "Amazon Titan Embeddings
# G1 - Text", which documents both bodies): the request carries ONE
# `inputText` string, so one input per request.  V2 request: "dimensions -
# (optional) ... The following values are accepted: 1024 (default), 512,
# 256".  G1 (amazon.titan-embed-text-v1) request: inputText only; "does not
# support the use of inference parameters"; 1536 dimensions.
TITAN_V2 = dict(inputs=1, tokens=None, settable=True)
TITAN_V1 = dict(inputs=1, tokens=None, settable=False)

# Bedrock user guide, "Cohere Embed models" / "Cohere Embed v3": `texts` -
# "Texts per call: Maximum 96 texts"; "Characters: Maximum 2048 characters"
# per text; no output-size parameter; 1024 dimensions (Cohere's model list:
# embed-english-v3.0 and embed-multilingual-v3.0, 1024).
# "Cohere Embed v4": `texts` "up to 96 per call"; "output_dimension": 256 |
# 512 | 1024 | 1536 (default 1536); context up to ~128k tokens.
COHERE_V3 = dict(inputs=96, tokens=None, settable=False)
# aigw sends a shorter length only as OpenAI's `dimensions`, Gemini's
# `outputDimensionality` and Titan's `dimensions`; Cohere v4 and codestral
# name it `output_dimension`, so for them the option is refused, not lost.
COHERE_V4 = dict(inputs=96, tokens=None, settable=False)

# Mistral, POST /v1/embeddings (OpenAI protocol).  Mistral's documentation
# states no batch limits, and OpenAI's (2048 inputs, 300,000 tokens) are too
# large for it: the API answers 400 "Too many tokens in batch. Max is 16384"
# (reported for mistral-embed 2024-2025, e.g. aurelio-labs/semantic-router
# #297, dust-tt/dust #10654; LangChain's MistralAIEmbeddings batches under
# 16k tokens for it) and "Too many inputs in request, split into more
# batches" above 256 inputs (rig-core's Mistral provider, checked against the
# live API: 256 accepted, 257 refused).  These two are observed limits, not
# documented ones; they are lower than OpenAI's, so they cost at worst a few
# more requests.  Sizes (Mistral docs): mistral-embed 1024, fixed ("Text
# Embeddings"); codestral-embed `output_dimension` "defaults to 1536 and has
# a maximum value of 3072" ("Code Embeddings").
MISTRAL_EMBED = dict(inputs=256, tokens=16384, settable=False)
CODESTRAL_EMBED = dict(inputs=256, tokens=16384, settable=False)  # output_dimension: see COHERE_V4

# Together AI, POST /v1/embeddings (OpenAI protocol): no per-request limits
# documented that we know of; left NULL.  BAAI/bge-base-en-v1.5: 768
# dimensions, 512-token inputs, fixed size.
TOGETHER_FIXED = dict(inputs=None, tokens=None, settable=False)

# Where each default output size is stated (see above).
OPENAI_DOC, GEMINI_DOC = 'OpenAI embeddings guide', 'Gemini API model page'
TITAN_DOC, COHERE_V3_DOC, COHERE_V4_DOC = 'Bedrock, Titan Embeddings', 'Cohere v3 models', 'Bedrock, Cohere Embed v4'
MISTRAL_DOC, CODESTRAL_DOC = 'Mistral docs, Text Embeddings', 'Mistral docs, Code Embeddings'

# The catalogue: aigw provider -> [(price-map key, spec)], in the order listed.
EMBEDDINGS = {
    'openai': [
        ('text-embedding-3-small', spec(**OPENAI_3, dimensions=1536, dimensions_doc=OPENAI_DOC)),
        ('text-embedding-3-large', spec(**OPENAI_3, dimensions=3072, dimensions_doc=OPENAI_DOC)),
        ('text-embedding-ada-002', spec(**OPENAI_ADA, dimensions=1536, dimensions_doc=OPENAI_DOC)),
    ],
    'gemini': [
        ('gemini/gemini-embedding-001', spec(**GEMINI, dimensions=3072, dimensions_doc=GEMINI_DOC)),
        ('gemini/gemini-embedding-2', spec(**GEMINI, dimensions=3072, dimensions_doc=GEMINI_DOC)),
    ],
    'bedrock': [
        ('amazon.titan-embed-text-v2:0', spec(**TITAN_V2, dimensions=1024, dimensions_doc=TITAN_DOC)),
        ('amazon.titan-embed-text-v1', spec(**TITAN_V1, dimensions=1536, dimensions_doc=TITAN_DOC)),
        ('cohere.embed-english-v3', spec(**COHERE_V3, dimensions=1024, dimensions_doc=COHERE_V3_DOC)),
        ('cohere.embed-multilingual-v3', spec(**COHERE_V3, dimensions=1024, dimensions_doc=COHERE_V3_DOC)),
        ('cohere.embed-v4:0', spec(**COHERE_V4, dimensions=1536, dimensions_doc=COHERE_V4_DOC)),
    ],
    'mistral': [
        ('mistral/mistral-embed', spec(**MISTRAL_EMBED, dimensions=1024, dimensions_doc=MISTRAL_DOC)),
        ('mistral/codestral-embed', spec(**CODESTRAL_EMBED, dimensions=1536, dimensions_doc=CODESTRAL_DOC)),
    ],
    'together': [
        ('together_ai/BAAI/bge-base-en-v1.5', spec(**TOGETHER_FIXED, dimensions=768, dimensions_doc='BAAI model card')),
    ],
}

# Dated or preview keys of a model that EMBEDDINGS lists under its alias, at
# the same price (checked): key -> the alias's key.
DUPLICATES = {
    'text-embedding-ada-002-v2': 'text-embedding-ada-002',
    'mistral/codestral-embed-2505': 'mistral/codestral-embed',
    'gemini/gemini-embedding-2-preview': 'gemini/gemini-embedding-2',
    'together_ai/baai/bge-base-en-v1.5': 'together_ai/BAAI/bge-base-en-v1.5',
}

# Embedding entries of providers aigw has, left out on purpose: key -> why.
PPLX = ('Perplexity answers base64 int8 vectors only (no float), at /v1/embeddings, '
        'not under aigw\'s perplexity base_url https://api.perplexity.ai')
LEFT_OUT = {
    'amazon.titan-embed-g1-text-02':
        'an older id of Titan text embeddings; Bedrock documents amazon.titan-embed-text-v1 and -v2:0',
    'amazon.titan-embed-image-v1':
        'Titan Multimodal Embeddings: its own request body (inputImage, embeddingConfig.outputEmbeddingLength)',
    'amazon.nova-2-multimodal-embeddings-v1:0':
        'Nova multimodal embeddings: its own request body (taskType, singleEmbeddingParams), not Titan or Cohere',
    'twelvelabs.marengo-embed-2-7-v1:0':
        'TwelveLabs Marengo: a video/audio/image model with 77-token text input and its own request body',
    'us.twelvelabs.marengo-embed-2-7-v1:0':
        'TwelveLabs Marengo: a video/audio/image model with 77-token text input and its own request body',
    'eu.twelvelabs.marengo-embed-2-7-v1:0':
        'TwelveLabs Marengo: a video/audio/image model with 77-token text input and its own request body',
    'perplexity/pplx-embed-v1-0.6b': PPLX,
    'perplexity/pplx-embed-v1-4b': PPLX,
}

# Price-map flags that say a model embeds images (capability 'vision').
IMAGE_FLAGS = ('supports_embedding_image_input', 'supports_image_input', 'supports_vision')


def warn(msg):
    print(f'gen_embeddings: {msg}', file=sys.stderr)


def positive_int(value):
    """A size of the map (int, or a float such as 1536.0) -> int; None if absent or not positive."""
    return gen_catalogue.limit(value)


def mapping_of(key, entry):
    """(aigw provider, upstream model) of a price-map entry, or (None, reason)."""
    litellm = entry.get('litellm_provider')
    if litellm not in gen_catalogue.CATALOGUE_PROVIDERS:
        return None, f'litellm_provider {litellm!r} is not an aigw provider'
    provider, prefix = gen_catalogue.CATALOGUE_PROVIDERS[litellm]
    if not key.startswith(prefix):
        return None, f'a {litellm} price tier, not a model (the key lacks the prefix {prefix!r})'
    upstream = key[len(prefix):]
    if not upstream or upstream.endswith('/'):
        return None, 'a template entry without a model name'
    if provider == 'bedrock' and upstream.startswith('bedrock/'):
        return None, 'a price for one region (bedrock/<region>/...), not a model id'
    return (provider, upstream), None


def unqualified(entry, date):
    """Why an embedding entry cannot be shipped whatever its provider; None if it can."""
    retired = entry.get('deprecation_date')
    if isinstance(retired, str) and retired <= date:
        return f'deprecated on {retired}'
    if gen_prices.per_mtok(entry.get('input_cost_per_token')) is None:
        return 'no input price'
    return None


def select(prices, date, shipped):
    """(models, price rows, problems, skipped, documented): one entry per qualifying key of EMBEDDINGS.

    problems: listed keys that no longer qualify (an error with --strict).
    skipped:  (key, reason) for every other embedding entry of a provider aigw has.
    documented: ids whose dimensions are the provider's documented default (absent from the map).
    """
    models, rows, problems, skipped, documented = [], [], [], [], []
    listed = {key for keys in EMBEDDINGS.values() for key, _ in keys}
    seen = set()
    for provider, keys in EMBEDDINGS.items():
        for key, lim in keys:
            entry = prices.get(key)
            if not isinstance(entry, dict):
                problems.append(f'{key!r}: not in the price map')
                continue
            where, why = mapping_of(key, entry)
            if where is None or where[0] != provider:
                problems.append(f'{key!r}: not in the price map as a {provider} model ({why or where[0]})')
                continue
            upstream = where[1]
            model_id = f'{provider}/{upstream}'
            if entry.get('mode') != 'embedding':
                problems.append(f'{key!r}: mode {entry.get("mode")!r}, not embedding')
                continue
            why = unqualified(entry, date)
            if why:
                problems.append(f'{key!r}: {why}')
                continue
            if model_id in shipped:
                problems.append(f'{key!r}: {model_id} is already shipped as a chat model')
                continue
            if model_id in seen:
                problems.append(f'{key!r}: {model_id} listed twice')
                continue
            dimensions = positive_int(entry.get('output_vector_size'))
            if dimensions is None:
                dimensions = lim['dimensions']
                documented.append(f'{model_id} {dimensions} ({lim["dimensions_doc"]})')
            elif dimensions != lim['dimensions']:
                warn(f'{key!r}: the map says {dimensions} dimensions, the provider documents '
                     f'{lim["dimensions"]}; the map is used')
            if dimensions is None:
                problems.append(f'{key!r}: no output vector size in the map and none documented')
                continue
            seen.add(model_id)
            vision = any(entry.get(f) is True for f in IMAGE_FLAGS) or (
                entry.get('supports_multimodal') is True and entry.get('input_cost_per_image') is not None)
            models.append((model_id, provider, upstream, 'embedding', positive_int(entry.get('max_input_tokens')),
                           None, '{vision}' if vision else '{}', dimensions, lim['inputs'], lim['tokens'],
                           lim['settable']))
            rates = {col: gen_prices.per_mtok(entry.get(field)) for col, field in gen_prices.RATES.items()}
            rates['output_per_mtok'] = '0'     # embeddings have no output tokens
            values = ', '.join(v or 'NULL' for v in rates.values())
            rows.append(f"({gen_prices.sql_text(model_id)}, 'USD', {values}, "
                        f"{gen_prices.sql_text(f'litellm {date}: {key}')})")

    # Every other embedding entry: why it is not in the catalogue.
    for key, entry in sorted(prices.items()):
        if key in listed or not isinstance(entry, dict) or entry.get('mode') != 'embedding':
            continue
        where, why = mapping_of(key, entry)
        if where is None and why.startswith('litellm_provider'):
            skipped.append((key, why))
            continue
        if why is None:
            why = unqualified(entry, date)
        if why is None and key in DUPLICATES:
            alias = prices.get(DUPLICATES[key]) or {}
            same = (gen_prices.per_mtok(entry.get('input_cost_per_token'))
                    == gen_prices.per_mtok(alias.get('input_cost_per_token')))
            if same and DUPLICATES[key] in listed:
                why = f'a duplicate of {DUPLICATES[key]} at the same price'
            else:
                problems.append(f'{key!r}: no longer a duplicate of {DUPLICATES[key]!r} at the same price')
                why = f'listed as a duplicate of {DUPLICATES[key]}, which no longer holds: review'
        if why is None:
            why = LEFT_OUT.get(key)
        if why is None:
            problems.append(f'{key!r}: an embedding model of {where[0]} that is neither listed nor left out')
            why = 'not listed (new in the map?): review'
        skipped.append((key, why))
    return models, rows, problems, skipped, documented


COLUMNS = ('id', 'provider', 'upstream_model', 'kind', 'context_window', 'max_output_tokens', 'capabilities',
           'dimensions', 'max_inputs_per_request', 'max_tokens_per_request', 'dimensions_settable')
# A column of a VALUES list that is NULL in every row is typed text, and a
# '{...}' literal is text too: cast them to the table's types.
COLUMN_CASTS = {'context_window': '::integer', 'max_output_tokens': '::integer', 'capabilities': '::text[]',
                'dimensions': '::integer', 'max_inputs_per_request': '::integer',
                'max_tokens_per_request': '::integer', 'dimensions_settable': '::boolean'}


def render(models, rows, date, documented):
    valid_from = f'{date} 00:00:00+00'
    out = [
        BEGIN,
        f'-- Generated by scripts/gen_embeddings.py from the LiteLLM model price map (MIT licence), mirrored {date}.',
        '-- Do not edit by hand: change the script and run it with --write.',
        '',
        '-- Embedding models: context_window is the token limit of one input; dimensions the',
        '-- output vector size; max_inputs_per_request and max_tokens_per_request how many inputs',
        '-- and tokens (summed) one upstream request may carry (NULL: no documented limit beyond',
        '-- the context window of each input); the limits and their sources are in the script.',
    ]
    if documented:
        out.append('-- Dimensions absent from the map, so the provider\'s documented default:')
        out += [f'--   {d}' for d in documented]
    out += [
        '-- A model id already in the catalogue is left as it is, and so is a model whose',
        '-- provider an administrator has removed or renamed.',
        'INSERT INTO aigw.models (' + ', '.join(COLUMNS) + ')',
        'SELECT ' + ', '.join(f'v.{c}' + COLUMN_CASTS.get(c, '') for c in COLUMNS),
        '  FROM (VALUES',
        ',\n'.join('    (' + ', '.join(gen_catalogue.sql_value(v) for v in m) + ')' for m in models),
        '  ) AS v (' + ', '.join(COLUMNS) + ')',
        ' WHERE EXISTS (SELECT 1 FROM aigw.providers p WHERE p.name = v.provider)',
        'ON CONFLICT (id) DO NOTHING;',
        '',
        '-- Their published prices, per million input tokens (no output tokens: 0), for the',
        '-- embedding models that have none yet.',
        'INSERT INTO aigw.prices (model, currency, ' + ', '.join(gen_prices.RATES) + ', valid_from, source)',
        'SELECT v.model, v.currency, ' + ', '.join(f'v.{c}::numeric' for c in gen_prices.RATES)
        + f", '{valid_from}', v.source",
        '  FROM (VALUES',
        ',\n'.join('    ' + r for r in rows),
        '  ) AS v (model, currency, ' + ', '.join(gen_prices.RATES) + ', source)',
        " WHERE EXISTS (SELECT 1 FROM aigw.models m WHERE m.id = v.model AND m.kind = 'embedding')",
        '   AND NOT EXISTS (SELECT 1 FROM aigw.prices p WHERE p.model = v.model)',
        'ON CONFLICT DO NOTHING;',
        END,
    ]
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--prices', default=ROOT.parent / 'shared/data/model_prices_2026-07-24.json',
                    help='LiteLLM price map; its file name must contain the mirror date (YYYY-MM-DD)')
    ap.add_argument('--write', metavar='FILE', nargs='?', const=ROOT / 'sql/data/embeddings.sql',
                    help=f'replace the lines "{BEGIN}" .. "{END}" in FILE (default sql/data/embeddings.sql) instead of printing the block')
    ap.add_argument('--strict', action='store_true', help='fail if a listed model does not qualify')
    args = ap.parse_args()

    date = re.search(r'\d{4}-\d{2}-\d{2}', Path(args.prices).name)
    if not date:
        sys.exit(f'gen_embeddings: no YYYY-MM-DD mirror date in the file name {args.prices}')
    date = date.group()
    datetime.date.fromisoformat(date)
    try:
        with open(args.prices, encoding='utf-8') as f:
            prices = json.load(f, parse_float=decimal.Decimal)
    except OSError as e:
        sys.exit(f'gen_embeddings: cannot read the price map: {e}')

    shipped = {m[0] for path in SHIPPED_SQL for m in gen_prices.read_models(ROOT / path)}
    models, rows, problems, skipped, documented = select(prices, date, shipped)

    # Summary: what is in, per provider; what is out, and why.
    total = sum(1 for e in prices.values() if isinstance(e, dict) and e.get('mode') == 'embedding')
    counts = {}
    for m in models:
        counts[m[1]] = counts.get(m[1], 0) + 1
    warn(f'{total} embedding entries in the map; {len(models)} models of {len(counts)} providers: '
         + ', '.join(f'{p} {n}' for p, n in counts.items()))
    for m in models:
        warn(f'  {m[0]}: {m[7]} dimensions{" (settable)" if m[10] else ""}, context {m[4]}, '
             f'inputs/request {m[8] or "-"}, tokens/request {m[9] or "-"}')
    foreign = {}
    for key, why in skipped:
        if why.startswith('litellm_provider'):
            litellm = prices[key].get('litellm_provider')
            foreign[litellm] = foreign.get(litellm, 0) + 1
        else:
            warn(f'  skipped {key}: {why}')
    if foreign:
        warn(f'  skipped {sum(foreign.values())} of providers aigw does not have: '
             + ', '.join(f'{p} {n}' for p, n in sorted(foreign.items())))
    for p in problems:
        warn(f'{p}; left out')
    if not models or (problems and args.strict):
        sys.exit(f'gen_embeddings: {len(problems)} problem(s)')

    block = render(models, rows, date, documented)
    if args.write:
        gen_prices.write_block(args.write, block, BEGIN, END, 'gen_embeddings')
    else:
        print(block)


if __name__ == '__main__':
    main()
