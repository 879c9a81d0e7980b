'use strict';
// Gemini API (Generative Language): POST /v1beta/models/{model}:generateContent,
// :streamGenerateContent (?alt=sse or a JSON array), :countTokens,
// :embedContent and :batchEmbedContents, with the proto-JSON parsing errors
// and semantic checks of the real service. The Batch API (batch mode) is
// protocols/gemini_batches.js, which answers its requests with this code.

const {
  HttpError, splitModel, parseDirectives, firstChars, charCount, tokensFor, messageTokens, mockReply, decideToolCall,
  splitPieces, isObject, decodeBase64, sendJson, sendRaw, sendStreamed, sendJsonAnswer, HUGE_PLACEHOLDER,
} = require('../lib/common');
const { structuredAnswer } = require('../lib/structured');
const { tagDirectives, embeddingVector } = require('../lib/embeddings');

const PKG = 'type.googleapis.com/google.ai.generativelanguage.v1beta';
const MALFORMED_BODY = '{"candidates": [{"content": {"parts": [ {oops';
const STATUS_NAMES = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 501: 'NOT_IMPLEMENTED', 503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const HARM_CATEGORIES = ['HARM_CATEGORY_UNSPECIFIED', 'HARM_CATEGORY_DEROGATORY', 'HARM_CATEGORY_TOXICITY',
  'HARM_CATEGORY_VIOLENCE', 'HARM_CATEGORY_SEXUAL', 'HARM_CATEGORY_MEDICAL', 'HARM_CATEGORY_DANGEROUS',
  'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_DANGEROUS_CONTENT', 'HARM_CATEGORY_CIVIC_INTEGRITY'];
const THRESHOLDS = ['HARM_BLOCK_THRESHOLD_UNSPECIFIED', 'BLOCK_LOW_AND_ABOVE', 'BLOCK_MEDIUM_AND_ABOVE',
  'BLOCK_ONLY_HIGH', 'BLOCK_NONE', 'OFF'];
const MIME_TYPES = ['text/plain', 'application/json', 'application/xml', 'application/yaml', 'text/x.enum'];
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
// TaskType, in proto order (the enum also parses from its number).
const TASK_TYPES = ['TASK_TYPE_UNSPECIFIED', 'RETRIEVAL_QUERY', 'RETRIEVAL_DOCUMENT', 'SEMANTIC_SIMILARITY',
  'CLASSIFICATION', 'CLUSTERING', 'QUESTION_ANSWERING', 'FACT_VERIFICATION', 'CODE_RETRIEVAL_QUERY'];
const EMBED_LIMITS = { batch: 100, tokens: 2048, dimensions: 3072 };
const EMBED_KINDS = ['embedContent', 'batchEmbedContents'];

// ---------------------------------------------------------------- errors ---

// {"error":{"code":400,"message":"...","status":"INVALID_ARGUMENT","details":[...]}}
class GeminiError extends HttpError {
  constructor(code, message, details) {
    const error = { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' };
    if (details) error.details = details;
    super(code, { error });
    this.message = message;
  }
}

// A proto-JSON parse error (unknown field, wrong type): carries a BadRequest detail.
function parseError(message, field) {
  const violation = field ? { field, description: message } : { description: message };
  return new GeminiError(400, message, [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [violation] }]);
}

// A semantic validation error, in the "* GenerateContentRequest.path: text\n" form.
const semanticIn = (type, path, text) => new GeminiError(400, `* ${type}.${path}: ${text}\n`);
const semantic = (path, text) => semanticIn('GenerateContentRequest', path, text);

