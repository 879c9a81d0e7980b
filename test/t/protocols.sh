#!/usr/bin/env bash
# Native protocols against the mock, which speaks each one as strictly as
# the real API: Anthropic Messages, Gemini, Bedrock Converse (SigV4 checked),
# Azure OpenAI.  For each: the exact request the provider received, the
# translated answer, usage normalization (billed at each class's rate), the
# error classes; then the native Anthropic surface both ways, and secrets.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 63

# req EXPR [EXPECTED]: evaluate a Python expression on the last request the
# mock received (r: method, path, headers h, body b parsed as JSON); with
# EXPECTED (a Python literal), print True if they are equal, else what it got
req() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests?limit=1" | python3 -c "
import json, sys
r = json.load(sys.stdin)[-1]
r['body'] = json.loads(r['body']) if isinstance(r.get('body'), str) else r.get('body')
h = {k.lower(): v for k, v in r['headers'].items()}
b = r['body']
got = ($1)
print(True if len(sys.argv) < 2 or got == eval(sys.argv[1]) else repr(got))" "${@:2}"
}
# err SQL: the SQLSTATE and message of a failing call
err() { "$PGBIN/psql" -X -q -At -d "$T_DB" -v VERBOSITY=verbose -c "$1" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\): \(.*\)/\1 \2/p' | head -1; }

sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
  ('anthropic/t',       'anthropic', 'claude-sonnet-4-5', 1000),
  ('anthropic/tool',    'anthropic', 'claude-sonnet-4-5?tool_call=get_weather&tool_args={\"city\":\"Paris\"}', 1000),
  ('anthropic/usage',   'anthropic', 'claude-sonnet-4-5?prompt_tokens=1000&cached=600&cache_write=100&completion_tokens=50', 1000),
  ('anthropic/busy',    'anthropic', 'claude-sonnet-4-5?status=529', 1000),
  ('anthropic/limited', 'anthropic', 'claude-sonnet-4-5?status=429&retry_after=7', 1000),
  ('gemini/t',          'gemini', 'gemini-2.5-flash', 1000),
  ('gemini/tool',       'gemini', 'gemini-2.5-flash?tool_call=get_weather&tool_args={\"city\":\"Oslo\"}', 1000),
  ('gemini/usage',      'gemini', 'gemini-2.5-flash?prompt_tokens=100&cached=40&completion_tokens=30&reasoning_tokens=20', 1000),
  ('gemini/blocked',    'gemini', 'gemini-2.5-flash?safety=prompt', 1000),
  ('gemini/filtered',   'gemini', 'gemini-2.5-flash?safety=answer', 1000),
  ('gemini/limited',    'gemini', 'gemini-2.5-flash?status=429', 1000),
  ('bedrock/t',         'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', 1000),
  ('bedrock/tool',      'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?tool_call=get_weather&tool_args={\"city\":\"Lima\"}', 1000),
  ('bedrock/usage',     'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?prompt_tokens=500&cached=200&cache_write=50&completion_tokens=40', 1000),
  ('bedrock/throttled', 'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?status=429', 1000),
  ('azure/t',           'azure', 'my-gpt4o-deployment', 1000),
  ('anthropic/garbage', 'anthropic', 'claude-sonnet-4-5?malformed=1', 1000),
  ('anthropic/slow',    'anthropic', 'claude-sonnet-4-5?latency_ms=3000', 1000),
  ('anthropic/broken',  'anthropic', 'claude-sonnet-4-5?status=500', 1000),
  ('gemini/truncated',  'gemini', 'gemini-2.5-flash?truncate=1', 1000),
  ('gemini/down',       'gemini', 'gemini-2.5-flash?status=503', 1000),
  ('bedrock/empty',     'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?empty=1', 1000),
  ('bedrock/broken',    'bedrock', 'anthropic.claude-3-haiku-20240307-v1:0?status=500', 1000)"
