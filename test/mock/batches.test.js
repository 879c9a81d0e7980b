'use strict';
// Self-test for the batch APIs of the mock provider: OpenAI's Files and
// Batch APIs and Anthropic's Message Batches (lib/batches.js,
// protocols/openai_batches.js, protocols/anthropic_batches.js): shapes,
// validation, the timeline and its directives, lines answered by the same
// code as direct calls, cancel, expiry, failure, auth, and what
// GET /_mock/batches reports. Runs an in-process mock.
// Run with `node --test test/mock/`.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { createMockServer } = require('./mock_provider');

const KEY = 'sk-test-key';
const CHAT = 'gpt-4o-mini';
const CLAUDE = 'claude-3-5-haiku-20241022';
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
const OAI = { authorization: `Bearer ${KEY}` };
const ANT = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };

async function call(method, path, { headers = {}, json, body } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) init.body = body;
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch { /* JSONL or text */ }
  return { status: res.status, headers: res.headers, text, json: parsed };
}

const admin = async (path, json) => (await call(json === undefined ? 'GET' : 'POST', path, { json })).json;
const jsonl = (text) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

// ------------------------------------------------------------------ OpenAI

const chatLine = (id, content, model = CHAT, extra = {}) => ({
  custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }], ...extra },
});

async function upload(lines, { filename = 'rows.jsonl', purpose = 'batch', headers = OAI } = {}) {
  const text = typeof lines === 'string' ? lines : `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`;
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new Blob([text]), filename);
  const res = await fetch(`${base}/v1/files`, { method: 'POST', headers, body: form });
  return { status: res.status, json: await res.json() };
}

const createBatch = (fileId, endpoint = '/v1/chat/completions', extra = {}) =>
  call('POST', '/v1/batches', { headers: OAI, json: { input_file_id: fileId, endpoint, completion_window: '24h', ...extra } });

async function submit(lines, endpoint = '/v1/chat/completions') {
  const file = await upload(lines);
  assert.equal(file.status, 200, JSON.stringify(file.json));
  const res = await createBatch(file.json.id, endpoint);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

// Polls until the batch has ended (a terminal status); returns the last object seen and every status seen.
async function poll(path, headers, ended, timeoutMs = 5000) {
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('GET', path, { headers });
    assert.equal(res.status, 200, res.text);
    const status = res.json.status ?? res.json.processing_status;
    if (seen.at(-1) !== status) seen.push(status);
    if (ended(res.json)) return { batch: res.json, seen };
    if (Date.now() > deadline) assert.fail(`${path} did not end: ${res.text}`);
    await sleep(20);
  }
}
const OPENAI_ENDED = (b) => ['completed', 'failed', 'expired', 'cancelled'].includes(b.status);
const pollOpenAI = (id) => poll(`/v1/batches/${id}`, OAI, OPENAI_ENDED);
const fileLines = async (id) => {
  const res = await call('GET', `/v1/files/${id}/content`, { headers: OAI });
  assert.equal(res.status, 200, res.text);
  return jsonl(res.text);
};

const BATCH_FIELDS = ['id', 'object', 'endpoint', 'model', 'errors', 'input_file_id', 'completion_window', 'status', 'output_file_id',
  'error_file_id', 'created_at', 'in_progress_at', 'expires_at', 'finalizing_at', 'completed_at', 'failed_at', 'expired_at',
  'cancelling_at', 'cancelled_at', 'request_counts', 'usage', 'metadata'];

