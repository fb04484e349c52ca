"""sft-eke/1: an `EROR` from the client that crosses a get ends the connection, sent as the
records an honest client writes — one frame per record (SPEC APP-3, ERR-3, EKE-REC-1).

APP-3: "An `EROR` received in any state, whatever its code (fatal or not, known or not),
ends the put in progress and the connection (the table's last row): a non-fatal code does
not cancel a transfer and return to IDLE, and the requests that follow it are not served."
Full duplex makes a get the tricky state: the client's `EROR` arrives while the server is
still writing `DATA`. A server that reads only between requests meets it in IDLE and
closes; one that reads between its `DATA` frames (to stop a get early) may instead cancel
the get and go back to IDLE (HTTP/2's RST_STREAM), or drop the `EROR` as a stale complaint
and serve on — and then the request behind the `EROR` is answered.

test_app_get_crossed_by_eror.py writes the `EROR` and the request behind it with one
`send_raw`, which over sft-eke/1 is ONE record holding two frames: the server rightly
answers it `bad_frame` (EKE-REC-1) before any of it is read as an `EROR`. Here every frame
is its own record (sealed in order, several records in one write), so the `EROR` and the
request are what the server reads.

Timings: `pipelined` — RQFL of a file of several DATA frames, the EROR and an RQFL of a
known file in one write; `after-rsfl` — the EROR and the RQFL once the first get's RSFL
has arrived; `mid-data` — once its first DATA frame has arrived. Codes: every non-fatal
code of ERR-2, a fatal one and an unknown one (ERR-4). What may follow: the first get's
RSFL, DATA and DONE, whole or cut short, at most one EROR of the server's, then the close.
An RSFL answering the second get, anything after the first get's DONE but one EROR, or no
close FAILs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pytest

from conformance._wire_fixtures import known_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.test_app_get_crossed_by_eror import _big_file, _judge_rest
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

ChannelFactory = Callable[..., EkeChannel]

_CODES: Final = {
    5: "forbidden",
    6: "not_found",
    7: "too_large",
    12: "exists",
    13: "unsupported",
    8: "integrity_failed",
    77: "not_found",  # unknown code (ERR-4) under a non-fatal name: act on the code only
}
_WHEN: Final = {
    "pipelined": "in the same write",
    "after-rsfl": "once RSFL arrived",
    "mid-data": "once the first DATA arrived",
}


def _first_answer(channel: EkeChannel, big: str, size: int, want: bytes) -> int:
    """Reads the first get up to its RSFL (`want` RSFL) or its first DATA frame; returns
    the DATA bytes read."""
    deadline = deadline_after(channel.timeout)
    event = channel.recv_frame(deadline)
    if not isinstance(event, ReceivedFrame) or event.type != b"RSFL":
        raise ConformanceFailure.evidence(
            f"APP-GET-2: RQFL {big!r} ({size} bytes, within the file-size limit)",
            "RSFL",
            event.describe(),
        )
    if want == b"RSFL":
        return 0
    event = channel.recv_frame(deadline_after(channel.timeout))
    if not isinstance(event, ReceivedFrame) or event.type != b"DATA":
        raise ConformanceFailure.evidence(
            f"APP-GET-2: the get of {big!r} after its RSFL", "DATA", event.describe()
        )
    return len(event.payload)


@pytest.mark.req("APP-3", "ERR-3")
@pytest.mark.parametrize("timing", ["pipelined", "after-rsfl", "mid-data"])
def test_eror_records_crossing_a_get_end_the_connection(
    eke_target: Target, eke_channel_factory: ChannelFactory, timing: str
) -> None:
    """For each code: RQFL of a multi-frame file; an EROR and an RQFL of a known file, each
    in its own record, in the same write as the first RQFL or once its RSFL or first DATA
    arrived. The second get is never answered; the connection ends."""
    require(eke_target, "get")
    small = known_file(eke_target)
    with _big_file(eke_target) as (big, size):
        for code, code_name in _CODES.items():
            channel = eke_channel_factory()
            try:
                first = channel.seal(frame_bytes("RQFL", control({"name": big})))
                eror = {"code": code, "name": code_name, "message": "suite: stop that"}
                behind = [
                    frame_bytes("EROR", control(eror)),
                    frame_bytes("RQFL", control({"name": small.name})),
                ]
                what = (
                    f"APP-3: RQFL {big!r} ({size} bytes), EROR {code_name} (code {code}) "
                    f"{_WHEN[timing]}, then RQFL {small.name!r}, each frame its own record"
                )
                if timing == "pipelined":
                    channel.raw.send_raw(first + b"".join(channel.seal(f) for f in behind))
                    _judge_rest(channel, big, size, what, rsfl_seen=False)
                    continue
                channel.raw.send_raw(first)
                want = b"RSFL" if timing == "after-rsfl" else b"DATA"
                received = _first_answer(channel, big, size, want)
                channel.raw.send_raw(b"".join(channel.seal(f) for f in behind))
                _judge_rest(channel, big, size, what, rsfl_seen=True, received=received)
            finally:
                channel.close()
