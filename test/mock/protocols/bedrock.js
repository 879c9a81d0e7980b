'use strict';
// Amazon Bedrock Runtime: the Converse API (POST /model/{modelId}/converse
// and /converse-stream, an AWS event stream) and InvokeModel (POST
// /model/{modelId}/invoke) for the Titan v2 and Cohere v3 embedding models,
// authenticated with AWS Signature Version 4 (service "bedrock"), with
// Bedrock's validation and error shapes.

const {
  HttpError, splitModel, parseDirectives, charCount, tokensFor, messageTokens, mockReply, decideToolCall, splitPieces,
  isObject, sniffImage, decodeBase64, sendJson, sendStreamed, sendJsonAnswer,
} = require('../lib/common');
const { toolArguments } = require('../lib/structured');
const { tagDirectives, embeddingVector, quantize } = require('../lib/embeddings');
const sigv4 = require('../lib/sigv4');

const MALFORMED_BODY = '{"output": {"message": {"role": "assistant", "content": [ {oops';
const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123';

// ---------------------------------------------------------------- errors ---

// Bedrock answers {"message": "..."} with the error code in x-amzn-errortype.
class BedrockError extends HttpError {
  constructor(status, type, message) {
    super(status, { message }, { 'x-amzn-errortype': type });
    this.type = type;
    this.message = message;
  }
}

const validation = (message) => new BedrockError(400, 'ValidationException', message);
const serialization = (message) => new BedrockError(400, 'SerializationException', message);
const constraint = (value, path, text) => validation(`1 validation error detected: Value ${value} at '${path}' failed to satisfy constraint: Member must ${text}`);

function statusError(status) {
  const err = (type, message) => {
    const e = new BedrockError(status, type, message);
    return { body: e.payload, headers: e.headers };
  };
  switch (status) {
    case 400: return err('ValidationException', 'The provided request is not valid (mock status=400).');
    case 403: return err('AccessDeniedException', "You don't have access to the model with the specified model ID.");
    case 404: return err('ResourceNotFoundException', 'The requested resource could not be found. Check the model ID and try again.');
    case 408: return err('ModelTimeoutException', 'Model has timed out in processing the request. Try your request again.');
    case 424: return err('ModelErrorException', 'The model returned an error. Try your request again.');
    case 429: return err('ThrottlingException', 'Too many requests, please wait before trying again.');
    case 500: return err('InternalServerException', 'The system encountered an unexpected error during processing. Try your request again.');
    case 503: return err('ServiceUnavailableException', 'Bedrock is unable to process your request.');
    default:
      return status >= 500
        ? err('InternalServerException', `Mock error (HTTP ${status}).`)
        : err('ValidationException', `Mock error (HTTP ${status}).`);
  }
}

// ---------------------------------------------------------------- shapes ---

// A small Smithy model of the Converse input. Shapes: structure (members,
// required), union (exactly one member), list, map, string (enum, pattern,
// min, max), integer, float, boolean, blob (base64), document (any JSON).
const S = {
  string: { type: 'string' },
  document: { type: 'document' },
  s3Location: { type: 'structure', members: { uri: { type: 'string', min: 1 }, bucketOwner: { type: 'string' } }, required: ['uri'] },
};
S.imageSource = { type: 'union', members: { bytes: { type: 'blob' }, s3Location: S.s3Location } };
S.image = { type: 'structure', required: ['format', 'source'],
  members: { format: { type: 'string', enum: ['png', 'jpeg', 'gif', 'webp'] }, source: S.imageSource } };
