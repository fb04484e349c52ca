"""What a server that proved the password with C2 did instead of EKE4 (EKE-HS-6).

A server whose C2 verified has proven the password and keys the suite holds, so the
suite's EKE3 is right: anything but EKE4 is the server's fault and is judged, not taken
for a target that is down. Only what an honest server may do is left unjudged: `EROR
timeout` (its handshake timeout may have run out) and silence (a slow machine).
"""

from __future__ import annotations

import json

import pytest

from conformance.eke_diagnosis import diagnose_refused_c3
from conformance.wire import Closed, ReceivedFrame, TimedOut


def _eror(code: int, name: str) -> ReceivedFrame:
    return ReceivedFrame(b"EROR", json.dumps({"code": code, "name": name, "message": "x"}).encode())


@pytest.mark.parametrize(
    ("event", "finding"),
    [
        (_eror(4, "auth_failed"), "EROR auth_failed"),
        (_eror(11, "internal"), "EROR internal"),
        (_eror(14, "throttled"), "EROR throttled"),
        (ReceivedFrame(b"RECD", b"\x00" * 40), "with RECD, not EKE4"),
        (ReceivedFrame(b"EKE4", b"not json"), "an EKE4 that is not a JSON object"),
        (Closed("eof"), "closed (eof) with no EKE4"),
        (Closed("reset"), "closed (reset) with no EKE4"),
    ],
)
def test_anything_but_eke4_after_a_verified_c2_is_judged(event: object, finding: str) -> None:
    diagnosis = diagnose_refused_c3(event)
    assert diagnosis is not None
    assert diagnosis.requirement == "EKE-HS-6"
    assert finding in diagnosis.finding, diagnosis.finding


@pytest.mark.parametrize("event", [_eror(10, "timeout"), TimedOut(10.0)])
def test_what_an_honest_server_may_do_is_not_judged(event: object) -> None:
    assert diagnose_refused_c3(event) is None
