"""Profile pki-legacy: the sft-pki/0 responder (docs/SPEC.md §7.1).

LEG-PKI-FMT-* tests pass against a faithful legacy responder; LEG-PKI-n tests check the
v1 requirement that the legacy design violates and FAIL with evidence from the wire.
"""

from __future__ import annotations

import datetime
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import KnownContent, LegacyPkiTarget
from conformance.legacy.stream import hexdump

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


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
    assert session.answer is not None, "sanity: the responder closed without answering SECE"
    assert session.answer.type == b"RSCV", f"expected RSCV, got {session.answer.type!r}"
    assert session.responder is not None
    if pki_legacy.responder_alias:
        assert session.responder.subject_cn == pki_legacy.responder_alias
    if pki_legacy.root is not None:
        root = der.read_certificate(pki_legacy.root.read_bytes())
        assert session.responder.signed_by(root.public_key), "RSCV certificate not from the root"


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_foreign_certificate_gets_rsci_and_a_close(pki_legacy: LegacyPkiTarget) -> None:
    key = RSA.generate(2048)
    now = datetime.datetime.now(datetime.UTC)
    self_signed = der.mint_certificate(
        "mallory", key, "mallory", key, not_before=now, not_after=now + datetime.timedelta(days=1)
    )
    session = pki0.run_session(pki_legacy.host, pki_legacy.port, self_signed, key, "x")
    assert session.answer is not None, "expected RSCI, the responder closed silently"
    assert (session.answer.type, session.answer.payload) == (b"RSCI", b"")
    assert session.closed, "expected a close after RSCI"


@pytest.mark.req("LEG-PKI-FMT-5", "LEG-PKI-FMT-6")
def test_a_file_arrives_in_100_byte_rsa_oaep_pieces_then_a_close(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, name
    )
    assert content.matches(session.content), "the file differs from the declared one"
    assert [len(p) for p in session.pieces] == [
        min(100, content.size - i) for i in range(0, content.size, 100)
    ]
    assert all(len(p) == 256 for p in session.rsfl_payloads)
    assert session.closed and not session.other_frames


