'use strict';
// Self-test for the mock provider: runs it as a child process, exactly as the
// aigw test harness does. Run with `node --test test/mock/`.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const KEY = 'sk-test-key';
const AWS = { accessKeyId: 'AKIDMOCKEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYMOCKKEY', region: 'eu-west-3' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-provider-'));
const portFile = path.join(dir, 'mock.port');
const pidFile = path.join(dir, 'mock.pid');
let child;
let baseUrl;

before(async () => {
  child = spawn(process.execPath, [path.join(__dirname, 'mock_provider.js'), '--port', '0',
    '--port-file', portFile, '--pid-file', pidFile, '--key', KEY, '--quiet',
    '--aws-access-key-id', AWS.accessKeyId, '--aws-secret-access-key', AWS.secretAccessKey, '--aws-region', AWS.region], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 5000;
  while (!fs.existsSync(portFile)) {
    assert.ok(Date.now() < deadline, 'mock provider did not write its port file');
    await new Promise((r) => setTimeout(r, 20));
  }
  baseUrl = `http://127.0.0.1:${parseInt(fs.readFileSync(portFile, 'utf8'), 10)}`;
  assert.equal(parseInt(fs.readFileSync(pidFile, 'utf8'), 10), child.pid);
});

after(async () => {
  assert.equal(child.exitCode, null, 'mock provider exited early');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
  assert.equal(fs.existsSync(portFile), false, 'port file removed on shutdown');
  fs.rmSync(dir, { recursive: true, force: true });
});

function post(urlPath, body, { key = KEY, headers = {}, signal } = {}) {
  const auth = key === null ? {} : { authorization: `Bearer ${key}` };
  return fetch(baseUrl + urlPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

const chat = (body, opts) => post('/v1/chat/completions', body, opts);
const hello = (extra = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }], ...extra });
const admin = async (p, method = 'GET') => (await fetch(baseUrl + p, { method })).json();

test('auth errors', async () => {
  let res = await chat(hello(), { key: null });
  assert.equal(res.status, 401);
  let body = await res.json();
  assert.match(body.error.message, /^You didn't provide an API key\./);
  assert.equal(body.error.code, null);

  res = await chat(hello(), { key: 'sk-wrong-key' });
  assert.equal(res.status, 401);
  const text = await res.text();
  body = JSON.parse(text);
  assert.equal(body.error.code, 'invalid_api_key');
  assert.match(body.error.message, /sk-wr\*\*\*\*ey/);
  assert.ok(!text.includes('sk-wrong-key'), 'key must never be echoed');
});

test('validation errors name the offending param', async () => {
  const cases = [
    ['{not json', null],
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'm', messages: [] }, 'messages'],
    [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: 'r' }] }, 'messages[1].tool_call_id'],
    [hello({ temperature: 3 }), 'temperature'],
    [hello({ model: 'gpt-4o-mini?bogus=1' }), 'model'],
  ];
  for (const [body, param] of cases) {
    const res = await chat(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const { error } = await res.json();
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, param);
  }
});

test('normal completion follows the token formula', async () => {
  const res = await chat({ model: 'gpt-4o-mini', messages: [
    { role: 'system', content: 'You are terse.' }, // 4 + ceil(14/4) = 8
    { role: 'user', content: 'Hello there' }, // 4 + ceil(11/4) = 7
  ] });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('x-request-id'), /^req_\d+$/);
  assert.ok(res.headers.has('openai-processing-ms'));
  const body = await res.json();
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'gpt-4o-mini');
  assert.equal(body.choices[0].message.content, 'Mock reply to: Hello there');
  assert.equal(body.choices[0].finish_reason, 'stop');
  assert.equal(body.usage.prompt_tokens, 15);
  assert.equal(body.usage.completion_tokens, 7); // ceil(26/4)
  assert.equal(body.usage.total_tokens, 22);
});

test('max_tokens truncates with finish_reason length', async () => {
  const body = await (await chat(hello({ max_tokens: 3 }))).json();
  assert.equal(body.choices[0].message.content, 'Mock reply t');
  assert.equal(body.choices[0].finish_reason, 'length');
  assert.equal(body.usage.completion_tokens, 3);
});

test('logprobs: one entry per word, written with an exponent; top_logprobs alternatives', async () => {
  const res = await chat(hello({ logprobs: true, top_logprobs: 2 }));
  const text = await res.text();
  assert.match(text, /"logprob":-1\.5e-7,/);
  const lp = JSON.parse(text).choices[0].logprobs;
  assert.deepEqual(lp.content.map((e) => e.token), ['Mock', ' reply', ' to:', ' Hello', ' there']);
  assert.equal(lp.content[1].logprob, -3e-7);
  assert.deepEqual(lp.content[1].bytes, [...Buffer.from(' reply')]);
  assert.deepEqual(lp.content[1].top_logprobs.map((e) => e.token), [' reply', ' reply~1']);
  assert.equal(lp.refusal, null);
  assert.equal((await (await chat(hello())).json()).choices[0].logprobs, null);
  assert.equal((await chat(hello({ logprobs: true, top_logprobs: 21 }))).status, 400);
});

test('forced tool choice yields tool_calls', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: {} } }];
  const body = await (await chat(hello({ tools, tool_choice: 'required' }))).json();
  const choice = body.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null);
  assert.equal(choice.message.tool_calls[0].function.name, 'get_weather');
  assert.equal(choice.message.tool_calls[0].function.arguments, '{}');
});

test('status=429 with retry-after, via model name and metadata.mock', async () => {
  let res = await chat(hello({ model: 'gpt-4o-mini?status=429&retry_after=7' }));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '7');
  const { error } = await res.json();
  assert.equal(error.code, 'rate_limit_exceeded');
  assert.match(error.message, /gpt-4o-mini.*try again in 7s/);

  res = await chat(hello({ metadata: { mock: 'status=503&should_retry=false' } }));
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('x-should-retry'), 'false');
  await res.body.cancel();
});

test('fail_first fails only the first K requests', async () => {
  await admin('/_mock/reset', 'POST');
  const model = 'gpt-4o-mini?status=500&fail_first=2';
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const res = await chat(hello({ model }));
    statuses.push(res.status);
    await res.body.cancel();
  }
  assert.deepEqual(statuses, [500, 500, 200]);
});

test('latency_ms delays the response', async () => {
  const t0 = Date.now();
  await (await chat(hello({ model: 'gpt-4o-mini?latency_ms=100' }))).json();
  assert.ok(Date.now() - t0 >= 95);
});

test('malformed body is not JSON', async () => {
  const res = await chat(hello({ model: 'gpt-4o-mini?malformed=1' }));
  assert.equal(res.status, 200);
  await assert.rejects(res.json(), SyntaxError);
});

test('error_body answers 200 with the error body of a 500', async () => {
  const res = await chat(hello({ model: 'gpt-4o-mini?error_body=1' }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.choices, undefined);
  assert.equal(typeof body.error.message, 'string');
});

test('echo_auth quotes the credential it received, as JSON or as text', async () => {
  let res = await chat(hello({ model: 'gpt-4o-mini?echo_auth=1' }));
  assert.equal(res.status, 401);
  const { error } = await res.json();
  assert.equal(error.code, 'invalid_api_key');
  assert.equal(error.message, `Incorrect API key provided: authorization: Bearer ${KEY}.`);

  res = await chat(hello({ metadata: { mock: 'echo_auth=text' } }));
  assert.equal(res.status, 401);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.equal(await res.text(), `Incorrect API key provided: authorization: Bearer ${KEY}.`);

  res = await chat(hello({ model: 'gpt-4o-mini?echo_auth=yes' }));
  assert.equal(res.status, 400);
  await res.body.cancel();
});

test('nested=N answers valid JSON nested N deep', async () => {
  const res = await chat(hello({ model: 'gpt-4o-mini?nested=3' }));
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(await res.text()), { id: 'nested', choices: [], deep: [[[]]] });
});

