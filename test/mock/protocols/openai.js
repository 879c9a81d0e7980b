'use strict';
// OpenAI wire protocol: chat completions (JSON and SSE), embeddings, models.

const {
  HttpError, maskKey, splitModel, parseDirectives, charCount, tokensFor, messageTokens, mockReply,
  decideToolCall, splitPieces, isJsonContentType, sendJson, sendStreamed, sendJsonAnswer, sendJsonText,
} = require('../lib/common');
const { tagDirectives, embeddingVector, writeVectorJson } = require('../lib/embeddings');
const { structuredAnswer, toolArguments } = require('../lib/structured');

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'o3-mini', 'deepseek-reasoner', 'text-embedding-3-small'];
const MALFORMED_BODY = '{"id": "chatcmpl-1", "choices": [ {oops';
// The embeddings limits OpenAI documents for every embedding model.
const EMBEDDING_LIMITS = { inputs: 2048, inputTokens: 8192, requestTokens: 300000, dimensions: 3072 };
const DEFAULT_EMBEDDING_DIMENSIONS = 8;

// ---------------------------------------------------------------- errors ---

function openAiError(message, type, code = null, param = null) {
  return { error: { message, type, param, code } };
}

// A 4xx the mock answers with an OpenAI-style error body.
class ApiError extends HttpError {
  constructor(status, message, param = null, code = null, type = 'invalid_request_error') {
    super(status, openAiError(message, type, code, param));
    Object.assign(this, { param, code, type });
    this.message = message;
  }

  body() {
    return this.payload;
  }
}

function retryHint(d) {
  if (d.retry_after !== undefined) return `${d.retry_after}s`;
  if (d.retry_after_ms !== undefined) return `${d.retry_after_ms}ms`;
  return '1s';
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

function presentedKey(req) {
  const m = /^Bearer\s+(\S+)/i.exec(req.headers.authorization || '');
  return m ? m[1] : '';
}

// ------------------------------------------------------------ directives ---

// Directives from the model name, metadata.mock and a `[[mock:...]]` tag in
// the last user message (so that each request of a batch, which share their
// options, can ask for its own); later sources win on conflicts.
const MESSAGE_TAG = /\[\[mock:([^\]]*)\]\]/;

function messageDirectives(body) {
  const messages = body && Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.role === 'user') {
      const tag = typeof m.content === 'string' && m.content.includes('[[mock:') ? MESSAGE_TAG.exec(m.content) : null;
      return tag ? tag[1] : '';
    }
  }
  return '';
}

// Embeddings: `[[mock:...]]` tags in any string input apply to the whole
// request, so one packed request can be failed or slowed on its own.
function inputDirectives(body) {
  const input = body ? body.input : undefined;
  if (typeof input === 'string') return tagDirectives([input]);
  return Array.isArray(input) ? tagDirectives(input) : '';
}

// `failKey` is only read for `fail_first`, so only such requests build it.
function readDirectives(body, modelSource = 'model', modelOverride = undefined) {
  const modelName = modelOverride !== undefined ? modelOverride : body && typeof body.model === 'string' ? body.model : null;
  const model = modelName !== null ? splitModel(modelName) : { base: null, query: '' };
  const meta = body && body.metadata && typeof body.metadata.mock === 'string' ? body.metadata.mock : '';
  const inText = messageDirectives(body);
  const inInputs = inputDirectives(body);
  const directives = parseDirectives([[modelSource, model.query], ['metadata.mock', meta], ['message', inText], ['input', inInputs]]);
  const failKey = directives.fail_first === undefined ? null : `${model.base}?${model.query}|${meta}|${inText}|${inInputs}`;
  return { base: model.base, directives, failKey };
}

// ------------------------------------------------------------ validation ---

function requireJsonObject(req, parsed, { requireModel = true } = {}) {
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
  if (requireModel && (typeof body.model !== 'string' || body.model === '')) {
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
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const role = m && typeof m === 'object' ? m.role : undefined;
    if (!ROLES.has(role)) {
      throw new ApiError(400, `Invalid value: ${JSON.stringify(role ?? null)}. Supported values are: ` +
        "'system', 'developer', 'user', 'assistant', 'tool' and 'function'.", `messages[${i}].role`, 'invalid_value');
    }
    if (role === 'tool' && (typeof m.tool_call_id !== 'string' || m.tool_call_id === '')) {
      throw new ApiError(400, "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
        `messages[${i}].tool_call_id`, 'missing_required_parameter');
    }
  }
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
  checkOptionalInt(body, 'top_logprobs', 0, 20);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new ApiError(400, "Invalid type for 'stream': expected a boolean.", 'stream', 'invalid_type');
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) throw new ApiError(400, "Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
    for (let i = 0; i < body.tools.length; i++) {
      if (typeof body.tools[i]?.function?.name !== 'string') {
        throw new ApiError(400, `Missing required parameter: 'tools[${i}].function.name'.`,
          `tools[${i}].function.name`, 'missing_required_parameter');
      }
    }
  }
}