# $1 / $2 / $0.10 cached / $1.25 cache write / $4 reasoning per Mtok
# (their prompts are long enough for the prompt counts the mock reports:
# a charge is bounded by the request's size)
for m in anthropic/usage gemini/usage bedrock/usage; do
    sql "SELECT aigw.set_price('$m', 1, 2, 'USD', 0.1, cache_write_per_mtok => 1.25, reasoning_per_mtok => 4)" >/dev/null
done

conversation='[
  {"role": "system", "content": "You are terse."},
  {"role": "user", "content": [{"type": "text", "text": "What is in this picture, and the weather?"},
                               {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
  {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
  {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"},
  {"role": "user", "content": "Thanks. Summarize."}]'
tools='"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]'
options="{$tools, \"tool_choice\": \"required\", \"stop\": \"END\", \"max_tokens\": 50, \"temperature\": 0.5}"

#------------------------------------------------------------------------
echo "# Anthropic Messages"
sql "SELECT aigw.chat('anthropic/t', '$conversation', '$options')" >/dev/null; ok $? "a multi-turn call with an image and a tool round trip is accepted"
is "$(req "r['path'], h.get('anthropic-version'), 'x-api-key' in h" "('/v1/messages', '2023-06-01', True)")" True "POST /v1/messages with x-api-key and anthropic-version"
is "$(req "b['system'], b['max_tokens'], b['stop_sequences'], b['temperature']" "('You are terse.', 50, ['END'], 0.5)")" True "system, max_tokens, stop_sequences, temperature"
is "$(req "[m['role'] for m in b['messages']]" "['user', 'assistant', 'user']")" True "turns alternate; the tool answer joins the next user turn"
is "$(req "[c['type'] for c in b['messages'][0]['content']], b['messages'][0]['content'][1]['source']" "(['text', 'image'], {'type': 'base64', 'media_type': 'image/png', 'data': 'iVBORw0KGgo='})")" True "the image travels as a base64 source"
is "$(req "b['messages'][1]['content'], b['messages'][2]['content'][0]" "([{'type': 'tool_use', 'id': 'call_1', 'name': 'get_weather', 'input': {'city': 'Paris'}}], {'type': 'tool_result', 'tool_use_id': 'call_1', 'content': '18 C, sunny'})")" True \
   "tool_calls become tool_use, the tool message a tool_result"
is "$(req "b['tools'][0]['name'], b['tools'][0]['input_schema']['required'], b['tool_choice']" "('get_weather', ['city'], {'type': 'any'})")" True "tools and tool_choice required -> any"
sql "SELECT aigw.chat('anthropic/t', '[{\"role\": \"user\", \"content\": \"hi\"}]', '{\"response_format\": {\"type\": \"json_object\"}}')" >/dev/null
is "$(req "b['system'], b['max_tokens']" "('Answer with one JSON object and nothing else.', 1000)")" True "JSON mode asks for JSON in the system prompt; max_tokens defaults to the model's limit"
is "$(sql "SELECT a->'choices'->0->'message'->>'content', a->'choices'->0->>'finish_reason' FROM aigw.chat('anthropic/t', '[{\"role\": \"user\", \"content\": \"hello\"}]') a")" \
   "Mock reply to: hello|stop" "the answer comes back in OpenAI shape"
is "$(sql "SELECT m->'tool_calls'->0->'function'->>'name', (m->'tool_calls'->0->'function'->>'arguments')::jsonb->>'city', a->'choices'->0->>'finish_reason'
           FROM aigw.chat('anthropic/tool', '[{\"role\": \"user\", \"content\": \"weather?\"}]', '{$tools}') a, LATERAL (SELECT a->'choices'->0->'message') x(m)")" \
   "get_weather|Paris|tool_calls" "tool_use blocks come back as tool_calls"
# usage: input_tokens excludes both cache classes; the prompt is all three
is "$(sql "SELECT a->'usage'->>'prompt_tokens', a->'usage'->'prompt_tokens_details'->>'cached_tokens', a->'usage'->'prompt_tokens_details'->>'cache_write_tokens', a->'aigw'->>'cost'
           FROM aigw.chat('anthropic/usage', jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('x', 1000)))) a")" \
   "1000|600|100|0.00058500" "usage: prompt = input + cache reads + cache writes; cost 300x\$1 + 600x\$0.1 + 100x\$1.25 + 50x\$2 per Mtok"
is "$(sql "SELECT prompt_tokens, cached_tokens, cache_write_tokens, completion_tokens FROM aigw.requests WHERE requested_model = 'anthropic/usage'")" \
   "1000|600|100|50" "the request log has every class"
is "$(err "SELECT aigw.ask('anthropic/busy', 'x')" | cut -c1-5)" "5G005" "529 overloaded_error -> 5G005"
e=$(err "SELECT aigw.ask('anthropic/limited', 'x')")
is "${e:0:5}" "5G004" "429 rate_limit_error -> 5G004"
"$PGBIN/psql" -X -q -At -d "$T_DB" -c "SELECT aigw.ask('anthropic/limited', 'x')" 2>&1 | grep -q "retry after 7 seconds"; ok $? "... and the hint gives retry-after"
is "$(err "SELECT aigw.ask('anthropic/broken', 'x')" | cut -c1-5)" "5G005" "500 api_error -> 5G005"
is "$(err "SELECT aigw.ask('anthropic/garbage', 'x')" | cut -c1-5)" "5G008" "an answer that is not JSON -> 5G008"
is "$(err "SELECT aigw.ask('anthropic/slow', 'x', '{\"timeout_ms\": 300}')" | cut -c1-5)" "5G006" "no answer within timeout_ms -> 5G006"
is "$(err "SELECT aigw.chat('anthropic/t', '[{\"role\": \"user\", \"content\": \"x\"}]', '{\"n\": 2}')" | cut -c1-5)" "0A000" "an option Anthropic cannot honour (n = 2) is refused before sending"
is "$(err "SELECT aigw.chat('anthropic/t', '[{\"role\": \"user\", \"content\": \"x\"}]', '{\"tools\": [{\"type\": \"web_search\"}]}')" | cut -c1-5)" "0A000" "a tool that is not a function is refused before sending"

#------------------------------------------------------------------------
echo "# Gemini"
sql "SELECT aigw.chat('gemini/t', '$conversation', '$options')" >/dev/null; ok $? "a multi-turn call with an image and a tool round trip is accepted"
is "$(req "r['path'], 'x-goog-api-key' in h" "('/v1beta/models/gemini-2.5-flash:generateContent', True)")" True "POST /v1beta/models/{model}:generateContent with x-goog-api-key"
is "$(req "b['systemInstruction'], [c['role'] for c in b['contents']]" "({'parts': [{'text': 'You are terse.'}]}, ['user', 'model', 'user'])")" True "systemInstruction; user / model turns"
is "$(req "b['contents'][0]['parts'][1], b['contents'][1]['parts'][0], b['contents'][2]['parts'][0]" "({'inlineData': {'mimeType': 'image/png', 'data': 'iVBORw0KGgo='}}, {'functionCall': {'name': 'get_weather', 'args': {'city': 'Paris'}}}, {'functionResponse': {'name': 'get_weather', 'response': {'content': '18 C, sunny'}}})")" True \
   "inlineData image, functionCall, and a functionResponse named after the call"
is "$(req "b['generationConfig'], b['tools'][0]['functionDeclarations'][0]['name'], b['toolConfig']" "({'temperature': 0.5, 'maxOutputTokens': 50, 'stopSequences': ['END']}, 'get_weather', {'functionCallingConfig': {'mode': 'ANY'}})")" True "generationConfig, function declarations, mode ANY"
sql "SELECT aigw.chat('gemini/t', '[{\"role\": \"user\", \"content\": \"hi\"}]', '{\"response_format\": {\"type\": \"json_object\"}}')" >/dev/null
is "$(req "b['generationConfig']" "{'responseMimeType': 'application/json'}")" True "JSON mode is responseMimeType application/json"
is "$(sql "SELECT a->'choices'->0->'message'->>'content', a->'choices'->0->>'finish_reason' FROM aigw.chat('gemini/t', '[{\"role\": \"user\", \"content\": \"hello\"}]') a")" \
   "Mock reply to: hello|stop" "the answer comes back in OpenAI shape"
is "$(sql "SELECT (a->'choices'->0->'message'->'tool_calls'->0->'function'->>'arguments')::jsonb->>'city', a->'choices'->0->>'finish_reason'
           FROM aigw.chat('gemini/tool', '[{\"role\": \"user\", \"content\": \"weather?\"}]', '{$tools}') a")" "Oslo|tool_calls" "functionCall comes back as a tool call"
# usage: thoughts are outside candidates but are output, billed at the reasoning rate
is "$(sql "SELECT a->'usage'->>'prompt_tokens', a->'usage'->'prompt_tokens_details'->>'cached_tokens', a->'usage'->>'completion_tokens', a->'usage'->'completion_tokens_details'->>'reasoning_tokens', a->'aigw'->>'cost'
           FROM aigw.chat('gemini/usage', jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('x', 1000)))) a")" \
   "100|40|50|20|0.00020400" "usage: completion = candidates + thoughts; cost 60x\$1 + 40x\$0.1 + 30x\$2 + 20x\$4 per Mtok"
