"""What a restart of the sft-eke/1 server does to a put in progress and to its limits.

Observed across the declared restart (`[eke] restart_cmd`); without it the cases SKIP.

* APP-STORE-3: a put still receiving when the server restarts fails, and "the receiver
  MUST remove the temporary file; nothing may remain under the final name". The start-up
  sweep (test_eke_restart_state.py) removes `.sft-partial-*` files only: a server that
  keeps the data of a put cut by its restart under another name for a resume ("NAME.part",
  "NAME.partial") leaves it in the inbox for good. The case checks, after the restart,
  that the inbox holds no entry named after the put (the put's name is unique).
* LIM-7 / APP-PUT-7 / LIM-2: the limits the server is configured with hold after the
  restart too. A restart that rebuilds its command line from the options that carry state
  (store, share, inbox, throttle database) and drops the limits, or that reloads a
  configuration file the command line overrode, comes back with default limits: 4 GiB
  files, a 60 s idle timeout. After the restart a put one byte above the declared
  max_file_size must be `too_large`, and a session silent after its login must be ended
  within 1.5 x the declared idle timeout.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.channel import Channel
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_lockout import _honest_channel
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment: these
# run in the group of the other restarting and throttling cases.
pytestmark = pytest.mark.xdist_group("eke-victim")

_CLEANUP_SLACK = 3.0  # seconds after the idle timeout's bound for a failed put's cleanup


def _session(target: Target, sources: SourceAddresses, workdir: Path) -> Channel:
    """An honest sft-eke/1 session from a fresh loopback address (or the default one)."""
    source = sources.fresh()
    return _honest_channel(target, source or "", workdir)


@pytest.mark.req("APP-STORE-3")
def test_a_put_cut_by_a_restart_leaves_nothing_in_the_inbox(
    eke_target: Target, eke_sources: SourceAddresses, tmp_path: Path
) -> None:
    require(eke_target, "put")
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    name = fresh_name("ops-restart-midway")
    size = 64 * 1024
    if size > eke_target.limits.max_file_size:
        pytest.skip(f"the max file size ({eke_target.limits.max_file_size} B) is below {size}")
    stem = name.removesuffix(".bin")
    channel = _session(eke_target, eke_sources, tmp_path)
    try:
        channel.send_frame("PUTF", {"name": name, "size": size})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
        channel.send_frame("DATA", b"\x5a" * (size // 2))  # half of it, then the restart
        restart_until_serving(eke_target, eke_sources)
        _session(eke_target, eke_sources, tmp_path).close()  # the restarted server serves
    finally:
        channel.close()
    bound = eke_target.limits.idle_timeout * 1.5 + _CLEANUP_SLACK
    deadline = time.monotonic() + bound
    left = [entry.name for entry in inbox.iterdir() if stem in entry.name]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the inbox: the cleanup is the target's own work
        left = [entry.name for entry in inbox.iterdir() if stem in entry.name]
    try:
        if left:
            raise ConformanceFailure.evidence(
                f"APP-STORE-3: PUTF {name!r} size {size} accepted, {size // 2} bytes sent, "
                "then a restart of the server (the put never completed)",
                "nothing of the failed put in the inbox: its temporary removed, nothing "
                "under its final name or another name made from it",
                f"{bound:g} s after the restarted server served a session, the inbox holds "
                f"{', '.join(map(repr, left))}",
            )
    finally:
        for entry in left:
            (inbox / entry).unlink(missing_ok=True)


@pytest.mark.req("APP-PUT-7", "LIM-2", "LIM-7")
def test_the_limits_hold_after_a_restart(
    eke_target: Target, eke_sources: SourceAddresses, tmp_path: Path
) -> None:
    needs_restart(eke_target)
    idle = eke_target.limits.idle_timeout
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    restart_until_serving(eke_target, eke_sources)
    if eke_target.has("put"):
        over = eke_target.limits.max_file_size + 1
        channel = _session(eke_target, eke_sources, tmp_path)
        try:
            name = fresh_name("ops-restart-limits")
            channel.send_frame("PUTF", {"name": name, "size": over})
            outcome = channel.expect([ExpectError("too_large")])
            if not outcome.ok:
                refused = ConformanceFailure.evidence(
                    f"APP-PUT-7: after a restart of the server, PUTF {name!r} of {over} bytes "
                    f"(declared max_file_size {over - 1})",
                    "EROR too_large: the size limit the server is configured with holds "
                    "after its restart (LIM-7)",
                    outcome.describe(),
                    note="a restart that comes back with default limits",
                )
                refused.violates = ("APP-PUT-7", "LIM-7")
                raise refused
        finally:
            channel.close()
    channel = _session(eke_target, eke_sources, tmp_path)
    try:
        started = time.monotonic()
        outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=idle * 1.5 + 1.0)
        if not outcome.ok:
            failure = ConformanceFailure.evidence(
                "LIM-2: after a restart of the server, a session silent once its handshake "
                f"completed (declared idle timeout {idle:g} s)",
                f"EROR timeout (or the close) within {idle * 1.5:g} s: the idle timeout the "
                "server is configured with holds after its restart (LIM-7)",
                f"after {time.monotonic() - started:.2f} s: {outcome.describe()}",
                note="a restart that comes back with default limits",
            )
            failure.violates = ("LIM-2", "LIM-7")
            raise failure
    finally:
        channel.close()
