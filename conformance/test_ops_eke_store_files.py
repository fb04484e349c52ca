"""sft-eke/1: the password store on the server's own disk (EKE-PW-2), and its log (EKE-THR-3),
as /proc shows them for a server on the suite's machine.

EKE-PW-2: "The server MUST store `pw`, never the password. `pw` is a password equivalent
... The store MUST be readable only by the server (mode 0600)." EKE-THR-3: the server "MUST
NOT log passwords, `pw`, keys or handshake secrets". The wire shows neither; the kernel does,
for a server on this machine that the suite's user may inspect (as test_app_memory_bound.py
reads its memory): the process holding the other end of a connection, the files it holds
open, and the files beside them. Every copy of a `pw` is the store, whatever made it: a
backup taken "before a migration", a snapshot for reading, a WAL or journal, an export —
`shutil.copyfile`, `cp` and `open(..., "w")` give it the umask's mode (0644), readable by
every local user. The class, for every account the target declares (its `pw` computed as
EKE-PW-1 says):
- each regular file the server process holds open or its command line names (a store read
  once at start), each regular file in the directory of one of them, in a directory its
  command line names or in its working directory, that holds an account's `pw` (raw, or in
  hex or base64) MUST allow no access to group or others (EKE-PW-2);
- no file the server holds open holds an account's password (EKE-PW-2: `pw`, never the
  password);
- when the server's standard output or error is a regular file (its log), it holds no
  account's password, no `pw` and no 8-digit hex prefix of one (a "key id" or fingerprint
  is 32 bits against which an offline scrypt search tests guesses): EKE-THR-3. The case
  then first makes one failed and one successful login of the account, so that a server
  that logs such a value on either path has written it.
SKIP where the server's process is not visible (another machine or user, no /proc); the log
part only where its output is a regular file (the embedded reference's is a pipe).
"""

from __future__ import annotations

import base64
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance._proc import peer_processes
from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_eke_throttling import _fail_once, _needs_throttling
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("eke")]

_MAX_FILES = 512  # files read at most (open ones and their neighbours)
_MAX_SIZE = 64 * 1024 * 1024  # a file larger than this is not read
_CHUNK = 1024 * 1024
_MIN_PASSWORD = 8  # shorter passwords could appear in a file by chance: not searched


def _socket_of(channel: EkeChannel) -> socket.socket:
    sock = getattr(channel.raw, "sock", None)
    if not isinstance(sock, socket.socket):
        pytest.skip("the channel exposes no socket to follow to the target's process")
    return sock


def _open_files(pid: int) -> dict[int, Path]:
    """fd -> path of each regular file the process holds open (deleted ones left out)."""
    found: dict[int, Path] = {}
    fd_dir = Path("/proc") / str(pid) / "fd"
    try:
        entries = list(os.scandir(fd_dir))
    except OSError:
        return found
    for entry in entries[:4096]:  # bounded: a server's descriptors
        try:
            target = os.readlink(entry.path)
            info = os.stat(entry.path)  # follows the descriptor to its file
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and target.startswith("/") and "(deleted)" not in target:
            found[int(entry.name)] = Path(target)
    return found


def _named_paths(pid: int) -> list[Path]:
    """The existing files and directories the process's command line names (a store read
    once at start and closed is named there: `--store F`, `--users=F`), and its working
    directory."""
    proc = Path("/proc") / str(pid)
    try:
        args = (proc / "cmdline").read_bytes().split(b"\0")[:256]
        cwd = Path(os.readlink(proc / "cwd"))
    except OSError:
        return []
    named: list[Path] = [cwd]
    for raw in args:
        text = os.fsdecode(raw)
        for part in (text, text.partition("=")[2]):
            if not part or "\n" in part:
                continue
            path = cwd / part  # an absolute part stays itself
            try:
                if path.exists():
                    named.append(path)
            except OSError:
                continue
    return named


def _candidates(opened: list[Path], named: list[Path]) -> list[Path]:
    """The open files and the named ones, then the regular files beside them and in the
    named directories; bounded."""
    seen: dict[Path, None] = dict.fromkeys(opened)
    seen.update(dict.fromkeys(p for p in named if p.is_file()))
    directories = [p.parent for p in seen] + [p for p in named if p.is_dir()]
    for directory in dict.fromkeys(directories):
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)[:_MAX_FILES]
        except OSError:
            continue
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                seen.setdefault(Path(entry.path))
    return list(seen)[:_MAX_FILES]


def _chunks(path: Path, overlap: int) -> Iterator[bytes]:
    """The file's bytes in overlapping chunks (a needle across a boundary is seen)."""
    try:
        if path.stat().st_size > _MAX_SIZE:
            return
        with path.open("rb") as f:
            tail = b""
            while chunk := f.read(_CHUNK):  # bounded by _MAX_SIZE
                yield tail + chunk
                tail = chunk[-overlap:]
    except OSError:
        return


