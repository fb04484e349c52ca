"""Blind red-team round 9, the servers as programs people run (helper B28).

Operational mistakes of the eke server and the pki responder: the share and the inbox
as a file system, restarts and state files, configuration, what leaks into EROR, load.
Each breaks one MUST a black-box tester can observe with a peer, the share and inbox
directories the target declares, and its restart command. Lenses (brief B28 / round 9):

  FS  = the share and the inbox as a file system (B28 lens 1)
  RS  = restarts and state (B28 lens 2)        CF = configuration (B28 lens 3)
  LG  = logs and output (B28 lens 4)           LD = load (B28 lens 5)

eke:
  b9ops-eke-get-fifo-blocks            FS  a FIFO in the share is opened blocking: the get hangs
  b9ops-eke-get-socket-internal        FS  only ENOENT maps to not_found: a socket is `internal`
  b9ops-eke-get-shrunk-short-done      FS  a file truncated mid-get ends with a short DONE
  b9ops-eke-get-grown-read-to-eof      FS  a file appended mid-get is read to EOF: extra DATA
  b9ops-eke-get-stale-digest-cache     FS  DONE's SHA-256 cached by (name, size, mtime)
  b9ops-eke-get-error-traceback        LG  an I/O error mid-get answers a traceback
  b9ops-eke-partial-mode-0644          FS  the temporary is created 0644 (umask default)
  b9ops-eke-partial-dot-part-name      FS  temporary named `.NAME.part`, not `.sft-partial-*`
  b9ops-eke-partial-kept-on-timeout    FS  an idle-timed-out put keeps its temporary (resume)
  b9ops-eke-put-rename-replaces        FS  commit by rename: a file dropped meanwhile is replaced
  b9ops-eke-sweep-skipped-on-restart   RS  the inbox sweep runs only on a cold start
  b9ops-eke-sweep-client-rule          RS  the sweep copied from the client: only stale ones
  b9ops-eke-throttle-memory-on-restart RS  a restarted server keeps failures in memory only
  b9ops-eke-throttle-reload-users-only RS  the address table is not reloaded at start
  b9ops-eke-throttle-uncommitted       RS  sqlite's default isolation: writes never committed
  b9ops-eke-idle-timeout-minutes       CF  --idle-timeout applied as minutes
  b9ops-eke-admission-keyed-with-port  CF  LIM-8 counted per (address, port)
  b9ops-eke-throttle-address-with-port CF  EKE-THR-1 counted per "address:port"
  b9ops-eke-slot-leak-idle-timeout     LD  a connection ended by idle timeout keeps its slot
  (b9ops-eke-get-shrunk-short-done and b9ops-eke-get-error-traceback are written but NOT
  registered: a file truncated mid-get is judged by test_app_share_files.py only when the
  truncation lands inside a get, which the embedded 2 MiB file limit does not allow on
  loopback (the whole file is in flight first); a target with max_file_size >= 16 MiB
  gets the 16 MiB variant. Known survivors, not counted as detected.)
pki:
  b9ops-pki-get-fifo-served            FS  "not a directory" instead of "a regular file"
  b9ops-pki-get-socket-silent          FS  only ENOENT maps to not_found: a socket closes
  b9ops-pki-get-grown-read-to-eof      FS  a file appended mid-get is read to EOF: extra DATA
  b9ops-pki-partial-kept-on-truncation FS  a put cut by the peer keeps its temporary (resume)
  b9ops-pki-put-rename-replaces        FS  commit by rename: a file dropped meanwhile is replaced
  b9ops-pki-max-file-size-ignored      CF  --max-file-size parsed, never given to the responder
  b9ops-pki-pending-per-address-off    CF  --max-pending-per-address parsed, not applied
  b9ops-pki-idle-timeout-off-in-put    CF  no idle timeout while a put's data is received
  b9ops-pki-slot-leak-idle-timeout     LD  a connection ended by idle timeout keeps its slot

Dropped (not a MUST a black-box tester can observe): an inbox that is full or read-only
(the tester cannot fill or remount the responder's disk; running as root, mode bits do
not stop it either), unreadable files in the share (root reads them), a lock held
across a blocking write (bounded by LIM-10's idle timeout: only a timing difference),
the final file's mode (the SPEC fixes the temporary's only), EROR messages naming the
inbox path (no MUST forbids it), the listening socket lost across a restart (no MUST),
a --crl-refresh parsed but not applied (written, then dropped: refetching is a SHOULD of
PKI-CERT-7), a handshake pending (EKE2 sent) when a SIGHUP restart ends it not counted as
a failure (written, then dropped: EKE-THR-5 does not say whether a restart's end of a
pending handshake counts, and three of four independent eke servers re-exec without
counting it; a SPEC question for the lead).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import stat as _stat
import threading
import traceback
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_LISTEN_FD_VARIABLE = "SFT_EKE_LISTEN_FD"  # set only in a server re-executed by SIGHUP
_flags = threading.local()


# -- shared pieces ---------------------------------------------------------------------
def _unguard_outgoing() -> None:
    """An implementation without the reference core's sender-side guards: DATA beyond
    the announced size and a DONE that does not match what was sent go out as they are."""
    app = _module("reference.app")
    conn_cls = app.ApplicationConnection
    orig_header = conn_cls.send_data_header
    orig_send = conn_cls.send

    class _Fixed:
        def __init__(self, digest: str) -> None:
            self._digest = digest

        def hexdigest(self) -> str:
            return self._digest

        def update(self, data: Any) -> None:
            pass

    def send_data_header(self: Any, payload: Any) -> bytes:
        out = self._outgoing
        if out is not None and out.count + len(payload) > out.announced:
            out.announced = out.count + len(payload)
        result: bytes = orig_header(self, payload)
        return result

    def send(self: Any, event: Any) -> bytes:
        out = self._outgoing
        if isinstance(event, app.Done) and out is not None:
            out.announced = event.size
            out.count = event.size
            out.digest = _Fixed(event.sha256)
        result: bytes = orig_send(self, event)
        return result

    conn_cls.send_data_header = send_data_header
    conn_cls.send = send


def _eke_get_loop(
    variant: str,
) -> Any:
    """EkeServer._serve_get with its read loop changed (`variant`)."""
    server_mod = _module("reference.eke.server")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    frames = _module("reference.frames")
    cache: dict[tuple[str, int, int], str] = {}

    def _serve_get(self: Any, stream: Any, name: str) -> str:
        if self._share is None:
            stream.send(messages.ErrorFrame(errors.ErrorCode.NOT_FOUND, "no share"))
            return "refused no_share"
        try:
            shared = self._share.open(name)
        except errors.RemoteProtocolError as exc:
            stream.send(messages.ErrorFrame(exc.code, exc.message))
            return f"refused {exc.code.wire_name}"
        with shared:
            if shared.size > self.config.max_file_size:
                stream.send(messages.ErrorFrame(errors.ErrorCode.TOO_LARGE, "too large"))
                return "refused too_large"
            mtime = int(os.fstat(shared.file.fileno()).st_mtime)
            stream.send(messages.FileResponse(name, shared.size))
            if variant == "eof":
                while stream.send_file_chunk(shared.file, frames.MAX_DATA_PAYLOAD):
                    pass
            else:
                remaining = shared.size
                while remaining:
                    n = stream.send_file_chunk(shared.file, remaining)
                    if n == 0:
                        if variant == "short":
                            break  # "the file ended": finish with what was sent
                        raise OSError("shared file shrank during a get")
                    remaining -= n
            done = stream.app.outgoing_done()
            if variant == "cache":
                key = (name, shared.size, mtime)
                if key in cache:
                    done = messages.Done(done.size, cache[key])
                else:
                    cache[key] = done.sha256
            stream.send(done)
            return f"size={shared.size} sent"

    server_mod.EkeServer._serve_get = _serve_get


def _apply_eke_get_short() -> None:
    _unguard_outgoing()
    _eke_get_loop("short")


def _apply_eke_get_eof() -> None:
    _unguard_outgoing()
    _eke_get_loop("eof")


def _apply_eke_get_cache() -> None:
    _unguard_outgoing()
    _eke_get_loop("cache")


def _apply_pki_get_eof() -> None:
    _unguard_outgoing()
    transfer = _module("reference.transfer")
    frames = _module("reference.frames")

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        while True:  # "send the file": until it ends
            view = self._data_view()
            n = transfer._read_exactly(
                reader, view[frames.HEADER_SIZE : frames.HEADER_SIZE + transfer.BUFFER_SIZE]
            )
            if n == 0:
                break
            payload = view[frames.HEADER_SIZE : frames.HEADER_SIZE + n]
            view[: frames.HEADER_SIZE] = self.conn.send_data_header(payload)
            self.stream.sendall(view[: frames.HEADER_SIZE + n])
        self.send(self.conn.outgoing_done())
        self.release_buffers()

    transfer._Channel.send_file = send_file


def _apply_fifo_blocks() -> None:
    share = _module("reference.share")
    share._FILE_FLAGS = share._FILE_FLAGS & ~os.O_NONBLOCK


class _StatProxy:
    """`stat` with S_ISREG meaning "not a directory"."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_stat, name)

    @staticmethod
    def S_ISREG(mode: int) -> bool:
        return not _stat.S_ISDIR(mode)


