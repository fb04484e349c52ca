"""The PKI initiator retries a refusal before the TLS handshake, and nothing after it.

A responder over its limits (LIM-4, LIM-8, LIM-9) can only close the connection before
TLS exists; the initiator takes that as `busy` and tries again (bounded, with backoff),
so that an honest burst from one address gets through. After the handshake completed
nothing is retried: a certificate refusal, an EROR or a failed transfer may follow an
action of the responder's (a put must not be repeated).

A gate in front of the real peer refuses the first connections (a bare close, or a
reset) and then forwards bytes both ways; it counts the connections it saw.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference.pki.client import ClientConfig, PkiClientError, PkiSession
from reference.tests import test_pki

org = test_pki.org
start_peer = test_pki.start_peer
TIMEOUT = 20.0


class Gate:
    """Refuses the first `refuse` connections (`how`: "eof" or "reset"), forwards the rest."""

    def __init__(self, upstream: tuple[str, int], refuse: int, how: str) -> None:
        self.upstream = upstream
        self.refuse = refuse
        self.how = how
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def target(self, alias: str) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"{alias}@{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self.refuse:
                if self.how == "reset":  # RST, not FIN
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                continue
            up = socket.create_connection(self.upstream, timeout=TIMEOUT)
            self._sockets += [conn, up]
            for src, dst in ((conn, up), (up, conn)):
                thread = threading.Thread(target=_pipe, args=(src, dst), daemon=True)
                thread.start()
                self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(TIMEOUT)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pipe threads blocked in recv
            sock.close()
        for thread in self._threads:
            thread.join(TIMEOUT)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    src.settimeout(TIMEOUT)
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@pytest.fixture
def gate(
    start_peer: Callable[..., test_pki.RunningPeer],
) -> Iterator[Callable[..., tuple[Gate, test_pki.RunningPeer]]]:
    gates: list[Gate] = []

    def make(refuse: int, how: str = "eof", **peer: object) -> tuple[Gate, test_pki.RunningPeer]:
        bob = start_peer("bob", **peer)
        gates.append(Gate(bob.server.address, refuse, how))
        return gates[-1], bob

    yield make
    for g in gates:
        g.close()


@pytest.mark.req("LIM-8")
@pytest.mark.parametrize("how", ["eof", "reset"])
@pytest.mark.parametrize("refused", [1, 3])
def test_a_refusal_before_the_handshake_is_retried(
    org: test_pki.Org,
    gate: Callable[..., tuple[Gate, test_pki.RunningPeer]],
    tmp_path: Path,
    how: str,
    refused: int,
) -> None:
    g, bob = gate(refused, how)
    (bob.share / "f").write_bytes(b"payload")
    with PkiSession(org.ids["alice"], g.target("bob"), ClientConfig()) as s:
        s.get("f", tmp_path / "f")
    assert (tmp_path / "f").read_bytes() == b"payload"
    assert g.accepted == refused + 1


@pytest.mark.parametrize("how", ["eof", "reset"])
def test_it_gives_up_after_its_retries_with_one_line(
    org: test_pki.Org, gate: Callable[..., tuple[Gate, test_pki.RunningPeer]], how: str
) -> None:
    g, _ = gate(1000, how)
    started = time.monotonic()
    with pytest.raises(PkiClientError) as caught:
        PkiSession(org.ids["alice"], g.target("bob"), ClientConfig(busy_retries=3))
    assert str(caught.value) == (
        "responder busy: refused 4 connections before the TLS handshake; try later"
    )
    assert caught.value.exit_code == 1
    assert g.accepted == 4
    assert time.monotonic() - started < 5.0  # 0.2 + 0.4 + 0.8 s, jittered by 1.5 at most


def test_the_backoff_is_bounded_in_total_time(
    org: test_pki.Org, gate: Callable[..., tuple[Gate, test_pki.RunningPeer]]
) -> None:
    g, _ = gate(1000)
    started = time.monotonic()
    with pytest.raises(PkiClientError, match=r"^responder busy: refused \d+ connections"):
        PkiSession(org.ids["alice"], g.target("bob"), ClientConfig(busy_budget=1.0))
    assert time.monotonic() - started < 3.0
    assert 2 <= g.accepted <= 5


def test_no_retries_gives_the_plain_reason(
    org: test_pki.Org, gate: Callable[..., tuple[Gate, test_pki.RunningPeer]]
) -> None:
    g, _ = gate(1000)
    with pytest.raises(PkiClientError) as caught:
        PkiSession(org.ids["alice"], g.target("bob"), ClientConfig(busy_retries=0))
    # A bare close reaches the client as an EOF or, when its ClientHello was still in
    # flight, as a reset: either way the plain reason, not the busy summary.
    reason = str(caught.value)
    assert "closed the connection abruptly" in reason or "reset" in reason.lower(), reason
    assert g.accepted == 1


def test_nobody_listening_is_not_retried(org: test_pki.Org) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(PkiClientError, match=r"^cannot connect to bob") as caught:
        PkiSession(org.ids["alice"], f"bob@127.0.0.1:{port}", ClientConfig())
    assert caught.value.exit_code == 2
    assert time.monotonic() - started < 1.0


@pytest.mark.req("PKI-ID-1")
def test_a_wrong_certificate_after_the_handshake_is_not_retried(
    org: test_pki.Org, gate: Callable[..., tuple[Gate, test_pki.RunningPeer]]
) -> None:
    g, _ = gate(0)
    with pytest.raises(PkiClientError, match="is bob, not carol"):
        PkiSession(org.ids["alice"], g.target("carol"), ClientConfig())
    assert g.accepted == 1


@pytest.mark.req("PKI-ID-3")
def test_a_refusal_after_the_handshake_is_not_retried(
    org: test_pki.Org, gate: Callable[..., tuple[Gate, test_pki.RunningPeer]], tmp_path: Path
) -> None:
    g, bob = gate(0, allow=("alice",))
    (bob.share / "f").write_bytes(b"x")
    with pytest.raises(PkiClientError, match="carol is not allowed"):
        with PkiSession(org.ids["carol"], g.target("bob"), ClientConfig()) as s:
            s.get("f", tmp_path / "f")
    assert g.accepted == 1


def test_a_put_whose_connection_drops_after_the_handshake_is_not_repeated(
    org: test_pki.Org, gate: Callable[..., tuple[Gate, test_pki.RunningPeer]], tmp_path: Path
) -> None:
    g, bob = gate(0)
    source = tmp_path / "p.bin"
    source.write_bytes(b"y" * 4096)
    session = PkiSession(org.ids["alice"], g.target("bob"), ClientConfig())
    g.close()  # every forwarded socket goes: the responder vanishes mid-session
    with pytest.raises(PkiClientError):
        session.put(source)
    session.close()  # quietly: there is nobody left to say BYE_ to
    assert g.accepted == 1
    assert not (bob.inbox / "p.bin").exists()
