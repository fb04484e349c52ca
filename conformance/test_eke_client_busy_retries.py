"""Every retry of an sft-eke/1 CLIENT after `EROR busy` waits retry_after (SPEC §5.6
EKE-THR-7).

test_eke_client.py times the first retry after one `busy`. A client whose wait is
right only on average passes it by chance: jitter drawn on both sides of retry_after
(uniform over 0.5…1.5 × retry_after, "±50 %") comes early on a fraction of the retries,
and a backoff that restarts from a small base, or that grows from the number of tries
instead of the announcement, comes early on some retries only. EKE-THR-7 says a client
MUST NOT retry before retry_after seconds have passed — every retry. Jitter belongs
above the announcement (the reference: 1 to 1.5 × retry_after).

The suite answers each of the client's first BUSY_ANSWERS `EKE1`s with `EROR busy`
(retry_after 1 s) and times every gap from its busy answer to the next `EKE1`. A client
that does not retry is not judged (it MAY give up); one that gives up after fewer
retries is judged on those it made; any gap below 0.9 × retry_after (timer granularity)
FAILs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conformance.eke_hostile import ServerView, fresh_password, read_frame, run_case
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    error_payload,
)

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.txt"
_TIMEOUT = 5.0
_PASSWORD = fresh_password()
RETRY_AFTER = 1  # seconds announced with every `EROR busy`
BUSY_ANSWERS = 7  # seven gaps: a client early on 40 % of its retries shows it in 97 % of runs
_EARLIEST = 0.9  # x retry_after: the margin for a client's timer granularity


@pytest.mark.req("EKE-THR-7")
def test_client_waits_retry_after_before_every_retry_after_busy(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Each of the client's first seven EKE1s is answered `EROR busy` (retry_after 1 s):
    no retry may come before retry_after."""
    busy_sent: list[float] = []
    arrivals: list[float] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        arrivals.append(time.monotonic())
        if len(busy_sent) >= BUSY_ANSWERS:
            return  # enough gaps seen: the suite closes
        busy = json.loads(error_payload("busy", "suite: busy, retry"))
        raw.send_frame(b"EROR", control({**busy, "retry_after": RETRY_AFTER}))
        busy_sent.append(time.monotonic())
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + BUSY_ANSWERS * RETRY_AFTER * 2,
        connections=BUSY_ANSWERS + 1,
    )
    if not busy_sent:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    # Gap k: from the k-th busy answer to the (k+1)-th EKE1, when the client made it.
    gaps = [later - sent for sent, later in zip(busy_sent, arrivals[1:], strict=False)]
    if not gaps:
        pytest.skip(f"the client did not retry after busy (it MAY): {case.describe()}")
    early = [(i + 1, gap) for i, gap in enumerate(gaps) if gap < _EARLIEST * RETRY_AFTER]
    if early:
        shown = ", ".join(f"retry {i} after {gap:.3f} s" for i, gap in early)
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: {len(busy_sent)} EKE1s answered `EROR busy` with retry_after "
            f"{RETRY_AFTER} s, the wait before each retry timed",
            f"no retry before retry_after ({RETRY_AFTER} s; "
            f"{_EARLIEST * RETRY_AFTER:g} s allowed for timer granularity), every time",
            f"{shown} (all waits: {', '.join(f'{g:.3f}' for g in gaps)} s)",
            note=case.describe(),
        )
