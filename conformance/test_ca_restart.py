"""CA-ENR-20: the CA's failure counts and running backoffs survive a restart of the CA
(and CA-ENR-19: so does its hard lock of an alias).

Once "not observable: the suite cannot restart a CA" — but a target may declare how
(`[pki] ca_restart_cmd`, run without a shell; the CA comes back on the same URL). With
the CA's declared threshold k (`[limits] ca_throttle_failures`: wrong passwords answered
401 before the first 429):

- one alias with k - 1 failures (each from a new address), one address with k - 1
  failures (each for a new alias): counts below the throttle, which a CA that writes
  only its locks (or only aliases) to disk loses;

then the restart, then for each: the k-th failure must still be the last one answered
401 — the next guess is 429. And a running backoff (CA-ENR-20: "running backoffs MUST
survive"): one address brought to its second backoff (k failures, the first backoff
waited out, one more failure) just before the restart must still be throttled by it
after — judged against a control address taken through the same steps without a
restart, whose backoff is measured (polled until its next login is answered); a restart
slower than that backoff leaves it unjudged. And the hard lock (CA-ENR-19, "the lock
survives a restart"): a fresh user (`ca_user_add_cmd`) failed to its declared
`ca_lock_after` just before the restart must, once its backoff has run out after it,
still get 429 for its RIGHT password. (A count at the threshold alone is not
probed so: its first backoff, about a second, may run out during the restart.) Without
a restart command or a declared threshold the case SKIPs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

_CSR_CN = "ghost"


def _guess(target: Target, alias: str, source: str | None, csr: str, n: int) -> int:
    return ca.enrol(target, alias, f"wrong-{n}", csr, source=source).status


_MAX_BACKOFF_WAIT = 5.0  # the longest first backoff waited out to reach the second
_POLL_BOUND = 10.0  # the longest a control backoff is polled
_POLL_EVERY = 0.1
_MARGIN = 0.2  # seconds of the control's backoff the restarted one may lack (jitter)


@dataclass
class _SecondBackoff:
    """An address (or an alias) on its way to its second backoff: k failures, then its
    first backoff (`first_ends`); `started` is when its (k+1)-th failure was answered
    401 (0: not yet). An address victim tries fresh ghost aliases, an alias victim
    tries from fresh addresses."""

    address: str | None
    first_ends: float  # monotonic: when Retry-After said its first backoff ends
    trail: list[str]
    started: float = 0.0
    alias: str | None = None

    def guess(self, target: Target, csr: str, password: str | None = None) -> ca.CaAnswer:
        answer = ca.enrol(
            target,
            self.alias or ca.ghost_alias(),
            password or f"wrong-{len(self.trail)}",
            csr,
            source=self.address,
        )
        self.trail.append(f"{answer.status}")
        return answer

    def fail_again(self, target: Target, csr: str) -> bool:
        """The (k+1)-th failure, once the first backoff has run out (as Retry-After said)."""
        time.sleep(max(0.0, self.first_ends - time.monotonic()))  # Retry-After's promise
        if self.guess(target, csr).status != 401:
            return False
        self.started = time.monotonic()
        return True


def _first_backoff(
    target: Target, k: int, csr: str, alias: str | None = None
) -> _SecondBackoff | None:
    """One fresh address (or `alias`): k failures and the 429 that follows. None when the
    CA does not behave so plainly (the other cases judge that)."""
    address = None if alias else ca.sources(target).fresh()
    if address is None and alias is None:
        return None
    victim = _SecondBackoff(address, 0.0, [], alias=alias)
    if [victim.guess(target, csr).status for _ in range(k)] != [401] * k:
        return None
    throttled = victim.guess(target, csr)
    retry = throttled.headers.get("retry-after") or ""
    if throttled.status != 429 or not retry.isdigit() or int(retry) > _MAX_BACKOFF_WAIT:
        return None
    victim.first_ends = time.monotonic() + int(retry) + 0.2
    return victim


def _measured_backoff(target: Target, victim: _SecondBackoff, csr: str) -> float:
    """How long after `victim.started` its logins were still answered 429 (polled,
    bounded): a lower bound of its running backoff."""
    throttled_until = 0.0
    deadline = victim.started + _POLL_BOUND
    while time.monotonic() < deadline:
        sent = time.monotonic()
        answer = ca.enrol(target, ca.ghost_alias(), "poll", csr, source=victim.address)
        if answer.status != 429:
            break
        throttled_until = sent - victim.started
        time.sleep(_POLL_EVERY)  # pacing a bounded poll of the CA's throttle
    return throttled_until


def _running_verdict(
    target: Target, running: _SecondBackoff | None, k: int, control_backoff: float, csr: str
) -> tuple[bool, str]:
    """Right after the restart: is `running`'s backoff still running? (judged, problem):
    not judged when the restart outlasted the control's backoff."""
    if running is None:
        return False, ""
    probe = ca.enrol(target, ca.ghost_alias(), "after-restart", csr, source=running.address)
    answered = time.monotonic() - running.started
    if answered >= control_backoff - _MARGIN:
        return probe.status == 429, ""
    if probe.status != 401:
        return True, ""
    return True, (
        f"address {running.address}: its second backoff started (failure {k + 1}, "
        f"answers {running.trail}) right before the restart; {answered:.2f} s after "
        f"it a login was answered 401, not 429 — without a restart the same steps "
        f"kept another address throttled for {control_backoff:.2f} s: the "
        "running backoff was lost"
    )


