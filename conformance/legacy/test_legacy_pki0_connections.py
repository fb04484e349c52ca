"""Profile pki-legacy: each connection's frames go to that connection (§7.1.3).

The responder serves "one thread per connection": RSCV answers the SECE of ITS connection,
and the RSFL pieces of a request go back on the connection that sent the RQFL, then that
connection is closed (LEG-PKI-FMT-6). test_legacy_pki0.py's cases run one session at a
time, so a port of the seed's single-connection code that keeps the client socket where
every thread sees it (a global `conn`, "the last accepted socket", a field of the server
object) passes them: the last connection accepted is the one being served. Here two
connections overlap — A's SECE and RSCV, B's SECE and RSCV, then A's RQFL, then B's — with
the same certificate on both, so that only the routing of frames is judged (whose key the
pieces use is test_legacy_pki0_two_requesters.py's business): each connection must get its
own file whole, and nothing meant for the other.
"""

from __future__ import annotations

import hashlib

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import KnownContent, LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")

# How long a silent, open connection is waited for (as test_legacy_pki0.py's PATIENCE):
# a responder that then neither sends nor closes has sent what it will.
PATIENCE = 3.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _known(target: LegacyPkiTarget) -> tuple[str, KnownContent]:
    if target.known_file is None or target.known_file.size == 0:
        pytest.skip("needs a non-empty file known to be in the responder's share ([files])")
    return target.known_file.name, target.known_file


def _frames(stream: LegacyStream) -> tuple[list[pki0.Frame], str]:
    """Every frame until the close or PATIENCE of silence; (frames, how it ended)."""
    frames: list[pki0.Frame] = []
    for _ in range(1 << 16):  # bounded by the close, or by PATIENCE of silence
        try:
            frames.append(pki0.read_frame(stream, PATIENCE, lenient=[]))
        except Closed:
            return frames, "a close"
        except TimedOut:
            return frames, f"{PATIENCE} s of silence"
        except ValueError as exc:
            return frames, f"an unreadable frame ({exc})"
    return frames, "too many frames"  # pragma: no cover


def _content(frames: list[pki0.Frame], identity: SuiteIdentity) -> bytes | None:
    try:
        return b"".join(
            pki0.oaep_decrypt(identity.key, f.payload) for f in frames if f.type == b"RSFL"
        )
    except ValueError:
        return None


def _describe(who: str, frames: list[pki0.Frame], end: str, data: bytes | None) -> str:
    types = [f.type.decode("ascii", "replace") for f in frames]
    counts = {t: types.count(t) for t in dict.fromkeys(types)}
    got = ", ".join(f"{n} {t}" for t, n in counts.items()) or "no frame"
    if data is None:
        what = "pieces the suite cannot decrypt"
    else:
        what = f"{len(data)} bytes (SHA-256 {hashlib.sha256(data).hexdigest()[:16]}…)"
    return f"{who}'s connection got {got}, then {end}: {what}"


@pytest.mark.req("LEG-PKI-FMT-6")
def test_overlapping_connections_each_get_their_own_frames(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, known = _known(pki_legacy)
    cert = suite_identity.certificate_pem
    alone = pki0.run_session(
        pki_legacy.host, pki_legacy.port, cert, suite_identity.key, name, patience=PATIENCE
    )
    served = alone.answer is not None and alone.answer.type == b"RSCV"
    if not (served and known.matches(alone.content)):
        pytest.skip(
            f"not judged: one session alone does not get {name!r} whole (the format cases say how)"
        )
    streams: dict[str, tuple[LegacyStream, RSA.RsaKey]] = {}
    wrong, seen = [], []
    try:
        for who in ("A", "B"):  # both sessions open, each past its RSCV
            stream = LegacyStream(pki_legacy.host, pki_legacy.port, 10.0)
            streams[who] = (stream, suite_identity.key)
            stream.send(pki0.frame(b"SECE", cert))
            try:
                answer = pki0.read_frame(stream, PATIENCE, lenient=[])
            except (Closed, TimedOut, ValueError) as exc:
                if who == "A":  # as alone: the format cases say why it differs
                    pytest.skip(f"not judged: A's SECE got {exc!r}")
                # A responder that serves one connection at a time (the seed's has a
                # thread per connection) leaves B waiting while A is open: not this case's.
                pytest.skip(
                    f"not judged: a second connection's SECE got {exc!r} while the first "
                    "connection was open (one connection at a time): nothing to route"
                )
            if answer.type != b"RSCV":
                pytest.skip(f"not judged: {who}'s SECE was answered {answer.type!r}")
            try:
                responder = der.read_certificate_leniently(answer.payload).public_key
            except ValueError:
                pytest.skip("not judged: RSCV carries no certificate the suite can read")
            streams[who] = (stream, responder)
        for who, (stream, responder) in streams.items():  # A's request, then B's
            stream.send(pki0.frame(b"RQFL", pki0.oaep_encrypt(responder, name.encode())))
            frames, end = _frames(stream)
            data = _content(frames, suite_identity)
            seen.append(_describe(who, frames, end, data))
            others = [f for f in frames if f.type != b"RSFL"]
            if data is None or not known.matches(data) or others:
                wrong.append(who)
    finally:
        for stream, _ in streams.values():
            stream.close()
    if wrong:
        _fail(
            "LEG-PKI-FMT-6 (the RSFL pieces of a request come back on ITS connection, then "
            "that connection closes)",
            f"{name!r} ({known.size} bytes) is served whole to one session alone; with two "
            f"connections at once (SECE A, SECE B, RQFL A, RQFL B, the same certificate): "
            + "; ".join(seen),
        )
