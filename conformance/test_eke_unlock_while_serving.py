"""An administrator's unlock takes effect on the running sft-eke server (docs/SPEC.md §5.6:
EKE-THR-11).

EKE-THR-11: after L consecutive failures of a user name the server MUST refuse every
further `EKE1` of it with `EROR throttled` "until an administrator unlocks it
(reference: `sft eke user unlock NAME --store F`)". The unlock is an administrator's
action on a server that serves: the administration tool runs in its own process and
writes the failure store; the running server must see it. The habits that break it: a
tool that clears the name's entry in its own memory (or in a copy) and never in the store
the server reads; a server that trusts the lock set it loaded at start (the unlock is seen
at the next restart only); a server that writes its whole in-memory table back with each
failure it records, undoing the unlock at the next failure of ANY name.

With the target's `[eke] unlock_cmd` (`{user}` replaced; run without a shell) and a hard
cap reachable within this case's waits (`[limits] lock_after`, a backoff cap of 5 s or
less): a new, unknown user name is hard-locked (unknown names are counted as known ones
are, EKE-HS-3), its refusal is observed, the declared command unlocks it (exit 0), one
failure of another name follows from a fresh address, and the unlocked name's next
`EKE1` MUST be answered `EKE2` — at the latest once one `retry_after` it is given (at
most the backoff cap) has passed: a server MAY keep the last backoff running. A tool that
refuses to unlock a name with no account makes the case INCONCLUSIVE (the SPEC does not
say that unknown names can be unlocked), never a FAIL.
"""

from __future__ import annotations

import math
import shlex
import subprocess
import time

import pytest

from conformance.eke_support import SourceAddresses, ghost_user
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import (
    _fail_once,
    _hard_lock_a_ghost,
    _needs_throttling,
    _probe,
)
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = [pytest.mark.profile("eke"), pytest.mark.xdist_group("eke-unlock-while-serving")]


def _unlock(template: str, user: str) -> tuple[int | None, str]:
    """Runs the declared unlock command for `user`: (exit status or None, what it said)."""
    argv = [part.format(user=user) for part in shlex.split(template)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"`{shlex.join(argv)}` did not complete: {exc}"
    said = done.stderr.decode(errors="replace")[-300:].strip()
    return done.returncode, f"`{shlex.join(argv)}` exited {done.returncode}: {said!r}"


def _describe(frame: ReceivedFrame | None) -> str:
    return frame.describe() if frame is not None else "no frame (close or timeout)"


@pytest.mark.req("EKE-THR-11")
def test_an_unlock_by_the_administrator_reaches_the_running_server(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    template = eke_target.eke_unlock_cmd
    if not template:
        pytest.skip("the target declares no unlock command ([eke] unlock_cmd)")
    _needs_throttling(eke_target, eke_sources)
    user = _hard_lock_a_ghost(eke_target, eke_sources, strict=False)
    locked, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if locked is None or locked.error_name != "throttled":
        inconclusive(
            f"{user!r} is not refused after {eke_target.limits.lock_after} failures "
            f"({_describe(locked)}): test_eke_throttling.py judges the hard lock"
        )
    status, said = _unlock(template, user)
    if status is None:
        raise ConformanceFailure.evidence(
            f"EKE-THR-11: {user!r} is hard-locked (EKE1 answered {_describe(locked)}); the "
            "declared unlock command runs while the server serves",
            "the command completes (exit 0)",
            said,
        )
    if status != 0:
        inconclusive(
            f"the declared unlock command refused the name {user!r}, which has no account "
            f"(the SPEC does not say unknown names can be unlocked): {said}"
        )
    # Another name's failure, recorded by the server after the unlock.
    _fail_once(eke_target, ghost_user(), eke_sources.fresh())
    after, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    waited = ""
    cap = eke_target.limits.throttle_cap
    if after is not None and after.error_name == "throttled":
        retry = (after.json() or {}).get("retry_after")
        if isinstance(retry, int | float) and 0 <= retry <= math.ceil(cap) + 1:
            time.sleep(retry + 0.3)  # a backoff the server kept running: waited out once
            waited = f" (and again {retry + 0.3:.1f} s later, its retry_after waited out)"
            after, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    if after is not None and after.type == b"EKE2":
        return
    raise ConformanceFailure.evidence(
        f"EKE-THR-11: {user!r} was hard-locked (EKE1 answered {_describe(locked)}), then "
        f"unlocked with the declared command while the server served ({said}), then one "
        f"failure of another name was recorded; then its EKE1 was sent from a fresh "
        f"address{waited}",
        "EKE2: the hard lock holds only until an administrator unlocks it (at the latest "
        "once one retry_after, at most the backoff cap, has passed)",
        _describe(after),
        note="the unlock never reached the store the server reads, the running server "
        "trusts the lock set it loaded, or it writes its table back over the unlock",
    )
