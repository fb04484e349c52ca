"""Names, the share and the inbox (reference.share): escapes, symlinks, atomic storage."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from reference.errors import ErrorCode, RemoteProtocolError
from reference.share import (
    PARTIAL_PREFIX,
    Inbox,
    NameRefused,
    PartialFile,
    ShareDirectory,
    check_name,
)


@pytest.mark.req("APP-NAME-1", "APP-NAME-2")
@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a//b",
        "./a",
        "a/.",
        "a\\b",
        "C:x",
        "c:/x",
        "a\x00b",
        "a\nb",
        "a\x7fb",
        "x" * 256,
        "a/" * 2049,
        "a/",
    ],
)
def test_refused_names(name: str) -> None:
    with pytest.raises(NameRefused) as info:
        check_name(name)
    assert info.value.code is ErrorCode.FORBIDDEN


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("name", ["a", "dir/a.txt", "%2e%2e/x", "..a", "a..", "é" * 127, ".hidden"])
def test_accepted_names_are_used_literally(name: str) -> None:
    assert "/".join(check_name(name)) == name


@pytest.fixture
def share(tmp_path: Path) -> ShareDirectory:
    root = tmp_path / "share"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello")
    (root / "sub" / "b.txt").write_bytes(b"world")
    (root / "%2e%2e").mkdir()
    (root / "%2e%2e" / "x").write_bytes(b"literal")
    (tmp_path / "secret").write_bytes(b"outside")
    os.symlink(tmp_path / "secret", root / "link-out")
    os.symlink(tmp_path, root / "dirlink-out")
    os.symlink(root / "a.txt", root / "link-in")
    os.mkfifo(root / "fifo")
    with ShareDirectory(root) as directory:
        yield directory


def _read(directory: ShareDirectory, name: str) -> bytes:
    with directory.open(name) as f:
        data = f.file.read()
        assert len(data) == f.size
        return data


@pytest.mark.req("APP-NAME-3")
def test_serves_files_below_the_share(share: ShareDirectory) -> None:
    assert _read(share, "a.txt") == b"hello"
    assert _read(share, "sub/b.txt") == b"world"
    assert _read(share, "%2e%2e/x") == b"literal"


@pytest.mark.req("APP-NAME-4", "APP-NAME-5", "APP-NAME-6")
@pytest.mark.parametrize("name", ["link-out", "dirlink-out/secret", "link-in"])
def test_symlinks_are_refused_wherever_they_point(share: ShareDirectory, name: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        share.open(name)
    assert info.value.code is ErrorCode.FORBIDDEN


@pytest.mark.req("APP-GET-2", "APP-NAME-6")
@pytest.mark.parametrize("name", ["sub", "fifo", "missing", "a.txt/x", "missing/x", "secret"])
def test_non_regular_or_missing_is_not_found(share: ShareDirectory, name: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        share.open(name)
    assert info.value.code is ErrorCode.NOT_FOUND


@pytest.mark.req("APP-NAME-9")
def test_a_get_never_serves_a_temporary(tmp_path: Path) -> None:
    """Share and inbox one directory: a put's temporary in flight is not served."""
    with Inbox(tmp_path) as inbox, ShareDirectory(tmp_path) as share:
        with inbox.begin("final.bin", 6) as partial:
            partial.write(b"abc")
            for name in (partial.temp_name, ".sft-partial-missing", f"sub/{partial.temp_name}"):
                with pytest.raises(RemoteProtocolError) as info:
                    share.open(name)
                assert info.value.code is ErrorCode.FORBIDDEN, name
            partial.write(b"def")
            partial.commit()
        with share.open("final.bin") as f:
            assert f.file.read() == b"abcdef"


def _entries(path: Path) -> set[str]:
    return set(os.listdir(path))


@pytest.mark.req("APP-STORE-1", "APP-STORE-2", "APP-PUT-2")
def test_inbox_stores_under_the_basename_atomically(tmp_path: Path) -> None:
    with Inbox(tmp_path) as inbox:
        final = inbox.target_name("some/dir/report.pdf")
        assert final == "report.pdf"
        with inbox.begin(final, 6) as partial:
            partial.write(b"abc")
            temp = partial.temp_name
            assert temp.startswith(PARTIAL_PREFIX)
            assert stat.S_IMODE(os.stat(tmp_path / temp).st_mode) == 0o600
            assert _entries(tmp_path) == {temp}  # nothing under the final name yet
            partial.write(memoryview(b"def"))
            partial.commit()
    assert _entries(tmp_path) == {"report.pdf"}
    assert (tmp_path / "report.pdf").read_bytes() == b"abcdef"