test('openai: upload, create, poll through validating / in_progress / finalizing to completed, download', async () => {
  // 1.5 s: in_progress lasts 900 ms, long enough for a poll to see it on a loaded machine
  const lines = [chatLine('row-1', 'Hello there', `${CHAT}?batch_ms=1500`), chatLine('row-2', 'Second row', CHAT, { max_tokens: 3 })];
  const file = await upload(lines);
  assert.equal(file.status, 200);
  assert.match(file.json.id, /^file-/);
  assert.deepEqual({ ...file.json, id: undefined, created_at: undefined }, {
    id: undefined, object: 'file', bytes: Buffer.byteLength(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`), created_at: undefined,
    filename: 'rows.jsonl', purpose: 'batch', status: 'processed', expires_at: null, status_details: null,
  });
  const created = await createBatch(file.json.id, '/v1/chat/completions', { metadata: { job: 'nightly' } });
  assert.equal(created.status, 200, created.text);
  const b0 = created.json;
  assert.deepEqual(Object.keys(b0).sort(), [...BATCH_FIELDS].sort());
  assert.match(b0.id, /^batch_/);
  assert.equal(b0.object, 'batch');
  assert.equal(b0.status, 'validating');
  assert.equal(b0.model, CHAT);
  assert.deepEqual(b0.metadata, { job: 'nightly' });
  assert.deepEqual(b0.request_counts, { total: 0, completed: 0, failed: 0 });
  assert.equal(b0.output_file_id, null);
  assert.equal(b0.expires_at, b0.created_at + 86400);

  const { batch, seen } = await pollOpenAI(b0.id);
  assert.equal(seen.at(-1), 'completed');
  assert.ok(seen.includes('in_progress'), seen.join(' '));
  const order = ['validating', 'in_progress', 'finalizing', 'completed'];
  assert.deepEqual(seen, order.filter((s) => seen.includes(s)), 'in the timeline\'s order');
  assert.equal(batch.error_file_id, null, 'no failed line: no error file');
  assert.match(batch.output_file_id, /^file-/);
  assert.deepEqual(batch.request_counts, { total: 2, completed: 2, failed: 0 });
  for (const f of ['in_progress_at', 'finalizing_at', 'completed_at']) assert.equal(typeof batch[f], 'number', f);
  for (const f of ['failed_at', 'expired_at', 'cancelling_at', 'cancelled_at', 'errors']) assert.equal(batch[f], null, f);

  const out = await fileLines(batch.output_file_id);
  assert.deepEqual(out.map((l) => l.custom_id), ['row-1', 'row-2']);
  // each line is what a direct call answers
  const direct = await call('POST', '/v1/chat/completions', { headers: OAI, json: lines[1].body });
  for (const line of out) {
    assert.match(line.id, /^batch_req_/);
    assert.equal(line.error, null);
    assert.equal(line.response.status_code, 200);
    assert.equal(typeof line.response.request_id, 'string');
    assert.equal(line.response.body.object, 'chat.completion');
  }
  assert.deepEqual(out[1].response.body.choices, direct.json.choices);
  assert.deepEqual(out[1].response.body.usage, direct.json.usage);
  assert.equal(out[1].response.body.choices[0].finish_reason, 'length');
  assert.equal(out[0].response.body.choices[0].message.content, 'Mock reply to: Hello there');
  assert.equal(out[0].response.body.model, CHAT, 'the directives are not part of the model');
  assert.equal(out[0].response.body.usage.prompt_tokens, 7);
  const usage = out.reduce((s, l) => s + l.response.body.usage.total_tokens, 0);
  assert.equal(batch.usage.total_tokens, usage, 'the batch usage sums its lines');

  // the input file downloads as uploaded; the output file is listed with purpose batch_output
  const input = await call('GET', `/v1/files/${file.json.id}/content`, { headers: OAI });
  assert.equal(input.text, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const meta = await call('GET', `/v1/files/${batch.output_file_id}`, { headers: OAI });
  assert.equal(meta.json.purpose, 'batch_output');
  assert.equal(meta.json.bytes, Buffer.byteLength((await call('GET', `/v1/files/${batch.output_file_id}/content`, { headers: OAI })).text));
  const list = await call('GET', '/v1/batches?limit=5', { headers: OAI });
  assert.equal(list.json.object, 'list');
  assert.deepEqual(list.json.data.map((b) => b.id), [b0.id]);
});

test('openai: an embeddings batch answers each line as /v1/embeddings does', async () => {
  const embedLine = (id, input) => ({ custom_id: id, method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input } });
  const b = await submit([embedLine('e1', 'alpha'), embedLine('e2', ['beta', 'gamma delta']), embedLine('e3', '')], '/v1/embeddings');
  const { batch } = await pollOpenAI(b.id);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 3, completed: 2, failed: 1 });
  const out = await fileLines(batch.output_file_id);
  const direct = await call('POST', '/v1/embeddings', { headers: OAI, json: { model: 'text-embedding-3-small', input: ['beta', 'gamma delta'] } });
  assert.deepEqual(out.find((l) => l.custom_id === 'e2').response.body, direct.json);
  assert.equal(out.find((l) => l.custom_id === 'e1').response.body.data[0].embedding.length, 8);
  const [bad] = await fileLines(batch.error_file_id);
  assert.equal(bad.custom_id, 'e3');
  assert.equal(bad.response.status_code, 400);
  assert.equal(bad.response.body.error.param, 'input');
  assert.equal(bad.error, null);
});

test('openai: a line whose prompt or model carries a fault directive fails alone, into the error file', async () => {
  const b = await submit([
    chatLine('ok-1', 'fine'),
    chatLine('bad-400', 'please fail [[mock:status=400]]'),
    chatLine('bad-429', 'throttled', `${CHAT}?status=429&retry_after=7`),
    chatLine('bad-drop', 'cut [[mock:drop=1]]'),
    chatLine('ok-2', 'tokens [[mock:prompt_tokens=100&completion_tokens=5]]'),
  ]);
  const { batch } = await pollOpenAI(b.id);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 5, completed: 2, failed: 3 });
  const out = await fileLines(batch.output_file_id);
  const errors = await fileLines(batch.error_file_id);
  assert.deepEqual(out.map((l) => l.custom_id), ['ok-1', 'ok-2']);
  assert.deepEqual(out[1].response.body.usage.prompt_tokens, 100);
  assert.deepEqual(out[1].response.body.usage.completion_tokens, 5);
  const byId = Object.fromEntries(errors.map((l) => [l.custom_id, l]));
  assert.equal(byId['bad-400'].response.status_code, 400);
  assert.equal(byId['bad-400'].response.body.error.type, 'invalid_request_error');
  assert.equal(byId['bad-429'].response.status_code, 429);
  assert.match(byId['bad-429'].response.body.error.message, /Please try again in 7s/);
  assert.equal(byId['bad-drop'].response.status_code, 500, 'a transport fault is a server error in a batch');
  for (const l of errors) assert.equal(l.error, null);
  const stats = await admin('/_mock/stats');
  assert.equal(stats.batch_lines_answered, 5);
  assert.equal(stats.batch_lines_failed, 3);
  assert.equal(stats.requests_by_path['/v1/chat/completions'], undefined, 'batch lines are not direct calls');
});

test('openai: fail_first in a line fails its first answer only, so a resubmission succeeds', async () => {
  const line = chatLine('flaky', 'once [[mock:status=503&fail_first=1]]');
  const first = await pollOpenAI((await submit([line])).id);
  assert.equal(first.batch.request_counts.failed, 1);
  const second = await pollOpenAI((await submit([line])).id);
  assert.deepEqual(second.batch.request_counts, { total: 1, completed: 1, failed: 0 });
  const report = await admin('/_mock/batches');
  assert.deepEqual(report.duplicates.map((d) => [d.custom_id, d.answered]), [['flaky', 2]]);
});

test('openai: an invalid input file fails the batch with the errors of its lines', async () => {
  const b = await submit([
    chatLine('a', 'one'),
    chatLine('a', 'two'),
    '{"custom_id": "broken", ',
    { ...chatLine('c', 'three'), url: '/v1/embeddings' },
    { ...chatLine('d', 'four'), method: 'GET' },
    chatLine('e', 'five', 'gpt-4o'),
    { custom_id: 'f', method: 'POST', url: '/v1/chat/completions', body: { messages: [] } },
  ]);
  assert.equal(b.status, 'validating');
  const { batch, seen } = await pollOpenAI(b.id);
  assert.deepEqual(seen.filter((s) => s !== 'validating'), ['failed']);
  assert.equal(typeof batch.failed_at, 'number');
  assert.equal(batch.in_progress_at, null);
  assert.equal(batch.output_file_id, null);
  assert.equal(batch.error_file_id, null);
  assert.deepEqual(batch.request_counts, { total: 0, completed: 0, failed: 0 });
  assert.equal(batch.errors.object, 'list');
  assert.deepEqual(batch.errors.data.map((e) => [e.code, e.line]), [
    ['duplicate_custom_id', 2], ['invalid_json_line', 3], ['url_mismatch', 4], ['invalid_method', 5],
    ['model_mismatch', 6], ['missing_required_parameter', 7],
  ]);
  assert.equal(batch.errors.data[5].param, 'body.model');
  assert.equal((await admin('/_mock/stats')).batch_lines_answered, 0);
});

test('openai: over the line limit (batch_config max_lines) the batch fails with too_many_tasks; reset restores the limit', async () => {
  const config = await admin('/_mock/batch_config', { max_lines: 3 });
  assert.equal(config.max_lines, 3);
  assert.deepEqual(config.limits, {
    openai: { max_lines: 3, max_bytes: 209715200 }, anthropic: { max_lines: 3, max_bytes: 268435456 }, gemini: { max_lines: 3, max_bytes: 20971520 },
  });
  const rows = [1, 2, 3, 4].map((i) => chatLine(`r${i}`, `row ${i}`));
  const over = await pollOpenAI((await submit(rows)).id);
  assert.equal(over.batch.status, 'failed');
  assert.deepEqual(over.batch.errors.data.map((e) => [e.code, e.line]), [['too_many_tasks', null]]);
  const fits = await pollOpenAI((await submit(rows.slice(0, 3))).id);
  assert.equal(fits.batch.status, 'completed');
  await fetch(`${base}/_mock/reset`, { method: 'POST' });
  assert.equal((await admin('/_mock/batch_config')).limits.openai.max_lines, 50000);
  assert.equal((await admin('/_mock/batch_config', { max_lines: 0 })).error.message.includes('max_lines'), true);
});

test('openai: max_bytes rejects a larger upload with a 413', async () => {
  await admin('/_mock/batch_config', { max_bytes: 100 });
  const res = await upload([chatLine('x', 'y'.repeat(200))]);
  assert.equal(res.status, 413);
  assert.equal(res.json.error.code, 'file_too_large');
});

test('openai: the upload and the create request are validated as OpenAI does', async () => {
  let res = await upload([chatLine('x', 'y')], { purpose: 'fine-tune' });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.param, 'purpose');
  res = await upload([chatLine('x', 'y')], { filename: 'rows.csv' });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.message, 'Invalid file format for Batch API. Must be .jsonl');
  const json = await call('POST', '/v1/files', { headers: OAI, json: { purpose: 'batch' } });
  assert.equal(json.status, 400);
  assert.match(json.json.error.message, /multipart\/form-data/);

  const file = (await upload([chatLine('x', 'y')])).json;
  res = await createBatch('file-nope');
  assert.equal(res.status, 404);
  assert.match(res.json.error.message, /No such File object: file-nope/);
  res = await createBatch(file.id, '/v1/responses');
  assert.equal(res.status, 400);
  assert.equal(res.json.error.param, 'endpoint');
  res = await createBatch(file.id, '/v1/chat/completions', { completion_window: '1h' });
  assert.equal(res.json.error.param, 'completion_window');
  res = await call('POST', '/v1/batches', { headers: OAI, json: { endpoint: '/v1/chat/completions', completion_window: '24h' } });
  assert.equal(res.json.error.code, 'missing_required_parameter');
  res = await createBatch(file.id, '/v1/chat/completions', { priority: 'high' });
  assert.equal(res.json.error.message, 'Unrecognized request argument supplied: priority');
  res = await call('GET', '/v1/batches/batch_nope', { headers: OAI });
  assert.equal(res.status, 404);
  res = await call('GET', '/v1/files/file-nope/content', { headers: OAI });
  assert.equal(res.status, 404);
});

test('openai: a hand-written multipart body (quoted boundary, part Content-Type) is read as libcurl sends it', async () => {
  const boundary = '------------------------d74496d66958873e';
  const line = JSON.stringify(chatLine('curl-1', 'from libcurl'));
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="aigw batch.jsonl"\r\nContent-Type: application/octet-stream\r\n\r\n` +
    `${line}\n\r\n--${boundary}--\r\n`;
  const res = await call('POST', '/v1/files', { headers: { ...OAI, 'content-type': `multipart/form-data; boundary="${boundary}"` }, body });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.filename, 'aigw batch.jsonl');
  assert.equal(res.json.bytes, line.length + 1);
  const broken = await call('POST', '/v1/files', { headers: { ...OAI, 'content-type': 'multipart/form-data; boundary=zzz' }, body });
  assert.equal(broken.status, 400);
  // the recording keeps what the form carried, not the raw multipart body
  const recorded = (await admin('/_mock/requests')).find((r) => r.path === '/v1/files' && r.status === 200);
  assert.deepEqual(recorded.body, { purpose: 'batch', filename: 'aigw batch.jsonl', bytes: line.length + 1, file: `${line}\n` });
  assert.equal(recorded.headers.authorization, 'Bearer sk-te****ey');
});

test('openai: cancel keeps the lines answered before it in the output file and drops the others', async () => {
  const rows = [1, 2, 3, 4].map((i) => chatLine(`c${i}`, `row ${i}`, i === 1 ? `${CHAT}?batch_ms=60000&batch_done_fraction=0.5` : CHAT));
  rows[1] = chatLine('c2', 'row 2 [[mock:status=500]]');
  const b = await submit(rows);
  const cancelled = await call('POST', `/v1/batches/${b.id}/cancel`, { headers: OAI });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.json.status, 'cancelling');
  assert.equal(typeof cancelled.json.cancelling_at, 'number');
  const { batch, seen } = await pollOpenAI(b.id);
  assert.equal(seen.at(-1), 'cancelled');
  assert.equal(typeof batch.cancelled_at, 'number');
  assert.equal(batch.completed_at, null);
  assert.equal(batch.in_progress_at, null, 'cancelled while validating');
  assert.deepEqual(batch.request_counts, { total: 4, completed: 1, failed: 1 });
  assert.deepEqual((await fileLines(batch.output_file_id)).map((l) => l.custom_id), ['c1']);
  assert.deepEqual((await fileLines(batch.error_file_id)).map((l) => [l.custom_id, l.response.status_code]), [['c2', 500]]);
  const again = await call('POST', `/v1/batches/${b.id}/cancel`, { headers: OAI });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.message, "Cannot cancel a batch with status 'cancelled'.");
  const report = await admin('/_mock/batches');
  assert.deepEqual(report.batches.map((x) => [x.status, x.lines, x.processed, x.canceled]), [['cancelled', 4, 2, 2]]);
});

