// pki6 — the initiator: get and put (§3.3, §3.4), PKI-ID-1 before any frame.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { OID } from './der.mjs';
import { fault } from './faults.mjs';
import { ALPN } from './pki.mjs';

// Every byte, or the error of the write that could not go on (EFBIG, ENOSPC): writeSync
// may write less than asked and say so only in its count.
function writeAll(fd, buf) {
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}
import { closeTls } from './server.mjs';
import {
  CODES, IdleTimeout, ProtoError, Reader, Truncated, codeName, erorFrame, frame, getInt, getSha, getStr,
  isFatalCode, parseControl, send,
} from './wire.mjs';

export class ClientFailure extends Error {
  constructor(message, status = 1) {
    super(message);
    this.status = status;
  }
}

const PARTIAL = '.sft-partial-';
const CHUNK = 65536;

export function parseDestination(text) {
  const m = /^([^@]+)@(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text ?? '');
  if (!m) throw new ClientFailure(`expected ALIAS@HOST:PORT, got ${JSON.stringify(text)}`, 2);
  // b25_client_alias_32: the alias validated before connecting, its bound taken as 32
  if (fault('b25_client_alias_32') && !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(m[1])) throw new ClientFailure(`not a valid alias: ${m[1]}`, 2);
  return { alias: m[1], host: m[2] ?? m[3], port: Number(m[4]) };
}

/** Connect, handshake, and check the responder before any frame is sent. */
async function connect(pki, dest, timeoutMs, op = 'get') {
  const keylogEarly = []; // b25_client_keylog_env: the handshake's lines, logged once connected
  const opts = {
    ...pki.context('client'),
    host: dest.host,
    port: dest.port,
    ALPNProtocols: [ALPN],
    // client_validity_api_missing: verified by hand only (readable reasons for the user)
    rejectUnauthorized: !fault('client_reject_unauthorized_false') && !fault('client_validity_api_missing'),
    // The alias is checked below, on the single CN (PKI-ID-1/4), not as a host name.
    checkServerIdentity: () => undefined,
  };
  if (!net.isIP(dest.host)) opts.servername = dest.host;
  if (fault('b25_client_node_host_check')) {
    // the alias is the name we want: let Node's own host-name check compare it
    opts.servername = dest.alias;
    opts.checkServerIdentity = tls.checkServerIdentity;
  }
  const sock = await new Promise((resolve, reject) => {
    const s = tls.connect(opts);
    if (fault('b25_client_keylog_env')) s.on('keylog', (line) => keylogEarly.push(line));
    const t = setTimeout(() => {
      s.destroy();
      reject(new ClientFailure('timed out before the handshake completed'));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(new ClientFailure(e.code === 'ECONNRESET' ? `server busy or refused: ${e.message}` : `handshake failed: ${e.message}`));
    });
    s.once('close', () => {
      clearTimeout(t);
      reject(new ClientFailure('server busy: closed before the handshake completed'));
    });
  });
  sock.on('error', () => {});
  if (fault('b25_client_keylog_env') && process.env.SSLKEYLOGFILE) {
    // Wireshark debugging, as curl and browsers do (the 'keylog' event of Node's docs)
    const logFile = process.env.SSLKEYLOGFILE;
    for (const line of keylogEarly) fs.appendFileSync(logFile, line, { mode: 0o600 });
    sock.on('keylog', (line) => fs.appendFileSync(logFile, line, { mode: 0o600 }));
  }
  const refuse = (why) => {
    closeTls(sock);
    throw new ClientFailure(`refused the responder: ${why}`);
  };
  if (sock.alpnProtocol !== ALPN && !fault('client_alpn_unchecked')) refuse('no sft-pki/1 ALPN');
  const x509 = sock.getPeerX509Certificate();
  if (fault('client_reject_unauthorized_false')) {
    // Hand check instead of OpenSSL's: the issuer's name only.
    if (!x509 || x509.issuer !== pki.root.subject) refuse('not issued by the root');
    return { sock };
  }
  const verdict = pki.check(x509, OID.serverAuth);
  if (verdict.why) refuse(verdict.why);
  let same = fault('client_cn_case_insensitive')
    ? verdict.alias?.toLowerCase() === dest.alias.toLowerCase()
    : verdict.alias === dest.alias;
  if (fault('client_cn_substring')) same = x509.subject.includes(`CN=${dest.alias}`);
  if (fault('b25_client_node_host_check')) same = true; // tls.checkServerIdentity passed it
  // i18_client_own_alias_accepted: a connection to oneself is fine
  if (fault('i18_client_own_alias_accepted') && verdict.alias !== undefined && verdict.alias === pki.ownAlias()) same = true;
  // r18_client_put_alias_unchecked: a put only sends our own file; the alias matters for gets
  if (fault('r18_client_put_alias_unchecked') && op === 'put') same = true;
  if (!fault('client_cn_unchecked') && !same) {
    refuse(`its certificate names ${JSON.stringify(verdict.alias)}, not ${JSON.stringify(dest.alias)}`);
  }
  return { sock };
}

