"""Profile pki-legacy: transfers that run at the same moment stay apart (§7.1.3).

The responder serves "one thread per connection", and each connection's file goes out as
RSFL pieces `OAEP(requester public key, piece)` under the key of ITS SECE, the pieces of
the file in order (LEG-PKI-FMT-6). test_legacy_pki0_two_requesters.py and
test_legacy_pki0_connections.py overlap two sessions but read one transfer to its close
before the next request is sent, so the transfers themselves never run at once. A
responder can pass them and still share, between its threads, what one transfer is in
the middle of using:
- one piece buffer for the whole responder ("no garbage per connection"): a thread seals
  the bytes another thread has just read;
- one OAEP cipher object, re-initialised per session with that session's key ("getting a
  cipher is slow"): a session's later pieces are sealed under the key of the session
  that started after it;
- any other per-transfer state kept where every thread sees it (an offset, a file handle).
Here, once one session alone gets the known file whole, four sessions (two certificates,
alternating) are taken past their RSCV, their four RQFLs are sent back to back so that the
transfers run at the same moment, and each session MUST get pieces that decrypt under ITS
key to the whole file. Three rounds: a race that a round misses is given two more tries.
"""

from __future__ import annotations

import hashlib

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import KnownContent, LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut
from conformance.legacy.test_legacy_pki0_two_requesters import _second_identity

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # as test_legacy_pki0.py's: silence after a piece ends the reading
SESSIONS = 4
ROUNDS = 3


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _known(target: LegacyPkiTarget) -> tuple[str, KnownContent]:
    if target.known_file is None or target.known_file.size == 0:
        pytest.skip("needs a non-empty file known to be in the responder's share ([files])")
    return target.known_file.name, target.known_file


def _open(target: LegacyPkiTarget, certificate: bytes, who: str) -> tuple[LegacyStream, RSA.RsaKey]:
    """SECE on a new connection; the stream and the RSCV certificate's key."""
    stream = LegacyStream(target.host, target.port, 10.0)
    stream.send(pki0.frame(b"SECE", certificate))
    try:
        answer = pki0.read_frame(stream, lenient=[])
        if answer.type != b"RSCV":
            raise ValueError(f"answered {answer.type!r}")
        return stream, der.read_certificate_leniently(answer.payload).public_key
    except (Closed, TimedOut, ValueError) as exc:
        stream.close()
        pytest.skip(f"not judged: session {who}'s SECE got {exc!r} (the format cases say how)")


def _payloads(stream: LegacyStream) -> tuple[list[bytes], int, str]:
    """(RSFL payloads, other frames, how the reading ended)."""
    payloads: list[bytes] = []
    others = 0
    for _ in range(1 << 16):  # bounded by the close, or PATIENCE of silence
        try:
            received = pki0.read_frame(stream, PATIENCE, lenient=[])
        except Closed:
            return payloads, others, "a close"
        except TimedOut:
            return payloads, others, f"{PATIENCE} s of silence"
        except ValueError as exc:
            return payloads, others, f"an unreadable frame ({exc})"
        if received.type == b"RSFL":
            payloads.append(received.payload)
        else:
            others += 1
    return payloads, others, "too many frames"  # pragma: no cover


def _judge(
    who: str, payloads: list[bytes], key: RSA.RsaKey, other: RSA.RsaKey, known: KnownContent
) -> str | None:
    """None when the session got the file whole under its key; otherwise what it got."""
    plain: list[bytes] = []
    foreign = unreadable = 0
    for payload in payloads:
        try:
            plain.append(pki0.oaep_decrypt(key, payload))
        except ValueError:
            try:
                pki0.oaep_decrypt(other, payload)
                foreign += 1
            except ValueError:
                unreadable += 1
    data = b"".join(plain)
    if not foreign and not unreadable and known.matches(data):
        return None
    parts = [f"{len(payloads)} RSFL"]
    if foreign:
        parts.append(f"{foreign} of them sealed under the OTHER certificate's key")
    if unreadable:
        parts.append(f"{unreadable} readable under neither key")
    parts.append(
        f"its own pieces give {len(data)} bytes (SHA-256 {hashlib.sha256(data).hexdigest()[:16]}"
        f"…, the file's is {known.sha256[:16]}…)"
    )
    return f"session {who}: " + ", ".join(parts)


@pytest.mark.req("LEG-PKI-FMT-6")
def test_transfers_running_at_once_each_get_their_file_under_their_key(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    name, known = _known(pki_legacy)
    alone = pki0.run_session(
        pki_legacy.host,
        pki_legacy.port,
        suite_identity.certificate_pem,
        suite_identity.key,
        name,
        patience=PATIENCE,
    )
    if not (
        alone.answer is not None and alone.answer.type == b"RSCV" and known.matches(alone.content)
    ):
        pytest.skip(
            f"not judged: one session alone does not get {name!r} whole (the format cases say how)"
        )
    key_b, cert_b = _second_identity(pki_legacy, suite_identity)
    identities = [
        ("A", suite_identity.key, suite_identity.certificate_pem, key_b),
        ("B", key_b, cert_b, suite_identity.key),
    ]
    for round_no in range(1, ROUNDS + 1):
        opened: list[tuple[str, LegacyStream, RSA.RsaKey, RSA.RsaKey, bytes]] = []
        wrong: list[str] = []
        try:
            for i in range(SESSIONS):
                label, key, cert, other = identities[i % 2]
                who = f"{label}{i + 1}"
                stream, responder = _open(pki_legacy, cert, who)
                rqfl = pki0.frame(b"RQFL", pki0.oaep_encrypt(responder, name.encode()))
                opened.append((who, stream, key, other, rqfl))
            for _, stream, _, _, rqfl in opened:  # back to back: the transfers overlap
                stream.send(rqfl)
            for who, stream, key, other, _ in opened:
                payloads, others, end = _payloads(stream)
                verdict = _judge(who, payloads, key, other, known)
                if verdict is not None or others:
                    wrong.append(
                        f"{verdict or f'session {who}: the file whole'}"
                        f"{f', {others} other frames' if others else ''}, then {end}"
                    )
        finally:
            for _, stream, _, _, _ in opened:
                stream.close()
        if wrong:
            _fail(
                "LEG-PKI-FMT-6 (each connection's RSFL pieces are OAEP(its requester's key, "
                "piece), the file's pieces in order)",
                f"{name!r} ({known.size} bytes) is served whole to one session alone; round "
                f"{round_no} of {SESSIONS} sessions (certificates A and B alternating), all past "
                f"RSCV, their RQFLs sent back to back: " + "; ".join(wrong),
            )
