"""sft-eke/1: what a completed login changes in the server's bookkeeping, and what it
must leave alone (SPEC §5.6, EKE-THR-1, EKE-THR-4, EKE-THR-7).

A success forgives its own user name's count (EKE-THR-4) and ends its pending handshake
(EKE-THR-5): nothing else. Two slips an implementation makes with shared state:

* the success clears more than its own entry (the whole table of user names, every entry
  of the address): another user name's guesses are forgiven and its throttle lifts;
* the pending-login slot of a successful handshake is given back only when its
  connection ends (in a `finally` of the connection), not when the handshake ends: the
  open sessions of a user then count as pending logins, and P of them make the user's
  next EKE1 `busy` although nothing of it is pending.

Failures are made with fresh loopback source addresses and unknown user names, so that
only the counter a case looks at moves.
"""

from __future__ import annotations

import contextlib
import math
import time

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses, fail_handshake, ghost_user, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _needs_throttling(target: Target, sources: SourceAddresses) -> None:
    if not target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    if not target.accounts:
        pytest.skip("needs an eke account")


def _lock_seconds(target: Target, failures: int) -> float:
    """EKE-THR-6's lock after `failures` (>= N) failures, in whole seconds."""
    limits = target.limits
    exponent = failures - limits.throttle_failures
    return float(max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base * 2**exponent))))


def _probe(target: Target, user: str, source: str | None) -> ReceivedFrame | None:
    """EKE1 only (a wrong key: it is never finished); the frame that answers it."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        return event if isinstance(event, ReceivedFrame) else None
    finally:
        hs.close()


def _login(target: Target, source: str | None, what: str) -> EkeChannel:
    """An honest session. `busy` (the server full of other cases' connections, LIM-4: a
    refusal it may give at any time) is retried at most 4 times, 0.5 s apart; this set-up
    judges nothing."""
    account = target.accounts[0]
    for attempt in range(5):
        try:
            return EkeChannel.connect(
                target.host,
                target.port,
                account.user,
                pw=password_key_cached(account.password, account.user),
                timeout=_timeout(target),
                source=source,
                name=what,
            )
        except ConformanceFailure as exc:
            if "EROR busy" in str(exc) and attempt < 4:
                time.sleep(0.5)  # not a synchronisation: a full server's refusal, retried
                continue
            raise ConformanceFailure(f"{what}: {exc}", violates=exc.violates) from None
    raise AssertionError("unreachable")


@pytest.mark.req("EKE-THR-1", "EKE-THR-4")
def test_a_success_forgives_only_its_own_user_name(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """A ghost name is locked (N failures, then one more once the first lock ran out: a
    lock of min(cap, 2 * base)); an honest user then logs in from another address. The
    ghost's next EKE1, within its lock, is still `throttled`: a success resets its own
    user name's count (EKE-THR-4), not every name's."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    timeout = _timeout(eke_target)
    if _lock_seconds(eke_target, n) > 4:
        pytest.skip("the first lock is too long to wait out in the default run")
    ghost = ghost_user()
    for i in range(n):
        early = fail_handshake(eke_target, ghost, eke_sources.fresh(), timeout=timeout)
        if early is not None:
            raise ConformanceFailure(
                f"{ghost!r} refused after {i} of {n} failures: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    frame = _probe(eke_target, ghost, eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure(
            f"Expected: EROR throttled for {ghost!r} after {n} failures (from {n} addresses)\n"
            f"Actual:   {frame.describe() if frame is not None else 'no frame'}",
            violates=("EKE-THR-1",),
        )
    # One more failure once the first lock has run out (polling: the lock is the server's
    # clock): the lock is then the doubled one, long enough for a login in between.
    deadline = time.monotonic() + _lock_seconds(eke_target, n) * 2 + 3
    while True:
        failed_at = time.monotonic()
        if fail_handshake(eke_target, ghost, eke_sources.fresh(), timeout=timeout) is None:
            break
        if time.monotonic() > deadline:
            inconclusive(f"{ghost!r} stayed throttled past its announced lock")
        time.sleep(0.05)
    lock = _lock_seconds(eke_target, n + 1)
    _login(eke_target, eke_sources.fresh(), "an honest login of another user").close()
    frame = _probe(eke_target, ghost, eke_sources.fresh())
    elapsed = time.monotonic() - failed_at
    if frame is not None and frame.error_name == "throttled":
        return
    if elapsed >= lock - 0.2:
        inconclusive(
            f"the honest login took until {elapsed:.2f} s after the ghost's last failure, "
            f"about its whole lock of {lock:g} s: too slow a run to tell"
        )
    raise ConformanceFailure(
        f"Expected: EROR throttled for {ghost!r} ({n + 1} failures, locked {lock:g} s; "
        f"probed {elapsed:.2f} s after the last one)\n"
        f"Actual:   {frame.describe() if frame is not None else 'no frame'}, after an honest "
        f"login of {eke_target.accounts[0].user!r} from another address\n"
        "EKE-THR-1/EKE-THR-4: a success resets its own user name's count only; another "
        "name's failures, and its lock, stay.",
        violates=("EKE-THR-1",),
    )


