'use strict';
// OpenAI's Files and Batch APIs, as much as a batch needs: upload a JSONL
// file (multipart), create, poll, list and cancel batches, download the
// output and error files. Each line is answered by the chat completions or
// embeddings logic of protocols/openai.js; the timeline and the answering are
// lib/batches.js. Auth, headers and error bodies are OpenAI's, as for
// /v1/chat/completions.

const openai = require('./openai');
const { ApiError } = openai;
const { splitModel, isObject, sendJson, sendRaw } = require('../lib/common');
const {
  OUTCOMES, TERMINAL, hostileResults, streamJsonl, parseMultipart, randomHex, decodeId,
} = require('../lib/batches');

const { SUCCEEDED, FAILED, EXPIRED } = OUTCOMES;
const ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings'];
const CREATE_FIELDS = new Set(['input_file_id', 'endpoint', 'completion_window', 'metadata', 'output_expires_after']);
const MAX_ERRORS = 1000; // validation errors listed on a failed batch
const RECORD_LIMIT = 64 * 1024; // an upload's file text is recorded whole up to this size
const NO_DIRECTIVES = Object.freeze({ directives: Object.freeze({}), base: null, failKey: null });

const sec = (ms) => (ms === null ? null : Math.floor(ms / 1000));

// ------------------------------------------------------- answering a line ---

