"""Requests that arrive while the responder is still answering (docs/SPEC.md §3.2 APP-2,
§1 FRM-4); both profiles.

APP-2: "The initiator MAY pipeline requests; the responder MUST process them in order."
test_framing.py pipelines requests in ONE write, which a responder reads in one go before
it answers anything. The network owes nothing about when the bytes of a pipelined
request arrive: each request may come in a write of its own (over sft-pki/1 its own TLS
record, over sft-eke/1 its own record), so that it is still unread in the socket while the
responder sends the answer before it; or it may be sent while that answer is on its way.
The wrong implementations this catches look at the stream in the middle of an answer: a
responder that, while it sends a long get, peeks at the connection for the initiator's
`EROR` (to abort early) and drops what it read when it is not one; one that drains or
discards "stray" input after each answer; one that reads the next request during a get
and judges it against the state of the get (`unexpected_frame`).

Each case: a get of the largest known file (several DATA frames when the share holds one
above 1 MiB), then a get of a missing name, a get of a small known file and `BYE_`, each
frame in its own write — sent before any answer is read, or once the first answer's
`RSFL` and first `DATA` have arrived (the rest of the get still to come); and the same
requests, each in its own write, behind a put's `DONE` before its acknowledgement is read.
Every request is answered, in order: the get whole (its size, its digest), `not_found`,
the small get whole, then `BYE_` or the close.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.channel import Channel
from conformance.target import KnownFile, Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    deadline_after,
)

_MISSING = "sft-conformance-no-such-file-during-answers.txt"
_LARGEST = 4 * 1024 * 1024  # the largest get these cases make


def _files(target: Target) -> tuple[KnownFile, KnownFile]:
    """The largest known file up to 4 MiB and the max file size (the long answer), and
    the smallest non-empty one (the short answer behind it)."""
    known_file(target)  # skips when the target lists none
    limit = min(_LARGEST, target.limits.max_file_size)
    sized = [f for f in target.files if 0 < f.size <= limit]
    if not sized:
        pytest.skip("the target lists no non-empty known file within its max file size")
    return max(sized, key=lambda f: f.size), min(sized, key=lambda f: f.size)


def _finish_get(
    channel: Channel, file: KnownFile, where: str, frames: list[ReceivedFrame] | None = None
) -> None:
    """Reads a get's RSFL (unless in `frames`), DATA* and DONE; checks size and digest."""
    seen = list(frames or [])
    deadline = deadline_after(channel.timeout + file.size / (5 * 1024 * 1024))
    # Bounded: by the deadline, and the loop ends once more than announced arrived.
    while not seen or seen[-1].type != b"DONE":
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure.evidence(
                f"APP-2: {where}",
                f"RSFL, {file.size} bytes of DATA, DONE for {file.name!r}",
                f"after {_describe(seen)}: {event.describe()}",
            )
        seen.append(event)
        if seen[0].type != b"RSFL":
            raise ConformanceFailure.evidence(
                f"APP-2: {where}",
                f"RSFL for {file.name!r}",
                event.describe(),
            )
        if sum(len(f.payload) for f in seen if f.type == b"DATA") > file.size:
            raise ConformanceFailure(f"APP-GET-4: more than {file.size} bytes for {file.name!r}")
        if event.type not in (b"RSFL", b"DATA", b"DONE") or (
            event.type == b"RSFL" and len(seen) > 1
        ):
            raise ConformanceFailure.evidence(
                f"APP-2: {where}",
                f"DATA or DONE of the get of {file.name!r}",
                f"after {_describe(seen[:-1])}: {event.describe()}",
            )
    data = b"".join(f.payload for f in seen if f.type == b"DATA")
    done = seen[-1].json() or {}
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != file.size or digest != file.sha256 or done.get("sha256") != digest:
        raise ConformanceFailure.evidence(
            f"APP-2: {where}",
            f"{file.size} bytes of {file.name!r} (sha256 {file.sha256[:16]}…), DONE with "
            "their digest",
            f"{len(data)} bytes (sha256 {digest[:16]}…), {seen[-1].describe()}",
        )


