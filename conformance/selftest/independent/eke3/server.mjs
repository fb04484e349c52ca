// The sft-eke/1 server: admission (LIM-4/8/9), handshake (§5.3), records (§5.5),
// the application layer (§3) over them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { fork } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import * as eke from './eke.mjs';
import { fault } from './faults.mjs';
import { commitPartial, createPartial, discardPartial, nameProblem, PARTIAL_PREFIX, sweepPartials } from './names.mjs';
import { validUserName } from './store.mjs';
import { addressKey } from './throttle.mjs';
import {
  CONTROL_LIMIT, CONTROL_TYPES, ConnectionClosed, DATA_MAX, ERRORS, encodeFrame, hexBytes, int,
  parseControl, parseError, parseInner, ProtocolError, readFrame, sha, SocketReader, str, stringify,
} from './wire.mjs';

const AUTH_MESSAGE = 'authentication failed';
const CHUNK = 256 * 1024;
const CLOSE_GRACE_MS = 1000;

export function log(message) {
  process.stderr.write(`${new Date().toISOString()} eke3 ${message}\n`);
}

function errorPayload(code, message, extra = {}) {
  const text = fault('r3-eror-message-unbounded') ? String(message) : String(message).slice(0, 200);
  return { code: BigInt(code), name: ERRORS[code][0], message: text, ...extra };
}

class Timeout extends Error {}

export class Server {
  constructor(opts, store, throttle) {
    this.opts = opts;
    this.store = store;
    this.throttle = throttle;
    this.conns = new Set();
    this.shareReal = fs.realpathSync(opts.share);
    this.inbox = fs.realpathSync(opts.inbox);
  }

  /** Listen on host:port, or on an inherited listening handle (a restart). */
  listen(host, port, handle) {
    sweepPartials(this.inbox, 0); // APP-STORE-3: our own inbox, every leftover
    // allowHalfOpen: a peer's FIN must not make Node end our side before we answered.
    this.server = net.createServer({ allowHalfOpen: !fault('half-close-ends'), noDelay: true }, (socket) => this.accept(socket));
    if (handle) {
      this.server.listen(handle, () => this.announce());
      return;
    }
    this.server.on('error', (err) => {
      log(`listen error: ${err.message}`);
      process.exit(1);
    });
    this.server.listen(port, host, () => this.announce());
  }

  announce() {
    {
      const a = this.server.address();
      const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      const o = this.opts;
      log(`limits: handshake_timeout=${o.handshakeTimeout}s idle_timeout=${o.idleTimeout}s max_file_size=${o.maxFileSize} ` +
        `max_connections=${o.maxConnections} max_pending_per_address=${o.maxPendingPerAddress} frame_limit=${o.frameLimit} ` +
        `throttle=${o.throttleFailures}/${o.throttleBase}s/${o.throttleCap}s pending=${o.pendingPerUser}/${o.pendingPerAddress} lock_after=${o.lockAfter}`);
      process.stdout.write(`listening on ${shown}:${a.port}\n`);
    }
  }

  /**
   * SIGHUP: restart without losing the port. A fresh process (forked, same arguments)
   * takes over the listening socket and reloads the store and the throttling state from
   * disk; this one stops accepting, finishes its connections and stays as the parent
   * (a later SIGHUP is passed on to the newest process).
   */
  restart() {
    if (this.successor) {
      this.successor.kill('SIGHUP');
      return;
    }
    log('restarting: handing the listening socket to a new process');
    const child = fork(process.argv[1], process.argv.slice(2), { stdio: 'inherit', env: { ...process.env, EKE3_INHERIT_LISTENER: '1' } });
    this.successor = child;
    child.on('message', (m) => {
      if (m === 'ready') this.server.close();
    });
    child.on('exit', (code) => process.exit(code ?? 0));
    child.send('listener', this.server);
    for (const sig of ['SIGTERM', 'SIGINT']) {
      process.removeAllListeners(sig);
      process.on(sig, () => child.kill(sig));
    }
  }

