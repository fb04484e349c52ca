"""An initiator's sweep of stale temporaries judges their age the same in every time zone
(SPEC §3.6 APP-STORE-3), both profiles.

"An initiator removes those [`.sft-partial-*` files] in its output directory that nobody
has written to for longer than the idle timeout (LIM-2): another initiator may be writing
a live one in the same directory. It MAY wait longer — up to 10 minutes, or its idle
timeout if that is longer." A file's modification time is an instant; the age is the
current instant minus it, whatever the machine's time zone. A sweep that computes "now"
from a naive broken-down UTC time read back as local time (Python's
`datetime.utcnow().timestamp()`, C's `mktime(gmtime(&t))`), or that mixes local and UTC
broken-down times, is off by the zone's offset: west of UTC it removes another
initiator's live temporary (its cutoff lies hours in the future); east of UTC it leaves
temporaries killed runs abandoned hours ago. On a developer's machine or a CI runner in
UTC both look right; the other sweep cases run in the machine's zone.

The suite plants a live `.sft-partial-…` (written just before the client starts) and a
stale one (last written 2 hours earlier, well past the 10 minutes the SPEC lets an
initiator wait), runs an honest get with `TZ` set to 12 hours west of UTC (slow run: 14
hours east too; POSIX TZ strings, no zone database needed), and requires the live one kept
with its content and the stale one gone. When the client command sets an idle timeout
itself (`--idle-timeout N`, `idle_timeout=N`) the case runs only if the stale one is
older than N by a margin (SKIP otherwise, or when N cannot be read), and judges the live
one only if N leaves the client 30 s to start and sweep.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import pytest

from conformance.eke_hostile import (
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_sweep_idle_age import eke_get_into, pki_get_into
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.bin"
CONTENT = bytes(range(256)) * 4
DIGEST = hashlib.sha256(CONTENT).hexdigest()
LIVE = ".sft-partial-71me2one0f0ther11ve"
STALE = ".sft-partial-71me2one0ld0abandoned"
LIVE_BODY = b"another initiator's download, being written now\n"
STALE_BODY = b"a download a killed run abandoned two hours ago\n"
_STALE_AGE = 7200.0  # seconds: far past the 10 minutes an initiator MAY wait
_MARGIN = 600.0
_LIVE_MARGIN = 30.0  # seconds: the client's start and run, under load, before its sweep
_TIMEOUT = 5.0
# POSIX TZ strings (no zone database): the sign is west-positive.
_ZONES = {"utc-12": "<-12>12", "utc+14": "<+14>-14"}
# West of UTC in the default run (a live temporary swept is the harm); east in the slow run.
_ZONE_PARAMS = ["utc-12", pytest.param("utc+14", marks=pytest.mark.slow)]
_IDLE_OPTION = re.compile(r"idle[-_]?timeout[= ]+([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)


def _declared_idle(target: Target) -> tuple[float | None, str | None]:
    """The idle timeout the client command sets itself (None: its default), or a reason
    to SKIP: one the suite cannot read, or one under which the abandoned temporary may
    still be live."""
    template = (target.client_cmd or "").lower()
    if "idle" not in template:
        return None, None
    found = _IDLE_OPTION.search(template)
    if found is None:
        return None, "the client command sets an idle timeout the suite cannot read"
    idle = float(found.group(1))
    if idle > _STALE_AGE - _MARGIN:
        return idle, (
            f"the client command sets an idle timeout of {found.group(1)} s: a temporary "
            f"idle for {_STALE_AGE:g} s may still be live for it"
        )
    return idle, None


def _plant(outdir: Path, name: str, body: bytes, age: float) -> Path:
    path = outdir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, body)
    finally:
        os.close(fd)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def _judge(zone: str, live: Path | None, stale: Path, outdir: Path, note: str) -> None:
    problems = []
    if live is not None and not (live.exists() and live.read_bytes() == LIVE_BODY):
        problems.append(f"{LIVE} (written just before the client started) was removed or changed")
    if stale.exists():
        problems.append(f"{STALE} (last written {_STALE_AGE / 3600:g} h before) was kept")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: a get with TZ={_ZONES[zone]} ({zone}) into a directory holding a "
            f"live temporary and one abandoned {_STALE_AGE / 3600:g} h ago",
            "the live temporary kept, the abandoned one removed: a file's age is the same "
            "instant difference in every time zone",
            "; ".join(problems)
            + f"; the directory holds {sorted(p.name for p in outdir.iterdir())}",
            note=note,
        )


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("zone", _ZONE_PARAMS)
def test_pki_initiator_sweep_judges_age_alike_in_every_time_zone(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    zone: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    idle, reason = _declared_idle(target)
    if reason:
        pytest.skip(reason)
    outdir = tmp_path / "out"
    outdir.mkdir()
    stale = _plant(outdir, STALE, STALE_BODY, _STALE_AGE)
    # A client given a short idle timeout may rightly find a temporary written just before
    # it started stale by the time it sweeps: then only the abandoned one is judged.
    live = _plant(outdir, LIVE, LIVE_BODY, 0.0) if idle is None or idle >= _LIVE_MARGIN else None
    note = pki_get_into(target, tmp_path, transcripts, outdir, {"TZ": _ZONES[zone]})
    _judge(zone, live, stale, outdir, note)


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("zone", _ZONE_PARAMS)
def test_client_sweep_judges_age_alike_in_every_time_zone(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    zone: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    idle, reason = _declared_idle(eke_target)
    if reason:
        pytest.skip(reason)
    outdir = tmp_path / "out"
    outdir.mkdir()
    stale = _plant(outdir, STALE, STALE_BODY, _STALE_AGE)
    # A client given a short idle timeout may rightly find a temporary written just before
    # it started stale by the time it sweeps: then only the abandoned one is judged.
    live = _plant(outdir, LIVE, LIVE_BODY, 0.0) if idle is None or idle >= _LIVE_MARGIN else None
    note = eke_get_into(eke_target, tmp_path, transcripts, outdir, {"TZ": _ZONES[zone]})
    _judge(zone, live, stale, outdir, note)
