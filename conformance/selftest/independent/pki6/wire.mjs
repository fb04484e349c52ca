// pki6 — frames (§1), errors (§2), strict JSON and names (§3.5).
import { fault } from './faults.mjs';

export const FRAME_LIMIT = 1048832;
export const CONTROL_LIMIT = 65536;
export const DATA_LIMIT = 1048576;
export const TYPES = new Set(['RQFL', 'RSFL', 'PUTF', 'DATA', 'DONE', 'EROR', 'BYE_']);
export const CODES = {
  bad_frame: [1, true], frame_too_large: [2, true], unexpected_frame: [3, true],
  auth_failed: [4, true], forbidden: [5, false], not_found: [6, false], too_large: [7, false],
  integrity_failed: [8, true], busy: [9, true], timeout: [10, true], internal: [11, true],
  exists: [12, false], unsupported: [13, false], throttled: [14, true],
};
const NAMES = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v[0], k]));

/** A protocol error: its wire name; fatal or not as the table says. */
export class ProtoError extends Error {
  constructor(name, message) {
    super(message ?? name);
    this.code = name;
    this.fatal = CODES[name][1];
  }
}
export class Truncated extends Error {}

/** An error found in a frame's header: its payload was not consumed. */
function headerError(name, message) {
  const e = new ProtoError(name, message);
  e.header = true;
  return e;
}
export class IdleTimeout extends Error {}

export function frame(type, payload) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload), 'utf8');
  const h = Buffer.alloc(8);
  h.write(type, 0, 'latin1');
  // b25_length_in_utf16_units: the length of the JSON text (its .length), written as UTF-8
  h.writeUInt32BE(fault('b25_length_in_utf16_units') && !Buffer.isBuffer(payload) ? JSON.stringify(payload).length : body.length, 4);
  return Buffer.concat([h, body]);
}

export function erorFrame(name, message) {
  return frame('EROR', { code: CODES[name][0], name, message: String(message).slice(0, 200) });
}

export const codeName = (code) => NAMES[code];
export const isFatalCode = (code) => !(NAMES[code] && !CODES[NAMES[code]][1]);

// ---- strict JSON (RFC 8259): duplicates, lone surrogates, NaN refused; integers BigInt ----
class Json {
  constructor(text) {
    this.s = text;
    this.i = 0;
    this.depth = 0;
  }
  fail(why) {
    throw new ProtoError('bad_frame', `malformed JSON: ${why}`);
  }
  ws() {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }
  value() {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [w, v] of [['true', true], ['false', false], ['null', null]]) {
      if (this.s.startsWith(w, this.i)) {
        this.i += w.length;
        return v;
      }
    }
    return this.fail(`unexpected ${JSON.stringify(c ?? 'end')}`);
  }
  nest() {
    if (++this.depth > 256) this.fail('nested too deeply');
  }
  object() {
    this.nest();
    this.i++;
    const out = new Map();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const k = this.string();
      if (out.has(k) && !fault('json_duplicates_last_wins')) this.fail('duplicate key');
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected :');
      out.set(k, this.value());
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
        const h = this.s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('bad \\u escape');
        this.i += 4;
        out += String.fromCharCode(parseInt(h, 16));
      } else this.fail('bad escape');
    }
    if (!out.isWellFormed()) {
      // b25_lone_surrogate_replaced: what Buffer.from(text) would store anyway (U+FFFD)
      if (fault('b25_lone_surrogate_replaced')) return out.toWellFormed();
      this.fail('lone surrogate');
    }
    return out;
  }
  number() {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    if (m[2] || m[3]) return { float: Number(m[0]) };
    return BigInt(m[0]);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A control payload: a JSON object (a Map), or bad_frame. */
export function parseControl(payload) {
  let text;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new ProtoError('bad_frame', 'payload is not UTF-8');
  }
  // FRM-8 judged once the payload is in (the MAY), on the decoded text.
  if (fault('control_limit_in_chars') && text.length > CONTROL_LIMIT) {
    throw new ProtoError('frame_too_large', 'control payload too large');
  }
  if (fault('json_duplicates_last_wins')) {
    // JSON.parse: the last duplicate wins; numbers are floats.
    let v;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ProtoError('bad_frame', 'malformed JSON');
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtoError('bad_frame', 'not an object');
    return new Map(Object.entries(v).map(([k, x]) => [k, typeof x === 'number' && Number.isInteger(x) ? BigInt(x) : x]));
  }
  const p = new Json(text);
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('trailing data');
  if (!(v instanceof Map)) throw new ProtoError('bad_frame', 'top level is not an object');
  return v;
}

