"""An sft-eke/1 CLIENT whose put's connection is RESET in place of the receipt reports the put
failed (SPEC APP-PUT-10).

APP-PUT-10: "An EROR ... or the end of the connection in place of the responder's DONE MUST
be reported as a failure, never as success." test_eke_client_put_lost_receipt.py ends the
connection with a FIN. A reset is the other end of a connection, and the one a client's
error handling sorts apart from the FIN: `ECONNRESET` is an exception of its own (Python's
ConnectionResetError, Java's "Connection reset", Node's 'ECONNRESET' error code), easy to
file under "the server dropped us after it had what it needed" and report as stored.

The suite's responder accepts the client's put and resets the connection (SO_LINGER 0)
after reading its DONE, or after the first DATA of a 24 MiB put (the client is still
sending: a reset met while writing is a lost put too). Every further connection of the client
(a retry) is treated the same way, bounded. The client must end with a non-zero exit.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import (
    ServerView,
    establish,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_eke_client_put_lost_receipt import _put_login, _run_put
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    deadline_after,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_CONNECTIONS = 3  # the first put and up to two retries, each bounded
# Where the suite resets, and the size of the file put: after the first DATA of a file far
# larger than loopback's socket buffers, the client is still sending when the reset comes.
_RESET_AT = {"after-done": 4000, "after-first-data": 24 << 20}


def _reset(raw: RawConnection) -> None:
    """Close with a TCP reset (SO_LINGER 0), whatever is queued."""
    with contextlib.suppress(OSError):
        raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize("where", list(_RESET_AT))
def test_initiator_put_reset_in_place_of_the_receipt_is_reported_failed(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    """The put is accepted; the connection is reset ({where}) instead of answering its DONE.
    The client reports the put failed (non-zero exit)."""
    template = puts._put_template(eke_target, tmp_path)
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    source = srcdir / "outgoing.bin"
    with source.open("wb") as out:  # the suite's content, repeated up to the size
        block = puts._content(4000)
        left = _RESET_AT[where]
        while left > 0:
            out.write(block[:left])
            left -= len(block)
    name, user, password_file, pw = _put_login(eke_target, tmp_path)
    notes: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        attempt = len(notes) + 1
        channel = establish(raw, view, pw, puts.READ_TIMEOUT)
        if channel is None:
            notes.append(f"#{attempt}: no handshake")
            return
        first = channel.recv_frame(deadline_after(puts.READ_TIMEOUT))
        if not isinstance(first, ReceivedFrame) or first.type != b"PUTF":
            notes.append(f"#{attempt}: no PUTF ({first.describe()})")
            return
        offered = str((first.json() or {}).get("name", name))
        channel.send_frame("RSFL", puts._accept(offered))
        frame = None
        for _ in range(puts.MAX_FRAMES):
            frame = channel.recv_frame(deadline_after(puts.READ_TIMEOUT))
            if where == "after-first-data" or not (
                isinstance(frame, ReceivedFrame) and frame.type == b"DATA"
            ):
                break
        if isinstance(frame, ReceivedFrame):
            got = frame.describe(40)
        else:
            got = frame.describe() if frame is not None else "nothing"
        notes.append(f"#{attempt}: accepted, last read {got}, reset")
        _reset(raw)

    login = (name, user, password_file)
    run = _run_put(
        eke_target, transcripts, template, source, login, behaviour, notes, _CONNECTIONS
    )
    if where == "after-done" and "DONE" not in notes[0]:
        raise RuntimeError(f"the client's put never sent its DONE: {notes} {run.describe()}")
    if run.succeeded or run.timed_out:
        failure = ConformanceFailure.evidence(
            f"APP-PUT-10: the put was accepted and its connection reset ({where}) in place "
            "of the receipt DONE",
            "the client reports the put failed (non-zero exit): no DONE answered it",
            f"the client {run.success_evidence()}",
            note=f"responder: {'; '.join(notes)}",
        )
        failure.violates = ("APP-PUT-10",)
        raise failure
