"""sft-eke/1: a put whose bytes all arrived but that ends without `DONE` is not stored
(docs/SPEC.md §3.2 APP-3, APP-PUT-5, FRM-6, FRM-7).

Only `DONE` ends a put well: APP-PUT-5 has the responder verify size and SHA-256 against
`DONE` (and `PUTF.sha256`) before storing; the §3.2 table says what every other frame does
in RECEIVING: `EROR` discards the partial file and closes (any code: "a responder closes
on every EROR it receives"), a request (`RQFL`, `PUTF`, `BYE_`) is `unexpected_frame`
(FRM-6), the end of the stream a failed connection (FRM-7). A server that looks at the
bytes instead of the frame ("every announced byte is here, and they match PUTF.sha256:
the initiator's error was its own, keep the file") stores a put its initiator abandoned.

Each case offers a fresh name with `PUTF.sha256` (so such a server could even verify),
sends every announced byte, then ends the put another way than `DONE`. The verdict is on
the wire only: no `DONE` may answer it, and on a new connection a `PUTF` of the same name
MUST NOT be answered `exists` (APP-PUT-1: the inbox does not hold it); that probe put is
then abandoned (the connection closed half way, which removes its temporary).
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    deadline_after,
)

_SIZE = 64 * 1024


def _shut_write(channel: EkeChannel, data: bytes) -> None:
    try:
        channel.raw.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    channel.transcript.add("event", note="the suite ended its side (FIN) instead of DONE")


_ENDINGS: dict[str, Callable[[EkeChannel, bytes], object]] = {
    "eror-internal": lambda ch, _d: ch.send_frame(
        "EROR", {"code": 11, "name": "internal", "message": "conformance: aborted"}
    ),
    "eror-integrity": lambda ch, _d: ch.send_frame(
        "EROR", {"code": 8, "name": "integrity_failed", "message": "conformance"}
    ),
    "eror-non-fatal-code": lambda ch, _d: ch.send_frame(
        "EROR", {"code": 5, "name": "forbidden", "message": "conformance: cancelled"}
    ),
    "eror-unknown-code": lambda ch, _d: ch.send_frame(
        "EROR", {"code": 99, "name": "cancelled", "message": "conformance"}
    ),
    "bye": lambda ch, _d: ch.send_frame("BYE_", {}),
    "rqfl": lambda ch, _d: ch.send_frame("RQFL", {"name": fresh_name()}),
    "putf": lambda ch, d: ch.send_frame(
        "PUTF", {"name": fresh_name(), "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
    ),
    "fin": _shut_write,
}


@pytest.mark.req("APP-3", "APP-PUT-5")
@pytest.mark.parametrize("ending", list(_ENDINGS))
def test_put_with_every_byte_but_no_done_is_not_stored(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], ending: str
) -> None:
    require(eke_target, "put")
    if eke_target.limits.max_file_size < _SIZE:
        pytest.skip(f"the maximum file size is below the {_SIZE} bytes this case puts")
    data = os.urandom(_SIZE)
    name = fresh_name()
    channel = eke_channel_factory()
    channel.send_frame(
        "PUTF", {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"PUTF {name!r} of {len(data)} bytes was not accepted: {answer.describe()}")
    channel.send_frame("DATA", data)
    _ENDINGS[ending](channel, data)
    # What follows: the close, a fatal EROR at most; never the put's receipt.
    deadline = deadline_after(channel.timeout)
    for _ in range(8):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            break
        if event.type == b"DONE":
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: a put of {name!r} ({_SIZE} bytes, PUTF.sha256 given) got every "
                f"byte, then ended without DONE ({ending})",
                "no DONE: only the initiator's DONE ends a put well",
                f"DONE: the server stored the put\nTranscript:\n{channel.transcript.tail()}",
            )
    channel.close()
    probe = eke_channel_factory()
    probe.send_frame("PUTF", {"name": name, "size": 1})
    outcome = probe.expect(
        [ExpectFrame("RSFL", {"accept": True}), ExpectError(), ExpectClose()]
    )
    probe.close()
    frame = outcome.frame
    if frame is not None and frame.type == b"EROR" and frame.error_name == "exists":
        raise ConformanceFailure.evidence(
            f"APP-3: a put of {name!r} ({_SIZE} bytes, PUTF.sha256 given) got every byte, "
            f"then ended without DONE ({ending})",
            "the partial file discarded: a new PUTF of the name accepted (APP-PUT-1)",
            f"`exists`: the abandoned put was stored under its final name\n"
            f"Transcript:\n{probe.transcript.tail()}",
        )
