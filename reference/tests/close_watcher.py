"""A loopback proxy that tells, per side, whether a connection ended with FIN or RST.

Shared by the EKE and PKI tests: the reference must end honest sessions gracefully
(captures of them are "clean", captures/checker.py), and a reset is invisible to
the application that caused it, so it is observed from outside, like on the wire.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

__all__ = ["CloseWatcher"]


class CloseWatcher:
    """A loopback proxy that forwards one connection and notes how each side ended it:
    "fin" (EOF, nothing lost) or "reset" (a TCP RST: the kernel of that side closed
    with bytes unread, or received bytes after it had closed)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.ends: dict[str, str] = {}
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()[:2]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(self.upstream, timeout=10)
        client.settimeout(10)
        pipes = [
            threading.Thread(target=self._pipe, args=(src, dst, a, b), daemon=True)
            for src, dst, a, b in ((client, server, "client", "server"),
                                   (server, client, "server", "client"))
        ]
        for pipe in pipes:
            pipe.start()
        for pipe in pipes:
            pipe.join(timeout=10)
        time.sleep(0.1)  # a reset answering our last send arrives after it
        for sock, name in ((client, "client"), (server, "server")):
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self.ends[name] = "reset"
            sock.close()
        self.listener.close()

    def _pipe(self, src: socket.socket, dst: socket.socket, name: str, other: str) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                self.ends[name] = "reset"
                return
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                self.ends[other] = "reset"
                return
        self.ends.setdefault(name, "fin")
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def ended(self) -> dict[str, str]:
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()
        return dict(sorted(self.ends.items()))
