"""sft-eke/1: a get the client abandons mid-way leaves nothing behind for the next get of
that file (SPEC §3.3 APP-GET-2; §3.6 APP-BYE-2, FRM-7).

A client may end its connection in the middle of a get (it was stopped, its disk filled,
its user pressed Ctrl-C): the get fails for that client (APP-GET-5), and that is all.
The responder MUST answer every later get of the file — on a new connection, another
session — with RSFL, exactly `size` bytes and a DONE carrying their SHA-256 (APP-GET-2).
What a server keeps between gets for speed is where an abandoned one leaves residue: an
open-file cache whose descriptor is rewound only when a get completes (the next get
starts in the middle: a short file, or the "file shrank" internal error), a digest object
or byte counter per file, a read-ahead buffer left half consumed.

The abandoned get must really be in progress when the client leaves: the file is large
enough (up to 2 MiB, within the max file size) that the server cannot push it all into
the socket buffers of a client whose receive buffer is 4 KiB and which stops reading, so
the server is blocked in the middle of the file; the client then resets the connection
(SO_LINGER 0), after the RSFL, or after the first DATA frame. Then a new connection gets
the same file twice: both gets whole. The file is written into the target's declared
share (skipped without one this host can write to).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import struct

import pytest

from conformance import eke
from conformance._wire_fixtures import get_file, require
from conformance.eke_channel import EkeChannel, client_handshake, password_key_cached
from conformance.plugin import TranscriptBook, inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, deadline_after

_MAX = 2 * 1024 * 1024
_ENDINGS = ("reset after RSFL", "reset after the first DATA frame")


def _timeout(target: Target) -> float:
    return max(5.0, min(10.0, target.limits.idle_timeout * 2))


def _narrow_channel(target: Target, transcripts: TranscriptBook) -> EkeChannel:
    """An honest channel whose socket reads into a 4 KiB receive buffer (set before the
    connect, so that the window the server sees stays small)."""
    account = target.accounts[0]
    timeout = _timeout(target)
    client = eke.ClientHandshake(
        user=account.user, pw=password_key_cached(account.password, account.user)
    )
    first = client.eke1()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(timeout)
    sock.connect((target.host, target.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw = RawConnection(sock, name="eke abandoned get", timeout=timeout)
    transcripts.add(raw)
    result = client_handshake(raw, client, timeout, eke1=first)
    keys = client.keys
    if not result.ok or keys is None:
        raw.close()
        inconclusive(f"the honest handshake for the abandoned get failed: {result.describe()}")
        raise AssertionError("unreachable")
    sender, receiver = client.record_layer()
    return EkeChannel(raw, keys, sender, receiver, role="client")


def _reset(channel: EkeChannel) -> None:
    with contextlib.suppress(OSError):
        channel.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    channel.close()


@pytest.mark.req("APP-GET-2")
def test_get_after_an_abandoned_get_of_the_same_file(
    eke_target: Target, transcripts: TranscriptBook
) -> None:
    require(eke_target, "get")
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    share = eke_target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    size = min(_MAX, eke_target.limits.max_file_size)
    if size < 512 * 1024:
        pytest.skip(f"the max file size ({size} B) is too small to hold a get in progress")
    data = os.urandom(size)
    path = share / f"sft-abandoned-get-{secrets.token_hex(6)}.bin"
    try:
        path.write_bytes(data)
    except OSError as exc:
        pytest.skip(f"cannot write into the declared share: {exc}")
    try:
        for ending in _ENDINGS:
            cut = _narrow_channel(eke_target, transcripts)
            try:
                cut.send_frame("RQFL", {"name": path.name})
                first = cut.recv_frame(deadline_after(cut.timeout))
                if not (isinstance(first, ReceivedFrame) and first.type == b"RSFL"):
                    inconclusive(f"the get to abandon was answered {first.describe()}")
                if ending.endswith("DATA frame"):
                    data_frame = cut.recv_frame(deadline_after(cut.timeout))
                    if not (isinstance(data_frame, ReceivedFrame) and data_frame.type == b"DATA"):
                        inconclusive(f"no DATA frame for the get to abandon: {data_frame}")
            finally:
                _reset(cut)
            channel = EkeChannel.connect(
                eke_target.host,
                eke_target.port,
                eke_target.accounts[0].user,
                eke_target.accounts[0].password,
                timeout=_timeout(eke_target) + size / (5 * 1024 * 1024),
                name="eke get after an abandoned get",
            )
            transcripts.add(channel)
            try:
                for attempt in ("first", "second"):
                    try:
                        got = get_file(channel, path.name)
                    except ConformanceFailure as failure:
                        raise ConformanceFailure.evidence(
                            f"APP-GET-2: a get of {path.name!r} ({size} B) abandoned by its "
                            f"client ({ending}, the server in the middle of the file), then "
                            f"the {attempt} get of it on a new connection",
                            f"RSFL size={size}, exactly {size} bytes and DONE with their "
                            "SHA-256: the abandoned get leaves nothing behind",
                            str(failure),
                            "state kept per file between gets (an open descriptor's offset, a "
                            "digest, a counter) that only a completed get resets?",
                        ) from None
                    if got.data != data:
                        raise ConformanceFailure.evidence(
                            f"APP-GET-2: the {attempt} get of {path.name!r} after a get of it "
                            f"was abandoned ({ending})",
                            f"the file's {size} bytes",
                            f"{len(got.data)} other bytes, consistently announced",
                        )
            finally:
                channel.close()
    finally:
        path.unlink(missing_ok=True)
