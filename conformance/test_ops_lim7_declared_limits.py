"""LIM-7: each limit is configurable — the value the target declares is the one it applies,
in every use of that limit.

LIM-7: "Each limit MUST be configurable". The usual way to break it is not a missing
option but one use of a limit that still reads the built-in default: the option is parsed
and passed, the main path honours it, and a second path (the login deadline, the wait for
a put's data, the check of a PUTF's size, the throttle's threshold, a hard-locked name's
retry_after) was written against the constant of the first draft. The other cases judge
these behaviours under their own requirements (LIM-1, LIM-2, LIM-3, EKE-THR-1,
EKE-THR-11); here each is judged as what it also is, a declared limit not applied. The
target file's `[limits]` are the configuration; a target that declares nothing is judged
against the SPEC's defaults, which is then what it must apply.

- the handshake timeout: a silent connection is closed (sft-eke: EROR timeout) within
  1.5 x the declared timeout + 1 s (as test_limits.py);
- the idle timeout during a put: a put whose data stops is ended within 1.5 x the declared
  idle timeout + 1 s;
- the maximum file size: a PUTF of the declared maximum + 1 is answered too_large;
- sft-eke: the throttle threshold N — N failures of a user name leave its EKE1s answered,
  the next is throttled — and a hard-locked name's retry_after, the declared backoff cap.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _fail_once,
    _needs_throttling,
    _probe,
)
from conformance.test_eke_throttling import (
    test_hard_locked_name_is_told_the_backoff_cap as _hard_lock_case,
)
from conformance.test_limits import _limit, _timeout_reaction
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    RawConnection,
)

__all__: list[str] = []


@pytest.mark.req("LIM-7")
def test_declared_handshake_timeout_is_applied(target: Target) -> None:
    limit = _limit(target.limits.handshake_timeout, "handshake timeout")
    bound = limit * 1.5 + 1.0
    with RawConnection.connect(target.host, target.port, timeout=limit) as conn:
        outcome = conn.expect(_timeout_reaction(target), timeout=bound)
        if not outcome.ok:
            raise ConformanceFailure.evidence(
                f"LIM-7: a connection that sends nothing (declared handshake timeout "
                f"{limit:g} s)",
                f"closed within {bound:.1f} s: the declared handshake timeout applied",
                outcome.describe(),
                note="a login deadline read from a built-in default (10 s), not from the "
                "configuration, keeps a silent connection this long",
            )


@pytest.mark.req("LIM-7")
def test_declared_idle_timeout_is_applied_during_a_put(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    idle = target.limits.idle_timeout
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    size = min(4096, target.limits.max_file_size)
    if size < 2:
        pytest.skip("the target's max file size leaves no put to stall")
    bound = idle * 1.5 + 1.0
    channel = app_channel(timeout=bound + 5.0)
    name = fresh_name("ops-lim7-put-idle")
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} of {size} bytes")
    channel.send_frame("DATA", secrets.token_bytes(size // 2))
    started = time.monotonic()
    outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=bound)
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"LIM-7: a put of {name!r} ({size} bytes) stopped after {size // 2} bytes "
            f"(declared idle timeout {idle:g} s)",
            f"EROR timeout or a close within {bound:.1f} s: the declared idle timeout "
            "applied while the put's data is expected",
            f"{outcome.describe()} ({time.monotonic() - started:.1f} s)",
            note="a put's data awaited under a built-in timeout, not the configured one",
        )


@pytest.mark.req("LIM-7")
def test_declared_max_file_size_is_applied(target: Target, app_channel: AppChannel) -> None:
    require(target, "put")
    limit = target.limits.max_file_size
    channel = app_channel()
    name = fresh_name("ops-lim7-size")
    channel.send_frame("PUTF", {"name": name, "size": limit + 1})
    outcome = channel.expect([ExpectError("too_large")])
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"LIM-7: PUTF {name!r} of {limit + 1} bytes (declared max_file_size {limit})",
            "EROR too_large: the declared maximum file size applied",
            outcome.describe(),
            note="a size check against a built-in default (4 GiB), not the configuration",
        )


@pytest.mark.req("LIM-7")
def test_declared_throttle_threshold_is_applied(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    if n > 20:
        pytest.skip(f"the declared throttle threshold ({n}) is too high for this case")
    user = ghost_user()
    for i in range(n):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure.evidence(
                f"LIM-7: {i} failed handshakes of the new user name {user!r}, each from "
                f"another address (declared throttle_failures {n})",
                f"EKE1 answered EKE2 until {n} failures",
                f"throttled after {i}: {early.describe()}",
            )
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    _assert_throttled(
        frame, f"LIM-7: EKE1 of {user!r} after the declared {n} failures", broken="LIM-7"
    )


@pytest.mark.req("LIM-7")
def test_declared_cap_is_a_hard_locked_names_retry_after(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """test_eke_throttling.py's case, judged as LIM-7: the cap a locked name is told is
    the declared --throttle-cap, not the built-in 300 s."""
    _hard_lock_case(eke_target, eke_sources)