def _holds(path: Path, needles: dict[str, bytes]) -> list[str]:
    """The labels of the needles found in `path`."""
    overlap = max(len(n) for n in needles.values())
    found: set[str] = set()
    for chunk in _chunks(path, overlap):
        found.update(label for label, needle in needles.items() if needle in chunk)
    return sorted(found)


def _pw_forms(pw: bytes) -> dict[str, bytes]:
    return {
        "pw (raw)": pw,
        "pw (hex)": pw.hex().encode(),
        "pw (HEX)": pw.hex().upper().encode(),
        "pw (base64)": base64.b64encode(pw).rstrip(b"="),
    }


def _mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0


@pytest.mark.req("EKE-PW-2", "EKE-THR-3")
def test_every_copy_of_a_password_key_is_the_servers_alone(
    eke_target: Target,
    eke_sources: SourceAddresses,
    eke_channel_factory: Callable[..., EkeChannel],
) -> None:
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    account = eke_target.accounts[-1]
    channel = eke_channel_factory(account)
    pids = peer_processes(_socket_of(channel))
    channel.close()
    if not pids:
        pytest.skip(
            "the server's process is not visible on this machine (another host or user, or "
            "no /proc): its files cannot be inspected"
        )
    opened: dict[Path, set[int]] = {}
    named: list[Path] = []
    for pid in pids:
        for fd, path in _open_files(pid).items():
            opened.setdefault(path, set()).add(fd)
        named += _named_paths(pid)
    logs = {path for path, fds in opened.items() if fds & {1, 2}}
    if logs and eke_target.has("throttling") and eke_sources.loopback:
        # The server logs to a file: one failed and one successful login of the account
        # (the success resets its count, EKE-THR-4), so that a server that logs a
        # key-derived value on either path has written it before the log is read.
        _needs_throttling(eke_target, eke_sources)
        _fail_once(eke_target, account.user, eke_sources.fresh())
        eke_channel_factory(account).close()
    keys = {a.user: password_key_cached(a.password, a.user) for a in eke_target.accounts}
    pw_needles = {
        f"{label} of {user!r}": form
        for user, pw in keys.items()
        for label, form in _pw_forms(pw).items()
    }
    problems: dict[str, list[str]] = {}
    holders: list[str] = []
    for path in _candidates(list(opened), named):
        found = _holds(path, pw_needles)
        if not found:
            continue
        mode = _mode(path)
        holders.append(f"{path} (mode {mode:04o})")
        if mode & 0o077:
            where = "held open by the server" if path in opened else "beside it or named by it"
            problems.setdefault("EKE-PW-2", []).append(
                f"{path}, mode {mode:04o} ({where}), holds {', '.join(found)}"
            )
    passwords = {
        f"the password of {a.user!r}": a.password.encode("utf-8")
        for a in eke_target.accounts
        if len(a.password.encode("utf-8")) >= _MIN_PASSWORD
    }
    for path in opened:
        if passwords and (found := _holds(path, passwords)):
            rid = "EKE-THR-3" if path in logs else "EKE-PW-2"
            problems.setdefault(rid, []).append(f"{path} (held open) holds {', '.join(found)}")
    log_needles = dict(pw_needles)
    for u, pw in keys.items():
        log_needles[f"the hex prefix of the pw of {u!r}"] = pw.hex()[:8].encode()
        log_needles[f"the HEX prefix of the pw of {u!r}"] = pw.hex()[:8].upper().encode()
    for path in logs:
        if found := _holds(path, log_needles):
            problems.setdefault("EKE-THR-3", []).append(
                f"{path} (the server's standard output or error) holds {', '.join(found)}"
            )
    if problems:
        raise ConformanceFailure(
            f"Context:  the server's process ({', '.join(map(str, pids))}, found from a "
            f"connection of {account.user!r}; when it logs to a file, after one failed and one "
            "successful login of it); "
            f"the files it holds open ({len(opened)}) and those beside them; each account's pw "
            "computed as EKE-PW-1 says\n"
            "Expected: every file holding a pw readable only by the server (mode 0600, "
            "EKE-PW-2); no password in any file the server holds (EKE-PW-2); no password, pw "
            "or prefix of one in its log (EKE-THR-3)\n"
            "Actual:   "
            + "\n          ".join(f"{rid}: {p}" for rid, ps in problems.items() for p in ps),
            violates=tuple(problems),
        )
    if not holders:
        inconclusive(
            "no file the server holds open or its command line names, nor any beside one, "
            "holds an account's pw (raw, hex or base64): the store's format is not one this "
            "case reads"
        )