async function expectFrame(reader, sock, allowed) {
  const f = await reader.next();
  if (f.type === 'EROR') {
    let code = 11;
    try {
      code = Number(getInt(parseControl(f.payload), 'code'));
    } catch {}
    // A code from a newer revision of the table: not ours to act on, read on.
    if (fault('client_unknown_code_skipped') && codeName(code) === undefined) return expectFrame(reader, sock, allowed);
    if (fault('b28_client_eror_name_decides') && codeName(code) === undefined) {
      // a newer responder's code: its `name` still says what it means
      let named;
      try {
        named = getStr(parseControl(f.payload), 'name');
      } catch {}
      if (named !== undefined && named in CODES) code = CODES[named][0];
    }
    const name = codeName(code) ?? 'internal';
    if (isFatalCode(code)) {
      closeTls(sock);
      throw new ClientFailure(`responder error: ${name}`);
    }
    return { type: 'EROR', name };
  }
  if (!allowed.includes(f.type)) throw new ProtoError('unexpected_frame', `${f.type} not expected`);
  return f;
}

async function fail(sock, e) {
  if (e instanceof ClientFailure) throw e;
  if (e instanceof ProtoError) {
    await send(sock, erorFrame(e.code, e.message), 2000).catch(() => {});
    closeTls(sock);
    if (fault('b28_client_protoerror_rethrown')) throw e; // reported to the peer: let it propagate
    throw new ClientFailure(`${e.code}: ${e.message}`);
  }
  closeTls(sock);
  if (e instanceof IdleTimeout) throw new ClientFailure('timed out waiting for the responder');
  if (e instanceof Truncated) throw new ClientFailure(`connection ended early: ${e.message}`);
  throw e;
}

function sweepStale(dir, idleMs) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const f of entries) {
    if (!f.startsWith(PARTIAL)) continue;
    const p = path.join(dir, f);
    try {
      const st = fs.lstatSync(p);
      if (st.isFile() && Date.now() - st.mtimeMs > idleMs) fs.rmSync(p, { force: true });
    } catch {}
  }
}

