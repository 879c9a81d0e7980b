#!/usr/bin/env node
'use strict';
// Local mock of an OpenAI-compatible model provider, used by the aigw tests
// and benchmarks. Standard library only. See README.md in this directory for
// the CLI, the fault directives and the admin API.

const http = require('node:http');
const fs = require('node:fs');

const RING_SIZE = 1000;
const HUGE_CHUNK = Buffer.alloc(64 * 1024, 'x');
const HUGE_PLACEHOLDER = '__MOCK_HUGE_CONTENT__';
const MALFORMED_BODY = '{"id": "chatcmpl-1", "choices": [ {oops';
const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n' +
  '<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const SECRET_HEADERS = ['authorization', 'api-key', 'x-api-key'];
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'o3-mini', 'deepseek-reasoner', 'text-embedding-3-small'];

// Directive name -> value kind. Unknown names are rejected so that a typo in a
// test fails loudly instead of silently producing a normal response.
const DIRECTIVES = {
  latency_ms: 'int', status: 'int', retry_after: 'int', retry_after_ms: 'int',
  retry_after_date: 'flag', should_retry: 'string', fail_first: 'int',
  malformed: 'flag', truncate: 'flag', empty: 'flag', html: 'flag',
  huge_bytes: 'int', hang: 'flag', drop: 'flag', cached: 'int', content: 'string',
  echo: 'flag', prompt_tokens: 'int', completion_tokens: 'int', reasoning_tokens: 'int',
};

// ---------------------------------------------------------------- errors ---

// A 4xx the mock answers with an OpenAI-style error body.
class ApiError extends Error {
  constructor(status, message, param = null, code = null, type = 'invalid_request_error') {
    super(message);
    Object.assign(this, { status, param, code, type });
  }

  body() {
    return openAiError(this.message, this.type, this.code, this.param);
  }
}

function openAiError(message, type, code = null, param = null) {
  return { error: { message, type, param, code } };
}

// Shows enough of a key to recognise it in a log without ever revealing it.
function maskKey(key) {
  return key.length > 8 ? `${key.slice(0, 5)}****${key.slice(-2)}` : '****';
}

