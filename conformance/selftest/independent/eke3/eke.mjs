// sft-eke/1 cryptography (SPEC §5.1–§5.5) on node:crypto and BigInt.
import crypto from 'node:crypto';
import { fault } from './faults.mjs';

export const P = BigInt(
  '0x' +
    `FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1 D8B9C583 CE2D3695
    A9E13641 146433FB CC939DCE 249B3EF9 7D2FE363 630C75D8 F681B202 AEC4617A
    D3DF1ED5 D5FD6561 2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
    984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735 30ACCA4F 483A797A
    BC0AB182 B324FB61 D108A94B B2C8E3FB B96ADAB7 60D7F468 1D4F42A3 DE394DF4
    AE56EDE7 6372BB19 0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
    9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73 3BB5FCBC 2EC22005
    C58EF183 7D1683B2 C6F34A26 C1B2EFFA 886B4238 611FCFDC DE355B3B 6519035B
    BC34F4DE F99C0238 61B46FC9 D6E6C907 7AD91D26 91F7F7EE 598CB0FA C186D91C
    AEFE1309 85139270 B4130C93 BC437944 F4FD4452 E2D74DD3 64F2E21E 71F54BFF
    5CAE82AB 9C9DF69E E86D2BC5 22363A0D ABC52197 9B0DEADA 1DBF9A42 D5C4484E
    0ABCD06B FA53DDEF 3C1B20EE 3FD59D7C 25E41D2B 66C62E37 FFFFFFFF FFFFFFFF`.replace(/\s+/g, ''),
);
export const Q = (P - 1n) / 2n;
export const G = 2n;
export const K = 384;

export function i2osp(n, k = K) {
  return Buffer.from(n.toString(16).padStart(k * 2, '0'), 'hex');
}
export function os2ip(b) {
  return b.length ? BigInt('0x' + b.toString('hex')) : 0n;
}

export function modpow(base, exp, mod) {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

function jacobi(a0, n0) {
  let a = a0 % n0;
  let n = n0;
  let t = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) t = -t;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = -t;
    a %= n;
  }
  return n === 1n ? t : 0;
}

function randomBelowP() {
  for (;;) {
    const r = os2ip(crypto.randomBytes(K));
    if (r > 1n && r < P - 1n) return r;
  }
}

/** Whether v is a quadratic residue mod p, blinded by a fresh r² (EKE-SEC-4). */
export function isResidue(v) {
  const r = randomBelowP();
  return jacobi((v * ((r * r) % P)) % P, P) === 1;
}

/** EKE-X-1: a fresh exponent of 321 bits (320 random bits and bit 320 set). */
export function drawExponent() {
  return os2ip(crypto.randomBytes(40)) | (1n << 320n);
}

/** EKE-X-2: X' = X or p - X by a fresh random bit. */
export function hideSign(X) {
  if (fault('x-no-sign')) return X;
  return crypto.randomBytes(1)[0] & 1 ? P - X : X;
}

/** EKE-X-3: { ok, X } — X recovered from X', ok false on 0, 1, p-1, >= p. */
export function recover(Xp) {
  if (fault('x-upper-bound-unchecked')) {
    // 0, 1 and p-1 refused; the bound X' < p forgotten (BigInt arithmetic reduces it).
    const v = Xp === 0n ? 2n : Xp % P;
    return { ok: !(Xp <= 1n || Xp === P - 1n), X: isResidue(v) ? v : P - v };
  }
  const ok = !(Xp <= 1n || Xp >= P - 1n);
  const v = Xp >= P || Xp === 0n ? 2n : Xp; // keep computing on an invalid value
  const X = (fault('b25_jacobi-unblinded') ? jacobi(v, P) === 1 : isResidue(v)) ? v : P - v;
  return { ok, X };
}

