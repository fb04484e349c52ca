"""Where and under which name an INITIATOR writes a get's temporary file (SPEC §3.6
APP-STORE-1), both profiles.

APP-STORE-1: incoming data goes to a temporary file *in the destination directory*,
named `.sft-partial-` followed by a *random part*, created exclusively with mode 0600.
The lying-get cases (test_eke_client_transfer.py, test_pki_initiator_transfer.py) watch
the output directory, and the client's $TMPDIR; two mistakes escape them:

* a name that is the same every time — `.sft-partial-` plus the output's name, a hash
  of it, a counter — is no random part: two clients fetching into one directory collide
  (with O_EXCL the second fails; without it they write into one file), and a killed
  run's leftover blocks every later get of that name. The suite runs the same get twice
  (same request, same output name, each in a fresh directory), looks at the temporary
  while the transfer is under way, and FAILs when both runs used the same name;
* a temporary in the client's *working directory* (a relative `mkstemp`, a temp-file
  helper given no directory, `.sft-partial-X` opened without the output's directory):
  the run's directory fills with partial downloads, a rename across file systems turns
  into a copy under the final name. The suite starts the client in a directory of its
  own (through `/bin/sh -c 'cd DIR && exec CMD'`; relative paths of the template that
  exist from the suite's directory are made absolute first) and FAILs when the download's
  bytes show up there.

Each lying responder sends RSFL and all bytes but the last, looks (bounded by count and
by PROBE_BUDGET), then ends the connection: the get fails, as it must; what the client
leaves after that is judged by the lying-get cases, not here.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import _wire_fixtures, eke_hostile
from conformance import test_eke_client_transfer as eke_get
from conformance import test_pki_initiator_transfer as pki_get
from conformance.lying_get import PROBE_BUDGET, data_files_under, entries_while_transferring
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure
from sftkit.client_run import run_client as _run_launch

pytestmark = [pytest.mark.side("initiator")]

_PREFIX = ".sft-partial-"
CONTENT = eke_get.CONTENT
assert CONTENT == pki_get.CONTENT


class _Looker:
    """What one lie saw: the temporaries in the output directory, the notes."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.names: list[str] = []
        self.in_cwd: list[str] = []
        self.notes: list[str] = []
        self.cwd = cwd

    def look(self, outdir: Path) -> None:
        if self.cwd is None:
            entries = entries_while_transferring(outdir, self.notes)
            self.names = sorted(e.name for e in entries if e.name.startswith(_PREFIX))
            return
        # Until the output directory holds data (a right client's temporary) or the
        # budget ends: the download's bytes in the working directory are the finding.
        deadline = time.monotonic() + PROBE_BUDGET
        for _ in range(300):  # bounded by count and by PROBE_BUDGET
            if found := data_files_under(self.cwd, CONTENT):
                self.in_cwd = found
                return
            if any(_holds_data(e) for e in outdir.iterdir()) or time.monotonic() > deadline:
                return
            time.sleep(0.01)  # polling a directory another process writes; bounded above


def _holds_data(entry: Path) -> bool:
    try:
        return entry.is_file() and entry.stat().st_size > 0
    except OSError:  # renamed or removed meanwhile
        return False


def _eke_lie(looker: _Looker) -> Callable[[Any], None]:
    def lie(s: Any) -> None:
        s.rsfl(sha256=eke_get.DIGEST)
        s.data(CONTENT[:-1])
        looker.look(s.outdir)
        s.close()

    return lie


def _pki_lie(looker: _Looker) -> Callable[[Any], None]:
    def lie(r: Any) -> None:
        r.rsfl(sha256=pki_get.DIGEST)
        r.data(CONTENT[:-1])
        looker.look(r.outdir)
        r.close_notify()

    return lie


def _run(target: Target, where: Path, transcripts: TranscriptBook, looker: _Looker) -> str:
    where.mkdir()
    if target.profile == "eke":
        case, _server = eke_get._run_lie(target, where, transcripts, _eke_lie(looker))
        return case.describe()
    got = pki_get._run_lie(target, where, transcripts, _pki_lie(looker))
    return got.describe()


@pytest.mark.req("APP-STORE-1")
def test_initiator_temporary_name_has_a_random_part(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The same get twice: the temporary files' names must differ."""
    first, second = _Looker(), _Looker()
    one = _run(target, tmp_path / "first", transcripts, first)
    two = _run(target, tmp_path / "second", transcripts, second)
    if not first.names or not second.names:
        pytest.skip(
            "no `.sft-partial-` file seen in the output directory during the transfer "
            f"(judged by the lying-get cases): {first.notes} {second.notes}"
        )
    same = sorted(set(first.names) & set(second.names))
    if same:
        raise ConformanceFailure.evidence(
            "APP-STORE-1: the same get run twice (same name, same output name, each into a "
            "fresh directory), the output directory looked at during the transfer",
            "a temporary `.sft-partial-` + a random part: a different name in each run",
            f"both runs wrote to {same} (first run: {first.names}, second: {second.names})",
            note=f"first: {one}; second: {two}",
        )


def _absolute(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The template's relative paths that exist from here (a file, or a path with a
    `/`), made absolute: the client starts elsewhere. A module name (`-m NAME`) stays."""
    out: list[str] = []
    for arg in argv:
        path = Path(arg)
        module = bool(out) and out[-1] == "-m"
        relative = bool(arg) and not path.is_absolute() and not arg.startswith("-")
        if relative and not module and (path.is_file() or ("/" in arg and path.exists())):
            out.append(str(path.absolute()))
        else:
            out.append(arg)
    return tuple(out)


def _started_in(run: Callable[..., Any], cwd: Path) -> Callable[..., Any]:
    def wrapped(launch: Any, **kwargs: Any) -> Any:
        argv = ("/bin/sh", "-c", 'cd "$0" && exec "$@"', str(cwd), *_absolute(launch.argv))
        return run(dataclasses.replace(launch, argv=argv), **kwargs)

    return wrapped


@pytest.mark.req("APP-STORE-1")
def test_initiator_temporary_is_not_in_its_working_directory(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client started in a directory of the suite's, the output elsewhere: the
    download's bytes must go to the output directory, never to the working directory."""
    cwd = tmp_path / "client-cwd"
    cwd.mkdir()
    monkeypatch.setattr(eke_hostile, "run_launch", _started_in(_run_launch, cwd))
    monkeypatch.setattr(_wire_fixtures, "run_client", _started_in(_run_launch, cwd))
    looker = _Looker(cwd)
    seen = _run(target, tmp_path / "run", transcripts, looker)
    if looker.in_cwd:
        raise ConformanceFailure.evidence(
            "APP-STORE-1: a get with the client started in another directory than its "
            "output's, all bytes but the last sent",
            "the data goes to a temporary file in the output directory",
            f"the download's bytes are in {looker.in_cwd} in the client's working directory",
            note=seen,
        )
