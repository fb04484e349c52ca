"""An initiator's sweep removes a temporary idle for longer than 10 minutes (or its idle
timeout, if that is longer) — SPEC §3.6 APP-STORE-3's upper bound, both profiles.

"An initiator removes those [`.sft-partial-*` files] in its output directory that nobody
has written to for longer than the idle timeout (LIM-2) … It MAY wait longer — up to 10
minutes, or its idle timeout if that is longer." The other sweep cases plant stale
temporaries a day or two hours old: a sweep whose age limit is an hour, a day ("stale"
as a human would say it), or that looks at the creation/access time instead of the last
write, passes them, and leaves a crashed get's partial file (APP-STORE-5: SIGKILL cannot
remove it) in the user's directory for that long.

The suite plants `.sft-partial-…` last written 11 minutes before the client starts
(10 minutes plus a margin; more when the client command sets a longer idle timeout),
runs an honest get into that directory, and requires the file gone. A client command
that sets an idle timeout the suite cannot read is SKIP.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_sweep_idle_age import _IDLE_OPTION, eke_get_into, pki_get_into
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

STALE = ".sft-partial-5ta1e0e1even0m1nute5"
STALE_BODY = b"a get killed eleven minutes ago\n"
_UPPER = 600.0  # APP-STORE-3: the longest an initiator MAY wait, unless its idle timeout is
_MARGIN = 60.0  # above the bound: clock steps and a slow start of the client
_TIMEOUT = 5.0


def _age(target: Target) -> float:
    """The planted temporary's age: above max(10 min, the client's own idle timeout)."""
    template = target.client_cmd or ""
    if "idle" not in template.lower():
        return _UPPER + _MARGIN
    found = _IDLE_OPTION.search(template)
    if found is None:
        pytest.skip("the client command sets an idle timeout the suite cannot read")
    return max(_UPPER, float(found.group(1))) + _MARGIN


def _plant(outdir: Path, age: float) -> Path:
    path = outdir / STALE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, STALE_BODY)
    finally:
        os.close(fd)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def _judge(path: Path, outdir: Path, age: float, note: str) -> None:
    if not path.exists():
        return
    raise ConformanceFailure.evidence(
        f"APP-STORE-3: an honest get into a directory holding {STALE}, last written "
        f"{age:g} s before the client started",
        "the temporary is removed: nobody wrote to it for longer than 10 minutes (and the "
        "client's idle timeout); an initiator MAY wait that long, not longer",
        f"{STALE} is still there; the directory holds {sorted(p.name for p in outdir.iterdir())}",
        note=note,
    )


@pytest.mark.req("APP-STORE-3")
def test_client_removes_a_temporary_idle_for_over_ten_minutes(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    age = _age(eke_target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    stale = _plant(outdir, age)
    _judge(stale, outdir, age, eke_get_into(eke_target, tmp_path, transcripts, outdir))


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3")
def test_pki_initiator_removes_a_temporary_idle_for_over_ten_minutes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    age = _age(target)
    outdir = tmp_path / "out"
    outdir.mkdir()
    stale = _plant(outdir, age)
    _judge(stale, outdir, age, pki_get_into(target, tmp_path, transcripts, outdir))
