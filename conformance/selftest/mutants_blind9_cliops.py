"""Blind red-team round 9 (cliops, B32): the clients as people run them.

`sft eke get/put` and `sft get/put` (pki): exit statuses, temporaries and the final
rename, signals, a second run reusing an output path, the put's source file.
Every mutant is the reference's CLIENT (client=True), patched in its own process.

Written but not registered: `_eke_dir_output_forces` (`-o DIR` replaces DIR/basename
without --force). Not a black-box gap: the target contract's `{out}` is the output
FILE (conformance/README.md), so no case may pass a directory there; an implementation
need not support `-o DIR` at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


# -- get: the output path -------------------------------------------------------------


def _eke_get_always_force() -> None:
    """A second run reusing an output path silently replaces the user's file."""
    client = _module("reference.eke.client")
    orig = client.EkeClient.get

    def get(self: Any, name: str, destination: Path, *, overwrite: bool = False,
            progress: Any = None) -> Any:
        return orig(self, name, destination, overwrite=True, progress=progress)

    client.EkeClient.get = get


def _pki_get_always_force() -> None:
    transfer = _module("reference.transfer")
    orig = transfer.Initiator.get

    def get(self: Any, name: str, destination: Path, *, overwrite: bool = False,
            progress: Any = None) -> Any:
        return orig(self, name, destination, overwrite=True, progress=progress)

    transfer.Initiator.get = get


def _commit_with_rename() -> None:
    """The final rename uses rename(2), which replaces whatever appeared at the final name
    (a symlink, dangling or not, the exists() check did not see)."""
    share = _module("reference.share")

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if self._file is None:
            raise ValueError("the partial file is closed")
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        try:
            os.rename(self.temp_name, self.final_name, src_dir_fd=self._dir_fd,
                      dst_dir_fd=self._dir_fd)
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._untrack()
        os.fsync(self._dir_fd)
        self._release_dir()

    share.PartialFile.commit = commit


def _exists_follows_links() -> None:
    """The existence check follows symlinks, and the get writes through a dangling one."""
    client = _module("reference.eke.client")
    orig = client.EkeClient.get

    def get(self: Any, name: str, destination: Path, *, overwrite: bool = False,
            progress: Any = None) -> Any:
        if destination.is_symlink() and not destination.exists():
            target = Path(os.path.join(destination.parent, os.readlink(destination)))
            return orig(self, name, target, overwrite=overwrite, progress=progress)
        return orig(self, name, destination, overwrite=overwrite, progress=progress)

    client.EkeClient.get = get


def _eke_get_rsfl_name() -> None:
    """The get is stored under the responder's RSFL.name (basename) when it differs."""
    client = _module("reference.eke.client")
    orig = client.EkeClient._receive

    def _receive(self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool,
                 progress: Any) -> Any:
        base = str(answer.name).rsplit("/", 1)[-1]
        if base and base not in (".", "..") and base != destination.name:
            destination = destination.parent / base
        return orig(self, stream, answer, destination, overwrite, progress)

    client.EkeClient._receive = _receive


# -- get: temporaries -----------------------------------------------------------------


def _abort_keeps_temporary() -> None:
    """A failed get closes its temporary file but forgets to remove it."""
    share = _module("reference.share")

    def abort(self: Any) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._done = True
        self._untrack()
        self._release_dir()

    share.PartialFile.abort = abort


def _temporary_prefix(prefix: str) -> Any:
    """The get's temporary is named with another prefix than the reserved one."""

    def apply() -> None:
        share = _module("reference.share")
        share.PARTIAL_PREFIX = prefix

    return apply


def _temporary_mode_0644() -> None:
    """The get's temporary file is created world-readable (0644), not 0600."""
    share = _module("reference.share")
    real_open = os.open

    class _Os:
        def __getattr__(self, attr: str) -> Any:
            return getattr(os, attr)

        @staticmethod
        def open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
            if isinstance(path, str) and path.startswith(".sft-partial-"):
                fd = real_open(path, flags, 0o644, dir_fd=dir_fd)
                os.fchmod(fd, 0o644)
                return fd
            return real_open(path, flags, mode, dir_fd=dir_fd)

    share.os = _Os()


def _sweep_fresh_temporaries() -> None:
    """The sweep of stale temporaries removes every `.sft-partial-*` of the output
    directory, also a live one another initiator is writing."""
    transfer = _module("reference.transfer")
    cli_eke = _module("reference.cli.eke")
    orig = transfer.remove_stale_partials

    def sweep(directory: Path, *, older_than: float | None = None) -> int:
        return int(orig(directory, older_than=None))

    transfer.remove_stale_partials = sweep
    cli_eke.remove_stale_partials = sweep


def _no_sigterm_handler() -> None:
    """SIGTERM is left at its default action: the client dies with its temporary file."""
    cli_ca = _module("reference.cli.ca")
    cli_eke = _module("reference.cli.eke")
    cli_pki = _module("reference.cli.pki")

    def nothing() -> None:
        return None

    cli_ca.stop_on_sigterm = nothing
    cli_eke.stop_on_sigterm = nothing
    cli_pki.stop_on_sigterm = nothing


