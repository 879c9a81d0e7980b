'use strict';
// Self-test for Gemini's Batch API (batch mode, inline requests) in the mock
// provider (protocols/gemini_batches.js on lib/batches.js): the Operation's
// shapes, validation, the timeline and its directives, requests answered by
// the same code as :generateContent, cancel, expiry, failure, auth, list,
// delete, what GET /_mock/batches reports, and a large batch streamed back.
// Runs an in-process mock. Run with `node --test test/mock/`.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { createMockServer } = require('./mock_provider');

const KEY = 'sk-test-key';
const MODEL = 'gemini-2.5-flash';
const GOOG = { 'x-goog-api-key': KEY };
const BATCH_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput';
const TERMINAL = ['BATCH_STATE_SUCCEEDED', 'BATCH_STATE_FAILED', 'BATCH_STATE_CANCELLED', 'BATCH_STATE_EXPIRED'];
let server;
let base;

before(async () => {
  ({ server } = createMockServer({ keys: [KEY] }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => fetch(`${base}/_mock/reset`, { method: 'POST' }));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, { headers = GOOG, json, body } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = body;
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch { /* an HTML 404 */ }
  return { status: res.status, headers: res.headers, text, json: parsed };
}

const admin = async (path, json) => (await call(json === undefined ? 'GET' : 'POST', path, { headers: {}, json })).json;

// An InlinedRequest: the prompt as its one user message, metadata {key} unless null.
const inline = (key, text, request = {}) => {
  const r = { request: { contents: [{ role: 'user', parts: [{ text }] }], ...request } };
  if (key !== null) r.metadata = { key };
  return r;
};
const batchBody = (requests, name = 'job') => ({ batch: { display_name: name, input_config: { requests: { requests } } } });
const createPath = (model = MODEL) => `/v1beta/models/${encodeURIComponent(model)}:batchGenerateContent`;
const create = (requests, { model = MODEL, headers = GOOG, body } = {}) =>
  call('POST', createPath(model), { headers, json: body ?? batchBody(requests) });

async function submit(requests, model = MODEL) {
  const res = await create(requests, { model });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

// Polls until the batch is done; returns the last Operation and every state seen.
async function poll(name, timeoutMs = 5000) {
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('GET', `/v1beta/${name}`);
    assert.equal(res.status, 200, res.text);
    const { state } = res.json.metadata;
    if (seen.at(-1) !== state) seen.push(state);
    if (TERMINAL.includes(state)) {
      assert.equal(res.json.done, true, 'an ended batch is done');
      assert.equal(Buffer.byteLength(res.text), Number(res.headers.get('content-length')));
      return { op: res.json, seen };
    }
    assert.equal(res.json.done, undefined, 'a running batch is not done (false is left out)');
    if (Date.now() > deadline) assert.fail(`${name} did not end: ${res.text}`);
    await sleep(20);
  }
}
const inlined = (op) => op.response.inlinedResponses.inlinedResponses;

test('gemini batch: create, poll PENDING / RUNNING / SUCCEEDED, each response is what :generateContent answers', async () => {
  const requests = [
    inline('row-1', 'Hello there', { generationConfig: { maxOutputTokens: 100 } }),
    inline('row-2', 'Second row', { generation_config: { max_output_tokens: 3 } }),
    { request: { contents: [{ parts: [{ text: 'no metadata' }] }] } },
  ];
  // 1.5 s: RUNNING lasts 1.2 s, long enough for a poll to see it on a loaded machine
  const created = await create(requests, { model: `${MODEL}?batch_ms=1500` });
  assert.equal(created.status, 200, created.text);
  assert.equal(created.headers.get('content-type'), 'application/json; charset=UTF-8');
  const op0 = created.json;
  assert.match(op0.name, /^batches\/[a-z0-9]{36}$/);
  assert.deepEqual(Object.keys(op0), ['name', 'metadata'], 'not done: no done, no response');
  assert.deepEqual(Object.keys(op0.metadata), ['@type', 'model', 'displayName', 'createTime', 'updateTime', 'batchStats', 'state', 'name']);
  assert.equal(op0.metadata['@type'], BATCH_TYPE);
  assert.equal(op0.metadata.model, `models/${MODEL}`, 'the directives are not part of the model');
  assert.equal(op0.metadata.displayName, 'job');
  assert.equal(op0.metadata.name, op0.name);
  assert.equal(op0.metadata.state, 'BATCH_STATE_PENDING');
  assert.deepEqual(op0.metadata.batchStats, { requestCount: '3', pendingRequestCount: '3' });
  assert.match(op0.metadata.createTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.equal(op0.metadata.updateTime, op0.metadata.createTime);

  const { op, seen } = await poll(op0.name);
  assert.deepEqual(seen, ['BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING', 'BATCH_STATE_SUCCEEDED'].filter((s) => seen.includes(s)));
  assert.ok(seen.includes('BATCH_STATE_RUNNING'), seen.join(' '));
  assert.equal(seen.at(-1), 'BATCH_STATE_SUCCEEDED');
  assert.deepEqual(Object.keys(op), ['name', 'metadata', 'done', 'response']);
  assert.deepEqual(Object.keys(op.metadata), ['@type', 'model', 'displayName', 'output', 'createTime', 'endTime', 'updateTime',
    'batchStats', 'state', 'name']);
  assert.deepEqual(op.metadata.batchStats, { requestCount: '3', successfulRequestCount: '3' });
  assert.ok(Date.parse(op.metadata.endTime) - Date.parse(op.metadata.createTime) >= 1500);
  assert.equal(op.metadata.updateTime, op.metadata.endTime);
  assert.equal(op.response['@type'], OUTPUT_TYPE);
  assert.deepEqual(op.metadata.output, { inlinedResponses: op.response.inlinedResponses }, 'the output is in metadata.output too');

  const out = inlined(op);
  assert.equal(out.length, 3, 'in request order');
  assert.deepEqual(out.map((r) => r.metadata), [{ key: 'row-1' }, { key: 'row-2' }, undefined], 'the metadata as sent; none: none');
  assert.deepEqual(Object.keys(out[0]), ['response', 'metadata']);
  for (const r of out) assert.equal(r.error, undefined);
  // the same requests sent to :generateContent get the same answers
  for (const [i, r] of requests.entries()) {
    const direct = await call('POST', `/v1beta/models/${MODEL}:generateContent`, { json: r.request });
    assert.equal(direct.status, 200, direct.text);
    assert.deepEqual(out[i].response.candidates, direct.json.candidates);
    assert.deepEqual(out[i].response.usageMetadata, direct.json.usageMetadata);
    assert.equal(out[i].response.modelVersion, MODEL);
  }
  assert.equal(out[0].response.candidates[0].content.parts[0].text, 'Mock reply to: Hello there');
  assert.equal(out[1].response.candidates[0].finishReason, 'MAX_TOKENS');
  assert.match(out[0].response.responseId, /^mock-1_1$/);

  const stats = await admin('/_mock/stats');
  assert.equal(stats.batch_lines_answered, 3);
  assert.equal(stats.requests_by_path[createPath(`${MODEL}?batch_ms=1500`)], 1);
  assert.equal(stats.requests_by_path[`/v1beta/models/${MODEL}:generateContent`], 3, 'only the direct calls');
});

test('gemini batch: camelCase fields and ?key= auth are accepted; priority is kept', async () => {
  const body = { batch: { displayName: 'camel', priority: '5', inputConfig: { requests: { requests: [inline('a', 'x')] } } } };
  const res = await call('POST', `${createPath(`${MODEL}?batch_ms=0`)}?key=${KEY}`, { headers: {}, json: body });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.metadata.displayName, 'camel');
  assert.equal(res.json.metadata.priority, '5');
  assert.equal(res.json.metadata.state, 'BATCH_STATE_SUCCEEDED', 'batch_ms=0: ended as soon as created');
  assert.equal(res.json.done, true);
  assert.equal(inlined(res.json)[0].response.candidates[0].content.parts[0].text, 'Mock reply to: x');
  const [record] = await admin('/_mock/requests?limit=1');
  assert.match(record.path, /\?key=sk-te\*\*\*\*ey$/, 'the key is masked in the recording');
});

test('gemini batch: a request with a fault directive or a bad body fails alone, with a google.rpc.Status', async () => {
  const requests = [
    inline('ok-1', 'fine'),
    inline('bad-400', 'please fail [[mock:status=400]]'),
    inline('bad-429', 'throttled [[mock:status=429&retry_after=7]]'),
    inline('bad-drop', 'cut [[mock:drop=1]]'),
    inline('bad-empty', 'x', { contents: [] }),
    inline('bad-temp', 'x', { generationConfig: { temperature: 3 } }),
    inline('bad-directive', 'typo [[mock:statuz=400]]'),
    inline('ok-2', 'tokens [[mock:prompt_tokens=100&completion_tokens=5]]'),
  ];
  const { op } = await poll((await submit(requests, `${MODEL}?batch_ms=50&cached=2`)).name);
  assert.equal(op.metadata.state, 'BATCH_STATE_SUCCEEDED', 'failed requests do not fail the batch');
  assert.deepEqual(op.metadata.batchStats, { requestCount: '8', successfulRequestCount: '2', failedRequestCount: '6' });
  const byKey = Object.fromEntries(inlined(op).map((r) => [r.metadata.key, r]));
  assert.equal(byKey['ok-2'].response.usageMetadata.promptTokenCount, 100);
  assert.equal(byKey['ok-2'].response.usageMetadata.candidatesTokenCount, 5);
  assert.equal(byKey['ok-1'].response.usageMetadata.cachedContentTokenCount, 2, 'a directive of the URL is every request\'s');
  assert.deepEqual(Object.keys(byKey['bad-400']), ['error', 'metadata']);
  assert.deepEqual(byKey['bad-400'].error, { code: 3, message: 'Request contains an invalid argument.' });
  const quota = byKey['bad-429'].error;
  assert.equal(quota.code, 8, 'RESOURCE_EXHAUSTED');
  assert.match(quota.message, /exceeded your current quota/);
  assert.equal(quota.details.find((d) => d['@type'].endsWith('RetryInfo')).retryDelay, '7s');
  assert.equal(byKey['bad-drop'].error.code, 13, 'a transport fault is an internal error in a batch');
  assert.deepEqual(byKey['bad-empty'].error, { code: 3, message: '* GenerateContentRequest.contents: contents is not specified\n' });
  assert.equal(byKey['bad-temp'].error.message, '* GenerateContentRequest.generation_config.temperature: temperature must be in the range [0.0, 2.0].\n');
  assert.equal(byKey['bad-directive'].error.code, 3);
  assert.match(byKey['bad-directive'].error.message, /statuz/);
  // the direct call's error for the same request is the same error, as an HTTP body
  const direct = await call('POST', `/v1beta/models/${MODEL}:generateContent`, { json: requests[5].request });
  assert.equal(direct.status, 400);
  assert.equal(direct.json.error.message, byKey['bad-temp'].error.message);
  const stats = await admin('/_mock/stats');
  assert.equal(stats.batch_lines_answered, 8);
  assert.equal(stats.batch_lines_failed, 6);
});

test('gemini batch: fail_first in a request fails its first answer only; a resubmission is counted as a duplicate', async () => {
  const flaky = [inline('flaky', 'once [[mock:status=503&fail_first=1]]')];
  const first = (await poll((await submit(flaky, `${MODEL}?batch_ms=0`)).name)).op;
  assert.equal(inlined(first)[0].error.code, 14, 'UNAVAILABLE');
  const second = (await poll((await submit(flaky, `${MODEL}?batch_ms=0`)).name)).op;
  assert.ok(inlined(second)[0].response);
  const report = await admin('/_mock/batches?provider=gemini&custom_ids=1');
  assert.deepEqual(report.duplicates.map((d) => [d.custom_id, d.answered, d.batches.length]), [['flaky', 2, 2]]);
  assert.deepEqual(report.resubmitted.map((d) => d.custom_id), ['flaky']);
  assert.deepEqual(report.answered, { flaky: 2 });
});

test('gemini batch: cancel answers {} and is final at once; requests done before it keep their responses, the others CANCELLED', async () => {
  const requests = [1, 2, 3, 4].map((i) => inline(`c${i}`, `row ${i}`));
  requests[1] = inline('c2', 'row 2 [[mock:status=500]]');
  const b = await submit(requests, `${MODEL}?batch_ms=60000&batch_done_fraction=0.5`);
  const cancel = await call('POST', `/v1beta/${b.name}:cancel`);
  assert.equal(cancel.status, 200, cancel.text);
  assert.deepEqual(cancel.json, {});
  const res = await call('GET', `/v1beta/${b.name}`);
  const op = res.json;
  assert.equal(op.metadata.state, 'BATCH_STATE_CANCELLED');
  assert.equal(op.done, true);
  assert.equal(op.error, undefined, 'the partial output is the response');
  assert.deepEqual(op.metadata.batchStats, { requestCount: '4', successfulRequestCount: '1', failedRequestCount: '3' });
  assert.ok(op.metadata.endTime);
  const out = inlined(op);
  assert.equal(out[0].response.candidates[0].content.parts[0].text, 'Mock reply to: row 1');
  assert.equal(out[1].error.code, 13, 'answered before the cancel, with its error');
  for (const r of out.slice(2)) assert.deepEqual(r.error, { code: 1, message: 'The batch was cancelled before this request was processed.' });
  assert.deepEqual(out.map((r) => r.metadata.key), ['c1', 'c2', 'c3', 'c4']);
  // a second cancel, and one after the end, change nothing
  assert.deepEqual((await call('POST', `/v1beta/${b.name}:cancel`)).json, {});
  assert.equal((await call('GET', `/v1beta/${b.name}`)).text, res.text);
  const done = await submit([inline('d1', 'x')], `${MODEL}?batch_ms=0`);
  assert.equal((await call('POST', `/v1beta/${done.name}:cancel`)).status, 200);
  assert.equal((await call('GET', `/v1beta/${done.name}`)).json.metadata.state, 'BATCH_STATE_SUCCEEDED', 'completed despite the cancel');
  const report = await admin('/_mock/batches?provider=gemini');
  assert.deepEqual(report.batches.map((x) => [x.status, x.phase, x.lines, x.processed, x.canceled]),
    [['BATCH_STATE_CANCELLED', 'cancelled', 4, 2, 2], ['BATCH_STATE_SUCCEEDED', 'completed', 1, 1, 0]]);
});

test('gemini batch: a cancel with nothing done leaves every request with a CANCELLED error', async () => {
  const b = await submit([inline('n1', 'x'), inline('n2', 'y')], `${MODEL}?batch_ms=60000`);
  await call('POST', `/v1beta/${b.name}:cancel`);
  const { op } = await poll(b.name);
  assert.equal(op.metadata.state, 'BATCH_STATE_CANCELLED');
  assert.deepEqual(op.metadata.batchStats, { requestCount: '2', failedRequestCount: '2' });
  assert.deepEqual(inlined(op).map((r) => r.error.code), [1, 1]);
});

test('gemini batch: batch_end=expired with batch_done_fraction=0.5 answers half; the rest carry a DEADLINE_EXCEEDED error', async () => {
  const requests = [1, 2, 3, 4].map((i) => inline(`x${i}`, `row ${i}`));
  const { op, seen } = await poll((await submit(requests, `${MODEL}?batch_end=expired&batch_done_fraction=0.5&batch_ms=200`)).name);
  assert.equal(seen.at(-1), 'BATCH_STATE_EXPIRED');
  assert.equal(op.done, true);
  assert.equal(op.response['@type'], OUTPUT_TYPE);
  assert.deepEqual(op.metadata.batchStats, { requestCount: '4', successfulRequestCount: '2', failedRequestCount: '2' });
  const out = inlined(op);
  assert.deepEqual(out.map((r) => (r.response ? 'response' : r.error.code)), ['response', 'response', 4, 4]);
  assert.equal(out[3].error.message, 'The batch expired before this request was processed.');
  assert.deepEqual(out.map((r) => r.metadata.key), ['x1', 'x2', 'x3', 'x4']);
});

test('gemini batch: batch_end=failed stays PENDING until its end, then FAILED with an error and no output', async () => {
  const t0 = Date.now();
  const { op, seen } = await poll((await submit([inline('f1', 'a'), inline('f2', 'b')], `${MODEL}?batch_end=failed&batch_ms=400`)).name);
  assert.ok(Date.now() - t0 >= 390, 'the batch took its batch_ms');
  assert.deepEqual(seen, ['BATCH_STATE_PENDING', 'BATCH_STATE_FAILED']);
  assert.deepEqual(Object.keys(op), ['name', 'metadata', 'done', 'error']);
  assert.equal(op.error.code, 13);
  assert.match(op.error.message, /batch_end=failed/);
  assert.equal(op.metadata.output, undefined);
  assert.deepEqual(op.metadata.batchStats, { requestCount: '2', failedRequestCount: '2' });
  const report = await admin('/_mock/batches');
  assert.equal(report.answered_total, 0);
  assert.deepEqual(report.batches.map((b) => [b.provider, b.status, b.errored]), [['gemini', 'BATCH_STATE_FAILED', 2]]);
});

test('gemini batch: batch_config sets the timeline; a first request\'s [[mock:...]] tag wins over it', async () => {
  await admin('/_mock/batch_config', { batch_end: 'expired', batch_ms: 0 });
  let { op } = await poll((await submit([inline('a', 'x'), inline('b', 'y')])).name);
  assert.equal(op.metadata.state, 'BATCH_STATE_EXPIRED');
  assert.deepEqual(inlined(op).map((r) => r.error.code), [4, 4], 'no done fraction: none answered');
  ({ op } = await poll((await submit([inline('a', 'x [[mock:batch_end=completed]]'), inline('b', 'y')])).name));
  assert.equal(op.metadata.state, 'BATCH_STATE_SUCCEEDED');
});

test('gemini batch: the create request is validated as Google does; nothing is created when it fails', async () => {
  const expect400 = async (res, message) => {
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, 400);
    assert.equal(res.json.error.status, 'INVALID_ARGUMENT');
    assert.match(res.json.error.message, message);
    return res.json.error;
  };
  const one = [inline('a', 'x')];
  await expect400(await create(one, { body: { batch: { input_config: { requests: { requests: one } } } } }),
    /^\* BatchGenerateContentRequest\.batch\.display_name: required field is not set\n$/);
  await expect400(await create(one, { body: { batch: { display_name: '', input_config: { requests: { requests: one } } } } }), /display_name/);
  await expect400(await create(one, { body: {} }), /^\* BatchGenerateContentRequest\.batch: required field is not set/);
  await expect400(await create(one, { body: { batch: { display_name: 'x' } } }), /batch\.input_config: required field is not set/);
  await expect400(await create([]), /^\* BatchGenerateContentRequest\.batch\.input_config\.requests\.requests: requests must not be empty\.\n$/);
  await expect400(await create(one, { body: { batch: { display_name: 'x', input_config: { requests: {} } } } }), /requests must not be empty/);
  let err = await expect400(await create([inline('a', 'x'), 'not an object']),
    /^Invalid value at 'batch\.input_config\.requests\.requests\[1\]' \(type\.googleapis\.com\/google\.ai\.generativelanguage\.v1beta\.InlinedRequest\), "not an object"$/);
  assert.equal(err.details[0]['@type'], 'type.googleapis.com/google.rpc.BadRequest');
  await expect400(await create([{ request: 'nope' }]), /^Invalid value at 'batch\.input_config\.requests\.requests\[0\]\.request'/);
  await expect400(await create([{ metadata: { key: 'a' } }]), /requests\[0\]\.request: required field is not set/);
  await expect400(await create([{ request: { contents: [] }, metadata: 'k' }]), /requests\[0\]\.metadata' \(type\.googleapis\.com\/google\.protobuf\.Struct\)/);
  err = await expect400(await create([inline('a', 'x', { generationConfig: { max_tokens: 5 } })]),
    /^Invalid JSON payload received\. Unknown name "max_tokens" at 'batch\.input_config\.requests\.requests\[0\]\.request\.generation_config': Cannot find field\.$/);
  await expect400(await create(one, { body: { batch: { display_name: 'x', input_config: { requests: { requests: one } } }, extra: 1 } }),
    /Unknown name "extra": Cannot find field/);
  await expect400(await call('POST', createPath(), { body: '{"batch": ' }), /^Invalid JSON payload received\./);
  await expect400(await create(one, { body: { batch: { display_name: 'x', input_config: { file_name: 'files/abc' } } } }), /inline requests only/);
  await expect400(await create(one, { body: { batch: { display_name: 'x', input_config: { file_name: 'files/abc', requests: { requests: one } } } } }),
    /oneof field 'source' is already set/);
  await expect400(await create(one, { model: `${MODEL}?batch_end=never` }), /batch_end/);
  await expect400(await create(one, { model: `${MODEL}?bogus=1` }), /bogus/);
  // the limits: requests (max_lines) and bytes (20 MB inline, max_bytes)
  const config = await admin('/_mock/batch_config', { max_lines: 2, max_bytes: 400 });
  assert.deepEqual(config.limits.gemini, { max_lines: 2, max_bytes: 400 });
  await expect400(await create([inline('a', '1'), inline('b', '2'), inline('c', '3')]), /at most 2 requests can be in one batch, not 3/);
  await expect400(await create([inline('a', 'y'.repeat(400))]), /^Request payload size exceeds the limit: 400 bytes\.$/);
  assert.equal((await create([inline('a', '1'), inline('b', '2')])).status, 200);
  await fetch(`${base}/_mock/reset`, { method: 'POST' });
  assert.deepEqual((await admin('/_mock/batch_config')).limits.gemini, { max_lines: 100000, max_bytes: 20971520 });
  assert.equal((await admin('/_mock/batches')).batches.length, 0);
});

test('gemini batch: every call checks the API key as :generateContent does', async () => {
  const b = await submit([inline('a', 'x')], `${MODEL}?batch_ms=60000`);
  const calls = [['POST', createPath()], ['GET', `/v1beta/${b.name}`], ['GET', '/v1beta/batches'],
    ['POST', `/v1beta/${b.name}:cancel`], ['DELETE', `/v1beta/${b.name}`]];
  for (const [method, path] of calls) {
    const json = method === 'POST' && path.endsWith('Content') ? batchBody([inline('a', 'x')]) : undefined;
    let res = await call(method, path, { headers: {}, json });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.equal(res.json.error.status, 'PERMISSION_DENIED');
    res = await call(method, path, { headers: { 'x-goog-api-key': 'AIza-wrong' }, json });
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.equal(res.json.error.details[0].reason, 'API_KEY_INVALID');
    res = await call(method, path, { headers: { authorization: `Bearer ${KEY}` }, json });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(res.json.error.status, 'UNAUTHENTICATED');
  }
  assert.equal((await call('GET', `/v1beta/${b.name}`)).json.metadata.state, 'BATCH_STATE_PENDING', 'a refused cancel cancels nothing');
  assert.equal((await admin('/_mock/batches')).batches.length, 1, 'a refused create creates nothing');
});

test('gemini batch: list (newest first, pages, no inline responses), delete, 404s', async () => {
  const a = await submit([inline('a', 'x')], `${MODEL}?batch_ms=0`);
  const b = await submit([inline('b', 'x')], `${MODEL}?batch_ms=60000`);
  const c = await submit([inline('c', 'x')], `${MODEL}?batch_end=failed&batch_ms=0`);
  let res = await call('GET', '/v1beta/batches');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.operations.map((o) => [o.name, o.metadata.state, o.done]), [
    [c.name, 'BATCH_STATE_FAILED', true], [b.name, 'BATCH_STATE_PENDING', undefined], [a.name, 'BATCH_STATE_SUCCEEDED', true]]);
  assert.equal(res.json.operations[2].response, undefined);
  assert.equal(res.json.operations[2].metadata.output, undefined);
  assert.equal(res.json.operations[0].error.code, 13);
  assert.equal(res.json.nextPageToken, undefined);
  res = await call('GET', '/v1beta/batches?pageSize=2');
  assert.deepEqual(res.json.operations.map((o) => o.name), [c.name, b.name]);
  assert.equal(typeof res.json.nextPageToken, 'string');
  res = await call('GET', `/v1beta/batches?pageSize=2&pageToken=${res.json.nextPageToken}`);
  assert.deepEqual(res.json.operations.map((o) => o.name), [a.name]);
  assert.equal(res.json.nextPageToken, undefined);
  assert.equal((await call('GET', '/v1beta/batches?pageToken=nope')).status, 400);

  const del = await call('DELETE', `/v1beta/${b.name}`);
  assert.equal(del.status, 200);
  assert.deepEqual(del.json, {});
  for (const [method, path] of [['GET', `/v1beta/${b.name}`], ['POST', `/v1beta/${b.name}:cancel`], ['DELETE', `/v1beta/${b.name}`],
    ['GET', '/v1beta/batches/nope']]) {
    res = await call(method, path);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.deepEqual(res.json.error, { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' });
  }
  assert.deepEqual((await call('GET', '/v1beta/batches')).json.operations.map((o) => o.name), [c.name, a.name]);
  const report = await admin('/_mock/batches');
  assert.deepEqual(report.batches.map((x) => x.deleted), [false, true, false], 'the mock still reports a deleted batch');
  await fetch(`${base}/_mock/reset`, { method: 'POST' });
  assert.deepEqual((await call('GET', '/v1beta/batches')).json, {}, 'an empty list is {} (proto3 JSON)');
  // a path outside the API is Google's HTML 404
  res = await call('GET', `/v1beta/${b.name}:wait`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type'), /text\/html/);
});

test('/_mock/batches: Gemini requests are known by their metadata.key; requests without one are never duplicates', async () => {
  const o = await submit([inline('shared', 'x'), inline(null, 'no key'), inline(7, 'numeric key')], `${MODEL}?batch_ms=0`);
  await poll(o.name);
  const again = await submit([inline('shared', 'x'), inline(null, 'no key')], `${MODEL}?batch_ms=0`);
  await poll(again.name);
  const report = await admin('/_mock/batches?provider=gemini&custom_ids=1');
  const id = (op) => op.name.slice('batches/'.length);
  assert.deepEqual(report.batches.map((b) => [b.id, b.provider, b.model, b.endpoint, b.lines, b.processed]), [
    [id(o), 'gemini', MODEL, `/v1beta/models/${MODEL}:generateContent`, 3, 3],
    [id(again), 'gemini', MODEL, `/v1beta/models/${MODEL}:generateContent`, 2, 2],
  ]);
  assert.deepEqual(report.duplicates, [{ custom_id: 'shared', answered: 2, batches: [id(o), id(again)] }]);
  assert.deepEqual(report.answered, { shared: 2, [`batches/${id(o)}#1`]: 1, 7: 1, [`batches/${id(again)}#1`]: 1 });
  // the control calls are recorded like other requests
  const paths = (await admin('/_mock/requests')).map((r) => `${r.method} ${r.path.replace(/batches\/[a-z0-9]+/, 'batches/ID')}`);
  assert.ok(paths.includes(`POST ${createPath(`${MODEL}?batch_ms=0`)}`));
  assert.ok(paths.includes('GET /v1beta/batches/ID'));
});

test('gemini batch: a large batch is answered at once and its Operation streams back, with its length announced', async () => {
  const n = 20000;
  const requests = Array.from({ length: n }, (_, i) => inline(`row-${i}`, `Summarise row ${i}`));
  const created = await create(requests, { model: `${MODEL}?batch_ms=50` });
  assert.equal(created.status, 200);
  const recorded = (await admin('/_mock/requests')).at(-1);
  assert.equal(recorded.body.summarized, true, 'a large body is recorded as a summary');
  assert.equal(recorded.body.requests_count, n);
  assert.deepEqual(recorded.body.first_request, requests[0]);
  await sleep(60);
  const chunks = await new Promise((resolve, reject) => {
    http.get(`${base}/v1beta/${created.json.name}`, { headers: GOOG }, (res) => {
      assert.equal(res.statusCode, 200);
      const got = [];
      res.on('data', (c) => got.push(c));
      res.on('end', () => {
        assert.equal(Buffer.concat(got).length, Number(res.headers['content-length']));
        resolve(got);
      });
    }).on('error', reject);
  });
  assert.ok(chunks.length > 1);
  const op = JSON.parse(Buffer.concat(chunks).toString());
  assert.equal(op.metadata.state, 'BATCH_STATE_SUCCEEDED');
  assert.deepEqual(op.metadata.batchStats, { requestCount: String(n), successfulRequestCount: String(n) });
  const out = inlined(op);
  assert.equal(out.length, n);
  assert.equal(op.metadata.output.inlinedResponses.inlinedResponses.length, n);
  assert.deepEqual(out.map((r) => r.metadata.key), requests.map((r) => r.metadata.key));
  assert.equal(out[n - 1].response.candidates[0].content.parts[0].text, `Mock reply to: Summarise row ${n - 1}`);
});
