"""sft-eke/1: requests that arrive with the initiator's FIN are still answered (SPEC APP-2).

Over sft-eke/1 "requests received in full before the initiator ends its side of the TCP
stream (a half-close: FIN) MUST still be answered, in order, before the responder
closes". The FIN here comes right behind the requests, in the same burst: a responder
that looks for the peer's end before it answers ("nobody is listening: do not read the
file"), or that ends the connection as soon as it reads the end of the stream (an event
loop's `eof_received` closing the transport), drops requests the client is waiting for.
test_framing.py sends its FIN only once the answer has begun; here it is already there
when the server reads the request.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, known_file
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectFrame,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

ChannelFactory = Callable[..., EkeChannel]

_VARIANTS = ["get", "two-gets", "get-then-bye", "put-done"]


def _read_get(channel: EkeChannel, name: str, size: int, sha: str, what: str) -> None:
    """RSFL, exactly `size` bytes of DATA, DONE with `sha`; FAIL with evidence otherwise."""
    first = channel.expect([ExpectFrame("RSFL")]).check(f"APP-2: {what}: the answer to {name!r}")
    assert first.frame is not None
    received = bytearray()
    deadline = deadline_after(channel.timeout + size / (5 * 1024 * 1024))
    while True:
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure.evidence(
                f"APP-2: {what}: the get of {name!r} after RSFL and {len(received)} bytes",
                f"{size} bytes of DATA, then DONE (the request came before the FIN)",
                event.describe(),
            )
        if event.type == b"DATA":
            received += event.payload
            if len(received) > size:
                raise ConformanceFailure(f"APP-GET-4: more than the {size} bytes announced")
            continue
        done = event.json() or {}
        if event.type != b"DONE" or len(received) != size or done.get("sha256") != sha:
            raise ConformanceFailure(
                f"APP-2: {what}: expected DONE sha256={sha} after {size} bytes, got "
                f"{event.describe()} after {len(received)} bytes"
            )
        return


@pytest.mark.req("APP-2")
@pytest.mark.parametrize("variant", _VARIANTS)
def test_requests_that_arrive_with_the_fin_are_answered(
    eke_target: Target, eke_channel_factory: ChannelFactory, variant: str
) -> None:
    """After the handshake the client writes its request(s) and, in the same burst, ends
    its side of the stream (shutdown(SHUT_WR)): `get` one RQFL; `two-gets` two RQFLs;
    `get-then-bye` RQFL and BYE_; `put-done` a put's DATA and DONE (its PUTF accepted
    first). Each request MUST be answered in full, in order; then the server closes (a
    BYE_ echo first is allowed)."""
    file = known_file(eke_target)
    channel = eke_channel_factory()
    raw = channel.raw
    what = f"{variant}, then the client's FIN at once"
    rqfl = frame_bytes("RQFL", control({"name": file.name}))
    if variant == "put-done":
        data = b"sent just before the half-close\n"
        name = fresh_name("sft-half-close")
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            f"APP-2: the put of {name!r} to be finished with the FIN"
        )
        done = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        frames = [frame_bytes("DATA", data), frame_bytes("DONE", control(done))]
    else:
        frames = {
            "get": [rqfl],
            "two-gets": [rqfl, rqfl],
            "get-then-bye": [rqfl, frame_bytes("BYE_", control({}))],
        }[variant]
    burst = b"".join(channel.seal(frame) for frame in frames)
    raw.send_raw(burst)
    raw.sock.shutdown(socket.SHUT_WR)
    raw.transcript.add("event", note="the client ended its side of the stream (SHUT_WR)")
    if variant == "put-done":
        channel.expect([ExpectFrame("DONE")]).check(f"APP-2: {what}: the put's DONE answered")
    else:
        for _ in range(2 if variant == "two-gets" else 1):
            _read_get(channel, file.name, file.size, file.sha256, what)
    ending = [ExpectClose(), ExpectFrame("BYE_")] if variant == "get-then-bye" else [ExpectClose()]
    channel.expect(ending).check(f"APP-2: {what}: then the server closes")