e=$(err "SELECT aigw.ask('gemini/blocked', 'x')")
is "${e:0:5}" "5G008" "a prompt blocked for safety is a clear error"
echo "# $e"
is "$(sql "SELECT a->'choices'->0->>'finish_reason' FROM aigw.chat('gemini/filtered', '[{\"role\": \"user\", \"content\": \"x\"}]') a")" "content_filter" "an answer blocked for safety finishes with content_filter"
is "$(err "SELECT aigw.ask('gemini/limited', 'x')" | cut -c1-5)" "5G004" "429 RESOURCE_EXHAUSTED -> 5G004"
"$PGBIN/psql" -X -q -At -d "$T_DB" -c "SELECT aigw.ask('gemini/limited', 'x')" 2>&1 | grep -q "DETAIL:  Upstream error code: RESOURCE_EXHAUSTED."; ok $? "... with Gemini's status as the upstream error code"
is "$(err "SELECT aigw.ask('gemini/down', 'x')" | cut -c1-5)" "5G005" "503 UNAVAILABLE -> 5G005"
is "$(err "SELECT aigw.ask('gemini/truncated', 'x')" | cut -c1-5)" "5G008" "a truncated answer -> 5G008"
sql "UPDATE aigw.providers SET auth_scheme = 'query-key' WHERE name = 'gemini'"
is "$(sql "SELECT aigw.ask('gemini/t', 'by query key')")" "Mock reply to: by query key" "auth_scheme query-key: the key rides in ?key="
is "$(req "'?key=' in r['path'], 'x-goog-api-key' in h" "(True, False)")" True "... and in no header"
sql "UPDATE aigw.providers SET auth_scheme = 'x-goog-api-key' WHERE name = 'gemini'"

