"""Blind red-team round 9 (ops2): the servers as people run them.

Second, independent operational team (B31): `sft eke serve` and the pki responder
`sft serve` seen as programs on a file system and a machine — the share and the inbox
(special files, symbolic links, temporaries, long names), restarts and state files,
options parsed but not applied, slots on rare paths. Each mutant breaks one MUST a
black-box tester observes over sockets and on the share/inbox directories.

Dropped while listing (not observable black-box, or not a MUST): missing fsync of the
file or the directory (APP-STORE-2: invisible without a crash of the machine), a disk
full answered by a bare close (needs a full file system), EROR messages echoing more
than 64 characters (ERR-5 is a SHOULD there), a file growing or shrinking during a get
(no portable way for a case to time it), EACCES paths (the suite runs as root).

Known survivor, written but not registered: `_no_start_sweep_pki` (the pki responder
never sweeps the `.sft-partial-*` files an earlier run left in its inbox, APP-STORE-3).
The suite can restart only an eke server (`restart_cmd`, test_eke_restart.py); no case
starts or restarts a pki responder over a planted inbox, so nothing can observe it.
Known survivor, written but not registered: `_eke_internal_traceback` (an internal
error's EROR carries the traceback, ERR-6). Only an internal error shows it, and the
reference has none a peer can cause on demand: test_app_share_files.py truncates a file
while it is served, but on loopback with the embedded max file size the get finishes
before the truncation (its own docstring says so), so the internal path is not reached.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _share() -> Any:
    return _module("reference.share")


# -- the share: special files ---------------------------------------------------------


def _fifo_blocks() -> None:
    # The FIFO is opened without O_NONBLOCK: with no writer, open() blocks the thread
    # and the get is never answered [APP-GET-2: check the type before reading].
    share = _share()
    share._FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


def _directory_forbidden() -> None:
    # A directory is answered `forbidden` ("not a file you may read") instead of the
    # `not_found` APP-GET-2 requires.
    share = _share()
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        try:
            return original(self, name)
        except share.RemoteProtocolError as exc:
            if exc.code.wire_name == "not_found":
                try:
                    st = os.stat(os.path.join(self.path, name), follow_symlinks=False)
                except OSError:
                    raise exc from None
                if stat.S_ISDIR(st.st_mode):
                    raise share.NameRefused(f"{name[:64]!r} is a directory") from None
            raise

    share.ShareDirectory.open = open_


def _socket_fatal() -> None:
    # open() of a UNIX socket fails with ENXIO; the implementation lets that OSError
    # escape as an internal (fatal) error instead of a non-fatal refusal [APP-GET-2].
    share = _share()
    original = share.ShareDirectory._open_component

    def open_component(dir_fd: int, part: str, flags: int, name: str) -> int:
        try:
            st = os.stat(part, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            st = None
        if st is not None and stat.S_ISSOCK(st.st_mode):
            raise OSError(errno.ENXIO, "No such device or address")
        result: int = original(dir_fd, part, flags, name)
        return result

    share.ShareDirectory._open_component = staticmethod(open_component)


# -- the inbox: temporaries, links, the commit ----------------------------------------


def _no_start_sweep_eke() -> None:
    # The responder never removes the temporaries a killed run left [APP-STORE-3].
    _module("reference.eke.server").remove_stale_partials = lambda *a, **k: 0


def _no_start_sweep_pki() -> None:  # a known survivor: not in MUTANTS (module docstring)
    _module("reference.pki.peer").remove_stale_partials = lambda *a, **k: 0


def _temp_mode_0644() -> None:
    # The temporary is created with the process umask's default 0644, not 0600
    # [APP-STORE-1].
    share = _share()
    original = share.PartialFile.__init__

    def init(self: Any, dir_fd: int, *args: Any, **kwargs: Any) -> None:
        original(self, dir_fd, *args, **kwargs)
        os.chmod(self.temp_name, 0o644, dir_fd=dir_fd)

    share.PartialFile.__init__ = init


def _temp_prefix() -> None:
    # The temporary is named ".partial-<random>" (a common convention), not with the
    # fixed `.sft-partial-` prefix APP-STORE-1 requires.
    share = _share()
    original = share.PartialFile.__init__

    def init(self: Any, dir_fd: int, *args: Any, **kwargs: Any) -> None:
        original(self, dir_fd, *args, **kwargs)
        new = ".partial-" + self.temp_name[len(share.PARTIAL_PREFIX) :]
        os.rename(self.temp_name, new, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        self.temp_name = new

    share.PartialFile.__init__ = init


def _temp_kept_on_failure() -> None:
    # abort() closes the temporary but forgets to unlink it: a failed put (integrity,
    # truncation, timeout) leaves `.sft-partial-*` in the inbox [APP-STORE-3].
    share = _share()

    def abort(self: Any) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._done = True
        self._untrack()
        self._release_dir()

    share.PartialFile.abort = abort


def _temp_named_after_final() -> None:
    # The temporary is `.sft-partial-<final name>-<random>`: a put whose basename has
    # 255 bytes (within APP-NAME-1) makes a temporary name too long for the file system
    # (ENAMETOOLONG) and the put fails: refused for its length [APP-NAME-7].
    share = _share()
    original = share.PartialFile.__init__

    def init(self: Any, dir_fd: int, final_name: str, *args: Any, **kwargs: Any) -> None:
        original(self, dir_fd, final_name, *args, **kwargs)
        new = f"{share.PARTIAL_PREFIX}{final_name}-{self.temp_name[len(share.PARTIAL_PREFIX) :]}"
        try:
            os.rename(self.temp_name, new, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError:
            os.unlink(self.temp_name, dir_fd=dir_fd)
            self._file.close()
            self._file = None
            self._done = True
            self._release_dir()
            raise
        self.temp_name = new

    share.PartialFile.__init__ = init


def _commit_replaces() -> None:
    # The commit is a plain rename(), which replaces: of two concurrent puts of one
    # name both are answered DONE and the last one replaces the first [APP-PUT-8].
    share = _share()
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original(self, overwrite=True)

    share.PartialFile.commit = commit


def _exists_follows_links() -> None:
    # The existence check follows symbolic links: a dangling link in the inbox does
    # not "exist", the put is accepted, and fails only at the commit [APP-PUT-3].
    share = _share()
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        try:
            st = os.stat(base, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            try:
                os.stat(base, dir_fd=self._fd)
            except FileNotFoundError:
                if base.startswith(share.PARTIAL_PREFIX):
                    raise share.NameRefused(
                        "names starting with .sft-partial- are reserved"
                    ) from None
                found: str = base
                return found
        result: str = original(self, name)
        return result

    share.Inbox.target_name = target_name


def _reserved_on_full_name() -> None:
    # The reserved-prefix check looks at the whole offered name, not its last
    # component: `dir/.sft-partial-x` is stored as `.sft-partial-x` [APP-NAME-9].
    share = _share()

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        if name.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        try:
            os.stat(base, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            free: str = base
            return free
        raise share.RemoteProtocolError(
            share.ErrorCode.EXISTS, f"{base[:64]!r} already exists in the inbox"
        )

    share.Inbox.target_name = target_name


# -- slots on a rare path ---------------------------------------------------------------


def _slot_leak_failed_handshake() -> None:
    # release() forgets connections that never completed their handshake: every failed
    # or abandoned handshake keeps its slot, and the responder ends up refusing all
    # [LIM-4: accept again once connections end].
    admission = _module("reference.admission")

    def release(self: Any, key: int) -> None:
        self._established.discard(key)

    admission.Admission.release = release


# -- options parsed but not applied -------------------------------------------------------


def _wrap_config(module: str, attr: str, dropped: str) -> None:
    mod = _module(module)
    original = getattr(mod, attr)

    def config(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop(dropped, None)
        return original(*args, **kwargs)

    setattr(mod, attr, config)


def _pki_idle_timeout_ignored() -> None:
    # `sft serve --idle-timeout` is parsed and printed but the peer keeps its 60 s default.
    _wrap_config("reference.pki.peer", "PeerConfig", "idle_timeout")


def _eke_max_file_size_ignored() -> None:
    # `sft eke serve --max-file-size` is parsed but the server keeps its 4 GiB default.
    _wrap_config("reference.cli.eke", "ServerConfig", "max_file_size")


def _eke_max_connections_ignored() -> None:
    # `sft eke serve --max-connections` is parsed but the server keeps its default 64.
    _wrap_config("reference.cli.eke", "ServerConfig", "max_connections")


def _eke_throttle_db_ignored() -> None:
    # The state file is named but the failure counts live in memory: a restart resets
    # them [EKE-THR-8].
    _wrap_config("reference.cli.eke", "ServerConfig", "throttle_db")


# -- added after the blind measure (written once the suite's case files were read) -------


def _eke_internal_traceback() -> None:  # a known survivor: not in MUTANTS (docstring)
    # An internal error on the eke server sends the traceback as the EROR message, "to
    # help the user report it" [ERR-6]: e.g. a shared file truncated while it is served.
    server = _module("reference.eke.server")
    original = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        import traceback

        trace = traceback.format_exc()
        if code.wire_name == "internal" and not trace.startswith("NoneType: None"):
            message = trace[-500:]
        original(self, stream, code, message)

    server.EkeServer._send_fatal = send_fatal


def _eke_handshake_timeout_ignored() -> None:
    # `sft eke serve --handshake-timeout` is parsed but the 10 s default is used [LIM-1].
    _wrap_config("reference.cli.eke", "ServerConfig", "handshake_timeout")


def _pki_max_pending_ignored() -> None:
    # `sft serve --max-pending-per-address` is parsed but the default 8 is used [LIM-8].
    _wrap_config("reference.pki.peer", "PeerConfig", "max_pending_per_address")


def _pki_max_file_size_ignored() -> None:
    # `sft serve --max-file-size` is parsed but the 4 GiB default is used [APP-PUT-7].
    _wrap_config("reference.pki.peer", "PeerConfig", "max_file_size")


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "b9op2-fifo-blocks", "ops2", "eke", "APP-GET-2", "test_app_share_files.py",
        "a FIFO in the share is opened blocking: the get is never answered",
        _fifo_blocks,
    ),
    Mutant(
        "b9op2-directory-forbidden", "ops2", "pki", "APP-GET-2", "test_app_server_ops.py",
        "a directory named by a get is answered forbidden instead of not_found",
        _directory_forbidden,
    ),
    Mutant(
        "b9op2-socket-fatal", "ops2", "eke", "APP-GET-2", "test_app_share_files.py",
        "a UNIX socket in the share: open() fails ENXIO and ends the connection (internal)",
        _socket_fatal,
    ),
    Mutant(
        "b9op2-no-start-sweep-eke", "ops2", "eke", "APP-STORE-3", "test_eke_restart.py",
        "the eke server leaves an earlier run's .sft-partial-* files in its inbox",
        _no_start_sweep_eke,
    ),
    Mutant(
        "b9op2-temp-mode-0644", "ops2", "pki", "APP-STORE-1", "test_app_put.py",
        "the put's temporary file is created 0644, not 0600",
        _temp_mode_0644,
    ),
    Mutant(
        "b9op2-temp-prefix", "ops2", "eke", "APP-STORE-1", "test_app_put.py",
        "the put's temporary file is named .partial-<random>, not .sft-partial-<random>",
        _temp_prefix,
    ),
    Mutant(
        "b9op2-temp-kept-on-failure", "ops2", "eke", "APP-STORE-3", "test_app_put.py",
        "a failed put leaves its temporary file in the inbox (abort does not unlink)",
        _temp_kept_on_failure,
    ),
    Mutant(
        "b9op2-temp-named-after-final", "ops2", "pki", "APP-NAME-7", "test_app_server_ops.py",
        "the temporary embeds the final name: a 255-byte basename fails ENAMETOOLONG",
        _temp_named_after_final,
    ),
    Mutant(
        "b9op2-commit-replaces", "ops2", "pki", "APP-PUT-8", "test_app_put_race_loser.py",
        "the commit is a replacing rename: the loser of a put race replaces the winner",
        _commit_replaces,
    ),
    Mutant(
        "b9op2-exists-follows-links", "ops2", "eke", "APP-PUT-3", "test_app_put_inbox_links.py",
        "a dangling symbolic link in the inbox is not an existing name at PUTF",
        _exists_follows_links,
    ),
    Mutant(
        "b9op2-reserved-on-full-name", "ops2", "eke", "APP-NAME-9",
        "test_app_reserved_names.py",
        "the .sft-partial- prefix is checked on the whole name, not the basename",
        _reserved_on_full_name,
    ),
    Mutant(
        "b9op2-slot-leak-failed-handshake", "ops2", "eke", "LIM-4",
        "test_app_server_ops.py",
        "a connection that never completed its handshake keeps its slot forever",
        _slot_leak_failed_handshake,
    ),
    Mutant(
        "b9op2-pki-idle-timeout-ignored", "ops2", "pki", "LIM-2", "test_limits.py",
        "sft serve --idle-timeout is parsed but the 60 s default is used",
        _pki_idle_timeout_ignored,
    ),
    Mutant(
        "b9op2-eke-max-file-size-ignored", "ops2", "eke", "APP-PUT-7", "test_app_put.py",
        "sft eke serve --max-file-size is parsed but the 4 GiB default is used",
        _eke_max_file_size_ignored,
    ),
    Mutant(
        "b9op2-eke-max-connections-ignored", "ops2", "eke", "LIM-4", "test_limits_slots.py",
        "sft eke serve --max-connections is parsed but the default 64 is used",
        _eke_max_connections_ignored,
    ),
    Mutant(
        "b9op2-eke-throttle-db-ignored", "ops2", "eke", "EKE-THR-8",
        "test_eke_restart.py",
        "the throttle state file is ignored: failure counts live in memory",
        _eke_throttle_db_ignored,
    ),
    Mutant(
        "b9op2-eke-handshake-timeout-ignored", "ops2", "eke", "LIM-1", "test_limits.py",
        "sft eke serve --handshake-timeout is parsed but the 10 s default is used",
        _eke_handshake_timeout_ignored,
    ),
    Mutant(
        "b9op2-pki-max-pending-ignored", "ops2", "pki", "LIM-8", "test_lockout.py",
        "sft serve --max-pending-per-address is parsed but the default 8 is used",
        _pki_max_pending_ignored,
    ),
    Mutant(
        "b9op2-pki-max-file-size-ignored", "ops2", "pki", "APP-PUT-7", "test_app_put.py",
        "sft serve --max-file-size is parsed but the 4 GiB default is used",
        _pki_max_file_size_ignored,
    ),
)
