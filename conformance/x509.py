"""A small X.509 v3 certificate and CRL builder for the suite's lab mode (docs/SPEC.md §4.2).

In lab mode the suite holds the organisation root's key and mints every certificate a
test needs, good and bad: a valid employee certificate, expired, not yet valid, issued
by a foreign CA, self-signed, without clientAuth or serverAuth, a CA:TRUE leaf, and a
revoked one with the root-signed CRL that lists it. Built with pycryptodome's DER
tools (`Crypto.Util.asn1`) and signatures (ECDSA P-256 in DER form via
`Crypto.Signature.DSS`, RSA PKCS#1 v1.5), independently of the reference's
`cryptography`-based CA; `conformance/unit/test_x509.py` checks that OpenSSL parses
every output.

Only what the suite needs is implemented: names are a single CN (plus an optional O),
extensions are the ones PKI-CERT-1/8 talk about.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from Crypto.Hash import SHA1, SHA256, SHA384
from Crypto.PublicKey import ECC, RSA
from Crypto.Signature import DSS, pkcs1_15
from Crypto.Util.asn1 import (
    DerBoolean,
    DerInteger,
    DerObject,
    DerObjectId,
    DerOctetString,
    DerSequence,
    DerSetOf,
)

__all__ = [
    "EKU_CLIENT_AUTH",
    "EKU_SERVER_AUTH",
    "EKU_ANY",
    "KeyPair",
    "Certificate",
    "CertificateAuthority",
    "CertProfile",
    "LabPKI",
    "CertificateInfo",
    "read_certificate",
    "pem_encode",
    "pem_decode",
]

EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
EKU_ANY = "2.5.29.37.0"  # anyExtendedKeyUsage: still "lacks clientAuth" (PKI-CERT-5)

_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
_RSA_SHA256 = "1.2.840.113549.1.1.11"
_ECDSA_SHA1 = "1.2.840.10045.4.1"
_RSA_SHA1 = "1.2.840.113549.1.1.5"
_ECDSA_SHA384 = "1.2.840.10045.4.3.3"
_RSA_SHA384 = "1.2.840.113549.1.1.12"
# Signature algorithm OIDs by (RSA?, hash): the suite signs SHA-256 unless a test asks
# for SHA-1 (a certificate the target must refuse, PKI-CERT-9).
_SIGNATURE_OIDS = {
    (False, "sha256"): _ECDSA_SHA256,
    (True, "sha256"): _RSA_SHA256,
    (False, "sha1"): _ECDSA_SHA1,
    (True, "sha1"): _RSA_SHA1,
    # SHA-384: strong, but not PKI-CERT-1's SHA-256 ("any SHA-2 will do" is the bug).
    (False, "sha384"): _ECDSA_SHA384,
    (True, "sha384"): _RSA_SHA384,
}
SignatureHash = Literal["sha256", "sha1", "sha384"]
_CN = "2.5.4.3"
_O = "2.5.4.10"
_SKI = "2.5.29.14"
_KEY_USAGE = "2.5.29.15"
_SAN = "2.5.29.17"
_BASIC_CONSTRAINTS = "2.5.29.19"
_CRL_NUMBER = "2.5.29.20"
_AKI = "2.5.29.35"
_EKU = "2.5.29.37"

# KeyUsage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit.
_KU_BITS = {
    "digitalSignature": 0,
    "keyEncipherment": 2,
    "keyAgreement": 4,
    "keyCertSign": 5,
    "cRLSign": 6,
}


# --- DER helpers (tags the asn1 module has no class for) ----------------------------------


def _prim(tag: int, content: bytes) -> bytes:
    """A primitive element; tags 0x80.. are context-specific ([n] IMPLICIT)."""
    if tag & 0x80:
        return bytes(DerObject(0, content, implicit=tag & 0x1F).encode())
    return bytes(DerObject(tag, content).encode())


def _context(number: int, inner: bytes) -> bytes:
    """An EXPLICIT [number] wrapper around an already encoded element."""
    return bytes(DerObject(0, inner, implicit=number, constructed=True).encode())


def _seq(*items: bytes) -> bytes:
    return bytes(DerSequence(list(items)).encode())


def _oid(dotted: str) -> bytes:
    return bytes(DerObjectId(dotted).encode())


def _int(value: int) -> bytes:
    return bytes(DerInteger(value).encode())


def _bit_string_named(bits: Sequence[int]) -> bytes:
    """A named-bit BIT STRING in DER form: trailing zero bits dropped (X.690 §11.2.2)."""
    if not bits:
        return _prim(0x03, b"\x00")
    highest = max(bits)
    nbytes = highest // 8 + 1
    value = bytearray(nbytes)
    for bit in bits:
        value[bit // 8] |= 0x80 >> (bit % 8)
    unused = 7 - (highest % 8)
    return _prim(0x03, bytes([unused]) + bytes(value))


def _time(when: dt.datetime) -> bytes:
    """UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5)."""
    when = when.astimezone(dt.UTC)
    if 1950 <= when.year < 2050:
        return _prim(0x17, when.strftime("%y%m%d%H%M%SZ").encode())
    return _prim(0x18, when.strftime("%Y%m%d%H%M%SZ").encode())


def _name(
    common_name: str, organisation: str | None = None, cns: tuple[str, ...] | None = None
) -> bytes:
    """O (optional), then the CN; `cns` replaces the CN by several CN RDNs, in order."""
    rdns = []
    if organisation:
        rdns.append(_rdn(_O, organisation))
    rdns += [_rdn(_CN, cn) for cn in (cns if cns is not None else (common_name,))]
    return _seq(*rdns)


def _rdn(oid: str, value: str) -> bytes:
    attribute = _seq(_oid(oid), _prim(0x0C, value.encode("utf-8")))
    return bytes(DerSetOf([attribute]).encode())


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    parts = [_oid(oid)]
    if critical:
        parts.append(bytes(DerBoolean(True).encode()))
    parts.append(bytes(DerOctetString(value).encode()))
    return _seq(*parts)


def pem_encode(der: bytes, label: str) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def pem_decode(text: str | bytes, label: str = "CERTIFICATE") -> bytes:
    """The DER of the first PEM block with the given label."""
    source = text.decode("ascii") if isinstance(text, bytes) else text
    match = re.search(
        rf"-----BEGIN {label}-----(.*?)-----END {label}-----", source, flags=re.DOTALL
    )
    if match is None:
        raise ValueError(f"no PEM block {label!r}")
    return base64.b64decode("".join(match.group(1).split()))


# --- keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    """A private key (ECDSA P-256 or RSA) and what certificates need from it."""

    key: Any  # Crypto.PublicKey.ECC.EccKey | Crypto.PublicKey.RSA.RsaKey

    @classmethod
    def generate(
        cls, kind: Literal["ec", "rsa"] = "ec", *, rsa_bits: int = 2048, curve: str = "P-256"
    ) -> KeyPair:
        if kind == "rsa":
            return cls(RSA.generate(rsa_bits))
        return cls(ECC.generate(curve=curve))

    @classmethod
    def from_pem(cls, pem: str | bytes) -> KeyPair:
        text = pem.decode("ascii") if isinstance(pem, bytes) else pem
        if "RSA" in text.split("\n", 1)[0]:
            return cls(RSA.import_key(text))
        try:
            return cls(ECC.import_key(text))
        except ValueError:
            return cls(RSA.import_key(text))

    @property
    def is_rsa(self) -> bool:
        return isinstance(self.key, RSA.RsaKey)

    def public_der(self) -> bytes:
        """SubjectPublicKeyInfo."""
        return bytes(self.key.public_key().export_key(format="DER"))

    def private_pem(self) -> str:
        if self.is_rsa:
            return str(self.key.export_key(format="PEM", pkcs=8).decode("ascii"))
        return str(self.key.export_key(format="PEM"))

    def key_id(self) -> bytes:
        """SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1)."""
        _, bit_string, _ = _split(_children(_split(self.public_der())[1])[1])
        # Skip the BIT STRING's unused-bits octet.
        return bytes(SHA1.new(bit_string[1:]).digest())

    def algorithm(self, digest: SignatureHash = "sha256") -> bytes:
        oid = _SIGNATURE_OIDS[(self.is_rsa, digest)]
        if self.is_rsa:
            return _seq(_oid(oid), b"\x05\x00")
        return _seq(_oid(oid))

    def sign(self, data: bytes, digest_name: SignatureHash = "sha256") -> bytes:
        digest = {"sha256": SHA256, "sha1": SHA1, "sha384": SHA384}[digest_name].new(data)
        if self.is_rsa:
            return bytes(pkcs1_15.new(self.key).sign(digest))
        # FIPS 186-3 mode refuses SHA-1 with P-256; RFC 6979 signs any hash (SHA-1
        # only for the certificates a target must refuse).
        if digest_name == "sha256":
            return bytes(DSS.new(self.key, "fips-186-3", encoding="der").sign(digest))
        return bytes(DSS.new(self.key, "deterministic-rfc6979", encoding="der").sign(digest))


def _signed(tbs: bytes, signer: KeyPair, digest: SignatureHash = "sha256") -> bytes:
    signature = signer.sign(tbs, digest)
    return _seq(tbs, signer.algorithm(digest), _prim(0x03, b"\x00" + signature))


# --- certificates -------------------------------------------------------------------------


@dataclass(frozen=True)
class CertProfile:
    """What goes into a certificate; the defaults are a valid employee cert (PKI-CERT-1)."""

    common_name: str
    organisation: str | None = None
    days_before: float = 1.0  # notBefore = now - days_before (negative: not yet valid)
    days_after: float = 30.0  # notAfter = now + days_after (negative: expired)
    ca: bool = False
    path_len: int | None = None
    key_usage: tuple[str, ...] = ("digitalSignature",)
    eku: tuple[str, ...] | None = (EKU_CLIENT_AUTH, EKU_SERVER_AUTH)
    dns_names: tuple[str, ...] = ()
    serial: int | None = None
    signature_hash: SignatureHash = "sha256"
    # Several CN RDNs in this order instead of the one `common_name` (an ambiguous
    # subject, PKI-ID-4); `common_name` then only names the certificate for the suite.
    subject_cns: tuple[str, ...] | None = None
    # BasicConstraints present (PKI-CERT-9 refuses a certificate without it) and critical
    # (a CA:TRUE that is not critical must be refused too: PKI-CERT-6).
    basic_constraints: bool = True
    basic_constraints_critical: bool = True


@dataclass(frozen=True)
class Certificate:
    """A minted certificate with its private key."""

    der: bytes
    key: KeyPair
    serial: int
    common_name: str
    # Intermediate certificates (PEM) sent after this one, e.g. a sub-CA the root's
    # pathlen 0 forbids (PKI-CERT-4/8).
    chain: tuple[str, ...] = ()

    @classmethod
    def load(cls, cert_pem: str | bytes, key_pem: str | bytes) -> Certificate:
        """A certificate and key from files (e.g. a target's declared identity)."""
        der = pem_decode(cert_pem)
        tbs = _children(_split(_children(_split(der)[1])[0])[1])
        serial = int.from_bytes(_split(tbs[1])[1], "big")
        return cls(der, KeyPair.from_pem(key_pem), serial, _common_name(tbs[5]) or "")

    @property
    def pem(self) -> str:
        return pem_encode(self.der, "CERTIFICATE")

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Writes `stem.pem` (certificate and its chain) and `stem.key` (mode 0600)."""
        cert_path = directory / f"{stem}.pem"
        key_path = directory / f"{stem}.key"
        cert_path.write_text(self.pem + "".join(self.chain))
        key_path.touch(mode=0o600)
        key_path.write_text(self.key.private_pem())
        return cert_path, key_path


def _tbs_certificate(
    profile: CertProfile,
    subject_key: KeyPair,
    issuer_name: bytes,
    issuer_key_id: bytes | None,
    signer: KeyPair,
    now: dt.datetime,
) -> tuple[bytes, int]:
    serial = profile.serial if profile.serial is not None else secrets.randbits(96) | (1 << 95)
    extensions = []
    constraints = [bytes(DerBoolean(True).encode())] if profile.ca else []
    if profile.ca and profile.path_len is not None:
        constraints.append(_int(profile.path_len))
    if profile.basic_constraints:
        extensions.append(
            _extension(
                _BASIC_CONSTRAINTS, _seq(*constraints), critical=profile.basic_constraints_critical
            )
        )
    if profile.key_usage:
        bits = [_KU_BITS[name] for name in profile.key_usage]
        extensions.append(_extension(_KEY_USAGE, _bit_string_named(bits), critical=True))
    if profile.eku is not None:
        extensions.append(_extension(_EKU, _seq(*(_oid(o) for o in profile.eku))))
    if profile.dns_names:
        names = [_prim(0x82, n.encode("ascii")) for n in profile.dns_names]
        extensions.append(_extension(_SAN, _seq(*names)))
    extensions.append(_extension(_SKI, bytes(DerOctetString(subject_key.key_id()).encode())))
    if issuer_key_id is not None:
        # keyIdentifier is [0] IMPLICIT OCTET STRING.
        extensions.append(_extension(_AKI, _seq(_prim(0x80, issuer_key_id))))
    tbs = _seq(
        _context(0, _int(2)),
        _int(serial),
        signer.algorithm(profile.signature_hash),
        issuer_name,
        _seq(
            _time(now - dt.timedelta(days=profile.days_before)),
            _time(now + dt.timedelta(days=profile.days_after)),
        ),
        _name(profile.common_name, profile.organisation, profile.subject_cns),
        subject_key.public_der(),
        _context(3, _seq(*extensions)),
    )
    return tbs, serial


@dataclass
class CertificateAuthority:
    """A root (or a foreign root) that issues certificates and CRLs."""

    certificate: Certificate
    name_der: bytes
    key_id: bytes | None
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    crl_number: int = 1

    @property
    def key(self) -> KeyPair:
        return self.certificate.key

    @classmethod
    def create(
        cls, common_name: str = "sft conformance lab root", *, key_kind: Literal["ec", "rsa"] = "ec"
    ) -> CertificateAuthority:
        """A new root: CA:TRUE pathlen 0, keyCertSign and cRLSign (PKI-CERT-8)."""
        key = KeyPair.generate(key_kind)
        profile = CertProfile(
            common_name=common_name,
            days_before=1,
            days_after=3650,
            ca=True,
            path_len=0,
            key_usage=("keyCertSign", "cRLSign"),
            eku=None,
        )
        name = _name(common_name)
        tbs, serial = _tbs_certificate(profile, key, name, key.key_id(), key, _now())
        cert = Certificate(_signed(tbs, key), key, serial, common_name)
        return cls(cert, name, key.key_id())

    @classmethod
    def load(cls, cert_pem: str | bytes, key_pem: str | bytes) -> CertificateAuthority:
        """An existing root (lab mode, `--root` and `--ca-key`)."""
        der = pem_decode(cert_pem)
        key = KeyPair.from_pem(key_pem)
        tbs = _children(_split(_children(_split(der)[1])[0])[1])
        # TBSCertificate: [0] version, serial, signature, issuer, validity, subject, spki, ...
        subject = tbs[5]
        key_id = _find_extension(tbs, _SKI)
        ski = _split(key_id)[1] if key_id else None
        serial = int.from_bytes(_split(tbs[1])[1], "big")
        common_name = _common_name(subject) or "root"
        return cls(Certificate(der, key, serial, common_name), subject, ski)

    def issue(
        self, profile: CertProfile, *, key: KeyPair | None = None, now: dt.datetime | None = None
    ) -> Certificate:
        subject_key = key or KeyPair.generate()
        tbs, serial = _tbs_certificate(
            profile, subject_key, self.name_der, self.key_id, self.key, now or _now()
        )
        signed = _signed(tbs, self.key, profile.signature_hash)
        return Certificate(signed, subject_key, serial, profile.common_name)

    def revoke(self, cert: Certificate, when: dt.datetime | None = None) -> None:
        self.revoked[cert.serial] = when or _now() - dt.timedelta(minutes=5)

    def crl_der(
        self,
        *,
        next_update_days: float = 7.0,
        now: dt.datetime | None = None,
        this_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
        omit_next_update: bool = False,
    ) -> bytes:
        """A v2 CRL signed by this CA listing every revoked serial (CA-ENR-8 shape), in
        increasing serial order.

        thisUpdate is `this_update` (default: `now` - 10 minutes); nextUpdate is
        `next_update` (default: `now` + `next_update_days`), or left out altogether with
        `omit_next_update` (it is OPTIONAL in RFC 5280's ASN.1: PKI-CERT-12's fail-closed
        cases)."""
        moment = now or _now()
        entries = [_seq(_int(s), _time(when)) for s, when in sorted(self.revoked.items())]
        extensions = [_extension(_CRL_NUMBER, _int(self.crl_number))]
        if self.key_id is not None:
            extensions.insert(0, _extension(_AKI, _seq(_prim(0x80, self.key_id))))
        parts = [
            _int(1),
            self.key.algorithm(),
            self.name_der,
            _time(this_update or moment - dt.timedelta(minutes=10)),
        ]
        if not omit_next_update:
            parts.append(_time(next_update or moment + dt.timedelta(days=next_update_days)))
        if entries:
            parts.append(_seq(*entries))
        parts.append(_context(0, _seq(*extensions)))
        self.crl_number += 1
        return _signed(_seq(*parts), self.key)

    def crl_pem(self) -> str:
        return pem_encode(self.crl_der(), "X509 CRL")


def _split(element: bytes) -> tuple[int, bytes, bytes]:
    """(tag, content, rest) of the first TLV in `element` (definite lengths only, as DER)."""
    tag, first = element[0], element[1]
    if first < 0x80:
        start, length = 2, first
    else:
        count = first & 0x7F
        start, length = 2 + count, int.from_bytes(element[2 : 2 + count], "big")
    return tag, element[start : start + length], element[start + length :]


def _children(content: bytes) -> list[bytes]:
    """The encoded child elements of a constructed element's content."""
    items = []
    while content:
        rest = _split(content)[2]
        items.append(content[: len(content) - len(rest)])
        content = rest
    return items


def _find_extension(tbs_fields: list[bytes], oid: str) -> bytes | None:
    """The extnValue content (the inner DER) of extension `oid`, if present."""
    wanted = _oid(oid)
    for element in tbs_fields[7:]:
        if element[0] != 0xA3:
            continue
        _, wrapped, _ = _split(element)
        _, extensions, _ = _split(wrapped)
        for ext in _children(extensions):
            parts = _children(_split(ext)[1])
            if parts[0] == wanted:
                return _split(parts[-1])[1]
    return None


def _common_name(name_der: bytes) -> str | None:
    for rdn in _children(_split(name_der)[1]):
        for attribute in _children(_split(rdn)[1]):
            oid, value = _children(_split(attribute)[1])[:2]
            if oid == _oid(_CN):
                return _split(value)[1].decode("utf-8")
    return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# --- reading certificates (what a target presents) ----------------------------------------

_OID_NAMES = {
    _ECDSA_SHA256: "ecdsa-with-SHA256",
    _RSA_SHA256: "sha256WithRSAEncryption",
    _ECDSA_SHA1: "ecdsa-with-SHA1",
    _RSA_SHA1: "sha1WithRSAEncryption",
    _ECDSA_SHA384: "ecdsa-with-SHA384",
    _RSA_SHA384: "sha384WithRSAEncryption",
    EKU_SERVER_AUTH: "serverAuth",
    EKU_CLIENT_AUTH: "clientAuth",
}


def _decode_oid(encoded: bytes) -> str:
    return str(DerObjectId().decode(encoded).value)


@dataclass(frozen=True)
class CertificateInfo:
    """The fields of a certificate that §4.2 constrains, read from its DER."""

    version: int
    signature_algorithm: str
    common_name: str | None
    ca: bool | None  # None: no BasicConstraints
    ca_critical: bool
    path_len: int | None
    key_usage: frozenset[str]
    key_usage_critical: bool
    eku: frozenset[str] | None

    def violations_as_employee(self) -> list[str]:
        """Departures from PKI-CERT-1 (an employee certificate)."""
        problems = []
        if self.version != 3:
            problems.append(f"X.509 v{self.version}, not v3")
        if self.signature_algorithm not in ("ecdsa-with-SHA256", "sha256WithRSAEncryption"):
            problems.append(f"signature {self.signature_algorithm}, not SHA-256 ECDSA/RSA")
        if self.ca is not False or not self.ca_critical:
            problems.append(
                f"BasicConstraints CA={self.ca} critical={self.ca_critical}, want CA:FALSE critical"
            )
        if "digitalSignature" not in self.key_usage or not self.key_usage_critical:
            problems.append(
                f"KeyUsage {sorted(self.key_usage)} critical="
                f"{self.key_usage_critical}, want digitalSignature critical"
            )
        if self.eku is None or not {"clientAuth", "serverAuth"} <= self.eku:
            problems.append(f"EKU {sorted(self.eku or [])}, want clientAuth and serverAuth")
        return problems

    def violations_as_root(self) -> list[str]:
        """Departures from PKI-CERT-8 (the organisation root)."""
        problems = []
        if self.ca is not True or self.path_len != 0:
            problems.append(
                f"BasicConstraints CA={self.ca} pathlen={self.path_len}, want CA:TRUE pathlen 0"
            )
        if not {"keyCertSign", "cRLSign"} <= self.key_usage:
            problems.append(f"KeyUsage {sorted(self.key_usage)}, want keyCertSign and cRLSign")
        return problems


def read_certificate(der: bytes) -> CertificateInfo:
    """Parses the parts of a certificate the suite checks (raises ValueError if malformed)."""
    try:
        return _read_certificate(der)
    except (IndexError, ValueError, TypeError) as exc:
        raise ValueError(f"malformed certificate: {exc}") from exc


def _read_certificate(der: bytes) -> CertificateInfo:
    cert = _children(_split(der)[1])
    tbs = _children(_split(cert[0])[1])
    version = 1
    if tbs[0][0] == 0xA0:
        version = int.from_bytes(_split(_split(tbs[0])[1])[1], "big") + 1
    else:
        tbs = [b"", *tbs]  # keep the field indexes of a v3 TBSCertificate
    algorithm = _decode_oid(_children(_split(cert[1])[1])[0])
    info: dict[str, Any] = {
        "ca": None,
        "ca_critical": False,
        "path_len": None,
        "key_usage": frozenset(),
        "key_usage_critical": False,
        "eku": None,
    }
    for element in tbs[7:]:
        if element[0] != 0xA3:
            continue
        for ext in _children(_split(_split(element)[1])[1]):
            parts = _children(_split(ext)[1])
            oid = _decode_oid(parts[0])
            critical = len(parts) == 3 and _split(parts[1])[1] == b"\xff"
            value = _split(parts[-1])[1]
            if oid == _BASIC_CONSTRAINTS:
                fields = _children(_split(value)[1])
                ca = bool(fields) and fields[0][0] == 0x01 and _split(fields[0])[1] == b"\xff"
                ints = [f for f in fields if f[0] == 0x02]
                info.update(
                    ca=ca,
                    ca_critical=critical,
                    path_len=int.from_bytes(_split(ints[0])[1], "big") if ints else None,
                )
            elif oid == _KEY_USAGE:
                bits = _split(value)[1]
                names = {
                    name
                    for name, bit in _KU_BITS.items()
                    if len(bits) > 1 + bit // 8 and bits[1 + bit // 8] & (0x80 >> (bit % 8))
                }
                info.update(key_usage=frozenset(names), key_usage_critical=critical)
            elif oid == _EKU:
                info["eku"] = frozenset(
                    _OID_NAMES.get(_decode_oid(o), _decode_oid(o))
                    for o in _children(_split(value)[1])
                )
    return CertificateInfo(
        version=version,
        signature_algorithm=_OID_NAMES.get(algorithm, algorithm),
        common_name=_common_name(tbs[5]),
        **info,
    )


@functools.cache
def _weak_rsa_key() -> KeyPair:
    """One RSA-1024 key per process: generating it costs up to a second on a busy
    machine, and its weakness, not its freshness, is what a case checks."""
    return KeyPair.generate("rsa", rsa_bits=1024)


# --- the set of certificates the PKI tests use ---------------------------------------------


@dataclass
class LabPKI:
    """The organisation root (held in lab mode) plus a foreign root, minting on demand."""

    root: CertificateAuthority
    foreign: CertificateAuthority = field(
        default_factory=lambda: CertificateAuthority.create("foreign ca")
    )

    def employee(self, alias: str, **changes: Any) -> Certificate:
        """A certificate for `alias`; keyword arguments override `CertProfile` fields."""
        return self.root.issue(replace(CertProfile(common_name=alias), **changes))

    def impostor_root(self) -> CertificateAuthority:
        """A foreign CA that copies the root's subject DN and key identifier: only the
        signature tells its certificates apart (a check by issuer name is fooled)."""
        key = KeyPair.generate()
        profile = CertProfile(
            common_name=self.root.certificate.common_name,
            days_before=1,
            days_after=3650,
            ca=True,
            path_len=0,
            key_usage=("keyCertSign", "cRLSign"),
            eku=None,
        )
        assert self.root.key_id is not None
        tbs, serial = _tbs_certificate(
            profile, key, self.root.name_der, self.root.key_id, key, _now()
        )
        cert = Certificate(_signed(tbs, key), key, serial, profile.common_name)
        return CertificateAuthority(cert, self.root.name_der, self.root.key_id)

    def sub_ca(self) -> CertificateAuthority:
        """An intermediate CA issued by the root, which the root's pathlen 0 forbids."""
        key = KeyPair.generate()
        name = "sft conformance intermediate"
        cert = self.root.issue(
            CertProfile(
                common_name=name,
                ca=True,
                path_len=0,
                key_usage=("digitalSignature", "keyCertSign", "cRLSign"),
                eku=None,
            ),
            key=key,
        )
        return CertificateAuthority(cert, _name(name), key.key_id())

    def bad(self, kind: str, alias: str = "mallory") -> Certificate:
        """A certificate that a conforming endpoint must refuse, by kind (PKI-CERT-3..7)."""
        if kind == "expired":
            return self.employee(alias, days_before=40, days_after=-1)
        if kind == "not_yet_valid":
            return self.employee(alias, days_before=-1, days_after=30)
        # Hours, not days: a check on dates alone (or in local time) lets these pass.
        if kind == "expired_hours_ago":
            return self.employee(alias, days_before=30, days_after=-3 / 24)
        if kind == "valid_in_hours":
            return self.employee(alias, days_before=-3 / 24, days_after=30)
        if kind == "foreign_ca":
            return self.foreign.issue(CertProfile(common_name=alias))
        if kind == "self_signed":
            key = KeyPair.generate()
            name = _name(alias)
            tbs, serial = _tbs_certificate(
                CertProfile(common_name=alias), key, name, key.key_id(), key, _now()
            )
            return Certificate(_signed(tbs, key), key, serial, alias)
        if kind == "no_client_auth":
            return self.employee(alias, eku=(EKU_SERVER_AUTH,))
        if kind == "no_server_auth":
            return self.employee(alias, eku=(EKU_CLIENT_AUTH,))
        if kind == "ca_true":
            return self.employee(alias, ca=True, key_usage=("digitalSignature", "keyCertSign"))
        if kind == "no_eku":
            return self.employee(alias, eku=None)
        if kind == "any_eku":
            return self.employee(alias, eku=(EKU_ANY,))
        if kind == "foreign_same_dn":
            return self.impostor_root().issue(CertProfile(common_name=alias))
        if kind == "intermediate_ca":
            sub = self.sub_ca()
            leaf = sub.issue(CertProfile(common_name=alias))
            return replace(leaf, chain=(sub.certificate.pem,))
        if kind == "wrong_key_usage":
            return self.employee(alias, key_usage=("keyEncipherment",))
        # OpenSSL's own purpose check takes keyAgreement for digitalSignature (an EC key may
        # do either for a TLS client): only the endpoint's own check refuses these.
        if kind == "key_agreement_usage":
            return self.employee(alias, key_usage=("keyAgreement",))
        if kind == "ca_true_not_critical":
            return self.employee(
                alias,
                ca=True,
                basic_constraints_critical=False,
                key_usage=("digitalSignature", "keyCertSign"),
            )
        # CA:TRUE without keyCertSign: "a CA is what may sign certificates" checks the
        # wrong extension.
        if kind == "ca_true_no_cert_sign":
            return self.employee(alias, ca=True)
        if kind == "no_basic_constraints":
            return self.employee(alias, basic_constraints=False)
        if kind == "rsa_1024":
            return self.root.issue(CertProfile(common_name=alias), key=_weak_rsa_key())
        if kind == "p384_key":
            other_curve = KeyPair.generate(curve="P-384")
            return self.root.issue(CertProfile(common_name=alias), key=other_curve)
        if kind == "sha1_signature":
            return self.employee(alias, signature_hash="sha1")
        if kind == "sha384_signature":
            return self.employee(alias, signature_hash="sha384")
        if kind == "revoked":
            cert = self.employee(alias)
            self.root.revoke(cert)
            return cert
        raise ValueError(f"unknown bad certificate kind {kind!r}")
