"""The inbox as a directory other programs write to (docs/SPEC.md §3.4, §3.6).

An organisation's inbox is not the responder's alone: a script, an administrator or a
second responder drops files into it. APP-STORE-2: the responder commits a verified put
by an atomic rename "without replacing an existing file" (`link` + `unlink`, or
`renameat2(RENAME_NOREPLACE)`). A responder that commits with `rename(2)` (Python's
`os.rename`/`os.replace`, Go's `os.Rename`, Java's `Files.move(..., ATOMIC_MOVE)`) is
atomic too, and silently destroys a file of that name that appeared after its `PUTF`
was accepted. Checked when the target declares its `inbox` on the suite's own host.

What the responder answers then (`exists` instead of its DONE, as APP-PUT-8 says for a
concurrent put; another fatal EROR; a close) is not judged here: only that the file it
found is left as it was.
"""

from __future__ import annotations

import hashlib
import os
import secrets

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
)

__all__: list[str] = []


@pytest.mark.req("APP-STORE-2")
def test_put_never_replaces_a_file_that_appeared_in_the_inbox_meanwhile(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    size = 5000
    if target.limits.max_file_size < size:
        pytest.skip("the target's max file size is below the case's 5000 bytes")
    name = fresh_name()
    data = secrets.token_bytes(size)
    dropped = b"dropped into the inbox by another program; must stay as it is\n"
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} of {size} bytes")
    channel.send_frame("DATA", data[:1000])
    final = inbox / name
    try:
        fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ConformanceFailure.evidence(
            f"APP-STORE-2: a put of {name!r} under way (1000 of {size} bytes sent)",
            "nothing under the final name before the put is verified (DONE)",
            f"{final.name} already exists in the inbox",
        ) from None
    except OSError as exc:
        pytest.skip(f"cannot write into the declared inbox: {exc}")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(dropped)
        channel.send_frame("DATA", data[1000:])
        channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(data).hexdigest()})
        # Any ending is accepted (see the module docstring); wait for it so that the
        # responder's commit, if any, is done before the inbox is read.
        answer = channel.expect(
            [ExpectFrame("DONE"), ExpectError(), ExpectClose()],
            timeout=channel.timeout,
        )
        now = final.read_bytes() if final.is_file() else None
        if now != dropped:
            shown = "gone" if now is None else f"{len(now)} bytes, not the dropped ones"
            if now == data:
                shown = "replaced by the put's bytes"
            raise ConformanceFailure.evidence(
                f"APP-STORE-2: {final.name} was dropped into the inbox ({len(dropped)} "
                f"bytes) while a put of that name was under way; the put then ended with "
                f"{answer.describe()}",
                "the dropped file left as it was: the put is committed without replacing "
                "an existing file (link + unlink, RENAME_NOREPLACE), never by rename(2)",
                f"the file is {shown}",
            )
    finally:
        final.unlink(missing_ok=True)


@pytest.mark.req("APP-PUT-3")
def test_put_of_a_name_that_appeared_in_the_inbox_is_exists_at_putf(
    target: Target, app_channel: AppChannel
) -> None:
    """A connection stores one put (so that whatever it remembers of the inbox is
    warm), then a file appears in the inbox under another name (dropped by another
    program), then the same connection offers a put of that name: `exists` at its PUTF,
    before any data (APP-PUT-3) — not an acceptance refused only at DONE by a responder
    that listed the inbox once per connection (or at start), and never a replacement."""
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    first, later = fresh_name(), fresh_name()
    data = secrets.token_bytes(1000)
    dropped = b"dropped into the inbox by another program\n"
    channel = app_channel()
    try:
        channel.send_frame("PUTF", {"name": first, "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {first!r}")
        channel.send_frame("DATA", data)
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        channel.expect([ExpectFrame("DONE")]).check(f"DONE of the put of {first!r}")
        try:
            (inbox / later).write_bytes(dropped)
        except OSError as exc:
            pytest.skip(f"cannot write into the declared inbox: {exc}")
        channel.send_frame("PUTF", {"name": later, "size": len(data)})
        answer = channel.expect([ExpectError("exists")])
        if not answer.ok:
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: PUTF {later!r} on a connection that had stored a put, after a "
                f"file of that name ({len(dropped)} bytes) was dropped into the inbox",
                "EROR exists before any data is sent: the name exists in the inbox now",
                answer.describe(),
            )
        if (inbox / later).read_bytes() != dropped:
            raise ConformanceFailure(
                f"APP-PUT-3: the file {later!r} dropped into the inbox was changed"
            )
    finally:
        (inbox / first).unlink(missing_ok=True)
        (inbox / later).unlink(missing_ok=True)


@pytest.mark.req("APP-PUT-3")
@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_put_of_a_name_taken_by_a_non_regular_file_is_exists_at_putf(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A directory or a FIFO of that name in the inbox (made by an administrator or
    another program): the name exists, so the PUTF is answered `exists` before any data
    (APP-PUT-3) — not accepted by a responder whose check is "is there a regular file"
    (`isfile`, `exists()` on a followed path) and then refused or failed at DONE."""
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("the target declares no inbox on this host (target file `inbox`)")
    name = fresh_name()
    path = inbox / name
    try:
        if kind == "directory":
            path.mkdir()
        else:
            os.mkfifo(path, 0o600)
    except OSError as exc:
        pytest.skip(f"cannot make a {kind} in the declared inbox: {exc}")
    try:
        channel = app_channel()
        channel.send_frame("PUTF", {"name": name, "size": 100})
        answer = channel.expect([ExpectError("exists")])
        if not answer.ok:
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: PUTF {name!r} (100 bytes) while the inbox holds a {kind} of that "
                "name",
                "EROR exists before any data is sent: the name exists in the inbox",
                answer.describe(),
            )
    finally:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)
