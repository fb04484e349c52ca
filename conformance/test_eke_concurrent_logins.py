"""sft-eke/1: logins of one account held open together each complete with their own
handshake's values (SPEC §5.3 EKE-HS-6, §5.6 EKE-THR-7).

"The server MUST verify C3 … On success it MUST send EKE4": C3 is verified with the keys,
transcript hash and Ns of ITS connection's handshake. A server that files the pending
handshake's state under the user name ("the login in progress for alice") instead of
the connection verifies one login's EKE3 with another's keys as soon as two logins of
the name overlap — an honest burst the pending cap explicitly allows (EKE-THR-7: "an
honest burst of four logins of one user … proceeds at once"). Sequential logins never
show it. Each case holds two logins of the account pending (EKE2 read), in some cases a
wrong guess of the name beside them, and then finishes them in some order: every valid
EKE3 MUST be answered EKE4.
"""

from __future__ import annotations

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, Victim
from conformance.target import Target
from conformance.test_eke_throttling import _finish, _hold, _pending_caps, _timeout
from conformance.wire import ConformanceFailure, ExpectError, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

_ORDERS = ["first-finishes-first", "last-finishes-first", "a-wrong-guess-between"]


@pytest.mark.req("EKE-HS-6")
@pytest.mark.parametrize("order", _ORDERS)
def test_overlapping_logins_of_one_name_all_complete(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, order: str
) -> None:
    """Two honest logins of the account pending together (and a wrong guess of the name
    made beside them), then finished in `order`: each valid EKE3 MUST get EKE4."""
    p, _ = _pending_caps(eke_target)
    needed = 3 if order == "a-wrong-guess-between" else 2
    if p < needed:
        pytest.skip(f"needs a pending cap of at least {needed} (P = {p})")
    timeout = _timeout(eke_target)
    held: list[PartialHandshake] = []
    try:
        first = _hold(eke_target, eke_victim.user, eke_victim.pw, eke_sources.fresh(), "login 1")
        held.append(first)
        second = _hold(eke_target, eke_victim.user, eke_victim.pw, eke_sources.fresh(), "login 2")
        held.append(second)
        if order == "a-wrong-guess-between":
            guess = _hold(eke_target, eke_victim.user, bytes(32), eke_sources.fresh(), "a guess")
            held.append(guess)
            assert guess.eke2 is not None
            guess.send_eke3(guess.client.on_eke2(guess.eke2, verify=False))
            expect_on(guess.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                "the wrong guess's EKE3, held beside two honest logins of the name"
            )
        finishing = [second, first] if order == "last-finishes-first" else [first, second]
        for hs in finishing:
            what = "login 1" if hs is first else "login 2"
            try:
                _finish(eke_target, hs, what)
            except ConformanceFailure as exc:
                raise ConformanceFailure.evidence(
                    f"EKE-HS-6: two logins of {eke_victim.user!r} (correct password) held "
                    f"pending together ({order}); the valid EKE3 of {what}",
                    "EKE4: each C3 verifies under its own connection's keys, th and Ns, "
                    "whatever other handshakes of the name are pending",
                    str(exc),
                ) from None
    finally:
        for hs in held:
            hs.close()
