"""sft-eke/1: an unknown user name's EKE2 is as fresh as a known one's (SPEC §5.3 EKE-HS-3,
EKE-HS-10).

"For an unknown user the server MUST proceed exactly as for a known one" with the fake key,
and "The server's messages ... MUST NOT depend on whether U exists"; "Every handshake MUST
use fresh x/y". The suite checks freshness on the accounts it knows (it opens C2 and reads
Y and Ns). An unknown name is the other code path: an implementation that makes its fake
handshake "stable" — y (and Ns) derived from the fake key or the server secret, or drawn
once per process for every fake — passes every check made on a known account, while B,
E_fake(±Y), then takes at most two values for a given unknown name (one per sign bit): an
attacker sends the same name three times and, seeing a B again, knows the account does not
exist — and the server's y is not fresh.

The suite sends EKE1 for one ghost user name in several handshakes, each with a fresh A
from its own fresh loopback address (the failures they leave stay below the name's
throttle threshold), and the same number for a known account; every B MUST differ from
every other (two equal random 384-byte values never occur by chance), and so MUST every
C2. Then once more with the SAME EKE1 (A) replayed: its B and C2 MUST differ too (an
answer cached per EKE1).
"""

from __future__ import annotations

import pytest

from conformance.eke_support import SourceAddresses, Victim, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _eke2s(
    target: Target,
    user: str,
    pw: bytes,
    sources: SourceAddresses,
    rounds: int,
    timeout: float,
    *,
    a: bytes | None = None,
) -> list[tuple[str, str]]:
    """(b, c) of `rounds` EKE2 answers to EKE1s of `user`, each on its own connection."""
    answers: list[tuple[str, str]] = []
    for i in range(rounds):
        hs = start_handshake(
            target, user, pw, source=sources.fresh(), timeout=timeout, a_override=a
        )
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"Expected EKE2 for EKE1 {i + 1} of {user!r} (each from a fresh address; "
                    f"{i} failures of the name so far, below the throttle)\n"
                    f"Actual: {event.describe()}",
                    violates=("EKE-HS-3",),
                )
            answers.append((str(hs.eke2.get("b")), str(hs.eke2.get("c"))))
        finally:
            hs.close()  # a pending handshake ended: one failure of the name (EKE-THR-5)
    return answers


def _repeats(answers: list[tuple[str, str]]) -> list[str]:
    found = []
    for member, index in (("b", 0), ("c", 1)):
        seen: dict[str, int] = {}
        for i, answer in enumerate(answers):
            value = answer[index]
            if value in seen:
                found.append(
                    f"EKE2 {i + 1} repeats the {member} of EKE2 {seen[value] + 1} "
                    f"({value[:32]}…)"
                )
            else:
                seen[value] = i
    return found


@pytest.mark.req("EKE-HS-3", "EKE-HS-10")
def test_eke2_of_an_unknown_user_name_never_repeats(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    if not eke_sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    n = eke_target.limits.throttle_failures
    # Failures of one name stay below N: every EKE1 is answered (EKE-THR-7). Three
    # answers are the least that two values cannot fill without a repeat.
    rounds = min(4, n)
    if rounds < 3:
        pytest.skip(f"the target throttles a user name after {n} failures: too few for 3 EKE2")
    timeout = _timeout(eke_target)
    ghost = ghost_user()
    fake = bytes(32)  # any key: the answer's freshness does not depend on it
    ghost_answers = _eke2s(eke_target, ghost, fake, eke_sources, rounds, timeout)
    problems = [f"unknown name {ghost!r}: {p}" for p in _repeats(ghost_answers)]
    # The same EKE1 replayed (fresh A once, then the same A): a cache per (name, A).
    replayed = ghost_user()
    first = start_handshake(eke_target, replayed, fake, source=eke_sources.fresh(), timeout=timeout)
    a = first.client.a
    try:
        event = first.receive_eke2(timeout)
        if first.eke2 is None:
            raise ConformanceFailure(
                f"Expected EKE2 for the first EKE1 of {replayed!r}\nActual: {event.describe()}",
                violates=("EKE-HS-3",),
            )
        replay_answers = [(str(first.eke2.get("b")), str(first.eke2.get("c")))]
    finally:
        first.close()
    replay_answers += _eke2s(eke_target, replayed, fake, eke_sources, rounds - 1, timeout, a=a)
    problems += [
        f"unknown name {replayed!r}, one EKE1 replayed: {p}" for p in _repeats(replay_answers)
    ]
    # The known account, for contrast (a failure of the victim, reset by the fixture).
    known = _eke2s(eke_target, eke_victim.user, eke_victim.pw, eke_sources, 2, timeout)
    problems += [f"known name {eke_victim.user!r}: {p}" for p in _repeats(known)]
    if problems:
        raise ConformanceFailure(
            f"{rounds} EKE1 of one unknown user name (fresh A each time, fresh addresses), "
            f"{rounds} of another with one A replayed, 2 of a known account:\n"
            + "\n".join(problems)
            + "\nEKE-HS-10: every handshake uses a fresh y (and Ns): a random B never "
            "repeats. EKE-HS-3: the server proceeds for an unknown name exactly as for a "
            "known one — a B seen again tells an attacker the name has no account.",
        )
