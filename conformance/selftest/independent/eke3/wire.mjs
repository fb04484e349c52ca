// Frames (SPEC §1), errors (§2) and a strict JSON reader for control payloads.
//
// JSON.parse is not used on the wire: it keeps the last of duplicate keys, turns
// 9223372036854775807 into a float and accepts lone surrogates, all of which FRM-9/11/15
// forbid. The reader below returns integers as BigInt and other numbers as Number, so
// schemas can tell `13` from `13.0`.

import { fault } from './faults.mjs';

export const ERRORS = {
  1: ['bad_frame', true], 2: ['frame_too_large', true], 3: ['unexpected_frame', true],
  4: ['auth_failed', true], 5: ['forbidden', false], 6: ['not_found', false],
  7: ['too_large', false], 8: ['integrity_failed', true], 9: ['busy', true],
  10: ['timeout', true], 11: ['internal', true], 12: ['exists', false],
  13: ['unsupported', false], 14: ['throttled', true],
};
export const CODE = Object.fromEntries(Object.entries(ERRORS).map(([c, [n]]) => [n, Number(c)]));

export const DEFAULT_FRAME_LIMIT = 1048832;
export const CONTROL_LIMIT = 65536;
export const DATA_MAX = 1048576;
const INT_MAX = (1n << 63n) - 1n;

/** A protocol error that maps to one wire code. */
export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
  get fatal() {
    return ERRORS[this.code]?.[1] ?? true;
  }
}

/** The stream ended inside a frame, or the peer vanished (FRM-7). */
export class ConnectionClosed extends Error {}

const TYPE_RE = /^[A-Z0-9_]{4}$/;
export function validType(type) {
  return TYPE_RE.test(type);
}

