"""sft-pki/1 INITIATOR: DATA bounded in total and per frame by the right limits
(docs/SPEC.md §1, §3.3, §3.6).

- The bytes a get writes to disk are bounded by RSFL.size in total, not frame by frame:
  the hostile responder announces 1000 bytes and sends four DATA frames of 1000 bytes
  each — every frame within the announced size, their sum four times it — then waits
  while the suite watches the client's output directory. No file in it may ever hold more
  than the announced 1000 bytes [APP-STORE-4] (a correct initiator stops at the second
  frame's header, APP-GET-4; one that bounds each frame, or each write, by the announced
  size writes all four and learns of the excess at DONE).
- A DATA payload is 1 to 1 048 576 bytes [FRM-13], whatever the frame limit (1 048 832
  by default, FRM-3): an RSFL of 1 048 577 bytes sent as ONE DATA frame of 1 048 577
  bytes — within the frame limit — is answered `bad_frame` or `frame_too_large` (FRM-16
  allows either), fatal, and nothing is kept. A receiver that bounds DATA by its frame
  limit keeps it.

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

_ANNOUNCED = 1000
_FRAMES = 4
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
def test_initiator_writes_no_more_than_the_announced_size_in_total(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    seen: list[tuple[str, int]] = []
    answers: list[str] = []
    body = bytes(range(256)) * 4

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        name = (event.json() or {}).get("name", "")
        channel.send_frame("RSFL", {"name": name, "size": _ANNOUNCED})
        for _ in range(_FRAMES):
            if not channel.send_frame("DATA", body[:_ANNOUNCED]):
                break
        end = time.monotonic() + _WATCH
        while time.monotonic() < end:
            largest = _largest_file(outdir)
            if largest is not None:
                seen.append(largest)
            event = channel.recv_frame(deadline_after(_POLL))
            if isinstance(event, ReceivedFrame):
                answers.append(event.type.decode("ascii", "replace"))
            elif isinstance(event, Closed):
                answers.append("close")
                break
        largest = _largest_file(outdir)
        if largest is not None:
            seen.append(largest)
        if "close" not in answers:  # let a client still waiting for DONE finish
            data = body[:_ANNOUNCED] * _FRAMES
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
            f"{_ANNOUNCED} bytes each (each within the announced size, their sum "
            f"{_ANNOUNCED * _FRAMES})",
            f"no file in the output directory ever larger than {_ANNOUNCED} bytes",
            f"{name} held {size} bytes",
            note=f"the client's frames while watched: {answers or 'none'}; {run.describe()}",
        )


_FRAME_LIMIT = 1048832  # the default frame limit (FRM-3): 1 MiB + 256
_DATA_TOO_LONG = (1, 2)  # bad_frame, frame_too_large (FRM-16)


@pytest.mark.req("FRM-13")
@pytest.mark.parametrize(
    "size",
    [1048577, pytest.param(_FRAME_LIMIT, marks=pytest.mark.slow)],
    ids=["1MiB+1", "frame-limit"],
)
def test_initiator_refuses_a_data_frame_above_one_mebibyte(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, size: int
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    payload = (bytes(range(256)) * (size // 256 + 1))[:size]
    answers: list[tuple[bytes, object]] = []

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        name = (event.json() or {}).get("name", "")
        channel.send_frame("RSFL", {"name": name, "size": size})
        channel.send_frame("DATA", payload)
        channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(payload).hexdigest()})
        deadline = deadline_after(3.0)
        event = channel.recv_frame(deadline)
        # A BYE_ the initiator pipelined with its RQFL (APP-2: "The initiator MAY pipeline
        # requests") was sent before the DATA: it is not the answer to it.
        while isinstance(event, ReceivedFrame) and event.type == b"BYE_":
            event = channel.recv_frame(deadline)
        if isinstance(event, ReceivedFrame):
            answers.append((event.type, event.json()))

    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / "received.bin",
    )
    require_reached(run, hostile, request=True)
    problems = []
    if run.succeeded:
        problems.append("reported success")
    if run.kept_file:
        problems.append(f"kept {run.out.name} ({run.out.stat().st_size} bytes)")
    for kind, body in answers:
        code = body.get("code") if isinstance(body, dict) else None
        if kind != b"EROR" or code not in _DATA_TOO_LONG:
            problems.append(
                f"answered {kind!r} {str(body)[:100]} (FRM-16: bad_frame or frame_too_large)"
            )
    if problems:
        raise ConformanceFailure.evidence(
            f"FRM-13: RSFL of {size} bytes, then ONE DATA frame of {size} bytes (within the "
            f"frame limit of {_FRAME_LIMIT}, above FRM-13's 1 048 576), then a matching DONE",
            "the get fails: EROR bad_frame or frame_too_large (fatal), nothing kept, non-zero exit",
            "; ".join(problems),
            note=run.describe(),
        )
