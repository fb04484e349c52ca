"""Profile pki-legacy: a stalled connection does not hold the others (§7.1.3).

The responder ("client 2") runs "one thread per connection": each connection is served
on its own, so a SECE is answered RSCV whatever other connections are doing
(LEG-PKI-FMT-4: the responder MUST answer it). test_legacy_pki0*.py's cases open their
connections one after another and never leave one idle, so a responder can pass them and
still serve, in effect, one peer at a time:
- the first frame read on the accept loop, before the connection's thread is started
  ("turn port scanners away early"): a connection that sends nothing stops every later
  one until its read times out;
- a lock over the session ("one user of the private key at a time", a `synchronized`
  handler), taken at the SECE and held until the file is out: a requester that goes
  silent after its RSCV holds every other session;
- a fixed pool of N worker threads with no per-peer deadline: N silent connections hold
  everyone else;
- a lock taken when the request arrives (around the private-key decryption and the
  file), held while a half-sent RQFL is read: RSCV still comes, the file does not.
Here, once one session alone is seen to work, eight connections stall at four doors
(silent from the connect, inside a SECE header, after their RSCV, inside an RQFL header;
two of each) and, while they are open, a new session's SECE MUST be answered RSCV
(LEG-PKI-FMT-4) and its RQFL with the file's pieces and the close (LEG-PKI-FMT-6), each
within the bound below — far under any idle timeout that ends a stalled read (the
reference's is 30 s by default), so a responder that waits for one is found.
"""

from __future__ import annotations

import time

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")

# How long a new session may take to get its RSCV while others stall: the larger of this
# and three times what the same exchange took alone (a loaded machine), always far under
# an idle timeout that would free a responder blocked on a stalled peer.
BOUND = 5.0
STALLED_PER_DOOR = 2  # two per door: a pool of one or two workers is found too


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _answer_time(
    target: LegacyPkiTarget, identity: SuiteIdentity, timeout: float
) -> tuple[float, str]:
    """(seconds, what came) for one SECE on a new connection: RSCV, RSCI, a close, or
    silence until `timeout`."""
    start = time.monotonic()
    with LegacyStream(target.host, target.port, timeout) as stream:
        stream.send(pki0.frame(b"SECE", identity.certificate_pem))
        try:
            answer = pki0.read_frame(stream, timeout, lenient=[])
        except Closed:
            return time.monotonic() - start, "a close"
        except TimedOut:
            return time.monotonic() - start, f"nothing for {timeout:.1f} s"
        except ValueError as exc:
            return time.monotonic() - start, f"an unreadable frame ({exc})"
    return time.monotonic() - start, answer.type.decode("ascii", "replace")


class _Stalled:
    """The stalled connections, opened door by door; closed on exit."""

    def __init__(self, target: LegacyPkiTarget, identity: SuiteIdentity) -> None:
        self.target, self.identity = target, identity
        self.streams: list[LegacyStream] = []
        self.doors: list[str] = []

    def _open(self, door: str) -> LegacyStream:
        stream = LegacyStream(self.target.host, self.target.port, 10.0)
        self.streams.append(stream)
        self.doors.append(door)
        return stream

    def _past_rscv(self, door: str) -> tuple[LegacyStream, str, bytes | None]:
        """A connection whose SECE was sent; (stream, what came, the RSCV certificate)."""
        stream = self._open(door)
        stream.send(pki0.frame(b"SECE", self.identity.certificate_pem))
        try:  # not judged here: a responder that holds this one is found by the new session
            answer = pki0.read_frame(stream, 1.0, lenient=[])
        except (Closed, TimedOut, ValueError) as exc:
            return stream, f"no RSCV ({type(exc).__name__})", None
        return stream, answer.type.decode("ascii", "replace"), answer.payload

    def __enter__(self) -> _Stalled:
        sece_header = pki0.frame(b"SECE", self.identity.certificate_pem)[:5]
        for _ in range(STALLED_PER_DOOR):
            self._open("silent since the connect")
        for _ in range(STALLED_PER_DOOR):
            self._open("silent after 5 bytes of a SECE header").send(sece_header)
        for _ in range(STALLED_PER_DOOR):
            _, got, _ = self._past_rscv("silent after its SECE")
            self.doors[-1] += f" ({got}), no RQFL"
        for _ in range(STALLED_PER_DOOR):
            stream, got, _ = self._past_rscv("silent after its SECE")
            self.doors[-1] += f" ({got}) and 5 bytes of an RQFL header"
            stream.send(b"RQFL\x00")
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in self.streams:
            stream.close()

    def summary(self) -> str:
        counts = "; ".join(f"{self.doors.count(d)} {d}" for d in dict.fromkeys(self.doors))
        return f"{len(self.streams)} other connections open and stalled ({counts})"


