'use strict';
// Pieces shared by every wire protocol of the mock provider: directives, the
// deterministic text and token rules, and the low-level senders (including the
// fault behaviours). Standard library only.

const { corruptBody, corruptStream, parseKinds } = require('./corrupt');

const HUGE_CHUNK = Buffer.alloc(64 * 1024, 'x');
const HUGE_PLACEHOLDER = '__MOCK_HUGE_CONTENT__';
const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n' +
  '<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

// ---------------------------------------------------------------- errors ---

// An error that carries a complete answer in the shape of one protocol. The
// server sends `render(ctx)` as JSON with `status` and `headers`.
class HttpError extends Error {
  constructor(status, payload, headers = {}) {
    super(typeof payload?.message === 'string' ? payload.message : `HTTP ${status}`);
    this.status = status;
    this.payload = payload;
    this.headers = headers;
  }

  render() {
    return this.payload;
  }
}

// A bad directive. Each protocol turns it into its own 400 shape; `source`
// says where the directive was read (model, metadata.mock, ...).
class DirectiveError extends Error {
  constructor(message, source) {
    super(message);
    this.source = source;
  }
}

// Shows enough of a key to recognise it in a log without ever revealing it.
function maskKey(key) {
  return key.length > 8 ? `${key.slice(0, 5)}****${key.slice(-2)}` : '****';
}

// ------------------------------------------------------------ directives ---

// Directive name -> value kind. Unknown names are rejected so that a typo in a
// test fails loudly instead of silently producing a normal response.
const DIRECTIVES = {
  latency_ms: 'int', status: 'int', retry_after: 'int', retry_after_ms: 'int',
  retry_after_date: 'flag', should_retry: 'string', fail_first: 'int',
  malformed: 'flag', truncate: 'flag', empty: 'flag', html: 'flag', error_body: 'flag', nested: 'int',
  huge_bytes: 'int', huge_header: 'int', hang: 'flag', drop: 'flag', cached: 'int', content: 'string',
  echo: 'flag', prompt_tokens: 'int', completion_tokens: 'int', reasoning_tokens: 'int',
  cache_write: 'int', safety: 'safety', tool_call: 'string', tool_args: 'object',
  usage: 'usage', echo_auth: 'echo_auth', corrupt: 'kinds', corrupt_rate: 'percent', corrupt_seed: 'int', corrupt_replay: 'int', body: 'string',
  schema: 'schema',
  // Read by lib/batches.js from a batch's first line only (its timeline); a
  // direct call accepts and ignores them.
  batch_ms: 'int', batch_end: 'batch_end', batch_done_fraction: 'fraction', batch_results: 'batch_results',
};

// What `batch_results=MODE[,MODE...]` may ask of a batch's results (see
// hostileResults in lib/batches.js).
const BATCH_RESULT_MODES = ['echo_auth', 'foreign_id', 'missing_id', 'garbage_line', 'dup_line', 'extra_lines', 'foreign_url'];

// What `usage=MODE` does to every count of an answer's usage object (usage,
// or Gemini's usageMetadata): a hostile or broken upstream's figures.
const USAGE_MODES = {
  missing: null,                  // the object is left out
  negative: () => -5,
  string: (n) => String(n),
  fraction: (n) => n + 0.5,
  huge: () => 1e15,
  absurd: () => 1e308,
};

