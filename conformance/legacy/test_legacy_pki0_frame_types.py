"""Profile pki-legacy: each frame type is taken only where the session has it (§7.1.3).

The session is a fixed sequence: the requester's `SECE`; the responder's `RSCV` (or `RSCI`
and a close); the requester's one `RQFL`; the responder's `RSFL` pieces, then its close
(LEG-PKI-FMT-3 to LEG-PKI-FMT-6). The five types all carry a certificate or an RSA-OAEP
block, so a peer that dispatches on "what the payload looks like", or on "anything but
the one refusal", reads a frame of another type where the sequence has none.
test_legacy_pki0*.py's cases send and answer the right type at every step, so such a
peer passes them and still:
- responder: opens a session on any first frame that carries a root-signed certificate
  (a `switch` whose default is "the certificate"): an `RSCV` or `RQFL` is answered `RSCV`
  (LEG-PKI-FMT-4: `RSCV` answers a `SECE`);
- responder: takes the frame after `RSCV` as the request whatever its type (an `RSFL` or
  a `SECE` carrying `OAEP(responder key, name)`), or an `RQFL` whose payload does not
  decrypt as the name in clear ("a requester without our key"): the file is served to a
  request that is no `RQFL` of the format (LEG-PKI-FMT-5);
- requester: refuses `RSCI` only, and takes any other answer carrying a certificate — its
  own `SECE` reflected, an `RSFL` — for `RSCV`, sending its `RQFL` to it (LEG-PKI-FMT-5:
  `RQFL` follows `RSCV`);
- requester: after `RQFL`, writes every frame but `RSCI` (or every frame) into the file:
  an `RSCV`, `SECE` or `RQFL` carrying `OAEP(requester key, bytes)` becomes part of it,
  where the file is the concatenation of the `RSFL` pieces (LEG-PKI-FMT-6).
A peer that refuses, ignores or closes on the stray frame passes: only serving a file,
sending the name, or keeping the stray bytes is judged.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_pki0 import (
    _known,
    _run_requester,
    _SocketReader,
    _wanted_alias,
)
from conformance.legacy.test_legacy_pki0_responder import _Frames, _NotJudged, another_identity

pytestmark = pytest.mark.xdist_group("pki-legacy")

# How long a peer may take to answer a frame: far longer than any answer needs on
# loopback (a bound on the wait, not a synchronisation).
PATIENCE = 3.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _answer(sock: socket.socket, frames: _Frames) -> tuple[bytes, bytes] | None:
    """The responder's next frame within PATIENCE; None for a close, a reset or silence."""
    sock.settimeout(PATIENCE)
    try:
        return frames.frame()
    except (TimeoutError, OSError):
        return None


def _responder_key(target: LegacyPkiTarget, identity: SuiteIdentity) -> tuple[str, RSA.RsaKey]:
    """(a file of the share, the responder's public key), from one plain session that gets
    that file; the case is not judged when the responder does not serve it so."""
    name, content = _known(target)
    session = pki0.run_session(
        target.host, target.port, identity.certificate_pem, identity.key, name
    )
    if session.responder is None or not content.matches(session.content):
        pytest.skip("not judged: the suite's plain session does not get the file (see the "
                    "format cases)")  # fmt: skip
    return name, session.responder.public_key