test('openai: a cancel with nothing answered leaves no file at all', async () => {
  const b = await submit([chatLine('n1', 'x', `${CHAT}?batch_ms=60000`), chatLine('n2', 'y')]);
  await call('POST', `/v1/batches/${b.id}/cancel`, { headers: OAI });
  const { batch } = await pollOpenAI(b.id);
  assert.equal(batch.status, 'cancelled');
  assert.equal(batch.output_file_id, null);
  assert.equal(batch.error_file_id, null);
});

test('openai: batch_end=expired with batch_done_fraction=0.5 answers half, the rest batch_expired in the error file', async () => {
  const rows = [1, 2, 3, 4].map((i) => chatLine(`x${i}`, `row ${i}`, i === 1 ? `${CHAT}?batch_end=expired&batch_done_fraction=0.5` : CHAT));
  const { batch, seen } = await pollOpenAI((await submit(rows)).id);
  assert.equal(batch.status, 'expired');
  assert.ok(!seen.includes('finalizing'), seen.join(' '));
  assert.equal(typeof batch.expired_at, 'number');
  assert.equal(batch.expires_at, batch.expired_at);
  assert.deepEqual(batch.request_counts, { total: 4, completed: 2, failed: 2 });
  assert.deepEqual((await fileLines(batch.output_file_id)).map((l) => l.custom_id), ['x1', 'x2']);
  const errors = await fileLines(batch.error_file_id);
  assert.deepEqual(errors.map((l) => l.custom_id), ['x3', 'x4']);
  for (const l of errors) {
    assert.equal(l.response, null);
    assert.equal(l.error.code, 'batch_expired');
  }
});

