"""An sft-eke/1 CLIENT answered `EROR busy` AFTER its login waits retry_after too (SPEC §5.6
EKE-THR-7).

Round 15 (B78), lenses "one blocks all" and "retries without bound": the busy cases of
test_eke_client_busy_retries.py answer the client's EKE1. A client whose retry loop
honours retry_after only around its login ("the retry_after wait is for logins") and
meets `busy` in answer to a REQUEST (a server out of workers, a share being rebuilt)
reconnects at once, and a burst of such clients hammers the server it was asked to spare.
EKE-THR-7: "A client that receives `busy` MAY retry, but MUST NOT retry before
retry_after seconds have passed."

The suite logs the client in honestly, answers its RQFL with a sealed `EROR busy`
(retry_after 3 s), and times the next connection the client makes, if any. A client that
gives up passes (it MAY); one that comes back sooner than 0.9 x retry_after FAILs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    error_payload,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.side("initiator"),
    pytest.mark.profile("eke"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.txt"
_TIMEOUT = 5.0
RETRY_AFTER = 3  # seconds announced with the `EROR busy` that answers the request
_EARLIEST = 0.9  # x retry_after: the margin for a client's timer granularity


@pytest.mark.req("EKE-THR-7")
def test_client_waits_retry_after_when_a_request_is_answered_busy(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    busy_sent: list[float] = []
    arrivals: list[float] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        arrivals.append(time.monotonic())
        if busy_sent:
            return  # the retry's time is what is judged: the suite closes
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        busy = json.loads(error_payload("busy", "suite: busy, try later"))
        channel.send_raw(frame_bytes("EROR", control({**busy, "retry_after": RETRY_AFTER})))
        busy_sent.append(time.monotonic())
        read_inner(channel, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT + 2 * RETRY_AFTER,
        connections=2,
    )
    if not busy_sent:
        raise RuntimeError(
            "the client never sent its request after an honest login (is --client-cmd "
            f"right?)\n{case.describe()}"
        )
    later = [t - busy_sent[0] for t in arrivals[1:]]
    if later and later[0] < _EARLIEST * RETRY_AFTER:
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: the RQFL answered (after an honest login) with a sealed EROR busy, "
            f"retry_after {RETRY_AFTER} s",
            f"no new connection before retry_after ({_EARLIEST * RETRY_AFTER:g} s allowed for "
            "timer granularity), or none at all",
            f"the client connected again {later[0]:.3f} s after the busy answer",
            note=case.describe(),
        )
