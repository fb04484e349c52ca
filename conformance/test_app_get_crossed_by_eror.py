"""An `EROR` from the initiator that crosses a get's `DATA` ends the connection: the get may
be finished or cut, but the request behind the `EROR` is never served (docs/SPEC.md §3.2
APP-3, ERR-3); both profiles.

The §3.2 table's last row: "any | `EROR` | discard any partial file, close | CLOSED", and
APP-3: "An `EROR` received in any state, whatever its code (fatal or not, known or not),
ends the put in progress and the connection ... the requests that follow it are not
served". Full duplex makes the get the tricky state: the initiator's `EROR` arrives while
the responder is still WRITING the get's `DATA`. A responder that reads only between
requests meets it once the get is done, in IDLE, and closes. One that looks for the
initiator's frames between its `DATA` frames (to stop a get early: a good idea) can get the
rest wrong in two ways that no case with a one-frame file or an `EROR` sent after the
`DONE` sees:

- a cancel (HTTP/2's RST_STREAM): a non-fatal code stops the get and the connection goes
  back to IDLE, where the next request is served;
- a stale complaint: the `EROR` is read and dropped ("about a transfer we are finishing"),
  the get completes and the connection serves on.

So each case sends a get of a file of several `DATA` frames' worth (made in the declared
`share`, up to the configured maximum file size, or the largest known file), an `EROR`,
and a get of a known file behind it — the three in one write (the `EROR` pipelined), or the
`EROR` and the second get once the first get's `RSFL` has arrived (the `EROR` crossing the
`DATA`). What may follow: the first get's `RSFL`, `DATA` and `DONE`, whole or cut short,
then the close, an `EROR` of the responder's before it tolerated. An `RSFL` answering the
second get, or any frame after the first get's `DONE` other than one `EROR`, FAILs.
Codes: every non-fatal code of ERR-2, a fatal one and an unknown one (ERR-4).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Needs the `get` feature.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

_CODES: Final = {
    6: "not_found",
    5: "forbidden",
    7: "too_large",
    12: "exists",
    13: "unsupported",
    8: "integrity_failed",
    99: "unknown",
}
_BIG: Final = 3 * 1024 * 1024  # at most; several DATA frames of any size the SPEC allows
_MIN_BIG: Final = 256 * 1024  # a known file smaller than this is no multi-frame get


@contextmanager
def _big_file(target: Target) -> Iterator[tuple[str, int]]:
    """A file of the share spanning several DATA frames: made in the declared `share`
    (removed afterwards), else the largest known file."""
    limit = target.limits.max_file_size
    share = target.share
    if share is not None and limit >= _MIN_BIG:
        size = min(_BIG, limit)
        name = f"sft-crossed-{uuid.uuid4().hex[:12]}.bin"
        (share / name).write_bytes(os.urandom(size))
        try:
            yield name, size
        finally:
            (share / name).unlink(missing_ok=True)
        return
    known = [f for f in target.files if _MIN_BIG <= f.size <= limit]
    if not known:
        pytest.skip("no writable `share` declared and no known file of 256 KiB or more")
    best = max(known, key=lambda f: f.size)
    yield best.name, best.size


def _eror(code: int, code_name: str) -> bytes:
    return frame_bytes(
        "EROR", control({"code": code, "name": code_name, "message": "suite: stop that"})
    )


def _send(channel: Channel, profile: str, *frames: bytes) -> None:
    """`frames` in one write over sft-pki/1; over sft-eke/1 one record each, back to back
    (a record holds exactly one frame, EKE-REC-1: several in one would be refused
    `bad_frame` before the EROR is even read, and the case could not fail)."""
    if profile == "eke":
        for frame in frames:
            channel.send_raw(frame)
    else:
        channel.send_raw(b"".join(frames))


def _judge_rest(
    channel: Channel, big: str, size: int, what: str, *, rsfl_seen: bool, received: int = 0
) -> None:
    """Reads until the close: the first get's frames (whole or cut; `received` DATA bytes
    already read), at most one EROR of the responder's, never an answer to the second get.
    Bounded by bytes and time. (Also test_eke_get_crossed_by_eror_records.py's judge.)"""
    deadline = deadline_after(channel.timeout + size / (2 * 1024 * 1024))
    done = False
    own_eror: ReceivedFrame | None = None
    for _ in range(size + 16):  # DATA frames of at least one byte, plus a few more
        event = channel.recv_frame(deadline)
        if isinstance(event, Closed):
            violations = getattr(channel, "violations", None)
            if violations:  # an eke channel's record that did not open, before the close
                raise ConformanceFailure(f"{what}: {'; '.join(violations)}")
            return
        wrong: str | None = None
        if not isinstance(event, ReceivedFrame):
            wrong = event.describe()  # the connection kept open: no close at once
        elif own_eror is not None:
            wrong = f"{event.describe()} after the responder's own {own_eror.describe()}"
        elif event.type == b"EROR":
            own_eror = event
            continue
        elif event.type == b"RSFL" and not rsfl_seen and not done:
            if (event.json() or {}).get("name") == big:
                rsfl_seen = True
                continue
            wrong = f"{event.describe()}: the first get skipped, the second answered"
        elif event.type == b"DATA" and rsfl_seen and not done:
            received += len(event.payload)
            if received <= size:
                continue
            wrong = f"more DATA than the {size} bytes announced"
        elif event.type == b"DONE" and rsfl_seen and not done:
            done = True
            continue
        else:
            wrong = event.describe()
        failure = ConformanceFailure.evidence(
            what,
            "the first get's RSFL, DATA and DONE (whole or cut short), then the close (one "
            "EROR of the responder's before it tolerated): the request behind the EROR is "
            "never served",
            f"after {received} of {size} bytes{' and DONE' if done else ''}: {wrong}",
            "an EROR received in any state ends the connection (§3.2's last row)",
        )
        failure.violates = ("APP-3", "ERR-3")
        raise failure
    raise ConformanceFailure(f"{what}: more frames than {size} bytes can hold, and no close")


@pytest.mark.req("APP-3", "ERR-3")
@pytest.mark.parametrize("timing", ["pipelined", "crossing"])
def test_eror_during_a_get_ends_the_connection(
    target: Target, app_channel: AppChannel, timing: str
) -> None:
    """For each code: RQFL of a multi-frame file, EROR, RQFL of a known file — the EROR in
    the same write as the first RQFL, or once the first RSFL has arrived. The second get is
    never answered; the connection ends."""
    require(target, "get")
    small = known_file(target)
    with _big_file(target) as (big, size):
        for code, code_name in _CODES.items():
            channel = app_channel()
            try:
                first = frame_bytes("RQFL", control({"name": big}))
                behind = (
                    _eror(code, code_name),
                    frame_bytes("RQFL", control({"name": small.name})),
                )
                what = (
                    f"APP-3: RQFL {big!r} ({size} bytes), EROR {code_name} (code {code}) "
                    f"{'in the same write' if timing == 'pipelined' else 'once RSFL arrived'}, "
                    f"then RQFL {small.name!r}"
                )
                if timing == "pipelined":
                    _send(channel, target.profile, first, *behind)
                    _judge_rest(channel, big, size, what, rsfl_seen=False)
                    continue
                _send(channel, target.profile, first)
                answer = channel.recv_frame(deadline_after(channel.timeout))
                if not isinstance(answer, ReceivedFrame) or answer.type != b"RSFL":
                    raise ConformanceFailure.evidence(
                        f"APP-GET-2: RQFL {big!r} ({size} bytes, within the file-size limit)",
                        "RSFL",
                        answer.describe(),
                    )
                _send(channel, target.profile, *behind)
                _judge_rest(channel, big, size, what, rsfl_seen=True)
            finally:
                channel.close()

