"""sft-eke/1: however a pending handshake ends, its pending slot is given back (docs/SPEC.md
§5.6, EKE-THR-5, EKE-THR-7).

"A password guess is spent when the server sends `EKE2`. From then until it ends, the
handshake is *pending* ... ended any other way (a bad `EKE3`, closed, timed out, anything
but a valid `EKE3`) it MUST count as a failure" [EKE-THR-5]; pending handshakes are capped
per user name at P, and "up to the caps, `EKE1`s of a user name or address with fewer than
N failures MUST be answered `EKE2`" [EKE-THR-7].

The class of bug: a pending slot given back on the paths the implementer thought of (a
valid EKE3, an EKE3 that does not authenticate, the close) but not on the others — an
EKE3 whose member does not even decode (`"c"` not hex, too short, upper case), an EKE3 of
another shape, a frame of another type in its place, the client's own `EROR` — because
that path raises before the code that releases the slot ("a malformed EKE3 is a failure:
count it and close"). Each such handshake leaks one of the user's P slots for the life of
the server, and after P of them an honest user is `busy` for ever. A suite that only ends
pending handshakes by closing them or by a well-formed bad EKE3 lets it through (found by
planting the mistake blind in eke3, a Node server).

Each ending is tried with a fresh ghost user name (EKE-HS-3: counted like any other) from a
fresh loopback source address: one pending handshake is ended that way and its close
awaited (the server has then seen the end); then P handshakes of that name, each from its
own fresh address, are held pending together. The name has one failure (fewer than N), so
each MUST be answered `EKE2`. A `busy` is asked again, up to twice, after its
`retry_after`, the others still held (a server full of other clients' connections answers
`busy` too, LIM-4, for a while); a third `busy` is a slot the ending leaked for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)  # a ghost user's handshake: the key never matches


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _eke3(hs: PartialHandshake) -> dict[str, object]:
    assert hs.eke2 is not None
    return hs.client.on_eke2(hs.eke2, verify=False)


def _not_hex(hs: PartialHandshake) -> None:
    hs.send_eke3({"c": "zz" * 80})


def _short(hs: PartialHandshake) -> None:
    hs.send_eke3({"c": str(_eke3(hs)["c"])[:-2]})


def _upper(hs: PartialHandshake) -> None:
    hs.send_eke3({"c": str(_eke3(hs)["c"]).upper()})


def _number(hs: PartialHandshake) -> None:
    hs.send_eke3({"c": 7})


def _no_member(hs: PartialHandshake) -> None:
    hs.send_eke3({"d": _eke3(hs)["c"]})


def _not_json(hs: PartialHandshake) -> None:
    hs.raw.send_frame(b"EKE3", b"{not json")


def _eke1_again(hs: PartialHandshake) -> None:
    hs.raw.send_frame(b"EKE1", hs.eke1)


def _eror(hs: PartialHandshake) -> None:
    hs.raw.send_frame(b"EROR", {"code": 4, "name": "auth_failed", "message": "giving up"})


def _wrong_tag(hs: PartialHandshake) -> None:
    hs.send_eke3(_eke3(hs))  # well-formed, does not authenticate: the path every server has


_ENDINGS: dict[str, Callable[[PartialHandshake], None]] = {
    "eke3-c-not-hex": _not_hex,
    "eke3-c-short": _short,
    "eke3-c-upper-case": _upper,
    "eke3-c-number": _number,
    "eke3-without-c": _no_member,
    "eke3-not-json": _not_json,
    "eke1-in-place-of-eke3": _eke1_again,
    "initiator-eror": _eror,
    "eke3-wrong-tag": _wrong_tag,
}


def _retry_after(frame: ReceivedFrame) -> float:
    value = (frame.json() or {}).get("retry_after")
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else 1.0


def _end_one(target: Target, user: str, source: str | None, ending: str) -> None:
    """One pending handshake of `user`, ended by `ending`; returns once the server closed."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, _FAKE_PW, source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            inconclusive(
                f"a fresh ghost user's first EKE1 from a fresh address was not answered EKE2 "
                f"({event.describe()}): no pending handshake to end"
            )
        _ENDINGS[ending](hs)
        deadline = time.monotonic() + timeout
        while True:
            got = hs.raw.recv_frame(deadline)
            if isinstance(got, Closed):
                return
            if isinstance(got, TimedOut):
                inconclusive(
                    f"the server kept the connection open {timeout:g} s after the handshake "
                    f"was ended ({ending}): whether it ended cannot be told"
                )
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-7", "EKE-THR-5")
@pytest.mark.parametrize("ending", sorted(_ENDINGS))
def test_every_end_of_a_pending_handshake_gives_its_slot_back(
    eke_target: Target, eke_sources: SourceAddresses, ending: str
) -> None:
    target = eke_target
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    p = target.limits.pending_logins_per_user
    if p is None:
        pytest.skip("the target declares no pending-login cap per user (EKE-THR-7)")
    if target.limits.throttle_failures < 2:
        pytest.skip("one failure already throttles (N < 2): the slots cannot be probed")
    if p + 1 > target.limits.max_connections:
        pytest.skip(f"holding {p} pending handshakes needs more connections")
    timeout = _timeout(target)
    user = ghost_user()
    _end_one(target, user, eke_sources.fresh(), ending)
    held: list[PartialHandshake] = []
    try:
        for i in range(p):
            for attempt in (1, 2, 3):
                hs = start_handshake(
                    target, user, _FAKE_PW, source=eke_sources.fresh(), timeout=timeout
                )
                event = hs.receive_eke2(timeout)
                if hs.eke2 is not None:
                    held.append(hs)
                    break
                hs.close()
                busy = isinstance(event, ReceivedFrame) and event.error_name == "busy"
                if busy and attempt < 3:
                    assert isinstance(event, ReceivedFrame)
                    time.sleep(min(_retry_after(event), 5.0))  # the server's own retry_after
                    continue
                raise ConformanceFailure(
                    f"Expected: EKE2 for pending handshake {i + 1} of {p} of the fresh user "
                    f"name {user!r} (each from its own fresh address), which has one failure "
                    f"(fewer than N = {target.limits.throttle_failures}): its one earlier "
                    f"handshake was ended by {ending} and its connection closed\n"
                    f"Actual:   {event.describe()}"
                    + (" (and twice more, each after its retry_after)" if busy else "")
                    + "\nEKE-THR-5/7: however a pending handshake ends, it is no longer "
                    "pending: its slot is free again, and up to P pending handshakes of a "
                    "user name with fewer than N failures are answered EKE2.",
                    violates=("EKE-THR-7",),
                )
    finally:
        for hs in held:
            hs.close()
