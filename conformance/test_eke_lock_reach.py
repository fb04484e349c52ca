"""sft-eke/1: what a throttle lock reaches, and what a success forgives, when logins
overlap in time (SPEC §5.6 EKE-THR-4, EKE-THR-5; §3.2 APP-2).

A lock is a decision about EKE1s: "answer further EKE1 from that user or address with
EROR throttled" (EKE-THR-1). It is not a decision about sessions already established,
nor does it outlast the count it comes from. Three ways an implementation gets the
overlap wrong and still passes every sequential case:

- the throttle consulted again at each request "for safety": a session established
  before its user name (or its address) got locked is cut at its next request — APP-2
  says a connection supports several transfers, one after another;
- a success forgiving only a count below the threshold ("a locked name must wait out its
  lock"): EKE-THR-4 says a successful handshake resets the user's count, and a pending
  login that completes after the lock is a success (EKE-THR-5), so the name is free;
- a success opening a new "epoch" of the name, failures of handshakes begun before it
  being taken as stale: EKE-THR-5 counts a pending handshake that ends badly "the moment
  it ends, exactly like a failed EKE3", whenever it began.

Each case makes the victim account's failures from fresh loopback addresses (so that no
address count mixes in), and the victim fixture resets the account afterwards.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import time

import pytest

from conformance._wire_fixtures import fresh_name, get_file, known_file, put_file
from conformance.eke_support import PartialHandshake, SourceAddresses, Victim, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _fail_once,
    _finish,
    _hold,
    _needs_throttling,
    _no_eke2,
    _pending_caps,
    _prepare,
    _probe,
    _start,
    _timeout,
)
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    TimedOut,
    deadline_after,
    expect_on,
)

pytestmark = pytest.mark.xdist_group("eke-victim")


def _wait_closed(hs: PartialHandshake, timeout: float) -> None:
    """Ends our side (FIN) and reads until the server closes: its bookkeeping of the
    connection is then done, whenever an implementation does it."""
    with contextlib.suppress(OSError):
        hs.raw.sock.shutdown(socket.SHUT_WR)
    deadline = deadline_after(timeout)
    for _ in range(4):
        if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
            break
    hs.close()


def _lock_window(target: Target) -> float:
    """How long after the N-th failure its lock surely still runs (EKE-THR-6: at least
    `base` seconds, and never less than one), with a margin for a loaded machine."""
    return 0.8 * max(1.0, target.limits.throttle_base or 1.0)


@pytest.mark.req("APP-2")
@pytest.mark.parametrize("locked", ["user-name", "address"])
def test_an_established_session_outlives_a_later_lock(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, locked: str
) -> None:
    """The victim logs in and keeps its session; then N failures lock its user name (from
    other addresses) or its address (other names from the session's own address); an
    EKE1 probe confirms the lock; then a get, and a put, on the session MUST still be
    served: the lock answers EKE1s, the session's requests are not EKE1s (APP-2)."""
    _needs_throttling(eke_target, eke_sources)
    known = known_file(eke_target)
    n = eke_target.limits.throttle_failures
    idle = eke_target.limits.idle_timeout
    home = eke_sources.fresh()
    session = eke_victim.honest(source=home)
    try:
        quiet_since = time.monotonic()
        for i in range(n):
            if locked == "user-name":
                early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
            else:
                early = _fail_once(eke_target, ghost_user(), home)
            if early is not None:
                inconclusive(f"throttled after {i} of {n} failures: {early.describe()}")
        if locked == "user-name":
            frame, _ = _probe(eke_target, eke_victim.user, bytes(32), eke_sources.fresh())
        else:
            frame, _ = _probe(eke_target, ghost_user(), bytes(32), home)
        if frame is None or frame.error_name != "throttled":
            got = "nothing" if frame is None else frame.describe()
            inconclusive(f"the {locked} was not throttled after {n} failures ({got})")
        assert frame is not None
        quiet = time.monotonic() - quiet_since
        if quiet > 0.7 * idle:
            inconclusive(
                f"the session was quiet {quiet:.2f} s while its {locked} was locked, too close "
                f"to the idle timeout of {idle:g} s (LIM-2) to judge its next request"
            )
        try:
            result = get_file(session, known.name)
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"APP-2: a get of {known.name!r} on the victim's session, established before "
                f"{n} failures locked its {locked} (the probe's EKE1 was answered "
                f"{frame.describe()}); the session was quiet {quiet:.2f} s",
                "RSFL, the file and DONE: a lock refuses further EKE1s (EKE-THR-1), it does "
                "not end or refuse the requests of a session already established",
                str(exc),
            ) from None
        if result.done is None:
            raise ConformanceFailure(
                f"APP-2: the get on the session established before the {locked} was locked "
                f"was refused: {result.first.describe()}"
            )
        if eke_target.has("put"):
            # The same for a put: a server that re-checks at PUTF alone passes the get.
            name = fresh_name("sft-locked-session")
            answer, final = put_file(session, name, secrets.token_bytes(2000))
            stored = final is not None and final.frame is not None and final.frame.type == b"DONE"
            if not stored:
                raise ConformanceFailure.evidence(
                    f"APP-2: after the get, a put of {name!r} on the same session (established "
                    f"before its {locked} was locked)",
                    "RSFL{accept}, then DONE: the session's requests are served as before",
                    answer.describe() if final is None else final.describe(),
                )
    finally:
        session.close()


