'use strict';
// Pieces shared by the embeddings endpoints of every protocol: the
// deterministic vector of a text, its quantized forms, and the `[[mock:...]]`
// directive tags carried inside embedding inputs. Standard library only.

const TAG_START = '[[mock:';
const TAG = /\[\[mock:([^\]]*)\]\]/g;

// The directive query of every `[[mock:...]]` tag found in `texts`, in input
// order, joined by "&" (so a later tag wins on conflicts). A packed request
// has no "last user message", so a tag in ANY input applies to the whole request.
function tagDirectives(texts) {
  const queries = [];
  for (const text of texts) {
    // A packed request has hundreds of inputs and almost never a tag.
    if (typeof text !== 'string' || !text.includes(TAG_START)) continue;
    for (const m of text.matchAll(TAG)) if (m[1] !== '') queries.push(m[1]);
  }
  return queries.join('&');
}

// 32-bit FNV-1a over UTF-16 code units, continuing from `h`.
function fnv1a(h, s) {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

// The vector of `text`: `dimensions` floats in [-1, 1], rounded to 6 decimals.
// The seed is the FNV-1a hash of the text (with "\u0000" + `type` appended when
// the provider has an input/task type, so tests can tell that field arrived);
// each value comes from one more xorshift-multiply step of a running state, so
// a shorter vector is a prefix of a longer one. It depends on nothing else
// (not the model, the position in the batch or the other inputs): the same
// text gets the same vector whichever request carried it. `normalize` divides
// by the L2 norm (unrounded), for providers that return unit vectors.
function embeddingVector(text, { dimensions = 8, type = null, normalize = false } = {}) {
  let h = fnv1a(0x811c9dc5, text);
  if (type) h = fnv1a(h, `\u0000${type}`);
  const v = new Array(dimensions);
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
    v[i] = Math.round(((h >>> 0) / 0xffffffff * 2 - 1) * 1e6) / 1e6;
  }
  if (!normalize) return v;
  const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

// The ASCII digits of every group 000..999, and how many of a group's digits
// are left once its trailing zeros are cut.
const DIGITS = Buffer.from(Array.from({ length: 1000 }, (_, g) => String(g).padStart(3, '0')).join(''), 'latin1');
const KEPT = Uint8Array.from({ length: 1000 }, (_, g) => (g % 100 === 0 ? 1 : g % 10 === 0 ? 2 : 3));

function writeDigits(buf, pos, group, count) {
  for (let i = 0; i < count; i++) buf[pos++] = DIGITS[3 * group + i];
  return pos;
}

// Writes the JSON text of `vector`, an embeddingVector without `normalize`,
// into `buf` at `pos` (room for 2 + 10 bytes a value) and returns the end.
// The bytes are those of JSON.stringify(vector), without its conversion of
// each double to the shortest decimal that reads back as it, which is most of
// the cost of a float embeddings answer: every value here is k / 1e6 for an
// integer k, and that decimal is k's six digits after "0.", trailing zeros cut.
function writeVectorJson(buf, pos, vector) {
  buf[pos++] = 0x5b; // [
  for (let i = 0; i < vector.length; i++) {
    if (i > 0) buf[pos++] = 0x2c; // ,
    let k = Math.round(vector[i] * 1e6); // exact: k / 1e6 is off by far less than half a millionth
    if (k < 0) {
      buf[pos++] = 0x2d; // -
      k = -k;
    }
    if (k === 0 || k === 1e6) { // 0 (also -0, which JSON writes as 0), 1 and -1
      buf[pos++] = k === 0 ? 0x30 : 0x31;
      continue;
    }
    buf[pos++] = 0x30; // 0
    buf[pos++] = 0x2e; // .
    const high = Math.floor(k / 1000);
    const low = k - high * 1000;
    pos = writeDigits(buf, pos, high, low === 0 ? KEPT[high] : 3);
    if (low !== 0) pos = writeDigits(buf, pos, low, KEPT[low]);
  }
  buf[pos++] = 0x5d; // ]
  return pos;
}

// Quantized forms (Cohere's embedding_types, Titan's "binary"):
//   int8:    round(x * 127), clamped to [-128, 127]
//   uint8:   int8 + 128
//   ubinary: one bit per dimension (x > 0), packed 8 per byte, first dimension
//            in the most significant bit; byte values 0..255
//   binary:  ubinary - 128 (signed)
//   bits:    0 or 1 per dimension (Titan's binary form)
function quantize(vector, kind) {
  switch (kind) {
    case 'int8': return vector.map((x) => Math.max(-128, Math.min(127, Math.round(x * 127))));
    case 'uint8': return quantize(vector, 'int8').map((x) => x + 128);
    case 'bits': return vector.map((x) => (x > 0 ? 1 : 0));
    case 'ubinary':
    case 'binary': {
      const bytes = [];
      for (let i = 0; i < vector.length; i += 8) {
        let byte = 0;
        for (let k = 0; k < 8; k++) byte = (byte << 1) | (i + k < vector.length && vector[i + k] > 0 ? 1 : 0);
        bytes.push(kind === 'binary' ? byte - 128 : byte);
      }
      return bytes;
    }
    default:
      return vector;
  }
}

module.exports = { tagDirectives, embeddingVector, writeVectorJson, quantize };