  accept(socket) {
    const conn = new Connection(this, socket);
    const handshaking = [...this.conns].filter((c) => !c.established);
    const sameAddress = handshaking.filter((c) => c.address === conn.address).length;
    if (fault('r2-addr-cap-off-by-one') ? sameAddress > this.opts.maxPendingPerAddress : sameAddress >= this.opts.maxPendingPerAddress) {
      conn.refuseBusy('too many connections from your address');
      return;
    }
    if (fault('r2-max-conn-off-by-one') ? this.conns.size > this.opts.maxConnections : this.conns.size >= this.opts.maxConnections) {
      // LIM-9: make room by closing the oldest connection still in its handshake.
      const oldest = fault('lim-no-eviction') ? undefined : fault('r2-evicts-established') ? [...this.conns][0] : handshaking[0];
      if (!oldest) {
        conn.refuseBusy('too many connections');
        return;
      }
      log(`evicting a handshake from ${oldest.address} to admit ${conn.address}`);
      if (fault('r4-evicted-pending-forgiven') && oldest.release) {
        oldest.release(false, true); // "evicted by us: not the client's failure"
        oldest.release = null;
      }
      oldest.abort();
    }
    this.conns.add(conn);
    conn.run().finally(() => {
      // The fault r4-conn-slot-leak-on-fatal: the slot given back on the clean ends only.
      if (!conn.leakSlot) this.conns.delete(conn);
    });
  }
}

class Connection {
  constructor(server, socket) {
    this.server = server;
    this.opts = server.opts;
    this.socket = socket;
    this.address = socket.remoteAddress ?? '?';
    this.reader = new SocketReader(socket);
    this.established = false;
    this.closed = false;
    this.release = null;
    this.partial = null;
    socket.on('error', () => {});
  }

  // -- output -------------------------------------------------------------------