// Normalises embeddings `input` into a list of texts (token arrays become
// "1,2,3") with their token counts: ceil(chars / 4) for a string, the length
// of a token array.
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

// OpenAI's documented limits; each is a 400 naming the limit, param `input`.
function checkEmbeddingLimits(inputs) {
  const limit = (message) => new ApiError(400, message, 'input');
  if (inputs.length > EMBEDDING_LIMITS.inputs) {
    throw limit(`Invalid 'input': array too long. Expected an array with maximum length ${EMBEDDING_LIMITS.inputs}, ` +
      `but got an array with length ${inputs.length} instead.`);
  }
  for (const { tokens } of inputs) {
    if (tokens > EMBEDDING_LIMITS.inputTokens) {
      throw limit(`This model's maximum context length is ${EMBEDDING_LIMITS.inputTokens} tokens, however you requested ` +
        `${tokens} tokens (${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`);
    }
  }
  const total = inputs.reduce((sum, x) => sum + x.tokens, 0);
  if (total > EMBEDDING_LIMITS.requestTokens) {
    throw limit(`Requested ${total} tokens, max ${EMBEDDING_LIMITS.requestTokens} tokens per request`);
  }
  return total;
}

function embeddingDimensions(v) {
  if (v === undefined || v === null) return DEFAULT_EMBEDDING_DIMENSIONS;
  if (!Number.isInteger(v)) {
    throw new ApiError(400, `Invalid type for 'dimensions': expected an integer, but got ${JSON.stringify(v)} instead.`,
      'dimensions', 'invalid_type');
  }
  if (v < 1) {
    throw new ApiError(400, `Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got ${v} instead.`,
      'dimensions', 'integer_below_min_value');
  }
  if (v > EMBEDDING_LIMITS.dimensions) {
    throw new ApiError(400, `Invalid 'dimensions': integer above maximum value. Expected a value <= ${EMBEDDING_LIMITS.dimensions}, ` +
      `but got ${v} instead.`, 'dimensions', 'integer_above_max_value');
  }
  return v;
}

// ------------------------------------------------------------- responses ---

// Text of a message content: a string, or the text parts of a content array joined by "\n".
function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((p) => p && typeof p.text === 'string').map((p) => p.text).join('\n');
}

function promptTokens(messages) {
  let total = 0;
  for (const m of messages) total += messageTokens(contentText(m.content));
  return total;
}

function lastUserText(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') return contentText(messages[i].content);
  }
  return '';
}

const isReasoningModel = (model) => /^o[134]/.test(model) || model.includes('reasoner');

// tool_choice -> the common tool mode (see decideToolCall).
function toolMode(body) {
  const choice = body.tool_choice;
  if (choice && typeof choice === 'object') return { name: choice.function?.name ?? body.tools[0].function.name };
  if (choice === 'required' || choice === 'none') return choice;
  return 'auto';
}

const NO_TOOLS = Object.freeze([]);

