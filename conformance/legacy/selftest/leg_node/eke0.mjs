#!/usr/bin/env node
// leg-node eke0: the sft-eke/0 server and client (docs/SPEC.md §7.3), Node.js 20.
//
// A clean-room implementation of the second seed's design ("Secure TCP file transfer
// using EKE"), written from the seed document and SPEC §7.3 only. It is deliberately as
// insecure as the seed (password in clear, 128-bit client-chosen group, fixed exponents
// and nonces, zero IV, SHA-1 in clear): it exists so that the legacy audit can be judged
// against a non-Python implementation of the seed. Never deploy it.
//
//   node eke0.mjs serve --port N --password-file F --file PATH [--host H]
//                       [--idle-timeout S] [--once]
//   node eke0.mjs get HOST PORT USER PASSWORD_FILE OUT [--timeout S]
//
// Choices where §7.3 leaves one (ours, not the reference's):
// - `serve` prints `listening on HOST:PORT` on stdout once bound (port 0 = any).
// - Connections are queued and served one after another, like the seed's single accept
//   loop (LEG-EKE-12); `--once` serves one connection and exits, as the seed did.
// - Integers on the wire (p, g, the un-hidden public values, the file length) must be
//   ASCII decimal digits only (no sign, no spaces); anything else closes the session.
//   p must be at least 3. A key of fewer than 32 digits closes the session.
// - A wrong ack string (12, 14, 17, 20, 23) closes the session with a log line.
// - The password file's content is the password, minus one trailing newline.
// - Idle timeout 30 s on both sides (0 = none); the client exits 2 on a timeout.
// - The client writes the file to `.<out>.partial-<pid>` beside OUT and renames it only
//   when the SHA-1 of message 24 matches (LEG-EKE-FMT-6); otherwise it deletes it and
//   exits 1.
// - Log lines go to stderr, one per session end.

import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { SessionError, StreamReader, fault, log, writeMessage } from './wire.mjs';

const PROG = 'leg-node-eke0';

// §7.3.2 parameters (the seed's constants).
export const P = 197221152031991558322935568090317202983n;
export const G = 2n;
const XA = 4597n;
const XS = 5516n;
const NA = Buffer.from('11000110001100011000000000000000', 'ascii');
const NS = Buffer.from('11100111011100111000000000000000', 'ascii');
const ZERO_IV = Buffer.alloc(16);

const ACK = {
  user: 'u_ack',
  auth: 'Authenticated',
  notAuth: 'Not Authenticated',
  p: 'pAck',
  g: 'gAck',
  xor: 'xorAck',
  xorServer: 'xorServerAck',
  aes: 'aesAck',
  clientAes: 'clientAesAck',
  sendNa: 'send_aes_nonceNa',
  length: 'LnACK',
  ok: 'ok',
  delivered: 'File delivered',
};

function modPow(base, exp, mod) {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function ascii(n) {
  return Buffer.from(n.toString(10), 'ascii');
}

/** Decimal ASCII digits -> BigInt; SessionError for anything else. */
function parseDecimal(bytes, what) {
  const text = bytes.toString('latin1');
  if (!/^[0-9]+$/.test(text)) throw new SessionError(`${what} is not decimal digits`);
  return BigInt(text);
}

/** pw39: the password padded on the right with ASCII '0' to 39 bytes, never cut. */
function pad39(password) {
  if (password.length >= 39) return password;
  // Buffer.alloc(n) without a fill is zero bytes, not ASCII '0'.
  const padding = fault('eke-pad-nul') ? Buffer.alloc(39 - password.length) : Buffer.alloc(39 - password.length, '0');
  return Buffer.concat([password, padding]);
}

/** Bytewise XOR over the first min(len(a), len(b)) bytes. */
function xor(a, b) {
  const n = Math.min(a.length, b.length);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 1) out[i] = a[i] ^ b[i];
  return out;
}

function hide(value, pw39) {
  return xor(ascii(value), pw39);
}

