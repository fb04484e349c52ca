"""An established session outlives the handshake timeout (docs/SPEC.md §6: LIM-1, APP-2),
both profiles.

The handshake deadline of LIM-1 is armed at accept and concerns a connection whose secure
channel is *not* established in time. A responder that arms it on accept and forgets to
disarm it when the handshake completes (a `setTimeout(destroy, handshake_timeout)` cleared
only on 'close', a `SO_RCVTIMEO` never reset, a deadline checked on every read) gives
every connection a lifetime of one handshake timeout: a session that keeps asking is cut
after it. With the embedded limits (handshake 2 s, idle 1.5 s) the cases of
test_limits.py are all over within 2 s of accept, so none of them lasts long enough to
see it. This case keeps one established session busy — a get every fraction of the idle
timeout, so LIM-2 never allows closing it — until well past the handshake timeout, and
requires every get to be served on that one connection (APP-2).
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, known_file
from conformance.target import Target
from conformance.wire import ExpectFrame

_MAX_WAIT = 12.0  # the longest limit the suite waits for (as test_limits.py)


@pytest.mark.req("LIM-1", "APP-2")
def test_an_established_session_outlives_the_handshake_timeout(
    target: Target, app_channel: AppChannel
) -> None:
    """Gets paced at most 0.4 idle timeouts (and 1 s) apart on one connection, from the
    handshake until the handshake timeout plus 1 s has passed, are all served: the
    handshake deadline ends with the handshake, and LIM-2 allows closing only a quiet
    connection."""
    handshake = target.limits.handshake_timeout
    idle = target.limits.idle_timeout
    if handshake > _MAX_WAIT:
        pytest.skip(f"the target's handshake timeout is {handshake} s (at most {_MAX_WAIT} s)")
    file = known_file(target)
    gap = min(0.4 * idle, 1.0)
    span = handshake + 1.0
    channel = app_channel()
    started = time.monotonic()  # the channel is up: accept was earlier still
    index = 0
    while True:
        index += 1
        elapsed = time.monotonic() - started
        what = (
            f"get {index} on one established connection, {elapsed:.1f} s after its "
            f"handshake (handshake timeout {handshake} s, idle timeout {idle} s; the "
            f"previous answer came at most {gap:.1f} s before)"
        )
        channel.send_frame("RQFL", {"name": file.name})
        channel.expect([ExpectFrame("RSFL")]).check(what)
        channel.expect([ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]).check(
            f"{what}: DONE"
        )
        if elapsed >= span:
            return
        time.sleep(gap)  # quiet for less than the idle timeout: the pacing under test