@pytest.mark.req("EKE-THR-7")
def test_open_sessions_are_not_pending_logins(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """P sessions of one user, established and kept open (each used once more to show it
    lives), then another login of that user: it must complete. A pending handshake ends
    at EKE4 (EKE-THR-5); an open session holds no pending slot, so `busy` is wrong. A
    `busy` is retried once after its retry_after (another client of the user may have been
    logging in), the sessions used again first."""
    _needs_throttling(eke_target, eke_sources)
    p = eke_target.limits.pending_logins_per_user
    if p is None:
        pytest.skip("the target declares no pending-login cap per user (EKE-THR-7)")
    if p + 2 > eke_target.limits.max_connections:
        pytest.skip(f"holding {p} sessions and a login needs more connections")
    timeout = _timeout(eke_target)
    sessions: list[EkeChannel] = []
    try:
        for i in range(p):
            sessions.append(_login(eke_target, eke_sources.fresh(), f"session {i + 1} of {p}"))
        for attempt in (1, 2):
            for i, session in enumerate(sessions):  # alive, and not idle
                session.send_frame("RQFL", {"name": f"sft-no-such-file-{i}.txt"})
                answer = session.recv_frame()
                if not (isinstance(answer, ReceivedFrame) and answer.type == b"EROR"):
                    inconclusive(
                        f"session {i + 1} of {p} no longer answers a get ({answer.describe()}): "
                        "the sessions could not be held open together"
                    )
            client_login = start_handshake(
                eke_target,
                eke_target.accounts[0].user,
                password_key_cached(eke_target.accounts[0].password, eke_target.accounts[0].user),
                source=eke_sources.fresh(),
                timeout=timeout,
            )
            try:
                event = client_login.receive_eke2(timeout)
                if client_login.eke2 is not None:
                    client_login.send_eke3(client_login.client.on_eke2(client_login.eke2))
                    done = client_login.raw.recv_frame(time.monotonic() + timeout)
                    if isinstance(done, ReceivedFrame) and done.type == b"EKE4":
                        return
                    raise ConformanceFailure(
                        f"Expected: EKE4 for a login with the right password\n"
                        f"Actual:   {done.describe()}"
                    )
            finally:
                client_login.close()
            frame = event if isinstance(event, ReceivedFrame) else None
            if frame is not None and frame.error_name == "throttled":
                inconclusive(f"the account is throttled by earlier failures: {frame.describe()}")
            if frame is None or frame.error_name != "busy":
                raise ConformanceFailure(
                    f"Expected: EKE2 for a login with the right password\n"
                    f"Actual:   {event.describe()}"
                )
            if attempt == 2:
                break
            retry = (frame.json() or {}).get("retry_after")
            time.sleep(min(float(retry) if type(retry) is int else 1.0, 3.0))
        raise ConformanceFailure(
            f"Expected: EKE2 for a login of {eke_target.accounts[0].user!r} while {p} of its "
            f"sessions are open (established, nothing pending)\n"
            f"Actual:   {event.describe()}\n"
            "EKE-THR-7: the cap counts pending handshakes (EKE2 sent, no EKE3 yet); a "
            "handshake that completed is no longer pending, whether or not its connection "
            "is still open. Up to the caps an EKE1 MUST be answered EKE2.",
            violates=("EKE-THR-7",),
        )
    finally:
        for session in sessions:
            with contextlib.suppress(Exception):
                session.send_frame("BYE_", {})
            session.raw.close()
