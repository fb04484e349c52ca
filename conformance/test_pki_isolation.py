"""sft-pki/1: one connection's trouble is not another's (docs/SPEC.md LIM-5).

- Stalled handshakes: a silent connection and one that stopped inside its ClientHello
  stay open while an honest connection is made; the honest one's TCP connect, TLS
  handshake and first get, timed from its own connect, must take well under the
  handshake timeout that ends the stalled ones (LIM-1). A responder that reads each
  ClientHello, or runs each handshake, on its accept loop makes every later connection
  wait for the one before. (The bound is judged on the honest connection's own time, not
  on a remainder that a slow handshake has already used up.)
- A put in progress: connection A has a put accepted and keeps sending its data one byte
  at a time (never idle, never finished); connection B, made meanwhile, gets a known
  file and offers a put of its own, and must be answered while A's put is still going.
  A server-wide lock held while a put is received ("one writer at a time in the inbox")
  answers B only when A finishes.
- Certificates refused after parsing: client certificates with no CN, two CNs, an empty
  CN, a CN that is no alias and an over-long CN are each presented once (each one's
  connection is refused, or answered: LIM-5 judges only what comes next); then an honest
  connection must still be served. An endpoint that indexes the first CN of an empty
  list, or trusts the attribute's length, can take its whole process down (a panic in a
  Go handler does): a responder must keep serving whatever one connection presents.
- Vanishing initiators: connections that end with a TCP reset (or a FIN without
  close_notify) right after the handshake, in the middle of a get and in the middle of a
  put; the responder must go on serving honest connections, sampled for a second after
  the last of them. A responder that does not ignore SIGPIPE (C without MSG_NOSIGNAL)
  dies at its next write to such a connection, e.g. the close_notify it ends it with.

Needs lab mode (`--root` and `--ca-key`, and the embedded run) for the minted
certificates, feature `get` and a known file, and `put` for the second case.

Fixtures (conformance/plugin.py): `target` (pinned to pki by the file name),
`transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest

from conformance._wire_fixtures import (
    fresh_name,
    known_file,
    lab_pki,
    require,
    suite_identity,
)
from conformance.pki_channel import HandshakeRefused, PkiChannel, client_context, connect_pki
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

# The first bytes of a TLS ClientHello record (handshake, TLS 1.0 record version, a length
# it never completes): a handshake that started and stalls.
_STALLED_HELLO: Final = b"\x16\x03\x01\x02\x00\x01"
# How long B may take to be answered while A's put goes on: a correct responder answers in
# milliseconds; A is kept alive all along, so no timeout of the target is involved.
_PARALLEL_BOUND: Final = 4.0
_PUT_SIZE: Final = 4096


def _connect(
    target: Target, workdir: Path, name: str, timeout: float
) -> PkiChannel | HandshakeRefused:
    assert target.root is not None
    cert, key = suite_identity(target, workdir)
    return connect_pki(
        target.host, target.port, client_context(target.root, cert, key), timeout=timeout, name=name
    )


def _read_get(channel: PkiChannel, deadline: float) -> str | None:
    """Reads the answer to an RQFL up to DONE or EROR; None when complete, else what came."""
    while True:
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            return event.describe()
        if event.type in (b"DONE", b"EROR"):
            return None


def _honest_get_time(
    target: Target, workdir: Path, transcripts: TranscriptBook, name: str, limit: float
) -> tuple[float | None, str]:
    """Connect + handshake + get of `name`, timed from the connect; (None, why) if not
    done within `limit`."""
    started = time.monotonic()
    result = _connect(target, workdir, "honest", limit)
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return None, f"honest handshake failed after {time.monotonic() - started:.2f} s: " + (
            result.describe()
        )
    transcripts.add(result)
    try:
        result.send_frame("RQFL", {"name": name})
        problem = _read_get(result, started + limit)
    finally:
        result.close()
    took = time.monotonic() - started
    if problem is not None:
        return None, f"get of {name!r} not complete {took:.2f} s after the connect: {problem}"
    return took, ""


@pytest.mark.req("LIM-5")
def test_stalled_handshakes_do_not_delay_an_honest_one(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    name = known_file(target).name
    timeout = target.limits.handshake_timeout
    cap = target.limits.max_pending_per_address
    if cap is not None and cap < 3:
        pytest.skip(f"a per-address cap of {cap} (LIM-8) refuses a third handshake from us")
    baseline, why = _honest_get_time(target, tmp_path, transcripts, name, max(timeout, 5.0))
    if baseline is None:
        raise ConformanceFailure.evidence(
            "LIM-5: an honest connection and a get, nothing else open",
            "the get is served",
            why,
        )
    bound = max(min(5.0, max(0.8, 0.6 * timeout)), 4 * baseline)
    if bound > 0.9 * timeout:
        pytest.skip(
            f"an honest connection takes {baseline:.2f} s here: too close to the handshake "
            f"timeout ({timeout:g} s) to tell a delayed handshake from a slow machine"
        )
    timings: list[str] = []
    for _attempt in range(2):
        with (
            RawConnection.connect(target.host, target.port, name="silent"),
            RawConnection.connect(target.host, target.port, name="stalled") as stalled,
        ):
            stalled.send_raw(_STALLED_HELLO)
            took, why = _honest_get_time(target, tmp_path, transcripts, name, bound)
        if took is not None:
            return
        timings.append(why)
    raise ConformanceFailure.evidence(
        "LIM-5: two connections stalled in their handshake (one silent, one after "
        f"{len(_STALLED_HELLO)} bytes of a ClientHello) and kept open; then an honest "
        f"connection and a get of {name!r} (twice)",
        f"connect + handshake + get within {bound:.2f} s of the honest connect (alone it "
        f"took {baseline:.2f} s; the stalled ones end only at the handshake timeout, "
        f"{timeout:g} s)",
        "; ".join(timings),
        "a ClientHello read or a handshake run on the accept loop (or under a server-wide "
        "lock) makes every new connection wait for the stalled ones",
    )


@dataclass
class _Trickle:
    """Keeps a put alive: one DATA byte every `interval` s until stopped or `limit` bytes."""

    channel: PkiChannel
    interval: float
    limit: int
    sent: int = 0
    failed: str = ""
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        ends = time.monotonic() + 4 * _PARALLEL_BOUND  # bounded whatever happens
        while self.sent < self.limit and time.monotonic() < ends:
            if self.stop.wait(self.interval):
                return
            if not self.channel.send_frame("DATA", b"x"):
                self.failed = "A's connection closed while its put was kept alive"
                return
            self.sent += 1


def _finish_put(channel: PkiChannel, sent: int, data: bytes) -> None:
    """Sends the rest of a put and its DONE; the answer is read, not judged."""
    if sent < len(data):
        channel.send_frame("DATA", data[sent:])
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    channel.recv_frame(deadline_after(2.0))


@pytest.mark.req("LIM-5")
def test_a_put_in_progress_does_not_hold_up_another_connection(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    require(target, "put")
    small = known_file(target).name
    idle = target.limits.idle_timeout
    a = _connect(target, tmp_path, "A (put kept going)", 5.0)
    if isinstance(a, HandshakeRefused):
        raise ConformanceFailure(f"LIM-5: the honest connection A was refused: {a.describe()}")
    transcripts.add(a)
    data_a = b"x" * _PUT_SIZE
    a.send_frame("PUTF", {"name": fresh_name("sft-isolation-a"), "size": len(data_a)})
    answer = a.recv_frame(deadline_after(5.0))
    if not (isinstance(answer, ReceivedFrame) and answer.type == b"RSFL"):
        a.close()
        pytest.skip(f"the responder does not accept the suite's put: {answer.describe()}")
    a.send_frame("DATA", b"x")
    trickle = _Trickle(a, max(0.05, min(0.25, idle / 4)), len(data_a) - 1)
    worker = threading.Thread(target=trickle.run, name="keep-put-alive", daemon=True)
    worker.start()
    waited: list[str] = []
    started = time.monotonic()
    deadline = started + _PARALLEL_BOUND
    b = _connect(target, tmp_path, "B (meanwhile)", _PARALLEL_BOUND)
    try:
        if isinstance(b, HandshakeRefused):
            transcripts.add(b.transcript)
            waited.append(f"B's handshake: {b.describe()}")
        else:
            transcripts.add(b)
            b.send_frame("RQFL", {"name": small})
            problem = _read_get(b, deadline)
            if problem is not None:
                waited.append(f"B's get of {small!r}: {problem}")
            else:
                b.send_frame("PUTF", {"name": fresh_name("sft-isolation-b"), "size": 1})
                event = b.recv_frame(deadline)
                if isinstance(event, ReceivedFrame) and event.type == b"RSFL":
                    _finish_put(b, 0, b"b")
                elif not isinstance(event, ReceivedFrame):
                    waited.append(f"B's PUTF: {event.describe()}")
    finally:
        took = time.monotonic() - started
        trickle.stop.set()
        worker.join(timeout=2.0)
        a_alive = not trickle.failed and isinstance(a.recv_frame(deadline_after(0.05)), TimedOut)
        if a_alive:
            _finish_put(a, 1 + trickle.sent, data_a)
        a.close()
        if not isinstance(b, HandshakeRefused):
            b.close()
    if not waited:
        return
    if not a_alive:
        pytest.skip(
            "A's put ended before B was answered (" + (trickle.failed or "closed") + "): the "
            "wait cannot be put on A"
        )
    raise ConformanceFailure.evidence(
        f"LIM-5: connection A's put accepted and kept going (one DATA byte every "
        f"{trickle.interval:.2f} s, {1 + trickle.sent} of {len(data_a)} bytes sent); meanwhile "
        f"connection B connects, gets {small!r} and offers a put of 1 byte",
        f"B answered within {_PARALLEL_BOUND:.1f} s while A's put goes on",
        f"after {took:.2f} s: " + "; ".join(waited),
        "a server-wide lock held while a put is received makes every other connection wait "
        "for the slowest sender",
    )


def _odd_subjects(alias: str) -> dict[str, tuple[str, ...]]:
    return {
        "no common name": (),
        "two common names": (alias, f"{alias}-2"),
        "an empty common name": ("",),
        "a common name that is no alias": (f"{alias.upper()} Employee/x",),
        "an over-long common name": (alias + "x" * 300,),
    }


@pytest.mark.req("LIM-5")
def test_certificates_refused_after_parsing_do_not_stop_the_responder(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    name = known_file(target).name
    lab = lab_pki(target)
    assert target.root is not None
    alias = "suite"
    for index, (what, cns) in enumerate(_odd_subjects(alias).items()):
        cert, key = lab.employee(alias, subject_cns=cns).write(tmp_path, f"odd-{index}")
        result = connect_pki(
            target.host,
            target.port,
            client_context(target.root, cert, key),
            timeout=3.0,
            name=f"client certificate with {what}",
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
        else:
            transcripts.add(result)
            result.send_frame("RQFL", {"name": name})
            result.recv_frame(deadline_after(2.0))
            result.close()
        took, why = _honest_get_time(target, tmp_path, transcripts, name, 10.0)
        if took is None:
            raise ConformanceFailure.evidence(
                f"LIM-5: a connection presented a client certificate with {what} "
                f"(subject CNs {list(cns)!r}); then an honest connection and a get of {name!r}",
                "the honest connection is served (the odd certificate refused or not)",
                why,
                "the responder stopped serving after one connection's certificate",
            )


def _vanish(channel: PkiChannel, *, reset: bool) -> None:
    """Ends the connection without close_notify: a TCP reset (SO_LINGER 0) or a bare close."""
    if reset:
        channel.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    channel.transcript.add("event", note="vanished: " + ("TCP reset" if reset else "bare FIN"))
    socket.socket.close(channel.sock)
    channel.close()


@pytest.mark.req("LIM-5")
def test_vanishing_initiators_do_not_stop_the_responder(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    small = known_file(target).name
    largest = max((f for f in target.files if f.size > 0), key=lambda f: f.size)
    styles = ["reset after the handshake", "reset in a get", "bare FIN in a get"]
    if target.has("put"):
        styles.append("reset in a put")
    for style in styles:
        channel = _connect(target, tmp_path, style, 5.0)
        if isinstance(channel, HandshakeRefused):
            raise ConformanceFailure(
                f"LIM-5: the honest connection was refused: {channel.describe()}"
            )
        transcripts.add(channel)
        if "get" in style:
            channel.send_frame("RQFL", {"name": largest.name})
            channel.recv_frame(deadline_after(3.0))  # its RSFL: the get is under way
        elif "put" in style:
            channel.send_frame("PUTF", {"name": fresh_name("sft-vanish"), "size": _PUT_SIZE})
            answer = channel.recv_frame(deadline_after(3.0))
            if isinstance(answer, ReceivedFrame) and answer.type == b"RSFL":
                channel.send_frame("DATA", b"v" * (_PUT_SIZE // 2))
        _vanish(channel, reset="reset" in style)
        took, why = _honest_get_time(target, tmp_path, transcripts, small, 10.0)
        if took is None:
            _vanished_failure(style, small, why)
    # The last one's end may reach the responder's next write a moment later: honest
    # connections, one after another, for a second (bounded: at most 20).
    until = time.monotonic() + 1.0
    for _ in range(20):
        took, why = _honest_get_time(target, tmp_path, transcripts, small, 10.0)
        if took is None:
            _vanished_failure(styles[-1], small, why)
        if time.monotonic() >= until:
            break


def _vanished_failure(style: str, name: str, why: str) -> None:
    raise ConformanceFailure.evidence(
        f"LIM-5: an initiator vanished ({style}: no close_notify); then an honest connection "
        f"and a get of {name!r}",
        "the honest connection is served",
        why,
        "the responder stopped serving after one connection ended abruptly (e.g. SIGPIPE "
        "not ignored: its next write to the dead connection killed the process)",
    )
