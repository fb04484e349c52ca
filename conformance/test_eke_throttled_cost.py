"""EKE-THR-1 / EKE-THR-11 / EKE-THR-7: a throttled (or `busy`) EKE1 is refused WITHOUT
modular exponentiation.

"answer further EKE1 from that user or address with EROR throttled … without performing
any modular exponentiation for it" (EKE-THR-1; EKE-THR-11 says the same of a hard-locked
name). A server that prepares its EKE2 (B = g^b, Z = X'^b) or only draws and raises b
before it asks its throttle hands an attacker a CPU amplifier: every refused EKE1 still
costs the server what an accepted one does, and throttling no longer protects the
server's capacity. The answer is the same EROR either way; only its cost tells.

Measured, not asserted: rounds of three EKE1s of each class in random order, each timed
from the last byte sent to the answer's last byte read, over lean sockets from fresh
addresses, the fastest of each class kept for the round (a loaded machine's stalls only
ever add time) —
- `malformed`: an EKE1 without its `user` member (refused at once by any server: there
  is nobody to log in, FRM-*): the floor of a refusal's cost;
- `throttled`: a hard-locked name (EKE-THR-11) with a well-formed `a`;
- `EKE2`: the main account's honest handshake (completed: no failure counted), its
  EKE1 → EKE2 latency: what the exponentiations cost on top of that floor.
Per round, x = throttled − malformed and y = EKE2 − malformed. A server that refuses
before any exponentiation has x near 0 (a table lookup); one exponentiation (an EKE2
costs two or more, each with an exponent of 320 bits or more) puts x near a third to a
half of y. FAIL when x exceeds max(0.4 ms, 0.15 · median(y)) in so many rounds that
chance explains it with p < 1e-3 (a sign test), PASS when it exceeds it in at most
half, INCONCLUSIVE otherwise — and when the exponentiations are too cheap on the target
to stand out of this machine's noise (median y under 0.8 ms: the thorough timing tier's
job).
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable

import pytest

from conformance.eke_support import PartialHandshake, SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _hard_lock_a_ghost,
    _hold,
    _needs_throttling,
    _pending_caps,
)
from conformance.test_timing import _ChosenA, _Conn, _eke2_probe, _timeout, eke_main
from conformance.wire import ConformanceFailure

__all__ = ["eke_main"]  # the fixture, imported for this module's case

pytestmark = pytest.mark.xdist_group("eke-victim")

_ROUNDS = 30
_REPEATS = 3  # probes per class per round; the round keeps each class's fastest
_BUDGET = 20.0  # seconds of sampling at most
_SHARE = 0.15  # x above this share of an EKE2's extra cost (and above _ABS) counts
_ABS = 0.4e-3  # seconds: below this x is not judged (a throttle's own lookup may cost it)
_ALPHA = 1e-3


def _refusal_probe(target: Target, user: str | None, a_hex: str, source: str | None) -> int:
    """EKE1 -> EROR: nanoseconds from the last byte sent to the answer read (`user`
    None: an EKE1 without its `user` member)."""
    conn = _Conn(target, source, _timeout(target))
    body = {"a": a_hex} if user is None else {"user": user, "a": a_hex}
    try:
        t0 = time.perf_counter_ns()
        conn.send(b"EKE1", body)
        got = conn.recv()
        t1 = time.perf_counter_ns()
    finally:
        conn.close()
    if got is None or got[0] != b"EROR":
        shown = "EOF" if got is None else f"{got[0].decode('ascii', 'replace')} {got[1]}"
        raise _Unexpected(f"EKE1 of {user!r}: {shown}")
    return t1 - t0


class _Unexpected(Exception):
    """A probe was not answered as its class must be: other cases judge that."""


def _rounds(
    probes: dict[str, Callable[[], int]],
    before: Callable[[], Callable[[], None]] | None = None,
) -> list[dict[str, int]]:
    """Rounds of every class `_REPEATS` times in random order, the fastest kept per class
    (two warm-up rounds discarded). `before` sets a round up, untimed, and returns what
    takes it down."""
    rounds: list[dict[str, int]] = []
    started = time.monotonic()
    try:
        for _ in range(_ROUNDS + 2):
            if time.monotonic() - started > _BUDGET:
                break
            order = list(probes) * _REPEATS
            for i in range(len(order) - 1, 0, -1):
                j = secrets.randbelow(i + 1)
                order[i], order[j] = order[j], order[i]
            teardown = before() if before is not None else None
            best: dict[str, int] = {}
            try:
                for name in order:
                    ns = probes[name]()
                    best[name] = min(ns, best.get(name, ns))
            finally:
                if teardown is not None:
                    teardown()
            rounds.append(best)
    except _Unexpected as exc:
        inconclusive(f"a probe was not answered as its class must be: {exc}")
    rounds = rounds[2:]
    if len(rounds) < 12:
        inconclusive(f"only {len(rounds)} rounds within {_BUDGET:g} s")
    return rounds


def _judge(rounds: list[dict[str, int]], refused: str, what: str, requirement: str) -> None:
    """x = `refused` − malformed against y = EKE2 − malformed, per round (module doc)."""
    x = [r[refused] - r["malformed"] for r in rounds]
    y = [r["EKE2"] - r["malformed"] for r in rounds]
    extra = statistics.median(y) / 1e9
    detail = (
        f"{len(rounds)} rounds; medians: malformed "
        f"{statistics.median(r['malformed'] for r in rounds) / 1e6:.2f} ms, {refused} "
        f"{statistics.median(r[refused] for r in rounds) / 1e6:.2f} ms, EKE2 "
        f"{statistics.median(r['EKE2'] for r in rounds) / 1e6:.2f} ms; {refused} − "
        f"malformed {statistics.median(x) / 1e6:.2f} ms, EKE2 − malformed {extra * 1e3:.2f} ms"
    )
    if extra < 2 * _ABS:
        inconclusive(
            f"an EKE2 costs the target only {extra * 1e3:.2f} ms more than a refusal: too "
            f"little to judge the cost of {what} in the quick run ({detail})"
        )
    bar = max(_ABS, _SHARE * extra) * 1e9
    over = sum(1 for v in x if v > bar)
    # Imported here: scipy.stats costs about a second of CPU to import (as timing.py).
    from scipy.stats import binomtest  # type: ignore[import-untyped]

    p = binomtest(over, len(x), 0.5, alternative="greater").pvalue
    if p < _ALPHA:
        raise ConformanceFailure.evidence(
            f"EKE1s answered `{refused}` ({what}), without a user name (a refusal's floor), "
            f"and of the main account (EKE2), in random order: {detail}",
            f"{what} refused before any exponentiation: its cost above the floor under "
            f"{bar / 1e6:.2f} ms ({_ABS * 1e3:g} ms, or {_SHARE:g} of an EKE2's extra cost)",
            f"it was above that in {over} of {len(x)} rounds (sign test p = {p:.2g}): the "
            f"server does an EKE2's work, or part of it, before it refuses ({requirement})",
        )
    if over > len(x) // 2:
        inconclusive(f"{over} of {len(x)} rounds above {bar / 1e6:.2f} ms ({detail})")


def _floor_and_eke2(
    target: Target, sources: SourceAddresses, main: tuple[str, bytes], well_formed: str
) -> dict[str, Callable[[], int]]:
    user, pw = main

    def malformed() -> int:
        return _refusal_probe(target, None, well_formed, sources.fresh())

    def honest() -> int:
        chosen = _ChosenA.fresh(pw)
        result = _eke2_probe(target, user, chosen, source=sources.fresh(), complete=True)
        return result["EKE2 latency"]

    return {"malformed": malformed, "EKE2": honest}


@pytest.mark.req("EKE-THR-1", "EKE-THR-11")
def test_a_throttled_eke1_costs_no_exponentiation(
    eke_target: Target, eke_sources: SourceAddresses, eke_main: tuple[str, bytes]
) -> None:
    _needs_throttling(eke_target, eke_sources)
    locked = _hard_lock_a_ghost(eke_target, eke_sources, strict=False)
    well_formed = _ChosenA.fresh(secrets.token_bytes(32)).a.hex()  # any group element

    def throttled() -> int:
        return _refusal_probe(eke_target, locked, well_formed, eke_sources.fresh())

    probes = _floor_and_eke2(eke_target, eke_sources, eke_main, well_formed)
    probes["throttled"] = throttled
    _judge(_rounds(probes), "throttled", "a hard-locked name's EKE1", "EKE-THR-1")


@pytest.mark.req("EKE-THR-7")
def test_a_busy_eke1_costs_no_exponentiation(
    eke_target: Target, eke_sources: SourceAddresses, eke_main: tuple[str, bytes]
) -> None:
    """The same measure for `busy` (EKE-THR-7: "before any modular exponentiation"):
    each round holds P handshakes of a fresh unknown name pending (EKE2 read, untimed,
    each from its own address), times that name's further EKE1s (`busy`) beside the
    floor and an honest EKE2, then ends the held handshakes."""
    _needs_throttling(eke_target, eke_sources)
    p, _ = _pending_caps(eke_target)
    if p > 8:
        pytest.skip(f"P = {p} pending handshakes per round are too many here")
    well_formed = _ChosenA.fresh(secrets.token_bytes(32)).a.hex()
    crowded: list[str] = [""]

    def hold() -> Callable[[], None]:
        crowded[0] = ghost_user()
        held: list[PartialHandshake] = []
        try:
            for i in range(p):
                held.append(
                    _hold(eke_target, crowded[0], bytes(32), eke_sources.fresh(), f"hold {i}")
                )
        except BaseException:
            for hs in held:
                hs.close()
            raise

        def release() -> None:
            for hs in held:
                hs.close()

        return release

    def busy() -> int:
        return _refusal_probe(eke_target, crowded[0], well_formed, eke_sources.fresh())

    probes = _floor_and_eke2(eke_target, eke_sources, eke_main, well_formed)
    probes["busy"] = busy
    _judge(_rounds(probes, hold), "busy", "an EKE1 beyond the pending cap", "EKE-THR-7")
