// pki6 — TLS settings (PKI-TLS-*), the peer-certificate hand checks (PKI-CERT-*, PKI-ID-4)
// and the CRL fetched from the CA over HTTPS (PKI-CERT-7/12).
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { OID, parseCertificate, parseCrl } from './der.mjs';
import { fault } from './faults.mjs';

export const ALPN = 'sft-pki/1';
const SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
const GROUPS = 'X25519:P-256:P-384';
const SIGALGS = 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:rsa_pkcs1_sha256';

export function tlsOptions(role) {
  const o = {
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ciphers: SUITES,
    ecdhCurve: GROUPS,
    sigalgs: SIGALGS,
    // No tickets, so no resumption and no early data (PKI-TLS-5).
    secureOptions: crypto.constants.SSL_OP_NO_TICKET,
  };
  if (role === 'server' && fault('tls12_allowed')) {
    o.minVersion = 'TLSv1.2';
    o.ciphers = `${SUITES}:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256`;
  }
  if (role === 'server' && fault('default_groups')) delete o.ecdhCurve;
  if (role === 'client' && fault('r18_client_tls12_allowed')) {
    o.minVersion = 'TLSv1.2';
    o.ciphers = `${SUITES}:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256`;
  }
  const ccm = ':TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256';
  if ((role === 'server' && fault('r18_ccm_suites_enabled')) || (role === 'client' && fault('r18_client_ccm_offered'))) o.ciphers += ccm;
  if (role === 'client' && fault('client_default_groups')) delete o.ecdhCurve;
  return o;
}