test('huge_header=N sends a header of N bytes', async () => {
  // fetch refuses headers that large; node:http reads them when told to
  const res = await new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/v1/chat/completions`, {
      method: 'POST', maxHeaderSize: 1 << 20,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    }, resolve);
    req.on('error', reject);
    req.end(JSON.stringify(hello({ model: 'gpt-4o-mini?huge_header=200000' })));
  });
  res.resume();
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-mock-padding'].length, 200000);
});

test('truncate closes the connection early', async () => {
  const res = await chat(hello({ model: 'gpt-4o-mini?truncate=1' }));
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
});

test('drop closes the connection without a response', async () => {
  await assert.rejects(chat(hello({ model: 'gpt-4o-mini?drop=1' })));
});

test('hang + client abort is counted as aborted_pending', async () => {
  await admin('/_mock/reset', 'POST');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(chat(hello({ model: 'gpt-4o-mini?hang=1' }), { signal: controller.signal }), { name: 'AbortError' });
  let stats;
  for (let i = 0; i < 50; i++) {
    stats = await admin('/_mock/stats');
    if (stats.aborted_pending > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(stats.aborted_pending, 1);
  const [record] = await admin('/_mock/requests?limit=1');
  assert.equal(record.aborted, true);
  assert.equal(record.status, null);
  assert.equal(record.headers.authorization, 'Bearer sk-te****ey');
  assert.equal(record.body.model, 'gpt-4o-mini?hang=1');
});

test('huge_bytes streams a valid body of that size', async () => {
  const body = await (await chat(hello({ model: 'gpt-4o-mini?huge_bytes=5000000' }))).json();
  assert.equal(body.choices[0].message.content.length, 5_000_000);
  assert.equal(body.usage.completion_tokens, 1_250_000);
});

test('keep-alive: 20 sequential requests use one connection', async () => {
  await admin('/_mock/reset', 'POST');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const payload = JSON.stringify(hello());
  for (let i = 0; i < 20; i++) {
    const status = await new Promise((resolve, reject) => {
      const req = http.request(`${baseUrl}/v1/chat/completions`, {
        method: 'POST', agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      }, (res) => res.resume().on('end', () => resolve(res.statusCode)));
      req.on('error', reject);
      req.end(payload);
    });
    assert.equal(status, 200);
  }
  agent.destroy();
  const stats = await admin('/_mock/stats');
  assert.equal(stats.connections_total, 1);
  assert.equal(stats.requests_total, 20);
  assert.equal(stats.requests_by_path['/v1/chat/completions'], 20);
});

test('SSE stream ends with [DONE] and carries usage', async () => {
  const res = await chat(hello({ stream: true, stream_options: { include_usage: true } }));
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const text = await res.text();
  assert.ok(text.endsWith('data: [DONE]\n\n'));
  const chunks = text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(content, 'Mock reply to: Hello there');
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  assert.equal(chunks.at(-1).usage.total_tokens, 14);
});

test('embeddings, models and unknown paths', async () => {
  const emb = await (await post('/openai/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'bcde'] })).json();
  assert.equal(emb.data.length, 2);
  assert.equal(emb.data[1].index, 1);
  assert.equal(emb.data[0].embedding.length, 8);
  assert.deepEqual(emb.usage, { prompt_tokens: 2, total_tokens: 2 });

  const models = await (await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json();
  assert.equal(models.object, 'list');

  const res = await post('/v1/nope', {});
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.type, 'invalid_request_error');
});

test('echo=1 answers with the request body it received, without messages', async () => {
  const res = await chat(hello({ temperature: 0.3, seed: 7, metadata: { mock: 'echo=1' } }));
  assert.equal(res.status, 200);
  const sent = JSON.parse((await res.json()).choices[0].message.content);
  assert.deepEqual(sent, { model: 'gpt-4o-mini', temperature: 0.3, seed: 7, metadata: { mock: 'echo=1' } });
});

// hello(): P = 4 + ceil(11/4) = 7; reply "Mock reply to: Hello there" gives C = 7.
const usageOf = async (model, extra = {}) => (await (await chat(hello({ model, ...extra }))).json()).usage;

test('prompt_tokens=N overrides the reported prompt tokens; cached is capped by it', async () => {
  let usage = await usageOf('gpt-4o-mini?prompt_tokens=1000&cached=10');
  assert.equal(usage.prompt_tokens, 1000);
  assert.equal(usage.completion_tokens, 7);
  assert.equal(usage.total_tokens, 1007);
  assert.equal(usage.prompt_tokens_details.cached_tokens, 10);

  usage = await usageOf('gpt-4o-mini?prompt_tokens=5&cached=10');
  assert.equal(usage.prompt_tokens, 5);
  assert.equal(usage.prompt_tokens_details.cached_tokens, 5);
  assert.equal(usage.total_tokens, 12);
});

test('completion_tokens=N overrides the reported completion tokens', async () => {
  const usage = await usageOf('gpt-4o-mini?completion_tokens=50');
  assert.equal(usage.prompt_tokens, 7);
  assert.equal(usage.completion_tokens, 50);
  assert.equal(usage.total_tokens, 57);
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 0);
});

test('reasoning_tokens=N is reported and counted in completion_tokens', async () => {
  let usage = await usageOf('gpt-4o-mini?reasoning_tokens=30');
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 30);
  assert.equal(usage.completion_tokens, 37); // 7 visible + 30
  assert.equal(usage.total_tokens, 44);

  // On a reasoning model it replaces the default R = 2*C.
  usage = await usageOf('o3-mini?reasoning_tokens=4');
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 4);
  assert.equal(usage.completion_tokens, 11);

  // Given together, completion_tokens is taken as is (it already includes the reasoning).
  usage = await usageOf('gpt-4o-mini?reasoning_tokens=30&completion_tokens=100');
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 30);
  assert.equal(usage.completion_tokens, 100);
  assert.equal(usage.total_tokens, 107);

  // Overrides are response totals, not per choice.
  usage = await usageOf('gpt-4o-mini?reasoning_tokens=3', { n: 2 });
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 3);
  assert.equal(usage.completion_tokens, 17); // 2 * 7 visible + 3
});

test('usage overrides apply to streamed answers too', async () => {
  const res = await chat(hello({ stream: true, stream_options: { include_usage: true },
    metadata: { mock: 'prompt_tokens=1000&completion_tokens=200&reasoning_tokens=150&cached=400' } }));
  const chunks = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
  const { usage } = chunks.at(-1);
  assert.equal(usage.prompt_tokens, 1000);
  assert.equal(usage.completion_tokens, 200);
  assert.equal(usage.total_tokens, 1200);
  assert.equal(usage.prompt_tokens_details.cached_tokens, 400);
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 150);
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Mock reply to: Hello there');
});

test('usage override directives reject bad numbers', async () => {
  for (const bad of ['prompt_tokens=-1', 'completion_tokens=x', 'reasoning_tokens=']) {
    const res = await chat(hello({ metadata: { mock: bad } }));
    assert.equal(res.status, 400, bad);
    assert.equal((await res.json()).error.param, 'metadata.mock');
  }
});

// ------------------------------------------------------------------------
// Shared helpers for the native protocols.

const crypto = require('node:crypto');
const { createMockServer } = require('./mock_provider');
const sigv4 = require('./lib/sigv4');
const { decodeEventStream } = require('./protocols/bedrock');

// A raw HTTP request (full control over every header, unlike fetch).
function rawRequest(base, method, urlPath, headers, body = '') {
  return new Promise((resolve, reject) => {
    const req = http.request(base + urlPath, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        let json;
        try {
          json = JSON.parse(buf.toString());
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, buf, text: buf.toString(), json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Starts an extra in-process mock (for configurations the child does not have).
async function startInProcess(options) {
  const { server } = createMockServer(options);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => { server.closeAllConnections(); server.close(); } };
}

// 1x1 images, base64.
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]).toString('base64');

// ------------------------------------------------------------------------
// Anthropic Messages

const ANTHROPIC_HEADERS = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
const anthropicCall = (body, headers = ANTHROPIC_HEADERS) =>
  rawRequest(baseUrl, 'POST', '/v1/messages', headers, typeof body === 'string' ? body : JSON.stringify(body));
const claude = (extra = {}) => ({
  model: 'claude-3-5-haiku-20241022', max_tokens: 256, messages: [{ role: 'user', content: 'Hello there' }], ...extra,
});

test('anthropic: a valid request gets a Messages API answer', async () => {
  await admin('/_mock/reset', 'POST');
  const res = await anthropicCall(claude({ system: 'You are terse.', metadata: { user_id: 'u-1' } }));
  assert.equal(res.status, 200);
  assert.equal(res.headers['request-id'], 'req_1');
  const msg = res.json;
  assert.equal(msg.id, 'msg_1');
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.model, 'claude-3-5-haiku-20241022');
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Mock reply to: Hello there' }]);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.stop_sequence, null);
  // system 4+ceil(14/4)=8, user 4+ceil(11/4)=7; reply 26 chars -> 7
  assert.equal(msg.usage.input_tokens, 15);
  assert.equal(msg.usage.output_tokens, 7);
  assert.equal(msg.usage.cache_read_input_tokens, 0);
  assert.equal(msg.usage.cache_creation_input_tokens, 0);

  const [record] = await admin('/_mock/requests?limit=1');
  assert.equal(record.path, '/v1/messages');
  assert.equal(record.headers['x-api-key'], 'sk-te****ey');
  assert.equal(record.headers['anthropic-version'], '2023-06-01');
  assert.equal(record.body.system, 'You are terse.');
  assert.equal((await admin('/_mock/stats')).requests_by_path['/v1/messages'], 1);
});

test('anthropic: auth and version headers', async () => {
  const { 'x-api-key': _, ...noKey } = ANTHROPIC_HEADERS;
  let res = await anthropicCall(claude(), noKey);
  assert.equal(res.status, 401);
  assert.equal(res.json.type, 'error');
  assert.deepEqual(res.json.error, { type: 'authentication_error', message: 'x-api-key header is required' });
  assert.match(res.json.request_id, /^req_\d+$/);

  res = await anthropicCall(claude(), { ...ANTHROPIC_HEADERS, 'x-api-key': 'sk-ant-wrong' });
  assert.equal(res.status, 401);
  assert.deepEqual(res.json.error, { type: 'authentication_error', message: 'invalid x-api-key' });

  // A Bearer token is not how Anthropic takes API keys.
  res = await anthropicCall(claude(), { authorization: `Bearer ${KEY}`, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });
  assert.equal(res.status, 401);

  const { 'anthropic-version': __, ...noVersion } = ANTHROPIC_HEADERS;
  res = await anthropicCall(claude(), noVersion);
  assert.equal(res.status, 400);
  assert.deepEqual(res.json.error, { type: 'invalid_request_error', message: 'anthropic-version: header is required' });
});

test('anthropic: malformed requests fail like the real API', async () => {
  const cases = [
    ['{not json', /error parsing the body/],
    [{ model: 'claude', messages: [{ role: 'user', content: 'x' }] }, /^max_tokens: Field required$/],
    [claude({ max_tokens: 0 }), /^max_tokens: Input should be greater than or equal to 1$/],
    [claude({ n: 2 }), /^n: Extra inputs are not permitted$/],
    [claude({ temperature: 1.5 }), /^temperature: Input should be less than or equal to 1$/],
    [claude({ messages: [] }), /at least one message/],
    [claude({ messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'y' }] }), /top-level `system` parameter/],
    [claude({ messages: [{ role: 'assistant', content: 'x' }, { role: 'user', content: 'y' }] }), /first message must use the "user" role/],
    [claude({ messages: [{ role: 'user', content: '' }] }), /must have non-empty content/],
    [claude({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', foo: 1 }] }] }), /^messages\.0\.content\.0\.text\.foo: Extra inputs/],
    [claude({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), /Input tag 'image_url'/],
    [claude({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: JPEG_MAGIC } }] }] }),
      /media type, but the image appears to be a image\/jpeg image/],
    // OpenAI-shaped tools and tool_choice are not Anthropic's.
    [claude({ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }), /^tools\.0: Input tag 'function'/],
    [claude({ tools: [{ name: 'f', parameters: { type: 'object' } }] }), /^tools\.0\.custom\.parameters: Extra inputs/],
    [claude({ tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: 'required' }), /^tool_choice: Input should be a valid dictionary/],
    [claude({ metadata: { session: 'x' } }), /^metadata\.session: Extra inputs are not permitted$/],
    [claude({ messages: [
      { role: 'user', content: 'Hi' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'r' }] }] }), /unexpected `tool_use_id` found in `tool_result` blocks: toolu_9/],
    [claude({ messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
      { role: 'user', content: 'and?' }] }), /^messages\.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/],
    [claude({ thinking: { type: 'enabled', budget_tokens: 2000 }, max_tokens: 1000 }), /`max_tokens` must be greater than `thinking.budget_tokens`/],
    [claude({ model: 'claude?bogus=1' }), /^model: Unknown mock directive 'bogus'/],
  ];
  for (const [body, message] of cases) {
    const res = await anthropicCall(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.json.type, 'error');
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.match(res.json.error.message, message, JSON.stringify(body));
  }
});

test('anthropic: usage overrides; input_tokens excludes the cache reads and writes', async () => {
  let res = await anthropicCall(claude({ model: 'claude-sonnet-4-5?prompt_tokens=1000&cached=300&cache_write=200&completion_tokens=50' }));
  assert.deepEqual(
    [res.json.usage.input_tokens, res.json.usage.cache_read_input_tokens, res.json.usage.cache_creation_input_tokens, res.json.usage.output_tokens],
    [500, 300, 200, 50]);
  assert.equal(res.json.model, 'claude-sonnet-4-5');

  // Without prompt_tokens the total input is P = 7 here; the cache fields are capped by it.
  res = await anthropicCall(claude({ metadata: { mock: 'cached=5&cache_write=10' } }));
  assert.deepEqual([res.json.usage.input_tokens, res.json.usage.cache_read_input_tokens, res.json.usage.cache_creation_input_tokens], [0, 5, 2]);

  // reasoning_tokens count in output_tokens.
  res = await anthropicCall(claude({ model: 'claude?reasoning_tokens=30' }));
  assert.equal(res.json.usage.output_tokens, 37);
});

test('anthropic: tool use, stop sequences and max_tokens', async () => {
  const tools = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'get_time', input_schema: { type: 'object' } }];
  let res = await anthropicCall(claude({ tools, tool_choice: { type: 'any' } }));
  assert.equal(res.status, 200);
  assert.equal(res.json.stop_reason, 'tool_use');
  const [use] = res.json.content;
  assert.equal(use.type, 'tool_use');
  assert.match(use.id, /^toolu_\d+$/);
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(use.input, {});

  res = await anthropicCall(claude({ tools, tool_choice: { type: 'tool', name: 'get_time' } }));
  assert.equal(res.json.content[0].name, 'get_time');

  // auto does not call, unless tool_call= asks for it (with tool_args for the input).
  res = await anthropicCall(claude({ tools }));
  assert.equal(res.json.stop_reason, 'end_turn');
  const args = encodeURIComponent(JSON.stringify({ city: 'Paris' }));
  res = await anthropicCall(claude({ tools, model: `claude?tool_call=get_weather&tool_args=${args}` }));
  assert.deepEqual(res.json.content[0].input, { city: 'Paris' });

  // The follow-up turn with the tool result is accepted and answered with text.
  res = await anthropicCall(claude({ tools, messages: [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: use.id, name: use.name, input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: '21C' }] }] },
  ] }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.content[0].type, 'text');

  res = await anthropicCall(claude({ stop_sequences: ['to:'] }));
  assert.equal(res.json.content[0].text, 'Mock reply ');
  assert.equal(res.json.stop_reason, 'stop_sequence');
  assert.equal(res.json.stop_sequence, 'to:');

  res = await anthropicCall(claude({ max_tokens: 3 }));
  assert.equal(res.json.content[0].text, 'Mock reply t');
  assert.equal(res.json.stop_reason, 'max_tokens');
  assert.equal(res.json.usage.output_tokens, 3);

  res = await anthropicCall(claude({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048 }));
  assert.equal(res.json.content[0].type, 'thinking');
  assert.equal(res.json.content[1].text, 'Mock reply to: Hello there');
  assert.equal(res.json.usage.output_tokens, 21); // 7 visible + 2*7 thinking
});

test('anthropic: streaming events', async () => {
  const res = await anthropicCall(claude({ stream: true, model: 'claude?cached=2' }));
  assert.match(res.headers['content-type'], /^text\/event-stream/);
  const events = res.text.split('\n\n').filter(Boolean).map((e) => {
    const [eventLine, dataLine] = e.split('\n');
    const data = JSON.parse(dataLine.slice(6));
    assert.equal(eventLine, `event: ${data.type}`);
    return data;
  });
  assert.deepEqual(events.map((e) => e.type), ['message_start', 'content_block_start', 'ping', 'content_block_delta',
    'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(events[0].message.usage.input_tokens, 5);
  assert.equal(events[0].message.usage.cache_read_input_tokens, 2);
  const text = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
  assert.equal(text, 'Mock reply to: Hello there');
  assert.equal(events.at(-2).delta.stop_reason, 'end_turn');
  assert.equal(events.at(-2).usage.output_tokens, 7);
});

test('anthropic: fault directives use the Anthropic error shape', async () => {
  let res = await anthropicCall(claude({ model: 'claude?status=429&retry_after=7' }));
  assert.equal(res.status, 429);
  assert.equal(res.headers['retry-after'], '7');
  assert.equal(res.json.error.type, 'rate_limit_error');
  res = await anthropicCall(claude({ model: 'claude?status=429' }));
  assert.equal(res.headers['retry-after'], '1', 'a 429 always carries retry-after');
  for (const [status, type] of [[400, 'invalid_request_error'], [403, 'permission_error'], [404, 'not_found_error'],
    [500, 'api_error'], [529, 'overloaded_error']]) {
    res = await anthropicCall(claude({ metadata: { mock: `status=${status}` } }));
    assert.equal(res.status, status);
    assert.equal(res.json.type, 'error');
    assert.equal(res.json.error.type, type);
  }
  res = await anthropicCall(claude({ model: 'claude?malformed=1' }));
  assert.equal(res.status, 200);
  assert.equal(res.json, undefined);
  res = await anthropicCall(claude({ model: 'claude?echo=1', temperature: 0.5 }));
  assert.deepEqual(JSON.parse(res.json.content[0].text), { model: 'claude?echo=1', max_tokens: 256, temperature: 0.5 });
});

// ------------------------------------------------------------------------
// Gemini

const geminiPath = (model, method = 'generateContent', query = '') =>
  `/v1beta/models/${encodeURIComponent(model)}:${method}${query}`;
const geminiCall = (model, body, { headers = { 'x-goog-api-key': KEY }, method, query } = {}) =>
  rawRequest(baseUrl, 'POST', geminiPath(model, method, query), { 'content-type': 'application/json', ...headers },
    typeof body === 'string' ? body : JSON.stringify(body));
const gem = (extra = {}) => ({ contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }], ...extra });

test('gemini: a valid request gets a generateContent answer', async () => {
  const res = await geminiCall('gemini-2.5-flash', gem({
    systemInstruction: { parts: [{ text: 'You are terse.' }] },
    generationConfig: { temperature: 0.2, maxOutputTokens: 100 },
    safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
  }));
  assert.equal(res.status, 200, res.text);
  const [cand] = res.json.candidates;
  assert.deepEqual(cand.content, { parts: [{ text: 'Mock reply to: Hello there' }], role: 'model' });
  assert.equal(cand.finishReason, 'STOP');
  assert.equal(cand.index, 0);
  assert.equal(res.json.usageMetadata.promptTokenCount, 15);
  assert.equal(res.json.usageMetadata.candidatesTokenCount, 7);
  assert.equal(res.json.usageMetadata.totalTokenCount, 22);
  assert.equal(res.json.modelVersion, 'gemini-2.5-flash');
  assert.match(res.json.responseId, /^mock-\d+$/);

  // snake_case field names are accepted (proto JSON), and ?key= works as auth.
  const alt = await rawRequest(baseUrl, 'POST', geminiPath('gemini-2.5-flash', 'generateContent', `?key=${KEY}`),
    { 'content-type': 'application/json' }, JSON.stringify(gem({ generation_config: { max_output_tokens: 3 } })));
  assert.equal(alt.status, 200, alt.text);
  assert.equal(alt.json.candidates[0].finishReason, 'MAX_TOKENS');
  assert.equal(alt.json.candidates[0].content.parts[0].text, 'Mock reply t');
  const [record] = await admin('/_mock/requests?limit=1');
  assert.ok(!record.path.includes(KEY), 'the ?key= value is masked in the recording');
  assert.match(record.path, /\?key=sk-te\*\*\*\*ey$/);
});

test('gemini: auth errors', async () => {
  let res = await geminiCall('gemini-2.5-flash', gem(), { headers: {} });
  assert.equal(res.status, 403);
  assert.equal(res.json.error.code, 403);
  assert.equal(res.json.error.status, 'PERMISSION_DENIED');

  res = await geminiCall('gemini-2.5-flash', gem(), { headers: { 'x-goog-api-key': 'AIza-wrong' } });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.status, 'INVALID_ARGUMENT');
  assert.equal(res.json.error.message, 'API key not valid. Please pass a valid API key.');
  assert.equal(res.json.error.details[0].reason, 'API_KEY_INVALID');

  res = await geminiCall('gemini-2.5-flash', gem(), { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(res.status, 401);
  assert.equal(res.json.error.status, 'UNAUTHENTICATED');
});

test('gemini: malformed requests fail like the real API', async () => {
  const cases = [
    ['{not json', /^Invalid JSON payload received\./],
    [gem({ generationConfig: { max_tokens: 5 } }), /^Invalid JSON payload received\. Unknown name "max_tokens" at 'generation_config': Cannot find field\.$/],
    [gem({ messages: [] }), /^Invalid JSON payload received\. Unknown name "messages": Cannot find field\.$/],
    [gem({ generationConfig: { temperature: 'hot' } }), /^Invalid value at 'generation_config\.temperature' \(TYPE_FLOAT\), "hot"$/],
    [{ contents: [] }, /^\* GenerateContentRequest\.contents: contents is not specified\n$/],
    [{ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /^Please use a valid role: user, model\.$/],
    [{ contents: [{ role: 'user', parts: [] }] }, /contents\.parts must not be empty/],
    [{ contents: [{ role: 'user', parts: [{ text: 'a', inlineData: { mimeType: 'image/png', data: PNG_1PX } }] }] }, /oneof field 'data' is already set/],
    [{ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: '!!!' } }] }] }, /\(TYPE_BYTES\), Base64 decoding failed/],
    [gem({ tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', properties: {}, additionalProperties: false } }] }] }),
      /Unknown name "additionalProperties" at 'tools\[0\]\.function_declarations\[0\]\.parameters'/],
    [gem({ tools: [{ functionDeclarations: [{ name: '1bad name' }] }] }), /Invalid function name/],
    [gem({ safetySettings: [{ category: 'HARASSMENT', threshold: 'BLOCK_NONE' }] }), /Invalid value at 'safety_settings\[0\]\.category'/],
    [{ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }, { role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] },
      /function response turn comes immediately after a function call turn/],
  ];
  for (const [body, message] of cases) {
    const res = await geminiCall('gemini-2.5-flash', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.json.error.code, 400);
    assert.equal(res.json.error.status, 'INVALID_ARGUMENT');
    assert.match(res.json.error.message, message, JSON.stringify(body));
  }
  const res = await geminiCall('gemini-2.5-flash', gem({ generationConfig: { topk: 1 } }));
  assert.equal(res.json.error.details[0]['@type'], 'type.googleapis.com/google.rpc.BadRequest');
  assert.equal(res.json.error.details[0].fieldViolations[0].field, 'generation_config');
});

test('gemini: usage overrides; thoughts are outside candidatesTokenCount', async () => {
  let res = await geminiCall('gemini-2.5-flash?prompt_tokens=1000&cached=400&completion_tokens=50&reasoning_tokens=30', gem());
  const u = res.json.usageMetadata;
  assert.equal(u.promptTokenCount, 1000);
  assert.equal(u.cachedContentTokenCount, 400, 'cached tokens are part of promptTokenCount');
  assert.equal(u.candidatesTokenCount, 50);
  assert.equal(u.thoughtsTokenCount, 30);
  assert.equal(u.totalTokenCount, 1080);
  assert.equal(res.json.modelVersion, 'gemini-2.5-flash');

  // includeThoughts adds a thought part (not counted in the visible answer).
  res = await geminiCall('gemini-2.5-flash?reasoning_tokens=12', gem({ generationConfig: { thinkingConfig: { includeThoughts: true } } }));
  const parts = res.json.candidates[0].content.parts;
  assert.equal(parts[0].thought, true);
  assert.equal(parts[1].text, 'Mock reply to: Hello there');
  assert.equal(res.json.usageMetadata.candidatesTokenCount, 7);
  assert.equal(res.json.usageMetadata.totalTokenCount, 7 + 7 + 12);
});

test('gemini: function calling', async () => {
  const tools = [{ functionDeclarations: [
    { name: 'get_weather', description: 'Weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
    { name: 'get_time', parametersJsonSchema: { type: 'object', additionalProperties: false } }] }];
  let res = await geminiCall('gemini-2.5-flash', gem({ tools, toolConfig: { functionCallingConfig: { mode: 'ANY' } } }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.candidates[0].content.parts, [{ functionCall: { name: 'get_weather', args: {} } }]);
  assert.equal(res.json.candidates[0].finishReason, 'STOP');

  res = await geminiCall('gemini-2.5-flash', gem({ tools, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } } }));
  assert.equal(res.json.candidates[0].content.parts[0].functionCall.name, 'get_time');

  res = await geminiCall('gemini-2.5-flash', gem({ tools }));
  assert.equal(res.json.candidates[0].content.parts[0].text, 'Mock reply to: Hello there', 'AUTO does not call by itself');

  // The full turn sequence is accepted.
  res = await geminiCall('gemini-2.5-flash', { tools, contents: [
    { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
  ] });
  assert.equal(res.status, 200, res.text);

  res = await geminiCall('gemini-2.5-flash', gem({ tools: [{ functionDeclarations: [
    { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] } }] }] }));
  assert.equal(res.status, 400);
  assert.match(res.json.error.message, /required\[0\]: property is not defined/);
});

test('gemini: safety blocks, for the prompt and for the answer', async () => {
  let res = await geminiCall('gemini-2.5-flash?safety=prompt', gem());
  assert.equal(res.status, 200);
  assert.equal(res.json.candidates, undefined);
  assert.equal(res.json.promptFeedback.blockReason, 'SAFETY');
  assert.equal(res.json.usageMetadata.promptTokenCount, 7);

  res = await geminiCall('gemini-2.5-flash?safety=1', gem());
  const [cand] = res.json.candidates;
  assert.equal(cand.finishReason, 'SAFETY');
  assert.equal(cand.content, undefined);
  assert.ok(cand.safetyRatings.some((r) => r.blocked));
  assert.equal(res.json.usageMetadata.candidatesTokenCount, undefined);
});

test('gemini: streaming (SSE and JSON array) and fault directives', async () => {
  let res = await geminiCall('gemini-2.5-flash', gem(), { method: 'streamGenerateContent', query: '?alt=sse' });
  assert.match(res.headers['content-type'], /^text\/event-stream/);
  const chunks = res.text.split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));
  assert.equal(chunks.map((c) => c.candidates[0].content.parts[0].text).join(''), 'Mock reply to: Hello there');
  assert.equal(chunks.at(-1).candidates[0].finishReason, 'STOP');
  assert.equal(chunks.at(-1).usageMetadata.candidatesTokenCount, 7);

  res = await geminiCall('gemini-2.5-flash', gem(), { method: 'streamGenerateContent' });
  const array = JSON.parse(res.text);
  assert.equal(array.map((c) => c.candidates[0].content.parts[0].text).join(''), 'Mock reply to: Hello there');

  res = await geminiCall('gemini-2.5-flash?status=429&retry_after=9', gem());
  assert.equal(res.status, 429);
  assert.equal(res.json.error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(res.json.error.details.find((x) => x['@type'].endsWith('RetryInfo')).retryDelay, '9s');
  for (const [status, name] of [[404, 'NOT_FOUND'], [500, 'INTERNAL'], [503, 'UNAVAILABLE']]) {
    res = await geminiCall(`gemini-2.5-flash?status=${status}`, gem());
    assert.equal(res.status, status);
    assert.equal(res.json.error.status, name);
  }
  res = await geminiCall('gemini-2.5-flash?nope=1', gem());
  assert.equal(res.status, 400);
  assert.match(res.json.error.message, /Unknown mock directive 'nope'/);

  // The "?" must be URL-encoded inside the model segment: an unencoded one is a different URL.
  res = await rawRequest(baseUrl, 'POST', '/v1beta/models/gemini-2.5-flash?status=429:generateContent',
    { 'x-goog-api-key': KEY, 'content-type': 'application/json' }, JSON.stringify(gem()));
  assert.equal(res.status, 404);
});

// ------------------------------------------------------------------------
// Amazon Bedrock Converse (SigV4)

// AWS's Signature Version 4 test suite and aigw's Bedrock case, as shipped
// in the repository (test/data/sigv4, see its README).
const VECTORS = path.join(__dirname, '..', 'data', 'sigv4');

// Parses a test-suite request file: request line, headers (with folded lines), body.
function parseVectorRequest(text) {
  const blank = text.indexOf('\n\n');
  const head = blank < 0 ? text : text.slice(0, blank);
  const body = blank < 0 ? '' : text.slice(blank + 2);
  const [requestLine, ...lines] = head.split('\n');
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const url = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' '));
  const rawHeaders = [];
  for (const line of lines) {
    if (/^\s/.test(line)) rawHeaders[rawHeaders.length - 1] += ` ${line.trim()}`;
    else rawHeaders.push(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1));
  }
  return { method, url, rawHeaders, body };
}

test('sigv4: the canonical request builder reproduces the AWS test suite (post-vanilla and all normalized vectors)', () => {
  assert.ok(fs.existsSync(path.join(VECTORS, 'post-vanilla', 'request.txt')), `no SigV4 vectors in ${VECTORS}`);
  // post-vanilla, step by step.
  const dir = path.join(VECTORS, 'post-vanilla');
  const req = parseVectorRequest(fs.readFileSync(path.join(dir, 'request.txt'), 'utf8'));
  const canonical = sigv4.canonicalRequest({
    method: req.method, rawPath: req.url, rawQuery: '',
    rawHeaders: [...req.rawHeaders, 'X-Amz-Date', '20150830T123600Z'], signedHeaders: ['host', 'x-amz-date'],
    payloadHash: crypto.createHash('sha256').update('').digest('hex'),
  });
  assert.equal(canonical, fs.readFileSync(path.join(dir, 'header-canonical-request.txt'), 'utf8'));
  const sts = sigv4.stringToSign('20150830T123600Z', '20150830/us-east-1/service/aws4_request', canonical);
  assert.equal(sts, fs.readFileSync(path.join(dir, 'header-string-to-sign.txt'), 'utf8'));

  // Every vector for non-S3 services ("normalize": true): the verifier accepts the
  // signed request and rebuilds exactly the expected canonical request.
  let checked = 0;
  for (const name of fs.readdirSync(VECTORS)) {
    const vdir = path.join(VECTORS, name);
    if (!fs.statSync(vdir).isDirectory()) continue;
    const context = JSON.parse(fs.readFileSync(path.join(vdir, 'context.json'), 'utf8'));
    if (!context.normalize) continue; // S3-style vectors
    const signed = parseVectorRequest(fs.readFileSync(path.join(vdir, 'header-signed-request.txt'), 'utf8'));
    const c = context.credentials;
    const result = sigv4.verify({
      method: signed.method, url: signed.url, rawHeaders: signed.rawHeaders, body: Buffer.from(signed.body),
      credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key, sessionToken: c.token },
      region: context.region, service: context.service, now: Date.parse(context.timestamp),
    });
    assert.ok(result.ok, `${name}: ${result.message}`);
    assert.equal(result.canonicalRequest, fs.readFileSync(path.join(vdir, 'header-canonical-request.txt'), 'utf8'), name);
    assert.equal(result.stringToSign, fs.readFileSync(path.join(vdir, 'header-string-to-sign.txt'), 'utf8'), name);
    checked++;
  }
  // 31 of AWS's vectors are for non-S3 services, and the Bedrock case
  assert.equal(checked, 32, 'vectors checked');
});

// An independent SigV4 signer for the tests, written from the AWS documentation
// (it shares no code with lib/sigv4.js).
function signAws({ method = 'POST', url, body, creds = AWS, region = AWS.region, date = new Date(), extraHeaders = {} }) {
  const u = new URL(url);
  const amzDate = date.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const day = amzDate.slice(0, 8);
  const headers = { host: u.host, 'content-type': 'application/json', 'x-amz-date': amzDate, ...extraHeaders };
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  // Non-S3: each segment of the (already encoded) path is encoded once more.
  const canonicalUri = u.pathname.split('/').map(rfc3986).join('/');
  const hash = (x) => crypto.createHash('sha256').update(x).digest('hex');
  const canonical = [method, canonicalUri, '', names.map((n) => `${n}:${String(lower[n]).trim()}\n`).join(''),
    names.join(';'), hash(body)].join('\n');
  const scope = `${day}/${region}/bedrock/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n');
  let key = `AWS4${creds.secretAccessKey}`;
  for (const part of [day, region, 'bedrock', 'aws4_request']) key = crypto.createHmac('sha256', key).update(part).digest();
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  const { host, ...rest } = headers;
  void host;
  return { ...rest, authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const bedrockPath = (modelId, op = 'converse') => `/model/${encodeURIComponent(modelId)}/${op}`;
const converse = (extra = {}) => ({ messages: [{ role: 'user', content: [{ text: 'Hello there' }] }], ...extra });

async function bedrockCall(body, { modelId = HAIKU, op = 'converse', base = baseUrl, sign = {}, tamper = null } = {}) {
  const urlPath = bedrockPath(modelId, op);
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = signAws({ url: base + urlPath, body: payload, ...sign });
  return rawRequest(base, 'POST', urlPath, headers, tamper === null ? payload : tamper);
}

test('bedrock: a correctly signed Converse request gets an answer', async () => {
  await admin('/_mock/reset', 'POST');
  const res = await bedrockCall(converse({ system: [{ text: 'You are terse.' }], inferenceConfig: { maxTokens: 100, temperature: 0.5 } }));
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/);
  assert.deepEqual(res.json.output, { message: { role: 'assistant', content: [{ text: 'Mock reply to: Hello there' }] } });
  assert.equal(res.json.stopReason, 'end_turn');
  assert.deepEqual(res.json.usage, { inputTokens: 15, outputTokens: 7, totalTokens: 22 });
  assert.ok(res.json.metrics.latencyMs >= 1);

  const [record] = await admin('/_mock/requests?limit=1');
  assert.equal(record.path, '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
  assert.match(record.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDM\*\*\*\*LE\/\d{8}\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
  assert.equal((await admin('/_mock/stats')).requests_by_path['/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse'], 1);
});

test('bedrock: wrong signature, unknown key, stale date, tampered body are rejected', async () => {
  const expectAuthError = (res, status, type, message) => {
    assert.equal(res.status, status, res.text);
    assert.equal(res.headers['x-amzn-errortype'], type);
    assert.deepEqual(Object.keys(res.json), ['message']);
    assert.match(res.json.message, message);
  };
  let res = await bedrockCall(converse(), { sign: { creds: { ...AWS, secretAccessKey: 'not-the-secret' } } });
  expectAuthError(res, 403, 'InvalidSignatureException', /^The request signature we calculated does not match the signature you provided\./);
  // The message shows the canonical request, with the model id encoded twice.
  assert.match(res.json.message, /The Canonical String for this request should have been\n'POST\n\/model\/anthropic\.claude-3-haiku-20240307-v1%253A0\/converse\n/);

  res = await bedrockCall(converse(), { sign: { creds: { ...AWS, accessKeyId: 'AKIDUNKNOWN' } } });
  expectAuthError(res, 403, 'UnrecognizedClientException', /^The security token included in the request is invalid\.$/);

  res = await bedrockCall(converse(), { sign: { date: new Date(Date.now() - 6 * 60 * 1000) } });
  expectAuthError(res, 403, 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  res = await bedrockCall(converse(), { sign: { date: new Date(Date.now() + 6 * 60 * 1000) } });
  expectAuthError(res, 403, 'InvalidSignatureException', /^Signature not yet current/);

  res = await bedrockCall(converse(), { tamper: JSON.stringify(converse({ inferenceConfig: { maxTokens: 1 } })) });
  expectAuthError(res, 403, 'InvalidSignatureException', /signature we calculated does not match/);

  res = await bedrockCall(converse(), { sign: { region: 'us-east-1' } });
  expectAuthError(res, 403, 'InvalidSignatureException', /Credential should be scoped to a valid region/);

  const body = JSON.stringify(converse());
  res = await bedrockCall(body, { sign: { extraHeaders: { 'x-amz-content-sha256': crypto.createHash('sha256').update('other').digest('hex') } } });
  expectAuthError(res, 403, 'InvalidSignatureException', /x-amz-content-sha256/);
  res = await bedrockCall(body, { sign: { extraHeaders: { 'x-amz-content-sha256': crypto.createHash('sha256').update(body).digest('hex') } } });
  assert.equal(res.status, 200, res.text);

  res = await rawRequest(baseUrl, 'POST', bedrockPath(HAIKU), { 'content-type': 'application/json' }, body);
  expectAuthError(res, 403, 'MissingAuthenticationTokenException', /Missing Authentication Token/);
  res = await rawRequest(baseUrl, 'POST', bedrockPath(HAIKU), { 'content-type': 'application/json', authorization: 'Bearer abc' }, body);
  expectAuthError(res, 403, 'IncompleteSignatureException', /requires 'Credential' parameter/);
});

test('bedrock: session tokens, and no credentials configured', async () => {
  const creds = { accessKeyId: 'ASIAMOCKTEMP', secretAccessKey: 'tempsecret', sessionToken: 'FwoGZXIvYXdzEJr//////////mock-token' };
  const mock = await startInProcess({ aws: { ...creds, region: 'us-east-1' } });
  try {
    let res = await bedrockCall(converse(), { base: mock.base, sign: { creds, region: 'us-east-1' } });
    assert.equal(res.status, 200, res.text);
    res = await bedrockCall(converse(), { base: mock.base, sign: { creds: { ...creds, sessionToken: undefined }, region: 'us-east-1' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers['x-amzn-errortype'], 'UnrecognizedClientException');
    res = await bedrockCall(converse(), { base: mock.base, sign: { creds: { ...creds, sessionToken: 'other' }, region: 'us-east-1' } });
    assert.equal(res.status, 403);
  } finally {
    mock.close();
  }
  const none = await startInProcess({});
  try {
    const res = await bedrockCall(converse(), { base: none.base, sign: { region: 'us-east-1' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers['x-amzn-errortype'], 'UnrecognizedClientException');
  } finally {
    none.close();
  }
});

test('bedrock: malformed requests fail like the real API', async () => {
  const cases = [
    ['{not json', 'SerializationException', /./],
    [{ messages: [{ role: 'assistant', content: [{ text: 'x' }] }] }, 'ValidationException', /^A conversation must start with a user message/],
    [{ messages: [{ role: 'user', content: [{ text: 'a' }] }, { role: 'user', content: [{ text: 'b' }] }] }, 'ValidationException', /must alternate between user and assistant/],
    [{ messages: [{ role: 'system', content: [{ text: 'x' }] }] }, 'ValidationException',
      /^1 validation error detected: Value 'system' at 'messages\.1\.member\.role' failed to satisfy constraint: Member must satisfy enum value set: \[user, assistant\]$/],
    [converse({ inferenceConfig: { maxTokens: 0 } }), 'ValidationException', /Value '0' at 'inferenceConfig\.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1/],
    [converse({ inferenceConfig: { max_tokens: 10 } }), 'ValidationException', /extraneous key \[max_tokens\] is not permitted/],
    [converse({ max_tokens: 10 }), 'ValidationException', /extraneous key \[max_tokens\]/],
    [converse({ system: 'You are terse.' }), 'SerializationException', /can not be converted/],
    [{ messages: [{ role: 'user', content: [{ text: '  ' }] }] }, 'ValidationException', /text field in the ContentBlock object at messages\.0\.content\.0 is blank/],
    [{ messages: [{ role: 'user', content: 'Hello' }] }, 'SerializationException', /can not be converted to a List/],
    [{ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] }, 'ValidationException', /extraneous key \[type\]/],
    [{ messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes: JPEG_MAGIC } } }] }] }, 'ValidationException', /does not match the specified format png/],
    [{ messages: [{ role: 'user', content: [{ text: 'Hi' }] }, { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'r' }] } }] }] }, 'ValidationException', /toolConfig field must be defined/],
    [converse({ toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'string' } } } }] } }), 'ValidationException',
      /toolConfig\.tools\.0\.toolSpec\.inputSchema\.json\.type must be one of the following: object/],
    [converse({ toolConfig: { tools: [{ type: 'function', function: { name: 'f' } }] } }), 'ValidationException', /extraneous key \[type\]/],
  ];
  for (const [body, type, message] of cases) {
    const res = await bedrockCall(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.headers['x-amzn-errortype'], type, JSON.stringify(body));
    assert.match(res.json.message, message, JSON.stringify(body));
  }
});

