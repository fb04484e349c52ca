"""An initiator's sweep of stale temporaries spares a live one (SPEC §3.6, APP-STORE-3).

"An initiator removes those [`.sft-partial-*` files] in its output directory that nobody
has written to for longer than the idle timeout (LIM-2): another initiator may be writing
a live one in the same directory." The case beside it (test_eke_client_transfer.py) plants
its live temporary (and so does test_pki_initiator_transfer.py for the pki initiator) with
a modification time ahead of the clock, so a client whose start
is slow does not see it turn stale; a sweep that compares `age >= 0` (a stale-age of
zero: "remove every leftover", the responder's own start-up sweep reused) spares such a
file, since its age is negative. Here the live temporary is really live: the suite keeps
appending to it, every `_TICK` seconds, for the whole run of the client, as another
client fetching into the same directory would, so its age never exceeds a fraction of
a second while the client runs. Whatever the client's stale-age rule, as long as it is
the idle timeout (or longer), that file must survive, and go on being written. Both
profiles' initiators: the eke client against a hostile eke server, the pki initiator
against a hostile pki responder, each answering the get honestly.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki, responder_alias, run_initiator_watched
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
)
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.bin"
CONTENT = bytes(range(256)) * 8
DIGEST = hashlib.sha256(CONTENT).hexdigest()
LIVE = ".sft-partial-5ee1ab1e0fc0ffee5ee1ab1e"
_TIMEOUT = 5.0
_TICK = 0.05  # how often the other "client" writes to its live temporary
_MIN_IDLE = 1.0  # below this idle timeout a file written _TICK ago is too close to stale


class _LiveWriter:
    """Another initiator's temporary in the same directory, appended to until stopped.
    It never re-creates the file: once removed, it notes when and stops."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writes = 0
        self.removed_after: int | None = None
        self._stop = threading.Event()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"being written by another client\n")
        os.close(fd)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(_TICK):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            except FileNotFoundError:
                self.removed_after = self.writes
                return
            try:
                os.write(fd, b".")
            finally:
                os.close(fd)
            self.writes += 1

    def __enter__(self) -> _LiveWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def _honest(pw: bytes) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        rsfl = {"name": NAME, "size": len(CONTENT), "sha256": DIGEST}
        channel.send_raw(frame_bytes("RSFL", control(rsfl)))
        channel.send_raw(frame_bytes("DATA", CONTENT))
        channel.send_raw(frame_bytes("DONE", control({"size": len(CONTENT), "sha256": DIGEST})))
        read_inner(channel, view, _TIMEOUT)  # the client's BYE_ or its close

    return behaviour


def _live_writer_removed(writer: _LiveWriter, idle_timeout: float, note: str) -> None:
    if writer.removed_after is not None or not writer.path.exists():
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: {LIVE} in the initiator's output directory, appended to every "
            f"{_TICK:g} s by another initiator for the whole run (idle timeout "
            f"{idle_timeout:g} s)",
            "the initiator leaves it alone: it was written to a moment ago, so it is live",
            f"it was removed (after {writer.removed_after} appends)"
            if writer.removed_after is not None
            else "it is gone",
            note=note,
        )


@pytest.mark.req("APP-STORE-3")
def test_client_spares_a_temporary_being_written(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A get into a directory where another client is writing its `.sft-partial-*` right
    now: the client under test completes its get and leaves that file alone."""
    if eke_target.limits.idle_timeout < _MIN_IDLE:
        pytest.skip(f"idle timeout {eke_target.limits.idle_timeout} s: too short to tell live")
    outdir = tmp_path / "out"
    outdir.mkdir()
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    with _LiveWriter(outdir / LIVE) as writer:
        case = run_case(
            eke_target,
            tmp_path,
            transcripts,
            _honest(pw),
            name=NAME,
            password=password,
            outdir=outdir,
        )
    _live_writer_removed(writer, eke_target.limits.idle_timeout, case.describe())
    if not case.result.succeeded:
        # The sweep rule was not exercised through a whole get (ERROR, not a verdict).
        raise RuntimeError(f"the client did not complete an honest get\n{case.describe()}")


def _honest_pki(asked: list[bool]) -> Callable[[PkiChannel], None]:
    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame(deadline_after(_TIMEOUT))
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        asked.append(True)
        rsfl = {"name": NAME, "size": len(CONTENT), "sha256": DIGEST}
        channel.send_raw(frame_bytes("RSFL", control(rsfl)))
        channel.send_raw(frame_bytes("DATA", CONTENT))
        channel.send_raw(frame_bytes("DONE", control({"size": len(CONTENT), "sha256": DIGEST})))
        event = channel.recv_frame(deadline_after(_TIMEOUT))  # BYE_, or the end
        if isinstance(event, ReceivedFrame) and event.type == b"BYE_":
            channel.send_raw(frame_bytes("BYE_", control({})))  # the echo (APP-BYE-1)

    return script


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3")
def test_pki_initiator_spares_a_temporary_being_written(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The pki initiator's get into a directory where another initiator is writing its
    `.sft-partial-*` right now: the get completes and that file is left alone."""
    if target.limits.idle_timeout < _MIN_IDLE:
        pytest.skip(f"idle timeout {target.limits.idle_timeout} s: too short to tell live")
    outdir = tmp_path / "out"
    outdir.mkdir()
    asked: list[bool] = []
    with _LiveWriter(outdir / LIVE) as writer:
        run, hostile = run_initiator_watched(
            target,
            tmp_path,
            transcripts,
            cert=lab_pki(target).employee(responder_alias(target)),
            script=_honest_pki(asked),
            out=outdir / "received.bin",
            name=NAME,
        )
    _live_writer_removed(writer, target.limits.idle_timeout, run.describe())
    if hostile.script_errors or not asked or not run.succeeded:
        raise RuntimeError(
            "the initiator did not complete an honest get: "
            f"{hostile.script_errors or run.describe()}"
        )
