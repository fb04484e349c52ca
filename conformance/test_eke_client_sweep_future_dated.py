"""An sft-eke/1 CLIENT's sweep spares a temporary dated in the future (SPEC APP-STORE-3).

"An initiator removes those [`.sft-partial-*` files] in its output directory that nobody
has written to for longer than the idle timeout (LIM-2): another initiator may be writing
a live one in the same directory." A temporary whose modification time lies ahead of the
client's clock was written by another initiator whose clock runs ahead (another machine
sharing the directory over NFS, a clock stepped back since): nothing shows that nobody has
written to it for longer than the idle timeout, so the sweep leaves it. A sweep that takes
the age regardless of its sign (`abs(now - mtime) > limit`, "a big clock difference means
stale") removes it when the skew passes the limit, and with it a live download.

test_eke_client_transfer.py's sweep case dates its live temporary two minutes ahead (below
any sweep limit); this one an hour ahead (and, slow, a day), mode 0600 as APP-STORE-1 makes
them, beside a day-old stale one, and runs an honest get: the future-dated one must still
be there with its content. (The day-old one is judged by the other sweep cases.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_sweep_idle_age import eke_get_into
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

AHEAD = ".sft-partial-f0ture0dated0by0a0fast0clock"
BODY = b"another initiator's download; its machine's clock runs ahead\n"
STALE = ".sft-partial-5ta1e0d0y0old0leftover"

_AHEAD_BY = {"one-hour-ahead": 3600.0, "one-day-ahead": 86400.0}
_SLOW = frozenset({"one-day-ahead"})


def _plant(outdir: Path, ahead_by: float) -> Path:
    path = outdir / AHEAD
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, BODY)
    finally:
        os.close(fd)
    later = time.time() + ahead_by
    os.utime(path, (later, later))
    stale = outdir / STALE
    stale.write_bytes(b"left by a killed run")
    old = time.time() - 86400.0
    os.utime(stale, (old, old))
    return path


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, id=k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _AHEAD_BY],
)
def test_client_sweep_spares_a_temporary_dated_in_the_future(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    skip_slow_variant(request)
    # (Whatever idle timeout the client runs with: a negative age is below every one.)
    outdir = tmp_path / "out"
    outdir.mkdir()
    ahead_by = _AHEAD_BY[kind]
    path = _plant(outdir, ahead_by)
    note = eke_get_into(eke_target, tmp_path, transcripts, outdir)
    if path.exists() and path.read_bytes() == BODY:
        return
    raise ConformanceFailure.evidence(
        f"APP-STORE-3: a get into a directory holding {AHEAD}, last written {ahead_by:g} s "
        "ahead of the client's clock (another initiator's clock runs ahead)",
        "the temporary is kept: nothing shows that nobody wrote to it for longer than the "
        "idle timeout (its age is negative)",
        f"{AHEAD} was removed or changed; the directory holds "
        f"{sorted(p.name for p in outdir.iterdir())}",
        note=note,
    )