// Error body for a `status=N` directive, modelled on what the real APIs send.
function statusErrorBody(status, model, key, directives) {
  switch (status) {
    case 400:
      return openAiError('Invalid request (mock status=400).', 'invalid_request_error');
    case 401:
      return openAiError(`Incorrect API key provided: ${maskKey(key)}. You can find your API key at ` +
        'https://platform.openai.com/account/api-keys.', 'invalid_request_error', 'invalid_api_key');
    case 403:
      return openAiError('You exceeded your current quota or do not have permission to use this model, ' +
        'please check your plan and billing details.', 'insufficient_quota', 'permission_denied');
    case 404:
      return openAiError(`The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error', 'model_not_found');
    case 408:
      return openAiError('Request timed out.', 'server_error', 'timeout');
    case 409:
      return openAiError('The request conflicts with another request in progress.', 'invalid_request_error', 'conflict');
    case 413:
      return openAiError('Request too large. Please reduce the size of your request.',
        'invalid_request_error', 'request_too_large');
    case 422:
      return openAiError('The request was well-formed but could not be processed.',
        'invalid_request_error', 'unprocessable_entity');
    case 429:
      return openAiError(`Rate limit reached for ${model} in organization org-mock on requests per min (RPM): ` +
        `Limit 60, Used 60, Requested 1. Please try again in ${retryHint(directives)}. ` +
        'Visit https://platform.openai.com/account/rate-limits to learn more.', 'requests', 'rate_limit_exceeded');
    case 500:
      return openAiError('The server had an error while processing your request. Sorry about that!', 'server_error');
    case 502:
    case 503:
      return openAiError('The engine is currently overloaded, please try again later.', 'server_error');
    case 529:
      // Anthropic's overload shape: tests use it to check non-OpenAI bodies are tolerated.
      return { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    default:
      return openAiError(`Mock error (HTTP ${status}).`, status >= 500 ? 'server_error' : 'invalid_request_error');
  }
}

function retryHint(d) {
  if (d.retry_after !== undefined) return `${d.retry_after}s`;
  if (d.retry_after_ms !== undefined) return `${d.retry_after_ms}ms`;
  return '1s';
}

// Retry hints are attached to every error response of a request that asked for them.
function retryHeaders(d) {
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

// ------------------------------------------------------------ directives ---

// "gpt-4o-mini?status=429" -> base model "gpt-4o-mini", directive query "status=429".
function splitModel(model) {
  const q = model.indexOf('?');
  return q < 0 ? { base: model, query: '' } : { base: model.slice(0, q), query: model.slice(q + 1) };
}

function parseDirectiveValue(name, raw, source) {
  switch (DIRECTIVES[name]) {
    case 'int': {
      const n = Number(raw);
      if (raw === '' || !Number.isSafeInteger(n) || n < 0) {
        throw new ApiError(400, `Mock directive '${name}' must be a non-negative integer.`, source);
      }
      return n;
    }
    case 'flag':
      return raw !== '0' && raw !== 'false';
    case 'string':
      return raw;
    default:
      throw new ApiError(400, `Unknown mock directive '${name}'.`, source);
  }
}

// Merges the model-name directives with metadata.mock; the latter is the more
// specific (per call) source, so it wins on conflicts.
function readDirectives(body) {
  const model = body && typeof body.model === 'string' ? splitModel(body.model) : { base: null, query: '' };
  const meta = body && body.metadata && typeof body.metadata.mock === 'string' ? body.metadata.mock : '';
  const directives = {};
  for (const [source, query] of [['model', model.query], ['metadata.mock', meta]]) {
    if (!query) continue;
    for (const [name, raw] of new URLSearchParams(query)) {
      directives[name] = parseDirectiveValue(name, raw, source);
    }
  }
  return { base: model.base, directives, failKey: `${model.base}?${model.query}|${meta}` };
}

// ------------------------------------------------------------------ text ---

// Lengths are in Unicode code points (like PostgreSQL's char_length) so SQL
// tests can compute the expected token counts themselves.
function charCount(s) {
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
  let i = 0;
  for (let k = 0; k < count && i < s.length; k++) i += s.codePointAt(i) > 0xffff ? 2 : 1;
  return s.slice(0, i);
}

const tokensFor = (chars) => Math.ceil(chars / 4);

// Text of a message content: a string, or the text parts of a content array joined by "\n".
function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((p) => p && typeof p.text === 'string').map((p) => p.text).join('\n');
}

function promptTokens(messages) {
  let total = 0;
  for (const m of messages) total += 4 + tokensFor(charCount(contentText(m.content)));
  return total;
}

function lastUserText(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') return contentText(messages[i].content);
  }
  return '';
}

function cutAtStop(text, stop) {
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [];
  let cut = text.length;
  for (const s of stops) {
    if (typeof s !== 'string' || s === '') continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < cut) cut = at;
  }
  return text.slice(0, cut);
}

// ------------------------------------------------------------ validation ---

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

function requireJsonObject(req, parsed) {
  const type = req.headers['content-type'];
  if (!isJsonContentType(type)) {
    throw new ApiError(400, `Invalid Content-Type header (${type || 'none'}), expected application/json.`);
  }
  if (!parsed.ok) {
    throw new ApiError(400, 'We could not parse the JSON body of your request. (HINT: This likely means you ' +
      "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was " +
      'not valid JSON.)');
  }
  const body = parsed.value;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'The request body must be a JSON object.');
  }
  if (typeof body.model !== 'string' || body.model === '') {
    throw new ApiError(400, 'you must provide a model parameter', 'model', 'missing_required_parameter');
  }
  return body;
}

function checkOptionalInt(body, name, min, max) {
  const v = body[name];
  if (v === undefined || v === null) return;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ApiError(400, `Invalid '${name}': expected an integer between ${min} and ${max}, got ${JSON.stringify(v)}.`,
      name, 'invalid_value');
  }
}

function validateMessages(messages) {
  if (messages === undefined || messages === null) {
    throw new ApiError(400, "Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  if (!Array.isArray(messages)) {
    throw new ApiError(400, "Invalid type for 'messages': expected an array.", 'messages', 'invalid_type');
  }
  if (messages.length === 0) {
    throw new ApiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      'messages', 'empty_array');
  }
  messages.forEach((m, i) => {
    const role = m && typeof m === 'object' ? m.role : undefined;
    if (!ROLES.has(role)) {
      throw new ApiError(400, `Invalid value: ${JSON.stringify(role ?? null)}. Supported values are: ` +
        "'system', 'developer', 'user', 'assistant', 'tool' and 'function'.", `messages[${i}].role`, 'invalid_value');
    }
    if (role === 'tool' && (typeof m.tool_call_id !== 'string' || m.tool_call_id === '')) {
      throw new ApiError(400, "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
        `messages[${i}].tool_call_id`, 'missing_required_parameter');
    }
  });
}

function validateChat(body) {
  validateMessages(body.messages);
  const t = body.temperature;
  if (t !== undefined && t !== null && (typeof t !== 'number' || t < 0 || t > 2)) {
    throw new ApiError(400, `Invalid 'temperature': expected a number between 0 and 2, got ${JSON.stringify(t)}.`,
      'temperature', 'invalid_value');
  }
  checkOptionalInt(body, 'n', 1, 128);
  checkOptionalInt(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER);
  checkOptionalInt(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new ApiError(400, "Invalid type for 'stream': expected a boolean.", 'stream', 'invalid_type');
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) throw new ApiError(400, "Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
    body.tools.forEach((tool, i) => {
      if (typeof tool?.function?.name !== 'string') {
        throw new ApiError(400, `Missing required parameter: 'tools[${i}].function.name'.`,
          `tools[${i}].function.name`, 'missing_required_parameter');
      }
    });
  }
}

// Normalises embeddings `input` into a list of texts (token arrays become "1,2,3").
function embeddingInputs(input) {
  const bad = () => new ApiError(400, "Invalid 'input': expected a non-empty string or a non-empty array.", 'input', 'invalid_value');
  if (typeof input === 'string') {
    if (input === '') throw bad();
    return [{ text: input, tokens: tokensFor(charCount(input)) }];
  }
  if (!Array.isArray(input) || input.length === 0) throw bad();
  if (input.every((x) => typeof x === 'number')) return [{ text: input.join(','), tokens: input.length }];
  return input.map((item) => {
    if (typeof item === 'string' && item !== '') return { text: item, tokens: tokensFor(charCount(item)) };
    if (Array.isArray(item) && item.length > 0) return { text: item.join(','), tokens: item.length };
    throw bad();
  });
}

// ------------------------------------------------------------- responses ---

const isReasoningModel = (model) => /^o[134]/.test(model) || model.includes('reasoner');

function forcedToolName(body) {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return null;
  const choice = body.tool_choice;
  if (choice && typeof choice === 'object') return choice.function?.name ?? body.tools[0].function.name;
  return choice === 'required' ? body.tools[0].function.name : null;
}

// The deterministic assistant text and its visible token count (see README).
function replyText(body, d) {
  if (d.huge_bytes !== undefined) {
    return { content: HUGE_PLACEHOLDER, tokens: tokensFor(d.huge_bytes), finish: 'stop' };
  }
  // echo=1: the reply is the request body without its messages, so a test can
  // assert on exactly what the client sent.
  const echoed = d.echo ? JSON.stringify({ ...body, messages: undefined }) : undefined;
  let text = d.content ?? echoed ?? `Mock reply to: ${firstChars(lastUserText(body.messages), 80)}`;
  const format = body.response_format?.type;
  if (d.content === undefined && !d.echo && (format === 'json_object' || format === 'json_schema')) {
    text = JSON.stringify({ reply: text });
  }
  text = cutAtStop(text, body.stop);
  const max = body.max_completion_tokens ?? body.max_tokens;
  const tokens = tokensFor(charCount(text));
  if (max != null && max < tokens) return { content: firstChars(text, max * 4), tokens: max, finish: 'length' };
  return { content: text, tokens, finish: 'stop' };
}

function buildCompletion(body, base, d, seq) {
  const huge = d.huge_bytes !== undefined;
  const toolName = huge ? null : forcedToolName(body);
  const n = huge ? 1 : (body.n ?? 1);
  const reply = toolName === null ? replyText(body, d) : null;
  const visible = reply ? reply.tokens : tokensFor(charCount(toolName) + 2);
  const reasoning = isReasoningModel(base) ? 2 * visible : 0;
  // Usage overrides (prompt_tokens, completion_tokens, reasoning_tokens) are
  // response totals, so billing tests can use exact, hand-checkable numbers.
  const prompt = d.prompt_tokens ?? promptTokens(body.messages);
  const reasoningTotal = d.reasoning_tokens ?? n * reasoning;
  const completion = d.completion_tokens ?? n * visible + reasoningTotal;

  const choices = [];
  for (let index = 0; index < n; index++) {
    const message = { role: 'assistant', content: reply ? reply.content : null, refusal: null };
    if (!reply) {
      const id = index === 0 ? `call_${seq}` : `call_${seq}_${index}`;
      message.tool_calls = [{ id, type: 'function', function: { name: toolName, arguments: '{}' } }];
    }
    choices.push({ index, message, logprobs: null, finish_reason: reply ? reply.finish : 'tool_calls' });
  }
  return {
    id: `chatcmpl-${seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: base,
    system_fingerprint: 'fp_mock',
    choices,
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: Math.min(d.cached ?? 0, prompt), audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: reasoningTotal, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0,
      },
    },
  };
}