// The provider side lib/batches.js answers lines with (see its Batch class).
const api = {
  name: 'openai',
  limits: { lines: 50000, bytes: 200 * 1024 * 1024 },
  validating: 0.2, // validating for the first fifth of the batch's time,
  answering: 0.8, //  in_progress until four fifths, then finalizing

  bodyOf: (line) => line.body,
  readDirectives: (body) => openai.readDirectives(body),
  statusError: (status, base, d) => openai.statusErrorBody(status, base, '', d),
  directiveError: (err) => openai.protocol.directiveError(err),
  internalError: () => openai.protocol.internalError(),
  errorBody: (err) => err.payload,

  answer(body, base, d, seq, endpoint) {
    if (endpoint === '/v1/embeddings') {
      const json = openai.buildEmbeddings(body, base, d).toString();
      const tokens = JSON.parse(json).usage.prompt_tokens;
      return { json, usage: { input: tokens, cached: 0, output: 0, reasoning: 0 } };
    }
    openai.validateChat(body);
    if (body.stream === true) {
      throw new ApiError(400, 'Streaming is not supported by the Batch API: remove \'stream\' from the request body.', 'stream', 'invalid_value');
    }
    const completion = openai.buildCompletion(body, base, d, seq);
    const u = completion.usage;
    return {
      json: JSON.stringify(completion),
      usage: {
        input: u.prompt_tokens, cached: u.prompt_tokens_details.cached_tokens,
        output: u.completion_tokens, reasoning: u.completion_tokens_details.reasoning_tokens,
      },
    };
  },

  // Answered lines go to the output file (200) or the error file (an error
  // status, its body as a direct call gets it); a line the batch expired
  // before is in the error file with `batch_expired`; a line a cancel
  // stopped, or of a failed batch, is in neither file.
  line(batch, i, outcome, answer) {
    const head = `{"id":"batch_req_${batch.lineIdPrefix}${i.toString(16).padStart(6, '0')}","custom_id":${JSON.stringify(batch.customIds[i])},`;
    if (outcome === SUCCEEDED || outcome === FAILED) {
      return {
        file: outcome === SUCCEEDED ? 'output' : 'error',
        text: `${head}"response":{"status_code":${answer.status},"request_id":"req_${batch.lineIdPrefix}${i + 1}","body":${answer.json}},"error":null}`,
      };
    }
    if (outcome === EXPIRED) {
      return {
        file: 'error',
        text: `${head}"response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}`,
      };
    }
    return { file: null, text: null };
  },

  statusName: (phase) => phase,

  authErrorLine: (customId, credential) => JSON.stringify({
    id: 'batch_req_echo', custom_id: customId,
    response: {
      status_code: 401, request_id: 'req_echo',
      body: { error: { message: `Incorrect API key provided: ${credential}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
    },
    error: null,
  }),

  // The output and error files exist only when they have lines.
  finish(store, batch) {
    for (const [key, field] of [['output', 'outputFileId'], ['error', 'errorFileId']]) {
      const jsonl = batch.files[key];
      if (!jsonl || jsonl.lines.length === 0) continue;
      const file = store.addFile({ id: `file-${randomHex(12)}`, purpose: 'batch_output', filename: `${batch.id}_${key}.jsonl`, jsonl, batch });
      batch[field] = file.id;
    }
  },
};

// --------------------------------------------------------------- objects ---

function fileObject(file) {
  return {
    id: file.id, object: 'file', bytes: file.bytes, created_at: sec(file.created), filename: file.filename,
    purpose: file.purpose, status: 'processed', expires_at: null, status_details: null,
  };
}

// The Batch object with every field of OpenAI's schema, as it stands now.
function batchObject(batch, now = Date.now()) {
  const status = batch.settle(now);
  const times = batch.times(now);
  const failed = status === 'failed';
  let errors = null;
  if (failed) {
    errors = {
      object: 'list',
      data: batch.invalid ?? [{
        code: 'token_limit_exceeded', param: null, line: null,
        message: `Enqueued token limit reached for ${batch.model} in organization org-mock. Limit: 2,000,000 enqueued tokens. ` +
          'Please try submitting a smaller batch, or wait for some of your in-progress batches to complete before trying again. ' +
          '(mock directive batch_end=failed)',
      }],
    };
  }
  const u = batch.usage;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    model: batch.model,
    errors,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status,
    output_file_id: TERMINAL.has(status) ? batch.outputFileId ?? null : null,
    error_file_id: TERMINAL.has(status) ? batch.errorFileId ?? null : null,
    created_at: sec(batch.created),
    in_progress_at: sec(times.in_progress),
    expires_at: sec(times.expires),
    finalizing_at: sec(times.finalizing),
    completed_at: status === 'completed' ? sec(times.ended) : null,
    failed_at: failed ? sec(times.ended) : null,
    expired_at: status === 'expired' ? sec(times.ended) : null,
    cancelling_at: sec(batch.cancelAt),
    cancelled_at: status === 'cancelled' ? sec(times.ended) : null,
    request_counts: {
      // counted once validated: none while validating, nor in a failed batch
      total: status === 'validating' || failed ? 0 : batch.n,
      completed: batch.counts.succeeded,
      failed: batch.counts.failed + batch.counts.expired,
    },
    usage: {
      input_tokens: u.input, input_tokens_details: { cached_tokens: u.cached },
      output_tokens: u.output, output_tokens_details: { reasoning_tokens: u.reasoning },
      total_tokens: u.input + u.output,
    },
    metadata: batch.metadata,
  };
}

// ------------------------------------------------------------- validation ---

const missing = (name) => new ApiError(400, `Missing required parameter: '${name}'.`, name, 'missing_required_parameter');

// Reads the lines of an input file as OpenAI validates them. Returns
// {customIds, texts, model, errors}; any error fails the batch.
function readInputFile(file, endpoint, maxLines) {
  const lines = file.data.toString('utf8').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const errors = [];
  const add = (code, message, line, param = null) => {
    if (errors.length < MAX_ERRORS) errors.push({ code, message, param, line });
  };
  const customIds = [];
  const texts = [];
  const seen = new Set();
  let model = null;
  if (lines.length === 0) add('empty_file', 'The batch input file is empty. Please provide at least one request.', null);
  if (lines.length > maxLines) {
    add('too_many_tasks', `The batch input file has ${lines.length} requests, more than the ${maxLines} a batch may hold. ` +
      'Please split it into several batches.', null);
    return { customIds, texts, model, errors };
  }
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    const line = i + 1;
    let v;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (!isObject(v)) {
      add('invalid_json_line', 'This line is not parseable as valid JSON.', line);
      continue;
    }
    const before = errors.length;
    const cid = v.custom_id;
    if (typeof cid !== 'string' || cid === '') add('missing_required_parameter', "Missing required parameter: 'custom_id'.", line, 'custom_id');
    else if (seen.has(cid)) {
      add('duplicate_custom_id', 'The custom_id for this request is a duplicate of another request. ' +
        'The custom_id parameter must be unique for each request in a batch.', line, 'custom_id');
    }
    if (v.method === undefined) add('missing_required_parameter', "Missing required parameter: 'method'.", line, 'method');
    else if (v.method !== 'POST') add('invalid_method', `Invalid method '${v.method}': only POST is supported.`, line, 'method');
    if (v.url === undefined) add('missing_required_parameter', "Missing required parameter: 'url'.", line, 'url');
    else if (v.url !== endpoint) {
      add('url_mismatch', `The URL provided for this request does not match the batch endpoint ${endpoint}.`, line, 'url');
    }
    if (!isObject(v.body)) add('missing_required_parameter', "Missing required parameter: 'body'.", line, 'body');
    else if (typeof v.body.model !== 'string' || v.body.model === '') {
      add('missing_required_parameter', "Missing required parameter: 'body.model'.", line, 'body.model');
    } else {
      const base = splitModel(v.body.model).base;
      if (model === null) model = base;
      else if (base !== model) {
        add('model_mismatch', `The model '${base}' of this request does not match the model '${model}' of the batch's ` +
          'other requests. All requests in a batch must use the same model.', line, 'body.model');
      }
    }
    // a failed batch still reports which custom_ids it held (GET /_mock/batches)
    if (typeof cid === 'string' && cid !== '' && !seen.has(cid)) {
      seen.add(cid);
      customIds.push(cid);
    }
    if (errors.length === before) texts.push(text);
  }
  return { customIds, texts, model, errors };
}

function checkMetadata(metadata) {
  if (metadata === undefined || metadata === null) return null;
  const bad = (message) => new ApiError(400, message, 'metadata', 'invalid_value');
  if (!isObject(metadata)) throw new ApiError(400, "Invalid type for 'metadata': expected an object.", 'metadata', 'invalid_type');
  const entries = Object.entries(metadata);
  if (entries.length > 16) throw bad(`Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got ${entries.length} instead.`);
  for (const [key, value] of entries) {
    if (key.length > 64) throw bad(`Invalid 'metadata': key '${key.slice(0, 20)}...' is longer than 64 characters.`);
    if (typeof value !== 'string') throw new ApiError(400, `Invalid type for 'metadata.${key}': expected a string.`, `metadata.${key}`, 'invalid_type');
    if (value.length > 512) throw bad(`Invalid 'metadata.${key}': string too long. Expected a string with maximum length 512.`);
  }
  return metadata;
}

// --------------------------------------------------------------- handlers ---

function upload(ctx) {
  const store = ctx.state.batches;
  const type = ctx.req.headers['content-type'];
  if (typeof type !== 'string' || !/^multipart\/form-data\s*;/i.test(type)) {
    throw new ApiError(400, `Invalid Content-Type header (${type || 'none'}), expected multipart/form-data.`);
  }
  let parts;
  try {
    parts = parseMultipart(ctx.rawBody, type);
  } catch (err) {
    throw new ApiError(400, `Could not parse the multipart form: ${err.message}.`);
  }
  const purpose = parts.find((p) => p.name === 'purpose' && p.filename === undefined);
  const part = parts.find((p) => p.name === 'file');
  if (!part || part.filename === undefined) throw missing('file');
  if (!purpose) throw missing('purpose');
  const purposeText = purpose.data.toString('utf8');
  if (purposeText !== 'batch') {
    throw new ApiError(400, `Invalid value: '${purposeText}'. The mock provider supports the purpose 'batch' only.`, 'purpose', 'invalid_value');
  }
  if (!/\.jsonl$/i.test(part.filename)) throw new ApiError(400, 'Invalid file format for Batch API. Must be .jsonl', 'file');
  const { max_bytes: maxBytes } = store.limits(api);
  if (part.data.length > maxBytes) {
    throw new ApiError(413, `File too large: ${part.data.length} bytes. Batch input files can be at most ${maxBytes} bytes.`,
      'file', 'file_too_large');
  }
  const file = store.addFile({ id: `file-${randomHex(12)}`, purpose: 'batch', filename: part.filename, data: Buffer.from(part.data) });
  // The request's body is the form; recorded is what it carried (the file's
  // text only when small, so that the ring of recordings stays bounded).
  const text = file.bytes <= RECORD_LIMIT ? file.data.toString('utf8') : undefined;
  ctx.record.keepBody({ ok: true, text: JSON.stringify({ purpose: purposeText, filename: part.filename, bytes: file.bytes, file: text }) });
  return sendJson(ctx, 200, fileObject(file));
}

function findFile(ctx, id) {
  const file = ctx.state.batches.files.get(id);
  if (!file || file.deleted) throw new ApiError(404, `No such File object: ${id}`, 'id');
  return file;
}

function fileContent(ctx, id) {
  const file = findFile(ctx, id);
  if (file.data) return sendRaw(ctx, 200, 'application/octet-stream', file.data);
  // a batch's output or error file, as its batch_results directive may twist it
  const jsonl = file.batch ? hostileResults(file.jsonl, file.batch.resultModes, api, ctx.req.headers.authorization) : file.jsonl;
  return streamJsonl(ctx, jsonl, 'application/octet-stream');
}

function createBatch(ctx, parsed) {
  const store = ctx.state.batches;
  const body = openai.requireJsonObject(ctx.req, parsed, { requireModel: false });
  for (const key of Object.keys(body)) {
    if (!CREATE_FIELDS.has(key)) throw new ApiError(400, `Unrecognized request argument supplied: ${key}`);
  }
  for (const name of ['input_file_id', 'endpoint', 'completion_window']) {
    if (body[name] === undefined || body[name] === null) throw missing(name);
    if (typeof body[name] !== 'string') throw new ApiError(400, `Invalid type for '${name}': expected a string.`, name, 'invalid_type');
  }
  if (!ENDPOINTS.includes(body.endpoint)) {
    throw new ApiError(400, `Invalid value: '${body.endpoint}'. Supported values are: ${ENDPOINTS.map((e) => `'${e}'`).join(' and ')} ` +
      '(the endpoints the mock provider answers in batches).', 'endpoint', 'invalid_value');
  }
  if (body.completion_window !== '24h') {
    throw new ApiError(400, `Invalid value: '${body.completion_window}'. Supported values are: '24h'.`, 'completion_window', 'invalid_value');
  }
  const metadata = checkMetadata(body.metadata);
  const file = store.files.get(body.input_file_id);
  if (!file || file.deleted) throw new ApiError(404, `No such File object: ${body.input_file_id}`, 'input_file_id');
  if (file.purpose !== 'batch') {
    throw new ApiError(400, `The input file ${file.id} has the purpose '${file.purpose}'; a batch needs a file uploaded with the purpose 'batch'.`,
      'input_file_id', 'invalid_value');
  }
  const { customIds, texts, model, errors } = readInputFile(file, body.endpoint, store.limits(api).max_lines);
  const first = texts.length > 0 ? JSON.parse(texts[0]).body : undefined;
  const batch = store.addBatch(api, {
    id: `batch_${randomHex(16)}`, endpoint: body.endpoint, model, customIds, texts: errors.length > 0 ? null : texts,
    invalid: errors.length > 0 ? errors : null, timeline: store.timeline(api, first),
    extra: { inputFileId: file.id, completionWindow: '24h', metadata, lineIdPrefix: randomHex(6), outputFileId: null, errorFileId: null },
  });
  return sendJson(ctx, 200, batchObject(batch));
}

function findBatch(ctx, id) {
  const batch = ctx.state.batches.batches.get(id);
  if (!batch || batch.provider !== 'openai') throw new ApiError(404, `No batch found with id '${id}'.`, 'batch_id');
  return batch;
}

function cancelBatch(ctx, id) {
  const batch = findBatch(ctx, id);
  if (!batch.cancel()) throw new ApiError(409, `Cannot cancel a batch with status '${batch.settle()}'.`);
  return sendJson(ctx, 200, batchObject(batch));
}

// GET .../batches?limit=N&after=ID: newest first, as OpenAI lists them.
function listBatches(ctx, query) {
  const params = new URLSearchParams(query);
  const limit = params.has('limit') ? Number(params.get('limit')) : 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ApiError(400, `Invalid 'limit': expected an integer between 1 and 100, got ${params.get('limit')}.`, 'limit', 'invalid_value');
  }
  let all = [...ctx.state.batches.batches.values()].filter((b) => b.provider === 'openai').reverse();
  const after = params.get('after');
  if (after) all = all.slice(all.findIndex((b) => b.id === after) + 1);
  const data = all.slice(0, limit).map((b) => batchObject(b));
  return sendJson(ctx, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: all.length > limit });
}

