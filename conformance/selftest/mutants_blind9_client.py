"""Blind red-team round 9: the CLIENTS (`sft eke get/put`, `sft get/put`), written from
docs/SPEC.md and the reference's clients only, through the five lenses of round 9.

Lens 1, refactoring slips:
  b9cli-eke-c3-nonce-n2          C3 sealed under C2's nonce (copied from the C2 code)
  b9cli-eke-seal-iv-s2c          records sealed with the c2s key but the s2c IV
  b9cli-eke-th-user-chars        th's u16be(len(U)) counts characters, not bytes
  b9cli-eke-salt-user-chars      the scrypt salt's u16be(len(U)) counts characters
  b9cli-pki-checks-own-cert      the certificate checks run on our own certificate
  b9cli-eke-sweep-cwd            stale temporaries swept in the working directory, not
  b9cli-pki-sweep-cwd              in the output's directory (two similar paths)
  (b9cli-eke-c2-short-ns, the length check of the Ns that C2 carries dropped: written,
  then dropped as equivalent -- EKE2's schema fixes `c` at 96 hex characters, so C2
  always opens to 32 bytes and the check is unreachable.)
Lens 2, library defaults and lenient parsers:
  b9cli-pwf-read-text            Path.read_text: universal newlines turn a lone CR into LF
  b9cli-pwf-splitlines           str.splitlines: U+2028, FF, VT... split the password
  b9cli-pwf-utf8-sig             "utf-8-sig": a leading U+FEFF is silently dropped
  b9cli-eke-json-nonstrict       json.loads(strict=False): raw control characters inside
  b9cli-pki-json-nonstrict         JSON strings accepted
  b9cli-eke-eke1-upper-hex       EKE1's `a` in upper-case hex
  b9cli-eke-done-upper-hex       a put's DONE sha256 in upper-case hex
  b9cli-pki-done-upper-hex
  b9cli-pki-default-certs        the initiator's context also loads the system trust store
  b9cli-pki-keylog-env           the initiator honours SSLKEYLOGFILE (library default)
Lens 3, error paths:
  b9cli-eke-close-waits          after a fatal EROR (or any failure) the client waits for
                                 the server's FIN before closing
  b9cli-pki-bye-after-fatal      a fatal EROR leaves the core in IDLE: BYE_ follows it
  b9cli-eke-eror-in-clear        a record that fails to authenticate is answered with a
                                 plaintext EROR (the handshake's error path reused)
  (b9cli-pki-refusal-no-notify, a responder refused after the handshake for its alias
  left with a bare close, no close_notify: written, then dropped -- PKI-TLS-7 lists the
  ends that owe close_notify (BYE_, a completed transfer, a fatal EROR, a timeout, the
  peer's close_notify) and an initiator's PKI-ID-1 abort without an EROR is not among
  them; an alert or a bare close there breaks no MUST that is clear.)
  b9cli-eke-probe-left           a writability probe made before RQFL is removed only on
  b9cli-pki-probe-left             the happy path: a refusal leaves a temporary behind
Lens 4, configuration:
  b9cli-eke-record-limit-unset   the frame limit applied to the inner frame only, not to
                                 the RECD header
  b9cli-eke-busy-fixed-wait      `retry_after` parsed, then a fixed 1 s wait used
  b9cli-pki-groups-server-only   the TLS groups pinned on server contexts only
  (Two written here turned out to be the SPEC's other reading of FRM-8 — a control
  payload over 64 KiB refused once it is in, not from its header — and are now READINGS
  in mutants_ambig.py: `_eke_hs_control_limit`, `_pki_control_limit_late`.)
Lens 5, crypto API misuse:
  b9cli-eke-na-is-ns             the client's Na is the server's Ns echoed
  b9cli-eke-na-prefix            EKE4's Na compared on its first 16 bytes
  b9cli-eke-rng-time-seeded      x, the sign bit and Na from random.Random(time)
  b9cli-eke-sign-bit-zero        X' = X always (the sign bit never drawn)
  b9cli-eke-c3-record-key        C3 sealed under the c2s record key, not Kcc
"""

from __future__ import annotations
import __future__

