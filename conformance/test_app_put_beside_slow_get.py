"""A put beside a slow reader's gets (docs/SPEC.md LIM-5); both profiles.

LIM-5: a responder MUST keep serving other connections whatever one connection does.
test_limits_responder.py judges a *get* on another connection beside a slow or stalled
reader. The store has a second door: a responder that guards its files with one lock —
readers (gets being sent) share it, a put's commit takes it exclusively, "so that no name
appears while a file is read" — or that commits puts in batches waiting for the others,
stores a put only once the slow reader's gets are all sent. Two oracles, as for the get:
an ORDER (one initiator pipelines gets of the largest known file and reads them slowly; a
whole put on a second connection is acknowledged before that series ends) and, with the
slow initiator not reading at all so that the responder's writes block inside one get, a
DONE well before the responder's send timeout (LIM-10) could have freed it.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.channel import Channel
from conformance.target import KnownFile, Target
from conformance.test_limits_responder import _wait_until_stalled
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
)

_MAX_FRAMES: Final = 4096  # bounds every read loop
_PUT_SIZE: Final = 4096


def _largest_file(target: Target) -> KnownFile:
    file = max(
        (f for f in target.files if 0 < f.size <= target.limits.max_file_size),
        key=lambda f: f.size,
        default=None,
    )
    if file is None:
        known_file(target)  # skips: the target lists no known file
        raise AssertionError("unreachable")
    return file


def _put_time(channel: Channel, bound: float) -> float | None:
    """Seconds from PUTF to the DONE of a 4 KiB put; None if not acknowledged in `bound`."""
    data = os.urandom(_PUT_SIZE)
    started = time.monotonic()
    deadline = started + bound
    channel.send_frame("PUTF", {"name": fresh_name(), "size": len(data)})
    accepted = channel.recv_frame(deadline)
    if not (isinstance(accepted, ReceivedFrame) and accepted.type == b"RSFL"):
        return None
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    answer = channel.recv_frame(deadline)
    if isinstance(answer, ReceivedFrame) and answer.type == b"DONE":
        return time.monotonic() - started
    return None


@pytest.mark.req("LIM-5")
def test_a_put_is_stored_while_another_connection_stopped_reading(
    target: Target, app_channel: AppChannel
) -> None:
    """One connection pipelines 12 MiB of gets and stops reading, so that the responder's
    writes to it block in the middle of one get; a 4 KiB put on another connection must
    be acknowledged long before the responder gives up on the stalled one (its send
    timeout is the idle timeout, LIM-10). Judged twice before a FAIL."""
    require(target, "put")
    file = _largest_file(target)
    count = -(-12 * 1024 * 1024 // file.size)
    if count > 64:
        pytest.skip(f"the largest known file ({file.size} bytes) is too small to stall on")
    if target.limits.max_file_size < _PUT_SIZE:
        pytest.skip(f"the maximum file size is below the {_PUT_SIZE} bytes this case puts")
    # Well below the send timeout that ends the stall, well above an honest small put.
    bound = min(5.0, max(0.6, target.limits.idle_timeout * 0.75))
    timings: list[str] = []
    for _attempt in range(2):
        other = app_channel()
        stalled = app_channel()
        try:
            for _ in range(count):
                stalled.send_frame("RQFL", {"name": file.name})
            if not _wait_until_stalled(stalled):
                pytest.skip("could not observe the responder's writes stalling")
            took = _put_time(other, bound)
        finally:
            stalled.close()
            other.close()
        if took is not None:
            return
        timings.append(f"no DONE within {bound:.2f} s")
    raise ConformanceFailure.evidence(
        f"LIM-5: {count} gets of {file.name!r} ({file.size} bytes) pipelined on one connection "
        "and not read (the responder's writes to it blocked); then a 4 KiB put (PUTF, DATA, "
        "DONE) on a second connection (twice)",
        f"the put acknowledged within {bound:.2f} s (the responder gives up on the stalled "
        f"connection only after its idle timeout, {target.limits.idle_timeout:g} s)",
        "; ".join(timings),
        "a store lock shared by the gets being sent and taken by a put's commit makes every "
        "put wait for the slowest reader",
    )


@pytest.mark.req("LIM-5")
def test_a_put_is_stored_while_another_connection_reads_slowly(
    target: Target, app_channel: AppChannel
) -> None:
    """One connection pipelines gets of the largest known file (12 MiB or more in all) and
    reads one frame at a time; a 4 KiB put on a second connection, sent once the first is
    being served, must be answered DONE before the slow series is over."""
    require(target, "put")
    file = _largest_file(target)
    count = -(-12 * 1024 * 1024 // file.size)
    if count > 64:
        pytest.skip(f"the largest known file ({file.size} bytes) is too small to stall on")
    if target.limits.max_file_size < _PUT_SIZE:
        pytest.skip(f"the maximum file size is below the {_PUT_SIZE} bytes this case puts")
    data = os.urandom(_PUT_SIZE)
    name = fresh_name()
    other = app_channel()
    slow = app_channel()
    for _ in range(count):
        slow.send_frame("RQFL", {"name": file.name})
    first = slow.recv_frame()
    if not (isinstance(first, ReceivedFrame) and first.type == b"RSFL"):
        pytest.skip(f"the slow connection's first get was not served: {first.describe()}")
    other.send_frame("PUTF", {"name": name, "size": len(data)})
    accepted = other.recv_frame()
    if not (isinstance(accepted, ReceivedFrame) and accepted.type == b"RSFL"):
        pytest.skip(f"PUTF {name!r} was not accepted: {accepted.describe()}")
    other.send_frame("DATA", data)
    other.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    answer: str | None = None
    slow_dones = 0
    hard = deadline_after(max(20.0, target.limits.idle_timeout * 4))
    for _ in range(_MAX_FRAMES):
        if time.monotonic() >= hard:
            break
        event = other.recv_frame(deadline_after(0.1))
        if isinstance(event, Closed):
            answer = event.describe()
            break
        if isinstance(event, ReceivedFrame):
            if event.type == b"DONE":
                return  # stored while the slow series was still running
            answer = event.describe()
            break
        # One frame of the slow series per round: it progresses, slowly.
        slow_event = slow.recv_frame(deadline_after(1.0))
        if isinstance(slow_event, ReceivedFrame) and slow_event.type == b"DONE":
            slow_dones += 1
        if slow_dones == count or isinstance(slow_event, Closed):
            break
    if answer is None:
        late = other.recv_frame(deadline_after(other.timeout))
        answer = f"nothing before the slow series ended; afterwards: {late.describe()}"
    raise ConformanceFailure.evidence(
        f"LIM-5: {count} gets of {file.name!r} ({file.size} bytes) pipelined on one connection "
        f"and read one frame per round; a put of {name!r} ({len(data)} bytes, PUTF, DATA, "
        "DONE) on a second connection once the first was being served",
        "DONE for the put while the slow series still runs",
        f"{answer} ({slow_dones} of {count} DONE of the slow series read)",
        "a store lock shared by the gets being sent and taken by a put's commit (or a "
        "commit batched behind the other transfers) makes every put wait for the slowest "
        "reader",
    )
