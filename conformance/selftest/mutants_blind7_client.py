"""Blind red-team round 7 (brief B20): the two CLIENTS only (`sft eke get/put`, `sft get/put`).

Written blind, from docs/SPEC.md and the reference clients' code (reference/eke/client.py,
reference/pki/client.py, reference/transfer.py, reference/app.py, reference/share.py,
reference/cli/{eke,pki,options}.py, reference/pki/tls.py) only, before opening any case
file or the round-6 client mutants. Classes: (T) what it trusts from the server, (C) what
it checks and when, (D) what it leaves on disk, (X) exit status and message, (H)
handshake checks, (L) timeouts and retries, (P) put.

sft-eke/1 client (profile eke):
- b7cli-eke-data-beyond-size-buffered -> APP-GET-4 (T/C): DATA beyond the announced size
  is written and only judged at DONE (no check on the DATA header, nor at the write).
- b7cli-eke-done-size-vs-count-only -> APP-GET-3 (C): DONE.size compared with the bytes
  received only, not with RSFL.size.
- b7cli-eke-commit-replaces -> APP-GET-6 (D): the rename replaces (`os.replace`) after an
  up-front `exists()` check, which a dangling symlink passes.
- b7cli-eke-eof-mid-get-exit-0 -> APP-GET-5 (X): a connection closed mid-get is "the
  server gave up": nothing saved, exit status 0.
- b7cli-eke-exists-auto-rename -> APP-PUT-10 (P/X): a put answered `exists` is offered
  again as NAME.1 and reported as sent.
- b7cli-eke-pwfile-first-line -> PWF-1 (C): the password is `splitlines()[0]`: a second
  line or a lone CR is dropped, not refused.
- b7cli-eke-pwfile-not-utf8-replaced -> PWF-1 (C): the file is decoded with
  errors="replace".
- b7cli-eke-pwfile-error-shows-password -> PWF-1 (X): a two-line file is refused with a
  message quoting the password.
- b7cli-eke-c4-failure-as-wrong-password -> EKE-HS-7 (X): a bad EKE4 is reported "wrong
  password or unknown user", not as a server that failed to prove the password.
- b7cli-eke-invalid-y-bad-frame -> EKE-X-3 (H): an invalid Y' (0, 1, p-1, >= p) is
  answered `EROR bad_frame`, not `auth_failed`.
- b7cli-eke-no-sigterm-cleanup -> APP-STORE-3 (D): SIGTERM keeps its default action: the
  temporary file stays behind.
- b7cli-eke-no-stale-sweep -> APP-STORE-3 (D): stale `.sft-partial-*` files of a killed
  run are never swept.
- b7cli-eke-record-trailing-bytes -> EKE-REC-1 (C): a record's plaintext may hold bytes
  after its one frame (length checked with `>`).
- b7cli-eke-put-moves-source -> APP-PUT-10 (P): a successful put removes the local file
  (move semantics).
- b7cli-eke-bad-record-eror-in-clear -> EKE-REC-4 (H): a record that fails to
  authenticate is answered with a plaintext `EROR bad_frame` before the close.

sft-pki/1 initiator (profile pki):
- b7cli-pki-partial-kept -> APP-STORE-3 (D): a failed get keeps its `.sft-partial-*` file
  ("to resume later").
- b7cli-pki-placeholder-final-name -> APP-GET-6 (D): the final name is reserved (created
  empty, O_EXCL) before the transfer and replaced by the verified file.
- b7cli-pki-exists-exit-0 -> APP-PUT-10 (X): a put refused `exists` is "already there":
  exit status 0.
- b7cli-pki-silence-after-done-ok -> APP-PUT-10 (L/X): a responder silent for 2 s after
  the put's DONE is taken as a success.
- b7cli-pki-bc-noncritical-ca -> PKI-CERT-6 (H): CA:TRUE refused only when its
  BasicConstraints is critical.
- b7cli-pki-no-keyusage-check -> PKI-CERT-9 (H): KeyUsage not checked at all.
- b7cli-pki-alpn-none-accepted -> PKI-TLS-2 (H): a responder that selected no ALPN is
  accepted ("old servers").
- b7cli-pki-x448-offered -> PKI-TLS-9 (H): x448 added to the pinned groups.
- b7cli-pki-keylog-honoured -> PKI-TLS-8 (H): the client context honours SSLKEYLOGFILE.
- b7cli-pki-no-close-notify-after-error -> PKI-TLS-7 (H): after a fatal EROR the socket
  is closed bare ("the connection is broken anyway").
- b7cli-pki-sigterm-hard-exit -> APP-STORE-3 (D): SIGTERM ends the client at once
  (`os._exit`): the temporary file stays.
- b7cli-pki-sweep-own-pattern -> APP-STORE-3 (D): the sweep removes only names of its
  own format (`.sft-partial-` + 24 hex digits).
- b7cli-pki-uppercase-sha-ok -> FRM-12 (C): upper-case hex digests accepted (compared
  case-insensitively).
- b7cli-pki-rsfl-sha-authoritative -> APP-GET-3 (T): with RSFL.sha256 present, DONE.sha256
  is not compared.
- b7cli-pki-unknown-code-unsupported -> ERR-4 (T): an unknown EROR code is taken as
  `unsupported` (non-fatal).

Dropped after the blind run (written, run, then removed from MUTANTS, with the reason):
- eke handshake timeout per read (LIM-9): a real mistake, but the client's handshake
  timeout is not a declared fact (LIM-1's 10 s is the responder's): a case holding the
  client in a trickled handshake could false-FAIL a client with a longer timeout.
- eke `busy` retried forever, retry_after uncapped (LIM-9): the SPEC makes the retry a
  MAY (EKE-THR-7) and sets no bound on it: not a MUST broken.
- pki responder certificate checked for clientAuth instead of serverAuth (PKI-CERT-5):
  masked: OpenSSL's TLS-server purpose check refuses a certificate without serverAuth
  (also clientAuth + anyExtendedKeyUsage) before the client's own check runs.

Blind measure (the suite as it was, each against the test file named blind): 21 of 33
detected. Phase 2 (30 kept): all 30 detected. Escapes and what catches them now:
- eke-exists-auto-rename, pki-silence-after-done-ok (APP-PUT-10): test_client_put.py's
  responder now accepts a put offered again after a refusal (the client must still fail),
  and a new case leaves the client's DONE unanswered for 5 s, then closes.
- eke-pwfile-error-shows-password (PWF-1): test_eke_client_password_file.py checks that a
  refused file's password and second line are not in the client's output.
- eke-c4-failure-as-wrong-password (EKE-HS-7): test_eke_client.py compares what the client
  tells its user after a bad C2 and after a bad C4 (they must differ).
- pki-bc-noncritical-ca (PKI-CERT-6): test_client_pki_certs.py, the initiator's mirror of
  the responder-only kinds of test_pki_certs.py.
- pki-sweep-own-pattern (APP-STORE-3): lying_get.py plants stale temporaries whose random
  part has other shapes (both clients' sweep cases).
- pki-rsfl-sha-authoritative (APP-GET-3): a lie with RSFL.sha256 right and DONE.sha256
  wrong, in both clients' lie tables.
- Named the wrong file blind (caught by an existing case): eke-pwfile-not-utf8-replaced
  (test_eke_client_password_file.py), pki-unknown-code-unsupported
  (test_client_fatal_errors.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

# --- sft-eke/1 client ------------------------------------------------------------------


def _data_beyond_size_buffered() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        ("if self._incoming.count + length > self._incoming.announced:", "if False:"),
    )
    _patch_source(
        _module("reference.share").PartialFile,
        "write",
        ("if self.written + len(view) > self.limit:", "if False:"),
    )


def _done_size_vs_count_only() -> None:
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        ("done.size == self.announced == self.count", "done.size == self.count"),
    )


def _commit_replaces() -> None:
    _patch_source(
        _module("reference.share").PartialFile,
        "commit",
        ("if overwrite:", "if True:  # mutant: the caller checked exists()"),
    )


def _eof_mid_get_exit_0() -> None:
    client = _module("reference.eke.client")
    messages = _module("reference.messages")
    original = client.EkeClient.get

    def get(
        self: Any, name: str, destination: Path, *, overwrite: bool = False, progress: Any = None
    ) -> Any:
        try:
            return original(self, name, destination, overwrite=overwrite, progress=progress)
        except client.TransferFailed as exc:
            if exc.code is not None or not any(w in str(exc) for w in ("closed", "broken")):
                raise
            print(f"sft: {exc}", file=sys.stderr)
            return messages.Done(0, hashlib.sha256(b"").hexdigest())

    client.EkeClient.get = get


def _exists_auto_rename() -> None:
    client = _module("reference.eke.client")
    errors = _module("reference.errors")
    original = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        try:
            return str(original(self, path, name=name, progress=progress))
        except client.TransferRefused as exc:
            if exc.code is not errors.ErrorCode.EXISTS:
                raise
            return str(original(self, path, name=f"{name or path.name}.1", progress=progress))

    client.EkeClient.put = put


def _pwfile_first_line() -> None:
    cli = _module("reference.cli.eke")
    command_error = _module("reference.cli").CommandError

    def read(path: Path) -> str:
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise command_error(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise command_error("the password file is not UTF-8", 2) from None
        lines = text.splitlines()
        return lines[0] if lines else ""

    cli._read_password_file = read


def _pwfile_not_utf8_replaced() -> None:
    cli = _module("reference.cli.eke")
    command_error = _module("reference.cli").CommandError

    def read(path: Path) -> str:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise command_error(f"cannot read the password file: {exc.strerror}", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            raise command_error("the password file holds more than one line", 2)
        return password

    cli._read_password_file = read


def _pwfile_error_shows_password() -> None:
    cli = _module("reference.cli.eke")
    command_error = _module("reference.cli").CommandError

    def read(path: Path) -> str:
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise command_error(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise command_error("the password file is not UTF-8", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            raise command_error(f"the password file holds more than one line: {password!r}", 2)
        return password

    cli._read_password_file = read


def _c4_failure_as_wrong_password() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "_connect_once",
        ("raise ServerImpostor() from None", "raise LoginFailed() from None"),
    )


def _invalid_y_bad_frame() -> None:
    _patch_source(
        _module("reference.eke.crypto"),
        "pm_decode",
        (
            "if value in (0, 1, P - 1) or value >= P:\n        raise AuthenticationFailed()",
            "if value in (0, 1, P - 1) or value >= P:\n"
            '        _e = __import__("reference.errors", fromlist=["ErrorCode"])\n'
            "        raise _e.RemoteProtocolError(_e.ErrorCode.BAD_FRAME, 'invalid element')",
        ),
    )


def _no_sigterm_cleanup() -> None:
    _module("reference.cli.eke").stop_on_sigterm = lambda: None


def _no_stale_sweep() -> None:
    _module("reference.cli.eke").remove_stale_partials = lambda *args, **kwargs: 0


def _record_trailing_bytes() -> None:
    _patch_source(
        _module("reference.eke.records"),
        "_split_inner",
        ("if length != len(inner) - HEADER_SIZE:", "if length > len(inner) - HEADER_SIZE:"),
        (
            "return InnerFrame(frame_type, inner[HEADER_SIZE:])",
            "return InnerFrame(frame_type, inner[HEADER_SIZE : HEADER_SIZE + length])",
        ),
    )


def _put_moves_source() -> None:
    client = _module("reference.eke.client")
    original = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stored = str(original(self, path, name=name, progress=progress))
        os.unlink(path)  # mutant: "sent" means moved
        return stored

    client.EkeClient.put = put


def _bad_record_eror_in_clear() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "_next",
        (
            "except (AuthenticationFailed, TruncatedStream):\n        self._abandon()",
            "except (AuthenticationFailed, TruncatedStream):\n"
            '        _m = __import__("reference.messages", fromlist=["x"])\n'
            "        with contextlib.suppress(OSError, AttributeError):\n"
            "            self._sock.sendall(_m.encode_message(\n"
            "                ErrorFrame(ErrorCode.BAD_FRAME, 'bad record')))\n"
            "        self._abandon()",
        ),
    )


# --- sft-pki/1 initiator ---------------------------------------------------------------


def _partial_kept() -> None:
    share = _module("reference.share")

    def __exit__(self: Any, *exc: object) -> None:
        if not self._done:
            if self._file is not None:
                self._file.close()
                self._file = None
            self._done = True  # mutant: kept to resume later
            self._untrack()
            self._release_dir()

    share.PartialFile.__exit__ = __exit__


def _placeholder_final_name() -> None:
    transfer = _module("reference.transfer")
    original = transfer.Initiator.get

    def get(
        self: Any, name: str, destination: Path, *, overwrite: bool = False, progress: Any = None
    ) -> Any:
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists (use --force to replace it)")
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        try:
            return original(self, name, destination, overwrite=True, progress=progress)
        except BaseException:
            os.unlink(destination)
            raise

    transfer.Initiator.get = get


def _exists_exit_0() -> None:
    client = _module("reference.pki.client")
    original = client.PkiSession.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        try:
            return str(original(self, source, name, progress=progress))
        except client.PkiClientError as exc:
            if "already has a file" not in str(exc):
                raise
            print(f"sft: {exc}: nothing to do", file=sys.stderr)
            return name or source.name

    client.PkiSession.put = put


def _silence_after_done_ok() -> None:
    _patch_source(
        _module("reference.transfer").Initiator,
        "put",
        (
            "ack = self._answer()",
            "self.channel.stream.settimeout(2.0)\n"
            "            try:\n"
            "                ack = self._answer()\n"
            "            except TimeoutError:\n"
            "                return accepted.name  # mutant: no news is good news",
        ),
    )


def _bc_noncritical_ca() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "check_peer_certificate",
        ("if bc.value.ca or not bc.critical:", "if bc.value.ca and bc.critical:"),
    )


def _no_keyusage_check() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate has no key usage") from None',
            "ku = None",
        ),
        ("if not ku.digital_signature:", "if False:"),
    )


def _alpn_none_accepted() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "peer_alias",
        (
            "if sock.selected_alpn_protocol() != ALPN:",
            "if sock.selected_alpn_protocol() not in (ALPN, None):",
        ),
    )


def _x448_offered() -> None:
    tls = _module("reference.pki.tls")
    tls.TLS13_GROUPS = tls.TLS13_GROUPS + ":x448"


def _keylog_honoured() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "_base_context",
        (
            "ctx.keylog_filename = None  # type: ignore[assignment]",
            'ctx.keylog_filename = os.environ.get("SSLKEYLOGFILE")  # type: ignore[assignment]',
        ),
    )


def _no_close_notify_after_error() -> None:
    client = _module("reference.pki.client")
    app = _module("reference.app")
    original = client.PkiSession.close

    def close(self: Any) -> None:
        if self._initiator.channel.conn.state is app.InitiatorState.CLOSED:
            self._sock.close()  # mutant: broken anyway, no close_notify
            return
        original(self)

    client.PkiSession.close = close


def _sigterm_hard_exit() -> None:
    import signal

    def stop_on_sigterm() -> None:
        signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(130))

    _module("reference.cli.pki").stop_on_sigterm = stop_on_sigterm


def _sweep_own_pattern() -> None:
    transfer = _module("reference.transfer")
    original = transfer.remove_stale_partials
    own = re.compile(r"\.sft-partial-[0-9a-f]{24}")

    def remove_stale_partials(directory: Path, *, older_than: float | None = None) -> int:
        removed = 0
        cutoff = None if older_than is None else __import__("time").time() - older_than
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return 0
        for entry in entries:
            if not own.fullmatch(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if cutoff is not None and info.st_mtime > cutoff:
                    continue
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
        return removed

    assert original is not None
    transfer.remove_stale_partials = remove_stale_partials


def _uppercase_sha_ok() -> None:
    frames = _module("reference.frames")
    frames._SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        ("done.sha256 == sha", "done.sha256.lower() == sha"),
        ("self.expected_sha256 != sha", "self.expected_sha256.lower() != sha"),
    )


def _rsfl_sha_authoritative() -> None:
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        (
            "done.sha256 == sha",
            "(self.expected_sha256 is not None or done.sha256 == sha)",
        ),
    )


def _unknown_code_unsupported() -> None:
    errors = _module("reference.errors")

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value)
        except ValueError:
            return cls.UNSUPPORTED  # mutant: "an operation this client does not know"

    errors.ErrorCode.from_wire = classmethod(from_wire)


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b7cli-{profile}-{name}",
        group="blind7-client",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


_EC = "test_eke_client.py"
_ET = "test_eke_client_transfer.py"
_EP = "test_eke_client_password_file.py"
_PT = "test_pki_initiator_transfer.py"
_PUT = "test_client_put.py"
_FATAL = "test_client_fatal_errors.py"

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "data-beyond-size-buffered",
        "eke",
        "APP-GET-4",
        _ET,
        "DATA beyond the announced size written, judged only at DONE",
        _data_beyond_size_buffered,
    ),
    _m(
        "done-size-vs-count-only",
        "eke",
        "APP-GET-3",
        _ET,
        "DONE.size compared with the count only, not RSFL.size",
        _done_size_vs_count_only,
    ),
    _m(
        "commit-replaces",
        "eke",
        "APP-GET-6",
        _ET,
        "the rename replaces after an exists() check a dangling symlink passes",
        _commit_replaces,
    ),
    _m(
        "eof-mid-get-exit-0",
        "eke",
        "APP-GET-5",
        _ET,
        "a connection closed mid-get ends with exit status 0",
        _eof_mid_get_exit_0,
    ),
    _m(
        "exists-auto-rename",
        "eke",
        "APP-PUT-10",
        _PUT,
        "a put refused `exists` is offered again as NAME.1",
        _exists_auto_rename,
    ),
    _m(
        "pwfile-first-line",
        "eke",
        "PWF-1",
        _EP,
        "the password is the file's splitlines()[0]",
        _pwfile_first_line,
    ),
    _m(
        "pwfile-not-utf8-replaced",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "the password file decoded with errors='replace'",
        _pwfile_not_utf8_replaced,
    ),
    _m(
        "pwfile-error-shows-password",
        "eke",
        "PWF-1",
        _EP,
        "a two-line password file refused quoting the password",
        _pwfile_error_shows_password,
    ),
    _m(
        "c4-failure-as-wrong-password",
        "eke",
        "EKE-HS-7",
        _EC,
        "a bad EKE4 reported as a wrong password",
        _c4_failure_as_wrong_password,
    ),
    _m(
        "invalid-y-bad-frame",
        "eke",
        "EKE-X-3",
        _EC,
        "an invalid Y' answered bad_frame, not auth_failed",
        _invalid_y_bad_frame,
    ),
    _m(
        "no-sigterm-cleanup",
        "eke",
        "APP-STORE-3",
        _ET,
        "SIGTERM keeps its default action: the temporary stays",
        _no_sigterm_cleanup,
    ),
    _m(
        "no-stale-sweep",
        "eke",
        "APP-STORE-3",
        _ET,
        "stale temporaries of a killed run never swept",
        _no_stale_sweep,
    ),
    _m(
        "record-trailing-bytes",
        "eke",
        "EKE-REC-1",
        _ET,
        "bytes after a record's one frame ignored",
        _record_trailing_bytes,
    ),
    _m(
        "put-moves-source",
        "eke",
        "APP-PUT-10",
        _PUT,
        "a successful put removes the local file",
        _put_moves_source,
    ),
    _m(
        "bad-record-eror-in-clear",
        "eke",
        "EKE-REC-4",
        _ET,
        "a bad record answered with a plaintext EROR",
        _bad_record_eror_in_clear,
    ),
    _m(
        "partial-kept",
        "pki",
        "APP-STORE-3",
        _PT,
        "a failed get keeps its temporary file",
        _partial_kept,
    ),
    _m(
        "placeholder-final-name",
        "pki",
        "APP-GET-6",
        _PT,
        "the final name reserved empty before the transfer",
        _placeholder_final_name,
    ),
    _m(
        "exists-exit-0", "pki", "APP-PUT-10", _PUT, "a put refused `exists` exits 0", _exists_exit_0
    ),
    _m(
        "silence-after-done-ok",
        "pki",
        "APP-PUT-10",
        _PUT,
        "2 s of silence after the put's DONE taken as success",
        _silence_after_done_ok,
    ),
    _m(
        "bc-noncritical-ca",
        "pki",
        "PKI-CERT-6",
        "test_client_pki_certs.py",
        "CA:TRUE refused only when critical",
        _bc_noncritical_ca,
    ),
    _m(
        "no-keyusage-check",
        "pki",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "KeyUsage not checked",
        _no_keyusage_check,
    ),
    _m(
        "alpn-none-accepted",
        "pki",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "a responder that selected no ALPN accepted",
        _alpn_none_accepted,
    ),
    _m(
        "x448-offered",
        "pki",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "x448 added to the pinned groups",
        _x448_offered,
    ),
    _m(
        "keylog-honoured",
        "pki",
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "the client context honours SSLKEYLOGFILE",
        _keylog_honoured,
    ),
    _m(
        "no-close-notify-after-error",
        "pki",
        "PKI-TLS-7",
        _FATAL,
        "after a fatal EROR the socket closed without close_notify",
        _no_close_notify_after_error,
    ),
    _m(
        "sigterm-hard-exit",
        "pki",
        "APP-STORE-3",
        _PT,
        "SIGTERM ends the client with os._exit: the temporary stays",
        _sigterm_hard_exit,
    ),
    _m(
        "sweep-own-pattern",
        "pki",
        "APP-STORE-3",
        _PT,
        "only temporaries of its own name format swept",
        _sweep_own_pattern,
    ),
    _m(
        "uppercase-sha-ok",
        "pki",
        "FRM-12",
        _PT,
        "upper-case hex digests accepted",
        _uppercase_sha_ok,
    ),
    _m(
        "rsfl-sha-authoritative",
        "pki",
        "APP-GET-3",
        _PT,
        "DONE.sha256 not compared when RSFL.sha256 is present",
        _rsfl_sha_authoritative,
    ),
    _m(
        "unknown-code-unsupported",
        "pki",
        "ERR-4",
        _FATAL,
        "an unknown EROR code taken as unsupported (non-fatal)",
        _unknown_code_unsupported,
    ),
)