  /** Write bytes; reject after idle_timeout without progress (LIM-10). */
  write(bytes) {
    if (this.closed || this.socket.destroyed) return Promise.reject(new ConnectionClosed('closed'));
    if (this.socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // The fault r6-drain-no-deadline: "drain always comes" (no send timer).
      const timer = fault('r6-drain-no-deadline') ? undefined : setTimeout(() => {
        cleanup();
        this.abort();
        reject(new ConnectionClosed('send timeout'));
      }, this.opts.idleTimeout * 1000);
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(new ConnectionClosed('closed'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
      };
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }

  sendClear(type, obj) {
    return this.write(encodeFrame(type, Buffer.from(stringify(obj), 'utf8')));
  }

  sendRecord(type, payload) {
    const inner = encodeFrame(type, payload);
    return this.write(this.out.sealRecord(inner));
  }

  sendControl(type, obj) {
    const payload = Buffer.from(stringify(obj), 'utf8');
    return this.established ? this.sendRecord(type, payload) : this.sendClear(type, obj);
  }

  sendError(code, message, extra) {
    return this.sendControl('EROR', errorPayload(code, message, extra)).catch(() => {});
  }

  /** Close after a fatal error: FIN at once, then drain what the peer still sends. */
  finish() {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.socket.on('close', () => clearTimeout(timer));
    this.socket.resume();
    this.socket.on('end', () => this.socket.destroy());
  }

  abort() {
    this.closed = true;
    this.socket.destroy();
  }

  refuseBusy(message) {
    this.sendClear('EROR', errorPayload(9, message, { retry_after: 1n })).catch(() => {});
    this.finish();
  }

  // -- the connection -------------------------------------------------------------

  async run() {
    const onHandshakeTimeout = async () => {
      if (this.established || this.closed) return;
      log(`handshake timeout from ${this.address}`);
      if (fault('r2-hs-timeout-not-counted')) this.release = null;
      this.releasePending(false);
      if (fault('hs-timeout-silent')) return this.abort();
      await this.sendError(10, 'handshake timeout');
      this.finish();
    };
    // The fault b25_hs-socket-settimeout: Node's socket.setTimeout is an inactivity timer.
    const inactivity = fault('b25_hs-socket-settimeout');
    if (inactivity) {
      this.socket.setTimeout(this.opts.handshakeTimeout * 1000);
      this.socket.on('timeout', onHandshakeTimeout);
    }
    const deadline = inactivity ? undefined : setTimeout(onHandshakeTimeout, this.opts.handshakeTimeout * 1000);
    try {
      if (!(await this.lockedHandshake())) return;
      clearTimeout(deadline);
      if (inactivity) this.socket.setTimeout(0);
      await this.serve();
    } catch (err) {
      if (err instanceof ProtocolError) {
        if (!this.closed) await this.sendError(err.code, err.message);
        if (err.fatal && this.established && fault('r4-conn-slot-leak-on-fatal')) this.leakSlot = true;
        if (err.fatal) this.finish();
      } else if (!(err instanceof ConnectionClosed) && !(err instanceof Timeout)) {
        log(`internal error: ${err.stack}`);
        if (!this.closed) await this.sendError(11, 'internal error');
        this.finish();
      }
    } finally {
      clearTimeout(deadline);
      this.releasePending(false);
      if (this.partial) {
        discardPartial(this.partial.tmp, this.partial.fd);
        this.partial = null;
      }
      if (!this.closed) this.finish();
    }
  }

  /** The fault r6-serial-handshakes: one login at a time, "so admit() and begin() cannot interleave". */
  async lockedHandshake() {
    if (!fault('r6-serial-handshakes')) return this.handshake();
    const before = this.server.loginChain ?? Promise.resolve();
    let unlock;
    this.server.loginChain = new Promise((resolve) => {
      unlock = resolve;
    });
    await before;
    try {
      if (this.closed) return false;
      return await this.handshake();
    } finally {
      unlock();
    }
  }

  releasePending(success) {
    if (this.release) {
      if (!success) log(`failed handshake user=${JSON.stringify(this.user)} address=${this.address}`);
      this.release(success);
      this.release = null;
    }
  }

  /** Read one clear handshake frame of the expected type; EROR ends the connection. */
  async clearFrame(expected) {
    const f = await readFrame(this.reader, {
      limit: this.opts.frameLimit,
      lateLimit: fault('frame-limit-after-payload'),
      // The fault b28_hs-eof-short-payload: at EOF, the bytes that came are the payload.
      shortAtEof: fault('b28_hs-eof-short-payload'),
      check: (type, length) => {
        if (type !== expected && type !== 'EROR' && !fault('hs-refusal-echoes-frame')) throw new ProtocolError(3, `expected ${expected}, got ${type}`);
        if (length > CONTROL_LIMIT && !fault('frame-limit-after-payload')) throw new ProtocolError(2, 'control payload above 65536 bytes');
      },
    });
    if (this.closed) throw new ConnectionClosed('closed');
    if (f.type !== expected && f.type !== 'EROR') {
      // The fault: the whole frame read first, then refused with what it held "for debugging".
      throw new ProtocolError(3, `expected ${expected}, got ${f.type}: ${JSON.stringify(f.payload.subarray(0, 64).toString('latin1'))}`);
    }
    const obj = parseControl(f.payload);
    if (f.type === 'EROR') {
      this.finish();
      throw new ConnectionClosed('peer sent EROR');
    }
    return obj;
  }

  async handshake() {
    const eke1 = await this.clearFrame('EKE1');
    const user = str(eke1, 'user');
    const A = hexBytes(eke1, 'a', eke.K);
    const userBytes = Buffer.from(fault('user-nfc-normalised') ? user.normalize('NFC') : user, 'utf8');
    // EKE-PW-5: an invalid user name is refused as malformed (it reveals nothing).
    if (!validUserName(userBytes, user)) throw new ProtocolError(1, 'invalid user name');
    this.user = user;
    const userKey = userBytes.toString('hex');
    const addrKey = addressKey(this.address);
    {
      const refusal = this.server.throttle.admit(userKey, addrKey);
      if (refusal && !(fault('thr-no-throttle') && refusal.code === 14)) {
        // The fault r6-busy-counted-as-failure: "a refused login is a failed login".
        if (refusal.code === 9 && fault('r6-busy-counted-as-failure')) this.server.throttle.fail(userKey, addrKey);
        log(`${ERRORS[refusal.code][0]} user=${JSON.stringify(user)} address=${this.address}`);
        await this.sendError(refusal.code, refusal.code === 14 ? 'too many failed logins' : 'too many logins in progress', refusal.code === 9 && fault('busy-no-retry-after') ? {} : { retry_after: BigInt(refusal.retryAfter) });
        this.finish();
        return false;
      }
    }
    const store = this.server.store;
    // The fault r6-pending-cap-async-gap: accounts added meanwhile are seen (an await
    // between admit() and begin()).
    if (fault('r6-pending-cap-async-gap')) await fs.promises.readFile(store.file).catch(() => null);
    const lookupKey = fault('r4-user-lowercased') ? Buffer.from(user.toLowerCase(), 'utf8') : userBytes;
    const pw = store.lookup(lookupKey) ?? eke.fakeKey(store.serverSecret, userBytes);
    const { ok: xOk, X } = eke.recover(eke.os2ip(eke.decryptPw(pw, A)));
    // The fault b25_y-per-process: "g^y costs 50 ms in BigInt: draw it once at start".
    const cached = fault('b25_y-per-process') ? (this.server.yCache ??= (() => { const y0 = eke.drawExponent(); return { y: y0, gy: eke.modpow(eke.G, y0, eke.P) }; })()) : null;
    const y = cached ? cached.y : eke.drawExponent();
    const Yp = eke.hideSign(cached ? cached.gy : eke.modpow(eke.G, y, eke.P));
    const B = eke.encryptPw(pw, eke.i2osp(Yp));
    const Zmaybe = eke.sharedSecret(X, y);
    const good = xOk && Zmaybe !== null;
    const Z = Zmaybe ?? crypto.randomBytes(eke.K);
    const th = eke.transcriptHash(userBytes, A, B);
    const keys = eke.deriveKeys(Z, th);
    const Ns = crypto.randomBytes(32);
    const C2 = eke.seal(keys.kcs, eke.nonce(2), Ns, Buffer.concat([Buffer.from('EKE2'), th]));
    if (this.closed) return false;
    this.release = this.server.throttle.begin(userKey, addrKey);
    await this.sendClear('EKE2', { b: B.toString('hex'), c: C2.toString('hex') });

    let eke3;
    try {
      eke3 = await this.clearFrame('EKE3');
    } catch (err) {
      if (fault('thr-abandoned-not-counted')) this.release = null;
      this.releasePending(false);
      throw err;
    }
    let C3;
    try {
      C3 = hexBytes(eke3, 'c', 80);
    } catch (err) {
      if (fault('r4-pending-leak-bad-eke3')) {
        // "a malformed EKE3 is a failed guess": counted at once, the pending slot forgotten.
        this.server.throttle.fail(userKey, addrKey);
        this.release = null;
      }
      throw err;
    }
    const plain = eke.open(keys.kcc, eke.nonce(3), C3, Buffer.concat([Buffer.from('EKE3'), th]));
    const nsOk = plain !== null && plain.length === 64 && (fault('hs-ns-unchecked') || eke.equalBytes(plain.subarray(32), Ns));
    if (!(good && nsOk) || this.closed) {
      this.releasePending(false);
      await this.sendError(4, AUTH_MESSAGE);
      this.finish();
      return false;
    }
    this.releasePending(true);
    const Na = plain.subarray(0, 32);
    const C4 = eke.seal(keys.kcs, eke.nonce(4), Na, Buffer.concat([Buffer.from('EKE4'), th]));
    await this.sendClear('EKE4', { c: C4.toString('hex') });
    this.in = new eke.RecordDirection(keys.keyC2s, keys.ivC2s);
    this.out = new eke.RecordDirection(keys.keyS2c, keys.ivS2c);
    this.established = true;
    log(`handshake ok user=${JSON.stringify(user)} address=${this.address}`);
    return true;
  }

  /** The next application frame from a record; null on a clean EOF between records. */
  async nextFrame() {
    let timer;
    let rejectIdle;
    const idle = new Promise((_, reject) => {
      rejectIdle = reject;
    });
    // LIM-2: idle means no byte for idle_timeout, so every byte of the record renews it.
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => rejectIdle(new Timeout('idle')), this.opts.idleTimeout * 1000);
    };
    arm();
    const renew = fault('b15-idle-per-record') ? null : arm;
    if (renew) this.socket.on('data', renew);
    try {
      return await Promise.race([this.readRecord(), idle]);
    } catch (err) {
      if (err instanceof Timeout) {
        log(`idle timeout from ${this.address}`);
        if (!fault('r2-idle-timeout-silent')) await this.sendError(10, 'idle timeout');
        this.finish();
      }
      throw err;
    } finally {
      clearTimeout(timer);
      if (renew) this.socket.off('data', renew);
    }
  }

