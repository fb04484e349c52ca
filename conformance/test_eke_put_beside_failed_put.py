"""sft-eke/1: a put that ends on another connection — failed or stored — leaves a put in
progress alone (SPEC APP-STORE-3, APP-PUT-5).

APP-STORE-3: "Outside its start, a responder MUST NOT remove a `.sft-partial-*` file one of
its own connections is still writing (a put that ends, well or not, removes its own
temporary, never another's)." The bug this takes: a cleanup that works on the inbox, not
on the put — a failed put that removes every `.sft-partial-*` ("a failure's leftovers"),
or a stored one that tidies the inbox of them. A put in progress on another connection
then loses its temporary and fails at its commit (or stores nothing) although every byte
of it was right: whatever the server answers its `DONE` with other than `DONE`, or a file
other than its bytes under its name, FAILs.

Put A is accepted and gets half of its bytes; on a second connection put B ends one way —
`truncated` (half its bytes, then the client's FIN), `excess` (DATA beyond its size:
integrity_failed), `bad-digest` (a DONE whose sha256 is not its bytes': integrity_failed),
`eror` (the client's EROR in the middle) or `stored` (a put that succeeds) —, and the case
waits for the server to end it (its close, or its DONE), which a server does after its own
cleanup; then A sends the rest and its DONE, and MUST get `DONE` with its size and digest.
With a declared inbox the stored file's bytes are compared too.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable
from typing import Final

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectFrame,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

ChannelFactory = Callable[..., EkeChannel]

_ENDINGS: Final = ("truncated", "excess", "bad-digest", "eror", "stored")
_SIZE: Final = 64 * 1024  # two DATA frames of 32 KiB each


def _offer(channel: EkeChannel, name: str, size: int, what: str) -> None:
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"APP-PUT-1: {what}: PUTF {name!r} of {size} bytes (a fresh name, within the limit)"
    )


def _until_ended(channel: EkeChannel, what: str, *, want_done: bool) -> str:
    """Reads put B's end: its DONE (`want_done`) or the server's close (an EROR before it
    allowed); returns what was seen. Bounded by the channel's timeout."""
    deadline = deadline_after(channel.timeout + 1.0)
    seen: list[str] = []
    for _ in range(4):
        event = channel.recv_frame(deadline)
        if isinstance(event, Closed):
            return ", ".join([*seen, "close"])
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure(
                f"{what}: the server did not end put B ({', '.join(seen) or 'nothing'}, then "
                f"{event.describe()})"
            )
        seen.append(event.describe(60))
        if want_done and event.type == b"DONE":
            return ", ".join(seen)
    raise ConformanceFailure(f"{what}: put B never ended ({', '.join(seen)})")


@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
@pytest.mark.parametrize("ending", _ENDINGS)
def test_put_in_progress_survives_another_put_ending(
    eke_target: Target, eke_channel_factory: ChannelFactory, ending: str
) -> None:
    require(eke_target, "put")
    if eke_target.limits.max_file_size < _SIZE:
        pytest.skip(f"the declared max file size is below {_SIZE} bytes")
    data_a = os.urandom(_SIZE)
    data_b = os.urandom(_SIZE)
    half = _SIZE // 2
    name_a = fresh_name("sft-beside-live")
    name_b = fresh_name("sft-beside-other")
    what = f"APP-STORE-3: put A of {name_a!r} in progress while put B ends ({ending})"
    a = eke_channel_factory()
    b = eke_channel_factory()
    try:
        _offer(a, name_a, _SIZE, what)
        a.send_frame("DATA", data_a[:half])
        _offer(b, name_b, _SIZE, what)
        b.send_frame("DATA", data_b[:half])
        digest_b = hashlib.sha256(data_b).hexdigest()
        if ending == "truncated":
            b.raw.sock.shutdown(socket.SHUT_WR)
            b.raw.transcript.add("event", note="put B: the client's FIN in the middle")
        elif ending == "excess":
            b.send_frame("DATA", data_b[half:] + b"beyond the announced size")
        elif ending == "bad-digest":
            b.send_frame("DATA", data_b[half:])
            b.send_frame("DONE", {"size": _SIZE, "sha256": hashlib.sha256(b"x").hexdigest()})
        elif ending == "eror":
            b.send_frame("EROR", {"code": 11, "name": "internal", "message": "suite: gave up"})
        else:
            b.send_frame("DATA", data_b[half:])
            b.send_frame("DONE", {"size": _SIZE, "sha256": digest_b})
        ended = _until_ended(b, what, want_done=ending == "stored")
        a.send_frame("DATA", data_a[half:])
        sha_a = hashlib.sha256(data_a).hexdigest()
        a.send_raw(frame_bytes("DONE", control({"size": _SIZE, "sha256": sha_a})))
        event = a.recv_frame(deadline_after(a.timeout + 1.0))
        answer = event.json() if isinstance(event, ReceivedFrame) else None
        if not (
            isinstance(event, ReceivedFrame)
            and event.type == b"DONE"
            and answer == {"size": _SIZE, "sha256": sha_a}
        ):
            failure = ConformanceFailure.evidence(
                what,
                f"DONE {{size: {_SIZE}, sha256: {sha_a[:16]}...}}: put A's bytes were all "
                "right, and another put's end takes nothing of it",
                f"put B ended ({ended}); then put A's DONE answered {event.describe()}",
                "a put that ends removes its own temporary, never another's (APP-STORE-3)",
            )
            failure.violates = ("APP-STORE-3",)
            raise failure
        inbox = eke_target.inbox
        if inbox is not None and (inbox / name_a).read_bytes() != data_a:
            raise ConformanceFailure(
                f"APP-PUT-5: {what}: the file stored under {name_a!r} is not put A's bytes"
            )
    finally:
        a.close()
        b.close()
