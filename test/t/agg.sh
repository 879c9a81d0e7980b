#!/usr/bin/env bash
# aigw.agg, the aggregate: a group's inputs packed into as few requests as
# the model's context window allows (map), the answers combined level by
# level (reduce), every request a logged and charged gateway call.
#
# The mock answers "Mock reply to: " + the first 80 characters of a
# request's user message, and a request's user message starts with its
# first item, so the recorded requests (GET /_mock/requests) show the whole
# tree: which inputs each map request carried, and that each reduce
# request carried exactly the answers of the level below.
source "$(dirname "$0")/lib.bash"
export PGOPTIONS="-c aigw.wallet=agg -c aigw.max_retries=0"
fresh_db
plan 44

W=1000                                   # the test model's context window
sql "INSERT INTO aigw.models (id, provider, upstream_model, context_window)
     VALUES ('openai/tiny', 'openai', 'gpt-4o-mini', $W)"
sql "SELECT aigw.set_price('openai/tiny', 1, 2)" >/dev/null
sql "SELECT aigw.create_wallet('agg', 'USD')" >/dev/null
sql "SELECT aigw.topup('agg', 100, 'USD', 'test', 'agg-1')" >/dev/null
sql "SELECT aigw.create_wallet('other', 'USD')" >/dev/null
sql "SELECT aigw.topup('other', 100, 'USD', 'test', 'agg-2')" >/dev/null
# 400 reviews of about 100 bytes for product 'big', 30 short ones for each of three others
sql "CREATE TABLE reviews (product text, n int, body text)"
sql "INSERT INTO reviews SELECT 'big', g, 'review ' || g || ' of big: ' || repeat('good ', 16) FROM generate_series(1, 400) g"
sql "INSERT INTO reviews SELECT 'p' || (g % 3), g, 'short ' || g FROM generate_series(1, 90) g"

# tree OPTIONS-JSON [EXPECTED-INPUTS-FILE]: read the mock's recorded requests
# (since its last reset) and print, as JSON, what the aggregate sent: the
# requests per level, whether each fits the window by the packing rule,
# whether each level is packed greedily, whether the map requests carried
# every input exactly once and in order, whether each reduce request
# carried the answers below it, and the answer the top request got.
tree() {
    local opt_bytes
    opt_bytes=$(sql "SELECT octet_length(('$1'::jsonb - 'concurrency' - 'on_error')::text)")
    curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c '
import json, re, sys
W, opt_bytes, expected_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
reqs = [r for r in json.load(sys.stdin) if r["path"].endswith("/chat/completions")]
reply = lambda user: "Mock reply to: " + user[:80]
frame = lambda k, t: len(("[%d] " % k).encode()) + len(t.encode()) + 2

def parse(r):
    msgs = r["body"]["messages"]
    system, user = msgs[0]["content"], msgs[1]["content"]
    body, _, question = user.rpartition("\n\nQuestion: ")
    items = body.split("\n\n")
    numbered = all(it.startswith("[%d] " % (k + 1)) for k, it in enumerate(items))
    items = [it.split("] ", 1)[1] for it in items]
    part = re.search(r"\((\d+) of (\d+)", system)
    kind = "map" if system.startswith("You answer a question") else "reduce"
    level = 1
    if kind == "reduce":
        level = 1 + len(re.match(r"(Mock reply to: \[1\] )*", items[0]).group(0)) // len("Mock reply to: [1] ")
    bytes_ = len(system.encode()) + len(user.encode()) + opt_bytes + 256
    fits = (bytes_ + 2) // 3 + r["body"]["max_tokens"] <= W
    return dict(kind=kind, level=level, part=int(part.group(1)) if part else 1, items=items, bytes=bytes_,
                numbered=numbered, fits=fits, user=user, max_tokens=r["body"]["max_tokens"])

ps = [parse(r) for r in reqs]
levels = {}
for p in ps:
    levels.setdefault(p["level"], []).append(p)
for l in levels.values():
    l.sort(key=lambda p: p["part"])
top = max(levels)

def greedy(level):
    used = [sum(frame(k + 1, t) for k, t in enumerate(p["items"])) for p in level]
    if len(level) == 1:
        return True
    # one room explains the packing: no request could take the next one s first item
    next_fits = min(used[i] + frame(len(level[i]["items"]) + 1, level[i + 1]["items"][0]) for i in range(len(level) - 1))
    return max(used) < next_fits

def full(level):
    # the rule budgets the longest instructions of a level (counts of 10 digits),
    # up to 48 bytes more than a request s own: within that, no request had room
    # for the next one s first item
    limit = 3 * (W - level[0]["max_tokens"]) - 2
    return all(level[i]["bytes"] + frame(len(level[i]["items"]) + 1, level[i + 1]["items"][0]) > limit - 48
               for i in range(len(level) - 1))

sent = [t for p in levels[1] for t in p["items"]]
expected = open(expected_file).read().split("\n")[:-1] if expected_file else sent
carried = all([t for p in levels[l + 1] for t in p["items"]] == [reply(p["user"]) for p in levels[l]] for l in range(1, top))
print(json.dumps(dict(
    levels=[len(levels[l]) for l in sorted(levels)],
    kinds=sorted(set(p["kind"] + str(p["level"]) for p in ps)),
    parts=all([p["part"] for p in levels[l]] == list(range(1, len(levels[l]) + 1)) for l in levels),
    fits=all(p["fits"] for p in ps), numbered=all(p["numbered"] for p in ps),
    max_tokens=sorted(set(p["max_tokens"] for p in ps)),
    greedy=all(greedy(levels[l]) for l in levels), full=all(full(levels[l]) for l in levels),
    inputs_once=sorted(sent) == sorted(expected) and len(set(sent)) == len(sent),
    in_order=sent == expected, carried=carried, final=reply(levels[top][0]["user"]))))
' "$W" "$opt_bytes" "${2:-}"
}

