"""sft-eke/1: a fatal EROR late in a connection is the next record of its direction (SPEC
§5.5 EKE-REC-2, EKE-REC-4; §2 ERR-3).

Every frame after EKE4 is a record, and "`seq` starts at 0 for each direction and
increases by one per record; a sequence number MUST never be reused" (EKE-REC-2) — the
fatal `EROR` that ends a connection included. The error path is where an implementation
seals with something else than its connection's sealer: a helper that builds a new one
(its counter at 0 again: a reused nonce under the same key), a cached one of another
connection, or the raw key with a fixed nonce. Cases that provoke the error on a fresh
connection cannot see it: there the server's first record IS number 0.

Each variant first has a get of a known file served (RSFL, DATA, DONE: the server is past
record #2), then provokes one fatal error; the EROR that follows MUST open as the next
record, with the code the cause calls for, and the close follows (ERR-3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, get_file, known_file, require
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, frame_bytes

ChannelFactory = Callable[..., EkeChannel]


def _rsfl_in_idle(channel: EkeChannel, target: Target) -> str:
    channel.send_frame("RSFL", {"name": "hello.txt", "size": 1})
    return "unexpected_frame"


def _not_json(channel: EkeChannel, target: Target) -> str:
    channel.send_raw(frame_bytes("RQFL", b'{"name": "hello.txt"'))
    return "bad_frame"


def _data_in_idle(channel: EkeChannel, target: Target) -> str:
    channel.send_frame("DATA", b"stray bytes")
    return "unexpected_frame"


def _wrong_digest(channel: EkeChannel, target: Target) -> str:
    require(target, "put")
    data = b"a put whose DONE lies\n"
    channel.send_frame("PUTF", {"name": fresh_name("sft-late-fatal"), "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"the put was not accepted: {answer.describe()}")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(b"other").hexdigest()})
    return "integrity_failed"


def _silence(channel: EkeChannel, target: Target) -> str:
    if target.limits.idle_timeout > 3:
        pytest.skip(f"an idle timeout of {target.limits.idle_timeout:g} s is too long to wait")
    return "timeout"


_CAUSES = {
    "RSFL in IDLE": ("APP-1", _rsfl_in_idle),
    "a request that is not JSON": ("FRM-9", _not_json),
    "DATA in IDLE": ("FRM-6", _data_in_idle),
    "a DONE with another SHA-256": ("APP-PUT-5", _wrong_digest),
    "silence for the idle timeout": ("LIM-2", _silence),
}


@pytest.mark.req("EKE-REC-2")
@pytest.mark.parametrize(
    "cause", [pytest.param(c, marks=pytest.mark.req(r)) for c, (r, _f) in _CAUSES.items()]
)
def test_a_fatal_error_after_a_get_is_the_next_record(
    eke_target: Target, eke_channel_factory: ChannelFactory, cause: str
) -> None:
    require(eke_target, "get")
    requirement, provoke = _CAUSES[cause]
    shared = known_file(eke_target)
    channel = eke_channel_factory()
    get_file(channel, shared.name)
    before = channel.receiver.seq
    code = provoke(channel, eke_target)
    wait = (eke_target.limits.idle_timeout * 1.5 + 1.0) if code == "timeout" else None
    outcome = channel.expect([ExpectError(code)], timeout=wait)
    if outcome.ok:
        return
    records = [v for v in channel.violations if v.startswith("EKE-REC")]
    if records:
        raise ConformanceFailure(
            f"EKE-REC-2: after a get ({before} records from the server), {cause}: the "
            f"server's next record (#{before} or later) did not open as the next record of "
            f"its direction\nExpected: EROR {code} sealed as the next record\n"
            f"Actual:   {outcome.describe()}\n" + "\n".join(records),
            violates=("EKE-REC-2",),
        )
    raise ConformanceFailure(
        f"{cause} after a get of {shared.name!r}\n{outcome.describe()}",
        violates=outcome.violates or (requirement,),
    )