@pytest.mark.req("EKE-THR-4")
def test_a_success_after_the_lock_frees_the_name(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """An honest login of the victim gets its EKE2 (pending); N failures of the name (from
    other addresses) lock it; the honest EKE3 then completes the login (EKE4, and the
    connection ends). The success resets the name's count (EKE-THR-4) whatever the count
    was: the next EKE1 of the name, from a fresh address and while the lock of the N-th
    failure would still run, MUST be answered EKE2 (fewer than N failures: EKE-THR-7)."""
    _needs_throttling(eke_target, eke_sources)
    p, _ = _pending_caps(eke_target)
    if p < 2:
        pytest.skip("needs a pending cap of at least 2 (the honest login and one failure)")
    n, limit = eke_target.limits.throttle_failures, eke_target.limits.handshake_timeout
    timeout = _timeout(eke_target)
    honest = _start(eke_target, _prepare(eke_victim.user, eke_victim.pw), eke_sources.fresh())
    try:
        event = honest.receive_eke2(timeout)
        if honest.eke2 is None:
            raise _no_eke2(event, "the honest login of the victim")
        for i in range(n):
            early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
            if early is not None:
                inconclusive(f"throttled after {i} of {n} failures: {early.describe()}")
        locked_at = time.monotonic()
        age = locked_at - honest.raw.transcript.started
        if age > 0.7 * limit:
            inconclusive(f"the failures took {age:.2f} s of the {limit:g} s handshake timeout")
        _finish(eke_target, honest, "the honest login held while its name got locked")
    except BaseException:
        honest.close()
        raise
    _wait_closed(honest, timeout)
    probe = _start(eke_target, _prepare(eke_victim.user, eke_victim.pw), eke_sources.fresh())
    try:
        event = probe.receive_eke2(timeout)
        after = time.monotonic() - locked_at
        if probe.eke2 is None:
            if after > _lock_window(eke_target):
                inconclusive(f"the probe came {after:.2f} s after the lock: too late to judge")
            raise ConformanceFailure.evidence(
                f"EKE-THR-4: after {n} failures locked {eke_victim.user!r}, a login of the name "
                f"that was pending meanwhile completed (EKE4); the next EKE1 of the name, from "
                f"a fresh address, {after:.2f} s after the N-th failure",
                "EKE2: a successful handshake resets the user's failure count, also one that "
                "reached the threshold; with no failures left the name is not throttled",
                event.describe(),
            )
        _finish(eke_target, probe, "the probe login after the success")
    finally:
        probe.close()


@pytest.mark.req("EKE-THR-5")
def test_guesses_pending_across_a_success_are_counted(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """k guesses of the victim's name are held pending (EKE2 received); an honest login of
    the name completes meanwhile (its success resets the count); then the k guesses fail
    (a wrong EKE3 each) and N - k more plain failures follow. The k guesses ended after the
    success, each a failure "the moment it ends" (EKE-THR-5), so the name has N failures:
    its next EKE1, from a fresh address, MUST be answered throttled."""
    _needs_throttling(eke_target, eke_sources)
    p, _ = _pending_caps(eke_target)
    if p < 2:
        pytest.skip("needs a pending cap of at least 2 (a guess and the honest login)")
    n, limit = eke_target.limits.throttle_failures, eke_target.limits.handshake_timeout
    k = min(p - 1, n)
    timeout = _timeout(eke_target)
    held: list[PartialHandshake] = []
    try:
        for i in range(k):
            held.append(
                _hold(eke_target, eke_victim.user, bytes(32), eke_sources.fresh(), f"guess {i + 1}")
            )
        eke_victim.login(eke_sources.fresh())  # the success is booked before the guesses fail
        age = time.monotonic() - held[0].raw.transcript.started
        if age > 0.7 * limit:
            inconclusive(f"the guesses were held {age:.2f} s of the {limit:g} s timeout")
        # Every wrong EKE3 goes out back to back, then the answers are read: a server may
        # take up to ERR-3's allowance to close each one (a lingering close), and guesses
        # failed one after the other would reach their handshake timeout (LIM-1) first.
        for hs in held:
            assert hs.eke2 is not None
            hs.send_eke3(hs.client.on_eke2(hs.eke2, verify=False))
        for i, hs in enumerate(held):
            expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout).check(
                f"the wrong EKE3 of guess {i + 1}, pending when the honest login succeeded"
            )
    finally:
        for hs in held:
            hs.close()
    for i in range(n - k):
        early = _fail_once(eke_target, eke_victim.user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {k} + {i} failures, fewer than N = {n}: {early.describe()}",
                violates=("EKE-THR-7",),
            )
    locked_at = time.monotonic()
    frame, _ = _probe(eke_target, eke_victim.user, eke_victim.pw, eke_sources.fresh())
    after = time.monotonic() - locked_at
    if frame is not None and frame.error_name == "throttled":
        return
    if after > _lock_window(eke_target):
        inconclusive(f"the probe came {after:.2f} s after the N-th failure: too late to judge")
    raise ConformanceFailure.evidence(
        f"EKE-THR-5: {k} guesses of {eke_victim.user!r} held pending (EKE2 received) while an "
        f"honest login of the name succeeded, then each failed (wrong EKE3, answered "
        f"auth_failed), then {n - k} more failures; the next EKE1 of the name, from a fresh "
        f"address, {after:.2f} s later",
        f"EROR throttled: the {k} guesses ended after the success, each a failure the moment "
        f"it ended, so the name has {n} failures (N = {n})",
        "nothing" if frame is None else frame.describe(),
    )


@pytest.mark.req("EKE-THR-1")
def test_an_address_lock_reaches_a_name_whose_own_lock_ran_out(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """N failures of a name U from address A lock both; once that lock has run out, one
    more failure of another name from A locks A again (its count is N + 1), while U's own
    count still stands at N with its lock over. U's next EKE1 from A MUST be answered
    throttled: the address's lock refuses every EKE1 from it (EKE-THR-1: "further EKE1
    from that user or address"), whatever the state of the user's own entry — a wait
    taken from the user's entry first ("its lock ran out") must not hide the address's."""
    _needs_throttling(eke_target, eke_sources)
    limits = eke_target.limits
    n, base = limits.throttle_failures, limits.throttle_base or 1.0
    if base > 2:
        pytest.skip(f"waiting out a {base:g} s lock is too long here")
    home = eke_sources.fresh()
    user = ghost_user()
    for i in range(n):
        early = _fail_once(eke_target, user, home)
        if early is not None:
            inconclusive(f"throttled after {i} of {n} failures: {early.describe()}")
    frame, _ = _probe(eke_target, user, bytes(32), home)
    if frame is None or frame.error_name != "throttled":
        inconclusive(f"{user!r} from {home} was not throttled after {n} failures")
    assert frame is not None
    wait = (frame.json() or {}).get("retry_after")
    if not isinstance(wait, int) or wait > 2:
        inconclusive(f"the lock's retry_after is {wait!r}: not a short lock to wait out")
    assert isinstance(wait, int)
    time.sleep(wait + 0.1)  # the law's timer (EKE-THR-6), configured short: not a sync
    other = ghost_user()
    early = _fail_once(eke_target, other, home)
    if early is not None:
        inconclusive(f"{home} was still locked {wait + 0.1:.1f} s later: {early.describe()}")
    frame, _ = _probe(eke_target, user, bytes(32), home)
    if frame is not None and frame.error_name == "throttled":
        return
    raise ConformanceFailure.evidence(
        f"EKE-THR-1: {n} failures of {user!r} from {home}, their lock waited out, then one "
        f"failure of {other!r} from {home} (the address's failure {n + 1}); then an EKE1 of "
        f"{user!r} from {home}",
        f"EROR throttled: {home} is locked again (its count is {n + 1}), and the address's lock "
        f"refuses every EKE1 from it, also one of a name whose own lock has run out",
        "nothing" if frame is None else frame.describe(),
    )
