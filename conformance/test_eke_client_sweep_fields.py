"""An sft-eke/1 CLIENT judges a temporary's staleness by when it was WRITTEN (APP-STORE-3).

An initiator removes the `.sft-partial-*` files of its output directory that nobody has
written to for longer than the idle timeout; another initiator may be writing a live one
there. "Written to" is the modification time: a sweep that reads the access time (or
the inode change time) removes a temporary another client is writing right now but that
nobody has read for a day — every temporary being received, since nobody reads one.

The suite plants such a file (modified just now, last accessed two days ago) in the
client's output directory, runs an honest get, and requires it still there afterwards.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.txt"
CONTENT = b"the file the honest server offers\n"
_TIMEOUT = 5.0
LIVE = ".sft-partial-b42writtennow0readlongago"
_AHEAD = 120.0  # its mtime a little ahead: still being written while the client runs
_LONG_AGO = 2 * 86400.0


@pytest.mark.req("APP-STORE-3")
def test_client_keeps_a_temporary_written_now_but_not_read_for_long(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    live = outdir / LIVE
    live.write_bytes(b"being written by another client")
    now = time.time()
    os.utime(live, (now - _LONG_AGO, now + _AHEAD))
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
        outdir=outdir,
    )
    if not live.exists():
        raise ConformanceFailure.evidence(
            "APP-STORE-3: a get into a directory holding a temporary modified just now "
            "(another client writing it) whose access time is two days old",
            "the temporary is kept: it was written to within the idle timeout",
            f"{LIVE} was removed; the directory holds {sorted(p.name for p in outdir.iterdir())}",
            note=case.describe(),
        )
