'use strict';
// Self-test of the mock's hostile-upstream mode (lib/corrupt.js): every
// corruption kind happens, on every protocol and endpoint the mock speaks
// (streams included), does what its name says to the valid answer it
// replaces, and comes back identical from its seed. Run with `node --test test/mock/`.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { createMockServer } = require('./mock_provider');
const corrupt = require('./lib/corrupt');
const sigv4 = require('./lib/sigv4');
const { crc32 } = require('./protocols/bedrock');

const KEY = 'sk-corrupt-test';
const AWS = { accessKeyId: 'AKIDCORRUPTEXAMPLE', secretAccessKey: 'corruptTestSecret/K7MDENG+bPxRfiCYEXAMPLE', region: 'us-east-1' };

// --------------------------------------------------------------- helpers ---

async function startMock(options = {}) {
  const { server } = createMockServer({ keys: [KEY], aws: AWS, ...options });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, close: () => { server.closeAllConnections(); server.close(); } };
}

let mock;
before(async () => { mock = await startMock(); });
after(() => mock.close());

const admin = async (base, p, method = 'GET') => (await fetch(base + p, { method })).json();

// A request whose answer may be cut: resolves with what arrived (never rejects
// on a cut connection), `complete` false when the body ended early.
function send(base, method, urlPath, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(base + urlPath, { method, headers, agent: false }, (res) => {
      const chunks = [];
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode, headers: res.headers, buf: Buffer.concat(chunks), complete: res.complete });
      };
      res.on('data', (c) => chunks.push(c));
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signBedrock(base, urlPath, body) {
  const host = new URL(base).host;
  const amzDate = sigv4.formatAmzDate(Date.now());
  const day = amzDate.slice(0, 8);
  const headers = { host, 'content-type': 'application/json', 'x-amz-date': amzDate };
  const signed = Object.keys(headers).sort();
  const canonical = sigv4.canonicalRequest({
    method: 'POST', rawPath: urlPath, rawQuery: '', rawHeaders: Object.entries(headers).flat(), signedHeaders: signed,
    payloadHash: crypto.createHash('sha256').update(body).digest('hex'),
  });
  const scope = `${day}/${AWS.region}/bedrock/aws4_request`;
  const signature = crypto.createHmac('sha256', sigv4.signingKey(AWS.secretAccessKey, day, AWS.region, 'bedrock'))
    .update(sigv4.stringToSign(amzDate, scope, canonical)).digest('hex');
  return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}` };
}

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const json = { 'content-type': 'application/json' };
const user = [{ role: 'user', content: 'Hello there, corrupt me' }];
const withQuery = (model, d) => (d ? `${model}?${d}` : model);

// Every endpoint the mock answers with a valid answer, taking the
// directives `d` where its protocol carries them.
const ENDPOINTS = {
  'openai chat': (d) => ['/v1/chat/completions', { authorization: `Bearer ${KEY}` }, { model: withQuery('gpt-4o-mini', d), messages: user }],
  'openai chat SSE': (d) => ['/v1/chat/completions', { authorization: `Bearer ${KEY}` },
    { model: withQuery('gpt-4o-mini', d), messages: user, stream: true, stream_options: { include_usage: true } }],
  'openai embeddings': (d) => ['/v1/embeddings', { authorization: `Bearer ${KEY}` }, { model: withQuery('text-embedding-3-small', d), input: ['one', 'two'] }],
  'azure chat': (d) => [`/openai/deployments/${encodeURIComponent(withQuery('my-deployment', d))}/chat/completions?api-version=2024-10-21`,
    { 'api-key': KEY }, { messages: user }],
  'anthropic messages': (d) => ['/v1/messages', { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    { model: withQuery('claude-3-5-haiku-20241022', d), max_tokens: 64, messages: user }],
  'anthropic SSE': (d) => ['/v1/messages', { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    { model: withQuery('claude-3-5-haiku-20241022', d), max_tokens: 64, messages: user, stream: true }],
  'gemini generateContent': (d) => [`/v1beta/models/${encodeURIComponent(withQuery('gemini-2.5-flash', d))}:generateContent`,
    { 'x-goog-api-key': KEY }, { contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }] }],
  'gemini SSE': (d) => [`/v1beta/models/${encodeURIComponent(withQuery('gemini-2.5-flash', d))}:streamGenerateContent?alt=sse`,
    { 'x-goog-api-key': KEY }, { contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }] }],
  'gemini JSON stream': (d) => [`/v1beta/models/${encodeURIComponent(withQuery('gemini-2.5-flash', d))}:streamGenerateContent`,
    { 'x-goog-api-key': KEY }, { contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }] }],
  'gemini batchEmbedContents': (d) => [`/v1beta/models/${encodeURIComponent(withQuery('text-embedding-004', d))}:batchEmbedContents`,
    { 'x-goog-api-key': KEY }, { requests: ['one', 'two'].map((text) => ({ model: 'models/text-embedding-004', content: { parts: [{ text }] }, outputDimensionality: 8 })) }],
  'bedrock converse': (d) => [`/model/${encodeURIComponent(withQuery(HAIKU, d))}/converse`, 'sigv4', { messages: [{ role: 'user', content: [{ text: 'Hello there' }] }] }],
  'bedrock converse-stream': (d) => [`/model/${encodeURIComponent(withQuery(HAIKU, d))}/converse-stream`, 'sigv4',
    { messages: [{ role: 'user', content: [{ text: 'Hello there' }] }] }],
  'bedrock titan embeddings': (d) => [`/model/${encodeURIComponent(withQuery('amazon.titan-embed-text-v2:0', d))}/invoke`, 'sigv4',
    { inputText: 'Hello there', dimensions: 256 }],
  'bedrock cohere embeddings': (d) => [`/model/${encodeURIComponent(withQuery('cohere.embed-english-v3', d))}/invoke`, 'sigv4',
    { texts: ['one', 'two'], input_type: 'search_document' }],
};

async function call(base, endpoint, d) {
  const [urlPath, auth, body] = ENDPOINTS[endpoint](d);
  const payload = JSON.stringify(body);
  const headers = auth === 'sigv4' ? signBedrock(base, urlPath, payload) : { ...json, ...auth };
  return send(base, 'POST', urlPath, headers, payload);
}

// The call and the mock's record of it: the valid answer it replaced and what was done.
async function corrupted(base, endpoint, d) {
  await admin(base, '/_mock/reset', 'POST');
  const res = await call(base, endpoint, d);
  const [record] = await admin(base, '/_mock/requests?limit=1');
  const c = record.corruption;
  return { res, c, original: c ? Buffer.from(c.original, 'base64') : null };
}

// The JSON documents of an answer, as bytes: the body, or each event of a
// stream (an event stream message's payload as sent, the message's CRC checked).
function documents(buf, contentType) {
  if (/event-stream/.test(contentType ?? '')) {
    const out = [];
    for (let i = 0; i < buf.length;) {
      let end = buf.indexOf(0x0a, i);
      if (end < 0) end = buf.length;
      const line = buf.subarray(i, end[0] === 0x0d ? end : end);
      const text = line.toString('latin1').replace(/\r$/, '');
      if (text.startsWith('data: ') && text !== 'data: [DONE]') out.push(line.subarray(6, text.length));
      i = end + 1;
    }
    return out;
  }
  if (/amazon\.eventstream/.test(contentType ?? '')) {
    const out = [];
    for (let i = 0; i + 12 <= buf.length;) {
      const total = buf.readUInt32BE(i);
      const headersLength = buf.readUInt32BE(i + 4);
      // the framing stays valid (lengths, CRCs): only the JSON inside is hostile
      assert.equal(crc32(buf.subarray(i, i + total - 4)), buf.readUInt32BE(i + total - 4), 'message CRC');
      out.push(buf.subarray(i + 12 + headersLength, i + total - 4));
      i += total;
    }
    return out;
  }
  return [buf];
}

// The keys that appear twice in one object of `text` (a small JSON scanner).
function duplicatedKeys(text) {
  const dups = [];
  const stack = [];
  const re = /"(?:[^"\\]|\\.)*"\s*:?|[{}[\]]/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const t = m[0];
    if (t === '{') stack.push(new Set());
    else if (t === '[') stack.push(null);
    else if (t === '}' || t === ']') stack.pop();
    else if (t.endsWith(':') && stack.length && stack[stack.length - 1]) {
      const key = JSON.parse(t.slice(0, -1).trim());
      const keys = stack[stack.length - 1];
      if (keys.has(key)) dups.push(key);
      keys.add(key);
    }
  }
  return dups;
}

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
function at(doc, p) {
  if (p === '(root)') return doc;
  let v = doc;
  for (const [, key, index] of p.matchAll(/\.?([^.[\]]+)|\[(\d+)\]/g)) v = v?.[index !== undefined ? Number(index) : key];
  return v;
}
const isValidUtf8 = (buf) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
};

// What each kind must have done to the valid answer it replaced.
const CHECKS = {
  truncate({ res, c, original }) {
    assert.ok(res.complete, 'a truncated answer ends cleanly (it is the short body that is wrong)');
    assert.ok(res.buf.length < original.length, 'shorter than the valid answer');
    assert.deepEqual(res.buf, original.subarray(0, res.buf.length), 'a prefix of the valid answer');
    assert.equal(c.at, res.buf.length);
  },
  cut({ res, original }) {
    assert.equal(res.complete, false, 'the connection is cut before the answer ends');
    assert.ok(res.buf.length < original.length);
    assert.deepEqual(res.buf, original.subarray(0, res.buf.length), 'what arrived is a prefix of the valid answer');
    if (res.headers['content-length'] !== undefined) assert.equal(Number(res.headers['content-length']), original.length, 'the whole length announced');
  },
  flip({ res, c, original }) {
    assert.equal(res.buf.length, original.length);
    const diff = [...res.buf].filter((b, i) => b !== original[i]).length;
    assert.ok(diff >= 1 && diff <= 4, `${diff} bytes differ`);
    const undone = Buffer.from(res.buf);
    for (const [i, mask] of c.flips.slice().reverse()) undone[i] ^= mask;
    assert.deepEqual(undone, original, 'flipping the reported bytes back gives the valid answer');
  },
  type({ res, c, original, contentType }) {
    const [doc, orig] = pickDocument(res, original, c, contentType);
    const got = JSON.parse(doc);
    const was = JSON.parse(orig);
    assert.notEqual(typeOf(at(got, c.path)), typeOf(at(was, c.path)), `${c.path}: ${c.from} -> ${c.to}`);
    assert.equal(typeOf(at(was, c.path)), c.from);
    assert.equal(typeOf(at(got, c.path)), c.to);
  },
  usage({ res, c, original, contentType }) {
    const [doc, orig] = pickDocument(res, original, c, contentType);
    assert.ok(['value', 'missing', 'not_object', 'added'].includes(c.variant), c.variant);
    assert.notEqual(doc, orig, 'the usage is not what the valid answer said');
    if (c.variant === 'value') {
      assert.ok(c.changed.length >= 1);
      for (const change of c.changed) {
        const value = change.slice(change.lastIndexOf('=') + 1);
        assert.ok(doc.includes(`:${value}`), `${change} is in the answer`);
      }
    }
    if (c.variant === 'missing') assert.equal(at(JSON.parse(doc), c.path), undefined, `${c.path} is gone`);
    if (c.variant === 'added') assert.ok(doc.includes('"usage":{"prompt_tokens":'));
  },
  number({ res, c, original, contentType }) {
    const [doc] = pickDocument(res, original, c, contentType);
    const key = c.path.split(/[.[\]]/).filter(Boolean).pop();
    assert.ok(new RegExp(`${/^\d+$/.test(key) ? '[\\[,]' : `"${key}":`}${c.value.replace(/[.+\\-]/g, '\\$&')}[,}\\]]`).test(doc),
      `${c.path} = ${c.value} is in the answer`);
  },
  dup_keys({ res, c, original, contentType }) {
    const [doc, orig] = pickDocument(res, original, c, contentType);
    assert.deepEqual(duplicatedKeys(orig), [], 'the valid answer repeats no key');
    assert.deepEqual(duplicatedKeys(doc), [c.key], `"${c.key}" appears twice in ${c.path}`);
  },
  utf8({ res, c, original, contentType }) {
    const [doc, orig] = c.event === undefined ? [res.buf, original] : pickDocument(res, original, c, contentType, true);
    if (c.variant === 'lone_surrogate') {
      assert.ok(isValidUtf8(doc), 'the bytes are UTF-8; the escape is what is wrong');
      assert.match(doc.toString(), /\\ud[89a-f][0-9a-f]{2}/);
    } else if (c.variant === 'anywhere') {
      const bytes = Buffer.from(c.bytes.split(' ').map((h) => parseInt(h, 16)));
      assert.deepEqual(doc, Buffer.concat([orig.subarray(0, c.at), bytes, orig.subarray(c.at)]), `${c.bytes} at ${c.at}`);
      if (!/amazon\.eventstream/.test(contentType) || c.event !== undefined) assert.equal(isValidUtf8(doc), false);
    } else {
      assert.equal(isValidUtf8(doc), false, `invalid UTF-8 (${c.bytes}, ${c.variant})`);
    }
  },
  nul({ res, c, original, contentType }) {
    const [doc, orig] = c.event === undefined ? [res.buf, original] : pickDocument(res, original, c, contentType, true);
    if (c.variant === 'raw_byte') assert.deepEqual(doc, Buffer.concat([orig.subarray(0, c.at), Buffer.from([0]), orig.subarray(c.at)]), 'a zero byte');
    else assert.ok(doc.toString('latin1').includes('\\u0000'), `a \\u0000 escape (${c.variant})`);
  },
  content_type({ res, original, contentType }) {
    assert.notEqual(res.headers['content-type'], contentType, `${res.headers['content-type']} instead of ${contentType}`);
    assert.deepEqual(res.buf, original, 'the body is the valid answer');
  },
  empty({ res }) {
    assert.equal(res.buf.toString().trim(), '', 'nothing but whitespace');
  },
  garbage({ res, c, original }) {
    assert.ok(res.buf.length > original.length);
    if (c.variant === 'after') assert.deepEqual(res.buf.subarray(0, original.length), original, `${c.garbage} after the valid answer`);
    else assert.deepEqual(res.buf.subarray(res.buf.length - original.length), original, `${c.garbage} before the valid answer`);
  },
};

// The document a structural kind worked on, and its valid form: the body,
// or for a stream the event it altered (c.event).
function pickDocument(res, original, c, contentType, asBytes = false) {
  const got = documents(res.buf, contentType);
  const was = documents(original, contentType);
  const i = c.event === undefined ? 0 : was.length === got.length ? eventIndex(original, contentType, c.event) : 0;
  return asBytes ? [got[i], was[i]] : [got[i].toString('utf8'), was[i].toString('utf8')];
}

// The index among the JSON documents of the stream's c.event-th chunk
// (an OpenAI SSE stream's last chunk, "[DONE]", holds none).
function eventIndex(original, contentType, event) {
  if (/amazon\.eventstream/.test(contentType)) return event;
  const chunks = original.toString('utf8').split(/(?<=\r?\n\r?\n)/);
  return chunks.slice(0, event).filter((e) => /^data: (?!\[DONE\])/m.test(e)).length;
}

// ----------------------------------------------------------------- tests ---

test('every kind, on every endpoint, does what it says to the valid answer', async () => {
  for (const endpoint of Object.keys(ENDPOINTS)) {
    const clean = await call(mock.base, endpoint, '');
    assert.equal(clean.status, 200, `${endpoint}: ${clean.buf}`);
    const contentType = clean.headers['content-type'];
    for (const kind of corrupt.KINDS) {
      for (const seed of [1, 2, 3, 4]) {
        const d = `corrupt=${kind}&corrupt_replay=${seed}`;
        const got = await corrupted(mock.base, endpoint, d);
        const where = `${endpoint}, ${kind}, seed ${seed}`;
        assert.equal(got.res.status, 200, where);
        assert.ok(got.c, `${where}: recorded as corrupted`);
        assert.equal(got.c.kind, kind, `${where}: the kind asked for (not a fallback)`);
        assert.equal(got.c.seed, seed);
        assert.equal(got.res.headers['x-mock-corrupt'], `${kind}; seed=${seed}`, where);
        try {
          CHECKS[kind]({ ...got, contentType });
        } catch (err) {
          err.message = `${where}: ${err.message}\n  corruption: ${JSON.stringify({ ...got.c, original: undefined })}\n  answer: ${JSON.stringify(got.res.buf.toString('latin1').slice(0, 600))}`;
          throw err;
        }
      }
    }
  }
});

test('the same seed gives the same corruption, answer for answer', async () => {
  const plan = (x) => ({ ...x.c, original: undefined });
  for (const endpoint of Object.keys(ENDPOINTS)) {
    const seeds = new Set();
    for (const kind of corrupt.KINDS) {
      // a run's seed: the same request is corrupted the same way again
      const d = `corrupt=${kind}&corrupt_seed=987654321`;
      const a = await corrupted(mock.base, endpoint, d);
      const b = await corrupted(mock.base, endpoint, d);
      assert.deepEqual(plan(b), plan(a), `${endpoint}, ${kind}: the same corruption`);
      // the valid answers carry the clock (created, latencyMs): when they agree, so do the bytes
      if (a.original.equals(b.original)) assert.deepEqual(b.res.buf, a.res.buf, `${endpoint}, ${kind}: the same bytes`);
      assert.equal(a.res.headers['x-mock-corrupt'], `${kind}; seed=${a.c.seed}`);
      seeds.add(a.c.seed);
      // ... and the answer's own seed replays it, in another request too
      const c = await corrupted(mock.base, endpoint, `corrupt=${kind}&corrupt_rate=100&corrupt_replay=${a.c.seed}`);
      assert.equal(c.c.seed, a.c.seed);
      if (c.original.length === a.original.length) assert.deepEqual(plan(c), plan(a), `${endpoint}, ${kind}: replayed from seed ${a.c.seed}`);
    }
    assert.equal(seeds.size, corrupt.KINDS.length, `${endpoint}: each request its own seed`);
  }
});

test('corruptBody and corruptStream are pure functions of the answer and the seed', () => {
  const answer = Buffer.from(JSON.stringify({
    id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  }));
  const sse = ['data: {"a":1,"usage":null}\n\n', 'data: {"b":"text","usage":{"prompt_tokens":5}}\n\n', 'data: [DONE]\n\n'];
  for (const kind of corrupt.KINDS) {
    const seen = new Set();
    for (let seed = 0; seed < 40; seed++) {
      const plan = () => ({ seed, rng: corrupt.prng(seed), kinds: [kind] });
      const one = corrupt.corruptBody(answer, 'application/json', plan());
      const two = corrupt.corruptBody(answer, 'application/json', plan());
      assert.deepEqual(two, one, `${kind}, seed ${seed}`);
      assert.equal(one.kind, kind);
      seen.add(one.bytes.toString('base64') + one.contentType + one.cutAt);
      const s1 = corrupt.corruptStream(sse, 'text/event-stream', plan());
      const s2 = corrupt.corruptStream(sse, 'text/event-stream', plan());
      assert.deepEqual(s2, s1, `${kind} on a stream, seed ${seed}`);
    }
    assert.ok(seen.size > 3, `${kind}: seeds give different corruptions (${seen.size} of 40)`);
  }
});

test('a server started corrupting: every answer by default, replayable from its seed, rate and per-request override', async () => {
  // prompt i, by OpenAI and Anthropic in turn
  const ask = (base, i) => {
    const [urlPath, auth, body] = ENDPOINTS[i % 2 ? 'anthropic messages' : 'openai chat']('');
    body.messages = [{ role: 'user', content: `prompt ${i}` }];
    return send(base, 'POST', urlPath, { ...json, ...auth }, JSON.stringify(body));
  };
  const requestsOf = async (base) => {
    const out = [];
    for (let i = 0; i < 24; i++) out.push((await ask(base, i)).headers['x-mock-corrupt'] ?? 'clean');
    return out;
  };
  const a = await startMock({ corrupt: { kinds: corrupt.KINDS, seed: 7 } });
  const b = await startMock({ corrupt: { kinds: corrupt.KINDS, seed: 7 } });
  const other = await startMock({ corrupt: { kinds: corrupt.KINDS, seed: 8 } });
  try {
    const first = await requestsOf(a.base);
    assert.ok(first.every((h) => h !== 'clean'), 'every answer corrupted');
    assert.deepEqual(await requestsOf(b.base), first, 'another server with the same seed corrupts the same way');
    assert.notDeepEqual(await requestsOf(other.base), first, 'another seed, other corruptions');
    // whatever came before: the corruption of a request depends only on it and the seed
    const lone = await ask(b.base, 22);
    assert.equal(lone.headers['x-mock-corrupt'], first[22]);
    // replayed alone, from the seed the answer named
    const seed = Number(/seed=(\d+)/.exec(first[0])[1]);
    const replay = await call(mock.base, 'openai chat', `corrupt=all&corrupt_replay=${seed}`);
    assert.equal(replay.headers['x-mock-corrupt'], first[0], 'the named seed replays it on any mock');
    // a request can turn it off
    const off = await call(a.base, 'openai chat', 'corrupt=0');
    assert.equal(off.headers['x-mock-corrupt'], undefined);
    assert.equal(JSON.parse(off.buf).choices[0].message.content, 'Mock reply to: Hello there, corrupt me');
    const stats = await admin(a.base, '/_mock/stats');
    assert.equal(stats.requests_total, 25);
    assert.equal(stats.answers_total, 25, 'every request answered, cut ones included');
    assert.equal(stats.corrupted_total, 24);
    assert.equal(Object.values(stats.corrupted_by_kind).reduce((x, y) => x + y, 0), 24);
  } finally {
    a.close();
    b.close();
    other.close();
  }
  const half = await startMock({ corrupt: { kinds: ['truncate'], rate: 50, seed: 1 } });
  try {
    let n = 0;
    for (let i = 0; i < 200; i++) {
      const [urlPath, auth, body] = ENDPOINTS['openai chat']('');
      body.messages = [{ role: 'user', content: `prompt ${i}` }];
      const res = await send(half.base, 'POST', urlPath, { ...json, ...auth }, JSON.stringify(body));
      if (res.headers['x-mock-corrupt']) n++;
    }
    assert.ok(n > 70 && n < 130, `corrupt_rate 50: ${n} of 200 corrupted`);
    const none = await call(half.base, 'openai chat', 'corrupt_rate=0');
    assert.equal(none.headers['x-mock-corrupt'], undefined, 'corrupt_rate=0 per request');
  } finally {
    half.close();
  }
});

test('corrupt directives are checked like the others', async () => {
  for (const [d, message] of [
    ['corrupt=bogus', /Mock directive 'corrupt' must be all, 0 or a comma-separated list of .* \(unknown: bogus\)\./],
    ['corrupt=truncate,flop', /unknown: flop/],
    ['corrupt=all&corrupt_rate=101', /Mock directive 'corrupt_rate' must be an integer from 0 to 100\./],
    ['corrupt=all&corrupt_seed=-1', /Mock directive 'corrupt_seed' must be a non-negative integer\./],
    ['corrupt=all&corrupt_replay=x', /Mock directive 'corrupt_replay' must be a non-negative integer\./],
  ]) {
    const res = await call(mock.base, 'openai chat', d);
    assert.equal(res.status, 400, d);
    assert.match(JSON.parse(res.buf).error.message, message);
  }
  // several kinds: each answer gets one of them
  const kinds = new Set();
  for (let seed = 0; seed < 30; seed++) kinds.add((await corrupted(mock.base, 'openai chat', `corrupt=flip,empty&corrupt_seed=${seed}`)).c.kind);
  assert.deepEqual([...kinds].sort(), ['empty', 'flip']);
  // faults and errors are sent as they are: only a valid answer is corrupted
  const fault = await corrupted(mock.base, 'openai chat', 'corrupt=all&status=429');
  assert.equal(fault.res.status, 429);
  assert.equal(fault.c, undefined);
  assert.equal(JSON.parse(fault.res.buf).error.code, 'rate_limit_exceeded');
});

test('body=TEXT answers 200 with exactly that body, a hostile answer written by hand', async () => {
  const body = '{"choices":[{"message":"not an object"}],"usage":{"prompt_tokens":1e15}}';
  for (const endpoint of ['openai chat', 'gemini generateContent', 'bedrock titan embeddings']) {
    const res = await call(mock.base, endpoint, `body=${encodeURIComponent(body)}`);
    assert.equal(res.status, 200, endpoint);
    assert.equal(res.buf.toString(), body, endpoint);
    assert.equal(res.headers['content-type'], 'application/json');
  }
  // a fault like the others: fail_first lets later requests through
  await admin(mock.base, '/_mock/reset', 'POST');
  assert.equal((await call(mock.base, 'openai chat', 'body=x&fail_first=1')).buf.toString(), 'x');
  assert.equal(JSON.parse((await call(mock.base, 'openai chat', 'body=x&fail_first=1')).buf).object, 'chat.completion');
});

test('the command line: --corrupt, --corrupt-rate, --corrupt-seed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-corrupt-'));
  const portFile = path.join(dir, 'mock.port');
  const run = (args) => spawn(process.execPath, [path.join(__dirname, 'mock_provider.js'), '--port', '0', '--quiet',
    '--port-file', portFile, '--key', KEY, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exitOf = (child) => new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const stderrOf = (child) => { let s = ''; child.stderr.on('data', (c) => { s += c; }); return () => s; };
  try {
    for (const args of [['--corrupt', 'bogus'], ['--corrupt', 'all', '--corrupt-rate', '200'], ['--corrupt', 'all', '--corrupt-seed', 'x']]) {
      const child = run(args);
      const err = stderrOf(child);
      assert.equal(await exitOf(child), 2, args.join(' '));
      assert.match(err(), /mock provider: --corrupt/);
    }
    const child = run(['--corrupt', 'truncate,empty', '--corrupt-rate', '100', '--corrupt-seed', '42']);
    const err = stderrOf(child);
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(portFile)) {
      assert.ok(Date.now() < deadline, 'the mock did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = `http://127.0.0.1:${parseInt(fs.readFileSync(portFile, 'utf8'), 10)}`;
    const res = await call(base, 'openai chat', '');
    assert.match(res.headers['x-mock-corrupt'], /^(truncate|empty); seed=\d+$/);
    assert.match(err(), /mock provider: corrupting 100% of the answers \(truncate,empty\), seed 42\n/);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