def _apply_fifo_served() -> None:
    _module("reference.share").stat = _StatProxy()


def _apply_only_enoent() -> None:
    share = _module("reference.share")
    orig = share.ShareDirectory._open_component

    def _open_component(dir_fd: int, part: str, flags: int, name: str) -> int:
        try:
            fd: int = os.open(part, flags, dir_fd=dir_fd)
            return fd
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EACCES):
                result: int = orig(dir_fd, part, flags, name)
                return result
            raise  # "cannot happen"

    share.ShareDirectory._open_component = staticmethod(_open_component)


def _apply_eke_traceback() -> None:
    server = _module("reference.eke.server").EkeServer
    orig = server._send_fatal

    def _send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if message == "internal error" and traceback.format_exc().strip() != "NoneType: None":
            message = traceback.format_exc()[-500:]  # "helps the user report the bug"
        orig(self, stream, code, message)

    server._send_fatal = _send_fatal


class _OsProxy:
    """`os` whose open() creates files 0644."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if flags & os.O_CREAT:
            mode = 0o644
        return os.open(path, flags, mode, **kw)


def _apply_partial_mode() -> None:
    _module("reference.share").os = _OsProxy()


def _apply_partial_name() -> None:
    share = _module("reference.share")

    def begin(self: Any, final_name: str, size: int) -> Any:
        partial = share.PartialFile.__new__(share.PartialFile)
        partial._dir_fd = self._fd
        partial._owns_dir_fd = False
        partial.final_name = final_name
        partial.limit = size
        partial.written = 0
        partial.temp_name = f".{final_name}.part"  # "the usual download name"
        partial._tracked = None
        fd = os.open(
            partial.temp_name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=self._fd,
        )
        partial._file = __import__("io").FileIO(fd, "wb", closefd=True)
        partial._done = False
        return partial

    share.Inbox.begin = begin


def _apply_eke_kept_on_timeout() -> None:
    server = _module("reference.eke.server").EkeServer
    share = _module("reference.share")
    errors = _module("reference.errors")
    orig_fatal = server._send_fatal
    orig_abort = share.PartialFile.abort

    def _send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if code is errors.ErrorCode.TIMEOUT:
            _flags.keep_partial = True  # "the client may resume it"
        orig_fatal(self, stream, code, message)

    def abort(self: Any) -> None:
        if getattr(_flags, "keep_partial", False) and self._file is not None:
            self._file.close()
            self._file = None
            self._done = True
            return
        orig_abort(self)

    server._send_fatal = _send_fatal
    share.PartialFile.abort = abort


def _apply_pki_kept_on_truncation() -> None:
    share = _module("reference.share")
    errors = _module("reference.errors")
    orig_exit = share.PartialFile.__exit__

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and issubclass(
            exc_type, errors.TruncatedStream | ConnectionError | TimeoutError
        ):
            if self._file is not None:  # "the peer may come back and resume it"
                self._file.close()
                self._file = None
            self._done = True
            return
        orig_exit(self, exc_type, exc, tb)

    share.PartialFile.__exit__ = __exit__


def _apply_rename_replaces() -> None:
    share = _module("reference.share")
    orig = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        del overwrite
        orig(self, overwrite=True)  # os.rename: "atomic"

    share.PartialFile.commit = commit


def _apply_sweep_cold_only() -> None:
    server = _module("reference.eke.server")
    orig = server.remove_stale_partials

    def remove_stale_partials(directory: Any, *, older_than: float | None = None) -> int:
        if _LISTEN_FD_VARIABLE in os.environ:
            return 0  # "a restart is not a crash: nothing to clean"
        result: int = orig(directory, older_than=older_than)
        return result

    server.remove_stale_partials = remove_stale_partials


def _apply_sweep_client_rule() -> None:
    server = _module("reference.eke.server")
    orig = server.remove_stale_partials

    def remove_stale_partials(directory: Any, *, older_than: float | None = None) -> int:
        del older_than
        result: int = orig(directory, older_than=600.0)  # copied from `get`
        return result

    server.remove_stale_partials = remove_stale_partials


def _wrap_eke_init(after: Any, before: Any = None) -> None:
    server = _module("reference.eke.server").EkeServer
    orig = server.__init__

    def __init__(self: Any, config: Any, store: Any, **kw: Any) -> None:
        if before is not None:
            config = before(config)
        orig(self, config, store, **kw)
        if after is not None:
            after(self)

    server.__init__ = __init__


def _apply_throttle_memory_on_restart() -> None:
    def before(config: Any) -> Any:
        if _LISTEN_FD_VARIABLE in os.environ:
            return dataclasses.replace(config, throttle_db=None)
        return config

    _wrap_eke_init(None, before)


def _apply_throttle_reload_users() -> None:
    throttle = _module("reference.eke.throttle")

    def load(self: Any) -> None:
        if self._db is None:
            return
        rows = self._db.execute(
            "SELECT kind, key, failures, last FROM failures WHERE kind = 'user' ORDER BY last"
        )
        for kind, key, failures, last in rows:
            self._tables[kind][key] = throttle._Entry(int(failures), float(last))

    throttle._FailureTables.load = load


class _SqliteProxy:
    """sqlite3 whose connect() keeps the default isolation level (implicit BEGIN)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def connect(self, *args: Any, **kw: Any) -> Any:
        kw.pop("isolation_level", None)
        return self._real.connect(*args, **kw)


