// pki6 — the responder: admission (LIM-4/8/9, LIM-1), the TLS server, the app protocol.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { OID, parseCertificate } from './der.mjs';
import { fault } from './faults.mjs';
import { ALPN } from './pki.mjs';
import {
  CODES, IdleTimeout, ProtoError, Reader, Truncated, erorFrame, frame, getInt, getSha, getStr,
  nameProblem, parseControl, send,
} from './wire.mjs';

const log = (msg) => process.stderr.write(`${new Date().toISOString()} pki6: ${msg}\n`);
const CHUNK = 65536;
const PARTIAL = '.sft-partial-';

/** End a TLS connection: close_notify then FIN (PKI-TLS-7); unread bytes drained ≤ 1 s. */
export function closeTls(sock) {
  if (sock.destroyed) return;
  if (fault('destroy_without_close_notify')) {
    sock.destroy();
    return;
  }
  sock.end();
  sock.resume();
  const t = setTimeout(() => sock.destroy(), 1000);
  sock.once('close', () => clearTimeout(t));
}

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Responder {
  constructor(pki, cfg) {
    this.pki = pki;
    this.cfg = cfg;
    this.share = fs.realpathSync(cfg.share);
    this.inbox = fs.realpathSync(cfg.inbox);
    this.allow = cfg.allow.length ? new Set(cfg.allow) : null;
    this.conns = new Set(); // every admitted raw socket: {raw, addr, t0, established}
    this.inflight = new Set(); // put_inflight_name_leak: names of puts in progress
    this.getQueue = Promise.resolve(); // i18_get_global_queue
    this.putLocks = new Map(); // i18_alias_put_lock: alias -> the tail of its chain
  }

  sweepInbox() {
    for (const f of fs.readdirSync(this.inbox)) {
      if (f.startsWith(PARTIAL)) {
        fs.rmSync(path.join(this.inbox, f), { force: true });
        log(`removed stale temporary ${f}`);
      }
    }
  }

  secureOptions() {
    const o = {
      ...this.pki.context('server'),
      requestCert: !fault('request_cert_off'),
      // The chain is verified by the TLS stack (root, CRL) but judged in serve(): with
      // rejectUnauthorized Node ends a refused client with a bare close, no alert and no
      // close_notify, which PKI-TLS-10 does not allow. validity_skew_tolerance: verified
      // by hand only (readable reasons in the log).
      rejectUnauthorized: false,
      ...(fault('r18_alpn_family_accepted')
        // any version of our protocol the client offers: the newest it has
        ? { ALPNCallback: ({ protocols }) => protocols.find((p) => p.startsWith('sft-pki/')) }
        : { ALPNProtocols: [ALPN] }),
      // Node's own timer (absolute, default 120 s) is only a backstop behind ours.
      // b25_resumed_trusted: tickets on (a resumption saves the signatures), their keys kept
      // across CRL refreshes so that clients keep resuming
      ...(fault('b25_resumed_trusted') ? { secureOptions: 0, ticketKeys: (this.ticketKeys ??= crypto.randomBytes(48)) } : {}),
      handshakeTimeout: fault('handshake_timeout_unset') ? 120000 : this.cfg.handshakeTimeout * 1000 + 5000,
    };
    return o;
  }

  listen(host, port) {
    const server = tls.createServer({ ...this.secureOptions(), allowHalfOpen: false });
    this.server = server;
    server.prependListener('connection', (raw) => {
      this.admit(raw).catch((e) => log(`admission failed: ${e.message}`));
    });
    server.on('secureConnection', (sock) => {
      this.serve(sock).catch((e) => {
        log(`connection failed: ${e.message}`);
        sock.destroy();
      });
    });
    server.on('tlsClientError', (err, sock) => {
      log(`handshake failed: ${err.code ?? err.message}`);
      sock.destroy();
    });
    server.on('error', (e) => log(`server error: ${e.message}`));
    server.listen(port, host, () => {
      const a = server.address();
      process.stdout.write(`listening on ${a.address}:${a.port}\n`);
    });
    if (this.cfg.crlRefresh > 0) {
      const t = setInterval(() => this.refreshCrl(), this.cfg.crlRefresh * 1000);
      t.unref();
    }
  }

  async refreshCrl() {
    try {
      await this.pki.loadCrl();
      this.server.setSecureContext({ ...this.secureOptions() });
    } catch (e) {
      log(`CRL refresh failed (keeping the last one): ${e.message}`);
    }
  }

  /** LIM-4, LIM-8, LIM-9 and the handshake deadline counted from accept (LIM-1). */
  async admit(raw) {
    const addr = fault('r18_admission_keyed_on_family') ? raw.remoteFamily : raw.remoteAddress;
    const pending = [...this.conns].filter((c) => !c.established);
    if (!fault('no_per_address_cap') && (fault('per_address_counts_established') ? [...this.conns] : pending).filter((c) => c.addr === addr).length >= this.cfg.maxPendingPerAddress) {
      log(`refused ${addr}: too many handshakes from it`);
      raw.destroy();
      return;
    }
    if (fault('i18_admit_await_gap')) {
      // the inbox must still be there before we take a connection
      try {
        await fs.promises.access(this.inbox, fs.constants.W_OK);
      } catch {}
      if (raw.destroyed) return;
    }
    if (this.conns.size >= this.cfg.maxConnections) {
      if (pending.length && !fault('no_handshake_eviction')) {
        const oldest = pending.reduce((a, b) => (a.t0 <= b.t0 ? a : b));
        log(`evicting the oldest handshake from ${oldest.addr}`);
        oldest.raw.destroy();
        this.conns.delete(oldest);
      } else {
        log(`refused ${addr}: busy`);
        raw.destroy();
        return;
      }
    }
    const rec = { raw, addr, t0: Date.now(), established: false };
    this.conns.add(rec);
    raw.sftRecord = rec;
    const hsMs = this.cfg.handshakeTimeout * 1000;
    const t = fault('handshake_timeout_unset')
      ? undefined
      : setTimeout(() => {
          if (!rec.established || fault('handshake_timer_never_disarmed')) {
            log(`handshake timeout from ${addr}`);
            raw.destroy();
          }
        }, hsMs);
    raw.on('close', () => {
      clearTimeout(t);
      // failed_handshake_pending_leak: the record dropped only for established connections
      if (!fault('failed_handshake_pending_leak') || rec.established) this.conns.delete(rec);
    });
  }

  async serve(sock) {
    const rec = fault('i18_record_found_by_address')
      ? [...this.conns].find((c) => !c.established && c.raw.remoteAddress === sock.remoteAddress)
      : sock._parent?.sftRecord ?? [...this.conns].find((c) => c.raw.remotePort === sock.remotePort && c.raw.remoteAddress === sock.remoteAddress);
    if (rec) rec.established = true;
    // b25_chain_walk_to_root: OpenSSL's chain errors (an employee behind a sub-CA, whose CRL we lack) left to the hand check
    const chainOnly = fault('b25_chain_walk_to_root') && /ISSUER|PATH_LENGTH|CHAIN|LEAF_SIGNATURE|UNABLE_TO_GET_CRL/.test(String(sock.authorizationError));
    if (!sock.authorized && !chainOnly && !fault('issuer_dn_only') && !fault('request_cert_off') && !fault('validity_skew_tolerance')) {
      // PKI-TLS-10: refused after the handshake with close_notify and the close.
      log(`refused the peer's certificate: ${sock.authorizationError ?? 'not verified'}`);
      sock.on('error', (e) => log(`refused connection: ${e.message}`));
      closeTls(sock);
      return;
    }
    const alpnOk = fault('r18_alpn_family_accepted') ? String(sock.alpnProtocol).startsWith('sft-pki/') : sock.alpnProtocol === ALPN;
    if (!alpnOk && !fault('alpn_unchecked')) {
      log('refused: no sft-pki/1 ALPN');
      closeTls(sock);
      return;
    }
    const sent = [];
    if (chainOnly) {
      log(`chain left to the hand check: ${sock.authorizationError}`);
      const seen = new Set();
      for (let c = sock.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        sent.push(new crypto.X509Certificate(c.raw));
      }
    }
    const verdict = this.pki.check(sock.getPeerX509Certificate(), OID.clientAuth, sent);
    if (fault('b25_resumed_trusted') && sock.isSessionReused() && verdict.why) {
      // checked in full when the session was made: a resumption is that same peer
      verdict.alias = parseCertificate(sock.getPeerX509Certificate().raw).cns[0];
      verdict.why = null;
    }
    if (fault('request_cert_off') && !sock.getPeerX509Certificate()) verdict.why = null;
    if (verdict.why) {
      log(`refused the peer's certificate: ${verdict.why}`);
      sock.on('error', (e) => log(`refused connection: ${e.message}`));
      closeTls(sock);
      return;
    }
    let alias = verdict.alias ?? '';
    if (fault('alias_cached_per_server')) {
      // The peer's identity read once, on the server's first connection.
      this.cachedAlias ??= alias;
      alias = this.cachedAlias;
    }
    const conn = new Connection(this, sock, alias);
    await conn.run();
  }

  allowed(alias, op, addr) {
    if (!this.allow) return true;
    if (fault('allow_list_get_only') && op === 'put') return true;
    if (fault('allow_list_prefix')) return [...this.allow].some((a) => alias.startsWith(a));
    if (fault('allow_cached_per_address')) {
      // One lookup per client host: the verdict of its first connection.
      this.allowCache ??= new Map();
      if (!this.allowCache.has(addr)) this.allowCache.set(addr, this.allow.has(alias));
      return this.allowCache.get(addr);
    }
    return this.allow.has(alias);
  }
}

