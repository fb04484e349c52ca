"""APP-BYE-1 at an sft-pki/1 INITIATOR: no BYE_ in the middle of a transfer, even to leave.

APP-BYE-1: `BYE_` ends the connection between transfers; "`BYE_` during a transfer is
`unexpected_frame`". An initiator stopped mid-get (Ctrl-C, SIGTERM: APP-STORE-3's "a
signal the receiver survives long enough to handle") or failing locally mid-transfer
ends the connection as a failed transfer: a fatal `EROR` if it sends anything, then the
close (PKI-TLS-7: close_notify). A client written to "always say goodbye" — a `finally`
or a destructor that writes `BYE_` whatever the session's state — sends the responder a
frame its state does not allow, in the middle of the DATA it is still sending.
test_pki_initiator_transfer.py stops the client mid-get but judges the files only.

The suite's hostile responder sends RSFL and two of six DATA frames, waits until the
client's temporary file exists (the get is under way), sends it SIGTERM and records
every frame it sends until it closes (bounded). Judged: no `BYE_` among them (a fatal
`EROR` is allowed, nothing is required). The files left are judged by
test_pki_initiator_transfer.py's stop case.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.lying_get import PROBE_BUDGET, entries_while_transferring
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_AFTER_SIGNAL = 5.0  # how long the suite records what the stopped client sends
_MAX_FRAMES = 64


def _stop_mid_get(
    process: list[subprocess.Popen[bytes]], ready: threading.Event, sent: list[ReceivedFrame]
) -> lies.Lie:
    def lie(r: lies.LyingResponder) -> None:
        r.rsfl(sha256=lies.DIGEST)
        r.data(lies.CONTENT[: 2 * lies.CHUNK])
        entries_while_transferring(r.outdir, r.notes)
        if not ready.wait(PROBE_BUDGET):
            raise RuntimeError("the client's process handle never arrived")
        process[0].send_signal(signal.SIGTERM)
        end = deadline_after(_AFTER_SIGNAL)
        for _ in range(_MAX_FRAMES):
            event = r.channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame):
                r.notes.append(f"(then: {event.describe()})")
                break
            sent.append(event)
        r.ended = True  # nothing more is read or sent: the client is gone or going
        try:
            process[0].wait(timeout=_AFTER_SIGNAL)
        except subprocess.TimeoutExpired:
            r.notes.append(f"(the client outlived SIGTERM by {_AFTER_SIGNAL:g} s)")

    return lie


@pytest.mark.req("APP-BYE-1")
def test_initiator_stopped_mid_get_sends_no_bye(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    ready = threading.Event()
    sent: list[ReceivedFrame] = []

    def started(popen: subprocess.Popen[bytes]) -> None:
        process.append(popen)
        ready.set()

    got = lies._run_lie(
        target, tmp_path, transcripts, _stop_mid_get(process, ready, sent), started=started
    )
    byes = [f for f in sent if f.type == b"BYE_"]
    if byes:
        failure = ConformanceFailure.evidence(
            f"APP-BYE-1: the initiator stopped by SIGTERM in the middle of a get (RSFL and "
            f"{2 * lies.CHUNK} of {lies.SIZE} bytes received)",
            "no BYE_ during a transfer: a fatal EROR at most, then the close",
            f"it sent {[f.describe(40) for f in sent]}",
            note=f"{got.responder.notes}; {got.describe()}",
        )
        failure.violates = ("APP-BYE-1",)
        raise failure