#------------------------------------------------------------------------
echo "# Bedrock Converse, signed with SigV4"
sql "SELECT aigw.chat('bedrock/t', '$conversation', '$options')" >/dev/null; ok $? "a signed multi-turn call with an image and a tool round trip is accepted (the mock verified the signature)"
is "$(req "r['path'], h['authorization'].split(' ')[0], 'x-amz-date' in h" "('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse', 'AWS4-HMAC-SHA256', True)")" True "POST /model/{id with %3A}/converse, SigV4 headers"
is "$(req "'/us-east-1/bedrock/aws4_request' in h['authorization']" "True")" True "the signing scope is region us-east-1, service bedrock"
is "$(req "b['system'], [m['role'] for m in b['messages']], b['inferenceConfig']" "([{'text': 'You are terse.'}], ['user', 'assistant', 'user'], {'maxTokens': 50, 'temperature': 0.5, 'stopSequences': ['END']})")" True "system, turns, inferenceConfig"
is "$(req "b['messages'][0]['content'][1], b['messages'][1]['content'][0], b['messages'][2]['content'][0]" "({'image': {'format': 'png', 'source': {'bytes': 'iVBORw0KGgo='}}}, {'toolUse': {'toolUseId': 'call_1', 'name': 'get_weather', 'input': {'city': 'Paris'}}}, {'toolResult': {'toolUseId': 'call_1', 'content': [{'text': '18 C, sunny'}]}})")" True \
   "image bytes, toolUse, toolResult"