def _apply_throttle_uncommitted() -> None:
    throttle = _module("reference.eke.throttle")
    throttle.sqlite3 = _SqliteProxy(throttle.sqlite3)


def _apply_idle_minutes() -> None:
    def before(config: Any) -> Any:
        return dataclasses.replace(config, idle_timeout=config.idle_timeout * 60)

    _wrap_eke_init(None, before)


def _apply_admission_with_port() -> None:
    def after(self: Any) -> None:
        orig_admit = self._admission.admit

        def admit(key: int, address: str) -> Any:
            return orig_admit(key, f"{address}:{key}")  # the peer's (host, port)

        self._admission.admit = admit

    _wrap_eke_init(after)


def _apply_throttle_with_port() -> None:
    server = _module("reference.eke.server").EkeServer
    orig = server._run_connection

    def _run_connection(self: Any, conn_id: int, sock: Any, address: str) -> None:
        with contextlib.suppress(OSError):
            host, port = sock.getpeername()[:2]
            address = f"{host}:{port}"  # the peer, as logged
        orig(self, conn_id, sock, address)

    server._run_connection = _run_connection


def _leaky_release(admission: Any) -> None:
    orig_release = admission.release

    def release(key: int) -> None:
        if getattr(_flags, "idle_timed_out", False):
            _flags.idle_timed_out = False
            return  # the timeout path returns before the bookkeeping
        orig_release(key)

    admission.release = release


