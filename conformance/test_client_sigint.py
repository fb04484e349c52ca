"""An initiator interrupted by SIGINT (Ctrl-C) mid-get removes its temporary file (SPEC
§3.6 APP-STORE-3, APP-STORE-5), both profiles.

APP-STORE-3: "On any failure — integrity, truncation, timeout, error, crash of the peer, a
signal the receiver survives long enough to handle (SIGTERM, SIGINT) — the receiver MUST
remove the temporary file; nothing may remain under the final name." The lying-get
cases stop the client with SIGKILL and SIGTERM only; SIGINT is the signal a user sends
(Ctrl-C on the terminal where `get` runs), and a client may treat it apart: a SIGTERM
handler installed and SIGINT left to the runtime's default, or a Ctrl-C handler that
exits at once (`os._exit`, `process.exit()`, `System.exit` from a signal thread that
skips the cleanup) — the temporary file of an interrupted download stays in the user's
directory.

The lie is the one of the SIGTERM cases: RSFL and all bytes but the last, then the last
one without DONE, the output directory looked at meanwhile; then SIGINT to the client,
which MUST end (bounded wait) leaving nothing under the final name and no
`.sft-partial-*` file. A client that ignores SIGINT (it survives it; the wait ends and
the responder closes the connection, a truncation) is judged the same way: whatever it
does, its temporary file must go.

The client process is started with SIGINT at its default disposition: a process whose
SIGINT is ignored (a background job of a non-interactive shell) passes that on to its
children, and a client that inherits it has no Ctrl-C to handle. The case restores the
default in the suite's process for the run when it finds SIGINT ignored there.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_get
from conformance import test_pki_initiator_transfer as pki_get
from conformance._wire_fixtures import leftovers
from conformance.lying_get import client_tmpdir_env
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.side("initiator")]


@contextlib.contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    """SIGINT at a catchable disposition in this process while the client starts, so the
    child does not inherit SIG_IGN (only the main thread may change it)."""
    if (
        signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _evidence(problems: list[str], notes: str) -> ConformanceFailure:
    return ConformanceFailure.evidence(
        f"APP-STORE-3/APP-STORE-5: a get interrupted by SIGINT (Ctrl-C) after all "
        f"{eke_get.SIZE} bytes but before DONE",
        "the client removes its temporary file (SIGINT is a signal it survives long enough "
        "to handle) and keeps nothing under the final name",
        "; ".join(problems),
        note=notes,
    )


@pytest.mark.req("APP-STORE-3", "APP-STORE-5")
def test_eke_client_interrupted_by_sigint_leaves_nothing(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    tmpdir = tmp_path / "client-tmpdir"
    tmpdir.mkdir()
    with _sigint_not_ignored():
        case, server = eke_get._run_lie(
            eke_target,
            tmp_path,
            transcripts,
            eke_get._probe_then_kill(signal.SIGINT, process, tmpdir),
            started=process.append,
            env=client_tmpdir_env(tmpdir),
        )
    problems = [n for n in server.notes if not n.startswith("(")]
    if case.result.kept_file:
        problems.append(
            f"APP-STORE-5: after SIGINT mid-transfer, {case.result.out.name} exists "
            f"({case.result.out.stat().st_size} bytes)"
        )
    if case.leftovers:
        problems.append(f"APP-STORE-3: after SIGINT, {case.leftovers} remain")
    if problems:
        raise _evidence(problems, f"{server.notes}; {case.describe()}")


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3", "APP-STORE-5")
def test_pki_initiator_interrupted_by_sigint_leaves_nothing(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    process: list[subprocess.Popen[bytes]] = []
    ready = threading.Event()

    def started(popen: subprocess.Popen[bytes]) -> None:
        process.append(popen)
        ready.set()

    tmpdir = tmp_path / "client-tmpdir"
    tmpdir.mkdir()
    with _sigint_not_ignored():
        got = pki_get._run_lie(
            target,
            tmp_path,
            transcripts,
            pki_get._probe_then_kill(signal.SIGINT, process, ready, tmpdir),
            started=started,
            client_env=client_tmpdir_env(tmpdir),
        )
    notes = got.responder.notes
    problems = [n for n in notes if not n.startswith("(")]
    if got.run.kept_file:
        problems.append(
            f"APP-STORE-5: after SIGINT mid-transfer, {got.run.out.name} exists "
            f"({got.run.out.stat().st_size} bytes)"
        )
    left = leftovers(got.run)
    if left:
        problems.append(f"APP-STORE-3: after SIGINT, {left} remain")
    if problems:
        raise _evidence(problems, f"{notes}; {got.describe()}")
