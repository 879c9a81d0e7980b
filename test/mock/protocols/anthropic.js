'use strict';
// Anthropic Messages API: POST /v1/messages (JSON and SSE) and
// POST /v1/messages/count_tokens, with the API's validation and error shapes.

const {
  HttpError, splitModel, parseDirectives, firstChars, messageTokens, mockReply, decideToolCall,
  splitPieces, isJsonContentType, isObject, sniffImage, decodeBase64, sendJson, sendStreamed, sendJsonAnswer,
} = require('../lib/common');
const { toolArguments } = require('../lib/structured');

const VERSIONS = new Set(['2023-06-01', '2023-01-01']);
const MALFORMED_BODY = '{"id": "msg_1", "type": "message", "role": "assistant", "content": [ {oops';
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const TOOL_USE_ID = /^[a-zA-Z0-9_-]+$/;
const DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

const MESSAGE_FIELDS = new Set(['model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream',
  'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'thinking', 'service_tier']);
const COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking']);

// ---------------------------------------------------------------- errors ---

// {"type":"error","error":{"type":...,"message":...},"request_id":"req_..."}
class AnthropicError extends HttpError {
  constructor(status, type, message, headers = {}) {
    super(status, { type: 'error', error: { type, message } }, headers);
    this.message = message;
  }

  render(ctx) {
    return { ...this.payload, request_id: `req_${ctx.seq}` };
  }
}

const invalid = (message) => new AnthropicError(400, 'invalid_request_error', message);

function statusError(status, base, d, ctx) {
  const body = (type, message) => ({ type: 'error', error: { type, message }, request_id: `req_${ctx.seq}` });
  switch (status) {
    case 400: return { body: body('invalid_request_error', 'Invalid request (mock status=400).'), headers: {} };
    case 401: return { body: body('authentication_error', 'invalid x-api-key'), headers: {} };
    case 402: return { body: body('billing_error', 'Your credit balance is too low to access the Anthropic API.'), headers: {} };
    case 403:
      return { body: body('permission_error', 'Your API key does not have permission to use the specified resource.'), headers: {} };
    case 404: return { body: body('not_found_error', `model: ${base}`), headers: {} };
    case 413: return { body: body('request_too_large', 'Request exceeds the maximum allowed number of bytes.'), headers: {} };
    case 429:
      return {
        body: body('rate_limit_error', 'This request would exceed the rate limit for your organization (mock-org) of ' +
          '50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the ' +
          'response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try ' +
          'again later.'),
        // Anthropic always tells the client when to retry a 429.
        headers: ctx.retryHeaders['retry-after'] ? {} : { 'retry-after': String(d.retry_after ?? 1) },
      };
    case 500: return { body: body('api_error', 'Internal server error'), headers: {} };
    case 504: return { body: body('timeout_error', 'Request timed out'), headers: {} };
    case 529: return { body: body('overloaded_error', 'Overloaded'), headers: {} };
    default:
      return status >= 500
        ? { body: body('api_error', `Mock error (HTTP ${status}).`), headers: {} }
        : { body: body('invalid_request_error', `Mock error (HTTP ${status}).`), headers: {} };
  }
}

// ------------------------------------------------------------ validation ---

function rejectExtra(obj, allowed, path) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw invalid(`${path}${path ? '.' : ''}${key}: Extra inputs are not permitted`);
  }
}

function requireString(obj, key, path) {
  if (obj[key] === undefined) throw invalid(`${path}.${key}: Field required`);
  if (typeof obj[key] !== 'string') throw invalid(`${path}.${key}: Input should be a valid string`);
}

function checkNumber(body, key, min, max) {
  const v = body[key];
  if (v === undefined) return;
  if (typeof v !== 'number') throw invalid(`${key}: Input should be a valid number`);
  if (v < min) throw invalid(`${key}: Input should be greater than or equal to ${min}`);
  if (v > max) throw invalid(`${key}: Input should be less than or equal to ${max}`);
}

