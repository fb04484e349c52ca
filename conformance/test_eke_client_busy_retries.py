"""Every retry of an sft-eke/1 CLIENT after `EROR busy` waits retry_after (SPEC §5.6
EKE-THR-7).

test_eke_client.py times the first retry after one `busy`. A client whose wait is
right only on average passes it by chance: jitter drawn on both sides of retry_after
(uniform over 0.5…1.5 × retry_after, "±50 %") comes early on a fraction of the retries,
and a backoff that restarts from a small base, or that grows from the number of tries
instead of the announcement, comes early on some retries only. EKE-THR-7 says a client
MUST NOT retry before retry_after seconds have passed — every retry. Jitter belongs
above the announcement (the reference: 1 to 1.5 × retry_after).

The suite answers each of the client's first BUSY_ANSWERS `EKE1`s with `EROR busy`
(retry_after 1 s) and times every gap from its busy answer to the next `EKE1`. A client
that does not retry is not judged (it MAY give up); one that gives up after fewer
retries is judged on those it made; any gap below 0.9 × retry_after (timer granularity)
FAILs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    error_payload,
)

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.txt"
_TIMEOUT = 5.0
_PASSWORD = fresh_password()
RETRY_AFTER = 1  # seconds announced with every `EROR busy`
BUSY_ANSWERS = 7  # seven gaps: a client early on 40 % of its retries shows it in 97 % of runs
_EARLIEST = 0.9  # x retry_after: the margin for a client's timer granularity


@pytest.mark.req("EKE-THR-7")
def test_client_waits_retry_after_before_every_retry_after_busy(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Each of the client's first seven EKE1s is answered `EROR busy` (retry_after 1 s):
    no retry may come before retry_after."""
    busy_sent: list[float] = []
    arrivals: list[float] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        arrivals.append(time.monotonic())
        if len(busy_sent) >= BUSY_ANSWERS:
            return  # enough gaps seen: the suite closes
        busy = json.loads(error_payload("busy", "suite: busy, retry"))
        raw.send_frame(b"EROR", control({**busy, "retry_after": RETRY_AFTER}))
        busy_sent.append(time.monotonic())
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + BUSY_ANSWERS * RETRY_AFTER * 2,
        connections=BUSY_ANSWERS + 1,
    )
    if not busy_sent:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    # Gap k: from the k-th busy answer to the (k+1)-th EKE1, when the client made it.
    gaps = [later - sent for sent, later in zip(busy_sent, arrivals[1:], strict=False)]
    if not gaps:
        pytest.skip(f"the client did not retry after busy (it MAY): {case.describe()}")
    early = [(i + 1, gap) for i, gap in enumerate(gaps) if gap < _EARLIEST * RETRY_AFTER]
    if early:
        shown = ", ".join(f"retry {i} after {gap:.3f} s" for i, gap in early)
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: {len(busy_sent)} EKE1s answered `EROR busy` with retry_after "
            f"{RETRY_AFTER} s, the wait before each retry timed",
            f"no retry before retry_after ({RETRY_AFTER} s; "
            f"{_EARLIEST * RETRY_AFTER:g} s allowed for timer granularity), every time",
            f"{shown} (all waits: {', '.join(f'{g:.3f}' for g in gaps)} s)",
            note=case.describe(),
        )


# ---------------------------------------------------------------- a retry_after that grows
#
# The case above announces the same retry_after every time: a client that reads it on the
# first `busy` only and then falls back to a fixed wait (its own base, 1 s), or that keeps
# the first announcement for every later retry, passes it. EKE-THR-7 binds every retry to
# the retry_after of the `busy` it answers: here the announcements grow (1 s, then 3 s).

GROWING_RETRY_AFTER = (1, 3)


