"""A CLIENT of either profile stopped once its get is complete keeps the file (SPEC §3.7
APP-BYE-2, §3.6).

"A connection closed without BYE_ between transfers is not an error for a completed
transfer." The suite serves an honest get (RSFL, the data, DONE), waits until the file is
under its final name (the client verified DONE and renamed it), then leaves the client's
BYE_ unanswered and stops the client with SIGTERM, as a user or a supervisor may while it
lingers over the end of the connection. The transfer is complete: the file stays, byte
for byte (the exit status is not judged: an interrupted client may say so). A client whose
"remove a partial output on interrupt" handler still holds the output's name after the
commit removes the completed file. A client that has already ended when the signal would
come has nothing to show (PASS).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_APPEAR = 5.0  # how long the suite waits for the final name after its DONE
_AFTER_SIGNAL = 3.0  # how long the client is then given to end


Peer = eke_lies.LyingServer | pki_lies.LyingResponder


def _lie(
    process: list[subprocess.Popen[bytes]], notes: dict[str, object]
) -> Callable[[Peer], None]:
    def lie(peer: Peer) -> None:
        peer.rsfl(sha256=pki_lies.DIGEST)
        peer.data(pki_lies.CONTENT)
        peer.done()
        final = peer.outdir / pki_lies._OUT
        deadline = time.monotonic() + _APPEAR
        while time.monotonic() < deadline and not final.exists():
            time.sleep(0.05)
        if not final.exists():
            notes["no_final"] = True
            return
        time.sleep(0.2)  # the client is now past its rename, in its goodbye
        if process and process[0].poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process[0].pid, signal.SIGTERM)
                notes["signalled"] = True
        ended = time.monotonic() + _AFTER_SIGNAL
        while process and process[0].poll() is None and time.monotonic() < ended:
            time.sleep(0.05)

    return lie


def _judge(notes: dict[str, object], out: Path, returncode: int | None, note: str) -> None:
    if not notes.get("signalled"):
        return  # never renamed (judged elsewhere), or already ended: nothing to judge
    kept = out.read_bytes() if out.is_file() else None
    if kept == pki_lies.CONTENT:
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes (not the content sent)"
    failure = ConformanceFailure.evidence(
        f"APP-BYE-2: a complete, verified get of {pki_lies.SIZE} bytes, renamed to its final "
        "name; the client's BYE_ left unanswered, then SIGTERM to the client",
        "the completed transfer stands: the file kept byte for byte",
        f"after the signal: {shown}; exit code {returncode}",
        note=note,
    )
    failure.violates = ("APP-BYE-2",)
    raise failure


@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("APP-BYE-2")
def test_eke_client_stopped_after_a_completed_get_keeps_the_file(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    notes: dict[str, object] = {}
    run, _server = eke_lies._run_lie(
        eke_target, tmp_path, transcripts, _lie(process, notes), started=process.append
    )
    _judge(notes, run.result.out, run.result.returncode, run.describe())


@pytest.mark.profile("pki")
@pytest.mark.req("APP-BYE-2")
def test_pki_initiator_stopped_after_a_completed_get_keeps_the_file(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    notes: dict[str, object] = {}
    got = pki_lies._run_lie(
        target, tmp_path, transcripts, _lie(process, notes), started=process.append
    )
    _judge(notes, got.run.out, got.run.returncode, got.describe())