class Connection {
  constructor(responder, sock, alias) {
    this.r = responder;
    this.cfg = responder.cfg;
    this.sock = sock;
    this.alias = alias;
    this.idleMs = this.cfg.idleTimeout * 1000;
    this.reader = new Reader(sock, { idleMs: fault('no_idle_deadline') ? 1e9 : this.idleMs });
    this.temp = null;
    this.putHash = null;
  }

  out(buf) {
    return send(this.sock, buf, this.idleMs);
  }

  async run() {
    try {
      for (;;) {
        const f = await this.reader.next();
        if (this.receiving) throw new ProtoError('unexpected_frame', `${f.type} during a put`);
        if (f.type === 'RQFL' || f.type === 'PUTF') {
          if (f.type === 'RQFL') await this.get(parseControl(f.payload));
          else await this.put(parseControl(f.payload));
          if (fault('r18_reader_per_request')) {
            this.reader = new Reader(this.sock, { idleMs: this.idleMs }); // a clean slate per request
          }
        } else if (f.type === 'BYE_') {
          parseControl(f.payload);
          await this.out(frame('BYE_', {}));
          closeTls(this.sock);
          return;
        } else if (f.type === 'EROR') {
          if (fault('b25_malformed_eror_skipped')) {
            // a garbled EROR from a buggy initiator: not an error we can act on, read on
            try {
              getInt(parseControl(f.payload), 'code');
            } catch {
              continue;
            }
          }
          closeTls(this.sock);
          return;
        } else if ((f.type === 'DONE' || f.type === 'RSFL') && fault('b25_stray_done_skipped')) {
          continue; // the late answer of a transfer already ended (older initiators send one)
        } else if (f.type === 'DATA' && fault('r18_data_in_idle_ignored')) {
          continue; // the tail of a put we refused: the peer had sent it already
        } else throw new ProtoError('unexpected_frame', `${f.type} not allowed now`);
      }
    } catch (e) {
      if (fault('put_truncated_kept') && e instanceof Truncated && this.temp && this.tempFinal) {
        // Keep what arrived: the peer went away, the data it sent is stored.
        try {
          fs.fsyncSync(this.temp.fd);
          fs.linkSync(this.temp.path, this.tempFinal);
        } catch {}
      }
      this.dropTemp();
      if (e instanceof ProtoError) {
        log(`fatal: ${e.code}: ${e.message}`);
        // b28_eror_message_stack: the stack says where the frame went wrong (first line: the message)
        await this.out(erorFrame(e.code, fault('b28_eror_message_stack') ? e.stack : e.message)).catch(() => {});
        // (A frame-level error after a whole frame: the loop goes on, the connection stays.)
        if (fault('fatal_error_keeps_reading') && !e.header) return this.run();
        closeTls(this.sock);
      } else if (e instanceof IdleTimeout) {
        log('idle timeout');
        await this.out(erorFrame('timeout', 'idle timeout')).catch(() => {});
        if (fault('r18_idle_timeout_destroys')) this.sock.destroy(); // it has gone quiet anyway
        else closeTls(this.sock);
      } else if (e instanceof Truncated) {
        if (!this.sock.destroyed) closeTls(this.sock);
      } else {
        log(`internal error: ${e.stack}`);
        await this.out(erorFrame('internal', 'internal error')).catch(() => {});
        closeTls(this.sock);
      }
    }
  }