import contextlib
import inspect
import json
import random
import ssl
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _edit(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Replaces `owner.attr` by its own source with `edits` applied (each must match once),
    compiled in its module's globals; raises when the reference no longer matches."""
    func = inspect.getattr_static(owner, attr)
    target = func.__func__ if isinstance(func, staticmethod | classmethod) else func
    source = textwrap.dedent(inspect.getsource(target))
    for old, new in edits:
        if source.count(old) != 1:
            raise RuntimeError(f"{attr}: {old!r} found {source.count(old)} times")
        source = source.replace(old, new)
    module = sys.modules[target.__module__]
    code = compile(
        source,
        f"<mutant {target.__module__}.{attr}>",
        "exec",
        flags=__future__.annotations.compiler_flag,
        dont_inherit=True,
    )
    scope: dict[str, Any] = {}
    exec(code, module.__dict__, scope)  # noqa: S102 - planting a mutant is the point
    setattr(owner, attr, scope[attr])


# --- lens 1 ----------------------------------------------------------------------------


def _eke_c3_nonce_n2() -> None:
    crypto = _module("reference.eke.crypto")
    original = crypto._confirm_nonce_and_ad

    def nonce_and_ad(step: int, th: bytes) -> tuple[bytes, bytes]:
        nonce, ad = original(step, th)
        if step == 3:
            nonce = original(2, th)[0]
        return nonce, ad

    crypto._confirm_nonce_and_ad = nonce_and_ad


def _eke_seal_iv_s2c() -> None:
    records = _module("reference.eke.records")
    crypto = _module("reference.eke.crypto")
    original = records.RecordChannel.__init__

    def init(self: Any, keys: Any, *, is_client: bool, **kwargs: Any) -> None:
        original(self, keys, is_client=is_client, **kwargs)
        if is_client:
            sealer = self.sealer
            self.sealer = crypto.RecordSealer(
                keys.key_c2s, keys.iv_s2c, sealer.max_inner, block_limit=sealer.block_limit
            )

    records.RecordChannel.__init__ = init


def _eke_th_user_chars() -> None:
    crypto = _module("reference.eke.crypto")
    _edit(
        crypto, "transcript_hash", ('struct.pack("!H", len(raw))', 'struct.pack("!H", len(user))')
    )


def _eke_salt_user_chars() -> None:
    crypto = _module("reference.eke.crypto")
    _edit(
        crypto,
        "password_key",
        (
            "salt=_user_salt(check_user_name(user)),",
            'salt=_PROTOCOL + struct.pack("!H", len(user)) + check_user_name(user),',
        ),
    )


def _pki_checks_own_cert() -> None:
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    serialization = _module("cryptography.hazmat.primitives.serialization")
    own: dict[str, bytes] = {}
    original_init = client.PkiSession.__init__

    def init(self: Any, identity: Any, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(OSError, ValueError):
            cert = x509.load_pem_x509_certificate(identity.cert.read_bytes())
            own["der"] = cert.public_bytes(serialization.Encoding.DER)
        original_init(self, identity, *args, **kwargs)

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        if sock.selected_alpn_protocol() != tls.ALPN:
            raise tls.CertificateRefused(f"the peer did not negotiate ALPN {tls.ALPN}")
        if sock.version() != "TLSv1.3":
            raise tls.CertificateRefused("the peer did not negotiate TLS 1.3")
        # The slip: the checks are handed the wrong one of two certificates.
        tls.check_peer_certificate(own.get("der"), as_server=as_server)
        peer = sock.getpeercert(binary_form=True)
        if peer is None:
            raise tls.CertificateRefused("no certificate was presented")
        return str(tls._common_name(x509.load_der_x509_certificate(peer)))

    client.PkiSession.__init__ = init
    client.peer_alias = peer_alias


def _sweep_cwd(module_name: str) -> None:
    module = _module(module_name)
    original = module.remove_stale_partials

    def sweep(directory: Path, *, older_than: float | None = None) -> int:
        removed: int = original(Path("."), older_than=older_than)
        return removed

    module.remove_stale_partials = sweep


def _eke_sweep_cwd() -> None:
    _sweep_cwd("reference.cli.eke")


def _pki_sweep_cwd() -> None:
    # reference.cli.pki imports it from reference.transfer inside `_get`.
    _sweep_cwd("reference.transfer")


# --- lens 2 ----------------------------------------------------------------------------


def _pwf(read: Any) -> None:
    cli_eke = _module("reference.cli.eke")
    cli = _module("reference.cli")

    def read_password_file(path: Path) -> str:
        try:
            return str(read(path))
        except OSError as exc:
            raise cli.CommandError(f"cannot read the password file: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise cli.CommandError("the password file is not UTF-8", 2) from None

    cli_eke._read_password_file = read_password_file


def _pwf_read_text() -> None:
    def read(path: Path) -> str:
        text = path.read_text(encoding="utf-8")  # universal newlines: "\r" becomes "\n"
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            raise _module("reference.cli").CommandError(
                "the password file holds more than one line", 2
            )
        return password

    _pwf(read)


def _pwf_splitlines() -> None:
    def read(path: Path) -> str:
        lines = path.read_bytes().decode("utf-8").splitlines()
        if len(lines) != 1:
            raise _module("reference.cli").CommandError(
                "the password file must hold exactly one line", 2
            )
        return lines[0]

    _pwf(read)


def _pwf_utf8_sig() -> None:
    def read(path: Path) -> str:
        text = path.read_bytes().decode("utf-8-sig")  # tolerates files saved by Notepad
        password = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
        if "\r" in password or "\n" in password:
            raise _module("reference.cli").CommandError(
                "the password file holds more than one line", 2
            )
        return password

    _pwf(read)


def _json_nonstrict() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def loads_control(payload: bytes | bytearray | memoryview) -> dict[str, Any]:
        if len(payload) > frames.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, "control payload too large"
            )
        try:
            value = json.loads(
                bytes(payload).decode("utf-8"),
                object_pairs_hook=frames._no_duplicates,
                parse_constant=frames._reject_constant,
                strict=False,  # the slip: "be liberal in what you accept"
            )
        except UnicodeDecodeError:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "payload is not UTF-8"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, f"payload is not valid JSON: {exc}"
            ) from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not a JSON object")
        return value

    messages.loads_control = loads_control


def _eke_eke1_upper_hex() -> None:
    handshake = _module("reference.eke.handshake")
    original = handshake.ClientHandshake._setup

    def setup(self: Any, user: str, pw: bytes, **kwargs: Any) -> None:
        original(self, user, pw, **kwargs)
        self._outbox.clear()
        self._outbox += handshake._control(
            handshake.T_EKE1, {"user": user, "a": self._a.hex().upper()}
        )

    handshake.ClientHandshake._setup = setup


def _done_upper_hex() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    original = app.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.Done):
            message = messages.Done(message.size, message.sha256.upper())
        data: bytes = original(message)
        return data

    app.encode_message = encode_message


