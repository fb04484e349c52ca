"""Just enough DER/X.509 for the legacy profiles: read a certificate, mint a test one.

pycryptodome has RSA and hashes but no X.509 builder; the suite needs one to present
certificates the target did not issue (self-signed, expired) and to read the fields
the legacy CA sets (CN, validity, extensions). Only what those checks need is here.
"""

from __future__ import annotations

__all__ = [
    "CertificateInfo",
    "read_certificate",
    "read_certificate_leniently",
    "pem_to_der",
    "der_to_pem",
    "mint_certificate",
    "mint_under_root",
    "Extension",
    "basic_constraints",
    "extended_key_usage",
    "authority_key_id",
    "subject_key_id",
    "EKU_CLIENT_AUTH",
    "EKU_SERVER_AUTH",
    "EKU_CODE_SIGNING",
]

import base64
import datetime
import json
import secrets
from dataclasses import dataclass

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

_OID_CN = bytes.fromhex("550403")  # 2.5.4.3
_OID_SHA256_RSA = bytes.fromhex("2a864886f70d01010b")  # 1.2.840.113549.1.1.11
_OID_SKI = bytes.fromhex("551d0e")  # 2.5.29.14
_OID_AKI = bytes.fromhex("551d23")  # 2.5.29.35
_OID_BASIC_CONSTRAINTS = bytes.fromhex("551d13")  # 2.5.29.19
_OID_EKU = bytes.fromhex("551d25")  # 2.5.29.37
EKU_CLIENT_AUTH = bytes.fromhex("2b06010505070302")  # 1.3.6.1.5.5.7.3.2
EKU_SERVER_AUTH = bytes.fromhex("2b06010505070301")  # 1.3.6.1.5.5.7.3.1
EKU_CODE_SIGNING = bytes.fromhex("2b06010505070303")  # 1.3.6.1.5.5.7.3.3

Extension = bytes  # one DER `Extension` TLV, built by the helpers below


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def _read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, content, next offset) of the TLV at `offset`; ValueError when malformed."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 4 or offset + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    else:
        length = first
    if offset + length > len(data):
        raise ValueError("truncated DER")
    return tag, data[offset : offset + length], offset + length


def _children(content: bytes) -> list[tuple[int, bytes]]:
    out, offset = [], 0
    while offset < len(content):
        tag, body, offset = _read(content, offset)
        out.append((tag, body))
    return out


def pem_to_der(pem: bytes) -> bytes:
    lines = [line.strip() for line in pem.strip().splitlines()]
    if (
        len(lines) < 3
        or not lines[0].startswith(b"-----BEGIN")
        or not lines[-1].startswith(b"-----END")
    ):
        raise ValueError("not a PEM block")
    return base64.b64decode(b"".join(lines[1:-1]), validate=True)


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    text = base64.b64encode(der)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return (
        b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode()])
        + b"\n"
    )


def _time(tag: int, body: bytes) -> datetime.datetime:
    text = body.decode("ascii")
    fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.UTC)


def _common_name(name: bytes) -> str:
    for _, rdn in _children(name):
        for _, attribute in _children(rdn):
            parts = _children(attribute)
            if len(parts) == 2 and parts[0] == (0x06, _OID_CN):
                return parts[1][1].decode("utf-8", "replace")
    return ""


@dataclass(frozen=True)
class CertificateInfo:
    subject_cn: str
    issuer_cn: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    has_extensions: bool
    public_key: RSA.RsaKey
    der: bytes
    tbs: bytes  # the signed part, as its whole TLV
    signature: bytes
    # The subject Name as its whole DER TLV: a certificate minted under this one must
    # carry exactly these bytes as its issuer, or no real verifier chains it here.
    subject_name: bytes = b""
    subject_key_identifier: bytes | None = None
    # The issuer Name as its whole DER TLV: it must repeat the issuer's subject_name.
    issuer_name: bytes = b""

    def signed_by(self, issuer_key: RSA.RsaKey) -> bool:
        """RSA PKCS#1 v1.5 with SHA-256 (what both legacy CAs use)."""
        try:
            pkcs1_15.new(issuer_key).verify(SHA256.new(self.tbs), self.signature)
        except ValueError:
            return False
        return True


def read_certificate(pem: bytes) -> CertificateInfo:
    """Parse the fields the legacy checks need; ValueError if it is not an RSA certificate."""
    der = pem_to_der(pem)
    _, cert, _ = _read(der, 0)
    _, _, tbs_end = _read(cert, 0)
    parts = _children(cert)
    if len(parts) != 3 or parts[2][0] != 0x03:
        raise ValueError("not a certificate")
    tbs = _children(parts[0][1])
    if tbs and tbs[0][0] == 0xA0:  # explicit version
        tbs = tbs[1:]
    # serial, signature algorithm, issuer, validity, subject, spki, [extensions]
    issuer, validity, subject = tbs[2][1], _children(tbs[3][1]), tbs[4][1]
    ski = None
    for tag, body in tbs[6:]:
        if tag != 0xA3:
            continue
        for _, extension in _children(_children(body)[0][1]):
            fields = _children(extension)
            if fields and fields[0] == (0x06, _OID_SKI) and fields[-1][0] == 0x04:
                inner = _children(fields[-1][1])
                ski = inner[0][1] if inner and inner[0][0] == 0x04 else None
    return CertificateInfo(
        subject_cn=_common_name(subject),
        issuer_cn=_common_name(issuer),
        not_before=_time(*validity[0]),
        not_after=_time(*validity[1]),
        has_extensions=any(tag == 0xA3 for tag, _ in tbs[6:]),
        public_key=RSA.import_key(der),
        der=der,
        tbs=cert[:tbs_end],
        signature=parts[2][1][1:],
        subject_name=_tlv(0x30, subject),
        subject_key_identifier=ski,
        issuer_name=_tlv(0x30, issuer),
    )


