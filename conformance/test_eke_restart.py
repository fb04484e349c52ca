"""EKE-THR-8: failure counts survive a restart of the server — below the lock too.

test_eke_throttling.py's restart case locks a name, restarts, and checks that the lock
holds. An implementation that writes only LOCKS to disk (a "lockout list"), or that
persists the user table and not the address table, passes it. Here every count stops
one short of the throttle: N - 1 failures of one user name (from fresh addresses) and
N - 1 failures from one address (each with a fresh name), then the declared restart
(`[eke] restart_cmd`), then one failure more of each: the N-th failure must lock both,
as it would have without the restart. Without a restart command the case SKIPs.

What else a restart must not undo, or bring back:
- a success's reset (EKE-THR-4): a server that forgets the user's count in memory but
  leaves the stored row brings the failures back at the next start;
- a hard lock (EKE-THR-11: "survives restarts"): a server that drops locks when it loads
  its table ("stale, from an earlier run") unlocks every locked name by restarting.
"""

from __future__ import annotations

import functools
import os
import shlex
import socket
import subprocess
import time

import pytest

from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _fail_once,
    _hard_lock_a_ghost,
    _lock_seconds,
    _needs_throttling,
    _plain_failures_throttle,
    _probe,
    _sequential_login,
)
from conformance.wire import ConformanceFailure, TimedOut, deadline_after

pytestmark = pytest.mark.xdist_group("eke-victim")

_RESTART_TIMEOUT = 60.0
_ACCEPT_WITHIN = 30.0


def restart_and_wait(command: str, host: str, port: int) -> None:
    """Runs a declared restart command (no shell), then waits, bounded, until the server
    accepts connections again at host:port."""
    done = subprocess.run(
        shlex.split(command), capture_output=True, timeout=_RESTART_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the restart command {command!r} exited {done.returncode}: {done.stderr[-500:]!r}"
        )
    deadline = time.monotonic() + _ACCEPT_WITHIN
    while True:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{host}:{port} did not accept connections {_ACCEPT_WITHIN:g} s after "
                    "its restart"
                ) from None
            time.sleep(0.1)  # polling a port: the restart is the target's own process


def restart_until_serving(target: Target, sources: SourceAddresses) -> None:
    """The target's restart (`restart_and_wait`), then, bounded by _ACCEPT_WITHIN, until it
    serves: a listening socket kept across the restart (as the reference keeps it, or as
    socket activation holds it) accepts at once, while the new image may still be
    starting. The probe is an EKE1 without members from a fresh address: `bad_frame` (or
    the close) once the server serves; no user name is named, no guess spent."""
    assert target.restart_cmd is not None
    restart_and_wait(target.restart_cmd, target.host, target.port)
    raw = connect_raw(
        target.host,
        target.port,
        timeout=_ACCEPT_WITHIN,
        name="restart probe",
        source=sources.fresh(),
    )
    try:
        raw.send_frame(b"EKE1", {})
        event = raw.recv_frame(deadline_after(_ACCEPT_WITHIN))
    finally:
        raw.close()
    if isinstance(event, TimedOut):
        raise RuntimeError(
            f"{target.host}:{target.port} accepted but did not answer an EKE1 "
            f"{_ACCEPT_WITHIN:g} s after its restart"
        )


def needs_restart(target: Target) -> None:
    if not target.restart_cmd:
        pytest.skip(
            "the target declares no restart command ([eke] restart_cmd): survival across "
            "a restart cannot be observed"
        )


@pytest.mark.req("EKE-THR-8")
def test_counts_below_the_lock_survive_a_restart(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip("with N = 1 there is no count below the lock")
    user, address = ghost_user(), eke_sources.fresh()
    for i in range(n - 1):
        for name, source in ((user, eke_sources.fresh()), (ghost_user(), address)):
            early = _fail_once(eke_target, name, source)
            if early is not None:
                raise ConformanceFailure(
                    f"throttled after {i} failures of {n - 1}: {early.describe()}",
                    violates=("EKE-THR-1",),
                )
    restart_until_serving(eke_target, eke_sources)
    # The N-th failure of each, after the restart; then the next EKE1 must be throttled.
    for name, source in ((user, eke_sources.fresh()), (ghost_user(), address)):
        if _fail_once(eke_target, name, source) is not None:
            return  # throttled already: the count survived and more
    for what, counter, name, source in (
        (f"user name {user!r}", "user", user, eke_sources.fresh()),
        (f"address {address}", "addr", ghost_user(), address),
    ):
        frame, _ = _probe(eke_target, name, bytes(32), source)
        _assert_throttled(
            frame,
            f"EKE1 for the {what}: {n - 1} failures before a restart of the server and one "
            f"after it, N = {n} (EKE-THR-8: counts below the lock survive the restart too)",
            broken="EKE-THR-8",
            control=functools.partial(_plain_failures_throttle, eke_target, eke_sources, counter),
        )


@pytest.mark.req("EKE-THR-4", "EKE-THR-8")
def test_a_success_reset_survives_a_restart(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    """N - 1 failures of an account, then its success (the count restarts, EKE-THR-4),
    then a restart, then one failure: the next honest login must get through. A server
    that reset the count in memory only loads N - 1 failures again, and the one failure
    after the restart locks the account. N >= 3, so that a server which counts the last
    failure only after closing (after our login began) still stays below N."""
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    n = eke_target.limits.throttle_failures
    if n < 3:
        pytest.skip("needs N >= 3: N - 1 failures, a success, then one more")
    user = eke_victim.user
    for i in range(n - 1):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} failures of {n - 1}: {early.describe()}",
                violates=("EKE-THR-1",),
            )
    _sequential_login(lambda: eke_victim.login(eke_sources.fresh()))
    restart_until_serving(eke_target, eke_sources)
    refusal = _fail_once(eke_target, user, eke_sources.fresh())
    answer = refusal.describe() if refusal is not None else ""
    if refusal is None:
        try:
            eke_victim.login(eke_sources.fresh())
            return
        except ConformanceFailure as exc:
            answer = str(exc).splitlines()[0]
    raise ConformanceFailure(
        f"Context:  an honest login of {user!r} after {n - 1} failures, a successful "
        "login (EKE-THR-4: the count restarts), a restart of the server, one failure\n"
        f"Expected: EKE2 and a completed handshake (1 failure since the success, N = {n})\n"
        f"Actual:   {answer}: the failures before the success came back with the restart "
        "(the reset was not kept)",
        violates=("EKE-THR-4",),
    )


