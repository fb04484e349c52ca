"""sft-eke/1: an EKE1 carrying the members of the legacy login is an ordinary EKE1 (SPEC
§1 FRM-10, §5.1 EKE-GRP-1, §7.3 for the legacy forms).

sft-eke/0's client named its own group (`p`, `g`: LEG-EKE-3) and sent its password in clear
(LEG-EKE-1). A server that keeps "compatibility" with those forms in its modern login
computes EKE2 in the group the client names (a downgrade to any group, the seed's 128-bit
one included), or checks a clear `password` member before the exchange (an unthrottled
password oracle). FRM-10 says members the schema does not define are ignored, and
EKE-GRP-1 fixes the group: with any of these members added, the honest login of the
suite's account MUST go as without them — an EKE2 whose C2 verifies in ffdhe3072 under
the account's key, then EKE4 carrying our Na.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import PartialHandshake, SourceAddresses, Victim
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

_SEED_P = "197221152031991558322935568090317202983"  # SPEC §7.3.2

_EXTRAS: dict[str, tuple[dict[str, Any], str]] = {
    "seed group": ({"p": _SEED_P, "g": "2"}, "EKE-GRP-1"),
    "generator only": ({"g": "5"}, "EKE-GRP-1"),
    "generator as integer": ({"g": 3}, "EKE-GRP-1"),
    "ffdhe2048 named": ({"group": "ffdhe2048", "p": "ffdhe2048"}, "EKE-GRP-1"),
    "clear password": ({"password": "not-the-password-b24"}, "FRM-10"),
    "clear password and pw": ({"password": "", "pw": "00" * 32}, "FRM-10"),
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("FRM-10", "EKE-GRP-1")
@pytest.mark.parametrize("extra", list(_EXTRAS))
def test_legacy_members_do_not_change_the_login(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, extra: str
) -> None:
    members, requirement = _EXTRAS[extra]
    timeout = _timeout(eke_target)
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name="eke legacy members",
        source=eke_sources.fresh(),
    )
    client = eke.ClientHandshake(user=eke_victim.user, pw=eke_victim.pw)
    message = dict(client.eke1())
    message.update(members)
    raw.send_frame(b"EKE1", message)
    hs = PartialHandshake(raw, client, message)
    why = (
        f"an honest EKE1 of the account {eke_victim.user!r} with the extra members {members!r}"
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"Expected: EKE2 to {why} (FRM-10: members the schema does not define are "
                f"ignored)\nActual:   {event.describe()}\n"
                f"Transcript (last entries):\n{raw.transcript.tail()}",
                violates=("FRM-10",),
            )
        try:
            eke3 = client.on_eke2(hs.eke2)
        except eke.EkeError as exc:
            raise ConformanceFailure(
                f"{requirement}: the EKE2 answering {why} does not verify under the account's "
                f"key in ffdhe3072 ({exc.detail}): the server let the members change the "
                "exchange (EKE-GRP-1: the group is ffdhe3072, whatever a client names; "
                "FRM-10: unknown members are ignored)",
                violates=(requirement,),
            ) from exc
        hs.send_eke3(eke3)
        outcome = expect_on(raw, [ExpectFrame("EKE4")], timeout)
        if not outcome.ok or outcome.frame is None:
            raise ConformanceFailure(
                f"Expected: EKE4 after the honest EKE3 of {why}\nActual:   {outcome.describe()}",
                violates=(requirement,),
            )
        obj = outcome.frame.json()
        assert obj is not None, "EKE4 is not JSON"
        try:
            client.on_eke4(obj)
        except eke.EkeError as exc:
            raise ConformanceFailure(
                f"{requirement}: EKE4 after {why} does not carry our Na ({exc.detail})",
                violates=(requirement,),
            ) from exc
        hs.settle(timeout)
    finally:
        hs.close()
