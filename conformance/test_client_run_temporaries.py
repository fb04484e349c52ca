"""The temporary file of a get, for both initiators, on two paths the other cases do not
take (docs/SPEC.md §3.6 APP-STORE-1, APP-STORE-3):

- another initiator's live temporary in the output directory (a `.sft-partial-*` file
  written a moment ago): the initiator under test MUST make its own temporary, created
  exclusively (`O_EXCL`) [APP-STORE-1], and leave the other one alone — not remove it (it
  is live, APP-STORE-3), not write into it, not rename it to its output. A client that
  "resumes" a recent temporary of the directory (its own earlier attempt, it assumes)
  appends the download to another transfer's bytes and takes that file away;
- the local disk refuses the bytes: the client runs with a file-size limit
  (RLIMIT_FSIZE, 256 KiB, through a small wrapper that sets it and leaves SIGXFSZ at its
  default) and the honest responder serves 1 MiB, so its writes fail (EFBIG) or it is
  killed by SIGXFSZ. A client that survives MUST remove its temporary file: "On any
  failure ... the receiver MUST remove the temporary file; nothing may remain under the
  final name" [APP-STORE-3]; one that exits at once from its write error (`err(3)`,
  `_exit`) leaves it. A client killed by the signal is not judged (it cannot clean up:
  APP-STORE-5's sweep covers it);
- the connection is reset (a TCP RST) in the middle of the data, once the client's file
  is in the output directory: the get fails, and the client MUST remove its temporary
  [APP-STORE-3]. The other cases end the stream with `close_notify`, a FIN or an EROR,
  which a client's protocol layer reports as a protocol failure; a reset comes out of
  the socket as an operating-system error, and a client that cleans up only what it
  classifies as a transfer failure leaves its temporary.

Fixtures (conformance/plugin.py): `eke_target`, `pki_target` (lab mode), `tmp_path`,
`transcripts`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shlex
import socket
import struct
import sys
import threading
import uuid
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    _run_initiator_once,
    lab_pki,
    responder_alias,
)
from conformance._wire_fixtures import (
    client_template as pki_client_template,
)
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    run_case,
    run_client,
    serve_records,
)
from conformance.eke_hostile import (
    client_template as eke_client_template,
)
from conformance.lying_get import entries_while_transferring
from conformance.pki_channel import ALPN, HostileResponder, server_context
from conformance.plugin import TranscriptBook, inconclusive
from conformance.target import Target
from conformance.test_pki_initiator_transfer import (
    CONTENT,
    NAME,
    LyingResponder,
    _honest,
    _honest_of,
    _run_lie,
    _script,
)
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_PREFIX = ".sft-partial-"
_TIMEOUT = 5.0
_EKE_NAME = "fresh.bin"
_EKE_CONTENT = bytes(range(256)) * 24
_OTHERS = b"another initiator's bytes, being written right now\n" * 60


# --- another initiator's live temporary ------------------------------------------------------


def _plant(outdir: Path) -> Path:
    live = outdir / f"{_PREFIX}{secrets.token_hex(12)}"
    live.write_bytes(_OTHERS)
    live.chmod(0o600)
    return live


class _KeptLive:
    """Keeps a planted temporary live while the initiator runs: its modification time is
    refreshed every 0.2 s, as another initiator still writing it would. APP-STORE-3 lets
    an initiator remove temporaries "that nobody has written to for longer than the idle
    timeout", and its own idle timeout may be short (LIM-2 is configurable): a temporary
    planted once and left alone is stale to it after that long, not live."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kept-live", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)


def _judge_live(live: Path, out: Path, served: bytes, what: str, note: str) -> None:
    kept = out.read_bytes() if out.is_file() else None
    problems: list[str] = []
    reqs: set[str] = set()
    if kept is not None and kept != served:
        mixed = _OTHERS[:64] in kept
        problems.append(
            f"the output holds {len(kept)} bytes, not the {len(served)} served"
            + (" (with the other temporary's bytes in it)" if mixed else "")
        )
        reqs.add("APP-STORE-1")
    if not live.exists():
        problems.append(f"the other initiator's live temporary {live.name} is gone")
        reqs.add("APP-STORE-1" if kept is not None and kept != served else "APP-STORE-3")
    elif live.read_bytes() != _OTHERS:
        problems.append(f"the other initiator's live temporary {live.name} was written to")
        reqs.add("APP-STORE-1")
    if problems:
        failure = ConformanceFailure.evidence(
            what,
            "a temporary of its own (O_EXCL); the other live temporary left as it was; the "
            "output, if kept, exactly the bytes served",
            "; ".join(problems),
            note=note,
        )
        failure.violates = tuple(sorted(reqs))
        raise failure


