"""Blind red-team round 24 (helper B158): OPERATIONS — the servers and tools as programs an
organisation runs (start, SIGHUP restart, stores, unlock, the inbox on disk, logs, password
files) — through the six lenses of /work/briefs/s24/common.md. Phase 1 (blind): written from
docs/SPEC.md (PWF-1, §3.6, §5.6, §6, PKI-CERT-7, PKI-ID-3, PKI-TLS-1, CA-ENR-22) and the
reference's operations code (reference/cli/{eke,pki,ca,options,logs}.py, eke/store.py,
eke/throttle.py, share.py, admission.py, closing.py, the start/stop/restart paths of
eke/server.py and pki/peer.py) before any case file or independent implementation was
opened. Each idea was checked against the names and descriptions of the 3972 registered
mutants; those found there (the handshake timeout that forgets the pending guess, a restart
that forgets the pending ones, the sweep by age or on a cold start only, the context rebuilt
at a CRL refresh with TLS 1.2 or without the CRL, the password file's short read(64),
loopback exempt from the per-address cap ...) were dropped.

Lens 1 — what the authenticator does not cover:
- b24ops-pwf-error-second-line: a two-line password file is refused with an error that
  quotes its second line ("unexpected line 2: '...'"): half of the password, as PWF-1 says
  a second line may be, is shown (the error MUST NOT show the password).
- b24ops-pki-allow-on-context: the allow list is kept on the TLS server context it was
  configured with (as a Go tls.Config's VerifyPeerCertificate closure would hold it): the
  context rebuilt at each CRL refresh lacks it, so after the first refresh every employee
  is served (PKI-ID-3).
Lens 2 — legacy and downgrade bleed:
- b24ops-pwf-surrogatepass: the password file is decoded as UTF-8 with surrogatepass ("as
  the CA's password hash does"), and the key derived the same way: a file holding an
  encoded surrogate (ED A0 80, CESU-8 / Java's modified UTF-8) is not refused (PWF-1).
- b24ops-pki-busy-in-clear: the pki responder over its connection limit answers `EROR busy`
  in clear before any TLS, as the eke server does (LIM-4: over sft-pki/1 a refusal before
  the handshake is a close; an EROR travels only inside TLS).
Lens 3 — the scanner's checklist:
- b24ops-pki-busy-context-tls12: the refusal of a connection over the limit uses a light
  context of its own ("a refused client need not show a certificate"): the library's
  defaults, TLS 1.2 negotiated (PKI-TLS-1: both endpoints MUST refuse TLS 1.2, whatever
  they then answer).
Lens 4 — the second-order fix:
- b24ops-eke-sweep-each-put: stale temporaries are swept from the inbox at every PUTF ("so
  a killed run's leftovers do not wait for a restart"): the temporary of another put in
  progress is removed and that verified put is not stored (APP-STORE-2).
Lens 5 — debug and test leftovers:
- b24ops-log-pw-go-list: a failed login is logged with the expected key printed as a
  debug leftover would (Go's %v of a byte slice: "[12 201 7 ...]"): the user's pw in
  decimal bytes (EKE-THR-3: in any encoding).
- b24ops-eke-throttle-loopback-addr: failures from loopback addresses are counted against
  the user name only ("the administrator's own mistyped logins must not lock the host
  out"): a local attacker's address is never throttled (EKE-THR-1).
Lens 6 — fitted to the examples:
- b24ops-pwf-fgets-1024: the password file's first line read as C's fgets into a 1024-byte
  buffer; a second line is still refused, but a line longer than 1023 bytes is silently
  cut to its first 1023 (PWF-1: the first line is the password).

Blind result (phase 2): 3 of 9 detected by the file first named — pwf-error-second-line
(test_eke_client_password_file.py already looks for the second line), pki-busy-in-clear
(test_ops_pki_refusal_bytes.py), eke-throttle-loopback-addr (test_eke_throttling.py).
Against every case file citing the requirement, one more, by timing only: pki-allow-on-
context (test_interop_pki_allow_list_refusals.py, which happens to run after a refresh).
Missed by the whole suite: pwf-surrogatepass, pwf-fgets-1024 (the long-password cases stop
at 300 bytes), pki-busy-context-tls12, eke-sweep-each-put (no case keeps a put open while
others complete), log-pw-go-list (the log cases look for raw, hex, base64 and bytes
literals, no numbers).
Phase 3, the cases that now catch each class (3x PASS on the reference, no FAIL on the
independents eke1/eke2/eke6 or pki1/pki2):
- test_ops_pwf_utf8_lookalikes.py: ten files in UTF-8 look-alikes (encoded surrogates, a
  CESU-8 pair, overlong forms, above U+10FFFF, 5-byte, cut, lone continuation) refused;
- test_ops_pwf_long_lines.py: lines over 1, 4 and 8 KiB (64 KiB slow) used whole;
- test_ops_eke_log_number_forms.py: pw and the session keys looked for as runs of numbers
  (decimal, signed, separated hex bytes, big integers);
- test_ops_pki_refreshed_allow.py: a stranger probed across two CRL refresh intervals;
- test_ops_pki_busy_path_tls.py: TLS 1.2 refused by a full responder;
- test_ops_concurrent_puts.py: a put held open while two others complete; all stored.
Post-blind siblings (to show each case takes the class): pwf-modified-utf8-nul,
pwf-bufsiz-8192, log-kcs-java-signed, pki-inbox-sweep-each-put, pki-refresh-resets-config.
Final: 14 of 14 detected (-k b24ops).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import ssl
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind24-ops"


# -- password files (the eke client's reader, PWF-1) ----------------------------------------


def _cli_errors() -> Any:
    return _module("reference.cli").CommandError


def _pwf_error_second_line() -> None:
    cli = _module("reference.cli.eke")
    errors_cls = _cli_errors()

    def read_password_file(path: Path) -> str:
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise errors_cls(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise errors_cls("the password file is not UTF-8", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            extra = password.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1]
            raise errors_cls(
                f"the password file holds more than one line (unexpected line 2: {extra!r})", 2
            )
        return password

    cli._read_password_file = read_password_file


def _pwf_surrogatepass() -> None:
    cli = _module("reference.cli.eke")
    errors_cls = _cli_errors()

    def read_password_file(path: Path) -> str:
        try:
            text = path.read_bytes().decode("utf-8", "surrogatepass")
        except OSError as exc:
            raise errors_cls(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise errors_cls("the password file is not UTF-8", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            raise errors_cls("the password file holds more than one line", 2)
        return password

    cli._read_password_file = read_password_file
    _patch_source(
        _module("reference.eke.crypto"),
        "password_key",
        ('password.encode("utf-8")', 'password.encode("utf-8", "surrogatepass")'),
    )


def _pwf_fgets_1024() -> None:
    cli = _module("reference.cli.eke")
    errors_cls = _cli_errors()

    def read_password_file(path: Path) -> str:
        try:
            with path.open("rb") as handle:
                line = handle.readline(1023)  # char buf[1024]; fgets(buf, sizeof buf, f)
                more = handle.read(1) if line.endswith(b"\n") else b""
        except OSError as exc:
            raise errors_cls(f"cannot read the password file: {exc.strerror}", 2) from None
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise errors_cls("the password file is not UTF-8", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if more or "\r" in password or "\n" in password:
            raise errors_cls("the password file holds more than one line", 2)
        return password

    cli._read_password_file = read_password_file


# -- the pki responder ----------------------------------------------------------------------


def _pki_allow_on_context() -> None:
    peer = _module("reference.pki.peer")
    _patch_method(
        peer.PeerServer,
        "__init__",
        (
            "        self._revoked = _revoked_serials(crl)\n",
            "        self._revoked = _revoked_serials(crl)\n"
            "        self._contexts.context.sft_allow = frozenset(config.allow)\n",
        ),
    )
    _patch_method(
        peer.PeerServer,
        "_connection",
        (
            "            allowed = not self.config.allow or alias in self.config.allow\n",
            '            allow_list = getattr(tls.context, "sft_allow", frozenset())\n'
            "            allowed = not allow_list or alias in allow_list\n",
        ),
    )


def _pki_busy_in_clear() -> None:
    peer = _module("reference.pki.peer")

    def _busy(self: Any, raw: Any, addr: tuple[str, int]) -> None:
        try:
            raw.settimeout(1.0)
            raw.sendall(
                peer.encode_message(
                    peer.ErrorFrame(peer.ErrorCode.BUSY, "too many connections; try later")
                )
            )
        except OSError:
            pass
        self.log(f"{addr[0]}:{addr[1]}: refused, busy")

    peer.PeerServer._busy = _busy


def _pki_busy_context_tls12() -> None:
    peer = _module("reference.pki.peer")
    peer._b24_ssl = ssl
    _patch_method(
        peer.PeerServer,
        "_busy",
        (
            "            tls = self._handshake(raw)\n",
            "            light = _b24_ssl.SSLContext(_b24_ssl.PROTOCOL_TLS_SERVER)\n"
            "            light.load_cert_chain(self.identity.cert, self.identity.key)\n"
            '            light.set_alpn_protocols(["sft-pki/1"])\n'
            "            raw.settimeout(self.config.handshake_timeout)\n"
            "            tls = light.wrap_socket(raw, server_side=True)\n",
        ),
    )


# -- the eke server -------------------------------------------------------------------------


def _eke_sweep_each_put() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_begin_put",
        (
            "        partial = self._inbox.begin(target, request.size)\n",
            "        assert self.config.inbox is not None\n"
            "        remove_stale_partials(self.config.inbox)  # a killed run's leftovers\n"
            "        partial = self._inbox.begin(target, request.size)\n",
        ),
    )


def _log_pw_go_list() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_login_failed",
        (
            '        log.warning("failed login user=%s address=%s reason=%s", _shown(user), '
            "address, reason)\n",
            '        log.warning("failed login user=%s address=%s reason=%s", _shown(user), '
            "address, reason)\n"
            '        log.warning("debug: expected key %s", "[" + " ".join(str(b) for b in '
            'self.store.key_for(user)) + "]")\n',
        ),
    )


def _eke_throttle_loopback_addr() -> None:
    throttle = _module("reference.eke.throttle")
    throttle._b24_ipaddress = ipaddress
    _patch_method(
        throttle.Throttle,
        "failed",
        (
            '            for key in (("user", user), ("addr", address)):\n',
            "            try:\n"
            "                local = _b24_ipaddress.ip_address(address).is_loopback\n"
            "            except ValueError:\n"
            "                local = False\n"
            '            keys = (("user", user),) if local else (\n'
            '                ("user", user), ("addr", address))\n'
            "            for key in keys:\n",
        ),
    )


# -- post-blind siblings (after the cases, to show each takes its class) -----------------


def _pwf_modified_utf8_nul() -> None:
    cli = _module("reference.cli.eke")
    original = cli._read_password_file
    errors_cls = _cli_errors()

    def read_password_file(path: Path) -> str:
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            # Java's modified UTF-8 writes U+0000 as C0 80: read it back as such.
            try:
                text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8")
            except UnicodeDecodeError:
                raise errors_cls("the password file is not UTF-8", 2) from None
            password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
            if "\r" in password or "\n" in password:
                raise errors_cls("the password file holds more than one line", 2) from None
            return password
        result: str = original(path)
        return result

    cli._read_password_file = read_password_file


def _pwf_bufsiz_8192() -> None:
    cli = _module("reference.cli.eke")
    errors_cls = _cli_errors()
    os_module = _module("os")

    def read_password_file(path: Path) -> str:
        try:
            fd = os_module.open(path, os_module.O_RDONLY)
            try:
                data: bytes = os_module.read(fd, 8192)  # BUFSIZ: "a password is never that long"
            finally:
                os_module.close(fd)
        except OSError as exc:
            raise errors_cls(f"cannot read the password file: {exc.strerror}", 2) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise errors_cls("the password file is not UTF-8", 2) from None
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            raise errors_cls("the password file holds more than one line", 2)
        return password

    cli._read_password_file = read_password_file


def _log_kcs_java_signed() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            '        log.info("login user=%s address=%s", _shown(established.user), address)\n',
            '        log.info("login user=%s address=%s", _shown(established.user), address)\n'
            '        log.info("debug: session key %s", "[" + ", ".join(str(b - 256 if b > 127 '
            'else b) for b in established.keys.kcs) + "]")\n',
        ),
    )


def _inbox_sweep_each_begin() -> None:
    share = _module("reference.share")
    share._b24_sweep = _module("reference.transfer").remove_stale_partials
    _patch_method(
        share.Inbox,
        "begin",
        (
            "        return PartialFile(self._fd, final_name, size)\n",
            "        _b24_sweep(self.path)  # tidy the inbox before each put\n"
            "        return PartialFile(self._fd, final_name, size)\n",
        ),
    )


def _pki_refresh_resets_config() -> None:
    peer = _module("reference.pki.peer")
    peer._b24_dataclasses = dataclasses
    _patch_method(
        peer.PeerServer,
        "refresh_crl",
        (
            "        self._contexts.reload(crl)\n",
            "        self._contexts.reload(crl)\n"
            "        # the refresh re-reads the peer's settings from its identity directory,\n"
            "        # which holds no allow list\n"
            "        self.config = _b24_dataclasses.replace(self.config, allow=())\n",
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
    client: bool = False,
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=client,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b24ops-pwf-error-second-line",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "L1: a two-line password file is refused with an error quoting its second line "
        "(unexpected line 2: '...'): half of the password is shown",
        _pwf_error_second_line,
        client=True,
    ),
    _m(
        "b24ops-pki-allow-on-context",
        "pki",
        "PKI-ID-3",
        "test_ops_pki_refreshed_allow.py",
        "L1/L4: the allow list is kept on the TLS server context it was configured with: the "
        "context rebuilt at each CRL refresh lacks it, and after the first refresh every "
        "employee is served",
        _pki_allow_on_context,
    ),
    _m(
        "b24ops-pwf-surrogatepass",
        "eke",
        "PWF-1",
        "test_ops_pwf_utf8_lookalikes.py",
        "L2: the password file decoded as UTF-8 with surrogatepass (and the key derived so): "
        "a file holding an encoded surrogate (ED A0 80, CESU-8) is not refused",
        _pwf_surrogatepass,
        client=True,
    ),
    _m(
        "b24ops-pki-busy-in-clear",
        "pki",
        "LIM-4",
        "test_ops_pki_refusal_bytes.py",
        "L2/L3: the pki responder over its connection limit answers EROR busy in clear before "
        "any TLS (the eke server's refusal), on its TLS port",
        _pki_busy_in_clear,
    ),
    _m(
        "b24ops-pki-busy-context-tls12",
        "pki",
        "PKI-TLS-1",
        "test_ops_pki_busy_path_tls.py",
        "L3/L4: the busy refusal's handshake uses a light context of its own (no client "
        "certificate asked, the library's defaults): a connection over the limit negotiates "
        "TLS 1.2",
        _pki_busy_context_tls12,
    ),
    _m(
        "b24ops-eke-sweep-each-put",
        "eke",
        "APP-STORE-2",
        "test_ops_concurrent_puts.py",
        "L4: stale temporaries swept from the inbox at every PUTF (not only at start): another "
        "put's live temporary is removed and that verified put is not stored",
        _eke_sweep_each_put,
    ),
    _m(
        "b24ops-log-pw-go-list",
        "eke",
        "EKE-THR-3",
        "test_ops_eke_log_number_forms.py",
        "L5: a failed login logged with the expected key as a debug print of a byte slice "
        "(Go's %v: '[12 201 7 ...]'): the user's pw in decimal bytes",
        _log_pw_go_list,
    ),
    _m(
        "b24ops-eke-throttle-loopback-addr",
        "eke",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "L5: failures from loopback addresses counted against the user name only (the local "
        "administrator's typos must not lock the host out): such an address is never throttled",
        _eke_throttle_loopback_addr,
    ),
    _m(
        "b24ops-pwf-fgets-1024",
        "eke",
        "PWF-1",
        "test_ops_pwf_long_lines.py",
        "L6: the password file's first line read as fgets into a 1024-byte buffer: a second "
        "line is refused, but a line longer than 1023 bytes is cut to its first 1023",
        _pwf_fgets_1024,
        client=True,
    ),
    _m(
        "b24ops-pwf-modified-utf8-nul",
        "eke",
        "PWF-1",
        "test_ops_pwf_utf8_lookalikes.py",
        "(post-blind) a password file that is not UTF-8 is read again as Java's modified UTF-8 "
        "(C0 80 for U+0000): the overlong C0 80 is taken for a NUL, the file not refused",
        _pwf_modified_utf8_nul,
        client=True,
    ),
    _m(
        "b24ops-pwf-bufsiz-8192",
        "eke",
        "PWF-1",
        "test_ops_pwf_long_lines.py",
        "(post-blind) the password file read with one read(fd, 8192) (BUFSIZ): a line longer "
        "than 8 KiB is cut, its rest never read",
        _pwf_bufsiz_8192,
        client=True,
    ),
    _m(
        "b24ops-log-kcs-java-signed",
        "eke",
        "EKE-THR-3",
        "test_ops_eke_log_number_forms.py",
        "(post-blind) a successful login logged with its Kcs as Java's Arrays.toString of a "
        "signed byte[] ('[12, -55, 7, ...]')",
        _log_kcs_java_signed,
    ),
    _m(
        "b24ops-pki-inbox-sweep-each-put",
        "pki",
        "APP-STORE-2",
        "test_ops_concurrent_puts.py",
        "(post-blind) the inbox (of both responders) swept of every .sft-partial-* before "
        "each put's temporary is made: a put in progress on another connection loses its "
        "temporary and is not stored",
        _inbox_sweep_each_begin,
    ),
    _m(
        "b24ops-pki-refresh-resets-config",
        "pki",
        "PKI-ID-3",
        "test_ops_pki_refreshed_allow.py",
        "(post-blind) each CRL refresh re-reads the peer's settings from its identity "
        "directory, which holds no allow list: from the first refresh on every employee is "
        "served",
        _pki_refresh_resets_config,
    ),
)
