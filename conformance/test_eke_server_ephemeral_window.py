"""sft-eke/1: the server's ephemeral is fresh in every handshake, not only in the next one
(docs/SPEC.md §5.2 EKE-X-1, §5.3 EKE-HS-10).

EKE-X-1: "Each side MUST draw a fresh secret exponent ... for every handshake." A server
that finds the exponentiation g^y costly may precompute a pool of ephemerals at start (or
in a background thread that falls behind) and serve them round robin: two handshakes in a
row differ, and the 17th (or the 65th) reuses the first one's y. Whoever learns one
session's y — or solves one discrete logarithm — then holds every session that reuses it.

The suite completes a series of honest logins of the account (each ends with its EKE4 and
BYE_, so no failure is counted), opens each EKE2's `B` with the account's `pw`, and
requires every recovered `Y` (the server's g^y) to differ from every other one in the
series; so must every `Ns` (opened from C2, EKE-HS-10). The default series is 70 logins
(pools of up to 69 entries); `-m slow` runs 300.
"""

from __future__ import annotations

import contextlib

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout + 2.0))


def _series(target: Target, victim: Victim, sources: SourceAddresses, count: int) -> None:
    timeout = _timeout(target)
    seen_y: dict[int, int] = {}
    seen_ns: dict[bytes, int] = {}
    for index in range(count):
        hs = start_handshake(
            target, victim.user, victim.pw, source=sources.fresh(), timeout=timeout
        )
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                pytest.skip(
                    f"login {index + 1} of {count} got no EKE2 (cannot go on): "
                    f"{event.describe()}"
                )
            b = bytes.fromhex(str(hs.eke2.get("b", "")))
            y = eke._unhide(victim.pw, b)
            eke3 = hs.client.on_eke2(hs.eke2)
            ns = hs.client.ns
            hs.send_eke3(eke3)
            outcome = expect_on(hs.raw, [ExpectFrame("EKE4")], timeout)
            obj = outcome.frame.json() if outcome.frame is not None else None
            if obj is not None:
                with contextlib.suppress(eke.EkeError):
                    hs.client.on_eke4(obj)
                    hs.settle(timeout)
        finally:
            hs.close()
        if y in seen_y:
            raise ConformanceFailure(
                f"EKE-X-1: the server's ephemeral g^y of login {index + 1} is the one of "
                f"login {seen_y[y] + 1} ({index - seen_y[y]} logins apart, in a series of "
                f"{count} honest logins of {victim.user!r}): its exponent y was not drawn "
                "afresh for this handshake (a pool of precomputed ephemerals, a cache)",
                violates=("EKE-X-1",),
            )
        if ns in seen_ns:
            raise ConformanceFailure(
                f"EKE-HS-10: the server's Ns of login {index + 1} repeats the one of login "
                f"{seen_ns[ns] + 1}: Ns is 32 fresh random bytes in every handshake",
                violates=("EKE-HS-10",),
            )
        seen_y[y] = index
        seen_ns[ns] = index


@pytest.mark.req("EKE-X-1", "EKE-HS-10")
def test_server_ephemerals_do_not_repeat_in_a_series_of_logins(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    _series(eke_target, eke_victim, eke_sources, 70)


@pytest.mark.slow
@pytest.mark.req("EKE-X-1", "EKE-HS-10")
def test_server_ephemerals_do_not_repeat_in_a_long_series_of_logins(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    _series(eke_target, eke_victim, eke_sources, 300)
