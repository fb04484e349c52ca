"""The inbox as it is now: what the responder remembers of it must not outlive it
(docs/SPEC.md §3.4 APP-PUT-1/3, §3.6 APP-STORE-3).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Every case needs the target's
inbox on this host (target file `inbox`) and SKIPs without it.

The class of bug: state about the inbox kept past the moment it described.
- A put refused `exists` at its DONE (the name appeared after the PUTF was accepted:
  APP-PUT-3) goes down a path of its own — the final link fails — where a commit that
  marked itself done before linking, or an error handler that skips the cleanup meant
  for integrity failures, leaves the `.sft-partial-` temporary behind (APP-STORE-3: on
  any failure the receiver MUST remove it). The name appears in three ways: another put
  stored first, a file, a directory.
- A name the responder saw existing (it stored it, or refused a put of it) is remembered
  as taken: once the entry is gone from the inbox, a new put of the name is still
  refused `exists` — a code that means "a put would overwrite an existing file" (ERR-2),
  for a name nothing holds. APP-PUT-1: the answer is RSFL {accept}, or a refusal whose
  reason is true.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

_PREFIX = ".sft-partial-"
_CLEANUP_BOUND = 2.0  # seconds: the temporary goes with the refusal, not at a later sweep


def _inbox(target: Target) -> Path:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    return inbox


def _temporaries(inbox: Path) -> set[str]:
    return {entry for entry in os.listdir(inbox) if entry.startswith(_PREFIX)}


def _left_after(inbox: Path, before: set[str]) -> list[str]:
    """The temporaries made since `before` still there after the bound (polled)."""
    deadline = time.monotonic() + _CLEANUP_BOUND
    while True:
        left = sorted(_temporaries(inbox) - before)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def _appear_by_put(target: Target, app_channel: AppChannel, final: Path) -> None:
    data = b"stored first by another connection\n"
    other = app_channel()
    answer, done = put_file(other, final.name, data)
    answer.check(f"APP-PUT-1: the competing put of {final.name!r}")
    if answer.frame is not None and answer.frame.error_name == "exists":
        # APP-PUT-8: "a second PUTF of that name MAY be accepted or answered exists" while
        # ours is in progress: the name cannot come to exist this way on this target.
        pytest.skip(f"the competing PUTF of {final.name!r} was answered exists (APP-PUT-8)")
    if done is None or done.frame is None or done.frame.type != b"DONE":
        raise ConformanceFailure(
            f"APP-PUT-5: the competing put of {final.name!r} was not stored: "
            f"{done.describe() if done is not None else 'no answer'}"
        )
    other.close()


def _appear_as_file(target: Target, app_channel: AppChannel, final: Path) -> None:
    final.write_bytes(b"dropped into the inbox by another program\n")


def _appear_as_directory(target: Target, app_channel: AppChannel, final: Path) -> None:
    final.mkdir()


_APPEARANCES = {
    "another-put": _appear_by_put,
    "file": _appear_as_file,
    "directory": _appear_as_directory,
}


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


@pytest.mark.req("APP-STORE-3", "APP-PUT-3")
@pytest.mark.parametrize("how", list(_APPEARANCES))
def test_a_put_refused_exists_at_done_leaves_no_temporary(
    target: Target, app_channel: AppChannel, how: str
) -> None:
    inbox = _inbox(target)
    size = 3000
    if target.limits.max_file_size < size:
        pytest.skip(f"the target's max file size is below the case's {size} bytes")
    name = fresh_name("sft-b16-late")
    final = inbox / name
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    before = _temporaries(inbox)
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    channel.send_frame("DATA", data[:1000])
    try:
        _APPEARANCES[how](target, app_channel, final)
        channel.send_frame("DATA", data[1000:])
        channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(data).hexdigest()})
        answer = channel.expect([ExpectError("exists")])
        answer.check(
            f"APP-PUT-3: the put of {name!r}, accepted, then the name appeared in the inbox "
            f"({how}) before its DONE"
        )
        # APP-STORE-3 sets no moment for the removal: by the end of the put's connection
        # at the latest (`exists` is not fatal: the connection would stay open).
        channel.close()
        left = _left_after(inbox, before)
        if left:
            raise ConformanceFailure.evidence(
                f"APP-STORE-3: the put of {name!r} was answered `exists` at its DONE (the "
                f"name appeared in the inbox meanwhile: {how})",
                f"its temporary removed with the refusal (within {_CLEANUP_BOUND:g} s)",
                f"still in the inbox: {', '.join(left)}",
            )
    finally:
        _remove(final)


def _stored_by_put(channel: Channel, final: Path) -> None:
    answer, done = put_file(channel, final.name, b"first put\n")
    answer.check(f"APP-PUT-1: the first put of {final.name!r}")
    if done is None or done.frame is None or done.frame.type != b"DONE":
        raise ConformanceFailure(
            f"APP-PUT-5: the first put of {final.name!r} was not stored: "
            f"{done.describe() if done is not None else 'no answer'}"
        )


def _refused_for_a_file(channel: Channel, final: Path) -> None:
    final.write_bytes(b"dropped into the inbox by another program\n")
    channel.send_frame("PUTF", {"name": final.name, "size": 1})
    channel.expect([ExpectError("exists")]).check(
        f"APP-PUT-3: PUTF {final.name!r}, a file of that name in the inbox"
    )


_SEEN = {"stored-by-a-put": _stored_by_put, "refused-for-a-file": _refused_for_a_file}


@pytest.mark.req("APP-PUT-1", "APP-PUT-3")
@pytest.mark.parametrize("how", list(_SEEN))
@pytest.mark.parametrize("where", ["same-connection", "new-connection"])
def test_a_name_gone_from_the_inbox_can_be_put_again(
    target: Target, app_channel: AppChannel, how: str, where: str
) -> None:
    inbox = _inbox(target)
    name = fresh_name("sft-b16-gone")
    final = inbox / name
    data = b"second put, after the first entry was removed\n"
    channel = app_channel()
    try:
        _SEEN[how](channel, final)
        _remove(final)
        if where == "new-connection":
            channel = app_channel()
        answer, done = put_file(channel, name, data)
        if answer.frame is None or answer.frame.type != b"RSFL":
            failure = ConformanceFailure.evidence(
                f"APP-PUT-1: PUTF {name!r} ({where}) after the inbox entry of that name "
                f"({how}) was removed: nothing of that name is in the inbox",
                "RSFL {accept: true} (`exists` means a put would overwrite an existing "
                "file, ERR-2)",
                answer.describe(),
            )
            failure.violates = ("APP-PUT-1",)
            raise failure
        if done is None or done.frame is None or done.frame.type != b"DONE":
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: the put of {name!r} after its inbox entry was removed",
                "DONE",
                done.describe() if done is not None else "no answer",
            )
        if not final.is_file() or final.read_bytes() != data:
            raise ConformanceFailure.evidence(
                f"APP-PUT-2: the put of {name!r}, acknowledged with DONE",
                f"{name} in the declared inbox holding the {len(data)} bytes sent",
                "missing" if not final.is_file() else "other bytes",
            )
    finally:
        _remove(final)