  async readRecord() {
    const header = await this.reader.read(8, { eofOk: true });
    if (header === null) return null;
    const type = header.toString('latin1', 0, 4);
    const length = header.readUInt32BE(4);
    if (type !== 'RECD') {
      // EKE-REC-5: nothing in clear after the handshake; close without answering.
      log(`plaintext ${JSON.stringify(type)} after the handshake from ${this.address}`);
      this.abort();
      throw new ConnectionClosed('plaintext after handshake');
    }
    if (length > this.opts.frameLimit && !fault('frame-limit-after-payload')) throw new ProtocolError(2, `record of ${length} bytes is above the limit`);
    const body = await this.reader.read(length);
    if (length > this.opts.frameLimit) throw new ProtocolError(2, `record of ${length} bytes is above the limit`);
    const inner = this.in.openRecord(header, body);
    if (inner === null && fault('r3-bad-record-skipped')) {
      log(`record from ${this.address} does not authenticate; skipped`);
      return this.readRecord();
    }
    if (inner === null) {
      log(`record from ${this.address} does not authenticate; closing`);
      this.abort();
      throw new ConnectionClosed('bad record');
    }
    if (fault('r4-bad-inner-skipped')) {
      try {
        return parseInner(inner);
      } catch (err) {
        log(`record from ${this.address} holds no single frame (${err.message}); skipped`);
        return this.readRecord();
      }
    }
    return parseInner(inner);
  }

