"""EKE-THR-7: the pending-login caps count each client's own user name and address.

docs/SPEC.md EKE-THR-7: the server "MUST limit the pending handshakes (EKE-THR-5) per user
name to P and per client address to Q ... Up to the caps, `EKE1`s of a user name or address
with fewer than N failures MUST be answered `EKE2`." The caps are per principal: the user
name of the `EKE1` and the address the connection comes from (EKE-THR-10's unit). A
server that keys them on something else — the address of its own socket (`getsockname`
for `getpeername`: every client shares one count), the listening port, one counter for
the whole server — passes every case that holds its pending handshakes from ONE address
or for ONE user name (that principal's cap and the wrong one coincide), and turns
logins `busy` as soon as that many are in flight from different clients: an office of
users logging in at nine.

So the case holds max(P, Q) handshakes pending (EKE2 read, no EKE3), each of another
unknown user name from another loopback address — every principal holds one, far below
its cap — and then sends one more `EKE1`, again of another user name from another
address: it MUST be answered `EKE2`. Only with declared caps, on loopback.
"""

from __future__ import annotations

import contextlib

import pytest

from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    ghost_user,
    start_handshake,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("EKE-THR-7")
def test_logins_of_different_clients_do_not_share_a_pending_cap(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    if limits.pending_logins_per_user is None or limits.pending_logins_per_address is None:
        pytest.skip("the target declares no pending-login caps (EKE-THR-7)")
    count = max(limits.pending_logins_per_user, limits.pending_logins_per_address)
    if count + 1 > limits.max_connections:
        pytest.skip("the caps leave no connection slot for the probe (LIM-4)")
    timeout = _timeout(eke_target)
    held: list[PartialHandshake] = []
    try:
        for index in range(count + 1):
            user, source = ghost_user(), eke_sources.fresh()
            hs = start_handshake(eke_target, user, bytes(32), source=source, timeout=timeout)
            held.append(hs)
            event = hs.receive_eke2(timeout)
            if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
                continue
            raise ConformanceFailure.evidence(
                f"{index} handshakes pending (EKE2 read, no EKE3), each of another unknown "
                f"user name from another address; then EKE1 of {user!r} from {source}, "
                "another user name from another address again (declared caps: P = "
                f"{limits.pending_logins_per_user} per user name, Q = "
                f"{limits.pending_logins_per_address} per address)",
                "EKE2: this user name and this address have nothing pending, so up to the "
                "caps the EKE1 MUST be answered EKE2 (EKE-THR-7)",
                event.describe(),
                "The caps count per principal (the EKE1's user name, the client's address), "
                "not per server: held handshakes of other clients are not this one's.",
            )
    finally:
        for hs in held:
            with contextlib.suppress(OSError):
                hs.close()
