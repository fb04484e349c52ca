// The sft-eke/1 client: `get` and `put` (§3.3, §3.4) over the handshake of §5.3.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as eke from './eke.mjs';
import { fault } from './faults.mjs';
import { commitPartial, createPartial, discardPartial, sweepPartials } from './names.mjs';
import {
  CONTROL_LIMIT, ConnectionClosed, DATA_MAX, ERRORS, encodeFrame, hexBytes, int, parseControl,
  parseError, parseInner, ProtocolError, readFrame, sha, SocketReader, str, stringify,
} from './wire.mjs';

const CHUNK = 256 * 1024;

/** A failure to report to the user, with the exit status. */
export class ClientFailure extends Error {
  constructor(message, status = 1) {
    super(message);
    this.status = status;
  }
}

const QUOTES_PASSWORD = "(the server's message is not shown: it quotes the password)";

const fold = (text) => text.toUpperCase().toLowerCase();

/** PWF-2: every run of 6 of the password's characters (the whole password when shorter),
 * as typed and JSON-escaped (\uXXXX beyond ASCII), case folded. */
function passwordRuns(password) {
  const escaped = JSON.stringify(password).slice(1, -1)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const runs = new Set();
  for (const form of [password, escaped]) {
    const chars = Array.from(fold(form));
    const width = Math.min(6, chars.length);
    for (let i = 0; width && i + width <= chars.length; i++) runs.add(chars.slice(i, i + width).join(''));
  }
  return runs;
}

/** PWF-2 "in any encoding": a server's text as it came, URL-decoded (`+` a space, each
 * run of %XX escapes as UTF-8), and with each base64 (standard or URL-safe) or hex token
 * decoded: a server echoing an `Authorization: Basic` line, a login URL or a hex dump. */
function peerViews(text) {
  const views = [
    text,
    text.replace(/\+/g, ' ').replace(/(?:%[0-9a-fA-F]{2})+/g,
      (escapes) => Buffer.from(escapes.replace(/%/g, ''), 'hex').toString('utf8')),
  ];
  for (const [token] of text.matchAll(/[A-Za-z0-9+/_-]{8,}={0,2}/g)) {
    const bare = token.replace(/=+$/, '');
    if (bare.length % 4 !== 1) views.push(Buffer.from(bare, 'base64').toString('utf8'));
  }
  for (const [token] of text.matchAll(/(?:[0-9a-fA-F]{2}){6,}/g)) {
    views.push(Buffer.from(token, 'hex').toString('utf8'));
  }
  return views;
}

class Session {
  constructor(opts) {
    this.opts = opts;
    this.passwordRuns = passwordRuns(opts.password); // PWF-2: what peerText checks
  }

  /** A server's text as shown (PWF-2): not at all when it, or any decoding of it
   * (peerViews), holds a run of the password. */
  peerText(text) {
    const shown = String(text);
    for (const view of peerViews(shown)) {
      const folded = fold(view);
      for (const run of this.passwordRuns) if (folded.includes(run)) return QUOTES_PASSWORD;
    }
    return shown;
  }

