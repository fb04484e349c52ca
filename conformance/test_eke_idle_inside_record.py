"""sft-eke/1: an idle timeout inside a record is still answered `EROR timeout` (SPEC §6
LIM-2, §5.5).

LIM-2: "a responder MUST close (with `EROR timeout` where a channel exists) a connection
that sends nothing for the idle timeout". After EKE4 the channel exists whatever the
incoming stream holds: the responder's own direction is intact, so the EROR can be sealed
and sent even when the client stopped in the middle of one of its records. A record
reader that takes "silence with part of a record buffered" for a truncation (FRM-7: a
failed connection, nothing to say) and closes without the EROR leaves the client unable
to tell an idle timeout from a crash. (test_limits.py stops inside a frame on both
profiles and accepts the bare close; this case holds sft-eke/1 to the EROR.)

Stops: three bytes of a record header; a whole header and part of its body (a request);
and, during a put, part of a DATA record. All stall at once, so the case waits one idle
timeout in all: the EROR timeout, in a record, then the close, within 1.5 x the idle
timeout + 1 s.
"""

from __future__ import annotations

import secrets
import struct
import time
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

ChannelFactory = Callable[..., EkeChannel]

_MAX_WAIT = 12.0  # the longest idle timeout the suite waits for


@pytest.mark.req("LIM-2")
def test_idle_timeout_inside_a_record_is_answered_eror_timeout(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    limit = eke_target.limits.idle_timeout
    if limit > _MAX_WAIT:
        pytest.skip(f"the target's idle timeout is {limit} s (the suite waits at most {_MAX_WAIT})")
    stalls: dict[str, EkeChannel] = {}
    # 1) three bytes of the next record's header
    channel = eke_channel_factory()
    channel.raw.send_raw(b"REC")
    stalls["3 bytes of a record header"] = channel
    # 2) a whole header and part of the body of a record holding an RQFL
    channel = eke_channel_factory()
    record = channel.seal(b"RQFL" + struct.pack(">I", 13) + b'{"name":"x"} ')
    channel.raw.send_raw(record[: 8 + 10])
    stalls["a record header and 10 bytes of its body (a request)"] = channel
    # 3) during a put: part of a DATA record
    if eke_target.has("put"):
        channel = eke_channel_factory()
        data = secrets.token_bytes(5000)
        channel.send_frame("PUTF", {"name": fresh_name("sft-idle-rec"), "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("LIM-2: PUTF")
        record = channel.seal(b"DATA" + struct.pack(">I", 1000) + data[:1000])
        channel.raw.send_raw(record[:500])
        stalls["half of a DATA record, during a put"] = channel
    end = time.monotonic() + limit * 1.5 + 1.0
    wrong = []
    for where, channel in stalls.items():
        outcome = channel.expect(
            [ExpectError("timeout")], timeout=max(0.2, end - time.monotonic())
        )
        if not outcome.ok:
            wrong.append(f"stopped inside {where}: {outcome.describe()}")
        channel.close()
    if wrong:
        raise ConformanceFailure.evidence(
            f"LIM-2: sft-eke/1 connections that stopped sending in the middle of a record "
            f"(idle timeout {limit} s)",
            f"EROR timeout (sealed in a record), then the close, within "
            f"{limit * 1.5 + 1.0:.1f} s",
            "\n".join(wrong),
            "the channel exists (the responder's direction is intact): a partial incoming "
            "record does not turn the idle timeout into a silent truncation",
        )