test('bedrock: usage overrides; inputTokens excludes the cache, totalTokens counts it', async () => {
  let res = await bedrockCall(converse(), { modelId: `${HAIKU}?prompt_tokens=100&cached=30&cache_write=20&completion_tokens=9` });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.usage, { inputTokens: 50, outputTokens: 9, totalTokens: 109, cacheReadInputTokens: 30, cacheWriteInputTokens: 20 });
  // requestMetadata.mock carries directives too (and wins over the model id).
  res = await bedrockCall(converse({ requestMetadata: { mock: 'status=429&retry_after=3', team: 'billing' } }), { modelId: `${HAIKU}?status=500` });
  assert.equal(res.status, 429);
  assert.equal(res.headers['x-amzn-errortype'], 'ThrottlingException');
  assert.equal(res.headers['retry-after'], '3');
  assert.deepEqual(Object.keys(res.json), ['message']);
  for (const [status, type] of [[400, 'ValidationException'], [403, 'AccessDeniedException'], [404, 'ResourceNotFoundException'],
    [500, 'InternalServerException'], [503, 'ServiceUnavailableException']]) {
    res = await bedrockCall(converse(), { modelId: `${HAIKU}?status=${status}` });
    assert.equal(res.status, status);
    assert.equal(res.headers['x-amzn-errortype'], type);
  }
  res = await bedrockCall(converse(), { modelId: `${HAIKU}?safety=1` });
  assert.equal(res.json.stopReason, 'content_filtered');
});

