"""What the sft-eke/1 server counts as one client address (docs/SPEC.md EKE-THR-10).

IPv6 addresses are counted per /64 (one host usually holds a whole /64); IPv4 addresses
per address. A server that carries the prefix rule over to IPv4 ("a /24 is a subnet,
like a /64") throttles a whole office network for one client's failures: the
neighbour of a throttled address, under another user name, must still get EKE2.

The IPv6 half needs a server on IPv6 and client addresses of one /64 that the suite can
bind: on loopback only ::1 exists, so only the IPv4 half is judged here.
"""

from __future__ import annotations

import ipaddress

import pytest

from conformance.eke_support import SourceAddresses, fail_handshake, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _eke1_answer(target: Target, source: str | None) -> ReceivedFrame | None:
    """EKE1 of a fresh unknown user name from `source`: the frame that answers it."""
    timeout = _timeout(target)
    hs = start_handshake(target, ghost_user(), bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        return event if isinstance(event, ReceivedFrame) else None
    finally:
        hs.close()


def _neighbours(sources: SourceAddresses) -> tuple[str, str]:
    """Two fresh IPv4 source addresses of one /24 (consecutive ones almost always are)."""
    for _ in range(4):
        first, second = sources.fresh(), sources.fresh()
        assert first is not None and second is not None
        net = ipaddress.ip_network(f"{first}/24", strict=False)
        if ipaddress.ip_address(second) in net:
            return first, second
    raise AssertionError("no two fresh source addresses in one /24")


@pytest.mark.req("EKE-THR-10")
def test_an_ipv4_neighbour_of_a_throttled_address_is_served(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N failures from one IPv4 address (under fresh unknown user names) throttle it; an
    EKE1 of another fresh unknown user from the NEXT address of the same /24 must then be
    answered EKE2: IPv4 addresses are counted per address, not per prefix."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback or ":" in eke_target.host:
        pytest.skip("needs an IPv4 loopback target to vary the client address")
    n = eke_target.limits.throttle_failures
    if n > 20:
        pytest.skip(f"throttle_failures = {n}: too many failures for the default run")
    failing, neighbour = _neighbours(eke_sources)
    timeout = _timeout(eke_target)
    for i in range(n):
        refused = fail_handshake(eke_target, ghost_user(), failing, timeout=timeout)
        if refused is not None:
            inconclusive(f"failure {i + 1} of {n} from {failing} was refused: {refused.describe()}")
    frame = _eke1_answer(eke_target, failing)
    if frame is None or frame.error_name != "throttled":
        shown = frame.describe() if frame is not None else "no frame"
        inconclusive(f"{failing} was not throttled after {n} failures ({shown}): nothing to judge")
    answer = _eke1_answer(eke_target, neighbour)
    if answer is None or answer.type != b"EKE2":
        raise ConformanceFailure.evidence(
            f"EKE-THR-10: EKE1 of a fresh unknown user from {neighbour}, right after {n} "
            f"failures from {failing} (same /24) had throttled that address",
            "EKE2: an IPv4 address is counted on its own, not with its /24",
            answer.describe() if answer is not None else "no frame",
        )
