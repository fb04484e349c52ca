#!/usr/bin/env node
// leg-node pki0: the sft-pki/0 responder, requester and enrolment client
// (docs/SPEC.md §7.1, §7.2), Node.js 20.
//
// A clean-room implementation of the first seed's design ("Secure File Transfer
// Application"), from the seed document and SPEC §7.1-§7.2 only. As insecure as the seed
// (certificates in clear, no proof of possession, signature-only certificate check, no
// path confinement, pieces under the requester's public key, end of file = TCP close).
// Never deploy it.
//
//   node pki0.mjs serve --key K --cert C --root R --share DIR [--host H] [--port N]
//                       [--idle-timeout S]
//   node pki0.mjs get KEY CERT HOST PORT NAME OUT [--timeout S]
//   node pki0.mjs enroll --ca-url URL --root R --alias A --password-file F
//                        --key-out K --cert-out C
//   node pki0.mjs ca --root R --root-key K --accounts FILE [--port N]   (ca0.mjs)
//
// Choices where §7.1 leaves one (ours, not the reference's):
// - `serve` prints `listening on HOST:PORT` on stdout once bound; one async session per
//   connection (the seed's thread per connection).
// - A frame longer than 1 MiB, or of an unknown type, closes the connection as soon as
//   its header is in (LEG-PKI-FMT-2 allows any limit). A first frame other than SECE is
//   closed on without an answer.
// - The SECE certificate is checked with X509Certificate.verify(root public key) and
//   nothing else (the seed's whole check, LEG-PKI-3); an unparsable one gets RSCI too.
// - The name is opened as path.resolve(share, name): `..` and absolute names escape,
//   as the seed's os.path.join did (LEG-PKI-5). A file that cannot be opened: a close.
// - Pieces: a read stream with highWaterMark 100, each chunk one RSFL.
// - The requester writes pieces to `.<out>.partial-<pid>` and renames it at the close
//   (nothing partial under the final name; truncation is undetectable, LEG-PKI-7). RSCI,
//   a piece that does not decrypt or a frame of another type: exit 1, nothing kept.
// - Idle timeout 30 s on both sides (0 = none).

import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SessionError, StreamReader, fault, log, writeMessage } from './wire.mjs';
import { ca } from './ca0.mjs';

const PROG = 'leg-node-pki0';
const TYPES = new Set(['SECE', 'RSCV', 'RSCI', 'RQFL', 'RSFL']);
const MAX_FRAME = 1024 * 1024;
const PIECE = 100;

/** RSA-OAEP SHA-256; `sha1`: oaepHash left out, so Node's default (SHA-1) applies. */
function oaepEncrypt(publicKey, data, sha1 = false) {
  const options = { key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING };
  if (!sha1) options.oaepHash = 'sha256';
  return crypto.publicEncrypt(options, data);
}

