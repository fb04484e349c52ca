"""Profile pki-legacy: what the sft-pki/0 responder serves, and to whom (docs/SPEC.md §7.1).

test_legacy_pki0.py's format cases present the suite's one identity, whole and well
formed, one request at a time. A responder can pass them and still serve what the format
does not allow, the way a programmer's shortcut or fallback makes it:
- LEG-PKI-FMT-4: RSCV only for a certificate with a valid root signature. A payload that
  is no certificate at all (a check that runs only on what parsed fails open), or several
  PEM blocks of which one the root signed ("a chain was sent") must not earn RSCV for a
  key the root did not certify;
- LEG-PKI-FMT-6: each piece is `OAEP(requester public key, piece)` of THIS session's
  requester: ciphertexts cached per file name serve the next requester the first one's;
  and the pieces, then the close, follow the RQFL whatever the requester does next — a
  requester that half-closes its side after RQFL (it has nothing more to send) still
  gets the file (a server that ends the session at the peer's FIN, Node's default
  `allowHalfOpen: false`, does not).
"""

from __future__ import annotations

import datetime
import socket
import struct

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import TimedOut, hexdump
from conformance.legacy.test_legacy_pki0 import _known

pytestmark = pytest.mark.xdist_group("pki-legacy")

_HEADER = struct.Struct("!4sL")
PATIENCE = 3.0  # how long an answer to a SECE is waited for where only RSCV is a finding


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def another_identity(target: LegacyPkiTarget, slot: int, alias: str) -> tuple[RSA.RsaKey, bytes]:
    """A second key the root certified, and its PEM certificate: minted under the root in
    lab mode (CN `alias`), else enrolled at the CA with the --enroll account (its alias);
    skipped when neither is possible."""
    key = pki0.suite_key(slot)
    if target.ca_key is not None and target.root is not None:
        now = datetime.datetime.now(datetime.UTC)
        pem = der.mint_under_root(
            target.root.read_bytes(),
            RSA.import_key(target.ca_key.read_bytes()),
            alias,
            key,
            not_before=now - datetime.timedelta(minutes=5),
            not_after=now + datetime.timedelta(days=1),
        )
        return key, pem
    if target.enroll and target.ca_url and target.root:
        account, password = target.enroll
        public_pem = key.public_key().export_key("PEM") + b"\n"
        body = pki0.verify_body(target.root.read_bytes(), account, password, public_pem)
        status, answer = pki0.post_verify(target.ca_url, body)
        try:
            if status == 200 and der.read_certificate(answer).public_key == key.public_key():
                return key, answer
        except ValueError:
            pass
        pytest.skip(f"not judged: a second enrolment of {account!r} answered {status}")
    pytest.skip("needs a second certified key: --ca-key (lab mode), or --ca-url with --enroll")


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_sece_that_is_no_certificate_gets_no_rscv(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """RSCV answers a certificate that carries the root's signature; what is no
    certificate carries none (RSCI, or a close: either is the format's refusal)."""
    mine = suite_identity.certificate_pem
    lines = mine.strip().split(b"\n")
    truncated = b"\n".join([*lines[: len(lines) // 2], lines[-1]]) + b"\n"
    payloads = {
        "a PEM block whose base64 is no DER": b"-----BEGIN CERTIFICATE-----\n"
        b"Tm90IGEgY2VydGlmaWNhdGUsIGp1c3QgdGV4dA==\n-----END CERTIFICATE-----\n",
        "the suite's certificate PEM cut after half its lines": truncated,
        "600 bytes of text that is no PEM": b"certificate? " * 46 + b"\n\n",
        "an empty payload": b"",
    }
    served = []
    for what, payload in payloads.items():
        try:
            session = pki0.run_session(
                pki_legacy.host, pki_legacy.port, payload, None, None, timeout=PATIENCE
            )
        except (TimedOut, OSError):
            continue  # no answer at all is no RSCV (how long a refusal takes is not judged)
        if session.answer is not None and session.answer.type == b"RSCV":
            served.append(f"{what} ({len(payload)} bytes, {payload[:32]!r}…): RSCV")
    assert not served, (
        "LEG-PKI-FMT-4 (RSCV only when the SECE certificate carries a valid signature of the "
        "root; otherwise RSCI and a close): " + "; ".join(served)
    )


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_forged_certificate_before_a_valid_one_is_not_served(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, root_pem: bytes
) -> None:
    """SECE of two PEM blocks: first a certificate naming the root as issuer but signed
    by the suite's other key, then the suite's valid one. The format's SECE is one
    certificate; a responder that takes the first refuses it (RSCI), one that takes the
    last serves the VALID certificate's key. A responder that checks the blocks as a
    chain ("one of them is the root's") and then seals for the first serves the file to
    a key the root never certified: that is the violation judged."""
    forged_key = pki0.suite_key(1)
    root = der.read_certificate(root_pem)
    now = datetime.datetime.now(datetime.UTC)
    forged = der.mint_certificate(
        suite_identity.alias,
        forged_key,
        root.subject_cn,
        forged_key,
        not_before=now - datetime.timedelta(minutes=5),
        not_after=now + datetime.timedelta(days=1),
        issuer_name=root.subject_name,
    )
    name, content = _known(pki_legacy)
    try:
        session = pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            forged + suite_identity.certificate_pem,
            forged_key,
            name,
            timeout=PATIENCE,
            patience=PATIENCE,
        )
    except TimedOut:
        return  # no answer, or RSCI left open: not served (LEG-PKI-FMT-4's cases judge how)
    if session.answer is None or session.answer.type != b"RSCV" or not session.pieces:
        return  # refused, or served to the valid certificate's key only
    _fail(
        "LEG-PKI-FMT-4 (RSCV, and the file, only for a certificate the root signed)",
        f"SECE carried a forged certificate (CN={suite_identity.alias!r}, issuer the root's "
        f"DN, signed by a key of the suite's, not the root's) followed by the suite's valid "
        f"certificate: the responder answered RSCV and sealed {len(session.pieces)} of "
        f"{len(session.rsfl_payloads)} pieces of {name!r} to the FORGED certificate's key "
        f"({sum(map(len, session.pieces))} bytes, "
        + ("the file" if content.matches(session.content) else "not the declared file")
        + ")",
    )


def _fetch(
    target: LegacyPkiTarget, key: RSA.RsaKey, certificate: bytes, name: str
) -> pki0.PkiSession:
    try:
        session = pki0.run_session(
            target.host, target.port, certificate, key, name, timeout=10.0, patience=PATIENCE
        )
    except (TimedOut, OSError) as exc:
        pytest.skip(f"not judged: a certified key's fetch got {exc!r} (the format cases say why)")
    if session.answer is None or session.answer.type != b"RSCV":
        got = None if session.answer is None else session.answer.type
        pytest.skip(f"not judged: a certified key's SECE got {got!r} (the format cases say why)")
    return session


@pytest.mark.req("LEG-PKI-FMT-6")
def test_each_requester_gets_the_pieces_under_its_own_key(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """The same file for two requesters with two keys, one after the other: each RSFL is
    OAEP under THAT session's requester key (not ciphertexts kept from an earlier one)."""
    name, content = _known(pki_legacy)
    other_key, other_cert = another_identity(pki_legacy, 2, "suite-second")
    first = _fetch(pki_legacy, suite_identity.key, suite_identity.certificate_pem, name)
    if first.undecryptable or not content.matches(first.content):
        pytest.skip(
            "not judged: the suite's own fetch of the file is not the format's (the format "
            "cases of test_legacy_pki0.py report how)"
        )
    wrong = []
    for who, key, certificate in (
        ("a second certified key", other_key, other_cert),
        ("the suite's identity again", suite_identity.key, suite_identity.certificate_pem),
    ):
        session = _fetch(pki_legacy, key, certificate, name)
        if session.undecryptable or not content.matches(session.content):
            wrong.append(
                f"{who}: {len(session.undecryptable)} of {len(session.rsfl_payloads)} RSFL "
                "payloads are no OAEP block under its key"
                + (
                    f" (the first: {hexdump(session.rsfl_payloads[session.undecryptable[0]], 16)})"
                    if session.undecryptable
                    else f"; the {len(session.content)} bytes decrypted are not the file"
                )
            )
    assert not wrong, (
        f"LEG-PKI-FMT-6 (each piece of {name!r} is OAEP under the requester's public key, "
        "the requester of this session): " + "; ".join(wrong)
    )


class _NotJudged(Exception):
    """The exchange deviates before what the case judges (the format cases report it)."""


class _Frames:
    """A raw socket's `!4sL` frames (the half-close case holds its own socket)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def _exact(self, n: int) -> bytes | None:
        for _ in range(1 << 16):  # bounded; the socket timeout ends a silent peer
            if len(self.buffer) >= n:
                break
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self) -> tuple[bytes, bytes] | None:
        header = self._exact(_HEADER.size)
        if header is None:
            return None
        kind, length = _HEADER.unpack(header)
        if length > 1 << 20:  # a little-endian writer (LEG-PKI-FMT-1's case reports it)
            length = int.from_bytes(header[4:], "little")
        if length > 1 << 20:
            raise _NotJudged(f"frame {kind!r}: no plausible length ({hexdump(header, 8)})")
        payload = self._exact(length)
        return None if payload is None else (kind, payload)


@pytest.mark.req("LEG-PKI-FMT-6")
def test_a_requesters_half_close_after_rqfl_still_gets_the_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """SECE, RQFL, then shutdown(SHUT_WR): the requester has nothing more to send and says
    so (a TCP half-close, not a close: it still reads). The responder MUST still send
    every piece, then close (LEG-PKI-FMT-6); the end of the file is ITS close."""
    name, content = _known(pki_legacy)
    control = _fetch(pki_legacy, suite_identity.key, suite_identity.certificate_pem, name)
    if control.undecryptable or not content.matches(control.content):
        pytest.skip("not judged: the suite's plain fetch of the file is not the format's")
    little = bool(control.header_deviations)  # a responder that reads lengths little-endian
    pieces: list[bytes] = []
    other: list[bytes] = []
    try:
        with socket.create_connection((pki_legacy.host, pki_legacy.port), timeout=10) as sock:
            frames = _Frames(sock)
            sock.sendall(pki0.frame(b"SECE", suite_identity.certificate_pem, little_endian=little))
            answer = frames.frame()
            if answer is None or answer[0] != b"RSCV":
                raise _NotJudged(f"the suite's SECE got {answer and answer[0]!r}")
            responder = der.read_certificate_leniently(answer[1])
            sealed = pki0.oaep_encrypt(responder.public_key, name.encode())
            rqfl = pki0.frame(b"RQFL", sealed, little_endian=little)
            # RQFL and the FIN in one segment where the system allows (Linux: TCP_CORK), so
            # that the responder sees the half-close as it reads RQFL, not after its reply.
            cork = getattr(socket, "TCP_CORK", None)
            if cork is not None:
                sock.setsockopt(socket.IPPROTO_TCP, cork, 1)
            sock.sendall(rqfl)
            sock.shutdown(socket.SHUT_WR)
            if cork is not None:
                sock.setsockopt(socket.IPPROTO_TCP, cork, 0)
            try:
                for _ in range(1 << 20):  # bounded by the file
                    got = frames.frame()
                    if got is None:
                        break
                    if got[0] == b"RSFL":
                        pieces.append(pki0.oaep_decrypt(suite_identity.key, got[1]))
                    else:
                        other.append(got[0])
            except (OSError, ValueError, _NotJudged) as exc:
                other.append(f"{type(exc).__name__}".encode())
    except (OSError, ValueError, _NotJudged) as exc:
        if not pieces and not other:
            pytest.skip(f"not judged: before RQFL, {exc!r}")
    received = b"".join(pieces)
    if content.matches(received) and not other:
        return
    _fail(
        "LEG-PKI-FMT-6 (after RQFL the responder sends every piece, then closes)",
        f"SECE, RQFL for {name!r} ({content.size} bytes), then the requester's half-close "
        f"(shutdown SHUT_WR, still reading): the responder sent {len(pieces)} RSFL "
        f"({len(received)} bytes)" + (f", then {other!r}" if other else ", then closed"),
    )
