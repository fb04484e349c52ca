"""An sft-eke/1 CLIENT reads a record's body however TCP splits it, small records too (SPEC
FRM-4, EKE-REC-1).

A receiver MUST reassemble frames independently of how the bytes are split (FRM-4). The
header-split and one-write shapes are tried elsewhere (test_eke_client_segments.py); this
file splits the BODY of every record — the control records (RSFL, DONE) included, whose
few dozen bytes always arrive in one segment from an honest server on loopback. A client
that reads a record's header, then its body with one `recv` and takes what came for the
whole body (right for large DATA records read in a loop, "safe" for the small ones), opens
garbage: a record that does not authenticate, an honest get that fails.

The suite plays an honest server and sends every record of its answer in two pieces, with
a short pause between them so that each reaches the client as a segment of its own: the
header and the body's first byte, then the rest (slow: the split in the middle of the
body; one byte before its end). The get must complete, the file kept byte for byte.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.bin"
CONTENT = bytes(range(251)) * 8  # 2008 bytes: RSFL, two DATA records, DONE
CHUNK = 1500
_TIMEOUT = 5.0
_PAUSE = 0.03  # between the two pieces of a record: each reaches the client on its own
_HEADER = 8

# where the body is cut: record length -> offset of the second piece
_SPLITS: dict[str, Callable[[int], int]] = {
    "after-the-first-body-byte": lambda n: _HEADER + 1,
    "in-the-middle-of-the-body": lambda n: _HEADER + (n - _HEADER) // 2,
    "before-the-last-body-byte": lambda n: n - 1,
}


@pytest.mark.req("FRM-4", "EKE-REC-1")
@pytest.mark.parametrize(
    "split",
    [
        pytest.param("after-the-first-body-byte"),
        pytest.param("in-the-middle-of-the-body", marks=pytest.mark.slow),
        pytest.param("before-the-last-body-byte", marks=pytest.mark.slow),
    ],
)
def test_client_reads_record_bodies_split_across_segments(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    split: str,
    request: pytest.FixtureRequest,
) -> None:
    """An honest get whose every record's body comes in two segments: the get completes
    and the file is kept byte for byte."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    digest = hashlib.sha256(CONTENT).hexdigest()
    cut = _SPLITS[split]

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        frames = [frame_bytes("RSFL", control({"name": NAME, "size": len(CONTENT)}))]
        frames += [
            frame_bytes("DATA", CONTENT[o : o + CHUNK]) for o in range(0, len(CONTENT), CHUNK)
        ]
        frames.append(frame_bytes("DONE", control({"size": len(CONTENT), "sha256": digest})))
        for frame in frames:
            record = channel.seal(frame)
            at = cut(len(record))
            for piece in (record[:at], record[at:]):
                if not raw.send_raw(piece):
                    return
                time.sleep(_PAUSE)
        read_inner(channel, view, _TIMEOUT)  # the client's BYE_ or its close

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=NAME, password=password, timeout=_TIMEOUT
    )
    result = case.result
    if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
        raise ConformanceFailure.evidence(
            f"FRM-4: an honest get whose record bodies come split ({split})",
            "the get completes, the file kept byte for byte: segments do not matter",
            result.describe(),
            note=case.describe(),
        )