function parseDirectiveValue(name, raw, source) {
  switch (DIRECTIVES[name]) {
    case 'int': {
      const n = Number(raw);
      if (raw === '' || !Number.isSafeInteger(n) || n < 0) {
        throw new DirectiveError(`Mock directive '${name}' must be a non-negative integer.`, source);
      }
      return n;
    }
    case 'flag':
      return raw !== '0' && raw !== 'false';
    case 'percent': {
      const n = Number(raw);
      if (raw === '' || !Number.isInteger(n) || n < 0 || n > 100) {
        throw new DirectiveError(`Mock directive '${name}' must be an integer from 0 to 100.`, source);
      }
      return n;
    }
    case 'kinds': {
      const kinds = parseKinds(raw);
      if (!Array.isArray(kinds)) throw new DirectiveError(kinds.error, source);
      return kinds;
    }
    case 'string':
      return raw;
    case 'usage':
      if (!(raw in USAGE_MODES)) {
        throw new DirectiveError(`Mock directive 'usage' must be one of ${Object.keys(USAGE_MODES).join(', ')}.`, source);
      }
      return raw;
    case 'echo_auth':
      if (raw === 'json' || raw === 'text') return raw;
      if (raw === '1' || raw === 'true') return 'json';
      throw new DirectiveError("Mock directive 'echo_auth' must be 1, json or text.", source);
    case 'schema':
      if (raw === '0' || raw === 'false') return undefined;
      if (raw === 'violate' || raw === 'violate_once') return raw;
      throw new DirectiveError("Mock directive 'schema' must be violate or violate_once.", source);
    case 'batch_end':
      if (raw === 'completed' || raw === 'expired' || raw === 'failed') return raw;
      throw new DirectiveError("Mock directive 'batch_end' must be completed, expired or failed.", source);
    case 'batch_results': {
      const modes = raw.split(',');
      if (modes.some((m) => !BATCH_RESULT_MODES.includes(m))) {
        throw new DirectiveError(`Mock directive 'batch_results' must be a comma-separated list of ${BATCH_RESULT_MODES.join(', ')}.`, source);
      }
      return modes;
    }
    case 'fraction': {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n) || n < 0 || n > 1) {
        throw new DirectiveError(`Mock directive '${name}' must be a number from 0 to 1.`, source);
      }
      return n;
    }
    case 'safety':
      if (raw === '0' || raw === 'false') return undefined;
      if (raw === '1' || raw === 'true' || raw === 'answer') return 'answer';
      if (raw === 'prompt') return 'prompt';
      throw new DirectiveError("Mock directive 'safety' must be 1, answer or prompt.", source);
    case 'object': {
      let value;
      try {
        value = JSON.parse(raw);
      } catch {
        value = undefined;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new DirectiveError(`Mock directive '${name}' must be a URL-encoded JSON object.`, source);
      }
      return value;
    }
    default:
      throw new DirectiveError(`Unknown mock directive '${name}'.`, source);
  }
}

// "gpt-4o-mini?status=429" -> base model "gpt-4o-mini", directive query "status=429".
function splitModel(model) {
  const q = model.indexOf('?');
  return q < 0 ? { base: model, query: '' } : { base: model.slice(0, q), query: model.slice(q + 1) };
}

// Reads directive queries in order; a later source wins on conflicts.
function parseDirectives(sources) {
  const directives = {};
  for (const [source, query] of sources) {
    if (!query) continue;
    for (const [name, raw] of new URLSearchParams(query)) {
      const value = parseDirectiveValue(name, raw, source);
      if (value === undefined) delete directives[name];
      else directives[name] = value;
    }
  }
  return directives;
}

// No retry hints: one shared, read-only object (most requests ask for none).
const NO_RETRY_HEADERS = Object.freeze({});

// Retry hints are attached to every error response of a request that asked for them.
function retryHeaders(d) {
  if (d.retry_after === undefined && !d.retry_after_date && d.retry_after_ms === undefined && d.should_retry === undefined) {
    return NO_RETRY_HEADERS;
  }
  const headers = {};
  if (d.retry_after !== undefined || d.retry_after_date) {
    const seconds = d.retry_after ?? 1;
    headers['retry-after'] = d.retry_after_date
      ? new Date(Date.now() + seconds * 1000).toUTCString()
      : String(seconds);
  }
  if (d.retry_after_ms !== undefined) headers['retry-after-ms'] = String(d.retry_after_ms);
  if (d.should_retry !== undefined) headers['x-should-retry'] = d.should_retry;
  return headers;
}

// ------------------------------------------------------------------ text ---

const HIGH_SURROGATE = /[\ud800-\udbff]/;

