"""Profile pki-legacy: every certificate on the sft-pki/0 wire is PEM text (docs/SPEC.md §7).

§7 defines `PEM(x)` as "the PEM text (RFC 7468) of x, as bytes, `-----BEGIN …` to the final
newline inclusive", and three messages carry one: `SECE` (LEG-PKI-FMT-3), `RSCV`
(LEG-PKI-FMT-4) and the CA's `200` body (LEG-CA-FMT-2). The other cases read them as
certificates (leniently: a parser accepts much); these read them as text, as RFC 7468 §2
makes generators write it: "Generators MUST wrap the base64-encoded lines so that each
line consists of exactly 64 characters except for the final line … and they MUST NOT emit
extraneous whitespace" — i.e. its `stricttextualmsg` (§3), whose line end may be CRLF, CR
or LF (any of them passes, used consistently), plus §7's final newline. What a peer
parser of another language stumbles on is what these catch: a MIME encoder's 76-column
lines, a stripped final newline, a C string's NUL, text around the block.
"""

from __future__ import annotations

import base64
import binascii
import re
import socket
import struct
import threading
from pathlib import Path

import pytest

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import HarnessError, LegacyStream
from conformance.legacy.test_legacy_pki0 import _run_requester

pytestmark = pytest.mark.xdist_group("pki-legacy")

_BEGIN = re.compile(rb"-----BEGIN CERTIFICATE-----(\r\n|\n|\r)")
_END = b"-----END CERTIFICATE-----"
_B64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_EOLS = b"\r\n"


def pem_text_problem(payload: bytes) -> str:
    """'' when `payload` is exactly one RFC 7468 strict PEM certificate with its final line
    end (docs/SPEC.md §7's PEM(x)); else what is wrong, with the bytes that show it."""
    found = _BEGIN.match(payload)
    if found is None:
        return f"it does not start with the line '-----BEGIN CERTIFICATE-----': {payload[:40]!r}"
    eol = found.group(1)
    rest = payload[found.end() :]
    if not rest.endswith(eol):
        return f"no final line end ({eol!r} as its first line's): it ends {payload[-30:]!r}"
    lines = rest[: -len(eol)].split(eol)
    if lines[-1] != _END:
        return f"its last line is {lines[-1][-40:]!r}, not {_END.decode()!r} (then the line end)"
    body = lines[:-1]
    if not body:
        return "no base64 lines between BEGIN and END"
    for number, line in enumerate(body, start=2):
        last = number == len(body) + 1
        if b"\r" in line or b"\n" in line:
            widths = sorted({len(x.rstrip(_EOLS)) for x in body})
            return (
                f"line {number} ends {line[-12:]!r}: mixed line ends (the BEGIN line ends "
                f"{eol!r}), base64 lines of {widths} characters"
            )
        if not _B64.fullmatch(line) or (b"=" in line and not last):
            return (
                f"line {number} is not base64 text ({line[:20]!r}…): other characters, "
                "white space, another line end or a second block"
            )
        if (len(line) != 64 and not last) or not 0 < len(line) <= 64:
            return (
                f"line {number} has {len(line)} characters: RFC 7468 lines are exactly 64 "
                f"but the last (1-64); lengths seen: {sorted({len(x) for x in body})}"
            )
    try:
        blob = base64.b64decode(b"".join(body), validate=True)
        der.read_certificate(der.der_to_pem(blob))
    except (binascii.Error, ValueError) as exc:
        return f"its base64 is no certificate ({exc})"
    return ""


def _identity_is_strict(identity: SuiteIdentity) -> None:
    """The suite's own PEM (what a requester is given to send) must pass, or a finding
    about the requester would be the suite's."""
    problem = pem_text_problem(identity.certificate_pem)
    if problem:
        raise HarnessError(f"sanity: the suite's own certificate PEM is not strict: {problem}")


