"""A put whose name is a symbolic link in the inbox, dangling or not (docs/SPEC.md
APP-PUT-3): the name exists, so `PUTF` is answered before any data is sent.

Belongs beside conformance/test_app_put.py's `test_put_that_would_overwrite_is_exists`,
which makes the name exist with an earlier put (a regular file). A responder that tests
"does the name exist?" by following links (`stat()`, `fs.existsSync`, `os.Stat`) finds
nothing behind a dangling link, accepts the put, takes every byte, and only then fails
(its `link()` meets the name) — or, committing with `rename()`, replaces the link. The
reference tests the name itself (`lstat`). The second case plants the other kinds of
entry an existence check by file type misses (a directory, a FIFO, links to a file or a
directory, a link to itself). Needs the target's `inbox` (target-file key), where the
cases plant the entry and remove it afterwards; without it, SKIP.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame


@pytest.mark.req("APP-PUT-3")
@pytest.mark.parametrize("link", ["dangling", "to-a-missing-directory"])
def test_put_onto_a_dangling_link_in_the_inbox_is_refused_before_data(
    target: Target, app_channel: AppChannel, link: str
) -> None:
    """The inbox holds `name` as a symbolic link to nothing: a `PUTF` of `name` is
    answered `exists` (or `forbidden`) at once, never `RSFL {accept}`; the link stays."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("the target file does not declare its inbox (key `inbox`)")
    name = fresh_name()
    where = target.inbox / name
    pointee = f"{name}.nowhere" if link == "dangling" else f"{name}.nodir/file"
    os.symlink(pointee, where)
    try:
        channel = app_channel()
        channel.send_frame("PUTF", {"name": name, "size": 5})
        outcome = channel.expect([ExpectError("exists", "forbidden"), ExpectFrame("RSFL")])
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: PUTF {name!r}, a symbolic link ({link}, -> {pointee!r}) in the inbox",
                "EROR exists before any data: the name exists in the inbox, whatever the "
                "link points at",
                outcome.describe(),
            )
        outcome.check(f"APP-PUT-3: PUTF {name!r}, a {link} symbolic link in the inbox")
        if not where.is_symlink() or os.readlink(where) != pointee:
            raise ConformanceFailure(
                f"APP-PUT-3: the symbolic link {where} was replaced or changed by a refused put"
            )
    finally:
        if where.is_symlink():
            where.unlink()


@pytest.mark.req("APP-PUT-3")
@pytest.mark.parametrize(
    "entry", ["directory", "fifo", "link-to-a-file", "link-to-a-directory", "link-to-itself"]
)
def test_put_onto_any_inbox_entry_is_refused_before_data(
    target: Target, app_channel: AppChannel, entry: str
) -> None:
    """The inbox holds `name` as something other than a regular file — a directory, a
    FIFO, a symbolic link to a file or to a directory of the inbox, a link to itself: the
    name exists, so a `PUTF` of `name` is answered `exists` (a link: or `forbidden`)
    before any data, and the entry is left as it was. Catches an existence check that counts only
    regular files (`isFile()`, `S_ISREG`, `os.path.isfile`), or only what opens."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("the target file does not declare its inbox (key `inbox`)")
    name = fresh_name()
    where = target.inbox / name
    planted = [where]
    if entry == "directory":
        where.mkdir()
    elif entry == "fifo":
        os.mkfifo(where)
    elif entry == "link-to-itself":
        os.symlink(name, where)
    else:
        pointee = target.inbox / f"{name}.pointee"
        if entry == "link-to-a-file":
            pointee.write_bytes(b"the link's target\n")
        else:
            pointee.mkdir()
        planted.append(pointee)
        os.symlink(pointee.name, where)
    before = os.lstat(where)
    try:
        channel = app_channel()
        channel.send_frame("PUTF", {"name": name, "size": 5})
        # A directory or FIFO of that name is simply an existing name (APP-PUT-3: `exists`);
        # a link may also be refused as a link (`forbidden`, as APP-NAME-4 refuses links).
        codes = ("exists",) if entry in ("directory", "fifo") else ("exists", "forbidden")
        outcome = channel.expect([ExpectError(*codes), ExpectFrame("RSFL")])
        if outcome.frame is not None and outcome.frame.type == b"RSFL":
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: PUTF {name!r}, a {entry} in the inbox",
                "EROR exists before any data: the name exists in the inbox, whatever it is",
                outcome.describe(),
            )
        outcome.check(f"APP-PUT-3: PUTF {name!r}, a {entry} in the inbox")
        after = os.lstat(where)
        if (after.st_ino, after.st_mode) != (before.st_ino, before.st_mode):
            raise ConformanceFailure(
                f"APP-PUT-3: the {entry} {where} was replaced or changed by a refused put"
            )
    finally:
        for path in planted:
            if path.is_symlink() or path.is_file() or path.is_fifo():
                path.unlink()
            elif path.is_dir():
                path.rmdir()


@pytest.mark.req("APP-PUT-3", "APP-PUT-8")
@pytest.mark.parametrize("link", ["dangling", "to-an-outside-file", "to-a-missing-outside-file"])
def test_link_planted_during_a_put_is_neither_replaced_nor_written_through(
    target: Target, app_channel: AppChannel, link: str, tmp_path: Path
) -> None:
    """The name is free at `PUTF` (accepted); while the data is on its way a symbolic
    link of that name appears in the inbox. At `DONE` the name exists: the put is
    answered `exists` (it lost to the entry, APP-PUT-8), the link is still the same link,
    and nothing was written where it points. A responder that checks the name at PUTF and
    commits with a test that follows links (`stat()`, `exists()`) and a replacing rename
    replaces the dangling link; one that writes the final name through a link fills its
    target."""
    require(target, "put")
    if target.inbox is None:
        pytest.skip("the target file does not declare its inbox (key `inbox`)")
    name = fresh_name()
    where = target.inbox / name
    outside = tmp_path / "outside.txt"
    if link == "to-an-outside-file":
        outside.write_bytes(b"outside, unchanged")
    pointee = f"{name}.nowhere" if link == "dangling" else str(outside)
    before = outside.read_bytes() if outside.exists() else None
    data = b"the put under way"
    try:
        channel = app_channel()
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
        channel.send_frame("DATA", data[:5])
        os.symlink(pointee, where)
        channel.send_frame("DATA", data[5:])
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        outcome = channel.expect([ExpectError("exists"), ExpectFrame("DONE")])
        after = outside.read_bytes() if outside.exists() else None
        kept = where.is_symlink() and os.readlink(where) == pointee
        if (outcome.frame is not None and outcome.frame.type == b"DONE") or not kept:
            raise ConformanceFailure.evidence(
                f"APP-PUT-3/8: PUTF {name!r} accepted, then a symbolic link ({link}, -> "
                f"{pointee!r}) of that name appeared in the inbox before DONE",
                "EROR exists instead of DONE; the link left as it is",
                f"{outcome.describe()}; the link {'kept' if kept else 'replaced or removed'}",
            )
        outcome.check(f"APP-PUT-8: DONE of {name!r}, a {link} link of that name in the inbox")
        if after != before:
            raise ConformanceFailure.evidence(
                f"APP-PUT-3: a put of {name!r} whose name became a link ({link}) mid-put",
                f"{outside} unchanged ({before!r})",
                f"{after!r}: the put was written through the link",
            )
    finally:
        if where.is_symlink():
            where.unlink()
