"""An sft-eke/1 CLIENT that gives up on `busy` reports a failure (docs/SPEC.md LIM-9).

LIM-9: "A client refused this way, or with `EROR busy`, fails and says so." EKE-THR-7 lets
the client retry after `retry_after` seconds, or give up. A client that gives up has not
transferred anything: its verdict to its user is a failure — a non-zero exit (or, for a
client whose declared success rule is the file, no file). The shortcut: the give-up path
prints a notice ("the server is busy: try again later") and exits 0, as if a busy server
were not the client's failure — a script that checks `$?` then takes the get (or the put)
as done. test_client_pki_give_up.py holds the sft-pki/1 initiator to it; the eke cases
judge how a client waits and retries (test_eke_client_busy_retries.py) and that its
output holds no stack trace (test_client_run_busy_answers.py), not its verdict.

The suite answers every `EKE1` with `EROR busy` whose `retry_after` is longer than any
client should park its user for — an hour, and 2^63 − 1 (the largest FRM-11 allows): a
client gives up at once, or waits (conforming, not judged: it is stopped after a few
seconds). A client that ends by itself MUST NOT report success.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from conformance.eke_hostile import ServerView, fresh_password, read_frame, run_case
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, error_payload

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.txt"
_TIMEOUT = 3.0
_WATCH = 4.0  # a client still waiting after this long is stopped (its wait is conforming)
_PASSWORD = fresh_password()

_RETRY_AFTER = {"an-hour": 3600, "largest": (1 << 63) - 1}


@pytest.mark.req("LIM-9")
@pytest.mark.parametrize("wait", sorted(_RETRY_AFTER))
def test_client_that_gives_up_on_busy_reports_failure(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, wait: str
) -> None:
    retry_after = _RETRY_AFTER[wait]
    answered: list[int] = []
    stopped: list[bool] = []
    process: list[subprocess.Popen[bytes]] = []

    def stop_waiting_client() -> None:
        if process and process[0].poll() is None:
            stopped.append(True)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process[0].pid, signal.SIGKILL)

    timer = threading.Timer(_WATCH, stop_waiting_client)
    busy = json.dumps(
        {**json.loads(error_payload("busy", "suite: busy")), "retry_after": retry_after}
    ).encode()

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        raw.send_frame(b"EROR", busy)
        if not answered:
            timer.start()
        answered.append(1)
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
        connections=2,
        started=process.append,
    )
    timer.cancel()
    if not answered:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if stopped:
        return  # still waiting out retry_after: conforming, not judged
    if case.result.succeeded:
        raise ConformanceFailure.evidence(
            f"LIM-9: every EKE1 answered EROR busy with retry_after {retry_after} "
            f"({len(answered)} answered); the client ended by itself",
            "a failure reported to its user (non-zero exit, no file): nothing was transferred",
            "the client reported success",
            note=case.describe(),
        )