@pytest.mark.req("APP-PUT-3")
def test_inbox_never_replaces(tmp_path: Path) -> None:
    (tmp_path / "x").write_bytes(b"old")
    os.symlink("/nonexistent", tmp_path / "dangling")
    with Inbox(tmp_path) as inbox:
        for name in ("x", "dangling", "a/x"):
            with pytest.raises(RemoteProtocolError) as info:
                inbox.target_name(name)
            assert info.value.code is ErrorCode.EXISTS
        with pytest.raises(NameRefused):
            inbox.target_name(PARTIAL_PREFIX + "abc")
        # A race: the name appears between the check and the commit.
        with inbox.begin(inbox.target_name("y"), 3) as partial:
            partial.write(b"new")
            (tmp_path / "y").write_bytes(b"winner")
            with pytest.raises(RemoteProtocolError) as info:
                partial.commit()
            assert info.value.code is ErrorCode.EXISTS
    assert (tmp_path / "y").read_bytes() == b"winner"
    assert not [n for n in _entries(tmp_path) if n.startswith(PARTIAL_PREFIX)]


@pytest.mark.req("APP-STORE-3", "APP-STORE-4")
def test_partial_removed_on_failure_and_limit_enforced(tmp_path: Path) -> None:
    with Inbox(tmp_path) as inbox:
        with pytest.raises(RuntimeError), inbox.begin("f", 4) as partial:
            partial.write(b"ab")
            raise RuntimeError("the peer vanished")
        with inbox.begin("g", 4) as partial:
            partial.write(b"abc")
            with pytest.raises(RemoteProtocolError) as info:
                partial.write(b"de")
            assert info.value.code is ErrorCode.INTEGRITY_FAILED
    assert _entries(tmp_path) == set()


def test_get_side_partial_file_overwrite_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with PartialFile.create(target, 3) as partial:
        partial.write(b"new")
        with pytest.raises(RemoteProtocolError):
            partial.commit()
    assert target.read_bytes() == b"old"
    with PartialFile.create(target, 3) as partial:
        partial.write(b"new")
        partial.commit(overwrite=True)
    assert target.read_bytes() == b"new"
    assert _entries(tmp_path) == {"out.bin"}


@pytest.mark.req("LIM-6")
def test_deep_names_hold_one_descriptor_at_a_time(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * 200)
    deep.mkdir(parents=True)
    (deep / "f").write_bytes(b"deep")
    before = len(os.listdir("/proc/self/fd"))
    with ShareDirectory(tmp_path) as directory:
        assert _read(directory, "d/" * 200 + "f") == b"deep"
        with pytest.raises(RemoteProtocolError):
            directory.open("d/" * 200 + "missing")
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("kind", ["share", "inbox"])
def test_a_closed_directory_keeps_no_descriptor_number(tmp_path: Path, kind: str) -> None:
    """After close the descriptor is a closed marker (< 0), so a second close is a no-op:
    a `_fd` left at 0 would make it close descriptor 0, whoever holds it (a mechanical
    mutant that survived the conformance suite: not visible on the wire)."""
    from reference.share import Inbox, ShareDirectory

    opened = ShareDirectory(tmp_path) if kind == "share" else Inbox(tmp_path)
    opened.close()
    assert opened._fd < 0, opened._fd
    opened.close()


@pytest.mark.req("APP-STORE-3")
def test_an_interruption_before_the_with_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM/Ctrl-C raise wherever the main thread is: between open() and the `with`
    that would remove the file, the temporary is still removed when the process exits."""
    import reference.share as share_module

    target = tmp_path / "out.bin"
    never_entered = PartialFile.create(target, 3)  # the interruption lands here
    assert [p.name for p in tmp_path.iterdir()] == [never_entered.temp_name]

    class Interrupted(BaseException):
        """What the SIGTERM handler raises (KeyboardInterrupt would stop pytest)."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise Interrupted

    # The interruption lands after open(), before the descriptor is wrapped.
    monkeypatch.setattr(share_module, "io", SimpleNamespace(FileIO=interrupted))
    with pytest.raises(Interrupted):
        PartialFile.create(target, 3)
    monkeypatch.undo()
    assert len(list(tmp_path.iterdir())) == 2
    share_module._remove_unfinished()  # what atexit runs
    assert list(tmp_path.iterdir()) == []
    with PartialFile.create(target, 3) as partial:  # committed files are not tracked
        partial.write(b"abc")
        partial.commit()
    share_module._remove_unfinished()
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
