"""sft-pki/1 INITIATOR: after its own fatal EROR, with bytes of the responder still unread,
its close is a FIN, never a TCP reset (docs/SPEC.md §4.1 PKI-TLS-7, §2 ERR-3).

PKI-TLS-7: an endpoint ending an established TLS connection "MUST send a TLS
close_notify before closing the TCP connection, never a bare FIN or reset"; ERR-3 names
the way: "a lingering close — the FIN at once, then what the peer still sends read and
discarded ... so that unread bytes do not turn the close into a reset that destroys the
EROR". A socket closed while received bytes sit unread in its buffer is reset by the
kernel, whatever was sent before: `SSL_shutdown(ssl); close(fd);` right after the EROR —
"our EROR said it all" — sends the EROR and the close_notify, then a reset that can
overtake them on a real network (it discards what the peer has not read yet). The other
close cases provoke the EROR at a DONE, when nothing more of the responder is on its way,
so such an initiator's close is a FIN there.

The suite plays the responder: an honest RSFL and the announced bytes, then, in the same
write (one TCP segment), a DATA frame beyond the announced size (32 KiB: its 8-byte
header alone earns `integrity_failed`, APP-GET-4, and its payload is then still unread).
It reads the initiator's EROR and close_notify and, below TLS, how the TCP connection
ends: a FIN (the bytes drained first, or within ERR-3's lingering close) is conforming,
a reset is not. The suite sends nothing more and never closes first, for 3 s.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import os
import select
import socket
import time
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.pki_channel import PkiChannel, ended_cleanly
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_BEYOND = 32 * 1024  # the payload of the DATA frame past the announced size
# All of the lie in one TCP segment (loopback's MSS is about 64 KiB): the payload is in
# the initiator's receive buffer before it can read the header, whatever its speed.
_CORK = getattr(socket, "TCP_CORK", None)
_WATCH = 3.0  # seconds the suite watches for the TCP end (ERR-3's linger is at most 2 s)


def _tcp_end(channel: PkiChannel, seconds: float) -> str:
    """How the TCP connection under the TLS stream ends, read below TLS from a duplicate
    of its descriptor: "fin", "reset", "bytes" (more came after the close_notify) or
    "open" (nothing within `seconds`)."""
    raw = socket.socket(fileno=os.dup(channel.sock.fileno()))
    try:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([raw], [], [], left)
            if not ready:
                break
            try:
                data = raw.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                return "reset"
            except OSError as exc:
                return f"error {exc.__class__.__name__}"
            return "fin" if not data else "bytes"
        return "open"
    finally:
        raw.close()  # the duplicate only


@pytest.mark.req("PKI-TLS-7")
def test_initiator_close_after_its_fatal_error_is_no_reset(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    box: dict[str, str] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        wire = frame_bytes(
            "RSFL", control({"name": pki_lies.NAME, "size": pki_lies.SIZE})
        ) + frame_bytes("DATA", pki_lies.CONTENT)
        wire += frame_bytes("DATA", bytes(_BEYOND))  # past the announced size
        try:
            if _CORK is not None:
                r.channel.sock.setsockopt(socket.IPPROTO_TCP, _CORK, 1)
            r.channel.send_raw(wire)
            if _CORK is not None:
                r.channel.sock.setsockopt(socket.IPPROTO_TCP, _CORK, 0)
        except OSError as exc:  # the initiator reset the connection under our write
            box["ending"] = f"the suite's write failed: {exc.__class__.__name__}"
            box["reset"] = "yes"
            r.ended = True
            return
        reaction = r.await_reaction()
        r.ended = True  # the suite neither answers nor closes: it watches
        if not (isinstance(reaction, ReceivedFrame) and reaction.type == b"EROR"):
            box["skip"] = f"no EROR from the initiator: {reaction.describe()}"
            return
        end = r.channel.recv_frame(deadline_after(_WATCH))
        if isinstance(end, TimedOut) or not ended_cleanly(end):
            # No close_notify (or a frame after the EROR): PKI-TLS-7 and ERR-3 are judged
            # there by test_pki_initiator_transfer.py and test_client_pki_close_timing.py;
            # a reset that came in place of the close_notify is judged here.
            if "reset" in end.describe():
                box["ending"] = f"EROR {reaction.error_name}, then {end.describe()}"
                box["reset"] = "yes"
            else:
                box["skip"] = f"after its EROR: {end.describe()} (judged by other cases)"
            return
        how = _tcp_end(r.channel, _WATCH)
        box["ending"] = f"EROR {reaction.error_name}, close_notify, then TCP: {how}"
        if how == "reset":
            box["reset"] = "yes"

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    if "reset" in box:
        raise ConformanceFailure.evidence(
            f"PKI-TLS-7: a get whose responder sent a DATA frame of {_BEYOND} bytes past "
            "the announced size (integrity_failed owed at its header), its payload still "
            "unread by the initiator when it answers",
            "EROR, close_notify, then a TCP FIN: what the responder sent drained first "
            "(ERR-3's lingering close), never a reset",
            box["ending"],
            note=got.describe(),
        )
    if "skip" in box:
        pytest.skip(box["skip"])
