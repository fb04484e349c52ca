"""Profile pki-legacy: the sft-pki/0 responder (docs/SPEC.md §7.1).

LEG-PKI-FMT-* tests pass against a faithful legacy responder; LEG-PKI-n tests check the
v1 requirement that the legacy design violates and FAIL with evidence from the wire.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import socket
import threading
import time
from pathlib import Path
from typing import NoReturn

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import KnownContent, LegacyPkiTarget
from conformance.legacy.stream import Closed, HarnessError, LegacyStream, TimedOut, hexdump
from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


PATIENCE = 3.0  # how long a silent, open connection is waited for before it is a finding


def _unanswered(what: str) -> NoReturn:
    """A responder that closes on a well-formed SECE, in either byte order (pki0.run_session
    tries both), does not speak the format (a faithful one with another root answers
    RSCI): LEG-PKI-FMT-1/-3/-4's cases FAIL it; a case that needs a session cannot judge."""
    pytest.skip(
        f"not judged: the responder closed without answering {what}, not the sft-pki/0 "
        "exchange (its LEG-PKI-FMT cases report it): nothing to observe"
    )


def _accepted(session: pki0.PkiSession, identity: SuiteIdentity) -> pki0.PkiSession:
    """The suite's own certificate must get RSCV, or no case about a request can judge."""
    if session.answer is None and session.misframed:
        pytest.skip(
            f"not judged: the responder's answer to the suite's SECE is not a '!4sL' frame "
            f"({session.misframed}; LEG-PKI-FMT-1's case reports it): nothing to observe"
        )
    if session.answer is None:
        _unanswered(f"the suite's SECE ({identity.how}, CN={identity.alias!r})")
    if session.answer.type != b"RSCV" or session.responder is None:
        raise HarnessError(
            f"sanity: the responder answered the suite's certificate ({identity.how}, "
            f"CN={identity.alias!r}) with {session.answer.type!r}, not RSCV: no request was "
            "sent; check "
            "--root/--ca-key/--enroll"
        )
    return session


def _known(target: LegacyPkiTarget) -> tuple[str, KnownContent]:
    if target.known_file is None:
        pytest.skip(
            "needs a file known to be in the responder's share ([files] in the target file)"
        )
    return target.known_file.name, target.known_file


# --- wire format (passes against sft-pki/0) --------------------------------------


@pytest.mark.req("LEG-PKI-FMT-1", "LEG-PKI-FMT-3", "LEG-PKI-FMT-4")
def test_sece_is_answered_with_rscv_and_the_responders_certificate(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, None
    )
    assert not session.misframed, (
        f"LEG-PKI-FMT-1 (a 4-byte type, a 4-byte big-endian length): {session.misframed}"
    )
    assert session.answer is not None, "sanity: the responder closed without answering SECE"
    assert not session.header_deviations, (
        "LEG-PKI-FMT-1 (the length is a 4-byte big-endian uint32): "
        + "; ".join(session.header_deviations)
    )
    assert session.answer.type == b"RSCV", f"expected RSCV, got {session.answer.type!r}"
    assert session.responder is not None
    if pki_legacy.responder_alias:
        assert session.responder.subject_cn == pki_legacy.responder_alias
    if pki_legacy.root is not None:
        root = der.read_certificate(pki_legacy.root.read_bytes())
        assert session.responder.signed_by(root.public_key), "RSCV certificate not from the root"


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_foreign_certificate_gets_rsci_and_a_close(pki_legacy: LegacyPkiTarget) -> None:
    key = pki0.suite_key(1)
    now = datetime.datetime.now(datetime.UTC)
    self_signed = der.mint_certificate(
        "mallory", key, "mallory", key, not_before=now, not_after=now + datetime.timedelta(days=1)
    )
    session = pki0.run_session(pki_legacy.host, pki_legacy.port, self_signed, key, "x")
    assert not session.misframed, f"expected RSCI, the answer is misframed: {session.misframed}"
    received = b"".join(session.stream.reads) if session.stream is not None else b""
    assert session.answer is not None, "expected RSCI, the responder closed " + (
        f"after {hexdump(received, 16)}, not a frame" if received else "silently"
    )
    assert (session.answer.type, session.answer.payload) == (b"RSCI", b"")
    assert session.closed, "expected a close after RSCI"


