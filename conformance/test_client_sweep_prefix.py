"""Clients of BOTH profiles: the stale-temporary sweep removes temporaries, nothing else.

[APP-STORE-3] An initiator removes, in its output directory, the `.sft-partial-*` files
nobody has written to for longer than the idle timeout; the prefix is fixed "so that the
sweep of APP-STORE-3 and APP-NAME-9 mean the same thing for every implementation". A
file whose name merely CONTAINS `sft-partial-` (`notes.sft-partial-2024.txt`), lacks the
leading dot, or differs in case is the user's, however old: a sweep that matches by
substring, glob (`*sft-partial-*`) or case-blind deletes it. The case plants such
day-old files in the client's output directory, lets it complete an honest get, and
requires every one of them intact (test_pki_initiator_transfer.py and
test_eke_client_transfer.py judge that the real temporaries go).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_sweep_idle_age import eke_get_into
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_DAY = 86400.0
# The user's files: old, and each holding `sft-partial-` somewhere but not as the prefix.
_USERS_FILES = (
    "notes.sft-partial-2024.txt",
    "sft-partial-without-the-dot",
    ".SFT-PARTIAL-upper-case",
    ".sft-partial",  # the prefix without its final dash
)
_NAME = "offered.txt"
_CONTENT = b"the file the server offers\n"
_TIMEOUT = 5.0


def _plant(outdir: Path) -> dict[str, bytes]:
    old = time.time() - _DAY
    planted = {}
    for name in _USERS_FILES:
        body = f"the user's own file {name}\n".encode()
        (outdir / name).write_bytes(body)
        os.utime(outdir / name, (old, old))
        planted[name] = body
    return planted


def _judge(outdir: Path, planted: dict[str, bytes], note: str) -> None:
    gone = []
    for name, body in planted.items():
        path = outdir / name
        if not path.is_file() or path.read_bytes() != body:
            gone.append(name)
    if gone:
        raise ConformanceFailure.evidence(
            "APP-STORE-3: a get into a directory holding day-old files whose names contain "
            f"'sft-partial-' without starting with '.sft-partial-': {list(planted)}",
            "every one of them intact (only .sft-partial-* temporaries are swept)",
            f"removed or changed: {gone}",
            note=note,
        )


@pytest.mark.req("APP-STORE-3", "APP-NAME-9")
@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
def test_eke_client_sweeps_only_its_prefix(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    planted = _plant(outdir)
    _judge(outdir, planted, eke_get_into(eke_target, tmp_path, transcripts, outdir))


@pytest.mark.req("APP-STORE-3", "APP-NAME-9")
@pytest.mark.profile("pki")
def test_pki_initiator_sweeps_only_its_prefix(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    planted: dict[str, bytes] = {}

    def prepare(outdir: Path) -> None:
        planted.update(_plant(outdir))

    got = pki_lies._run_lie(target, tmp_path, transcripts, pki_lies._honest, prepare=prepare)
    run = got.run
    if (
        not run.succeeded
        or not run.kept_file
        or hashlib.sha256(run.out.read_bytes()).hexdigest() != pki_lies.DIGEST
    ):
        raise RuntimeError(f"the honest get the case relies on failed: {got.describe()}")
    _judge(run.out.parent, planted, got.describe())