const MAX_INT = (1n << 63n) - 1n;

export function getInt(obj, key) {
  const v = obj.get(key);
  if (typeof v === 'bigint' && v >= 0n && v <= MAX_INT) return v;
  if (fault('json_float_integral_size') && v && typeof v === 'object' && 'float' in v && Number.isInteger(v.float) && v.float >= 0) {
    return BigInt(v.float);
  }
  throw new ProtoError('bad_frame', `${key} must be an integer in 0..2^63-1`);
}

export function getStr(obj, key) {
  const v = obj.get(key);
  if (typeof v !== 'string') throw new ProtoError('bad_frame', `${key} must be a string`);
  return v;
}

export function getSha(obj, key, optional = false) {
  if (optional && !obj.has(key)) return undefined;
  const v = getStr(obj, key);
  const re = fault('sha_case_insensitive') ? /^[0-9a-fA-F]{64}$/ : /^[0-9a-f]{64}$/;
  if (!re.test(v)) throw new ProtoError('bad_frame', `${key} must be 64 lowercase hex characters`);
  return fault('sha_case_insensitive') ? v.toLowerCase() : v;
}

/** APP-NAME-1/2/8: null if the name is acceptable, else why not (refused `forbidden`). */
export function nameProblem(name, op = 'get') {
  const bytes = fault('name_length_in_chars') ? name.length : Buffer.byteLength(name, 'utf8');
  const maxBytes = fault('long_name_refused') ? 1024 : 4096;
  if (bytes === 0 || bytes > maxBytes) return 'name length';
  if (name.startsWith('/')) return 'absolute name';
  if ((fault('drive_letter_upper_only') ? /^[A-Z]:/ : /^[A-Za-z]:/).test(name)) return 'drive letter';
  const controls = fault('bidi_get_only') && op === 'put'
    ? /[\u0000-\u001f\u007f-\u009f\\]/
    : /[\u0000-\u001f\u007f-\u009f\\\u202a-\u202e\u2066-\u2069]/;
  if (controls.test(name)) return 'forbidden character';
  if (op === 'put' && fault('put_non_ascii_refused') && /[^\x20-\x7e]/.test(name)) return 'non-ASCII name';
  for (const c of name.split('/')) {
    const n = fault('name_length_in_chars') ? c.length : Buffer.byteLength(c, 'utf8');
    if (n === 0 || n > 255) return 'component length';
    if (c === '.' || (c === '..' && !fault('dotdot_normalised'))) return 'dot component';
  }
  return null;
}

