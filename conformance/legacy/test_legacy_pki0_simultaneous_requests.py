"""Profile pki-legacy: requests for different names at the same moment stay apart (§7.1.3).

Each connection's `RQFL` names the file THAT connection gets: the responder opens
`share/NAME` and sends its pieces, or closes without `RSFL` when it cannot be opened
(LEG-PKI-FMT-6, LEG-PKI-FMT-7). test_legacy_pki0_parallel_transfers.py runs transfers at
once, but every one asks for the same file, so a responder that keeps the NAME (or the
path, or the open file) where every session sees it passes it and still mixes up
requests that arrive together:
- the path to serve held in a module-level or static variable across an asynchronous
  step (`await access(path)`, a stat, a log call), or built in a static buffer by
  `snprintf`: a request that arrives meanwhile replaces it, and a session serves the
  other one's name — a missing one (a close where the file was asked for) or the file
  (pieces where a missing name was asked for);
- the open file handle, or "the current request", a field of the server object.
Here, once one session alone gets the known file whole, four sessions are taken past
their RSCV and their RQFLs, alternately the known name and a name that is not in the
share, are sent back to back; each known-name session MUST get the whole file and each
missing-name session MUST get no `RSFL`. Three rounds: a race that a round misses is given
two more tries.
"""

from __future__ import annotations

import socket

import pytest

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_pki0 import MISSING, _known
from conformance.legacy.test_legacy_pki0_responder import _Frames, _NotJudged

pytestmark = pytest.mark.xdist_group("pki-legacy")

SESSIONS = 4
ROUNDS = 3
# How long a session may stay silent before it is read as over: far longer than a piece
# needs on loopback (a bound on the wait, not a synchronisation).
PATIENCE = 5.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _rest(sock: socket.socket, frames: _Frames) -> list[tuple[bytes, bytes]]:
    """Every frame until the close (or PATIENCE of silence, or a reset)."""
    got: list[tuple[bytes, bytes]] = []
    sock.settimeout(PATIENCE)
    try:
        for _ in range(1 << 16):  # bounded: the timeout ends a silent responder
            frame = frames.frame()
            if frame is None:
                break
            got.append(frame)
    except (TimeoutError, OSError):
        pass
    return got


def _round(
    target: LegacyPkiTarget, identity: SuiteIdentity, name: str
) -> list[tuple[str, list[tuple[bytes, bytes]]]]:
    """SESSIONS sessions past RSCV, then their RQFLs back to back; (name, frames) each."""
    socks: list[tuple[socket.socket, _Frames, str]] = []
    try:
        for i in range(SESSIONS):
            sock = socket.create_connection((target.host, target.port), timeout=10)
            frames = _Frames(sock)
            socks.append((sock, frames, name if i % 2 == 0 else MISSING))
            sock.sendall(pki0.frame(b"SECE", identity.certificate_pem))
            answer = frames.frame()
            if answer is None or answer[0] != b"RSCV":
                raise _NotJudged(f"session {i + 1}'s SECE got {answer and answer[0]!r}")
            responder = der.read_certificate_leniently(answer[1]).public_key
        requests = [
            pki0.frame(b"RQFL", pki0.oaep_encrypt(responder, wanted.encode()))
            for _, _, wanted in socks
        ]
        for (sock, _, _), request in zip(socks, requests, strict=True):
            sock.sendall(request)
        return [(wanted, _rest(sock, frames)) for sock, frames, wanted in socks]
    finally:
        for sock, _, _ in socks:
            sock.close()


@pytest.mark.req("LEG-PKI-FMT-6", "LEG-PKI-FMT-7")
def test_requests_sent_together_each_get_their_own_name(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, content = _known(pki_legacy)
    alone = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, name
    )
    if alone.responder is None or not content.matches(alone.content):
        pytest.skip(
            "not judged: one session alone does not get the known file (the format cases say why)"
        )
    for round_no in range(1, ROUNDS + 1):
        try:
            results = _round(pki_legacy, suite_identity, name)
        except (_NotJudged, OSError) as exc:
            pytest.skip(f"not judged: {exc}")
        wrong = []
        for i, (wanted, frames) in enumerate(results):
            pieces = [payload for kind, payload in frames if kind == b"RSFL"]
            if wanted == MISSING:
                if pieces:
                    wrong.append(
                        f"session {i + 1} asked for {MISSING!r} and got {len(pieces)} RSFL pieces"
                    )
                continue
            try:
                got = b"".join(pki0.oaep_decrypt(suite_identity.key, p) for p in pieces)
            except ValueError:
                wrong.append(
                    f"session {i + 1} asked for {name!r} and got pieces that do not "
                    "decrypt under its key"
                )
                continue
            if not content.matches(got):
                wrong.append(
                    f"session {i + 1} asked for {name!r} and got {len(pieces)} "
                    f"pieces, {len(got)} bytes, not the file ({content.size} bytes)"
                )
        if wrong:
            _fail(
                "LEG-PKI-FMT-6 (the file RQFL names, in RSFL pieces, then a close), "
                "LEG-PKI-FMT-7 (a file that cannot be opened: a close and no RSFL)",
                f"one session alone gets {name!r} whole; round {round_no}: {SESSIONS} "
                f"sessions past RSCV, their RQFLs ({name!r} and {MISSING!r} alternately) sent "
                "back to back: " + "; ".join(wrong),
            )
