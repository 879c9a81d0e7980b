#!/usr/bin/env python3
"""Generate the SQL of aigw's model catalogue from the LiteLLM model price map.

What: the providers aigw 0.3.0 adds (at their real endpoints), the mapping
from the price map's `litellm_provider` to aigw providers
(aigw.catalogue_providers, which aigw.import_catalogue also uses), a curated
list of chat models with their context windows, output limits and
capabilities, and their published prices, converted exactly from USD per
token to USD per million tokens.  Models shipped by 0.1.0 are left alone:
they and their 0.2.0 prices (scripts/gen_prices.py) are not repeated.

Why: the price map is a large third-party file that a user's clone does not
have, so the generated SQL is committed between the marker lines
`-- BEGIN GENERATED CATALOGUE` and `-- END GENERATED CATALOGUE` of
sql/data/catalogue.sql (what a fresh install loads), and this script is how it
is regenerated when a newer map is mirrored (`--write`; without it the block
is printed).  What changed reaches existing databases through the next
upgrade script (README, "Versions and upgrades"); a released script is
never rewritten.

Which models: CATALOGUE below names price-map keys, one list per provider,
chosen by hand: current, well-known chat models; no fine-tuning templates,
audio, image or embedding models, no dated snapshots of a model that has an
alias at the same price, nothing retired on or before the mirror date (the
map's `deprecation_date`), nothing without an input and an output price.
The script checks each key against the map (mode "chat", the provider, the
prices, the deprecation date) and leaves out, with a warning, any that no
longer qualifies; --strict makes that an error.

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
import gen_prices  # noqa: E402  (per_mtok, sql_text, RATES, read_models, write_block, PROVIDERS)

ROOT = gen_prices.ROOT
BEGIN = '-- BEGIN GENERATED CATALOGUE'
END = '-- END GENERATED CATALOGUE'

# Providers added by 0.3.0: name -> (api_style, base_url, auth_scheme, api_version, enabled, description).
NEW_PROVIDERS = {
    'anthropic':  ('anthropic', 'https://api.anthropic.com/v1', 'x-api-key', '2023-06-01', True,
                   'Anthropic, Messages API'),
    'gemini':     ('gemini', 'https://generativelanguage.googleapis.com/v1beta', 'x-goog-api-key', None, True,
                   'Google Gemini API (Google AI Studio), generateContent'),
    'bedrock':    ('bedrock', 'https://bedrock-runtime.us-east-1.amazonaws.com', 'sigv4', None, True,
                   'Amazon Bedrock, Converse API, signed with SigV4; region us-east-1: for another region '
                   'change it in the host (https://bedrock-runtime.<region>.amazonaws.com). upstream_model is '
                   'a Bedrock model id or inference profile id (us., global.)'),
    'azure':      ('azure', 'https://your-resource.openai.azure.com/openai', 'api-key', '2024-10-21', False,
                   'Azure OpenAI: set base_url to your resource (https://<resource>.openai.azure.com/openai), '
                   'then enable it. Models are deployments: add one per deployment, with upstream_model the '
                   'deployment name'),
    'fireworks':  ('openai', 'https://api.fireworks.ai/inference/v1', 'bearer', None, True, 'Fireworks AI'),
    'perplexity': ('openai', 'https://api.perplexity.ai', 'bearer', None, True,
                   'Perplexity Sonar (per-request search fees are not in aigw.prices)'),
    'cerebras':   ('openai', 'https://api.cerebras.ai/v1', 'bearer', None, True, 'Cerebras Inference'),
    'deepinfra':  ('openai', 'https://api.deepinfra.com/v1/openai', 'bearer', None, True,
                   'DeepInfra, OpenAI-compatible endpoint'),
    'moonshot':   ('openai', 'https://api.moonshot.ai/v1', 'bearer', None, True,
                   'Moonshot AI (Kimi), international endpoint; mainland China accounts use https://api.moonshot.cn/v1'),
    'sambanova':  ('openai', 'https://api.sambanova.ai/v1', 'bearer', None, True, 'SambaNova Cloud'),
    'zai':        ('openai', 'https://api.z.ai/api/paas/v4', 'bearer', None, True,
                   'Z.ai (GLM), international endpoint; mainland China accounts use https://open.bigmodel.cn/api/paas/v4'),
}

# The one mapping from the price map to aigw: litellm_provider -> (aigw
# provider, prefix of the price-map key before the upstream model name).
# A key K of litellm_provider L is the model provider || '/' || (K without
# the prefix).  Seeded into aigw.catalogue_providers for aigw.import_catalogue.
# Azure has none: its models are the user's deployments.
CATALOGUE_PROVIDERS = {litellm: (provider, prefix) for provider, (litellm, prefix) in gen_prices.PROVIDERS.items()}
CATALOGUE_PROVIDERS.update({
    'anthropic':        ('anthropic', ''),
    'gemini':           ('gemini', 'gemini/'),
    'bedrock':          ('bedrock', ''),
    'bedrock_converse': ('bedrock', ''),
    'fireworks_ai':     ('fireworks', 'fireworks_ai/'),
    'perplexity':       ('perplexity', 'perplexity/'),
    'cerebras':         ('cerebras', 'cerebras/'),
    'deepinfra':        ('deepinfra', 'deepinfra/'),
    'moonshot':         ('moonshot', 'moonshot/'),
    'sambanova':        ('sambanova', 'sambanova/'),
    'zai':              ('zai', 'zai/'),
})

# The catalogue: aigw provider -> price-map keys, in the order they are listed.
FW = 'fireworks_ai/accounts/fireworks/models/'
CATALOGUE = {
    'openai': [
        'gpt-5-nano', 'gpt-5.1', 'gpt-5.2', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.4-nano', 'gpt-5.5',
        'gpt-5.6', 'gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-5.6-luna',
        'gpt-5-chat-latest', 'gpt-5.1-chat-latest', 'gpt-5.2-chat-latest', 'gpt-5.3-chat-latest',
        'o1', 'o3', 'o3-mini',
        'gpt-4o-search-preview', 'gpt-4o-mini-search-preview', 'gpt-5-search-api',
    ],
    'anthropic': [
        'claude-opus-5', 'claude-sonnet-5', 'claude-fable-5',
        'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5', 'claude-opus-4-1',
        'claude-sonnet-4-6', 'claude-sonnet-4-5', 'claude-haiku-4-5',
    ],
    'gemini': [
        'gemini/gemini-3.6-flash', 'gemini/gemini-3.5-flash', 'gemini/gemini-3.5-flash-lite',
        'gemini/gemini-3.1-pro-preview', 'gemini/gemini-3.1-flash-lite', 'gemini/gemini-3-flash-preview',
        'gemini/gemini-2.5-pro', 'gemini/gemini-2.5-flash', 'gemini/gemini-2.5-flash-lite',
        'gemini/gemini-pro-latest', 'gemini/gemini-flash-latest', 'gemini/gemini-flash-lite-latest',
    ],
    'deepseek': ['deepseek/deepseek-v4-pro', 'deepseek/deepseek-v4-flash'],
    'qwen': [
        'dashscope/qwen3-next-80b-a3b-instruct', 'dashscope/qwen3-next-80b-a3b-thinking',
        'dashscope/qwen3-vl-235b-a22b-instruct', 'dashscope/qwen3-vl-235b-a22b-thinking',
        'dashscope/qwen3-vl-32b-instruct', 'dashscope/qwen3-vl-32b-thinking', 'dashscope/qwq-plus',
    ],
    'mistral': [
        'mistral/mistral-medium-latest', 'mistral/magistral-medium-latest', 'mistral/magistral-small-latest',
        'mistral/devstral-medium-latest', 'mistral/devstral-small-latest', 'mistral/codestral-2508',
        'mistral/ministral-8b-latest', 'mistral/ministral-3-14b-2512', 'mistral/ministral-3-3b-2512',
        'mistral/pixtral-large-latest', 'mistral/open-mistral-nemo',
    ],
    'groq': [
        'groq/openai/gpt-oss-120b', 'groq/openai/gpt-oss-20b', 'groq/moonshotai/kimi-k2-instruct-0905',
        'groq/meta-llama/llama-4-maverick-17b-128e-instruct', 'groq/meta-llama/llama-4-scout-17b-16e-instruct',
        'groq/qwen/qwen3-32b',
    ],
    'together': [
        'together_ai/openai/gpt-oss-120b', 'together_ai/openai/gpt-oss-20b',
        'together_ai/deepseek-ai/DeepSeek-V3.1', 'together_ai/deepseek-ai/DeepSeek-V3', 'together_ai/deepseek-ai/DeepSeek-R1',
        'together_ai/Qwen/Qwen3.5-397B-A17B', 'together_ai/Qwen/Qwen3-235B-A22B-Instruct-2507-tput',
        'together_ai/Qwen/Qwen3-235B-A22B-Thinking-2507', 'together_ai/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8',
        'together_ai/Qwen/Qwen3-Next-80B-A3B-Instruct', 'together_ai/Qwen/Qwen3-Next-80B-A3B-Thinking',
        'together_ai/moonshotai/Kimi-K2.5', 'together_ai/moonshotai/Kimi-K2-Instruct-0905',
        'together_ai/zai-org/GLM-4.7', 'together_ai/zai-org/GLM-4.6', 'together_ai/zai-org/GLM-4.5-Air-FP8',
        'together_ai/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'together_ai/meta-llama/Llama-4-Scout-17B-16E-Instruct',
        'together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
    ],
    'openrouter': [
        'openrouter/anthropic/claude-opus-4.7', 'openrouter/anthropic/claude-opus-4.6', 'openrouter/anthropic/claude-opus-4.5',
        'openrouter/anthropic/claude-opus-4.1', 'openrouter/anthropic/claude-sonnet-4.6', 'openrouter/anthropic/claude-sonnet-4.5',
        'openrouter/anthropic/claude-haiku-4.5',
        'openrouter/google/gemini-3.1-pro-preview', 'openrouter/google/gemini-3-flash-preview',
        'openrouter/google/gemini-3.1-flash-lite', 'openrouter/google/gemini-2.5-pro', 'openrouter/google/gemini-2.5-flash',
        'openrouter/openai/gpt-5.2', 'openrouter/openai/gpt-5', 'openrouter/openai/gpt-5-mini', 'openrouter/openai/gpt-5-nano',
        'openrouter/openai/gpt-4.1', 'openrouter/openai/gpt-4.1-mini', 'openrouter/openai/gpt-4o',
        'openrouter/openai/gpt-oss-120b', 'openrouter/openai/gpt-oss-20b',
        'openrouter/x-ai/grok-4',
        'openrouter/deepseek/deepseek-v3.2', 'openrouter/deepseek/deepseek-chat-v3.1', 'openrouter/deepseek/deepseek-r1-0528',
        'openrouter/qwen/qwen3.6-plus', 'openrouter/qwen/qwen3.5-397b-a17b', 'openrouter/qwen/qwen3-coder',
        'openrouter/qwen/qwen3-235b-a22b-2507',
        'openrouter/moonshotai/kimi-k2.5', 'openrouter/z-ai/glm-5.1', 'openrouter/z-ai/glm-4.7',
        'openrouter/minimax/minimax-m2.5', 'openrouter/mistralai/mistral-large-2512', 'openrouter/mistralai/devstral-2512',
        'openrouter/xiaomi/mimo-v2.5',
    ],
    'xai': [
        'xai/grok-4.5', 'xai/grok-4.3', 'xai/grok-4.20-0309-reasoning', 'xai/grok-4.20-beta-0309-non-reasoning',
        'xai/grok-4-1-fast', 'xai/grok-4', 'xai/grok-code-fast',
    ],
    # Recent Claude models are served on demand only through an inference
    # profile: global. (any region, the list price) where the map has one.
    'bedrock': [
        'global.anthropic.claude-opus-5', 'global.anthropic.claude-sonnet-5', 'global.anthropic.claude-fable-5',
        'global.anthropic.claude-opus-4-8', 'global.anthropic.claude-opus-4-7', 'global.anthropic.claude-opus-4-6-v1',
        'global.anthropic.claude-opus-4-5-20251101-v1:0', 'us.anthropic.claude-opus-4-1-20250805-v1:0',
        'global.anthropic.claude-sonnet-4-6', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
        'global.anthropic.claude-haiku-4-5-20251001-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0',
        'amazon.nova-pro-v1:0', 'amazon.nova-lite-v1:0', 'amazon.nova-micro-v1:0', 'us.amazon.nova-premier-v1:0',
        'global.amazon.nova-2-lite-v1:0',
        'us.meta.llama4-maverick-17b-instruct-v1:0', 'us.meta.llama4-scout-17b-instruct-v1:0',
        'us.meta.llama3-3-70b-instruct-v1:0',
        'deepseek.v3.2', 'deepseek.v3-v1:0', 'us.deepseek.r1-v1:0',
        'openai.gpt-oss-120b-1:0', 'openai.gpt-oss-20b-1:0',
        'qwen.qwen3-235b-a22b-2507-v1:0', 'qwen.qwen3-coder-480b-a35b-v1:0', 'qwen.qwen3-coder-30b-a3b-v1:0',
        'qwen.qwen3-32b-v1:0', 'qwen.qwen3-next-80b-a3b', 'qwen.qwen3-vl-235b-a22b',
        'mistral.mistral-large-3-675b-instruct', 'mistral.devstral-2-123b', 'mistral.magistral-small-2509',
        'mistral.ministral-3-14b-instruct', 'mistral.ministral-3-8b-instruct', 'us.mistral.pixtral-large-2502-v1:0',
        'moonshotai.kimi-k2.5', 'moonshot.kimi-k2-thinking',
        'minimax.minimax-m2.5', 'minimax.minimax-m2.1',
        'zai.glm-5', 'zai.glm-4.7', 'zai.glm-4.7-flash',
        'google.gemma-3-27b-it', 'nvidia.nemotron-super-3-120b', 'nvidia.nemotron-nano-3-30b',
        'us.writer.palmyra-x5-v1:0',
    ],
    'fireworks': [
        FW + 'deepseek-v4-pro', FW + 'deepseek-v4-flash', FW + 'deepseek-v3p2', FW + 'deepseek-v3p1',
        FW + 'deepseek-r1-0528',
        FW + 'kimi-k2p7-code', FW + 'kimi-k2p6', FW + 'kimi-k2p5', FW + 'kimi-k2-thinking', FW + 'kimi-k2-instruct-0905',
        FW + 'glm-5p2', FW + 'glm-5p1', FW + 'glm-4p7', FW + 'glm-4p5-air',
        FW + 'minimax-m3', FW + 'minimax-m2p7',
        FW + 'gpt-oss-120b', FW + 'gpt-oss-20b',
        FW + 'qwen3p7-plus', FW + 'qwen3-235b-a22b-instruct-2507', FW + 'qwen3-235b-a22b-thinking-2507',
        FW + 'qwen3-coder-480b-a35b-instruct', FW + 'qwen3-coder-30b-a3b-instruct', FW + 'qwen3-vl-235b-a22b-instruct',
        FW + 'llama-v3p3-70b-instruct', FW + 'llama4-maverick-instruct-basic', FW + 'llama4-scout-instruct-basic',
    ],
    'perplexity': [
        'perplexity/sonar', 'perplexity/sonar-pro', 'perplexity/sonar-reasoning', 'perplexity/sonar-reasoning-pro',
        'perplexity/sonar-deep-research',
    ],
    'cerebras': [
        'cerebras/gpt-oss-120b', 'cerebras/zai-glm-4.7', 'cerebras/qwen-3-32b', 'cerebras/llama-3.3-70b',
        'cerebras/llama3.1-8b',
    ],
    'deepinfra': [
        'deepinfra/deepseek-ai/DeepSeek-V3.1', 'deepinfra/deepseek-ai/DeepSeek-R1-0528',
        'deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507', 'deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507',
        'deepinfra/Qwen/Qwen3-Coder-480B-A35B-Instruct', 'deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct',
        'deepinfra/Qwen/Qwen3-32B',
        'deepinfra/moonshotai/Kimi-K2-Instruct-0905', 'deepinfra/zai-org/GLM-4.5',
        'deepinfra/openai/gpt-oss-120b', 'deepinfra/openai/gpt-oss-20b',
        'deepinfra/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'deepinfra/meta-llama/Llama-4-Scout-17B-16E-Instruct',
        'deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct',
        'deepinfra/nvidia/Llama-3.3-Nemotron-Super-49B-v1.5',
        'deepinfra/google/gemma-3-27b-it', 'deepinfra/mistralai/Mistral-Small-3.2-24B-Instruct-2506',
        'deepinfra/mistralai/Mistral-Nemo-Instruct-2407', 'deepinfra/microsoft/phi-4',
    ],
    'moonshot': [
        'moonshot/kimi-k2.6', 'moonshot/kimi-k2.5',
        'moonshot/moonshot-v1-128k', 'moonshot/moonshot-v1-32k', 'moonshot/moonshot-v1-8k',
    ],
    'sambanova': [
        'sambanova/DeepSeek-V3.2', 'sambanova/DeepSeek-V3.1', 'sambanova/DeepSeek-R1', 'sambanova/gpt-oss-120b',
        'sambanova/MiniMax-M2.7', 'sambanova/Llama-4-Maverick-17B-128E-Instruct',
        'sambanova/Meta-Llama-3.3-70B-Instruct', 'sambanova/gemma-4-31B-it',
    ],
    'zai': [
        'zai/glm-5.1', 'zai/glm-5', 'zai/glm-5-code', 'zai/glm-4.7', 'zai/glm-4.6', 'zai/glm-4.5',
        'zai/glm-4.5-air', 'zai/glm-4.5v',
    ],
}

# aigw capability -> price-map flag
CAPABILITIES = {
    'tools': 'supports_function_calling',
    'vision': 'supports_vision',
    'json': 'supports_response_schema',
    'reasoning': 'supports_reasoning',
}


def warn(msg):
    print(f'gen_catalogue: {msg}', file=sys.stderr)


def sql_value(v):
    if v is None:
        return 'NULL'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    return gen_prices.sql_text(v)


def limit(value):
    """A token limit of the map (int, or a float such as 2000000.0) -> int; None if absent or not positive."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, decimal.Decimal)):
        return None
    n = int(value)
    return n if n == value and 0 < n < 2 ** 31 else None


