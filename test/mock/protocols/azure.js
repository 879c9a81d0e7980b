'use strict';
// Azure OpenAI: POST /openai/deployments/{deployment}/chat/completions?api-version=...
// (and .../embeddings). Same body and answer as OpenAI, with Azure's auth,
// api-version routing, error bodies and content filter annotations.

const { HttpError, sendJson, sendJsonText, sendStreamed } = require('../lib/common');
const openai = require('./openai');

const { ApiError } = openai;

// Published data-plane inference versions. Anything dated after the newest
// entry is accepted too, so that a newer real version does not fail here.
const API_VERSIONS = new Set([
  '2022-12-01', '2023-03-15-preview', '2023-05-15', '2023-06-01-preview', '2023-07-01-preview',
  '2023-08-01-preview', '2023-09-01-preview', '2023-10-01-preview', '2023-12-01-preview', '2024-02-01',
  '2024-02-15-preview', '2024-03-01-preview', '2024-04-01-preview', '2024-05-01-preview', '2024-06-01',
  '2024-07-01-preview', '2024-08-01-preview', '2024-09-01-preview', '2024-10-01-preview', '2024-10-21',
  '2024-12-01-preview', '2025-01-01-preview', '2025-02-01-preview', '2025-03-01-preview', '2025-04-01-preview',
]);
const NEWEST_KNOWN = '2025-04-01-preview';

function apiVersionSupported(v) {
  if (typeof v !== 'string') return false;
  if (API_VERSIONS.has(v)) return true;
  const m = /^(\d{4}-\d{2}-\d{2})(-preview)?$/.exec(v);
  return m !== null && m[1] > NEWEST_KNOWN.slice(0, 10) && !Number.isNaN(Date.parse(m[1]));
}

// Azure's own (non-OpenAI) error shape: {"error":{"code":"404","message":"..."}}.
const azureError = (status, code, message) => new HttpError(status, { error: { code, message } });

const SAFE = { filtered: false, severity: 'safe' };
const FILTER_OK = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const promptFilterResults = () => [{
  prompt_index: 0,
  content_filter_results: { ...FILTER_OK, jailbreak: { filtered: false, detected: false } },
}];
const FILTER_BLOCKED = { ...FILTER_OK, violence: { filtered: true, severity: 'high' } };

function contentFilterError() {
  return new HttpError(400, { error: {
    message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. " +
      'Please modify your prompt and retry. To learn more about our content filtering policies please read our ' +
      'documentation: https://go.microsoft.com/fwlink/?linkid=2198766',
    type: null, param: 'prompt', code: 'content_filter', status: 400,
    innererror: {
      code: 'ResponsibleAIPolicyViolation',
      content_filter_result: { ...FILTER_BLOCKED, jailbreak: { filtered: false, detected: false } },
    },
  } });
}

function decodeSegment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

const protocol = {
  name: 'azure',

  match(method, pathname, query) {
    const m = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(pathname);
    if (!m || method !== 'POST') return null;
    const deployment = decodeSegment(m[1]);
    if (deployment === null || deployment === '') return null;
    return { kind: m[2] === 'embeddings' ? 'embeddings' : 'chat', deployment, apiVersion: new URLSearchParams(query).get('api-version') };
  },

  baseHeaders(ctx) {
    return {
      'x-request-id': `req_${ctx.seq}`, 'apim-request-id': `apim-${ctx.seq}`, 'x-ms-region': 'Mock Region',
      'openai-processing-ms': String(Date.now() - ctx.start),
    };
  },

  // The deployment name carries the directives; metadata.mock works as for OpenAI.
  readDirectives(route, parsed) {
    return openai.readDirectives(parsed.value, 'deployment', route.deployment);
  },

  directiveError(err) {
    return new ApiError(400, err.message, null);
  },

  authenticate(state, ctx, route) {
    // An unknown or missing api-version does not route at all: 404, before auth.
    if (!apiVersionSupported(route.apiVersion)) throw azureError(404, '404', 'Resource not found');
    const key = ctx.req.headers['api-key'];
    if (typeof key !== 'string' || key === '') {
      if (/^Bearer\s/i.test(ctx.req.headers.authorization || '')) {
        throw azureError(401, '401', 'Unauthorized. Access token is missing, invalid, audience is incorrect ' +
          '(https://cognitiveservices.azure.com), or have expired.');
      }
      throw azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure ' +
        'to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
    }
    if (state.keys.size > 0 && !state.keys.has(key)) {
      throw azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure ' +
        'to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
    }
  },

  statusError(status, base, d, ctx) {
    const route = ctx.route;
    switch (status) {
      case 401:
        return { body: azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. ' +
          'Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for ' +
          'your resource.').payload, headers: {} };
      case 404:
        return { body: { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not ' +
          'exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.' } }, headers: {} };
      case 429: {
        const seconds = d.retry_after ?? 1;
        return {
          body: { error: { code: '429', message: `Requests to the ChatCompletions_Create Operation under Azure OpenAI ` +
            `API version ${route.apiVersion} have exceeded token rate limit of your current OpenAI S0 pricing tier. ` +
            `Please retry after ${seconds} second${seconds === 1 ? '' : 's'}. Please go here: ` +
            'https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.' } },
          headers: ctx.retryHeaders['retry-after'] ? {} : { 'retry-after': String(seconds) },
        };
      }
      default:
        return openai.protocol.statusError(status, base, d, ctx);
    }
  },

  malformedBody: openai.protocol.malformedBody,

  respond(ctx, route, parsed, base, d, faulty) {
    // Azure takes the model from the deployment; a `model` in the body is optional.
    const body = openai.requireJsonObject(ctx.req, parsed, { requireModel: false });
    if (route.kind === 'embeddings') {
      return sendJsonText(ctx, openai.buildEmbeddings(body, base, d), d, faulty);
    }
    openai.validateChat(body);
    if (d.safety === 'prompt') throw contentFilterError();
    const completion = openai.buildCompletion(body, base, d, ctx.seq);
    completion.prompt_filter_results = promptFilterResults();
    const annotate = (choices) => {
      for (const c of choices) c.content_filter_results = c.finish_reason === 'content_filter' ? FILTER_BLOCKED : FILTER_OK;
    };
    annotate(completion.choices);
    if (!body.stream || d.huge_bytes !== undefined) return openai.sendCompletion(ctx, body, completion, d, faulty);
    // Azure streams first a chunk with no choices that carries the prompt filter
    // results, then annotates every chunk's choices with content filter results.
    const includeUsage = body.stream_options?.include_usage === true;
    const promptChunk = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '',
      prompt_filter_results: promptFilterResults() })}\n\n`;
    const events = openai.sseEvents(completion, includeUsage, (chunk) => {
      annotate(chunk.choices);
      return chunk;
    });
    return sendStreamed(ctx, 'text/event-stream; charset=utf-8', [promptChunk, ...events], faulty && d.truncate);
  },

  notFound(ctx) {
    return sendJson(ctx, 404, { error: { code: '404', message: 'Resource not found' } });
  },

  internalError() {
    return new ApiError(500, 'The server had an error while processing your request.', null, null, 'server_error');
  },
};

module.exports = { protocol };