// Lengths are in Unicode code points (like PostgreSQL's char_length) so SQL
// tests can compute the expected token counts themselves.
function charCount(s) {
  // Most texts have no surrogate pair; the regex says so much faster than the loop.
  if (!HIGH_SURROGATE.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}

function firstChars(s, count) {
  // A string no longer than `count` code units has at most `count` code points.
  if (s.length <= count) return s;
  // Without a high surrogate in the first `count` code units, they are the
  // first `count` code points (a lone low surrogate counts as one either way).
  if (Number.isInteger(count) && count >= 0) {
    const head = s.slice(0, count);
    if (!HIGH_SURROGATE.test(head)) return head;
  }
  let i = 0;
  for (let k = 0; k < count && i < s.length; k++) i += s.codePointAt(i) > 0xffff ? 2 : 1;
  return s.slice(0, i);
}

const tokensFor = (chars) => Math.ceil(chars / 4);

// One "message" of the token formula: 4 + ceil(chars / 4).
const messageTokens = (text) => 4 + tokensFor(charCount(text));

// Cuts text before the earliest stop string; `matched` is that string or null.
function cutAtStop(text, stop) {
  if (stop === undefined || stop === null) return { text, matched: null };
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [];
  let cut = text.length;
  let matched = null;
  for (const s of stops) {
    if (typeof s !== 'string' || s === '') continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < cut) { cut = at; matched = s; }
  }
  return { text: text.slice(0, cut), matched };
}

// The deterministic assistant text (see README): `finish` is 'stop',
// 'stop_sequence' (cut by a stop string) or 'length' (cut by the token limit).
// `echo()` gives what the echo directive shows; only that directive pays for the copy.
// `structured()`, for a request that asks for structured output, gives the
// value whose JSON is the reply (lib/structured.js).
function mockReply({ prompt, d, echo, json = false, structured, stop, max }) {
  if (d.huge_bytes !== undefined) {
    return { text: HUGE_PLACEHOLDER, tokens: tokensFor(d.huge_bytes), finish: 'stop', matched: null };
  }
  const echoed = d.echo ? JSON.stringify(echo()) : undefined;
  let text = d.content ?? echoed ?? `Mock reply to: ${firstChars(prompt, 80)}`;
  if (d.content === undefined && !d.echo && structured) text = JSON.stringify(structured());
  else if (d.content === undefined && !d.echo && json) text = JSON.stringify({ reply: text });
  const cut = cutAtStop(text, stop);
  const tokens = tokensFor(charCount(cut.text));
  if (max != null && max < tokens) {
    return { text: firstChars(cut.text, max * 4), tokens: max, finish: 'length', matched: null };
  }
  return { text: cut.text, tokens, finish: cut.matched === null ? 'stop' : 'stop_sequence', matched: cut.matched };
}

// Decides whether the mock answers with a tool call.
//   names: the offered tool names, in order
//   mode:  'auto' | 'required' | 'none' | { name } (a named, forced tool)
// A forced choice always calls; 'auto' calls only when the `tool_call=NAME`
// directive asks for it. Returns { name, args, tokens } or null.
// `structured(name)`, when given, is the arguments of a tool forced by name
// (an instance of its schema, lib/structured.js); `tool_args` still wins.
function decideToolCall(names, mode, d, structured) {
  if (d.tool_call !== undefined && !names.includes(d.tool_call)) {
    throw new DirectiveError(`Mock directive 'tool_call' names '${d.tool_call}', which the request does not offer as a tool.`, 'tool_call');
  }
  if (names.length === 0 || mode === 'none' || d.huge_bytes !== undefined) return null;
  let name = null;
  if (mode && typeof mode === 'object') name = mode.name;
  else if (mode === 'required') name = d.tool_call ?? names[0];
  else name = d.tool_call ?? null;
  if (name === null) return null;
  const forced = mode && typeof mode === 'object' && structured ? structured(name) : undefined;
  const args = d.tool_args ?? forced ?? {};
  return { name, args, tokens: tokensFor(charCount(name) + charCount(JSON.stringify(args))) };
}

// Splits text into up to `pieces` parts on code point boundaries.
function splitPieces(text, pieces) {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / pieces));
  const out = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

// --------------------------------------------------------------- parsing ---

function isJsonContentType(value) {
  return typeof value === 'string' && /^application\/json\s*(;|$)/i.test(value);
}

