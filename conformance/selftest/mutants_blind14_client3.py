"""Blind red-team round 14, second client team: BOTH clients as their users run them
(`sft eke get/put`, `sft get/put`, `sft enroll`), helper B71.

Written from docs/SPEC.md and the reference's clients alone, before any case file was
read; each idea was checked against the registered client mutants once written, and the
duplicates replaced. Each mutant is the reference's client (or enrolment client) with one
plausible slip, seen through one lens of the round (briefs/s14/lenses14.md).

Blind run (the existing cases, before any case was written): 4 of 18 detected
(busy-budget-clipped, iv-xor-in-place, put-shared-buffer, pwf-asserts). The other 14 are
caught by the round's new files test_client_run_{put_source, before_data, record_frames,
login_forms, busy_answers, password_echo, sweep_revived, enrol_edges,
stopped_after_done}.py (their test_file below).

L1 checks that never run
  b14cl3-cleanup-armed-first-data  the get's temporary is made at RSFL, but its removal
                                   (on errors, signals, at exit) is armed at the first
                                   DATA: a failure before it leaves the temporary
  b14cl3-pwf-asserts               the password file's CR/LF and emptiness checks are
                                   asserts (python -O): a two-line file is the password
  b14cl3-busy-no-retry-after-crash a `busy` without retry_after: `None > 30` raises a
                                   TypeError and the client ends with a traceback
L2 per item, not in aggregate
  b14cl3-busy-budget-clipped       the busy waits are clipped to what is left of one
                                   login budget (the handshake timeout): once spent, the
                                   retries come at once, before retry_after
  b14cl3-busy-huge-wait-crash      no cap on one wait: retry_after 2^63-1 makes
                                   time.sleep raise OverflowError (a traceback)
L3 shared mutable state
  b14cl3-put-shared-buffer         pki put: one DATA buffer for every chunk, each chunk
                                   hashed lazily at the next update: the digest covers
                                   the next chunk's bytes (files above 1 MiB)
  b14cl3-iv-xor-in-place           eke: the sealer XORs the sequence number into its IV
                                   in place: nonces drift from the third record on
                                   (IV^3 at seq 2, the first nonce again at seq 3)
  b14cl3-sigterm-removes-output    pki get: the "output in progress" marker outlives the
                                   commit: SIGTERM while the completed get says BYE_
                                   removes the saved file
L4 the checked form is not the used form
  b14cl3-record-stream             eke: record plaintexts are appended to the frame
                                   parser as a byte stream: a frame split over two
                                   records, or two frames in one record, pass
  b14cl3-put-name-purepath         pki put: the name given with --as goes through
                                   PurePosixPath (a//b -> a/b, a/./b -> a/b, ./x -> x)
  b14cl3-enr-san-glob              enrolment: the CA's host name is matched against its
                                   subjectAltName DNS names with fnmatch: `local*` passes
  b14cl3-auth-retry-nfc            eke: a login refused auth_failed is tried once more
                                   with the password NFC-normalised
L5 effects before authority
  b14cl3-put-source-readonly       eke put: the source is made read-only while it is sent
                                   and its mode restored only after a stored put
  b14cl3-enr-key-temp-left         enrolment: the new key is written to key.pem.new with
                                   the default mode before the request, renamed (0600)
                                   once the certificate checks out: a refusal leaves it
  b14cl3-pwf-error-quotes-bytes    eke: a password file that is not UTF-8 is refused
                                   quoting its bytes
L6 trust carried over
  (b14cl3-put-digest-first-pass, the source hashed in a first pass before PUTF and that
  digest in DONE, was dropped by the lead: APP-PUT-4 allows it — pki5 and pki6 do it, and
  the responder then refuses a put whose source changed, which is the safer outcome.)
  b14cl3-put-done-size-restat      eke put: DONE's size is the source's size at the end
                                   (fstat), not the bytes sent
  b14cl3-sweep-listed-early        eke get: stale temporaries are listed at start and
                                   removed after the get without looking at them again
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import secrets
import ssl
import stat
import time
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind14-client3"


def _eke_client() -> Any:
    return _module("reference.eke.client")


# -- L1 ------------------------------------------------------------------------------------


def _cleanup_armed_first_data() -> None:
    client = _eke_client()
    share = _module("reference.share")

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        partial = share.PartialFile.create(destination, answer.size)
        # Tracked (and removed on failure) from the first DATA on: "nothing to clean
        # before a byte was written" -- but the file exists since RSFL.
        tracked, partial._tracked = partial._tracked, None
        share._UNFINISHED.discard(tracked)
        event = self._next(stream)
        with partial:
            if tracked is not None:
                partial._tracked = tracked
                share._UNFINISHED.add(tracked)
            received = 0
            while True:
                if isinstance(event, client.Data):
                    partial.write(event.data)
                    received += len(event.data)
                    if progress is not None:
                        progress(received, answer.size)
                elif isinstance(event, client.Done):
                    try:
                        partial.commit(overwrite=overwrite)
                    except client.RemoteProtocolError:
                        raise client.TransferFailed(
                            f"{destination} appeared meanwhile: not replaced"
                        ) from None
                    return event
                else:
                    raise client.TransferFailed("unexpected frame during a get")
                event = self._next(stream)

    client.EkeClient._receive = _receive


def _pwf_asserts() -> None:
    cli = _module("reference.cli.eke")
    errors_cls = _module("reference.cli").CommandError

    def read_password_file(path: Path) -> str:
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise errors_cls(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise errors_cls("the password file is not UTF-8", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        # `assert "\r" not in password and "\n" not in password` -- gone under -O
        return password

    cli._read_password_file = read_password_file
    # `assert password` -- gone under -O as well
    _patch_source(cli, "_read_password", ("    if not password:\n", "    if False:\n"))


def _busy_no_retry_after_crash() -> None:
    client = _eke_client()
    _patch_source(
        client.EkeClient,
        "connect",
        ("wait = exc.retry_after if exc.retry_after is not None else 1", "wait = exc.retry_after"),
    )


# -- L2 ------------------------------------------------------------------------------------


def _busy_budget_clipped() -> None:
    client = _eke_client()

    def connect(self: Any) -> Any:
        # One budget for the whole login, busy waits included: the handshake timeout.
        deadline = time.monotonic() + self.config.handshake_timeout
        tries = 0
        while True:
            tries += 1
            try:
                return self._connect_once()
            except client.ServerBusy as exc:
                wait = exc.retry_after if exc.retry_after is not None else 1
                if tries > self.config.busy_retries or wait > client._BUSY_WAIT_CAP:
                    raise client.ServerBusy(exc.retry_after, tries) from None
                jittered = max(1, wait) * (1.0 + secrets.randbelow(501) / 1000)
                time.sleep(max(0.0, min(jittered, deadline - time.monotonic())))

    client.EkeClient.connect = connect


def _busy_huge_wait_crash() -> None:
    client = _eke_client()
    _patch_source(
        client.EkeClient,
        "connect",
        (
            "if tries > self.config.busy_retries or wait > _BUSY_WAIT_CAP:",
            "if tries > self.config.busy_retries:",
        ),
    )


# -- L3 ------------------------------------------------------------------------------------


class _LazySha256:
    """A SHA-256 that hashes each piece at the next update (the piece is a view)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._pending: Any = None

    def update(self, data: Any, /) -> None:
        if self._pending is not None:
            self._sha.update(self._pending)
        self._pending = data

    def hexdigest(self) -> str:
        if self._pending is not None:
            self._sha.update(self._pending)
            self._pending = None
        return self._sha.hexdigest()


