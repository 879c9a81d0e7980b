'use strict';
// The machinery behind the providers' asynchronous batch APIs (OpenAI's
// Batch API, Anthropic's Message Batches, Gemini's batch mode): the files and
// batches the mock holds, a batch's timeline, the answering of its lines, the
// JSONL results and their streamed download, the multipart parser for file
// uploads, and what GET /_mock/batches reports. The wire side of each
// provider (paths, validation, object shapes) is in
// protocols/openai_batches.js, protocols/anthropic_batches.js and
// protocols/gemini_batches.js; each hands this module an `api` (see Batch)
// that answers one line with that provider's own chat, embeddings, messages
// or generateContent logic, so a line gets exactly the answer a direct call
// would.
//
// Lines are answered lazily, all at once, when a batch reaches the point of
// its timeline where its answers are due and someone looks (a poll, a
// download, /_mock/batches, /_mock/stats), never one timer per line: a
// 100,000-line batch is answered in a second or two.

const crypto = require('node:crypto');
const { HttpError, DirectiveError, mangleUsage, writeHead } = require('./common');

const DEFAULT_BATCH_MS = 300;
const MAX_CANCEL_MS = 100; // how long `cancelling` lasts at most
const DAY_MS = 24 * 3600 * 1000;
const LIST_CAP = 1000; // entries of a list in GET /_mock/batches (the totals count them all)
const STREAM_LINES = 512; // lines per write of a streamed download

// What became of one line.
const PENDING = 0;
const SUCCEEDED = 1; // answered, 200
const FAILED = 2; // answered, an error status
const EXPIRED = 3; // not answered: the batch expired first
const CANCELED = 4; // not answered: the batch was cancelled first
const ERRORED = 5; // not answered: the whole batch failed (batch_end=failed)
const OUTCOMES = { PENDING, SUCCEEDED, FAILED, EXPIRED, CANCELED, ERRORED };

const TERMINAL = new Set(['completed', 'expired', 'failed', 'cancelled']);

// Directives that break the HTTP answer itself (a cut body, a dropped
// socket, ...). A batch line has no connection of its own: the provider's
// batch worker got a broken answer, so the line fails with a 500.
const TRANSPORT_FAULTS = (d) => d.drop || d.hang || d.malformed || d.truncate || d.empty || d.html || d.error_body ||
  d.body !== undefined || d.echo_auth !== undefined || d.nested > 0 || d.huge_header > 0;

const randomHex = (bytes) => crypto.randomBytes(bytes).toString('hex');

