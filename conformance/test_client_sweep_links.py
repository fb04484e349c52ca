"""Clients of BOTH profiles: the stale-temporary sweep never acts through a symbolic link
(SPEC APP-STORE-3, APP-GET-6).

[APP-STORE-3] An initiator removes, in its OUTPUT DIRECTORY, the `.sft-partial-*` files
nobody has written to for longer than the idle timeout. An entry of that name may be a
symbolic link (planted by another user of a shared directory, or left by a tool): the
sweep may remove the link itself or leave it, but what the link points to is not in the
output directory and is not a temporary. A sweep that "resolves each entry to be safe"
(`Path.resolve()`, `realpath`, `os.stat` then `unlink` of the resolved path) deletes a
file anywhere the link points — the user's own files, through a link someone else made
(and APP-GET-6's rule that a client never writes through a link it did not make).

The case plants, a day old (link and target alike), a `.sft-partial-*` link to a file
outside the output directory and a dangling `.sft-partial-*` link, lets the client
complete an honest get (with its sweep), and requires the link's target intact and the
get done. test_client_sweep_prefix.py pins the names the sweep may touch.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_sweep_idle_age import eke_get_into, pki_get_into
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_DAY = 86400.0
_VICTIM = b"a file outside the output directory, which no sweep may touch\n"


def _plant(tmp_path: Path, outdir: Path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_bytes(_VICTIM)
    old = time.time() - _DAY
    os.utime(victim, (old, old))
    links = {
        ".sft-partial-link-to-a-file": victim,
        ".sft-partial-dangling-link": outside / "nothing-here",
    }
    for name, target in links.items():
        (outdir / name).symlink_to(target)
        os.utime(outdir / name, (old, old), follow_symlinks=False)
    return victim


def _judge(victim: Path, note: str) -> None:
    if not victim.is_file() or victim.is_symlink() or victim.read_bytes() != _VICTIM:
        state = "gone" if not victim.exists() else f"changed ({victim.stat().st_size} bytes)"
        raise ConformanceFailure.evidence(
            "APP-STORE-3: a get into a directory holding a day-old symbolic link "
            f".sft-partial-link-to-a-file -> {victim} (outside the output directory)",
            "the link's target intact: the sweep removes temporaries of the output "
            "directory (the link itself may go), never what a link points to",
            f"the target is {state}",
            note=note,
        )


@pytest.mark.req("APP-STORE-3")
@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
def test_eke_client_sweep_does_not_follow_links(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    victim = _plant(tmp_path, outdir)
    _judge(victim, eke_get_into(eke_target, tmp_path, transcripts, outdir))


@pytest.mark.req("APP-STORE-3")
@pytest.mark.profile("pki")
def test_pki_initiator_sweep_does_not_follow_links(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    victim = _plant(tmp_path, outdir)
    _judge(victim, pki_get_into(target, tmp_path, transcripts, outdir))
