"""Names from the network and the files behind them (docs/SPEC.md §3.5, §3.6).

`check_name` applies APP-NAME-1/2 to the name exactly as received (no decoding,
no normalisation [APP-NAME-3]). `ShareDirectory` resolves a name one component at
a time with `openat`-style calls (`os.open(..., dir_fd=...)` and `O_NOFOLLOW`)
from a descriptor of the share opened once, so no path string is ever re-resolved
and a symlink swapped in between check and use is never followed
[APP-NAME-4/5]. Symbolic links are refused wherever they appear (`forbidden`),
whatever they point to, so the answer says nothing about files outside the share
[APP-NAME-6].

`PartialFile` is the receiver's side of APP-STORE-1..4: an exclusive 0600
`.sft-partial-*` file in the destination directory, fsync, a rename that never
replaces (link + unlink), a directory fsync, and removal on every failure. The
responder's `Inbox` and the initiator's get both use it.
"""

from __future__ import annotations

import atexit
import errno
import io
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

from reference.errors import ErrorCode, RemoteProtocolError

__all__ = [
    "PARTIAL_PREFIX",
    "Inbox",
    "NameRefused",
    "PartialFile",
    "ShareDirectory",
    "SharedFile",
    "check_name",
]

PARTIAL_PREFIX: Final = ".sft-partial-"
MAX_NAME_BYTES: Final = 4096  # [APP-NAME-1]
MAX_COMPONENT_BYTES: Final = 255
# [APP-NAME-8]: bidirectional embeddings/overrides and isolates disguise a name on screen
# ("invoice\u202efdp.exe" shows as "invoiceexe.pdf").
_BIDI_CONTROLS: Final = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))

_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO planted in the share must not block the thread.
_FILE_FLAGS: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class NameRefused(RemoteProtocolError):
    """A name refused by APP-NAME-2/4 (`forbidden`, non-fatal)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.FORBIDDEN, message)


def _shown(name: str) -> str:
    # Never echo more than 64 attacker-chosen characters [ERR-5].
    return repr(name[:64]) + ("..." if len(name) > 64 else "")


def check_name(name: str) -> list[str]:
    """The components of a valid name [APP-NAME-1/2]; NameRefused otherwise."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise NameRefused("the name is not valid UTF-8") from None
    if not 1 <= size <= MAX_NAME_BYTES:
        raise NameRefused(f"a name must be 1..{MAX_NAME_BYTES} bytes")
    if name.startswith("/"):
        raise NameRefused(f"absolute names are not allowed: {_shown(name)}")
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        raise NameRefused(f"drive letters are not allowed: {_shown(name)}")
    if "\\" in name:
        raise NameRefused(f"backslashes are not allowed: {_shown(name)}")
    # C0, DEL [APP-NAME-2] and C1 [APP-NAME-8]: terminals act on C1 controls too.
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
        raise NameRefused("control characters are not allowed in names")
    if not _BIDI_CONTROLS.isdisjoint(name):
        raise NameRefused("bidirectional formatting characters are not allowed in names")
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise NameRefused(f"empty, '.' and '..' components are not allowed: {_shown(name)}")
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise NameRefused(f"a name component must be at most {MAX_COMPONENT_BYTES} bytes")
    return parts


def _not_found(name: str) -> RemoteProtocolError:
    return RemoteProtocolError(ErrorCode.NOT_FOUND, f"no such file in the share: {_shown(name)}")


def _symlink_refused(name: str) -> NameRefused:
    return NameRefused(f"symbolic links are not served: {_shown(name)}")