echo "# one group, 400 inputs: packed map requests, then two reduce levels"
sql "SELECT body FROM reviews WHERE product = 'big' ORDER BY n" >"$AIGW_RUN/big.expected"
mock_reset
since=$(sql "SELECT now()")
opts='{"metadata": {"mock": "latency_ms=150"}}'
answer=$(sql "SELECT aigw.agg(body, 'What do customers like?', 'openai/tiny', '$opts' ORDER BY n) FROM reviews WHERE product = 'big'")
t=$(tree "$opts" "$AIGW_RUN/big.expected")
echo "# $t" | cut -c1-400
levels=$(jget "$t" "' '.join(map(str, j['levels']))")
# what the packing rule gives for these inputs (agg.c): every call's max_tokens
# is W / 8; a request's room for items is what that and the rest leave
is "$(jget "$t" "j['max_tokens']")" "[$((W / 8))]" "every call is sent with max_tokens = W / 8 = $((W / 8)) (no max_tokens option)"
is "$(jget "$t" "j['fits']")" "True" "every request fits the window by the rule: (bytes + 2) / 3 + max_tokens <= $W"
is "$(jget "$t" "j['greedy'] and j['parts'] and j['numbered']")" "True" \
   "each level is packed greedily (one room explains where every request ends), its requests numbered as parts"
is "$(jget "$t" "j['full']")" "True" "and the room is the rule's: no request had room in the window for the next one's first item"
is "$(jget "$t" "j['inputs_once']")" "True" "the map requests carried every one of the 400 inputs exactly once"
is "$(jget "$t" "j['in_order']")" "True" "... in the aggregate's ORDER BY order"
n1=$(jget "$t" "j['levels'][0]")
[ "$n1" -ge 20 ] && [ "$n1" -le 30 ]; ok $? "400 inputs of ~100 bytes in a window of $W tokens: $n1 map requests (~17 inputs each), not 400"
is "$(jget "$t" "len(j['levels']) >= 3 and j['levels'][-1] == 1 and all(a > b for a, b in zip(j['levels'], j['levels'][1:]))")" "True" \
   "the answers are reduced level by level to one ($levels requests per level: at least two reduce levels)"
is "$(jget "$t" "j['kinds'][0] == 'map1' and all(k.startswith('reduce') for k in j['kinds'][1:])")" "True" \
   "level 1 asks the question of the inputs; the levels above combine answers"
is "$(jget "$t" "j['carried']")" "True" "each reduce level carried exactly the answers of the level below, in order"
is "$answer" "$(jget "$t" "j['final']")" "the aggregate's value is the answer of the top request"
is "$(mock_in_flight /chat/completions)" "$n1" "the $n1 map requests were in flight at once (latency 150 ms each)"
total=$(jget "$t" "sum(j['levels'])")
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'ok' AND cost > 0 AND requested_model = 'openai/tiny')
             FROM aigw.requests WHERE created_at >= '$since'")" "$total $total" \
   "all $total calls are in aigw.requests, answered and charged"
is "$(sql "SELECT count(*) FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
             WHERE w.name = 'agg' AND l.kind = 'charge' AND l.created_at >= '$since'")" "$total" "... each with its charge to the wallet"

