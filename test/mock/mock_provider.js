#!/usr/bin/env node
'use strict';
// Local mock of the model providers' wire protocols, used by the aigw tests
// and benchmarks: OpenAI (chat completions, embeddings, models), Azure OpenAI,
// Anthropic Messages, Gemini (content generation and embeddings) and Amazon
// Bedrock (Converse, and InvokeModel for embedding models; SigV4); and the
// asynchronous batch APIs of OpenAI (Files, Batch), Anthropic (Message
// Batches) and Gemini (batch mode, inline requests), whose lines the same
// protocol code answers. Standard library
// only. See README.md in this directory for the CLI, the protocols, the fault
// directives and the admin API.

const http = require('node:http');
const fs = require('node:fs');

const {
  HttpError, DirectiveError, maskKey, retryHeaders, parseBody, sendRaw, sendJson, destroySocket, HTML_502,
} = require('./lib/common');
const { planFor, parseKinds } = require('./lib/corrupt');
const structured = require('./lib/structured');
const { BatchStore } = require('./lib/batches');
const openai = require('./protocols/openai');
const azure = require('./protocols/azure');
const anthropic = require('./protocols/anthropic');
const gemini = require('./protocols/gemini');
const bedrock = require('./protocols/bedrock');
const openaiBatches = require('./protocols/openai_batches');
const anthropicBatches = require('./protocols/anthropic_batches');
const geminiBatches = require('./protocols/gemini_batches');

