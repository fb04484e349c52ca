"""Many requests with long names on one connection (docs/SPEC.md §3.2 APP-2, §1 FRM-8).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. FRM-8's 64 KiB is a limit
per control frame. The class of bug: a per-frame allowance kept as a budget for the
connection (decremented by every control payload, never refilled), a total of name bytes
or of control bytes per connection, a decoder buffer that only grows: after some
hundreds of KiB of perfectly valid requests the connection is refused. APP-2: a
connection supports several transfers, one after another; test_ops_long_sessions.py
sends hundreds of short requests, this one sends fewer, long ones (about 160 KiB of
control payload in all, each frame far below 64 KiB).
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

_REQUESTS = 40
_COMPONENTS = 16  # of 249 bytes: names of about 4000 bytes, within APP-NAME-1


def _long_name() -> str:
    return "/".join(["d" * 249] * (_COMPONENTS - 1) + [fresh_name()])


def _answered(channel: Channel, index: int, sent: int, kind: str, name: str, code: str) -> None:
    outcome = channel.expect([ExpectError(code)])
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"APP-2: request {index + 1} of {_REQUESTS} on one connection, a {kind} of "
            f"{len(name)} bytes (about {sent} bytes of control payload so far, each frame "
            "below 64 KiB)",
            f"EROR {code}: the connection serves request after request",
            outcome.describe(),
        )


@pytest.mark.req("APP-2", "FRM-8")
def test_long_requests_do_not_use_up_the_connection(
    target: Target, app_channel: AppChannel
) -> None:
    """40 requests with names of about 4000 bytes each on one connection — gets of
    missing names (`not_found`) and, where the target takes puts, offers above the max
    file size (`too_large`) in turn: each is answered; then a known file is still served
    on that connection."""
    file = known_file(target)
    puts = target.has("put") and target.limits.max_file_size < 2**63 - 1
    channel = app_channel()
    sent = 0
    for index in range(_REQUESTS):
        name = _long_name()
        if puts and index % 2:
            offer = {"name": name, "size": target.limits.max_file_size + 1}
            sent += len(name) + 40
            channel.send_frame("PUTF", offer)
            _answered(channel, index, sent, "PUTF above the max size", name, "too_large")
        else:
            sent += len(name) + 11
            channel.send_frame("RQFL", {"name": name})
            _answered(channel, index, sent, "get of a missing name", name, "not_found")
    get_file(channel, file.name)  # APP-GET-2 judged, with evidence