def _pki_default_certs() -> None:
    client = _module("reference.pki.client")
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = original(identity, crl_der)
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        return ctx

    client.client_context = client_context


def _pki_keylog_env() -> None:
    tls = _module("reference.pki.tls")
    _edit(
        tls,
        "_base_context",
        (
            "ctx.keylog_filename = None  # type: ignore[assignment]",
            "ctx.keylog_filename = os.environ.get('SSLKEYLOGFILE')  # type: ignore[assignment]",
        ),
    )


# --- lens 3 ----------------------------------------------------------------------------


def _eke_close_waits() -> None:
    client = _module("reference.eke.client")

    def abandon(self: Any) -> None:
        # "Read what is left so that the close is a FIN, not a reset" -- without the
        # shutdown that sends our FIN first: the client waits for the server to close.
        self._stream = None
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(self.config.idle_timeout)
                while sock.recv(4096):
                    pass
            with contextlib.suppress(OSError):
                sock.close()

    client.EkeClient._abandon = abandon


def _pki_bye_after_fatal() -> None:
    app = _module("reference.app")
    _edit(
        app.ApplicationConnection,
        "_on_control",
        (
            "self.state = nxt if not message.fatal else self._closed()",
            "self.state = nxt if nxt is not None else self._closed()",
        ),
    )