function checkCacheControl(block, path) {
  if (block.cache_control === undefined || block.cache_control === null) return;
  const cc = block.cache_control;
  if (!isObject(cc)) throw invalid(`${path}.cache_control: Input should be a valid dictionary or object to extract fields from`);
  if (cc.type !== 'ephemeral') throw invalid(`${path}.cache_control.type: Input should be 'ephemeral'`);
  rejectExtra(cc, ['type', 'ttl'], `${path}.cache_control.ephemeral`);
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') {
    throw invalid(`${path}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'`);
  }
}

function checkText(text) {
  if (text === '') throw invalid('messages: text content blocks must be non-empty');
  if (text.trim() === '') throw invalid('messages: text content blocks must contain non-whitespace text');
}

function checkImageSource(source, path, kind) {
  const where = `${path}.${kind}.source`;
  if (!isObject(source)) throw invalid(`${where}: Field required`);
  if (source.type === 'base64') {
    rejectExtra(source, ['type', 'media_type', 'data'], `${where}.base64`);
    const mediaTypes = kind === 'image' ? IMAGE_TYPES : ['application/pdf'];
    if (!mediaTypes.includes(source.media_type)) {
      throw invalid(`${where}.base64.media_type: Input should be ${mediaTypes.map((t) => `'${t}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}`);
    }
    const bytes = decodeBase64(source.data);
    if (bytes === null || bytes.length === 0) throw invalid(`${where}.base64.data: Invalid base64 data`);
    if (kind === 'image') {
      const actual = sniffImage(bytes);
      if (actual === null) throw invalid(`${where}.base64.data: Could not process image`);
      if (`image/${actual}` !== source.media_type) {
        throw invalid(`${where}.base64: The image was specified using the ${source.media_type} media type, but the ` +
          `image appears to be a image/${actual} image`);
      }
    } else if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
      throw invalid(`${where}.base64.data: The PDF specified was not valid.`);
    }
  } else if (source.type === 'url') {
    rejectExtra(source, ['type', 'url'], `${where}.url`);
    if (typeof source.url !== 'string' || !/^https?:\/\//.test(source.url)) throw invalid(`${where}.url.url: Input should be a valid URL`);
  } else if (source.type === 'file') {
    rejectExtra(source, ['type', 'file_id'], `${where}.file`);
    requireString(source, 'file_id', `${where}.file`);
  } else if (kind === 'document' && source.type === 'text') {
    rejectExtra(source, ['type', 'media_type', 'data'], `${where}.text`);
    if (source.media_type !== 'text/plain') throw invalid(`${where}.text.media_type: Input should be 'text/plain'`);
    requireString(source, 'data', `${where}.text`);
  } else {
    const tags = kind === 'image' ? "'base64', 'url', 'file'" : "'base64', 'text', 'url', 'file'";
    throw invalid(`${where}: Input tag '${source.type}' found using 'type' does not match any of the expected tags: ${tags}`);
  }
}

const BLOCK_TAGS = "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'";

// Validates one content block of a message; returns it unchanged.
function checkBlock(block, path, role, { nested = false } = {}) {
  if (!isObject(block)) throw invalid(`${path}: Input should be a valid dictionary or object to extract fields from`);
  const at = `${path}.${block.type}`;
  switch (block.type) {
    case 'text':
      rejectExtra(block, ['type', 'text', 'cache_control', 'citations'], at);
      requireString(block, 'text', at);
      checkText(block.text);
      break;
    case 'image':
      rejectExtra(block, ['type', 'source', 'cache_control'], at);
      checkImageSource(block.source, path, 'image');
      break;
    case 'document':
      rejectExtra(block, ['type', 'source', 'title', 'context', 'citations', 'cache_control'], at);
      checkImageSource(block.source, path, 'document');
      break;
    case 'tool_use':
      if (nested) throw invalid(`${path}: Input tag 'tool_use' found using 'type' does not match any of the expected tags: 'text', 'image', 'document'`);
      rejectExtra(block, ['type', 'id', 'name', 'input', 'cache_control'], at);
      requireString(block, 'id', at);
      if (!TOOL_USE_ID.test(block.id)) throw invalid(`${at}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
      requireString(block, 'name', at);
      if (block.input === undefined) throw invalid(`${at}.input: Field required`);
      if (!isObject(block.input)) throw invalid(`${at}.input: Input should be a valid dictionary`);
      if (role !== 'assistant') throw invalid(`${path}: \`tool_use\` blocks can only be in \`assistant\` messages`);
      break;
    case 'tool_result':
      if (nested) throw invalid(`${path}: Input tag 'tool_result' found using 'type' does not match any of the expected tags: 'text', 'image', 'document'`);
      rejectExtra(block, ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'], at);
      requireString(block, 'tool_use_id', at);
      if (!TOOL_USE_ID.test(block.tool_use_id)) throw invalid(`${at}.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
      if (block.is_error !== undefined && typeof block.is_error !== 'boolean') throw invalid(`${at}.is_error: Input should be a valid boolean`);
      if (Array.isArray(block.content)) {
        block.content.forEach((b, k) => checkBlock(b, `${at}.content.${k}`, role, { nested: true }));
      } else if (block.content !== undefined && typeof block.content !== 'string') {
        throw invalid(`${at}.content: Input should be a valid string`);
      }
      if (role !== 'user') throw invalid(`${path}: \`tool_result\` blocks can only be in \`user\` messages`);
      break;
    case 'thinking':
      rejectExtra(block, ['type', 'thinking', 'signature'], at);
      requireString(block, 'thinking', at);
      requireString(block, 'signature', at);
      if (role !== 'assistant') throw invalid(`${path}: \`thinking\` blocks can only be in \`assistant\` messages`);
      break;
    case 'redacted_thinking':
      rejectExtra(block, ['type', 'data'], at);
      requireString(block, 'data', at);
      if (role !== 'assistant') throw invalid(`${path}: \`redacted_thinking\` blocks can only be in \`assistant\` messages`);
      break;
    default:
      if (block.type === undefined) throw invalid(`${path}: Unable to extract tag using discriminator 'type'`);
      throw invalid(`${path}: Input tag '${block.type}' found using 'type' does not match any of the expected tags: ${BLOCK_TAGS}`);
  }
  checkCacheControl(block, at);
  return block;
}

const blocksOf = (content) => (typeof content === 'string' ? [{ type: 'text', text: content }] : content);

function validateMessages(messages) {
  if (messages === undefined) throw invalid('messages: Field required');
  if (!Array.isArray(messages)) throw invalid('messages: Input should be a valid list');
  if (messages.length === 0) throw invalid('messages: at least one message is required');
  messages.forEach((m, i) => {
    const path = `messages.${i}`;
    if (!isObject(m)) throw invalid(`${path}: Input should be a valid dictionary or object to extract fields from`);
    if (m.role === 'system') {
      throw invalid('messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, ' +
        'not "system" as an input message role.');
    }
    if (m.role === undefined) throw invalid(`${path}.role: Field required`);
    if (m.role !== 'user' && m.role !== 'assistant') throw invalid(`${path}.role: Input should be 'user' or 'assistant'`);
    if (m.content === undefined) throw invalid(`${path}.content: Field required`);
    rejectExtra(m, ['role', 'content'], path);
    const last = i === messages.length - 1;
    if (typeof m.content === 'string') {
      if (m.content === '' && !(last && m.role === 'assistant')) {
        throw invalid(`${path}: all messages must have non-empty content except for the optional final assistant message`);
      }
    } else if (Array.isArray(m.content)) {
      if (m.content.length === 0 && !(last && m.role === 'assistant')) {
        throw invalid(`${path}: all messages must have non-empty content except for the optional final assistant message`);
      }
      m.content.forEach((b, k) => checkBlock(b, `${path}.content.${k}`, m.role));
    } else {
      throw invalid(`${path}.content: Input should be a valid string`);
    }
    if (last && m.role === 'assistant') {
      const text = typeof m.content === 'string' ? m.content : m.content.at(-1)?.type === 'text' ? m.content.at(-1).text : '';
      if (/\s$/.test(text)) throw invalid('messages: final assistant content cannot end with trailing whitespace');
    }
  });

  // Consecutive messages with the same role form one turn (as the API does).
  const turns = [];
  messages.forEach((m, i) => {
    const prev = turns.at(-1);
    const blocks = blocksOf(m.content).map((block, k) => ({ block, i, k }));
    if (prev && prev.role === m.role) prev.blocks.push(...blocks);
    else turns.push({ role: m.role, first: i, blocks });
  });
  if (turns[0].role !== 'user') throw invalid('messages: first message must use the "user" role');
  turns.forEach((turn, t) => {
    if (turn.role !== 'user') return;
    const prev = turns[t - 1];
    const offered = new Set(prev ? prev.blocks.filter((x) => x.block.type === 'tool_use').map((x) => x.block.id) : []);
    for (const { block, i, k } of turn.blocks) {
      if (block.type === 'tool_result' && !offered.has(block.tool_use_id)) {
        throw invalid(`messages.${i}.content.${k}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ` +
          `${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
      }
    }
  });
  turns.forEach((turn, t) => {
    if (turn.role !== 'assistant' || t === turns.length - 1) return;
    const answered = new Set(turns[t + 1].blocks.filter((x) => x.block.type === 'tool_result').map((x) => x.block.tool_use_id));
    const missing = turn.blocks.filter((x) => x.block.type === 'tool_use' && !answered.has(x.block.id)).map((x) => x.block.id);
    if (missing.length > 0) {
      throw invalid(`messages.${turns[t + 1].first}: \`tool_use\` ids were found without \`tool_result\` blocks ` +
        `immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` ` +
        'block in the next message.');
    }
  });
}

function validateSystem(system) {
  if (system === undefined || system === null) return;
  if (typeof system === 'string') return;
  if (!Array.isArray(system)) throw invalid('system: Input should be a valid string');
  system.forEach((b, k) => {
    const path = `system.${k}`;
    if (!isObject(b)) throw invalid(`${path}: Input should be a valid dictionary or object to extract fields from`);
    if (b.type !== 'text') throw invalid(`${path}.type: Input should be 'text'`);
    rejectExtra(b, ['type', 'text', 'cache_control', 'citations'], path);
    requireString(b, 'text', path);
    if (b.text === '') throw invalid('system: text content blocks must be non-empty');
    checkCacheControl(b, path);
  });
}

// Server tools are versioned: web_search_20250305, bash_20250124, ...
const SERVER_TOOL = /^[a-z_]+_\d{8}$/;

function validateTools(tools) {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalid('tools: Input should be a valid list');
  const names = [];
  tools.forEach((tool, i) => {
    if (!isObject(tool)) throw invalid(`tools.${i}: Input should be a valid dictionary or object to extract fields from`);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      if (typeof tool.type !== 'string' || !SERVER_TOOL.test(tool.type)) {
        throw invalid(`tools.${i}: Input tag '${tool.type}' found using 'type' does not match any of the expected tags: ` +
          "'custom', 'bash_20250124', 'text_editor_20250728', 'web_search_20250305', 'web_fetch_20250910', 'code_execution_20250825'");
      }
      requireString(tool, 'name', `tools.${i}.${tool.type}`);
      names.push(tool.name);
      return;
    }
    const path = `tools.${i}.custom`;
    rejectExtra(tool, ['type', 'name', 'description', 'input_schema', 'cache_control'], path);
    requireString(tool, 'name', path);
    if (!TOOL_NAME.test(tool.name)) throw invalid(`${path}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    if (tool.description !== undefined && typeof tool.description !== 'string') {
      throw invalid(`${path}.description: Input should be a valid string`);
    }
    if (tool.input_schema === undefined) throw invalid(`${path}.input_schema: Field required`);
    if (!isObject(tool.input_schema)) throw invalid(`${path}.input_schema: Input should be a valid dictionary`);
    if (tool.input_schema.type !== 'object') throw invalid(`${path}.input_schema.type: Input should be 'object'`);
    checkCacheControl(tool, path);
    if (names.includes(tool.name)) throw invalid('tools: Tool names must be unique.');
    names.push(tool.name);
  });
  return names;
}

// Returns the common tool mode (see decideToolCall).
function validateToolChoice(choice, names) {
  if (choice === undefined || choice === null) return 'auto';
  if (!isObject(choice)) throw invalid('tool_choice: Input should be a valid dictionary or object to extract fields from');
  switch (choice.type) {
    case 'auto':
    case 'any':
      rejectExtra(choice, ['type', 'disable_parallel_tool_use'], `tool_choice.${choice.type}`);
      break;
    case 'tool':
      rejectExtra(choice, ['type', 'name', 'disable_parallel_tool_use'], 'tool_choice.tool');
      requireString(choice, 'name', 'tool_choice.tool');
      break;
    case 'none':
      rejectExtra(choice, ['type'], 'tool_choice.none');
      break;
    default:
      throw invalid(`tool_choice: Input tag '${choice.type}' found using 'type' does not match any of the expected tags: ` +
        "'auto', 'any', 'tool', 'none'");
  }
  if (choice.disable_parallel_tool_use !== undefined && typeof choice.disable_parallel_tool_use !== 'boolean') {
    throw invalid(`tool_choice.${choice.type}.disable_parallel_tool_use: Input should be a valid boolean`);
  }
  if ((choice.type === 'any' || choice.type === 'tool') && names.length === 0) {
    throw invalid('tool_choice: tool_choice may only be specified while providing tools.');
  }
  if (choice.type === 'tool' && !names.includes(choice.name)) {
    throw invalid(`tool_choice: Tool '${choice.name}' not found in provided tools`);
  }
  if (choice.type === 'any') return 'required';
  if (choice.type === 'tool') return { name: choice.name };
  return choice.type;
}

function validateThinking(body) {
  const t = body.thinking;
  if (t === undefined || t === null) return null;
  if (!isObject(t)) throw invalid('thinking: Input should be a valid dictionary or object to extract fields from');
  if (t.type === 'disabled') {
    rejectExtra(t, ['type'], 'thinking.disabled');
    return null;
  }
  if (t.type !== 'enabled') {
    throw invalid(`thinking: Input tag '${t.type}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled'`);
  }
  rejectExtra(t, ['type', 'budget_tokens'], 'thinking.enabled');
  if (t.budget_tokens === undefined) throw invalid('thinking.enabled.budget_tokens: Field required');
  if (!Number.isInteger(t.budget_tokens)) throw invalid('thinking.enabled.budget_tokens: Input should be a valid integer');
  if (t.budget_tokens < 1024) throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  if (body.max_tokens !== undefined && body.max_tokens <= t.budget_tokens) {
    throw invalid(`\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${DOCS}#max-tokens-and-context-window-size`);
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    throw invalid(`\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${DOCS}#feature-compatibility`);
  }
  if (body.top_k !== undefined) {
    throw invalid(`\`top_k\` must be unset when thinking is enabled. Please consult our documentation at ${DOCS}#feature-compatibility`);
  }
  if (body.top_p !== undefined && body.top_p < 0.95) {
    throw invalid(`\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at ${DOCS}#feature-compatibility`);
  }
  const choice = body.tool_choice;
  if (isObject(choice) && (choice.type === 'any' || choice.type === 'tool')) {
    throw invalid('Thinking may not be enabled when tool_choice forces tool use.');
  }
  return t;
}

// Full validation; returns what the answer needs.
function validate(body, countOnly) {
  if (body.model === undefined) throw invalid('model: Field required');
  if (typeof body.model !== 'string') throw invalid('model: Input should be a valid string');
  if (!countOnly) {
    if (body.max_tokens === undefined) throw invalid('max_tokens: Field required');
    if (!Number.isInteger(body.max_tokens)) throw invalid('max_tokens: Input should be a valid integer');
    if (body.max_tokens < 1) throw invalid('max_tokens: Input should be greater than or equal to 1');
  }
  validateMessages(body.messages);
  for (const key of Object.keys(body)) {
    if (!(countOnly ? COUNT_FIELDS : MESSAGE_FIELDS).has(key)) throw invalid(`${key}: Extra inputs are not permitted`);
  }
  validateSystem(body.system);
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    if (!Array.isArray(body.stop_sequences)) throw invalid('stop_sequences: Input should be a valid list');
    body.stop_sequences.forEach((s, k) => {
      if (typeof s !== 'string') throw invalid(`stop_sequences.${k}: Input should be a valid string`);
    });
  }
  checkNumber(body, 'temperature', 0, 1);
  checkNumber(body, 'top_p', 0, 1);
  if (body.top_k !== undefined) {
    if (!Number.isInteger(body.top_k)) throw invalid('top_k: Input should be a valid integer');
    if (body.top_k < 0) throw invalid('top_k: Input should be greater than or equal to 0');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw invalid('stream: Input should be a valid boolean');
  if (body.service_tier !== undefined && body.service_tier !== 'auto' && body.service_tier !== 'standard_only') {
    throw invalid("service_tier: Input should be 'auto' or 'standard_only'");
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isObject(body.metadata)) throw invalid('metadata: Input should be a valid dictionary or object to extract fields from');
    // `mock` is the mock's own directive channel; the real API allows only user_id.
    rejectExtra(body.metadata, ['user_id', 'mock'], 'metadata');
    const user = body.metadata.user_id;
    if (user !== undefined && user !== null && (typeof user !== 'string' || user.length > 256)) {
      throw invalid('metadata.user_id: Input should be a valid string of at most 256 characters');
    }
  }
  const names = validateTools(body.tools);
  const mode = validateToolChoice(body.tool_choice, names);
  const thinking = validateThinking(body);
  return { names, mode, thinking };
}

// ------------------------------------------------------------- responses ---

function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((b) => b && b.type === 'text' && typeof b.text === 'string').map((b) => b.text).join('\n');
}

// P: the system prompt (if any) and every message count as one message each.
function promptTokens(body) {
  let total = 0;
  const system = textOf(body.system);
  if (body.system !== undefined && body.system !== null && (typeof body.system === 'string' ? body.system !== '' : body.system.length > 0)) {
    total += messageTokens(system);
  }
  for (const m of body.messages) total += messageTokens(textOf(m.content));
  return total;
}

function lastUserText(messages) {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return textOf(messages[i].content);
  return '';
}

// Input usage: N = prompt_tokens ?? P is the TOTAL input; Anthropic reports
// input_tokens without the cache reads and writes, so input_tokens = N - C - W.
function inputUsage(body, d) {
  const total = d.prompt_tokens ?? promptTokens(body);
  const read = Math.min(d.cached ?? 0, total);
  const write = Math.min(d.cache_write ?? 0, total - read);
  return { input_tokens: total - read - write, cache_creation_input_tokens: write, cache_read_input_tokens: read };
}

function buildMessage(body, base, d, seq, info) {
  const userText = lastUserText(body.messages);
  const toolSchema = (name) => (body.tools ?? []).find((t) => t.name === name)?.input_schema;
  const call = decideToolCall(info.names, info.mode, d, (name) => toolArguments('anthropic', toolSchema(name), userText, d));
  const reply = call === null ? mockReply({
    prompt: userText, d, echo: () => ({ ...body, messages: undefined }),
    stop: body.stop_sequences, max: body.max_tokens,
  }) : null;
  const refused = d.safety !== undefined && call === null && d.huge_bytes === undefined;
  const content = [];
  let reasoning = d.reasoning_tokens ?? 0;
  if (info.thinking && d.huge_bytes === undefined) {
    const thought = `Mock thinking about: ${firstChars(lastUserText(body.messages), 40)}`;
    content.push({ type: 'thinking', thinking: thought, signature: `mock-signature-${seq}` });
    reasoning = d.reasoning_tokens ?? 2 * (reply ? reply.tokens : call.tokens);
  }
  let stopReason;
  let stopSequence = null;
  let visible;
  if (refused) {
    stopReason = 'refusal';
    visible = 0;
  } else if (call) {
    content.push({ type: 'tool_use', id: `toolu_${seq}`, name: call.name, input: call.args });
    stopReason = 'tool_use';
    visible = call.tokens;
  } else {
    content.push({ type: 'text', text: reply.text });
    stopReason = reply.finish === 'length' ? 'max_tokens' : reply.finish === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
    stopSequence = reply.matched;
    visible = reply.tokens;
  }
  const input = inputUsage(body, d);
  return {
    id: `msg_${seq}`,
    type: 'message',
    role: 'assistant',
    model: base,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: {
      ...input,
      cache_creation: { ephemeral_5m_input_tokens: input.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
      output_tokens: d.completion_tokens ?? visible + reasoning,
      service_tier: 'standard',
    },
  };
}

// The SSE events of a message, as the API streams them.
function sseEvents(message) {
  const ev = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const { usage } = message;
  const events = [ev('message_start', { message: {
    ...message, content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens, cache_creation: usage.cache_creation,
      output_tokens: 1, service_tier: usage.service_tier },
  } })];
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      if (index === 0) events.push(ev('ping', {}));
      for (const piece of splitPieces(block.text, 3)) {
        events.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
      }
    } else if (block.type === 'thinking') {
      events.push(ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      if (index === 0) events.push(ev('ping', {}));
      events.push(ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: block.thinking } }));
      events.push(ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } }));
    } else {
      events.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
      if (index === 0) events.push(ev('ping', {}));
      events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }));
      events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }));
    }
    events.push(ev('content_block_stop', { index }));
  });
  events.push(ev('message_delta', {
    delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
    usage: { output_tokens: usage.output_tokens },
  }));
  events.push(ev('message_stop', {}));
  return events;
}