@pytest.mark.req("LEG-PKI-FMT-4")
def test_only_a_sece_is_answered_rscv(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """The suite's root-signed certificate as the first frame, typed `RSCV`, then `RQFL`
    (each on a connection of its own): no `SECE` opened the session, so no `RSCV` may
    answer (a close, `RSCI` or silence all pass)."""
    _responder_key(pki_legacy, suite_identity)  # the same certificate in a SECE gets RSCV
    answered = []
    for kind in (b"RSCV", b"RQFL"):
        with socket.create_connection((pki_legacy.host, pki_legacy.port), timeout=10) as sock:
            sock.sendall(pki0.frame(kind, suite_identity.certificate_pem))
            try:
                got = _answer(sock, _Frames(sock))
            except _NotJudged:
                got = None
        if got is not None and got[0] == b"RSCV":
            answered.append(kind.decode())
    if answered:
        _fail(
            "LEG-PKI-FMT-4 (the responder answers RSCV to the requester's SECE, the session's "
            "first frame; LEG-PKI-FMT-3)",
            f"a first frame typed {' and '.join(map(repr, answered))}, carrying the suite's "
            f"root-signed certificate ({suite_identity.how}), was answered RSCV: the frame's "
            "type is not checked, any frame with a certificate opens a session",
        )


@pytest.mark.req("LEG-PKI-FMT-5")
def test_only_an_rqfl_sealed_to_the_responder_gets_the_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """After `RSCV`, the request for a file of the share typed `RSFL`, then `SECE`
    (`OAEP(responder key, name)`, the RQFL payload), then an `RQFL` carrying the name in
    clear: none is the format's request, so no `RSFL` may answer."""
    name, responder_key = _responder_key(pki_legacy, suite_identity)
    sealed = pki0.oaep_encrypt(responder_key, name.encode())
    served = []
    for kind, payload in ((b"RSFL", sealed), (b"SECE", sealed), (b"RQFL", name.encode())):
        with socket.create_connection((pki_legacy.host, pki_legacy.port), timeout=10) as sock:
            frames = _Frames(sock)
            sock.sendall(pki0.frame(b"SECE", suite_identity.certificate_pem))
            try:
                first = _answer(sock, frames)
                if first is None or first[0] != b"RSCV":
                    pytest.skip(f"not judged: the suite's SECE got {first and first[0]!r}")
                sock.sendall(pki0.frame(kind, payload))
                got = _answer(sock, frames)
            except _NotJudged as exc:
                pytest.skip(f"not judged: {exc}")
        if got is not None and got[0] == b"RSFL":
            what = "the name in clear" if kind == b"RQFL" else "OAEP(responder key, name)"
            served.append(f"{kind.decode()!r} carrying {what}")
    if served:
        _fail(
            "LEG-PKI-FMT-5 (after RSCV the requester sends one RQFL, OAEP(responder public "
            "key, name))",
            f"{name!r} was asked for with " + "; with ".join(served) + ": each was answered "
            "with RSFL pieces of the file — a request that is no RQFL of the format is served",
        )


def _stray_responder(
    target: LegacyPkiTarget, answer_type: bytes | None, stray: list[tuple[bytes, bytes]],
    pieces: list[bytes],
) -> tuple[socket.socket, dict[str, bytes], threading.Thread]:  # fmt: skip
    """A responder holding a second certified key (CN = the wanted alias). `answer_type`:
    it answers SECE with a frame of that type carrying its certificate and waits for
    what follows (None: RSCV, then after RQFL the RSFL `pieces` with the `stray` frames —
    (type, plain bytes) sealed to the requester — between the first and the second)."""
    _key, certificate = another_identity(target, 4, _wanted_alias(target))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    seen: dict[str, bytes] = {}

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            try:
                conn.settimeout(30)
                reader = _SocketReader(conn)
                _, sece = reader.frame()
                requester = der.read_certificate_leniently(sece).public_key
                conn.sendall(reader.reply(answer_type or b"RSCV", certificate))
                if answer_type is not None:
                    conn.settimeout(PATIENCE)
                    seen["after"] = reader.frame()[0]
                    return
                seen["rqfl"] = reader.frame()[0]
                frames = [(b"RSFL", pieces[0]), *stray, *((b"RSFL", p) for p in pieces[1:])]
                for kind, plain in frames:
                    conn.sendall(reader.reply(kind, pki0.oaep_encrypt(requester, plain)))
                seen["served"] = b"yes"
            except (OSError, ValueError) as exc:
                seen.setdefault("error", f"{type(exc).__name__}: {exc}".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, seen, thread


@pytest.mark.req("LEG-PKI-FMT-5")
def test_the_requester_sends_rqfl_only_after_rscv(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    """A responder that answers the requester's SECE with a `SECE` (a certificate
    reflected, as a peer that is itself a requester would), then with an `RSFL`, each
    carrying a root-signed certificate: neither is `RSCV`, so no `RQFL` may follow."""
    sent = []
    for kind in (b"SECE", b"RSFL"):
        listener, seen, thread = _stray_responder(pki_legacy, kind, [], [])
        try:
            done, _ = _run_requester(
                pki_legacy, suite_identity, tmp_path / kind.decode(), listener.getsockname()[1],
                "report.bin",
            )  # fmt: skip
        finally:
            listener.close()
            thread.join(timeout=30)
        if seen.get("after") == b"RQFL":
            sent.append(f"{kind.decode()!r} (the requester then {done.describe()})")
    if sent:
        _fail(
            "LEG-PKI-FMT-5 (after RSCV the requester sends one RQFL)",
            "the responder answered SECE with " + " and with ".join(sent) + ", carrying a "
            "root-signed certificate: the requester sent its RQFL (the file name, sealed to "
            "that certificate's key) to an answer that is no RSCV",
        )


@pytest.mark.req("LEG-PKI-FMT-6")
def test_frames_of_other_types_are_no_part_of_the_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    """After RQFL: one RSFL piece, then an `RSCV`, a `SECE` and an `RQFL` each carrying
    OAEP(requester key, 40 bytes of their own), then a last RSFL piece and the close. The
    file is the RSFL pieces: the stray frames' bytes MUST NOT be in what is kept (a
    requester that refuses the transfer, or ignores them, passes)."""
    pieces = [os.urandom(100), os.urandom(55)]
    stray = [(kind, os.urandom(40)) for kind in (b"RSCV", b"SECE", b"RQFL")]
    listener, seen, thread = _stray_responder(pki_legacy, None, stray, pieces)
    try:
        done, saved = _run_requester(
            pki_legacy, suite_identity, tmp_path, listener.getsockname()[1], "report.bin"
        )
    finally:
        listener.close()
        thread.join(timeout=30)
    if "served" not in seen:
        pytest.skip(
            f"not judged: the requester did not take the transfer this far ({done.describe()}; "
            f"{seen.get('error', b'')!r})"
        )
    kept = [kind.decode() for kind, plain in stray if saved is not None and plain in saved]
    if kept:
        _fail(
            "LEG-PKI-FMT-6 (the file is the concatenation of the decrypted RSFL pieces in "
            "arrival order)",
            f"between two RSFL pieces the responder sent frames typed {', '.join(kept)}, each "
            f"carrying OAEP(requester key, 40 bytes): the requester {done.success_evidence()} "
            f"and kept {len(saved or b'')} bytes that contain them — a frame of another type "
            "was written into the file",
        )