def _put_shared_buffer() -> None:
    transfer = _module("reference.transfer")
    transfer.PipelinedSha256 = _LazySha256
    _patch_source(
        transfer._Channel,
        "send_file",
        ("view = self._data_view()", "view = self._data_views[0]"),
    )


def _iv_xor_in_place() -> None:
    crypto = _module("reference.eke.crypto")

    def _next_nonce(self: Any) -> bytes:
        seq = self.sequence
        self.sequence = seq + 1
        self._iv ^= seq  # the stored IV is the nonce buffer, XORed in place
        nonce: bytes = self._iv.to_bytes(crypto.IV_LEN, "big")
        return nonce

    crypto.RecordSealer._next_nonce = _next_nonce


def _sigterm_removes_output() -> None:
    cli = _module("reference.cli.pki")
    original = cli._get

    def _get(args: Any) -> int:
        output = Path(args.output) if args.output else Path(args.name.rsplit("/", 1)[-1])
        if output.is_dir():
            output = output / args.name.rsplit("/", 1)[-1]
        existed = output.exists() or output.is_symlink()
        try:
            result: int = original(args)
        except KeyboardInterrupt:  # SIGTERM or Ctrl-C: "leave no partial output"
            if not existed:
                with contextlib.suppress(OSError):
                    os.unlink(output)
            raise
        return result

    cli._get = _get