  async connect() {
    const { host, port } = this.opts;
    this.socket = await new Promise((resolve, reject) => {
      const s = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ClientFailure(`could not connect to ${host}:${port}: timed out`));
      }, this.opts.connectTimeout * 1000);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new ClientFailure(`could not connect to ${host}:${port}: ${err.message}`));
      });
    });
    this.socket.on('error', () => {});
    this.reader = new SocketReader(this.socket);
  }

  write(bytes) {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new ClientFailure('the connection closed'));
      this.socket.write(bytes, (err) => (err ? reject(new ClientFailure('the connection closed')) : resolve()));
    });
  }

  close() {
    this.socket?.destroy();
  }

  /** Send a fatal EROR (sealed once the channel exists) and close. */
  async fail(code, message) {
    try {
      const obj = { code: BigInt(code), name: ERRORS[code][0], message };
      const payload = Buffer.from(stringify(obj), 'utf8');
      const frame = encodeFrame('EROR', payload);
      await Promise.race([
        this.write(this.out ? this.out.sealRecord(frame) : frame),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
      this.socket.end();
    } catch {}
    this.close();
  }

  /** Run fn with a deadline; on expiry fail with `what`. */
  async withTimeout(seconds, what, fn) {
    let timer;
    const t = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new ClientFailure(what)), seconds * 1000);
    });
    try {
      return await Promise.race([fn(), t]);
    } finally {
      clearTimeout(timer);
    }
  }

  async handshake() {
    const { user, password } = this.opts;
    const userBytes = Buffer.from(user, 'utf8');
    const pw = eke.passwordKey(user, password);
    // The fault b28_cli-busy-retry-same-eke1: a login retried after busy re-sends the
    // first attempt's EKE1 (its x kept in opts: "the server never saw it used").
    const kept = fault('b28_cli-busy-retry-same-eke1') ? this.opts.firstEke1 : undefined;
    const x = kept?.x ?? eke.drawExponent();
    const Xp = kept?.Xp ?? eke.hideSign(eke.modpow(eke.G, x, eke.P));
    if (fault('b28_cli-busy-retry-same-eke1')) this.opts.firstEke1 = { x, Xp };
    const A = eke.encryptPw(pw, eke.i2osp(Xp));
    await this.write(encodeFrame('EKE1', Buffer.from(stringify({ user, a: A.toString('hex') }), 'utf8')));
    const eke2 = await this.clearFrame('EKE2');
    const B = hexBytes(eke2, 'b', eke.K);
    const C2 = hexBytes(eke2, 'c', 48);
    const { ok, X: Y } = eke.recover(eke.os2ip(eke.decryptPw(pw, B)));
    const Z = ok ? eke.sharedSecret(Y, x) : null;
    const th = eke.transcriptHash(userBytes, A, B);
    const keys = eke.deriveKeys(Z ?? crypto.randomBytes(eke.K), th);
    const Ns = fault('r6-cli-c2-tag-unchecked')
      ? openWithoutTag(keys.kcs, eke.nonce(2), C2, Buffer.concat([Buffer.from('EKE2'), th]))
      : eke.open(keys.kcs, eke.nonce(2), C2, Buffer.concat([Buffer.from('EKE2'), th]));
    if (!ok || Z === null || Ns === null || Ns.length !== 32) {
      if (fault('r3-cli-c2-fail-silent')) this.close();
      else await this.fail(4, 'authentication failed');
      throw new ClientFailure('authentication failed: wrong password or unknown user');
    }
    const Na = crypto.randomBytes(32);
    const C3 = eke.seal(keys.kcc, eke.nonce(3), Buffer.concat([Na, Ns]), Buffer.concat([Buffer.from('EKE3'), th]));
    await this.write(encodeFrame('EKE3', Buffer.from(stringify({ c: C3.toString('hex') }), 'utf8')));
    const eke4 = await this.clearFrame('EKE4');
    const C4 = hexBytes(eke4, 'c', 48);
    const na = eke.open(keys.kcs, eke.nonce(4), C4, Buffer.concat([Buffer.from('EKE4'), th]));
    const c4Bad = fault('r4-cli-c4-null-passes') ? na && !eke.equalBytes(na, Na) : na === null || (!eke.equalBytes(na, Na) && !fault('cli-c4-unchecked'));
    if (c4Bad) {
      this.close();
      throw new ClientFailure('the server failed to prove it knows the password (possible impostor)');
    }
    this.out = new eke.RecordDirection(keys.keyC2s, keys.ivC2s);
    this.in = new eke.RecordDirection(keys.keyS2c, keys.ivS2c);
  }

  async clearFrame(expected) {
    let f;
    try {
      f = await readFrame(this.reader, {
        check: (type, length) => {
          if (type !== expected && type !== 'EROR') throw new ProtocolError(3, `expected ${expected}, got ${type}`);
          if (length > CONTROL_LIMIT) throw new ProtocolError(2, 'control payload above 65536 bytes');
        },
      });
    } catch (err) {
      if (err instanceof ConnectionClosed) throw new ClientFailure('the server closed the connection during the handshake');
      throw err;
    }
    if (f.type === 'EROR' && fault('b28_cli-hs-eror-malformed-skipped')) {
      try {
        parseError(parseControl(f.payload));
      } catch {
        return this.clearFrame(expected); // "a garbled error in the login is noise: read on"
      }
    }
    const obj = parseControl(f.payload);
    if (f.type === 'EROR') {
      const e = parseError(obj);
      this.close();
      if (e.code === 9) throw Object.assign(new ClientFailure('server busy: try again later'), { busy: true, retryAfter: obj.retry_after });
      if (e.code === 14) throw new ClientFailure(`throttled: too many failed logins, retry after ${this.peerText(obj.retry_after ?? '?')} s`);
      if (e.code === 4) throw new ClientFailure('authentication failed: wrong password or unknown user');
      if (e.code === 10) throw new ClientFailure('timed out before the handshake completed');
      throw new ClientFailure(`server error ${e.name}: ${this.peerText(e.message).slice(0, 200)}`);
    }
    return obj;
  }

  sendFrame(type, payload) {
    return this.write(this.out.sealRecord(encodeFrame(type, payload)));
  }

  sendControl(type, obj) {
    return this.sendFrame(type, Buffer.from(stringify(obj), 'utf8'));
  }

  /** The next application frame; EROR becomes a ClientFailure (after closing). */
  async nextFrame() {
    const header = await this.reader.read(8).catch(() => {
      throw new ClientFailure('the connection closed before the transfer completed');
    });
    const type = header.toString('latin1', 0, 4);
    const length = header.readUInt32BE(4);
    if (type !== 'RECD') {
      this.close();
      throw new ClientFailure('the server sent a plaintext frame after the handshake');
    }
    const lateLimit = fault('b28_cli-frame-limit-after-body'); // "judge the record once it is here"
    if (length > this.opts.frameLimit && !lateLimit) throw new ProtocolError(2, 'record above the frame limit');
    const body = await this.reader.read(length).catch(() => {
      throw new ClientFailure('the connection closed inside a record');
    });
    if (length > this.opts.frameLimit) throw new ProtocolError(2, 'record above the frame limit');
    const inner = this.in.openRecord(header, body);
    if (inner === null) {
      this.close();
      throw new ClientFailure('a record did not authenticate: connection closed');
    }
    const frame = parseInner(inner);
    if (frame.type !== 'DATA' && frame.payload.length > CONTROL_LIMIT) throw new ProtocolError(2, 'control payload above 65536 bytes');
    if (frame.type === 'EROR') {
      let e;
      if (fault('b28_cli-eror-malformed-skipped')) {
        try {
          e = parseError(parseControl(frame.payload));
        } catch {
          return this.nextFrame(); // "a garbled error from the server is noise: read on"
        }
      } else e = parseError(parseControl(frame.payload));
      const fatal = ERRORS[e.code][1];
      if (fatal) this.close();
      throw new ClientFailure(`server refused: ${e.name}: ${this.peerText(e.message).slice(0, 200)}`, fatal ? 1 : 3);
    }
    return frame;
  }

  /** Say goodbye politely (after a completed or non-fatally refused request). */
  async bye() {
    try {
      await this.sendControl('BYE_', {});
      this.socket.end();
    } catch {}
    setTimeout(() => this.close(), 200).unref();
  }
}

