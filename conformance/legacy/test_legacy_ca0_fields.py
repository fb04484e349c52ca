"""Profile pki-legacy: what the sft-pki/0 CA puts in a certificate, and what it reads (§7.2).

test_legacy_ca0.py's format cases post the one right body and read the answer's CN, key
and signature. A CA can pass them and still:
- issue a subject with more than `CN = alias`: a template copied from the root (its C, O,
  OU kept, the CN replaced), where the seed's certificate has `CN = ALIAS` and nothing
  else (LEG-CA-FMT-2, §7.1.2: subject `CN = alias`);
- take the name it certifies from a member of the request body beside `payload` (a
  "name" or "alias" the client claims in clear), where the alias is the one the sealed
  credentials authenticated (LEG-CA-FMT-2: `CN = ALIAS` of CRED);
- check the 64 KiB limit on Content-Length only, so that a body sent without one
  (chunked) is read whole whatever its size (LEG-CA-FMT-3: a body over 64 KiB is 413).
"""

from __future__ import annotations

import base64
import json
import socket
import urllib.parse

import pytest

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

_OID_CN = bytes.fromhex("550403")
_LIMIT = 64 * 1024


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _enrolment(target: LegacyPkiTarget) -> tuple[str, str, bytes, str]:
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    return alias, password, target.root.read_bytes(), target.ca_url


def _public_pem(slot: int) -> bytes:
    return pki0.suite_key(slot).public_key().export_key("PEM") + b"\n"


def _tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, content, end) of the DER element at `offset` (definite lengths only)."""
    tag, first = data[offset], data[offset + 1]
    start, length = offset + 2, first
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return tag, data[start : start + length], start + length


def _elements(content: bytes) -> list[tuple[int, bytes]]:
    out, offset = [], 0
    while offset < len(content):
        tag, body, offset = _tlv(content, offset)
        out.append((tag, body))
    return out


def _attributes(name_tlv: bytes) -> list[tuple[str, str]]:
    """The (OID hex, value) of every attribute of a DER Name, RDN by RDN."""
    _, name, _ = _tlv(name_tlv, 0)
    found = []
    for _, rdn in _elements(name):
        for _, attribute in _elements(rdn):
            parts = _elements(attribute)
            oid = parts[0][1].hex() if parts else "?"
            value = parts[1][1].decode("utf-8", "replace") if len(parts) > 1 else ""
            found.append((oid, value))
    return found


def _certificate(answer: bytes) -> der.CertificateInfo | None:
    try:
        return der.read_certificate_leniently(answer)
    except ValueError:
        return None


@pytest.mark.req("LEG-CA-FMT-2")
def test_the_subject_is_the_alias_and_nothing_else(pki_legacy: LegacyPkiTarget) -> None:
    """One enrolment: the certificate's subject is exactly one attribute, CN = alias (no
    C, O, OU of the root's kept from a copied template)."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    status, answer = pki0.post_verify(
        url, pki0.verify_body(root_pem, alias, password, _public_pem(5))
    )
    cert = _certificate(answer) if status == 200 else None
    if cert is None:
        pytest.skip(f"not judged: the enrolment answered {status} (the format cases say why)")
    attributes = _attributes(cert.subject_name)
    if attributes != [(_OID_CN.hex(), alias)]:
        shown = ", ".join(f"{der_oid}={value!r}" for der_oid, value in attributes)
        _fail(
            "LEG-CA-FMT-2 (the certificate's subject is CN = ALIAS, §7.1.2)",
            f"enrolling {alias!r} got a certificate whose subject has {len(attributes)} "
            f"attribute(s): {shown} (OIDs in hex; 550403 is CN)",
        )


@pytest.mark.req("LEG-CA-FMT-2")
def test_members_beside_the_payload_do_not_name_the_certificate(
    pki_legacy: LegacyPkiTarget,
) -> None:
    """The account's sealed credentials with extra members in the body naming someone
    else: a CA may refuse the body (400) or ignore them; a certificate it issues is for
    the alias the credentials authenticated, never for a name claimed in clear."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    body = json.loads(pki0.verify_body(root_pem, alias, password, _public_pem(6)))
    other = "mallory" if alias != "mallory" else "trudy"
    for member in ("name", "alias", "user", "username", "cn", "common_name"):
        body.setdefault(member, other)
    status, answer = pki0.post_verify(url, json.dumps(body).encode())
    cert = _certificate(answer) if status == 200 else None
    if cert is not None and cert.subject_cn != alias:
        _fail(
            "LEG-CA-FMT-2 (CN = ALIAS, the alias of the sealed credentials)",
            f"the credentials of {alias!r} with body members name/alias/user/cn = {other!r} "
            f"got a certificate for CN={cert.subject_cn!r}",
        )


def _post_chunked(ca_url: str, body: bytes, timeout: float = 10.0) -> tuple[int | None, bytes]:
    """POST /verify with Transfer-Encoding: chunked (no Content-Length), 8 KiB chunks.
    (None, b"") when the CA closed without a status line."""
    parts = urllib.parse.urlsplit(ca_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST /verify HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunks = b"".join(
        f"{len(body[i : i + 8192]):x}\r\n".encode() + body[i : i + 8192] + b"\r\n"
        for i in range(0, len(body), 8192)
    )
    received = b""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendall(head + chunks + b"0\r\n\r\n")
        except OSError:
            pass  # a CA that answers early and closes: its answer is read below
        try:
            while len(received) < 1 << 20:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
        except OSError:  # a reset or a timeout: what arrived is judged
            pass
    status_line, _, rest = received.partition(b"\r\n")
    fields = status_line.split()
    if len(fields) < 2 or not fields[1].isdigit():
        return None, received[:200]
    return int(fields[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.req("LEG-CA-FMT-3")
def test_a_chunked_body_over_64_kib_is_not_served(pki_legacy: LegacyPkiTarget) -> None:
    """The account's right credentials in a body of more than 64 KiB (a padding member),
    sent chunked, without a Content-Length: a CA may answer 413, 411 or 400, or close; it
    must not read it whole and issue a certificate."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    body = json.loads(pki0.verify_body(root_pem, alias, password, _public_pem(7)))
    body["padding"] = base64.b64encode(bytes(_LIMIT)).decode()
    raw = json.dumps(body).encode()
    assert len(raw) > _LIMIT
    status, answer = _post_chunked(url, raw)
    if status == 200 or b"-----BEGIN CERTIFICATE-----" in answer:
        _fail(
            "LEG-CA-FMT-3 (a body over 64 KiB is answered 413)",
            f"a chunked body of {len(raw)} bytes (no Content-Length) with the credentials of "
            f"{alias!r} was read whole and answered {status}: {answer[:40]!r}",
        )
