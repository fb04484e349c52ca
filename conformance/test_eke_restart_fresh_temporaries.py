"""A restarted sft-eke/1 server removes the temporaries an earlier run left, however young
(docs/SPEC.md §3.6 APP-STORE-3).

APP-STORE-3 gives the two sides two rules. The responder: "A responder MUST also remove,
when it starts, the `.sft-partial-*` files that an earlier run left in its inbox (it owns
its inbox)." The initiator: "An initiator removes those in its output directory that
nobody has written to for longer than the idle timeout (LIM-2): another initiator may be
writing a live one in the same directory." The age rule is the initiator's alone: no other
process writes a responder's inbox, so what is there when it starts is an earlier run's,
and nothing but this start-up sweep will ever remove it (its own sweep of a failed put
runs for the puts of its own run).

The class of bug (round 19, lens 4: trusting its own earlier state): the start-up sweep
written with an age — the initiator's rule copied (older than the idle timeout), a fixed
age (10 minutes, an hour), or `now - mtime > 0` — so that the temporary of a run killed a
moment before the restart (SIGKILL, a crash, a power cut mid-put: the cases where no
signal handler removed it) stays in the inbox for good. test_eke_restart_state.py and
test_ops_eke_restart_sweep_scope.py date their leftovers twice the idle timeout back, which
every age rule up to that removes. Here a temporary written just before the restart (its
age at the sweep: the time the restart takes, well under any idle timeout) MUST be gone
once the restarted server serves (bounded wait), whatever age rule the sweep applies; so
MUST one dated an hour ahead of the clock (a clock stepped back since the earlier run:
`now - mtime` is negative, and a sweep that compares it with any age keeps it).
Observed through the declared restart (`[eke] restart_cmd`) and inbox; without them the
case SKIPs.
"""

from __future__ import annotations

import os
import time

import pytest

from conformance._wire_fixtures import AppChannel
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.wire import ConformanceFailure

# A restart disturbs every case running against the same server at that moment: this runs
# in the group of the other restarting and throttling cases.
pytestmark = pytest.mark.xdist_group("eke-victim")

_SWEEP_WITHIN = 5.0  # the sweep may run just after the server accepts again


@pytest.mark.req("APP-STORE-3")
def test_restarted_responder_sweeps_temporaries_of_any_age(
    eke_target: Target, app_channel: AppChannel, eke_sources: SourceAddresses
) -> None:
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    fresh = inbox / f".sft-partial-{os.urandom(12).hex()}"
    ahead = inbox / f".sft-partial-{os.urandom(12).hex()}"
    leftovers = {fresh: "just now", ahead: "dated an hour ahead of the clock"}
    try:
        for path in leftovers:
            path.write_bytes(b"left by a run killed mid-put\n")
        future = time.time() + 3600
        os.utime(ahead, (future, future))
        written = time.monotonic()
        restart_until_serving(eke_target, eke_sources)
        deadline = time.monotonic() + _SWEEP_WITHIN
        while any(p.exists() for p in leftovers) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the sweep is the target's own work
        app_channel().close()  # served: whatever the start-up sweep does is done by now
        kept = [f"{p.name} ({how})" for p, how in leftovers.items() if p.exists()]
        if kept:
            raise ConformanceFailure.evidence(
                f"APP-STORE-3: temporary files written to the inbox just before the declared"
                f" restart of the responder (a run killed mid-put leaves them; "
                f"{time.monotonic() - written:.1f} s ago now): {', '.join(kept)}",
                "removed when the responder starts: it owns its inbox, so what an earlier "
                "run left is removed whatever its age (the age rule of APP-STORE-3 is the "
                "initiator's, for an output directory others may share)",
                "still in the inbox once the restarted responder served a connection",
            )
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