const RING_SIZE = 1000;
const SECRET_HEADERS = ['authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'x-amz-security-token'];

// Most specific first: Azure's chat path also ends like OpenAI's.
const PROTOCOLS = [azure.protocol, bedrock.protocol, geminiBatches.protocol, gemini.protocol, anthropicBatches.protocol, anthropic.protocol,
  openaiBatches.protocol, openai.protocol];
// A request whose body is not JSON (a multipart upload): not parsed, not kept whole.
const UNPARSED = Object.freeze({ ok: false, value: null, text: '' });

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
  constructor(keys, aws, corrupt, batch) {
    this.keys = new Set(keys);
    // Files and batches of the batch APIs (lib/batches.js), cleared by reset.
    this.batches = new BatchStore(this, [openaiBatches.api, anthropicBatches.api, geminiBatches.api], batch);
    // The start-up corruption (--corrupt): {kinds, rate, seed}; kinds null when off.
    this.corrupt = { kinds: null, rate: 100, seed: 0, ...corrupt };
    this.aws = { accessKeyId: null, secretAccessKey: null, sessionToken: null, region: 'us-east-1', ...aws };
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
    this.answersTotal = 0;
    this.corruptedTotal = 0;
    this.corruptedByKind = Object.create(null);
    this.requestsByPath = Object.create(null);
    this.abortedPending = 0;
    this.failCounts = new Map();
    structured.reset();
    this.batches.reset();
    this.recordings.clear();
  }

  stats() {
    return {
      connections_total: this.connectionsTotal,
      connections_open: this.connectionsOpen,
      requests_total: this.requestsTotal,
      answers_total: this.answersTotal,
      corrupted_total: this.corruptedTotal,
      corrupted_by_kind: this.corruptedByKind,
      requests_by_path: this.requestsByPath,
      aborted_pending: this.abortedPending,
      // batch lines are not API requests: they are counted apart
      ...this.batches.stats(),
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

  noteCorruption(ctx, kind) {
    if (ctx.epoch !== this.epoch) return;
    this.corruptedTotal++;
    this.corruptedByKind[kind] = (this.corruptedByKind[kind] ?? 0) + 1;
  }

  // True while a `fail_first=K` request is still among the first K for its key.
  shouldFail(directives, failKey) {
    if (directives.fail_first === undefined) return true;
    const n = (this.failCounts.get(failKey) ?? 0) + 1;
    this.failCounts.set(failKey, n);
    return n <= directives.fail_first;
  }
}

// ------------------------------------------------------------- recording ---

// One request as GET /_mock/requests shows it. Most runs record every request
// and read few of them, so what is kept is what arrived (the headers, the
// request target, the body's text), and masking and parsing wait for a read.
// A body's text is also lighter for the garbage collector than its parse.
class Recording {
  constructor(seq, at, req) {
    this.seq = seq;
    this.at = at;
    this.method = req.method;
    this.url = req.url;
    this.headers = req.headers;
    this.bodyText = '';
    this.bodyIsJson = false;
    this.aborted = false;
    this.status = null;
    this.answered_at = undefined;
    this.corruption = undefined;
  }

  // `parsed` is what parseBody made of the body.
  keepBody(parsed) {
    this.bodyText = parsed.text;
    this.bodyIsJson = parsed.ok;
  }

  toJSON() {
    return {
      seq: this.seq, at: this.at, method: this.method, path: recordedUrl(this.url), headers: recordedHeaders(this.headers),
      body: this.bodyIsJson ? JSON.parse(this.bodyText) : this.bodyText || null,
      aborted: this.aborted, status: this.status, answered_at: this.answered_at, corruption: this.corruption,
    };
  }
}

// Request headers as recorded: lowercased (Node already does that) with secrets
// masked. A SigV4 Authorization keeps its structure; only the key id is masked.
function recordedHeaders(headers) {
  const out = { ...headers };
  for (const name of SECRET_HEADERS) {
    const v = out[name];
    if (typeof v !== 'string') continue;
    const bearer = /^(Bearer\s+)(.*)$/i.exec(v);
    const sigv4 = /^(AWS4-HMAC-SHA256\s+Credential=)([^/,\s]*)(.*)$/.exec(v);
    if (bearer) out[name] = bearer[1] + maskKey(bearer[2]);
    else if (sigv4) out[name] = sigv4[1] + maskKey(sigv4[2]) + sigv4[3];
    else out[name] = maskKey(v);
  }
  return out;
}

// The request target with a `key=` query parameter (Gemini's query auth) masked.
function recordedUrl(url) {
  return url.replace(/([?&]key=)([^&]*)/g, (_, prefix, value) => {
    let key = value;
    try {
      key = decodeURIComponent(value);
    } catch { /* keep it raw */ }
    return prefix + encodeURIComponent(maskKey(key));
  });
}

// What a request carried to authenticate itself, quoted back in full the way
// a careless proxy or provider does ("Incorrect API key provided: ..."): the
// one place the mock repeats a credential, so that clients can be tested to
// scrub it. A SigV4 request carries no secret; the mock quotes the one it
// verifies with, as a proxy that dumps its configuration would.
function receivedCredentials(ctx) {
  const parts = [];
  for (const name of SECRET_HEADERS) {
    if (typeof ctx.req.headers[name] === 'string') parts.push(`${name}: ${ctx.req.headers[name]}`);
  }
  const key = /[?&]key=([^&]*)/.exec(ctx.req.url);
  if (key) parts.push(`key=${key[1]}`);
  if (ctx.protocol === bedrock.protocol && ctx.state.aws.secretAccessKey) {
    parts.push(`secret access key: ${ctx.state.aws.secretAccessKey}`);
  }
  return `Incorrect API key provided: ${parts.join('; ')}.`;
}

// echo_auth: a 401 quoting the credential, as an OpenAI-shaped error (which a
// proxy in front of any provider sends) or as plain text.
function sendEchoAuth(ctx, form) {
  const message = receivedCredentials(ctx);
  if (form === 'text') return sendRaw(ctx, 401, 'text/plain', message);
  return sendJson(ctx, 401, { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
}

// --------------------------------------------------------------- routing ---

function route(method, pathname, query) {
  for (const protocol of PROTOCOLS) {
    const match = protocol.match(method, pathname, query);
    if (match) return { protocol, ...match };
  }
  return null;
}

// Who answers an unknown path: the protocol whose URL space it is in.
function notFoundProtocol(pathname) {
  if (pathname.startsWith('/openai/deployments/')) return azure.protocol;
  if (pathname.startsWith('/model/')) return bedrock.protocol;
  if (pathname.includes('/v1beta/')) return gemini.protocol;
  return openai.protocol;
}

// Answers with one of the "broken provider" behaviours; returns false if none applies.
function sendFault(ctx, protocol, d, base) {
  if (d.drop) destroySocket(ctx);
  else if (d.hang) return true; // the socket stays open until the client gives up
  else if (d.malformed) sendRaw(ctx, 200, 'application/json', protocol.malformedBody);
  else if (d.body !== undefined) sendRaw(ctx, 200, 'application/json', d.body);
  else if (d.empty) sendRaw(ctx, 200, 'application/json', '');
  else if (d.html) sendRaw(ctx, 502, 'text/html', HTML_502);
  else if (d.error_body) sendJson(ctx, 200, protocol.statusError(500, base, d, ctx).body);
  else if (d.echo_auth !== undefined) sendEchoAuth(ctx, d.echo_auth);
  else if (d.nested > 0) sendRaw(ctx, 200, 'application/json', `{"id":"nested","choices":[],"deep":${'['.repeat(d.nested)}${']'.repeat(d.nested)}}`);
  else if (d.huge_header > 0) sendRaw(ctx, 200, 'application/json', '{}', { 'x-mock-padding': 'x'.repeat(d.huge_header) });
  else if (d.status >= 400) {
    const { body, headers } = protocol.statusError(d.status, base, d, ctx);
    sendJson(ctx, d.status, body, headers);
  } else return false;
  return true;
}

// What one API request carries through the pipeline. A class, so that every
// request has the same shape (the protocols read these fields on every call).
class RequestContext {
  constructor(state, req, res, seq, record, start, arrived, pathname, route, protocol) {
    this.state = state;
    this.req = req;
    this.res = res;
    this.seq = seq;
    this.record = record;
    this.start = start; // wall-clock arrival (Date.now()), for the answers' own clocks
    this.arrived = arrived; // monotonic arrival (performance.now()), the latency's origin
    this.pathname = pathname;
    this.epoch = state.epoch;
    this.closed = false;
    this.selfDestroyed = false;
    this.retryHeaders = {};
    this.route = route;
    this.protocol = protocol;
    this.rawBody = null;
    this.bodyChunks = null; // only when the body came in more than one chunk
    this.bodySettled = false; // the body's end or error came: later ones are ignored
    this.corruption = null; // how this request's valid answer is to be corrupted (lib/corrupt.js)
  }
}

// The request pipeline, the same for every protocol (see README, "order"):
// body, latency, path, auth, directives, faults, validation, answer.
//
// It runs as plain callbacks, not as an async function: awaiting the body and
// the latency cost two promises, their closures and two microtask turns per
// request, a visible part of the mock's CPU under a benchmark's load. The
// steps run in the same order and at the same moments: a socket's close
// always arrives in a later event-loop turn (libuv close callbacks), so it
// cannot fall between the body's end (or the latency timer) and the step that
// follows it. The listeners are shared functions that find the request's
// context on the request and response objects, so that a request allocates
// no closures.
const CTX = Symbol('mock request context');

function onApiRequest(state, req, res, pathname, query) {
  const arrived = performance.now(); // the latency's origin (monotonic; `start` is wall-clock time)
  const start = Date.now();
  state.noteConnection(req.socket);
  state.requestsTotal++;
  state.requestsByPath[pathname] = (state.requestsByPath[pathname] ?? 0) + 1;
  const seq = ++state.seq;
  const record = new Recording(seq, start, req);
  state.recordings.push(record);
  const matched = route(req.method, pathname, query);
  const protocol = matched ? matched.protocol : notFoundProtocol(pathname);
  const ctx = new RequestContext(state, req, res, seq, record, start, arrived, pathname, matched, protocol);
  req[CTX] = ctx;
  res[CTX] = ctx;
  res.on('close', onResponseClose);
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('error', onRequestError);
}

function onResponseClose() {
  const ctx = this[CTX];
  ctx.closed = true;
  if (this.writableFinished || ctx.selfDestroyed) return;
  ctx.record.aborted = true;
  if (ctx.epoch === ctx.state.epoch) ctx.state.abortedPending++;
}

function onBodyData(chunk) {
  const ctx = this[CTX];
  if (ctx.rawBody === null) ctx.rawBody = chunk;
  else (ctx.bodyChunks ??= [ctx.rawBody]).push(chunk);
}

function onBodyEnd() {
  const ctx = this[CTX];
  if (ctx.bodySettled) return;
  ctx.bodySettled = true;
  if (ctx.bodyChunks !== null) ctx.rawBody = Buffer.concat(ctx.bodyChunks);
  else if (ctx.rawBody === null) ctx.rawBody = EMPTY_BODY;
  try {
    afterBody(ctx);
  } catch (err) {
    failRequest(ctx, err);
  }
}

function onRequestError(err) {
  const ctx = this[CTX];
  if (ctx.bodySettled) return;
  ctx.bodySettled = true;
  failRequest(ctx, err);
}

const EMPTY_BODY = Buffer.alloc(0);

// Step 1 done (the body is read): parse it, read the directives, then wait
// for the latency, counted from the request's arrival: the time spent reading
// and parsing it, or waiting for a busy event loop, is not added on top. The
// wait is rounded to Node's timer unit, the millisecond, which makes it on
// average as punctual as a timer started at the arrival.
function afterBody(ctx) {
  const state = ctx.state;
  const matched = ctx.route;
  const parsed = matched && matched.rawBody ? UNPARSED : parseBody(ctx.rawBody);
  ctx.record.keepBody(parsed);

  let directives = {};
  let base = null;
  let failKey = null;
  let directiveError = null;
  try {
    ({ directives, base, failKey } = matched ? ctx.protocol.readDirectives(matched, parsed) : openai.readDirectives(parsed.value));
  } catch (err) {
    directiveError = err;
  }
  ctx.retryHeaders = retryHeaders(directives);
  const latency = directives.latency_ms ?? state.defaultLatencyMs;
  const ms = latency ? Math.round(ctx.arrived + latency - performance.now()) : 0;
  if (ms > 0) setTimeout(afterLatency, ms, ctx, parsed, directives, base, failKey, directiveError);
  else afterLatency(ctx, parsed, directives, base, failKey, directiveError);
}

// Steps 3 to 8: path, auth, directives, faults, validation, answer.
function afterLatency(ctx, parsed, directives, base, failKey, directiveError) {
  if (ctx.closed) return;
  try {
    const matched = ctx.route;
    const protocol = ctx.protocol;
    if (!matched) return protocol.notFound(ctx, ctx.pathname);
    protocol.authenticate(ctx.state, ctx, matched);
    if (directiveError) throw directiveError;

    const faulty = ctx.state.shouldFail(directives, failKey);
    if (faulty && sendFault(ctx, protocol, directives, base)) return;
    // Only the valid answer is corrupted (not a fault's, not an error): the
    // key of a request that names no seed is what it asked, so the same
    // request gets the same corruption whatever arrived before it.
    ctx.corruption = planFor(ctx.state.corrupt, directives, `${ctx.req.method} ${ctx.req.url}\n${parsed.text}`);
    protocol.respond(ctx, matched, parsed, base, directives, faulty);
  } catch (err) {
    failRequest(ctx, err);
  }
}

// Answers a request whose handling threw: the protocol's error body for an
// HttpError or a bad directive, a 500 for anything else.
function failRequest(ctx, caught) {
  if (ctx.closed) return;
  if (ctx.res.headersSent) return destroySocket(ctx);
  let err = caught;
  if (err instanceof DirectiveError) err = ctx.protocol.directiveError(err);
  if (!(err instanceof HttpError)) {
    process.stderr.write(`mock provider: ${err.stack || err}\n`);
    err = ctx.protocol.internalError();
  }
  sendJson(ctx, err.status, err.render(ctx), err.headers);
}

function onAdminRequest(state, req, res, pathname, query) {
  const reply = (status, value) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.method === 'POST' && pathname === '/_mock/batch_config') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        reply(200, state.batches.setConfig(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
      } catch (err) {
        reply(400, { error: { message: `Bad batch config: ${err.message}` } });
      }
    });
    return undefined;
  }
  req.resume();
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
    case 'GET /_mock/batches':
      return reply(200, state.batches.report(query));
    case 'GET /_mock/batch_config':
      return reply(200, state.batches.describeConfig());
    default:
      return reply(404, { error: { message: `Unknown admin endpoint ${req.method} ${pathname}` } });
  }
}

