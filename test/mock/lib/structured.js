'use strict';
// Structured output: the answer to a request that asks for one (OpenAI
// response_format json_schema, a tool forced by name, Gemini's response
// schema) is a deterministic instance of the schema, derived from the text
// of the last user message, so that a test can predict it row by row (the
// rule is in README.md, "Structured output"). The `schema` directive makes
// it violate the schema, always or only the first time a text is seen.

const { charCount } = require('./common');

const TAG = /\[\[mock:([^\]]*)\]\]/;

// Keys (protocol, schema, text) whose one violation `schema=violate_once` made.
const violatedOnce = new Set();

function reset() {
  violatedOnce.clear();
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// `schema=` from the directives, else from a [[mock:...]] tag in the text
// (native protocols have no directive channel in the text; the rule reads it).
function schemaMode(d, text) {
  if (d.schema !== undefined) return d.schema;
  const tag = TAG.exec(text);
  const mode = tag ? new URLSearchParams(tag[1]).get('schema') : null;
  return mode === 'violate' || mode === 'violate_once' ? mode : undefined;
}

// `KEY:VALUE` written in the text (VALUE up to the next space), or undefined.
function writtenValue(key, text) {
  if (typeof key !== 'string' || key === '') return undefined;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(?:^|[^\\w])${escaped}:([^\\s\\]]+)`).exec(text);
  return m ? m[1] : undefined;
}

function typeOf(schema) {
  const t = Array.isArray(schema.type) ? (schema.type.find((x) => x !== 'null' && x !== 'NULL') ?? schema.type[0]) : schema.type;
  if (typeof t === 'string') return t.toLowerCase(); // Gemini's OpenAPI types are upper case
  if (isObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return 'string';
}

function numberFor(schema, text, written, integer) {
  const lo = typeof schema.minimum === 'number' ? schema.minimum : null;
  const hi = typeof schema.maximum === 'number' ? schema.maximum : null;
  let v = written === undefined ? NaN : Number(written);
  if (Number.isFinite(v)) {
    if (integer) v = Math.round(v);
    if (lo !== null) v = Math.max(v, lo);
    if (hi !== null) v = Math.min(v, hi);
    return v;
  }
  const len = charCount(text);
  if (integer) {
    const from = lo ?? 0;
    const span = hi !== null ? hi - from + 1 : 11;
    return from + (span > 0 ? len % span : 0);
  }
  const from = lo ?? 0;
  const to = hi ?? from + 1;
  return Math.round((from + ((len % 11) / 10) * (to - from)) * 1e6) / 1e6;
}

function stringFor(schema, text, written) {
  let s = written ?? (/[\p{L}\p{N}]+/u.exec(text) ?? ['mock'])[0];
  if (Number.isInteger(schema.minLength) && charCount(s) < schema.minLength) s += 'x'.repeat(schema.minLength - charCount(s));
  if (Number.isInteger(schema.maxLength)) s = Array.from(s).slice(0, schema.maxLength).join('');
  return s;
}

// The instance of `schema` for `text`; `key` is the property being filled.
function instanceOf(schema, text, key = null) {
  if (!isObject(schema)) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const lower = text.toLowerCase();
    const hit = schema.enum.find((e) => typeof e === 'string' && e !== '' && lower.includes(e.toLowerCase()));
    return hit !== undefined ? hit : schema.enum[0];
  }
  for (const alt of ['anyOf', 'oneOf']) {
    if (Array.isArray(schema[alt]) && schema[alt].length > 0) return instanceOf(schema[alt][0], text, key);
  }
  const written = writtenValue(key, text);
  switch (typeOf(schema)) {
    case 'object': {
      const out = {};
      for (const [k, sub] of Object.entries(isObject(schema.properties) ? schema.properties : {})) out[k] = instanceOf(sub, text, k);
      return out;
    }
    case 'array': {
      let n = Math.max(1, Number.isInteger(schema.minItems) ? schema.minItems : 0);
      if (Number.isInteger(schema.maxItems)) n = Math.min(n, schema.maxItems);
      return Array.from({ length: n }, () => instanceOf(isObject(schema.items) ? schema.items : {}, text, key));
    }
    case 'boolean':
      return written === 'true' || written === 'false' ? written === 'true' : /\byes\b/i.test(text);
    case 'number':
      return numberFor(schema, text, written, false);
    case 'integer':
      return numberFor(schema, text, written, true);
    case 'null':
      return null;
    default:
      return stringFor(schema, text, written);
  }
}

// A value of the wrong type for `schema` (and outside any enum).
function wrongValue(schema) {
  switch (isObject(schema) ? typeOf(schema) : 'string') {
    case 'string': return 12345;
    case 'number': case 'integer': return 'not a number';
    case 'boolean': return 'maybe';
    case 'array': return 'not a list';
    default: return 'not an object';
  }
}

// The instance with its first required property (else its first property)
// of the wrong type; a schema without properties gets a list, not an object.
function violationOf(schema, text) {
  const good = instanceOf(schema, text);
  const props = isObject(schema) && isObject(schema.properties) ? Object.keys(schema.properties) : [];
  if (!isObject(good) || props.length === 0) return [];
  const required = Array.isArray(schema.required) ? schema.required.filter((k) => props.includes(k)) : [];
  const k = required[0] ?? props[0];
  good[k] = wrongValue(schema.properties[k]);
  return good;
}

// The structured answer of a request: `protocol` and the schema key the
// once-only violation, so that the same text on another protocol starts afresh.
function structuredAnswer(protocol, schema, text, d) {
  const mode = schemaMode(d, text);
  if (mode === 'violate') return violationOf(schema, text);
  if (mode === 'violate_once') {
    const key = `${protocol}\u0000${JSON.stringify(schema)}\u0000${text}`;
    if (!violatedOnce.has(key)) {
      violatedOnce.add(key);
      return violationOf(schema, text);
    }
  }
  return instanceOf(schema, text);
}

// The arguments of a tool forced by name: an instance of its schema when
// that is an object's, else undefined (the tool gets `{}`).
function toolArguments(protocol, schema, text, d) {
  if (!isObject(schema) || typeOf(schema) !== 'object') return undefined;
  return structuredAnswer(protocol, schema, text, d);
}

module.exports = { structuredAnswer, toolArguments, instanceOf, violationOf, reset };
