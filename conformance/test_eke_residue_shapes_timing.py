"""EKE-SEC-4: the EKE2 latency must not depend on D_pw(A), whatever shape the server's
residuosity computation has.

test_timing.py replays X' = 2^3000 against a large non-residue: a contrast built for a
binary Jacobi symbol that strips trailing zeros in one step (2^3000 then costs one
step). A Jacobi symbol written the textbook way — `a %= n`, halve one bit at a time,
swap — has another cost profile: 2^3000 costs 3000 halvings and a random-looking value
about as much, so that pair differs by a fraction of a millisecond, below the quick
tier's resolution on a loaded machine. Its short input is a value whose continued
fraction against p is short: X' = q = (p − 1)/2 ends in two steps (p mod q = 1). This
case times three full-size X' that together leave every Jacobi-like loop a long and a
short input:

- `X'=2^3070`: one bit set (a residue; the longest run of single halvings an even
  exponent below 2^16 gives), completed honestly;
- `X'=p-g^x`: a large non-residue above p/2 (test_timing.py's long input), completed
  honestly;
- `X'=(p-1)/2`: q, full-size, and p − q = q + 1 too (not a short value, which EKE-SEC-4
  tolerates): its discrete logarithm is unknown, so the handshake is ended with a wrong
  EKE3 after the timed EKE2, as the victim account, whose count an honest handshake
  resets before the throttle would answer (EKE-THR-4, untimed).

Every sample comes from a fresh source address; the statistics are conformance/timing.py's
(FAIL at alpha 1e-3, INCONCLUSIVE when the resolution is not reached: never a silent PASS).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance import eke, timing
from conformance.eke_support import SourceAddresses, Victim
from conformance.target import Target
from conformance.test_timing import (
    _TIERS,
    _ChosenA,
    _Conn,
    _eke2_probe,
    _expect,
    _honest_login,
    _judge,
    _large_non_residue_exponent,
    _reset,
    _timeout,
    plan,
    timing_report,
)
from conformance.wire import ConformanceFailure

__all__ = ["plan", "timing_report"]  # the fixtures, imported for this module's case

_Q = (eke.P - 1) // 2
_LONG_HALVINGS_EXPONENT = 3070  # X' = g^3070 = 2^3070: even, below 2^16 (_ChosenA)


def _q_probe(target: Target, user: str, pw: bytes, source: str | None) -> dict[str, int]:
    """EKE1 with D_pw(A) = q -> EKE2 latency; then a wrong EKE3, its EROR and the FIN (the
    failure is counted before the next probe starts)."""
    a = eke.feistel_encrypt(pw, eke.element_to_bytes(_Q))
    conn = _Conn(target, source, _timeout(target))
    try:
        t0 = time.perf_counter_ns()
        conn.send(b"EKE1", {"user": user, "a": a.hex()})
        got = conn.recv()
        t1 = time.perf_counter_ns()
        _expect(got, b"EKE2", f"EKE1 as {user!r} with D_pw(A) = (p-1)/2")
        conn.send(b"EKE3", {"c": "00" * 80})
        error = _expect(conn.recv(), b"EROR", f"a wrong EKE3 as {user!r}")
        if error.get("name") != "auth_failed":
            raise ConformanceFailure(f"EKE-HS-8: a wrong EKE3 answered {error}")
        conn.until_eof()
    finally:
        conn.close()
    return {"EKE2 latency": t1 - t0}


@pytest.mark.req("EKE-SEC-4", "EKE-SEC-3")
@pytest.mark.xdist_group("eke-victim")  # fails as the victim: one worker for all
@pytest.mark.parametrize("tier", _TIERS)
def test_eke2_latency_is_the_same_for_every_residuosity_shape(
    eke_target: Target,
    eke_victim: Victim,
    eke_sources: SourceAddresses,
    plan: timing.TimingPlan,
    timing_report: Callable[[timing.TimingRun, str], str],
    tier: str,
) -> None:
    """Three full-size X' with opposite costs under the common Jacobi loops: one EKE2
    latency for all (EKE-SEC-4)."""
    user, pw = eke_victim.user, eke_victim.pw
    plan = (
        plan.scaled(
            negligible=min(plan.negligible, 60e-6),
            resolution=min(plan.resolution, 400e-6),
            budget=plan.budget * 1.2,
            repeats=3,
        )
        if plan.name == "quick"
        else plan
    )
    halvings = _ChosenA.make(pw, _LONG_HALVINGS_EXPONENT, 0)
    non_residue = _ChosenA.make(pw, _large_non_residue_exponent(), 1)
    assert halvings.x_prime == 1 << 3070 and non_residue.x_prime > eke.P // 2

    # The victim may fail throttle_failures - 1 times before an honest handshake resets
    # its count (EKE-THR-4); the reset runs before the probe's timed part.
    allowed, spent = max(1, eke_target.limits.throttle_failures - 1), [0]

    def q_class() -> dict[str, int]:
        if spent[0] >= allowed:
            login = _ChosenA.fresh(pw)
            if not _honest_login(eke_target, user, login, eke_sources.fresh()):
                _reset(eke_victim, eke_sources)
            spent[0] = 0
        spent[0] += 1
        return _q_probe(eke_target, user, pw, eke_sources.fresh())

    def completed(chosen: _ChosenA) -> timing.Probe:
        return lambda: _eke2_probe(
            eke_target, user, chosen, source=eke_sources.fresh(), complete=True
        )

    run = timing.measure(
        {"X'=2^3070": completed(halvings), "X'=p-g^x": completed(non_residue),
         "X'=(p-1)/2": q_class},
        plan,
    )  # fmt: skip
    where = timing_report(run, "EKE2 latency for three residuosity shapes (EKE-SEC-4)")
    _judge(run, where, "EKE-SEC-4", "EKE2 latency for X'=2^3070, p-g^x and (p-1)/2")
