"""A restart of the CA moves no backoff's end (SPEC §4.4: CA-ENR-20, CA-ENR-7).

CA-ENR-20: the CA's "failure counts and running backoffs MUST survive a restart" — the
backoffs as they were, ending when they ended. CA-ENR-7: "After a `429` that said
`Retry-After: n`, a login made n seconds later is answered again". A CA that stores a
backoff as the seconds it had LEFT when it was written ("portable across clocks") and,
at start, counts them again from the restart makes every restart extend every backoff
by the time since its failure — a backoff that had already run out comes back, and the
client that waited its Retry-After is throttled again. The restart cases judge that the
backoffs and counts survive; the case of spent backoffs leaves a login throttled after
the restart unjudged (it cannot tell it from a loaded machine); here the wait is the
CA's own promise, so nothing else excuses a `429`.

Victims: an address (its guesses for fresh unknown aliases) and an alias (its guesses
from fresh addresses), each taken to N failures (N: the declared threshold) and the `429`
after them, whose `Retry-After` (r ≤ 5 s) is the promise — taken further, one failure
after each promise, until r is 4 s or the declared cap (a moved end shows only while the
moved backoff runs when the first login after the restart comes: with r = 1 s a loaded
machine's restart hides it), and through 401s a slow machine's late logins may get.

- spent: r + 0.3 s after the `429`, the CA is restarted (`[pki] ca_restart_cmd`); then
  one wrong password of the victim MUST be answered (`401`), not `429`;
- running: the CA is restarted at once after the `429`; r + 0.3 s after that `429` (or
  as soon as the restart is over, if later) one wrong password MUST be answered (`401`).

Without a restart command, a declared threshold or loopback addresses the case SKIPs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-restart-backoff-ends"),
]

_LONGEST_PROMISE = 5  # the longest Retry-After the case waits out
_PAST_PROMISE = 0.3  # seconds past Retry-After's promise
_STEPS = 8  # logins after the k-th failure, to a 429 of the wanted promise


@dataclass
class _Victim:
    what: str
    guess: Callable[[int], ca.CaAnswer]
    trail: list[str] = field(default_factory=list)
    promised_at: float = 0.0  # monotonic time from which a login is answered again
    # Failures the victim may take (an alias: below its declared hard lock, CA-ENR-19,
    # whose 429 no restart ends; None: no bound, an address is never hard-locked).
    most_failures: int | None = None

    def fail(self) -> ca.CaAnswer:
        answer = self.guess(len(self.trail))
        self.trail.append(str(answer.status))
        return answer


def _victims(target: Target, csr: str, k: int) -> list[_Victim]:
    sources = ca.sources(target)
    alias, address = ca.ghost_alias(), sources.fresh()
    lock = target.limits.ca_lock_after
    return [
        _Victim(
            f"the address {address} (each guess for a new unknown alias)",
            lambda n: ca.enrol(target, ca.ghost_alias(), f"wrong-{n}", csr, source=address),
        ),
        _Victim(
            f"the alias {alias!r} (each guess from a new address)",
            lambda n: ca.enrol(target, alias, f"wrong-{n}", csr, source=sources.fresh()),
            most_failures=lock - 1 if lock is not None else k,
        ),
    ]


def _wanted_promise(target: Target) -> int:
    """The Retry-After the victims are taken to: the longest the case waits out, or the
    declared cap's if shorter. A restart that moves a backoff's end is seen only while the
    moved backoff still runs when the first login after it comes: a one-second backoff
    leaves a loaded machine (the new image's start, the login's handshake) no margin."""
    cap = target.limits.ca_throttle_cap
    return max(1, min(_LONGEST_PROMISE - 1, int(cap) if cap is not None else 4))


def _to_429(victim: _Victim, k: int, wanted: int) -> bool:
    """k failures, then failures each after the last backoff's promise until a 429 says at
    least `wanted` seconds (or the cap's own); the promise noted. A 401 after the k-th
    failure is a backoff that ran out before the login came (a slow machine): the next
    failure doubles it. False when the CA does not behave so plainly (the throttle cases
    judge that)."""
    if [victim.fail().status for _ in range(k)] != [401] * k:
        return False
    failures, longest = k, 0
    bound = victim.most_failures
    for _ in range(_STEPS):
        throttled = victim.fail()
        if throttled.status == 401:
            failures += 1
            if bound is not None and failures > bound:
                return False  # (an alias now perhaps under its hard lock)
            continue
        retry = (throttled.headers.get("retry-after") or "").strip()
        if throttled.status != 429 or not retry.isdigit() or int(retry) > _LONGEST_PROMISE:
            return False
        victim.promised_at = time.monotonic() + int(retry)
        if int(retry) >= wanted or int(retry) <= longest:  # wanted, or the cap reached
            return True
        if bound is not None and failures + 1 > bound:
            return True  # one more failure would reach the alias's hard lock
        longest = int(retry)
        # The promise waited out: the next failure is verified and doubles the backoff.
        time.sleep(max(0.0, victim.promised_at + _PAST_PROMISE - time.monotonic()))
    return False


@pytest.mark.req("CA-ENR-20", "CA-ENR-7")
@pytest.mark.parametrize("backoff", ["spent", "running"])
def test_a_restart_moves_no_backoff_end(pki_target: Target, backoff: str) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip("the target declares no restart command for its CA ([pki] ca_restart_cmd)")
    k = pki_target.limits.ca_throttle_failures
    if k is None or k < 1 or k > 20:
        pytest.skip("needs the CA's declared throttle threshold ([limits] ca_throttle_failures)")
    host, port = ca.ca_address(pki_target)
    if not ca.sources(pki_target).loopback:
        pytest.skip("needs a loopback CA to vary the client address")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    wanted = _wanted_promise(pki_target)
    victims = [v for v in _victims(pki_target, csr, k) if _to_429(v, k, wanted)]
    if not victims:
        pytest.skip(
            f"the CA did not answer {k} failures with 401 then 429 with a short Retry-After"
        )
    if backoff == "spent":
        time.sleep(max(0.0, max(v.promised_at for v in victims) + _PAST_PROMISE - time.monotonic()))
    restart_and_wait(command, host, port)
    problems = []
    for victim in victims:
        time.sleep(max(0.0, victim.promised_at + _PAST_PROMISE - time.monotonic()))
        late = time.monotonic() - victim.promised_at
        answer = victim.fail()
        if answer.status == 429:
            problems.append(
                f"{victim.what}: {k} failures, then 429 (answers {victim.trail}); "
                f"{late:.1f} s past its Retry-After's promise (the restart "
                + ("after the promise" if backoff == "spent" else "right after the 429")
                + f"), a wrong password got {answer.describe()}"
            )
    if problems:
        raise ConformanceFailure.evidence(
            f"CA-ENR-20: backoffs {'spent' if backoff == 'spent' else 'running'} at a "
            f"restart of the CA (`{command}`)",
            "the login answered (401) once Retry-After's n seconds have passed: a restart "
            "keeps each backoff's end where it was, neither dropped nor moved later",
            "\n          ".join(problems),
            note="a backoff kept as the seconds it had left, counted again from the restart",
        )
