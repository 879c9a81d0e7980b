'use strict';
// Hostile-upstream mode: turns a valid answer into a broken one, at random
// but reproducibly. A gateway must survive whatever bytes come back with a
// 200 (a proxy that cuts bodies, a provider that reports nonsense usage, a
// buggy OpenAI-compatible server); this module makes those bytes.
//
// Every decision is drawn from a small seeded PRNG, so an answer corrupted
// with seed S is corrupted the same way again with `corrupt_replay=S` (given
// the same valid answer). See README.md, "Corrupted answers". Standard library only.

// The kinds, in the order the README lists them. Byte-level kinds work on
// any answer; the structural ones parse the JSON (for a stream: one event's
// JSON) and write it back altered.
const KINDS = [
  'truncate', 'cut', 'flip', 'type', 'usage', 'number', 'dup_keys', 'utf8', 'nul', 'content_type', 'empty', 'garbage',
];
const STRUCTURAL = new Set(['type', 'usage', 'number', 'dup_keys']);

// ------------------------------------------------------------------ PRNG ---

// mulberry32: tiny, fast, and good enough to spread corruptions around.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (list) => list[int(list.length)] };
}

// 32-bit FNV-1a over UTF-16 code units: the seed of a request that names none.
function hashSeed(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ------------------------------------------------------------ directives ---

// `corrupt=all` (or 1/true), `corrupt=truncate,flip`, `corrupt=0` (off, even
// when the server corrupts by default). Returns the list of kinds.
function parseKinds(raw) {
  if (raw === '0' || raw === 'false' || raw === 'none') return [];
  if (raw === '1' || raw === 'true' || raw === 'all') return KINDS.slice();
  const kinds = raw.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const unknown = kinds.filter((k) => !KINDS.includes(k));
  if (kinds.length === 0 || unknown.length > 0) {
    return { error: `Mock directive 'corrupt' must be all, 0 or a comma-separated list of ${KINDS.join(', ')}` +
      (unknown.length ? ` (unknown: ${unknown.join(', ')}).` : '.') };
  }
  return [...new Set(kinds)];
}

// The corruption of one request, or null. `server` is the start-up default
// ({kinds, rate, seed}); the request's directives win over it. The seed of
// a run (corrupt_seed, --corrupt-seed) is mixed with what the request asked
// (`requestKey`), so that the same request is corrupted the same way in
// every run of that seed whatever arrived before it, and two requests
// differently; corrupt_replay=N is one answer's own seed, as its
// x-mock-corrupt header names it. The first draw decides whether the answer
// is corrupted at all (corrupt_rate %).
function planFor(server, d, requestKey) {
  const kinds = d.corrupt ?? server.kinds;
  if (!kinds || kinds.length === 0) return null;
  const rate = d.corrupt_rate ?? server.rate ?? 100;
  const seed = d.corrupt_replay !== undefined ? d.corrupt_replay % 4294967296
    : hashSeed(`${d.corrupt_seed ?? server.seed ?? 0}|${requestKey}`);
  const rng = prng(seed);
  if (rng.next() * 100 >= rate) return null;
  return { seed, rng, kinds };
}

// ------------------------------------------------------------- JSON tree ---

// Text written as it is: numbers JSON.stringify cannot write (1e999999,
// 99999999999999999999999, NaN) and other things no serializer would emit.
class Raw {
  constructor(text) { this.text = text; }
}

// An object whose members are a list, so that a key can appear twice.
class Members {
  constructor(entries) { this.entries = entries; }
}

function emit(v) {
  if (v instanceof Raw) return v.text;
  if (v instanceof Members) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${emit(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(emit).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${emit(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

// Every node of a parsed document: {value, parent (a node, or null for the
// root), key}. A path is only built for the node that gets corrupted.
function nodesOf(root) {
  const out = [];
  const stack = [{ value: root, parent: null, key: null }];
  while (stack.length > 0) {
    const node = stack.pop();
    out.push(node);
    const v = node.value;
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: node, key: i });
    else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: v[keys[i]], parent: node, key: keys[i] });
    }
  }
  return out;
}

function pathOf(node) {
  const parts = [];
  for (let n = node; n.parent !== null; n = n.parent) parts.unshift(typeof n.key === 'number' ? `[${n.key}]` : `.${n.key}`);
  return parts.length ? parts.join('').replace(/^\./, '') : '(root)';
}

// Puts `value` where `node` was; returns the document's (possibly new) root.
function replace(root, node, value) {
  if (node.parent === null) return value;
  node.parent.value[node.key] = value;
  return root;
}

function remove(root, node) {
  const container = node.parent.value;
  if (Array.isArray(container)) container.splice(node.key, 1);
  else delete container[node.key];
  return root;
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Members);
const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

// Usage containers and token counts, whatever the protocol calls them.
const USAGE_KEY = /^(usage|usageMetadata|usage_metadata|billed_units|meta)$/;
const TOKEN_KEY = /tokens?$|token_?count$|tokencount$/i;

function underUsage(node) {
  for (let n = node; n !== null; n = n.parent) if (typeof n.key === 'string' && USAGE_KEY.test(n.key)) return true;
  return false;
}

const isTokenField = (node) => typeof node.value === 'number' && (underUsage(node) || (typeof node.key === 'string' && TOKEN_KEY.test(node.key)));

// ------------------------------------------------------- structural kinds ---

// Another type in place of a value: a string where a number is, an object
// where an array is, ... (and now and then the whole document).
function wrongType(root, rng) {
  const all = nodesOf(root);
  const node = rng.int(10) === 0 ? all[0] : all[1 + rng.int(Math.max(1, all.length - 1))] ?? all[0];
  const v = node.value;
  let choices;
  switch (typeOf(v)) {
    case 'number': choices = [String(v), null, true, { value: v }, [v]]; break;
    case 'string': choices = [v.length, null, false, { text: v }, [v]]; break;
    case 'boolean': choices = [String(v), v ? 1 : 0, null]; break;
    case 'null': choices = [{}, 0, 'null', []]; break;
    case 'array': choices = [Object.fromEntries(v.map((x, i) => [String(i), x])), JSON.stringify(v).slice(0, 40), v.length, null, v[0] ?? {}]; break;
    default: choices = [Object.values(v), '[object Object]', 1, null, true, {}]; break;
  }
  const value = rng.pick(choices.filter((x) => typeOf(x) !== typeOf(v)));
  return { root: replace(root, node, value), detail: { path: pathOf(node), from: typeOf(v), to: typeOf(value) } };
}

// What a hostile upstream reports as usage. Raw text where JSON.stringify
// would write something else (or cannot write it at all).
const USAGE_VALUES = [
  ['1e15', () => new Raw('1e15')], ['-5', () => -5], ['1e308', () => new Raw('1e308')], ['"12"', () => '12'],
  ['null', () => null], ['100000000', () => 100000000], ['99999999999999999999999', () => new Raw('99999999999999999999999')],
  ['2147483648', () => 2147483648], ['9007199254740993', () => new Raw('9007199254740993')], ['1.5', () => 1.5],
  ['-0', () => new Raw('-0')], ['1e-7', () => new Raw('1e-7')], ['"1e15"', () => '1e15'], ['true', () => true],
  ['[]', () => []], ['{}', () => ({})], ['-1e308', () => new Raw('-1e308')], ['4294967296', () => 4294967296],
];

function badUsage(root, rng) {
  const all = nodesOf(root);
  const containers = all.filter((n) => n.parent !== null && typeof n.key === 'string' && USAGE_KEY.test(n.key) && isPlainObject(n.value));
  const fields = all.filter(isTokenField);
  const roll = rng.int(10);
  if (roll === 0 && containers.length > 0) {
    const node = rng.pick(containers);
    return { root: remove(root, node), detail: { variant: 'missing', path: pathOf(node) } };
  }
  if (roll === 1 && containers.length > 0) {
    const node = rng.pick(containers);
    const value = rng.pick(['n/a', [], 42, null, [node.value]]);
    return { root: replace(root, node, value), detail: { variant: 'not_object', path: pathOf(node), to: typeOf(value) } };
  }
  if (fields.length === 0) {
    // No usage to spoil (Gemini and Cohere embeddings): add some.
    if (!isPlainObject(root)) return null;
    const [name, make] = rng.pick(USAGE_VALUES);
    root.usage = { prompt_tokens: make(), completion_tokens: make(), total_tokens: make() };
    return { root, detail: { variant: 'added', value: name } };
  }
  // mostly the totals a gateway bills from (the usage object's own
  // members), now and then a detail (cached, reasoning, audio tokens)
  const direct = fields.filter((n) => n.parent !== null && typeof n.parent.key === 'string' && USAGE_KEY.test(n.parent.key));
  const count = 1 + rng.int(Math.min(3, fields.length));
  const changed = [];
  const done = new Set();
  for (let i = 0; i < count; i++) {
    const node = rng.pick(direct.length > 0 && rng.int(3) !== 0 ? direct : fields);
    if (done.has(node)) continue;
    done.add(node);
    const [name, make] = rng.pick(USAGE_VALUES);
    root = replace(root, node, make());
    changed.push(`${pathOf(node)}=${name}`);
  }
  return { root, detail: { variant: 'value', changed } };
}

// Numbers at the edge of (or beyond) what JSON and float types hold,
// anywhere but in the usage (that is the usage kind's job).
const EXTREME_NUMBERS = [
  '1e308', '-1e308', '1e39', '-1e39', '1e-400', '123456789012345678901234567890', '-0', '1E+2', '-9223372036854775809',
  '1e999999', 'NaN', 'Infinity', '-Infinity', '01', '+1', '.5', '1.', '0x10', '1e', '--1',
];

function extremeNumber(root, rng) {
  const numbers = nodesOf(root).filter((n) => typeof n.value === 'number' && !isTokenField(n));
  const text = rng.pick(EXTREME_NUMBERS);
  if (numbers.length === 0) {
    // (an Anthropic message has numbers only in its usage) one more member, then
    if (!isPlainObject(root)) return null;
    root.created = new Raw(text);
    return { root, detail: { variant: 'added', path: 'created', value: text } };
  }
  const node = rng.pick(numbers);
  return { root: replace(root, node, new Raw(text)), detail: { path: pathOf(node), value: text } };
}

// A key twice in one object, with another value: which one a parser keeps
// (the first, the last, both) must not matter to its safety.
function duplicateKey(root, rng) {
  const objects = nodesOf(root).filter((n) => isPlainObject(n.value) && Object.keys(n.value).length > 0);
  if (objects.length === 0) return null;
  const node = rng.pick(objects);
  const entries = Object.entries(node.value);
  const at = rng.int(entries.length);
  const [key, original] = entries[at];
  const other = rng.pick([null, 0, '', [], {}, typeOf(original) === 'number' ? original + 1 : 1, original]);
  const before = rng.int(2) === 0;
  entries.splice(before ? at : at + 1, 0, [key, other]);
  return { root: replace(root, node, new Members(entries)), detail: { path: pathOf(node), key, duplicate: before ? 'first' : 'last' } };
}

const STRUCTURAL_KINDS = { type: wrongType, usage: badUsage, number: extremeNumber, dup_keys: duplicateKey };

// ------------------------------------------------------------ text kinds ---

// Invalid UTF-8: a bad lead byte, a lone continuation byte, overlong forms,
// an encoded surrogate, a code point past U+10FFFF, a cut sequence.
const BAD_UTF8 = [
  ['ff', [0xff]], ['fe', [0xfe]], ['c3 28', [0xc3, 0x28]], ['80', [0x80]], ['c0 af', [0xc0, 0xaf]],
  ['e0 80 af', [0xe0, 0x80, 0xaf]], ['ed a0 80', [0xed, 0xa0, 0x80]], ['f4 90 80 80', [0xf4, 0x90, 0x80, 0x80]],
  ['f0 9f 98', [0xf0, 0x9f, 0x98]], ['c3', [0xc3]],
];
// Where bytes go into a string value, written as a marker no answer holds.
const MARKER = '\u{10FFFD}\u{F0000}';
const MARKER_BYTES = Buffer.from(MARKER);

// Inserts `bytes` into a random string value (or a key) of the document.
function intoString(root, rng, make) {
  const strings = nodesOf(root).filter((n) => typeof n.value === 'string');
  if (strings.length === 0) return null;
  const node = rng.pick(strings);
  const s = node.value;
  const at = rng.int(s.length + 1);
  return { root: replace(root, node, s.slice(0, at) + make() + s.slice(at)), path: pathOf(node) };
}

function withMarkerBytes(text, bytes) {
  const buf = Buffer.from(text);
  const at = buf.indexOf(MARKER_BYTES);
  if (at < 0) return buf;
  return Buffer.concat([buf.subarray(0, at), Buffer.from(bytes), buf.subarray(at + MARKER_BYTES.length)]);
}

// utf8 and nul have variants inside a string value (which need the JSON)
// and anywhere in the bytes; `root` is null when the body is not JSON.
function textKind(kind, root, buf, rng) {
  const inString = root !== null && rng.int(3) !== 0;
  if (kind === 'utf8') {
    if (inString && rng.int(4) === 0) {
      // valid bytes, invalid text: a surrogate escape without its pair
      const escape = rng.pick(['\ud800', '\udc00', '\udbff']);
      const r = intoString(root, rng, () => escape);
      if (r) return { bytes: Buffer.from(emit(r.root)), detail: { variant: 'lone_surrogate', path: r.path } };
    }
    const [name, bytes] = rng.pick(BAD_UTF8);
    if (inString) {
      const r = intoString(root, rng, () => MARKER);
      if (r) return { bytes: withMarkerBytes(emit(r.root), bytes), detail: { variant: 'in_string', bytes: name, path: r.path } };
    }
    const at = rng.int(buf.length + 1);
    return { bytes: Buffer.concat([buf.subarray(0, at), Buffer.from(bytes), buf.subarray(at)]), detail: { variant: 'anywhere', bytes: name, at } };
  }
  // nul: the \u0000 escape (JSON.stringify writes it) in a value or a key, or a raw zero byte
  if (inString) {
    const variant = rng.pick(['in_string', 'only_nul', 'in_key']);
    if (variant === 'in_key') {
      const objects = nodesOf(root).filter((n) => isPlainObject(n.value) && Object.keys(n.value).length > 0);
      if (objects.length > 0) {
        const node = rng.pick(objects);
        const entries = Object.entries(node.value);
        const at = rng.int(entries.length);
        const key = entries[at][0];
        entries[at][0] = `${key}\u0000`;
        return { bytes: Buffer.from(emit(replace(root, node, new Members(entries)))), detail: { variant, path: pathOf(node), key } };
      }
    }
    const r = intoString(root, rng, () => '\u0000');
    if (r) {
      if (variant === 'only_nul') {
        const node = nodesOf(r.root).find((n) => pathOf(n) === r.path);
        if (node) return { bytes: Buffer.from(emit(replace(r.root, node, '\u0000'))), detail: { variant, path: r.path } };
      }
      return { bytes: Buffer.from(emit(r.root)), detail: { variant: 'in_string', path: r.path } };
    }
  }
  const at = rng.int(buf.length + 1);
  return { bytes: Buffer.concat([buf.subarray(0, at), Buffer.from([0]), buf.subarray(at)]), detail: { variant: 'raw_byte', at } };
}

const WRONG_CONTENT_TYPES = [
  'text/html; charset=utf-8', 'text/plain', 'application/xml', 'application/octet-stream', null,
  'application/json; charset=iso-8859-1', 'text/event-stream', 'application/x-ndjson', 'application/problem+json',
  'multipart/form-data; boundary=x',
];

const GARBAGE_AFTER = [
  ['text', () => 'xyz'], ['words', () => ' and then some'], ['copy', (buf) => buf], ['brace', () => '}'], ['bracket', () => ']'],
  ['comma', () => ','], ['html', () => '\n<html><body><h1>502 Bad Gateway</h1></body></html>\n'], ['nul', () => Buffer.from([0])],
  ['done', () => 'data: [DONE]\n\n'], ['whitespace', () => '\n \r\n\t'],
];
const GARBAGE_BEFORE = [['bom', () => Buffer.from([0xef, 0xbb, 0xbf])], ['xssi', () => ")]}'\n"], ['sse', () => 'data: '], ['null', () => 'null']];

function garbage(buf, rng) {
  if (rng.int(4) === 0) {
    const [name, make] = rng.pick(GARBAGE_BEFORE);
    return { bytes: Buffer.concat([Buffer.from(make(buf)), buf]), detail: { variant: 'before', garbage: name } };
  }
  if (rng.int(8) === 0) {
    const random = Buffer.alloc(4 + rng.int(13));
    for (let i = 0; i < random.length; i++) random[i] = rng.int(256);
    return { bytes: Buffer.concat([buf, random]), detail: { variant: 'after', garbage: 'random_bytes' } };
  }
  const [name, make] = rng.pick(GARBAGE_AFTER);
  return { bytes: Buffer.concat([buf, Buffer.from(make(buf))]), detail: { variant: 'after', garbage: name } };
}

// Byte-level kinds. `cut` is only planned here (the sender cuts the socket).
function byteKind(kind, buf, rng) {
  switch (kind) {
    case 'truncate': {
      const at = rng.int(buf.length);
      return { bytes: buf.subarray(0, at), detail: { at, of: buf.length } };
    }
    case 'cut': {
      const at = rng.int(buf.length);
      return { bytes: buf, cutAt: at, detail: { at, of: buf.length } };
    }
    case 'flip': {
      const out = Buffer.from(buf);
      const flips = [];
      const count = Math.min(out.length, 1 + rng.int(4));
      for (let i = 0; i < count; i++) {
        const at = rng.int(out.length);
        const mask = 1 + rng.int(255);
        out[at] ^= mask;
        flips.push([at, mask]);
      }
      return { bytes: out, detail: { flips } };
    }
    case 'empty': {
      const body = rng.pick(['', '', ' ', '\n', '\r\n\r\n']);
      return { bytes: Buffer.from(body), detail: { variant: body === '' ? 'zero_bytes' : 'whitespace' } };
    }
    case 'garbage':
      return garbage(buf, rng);
    case 'content_type':
      return { bytes: buf, contentType: rng.pick(WRONG_CONTENT_TYPES), detail: {} };
    default:
      throw new Error(`not a byte kind: ${kind}`);
  }
}

// ------------------------------------------------------------- documents ---

function parseJson(buf) {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}

// A structural kind on one JSON document; null when it does not apply.
function structural(kind, root, rng) {
  const r = STRUCTURAL_KINDS[kind](root, rng);
  return r ? { bytes: Buffer.from(emit(r.root)), detail: r.detail } : null;
}

// One JSON answer (or any single body). Returns {kind, bytes, contentType
// (undefined: unchanged, null: none), cutAt (cut the connection after that
// many bytes, announcing them all), detail}.
function corruptBody(body, contentType, plan) {
  const { rng } = plan;
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  let kind = rng.pick(plan.kinds);
  let result = null;
  if (STRUCTURAL.has(kind) || kind === 'utf8' || kind === 'nul') {
    const root = parseJson(buf);
    if (STRUCTURAL.has(kind)) {
      result = root === undefined ? null : structural(kind, root, rng);
      // nothing of that kind to spoil (no number, no object): flip bytes instead
      if (result === null) kind = 'flip';
    } else {
      result = textKind(kind, root === undefined ? null : root, buf, rng);
    }
  }
  result ??= byteKind(kind, buf, rng);
  return { kind, contentType, ...result };
}

// ---------------------------------------------------------------- streams ---

// A streamed answer as the mock writes it: SSE events (one per chunk), AWS
// event stream messages (one per chunk), or a JSON array written element
// by element (Gemini without alt=sse). Structural kinds alter one event's
// JSON and leave the framing intact (an event stream message gets its
// lengths and CRCs recomputed); the others work on the whole byte stream.
// Returns {kind, chunks, contentType, cutAt, detail}: a truncated stream ends
// early but cleanly, a cut one has its connection destroyed.
function corruptStream(chunks, contentType, plan) {
  const { rng } = plan;
  const bufs = chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c)));
  const all = Buffer.concat(bufs);
  const kind = rng.pick(plan.kinds);
  const eventStream = /^application\/vnd\.amazon\.eventstream/.test(contentType);
  const sse = /^text\/event-stream/.test(contentType);
  if (!eventStream && !sse) {
    // one JSON document written in pieces
    const r = corruptBody(all, contentType, { ...plan, kinds: [kind] });
    return { ...r, chunks: [r.bytes] };
  }
  const wantsJson = STRUCTURAL.has(kind) || ((kind === 'utf8' || kind === 'nul') && rng.int(3) !== 0);
  if (wantsJson) {
    const events = bufs.map((b, i) => ({ i, ...(eventStream ? eventStreamJson(b) : sseJson(b)) })).filter((e) => e.json !== undefined);
    let candidates = events;
    if (kind === 'usage') {
      const withUsage = events.filter((e) => nodesOf(e.json).some(isTokenField));
      if (withUsage.length > 0) candidates = withUsage;
    }
    // events in a random order, until one has what the kind alters (a ping has no number)
    const order = candidates.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const event of order) {
      const r = STRUCTURAL.has(kind) ? structural(kind, event.json, rng) : textKind(kind, event.json, Buffer.from(JSON.stringify(event.json)), rng);
      if (r !== null) {
        const out = bufs.slice();
        out[event.i] = event.rebuild(r.bytes);
        return { kind, chunks: out, contentType, detail: { event: event.i, ...r.detail } };
      }
    }
  }
  const r = corruptBody(all, contentType, { ...plan, kinds: [STRUCTURAL.has(kind) ? 'flip' : kind] });
  return { ...r, chunks: [r.bytes] };
}

