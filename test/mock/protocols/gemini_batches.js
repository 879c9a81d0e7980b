'use strict';
// Gemini's Batch API (batch mode) with inline requests: create a batch
// (models.batchGenerateContent), poll it (batches.get, a long-running
// Operation whose `response` carries the inline responses once it is done),
// list, cancel and delete it. Each request is answered by the
// generateContent code of protocols/gemini.js (the same checks, reply and
// usage as POST .../models/{model}:generateContent); the timeline and the
// answering are lib/batches.js. Auth (x-goog-api-key or ?key=), headers and
// error bodies are Gemini's, as for :generateContent.
//
// A request body is parsed as proto JSON when the batch is created, as the
// service parses it: an unknown field or a value of the wrong type anywhere
// refuses the whole batch with a 400. The semantic checks of a request
// (empty contents, a bad temperature, ...) run when it is processed and fail
// that request alone.

const gemini = require('./gemini');
const { GeminiError, parseError, semanticIn, parseMessage, checkRequest, buildResponse, lastUserText, decodeSegment } = gemini;
const { splitModel, parseDirectives, isObject, sendJson, writeHead } = require('../lib/common');
const { OUTCOMES, TERMINAL, JsonlLines, randomHex, decodeId } = require('../lib/batches');

const { SUCCEEDED, FAILED, EXPIRED, CANCELED } = OUTCOMES;
const TYPES = 'type.googleapis.com/google.ai.generativelanguage.v1main';
const BATCH_TYPE = `${TYPES}.GenerateContentBatch`;
const OUTPUT_TYPE = `${TYPES}.GenerateContentBatchOutput`;
const CREATE = 'BatchGenerateContentRequest';
const REQUESTS = 'batch.input_config.requests.requests';
const JSON_TYPE = 'application/json; charset=UTF-8';
const MESSAGE_TAG = /\[\[mock:([^\]]*)\]\]/;
const RECORD_LIMIT = 64 * 1024; // a create request's body is recorded whole up to this size
const STREAM_LINES = 512; // inline responses per write of a streamed answer
const NO_DIRECTIVES = Object.freeze({ directives: Object.freeze({}), base: null, failKey: null });
const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
// A random marker for where the inline responses go in an Operation's JSON text.
const MARK = `@@mock-inlined-${randomHex(8)}@@`;
const MARK_JSON = JSON.stringify(MARK);

// google.rpc.Code, by the `status` name of Google's HTTP error bodies.
const RPC_CODES = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};
const CANCELLED_LINE = '{"code":1,"message":"The batch was cancelled before this request was processed."}';
const EXPIRED_LINE = '{"code":4,"message":"The batch expired before this request was processed."}';
const BATCH_FAILED = {
  code: 13,
  message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting ' +
    '(mock directive batch_end=failed)',
};

// RFC 3339 with nanoseconds, as the service writes its times: 2025-12-10T18:27:01.407000000Z
const time = (ms) => new Date(ms).toISOString().replace(/Z$/, '000000Z');
const batchId = () => Array.from(randomHex(36).match(/../g), (h) => ID_CHARS[parseInt(h, 16) % 36]).join('').slice(0, 36);

// ------------------------------------------------------- answering a line ---

// A stored request is the JSON text {"m": the model segment of the create
// URL (directives included), "r": the request as parsed at creation}.