@pytest.mark.req("EKE-THR-7")
def test_client_waits_the_retry_after_of_each_busy_when_it_grows(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client's first two EKE1s are answered `EROR busy` with retry_after 1 s, then
    3 s: each retry waits at least the retry_after of the busy it follows."""
    busy_sent: list[tuple[float, int]] = []
    arrivals: list[float] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        arrivals.append(time.monotonic())
        if len(busy_sent) >= len(GROWING_RETRY_AFTER):
            return  # both gaps seen: the suite closes
        wait = GROWING_RETRY_AFTER[len(busy_sent)]
        busy = json.loads(error_payload("busy", "suite: busy, retry"))
        raw.send_frame(b"EROR", control({**busy, "retry_after": wait}))
        busy_sent.append((time.monotonic(), wait))
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + 2 * sum(GROWING_RETRY_AFTER),
        connections=len(GROWING_RETRY_AFTER) + 1,
    )
    if not busy_sent:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    gaps = [
        (later - sent, wait) for (sent, wait), later in zip(busy_sent, arrivals[1:], strict=False)
    ]
    if not gaps:
        pytest.skip(f"the client did not retry after busy (it MAY): {case.describe()}")
    early = [(i + 1, gap, wait) for i, (gap, wait) in enumerate(gaps) if gap < _EARLIEST * wait]
    if early:
        shown = ", ".join(
            f"retry {i} {gap:.3f} s after a busy with retry_after {wait} s"
            for i, gap, wait in early
        )
        raise ConformanceFailure.evidence(
            "EKE-THR-7: EKE1s answered `EROR busy` with a growing retry_after "
            f"({', '.join(f'{w} s' for w in GROWING_RETRY_AFTER)}), the wait before each "
            "retry timed",
            "each retry no sooner than the retry_after of the busy it follows "
            f"({_EARLIEST:g} x retry_after allowed for timer granularity)",
            shown,
            note=case.describe(),
        )


# ---------------------------------------------------------------- the base and the size of the wait
#
# retry_after counts from the `busy` answer, whatever came before it: a client that
# schedules its retry from when it STARTED the attempt (connect time + retry_after) comes
# early when the answer itself was slow (a loaded server answers late). And it counts in
# full, however long: a client that clamps a long retry_after to a wait of its own
# ("nobody waits more than 10 s") comes early; giving up instead is conforming.

LATE_ANSWER = 1.5  # seconds the suite takes before it answers EKE1 with `busy`
LATE_RETRY_AFTER = 2
LONG_RETRY_AFTER = 18


@pytest.mark.req("EKE-THR-7")
def test_client_counts_retry_after_from_the_busy_answer(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The suite answers the client's first EKE1 only after 1.5 s, with `EROR busy`
    (retry_after 2 s): the retry must come no sooner than 2 s after that answer."""
    busy_sent: list[float] = []
    arrivals: list[float] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        arrivals.append(time.monotonic())
        if busy_sent:
            return  # the retry came: the suite closes
        # A slow server: its answer comes late (not a synchronisation, the case's point).
        time.sleep(LATE_ANSWER)
        busy = json.loads(error_payload("busy", "suite: busy, retry"))
        raw.send_frame(b"EROR", control({**busy, "retry_after": LATE_RETRY_AFTER}))
        busy_sent.append(time.monotonic())
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + 2 * LATE_RETRY_AFTER,
        connections=2,
    )
    if not busy_sent:
        pytest.skip(f"the client ended before the late busy answer: {case.describe()}")
    if len(arrivals) < 2:
        pytest.skip(f"the client did not retry after busy (it MAY): {case.describe()}")
    gap = arrivals[1] - busy_sent[0]
    if gap < _EARLIEST * LATE_RETRY_AFTER:
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: EKE1 answered {LATE_ANSWER:g} s late with `EROR busy`, retry_after "
            f"{LATE_RETRY_AFTER} s",
            f"the retry no sooner than {LATE_RETRY_AFTER} s after the busy answer "
            f"({_EARLIEST * LATE_RETRY_AFTER:g} s allowed for timer granularity)",
            f"the retry came {gap:.3f} s after the answer "
            f"({arrivals[1] - arrivals[0]:.3f} s after the first EKE1)",
            note=case.describe(),
        )


