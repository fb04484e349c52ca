// pki6 — a minimal DER reader: just enough X.509 and CRL structure for the hand checks
// Node's X509Certificate does not expose (BasicConstraints, KeyUsage, every CN, the
// signature algorithm, a CRL's serials and dates).
import crypto from 'node:crypto';

export class DerError extends Error {}

export function read(buf, off = 0) {
  if (off + 2 > buf.length) throw new DerError('truncated DER');
  const tag = buf[off];
  let len = buf[off + 1];
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i];
    hdr = 2 + n;
  }
  const start = off + hdr;
  const end = start + len;
  if (end > buf.length) throw new DerError('DER overruns');
  return { tag, start, end, off };
}

export function children(buf, node) {
  const out = [];
  let o = node.start;
  while (o < node.end) {
    const c = read(buf, o);
    out.push(c);
    o = c.end;
  }
  return out;
}

export function oid(buf, node) {
  const b = buf.subarray(node.start, node.end);
  const parts = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function bigint(buf, node) {
  const hex = buf.subarray(node.start, node.end).toString('hex');
  return hex ? BigInt('0x' + hex) : 0n;
}

function time(buf, node) {
  const s = buf.subarray(node.start, node.end).toString('latin1');
  const m = node.tag === 0x17
    ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)
    : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new DerError('bad time');
  let year = Number(m[1]);
  if (node.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export const OID = {
  cn: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  eku: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaSha256: '1.2.840.10045.4.3.2',
};

/** The parts of a certificate the hand checks need. */
export function parseCertificate(der) {
  const top = read(der, 0);
  const [tbs, sigAlg] = children(der, top);
  const t = children(der, tbs);
  let i = 0;
  let version = 0;
  if (t[0].tag === 0xa0) {
    const v = children(der, t[0])[0];
    version = Number(bigint(der, v));
    i = 1;
  }
  const subject = t[i + 4];
  const cns = [];
  for (const rdn of children(der, subject)) {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv);
      if (oid(der, type) === OID.cn) cns.push(der.subarray(value.start, value.end).toString('utf8'));
    }
  }
  const ext = {};
  for (const n of t.slice(i + 6)) {
    if (n.tag !== 0xa3) continue;
    for (const e of children(der, children(der, n)[0])) {
      const parts = children(der, e);
      const id = oid(der, parts[0]);
      const critical = parts.length === 3 && der[parts[1].start] !== 0;
      const value = parts[parts.length - 1];
      ext[id] = { critical, der: der.subarray(value.start, value.end) };
    }
  }
  const out = {
    version: version + 1,
    sigAlg: oid(der, children(der, sigAlg)[0]),
    cns,
    basicConstraints: undefined,
    keyUsageDigitalSignature: undefined,
    eku: undefined,
  };
  if (ext[OID.basicConstraints]) {
    const b = ext[OID.basicConstraints].der;
    const s = read(b, 0);
    const c = children(b, s);
    out.basicConstraints = { ca: c.length > 0 && c[0].tag === 0x01 && b[c[0].start] !== 0 };
  }
  if (ext[OID.keyUsage]) {
    const b = ext[OID.keyUsage].der;
    const s = read(b, 0);
    out.keyUsageDigitalSignature = s.end - s.start >= 2 && (b[s.start + 1] & 0x80) !== 0;
  }
  if (ext[OID.eku]) {
    const b = ext[OID.eku].der;
    out.eku = children(b, read(b, 0)).map((n) => oid(b, n));
  }
  return out;
}

/** A CRL: its serials, dates, and whether the root's key signed it. */
export function parseCrl(der, rootPublicKey) {
  const top = read(der, 0);
  const [tbs, sigAlg, sig] = children(der, top);
  const t = children(der, tbs);
  let i = 0;
  if (t[0].tag === 0x02) i = 1;
  const thisUpdate = time(der, t[i + 2]);
  let nextUpdate;
  let j = i + 3;
  if (t[j] && (t[j].tag === 0x17 || t[j].tag === 0x18)) {
    nextUpdate = time(der, t[j]);
    j++;
  }
  const serials = [];
  if (t[j] && t[j].tag === 0x30) {
    for (const entry of children(der, t[j])) serials.push(bigint(der, children(der, entry)[0]));
  }
  const alg = oid(der, children(der, sigAlg)[0]);
  if (alg !== OID.sha256WithRSA && alg !== OID.ecdsaSha256) throw new DerError('CRL not SHA-256');
  const signature = der.subarray(sig.start + 1, sig.end); // BIT STRING: skip unused-bits byte
  const ok = crypto.verify('sha256', der.subarray(tbs.off, tbs.end), rootPublicKey, signature);
  if (!ok) throw new DerError('CRL signature does not verify with the root');
  return { thisUpdate, nextUpdate, serials };
}
