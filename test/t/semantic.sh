#!/usr/bin/env bash
# The semantic functions (aigw.is_true, classify, extract, score) against
# each protocol.  The mock answers a request for structured output with an
# instance of its schema derived from the user's text (test/mock/README.md,
# "Structured output"), so each row's answer is known: "yes" as a word is
# true, the first label the text names (else the first label), a score of
# (char_length % 11) / 10, KEY:VALUE written in the text.  Then: what each
# provider received (the schema as response_format, a forced tool, a
# response schema), answers that do not match the schema (resent once, both
# tries logged and charged), NULL inputs, the default model, bad arguments,
# and the JSON Schema validator through aigw.extract.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 70

# req EXPR [EXPECTED]: a Python expression on the last request the mock
# received (b: its body); with EXPECTED, True when equal, else what it got
req() {
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests?limit=1" | python3 -c "
import json, sys
r = json.load(sys.stdin)[-1]
b = json.loads(r['body']) if isinstance(r.get('body'), str) else r.get('body')
got = ($1)
print(True if len(sys.argv) < 2 or got == eval(sys.argv[1]) else repr(got))" "${@:2}"
}
# err SQL: "SQLSTATE message" of a failing statement; errd SQL: its DETAIL
err() { "$PGBIN/psql" -X -q -At -d "$T_DB" -v VERBOSITY=verbose -c "$1" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\): \(.*\)/\1 \2/p' | head -1; }
errd() { "$PGBIN/psql" -X -q -At -d "$T_DB" -c "$1" 2>&1 | sed -n 's/^DETAIL:  //p' | head -1; }
rows() { sql "SELECT count(*) FROM aigw.requests"; }
charged() { sql "SELECT count(*) FROM aigw.requests WHERE cost > 0"; }

sql "INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
  ('openai/s',    'openai',    'gpt-4o-mini', 1000),
  ('anthropic/s', 'anthropic', 'claude-sonnet-4-5', 1000),
  ('gemini/s',    'gemini',    'gemini-2.5-flash', 1000),
  ('bedrock/s',   'bedrock',   'anthropic.claude-3-haiku-20240307-v1:0', 1000)"
for m in openai/s anthropic/s gemini/s bedrock/s; do
    sql "SELECT aigw.set_price('$m', 1, 2, 'USD')" >/dev/null
done
sql "CREATE TABLE texts (id int PRIMARY KEY, t text);
     INSERT INTO texts VALUES (1, 'yes, the sky is blue'), (2, 'no, grass is red'), (3, 'Yes it is GREEN'),
                              (4, 'maybe so'), (5, 'eyes closed, nothing else')"
colours="ARRAY['red', 'green', 'blue']"
person='{"type": "object", "properties": {
           "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 150},
           "tags": {"type": "array", "items": {"type": "string"}},
           "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}},
         "required": ["name", "age"], "additionalProperties": false}'

# what each protocol received for aigw.classify (run last in each loop)
declare -A sent=(
  [openai]="b['response_format']['type'], b['response_format']['json_schema']['strict'], b['response_format']['json_schema']['schema']['properties']['label']['enum'], b['temperature'], b['messages'][0]['role']"
  [anthropic]="b['tool_choice'], b['tools'][0]['name'], b['tools'][0]['input_schema']['properties']['label']['enum'], b['temperature'], 'red' in b['system']"
  [gemini]="b['generationConfig']['responseMimeType'], b['generationConfig']['responseJsonSchema']['properties']['label']['enum'], b['generationConfig']['temperature'], 'red' in b['systemInstruction']['parts'][0]['text']"
  [bedrock]="b['toolConfig']['toolChoice'], b['toolConfig']['tools'][0]['toolSpec']['name'], b['toolConfig']['tools'][0]['toolSpec']['inputSchema']['json']['properties']['label']['enum'], b['inferenceConfig']['temperature'], 'red' in b['system'][0]['text']"
)
declare -A carrier=([openai]="response_format json_schema" [anthropic]="a forced tool" [gemini]="responseJsonSchema" [bedrock]="a forced toolChoice")
declare -A expect=(
  [openai]="('json_schema', True, ['red', 'green', 'blue'], 0, 'system')"
  [anthropic]="({'type': 'tool', 'name': 'aigw_answer'}, 'aigw_answer', ['red', 'green', 'blue'], 0, True)"
  [gemini]="('application/json', ['red', 'green', 'blue'], 0, True)"
  [bedrock]="({'tool': {'name': 'aigw_answer'}}, 'aigw_answer', ['red', 'green', 'blue'], 0, True)"
)