echo "# a route or a model with fallbacks packs for the smallest window of its candidates"
mock_reset
sql "SELECT aigw.agg(body, 'q', 'openai/gpt-4o-mini', '{\"fallbacks\": [\"openai/tiny\"]}') FROM reviews WHERE product = 'big'" >/dev/null
t=$(tree '{"fallbacks": ["openai/tiny"]}')
is "$(jget "$t" "j['max_tokens'], j['fits'], j['full'], j['levels'][0] > 1")" "[$((W / 8))] True True True" \
   "openai/gpt-4o-mini (window $(sql "SELECT context_window FROM aigw.models WHERE id = 'openai/gpt-4o-mini'")) with a fallback of window $W: packed for $W"

echo "# an input longer than a request is cut to fit, with a NOTICE"
mock_reset
# (inputs of 90 bytes or more: the mock's answers, the first 80 characters of
# a request, then hold no blank line, which would split them in tree's reading)
out=$(sql "SELECT length(aigw.agg(b, 'q', 'openai/tiny')) FROM (VALUES ('short one ' || repeat('x', 80)), (repeat('long ', 2000)), ('short two ' || repeat('x', 80))) v(b)" 2>&1)
t=$(tree '{}')
echo "$out" | grep -q 'NOTICE:  aigw.agg cut 1 of 3 inputs to fit model "openai/tiny".s context window'; ok $? "a NOTICE says one input of three was cut"
is "$(jget "$t" "j['levels'], j['fits'], j['full'], j['carried']")" "[3, 1] True True True" "the long input fills a request of its own, which fits the window"
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c '
import json, sys
users = [r["body"]["messages"][1]["content"] for r in json.load(sys.stdin)]
print(sum(u.count("long long") > 100 and " [cut]\n\nQuestion: q" in u for u in users))')" "1" "it keeps its start and ends with [cut]"

echo "# the concurrency option caps the requests of a level in flight"
mock_reset
sql "SELECT aigw.agg(body, 'What do customers like?', 'openai/tiny', '{\"concurrency\": 4, \"metadata\": {\"mock\": \"latency_ms=100\"}}') FROM reviews WHERE product = 'big'" >/dev/null
is "$(mock_in_flight /chat/completions)" "4" "concurrency 4: at most 4 requests in flight, and 4 at the peak"