// `data: {...}` of one SSE event, and how to put another payload in its place.
function sseJson(buf) {
  const text = buf.toString('utf8');
  const m = /^data: (.*)$/m.exec(text);
  if (!m || m[1] === '[DONE]') return { json: undefined };
  const json = parseJson(Buffer.from(m[1]));
  const head = Buffer.from(text.slice(0, m.index + 6));
  const tail = Buffer.from(text.slice(m.index + m[0].length));
  return { json, rebuild: (payload) => Buffer.concat([head, payload, tail]) };
}

// The JSON payload of one AWS event stream message, and how to frame
// another one in its place (valid lengths and CRCs around hostile JSON).
function eventStreamJson(buf) {
  if (buf.length < 16) return { json: undefined };
  const total = buf.readUInt32BE(0);
  const headersLength = buf.readUInt32BE(4);
  if (total !== buf.length || 12 + headersLength > total - 4) return { json: undefined };
  const headers = buf.subarray(12, 12 + headersLength);
  const json = parseJson(buf.subarray(12 + headersLength, total - 4));
  return { json, rebuild: (payload) => eventStreamMessage(headers, payload) };
}

function eventStreamMessage(headers, payload) {
  const { frameEventMessage } = require('../protocols/bedrock'); // loaded late: bedrock.js loads this module's users
  return frameEventMessage(headers, payload);
}

module.exports = {
  KINDS, parseKinds, planFor, prng, hashSeed, corruptBody, corruptStream, emit, Raw, Members,
};