# -- put: exit statuses and the source file -------------------------------------------


def _eke_put_refusal_is_success() -> None:
    """A refused PUTF (exists, too_large, ...) is reported as success: exit 0."""
    client = _module("reference.eke.client")
    orig = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        try:
            return str(orig(self, path, name=name, progress=progress))
        except client.TransferRefused:
            return name or path.name

    client.EkeClient.put = put


def _pki_put_eror_is_success() -> None:
    """An EROR in place of the responder's DONE (after all DATA was sent) counts as
    stored: the put exits 0."""
    transfer = _module("reference.transfer")
    orig = transfer.Initiator._answer

    def _answer(self: Any) -> Any:
        before = getattr(self.channel.conn.state, "name", "")
        try:
            return orig(self)
        except transfer.TransferFailed:
            if before == "DONE_SENT":
                return transfer.Done(0, "")
            raise

    transfer.Initiator._answer = _answer


def _pki_put_closed_is_success() -> None:
    """The end of the connection in place of the responder's DONE counts as stored."""
    transfer = _module("reference.transfer")
    orig = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        sent: list[bool] = []
        inner = self.channel.send_file

        def send_file(*a: Any, **kw: Any) -> Any:
            r = inner(*a, **kw)
            sent.append(True)
            return r

        self.channel.send_file = send_file
        try:
            return str(orig(self, source, name, progress=progress))
        except transfer.TransferFailed as exc:
            if sent and (not exc.remote or "closed" in exc.message):
                return name or source.name
            raise

    transfer.Initiator.put = put


def _eke_put_closed_is_success() -> None:
    client = _module("reference.eke.client")
    orig = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        done: list[int] = []

        def progress2(sent: int, size: int) -> None:
            if sent >= size:
                done.append(1)
            if progress is not None:
                progress(sent, size)

        try:
            return str(orig(self, path, name=name, progress=progress2))
        except client.TransferFailed as exc:
            if done and not isinstance(exc, client.TransferRefused) and exc.code is None:
                return name or path.name
            raise

    client.EkeClient.put = put


def _eke_put_moves_source() -> None:
    """`put` behaves like `mv`: the local file is removed once the server stored it."""
    client = _module("reference.eke.client")
    orig = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stored = str(orig(self, path, name=name, progress=progress))
        os.unlink(path)
        return stored

    client.EkeClient.put = put


def _pki_put_data_after_refusal() -> None:
    """A refused PUTF is followed by the DATA anyway (then the put fails)."""
    transfer = _module("reference.transfer")
    orig = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        try:
            return str(orig(self, source, name, progress=progress))
        except transfer.TransferRefused:
            data = source.read_bytes()
            frame = b"DATA" + len(data).to_bytes(4, "big") + data
            self.channel.stream.sendall(frame)
            raise

    transfer.Initiator.put = put


def _pwf_strip() -> None:
    """The password file is stripped of all surrounding white space."""
    cli_eke = _module("reference.cli.eke")
    orig = cli_eke._read_password_file

    def read(path: Path) -> str:
        return str(orig(path)).strip()

    cli_eke._read_password_file = read



# -- probes added after the first run (still written before reading any case) ------


def _eke_dir_output_forces() -> None:
    """`-o DIR`: the directory branch forgets the no-overwrite rule for DIR/basename."""
    cli_eke = _module("reference.cli.eke")
    orig = cli_eke._get

    def _get(args: Any) -> int:
        if args.output is not None and args.output.is_dir():
            args.force = True
        return int(orig(args))

    cli_eke._get = _get


def _pki_put_renames_source() -> None:
    """`sft put` marks a sent file by renaming it to NAME.sent once stored."""
    transfer = _module("reference.transfer")
    orig = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        stored = str(orig(self, source, name, progress=progress))
        os.rename(source, str(source) + ".sent")
        return stored

    transfer.Initiator.put = put


def _eke_no_eror_on_integrity() -> None:
    """The eke client closes on a failed get without sending EROR integrity_failed."""
    client = _module("reference.eke.client")
    orig = client.EkeClient._next

    def _next(self: Any, stream: Any) -> Any:
        real_send = stream.send

        def send(message: Any) -> Any:
            if type(message).__name__ == "ErrorFrame":
                return None
            return real_send(message)

        stream.send = send
        try:
            return orig(self, stream)
        finally:
            stream.send = real_send

    client.EkeClient._next = _next


def _pki_integrity_exit0() -> None:
    """`sft get` reports a failed integrity check as a warning: nothing kept, exit 0."""
    pki_client = _module("reference.pki.client")
    orig = pki_client.PkiSession.get

    def get(self: Any, name: str, destination: Path, *, overwrite: bool = False,
            progress: Any = None) -> int:
        try:
            return int(orig(self, name, destination, overwrite=overwrite, progress=progress))
        except pki_client.PkiClientError as exc:
            if "integrity" in str(exc):
                return 0
            raise

    pki_client.PkiSession.get = get

