"""One slow connection beside others (docs/SPEC.md LIM-5); both profiles.

LIM-5's family: a responder that serves connections one after another (one thread, a
server-wide lock around the share or a log, a blocking write on a shared loop) serves the
others only once the slow one is done, or once it gives up on it. Two oracles: an ORDER
(while one initiator reads a long pipelined series of gets slowly, a get on another
connection is answered before that series ends) and, with the slow initiator not reading
at all so that the responder's writes block, an answer well before the responder's send
timeout (LIM-10) could have freed it.
"""

from __future__ import annotations

import array
import fcntl
import termios
import time
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, known_file
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    deadline_after,
)

_MAX_FRAMES: Final = 4096  # bounds every read loop


def _small_file_name(target: Target) -> str:
    small = [f for f in target.files if 0 < f.size <= 64 * 1024]
    return small[0].name if small else known_file(target).name


@pytest.mark.req("LIM-5")
def test_a_slow_reader_does_not_hold_up_other_connections(
    target: Target, app_channel: AppChannel
) -> None:
    """One initiator pipelines gets of the largest known file (12 MiB or more in all) and
    reads them slowly; a get on a second connection, sent once the first is being served,
    must be answered before the first one's gets are all done."""
    file = max(
        (f for f in target.files if 0 < f.size <= target.limits.max_file_size),
        key=lambda f: f.size,
        default=None,
    )
    if file is None:
        known_file(target)  # skips: the target lists no known file
        raise AssertionError("unreachable")
    count = -(-12 * 1024 * 1024 // file.size)
    if count > 64:
        pytest.skip(f"the largest known file ({file.size} bytes) is too small to stall on")
    name = _small_file_name(target)
    other = app_channel()
    slow = app_channel()
    for _ in range(count):
        slow.send_frame("RQFL", {"name": file.name})
    first = slow.recv_frame()
    if not (isinstance(first, ReceivedFrame) and first.type == b"RSFL"):
        pytest.skip(f"the slow connection's first get was not served: {first.describe()}")
    other.send_frame("RQFL", {"name": name})
    other_frames: list[str] = []
    slow_dones = 0
    hard = deadline_after(max(20.0, target.limits.idle_timeout * 4))
    for _ in range(_MAX_FRAMES):
        if time.monotonic() >= hard:
            break
        event = other.recv_frame(deadline_after(0.1))
        if isinstance(event, Closed):
            raise ConformanceFailure(f"LIM-5: the second connection closed: {event.describe()}")
        if isinstance(event, ReceivedFrame):
            other_frames.append(event.type_text)
            if event.type in (b"DONE", b"EROR"):
                return  # answered while the slow series was still running
        # One frame of the slow series per round: it progresses, slowly.
        slow_event = slow.recv_frame(deadline_after(1.0))
        if isinstance(slow_event, ReceivedFrame) and slow_event.type == b"DONE":
            slow_dones += 1
        if slow_dones == count or isinstance(slow_event, Closed):
            break
    answered = other.expect([ExpectFrame("RSFL"), ExpectFrame("DONE"), ExpectFrame("DATA")])
    raise ConformanceFailure.evidence(
        f"LIM-5: {count} gets of {file.name!r} ({file.size} bytes) pipelined on one connection "
        f"and read one frame per round; a get of {name!r} on a second connection sent once "
        "the first was being served",
        "the second get answered while the slow series still runs",
        f"the second connection got {other_frames or 'nothing'} before the slow series ended "
        f"({slow_dones} of {count} DONE read); afterwards: {answered.describe()}",
        "a responder that serves one connection at a time (one thread, a server-wide lock) "
        "makes everyone wait for the slowest initiator",
    )


def _queued_bytes(channel: Channel) -> int:
    """Bytes the kernel holds unread for `channel` (its TCP receive queue)."""
    conn = getattr(channel, "raw", channel)
    sock = getattr(conn, "sock", None)
    if sock is None:
        return -1
    count = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, count)
    except OSError:
        return -1
    return int(count[0])


def _wait_until_stalled(channel: Channel) -> bool:
    """True once the receive queue of `channel` stopped growing (the sender is blocked)."""
    last, steady = -1, 0
    for _ in range(60):  # at most 3 s
        queued = _queued_bytes(channel)
        if queued < 0:
            return False
        steady = steady + 1 if queued == last and queued > 0 else 0
        if steady >= 3:
            return True
        last = queued
        time.sleep(0.05)  # the pace of a bounded poll of the queue, not a synchronisation
    return False