function statusError(status, base, d, method = 'generateContent') {
  const err = (message, details) => ({ body: new GeminiError(status, message, details).payload, headers: {} });
  switch (status) {
    case 400: return err('Request contains an invalid argument.');
    case 401: return err('Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.');
    case 403: return err('The caller does not have permission');
    case 404: return err(`models/${base} is not found for API version v1beta, or is not supported for ${method}. ` +
      'Call ListModels to see the list of available models and their supported methods.');
    case 429: return err('You exceeded your current quota, please check your plan and billing details. For more ' +
      'information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{
        quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
        quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
        quotaDimensions: { location: 'global', model: base }, quotaValue: '10' }] },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas',
        url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${d.retry_after ?? 1}s` },
    ]);
    case 500: return err('An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    case 503: return err('The model is overloaded. Please try again later.');
    case 504: return err('Deadline expired before operation could complete.');
    default: return err(`Mock error (HTTP ${status}).`);
  }
}

// ---------------------------------------------------------- proto schema ---

// Field kinds: 'string' 'bool' 'int32' 'int64' 'float' 'bytes' 'struct' (JSON
// object) 'value' (any JSON), a message name, ['enum', Name, values], and
// { repeated: kind } / { map: kind }.
const R = (kind) => ({ repeated: kind });
const E = (name, values, caseInsensitive = false) => ['enum', name, values, caseInsensitive];

const MESSAGES = {
  GenerateContentRequest: {
    model: 'string', contents: R('Content'), systemInstruction: 'Content', generationConfig: 'GenerationConfig',
    tools: R('Tool'), toolConfig: 'ToolConfig', safetySettings: R('SafetySetting'), cachedContent: 'string',
  },
  CountTokensRequest: { contents: R('Content'), generateContentRequest: 'GenerateContentRequest' },
  EmbedContentRequest: {
    model: 'string', content: 'Content', taskType: E('TaskType', TASK_TYPES), title: 'string', outputDimensionality: 'int32',
  },
  BatchEmbedContentsRequest: { requests: R('EmbedContentRequest') },
  Content: { role: 'string', parts: R('Part') },
  Part: {
    text: 'string', inlineData: 'Blob', functionCall: 'FunctionCall', functionResponse: 'FunctionResponse',
    fileData: 'FileData', executableCode: 'ExecutableCode', codeExecutionResult: 'CodeExecutionResult',
    thought: 'bool', thoughtSignature: 'bytes', videoMetadata: 'struct', partMetadata: 'struct',
  },
  Blob: { mimeType: 'string', data: 'bytes' },
  FileData: { mimeType: 'string', fileUri: 'string' },
  FunctionCall: { id: 'string', name: 'string', args: 'struct' },
  FunctionResponse: {
    id: 'string', name: 'string', response: 'struct', willContinue: 'bool',
    scheduling: E('FunctionResponse.Scheduling', ['SCHEDULING_UNSPECIFIED', 'SILENT', 'WHEN_IDLE', 'INTERRUPT']),
  },
  ExecutableCode: { language: E('ExecutableCode.Language', ['LANGUAGE_UNSPECIFIED', 'PYTHON']), code: 'string' },
  CodeExecutionResult: {
    outcome: E('CodeExecutionResult.Outcome', ['OUTCOME_UNSPECIFIED', 'OUTCOME_OK', 'OUTCOME_FAILED', 'OUTCOME_DEADLINE_EXCEEDED']),
    output: 'string',
  },
  GenerationConfig: {
    stopSequences: R('string'), responseMimeType: 'string', responseSchema: 'Schema', responseJsonSchema: 'value',
    responseModalities: R(E('GenerationConfig.Modality', ['MODALITY_UNSPECIFIED', 'TEXT', 'IMAGE', 'AUDIO'])),
    candidateCount: 'int32', maxOutputTokens: 'int32', temperature: 'float', topP: 'float', topK: 'int32',
    seed: 'int32', presencePenalty: 'float', frequencyPenalty: 'float', responseLogprobs: 'bool', logprobs: 'int32',
    enableEnhancedCivicAnswers: 'bool', speechConfig: 'struct', thinkingConfig: 'ThinkingConfig',
    mediaResolution: E('GenerationConfig.MediaResolution', ['MEDIA_RESOLUTION_UNSPECIFIED', 'MEDIA_RESOLUTION_LOW',
      'MEDIA_RESOLUTION_MEDIUM', 'MEDIA_RESOLUTION_HIGH']),
  },
  ThinkingConfig: {
    includeThoughts: 'bool', thinkingBudget: 'int32',
    thinkingLevel: E('ThinkingConfig.ThinkingLevel', ['THINKING_LEVEL_UNSPECIFIED', 'LOW', 'HIGH']),
  },
  Tool: {
    functionDeclarations: R('FunctionDeclaration'), googleSearchRetrieval: 'struct', codeExecution: 'struct',
    googleSearch: 'struct', urlContext: 'struct', computerUse: 'struct',
  },
  FunctionDeclaration: {
    name: 'string', description: 'string', parameters: 'Schema', parametersJsonSchema: 'value',
    response: 'Schema', responseJsonSchema: 'value',
    behavior: E('FunctionDeclaration.Behavior', ['UNSPECIFIED', 'BLOCKING', 'NON_BLOCKING']),
  },
  // The OpenAPI subset Gemini accepts; JSON Schema keywords outside it (such as
  // additionalProperties or $schema) are unknown fields, as in the real API.
  Schema: {
    type: E('Type', ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL'], true),
    format: 'string', title: 'string', description: 'string', nullable: 'bool', enum: R('string'),
    maxItems: 'int64', minItems: 'int64', properties: { map: 'Schema' }, required: R('string'),
    minProperties: 'int64', maxProperties: 'int64', minLength: 'int64', maxLength: 'int64', pattern: 'string',
    example: 'value', anyOf: R('Schema'), propertyOrdering: R('string'), default: 'value', items: 'Schema',
    minimum: 'float', maximum: 'float',
  },
  ToolConfig: { functionCallingConfig: 'FunctionCallingConfig', retrievalConfig: 'struct' },
  FunctionCallingConfig: {
    mode: E('FunctionCallingConfig.Mode', ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']),
    allowedFunctionNames: R('string'),
  },
  SafetySetting: { category: E('HarmCategory', HARM_CATEGORIES), threshold: E('SafetySetting.HarmBlockThreshold', THRESHOLDS) },
  // models.batchGenerateContent (protocols/gemini_batches.js). The output-only
  // fields of a batch are accepted and ignored, as the service does.
  BatchGenerateContentRequest: { batch: 'GenerateContentBatch' },
  GenerateContentBatch: {
    model: 'string', name: 'string', displayName: 'string', inputConfig: 'InputConfig', output: 'struct',
    createTime: 'string', endTime: 'string', updateTime: 'string', batchStats: 'struct', priority: 'int64',
    state: E('BatchState', ['BATCH_STATE_UNSPECIFIED', 'BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING', 'BATCH_STATE_SUCCEEDED',
      'BATCH_STATE_FAILED', 'BATCH_STATE_CANCELLED', 'BATCH_STATE_EXPIRED']),
  },
  InputConfig: { fileName: 'string', requests: 'InlinedRequests' },
  InlinedRequests: { requests: R('InlinedRequest') },
  InlinedRequest: { request: 'GenerateContentRequest', metadata: 'struct' },
};

const ONEOF_DATA = ['text', 'inlineData', 'functionCall', 'functionResponse', 'fileData', 'executableCode', 'codeExecutionResult'];

const toCamel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const toSnake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
// The two names of each field as sent (either case) -> [camel, snake]: only
// known fields are kept, so the cache is as small as the schema. A batch of
// 100,000 requests parses in half the time.
const FIELD_NAMES = new Map();
const showValue = (v) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));
const typeError = (path, typeName, v) => parseError(`Invalid value at '${path}' (${typeName}), ${showValue(v)}`, path);

// Parses a proto-JSON value of `kind` at `path` (snake_case, as the service
// reports it); returns the value with camelCase keys.
function parseValue(kind, v, path) {
  if (v === null) return undefined;
  if (typeof kind === 'object' && !Array.isArray(kind)) {
    if (kind.repeated !== undefined) {
      // Like the real parser, a single value is taken as a one-element list.
      const list = Array.isArray(v) ? v : [v];
      return list.map((item, i) => parseValue(kind.repeated, item, `${path}[${i}]`));
    }
    if (!isObject(v)) throw typeError(path, `${PKG}.Schema`, v);
    const out = {};
    for (const [k, item] of Object.entries(v)) out[k] = parseValue(kind.map, item, `${path}[${JSON.stringify(k)}]`);
    return out;
  }
  if (Array.isArray(kind)) {
    const [, name, values, caseInsensitive] = kind;
    const s = typeof v === 'string' && caseInsensitive ? v.toUpperCase() : v;
    if (typeof s === 'string' && values.includes(s)) return s;
    if (Number.isInteger(v) && v >= 0 && v < values.length) return values[v];
    throw typeError(path, `${PKG}.${name}`, v);
  }
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw typeError(path, 'TYPE_STRING', v);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw typeError(path, 'TYPE_BOOL', v);
      return v;
    case 'int32':
    case 'int64': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      if (!Number.isInteger(n)) throw typeError(path, kind === 'int32' ? 'TYPE_INT32' : 'TYPE_INT64', v);
      return n;
    }
    case 'float': {
      const n = typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
      if (typeof n !== 'number') throw typeError(path, 'TYPE_FLOAT', v);
      return n;
    }
    case 'bytes': {
      const buf = decodeBase64(v, { urlSafe: true });
      if (buf === null) throw parseError(`Invalid value at '${path}' (TYPE_BYTES), Base64 decoding failed for ${showValue(v)}`, path);
      return v;
    }
    case 'struct':
      if (!isObject(v)) throw typeError(path, 'type.googleapis.com/google.protobuf.Struct', v);
      return v;
    case 'value':
      return v;
    default:
      return parseMessage(kind, v, path);
  }
}

function parseMessage(name, v, path) {
  if (!isObject(v)) throw typeError(path || name, `${PKG}.${name}`, v);
  const fields = MESSAGES[name];
  const out = {};
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    const item = v[key];
    let names = FIELD_NAMES.get(key);
    const camel = names !== undefined ? names[0] : toCamel(key);
    if (!Object.hasOwn(fields, camel)) {
      throw parseError(`Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${path ? ` at '${path}'` : ''}: ` +
        'Cannot find field.', path || undefined);
    }
    if (name === 'Part' && ONEOF_DATA.includes(camel) && item !== null) {
      const set = ONEOF_DATA.find((f) => out[f] !== undefined);
      if (set !== undefined) {
        throw parseError(`Invalid value at '${path}' (oneof), oneof field 'data' is already set. Cannot set '${camel}'`, path);
      }
    }
    if (names === undefined) {
      names = [camel, toSnake(camel)];
      FIELD_NAMES.set(key, names);
    }
    const parsed = parseValue(fields[camel], item, path ? `${path}.${names[1]}` : names[1]);
    if (parsed !== undefined) out[camel] = parsed;
  }
  return out;
}

// ------------------------------------------------------------ semantics ---

const partKind = (p) => ONEOF_DATA.find((f) => p[f] !== undefined);

function checkContents(contents, path) {
  if (!contents || contents.length === 0) throw semantic(path, 'contents is not specified');
  contents.forEach((c, i) => {
    if (c.role !== undefined && c.role !== '' && c.role !== 'user' && c.role !== 'model') {
      throw new GeminiError(400, 'Please use a valid role: user, model.');
    }
    if (!c.parts || c.parts.length === 0) throw semantic(`${path}[${i}].parts`, 'contents.parts must not be empty.');
    c.parts.forEach((p, k) => {
      const at = `${path}[${i}].parts[${k}]`;
      if (partKind(p) === undefined) throw semantic(`${at}.data`, "required oneof field 'data' must have one initialized field");
      if (p.inlineData && !p.inlineData.mimeType) throw semantic(`${at}.inline_data.mime_type`, 'required field is not set');
      if (p.functionCall && !p.functionCall.name) throw semantic(`${at}.function_call.name`, 'Name cannot be empty.');
      if (p.functionResponse && !p.functionResponse.name) throw semantic(`${at}.function_response.name`, 'Name cannot be empty.');
    });
  });
  // Function calling turns: a call follows a user (or function response) turn,
  // and a response turn answers every call of the turn before it.
  const calls = (c) => c.parts.filter((p) => p.functionCall).length;
  const responses = (c) => c.parts.filter((p) => p.functionResponse).length;
  contents.forEach((c, i) => {
    const prev = contents[i - 1];
    if (calls(c) > 0 && (!prev || prev.role === 'model')) {
      throw new GeminiError(400, 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
    }
    if (responses(c) > 0) {
      if (!prev || calls(prev) === 0) {
        throw new GeminiError(400, 'Please ensure that function response turn comes immediately after a function call turn.');
      }
      if (responses(c) !== calls(prev)) {
        throw new GeminiError(400, 'Please ensure that the number of function response parts is equal to the number ' +
          'of function call parts of the function call turn.');
      }
    }
  });
}

function checkSchema(schema, path) {
  if (!schema) return;
  if (schema.required && schema.properties) {
    schema.required.forEach((name, i) => {
      if (!Object.hasOwn(schema.properties, name)) throw semantic(`${path}.required[${i}]`, 'property is not defined');
    });
  }
  for (const [k, sub] of Object.entries(schema.properties ?? {})) checkSchema(sub, `${path}.properties[${JSON.stringify(k)}]`);
  if (schema.items) checkSchema(schema.items, `${path}.items`);
  (schema.anyOf ?? []).forEach((sub, i) => checkSchema(sub, `${path}.any_of[${i}]`));
}

// Semantic checks of a parsed GenerateContentRequest; returns what the answer needs.
function checkRequest(req, base) {
  checkContents(req.contents, 'contents');
  const names = [];
  (req.tools ?? []).forEach((tool, t) => {
    (tool.functionDeclarations ?? []).forEach((fn, f) => {
      const at = `tools[${t}].function_declarations[${f}]`;
      if (!FUNCTION_NAME.test(fn.name ?? '')) {
        throw semantic(`${at}.name`, 'Invalid function name. Must start with a letter or an underscore. Must be ' +
          'alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.');
      }
      if (fn.parameters && fn.parametersJsonSchema !== undefined) {
        throw semantic(`${at}.parameters`, 'parameters and parameters_json_schema cannot both be set.');
      }
      checkSchema(fn.parameters, `${at}.parameters`);
      names.push(fn.name);
    });
  });
  const fcc = req.toolConfig?.functionCallingConfig;
  let mode = 'auto';
  if (fcc) {
    if (names.length === 0 && (fcc.mode === 'ANY' || fcc.allowedFunctionNames)) {
      throw semantic('tool_config.function_calling_config', 'Function calling config is set without function_declarations.');
    }
    const allowed = fcc.allowedFunctionNames ?? [];
    if (allowed.length > 0 && fcc.mode !== 'ANY') {
      throw semantic('tool_config.function_calling_config.allowed_function_names',
        'allowed_function_names may only be set when mode is ANY.');
    }
    allowed.forEach((n, i) => {
      if (!names.includes(n)) {
        throw semantic(`tool_config.function_calling_config.allowed_function_names[${i}]`,
          `Function '${n}' is not declared in tools.`);
      }
    });
    if (fcc.mode === 'NONE') mode = 'none';
    if (fcc.mode === 'ANY') mode = 'required';
    // With mode ANY, the model may only call the allowed functions.
    if (allowed.length > 0) names.splice(0, names.length, ...names.filter((n) => allowed.includes(n)));
  }
  const g = req.generationConfig ?? {};
  const gc = (field) => `generation_config.${field}`;
  if (g.temperature !== undefined && (g.temperature < 0 || g.temperature > 2)) {
    throw semantic(gc('temperature'), 'temperature must be in the range [0.0, 2.0].');
  }
  if (g.topP !== undefined && (g.topP < 0 || g.topP > 1)) throw semantic(gc('top_p'), 'top_p must be in the range [0.0, 1.0].');
  if (g.topK !== undefined && g.topK < 0) throw semantic(gc('top_k'), 'top_k must be non-negative.');
  if (g.candidateCount !== undefined && (g.candidateCount < 1 || g.candidateCount > 8)) {
    throw semantic(gc('candidate_count'), 'candidate_count must be between 1 and 8, inclusive.');
  }
  if (g.maxOutputTokens !== undefined && g.maxOutputTokens < 0) {
    throw semantic(gc('max_output_tokens'), 'max_output_tokens must be positive.');
  }
  if ((g.stopSequences ?? []).length > 5) throw semantic(gc('stop_sequences'), 'the number of stop_sequences must not exceed 5.');
  if (g.responseMimeType !== undefined && !MIME_TYPES.includes(g.responseMimeType)) {
    throw semantic(gc('response_mime_type'), 'allowed mimetypes are `text/plain`, `application/json`, `application/xml`, ' +
      '`application/yaml` and `text/x.enum`.');
  }
  if (g.responseSchema && g.responseJsonSchema !== undefined) {
    throw semantic(gc('response_schema'), 'response_schema and response_json_schema cannot both be set.');
  }
  if ((g.responseSchema || g.responseJsonSchema !== undefined) &&
      g.responseMimeType !== 'application/json' && g.responseMimeType !== 'text/x.enum') {
    throw semantic(gc('response_mime_type'), 'response_mime_type must be application/json or text/x.enum when a response schema is set.');
  }
  checkSchema(g.responseSchema, gc('response_schema'));
  if (g.thinkingConfig?.thinkingBudget === 0 && /2\.5-pro/.test(base)) {
    throw new GeminiError(400, 'Budget 0 is invalid. This model only works in thinking mode.');
  }
  if (req.systemInstruction) {
    (req.systemInstruction.parts ?? []).forEach((p, k) => {
      if (p.text === undefined) throw semantic(`system_instruction.parts[${k}]`, 'only text parts are supported in system_instruction.');
    });
  }
  return { names, mode, g };
}

// ------------------------------------------------------------- responses ---

const textOf = (content) => (content?.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join('\n');

function promptTokens(req) {
  let total = req.systemInstruction ? messageTokens(textOf(req.systemInstruction)) : 0;
  for (const c of req.contents ?? []) total += messageTokens(textOf(c));
  return total;
}

function lastUserText(contents) {
  for (let i = contents.length - 1; i >= 0; i--) if (contents[i].role !== 'model') return textOf(contents[i]);
  return '';
}

const SAFE_RATINGS = () => ['HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_DANGEROUS_CONTENT', 'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT'].map((category) => ({ category, probability: 'NEGLIGIBLE' }));
const BLOCKED_RATINGS = () => SAFE_RATINGS().map((r) => (r.category === 'HARM_CATEGORY_DANGEROUS_CONTENT'
  ? { category: r.category, probability: 'HIGH', blocked: true } : r));

// The prompt usage: N = prompt_tokens ?? P (it includes the cached part).
function promptUsage(req, d) {
  const prompt = d.prompt_tokens ?? promptTokens(req);
  const cached = Math.min(d.cached ?? 0, prompt);
  const usage = { promptTokenCount: prompt };
  if (cached > 0) usage.cachedContentTokenCount = cached;
  return { prompt, cached, usage };
}

function usageMetadata(req, d, candidates, thoughts) {
  const { prompt, cached, usage } = promptUsage(req, d);
  if (candidates > 0) usage.candidatesTokenCount = candidates;
  usage.totalTokenCount = prompt + candidates + thoughts;
  usage.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  if (cached > 0) usage.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: cached }];
  if (thoughts > 0) usage.thoughtsTokenCount = thoughts;
  return usage;
}

function buildResponse(req, base, d, seq, info) {
  const frame = { modelVersion: base, responseId: `mock-${seq}` };
  if (d.safety === 'prompt' && d.huge_bytes === undefined) {
    return { promptFeedback: { blockReason: 'SAFETY', safetyRatings: BLOCKED_RATINGS() }, usageMetadata: usageMetadata(req, d, 0, 0), ...frame };
  }
  if (d.safety === 'answer' && d.huge_bytes === undefined) {
    return {
      candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: BLOCKED_RATINGS() }],
      usageMetadata: usageMetadata(req, d, 0, 0), ...frame,
    };
  }
  const g = info.g;
  const call = decideToolCall(info.names, info.mode, d);
  const userText = lastUserText(req.contents);
  const schema = g.responseMimeType === 'application/json' ? (g.responseJsonSchema ?? g.responseSchema) : undefined;
  const reply = call === null ? mockReply({
    prompt: userText, d, echo: () => ({ ...req, contents: undefined }),
    json: g.responseMimeType === 'application/json', stop: g.stopSequences, max: g.maxOutputTokens || undefined,
    structured: schema !== null && typeof schema === 'object' && !Array.isArray(schema)
      ? () => structuredAnswer('gemini', schema, userText, d) : undefined,
  }) : null;
  const n = d.huge_bytes !== undefined ? 1 : g.candidateCount ?? 1;
  const visible = reply ? reply.tokens : call.tokens;
  const thoughts = d.reasoning_tokens ?? 0;
  const candidates = [];
  for (let index = 0; index < n; index++) {
    const parts = [];
    if (thoughts > 0 && g.thinkingConfig?.includeThoughts && reply?.text !== HUGE_PLACEHOLDER) {
      parts.push({ text: `Mock thinking about: ${firstChars(lastUserText(req.contents), 40)}`, thought: true });
    }
    parts.push(call ? { functionCall: { name: call.name, args: call.args } } : { text: reply.text });
    candidates.push({ content: { parts, role: 'model' }, finishReason: reply?.finish === 'length' ? 'MAX_TOKENS' : 'STOP', index });
  }
  return { candidates, usageMetadata: usageMetadata(req, d, d.completion_tokens ?? n * visible, thoughts), ...frame };
}

// Chunks of :streamGenerateContent. Text arrives in up to three pieces; the
// last chunk carries finishReason and the full usage.
function streamChunks(req, d, response) {
  if (!response.candidates || !response.candidates[0].content) return [response];
  const pieces = response.candidates.map((c) => {
    const out = [];
    for (const part of c.content.parts) {
      if (typeof part.text === 'string' && !part.thought) {
        const split = splitPieces(part.text, 3);
        for (const text of split.length ? split : ['']) out.push({ text });
      } else {
        out.push(part);
      }
    }
    return out;
  });
  const count = Math.max(...pieces.map((p) => p.length));
  const partial = { ...promptUsage(req, d).usage };
  partial.totalTokenCount = partial.promptTokenCount;
  const chunks = [];
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    const candidates = response.candidates.map((c, k) => {
      const part = pieces[k][i];
      const cand = { content: { parts: part ? [part] : [], role: 'model' } };
      if (last) cand.finishReason = c.finishReason;
      cand.index = c.index;
      return cand;
    });
    chunks.push({ candidates, usageMetadata: last ? response.usageMetadata : partial,
      modelVersion: response.modelVersion, responseId: response.responseId });
  }
  return chunks;
}

// ------------------------------------------------------------ embeddings ---

// Default vector length: gemini-embedding-* models answer 3072 floats, the
// older text-embedding-004 / embedding-001 768.
const defaultDimensions = (base) => (base.startsWith('gemini-embedding') ? 3072 : 768);

// The texts of an embed request body as sent (before proto parsing), for the
// `[[mock:...]]` tags: content.parts[].text, or requests[].content.parts[].text.
function embedBodyTexts(body) {
  const texts = [];
  const add = (req) => {
    const parts = isObject(req) && isObject(req.content) && Array.isArray(req.content.parts) ? req.content.parts : [];
    for (const p of parts) if (isObject(p) && typeof p.text === 'string') texts.push(p.text);
  };
  if (isObject(body)) {
    add(body);
    if (Array.isArray(body.requests)) body.requests.forEach(add);
  }
  return texts;
}

// Checks one parsed EmbedContentRequest (`at` is its path prefix inside
// `type`, e.g. "requests[3]."); returns its vector.
function embedOne(req, type, at, base) {
  const parts = req.content?.parts ?? [];
  if (!req.content) throw semanticIn(type, `${at}content`, 'required field is not set');
  if (parts.length === 0) throw semanticIn(type, `${at}content.parts`, 'contents.parts must not be empty.');
  parts.forEach((p, k) => {
    if (partKind(p) === undefined) throw semanticIn(type, `${at}content.parts[${k}].data`, "required oneof field 'data' must have one initialized field");
    if (p.text === undefined) throw semanticIn(type, `${at}content.parts[${k}]`, 'only text parts can be embedded by this model.');
  });
  // Several text parts are embedded as one text, joined by "\n".
  const text = parts.map((p) => p.text).join('\n');
  if (text === '') throw semanticIn(type, `${at}content`, 'content must not be empty.');
  const tokens = tokensFor(charCount(text));
  if (tokens > EMBED_LIMITS.tokens) {
    throw semanticIn(type, `${at}content`, `input of ${tokens} tokens exceeds the maximum of ${EMBED_LIMITS.tokens} tokens.`);
  }
  const dims = req.outputDimensionality ?? 0;
  if (dims < 0) throw semanticIn(type, `${at}output_dimensionality`, 'output_dimensionality must be positive.');
  if (dims > EMBED_LIMITS.dimensions) {
    throw semanticIn(type, `${at}output_dimensionality`, `output_dimensionality must be at most ${EMBED_LIMITS.dimensions}.`);
  }
  // TASK_TYPE_UNSPECIFIED is the proto default: the same as no task type.
  const taskType = req.taskType && req.taskType !== 'TASK_TYPE_UNSPECIFIED' ? req.taskType : null;
  return { values: embeddingVector(text, { dimensions: dims || defaultDimensions(base), type: taskType }) };
}

// :embedContent -> {embedding: {values}}; :batchEmbedContents -> {embeddings:
// [{values}, ...]} in request order. No token usage: the real API reports none.
function buildEmbeddings(route, value, base) {
  if (route.kind === 'embedContent') {
    const req = parseMessage('EmbedContentRequest', value, '');
    return { embedding: embedOne(req, 'EmbedContentRequest', '', base) };
  }
  const type = 'BatchEmbedContentsRequest';
  const batch = parseMessage(type, value, '');
  const requests = batch.requests ?? [];
  if (requests.length === 0) throw semanticIn(type, 'requests', 'requests must not be empty.');
  if (requests.length > EMBED_LIMITS.batch) throw semanticIn(type, 'requests', `at most ${EMBED_LIMITS.batch} requests can be in one batch`);
  // Every request names the batch's model (the URL's, with or without its directives).
  const models = [`models/${base}`, `models/${route.model}`];
  return {
    embeddings: requests.map((req, i) => {
      if (typeof req.model !== 'string' || !req.model.startsWith('models/')) {
        throw semanticIn(type, `requests[${i}].model`, 'unexpected model name format');
      }
      if (!models.includes(req.model)) {
        throw semanticIn(type, `requests[${i}].model`, `model ${req.model} does not match the batch model models/${base}.`);
      }
      return embedOne(req, type, `requests[${i}].`, base);
    }),
  };
}

// -------------------------------------------------------------- protocol ---

function decodeSegment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

const protocol = {
  name: 'gemini',

  match(method, pathname, query) {
    const m = /^(?:\/[^]*)?\/(v1beta|v1|v1alpha)\/models\/([^/]+):(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/.exec(pathname);
    if (!m || method !== 'POST') return null;
    const model = decodeSegment(m[2]);
    if (model === null || model === '') return null;
    return { kind: m[3], version: m[1], model, sse: new URLSearchParams(query).get('alt') === 'sse', query };
  },

  baseHeaders() {
    return { vary: 'Origin, X-Origin, Referer', 'x-content-type-options': 'nosniff' };
  },

  // Directives ride in the model name of the path (URL-encoded: %3F for "?"),
  // and for embeddings also in `[[mock:...]]` tags in any text of the request.
  readDirectives(route, parsed) {
    const model = splitModel(route.model);
    const inInputs = EMBED_KINDS.includes(route.kind) ? tagDirectives(embedBodyTexts(parsed.value)) : '';
    const directives = parseDirectives([['model', model.query], ['input', inInputs]]);
    return { base: model.base, directives, failKey: `gemini:${model.base}?${model.query}|${inInputs}` };
  },

  directiveError(err) {
    return new GeminiError(400, `${err.source}: ${err.message}`);
  },

  authenticate(state, ctx, route) {
    const header = ctx.req.headers['x-goog-api-key'];
    const key = typeof header === 'string' && header !== '' ? header : new URLSearchParams(route.query).get('key');
    if (!key) {
      if (/^Bearer\s/i.test(ctx.req.headers.authorization || '')) {
        throw new GeminiError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, ' +
          'login cookie or other valid authentication credential. See ' +
          'https://developers.google.com/identity/sign-in/web/devconsole-project.');
      }
      throw new GeminiError(403, "Method doesn't allow unregistered callers (callers without established identity). " +
        'Please use API Key or other form of API consumer identity to call this API.');
    }
    if (state.keys.size > 0 && !state.keys.has(key)) {
      throw new GeminiError(400, 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' } },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
      ]);
    }
  },

  statusError: (status, base, d, ctx) => statusError(status, base, d, EMBED_KINDS.includes(ctx.route?.kind) ? ctx.route.kind : undefined),

  malformedBody: MALFORMED_BODY,

  respond(ctx, route, parsed, base, d, faulty) {
    if (!parsed.ok) {
      const text = parsed.text;
      throw parseError(text === '' ? 'Invalid JSON payload received. Unexpected end of string.'
        : `Invalid JSON payload received. Unexpected token.\n${text.slice(0, 40)}\n^`);
    }
    if (EMBED_KINDS.includes(route.kind)) {
      const answer = buildEmbeddings(route, parsed.value, base);
      return sendJsonAnswer(ctx, answer, { ...d, huge_bytes: undefined }, faulty, 'application/json; charset=UTF-8');
    }
    if (route.kind === 'countTokens') {
      const req = parseMessage('CountTokensRequest', parsed.value, '');
      const inner = req.generateContentRequest ?? { contents: req.contents };
      if (req.generateContentRequest && req.contents) {
        throw new GeminiError(400, 'contents and generate_content_request cannot both be set.');
      }
      checkContents(inner.contents, 'contents');
      const { prompt, cached } = promptUsage(inner, d);
      const answer = { totalTokens: prompt, promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }] };
      if (cached > 0) answer.cachedContentTokenCount = cached;
      return sendJson(ctx, 200, answer, {}, 'application/json; charset=UTF-8');
    }
    const req = parseMessage('GenerateContentRequest', parsed.value, '');
    const info = checkRequest(req, base);
    const response = buildResponse(req, base, d, ctx.seq, info);
    const type = 'application/json; charset=UTF-8';
    if (route.kind === 'generateContent' || d.huge_bytes !== undefined) return sendJsonAnswer(ctx, response, d, faulty, type);
    const chunks = streamChunks(req, d, response);
    if (route.sse) {
      return sendStreamed(ctx, 'text/event-stream', chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`), faulty && d.truncate);
    }
    // Without alt=sse the stream is one JSON array, written element by element.
    const parts = chunks.map((c, i) => `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(c)}`);
    parts.push(']');
    return sendStreamed(ctx, type, parts, faulty && d.truncate);
  },

  // Google's front end answers unknown URLs with an HTML page.
  notFound(ctx, pathname) {
    const html = '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n' +
      `  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${pathname}</code> was not found on ` +
      'this server.  <ins>That’s all we know.</ins>\n';
    return sendRaw(ctx, 404, 'text/html; charset=UTF-8', html);
  },

  internalError() {
    return new GeminiError(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
  },
};

module.exports = {
  protocol, promptTokens, GeminiError, parseError, semanticIn, parseMessage, checkRequest, buildResponse, lastUserText, decodeSegment,
};