  async serve() {
    for (;;) {
      const frame = await this.nextFrame();
      if (frame === null) return; // EOF between transfers: not an error (APP-BYE-2)
      const { type, payload } = frame;
      if (CONTROL_TYPES.has(type) && payload.length > CONTROL_LIMIT && !fault('r2-record-control-limit-unchecked')) throw new ProtocolError(2, 'control payload above 65536 bytes');
      const strict = (obj, members) => {
        // The fault r3-unknown-member-refused: "reject anything we do not expect".
        if (fault('r3-unknown-member-refused') && Object.keys(obj).some((k) => !members.includes(k))) throw new ProtocolError(1, 'unexpected member');
        return obj;
      };
      switch (type) {
        case 'RQFL':
          await this.get(strict(parseControl(payload), ['name']));
          if (!fault('r6-rqfl-fallthrough')) break;
        // falls through (the fault r6-rqfl-fallthrough)
        case 'PUTF':
          await this.put(strict(parseControl(payload), ['name', 'size', 'sha256']));
          break;
        case 'BYE_':
          parseControl(payload);
          await this.sendControl('BYE_', {}).catch(() => {});
          this.finish();
          return;
        case 'EROR':
          if (fault('b25_eror-malformed-skipped')) {
            try {
              parseError(parseControl(payload));
            } catch {
              log(`unreadable EROR from ${this.address}; ignored`); // "a garbled error must not end a session"
              break;
            }
          }
          parseControl(payload);
          if (fault('r2-idle-eror-ignored') && parseError(parseControl(payload)).code !== 11) break; // only a fatal-looking one ends it
          this.finish();
          return;
        case 'RSFL':
        case 'DONE':
          if (fault('r2-stray-answer-ignored')) break;
          throw new ProtocolError(3, `${type} is not allowed here`);
        default:
          if (fault('r2-unknown-type-bad-frame') && !CONTROL_TYPES.has(type) && type !== 'DATA') throw new ProtocolError(1, `${type} is not a frame type`);
          throw new ProtocolError(3, `${type} is not allowed here`);
      }
    }
  }