// Splits text into up to `pieces` parts on code point boundaries.
function splitPieces(text, pieces) {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / pieces));
  const out = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

// Renders a completion as the SSE events OpenAI sends for `stream: true`.
function sseEvents(completion, includeUsage) {
  const { id, created, model, system_fingerprint: fp } = completion;
  const event = (choices, usage) => {
    const chunk = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: fp, choices };
    if (includeUsage) chunk.usage = usage;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  };
  const delta = (index, d, finish = null) => event([{ index, delta: d, logprobs: null, finish_reason: finish }], null);

  const events = [];
  for (const { index, message, finish_reason: finish } of completion.choices) {
    if (message.tool_calls) {
      const call = message.tool_calls[0];
      events.push(delta(index, { role: 'assistant', content: null, tool_calls: [
        { index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
      events.push(delta(index, { tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }] }));
    } else {
      events.push(delta(index, { role: 'assistant', content: '', refusal: null }));
      for (const piece of splitPieces(message.content, 3)) events.push(delta(index, { content: piece }));
    }
    events.push(delta(index, {}, finish));
  }
  if (includeUsage) events.push(event([], completion.usage));
  events.push('data: [DONE]\n\n');
  return events;
}

// Eight deterministic floats in [-1, 1] derived from the text (FNV-1a seed + xorshift mixing).
function embeddingVector(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const v = [];
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
    v.push(Math.round(((h >>> 0) / 0xffffffff * 2 - 1) * 1e6) / 1e6);
  }
  return v;
}

function buildEmbeddings(body, base) {
  const inputs = embeddingInputs(body.input);
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new ApiError(400, "Invalid 'encoding_format': expected 'float' or 'base64'.", 'encoding_format', 'invalid_value');
  }
  const data = inputs.map(({ text }, index) => {
    const vector = embeddingVector(text);
    const embedding = format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((sum, x) => sum + x.tokens, 0);
  return { object: 'list', data, model: base, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function modelList() {
  return { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'mock' })) };
}

// ----------------------------------------------------------------- state ---

// Fixed-size ring of the most recent request records.
class Ring {
  constructor(capacity) {
    this.items = new Array(capacity);
    this.clear();
  }

  clear() {
    this.items.fill(undefined);
    this.next = 0;
    this.size = 0;
  }

  push(item) {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.items.length;
    this.size = Math.min(this.size + 1, this.items.length);
  }

  // The last `limit` items, oldest first.
  last(limit) {
    const count = Math.min(limit, this.size);
    const out = [];
    for (let i = count; i > 0; i--) out.push(this.items[(this.next - i + this.items.length) % this.items.length]);
    return out;
  }
}

class MockState {
  constructor(keys) {
    this.keys = new Set(keys);
    this.recordings = new Ring(RING_SIZE);
    this.connectionsOpen = 0;
    // Bumped by reset so that connections and aborts from before it stop counting.
    this.epoch = 0;
    this.reset();
  }

  reset() {
    this.epoch++;
    this.seq = 0;
    this.connectionsTotal = 0;
    this.requestsTotal = 0;
    this.requestsByPath = Object.create(null);
    this.abortedPending = 0;
    this.failCounts = new Map();
    this.recordings.clear();
  }

  stats() {
    return {
      connections_total: this.connectionsTotal,
      connections_open: this.connectionsOpen,
      requests_total: this.requestsTotal,
      requests_by_path: this.requestsByPath,
      aborted_pending: this.abortedPending,
    };
  }

  // Counts a connection the first time it carries an API request (per reset epoch),
  // so admin-only connections never show up in connections_total.
  noteConnection(socket) {
    if (socket.mockEpoch === this.epoch) return;
    if (socket.mockEpoch === undefined) {
      this.connectionsOpen++;
      socket.once('close', () => this.connectionsOpen--);
    }
    socket.mockEpoch = this.epoch;
    this.connectionsTotal++;
  }

  // True while a `fail_first=K` request is still among the first K for its key.
  shouldFail(directives, failKey) {
    if (directives.fail_first === undefined) return true;
    const n = (this.failCounts.get(failKey) ?? 0) + 1;
    this.failCounts.set(failKey, n);
    return n <= directives.fail_first;
  }

  authError(req) {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      return new ApiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization " +
        'header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from ' +
        'https://platform.openai.com/account/api-keys.');
    }
    if (this.keys.size > 0 && !this.keys.has(match[1])) {
      return new ApiError(401, `Incorrect API key provided: ${maskKey(match[1])}. You can find your API key at ` +
        'https://platform.openai.com/account/api-keys.', null, 'invalid_api_key');
    }
    return null;
  }
}

