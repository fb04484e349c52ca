"""A put that stalls until the idle timeout (docs/SPEC.md LIM-2, APP-STORE-3); belongs
beside test_limits.py (`test_idle_timeout_during_a_put`, `test_idle_timeout_inside_a_frame`).

test_limits.py checks that a stalled put is answered `EROR timeout` and leaves nothing
under its final name, and that a connection stalled inside a frame is ended (`EROR
timeout` or a close: both accepted there, for every profile and every place). Two things
it leaves open, each seen in an implementation whose timeout path differs from its other
failure paths:

* the temporary file of the timed-out put [APP-STORE-3]: "on any failure — ...
  timeout ..." it is removed; a responder that forgets it on this one path ("the
  initiator may come back and resume") keeps the final name free yet fills its inbox
  with the bytes of every abandoned put (checked when the target declares its `inbox`);
* sft-pki/1, a put stalled inside a DATA payload: whatever the responder says first
  (`EROR timeout`, or nothing, as test_limits.py accepts inside a frame), it ends the
  TLS connection with `close_notify` [PKI-TLS-7: "at a timeout"] — a responder whose
  payload reader lets the timeout escape as a transport error aborts the TCP stream
  (a reset) instead. test_pki_tls.py checks the close_notify of an idle timeout
  between requests only.
"""

from __future__ import annotations

import os
import struct

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.pki_channel import close_bound, ended_cleanly
from conformance.target import Target
from conformance.test_app_put import _assert_no_temporary_holds
from conformance.test_limits import _limit
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    deadline_after,
)

__all__: list[str] = []


@pytest.mark.req("APP-STORE-3", "LIM-2")
def test_put_ended_by_the_idle_timeout_leaves_no_temporary_file(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    if target.inbox is None:
        pytest.skip("needs the responder's inbox (target file: inbox) to look for temporaries")
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    sent = os.urandom(1000)
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 5000})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of 5000 bytes")
    channel.send_frame("DATA", sent)
    channel.expect([ExpectError("timeout")], timeout=limit * 1.5 + 1.0).check(
        f"LIM-2: a put stalled after 1000 of 5000 bytes (idle timeout {limit} s)"
    )
    channel.close()
    _assert_no_temporary_holds(
        target, sent, "a put that stalled after 1000 of 5000 bytes until the idle timeout"
    )


@pytest.mark.req("PKI-TLS-7", "LIM-2")
def test_put_stalled_inside_a_data_payload_ends_with_close_notify(
    target: Target, app_channel: AppChannel
) -> None:
    if target.profile != "pki":
        pytest.skip("sft-pki/1 only: close_notify (over sft-eke/1 a frame is one record)")
    require(target, "put")
    limit = _limit(target.limits.idle_timeout, "idle timeout")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": fresh_name(), "size": 5000})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of 5000 bytes")
    # A DATA header announcing 4000 bytes, 1000 of them, then silence.
    if not channel.send_raw(struct.pack("!4sI", b"DATA", 4000) + os.urandom(1000)):
        raise ConformanceFailure("LIM-2: could not send part of a DATA frame: the target closed")
    what = f"a put stalled inside a DATA payload (1000 of its 4000 bytes; idle timeout {limit} s)"
    deadline = deadline_after(limit * 1.5 + 1.0 + close_bound(limit))
    seen: list[str] = []
    for _ in range(4):  # at most an EROR timeout, then the end
        event = channel.recv_frame(deadline)
        seen.append(event.describe())
        if isinstance(event, ReceivedFrame) and event.error_name == "timeout":
            continue
        if isinstance(event, Closed):
            if not ended_cleanly(event):
                failure = ConformanceFailure.evidence(
                    f"PKI-TLS-7: {what}",
                    "the responder ends the connection at its idle timeout with a TLS "
                    "close_notify (after EROR timeout), never a bare TCP FIN or reset",
                    "; ".join(seen),
                )
                failure.violates = ("PKI-TLS-7",)
                raise failure
            channel.close()
            return
        break
    failure = ConformanceFailure.evidence(
        f"LIM-2: {what}",
        "EROR timeout (or the close) within the idle timeout and a margin",
        "; ".join(seen),
    )
    failure.violates = ("LIM-2",)
    raise failure