is "$(req "b['toolConfig']['tools'][0]['toolSpec']['name'], b['toolConfig']['toolChoice']" "('get_weather', {'any': {}})")" True "toolConfig with toolChoice any"
is "$(sql "SELECT a->'choices'->0->'message'->>'content' FROM aigw.chat('bedrock/t', '[{\"role\": \"user\", \"content\": \"hello\"}]') a")" \
   "Mock reply to: hello" "the answer comes back in OpenAI shape"
is "$(sql "SELECT (a->'choices'->0->'message'->'tool_calls'->0->'function'->>'arguments')::jsonb->>'city', a->'choices'->0->>'finish_reason'
           FROM aigw.chat('bedrock/tool', '[{\"role\": \"user\", \"content\": \"weather?\"}]', '{$tools}') a")" "Lima|tool_calls" "toolUse comes back as a tool call"
is "$(sql "SELECT a->'usage'->>'prompt_tokens', a->'usage'->'prompt_tokens_details'->>'cached_tokens', a->'usage'->'prompt_tokens_details'->>'cache_write_tokens', a->'aigw'->>'cost'
           FROM aigw.chat('bedrock/usage', jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('x', 1000)))) a")" \
   "500|200|50|0.00041250" "usage: prompt = input + cache reads + writes; cost 250x\$1 + 200x\$0.1 + 50x\$1.25 + 40x\$2 per Mtok"
is "$(err "SELECT aigw.ask('bedrock/throttled', 'x')" | cut -c1-5)" "5G004" "429 ThrottlingException -> 5G004"
is "$(err "SELECT aigw.ask('bedrock/broken', 'x')" | cut -c1-5)" "5G005" "500 InternalServerException -> 5G005"
is "$(err "SELECT aigw.ask('bedrock/empty', 'x')" | cut -c1-5)" "5G008" "an empty answer -> 5G008"
sql "SELECT aigw.set_credential('bedrock', '{\"access_key_id\": \"$AIGW_MOCK_AWS_KEY_ID\", \"secret_access_key\": \"wrong-secret\", \"region\": \"us-east-1\"}')" >/dev/null
is "$(err "SELECT aigw.ask('bedrock/t', 'x')" | cut -c1-5)" "5G002" "a wrong secret: the signature is refused (403) -> 5G002"
sql "SELECT aigw.set_credential('bedrock', 'not-json')" >/dev/null
is "$(err "SELECT aigw.ask('bedrock/t', 'x')" | cut -c1-5)" "5G011" "a credential that is not JSON is refused before sending"
sql "SELECT aigw.set_credential('bedrock', '{\"access_key_id\": \"$AIGW_MOCK_AWS_KEY_ID\", \"secret_access_key\": \"$AIGW_MOCK_AWS_SECRET\"}')" >/dev/null
sql "UPDATE aigw.providers SET base_url = 'http://127.0.0.1:$MOCK_PORT' WHERE name = 'bedrock'"
is "$(err "SELECT aigw.ask('bedrock/t', 'x')" | cut -c1-5)" "5G011" "no region in the credential nor the host: refused before sending"