# -- L4 ------------------------------------------------------------------------------------


def _record_stream() -> None:
    records = _module("reference.eke.records")
    transport = _module("reference.eke.transport")

    def _split_inner(inner: memoryview) -> Any:  # the plaintext, whatever it holds
        return records.InnerFrame(b"RAW_", inner)

    def next_event(self: Any) -> Any:
        while True:
            event = self.app.next_event()
            if event is not transport.NEED_DATA:
                if isinstance(event, transport.Done):
                    self.channel.release_buffers()
                return event
            frame = self._next_record()
            if frame is transport.CLOSED:
                self.app.receive_data(b"")
                continue
            if len(frame.payload):
                self.app.receive_data(bytes(frame.payload))

    records._split_inner = _split_inner
    transport.SecureStream.next_event = next_event


def _put_name_purepath() -> None:
    client = _module("reference.pki.client")
    original = client.PkiSession.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        cleaned = str(PurePosixPath(name)) if name else None
        result: str = original(self, source, cleaned, progress=progress)
        return result

    client.PkiSession.put = put


def _glob_check(sock: Any, host: str) -> None:
    cert = sock.getpeercert() or {}
    names = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
    if not any(fnmatch.fnmatch(host.lower(), name.lower()) for name in names):
        raise OSError(f"the CA's certificate is not for {host}")


def _enr_san_glob() -> None:
    enroll = _module("reference.pki.enroll")
    tls = _module("reference.pki.tls")

    def https_client_context(root_pem: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = tls.https_client_context(root_pem)
        ctx.check_hostname = False  # checked below, with wildcard support
        return ctx

    enroll.https_client_context = https_client_context
    enroll._b14cl3_glob_check = _glob_check
    _patch_source(
        enroll.CaClient,
        "request",
        (
            "        conn.request(method, path, body=payload, headers=headers)\n",
            "        conn.connect()\n"
            "        _b14cl3_glob_check(conn.sock, host)\n"
            "        conn.request(method, path, body=payload, headers=headers)\n",
        ),
    )


def _auth_retry_nfc() -> None:
    client = _eke_client()
    cli = _module("reference.cli.eke")
    cli._b14cl3_unicodedata = unicodedata
    _patch_source(
        cli,
        "_client",
        (
            "    pw = crypto.password_key(args.user, password)\n",
            "    pw = crypto.password_key(args.user, password)\n"
            "    nfc = _b14cl3_unicodedata.normalize('NFC', password)\n"
            "    alternative = crypto.password_key(args.user, nfc) if nfc != password else None\n",
        ),
        (
            "    return EkeClient(config, pw), quotes\n",
            "    made = EkeClient(config, pw)\n"
            "    made._b14cl3_alternative = alternative\n"
            "    return made, quotes\n",
        ),
    )
    original = client.EkeClient.connect

    def connect(self: Any) -> Any:
        try:
            return original(self)
        except client.LoginFailed:
            # "the account may have been made with a composed password"
            alternative = getattr(self, "_b14cl3_alternative", None)
            if alternative is None:
                raise
            self._pw, self._b14cl3_alternative = alternative, None
            return original(self)

    client.EkeClient.connect = connect


# -- L5 ------------------------------------------------------------------------------------


def _put_source_readonly() -> None:
    client = _eke_client()
    original = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        os.chmod(path, mode & ~0o222)  # nobody edits it while it is being sent
        stored: str = original(self, path, name=name, progress=progress)
        os.chmod(path, mode)
        return stored

    client.EkeClient.put = put


def _enr_key_temp_left() -> None:
    enroll = _module("reference.pki.enroll")
    _patch_source(
        enroll,
        "enroll",
        (
            "    client = CaClient(ca_url, root_pem, timeout)\n",
            "    client = CaClient(ca_url, root_pem, timeout)\n"
            "    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)\n"
            "    pending = out_dir / 'key.pem.new'\n"
            "    pending.write_bytes(private_key_pem(key))  # kept until the answer is known\n",
        ),
        (
            "    write_private(identity.key, private_key_pem(key))\n",
            "    os.chmod(pending, 0o600)\n    os.replace(pending, identity.key)\n",
        ),
    )


def _pwf_error_quotes_bytes() -> None:
    cli = _module("reference.cli.eke")
    errors_cls = _module("reference.cli").CommandError
    original = cli._read_password_file

    def read_password_file(path: Path) -> str:
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b""
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise errors_cls(f"the password file is not UTF-8: {raw!r}", 2) from None
        result: str = original(path)
        return result

    cli._read_password_file = read_password_file


# -- L6 ------------------------------------------------------------------------------------


def _put_done_size_restat() -> None:
    client = _eke_client()
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "send",
        ("if event.size != transfer.count or event.size != transfer.announced:", "if False:"),
    )
    _patch_source(
        client.EkeClient,
        "put",
        (
            "stream.send(stream.app.outgoing_done())",
            "stream.send(Done(os.fstat(fd).st_size, stream.app.outgoing_done().sha256))",
        ),
    )


