"""CA-ENR-14 / CA-ENR-19: a throttled login is answered 429 WITHOUT verifying the password.

"… MUST be answered `429 {"error": "throttled"}` (`Retry-After` …) without verifying the
password" (CA-ENR-14); a hard-locked alias likewise (CA-ENR-19). A CA that runs its slow
hash (scrypt, ~0.1 s) first and asks its throttle afterwards answers the same 429 — the
statuses, the Retry-After and the body cases all pass — but every throttled guess still
costs it a full verification: the throttle no longer protects the CA's CPU (and a CA
that verified would have to be trusted not to act on a right password it found).

Measured: rounds of two logins in random order, each a new HTTPS connection from a fresh
address with a wrong password — a hard-locked alias (429) and a fresh unknown alias
(401: CA-ENR-6 makes it cost a verification) — timed from the request sent to the
answer read. FAIL when the 429 takes more than half the 401's time in so many rounds
that chance explains it with p < 1e-3 (a sign test); INCONCLUSIVE when the CA's 401
costs under 20 ms more than its 429 could (a hash too fast to stand out here).
"""

from __future__ import annotations

import secrets
import statistics
import time

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_ca_hard_lock_bound import _Busy, _Logins
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_ROUNDS = 14
_BUDGET = 30.0  # seconds of sampling at most
_SHARE = 0.5  # a 429 slower than this share of a 401 counts against the round
_HASH_FLOOR = 0.02  # seconds: a 401 faster than this shows no slow hash to look for
_ALPHA = 1e-3


def _timed(logins: _Logins, alias: str, tag: str, status: int) -> float:
    started = time.perf_counter()
    answer = logins.fail(alias, tag)
    elapsed = time.perf_counter() - started
    if answer.status != status:
        inconclusive(f"a login of {alias!r} got {answer.describe()}, not {status}")
    return elapsed


@pytest.mark.req("CA-ENR-14", "CA-ENR-19")
def test_a_throttled_login_costs_no_verification(pki_target: Target) -> None:
    limits = pki_target.limits
    if limits.ca_lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if limits.ca_throttle_cap is None or limits.ca_throttle_cap > 5:
        pytest.skip("waiting out the CA's backoffs to a hard lock takes too long here")
    logins = _Logins(pki_target)
    locked = ca.ghost_alias()
    try:
        logins.hard_lock(locked)
    except _Busy as busy:
        inconclusive(f"a login on the way to the hard lock got 503 ({busy})")
    rounds: list[tuple[float, float]] = []
    started = time.monotonic()
    for i in range(_ROUNDS):
        if time.monotonic() - started > _BUDGET:
            break
        try:
            if secrets.randbelow(2):
                refused = _timed(logins, locked, f"cost-{i}", 429)
                verified = _timed(logins, ca.ghost_alias(), f"cost-{i}", 401)
            else:
                verified = _timed(logins, ca.ghost_alias(), f"cost-{i}", 401)
                refused = _timed(logins, locked, f"cost-{i}", 429)
        except _Busy as busy:
            inconclusive(f"a timed login got 503 ({busy})")
        rounds.append((refused, verified))
    if len(rounds) < 8:
        inconclusive(f"only {len(rounds)} rounds within {_BUDGET:g} s")
    refused_median = statistics.median(r for r, _ in rounds)
    verified_median = statistics.median(v for _, v in rounds)
    detail = (
        f"{len(rounds)} rounds; medians: 429 of the locked alias {refused_median * 1e3:.1f} "
        f"ms, 401 of a fresh alias {verified_median * 1e3:.1f} ms"
    )
    if verified_median < _HASH_FLOOR:
        inconclusive(f"the CA's 401 takes under {_HASH_FLOOR * 1e3:g} ms: no slow hash to see")
    over = sum(1 for r, v in rounds if r > _SHARE * v)
    # Imported here: scipy.stats costs about a second of CPU to import (as timing.py).
    from scipy.stats import binomtest  # type: ignore[import-untyped]

    p = binomtest(over, len(rounds), 0.5, alternative="greater").pvalue
    if p < _ALPHA:
        raise ConformanceFailure.evidence(
            f"logins with a wrong password, each on a new connection from a new address, in "
            f"random order: a hard-locked alias (429) and a fresh unknown alias (401): {detail}",
            "a throttled login answered 429 without verifying the password: far quicker "
            f"than a 401, which costs the slow hash (at most {_SHARE:g} of its time)",
            f"the 429 took more than {_SHARE:g} of the 401's time in {over} of {len(rounds)} "
            f"rounds (sign test p = {p:.2g}): the password is verified before the throttle "
            "is asked (CA-ENR-14)",
        )
    if over > len(rounds) // 2:
        inconclusive(f"{over} of {len(rounds)} rounds with a slow 429 ({detail})")