// -------------------------------------------------------------- protocol ---

const protocol = {
  name: 'anthropic',

  match(method, pathname) {
    if (method !== 'POST') return null;
    if (pathname.endsWith('/v1/messages')) return { kind: 'messages' };
    if (pathname.endsWith('/v1/messages/count_tokens')) return { kind: 'count_tokens' };
    return null;
  },

  baseHeaders(ctx) {
    return { 'request-id': `req_${ctx.seq}`, 'anthropic-organization-id': 'mock-org' };
  },

  // Directives ride in the model name and in metadata.mock (metadata.mock wins).
  readDirectives(route, parsed) {
    const body = isObject(parsed.value) ? parsed.value : {};
    const model = typeof body.model === 'string' ? splitModel(body.model) : { base: null, query: '' };
    const meta = isObject(body.metadata) && typeof body.metadata.mock === 'string' ? body.metadata.mock : '';
    const directives = parseDirectives([['model', model.query], ['metadata.mock', meta]]);
    return { base: model.base, directives, failKey: `anthropic:${model.base}?${model.query}|${meta}` };
  },

  directiveError(err) {
    return invalid(`${err.source}: ${err.message}`);
  },

  authenticate(state, ctx) {
    const key = ctx.req.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') throw new AnthropicError(401, 'authentication_error', 'x-api-key header is required');
    if (state.keys.size > 0 && !state.keys.has(key)) throw new AnthropicError(401, 'authentication_error', 'invalid x-api-key');
    const version = ctx.req.headers['anthropic-version'];
    if (version === undefined || version === '') throw invalid('anthropic-version: header is required');
    if (!VERSIONS.has(version)) throw invalid(`anthropic-version: invalid version "${version}"`);
  },

  statusError,

  malformedBody: MALFORMED_BODY,

  respond(ctx, route, parsed, base, d, faulty) {
    const type = ctx.req.headers['content-type'];
    if (!isJsonContentType(type)) throw invalid(`Invalid content-type header (${type || 'none'}), expected application/json`);
    if (!parsed.ok) throw invalid('There was an error parsing the body of your request. Make sure it is valid JSON.');
    const body = parsed.value;
    if (!isObject(body)) throw invalid('Input should be a valid dictionary or object to extract fields from');
    const info = validate(body, route.kind === 'count_tokens');
    if (route.kind === 'count_tokens') {
      const usage = inputUsage(body, d);
      return sendJson(ctx, 200, { input_tokens: usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens });
    }
    const message = buildMessage(body, base, d, ctx.seq, info);
    if (body.stream && d.huge_bytes === undefined) {
      return sendStreamed(ctx, 'text/event-stream; charset=utf-8', sseEvents(message), faulty && d.truncate);
    }
    return sendJsonAnswer(ctx, message, d, faulty);
  },

  internalError() {
    return new AnthropicError(500, 'api_error', 'Internal server error');
  },
};

// The batch endpoints (protocols/anthropic_batches.js) answer each request of
// a Message Batch with the same validation and message as POST /v1/messages.
module.exports = { protocol, inputUsage, promptTokens, AnthropicError, invalid, validate, buildMessage, lastUserText };