export function passwordKey(user, password) {
  const u = Buffer.from(user, 'utf8');
  const salt = Buffer.concat([Buffer.from('sft-eke/1'), u16(u.length), u]);
  return crypto.scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

export function fakeKey(serverSecret, userBytes) {
  return crypto.createHmac('sha256', serverSecret).update(Buffer.concat([Buffer.from('sft-eke/1 fake'), userBytes])).digest();
}

function u16(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function feistelF(pw, i, h) {
  return crypto
    .createHash('shake256', { outputLength: 192 })
    .update(Buffer.concat([Buffer.from('sft-eke/1 feistel'), pw, Buffer.from([i]), h]))
    .digest();
}

function xor(a, b) {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** EKE-FEI-1 */
export function encryptPw(pw, block) {
  let L = block.subarray(0, 192);
  let R = block.subarray(192, 384);
  for (let i = 0; i < 14; i++) [L, R] = [R, xor(L, feistelF(pw, i, R))];
  return Buffer.concat([L, R]);
}

/** EKE-FEI-2 */
export function decryptPw(pw, block) {
  let L = block.subarray(0, 192);
  let R = block.subarray(192, 384);
  for (let i = 13; i >= 0; i--) [L, R] = [xor(R, feistelF(pw, i, L)), L];
  return Buffer.concat([L, R]);
}

/** EKE-KS-1 */
export function transcriptHash(userBytes, A, B) {
  return crypto
    .createHash('sha256')
    .update(Buffer.concat([Buffer.from('sft-eke/1 transcript'), u16(userBytes.length), userBytes, A, B]))
    .digest();
}

/** EKE-KS-3: every key from Z and th. */
export function deriveKeys(Z, th) {
  const prk = crypto.createHmac('sha256', th).update(Z).digest();
  // crypto.hkdfSync always extracts first; expand from our PRK by hand (RFC 5869 §2.3).
  const hkdfExpand = (info, len) => {
    const out = [];
    let t = Buffer.alloc(0);
    for (let i = 1; out.reduce((s, b) => s + b.length, 0) < len; i++) {
      t = crypto.createHmac('sha256', prk).update(Buffer.concat([t, Buffer.from(info), Buffer.from([i])])).digest();
      out.push(t);
    }
    return Buffer.concat(out).subarray(0, len);
  };
  return {
    prk,
    kcs: hkdfExpand('sft-eke/1 confirm s', 32),
    kcc: hkdfExpand('sft-eke/1 confirm c', 32),
    keyC2s: hkdfExpand('sft-eke/1 key c2s', 32),
    ivC2s: hkdfExpand('sft-eke/1 iv c2s', 12),
    keyS2c: hkdfExpand('sft-eke/1 key s2c', 32),
    ivS2c: hkdfExpand('sft-eke/1 iv s2c', 12),
  };
}

export function nonce(n) {
  const b = Buffer.alloc(12);
  b[11] = n;
  return b;
}

export function seal(key, iv, plaintext, ad) {
  const c = crypto.createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  c.setAAD(ad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** AES-256-GCM open; null when it does not authenticate. */
export function open(key, iv, sealed, ad) {
  if (sealed.length < 16) return null;
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    d.setAAD(ad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

/** Shared secret, or null when Z is 0, 1 or p-1 (EKE-KS-2). */
export function sharedSecret(peer, x) {
  const z = modpow(peer, x, P);
  if (z <= 1n || z === P - 1n) return null;
  return i2osp(z);
}

const AES_BLOCK_LIMIT = 1n << 34n;

/** One direction of the record layer (EKE-REC-2, EKE-REC-3, EKE-REC-7). */
export class RecordDirection {
  static sharedSeq = 0n; // the fault r3-seq-static
  constructor(key, iv) {
    this.key = key;
    this.iv = iv;
    this.ownSeq = 0n;
    this.blocks = 0n;
  }
  get seq() {
    return fault('r3-seq-static') ? RecordDirection.sharedSeq : this.ownSeq;
  }
  set seq(v) {
    if (fault('r3-seq-static')) RecordDirection.sharedSeq = v;
    else this.ownSeq = v;
  }
  nonce() {
    const n = Buffer.from(this.iv);
    const s = Buffer.alloc(8);
    if (fault('r3-nonce-seq-le')) s.writeBigUInt64LE(this.seq);
    else s.writeBigUInt64BE(this.seq);
    for (let i = 0; i < 8; i++) n[4 + i] ^= s[i];
    return n;
  }
  account(innerLength) {
    if (this.seq > (1n << 64n) - 1n) throw new Error('record sequence number exhausted');
    this.blocks += BigInt(Math.ceil(innerLength / 16)) + 1n;
    if (this.blocks > AES_BLOCK_LIMIT) throw new Error('AES-GCM usage limit reached');
  }
  /** The whole record bytes for one inner frame. */
  sealRecord(inner) {
    this.account(inner.length);
    const header = Buffer.alloc(8);
    header.write('RECD', 0, 'latin1');
    header.writeUInt32BE(inner.length + 16, 4);
    const c = seal(this.key, this.nonce(), inner, fault('r3-record-ad-type-only') ? header.subarray(0, 4) : header);
    this.seq += 1n;
    return Buffer.concat([header, c]);
  }
  /** The inner plaintext, or null when the record does not authenticate. */
  openRecord(header, body) {
    this.account(Math.max(0, body.length - 16));
    let plain = open(this.key, this.nonce(), body, fault('r3-record-ad-type-only') ? header.subarray(0, 4) : header);
    // The faults b25_(cli-)rec-ad-legacy-fallback: "a draft peer sealed with AD = 'RECD'".
    if (plain === null && (fault('b25_rec-ad-legacy-fallback') || fault('b25_cli-rec-ad-legacy-fallback'))) plain = open(this.key, this.nonce(), body, header.subarray(0, 4));
    if (plain === null && fault('b25_cli-rec-ad-empty-fallback')) plain = open(this.key, this.nonce(), body, Buffer.alloc(0));
    if (plain !== null) this.seq += 1n;
    return plain;
  }
}

export function equalBytes(a, b) {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
