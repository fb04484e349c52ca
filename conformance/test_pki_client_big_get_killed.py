"""sft-pki/1 INITIATOR stopped by SIGKILL in the middle of a LARGE get: nothing under the
final name (docs/SPEC.md §3.6 APP-STORE-5, APP-STORE-2; §3.3 APP-GET-6).

test_pki_initiator_transfer.py stops the initiator mid-get for a small file. An
implementation may take another path above some size: "no temporary for big files: the
disk would need the space twice", "write in place so that a crash can be resumed" — the
data goes straight under the final name (created exclusively, unlinked on every failure
the client survives). Nothing a small get or a failure the client survives shows; a
SIGKILL leaves a partial file under the final name.

Here the suite's responder answers the initiator's RQFL with an RSFL announcing 256 MiB
(below the 4 GiB default maximum, LIM-3), sends 2 MiB + 1 byte in three DATA frames and
then nothing; once a file of the output directory holds that much (or a budget of a few
seconds has passed) the suite looks at the directory, stops the client with SIGKILL and
looks again: the final name MUST NOT exist at either moment; a temporary file holding
data is named `.sft-partial-*` and mode 0600 (APP-STORE-1). A client that never started
writing (e.g. one that refuses 256 MiB) cannot be judged: INCONCLUSIVE.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    lab_pki,
    responder_alias,
    run_initiator_watched,
)
from conformance.lying_get import OUT_NAME, PROBE_BUDGET, look_at
from conformance.pki_channel import PkiChannel
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control, frame_bytes

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

NAME = "big.bin"
_MIB = 1024 * 1024
_SENT = 2 * _MIB + 1  # three DATA frames: 1 MiB, 1 MiB, 1 byte
_REACTION = 5.0  # seconds the killed client has to be gone


def _size(entry: Path) -> int:
    try:
        return entry.lstat().st_size
    except FileNotFoundError:  # renamed or removed meanwhile
        return -1


def _written(outdir: Path, notes: list[str]) -> list[Path]:
    """The output directory once a file in it holds every byte sent (or the final name
    shows, or the budget is out). Bounded by count and by PROBE_BUDGET."""
    deadline = time.monotonic() + PROBE_BUDGET
    entries: list[Path] = []
    for _ in range(600):  # bounded by count and by PROBE_BUDGET
        entries = list(outdir.iterdir())
        if any(e.name == OUT_NAME or _size(e) >= _SENT for e in entries):
            return entries
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    notes.append(f"(no file of {_SENT} bytes in the output directory within the budget)")
    return entries


@pytest.mark.req("APP-STORE-5", "APP-GET-6", "APP-STORE-1")
@pytest.mark.parametrize(
    "announced",
    [
        pytest.param(256 * _MIB, id="256MiB"),
        pytest.param(3 * 1024 * _MIB, id="3GiB", marks=pytest.mark.slow),
    ],
)
def test_initiator_killed_in_a_large_get_keeps_nothing_under_the_final_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, announced: int
) -> None:
    lab = lab_pki(target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    process: list[subprocess.Popen[bytes]] = []
    ready = threading.Event()
    notes: list[str] = []
    state: dict[str, object] = {}

    def started(popen: subprocess.Popen[bytes]) -> None:
        process.append(popen)
        ready.set()

    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        state["asked"] = True
        channel.send_raw(frame_bytes("RSFL", control({"name": NAME, "size": announced})))
        block = bytes(range(256)) * (_MIB // 256)
        channel.send_raw(frame_bytes("DATA", block))
        channel.send_raw(frame_bytes("DATA", block))
        channel.send_raw(frame_bytes("DATA", b"\x5a"))
        entries = _written(outdir, notes)
        state["writing"] = any(_size(e) > 0 for e in entries)
        look_at(notes, entries, f"during a get announced at {announced} bytes")
        if not ready.wait(PROBE_BUDGET):
            raise RuntimeError("the client's process handle never arrived")
        process[0].send_signal(signal.SIGKILL)
        try:
            process[0].wait(timeout=_REACTION)
        except subprocess.TimeoutExpired:
            notes.append(f"(the client outlived SIGKILL by {_REACTION} s)")
        look_at(notes, list(outdir.iterdir()), "after SIGKILL")
        channel.close()

    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=script,
        out=outdir / OUT_NAME,
        name=NAME,
        started=started,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if "asked" not in state:
        raise RuntimeError(
            "the initiator under test never sent its request (is --client-cmd right?): "
            + run.describe()
        )
    problems = [n for n in notes if not n.startswith("(")]
    out = outdir / OUT_NAME
    if out.exists() or out.is_symlink():
        problem = f"APP-STORE-5: after SIGKILL, {OUT_NAME} exists ({_size(out)} bytes)"
        if problem not in problems:
            problems.append(problem)
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-STORE-5/APP-GET-6: a get announced at {announced} bytes, stopped by "
            f"SIGKILL after {_SENT} bytes",
            "the data goes to a `.sft-partial-*` temporary (0600) in the output directory "
            "whatever the size; the final name appears only through the rename after DONE",
            "; ".join(problems),
            note=f"{notes}; {run.describe()}",
        )
    if not state.get("writing"):
        inconclusive(
            f"the client wrote nothing of a get announced at {announced} bytes (it may "
            f"refuse that size): {notes}; {run.describe()}"
        )