test('openai: batch_end=failed fails the batch with errors and no file; batch_ms sets its length', async () => {
  const t0 = Date.now();
  const { batch, seen } = await pollOpenAI((await submit([chatLine('f1', 'x', `${CHAT}?batch_end=failed&batch_ms=400`)])).id);
  assert.ok(Date.now() - t0 >= 390, 'the batch took its batch_ms');
  assert.deepEqual(seen.filter((s) => s !== 'validating'), ['failed']);
  assert.equal(batch.errors.data[0].code, 'token_limit_exceeded');
  assert.equal(batch.output_file_id, null);
  assert.equal(batch.error_file_id, null);
  assert.equal((await admin('/_mock/batches')).answered_total, 0);
});

test('openai: the batch calls check the Bearer key as /v1/chat/completions does', async () => {
  let res = await upload([chatLine('x', 'y')], { headers: {} });
  assert.equal(res.status, 401);
  assert.match(res.json.error.message, /You didn't provide an API key/);
  res = await upload([chatLine('x', 'y')], { headers: { authorization: 'Bearer sk-wrong-key-123' } });
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'invalid_api_key');
  const file = (await upload([chatLine('x', 'y')])).json;
  const b = (await createBatch(file.id)).json;
  for (const [method, path] of [['POST', '/v1/batches'], ['GET', `/v1/batches/${b.id}`], ['POST', `/v1/batches/${b.id}/cancel`],
    ['GET', `/v1/files/${file.id}/content`], ['GET', '/v1/batches']]) {
    const r = await call(method, path, { headers: { authorization: 'Bearer nope-nope-nope' } });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.match(r.headers.get('x-request-id'), /^req_\d+$/);
  }
});