function parseBody(raw) {
  if (raw.length === 0) return { ok: false, value: null, text: '' };
  const text = raw.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch {
    return { ok: false, value: null, text };
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Detects the real format of base64 image bytes: 'png', 'jpeg', 'gif', 'webp' or null.
function sniffImage(buf) {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 6 && /^GIF8[79]a$/.test(buf.subarray(0, 6).toString('latin1'))) return 'gif';
  if (buf.length >= 12 && buf.subarray(0, 4).toString('latin1') === 'RIFF' && buf.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return null;
}

// Strict base64 (standard alphabet, optional padding); returns a Buffer or null.
function decodeBase64(s, { urlSafe = false } = {}) {
  if (typeof s !== 'string') return null;
  const re = urlSafe ? /^[A-Za-z0-9+/_-]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!re.test(s) || s.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(s, urlSafe ? 'base64url' : 'base64');
}

// -------------------------------------------------------------- sending ---

// Extra headers of an answer that has none (shared, read-only).
const NO_HEADERS = Object.freeze({});

// The protocol's own response headers (request ids) come first; baseHeaders
// makes a new object on every call, so it is extended in place.
function writeHead(ctx, status, headers) {
  writeHeadWith(ctx, status, ctx.protocol.baseHeaders(ctx), headers);
}

// writeHead with the protocol's headers already made (and possibly extended).
function writeHeadWith(ctx, status, all, headers) {
  ctx.record.status = status;
  ctx.record.answered_at = Date.now();
  if (ctx.epoch === ctx.state.epoch) ctx.state.answersTotal++;
  Object.assign(all, headers);
  if (status >= 400) Object.assign(all, ctx.retryHeaders);
  ctx.res.writeHead(status, all);
}

// The headers come in this order: the protocol's, content-type,
// content-length, then `headers` (a name already there keeps its place and
// takes the later value). They are set straight on the protocol's object, as
// merging them through intermediate objects did.
function sendRaw(ctx, status, contentType, body, headers = NO_HEADERS) {
  if (status === 200 && ctx.corruption) return sendCorrupted(ctx, contentType, body, headers);
  const all = ctx.protocol.baseHeaders(ctx);
  all['content-type'] = contentType;
  all['content-length'] = Buffer.byteLength(body);
  writeHeadWith(ctx, status, all, headers);
  ctx.res.end(body);
}

function sendJson(ctx, status, value, headers = NO_HEADERS, contentType = 'application/json') {
  sendRaw(ctx, status, contentType, JSON.stringify(value), headers);
}

// The mock itself kills the connection; that must not count as a client abort.
function destroySocket(ctx) {
  ctx.selfDestroyed = true;
  ctx.req.socket.destroy();
}

// Announces the full length (if `withLength`) but delivers half, then cuts the connection.
function sendTruncated(ctx, contentType, body, withLength, extraHeaders = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const headers = { 'content-type': contentType, ...extraHeaders };
  if (withLength) headers['content-length'] = buf.length;
  writeHead(ctx, 200, headers);
  ctx.res.write(buf.subarray(0, buf.length >> 1), () => destroySocket(ctx));
}

// Streams `size` bytes of `x` in place of HUGE_PLACEHOLDER inside `value`'s
// JSON, honouring back-pressure so that hundreds of megabytes never sit in memory.
function sendHuge(ctx, value, size, contentType = 'application/json') {
  const json = JSON.stringify(value);
  const at = json.indexOf(HUGE_PLACEHOLDER);
  const head = Buffer.from(json.slice(0, at));
  const tail = Buffer.from(json.slice(at + HUGE_PLACEHOLDER.length));
  writeHead(ctx, 200, { 'content-type': contentType, 'content-length': head.length + size + tail.length });
  const res = ctx.res;
  res.write(head);
  let left = size;
  const pump = () => {
    while (left > 0) {
      if (ctx.closed) return;
      const n = Math.min(left, HUGE_CHUNK.length);
      left -= n;
      if (!res.write(n === HUGE_CHUNK.length ? HUGE_CHUNK : HUGE_CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!ctx.closed) res.end(tail);
  };
  pump();
}

// A valid answer turned into a hostile one (the corrupt directives, see
// lib/corrupt.js). The answer says what was done in x-mock-corrupt, and the
// recording keeps it with the answer as it would have been.
function noteCorruption(ctx, r, original) {
  const { seed } = ctx.corruption;
  ctx.corruption = null;
  ctx.state.noteCorruption(ctx, r.kind);
  ctx.record.corruption = { kind: r.kind, seed, ...r.detail, original: original.toString('base64') };
  return { 'x-mock-corrupt': `${r.kind}; seed=${seed}` };
}

function sendCorrupted(ctx, contentType, body, headers) {
  const original = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const r = corruptBody(original, contentType, ctx.corruption);
  const all = ctx.protocol.baseHeaders(ctx);
  const type = r.contentType === undefined ? contentType : r.contentType;
  if (type !== null) all['content-type'] = type;
  all['content-length'] = r.bytes.length;
  writeHeadWith(ctx, 200, all, { ...headers, ...noteCorruption(ctx, r, original) });
  if (r.cutAt === undefined) return ctx.res.end(r.bytes);
  // the whole length announced, part of it sent, then the connection cut
  if (r.cutAt === 0) ctx.res.flushHeaders();
  return ctx.res.write(r.bytes.subarray(0, r.cutAt), () => destroySocket(ctx));
}

// Writes a stream as separate writes, so clients see it arrive in several network chunks.
function sendChunks(ctx, contentType, chunks, headers = NO_HEADERS) {
  if (ctx.corruption) return sendCorruptedStream(ctx, contentType, chunks, headers);
  writeHead(ctx, 200, { 'content-type': contentType, 'cache-control': 'no-cache', ...headers });
  for (const c of chunks) ctx.res.write(c);
  ctx.res.end();
}

function sendCorruptedStream(ctx, contentType, chunks, headers) {
  const original = Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c))));
  const r = corruptStream(chunks, contentType, ctx.corruption);
  const type = r.contentType === undefined ? contentType : r.contentType;
  const all = { 'cache-control': 'no-cache', ...headers, ...noteCorruption(ctx, r, original) };
  if (type !== null) all['content-type'] = type;
  writeHead(ctx, 200, all);
  if (r.cutAt === undefined) {
    for (const c of r.chunks) ctx.res.write(c);
    return ctx.res.end();
  }
  const bytes = Buffer.concat(r.chunks);
  ctx.res.flushHeaders();
  return ctx.res.write(bytes.subarray(0, r.cutAt), () => destroySocket(ctx));
}

