"""A restarted sft-pki/1 responder removes every temporary an earlier run left in its inbox
and nothing else (docs/SPEC.md §3.6 APP-STORE-3, APP-PUT-5).

APP-STORE-3 binds both profiles' responders: "A responder MUST also remove, when it starts,
the `.sft-partial-*` files that an earlier run left in its inbox (it owns its inbox)." The
eke server's sweep is judged across its declared restart (test_eke_restart_state.py,
test_ops_eke_restart_sweep_scope.py, test_eke_restart_fresh_temporaries.py); this is the
pki responder's, across `[pki] restart_cmd`. The class, all in one restart:
- leftovers of a killed run in three random-part shapes, dated back twice the idle timeout
  (a sweep that never runs, or only for the reference's own shape);
- one written just before the restart and one dated an hour ahead of the clock (a sweep
  with an age rule — the initiator's, copied — or comparing `now - mtime` with any age);
  the one written just before is empty (a put killed before its first DATA: a sweep that
  keeps empty temporaries as "just created, maybe live" keeps it for ever);
- stored puts whose names only look like the reserved prefix (another byte at position 13,
  no dash, upper case) and an empty one: APP-PUT-5, the sweep takes `.sft-partial-`
  exactly and nothing else.
A second case restarts the responder at the two ends of a put (the twin of
test_ops_eke_restart_put_ends.py): one put accepted with NO byte sent, one with EVERY
announced byte sent and no DONE. A responder that, stopping, commits a put whose bytes are
all in (or closes its temporary under the final name) stores a file no DONE verified:
afterwards nothing named after either put may be in the inbox (APP-PUT-5, APP-STORE-3).
Without a restart command or a declared inbox the cases SKIP.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.test_eke_restart import _ACCEPT_WITHIN, restart_and_wait
from conformance.test_ops_eke_restart_put_ends import _SIZE as _PUT_SIZE
from conformance.test_ops_eke_restart_put_ends import _begin
from conformance.test_ops_eke_restart_sweep_scope import _stale_temporaries
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

# A restart ends every connection of the responder: one worker runs the restarting cases.
pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("pki-restart")]

_SWEEP_WITHIN = 5.0  # the sweep may run just after the responder accepts again


def _put(channel: Channel, name: str, data: bytes) -> bool:
    """One put on `channel`; False when the responder refused the name."""
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        return False  # refused: names are judged elsewhere
    if data:
        channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
    return True


def _needs_restart_and_inbox(target: Target) -> Path:
    require(target, "put")
    if not target.restart_cmd:
        pytest.skip(
            "the target declares no restart command ([pki] restart_cmd): the responder's "
            "start-up sweep cannot be observed"
        )
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    return inbox


@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_restarted_responder_sweeps_every_temporary_and_keeps_stored_files(
    target: Target, app_channel: AppChannel
) -> None:
    inbox = _needs_restart_and_inbox(target)
    tag = secrets.token_hex(5)
    contents = {
        f".sft-partial_{tag}": secrets.token_bytes(300),  # byte 13 is not `-`
        f".sft-partial{tag}": secrets.token_bytes(300),  # the prefix without its dash
        f".SFT-PARTIAL-{tag}": secrets.token_bytes(300),  # the prefix in upper case
        f"empty-{tag}.txt": b"",
    }
    leftovers: dict[Path, str] = {}
    stored: list[str] = []
    try:
        channel = app_channel()
        stored = [name for name, data in contents.items() if _put(channel, name, data)]
        channel.close()
        age = 2 * target.limits.idle_timeout + 10.0
        for path in _stale_temporaries(inbox, age):
            leftovers[path] = f"dated {age:g} s back"
        fresh = inbox / f".sft-partial-{os.urandom(12).hex()}"
        ahead = inbox / f".sft-partial-{os.urandom(12).hex()}"
        fresh.write_bytes(b"")  # a put killed before its first DATA: empty, not live
        ahead.write_bytes(b"left by a run killed mid-put\n")
        future = time.time() + 3600
        os.utime(ahead, (future, future))
        leftovers[fresh] = "written just before the restart"
        leftovers[ahead] = "dated an hour ahead of the clock"
        restart_and_wait(str(target.restart_cmd), target.host, target.port)
        app_channel(timeout=_ACCEPT_WITHIN).close()  # served: its start-up sweep has run
        deadline = time.monotonic() + _SWEEP_WITHIN
        while any(p.exists() for p in leftovers) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the sweep is the target's own work
        left = [f"{p.name} ({how})" for p, how in leftovers.items() if p.exists()]
        lost = [n for n in stored if not (inbox / n).is_file()]
        changed = [n for n in stored if n not in lost and (inbox / n).read_bytes() != contents[n]]
        broken, problems = [], []
        if left:
            broken.append("APP-STORE-3")
            problems.append(f"temporaries still in the inbox: {', '.join(left)}")
        if lost or changed:
            broken.append("APP-PUT-5")
            problems.append(f"stored puts gone: {lost or 'none'}; changed: {changed or 'none'}")
        if broken:
            raise ConformanceFailure(
                "Context:  puts stored and confirmed with DONE "
                f"({', '.join(map(repr, stored)) or 'none'}), {len(leftovers)} "
                "`.sft-partial-*` files left in the inbox, then the declared restart of the "
                "responder\n"
                "Expected: every `.sft-partial-*` file removed whatever its age (APP-STORE-3: "
                "the responder owns its inbox) and every stored file still there, unchanged "
                "(APP-PUT-5: the sweep takes the reserved prefix exactly, nothing else)\n"
                f"Actual:   {'; '.join(problems)}",
                violates=tuple(broken),
            )
    finally:
        for name in contents:
            (inbox / name).unlink(missing_ok=True)
        for path in leftovers:
            path.unlink(missing_ok=True)


@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_a_restart_at_either_end_of_a_put_stores_neither(
    target: Target, app_channel: AppChannel
) -> None:
    inbox = _needs_restart_and_inbox(target)
    if _PUT_SIZE > target.limits.max_file_size:
        pytest.skip(f"the max file size ({target.limits.max_file_size} B) is below {_PUT_SIZE}")
    none_sent, all_sent = fresh_name("pki-restart-none"), fresh_name("pki-restart-all")
    stems = [none_sent.removesuffix(".bin"), all_sent.removesuffix(".bin")]

    def leftovers() -> list[str]:
        return [e.name for e in inbox.iterdir() if any(stem in e.name for stem in stems)]

    try:
        empty, full = app_channel(), app_channel()
        _begin(empty, none_sent)  # accepted, and not one byte follows
        _begin(full, all_sent)
        full.send_frame("DATA", b"\xa5" * _PUT_SIZE)  # every announced byte; no DONE
        restart_and_wait(str(target.restart_cmd), target.host, target.port)
        app_channel(timeout=_ACCEPT_WITHIN).close()  # the restarted responder serves
        empty.close()
        full.close()
        bound = target.limits.idle_timeout * 1.5 + 3.0
        deadline = time.monotonic() + bound
        left = leftovers()
        while left and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the cleanup is the target's own work
            left = leftovers()
        if left:
            raise ConformanceFailure(
                f"Context:  two puts accepted and unfinished when the responder restarted: "
                f"{none_sent!r} with none of its {_PUT_SIZE} bytes sent, {all_sent!r} with "
                f"all {_PUT_SIZE} bytes sent and no DONE\n"
                "Expected: nothing named after either put in the inbox: a put is stored only "
                "once its DONE was verified (APP-PUT-5); a failed one leaves nothing "
                "(APP-STORE-3)\n"
                f"Actual:   {bound:g} s after the restarted responder served a session, the "
                f"inbox holds {', '.join(map(repr, left))}",
                violates=("APP-STORE-3", "APP-PUT-5"),
            )
    finally:
        for name in leftovers():
            (inbox / name).unlink(missing_ok=True)