/** Every byte of `buf` written, or an error: a short write (a file-size limit) is not a
 * silent truncation (APP-STORE-3). */
function writeAll(fd, buf) {
  let off = 0;
  while (off < buf.length) {
    const n = fs.writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EFBIG' });
    off += n;
  }
}

/** The fault r6-cli-c2-tag-unchecked: decipher.update() alone, the tag never checked. */
function openWithoutTag(key, iv, sealed, ad) {
  if (sealed.length < 16) return null;
  const d = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  d.setAAD(ad);
  return d.update(sealed.subarray(0, sealed.length - 16));
}

/** Run a session: connect, handshake, fn; map protocol errors to EROR + failure. */
async function session(opts, fn) {
  if (!fault('b28_cli-busy-retry-same-eke1')) return sessionOnce(opts, fn);
  // The fault: a busy login retried (twice at most, after retry_after, up to 5 s) -- with
  // the same EKE1.
  for (let attempt = 0; ; attempt++) {
    try {
      return await sessionOnce(opts, fn);
    } catch (err) {
      const wait = typeof err?.retryAfter === 'bigint' ? Number(err.retryAfter) : 1;
      if (!err?.busy || attempt >= 2 || wait > 5) throw err;
      await new Promise((r) => setTimeout(r, Math.max(wait, 1) * 1000 + 100));
    }
  }
}