// A streamed answer, or its truncated form (half the bytes, then the socket is cut).
function sendStreamed(ctx, contentType, chunks, truncate, headers = NO_HEADERS) {
  if (truncate) {
    const all = chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c)));
    return sendTruncated(ctx, contentType, Buffer.concat(all), false);
  }
  return sendChunks(ctx, contentType, chunks, headers);
}

// The answer `value` with its usage counts changed as `usage=MODE` says.
function mangleUsage(value, mode) {
  const key = 'usage' in value ? 'usage' : 'usageMetadata' in value ? 'usageMetadata' : null;
  if (key === null) return value;
  if (USAGE_MODES[mode] === null) {
    delete value[key];
    return value;
  }
  const walk = (v) => {
    if (typeof v === 'number') return USAGE_MODES[mode](v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  value[key] = walk(value[key]);
  return value;
}

// A JSON answer, honouring huge_bytes (the value holds HUGE_PLACEHOLDER) and
// truncate. `headers` are extra answer headers (Bedrock's token count headers).
function sendJsonAnswer(ctx, value, d, faulty, contentType = 'application/json', headers = NO_HEADERS) {
  if (d.huge_bytes !== undefined) return sendHuge(ctx, value, d.huge_bytes, contentType);
  return sendJsonText(ctx, JSON.stringify(value), d, faulty, contentType, headers);
}

// An answer already serialised (JSON as a string or a Buffer), honouring truncate.
function sendJsonText(ctx, json, d, faulty, contentType = 'application/json', headers = NO_HEADERS) {
  if (d.usage !== undefined && typeof json === 'string') json = JSON.stringify(mangleUsage(JSON.parse(json), d.usage));
  if (faulty && d.truncate) return sendTruncated(ctx, contentType, json, true, headers);
  return sendRaw(ctx, 200, contentType, json, headers);
}

module.exports = {
  HUGE_PLACEHOLDER, HTML_502,
  HttpError, DirectiveError, maskKey,
  DIRECTIVES, BATCH_RESULT_MODES, splitModel, parseDirectives, retryHeaders,
  charCount, firstChars, tokensFor, messageTokens, cutAtStop, mockReply, decideToolCall, splitPieces,
  isJsonContentType, parseBody, isObject, sniffImage, decodeBase64,
  writeHead, sendRaw, sendJson, destroySocket, sendTruncated, sendHuge, sendChunks, sendStreamed, sendJsonAnswer, sendJsonText,
  mangleUsage,
};