/** Frames from a stream, reassembled however the bytes arrive (FRM-4). */
export class Reader {
  constructor(sock, { idleMs, frameLimit = FRAME_LIMIT, lenientEof = false }) {
    this.sock = sock;
    this.lenientEof = lenientEof; // b28_client_partial_control_at_eof
    this.idleMs = idleMs;
    this.frameLimit = frameLimit;
    this.bufs = [];
    this.len = 0;
    this.eof = false;
    this.waiter = null;
    this.last = Date.now();
    sock.on('data', (c) => {
      this.bufs.push(c);
      this.len += c.length;
      this.last = Date.now();
      if (this.len > 4 * FRAME_LIMIT) sock.pause();
      this.wake();
    });
    const end = () => {
      this.eof = true;
      this.wake();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }
  wake() {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }
  bytes(n) {
    if (this.bufs.length > 1) this.bufs = [Buffer.concat(this.bufs)];
    return this.bufs[0].subarray(0, n);
  }
  consume(n) {
    const all = this.bytes(this.len);
    const rest = all.subarray(n);
    this.bufs = rest.length && !fault('data_chunk_is_frame') ? [Buffer.from(rest)] : [];
    this.len = this.bufs.length ? rest.length : 0;
    if (this.len < FRAME_LIMIT) this.sock.resume();
  }
  /** The next frame; `onHeader(type, length)` may throw once the header is in (APP-PUT-6). */
  async next(onHeader) {
    const waitStart = Date.now();
    for (;;) {
      if (this.len >= 8) {
        const h = this.bytes(8);
        const type = h.toString('latin1', 0, 4);
        const length = fault('signed_frame_length') ? h.readInt32BE(4) : h.readUInt32BE(4);
        if (!/^[A-Z0-9_]{4}$/.test(type)) throw headerError('bad_frame', 'bad frame type');
        // i18_frame_limit_after_payload: the whole frame first, judged once it is in
        const late = fault('i18_frame_limit_after_payload') && length > this.frameLimit;
        if (late && this.len >= 8 + length) throw headerError('frame_too_large', 'frame too large');
        if (length > this.frameLimit && !late) throw headerError('frame_too_large', 'frame too large');
        if (!TYPES.has(type) && fault('i18_unknown_type_skipped') && length <= CONTROL_LIMIT) {
          if (this.len >= 8 + length) {
            this.consume(8 + length); // a newer peer's frame: not ours to judge
            continue;
          }
        } else if (!TYPES.has(type)) throw headerError('unexpected_frame', 'unknown frame type');
        if (!late && type !== 'DATA' && length > CONTROL_LIMIT && !fault('control_limit_in_chars')) throw headerError('frame_too_large', 'control payload too large');
        if (!late && type === 'DATA' && length > DATA_LIMIT) throw headerError('bad_frame', 'DATA too large');
        if (type === 'DATA' && length === 0) throw headerError('bad_frame', 'empty DATA');
        if (onHeader) {
          try {
            onHeader(type, length);
          } catch (e) {
            e.header = true;
            throw e;
          }
        }
        if (this.len >= 8 + length && TYPES.has(type)) {
          const payload = Buffer.from(this.bytes(8 + length).subarray(8));
          this.consume(8 + Math.max(length, 0));
          return { type, payload };
        }
      }
      if (this.eof && this.lenientEof && this.len > 8) {
        // b28_client_partial_control_at_eof: the announced length counts trailing white space
        // the peer never sent; the JSON that did arrive is whole, take it
        const type = this.bytes(8).toString('latin1', 0, 4);
        const payload = Buffer.from(this.bytes(this.len).subarray(8));
        if (type !== 'DATA' && TYPES.has(type)) {
          try {
            parseControl(payload);
            this.consume(this.len);
            return { type, payload };
          } catch {}
        }
      }
      if (this.eof) throw new Truncated(this.len ? 'connection ended inside a frame' : 'connection ended');
      const idleLeft = this.idleMs - (Date.now() - (fault('r18_idle_from_last_data') ? this.last : Math.max(this.last, waitStart)));
      if (idleLeft <= 0) throw new IdleTimeout('idle timeout');
      await new Promise((resolve) => {
        const t = setTimeout(resolve, idleLeft);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}

/** Write with backpressure; a write that makes no progress for `ms` rejects (LIM-10). */
export function send(sock, buf, ms) {
  if (sock.destroyed) return Promise.reject(new Truncated('socket closed'));
  if (sock.write(buf)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(t);
      sock.off('drain', ok);
      sock.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const ok = () => done();
    const closed = () => done(new Truncated('socket closed'));
    const t = fault('no_send_deadline') ? undefined : setTimeout(() => done(new IdleTimeout('send made no progress')), ms);
    sock.on('drain', ok);
    sock.on('close', closed);
  });
}