// `batch`: {batchMs, maxLines}, the batches' defaults (lib/batches.js).
function createMockServer({ keys = [], defaultLatencyMs = 0, aws = {}, corrupt = {}, batch = {} } = {}) {
  const state = new MockState(keys, aws, corrupt, batch);
  state.defaultLatencyMs = defaultLatencyMs;
  const server = http.createServer({ keepAlive: true, noDelay: true, requestTimeout: 0 }, (req, res) => {
    const q = req.url.indexOf('?');
    const pathname = q < 0 ? req.url : req.url.slice(0, q);
    const query = q < 0 ? '' : req.url.slice(q + 1);
    if (pathname.startsWith('/_mock/')) onAdminRequest(state, req, res, pathname, query);
    else onApiRequest(state, req, res, pathname, query);
  });
  // Long idle keep-alive like real providers; requestTimeout 0 lets `hang` hang.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  return { server, state };
}

// ------------------------------------------------------------------- CLI ---

const USAGE = 'usage: mock_provider.js [--port N] [--host ADDR] [--port-file F] [--pid-file F] [--key KEY]... ' +
  '[--latency-ms N] [--aws-access-key-id ID --aws-secret-access-key SECRET [--aws-session-token T]] ' +
  '[--aws-region R] [--corrupt KINDS [--corrupt-rate PERCENT] [--corrupt-seed N]] [--batch-ms N] [--batch-max-lines N] [--quiet]';

