"""What a restart of the sft-eke/1 server leaves in its inbox (docs/SPEC.md APP-STORE-3).

Observed across the declared restart (`[eke] restart_cmd`) with a declared inbox; without
them the case SKIPs. APP-STORE-3: "A responder MUST also remove, when it starts, the
`.sft-partial-*` files that an earlier run left in its inbox (it owns its inbox)."
test_eke_restart.py plants a temporary dated a day back, which even a sweep by
age removes. A server that applies the initiator's rule ("only those nobody has written
to for longer than the idle timeout") to its own inbox is lenient but not wrong for a
live directory; one that copies a fixed age (10 minutes, an hour) from a client keeps
what a run killed a few minutes before the restart left behind. Here the temporary is
dated back twice the idle timeout and 10 s more: no live transfer can be writing it,
whatever the rule.
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

_SWEEP_WITHIN = 5.0  # the sweep may run just after the server accepts again


@pytest.mark.req("APP-STORE-3")
def test_restarted_responder_sweeps_temporaries_older_than_any_live_transfer(
    eke_target: Target,
) -> None:
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    age = 2 * eke_target.limits.idle_timeout + 10.0
    stale = inbox / f".sft-partial-{os.urandom(8).hex()}"
    stale.write_bytes(b"left by a run killed mid-put\n")
    then = time.time() - age
    os.utime(stale, (then, then))
    try:
        assert eke_target.restart_cmd is not None
        restart_and_wait(eke_target.restart_cmd, eke_target.host, eke_target.port)
        deadline = time.monotonic() + _SWEEP_WITHIN
        while stale.exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the sweep is the target's own work
        if stale.exists():
            raise ConformanceFailure.evidence(
                "APP-STORE-3: a temporary file in the inbox, last written "
                f"{age:g} s before a restart of the responder (twice its idle timeout "
                f"of {eke_target.limits.idle_timeout:g} s and 10 s more): {stale.name}",
                "the responder removes it when it starts (it owns its inbox; no live "
                "transfer can be writing it)",
                f"still there {_SWEEP_WITHIN:g} s after the restarted responder accepted "
                "a connection",
            )
    finally:
        stale.unlink(missing_ok=True)