def _describe(frames: list[ReceivedFrame]) -> str:
    if not frames:
        return "nothing"
    data = sum(len(f.payload) for f in frames if f.type == b"DATA")
    kinds = [f.type.decode("ascii", "replace") for f in frames if f.type != b"DATA"]
    return f"{', '.join(kinds) or 'no control frame'} and {data} bytes of DATA"


def _later_requests(channel: Channel, small: KnownFile) -> None:
    """A get of a missing name, a get of `small` and BYE_, each in a write of its own."""
    channel.send_frame("RQFL", {"name": _MISSING})
    channel.send_frame("RQFL", {"name": small.name})
    channel.send_frame("BYE_", {})


def _later_answers(channel: Channel, small: KnownFile, where: str) -> None:
    channel.expect([ExpectError("not_found")]).check(
        f"APP-2: RQFL {_MISSING!r}, {where}: answered not_found after the answer before it"
    )
    _finish_get(channel, small, f"RQFL {small.name!r}, {where}")
    channel.expect([ExpectFrame("BYE_"), ExpectClose()]).check(f"APP-2: BYE_, {where}")


@pytest.mark.req("APP-2", "FRM-4")
@pytest.mark.parametrize("when", ["before-any-answer", "during-the-get"])
def test_requests_in_writes_of_their_own_are_answered_after_a_long_get(
    target: Target, app_channel: AppChannel, when: str
) -> None:
    """A get of the largest known file, then RQFL (missing), RQFL (small) and BYE_, each
    in its own write: sent right behind the first RQFL (`before-any-answer`), or once the
    get's RSFL and first DATA frame have arrived (`during-the-get`). Each is answered in
    order, after the whole get."""
    large, small = _files(target)
    channel = app_channel()
    where = (
        f"each in its own write right behind a get of {large.name!r} ({large.size} bytes)"
        if when == "before-any-answer"
        else f"each in its own write while the get of {large.name!r} ({large.size} bytes) "
        "was being answered"
    )
    channel.send_frame("RQFL", {"name": large.name})
    frames: list[ReceivedFrame] = []
    if when == "before-any-answer":
        _later_requests(channel, small)
    else:
        deadline = deadline_after(channel.timeout)
        while len(frames) < 2:  # RSFL and the first DATA frame (or what came instead)
            event = channel.recv_frame(deadline)
            if not isinstance(event, ReceivedFrame):
                raise ConformanceFailure(
                    f"APP-GET-2: the get of {large.name!r}: {event.describe()}"
                )
            frames.append(event)
            if event.type not in (b"RSFL", b"DATA"):
                break
        _later_requests(channel, small)
    _finish_get(channel, large, f"RQFL {large.name!r}, then 3 requests {where}", frames)
    _later_answers(channel, small, where)


@pytest.mark.req("APP-2", "FRM-4")
def test_requests_in_writes_of_their_own_behind_a_put_are_answered(
    target: Target, app_channel: AppChannel
) -> None:
    """A put's DATA and DONE, then RQFL (missing), RQFL (small) and BYE_, each in its own
    write, before the put's acknowledgement is read: the put's DONE, then each request
    answered in order."""
    require(target, "put")
    _large, small = _files(target)
    channel = app_channel()
    data = bytes((i * 37 + 11) % 251 for i in range(40_000))
    name = fresh_name("sft-requests-behind-put")
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"APP-PUT-1: PUTF {name!r}")
    done = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", done)
    _later_requests(channel, small)
    where = "each in its own write behind a put's DONE, before its acknowledgement was read"
    channel.expect([ExpectFrame("DONE", done)]).check(f"APP-PUT-5: the put's DONE, {where}")
    _later_answers(channel, small, where)