export function encodeFrame(type, payload) {
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export function controlFrame(type, obj) {
  return encodeFrame(type, Buffer.from(stringify(obj), 'utf8'));
}

/** JSON text of a value whose integers may be BigInt. */
export function stringify(value) {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${stringify(v)}`).join(',')}}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parse a control payload: a UTF-8 JSON object, strictly (FRM-8, FRM-9, FRM-15). */
export function parseControl(payload) {
  let text;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new ProtocolError(1, 'payload is not UTF-8');
  }
  const value = fault('json-parse-duplicates') ? looseParse(text) : new StrictJson(text).document();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(1, 'payload is not a JSON object');
  }
  return value;
}

function looseParse(text) {
  try {
    return JSON.parse(text, (k, v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v));
  } catch {
    throw new ProtocolError(1, 'invalid JSON');
  }
}

class StrictJson {
  constructor(text) {
    this.s = text;
    this.i = 0;
    this.depth = 0;
  }
  fail(what) {
    throw new ProtocolError(1, `invalid JSON: ${what} at ${this.i}`);
  }
  ws() {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }
  document() {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('trailing text');
    return v;
  }
  value() {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail('unexpected character');
  }
  nest() {
    if (++this.depth > 64) this.fail('nesting too deep');
  }
  object() {
    this.nest();
    this.i++;
    const out = Object.create(null);
    const seen = new Set();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const key = this.string();
      if (seen.has(key)) this.fail('duplicate key');
      seen.add(key);
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected :');
      this.ws();
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') break;
      if (c !== ',') this.fail('expected , or }');
    }
    this.depth--;
    return out;
  }
  array() {
    this.nest();
    this.i++;
    const out = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') break;
      if (c !== ',') this.fail('expected , or ]');
    }
    this.depth--;
    return out;
  }
  string() {
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string');
      const c = this.s[this.i++];
      if (c === '"') break;
      if (c < ' ') this.fail('control character in string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in simple) out += simple[e];
      else if (e === 'u') {
        const hex = this.s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
        this.i += 4;
        out += String.fromCharCode(parseInt(hex, 16));
      } else this.fail('bad escape');
    }
    // A lone surrogate is JSON but not Unicode text: the member has the wrong type
    // (FRM-15, first reading).
    if (!out.isWellFormed() && !fault('json-lone-surrogate')) this.fail('lone surrogate');
    return out;
  }
  number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) return BigInt(m[0]);
    if (fault('json-number-float') && Number.isInteger(Number(m[0]))) return BigInt(Number(m[0]));
    return Number(m[0]);
  }
}

// -- schema helpers: each raises bad_frame (FRM-9, FRM-11, FRM-12) ------------------

export function str(obj, key) {
  const v = obj[key];
  if (typeof v !== 'string') throw new ProtocolError(1, `member ${key} must be a string`);
  return v;
}

export function int(obj, key) {
  let v = obj[key];
  if (fault('r6-int-bigint-coerce')) {
    // The fault: BigInt() as the validator ("it throws on anything that is not an integer").
    try {
      v = BigInt(v);
    } catch {
      throw new ProtocolError(1, `member ${key} must be an integer in 0..2^63-1`);
    }
  }
  if (typeof v !== 'bigint' || v < 0n || v > INT_MAX) {
    throw new ProtocolError(1, `member ${key} must be an integer in 0..2^63-1`);
  }
  return v;
}

const SHA_RE = fault('sha-case-insensitive') ? /^[0-9a-f]{64}$/i : /^[0-9a-f]{64}$/;
export function sha(obj, key, optional = false) {
  if (optional && !(key in obj)) return undefined;
  const v = str(obj, key);
  if (!SHA_RE.test(v)) throw new ProtocolError(1, `member ${key} must be 64 lowercase hex digits`);
  return v;
}

export function hexBytes(obj, key, bytes) {
  const v = str(obj, key);
  if (fault('r4-hex-by-buffer-length')) {
    // The fault: Node's hex decoder is the validator (it takes A-F and drops an odd last digit).
    const b = Buffer.from(v, 'hex');
    if (b.length !== bytes) throw new ProtocolError(1, `member ${key} must be ${bytes} bytes of hex`);
    return b;
  }
  if (v.length !== bytes * 2 || !/^[0-9a-f]*$/.test(v)) {
    throw new ProtocolError(1, `member ${key} must be ${bytes * 2} lowercase hex digits`);
  }
  return Buffer.from(v, 'hex');
}

/** The EROR payload: code (acted on), name, message; an unknown code is `internal`. */
export function parseError(obj) {
  const code = int(obj, 'code');
  str(obj, 'name');
  str(obj, 'message');
  if (fault('cli-unknown-code-nonfatal') && ERRORS[Number(code)] === undefined) {
    return { code: 5, name: 'forbidden', message: obj.message, retryAfter: obj.retry_after };
  }
  const known = ERRORS[Number(code)] !== undefined && code <= 14n;
  return { code: known ? Number(code) : 11, name: known ? ERRORS[Number(code)][0] : 'internal', message: obj.message, retryAfter: obj.retry_after };
}

/**
 * Buffered reader over a net.Socket: resolves exact byte counts, rejects with
 * ConnectionClosed on EOF in the middle. Reading is paused while nobody asks for bytes
 * beyond a small window, so a fast sender cannot make us buffer a whole file (LIM-6).
 */
export class SocketReader {
  constructor(socket, highWater = 2 * DEFAULT_FRAME_LIMIT) {
    this.socket = socket;
    this.chunks = [];
    this.length = 0;
    this.ended = false;
    this.error = null;
    this.waiter = null;
    this.highWater = highWater;
    socket.on('data', (chunk) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      if (this.length > this.highWater) socket.pause();
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.ended = true;
      this.wake();
    });
  }
  wake() {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }
  take(n) {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    if (this.length <= this.highWater) this.socket.resume();
    return out;
  }
  /** Exactly n bytes, or null when the stream ends cleanly before the first byte. */
  async read(n, { eofOk = false, shortAtEof = false } = {}) {
    while (this.length < n) {
      if (this.ended) {
        if (eofOk && this.length === 0) return null;
        if (shortAtEof && this.length > 0) return Buffer.from(this.take(this.length));
        throw new ConnectionClosed(this.length ? 'connection closed inside a frame' : 'connection closed');
      }
      this.socket.resume();
      await new Promise((resolve) => {
        this.waiter = resolve;
      });
    }
    return Buffer.from(this.take(n));
  }
}

/**
 * Read one clear frame: the header first, its limit checked before any payload is
 * awaited (FRM-3). `allowed(type)` decides early whether the type may come now.
 */
export async function readFrame(reader, { limit = DEFAULT_FRAME_LIMIT, eofOk = false, check, lateLimit = false, shortAtEof = false } = {}) {
  const header = await reader.read(8, { eofOk });
  if (header === null) return null;
  const type = header.toString('latin1', 0, 4);
  const length = header.readUInt32BE(4);
  if (!validType(type)) throw new ProtocolError(1, 'bad frame type bytes');
  if (length > limit && !lateLimit) throw new ProtocolError(2, `frame of ${length} bytes is above the limit ${limit}`);
  if (check) check(type, length);
  const payload = await reader.read(length, { shortAtEof });
  if (length > limit) throw new ProtocolError(2, `frame of ${length} bytes is above the limit ${limit}`);
  return { type, payload, header };
}

/** Split one record plaintext into exactly one frame (EKE-REC-1). */
export function parseInner(inner) {
  if (inner.length < 8) throw new ProtocolError(1, 'record holds no complete frame');
  const type = inner.toString('latin1', 0, 4);
  const length = inner.readUInt32BE(4);
  if (!validType(type)) throw new ProtocolError(1, 'bad frame type bytes');
  if (length !== inner.length - 8) throw new ProtocolError(1, 'record does not hold exactly one frame');
  return { type, payload: inner.subarray(8) };
}

export const CONTROL_TYPES = new Set(['RQFL', 'RSFL', 'PUTF', 'DONE', 'EROR', 'BYE_', 'EKE1', 'EKE2', 'EKE3', 'EKE4']);
