"""sft-eke/1: a connection's records run past every small counter (SPEC §5.5 EKE-REC-2,
§3.2 APP-2).

"The record nonce MUST be the direction's 12-byte IV XOR 0^4 ‖ u64be(seq)", `seq` counting
every record of the direction. A record layer whose counter is narrower than 64 bits —
the low byte of `seq` XORed into the IV, a `uint8_t`/`uint16_t` counter, a counter kept
in one byte of the nonce — passes every example and every transfer of a few MiB, then
reuses record 0's nonce at record 256 (or 65 536): the peer's honest record no longer
opens, and a GCM nonce is used twice under one key. Here one connection carries 300
requests for a name the share does not hold, pipelined in batches, each of which MUST be
answered `not_found` (non-fatal) in order in a record that opens under the next sequence
number, and then a get of a known file: over 256 records in each direction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import known_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

ChannelFactory = Callable[..., EkeChannel]

_REQUESTS = 300  # past 2^8 records each way (the u16 bound is the slow variant's)
_BATCH = 50


def _ask(channel: EkeChannel, count: int, timeout: float) -> None:
    absent = f"b24-absent-{secrets.token_hex(6)}.txt"
    done = 0
    while done < count:
        batch = min(_BATCH, count - done)
        for _ in range(batch):
            channel.send_frame(b"RQFL", {"name": absent})
        for _ in range(batch):
            client_seq, server_seq = channel.sender.seq, channel.receiver.seq
            event = channel.recv_frame(deadline_after(timeout))
            if not (
                isinstance(event, ReceivedFrame)
                and event.type == b"EROR"
                and event.error_code == 6
            ):
                raise ConformanceFailure(
                    f"EKE-REC-2: request {done + 1} of {count} on one connection (an RQFL "
                    f"for {absent!r}, the client's records so far: {client_seq}; the "
                    f"server's record expected next: #{server_seq})\n"
                    "Expected: EROR not_found in a record that opens under the next "
                    "sequence number\n"
                    f"Actual:   {event.describe()}\n"
                    + (f"Record faults seen: {channel.violations}\n" if channel.violations else "")
                    + "A sequence number narrower than 64 bits repeats record 0's nonce at "
                    "record 256 (u8) or 65 536 (u16).\n"
                    f"Transcript (last entries):\n{channel.transcript.tail()}",
                    violates=("EKE-REC-2",),
                )
            done += 1


def _get(channel: EkeChannel, target: Target, timeout: float) -> None:
    known = known_file(target)
    channel.send_frame(b"RQFL", {"name": known.name})
    received = 0
    for _ in range(4 + known.size // 4096):
        event = channel.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.type in (b"RSFL", b"DATA"):
            received += len(event.payload) if event.type == b"DATA" else 0
            continue
        if isinstance(event, ReceivedFrame) and event.type == b"DONE":
            if received != known.size:
                raise ConformanceFailure(f"the get of {known.name!r} brought {received} bytes")
            return
        raise ConformanceFailure(
            f"EKE-REC-2: the get of {known.name!r} after {channel.sender.seq - 1} records "
            f"each way\nActual: {event.describe()}",
            violates=("EKE-REC-2",),
        )
    raise ConformanceFailure(f"the get of {known.name!r} sent too many frames")


@pytest.mark.req("EKE-REC-2", "APP-2")
def test_three_hundred_records_each_way(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    require(eke_target, "get")
    channel = eke_channel_factory()
    timeout = channel.timeout
    _ask(channel, _REQUESTS, timeout)
    _get(channel, eke_target, timeout)


@pytest.mark.slow
@pytest.mark.req("EKE-REC-2")
def test_past_a_sixteen_bit_counter(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    require(eke_target, "get")
    channel = eke_channel_factory()
    _ask(channel, (1 << 16) + 50, channel.timeout)
    _get(channel, eke_target, channel.timeout)