test('bedrock: tool use and the tool result turn', async () => {
  const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', description: 'Weather',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }], toolChoice: { any: {} } };
  let res = await bedrockCall(converse({ toolConfig }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.stopReason, 'tool_use');
  const { toolUse } = res.json.output.message.content[0];
  assert.match(toolUse.toolUseId, /^tooluse_\d+$/);
  assert.equal(toolUse.name, 'get_weather');
  assert.deepEqual(toolUse.input, {});

  res = await bedrockCall({ toolConfig: { tools: toolConfig.tools }, messages: [
    { role: 'user', content: [{ text: 'Weather?' }] },
    { role: 'assistant', content: [{ toolUse }] },
    { role: 'user', content: [{ toolResult: { toolUseId: toolUse.toolUseId, content: [{ json: { temp: 21 } }], status: 'success' } }] },
  ] });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.stopReason, 'end_turn');

  res = await bedrockCall({ toolConfig: { tools: toolConfig.tools }, messages: [
    { role: 'user', content: [{ text: 'Weather?' }] },
    { role: 'assistant', content: [{ toolUse }] },
    { role: 'user', content: [{ text: 'never mind' }] },
  ] });
  assert.equal(res.status, 400);
  assert.match(res.json.message, /^Expected toolResult blocks at messages\.2\.content for the following Ids: tooluse_\d+$/);
});

