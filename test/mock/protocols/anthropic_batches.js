'use strict';
// Anthropic's Message Batches API: create, retrieve, list, cancel and delete
// a batch, and download its results (JSONL). Each request of a batch is
// answered by the Messages logic of protocols/anthropic.js (the same
// validation, message and usage as POST /v1/messages); the timeline and the
// answering are lib/batches.js. Auth (x-api-key, anthropic-version), headers
// and error bodies are Anthropic's, as for /v1/messages.

const crypto = require('node:crypto');
const anthropic = require('./anthropic');
const { AnthropicError, invalid } = anthropic;
const { splitModel, parseDirectives, isJsonContentType, isObject, sendJson } = require('../lib/common');
const {
  OUTCOMES, TERMINAL, JsonlLines, hostileResults, streamJsonl, decodeId,
} = require('../lib/batches');

const { SUCCEEDED, FAILED, EXPIRED, CANCELED, ERRORED } = OUTCOMES;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const MESSAGE_TAG = /\[\[mock:([^\]]*)\]\]/;
const RECORD_LIMIT = 64 * 1024; // a create request's body is recorded whole up to this size
const NO_DIRECTIVES = Object.freeze({ directives: Object.freeze({}), base: null, failKey: null });
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// RFC 3339 with microseconds, as the API writes its times: 2024-09-24T18:37:24.100000Z
const iso = (ms) => (ms === null ? null : new Date(ms).toISOString().replace(/Z$/, '000Z'));
const base62 = (n) => Array.from(crypto.randomBytes(n), (b) => BASE62[b % 62]).join('');

// ------------------------------------------------------- answering a line ---

// A `[[mock:...]]` tag in the last user message's text: for a batch each
// request may carry its own directives, as an OpenAI chat request may.
function messageTag(body) {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  const text = anthropic.lastUserText(messages);
  const tag = text.includes('[[mock:') ? MESSAGE_TAG.exec(text) : null;
  return tag ? tag[1] : '';
}

