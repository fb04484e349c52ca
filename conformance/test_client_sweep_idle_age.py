"""An initiator's sweep spares a temporary that has been idle for LESS than the idle
timeout (SPEC §3.6 APP-STORE-3, LIM-2), both profiles.

"An initiator removes those [`.sft-partial-*` files] in its output directory that nobody
has written to for longer than the idle timeout (LIM-2): another initiator may be writing
a live one in the same directory." The other sweep cases plant a live temporary written
a moment ago (or with a modification time ahead of the clock) and a stale one a day old:
a sweep whose age limit is some other, shorter constant — the handshake timeout (LIM-1,
10 s), a connect timeout, a minute read as seconds of another unit, a few seconds "to be
safe" — passes both. Another initiator whose responder paused for 20 s (well within the
60 s idle timeout, LIM-2's default) still owns its temporary: removing it breaks that
initiator's get.

The suite plants `.sft-partial-…` last written 20 s before the client starts (mode 0600,
as APP-STORE-1 makes them), runs an honest get, and requires the file still there with
its content. The client under test runs with its own default idle timeout, LIM-2's 60 s
(the target's declared idle timeout is its responder's); when the client command sets an
idle timeout itself (`--idle-timeout N`, `idle_timeout=N`), the case runs only if N is
above the planted age by a margin, and is SKIP otherwise or when N cannot be read.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki, responder_alias, run_initiator_watched
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    run_case,
    serve_records,
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
CONTENT = bytes(range(256)) * 4
DIGEST = hashlib.sha256(CONTENT).hexdigest()
IDLE = ".sft-partial-1d1e20s0f0ther0c11e0t"
IDLE_BODY = b"another initiator's download, paused by its responder\n"
_AGE = 20.0  # seconds since its last write: above LIM-1's 10 s, a third of LIM-2's 60 s
_SPEC_IDLE = 60.0  # LIM-2's default idle timeout
_TIMEOUT = 5.0


_IDLE_OPTION = re.compile(r"idle[-_]?timeout[= ]+([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)
_MARGIN = 30.0  # the client's start and run, under load, before its sweep


def _skip_reason(target: Target) -> str | None:
    template = target.client_cmd or ""
    if "idle" in template.lower():
        found = _IDLE_OPTION.search(template)
        if found is None:
            return "the client command sets an idle timeout the suite cannot read"
        if float(found.group(1)) < _AGE + _MARGIN:
            return (
                f"the client command sets an idle timeout of {found.group(1)} s: a temporary "
                f"idle for {_AGE:g} s may be stale for it"
            )
    # The target's declared idle timeout is its RESPONDER's (the embedded one's is short,
    # for speed); a client given no option runs with its own default.
    return None


def _plant(outdir: Path) -> Path:
    path = outdir / IDLE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, IDLE_BODY)
    finally:
        os.close(fd)
    then = time.time() - _AGE
    os.utime(path, (then, then))
    return path


def _judge(path: Path, outdir: Path, note: str) -> None:
    if path.exists() and path.read_bytes() == IDLE_BODY:
        return
    age = f"last written {_AGE:g} s before the client started"
    raise ConformanceFailure.evidence(
        f"APP-STORE-3: a get into a directory holding {IDLE} ({age}; LIM-2's idle "
        f"timeout: {_SPEC_IDLE:g} s by default)",
        "the temporary is kept: it was written to within the idle timeout, another "
        "initiator's live download",
        f"{IDLE} was removed or changed; the directory holds "
        f"{sorted(p.name for p in outdir.iterdir())}",
        note=note,
    )


def eke_get_into(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    outdir: Path,
    env: dict[str, str] | None = None,
) -> str:
    """An honest get of NAME by the eke client under test into `outdir` (an ERROR if it
    fails: the sweep rules are exercised through a whole get), `env` added to its
    environment; what it did."""
    password = fresh_password()
    pw = eke_pw(client_user(target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = run_case(
        target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
        outdir=outdir,
        env=env,
    )
    if not case.result.succeeded or not case.result.kept_file:
        raise RuntimeError(f"the client did not complete an honest get\n{case.describe()}")
    return case.describe()


def pki_get_into(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    outdir: Path,
    env: dict[str, str] | None = None,
) -> str:
    """The same for the sft-pki/1 initiator under test; what it did."""
    asked: list[bool] = []
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=_honest_pki(asked),
        out=outdir / "received.bin",
        name=NAME,
        client_env=env,
    )
    if hostile.script_errors or not asked or not run.succeeded:
        raise RuntimeError(
            "the initiator did not complete an honest get: "
            f"{hostile.script_errors or run.describe()}"
        )
    return run.describe()


@pytest.mark.req("APP-STORE-3")
def test_client_spares_a_temporary_idle_for_less_than_the_idle_timeout(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if reason := _skip_reason(eke_target):
        pytest.skip(reason)
    outdir = tmp_path / "out"
    outdir.mkdir()
    idle = _plant(outdir)
    _judge(idle, outdir, eke_get_into(eke_target, tmp_path, transcripts, outdir))


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
def test_pki_initiator_spares_a_temporary_idle_for_less_than_the_idle_timeout(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if reason := _skip_reason(target):
        pytest.skip(reason)
    outdir = tmp_path / "out"
    outdir.mkdir()
    idle = _plant(outdir)
    _judge(idle, outdir, pki_get_into(target, tmp_path, transcripts, outdir))
