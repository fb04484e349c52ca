"""Two gets of one user at once, into one directory: BOTH clients (SPEC §3.6 APP-STORE-1).

APP-STORE-1: a receiver writes incoming data to `.sft-partial-` followed by a *random
part*, created exclusively, in the destination directory, "whose name cannot collide";
APP-STORE-3 adds that "another initiator may be writing a live one in the same
directory". A temporary name that is unique only in the author's head collides when the
same user runs two clients side by side into one directory: a name from the clock in
seconds, from the process's start time, from a hash of the requested name ("resumable"),
from a counter kept per directory. With `O_EXCL` the second client fails its get; without
it, the two write into one file and one of them stores the other's bytes.

The suite runs two clients at once, each against a server of its own (so that no server
limit is involved), for the same requested name, into one output directory under two
output names. Both servers wait until both requests are in, answer `RSFL` and the first
half of the file at the same moment, wait until both halves are sent and the directory
shows the clients' temporaries (bounded: a client that ended, or 3 s), then send the rest
and `DONE`. The two files differ. A correct client of each pair succeeds and stores
exactly its own file; nothing else remains in the directory. FAIL (APP-STORE-1) when a
client of the pair failed its honest get or stored anything but its own bytes; leftovers
are APP-STORE-3.

Second mode (`one-fails`): the first server ends its get with a wrong `DONE` digest, and
the second finishes only after the first client has ended. A client that cleans up after
its failure by removing every `.sft-partial-*` of the directory (a glob instead of its
own temporary) takes its neighbour's live one: the survivor then fails its honest get or
loses its file (APP-STORE-3). How the failing client reports its own failure is the
lying-get cases' business (test_eke_client_transfer.py, test_pki_initiator_transfer.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_get
from conformance import test_pki_initiator_transfer as pki_get
from conformance._wire_fixtures import lab_pki, responder_alias, run_initiator_watched
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_template,
    client_user,
    establish,
    read_inner,
    run_client,
)
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control

pytestmark = [pytest.mark.side("initiator")]

NAME = "side-by-side.bin"
SIZE = 6000
CHUNK = 1000
_TIMEOUT = 5.0  # each read of the suite's servers
_RUN_TIMEOUT = 40.0  # each client run
_MEET = 15.0  # how long a server waits for the other one at each meeting point
_OVERLAP = 3.0  # at most, for the temporaries to show while both gets are half done
_PREFIX = ".sft-partial-"


def _content(tag: bytes) -> bytes:
    """A file of SIZE bytes unique to this run and to `tag` (the two differ everywhere)."""
    seed = secrets.token_bytes(16) + tag
    out = b""
    counter = 0
    while len(out) < SIZE:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:SIZE]


@dataclass
class _Pair:
    """What the two servers share: the meeting points, the clients' ends, notes."""

    outdir: Path
    # "one-fails": the first server lies at the end (a wrong DONE digest) and the second
    # finishes only once the first client has ended: the survivor's live temporary must
    # outlast its neighbour's failure (APP-STORE-3).
    mode: str = "both-honest"
    meet: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=_MEET))
    ended: threading.Event = field(default_factory=threading.Event)  # either client ended
    ended_each: tuple[threading.Event, threading.Event] = field(
        default_factory=lambda: (threading.Event(), threading.Event())
    )
    notes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, text: str) -> None:
        with self.lock:
            self.notes.append(text)

    def meeting(self, what: str) -> None:
        try:
            self.meet.wait()
        except threading.BrokenBarrierError:
            self.note(f"the other server did not reach '{what}' (its client ended or stalled)")

    def temporaries(self) -> list[str]:
        return sorted(p.name for p in self.outdir.iterdir() if p.name.startswith(_PREFIX))

    def await_overlap(self) -> None:
        """Until both temporaries show, or a client ended, within _OVERLAP seconds."""
        end = time.monotonic() + _OVERLAP
        seen: list[str] = []
        while time.monotonic() < end and not self.ended.is_set():
            seen = self.temporaries()
            if len(seen) >= 2:
                break
            self.ended.wait(0.02)  # a poll of the directory, ended early by a client's end
        self.note(f"temporaries while both gets were half done: {seen or 'none seen'}")


Send = Callable[[str, bytes], None]  # (frame type, payload)


