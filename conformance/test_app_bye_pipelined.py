"""BYE_ ends the connection, whatever follows it in the stream (docs/SPEC.md §3.7 APP-BYE-1,
§3.2 APP-3, FRM-6).

APP-BYE-1: `BYE_` ends the connection: the responder MAY answer `BYE_` and MUST then
close. A request that arrives after it — pipelined in the same write, as APP-2 lets an
initiator pipeline requests — is not one the connection still carries (§3.2: after `BYE_`
the state is CLOSED; any frame is `unexpected_frame`). The class of bug: `BYE_` taken as
"close when the queue is empty" — the requests already read (or read until the peer's
end) answered first, then the echo and the close; or `BYE_` merely echoed and the loop
going on. Both answer a request the initiator ended the connection before.

The suite sends `BYE_` and a request at once — in one TLS write over sft-pki/1, in two
records sent back to back over sft-eke/1 (a record holds one frame, EKE-REC-1) — and
reads until the connection ends: a `BYE_` echo, an `EROR unexpected_frame` (for the frame
after `BYE_`) and the close are all conforming; an answer to the request (RSFL, a put's
acceptance, a non-fatal EROR such as `not_found`) is not, nor a connection still open
after the responder's idle timeout.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import json

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
    frame_bytes,
)

_FATAL = {1, 2, 3, 4, 8, 9, 10, 11, 14}  # ERR-2's fatal codes


def _requests(target: Target) -> dict[str, tuple[str, dict[str, object]]]:
    name = target.files[0].name if target.files else "hello.txt"
    return {
        "get-known-file": ("RQFL", {"name": name}),
        "get-missing-file": ("RQFL", {"name": fresh_name("sft-b17-after-bye")}),
        "put": ("PUTF", {"name": fresh_name("sft-b17-after-bye"), "size": 1}),
    }


@pytest.mark.req("APP-BYE-1", "FRM-6")
@pytest.mark.parametrize("request_kind", ["get-known-file", "get-missing-file", "put"])
def test_request_pipelined_behind_bye_is_not_answered(
    target: Target, app_channel: AppChannel, request_kind: str
) -> None:
    """`BYE_` + a request in one write: the connection ends without an answer to the
    request (a `BYE_` echo or `EROR unexpected_frame` may come first)."""
    frame_type, payload = _requests(target)[request_kind]
    require(target, "put" if frame_type == "PUTF" else "get")
    idle = target.limits.idle_timeout
    channel = app_channel(timeout=idle * 1.5 + 5.0)
    if target.profile == "eke":
        # One frame per record (EKE-REC-1): two records, the second sent at once.
        channel.send_frame("BYE_", {})
        channel.send_frame(frame_type, payload)
    else:
        channel.send_raw(
            frame_bytes("BYE_", b"{}") + frame_bytes(frame_type, json.dumps(payload).encode())
        )
    deadline = deadline_after(idle * 1.5 + 5.0)
    seen: list[str] = []
    for _ in range(16):  # bounded: a BYE_ echo, an EROR, then the end
        event = channel.recv_frame(deadline)
        seen.append(event.describe())
        if isinstance(event, Closed):
            return
        if not isinstance(event, ReceivedFrame):
            break  # timed out: still open
        if event.type == b"BYE_":
            continue
        if event.type == b"EROR" and event.error_code in _FATAL:
            continue  # e.g. unexpected_frame for the frame after BYE_; the close follows
        raise ConformanceFailure.evidence(
            f"APP-BYE-1: BYE_ then {frame_type} {payload} in one write ({request_kind})",
            "the connection ends (a BYE_ echo, EROR unexpected_frame, the close): nothing "
            "after BYE_ is a request",
            "\n".join(seen),
        )
    raise ConformanceFailure.evidence(
        f"APP-BYE-1: BYE_ then {frame_type} {payload} in one write ({request_kind})",
        f"the close (the responder MUST close after BYE_), within {idle * 1.5 + 5.0:g} s",
        "\n".join(seen) or "nothing",
    )
