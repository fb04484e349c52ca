"""An sft-eke/1 CLIENT's commit of a get does not replace an entry that took the output
name while the get ran (SPEC APP-STORE-2: "atomically rename it to its final name
(without replacing an existing file: `link`+`unlink` or `renameat2(RENAME_NOREPLACE)`)").

A client checks that its output name is free when it starts (APP-GET-6), and that check
passes every case whose output directory stays still. The commit is the second check of
the same rule, and the one that counts: the plain rename of every language — rename(2),
Python's `os.replace`/`os.rename`, Node's `fs.rename`, Java's `Files.move(..., ATOMIC_MOVE)`
with or without `REPLACE_EXISTING` — REPLACES a file or a symbolic link of the target name
without a word. So does a commit guarded by an "exists?" test that follows links (a
dangling link "does not exist"). Only a no-replace commit (`link` + `unlink`,
`renameat2(RENAME_NOREPLACE)`, an `O_EXCL` create) keeps the newcomer.

The suite is the server (it knows the password; test_eke_client_transfer.py's lying
server): RSFL, half the data; then a dangling symbolic link appears at the output name
(test_eke_client_transfer.py has the regular file: a plain rename fails both, a guarded one
only this); then the rest of the data and an honest DONE. Verdict: the entry is left as
it was — not replaced, not written through. (Whether the
get then fails, and its temporary is removed, is test_eke_client_get_outcomes.py's
business under APP-GET-6 and APP-STORE-3.) The client is launched from `--client-cmd`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance.lying_get import OUT_NAME
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# Another program's file: not the get's bytes, so a replacement shows.
_NEWCOMER = b"another program's output, written while the get ran\n"


def _entry(kind: str, out: Path, elsewhere: Path) -> Callable[[], str]:
    """Creates `kind` at `out`; returns a function telling what became of it."""
    if kind == "symlink":
        os.symlink(elsewhere, out)

        def link_state() -> str:
            if not out.is_symlink():
                return "replaced by a file" if out.exists() else "removed"
            if os.readlink(out) != str(elsewhere):
                return "re-pointed"
            return "written through" if elsewhere.exists() else "intact"

        return link_state
    out.write_bytes(_NEWCOMER)

    def file_state() -> str:
        if out.is_symlink() or not out.is_file():
            return "replaced by another kind of entry" if os.path.lexists(out) else "removed"
        return "intact" if out.read_bytes() == _NEWCOMER else "replaced or overwritten"

    return file_state


def _appears_mid_get(kind: str, box: dict[str, Callable[[], str]]) -> eke_lies.Lie:
    def lie(s: eke_lies.LyingServer) -> None:
        s.rsfl(sha256=eke_lies.DIGEST)
        half = eke_lies.SIZE // 2
        s.data(eke_lies.CONTENT[:half])
        # The client has checked its output name long ago and holds a temporary by now.
        box["state"] = _entry(kind, s.outdir / OUT_NAME, s.outdir.parent / "nowhere" / "t.bin")
        s.data(eke_lies.CONTENT[half:])
        s.done()
        s.await_reaction()

    return lie


# A regular file taking the name is test_eke_client_transfer.py's case; the dangling link
# is the one a commit guarded by a link-following "exists?" test still replaces.
_KINDS = [pytest.param("symlink", id="dangling-symlink")]


@pytest.mark.req("APP-STORE-2")
@pytest.mark.parametrize("kind", _KINDS)
def test_client_commit_keeps_an_entry_that_took_the_output_name(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
) -> None:
    """A {kind} takes the output name after half the data; the rest and an honest DONE
    follow. The client's commit must not replace it (nor write through a link)."""
    box: dict[str, Callable[[], str]] = {}
    lie = _appears_mid_get(kind, box)
    case, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    if "state" not in box:
        raise RuntimeError(f"the lie did not run to the middle of the data\n{case.describe()}")
    state = box["state"]()
    if state != "intact":
        failure = ConformanceFailure.evidence(
            f"APP-STORE-2: a {kind.replace('symlink', 'dangling symbolic link')} took the "
            "output name after half the get's data; then the rest and an honest DONE",
            "the commit does not replace an existing entry (link + unlink, or "
            "renameat2(RENAME_NOREPLACE)): the entry left as it was",
            f"the entry was {state} (a plain rename, or an 'exists?' check that follows "
            f"links); the client reported {case.result.describe()}",
            note=case.describe(),
        )
        failure.violates = ("APP-STORE-2",)
        raise failure