def _sweep_listed_early() -> None:
    cli = _module("reference.cli.eke")
    partial_prefix = _module("reference.share").PARTIAL_PREFIX

    def stale(directory: Path, older_than: float) -> list[str]:
        cutoff = time.time() - older_than
        found: list[str] = []
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                if not entry.name.startswith(partial_prefix):
                    continue
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode) and info.st_mtime <= cutoff:
                        found.append(entry.path)
        return found

    def unlink(paths: list[str]) -> None:  # "once the get has succeeded"
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)

    cli._b14cl3_stale = stale
    cli._b14cl3_unlink = unlink
    _patch_source(
        cli,
        "_get",
        (
            '    remove_stale_partials(output.parent if str(output.parent) else Path("."), '
            "older_than=_STALE)\n",
            "    stale = _b14cl3_stale(\n"
            '        output.parent if str(output.parent) else Path("."), _STALE\n'
            "    )\n",
        ),
        (
            "progress=bar)\n",
            "progress=bar)\n            _b14cl3_unlink(stale)\n",
        ),
    )


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    enroll: bool = False,
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
        enroll=enroll,
    )


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b14cl3-cleanup-armed-first-data",
        "eke",
        "APP-STORE-3",
        "test_client_run_before_data.py",
        "L1: the get's temporary is made at RSFL but its removal is armed at the first "
        "DATA: a failure (or signal) before the first DATA leaves it",
        _cleanup_armed_first_data,
    ),
    _m(
        "b14cl3-pwf-asserts",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "L1: the password file's CR/LF and emptiness checks are asserts (python -O): a "
        "two-line file is the password, LF included; an empty one too",
        _pwf_asserts,
    ),
    _m(
        "b14cl3-busy-no-retry-after-crash",
        "eke",
        "ERR-6",
        "test_client_run_busy_answers.py",
        "L1: a busy without retry_after is compared with the wait cap as None: TypeError, "
        "the client ends with a traceback",
        _busy_no_retry_after_crash,
    ),
    # L2
    _m(
        "b14cl3-busy-budget-clipped",
        "eke",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "L2: busy waits clipped to one login budget (the handshake timeout): once it is "
        "spent, the retries come at once, before retry_after",
        _busy_budget_clipped,
    ),
    _m(
        "b14cl3-busy-huge-wait-crash",
        "eke",
        "ERR-6",
        "test_client_run_busy_answers.py",
        "L2: no cap on a busy wait: a retry_after of 2^63-1 makes time.sleep raise "
        "OverflowError, a traceback",
        _busy_huge_wait_crash,
    ),
    # L3
    _m(
        "b14cl3-put-shared-buffer",
        "pki",
        "APP-PUT-4",
        "test_client_put.py",
        "L3: pki put: one DATA buffer for every chunk, each chunk hashed lazily at the "
        "next update: DONE's digest covers the next chunk's bytes (files above 1 MiB)",
        _put_shared_buffer,
    ),
    _m(
        "b14cl3-iv-xor-in-place",
        "eke",
        "EKE-REC-2",
        "test_client_put_wire.py",
        "L3: the client's sealer XORs each sequence number into its stored IV: nonces "
        "IV, IV^1, IV^3, IV (reused) ...",
        _iv_xor_in_place,
    ),
    _m(
        "b14cl3-sigterm-removes-output",
        "pki",
        "APP-BYE-2",
        "test_client_run_stopped_after_done.py",
        "L3: pki get: the output-in-progress marker outlives the commit: SIGTERM while the "
        "completed get waits for BYE_'s echo removes the saved file",
        _sigterm_removes_output,
    ),
    # L4
    _m(
        "b14cl3-record-stream",
        "eke",
        "EKE-REC-1",
        "test_client_run_record_frames.py",
        "L4: record plaintexts appended to the frame parser as a stream: a frame split "
        "over two records, or two frames in one record, pass",
        _record_stream,
    ),
    _m(
        "b14cl3-put-name-purepath",
        "pki",
        "APP-NAME-3",
        "test_client_run_put_source.py",
        "L4: pki put: the name given with --as goes through PurePosixPath (a//b -> a/b, "
        "a/./b -> a/b, ./x -> x) before PUTF",
        _put_name_purepath,
    ),
    _m(
        "b14cl3-enr-san-glob",
        "pki",
        "CA-ENR-18",
        "test_client_run_enrol_edges.py",
        "L4: the enrolment client matches the CA's host name against its subjectAltName "
        "DNS names with fnmatch: a `local*` name passes for localhost",
        _enr_san_glob,
        enroll=True,
    ),
    _m(
        "b14cl3-auth-retry-nfc",
        "eke",
        "EKE-PW-1",
        "test_client_run_login_forms.py",
        "L4: a login refused auth_failed is tried once more with the password NFC-normalised",
        _auth_retry_nfc,
    ),
    # L5
    _m(
        "b14cl3-put-source-readonly",
        "eke",
        "APP-PUT-10",
        "test_client_run_put_source.py",
        "L5: eke put: the source is made read-only while it is sent; its mode is restored "
        "only after a stored put (a refused or failed put leaves it read-only)",
        _put_source_readonly,
    ),
    _m(
        "b14cl3-enr-key-temp-left",
        "pki",
        "CA-ENR-12",
        "test_client_run_enrol_edges.py",
        "L5: the new key is written to key.pem.new (default mode) before the request and "
        "renamed 0600 once the certificate checks out: a refused enrolment leaves it",
        _enr_key_temp_left,
        enroll=True,
    ),
    _m(
        "b14cl3-pwf-error-quotes-bytes",
        "eke",
        "PWF-1",
        "test_client_run_password_echo.py",
        "L5: a password file that is not UTF-8 is refused with a message quoting its bytes",
        _pwf_error_quotes_bytes,
    ),
    # L6
    _m(
        "b14cl3-put-done-size-restat",
        "eke",
        "APP-PUT-4",
        "test_client_run_put_source.py",
        "L6: eke put: DONE's size is the source's size at the end (fstat), not the bytes "
        "sent: a source grown after PUTF gets a DONE larger than its DATA",
        _put_done_size_restat,
    ),
    _m(
        "b14cl3-sweep-listed-early",
        "eke",
        "APP-STORE-3",
        "test_client_run_sweep_revived.py",
        "L6: eke get: stale temporaries listed before the login, removed after the get "
        "without looking again: one written to meanwhile is removed",
        _sweep_listed_early,
    ),
)