for p in openai anthropic gemini bedrock; do
    M=$p/s
    echo "# $p"
    is "$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM texts WHERE aigw.is_true(t, '$M')")" "1,3" \
       "$p: is_true is true where the text says yes (the mock's rule), row by row"
    is "$(sql "SELECT count(*) FROM texts WHERE abs(aigw.score(t, '$M') - (char_length(t) % 11) / 10.0) < 1e-9")" "5" \
       "$p: score gives each row the mock's (char_length % 11) / 10"
    is "$(sql "SELECT aigw.extract('name:Ada age:36 city:London', '$person', '$M')")" \
       '{"age": 36, "name": "Ada", "tags": ["name"], "address": {"city": "London"}}' "$p: extract returns the object, nested object and array included"
    is "$(sql "SELECT string_agg(aigw.classify(t, $colours, '$M'), ',' ORDER BY id) FROM texts")" "blue,red,green,red,red" \
       "$p: classify answers the label each text names, else the first"
    is "$(req "${sent[$p]}" "${expect[$p]}")" True "$p: the request carried the schema (${carrier[$p]}), the labels in the system text, temperature 0"

    n=$(rows) c=$(charged)
    e=$(err "SELECT aigw.classify('red [[mock:schema=violate]]', $colours, '$M')")
    is "$e" "5G008 the answer of model \"$M\" to aigw.classify does not match its schema" "$p: an answer outside the labels is an error naming the function"
    is "$(($(rows) - n)) $(($(charged) - c))" "2 2" "$p: ... after two tries, both logged and charged"
    n=$(rows)
    is "$(sql "SELECT string_agg(aigw.is_true(t, '$M')::text, ',' ORDER BY id)
               FROM (VALUES (1, 'yes, $p [[mock:schema=violate_once]]'), (2, 'no, $p [[mock:schema=violate_once]]')) v(id, t)")|$(($(rows) - n))" "true,false|4" \
       "$p: an invalid first answer is asked for again (read ahead), and the second is returned"
done

echo "# aigw.chat with a json_schema response_format: one shape whichever protocol"
fmt='{"response_format": {"type": "json_schema", "json_schema": {"name": "t", "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}}}}'
for p in anthropic bedrock; do
    is "$(sql "SELECT a->'choices'->0->'message'->>'content', a->'choices'->0->>'finish_reason', a->'choices'->0->'message' ? 'tool_calls'
               FROM aigw.chat('$p/s', '[{\"role\": \"user\", \"content\": \"yes\"}]', '$fmt') a")" '{"ok": true}|stop|f' \
       "$p: the forced tool's input comes back as the content, finish_reason stop, no tool_calls"
done
tools='"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]'
is "$(err "SELECT aigw.chat('anthropic/s', '[{\"role\": \"user\", \"content\": \"x\"}]', '${fmt%\}}, $tools}')" | cut -c1-5)" "0A000" \
   "anthropic: tools beside a json_schema response_format are refused before sending"

echo "# NULLs and the default model"
n=$(rows); before=$(mock_stat requests_total)
is "$(sql "SELECT aigw.is_true(NULL, 'openai/s') IS NULL, aigw.classify(NULL, $colours, 'openai/s') IS NULL,
              aigw.extract(NULL, '$person', 'openai/s') IS NULL, aigw.score(NULL, 'openai/s') IS NULL")" "t|t|t|t" "a NULL text gives NULL"
is "$(($(rows) - n)) $(($(mock_stat requests_total) - before))" "0 0" "... with no request"
e=$("$PGBIN/psql" -X -q -At -d "$T_DB" -c "SELECT aigw.is_true('yes')" 2>&1)
[[ "$e" == *"aigw.is_true has no model"* && "$e" == *"aigw.default_model"* ]]; ok $? "model NULL without aigw.default_model: an error whose hint names the setting"
is "$(sql "SET aigw.default_model = 'gemini/s'; SELECT aigw.is_true('yes'), aigw.score('abc', NULL)")" "t|0.3" "model NULL: aigw.default_model serves the call"
is "$(req "r['path'].split(':')[0], b['generationConfig']['responseMimeType']" "('/v1beta/models/gemini-2.5-flash', 'application/json')")" True "... and it went to that model's provider"

echo "# bad arguments: an error, nothing sent"
n=$(rows)
is "$(err "SELECT aigw.classify('x', ARRAY[]::text[], 'openai/s')")" "22023 labels of aigw.classify are empty" "no labels"
is "$(err "SELECT aigw.classify('x', ARRAY['a', NULL], 'openai/s')")" "22004 label 2 of aigw.classify is NULL" "a NULL label"
is "$(err "SELECT aigw.classify('x', ARRAY['a', 'b', 'a'], 'openai/s')")" "22023 label \"a\" of aigw.classify is given twice" "a label twice"
is "$(err "SELECT aigw.extract('x', '{\"type\": \"array\"}', 'openai/s')")" "22023 the schema of aigw.extract must describe an object" "a schema of a list"
is "$(errd "SELECT aigw.extract('x', '{\"type\": \"object\", \"properties\": {\"a\": {\"anyOf\": [{\"type\": \"string\"}]}}}', 'openai/s')")" \
   "In the schema, schema.properties.a.anyOf is a keyword aigw does not validate." "a keyword the validator does not implement is refused"
is "$(errd "SELECT aigw.extract('x', '{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"text\"}}}', 'openai/s')")" \
   "In the schema, schema.properties.a.type names an unknown type." "an unknown type is refused"
is "$(err "SELECT aigw.is_true('x', 'openai/s', '[1]')")" "22023 options of aigw.is_true must be a JSON object" "options that are not an object"
is "$(err "SELECT aigw.score('x', 'openai/s', '{\"response_format\": {\"type\": \"text\"}}')")" "22023 option \"response_format\" is not for aigw.score" "an option the function owns"
is "$(($(rows) - n))" "0" "... none of them logged a request"

echo "# options"
sql "SELECT aigw.classify('something', ARRAY['x', 'y'], 'anthropic/s', '{\"instructions\": \"Prefer y.\", \"temperature\": 0.5, \"max_tokens\": 20}')" >/dev/null
is "$(req "b['system'].endswith('Prefer y.'), b['temperature'], b['max_tokens'], 'instructions' in b" "(True, 0.5, 20, False)")" True \
   "options.instructions is added to the system text; the user's temperature and other options pass"

echo "# read ahead and row by row"
is "$(sql "EXPLAIN (COSTS OFF) SELECT id FROM texts WHERE aigw.is_true(t, 'openai/s')" | grep -c 'Calls: aigw.is_true (filter)')" "1" \
   "a semantic function in a WHERE is read ahead"
is "$(sql "SET aigw.read_ahead = off; SELECT string_agg(aigw.classify(t, $colours, 'bedrock/s'), ',' ORDER BY id) FROM texts")" "blue,red,green,red,red" \
   "row by row, the same answers"
echo "# the response cache holds the first answer: the second try bypasses it"
is "$(sql "SET aigw.cache = on; SET aigw.read_ahead = off; SELECT aigw.is_true('yes, cached [[mock:schema=violate_once]]', 'openai/s')")" "t" \
   "with aigw.cache on, an invalid answer (now cached) is still asked for again, row by row"
# the next statement's first try of that text is the cached invalid answer
ahead="SELECT string_agg(aigw.is_true(t, 'openai/s')::text, ',' ORDER BY id)
       FROM (VALUES (1, 'yes, cached [[mock:schema=violate_once]]'), (2, 'no, cached')) v(id, t)"
is "$(sql "EXPLAIN (COSTS OFF) $ahead" | grep -c 'AIGW Read Ahead')|$(sql "SET aigw.cache = on; $ahead")" "1|true,false" \
   "... and read ahead, whose first try is that cached answer"

echo "# the JSON Schema validator, through aigw.extract (the mock answers content=...)"
S='{"type": "object", "properties": {
     "name": {"type": "string", "minLength": 1, "maxLength": 10}, "age": {"type": "integer", "minimum": 0, "maximum": 150},
     "kind": {"enum": ["a", "b"]}, "v": {"const": 1}, "score": {"type": "number", "exclusiveMaximum": 1},
     "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
     "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
                 "required": ["city"], "additionalProperties": false}},
   "required": ["name", "age"], "additionalProperties": false}'
