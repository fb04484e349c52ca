"""An inbox entry made after a put's LAST byte and before its DONE is answered `exists`
(docs/SPEC.md §3.4 APP-PUT-3, APP-PUT-8; §3.6 APP-STORE-2); both profiles.

APP-PUT-3: "A name that comes to exist after the PUTF was accepted — by another put, or by
any entry made in the inbox meanwhile (a file, a directory, a link) — MUST be answered
`exists` instead of `DONE`, and that entry left as it is." APP-STORE-2 gives the means: the
final rename never replaces (`link`+`unlink`, `renameat2(RENAME_NOREPLACE)`).

The class of bug: the name's freedom is checked at one moment and the commit acts on that
answer later — "is it still free?" asked when the last DATA frame arrives (so that the loser
of a race learns it early), when the temporary is flushed, or at the PUTF only, and the
commit then renames over whatever is there. Cases that make the entry appear half-way
through the data (test_app_inbox_now.py) pass such a responder whenever its check comes
after that moment; here the entry appears at the last moment the SPEC leaves: every
announced byte sent and written (the temporary in the declared inbox has its full size —
observed, bounded, not slept for), the DONE not yet sent. Then DONE: `exists`, and the
entry unchanged — a file with its own bytes, a directory, a dangling symbolic link.

Needs the target's inbox on this host (target file `inbox`); SKIPs without it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

_PREFIX = ".sft-partial-"
_SIZE = 3000
_WRITTEN_WITHIN = 3.0  # seconds for the responder to write the bytes it was sent
_OTHER_BYTES = b"made by another program after the put's last byte\n"


def _inbox(target: Target) -> Path:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    if target.limits.max_file_size < _SIZE:
        pytest.skip(f"the target's max file size is below the case's {_SIZE} bytes")
    return inbox


def _temporaries(inbox: Path) -> set[str]:
    return {entry for entry in os.listdir(inbox) if entry.startswith(_PREFIX)}


def _wait_written(inbox: Path, before: set[str]) -> bool:
    """True once a temporary made since `before` holds every announced byte (polled,
    bounded); False when none is seen so (a responder writing elsewhere or later: the case
    still judges the MUST, only the moment is less exact)."""
    deadline = time.monotonic() + _WRITTEN_WITHIN
    while True:
        for entry in _temporaries(inbox) - before:
            try:
                if os.lstat(inbox / entry).st_size >= _SIZE:
                    return True
            except FileNotFoundError:
                continue
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)  # polling the inbox: the write is the target's own work


def _make_file(path: Path) -> Callable[[], str | None]:
    path.write_bytes(_OTHER_BYTES)

    def changed() -> str | None:
        if path.is_symlink() or not path.is_file():
            return "no longer a regular file"
        if path.read_bytes() != _OTHER_BYTES:
            return f"its bytes replaced ({path.stat().st_size} bytes now)"
        return None

    return changed


def _make_directory(path: Path) -> Callable[[], str | None]:
    path.mkdir()

    def changed() -> str | None:
        if path.is_symlink() or not path.is_dir():
            return "no longer a directory"
        return None

    return changed


def _make_dangling_link(path: Path) -> Callable[[], str | None]:
    target = f"{path.name}.nowhere"
    os.symlink(target, path)

    def changed() -> str | None:
        if not path.is_symlink():
            return "no longer a symbolic link"
        if os.readlink(path) != target:
            return f"the link now leads to {os.readlink(path)!r}"
        if (path.parent / target).exists():
            return f"a file was written through it ({target!r} exists)"
        return None

    return changed


_ENTRIES: dict[str, Callable[[Path], Callable[[], str | None]]] = {
    "file": _make_file,
    "directory": _make_directory,
    "dangling-link": _make_dangling_link,
}


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


@pytest.mark.req("APP-PUT-3")
@pytest.mark.parametrize("entry", list(_ENTRIES))
def test_entry_made_after_the_last_byte_is_answered_exists(
    target: Target, app_channel: AppChannel, entry: str
) -> None:
    inbox = _inbox(target)
    name = fresh_name("sft-late-entry")
    final = inbox / name
    data = bytes(range(256)) * (_SIZE // 256) + b"z" * (_SIZE % 256)
    before = _temporaries(inbox)
    channel = app_channel()
    try:
        channel.send_frame("PUTF", {"name": name, "size": _SIZE})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
        channel.send_frame("DATA", data[:1000])
        channel.send_frame("DATA", data[1000:])
        written = _wait_written(inbox, before)
        changed = _ENTRIES[entry](final)
        channel.send_frame("DONE", {"size": _SIZE, "sha256": hashlib.sha256(data).hexdigest()})
        moment = (
            "after its temporary held all of them"
            if written
            else f"{_WRITTEN_WITHIN:g} s after they were sent (no full temporary seen)"
        )
        answer = channel.expect([ExpectError("exists")])
        answer.check(
            f"APP-PUT-3: the put of {name!r} was accepted and sent all its {_SIZE} bytes; "
            f"then, {moment} and before its DONE, a {entry} of that name was made in the "
            "inbox: `exists` instead of DONE"
        )
        damage = changed()
        if damage is not None:
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: a {entry} of the name {name!r} made in the inbox after the put's "
                f"last byte ({moment}), before its DONE; the put answered `exists`",
                "the entry left as it is",
                damage,
            )
    finally:
        channel.close()
        _remove(final)
        (inbox / f"{name}.nowhere").unlink(missing_ok=True)