#------------------------------------------------------------------------
echo "# Azure OpenAI"
is "$(sql "SELECT aigw.ask('azure/t', 'hello')")" "Mock reply to: hello" "a call to a deployment is answered"
is "$(req "r['path'], 'api-key' in h, 'authorization' in h" "('/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=2024-10-21', True, False)")" True \
   "POST /openai/deployments/{deployment}/chat/completions?api-version with api-key"

#------------------------------------------------------------------------
echo "# The native Anthropic surface"
native='{"model": "MODEL", "max_tokens": 64, "system": "Be brief.",
         "messages": [{"role": "user", "content": [{"type": "text", "text": "weather in Rome?"}]},
                      {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Rome"}}]},
                      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "20 C"}, {"type": "text", "text": "so?"}]}],
         "tools": [{"name": "get_weather", "description": "w", "input_schema": {"type": "object"}}]}'
is "$(sql "SELECT a->>'type', a->>'role', a->'content'->0->>'type', a->>'stop_reason', a->'usage' ? 'input_tokens'
           FROM aigw.anthropic_messages('${native/MODEL/openai\/gpt-4o-mini}') a")" "message|assistant|text|end_turn|t" \
   "served by an OpenAI model: a native Messages response"
is "$(req "r['path'], [m['role'] for m in b['messages']], b['messages'][3]" "('/v1/chat/completions', ['system', 'user', 'assistant', 'tool', 'user'], {'role': 'tool', 'tool_call_id': 'toolu_1', 'content': '20 C'})")" True \
   "... translated into OpenAI messages on the way"
is "$(sql "SELECT a->>'type', a->'content'->0->>'text', a->'aigw'->>'provider'
           FROM aigw.anthropic_messages('${native/MODEL/anthropic\/t}') a")" "message|Mock reply to: so?|anthropic" "served by an Anthropic model"
is "$(req "r['path'], b['system'], b['messages'][1]['content'][0]['type'], b['messages'][2]['content'][0]" "('/v1/messages', 'Be brief.', 'tool_use', {'type': 'tool_result', 'tool_use_id': 'toolu_1', 'content': '20 C'})")" True \
   "... which receives its own protocol back"
is "$(err "SELECT aigw.anthropic_messages('{\"model\": \"anthropic/t\", \"messages\": []}')" | cut -c1-5)" "22023" "a request without max_tokens is refused"
is "$(err "SELECT aigw.anthropic_messages('{\"model\": \"anthropic/t\", \"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"tool_result\", \"content\": \"x\"}]}]}')")" \
   "22023 invalid Messages request: a tool_result block needs a string \"tool_use_id\"" "a tool_result without its tool_use_id is refused"
is "$(err "SELECT aigw.anthropic_messages('{\"model\": \"anthropic/t\", \"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\", \"source\": \"x\"}]}]}')" | cut -c1-5)" \
   "22023" "an image without a source object is refused"

#------------------------------------------------------------------------
echo "# Secrets"
# The calls above put no secret where the log could get it.  A refused
# set_credential does: its statement carries the secret, and its error goes
# to the log.  The error must be there (or this proves nothing), the secret not.
sql "SELECT aigw.set_credential('protocols-nosuch', '{\"access_key_id\": \"$AIGW_MOCK_AWS_KEY_ID\", \"secret_access_key\": \"$AIGW_MOCK_AWS_SECRET\"}')" 2>/dev/null
grep -q 'unknown provider "protocols-nosuch"' "$AIGW_RUN/server.log" &&
    ! grep -q -e "$AIGW_MOCK_KEY" -e "$AIGW_MOCK_AWS_SECRET" -e "wrong-secret" "$AIGW_RUN/server.log"
ok $? "no key or AWS secret in the server log, which has the refused set_credential's error"
is "$(sql "SELECT count(*) FROM aigw.requests WHERE error LIKE '%$AIGW_MOCK_KEY%' OR error LIKE '%$AIGW_MOCK_AWS_SECRET%' OR error LIKE '%wrong-secret%'")" 0 "nor in the request log"
finish
