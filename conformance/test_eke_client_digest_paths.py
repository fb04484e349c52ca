"""An sft-eke/1 CLIENT verifies a get's SHA-256 whatever the get's size and framing (SPEC
§3.3 APP-GET-3).

APP-GET-3: at DONE the initiator verifies that the bytes received match both announced
sizes, that their SHA-256 equals DONE.sha256 and, when present, RSFL.sha256; on mismatch
nothing is kept under the final name and the run fails. The lying-server cases
(test_eke_client_transfer.py and its siblings) lie about small files sent in one DATA
frame. A client with a second path for larger transfers — a streaming path taken past one
DATA frame (1 MiB), or once a transfer has several frames — can leave a check behind on it:
RSFL.sha256 compared on the one-frame path only, or DONE.sha256 skipped because "the AEAD
records already guarantee the bytes" (they guarantee that the server sent them, not that
they are the file the server announced).

The suite plays an honest server up to the lie, and the file is sent as
* `large`: 1 MiB + 4 096 bytes, in a full DATA frame of 1 MiB and one of 4 096 bytes;
* `frames`: 3 000 bytes in three DATA frames of 1 000 bytes;
with one lie each:
* `rsfl-digest`: RSFL.sha256 is the digest of other bytes (the file with its last byte
  changed); DONE is right;
* `done-digest`: RSFL carries no sha256; DONE.sha256 is the digest of other bytes;
* slow, `bytes-differ`: both digests announce the file, the last DATA frame carries it with
  its last byte changed.
Each run must fail (not exit 0) and keep nothing under the output name.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    Behaviour,
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
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "digest-paths.bin"
_MIB = 1024 * 1024
_SHAPES = {
    "large": [_MIB, 4096],
    "frames": [1000, 1000, 1000],
}
_LIES = {
    "rsfl-digest": "RSFL.sha256 is the digest of other bytes (DONE right)",
    "done-digest": "no RSFL.sha256; DONE.sha256 is the digest of other bytes",
    "bytes-differ": "both digests announce the file; the last byte sent differs",
}


def _changed(content: bytes) -> bytes:
    return content[:-1] + bytes([content[-1] ^ 0x5A])


def _serve(pw: bytes, content: bytes, frames: list[int], lie: str) -> Behaviour:
    right = hashlib.sha256(content).hexdigest()
    other = hashlib.sha256(_changed(content)).hexdigest()
    sent = _changed(content) if lie == "bytes-differ" else content
    rsfl: dict[str, object] = {"name": _NAME, "size": len(content)}
    if lie == "rsfl-digest":
        rsfl["sha256"] = other
    elif lie == "bytes-differ":
        rsfl["sha256"] = right
    done = {"size": len(content), "sha256": other if lie == "done-digest" else right}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        channel.send_frame("RSFL", rsfl)
        offset = 0
        for length in frames:
            channel.send_frame("DATA", sent[offset : offset + length])
            offset += length
        channel.send_frame("DONE", done)
        for _ in range(4):  # bounded: the client's EROR or BYE_, then its close
            if not isinstance(read_inner(channel, view, _TIMEOUT), ReceivedFrame):
                return

    return behaviour


@pytest.mark.req("APP-GET-3")
@pytest.mark.parametrize(
    ("shape", "lie"),
    [
        ("large", "rsfl-digest"),
        ("large", "done-digest"),
        ("frames", "done-digest"),
        pytest.param("frames", "rsfl-digest", marks=pytest.mark.slow),
        pytest.param("large", "bytes-differ", marks=pytest.mark.slow),
        pytest.param("frames", "bytes-differ", marks=pytest.mark.slow),
    ],
)
def test_client_checks_the_digests_of_every_get(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    shape: str,
    lie: str,
    request: pytest.FixtureRequest,
) -> None:
    """A digest lie on a get of several DATA frames (or of more than 1 MiB) fails the get."""
    skip_slow_variant(request)
    frames = _SHAPES[shape]
    content = secrets.token_bytes(sum(frames))
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    behaviour = _serve(pw, content, frames, lie)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    result = case.result
    if not case.view.inner:
        raise RuntimeError(f"the client made no request: {case.describe()}")
    problems = []
    if result.succeeded:
        problems.append("the client reported success")
    if result.kept_file:
        problems.append("the file was kept under the output name")
    if problems:
        sizes = " + ".join(str(n) for n in frames)
        raise ConformanceFailure.evidence(
            f"APP-GET-3: a get of {len(content)} bytes in DATA frames of {sizes} bytes; "
            f"{_LIES[lie]}",
            "the get fails (non-zero exit) and nothing is kept under the output name",
            "; ".join(problems),
            note=case.describe(),
        )
