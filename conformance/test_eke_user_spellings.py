"""sft-eke/1: a user name is counted by its value, not by its JSON spelling (SPEC §5.6
EKE-THR-1, §1 FRM-9, §5.1 EKE-PW-4).

"The server MUST count failed handshakes per user name" — the name is the JSON string's
value: `"ghost"`, `"\\u0067host"` and `"\\u0067\\u0068\\u006F\\u0073\\u0074"` are one user
name, the one the account lookup matches byte for byte (EKE-PW-4). A server that keys its
failure counter on what a quick scan of the payload shows (a regular expression over the
raw JSON for the log and the throttle, the parser's value for the store) counts each
spelling apart: an attacker rotating escapes gets N − 1 guesses per spelling — without
end, since a name has endless spellings — while every guess is checked against the one
account.

A fresh ghost user name (EKE-HS-3: counted like an account) fails N times, each time under
another spelling and from its own fresh loopback address (so only the name's count can
throttle); then its `EKE1`, in plain spelling, MUST be refused `throttled`. A second
variant fails in plain spelling and probes with an escaped one.
"""

from __future__ import annotations

import struct

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import ghost_user, sources_for
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    deadline_after,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)  # a ghost user's key never matches: every handshake is a guess


def _spellings(user: str) -> list[str]:
    """JSON string bodies that all decode to `user` (ASCII), the plain one first."""
    every = "".join(f"\\u{ord(c):04x}" for c in user)
    return [
        user,
        f"\\u{ord(user[0]):04x}{user[1:]}",
        every,
        every.upper().replace("\\U", "\\u"),
        f"{user[:-1]}\\u{ord(user[-1]):04X}",
        user.replace("-", "\\u002d"),
    ]


def _eke1_frame(user: str, spelled: str, client: eke.ClientHandshake) -> bytes:
    a = str(client.eke1()["a"])
    payload = ('{"user":"' + spelled + '","a":"' + a + '"}').encode("ascii")
    return b"EKE1" + struct.pack(">I", len(payload)) + payload


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _fail_as(target: Target, user: str, spelled: str, source: str | None) -> None:
    timeout = _timeout(target)
    client = eke.ClientHandshake(user=user, pw=_FAKE_PW)
    frame = _eke1_frame(user, spelled, client)
    raw = connect_raw(
        target.host, target.port, timeout=timeout, name=f"eke {spelled}", source=source
    )
    try:
        raw.send_raw(frame)
        event = raw.recv_frame(deadline_after(timeout))
        if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
            raise ConformanceFailure(
                f"EKE-THR-1: EKE1 of {user!r} spelled {spelled!r} (fewer than N failures) was "
                f"not answered EKE2: {event.describe()}"
            )
        eke2 = event.json() or {}
        raw.send_frame(b"EKE3", client.on_eke2(eke2, verify=False))
        expect_on(raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
            f"a failed handshake of {user!r} spelled {spelled!r}"
        )
    finally:
        raw.close()


@pytest.mark.req("EKE-THR-1")
@pytest.mark.parametrize("probe", ["plain", "escaped"])
def test_failures_count_against_the_name_whatever_its_json_spelling(
    eke_target: Target, probe: str
) -> None:
    n = eke_target.limits.throttle_failures
    sources = sources_for(eke_target)
    if not sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    user = ghost_user()
    spellings = _spellings(user)
    failing = spellings[1:] if probe == "plain" else [user]
    used = [failing[i % len(failing)] for i in range(n)]
    for spelled in used:
        _fail_as(eke_target, user, spelled, sources.fresh())
    shown = spellings[0] if probe == "plain" else spellings[2]
    timeout = _timeout(eke_target)
    client = eke.ClientHandshake(user=user, pw=_FAKE_PW)
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name="probe", source=sources.fresh()
    )
    try:
        raw.send_raw(_eke1_frame(user, shown, client))
        event = raw.recv_frame(deadline_after(timeout))
    finally:
        raw.close()
    if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
        return
    raise ConformanceFailure.evidence(
        f"EKE-THR-1: ghost user {user!r} failed {n} handshakes (N = {n}), spelled "
        f"{', '.join(repr(s) for s in used)} in its EKE1 (each from its own address)",
        f"EROR throttled for its next EKE1, spelled {shown!r}: one user name, one count",
        event.describe(),
        "the failure count was keyed on the JSON spelling, not the decoded name",
    )
