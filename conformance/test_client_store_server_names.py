"""A get whose RSFL names a path of directories: BOTH clients create nothing from it
(SPEC §3.3 APP-GET-7).

APP-GET-7: an initiator chooses where it stores a get from its request and its user
only, never from `RSFL.name`; when the name differs it MAY fail the transfer
(`bad_frame`) or ignore it, but it MUST NOT create, write or rename any file under that
name. The lying-get cases answer with another file name (`../x`, `x`, an absolute path)
and look for that file. A client that keeps the output name it was given may still act
on the *directories* of the server's name — "nested names: make the parent directories
first" (`mkdir -p` of `dirname(RSFL.name)` beside the output) — and leave an empty tree,
inside its output directory or beside it, that the server chose.

The suite, as the server (sft-eke/1) or the responder (sft-pki/1), answers the request
with `RSFL {name: "<dirs>/<the requested name>", size, sha256}` and the right content;
`<dirs>` is a path of two directories inside the output directory, or one beside it
(`../<fresh>/`). Both readings are conforming: the get fails, or the file is kept under
the output name. FAIL when anything but the output (or nothing) is in the output
directory afterwards, or when the directory beside it exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, control

pytestmark = [pytest.mark.side("initiator")]

Peer = Any  # eke_lies.LyingServer | pki_lies.LyingResponder: .frame(), .data(), .done()

_WHERE = ["inside", "beside"]


def _dirs(where: str) -> str:
    token = secrets.token_hex(4)
    if where == "inside":
        return f"made-by-the-server-{token}/nested/"
    return f"../made-by-the-server-{token}/"


def _renamed(rsfl_name: str, content: bytes, digest: str) -> Callable[[Peer], None]:
    def lie(peer: Peer) -> None:
        peer.frame("RSFL", control({"name": rsfl_name, "size": len(content), "sha256": digest}))
        peer.data(content)
        peer.done(len(content), digest)
        peer.await_reaction()

    return lie


def _judge(
    outdir: Path, out: Path, rsfl_name: str, kept: bytes | None, content: bytes, note: str
) -> None:
    problems = []
    first = rsfl_name.split("/")[0] if not rsfl_name.startswith("../") else ""
    made = [p.name for p in outdir.iterdir() if p != out]
    if made:
        problems.append(f"in the output directory besides the output: {sorted(made)}")
    if rsfl_name.startswith("../"):
        beside = outdir.parent / rsfl_name.split("/")[1]
        if beside.exists() or beside.is_symlink():
            problems.append(f"{beside.name!r} was created beside the output directory")
    elif first and (outdir / first).exists():
        problems.append(f"{first!r} was created in the output directory")
    if kept is not None and kept != content:
        problems.append(f"the output holds {len(kept)} bytes that are not the file")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-GET-7: a get answered RSFL {{name: {rsfl_name!r}}} (directories, then the "
            "requested name) with the right content",
            "the get fails or the file is kept under the output name the user gave; nothing "
            "is created from the server's name (no directory, no file)",
            "; ".join(problems),
            note=note,
        )


@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("APP-GET-7")
@pytest.mark.parametrize("where", _WHERE)
def test_eke_client_creates_no_directory_the_server_names(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    rsfl_name = _dirs(where) + eke_lies.NAME
    lie = _renamed(rsfl_name, eke_lies.CONTENT, eke_lies.DIGEST)
    case, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    result = case.result
    kept = result.out.read_bytes() if result.kept_file else None
    _judge(case.outdir, result.out, rsfl_name, kept, eke_lies.CONTENT, case.describe())


@pytest.mark.profile("pki")
@pytest.mark.req("APP-GET-7")
@pytest.mark.parametrize("where", _WHERE)
def test_pki_initiator_creates_no_directory_the_server_names(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    rsfl_name = _dirs(where) + pki_lies.NAME
    lie = _renamed(rsfl_name, pki_lies.CONTENT, pki_lies.DIGEST)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    _judge(run.out.parent, run.out, rsfl_name, kept, pki_lies.CONTENT, got.describe())