def select(prices, date, shipped):
    """(models, price rows, problems): one entry per qualifying key of CATALOGUE."""
    models, rows, problems, seen = [], [], [], set()
    litellm_of = {}
    for litellm, (provider, prefix) in CATALOGUE_PROVIDERS.items():
        litellm_of.setdefault(provider, []).append((litellm, prefix))
    for provider, keys in CATALOGUE.items():
        for key in keys:
            entry = prices.get(key)
            mapping = [(l, p) for l, p in litellm_of.get(provider, [])
                       if entry is not None and entry.get('litellm_provider') == l and key.startswith(p)]
            if entry is None or not mapping:
                problems.append(f'{key!r}: not in the price map as a {provider} model')
                continue
            upstream = key[len(mapping[0][1]):]
            model_id = f'{provider}/{upstream}'
            if model_id in shipped:
                continue            # 0.1.0 ships it; 0.2.0 prices it
            if model_id in seen:
                problems.append(f'{key!r}: {model_id} listed twice')
                continue
            if entry.get('mode') != 'chat':
                problems.append(f'{key!r}: mode {entry.get("mode")!r}, not chat')
                continue
            retired = entry.get('deprecation_date')
            if isinstance(retired, str) and retired <= date:
                problems.append(f'{key!r}: deprecated on {retired}')
                continue
            rates = {col: gen_prices.per_mtok(entry.get(field)) for col, field in gen_prices.RATES.items()}
            if rates['input_per_mtok'] is None or rates['output_per_mtok'] is None:
                problems.append(f'{key!r}: no input or output price')
                continue
            seen.add(model_id)
            caps = [cap for cap, flag in CAPABILITIES.items() if entry.get(flag) is True]
            models.append((model_id, provider, upstream, limit(entry.get('max_input_tokens')),
                           limit(entry.get('max_output_tokens')), '{' + ','.join(caps) + '}'))
            values = ', '.join(v or 'NULL' for v in rates.values())
            rows.append(f"({gen_prices.sql_text(model_id)}, 'USD', {values}, "
                        f"{gen_prices.sql_text(f'litellm {date}: {key}')})")
    return models, rows, problems


