"""Failed-handshake throttling per user name and per client address [EKE-THR-1..11].

A handshake is *pending* from the moment the server sends EKE2 until it ends
[EKE-THR-5]: a valid EKE3 forgives it, any other end (bad EKE3, close, timeout) is a
failure at once. Throttle decisions use failures only, so a burst of honest logins is
never mistaken for an attack; what bounds the guesses an attacker holds open in
parallel is the pending cap instead: at most `pending_per_user` per user name and
`pending_per_address` per address, beyond which EKE1 is answered `EROR busy`, not
counted, before any exponentiation [EKE-THR-7].

After `failures` failures (default 5) a user name or an address is blocked for
`base * 2**(n - failures)` seconds (capped at `cap`, rounded up to whole seconds)
counted from its latest failure, n being its number of failures [EKE-THR-6]. A success
resets the user's count [EKE-THR-4] and nothing of the address's (the address may be a
NAT shared with an attacker). After `lock_after` consecutive failures (default 100) a
user name is locked until an administrator unlocks it [EKE-THR-11].

Counters for names that do not exist are kept too (otherwise throttling would tell
which users exist). User names and addresses live in separate tables, each bounded by
`max_entries`; only entries whose lock has expired are evicted, least recently failed
first, and an idle entry is forgotten after `forget_after` [EKE-THR-9]. Hard-locked
names are kept apart from the bound: never evicted, never counted towards it. IPv6 addresses
are counted per /64 [EKE-THR-10]. With a database path the failure tables are written
through to SQLite and reloaded at start: a restart resets nothing [EKE-THR-8]. Pending
handshakes are not persisted (their connections do not survive a restart either).

Thread-safe (one lock); the clock is injected so tests need no sleeps. The clock is
wall time by default: persisted times must mean the same after a restart.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reference.eke.store import DB_WAIT

__all__ = ["ThrottleConfig", "Throttle", "address_key", "throttle_path_for"]

log = logging.getLogger("sft.eke.throttle")

_KINDS: Final = ("user", "addr")
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS failures (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last REAL NOT NULL,
    PRIMARY KEY (kind, key)
);
"""


@dataclass(frozen=True)
class ThrottleConfig:
    failures: int = 5
    base: float = 1.0
    cap: float = 300.0
    forget_after: float = 3600.0
    max_entries: int = 100_000  # per table: user names and addresses apart [EKE-THR-9]
    # [EKE-THR-7]: four logins of one user at once (a script, a few windows) and eight
    # users behind one NAT proceed; eight is also LIM-8's per-address connection cap.
    pending_per_user: int = 4
    pending_per_address: int = 8
    busy_retry_after: int = 1  # seconds: a pending handshake ends within a round trip
    lock_after: int = 100  # [EKE-THR-11]: NIST SP 800-63B §5.2.2

    def __post_init__(self) -> None:
        if self.failures < 1:
            raise ValueError("throttle failures must be at least 1")
        if not 0 < self.base <= self.cap:
            raise ValueError("throttle base must be > 0 and <= cap")
        if self.max_entries < 1 or self.forget_after <= 0:
            raise ValueError("throttle memory limits must be positive")
        if self.pending_per_user < 1 or self.pending_per_address < 1:
            raise ValueError("pending handshake caps must be at least 1")
        if self.busy_retry_after < 1:
            raise ValueError("the busy retry_after must be at least 1 s")
        if self.lock_after < self.failures:
            raise ValueError("the hard lock must come at or after the throttle threshold")


def _private_file(path: Path) -> None:
    """Creates `path` mode 0600 if missing: user names and addresses are nobody's business."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def throttle_path_for(store: Path) -> Path:
    """Where the server keeps the failure counts of `store`'s users: beside it [EKE-THR-8]."""
    return store.with_name(store.name + ".throttle")