def _lock_victim(target: Target, k: int, csr: str) -> tuple[_SecondBackoff, str] | None:
    """CA-ENR-19's lock is judged across the restart when the target declares it
    (`ca_lock_after`) within two failures of k, its backoff cap, and how to add a user:
    a fresh user (whose RIGHT password is tried after the restart) at its first backoff,
    and its password."""
    lock_after, cap = target.limits.ca_lock_after, target.limits.ca_throttle_cap
    if lock_after is None or cap is None or not k < lock_after <= k + 2 or cap > _MAX_BACKOFF_WAIT:
        return None
    if not target.ca_user_add_cmd:
        return None
    alias, password = f"rl-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    try:
        ca.admin_command(target, "add", alias, stdin=password + "\n")
    except pytest.skip.Exception:
        return None
    victim = _first_backoff(target, k, csr, alias=alias)
    return None if victim is None else (victim, password)


def _lock(target: Target, victim: _SecondBackoff, k: int, csr: str) -> bool:
    """The lock victim's failures from k to `ca_lock_after`, each backoff waited out as
    Retry-After says (bounded). True when the last one was answered 401."""
    lock_after = target.limits.ca_lock_after or 0
    failures, budget = k, _MAX_BACKOFF_WAIT
    while failures < lock_after:
        time.sleep(max(0.0, victim.first_ends - time.monotonic()))  # Retry-After's promise
        answer = victim.guess(target, csr)
        retry = answer.headers.get("retry-after") or ""
        if answer.status == 401:
            failures += 1
            victim.started = time.monotonic()
        elif answer.status == 429 and retry.isdigit() and int(retry) + 0.2 <= budget:
            budget -= int(retry) + 0.2
            victim.first_ends = time.monotonic() + int(retry) + 0.2
        else:
            return False
    return True


