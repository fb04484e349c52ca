"""A CLIENT's put leaves its source exactly as it was: bytes, times, inode, links
(SPEC APP-PUT-10, last sentence: "Sending MUST NOT change the local file being sent").

test_client_run_put_source.py checks the source's bytes and mode. A client can keep both
and still change the file: `touch` it once stored (a "sent" marker a later sync reads),
set its times to the responder's, make it read-only while it sends and give the mode
back (its change time then moves), hard-link it into a spool directory while it sends
(its link count), or replace it with a copy (another inode). Each of these changes the
local file being sent.

The suite plays the responder (test_client_put.py's machinery, both profiles). Once the
client's secure channel is up, before its PUTF is read, the suite sets the source's
modification time to a known past instant and notes the file's status; after the run the
source must have the same bytes, size, mode, owner, inode, link count, modification time
and change time (nothing but reading it happened meanwhile; its access time is not
judged). Default run: a put stored; slow: one refused `exists`, one refused
`integrity_failed` in place of the receipt.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("client-put")]

_SIZE = 3000
_PINNED_NS = 1_500_000_000_123_456_789  # 2017-07-14: any instant the run cannot produce
_FIELDS = (
    "st_ino",
    "st_dev",
    "st_mode",
    "st_nlink",
    "st_uid",
    "st_gid",
    "st_size",
    "st_mtime_ns",
    "st_ctime_ns",
)

_ANSWERS = {
    "stored": puts.Answer(),
    "exists": puts.Answer(refuse="exists"),
    "integrity_failed": puts.Answer(final="integrity_failed"),
}


def _status(source: Path) -> dict[str, int]:
    st = os.lstat(source)
    return {field: int(getattr(st, field)) for field in _FIELDS}


def _pinning(workdir: Path, box: dict[str, Any]) -> puts.Serve:
    """Pins the source's modification time and notes its status, then serves as usual."""

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        found = sorted(workdir.glob("src-*/outgoing.bin"))
        if len(found) == 1:
            source = found[0]
            os.utime(source, ns=(_PINNED_NS, _PINNED_NS), follow_symlinks=False)
            box["before"] = _status(source)
        puts._serve_put(channel, seen, answer, name)

    return serve


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize(
    "outcome",
    [
        "stored",
        pytest.param("exists", marks=pytest.mark.slow),
        pytest.param("integrity_failed", marks=pytest.mark.slow),
    ],
)
def test_initiator_put_changes_nothing_of_its_source(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, outcome: str
) -> None:
    """After a put (stored, or refused), the source's status is what it was once the
    channel was up: bytes, size, mode, owner, inode, links, modification and change
    times."""
    box: dict[str, Any] = {}
    content = puts._content(_SIZE)
    put = puts._run_put(
        target, tmp_path, transcripts, _ANSWERS[outcome], content, serve=_pinning(tmp_path, box)
    )
    before = box.get("before")
    if before is None:
        raise RuntimeError(
            f"suite: the client's channel never came up, nothing to compare: {put.describe()}"
        )
    problems: puts.Problems = []
    if not put.source.is_file():
        problems.append(("APP-PUT-10", "the source is gone"))
    else:
        after = _status(put.source)
        changed = [
            f"{field} {before[field]} -> {after[field]}"
            for field in _FIELDS
            if before[field] != after[field]
        ]
        if changed:
            problems.append(
                ("APP-PUT-10", f"the source changed during the put ({outcome}): {changed}")
            )
        if put.source.read_bytes() != content:
            problems.append(("APP-PUT-10", "the source's bytes changed"))
    puts._fail(put, problems, f"the source of a put ({outcome}), compared field by field")