@pytest.mark.profile("eke")
@pytest.mark.req("APP-STORE-1", "APP-STORE-3")
def test_eke_initiator_leaves_another_live_temporary_alone(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {_EKE_NAME: _EKE_CONTENT}, _TIMEOUT)

    outdir = tmp_path / "out"
    outdir.mkdir()
    live = _plant(outdir)
    kept = _KeptLive(live)
    try:
        case = run_case(
            eke_target,
            tmp_path,
            transcripts,
            behaviour,
            name=_EKE_NAME,
            password=password,
            outdir=outdir,
            timeout=_TIMEOUT,
        )
    finally:
        kept.stop()
    _judge_live(
        live,
        case.result.out,
        _EKE_CONTENT,
        f"APP-STORE-1: an honest get into a directory where {live.name} (another "
        "initiator's temporary, kept live while it ran) was written a moment ago",
        case.describe(),
    )


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-1", "APP-STORE-3")
def test_pki_initiator_leaves_another_live_temporary_alone(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    planted: list[Path] = []
    kept: list[_KeptLive] = []

    def prepare(outdir: Path) -> None:
        planted.append(_plant(outdir))
        kept.append(_KeptLive(planted[-1]))

    try:
        got = _run_lie(pki_target, tmp_path, transcripts, _honest, prepare=prepare)
    finally:
        for each in kept:
            each.stop()
    _judge_live(
        planted[0],
        got.run.out,
        CONTENT,
        f"APP-STORE-1: an honest get into a directory where {planted[0].name} (another "
        "initiator's temporary, kept live while it ran) was written a moment ago",
        got.describe(),
    )


# --- a local write that fails -----------------------------------------------------------------


_FSIZE = 256 * 1024
_BIG = (bytes(range(251)) * 4200)[: 1 << 20]  # 1 MiB: one DATA frame, four times the limit
# Sets the limit, leaves SIGXFSZ at its default action, and becomes the client (no braces:
# the template's placeholders are filled in every word).
_LIMITER = (
    "import os,resource,signal,sys;"
    f"resource.setrlimit(resource.RLIMIT_FSIZE,({_FSIZE},{_FSIZE}));"
    "signal.signal(signal.SIGXFSZ,signal.SIG_DFL);"
    "os.execvp(sys.argv[1],sys.argv[1:])"
)


def _limited(template: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(_LIMITER)} {template}"


def _judge_disk_failure(returncode: int | None, out: Path, what: str, describe: str) -> None:
    if returncode is not None and returncode < 0:
        inconclusive(f"the client was killed by signal {-returncode} ({describe})")
    left = sorted(p.name for p in out.parent.iterdir())
    if left:
        raise ConformanceFailure.evidence(
            what,
            "the get fails and leaves nothing: no temporary file, nothing under the final name",
            f"left in the output directory: {left}",
            note=describe,
        )


@pytest.mark.profile("eke")
@pytest.mark.req("APP-STORE-3")
def test_eke_initiator_removes_its_temporary_when_its_disk_refuses(
    eke_target: Target, tmp_path: Path
) -> None:
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client: its prompts are typed through the wrapper too")
    password = fresh_password()
    user = client_user(eke_target)
    pw = eke_pw(user, password)
    digest = hashlib.sha256(_BIG).hexdigest()
    assert digest

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {_EKE_NAME: _BIG}, _TIMEOUT)

    secret = tmp_path / f"secret-{uuid.uuid4().hex[:6]}"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"
    with HostileEkeServer(behaviour, timeout=_TIMEOUT, accept_timeout=6 * _TIMEOUT) as server:
        result = run_client(
            _limited(eke_client_template(eke_target)),
            host=server.host,
            port=server.port,
            name=_EKE_NAME,
            out=out,
            user=user,
            password_file=password_file,
            timeout=6 * _TIMEOUT,
            success=eke_target.client_success if eke_target.client_cmd else None,
        )
    server.check()
    if not server.view.inner:
        inconclusive(f"the client did not reach its request ({result.describe()})")
    _judge_disk_failure(
        result.returncode,
        out,
        f"APP-STORE-3: a get of 1 MiB by a client whose file-size limit is {_FSIZE} bytes "
        "(its writes fail with EFBIG)",
        f"{result.describe()}; server saw {server.view.frames} / {server.view.inner}",
    )


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3", "APP-STORE-1")
def test_pki_initiator_removes_its_temporary_when_its_disk_refuses(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if pki_target.client_cmd and pki_target.client_stdin:
        pytest.skip("an interactive client: its prompts are typed through the wrapper too")
    lab = lab_pki(pki_target)
    assert pki_target.root is not None
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "received.bin"
    box: dict[str, LyingResponder] = {}
    cert_path, key_path = lab.employee(responder_alias(pki_target)).write(tmp_path, "responder")
    ctx = server_context(cert_path, key_path, pki_target.root, alpn=(ALPN,))
    template = _limited(pki_client_template(pki_target, tmp_path))
    with HostileResponder(ctx, _script(_honest_of(_BIG), outdir, box), timeout=5.0) as hostile:
        run = _run_initiator_once(
            pki_target,
            template,
            host=hostile.host,
            port=hostile.port,
            name=NAME,
            out=out,
            alias=responder_alias(pki_target),
            timeout=30.0,
        )
    for t in hostile.transcripts:
        transcripts.add(t)
    if "responder" not in box:
        inconclusive(f"the client did not reach its request ({run.describe()})")
    _judge_disk_failure(
        run.returncode,
        out,
        f"APP-STORE-3: a get of 1 MiB by a client whose file-size limit is {_FSIZE} bytes "
        "(its writes fail with EFBIG)",
        run.describe(),
    )


# --- a reset in the middle of the data ------------------------------------------------------------


_RESET_CONTENT = bytes(range(256)) * 64  # 16 KiB: half of it sent before the reset


def _reset(sock: socket.socket) -> None:
    """Close `sock` with a TCP RST (SO_LINGER 0), whatever is queued."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    socket.socket.close(sock)


def _judge_reset(returncode: int | None, out: Path, notes: list[str], what: str, note: str) -> None:
    if returncode is not None and returncode < 0:
        inconclusive(f"the client was killed by signal {-returncode} ({note})")
    left = sorted(p.name for p in out.parent.iterdir())
    if left:
        raise ConformanceFailure.evidence(
            what,
            "the get fails and leaves nothing: no temporary file, nothing under the final name",
            f"left in the output directory: {left}",
            note="; ".join([*notes, note]),
        )


@pytest.mark.profile("eke")
@pytest.mark.req("APP-STORE-3")
def test_eke_initiator_removes_its_temporary_when_the_connection_is_reset(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    outdir = tmp_path / "out"
    outdir.mkdir()
    notes: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = channel.recv_frame(deadline_after(_TIMEOUT))
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            notes.append(f"no RQFL but {request.describe()}")
            return
        view.inner.append(request.describe(80))
        half = _RESET_CONTENT[: len(_RESET_CONTENT) // 2]
        channel.send_frame("RSFL", {"name": _EKE_NAME, "size": len(_RESET_CONTENT)})
        channel.raw.send_raw(channel.seal(frame_bytes("DATA", half)))
        seen = entries_while_transferring(outdir, notes)
        notes.append(f"entries before the reset: {sorted(p.name for p in seen)}")
        _reset(raw.sock)
        notes.append("reset sent")

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_EKE_NAME,
        password=password,
        outdir=outdir,
        timeout=_TIMEOUT,
    )
    if "reset sent" not in notes:
        inconclusive(f"the client did not reach the transfer ({case.describe()}; {notes})")
    _judge_reset(
        case.result.returncode,
        case.result.out,
        notes,
        "APP-STORE-3: a get whose connection is reset (TCP RST) after half of the data",
        case.describe(),
    )


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-3")
def test_pki_initiator_removes_its_temporary_when_the_connection_is_reset(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    notes: list[str] = []

    def lie(r: LyingResponder) -> None:
        digest = hashlib.sha256(_RESET_CONTENT).hexdigest()
        r.rsfl(size=len(_RESET_CONTENT), sha256=digest)
        r.data(_RESET_CONTENT[: len(_RESET_CONTENT) // 2])
        seen = entries_while_transferring(r.outdir, notes)
        notes.append(f"entries before the reset: {sorted(p.name for p in seen)}")
        r.ended = True
        _reset(r.channel.sock)
        notes.append("reset sent")

    got = _run_lie(pki_target, tmp_path, transcripts, lie)
    if "reset sent" not in notes:
        inconclusive(f"the client did not reach the transfer ({got.describe()}; {notes})")
    _judge_reset(
        got.run.returncode,
        got.run.out,
        notes,
        "APP-STORE-3: a get whose connection is reset (TCP RST) after half of the data",
        got.describe(),
    )