@pytest.mark.req("EKE-THR-7")
def test_client_waits_a_long_retry_after_in_full_or_gives_up(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """`EROR busy` with retry_after 18 s: the client may give up, or retry after 18 s; a
    retry before 0.9 x 18 s FAILs. The suite watches until then and stops a client still
    waiting (it is not judged further: its wait was long enough)."""
    busy_sent: list[float] = []
    arrivals: list[float] = []
    process: list[subprocess.Popen[bytes]] = []
    window = _EARLIEST * LONG_RETRY_AFTER

    def stop_waiting_client() -> None:
        # Past the window a retry is conforming: stop a client still waiting for it.
        if len(arrivals) < 2 and process and process[0].poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process[0].pid, signal.SIGKILL)

    timer = threading.Timer(window + 0.5, stop_waiting_client)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        arrivals.append(time.monotonic())
        if busy_sent:
            return  # the retry: noted, the suite closes
        busy = json.loads(error_payload("busy", "suite: busy, retry"))
        raw.send_frame(b"EROR", control({**busy, "retry_after": LONG_RETRY_AFTER}))
        busy_sent.append(time.monotonic())
        # The accept loop stays free for the retry; the timer, counted from the answer,
        # ends a client still waiting once the window is over.
        timer.start()
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + LONG_RETRY_AFTER,
        connections=2,
        started=process.append,
    )
    timer.cancel()
    if not busy_sent:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if len(arrivals) >= 2 and arrivals[1] - busy_sent[0] < window:
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: `EROR busy` with retry_after {LONG_RETRY_AFTER} s",
            f"no retry before {LONG_RETRY_AFTER} s ({window:g} s allowed for timer "
            "granularity); giving up is conforming",
            f"the retry came {arrivals[1] - busy_sent[0]:.3f} s after the busy answer",
            note=case.describe(),
        )


# ---------------------------------------------------------------- fresh values on a retry
#
# EKE-HS-10: every handshake uses fresh x and Na. A client that draws them once per
# process (when it starts, or when its client object is made) and reuses them when it
# retries after `busy` sends the same X, and the same Na, on both connections: the
# three-clients case of test_eke_client.py compares separate processes and cannot see it.
# The suite answers `busy` once, at EKE1 (X compared) or after a full EKE3 in place of EKE4
# (X and Na compared), then lets the retry through. A client that does not retry (it MAY
# give up) is not judged.


def _x_of(eke1: ReceivedFrame, pw: bytes) -> int | None:
    """X = g^x hidden in EKE1's `a` (EKE-X-2, EKE-FEI-1), or None if it does not decode."""
    obj = eke1.json() or {}
    try:
        x_prime = int.from_bytes(eke.feistel_decrypt(pw, bytes.fromhex(str(obj.get("a")))), "big")
    except ValueError:
        return None
    if not 1 < x_prime < eke.P - 1:
        return None
    return x_prime if eke.jacobi(x_prime, eke.P) == 1 else eke.P - x_prime


@pytest.mark.req("EKE-HS-10", "EKE-X-1")
@pytest.mark.parametrize("where", ["at-eke1", "after-eke3"])
def test_client_draws_fresh_values_when_it_retries_after_busy(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    """`busy` once (at EKE1, or in place of EKE4): the retried handshake must carry a new
    X (and a new Na), not the first connection's."""
    user = client_user(eke_target)
    pw = eke_pw(user, _PASSWORD)
    xs: list[int | None] = []
    nas: list[bytes] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        first = not xs
        xs.append(_x_of(event, pw))
        busy = control({**json.loads(error_payload("busy", "suite: busy")), "retry_after": 1})
        if first and where == "at-eke1":
            raw.send_frame(b"EROR", busy)
            read_frame(raw, view, _TIMEOUT)
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        nas.append(server.na)
        if first:
            raw.send_frame(b"EROR", busy)
            read_frame(raw, view, _TIMEOUT)
            return
        raw.send_frame(b"EKE4", eke4)
        read_frame(raw, view, _TIMEOUT)  # the client's request (or its close): not judged

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + 4,
        connections=2,
    )
    if len(xs) < 2:
        if not xs:
            raise RuntimeError(
                f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
            )
        pytest.skip(f"the client did not retry after busy ({where}; it MAY): {case.describe()}")
    repeated = []
    if xs[0] is not None and xs[0] == xs[1]:
        repeated.append("X = g^x (the same exponent x)")
    if len(nas) == 2 and nas[0] == nas[1]:
        repeated.append(f"Na {nas[0].hex()[:16]}...")
    if repeated:
        raise ConformanceFailure.evidence(
            f"EKE-HS-10: one client run, `EROR busy` ({where}), the client's retried handshake",
            "fresh values in the new handshake: another x (so another X) and another Na",
            f"the retry reused {' and '.join(repeated)} of the first connection",
            note=case.describe(),
        )
