"""Profile pki-legacy: one file per connection; after the last piece, the close
(docs/SPEC.md §7.1.3, LEG-PKI-FMT-6 and LEG-PKI-FMT-7).

The responder sends the file's pieces "then it MUST close the connection", and "one file
per connection": the close IS the end of the file (there is no end-of-transfer frame).
The other cases read until the close within a bounded wait (3 s), so a responder that
brings the habit of HTTP/1.1 keep-alive — after the last piece it waits a little for
another request on the same connection, serves it, and closes only when the
connection has been idle for its keep-alive timeout (1-2 s, shorter than the wait) —
passes them: its late close still comes. It breaks the format all the same: a second
`RQFL` on the connection gets a second file, appended, for the seed's requester, to the
first one (whose end it cannot tell), and the close no longer follows the last piece.

Asked here: the target's known file (target.toml, `[files]`); as soon as its last piece
is in (ceil(size / 100) pieces, LEG-PKI-FMT-6), the suite sends a second `RQFL` for the
same file on the same connection. A faithful responder has closed (or closes), and
sends nothing more: the second request meets a closed connection (a reset, or a write
error, is that close). Any frame after the last piece, or no close within the bounded
wait, FAILs LEG-PKI-FMT-7.
"""

from __future__ import annotations

import math

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.der import read_certificate_leniently
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # as test_legacy_pki0.py's: a silent, open connection after the request
ATTEMPTS = 2  # both must show one file per connection


def _after_the_file(
    pki_legacy: LegacyPkiTarget, identity: SuiteIdentity, name: str, pieces: int
) -> str | None:
    """One session: SECE, RQFL for `name`, its `pieces` RSFL, then a second RQFL. What
    followed the last piece when it is not a bare close (None: a close, nothing else)."""
    with LegacyStream(pki_legacy.host, pki_legacy.port, 10.0) as stream:
        stream.send(pki0.frame(b"SECE", identity.certificate_pem))
        try:
            answer = pki0.read_frame(stream, PATIENCE)
        except (Closed, TimedOut, ValueError) as exc:
            pytest.skip(f"not judged: the suite's SECE got {exc!r} (the format cases say how)")
        if answer.type != b"RSCV":
            pytest.skip(f"not judged: the suite's certificate got {answer.type!r}, not RSCV")
        try:
            responder = read_certificate_leniently(answer.payload)
        except ValueError:
            pytest.skip("not judged: RSCV carries no certificate the suite reads")
        request = pki0.frame(b"RQFL", pki0.oaep_encrypt(responder.public_key, name.encode()))
        stream.send(request)
        for number in range(pieces):
            try:
                got = pki0.read_frame(stream, PATIENCE)
            except (Closed, TimedOut, ValueError) as exc:
                pytest.skip(
                    f"not judged: piece {number + 1} of {pieces} of {name!r} got {exc!r} "
                    "(LEG-PKI-FMT-6's cases judge the pieces)"
                )
            if got.type != b"RSFL":
                pytest.skip(f"not judged: frame {got.type!r} among the pieces of {name!r}")
        try:
            stream.send(request)
        except OSError:
            return None  # the responder had closed: the second request meets the close
        extra: list[bytes] = []
        for _ in range(1 << 12):  # bounded: each turn reads one frame or ends
            try:
                extra.append(pki0.read_frame(stream, PATIENCE).type)
            except Closed:
                break
            except TimedOut:
                return (
                    f"after the {pieces} pieces of {name!r} and a second RQFL: "
                    + (f"frames {extra[:6]}, then " if extra else "")
                    + f"neither a close nor a frame within {PATIENCE} s"
                )
            except ValueError as exc:
                extra.append(f"<misframed: {exc}>".encode())
                break
        if not extra:
            return None
        return (
            f"after the {pieces} pieces of {name!r}, a second RQFL on the same connection "
            f"got {len(extra)} more frame(s) {extra[:6]}: the connection was kept open for "
            "another request (keep-alive) instead of closing after the last piece"
        )


@pytest.mark.req("LEG-PKI-FMT-7")
def test_the_connection_ends_with_the_file(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    known = pki_legacy.known_file
    if known is None or known.size == 0:
        pytest.skip("needs a non-empty file of the share: target.toml [files]")
    pieces = math.ceil(known.size / 100)
    findings = [
        found
        for _ in range(ATTEMPTS)
        if (found := _after_the_file(pki_legacy, suite_identity, known.name, pieces))
    ]
    assert not findings, (
        "LEG-PKI-FMT-7 (one file per connection: after the last RSFL the responder MUST "
        "close, LEG-PKI-FMT-6) violated: " + "; ".join(findings)
    )