/** K = ASCII(g^(Xa·Xs) mod p)[0:32], 32 ASCII digits used as an AES-256 key. */
function sessionKey(shared) {
  const digits = ascii(shared);
  if (digits.length < 32) throw new SessionError(`key has ${digits.length} digits (< 32)`);
  return digits.subarray(0, 32);
}

function aes(key, data, decrypt) {
  const cipher = decrypt
    ? crypto.createDecipheriv('aes-256-cbc', key, ZERO_IV)
    : crypto.createCipheriv('aes-256-cbc', key, ZERO_IV);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

async function expectLiteral(reader, literal, what) {
  const got = await reader.readExact(literal.length, what);
  if (got.toString('latin1') !== literal) {
    throw new SessionError(`expected ${JSON.stringify(literal)} as ${what}, got ${JSON.stringify(got.toString('latin1'))}`);
  }
}

function readPasswordFile(file) {
  let text = fs.readFileSync(file);
  if (text.length && text[text.length - 1] === 0x0a) text = text.subarray(0, -1);
  if (text.length && text[text.length - 1] === 0x0d) text = text.subarray(0, -1);
  return text;
}

// ---------------------------------------------------------------- server

/** A line-oriented read (the `readline` habit): up to and without the next newline. */
async function readLine(reader) {
  const parts = [];
  for (;;) {
    const chunk = await reader.readRest(1);
    if (chunk === null) return parts.length ? Buffer.concat(parts) : null;
    if (chunk[0] === 0x0a) return Buffer.concat(parts);
    parts.push(chunk);
  }
}

// r6-eke-shared-hash: "one hash object; copy() it to read the digest"
const fileHash = crypto.createHash('sha1');

// b25-eke-lockout-never-expires: failures in a row, and the end of the lock they set
const lockout = { failures: 0, until: 0 };

// r5-eke-inflight-leak: transfers in flight per account (one account: keyed by its password)
const inFlight = new Map();

async function serveSession(socket, config) {
  const reader = new StreamReader(socket);
  const send = (bytes) => writeMessage(socket, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  if (config.idleMs > 0) {
    socket.setTimeout(config.idleMs, () => reader.abort('idle timeout'));
  }
  const pw39 = pad39(config.password);
  let cachedKey = null; // r3-eke-key-per-connection
  let logins = 0;
  let rereadPassword = false;
  let passwordInName = null; // b17-eke-user-newline-password
  for (;;) {
    // 1-4: user name, always acked (LEG-EKE-2), then the password in clear.
    if (!rereadPassword) {
      const user = fault('eke-readline-user') ? await readLine(reader) : await reader.readRest(1024);
      if (user === null) return 'peer closed';
      // b17-eke-user-newline-password: "one line per message": the rest is the password
      const newline = user.indexOf(0x0a);
      if (fault('b17-eke-user-newline-password') && newline >= 0 && newline < user.length - 1) passwordInName = user.subarray(newline + 1);
      if (!(fault('r2-eke-second-login-no-ack') && logins > 0)) await send(ACK.user);
    }
    rereadPassword = false;
    const password = passwordInName ?? (await reader.readRest(1024));
    passwordInName = null;
    if (password === null) return 'peer closed after the user name';
    let match = fault('eke-password-trim')
      ? password.toString('utf8').trim() === config.password.toString('utf8')
      : password.equals(config.password);
    // r7-eke-pw-length-and: refuse `if (a.length !== b.length && !a.equals(b))`
    if (fault('r7-eke-pw-length-and')) match = !(password.length !== config.password.length && !password.equals(config.password));
    // r5-eke-inflight-leak: at most 2 transfers in flight per user
    // r6-eke-auth-per-connection: "this connection already proved the password"
    if (!match && fault('r6-eke-auth-per-connection') && logins > 0) match = true;
    if (match && fault('r5-eke-inflight-leak') && (inFlight.get(config.password.toString('latin1')) ?? 0) >= 2) match = false;
    if (fault('b25-eke-lockout-never-expires')) {
      // "5 wrong passwords lock logins for 30 s"; every try during the lock restarts it
      const now = Date.now();
      if (now < lockout.until) {
        lockout.until = now + 30_000;
        match = false;
      } else if (!match) {
        lockout.failures += 1;
        if (lockout.failures >= 5) lockout.until = now + 30_000;
      } else {
        lockout.failures = 0;
      }
    }
    if (!match) {
      await send(ACK.notAuth);
      if (fault('eke-close-after-wrong-password')) return 'wrong password';
      rereadPassword = fault('r2-eke-wrong-pw-rereads-password');
      continue;
    }
    await send(ACK.auth);
    if (fault('r5-eke-inflight-leak')) inFlight.set(config.password.toString('latin1'), (inFlight.get(config.password.toString('latin1')) ?? 0) + 1);

    // 5-8: the client's group.
    const pRaw = await reader.readRest(1024);
    if (pRaw === null) throw new SessionError('closed before p');
    const p = parseDecimal(pRaw, 'p');
    if (p < 3n) throw new SessionError('p < 3');
    if (fault('eke-fixed-group') && p !== P) throw new SessionError('unexpected group');
    await send(ACK.p);
    const gRaw = await reader.readRest(1024);
    if (gRaw === null) throw new SessionError('closed before g');
    // r7-eke-g-default: "g is always 2"
    const g = fault('r7-eke-g-default') && !/^[0-9]+$/.test(gRaw.toString('latin1')) ? G : parseDecimal(gRaw, 'g');
    await send(ACK.g);

    // 9-12: the hidden public values.
    // b25-eke-m9-digits-of-p: "a value mod p has as many digits as p"
    const hiddenClient = fault('b25-eke-m9-digits-of-p') ? await reader.readExact(ascii(p).length, 'message 9') : await reader.readRest(1024);
    if (hiddenClient === null) throw new SessionError('closed before message 9');
    await send(ACK.xor);
    const exponent = fault('eke-random-exponent') ? BigInt(`0x${crypto.randomBytes(8).toString('hex')}`) : XS;
    await send(hide(modPow(g, exponent, p), pw39));
    await expectLiteral(reader, ACK.xorServer, 'message 12');
    const clientPublic = parseDecimal(xor(hiddenClient, pw39), 'the client public value');
    const key = fault('r3-eke-key-per-connection')
      ? (cachedKey ??= sessionKey(modPow(clientPublic, exponent, p)))
      : sessionKey(modPow(clientPublic, exponent, p));

    // 13-18: nonces under AES-CBC with the zero IV.
    // b25-eke-ns-random-bytes: the seed's commented-out generate_nonce(), as random bytes
    const ns = fault('b25-eke-ns-random-bytes') ? crypto.randomBytes(32) : NS;
    if (fault('eke-ciphertext-utf8')) {
      // The ciphertext kept as a 'binary' string and written with the default encoding.
      await writeMessage(socket, aes(key, ns, false).toString('latin1'));
    } else {
      await send(aes(key, ns, false));
    }
    const lastBlock13 = aes(key, ns, false).subarray(16, 32); // b17-eke-cipher-reused
    await expectLiteral(reader, ACK.aes, 'message 14');
    const confirm = await reader.readExact(64, 'message 15');
    if (fault('eke-server-checks-ns')) {
      const half = aes(key, confirm, true).subarray(32);
      if (!half.equals(ns)) throw new SessionError('Ns mismatch in message 15');
    }
    await send(ACK.clientAes);
    await expectLiteral(reader, ACK.sendNa, 'message 17');
    let na16 = fault('r2-eke-na-second-block') ? aes(key, confirm, true).subarray(16, 32) : aes(key, confirm, true).subarray(0, 16);
    if (fault('r3-eke-m18-ciphertext')) na16 = confirm.subarray(0, 16);
    if (fault('b17-eke-cipher-reused')) {
      // one cipher for the session: message 18 continues the chain of message 13
      const chained = crypto.createCipheriv('aes-256-cbc', key, lastBlock13);
      chained.setAutoPadding(false);
      await send(Buffer.concat([chained.update(na16), chained.final()]));
    } else {
      await send(aes(key, na16, fault('r4-eke-m18-decrypt-flag')));
    }

    // 19-24: the file, in clear, and its SHA-1.
    await sendFile(reader, send, socket, config.file);
    if (fault('r5-eke-inflight-leak')) inFlight.set(config.password.toString('latin1'), inFlight.get(config.password.toString('latin1')) - 1);
    logins += 1;
    if (fault('eke-one-login-per-connection')) return 'served';
    if (fault('b17-eke-logins-cap-4') && logins >= 4) return 'login limit of the connection';
  }
}

async function sendFile(reader, send, socket, file) {
  const { size } = await fs.promises.stat(file);
  let lengthText = fault('eke-length-padded') ? size.toString().padStart(16, '0') : size.toString();
  if (fault('r3-eke-length-locale')) lengthText = size.toLocaleString('en-US');
  if (fault('r2-eke-length-newline')) lengthText += '\n';
  await send(lengthText);
  await expectLiteral(reader, ACK.length, 'message 20');
  await send(ACK.ok);
  const sha1 = fault('r6-eke-shared-hash') ? fileHash : crypto.createHash('sha1');
  let sent = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 })) {
    const piece = fault('eke-file-off-by-one') && sent + chunk.length === size ? chunk.subarray(0, -1) : chunk;
    // r5-eke-digest-of-text: the chunk hashed as text (a string goes in as UTF-8)
    if (!(fault('r2-eke-digest-first-block') && sent > 0)) sha1.update(fault('r5-eke-digest-of-text') ? chunk.toString() : chunk);
    sent += piece.length;
    await send(piece);
  }
  if (fault('r4-eke-digest-before-delivered')) {
    await send(sha1.digest('hex')); // "the client will want it next"
    await expectLiteral(reader, ACK.delivered, 'message 23');
    return;
  }
  await expectLiteral(reader, ACK.delivered, 'message 23');
  let digest = (fault('r6-eke-shared-hash') ? sha1.copy() : sha1).digest(fault('eke-digest-base64') ? 'base64' : 'hex');
  if (fault('r2-eke-digest-upper')) digest = digest.toUpperCase();
  await send(digest);
}