test('openai: batch_results twists the downloaded results (dup_line, foreign_id, garbage_line, extra_lines, missing_id)', async () => {
  const ids = ['r0-1-0123456789abcdef', 'r0-2-fedcba9876543210', 'r0-3-00000000000000a0'];
  const model = (modes) => `${CHAT}?batch_ms=0&batch_results=${modes}`;
  const lines = (modes) => ids.map((id, i) => chatLine(id, `row ${i + 1}`, model(modes)));
  const download = async (modes) => {
    const { batch } = await pollOpenAI((await submit(lines(modes))).id);
    assert.equal(batch.status, 'completed');
    const res = await call('GET', `/v1/files/${batch.output_file_id}/content`, { headers: OAI });
    assert.equal(res.status, 200);
    return res.text.split('\n').filter((l) => l !== '');
  };
  const honest = (await download('dup_line')).map((l) => JSON.parse(l));
  assert.deepEqual(honest.map((l) => l.custom_id), [...ids, ids[0]], 'dup_line: the first line again at the end');
  assert.deepEqual(honest[3], honest[0]);
  let got = (await download('foreign_id')).map((l) => JSON.parse(l));
  assert.deepEqual(got.map((l) => l.custom_id), ['r0-2-fedcba9876543211', ids[1], ids[2]], 'foreign_id: the second id, last character changed');
  assert.equal(got[0].response.body.choices[0].message.content, 'Mock reply to: row 1', '... on the first line\'s answer');
  got = await download('garbage_line,extra_lines');
  assert.equal(got.length, 7);
  assert.throws(() => JSON.parse(got[1]), SyntaxError, 'garbage_line: the second line is not JSON');
  got = got.filter((_, i) => i !== 1).map((l) => JSON.parse(l));
  assert.deepEqual(got.map((l) => l.custom_id), [...ids, ...ids.map((id) => `${id}-extra`)], 'extra_lines: every line again, ids never sent');
  assert.deepEqual(got[3].response, got[0].response);
  got = (await download('missing_id')).map((l) => JSON.parse(l));
  assert.equal('custom_id' in got[0], false, 'missing_id: the first line has no custom_id');
  assert.equal(got[0].response.status_code, 200);
  // the stored file is what was answered: the twist is applied at download
  const report = await admin('/_mock/batches');
  assert.deepEqual(report.batches.map((b) => b.batch_results), [['dup_line'], ['foreign_id'], ['garbage_line', 'extra_lines'], ['missing_id']]);
  assert.deepEqual(report.batches.map((b) => b.processed), [3, 3, 3, 3], 'each line was answered once, whatever its download says');
});