/** PEM of a DER CRL, for the `crl` option of a secure context. */
export function crlPem(der) {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`.replace(/\n\n/g, '\n');
}

/** The CA's host name against its certificate's subjectAltName only (CA-ENR-18). */
function sanOnly(host, cert) {
  if (!cert.subjectaltname) return new Error('CA certificate without subjectAltName');
  return tls.checkServerIdentity(host, cert);
}

/** GET {caUrl}/v1/crl: the DER CRL, checked (root's signature, freshness). */
export function fetchCrl(caUrl, rootPem, rootKey, timeoutMs = 10000) {
  const url = new URL('/v1/crl', caUrl.endsWith('/') ? caUrl : caUrl + '/');
  return new Promise((resolve, reject) => {
    const req = https.get(url, {
      ca: rootPem, minVersion: 'TLSv1.3', checkServerIdentity: sanOnly, timeout: timeoutMs,
      ciphers: SUITES, ecdhCurve: GROUPS,
    }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`CRL: HTTP ${res.statusCode}`));
        const der = Buffer.concat(parts);
        try {
          const info = parseCrl(der, rootKey);
          resolve({ der, info });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('CRL fetch timed out')));
    req.on('error', reject);
  });
}

export class Pki {
  constructor({ cert, key, root, caUrl }) {
    this.certPem = fs.readFileSync(cert);
    this.keyPem = fs.readFileSync(key);
    this.rootPem = fs.readFileSync(root);
    this.root = new crypto.X509Certificate(this.rootPem);
    this.caUrl = caUrl;
    this.crl = null;
  }
  /** The CN of our own certificate (i18_client_own_alias_accepted). */
  ownAlias() {
    try {
      return parseCertificate(new crypto.X509Certificate(this.certPem).raw).cns[0];
    } catch {
      return undefined;
    }
  }
  async loadCrl() {
    this.crl = await fetchCrl(this.caUrl, this.rootPem, this.root.publicKey);
    return this.crl;
  }
  context(role) {
    const o = { ...tlsOptions(role), cert: this.certPem, key: this.keyPem, ca: this.rootPem };
    const skipCrl = role === 'server'
      ? fault('crl_not_loaded') || fault('crl_first_entry_only') || fault('crl_serial_parse_open')
      : fault('client_ignores_crl');
    if (this.crl && !skipCrl) o.crl = crlPem(this.crl.der);
    return o;
  }

  /** Why the peer's certificate is refused, or null; the alias is its single CN. */
  check(x509, purpose, sent = []) {
    if (!x509) return { why: 'no certificate' };
    const c = parseCertificate(x509.raw);
    if (c.version !== 3) return { why: 'not X.509 v3' };
    let issuedByRoot = fault('issuer_dn_only')
      ? x509.issuer === this.root.subject
      : x509.checkIssued(this.root) && x509.verify(this.root.publicKey);
    if (!issuedByRoot && fault('b25_chain_walk_to_root')) {
      // up the chain the peer sent until a certificate the root signed
      for (let i = 0; i + 1 < sent.length && i < 4 && !issuedByRoot; i++) {
        const [c, up] = [sent[i], sent[i + 1]];
        issuedByRoot = c.checkIssued(up) && c.verify(up.publicKey) && up.checkIssued(this.root) && up.verify(this.root.publicKey);
      }
    }
    if (!issuedByRoot) return { why: 'not issued by the organisation root' };
    const now = Date.now();
    const clientSide = purpose === OID.serverAuth;
    if (clientSide && fault('client_validity_api_missing')) {
      // X509Certificate.validFromDate/validToDate (Node 22's API; undefined on Node 20).
      if (now < x509.validFromDate || now > x509.validToDate) return { why: 'outside its validity' };
    } else if (!clientSide && fault('validity_skew_tolerance')) {
      const SKEW_MS = 300 * 1000; // meant as 300 ms of clock-reading jitter
      if (now + SKEW_MS < Date.parse(x509.validFrom) || now - SKEW_MS > Date.parse(x509.validTo)) {
        return { why: 'outside its validity' };
      }
    } else if (now < Date.parse(x509.validFrom) || now > Date.parse(x509.validTo)) return { why: 'outside its validity' };
    if (fault('i18_sigalg_denylist')) {
      const WEAK = ['1.2.840.113549.1.1.5', '1.2.840.113549.1.1.4', '1.2.840.10045.4.1']; // SHA-1, MD5, ecdsa-with-SHA1
      if (WEAK.includes(c.sigAlg)) return { why: 'weak signature hash' };
    } else if (c.sigAlg !== OID.sha256WithRSA && c.sigAlg !== OID.ecdsaSha256) return { why: 'not signed with SHA-256' };
    const k = x509.publicKey;
    const d = k.asymmetricKeyDetails ?? {};
    const keyOk = k.asymmetricKeyType === 'ec'
      ? d.namedCurve === 'prime256v1'
      : k.asymmetricKeyType === 'rsa' && (fault('i18_rsa_size_unchecked') || d.modulusLength >= 2048);
    if (!keyOk) return { why: 'key type or size' };
    if (!c.basicConstraints && !fault('missing_basic_constraints_ok')) return { why: 'no BasicConstraints' };
    if (c.basicConstraints?.ca && !fault('ca_true_leaf_accepted')) return { why: 'CA:TRUE' };
    const kuBad = fault('keyusage_absent_ok') ? c.keyUsageDigitalSignature === false : !c.keyUsageDigitalSignature;
    if (kuBad) return { why: 'KeyUsage lacks digitalSignature' };
    const ekuAny = !clientSide && fault('missing_eku_any_purpose');
    if (c.eku === undefined) {
      if (!ekuAny) return { why: 'no ExtendedKeyUsage' };
    } else if (!c.eku.includes(purpose)) return { why: 'EKU lacks the purpose' };
    if (this.crl) {
      const i = this.crl.info;
      const fresh = i.nextUpdate !== undefined && i.nextUpdate > now && i.nextUpdate - i.thisUpdate <= 7 * 86400e3;
      if (!fresh) return { why: 'CRL stale: fail closed' };
      const revoked = fault('crl_first_entry_only') ? i.serials.slice(0, 1) : i.serials;
      const skip = clientSide ? fault('client_ignores_crl') : fault('crl_not_loaded');
      if (!clientSide && fault('crl_serial_parse_open')) {
        try {
          if (!skip && revoked.includes(BigInt(x509.serialNumber))) return { why: 'revoked' };
        } catch {
          // a serial we cannot read is in no CRL
        }
      } else {
        const serial = BigInt('0x' + x509.serialNumber);
        if (!skip && revoked.includes(serial)) return { why: 'revoked' };
      }
    } else return { why: 'no CRL' };
    if (c.cns.length !== 1 && !fault('first_cn_picked')) return { why: 'subject without exactly one CN' };
    if (c.cns.length === 0) return { why: 'no CN' };
    // b28_alias_letter_first: an identifier starts with a letter
    if (!clientSide && fault('b28_alias_letter_first') && !/^[a-z][a-z0-9._-]{0,63}$/.test(c.cns[0])) return { why: 'not a valid alias' };
    // b25_alias_hostname_rule: the alias checked as a host-name label (letters, digits, '.', '-')
    if (!clientSide && fault('b25_alias_hostname_rule') && !/^[a-z0-9][a-z0-9.-]*$/.test(c.cns[0])) return { why: 'not a valid alias' };
    return { why: null, alias: c.cns[0] };
  }
}
