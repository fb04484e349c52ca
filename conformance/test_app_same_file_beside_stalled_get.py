"""LIM-5: a file that one connection is being sent is served to another at once (both
profiles).

LIM-5: a responder "MUST keep serving other connections ... whatever one connection
sends or does (malformed input, slow sending, vanishing)". test_limits_responder.py
stalls one reader and asks, on a second connection, for ANOTHER file: a server-wide lock
held across a blocking write shows there. A lock of the file itself does not: a
responder that flock()s a shared file exclusively for the whole of a get ("the file must
not change between its fstat and its last byte"; a shared lock was meant), or that keeps
one open reader per file and makes the next get of it wait its turn, serves every other
file while a reader that stopped reading holds that one — and the file every client
wants (the release everybody downloads) is the one a single stalled reader takes away.

The case pipelines gets of the largest known file on one connection and stops reading,
until the responder's writes to it block (observed on the kernel's receive queue, not
guessed); a get of THAT file on a second connection must then be answered in full long
before the responder gives up on the stalled one (its send timeout is the idle timeout,
LIM-10). Judged twice before a FAIL.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, known_file
from conformance.channel import Channel
from conformance.target import KnownFile, Target
from conformance.test_limits_responder import _wait_until_stalled
from conformance.wire import ConformanceFailure, ReceivedFrame

__all__: list[str] = []

_STALL_BYTES = 12 * 1024 * 1024
_MAX_FRAMES = 4096


def _whole_get_time(channel: Channel, file: KnownFile, bound: float) -> str | None:
    """Seconds-stamped outcome of a get of `file`: None once DONE with its digest came
    within `bound`, else what came instead."""
    started = time.monotonic()
    channel.send_frame("RQFL", {"name": file.name})
    deadline = started + bound
    for _ in range(_MAX_FRAMES):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            return f"{event.describe()} after {time.monotonic() - started:.2f} s"
        if event.type == b"DONE":
            if (event.json() or {}).get("sha256") == file.sha256:
                return None
            return f"a DONE of other bytes: {event.describe()}"
        if event.type == b"EROR":
            return f"{event.describe()} after {time.monotonic() - started:.2f} s"
    return f"more than {_MAX_FRAMES} frames"


@pytest.mark.req("LIM-5")
def test_the_file_a_stalled_reader_holds_is_served_to_another(
    target: Target, app_channel: AppChannel
) -> None:
    file = max(
        (f for f in target.files if 0 < f.size <= target.limits.max_file_size),
        key=lambda f: f.size,
        default=None,
    )
    if file is None:
        known_file(target)  # skips: the target lists no known file
        raise AssertionError("unreachable")
    count = -(-_STALL_BYTES // file.size)
    if count > 64:
        pytest.skip(f"the largest known file ({file.size} bytes) is too small to stall on")
    # Well below the send timeout that ends the stall, well above an honest get of it.
    bound = min(5.0, max(1.0, target.limits.idle_timeout * 0.75))
    outcomes: list[str] = []
    for _attempt in range(2):
        other = app_channel()
        stalled = app_channel()
        try:
            for _ in range(count):
                stalled.send_frame("RQFL", {"name": file.name})
            if not _wait_until_stalled(stalled):
                pytest.skip("could not observe the responder's writes stalling")
            outcome = _whole_get_time(other, file, bound)
        finally:
            stalled.close()
            other.close()
        if outcome is None:
            return
        outcomes.append(outcome)
    raise ConformanceFailure.evidence(
        f"LIM-5: {count} gets of {file.name!r} ({file.size} bytes) pipelined on one connection "
        "and not read (the responder's writes to it blocked); then a get of the SAME file on "
        "a second connection (twice)",
        f"the second get answered in full within {bound:.2f} s (the responder gives up on the "
        f"stalled connection only after its idle timeout, {target.limits.idle_timeout:g} s)",
        "; ".join(outcomes),
        note="the file is held for the stalled reader (an exclusive lock of it, one reader "
        "per file): the stalled connection decides when others may have it",
    )