def _apply_eke_slot_leak() -> None:
    server = _module("reference.eke.server").EkeServer
    errors = _module("reference.errors")
    orig_fatal = server._send_fatal

    def _send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if code is errors.ErrorCode.TIMEOUT:
            _flags.idle_timed_out = True
        orig_fatal(self, stream, code, message)

    server._send_fatal = _send_fatal
    _wrap_eke_init(lambda self: _leaky_release(self._admission))


def _apply_pki_slot_leak() -> None:
    transfer = _module("reference.transfer")
    peer = _module("reference.pki.peer")
    errors = _module("reference.errors")
    orig_fail = transfer._Channel.fail

    def fail(self: Any, exc: Any) -> None:
        if exc.code is errors.ErrorCode.TIMEOUT:
            _flags.idle_timed_out = True
        orig_fail(self, exc)

    transfer._Channel.fail = fail
    orig_init = peer.PeerServer.__init__

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        orig_init(self, *args, **kw)
        _leaky_release(self._admission)

    peer.PeerServer.__init__ = __init__


def _apply_pki_max_size_ignored() -> None:
    peer = _module("reference.pki.peer")
    policy = peer.ResponderPolicy

    def responder_policy(**kw: Any) -> Any:
        kw.pop("max_file_size", None)
        return policy(**kw)

    peer.ResponderPolicy = responder_policy


