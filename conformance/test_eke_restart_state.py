"""What a restart of the sft-eke/1 server leaves in its inbox (docs/SPEC.md APP-STORE-3).

Observed across the declared restart (`[eke] restart_cmd`) with a declared inbox; without
them the case SKIPs. APP-STORE-3: "A responder MUST also remove, when it starts, the
`.sft-partial-*` files that an earlier run left in its inbox (it owns its inbox)."
test_eke_restart.py plants a temporary dated a day back, which even a sweep by
age removes. Here the temporary is dated back twice the idle timeout and 10 s more, which
a server copying the initiator's rule ("only those nobody has written to for longer than
the idle timeout") removes too; that rule is still wrong at a responder (it owns its
inbox: every leftover goes, whatever its age), and test_eke_restart_fresh_temporaries.py
catches it with a temporary written just before the restart.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_and_wait, restart_until_serving
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

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


# A start-up sweep that takes more than `.sft-partial-*` (every `.sft-*` file, every dot
# file, every file it did not write in this run) deletes puts it confirmed with DONE.
# APP-PUT-5: DONE only once the file is durably stored under its final name; APP-STORE-3
# names what the sweep removes: the `.sft-partial-*` files, nothing else (APP-NAME-9
# reserves that prefix alone, so `.sft-notes` is an ordinary name).
@pytest.mark.req("APP-PUT-5", "APP-STORE-3")
def test_restart_keeps_the_puts_it_stored(
    eke_target: Target, app_channel: AppChannel, eke_sources: SourceAddresses
) -> None:
    require(eke_target, "put")
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    tag = secrets.token_hex(6)
    names = [f".sft-notes-{tag}.txt", f".hidden-{tag}", f"sft-conformance-{tag}.txt"]
    contents = {name: secrets.token_bytes(500) for name in names}
    stored: list[str] = []
    try:
        channel = app_channel()
        for name, data in contents.items():
            channel.send_frame("PUTF", {"name": name, "size": len(data)})
            answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
            if answer.frame is None or answer.frame.type != b"RSFL":
                continue  # refused (not judged here: test_app_put*.py judges names)
            channel.send_frame("DATA", data)
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
            channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
            stored.append(name)
        channel.close()
        if not stored:
            pytest.skip("the responder refused every put of the case")
        assert eke_target.restart_cmd is not None
        # Until it serves (a kept listener accepts while the new image still starts); a
        # start-up sweep runs before the restarted server serves its first session.
        restart_until_serving(eke_target, eke_sources)
        app_channel().close()
        lost = [n for n in stored if not (inbox / n).is_file()]
        changed = [n for n in stored if n not in lost and (inbox / n).read_bytes() != contents[n]]
        if lost or changed:
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: puts stored and confirmed with DONE ({', '.join(map(repr, stored))}), "
                "then a restart of the responder",
                "every stored file still in the inbox, unchanged: the start-up sweep removes "
                "only `.sft-partial-*` files (APP-STORE-3)",
                f"gone: {lost or 'none'}; changed: {changed or 'none'}",
            )
    finally:
        for name in names:
            (inbox / name).unlink(missing_ok=True)
