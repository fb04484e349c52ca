"""The idle timeout at the edges of a put and on time (docs/SPEC.md §6 LIM-2, §3.6).

LIM-2: a connection that sends nothing for the idle timeout while it is expected to send
— between requests or during a put — is closed with `EROR timeout`. Other cases stall a
put in the middle of its data or of a frame. Two edges are left: the put whose every
announced byte has arrived and whose DONE never comes (a responder that thinks "the data
is complete, DONE is a formality" drops its read deadline there), and the put accepted
but sent nothing at all. And the clock itself: a watchdog that scans its connections once
per idle period closes a silent one only at its second scan — up to twice the timeout.
Both profiles.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_MAX_WAIT = 12.0  # the longest idle timeout the suite waits for


def _limit(target: Target) -> float:
    value = target.limits.idle_timeout
    if value > _MAX_WAIT:
        pytest.skip(f"the target's idle timeout is {value} s (the suite waits at most {_MAX_WAIT})")
    return value


@pytest.mark.req("LIM-2", "APP-STORE-3")
def test_a_put_silent_after_its_last_byte_or_before_its_first_times_out(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    limit = _limit(target)
    data = b"every announced byte, then silence instead of DONE\n"
    stalls: dict[str, tuple[Channel, str]] = {}
    for where in ("after its last DATA byte (no DONE)", "after RSFL{accept} (no DATA)"):
        name = fresh_name()
        channel = app_channel()
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
        if where.startswith("after its last"):
            channel.send_frame("DATA", data)
        stalls[where] = (channel, name)
    end = time.monotonic() + limit * 1.5 + 1.0
    wrong = []
    for where, (channel, _) in stalls.items():
        outcome = channel.expect([ExpectError("timeout")], timeout=max(0.2, end - time.monotonic()))
        if not outcome.ok:
            wrong.append(f"a put silent {where}: {outcome.describe()}")
        channel.close()
    if wrong:
        failure = ConformanceFailure.evidence(
            f"LIM-2: puts that stopped sending (idle timeout {limit} s)",
            f"EROR timeout and the close within {limit * 1.5 + 1.0:.1f} s",
            "\n".join(wrong),
        )
        failure.violates = ("LIM-2",)
        raise failure
    for where, (_, name) in stalls.items():
        fresh = app_channel()
        fresh.send_frame("PUTF", {"name": name, "size": 1})
        fresh.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            f"APP-STORE-3: the put silent {where} was ended by the idle timeout, yet its "
            f"name {name!r} is taken"
        )


_PROBES = 3  # idle connections measured at once; the earliest close is judged


@pytest.mark.req("LIM-2")
def test_the_idle_timeout_is_not_enforced_late(target: Target, app_channel: AppChannel) -> None:
    """Several connections idle from their handshake on; the first `EROR timeout` must come
    within 1.6 idle timeouts (+ 0.2 s) of the silence starting — a watchdog that checks
    once per idle period closes only at its second check, about twice the timeout."""
    limit = _limit(target)
    channels = [app_channel() for _ in range(_PROBES)]
    started = time.monotonic()  # each channel is silent since its handshake, before this
    bound = limit * 1.6 + 0.2
    seen: list[float] = []
    answers: list[str] = []
    for channel in channels:
        remaining = started + limit * 2.5 + 1.0 - time.monotonic()
        outcome = channel.expect([ExpectError("timeout")], timeout=max(0.2, remaining))
        answers.append(outcome.describe())
        if outcome.ok:
            seen.append(time.monotonic() - started)
        channel.close()
    if not seen:
        raise ConformanceFailure.evidence(
            f"LIM-2: {_PROBES} connections idle from their handshake on (idle timeout {limit} s)",
            "EROR timeout, then the close",
            "; ".join(answers),
        )
    if min(seen) > bound:
        raise ConformanceFailure.evidence(
            f"LIM-2: {_PROBES} connections idle from their handshake on (idle timeout {limit} s)",
            f"EROR timeout within {bound:.2f} s of the silence (1.6 idle timeouts + 0.2 s)",
            f"the earliest came after {min(seen):.2f} s (all: "
            + ", ".join(f"{t:.2f} s" for t in seen)
            + ")",
        )