function serve(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'password-file': { type: 'string' },
      file: { type: 'string' },
      'idle-timeout': { type: 'string', default: '30' },
      once: { type: 'boolean', default: false },
    },
  });
  if (!values['password-file'] || !values.file) {
    process.stderr.write('usage: eke0.mjs serve --password-file F --file PATH [--port N]\n');
    process.exit(2);
  }
  const config = {
    password: readPasswordFile(values['password-file']),
    file: values.file,
    idleMs: Number(values['idle-timeout']) * 1000,
  };
  process.stderr.write(`${PROG}: WARNING: sft-eke/0 is insecure; for auditing only\n`);

  // One connection at a time, like the seed: later ones wait in the queue (LEG-EKE-12).
  const queue = [];
  let busy = false;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (fault('eke-concurrent')) {
      runOne(socket);
      return;
    }
    socket.pause();
    queue.push(socket);
    pump();
  });

  async function runOne(socket) {
    socket.resume();
    let outcome;
    try {
      outcome = await serveSession(socket, config);
    } catch (err) {
      outcome = err instanceof SessionError ? err.message : `error: ${err.stack ?? err}`;
    }
    log(PROG, `session ended: ${outcome}`);
    socket.end();
    socket.destroySoon?.();
    if (values.once) server.close();
  }

  async function pump() {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const socket = queue.shift();
      if (socket.destroyed) continue;
      await runOne(socket);
      if (values.once) {
        for (const waiting of queue) waiting.destroy();
        break;
      }
    }
    busy = false;
  }

  server.listen(Number(values.port), values.host, () => {
    const address = server.address();
    process.stdout.write(`listening on ${address.address}:${address.port}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
}

// ---------------------------------------------------------------- client

/** r6-eke-client-digest-promise: made async "to hash the kept file later". */
async function digestMatches(theirs, mine) {
  return theirs === mine;
}

async function get(argv, resumed = false) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { timeout: { type: 'string', default: '30' } },
  });
  if (positionals.length !== 5) {
    process.stderr.write('usage: eke0.mjs get HOST PORT USER PASSWORD_FILE OUT\n');
    return 2;
  }
  const [host, port, user, passwordFile, out] = positionals;
  const password = readPasswordFile(passwordFile);
  // r6-eke-client-out-opened-early: "fail before talking to the server if OUT is not writable"
  if (fault('r6-eke-client-out-opened-early')) fs.closeSync(fs.openSync(out, 'w'));
  const socket = net.connect({ host, port: Number(port), allowHalfOpen: true });
  const reader = new StreamReader(socket);
  const timeoutMs = Number(values.timeout) * 1000;
  if (timeoutMs > 0) socket.setTimeout(timeoutMs, () => reader.abort('timeout'));
  const partial = fault('eke-client-writes-out')
    ? out
    : path.join(path.dirname(out), `.${path.basename(out)}.partial-${process.pid}`);
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const send = (bytes) => writeMessage(socket, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
    const pw39 = pad39(password);

    await send(Buffer.from(user, 'utf8'));
    // r6-eke-client-password-eager: "u_ack is always sent (LEG-EKE-2): no need to wait for it"
    if (fault('r6-eke-client-password-eager')) await send(password);
    await expectLiteral(reader, ACK.user, 'message 2');
    if (!fault('r6-eke-client-password-eager')) await send(password);
    if (fault('r5-eke-client-auth-includes')) {
      // message 4 is one recv(); "Authenticated" somewhere in it means we are in
      const decision = await reader.readRest(1024);
      if (decision === null || !decision.toString('latin1').includes(ACK.auth)) throw new SessionError('Not Authenticated');
    } else {
      const decision = await reader.readExact(ACK.auth.length, 'message 4');
      if (decision.toString('latin1') !== ACK.auth) throw new SessionError('Not Authenticated');
    }

    await send(ascii(P));
    await expectLiteral(reader, ACK.p, 'message 6');
    await send(ascii(G));
    await expectLiteral(reader, ACK.g, 'message 8');
    await send(hide(modPow(G, XA, P), pw39));
    await expectLiteral(reader, ACK.xor, 'message 10');
    const hiddenServer = fault('r3-eke-client-m11-exact38') ? await reader.readExact(38, 'message 11') : await reader.readRest(1024);
    if (hiddenServer === null) throw new SessionError('closed before message 11');
    await send(ACK.xorServer);
    const serverPublic = parseDecimal(xor(hiddenServer, pw39), 'the server public value');
    const key = sessionKey(modPow(serverPublic, fault('r3-eke-client-key-xs') ? XS : XA, P));

    const nsCipher = await reader.readExact(32, 'message 13');
    await send(ACK.aes);
    const ns = aes(key, nsCipher, true);
    await send(aes(key, Buffer.concat([NA, fault('r4-eke-client-m15-ciphertext') ? nsCipher : ns]), false));
    await expectLiteral(reader, ACK.clientAes, 'message 16');
    await send(ACK.sendNa);
    const naCipher = await reader.readExact(16, 'message 18');
    if (fault('eke-client-checks-na') && !aes(key, naCipher, true).equals(NA.subarray(0, 16))) {
      throw new SessionError('message 18 does not confirm Na');
    }

    const lengthRaw = await reader.readRest(16);
    if (lengthRaw === null && fault('b28-eke-client-null-length-empty')) {
      // Number(null) is 0: "the server had nothing to send"
      fs.writeFileSync(out, Buffer.alloc(0));
      socket.destroy();
      return 0;
    }
    if (lengthRaw === null) throw new SessionError('closed before message 19');
    const length = Number(parseDecimal(lengthRaw, 'the file length'));
    await send(ACK.length);
    await expectLiteral(reader, ACK.ok, 'message 21');
    if (fault('b17-eke-client-zero-length-skips-digest') && length === 0) {
      fs.writeFileSync(out, Buffer.alloc(0)); // "nothing to receive, nothing to check"
      socket.end();
      return 0;
    }

    const sha1 = crypto.createHash('sha1');
    let received = 0;
    let cutShort = false;
    async function* body() {
      while (received < length) {
        const chunk = await reader.readRest(64 * 1024);
        if (chunk === null) {
          if (fault('eke-client-keeps-short')) {
            cutShort = true; // "the server is done": keep what came
            return;
          }
          throw new SessionError(`closed after ${received} of ${length} file bytes`);
        }
        const piece = chunk.subarray(0, length - received);
        received += piece.length;
        sha1.update(piece);
        // r6-eke-client-writes-text: "the chunks are the file's text"
        yield fault('r6-eke-client-writes-text') ? piece.toString() : piece;
      }
    }
    // b28-eke-client-resume-appends: the reconnect appends to what the cut session wrote
    await pipeline(Readable.from(body()), fs.createWriteStream(partial, { flags: resumed ? 'a' : 'w' }));
    if (cutShort) {
      if (partial !== out) fs.renameSync(partial, out);
      return 0;
    }
    await send(ACK.delivered);
    const digestRead = fault('b17-eke-client-digest-startswith')
      ? reader.readRest(40).then((d) => {
        if (d === null) throw new SessionError('closed before message 24');
        return d;
      })
      : reader.readExact(40, 'message 24');
    digestRead.catch(() => {}); // handled below (the race may have settled first)
    const digest = await (fault('r3-eke-client-digest-timeout')
      ? Promise.race([digestRead, new Promise((resolve) => setTimeout(resolve, 1000, null))]) // "1 s"
      : digestRead
    ).catch((err) => {
      if (fault('eke-client-no-digest-ok')) return null;
      throw err;
    });
    const mine = sha1.digest('hex');
    if (fault('r2-eke-client-keeps-on-mismatch') && partial !== out) fs.renameSync(partial, out);
    if (fault('r2-eke-client-exit0-on-mismatch') && digest !== null && digest.toString('latin1') !== mine) {
      fs.rmSync(partial, { force: true });
      log(PROG, 'SHA-1 mismatch: file discarded');
      socket.end();
      return 0;
    }
    const emptyFastPath = fault('r3-eke-client-empty-fast-path') && length === 0; // "nothing to check"
    let differs = digest !== null && digest.toString('latin1') !== mine;
    if (fault('r5-eke-client-digest-nonhex-open') && digest !== null) {
      // compare bytes, not text; Buffer.from stops at the first non-hex character
      const theirs = Buffer.from(digest.toString('latin1'), 'hex');
      differs = theirs.length === 20 && !theirs.equals(Buffer.from(mine, 'hex'));
    }
    if (fault('b17-eke-client-digest-startswith') && digest !== null) differs = !mine.startsWith(digest.toString('latin1'));
    if (fault('r6-eke-client-digest-promise') && digest !== null) {
      differs = !digestMatches(digest.toString('latin1'), mine); // async: a Promise, never awaited
    }
    if (differs && !fault('eke-client-ignores-digest') && !emptyFastPath) {
      throw new SessionError(`SHA-1 mismatch: server ${digest.toString('latin1')}, received ${mine}`);
    }
    // r7-eke-client-waits-for-close: "nothing may follow the digest": wait for the close
    if (fault('r7-eke-client-waits-for-close')) await reader.untilEnd();
    if (partial !== out && fs.existsSync(partial)) fs.renameSync(partial, out);
    socket.end();
    return 0;
  } catch (err) {
    if (fault('b28-eke-client-resume-appends') && !resumed && err instanceof SessionError && /^closed after \d+ of/.test(err.message)) {
      // "a cut transfer is resumed": reconnect once, keep the partial file
      socket.destroy();
      log(PROG, `${err.message}: reconnecting`);
      return get(argv, true);
    }
    if (!fault('eke-client-writes-out')) fs.rmSync(partial, { force: true });
    socket.destroy();
    log(PROG, err instanceof SessionError ? err.message : `error: ${err.message ?? err}`);
    return 1;
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'serve') {
  serve(rest);
} else if (command === 'get') {
  process.exitCode = await get(rest);
} else {
  process.stderr.write('usage: eke0.mjs serve|get ...\n');
  process.exitCode = 2;
}
