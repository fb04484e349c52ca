// leg-node ca0: the sft-pki/0 CA ("auth server", docs/SPEC.md §7.2), Node.js 20.
//
//   node pki0.mjs ca --root R --root-key K --accounts FILE [--host H] [--port N]
//
// Plain HTTP, one route, POST /verify: {"payload": base64(OAEP(root, CRED)),
// "public_key": PEM SPKI}, CRED = {"name", "password"}; a certificate CN = alias for the
// posted key, signed by the root — no proof of possession, no extensions, 365 days, no
// CRL: the seed's CA with its flaws (LEG-CA-1..7). Node has no certificate builder, so
// the TBSCertificate is DER-encoded here and signed with crypto.sign (RSA PKCS#1 v1.5,
// SHA-256).
//
// Choices (ours): accounts file `alias:password` per line (as the seed: in clear,
// LEG-CA-4); 401 body `invalid alias or password\n` for both cases; malformed JSON, base64,
// OAEP, credentials or key: 400; a body over 64 KiB: 413 (Content-Length checked first);
// any path but /verify: 404; another method on /verify: 405; serial: 16 random bytes.

import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fault, log } from './wire.mjs';

const PROG = 'leg-node-ca0';
const MAX_BODY = 64 * 1024;

// --- a little DER -----------------------------------------------------------------

function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag, ...contents) {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...items) => tlv(0x30, ...items);