  // -- get ------------------------------------------------------------------------

  /** Open a share file by name: {fd, size} or a ProtocolError (non-fatal). */
  openInShare(name) {
    const problem = nameProblem(name);
    if (problem) return new ProtocolError(5, `name refused: ${problem}`);
    const parts = name.split('/');
    if (parts[parts.length - 1].startsWith(PARTIAL_PREFIX)) return new ProtocolError(5, 'name refused: reserved prefix');
    let cur = this.server.shareReal;
    for (let i = 0; i < parts.length; i++) {
      cur = path.join(cur, parts[i]);
      let st;
      try {
        st = fs.lstatSync(cur);
      } catch {
        return new ProtocolError(6, 'no such file');
      }
      if (st.isSymbolicLink() && !fault('name-follow-symlinks')) return new ProtocolError(5, 'name refused: symbolic link');
      if (i < parts.length - 1 && !st.isDirectory() && !st.isSymbolicLink()) return new ProtocolError(6, 'no such file');
    }
    let fd;
    try {
      const flags = fs.constants.O_RDONLY | (fault('r3-fifo-blocks') ? 0 : fs.constants.O_NONBLOCK) | (fault('name-follow-symlinks') ? 0 : fs.constants.O_NOFOLLOW);
      fd = fs.openSync(cur, flags);
    } catch (err) {
      return err.code === 'ELOOP' ? new ProtocolError(5, 'name refused: symbolic link') : new ProtocolError(6, 'no such file');
    }
    const st = fs.fstatSync(fd);
    // APP-NAME-5: re-check where the descriptor really is (a swapped component).
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    const inside = real.startsWith(this.server.shareReal + path.sep);
    // The fault b25_share-fd-not-rechecked: "the lstat walk above already vetted every component".
    if (!inside && !fault('name-follow-symlinks') && !fault('b25_share-fd-not-rechecked')) {
      fs.closeSync(fd);
      return new ProtocolError(5, 'name refused: outside the share');
    }
    if (!st.isFile()) {
      fs.closeSync(fd);
      return new ProtocolError(6, 'no such file');
    }
    return { fd, size: st.size };
  }