function listFiles(ctx, query) {
  const purpose = new URLSearchParams(query).get('purpose');
  const data = [...ctx.state.batches.files.values()].filter((f) => !f.deleted && (!purpose || f.purpose === purpose)).reverse().map(fileObject);
  return sendJson(ctx, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
}

// ------------------------------------------------------------- protocol ---

// <prefix>/files[/{id}[/content]] and <prefix>/batches[/{id}[/cancel]].
const PATH = /^(.*)\/(files|batches)(?:\/([^/]+)(?:\/(content|cancel))?)?$/;
const ROUTES = {
  'POST files': 'upload', 'GET files': 'list_files', 'GET files/id': 'file', 'DELETE files/id': 'delete_file',
  'GET files/id/content': 'content', 'POST batches': 'create', 'GET batches': 'list', 'GET batches/id': 'batch',
  'POST batches/id/cancel': 'cancel',
};

const protocol = {
  ...openai.protocol,
  name: 'openai',

  match(method, pathname, query) {
    // every request passes here: the direct calls leave with two substring tests
    if (!pathname.includes('/files') && !pathname.includes('/batches')) return null;
    // the other protocols' URL spaces keep their own 404s
    if (pathname.startsWith('/openai/deployments/') || pathname.startsWith('/model/') || pathname.includes('/v1beta/')) return null;
    const m = PATH.exec(pathname);
    // /openai/files and /openai/batches are Azure's (not served); .../messages/batches is Anthropic's
    if (!m || m[1] === '/openai' || m[1].endsWith('/messages')) return null;
    const key = `${method} ${m[2]}${m[3] === undefined ? '' : '/id'}${m[4] === undefined ? '' : `/${m[4]}`}`;
    const kind = ROUTES[key];
    if (kind === undefined) return null;
    // the upload is multipart: its body is not parsed as JSON (nor kept whole)
    return { kind, id: m[3] === undefined ? null : decodeId(m[3]), query, rawBody: kind === 'upload' };
  },

  readDirectives() {
    return NO_DIRECTIVES;
  },

  respond(ctx, route, parsed) {
    ctx.corruption = null; // the batch calls answer as they are, whatever --corrupt says
    switch (route.kind) {
      case 'upload': return upload(ctx);
      case 'list_files': return listFiles(ctx, route.query);
      case 'file': return sendJson(ctx, 200, fileObject(findFile(ctx, route.id)));
      case 'delete_file': {
        const file = findFile(ctx, route.id);
        file.deleted = true;
        return sendJson(ctx, 200, { id: file.id, object: 'file', deleted: true });
      }
      case 'content': return fileContent(ctx, route.id);
      case 'create': return createBatch(ctx, parsed);
      case 'list': return listBatches(ctx, route.query);
      case 'batch': return sendJson(ctx, 200, batchObject(findBatch(ctx, route.id)));
      case 'cancel': return cancelBatch(ctx, route.id);
      default: throw new Error(`unrouted ${route.kind}`);
    }
  },
};

module.exports = { protocol, api, batchObject, fileObject, readInputFile };
