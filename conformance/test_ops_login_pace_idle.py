"""LIM-2: the idle timer of a session does not depend on how long its handshake took.

LIM-2: a responder "MUST NOT close it for idleness before the idle timeout it is
configured with (LIM-7) has passed since that byte". test_ops_idle_floor.py pauses after
a quick handshake. A handshake that took most of its handshake timeout (LIM-1) shows two
mistakes a quick one hides:

* the socket's timeout left as the handshake set it: a server that bounds each handshake
  read by the time left before the handshake deadline, and never sets the idle timeout
  for the session, reads the first request with whatever was left when the last
  handshake message was awaited — little, after a slow login;
* an absolute deadline for the connection (Go's `SetDeadline(accept + handshake
  timeout)`) not cleared once the channel is established: the session dies at the
  handshake deadline whatever it sends.

The case opens a TCP connection, waits 60 % of the handshake timeout before its first
handshake byte (a slow client or link; the handshake then completes well within LIM-1),
completes an honest handshake, stays silent for 80 % of the idle timeout and then sends a
request, which must be answered. The waits are the stimulus (what a slow peer does), not
synchronisation. Both profiles.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name
from conformance.target import Target
from conformance.test_ops_admission_counts import _victim_handshake
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, RawConnection

__all__: list[str] = []

_BEFORE_FIRST_BYTE = 0.6  # of the handshake timeout
_SILENT_AFTER = 0.8  # of the idle timeout
_LONGEST = 20.0  # seconds of waiting this case accepts


@pytest.mark.req("LIM-2", "LIM-7")
def test_a_slow_login_leaves_the_whole_idle_timeout(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    handshake = target.limits.handshake_timeout
    idle = target.limits.idle_timeout
    before = handshake * _BEFORE_FIRST_BYTE
    silent = idle * _SILENT_AFTER
    if before + silent > _LONGEST:
        pytest.skip(
            f"the handshake ({handshake:g} s) and idle ({idle:g} s) timeouts are too long "
            "for this case to wait"
        )
    conn = RawConnection.connect(target.host, target.port, timeout=handshake * 2 + 3.0)
    transcripts.add(conn)
    accepted = time.monotonic()
    conn.transcript.add("event", note=f"connected; silent for {before:.2f} s (a slow client)")
    time.sleep(before)  # the stimulus: a client slow to start its handshake
    channel = _victim_handshake(target, conn, tmp_path)
    established = time.monotonic()
    if established - accepted >= handshake:
        pytest.skip(
            f"INCONCLUSIVE: the handshake ended {established - accepted:.2f} s after the "
            f"connection, past the handshake timeout ({handshake:g} s)"
        )
    try:
        channel.transcript.add("event", note=f"established; silent for {silent:.2f} s")
        time.sleep(silent)  # the stimulus: a pause shorter than the idle timeout
        name = fresh_name("ops-login-pace")  # names no file: a short answer
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect(
            [ExpectError("not_found", "forbidden"), ExpectFrame("RSFL")], timeout=idle + 3.0
        )
        if not outcome.ok:
            raise ConformanceFailure.evidence(
                f"LIM-2: a handshake that began {before:.2f} s after the connection "
                f"(handshake timeout {handshake:g} s) and ended after "
                f"{established - accepted:.2f} s, then {silent:.2f} s of silence (idle "
                f"timeout {idle:g} s), then RQFL {name!r}",
                "the request answered: the session was idle for less than its idle timeout",
                outcome.describe(),
                note="the session's idle timer counts from the handshake's start or keeps "
                "what was left of the handshake deadline (LIM-2: not before the idle "
                "timeout has passed since the last byte)",
            )
    finally:
        channel.close()