  async get(req) {
    const given = fault('r4-rqfl-name-absent-empty') && req.name === undefined ? '' : str(req, 'name');
    const name = fault('name-percent-decoded') ? safeDecode(given) : given;
    const opened = this.openInShare(name);
    if (opened instanceof ProtocolError) {
      const message = fault('r3-eror-message-unbounded') ? `${opened.message}: ${name}` : opened.message;
      await this.sendControl('EROR', errorPayload(opened.code, message));
      if (fault('r3-close-after-refusal')) {
        this.finish();
        throw new ConnectionClosed('closed after a refusal');
      }
      return;
    }
    const { fd, size } = opened;
    try {
      if (size > this.opts.maxFileSize) {
        await this.sendControl('EROR', errorPayload(7, 'file is above the maximum file size'));
        return;
      }
      await this.sendControl('RSFL', { name, size: BigInt(size) });
      const hash = crypto.createHash('sha256');
      const buf = Buffer.alloc(Math.min(CHUNK, DATA_MAX));
      let sent = 0;
      // The fault b28_get-reads-to-eof: the file read to its end, not to the size announced.
      const toEof = fault('b28_get-reads-to-eof');
      while (toEof || sent < size) {
        const { bytesRead: n } = await readAt(fd, buf, 0, toEof ? buf.length : Math.min(buf.length, size - sent), sent);
        if (n === 0 && toEof) break;
        if (n === 0) throw new Error('file shrank while being sent');
        const chunk = buf.subarray(0, n);
        hash.update(chunk);
        await this.sendRecord('DATA', Buffer.from(chunk));
        sent += n;
      }
      await this.sendControl('DONE', { size: BigInt(toEof ? sent : size), sha256: hash.digest('hex') });
    } finally {
      fs.closeSync(fd);
    }
  }

  // -- put ------------------------------------------------------------------------

