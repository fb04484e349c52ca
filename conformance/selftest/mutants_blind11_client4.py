"""Blind red-team round 11 (client4): the clients as their users run them (helper B49).

The GET side's storage as a user sees it, the stale-temporary sweep, the password file
and the client's own limits. Written from docs/SPEC.md and the reference alone, before
any case file was read. The first blind list (17) had 13 ideas already registered
(0644 temporary, temporary in /tmp, digest prefix, EOF after all bytes, rstrip,
overwritten empty file, sweep of live ones, kept partial, copy through a symlink,
integrity exit 0, Latin-1/replace decoding, 1 MiB DATA off by one, rename over a
dangling link); they were replaced by the ones below before any run.

Lenses (lenses11.md): 1 caches / fast paths, 2 time, 3 I/O granularity, 4 lenient
parsing, 5 role/direction copy-paste, 6 fallbacks.

- pwf-key-cache (1): the scrypt password key cached on disk per user: a password file
  that changed between runs is not read again.
- pwf-lf-only (5): only LF is removed (the Unix copy): a CRLF password file is refused.
- pwf-empty-before-strip (6): emptiness checked before the line end goes: a file holding
  only a line end gives an empty password, which is used.
- pwf-short-read (3): one read(64) of the password file: a long password is cut.
- partial-fixed-name (1/5): the temporary is `.sft-partial-<final>`, opened O_TRUNC
  without O_EXCL: another live initiator's temporary of that name is taken over.
- link-without-unlink (1): the commit links the final name and forgets the unlink:
  a `.sft-partial-*` hard link remains after every successful get.
- zero-size-fast-path (1): a 0-byte get creates its output at RSFL, before DONE.
- rsfl-sha-trusted (1): with RSFL.sha256 present, DONE is compared with it, the
  received bytes are never hashed against it.
- excess-checked-at-done (1/3): DATA beyond the announced size is written and judged
  only at DONE.
- sweep-atime (2): the sweep ages temporaries by st_atime: a live one whose data is
  still being written but was created long ago is removed.
- sweep-handshake-timeout (2): the sweep's age limit is the handshake timeout (10 s),
  not the idle timeout: a temporary idle for 30 s is removed.
- sigint-hard-exit (6): Ctrl-C (SIGINT) ends the client with os._exit: its temporary
  stays.
- data-limit-control (5): the 64 KiB control limit applied to DATA payloads.

Blind measure (each in the file first named): 8 of 13 detected. Survivors, re-aimed:
pwf-short-read -> test_client_password_length.py (new), sweep-handshake-timeout ->
test_client_sweep_idle_age.py (new), sigint-hard-exit -> test_client_sigint.py (new);
sweep-atime was first named against test_client_temporaries.py, the class is judged by
test_eke_client_sweep_fields.py; data-limit-control first against
test_pki_initiator_transfer.py (its 1 MiB case is a slow variant), now test_client_lies.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _share() -> Any:
    return _module("reference.share")


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _module("conformance.selftest.mutants_app")._patch_source(owner, attr, *edits)


# -- password file --------------------------------------------------------------------


def _command_error(message: str) -> Exception:
    err: Exception = _module("reference.cli").CommandError(message, 2)
    return err


def _pwf_key_cache() -> None:
    crypto = _module("reference.eke.crypto")
    orig = crypto.password_key

    def password_key(user: str, password: str, *a: Any, **kw: Any) -> Any:
        tag = hashlib.sha256(user.encode()).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"sft-b11cl4-key-{tag}"
        with contextlib.suppress(OSError):
            return path.read_bytes()
        key = orig(user, password, *a, **kw)
        with contextlib.suppress(OSError):
            path.write_bytes(bytes(key))
        return key

    crypto.password_key = password_key


def _decode(path: Path, raw: bytes | None = None) -> str:
    try:
        data = path.read_bytes() if raw is None else raw
    except OSError as exc:
        raise _command_error(f"cannot read the password file: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _command_error("the password file is not UTF-8") from None


def _checked(password: str) -> str:
    if "\r" in password or "\n" in password:
        raise _command_error("the password file holds more than one line")
    return password


def _pwf_lf_only() -> None:
    def read(path: Path) -> str:
        return _checked(_decode(path).removesuffix("\n"))

    _module("reference.cli.eke")._read_password_file = read


def _pwf_short_read() -> None:
    def read(path: Path) -> str:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise _command_error(f"cannot read the password file: {exc.strerror}") from None
        try:
            raw = os.read(fd, 64)
        finally:
            os.close(fd)
        text = _decode(path, raw)
        return _checked(text[:-2] if text.endswith("\r\n") else text.removesuffix("\n"))

    _module("reference.cli.eke")._read_password_file = read


def _pwf_empty_before_strip() -> None:
    cli = _module("reference.cli.eke")
    orig = cli._read_password

    def read_password(args: Any, *, confirm: bool = False) -> str:
        if args.password_stdin or args.password_file is None:
            return str(orig(args, confirm=confirm))
        text = _decode(args.password_file)
        if not text:
            raise _command_error("the password is empty")
        return _checked(text[:-2] if text.endswith("\r\n") else text.removesuffix("\n"))

    cli._read_password = read_password


# -- storage ----------------------------------------------------------------------------


def _partial_fixed_name() -> None:
    share = _share()
    cls = share.PartialFile
    orig_init = cls.__init__

    def init(self: Any, dir_fd: int, final_name: str, limit: int, **kw: Any) -> None:
        directory = kw.get("directory")
        if directory is None:
            orig_init(self, dir_fd, final_name, limit, **kw)
            return
        self._dir_fd = dir_fd
        self._owns_dir_fd = kw.get("owns_dir_fd", False)
        self.final_name = final_name
        self.limit = limit
        self.written = 0
        self.temp_name = f"{share.PARTIAL_PREFIX}{final_name}"  # "unique enough"
        self._tracked = os.path.join(directory, self.temp_name)
        share._UNFINISHED.add(self._tracked)
        fd = os.open(
            self.temp_name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=dir_fd
        )
        self._file = _module("io").FileIO(fd, "wb", closefd=True)
        self._done = False

    cls.__init__ = init


def _link_without_unlink() -> None:
    _patch_source(
        _share().PartialFile,
        "commit",
        ("os.unlink(self.temp_name, dir_fd=self._dir_fd)\n", "pass\n"),
    )


def _zero_size_fast_path() -> None:
    cls = _share().PartialFile
    orig_create = cls.create.__func__
    orig_commit = cls.commit

    def create(klass: Any, destination: Path, limit: int) -> Any:
        part = orig_create(klass, destination, limit)
        if limit == 0:  # nothing to receive: the output can be made at once
            try:
                os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except BaseException:
                part.abort()
                raise
            part._b49_zero = True
        return part

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if getattr(self, "_b49_zero", False):
            self.abort()  # the temporary goes; the output is there already
            return
        orig_commit(self, overwrite=overwrite)

    cls.create = classmethod(create)
    cls.commit = commit


def _excess_checked_at_done() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if False:",
        ),
    )
    _patch_source(
        _share().PartialFile, "write", ("if self.written + len(view) > self.limit:", "if False:")
    )


def _sweep_with(age_of: Any, older_than_of: Any = None) -> None:
    tr = _module("reference.transfer")
    orig = tr.remove_stale_partials

    def sweep(directory: Path, *, older_than: float | None = None) -> int:
        if older_than is None:
            return int(orig(directory, older_than=None))
        if older_than_of is not None:
            older_than = older_than_of(older_than)
        cutoff = time.time() - older_than
        removed = 0
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                if not entry.name.startswith(tr.PARTIAL_PREFIX):
                    continue
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if age_of(info) > cutoff:
                        continue
                    os.unlink(entry.path)
                    removed += 1
        return removed

    tr.remove_stale_partials = sweep
    _module("reference.cli.eke").remove_stale_partials = sweep


def _sweep_atime() -> None:
    _sweep_with(lambda info: info.st_atime)


def _sweep_handshake_timeout() -> None:
    _sweep_with(lambda info: info.st_mtime, lambda _older_than: 10.0)


def _sigint_hard_exit() -> None:
    signal.signal(signal.SIGINT, lambda _s, _f: os._exit(130))


# -- integrity and limits ---------------------------------------------------------------


def _rsfl_sha_trusted() -> None:
    app = _module("reference.app")
    cls = app._Transfer
    orig = cls.check_done

    def check_done(self: Any, done: Any) -> None:
        if self.expected_sha256 is None:
            orig(self, done)
            return
        # the responder announced the digest: DONE must repeat it (no second hashing)
        if not (
            done.size == self.announced == self.count and done.sha256 == self.expected_sha256
        ):
            raise app.RemoteProtocolError(app.ErrorCode.INTEGRITY_FAILED, "mismatch")

    cls.check_done = check_done


def _data_limit_control() -> None:
    app = _module("reference.app")
    cls = app.ApplicationConnection
    orig = cls._check_header

    def check(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type == app.T_DATA and length > app.MAX_CONTROL_PAYLOAD:
            raise app.RemoteProtocolError(app.ErrorCode.FRAME_TOO_LARGE, "payload too long")
        result: tuple[bytes, int] = orig(frame_type, length)
        return result

    cls._check_header = staticmethod(check)


def _m(name: str, profile: str, req: str, test_file: str, desc: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b11cl4-{name}",
        group="b11cl4",
        profile=profile,
        requirement=req,
        test_file=test_file,
        description=desc,
        apply=apply,
        client=True,
    )


_TEMPS = "test_client_temporaries.py"
_ETR = "test_eke_client_transfer.py"
_PTR = "test_pki_initiator_transfer.py"
_PWF = "test_eke_client_password_file.py"

MUTANTS: tuple[Mutant, ...] = (
    _m("pwf-key-cache", "eke", "PWF-1", _PWF,
       "the password key is cached on disk per user: a changed password file is not re-read",
       _pwf_key_cache),
    _m("pwf-lf-only", "eke", "PWF-1", _PWF,
       "only a trailing LF is removed: a password file ending in CRLF is refused",
       _pwf_lf_only),
    _m("pwf-empty-before-strip", "eke", "PWF-1", _PWF,
       "emptiness checked before the line end goes: a file of just LF gives an empty password",
       _pwf_empty_before_strip),
    _m("pwf-short-read", "eke", "PWF-1", "test_client_password_length.py",
       "one read(64) of the password file: a longer password is cut", _pwf_short_read),
    _m("partial-fixed-name", "eke", "APP-STORE-1", _TEMPS,
       "the temporary is .sft-partial-<final>, O_TRUNC without O_EXCL: another's is taken over",
       _partial_fixed_name),
    _m("link-without-unlink", "pki", "APP-STORE-2", _PTR,
       "the commit links the final name but never unlinks the temporary", _link_without_unlink),
    _m("zero-size-fast-path", "eke", "APP-GET-3", _ETR,
       "a 0-byte get creates its output at RSFL, before DONE is verified", _zero_size_fast_path),
    _m("rsfl-sha-trusted", "pki", "APP-GET-3", _PTR,
       "with RSFL.sha256 present, DONE is compared with it and the bytes are not hashed",
       _rsfl_sha_trusted),
    _m("excess-checked-at-done", "eke", "APP-STORE-4", _ETR,
       "DATA beyond the announced size is written to disk and judged only at DONE",
       _excess_checked_at_done),
    _m("sweep-atime", "eke", "APP-STORE-3", "test_eke_client_sweep_fields.py",
       "the sweep ages temporaries by st_atime: a live one created long ago is removed",
       _sweep_atime),
    _m("sweep-handshake-timeout", "pki", "APP-STORE-3", "test_client_sweep_idle_age.py",
       "the sweep's age limit is 10 s (the handshake timeout): a 30 s idle temporary goes",
       _sweep_handshake_timeout),
    _m("sigint-hard-exit", "eke", "APP-STORE-3", "test_client_sigint.py",
       "SIGINT (Ctrl-C) ends the client with os._exit: its temporary file stays",
       _sigint_hard_exit),
    _m("data-limit-control", "pki", "FRM-13", "test_client_lies.py",
       "the client applies the 64 KiB control limit to DATA payloads", _data_limit_control),
)