def address_key(address: str) -> str:
    """The counted unit of an address [EKE-THR-10]: an IPv4 address, or an IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass
class _Entry:
    failures: int
    last: float


class _FailureTables:
    """The user and address tables behind one dict-like face keyed by (kind, key).

    Separate OrderedDicts (least recently failed first) so that one kind can never push
    the other out [EKE-THR-9]; every write goes through to SQLite when a database is
    open [EKE-THR-8]. Callers hold the Throttle's lock.
    """

    def __init__(self, db: sqlite3.Connection | None) -> None:
        self._tables: dict[str, OrderedDict[str, _Entry]] = {k: OrderedDict() for k in _KINDS}
        self._db = db

    def table(self, kind: str) -> OrderedDict[str, _Entry]:
        return self._tables[kind]

    def get(self, key: tuple[str, str]) -> _Entry | None:
        return self._tables[key[0]].get(key[1])

    def __setitem__(self, key: tuple[str, str], entry: _Entry) -> None:
        self._tables[key[0]][key[1]] = entry
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO failures (kind, key, failures, last) VALUES (?, ?, ?, ?)",
                (key[0], key[1], entry.failures, entry.last),
            )

    def __delitem__(self, key: tuple[str, str]) -> None:
        del self._tables[key[0]][key[1]]
        self._forget(key)

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for kind, table in self._tables.items():
            for key in table:
                yield kind, key

    def pop(self, key: tuple[str, str], default: _Entry | None = None) -> _Entry | None:
        entry = self._tables[key[0]].pop(key[1], None)
        if entry is None:
            return default
        self._forget(key)
        return entry

    def move_to_end(self, key: tuple[str, str]) -> None:
        self._tables[key[0]].move_to_end(key[1])

    def unlocked(self, key: tuple[str, str]) -> bool:
        """True when the database no longer holds `key` (an administrator removed it)."""
        if self._db is None:
            return False
        row = self._db.execute("SELECT 1 FROM failures WHERE kind = ? AND key = ?", key).fetchone()
        return row is None

    def detach(self) -> None:
        self._db = None

    def load(self) -> None:
        if self._db is None:
            return
        rows = self._db.execute("SELECT kind, key, failures, last FROM failures ORDER BY last")
        for kind, key, failures, last in rows:
            if kind in self._tables:
                self._tables[kind][key] = _Entry(int(failures), float(last))

    def _forget(self, key: tuple[str, str]) -> None:
        if self._db is not None:
            self._db.execute("DELETE FROM failures WHERE kind = ? AND key = ?", key)


class Throttle:
    def __init__(
        self,
        config: ThrottleConfig | None = None,
        clock: Callable[[], float] = time.time,
        *,
        path: Path | None = None,
    ) -> None:
        self.config = config or ThrottleConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            _private_file(path)
            # check_same_thread=False: connection threads share it under self._lock.
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=DB_WAIT
            )
            self._db.executescript(_SCHEMA)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._entries = _FailureTables(self._db)
        self._entries.load()
        self._pending: dict[tuple[str, str], int] = {}
        self._over_bound_logged = False

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._entries.detach()

    # -- decisions at EKE1 ----------------------------------------------------------------
    def retry_after(self, user: str, address: str) -> float | None:
        """Seconds until `user` from `address` may try again; None if not blocked."""
        address = address_key(address)
        now = self._clock()
        with self._lock:
            waits = [self._wait(("user", user), now), self._wait(("addr", address), now)]
        wait = max(waits)
        return wait if wait > 0 else None

    def begin(self, user: str, address: str) -> bool:
        """Reserves a pending slot for a handshake about to send EKE2 [EKE-THR-7].

        False: the user name or the address has its cap of pending handshakes (answer
        `busy`; nothing is counted). True: the caller MUST call `end` exactly once.
        """
        keys = (("user", user), ("addr", address_key(address)))
        caps = (self.config.pending_per_user, self.config.pending_per_address)
        with self._lock:
            if any(self._pending.get(k, 0) >= cap for k, cap in zip(keys, caps, strict=True)):
                return False
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1
        return True

    def end(self, user: str, address: str) -> None:
        """Releases the pending slot `begin` reserved (after `failed` or `succeeded`)."""
        with self._lock:
            for key in (("user", user), ("addr", address_key(address))):
                left = self._pending.get(key, 0) - 1
                if left > 0:
                    self._pending[key] = left
                else:
                    self._pending.pop(key, None)

    # -- outcomes ---------------------------------------------------------------------------
    def failed(self, user: str, address: str) -> None:
        address = address_key(address)
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
        """[EKE-THR-4]: the user's count restarts; the address keeps its failures."""
        del address  # a shared address's other failures are not ours to forgive
        with self._lock:
            self._entries.pop(("user", user), None)

    # -- administration and inspection ----------------------------------------------------
    def locked(self, user: str) -> bool:
        """True when the user name reached the hard cap [EKE-THR-11]."""
        with self._lock:
            entry = self._live(("user", user), self._clock())
            return entry is not None and entry.failures >= self.config.lock_after

    def unlock(self, user: str) -> bool:
        """An administrator's unlock: forgets the user's failures; False if none."""
        with self._lock:
            return self._entries.pop(("user", user), None) is not None

    def failures(self, user: str | None = None, address: str | None = None) -> int:
        """The current count for a user or an address (for logs and tests)."""
        key = ("user", user) if user is not None else ("addr", address_key(address or ""))
        with self._lock:
            entry = self._live(key, self._clock())
            return entry.failures if entry else 0

    def pending(self, user: str | None = None, address: str | None = None) -> int:
        key = ("user", user) if user is not None else ("addr", address_key(address or ""))
        with self._lock:
            return self._pending.get(key, 0)

    # -- internals (lock held) ------------------------------------------------------
    def _hard_locked(self, key: tuple[str, str], entry: _Entry) -> bool:
        return key[0] == "user" and entry.failures >= self.config.lock_after

    def _live(self, key: tuple[str, str], now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and self._hard_locked(key, entry) and self._entries.unlocked(key):
            # `sft eke user unlock` ran in another process while we serve [EKE-THR-11].
            self._entries.table(key[0]).pop(key[1], None)
            return None
        if (
            entry is not None
            and now - entry.last > self.config.forget_after
            and not self._hard_locked(key, entry)
        ):
            del self._entries[key]
            return None
        return entry

    def _wait(self, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        cfg = self.config
        if entry is None or entry.failures < cfg.failures:
            return 0.0
        if self._hard_locked(key, entry):
            # Until an administrator unlocks it; retry_after must be a number [ERR-7].
            return float(math.ceil(cfg.cap))
        # Doubling per failure beyond the threshold; the exponent is clamped so that a
        # long attack cannot overflow the float.
        extra = min(entry.failures - cfg.failures, 64)
        # Whole seconds: `retry_after` is an integer on the wire [ERR-7], and a client
        # told to wait 1 s must not find the door open again after 0.2 s.
        lockout = max(1, math.ceil(min(cfg.cap, cfg.base * 2.0**extra)))
        return entry.last + lockout - now

    def _trim(self, now: float) -> None:
        for kind in _KINDS:
            table = self._entries.table(kind)
            # Idle entries from the old end; stop at the first live one.
            while table:
                key, entry = next(iter(table.items()))
                if now - entry.last <= self.config.forget_after or self._hard_locked(
                    (kind, key), entry
                ):
                    break
                del self._entries[(kind, key)]
            # [EKE-THR-9]: a hard-locked name neither goes nor counts towards the bound
            # (counted, a table full of hard locks would evict each new partial count at
            # the next failure: per-name throttling off for every other name).
            if len(table) <= self.config.max_entries:
                continue
            held = sum(1 for key, entry in table.items() if self._hard_locked((kind, key), entry))
            excess = len(table) - held - self.config.max_entries
            if excess <= 0:
                continue
            # [EKE-THR-9]: only entries whose lock has run out may go, oldest first.
            evictable: list[str] = []
            for key, entry in table.items():
                if len(evictable) == excess:
                    break
                if not self._hard_locked((kind, key), entry) and self._wait((kind, key), now) <= 0:
                    evictable.append(key)
            for key in evictable:
                del self._entries[(kind, key)]
            if len(evictable) < excess and not self._over_bound_logged:
                self._over_bound_logged = True
                log.warning("the %s failure table is over its bound: every entry is locked", kind)