def _name(cn: str) -> bytes:
    attribute = _tlv(0x30, _tlv(0x06, _OID_CN) + _tlv(0x0C, cn.encode("utf-8")))
    return _tlv(0x30, _tlv(0x31, attribute))


def _utc(moment: datetime.datetime) -> bytes:
    return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))


def _extension(oid: bytes, value: bytes, critical: bool = False) -> Extension:
    flag = _tlv(0x01, b"\xff") if critical else b""
    return _tlv(0x30, _tlv(0x06, oid) + flag + _tlv(0x04, value))


def basic_constraints(ca: bool) -> Extension:
    return _extension(_OID_BASIC_CONSTRAINTS, _tlv(0x30, _tlv(0x01, b"\xff") if ca else b""), True)


def extended_key_usage(*oids: bytes) -> Extension:
    return _extension(_OID_EKU, _tlv(0x30, b"".join(_tlv(0x06, oid) for oid in oids)))


def authority_key_id(key_id: bytes) -> Extension:
    return _extension(_OID_AKI, _tlv(0x30, _tlv(0x80, key_id)))


def subject_key_id(key: RSA.RsaKey) -> Extension:
    # RFC 5280 4.2.1.2 method 1 would hash the BIT STRING only; any unique value is valid.
    digest = SHA256.new(key.public_key().export_key("DER")).digest()[:20]
    return _extension(_OID_SKI, _tlv(0x04, digest))


def mint_certificate(
    subject_cn: str,
    subject_key: RSA.RsaKey,
    issuer_cn: str,
    issuer_key: RSA.RsaKey,
    *,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    issuer_name: bytes | None = None,
    extensions: tuple[Extension, ...] = (),
) -> bytes:
    """A v3 certificate, as PEM: without extensions (like the legacy CA's) unless given.

    `issuer_name` (a whole DER Name, e.g. the root's `subject_name`) replaces the
    CN-only issuer: a root whose subject has more than a CN only chains certificates
    that repeat it byte for byte.
    """
    algorithm = _tlv(0x30, _tlv(0x06, _OID_SHA256_RSA) + b"\x05\x00")
    # Bit 62 set, bit 63 clear: eight content bytes, positive, minimal (a leading 0x00
    # octet before one < 0x80 is invalid DER, which strict parsers refuse: 1 in 512).
    serial = secrets.randbits(62) | (1 << 62)
    tbs = _tlv(
        0x30,
        _tlv(0xA0, _tlv(0x02, b"\x02"))
        + _tlv(0x02, serial.to_bytes(8, "big"))
        + algorithm
        + (issuer_name if issuer_name is not None else _name(issuer_cn))
        + _tlv(0x30, _utc(not_before) + _utc(not_after))
        + _name(subject_cn)
        + subject_key.public_key().export_key("DER")
        + (_tlv(0xA3, _tlv(0x30, b"".join(extensions))) if extensions else b""),
    )
    signature = pkcs1_15.new(issuer_key).sign(SHA256.new(tbs))
    return der_to_pem(_tlv(0x30, tbs + algorithm + _tlv(0x03, b"\x00" + signature)))


def mint_under_root(
    root_pem: bytes,
    root_key: RSA.RsaKey,
    subject_cn: str,
    subject_key: RSA.RsaKey,
    *,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    extensions: tuple[Extension, ...] = (),
) -> bytes:
    """A certificate issued by the real root: its full subject DN as issuer, and its key
    identifier as authority key identifier when it has one (lab mode, `--ca-key`)."""
    root = read_certificate(root_pem)
    linked = (authority_key_id(root.subject_key_identifier),) if root.subject_key_identifier else ()
    return mint_certificate(
        subject_cn,
        subject_key,
        root.subject_cn,
        root_key,
        not_before=not_before,
        not_after=not_after,
        issuer_name=root.subject_name,
        extensions=linked + extensions,
    )


def read_certificate_leniently(data: bytes) -> CertificateInfo:
    """The certificate in `data`, whichever way a peer that deviates from the format sent
    it: PEM (the format), DER, or the first of several PEM blocks. For the cases that
    need the peer's key to go on; the format cases judge the encoding strictly."""
    try:
        return read_certificate(data)
    except ValueError:
        pass
    if data.lstrip()[:1] == b"{":  # a JSON answer, e.g. {"certificate": PEM}
        try:
            document = json.loads(data)
        except ValueError:
            document = None
        if isinstance(document, dict):
            for value in document.values():
                if isinstance(value, str) and "-----BEGIN CERTIFICATE-----" in value:
                    return read_certificate_leniently(value.encode())
    if data[:1] == b"\x30":
        return read_certificate(der_to_pem(data))
    start = data.find(b"-----BEGIN CERTIFICATE-----")
    end = data.find(b"-----END CERTIFICATE-----", start)
    if start < 0 or end < 0:
        raise ValueError(f"no certificate in {data[:24]!r}")
    return read_certificate(data[start : end + len(b"-----END CERTIFICATE-----")] + b"\n")