// The provider side lib/batches.js answers requests with (see its Batch class).
const api = {
  name: 'gemini',
  // Google documents 20 MB for an inline batch, and no count; 100,000 lets
  // a benchmark's batch through (both are set by POST /_mock/batch_config).
  limits: { lines: 100000, bytes: 20 * 1024 * 1024 },
  validating: 0.2, // BATCH_STATE_PENDING for the first fifth of the batch's time,
  answering: 0.8, //  RUNNING until its end; the requests are answered at four fifths

  bodyOf: (line) => line,

  // The model segment of the create URL (every request of the batch), then a
  // `[[mock:...]]` tag in the request's last user message (this request only;
  // a direct :generateContent call does not read it).
  readDirectives(line) {
    const model = splitModel(line.m);
    const contents = Array.isArray(line.r?.contents) ? line.r.contents : [];
    const text = lastUserText(contents);
    const found = text.includes('[[mock:') ? MESSAGE_TAG.exec(text) : null;
    const tag = found ? found[1] : '';
    const directives = parseDirectives([['model', model.query], ['message', tag]]);
    return { base: model.base, directives, failKey: `gemini:${model.base}?${model.query}|${tag}` };
  },

  statusError: (status, base, d) => gemini.protocol.statusError(status, base, d, {}).body,
  directiveError: (err) => gemini.protocol.directiveError(err),
  internalError: () => gemini.protocol.internalError(),
  errorBody: (err) => err.payload,

  // What :generateContent answers for the same request (it was parsed at creation).
  answer(line, base, d, seq) {
    const req = line.r;
    const response = buildResponse(req, base, d, seq, checkRequest(req, base));
    const u = response.usageMetadata;
    const thoughts = u.thoughtsTokenCount ?? 0;
    return {
      json: JSON.stringify(response),
      usage: { input: u.promptTokenCount, cached: u.cachedContentTokenCount ?? 0, output: (u.candidatesTokenCount ?? 0) + thoughts, reasoning: thoughts },
    };
  },

  // An InlinedResponse: {"response": ...} or {"error": <google.rpc.Status>},
  // then the request's metadata as it was sent (none: no metadata). A failed
  // batch has no output at all.
  line(batch, i, outcome, answer) {
    const meta = batch.metas[i] === null ? '' : `,"metadata":${batch.metas[i]}`;
    let head;
    if (outcome === SUCCEEDED) head = `{"response":${answer.json}`;
    else if (outcome === FAILED) head = `{"error":${rpcStatus(answer.json)}`;
    else if (outcome === EXPIRED) head = `{"error":${EXPIRED_LINE}`;
    else if (outcome === CANCELED) head = `{"error":${CANCELLED_LINE}`;
    else return { file: null, text: null };
    return { file: 'results', text: `${head}${meta}}` };
  },

  finish() {},

  statusName: (phase) => batchState(phase),
};

// The error of a direct call ({"error": {code: HTTP status, message, status,
// details}}) as a google.rpc.Status, the form an InlinedResponse carries:
// {code: the google.rpc.Code, message, details}.
function rpcStatus(json) {
  const e = JSON.parse(json).error ?? {};
  const status = { code: RPC_CODES[e.status] ?? RPC_CODES.UNKNOWN, message: e.message ?? '' };
  if (Array.isArray(e.details) && e.details.length > 0) status.details = e.details;
  return JSON.stringify(status);
}

function batchState(phase) {
  switch (phase) {
    case 'validating': return 'BATCH_STATE_PENDING';
    case 'in_progress':
    case 'finalizing': return 'BATCH_STATE_RUNNING';
    case 'completed': return 'BATCH_STATE_SUCCEEDED';
    case 'expired': return 'BATCH_STATE_EXPIRED';
    case 'failed': return 'BATCH_STATE_FAILED';
    default: return 'BATCH_STATE_CANCELLED'; // a cancel is final at once
  }
}

// --------------------------------------------------------------- objects ---

// BatchStats, int64 as strings and zero counts left out (proto3 JSON), as the
// service writes them: {"requestCount": "3", "pendingRequestCount": "3"}.
// Requests a cancel or an expiry stopped count as failed (they carry an error).
function batchStats(batch) {
  const stats = { requestCount: String(batch.n) };
  const c = batch.counts;
  const ok = c.succeeded;
  const failed = c.failed + c.expired + c.canceled + c.errored;
  const pending = batch.n - ok - failed;
  if (ok > 0) stats.successfulRequestCount = String(ok);
  if (failed > 0) stats.failedRequestCount = String(failed);
  if (pending > 0) stats.pendingRequestCount = String(pending);
  return stats;
}

// The Operation as it stands now; `withOutput`: the inline responses go in
// (as MARK, replaced when it is sent) once the batch has ended with some.
function operation(batch, withOutput, now = Date.now()) {
  const phase = batch.settle(now);
  const times = batch.times(now);
  const ended = TERMINAL.has(phase);
  const name = `batches/${batch.id}`;
  const hasOutput = ended && phase !== 'failed';
  const metadata = { '@type': BATCH_TYPE, model: `models/${batch.model}`, displayName: batch.displayName };
  if (hasOutput && withOutput) metadata.output = { inlinedResponses: { inlinedResponses: MARK } };
  metadata.createTime = time(batch.created);
  if (ended) metadata.endTime = time(times.ended);
  metadata.updateTime = time(times.ended ?? times.in_progress ?? batch.created);
  metadata.batchStats = batchStats(batch);
  metadata.state = batchState(phase);
  if (batch.priority) metadata.priority = String(batch.priority);
  metadata.name = name;
  const op = { name, metadata };
  if (!ended) return op;
  op.done = true;
  if (phase === 'failed') op.error = BATCH_FAILED;
  else if (withOutput) op.response = { '@type': OUTPUT_TYPE, inlinedResponses: { inlinedResponses: MARK } };
  return op;
}