test('bedrock: converse-stream speaks the AWS event stream encoding', async () => {
  const res = await bedrockCall(converse(), { op: 'converse-stream', modelId: `${HAIKU}?cached=2` });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers['content-type'], 'application/vnd.amazon.eventstream');
  const events = decodeEventStream(res.buf); // checks both CRCs of every message
  assert.deepEqual(events.map((e) => e.headers[':event-type']), ['messageStart', 'contentBlockDelta', 'contentBlockDelta',
    'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
  assert.ok(events.every((e) => e.headers[':message-type'] === 'event' && e.headers[':content-type'] === 'application/json'));
  assert.equal(events.filter((e) => e.payload.delta).map((e) => e.payload.delta.text).join(''), 'Mock reply to: Hello there');
  assert.equal(events[5].payload.stopReason, 'end_turn');
  assert.deepEqual(events[6].payload.usage, { inputTokens: 5, outputTokens: 7, totalTokens: 14, cacheReadInputTokens: 2 });
});

// ------------------------------------------------------------------------
// Azure OpenAI

const azurePath = (deployment, query = '?api-version=2024-10-21', op = 'chat/completions') =>
  `/openai/deployments/${encodeURIComponent(deployment)}/${op}${query}`;
const azureCall = (deployment, body, { headers = { 'api-key': KEY }, query } = {}) =>
  rawRequest(baseUrl, 'POST', azurePath(deployment, query), { 'content-type': 'application/json', ...headers }, JSON.stringify(body));

test('azure: a valid request gets an OpenAI answer with content filter results', async () => {
  const res = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'Hello there' }] });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.object, 'chat.completion');
  assert.equal(res.json.model, 'gpt-4o-mini');
  assert.equal(res.json.choices[0].message.content, 'Mock reply to: Hello there');
  assert.equal(res.json.choices[0].content_filter_results.hate.filtered, false);
  assert.equal(res.json.prompt_filter_results[0].prompt_index, 0);
  assert.equal(res.json.usage.total_tokens, 14);
  assert.ok(res.headers['apim-request-id']);
  const [record] = await admin('/_mock/requests?limit=1');
  assert.equal(record.headers['api-key'], 'sk-te****ey');

  const stream = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'Hello there' }], stream: true });
  const chunks = stream.text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
  assert.deepEqual(chunks[0].choices, [], 'Azure first streams the prompt filter results with no choices');
  assert.ok(chunks[0].prompt_filter_results);
  assert.equal(chunks.slice(1).map((c) => c.choices[0].delta.content ?? '').join(''), 'Mock reply to: Hello there');
});