// The provider side lib/batches.js answers requests with (see its Batch class).
const api = {
  name: 'anthropic',
  limits: { lines: 100000, bytes: 256 * 1024 * 1024 },
  validating: 0, // in_progress from its creation
  answering: 1, //  to its end

  bodyOf: (params) => params,

  // As POST /v1/messages reads them (model name, metadata.mock), then the tag.
  readDirectives(params) {
    const body = isObject(params) ? params : {};
    const model = typeof body.model === 'string' ? splitModel(body.model) : { base: null, query: '' };
    const meta = isObject(body.metadata) && typeof body.metadata.mock === 'string' ? body.metadata.mock : '';
    const tag = messageTag(body);
    const directives = parseDirectives([['model', model.query], ['metadata.mock', meta], ['message', tag]]);
    return { base: model.base, directives, failKey: `anthropic:${model.base}?${model.query}|${meta}|${tag}` };
  },

  statusError(status, base, d, seq) {
    const { body } = anthropic.protocol.statusError(status, base, d, { seq, retryHeaders: {} });
    delete body.request_id;
    return body;
  },
  directiveError: (err) => anthropic.protocol.directiveError(err),
  internalError: () => anthropic.protocol.internalError(),
  errorBody: (err) => err.payload,

  // Params are validated when the request is processed, as the API does: a
  // bad request is an errored result, not a refused batch.
  answer(params, base, d, seq) {
    if (!isObject(params)) throw invalid('Input should be a valid dictionary or object to extract fields from');
    const info = anthropic.validate(params, false);
    if (params.stream === true) throw invalid('stream: Streaming is not supported in a Message Batch.');
    const message = anthropic.buildMessage(params, base, d, seq, info);
    const u = message.usage;
    u.service_tier = 'batch'; // what a batch's messages report
    return {
      json: JSON.stringify(message),
      usage: { input: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens, cached: u.cache_read_input_tokens, output: u.output_tokens, reasoning: 0 },
    };
  },

  line(batch, i, outcome, answer) {
    const head = `{"custom_id":${JSON.stringify(batch.customIds[i])},"result":`;
    let result;
    if (outcome === SUCCEEDED) result = `{"type":"succeeded","message":${answer.json}}`;
    else if (outcome === FAILED) result = `{"type":"errored","error":${answer.json}}`;
    else if (outcome === EXPIRED) result = '{"type":"expired"}';
    else if (outcome === CANCELED) result = '{"type":"canceled"}';
    else if (outcome === ERRORED) result = '{"type":"errored","error":{"type":"error","error":{"type":"api_error","message":"Internal server error"}}}';
    return { file: 'results', text: `${head}${result}}` };
  },

  finish() {},

  authErrorLine: (customId, credential) => JSON.stringify({
    custom_id: customId,
    result: { type: 'errored', error: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${credential}` } } },
  }),

  statusName: (phase) => (TERMINAL.has(phase) ? 'ended' : phase === 'cancelling' ? 'canceling' : 'in_progress'),
};

// --------------------------------------------------------------- objects ---

// The MessageBatch as it stands now. Until processing ends every request
// counts as `processing` (the API tallies the outcomes only at the end).
function batchObject(ctx, batch, now = Date.now()) {
  const phase = batch.settle(now);
  const times = batch.times(now);
  const ended = TERMINAL.has(phase);
  const c = batch.counts;
  let host = ctx.req.headers.host || '127.0.0.1';
  // batch_results=foreign_url: the results are said to be on another origin
  // (the same server under another name), as a hostile provider could say
  if (batch.resultModes.includes('foreign_url')) host = host.replace(/^(\[[^\]]*\]|[^:]*)/, (name) => (name === 'localhost' ? '127.0.0.1' : 'localhost'));
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: api.statusName(phase),
    request_counts: ended
      ? { processing: 0, succeeded: c.succeeded, errored: c.failed + c.errored, canceled: c.canceled, expired: c.expired }
      : { processing: batch.n, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: ended ? iso(times.ended) : null,
    created_at: iso(batch.created),
    expires_at: iso(times.expires),
    archived_at: null,
    cancel_initiated_at: iso(batch.cancelAt),
    results_url: ended ? `http://${host}${batch.prefix}/v1/messages/batches/${batch.id}/results` : null,
  };
}

// --------------------------------------------------------------- handlers ---

function createBatch(ctx, route, parsed) {
  const store = ctx.state.batches;
  // A large body is recorded as a summary, refused or not, so that the ring
  // of recordings stays bounded.
  if (ctx.rawBody.length > RECORD_LIMIT) {
    const requests = parsed.ok && isObject(parsed.value) && Array.isArray(parsed.value.requests) ? parsed.value.requests : null;
    ctx.record.keepBody({
      ok: true,
      text: JSON.stringify({ summarized: true, bytes: ctx.rawBody.length, requests_count: requests?.length ?? null, first_request: requests?.[0] ?? null }),
    });
  }
  const { max_lines: maxLines, max_bytes: maxBytes } = store.limits(api);
  if (ctx.rawBody.length > maxBytes) {
    throw new AnthropicError(413, 'request_too_large', `Request exceeds the maximum allowed number of bytes (${maxBytes} for a Message Batch).`);
  }
  const type = ctx.req.headers['content-type'];
  if (!isJsonContentType(type)) throw invalid(`Invalid content-type header (${type || 'none'}), expected application/json`);
  if (!parsed.ok) throw invalid('There was an error parsing the body of your request. Make sure it is valid JSON.');
  const body = parsed.value;
  if (!isObject(body)) throw invalid('Input should be a valid dictionary or object to extract fields from');
  for (const key of Object.keys(body)) if (key !== 'requests') throw invalid(`${key}: Extra inputs are not permitted`);
  const { requests } = body;
  if (requests === undefined) throw invalid('requests: Field required');
  if (!Array.isArray(requests)) throw invalid('requests: Input should be a valid list');
  if (requests.length === 0) throw invalid('requests: List should have at least 1 item after validation, not 0');
  if (requests.length > maxLines) throw invalid(`requests: List should have at most ${maxLines} items after validation, not ${requests.length}`);
  const seen = new Set();
  requests.forEach((r, i) => {
    const path = `requests.${i}`;
    if (!isObject(r)) throw invalid(`${path}: Input should be a valid dictionary or object to extract fields from`);
    for (const key of Object.keys(r)) if (key !== 'custom_id' && key !== 'params') throw invalid(`${path}.${key}: Extra inputs are not permitted`);
    if (r.custom_id === undefined) throw invalid(`${path}.custom_id: Field required`);
    if (typeof r.custom_id !== 'string') throw invalid(`${path}.custom_id: Input should be a valid string`);
    if (!CUSTOM_ID.test(r.custom_id)) throw invalid(`${path}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
    if (seen.has(r.custom_id)) {
      throw invalid(`requests: Duplicate custom_id '${r.custom_id}' (at ${path}): each request of a Message Batch must have a unique custom_id.`);
    }
    seen.add(r.custom_id);
    if (r.params === undefined) throw invalid(`${path}.params: Field required`);
    if (!isObject(r.params)) throw invalid(`${path}.params: Input should be a valid dictionary or object to extract fields from`);
  });
  const first = requests[0].params;
  const batch = store.addBatch(api, {
    id: `msgbatch_${base62(24)}`,
    endpoint: '/v1/messages',
    model: typeof first.model === 'string' ? splitModel(first.model).base : null,
    customIds: requests.map((r) => r.custom_id),
    texts: requests.map((r) => JSON.stringify(r.params)),
    timeline: store.timeline(api, first),
    extra: { prefix: route.prefix },
  });
  return sendJson(ctx, 200, batchObject(ctx, batch));
}

function findBatch(ctx, id) {
  const batch = ctx.state.batches.batches.get(id);
  if (!batch || batch.provider !== 'anthropic' || batch.deleted) {
    throw new AnthropicError(404, 'not_found_error', `Message Batch not found: ${id}`);
  }
  return batch;
}

function results(ctx, id) {
  const batch = findBatch(ctx, id);
  if (!TERMINAL.has(batch.settle())) {
    throw invalid(`Message Batch ${id} is still processing; its results are available once its processing_status is ended.`);
  }
  return streamJsonl(ctx, hostileResults(batch.files.results ?? new JsonlLines(), batch.resultModes, api, ctx.req.headers['x-api-key']),
    'application/x-jsonl');
}

// GET .../batches?limit=N&after_id=ID: newest first.
function listBatches(ctx, query) {
  const params = new URLSearchParams(query);
  const limit = params.has('limit') ? Number(params.get('limit')) : 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit: Input should be less than or equal to 1000');
  let all = [...ctx.state.batches.batches.values()].filter((b) => b.provider === 'anthropic' && !b.deleted).reverse();
  const after = params.get('after_id');
  if (after) all = all.slice(all.findIndex((b) => b.id === after) + 1);
  const data = all.slice(0, limit).map((b) => batchObject(ctx, b));
  return sendJson(ctx, 200, { data, has_more: all.length > limit, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}

// ------------------------------------------------------------- protocol ---

const PATH = /^(.*)\/v1\/messages\/batches(?:\/([^/]+)(?:\/(cancel|results))?)?$/;
const ROUTES = {
  'POST ': 'create', 'GET ': 'list', 'GET id': 'batch', 'DELETE id': 'delete', 'POST id/cancel': 'cancel', 'GET id/results': 'results',
};

const protocol = {
  ...anthropic.protocol,
  name: 'anthropic',

  match(method, pathname, query) {
    // every request passes here: the direct calls leave with one substring test
    if (!pathname.includes('/v1/messages/batches')) return null;
    const m = PATH.exec(pathname);
    if (!m) return null;
    const kind = ROUTES[`${method} ${m[2] === undefined ? '' : 'id'}${m[3] === undefined ? '' : `/${m[3]}`}`];
    if (kind === undefined) return null;
    return { kind, prefix: m[1], id: m[2] === undefined ? null : decodeId(m[2]), query };
  },

  readDirectives() {
    return NO_DIRECTIVES;
  },

  respond(ctx, route, parsed) {
    ctx.corruption = null; // the batch calls answer as they are, whatever --corrupt says
    switch (route.kind) {
      case 'create': return createBatch(ctx, route, parsed);
      case 'list': return listBatches(ctx, route.query);
      case 'batch': return sendJson(ctx, 200, batchObject(ctx, findBatch(ctx, route.id)));
      case 'cancel': {
        const batch = findBatch(ctx, route.id);
        if (!batch.cancel()) throw invalid(`Message Batch ${route.id} has already ended and can no longer be canceled.`);
        return sendJson(ctx, 200, batchObject(ctx, batch));
      }
      case 'delete': {
        const batch = findBatch(ctx, route.id);
        if (!TERMINAL.has(batch.settle())) throw invalid(`Message Batch ${route.id} is still processing; cancel it before deleting it.`);
        batch.deleted = true;
        return sendJson(ctx, 200, { id: batch.id, type: 'message_batch_deleted' });
      }
      case 'results': return results(ctx, route.id);
      default: throw new Error(`unrouted ${route.kind}`);
    }
  },
};

module.exports = { protocol, api, batchObject };
