"""APP-PUT-8: a put that ended without being stored leaves nothing that refuses its name.

A responder that runs for days sees every way a put can end. APP-PUT-8: "A put ends when
the responder answers its DONE, or answers it with a fatal EROR, or its connection ends:
from then on it is no longer in progress, and a new PUTF of that name (on any
connection) MUST be judged as if a failed put had never been offered." A responder that
keeps per-name state for the puts in progress (a reservation taken at PUTF, to answer a
second PUTF `exists`, which APP-PUT-8 allows) must release it on every ending, not only
on the paths its authors walk every day: a reservation released at the commit and at
`integrity_failed` but forgotten when the connection vanishes or the idle timeout ends
the put makes that name `exists` until the next restart (and the temporary file the
sweep would remove is gone, so nobody notices why).

Each case starts a put of a fresh name, ends it one way without storing it — the
connection closed mid-put, the initiator's fatal EROR, `integrity_failed` at DONE or for
DATA beyond the size, `unexpected_frame`, the responder's idle timeout — then offers the
same name on a new connection: it must be accepted and stored. The responder may take a
moment to notice a vanished connection, so a new PUTF answered `exists` is offered again
(non-fatal, same connection) for up to 2 s before the case judges."""

from __future__ import annotations

import hashlib
import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
)

__all__: list[str] = []

# How long the responder may take to notice that a put ended (its thread seeing the
# close of a vanished connection); a name still `exists` after this is kept for good.
_NOTICE = 2.0
_ANNOUNCED = 4096
_SENT = 1024


def _start_put(channel: Channel, name: str) -> None:
    channel.send_frame("PUTF", {"name": name, "size": _ANNOUNCED})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"PUTF {name!r} size={_ANNOUNCED} (a fresh name in the inbox)"
    )
    del answer
    channel.send_frame("DATA", b"\x5a" * _SENT)


def _end_by_close(target: Target, channel: Channel, name: str) -> str:
    channel.close()
    return f"its connection closed after {_SENT} of {_ANNOUNCED} bytes"


def _end_by_eror(target: Target, channel: Channel, name: str) -> str:
    channel.send_frame("EROR", {"code": 11, "name": "internal", "message": "initiator gave up"})
    channel.expect([ExpectClose()], timeout=max(3.0, target.limits.idle_timeout)).check(
        "the responder closes after the initiator's EROR during a put (§3.2)"
    )
    return f"the initiator's EROR internal after {_SENT} of {_ANNOUNCED} bytes"


def _end_by_integrity(target: Target, channel: Channel, name: str) -> str:
    rest = b"\x5a" * (_ANNOUNCED - _SENT)
    channel.send_frame("DATA", rest)
    channel.send_frame("DONE", {"size": _ANNOUNCED, "sha256": "0" * 64})
    channel.expect([ExpectError("integrity_failed")]).check(
        f"DONE with a wrong SHA-256 for {name!r}"
    )
    return "integrity_failed at DONE (a wrong SHA-256)"


def _end_by_idle_timeout(target: Target, channel: Channel, name: str) -> str:
    idle = target.limits.idle_timeout
    outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=idle * 1.5 + 3.0)
    if not outcome.ok:
        pytest.skip(f"the responder did not end the stalled put by its idle timeout ({idle:g} s)")
    return f"the responder's idle timeout ({idle:g} s) after {_SENT} of {_ANNOUNCED} bytes"


def _end_by_overrun(target: Target, channel: Channel, name: str) -> str:
    channel.send_frame("DATA", b"\x5a" * (_ANNOUNCED - _SENT + 1))
    channel.expect([ExpectError("integrity_failed")]).check(
        f"DATA beyond the {_ANNOUNCED} bytes announced for {name!r} (APP-PUT-6)"
    )
    return f"integrity_failed for DATA beyond the {_ANNOUNCED} bytes announced"


def _end_by_protocol_error(target: Target, channel: Channel, name: str) -> str:
    channel.send_frame("RQFL", {"name": name})
    channel.expect([ExpectError("unexpected_frame")]).check(
        f"RQFL during the put of {name!r} (not allowed in RECEIVING: FRM-6)"
    )
    return "unexpected_frame for an RQFL sent in the middle of it"


_ENDINGS = {
    "connection-closed": _end_by_close,
    "initiator-eror": _end_by_eror,
    "integrity-failed": _end_by_integrity,
    "idle-timeout": _end_by_idle_timeout,
    "overrun": _end_by_overrun,
    "protocol-error": _end_by_protocol_error,
}


@pytest.mark.req("APP-PUT-8")
@pytest.mark.parametrize("ending", list(_ENDINGS))
def test_a_name_is_free_again_once_its_put_ended(
    target: Target, app_channel: AppChannel, ending: str
) -> None:
    require(target, "put")
    if ending == "idle-timeout" and target.limits.idle_timeout > 20.0:
        pytest.skip(f"the idle timeout ({target.limits.idle_timeout:g} s) is too long to wait")
    timeout = max(5.0, target.limits.idle_timeout * 2 + 3.0)
    name = fresh_name("ops-put-ended")
    first = app_channel(timeout=timeout)
    _start_put(first, name)
    how = _ENDINGS[ending](target, first, name)
    first.close()

    data = b"stored after a failed put of the same name\n"
    second = app_channel(timeout=timeout)
    deadline = time.monotonic() + _NOTICE
    refusals: list[str] = []
    while True:
        second.send_frame("PUTF", {"name": name, "size": len(data)})
        answer = second.expect(
            [ExpectFrame("RSFL", {"accept": True}), ExpectError("exists")]
        ).check(f"PUTF {name!r} after a put of it ended by {how}")
        frame = answer.frame
        assert isinstance(frame, ReceivedFrame)
        if frame.type == b"RSFL":
            break
        refusals.append(frame.describe())
        if time.monotonic() >= deadline:
            raise ConformanceFailure.evidence(
                f"APP-PUT-8: PUTF {name!r} on a new connection, after the only earlier put "
                f"of that name ended by {how} (nothing was stored under it)",
                "RSFL {accept: true}: a put that ended is no longer in progress, and the "
                "new one is judged as if it had never been offered",
                f"`exists` {len(refusals)} time(s) over {_NOTICE:g} s: {refusals[-1]}",
                note="state kept for the name of a put in progress (a reservation) was "
                "not released when that put ended this way",
            ) from None
        time.sleep(0.2)
    second.send_frame("DATA", data)
    second.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    second.expect([ExpectFrame("DONE")]).check(
        f"DONE of the new put of {name!r} (after a put of it ended by {how})"
    )