async function sessionOnce(opts, fn) {
  const s = new Session(opts);
  await s.connect();
  try {
    await s.withTimeout(opts.handshakeTimeout, 'timed out before the handshake completed', () => s.handshake());
    return await fn(s);
  } catch (err) {
    if (err instanceof ProtocolError) {
      await s.fail(err.code, err.message);
      throw new ClientFailure(`protocol error: ${ERRORS[err.code][0]}: ${err.message}`);
    }
    if (err instanceof ClientFailure && err.status === 3) {
      await s.bye();
      throw new ClientFailure(err.message, 1);
    }
    throw err;
  } finally {
    s.close();
  }
}

export async function get(opts) {
  const out = path.resolve(opts.out);
  const outDir = path.dirname(out);
  if (!opts.force && !fault('cli-overwrites-output') && fs.existsSync(out)) throw new ClientFailure(`${out} exists (use --force to replace it)`);
  sweepPartials(outDir, fault('r3-cli-sweeps-live-partials') ? 0 : opts.idleTimeout * 1000); // stale temporaries of crashed runs
  let partial = null;
  const cleanup = () => {
    if (partial && fault('r3-cli-temp-kept')) {
      try {
        fs.closeSync(partial.fd);
      } catch {}
    } else if (partial) discardPartial(partial.tmp, partial.fd);
    partial = null;
  };
  const onSignal = (sig) => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await session(opts, async (s) => {
      await s.sendControl('RQFL', { name: opts.name });
      const answer = await s.withTimeout(opts.idleTimeout, 'the server went silent', () => s.nextFrame());
      if (answer.type !== 'RSFL') throw new ProtocolError(3, `expected RSFL, got ${answer.type}`);
      const rsfl = parseControl(answer.payload);
      const rname = str(rsfl, 'name');
      const size = int(rsfl, 'size');
      let rsha;
      if (fault('r4-cli-rsfl-sha-try-ignored')) {
        try {
          rsha = sha(rsfl, 'sha256', true);
        } catch {
          rsha = undefined; // "the optional hash is only a hint"
        }
      } else rsha = sha(rsfl, 'sha256', true);
      if (rname !== opts.name && !fault('cli-trusts-rsfl-name')) throw new ProtocolError(1, 'RSFL names another file');
      if (size > BigInt(opts.maxFileSize)) throw new ProtocolError(7, 'file above our maximum size');
      partial = createPartial(fault('cli-temp-in-os-tmpdir') ? os.tmpdir() : outDir);
      const hash = crypto.createHash('sha256');
      let received = 0n;
      for (;;) {
        let f;
        try {
          f = await s.withTimeout(opts.idleTimeout, 'the server went silent', () => s.nextFrame());
        } catch (err) {
          if (fault('cli-end-commits') && s.reader.ended) {
            commitPartial(partial.tmp, partial.fd, out, { replace: opts.force });
            partial = null;
            return;
          }
          throw err;
        }
        if (f.type === 'DATA') {
          if ((f.payload.length === 0 && !fault('r2-cli-empty-data-ok')) || f.payload.length > DATA_MAX) throw new ProtocolError(1, 'bad DATA frame size');
          if (received + BigInt(f.payload.length) > size && !fault('cli-writes-beyond-size')) throw new ProtocolError(8, 'more data than announced');
          hash.update(f.payload);
          if (fault('b15-cli-short-write-ignored')) fs.writeSync(partial.fd, f.payload);
          else writeAll(partial.fd, f.payload);
          received += BigInt(f.payload.length);
        } else if (f.type === 'DONE') {
          const done = parseControl(f.payload);
          const dsize = int(done, 'size');
          const dsha = fault('r4-cli-done-sha-optional') ? sha(done, 'sha256', true) : sha(done, 'sha256');
          const digest = hash.digest('hex');
          if (received !== size || (dsize !== size && !fault('r2-cli-done-size-ignored')) || (dsha !== undefined && dsha !== digest) || (rsha !== undefined && rsha !== digest && !fault('r2-cli-rsfl-sha-ignored'))) {
            if (fault('r3-cli-no-eror-on-integrity')) throw new ClientFailure('integrity check failed: size or SHA-256 mismatch');
            throw new ProtocolError(8, 'size or SHA-256 mismatch');
          }
          const target = fault('cli-trusts-rsfl-name') ? path.join(outDir, rname) : out;
          try {
            commitPartial(partial.tmp, partial.fd, target, { replace: opts.force });
          } catch (err) {
            discardPartial(partial.tmp, null);
            partial = null;
            if (err.code === 'EEXIST') throw new ClientFailure(`${out} exists (use --force to replace it)`);
            throw err;
          }
          partial = null;
          await s.bye();
          return;
        } else if (f.type === 'BYE_' && fault('b28_cli-bye-mid-get-quiet')) {
          s.close(); // "the server said goodbye: nothing to answer"
          throw new ClientFailure('the server ended the connection before the transfer completed');
        } else if (fault('r6-cli-unknown-type-skipped') && !['RQFL', 'RSFL', 'PUTF', 'EROR', 'BYE_', 'EKE1', 'EKE2', 'EKE3', 'EKE4'].includes(f.type)) {
          continue; // "a newer server's frame: skip it"
        } else {
          throw new ProtocolError(3, `${f.type} is not allowed during a get`);
        }
      }
    });
  } finally {
    cleanup();
  }
}