@pytest.mark.req("LEG-PKI-FMT-5", "LEG-PKI-FMT-6")
def test_a_file_arrives_in_100_byte_rsa_oaep_pieces_then_a_close(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    session = pki0.run_session(
        pki_legacy.host,
        pki_legacy.port,
        suite_identity.certificate_pem,
        suite_identity.key,
        name,
        patience=PATIENCE,
    )
    _accepted(session, suite_identity)
    assert not session.hung, (
        f"after the last piece the responder kept the connection open {PATIENCE} s"
    )
    assert not session.undecryptable, (
        f"RSFL payloads {session.undecryptable} of {len(session.rsfl_payloads)} are not "
        "RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) under the requester's key: "
        f"{hexdump(session.rsfl_payloads[session.undecryptable[0]], 16)}"
    )
    assert content.matches(session.content), "the file differs from the declared one"
    assert [len(p) for p in session.pieces] == [
        min(100, content.size - i) for i in range(0, content.size, 100)
    ]
    assert all(len(p) == 256 for p in session.rsfl_payloads)
    assert session.closed and not session.other_frames


@pytest.mark.req("LEG-PKI-FMT-6")
def test_an_empty_file_is_no_rsfl_then_a_close(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """The boundary of the 100-byte pieces: an empty file has none (a do-while send loop
    sends one RSFL of an empty piece)."""
    name = pki_legacy.empty_file
    if name is None:
        pytest.skip("needs an empty file in the responder's share ([files] entry of size 0)")
    session = pki0.run_session(
        pki_legacy.host,
        pki_legacy.port,
        suite_identity.certificate_pem,
        suite_identity.key,
        name,
        patience=PATIENCE,
    )
    _accepted(session, suite_identity)
    got = (
        f"{len(session.rsfl_payloads)} RSFL frames (pieces of "
        f"{[len(p) for p in session.pieces]} bytes), {len(session.other_frames)} other frames, "
        + ("then a close" if session.closed else f"then nothing for {PATIENCE} s, no close")
    )
    assert session.closed and not session.rsfl_payloads and not session.other_frames, (
        f"LEG-PKI-FMT-6 (an empty file has no piece: no RSFL, then a close): requested the "
        f"empty file {name!r} and got {got}"
    )


NAME_LIMIT = 190  # LEG-PKI-FMT-5: the UTF-8 name is at most 190 bytes (one OAEP block)


@pytest.mark.req("LEG-PKI-FMT-5", "LEG-PKI-FMT-6")
def test_a_name_of_190_bytes_is_served_whole(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """Names fill the whole OAEP block (up to 190 bytes): a responder that copies the name
    into a fixed-size buffer, or reads a fixed number of its bytes, opens another file.
    The long name is the declared file behind `./` components, which share/NAME resolves
    to that file (no `..`, not absolute: inside the share for any confinement)."""
    name, content = _known(pki_legacy)
    width = len(name.encode())
    repeat = (NAME_LIMIT - width) // 2
    if repeat < 8:
        pytest.skip(f"the declared file's name ({width} bytes) leaves no room for a long name")
    long_name = "./" * repeat + name
    session = pki0.run_session(
        pki_legacy.host,
        pki_legacy.port,
        suite_identity.certificate_pem,
        suite_identity.key,
        long_name,
        patience=PATIENCE,
    )
    _accepted(session, suite_identity)
    if session.undecryptable or session.misframed:
        pytest.skip("not judged: the pieces are not in the format (the 100-byte case reports it)")
    got = (
        f"{len(session.rsfl_payloads)} RSFL frames, {len(session.content)} bytes"
        + (
            ", the declared content"
            if content.matches(session.content)
            else ", not the declared content"
        )
        + (", then a close" if session.closed else f", then nothing for {PATIENCE} s")
    )
    assert content.matches(session.content), (
        f"LEG-PKI-FMT-5, LEG-PKI-FMT-6 (the responder opens share/NAME for any UTF-8 name of "
        f"up to 190 bytes): requested {long_name[:12]!r}…{long_name[-24:]!r} "
        f"({len(long_name.encode())} bytes: {name!r} behind {repeat} './' components, which "
        f"the seed's os.path.join opens) and got {got}, not the {content.size} bytes of "
        f"{name!r}: the long name was cut or misread"
    )


MISSING = "no-such-file-8f3a1c.bin"
_MISSING_SESSIONS: dict[tuple[str, int], pki0.PkiSession] = {}


def _missing_file_session(target: LegacyPkiTarget, identity: SuiteIdentity) -> pki0.PkiSession:
    """One request for a missing file, shared by LEG-PKI-FMT-7 and LEG-PKI-8: a responder
    that hangs on it costs the bounded wait (PATIENCE) once, not once per case."""
    where = (target.host, target.port)
    if where not in _MISSING_SESSIONS:
        _MISSING_SESSIONS[where] = _accepted(
            pki0.run_session(
                target.host,
                target.port,
                identity.certificate_pem,
                identity.key,
                MISSING,
                patience=PATIENCE,
            ),
            identity,
        )
    return _MISSING_SESSIONS[where]


@pytest.mark.req("LEG-PKI-FMT-7")
def test_a_missing_file_is_a_close_without_rsfl(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    session = _missing_file_session(pki_legacy, suite_identity)
    assert not session.hung, (
        f"requested {MISSING!r}: the responder neither answered nor closed within {PATIENCE} s "
        "(LEG-PKI-FMT-7: a file that cannot be opened MUST be answered with a close)"
    )
    assert session.closed and not session.rsfl_payloads and not session.other_frames, (
        f"requested {MISSING!r}: got {len(session.rsfl_payloads)} RSFL and "
        f"{[f.type for f in session.other_frames]} instead of a bare close"
    )


# --- security requirements the legacy design violates (FAIL with evidence) --------


@pytest.mark.req("LEG-PKI-1", "PKI-TLS-1")
def test_identities_travel_in_clear(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, None
    )
    assert session.stream is not None
    first = bytes(session.stream.received[:16])
    if session.answer is not None and first[:4] in (b"RSCV", b"RSCI"):
        seen = (
            f"its certificate (CN={session.responder.subject_cn!r}) and ours"
            if session.responder is not None
            else "the certificate we sent"
        )
        _fail(
            "LEG-PKI-1 / PKI-TLS-1 (the channel MUST be TLS 1.3)",
            f"the responder read our certificate from a clear SECE frame and answered with a "
            f"clear {first[:4].decode()} frame ({hexdump(first)}), not a TLS record; {seen} "
            f"(CN={suite_identity.alias!r}) are readable by any eavesdropper",
        )


@pytest.mark.req("LEG-PKI-2", "PKI-TLS-3", "PKI-ID-2")
def test_no_proof_of_possession_of_the_certificate_key(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    first = _accepted(
        pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            suite_identity.certificate_pem,
            suite_identity.key,
            None,
        ),
        suite_identity,
    )
    assert first.answer is not None and first.responder is not None
    stolen = first.answer.payload  # the responder's own certificate; its key is not ours
    name = pki_legacy.known_file.name if pki_legacy.known_file else "x"
    replay = pki0.run_session(
        pki_legacy.host, pki_legacy.port, stolen, None, name, patience=PATIENCE
    )
    if replay.answer is not None and replay.answer.type == b"RSCV":
        _fail(
            "LEG-PKI-2 / PKI-TLS-3, PKI-ID-2 (the responder MUST require proof of the key)",
            f"presented the responder's own certificate (CN={first.responder.subject_cn!r}), "
            f"whose private key the suite does not hold: answered RSCV and served "
            f"{len(replay.rsfl_payloads)} RSFL frames for {name!r}",
        )


def _bad_certificates(
    root_pem: bytes, root_key: RSA.RsaKey, key: RSA.RsaKey
) -> dict[str, tuple[str, bytes]]:
    """Root-signed certificates an endpoint MUST refuse: description -> (v1 ID, PEM)."""
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    good_ext = (
        der.basic_constraints(False),
        der.extended_key_usage(der.EKU_CLIENT_AUTH, der.EKU_SERVER_AUTH),
    )

    def mint(
        cn: str, start: datetime.datetime, end: datetime.datetime, ext: tuple[bytes, ...]
    ) -> bytes:
        return der.mint_under_root(
            root_pem, root_key, cn, key, not_before=start, not_after=end, extensions=ext
        )

    return {
        "expired 35 days ago": (
            "PKI-CERT-3",
            mint("expired-suite", now - 400 * day, now - 35 * day, good_ext),
        ),
        "not valid before tomorrow": (
            "PKI-CERT-3",
            mint("future-suite", now + day, now + 30 * day, good_ext),
        ),
        "BasicConstraints CA:TRUE": (
            "PKI-CERT-6",
            mint("ca-suite", now - day, now + day, (der.basic_constraints(True), good_ext[1])),
        ),
        "EKU codeSigning only (no clientAuth)": (
            "PKI-CERT-5",
            mint(
                "eku-suite",
                now - day,
                now + day,
                (good_ext[0], der.extended_key_usage(der.EKU_CODE_SIGNING)),
            ),
        ),
    }


@pytest.mark.req("LEG-PKI-3", "PKI-CERT-3", "PKI-CERT-5", "PKI-CERT-6")
def test_certificates_the_root_signed_but_must_not_pass_are_accepted(
    pki_legacy: LegacyPkiTarget, root_key: RSA.RsaKey, root_pem: bytes
) -> None:
    key = pki0.suite_key(1)
    now = datetime.datetime.now(datetime.UTC)
    control = der.mint_under_root(
        root_pem,
        root_key,
        "control-suite",
        key,
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=1),
        extensions=(
            der.basic_constraints(False),
            der.extended_key_usage(der.EKU_CLIENT_AUTH, der.EKU_SERVER_AUTH),
        ),
    )
    control_session = pki0.run_session(pki_legacy.host, pki_legacy.port, control, key, None)
    answer = control_session.answer
    if answer is None and control_session.misframed:
        pytest.skip(
            f"not judged: the answer to a SECE is not a '!4sL' frame "
            f"({control_session.misframed}; LEG-PKI-FMT-1's case reports it)"
        )
    if answer is None:
        _unanswered("a SECE with a well-formed certificate minted under the root")
    if answer.type != b"RSCV":
        # Without this control a refusal below could be the minting's fault, not a check.
        raise HarnessError(
            "sanity: a well-formed certificate minted under the root (--ca-key) got "
            f"{answer.type!r}, not RSCV: the root key "
            "does not match --root, or the suite mints differently from the CA"
        )
    accepted = []
    for what, (rid, pem) in _bad_certificates(root_pem, root_key, key).items():
        session = pki0.run_session(pki_legacy.host, pki_legacy.port, pem, key, None)
        if session.answer is not None and session.answer.type == b"RSCV":
            accepted.append(f"{what} ({rid})")
    if accepted:
        _fail(
            "LEG-PKI-3 / PKI-CERT-3, PKI-CERT-5, PKI-CERT-6 (an endpoint MUST refuse them)",
            "root-signed certificates answered with RSCV (a control certificate too, so the "
            "signature is the whole check): " + "; ".join(accepted),
        )


def _hostile_responder(
    certificate: bytes, key: RSA.RsaKey, forged: bytes
) -> tuple[socket.socket, dict[str, str]]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    seen: dict[str, str] = {}

    def serve() -> None:
        # `seen` records how far the requester got, so that a requester which never
        # reached the forged certificate is not mistaken for one that refused it.
        try:
            conn, _ = listener.accept()
        except OSError as exc:
            seen["error"] = f"the requester never connected ({exc})"
            return
        with conn:
            try:
                conn.settimeout(30)
                reader = _SocketReader(conn)
                sece = reader.frame()
                seen["sece"] = f"{sece[0]!r} of {len(sece[1])} bytes"
                requester_key = der.read_certificate_leniently(sece[1]).public_key
                conn.sendall(reader.reply(b"RSCV", certificate))
                seen["rscv"] = "sent"
                rqfl = reader.frame(expect=RQFL_SIZE)
                # Sent at all, the request trusted the impostor, in the format or not.
                seen["rqfl"] = f"{rqfl[0]!r} of {len(rqfl[1])} bytes"
                seen["name"] = pki0.oaep_decrypt(key, rqfl[1]).decode("utf-8", "replace")
                for start in range(0, len(forged), pki0.PIECE_SIZE):
                    piece = forged[start : start + pki0.PIECE_SIZE]
                    conn.sendall(reader.reply(b"RSFL", pki0.oaep_encrypt(requester_key, piece)))
                seen["forged"] = "sent"
            except _Misframed as exc:
                if "rscv" in seen:  # a request sent at all trusted the impostor
                    seen.setdefault("rqfl", f"a frame that is not '!4sL' ({exc})")
                else:
                    seen["misframed"] = str(exc)
            except (OSError, ValueError) as exc:
                seen.setdefault("error", f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _THREADS.append(thread)
    return listener, seen


_THREADS: list[threading.Thread] = []


_MAX_PAYLOAD = 1 << 20  # what the suite's peers buffer from a requester
RQFL_SIZE = 256  # LEG-PKI-FMT-5: one RSA-2048 OAEP block


class _Misframed(ValueError):
    """A peer's frame header that no byte order makes a plausible `!4sL` header."""


class _SocketReader:
    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""
        # Lengths read little-endian (a requester that writes them so, LEG-PKI-FMT-1): the
        # suite's peer answers it in its byte order, so that its other cases still judge.
        self.deviations: list[str] = []
        # The byte order of the peer's first frame: the one its answers are written in (a
        # peer that writes only a later frame little-endian still reads big-endian ones).
        self.first_little: bool | None = None

    def exact(self, n: int) -> bytes:
        for _ in range(1 << 16):
            if len(self.buffer) >= n:
                break
            data = self.conn.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self, expect: int | None = None) -> tuple[bytes, bytes]:
        """One frame; `expect`: the payload length the format fixes for it (RQFL: one
        256-byte OAEP block), so that a little-endian length is told apart even where its
        big-endian reading is plausible (256 little-endian reads as 65 536)."""
        header = self.exact(8)
        length, swapped = int.from_bytes(header[4:], "big"), int.from_bytes(header[4:], "little")
        little = (length > _MAX_PAYLOAD and swapped <= _MAX_PAYLOAD) or (
            expect is not None and length != expect and swapped == expect
        )
        if self.first_little is None:
            self.first_little = little
        if little:
            self.deviations.append(
                f"frame {header[:4]!r} announces {length} bytes (0x{length:08x}): its "
                f"{swapped} payload bytes follow, the length little-endian"
            )
            length = swapped
        if length > _MAX_PAYLOAD:
            # Another header shape (a 2-byte length, a length-prefixed type, …): waiting
            # for the bytes it "announces" would only end in a timeout.
            raise _Misframed(
                f"its frame header {hexdump(header, 8)} announces {length} bytes "
                f"(0x{length:08x}; {swapped} little-endian): no plausible length, not a "
                "'!4sL' header"
            )
        return header[:4], self.exact(length)

    def reply(self, frame_type: bytes, payload: bytes) -> bytes:
        """A frame to this peer, in the byte order it writes lengths in."""
        return pki0.frame(frame_type, payload, little_endian=bool(self.first_little))


def _wanted_alias(target: LegacyPkiTarget) -> str:
    return target.responder_alias or "bob"


def _run_requester(
    target: LegacyPkiTarget, identity: SuiteIdentity, tmp_path: Path, port: int, name: str
) -> tuple[ClientRun, bytes | None]:
    if not target.client_cmd:
        pytest.skip("needs a legacy requester to launch (embedded, or a client command)")
    tmp_path.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = tmp_path / "suite.key", tmp_path / "suite.pem"
    key_file.write_bytes(identity.key.export_key("PEM"))
    key_file.chmod(0o600)
    cert_file.write_bytes(identity.certificate_pem)
    out = tmp_path / "received.bin"
    out.unlink(missing_ok=True)
    values = {
        "key": str(key_file),
        "cert": str(cert_file),
        "host": "127.0.0.1",
        "port": str(port),
        "name": name,
        "out": str(out),
        "alias": _wanted_alias(target),
    }
    password = None
    if target.enroll is not None:  # an interactive requester may ask for its password
        password = target.enroll[1]
        pwfile = tmp_path / "suite.password"
        pwfile.touch(mode=0o600)
        pwfile.write_text(password + "\n")
        values["password_file"] = str(pwfile)
        values["user"] = target.enroll[0]
    # The one way a client under test is run (an interactive one typed at).
    launch = client_launch(
        target.client_cmd,
        values,
        stdin_template=target.client_stdin,
        success=target.client_success,
        password=password,
    )
    done = run_client(launch, timeout=60)
    return done, (out.read_bytes() if out.exists() else None)


def _impostor(
    target: LegacyPkiTarget,
    identity: SuiteIdentity,
    tmp_path: Path,
    certificate: bytes,
    key: RSA.RsaKey,
) -> tuple[bool, str]:
    """(the requester trusted the impostor, what it did): it trusted it if it sent the
    file name to the impostor's key or kept the impostor's content."""
    forged = b"forged by the suite, not by the responder you asked for\n" * 3
    listener, seen = _hostile_responder(certificate, key, forged)
    try:
        done, saved = _run_requester(
            target, identity, tmp_path, listener.getsockname()[1], "report.bin"
        )
    finally:
        listener.close()
        for thread in _THREADS:
            thread.join(timeout=30)
        _THREADS.clear()
    if "name" in seen or "rqfl" in seen or saved == forged:
        kept = (
            f"saved the suite's forged content ({len(forged)} bytes) with {done.describe()}"
            if saved == forged
            else f"{done.describe()}, nothing saved"
        )
        sent = (
            f"sent it the file name {seen['name']!r} (decrypted by the suite)"
            if "name" in seen
            else f"sent it a request ({seen.get('rqfl')}) under the impostor's key"
        )
        return True, f"{sent}, {kept}"
    if "misframed" in seen:
        pytest.skip(
            f"not judged: the requester's first frame is not a '!4sL' frame "
            f"({seen['misframed']}; its LEG-PKI-FMT cases report it)"
        )
    if "rscv" not in seen and "sece" in seen:
        pytest.skip(
            f"not judged: the requester's first frame ({seen['sece']}) carries no certificate "
            f"the suite can read ({seen.get('error')}; its LEG-PKI-FMT cases report it)"
        )
    if "rscv" not in seen:
        raise HarnessError(
            f"the requester did not run the exchange: {done.describe()}, "
            f"hostile responder: {seen or 'no connection'}; "
            f"stderr: {done.stderr[-400:]!r}"
        )
    return False, ""


@pytest.mark.req("LEG-PKI-4", "PKI-ID-1")
def test_the_requester_accepts_another_employees_certificate(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    wanted = _wanted_alias(pki_legacy)
    if suite_identity.alias == wanted:
        pytest.skip("the suite's own alias is the responder's: no other employee to be")
    # A man in the middle holding a real employee certificate (the suite's own, chained
    # to the root): a requester that checks the chain but never the name accepts it.
    trusted, what = _impostor(
        pki_legacy, suite_identity, tmp_path, suite_identity.certificate_pem, suite_identity.key
    )
    if trusted:
        _fail(
            "LEG-PKI-4 / PKI-ID-1 (the initiator MUST verify the responder's alias)",
            f"asked for {wanted!r}, the requester got a valid root-issued certificate of "
            f"another employee, CN={suite_identity.alias!r} ({suite_identity.how}), and "
            f"{what}",
        )


@pytest.mark.req("LEG-PKI-4", "PKI-TLS-4")
def test_the_requester_accepts_a_certificate_the_root_did_not_sign(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    wanted = _wanted_alias(pki_legacy)
    key = pki0.suite_key(1)
    now = datetime.datetime.now(datetime.UTC)
    # The wanted name, self-signed: a requester that checks the name but not the chain.
    certificate = der.mint_certificate(
        wanted, key, wanted, key, not_before=now, not_after=now + datetime.timedelta(days=1)
    )
    trusted, what = _impostor(pki_legacy, suite_identity, tmp_path, certificate, key)
    if trusted:
        _fail(
            "LEG-PKI-4 / PKI-TLS-4 (the peer's chain MUST be validated against the root)",
            f"the requester got a self-signed certificate CN={wanted!r} (not issued by the "
            f"root) and {what}",
        )


@pytest.mark.req("LEG-PKI-5", "APP-NAME-2", "APP-NAME-4")
def test_names_outside_the_share_are_served(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    # The configured name, then names any Unix host has: absolute and climbing; then the
    # same with `./` or `//` before them, which a deny-list of `../` and `/` prefixes lets
    # through (a responder refusing only the first spellings has not fixed the flaw).
    names: list[tuple[str, KnownContent | None]] = []
    if pki_legacy.traversal is not None:
        names.append(pki_legacy.traversal)
    names += [("/etc/passwd", None), ("../" * 24 + "etc/passwd", None)]
    names += [(f"./{n}" if n[0] != "/" else f"/{n}", known) for n, known in names]
    traversal = pki_legacy.traversal[0] if pki_legacy.traversal is not None else None
    served = []
    for name, expected in names:
        session = pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            suite_identity.certificate_pem,
            suite_identity.key,
            name,
            patience=PATIENCE,
        )
        _accepted(session, suite_identity)
        content = session.content
        if session.undecryptable:  # served, in pieces the suite cannot read (FMT-6)
            hit = bool(session.rsfl_payloads)
            content = b"".join(session.rsfl_payloads)
        elif expected is not None:
            hit = expected.matches(content)
        elif traversal is not None and name in (traversal, f"./{traversal}", f"/{traversal}"):
            hit = bool(content)
        else:
            hit = b"root:" in content  # /etc/passwd's first line
        if hit:
            served.append((name, content))
    if served:
        name, content = served[0]
        _fail(
            "LEG-PKI-5 / APP-NAME-2, APP-NAME-4 (names outside the share MUST be refused)",
            f"requested {name!r} and received its content ({len(content)} bytes, "
            f"starting {content[:24]!r})"
            + (f"; also {[n for n, _ in served[1:]]}" if len(served) > 1 else ""),
        )


# --- integrity, observed: a real requester through a tampering proxy ------------------


def _tampering_proxy(
    target: LegacyPkiTarget, requester_key: RSA.RsaKey, tamper: str
) -> tuple[socket.socket, dict[str, object]]:
    """Relays one requester to the responder, then delivers the RSFL frames tampered.

    The suite holds the requester's key (it launches the requester with its identity),
    so the proxy knows the plaintext and can forge pieces too; it needs nothing else:
    RSFL carries no MAC, signature, sequence number or digest.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    seen: dict[str, object] = {}

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError as exc:
            seen["error"] = f"the requester never connected ({exc})"
            return
        try:
            with conn, socket.create_connection((target.host, target.port), timeout=30) as up:
                conn.settimeout(30)
                down_reader, up_reader = _SocketReader(conn), _SocketReader(up)
                try:
                    sece = down_reader.frame()
                except _Misframed as exc:
                    seen["requester"] = f"its first frame is not a '!4sL' frame ({exc})"
                    return
                up.sendall(pki0.frame(*sece))
                try:
                    requester_public = der.read_certificate_leniently(sece[1]).public_key
                except ValueError as exc:
                    seen["requester"] = (
                        f"its first frame ({sece[0]!r} of {len(sece[1])} bytes) carries no "
                        f"certificate the suite can read ({exc})"
                    )
                    return
                try:
                    answer = up_reader.frame()
                except (OSError, ValueError) as exc:
                    seen["upstream"] = f"{type(exc).__name__}: {exc}"
                    raise
                if answer[0] != b"RSCV":
                    # The responder refused the requester's SECE (its LEG-PKI-FMT-3 case
                    # says why): nothing of the requester to judge through it.
                    seen["upstream"] = f"the responder answered its SECE with {answer[0]!r}"
                    return
                if _one_pem_certificate(answer[1]):
                    # The responder's RSCV is not PEM (LEG-PKI-FMT-4's case says how): the
                    # proxy relays its certificate in the format, so that the requester
                    # alone is judged.
                    pem = der.der_to_pem(der.read_certificate_leniently(answer[1]).der)
                    answer = (answer[0], pem)
                conn.sendall(down_reader.reply(*answer))
                rqfl = down_reader.frame(expect=RQFL_SIZE)
                up.sendall(pki0.frame(*rqfl))
                # The end of the file is the responder's close; one that stays open and
                # silent after its pieces (LEG-PKI-FMT-6) ends it by PATIENCE instead.
                up.settimeout(PATIENCE)
                frames = []
                for _ in range(1 << 16):
                    try:
                        frames.append(up_reader.frame())
                    except (ConnectionError, TimeoutError):
                        break
                try:
                    pieces = [pki0.oaep_decrypt(requester_key, f[1]) for f in frames]
                except ValueError:
                    pieces = []
                if len(pieces) < 3:
                    # The responder under test did not serve the file in the format (its
                    # LEG-PKI-FMT cases say how): the proxy serves pieces of its own, so
                    # that the requester alone is judged.
                    own = os.urandom(350)
                    pieces = [own[i : i + pki0.PIECE_SIZE] for i in range(0, 350, 100)]
                    seen["own pieces"] = True
                seen["original"] = b"".join(pieces)
                out = list(pieces)
                if tamper == "forge":
                    out[0] = b"F" * len(out[0])
                elif tamper == "drop":
                    del out[1]
                elif tamper == "duplicate":
                    out.insert(1, out[1])
                elif tamper == "reorder":
                    out[0], out[1] = out[1], out[0]
                elif tamper == "truncate":
                    out = out[: len(out) // 2]
                seen["delivered"] = b"".join(out)
                for piece in out:  # fresh OAEP: a byte-identical replay is not needed
                    rsfl = pki0.oaep_encrypt(requester_public, piece)
                    conn.sendall(down_reader.reply(b"RSFL", rsfl))
                seen["done"] = True
        except (OSError, ValueError) as exc:
            seen.setdefault("error", f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _THREADS.append(thread)
    return listener, seen


def _through_proxy(
    target: LegacyPkiTarget, identity: SuiteIdentity, tmp_path: Path, tamper: str
) -> tuple[bool, str]:
    name, content = _known(target)
    if content.size < 201:
        pytest.skip("needs a file of three pieces or more in the share")
    listener, seen = _tampering_proxy(target, identity.key, tamper)
    try:
        done, saved = _run_requester(target, identity, tmp_path, listener.getsockname()[1], name)
    finally:
        listener.close()
        for thread in _THREADS:
            thread.join(timeout=30)
        _THREADS.clear()
    if "upstream" in seen:
        pytest.skip(
            f"the responder under test did not answer SECE in the sft-pki/0 format through "
            f"the proxy ({seen['upstream']}; its LEG-PKI-FMT cases say how): the requester "
            "cannot be judged through it"
        )
    if "requester" in seen:
        pytest.skip(
            f"not judged: the requester under test did not start the exchange in the format "
            f"({seen['requester']}; its LEG-PKI-FMT cases report it)"
        )
    if "done" not in seen:
        raise HarnessError(
            f"the tampering proxy did not complete ({seen.get('error')}); requester "
            f"{done.describe()}: {done.stderr[-300:]!r}"
        )
    delivered = seen["delivered"]
    kept = done.succeeded and saved == delivered and delivered != seen["original"]
    assert isinstance(delivered, bytes)
    return kept, (
        f"requested {name!r} ({content.size} bytes) through a proxy that {tamper}d RSFL "
        f"pieces: the requester {done.success_evidence()} and kept {len(delivered)} bytes "
        f"(SHA-256 {hashlib.sha256(delivered).hexdigest()[:16]}…, not the file's "
        f"{content.sha256[:16]}…)"
    )


@pytest.mark.req("LEG-PKI-6", "APP-GET-3", "PKI-TLS-6")
def test_a_tampered_transfer_is_kept_by_the_requester(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    if not pki_legacy.client_cmd:
        # No requester to watch: the wire alone shows that nothing protects the pieces.
        name, content = _known(pki_legacy)
        session = pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            suite_identity.certificate_pem,
            suite_identity.key,
            name,
        )
        _accepted(session, suite_identity)
        if (
            content.matches(session.content)
            and all(len(p) == 256 for p in session.rsfl_payloads)
            and not session.other_frames
        ):
            forged = pki0.oaep_encrypt(suite_identity.key.public_key(), b"F" * 100)
            _fail(
                "LEG-PKI-6 / APP-GET-3 (the initiator MUST verify an authenticated digest)",
                f"{len(session.rsfl_payloads)} RSFL frames, each exactly one RSA-OAEP block "
                "under the requester's PUBLIC key with no MAC, signature or digest; a piece "
                f"forged from the public certificate alone ({hexdump(forged, 8)}) is "
                "indistinguishable",
            )
        return
    kept = []
    for tamper in ("forge", "drop", "duplicate", "reorder"):
        done, evidence = _through_proxy(pki_legacy, suite_identity, tmp_path / tamper, tamper)
        if done:
            kept.append(evidence)
            break  # one kept tampering is the finding; the family is tried until one is
    if kept:
        _fail(
            "LEG-PKI-6 / APP-GET-3, PKI-TLS-6 (the initiator MUST verify an authenticated digest)",
            kept[0],
        )


@pytest.mark.req("LEG-PKI-7", "APP-GET-5")
def test_a_truncated_transfer_is_kept_by_the_requester(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    if not pki_legacy.client_cmd:
        name, content = _known(pki_legacy)
        session = pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            suite_identity.certificate_pem,
            suite_identity.key,
            name,
        )
        _accepted(session, suite_identity)
        if session.closed and content.matches(session.content) and not session.other_frames:
            _fail(
                "LEG-PKI-7 / APP-GET-5 (a close before DONE MUST fail the transfer)",
                f"the transfer of {name!r} ended with a bare TCP close after "
                f"{len(session.rsfl_payloads)} RSFL frames and no size, digest or end frame: "
                "a close after any piece would look like a complete, shorter file",
            )
        return
    kept, evidence = _through_proxy(pki_legacy, suite_identity, tmp_path, "truncate")
    if kept:
        _fail("LEG-PKI-7 / APP-GET-5 (a close before DONE MUST fail the transfer)", evidence)


@pytest.mark.req("LEG-PKI-8", "APP-GET-2", "ERR-1")
def test_a_missing_file_is_indistinguishable_from_an_empty_one(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    session = _missing_file_session(pki_legacy, suite_identity)
    if session.hung and not session.rsfl_payloads and not session.other_frames:
        _fail(
            "LEG-PKI-8 / APP-GET-2, ERR-1 (a missing file MUST be answered EROR not_found)",
            f"requested {MISSING!r} after RSCV: the responder sent nothing and kept the "
            f"connection open for {PATIENCE} s; a requester of the protocol waits forever",
        )
    if session.closed and not session.rsfl_payloads and not session.other_frames:
        _fail(
            "LEG-PKI-8 / APP-GET-2, ERR-1 (a missing file MUST be answered EROR not_found)",
            f"requested {MISSING!r} after RSCV: the responder closed with no frame at all, "
            "exactly what an empty file looks like",
        )


@pytest.mark.req("LEG-PKI-9", "PKI-TLS-6")
def test_the_number_of_pieces_reveals_the_size(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    session = _accepted(
        pki0.run_session(
            pki_legacy.host,
            pki_legacy.port,
            suite_identity.certificate_pem,
            suite_identity.key,
            name,
            patience=PATIENCE,
        ),
        suite_identity,
    )
    count = len(session.rsfl_payloads)
    low, high = (count - 1) * pki0.PIECE_SIZE + 1, count * pki0.PIECE_SIZE
    if count and low <= content.size <= high:
        _fail(
            "LEG-PKI-9 / PKI-TLS-6 (the size travels only inside TLS)",
            f"an eavesdropper counts {count} RSFL frames for {name!r}: its size is between "
            f"{low} and {high} bytes (it is {content.size})",
        )


# --- the format, as a porter of the seed may get it wrong ----------------------------


def _one_pem_certificate(payload: bytes) -> str:
    """'' when `payload` is PEM(certificate), exactly one block; else what it is."""
    text = payload.rstrip(b"\r\n")
    if not text.startswith(b"-----BEGIN CERTIFICATE-----"):
        return f"not PEM text: starts {payload[:16]!r}"
    if payload.count(b"-----BEGIN") != 1 or not text.endswith(b"-----END CERTIFICATE-----"):
        blocks = payload.count(b"-----BEGIN")
        return f"not one PEM certificate: {blocks} blocks, ends {payload[-30:]!r}"
    try:
        der.read_certificate(payload)
    except ValueError as exc:
        return f"an unreadable certificate ({exc})"
    return ""


@pytest.mark.req("LEG-PKI-FMT-4")
def test_rscv_carries_one_pem_certificate(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    with LegacyStream(pki_legacy.host, pki_legacy.port) as stream:
        stream.send(pki0.frame(b"SECE", suite_identity.certificate_pem))
        try:
            answer = pki0.read_frame(stream, lenient=[])  # the header: LEG-PKI-FMT-1's case
        except ValueError as exc:
            pytest.skip(f"not judged: the answer is not a '!4sL' frame ({exc}; LEG-PKI-FMT-1)")
    assert answer.type == b"RSCV", f"sanity: the suite's certificate got {answer.type!r}"
    wrong = _one_pem_certificate(answer.payload)
    assert not wrong, (
        f"LEG-PKI-FMT-4 (RSCV's payload is the responder's PEM certificate): {wrong} "
        f"({len(answer.payload)} bytes)"
    )


@pytest.mark.req("LEG-PKI-FMT-1")
def test_a_frame_split_across_writes_is_read_whole(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """A frame is its header's length, however TCP cuts it: SECE sent in three writes
    (inside the header, inside the payload), a pause between them so that they arrive
    apart (a probe of the framing, not a synchronisation)."""
    data = pki0.frame(b"SECE", suite_identity.certificate_pem)
    cuts = (5, 8 + len(suite_identity.certificate_pem) // 2)
    with LegacyStream(pki_legacy.host, pki_legacy.port) as stream:
        for start, end in zip((0, *cuts), (*cuts, len(data)), strict=True):
            stream.send(data[start:end])
            time.sleep(0.15)
        misframed = ""
        try:
            answer: pki0.Frame | None = pki0.read_frame(stream, lenient=[])
        except (Closed, TimedOut):
            answer = None
        except ValueError as exc:
            answer, misframed = None, f"a misframed answer ({exc})"
    got = misframed or ("no frame" if answer is None else f"{answer.type!r}")
    assert answer is not None and answer.type == b"RSCV", (
        f"LEG-PKI-FMT-1 (a frame is 8 header bytes and `length` payload bytes, whatever the "
        f"reads): SECE with the suite's certificate sent in writes cut at {cuts} got {got}, "
        "not RSCV (the same frame in one write is accepted)"
    )


def _tampered_certificates(identity: SuiteIdentity, root_pem: bytes | None) -> dict[str, bytes]:
    """Certificates that look issued by the root but carry no valid root signature."""
    mine = der.read_certificate(identity.certificate_pem).der
    flipped = bytearray(mine)
    flipped[-1] ^= 0x01  # the last byte of the signature
    out = {
        "the suite's own certificate with one signature bit flipped": der.der_to_pem(bytes(flipped))
    }
    if root_pem is not None:
        now = datetime.datetime.now(datetime.UTC)
        impostor = pki0.suite_key(1)
        out[
            "a certificate naming the root as issuer (its DN and key id), signed by another key"
        ] = der.mint_under_root(
            root_pem,
            impostor,
            "mallory-suite",
            impostor,
            not_before=now - datetime.timedelta(days=1),
            not_after=now + datetime.timedelta(days=1),
        )
    return out


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_certificate_without_the_roots_signature_gets_rsci(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    root_pem = pki_legacy.root.read_bytes() if pki_legacy.root else None
    wrong = []
    for what, pem in _tampered_certificates(suite_identity, root_pem).items():
        session = pki0.run_session(pki_legacy.host, pki_legacy.port, pem, None, None)
        got = None if session.answer is None else (session.answer.type, session.answer.payload)
        if session.misframed:
            wrong.append(f"{what}: {session.misframed}")
        elif got != (b"RSCI", b"") or not session.closed:
            wrong.append(f"{what}: {got!r}, {'closed' if session.closed else 'left open'}")
    assert not wrong, (
        "LEG-PKI-FMT-4 (a certificate without a valid root signature gets an empty RSCI, "
        "then a close): " + "; ".join(wrong)
    )


def _format_responder(
    identity: SuiteIdentity, content: bytes
) -> tuple[socket.socket, dict[str, bytes]]:
    """An honest sft-pki/0 responder holding the suite's identity, which records the
    requester's SECE and RQFL payloads and serves `content` in the format, every RSFL
    frame in one write (TCP may deliver frames coalesced: a requester must read them by
    their length, not one per read)."""
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
                kind, seen["sece"] = reader.frame()
                seen["sece type"] = kind
                if reader.deviations:
                    seen["header"] = "; ".join(reader.deviations).encode()
                requester = der.read_certificate_leniently(seen["sece"]).public_key
                conn.sendall(reader.reply(b"RSCV", identity.certificate_pem))
                kind, seen["rqfl"] = reader.frame(expect=RQFL_SIZE)
                seen["rqfl type"] = kind
                if reader.deviations:
                    seen["header"] = "; ".join(reader.deviations).encode()
                pieces = [
                    reader.reply(
                        b"RSFL", pki0.oaep_encrypt(requester, content[i : i + pki0.PIECE_SIZE])
                    )
                    for i in range(0, len(content), pki0.PIECE_SIZE)
                ]
                conn.sendall(b"".join(pieces))
                seen["served"] = content
            except _Misframed as exc:
                seen["misframed"] = f"{'RQFL' if 'sece' in seen else 'SECE'}: {exc}".encode()
            except (OSError, ValueError) as exc:
                seen.setdefault("error", f"{type(exc).__name__}: {exc}".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _THREADS.append(thread)
    return listener, seen


@pytest.mark.req("LEG-PKI-FMT-1", "LEG-PKI-FMT-3", "LEG-PKI-FMT-5", "LEG-PKI-FMT-6")
def test_the_requester_sends_sece_and_rqfl_in_the_format(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    name = "report.bin"
    listener, seen = _format_responder(suite_identity, os.urandom(250))
    try:
        done, saved = _run_requester(
            pki_legacy, suite_identity, tmp_path, listener.getsockname()[1], name
        )
    finally:
        listener.close()
        for thread in _THREADS:
            thread.join(timeout=30)
        _THREADS.clear()
    assert "misframed" not in seen, (
        "LEG-PKI-FMT-1, LEG-PKI-FMT-3, LEG-PKI-FMT-5 (the requester's frames): the frame it "
        f"sent as {seen.get('misframed', b'').decode()} ({done.describe()})"
    )
    if "sece" not in seen:
        raise HarnessError(
            f"the requester sent no frame: {done.describe()}; {seen.get('error')!r}; "
            f"stderr: {done.stderr[-300:]!r}"
        )
    wrong = []
    if "header" in seen:
        wrong.append(f"its lengths are not big-endian: {seen['header'].decode()}")
    if seen["sece type"] != b"SECE":
        wrong.append(f"its first frame is {seen['sece type']!r}, not SECE")
    sent = _one_pem_certificate(seen["sece"])
    if sent:
        wrong.append(f"SECE's payload is {sent}")
    elif (
        der.read_certificate(seen["sece"]).der
        != der.read_certificate(suite_identity.certificate_pem).der
    ):
        wrong.append("SECE carries another certificate than the one it was given")
    if "rqfl" in seen:  # a requester that refuses the suite's alias sends none: no verdict
        if seen["rqfl type"] != b"RQFL" or len(seen["rqfl"]) != 256:
            wrong.append(
                f"after RSCV: {seen['rqfl type']!r} of {len(seen['rqfl'])} bytes, not a "
                "256-byte RQFL"
            )
        else:
            try:
                plain: bytes | None = pki0.oaep_decrypt(suite_identity.key, seen["rqfl"])
            except ValueError:
                plain = None
            if plain != name.encode("utf-8"):
                wrong.append(
                    "RQFL is not RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) of the UTF-8 "
                    f"name {name!r} under RSCV's key: it decrypts to {plain!r}"
                )
    if "served" in seen and not (done.succeeded and saved == seen["served"]):
        # FMT-6, the requester's side: the file is the decrypted pieces in arrival order.
        wrong.append(
            f"served {len(seen['served'])} bytes in {-(-len(seen['served']) // 100)} RSFL "
            f"frames (one write), then a close: the requester {done.success_evidence()} and "
            + ("saved nothing" if saved is None else f"saved {len(saved)} other bytes")
        )
    assert not wrong, (
        "LEG-PKI-FMT-1, LEG-PKI-FMT-3, LEG-PKI-FMT-5, LEG-PKI-FMT-6 (the requester's frames "
        "and file): " + "; ".join(wrong)
    )
