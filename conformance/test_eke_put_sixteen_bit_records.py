"""sft-eke/1: a put whose DATA runs past 65 536 records on one connection (SPEC §5.5
EKE-REC-2, §3.4 APP-PUT-5).

"The record nonce MUST be the direction's 12-byte IV XOR 0^4 ‖ u64be(seq)." A record
layer that keeps `seq` in 16 bits (a Java `char` or `short`, a `uint16_t`, two bytes of
the nonce XORed) works for every transfer of a few thousand records and then repeats
record 0's nonce: the client's record #65 536 no longer opens. test_eke_record_count.py
crosses 2^16 in both directions with 65 586 request/answer round trips, too slow for the
default run; here the client's direction crosses it in one stream, with no answer per
record: a put of 65 600 one-byte DATA records, whose DONE the server MUST confirm.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

ChannelFactory = Callable[..., EkeChannel]

_RECORDS = (1 << 16) + 64  # DATA records: PUTF is record 0, so #65 536 is well inside
_CHUNK = 2048  # records written per send


@pytest.mark.req("EKE-REC-2")
def test_put_of_65600_one_byte_records(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    require(eke_target, "put")
    if eke_target.limits.max_file_size and eke_target.limits.max_file_size < _RECORDS:
        pytest.skip("the target's max file size is below the put's size")
    channel = eke_channel_factory()
    content = bytes(i % 251 for i in range(_RECORDS))
    sha = hashlib.sha256(content).hexdigest()
    name = fresh_name()
    channel.send_frame("PUTF", {"name": name, "size": _RECORDS, "sha256": sha})
    answer = channel.recv_frame()
    if not (isinstance(answer, ReceivedFrame) and answer.type == b"RSFL"):
        pytest.skip(f"the put was not accepted: {answer.describe()}")
    sent = 0
    while sent < _RECORDS:
        count = min(_CHUNK, _RECORDS - sent)
        # The transcript keeps each sealed record; only the stream is joined here.
        records = [
            channel.sender.seal(struct.pack("!4sI", b"DATA", 1) + content[i : i + 1])
            for i in range(sent, sent + count)
        ]
        if not channel.raw.send_raw(b"".join(records)):
            break
        sent += count
    if sent == _RECORDS:
        channel.send_frame("DONE", {"size": _RECORDS, "sha256": sha})
    event = channel.recv_frame(deadline_after(max(channel.timeout, 30.0)))
    if not (isinstance(event, ReceivedFrame) and event.type == b"DONE"):
        raise ConformanceFailure(
            f"EKE-REC-2: a put of {_RECORDS} one-byte DATA records on one connection "
            f"({sent} records sent before the target stopped reading)\n"
            "Expected: DONE (every record opens under the next sequence number)\n"
            f"Actual:   {event.describe()}\n"
            "A sequence number narrower than 64 bits repeats record 0's nonce at record "
            "65 536 (u16): the client's honest record no longer opens.\n"
            f"Transcript (last entries):\n{channel.transcript.tail()}",
            violates=("EKE-REC-2",),
        )
