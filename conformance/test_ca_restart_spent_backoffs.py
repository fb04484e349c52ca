"""CA-ENR-20: a failure count past the threshold survives a restart of the CA even when
its backoff has already run out.

A backoff that has run out is not the end of a key's record: CA-ENR-7 says "each further
failure doubles the wait", so an alias or an address with k failures (k: the declared
threshold, `[limits] ca_throttle_failures`) whose first backoff is over gets one login
answered, and the failure it then makes starts the next backoff at once. A CA that
"cleans up" at start — drops the keys past the threshold whose block has ended, keeps
only running backoffs, or reloads counts only below the threshold — passes the
restart case of test_ca_restart.py (counts below k, a backoff running across the
restart) and yet hands every such key a fresh allowance of k guesses per restart: an
attacker who can make the CA restart (or waits for a nightly one) multiplies the
throttle.

Here, for one address (each guess for a new unknown alias) and one alias (each guess
from a new address): k failures, the 429 that follows, its Retry-After waited out, the
restart (`[pki] ca_restart_cmd`), then two guesses in a row: the first MUST be answered
(a backoff that ran out), the second MUST be 429 (the (k+1)-th failure started the
second backoff, at least the 1 s base). A pair answered otherwise is judged against a
control victim taken through the same steps without a restart: if the control too gets
no 429, the throttle itself is broken (CA-ENR-7). Bounded: a first backoff longer than
5 s, or a second guess answered more than 0.8 s after the first (a loaded machine),
leaves the victim unjudged (once retried). Without a restart command, a declared
threshold or loopback source addresses the case SKIPs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_MAX_FIRST_BACKOFF = 5.0  # the longest first backoff the case waits out
_AFTER_RETRY = 0.3  # seconds past Retry-After's promise before the restart
_PAIR_WITHIN = 0.8  # the second guess must follow the first within this (base: 1 s)


@dataclass
class _Victim:
    """An alias (guesses from fresh addresses) or an address (guesses for fresh
    unknown aliases) taken to its threshold."""

    what: str
    guess: Callable[[int], ca.CaAnswer]
    trail: list[str]

    def fail(self) -> ca.CaAnswer:
        answer = self.guess(len(self.trail))
        self.trail.append(str(answer.status))
        return answer


def _to_spent_backoff(victim: _Victim, k: int) -> bool:
    """k failures, the 429 after them, and its Retry-After waited out. False when the CA
    does not behave so plainly (the throttle cases judge that)."""
    if [victim.fail().status for _ in range(k)] != [401] * k:
        return False
    throttled = victim.fail()
    retry = throttled.headers.get("retry-after") or ""
    if throttled.status != 429 or not retry.isdigit() or int(retry) > _MAX_FIRST_BACKOFF:
        return False
    time.sleep(int(retry) + _AFTER_RETRY)  # Retry-After's promise: the backoff runs out
    return True


def _pair(victim: _Victim) -> tuple[list[int], bool]:
    """Two guesses in a row: (their statuses, judged: the second followed in time)."""
    first = victim.fail()
    answered = time.monotonic()
    second = victim.fail()
    return [first.status, second.status], time.monotonic() - answered <= _PAIR_WITHIN


def _victims(target: Target, csr: str) -> list[_Victim]:
    sources = ca.sources(target)
    alias, address = ca.ghost_alias(), sources.fresh()
    return [
        _Victim(
            f"alias {alias!r} (each guess from a new address)",
            lambda n: ca.enrol(target, alias, f"wrong-{n}", csr, source=sources.fresh()),
            [],
        ),
        _Victim(
            f"address {address} (each guess for a new unknown alias)",
            lambda n: ca.enrol(target, ca.ghost_alias(), f"wrong-{n}", csr, source=address),
            [],
        ),
    ]


@pytest.mark.req("CA-ENR-20")
def test_counts_past_the_threshold_survive_a_restart_after_their_backoff(
    pki_target: Target,
) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip(
            "the target declares no restart command for its CA ([pki] ca_restart_cmd): "
            "survival across a restart cannot be observed"
        )
    k = pki_target.limits.ca_throttle_failures
    if k is None or k < 1 or k > 20:
        pytest.skip(
            "needs the CA's declared throttle threshold ([limits] ca_throttle_failures), "
            "between 1 and 20"
        )
    host, port = ca.ca_address(pki_target)
    if not ca.sources(pki_target).loopback:
        pytest.skip("needs a loopback CA to vary the client address")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    problems: list[str] = []
    judged = 0
    for _attempt in range(2):  # once more when load left every victim unjudged
        victims = [v for v in _victims(pki_target, csr) if _to_spent_backoff(v, k)]
        if not victims:
            pytest.skip(
                f"the CA did not answer k = {k} failures with 401 then 429 with a short "
                "Retry-After (the throttle cases judge that)"
            )
        restart_and_wait(command, host, port)
        for victim in victims:
            statuses, in_time = _pair(victim)
            if statuses[0] != 401 or not in_time:
                continue  # a login past the backoff not answered, or too slow: unjudged
            judged += 1
            if statuses[1] != 429:
                problems.append(
                    f"{victim.what}: {k} failures, then 429 (answers {victim.trail[: k + 1]}); "
                    f"its Retry-After waited out, the CA restarted (`{command}`); then two "
                    f"wrong passwords in a row got {statuses}, want [401, 429]: the "
                    f"(k+1)-th failure must start the next backoff — the count of {k} "
                    "was lost in the restart"
                )
        if judged:
            break
    if not judged:
        pytest.skip("every victim's pair of guesses was slowed past the backoff (load)")
    if problems:
        # Control: the same steps without a restart. No 429 there either: the throttle
        # itself (CA-ENR-7) ignores a failure after a spent backoff.
        control = _victims(pki_target, csr)[0]
        controlled = _to_spent_backoff(control, k)
        statuses, in_time = _pair(control) if controlled else ([], False)
        restart_only = not (in_time and statuses == [401, 401])
        raise ConformanceFailure(
            "Expected: a failure count past the threshold survives a restart of the CA "
            "even after its backoff ran out (CA-ENR-20), so the next failure is "
            "throttled at once (CA-ENR-7)\nActual:   "
            + "\n          ".join(problems)
            + (
                ""
                if restart_only
                else f"\n          and without a restart too: control {control.what} "
                f"got {statuses} after the same steps"
            ),
            violates=("CA-ENR-20",) if restart_only else ("CA-ENR-7",),
        )
