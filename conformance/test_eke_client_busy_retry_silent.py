"""An sft-eke/1 CLIENT's login retried after `EROR busy` has a handshake deadline too (SPEC
LIM-9).

LIM-9: "A client that retries a connection refused before its handshake applies its
handshake timeout to every attempt." test_eke_client_login_holds.py and
test_eke_client_login_rules.py hold a client's FIRST login silent; the busy cases answer
every attempt at once. Between them lies the path a client's own tests never reach: the
first login is refused `busy` (EKE-THR-7 lets the client retry after `retry_after`), and
the retry's login is accepted and then never answered. A client whose retry path builds
its connection apart from the first attempt's — the deadline computed once before the
retry loop, a timer armed for the first attempt only, a socket timeout cleared "because
the server was there a moment ago" — waits on that connection for ever.

The suite answers the first `EKE1` with `EROR busy` (`retry_after` 1) and reads every later
`EKE1` without answering, never closing first. The client must end by itself within
`_GIVE_UP_WITHIN` seconds of that `EKE1` (twice the SPEC's default handshake timeout,
LIM-1, plus a process start), report a failure (non-zero exit) and keep no file. A client
that does not retry a busy refusal fails at once, which is conforming too.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
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
    error_payload,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "retried.bin"
_TIMEOUT = 5.0
_GIVE_UP_WITHIN = 24.0  # test_eke_client_login_holds.py's allowance
_CONNECTIONS = 3  # the refused login, its retry, and one more retry at most
_BUSY = json.dumps(
    {**json.loads(error_payload("busy", "suite: busy")), "retry_after": 1}
).encode()


@pytest.mark.req("LIM-9")
def test_client_retry_after_busy_has_a_handshake_deadline(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The first EKE1 is answered EROR busy (retry_after 1); every later EKE1 is read and
    left unanswered, the connection held open. The client ends by itself, failed, within
    `_GIVE_UP_WITHIN` seconds of the silent login's EKE1."""
    seen: dict[str, float] = {}
    notes: list[str] = []
    proc: list[subprocess.Popen[bytes]] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        attempt = len(notes) + 1
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            notes.append(f"#{attempt}: no EKE1")
            return
        if attempt == 1:
            raw.send_frame(b"EROR", _BUSY)
            notes.append("#1: EKE1 answered busy")
            read_frame(raw, view, _TIMEOUT)  # the client's close
            return
        start = time.monotonic()
        seen.setdefault("silent_eke1", start)
        notes.append(f"#{attempt}: EKE1 left unanswered")
        end = start + _GIVE_UP_WITHIN
        raw.recv_frame(end)  # the client's EROR or close; we never close first
        if proc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc[0].wait(timeout=max(0.0, end - time.monotonic()))
        seen["ended"] = time.monotonic()

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=fresh_password(),
        timeout=_GIVE_UP_WITHIN / 4,  # the client's run is bounded at 6x: 36 s
        connections=_CONNECTIONS,
        started=proc.append,
    )
    if not notes or not notes[0].startswith("#1: EKE1"):
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    problems = []
    if "silent_eke1" in seen:
        waited = seen.get("ended", seen["silent_eke1"] + _GIVE_UP_WITHIN) - seen["silent_eke1"]
        if case.result.returncode is None or waited >= _GIVE_UP_WITHIN:
            problems.append(
                f"the client had not ended {waited:.1f} s after the retry's EKE1 (the server "
                "kept the retried login open and silent)"
            )
    if case.result.succeeded:
        problems.append("the client reported success")
    if case.result.kept_file:
        problems.append("the client kept a file")
    if problems:
        raise ConformanceFailure.evidence(
            "LIM-9: the first EKE1 answered EROR busy (retry_after 1), the retry's EKE1 never "
            "answered, its connection held open",
            f"the client's handshake deadline applies to the retry too: it ends, failed, within "
            f"{_GIVE_UP_WITHIN:g} s of the retry's EKE1 (or does not retry at all)",
            "; ".join(problems),
            note=f"server: {'; '.join(notes)}\n{case.describe()}",
        )
