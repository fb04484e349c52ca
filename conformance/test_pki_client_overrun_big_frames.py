"""sft-pki/1 INITIATOR: the announced size bounds the disk whatever the size of the DATA
frames that overrun it (docs/SPEC.md APP-STORE-4, APP-GET-4, FRM-13).

"A receiver MUST NOT write more bytes to disk than the announced size (a lying sender
cannot fill the disk beyond the limit)" (APP-STORE-4). test_client_pki_data_bounds.py
overruns in DATA frames of 1000 bytes. An implementation has often two paths for DATA: the
small frames (a quick test's, the sizes of one read buffer, 64 KiB and below) are
buffered and counted, the big ones — up to FRM-13's 1 048 576 bytes — are streamed
straight from the socket to the file, and that path counts only at DONE, or bounds the
file by the maximum file size instead of the announced one, or checks after each write
of a read buffer. A responder that overruns in big frames then fills the disk.

The hostile responder announces 100 000 bytes and sends three DATA frames of 1 048 576
bytes (FRM-13's largest payload; each frame alone is above the announced size), while the
suite watches the client's output directory for 1.5 s. No file in it may ever hold more
than 100 000 bytes [APP-STORE-4]: a correct initiator refuses the first frame's header
(APP-GET-4). A client writing the frame in read-buffer pieces and judging after each
write leaves a file of at least 131 072 bytes there, and is caught too.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator_watched,
)
from conformance.pki_channel import PkiChannel
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_ANNOUNCED = 100_000
_FRAME = 1_048_576  # FRM-13's largest DATA payload
_FRAMES = 3
_WATCH = 1.5  # seconds the suite watches the output directory after the excess
_POLL = 0.05


def _largest_file(directory: Path) -> tuple[str, int] | None:
    best: tuple[str, int] | None = None
    try:
        entries = list(directory.iterdir())
    except OSError:
        return None
    for entry in entries:
        try:
            size = entry.stat().st_size
        except OSError:
            continue  # removed meanwhile
        if best is None or size > best[1]:
            best = (entry.name, size)
    return best


@pytest.mark.req("APP-STORE-4")
def test_initiator_bounds_the_disk_by_the_announced_size_in_big_frames(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    seen: list[tuple[str, int]] = []
    answers: list[str] = []
    chunk = bytes(range(256)) * (_FRAME // 256)

    def watch(end: float) -> bool:
        """Records the largest file until `end`; True once the client closed."""
        for _ in range(int(_WATCH / _POLL) + 2):  # bounded in count and time
            largest = _largest_file(outdir)
            if largest is not None:
                seen.append(largest)
            if time.monotonic() >= end:
                return False
            event = channel_box[0].recv_frame(deadline_after(_POLL))
            if isinstance(event, ReceivedFrame):
                answers.append(event.type.decode("ascii", "replace"))
            elif isinstance(event, Closed):
                answers.append("close")
                return True
        return False

    channel_box: list[PkiChannel] = []

    def script(channel: PkiChannel) -> None:
        channel_box.append(channel)
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        name = (event.json() or {}).get("name", "")
        channel.send_frame("RSFL", {"name": name, "size": _ANNOUNCED})
        for _ in range(_FRAMES):
            if not channel.send_frame("DATA", chunk):
                break
        closed = watch(time.monotonic() + _WATCH)
        largest = _largest_file(outdir)
        if largest is not None:
            seen.append(largest)
        if not closed:  # let a client still waiting for DONE finish
            data = chunk * _FRAMES
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
            channel.recv_frame(deadline_after(2.0))

    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / "received.bin",
    )
    require_reached(run, hostile, request=True)
    over = [(name, size) for name, size in seen if size > _ANNOUNCED]
    if over:
        name, size = max(over, key=lambda item: item[1])
        raise ConformanceFailure.evidence(
            f"APP-STORE-4: RSFL announced {_ANNOUNCED} bytes, then {_FRAMES} DATA frames of "
            f"{_FRAME} bytes each (FRM-13's largest payload, each above the announced size)",
            f"no file in the output directory ever larger than {_ANNOUNCED} bytes (the "
            "first frame's header refused, APP-GET-4)",
            f"{name} held {size} bytes",
            note=f"the client's frames while watched: {answers or 'none'}; {run.describe()}",
        )