// Sends the Operation. Once it carries the inline responses (twice: in
// metadata.output and in response, as the service sends them) it is streamed,
// a few hundred responses per write with back-pressure and its length
// announced: 100,000 responses never sit in memory as one string.
function sendOperation(ctx, batch) {
  const op = operation(batch, true);
  if (!op.response) return sendJson(ctx, 200, op, {}, JSON_TYPE);
  const pieces = JSON.stringify(op).split(MARK_JSON);
  const { lines, bytes } = batch.files.results ?? new JsonlLines();
  const list = lines.length === 0 ? 2 : bytes + 1; // "[a,b]": the lines, a comma between two, the brackets
  let length = (pieces.length - 1) * list;
  for (const piece of pieces) length += Buffer.byteLength(piece);
  writeHead(ctx, 200, { 'content-type': JSON_TYPE, 'content-length': length });
  const chunks = operationChunks(pieces, lines);
  const pump = () => {
    for (;;) {
      if (ctx.closed) return;
      const next = chunks.next();
      if (next.done) {
        ctx.res.end();
        return;
      }
      if (!ctx.res.write(next.value)) {
        ctx.res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

function* operationChunks(pieces, lines) {
  for (let p = 0; p < pieces.length; p++) {
    if (p > 0) {
      if (lines.length === 0) yield '[]';
      for (let i = 0; i < lines.length; i += STREAM_LINES) {
        let chunk = i === 0 ? '[' : ',';
        const end = Math.min(i + STREAM_LINES, lines.length);
        for (let k = i; k < end; k++) chunk += k === i ? lines[k] : `,${lines[k]}`;
        yield end === lines.length ? `${chunk}]` : chunk;
      }
    }
    yield pieces[p];
  }
}

// --------------------------------------------------------------- handlers ---

// The id a request is known by in GET /_mock/batches: its metadata.key (a
// string or a number), else its place in the batch (never a duplicate).
function customId(meta, id, i) {
  const key = isObject(meta) ? meta.key : undefined;
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return `batches/${id}#${i}`;
}

function createBatch(ctx, route, parsed) {
  const store = ctx.state.batches;
  // A large body is recorded as a summary, refused or not, so that the ring
  // of recordings stays bounded.
  if (ctx.rawBody.length > RECORD_LIMIT) {
    const list = parsed.ok ? inlinedList(parsed.value) : null;
    ctx.record.keepBody({
      ok: true,
      text: JSON.stringify({ summarized: true, bytes: ctx.rawBody.length, requests_count: list?.length ?? null, first_request: list?.[0] ?? null }),
    });
  }
  const { max_lines: maxLines, max_bytes: maxBytes } = store.limits(api);
  if (ctx.rawBody.length > maxBytes) throw new GeminiError(400, `Request payload size exceeds the limit: ${maxBytes} bytes.`);
  if (!parsed.ok) {
    throw parseError(parsed.text === '' ? 'Invalid JSON payload received. Unexpected end of string.'
      : `Invalid JSON payload received. Unexpected token.\n${parsed.text.slice(0, 40)}\n^`);
  }
  // The URL's directives are every request's: a typo refuses the batch now.
  const model = splitModel(route.model);
  parseDirectives([['model', model.query]]);
  const { batch: spec } = parseMessage(CREATE, parsed.value, '');
  if (spec === undefined) throw semanticIn(CREATE, 'batch', 'required field is not set');
  if (!spec.displayName) throw semanticIn(CREATE, 'batch.display_name', 'required field is not set');
  const input = spec.inputConfig;
  if (input === undefined) throw semanticIn(CREATE, 'batch.input_config', 'required field is not set');
  if (input.fileName !== undefined && input.requests !== undefined) {
    throw parseError("Invalid value at 'batch.input_config' (oneof), oneof field 'source' is already set. Cannot set 'requests'",
      'batch.input_config');
  }
  if (input.fileName !== undefined) {
    throw semanticIn(CREATE, 'batch.input_config.file_name', 'the mock provider answers inline requests only (input_config.requests).');
  }
  if (input.requests === undefined) {
    throw semanticIn(CREATE, 'batch.input_config.source', "required oneof field 'source' must have one initialized field");
  }
  const requests = input.requests.requests ?? [];
  if (requests.length === 0) throw semanticIn(CREATE, REQUESTS, 'requests must not be empty.');
  if (requests.length > maxLines) throw semanticIn(CREATE, REQUESTS, `at most ${maxLines} requests can be in one batch, not ${requests.length}.`);
  requests.forEach((r, i) => {
    if (r.request === undefined) throw semanticIn(CREATE, `${REQUESTS}[${i}].request`, 'required field is not set');
  });
  const id = batchId();
  const m = JSON.stringify(route.model);
  const batch = store.addBatch(api, {
    id,
    endpoint: `/v1beta/models/${model.base}:generateContent`,
    model: model.base,
    customIds: requests.map((r, i) => customId(r.metadata, id, i)),
    texts: requests.map((r) => `{"m":${m},"r":${JSON.stringify(r.request)}}`),
    timeline: store.timeline(api, { m: route.model, r: requests[0].request }),
    extra: {
      displayName: spec.displayName,
      priority: spec.priority ?? 0,
      metas: requests.map((r) => (r.metadata === undefined ? null : JSON.stringify(r.metadata))),
      cancelMs: 0, // a cancel is final at once: BATCH_STATE_CANCELLED
    },
  });
  return sendOperation(ctx, batch);
}

// batch.input_config.requests.requests of a body as sent (snake or camel case), if it is a list.
function inlinedList(body) {
  const batch = isObject(body) ? body.batch : undefined;
  const input = isObject(batch) ? batch.input_config ?? batch.inputConfig : undefined;
  const requests = isObject(input) ? input.requests : undefined;
  return isObject(requests) && Array.isArray(requests.requests) ? requests.requests : null;
}

function findBatch(ctx, id) {
  const batch = ctx.state.batches.batches.get(id);
  if (!batch || batch.provider !== 'gemini' || batch.deleted) throw new GeminiError(404, 'Requested entity was not found.');
  return batch;
}

// GET .../batches?pageSize=N&pageToken=T: newest first. The entries leave
// out the inline responses (GET the batch for them).
function listBatches(ctx, query) {
  const params = new URLSearchParams(query);
  const raw = params.get('pageSize') ?? params.get('page_size');
  const size = raw === null || raw === '' ? 50 : Number(raw);
  if (!Number.isInteger(size) || size < 0) throw parseError(`Invalid value at 'page_size' (TYPE_INT32), "${raw}"`, 'page_size');
  const pageSize = Math.min(size || 50, 1000);
  let all = [...ctx.state.batches.batches.values()].filter((b) => b.provider === 'gemini' && !b.deleted).reverse();
  const token = params.get('pageToken') ?? params.get('page_token');
  if (token) {
    const at = all.findIndex((b) => b.id === token);
    if (at < 0) throw new GeminiError(400, 'Invalid page token.');
    all = all.slice(at + 1);
  }
  const page = all.slice(0, pageSize);
  const out = {};
  if (page.length > 0) out.operations = page.map((b) => operation(b, false));
  if (all.length > pageSize) out.nextPageToken = page.at(-1).id;
  return sendJson(ctx, 200, out, {}, JSON_TYPE);
}

// ------------------------------------------------------------- protocol ---

const CREATE_PATH = /^(?:\/[^]*)?\/v1beta\/models\/([^/]+):batchGenerateContent$/;
const BATCHES_PATH = /^(?:\/[^]*)?\/v1beta\/batches(?:\/([^/:]+)(:cancel)?)?$/;

const protocol = {
  ...gemini.protocol,
  name: 'gemini',

  match(method, pathname, query) {
    // every request passes here: the direct calls leave with one substring test
    if (!pathname.includes('/v1beta/')) return null;
    if (pathname.endsWith(':batchGenerateContent')) {
      const m = CREATE_PATH.exec(pathname);
      const model = m && method === 'POST' ? decodeSegment(m[1]) : null;
      return model ? { kind: 'create', model, query } : null;
    }
    const m = BATCHES_PATH.exec(pathname);
    if (!m) return null;
    const id = m[1] === undefined ? null : decodeId(m[1]);
    let kind = null;
    if (id === null) kind = method === 'GET' ? 'list' : null;
    else if (m[2]) kind = method === 'POST' ? 'cancel' : null;
    else kind = method === 'GET' ? 'batch' : method === 'DELETE' ? 'delete' : null;
    return kind ? { kind, id, query } : null;
  },

  readDirectives() {
    return NO_DIRECTIVES;
  },

  respond(ctx, route, parsed) {
    ctx.corruption = null; // the batch calls answer as they are, whatever --corrupt says
    switch (route.kind) {
      case 'create': return createBatch(ctx, route, parsed);
      case 'list': return listBatches(ctx, route.query);
      case 'batch': return sendOperation(ctx, findBatch(ctx, route.id));
      // As the service's long-running operations: a cancel is best effort, so
      // one after the end changes nothing and still answers {}.
      case 'cancel':
        findBatch(ctx, route.id).cancel();
        return sendJson(ctx, 200, {}, {}, JSON_TYPE);
      // Forgets the batch (a 404 from then on); it does not cancel it.
      case 'delete':
        findBatch(ctx, route.id).deleted = true;
        return sendJson(ctx, 200, {}, {}, JSON_TYPE);
      default: throw new Error(`unrouted ${route.kind}`);
    }
  },
};

module.exports = { protocol, api, operation };
