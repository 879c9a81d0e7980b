'use strict';
// Structured output of the mock (lib/structured.js): the deterministic
// instance of a request's schema on every protocol, and the `schema`
// directive that makes it violate the schema. Run with `node --test test/mock/`.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { createMockServer } = require('./mock_provider');
const sigv4 = require('./lib/sigv4');
const { instanceOf, violationOf } = require('./lib/structured');

const KEY = 'sk-test-key';
const AWS = { accessKeyId: 'AKIDSTRUCTURED', secretAccessKey: 'structured-secret', region: 'us-east-1' };
let server;
let base;

before(async () => {
  ({ server } = createMockServer({ keys: [KEY], aws: AWS }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const post = async (path, body, headers) => {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
};
const reset = () => fetch(`${base}/_mock/reset`, { method: 'POST' });

const SCHEMA = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    label: { type: 'string', enum: ['red', 'green', 'blue'] },
    score: { type: 'number', minimum: 0, maximum: 1 },
    count: { type: 'integer' },
    name: { type: 'string', maxLength: 5 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
    address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'integer', minimum: 1000, maximum: 1009 } }, required: ['city'] },
  },
  required: ['ok', 'label'],
  additionalProperties: false,
};

test('the instance rule: yes, enum, numbers, KEY:VALUE, nested objects and arrays', () => {
  const text = 'Yes, it is GREEN or blue';            // 24 code points
  assert.deepEqual(instanceOf(SCHEMA, text), {
    ok: true, label: 'green', score: 0.2, count: 2, name: 'Yes', tags: ['Yes', 'Yes'],
    address: { city: 'Yes', zip: 1000 + (24 % 10) },
  });
  const written = 'no colour here: score:0.75 count:7 name:Alexandra city:Oslo ok:true';
  assert.deepEqual(instanceOf(SCHEMA, written), {
    ok: true, label: 'red', score: 0.75, count: 7, name: 'Alexa', tags: ['no', 'no'], address: { city: 'Oslo', zip: 1000 + (written.length % 10) },
  });
  assert.equal(instanceOf({ type: 'boolean' }, 'eyes only'), false, '"yes" is a word, not a part of one');
  assert.deepEqual(instanceOf({ type: 'object', properties: { score: { type: 'number', minimum: 0, maximum: 1 } } }, 'score:7'),
    { score: 1 }, 'a written number is clamped into the bounds');
  assert.deepEqual(instanceOf({ type: 'OBJECT', properties: { a: { type: 'STRING', enum: ['x', 'y'] } } }, 'why y'), { a: 'y' }, "Gemini's OpenAPI types");
});

test('the violation: the first required property of the wrong type', () => {
  assert.deepEqual(violationOf(SCHEMA, 'yes green'), { ...instanceOf(SCHEMA, 'yes green'), ok: 'maybe' });
  const label = { type: 'object', properties: { label: { type: 'string', enum: ['a', 'b'] } }, required: ['label'] };
  assert.deepEqual(violationOf(label, 'x'), { label: 12345 });
  assert.deepEqual(violationOf({ type: 'object' }, 'x'), [], 'no property to break: not an object at all');
});

const format = (schema) => ({ type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } });
const openai = (text, schema, model = 'gpt-4o-mini') => post('/v1/chat/completions',
  { model, messages: [{ role: 'user', content: text }], response_format: format(schema) }, { authorization: `Bearer ${KEY}` });

test('openai: response_format json_schema gets an instance of the schema as its content', async () => {
  const res = await openai('yes, blue', SCHEMA);
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.json.choices[0].message.content), instanceOf(SCHEMA, 'yes, blue'));
  assert.equal(res.json.choices[0].finish_reason, 'stop');
  // json_object keeps the {"reply": ...} rule
  const plain = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }],
    response_format: { type: 'json_object' } }, { authorization: `Bearer ${KEY}` });
  assert.deepEqual(JSON.parse(plain.json.choices[0].message.content), { reply: 'Mock reply to: hi' });
});