function parseArgs(argv) {
  const opts = {
    port: 0, host: '127.0.0.1', portFile: null, pidFile: null, keys: [], latencyMs: 0, quiet: false,
    aws: { accessKeyId: null, secretAccessKey: null, sessionToken: null, region: 'us-east-1' },
    corrupt: { kinds: null, rate: 100, seed: null },
    batch: {},
  };
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
    else if (arg === '--aws-access-key-id') opts.aws.accessKeyId = value();
    else if (arg === '--aws-secret-access-key') opts.aws.secretAccessKey = value();
    else if (arg === '--aws-session-token') opts.aws.sessionToken = value();
    else if (arg === '--aws-region') opts.aws.region = value();
    else if (arg === '--corrupt') {
      const kinds = parseKinds(value());
      if (!Array.isArray(kinds)) fail(kinds.error.replace("Mock directive 'corrupt'", '--corrupt'));
      opts.corrupt.kinds = kinds;
    } else if (arg === '--corrupt-rate') opts.corrupt.rate = Number(value());
    else if (arg === '--corrupt-seed') opts.corrupt.seed = Number(value());
    else if (arg === '--batch-ms') opts.batch.batchMs = Number(value());
    else if (arg === '--batch-max-lines') opts.batch.maxLines = Number(value());
    else if (arg === '--quiet') opts.quiet = true;
    else if (arg === '--help' || arg === '-h') { process.stdout.write(`${USAGE}\n`); process.exit(0); }
    else fail(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) fail('--port must be an integer 0..65535');
  const { batchMs, maxLines } = opts.batch;
  if (batchMs !== undefined && (!Number.isSafeInteger(batchMs) || batchMs < 0)) fail('--batch-ms must be a non-negative integer');
  if (maxLines !== undefined && (!Number.isSafeInteger(maxLines) || maxLines < 1)) fail('--batch-max-lines must be a positive integer');
  if (!opts.aws.accessKeyId !== !opts.aws.secretAccessKey) fail('--aws-access-key-id and --aws-secret-access-key go together');
  if (opts.aws.sessionToken && !opts.aws.accessKeyId) fail('--aws-session-token needs --aws-access-key-id and --aws-secret-access-key');
  const { rate, seed } = opts.corrupt;
  if (!Number.isInteger(rate) || rate < 0 || rate > 100) fail('--corrupt-rate must be an integer 0..100');
  if (seed !== null && (!Number.isSafeInteger(seed) || seed < 0)) fail('--corrupt-seed must be a non-negative integer');
  // No seed given: draw one, and say which, so that the run can be replayed.
  if (seed === null) opts.corrupt.seed = Math.floor(Math.random() * 4294967296);
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
  const { server, state } = createMockServer({
    keys: opts.keys, defaultLatencyMs: opts.latencyMs, aws: opts.aws, corrupt: opts.corrupt, batch: opts.batch,
  });
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
    // on stderr, so that --quiet keeps it: the seed is what replays the run
    const c = opts.corrupt;
    if (c.kinds && c.kinds.length) process.stderr.write(`mock provider: corrupting ${c.rate}% of the answers (${c.kinds.join(',')}), seed ${c.seed}\n`);
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