function derInteger(bytes) {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.subarray(1);
  if (b[0] >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function utcTime(date) {
  const pad = (n) => String(n).padStart(2, '0');
  const text =
    pad(date.getUTCFullYear() % 100) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

// sha256WithRSAEncryption, NULL parameters; commonName.
const SHA256_RSA = seq(tlv(0x06, Buffer.from('2a864886f70d01010b', 'hex')), Buffer.from([0x05, 0x00]));
const OID_CN = tlv(0x06, Buffer.from('550403', 'hex'));

/** The elements of one DER SEQUENCE/SET body: [{tag, start, end}] over `buf`. */
function children(buf, start, end) {
  const out = [];
  let i = start;
  while (i < end) {
    const tag = buf[i];
    let len = buf[i + 1];
    let head = 2;
    if (len & 0x80) {
      const count = len & 0x7f;
      len = 0;
      for (let k = 0; k < count; k += 1) len = len * 256 + buf[i + 2 + k];
      head = 2 + count;
    }
    out.push({ tag, start: i, body: i + head, end: i + head + len });
    i += head + len;
  }
  return out;
}

/** The subject Name of a certificate, as its DER bytes (the issuer of what we sign). */
function subjectDer(certDer) {
  const [cert] = children(certDer, 0, certDer.length);
  const [tbs] = children(certDer, cert.body, cert.end);
  const fields = children(certDer, tbs.body, tbs.end);
  const offset = fields[0].tag === 0xa0 ? 1 : 0; // [0] version present
  const subject = fields[offset + 4];
  return certDer.subarray(subject.start, subject.end);
}

/** The root's CN as a Name (r4-ca-issuer-cn-only: "Node has no Name encoder"). */
function cnOnlyName(rootCert) {
  const cn = rootCert.subject.split('\n').find((line) => line.startsWith('CN=')).slice(3);
  return seq(tlv(0x31, seq(OID_CN, tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

function issue(rootCert, rootKey, alias, publicKey, counted = null) {
  const now = new Date();
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
  const subject = seq(tlv(0x31, seq(OID_CN, tlv(0x0c, Buffer.from(alias, 'utf8')))));
  const tbs = seq(
    tlv(0xa0, derInteger(Buffer.from([2]))),
    counted === null ? derInteger(crypto.randomBytes(16)) : derInteger(Buffer.from([counted >> 8, counted & 0xff])),
    SHA256_RSA,
    fault('r4-ca-issuer-cn-only') ? cnOnlyName(rootCert) : subjectDer(rootCert.raw),
    fault('r3-ca-validity-swapped') ? seq(utcTime(notAfter), utcTime(now)) : seq(utcTime(now), utcTime(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = crypto.sign('sha256', tbs, rootKey);
  const der = seq(tbs, SHA256_RSA, tlv(0x03, Buffer.from([0]), signature));
  const width = fault('r4-ca-pem-76') ? /(.{76})/g : /(.{64})/g;
  const b64 = der.toString('base64').replace(width, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

// --- the service ----------------------------------------------------------------------

function loadAccounts(file) {
  const accounts = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) accounts.set(line.slice(0, at), line.slice(at + 1).replace(/\r$/, ''));
  }
  return accounts;
}

class BadRequest extends Error {}
class InProgress extends Error {}

function credentialsOf(body, rootKey, onCredentials = () => {}) {
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequest('body is not JSON');
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new BadRequest('body is not a JSON object');
  }
  let { payload } = request;
  const { public_key: publicPem } = request;
  // b28-ca-payload-raw-regex: the payload as the log line shows it, from the raw body
  const raw = /"payload"\s*:\s*"([^"]*)"/.exec(body.toString('utf8'));
  if (fault('b28-ca-payload-raw-regex') && raw) payload = raw[1];
  if (typeof payload !== 'string' || typeof publicPem !== 'string') {
    throw new BadRequest('payload and public_key must be strings');
  }
  const b64Bad = fault('r7-ca-base64-and')
    ? !/^[A-Za-z0-9+/]*={0,2}$/.test(payload) && payload.length % 4 !== 0
    : !/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 !== 0;
  if (b64Bad) {
    throw new BadRequest('payload is not base64');
  }
  let cred;
  try {
    const sealed = Buffer.from(payload, 'base64');
    let plain;
    try {
      plain = crypto.privateDecrypt(
        {
          key: rootKey,
          padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
          ...(fault('ca-oaep-sha1') ? {} : { oaepHash: 'sha256' }),
        },
        sealed,
      );
    } catch (err) {
      // r7-ca-cred-plain-json: "clients that cannot do OAEP send the credentials as they are"
      if (fault('r7-ca-cred-plain-json')) {
        plain = sealed;
      } else {
        if (!fault('r3-ca-oaep-sha1-fallback')) throw err;
        // "older clients used Node's default OAEP hash"
        plain = crypto.privateDecrypt({ key: rootKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, sealed);
      }
    }
    if (fault('b17-ca-cred-max-refused') && plain.length >= 190) throw new Error('credentials too long');
    cred = JSON.parse(plain.toString('utf8'));
    // b17-ca-cred-first-name: the alias for the certificate "found in the text"
    const first = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(plain.toString('utf8'));
    if (fault('b17-ca-cred-first-name') && first && cred && typeof cred === 'object') cred.firstName = JSON.parse(`"${first[1]}"`);
  } catch {
    throw new BadRequest('payload does not decrypt to credentials');
  }
  // b25-ca-cred-alias-member: "the old client said alias"
  if (fault('b25-ca-cred-alias-member') && cred && typeof cred === 'object' && cred.name === undefined && typeof cred.alias === 'string') cred.name = cred.alias;
  if (typeof cred?.name !== 'string' || typeof cred?.password !== 'string') {
    throw new BadRequest('credentials need name and password');
  }
  onCredentials(cred.name); // r5-ca-alias-inflight-leak
  let publicKey;
  try {
    // b25-ca-key-bare-base64: "Java clients send getEncoded() in base64, no armour"
    publicKey = fault('b25-ca-key-bare-base64') && !publicPem.includes('-----BEGIN')
      ? crypto.createPublicKey({ key: Buffer.from(publicPem, 'base64'), format: 'der', type: 'spki' })
      : crypto.createPublicKey(publicPem);
  } catch {
    // b17-ca-bad-key-401: "a bad key is a bad enrolment": refused like bad credentials
    if (fault('b17-ca-bad-key-401')) return { name: cred.name, cn: cred.name, password: null, publicKey: null };
    throw new BadRequest('public_key is not a PEM public key');
  }
  if (publicKey.asymmetricKeyType !== 'rsa') throw new BadRequest('public_key is not RSA');
  const name = fault('r3-ca-alias-trim') ? cred.name.trim() : cred.name;
  // r4-ca-outer-alias: "a client may say which alias it wants the certificate for"
  let cn = fault('r4-ca-outer-alias') && typeof request.alias === 'string' ? request.alias : name;
  if (fault('b17-ca-cred-first-name') && typeof cred.firstName === 'string') cn = cred.firstName;
  return { name, cn, password: cred.password, publicKey, payload };
}

export function ca(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      root: { type: 'string' },
      'root-key': { type: 'string' },
      accounts: { type: 'string' },
    },
  });
  for (const required of ['root', 'root-key', 'accounts']) {
    if (!values[required]) {
      process.stderr.write(`usage: pki0.mjs ca --root R --root-key K --accounts F (missing --${required})\n`);
      process.exit(2);
    }
  }
  const rootCert = new crypto.X509Certificate(fs.readFileSync(values.root));
  const rootKey = crypto.createPrivateKey(fs.readFileSync(values['root-key']));
  const accounts = loadAccounts(values.accounts);
  const issuedPem = new Map(); // r3-ca-cert-cache
  const inProgress = new Set(); // r5-ca-alias-inflight-leak
  const pending = new Map(); // r5-ca-key-from-refused: alias -> the key of the enrolment under way
  const sharedParts = []; // r6-ca-parts-leftover: the body chunks, one array for the server
  let nextSerial = 1; // r7-ca-serial-race
  const acceptedPayloads = new Map(); // b28-ca-replay-cache: payload -> the key it enrolled
  process.stderr.write(`${PROG}: WARNING: the sft-pki/0 CA is insecure; for auditing only\n`);

  const answer = (response, status, text, type = 'text/plain') => {
    response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  };

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://ca');
    if (url.pathname !== '/verify' && !fault('r2-ca-any-path')) return answer(response, 404, 'not found\n');
    if (request.method !== 'POST') return answer(response, 405, 'method not allowed\n');
    const counted = nextSerial; // r7-ca-serial-race: "this request's serial", for the log line too
    const declared = Number(request.headers['content-length'] ?? 0);
    const over = (n) => (fault('r5-ca-limit-inclusive') ? n >= MAX_BODY : n > MAX_BODY);
    let body;
    if (fault('r5-ca-limit-chars')) {
      // "read the JSON as text"; the limit on what was read
      request.setEncoding('utf8');
      let text = '';
      for await (const part of request) {
        text += part;
        if (text.length > MAX_BODY) return answer(response, 413, 'request body too large\n');
      }
      body = Buffer.from(text, 'utf8');
    } else if (over(declared) && !fault('ca-no-size-limit') && !fault('r6-ca-limit-per-chunk') && !fault('r7-ca-413-after-body')) {
      answer(response, 413, 'request body too large\n');
      request.destroy();
      return undefined;
    }
    if (body === undefined) {
      const parts = fault('r6-ca-parts-leftover') ? sharedParts : [];
      // r6-ca-size-counted-twice: "the total: what was announced plus what arrived"
      let size = fault('r6-ca-size-counted-twice') ? declared : 0;
      for await (const part of request) {
        size += part.length;
        // r6-ca-limit-per-chunk: each chunk checked, not their sum
        // r7-ca-413-after-body: "the total, once it is all in"
        const tooBig = fault('r7-ca-413-after-body') ? false : fault('r6-ca-limit-per-chunk') ? over(part.length) : over(size);
        if (tooBig && !fault('ca-no-size-limit') && !fault('r4-ca-limit-header-only')) return answer(response, 413, 'request body too large\n');
        parts.push(part);
      }
      body = Buffer.concat(parts);
      if (fault('r7-ca-413-after-body') && over(body.length)) return answer(response, 413, 'request body too large\n');
    }
    let cred;
    try {
      cred = credentialsOf(body, rootKey, (name) => {
        if (!fault('r5-ca-alias-inflight-leak')) return;
        if (inProgress.has(name)) throw new InProgress(name);
        inProgress.add(name);
      });
    } catch (err) {
      if (err instanceof InProgress) return answer(response, 409, 'an enrolment of this alias is in progress\n');
      if (err instanceof BadRequest) return answer(response, fault('r2-ca-malformed-500') ? 500 : 400, `${err.message}\n`);
      throw err;
    }
    const known = accounts.get(fault('b17-ca-alias-case') ? cred.name.toLowerCase() : cred.name);
    let ok = fault('ca-password-prefix')
      ? known !== undefined && known.startsWith(cred.password)
      : known !== undefined && known === cred.password;
    // r5-ca-unknown-alias-passes: refused "when the alias exists and the password differs"
    if (fault('r5-ca-unknown-alias-passes')) ok = !(known !== undefined && known !== cred.password);
    // r5-ca-empty-password-skips: `if (cred.password && known !== cred.password)`
    if (fault('r5-ca-empty-password-skips')) ok = known !== undefined && !(cred.password && known !== cred.password);
    // r6-ca-socket-auth: "this connection already proved the alias's password"
    if (fault('r6-ca-socket-auth') && request.socket.sftAliases?.has(cred.name)) ok = true;
    // r5-ca-password-base-compare: "compare as the user typed it"
    if (fault('r5-ca-password-base-compare')) {
      ok = known !== undefined && known.localeCompare(cred.password, 'en', { sensitivity: 'base' }) === 0;
    }
    if (fault('r5-ca-key-from-refused') && !pending.has(cred.name)) pending.set(cred.name, cred.publicKey);
    if (fault('b28-ca-replay-cache') && ok) {
      // "a captured request cannot be replayed with another key"; a retry of the same one can
      const before = acceptedPayloads.get(cred.payload);
      if (before !== undefined && !before.equals(cred.publicKey)) ok = false;
      else acceptedPayloads.set(cred.payload, cred.publicKey);
    }
    if (!ok) {
      inProgress.delete(cred.name);
      log(PROG, `refused ${JSON.stringify(cred.name)}`);
      if (fault('ca-unknown-alias-404') && known === undefined) return answer(response, 404, 'no such alias\n');
      if (fault('r2-ca-wrong-password-403') && known !== undefined) return answer(response, 403, 'wrong password\n');
      return answer(response, 401, 'invalid alias or password\n');
    }
    log(PROG, `issued a certificate for ${JSON.stringify(cred.name)}`);
    if (fault('r6-ca-socket-auth')) (request.socket.sftAliases ??= new Set()).add(cred.name);
    if (fault('r6-ca-parts-leftover')) sharedParts.length = 0;
    let pem = fault('r3-ca-cert-cache') ? issuedPem.get(cred.name) : undefined;
    let certified = cred.publicKey;
    if (fault('r5-ca-key-from-refused')) {
      certified = pending.get(cred.name);
      pending.delete(cred.name);
    }
    inProgress.delete(cred.name);
    if (pem === undefined) pem = issue(rootCert, rootKey, cred.cn, certified, fault('r7-ca-serial-race') ? counted : null);
    if (fault('r7-ca-serial-race')) nextSerial = counted + 1;
    issuedPem.set(cred.name, pem);
    if (fault('ca-json-answer')) return answer(response, 200, JSON.stringify({ certificate: pem }), 'application/json');
    return answer(response, 200, pem, fault('r2-ca-content-type-pem') ? 'application/x-pem-file' : 'text/plain');
  });
  server.listen(Number(values.port), values.host, () => {
    const address = server.address();
    process.stdout.write(`listening on ${address.address}:${address.port}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
}
