"""Closing after a refusal while the peer is still sending: our last bytes, then a FIN.

A responder that refuses a put mid-way sends its EROR and closes while the sender's
DATA is still arriving. Closing a TCP socket with unread bytes makes the kernel answer
with a reset; the sender then fails in `send` and may never read the EROR [ERR-3,
PKI-TLS-6]. `close_gracefully` (raw, the eke adapter) and `close_tls` (after our
close_notify met application data) shut our sending side down and drain what the
peer still sends until its FIN. These tests are the peer: they keep sending after our
close, then read, and must see the EROR and an orderly end — never a reset.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest

from reference.closing import close_gracefully, reset_on_close
from reference.pki.tls import client_context, close_tls, server_context
from reference.tests import test_pki

org = test_pki.org
TIMEOUT = 10.0
EROR = b"EROR: refused, and this must reach the sender"
PENDING = 64 * 1024  # unread at our close: fits the loopback buffers, so sends never block
LATE = 16 * 1024  # what the sender still sends after it saw our close


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    listener = socket.create_server(("127.0.0.1", 0))
    peer = socket.create_connection(listener.getsockname()[:2], timeout=TIMEOUT)
    ours, _ = listener.accept()
    listener.close()
    ours.settimeout(TIMEOUT)
    yield ours, peer
    for sock in (ours, peer):
        sock.close()


def _closing_side(run: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            run()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, errors


def _read_to_end(sock: socket.socket, first: bytes = b"") -> bytes:
    """Everything until the FIN; a reset raises ConnectionResetError."""
    data = bytearray(first)
    while chunk := socket.socket.recv(sock, 65536):
        data += chunk
    return bytes(data)


def test_raw_close_lets_a_sender_that_keeps_sending_read_our_last_bytes(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    peer.sendall(b"D" * PENDING)  # a put in flight, none of it read by us

    def refuse() -> None:
        ours.sendall(EROR)
        close_gracefully(ours, linger=TIMEOUT, limit=PENDING + LATE + 4096)

    thread, errors = _closing_side(refuse)
    received = peer.recv(len(EROR), socket.MSG_WAITALL)
    assert received == EROR
    peer.sendall(b"D" * LATE)  # still sending after the refusal: no reset may answer it
    peer.shutdown(socket.SHUT_WR)
    assert _read_to_end(peer) == b"", "our FIN must follow the EROR, nothing else"
    thread.join(TIMEOUT)
    assert not thread.is_alive() and not errors, errors


def test_raw_close_is_bounded_by_its_byte_limit(pair: tuple[socket.socket, socket.socket]) -> None:
    """A peer that never stops sending gets the reset once the limit is read."""
    ours, peer = pair
    stop = threading.Event()

    def flood() -> None:
        try:
            while not stop.is_set():
                peer.sendall(b"D" * 4096)
        except OSError:
            return

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    thread, errors = _closing_side(lambda: close_gracefully(ours, linger=60.0, limit=256 * 1024))
    thread.join(TIMEOUT / 2)  # 256 KiB of loopback takes milliseconds; `linger` is 60 s
    stop.set()
    assert not thread.is_alive(), "the drain must stop at its byte limit, not at `linger`"
    assert not errors, errors
    flooder.join(TIMEOUT)


def test_tls_close_after_refusing_data_still_delivers_our_record_and_a_fin(
    org: test_pki.Org, pair: tuple[socket.socket, socket.socket]
) -> None:
    raw_ours, raw_peer = pair
    alice, bob = org.ids["alice"], org.ids["bob"]
    server_done = threading.Event()
    holder: dict[str, ssl.SSLSocket] = {}

    def handshake() -> None:
        holder["ours"] = server_context(alice, org.crl()).wrap_socket(raw_ours, server_side=True)
        server_done.set()

    thread, errors = _closing_side(handshake)
    peer = client_context(bob, org.crl()).wrap_socket(raw_peer, server_hostname=None)
    thread.join(TIMEOUT)
    assert server_done.is_set() and not errors, errors
    ours = holder["ours"]
    peer.sendall(b"D" * PENDING)  # application data we never read before closing

    def refuse() -> None:
        ours.sendall(EROR)
        close_tls(ours, timeout=TIMEOUT)

    thread, errors = _closing_side(refuse)
    received = b""
    while len(received) < len(EROR):
        chunk = peer.recv(len(EROR) - len(received))
        assert chunk, f"the connection ended after {received!r}"
        received += chunk
    assert received == EROR
    tail = peer.recv(4096)  # our close_notify: an orderly TLS end
    assert tail == b""
    raw_peer_sock = socket.socket(fileno=peer.detach())  # below TLS from here on
    raw_peer_sock.settimeout(TIMEOUT)
    try:
        raw_peer_sock.sendall(b"D" * LATE)  # still sending: no reset may answer it
        raw_peer_sock.shutdown(socket.SHUT_WR)
        assert _read_to_end(raw_peer_sock) == b""
    finally:
        raw_peer_sock.close()
    thread.join(TIMEOUT)
    assert not thread.is_alive() and not errors, errors


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "reset"])
def test_reset_on_close_turns_the_close_into_a_reset(
    pair: tuple[socket.socket, socket.socket], reset: bool
) -> None:
    """A put our shutdown cuts [APP-STORE-3]: with reset_on_close, our close reaches the
    sender as a reset even with nothing unread on our side, so a sender stalled on a
    full window learns at once; without it (every other close), a FIN."""
    ours, peer = pair
    peer.sendall(b"D" * PENDING)
    got = 0
    while got < PENDING:  # read all of it: nothing unread that would reset anyway
        got += len(ours.recv(PENDING - got))
    if reset:
        reset_on_close(ours)
    close_gracefully(ours, linger=0.0)
    if reset:  # the reset is already here: the sender's next send fails
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            peer.send(b"D")
    else:  # a FIN: the next send still goes out (what answers it comes later)
        assert peer.send(b"D") == 1
