"""Reading what a target's declared log file (`[eke] server_log`, `[pki] ca_log`) gained
while a case made its logins: the bytes added after an offset, once the log has taken
them (it grew, then stopped growing). Every wait is bounded."""

from __future__ import annotations

import threading
import time
from pathlib import Path

__all__ = ["SETTLE_WAIT", "added_since", "settled", "size"]

SETTLE_WAIT = 5.0  # seconds at most for the log to take the logins
_QUIET = 0.3  # seconds without growth: the log has taken what it will write


def size(path: Path) -> int:
    """The log's size now (0 while it does not exist)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def settled(path: Path, start: int) -> bool:
    """Waits (bounded) until the log grew past `start` and then stopped growing."""
    tick = threading.Event()
    deadline = time.monotonic() + SETTLE_WAIT
    last, quiet_since = size(path), time.monotonic()
    while time.monotonic() < deadline:
        tick.wait(0.05)
        now = size(path)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif last > start and time.monotonic() - quiet_since >= _QUIET:
            return True
    return size(path) > start


def added_since(path: Path, start: int) -> bytes:
    """The bytes the log holds after offset `start`."""
    with path.open("rb") as fh:
        fh.seek(start)
        return fh.read()