def _serve(pair: _Pair, send: Send, content: bytes, index: int) -> None:
    """One server's side once its client's RQFL is in: meet, half, meet, overlap, rest.
    A client that is gone (it failed its get) ends its server's part, not the pair."""
    try:
        _serve_steps(pair, send, content, index)
    except OSError as exc:
        pair.note(f"server {index + 1}: its client is gone ({exc})")
        with contextlib.suppress(threading.BrokenBarrierError):
            pair.meet.abort()


def _serve_steps(pair: _Pair, send: Send, content: bytes, index: int) -> None:
    pair.meeting("both requests in")
    digest = hashlib.sha256(content).hexdigest()
    send("RSFL", control({"name": NAME, "size": len(content), "sha256": digest}))
    half = len(content) // 2
    for offset in range(0, half, CHUNK):
        send("DATA", content[offset : min(offset + CHUNK, half)])
    pair.meeting("both halves sent")
    pair.await_overlap()
    if pair.mode == "one-fails" and index == 1:
        # The survivor finishes once its neighbour has ended (bounded).
        if not pair.ended_each[0].wait(_RUN_TIMEOUT):
            pair.note("the failing client did not end: the survivor finishes anyway")
    for offset in range(half, len(content), CHUNK):
        send("DATA", content[offset : offset + CHUNK])
    if pair.mode == "one-fails" and index == 0:
        digest = hashlib.sha256(b"not the file" + content).hexdigest()
    send("DONE", control({"size": len(content), "sha256": digest}))


@dataclass
class _Outcome:
    out: Path
    content: bytes
    succeeded: bool = False
    described: str = "(the client did not run)"


def _judge(pair: _Pair, outcomes: list[_Outcome]) -> None:
    problems: list[tuple[str, str]] = []
    for index, got in enumerate(outcomes, 1):
        if pair.mode == "one-fails" and index == 1:
            if got.succeeded:  # its own fault (APP-GET-3), judged by the lying-get cases
                pair.note("client 1 reported success for a get whose DONE digest was wrong")
            continue
        rid = "APP-STORE-3" if pair.mode == "one-fails" else "APP-STORE-1"
        if not got.succeeded:
            problems.append((rid, f"client {index} failed its honest get ({got.described})"))
            continue
        if not got.out.is_file():
            problems.append((rid, f"client {index} reported success, no {got.out.name}"))
            continue
        stored = got.out.read_bytes()
        if stored != got.content:
            other = next(o.content for o in outcomes if o is not got)
            whose = "the OTHER client's file" if stored == other else "bytes of neither file"
            problems.append(
                (
                    rid,
                    f"client {index} stored {len(stored)} bytes under {got.out.name}: {whose}",
                )
            )
    outputs = {o.out.name for o in outcomes}
    left = sorted(p.name for p in pair.outdir.iterdir() if p.name not in outputs)
    if left:
        problems.append(("APP-STORE-3", f"left in the shared output directory: {left}"))
    if problems:
        failure = ConformanceFailure.evidence(
            "two clients of one user, run at once for one name into one directory "
            "(different output names, different files)"
            + (
                "; the first get fails (a wrong DONE digest) while the second is under way"
                if pair.mode == "one-fails"
                else ""
            ),
            (
                "the second succeeds with exactly its own file: the first one's failure "
                "removes only its own temporary (APP-STORE-3), and no temporary remains"
                if pair.mode == "one-fails"
                else "both succeed, each stores exactly its own file, no temporary remains "
                "(a temporary's random part cannot collide: APP-STORE-1)"
            ),
            "; ".join(f"[{rid}] {text}" for rid, text in problems),
            note="; ".join(pair.notes + [o.described for o in outcomes]),
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure


def _run_both(runs: list[Callable[[], None]], pair: _Pair) -> None:
    threads = [threading.Thread(target=run, daemon=True) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_RUN_TIMEOUT + _MEET * 2 + 10)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"a client run of the pair did not end: {pair.notes}")


_MODES = ["both-honest", "one-fails"]


