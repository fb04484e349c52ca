"""The responder's sweep of its inbox at start (docs/SPEC.md §3.6 APP-STORE-3), observed
across a declared restart (`[eke] restart_cmd`) with a declared inbox (`inbox`).

APP-STORE-3: "A responder MUST also remove, when it starts, the `.sft-partial-*` files
that an earlier run left in its inbox (it owns its inbox)." A responder killed mid-put
(SIGKILL, a crash, a power cut: APP-STORE-5) cannot remove its temporary file; only this
sweep does, else each such put leaves up to the maximum file size behind for good. The
other cases see the inbox only while the responder runs (no temporary file after a failed
put, APP-STORE-1's mode); a responder that never sweeps passes them all. This case leaves
a stale temporary file in the inbox, dated a day back (so that even a sweep by age takes
it), restarts the responder and checks the file is gone.
"""

from __future__ import annotations

import os
import time

import pytest

from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_and_wait
from conformance.wire import ConformanceFailure

# A restart disturbs every case running against the same server at that moment: these
# run in the group of the other restarting and throttling cases.
pytestmark = pytest.mark.xdist_group("eke-victim")

_DAY = 24 * 3600
# The sweep may run just after the server accepts again; this long at most.
_SWEEP_WITHIN = 5.0


@pytest.mark.req("APP-STORE-3")
def test_responder_sweeps_stale_partials_of_its_inbox_when_it_starts(eke_target: Target) -> None:
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    stale = inbox / f".sft-partial-{os.urandom(8).hex()}"
    stale.write_bytes(b"left by a run killed mid-put\n")
    then = time.time() - _DAY
    os.utime(stale, (then, then))
    try:
        assert eke_target.restart_cmd is not None
        restart_and_wait(eke_target.restart_cmd, eke_target.host, eke_target.port)
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