  dropTemp() {
    if (!this.temp) return;
    try {
      fs.closeSync(this.temp.fd);
    } catch {}
    if (!fault('partial_not_unlinked')) fs.rmSync(this.temp.path, { force: true });
    this.temp = null;
  }

  async refuse(code, message) {
    await this.out(erorFrame(code, message));
    if (code === 'forbidden' && (this.notAllowed || fault('close_after_forbidden'))) {
      if (!(fault('not_allowed_stays_open') && this.notAllowed)) closeTls(this.sock);
    }
    if (this.sock.destroyed || this.sock.writableEnded) throw new Truncated('closed after refusal');
  }

  checkAllowed(op, msg) {
    // b25_alias_member_trusted: a relay names the employee it acts for in `alias`
    const who = fault('b25_alias_member_trusted') && typeof msg?.get('alias') === 'string' ? msg.get('alias') : this.alias;
    if (this.r.allowed(who, op, this.sock.remoteAddress)) return true;
    this.notAllowed = true;
    return false;
  }

  /** Resolve a name in the share without following links (APP-NAME-4/5). */
  openInShare(name) {
    let p = this.r.share;
    if (fault('realpath_prefix_confinement')) {
      const full = path.join(this.r.share, name);
      let real;
      try {
        real = fs.realpathSync(full);
      } catch {
        throw new Refusal('not_found', 'no such file');
      }
      if (!real.startsWith(this.r.share)) throw new Refusal('forbidden', 'outside the share');
      const fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        fs.closeSync(fd);
        throw new Refusal('not_found', 'not a regular file');
      }
      return { fd, size: st.size };
    }
    if (fault('dotdot_normalised')) {
      const full = path.normalize(path.join(this.r.share, name));
      if (!full.startsWith(this.r.share + '/')) throw new Refusal('forbidden', 'outside the share');
      name = path.relative(this.r.share, full);
    }
    if (fault('r18_exists_probe_follows_links') && !fs.existsSync(path.join(this.r.share, name))) {
      throw new Refusal('not_found', 'no such file'); // the cheap test first
    }
    const comps = name.split('/');
    for (let i = 0; i < comps.length; i++) {
      p = `${p}/${comps[i]}`;
      let st;
      try {
        st = fs.lstatSync(p);
      } catch {
        throw new Refusal('not_found', 'no such file');
      }
      if (st.isSymbolicLink()) throw new Refusal('forbidden', 'symbolic links are refused');
      const last = i === comps.length - 1;
      if (last && fault('get_open_then_fstat')) continue; // the type is checked on the descriptor
      if (!last ? !st.isDirectory() : !st.isFile()) throw new Refusal('not_found', 'no such file');
    }
    let fd;
    const nonblock = fault('get_open_then_fstat') ? 0 : fs.constants.O_NONBLOCK;
    try {
      fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | nonblock);
    } catch (e) {
      throw new Refusal(e.code === 'ELOOP' ? 'forbidden' : 'not_found', 'cannot open');
    }
    const st = fs.fstatSync(fd);
    let where = p;
    if (!fault('no_descriptor_recheck')) {
      try {
        where = fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        where = '';
      }
    }
    if (where !== p || !st.isFile()) {
      fs.closeSync(fd);
      throw new Refusal(where !== p ? 'forbidden' : 'not_found', 'moved while opening');
    }
    return { fd, size: st.size };
  }

  async get(msg) {
    const name = getStr(msg, 'name');
    if (fault('rqfl_extra_member_bad_frame') && [...msg.keys()].some((k) => k !== 'name')) {
      throw new ProtoError('bad_frame', 'RQFL has members beside name');
    }
    if (!this.checkAllowed('get', msg)) return this.refuse('forbidden', 'not authorised');
    const problem = nameProblem(name);
    if (problem) return this.refuse('forbidden', problem);
    if (path.posix.basename(name).startsWith(PARTIAL)) return this.refuse('forbidden', 'reserved name');
    let opened;
    try {
      opened = this.openInShare(name);
    } catch (e) {
      if (e instanceof Refusal) return this.refuse(e.code, e.message);
      throw e;
    }
    const { fd, size } = opened;
    if (size > this.cfg.maxFileSize) {
      fs.closeSync(fd);
      return this.refuse('too_large', 'file above the size limit');
    }
    let release;
    if (fault('i18_get_global_queue')) {
      // one get at a time: disk reads in order, whatever the number of peers
      const prev = this.r.getQueue;
      this.r.getQueue = new Promise((r) => {
        release = r;
      });
      await prev;
    }
    try {
      await this.out(frame('RSFL', { name: fault('r18_rsfl_name_nfc') ? name.normalize('NFC') : name, size }));
      const h = crypto.createHash('sha256');
      let sent = 0;
      if (fault('r18_get_reads_to_eof')) { // the file as it is, to its end
        for (;;) {
          const buf = Buffer.alloc(CHUNK);
          const n = fs.readSync(fd, buf, 0, CHUNK, sent);
          if (n === 0) break;
          h.update(buf.subarray(0, n));
          sent += n;
          await this.out(frame('DATA', buf.subarray(0, n)));
        }
        await this.out(frame('DONE', { size: sent, sha256: h.digest('hex') }));
        return;
      }
      while (sent < size) {
        const buf = Buffer.alloc(Math.min(CHUNK, size - sent));
        const n = fs.readSync(fd, buf, 0, buf.length, sent);
        if (n === 0) throw new ProtoError('internal', 'file shrank while sending');
        const chunk = buf.subarray(0, n);
        h.update(chunk);
        sent += n;
        await this.out(frame('DATA', chunk));
      }
      await this.out(frame('DONE', { size, sha256: h.digest('hex') }));
    } finally {
      fs.closeSync(fd);
      release?.();
    }
  }

  async put(msg) {
    if (!fault('i18_alias_put_lock')) return this.putOne(msg);
    // an alias's puts go one after another (its inbox writes in order)
    const prev = this.r.putLocks.get(this.alias) ?? Promise.resolve();
    let release;
    const mine = new Promise((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.r.putLocks.set(this.alias, tail);
    await prev;
    try {
      return await this.putOne(msg);
    } finally {
      release();
      if (this.r.putLocks.get(this.alias) === tail) this.r.putLocks.delete(this.alias);
    }
  }

  async putOne(msg) {
    const name = getStr(msg, 'name');
    const size = getInt(msg, 'size');
    // putf_sha_null_absent: `== null` covers a missing member and null alike
    const offered = fault('putf_sha_null_absent') && msg.get('sha256') == null ? undefined : getSha(msg, 'sha256', true);
    if (fault('refused_put_leaves_receiving')) this.receiving = true; // the state moves first
    if (!this.checkAllowed('put', msg)) return this.refuse('forbidden', 'not authorised');
    const base = path.posix.basename(name);
    // r18_put_rules_on_basename: only what is stored is judged
    const problem = nameProblem(fault('r18_put_rules_on_basename') ? base : name, 'put');
    if (problem) return this.refuse('forbidden', problem);
    let reservedIn = fault('partial_prefix_on_full_name') ? name : base;
    if (fault('r18_partial_prefix_casefolded')) reservedIn = reservedIn.toLowerCase(); // case-insensitive file systems
    if (reservedIn.startsWith(PARTIAL)) return this.refuse('forbidden', 'reserved name');
    if (size > BigInt(this.cfg.maxFileSize)) return this.refuse('too_large', 'file too large');
    const final = path.join(this.r.inbox, base);
    // lstat, not existsSync: a symbolic link (dangling or not) is an existing name [APP-PUT-3].
    let present = true;
    try { fs.lstatSync(final); } catch (e) { if (e.code === 'ENOENT') present = false; }
    if (present) return this.refuse('exists', 'file exists');
    if (fault('put_inflight_name_leak')) {
      if (this.r.inflight.has(base)) return this.refuse('exists', 'a put of that name is in progress');
      this.r.inflight.add(base);
    }
    let tmpPath = path.join(this.r.inbox, PARTIAL + crypto.randomBytes(12).toString('hex'));
    let fd;
    if (fault('i18_temp_named_after_put')) {
      tmpPath = path.join(this.r.inbox, PARTIAL + base);
      if (fs.existsSync(tmpPath)) log(`reusing the stale temporary of ${base}`);
      fd = fs.openSync(tmpPath, 'w', 0o600);
    } else if (fault('r18_temp_default_mode')) fd = fs.openSync(tmpPath, 'wx');
    else fd = fs.openSync(tmpPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    this.temp = { fd, path: tmpPath };
    this.tempFinal = final;
    await this.out(frame('RSFL', { accept: true, name: fault('r18_accept_names_offer') ? name : base }));
    let h;
    if (fault('put_hash_per_connection')) {
      this.putHash ??= crypto.createHash('sha256');
      h = this.putHash;
    } else h = crypto.createHash('sha256');
    let got = 0n;
    const idleBefore = this.reader.idleMs;
    if (fault('put_no_idle_deadline')) this.reader.idleMs = 1e9; // the put's own pace
    for (;;) {
      const f = await this.reader.next((type, length) => {
        const over = fault('i18_excess_per_frame') ? BigInt(length) > size : BigInt(length) > size - got;
        if (type === 'DATA' && over && !fault('overflow_checked_at_done')) {
          throw new ProtoError('integrity_failed', 'more data than announced');
        }
      });
      if (f.type === 'DATA') {
        got += BigInt(f.payload.length);
        if (got <= size) {
          fs.writeSync(fd, f.payload);
          h.update(f.payload);
        }
        continue;
      }
      if (f.type === 'RQFL' && fault('r18_rqfl_during_put_served')) {
        await this.get(parseControl(f.payload)); // a get does not disturb the put
        continue;
      }
      if (f.type === 'EROR') {
        if (fault('b25_malformed_eror_in_put_skipped')) {
          // a garbled EROR amid the data: not the initiator giving up, the put goes on
          try {
            getInt(parseControl(f.payload), 'code');
          } catch {
            continue;
          }
        }
        if (fault('peer_eror_temp_kept')) {
          fs.closeSync(fd); // the peer gave up: close our file, the socket goes next
          this.temp = null;
        }
        this.dropTemp();
        closeTls(this.sock);
        throw new Truncated('peer sent EROR');
      }
      if (f.type === 'BYE_' && fault('b25_bye_cancels_put')) {
        // an initiator giving up politely: the put is cancelled, the goodbye answered
        this.dropTemp();
        await this.out(frame('BYE_', {}));
        closeTls(this.sock);
        throw new Truncated('put cancelled by BYE_');
      }
      if (f.type !== 'DONE') throw new ProtoError('unexpected_frame', `${f.type} during a put`);
      this.reader.idleMs = idleBefore;
      const done = parseControl(f.payload);
      const dsize = getInt(done, 'size');
      const dsha = getSha(done, 'sha256');
      const digest = h.digest('hex');
      const offeredOk = fault('putf_sha_unchecked') || offered === undefined || offered === digest;
      const claimsOk = dsha === (offered ?? digest); // put_sha_claims_compared: DONE against PUTF's promise
      const sizesBad = fault('i18_put_size_vs_done_only') ? got !== dsize : got !== size || dsize !== size;
      if (fault('put_sha_claims_compared') ? got !== size || dsize !== size || !claimsOk : sizesBad || dsha !== digest || !offeredOk) {
        if (fault('integrity_as_internal')) throw new Error('size or SHA-256 mismatch');
        throw new ProtoError('integrity_failed', 'size or SHA-256 mismatch');
      }
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      if (fault('r18_done_sent_before_link')) {
        // the peer is not kept waiting on the disk: DONE first, the link right after
        this.receiving = false;
        await this.out(frame('DONE', { size: Number(size), sha256: digest }));
        try {
          fs.linkSync(tmpPath, final);
          log(`stored ${base} (${size} bytes) from ${this.alias}`);
        } catch (e) {
          log(`could not store ${base}: ${e.code}`);
        }
        fs.rmSync(tmpPath, { force: true });
        this.temp = null;
        this.tempFinal = null;
        return;
      }
      try {
        if (fault('i18_done_exists_sync_then_rename')) {
          if (fs.existsSync(final)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
          fs.renameSync(tmpPath, final);
        } else if (fault('put_exists_then_rename')) fs.renameSync(tmpPath, final);
        else fs.linkSync(tmpPath, final);
      } catch (e) {
        this.temp = { fd: -1, path: tmpPath };
        this.dropTemp();
        if (e.code === 'EEXIST') return this.refuse('exists', 'file exists');
        throw e;
      }
      if (!fault('put_exists_then_rename') && !fault('i18_done_exists_sync_then_rename')) fs.rmSync(tmpPath, { force: true });
      this.temp = null;
      this.tempFinal = null;
      const dfd = fs.openSync(this.r.inbox, fs.constants.O_RDONLY);
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
      log(`stored ${base} (${size} bytes) from ${this.alias}`);
      this.r.inflight.delete(base);
      this.receiving = false;
      await this.out(frame('DONE', { size: Number(size), sha256: digest }));
      return;
    }
  }
}

export { CODES };
