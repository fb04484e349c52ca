#!/usr/bin/env node
// eke3 — a clean-room sft-eke/1 server and client in Node.js 20, from docs/SPEC.md alone.
//
//   node main.mjs user add NAME --store F [--password-file F | --password-stdin]
//   node main.mjs user unlock NAME --state-dir D
//   node main.mjs serve --listen HOST:PORT --store F --state-dir D --share DIR --inbox DIR [limits]
//   node main.mjs get HOST:PORT NAME --user U --password-file F -o OUT [--force]
//   node main.mjs put HOST:PORT FILE --as NAME --user U --password-file F
//
// Choices where the SPEC leaves one (listed for the conformance report):
// - JSON on the wire is read by our own strict parser (JSON.parse keeps duplicate keys,
//   rounds 64-bit integers and accepts lone surrogates); a lone surrogate anywhere is
//   bad_frame (FRM-15, first reading). Integers are BigInt end to end.
// - An EKE1 with an invalid user name is answered bad_frame (EKE-PW-5, first reading).
// - Residuosity by a Jacobi symbol blinded with a fresh r² (EKE-SEC-4); modexp on BigInt.
// - An invalid X' is carried through the handshake on a stand-in value (g) and refused at
//   EKE3 with the one auth_failed message.
// - RSFL of a get carries no sha256; DATA frames are 256 KiB, read with async fs.read
//   between writes; a write that makes no progress for idle_timeout closes (LIM-10).
// - Sockets are half-open (allowHalfOpen: true): a peer's FIN after its requests does not
//   cut the answers (Node's default would).
// - Every symbolic link in the share is refused (forbidden); the opened descriptor is
//   re-checked through /proc/self/fd (APP-NAME-5).
// - A refused connection (LIM-4/LIM-8) gets EROR busy with retry_after 1, in clear; a
//   full server first evicts its oldest connection still in its handshake (LIM-9).
// - After a fatal EROR: FIN at once, then the peer's remaining bytes are drained for at
//   most 1 s before the socket is destroyed (a close with unread data would RST away our
//   EROR).
// - Throttling state: a JSON file in --state-dir, rewritten atomically on every change;
//   the pending caps (P, Q) are in memory only. A success never touches address counts.
//   Tables are bounded (--table-entries, default 100 000 each); the oldest entry without
//   a running lock goes first, a running lock never (the table outgrows its bound).
// - Restart (EKE-THR-8): SIGHUP forks a successor that takes over the listening socket
//   and reloads store and state from disk; the old process stops accepting and stays as
//   its parent (Node has no exec).
// - Server logs to stderr (ISO time), no secrets; `listening on HOST:PORT` on stdout.
// - Client: a C4 that does not prove the password closes without an EROR; an RSFL of a
//   get naming another file fails with bad_frame; a busy server is not retried.
// - Store: JSON {server_secret, users: {hex(user UTF-8): hex(pw)}}, mode 0600.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ClientFailure, get, put } from './client.mjs';
import * as eke from './eke.mjs';
import { Server } from './server.mjs';
import { PasswordStore, passwordFromText, readPasswordFile, validUserName } from './store.mjs';
import { fault } from './faults.mjs';
import { Throttle } from './throttle.mjs';
import { DEFAULT_FRAME_LIMIT } from './wire.mjs';

function hostPort(text) {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text ?? '');
  if (!m) throw new ClientFailure(`expected HOST:PORT, got ${JSON.stringify(text)}`, 2);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

const num = (v, d) => (v === undefined ? d : Number(v));

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks);
}

function clientOptions(values) {
  if (!values.user || !values['password-file']) throw new ClientFailure('--user and --password-file are required', 2);
  return {
    user: values.user,
    password: readPasswordFile(values['password-file']),
    connectTimeout: num(values['connect-timeout'], 10),
    handshakeTimeout: num(values['handshake-timeout'], 10),
    idleTimeout: num(values['idle-timeout'], 60),
    maxFileSize: num(values['max-file-size'], 4294967296),
    frameLimit: num(values['max-frame'], DEFAULT_FRAME_LIMIT),
  };
}

const COMMON = {
  user: { type: 'string' }, 'password-file': { type: 'string' }, 'password-stdin': { type: 'boolean' },
  store: { type: 'string' }, 'state-dir': { type: 'string' }, out: { type: 'string', short: 'o' },
  force: { type: 'boolean' }, as: { type: 'string' }, listen: { type: 'string' },
  share: { type: 'string' }, inbox: { type: 'string' },
  'connect-timeout': { type: 'string' }, 'handshake-timeout': { type: 'string' }, 'idle-timeout': { type: 'string' },
  'max-file-size': { type: 'string' }, 'max-connections': { type: 'string' }, 'max-pending-per-address': { type: 'string' },
  'max-frame': { type: 'string' }, 'throttle-failures': { type: 'string' }, 'throttle-base': { type: 'string' },
  'throttle-cap': { type: 'string' }, 'pending-per-user': { type: 'string' }, 'pending-per-address': { type: 'string' },
  'lock-after': { type: 'string' }, 'table-entries': { type: 'string' },
};