@pytest.mark.req("LEG-PKI-FMT-7")
def test_a_missing_file_is_a_close_without_rsfl(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    session = pki0.run_session(
        pki_legacy.host,
        pki_legacy.port,
        suite_identity.certificate_pem,
        suite_identity.key,
        "no-such-file-8f3a1c.bin",
    )
    assert session.closed and not session.rsfl_payloads and not session.other_frames


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
    if session.responder is not None and first[:4] == b"RSCV":
        _fail(
            "LEG-PKI-1 / PKI-TLS-1 (the channel MUST be TLS 1.3)",
            f"the responder's first bytes are a clear RSCV frame ({hexdump(first)}), not a TLS "
            f"record; its certificate (CN={session.responder.subject_cn!r}) and ours "
            f"(CN={suite_identity.alias!r}) are readable by any eavesdropper",
        )


@pytest.mark.req("LEG-PKI-2", "PKI-TLS-3", "PKI-ID-2")
def test_no_proof_of_possession_of_the_certificate_key(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    first = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, None
    )
    assert first.answer is not None and first.answer.type == b"RSCV", "sanity: no RSCV"
    stolen = first.answer.payload  # the responder's own certificate; its key is not ours
    name = pki_legacy.known_file.name if pki_legacy.known_file else "x"
    replay = pki0.run_session(pki_legacy.host, pki_legacy.port, stolen, None, name)
    if replay.answer is not None and replay.answer.type == b"RSCV":
        assert first.responder is not None
        _fail(
            "LEG-PKI-2 / PKI-TLS-3, PKI-ID-2 (the responder MUST require proof of the key)",
            f"presented the responder's own certificate (CN={first.responder.subject_cn!r}), "
            f"whose private key the suite does not hold: answered RSCV and served "
            f"{len(replay.rsfl_payloads)} RSFL frames for {name!r}",
        )


@pytest.mark.req("LEG-PKI-3", "PKI-CERT-3")
def test_an_expired_certificate_is_accepted(
    pki_legacy: LegacyPkiTarget, root_key: RSA.RsaKey, root_pem: bytes
) -> None:
    key = RSA.generate(2048)
    root = der.read_certificate(root_pem)
    now = datetime.datetime.now(datetime.UTC)
    expired = der.mint_certificate(
        "expired-suite",
        key,
        root.subject_cn,
        root_key,
        not_before=now - datetime.timedelta(days=400),
        not_after=now - datetime.timedelta(days=35),
    )
    session = pki0.run_session(pki_legacy.host, pki_legacy.port, expired, key, None)
    if session.answer is not None and session.answer.type == b"RSCV":
        _fail(
            "LEG-PKI-3 / PKI-CERT-3 (an endpoint MUST refuse an expired certificate)",
            "a root-signed certificate that expired 35 days ago was answered with RSCV",
        )


def _hostile_responder(forged: bytes) -> tuple[socket.socket, RSA.RsaKey, bytes, dict[str, str]]:
    key = RSA.generate(2048)
    now = datetime.datetime.now(datetime.UTC)
    certificate = der.mint_certificate(
        "mallory", key, "mallory", key, not_before=now, not_after=now + datetime.timedelta(days=1)
    )
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
                requester_key = der.read_certificate(sece[1]).public_key
                conn.sendall(pki0.frame(b"RSCV", certificate))
                seen["rscv"] = "sent"
                rqfl = reader.frame()
                seen["name"] = pki0.oaep_decrypt(key, rqfl[1]).decode("utf-8", "replace")
                for start in range(0, len(forged), pki0.PIECE_SIZE):
                    piece = forged[start : start + pki0.PIECE_SIZE]
                    conn.sendall(pki0.frame(b"RSFL", pki0.oaep_encrypt(requester_key, piece)))
                seen["forged"] = "sent"
            except (OSError, ValueError) as exc:
                seen.setdefault("error", f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _THREADS.append(thread)
    return listener, key, certificate, seen


_THREADS: list[threading.Thread] = []


class _SocketReader:
    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

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

    def frame(self) -> tuple[bytes, bytes]:
        header = self.exact(8)
        return header[:4], self.exact(int.from_bytes(header[4:], "big"))


@pytest.mark.req("LEG-PKI-4", "PKI-ID-1", "PKI-TLS-4")
def test_the_requester_does_not_authenticate_the_responder(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    if not pki_legacy.client_cmd:
        pytest.skip("needs a legacy requester to launch (embedded, or a client command)")
    forged = b"forged by the suite, not by the responder you asked for\n" * 3
    listener, _key, _cert, seen = _hostile_responder(forged)
    try:
        key_file, cert_file = tmp_path / "suite.key", tmp_path / "suite.pem"
        key_file.write_bytes(suite_identity.key.export_key("PEM"))
        key_file.chmod(0o600)
        cert_file.write_bytes(suite_identity.certificate_pem)
        out = tmp_path / "received.bin"
        values = {
            "key": str(key_file),
            "cert": str(cert_file),
            "host": "127.0.0.1",
            "port": str(listener.getsockname()[1]),
            "name": "report.bin",
            "out": str(out),
        }
        argv = [part.format(**values) for part in pki_legacy.client_cmd]
        done = subprocess.run(argv, capture_output=True, timeout=60, check=False)
    finally:
        listener.close()
        for thread in _THREADS:
            thread.join(timeout=30)
        _THREADS.clear()
    saved = out.read_bytes() if out.exists() else None
    if done.returncode == 0 and saved == forged:
        _fail(
            "LEG-PKI-4 / PKI-ID-1 (the initiator MUST verify the responder's alias)",
            f"the requester accepted a self-signed certificate CN='mallory' (wanted "
            f"{pki_legacy.responder_alias!r}), sent it the file name {seen.get('name')!r} "
            f"(decrypted by the suite) and saved the suite's forged content ({len(forged)} "
            "bytes) with exit code 0",
        )
    # Anything else is a PASS only if the requester saw the forged certificate and
    # refused it; a requester that never got that far says nothing about LEG-PKI-4.
    if "rscv" not in seen or saved == forged or ("forged" in seen and done.returncode == 0):
        raise RuntimeError(
            f"the requester did not run the exchange: exit code {done.returncode}, "
            f"hostile responder: {seen or 'no connection'}, saved: "
            f"{None if saved is None else len(saved)} bytes; "
            f"stderr: {done.stderr.decode('utf-8', 'replace')[-400:]!r}"
        )


@pytest.mark.req("LEG-PKI-5", "APP-NAME-2", "APP-NAME-4")
def test_names_outside_the_share_are_served(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    if pki_legacy.traversal is None:
        pytest.skip("needs a name outside the share ([legacy] traversal_name in the target file)")
    name, expected = pki_legacy.traversal
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, name
    )
    if session.pieces and (expected is None or expected.matches(session.content)):
        _fail(
            "LEG-PKI-5 / APP-NAME-2, APP-NAME-4 (names outside the share MUST be refused)",
            f"requested {name!r} and received its content ({len(session.content)} bytes, "
            f"starting {session.content[:24]!r})",
        )


@pytest.mark.req("LEG-PKI-6", "APP-GET-3", "PKI-TLS-6")
def test_pieces_carry_no_integrity_protection(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, name
    )
    plain_pieces = content.matches(session.content) and all(
        len(p) == 256 for p in session.rsfl_payloads
    )
    if plain_pieces and not session.other_frames:
        forged = pki0.oaep_encrypt(suite_identity.key.public_key(), b"F" * 100)
        _fail(
            "LEG-PKI-6 / APP-GET-3 (the initiator MUST verify an authenticated digest)",
            f"{len(session.rsfl_payloads)} RSFL frames, each exactly one RSA-OAEP block under "
            "the requester's PUBLIC key with no MAC, signature or digest; a piece forged from "
            f"the public certificate alone ({hexdump(forged, 8)}) is indistinguishable",
        )


@pytest.mark.req("LEG-PKI-7", "APP-GET-5")
def test_end_of_file_is_a_bare_close(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, name
    )
    if session.closed and content.matches(session.content) and not session.other_frames:
        _fail(
            "LEG-PKI-7 / APP-GET-5 (a close before DONE MUST fail the transfer)",
            f"the transfer of {name!r} ended with a bare TCP close after "
            f"{len(session.rsfl_payloads)} RSFL frames and no size, digest or end frame: a "
            "close after any piece would look like a complete, shorter file",
        )


@pytest.mark.req("LEG-PKI-8", "APP-GET-2", "ERR-1")
def test_a_missing_file_is_indistinguishable_from_an_empty_one(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name = "no-such-file-8f3a1c.bin"
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, name
    )
    if session.closed and not session.rsfl_payloads and not session.other_frames:
        _fail(
            "LEG-PKI-8 / APP-GET-2 (a missing file MUST be answered EROR not_found)",
            f"requested {name!r}: the responder closed with no frame at all, exactly what an "
            "empty file looks like",
        )