S.documentBlock = { type: 'structure', required: ['name', 'source'], members: {
  format: { type: 'string', enum: ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'] },
  name: { type: 'string', min: 1, max: 200 },
  source: { type: 'union', members: { bytes: { type: 'blob' }, s3Location: S.s3Location, text: { type: 'string' },
    content: { type: 'list', member: { type: 'union', members: { text: S.string } } } } },
  context: S.string, citations: { type: 'structure', members: { enabled: { type: 'boolean' } } },
} };
S.video = { type: 'structure', required: ['format', 'source'], members: {
  format: { type: 'string', enum: ['mkv', 'mov', 'mp4', 'webm', 'flv', 'mpeg', 'mpg', 'wmv', 'three_gp'] },
  source: S.imageSource,
} };
S.cachePoint = { type: 'structure', required: ['type'], members: { type: { type: 'string', enum: ['default'] } } };
S.toolUse = { type: 'structure', required: ['toolUseId', 'name', 'input'], members: {
  toolUseId: { type: 'string', min: 1, max: 64, pattern: '[a-zA-Z0-9_-]+' },
  name: { type: 'string', min: 1, max: 64, pattern: '[a-zA-Z0-9_-]+' },
  input: S.document,
} };
S.toolResult = { type: 'structure', required: ['toolUseId', 'content'], members: {
  toolUseId: { type: 'string', min: 1, max: 64, pattern: '[a-zA-Z0-9_-]+' },
  content: { type: 'list', member: { type: 'union', members: { json: S.document, text: S.string, image: S.image,
    document: S.documentBlock, video: S.video } } },
  status: { type: 'string', enum: ['success', 'error'] },
} };
S.contentBlock = { type: 'union', members: {
  text: S.string, image: S.image, document: S.documentBlock, video: S.video, toolUse: S.toolUse, toolResult: S.toolResult,
  guardContent: S.document, cachePoint: S.cachePoint, reasoningContent: S.document, citationsContent: S.document,
} };
S.message = { type: 'structure', required: ['role', 'content'], members: {
  role: { type: 'string', enum: ['user', 'assistant'] },
  content: { type: 'list', member: S.contentBlock },
} };
S.systemBlock = { type: 'union', members: { text: { type: 'string', min: 1 }, guardContent: S.document, cachePoint: S.cachePoint } };
S.inferenceConfig = { type: 'structure', members: {
  maxTokens: { type: 'integer', min: 1 },
  temperature: { type: 'float', min: 0, max: 1 },
  topP: { type: 'float', min: 0, max: 1 },
  stopSequences: { type: 'list', max: 2500, member: { type: 'string', min: 1 } },
} };
S.toolSpec = { type: 'structure', required: ['name', 'inputSchema'], members: {
  name: { type: 'string', min: 1, max: 64, pattern: '[a-zA-Z0-9_-]+' },
  description: { type: 'string', min: 1 },
  inputSchema: { type: 'union', members: { json: S.document } },
} };
S.toolConfig = { type: 'structure', required: ['tools'], members: {
  tools: { type: 'list', min: 1, member: { type: 'union', members: { toolSpec: S.toolSpec, cachePoint: S.cachePoint,
    systemTool: { type: 'structure', required: ['name'], members: { name: { type: 'string', min: 1 } } } } } },
  toolChoice: { type: 'union', members: {
    auto: { type: 'structure', members: {} }, any: { type: 'structure', members: {} },
    tool: { type: 'structure', required: ['name'], members: { name: { type: 'string', min: 1, max: 64, pattern: '[a-zA-Z0-9_-]+' } } },
  } },
} };
S.request = { type: 'structure', required: ['messages'], members: {
  messages: { type: 'list', member: S.message },
  system: { type: 'list', member: S.systemBlock },
  inferenceConfig: S.inferenceConfig,
  toolConfig: S.toolConfig,
  guardrailConfig: { type: 'structure', required: ['guardrailIdentifier', 'guardrailVersion'], members: {
    guardrailIdentifier: S.string, guardrailVersion: S.string,
    trace: { type: 'string', enum: ['enabled', 'disabled', 'enabled_full'] },
    streamProcessingMode: { type: 'string', enum: ['sync', 'async'] },
  } },
  additionalModelRequestFields: S.document,
  promptVariables: { type: 'map', value: { type: 'union', members: { text: S.string } } },
  additionalModelResponseFieldPaths: { type: 'list', max: 10, member: { type: 'string', min: 1, max: 256 } },
  requestMetadata: { type: 'map', value: S.string },
  performanceConfig: { type: 'structure', members: { latency: { type: 'string', enum: ['standard', 'optimized'] } } },
} };

function jsonKind(v) {
  if (typeof v === 'string') return 'STRING_VALUE';
  if (typeof v === 'number') return 'NUMBER_VALUE';
  if (typeof v === 'boolean') return 'BOOLEAN_VALUE';
  return 'VALUE';
}

function mismatch(v, target) {
  if (Array.isArray(v)) return serialization('Start of list found where not expected');
  if (isObject(v)) return serialization('Start of structure or map found where not expected.');
  return serialization(`${jsonKind(v)} can not be converted to ${target}`);
}

const show = (v) => (typeof v === 'string' ? `'${v}'` : `'${JSON.stringify(v)}'`);

// Validates `v` against `shape`. `path` is the Smithy path of validation
// messages ("messages.1.member.role", 1-based), `pointer` the JSON pointer.
function check(shape, v, path, pointer) {
  if (v === null) return;
  switch (shape.type) {
    case 'structure':
    case 'union': {
      if (!isObject(v)) throw mismatch(v, 'a Structure');
      for (const key of Object.keys(v)) {
        if (!Object.hasOwn(shape.members, key)) {
          throw validation(`Malformed input request: #${pointer}: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
        }
      }
      if (shape.type === 'union') {
        const set = Object.keys(v).filter((k) => v[k] !== null);
        if (set.length !== 1) {
          throw validation(`Malformed input request: #${pointer}: expected exactly one of [${Object.keys(shape.members).join(', ')}], ` +
            `got ${set.length === 0 ? 'none' : `[${set.join(', ')}]`}, please reformat your input and try again.`);
        }
      }
      for (const name of shape.required ?? []) {
        if (v[name] === undefined || v[name] === null) throw constraint('null', `${path ? `${path}.` : ''}${name}`, 'not be null');
      }
      for (const [key, item] of Object.entries(v)) check(shape.members[key], item, `${path ? `${path}.` : ''}${key}`, `${pointer}/${key}`);
      return;
    }
    case 'list':
      if (!Array.isArray(v)) throw mismatch(v, 'a List');
      if (shape.min !== undefined && v.length < shape.min) throw constraint(`'[]'`, path, `have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v.length > shape.max) throw constraint(`'[...]'`, path, `have length less than or equal to ${shape.max}`);
      v.forEach((item, i) => check(shape.member, item, `${path}.${i + 1}.member`, `${pointer}/${i}`));
      return;
    case 'map':
      if (!isObject(v)) throw mismatch(v, 'a Map');
      for (const [key, item] of Object.entries(v)) check(shape.value, item, `${path}.${key}`, `${pointer}/${key}`);
      return;
    case 'string':
      if (typeof v !== 'string') throw mismatch(v, 'a String');
      if (shape.enum && !shape.enum.includes(v)) throw constraint(show(v), path, `satisfy enum value set: [${shape.enum.join(', ')}]`);
      if (shape.min !== undefined && v.length < shape.min) throw constraint(show(v), path, `have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v.length > shape.max) throw constraint(show(v), path, `have length less than or equal to ${shape.max}`);
      if (shape.pattern && !new RegExp(`^(?:${shape.pattern})$`).test(v)) {
        throw constraint(show(v), path, `satisfy regular expression pattern: ${shape.pattern}`);
      }
      return;
    case 'integer':
      if (typeof v !== 'number') throw mismatch(v, 'an Integer');
      if (!Number.isInteger(v)) throw serialization(`NUMBER_VALUE can not be converted to an Integer`);
      if (shape.min !== undefined && v < shape.min) throw constraint(show(v), path, `have value greater than or equal to ${shape.min}`);
      return;
    case 'float':
      if (typeof v !== 'number') throw mismatch(v, 'a Float');
      if (shape.min !== undefined && v < shape.min) throw constraint(show(v), path, `have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v > shape.max) throw constraint(show(v), path, `have value less than or equal to ${shape.max}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') throw mismatch(v, 'a Boolean');
      return;
    case 'blob':
      if (typeof v !== 'string') throw mismatch(v, 'a Blob');
      if (decodeBase64(v) === null) throw serialization(`Invalid Base64 value at #${pointer}`);
      return;
    case 'document':
      return;
    default:
      throw new Error(`unknown shape ${shape.type}`);
  }
}

// ------------------------------------------------------------ semantics ---

const KEY_PATTERN = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}$/;
const VALUE_PATTERN = /^[a-zA-Z0-9\s:_@$#=/+,.-]{0,256}$/;

function checkRequest(body) {
  check(S.request, body, '', '');
  const messages = body.messages;
  if (messages.length === 0 || messages[0].role !== 'user') {
    throw validation('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
  }
  messages.forEach((m, i) => {
    if (i > 0 && messages[i - 1].role === m.role) {
      throw validation('A conversation must alternate between user and assistant roles. Make sure the conversation ' +
        'alternates between user and assistant roles and try again.');
    }
    if (m.content.length === 0) {
      throw validation(`The content field in the Message object at messages.${i} is empty. Add a ContentBlock object ` +
        'to the content field and try again.');
    }
    m.content.forEach((b, k) => {
      if (typeof b.text === 'string' && b.text.trim() === '') {
        throw validation(`The text field in the ContentBlock object at messages.${i}.content.${k} is blank. Add text ` +
          'to the text field, and try again.');
      }
      if (b.toolUse && m.role !== 'assistant') throw validation(`messages.${i}.content.${k}: toolUse blocks are only allowed in assistant messages.`);
      if (b.toolResult && m.role !== 'user') throw validation(`messages.${i}.content.${k}: toolResult blocks are only allowed in user messages.`);
      if (b.image?.source?.bytes !== undefined) {
        const actual = sniffImage(decodeBase64(b.image.source.bytes));
        if (actual !== b.image.format) {
          throw validation(`The image at messages.${i}.content.${k} does not match the specified format ${b.image.format}. ` +
            'Check the image format and try again.');
        }
      }
    });
  });
  const usesTools = messages.some((m) => m.content.some((b) => b.toolUse || b.toolResult));
  if (usesTools && !body.toolConfig) {
    throw validation('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
  }
  messages.forEach((m, i) => {
    if (m.role !== 'user' || i === 0) return;
    const used = messages[i - 1].content.filter((b) => b.toolUse).map((b) => b.toolUse.toolUseId);
    const results = m.content.filter((b) => b.toolResult).map((b) => b.toolResult.toolUseId);
    if (results.length > used.length) {
      throw validation(`The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`);
    }
    const missing = used.filter((id) => !results.includes(id));
    if (missing.length > 0) {
      throw validation(`Expected toolResult blocks at messages.${i}.content for the following Ids: ${missing.join(', ')}`);
    }
  });
  const names = [];
  (body.toolConfig?.tools ?? []).forEach((tool, t) => {
    if (!tool.toolSpec) return;
    const schema = tool.toolSpec.inputSchema.json;
    if (!isObject(schema) || schema.type !== 'object') {
      throw validation(`The value at toolConfig.tools.${t}.toolSpec.inputSchema.json.type must be one of the following: object.`);
    }
    names.push(tool.toolSpec.name);
  });
  const choice = body.toolConfig?.toolChoice;
  let mode = 'auto';
  if (choice?.any) mode = 'required';
  if (choice?.tool) {
    if (!names.includes(choice.tool.name)) {
      throw validation(`The tool ${choice.tool.name} specified in toolConfig.toolChoice is not defined in toolConfig.tools.`);
    }
    mode = { name: choice.tool.name };
  }
  const meta = body.requestMetadata ?? {};
  if (Object.keys(meta).length > 16) throw constraint("'{...}'", 'requestMetadata', 'have length less than or equal to 16');
  for (const [key, value] of Object.entries(meta)) {
    if (!KEY_PATTERN.test(key)) throw constraint(show(key), 'requestMetadata', 'satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}');
    // The `mock` entry is the mock's directive channel, so it may hold "&" and "%".
    if (key !== 'mock' && !VALUE_PATTERN.test(value)) {
      throw constraint(show(value), `requestMetadata.${key}`, 'satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,.-]{0,256}');
    }
  }
  return { names, mode };
}

// ------------------------------------------------------------- responses ---

const textOf = (blocks) => (blocks ?? []).filter((b) => typeof b.text === 'string').map((b) => b.text).join('\n');

function promptTokens(body) {
  let total = body.system && body.system.some((b) => typeof b.text === 'string') ? messageTokens(textOf(body.system)) : 0;
  for (const m of body.messages) total += messageTokens(textOf(m.content));
  return total;
}

function lastUserText(messages) {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return textOf(messages[i].content);
  return '';
}

// Like Anthropic, inputTokens excludes the cache reads and writes: with
// N = prompt_tokens ?? P, inputTokens = N - C - W and totalTokens counts all.
function buildResponse(body, d, start, info) {
  const userText = lastUserText(body.messages);
  const toolSchema = (name) => (body.toolConfig?.tools ?? []).find((t) => t.toolSpec?.name === name)?.toolSpec.inputSchema.json;
  const call = decideToolCall(info.names, info.mode, d, (name) => toolArguments('bedrock', toolSchema(name), userText, d));
  const cfg = body.inferenceConfig ?? {};
  const reply = call === null ? mockReply({
    prompt: userText, d, echo: () => ({ ...body, messages: undefined }), stop: cfg.stopSequences, max: cfg.maxTokens,
  }) : null;
  const filtered = d.safety !== undefined && call === null && d.huge_bytes === undefined;
  let content;
  let stopReason;
  let visible;
  if (filtered) {
    content = [];
    stopReason = 'content_filtered';
    visible = 0;
  } else if (call) {
    content = [{ toolUse: { toolUseId: `tooluse_${start.seq}`, name: call.name, input: call.args } }];
    stopReason = 'tool_use';
    visible = call.tokens;
  } else {
    content = [{ text: reply.text }];
    stopReason = reply.finish === 'length' ? 'max_tokens' : reply.finish === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
    visible = reply.tokens;
  }
  const total = d.prompt_tokens ?? promptTokens(body);
  const read = Math.min(d.cached ?? 0, total);
  const write = Math.min(d.cache_write ?? 0, total - read);
  const output = d.completion_tokens ?? visible + (d.reasoning_tokens ?? 0);
  const usage = { inputTokens: total - read - write, outputTokens: output, totalTokens: total + output };
  if (read > 0) usage.cacheReadInputTokens = read;
  if (write > 0) usage.cacheWriteInputTokens = write;
  return {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage,
    metrics: { latencyMs: Math.max(1, Date.now() - start.at) },
  };
}

// --------------------------------------------------------- event stream ---

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// One message of the AWS event stream encoding (application/vnd.amazon.eventstream):
// total length, headers length, prelude CRC, headers, payload, message CRC.
function eventMessage(eventType, payload) {
  const headers = Buffer.concat([[':event-type', eventType], [':content-type', 'application/json'], [':message-type', 'event']]
    .map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const b = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
      b[0] = n.length;
      n.copy(b, 1);
      b[1 + n.length] = 7; // string
      b.writeUInt16BE(v.length, 2 + n.length);
      v.copy(b, 4 + n.length);
      return b;
    }));
  return frameEventMessage(headers, Buffer.from(JSON.stringify(payload)));
}

// The frame around encoded headers and a payload (both Buffers).
function frameEventMessage(headers, body) {
  const total = 12 + headers.length + body.length + 4;
  const msg = Buffer.alloc(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headers.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  headers.copy(msg, 12);
  body.copy(msg, 12 + headers.length);
  msg.writeUInt32BE(crc32(msg.subarray(0, total - 4)), total - 4);
  return msg;
}

// Decodes an event stream (used by the self-test); throws on a bad CRC.
function decodeEventStream(buf) {
  const events = [];
  let at = 0;
  while (at < buf.length) {
    const total = buf.readUInt32BE(at);
    const headersLength = buf.readUInt32BE(at + 4);
    if (crc32(buf.subarray(at, at + 8)) !== buf.readUInt32BE(at + 8)) throw new Error('bad prelude CRC');
    if (crc32(buf.subarray(at, at + total - 4)) !== buf.readUInt32BE(at + total - 4)) throw new Error('bad message CRC');
    const headers = {};
    let h = at + 12;
    while (h < at + 12 + headersLength) {
      const nameLength = buf[h];
      const name = buf.subarray(h + 1, h + 1 + nameLength).toString();
      const valueLength = buf.readUInt16BE(h + 2 + nameLength);
      headers[name] = buf.subarray(h + 4 + nameLength, h + 4 + nameLength + valueLength).toString();
      h += 4 + nameLength + valueLength;
    }
    events.push({ headers, payload: JSON.parse(buf.subarray(at + 12 + headersLength, at + total - 4).toString()) });
    at += total;
  }
  return events;
}

function streamEvents(response) {
  const pad = (payload, n) => ({ ...payload, p: PADDING.slice(0, 1 + (n * 7) % PADDING.length) });
  const events = [];
  let n = 0;
  const push = (type, payload) => events.push(eventMessage(type, pad(payload, n++)));
  push('messageStart', { role: 'assistant' });
  response.output.message.content.forEach((block, index) => {
    if (block.toolUse) {
      push('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: block.toolUse.toolUseId, name: block.toolUse.name } } });
      push('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: JSON.stringify(block.toolUse.input) } } });
    } else {
      for (const text of splitPieces(block.text, 3)) push('contentBlockDelta', { contentBlockIndex: index, delta: { text } });
    }
    push('contentBlockStop', { contentBlockIndex: index });
  });
  push('messageStop', { stopReason: response.stopReason });
  push('metadata', { usage: response.usage, metrics: response.metrics });
  return events;
}

// ------------------------------------------------- InvokeModel embeddings ---

// InvokeModel bodies are checked against the model's JSON Schema; Bedrock
// reports a violation with the wording of the everit validator it uses:
// "Malformed input request: #/texts: expected maximum item count: 96, found: 97,
// please reformat your input and try again." (the first violation only).
const malformed = (message) => validation(`Malformed input request: ${message}, please reformat your input and try again.`);

function everitType(v) {
  if (v === null) return 'Null';
  if (Array.isArray(v)) return 'JSONArray';
  if (typeof v === 'object') return 'JSONObject';
  if (typeof v === 'string') return 'String';
  if (typeof v === 'boolean') return 'Boolean';
  return Number.isInteger(v) ? 'Integer' : 'BigDecimal';
}

const EVERIT_TYPES = { object: 'JSONObject', array: 'JSONArray', string: 'String', integer: 'Integer', boolean: 'Boolean' };

function checkJsonSchema(schema, v, pointer) {
  const at = `#${pointer}`;
  if (everitType(v) !== EVERIT_TYPES[schema.type]) throw malformed(`${at}: expected type: ${EVERIT_TYPES[schema.type]}, found: ${everitType(v)}`);
  if (schema.enum && !schema.enum.includes(v)) throw malformed(`${at}: ${v} is not a valid enum value`);
  switch (schema.type) {
    case 'object':
      for (const key of Object.keys(v)) {
        if (!Object.hasOwn(schema.properties, key)) throw malformed(`${at}: extraneous key [${key}] is not permitted`);
      }
      for (const key of schema.required ?? []) {
        if (!Object.hasOwn(v, key)) throw malformed(`${at}: required key [${key}] not found`);
      }
      for (const [key, item] of Object.entries(v)) checkJsonSchema(schema.properties[key], item, `${pointer}/${key}`);
      return;
    case 'array':
      if (schema.minItems !== undefined && v.length < schema.minItems) {
        throw malformed(`${at}: expected minimum item count: ${schema.minItems}, found: ${v.length}`);
      }
      if (schema.maxItems !== undefined && v.length > schema.maxItems) {
        throw malformed(`${at}: expected maximum item count: ${schema.maxItems}, found: ${v.length}`);
      }
      v.forEach((item, i) => checkJsonSchema(schema.items, item, `${pointer}/${i}`));
      return;
    case 'string': {
      const length = charCount(v);
      if (schema.minLength !== undefined && length < schema.minLength) throw malformed(`${at}: expected minLength: ${schema.minLength}, actual: ${length}`);
      if (schema.maxLength !== undefined && length > schema.maxLength) throw malformed(`${at}: expected maxLength: ${schema.maxLength}, actual: ${length}`);
      return;
    }
    default:
      return;
  }
}

const TITAN_SCHEMA = { type: 'object', required: ['inputText'], properties: {
  inputText: { type: 'string', minLength: 1, maxLength: 50000 },
  dimensions: { type: 'integer', enum: [256, 512, 1024] },
  normalize: { type: 'boolean' },
  embeddingTypes: { type: 'array', minItems: 1, items: { type: 'string', enum: ['float', 'binary'] } },
} };

const COHERE_SCHEMA = { type: 'object', required: ['texts', 'input_type'], properties: {
  texts: { type: 'array', minItems: 1, maxItems: 96, items: { type: 'string', maxLength: 2048 } },
  input_type: { type: 'string', enum: ['search_document', 'search_query', 'classification', 'clustering'] },
  truncate: { type: 'string', enum: ['NONE', 'START', 'END'] },
  embedding_types: { type: 'array', minItems: 1, items: { type: 'string', enum: ['float', 'int8', 'uint8', 'binary', 'ubinary'] } },
} };

// The embedding models InvokeModel implements, by model id.
const EMBED_MODELS = {
  'amazon.titan-embed-text-v2:0': 'titan',
  'cohere.embed-english-v3': 'cohere',
  'cohere.embed-multilingual-v3': 'cohere',
};

// The texts of an InvokeModel body as sent, for the `[[mock:...]]` tags.
function invokeBodyTexts(body) {
  if (!isObject(body)) return [];
  return [body.inputText, ...(Array.isArray(body.texts) ? body.texts : [])].filter((t) => typeof t === 'string');
}

// Titan Text Embeddings v2: one text per call; `normalize` defaults to true,
// as in the real API. embeddingsByType always holds "float" unless only
// "binary" was asked for.
function titanEmbedding(body, d) {
  checkJsonSchema(TITAN_SCHEMA, body, '');
  const tokens = tokensFor(charCount(body.inputText));
  const embedding = embeddingVector(body.inputText, { dimensions: body.dimensions ?? 1024, normalize: body.normalize ?? true });
  const types = body.embeddingTypes ?? ['float'];
  const byType = {};
  if (types.includes('binary')) byType.binary = quantize(embedding, 'bits');
  if (types.includes('float')) byType.float = embedding;
  const count = d.prompt_tokens ?? tokens;
  return { answer: { embedding, inputTextTokenCount: count, embeddingsByType: byType }, tokens: count };
}

// Cohere Embed v3: up to 96 texts, 1024 floats each, the input_type mixed
// into every vector. Without embedding_types the answer is
// "embeddings_floats" (a list of vectors); with them it is
// "embeddings_by_type" ({float: [...], int8: [...], ...}), as Cohere does.
function cohereEmbedding(body, d, seq) {
  checkJsonSchema(COHERE_SCHEMA, body, '');
  const vectors = body.texts.map((text) => embeddingVector(text, { dimensions: 1024, type: body.input_type }));
  const tokens = body.texts.reduce((sum, text) => sum + tokensFor(charCount(text)), 0);
  const answer = { id: requestId(seq), texts: body.texts };
  if (body.embedding_types === undefined) {
    answer.embeddings = vectors;
    answer.response_type = 'embeddings_floats';
  } else {
    answer.embeddings = Object.fromEntries(body.embedding_types.map((kind) => [kind, vectors.map((v) => quantize(v, kind))]));
    answer.response_type = 'embeddings_by_type';
  }
  return { answer, tokens: d.prompt_tokens ?? tokens };
}

// Bedrock reports the input tokens of an InvokeModel call in a header.
function respondInvoke(ctx, parsed, base, d, faulty) {
  const family = EMBED_MODELS[base];
  if (!family) {
    throw validation('The provided model identifier is invalid. (The mock implements InvokeModel only for ' +
      `${Object.keys(EMBED_MODELS).join(', ')}.)`);
  }
  if (!parsed.ok) throw validation('Malformed input request, please reformat your input and try again.');
  const { answer, tokens } = family === 'titan' ? titanEmbedding(parsed.value, d) : cohereEmbedding(parsed.value, d, ctx.seq);
  const headers = {
    'x-amzn-bedrock-input-token-count': String(tokens),
    'x-amzn-bedrock-invocation-latency': String(Math.max(1, Date.now() - ctx.start)),
  };
  return sendJsonAnswer(ctx, answer, { ...d, huge_bytes: undefined }, faulty, 'application/json', headers);
}

// -------------------------------------------------------------- protocol ---

function decodeSegment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

const requestId = (seq) => `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;

const protocol = {
  name: 'bedrock',

  match(method, pathname) {
    const m = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(pathname);
    if (!m || method !== 'POST') return null;
    const modelId = decodeSegment(m[1]);
    if (modelId === null || modelId === '') return null;
    return { kind: m[2], modelId };
  },

  baseHeaders(ctx) {
    return { 'x-amzn-requestid': requestId(ctx.seq) };
  },

  // Directives ride in the model id after "?" (percent-encoded in the path,
  // e.g. ...v1%3A0%3Fstatus%3D429) and in requestMetadata.mock (which wins);
  // for InvokeModel, in `[[mock:...]]` tags in inputText or any of texts.
  readDirectives(route, parsed) {
    const model = splitModel(route.modelId);
    const body = isObject(parsed.value) ? parsed.value : {};
    const meta = route.kind !== 'invoke' && isObject(body.requestMetadata) && typeof body.requestMetadata.mock === 'string'
      ? body.requestMetadata.mock : '';
    const inInputs = route.kind === 'invoke' ? tagDirectives(invokeBodyTexts(body)) : '';
    const directives = parseDirectives([['modelId', model.query], ['requestMetadata.mock', meta], ['input', inInputs]]);
    return { base: model.base, directives, failKey: `bedrock:${model.base}?${model.query}|${meta}|${inInputs}` };
  },

  directiveError(err) {
    return validation(`${err.source}: ${err.message}`);
  },

  authenticate(state, ctx) {
    const result = sigv4.verify({
      method: ctx.req.method,
      url: ctx.req.url,
      rawHeaders: ctx.req.rawHeaders,
      body: ctx.rawBody,
      credentials: state.aws.accessKeyId ? state.aws : null,
      region: state.aws.region,
      service: 'bedrock',
    });
    if (!result.ok) throw new BedrockError(result.status, result.type, result.message);
  },

  statusError: (status) => statusError(status),

  malformedBody: MALFORMED_BODY,

  respond(ctx, route, parsed, base, d, faulty) {
    if (route.kind === 'invoke') return respondInvoke(ctx, parsed, base, d, faulty);
    if (!parsed.ok) {
      throw serialization(parsed.text === '' ? 'No content to map due to end-of-input' : 'Unexpected character in JSON input');
    }
    if (!isObject(parsed.value)) throw mismatch(parsed.value, 'a Structure');
    const body = parsed.value;
    const info = checkRequest(body);
    const response = buildResponse(body, d, { seq: ctx.seq, at: ctx.start }, info);
    if (route.kind === 'converse' || d.huge_bytes !== undefined) return sendJsonAnswer(ctx, response, d, faulty);
    return sendStreamed(ctx, 'application/vnd.amazon.eventstream', streamEvents(response), faulty && d.truncate);
  },

  notFound(ctx) {
    return sendJson(ctx, 404, { message: 'Unknown operation' }, { 'x-amzn-errortype': 'UnknownOperationException' });
  },

  internalError() {
    return new BedrockError(500, 'InternalServerException', 'The system encountered an unexpected error during processing. Try your request again.');
  },
};

module.exports = { protocol, decodeEventStream, crc32, frameEventMessage };