function buildCompletion(body, base, d, seq) {
  const huge = d.huge_bytes !== undefined;
  const names = Array.isArray(body.tools) ? body.tools.map((t) => t.function.name) : NO_TOOLS;
  const userText = lastUserText(body.messages);
  const toolSchema = (name) => body.tools.find((t) => t.function.name === name)?.function?.parameters;
  const call = decideToolCall(names, names.length ? toolMode(body) : 'auto', d,
    (name) => toolArguments('openai', toolSchema(name), userText, d));
  const n = huge ? 1 : (body.n ?? 1);
  const format = body.response_format?.type;
  const schema = format === 'json_schema' ? body.response_format.json_schema?.schema : undefined;
  const reply = call === null ? mockReply({
    prompt: userText, d, echo: d.echo ? () => ({ ...body, messages: undefined }) : undefined,
    json: format === 'json_object' || format === 'json_schema', stop: body.stop,
    structured: isObject(schema) ? () => structuredAnswer('openai', schema, userText, d) : undefined,
    max: body.max_completion_tokens ?? body.max_tokens,
  }) : null;
  const filtered = d.safety !== undefined && call === null && !huge;
  const visible = filtered ? 0 : reply ? reply.tokens : call.tokens;
  const reasoning = isReasoningModel(base) ? 2 * visible : 0;
  // Usage overrides (prompt_tokens, completion_tokens, reasoning_tokens) are
  // response totals, so billing tests can use exact, hand-checkable numbers.
  const prompt = d.prompt_tokens ?? promptTokens(body.messages);
  const reasoningTotal = d.reasoning_tokens ?? n * reasoning;
  const completion = d.completion_tokens ?? n * visible + reasoningTotal;

  const choices = [];
  for (let index = 0; index < n; index++) {
    const message = { role: 'assistant', content: reply && !filtered ? reply.text : null, refusal: null };
    let finish = reply ? (reply.finish === 'length' ? 'length' : 'stop') : 'tool_calls';
    if (filtered) finish = 'content_filter';
    if (call) {
      const id = index === 0 ? `call_${seq}` : `call_${seq}_${index}`;
      message.tool_calls = [{ id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } }];
    }
    const logprobs = body.logprobs === true ? replyLogprobs(message.content, body.top_logprobs ?? 0) : null;
    choices.push({ index, message, logprobs, finish_reason: finish });
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

// `logprobs: true` (with `top_logprobs: K`): one entry per word of the reply,
// the word keeping the space before it as OpenAI's tokens do, and made-up
// log probabilities small enough that JSON writes them with an exponent
// (-1.5e-7), as OpenAI's answers often carry them. The top K alternatives
// start with the token itself. Streamed chunks carry logprobs: null.
function replyLogprobs(text, top) {
  if (typeof text !== 'string') return null;
  const entry = (token, logprob) => ({ token, logprob, bytes: [...Buffer.from(token, 'utf8')] });
  const content = (text.match(/\s*\S+/g) ?? []).map((token, i) => {
    const logprob = -(i + 1) * 1.5e-7;
    const alternatives = [];
    for (let k = 0; k < top; k++) alternatives.push(k === 0 ? entry(token, logprob) : entry(`${token}~${k}`, logprob - 2.5 * k));
    return { ...entry(token, logprob), top_logprobs: alternatives };
  });
  return { content, refusal: null };
}

// Renders a completion as the SSE events OpenAI sends for `stream: true`.
// `decorate(chunk, choice)` lets Azure add its content filter annotations.
function sseEvents(completion, includeUsage, decorate = (chunk) => chunk) {
  const { id, created, model, system_fingerprint: fp } = completion;
  const event = (choices, usage) => {
    const chunk = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: fp, choices };
    if (includeUsage) chunk.usage = usage;
    return `data: ${JSON.stringify(decorate(chunk))}\n\n`;
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
      for (const piece of splitPieces(message.content ?? '', 3)) events.push(delta(index, { content: piece }));
    }
    events.push(delta(index, {}, finish));
  }
  if (includeUsage) events.push(event([], completion.usage));
  events.push('data: [DONE]\n\n');
  return events;
}

const EMBEDDINGS_HEAD = Buffer.from('{"object":"list","data":[');
const EMBEDDING_ITEM_HEAD = Buffer.from('{"object":"embedding","index":');
const EMBEDDING_ITEM_FIELD = Buffer.from(',"embedding":');