// An id from a path segment (a bad escape is kept as it came: a 404 follows).
function decodeId(raw) {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

// ---------------------------------------------------------------- answers ---

// Answers one request of a batch the way the pipeline of mock_provider.js
// answers a direct call (afterLatency): directives, faults, validation,
// answer. Returns {status, json, usage}; json is the body an HTTP answer
// would carry. `latency_ms` is not waited for, `huge_bytes` and the
// corruption directives are ignored (a batch line is not an HTTP answer).
function answerRequest(state, api, body, seq, endpoint) {
  let base = null;
  try {
    const read = api.readDirectives(body);
    base = read.base;
    const d = { ...read.directives };
    delete d.huge_bytes;
    const faulty = state.shouldFail(d, read.failKey);
    if (faulty && d.status >= 400) return { status: d.status, json: JSON.stringify(api.statusError(d.status, base, d, seq)) };
    if (faulty && TRANSPORT_FAULTS(d)) throw api.internalError();
    const answer = api.answer(body, base, d, seq, endpoint);
    let json = answer.json;
    if (d.usage !== undefined) json = JSON.stringify(mangleUsage(JSON.parse(json), d.usage));
    return { status: 200, json, usage: answer.usage };
  } catch (caught) {
    let err = caught instanceof DirectiveError ? api.directiveError(caught) : caught;
    if (!(err instanceof HttpError)) {
      process.stderr.write(`mock provider: batch line: ${err.stack || err}\n`);
      err = api.internalError();
    }
    return { status: err.status, json: JSON.stringify(api.errorBody(err)) };
  }
}

// ------------------------------------------------------------------ files ---

// The lines of a JSONL file and its size in bytes (each line ends with "\n").
class JsonlLines {
  constructor() {
    this.lines = [];
    this.bytes = 0;
  }

  push(text) {
    this.lines.push(text);
    this.bytes += Buffer.byteLength(text) + 1;
  }
}

// Streams JSONL lines as a 200 answer, with back-pressure and a few hundred
// lines per write: a download of 100,000 lines never sits in memory as one string.
function streamJsonl(ctx, jsonl, contentType) {
  writeHead(ctx, 200, { 'content-type': contentType, 'content-length': jsonl.bytes });
  const { lines } = jsonl;
  let i = 0;
  const pump = () => {
    while (i < lines.length) {
      if (ctx.closed) return;
      const end = Math.min(i + STREAM_LINES, lines.length);
      let chunk = '';
      for (; i < end; i++) chunk += `${lines[i]}\n`;
      if (!ctx.res.write(chunk)) {
        ctx.res.once('drain', pump);
        return;
      }
    }
    if (!ctx.closed) ctx.res.end();
  };
  pump();
}

// Parses a multipart/form-data body (RFC 7578). Returns its parts as
// {name, filename (undefined for a plain field), type, data (a Buffer view)}.
// Throws an Error saying what is wrong.
function parseMultipart(body, contentType) {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || '');
  if (!m) throw new Error('the Content-Type has no boundary');
  const boundary = m[1] ?? m[2];
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('no part starts with the boundary');
  pos += delimiter.length;
  const parts = [];
  for (;;) {
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // "--": the closing delimiter
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++; // transport padding
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw new Error('a boundary is not followed by CRLF');
    pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) throw new Error('a part has no end of headers');
    const headers = body.toString('utf8', pos, headEnd).split('\r\n');
    const end = body.indexOf(next, headEnd + 4);
    if (end < 0) throw new Error('a part is not closed by the boundary');
    const part = { name: undefined, filename: undefined, type: undefined, data: body.subarray(headEnd + 4, end) };
    for (const header of headers) {
      const colon = header.indexOf(':');
      const key = header.slice(0, colon).trim().toLowerCase();
      const value = header.slice(colon + 1).trim();
      if (key === 'content-type') part.type = value;
      if (key !== 'content-disposition') continue;
      const name = /(?:^|;)\s*name="((?:[^"\\]|\\.)*)"/i.exec(value) ?? /(?:^|;)\s*name=([^;\s]+)/i.exec(value);
      const filename = /(?:^|;)\s*filename="((?:[^"\\]|\\.)*)"/i.exec(value) ?? /(?:^|;)\s*filename=([^;\s]+)/i.exec(value);
      if (name) part.name = name[1].replace(/\\(.)/g, '$1');
      if (filename) part.filename = filename[1].replace(/\\(.)/g, '$1');
    }
    parts.push(part);
    pos = end + next.length;
  }
}

// -------------------------------------------------------- hostile results ---

const GARBAGE_LINE = '{"custom_id": "not json, cut short';