echo "# GROUP BY: one answer per group; a group that fits one request is one call"
mock_reset
out=$(sql "SELECT product || '|' || aigw.agg(body, 'Any complaints?', 'openai/tiny' ORDER BY n)
             FROM reviews WHERE product LIKE 'p%' GROUP BY product ORDER BY product")
echo "$out" | sed 's/^/#   /' | head -3
is "$(echo "$out" | grep -c '^p[0-2]|Mock reply to: \[1\] short ')" "3" "three groups, three answers"
is "$(echo "$out" | grep -o '^p[0-2]|Mock reply to: \[1\] short [0-9]*' | cut -d' ' -f1,5,6 | tr '\n' ' ')" \
   "p0|Mock short 3 p1|Mock short 1 p2|Mock short 2 " "each answer is about its own group's inputs"
t=$(tree '{}')
is "$(jget "$t" "j['levels'], j['kinds']")" "[3] ['map1']" "30 short inputs a group fit one request: three calls in all, no reduce"
is "$(curl -s "http://127.0.0.1:$MOCK_PORT/_mock/requests" | python3 -c '
import json, sys
rs = [r for r in json.load(sys.stdin) if r["path"].endswith("/chat/completions")]
print(sorted(r["body"]["messages"][0]["content"].split(" items")[0].split()[-2] for r in rs))')" \
   "['30', '30', '30']" "each request tells the model it holds the whole collection of 30 items"

echo "# NULL and empty inputs are skipped; a group with none is NULL, without a call"
mock_reset
answer=$(sql "SELECT aigw.agg(b, 'q', 'openai/tiny') FROM (VALUES ('first'), (NULL), (''), ('second'), (NULL)) v(b)")
is "$(jget "$(tree '{}')" "j['levels']")" "[1]" "one call for the group"
is "$answer" "Mock reply to: [1] first

[2] second

Question: q" "it carried the two non-empty inputs only"
is "$(sql "SELECT coalesce(aigw.agg(b, 'q', 'openai/tiny'), 'NULL') FROM (VALUES (NULL::text), ('')) v(b)")|$(sql "SELECT coalesce(aigw.agg(body, 'q', 'openai/tiny'), 'NULL') FROM reviews WHERE false")|$(mock_stat requests_total)" \
   "NULL|NULL|1" "no input (only NULL and empty ones, or no row at all): NULL, and no call"
is "$(sql "SELECT count(*) FROM (SELECT product, aigw.agg(CASE WHEN product = 'p0' THEN body END, 'q', 'openai/tiny') a FROM reviews WHERE product LIKE 'p%' GROUP BY product) s WHERE a IS NULL")|$(mock_stat requests_total)" \
   "2|2" "GROUP BY: the groups without inputs are NULL; one call for the one with inputs"

echo "# the model: NULL or absent means aigw.default_model"
err=$(sql "SELECT aigw.agg(body, 'q') FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q 'ERROR:  aigw.agg has no model'; ok $? "no model and no aigw.default_model: a clear error"
echo "$err" | grep -q 'HINT:.*SET aigw.default_model'; ok $? "... whose hint names the setting"
err=$(sql "SELECT aigw.agg(body, 'q', NULL) FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q 'ERROR:  aigw.agg has no model'; ok $? "the same for a NULL model"
since=$(sql "SELECT now()")
is "$(sql "SET aigw.default_model = 'openai/tiny'; SELECT left(aigw.agg(body, 'q'), 18) || ' ' || left(aigw.agg(body, 'q', NULL), 18) FROM reviews WHERE product = 'p0'")" \
   "Mock reply to: [1] Mock reply to: [1]" "with aigw.default_model set, both forms answer"
is "$(sql "SELECT string_agg(DISTINCT requested_model, ',') FROM aigw.requests WHERE created_at >= '$since'")" "openai/tiny" \
   "... through the default model"

echo "# options go to every call: wallet, tags"
since=$(sql "SELECT now()")
sql "SELECT aigw.agg(body, 'q', 'openai/tiny', '{\"wallet\": \"other\", \"tags\": {\"job\": \"agg-test\"}}') FROM reviews WHERE product = 'big'" >/dev/null
is "$(sql "SELECT count(*) > 3 AND bool_and(tags->>'job' = 'agg-test' AND w.name = 'other') FROM aigw.requests r JOIN aigw.wallets w ON w.id = r.wallet_id WHERE r.created_at >= '$since'")" \
   "t" "every call of the aggregate is tagged and charged to the wallet its options name"
err=$(sql "SELECT aigw.agg(body, 'q', 'openai/tiny', '{\"on_error\": \"continue\"}') FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q 'option "on_error" of aigw.agg can only be "raise"'; ok $? "on_error other than raise is refused"
err=$(sql "SELECT aigw.agg(body, 'q', 'openai/tiny', '{\"max_tokens\": 990}') FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q "context window leaves no room for the inputs of aigw.agg"; ok $? "a max_tokens that leaves no room for inputs is refused before any call"

echo "# a failed call fails the aggregate"
mock_reset
since=$(sql "SELECT now()")
err=$(sql "SELECT aigw.agg(body, 'q', 'openai/tiny') FROM (SELECT body FROM reviews WHERE product = 'big' UNION ALL SELECT 'broken [[mock:status=400]]') s" 2>&1)
echo "$err" | sed 's/^/#   /' | head -6
echo "$err" | grep -q 'ERROR:  provider "openai" returned HTTP 400'; ok $? "an upstream 400 fails the statement with the provider's error"
echo "$err" | grep -q "row [0-9]* of aigw.agg's map requests" && echo "$err" | grep -q 'aigw.agg: map level, [0-9]* requests over 401 inputs'
ok $? "... saying which request of which level failed"
is "$(sql "SELECT count(*) FILTER (WHERE status = 'http_error') FROM aigw.requests WHERE created_at >= '$since'")" "1" "the failed attempt is logged"
is "$(jget "$(tree '{}')" "len(j['kinds'])")" "1" "no reduce request was sent after the failure"

echo "# the prompt, model and options are the group's: differing ones are refused"
err=$(sql "SELECT aigw.agg(body, 'q' || n, 'openai/tiny') FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q 'ERROR:  the prompt of aigw.agg differs between rows of one group'; ok $? "a prompt that differs between rows"
err=$(sql "SELECT aigw.agg(body, 'q', CASE WHEN n > 10 THEN 'openai/tiny' END) FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q 'ERROR:  the model of aigw.agg differs between rows of one group'; ok $? "a model that differs between rows"
err=$(sql "SELECT aigw.agg(body, 'q', 'openai/tiny') OVER () FROM reviews WHERE product = 'p0'" 2>&1)
echo "$err" | grep -q 'ERROR:  aigw.agg cannot be used as a window function'; ok $? "a window function would call per row: refused"

echo "# privileges: the aggregate is for aigw_user, its support functions for no one"
is "$(sql "SELECT has_function_privilege('aigw_user', 'aigw.agg(text, text, text, jsonb)', 'EXECUTE'),
                  has_function_privilege('public', 'aigw.agg(text, text)', 'EXECUTE'),
                  has_function_privilege('aigw_user', 'aigw.agg_finalfn(internal)', 'EXECUTE')")" \
   "t|f|f" "aigw_user may run it, PUBLIC may not; the support functions are granted to no one"

is "$(sql "SELECT count(*) FROM aigw.verify_ledger()")" "0" "aigw.verify_ledger() finds nothing"
finish
