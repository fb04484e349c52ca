"""Failed-handshake throttling per user name and per client address [EKE-THR-1..4].

After `failures` failed handshakes (default 5) a user name or an address is blocked
for `base * 2**(n - failures)` seconds (capped at `cap`, rounded up to whole seconds)
counted from its latest failure, n being its number of failures. A blocked EKE1 is answered `EROR
throttled` with `retry_after` before any exponentiation. The server counts a
failure as soon as it sends EKE2 (a guess is spent from then on) and forgives it on
success: a success resets the user's count [EKE-THR-4] and takes back the one
failure it added to its address (the address may be shared: a NAT).

Counters for names that do not exist are kept too (otherwise throttling would tell
which users exist). Memory is bounded: at most `max_entries` keys, least recently
failed first out, and entries idle for longer than `forget_after` are dropped.

Thread-safe (one lock); the clock is injected so tests need no sleeps.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ThrottleConfig", "Throttle"]


@dataclass(frozen=True)
class ThrottleConfig:
    failures: int = 5
    base: float = 1.0
    cap: float = 300.0
    forget_after: float = 3600.0
    max_entries: int = 100_000

    def __post_init__(self) -> None:
        if self.failures < 1:
            raise ValueError("throttle failures must be at least 1")
        if not 0 < self.base <= self.cap:
            raise ValueError("throttle base must be > 0 and <= cap")
        if self.max_entries < 1 or self.forget_after <= 0:
            raise ValueError("throttle memory limits must be positive")


@dataclass
class _Entry:
    failures: int
    last: float


class Throttle:
    def __init__(
        self, config: ThrottleConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or ThrottleConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def retry_after(self, user: str, address: str) -> float | None:
        """Seconds until `user` from `address` may try again; None if not blocked."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(("user", user), now), self._wait(("addr", address), now)]
        wait = max(waits)
        return wait if wait > 0 else None

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in (("user", user), ("addr", address)):
                entry = self._live(key, now)
                if entry is None:
                    entry = _Entry(0, now)
                entry.failures += 1
                entry.last = now
                self._entries[key] = entry
                self._entries.move_to_end(key)
            self._trim(now)

    def succeeded(self, user: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            self._entries.pop(("user", user), None)
            entry = self._live(("addr", address), now)
            if entry is not None:
                entry.failures -= 1
                if entry.failures <= 0:
                    del self._entries[("addr", address)]

    def failures(self, user: str | None = None, address: str | None = None) -> int:
        """The current count for a user or an address (for logs and tests)."""
        key = ("user", user) if user is not None else ("addr", address or "")
        with self._lock:
            entry = self._live(key, self._clock())
            return entry.failures if entry else 0

    # -- internals (lock held) ------------------------------------------------------
    def _live(self, key: tuple[str, str], now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry.last > self.config.forget_after:
            del self._entries[key]
            return None
        return entry

    def _wait(self, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        cfg = self.config
        if entry is None or entry.failures < cfg.failures:
            return 0.0
        # Doubling per failure beyond the threshold; the exponent is clamped so that a
        # long attack cannot overflow the float.
        extra = min(entry.failures - cfg.failures, 64)
        # Whole seconds: `retry_after` is an integer on the wire [ERR-7], and a client
        # told to wait 1 s must not find the door open again after 0.2 s.
        lockout = max(1, math.ceil(min(cfg.cap, cfg.base * 2.0**extra)))
        return entry.last + lockout - now

    def _trim(self, now: float) -> None:
        entries = self._entries
        while len(entries) > self.config.max_entries:
            entries.popitem(last=False)
        # Drop idle entries from the old end; stop at the first live one.
        while entries:
            key, entry = next(iter(entries.items()))
            if now - entry.last <= self.config.forget_after:
                break
            del entries[key]