test('schema=violate always violates; violate_once only the first time a text is seen', async () => {
  await reset();
  const bad = await openai('yes [[mock:schema=violate]]', SCHEMA);
  assert.equal(JSON.parse(bad.json.choices[0].message.content).ok, 'maybe');
  const again = await openai('yes [[mock:schema=violate]]', SCHEMA);
  assert.equal(JSON.parse(again.json.choices[0].message.content).ok, 'maybe');
  const first = await openai('yes [[mock:schema=violate_once]]', SCHEMA);
  const second = await openai('yes [[mock:schema=violate_once]]', SCHEMA);
  assert.equal(JSON.parse(first.json.choices[0].message.content).ok, 'maybe');
  assert.equal(JSON.parse(second.json.choices[0].message.content).ok, true);
  const model = await openai('yes', SCHEMA, 'gpt-4o-mini?schema=violate');
  assert.equal(JSON.parse(model.json.choices[0].message.content).ok, 'maybe', 'the directive also rides in the model name');
  await reset();
  const afresh = await openai('yes [[mock:schema=violate_once]]', SCHEMA);
  assert.equal(JSON.parse(afresh.json.choices[0].message.content).ok, 'maybe', 'a reset forgets the texts seen');
  const typo = await openai('x', SCHEMA, 'gpt-4o-mini?schema=wrong');
  assert.equal(typo.status, 400);
});

test('anthropic: a tool forced by name gets an instance of its input_schema', async () => {
  const headers = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
  const tools = [{ name: 'aigw_answer', input_schema: SCHEMA }];
  const call = (text) => post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 100,
    messages: [{ role: 'user', content: text }], tools, tool_choice: { type: 'tool', name: 'aigw_answer' } }, headers);
  let res = await call('red, yes');
  assert.equal(res.json.stop_reason, 'tool_use');
  assert.deepEqual(res.json.content[0].input, instanceOf(SCHEMA, 'red, yes'));
  res = await call('red [[mock:schema=violate]]');
  assert.equal(res.json.content[0].input.ok, 'maybe', 'the tag is read from the text on every protocol');
  // a tool chosen by the model (auto, any) keeps its {} input
  res = await post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'x' }],
    tools, tool_choice: { type: 'any' } }, headers);
  assert.deepEqual(res.json.content[0].input, {});
});

test('gemini: responseJsonSchema and responseSchema get an instance as the text', async () => {
  const call = (generationConfig, text = 'yes green') => post('/v1beta/models/gemini-2.5-flash:generateContent',
    { contents: [{ role: 'user', parts: [{ text }] }], generationConfig }, { 'x-goog-api-key': KEY });
  let res = await call({ responseMimeType: 'application/json', responseJsonSchema: SCHEMA });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(JSON.parse(res.json.candidates[0].content.parts[0].text), instanceOf(SCHEMA, 'yes green'));
  const openapi = { type: 'OBJECT', properties: { label: { type: 'STRING', enum: ['red', 'green'] }, n: { type: 'INTEGER' } }, required: ['label'] };
  res = await call({ responseMimeType: 'application/json', responseSchema: openapi });
  assert.deepEqual(JSON.parse(res.json.candidates[0].content.parts[0].text), { label: 'green', n: 9 });
  res = await call({ responseMimeType: 'application/json', responseJsonSchema: SCHEMA }, 'yes [[mock:schema=violate]]');
  assert.equal(JSON.parse(res.json.candidates[0].content.parts[0].text).ok, 'maybe');
});

function signed(path, body) {
  const amzDate = sigv4.formatAmzDate(Date.now());
  const day = amzDate.slice(0, 8);
  const host = base.replace('http://', '');
  const payloadHash = crypto.createHash('sha256').update(body).digest('hex');
  const rawHeaders = ['content-type', 'application/json', 'host', host, 'x-amz-date', amzDate];
  const signedHeaders = ['content-type', 'host', 'x-amz-date'];
  const scope = `${day}/${AWS.region}/bedrock/aws4_request`;
  const canonical = sigv4.canonicalRequest({ method: 'POST', rawPath: path, rawQuery: '', rawHeaders, signedHeaders, payloadHash });
  const signature = crypto.createHmac('sha256', sigv4.signingKey(AWS.secretAccessKey, day, AWS.region, 'bedrock'))
    .update(sigv4.stringToSign(amzDate, scope, canonical)).digest('hex');
  return { 'content-type': 'application/json', 'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}` };
}

test('bedrock: a tool forced by name (toolChoice.tool) gets an instance of its inputSchema', async () => {
  const path = `/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse`;
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'blue, yes' }] }],
    toolConfig: { tools: [{ toolSpec: { name: 'aigw_answer', inputSchema: { json: SCHEMA } } }], toolChoice: { tool: { name: 'aigw_answer' } } } });
  const res = await fetch(base + path, { method: 'POST', headers: signed(path, body), body });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  assert.equal(json.stopReason, 'tool_use');
  assert.deepEqual(json.output.message.content[0].toolUse.input, instanceOf(SCHEMA, 'blue, yes'));
});
