"""sft-eke/1 server: no login inside a logged-in channel (docs/SPEC.md §5.7 EKE-SEC-3,
§1 FRM-5, §5.3 EKE-HS-9).

EKE-SEC-3: an active attacker MUST gain at most one password guess per handshake with the
server — and every handshake is one the throttle counts (EKE-THR-1, EKE-THR-5). A server
that carries TLS's renegotiation (or SSH's re-key) into sft-eke/1 takes an `EKE1` sent
inside a record as a new login "with fresh keys" and answers it `EKE2` in the channel:
whoever holds one account then runs guesses against any user name on one connection, none
counted (the connection's own login succeeded). The handshake types are not types of the
application protocol (§3.1): inside the channel they are undefined, `unexpected_frame`
(FRM-5), whatever user they name. Cases: after an honest login, a record whose plaintext
is an `EKE1` for an unknown user, one for the account's own user, an `EKE3` and an `EKE1`
sent after a completed get; each must be answered with the close or a fatal `EROR` then
the close, never an `EKE2`/`EKE4` (sealed or clear) or anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from conformance import eke
from conformance._wire_fixtures import get_file, known_file
from conformance.eke_channel import EkeChannel
from conformance.eke_support import ghost_user
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    frame_bytes,
)

_KINDS = ("eke1-unknown-user", "eke1-own-user", "eke3", "eke1-after-a-get")


def _inner(kind: str, user: str) -> bytes:
    if kind == "eke3":
        return frame_bytes(b"EKE3", json.dumps({"c": "00" * 80}).encode())
    name = user if kind == "eke1-own-user" else ghost_user()
    client = eke.ClientHandshake(user=name, pw=bytes(32))
    return frame_bytes(b"EKE1", json.dumps(client.eke1()).encode())


@pytest.mark.req("EKE-SEC-3", "FRM-5", "EKE-REC-5")
@pytest.mark.parametrize("kind", _KINDS)
def test_handshake_frame_inside_the_channel_is_no_new_login(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], kind: str
) -> None:
    channel = eke_channel_factory()
    if kind == "eke1-after-a-get":
        if "get" not in eke_target.features:
            pytest.skip("the target declares no get: the variant after a get cannot run")
        get_file(channel, known_file(eke_target).name)
    user = eke_target.accounts[0].user if eke_target.accounts else ghost_user()
    channel.send_raw(_inner(kind, user))
    outcome: Any = None
    try:
        outcome = channel.expect(
            [ExpectClose(), ExpectError("unexpected_frame", "bad_frame", then_close=True)]
        )
    except ConformanceFailure:
        # The kit's channel FAILs any plaintext frame of a server after EKE4 (EKE-REC-4);
        # which one it was decides the requirement here.
        if not any("plaintext" in v for v in channel.violations):
            raise
    clear = [v for v in channel.violations if "plaintext" in v]
    answer = outcome.frame if outcome is not None else None
    if clear:
        # A clear frame after EKE4 reads as our close of the channel: judge it here.
        login = any(t in v for v in clear for t in ("EKE2", "EKE4"))
        failure = ConformanceFailure.evidence(
            f"{kind}: after an honest login, a record whose plaintext is a handshake frame",
            "the close, or EROR unexpected_frame (a record) then the close",
            f"{'; '.join(clear)}\nTranscript:\n{channel.transcript.tail()}",
        )
        failure.violates = ("EKE-SEC-3", "EKE-REC-4") if login else ("EKE-REC-5", "EKE-REC-4")
        raise failure
    if answer is not None and answer.type in (b"EKE2", b"EKE4"):
        failure = ConformanceFailure.evidence(
            f"{kind}: after an honest login, a record whose plaintext is a handshake frame",
            "the close, or EROR unexpected_frame then the close: a handshake frame is not a "
            "frame of the application protocol, and a login inside the channel is a guess "
            "the throttle never counts [EKE-SEC-3, FRM-5]",
            f"{answer.describe()}: the server ran a new login inside the channel\n"
            f"Transcript:\n{channel.transcript.tail()}",
        )
        failure.violates = ("EKE-SEC-3",)
        raise failure
    assert outcome is not None
    outcome.check(f"FRM-5: {kind} inside a record after the login")