def _answer_time(channel: Channel, name: str, bound: float) -> float | None:
    """Seconds until a get of `name` is answered (DONE); None if not within `bound`."""
    started = time.monotonic()
    channel.send_frame("RQFL", {"name": name})
    deadline = started + bound
    for _ in range(_MAX_FRAMES):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            return None
        if event.type in (b"DONE", b"EROR"):
            return time.monotonic() - started
    return None


@pytest.mark.req("LIM-5")
def test_a_stalled_reader_does_not_hold_up_other_connections(
    target: Target, app_channel: AppChannel
) -> None:
    """One initiator pipelines 12 MiB of gets and stops reading, so that the responder's
    writes to it block; a small get on another connection must then be answered long
    before the responder gives up on the stalled one (its send timeout is the idle
    timeout, LIM-10). A responder holding a server-wide lock (around the share, the
    connection table, a log) across a blocking write answers only after that timeout.
    Judged twice before a FAIL: one slow answer on a loaded machine is not a verdict."""
    file = max(
        (f for f in target.files if 0 < f.size <= target.limits.max_file_size),
        key=lambda f: f.size,
        default=None,
    )
    if file is None:
        known_file(target)  # skips: the target lists no known file
        raise AssertionError("unreachable")
    count = -(-12 * 1024 * 1024 // file.size)
    if count > 64:
        pytest.skip(f"the largest known file ({file.size} bytes) is too small to stall on")
    name = _small_file_name(target)
    # Well below the send timeout that ends the stall, well above an honest small get.
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
            took = _answer_time(other, name, bound)
        finally:
            stalled.close()
            other.close()
        if took is not None:
            return
        timings.append(f"no answer within {bound:.2f} s")
    raise ConformanceFailure.evidence(
        f"LIM-5: {count} gets of {file.name!r} ({file.size} bytes) pipelined on one connection "
        f"and not read (the responder's writes to it blocked); then a get of {name!r} on a "
        "second connection (twice)",
        f"the second get answered within {bound:.2f} s (the responder gives up on the stalled "
        f"connection only after its idle timeout, {target.limits.idle_timeout:g} s)",
        "; ".join(timings),
        "a server-wide lock held across a blocking write makes every connection wait for "
        "the slowest initiator",
    )


# The first bytes of a TLS ClientHello record header (handshake, TLS 1.0 record version,
# a length it never completes): a handshake that started and stalls.
_STALLED_HELLO: Final = b"\x16\x03\x01\x02\x00\x01"


@pytest.mark.req("LIM-5")
def test_a_stalled_handshake_does_not_hold_up_other_connections(
    target: Target, app_channel: AppChannel
) -> None:
    """Two connections stall in their handshake (one silent, one after the first bytes
    of a ClientHello) and stay open; an honest connection made meanwhile must complete
    its handshake and a get well before the stalled ones' handshake timeout (LIM-1) ends
    them. A responder that runs handshakes on its accept loop, or under a server-wide
    lock (the connection table, a context cache), admits nobody until then. Judged twice
    before a FAIL: one slow answer on a loaded machine is not a verdict."""
    name = _small_file_name(target)
    timeout = target.limits.handshake_timeout
    bound = min(5.0, max(0.8, timeout * 0.6))
    timings: list[str] = []
    for _attempt in range(2):
        with (
            RawConnection.connect(target.host, target.port, name="silent"),
            RawConnection.connect(target.host, target.port, name="stalled") as stalled,
        ):
            stalled.send_raw(_STALLED_HELLO)
            started = time.monotonic()
            channel = app_channel()
            # Judged from the connect: a handshake held up by the stalled ones counts.
            handshake = time.monotonic() - started
            left = bound - handshake
            took = _answer_time(channel, name, left) if left > 0 else None
            channel.close()
        if took is not None:
            return
        timings.append(
            f"handshake done {handshake:.2f} s after the connect, the get "
            + ("not answered in the time left" if left > 0 else "not even sent")
        )
    raise ConformanceFailure.evidence(
        "LIM-5: two connections stalled in their TLS/EKE handshake (one silent, one after "
        f"{len(_STALLED_HELLO)} bytes of a ClientHello), then an honest connection and a get "
        f"of {name!r} (twice)",
        f"the honest connection served within {bound:.2f} s (the stalled ones end only at "
        f"the handshake timeout, {timeout:g} s)",
        "; ".join(timings),
        "a handshake run on the accept loop or under a server-wide lock makes every new "
        "connection wait for the slowest handshake",
    )
