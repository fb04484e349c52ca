"""sft-eke/1: a throttled refusal has one form, whoever is refused (docs/SPEC.md §2, §5.6).

The throttling cases judge WHEN an EKE1 is refused; this file judges WHAT the refusal
says, for every kind of name and lock:

- ERR-1 / ERR-7: an `EROR` carries the table's `name` for its `code` (14 is `throttled`,
  never a name of the implementer's), and `throttled` an integer `retry_after` (FRM-11:
  no fraction, no exponent, not a string). The frame is checked as a sender's frame
  (the suite's `violations()`: FRM-8/9/11, ERR-1/2/6/7).
- EKE-HS-3: "The server's messages, their sizes and timing MUST NOT depend on whether U
  exists." An account and a ghost name, each failed N times (each failure from a fresh
  loopback address, so no address lock speaks for them), are refused alike: the same
  code, name and members, and the same message once each user name in it is replaced by
  a placeholder (a message MAY echo the name, ERR-5; it must not say whether it is an
  account: "account 'alice' is locked").
(A hard lock's retry_after, the cap, is test_eke_throttling.py's
test_hard_locked_name_is_told_the_backoff_cap.)

A lock of the embedded reference lasts 1 s at N failures: a probe that comes later than
the lock (a loaded machine) and is answered EKE2 is INCONCLUSIVE, never a FAIL.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.eke_support import SourceAddresses, Victim, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _fail_once,
    _lock_seconds,
    _needs_throttling,
    _probe,
)
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)
# EKE-THR-9: a failure time MAY be kept in whole seconds, rounded up.
_ROUNDING = 1


def _violates(problem: str) -> tuple[str, ...]:
    """The requirement a `violations()` line names first (`ERR-1: ...`, `FRM-11: ...`)."""
    head = problem.split(":", 1)[0]
    return tuple(part for part in head.replace("/", " ").split() if "-" in part)


def _check_form(frame: ReceivedFrame, what: str) -> dict[str, Any]:
    """The refusal as a sender's frame; FAIL with the rule it breaks."""
    problems = frame.violations()
    if problems:
        ids = tuple(dict.fromkeys(i for p in problems for i in _violates(p))) or ("ERR-1",)
        if "FRM-11" in ids and frame.error_code == 14:
            ids = (*ids, "ERR-7")
        raise ConformanceFailure(
            f"Expected: EROR throttled as §2 gives it: code 14, name 'throttled', a message, "
            f"an integer retry_after ({what})\n"
            f"Actual:   {frame.describe(300)}\n"
            f"Broken:   {'; '.join(problems)}",
            violates=ids,
        )
    return frame.json() or {}


def _fail_n_times(target: Target, sources: SourceAddresses, user: str, count: int) -> float:
    """`count` failed handshakes of `user`, each from a fresh address; returns when the
    last one ended (monotonic)."""
    for i in range(count):
        early = _fail_once(target, user, sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"failure {i + 1} of {count} of {user!r} was refused (N = "
                f"{target.limits.throttle_failures}): {early.describe()}",
                violates=("EKE-THR-1",),
            )
    return time.monotonic()


def _throttled_probe(
    target: Target, sources: SourceAddresses, user: str, ended: float, lock: float, what: str
) -> ReceivedFrame:
    frame, _ = _probe(target, user, _FAKE_PW, sources.fresh())
    if frame is not None and frame.error_name == "throttled":
        return frame
    late = time.monotonic() - ended
    if late >= lock:
        inconclusive(
            f"the probe of {what} came {late:.2f} s after its last failure, after its "
            f"{lock:g} s lock: {frame.describe() if frame is not None else 'no frame'}"
        )
    raise ConformanceFailure(
        f"Expected: EROR throttled for {what} ({late:.2f} s after its N-th failure, within "
        f"its {lock:g} s lock)\nActual:   {frame.describe() if frame is not None else 'none'}",
        violates=("EKE-THR-1",),
    )


def _shape(obj: dict[str, Any], user: str) -> tuple[Any, ...]:
    message = obj.get("message")
    if isinstance(message, str):
        message = message.replace(user, "<user>")
    return (obj.get("code"), obj.get("name"), tuple(sorted(obj)), message)


@pytest.mark.req("EKE-HS-3", "ERR-1", "ERR-7", "EKE-THR-1")
def test_an_account_and_a_ghost_are_refused_alike(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    if n > 10:
        pytest.skip(f"throttle_failures = {n}: too many failures for one case")
    lock = _lock_seconds(eke_target, n) + _ROUNDING
    ghost = ghost_user()
    names = {"account": eke_victim.user, "ghost name": ghost}
    # N - 1 failures each first: the two N-th failures then come close together, and each
    # probe right after its own.
    for user in names.values():
        _fail_n_times(eke_target, eke_sources, user, n - 1)
    answers: dict[str, dict[str, Any]] = {}
    frames: dict[str, ReceivedFrame] = {}
    for kind, user in names.items():
        ended = _fail_n_times(eke_target, eke_sources, user, 1)
        frame = _throttled_probe(eke_target, eke_sources, user, ended, lock, f"the {kind}")
        frames[kind] = frame
        answers[kind] = _check_form(frame, f"the {kind} {user!r} after {n} failures")
    known, unknown = (_shape(answers[k], names[k]) for k in names)
    if known != unknown:
        raise ConformanceFailure(
            "Expected: the same refusal for an account and for a name without one, each "
            f"after N = {n} failures from fresh addresses (code, name, members, message "
            "with the user name replaced)\n"
            f"Actual:   account {eke_victim.user!r}: {frames['account'].describe(300)}\n"
            f"          ghost {ghost!r}: {frames['ghost name'].describe(300)}\n"
            "EKE-HS-3: the server's messages MUST NOT depend on whether U exists",
            violates=("EKE-HS-3",),
        )
