"""Talking to the organisation CA (SPEC §4.4) and judging what it issues, for test_ca*.py.

The suite's own HTTPS client (http.client over `ssl`, trusting the organisation root only),
its own PKCS#10 builder (any key pycryptodome has: ECDSA on every NIST curve, Ed25519,
RSA of any size; any hash), and a reader for the certificates and CRLs the CA answers
with, checked against PKI-CERT-1 and CA-ENR-4/8/10 field by field. Independent of the
reference's `cryptography`.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import secrets
import shlex
import socket
import ssl
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from Crypto.Hash import MD5, SHA1, SHA224, SHA256, SHA384, SHA512
from Crypto.PublicKey import DSA, ECC, RSA
from Crypto.Signature import DSS, eddsa, pkcs1_15, pss

from conformance import x509
from conformance.eke_support import SourceAddresses, sources_for
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

__all__ = [
    "CaAnswer",
    "CrlInfo",
    "CsrKey",
    "IssuedCertificate",
    "RootInfo",
    "admin_command",
    "ca_address",
    "csr_pem",
    "enrol",
    "enrol_body",
    "enrolee",
    "json_body",
    "read_crl",
    "read_issued",
    "request",
    "root_info",
    "sources",
    "tls_context",
]

TIMEOUT = 10.0
# Clock difference tolerated between the CA and the suite (the same machine for the
# embedded reference; a lab CA should be NTP-synchronised).
CLOCK_SLACK = dt.timedelta(minutes=2)

_OID_EC = "1.2.840.10045.2.1"
_OID_RSA = "1.2.840.113549.1.1.1"
_OID_ED25519 = "1.3.101.112"
_SIG_OIDS = {
    ("ec", "sha1"): "1.2.840.10045.4.1",
    ("ec", "sha224"): "1.2.840.10045.4.3.1",
    ("ec", "sha256"): "1.2.840.10045.4.3.2",
    ("ec", "sha384"): "1.2.840.10045.4.3.3",
    ("rsa", "md5"): "1.2.840.113549.1.1.4",
    ("rsa", "sha1"): "1.2.840.113549.1.1.5",
    ("rsa", "sha224"): "1.2.840.113549.1.1.14",
    ("rsa", "sha256"): "1.2.840.113549.1.1.11",
    ("rsa", "sha384"): "1.2.840.113549.1.1.12",
    ("ec", "sha512"): "1.2.840.10045.4.3.4",
    ("rsa", "sha512"): "1.2.840.113549.1.1.13",
    ("dsa", "sha256"): "2.16.840.1.101.3.4.3.2",  # dsa-with-sha256 (a key type no CA takes)
}
_HASHES: dict[str, Any] = {
    "md5": MD5,
    "sha1": SHA1,
    "sha224": SHA224,
    "sha256": SHA256,
    "sha384": SHA384,
    "sha512": SHA512,
}
# Signature algorithms PKI-CERT-1 allows for what the root signs.
SHA256_SIGNATURES = frozenset({_SIG_OIDS[("ec", "sha256")], _SIG_OIDS[("rsa", "sha256")]})
OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14"


# --- HTTPS --------------------------------------------------------------------------------


def ca_address(target: Target) -> tuple[str, int]:
    if not target.ca_url or target.root is None:
        pytest.skip("needs the CA's URL (--ca-url) and the root (--root)")
    parts = urlsplit(target.ca_url)
    if parts.scheme != "https" or parts.hostname is None:
        pytest.skip(f"the CA URL {target.ca_url!r} is not https://HOST:PORT")
    return parts.hostname, parts.port or 443


def tls_context(target: Target, *, max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    assert target.root is not None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(target.root))  # the organisation root only
    ctx.check_hostname = False  # the CA's name is checked by the chain to the root
    if max_version is not None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = max_version
    return ctx


@dataclass(frozen=True)
class CaAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def describe(self) -> str:
        return f"HTTP {self.status} {self.body[:300]!r}"


def request(
    target: Target,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    source: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> CaAnswer:
    host, port = ca_address(target)
    conn = http.client.HTTPSConnection(
        host,
        port,
        timeout=timeout,
        context=tls_context(target),
        source_address=(source, 0) if source else None,
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return CaAnswer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()


def json_body(answer: CaAnswer, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(answer.body)
    except ValueError as exc:
        raise ConformanceFailure(
            f"CA-ENR-9: {what}: status {answer.status} with a body that is not JSON: "
            f"{answer.body[:200]!r}"
        ) from exc
    if not isinstance(obj, dict):
        raise ConformanceFailure(f"CA-ENR-9: {what}: JSON body is not an object: {obj!r}")
    return obj


def enrolee(target: Target) -> Account:
    if not target.enroll:
        pytest.skip("needs an enrolment identity (--enroll ALIAS:PASSWORDFILE)")
    return target.enroll[0]


def sources(target: Target) -> SourceAddresses:
    return sources_for(target)


def enrol_body(alias: str, password: str, csr: str) -> bytes:
    return json.dumps({"alias": alias, "password": password, "csr": csr}).encode()


def enrol(
    target: Target, alias: str, password: str, csr: str, *, source: str | None = None
) -> CaAnswer:
    """POST /v1/enroll from `source` (default: a fresh loopback address)."""
    return request(
        target,
        "POST",
        "/v1/enroll",
        enrol_body(alias, password, csr),
        source=source if source is not None else sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


def admin_command(target: Target, which: str, alias: str, stdin: str = "") -> None:
    """Runs the target's declared CA administration command (CA-ENR-11)."""
    template = target.ca_user_add_cmd if which == "add" else target.ca_revoke_cmd
    if not template:
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    argv = [part.format(alias=alias) for part in shlex.split(template)]
    try:
        done = subprocess.run(
            argv, input=stdin.encode(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"the CA's {which} command could not run: {exc}")
    if done.returncode != 0:
        pytest.skip(
            f"the CA's {which} command failed (exit {done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-300:]}"
        )


# --- PKCS#10 requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class CsrKey:
    """A key the suite signs CSRs with: ECDSA on any NIST curve, Ed25519, or RSA."""

    key: Any
    kind: str  # "ec" | "rsa" | "rsa-pss" | "ed25519" | "dsa"

    @classmethod
    def ec(cls, curve: str = "P-256") -> CsrKey:
        return cls(ECC.generate(curve=curve), "ed25519" if curve == "Ed25519" else "ec")

    @classmethod
    def rsa(cls, bits: int) -> CsrKey:
        return cls(RSA.generate(bits), "rsa")

    @classmethod
    def rsa_pss(cls, key: Any) -> CsrKey:
        """An RSA key (rsaEncryption in the SPKI) that signs its CSRs with RSASSA-PSS (RFC
        4055: MGF1 with the same hash, a salt as long as the hash): a valid PKCS#10
        signature, SHA-256 or stronger."""
        return cls(key, "rsa-pss")

    @classmethod
    def dsa(cls, bits: int = 2048) -> CsrKey:
        """A DSA key (signs with dsa-with-sha256 only): outside PKI-CERT-1's key types."""
        return cls(DSA.generate(bits), "dsa")

    def spki(self) -> bytes:
        return bytes(self.key.public_key().export_key(format="DER"))

    def algorithm(self, hash_name: str) -> bytes:
        if self.kind == "rsa-pss":
            return _pss_algorithm(hash_name)
        if self.kind == "ed25519":
            return x509._seq(x509._oid(_OID_ED25519))
        oid = _SIG_OIDS[(self.kind, hash_name)]
        if self.kind == "rsa":
            return x509._seq(x509._oid(oid), b"\x05\x00")
        return x509._seq(x509._oid(oid))

    def sign(self, data: bytes, hash_name: str) -> bytes:
        if self.kind == "ed25519":
            return bytes(eddsa.new(self.key, "rfc8032").sign(data))
        digest = _HASHES[hash_name].new(data)
        if self.kind == "rsa-pss":
            return bytes(pss.new(self.key, salt_bytes=digest.digest_size).sign(digest))
        if self.kind == "rsa":
            return bytes(pkcs1_15.new(self.key).sign(digest))
        # fips-186-3 mode refuses weak hashes; RFC 6979 signs with any.
        return bytes(DSS.new(self.key, "deterministic-rfc6979", encoding="der").sign(digest))


_OID_RSASSA_PSS = "1.2.840.113549.1.1.10"
_OID_MGF1 = "1.2.840.113549.1.1.8"
_HASH_OIDS = {
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}


def _pss_algorithm(hash_name: str) -> bytes:
    """RSASSA-PSS-params (RFC 4055 §3.1): the hash, MGF1 with it, a salt of its length."""
    hash_id = x509._seq(x509._oid(_HASH_OIDS[hash_name]), b"\x05\x00")
    salt = _HASHES[hash_name].digest_size
    params = x509._seq(
        x509._context(0, hash_id),
        x509._context(1, x509._seq(x509._oid(_OID_MGF1), hash_id)),
        x509._context(2, x509._int(salt)),
    )
    return x509._seq(x509._oid(_OID_RSASSA_PSS), params)


def name(*attributes: tuple[str, str]) -> bytes:
    """An X.501 Name, one RDN per (OID, UTF8String value)."""
    return x509._seq(*(x509._rdn(oid, value) for oid, value in attributes))


OID_CN = "2.5.4.3"
OID_O = "2.5.4.10"
OID_OU = "2.5.4.11"


def extension_request(extensions: Sequence[bytes]) -> bytes:
    """The attributes field ([0] IMPLICIT SET OF Attribute) asking for `extensions`."""
    attribute = x509._seq(
        x509._oid(OID_EXTENSION_REQUEST),
        bytes([0x31]) + _length(x509._seq(*extensions)) + x509._seq(*extensions),
    )
    return bytes([0xA0]) + _length(attribute) + attribute


def _length(content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def csr_pem(
    key: CsrKey,
    subject: bytes,
    *,
    attributes: bytes = b"\xa0\x00",
    hash_name: str = "sha256",
    signer: CsrKey | None = None,
    tamper: str | None = None,
) -> str:
    """A PKCS#10 request (RFC 2986) for `key`'s public key.

    `signer` signs instead of `key` (no proof of possession); `tamper` breaks it after
    signing: "info" (signature over other bytes), "bit" (one flipped signature bit),
    "empty" (an empty signature).
    """
    info = x509._seq(x509._int(0), subject, key.spki(), attributes)
    by = signer or key
    signature = by.sign(info + (b"tampered" if tamper == "info" else b""), hash_name)
    if tamper == "bit":
        signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
    if tamper == "empty":
        signature = b""
    der = x509._seq(info, key.algorithm(hash_name), x509._prim(0x03, b"\x00" + signature))
    return x509.pem_encode(der, "CERTIFICATE REQUEST")


# --- what the CA answers with -------------------------------------------------------------


def _tlv(element: bytes) -> tuple[int, bytes]:
    tag, content, _ = x509._split(element)
    return tag, content


def _time(element: bytes) -> dt.datetime:
    tag, content = _tlv(element)
    text = content.decode("ascii")
    fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)


def _oid(element: bytes) -> str:
    return x509._decode_oid(element)


@dataclass(frozen=True)
class Extension:
    oid: str
    critical: bool
    value: bytes  # the extnValue's content (the inner DER)


@dataclass(frozen=True)
class IssuedCertificate:
    """Every field of a certificate the CA issued, as DER pieces and plain values."""

    der: bytes
    version: int
    serial: int
    serial_octets: bytes
    inner_algorithm: bytes
    outer_algorithm: bytes
    issuer: bytes
    not_before: dt.datetime
    not_after: dt.datetime
    subject: bytes
    subject_attributes: tuple[tuple[str, str], ...]
    spki: bytes
    extensions: tuple[Extension, ...]
    tbs: bytes
    signature: bytes

    def extension(self, oid: str) -> Extension | None:
        found = [e for e in self.extensions if e.oid == oid]
        return found[0] if found else None


def _name_attributes(name_der: bytes) -> tuple[tuple[str, str], ...]:
    out = []
    for rdn in x509._children(_tlv(name_der)[1]):
        for attribute in x509._children(_tlv(rdn)[1]):
            oid, value = x509._children(_tlv(attribute)[1])[:2]
            out.append((_oid(oid), _tlv(value)[1].decode("utf-8", errors="replace")))
    return tuple(out)


def read_issued(pem: object) -> IssuedCertificate:
    """Parses the CA's answer; a certificate that does not parse is a ConformanceFailure."""
    try:
        der = x509.pem_decode(str(pem))
        return _read_issued(der)
    except (IndexError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ConformanceFailure(
            f"CA-ENR-2: the answer's certificate does not parse ({exc}): {str(pem)[:200]!r}"
        ) from exc


def _read_issued(der: bytes) -> IssuedCertificate:
    tbs_der, outer_alg, sig_bits = x509._children(_tlv(der)[1])
    fields = x509._children(_tlv(tbs_der)[1])
    version = 1
    if fields[0][0] == 0xA0:
        version = int.from_bytes(_tlv(_tlv(fields[0])[1])[1], "big") + 1
        fields = fields[1:]
    serial_octets = _tlv(fields[0])[1]
    validity = x509._children(_tlv(fields[3])[1])
    extensions: list[Extension] = []
    for element in fields[6:]:
        if element[0] != 0xA3:
            continue
        for ext in x509._children(_tlv(_tlv(element)[1])[1]):
            parts = x509._children(_tlv(ext)[1])
            critical = len(parts) == 3 and _tlv(parts[1])[1] == b"\xff"
            extensions.append(Extension(_oid(parts[0]), critical, _tlv(parts[-1])[1]))
    return IssuedCertificate(
        der=der,
        version=version,
        serial=int.from_bytes(serial_octets, "big", signed=True),
        serial_octets=serial_octets,
        inner_algorithm=fields[1],
        outer_algorithm=outer_alg,
        issuer=fields[2],
        not_before=_time(validity[0]),
        not_after=_time(validity[1]),
        subject=fields[4],
        subject_attributes=_name_attributes(fields[4]),
        spki=fields[5],
        extensions=tuple(extensions),
        tbs=tbs_der,
        signature=_tlv(sig_bits)[1][1:],
    )


@dataclass(frozen=True)
class RootInfo:
    subject: bytes
    key: Any  # pycryptodome public key
    # The root's SubjectKeyIdentifier (PKI-CERT-13); None when it has none.
    key_id: bytes | None = None

    def verifies(self, tbs: bytes, algorithm: bytes, signature: bytes) -> bool:
        """Whether `signature` over `tbs` verifies with the root's key (SHA-256 only)."""
        oid = _oid(x509._children(_tlv(algorithm)[1])[0])
        if oid not in SHA256_SIGNATURES:
            return False
        digest = SHA256.new(tbs)
        try:
            if isinstance(self.key, RSA.RsaKey):
                pkcs1_15.new(self.key).verify(digest, signature)
            else:
                DSS.new(self.key, "fips-186-3", encoding="der").verify(digest, signature)
        except (ValueError, TypeError):
            return False
        return True


def root_info(target: Target) -> RootInfo:
    assert target.root is not None
    der = x509.pem_decode(target.root.read_bytes())
    cert = _read_issued(der)
    spki = cert.spki
    key_oid = _oid(x509._children(_tlv(x509._children(_tlv(spki)[1])[0])[1])[0])
    key = RSA.import_key(spki) if key_oid == _OID_RSA else ECC.import_key(spki)
    return RootInfo(cert.subject, key, subject_key_id(cert))


# Key-usage bit numbers (RFC 5280 §4.2.1.3).
KU_BITS = {
    "digitalSignature": 0,
    "contentCommitment": 1,
    "keyEncipherment": 2,
    "dataEncipherment": 3,
    "keyAgreement": 4,
    "keyCertSign": 5,
    "cRLSign": 6,
    "encipherOnly": 7,
    "decipherOnly": 8,
}
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"
OID_EKU = "2.5.29.37"
OID_SAN = "2.5.29.17"
OID_SKI = "2.5.29.14"
OID_AKI = "2.5.29.35"


def key_usage_bits(value: bytes) -> set[str]:
    bits = _tlv(value)[1][1:]
    return {
        label
        for label, n in KU_BITS.items()
        if len(bits) > n // 8 and bits[n // 8] & (0x80 >> (n % 8))
    }


def eku_oids(value: bytes) -> set[str]:
    return {_oid(o) for o in x509._children(_tlv(value)[1])}


def basic_constraints(value: bytes) -> tuple[bool, int | None]:
    fields = x509._children(_tlv(value)[1])
    ca = bool(fields) and fields[0][0] == 0x01 and _tlv(fields[0])[1] != b"\x00"
    ints = [f for f in fields if f[0] == 0x02]
    return ca, (int.from_bytes(_tlv(ints[0])[1], "big") if ints else None)


@dataclass
class Issue:
    """What an enrolment was, to judge its certificate: when, for whom, which key."""

    alias: str
    spki: bytes
    started: dt.datetime
    ended: dt.datetime
    validity_days: float
    problems: list[tuple[str, str]] = field(default_factory=list)


def profile_problems(
    cert: IssuedCertificate, issue: Issue, root: RootInfo
) -> list[tuple[str, str]]:
    """Every departure from PKI-CERT-1, CA-ENR-4 and CA-ENR-10, as (ID, what)."""
    out: list[tuple[str, str]] = []
    add = out.append
    if cert.version != 3:
        add(("PKI-CERT-1", f"X.509 v{cert.version}, not v3"))
    if cert.inner_algorithm != cert.outer_algorithm:
        add(("PKI-CERT-1", "the signature algorithm inside and outside the TBS differ"))
    if not root.verifies(cert.tbs, cert.outer_algorithm, cert.signature):
        add(("PKI-CERT-1", "the signature is not a SHA-256 signature of the root's key"))
    if cert.issuer != root.subject:
        add(("PKI-CERT-1", f"issuer {_name_attributes(cert.issuer)} is not the root's subject"))
    if cert.subject_attributes != ((OID_CN, issue.alias),):
        add(
            (
                "CA-ENR-4",
                f"subject {list(cert.subject_attributes)}, want exactly CN={issue.alias!r}",
            )
        )
    if cert.spki != issue.spki:
        add(("CA-ENR-4", "the certificate's public key is not the CSR's"))
    bc = cert.extension(OID_BASIC_CONSTRAINTS)
    if bc is None or basic_constraints(bc.value) != (False, None) or not bc.critical:
        shown = basic_constraints(bc.value) if bc else None
        add(("PKI-CERT-1", f"BasicConstraints (CA, pathlen) {shown}, want CA:FALSE critical"))
    ku = cert.extension(OID_KEY_USAGE)
    usages = key_usage_bits(ku.value) if ku else set()
    if ku is None or not ku.critical or "digitalSignature" not in usages:
        add(("PKI-CERT-1", f"KeyUsage {sorted(usages)}, want digitalSignature, critical"))
    if usages & {"keyCertSign", "cRLSign"}:
        add(("PKI-CERT-1", f"KeyUsage {sorted(usages)} lets a leaf sign certificates or CRLs"))
    elif usages - {"digitalSignature"}:  # e.g. keyEncipherment on an RSA key: TLS 1.3 signs
        add(("PKI-CERT-1", f"KeyUsage {sorted(usages)}, want digitalSignature only"))
    eku = cert.extension(OID_EKU)
    if eku is None or not {x509.EKU_CLIENT_AUTH, x509.EKU_SERVER_AUTH} <= eku_oids(eku.value):
        add(("PKI-CERT-1", f"EKU {sorted(eku_oids(eku.value)) if eku else None}, want both"))
    oids = [e.oid for e in cert.extensions]
    if len(oids) != len(set(oids)):
        add(("PKI-CERT-1", f"an extension appears twice: {oids}"))
    # CA-ENR-10: serial, and validity from the moment of issue.
    if cert.serial <= 0 or len(cert.serial_octets) > 20:
        add(("CA-ENR-10", f"serial {cert.serial_octets.hex()}: not positive / over 20 octets"))
    period = dt.timedelta(days=issue.validity_days)
    if cert.not_after > issue.ended + period + CLOCK_SLACK:
        add(
            (
                "CA-ENR-10",
                f"notAfter {cert.not_after} is more than the configured {issue.validity_days:g} "
                f"days after the enrolment ({issue.ended:%Y-%m-%d %H:%M:%S})",
            )
        )
    if cert.not_before > issue.ended + CLOCK_SLACK:
        add(("CA-ENR-10", f"notBefore {cert.not_before} is in the future"))
    if cert.not_before < issue.started - dt.timedelta(hours=1) - CLOCK_SLACK:
        add(("CA-ENR-10", f"notBefore {cert.not_before} is backdated by over an hour"))
    out += [("PKI-CERT-13", text) for text in key_identifier_problems(cert, root)]
    return out


def subject_key_id(cert: IssuedCertificate) -> bytes | None:
    """The keyIdentifier of a certificate's SubjectKeyIdentifier (None: absent or malformed)."""
    ski = cert.extension(OID_SKI)
    if ski is None:
        return None
    try:
        tag, content = _tlv(ski.value)
    except (IndexError, ValueError):
        return None
    return content if tag == 0x04 and content else None


def authority_key_id(cert: IssuedCertificate) -> bytes | None:
    """The keyIdentifier ([0]) of a certificate's AuthorityKeyIdentifier, if any."""
    aki = cert.extension(OID_AKI)
    if aki is None:
        return None
    try:
        fields = x509._children(_tlv(aki.value)[1])
    except (IndexError, ValueError):
        return None
    found = [_tlv(f)[1] for f in fields if f[0] == 0x80]
    return found[0] if found else None


def key_identifier_problems(cert: IssuedCertificate, root: RootInfo) -> list[str]:
    """Departures from PKI-CERT-13: the root's SKI, the leaf's AKI (= the root's SKI) and
    SKI, none critical. Strict verifiers (Python 3.13's VERIFY_X509_STRICT) need them."""
    problems = []
    if root.key_id is None:
        problems.append("the root has no SubjectKeyIdentifier")
    aki, ski = cert.extension(OID_AKI), cert.extension(OID_SKI)
    if aki is None:
        problems.append("no AuthorityKeyIdentifier")
    else:
        found = authority_key_id(cert)
        if found is None:
            problems.append("the AuthorityKeyIdentifier has no keyIdentifier")
        elif root.key_id is not None and found != root.key_id:
            problems.append(
                f"AuthorityKeyIdentifier {found.hex()} is not the root's SubjectKeyIdentifier "
                f"{root.key_id.hex()}"
            )
        if aki.critical:
            problems.append("the AuthorityKeyIdentifier is critical")
    if ski is None or subject_key_id(cert) is None:
        problems.append("no SubjectKeyIdentifier (or an empty one)")
    elif ski.critical:
        problems.append("the SubjectKeyIdentifier is critical")
    return problems


__all__ += ["authority_key_id", "key_identifier_problems", "subject_key_id"]
__all__ += ["answer_body", "chunked_body", "is_chunked", "split_answers"]


def issue_now(alias: str, key: CsrKey, validity_days: float) -> Issue:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return Issue(alias, key.spki(), now, now, validity_days)


def enrol_and_read(
    target: Target, account: Account, key: CsrKey, csr: str, root: RootInfo
) -> tuple[IssuedCertificate, list[tuple[str, str]]]:
    """An enrolment that must succeed (CA-ENR-2): the certificate and its problems."""
    issue = issue_now(account.user, key, target.limits.cert_validity_days)
    answer = enrol(target, account.user, account.password, csr)
    issue.ended = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    obj = json_body(answer, "enrolment")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure(
            f"CA-ENR-2: enrolment of {account.user!r} with the right password and a valid "
            f"CSR: {answer.describe()}"
        )
    cert = read_issued(obj["certificate"])
    return cert, profile_problems(cert, issue, root)


# --- CRLs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrlInfo:
    issuer: bytes
    this_update: dt.datetime
    next_update: dt.datetime | None
    serials: frozenset[int]
    tbs: bytes
    algorithm: bytes
    signature: bytes


def read_crl(der: bytes) -> CrlInfo:
    try:
        tbs_der, algorithm, sig_bits = x509._children(_tlv(der)[1])
        fields = x509._children(_tlv(tbs_der)[1])
        if fields and fields[0][0] == 0x02:
            fields = fields[1:]  # version
        issuer, this_update = fields[1], _time(fields[2])
        rest = fields[3:]
        next_update = None
        if rest and rest[0][0] in (0x17, 0x18):
            next_update = _time(rest[0])
            rest = rest[1:]
        serials: set[int] = set()
        if rest and rest[0][0] == 0x30:
            for entry in x509._children(_tlv(rest[0])[1]):
                serial = x509._children(_tlv(entry)[1])[0]
                serials.add(int.from_bytes(_tlv(serial)[1], "big", signed=True))
        return CrlInfo(
            issuer,
            this_update,
            next_update,
            frozenset(serials),
            tbs_der,
            algorithm,
            _tlv(sig_bits)[1][1:],
        )
    except (IndexError, ValueError, TypeError) as exc:
        raise ConformanceFailure(f"CA-ENR-8: the CRL does not parse as DER: {exc}") from exc


def fetch_crl(target: Target) -> CrlInfo:
    answer = request(target, "GET", "/v1/crl")
    if answer.status != 200 or answer.body[:1] != b"\x30":
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/crl: {answer.describe()}")
    return read_crl(answer.body)


def crl_problems(crl: CrlInfo, root: RootInfo, fetched: dt.datetime) -> list[str]:
    problems = []
    if crl.issuer != root.subject:
        problems.append(f"issuer {_name_attributes(crl.issuer)} is not the root's subject")
    if not root.verifies(crl.tbs, crl.algorithm, crl.signature):
        problems.append("its signature is not a SHA-256 signature of the root's key")
    if crl.this_update > fetched + CLOCK_SLACK:
        problems.append(f"thisUpdate {crl.this_update} is in the future")
    if crl.next_update is None:
        problems.append("it has no nextUpdate")
    elif crl.next_update <= fetched:
        problems.append(f"nextUpdate {crl.next_update} is already past")
    return problems


# --- raw TLS (for what http.client will not send) -------------------------------------------


def raw_exchange(
    target: Target, data: bytes, *, timeout: float, source: str | None = None
) -> bytes:
    """Sends `data` over a fresh TLS connection and reads until close or `timeout`."""
    host, port = ca_address(target)
    deadline = time.monotonic() + timeout
    with (
        socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None
        ) as raw,
        tls_context(target).wrap_socket(raw) as tls,
    ):
        tls.sendall(data)
        received = b""
        while time.monotonic() < deadline:
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except TimeoutError:
                break
            except (ssl.SSLError, OSError):
                break
            if not chunk:
                break
            received += chunk
            if _complete_http(received):
                break
        return received


def _complete_http(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if is_chunked(head):
        return chunked_body(body)[1] is not None
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value.strip())
    return False


def is_chunked(head: bytes) -> bool:
    """An HTTP/1.1 answer's head says `Transfer-Encoding: chunked` (RFC 9112 §7.1): any
    HTTP/1.1 server MAY send any answer so, without a Content-Length."""
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            return True
    return False


def chunked_body(data: bytes) -> tuple[bytes, int | None]:
    """The payload of a chunked body at the start of `data`, and where the answer ends
    (None: the body is incomplete or malformed; the payload is then what was decoded)."""
    payload, at = b"", 0
    while True:
        line_end = data.find(b"\r\n", at)
        if line_end < 0:
            return payload, None
        size_text = data[at:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return payload, None
        at = line_end + 2
        if size == 0:
            trailer_end = data.find(b"\r\n", at)
            while trailer_end > at:  # trailer fields, up to the empty line
                at = trailer_end + 2
                trailer_end = data.find(b"\r\n", at)
            return payload, (trailer_end + 2 if trailer_end == at else None)
        if len(data) < at + size + 2:
            return payload + data[at : at + size], None
        payload += data[at : at + size]
        at += size + 2


def answer_body(head: bytes, rest: bytes) -> bytes:
    """The body of an HTTP answer whose head is `head` and whose bytes after the head are
    `rest`: de-chunked when it was sent chunked, else `rest` as it came."""
    return chunked_body(rest)[0] if is_chunked(head) else rest


def ghost_alias() -> str:
    return f"ghost-{secrets.token_hex(5)}"


def split_answers(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The complete HTTP answers at the start of `data` (status, body), and the rest (an
    answer framed by neither Content-Length nor chunked counts as empty here)."""
    answers: list[tuple[int, bytes]] = []
    while data.startswith(b"HTTP/"):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            break
        if is_chunked(head):
            body, end = chunked_body(rest)
            if end is None:
                break
            answers.append((status, body))
            data = rest[end:]
            continue
        length = 0
        for line in head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        if len(rest) < length:
            break
        answers.append((status, rest[:length]))
        data = rest[length:]
    return answers, data
