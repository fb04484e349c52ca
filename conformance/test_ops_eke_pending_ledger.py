"""sft-eke/1: the throttle's books stay exact whatever way each login ends (EKE-THR-6/7).

A server that runs for days meets every ending of a login many times. Its pending-login
count per user name (EKE-THR-7: "whatever the interleaving, at most P guesses of a user
name ... are in flight") is raised at EKE2 and must come down by exactly one when that
login ends — a bad EKE3, a close, the client's EROR, a success. Given back twice on a
failure (once in the error branch, once more in a `finally` added later), or reset to
zero by a success ("a clean slate"), it lets more than P logins of one name be in
flight: the cap stops counting the guesses it was made to bound. Keyed by a normalised
name (casefold), it makes one user name's logins fill another's cap.

Likewise a success must forgive only what EKE-THR-4/5 say: a server that "touches" the
address's entry when a login from it succeeds (an LRU habit: every event refreshes the
entry's time) re-arms that address's expired lock from the success, and the next honest
login from the address is refused (EKE-THR-6: the lock runs from the failure).

Each case holds handshakes pending (EKE1 sent, EKE2 read, no EKE3), each from a fresh
loopback address (so that only the user name's cap is in play), with unknown user names
or the throttling victim account, whose held logins are completed honestly at the end.
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    Victim,
    ghost_user,
    start_handshake,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.test_eke_throttling import _finish, _hold, _pending_caps, _prepare, _timeout
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    expect_on,
)

__all__: list[str] = []

# The victim account's logins are held and completed here: no other case of the worker may
# fail it meanwhile (as test_eke_throttling.py).
pytestmark = pytest.mark.xdist_group("eke-victim")


def _needs_loopback(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")


def _until_closed(target: Target, hs: PartialHandshake) -> None:
    """Our FIN, then read until the server closes (an EROR may come first): the server has
    then acted on how the login ended (EKE-THR-5: counted, its pending slot given back),
    whenever its threads do it — observed, not waited for by a sleep."""
    with contextlib.suppress(OSError):
        hs.raw.sock.shutdown(socket.SHUT_WR)
    deadline = deadline_after(_timeout(target))
    for _ in range(4):
        if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
            break
    hs.close()


def _first_answer(target: Target, user: str, pw: bytes, source: str | None) -> PartialHandshake:
    hs = start_handshake(target, user, pw, source=source, timeout=_timeout(target))
    hs.receive_eke2(_timeout(target))
    return hs


def _end(target: Target, hs: PartialHandshake, ending: str, what: str) -> None:
    """Ends a pending handshake `ending` way (its EKE2 already read)."""
    assert hs.eke2 is not None
    if ending == "closed":
        _until_closed(target, hs)  # our FIN, then the server's close: the login has ended
        return
    if ending == "client-eror":
        hs.raw.send_frame(
            b"EROR", {"code": 11, "name": "internal", "message": "the client gave up"}
        )
        _until_closed(target, hs)  # the server has read the EROR and ended the login
        return
    if ending == "bad-eke3":
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], _timeout(target)).check(
            f"{what}: a bad EKE3"
        )
        hs.close()
        return
    _finish(target, hs, what)
    hs.close()


@pytest.mark.req("EKE-THR-7")
@pytest.mark.parametrize("ending", ["bad-eke3", "closed", "client-eror", "success"])
def test_a_login_that_ends_gives_back_exactly_one_pending_slot(
    eke_target: Target, eke_sources: SourceAddresses, ending: str
) -> None:
    """P − 1 logins of one user name held pending; one more, ended `ending` way; then one
    more held (P pending again) and one more EKE1: `busy`. A server that gave the ended
    login's slot back twice, or forgot every pending login of the name at a success,
    answers it EKE2 — P + 1 guesses of one name in flight."""
    _needs_loopback(eke_target, eke_sources)
    p, _per_address = _pending_caps(eke_target)
    if p < 2:
        pytest.skip("needs a pending cap P of at least 2")
    if eke_target.limits.throttle_failures < 2:
        pytest.skip("needs a throttle limit of at least 2 (one login of the name fails)")
    if ending == "success":
        if len(eke_target.accounts) < 2:
            pytest.skip("needs a second eke account (the throttling victim)")
        account = eke_target.accounts[1]
        user, pw = account.user, password_key_cached(account.password, account.user)
        # Failures other cases left on the victim must not throttle the logins held here.
        Victim(eke_target, account, _timeout(eke_target)).reset(eke_sources)
    else:
        user, pw = ghost_user(), bytes(32)
    held: list[PartialHandshake] = []
    probe: PartialHandshake | None = None
    try:
        prepared = [_prepare(user, pw) for _ in range(p + 1)]
        for i in range(p - 1):
            held.append(
                _hold(eke_target, user, pw, eke_sources.fresh(), f"login {i + 1} of {user!r}",
                      prepared[i])
            )
        ended = _hold(eke_target, user, pw, eke_sources.fresh(), f"login {p} of {user!r}",
                      prepared[p - 1])
        _end(eke_target, ended, ending, f"login {p} of {user!r}")
        held.append(
            _hold(eke_target, user, pw, eke_sources.fresh(),
                  f"login {p + 1} of {user!r} ({p - 1} pending, one ended: {ending})",
                  prepared[p])
        )
        probe = _first_answer(eke_target, user, pw, eke_sources.fresh())
        event = probe.eke2_event
        if not (isinstance(event, ReceivedFrame) and event.error_name == "busy"):
            shown = "EKE2" if probe.eke2 is not None else (
                event.describe() if event is not None else "nothing"
            )
            raise ConformanceFailure.evidence(
                f"EKE-THR-7: EKE1 of {user!r} while {p} of its logins are pending (EKE2 "
                f"sent, no EKE3), each from its own address; one more login of it ended "
                f"({ending}) before the last of them started",
                f"EROR busy: P = {p} pending logins of one user name at most",
                f"{shown}: {p + 1} logins of {user!r} in flight",
                note="the ended login's pending slot was given back more than once, or "
                "its end cleared the name's other pending logins",
            )
        if ending == "success":
            for i, hs in enumerate(held):
                _finish(eke_target, hs, f"held login {i + 1} of {user!r}")
    finally:
        for hs in held:
            hs.close()
        if probe is not None:
            probe.close()


@pytest.mark.req("EKE-THR-7")
def test_the_pending_cap_is_per_exact_user_name(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """P logins of `Ghost-…` held pending; an EKE1 of `ghost-…` (another user name: names
    are used as given, EKE-PW-1) from a fresh address must be answered EKE2 — its name has
    no pending login and no failure."""
    _needs_loopback(eke_target, eke_sources)
    p, _per_address = _pending_caps(eke_target)
    base = ghost_user()
    upper = "G" + base[1:]
    held: list[PartialHandshake] = []
    probe: PartialHandshake | None = None
    try:
        prepared = [_prepare(upper, bytes(32)) for _ in range(p)]
        for i in range(p):
            held.append(
                _hold(eke_target, upper, bytes(32), eke_sources.fresh(),
                      f"login {i + 1} of {upper!r}", prepared[i])
            )
        probe = _first_answer(eke_target, base, bytes(32), eke_sources.fresh())
        if probe.eke2 is None:
            event = probe.eke2_event
            raise ConformanceFailure.evidence(
                f"EKE-THR-7: EKE1 of {base!r} from a fresh address while {p} logins of "
                f"{upper!r} (another user name) are pending",
                f"EKE2: {base!r} has no pending login and no failure",
                event.describe() if event is not None else "nothing",
                note="the pending cap counts user names after a normalisation "
                "(case folding) the SPEC does not allow: one name fills another's cap",
            )
    finally:
        for hs in held:
            hs.close()
        if probe is not None:
            probe.close()


def _describe(event: object) -> str:
    return str(event.describe()) if hasattr(event, "describe") else repr(event)


def _fail_from(target: Target, source: str | None, what: str) -> None:
    hs = start_handshake(target, ghost_user(), bytes(32), source=source, timeout=_timeout(target))
    try:
        event = hs.receive_eke2(_timeout(target))
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"{what}: no EKE2 for a fresh user name from an address with fewer than "
                f"{target.limits.throttle_failures} failures: {event.describe()}",
                violates=("EKE-THR-1",),
            )
        hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], _timeout(target)).check(
            f"{what}: a bad EKE3"
        )
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-6")
def test_a_success_does_not_rearm_its_addresses_expired_lock(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """An address fails N times (each with another unknown user name) and is locked; the
    case waits out the `retry_after` it is given. An honest login of the victim account
    from that address then succeeds, and so must a second one right after it: no failure
    came since, and the lock of EKE-THR-6 runs from the last failure, not from a success."""
    _needs_loopback(eke_target, eke_sources)
    if len(eke_target.accounts) < 2:
        pytest.skip("needs a second eke account (the throttling victim)")
    limits = eke_target.limits
    n = limits.throttle_failures
    if min(limits.throttle_cap, limits.throttle_base) > 5.0:
        pytest.skip(f"the first lock ({limits.throttle_base:g} s) is too long to wait out")
    account = eke_target.accounts[1]
    address = eke_sources.fresh()
    for i in range(n):
        _fail_from(eke_target, address, f"failure {i + 1} of {n} from {address}")
    probe = _first_answer(eke_target, ghost_user(), bytes(32), address)
    probe.close()
    event = probe.eke2_event
    if not (isinstance(event, ReceivedFrame) and event.error_name == "throttled"):
        pytest.skip(f"the address was not throttled after {n} failures: {_describe(event)}")
    retry = (event.json() or {}).get("retry_after")
    if not isinstance(retry, int) or isinstance(retry, bool) or not 1 <= retry <= 5:
        pytest.skip(f"retry_after {retry!r}: not a short lock to wait out")
    time.sleep(retry + 0.2)
    outcomes: list[str] = []
    for attempt in ("first", "second"):
        try:
            channel = EkeChannel.connect(
                eke_target.host, eke_target.port, account.user, account.password,
                timeout=_timeout(eke_target), source=address,
            )
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"EKE-THR-6: the {attempt} honest login of {account.user!r} from {address}, "
                f"whose lock after {n} failures ran out (retry_after {retry} s, waited "
                f"{retry + 0.2:g} s); "
                + ("the first succeeded, no failure since" if outcomes else "no failure since"),
                "EKE4: the lock ran from the last failure and is over",
                str(exc)[:400],
                note="a success refreshed the address's failure entry and re-armed its lock"
                if outcomes else "",
            ) from None
        outcomes.append(f"{attempt}: ok")
        with contextlib.suppress(OSError):
            channel.send_frame("BYE_", {})
            channel.recv_frame(deadline_after(0.5))
        channel.close()