def render(models, rows, date):
    valid_from = f'{date} 00:00:00+00'
    out = [
        BEGIN,
        f'-- Generated by scripts/gen_catalogue.py from the LiteLLM model price map (MIT licence), mirrored {date}.',
        '-- Do not edit by hand: change the script and run it with --write.',
        '',
        '-- Providers at their real endpoints.  A provider an administrator already',
        '-- added under one of these names is kept as it is.',
        'INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme, api_version, enabled, description) VALUES',
        ',\n'.join('    (' + ', '.join(sql_value(v) for v in (name,) + spec) + ')'
                   for name, spec in NEW_PROVIDERS.items()),
        'ON CONFLICT (name) DO NOTHING;',
        '',
        '-- Where the public price map files the models of each provider (the table:\n'
        '-- sql/schema/catalogue.sql).',
        'INSERT INTO aigw.catalogue_providers (litellm_provider, provider, key_prefix) VALUES',
        ',\n'.join(f'    ({gen_prices.sql_text(l)}, {gen_prices.sql_text(p)}, {gen_prices.sql_text(k)})'
                   for l, (p, k) in CATALOGUE_PROVIDERS.items()) + ';',
        '',
        f'-- Chat models: context windows, output limits and capabilities from the map.',
        'INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens, capabilities) VALUES',
        ',\n'.join('    (' + ', '.join(sql_value(v) for v in m) + ')' for m in models),
        'ON CONFLICT (id) DO NOTHING;',
        '',
        '-- Their published prices, per million tokens, for the models that have none yet.',
        'INSERT INTO aigw.prices (model, currency, ' + ', '.join(gen_prices.RATES) + ', valid_from, source)',
        f"SELECT v.model, v.currency, " + ', '.join(f'v.{c}::numeric' for c in gen_prices.RATES)
        + f", '{valid_from}', v.source",
        '  FROM (VALUES',
        ',\n'.join('    ' + r for r in rows),
        '  ) AS v (model, currency, ' + ', '.join(gen_prices.RATES) + ', source)',
        ' WHERE NOT EXISTS (SELECT 1 FROM aigw.prices p WHERE p.model = v.model)',
        'ON CONFLICT DO NOTHING;',
        END,
    ]
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--prices', default=ROOT.parent / 'shared/data/model_prices_2026-07-24.json',
                    help='LiteLLM price map; its file name must contain the mirror date (YYYY-MM-DD)')
    ap.add_argument('--models-sql', default=ROOT / 'sql/aigw--0.1.0.sql',
                    help='SQL script whose aigw.models INSERT lists the models shipped before (left out here)')
    ap.add_argument('--write', metavar='FILE', nargs='?', const=ROOT / 'sql/data/catalogue.sql',
                    help='replace the generated block in FILE (default sql/data/catalogue.sql) instead of printing it')
    ap.add_argument('--strict', action='store_true', help='fail if a listed model does not qualify')
    args = ap.parse_args()

    date = re.search(r'\d{4}-\d{2}-\d{2}', Path(args.prices).name)
    if not date:
        sys.exit(f'gen_catalogue: no YYYY-MM-DD mirror date in the file name {args.prices}')
    date = date.group()
    datetime.date.fromisoformat(date)
    try:
        with open(args.prices, encoding='utf-8') as f:
            prices = json.load(f, parse_float=decimal.Decimal)
    except OSError as e:
        sys.exit(f'gen_catalogue: cannot read the price map: {e}')

    shipped = {m[0] for m in gen_prices.read_models(args.models_sql)}
    models, rows, problems = select(prices, date, shipped)
    for p in problems:
        warn(f'{p}; left out')
    counts = {}
    for m in models:
        counts[m[1]] = counts.get(m[1], 0) + 1
    warn(f'{len(models)} models of {len(counts)} providers: '
         + ', '.join(f'{p} {n}' for p, n in counts.items()))
    if not models or (problems and args.strict):
        sys.exit(f'gen_catalogue: {len(problems)} listed model(s) do not qualify')
    block = render(models, rows, date)
    if args.write:
        gen_prices.write_block(args.write, block, BEGIN, END, 'gen_catalogue')
    else:
        print(block)


if __name__ == '__main__':
    main()
