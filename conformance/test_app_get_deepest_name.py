"""A file at the deepest path a name can spell is served (docs/SPEC.md §3.3 APP-GET-2, §3.5
APP-NAME-1, APP-NAME-7).

APP-NAME-1 allows a name of 4096 UTF-8 bytes whose components are 1 to 255 bytes: about
2000 one-character components. APP-NAME-7: such a name "MUST NOT be refused for its
length", and a file it names is served (APP-GET-2). The work a responder does to resolve
a name grows with its depth, and what it holds per component is where the bugs are: every
directory descriptor of an `openat` walk kept open until the end (over 1024, the common
descriptor limit: EMFILE, answered `not_found` or `internal`), a recursive resolver
(Python's default recursion limit is 1000: RecursionError, a dead connection), a
resolution per prefix. test_app_name_shapes.py asks for names of the full length that name
nothing (`not_found` is right there); here the share holds a file at the bottom of a chain
of one-character directories, about 2000 deep, and it must be served, byte for byte. The
name is as long as keeps the share's real path plus the name within PATH_MAX (4095 bytes):
this case judges depth, not a path buffer (a responder that opens share + name as one path
cannot reach a longer one; whether it must is not this case's question). Both profiles;
the share must be on this host (target file `share`). The tree is built and removed
through directory descriptors (two open at a time).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, get_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure

_PATH_MAX = 4095  # bytes of a path, without its NUL
_MARGIN = 16
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    return share


def _remove_chain(share: Path, top: str, depth: int, leaf: str) -> None:
    """Removes top/d/d/.../leaf bottom-up, holding two descriptors at a time."""
    share_fd = os.open(share, _DIR_FLAGS)
    try:
        current = os.open(top, _DIR_FLAGS, dir_fd=share_fd)
    except OSError:
        return
    finally:
        os.close(share_fd)
    reached = 0
    try:
        for _ in range(depth):
            try:
                child = os.open("d", _DIR_FLAGS, dir_fd=current)
            except OSError:
                break
            os.close(current)
            current = child
            reached += 1
        with contextlib.suppress(OSError):
            os.unlink(leaf, dir_fd=current)
        for _ in range(reached):
            parent = os.open("..", _DIR_FLAGS, dir_fd=current)
            os.close(current)
            current = parent
            with contextlib.suppress(OSError):
                os.rmdir("d", dir_fd=current)
    finally:
        os.close(current)
    with contextlib.suppress(OSError):
        os.rmdir(share / top)


@contextlib.contextmanager
def _deep_file(share: Path, content: bytes) -> Iterator[str]:
    """A file at top/d/d/.../f whose name keeps the share's real path plus the name within
    PATH_MAX (and the name within APP-NAME-1's 4096 bytes); yields its name."""
    top = f"sft-deep-{uuid.uuid4().hex[:8]}"
    leaf = "f"
    room = min(4096, _PATH_MAX - len(os.fsencode(os.path.realpath(share))) - 1 - _MARGIN)
    depth = (room - len(top) - 1 - len(leaf)) // 2
    share_fd = os.open(share, _DIR_FLAGS)
    try:
        os.mkdir(top, dir_fd=share_fd)
        current = os.open(top, _DIR_FLAGS, dir_fd=share_fd)
    finally:
        os.close(share_fd)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=current)
            child = os.open("d", _DIR_FLAGS, dir_fd=current)
            os.close(current)
            current = child
        fd = os.open(
            leaf, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=current
        )
        with os.fdopen(fd, "wb") as out:
            out.write(content)
    finally:
        os.close(current)
    name = "/".join([top, *["d"] * depth, leaf])
    try:
        yield name
    finally:
        _remove_chain(share, top, depth, leaf)


@pytest.mark.req("APP-GET-2", "APP-NAME-7", "APP-NAME-1")
def test_file_at_the_deepest_name_is_served(target: Target, app_channel: AppChannel) -> None:
    share = _share(target)
    content = os.urandom(4096)
    with _deep_file(share, content) as name:
        depth = name.count("/")
        channel = app_channel()
        try:
            result = get_file(channel, name)
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"APP-GET-2/APP-NAME-7: a file of the share {depth} directories deep, asked "
                f"for by its name of {len(name.encode())} bytes (within APP-NAME-1), was not "
                f"served:\n{exc}"
            ) from None
        finally:
            channel.close()
    if result.data != content:
        raise ConformanceFailure(
            f"APP-GET-2: the file {depth} directories deep came back as {len(result.data)} "
            f"bytes that are not its {len(content)}"
        )
