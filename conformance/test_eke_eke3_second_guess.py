"""sft-eke/1: one EKE3 per handshake — a failed confirmation is never followed by another
(docs/SPEC.md EKE-SEC-3, ERR-3).

EKE-SEC-3 grants an active attacker at most one password guess per handshake with the
server. A server that answers a failed `EKE3` with `EROR auth_failed` but keeps reading
("a typo gets another try", a retry loop around the confirmation, an error path that
returns to the read instead of closing) hands out a guess per `EKE3`: each further `EKE3`
is tested against the same Y, Ns and keys, and one of them may be answered `EKE4`. Such a
server passes every case that stops after the first verdict, and the close it finally
makes (its handshake timer's) hides it from the cases that only wait for a close.

Each case here runs one handshake as the victim account (which knows the password), sends
a first `EKE3` that must fail — a C3 whose tag does not verify, one that opens under the
right keys but ends with a wrong Ns, one sealed under another key (a wrong password), a
malformed one — and then the HONEST `EKE3` of the same handshake: once the verdict has
been read, and pipelined in the same write as the failing one. After the fatal verdict the
server MUST close at once and process nothing more (ERR-3): no `EKE4`, no second `EROR`,
no byte at all after the verdict. Each attempt is a failure for the victim, reset by an
honest login before it (EKE-THR-4), from a fresh source address.

Fixtures (conformance/plugin.py): `eke_target`, `eke_victim`, `eke_sources`.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from conformance import eke
from conformance.eke_support import PartialHandshake, SourceAddresses, Victim, start_handshake
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_FIRSTS = ("bad-tag", "wrong-ns", "other-key", "malformed")
_C3_LEN = 64 + 16  # Na || Ns, then the GCM tag (EKE-HS-5)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _eke2(hs: PartialHandshake) -> dict[str, Any]:
    if hs.eke2 is None:
        event = hs.eke2_event
        raise ConformanceFailure(
            "Expected: EKE2 to an honest EKE1 of the victim account\n"
            f"Actual:   {event.describe() if event is not None else 'nothing'}\n"
            f"Transcript (last entries):\n{hs.raw.transcript.tail()}"
        )
    return hs.eke2


def _first_eke3(hs: PartialHandshake, honest_c3: bytes, first: str) -> dict[str, Any]:
    """The failing EKE3 of the handshake, made from its honest C3 and keys."""
    keys = hs.client.keys
    assert keys is not None
    if first == "bad-tag":
        return {"c": (honest_c3[:-1] + bytes([honest_c3[-1] ^ 1])).hex()}
    if first == "wrong-ns":
        ns = hs.client.ns
        plain = hs.client.na + bytes([ns[0] ^ 1]) + ns[1:]
        return {"c": eke.aead_seal(keys.kcc, eke.N3, plain, b"EKE3" + keys.th).hex()}
    if first == "other-key":  # what a wrong password's client sends
        other = secrets.token_bytes(32)
        plain = hs.client.na + hs.client.ns
        return {"c": eke.aead_seal(other, eke.N3, plain, b"EKE3" + keys.th).hex()}
    return {"c": "zz" + honest_c3.hex()[2:]}  # not hex (FRM-12)


@pytest.mark.req("EKE-SEC-3", "ERR-3")
@pytest.mark.parametrize("when", ["after-verdict", "pipelined"])
@pytest.mark.parametrize("first", _FIRSTS)
def test_no_second_eke3_after_a_failed_one(
    eke_target: Target,
    eke_victim: Victim,
    eke_sources: SourceAddresses,
    first: str,
    when: str,
) -> None:
    """A failing EKE3, then the honest EKE3 of the same handshake: the verdict on the first
    (auth_failed; bad_frame too for a malformed one, FRM-16), then only the close."""
    timeout = _timeout(eke_target)
    eke_victim.reset(eke_sources)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, timeout=timeout, source=eke_sources.fresh()
    )
    try:
        hs.receive_eke2(timeout)
        honest = hs.client.on_eke2(_eke2(hs))  # C2 verifies: the victim knows the password
        honest_c3 = bytes.fromhex(honest["c"])
        assert len(honest_c3) == _C3_LEN
        bad = _first_eke3(hs, honest_c3, first)
        allowed = {"auth_failed"} | ({"bad_frame"} if first == "malformed" else set())
        if when == "pipelined":
            both = frame_bytes("EKE3", control(bad)) + frame_bytes("EKE3", control(honest))
            hs.raw.send_raw(both)
        else:
            hs.send_eke3(bad)
        verdict = hs.raw.recv_frame(deadline_after(timeout))
        context = (
            f"a failing EKE3 ({first}), then the honest EKE3 of the same handshake ({when})"
        )
        if not (
            isinstance(verdict, ReceivedFrame)
            and verdict.type == b"EROR"
            and verdict.error_name in allowed
        ):
            raise ConformanceFailure(
                f"EKE-SEC-3: {context}\n"
                f"Expected: EROR {'|'.join(sorted(allowed))} to the failing EKE3, then the close\n"
                f"Actual:   {verdict.describe()}\n"
                f"Transcript (last entries):\n{hs.raw.transcript.tail()}"
            )
        if when == "after-verdict":
            hs.send_eke3(honest)  # may fail: the server has closed (that is the point)
        after = hs.raw.recv_frame(deadline_after(timeout))
        if isinstance(after, Closed) and not after.partial:
            return
        if isinstance(after, ReceivedFrame) and after.type == b"EKE4":
            raise ConformanceFailure(
                f"EKE-SEC-3: {context}\n"
                f"Expected: EROR {verdict.error_name}, then the close: one guess per handshake\n"
                f"Actual:   EKE4 after the EROR: the server tested a second EKE3 (a second "
                f"password guess) on the handshake it had failed\n"
                f"Transcript (last entries):\n{hs.raw.transcript.tail()}",
                violates=("EKE-SEC-3", "ERR-3"),
            )
        waited = (
            f"no close within {after.waited:.2f} s" if isinstance(after, TimedOut) else ""
        )
        raise ConformanceFailure(
            f"ERR-3: {context}\n"
            f"Expected: EROR {verdict.error_name}, then the close at once, nothing after it\n"
            f"Actual:   {waited or after.describe()} after the fatal EROR\n"
            f"Transcript (last entries):\n{hs.raw.transcript.tail()}",
            violates=("ERR-3",),
        )
    finally:
        hs.close()