def _eke_eror_in_clear() -> None:
    client = _module("reference.eke.client")
    handshake = _module("reference.eke.handshake")
    client._clear_error = handshake.encode_error
    _edit(
        client.EkeClient,
        "_next",
        (
            "except (AuthenticationFailed, TruncatedStream):\n        self._abandon()",
            "except (AuthenticationFailed, TruncatedStream) as _failure:\n"
            "        if type(_failure) is AuthenticationFailed:\n"
            "            with contextlib.suppress(OSError):\n"
            "                stream.sock.sendall(\n"
            "                    _clear_error(ErrorCode.AUTH_FAILED, 'authentication failed')\n"
            "                )\n"
            "        self._abandon()",
        ),
    )


def _eke_probe_left() -> None:
    client = _module("reference.eke.client")
    _edit(
        client.EkeClient,
        "get",
        (
            'is not a directory")\n',
            'is not a directory")\n'
            "    probe = PartialFile.create(destination, 0)  # fail early if unwritable\n",
        ),
        ("answer = self._next(stream)\n", "answer = self._next(stream)\n    probe.abort()\n"),
    )


def _pki_probe_left() -> None:
    transfer = _module("reference.transfer")
    _edit(
        transfer.Initiator,
        "get",
        (
            'is not a directory")\n',
            'is not a directory")\n'
            "    probe = PartialFile.create(destination, 0)  # fail early if unwritable\n",
        ),
        (
            "response = self._answer()\n",
            "response = self._answer()\n        probe.abort()\n",
        ),
    )


# --- lens 4 ----------------------------------------------------------------------------


def _eke_hs_control_limit() -> None:
    """A conforming reading, not a mutant: the payload is read, then refused by the JSON
    layer's control limit (FRM-8 does not say "from the header"). See mutants_ambig."""
    handshake = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    handshake.MAX_CONTROL_PAYLOAD = frames.DEFAULT_MAX_PAYLOAD  # the frame limit for all


def _pki_control_limit_late() -> None:
    """A conforming reading, not a mutant: FRM-8 does not say "from the header" (FRM-3
    does, for the frame limit). Planted by mutants_ambig's READINGS."""
    app = _module("reference.app")
    _edit(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if False and frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
        ),
    )


def _eke_record_limit_unset() -> None:
    records = _module("reference.eke.records")
    frames = _module("reference.frames")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        result: tuple[bytes, int] = frames.parse_header(header, 0xFFFFFFFF)
        return result

    records.parse_header = parse_header


def _eke_busy_fixed_wait() -> None:
    client = _module("reference.eke.client")
    _edit(
        client.EkeClient,
        "connect",
        (
            "wait = exc.retry_after if exc.retry_after is not None else 1",
            "wait = 1  # retry_after is read for the message only",
        ),
    )


def _pki_groups_server_only() -> None:
    tls = _module("reference.pki.tls")
    _edit(
        tls,
        "_pin_tls13_parameters",
        (
            "        ok = ok and control(handle, command, 0, value.encode()) == 1",
            "        if command == _SSL_CTRL_SET_GROUPS_LIST and (\n"
            "            ctx.protocol == ssl.PROTOCOL_TLS_CLIENT\n"
            "        ):\n"
            "            continue  # the client's groups: left to the library\n"
            "        ok = ok and control(handle, command, 0, value.encode()) == 1",
        ),
    )


# --- lens 5 ----------------------------------------------------------------------------


def _eke_na_is_ns() -> None:
    handshake = _module("reference.eke.handshake")
    _edit(
        handshake.ClientHandshake,
        "_on_eke2",
        ("self._keys = keys\n", "self._keys = keys\n    self._na = ns\n"),
    )


def _eke_na_prefix() -> None:
    handshake = _module("reference.eke.handshake")
    _edit(
        handshake.ClientHandshake,
        "_on_eke4",
        (
            "hmac.compare_digest(na, self._na)",
            "hmac.compare_digest(na[:16], self._na[:16])",
        ),
    )


