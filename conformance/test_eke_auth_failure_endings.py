"""sft-eke/1: a failed handshake ends the same way whatever the cause (SPEC §5.3 EKE-HS-8,
EKE-HS-3).

EKE-HS-8: on any failure at EKE3 — wrong password, unknown user, ... — "the server MUST
send `EROR auth_failed` (one code, one fixed message) and close. The failure MUST be
indistinguishable across these causes." EKE-HS-3: the server's messages, their sizes and
timing MUST NOT depend on whether the user exists. test_eke_handshake.py compares the
EROR itself; what follows it is part of the answer too: a server that ends a known
user's failed login with a FIN but resets an unknown name's connection ("drop attackers
hard": SO_LINGER 0, an abortive close), or keeps one of them open until a timeout, tells
an attacker without a password which names are accounts — a user-enumeration oracle in
the close alone.

Each cause twice, each attempt from a fresh source address (loopback aliases where
available): the known account (the `eke_victim`, reset by an honest login afterwards)
with a wrong password key, and unknown names. After EKE3 the suite sends nothing more
(nothing is left unread that could make an honest close a reset); it reads EROR
auth_failed, then how the connection ends — `eof`, `reset`, or still open after the
wait — which must be one and the same for every attempt.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.eke_support import SourceAddresses, Victim, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, TimedOut, deadline_after

_ROUNDS = 2


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _ending(target: Target, user: str, source: str | None, timeout: float) -> str:
    """EKE1 (a wrong key), EKE2, an EKE3 that fails; then the EROR and how the connection
    ended after it."""
    hs = start_handshake(target, user, secrets.token_bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            pytest.skip(f"no EKE2 for {user!r} (throttled or busy?): {event.describe()}")
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        answer = hs.raw.recv_frame(deadline_after(timeout))
        if not (isinstance(answer, ReceivedFrame) and answer.error_name == "auth_failed"):
            raise ConformanceFailure(
                f"EKE-HS-8: a failed EKE3 of {user!r} must be answered EROR auth_failed: "
                f"{answer.describe()}"
            )
        # ERR-3 allows 2 s for the close; a little more so that "still open" is certain.
        after = hs.raw.recv_frame(deadline_after(2.5))
        if isinstance(after, Closed):
            return after.kind
        if isinstance(after, TimedOut):
            return "still open"
        return f"another frame: {after.describe(80)}"
    finally:
        hs.close()


@pytest.mark.req("EKE-HS-8", "EKE-HS-3")
def test_failed_logins_of_known_and_unknown_users_end_alike(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    timeout = _timeout(eke_target)
    endings: list[tuple[str, str]] = []
    for _ in range(_ROUNDS):
        endings.append(
            (
                f"known user {eke_victim.user!r}, wrong password",
                _ending(eke_target, eke_victim.user, eke_sources.fresh(), timeout),
            )
        )
        ghost = ghost_user()
        endings.append(
            (
                f"unknown user {ghost!r}",
                _ending(eke_target, ghost, eke_sources.fresh(), timeout),
            )
        )
    if len({ending for _, ending in endings}) > 1:
        raise ConformanceFailure.evidence(
            "EKE-HS-8/EKE-HS-3: failed logins (EKE1, EKE2, an EKE3 that fails, nothing more "
            "sent), each from a fresh address, of the known account with a wrong password "
            "and of unknown names",
            "the same ending after EROR auth_failed for every attempt (e.g. always a FIN): "
            "the close must not tell an account from an unknown name",
            "\n".join(f"  {who:<40} EROR auth_failed, then {ending}" for who, ending in endings),
        )
