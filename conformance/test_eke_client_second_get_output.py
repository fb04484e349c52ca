"""An sft-eke/1 CLIENT does not replace an output its own earlier get wrote (SPEC
APP-GET-6).

APP-GET-6: the initiator "MUST NOT overwrite an existing file unless the user asked for
it". The existing-output cases plant a file the client never saw. A client with a memory
of its own downloads (a cache of what it wrote where, and with which SHA-256) is tempted to
treat an output it wrote itself, unchanged since, as its own to update: "same path,
nobody touched it, the server has a newer version". That trusts its own earlier state
over the rule: the file is the user's now, and only the user (`--force`) may have it
replaced.

The suite serves one name twice, with other content the second time, to two runs of the
client into the same output (no `--force`): the first get completes; the second MUST leave
the first's file as it is (same bytes, same inode) — it fails, or keeps the new bytes
elsewhere than under that name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    ClientCase,
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

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "report.txt"
FIRST = b"the first version of the report\n"
SECOND = b"a second, newer version of the report, from the same server\n"
_TIMEOUT = 5.0


def _get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, outdir: Path, content: bytes
) -> ClientCase:
    password = fresh_password()
    pw = eke_pw(client_user(target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: content}, _TIMEOUT)

    return run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
        outdir=outdir,
    )


@pytest.mark.req("APP-GET-6")
def test_client_does_not_replace_the_output_of_its_own_earlier_get(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Two gets of one name into one output, no --force: the second leaves the first's
    file (bytes and inode) as it is."""
    outdir = tmp_path / "out"
    outdir.mkdir()
    first = _get(eke_target, tmp_path, transcripts, outdir, FIRST)
    out = first.result.out
    if not (first.result.succeeded and out.is_file() and out.read_bytes() == FIRST):
        raise RuntimeError(f"the client did not complete the first, honest get\n{first.describe()}")
    inode = out.stat().st_ino
    second = _get(eke_target, tmp_path, transcripts, outdir, SECOND)
    now = out.read_bytes() if out.is_file() else None
    if now == FIRST and out.stat().st_ino == inode:
        return
    shown = (
        "gone"
        if now is None
        else f"{len(now)} bytes, SHA-256 {hashlib.sha256(now).hexdigest()[:16]}…"
        + (" (the second get's bytes)" if now == SECOND else "")
        + ("" if now is None or out.stat().st_ino == inode else ", another inode")
    )
    failure = ConformanceFailure.evidence(
        f"APP-GET-6: a second get of {NAME!r} into the output {out.name} the client's own first "
        "get wrote, without --force",
        f"{out.name} left as the first get wrote it ({len(FIRST)} bytes, same inode)",
        f"{out.name} is {shown}",
        note=second.describe(),
    )
    failure.violates = ("APP-GET-6",)
    raise failure
