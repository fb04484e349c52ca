"""An sft-eke/1 CLIENT takes a get in DATA frames of any legal size and count (SPEC §1
FRM-13, §3.3 APP-GET-2, APP-GET-3).

FRM-13 lets a DATA payload be anything from 1 to 1 048 576 bytes and APP-GET-2 only asks
the responder to send exactly `size` bytes in DATA frames: how it cuts them is its own
choice. The reference cuts 1 MiB frames and a short last one, so a client tested only
against it may take that shape for the protocol: a frame shorter than 1 MiB read as the
last one (a further DATA then "unexpected"), the count of frames bounded by what a 1 MiB
cutter would send ("a flood of tiny frames is an attack"), or the frame size learnt from
the first frame. Each breaks a get that a conforming server (one that sends what it reads
from a pipe, a socket, a slow disk) completes honestly.

The suite, as an honest server, answers the client's RQFL with RSFL, the file in DATA
frames of a chosen shape, and the right DONE. The get must succeed: exit 0, the file kept
byte for byte under its final name, nothing else left in the output directory.

Default run: every frame 1 byte long (300 frames for 300 bytes), and a 1-byte frame then a
full 1 MiB one. The thorough run adds uneven sizes, a full frame then a 1-byte one, and a
small frame between two large ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import read_inner, skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_MIB = 1 << 20

# name -> the payload size of every DATA frame, in order (their sum is the file's size)
_SHAPES: dict[str, list[int]] = {
    "every-frame-1-byte": [1] * 300,
    "1-byte-then-1-mib": [1, _MIB],
    "uneven": [3, 1, 2048, 7, 4093, 1, 65536, 2],
    "1-mib-then-1-byte": [_MIB, 1],
    "small-between-large": [70000, 5, 70000],
}
_DEFAULT = ("every-frame-1-byte", "1-byte-then-1-mib")


def _content(size: int) -> bytes:
    return (bytes(range(253)) * (size // 253 + 1))[:size]


def _shaped(sizes: list[int]) -> Callable[[lies.LyingServer], None]:
    content = _content(sum(sizes))
    digest = hashlib.sha256(content).hexdigest()

    def serve(s: lies.LyingServer) -> None:
        s.rsfl(size=len(content), sha256=digest)
        offset = 0
        for size in sizes:
            s.frame("DATA", content[offset : offset + size])
            offset += size
        s.done(len(content), digest)
        # As an honest responder ends (APP-BYE-1): the client's BYE_ answered, then closed.
        event = read_inner(s.channel, s.view, lies._REACTION)
        s.reaction = event
        if isinstance(event, ReceivedFrame) and event.type == b"BYE_":
            s.frame("BYE_", control({}))
            s.close()

    return serve


@pytest.mark.req("APP-GET-3", "FRM-13")
@pytest.mark.parametrize(
    "shape",
    [pytest.param(name, marks=[] if name in _DEFAULT else [pytest.mark.slow]) for name in _SHAPES],
)
def test_client_keeps_a_get_sent_in_frames_of_any_legal_shape(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    shape: str,
    request: pytest.FixtureRequest,
) -> None:
    """RSFL, the file in DATA frames of the shape `shape`, the right DONE: kept, exit 0."""
    skip_slow_variant(request)
    sizes = _SHAPES[shape]
    content = _content(sum(sizes))
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _shaped(sizes))
    result = case.result
    kept = result.out.read_bytes() if result.kept_file else None
    if result.succeeded and kept == content and not case.leftovers:
        return
    shown = "no file" if kept is None else f"{len(kept)} bytes"
    if kept is not None and kept != content:
        shown += " (not the content sent)"
    answer = server.reaction.describe() if server.reaction is not None else "nothing"
    sizes_shown = sizes if len(sizes) <= 8 else f"{len(sizes)} frames of {sizes[0]} byte(s)"
    raise ConformanceFailure.evidence(
        f"APP-GET-3: an honest get of {len(content)} bytes in DATA frames of {sizes_shown} "
        f"({shape})",
        "every legal DATA frame taken (1 to 1 048 576 bytes, any count): exit code 0, the "
        "file kept byte for byte under its final name, no other file",
        f"exit code {result.returncode}, {shown}, other files {case.leftovers}; the "
        f"client's answer after DONE: {answer}",
        note=case.describe(),
    )
