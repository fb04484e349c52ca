"""sft-pki/1 INITIATOR: what it does after its own `BYE_` (docs/SPEC.md APP-BYE-1,
APP-BYE-2, ERR-6).

"`BYE_` (payload `{}`) ends the connection: the responder MAY answer `BYE_` and MUST then
close" (APP-BYE-1). The echo is the last frame of the connection: an initiator that
answers it — one `BYE_` handler shared by both roles, "a `BYE_` is answered `BYE_`" —
writes a frame into a connection both sides have ended. And the end of that connection is
the responder's to choose: "A connection closed without `BYE_` between transfers is not an
error for a completed transfer" (APP-BYE-2); a responder that resets the connection, or
whose TLS layer breaks, after the initiator's `BYE_` has ended nothing the initiator owes
its user. An initiator whose farewell reads the echo under a handler written for the
protocol's own failures (an EROR, a truncation) lets the operating system's `ECONNRESET`
or the TLS library's error through as an uncaught exception: a stack trace (ERR-6: "MUST
NOT answer any input with a stack trace"), after a get that succeeded.

The suite's responder answers the get honestly (RSFL, DATA, DONE), reads the initiator's
`BYE_` and then:

- `echo`: echoes `BYE_ {}` and watches for 2 s: the initiator must send no frame after it
  (close_notify, a FIN or silence are all fine) [APP-BYE-1];
- `tcp-reset`: resets the TCP connection (SO_LINGER 0), or `forged-record`: writes a TLS
  record that does not authenticate: the completed get stands — the file kept intact, exit
  status 0 [APP-BYE-2] — and the initiator's output holds no stack trace [ERR-6].

An initiator that sends no `BYE_` after its get is not judged here (skip).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_pki_client_transport_faults as faults
from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_BYE_WAIT = 3.0  # for the initiator's BYE_ after its verified get
_AFTER_ECHO = 2.0  # how long the suite watches after its echo
_MAX_FRAMES = 4


def _describe(event: object) -> str:
    describe = getattr(event, "describe", None)
    return describe() if callable(describe) else repr(event)


def _get_then_bye(after: Callable[[lies.LyingResponder], None]) -> lies.Lie:
    """An honest get; once the initiator's BYE_ is read, `after` ends the connection."""

    def lie(r: lies.LyingResponder) -> None:
        r.rsfl(sha256=lies.DIGEST)
        r.data(lies.CONTENT)
        r.done()
        end = deadline_after(_BYE_WAIT)
        event: object = None
        for _ in range(_MAX_FRAMES):
            event = r.channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame) or event.type == b"BYE_":
                break
        r.ended = True
        if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
            r.notes.append(f"no BYE_ after the get: {_describe(event)}")
            r.reaction = event if isinstance(event, Closed | TimedOut) else None
            return
        r.notes.append("BYE_ read")
        after(r)

    return lie


def _echo(r: lies.LyingResponder) -> None:
    with contextlib.suppress(OSError):
        r.channel.send_raw(frame_bytes("BYE_", control({})))
    r.reaction = r.channel.recv_frame(deadline_after(_AFTER_ECHO))


def _reset(r: lies.LyingResponder) -> None:
    raw = r.channel.sock
    with contextlib.suppress(OSError):
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(raw)


def _forged(r: lies.LyingResponder) -> None:
    raw = r.channel.sock
    with contextlib.suppress(OSError):
        socket.socket.sendall(raw, faults._BAD_RECORD)
    faults._drain_until_closed(raw, faults._CLOSE_WAIT)


def _kept(got: lies.GetRun) -> bool:
    return got.run.kept_file and got.run.out.read_bytes() == lies.CONTENT


@pytest.mark.req("APP-BYE-1")
def test_pki_initiator_sends_nothing_after_the_echo_of_its_bye(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = lies._run_lie(target, tmp_path, transcripts, _get_then_bye(_echo))
    notes = got.responder.notes
    if "BYE_ read" not in notes:
        pytest.skip(f"the initiator sent no BYE_ after its get ({'; '.join(notes)})")
    reaction = got.responder.reaction
    if not isinstance(reaction, ReceivedFrame):
        return
    failure = ConformanceFailure.evidence(
        "a complete, verified get; the initiator's BYE_ echoed with BYE_ {} (APP-BYE-1: the "
        "responder MAY answer BYE_ and then closes)",
        f"nothing after the echo within {_AFTER_ECHO:g} s: the connection has ended (a "
        "close_notify, a FIN or silence)",
        f"the initiator sent {_describe(reaction)} after the echo",
        note=got.describe(),
    )
    failure.violates = ("APP-BYE-1",)
    raise failure


_ENDS = {"tcp-reset": _reset, "forged-record": _forged}


@pytest.mark.req("ERR-6", "APP-BYE-2")
@pytest.mark.parametrize("end", list(_ENDS))
def test_pki_initiator_keeps_its_get_when_the_connection_breaks_after_its_bye(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, end: str
) -> None:
    got = lies._run_lie(target, tmp_path, transcripts, _get_then_bye(_ENDS[end]))
    notes = got.responder.notes
    if "BYE_ read" not in notes:
        pytest.skip(f"the initiator sent no BYE_ after its get ({'; '.join(notes)})")
    what = (
        f"a complete, verified get; after the initiator's BYE_ the responder's end is a "
        f"{end} (no echo)"
    )
    output = got.run.stdout + "\n" + got.run.stderr
    found = faults._TRACES.search(output)
    if found is not None:
        start = max(0, found.start() - 80)
        failure = ConformanceFailure.evidence(
            f"ERR-6: {what}",
            "no stack trace: the get succeeded and the connection's end is no failure of it",
            f"its output holds a stack trace: {output[start : found.end() + 200]!r}",
            note=got.describe(),
        )
        failure.violates = ("ERR-6",)
        raise failure
    if got.run.succeeded and _kept(got):
        return
    failure = ConformanceFailure.evidence(
        f"APP-BYE-2: {what}",
        "the completed get stands: the file kept intact under its name, exit status 0 (a "
        "connection closed without BYE_ between transfers is not an error for a completed "
        "transfer)",
        f"exit code {got.run.returncode}, "
        f"{'file kept intact' if _kept(got) else 'file not kept intact'}",
        note=got.describe(),
    )
    failure.violates = ("APP-BYE-2",)
    raise failure