  async put(offer) {
    const name = fault('name-percent-decoded') ? safeDecode(str(offer, 'name')) : str(offer, 'name');
    const size = fault('r4-put-size-absent-unbounded') && offer.size === undefined ? undefined : int(offer, 'size');
    if (fault('r3-size-zero-falsy') && !size) throw new ProtocolError(1, 'member size is required');
    const offeredSha = sha(offer, 'sha256', true);
    const refuse = (code, message) => this.sendControl('EROR', errorPayload(code, message));
    const problem = fault('r4-put-checks-basename-only') ? nameProblem(name.split('/').pop()) : nameProblem(name);
    if (problem) return refuse(5, `name refused: ${problem}`);
    const base = fault('put-no-basename') ? name : name.split('/').pop();
    if ((fault('r6-put-prefix-on-whole-name') ? name : base).startsWith(PARTIAL_PREFIX)) return refuse(5, 'name refused: reserved prefix');
    // The fault r6-refused-put-temp-left: the temporary file made first, "to reserve the disk space".
    const early = fault('r6-refused-put-temp-left') ? createPartial(this.server.inbox, { server: true }) : null;
    // The fault put-size-u32: the size checked as the u32 a length field would hold.
    const checked = fault('put-size-u32') ? BigInt.asUintN(32, size) : size;
    if (checked !== undefined && checked > BigInt(this.opts.maxFileSize) && !fault('put-size-late')) return refuse(7, 'file is above the maximum file size');
    const finalPath = path.join(this.server.inbox, base);
    if (fault('put-no-basename')) fs.mkdirSync(path.dirname(finalPath), { recursive: true });
    const lookedUp = fault('r3-exists-checked-full-name') ? path.join(this.server.inbox, name) : finalPath;
    if (fault('r2-put-dangling-link-unchecked') ? fs.existsSync(lookedUp) : fs.existsSync(lookedUp) || isLink(lookedUp)) return refuse(12, 'a file of that name exists');
    const reserved = (this.server.reserved ??= new Set());
    if (fault('r4-reservation-kept-on-failure') && reserved.has(base)) return refuse(12, 'a file of that name exists');
    const { tmp, fd } = early ?? createPartial(this.server.inbox, { server: true });
    this.partial = { tmp, fd };
    if (fault('r4-reservation-kept-on-failure')) reserved.add(base);
    await this.sendControl('RSFL', { accept: true, name: base });
    // The fault r3-hash-per-connection: one hash object per connection, digested once.
    const hash = fault('r3-hash-per-connection') ? (this.putHash ??= crypto.createHash('sha256')) : crypto.createHash('sha256');
    let received = 0n;
    for (;;) {
      const frame = fault('r3-put-no-idle-timeout') ? await this.readRecord() : await this.nextFrame();
      if (frame === null && fault('put-end-commits')) {
        this.partial = null;
        commitPartial(tmp, fd, finalPath);
        throw new ConnectionClosed('connection closed during a put: kept what arrived');
      }
      if (frame === null) throw new ConnectionClosed('connection closed during a put');
      const { type, payload } = frame;
      if (type === 'DATA' || (fault('r6-put-unknown-type-as-data') && !CONTROL_TYPES.has(type))) {
        if (payload.length === 0 && !fault('r2-put-empty-data-ignored')) throw new ProtocolError(1, 'empty DATA frame');
        if (payload.length === 0) continue;
        if (payload.length > DATA_MAX) throw new ProtocolError(1, 'DATA frame above 1 MiB');
        const firstOnly = fault('r4-overflow-first-data-only') && received > 0n;
        if (size !== undefined && !firstOnly && received + BigInt(payload.length) > size) throw new ProtocolError(8, 'more data than announced');
        if (received + BigInt(payload.length) > BigInt(this.opts.maxFileSize)) throw new ProtocolError(7, 'file is above the maximum file size');
        hash.update(payload);
        fs.writeSync(fd, payload);
        received += BigInt(payload.length);
      } else if (type === 'DONE') {
        if (payload.length > CONTROL_LIMIT) throw new ProtocolError(2, 'control payload above 65536 bytes');
        const done = parseControl(payload);
        const doneSize = int(done, 'size');
        const doneSha = sha(done, 'sha256');
        const digest = hash.digest('hex');
        if (fault('r4-put-temp-kept-on-mismatch')) this.partial = null; // "committing from here on"
        const expected = size ?? doneSize;
        const mismatch = fault('r6-done-checks-and')
          ? (received !== expected || doneSize !== expected) && (doneSha !== digest || (offeredSha !== undefined && offeredSha !== digest))
          : received !== expected || (doneSize !== expected && !fault('r2-put-done-size-ignored')) || doneSha !== digest || (offeredSha !== undefined && offeredSha !== digest && !fault('r2-put-offered-sha-ignored'));
        if (mismatch) {
          throw new ProtocolError(8, 'size or SHA-256 mismatch');
        }
        this.partial = null;
        try {
          if (fault('r6-commit-exists-then-rename')) commitByRename(tmp, fd, finalPath);
          else commitPartial(tmp, fd, finalPath);
        } catch (err) {
          discardPartial(tmp, null);
          if (err.code === 'EEXIST') return refuse(12, 'a file of that name exists');
          throw err;
        }
        reserved.delete(base);
        log(`stored ${JSON.stringify(base)} (${expected} bytes) from ${JSON.stringify(this.user)}`);
        return this.sendControl('DONE', { size: expected, sha256: digest });
      } else if (type === 'EROR') {
        // FRM-8 holds for an EROR received during a put too (found by test_app_oversize_closing_frames.py)
        if (payload.length > CONTROL_LIMIT) throw new ProtocolError(2, 'control payload above 65536 bytes');
        if (fault('b25_eror-malformed-skipped')) {
          try {
            parseError(parseControl(payload));
          } catch {
            log(`unreadable EROR from ${this.address} during a put; ignored`);
            continue;
          }
        }
        parseControl(payload);
        this.finish();
        throw new ConnectionClosed('peer sent EROR during a put');
      } else {
        throw new ProtocolError(3, `${type} is not allowed during a put`);
      }
    }
  }
}

const readAt = promisify(fs.read);

/** The fault r6-commit-exists-then-rename: "exists?" then rename (existsSync follows links). */
function commitByRename(tmp, fd, finalPath) {
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  if (fs.existsSync(finalPath)) {
    const err = new Error('exists');
    err.code = 'EEXIST';
    throw err;
  }
  fs.renameSync(tmp, finalPath);
}

function safeDecode(name) {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function isLink(p) {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