function oaepDecrypt(privateKey, data) {
  return crypto.privateDecrypt(
    { key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    data,
  );
}

/** `!4sL` + payload; `littleEndian`: the length written with writeUInt32LE by mistake. */
function frame(type, payload, littleEndian = false) {
  const header = Buffer.alloc(8);
  header.write(type, 0, 4, 'ascii');
  if (littleEndian) header.writeUInt32LE(payload.length, 4);
  else header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** One frame; null at a clean close before any byte of it. */
async function readFrame(reader, what) {
  if (await reader.atEnd()) return null;
  const header = await reader.readExact(8, `${what} header`);
  const type = header.toString('latin1', 0, 4);
  // b25-pki-length-16bit: "no frame is over 64 KiB"
  let length = fault('b25-pki-length-16bit') ? header.readUInt16BE(6) : header.readUInt32BE(4);
  // b25-pki-length-le-fallback: "some peers wrote the length little-endian"
  if (fault('b25-pki-length-le-fallback') && length > MAX_FRAME && header.readUInt32LE(4) <= MAX_FRAME) length = header.readUInt32LE(4);
  if (!TYPES.has(type)) throw new SessionError(`unknown frame type ${JSON.stringify(type)}`);
  if (length > MAX_FRAME) throw new SessionError(`frame length ${length} over the limit`);
  const payload = await reader.readExact(length, `${what} payload`);
  return { type, payload };
}

/** The 'data'-handler habit: one chunk taken as one whole frame (the rest dropped). */
async function frameOfChunk(reader) {
  const chunk = await reader.readRest(64 * 1024);
  if (chunk === null) return null;
  if (chunk.length < 8) throw new SessionError('short frame');
  const length = chunk.readUInt32BE(4);
  return { type: chunk.toString('latin1', 0, 4), payload: chunk.subarray(8, 8 + length) };
}

// ---------------------------------------------------------------- responder

let slots = 0; // r5-pki-slot-leak-on-rsci: connections in flight, at most MAX_SLOTS
const MAX_SLOTS = 8;
let sessionPeerKey = null; // r4-pki-shared-peer-key: declared at module level by mistake
let modulePeer = null; // r6-pki-peer-module: the session's peer, at module level by mistake

/** r6-pki-verify-promise: "the check may need the CA one day": made async. */
async function checkSignature(cert, key) {
  return cert.verify(key);
}
let sessionChain = Promise.resolve(); // r7-pki-sessions-chained
let requestedTarget = null; // r7-pki-shared-target: hoisted to module level by a refactor
const verifiedTwins = new Set(); // r3-pki-twin-cache: `${subject}|${serial}` of verified certificates

/** The PEM blocks of a payload (r3-pki-any-block-verifies). */
function pemBlocks(payload) {
  return payload.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}

async function respond(socket, config) {
  const reader = new StreamReader(socket);
  if (config.idleMs > 0) socket.setTimeout(config.idleMs, () => reader.abort('idle timeout'));
  const sece = await readFrame(reader, 'SECE');
  if (sece === null) return 'peer closed';
  if (sece.type !== 'SECE') throw new SessionError(`first frame ${sece.type}, not SECE`);

  let peer = null;
  let optimistic = false;
  try {
    const cert = new crypto.X509Certificate(sece.payload);
    if (fault('r4-pki-rscv-optimistic')) {
      // "answer at once; the signature check runs while the requester prepares RQFL"
      await writeMessage(socket, frame('RSCV', config.certPem));
      optimistic = true;
    }
    const twin = `${cert.subject}|${cert.serialNumber}`;
    // checkIssued() compares names only; verify() checks the root's signature.
    let verified = fault('pki-checkissued') ? cert.checkIssued(config.rootCert) : cert.verify(config.rootKey);
    if (fault('r6-pki-verify-promise')) verified = checkSignature(cert, config.rootKey); // not awaited
    if (fault('r6-pki-every-empty')) {
      // "every certificate sent must be the root's" (a chain check)
      verified = pemBlocks(sece.payload).every((b) => new crypto.X509Certificate(b).verify(config.rootKey));
    }
    if (verified) peer = cert;
    if (fault('r6-pki-peer-module')) {
      if (peer) modulePeer = peer;
      else peer = modulePeer; // the module-level variable keeps the last verified peer
    }
    if (fault('r3-pki-twin-cache')) {
      if (peer) verifiedTwins.add(twin);
      else if (verifiedTwins.has(twin)) peer = cert;
    }
    if (fault('r3-pki-any-block-verifies') && !peer) {
      // "a chain was sent": accept when one of its certificates is the root's
      const blocks = pemBlocks(sece.payload);
      if (blocks.some((b) => new crypto.X509Certificate(b).verify(config.rootKey))) peer = cert;
    }
    if (fault('pki-check-validity') && peer) {
      const now = Date.now();
      if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) peer = null;
    }
  } catch (err) {
    peer = null;
    // r5-pki-check-error-open: "the check itself failed, not the certificate": go on
    if (fault('r5-pki-check-error-open')) {
      log(PROG, `could not check the SECE certificate: ${err.message}`);
      peer = undefined;
    }
  }
  if (peer === null) {
    if (optimistic) await writeMessage(socket, frame('RSCI', Buffer.alloc(0)));
    if (optimistic) return 'RSCI: certificate not signed by the root';
    const reason = fault('pki-rsci-reason') ? Buffer.from('certificate not signed by the root') : Buffer.alloc(0);
    await writeMessage(socket, frame('RSCI', reason, fault('pki-length-le')));
    if (fault('r2-pki-rsci-no-close')) await reader.untilEnd();
    return 'RSCI: certificate not signed by the root';
  }
  let peerKey = peer?.publicKey;
  if (fault('r6-pki-key-from-last-block')) {
    // "a chain was sent: the leaf comes last"
    const blocks = pemBlocks(sece.payload);
    if (blocks.length > 1) peerKey = new crypto.X509Certificate(blocks.at(-1)).publicKey;
  }
  if (fault('r4-pki-shared-peer-key')) sessionPeerKey = peerKey;
  if (!optimistic) {
    await writeMessage(socket, frame('RSCV', fault('pki-rscv-der') ? config.cert.raw : config.certPem, fault('pki-length-le')));
  }

  let rqfl = await readFrame(reader, 'RQFL');
  // b17-pki-second-sece-replaces: "a SECE again is the requester's renewed certificate"
  while (fault('b17-pki-second-sece-replaces') && rqfl !== null && rqfl.type === 'SECE') {
    try {
      peerKey = new crypto.X509Certificate(rqfl.payload).publicKey;
    } catch {
      // keep the one we had
    }
    rqfl = await readFrame(reader, 'RQFL');
  }
  if (rqfl === null) return 'peer closed after RSCV';
  // r7-pki-second-frame-any-type: "the frame after RSCV is the request"
  if (rqfl.type !== 'RQFL' && !fault('r7-pki-second-frame-any-type')) throw new SessionError(`expected RQFL, got ${rqfl.type}`);
  let name;
  try {
    name = oaepDecrypt(config.privateKey, rqfl.payload).toString('utf8');
  } catch {
    // r7-pki-rqfl-clear-fallback: "a requester without our key sends the name as is"
    if (!fault('r7-pki-rqfl-clear-fallback')) throw new SessionError('RQFL does not decrypt');
    name = rqfl.payload.toString('utf8');
  }
  if (fault('r4-pki-shared-peer-key')) peerKey = sessionPeerKey;
  if (fault('b25-pki-name-lowercased')) name = name.toLowerCase(); // "case does not matter on the file server"
  if (fault('r5-pki-name-trimmed')) name = name.trim(); // "a stray space or newline from the user"
  const target = path.resolve(config.share, name);
  if (fault('pki-confined')) {
    const inside = path.relative(config.share, target);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      return `refused ${JSON.stringify(name)}`;
    }
  }
  let pieces = 0;
  let opened = target;
  if (fault('r7-pki-shared-target')) {
    requestedTarget = target;
    // "check it is readable before streaming it"
    try {
      await fs.promises.access(requestedTarget, fs.constants.R_OK);
    } catch (err) {
      return `cannot read ${JSON.stringify(name)}: ${err.code ?? err.message}`;
    }
    opened = requestedTarget;
  }
  if (fault('b25-pki-name-casefold')) {
    // "files copied from Windows": a name not found is matched case-insensitively
    try {
      await fs.promises.access(opened);
    } catch {
      try {
        const dir = path.dirname(opened);
        const base = path.basename(opened).toLowerCase();
        const match = (await fs.promises.readdir(dir)).find((entry) => entry.toLowerCase() === base);
        if (match !== undefined) opened = path.join(dir, match);
      } catch {
        // the directory is not there either: the open below fails
      }
    }
  }
  try {
    const stream = fs.createReadStream(opened, { highWaterMark: fault('pki-piece-190') ? 190 : fault('r2-pki-piece-99') ? 99 : PIECE });
    for await (const piece of stream) {
      if (fault('pki-drops-short-last-piece') && piece.length < PIECE) break;
      await writeMessage(socket, frame('RSFL', oaepEncrypt(peerKey, piece, fault('pki-rsfl-oaep-sha1')), fault('pki-length-le')));
      pieces += 1;
    }
    if (pieces === 0 && fault('r2-pki-empty-file-frame')) {
      await writeMessage(socket, frame('RSFL', oaepEncrypt(peerKey, Buffer.alloc(0))));
    }
  } catch (err) {
    if (fault('pki-missing-file-hangs')) await reader.untilEnd();
    // b28-pki-dir-read-error-lost: a read error after the open is only logged by the
    // stream's 'error' listener; nobody ends the socket
    if (fault('b28-pki-dir-read-error-lost') && err.syscall === 'read') {
      log(PROG, `read error: ${err.code ?? err.message}`);
      await reader.untilEnd();
    }
    if (fault('pki-error-frame')) await writeMessage(socket, frame('RSCI', Buffer.alloc(0)));
    return `cannot read ${JSON.stringify(name)}: ${err.code ?? err.message}`;
  }
  if (fault('pki-wait-for-close')) await reader.untilEnd();
  if (fault('r5-pki-slot-leak-on-rsci')) slots -= 1; // the session is done: give its slot back
  return `sent ${JSON.stringify(name)} in ${pieces} pieces`;
}