def _alone(target: LegacyPkiTarget, identity: SuiteIdentity, name: str | None) -> float:
    """Seconds one session takes alone (SECE, and RQFL to the close when `name`); skips
    when it does not work alone (the format cases say why)."""
    start = time.monotonic()
    try:
        session = pki0.run_session(
            target.host, target.port, identity.certificate_pem, identity.key, name, patience=3.0
        )
    except TimedOut:
        pytest.skip("not judged: the suite's SECE alone got no answer (the format cases say why)")
    took = time.monotonic() - start
    if session.answer is None or session.answer.type != b"RSCV":
        pytest.skip("not judged: the suite's SECE alone got no RSCV (the format cases say why)")
    known = target.known_file
    if name is not None and not (
        known is not None and session.closed and known.matches(session.content)
    ):
        pytest.skip(f"not judged: one session alone does not get {name!r} whole and a close")
    return took


@pytest.mark.req("LEG-PKI-FMT-4")
def test_a_new_session_is_answered_while_others_stall(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    alone = _alone(pki_legacy, suite_identity, None)
    bound = max(BOUND, 3 * alone)
    with _Stalled(pki_legacy, suite_identity) as stalled:
        took, what = _answer_time(pki_legacy, suite_identity, bound)
        summary = stalled.summary()
    if what != "RSCV":
        _fail(
            "LEG-PKI-FMT-4 (the responder MUST answer a SECE carrying a valid root "
            "signature with RSCV; it serves one thread per connection)",
            f"the suite's SECE alone got RSCV in {alone:.2f} s; with {summary}, the same SECE "
            f"on a new connection got {what} within {took:.1f} s: a stalled peer holds the "
            "others",
        )


@pytest.mark.req("LEG-PKI-FMT-6")
def test_a_file_is_served_while_others_stall(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    known = pki_legacy.known_file
    if known is None or known.size == 0:
        pytest.skip("needs a non-empty file known to be in the responder's share ([files])")
    alone = _alone(pki_legacy, suite_identity, known.name)
    bound = max(BOUND, 3 * alone)
    with _Stalled(pki_legacy, suite_identity) as stalled:
        start = time.monotonic()
        try:
            session = pki0.run_session(
                pki_legacy.host,
                pki_legacy.port,
                suite_identity.certificate_pem,
                suite_identity.key,
                known.name,
                timeout=bound,
                patience=bound,
            )
        except TimedOut:
            session = pki0.PkiSession()  # no answer to SECE: the other case reports it
        took = time.monotonic() - start
        summary = stalled.summary()
    if session.answer is None or session.answer.type != b"RSCV":
        pytest.skip(
            "not judged here: the new session's SECE got no RSCV while others stalled "
            "(test_a_new_session_is_answered_while_others_stall reports it)"
        )
    if session.closed and known.matches(session.content) and took <= bound:
        return
    end = "a close" if session.closed else f"nothing more within {bound:.1f} s"
    _fail(
        "LEG-PKI-FMT-6 (the responder MUST send the file as RSFL pieces, then close; it "
        "serves one thread per connection)",
        f"{known.name!r} ({known.size} bytes) is served whole to one session alone in "
        f"{alone:.2f} s; with {summary}, a new session got RSCV, then {len(session.pieces)} "
        f"pieces ({len(session.content)} bytes) and {end} after its RQFL: a stalled peer holds "
        "the others",
    )