@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("APP-STORE-1", "APP-STORE-3")
@pytest.mark.parametrize("mode", _MODES)
def test_eke_clients_side_by_side_into_one_directory(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, mode: str
) -> None:
    target = eke_target
    outdir = tmp_path / "out"
    outdir.mkdir()
    pair = _Pair(outdir, mode)
    user = client_user(target)
    pw = eke_get._user_pw(target)
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(eke_get._PASSWORD, encoding="utf-8")
    template = client_template(target)
    outcomes = [_Outcome(outdir / f"side-{i}.bin", _content(bytes([i]))) for i in (1, 2)]
    requested = [False, False]

    def behaviour_for(index: int) -> Callable[[RawConnection, ServerView], None]:
        def behaviour(raw: RawConnection, view: ServerView) -> None:
            channel = establish(raw, view, pw, _TIMEOUT)
            if channel is None:
                pair.meet.abort()
                return
            request = read_inner(channel, view, _TIMEOUT)
            if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
                pair.meet.abort()
                return
            requested[index] = True
            server = eke_get.LyingServer(channel, view, outdir)
            _serve(pair, server.frame, outcomes[index].content, index)
            with contextlib.suppress(OSError):
                server.await_reaction(_TIMEOUT)

        return behaviour

    def run_for(index: int) -> Callable[[], None]:
        def run() -> None:
            got = outcomes[index]
            try:
                with HostileEkeServer(
                    behaviour_for(index), timeout=_TIMEOUT, accept_timeout=_RUN_TIMEOUT
                ) as server:
                    result = run_client(
                        template,
                        host=server.host,
                        port=server.port,
                        name=NAME,
                        out=got.out,
                        user=user,
                        password_file=password_file,
                        timeout=_RUN_TIMEOUT,
                        stdin_template=target.client_stdin if target.client_cmd else None,
                        success=target.client_success if target.client_cmd else None,
                    )
                got.succeeded = result.succeeded
                got.described = f"client {index + 1}: {result.describe()}"
                server.check()
                if server.view.transcript is not None:
                    transcripts.add(server.view.transcript)
            finally:
                pair.ended_each[index].set()
                pair.ended.set()
                if not requested[index]:
                    pair.meet.abort()

        return run

    _run_both([run_for(0), run_for(1)], pair)
    if not all(requested):
        raise RuntimeError(
            "a client of the pair never sent its request after an honest handshake: "
            + "; ".join(pair.notes + [o.described for o in outcomes])
        )
    _judge(pair, outcomes)


@pytest.mark.profile("pki")
@pytest.mark.req("APP-STORE-1", "APP-STORE-3")
@pytest.mark.parametrize("mode", _MODES)
def test_pki_initiators_side_by_side_into_one_directory(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, mode: str
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    pair = _Pair(outdir, mode)
    cert = lab_pki(target).employee(responder_alias(target))
    outcomes = [_Outcome(outdir / f"side-{i}.bin", _content(bytes([i]))) for i in (1, 2)]
    requested = [False, False]

    def script_for(index: int) -> Callable[[PkiChannel], None]:
        def script(channel: PkiChannel) -> None:
            request = channel.recv_frame()
            if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
                pair.meet.abort()
                return
            requested[index] = True
            responder = pki_get.LyingResponder(channel, outdir)
            _serve(pair, responder.frame, outcomes[index].content, index)
            with contextlib.suppress(OSError):
                responder.await_reaction(_TIMEOUT)

        return script

    def run_for(index: int) -> Callable[[], None]:
        def run() -> None:
            got = outcomes[index]
            workdir = tmp_path / f"client-{index + 1}"
            workdir.mkdir()
            try:
                result, hostile = run_initiator_watched(
                    target,
                    workdir,
                    transcripts,
                    cert=cert,
                    script=script_for(index),
                    out=got.out,
                    name=NAME,
                    timeout=_RUN_TIMEOUT,
                )
                got.succeeded = result.succeeded
                got.described = f"client {index + 1}: {result.describe()}"
                if hostile.script_errors:
                    pair.note(f"harness fault in server {index + 1}: {hostile.script_errors}")
            finally:
                pair.ended_each[index].set()
                pair.ended.set()
                if not requested[index]:
                    pair.meet.abort()

        return run

    _run_both([run_for(0), run_for(1)], pair)
    faults = [n for n in pair.notes if n.startswith("harness fault")]
    if faults or not all(requested):
        raise RuntimeError(
            "the pair was not exercised (a client never sent its request, or a harness "
            "fault): " + "; ".join(pair.notes + [o.described for o in outcomes])
        )
    _judge(pair, outcomes)
