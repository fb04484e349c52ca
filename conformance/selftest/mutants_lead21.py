"""Round 21 (lead): the CA's connection slots under a flood of silent sockets (LIM-5).

B125 found that the reference CA, at its default limit of 64 connections, shut every
client out for its 10 s handshake timeout once 70 silent TCP connections were open (and an
attacker renewing them kept it so), although LIM-5 holds the CA's listener to "connections
held silent ... MUST NOT keep it from answering others". The CA now closes the connection
that has waited longest — in its TLS handshake or for a request head (or body) — when
every slot is taken (reference/pki/ca_server.py); a request in progress is never cut.
These mutants put the old rule back, or a half of the new one:

- lead21-ca-no-room-for-waiting     over the limit, the new connection is refused as before
                                    (test_ca_silent_flood.py: all three holds)
- lead21-ca-handshake-only-evictable  only connections still in their TLS handshake may be
                                    closed; one waiting for its request holds its slot
                                    (test_ca_silent_flood.py: tls-done, mid-head)
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead21"


def _no_room_for_waiting() -> None:
    server = _module("reference.pki.ca_server")

    def _close_oldest_waiting(self: Any) -> bool:
        return False

    server.CaServer._close_oldest_waiting = _close_oldest_waiting


def _handshake_only_evictable() -> None:
    server = _module("reference.pki.ca_server")
    original_waiting = server.CaServer.waiting
    original_setup = server._Handler.setup

    def waiting(self: Any, idle: bool) -> None:
        if not idle:  # never waiting again once its handshake is done
            original_waiting(self, idle)

    def setup(self: Any) -> None:
        original_setup(self)
        self.server.waiting(False)  # the handshake is done: in use, for good

    server.CaServer.waiting = waiting
    server._Handler.setup = setup


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead21-ca-no-room-for-waiting",
        group=_GROUP,
        profile="pki",
        requirement="LIM-5",
        test_file="test_ca_silent_flood.py",
        description="over its connection limit the CA refuses newcomers, whatever holds the slots",
        apply=_no_room_for_waiting,
        ca=True,
    ),
    Mutant(
        name="lead21-ca-handshake-only-evictable",
        group=_GROUP,
        profile="pki",
        requirement="LIM-5",
        test_file="test_ca_silent_flood.py",
        description="only connections in their TLS handshake make room; idle ones keep their slot",
        apply=_handshake_only_evictable,
        ca=True,
    ),
)
