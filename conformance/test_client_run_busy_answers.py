"""An sft-eke/1 CLIENT told `busy` in odd but possible ways ends with a message, never a
stack trace (SPEC §2 ERR-6, §5.6 EKE-THR-7).

[ERR-6] "An endpoint MUST NOT answer any input with a stack trace": a command-line client's
answer to its user is its output. The suite answers every `EKE1` with `EROR busy`:

- without `retry_after` (a server that breaks EKE-THR-7 is input all the same): a client
  that compares the missing value with its wait cap, or sleeps `None` seconds, crashes;
- with `retry_after` 2^63 - 1, the largest integer FRM-11 allows: a client that sleeps it
  without a cap overflows its clock (Python: OverflowError; a C client: a negative wait);
- with a `retry_after` that is no integer (`"5"`, `-1`): a malformed EROR (FRM-11, ERR-8),
  which a client may answer `bad_frame` or just end on, but not with a crash.

Whatever the client then does -- gives up, waits, retries -- its stdout and stderr hold no
stack trace. The suite stops a client still waiting after a few seconds (not judged
further: waiting is allowed).
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
from conformance.test_error_disclosure import stack_trace_in
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, error_payload

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.txt"
_TIMEOUT = 5.0
_WATCH = 4.0  # the client is stopped after this long (a wait is not judged)
_PASSWORD = fresh_password()


def _with_retry_after(value: object) -> bytes:
    return json.dumps(
        {**json.loads(error_payload("busy", "suite: busy")), "retry_after": value}
    ).encode()


_BUSY: dict[str, bytes] = {
    "no-retry-after": error_payload("busy", "suite: busy"),
    "retry-after-max": _with_retry_after((1 << 63) - 1),
    "retry-after-string": _with_retry_after("5"),
    "retry-after-negative": _with_retry_after(-1),
}


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize("kind", sorted(_BUSY))
def test_client_ends_a_busy_answer_without_a_stack_trace(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """Every EKE1 is answered `EROR busy` ({kind}). [ERR-6] The client's output holds no
    stack trace, whether it gives up, waits or retries (stopped after a few seconds)."""
    answered: list[int] = []
    process: list[subprocess.Popen[bytes]] = []

    def stop_waiting_client() -> None:
        if process and process[0].poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process[0].pid, signal.SIGKILL)

    timer = threading.Timer(_WATCH, stop_waiting_client)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        raw.send_frame(b"EROR", _BUSY[kind])
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
        connections=8,
        started=process.append,
    )
    timer.cancel()
    if not answered:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    output = case.result.stdout + "\n" + case.result.stderr
    trace = stack_trace_in(output)
    if trace is not None:
        raise ConformanceFailure.evidence(
            f"ERR-6: every EKE1 answered EROR busy ({kind}); {len(answered)} answered",
            "a one-line message (or a wait), never a stack trace",
            f"the client's output holds {trace}: {output.strip()[-300:]!r}",
            note=case.describe(),
        )