@pytest.mark.req("LEG-PKI-FMT-4")
def test_rscv_is_the_pem_text_of_one_certificate(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    with LegacyStream(pki_legacy.host, pki_legacy.port) as stream:
        stream.send(pki0.frame(b"SECE", suite_identity.certificate_pem))
        try:
            answer = pki0.read_frame(stream, lenient=[])
        except ValueError as exc:
            pytest.skip(f"not judged: the answer is not a '!4sL' frame ({exc}; LEG-PKI-FMT-1)")
    if answer.type != b"RSCV":
        pytest.skip(f"not judged: the suite's certificate got {answer.type!r} (LEG-PKI-FMT-4)")
    if not answer.payload.startswith(b"-----BEGIN"):
        pytest.skip("not judged: RSCV carries no PEM text at all (test_legacy_pki0 reports it)")
    problem = pem_text_problem(answer.payload)
    assert not problem, (
        f"LEG-PKI-FMT-4 (RSCV's payload is PEM(responder certificate), RFC 7468 text to the "
        f"final newline): {problem} ({len(answer.payload)} bytes)"
    )


def _sece_recorder() -> tuple[socket.socket, dict[str, bytes], threading.Thread]:
    """A peer that records the requester's first frame (header as sent, payload by its
    big-endian length, at most 64 KiB) and closes: what SECE carries, nothing more."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    seen: dict[str, bytes] = {}

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(30)
            data = b""
            try:
                while len(data) < 8 or len(data) < 8 + struct.unpack("!L", data[4:8])[0]:
                    if len(data) >= 8 and struct.unpack("!L", data[4:8])[0] > 65536:
                        break
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError as exc:
                seen["error"] = f"{type(exc).__name__}: {exc}".encode()
            seen["data"] = data

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, seen, thread


@pytest.mark.req("LEG-PKI-FMT-3")
def test_the_requesters_sece_is_the_pem_text_of_its_certificate(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    _identity_is_strict(suite_identity)
    listener, seen, thread = _sece_recorder()
    try:
        done, _ = _run_requester(
            pki_legacy, suite_identity, tmp_path, listener.getsockname()[1], "report.bin"
        )
    finally:
        listener.close()
        thread.join(timeout=30)
    data = seen.get("data", b"")
    if len(data) < 8:
        pytest.skip(
            f"not judged: the requester sent no frame header ({done.describe()}; "
            "test_legacy_pki0's requester case reports it)"
        )
    kind, length = struct.unpack("!4sL", data[:8])
    payload = data[8 : 8 + length]
    if kind != b"SECE" or len(payload) != length or not payload.startswith(b"-----BEGIN"):
        pytest.skip(
            f"not judged: the first frame is {kind!r}, {length} bytes announced, "
            f"{len(payload)} read, starting {payload[:12]!r} (test_legacy_pki0 reports it)"
        )
    problem = pem_text_problem(payload)
    assert not problem, (
        f"LEG-PKI-FMT-3 (SECE's payload is PEM(requester certificate), RFC 7468 text to the "
        f"final newline; it was given a file holding exactly that): {problem} "
        f"({len(payload)} bytes)"
    )


@pytest.mark.req("LEG-CA-FMT-2")
def test_the_cas_answer_is_the_pem_text_of_one_certificate(pki_legacy: LegacyPkiTarget) -> None:
    if not (pki_legacy.ca_url and pki_legacy.enroll and pki_legacy.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = pki_legacy.enroll
    root_pem = pki_legacy.root.read_bytes()
    public = pki0.suite_key(1).public_key().export_key("PEM") + b"\n"
    status, body = pki0.post_verify(
        pki_legacy.ca_url, pki0.verify_body(root_pem, alias, password, public)
    )
    if status != 200 or not body.startswith(b"-----BEGIN"):
        pytest.skip(
            f"not judged: enrolment answered {status}, {body[:24]!r} (test_legacy_ca0 reports "
            "a status or a body that is no PEM)"
        )
    problem = pem_text_problem(body)
    assert not problem, (
        f"LEG-CA-FMT-2 (the 200 body is PEM(certificate), RFC 7468 text to the final "
        f"newline): {problem} ({len(body)} bytes)"
    )
