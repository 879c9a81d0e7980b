'use strict';
// Server-side verification of AWS Signature Version 4 (header form), written
// from the published algorithm:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
//
// Canonical request = METHOD \n CanonicalURI \n CanonicalQuery \n
//                     CanonicalHeaders \n SignedHeaders \n hex(sha256(payload))
// For every service but S3 the path is normalised (dot segments removed,
// repeated slashes collapsed) and each segment URI-encoded once more than it
// appears on the wire, so a model id sent as `v1%3A0` is signed as `v1%253A0`.

const crypto = require('node:crypto');

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 5 * 60 * 1000;

const sha256Hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// RFC 3986 percent-encoding of everything but the unreserved characters, byte by byte (UTF-8).
function uriEncode(str) {
  let out = '';
  for (const byte of Buffer.from(str, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// Removes "." and ".." segments and empty segments ("//"); keeps a trailing slash.
function normalizePath(path) {
  if (path === '') return '/';
  const out = [];
  const segments = path.split('/');
  for (const seg of segments) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const last = segments[segments.length - 1];
  const trailing = segments.length > 1 && (last === '' || last === '.' || last === '..');
  return `/${out.join('/')}${out.length > 0 && trailing ? '/' : ''}`;
}

// The wire path (as sent, already percent-encoded by the client), encoded once more per segment.
function canonicalUri(rawPath) {
  return normalizePath(rawPath).split('/').map(uriEncode).join('/');
}

// Parameters decoded, re-encoded strictly, sorted by name then value.
function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  const pairs = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([uriEncode(safeDecode(name)), uriEncode(safeDecode(value))]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

// rawHeaders: [name, value, name, value, ...] as received (node's req.rawHeaders).
// Each signed header: lowercase name, values trimmed with inner whitespace runs
// collapsed, repeated headers joined with "," in the order received.
function canonicalHeaders(rawHeaders, signedHeaders) {
  const values = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!values.has(name)) values.set(name, []);
    values.get(name).push(String(rawHeaders[i + 1]).trim().replace(/\s+/g, ' '));
  }
  return signedHeaders.map((name) => `${name}:${(values.get(name) ?? []).join(',')}\n`).join('');
}

function canonicalRequest({ method, rawPath, rawQuery, rawHeaders, signedHeaders, payloadHash }) {
  return [
    method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    canonicalHeaders(rawHeaders, signedHeaders),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

function stringToSign(amzDate, scope, canonical) {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

function signingKey(secret, date, region, service) {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

// "20150830T123600Z" <-> milliseconds.
function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? null : t;
}

const formatAmzDate = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
function parseAuthorization(header) {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  const fields = {};
  if (space >= 0) {
    for (const part of header.slice(space + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  return { algorithm, fields };
}

const failure = (type, message) => ({ ok: false, status: 403, type, message });

// Verifies a request. `credentials` is { accessKeyId, secretAccessKey,
// sessionToken? } or null (then nothing verifies). Returns { ok: true,
// canonicalRequest, stringToSign } or { ok: false, status, type, message }
// where `type` is the AWS error code sent in x-amzn-errortype.
function verify({ method, url, rawHeaders, body, credentials, region, service, now = Date.now() }) {
  const headers = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    headers[name] = headers[name] === undefined ? rawHeaders[i + 1] : `${headers[name]},${rawHeaders[i + 1]}`;
  }
  const auth = headers.authorization;
  if (auth === undefined || auth === '') return failure('MissingAuthenticationTokenException', 'Missing Authentication Token');

  const { algorithm, fields } = parseAuthorization(auth);
  const amzDate = headers['x-amz-date'];
  const missing = [];
  if (algorithm === ALGORITHM) {
    if (!fields.Credential) missing.push("Authorization header requires 'Credential' parameter.");
    if (!fields.Signature) missing.push("Authorization header requires 'Signature' parameter.");
    if (!fields.SignedHeaders) missing.push("Authorization header requires 'SignedHeaders' parameter.");
  } else {
    missing.push("Authorization header requires 'Credential' parameter.",
      "Authorization header requires 'Signature' parameter.",
      "Authorization header requires 'SignedHeaders' parameter.");
  }
  if (amzDate === undefined && headers.date === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (missing.length > 0) return failure('IncompleteSignatureException', `${missing.join(' ')} Authorization=${auth}`);
  if (amzDate === undefined) {
    return failure('IncompleteSignatureException', "The mock only accepts the 'X-Amz-Date' header form of SigV4 dates.");
  }
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === null) {
    return failure('IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }

  const scope = fields.Credential.split('/');
  if (scope.length !== 5) {
    return failure('IncompleteSignatureException', 'Credential must have exactly 5 slash-delimited elements, ' +
      `e.g. keyid/date/region/service/term, got '${fields.Credential}'`);
  }
  const [keyId, scopeDate, scopeRegion, scopeService, terminator] = scope;
  if (!credentials || keyId !== credentials.accessKeyId) {
    return failure('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (scopeDate !== amzDate.slice(0, 8)) {
    return failure('InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 ' +
      `version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
  if (scopeRegion !== region) return failure('InvalidSignatureException', 'Credential should be scoped to a valid region. ');
  if (scopeService !== service) {
    return failure('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'. `);
  }
  if (terminator !== 'aws4_request') {
    return failure('InvalidSignatureException',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);
  }
  const signedHeaders = fields.SignedHeaders.split(';');
  if (!signedHeaders.includes('host')) {
    return failure('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  if (now - signedAt > MAX_SKEW_MS) {
    return failure('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than ` +
      `${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`);
  }
  if (signedAt - now > MAX_SKEW_MS) {
    return failure('InvalidSignatureException', `Signature not yet current: ${amzDate} is still later than ` +
      `${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`);
  }

  const token = headers['x-amz-security-token'];
  if ((credentials.sessionToken || undefined) !== token) {
    return failure('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const payloadHash = sha256Hex(body);
  const declared = headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) {
    return failure('InvalidSignatureException',
      "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const q = url.indexOf('?');
  const canonical = canonicalRequest({
    method,
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    rawHeaders,
    signedHeaders,
    payloadHash,
  });
  const sts = stringToSign(amzDate, `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`, canonical);
  const expected = hmac(signingKey(credentials.secretAccessKey, scopeDate, scopeRegion, scopeService), sts);
  const given = /^[0-9a-f]{64}$/.test(fields.Signature) ? Buffer.from(fields.Signature, 'hex') : null;
  if (given === null || !crypto.timingSafeEqual(given, expected)) {
    return failure('InvalidSignatureException', 'The request signature we calculated does not match the signature ' +
      'you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for ' +
      `details.\n\nThe Canonical String for this request should have been\n'${canonical}'\n\n` +
      `The String-to-Sign should have been\n'${sts}'\n`);
  }
  return { ok: true, canonicalRequest: canonical, stringToSign: sts };
}

module.exports = {
  uriEncode, normalizePath, canonicalUri, canonicalQuery, canonicalHeaders, canonicalRequest,
  stringToSign, signingKey, parseAmzDate, formatAmzDate, verify,
};