// The last character of an id changed (0 -> 1, anything else -> 0).
const changeLast = (id) => `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;

// A results file as a hostile or broken provider would send it, as the
// batch's `batch_results` directive asks (applied at each download, in this
// order; the file as stored is unchanged):
//   echo_auth     the first line is a 401 error for its custom_id whose
//                 message quotes the credential the download carried
//   foreign_id    the first line carries the second line's custom_id (its
//                 own when alone) with the last character changed: an id
//                 never sent; the first line's own id has no result
//   missing_id    the first line has no custom_id
//   garbage_line  a line that is not JSON follows the first
//   dup_line      the first line (as answered) comes again at the end
//   extra_lines   then every line again, its custom_id + "-extra": lines for
//                 requests never sent
// (`foreign_url` changes Anthropic's results_url, not the lines.) `api` is
// the provider's side (authErrorLine); `credential` the key the download
// was sent with, as its header carried it.
function hostileResults(jsonl, modes, api, credential) {
  const original = jsonl.lines;
  if (modes.length === 0 || original.length === 0) return jsonl;
  const lines = original.slice();
  const edit = (i, change) => {
    const v = JSON.parse(lines[i]);
    change(v);
    lines[i] = JSON.stringify(v);
  };
  const firstId = JSON.parse(original[0]).custom_id;
  if (modes.includes('echo_auth')) lines[0] = api.authErrorLine(firstId, String(credential ?? ''));
  if (modes.includes('foreign_id')) {
    const other = JSON.parse(original[Math.min(1, original.length - 1)]).custom_id;
    edit(0, (v) => { v.custom_id = changeLast(String(other)); });
  }
  if (modes.includes('missing_id')) edit(0, (v) => { delete v.custom_id; });
  if (modes.includes('garbage_line')) lines.splice(1, 0, GARBAGE_LINE);
  if (modes.includes('dup_line')) lines.push(original[0]);
  if (modes.includes('extra_lines')) {
    for (const text of original) {
      const v = JSON.parse(text);
      v.custom_id = `${v.custom_id}-extra`;
      lines.push(JSON.stringify(v));
    }
  }
  const out = new JsonlLines();
  for (const line of lines) out.push(line);
  return out;
}

// ---------------------------------------------------------------- batches ---

// One batch. `api` is the provider's side:
//   name                     'openai' | 'anthropic' | 'gemini'
//   validating, answering    where validation ends and the answers are due,
//                            as fractions of the batch's time
//   bodyOf(parsed line)      the request body of a stored line
//   readDirectives(body)     {directives, base, failKey}, as for a direct call
//   answer(body, base, d, seq, endpoint)  {json, usage} or throws an HttpError
//   statusError(status, base, d, seq)     the body of a `status=N` error
//   directiveError(err), internalError()  HttpErrors
//   errorBody(httpError)     the body a line's error carries
//   line(batch, i, outcome, answer)       {file, text}: the result line and
//                            the key of the file it goes to (null: none)
//   finish(store, batch)     called once when the batch ends
//   authErrorLine(id, cred)  a result line failing custom_id `id` with a 401
//                            that quotes `cred` (batch_results=echo_auth)
//   statusName(phase)        the provider's name for a phase
// `texts` are the lines as stored (JSON text), `customIds` their ids.
class Batch {
  constructor(store, api, { id, endpoint, model, customIds, texts, invalid = null, timeline, extra = {} }) {
    this.store = store;
    this.api = api;
    this.no = ++store.batchNo;
    this.id = id;
    this.provider = api.name;
    this.endpoint = endpoint;
    this.model = model;
    this.created = Date.now();
    this.n = customIds.length;
    this.customIds = customIds;
    this.texts = texts;
    this.invalid = invalid; // the validation errors of a batch that fails, else null
    this.ms = timeline.ms;
    this.end = timeline.end; // 'completed' | 'expired' | 'failed'
    this.fraction = timeline.fraction; // batch_done_fraction, or null
    this.resultModes = timeline.results ?? []; // batch_results: how its downloads lie (hostileResults)
    this.cancelMs = Math.min(MAX_CANCEL_MS, this.ms / 5);
    this.cancelAt = null;
    this.cancelDone = 0;
    this.outcomes = new Uint8Array(this.n);
    this.answered = false;
    this.finished = false;
    this.deleted = false;
    this.counts = { succeeded: 0, failed: 0, expired: 0, canceled: 0, errored: 0 };
    this.usage = { input: 0, cached: 0, output: 0, reasoning: 0 };
    this.files = {}; // key -> JsonlLines, filled when the lines are answered
    Object.assign(this, extra);
  }

  // Where the timeline is at `now` (OpenAI's status names; Anthropic maps them):
  // validating, in_progress, finalizing, completed | expired | failed, and
  // cancelling, cancelled after a cancel.
  phase(now) {
    const t = now - this.created;
    const T = this.ms;
    if (this.cancelAt !== null) return now < this.cancelAt + this.cancelMs ? 'cancelling' : 'cancelled';
    if (this.invalid || this.end === 'failed') {
      if (t >= T) return 'failed';
      return this.api.validating > 0 ? 'validating' : 'in_progress';
    }
    if (t < this.api.validating * T) return 'validating';
    if (t < this.api.answering * T) return 'in_progress';
    if (this.end === 'expired') return t < T ? 'in_progress' : 'expired';
    return t < T ? 'finalizing' : 'completed';
  }

  // The moments of the timeline, in ms since the epoch (null: not reached).
  times(now) {
    const T = this.ms;
    const failing = this.invalid || this.end === 'failed';
    const before = (at) => at <= now && (this.cancelAt === null || this.cancelAt > at);
    const inProgress = this.created + this.api.validating * T;
    const finalizing = this.created + this.api.answering * T;
    const ended = this.created + T;
    const phase = this.phase(now);
    return {
      in_progress: !failing && before(inProgress) ? inProgress : null,
      finalizing: !failing && this.end !== 'expired' && this.api.answering < 1 && before(finalizing) ? finalizing : null,
      ended: phase === 'cancelled' ? this.cancelAt + this.cancelMs : TERMINAL.has(phase) ? ended : null,
      expires: this.end === 'expired' ? ended : this.created + DAY_MS,
    };
  }

  // Answers the lines that are due at `now` and ends the batch when its time
  // has come; returns the phase. Every look at a batch goes through here.
  settle(now = Date.now()) {
    const phase = this.phase(now);
    switch (phase) {
      case 'finalizing':
      case 'completed':
        this.answer(this.n, PENDING);
        break;
      case 'expired':
        this.answer(Math.floor((this.fraction ?? 0) * this.n), EXPIRED);
        break;
      case 'cancelled':
        this.answer(this.cancelDone, CANCELED);
        break;
      case 'failed':
        if (!this.invalid) this.answer(0, ERRORED);
        break;
      default:
        break;
    }
    if (TERMINAL.has(phase) && !this.finished) {
      this.finished = true;
      this.api.finish(this.store, this);
    }
    return phase;
  }

  // Starts a cancel; false if the batch has already ended.
  cancel(now = Date.now()) {
    const phase = this.settle(now);
    if (TERMINAL.has(phase)) return false;
    if (phase === 'cancelling') return true;
    if (this.answered) this.cancelDone = this.n;
    else if (this.invalid || this.end === 'failed') this.cancelDone = 0;
    else if (this.fraction !== null) this.cancelDone = Math.floor(this.fraction * this.n);
    else {
      // as far as the processing had gone: lines are done evenly across in_progress
      const start = this.api.validating * this.ms;
      const span = this.api.answering * this.ms - start;
      const progress = span > 0 ? (now - this.created - start) / span : 1;
      this.cancelDone = Math.max(0, Math.min(this.n, Math.floor(progress * this.n)));
    }
    this.cancelAt = now;
    return true;
  }

  // Answers the first `count` lines; the others get `rest`. Once.
  answer(count, rest) {
    if (this.answered) return;
    this.answered = true;
    const { api, store } = this;
    for (let i = 0; i < this.n; i++) {
      let outcome = rest;
      let answer = null;
      if (i < count) {
        const body = api.bodyOf(JSON.parse(this.texts[i]));
        answer = answerRequest(store.state, api, body, `${this.no}_${i + 1}`, this.endpoint);
        outcome = answer.status === 200 ? SUCCEEDED : FAILED;
        store.noteLine(answer.status);
        if (answer.usage) {
          this.usage.input += answer.usage.input;
          this.usage.cached += answer.usage.cached;
          this.usage.output += answer.usage.output;
          this.usage.reasoning += answer.usage.reasoning;
        }
      }
      this.outcomes[i] = outcome;
      this.count(outcome);
      const line = api.line(this, i, outcome, answer);
      if (line.file !== null) (this.files[line.file] ??= new JsonlLines()).push(line.text);
    }
    this.texts = null; // answered: what was asked is no longer needed
  }

  count(outcome) {
    if (outcome === SUCCEEDED) this.counts.succeeded++;
    else if (outcome === FAILED) this.counts.failed++;
    else if (outcome === EXPIRED) this.counts.expired++;
    else if (outcome === CANCELED) this.counts.canceled++;
    else if (outcome === ERRORED) this.counts.errored++;
  }

  // What GET /_mock/batches shows of it.
  summary(now) {
    const phase = this.settle(now);
    return {
      id: this.id, provider: this.provider, status: this.api.statusName(phase), phase, endpoint: this.endpoint, model: this.model,
      lines: this.n, processed: this.counts.succeeded + this.counts.failed, ...this.counts,
      created_at: this.created, batch_ms: this.ms, batch_end: this.end, batch_results: this.resultModes, deleted: this.deleted,
    };
  }
}

// --------------------------------------------------------------- the store ---

// Every file and batch the mock holds (cleared by POST /_mock/reset), and the
// batch settings (POST /_mock/batch_config, the CLI's --batch-ms and
// --batch-max-lines, else each provider's own limits).
class BatchStore {
  // `apis`: each provider's side (see Batch), for the limits it reports.
  constructor(state, apis, { batchMs = DEFAULT_BATCH_MS, maxLines = null, maxBytes = null } = {}) {
    this.state = state;
    this.apis = apis;
    this.defaults = { batch_ms: batchMs, max_lines: maxLines, max_bytes: maxBytes, batch_end: null, batch_done_fraction: null };
    this.reset();
  }

  reset() {
    this.files = new Map();
    this.batches = new Map();
    this.config = { ...this.defaults };
    this.batchNo = 0;
    this.linesAnswered = 0;
    this.linesSucceeded = 0;
  }

  // POST /_mock/batch_config: the given keys change, the others stay; null
  // puts a key back to its default. Throws an Error naming a bad key.
  setConfig(value) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the body must be a JSON object');
    const next = { ...this.config };
    for (const [key, v] of Object.entries(value)) {
      if (!(key in this.defaults)) throw new Error(`unknown key '${key}' (known: ${Object.keys(this.defaults).join(', ')})`);
      if (v === null) next[key] = this.defaults[key];
      else if (key === 'batch_ms' && Number.isSafeInteger(v) && v >= 0) next[key] = v;
      else if ((key === 'max_lines' || key === 'max_bytes') && Number.isSafeInteger(v) && v >= 1) next[key] = v;
      else if (key === 'batch_end' && ['completed', 'expired', 'failed'].includes(v)) next[key] = v;
      else if (key === 'batch_done_fraction' && typeof v === 'number' && v >= 0 && v <= 1) next[key] = v;
      else throw new Error(`bad value for '${key}': ${JSON.stringify(v)}`);
    }
    this.config = next;
    return this.describeConfig();
  }

  describeConfig() {
    const limits = {};
    for (const api of this.apis) limits[api.name] = this.limits(api);
    return { ...this.config, limits };
  }

  // The limits a provider's batches are held to now.
  limits(api) {
    return { max_lines: this.config.max_lines ?? api.limits.lines, max_bytes: this.config.max_bytes ?? api.limits.bytes };
  }

  // A batch's timeline: the directives of its first line's model name (and
  // the other places a direct call reads directives from) win over the
  // batch config.
  timeline(api, firstBody) {
    let d = {};
    try {
      if (firstBody !== undefined) d = api.readDirectives(firstBody).directives;
    } catch {
      // a bad directive fails the line itself when it is answered
    }
    return {
      ms: d.batch_ms ?? this.config.batch_ms,
      end: d.batch_end ?? this.config.batch_end ?? 'completed',
      fraction: d.batch_done_fraction ?? this.config.batch_done_fraction ?? null,
      results: d.batch_results ?? [],
    };
  }

  addBatch(api, fields) {
    const batch = new Batch(this, api, fields);
    this.batches.set(batch.id, batch);
    return batch;
  }

  // A file: {id, purpose, filename, created (ms), data (Buffer) or jsonl (JsonlLines)}.
  addFile(file) {
    const record = { created: Date.now(), deleted: false, ...file };
    record.bytes = record.data ? record.data.length : record.jsonl.bytes;
    this.files.set(record.id, record);
    return record;
  }

  noteLine(status) {
    this.linesAnswered++;
    if (status === 200) this.linesSucceeded++;
  }

  settleAll(now = Date.now()) {
    for (const batch of this.batches.values()) batch.settle(now);
  }

  stats() {
    this.settleAll();
    return {
      batches_total: this.batches.size,
      batch_lines_answered: this.linesAnswered,
      batch_lines_succeeded: this.linesSucceeded,
      batch_lines_failed: this.linesAnswered - this.linesSucceeded,
    };
  }

  // GET /_mock/batches[?provider=P][&custom_ids=1]: every batch, and how
  // often each custom_id was answered across them all.
  report(query) {
    const params = new URLSearchParams(query);
    const provider = params.get('provider');
    const now = Date.now();
    const batches = [];
    const ids = new Map(); // custom_id -> {answered, batches: [batch ids]}
    let lines = 0;
    let answered = 0;
    for (const batch of this.batches.values()) {
      if (provider && batch.provider !== provider) continue;
      const summary = batch.summary(now);
      batches.push(summary);
      lines += summary.lines;
      answered += summary.processed;
      for (let i = 0; i < batch.n; i++) {
        const cid = batch.customIds[i];
        let entry = ids.get(cid);
        if (entry === undefined) {
          entry = { answered: 0, batches: [] };
          ids.set(cid, entry);
        }
        entry.batches.push(batch.id);
        const outcome = batch.outcomes[i];
        if (outcome === SUCCEEDED || outcome === FAILED) entry.answered++;
      }
    }
    const duplicates = [];
    const resubmitted = [];
    let duplicatesTotal = 0;
    let resubmittedTotal = 0;
    for (const [cid, entry] of ids) {
      if (entry.answered > 1 && duplicatesTotal++ < LIST_CAP) duplicates.push({ custom_id: cid, answered: entry.answered, batches: entry.batches });
      if (entry.batches.length > 1 && resubmittedTotal++ < LIST_CAP) resubmitted.push({ custom_id: cid, batches: entry.batches });
    }
    const out = {
      batches, lines_total: lines, answered_total: answered, custom_ids_total: ids.size,
      duplicates_total: duplicatesTotal, duplicates, resubmitted_total: resubmittedTotal, resubmitted,
    };
    if (params.get('custom_ids') === '1' || params.get('custom_ids') === 'true') {
      out.answered = Object.fromEntries([...ids].map(([cid, entry]) => [cid, entry.answered]));
    }
    return out;
  }
}

module.exports = {
  BatchStore, Batch, JsonlLines, OUTCOMES, TERMINAL, answerRequest, hostileResults, streamJsonl, parseMultipart, randomHex, decodeId, DEFAULT_BATCH_MS,
};