function throttleFor(values) {
  const stateDir = values['state-dir'];
  if (stateDir) fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return new Throttle({
    file: stateDir ? path.join(stateDir, 'throttle.json') : null,
    failures: num(values['throttle-failures'], 5),
    base: num(values['throttle-base'], 1),
    cap: num(values['throttle-cap'], 300),
    lockAfter: num(values['lock-after'], 100),
    pendingPerUser: num(values['pending-per-user'], 4),
    pendingPerAddress: num(values['pending-per-address'], 8),
    tableEntries: num(values['table-entries'], 100000),
  });
}

async function main(argv) {
  const { values, positionals } = parseArgs({ args: argv, options: COMMON, allowPositionals: true });
  const [command, ...rest] = positionals;
  switch (command) {
    case 'user': {
      const [action, name] = rest;
      const userBytes = Buffer.from(name ?? '', 'utf8');
      if (!validUserName(userBytes, name ?? '')) throw new ClientFailure('invalid user name', 2);
      if (action === 'add') {
        if (!values.store) throw new ClientFailure('--store is required', 2);
        const password = values['password-stdin'] ? passwordFromText(await readStdin()) : readPasswordFile(values['password-file']);
        const store = new PasswordStore(values.store);
        store.set(userBytes, eke.passwordKey(name, password));
        store.save();
        return 0;
      }
      if (action === 'unlock') {
        throttleFor(values).unlock(userBytes.toString('hex'));
        return 0;
      }
      throw new ClientFailure('usage: user add|unlock NAME', 2);
    }
    case 'serve': {
      const { host, port } = hostPort(values.listen ?? '127.0.0.1:7000');
      const opts = {
        share: values.share, inbox: values.inbox,
        handshakeTimeout: num(values['handshake-timeout'], 10),
        idleTimeout: num(values['idle-timeout'], 60),
        maxFileSize: num(values['max-file-size'], 4294967296),
        maxConnections: num(values['max-connections'], 64),
        maxPendingPerAddress: num(values['max-pending-per-address'], 8),
        frameLimit: num(values['max-frame'], DEFAULT_FRAME_LIMIT),
        throttleFailures: num(values['throttle-failures'], 5),
        throttleBase: num(values['throttle-base'], 1),
        throttleCap: num(values['throttle-cap'], 300),
        pendingPerUser: num(values['pending-per-user'], 4),
        pendingPerAddress: num(values['pending-per-address'], 8),
        lockAfter: num(values['lock-after'], 100),
      };
      if (!opts.share || !opts.inbox || !values.store) throw new ClientFailure('--store, --share and --inbox are required', 2);
      const store = new PasswordStore(values.store);
      if (!fs.existsSync(values.store)) store.save();
      const server = new Server(opts, store, throttleFor(values));
      if (process.env.EKE3_INHERIT_LISTENER) {
        delete process.env.EKE3_INHERIT_LISTENER;
        process.once('message', (m, handle) => {
          server.listen(null, null, handle);
          process.send('ready');
          process.channel?.unref();
        });
      } else server.listen(host, port);
      process.on('SIGHUP', () => server.restart());
      const stop = () => process.exit(0);
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      return null;
    }
    case 'get': {
      const { host, port } = hostPort(rest[0]);
      if (rest[1] === undefined || !values.out) throw new ClientFailure('usage: get HOST:PORT NAME -o OUT', 2);
      await get({ ...clientOptions(values), host, port, name: rest[1], out: values.out, force: !!values.force });
      return 0;
    }
    case 'put': {
      const { host, port } = hostPort(rest[0]);
      if (rest[1] === undefined) throw new ClientFailure('usage: put HOST:PORT FILE [--as NAME]', 2);
      await put({ ...clientOptions(values), host, port, file: rest[1], as: values.as ?? path.basename(rest[1]) });
      return 0;
    }
    default:
      throw new ClientFailure('usage: eke3 serve|get|put|user ...', 2);
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    if (status !== null) process.exitCode = status;
  },
  (err) => {
    if (fault('b28_cli-console-error')) {
      console.error(err); // the fault: Node prints the error's stack (and its own fields)
      process.exitCode = err.status ?? 1;
    } else if (err instanceof ClientFailure) {
      process.stderr.write(`eke3: ${err.message}\n`);
      process.exitCode = err.status;
    } else {
      process.stderr.write(`eke3: ${err.message}\n`);
      process.exitCode = 1;
    }
  },
);
