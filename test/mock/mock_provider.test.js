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
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-provider-'));
const portFile = path.join(dir, 'mock.port');
const pidFile = path.join(dir, 'mock.pid');
let child;
let baseUrl;

before(async () => {
  child = spawn(process.execPath, [path.join(__dirname, 'mock_provider.js'), '--port', '0',
    '--port-file', portFile, '--pid-file', pidFile, '--key', KEY, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
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
