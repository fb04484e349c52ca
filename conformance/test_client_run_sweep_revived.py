"""Clients of BOTH profiles sweep stale temporaries by what they are when removed
(SPEC §3.6, APP-STORE-3).

"An initiator removes those [`.sft-partial-*`] in its output directory that nobody has
written to for longer than the idle timeout (LIM-2): another initiator may be writing a
live one in the same directory." The suite plants a temporary last written two hours ago
(stale by any idle timeout) in the output directory and starts a get. A client may sweep
it at once (the reference does, before it connects). If it is still there once the
client has connected, the suite writes to it again and keeps writing while the get runs,
as another initiator resuming it would: from then on it is live, and the client must not
remove it. A client that lists the stale temporaries at start and removes them after the
get without looking at them again removes a live one.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from conformance import test_client_run_temporaries as temps
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
from conformance.test_pki_initiator_transfer import LyingResponder, _honest, _run_lie
from conformance.wire import ConformanceFailure, RawConnection

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_AGE = 2 * 3600.0  # the planted temporary's age: stale for any idle timeout up to 2 h


class _Revival:
    """A stale temporary that another initiator resumes once the client has connected."""

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / f"{temps._PREFIX}{secrets.token_hex(12)}"
        self.path.write_bytes(temps._OTHERS)
        self.path.chmod(0o600)
        old = time.time() - _AGE
        os.utime(self.path, (old, old))
        self.revived_at: float | None = None
        self._kept: temps._KeptLive | None = None

    def revive(self) -> None:
        if self.revived_at is not None or not self.path.exists():
            return  # swept at start (allowed: it was stale then), or already revived
        with open(self.path, "ab") as f:
            f.write(b"resumed by another initiator\n")
        self.revived_at = time.monotonic()
        self._kept = temps._KeptLive(self.path)

    def stop(self) -> None:
        if self._kept is not None:
            self._kept.stop()

    def judge(self, what: str, note: str) -> None:
        if self.revived_at is None or self.path.exists():
            return
        raise ConformanceFailure.evidence(
            what,
            "a temporary written to while the client ran is live: it is left alone (a "
            "stale one may be removed, judged when it is removed)",
            f"{self.path.name}, written to again once the client had connected and every "
            f"0.2 s after, is gone ({time.monotonic() - self.revived_at:.1f} s after it was "
            "resumed)",
            note=note,
        )


_WHAT = (
    "APP-STORE-3: a get into a directory holding a temporary last written {age:.0f} s ago, "
    "which another initiator resumes once the client has connected"
)


@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("APP-STORE-3")
def test_eke_initiator_never_sweeps_a_temporary_resumed_meanwhile(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    outdir = tmp_path / "out"
    outdir.mkdir()
    revival = _Revival(outdir)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        revival.revive()
        channel = establish(raw, view, pw, temps._TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {temps._EKE_NAME: temps._EKE_CONTENT}, temps._TIMEOUT)

    try:
        case = run_case(
            eke_target,
            tmp_path,
            transcripts,
            behaviour,
            name=temps._EKE_NAME,
            password=password,
            outdir=outdir,
            timeout=temps._TIMEOUT,
        )
    finally:
        revival.stop()
    revival.judge(_WHAT.format(age=_AGE), case.describe())


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3")
def test_pki_initiator_never_sweeps_a_temporary_resumed_meanwhile(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    revivals: list[_Revival] = []

    def prepare(outdir: Path) -> None:
        revivals.append(_Revival(outdir))

    def lie(peer: LyingResponder) -> None:
        revivals[0].revive()
        _honest(peer)

    try:
        got = _run_lie(pki_target, tmp_path, transcripts, lie, prepare=prepare)
    finally:
        for each in revivals:
            each.stop()
    revivals[0].judge(_WHAT.format(age=_AGE), got.describe())
