"""Blind red-team round 9, second client team (`b9cl2-`): the clients as programs people run.

Written blind (docs/SPEC.md and the reference's clients only), through five lenses:

- command line and environment (L1): `SSLKEYLOGFILE` honoured, `SSL_CERT_FILE` trusted
  beside the organisation root, the temporary file put in `$TMPDIR` or the working
  directory, the sweep run on the working directory, a password file split with
  `str.splitlines` or stripped of every line end;
- process lifetime (L2): no SIGTERM handler (the temporary outlives a SIGTERM), a SIGTERM
  handler that exits 0 in the middle of a put, `exists` taken for success (at PUTF or in
  place of DONE), the client's own EROR quoting part of the password key;
- time (L3): `retry_after` read as milliseconds, ignored for the client's own backoff, or
  jittered below its value;
- the file system (L4): the commit replacing or writing through the output name (a
  dangling symlink, a file that appeared meanwhile), a temporary named after the final
  name, a temporary created before the request and left by a refusal, a put that reads
  its source to EOF instead of the size it announced, a put that removes its source;
- the second of everything (L5): no sweep of stale temporaries.

Blind measure (before any case was changed): 19 of 29 detected; 27 of 29 after phase 2:
the SIGTERM put (test_client_lifetime.py), the temporary's random part and place
(test_client_temporaries.py), every retry after `busy` (test_eke_client_busy_retries.py);
two were caught by existing files they were not pointed at (test_client_put.py,
test_pki_certs.py). Dropped after the blind run: two `sweep-short` mutants (a sweep of
temporaries 5 s or 10 s old, so that another live initiator's is removed).
APP-STORE-3's "longer than the idle timeout" does not say whose (a client may be
configured with a short one of its own), so a case planting a 30-s-old temporary could
FAIL a correctly configured client; a target fact for the client's idle timeout would
make it judgeable.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


# -- L2: signals -----------------------------------------------------------------------------


def _no_sigterm_eke() -> None:
    # The client never installs a SIGTERM handler: default action, nothing cleaned.
    _module("reference.cli.eke").stop_on_sigterm = lambda: None


def _no_sigterm_pki() -> None:
    _module("reference.cli.pki").stop_on_sigterm = lambda: None


def _sigterm_exit0() -> Callable[[], None]:
    def handler(signum: int, frame: object) -> None:
        sys.exit(0)  # "a clean shutdown"

    def install() -> None:
        signal.signal(signal.SIGTERM, handler)

    return install


def _sigterm_exit0_eke() -> None:
    _module("reference.cli.eke").stop_on_sigterm = _sigterm_exit0()


def _sigterm_exit0_pki() -> None:
    _module("reference.cli.pki").stop_on_sigterm = _sigterm_exit0()


# -- L2: exit status ---------------------------------------------------------------------------


def _eke_put_exists_ok() -> None:
    client = _module("reference.eke.client")
    errors = _module("reference.errors")
    original = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        try:
            stored: str = original(self, path, name=name, progress=progress)
        except client.TransferRefused as exc:
            if exc.code is not errors.ErrorCode.EXISTS:
                raise
            return name or path.name  # "already uploaded": nothing to do
        return stored

    client.EkeClient.put = put


def _pki_put_exists_at_done_ok() -> None:
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    messages = _module("reference.messages")

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        name = name or source.name
        _module("reference.share").check_name(name)
        with source.open("rb", buffering=0) as f:
            size = f.seek(0, 2)
            f.seek(0)
            try:
                self.channel.send(messages.PutRequest(name, size))
                accepted = self._answer()
                self.channel.send_file(f.readinto, size, progress)
                try:
                    self._answer()
                except transfer.TransferRefused as exc:
                    # `exists` instead of DONE: a concurrent put of the same name won;
                    # the file is there, so the upload "succeeded".
                    if exc.code is not errors.ErrorCode.EXISTS:
                        raise
                stored: str = accepted.name
                return stored
            except errors.ProtocolError as exc:
                raise self._guard(exc) from None
            except TimeoutError:
                raise self._guard(
                    errors.RemoteProtocolError(errors.ErrorCode.TIMEOUT, "stalled")
                ) from None

    transfer.Initiator.put = put


def _eke_eror_quotes_key() -> None:
    hs = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def _fail(self: Any, exc: Any) -> None:
        if self._failure is None and self.state is not hs.HandshakeState.CLOSED:
            if self._should_answer(exc):
                message = hs._public_message(exc)
                pw = getattr(self, "_pw", None)
                if exc.code is errors.ErrorCode.AUTH_FAILED and pw is not None:
                    # A "key id" so that an operator can tell mismatched passwords apart.
                    message = f"C2 did not verify (key id {pw.hex()[:16]})"
                self._outbox += frames.encode_error(exc.code, message)
        self._failure = exc.detached()
        self.state = hs.HandshakeState.CLOSED

    hs.ClientHandshake._fail = _fail


# -- L1: environment ------------------------------------------------------------------------


def _pki_keylog() -> None:
    client = _module("reference.pki.client")
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog:  # "debugging with Wireshark"
            ctx.keylog_filename = keylog
        return ctx

    client.client_context = client_context


def _pki_system_trust() -> None:
    client = _module("reference.pki.client")
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.load_default_certs()  # honours SSL_CERT_FILE / SSL_CERT_DIR
        return ctx

    client.client_context = client_context


def _pwf_rstrip() -> None:
    def read(path: Path) -> str:
        cli = _module("reference.cli")
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise cli.CommandError(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise cli.CommandError("the password file is not UTF-8", 2) from None
        password = text.rstrip("\r\n")  # every line end, whatever the editor left
        if "\r" in password or "\n" in password:
            raise cli.CommandError("the password file holds more than one line", 2)
        return password

    _module("reference.cli.eke")._read_password_file = read


def _pwf_splitlines() -> None:
    def read(path: Path) -> str:
        cli = _module("reference.cli")
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise cli.CommandError(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise cli.CommandError("the password file is not UTF-8", 2) from None
        body = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in body or "\n" in body:
            raise cli.CommandError("the password file holds more than one line", 2)
        lines = text.splitlines()  # also splits at \v, \f, \x1c-\x1e, \x85, U+2028/9
        return lines[0] if lines else ""

    _module("reference.cli.eke")._read_password_file = read


# -- L4: where the temporary lives ------------------------------------------------------------


def _tmp_elsewhere(where: str) -> None:
    share = _module("reference.share")
    cls = share.PartialFile

    def create(klass: Any, destination: Path, limit: int) -> Any:
        directory = tempfile.gettempdir() if where == "tmpdir" else os.getcwd()
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            # The final name as an absolute path: link() ignores dir_fd for it.
            return klass(
                dir_fd,
                str(destination.absolute()),
                limit,
                owns_dir_fd=True,
                directory=Path(directory),
            )
        except BaseException:
            os.close(dir_fd)
            raise

    cls.create = classmethod(create)


def _tmp_in_tmpdir() -> None:
    _tmp_elsewhere("tmpdir")


def _tmp_in_cwd() -> None:
    _tmp_elsewhere("cwd")


def _tmp_named_after_final() -> None:
    share = _module("reference.share")
    cls = share.PartialFile
    original_init = cls.__init__

    def init(self: Any, dir_fd: int, final_name: str, limit: int, **kwargs: Any) -> None:
        kept = share.secrets
        share.secrets = _FixedToken(final_name)
        try:
            original_init(self, dir_fd, final_name, limit, **kwargs)
        finally:
            share.secrets = kept

    cls.__init__ = init


class _FixedToken:
    """`secrets` whose token is the final name: `.sft-partial-NAME`, one per name."""

    def __init__(self, name: str) -> None:
        self._name = name

    def token_hex(self, n: int = 12) -> str:
        return self._name


def _tmp_before_request() -> None:
    client = _module("reference.eke.client")
    share = _module("reference.share")
    original = client.EkeClient.get

    def get(self: Any, name: str, destination: Path, **kwargs: Any) -> Any:
        # The output is prepared before asking (a full disk is found early) ...
        early = None
        if not destination.exists() and destination.parent.is_dir():
            early = share.PartialFile.create(destination, 1 << 62)
        done = original(self, name, destination, **kwargs)
        # ... and dropped once the real one is committed; a refusal leaves it.
        if early is not None:
            early.abort()
        return done

    client.EkeClient.get = get


# -- L4: the commit -------------------------------------------------------------------------


def _commit_replace() -> None:
    cls = _module("reference.share").PartialFile
    original = cls.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        # rename(2) is atomic, so "no partial file under the final name" holds; the
        # existence was checked before the request.
        original(self, overwrite=True)

    cls.commit = commit


def _commit_copy() -> None:
    cls = _module("reference.share").PartialFile

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if self._file is None:
            raise ValueError("the partial file is closed")
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        # Copy, then drop the temporary: works across file systems too.
        src = os.open(self.temp_name, os.O_RDONLY, dir_fd=self._dir_fd)
        dst = os.open(
            self.final_name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=self._dir_fd
        )
        try:
            with (
                io.FileIO(src, "rb", closefd=False) as fin,
                io.FileIO(dst, "wb", closefd=False) as fout,
            ):
                while chunk := fin.read(1 << 20):
                    fout.write(chunk)
            os.fsync(dst)
        finally:
            os.close(src)
            os.close(dst)
        os.unlink(self.temp_name, dir_fd=self._dir_fd)
        self._done = True
        self._untrack()
        self._release_dir()

    cls.commit = commit


# -- L4: the put's source -----------------------------------------------------------------


def _eke_put_to_eof() -> None:
    client = _module("reference.eke.client")
    messages = _module("reference.messages")

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stream = self._require()
        size = os.stat(path).st_size
        try:
            stream.send(messages.PutRequest(name or path.name, size))
        except OSError as exc:
            self._abandon()
            raise client.TransferFailed(f"connection lost: {exc}") from None
        answer = self._next(stream)
        if not isinstance(answer, messages.PutAccepted):
            raise client.TransferFailed("unexpected answer from the server")
        # The size was announced; the loop reads the file to its end.
        stream.app._outgoing.announced = 1 << 62
        with open(path, "rb", buffering=0) as file:
            try:
                while stream.send_file_chunk(file, 1 << 20):
                    pass
                stream.send(stream.app.outgoing_done())
            except OSError as exc:
                self._abandon()
                raise client.TransferFailed(f"connection lost: {exc}") from None
        done = self._next(stream)
        if not isinstance(done, messages.Done):
            raise client.TransferFailed("unexpected answer from the server")
        stored: str = answer.name
        return stored

    client.EkeClient.put = put


def _pki_put_moves_source() -> None:
    transfer = _module("reference.transfer")
    original = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        stored: str = original(self, source, name, progress=progress)
        with contextlib.suppress(OSError):
            os.unlink(source)  # sent: "move" semantics
        return stored

    transfer.Initiator.put = put


# -- L3: busy ---------------------------------------------------------------------------------


def _busy_connect(wait_for: Any) -> None:
    client = _module("reference.eke.client")

    def connect(self: Any) -> Any:
        tries = 0
        while True:
            tries += 1
            try:
                return self._connect_once()
            except client.ServerBusy as exc:
                if tries > self.config.busy_retries:
                    raise client.ServerBusy(exc.retry_after, tries) from None
                time.sleep(wait_for(exc.retry_after, tries))

    client.EkeClient.connect = connect


def _busy_ms() -> None:
    # retry_after read as milliseconds (the unit of the HTTP library the author knew).
    _busy_connect(lambda after, tries: (after if after is not None else 1000) / 1000)


def _busy_own_backoff() -> None:
    # The pki client's policy copied: 0.2 s doubling, retry_after not read.
    _busy_connect(lambda after, tries: min(2.0, 0.2 * 2 ** (tries - 1)))


def _busy_symmetric_jitter() -> None:
    # +-50 % around retry_after: half the retries come early.
    _busy_connect(
        lambda after, tries: (after if after is not None else 1) * (0.5 + random.random())
    )


# -- L5: the sweep ------------------------------------------------------------------------


def _pki_no_sweep() -> None:
    _module("reference.transfer").remove_stale_partials = lambda *a, **k: 0


def _eke_sweep_cwd() -> None:
    cli = _module("reference.cli.eke")
    original = cli.remove_stale_partials

    def sweep(directory: Path, *, older_than: float | None = None) -> int:
        removed: int = original(Path("."), older_than=older_than)
        return removed

    cli.remove_stale_partials = sweep


_C = "test_eke_client_transfer.py"
_P = "test_pki_initiator_transfer.py"
_PUT = "test_client_put.py"
_LIFE = "test_client_lifetime.py"
_TMP = "test_client_temporaries.py"


def _m(name: str, profile: str, req: str, test_file: str, desc: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group="blind9-client2",
        profile=profile,
        requirement=req,
        test_file=test_file,
        description=desc,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # L2 signals
    _m(
        "b9cl2-eke-no-sigterm-handler",
        "eke",
        "APP-STORE-3",
        _C,
        "L2: no SIGTERM handler: a SIGTERM mid-get leaves the temporary",
        _no_sigterm_eke,
    ),
    _m(
        "b9cl2-pki-no-sigterm-handler",
        "pki",
        "APP-STORE-3",
        _P,
        "L2: no SIGTERM handler: a SIGTERM mid-get leaves the temporary",
        _no_sigterm_pki,
    ),
    _m(
        "b9cl2-eke-put-sigterm-exit0",
        "eke",
        "APP-PUT-10",
        _LIFE,
        "L2: SIGTERM handler exits 0: a put stopped before DONE reports success",
        _sigterm_exit0_eke,
    ),
    _m(
        "b9cl2-pki-put-sigterm-exit0",
        "pki",
        "APP-PUT-10",
        _LIFE,
        "L2: SIGTERM handler exits 0: a put stopped before DONE reports success",
        _sigterm_exit0_pki,
    ),
    # L2 exit status and output
    _m(
        "b9cl2-eke-put-exists-ok",
        "eke",
        "APP-PUT-10",
        _PUT,
        "L2: `exists` (at PUTF or instead of DONE) is taken as 'already uploaded', exit 0",
        _eke_put_exists_ok,
    ),
    _m(
        "b9cl2-pki-put-exists-at-done-ok",
        "pki",
        "APP-PUT-10",
        "test_client_put.py",
        "L2: `exists` in place of the responder's DONE taken as success, exit 0",
        _pki_put_exists_at_done_ok,
    ),
    _m(
        "b9cl2-eke-eror-quotes-key",
        "eke",
        "EKE-PW-3",
        "test_eke_client.py",
        "L2: the client's EROR auth_failed quotes 8 bytes of pw as a 'key id'",
        _eke_eror_quotes_key,
    ),
    # L1 environment
    _m(
        "b9cl2-pki-keylog-env",
        "pki",
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "L1: the initiator honours SSLKEYLOGFILE",
        _pki_keylog,
    ),
    _m(
        "b9cl2-pki-default-certs",
        "pki",
        "PKI-TLS-4",
        "test_pki_certs.py",
        "L1: the initiator also loads the default trust (SSL_CERT_FILE/SSL_CERT_DIR)",
        _pki_system_trust,
    ),
    _m(
        "b9cl2-eke-pwf-rstrip",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "L1: the password file's every trailing CR/LF stripped (pw\\n\\n, pw\\r accepted)",
        _pwf_rstrip,
    ),
    _m(
        "b9cl2-eke-pwf-splitlines",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "L1: the password is text.splitlines()[0]: cut at \\f, \\v, \\x1c, U+0085, U+2028",
        _pwf_splitlines,
    ),
    _m(
        "b9cl2-eke-tmp-in-tmpdir",
        "eke",
        "APP-STORE-1",
        _C,
        "L1: the get's temporary is made in $TMPDIR and linked to the output",
        _tmp_in_tmpdir,
    ),
    _m(
        "b9cl2-pki-tmp-in-cwd",
        "pki",
        "APP-STORE-1",
        _TMP,
        "L1: the get's temporary is made in the working directory",
        _tmp_in_cwd,
    ),
    _m(
        "b9cl2-eke-sweep-cwd",
        "eke",
        "APP-STORE-3",
        _C,
        "L1: the sweep of stale temporaries runs on the working directory, not the output's",
        _eke_sweep_cwd,
    ),
    # L4 file system
    _m(
        "b9cl2-eke-tmp-named-after-final",
        "eke",
        "APP-STORE-1",
        _TMP,
        "L4: the temporary is `.sft-partial-NAME` (no random part)",
        _tmp_named_after_final,
    ),
    _m(
        "b9cl2-pki-tmp-named-after-final",
        "pki",
        "APP-STORE-1",
        _TMP,
        "L4: the temporary is `.sft-partial-NAME` (no random part)",
        _tmp_named_after_final,
    ),
    _m(
        "b9cl2-eke-tmp-before-request",
        "eke",
        "APP-STORE-3",
        _C,
        "L4: a temporary made before RQFL is left behind by a refusal (not_found)",
        _tmp_before_request,
    ),
    _m(
        "b9cl2-eke-commit-replace",
        "eke",
        "APP-GET-6",
        _C,
        "L4: the commit renames over the output (a dangling symlink, a file made meanwhile)",
        _commit_replace,
    ),
    _m(
        "b9cl2-pki-commit-replace",
        "pki",
        "APP-GET-6",
        _P,
        "L4: the commit renames over the output (a dangling symlink, a file made meanwhile)",
        _commit_replace,
    ),
    _m(
        "b9cl2-pki-commit-copy",
        "pki",
        "APP-GET-6",
        _P,
        "L4: the commit copies into open(out, O_CREAT|O_TRUNC): writes through a symlink",
        _commit_copy,
    ),
    _m(
        "b9cl2-eke-commit-copy",
        "eke",
        "APP-GET-6",
        _C,
        "L4: the commit copies into open(out, O_CREAT|O_TRUNC): writes through a symlink",
        _commit_copy,
    ),
    _m(
        "b9cl2-eke-put-to-eof",
        "eke",
        "APP-PUT-4",
        _PUT,
        "L4: the put reads its source to EOF: a file grown since PUTF sends more than size",
        _eke_put_to_eof,
    ),
    _m(
        "b9cl2-pki-put-moves-source",
        "pki",
        "APP-PUT-10",
        _PUT,
        "L4: a successful put removes its source ('move')",
        _pki_put_moves_source,
    ),
    # L3 busy
    _m(
        "b9cl2-eke-busy-ms",
        "eke",
        "EKE-THR-7",
        "test_eke_client.py",
        "L3: retry_after read as milliseconds",
        _busy_ms,
    ),
    _m(
        "b9cl2-eke-busy-own-backoff",
        "eke",
        "EKE-THR-7",
        "test_eke_client.py",
        "L3: busy retried on a 0.2 s doubling backoff, retry_after ignored",
        _busy_own_backoff,
    ),
    _m(
        "b9cl2-eke-busy-symmetric-jitter",
        "eke",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "L3: retry_after jittered +-50 %: half the retries come early",
        _busy_symmetric_jitter,
    ),
    # L5 the sweep
    _m(
        "b9cl2-pki-no-sweep",
        "pki",
        "APP-STORE-3",
        _P,
        "L5: stale temporaries of killed runs are never swept",
        _pki_no_sweep,
    ),
)
