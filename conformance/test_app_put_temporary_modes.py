"""A put's temporary file is private from the moment it exists (SPEC §3.6 APP-STORE-1).

APP-STORE-1: incoming data goes to a `.sft-partial-*` file in the destination directory,
"created exclusively (`O_EXCL`) with mode 0600". test_app_put.py looks at the temporary
once it holds the data; a responder that creates it with the process's default mode
(0666 less the umask: 0644 under the usual 022) and makes it private only at its first
write, or only once the data is complete, passes that look while the file stood readable
by every local user — and a put of zero bytes, which has no first write, stays so until
it is renamed. The inbox (target-file key `inbox`) is watched at three moments: once the
PUTF is accepted, before any DATA (a responder that creates the file only at the first
DATA shows none: nothing to judge then); after the first DATA; with every byte but the
last sent. Every `.sft-partial-*` file new in the inbox must be 0600 (no group or other
bits) each time; and a put of zero bytes is looked at between its acceptance and DONE.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame

_PREFIX = ".sft-partial-"
_CHUNK = 4096


def _temporaries(inbox: Path, before: set[str]) -> dict[str, tuple[int, int]]:
    """New `.sft-partial-*` regular files: name -> (mode bits, size)."""
    found = {}
    for entry in set(os.listdir(inbox)) - before:
        if not entry.startswith(_PREFIX):
            continue
        try:
            info = os.stat(inbox / entry, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode):
            found[entry] = (stat.S_IMODE(info.st_mode), info.st_size)
    return found


def _watch(
    inbox: Path, before: set[str], *, until_size: int | None, within: float
) -> dict[str, tuple[int, int]]:
    """Polls the inbox (bounded, not a sleep to synchronise): until a temporary holding
    `until_size` bytes shows, or for `within` seconds when no size is awaited."""
    deadline = time.monotonic() + within
    seen: dict[str, tuple[int, int]] = {}
    while True:
        seen.update(_temporaries(inbox, before))
        if until_size is not None and any(size >= until_size for _, size in seen.values()):
            return seen
        if time.monotonic() >= deadline:
            return seen
        time.sleep(0.01)


def _open_to_others(seen: dict[str, tuple[int, int]]) -> list[str]:
    return [f"{name} mode {mode:o}" for name, (mode, _) in seen.items() if mode & 0o077]


@pytest.mark.req("APP-STORE-1")
@pytest.mark.parametrize("size", [3 * _CHUNK, 0])
def test_put_temporary_is_0600_from_its_creation(
    target: Target, app_channel: AppChannel, size: int
) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None:
        pytest.skip("needs the responder's inbox directory (target-file key `inbox`)")
    before = set(os.listdir(inbox))
    name, data = fresh_name("sft-temp-mode"), secrets.token_bytes(size)
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect(ExpectFrame("RSFL", {"accept": True})).check(f"PUTF {name!r}")
    moments = {"accepted, before any DATA": _watch(inbox, before, until_size=None, within=0.3)}
    if size:
        channel.send_frame("DATA", data[:_CHUNK])
        moments["after the first DATA"] = _watch(inbox, before, until_size=_CHUNK, within=3.0)
        channel.send_frame("DATA", data[_CHUNK:-1])
        moments["all but the last byte sent"] = _watch(
            inbox, before, until_size=size - 1, within=3.0
        )
        channel.send_frame("DATA", data[-1:])
    channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(data).hexdigest()})
    channel.expect(ExpectFrame("DONE")).check(f"DONE of {name!r}")
    problems = [
        f"{moment}: {', '.join(bad)}"
        for moment, seen in moments.items()
        if (bad := _open_to_others(seen))
    ]
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-STORE-1: a put of {name!r} ({size} bytes), the inbox watched while it ran",
            "every .sft-partial-* file 0600 from its creation (no bits for group or others)",
            "\n".join(problems),
        )