# answer JSON-TEXT: aigw.extract's value (or its error's DETAIL) when the model answers JSON-TEXT
answer() {
    local tag
    tag=$(python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=''))" "$1")
    "$PGBIN/psql" -X -q -At -d "$T_DB" -c "SELECT aigw.extract('x [[mock:content=$tag]]', '$S', 'openai/s')" 2>&1 |
        sed -n 's/^DETAIL:  \(.*\) (the call was sent twice.*/\1/p; /^{/p'
}
is "$(answer '{"name": "Ada", "age": 36, "kind": "b", "v": 1, "score": 0.5, "tags": ["x"], "address": {"city": "Oslo", "zip": null}}')" \
   '{"v": 1, "age": 36, "kind": "b", "name": "Ada", "tags": ["x"], "score": 0.5, "address": {"zip": null, "city": "Oslo"}}' "a valid answer is returned as it is"
is "$(answer '```json
{"name": "Ada", "age": 1}
```')" '{"age": 1, "name": "Ada"}' "a Markdown fence around the JSON is taken off"
is "$(answer '{"name": "Ada"}')" 'the answer does not match the schema: at $, property "age" is required and missing' "required"
is "$(answer '{"name": "Ada", "age": 1.5}')" 'the answer does not match the schema: at $.age, a number where the schema wants integer' "integer"
is "$(answer '{"name": "Ada", "age": 151}')" 'the answer does not match the schema: at $.age, 151 is above the maximum 150' "maximum"
is "$(answer '{"name": "", "age": 1}')" 'the answer does not match the schema: at $.name, the text is shorter than minLength' "minLength"
is "$(answer '{"name": "Ada", "age": 1, "kind": "c"}')" "the answer does not match the schema: at \$.kind, the value is not one of the schema's enum" "enum"
is "$(answer '{"name": "Ada", "age": 1, "v": 2}')" "the answer does not match the schema: at \$.v, the value is not the schema's const" "const"
is "$(answer '{"name": "Ada", "age": 1, "score": 1}')" 'the answer does not match the schema: at $.score, 1 is not below the exclusive maximum 1' "exclusiveMaximum"
is "$(answer '{"name": "Ada", "age": 1, "tags": []}')" 'the answer does not match the schema: at $.tags, the list has 0 items, fewer than minItems' "minItems"
is "$(answer '{"name": "Ada", "age": 1, "tags": ["a", 2]}')" 'the answer does not match the schema: at $.tags[1], a number where the schema wants string' "items"
is "$(answer '{"name": "Ada", "age": 1, "address": {"zip": "1"}}')" 'the answer does not match the schema: at $.address, property "city" is required and missing' "required, nested"
is "$(answer '{"name": "Ada", "age": 1, "address": {"city": "Oslo", "zip": 7}}')" 'the answer does not match the schema: at $.address.zip, a number where the schema wants ["string", "null"]' "a list of types"
is "$(answer '{"name": "Ada", "age": 1, "extra": true}')" 'the answer does not match the schema: at $, property "extra" is not allowed' "additionalProperties false"
is "$(answer 'Sure! Here it is.')" 'the answer is not JSON' "an answer that is not JSON"

is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "the ledger verifies"
finish
