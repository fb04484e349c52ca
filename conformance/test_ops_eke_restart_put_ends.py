"""A restart of the sft-eke/1 server at the two ends of a put, and the names it must keep.

Observed across the declared restart (`[eke] restart_cmd`) with a declared inbox; without
them the case SKIPs. One restart judges three things:

* APP-STORE-3 / APP-PUT-5 at the ends of a put: test_ops_eke_restart_midway.py cuts a put
  half-way. Here one put is accepted and has sent NO byte, another has sent EVERY
  announced byte but not its DONE when the restart comes. "A restart must not lose a
  finished upload": a server that commits a put whose bytes are all in when it stops
  stores a file no DONE verified (APP-PUT-5: DONE only once size and SHA-256 were
  verified; APP-STORE-3: on any failure nothing may remain under the final name). After
  the restart the inbox must hold nothing named after either put.
* APP-PUT-5 / APP-STORE-3 for names that CONTAIN the reserved prefix: APP-NAME-9 reserves
  a last component that STARTS with `.sft-partial-`; `notes.sft-partial-x.txt`,
  `..sft-partial-x`, `sft-partial-x` and `.sft-partialx` are ordinary names. A start-up
  sweep that matches `*.sft-partial-*` (a substring, a glob without anchor, a prefix
  without its dash) deletes puts it confirmed with DONE. They must all be in the inbox,
  unchanged, after the restart.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.channel import Channel
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import needs_restart, restart_until_serving
from conformance.test_ops_eke_restart_midway import _session
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

# A restart disturbs every case running against the same server at that moment.
pytestmark = pytest.mark.xdist_group("eke-victim")

_CLEANUP_SLACK = 3.0  # seconds after the idle timeout's bound for a failed put's cleanup
_SIZE = 64 * 1024


def _look_alikes() -> list[str]:
    tag = secrets.token_hex(5)
    return [
        f"notes.sft-partial-{tag}.txt",
        f"..sft-partial-{tag}",
        f"sft-partial-{tag}",
        f".sft-partial{tag}",
    ]


def _store(channel: Channel, name: str, data: bytes) -> bool:
    """A complete put; False when the responder refused the name (judged elsewhere)."""
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        return False
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
    return True


def _begin(channel: Channel, name: str) -> None:
    channel.send_frame("PUTF", {"name": name, "size": _SIZE})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")


@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_a_restart_at_either_end_of_a_put_and_look_alike_names(
    eke_target: Target, eke_sources: SourceAddresses, tmp_path: Path
) -> None:
    require(eke_target, "put")
    needs_restart(eke_target)
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    if _SIZE > eke_target.limits.max_file_size:
        pytest.skip(f"the max file size ({eke_target.limits.max_file_size} B) is below {_SIZE}")
    contents = {name: secrets.token_bytes(300) for name in _look_alikes()}
    none_sent, all_sent = fresh_name("ops-restart-none"), fresh_name("ops-restart-all")
    stems = [none_sent.removesuffix(".bin"), all_sent.removesuffix(".bin")]
    stored: list[str] = []
    sessions: list[Channel] = []
    try:
        channel = _session(eke_target, eke_sources, tmp_path)
        sessions.append(channel)
        stored = [name for name, data in contents.items() if _store(channel, name, data)]
        channel.close()
        empty = _session(eke_target, eke_sources, tmp_path)
        sessions.append(empty)
        full = _session(eke_target, eke_sources, tmp_path)
        sessions.append(full)
        _begin(empty, none_sent)  # accepted, and not one byte follows
        _begin(full, all_sent)
        full.send_frame("DATA", b"\xa5" * _SIZE)  # every announced byte; no DONE
        restart_until_serving(eke_target, eke_sources)
        _session(eke_target, eke_sources, tmp_path).close()  # the restarted server serves
        for session in sessions:
            session.close()
        bound = eke_target.limits.idle_timeout * 1.5 + _CLEANUP_SLACK
        deadline = time.monotonic() + bound

        def leftovers() -> list[str]:
            return [e.name for e in inbox.iterdir() if any(stem in e.name for stem in stems)]

        left = leftovers()
        while left and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the cleanup is the target's own work
            left = leftovers()
        if left:
            failure = ConformanceFailure.evidence(
                f"APP-STORE-3: two puts accepted and unfinished when the server restarted: "
                f"{none_sent!r} with none of its {_SIZE} bytes sent, {all_sent!r} with all "
                f"{_SIZE} bytes sent and no DONE",
                "nothing named after either put in the inbox: a put is stored only once its "
                "DONE was verified (APP-PUT-5); a failed one leaves nothing (APP-STORE-3)",
                f"{bound:g} s after the restarted server served a session, the inbox holds "
                f"{', '.join(map(repr, left))}",
            )
            failure.violates = ("APP-STORE-3", "APP-PUT-5")
            raise failure
        lost = [n for n in stored if not (inbox / n).is_file()]
        changed = [n for n in stored if n not in lost and (inbox / n).read_bytes() != contents[n]]
        if lost or changed:
            failure = ConformanceFailure.evidence(
                "APP-PUT-5: puts whose names CONTAIN the reserved prefix but do not start with "
                f"`.sft-partial-` ({', '.join(map(repr, stored))}), stored and confirmed with "
                "DONE, then a restart of the server",
                "every one still in the inbox, unchanged: the start-up sweep removes only "
                "`.sft-partial-*` files (APP-STORE-3, APP-NAME-9)",
                f"gone: {lost or 'none'}; changed: {changed or 'none'}",
            )
            failure.violates = ("APP-PUT-5",)
            raise failure
    finally:
        for session in sessions:
            session.close()
        for name in contents:
            (inbox / name).unlink(missing_ok=True)
        for entry in inbox.iterdir():
            if any(stem in entry.name for stem in stems):
                entry.unlink(missing_ok=True)
