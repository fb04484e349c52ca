"""Profile pki-legacy: the sft-pki/0 requester against responders the suite's format
responder does not cover (docs/SPEC.md §7.1).

test_legacy_pki0.py's format case serves the requester from a responder that holds the
SAME identity as the requester (the suite's one), every frame in one write, 100-byte
pieces. A requester can pass it and still:
- seal RQFL under a key of its own instead of RSCV's (LEG-PKI-FMT-5): with one key on
  both sides the two are the same; here the responder holds a second certified key;
- read a frame header with one read (LEG-PKI-FMT-1: 8 header bytes and `length` payload
  bytes, whatever the reads): here each frame is written in three pieces cut inside its
  header;
- stop at the first piece shorter than 100 bytes ("the last one"), where the file is the
  concatenation of the pieces, in arrival order, up to the close (LEG-PKI-FMT-6);
- skip an RSFL piece that does not decrypt under its key and report success with the
  rest (an ignored decryption error): the file is the concatenation of the DECRYPTED
  pieces, and a piece that is no OAEP ciphertext leaves none (LEG-PKI-FMT-6).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import HarnessError
from conformance.legacy.test_legacy_pki0 import (
    RQFL_SIZE,
    _Misframed,
    _run_requester,
    _SocketReader,
    _wanted_alias,
)
from conformance.legacy.test_legacy_pki0_responder import another_identity

pytestmark = pytest.mark.xdist_group("pki-legacy")

# Between the pieces of one frame written in three writes: long enough that they arrive
# apart (a probe of the requester's framing, not a synchronisation).
APART = 0.1


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _whole(conn: socket.socket, data: bytes) -> None:
    conn.sendall(data)


def _cut_in_header(conn: socket.socket, data: bytes) -> None:
    for start, end in ((0, 3), (3, 6), (6, len(data))):
        conn.sendall(data[start:end])
        time.sleep(APART)


def _responder(
    key: RSA.RsaKey,
    certificate: bytes,
    content: bytes,
    sizes: list[int],
    write: Callable[[socket.socket, bytes], None],
    forged: frozenset[int] = frozenset(),
) -> tuple[socket.socket, dict[str, bytes], threading.Thread]:
    """An sft-pki/0 responder holding (`key`, `certificate`) that records the requester's
    RQFL (decrypted under `key`) and serves `content` cut in pieces of `sizes`, each
    RSFL frame written by `write`, then closes. The pieces whose index is in `forged` are
    sent as 256 random bytes instead (no OAEP ciphertext under the requester's key)."""
    assert sum(sizes) == len(content)
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
                write(conn, reader.reply(b"RSCV", certificate))
                kind, seen["rqfl"] = reader.frame(expect=RQFL_SIZE)
                seen["rqfl type"] = kind
                try:
                    seen["name"] = pki0.oaep_decrypt(key, seen["rqfl"])
                except ValueError:
                    seen["name"] = b""
                offset = 0
                for index, size in enumerate(sizes):
                    piece = content[offset : offset + size]
                    offset += size
                    sealed = (
                        os.urandom(256) if index in forged else pki0.oaep_encrypt(requester, piece)
                    )
                    write(conn, reader.reply(b"RSFL", sealed))
                seen["served"] = content
            except _Misframed as exc:
                seen["misframed"] = str(exc).encode()
            except (OSError, ValueError) as exc:
                seen.setdefault("error", f"{type(exc).__name__}: {exc}".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, seen, thread


def _run(
    target: LegacyPkiTarget,
    identity: SuiteIdentity,
    tmp_path: Path,
    content: bytes,
    sizes: list[int],
    write: Callable[[socket.socket, bytes], None],
    slot: int = 3,
    *,
    judge_no_rqfl: bool = True,
    forged: frozenset[int] = frozenset(),
) -> tuple[dict[str, bytes], bool, bytes | None, str]:
    """The requester under test against `_responder` holding a second certified key
    (CN = the wanted alias in lab mode), for 'report.bin'. `judge_no_rqfl`: a requester
    that sends no RQFL is not judged (skipped); else the caller judges it."""
    key, certificate = another_identity(target, slot, _wanted_alias(target))
    listener, seen, thread = _responder(key, certificate, content, sizes, write, forged)
    try:
        done, saved = _run_requester(
            target, identity, tmp_path, listener.getsockname()[1], "report.bin"
        )
    finally:
        listener.close()
        thread.join(timeout=30)
    if not judge_no_rqfl:
        return seen, done.succeeded, saved, done.success_evidence()
    if "misframed" in seen:
        pytest.skip(f"not judged: the requester's frames deviate ({seen['misframed']!r})")
    if "rqfl" not in seen:
        if "error" in seen or not done.succeeded:
            # A requester that refuses the responder's certificate (it checks the alias or
            # the chain: LEG-PKI-4 fixed) sends no RQFL: nothing to judge here.
            pytest.skip(
                f"not judged: the requester sent no RQFL ({done.describe()}; "
                f"{seen.get('error', b'')!r})"
            )
        raise HarnessError(f"the requester sent no RQFL and {done.describe()}")
    return seen, done.succeeded, saved, done.success_evidence()


@pytest.mark.req("LEG-PKI-FMT-5")
def test_rqfl_is_sealed_to_the_key_rscv_carried(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    content = os.urandom(250)
    seen, _, _, _ = _run(pki_legacy, suite_identity, tmp_path, content, [100, 100, 50], _whole)
    if seen["rqfl type"] == b"RQFL" and seen["name"] == b"report.bin":
        return
    _fail(
        "LEG-PKI-FMT-5 (RQFL is OAEP(responder public key, name))",
        f"the responder held a key of its own (not the requester's) and sent its certificate "
        f"in RSCV: the requester's {seen['rqfl type']!r} ({len(seen['rqfl'])} bytes) does "
        "not decrypt under that key to 'report.bin' "
        + ("(no OAEP block under it)" if not seen["name"] else f"(it gives {seen['name']!r})")
        + ": sealed to another key (its own?)",
    )


@pytest.mark.req("LEG-PKI-FMT-1")
def test_frames_cut_inside_their_headers_are_read_whole(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    content = os.urandom(230)
    sizes = [100, 100, 30]
    seen, succeeded, saved, how = _run(
        pki_legacy, suite_identity, tmp_path / "cut", content, sizes, _cut_in_header,
        judge_no_rqfl=False,
    )  # fmt: skip
    if succeeded and saved == content:
        return
    # The same requester against the same responder, every frame in one write: if it
    # fails that too, the format cases say why (skipped here).
    control, control_ok, control_saved, _ = _run(
        pki_legacy, suite_identity, tmp_path / "whole", content, sizes, _whole
    )
    if not (control_ok and control_saved == content):
        pytest.skip("not judged: the requester does not keep the file of whole frames either")
    if "rqfl" not in seen:
        _fail(
            "LEG-PKI-FMT-1 (a frame is 8 header bytes and `length` payload bytes, however "
            "TCP cuts it)",
            f"RSCV written in three writes cut after header bytes 3 and 6 ({APART} s apart): "
            f"the requester sent no RQFL and {how}; the same RSCV in one write got "
            f"{control['rqfl type']!r}",
        )
    _fail(
        "LEG-PKI-FMT-1 (a frame is 8 header bytes and `length` payload bytes, however TCP cuts it)",
        f"RSCV and {len(sizes)} RSFL frames, each written in three writes cut after header "
        f"bytes 3 and 6 ({APART} s apart): the requester {how} and "
        + ("saved nothing" if saved is None else f"saved {len(saved)} other bytes")
        + " (the same frames each in one write: the file kept)",
    )


@pytest.mark.req("LEG-PKI-FMT-6")
def test_a_short_piece_before_the_last_does_not_end_the_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    """The end of the file is the responder's close, not a piece shorter than 100 bytes:
    the file is every piece in arrival order (LEG-PKI-FMT-6). A proxy that reorders
    pieces (LEG-PKI-6) puts the short one anywhere; so does this responder."""
    content = os.urandom(300)
    sizes = [100, 37, 100, 63]
    seen, succeeded, saved, how = _run(
        pki_legacy, suite_identity, tmp_path / "short", content, sizes, _whole
    )
    if "served" not in seen:
        pytest.skip(f"not judged: the responder could not serve ({seen.get('error', b'')!r})")
    if succeeded and saved == content:
        return
    _, control_ok, control_saved, _ = _run(
        pki_legacy, suite_identity, tmp_path / "hundreds", content, [100, 100, 100], _whole
    )
    if not (control_ok and control_saved == content):
        pytest.skip("not judged: the requester does not keep a file of 100-byte pieces either")
    _fail(
        "LEG-PKI-FMT-6 (the file is the concatenation of the decrypted pieces in arrival "
        "order, up to the close)",
        f"RSFL pieces of {sizes} bytes then a close ({len(content)} bytes): the requester "
        f"{how} and "
        + (
            "saved nothing"
            if saved is None
            else f"saved {len(saved)} bytes"
            + (f" (the first {len(saved)} of them)" if content.startswith(saved) else "")
        ),
    )


@pytest.mark.req("LEG-PKI-FMT-6")
@pytest.mark.parametrize("where", ["a middle piece", "the last piece"])
def test_a_piece_that_does_not_decrypt_fails_the_transfer(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path, where: str
) -> None:
    """The file is the concatenation of the DECRYPTED pieces (LEG-PKI-FMT-6): an RSFL whose
    payload is no OAEP ciphertext under the requester's key (256 random bytes) leaves no
    such concatenation, and the seed's requester raises on it. A requester that skips the
    piece ("a damaged piece: keep the rest", an ignored decryption error) and reports
    success saved a file with a hole for the whole one."""
    content = os.urandom(300)
    sizes = [100, 100, 100]
    forged = frozenset({1 if where == "a middle piece" else len(sizes) - 1})
    seen, succeeded, saved, how = _run(
        pki_legacy, suite_identity, tmp_path / "forged", content, sizes, _whole, forged=forged
    )
    if "served" not in seen:
        pytest.skip(f"not judged: the responder could not serve ({seen.get('error', b'')!r})")
    if not succeeded:
        return
    _fail(
        "LEG-PKI-FMT-6 (the file is the concatenation of the decrypted pieces in arrival "
        "order; a piece that does not decrypt under the requester's key leaves none)",
        f"RSFL pieces of {sizes} bytes, {where} 256 random bytes (not OAEP under the "
        f"requester's key), then a close: the requester {how} and "
        + ("saved nothing" if saved is None else f"saved {len(saved)} bytes"),
    )
