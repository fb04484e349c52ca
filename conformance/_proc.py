"""What Linux's /proc says about a loopback target: whose socket the other end of one of
our connections is, and how much memory that process holds.

Not a public API. The suite talks to targets over sockets only; a few requirements
(LIM-6: memory per connection; LIM-2's answering time) are about what the target does with
its own resources, which the kernel shows to anyone allowed to look when the target runs
on this machine. Every function answers None (the case then SKIPs and says why) where
the kernel does not show it: another machine, another user's process, no /proc.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from pathlib import Path

__all__ = ["PeakMemory", "hex_forms", "peer_processes"]

_PROC = Path("/proc")


def hex_forms(address: tuple[str, int]) -> tuple[str, str]:
    """An IPv4 address and port as /proc/net/tcp writes them, and as /proc/net/tcp6
    writes the same address mapped (::ffff:a.b.c.d: a responder listening on `::`)."""
    packed = socket.inet_aton(address[0])
    (word,) = struct.unpack("<I", packed)
    mapped = struct.unpack("<4I", b"\0" * 10 + b"\xff\xff" + packed)
    port = f"{address[1]:04X}"
    return f"{word:08X}:{port}", "".join(f"{w:08X}" for w in mapped) + f":{port}"


def _peer_inode(sock: socket.socket) -> int | None:
    """The inode of the socket at the other end of `sock` (a loopback TCP connection)."""
    try:
        ours, theirs = hex_forms(sock.getsockname()[:2]), hex_forms(sock.getpeername()[:2])
    except (OSError, ValueError):
        return None
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[1] in theirs and parts[2] in ours:
                inode = int(parts[9])
                return inode or None
    return None


def peer_processes(sock: socket.socket) -> tuple[int, ...]:
    """The processes holding the other end of `sock` (the target's serving process, or
    the child it forked for this connection); () where the kernel does not say."""
    inode = _peer_inode(sock)
    if inode is None:
        return ()
    wanted = f"socket:[{inode}]"
    found: list[int] = []
    for entry in _PROC.iterdir():  # bounded by the machine's processes
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in os.scandir(entry / "fd"):
                if os.readlink(fd.path) == wanted:
                    found.append(int(entry.name))
                    break
        except OSError:  # gone, or another user's
            continue
    return tuple(found)


def _status_kib(pid: int, field: str) -> int | None:
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class PeakMemory:
    """The highest resident memory of some processes over a span of time.

    `start()` resets the kernel's high-water mark (VmHWM, by writing 5 to clear_refs, as
    the process's owner or root may) and samples VmRSS every few milliseconds in a thread
    as well, so the peak is exact where the reset is allowed and closely sampled where it
    is not; `stop()` returns (resident KiB at the start, peak KiB), the largest growth of
    any one process.
    """

    _EVERY = 0.003

    def __init__(self, pids: tuple[int, ...]) -> None:
        self.pids = pids
        self._base: dict[int, int] = {}
        self._peak: dict[int, int] = {}
        self._reset: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """False when none of the processes can be read."""
        for pid in self.pids:
            try:
                (_PROC / str(pid) / "clear_refs").write_text("5")
                self._reset.add(pid)
            except OSError:
                pass
            rss = _status_kib(pid, "VmRSS")
            if rss is not None:
                self._base[pid] = self._peak[pid] = rss
        if not self._base:
            return False
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return True

    def _sample(self) -> None:
        while not self._stop.wait(self._EVERY):  # ends with stop()
            for pid in self._base:
                rss = _status_kib(pid, "VmRSS")
                if rss is not None and rss > self._peak[pid]:
                    self._peak[pid] = rss

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        for pid in self._reset:
            hwm = _status_kib(pid, "VmHWM")
            if hwm is not None and pid in self._peak:
                self._peak[pid] = max(self._peak[pid], hwm)
        pid = max(self._base, key=lambda p: self._peak[p] - self._base[p])
        return self._base[pid], self._peak[pid]

    @property
    def exact(self) -> bool:
        return bool(self._reset)
