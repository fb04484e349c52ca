"""EKE-THR-1, -2 and -7: each login's outcome is booked on its own user name and address.

Two ways a busy server books one login's outcome on someone else:

* EKE-THR-2 / EKE-THR-1 — the address a failure is counted against is read when the
  failure happens from something shared (the latest accepted peer kept on the server
  object, a late-bound closure variable), not the connection's own address: while an
  attacker's guesses from address A fail, an honest client connecting from B in between
  becomes "the latest peer", collects A's failures and is throttled — and A never is.
  The case fails N handshakes (N = the throttle limit) of an unknown name from A, each
  while an honest login from B completes between its EKE2 and its bad EKE3; then the
  honest user from B MUST still complete a handshake (EKE-THR-2), and A MUST be
  throttled for a fresh user name (EKE-THR-1: counted per client address).
* EKE-THR-7 — the two pending caps checked and taken key by key: an EKE1 refused `busy`
  because its ADDRESS is at its cap Q has already taken a slot of its USER NAME, never
  given back. The case holds Q pending logins (other names) from one address, sends P
  EKE1s of a fresh name X from it (each `busy`), ends the held logins, and then X, with
  nothing pending and no failure, MUST be answered EKE2 from a fresh address — a server
  that leaked P slots of X answers `busy` for good.
"""

from __future__ import annotations

import pytest

from conformance.eke_channel import EkeChannel
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.target import Target
from conformance.test_eke_throttling import (
    _hold,
    _needs_throttling,
    _pending_caps,
    _timeout,
)
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, expect_on

__all__: list[str] = []


def _honest(target: Target, source: str | None) -> None:
    """An honest login, settled (BYE_, the target's close: its success booked and its
    pending slot given back, EKE-THR-5/-7, before our next step), then closed."""
    account = target.accounts[0]
    channel = EkeChannel.connect(
        target.host, target.port, account.user, account.password,
        timeout=_timeout(target), source=source,
    )  # fmt: skip
    try:
        channel.settle()
    finally:
        channel.close()


@pytest.mark.req("EKE-THR-2", "EKE-THR-1")
def test_failures_are_booked_on_their_own_address_not_the_latest_peer(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    n = eke_target.limits.throttle_failures
    if n > 10:
        pytest.skip(f"a throttle limit of {n} failures is too many to interleave here")
    timeout = _timeout(eke_target)
    attacker, honest = eke_sources.fresh(), eke_sources.fresh()
    guessed = ghost_user()
    for index in range(n):
        hs = start_handshake(eke_target, guessed, bytes(32), source=attacker, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"EKE-THR-1: guess {index + 1} of {n} as {guessed!r} from {attacker} "
                    f"(fewer than N = {n} failures of the name and the address)\n"
                    f"Expected: EKE2\nActual:   {event.describe()}",
                    violates=("EKE-THR-1",),
                )
            # Between the guess's EKE2 and its failure, an honest login from B.
            _honest(eke_target, honest)
            hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
            expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                f"guess {index + 1} of {n} (a bad EKE3)"
            )
        finally:
            hs.close()
    try:
        _honest(eke_target, honest)
    except ConformanceFailure as exc:
        raise ConformanceFailure(
            f"EKE-THR-2: {n} handshakes of {guessed!r} failed from {attacker}, each while an "
            f"honest login of {eke_target.accounts[0].user!r} from {honest} completed "
            f"between its EKE2 and its bad EKE3\nExpected: the honest user from {honest} "
            f"(no failure of its own) still completes a handshake\nActual:   refused — "
            f"the failures from {attacker} were booked on the address that connected "
            f"last\n{exc}",
            violates=("EKE-THR-2",),
        ) from None
    probe = fail_handshake(eke_target, ghost_user(), attacker, timeout=timeout)
    if probe is None or probe.error_name != "throttled":
        raise ConformanceFailure(
            f"EKE-THR-1: {n} failed handshakes from {attacker} (N = {n})\nExpected: an EKE1 "
            f"of a fresh user name from {attacker} answered EROR throttled (failures are "
            f"counted per client address)\nActual:   "
            f"{probe.describe() if probe is not None else 'EKE2 (a handshake was served)'}"
            " — the address's failures were booked elsewhere",
            violates=("EKE-THR-1",),
        )


@pytest.mark.req("EKE-THR-7")
def test_an_address_busy_refusal_takes_no_slot_of_the_user_name(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    p, per_address = _pending_caps(eke_target)
    q = eke_target.limits.pending_logins_per_address
    assert q is not None
    if per_address < q:
        pytest.skip(f"LIM-8's connection cap ({per_address}) is below Q ({q}): the address "
                    "cap of EKE-THR-7 cannot be reached on its own")  # fmt: skip
    timeout = _timeout(eke_target)
    crowded = eke_sources.fresh()
    probe_name = ghost_user()
    held: list[PartialHandshake] = []
    refusals: list[str] = []
    try:
        for i in range(q):
            held.append(_hold(eke_target, ghost_user(), bytes(32), crowded,
                              f"login {i + 1} of {q} held from {crowded}"))  # fmt: skip
        for i in range(p):
            hs = start_handshake(eke_target, probe_name, bytes(32), source=crowded,
                                 timeout=timeout)  # fmt: skip
            try:
                event = hs.receive_eke2(timeout)
            finally:
                hs.close()
            name = event.error_name if isinstance(event, ReceivedFrame) else None
            if name != "busy":
                pytest.skip(
                    f"EKE1 {i + 1} of {probe_name!r} from {crowded} (Q = {q} pending there) "
                    f"was answered {event.describe()}, not busy: the address cap is judged "
                    "by other cases (test_eke_throttling.py)"
                )
            refusals.append(event.describe())
    finally:
        for hs in held:
            hs.close()
    fresh = eke_sources.fresh()
    hs = start_handshake(eke_target, probe_name, bytes(32), source=fresh, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
    finally:
        hs.close()
    if hs.eke2 is None:
        raise ConformanceFailure(
            f"EKE-THR-7: {p} EKE1s of {probe_name!r} from {crowded} were answered busy "
            f"(that address had Q = {q} logins of other names pending); those logins then "
            f"ended\nExpected: an EKE1 of {probe_name!r} from {fresh} answered EKE2 — the "
            "name has no failure and nothing pending (a busy refusal takes no slot and "
            f"counts nothing)\nActual:   {event.describe()} — the address's busy refusals "
            "kept slots of the user name",
            violates=("EKE-THR-7",),
        )