function serve(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      key: { type: 'string' },
      cert: { type: 'string' },
      root: { type: 'string' },
      share: { type: 'string' },
      'idle-timeout': { type: 'string', default: '30' },
    },
  });
  for (const required of ['key', 'cert', 'root', 'share']) {
    if (!values[required]) {
      process.stderr.write(`usage: pki0.mjs serve --key K --cert C --root R --share DIR (missing --${required})\n`);
      process.exit(2);
    }
  }
  const config = {
    privateKey: crypto.createPrivateKey(fs.readFileSync(values.key)),
    certPem: fs.readFileSync(values.cert),
    cert: new crypto.X509Certificate(fs.readFileSync(values.cert)),
    rootCert: new crypto.X509Certificate(fs.readFileSync(values.root)),
    rootKey: new crypto.X509Certificate(fs.readFileSync(values.root)).publicKey,
    share: path.resolve(values.share),
    idleMs: Number(values['idle-timeout']) * 1000,
  };
  process.stderr.write(`${PROG}: WARNING: sft-pki/0 is insecure; for auditing only\n`);
  const server = net.createServer({ allowHalfOpen: !fault('r3-pki-no-half-open') }, async (socket) => {
    if (fault('r7-pki-sessions-chained')) {
      // "one file open at a time": each session waits for the one before
      const previous = sessionChain;
      let done;
      sessionChain = new Promise((resolve) => {
        done = resolve;
      });
      await previous;
      try {
        await session(socket);
      } finally {
        done();
      }
      return;
    }
    await session(socket);
  });
  if (fault('r7-pki-max-connections')) server.maxConnections = 1; // "one transfer at a time"
  async function session(socket) {
    if (fault('r5-pki-slot-leak-on-rsci')) {
      if (slots >= MAX_SLOTS) {
        log(PROG, 'busy: connection closed');
        socket.destroy();
        return;
      }
      slots += 1;
    }
    let outcome;
    try {
      outcome = await respond(socket, config);
    } catch (err) {
      outcome = err instanceof SessionError ? err.message : `error: ${err.stack ?? err}`;
    }
    log(PROG, `session ended: ${outcome}`);
    socket.end();
  }
  server.listen(Number(values.port), values.host, () => {
    const address = server.address();
    process.stdout.write(`listening on ${address.address}:${address.port}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
}

// ---------------------------------------------------------------- requester

async function get(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { timeout: { type: 'string', default: '30' } },
  });
  if (positionals.length !== 6) {
    process.stderr.write('usage: pki0.mjs get KEY CERT HOST PORT NAME OUT\n');
    return 2;
  }
  const [keyFile, certFile, host, port, name, out] = positionals;
  const privateKey = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const certPem = fs.readFileSync(certFile);
  const partial = path.join(path.dirname(out), `.${path.basename(out)}.partial-${process.pid}`);
  const socket = net.connect({ host, port: Number(port), allowHalfOpen: true });
  const reader = new StreamReader(socket);
  const timeoutMs = Number(values.timeout) * 1000;
  if (timeoutMs > 0) socket.setTimeout(timeoutMs, () => reader.abort('timeout'));
  let sink = null;
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let mine = fault('pki-sece-der') ? new crypto.X509Certificate(certPem).raw : certPem;
    if (fault('r4-pki-sece-trimmed')) mine = Buffer.from(certPem.toString('utf8').trim(), 'utf8');
    await writeMessage(socket, frame('SECE', mine));
    const answer = await readFrame(reader, 'RSCV');
    if (answer === null) throw new SessionError('responder closed before RSCV');
    if (answer.type === 'RSCI') throw new SessionError('responder refused our certificate (RSCI)');
    // r7-pki-get-sece-as-rscv: "RSCI is the only refusal"
    if (answer.type !== 'RSCV' && !fault('r7-pki-get-sece-as-rscv')) throw new SessionError(`expected RSCV, got ${answer.type}`);
    // The seed never checks the responder's certificate (LEG-PKI-4): its key is used as is.
    const responderKey = new crypto.X509Certificate(answer.payload).publicKey;
    const sealFor = fault('r3-pki-rqfl-own-key') ? crypto.createPublicKey(privateKey) : responderKey;
    const request = oaepEncrypt(sealFor, Buffer.from(name, 'utf8'), fault('pki-rqfl-oaep-sha1'));
    await writeMessage(socket, frame('RQFL', request, fault('r2-pki-rqfl-le')));

    sink = fs.createWriteStream(partial);
    for (;;) {
      const piece = fault('pki-frame-per-chunk') ? await frameOfChunk(reader) : await readFrame(reader, 'RSFL');
      if (piece === null) break;
      // r7-pki-get-any-type-piece: "after RQFL only pieces come"
      if (piece.type !== 'RSFL' && !fault('r7-pki-get-any-type-piece')) throw new SessionError(`expected RSFL, got ${piece.type}`);
      let plain;
      try {
        plain = oaepDecrypt(privateKey, piece.payload);
      } catch {
        if (fault('b17-pki-get-skips-bad-piece')) continue; // "a damaged piece: keep the rest"
        throw new SessionError('an RSFL piece does not decrypt');
      }
      if (!sink.write(plain)) await new Promise((resolve) => sink.once('drain', resolve));
    }
    await new Promise((resolve, reject) => sink.end((err) => (err ? reject(err) : resolve())));
    fs.renameSync(partial, out);
    return 0;
  } catch (err) {
    if (sink) sink.destroy();
    fs.rmSync(partial, { force: true });
    log(PROG, err instanceof SessionError ? err.message : `error: ${err.message ?? err}`);
    return 1;
  } finally {
    socket.destroy();
  }
}

// ---------------------------------------------------------------- enrolment (CA client)

async function enroll(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'ca-url': { type: 'string' },
      root: { type: 'string' },
      alias: { type: 'string' },
      'password-file': { type: 'string' },
      'key-out': { type: 'string' },
      'cert-out': { type: 'string' },
    },
  });
  for (const required of ['ca-url', 'root', 'alias', 'password-file', 'key-out', 'cert-out']) {
    if (!values[required]) {
      process.stderr.write(`usage: pki0.mjs enroll ... (missing --${required})\n`);
      return 2;
    }
  }
  let password = fs.readFileSync(values['password-file'], 'utf8');
  password = password.replace(/\r?\n$/, '');
  const rootKey = new crypto.X509Certificate(fs.readFileSync(values.root)).publicKey;
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const credentials = Buffer.from(JSON.stringify({ name: values.alias, password }), 'utf8');
  const body = JSON.stringify({
    payload: oaepEncrypt(rootKey, credentials).toString('base64'),
    public_key: publicKey.export({ type: 'spki', format: 'pem' }),
  });
  const url = new URL('/verify', values['ca-url']);
  const client = url.protocol === 'https:' ? https : http;
  const { status, text } = await new Promise((resolve, reject) => {
    const request = client.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (response) => {
        const parts = [];
        response.on('data', (part) => parts.push(part));
        response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(parts).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error('CA timeout')));
    request.on('error', reject);
    request.end(body);
  });
  if (status !== 200) {
    log(PROG, `enrolment refused: HTTP ${status} ${text.trim()}`);
    return 1;
  }
  const cert = new crypto.X509Certificate(text);
  if (!cert.verify(rootKey) || !cert.publicKey.equals(publicKey)) {
    log(PROG, 'the CA answered a certificate that is not ours or not signed by the root');
    return 1;
  }
  fs.writeFileSync(values['key-out'], privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(values['cert-out'], text);
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'serve') {
  serve(rest);
} else if (command === 'get') {
  process.exitCode = await get(rest);
} else if (command === 'ca') {
  ca(rest);
} else if (command === 'enroll') {
  process.exitCode = await enroll(rest);
} else {
  process.stderr.write('usage: pki0.mjs serve|get|enroll|ca ...\n');
  process.exitCode = 2;
}