// -------------------------------------------------------------- sending ---

// Request headers as recorded: lowercased (Node already does that) with secrets masked.
function recordedHeaders(headers) {
  const out = { ...headers };
  for (const name of SECRET_HEADERS) {
    const v = out[name];
    if (typeof v !== 'string') continue;
    const bearer = /^(Bearer\s+)(.*)$/i.exec(v);
    out[name] = bearer ? bearer[1] + maskKey(bearer[2]) : maskKey(v);
  }
  return out;
}

function presentedKey(req) {
  const m = /^Bearer\s+(\S+)/i.exec(req.headers.authorization || '');
  return m ? m[1] : '';
}

function writeHead(ctx, status, headers) {
  ctx.record.status = status;
  const all = { 'x-request-id': `req_${ctx.seq}`, 'openai-processing-ms': String(Date.now() - ctx.start), ...headers };
  if (status >= 400) Object.assign(all, ctx.retryHeaders);
  ctx.res.writeHead(status, all);
}

function sendRaw(ctx, status, contentType, body) {
  writeHead(ctx, status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  ctx.res.end(body);
}

function sendJson(ctx, status, value) {
  sendRaw(ctx, status, 'application/json', JSON.stringify(value));
}

// The mock itself kills the connection; that must not count as a client abort.
function destroySocket(ctx) {
  ctx.selfDestroyed = true;
  ctx.req.socket.destroy();
}

// Announces the full length but delivers half, then cuts the connection.
function sendTruncated(ctx, contentType, body, withLength) {
  const buf = Buffer.from(body);
  const headers = { 'content-type': contentType };
  if (withLength) headers['content-length'] = buf.length;
  writeHead(ctx, 200, headers);
  ctx.res.write(buf.subarray(0, buf.length >> 1), () => destroySocket(ctx));
}

// Streams `size` bytes of content between the JSON head and tail, honouring
// back-pressure so that hundreds of megabytes never sit in memory.
function sendHuge(ctx, completion, size) {
  const json = JSON.stringify(completion);
  const at = json.indexOf(HUGE_PLACEHOLDER);
  const head = Buffer.from(json.slice(0, at));
  const tail = Buffer.from(json.slice(at + HUGE_PLACEHOLDER.length));
  writeHead(ctx, 200, { 'content-type': 'application/json', 'content-length': head.length + size + tail.length });
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

function sendStream(ctx, completion, includeUsage) {
  writeHead(ctx, 200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  // Separate writes so clients see the events arrive in several network chunks.
  for (const e of sseEvents(completion, includeUsage)) ctx.res.write(e);
  ctx.res.end();
}

// --------------------------------------------------------------- routing ---

function apiRoute(method, pathname) {
  if (method === 'POST' && pathname.endsWith('/chat/completions')) return 'chat';
  if (method === 'POST' && pathname.endsWith('/embeddings')) return 'embeddings';
  if (method === 'GET' && pathname.endsWith('/models')) return 'models';
  return null;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Answers with one of the "broken provider" behaviours; returns false if none applies.
function sendFault(ctx, d, base) {
  if (d.drop) destroySocket(ctx);
  else if (d.hang) return true; // the socket stays open until the client gives up
  else if (d.malformed) sendRaw(ctx, 200, 'application/json', MALFORMED_BODY);
  else if (d.empty) sendRaw(ctx, 200, 'application/json', '');
  else if (d.html) sendRaw(ctx, 502, 'text/html', HTML_502);
  else if (d.status >= 400) sendJson(ctx, d.status, statusErrorBody(d.status, base, presentedKey(ctx.req), d));
  else return false;
  return true;
}

function sendChat(ctx, body, base, d, faulty) {
  validateChat(body);
  const completion = buildCompletion(body, base, d, ctx.seq);
  if (d.huge_bytes !== undefined) return sendHuge(ctx, completion, d.huge_bytes);
  const includeUsage = body.stream_options?.include_usage === true;
  if (faulty && d.truncate) {
    return body.stream
      ? sendTruncated(ctx, 'text/event-stream; charset=utf-8', sseEvents(completion, includeUsage).join(''), false)
      : sendTruncated(ctx, 'application/json', JSON.stringify(completion), true);
  }
  if (body.stream) return sendStream(ctx, completion, includeUsage);
  return sendJson(ctx, 200, completion);
}

async function handleApi(state, ctx, route, pathname) {
  const parsed = parseBody(await readBody(ctx.req));
  ctx.record.body = parsed.ok ? parsed.value : parsed.text || null;

  let directives = {};
  let base = null;
  let failKey = null;
  let directiveError = null;
  try {
    ({ directives, base, failKey } = readDirectives(parsed.value));
  } catch (err) {
    directiveError = err;
  }
  ctx.retryHeaders = retryHeaders(directives);
  const latency = directives.latency_ms ?? state.defaultLatencyMs;
  if (latency) await sleep(latency);
  if (ctx.closed) return;

  if (!route) {
    return sendJson(ctx, 404, openAiError(`Invalid URL (${ctx.req.method} ${pathname})`, 'invalid_request_error'));
  }
  const authError = state.authError(ctx.req);
  if (authError) throw authError;
  if (directiveError) throw directiveError;
  if (route === 'models') return sendJson(ctx, 200, modelList());

  const faulty = state.shouldFail(directives, failKey);
  if (faulty && sendFault(ctx, directives, base)) return;

  const body = requireJsonObject(ctx.req, parsed);
  if (route === 'chat') return sendChat(ctx, body, base, directives, faulty);
  const embeddings = buildEmbeddings(body, base);
  if (faulty && directives.truncate) return sendTruncated(ctx, 'application/json', JSON.stringify(embeddings), true);
  return sendJson(ctx, 200, embeddings);
}

function onApiRequest(state, req, res, pathname) {
  state.noteConnection(req.socket);
  state.requestsTotal++;
  state.requestsByPath[pathname] = (state.requestsByPath[pathname] ?? 0) + 1;
  const seq = ++state.seq;
  const record = { seq, method: req.method, path: req.url, headers: recordedHeaders(req.headers), body: null, aborted: false, status: null };
  state.recordings.push(record);
  const ctx = { req, res, seq, record, start: Date.now(), epoch: state.epoch, closed: false, selfDestroyed: false, retryHeaders: {} };

  res.on('close', () => {
    ctx.closed = true;
    if (res.writableFinished || ctx.selfDestroyed) return;
    record.aborted = true;
    if (ctx.epoch === state.epoch) state.abortedPending++;
  });

  handleApi(state, ctx, apiRoute(req.method, pathname), pathname).catch((err) => {
    if (ctx.closed) return;
    if (res.headersSent) return destroySocket(ctx);
    if (err instanceof ApiError) return sendJson(ctx, err.status, err.body());
    process.stderr.write(`mock provider: ${err.stack || err}\n`);
    sendJson(ctx, 500, openAiError('The server had an error while processing your request.', 'server_error'));
  });
}

function onAdminRequest(state, req, res, pathname, query) {
  req.resume();
  const reply = (status, value) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  switch (`${req.method} ${pathname}`) {
    case 'GET /_mock/health':
      return reply(200, { ok: true });
    case 'GET /_mock/stats':
      return reply(200, state.stats());
    case 'GET /_mock/requests': {
      const limit = Number(new URLSearchParams(query).get('limit') ?? RING_SIZE);
      return reply(200, state.recordings.last(Number.isInteger(limit) && limit >= 0 ? limit : RING_SIZE));
    }
    case 'POST /_mock/reset':
      state.reset();
      return reply(200, { ok: true });
    default:
      return reply(404, { error: { message: `Unknown admin endpoint ${req.method} ${pathname}` } });
  }
}

function createMockServer({ keys = [], defaultLatencyMs = 0 } = {}) {
  const state = new MockState(keys);
  state.defaultLatencyMs = defaultLatencyMs;
  const server = http.createServer({ keepAlive: true, noDelay: true, requestTimeout: 0 }, (req, res) => {
    const q = req.url.indexOf('?');
    const pathname = q < 0 ? req.url : req.url.slice(0, q);
    if (pathname.startsWith('/_mock/')) onAdminRequest(state, req, res, pathname, q < 0 ? '' : req.url.slice(q + 1));
    else onApiRequest(state, req, res, pathname);
  });
  // Long idle keep-alive like real providers; requestTimeout 0 lets `hang` hang.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  return { server, state };
}

// ------------------------------------------------------------------- CLI ---

const USAGE = 'usage: mock_provider.js [--port N] [--host ADDR] [--port-file F] [--pid-file F] [--key KEY]... [--latency-ms N] [--quiet]';

function parseArgs(argv) {
  const opts = { port: 0, host: '127.0.0.1', portFile: null, pidFile: null, keys: [], latencyMs: 0, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`missing value for ${arg}`);
      return argv[++i];
    };
    if (arg === '--port') opts.port = Number(value());
    else if (arg === '--host') opts.host = value();
    else if (arg === '--port-file') opts.portFile = value();
    else if (arg === '--pid-file') opts.pidFile = value();
    else if (arg === '--key') opts.keys.push(value());
    else if (arg === '--latency-ms') opts.latencyMs = Number(value());
    else if (arg === '--quiet') opts.quiet = true;
    else if (arg === '--help' || arg === '-h') { process.stdout.write(`${USAGE}\n`); process.exit(0); }
    else fail(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) fail('--port must be an integer 0..65535');
  return opts;
}

function fail(message) {
  process.stderr.write(`mock provider: ${message}\n${USAGE}\n`);
  process.exit(2);
}

// Readers poll for these files, so they must never see a partial write.
function writeFileAtomic(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { server, state } = createMockServer({ keys: opts.keys, defaultLatencyMs: opts.latencyMs });
  const say = (line) => { if (!opts.quiet) process.stdout.write(`${line}\n`); };
  // A harness that stops reading our stdout must not take the mock down (EPIPE).
  process.stdout.on('error', () => {});

  server.on('error', (err) => {
    process.stderr.write(`mock provider: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    if (opts.pidFile) writeFileAtomic(opts.pidFile, `${process.pid}\n`);
    if (opts.portFile) writeFileAtomic(opts.portFile, `${port}\n`);
    say(`mock provider listening on ${opts.host}:${port}`);
  });

  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    // Stale files would make the next run's readiness check pass too early.
    for (const file of [opts.portFile, opts.pidFile]) if (file) fs.rmSync(file, { force: true });
    const s = state.stats();
    say(`mock provider stopped: requests_total=${s.requests_total} connections_total=${s.connections_total}`);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (require.main === module) main();

module.exports = { createMockServer };