@dataclass(slots=True)
class SharedFile:
    """A regular file of the share, open for reading; `size` from fstat."""

    file: io.FileIO
    size: int

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> SharedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ShareDirectory:
    """The responder's share: files are served only from below this directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot open the share {path}: {exc.strerror}") from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def open(self, name: str) -> SharedFile:
        """Opens `name` for reading; RemoteProtocolError(forbidden|not_found) otherwise."""
        parts = check_name(name)
        if parts[-1].startswith(PARTIAL_PREFIX):
            # [APP-NAME-9]: never the content of a temporary being written — where the
            # share is also the inbox, it holds them. Refused whether it exists or not.
            raise NameRefused("names starting with .sft-partial- are reserved")
        current = self._fd
        try:
            # Hold one directory descriptor at a time: a 2048-component name must not
            # cost 2048 open descriptors.
            for part in parts[:-1]:
                child = self._open_component(current, part, _DIR_FLAGS, name)
                if current != self._fd:
                    os.close(current)
                current = child
            fd = self._open_component(current, parts[-1], _FILE_FLAGS, name)
        finally:
            if current != self._fd:
                os.close(current)
        try:
            st = os.fstat(fd)
            # [APP-GET-2]: a directory, FIFO, device or socket is `not_found`.
            if not stat.S_ISREG(st.st_mode):
                raise _not_found(name)
            return SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)
        except BaseException:
            os.close(fd)
            raise

    @staticmethod
    def _open_component(dir_fd: int, part: str, flags: int, name: str) -> int:
        try:
            return os.open(part, flags, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                # ELOOP: the component is a symlink; ENOTDIR: a symlink or a file where
                # a directory was expected. Tell them apart without following anything.
                try:
                    st = os.stat(part, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    raise _not_found(name) from None
                if stat.S_ISLNK(st.st_mode):
                    raise _symlink_refused(name) from None
                raise _not_found(name) from None
            if exc.errno == errno.EACCES:
                raise NameRefused(f"permission denied: {_shown(name)}") from None
            raise _not_found(name) from None

    def __enter__(self) -> ShareDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Temporaries created beside a path the user chose (the initiator's get), from just
# before open() until commit or abort. SIGTERM and Ctrl-C raise KeyboardInterrupt
# wherever the main thread happens to be, also between open() and the `with` that
# would remove the file; what such an interruption leaves is removed at exit.
_UNFINISHED: set[str] = set()


@atexit.register
def _remove_unfinished() -> None:
    for path in list(_UNFINISHED):
        try:
            os.unlink(path)
        except OSError:
            pass
        _UNFINISHED.discard(path)


class PartialFile:
    """A file being received: written under a `.sft-partial-*` name, committed atomically.

    Use as a context manager: leaving the block without `commit()` (an exception, a
    truncated stream, a killed thread's cleanup) removes the temporary file
    [APP-STORE-3]. `write` refuses to go beyond `limit` bytes [APP-STORE-4].
    """

    def __init__(
        self,
        dir_fd: int,
        final_name: str,
        limit: int,
        *,
        owns_dir_fd: bool = False,
        directory: Path | None = None,
    ) -> None:
        self._dir_fd = dir_fd
        self._owns_dir_fd = owns_dir_fd
        self.final_name = final_name
        self.limit = limit
        self.written = 0
        self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"
        self._tracked = None if directory is None else os.path.join(directory, self.temp_name)
        if self._tracked is not None:
            _UNFINISHED.add(self._tracked)  # before open(): no window where it is unknown
        fd = os.open(
            self.temp_name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=dir_fd,
        )
        self._file: io.FileIO | None = io.FileIO(fd, "wb", closefd=True)
        self._done = False

    @classmethod
    def create(cls, destination: Path, limit: int) -> PartialFile:
        """For the initiator's get: a partial file beside `destination`."""
        dir_fd = os.open(destination.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            return cls(
                dir_fd,
                destination.name,
                limit,
                owns_dir_fd=True,
                directory=destination.parent.absolute(),
            )
        except BaseException:
            os.close(dir_fd)
            raise

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._file is None:
            raise ValueError("the partial file is closed")
        view = memoryview(data).cast("B")
        if self.written + len(view) > self.limit:
            raise RemoteProtocolError(ErrorCode.INTEGRITY_FAILED, "more data than announced")
        while view:
            n = self._file.write(view)
            if n is None or n <= 0:
                raise OSError(errno.EIO, "short write")
            view = view[n:]
            self.written += n

    def commit(self, *, overwrite: bool = False) -> None:
        """fsync, rename to the final name without replacing, fsync the directory."""
        if self._file is None:
            raise ValueError("the partial file is closed")
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        try:
            if overwrite:
                os.replace(
                    self.temp_name,
                    self.final_name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                )
            else:
                # link() fails if the final name exists: no check-then-rename race.
                os.link(
                    self.temp_name,
                    self.final_name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                    follow_symlinks=False,
                )
                os.unlink(self.temp_name, dir_fd=self._dir_fd)
        except FileExistsError:
            self.abort()
            raise RemoteProtocolError(
                ErrorCode.EXISTS, f"{_shown(self.final_name)} already exists"
            ) from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._untrack()
        os.fsync(self._dir_fd)
        self._release_dir()

    def abort(self) -> None:
        """Removes the temporary file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self._done:
            self._done = True
            try:
                os.unlink(self.temp_name, dir_fd=self._dir_fd)
            except FileNotFoundError:
                pass
            self._untrack()
        self._release_dir()

    def _untrack(self) -> None:
        if self._tracked is not None:
            _UNFINISHED.discard(self._tracked)
            self._tracked = None

    def _release_dir(self) -> None:
        if self._owns_dir_fd and self._dir_fd >= 0:
            os.close(self._dir_fd)
            self._dir_fd = -1

    def __enter__(self) -> PartialFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self.abort()


class Inbox:
    """The responder's inbox: puts are stored here under their basename only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot open the inbox {path}: {exc.strerror}") from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def target_name(self, name: str) -> str:
        """The stored name for a put of `name` [APP-PUT-2/3]: checked, then its basename."""
        base = check_name(name)[-1]
        if base.startswith(PARTIAL_PREFIX):
            raise NameRefused("names starting with .sft-partial- are reserved")
        try:
            os.stat(base, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            return base
        raise RemoteProtocolError(ErrorCode.EXISTS, f"{_shown(base)} already exists in the inbox")

    def begin(self, final_name: str, size: int) -> PartialFile:
        return PartialFile(self._fd, final_name, size)

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
