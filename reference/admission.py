"""Who gets a connection slot: the sans-IO admission rule of both responders [LIM-4, 8, 9].

A responder holds at most `max_connections` connections [LIM-4]. Connections still in
their handshake ("pending") are counted apart from established ones, because a pending
connection costs its sender nothing — no certificate, no password — while it takes a
slot for the whole handshake timeout:

* at most `max_pending_per_address` pending connections per source address [LIM-8]:
  one address holding silent sockets is refused at once, everyone else still gets in;
* when every slot is taken and some are pending, a new connection takes the slot of
  the OLDEST pending one, which the adapter then closes [LIM-9]: a flood of silent
  sockets from many addresses must keep reopening faster than an honest handshake
  completes to keep anyone out. Established connections are never evicted; when they
  fill every slot the new connection is refused (`busy`).

The adapters call `admit` on accept, `established` after the handshake and `release`
when the connection ends, under their own lock (this class is not thread-safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Admission", "AdmissionDecision", "Refusal"]


class Refusal(Enum):
    """Why a new connection is refused."""

    PER_ADDRESS = "too many connections in their handshake from this address"
    FULL = "too many connections; try later"


@dataclass(frozen=True, slots=True)
class AdmissionDecision:
    """`refused` is None when admitted; `evict` names a pending connection to close."""

    refused: Refusal | None = None
    evict: int | None = None

    @property
    def admitted(self) -> bool:
        return self.refused is None


class Admission:
    """The slot accounting of one responder."""

    def __init__(self, max_connections: int, max_pending_per_address: int) -> None:
        if max_connections < 1 or max_pending_per_address < 1:
            raise ValueError("connection limits must be at least 1")
        self.max_connections = max_connections
        self.max_pending_per_address = max_pending_per_address
        self._pending: dict[int, str] = {}  # insertion order: oldest first
        self._established: set[int] = set()
        self._pending_by_address: dict[str, int] = {}

    @property
    def open_connections(self) -> int:
        return len(self._pending) + len(self._established)

    def pending_from(self, address: str) -> int:
        return self._pending_by_address.get(address, 0)

    def admit(self, key: int, address: str) -> AdmissionDecision:
        """Decides on a new connection `key` from `address`; admitted ones count as pending."""
        if self.pending_from(address) >= self.max_pending_per_address:
            return AdmissionDecision(refused=Refusal.PER_ADDRESS)
        evict: int | None = None
        if self.open_connections >= self.max_connections:
            if not self._pending:
                return AdmissionDecision(refused=Refusal.FULL)
            evict = next(iter(self._pending))
            self._forget_pending(evict)
        self._pending[key] = address
        self._pending_by_address[address] = self.pending_from(address) + 1
        return AdmissionDecision(evict=evict)

    def established(self, key: int) -> bool:
        """The handshake of `key` completed; False if it was evicted meanwhile."""
        if key not in self._pending:
            return False
        self._forget_pending(key)
        self._established.add(key)
        return True

    def release(self, key: int) -> None:
        """The connection ended (a no-op for one already evicted)."""
        self._established.discard(key)
        if key in self._pending:
            self._forget_pending(key)

    def _forget_pending(self, key: int) -> None:
        address = self._pending.pop(key)
        left = self._pending_by_address[address] - 1
        if left:
            self._pending_by_address[address] = left
        else:
            del self._pending_by_address[address]
