"""Profile pki-legacy: how the sft-pki/0 CA encodes the certificates it issues (§7.2).

The seed's answer is `PEM(certificate)`: an X.509 certificate (§7.1.2), so every field
is encoded as RFC 5280 §4.1 says, whatever language wrote the CA. test_legacy_ca0.py's
format cases read what they use (CN, key, signature, validity as a date); a CA can pass
them and still encode the other fields the way no X.509 reader should accept:
- a serial number that is negative in DER (a random 16 bytes whose top bit was SET "to
  keep the length" instead of cleared), not minimally encoded, or longer than 20 octets
  (RFC 5280 §4.1.2.2: a positive integer, at most 20 octets);
- the same serial number in two different certificates (a constant serial copied from a
  library example: `ASN1_INTEGER_set(serial, 1)`), where issuer and serial MUST identify
  one certificate (§4.1.2.2);
- validity times in the wrong ASN.1 type or form: GeneralizedTime for a date before
  2050, fractions, no seconds, no `Z` (§4.1.2.5: UTCTime YYMMDDHHMMSSZ through 2049,
  GeneralizedTime YYYYMMDDHHMMSSZ from 2050);
- a signature algorithm inside the signed part that differs from the outer one
  (§4.1.1.2: the two MUST be identical).
"""

from __future__ import annotations

import re

import pytest

from conformance.legacy import pki0
from conformance.legacy.der import pem_to_der
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

_UTC_TIME = re.compile(rb"\d{12}Z")
_GENERALIZED_TIME = re.compile(rb"\d{14}Z")


def _enrolment(target: LegacyPkiTarget) -> tuple[str, str, bytes, str]:
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    return alias, password, target.root.read_bytes(), target.ca_url


def _read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, content, next offset) of the DER element at `offset`; ValueError if it is
    not one (definite lengths only, as DER has)."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    start, length = offset + 2, first
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("truncated DER element")
    return tag, data[start : start + length], start + length


def _children(content: bytes) -> list[tuple[int, bytes]]:
    out, offset = [], 0
    while offset < len(content):
        tag, body, offset = _read(content, offset)
        out.append((tag, body))
    return out


def _serial_problems(serial: bytes) -> list[str]:
    shown = serial.hex() or "(empty)"
    if not serial:
        return ["the serial number INTEGER is empty"]
    problems = []
    if serial[0] & 0x80:
        problems.append(f"the serial number 0x{shown} is NEGATIVE in DER (its first bit is set)")
    elif not any(serial):
        problems.append("the serial number is 0, not a positive integer")
    if len(serial) > 1 and (
        (serial[0] == 0x00 and not serial[1] & 0x80) or (serial[0] == 0xFF and serial[1] & 0x80)
    ):
        problems.append(f"the serial number 0x{shown} is not minimally encoded (DER)")
    if len(serial) > 20:
        problems.append(f"the serial number has {len(serial)} octets (at most 20)")
    return problems


def _time_problems(which: str, tag: int, body: bytes) -> list[str]:
    if tag == 0x17:
        if not _UTC_TIME.fullmatch(body):
            return [f"{which} is UTCTime {body!r}, not YYMMDDHHMMSSZ"]
        return []
    if tag == 0x18:
        if not _GENERALIZED_TIME.fullmatch(body):
            return [f"{which} is GeneralizedTime {body!r}, not YYYYMMDDHHMMSSZ"]
        if int(body[:4]) < 2050:
            return [
                f"{which} is GeneralizedTime {body.decode('ascii', 'replace')!r} for a date "
                "before 2050, which MUST be UTCTime"
            ]
        return []
    return [f"{which} has ASN.1 tag 0x{tag:02x}, neither UTCTime nor GeneralizedTime"]


def _fields(certificate_der: bytes) -> tuple[bytes, list[str]]:
    """(the serial number's content octets, what in the encoding breaks RFC 5280 §4.1)."""
    _, certificate, _ = _read(certificate_der, 0)
    parts = _children(certificate)
    if len(parts) != 3 or parts[0][0] != 0x30 or parts[1][0] != 0x30 or parts[2][0] != 0x03:
        raise ValueError("not tbsCertificate, signatureAlgorithm, signatureValue")
    tbs = _children(parts[0][1])
    if tbs and tbs[0][0] == 0xA0:  # explicit version
        tbs = tbs[1:]
    if len(tbs) < 6 or tbs[0][0] != 0x02 or tbs[3][0] != 0x30:
        raise ValueError("the signed part is not serial, algorithm, issuer, validity, ...")
    problems = _serial_problems(tbs[0][1])
    if tbs[1] != (parts[1][0], parts[1][1]):
        problems.append(
            f"the signature algorithm in the signed part ({tbs[1][1].hex()}) differs from the "
            f"outer one ({parts[1][1].hex()})"
        )
    validity = _children(tbs[3][1])
    if len(validity) != 2:
        problems.append(f"the validity has {len(validity)} times, not notBefore and notAfter")
    else:
        problems += _time_problems("notBefore", *validity[0])
        problems += _time_problems("notAfter", *validity[1])
    return tbs[0][1], problems


@pytest.mark.req("LEG-CA-FMT-2")
def test_issued_certificates_are_encoded_as_x509_requires(pki_legacy: LegacyPkiTarget) -> None:
    """Two enrolments of the account, two new keys: each answer's serial number, signature
    algorithm and validity are encoded as RFC 5280 §4.1 says, and two different
    certificates do not share a serial number."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    wrong: list[str] = []
    serials: list[tuple[bytes, bytes]] = []  # (serial, certificate DER)
    for number, slot in ((1, 6), (2, 7)):
        public_pem = pki0.suite_key(slot).public_key().export_key("PEM") + b"\n"
        status, answer = pki0.post_verify(
            url, pki0.verify_body(root_pem, alias, password, public_pem)
        )
        if status != 200:
            pytest.skip(
                f"not judged: enrolment {number} of {alias!r} answered {status} (the format "
                "cases say why)"
            )
        try:
            certificate_der = pem_to_der(answer)
            serial, problems = _fields(certificate_der)
        except (ValueError, IndexError) as exc:
            pytest.skip(
                f"not judged: the answer is not one PEM certificate the suite can read "
                f"({exc}; the format cases say how)"
            )
        wrong += [f"certificate {number}: {problem}" for problem in problems]
        serials.append((serial, certificate_der))
    (first, first_der), (second, second_der) = serials
    if first == second and first_der != second_der:
        wrong.append(
            f"the two certificates (issued for two keys) share the serial number 0x{first.hex()}"
        )
    assert not wrong, (
        f"LEG-CA-FMT-2 (the answer is PEM of an X.509 certificate: RFC 5280 §4.1.2.2 serial "
        f"positive, unique, at most 20 octets; §4.1.2.5 UTCTime YYMMDDHHMMSSZ through 2049; "
        f"§4.1.1.2 one signature algorithm), for {alias!r}: " + "; ".join(wrong)
    )
