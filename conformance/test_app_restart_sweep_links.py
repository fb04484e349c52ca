"""A responder's start-up sweep never takes what a `.sft-partial-*` link points to
(docs/SPEC.md §3.6 APP-STORE-3's last clause, APP-PUT-5; both profiles, across the
declared restart).

APP-STORE-3: "A responder MUST also remove, when it starts, the `.sft-partial-*` files
that an earlier run left in its inbox ... Neither sweep follows a symbolic link: a
`.sft-partial-*` entry that is a link is removed itself or left alone, never the file it
points to." The sweeps that break the last clause, each a line of a port:

- the entry resolved first "to be safe" (`Path.resolve`, `realpath`) and the resolved
  path removed when it stays in the inbox: a link to a stored put deletes the put;
- the same without the containment check: a link to a file outside the inbox deletes it;
- the entry's type judged with `stat` (which follows) and the entry "shredded" (opened,
  truncated) before its unlink: the file a link points to is emptied;
- an entry that `is_dir()` (which follows) emptied before its removal: a link to a
  directory outside the inbox loses that directory's files.

So: two stored puts, and four links named like temporaries — one to a stored put (a
relative link, inside the inbox), one to a file outside the inbox (absolute), one to a
directory outside the inbox holding a file, one dangling — dated back beyond any idle
timeout (their own times, not their targets'), plus one stale regular temporary that the
sweep must take (its removal tells the sweep has run). After the declared restart, every
stored put and the outside files (the directory's too) MUST still be there, unchanged;
each link may be gone or left. One restart per profile. Without a
restart command or a declared inbox the case SKIPs.

Fixtures (conformance/plugin.py): `target`, `app_channel`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import Target
from conformance.test_eke_restart import _ACCEPT_WITHIN, restart_and_wait
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_SWEEP_WITHIN = 5.0  # the sweep may run just after the responder accepts again


def _link(path: Path, to: str, then: float) -> None:
    path.symlink_to(to)
    os.utime(path, (then, then), follow_symlinks=False)


# A restart ends every connection of the responder: each profile's restarting cases run on
# one worker (the groups of test_eke_restart.py's and test_pki_restart_sweep.py's cases).
@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-victim")
@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_eke_restart_sweep_takes_no_file_a_temporary_link_points_to(
    target: Target, app_channel: AppChannel, tmp_path: Path
) -> None:
    _sweep_leaves_link_targets(target, app_channel, tmp_path)


@pytest.mark.profile("pki")
@pytest.mark.xdist_group("pki-restart")
@pytest.mark.req("APP-STORE-3", "APP-PUT-5")
def test_pki_restart_sweep_takes_no_file_a_temporary_link_points_to(
    target: Target, app_channel: AppChannel, tmp_path: Path
) -> None:
    _sweep_leaves_link_targets(target, app_channel, tmp_path)


def _sweep_leaves_link_targets(target: Target, app_channel: AppChannel, tmp_path: Path) -> None:
    require(target, "put")
    if not target.restart_cmd:
        pytest.skip("the target declares no restart command: its start-up sweep is not seen")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    tag = secrets.token_hex(5)
    contents = {f"kept-{tag}.txt": secrets.token_bytes(200), f"linked-{tag}.txt": b"stored\n"}
    outside = tmp_path / f"outside-{tag}.txt"
    outside_bytes = b"a file outside the inbox\n"
    outside_dir = tmp_path / f"outside-dir-{tag}"
    inner = outside_dir / "inner.txt"
    then = time.time() - (2 * target.limits.idle_timeout + 10.0)
    links = {
        inbox / f".sft-partial-{os.urandom(12).hex()}": f"linked-{tag}.txt",  # inside
        inbox / f".sft-partial-{os.urandom(12).hex()}": str(outside.resolve()),  # outside
        inbox / f".sft-partial-{os.urandom(12).hex()}": str(outside_dir.resolve()),  # a dir
        inbox / f".sft-partial-{os.urandom(12).hex()}": f"nothing-{tag}.txt",  # dangling
    }
    stale = inbox / f".sft-partial-{os.urandom(12).hex()}"
    stored: list[str] = []
    try:
        channel = app_channel()
        for name, data in contents.items():
            channel.send_frame("PUTF", {"name": name, "size": len(data)})
            answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
            if answer.frame is None or answer.frame.type != b"RSFL":
                continue  # refused: names are judged elsewhere
            channel.send_frame("DATA", data)
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
            channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {name!r}")
            stored.append(name)
        channel.close()
        if f"linked-{tag}.txt" not in stored:
            pytest.skip("the responder refused the put the inside link points to")
        outside.write_bytes(outside_bytes)
        outside_dir.mkdir()
        inner.write_bytes(outside_bytes)
        for path, to in links.items():
            _link(path, to, then)
        stale.write_bytes(b"left by a run killed mid-put\n")
        os.utime(stale, (then, then))
        restart_and_wait(str(target.restart_cmd), target.host, target.port)
        app_channel(timeout=_ACCEPT_WITHIN).close()  # served: its start-up sweep has run
        deadline = time.monotonic() + _SWEEP_WITHIN
        while stale.exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the inbox: the sweep is the target's own work
        lost = [n for n in stored if not (inbox / n).is_file()]
        changed = [n for n in stored if n not in lost and (inbox / n).read_bytes() != contents[n]]
        outside_gone = any(
            not path.is_file() or path.read_bytes() != outside_bytes for path in (outside, inner)
        )
        if lost or changed or outside_gone:
            raise ConformanceFailure(
                f"Context:  puts stored and confirmed with DONE ({', '.join(map(repr, stored))}); "
                "four symbolic links in the inbox named like temporaries, dated back — "
                f"to {'linked-' + tag + '.txt'!r} (relative), to {str(outside)!r} and to the "
                f"directory {str(outside_dir)!r} (holding {inner.name!r}) outside the inbox, and "
                "dangling — and one stale regular temporary; then the declared "
                "restart of the responder\n"
                "Expected: every stored file and the outside files still there, unchanged "
                "(APP-STORE-3: the sweep never follows a link, each link is removed itself or "
                "left alone; APP-PUT-5: a confirmed put stays stored)\n"
                f"Actual:   stored puts gone: {lost or 'none'}; changed: {changed or 'none'}; "
                f"the outside files {'gone or changed' if outside_gone else 'kept'}; the stale "
                f"temporary {'still there' if stale.exists() else 'removed'}; links left: "
                f"{[p.name for p in links if p.is_symlink()] or 'none'}",
                violates=("APP-STORE-3", "APP-PUT-5") if lost or changed else ("APP-STORE-3",),
            )
    finally:
        for name in contents:
            (inbox / name).unlink(missing_ok=True)
        for path in (*links, stale):
            path.unlink(missing_ok=True)
        outside.unlink(missing_ok=True)
        inner.unlink(missing_ok=True)
        if outside_dir.is_dir():
            outside_dir.rmdir()