@pytest.mark.req("CA-ENR-20", "CA-ENR-19")
def test_failure_counts_survive_a_restart_of_the_ca(pki_target: Target) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip(
            "the target declares no restart command for its CA ([pki] ca_restart_cmd): "
            "survival across a restart cannot be observed"
        )
    k = pki_target.limits.ca_throttle_failures
    if k is None or k < 2 or k > 20:
        pytest.skip(
            "needs the CA's declared throttle threshold ([limits] ca_throttle_failures), "
            "between 2 and 20"
        )
    host, port = ca.ca_address(pki_target)
    sources = ca.sources(pki_target)
    if not sources.loopback:
        pytest.skip("needs a loopback CA to vary the client address")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, _CSR_CN)))
    short_alias, address = ca.ghost_alias(), sources.fresh()
    # (what, one guess counted against it) per victim.
    victims: list[tuple[str, Callable[[int], int]]] = [
        (
            f"alias {short_alias!r} ({k - 1} failures before the restart)",
            lambda n: _guess(pki_target, short_alias, sources.fresh(), csr, n),
        ),
        (
            f"address {address} ({k - 1} failures before the restart, each another alias)",
            lambda n: _guess(pki_target, ca.ghost_alias(), address, csr, n),
        ),
    ]
    for what, guess in victims:
        statuses = [guess(n) for n in range(k - 1)]
        if statuses != [401] * (k - 1):
            raise ConformanceFailure(
                f"{what}: {k - 1} wrong passwords answered {statuses}, want 401 each "
                f"(the declared threshold is {k})",
                violates=("CA-ENR-7",),
            )
    # The running backoff: a control address measured first, then the victim, whose
    # backoff starts right before the restart.
    # Both reach their first backoff together, so that one wait serves both.
    unrestarted, running = (_first_backoff(pki_target, k, csr) for _ in range(2))
    # And an alias brought to its hard lock (CA-ENR-19), which must hold after the restart.
    locking = _lock_victim(pki_target, k, csr)
    control_backoff = 0.0
    if unrestarted is not None and unrestarted.fail_again(pki_target, csr):
        control_backoff = _measured_backoff(pki_target, unrestarted, csr)
    if locking is not None and not _lock(pki_target, locking[0], k, csr):
        locking = None
    if running is not None and not (
        control_backoff > 2 * _MARGIN and running.fail_again(pki_target, csr)
    ):
        running = None
    restart_and_wait(command, host, port)
    problems = []
    judged, lost = _running_verdict(pki_target, running, k, control_backoff, csr)
    for what, guess in victims:
        after = [guess(k - 1 + n) for n in range(2)]
        if after != [401, 429]:
            problems.append(f"{what}: after the restart {after}, want [401, 429]")
    lock_problem = ""
    if locking is not None:
        victim, password = locking
        # Past any backoff of its last failure (at most the cap): only the lock refuses.
        cap = pki_target.limits.ca_throttle_cap or 0.0
        time.sleep(max(0.0, victim.started + cap + 0.3 - time.monotonic()))  # the cap
        after_lock = victim.guess(pki_target, csr, password)
        if after_lock.status != 429:
            lock_problem = (
                f"alias {victim.alias!r}: hard-locked before the restart (the declared "
                f"ca_lock_after = {pki_target.limits.ca_lock_after} consecutive failures, "
                f"answers {victim.trail[:-1]}); after the restart, once its backoff (at most "
                f"the cap, {cap:g} s) had run out, a login "
                f"with its RIGHT password got "
                f"{after_lock.describe()}, not 429: the lock did not survive the restart"
            )
    if running is not None and not judged:
        # The restart outlasted the backoff (a loaded machine): once more, bounded.
        running = _first_backoff(pki_target, k, csr)
        if running is not None and running.fail_again(pki_target, csr):
            restart_and_wait(command, host, port)
            judged, lost = _running_verdict(pki_target, running, k, control_backoff, csr)
    if lost:
        problems.insert(0, lost)
    if lock_problem and not problems:
        raise ConformanceFailure(
            f"Expected: the CA's hard lock of an alias survives its restart (`{command}`)"
            f"\nActual:   {lock_problem}",
            violates=("CA-ENR-19",),
        )
    if lock_problem:
        problems.append(lock_problem)
    if problems:
        # Control: without a restart, do k failures of a new alias throttle the next one?
        # If not, the throttle itself (CA-ENR-7) is broken, and this case cannot judge.
        control_alias = ca.ghost_alias()
        control = [_guess(pki_target, control_alias, sources.fresh(), csr, n) for n in range(k + 1)]
        raise ConformanceFailure(
            f"Expected: the CA's failure counts survive its restart (`{command}`), declared "
            f"threshold k = {k}\nActual:   " + "\n          ".join(problems),
            violates=(("CA-ENR-20",) if control[-1] == 429 else ("CA-ENR-7",))
            + (("CA-ENR-19",) if lock_problem else ()),
        )