test('openai: batch_results=echo_auth quotes the download\'s credential in a 401 line; a bad mode fails the line', async () => {
  const { batch } = await pollOpenAI((await submit([chatLine('a', 'one', `${CHAT}?batch_ms=0&batch_results=echo_auth`), chatLine('b', 'two')])).id);
  const out = await fileLines(batch.output_file_id);
  assert.deepEqual(out.map((l) => [l.custom_id, l.response.status_code]), [['a', 401], ['b', 200]]);
  assert.equal(out[0].response.body.error.message, `Incorrect API key provided: Bearer ${KEY}.`);
  const bad = await pollOpenAI((await submit([chatLine('c', 'x', `${CHAT}?batch_ms=0&batch_results=lie`)])).id);
  const [line] = await fileLines(bad.batch.error_file_id);
  assert.equal(line.response.status_code, 400);
  assert.match(line.response.body.error.message, /batch_results' must be a comma-separated list of echo_auth, foreign_id/);
});

// --------------------------------------------------------------- Anthropic

const antRequest = (id, content, model = CLAUDE, extra = {}) => ({
  custom_id: id, params: { model, max_tokens: 64, messages: [{ role: 'user', content }], ...extra },
});
const createAnt = (requests, headers = ANT) => call('POST', '/v1/messages/batches', { headers, json: { requests } });
const pollAnt = (id) => poll(`/v1/messages/batches/${id}`, ANT, (b) => b.processing_status === 'ended');
async function results(batch) {
  const res = await fetch(batch.results_url, { headers: ANT });
  assert.equal(res.status, 200);
  return jsonl(await res.text());
}

test('anthropic: create, poll to ended, results; lines answered as /v1/messages answers them', async () => {
  const requests = [
    antRequest('m-1', 'Hello there'),
    antRequest('m-2', 'overloaded [[mock:status=529]]'),
    { custom_id: 'm-3', params: { model: CLAUDE, messages: [{ role: 'user', content: 'no max_tokens' }] } },
    antRequest('m-4', 'cached', `${CLAUDE}?cached=2`),
  ];
  const created = await createAnt(requests);
  assert.equal(created.status, 200, created.text);
  const b0 = created.json;
  assert.deepEqual(Object.keys(b0).sort(), ['archived_at', 'cancel_initiated_at', 'created_at', 'ended_at', 'expires_at', 'id',
    'processing_status', 'request_counts', 'results_url', 'type']);
  assert.match(b0.id, /^msgbatch_[A-Za-z0-9]{24}$/);
  assert.equal(b0.type, 'message_batch');
  assert.equal(b0.processing_status, 'in_progress');
  assert.deepEqual(b0.request_counts, { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
  assert.equal(b0.results_url, null);
  assert.match(b0.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(Date.parse(b0.expires_at) - Date.parse(b0.created_at), 86400000);
  assert.equal(created.headers.get('request-id'), 'req_1');

  const early = await call('GET', `/v1/messages/batches/${b0.id}/results`, { headers: ANT });
  assert.equal(early.status, 400, 'no results before the end');

  const { batch } = await pollAnt(b0.id);
  assert.deepEqual(batch.request_counts, { processing: 0, succeeded: 2, errored: 2, canceled: 0, expired: 0 });
  assert.equal(batch.results_url, `${base}/v1/messages/batches/${b0.id}/results`);
  assert.match(batch.ended_at, /Z$/);
  const lines = await results(batch);
  const byId = Object.fromEntries(lines.map((l) => [l.custom_id, l.result]));
  assert.equal(byId['m-1'].type, 'succeeded');
  const direct = await call('POST', '/v1/messages', { headers: ANT, json: requests[0].params });
  assert.deepEqual(byId['m-1'].message.content, direct.json.content);
  assert.deepEqual({ ...byId['m-1'].message.usage, service_tier: undefined }, { ...direct.json.usage, service_tier: undefined });
  assert.equal(byId['m-1'].message.usage.service_tier, 'batch');
  assert.equal(byId['m-4'].message.usage.cache_read_input_tokens, 2);
  assert.deepEqual(byId['m-2'], { type: 'errored', error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
  assert.deepEqual(byId['m-3'], { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } } });
  const stats = await admin('/_mock/stats');
  assert.equal(stats.batch_lines_answered, 4);
  assert.equal(stats.batch_lines_succeeded, 2);
});

test('anthropic: batch_results=foreign_url puts results_url on another origin; the lines twist as for OpenAI', async () => {
  const created = await createAnt([antRequest('a-1', 'one', `${CLAUDE}?batch_ms=0&batch_results=foreign_url,dup_line,echo_auth`), antRequest('a-2', 'two')]);
  assert.equal(created.status, 200, created.text);
  const { batch } = await pollAnt(created.json.id);
  const url = new URL(batch.results_url);
  assert.equal(url.hostname, 'localhost', 'another name for the same server: another origin');
  assert.equal(url.port, new URL(base).port);
  assert.equal(url.pathname, `/v1/messages/batches/${batch.id}/results`);
  const lines = await results({ results_url: `${base}${url.pathname}` });
  assert.deepEqual(lines.map((l) => [l.custom_id, l.result.type]), [['a-1', 'errored'], ['a-2', 'succeeded'], ['a-1', 'succeeded']]);
  assert.equal(lines[0].result.error.error.message, `invalid x-api-key: ${KEY}`);
});

test('anthropic: custom_id pattern and uniqueness, the request limit and the byte limit are checked at creation', async () => {
  let res = await createAnt([antRequest('dup', 'a'), antRequest('dup', 'b')]);
  assert.equal(res.status, 400);
  assert.equal(res.json.type, 'error');
  assert.equal(res.json.error.type, 'invalid_request_error');
  assert.match(res.json.error.message, /Duplicate custom_id 'dup'/);
  res = await createAnt([antRequest('has space', 'a')]);
  assert.equal(res.json.error.message, "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'");
  res = await createAnt([antRequest('x'.repeat(65), 'a')]);
  assert.equal(res.status, 400);
  res = await createAnt([]);
  assert.match(res.json.error.message, /at least 1 item/);
  res = await createAnt([{ custom_id: 'a', params: 'nope' }]);
  assert.match(res.json.error.message, /requests\.0\.params/);
  await admin('/_mock/batch_config', { max_lines: 2 });
  res = await createAnt([antRequest('a', '1'), antRequest('b', '2'), antRequest('c', '3')]);
  assert.equal(res.status, 400);
  assert.equal(res.json.error.message, 'requests: List should have at most 2 items after validation, not 3');
  assert.equal((await createAnt([antRequest('a', '1'), antRequest('b', '2')])).status, 200);
  await admin('/_mock/batch_config', { max_bytes: 200 });
  res = await createAnt([antRequest('a', 'y'.repeat(300))]);
  assert.equal(res.status, 413);
  assert.equal(res.json.error.type, 'request_too_large');
});

test('anthropic: cancel goes canceling then ended; the lines not answered are canceled', async () => {
  const requests = [1, 2, 3, 4].map((i) => antRequest(`k${i}`, `row ${i}`, i === 1 ? `${CLAUDE}?batch_ms=60000&batch_done_fraction=0.5` : CLAUDE));
  const b = (await createAnt(requests)).json;
  const cancel = await call('POST', `/v1/messages/batches/${b.id}/cancel`, { headers: ANT });
  assert.equal(cancel.status, 200);
  assert.equal(cancel.json.processing_status, 'canceling');
  assert.match(cancel.json.cancel_initiated_at, /Z$/);
  const { batch, seen } = await pollAnt(b.id);
  assert.deepEqual(seen.filter((s) => s !== 'canceling'), ['ended']);
  assert.deepEqual(batch.request_counts, { processing: 0, succeeded: 2, errored: 0, canceled: 2, expired: 0 });
  const lines = await results(batch);
  assert.deepEqual(lines.map((l) => [l.custom_id, l.result.type]), [['k1', 'succeeded'], ['k2', 'succeeded'], ['k3', 'canceled'], ['k4', 'canceled']]);
  assert.deepEqual(lines[2].result, { type: 'canceled' });
  const again = await call('POST', `/v1/messages/batches/${b.id}/cancel`, { headers: ANT });
  assert.equal(again.status, 400);
  const del = await call('DELETE', `/v1/messages/batches/${b.id}`, { headers: ANT });
  assert.deepEqual(del.json, { id: b.id, type: 'message_batch_deleted' });
  assert.equal((await call('GET', `/v1/messages/batches/${b.id}`, { headers: ANT })).status, 404);
});

test('anthropic: batch_end=expired answers the done fraction, the rest expired; batch_end=failed errors every line', async () => {
  const expiring = (await createAnt([1, 2, 3, 4].map((i) => antRequest(`e${i}`, `row ${i}`,
    i === 1 ? `${CLAUDE}?batch_end=expired&batch_done_fraction=0.5` : CLAUDE)))).json;
  const failing = (await createAnt([antRequest('f1', 'a', `${CLAUDE}?batch_end=failed`), antRequest('f2', 'b')])).json;
  const ex = (await pollAnt(expiring.id)).batch;
  assert.deepEqual(ex.request_counts, { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 2 });
  assert.equal(ex.expires_at, ex.ended_at, 'the batch expired at its end');
  assert.deepEqual((await results(ex)).map((l) => l.result.type), ['succeeded', 'succeeded', 'expired', 'expired']);
  const fa = (await pollAnt(failing.id)).batch;
  assert.deepEqual(fa.request_counts, { processing: 0, succeeded: 0, errored: 2, canceled: 0, expired: 0 });
  for (const l of await results(fa)) assert.equal(l.result.error.error.type, 'api_error');
  const report = await admin('/_mock/batches?provider=anthropic');
  assert.deepEqual(report.batches.map((x) => [x.status, x.phase, x.processed, x.expired, x.errored]),
    [['ended', 'expired', 2, 2, 0], ['ended', 'failed', 0, 0, 2]]);
});

test('anthropic: x-api-key and anthropic-version are checked as for /v1/messages', async () => {
  const requests = [antRequest('a', 'b')];
  let res = await createAnt(requests, { 'anthropic-version': '2023-06-01' });
  assert.equal(res.status, 401);
  assert.deepEqual(res.json.error, { type: 'authentication_error', message: 'x-api-key header is required' });
  res = await createAnt(requests, { 'x-api-key': 'wrong', 'anthropic-version': '2023-06-01' });
  assert.equal(res.json.error.message, 'invalid x-api-key');
  res = await createAnt(requests, { 'x-api-key': KEY });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.message, 'anthropic-version: header is required');
  const b = (await createAnt(requests)).json;
  res = await call('GET', `/v1/messages/batches/${b.id}/results`, { headers: { authorization: `Bearer ${KEY}`, 'anthropic-version': '2023-06-01' } });
  assert.equal(res.status, 401, 'a Bearer token is not accepted');
  res = await call('GET', '/v1/messages/batches/msgbatch_nope', { headers: ANT });
  assert.equal(res.status, 404);
  assert.equal(res.json.error.type, 'not_found_error');
});

// ------------------------------------------------------------ admin API

test('/_mock/batches: every batch, lines answered, and custom_ids answered or submitted more than once', async () => {
  const o = await submit([chatLine('shared', 'x'), chatLine('o-only', 'y')]);
  const a = (await createAnt([antRequest('shared', 'x', `${CLAUDE}?batch_ms=60000`), antRequest('a-only', 'y')])).json;
  await pollOpenAI(o.id);
  let report = await admin('/_mock/batches');
  assert.deepEqual(report.batches.map((b) => [b.id, b.provider, b.status, b.phase, b.endpoint, b.lines, b.processed]), [
    [o.id, 'openai', 'completed', 'completed', '/v1/chat/completions', 2, 2],
    [a.id, 'anthropic', 'in_progress', 'in_progress', '/v1/messages', 2, 0],
  ]);
  assert.equal(report.lines_total, 4);
  assert.equal(report.answered_total, 2);
  assert.equal(report.custom_ids_total, 3);
  assert.equal(report.duplicates_total, 0, 'nothing answered twice yet');
  assert.deepEqual(report.resubmitted, [{ custom_id: 'shared', batches: [o.id, a.id] }]);
  // the same row sent again and answered again is a duplicate
  const again = await submit([chatLine('o-only', 'y')]);
  await pollOpenAI(again.id);
  report = await admin('/_mock/batches?custom_ids=1');
  assert.deepEqual(report.duplicates, [{ custom_id: 'o-only', answered: 2, batches: [o.id, again.id] }]);
  assert.deepEqual(report.answered, { shared: 1, 'o-only': 2, 'a-only': 0 });
  assert.equal((await admin('/_mock/batches?provider=anthropic')).batches.length, 1);
  // the control calls are recorded like other requests
  const paths = (await admin('/_mock/requests')).map((r) => `${r.method} ${r.path.replace(/(batch_|file-|msgbatch_)[A-Za-z0-9]+/, '$1ID')}`);
  assert.ok(paths.includes('POST /v1/files'));
  assert.ok(paths.includes('POST /v1/batches'));
  assert.ok(paths.includes('POST /v1/messages/batches'));
  assert.ok(paths.includes('GET /v1/batches/batch_ID'));
  await fetch(`${base}/_mock/reset`, { method: 'POST' });
  assert.deepEqual((await admin('/_mock/batches')).batches, []);
});

test('a large batch is answered at once and its results stream back line by line', async () => {
  const n = 20000;
  const requests = Array.from({ length: n }, (_, i) => antRequest(`row-${i}`, `Summarise row ${i}`, i === 0 ? `${CLAUDE}?batch_ms=50` : CLAUDE));
  const created = await createAnt(requests);
  assert.equal(created.status, 200);
  const recorded = (await admin('/_mock/requests')).at(-1);
  assert.equal(recorded.body.summarized, true, 'a large body is recorded as a summary');
  assert.equal(recorded.body.requests_count, n);
  const { batch } = await pollAnt(created.json.id);
  assert.equal(batch.request_counts.succeeded, n);
  // read the download in chunks: it arrives as a stream, with its length announced
  const chunks = await new Promise((resolve, reject) => {
    http.get(batch.results_url, { headers: ANT }, (res) => {
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
  const lines = jsonl(Buffer.concat(chunks).toString());
  assert.equal(lines.length, n);
  assert.equal(new Set(lines.map((l) => l.custom_id)).size, n);
  assert.equal(lines[n - 1].result.message.content[0].text, `Mock reply to: Summarise row ${n - 1}`);
});