export async function put(opts) {
  const file = path.resolve(opts.file);
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const hash = crypto.createHash('sha256');
    const buf = Buffer.alloc(CHUNK);
    for (let pos = 0; pos < size; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n === 0) throw new ClientFailure(`${file} shrank while being read`);
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    const digest = hash.digest('hex');
    await session(opts, async (s) => {
      await s.sendControl('PUTF', { name: opts.as, size: BigInt(size), sha256: digest });
      let sent = 0;
      if (fault('b28_cli-put-pipelined-data') && size > 0) {
        // The fault: the first DATA sent before the answer arrives ("save a round trip").
        const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, size), 0);
        await s.sendFrame('DATA', Buffer.from(buf.subarray(0, n)));
        sent = n;
      }
      let answer;
      try {
        answer = await s.withTimeout(opts.idleTimeout, 'the server went silent', () => s.nextFrame());
      } catch (err) {
        // The fault: a non-fatal refusal (exists, too_large) taken as "nothing to do".
        if (fault('r2-cli-put-refusal-exit0') && err instanceof ClientFailure && err.status === 3) {
          await s.bye();
          return;
        }
        throw err;
      }
      if (answer.type !== 'RSFL') throw new ProtocolError(3, `expected RSFL, got ${answer.type}`);
      const rsfl = parseControl(answer.payload);
      let accept = rsfl.accept;
      if (fault('r6-cli-put-accept-default')) ({ accept = true } = rsfl);
      if (fault('cli-put-truthy-accept') ? !rsfl.accept : accept !== true) throw new ProtocolError(1, 'RSFL does not accept the put');
      while (sent < size) {
        const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, size - sent), sent);
        if (n === 0) throw new ClientFailure(`${file} shrank while being sent`);
        await s.sendFrame('DATA', Buffer.from(buf.subarray(0, n)));
        sent += n;
      }
      await s.sendControl('DONE', { size: BigInt(size), sha256: digest });
      if (fault('cli-put-success-at-send')) {
        await s.bye();
        return;
      }
      const reply = await s.withTimeout(opts.idleTimeout, 'the server went silent', () => s.nextFrame());
      if (reply.type !== 'DONE') throw new ProtocolError(3, `expected DONE, got ${reply.type}`);
      const done = parseControl(reply.payload);
      int(done, 'size');
      sha(done, 'sha256');
      await s.bye();
    });
  } finally {
    fs.closeSync(fd);
  }
}
