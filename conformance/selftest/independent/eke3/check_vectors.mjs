// Our recipes against the SPEC §8 vectors (conformance/vectors/*.json). Exit 0 when all agree.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as eke from './eke.mjs';
import { parseControl, parseInner, ProtocolError, readFrame, SocketReader } from './wire.mjs';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'vectors');
// Our own strict reader: JSON.parse would round the 64-bit sequence numbers to floats.
const load = (name) => parseControl(fs.readFileSync(path.join(dir, name))).vectors;
const hex = (s) => Buffer.from(s, 'hex');
let failures = 0;
const check = (id, ok) => {
  if (!ok) {
    failures++;
    console.log(`FAIL ${id}`);
  }
};

for (const v of load('eke_password_key.json')) {
  if (v.kind === 'scrypt') {
    check(v.id, eke.passwordKey(hex(v.user_hex).toString('utf8'), hex(v.password_hex).toString('utf8')).toString('hex') === v.pw);
  } else if (v.kind === 'fake') {
    check(v.id, eke.fakeKey(hex(v.server_secret), hex(v.user_hex)).toString('hex') === v.pw);
  }
}
for (const v of load('eke_feistel.json')) {
  check(v.id, eke.encryptPw(hex(v.pw), hex(v.plaintext)).toString('hex') === v.ciphertext);
  check(v.id + '/dec', eke.decryptPw(hex(v.pw), hex(v.ciphertext)).toString('hex') === v.plaintext);
}
for (const v of load('eke_pm_encoding.json')) {
  const Xp = eke.os2ip(hex(v.X_prime));
  const r = eke.recover(Xp);
  if (v.valid) check(v.id, r.ok && eke.i2osp(r.X).toString('hex') === v.recovered);
  else check(v.id, !r.ok);
}
for (const v of load('eke_handshake.json')) {
  if (v.id !== 'hs-alice') continue;
  const pw = hex(v.pw);
  const user = Buffer.from(v.user, 'utf8');
  const A = eke.encryptPw(pw, hex(v.X_prime));
  check('A', A.toString('hex') === v.A);
  const B = eke.encryptPw(pw, hex(v.Y_prime));
  check('B', B.toString('hex') === v.B);
  const th = eke.transcriptHash(user, A, B);
  check('th', th.toString('hex') === v.th);
  const Y = eke.recover(eke.os2ip(eke.decryptPw(pw, B))).X;
  const Z = eke.sharedSecret(Y, BigInt('0x' + v.x));
  check('Z', Z.toString('hex') === v.Z);
  const k = eke.deriveKeys(Z, th);
  for (const [ours, theirs] of [['prk', 'PRK'], ['kcs', 'Kcs'], ['kcc', 'Kcc'], ['keyC2s', 'key_c2s'], ['ivC2s', 'iv_c2s'], ['keyS2c', 'key_s2c'], ['ivS2c', 'iv_s2c']]) {
    check(theirs, k[ours].toString('hex') === v[theirs]);
  }
  const ad = (t) => Buffer.concat([Buffer.from(t), th]);
  check('C2', eke.seal(k.kcs, eke.nonce(2), hex(v.Ns), ad('EKE2')).toString('hex') === v.C2);
  check('C3', eke.seal(k.kcc, eke.nonce(3), Buffer.concat([hex(v.Na), hex(v.Ns)]), ad('EKE3')).toString('hex') === v.C3);
  check('C4', eke.seal(k.kcs, eke.nonce(4), hex(v.Na), ad('EKE4')).toString('hex') === v.C4);
  const c2s = new eke.RecordDirection(k.keyC2s, k.ivC2s);
  for (const r of v.records_c2s) check(`c2s${r.seq}`, c2s.sealRecord(hex(r.inner)).toString('hex') === r.record);
}
for (const v of load('eke_records.json')) {
  const d = new eke.RecordDirection(hex(v.key), hex(v.iv));
  d.seq = BigInt(v.seq);
  if (v.valid) {
    check(v.id, d.sealRecord(hex(v.inner)).toString('hex') === v.record);
  } else {
    const rec = hex(v.record);
    const plain = d.openRecord(rec.subarray(0, 8), rec.subarray(8));
    let got = 'ok';
    if (plain === null) got = 'auth_failed';
    else {
      try {
        parseInner(plain);
      } catch (e) {
        got = e instanceof ProtocolError ? 'bad_frame' : 'other';
      }
    }
    check(`${v.id} (${got} vs ${v.error})`, got === v.error);
  }
}
// frames.json: through the same reader the server uses, over a fake socket.
import { EventEmitter } from 'node:events';
const NAMES = { 1: 'bad_frame', 2: 'frame_too_large', 3: 'unexpected_frame' };
for (const v of load('frames.json')) {
  const sock = new EventEmitter();
  sock.pause = () => {};
  sock.resume = () => {};
  const reader = new SocketReader(sock);
  const input = hex(v.valid ? v.encoded : v.input);
  sock.emit('data', input);
  if (v.valid || v.eof) sock.emit('end');
  const got = [];
  let err = 'none';
  try {
    for (;;) {
      const f = await readFrame(reader, { eofOk: true, limit: Number(v.limit ?? 1048832), check: (t, len) => {
        if (!['RQFL', 'RSFL', 'PUTF', 'DATA', 'DONE', 'EROR', 'BYE_'].includes(t)) throw new ProtocolError(3, 'unknown');
        if (t !== 'DATA' && len > 65536) throw new ProtocolError(2, 'control too large');
      } });
      if (f === null) break;
      if (f.type === 'DATA') {
        if (f.payload.length === 0) throw new ProtocolError(1, 'empty');
      } else {
        const obj = parseControl(f.payload);
        if (f.type === 'RQFL' && typeof obj.name !== 'string') throw new ProtocolError(1, 'name');
        if (f.type === 'DONE') {
          const { int, sha } = await import('./wire.mjs');
          int(obj, 'size');
          sha(obj, 'sha256');
        }
      }
      got.push(f.type);
    }
  } catch (e) {
    err = e instanceof ProtocolError ? NAMES[e.code] : 'truncated';
  }
  if (v.valid) check(v.id, err === 'none' && got.length === v.frames.length);
  else check(`${v.id} (${err} vs ${v.error})`, err === v.error);
}
console.log(failures ? `${failures} vector(s) FAILED` : 'all vectors agree');
process.exit(failures ? 1 : 0);
