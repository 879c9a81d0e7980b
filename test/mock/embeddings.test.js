'use strict';
// Self-test for the embeddings endpoints of the mock provider (OpenAI,
// Gemini, Bedrock InvokeModel for Titan v2 and Cohere v3): shapes, limits,
// determinism, directives in inputs and recording. Runs an in-process mock.
// Run with `node --test test/mock/`.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { createMockServer } = require('./mock_provider');

const KEY = 'sk-test-key';
const AWS = { accessKeyId: 'AKIDMOCKEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYMOCKKEY', region: 'eu-west-3' };
let server;
let baseUrl;

before(async () => {
  ({ server } = createMockServer({ keys: [KEY], aws: AWS }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function rawRequest(method, urlPath, headers, body = '') {
  return new Promise((resolve, reject) => {
    const req = http.request(baseUrl + urlPath, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try {
          json = JSON.parse(text);
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const admin = async (p, method = 'GET') => (await fetch(baseUrl + p, { method })).json();
const embed = (body, urlPath = '/v1/embeddings') => rawRequest('POST', urlPath,
  { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, JSON.stringify(body));
const oai = (input, extra = {}) => embed({ model: 'text-embedding-3-small', input, ...extra });

// The documented vector rule, written again here (README, "Embeddings"), so
// that a test (or a SQL check) can recompute any vector.
function expectedVector(text, dimensions = 8, type = null) {
  const key = type ? `${text}\u0000${type}` : text;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  const v = [];
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
    v.push(Math.round(((h >>> 0) / 0xffffffff * 2 - 1) * 1e6) / 1e6);
  }
  return v;
}
const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

// ------------------------------------------------------------------------
// OpenAI

test('openai: many inputs packed in one request come back in order, with summed usage', async () => {
  const texts = Array.from({ length: 300 }, (_, i) => `chunk number ${i}`);
  const res = await oai(texts);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.object, 'list');
  assert.equal(res.json.model, 'text-embedding-3-small');
  assert.equal(res.json.data.length, 300);
  res.json.data.forEach((d, i) => {
    assert.equal(d.object, 'embedding');
    assert.equal(d.index, i);
    assert.deepEqual(d.embedding, expectedVector(texts[i]));
  });
  const tokens = texts.reduce((s, t) => s + Math.ceil(t.length / 4), 0);
  assert.deepEqual(res.json.usage, { prompt_tokens: tokens, total_tokens: tokens });
});

test('openai: the same text gets the same vector whichever request carries it', async () => {
  const a = (await oai(['alpha', 'beta', 'gamma'])).json.data;
  const b = (await oai(['gamma', 'delta', 'alpha'])).json.data;
  const c = (await oai('beta')).json.data;
  assert.deepEqual(a[0].embedding, b[2].embedding);
  assert.deepEqual(a[2].embedding, b[0].embedding);
  assert.deepEqual(a[1].embedding, c[0].embedding);
  assert.notDeepEqual(a[0].embedding, a[1].embedding);
  // Token arrays are embedded as their "1,2,3" text.
  const tok = (await oai([[1, 2, 3]])).json;
  assert.deepEqual(tok.data[0].embedding, expectedVector('1,2,3'));
  assert.equal(tok.usage.prompt_tokens, 3);
});

test('openai: dimensions sets the vector length (a longer vector extends a shorter one)', async () => {
  const res = await oai(['hello', 'world'], { dimensions: 20 });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.data[0].embedding.length, 20);
  assert.deepEqual(res.json.data[0].embedding, expectedVector('hello', 20));
  assert.deepEqual(res.json.data[0].embedding.slice(0, 8), (await oai('hello')).json.data[0].embedding);
  assert.equal((await oai('x', { dimensions: 3072 })).json.data[0].embedding.length, 3072);

  const b64 = await oai('hello', { dimensions: 20, encoding_format: 'base64' });
  const bytes = Buffer.from(b64.json.data[0].embedding, 'base64');
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  assert.equal(floats.length, 20);
  floats.forEach((x, i) => assert.ok(Math.abs(x - expectedVector('hello', 20)[i]) < 1e-6));

  for (const [dimensions, code] of [[3073, 'integer_above_max_value'], [0, 'integer_below_min_value'], ['8', 'invalid_type']]) {
    const bad = await oai('hello', { dimensions });
    assert.equal(bad.status, 400, String(dimensions));
    assert.equal(bad.json.error.type, 'invalid_request_error');
    assert.equal(bad.json.error.param, 'dimensions');
    assert.equal(bad.json.error.code, code);
  }
  assert.match((await oai('hello', { dimensions: 3073 })).json.error.message, /<= 3072/);
});

test('openai: each documented limit is a 400 naming it', async () => {
  const expectLimit = (res, message) => {
    assert.equal(res.status, 400, res.text.slice(0, 200));
    assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.equal(res.json.error.param, 'input');
    assert.equal(res.json.error.code, null);
    assert.match(res.json.error.message, message);
  };
  // At most 2048 inputs.
  assert.equal((await oai(Array.from({ length: 2048 }, () => 'x'))).status, 200);
  expectLimit(await oai(Array.from({ length: 2049 }, () => 'x')), /maximum length 2048, but got an array with length 2049/);
  // At most 8192 tokens per input (ceil(chars / 4)), strings and token arrays.
  assert.equal((await oai(['ok', 'y'.repeat(8192 * 4)])).status, 200);
  expectLimit(await oai(['ok', 'y'.repeat(8192 * 4 + 1)]), /maximum context length is 8192 tokens, however you requested 8193 tokens/);
  expectLimit(await oai([Array.from({ length: 8193 }, () => 1)]), /maximum context length is 8192 tokens/);
  // At most 300000 tokens summed over the request: 36 full inputs fit, 37 do not.
  const full = 'z'.repeat(8192 * 4);
  const fits = await oai(Array.from({ length: 36 }, () => full));
  assert.equal(fits.status, 200);
  assert.equal(fits.json.usage.prompt_tokens, 36 * 8192);
  expectLimit(await oai(Array.from({ length: 37 }, () => full)), /^Requested 303104 tokens, max 300000 tokens per request$/);
});

test('openai: a [[mock:...]] directive in any input applies to that whole request only', async () => {
  let res = await oai(['first', 'second [[mock:status=500]]', 'third']);
  assert.equal(res.status, 500);
  assert.equal(res.json.error.type, 'server_error');
  res = await oai(['first', 'second', 'third']);
  assert.equal(res.status, 200);
  // The vector of a text with a tag is that of the full text, tag included.
  res = await oai(['first', 'fourth [[mock:retry_after=3]]']);
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.data[1].embedding, expectedVector('fourth [[mock:retry_after=3]]'));

  // Slow one packed request, not the others sent at the same time.
  const t0 = Date.now();
  const slow = oai(['a', 'b [[mock:latency_ms=300]]']).then(() => Date.now() - t0);
  const fast = oai(['a', 'b']).then(() => Date.now() - t0);
  const [slowMs, fastMs] = await Promise.all([slow, fast]);
  assert.ok(slowMs >= 290, `slow took ${slowMs} ms`);
  assert.ok(fastMs < 250, `fast took ${fastMs} ms`);

  // Tags from several inputs combine (a later one wins); fail_first counts per tag set.
  await admin('/_mock/reset', 'POST');
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await oai(['p [[mock:status=429]]', 'q [[mock:fail_first=2]]'])).status);
  assert.deepEqual(statuses, [429, 429, 200]);

  // A bad directive in an input is a 400 on param input; prompt_tokens overrides usage.
  res = await oai(['x [[mock:bogus=1]]']);
  assert.equal(res.status, 400);
  assert.equal(res.json.error.param, 'input');
  res = await oai(['x [[mock:prompt_tokens=77]]']);
  assert.deepEqual(res.json.usage, { prompt_tokens: 77, total_tokens: 77 });
});

test('openai and azure: embeddings requests are recorded and counted', async () => {
  await admin('/_mock/reset', 'POST');
  await oai(['one', 'two', 'three'], { dimensions: 4 });
  const az = await rawRequest('POST', '/openai/deployments/emb/embeddings?api-version=2024-10-21',
    { 'content-type': 'application/json', 'api-key': KEY }, JSON.stringify({ input: ['one', 'b [[mock:status=503]]'] }));
  assert.equal(az.status, 503);
  const records = await admin('/_mock/requests');
  assert.equal(records.length, 2);
  assert.equal(records[0].path, '/v1/embeddings');
  assert.deepEqual(records[0].body, { model: 'text-embedding-3-small', input: ['one', 'two', 'three'], dimensions: 4 });
  assert.equal(records[0].status, 200);
  assert.equal(records[1].status, 503);
  const stats = await admin('/_mock/stats');
  assert.equal(stats.requests_total, 2);
  assert.equal(stats.requests_by_path['/v1/embeddings'], 1);
  assert.equal(stats.requests_by_path['/openai/deployments/emb/embeddings'], 1);
});

// ------------------------------------------------------------------------
// Gemini

const gemini = (model, method, body, headers = { 'x-goog-api-key': KEY }, query = '') =>
  rawRequest('POST', `/v1beta/models/${encodeURIComponent(model)}:${method}${query}`,
    { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
const GEM = 'gemini-embedding-001';
const content = (text) => ({ parts: [{ text }] });
const batchOf = (texts, extra = {}, model = GEM) => ({ requests: texts.map((t) => ({ model: `models/${model}`, content: content(t), ...extra })) });

test('gemini: embedContent and batchEmbedContents shapes, order, no usage', async () => {
  let res = await gemini(GEM, 'embedContent', { content: content('hello') });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['embedding']);
  assert.equal(res.json.embedding.values.length, 3072);
  assert.deepEqual(res.json.embedding.values, expectedVector('hello', 3072));
  assert.equal((await gemini('text-embedding-004', 'embedContent', { content: content('hello') })).json.embedding.values.length, 768);

  res = await gemini(GEM, 'embedContent', { model: `models/${GEM}`, content: content('hello'), output_dimensionality: 8 }, {}, `?key=${KEY}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.embedding.values, expectedVector('hello'));

  const texts = Array.from({ length: 100 }, (_, i) => `doc ${i}`);
  res = await gemini(GEM, 'batchEmbedContents', batchOf(texts, { outputDimensionality: 16 }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['embeddings']);
  assert.equal(res.json.embeddings.length, 100);
  res.json.embeddings.forEach((e, i) => assert.deepEqual(e, { values: expectedVector(texts[i], 16) }));

  // Several parts are one text, joined by "\n".
  res = await gemini(GEM, 'embedContent', { content: { parts: [{ text: 'a' }, { text: 'b' }] }, outputDimensionality: 8 });
  assert.deepEqual(res.json.embedding.values, expectedVector('a\nb'));
});

test('gemini: taskType changes the vector; unspecified is the same as none', async () => {
  const values = async (extra) => (await gemini(GEM, 'embedContent', { content: content('query text'), outputDimensionality: 8, ...extra })).json.embedding.values;
  const none = await values({});
  const query = await values({ taskType: 'RETRIEVAL_QUERY' });
  const doc = await values({ task_type: 'RETRIEVAL_DOCUMENT', title: 'A title' });
  assert.deepEqual(none, expectedVector('query text'));
  assert.deepEqual(query, expectedVector('query text', 8, 'RETRIEVAL_QUERY'));
  assert.deepEqual(doc, expectedVector('query text', 8, 'RETRIEVAL_DOCUMENT'));
  assert.notDeepEqual(query, none);
  assert.notDeepEqual(query, doc);
  assert.deepEqual(await values({ taskType: 'TASK_TYPE_UNSPECIFIED' }), none);
  assert.deepEqual(await values({ taskType: 1 }), query); // enums also parse from their number

  const batch = await gemini(GEM, 'batchEmbedContents', { requests: [
    { model: `models/${GEM}`, content: content('query text'), taskType: 'RETRIEVAL_QUERY', outputDimensionality: 8 },
    { model: `models/${GEM}`, content: content('query text'), taskType: 'CODE_RETRIEVAL_QUERY', outputDimensionality: 8 },
  ] });
  assert.deepEqual(batch.json.embeddings[0].values, query);
  assert.deepEqual(batch.json.embeddings[1].values, expectedVector('query text', 8, 'CODE_RETRIEVAL_QUERY'));
});

test('gemini: validation and limits answer 400 INVALID_ARGUMENT', async () => {
  const expect400 = (res, message) => {
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.equal(res.json.error.code, 400);
    assert.equal(res.json.error.status, 'INVALID_ARGUMENT');
    assert.match(res.json.error.message, message);
  };
  expect400(await gemini(GEM, 'batchEmbedContents', batchOf(Array.from({ length: 101 }, () => 'x'))),
    /^\* BatchEmbedContentsRequest\.requests: at most 100 requests can be in one batch\n$/);
  const other = batchOf(['a', 'b']);
  other.requests[1].model = 'models/text-embedding-004';
  expect400(await gemini(GEM, 'batchEmbedContents', other), /requests\[1\]\.model: model models\/text-embedding-004 does not match the batch model models\/gemini-embedding-001/);
  const missing = batchOf(['a']);
  delete missing.requests[0].model;
  expect400(await gemini(GEM, 'batchEmbedContents', missing), /requests\[0\]\.model: unexpected model name format/);
  expect400(await gemini(GEM, 'batchEmbedContents', batchOf(['a'], { taskType: 'SEARCH' })),
    /Invalid value at 'requests\[0\]\.task_type' \(type\.googleapis\.com\/google\.ai\.generativelanguage\.v1beta\.TaskType\), "SEARCH"/);
  expect400(await gemini(GEM, 'embedContent', { content: content('a'), dimensions: 8 }), /Unknown name "dimensions"/);
  expect400(await gemini(GEM, 'embedContent', { content: content('a'), outputDimensionality: 3073 }), /at most 3072/);
  expect400(await gemini(GEM, 'embedContent', {}), /EmbedContentRequest\.content: required field is not set/);
  // At most 2048 tokens (ceil(chars / 4)) per text.
  assert.equal((await gemini(GEM, 'batchEmbedContents', batchOf(['ok', 'w'.repeat(2048 * 4)], { outputDimensionality: 4 }))).status, 200);
  expect400(await gemini(GEM, 'batchEmbedContents', batchOf(['ok', 'w'.repeat(2048 * 4 + 1)])),
    /requests\[1\]\.content: input of 2049 tokens exceeds the maximum of 2048 tokens/);

  // Auth as for generateContent.
  const noKey = await gemini(GEM, 'embedContent', { content: content('a') }, {});
  assert.equal(noKey.status, 403);
  assert.equal((await gemini(GEM, 'embedContent', { content: content('a') }, { 'x-goog-api-key': 'AIza-wrong' })).status, 400);
});

test('gemini: a directive in one text fails the whole batch; the model name carries them too', async () => {
  let res = await gemini(GEM, 'batchEmbedContents', batchOf(['a', 'b [[mock:status=429&retry_after=4]]', 'c']));
  assert.equal(res.status, 429);
  assert.equal(res.json.error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(res.headers['retry-after'], '4');
  res = await gemini(GEM, 'batchEmbedContents', batchOf(['a', 'b', 'c'], { outputDimensionality: 4 }));
  assert.equal(res.status, 200);
  // Directives in the URL's model name; the requests may name the model with or without them.
  res = await gemini(`${GEM}?status=404`, 'embedContent', { content: content('a') });
  assert.equal(res.status, 404);
  assert.match(res.json.error.message, /not supported for embedContent/);
  res = await gemini(`${GEM}?latency_ms=1`, 'batchEmbedContents', batchOf(['a'], { outputDimensionality: 4 }, `${GEM}?latency_ms=1`));
  assert.equal(res.status, 200, res.text);

  await admin('/_mock/reset', 'POST');
  await gemini(GEM, 'batchEmbedContents', batchOf(['x', 'y'], { outputDimensionality: 4 }));
  const [record] = await admin('/_mock/requests');
  assert.equal(record.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
  assert.deepEqual(record.body.requests.map((r) => r.content.parts[0].text), ['x', 'y']);
  assert.equal((await admin('/_mock/stats')).requests_by_path['/v1beta/models/gemini-embedding-001:batchEmbedContents'], 1);
});

// ------------------------------------------------------------------------
// Bedrock InvokeModel

// An independent SigV4 signer (the same construction as in mock_provider.test.js).
function signAws({ url, body, creds = AWS }) {
  const u = new URL(url);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const day = amzDate.slice(0, 8);
  const headers = { host: u.host, 'content-type': 'application/json', 'x-amz-date': amzDate };
  const names = Object.keys(headers).sort();
  const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalUri = u.pathname.split('/').map(rfc3986).join('/');
  const hash = (x) => crypto.createHash('sha256').update(x).digest('hex');
  const canonical = ['POST', canonicalUri, '', names.map((n) => `${n}:${headers[n]}\n`).join(''), names.join(';'), hash(body)].join('\n');
  const scope = `${day}/${AWS.region}/bedrock/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n');
  let key = `AWS4${creds.secretAccessKey}`;
  for (const part of [day, AWS.region, 'bedrock', 'aws4_request']) key = crypto.createHmac('sha256', key).update(part).digest();
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  return {
    'content-type': headers['content-type'], 'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-english-v3';
function invoke(modelId, body, { creds } = {}) {
  const urlPath = `/model/${encodeURIComponent(modelId)}/invoke`;
  const payload = JSON.stringify(body);
  return rawRequest('POST', urlPath, signAws({ url: baseUrl + urlPath, body: payload, creds }), payload);
}
const expectValidation = (res, message) => {
  assert.equal(res.status, 400, res.text.slice(0, 300));
  assert.equal(res.headers['x-amzn-errortype'], 'ValidationException');
  assert.deepEqual(Object.keys(res.json), ['message']);
  assert.match(res.json.message, message);
};

test('bedrock titan v2: shape, token count header, dimensions, normalize', async () => {
  await admin('/_mock/reset', 'POST');
  let res = await invoke(TITAN, { inputText: 'Hello Titan' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['embedding', 'inputTextTokenCount', 'embeddingsByType']);
  assert.equal(res.json.embedding.length, 1024);
  assert.ok(Math.abs(norm(res.json.embedding) - 1) < 1e-9, 'normalize defaults to true');
  assert.deepEqual(res.json.embeddingsByType, { float: res.json.embedding });
  assert.equal(res.json.inputTextTokenCount, 3);
  assert.equal(res.headers['x-amzn-bedrock-input-token-count'], '3');
  assert.match(res.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/);

  res = await invoke(TITAN, { inputText: 'Hello Titan', dimensions: 256, normalize: false, embeddingTypes: ['float', 'binary'] });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.embedding, expectedVector('Hello Titan', 256));
  assert.deepEqual(res.json.embeddingsByType.binary, res.json.embedding.map((x) => (x > 0 ? 1 : 0)));
  const unit = (await invoke(TITAN, { inputText: 'Hello Titan', dimensions: 256, normalize: true })).json.embedding;
  const n = norm(res.json.embedding);
  unit.forEach((x, i) => assert.ok(Math.abs(x - res.json.embedding[i] / n) < 1e-12));

  expectValidation(await invoke(TITAN, { inputText: 'x', dimensions: 300 }), /^Malformed input request: #\/dimensions: 300 is not a valid enum value, please reformat your input and try again\.$/);
  expectValidation(await invoke(TITAN, { inputText: 'x'.repeat(50001) }), /#\/inputText: expected maxLength: 50000, actual: 50001/);
  assert.equal((await invoke(TITAN, { inputText: 'x'.repeat(50000) })).status, 200);
  expectValidation(await invoke(TITAN, { inputText: ['a', 'b'] }), /#\/inputText: expected type: String, found: JSONArray/);
  expectValidation(await invoke(TITAN, { texts: ['a'] }), /#: extraneous key \[texts\] is not permitted/);
  expectValidation(await invoke(TITAN, {}), /#: required key \[inputText\] not found/);
  expectValidation(await invoke('amazon.titan-embed-text-v9:0', { inputText: 'x' }), /^The provided model identifier is invalid\./);

  const records = await admin('/_mock/requests?limit=200');
  assert.equal(records[0].path, '/model/amazon.titan-embed-text-v2%3A0/invoke');
  assert.deepEqual(records[0].body, { inputText: 'Hello Titan' });
  assert.equal((await admin('/_mock/stats')).requests_by_path['/model/amazon.titan-embed-text-v2%3A0/invoke'], 9);
});

test('bedrock: InvokeModel is SigV4-verified like Converse', async () => {
  const res = await invoke(TITAN, { inputText: 'x' }, { creds: { ...AWS, secretAccessKey: 'wrong' } });
  assert.equal(res.status, 403);
  assert.equal(res.headers['x-amzn-errortype'], 'InvalidSignatureException');
  const unsigned = await rawRequest('POST', `/model/${encodeURIComponent(TITAN)}/invoke`, { 'content-type': 'application/json' }, '{"inputText":"x"}');
  assert.equal(unsigned.status, 403);
  assert.equal(unsigned.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
});

test('bedrock cohere v3: packed texts, input_type changes the vectors, limits', async () => {
  const texts = Array.from({ length: 96 }, (_, i) => `passage ${i}`);
  let res = await invoke(COHERE, { texts, input_type: 'search_document', truncate: 'END' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['embeddings', 'id', 'response_type', 'texts']);
  assert.equal(res.json.response_type, 'embeddings_floats');
  assert.deepEqual(res.json.texts, texts);
  assert.match(res.json.id, /^[0-9a-f-]{36}$/);
  assert.equal(res.json.embeddings.length, 96);
  res.json.embeddings.forEach((v, i) => assert.deepEqual(v, expectedVector(texts[i], 1024, 'search_document')));
  const tokens = texts.reduce((s, t) => s + Math.ceil(t.length / 4), 0);
  assert.equal(res.headers['x-amzn-bedrock-input-token-count'], String(tokens));

  const query = (await invoke('cohere.embed-multilingual-v3', { texts: [texts[0]], input_type: 'search_query' })).json;
  assert.notDeepEqual(query.embeddings[0], res.json.embeddings[0]);
  assert.deepEqual(query.embeddings[0], expectedVector(texts[0], 1024, 'search_query'));

  const typed = (await invoke(COHERE, { texts: ['a'], input_type: 'clustering', embedding_types: ['float', 'int8', 'ubinary'] })).json;
  assert.equal(typed.response_type, 'embeddings_by_type');
  assert.deepEqual(typed.embeddings.float[0], expectedVector('a', 1024, 'clustering'));
  assert.deepEqual(typed.embeddings.int8[0], typed.embeddings.float[0].map((x) => Math.round(x * 127) + 0)); // + 0: JSON has no -0
  assert.equal(typed.embeddings.ubinary[0].length, 128);

  expectValidation(await invoke(COHERE, { texts: ['a'] }), /#: required key \[input_type\] not found/);
  expectValidation(await invoke(COHERE, { texts: ['a'], input_type: 'search' }), /#\/input_type: search is not a valid enum value/);
  expectValidation(await invoke(COHERE, { texts: [...texts, 'one more'], input_type: 'search_document' }),
    /#\/texts: expected maximum item count: 96, found: 97/);
  expectValidation(await invoke(COHERE, { texts: ['ok', 'c'.repeat(2049)], input_type: 'search_document' }),
    /#\/texts\/1: expected maxLength: 2048, actual: 2049/);
  expectValidation(await invoke(COHERE, { texts: ['a'], input_type: 'clustering', truncate: 'MIDDLE' }), /#\/truncate: MIDDLE is not a valid enum value/);
});

test('bedrock: a directive in inputText or in one of texts applies to that request', async () => {
  let res = await invoke(COHERE, { texts: ['a', 'b [[mock:status=500]]'], input_type: 'search_document' });
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-amzn-errortype'], 'InternalServerException');
  assert.equal((await invoke(COHERE, { texts: ['a', 'b'], input_type: 'search_document' })).status, 200);
  res = await invoke(TITAN, { inputText: 'slow down [[mock:status=429]]' });
  assert.equal(res.status, 429);
  assert.equal(res.headers['x-amzn-errortype'], 'ThrottlingException');
  res = await invoke(TITAN, { inputText: 'count [[mock:prompt_tokens=42]]' });
  assert.equal(res.json.inputTextTokenCount, 42);
  assert.equal(res.headers['x-amzn-bedrock-input-token-count'], '42');
  // Directives also ride in the model id, as for Converse.
  res = await invoke(`${TITAN}?status=503`, { inputText: 'x' });
  assert.equal(res.status, 503);
  expectValidation(await invoke(TITAN, { inputText: 'x [[mock:nope=1]]' }), /^input: Unknown mock directive 'nope'\./);
});
