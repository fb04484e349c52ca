"""LIM-9: the connection that finds every slot pending is the one admitted, at once.

LIM-9: "when every slot of LIM-4 is taken and some of them are still in their handshake,
a new connection MUST be admitted by closing the oldest such connection (or the
responder MUST otherwise keep room for handshakes that complete)". test_lockout.py holds
one silent socket MORE than the slots: the flood's last socket is the one that meets the
full server, and the honest client comes after it. A responder whose eviction closes the
wrong connection — the handle looked up under the newcomer's key, so that the newcomer
itself is shut while the accounting forgets the oldest — then loses a silent socket (no
one notices) and has room again when the honest client arrives.

Here the silent sockets fill the slots EXACTLY (`max_connections`, each from its own
loopback address, below any per-address cap), and the honest client is the connection
that meets the full server: its first attempt must complete its handshake and be served
(a retry would find the slot the failed attempt gave back). Both profiles.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import _attempts, _fresh, _honest_get, _limits, _silent

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


@pytest.mark.req("LIM-9")
def test_the_connection_meeting_a_full_server_is_admitted(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _, total = _limits(target)
    sources = sources_for(target)

    def case() -> None:
        addresses = _fresh(sources, total + 1)
        if len(addresses) < total + 1:
            pytest.skip("needs fresh loopback source addresses")
        with _silent(target, addresses[:total], transcripts):
            # One accept queue: the newcomer is accepted after every silent socket, so it
            # is the connection that finds all max_connections slots pending.
            _honest_get(
                target,
                addresses[total],
                tmp_path,
                transcripts,
                f"LIM-9: the first attempt of an honest client while {total} silent "
                f"connections (max_connections, one per address) held every slot",
            ).close()

    _attempts(case, "LIM-9")
