"""ERR-6 at an sft-pki/1 INITIATOR: a channel that breaks mid-get is a failure, not a crash.

ERR-6: an endpoint MUST NOT answer any input with a stack trace or a debug dump. What an
initiator answers its user with is its output; a get whose channel breaks under it must
end as any failed get does (APP-GET-5: non-zero exit, nothing under the final name, no
temporary left, APP-STORE-3), with one line saying what happened, never a crash. The
breaks that reach an implementation below its protocol code are the ones a narrow error
handler misses: its TLS library's error for a record that does not authenticate (a
Python `ssl.SSLError`, a Java `SSLException`, a Node.js `ERR_SSL_*`), and the operating
system's for a reset (`ECONNRESET`). A handler written for the protocol's own failures
(an EROR, a truncation, a bad frame) lets those through as an uncaught exception.

The suite's hostile responder answers the get honestly, then, after the RSFL and two
DATA frames, either writes a TLS record that does not authenticate (an application_data
record of 32 zero bytes, outside its TLS session) or resets the TCP connection (SO_LINGER
0). Judged: the get failed as the spec asks, and the initiator's standard output and
error hold no stack trace (Python, Java, Node.js, Go, Rust, C++ markers).
test_pki_initiator_transfer.py's truncations end the stream with close_notify or a FIN:
those reach the frame layer as an end of stream, which every handler sees.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# An application_data record (TLS 1.3 outer type 23, legacy version 3.3) whose 32 bytes
# are no AEAD output of the session: the initiator's TLS layer must refuse it.
_BAD_RECORD = b"\x17\x03\x03\x00\x20" + b"\x00" * 32
_CLOSE_WAIT = 5.0  # how long the suite waits for the initiator to close after the break
# What a crashed program leaves on its output.
_TRACES = re.compile(
    r"Traceback \(most recent call last\)"  # Python
    r'|File "[^"]+", line \d+'  # Python frames
    r"|Exception in thread \""  # Java
    r"|\n\s+at [\w$.<>]+\([\w$.]*(?:java|kt|scala):\d+\)"  # JVM frames
    r"|\n\s+at (?:[\w$.<>\[\] ]+ )?\(?(?:node:|file:|/)[^\n]*:\d+:\d+\)?"  # Node.js frames
    r"|^panic: |\ngoroutine \d+ \[|thread '[^']*' panicked at"  # Go, Rust
    r"|terminate called after throwing"  # C++
)


def _drain_until_closed(sock: socket.socket, timeout: float) -> None:
    """Reads (raw, below TLS) what the initiator sends until it closes, bounded."""
    deadline = time.monotonic() + timeout
    with contextlib.suppress(OSError):
        for _ in range(256):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            socket.socket.settimeout(sock, left)
            if not socket.socket.recv(sock, 65536):
                return


def _head(r: lies.LyingResponder) -> None:
    r.rsfl(sha256=lies.DIGEST)
    r.data(lies.CONTENT[: 2 * lies.CHUNK])


def _forged_record(r: lies.LyingResponder) -> None:
    _head(r)
    r.ended = True  # the TLS session is broken: nothing more is read through it
    raw = r.channel.sock
    with contextlib.suppress(OSError):
        socket.socket.sendall(raw, _BAD_RECORD)
    _drain_until_closed(raw, _CLOSE_WAIT)


def _reset(r: lies.LyingResponder) -> None:
    _head(r)
    r.ended = True
    raw = r.channel.sock
    with contextlib.suppress(OSError):
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(raw)


_BREAKS = {"forged-record": _forged_record, "tcp-reset": _reset}


@pytest.mark.req("ERR-6", "APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize("kind", list(_BREAKS))
def test_initiator_reports_a_broken_channel_without_a_stack_trace(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    got = lies._run_lie(target, tmp_path, transcripts, _BREAKS[kind])
    what = (
        f"the responder's get breaks after RSFL and two DATA frames: {kind} "
        "(a TLS record that does not authenticate, or a TCP reset)"
    )
    lies._judge_failed_get(got, f"APP-GET-5: {what}", None, ("APP-GET-5",))
    output = got.run.stdout + "\n" + got.run.stderr
    found = _TRACES.search(output)
    if found is not None:
        start = max(0, found.start() - 80)
        failure = ConformanceFailure.evidence(
            f"ERR-6: {what}",
            "a failed get reported in words (non-zero exit), never a stack trace",
            f"its output holds a stack trace: {output[start : found.end() + 200]!r}",
            note=got.describe(),
        )
        failure.violates = ("ERR-6",)
        raise failure
