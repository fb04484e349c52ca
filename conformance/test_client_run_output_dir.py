"""APP-GET-6 when the user's output path is a DIRECTORY, for both initiators (docs/SPEC.md
§3.3 APP-GET-6).

Many command-line clients read `-o DIR` (an existing directory) as "save into DIR under
the file's name". A client that checks "does the output exist?" on the path its user
gave — a directory: "fine, I will write inside it" — and then joins the file's name to
it writes DIR/NAME as if that check had covered it: an existing DIR/NAME is replaced, a
dangling symbolic link there is written through or replaced. The user asked for neither.

Each case gives the initiator an `{out}` that is an existing directory holding, under the
last component of the requested name, either a file of the user's or a dangling symbolic
link; the responder is honest. Whatever the client does with a directory as its output
(refuse it, save inside it under another name, fail), the user's entry MUST be left as
it was: the file's bytes unchanged, the link still a link to the same place, its target
not created [APP-GET-6: "it MUST NOT overwrite an existing file unless the user asked
for it. An existing name includes a symbolic link, dangling or not: the initiator MUST
NOT write through it nor replace it"].

Fixtures (conformance/plugin.py): `eke_target`, `pki_target` (lab mode), `tmp_path`,
`transcripts`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki, responder_alias, run_initiator_watched
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
from conformance.test_pki_initiator_transfer import NAME, LyingResponder, _honest, _script
from conformance.wire import ConformanceFailure, RawConnection

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_TIMEOUT = 5.0
_EKE_NAME = "docs/report.txt"  # a directory component too: the basename is what is joined
_EKE_CONTENT = b"the responder's report, not the user's\n" * 64
_USERS = b"the user's own report: never to be replaced\n"
_KINDS = ("file", "dangling-symlink")


def _prepare(out: Path, base: str, kind: str) -> Path:
    """`out` made a directory holding the user's entry `base`; returns the link's target
    (which must stay absent) or the file."""
    out.mkdir()
    entry = out / base
    if kind == "file":
        entry.write_bytes(_USERS)
        return entry
    target = out.parent / "link-target-must-stay-absent"
    entry.symlink_to(target)
    return target


def _state(out: Path, base: str, kind: str, target: Path) -> str:
    """Empty when the user's entry is as it was; else what changed."""
    entry = out / base
    if kind == "file":
        if entry.is_symlink() or not entry.is_file():
            return f"{out.name}/{base} is no longer the user's regular file"
        data = entry.read_bytes()
        if data != _USERS:
            sha = hashlib.sha256(data).hexdigest()[:16]
            return f"{out.name}/{base} was replaced ({len(data)} bytes, sha256 {sha}...)"
        return ""
    problems = []
    if not entry.is_symlink():
        problems.append(f"the symbolic link {out.name}/{base} was replaced")
    elif os.readlink(entry) != str(target):
        problems.append(f"the symbolic link {out.name}/{base} now points elsewhere")
    if target.exists() or target.is_symlink():
        problems.append(f"its target {target.name} was created (written through the link)")
    return "; ".join(problems)


@pytest.mark.profile("eke")
@pytest.mark.req("APP-GET-6")
@pytest.mark.parametrize("kind", _KINDS)
def test_eke_initiator_leaves_the_users_entry_in_an_output_directory(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {_EKE_NAME: _EKE_CONTENT}, _TIMEOUT)

    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"  # run_case's {out}: here a directory of the user's
    base = _EKE_NAME.rsplit("/", 1)[-1]
    target = _prepare(out, base, kind)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_EKE_NAME,
        password=password,
        outdir=outdir,
        timeout=_TIMEOUT,
    )
    changed = _state(out, base, kind, target)
    if changed:
        raise ConformanceFailure.evidence(
            f"APP-GET-6: get of {_EKE_NAME!r} with {{out}} an existing directory that holds "
            f"the user's {kind.replace('-', ' ')} {base!r} (no option to replace it)",
            "the user's entry left as it was (not replaced, not written through)",
            changed,
            note=case.describe(),
        )


@pytest.mark.profile("pki")
@pytest.mark.req("APP-GET-6")
@pytest.mark.parametrize("kind", _KINDS)
def test_pki_initiator_leaves_the_users_entry_in_an_output_directory(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(pki_target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"
    target = _prepare(out, NAME, kind)
    box: dict[str, LyingResponder] = {}
    run, hostile = run_initiator_watched(
        pki_target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(pki_target)),
        script=_script(_honest, outdir, box),
        out=out,
        name=NAME,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    changed = _state(out, NAME, kind, target)
    if changed:
        raise ConformanceFailure.evidence(
            f"APP-GET-6: get of {NAME!r} with {{out}} an existing directory that holds the "
            f"user's {kind.replace('-', ' ')} {NAME!r} (no option to replace it)",
            "the user's entry left as it was (not replaced, not written through)",
            changed,
            note=f"{run.describe()}; the request was "
            + ("sent" if "responder" in box else "not sent"),
        )
