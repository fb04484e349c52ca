"""An INITIATOR's put stopped by a signal before the responder's `DONE` (SPEC §3.4
APP-PUT-10), both profiles.

A command-line client reports a put as succeeded by its exit status 0, and APP-PUT-10
allows that only once the responder has answered the client's `DONE` with `DONE`. A
client stopped by SIGTERM (a supervisor, `kill`, a shutdown) while it waits for that
answer has not been acknowledged: it may exit with any status but 0. A handler written
as "a clean shutdown" (`sys.exit(0)`, `os.Exit(0)`, `process.exit()`) reports the put a
success that never happened, and a script chaining `put && rm file` loses the file.

The suite's responder (test_client_put.py's, both profiles) accepts, reads the whole file
and the client's `DONE`, and then answers nothing: it sends SIGTERM to the client's
process group and waits (bounded) for the client to close its connection, still
silent. The client's exit status is then judged: 0 FAILs APP-PUT-10. A client that does
not handle SIGTERM dies of it (status -15), one that handles it exits non-zero: both
pass. The bytes sent are judged as test_client_put.py does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as put_cases
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from sftkit.client_run import run_client as _run_client

pytestmark = [pytest.mark.side("initiator")]

_UNANSWERED = "; no answer to DONE"
# How long the suite waits for the client's process handle (it is handed over as soon as
# the client starts, long before its DONE arrives) and for its close after the signal.
_HANDLE_WAIT = 10.0
_CLOSE_WAIT = 5.0


class _Signaller:
    """The client's process, handed over by run_client's `started`, and the signal."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = threading.Event()
        self.sent = False

    def started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.ready.set()

    def terminate(self) -> bool:
        if not self.ready.wait(_HANDLE_WAIT) or self.process is None:
            return False
        try:
            # The client runs in its own session (sftkit.client_run): its group is its own.
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        self.sent = True
        return True


def _serve_then_terminate(signaller: _Signaller) -> Any:
    def serve(
        channel: Channel, seen: put_cases.PutSeen, answer: put_cases.Answer, name: str
    ) -> None:
        _ORIGINAL_SERVE(channel, seen, put_cases.Answer(final="close"), name)
        if not seen.answered.endswith(_UNANSWERED):
            return  # the put never reached its DONE: judged as test_client_put.py does
        if not signaller.terminate():
            raise RuntimeError("harness: the client's process handle never arrived")
        seen.answered = seen.answered[: -len(_UNANSWERED)] + "; no answer, SIGTERM to the client"
        seen.ended = ""
        # Still silent: whatever the client sends until it closes (bounded) is recorded.
        put_cases._drain(channel, seen, seen.after, _CLOSE_WAIT)

    return serve


_ORIGINAL_SERVE = put_cases._serve_put


@pytest.mark.req("APP-PUT-10", "APP-PUT-4")
def test_initiator_put_stopped_before_done_is_not_reported_success(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Accepted, sent in full with its DONE, then SIGTERM while the responder has not
    answered: the client must not exit 0."""
    signaller = _Signaller()

    def run_client(launch: Any, **kwargs: Any) -> Any:
        return _run_client(launch, started=signaller.started, **kwargs)

    monkeypatch.setattr(put_cases, "run_client", run_client)
    monkeypatch.setattr(put_cases, "_serve_put", _serve_then_terminate(signaller))
    put = put_cases._run_put(
        target, tmp_path, transcripts, put_cases.Answer(), put_cases._content(5000)
    )
    problems: put_cases.Problems = []
    put_cases._judge_sent_file(put, problems)
    if signaller.sent and put.run.succeeded:
        problems.append(
            (
                "APP-PUT-10",
                "stopped by SIGTERM while waiting for the responder's answer to its DONE "
                f"(none ever came), the client {put.run.success_evidence()}: a put that was "
                "never acknowledged reported as succeeded",
            )
        )
    put_cases._fail(put, problems, "a put stopped by SIGTERM before the responder's DONE")
