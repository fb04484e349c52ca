#!/usr/bin/env node
// pki6 — a clean-room sft-pki/1 responder and initiator in Node.js 20, from docs/SPEC.md
// alone (node:tls, node:crypto's X509Certificate, node:https; no npm package).
//
//   node main.mjs serve --cert F --key F --root F --ca-url URL --listen HOST:PORT
//        --share DIR --inbox DIR [--allow ALIAS]... [limits]
//   node main.mjs get ALIAS@HOST:PORT NAME -o OUT --cert F --key F --root F --ca-url URL
//   node main.mjs put ALIAS@HOST:PORT FILE --as NAME --cert F --key F --root F --ca-url URL
//
// Choices (Node's tls pinned as the SPEC requires):
// - minVersion = maxVersion = 'TLSv1.3'; `ciphers` lists the three TLS 1.3 suites of
//   PKI-TLS-9 only; `ecdhCurve` 'X25519:P-256:P-384' (Node 20's OpenSSL 3.0 has no
//   X25519MLKEM768); `sigalgs` the PKI-TLS-9 list plus rsa_pkcs1_sha256 (PKI-TLS-11).
// - SSL_OP_NO_TICKET: no session tickets, so no resumption and no 0-RTT (PKI-TLS-5). Node
//   never honours SSLKEYLOGFILE (only --tls-keylog, never passed): PKI-TLS-8.
// - `ca` is the organisation root alone (replaces Node's bundled roots: PKI-TLS-4);
//   `requestCert` on the responder, whose verdict (`sock.authorized`) is acted on after
//   the handshake with close_notify and the close (PKI-TLS-10: Node's own
//   `rejectUnauthorized` there ends with a bare close); `rejectUnauthorized` on the
//   initiator; the CRL in the secure context (`crl`, which turns on OpenSSL's CRL check).
// - On top of OpenSSL, every peer certificate is checked by hand after the handshake
//   (Node's X509Certificate plus a small DER reader): issued and signed by the root,
//   validity, SHA-256 signature, P-256 or RSA >= 2048, BasicConstraints present and
//   CA:FALSE, KeyUsage digitalSignature, an EKU holding clientAuth (responder) or
//   serverAuth (initiator) — a missing EKU is refused — not in the CRL (every serial),
//   the CRL fresh (nextUpdate present, future, <= 7 days after thisUpdate), exactly one
//   CN. The responder refuses a failing one with close_notify and the close, no EROR
//   (PKI-TLS-10's third way): an EROR written at once after Node's 'secureConnection' and
//   followed by end() reached Python's ssl client as a decode_error, never a close_notify.
// - ALPN: the responder offers `sft-pki/1`; Node's server sends no_application_protocol
//   when the offers do not overlap and completes the handshake when the client offers no
//   ALPN at all: such a connection is ended at once with close_notify (PKI-TLS-10).
// - `checkServerIdentity` is a no-op on the initiator: the alias is compared byte-exact
//   with the certificate's single CN before any frame is sent (PKI-ID-1/4).
// - CRL: GET {ca_url}/v1/crl over HTTPS (TLS 1.3, root only, the CA's name checked
//   against its subjectAltName only), signature checked with the root's key; the
//   responder refuses to start without one and refetches every --crl-refresh seconds
//   (setSecureContext with the new CRL); a failed refetch keeps the last one, which
//   fails closed once stale. The initiator fetches it once per run.
// - Admission: own timers from accept (LIM-1: trickled bytes do not extend them; Node's
//   handshakeTimeout is only a backstop), a per-address cap of connections still in their
//   handshake (LIM-8), a total cap that first evicts the oldest handshake (LIM-9); a
//   refused connection is closed (no EROR: no channel yet).
// - Frames are reassembled from 'data' chunks of any size (FRM-4); the header is judged
//   as soon as its 8 bytes are in (FRM-3, APP-PUT-6). JSON by our own strict parser
//   (JSON.parse keeps the last duplicate and turns 1.0 into 1); lone surrogates are
//   bad_frame (FRM-15, first reading); nesting deeper than 256 is bad_frame.
// - Closing: socket.end() (close_notify then FIN), the peer's unread bytes drained for at
//   most 1 s, then destroy(); allowHalfOpen false (a peer's close_notify ends ours).
// - Writes honour backpressure ('drain'); a write making no progress for the idle timeout
//   destroys the connection (LIM-10). Gets are read in 64 KiB DATA frames; RSFL carries
//   no sha256.
// - Names: every symbolic link in the share is refused (forbidden); the opened
//   descriptor (O_NOFOLLOW) is re-checked through /proc/self/fd (APP-NAME-5). A put is
//   stored under the basename; link()+unlink() (never rename over a file); fsync of the
//   file and the directory. Partial files `.sft-partial-<random>` (O_EXCL, 0600).
// - A get of a name whose basename starts with `.sft-partial-` is forbidden.
// - Initiator: an existing output file is refused unless --force; stale temporaries
//   older than the idle timeout are swept; SIGTERM/SIGINT remove its temporary.
// - Exit status: 0 success, 1 failure, 2 usage. Logs on stderr; `listening on H:P` on stdout.
import { parseArgs } from 'node:util';
import { ClientFailure, get, put } from './client.mjs';
import { Pki } from './pki.mjs';
import { Responder } from './server.mjs';