def _m(name: str, profile: str, req: str, test_file: str, desc: str, apply: Any) -> Mutant:
    return Mutant(name=f"b9clo-{name}", group="b9clo", profile=profile, requirement=req,
                  test_file=test_file, description=desc, apply=apply, client=True)


_ALL: tuple[Mutant, ...] = (
    _m("eke-get-always-force", "eke", "APP-GET-6", "test_eke_client_transfer.py",
       "eke get replaces an existing output file without --force", _eke_get_always_force),
    _m("pki-get-always-force", "pki", "APP-GET-6", "test_pki_initiator_transfer.py",
       "pki get replaces an existing output file without --force", _pki_get_always_force),
    _m("get-rename-replaces-link", "eke", "APP-GET-6", "test_eke_client_transfer.py",
       "final rename with rename(2): a dangling symlink at the output is replaced",
       _commit_with_rename),
    _m("get-writes-through-link", "eke", "APP-GET-6", "test_client_lies.py",
       "a dangling symlink at the output path is followed and its target written",
       _exists_follows_links),
    _m("eke-get-rsfl-name", "eke", "APP-GET-7", "test_eke_client_transfer.py",
       "eke get stores under RSFL.name's basename when it differs from the request",
       _eke_get_rsfl_name),
    _m("get-abort-keeps-temp", "pki", "APP-STORE-3", "test_pki_initiator_transfer.py",
       "a failed get leaves its .sft-partial- temporary behind", _abort_keeps_temporary),
    _m("get-temp-prefix", "eke", "APP-STORE-1", "test_eke_client_transfer.py",
       "the get's temporary is named .partial-* not .sft-partial-*",
       _temporary_prefix(".partial-")),
    _m("get-temp-mode-0644", "eke", "APP-STORE-1", "test_eke_client_transfer.py",
       "the get's temporary is created 0644", _temporary_mode_0644),
    # (lead, after B32's report: the same two planted in the pki initiator, whose kill
    # cases had not been seen to judge the temporary's prefix and mode)
    _m("pki-get-temp-prefix", "pki", "APP-STORE-1", "test_pki_initiator_transfer.py",
       "the pki get's temporary is named .partial-* not .sft-partial-*",
       _temporary_prefix(".partial-")),
    _m("pki-get-temp-mode-0644", "pki", "APP-STORE-1", "test_pki_initiator_transfer.py",
       "the pki get's temporary is created 0644", _temporary_mode_0644),
    _m("get-sweep-live-temp", "pki", "APP-STORE-3", "test_pki_initiator_transfer.py",
       "the get sweeps fresh .sft-partial-* files of another live initiator",
       _sweep_fresh_temporaries),
    _m("get-sigterm-default", "eke", "APP-STORE-3", "test_eke_client_transfer.py",
       "SIGTERM kills the client at the default action: its temporary stays",
       _no_sigterm_handler),
    _m("eke-put-refusal-exit0", "eke", "APP-PUT-10", "test_client_put.py",
       "eke put exits 0 when its PUTF is refused", _eke_put_refusal_is_success),
    _m("pki-put-eror-exit0", "pki", "APP-PUT-10", "test_client_put.py",
       "pki put exits 0 when EROR comes in place of DONE", _pki_put_eror_is_success),
    _m("pki-put-close-exit0", "pki", "APP-PUT-10", "test_client_put.py",
       "pki put exits 0 when the connection ends in place of DONE",
       _pki_put_closed_is_success),
    _m("eke-put-close-exit0", "eke", "APP-PUT-10", "test_client_put.py",
       "eke put exits 0 when the connection ends in place of DONE",
       _eke_put_closed_is_success),
    _m("eke-put-moves-source", "eke", "APP-PUT-10", "test_client_put.py",
       "eke put removes the local source after a stored put", _eke_put_moves_source),
    _m("pki-put-data-after-refusal", "pki", "APP-PUT-10", "test_client_put.py",
       "pki put sends DATA after a refused PUTF", _pki_put_data_after_refusal),
    _m("eke-pwf-strip", "eke", "PWF-1", "test_eke_client_password_file.py",
       "eke client strips white space around the password file's line", _pwf_strip),
    _m("pki-put-renames-source", "pki", "APP-PUT-10", "test_client_put.py",
       "pki put renames the sent file to NAME.sent once stored", _pki_put_renames_source),
    _m("eke-get-no-eror", "eke", "APP-GET-3", "test_eke_client_transfer.py",
       "eke client fails a bad get without sending EROR integrity_failed",
       _eke_no_eror_on_integrity),
    _m("pki-get-integrity-exit0", "pki", "APP-GET-3", "test_pki_initiator_transfer.py",
       "pki get exits 0 after a failed integrity check (nothing kept)", _pki_integrity_exit0),
)

MUTANTS: tuple[Mutant, ...] = _ALL
