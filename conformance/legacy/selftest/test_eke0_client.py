"""The suite's sft-eke/0 client against a scripted server: the reads of messages without
a length (docs/SPEC.md §7.3.1)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.stream import LegacyStream

PASSWORD = b"OnlyLetters"


def _serve(listener: socket.socket, server_public: int, split: bool) -> None:
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        for answer in (b"u_ack", b"Authenticated", b"pAck", b"gAck"):
            conn.recv(1024)
            conn.sendall(answer)
        conn.recv(1024)  # message 9
        message_11 = eke0.hide(server_public, PASSWORD)
        conn.sendall(b"xorAck")
        if split:
            conn.sendall(message_11[:20])
            time.sleep(0.2)
            message_11 = message_11[20:]
        conn.sendall(message_11)
        assert conn.recv(1024) == b"xorServerAck"
        conn.sendall(bytes(32))  # message 13
        conn.recv(1024)  # until the client closes


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        sock.settimeout(10)
        yield sock


@pytest.mark.parametrize(
    ("server_public", "split"),
    [
        (pow(2, 5516, eke0.P), False),  # the seed's exponent: 38 digits
        (pow(2, 5516, eke0.P), True),  # ... split across two reads: rejoined
        (12345678901234567890123456789012345, False),  # 35 digits: a fresh exponent's
    ],
    ids=["seed-38-digits", "split-read", "short-35-digits"],
)
def test_message_11_is_read_whole_whatever_its_length(
    listener: socket.socket, server_public: int, split: bool
) -> None:
    server = threading.Thread(target=_serve, args=(listener, server_public, split))
    server.start()
    started = time.monotonic()
    host, port = listener.getsockname()[:2]
    with LegacyStream(host, port, timeout=5.0) as stream:
        client = eke0.EkeClient(stream, PASSWORD)
        assert client.login(b"u") == b"Authenticated"
        client.group()
        client.exchange()
    server.join(timeout=10)
    assert eke0.reveal(client.got[11], PASSWORD) == server_public
    assert client.got[13] == bytes(32)
    # A short value costs the grace period at most, never the 5 s read deadline.
    assert time.monotonic() - started < 3.0