def _apply_pki_pending_off() -> None:
    peer = _module("reference.pki.peer")
    admission = peer.Admission
    peer.Admission = lambda max_connections, _per_address: admission(
        max_connections, max_connections
    )


def _apply_pki_idle_off_in_put() -> None:
    responder = _module("reference.transfer").Responder
    orig = responder._put

    def _put(self: Any, request: Any) -> None:
        stream = self.channel.stream
        saved = stream.gettimeout()
        stream.settimeout(None)  # "a big upload may take long"
        try:
            orig(self, request)
        finally:
            stream.settimeout(saved)

    responder._put = _put


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
) -> Mutant:
    return Mutant(
        name=name,
        group="blind9-ops",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b9ops-eke-get-fifo-blocks",
        "eke",
        "APP-GET-2",
        "test_app_share_files.py",
        "a FIFO in the share is opened without O_NONBLOCK: the get never answers",
        _apply_fifo_blocks,
    ),
    _m(
        "b9ops-eke-get-socket-internal",
        "eke",
        "APP-GET-2",
        "test_app_share_files.py",
        "only ENOENT maps to not_found: a socket in the share answers internal (fatal)",
        _apply_only_enoent,
    ),
    _m(
        "b9ops-eke-get-grown-read-to-eof",
        "eke",
        "APP-GET-4",
        "test_app_share_files.py",
        "the get reads the file to EOF: bytes appended meanwhile go beyond RSFL.size",
        _apply_eke_get_eof,
    ),
    _m(
        "b9ops-eke-get-stale-digest-cache",
        "eke",
        "APP-GET-2",
        "test_app_share_files.py",
        "DONE.sha256 cached by (name, size, mtime): a file rewritten in place gets a stale one",
        _apply_eke_get_cache,
    ),
    _m(
        "b9ops-eke-partial-mode-0644",
        "eke",
        "APP-STORE-1",
        "test_app_put.py",
        "the inbox temporary is created 0644 instead of 0600",
        _apply_partial_mode,
    ),
    _m(
        "b9ops-eke-partial-dot-part-name",
        "eke",
        "APP-STORE-1",
        "test_app_put.py",
        "the inbox temporary is named .NAME.part instead of .sft-partial-RANDOM",
        _apply_partial_name,
    ),
    _m(
        "b9ops-eke-partial-kept-on-timeout",
        "eke",
        "APP-STORE-3",
        "test_limits.py",
        "a put ended by the idle timeout keeps its temporary file (for a resume)",
        _apply_eke_kept_on_timeout,
    ),
    _m(
        "b9ops-eke-put-rename-replaces",
        "eke",
        "APP-STORE-2",
        "test_app_inbox_files.py",
        "the put is committed by rename: a file that appeared in the inbox is replaced",
        _apply_rename_replaces,
    ),
    _m(
        "b9ops-eke-sweep-skipped-on-restart",
        "eke",
        "APP-STORE-3",
        "test_eke_restart.py",
        "the inbox's stale .sft-partial-* files are removed on a cold start only",
        _apply_sweep_cold_only,
    ),
    _m(
        "b9ops-eke-sweep-client-rule",
        "eke",
        "APP-STORE-3",
        "test_eke_restart_state.py",
        "the server's start-up sweep removes only temporaries older than 600 s (client rule)",
        _apply_sweep_client_rule,
    ),
    _m(
        "b9ops-eke-throttle-memory-on-restart",
        "eke",
        "EKE-THR-8",
        "test_eke_restart.py",
        "a server restarted by SIGHUP keeps its failure counts in memory only",
        _apply_throttle_memory_on_restart,
    ),
    _m(
        "b9ops-eke-throttle-reload-users-only",
        "eke",
        "EKE-THR-8",
        "test_eke_restart.py",
        "at start only the user-name table is reloaded: address counts reset",
        _apply_throttle_reload_users,
    ),
    _m(
        "b9ops-eke-throttle-uncommitted",
        "eke",
        "EKE-THR-8",
        "test_eke_restart.py",
        "sqlite opened with its default isolation level: failure rows are never committed",
        _apply_throttle_uncommitted,
    ),
    _m(
        "b9ops-eke-idle-timeout-minutes",
        "eke",
        "LIM-2",
        "test_limits.py",
        "--idle-timeout applied as minutes",
        _apply_idle_minutes,
    ),
    _m(
        "b9ops-eke-admission-keyed-with-port",
        "eke",
        "LIM-8",
        "test_lockout.py",
        "pending connections counted per (address, port): the per-address cap never hits",
        _apply_admission_with_port,
    ),
    _m(
        "b9ops-eke-throttle-address-with-port",
        "eke",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failures counted per 'address:port': the per-address throttle never hits",
        _apply_throttle_with_port,
    ),
    _m(
        "b9ops-eke-slot-leak-idle-timeout",
        "eke",
        "LIM-4",
        "test_limits_slot_release.py",
        "a connection ended by the idle timeout never gives its slot back",
        _apply_eke_slot_leak,
    ),
    _m(
        "b9ops-pki-get-fifo-served",
        "pki",
        "APP-GET-2",
        "test_app_share_files.py",
        "the share serves what is not a directory: a FIFO is served as 0 bytes",
        _apply_fifo_served,
    ),
    _m(
        "b9ops-pki-get-socket-silent",
        "pki",
        "APP-GET-2",
        "test_app_share_files.py",
        "only ENOENT maps to not_found: a get of a socket in the share closes silently",
        _apply_only_enoent,
    ),
    _m(
        "b9ops-pki-get-grown-read-to-eof",
        "pki",
        "APP-GET-4",
        "test_app_share_files.py",
        "the get reads the file to EOF: bytes appended meanwhile go beyond RSFL.size",
        _apply_pki_get_eof,
    ),
    _m(
        "b9ops-pki-partial-kept-on-truncation",
        "pki",
        "APP-STORE-3",
        "test_app_put.py",
        "a put cut by the initiator (EOF, reset, timeout) keeps its temporary (for a resume)",
        _apply_pki_kept_on_truncation,
    ),
    _m(
        "b9ops-pki-put-rename-replaces",
        "pki",
        "APP-STORE-2",
        "test_app_inbox_files.py",
        "the put is committed by rename: a file that appeared in the inbox is replaced",
        _apply_rename_replaces,
    ),
    _m(
        "b9ops-pki-max-file-size-ignored",
        "pki",
        "APP-PUT-7",
        "test_app_put.py",
        "--max-file-size is parsed but the responder uses the 4 GiB default",
        _apply_pki_max_size_ignored,
    ),
    _m(
        "b9ops-pki-pending-per-address-off",
        "pki",
        "LIM-8",
        "test_lockout.py",
        "--max-pending-per-address is parsed but max_connections is used",
        _apply_pki_pending_off,
    ),
    _m(
        "b9ops-pki-idle-timeout-off-in-put",
        "pki",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put's data is being received",
        _apply_pki_idle_off_in_put,
    ),
    _m(
        "b9ops-pki-slot-leak-idle-timeout",
        "pki",
        "LIM-4",
        "test_limits_slot_release.py",
        "a connection ended by the idle timeout never gives its slot back",
        _apply_pki_slot_leak,
    ),
)
