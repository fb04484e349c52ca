"""sft-eke/1: an EKE3 is good only on the connection whose EKE2 it answers (SPEC §5.3
EKE-HS-6, EKE-HS-10).

"The server MUST verify C3 and that its plaintext ends with its own Ns" and "a replayed
EKE1 or EKE3 from an earlier session ... MUST fail authentication". Other cases replay an
EKE3 once its session is over. A server that keeps its pending handshakes in a table
shared by the connections (per user name, per address, per process) and, when an EKE3
fails under the connection's own keys, tries it under the others ("a client that
reconnected mid-login", "find the handshake this confirmation belongs to") accepts an
EKE3 spliced from one connection into another while both are pending: whoever holds the
second connection is logged in on a confirmation someone else computed.

The suite holds two handshakes of the victim account pending (EKE2 received on both), then
sends the first one's valid EKE3 on the second connection: it MUST be answered
`auth_failed` and closed, never `EKE4`. The variants vary what the two connections share:
the source address, or not; the user name, or not (the second connection logged in under
a ghost user name: a table keyed by address alone); and the order (the spliced EKE3 sent on
the older or on the newer connection). An `auth_failed` or a bare close passes here (the
form of the refusal is EKE-HS-8's, judged elsewhere); `EKE4` fails.
"""

from __future__ import annotations

import pytest

from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _pending(
    target: Target, user: str, pw: bytes, source: str | None, timeout: float
) -> PartialHandshake:
    hs = start_handshake(target, user, pw, source=source, timeout=timeout)
    event = hs.receive_eke2(timeout)
    if hs.eke2 is None:
        hs.close()
        raise ConformanceFailure(
            f"Expected EKE2 for a login of {user!r} (from {source or 'the default address'})\n"
            f"Actual: {event.describe()}",
            violates=("EKE-HS-2",),
        )
    return hs


@pytest.mark.req("EKE-HS-10", "EKE-HS-6")
@pytest.mark.parametrize(
    "variant",
    [
        "same address, onto the newer login",
        "same address, onto the older login",
        "other address, onto the newer login",
        "same address, onto a ghost user's login",
    ],
)
def test_an_eke3_spliced_into_another_pending_login_fails(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, variant: str
) -> None:
    pool = eke_sources
    timeout = _timeout(eke_target)
    per_user = eke_target.limits.pending_logins_per_user  # None: the SPEC's default, 4
    if per_user is not None and per_user < 2 and "ghost" not in variant:
        pytest.skip("the target allows one pending login per user name")
    first_source = pool.fresh()
    second_source = pool.fresh() if variant.startswith("other address") else first_source
    honest = _pending(eke_target, eke_victim.user, eke_victim.pw, first_source, timeout)
    second: PartialHandshake | None = None
    try:
        if "ghost" in variant:
            second = _pending(eke_target, ghost_user(), bytes(32), second_source, timeout)
        else:
            second = _pending(eke_target, eke_victim.user, eke_victim.pw, second_source, timeout)
        assert honest.eke2 is not None
        eke3 = honest.client.on_eke2(honest.eke2)  # valid for the first connection only
        donor, receiver = (honest, second)
        if variant.endswith("older login") and "ghost" not in variant:
            # the second connection's EKE3, spliced into the first (older) one
            assert second.eke2 is not None
            eke3 = second.client.on_eke2(second.eke2)
            donor, receiver = second, honest
        receiver.send_eke3(eke3)
        outcome = expect_on(
            receiver.raw,
            [ExpectError("auth_failed", then_close=True), ExpectFrame("EKE4"), ExpectClose()],
            timeout,
        )
        event = outcome.actual
        if isinstance(event, ReceivedFrame) and event.type == b"EKE4":
            raise ConformanceFailure(
                f"{variant}: two logins pending (EKE2 received on both); the valid EKE3 of "
                f"the {'first' if donor is honest else 'second'} connection, sent on the "
                f"other one, was answered EKE4: that connection is now logged in on a "
                "confirmation computed for another handshake\n"
                "EKE-HS-6: the server verifies C3 under its own keys and its own Ns; "
                "EKE-HS-10: an EKE3 of another session MUST fail authentication.",
                violates=("EKE-HS-10",),
            )
        outcome.check(f"{variant}: an EKE3 spliced from another pending login")
    finally:
        honest.close()
        if second is not None:
            second.close()
