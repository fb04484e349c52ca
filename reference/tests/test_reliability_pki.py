"""The PKI peer stopped mid-put, and silent sockets against it (LIM-8, LIM-9, APP-STORE-3).

Uses the organisation of reference/tests/test_pki.py (a CA over HTTPS, alice, bob and
carol enrolled through it): its fixtures are bound here by name.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reference.pki.client import ClientConfig, PkiClientError, PkiSession
from reference.share import PARTIAL_PREFIX
from reference.tests import test_pki

org = test_pki.org
start_peer = test_pki.start_peer
TIMEOUT = 20.0


def _wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return True
        tick.wait(0.02)
    return predicate()


@pytest.mark.req("APP-STORE-3", "APP-STORE-5")
def test_a_peer_stopped_mid_put_keeps_client_and_disk_consistent(
    org: test_pki.Org, start_peer: Callable[..., test_pki.RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob", max_file_size=256 * 1024 * 1024)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1024 * 1024) * 96)
    outcome: list[BaseException | str] = []

    def put() -> None:
        try:
            with PkiSession(org.ids["alice"], bob.target(), ClientConfig()) as s:
                outcome.append(s.put(big))
        except (PkiClientError, OSError) as exc:
            outcome.append(exc)

    sender = threading.Thread(target=put, daemon=True)
    sender.start()

    def partials() -> list[Path]:
        return [p for p in bob.inbox.iterdir() if p.name.startswith(PARTIAL_PREFIX)]

    assert _wait_until(lambda: bool(partials()) or not sender.is_alive()), "no put started"
    started = time.monotonic()
    bob.server.close(grace=0.1)  # what SIGTERM does, with a short grace
    assert time.monotonic() - started < 8.0  # bounded: grace, then reading side, then all
    sender.join(TIMEOUT)
    assert outcome, "the client neither finished nor failed"
    stored = (bob.inbox / "big.bin").exists()
    # What the client was told matches what was stored [APP-STORE-5]; no temporary left.
    assert stored == (outcome[0] == "big.bin"), (stored, outcome)
    assert partials() == []


@pytest.mark.req("LIM-8", "LIM-9")
def test_silent_sockets_cannot_lock_out_the_peer(
    org: test_pki.Org, start_peer: Callable[..., test_pki.RunningPeer], tmp_path: Path
) -> None:
    bob = start_peer("bob", max_connections=3, max_pending_per_address=2)
    (bob.share / "f").write_bytes(b"x")
    host, port = bob.server.address
    flood = [
        socket.create_connection((host, port), timeout=5, source_address=("127.0.0.2", 0))
        for _ in range(3)
    ]
    try:
        flood[2].settimeout(TIMEOUT)
        assert flood[2].recv(1) == b""  # over the per-address cap: closed at once [LIM-8]
        flood.append(
            socket.create_connection((host, port), timeout=5, source_address=("127.0.0.3", 0))
        )
        # Every slot is taken by a handshake; an honest client still gets in [LIM-9].
        with PkiSession(org.ids["alice"], bob.target(), ClientConfig()) as s:
            s.get("f", tmp_path / "f")
        flood[0].settimeout(TIMEOUT)
        assert flood[0].recv(1) == b""  # the oldest pending one made room
    finally:
        for sock in flood:
            sock.close()