const common = {
  cert: { type: 'string' }, key: { type: 'string' }, root: { type: 'string' },
  'ca-url': { type: 'string' }, 'idle-timeout': { type: 'string' }, timeout: { type: 'string' },
};

function need(v, name) {
  if (v === undefined) throw new ClientFailure(`missing --${name}`, 2);
  return v;
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'serve') {
    const { values: v } = parseArgs({
      args: rest,
      options: {
        ...common, listen: { type: 'string' }, share: { type: 'string' }, inbox: { type: 'string' },
        allow: { type: 'string', multiple: true }, 'handshake-timeout': { type: 'string' },
        'max-file-size': { type: 'string' }, 'max-connections': { type: 'string' },
        'max-pending-per-address': { type: 'string' }, 'crl-refresh': { type: 'string' },
      },
    });
    const cfg = {
      share: need(v.share, 'share'), inbox: need(v.inbox, 'inbox'), allow: v.allow ?? [],
      handshakeTimeout: Number(v['handshake-timeout'] ?? 10), idleTimeout: Number(v['idle-timeout'] ?? 60),
      maxFileSize: Number(v['max-file-size'] ?? 4 * 2 ** 30), maxConnections: Number(v['max-connections'] ?? 64),
      maxPendingPerAddress: Number(v['max-pending-per-address'] ?? 8), crlRefresh: Number(v['crl-refresh'] ?? 300),
    };
    const pki = new Pki({ cert: need(v.cert, 'cert'), key: need(v.key, 'key'), root: need(v.root, 'root'), caUrl: need(v['ca-url'], 'ca-url') });
    try {
      await pki.loadCrl();
    } catch (e) {
      throw new ClientFailure(`cannot load the CRL at start (fail closed): ${e.message}`, 2);
    }
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(need(v.listen, 'listen'));
    if (!m) throw new ClientFailure('--listen HOST:PORT', 2);
    const r = new Responder(pki, cfg);
    r.sweepInbox();
    process.stderr.write(`pki6: limits ${JSON.stringify(cfg)}\n`);
    r.listen(m[1] ?? m[2], Number(m[3]));
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  if (cmd !== 'get' && cmd !== 'put') throw new ClientFailure('usage: main.mjs serve|get|put ...', 2);
  const { values: v, positionals: p } = parseArgs({
    args: rest, allowPositionals: true,
    options: { ...common, output: { type: 'string', short: 'o' }, as: { type: 'string' }, force: { type: 'boolean' } },
  });
  if (p.length !== 2) throw new ClientFailure(`${cmd}: ALIAS@HOST:PORT and one more argument`, 2);
  const pki = new Pki({ cert: need(v.cert, 'cert'), key: need(v.key, 'key'), root: need(v.root, 'root'), caUrl: need(v['ca-url'], 'ca-url') });
  try {
    await pki.loadCrl();
  } catch (e) {
    throw new ClientFailure(`cannot load the CRL: ${e.message}`);
  }
  const opts = {
    dest: p[0], idleTimeout: Number(v['idle-timeout'] ?? 60), timeout: Number(v.timeout ?? 10), force: Boolean(v.force),
  };
  if (cmd === 'get') await get(pki, { ...opts, name: p[1], out: need(v.output, 'o') });
  else await put(pki, { ...opts, file: p[1], name: v.as ?? p[1].split('/').pop() });
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`pki6: ${e instanceof ClientFailure ? e.message : e.stack}\n`);
  process.exitCode = e instanceof ClientFailure ? e.status : 1;
  setTimeout(() => process.exit(process.exitCode), 1500).unref();
});