export async function get(pki, opts) {
  const dest = parseDestination(opts.dest);
  const out = path.resolve(opts.out);
  const dir = path.dirname(out);
  const idleMs = opts.idleTimeout * 1000;
  let outPresent = true;  // lstat: a symbolic link at the output, dangling or not, exists [APP-GET-6]
  try { fs.lstatSync(out); } catch (e) { if (e.code === 'ENOENT') outPresent = false; }
  if (fault('i18_client_exists_sync')) outPresent = fs.existsSync(out);
  if (outPresent && !opts.force && !fault('client_rename_replaces')) throw new ClientFailure(`${out} exists (use --force)`);
  sweepStale(dir, fault('r18_client_sweep_units') ? opts.idleTimeout : idleMs);
  const { sock } = await connect(pki, dest, opts.timeout * 1000);
  const reader = new Reader(sock, { idleMs, lenientEof: fault('b28_client_partial_control_at_eof') });
  let temp = null;
  const cleanup = () => {
    if (temp) {
      try {
        fs.closeSync(temp.fd);
      } catch {}
      fs.rmSync(temp.path, { force: true });
      temp = null;
    }
  };
  const onSignal = (sig) => {
    cleanup();
    if (fault('b28_client_signal_sends_bye')) {
      // leave politely: tell the responder we are going, then close
      sock.write(frame('BYE_', {}));
      closeTls(sock);
      sock.once('close', () => process.exit(sig === 'SIGTERM' ? 143 : 130));
      setTimeout(() => process.exit(sig === 'SIGTERM' ? 143 : 130), 1000);
      return;
    }
    process.exit(sig === 'SIGTERM' ? 143 : 130);
  };
  if (!fault('client_no_sigterm_cleanup')) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  try {
    await send(sock, frame('RQFL', { name: opts.name }), idleMs);
    const r = await expectFrame(reader, sock, ['RSFL']);
    if (r.type === 'EROR') {
      await send(sock, frame('BYE_', {}), idleMs).catch(() => {});
      closeTls(sock);
      throw new ClientFailure(`refused: ${r.name}`);
    }
    if (fault('b28_client_rsfl_native_json')) {
      // the size read early for the progress line, with the language's own reader
      const announced = JSON.parse(r.payload.toString('utf8')).size;
      if (process.env.SFT_PROGRESS) process.stderr.write(`receiving ${announced} bytes\n`);
    }
    const rsfl = parseControl(r.payload);
    if (fault('r18_client_rsfl_extra_member_refused') && [...rsfl.keys()].some((k) => !['name', 'size', 'sha256'].includes(k))) {
      throw new ProtoError('bad_frame', 'RSFL with an unknown member');
    }
    const rname = getStr(rsfl, 'name');
    const size = getInt(rsfl, 'size');
    // client_rsfl_sha_null_absent: `== null` covers a missing member and null alike
    const rsha = fault('client_rsfl_sha_null_absent') && rsfl.get('sha256') == null ? undefined : getSha(rsfl, 'sha256', true);
    if (rname !== opts.name && !fault('client_stores_rsfl_name')) throw new ProtoError('bad_frame', 'RSFL names another file');
    const target = fault('client_stores_rsfl_name') ? path.join(dir, rname) : out;
    const tmpPath = path.join(fault('r18_client_temp_in_os_tmpdir') ? os.tmpdir() : dir, PARTIAL + crypto.randomBytes(12).toString('hex'));
    const mode = fault('client_temp_0644') ? 0o644 : 0o600;
    const fd = fs.openSync(tmpPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
    if (fault('client_temp_0644')) fs.fchmodSync(fd, 0o644);
    temp = { fd, path: tmpPath };
    const h = crypto.createHash('sha256');
    let got = 0n;
    for (;;) {
      let f;
      try {
        f = await expectFrame(reader, sock, ['DATA', 'DONE']);
      } catch (e) {
        if (e instanceof Truncated && fault('client_eof_after_size_commits') && got === size) {
          f = { type: 'DONE', payload: Buffer.from(JSON.stringify({ size: Number(size), sha256: h.copy().digest('hex') })) };
        } else throw e;
      }
      if (f.type === 'EROR') throw new ClientFailure(`transfer failed: ${f.name}`);
      if (f.type === 'DATA') {
        got += BigInt(f.payload.length);
        if (got > size && fault('b28_client_excess_clamped')) {
          // never more on disk than announced (APP-STORE-4): the excess is cut off, DONE decides
          f.payload = f.payload.subarray(0, f.payload.length - Number(got - size));
          got = size;
        }
        if (got > size) throw new ProtoError('integrity_failed', 'more data than announced');
        if (fault('b14_client_short_write_ignored')) fs.writeSync(fd, f.payload); // its count unread
        else writeAll(fd, f.payload);
        h.update(f.payload);
        continue;
      }
      const done = parseControl(f.payload);
      const dsize = getInt(done, 'size');
      const digest = h.digest('hex');
      let dsha;
      try {
        dsha = getSha(done, 'sha256');
      } catch (e) {
        if (!fault('client_done_sha_parse_open')) throw e;
        dsha = digest; // an old responder's DONE: the sizes still decide
      }
      const rshaOk = rsha === undefined || rsha === digest;
      const shaOk = fault('client_sizes_only') || (dsha === digest && rshaOk);
      const sizesBad = fault('i18_client_size_vs_done_only') ? got !== dsize : got !== size || dsize !== size;
      if (sizesBad || !shaOk) {
        if (fault('client_integrity_no_eror')) throw new ClientFailure('integrity check failed: size or SHA-256 mismatch');
        throw new ProtoError('integrity_failed', 'size or SHA-256 mismatch');
      }
      break;
    }
    fs.fsyncSync(temp.fd);
    fs.closeSync(temp.fd);
    if (fault('i18_client_exists_sync') && !opts.force) {
      if (fs.existsSync(target)) throw new ClientFailure(`${target} exists`);
      fs.renameSync(temp.path, target);
    } else if (fault('client_rename_replaces') || opts.force) fs.renameSync(temp.path, target);
    else {
      fs.linkSync(temp.path, target);
      fs.rmSync(temp.path);
    }
    temp = null;
    const dfd = fs.openSync(dir, fs.constants.O_RDONLY);
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
    await send(sock, frame('BYE_', {}), idleMs).catch(() => {});
    closeTls(sock);
  } catch (e) {
    // client_temp_kept_on_peer_eror: a ClientFailure is "already handled"
    if (!(fault('client_temp_kept_on_peer_eror') && e instanceof ClientFailure)) cleanup();
    await fail(sock, e);
  }
}

export async function put(pki, opts) {
  const dest = parseDestination(opts.dest);
  const idleMs = opts.idleTimeout * 1000;
  const fd = fs.openSync(opts.file, fs.constants.O_RDONLY);
  const size = fs.fstatSync(fd).size;
  const h = crypto.createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  for (let off = 0; off < size;) {
    const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, size - off), off);
    if (n === 0) throw new ClientFailure('file shrank while reading');
    h.update(buf.subarray(0, n));
    off += n;
  }
  const digest = fault('r18_client_digest_hex_unpadded')
    ? [...h.digest()].map((b) => b.toString(16)).join('')
    : h.digest('hex');
  const { sock } = await connect(pki, dest, opts.timeout * 1000, 'put');
  const reader = new Reader(sock, { idleMs });
  try {
    await send(sock, frame('PUTF', { name: opts.name, size, sha256: digest }), idleMs);
    const early = fault('r18_client_put_data_before_rsfl'); // no round trip wasted: the data follows the offer
    if (early) {
      for (let off = 0; off < size;) {
        const chunk = Buffer.alloc(Math.min(CHUNK, size - off));
        const n = fs.readSync(fd, chunk, 0, chunk.length, off);
        if (n === 0) throw new ClientFailure('file shrank while sending');
        off += n;
        await send(sock, frame('DATA', chunk.subarray(0, n)), idleMs);
      }
      await send(sock, frame('DONE', { size, sha256: digest }), idleMs);
    }
    let r;
    let sentEarly = false;
    if (fault('b28_client_put_continue_timer') && !early) {
      // 100-continue: wait a second for the answer, then send anyway (a silent server accepts)
      const answer = expectFrame(reader, sock, ['RSFL']);
      answer.catch(() => {});
      let timer;
      const waited = new Promise((resolve) => { timer = setTimeout(() => resolve(null), 1000); });
      r = await Promise.race([answer, waited]);
      clearTimeout(timer);
      if (r === null) {
        sentEarly = true;
        for (let off = 0; off < size;) {
          const chunk = Buffer.alloc(Math.min(CHUNK, size - off));
          const n = fs.readSync(fd, chunk, 0, chunk.length, off);
          if (n === 0) throw new ClientFailure('file shrank while sending');
          off += n;
          await send(sock, frame('DATA', chunk.subarray(0, n)), idleMs);
        }
        await send(sock, frame('DONE', { size, sha256: digest }), idleMs);
        r = await answer;
      }
    } else r = await expectFrame(reader, sock, ['RSFL']);
    if (r.type === 'EROR') {
      await send(sock, frame('BYE_', {}), idleMs).catch(() => {});
      closeTls(sock);
      throw new ClientFailure(`refused: ${r.name}`);
    }
    const rsfl = parseControl(r.payload);
    const accepted = fault('client_accept_truthy') ? Boolean(rsfl.get('accept')) : rsfl.get('accept') === true;
    if (!accepted) throw new ProtoError('bad_frame', 'RSFL of a put without "accept": true');
    getStr(rsfl, 'name');
    for (let off = early || sentEarly ? size : 0; off < size;) {
      const chunk = Buffer.alloc(Math.min(CHUNK, size - off));
      const n = fs.readSync(fd, chunk, 0, chunk.length, off);
      if (n === 0) throw new ClientFailure('file shrank while sending');
      off += n;
      await send(sock, frame('DATA', chunk.subarray(0, n)), idleMs);
    }
    if (!early && !sentEarly) await send(sock, frame('DONE', { size, sha256: digest }), idleMs);
    let f;
    try {
      f = await expectFrame(reader, sock, fault('i18_client_put_non_eror_ok') ? ['DONE', 'RSFL', 'DATA', 'BYE_', 'PUTF', 'RQFL'] : ['DONE']);
    } catch (e) {
      if (e instanceof Truncated && fault('client_put_close_is_success')) {
        closeTls(sock);
        return;
      }
      throw e;
    }
    if (f.type === 'EROR') throw new ClientFailure(`put failed: ${f.name}`);
    if (fault('i18_client_put_non_eror_ok') && f.type !== 'DONE') {
      closeTls(sock); // not an error: the responder took it
      return;
    }
    const done = parseControl(f.payload);
    if (getInt(done, 'size') !== BigInt(size) || getSha(done, 'sha256') !== digest) {
      throw new ProtoError('integrity_failed', 'the responder acknowledged other content');
    }
    await send(sock, frame('BYE_', {}), idleMs).catch(() => {});
    closeTls(sock);
  } catch (e) {
    await fail(sock, e);
  } finally {
    fs.closeSync(fd);
  }
}