// The answer, as the JSON bytes of
//   { object: 'list', data: [{ object: 'embedding', index: i, embedding }, ...], model, usage }
// with one vector per input, in input order, each depending only on its text
// and `dimensions` (see lib/embeddings.js). The `prompt_tokens` directive
// overrides the reported usage. The bytes are written directly rather than by
// JSON.stringify, which is several times slower on float vectors (see
// writeVectorJson).
function buildEmbeddings(body, base, d = {}) {
  const inputs = embeddingInputs(body.input);
  const tokens = checkEmbeddingLimits(inputs);
  const dimensions = embeddingDimensions(body.dimensions);
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new ApiError(400, "Invalid 'encoding_format': expected 'float' or 'base64'.", 'encoding_format', 'invalid_value');
  }
  const reported = d.prompt_tokens ?? tokens;
  const tail = Buffer.from(`],"model":${JSON.stringify(base)},"usage":${JSON.stringify({ prompt_tokens: reported, total_tokens: reported })}}`);
  const vectorBytes = format === 'base64' ? 2 + 4 * Math.ceil((4 * dimensions) / 3) : 2 + 10 * dimensions;
  const itemBytes = EMBEDDING_ITEM_HEAD.length + String(inputs.length).length + EMBEDDING_ITEM_FIELD.length + vectorBytes + 2;
  const buf = Buffer.allocUnsafe(EMBEDDINGS_HEAD.length + inputs.length * itemBytes + tail.length);
  let pos = EMBEDDINGS_HEAD.copy(buf, 0);
  for (let index = 0; index < inputs.length; index++) {
    if (index > 0) buf[pos++] = 0x2c; // ,
    pos += EMBEDDING_ITEM_HEAD.copy(buf, pos);
    pos += buf.latin1Write(String(index), pos);
    pos += EMBEDDING_ITEM_FIELD.copy(buf, pos);
    const vector = embeddingVector(inputs[index].text, { dimensions });
    if (format === 'base64') {
      pos += buf.latin1Write(`"${Buffer.from(new Float32Array(vector).buffer).toString('base64')}"`, pos);
    } else {
      pos = writeVectorJson(buf, pos, vector);
    }
    buf[pos++] = 0x7d; // }
  }
  pos += tail.copy(buf, pos);
  return buf.subarray(0, pos);
}

function modelList() {
  return { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'mock' })) };
}

// Sends a chat completion (JSON, SSE, huge or truncated).
function sendCompletion(ctx, body, completion, d, faulty, decorate) {
  if (d.huge_bytes !== undefined) return sendJsonAnswer(ctx, completion, d, faulty);
  if (body.stream) {
    const includeUsage = body.stream_options?.include_usage === true;
    const events = sseEvents(completion, includeUsage, decorate);
    return sendStreamed(ctx, 'text/event-stream; charset=utf-8', events, faulty && d.truncate);
  }
  return sendJsonAnswer(ctx, completion, d, faulty);
}

// -------------------------------------------------------------- protocol ---

function authenticate(state, ctx) {
  const header = ctx.req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) {
    throw new ApiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization " +
      'header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from ' +
      'https://platform.openai.com/account/api-keys.');
  }
  if (state.keys.size > 0 && !state.keys.has(match[1])) {
    throw new ApiError(401, `Incorrect API key provided: ${maskKey(match[1])}. You can find your API key at ` +
      'https://platform.openai.com/account/api-keys.', null, 'invalid_api_key');
  }
}

const protocol = {
  name: 'openai',

  match(method, pathname) {
    if (method === 'POST' && pathname.endsWith('/chat/completions')) return { kind: 'chat' };
    if (method === 'POST' && pathname.endsWith('/embeddings')) return { kind: 'embeddings' };
    if (method === 'GET' && pathname.endsWith('/models')) return { kind: 'models' };
    return null;
  },

  baseHeaders(ctx) {
    return { 'x-request-id': `req_${ctx.seq}`, 'openai-processing-ms': String(Date.now() - ctx.start) };
  },

  readDirectives(route, parsed) {
    return readDirectives(parsed.value);
  },

  directiveError(err) {
    return new ApiError(400, err.message, err.source === 'tool_call' ? null : err.source);
  },

  authenticate,

  statusError(status, base, d, ctx) {
    return { body: statusErrorBody(status, base, presentedKey(ctx.req), d), headers: {} };
  },

  malformedBody: MALFORMED_BODY,

  respond(ctx, route, parsed, base, d, faulty) {
    if (route.kind === 'models') return sendJson(ctx, 200, modelList());
    const body = requireJsonObject(ctx.req, parsed);
    if (route.kind === 'chat') {
      validateChat(body);
      return sendCompletion(ctx, body, buildCompletion(body, base, d, ctx.seq), d, faulty);
    }
    return sendJsonText(ctx, buildEmbeddings(body, base, d), d, faulty);
  },

  notFound(ctx, pathname) {
    return sendJson(ctx, 404, openAiError(`Invalid URL (${ctx.req.method} ${pathname})`, 'invalid_request_error'));
  },

  internalError() {
    return new ApiError(500, 'The server had an error while processing your request.', null, null, 'server_error');
  },
};

module.exports = {
  protocol, ApiError, openAiError, statusErrorBody, readDirectives, requireJsonObject, validateChat,
  buildCompletion, buildEmbeddings, sendCompletion, sseEvents, promptTokens, contentText, EMBEDDING_LIMITS,
};
