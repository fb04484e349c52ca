"""APP-STORE-2 at an sft-pki/1 INITIATOR: the final name IS the temporary file.

APP-STORE-2: only after verification does the receiver fsync the file and atomically
rename it to its final name (without replacing an existing file: `link`+`unlink` or
`renameat2(RENAME_NOREPLACE)`); "the final name is the temporary file itself, renamed or
linked; a copy of it, however careful, is not a rename (the final name would exist
before the copy ends)". A careful copy — the final name opened `O_CREAT|O_EXCL|
O_NOFOLLOW`, the bytes copied, fsynced, the temporary unlinked — passes every case that
looks at names, modes and contents: the final name appears only after DONE, holds the
right bytes, nothing is left. What betrays it is the file's identity: a rename or a link
keeps the inode the data was written to; a copy makes a new one.

The suite's hostile responder answers the get honestly, but holds its DONE until the
initiator has written every byte to a temporary file in the output directory, and
notes that file's (device, inode). Then DONE; once the initiator has ended, the final
name must be that same file. An initiator that writes no temporary holding the bytes in
the output directory before DONE breaks APP-STORE-1 too (judged there:
test_pki_initiator_transfer.py); here that is reported as nothing to compare, a FAIL of
APP-STORE-2's "the final name is the temporary file itself".

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.lying_get import OUT_NAME, entries_once_written
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _identities(entries: list[Path], size: int) -> dict[tuple[int, int], str]:
    """(st_dev, st_ino) -> name of every regular file (not a link) holding `size` bytes."""
    found: dict[tuple[int, int], str] = {}
    for entry in entries:
        try:
            info = os.lstat(entry)
        except FileNotFoundError:
            continue
        if entry.name != OUT_NAME and os.path.isfile(entry) and not entry.is_symlink():
            if info.st_size >= size:
                found[(info.st_dev, info.st_ino)] = entry.name
    return found


def _watching(seen: dict[tuple[int, int], str]) -> lies.Lie:
    def lie(r: lies.LyingResponder) -> None:
        r.rsfl(sha256=lies.DIGEST)
        r.data(lies.CONTENT)
        written = entries_once_written(r.outdir, lies.SIZE, r.notes)
        seen.update(_identities(written, lies.SIZE))
        r.done()

    return lie


@pytest.mark.req("APP-STORE-2")
def test_initiator_keeps_the_temporary_itself_under_the_final_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    seen: dict[tuple[int, int], str] = {}
    got = lies._run_lie(target, tmp_path, transcripts, _watching(seen))
    run = got.run
    if not run.succeeded or not run.kept_file:
        # The honest get must succeed (judged by the honest-get cases); nothing to compare.
        raise ConformanceFailure.evidence(
            "APP-STORE-2: an honest get whose DONE waits until every byte is written",
            "the get succeeds and the output file is kept",
            run.describe(),
            note=got.describe(),
        )
    info = os.lstat(run.out)
    identity = (info.st_dev, info.st_ino)
    if identity not in seen:
        shown = ", ".join(f"{name} (inode {ino})" for (_, ino), name in seen.items())
        failure = ConformanceFailure.evidence(
            f"APP-STORE-2: an honest get of {lies.SIZE} bytes; DONE sent once a file of "
            "the output directory held them all",
            "the final name is the temporary file that held the bytes, renamed or linked "
            "(the same inode)",
            f"{run.out.name} is inode {info.st_ino}; the files holding the bytes before "
            f"DONE were: {shown or 'none'} — a copy, or no temporary at all",
            note=f"{got.responder.notes}; {got.describe()}",
        )
        failure.violates = ("APP-STORE-2",)
        raise failure
