"""Closing a connection with a FIN, never a reset: shared by the eke and pki adapters."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from typing import Final

__all__ = ["close_at_once", "close_gracefully", "reset_on_close"]

_DRAIN_LIMIT: Final = 64 * 1024


def close_gracefully(sock: socket.socket, linger: float, *, limit: int = _DRAIN_LIMIT) -> None:
    """Closes after our last record with a FIN, and lets the peer's FIN arrive first.

    A socket closed while unread bytes sit in its receive buffer (the peer's BYE_,
    sent while ours was on its way), or that receives bytes after it was closed,
    makes the kernel answer with a TCP reset instead of a FIN: the peer may then
    lose our last record, and a capture of an honest session looks truncated. So:
    shut down our sending side (our FIN follows our last record at once), read and
    drop what the peer still sends until its FIN, then close. The drain is bounded
    by `linger` seconds in total and `_DRAIN_LIMIT` bytes, so a peer that neither
    closes nor stops sending cannot hold this thread: it gets the reset. A larger
    `limit` lets a sender finish the put we refused mid-way, so that it reads our EROR
    instead of a reset.
    """
    deadline = time.monotonic() + linger
    drained = 0
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        buf = bytearray(4096)
        while drained <= limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            n = sock.recv_into(buf)
            if n == 0:
                break  # the peer's FIN: nothing is left unread
            drained += n
    with contextlib.suppress(OSError):
        sock.close()


def close_at_once(sock: socket.socket) -> None:
    """Closes with a FIN after our last bytes without waiting: for a refusal made on the
    accepting thread, which must not linger [LIM-4]. What the peer already sent (an
    EKE1 that crossed our `EROR busy`) is read and dropped first, without blocking, so
    that it does not turn the close into a reset that destroys the `EROR` [ERR-3]."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.setblocking(False)
        buf = bytearray(4096)
        drained = 0
        while drained <= _DRAIN_LIMIT:
            n = sock.recv_into(buf)  # BlockingIOError (an OSError) when nothing is left
            if n == 0:
                break
            drained += n
    with contextlib.suppress(OSError):
        sock.close()


def reset_on_close(sock: socket.socket) -> None:
    """Makes the socket's last close a TCP reset instead of a FIN: for a put that our
    own shutdown cuts short [APP-STORE-3]. Its sender is usually blocked in `send` on a
    full window; once our reading side is shut, Linux no longer advertises the space
    our reads free, so after a FIN the sender can wait for its whole idle timeout
    (observed: 60 s) to learn that the put failed. A reset tells it at once. Nothing
    of ours is lost: the put was not committed, so no DONE is owed."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
