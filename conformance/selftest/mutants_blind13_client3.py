"""Blind red-team round 13 (client3, helper B63): BOTH clients as their users run them.

Written blind (docs/SPEC.md, the reference clients and their command line only), aimed at
the client as a program: its password file, the key files and the output directory it
writes, what an earlier run leaves for the next, its control-frame limits, and the CA
answers the enrolment client acts on. Lens of each mutant (lenses13.md):

 1 fail open          enr-follows-redirect (a 3xx acted on instead of failing),
                      enr-pem-scraped (a body that fails to parse as JSON searched for a
                      PEM block), enr-ip-host-unchecked (a host name check that returns
                      early for an address), eke-commit-copy-on-link-error (an error of the
                      no-replace link taken as "copy instead")
 2 absent permissive  eke-pwf-unreadable-empty (no readable file: the empty password),
                      enr-pwf-empty (an empty file sent), enr-system-trust (no pin: the
                      system store as well), enr-http-url (no https: plain HTTP)
 3 unhappy-path leaks pki-temp-kept-on-reset, eke-disk-error-exit (temporaries left on the
                      paths nobody tests), enr-pwf-error-quotes (the secret in a refusal)
 4 units and numbers  eke-control-limit-decimal (64 000 for 64 KiB), pki-control-limit-
                      exclusive (>= at 65 536), eke-hs-limit-u16 (65 535)
 5 part compared      eke-outdir-before-join, pki-outdir-before-join (a name checked before
                      its last component is joined), eke-pwf-nul-cut, enr-pwf-nul-cut (a
                      password read up to its first NUL)
 6 half rolled back   enr-key-before-answer (the new key on disk before the CA answered),
                      enr-key-mode-kept (an earlier key file's mode kept), eke-resume-
                      partial (an earlier run's temporary reused)

Twenty-one written blind; checked afterwards against every registered client mutant (six
first ideas were replaced as duplicates: a latin-1 password file, an EROR in place of the
put's DONE, a temporary made before RQFL, sizes in 32 bits, a digest prefix, the busy
socket kept). pki-temp-kept-on-oserror was added after the blind run, to check that the
new reset case catches the class (its blind twin was caught by the SIGTERM case only).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import ipaddress
import json
import os
import re
import ssl
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _share() -> Any:
    return _module("reference.share")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _no_exit_net() -> None:
    """The reference removes tracked temporaries at exit; an implementation with the
    planted bug has no such second net."""
    _module("atexit").unregister(_share()._remove_unfinished)


# --- lens 1: fail open ----------------------------------------------------------------------


def _enr_follows_redirect() -> None:
    """A CA that moved answers 3xx: the request is sent again where Location says, as
    307/308 would have it, whatever the scheme (an http:// Location included)."""
    enroll = _enroll()
    original = enroll.CaClient.request

    def request(
        self: Any, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        status, headers, data = original(self, method, path, body)
        base = self.url.rstrip("/") + path
        for _hop in range(5):
            location = headers.get("location")
            if status not in (301, 302, 303, 307, 308) or not location:
                break
            target = urllib.parse.urlsplit(urllib.parse.urljoin(base, location))
            base = target.geturl()
            where = target.path or "/"
            if target.scheme == "https":
                moved = type(self)(f"https://{target.netloc}", self.root_pem, self.timeout)
                status, headers, data = original(moved, method, where, body)
                continue
            conn = http.client.HTTPConnection(
                target.hostname or "", target.port or 80, timeout=self.timeout
            )
            try:
                payload = json.dumps(body).encode() if body is not None else None
                hdrs = {"Content-Type": "application/json"} if payload is not None else {}
                conn.request(method, where, body=payload, headers=hdrs)
                response = conn.getresponse()
                data = response.read(1 << 20)
                status = response.status
                headers = {k.lower(): v for k, v in response.getheaders()}
            except (OSError, http.client.HTTPException) as exc:
                raise enroll.EnrollError(f"cannot reach the CA at {base}: {exc}") from None
            finally:
                conn.close()
        return status, headers, data

    enroll.CaClient.request = request


def _pem_from(data: bytes) -> bytes:
    """The certificate of a 200 answer: its JSON member, or else the first PEM block of
    the body ("some CAs answer the bare PEM")."""
    try:
        return str(json.loads(data)["certificate"]).encode()
    except (ValueError, KeyError, TypeError):
        found = re.search(
            rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.DOTALL
        )
        if found is None:
            raise ValueError("no certificate in the answer") from None
        return found.group(0) + b"\n"


def _enr_pem_scraped() -> None:
    enroll = _enroll()
    enroll._pem_from = _pem_from
    _patch_source(
        enroll,
        "enroll",
        (
            'cert_pem = json.loads(data)["certificate"].encode()',
            "cert_pem = _pem_from(data)",
        ),
    )


def _context_for(host: str, root_pem: bytes) -> ssl.SSLContext:
    ctx: ssl.SSLContext = _enroll().https_client_context(root_pem)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return ctx
    # "An address has no name to check: the organisation root vouches for the CA."
    ctx.check_hostname = False
    return ctx


def _enr_ip_host_unchecked() -> None:
    enroll = _enroll()
    enroll._context_for = _context_for
    _patch_source(
        enroll.CaClient,
        "request",
        (
            "context=https_client_context(self.root_pem)",
            "context=_context_for(host, self.root_pem)",
        ),
    )


def _copy_at(dir_fd: int, source: str, target: str) -> None:
    src = os.open(source, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    dst = os.open(
        target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644, dir_fd=dir_fd
    )
    with io.FileIO(src, "rb", closefd=True) as fin, io.FileIO(dst, "wb", closefd=True) as fout:
        while chunk := fin.read(1 << 20):
            fout.write(chunk)
    os.unlink(source, dir_fd=dir_fd)


def _eke_commit_copy_on_link_error() -> None:
    """The no-replace link fails on file systems without hard links (FAT, some network
    mounts): any OSError of link() falls back to a copy, EEXIST included."""
    share = _share()
    share._copy_at = _copy_at
    _patch_source(
        share.PartialFile,
        "commit",
        (
            """            os.link(
                self.temp_name,
                self.final_name,
                src_dir_fd=self._dir_fd,
                dst_dir_fd=self._dir_fd,
                follow_symlinks=False,
            )
            os.unlink(self.temp_name, dir_fd=self._dir_fd)""",
            """            try:
                os.link(
                    self.temp_name,
                    self.final_name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                    follow_symlinks=False,
                )
                os.unlink(self.temp_name, dir_fd=self._dir_fd)
            except OSError:
                _copy_at(self._dir_fd, self.temp_name, self.final_name)""",
        ),
    )


# --- lens 2: absent means permissive -----------------------------------------------------------


def _eke_pwf_unreadable_empty() -> None:
    """A password file that cannot be read (a directory, no permission) is "no password":
    the empty one is used; only a file that reads as empty is refused."""
    cli = _module("reference.cli.eke")
    original = cli._read_password

    def _read_password(args: Any, *, confirm: bool = False) -> str:
        if getattr(args, "password_file", None) is not None:
            try:
                Path(args.password_file).read_bytes()
            except OSError:
                return ""
        result: str = original(args, confirm=confirm)
        return result

    cli._read_password = _read_password


def _enr_pwf_empty() -> None:
    _patch_source(
        _module("reference.cli.ca"),
        "read_password",
        ("    if not password:\n", "    if not password and args.password_stdin:\n"),
    )


def _enr_system_trust() -> None:
    """The HTTPS context to the CA loads the default verify paths besides the root."""
    enroll = _enroll()
    original = enroll.https_client_context

    def https_client_context(root_pem: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = original(root_pem)
        ctx.load_default_certs()
        return ctx

    enroll.https_client_context = https_client_context


def _enr_http_url() -> None:
    """An http:// CA URL is used as given ("a lab CA without TLS")."""
    enroll = _enroll()
    original = enroll.CaClient.request

    def request(
        self: Any, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme != "http" or not parsed.hostname:
            result: tuple[int, dict[str, str], bytes] = original(self, method, path, body)
            return result
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=self.timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read(1 << 20)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except (OSError, http.client.HTTPException) as exc:
            raise enroll.EnrollError(f"cannot reach the CA: {exc}") from None
        finally:
            conn.close()

    enroll.CaClient.request = request


# --- lens 3: leaks on the unhappy path ---------------------------------------------------------


def _pki_temp_kept_on_reset() -> None:
    """The pki get cleans its temporary up for protocol failures only: a connection reset
    (an OSError) mid-transfer leaves it."""
    _pki_temp_kept_unless(())


def _pki_temp_kept_on_oserror() -> None:
    """As above, with an interruption (SIGTERM, Ctrl-C) cleaned up too: only an error of
    the socket itself (a reset) leaves the temporary."""
    _pki_temp_kept_unless((KeyboardInterrupt,))


def _pki_temp_kept_unless(also: tuple[type[BaseException], ...]) -> None:
    transfer = _module("reference.transfer")
    share = _share()
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    _no_exit_net()

    def get(
        self: Any,
        name: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Any = None,
    ) -> Any:
        share.check_name(name)
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists (use --force to replace it)")
        if not destination.parent.is_dir():
            raise FileNotFoundError(f"{destination.parent} is not a directory")
        try:
            self.channel.send(messages.FileRequest(name))
            response = self._answer()
            if response.size > self.max_file_size:
                raise errors.RemoteProtocolError(errors.ErrorCode.TOO_LARGE, "above the limit")
            partial = share.PartialFile.create(destination, response.size)
            try:
                done = self.channel.receive_file(partial, response.size, progress)
                partial.commit(overwrite=overwrite)
            except (errors.ProtocolError, transfer.TransferFailed, *also):
                partial.abort()
                raise
            return done
        except errors.ProtocolError as exc:
            raise self._guard(exc) from None
        except TimeoutError:
            raise self._guard(
                errors.RemoteProtocolError(errors.ErrorCode.TIMEOUT, "the responder stalled")
            ) from None

    transfer.Initiator.get = get


def _eke_disk_error_exit() -> None:
    """A local write error (disk full, file too large) ends the program at once, as a C
    client's err(3) does: the temporary stays."""
    share = _share()
    original = share.PartialFile.write

    def write(self: Any, data: Any) -> None:
        try:
            original(self, data)
        except OSError as exc:
            sys.stderr.write(f"sft: cannot write {self.final_name}: {exc.strerror}\n")
            sys.stderr.flush()
            os._exit(2)

    share.PartialFile.write = write


def _enr_pwf_error_quotes() -> None:
    options = _module("reference.cli.options")
    cli = _module("reference.cli")
    original = options.read_password_file

    def read_password_file(path: Path) -> str:
        try:
            result: str = original(path)
            return result
        except cli.CommandError as exc:
            if "more than one line" not in str(exc):
                raise
            text = Path(path).read_bytes().decode("utf-8", "replace")
            raise cli.CommandError(
                f"the password file holds more than one line: {text!r}", 2
            ) from None

    options.read_password_file = read_password_file


# --- lens 4: units and number forms ----------------------------------------------------------


def _eke_control_limit_decimal() -> None:
    """64 KiB written as 64 000 (decimal kilobytes) in the record phase's control limit."""
    _module("reference.app").MAX_CONTROL_PAYLOAD = 64_000


def _pki_control_limit_exclusive() -> None:
    """The control limit checked with >=: a payload of exactly 65 536 bytes is refused."""
    app = _module("reference.app")
    errors = _module("reference.errors")
    conn = app.ApplicationConnection

    def _check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type not in app._KNOWN_TYPES:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME,
                f"unknown frame type {frame_type.decode('ascii')}",
            )
        if frame_type != app.T_DATA and length >= app.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, f"control payload of {length} bytes"
            )
        if frame_type == app.T_DATA and not 1 <= length <= app.MAX_DATA_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, f"DATA payload of {length} bytes"
            )
        return frame_type, length

    conn._check_header = staticmethod(_check_header)


def _eke_hs_limit_u16() -> None:
    """The handshake reader's control limit is a u16's maximum, 65 535."""
    _module("reference.eke.handshake").MAX_CONTROL_PAYLOAD = 0xFFFF


# --- lens 5: part of the value compared ---------------------------------------------------------


def _outdir_before_join(module: str, call: str) -> Any:
    """-o DIR: the existence check is made on the path the user gave (a directory passes),
    and the file inside, joined afterwards, is written as if that check covered it."""

    def apply() -> None:
        _patch_source(
            _module(module),
            "_get",
            (
                f'.is_dir():\n        {call} = {call} / args.name.rsplit("/", 1)[-1]\n',
                f'.is_dir():\n        {call} = {call} / args.name.rsplit("/", 1)[-1]\n'
                "        args.force = True\n",
            ),
        )

    return apply


def _eke_pwf_nul_cut() -> None:
    cli = _module("reference.cli.eke")
    original = cli._read_password_file

    def read(path: Path) -> str:
        result: str = original(path)
        return result.split("\0", 1)[0]  # a C string: the password ends at its NUL

    cli._read_password_file = read


def _enr_pwf_nul_cut() -> None:
    options = _module("reference.cli.options")
    original = options.read_password_file

    def read_password_file(path: Path) -> str:
        result: str = original(path)
        return result.split("\0", 1)[0]

    options.read_password_file = read_password_file


# --- lens 6: half-rolled-back state ----------------------------------------------------------


def _enr_key_before_answer() -> None:
    """The new key is saved as soon as it is made ("never lose a private key"), before the
    CA answers: a refused enrolment into an existing identity leaves it beside the old
    certificate."""
    _patch_source(
        _enroll(),
        "enroll",
        (
            "    key = generate_key(key_type)\n",
            "    key = generate_key(key_type)\n"
            "    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)\n"
            "    write_private(Identity(out_dir).key, private_key_pem(key))\n",
        ),
    )


def _enr_key_mode_kept() -> None:
    """The key written in place with O_CREAT|O_TRUNC and mode 0600: the mode applies to a
    new file only, so an existing key file keeps its own."""
    ca = _module("reference.pki.ca")

    def write_private(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    ca.write_private = write_private


def _eke_resume_partial() -> None:
    """A get resumes a recent temporary of its output directory (its own earlier attempt,
    it assumes) instead of writing a new one: it appends to it."""
    share = _share()
    original = share.PartialFile.create.__func__

    def create(cls: Any, destination: Path, limit: int) -> Any:
        self = original(cls, destination, limit)
        with contextlib.suppress(OSError):
            for entry in os.scandir(destination.parent):
                if (
                    not entry.name.startswith(share.PARTIAL_PREFIX)
                    or entry.name == self.temp_name
                    or not entry.is_file(follow_symlinks=False)
                    or time.time() - entry.stat(follow_symlinks=False).st_mtime > 600
                ):
                    continue
                fd = os.open(entry.name, os.O_WRONLY | os.O_APPEND, dir_fd=self._dir_fd)
                self._file.close()
                os.unlink(self.temp_name, dir_fd=self._dir_fd)
                self._file = io.FileIO(fd, "wb", closefd=True)
                share._UNFINISHED.discard(self._tracked)
                self.temp_name = entry.name
                self._tracked = os.path.join(destination.parent.absolute(), entry.name)
                share._UNFINISHED.add(self._tracked)
                break
        return self

    share.PartialFile.create = classmethod(create)


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
        name=f"b13cl3-{name}",
        group="blind13-client3",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
        enroll=enroll,
    )


_ENR = "test_enroll_client.py"

MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "enr-follows-redirect",
        "pki",
        "CA-ENR-1",
        "test_client_run_enrolment.py",
        "a 3xx answer of the CA is followed with the same request, to http:// too: the "
        "password goes in clear",
        _enr_follows_redirect,
        enroll=True,
    ),
    _m(
        "enr-pem-scraped",
        "pki",
        "CA-ENR-12",
        "test_enroll_answers.py",
        "a 200 body that is not JSON is searched for a PEM certificate, which is kept",
        _enr_pem_scraped,
        enroll=True,
    ),
    _m(
        "enr-ip-host-unchecked",
        "pki",
        "CA-ENR-18",
        "test_client_run_enrolment.py",
        "a CA URL whose host is an IP address skips the host name check (any certificate "
        "the root issued, an employee's included, passes for the CA)",
        _enr_ip_host_unchecked,
        enroll=True,
    ),
    _m(
        "eke-commit-copy-on-link-error",
        "eke",
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "eke get: any error of the no-replace link (EEXIST too) falls back to copying the "
        "temporary into the output, through a symlink and over a file",
        _eke_commit_copy_on_link_error,
    ),
    # lens 2
    _m(
        "eke-pwf-unreadable-empty",
        "eke",
        "PWF-1",
        "test_client_run_password_file.py",
        "eke client: a password file that cannot be read (a directory) is the empty "
        "password, which is used to log in",
        _eke_pwf_unreadable_empty,
    ),
    _m(
        "enr-pwf-empty",
        "pki",
        "PWF-1",
        _ENR,
        "the enrolment client sends the empty password of an empty password file",
        _enr_pwf_empty,
        enroll=True,
    ),
    _m(
        "enr-system-trust",
        "pki",
        "PKI-TLS-4",
        "test_enroll_answers.py",
        "the enrolment client's HTTPS context loads the system's default trust "
        "(SSL_CERT_FILE, SSL_CERT_DIR) besides the organisation root",
        _enr_system_trust,
        enroll=True,
    ),
    _m(
        "enr-http-url",
        "pki",
        "CA-ENR-1",
        "test_client_run_enrolment.py",
        "an http:// CA URL is used as given: the enrolment password travels in clear",
        _enr_http_url,
        enroll=True,
    ),
    # lens 3
    _m(
        "pki-temp-kept-on-reset",
        "pki",
        "APP-STORE-3",
        "test_pki_initiator_transfer.py",
        "pki get: the temporary is removed on protocol failures only; a connection reset "
        "mid-transfer leaves it",
        _pki_temp_kept_on_reset,
    ),
    _m(
        "pki-temp-kept-on-oserror",
        "pki",
        "APP-STORE-3",
        "test_client_run_temporaries.py",
        "(after the blind run) pki get: the temporary is removed on protocol failures and "
        "interruptions; a connection reset (an OSError of the socket) leaves it",
        _pki_temp_kept_on_oserror,
    ),
    _m(
        "eke-disk-error-exit",
        "eke",
        "APP-STORE-3",
        "test_client_run_temporaries.py",
        "eke get: a local write error (EFBIG, ENOSPC) ends the program with _exit(2): the "
        "temporary stays",
        _eke_disk_error_exit,
    ),
    _m(
        "enr-pwf-error-quotes",
        "pki",
        "PWF-1",
        _ENR,
        "the enrolment client refuses a two-line password file quoting its text",
        _enr_pwf_error_quotes,
        enroll=True,
    ),
    # lens 4
    _m(
        "eke-control-limit-decimal",
        "eke",
        "FRM-8",
        "test_client_run_control_limits.py",
        "eke client: the record phase's control limit is 64 000 bytes (decimal kB), a "
        "valid control frame of up to 65 536 bytes refused",
        _eke_control_limit_decimal,
    ),
    _m(
        "pki-control-limit-exclusive",
        "pki",
        "FRM-8",
        "test_client_run_control_limits.py",
        "pki get: the control limit checked with >=: an RSFL of exactly 65 536 bytes refused",
        _pki_control_limit_exclusive,
    ),
    _m(
        "eke-hs-limit-u16",
        "eke",
        "FRM-8",
        "test_client_run_control_limits.py",
        "eke client: the handshake's control limit is 65 535 (a u16): an EKE2 of 65 536 "
        "bytes refused",
        _eke_hs_limit_u16,
    ),
    # lens 5
    _m(
        "eke-outdir-before-join",
        "eke",
        "APP-GET-6",
        "test_client_run_output_dir.py",
        "eke get -o DIR: the existence check is on DIR; DIR/NAME joined afterwards is "
        "replaced when it exists",
        _outdir_before_join("reference.cli.eke", "output"),
    ),
    _m(
        "pki-outdir-before-join",
        "pki",
        "APP-GET-6",
        "test_client_run_output_dir.py",
        "pki get -o DIR: the existence check is on DIR; DIR/NAME joined afterwards is "
        "replaced when it exists",
        _outdir_before_join("reference.cli.pki", "destination"),
    ),
    _m(
        "eke-pwf-nul-cut",
        "eke",
        "PWF-1",
        "test_client_run_password_file.py",
        "eke client: the password file's password ends at its first NUL (a C string)",
        _eke_pwf_nul_cut,
    ),
    _m(
        "enr-pwf-nul-cut",
        "pki",
        "PWF-1",
        "test_client_run_enrolment.py",
        "the enrolment client's password ends at its first NUL (a C string)",
        _enr_pwf_nul_cut,
        enroll=True,
    ),
    # lens 6
    _m(
        "enr-key-before-answer",
        "pki",
        "CA-ENR-12",
        "test_enroll_answers.py",
        "the new key is saved before the CA answers: a refused enrolment into an existing "
        "identity directory leaves it beside the old certificate",
        _enr_key_before_answer,
        enroll=True,
    ),
    _m(
        "enr-key-mode-kept",
        "pki",
        "CA-ENR-12",
        "test_client_run_enrolment.py",
        "the key written in place (O_CREAT|O_TRUNC, 0600): an existing key file keeps its "
        "mode (0644 from an earlier copy)",
        _enr_key_mode_kept,
        enroll=True,
    ),
    _m(
        "eke-resume-partial",
        "eke",
        "APP-STORE-1",
        "test_client_run_temporaries.py",
        "eke get: a recent .sft-partial-* of the output directory is resumed (appended to) "
        "instead of a new temporary made with O_EXCL",
        _eke_resume_partial,
    ),
)