def _eke_rng_time_seeded() -> None:
    crypto = _module("reference.eke.crypto")
    rng = random.Random(int(time.time()))

    def new_ephemeral() -> Any:
        bits = rng.getrandbits(crypto.EXPONENT_BITS)
        return crypto._ephemeral_from_parts(exponent=bits | (1 << crypto.EXPONENT_BITS))

    def new_nonce() -> bytes:
        return rng.randbytes(crypto.NONCE_LEN)

    def hide_element(pw: bytes, element: int) -> bytes:
        hidden: bytes = crypto._hide_element_from_parts(pw, element, sign_bit=rng.getrandbits(1))
        return hidden

    crypto.new_ephemeral = new_ephemeral
    crypto.new_nonce = new_nonce
    crypto.hide_element = hide_element


def _eke_sign_bit_zero() -> None:
    crypto = _module("reference.eke.crypto")

    def hide_element(pw: bytes, element: int) -> bytes:
        hidden: bytes = crypto._hide_element_from_parts(pw, element, sign_bit=0)
        return hidden

    crypto.hide_element = hide_element


def _eke_c3_record_key() -> None:
    handshake = _module("reference.eke.handshake")
    _edit(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "c3 = crypto.seal_confirm(keys.kcc, 3,",
            "c3 = crypto.seal_confirm(keys.key_c2s, 3,",
        ),
    )


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
) -> Mutant:
    return Mutant(
        name,
        "blind9-client",
        profile,
        requirement,
        test_file,
        description,
        apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b9cli-eke-c3-nonce-n2",
        "eke",
        "EKE-HS-5",
        "test_eke_client_keys.py",
        "the client seals C3 under N2 (the C2 code copied), not N3",
        _eke_c3_nonce_n2,
    ),
    _m(
        "b9cli-eke-seal-iv-s2c",
        "eke",
        "EKE-KS-4",
        "test_eke_client_keys.py",
        "the client seals its records with the c2s key and the s2c IV",
        _eke_seal_iv_s2c,
    ),
    _m(
        "b9cli-eke-th-user-chars",
        "eke",
        "EKE-KS-1",
        "test_eke_client_keys.py",
        "the client's th counts the user name's length in characters, not UTF-8 bytes",
        _eke_th_user_chars,
    ),
    _m(
        "b9cli-eke-salt-user-chars",
        "eke",
        "EKE-PW-1",
        "test_eke_client.py",
        "the client's scrypt salt counts the user name's length in characters",
        _eke_salt_user_chars,
    ),
    _m(
        "b9cli-pki-checks-own-cert",
        "pki",
        "PKI-CERT-6",
        "test_client_pki_certs.py",
        "the initiator runs the PKI-CERT checks on its own certificate, not the peer's",
        _pki_checks_own_cert,
    ),
    _m(
        "b9cli-eke-sweep-cwd",
        "eke",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "the eke client sweeps stale temporaries in its working directory, not the output's",
        _eke_sweep_cwd,
    ),
    _m(
        "b9cli-pki-sweep-cwd",
        "pki",
        "APP-STORE-3",
        "test_pki_initiator_transfer.py",
        "the pki initiator sweeps stale temporaries in its working directory, not the output's",
        _pki_sweep_cwd,
    ),
    # lens 2
    _m(
        "b9cli-pwf-read-text",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "the password file read with universal newlines: a lone trailing CR is accepted",
        _pwf_read_text,
    ),
    _m(
        "b9cli-pwf-splitlines",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "the password file split with str.splitlines: U+2028, FF, VT, NEL end the line",
        _pwf_splitlines,
    ),
    _m(
        "b9cli-pwf-utf8-sig",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "the password file decoded as utf-8-sig: a leading U+FEFF is dropped",
        _pwf_utf8_sig,
    ),
    _m(
        "b9cli-eke-json-nonstrict",
        "eke",
        "FRM-9",
        "test_eke_client_transfer.py",
        "the eke client parses control payloads with json strict=False (raw controls)",
        _json_nonstrict,
    ),
    _m(
        "b9cli-pki-json-nonstrict",
        "pki",
        "FRM-9",
        "test_pki_initiator_transfer.py",
        "the pki initiator parses control payloads with json strict=False (raw controls)",
        _json_nonstrict,
    ),
    _m(
        "b9cli-eke-eke1-upper-hex",
        "eke",
        "EKE-HS-1",
        "test_eke_client.py",
        "the client sends EKE1's `a` in upper-case hexadecimal",
        _eke_eke1_upper_hex,
    ),
    _m(
        "b9cli-eke-done-upper-hex",
        "eke",
        "APP-PUT-4",
        "test_client_put.py",
        "the eke client's put DONE carries its sha256 in upper-case hexadecimal",
        _done_upper_hex,
    ),
    _m(
        "b9cli-pki-done-upper-hex",
        "pki",
        "APP-PUT-4",
        "test_client_put.py",
        "the pki initiator's put DONE carries its sha256 in upper-case hexadecimal",
        _done_upper_hex,
    ),
    _m(
        "b9cli-pki-default-certs",
        "pki",
        "PKI-TLS-4",
        "test_pki_certs.py",
        "the initiator's context also loads the system's default trust store",
        _pki_default_certs,
    ),
    _m(
        "b9cli-pki-keylog-env",
        "pki",
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "the initiator's TLS context writes its secrets to $SSLKEYLOGFILE",
        _pki_keylog_env,
    ),
    # lens 3
    _m(
        "b9cli-eke-close-waits",
        "eke",
        "ERR-3",
        "test_client_fatal_errors.py",
        "after a fatal EROR the eke client waits for the server's FIN before closing",
        _eke_close_waits,
    ),
    _m(
        "b9cli-pki-bye-after-fatal",
        "pki",
        "ERR-3",
        "test_client_fatal_errors.py",
        "a fatal EROR answering a request leaves the initiator IDLE: it sends BYE_ after it",
        _pki_bye_after_fatal,
    ),
    _m(
        "b9cli-eke-eror-in-clear",
        "eke",
        "EKE-REC-4",
        "test_eke_client_transfer.py",
        "a record that fails to authenticate is answered with a plaintext EROR",
        _eke_eror_in_clear,
    ),
    _m(
        "b9cli-eke-probe-left",
        "eke",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "a temporary made before RQFL is removed on success only: a refusal leaves it",
        _eke_probe_left,
    ),
    _m(
        "b9cli-pki-probe-left",
        "pki",
        "APP-STORE-3",
        "test_pki_initiator_transfer.py",
        "a temporary made before RQFL is removed on success only: a refusal leaves it",
        _pki_probe_left,
    ),
    # lens 4
    _m(
        "b9cli-eke-record-limit-unset",
        "eke",
        "EKE-REC-6",
        "test_eke_client_transfer.py",
        "the client applies no limit to a RECD header (only to the inner frame)",
        _eke_record_limit_unset,
    ),
    _m(
        "b9cli-eke-busy-fixed-wait",
        "eke",
        "EKE-THR-7",
        "test_eke_client.py",
        "the client retries a `busy` after a fixed 1 s, whatever its retry_after",
        _eke_busy_fixed_wait,
    ),
    _m(
        "b9cli-pki-groups-server-only",
        "pki",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "the TLS groups are pinned on server contexts only: the ClientHello offers ffdhe",
        _pki_groups_server_only,
    ),
    # lens 5
    _m(
        "b9cli-eke-na-is-ns",
        "eke",
        "EKE-HS-10",
        "test_eke_client.py",
        "the client's Na is the server's Ns echoed back, never a fresh nonce",
        _eke_na_is_ns,
    ),
    _m(
        "b9cli-eke-na-prefix",
        "eke",
        "EKE-HS-7",
        "test_eke_client.py",
        "the client compares EKE4's Na on its first 16 bytes only",
        _eke_na_prefix,
    ),
    _m(
        "b9cli-eke-rng-time-seeded",
        "eke",
        "EKE-X-1",
        "test_eke_client.py",
        "x, the sign bit and Na come from random.Random seeded with the time in seconds",
        _eke_rng_time_seeded,
    ),
    _m(
        "b9cli-eke-sign-bit-zero",
        "eke",
        "EKE-X-2",
        "test_eke_client_transfer.py",
        "the client never draws the sign bit: X' = X always",
        _eke_sign_bit_zero,
    ),
    _m(
        "b9cli-eke-c3-record-key",
        "eke",
        "EKE-KS-4",
        "test_eke_client_keys.py",
        "the client seals C3 under its c2s record key instead of Kcc",
        _eke_c3_record_key,
    ),
)