test('azure: auth, api-version and body errors', async () => {
  let res = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'x' }] }, { headers: {} });
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, '401');
  assert.match(res.json.error.message, /^Access denied due to invalid subscription key/);
  res = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'x' }] }, { headers: { 'api-key': 'wrong' } });
  assert.equal(res.status, 401);
  res = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'x' }] }, { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(res.status, 401);

  for (const query of ['', '?api-version=2024-13-45', '?api-version=latest']) {
    res = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'x' }] }, { query });
    assert.equal(res.status, 404, query);
    assert.deepEqual(res.json, { error: { code: '404', message: 'Resource not found' } });
  }
  res = await azureCall('gpt-4o-mini', { messages: [{ role: 'user', content: 'x' }] }, { query: '?api-version=2025-01-01-preview' });
  assert.equal(res.status, 200);

  res = await azureCall('gpt-4o-mini', { messages: [{ role: 'robot', content: 'x' }] });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.param, 'messages[0].role');
});

test('azure: directives ride in the deployment name', async () => {
  let res = await azureCall('gpt-4o-mini?status=429&retry_after=4', { messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.status, 429);
  assert.equal(res.headers['retry-after'], '4');
  assert.equal(res.json.error.code, '429');
  assert.match(res.json.error.message, /Please retry after 4 seconds/);

  res = await azureCall('gpt-4o-mini?prompt_tokens=100&cached=40', { messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.json.model, 'gpt-4o-mini');
  assert.equal(res.json.usage.prompt_tokens, 100);
  assert.equal(res.json.usage.prompt_tokens_details.cached_tokens, 40);

  res = await azureCall('gpt-4o-mini?safety=prompt', { messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'content_filter');
  assert.equal(res.json.error.innererror.code, 'ResponsibleAIPolicyViolation');

  res = await azureCall('gpt-4o-mini?safety=answer', { messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.json.choices[0].finish_reason, 'content_filter');
  assert.equal(res.json.choices[0].content_filter_results.violence.filtered, true);
});

// ------------------------------------------------------------------------
// Every protocol: the transport directives and the admin API.

// One call per protocol with the given directive query.
const PROTOCOL_CALLS = {
  anthropic: (q) => anthropicCall(claude({ model: `claude-3-5-haiku-20241022?${q}` })),
  gemini: (q) => geminiCall(`gemini-2.5-flash?${q}`, gem()),
  bedrock: (q) => bedrockCall(converse(), { modelId: `${HAIKU}?${q}` }),
  azure: (q) => azureCall(`gpt-4o-mini?${q}`, { messages: [{ role: 'user', content: 'Hello there' }] }),
};
const replyText = {
  anthropic: (j) => j.content[0].text,
  gemini: (j) => j.candidates[0].content.parts[0].text,
  bedrock: (j) => j.output.message.content[0].text,
  azure: (j) => j.choices[0].message.content,
};

test('every protocol honours the transport directives', async () => {
  for (const [name, call] of Object.entries(PROTOCOL_CALLS)) {
    await admin('/_mock/reset', 'POST');
    let res = await call('huge_bytes=100000');
    assert.equal(res.status, 200, name);
    assert.equal(replyText[name](res.json).length, 100000, name);

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('status=500&fail_first=2')).status);
    assert.deepEqual(statuses, [500, 500, 200], name);

    await assert.rejects(call('drop=1'), undefined, name);
    res = await call('content=Bonjour%20!');
    assert.equal(replyText[name](res.json), 'Bonjour !', name);

    const t0 = Date.now();
    await call('latency_ms=60');
    assert.ok(Date.now() - t0 >= 55, name);

    res = await call('empty=1');
    assert.equal(res.status, 200, name);
    assert.equal(res.text, '', name);

    res = await call('html=1');
    assert.equal(res.status, 502, name);

    const stats = await admin('/_mock/stats');
    assert.equal(stats.requests_total, 9, name);
    const records = await admin('/_mock/requests?limit=9');
    assert.equal(records.length, 9);
    assert.ok(records.every((r) => r.body !== null), name);
  }
});

test('truncate and echo on the native protocols', async () => {
  for (const [name, call] of Object.entries(PROTOCOL_CALLS)) {
    await assert.rejects(call('truncate=1'), /aborted|ECONNRESET|socket hang up/, name);
  }
  let res = await geminiCall('gemini-2.5-flash?echo=1', gem({ generationConfig: { seed: 3 } }));
  assert.deepEqual(JSON.parse(res.json.candidates[0].content.parts[0].text), { generationConfig: { seed: 3 } });
  res = await bedrockCall(converse({ inferenceConfig: { topP: 0.9 } }), { modelId: `${HAIKU}?echo=1` });
  assert.deepEqual(JSON.parse(res.json.output.message.content[0].text), { inferenceConfig: { topP: 0.9 } });
});

test('anthropic count_tokens', async () => {
  const res = await rawRequest(baseUrl, 'POST', '/v1/messages/count_tokens', ANTHROPIC_HEADERS,
    JSON.stringify({ model: 'claude-3-5-haiku-20241022', system: 'You are terse.', messages: [{ role: 'user', content: 'Hello there' }] }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { input_tokens: 15 });
  const bad = await rawRequest(baseUrl, 'POST', '/v1/messages/count_tokens', ANTHROPIC_HEADERS, JSON.stringify(claude()));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.message, 'max_tokens: Extra inputs are not permitted');
});