@pytest.mark.req("EKE-THR-11", "EKE-THR-8")
def test_a_hard_lock_survives_a_restart(eke_target: Target, eke_sources: SourceAddresses) -> None:
    """L consecutive failures of one name (the hard cap, EKE-THR-11), a restart, then the
    backoff waited out: the name is still refused `throttled`. "The lock does not expire
    and survives restarts"."""
    _needs_throttling(eke_target, eke_sources)
    needs_restart(eke_target)
    user = _hard_lock_a_ghost(eke_target, eke_sources, strict=True)
    lock_after = eke_target.limits.lock_after
    assert lock_after is not None  # the helper SKIPs otherwise
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        inconclusive(
            f"cannot judge a lock across a restart: {user!r} is not throttled after "
            f"{lock_after} failures before any restart "
            f"({frame.describe() if frame else 'no frame'}): test_eke_throttling.py judges that"
        )
    restart_until_serving(eke_target, eke_sources)
    # Whatever the backoff law asks for has run out (a lock of the cap at most); the
    # restart took some of it already. The lock is the server's clock: no polling.
    time.sleep(_lock_seconds(eke_target, lock_after) + 0.5)
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if frame is None or frame.error_name != "throttled":
        raise ConformanceFailure.evidence(
            f"EKE1 of {user!r}: {lock_after} consecutive failures (the declared lock_after), "
            "then a restart of the server, then the backoff waited out",
            "EROR throttled: a hard lock survives restarts until an administrator unlocks it",
            f"{frame.describe() if frame is not None else 'no frame'}",
        )


# --------------------------------------------------------------------------------------
# The responder's sweep of its inbox at start (docs/SPEC.md §3.6 APP-STORE-3), observed
# across a declared restart (`[eke] restart_cmd`) with a declared inbox (`inbox`).
#
# APP-STORE-3: "A responder MUST also remove, when it starts, the `.sft-partial-*` files
# that an earlier run left in its inbox (it owns its inbox)." A responder killed mid-put
# (SIGKILL, a crash, a power cut: APP-STORE-5) cannot remove its temporary file; only this
# sweep does, else each such put leaves up to the maximum file size behind for good. The
# other cases see the inbox only while the responder runs (no temporary file after a failed
# put, APP-STORE-1's mode); a responder that never sweeps passes them all. This case leaves
# a stale temporary file in the inbox, dated a day back (so that even a sweep by age takes
# it), restarts the responder and checks the file is gone.
# --------------------------------------------------------------------------------------

_DAY = 24 * 3600
# The sweep may run just after the server accepts again; this long at most.
_SWEEP_WITHIN = 5.0


@pytest.mark.req("APP-STORE-3")
def test_responder_sweeps_stale_partials_of_its_inbox_when_it_starts(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    stale = inbox / f".sft-partial-{os.urandom(8).hex()}"
    stale.write_bytes(b"left by a run killed mid-put\n")
    then = time.time() - _DAY
    os.utime(stale, (then, then))
    try:
        restart_until_serving(eke_target, eke_sources)
        deadline = time.monotonic() + _SWEEP_WITHIN
        while stale.exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the sweep is the target's own work
        if stale.exists():
            raise ConformanceFailure.evidence(
                "APP-STORE-3: a stale temporary file in the inbox across a restart of the "
                f"responder: {stale.name}, last written a day ago",
                "the responder removes it when it starts (it owns its inbox)",
                f"still there {_SWEEP_WITHIN:g} s after the restarted responder accepted a "
                "connection",
            )
    finally:
        stale.unlink(missing_ok=True)
