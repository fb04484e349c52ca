"""Blind round 2, the RESPONDER side of the application layer (brief B3, prefix `b2app-`).

Written from docs/SPEC.md §1-§3, §4.1, §4.3, §6 and the reference modules only, before
reading the conformance cases. Each is one plausible implementer's mistake, planted by
monkeypatching the reference inside the mutant's own subprocess.

Blind list (name -> requirement -> bug):

sft-pki/1 adapter (reference/pki/peer.py, reference/pki/tls.py, reference.transfer.Responder):
- b2app-pki-policy-size-default -> APP-PUT-7: the policy is built without the configured
  max file size, so the 4 GiB default applies.
- b2app-pki-allow-prefix -> PKI-ID-4: the allow list is matched by prefix (alice2 passes alice).
- b2app-pki-allow-get-only -> PKI-ID-3: the allow list is enforced for gets only; puts pass.
- b2app-pki-forbidden-no-close -> PKI-ID-3: not-allowed initiator answered forbidden, no close.
- b2app-pki-alpn-none-ok -> PKI-TLS-2: a ClientHello without (our) ALPN is served.
- b2app-pki-tls12-server -> PKI-TLS-1: the responder context allows TLS 1.2 "for compatibility".
- b2app-pki-bare-close -> PKI-TLS-7: the connection is closed without close_notify.
- b2app-pki-handshake-no-watchdog -> LIM-1: only a per-read timeout; trickling bytes hold it.
  DROPPED (equivalent): CPython's do_handshake() timeout is already a deadline for the
  whole call, so without the watchdog the handshake still ends on time.
- b2app-pki-close-after-refusal -> ERR-3: every EROR, even not_found, closes the connection.
- b2app-pki-rsfl-basename -> APP-GET-7: RSFL carries the basename of the requested name.
- b2app-pki-done-before-commit -> APP-PUT-8: DONE is sent before the rename; a lost race
  is only logged.
- b2app-pki-idle-no-eror -> LIM-2: idle timeout closes without EROR timeout.
- b2app-pki-get-serialised -> LIM-5: gets run under one server-wide lock.

sft-eke/1 adapter (reference/eke/server.py):
- b2app-eke-put-no-size-limit -> APP-PUT-7: the eke adapter forgot the max file size check.
- b2app-eke-put-max-refused -> LIM-3: a put of exactly the max file size refused (>=).
- b2app-eke-idle-no-eror -> LIM-2: idle timeout closes without EROR timeout.
- b2app-eke-eror-waits-peer -> ERR-3: after a fatal EROR it waits for the peer to close.
- b2app-eke-put-no-idle -> LIM-2: no idle timeout while a put is received.
- b2app-eke-nfc-name -> APP-NAME-3: get names NFC-normalised before the lookup.

Shared core (app, frames, messages, share, admission), planted in one profile:
- b2app-eke-bye-midput -> APP-BYE-1: BYE_ during a put ends it politely.
- b2app-eke-rsfl-ignored -> APP-1: an RSFL in IDLE is ignored.
- b2app-pki-frame-limit-lenient -> FRM-3: the limit is compared with the payload minus the header.
  DROPPED (not observable at the default limit): every frame of 1 048 833..1 048 840 bytes
  also breaks FRM-13 (DATA above 1 MiB: bad_frame), FRM-8 (control above 64 KiB:
  frame_too_large anyway) or FRM-5 (unexpected_frame), and FRM-16 accepts those codes.
- b2app-eke-control-limit-off-by-one -> FRM-8: a 65 536-byte control payload is refused.
- b2app-eke-empty-data-ok -> FRM-13: an empty DATA frame is accepted.
- b2app-pki-int-float-ok -> FRM-11: integral floats (5.0, 1e3) accepted as integers.
- b2app-eke-dup-equal-ok -> FRM-9: duplicate keys accepted when their values are equal.
- b2app-pki-putf-strict-members -> FRM-10: PUTF with an unknown member refused.
- b2app-pki-buffer-cleared -> APP-2: the read buffer is reset after each get.
- b2app-pki-dir-forbidden -> APP-GET-2: a directory answered forbidden, not not_found.
- b2app-eke-put-path-joined -> APP-PUT-2: a put of a/b stored as a_b.
- b2app-pki-putf-sha-dropped -> APP-PUT-5: PUTF.sha256 is never checked.
- b2app-pki-overflow-at-payload -> APP-PUT-6: overflow detected only once the payload came.
- b2app-eke-drive-upper-only -> APP-NAME-2: only upper-case drive letters refused.
- b2app-pki-c0-off-by-one -> APP-NAME-2: U+001F accepted in names.
- b2app-eke-component-255-refused -> APP-NAME-7: a 255-byte component refused.
- b2app-pki-prefix-confinement -> APP-NAME-4: realpath + string-prefix confinement.
- b2app-eke-c1-bytes -> APP-NAME-8: C1 checked on UTF-8 bytes (refuses "€").
- b2app-pki-eror-upper-name -> ERR-1: EROR name is "NOT_FOUND", not "not_found".
- b2app-pki-unknown-type-bad-frame -> FRM-5: unknown type answered bad_frame.
- b2app-pki-lower-type-ok -> FRM-2: type bytes matched case-insensitively.
- b2app-pki-sha-upper-ok -> FRM-12: upper-case sha256 accepted.
- b2app-eke-max-conn-off-by-one -> LIM-4: max_connections + 1 admitted.
- b2app-eke-exists-at-done -> APP-PUT-3: no exists check at PUTF; the rename refuses.
- b2app-eke-put-replace -> APP-PUT-8: the commit renames over an existing file.
- b2app-eke-digest-per-connection -> APP-GET-2: one SHA-256 for the whole connection.

Phase 2 (measured against the suite as it was): 41 of the 43 kept caught (95 %; three
of them only once `test_file` named the right file: empty-data-ok and buffer-cleared in
test_framing.py, max-conn-off-by-one in test_lockout.py). Survivors, and the cases that
now catch their family: b2app-pki-close-after-refusal (ERR-3: test_app_refusals.py) and
b2app-pki-get-serialised (LIM-5: test_limits_responder.py).

Second and third batches (written after reading the suite, to probe its families): see
the `MUTANTS +=` blocks at the end. b2app-pki-cert-optional (PKI-TLS-3: CERT_OPTIONAL,
then EROR auth_failed right after the handshake) was DROPPED: PKI-TLS-10 makes that
refusal conforming, which PKI-TLS-3 now says.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _app() -> Any:
    return _module("reference.app")


def _share() -> Any:
    return _module("reference.share")


def _transfer() -> Any:
    return _module("reference.transfer")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _eke_server() -> Any:
    return _module("reference.eke.server")


def _frames() -> Any:
    return _module("reference.frames")


def _propagate(module: str, attr: str, *importers: str) -> None:
    """After patching `module.attr`, rebind the name where it was imported by name."""
    value = getattr(_module(module), attr)
    for name in importers:
        setattr(_module(name), attr, value)


# --- sft-pki/1 adapter -----------------------------------------------------------------


def _pki_policy_size_default() -> None:
    _patch_source(
        _peer().PeerServer, "_connection", ("max_file_size=self.config.max_file_size,", "")
    )


def _pki_allow_prefix() -> None:
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            "alias in self.config.allow",
            "any(alias.startswith(entry) for entry in self.config.allow)",
        ),
    )


def _pki_allow_get_only() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            "if not self.policy.authorised:",
            "if not self.policy.authorised and isinstance(event, FileRequest):",
        ),
    )


def _pki_forbidden_no_close() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))",
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal)); continue",
        ),
    )


def _pki_alpn_none_ok() -> None:
    _patch_source(
        _tls(),
        "peer_alias",
        (
            "if sock.selected_alpn_protocol() != ALPN:",
            "if sock.selected_alpn_protocol() not in (ALPN, None):",
        ),
    )
    _propagate("reference.pki.tls", "peer_alias", "reference.pki.peer")


def _pki_tls12_server() -> None:
    _patch_source(
        _tls(),
        "_base_context",
        (
            "ctx.minimum_version = ssl.TLSVersion.TLSv1_3",
            "ctx.minimum_version = (ssl.TLSVersion.TLSv1_2 if protocol == "
            "ssl.PROTOCOL_TLS_SERVER else ssl.TLSVersion.TLSv1_3)",
        ),
    )


def _pki_bare_close() -> None:
    _patch_source(_peer().PeerServer, "_connection", ("close_tls(tls)", "tls.close()"))


def _pki_handshake_no_watchdog() -> None:
    _patch_source(_tls(), "server_handshake", ("watchdog.start()", "pass"))
    _propagate("reference.pki.tls", "server_handshake", "reference.pki.peer")


def _pki_close_after_refusal() -> None:
    _patch_source(
        _transfer().Responder,
        "_refuse",
        (
            "self.channel.send(ErrorFrame(exc.code, exc.message))",
            "self.channel.send(ErrorFrame(exc.code, exc.message))\n"
            "    raise TransferFailed(exc.code, exc.message, remote=False)",
        ),
    )


def _pki_rsfl_basename() -> None:
    _patch_source(
        _transfer().Responder,
        "_get",
        (
            "FileResponse(request.name, shared.size)",
            "FileResponse(request.name.rsplit('/', 1)[-1], shared.size)",
        ),
    )


def _pki_done_before_commit() -> None:
    transfer = _transfer()
    errors = _module("reference.errors")

    def _put(self: Any, request: Any) -> None:
        inbox = self.policy.inbox
        if inbox is None:
            self._refuse(errors.RemoteProtocolError(errors.ErrorCode.UNSUPPORTED, "no inbox"))
            return
        if request.size > self.policy.max_file_size:
            self._refuse(errors.RemoteProtocolError(errors.ErrorCode.TOO_LARGE, "too large"))
            return
        try:
            final = inbox.target_name(request.name)
            partial = inbox.begin(final, request.size)
        except errors.RemoteProtocolError as exc:
            self._refuse(exc)
            return
        with partial:
            self.channel.send(transfer.PutAccepted(final))
            self.receiving = True
            try:
                self.channel.receive_file(partial, request.size, None)
            finally:
                self.receiving = False
                self._unreceived = partial.limit - partial.written
            # mutant: acknowledge first, then store; a lost race is only logged.
            self.channel.send(self.channel.conn.stored_done())
            try:
                partial.commit()
            except errors.RemoteProtocolError as exc:
                self.log(f"put lost a race: {exc}")

    transfer.Responder._put = _put


def _pki_idle_no_eror() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            'channel.fail(RemoteProtocolError(ErrorCode.TIMEOUT, "idle timeout"))',
            "pass",
        ),
    )


def _pki_get_serialised() -> None:
    responder = _transfer().Responder
    original = responder._get
    lock = threading.Lock()  # "the share is not thread-safe"

    def _get(self: Any, request: Any) -> None:
        with lock:
            original(self, request)

    responder._get = _get


# --- sft-eke/1 adapter -----------------------------------------------------------------


def _eke_put_no_size_limit() -> None:
    _patch_source(
        _eke_server().EkeServer,
        "_begin_put",
        ("if request.size > self.config.max_file_size:", "if False:"),
    )


def _eke_put_max_refused() -> None:
    _patch_source(
        _eke_server().EkeServer,
        "_begin_put",
        (
            "if request.size > self.config.max_file_size:",
            "if request.size >= self.config.max_file_size:",
        ),
    )


def _eke_idle_no_eror() -> None:
    _patch_source(
        _eke_server().EkeServer,
        "_serve_records",
        ('self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")', "pass"),
    )


def _wait_for_peer_close(sock: socket.socket, timeout: float) -> None:
    with contextlib.suppress(OSError):
        sock.settimeout(timeout)
        for _ in range(10_000):
            if not sock.recv(65536):
                return


def _eke_eror_waits_peer() -> None:
    server = _eke_server().EkeServer
    original = server._send_fatal

    def _send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        _wait_for_peer_close(stream.sock, 5.0)  # mutant: "let the client close first"

    server._send_fatal = _send_fatal


def _eke_put_no_idle() -> None:
    server = _eke_server().EkeServer
    begin, finish = server._begin_put, server._finish_put

    def _begin_put(self: Any, stream: Any, request: Any) -> Any:
        partial = begin(self, stream, request)
        if partial is not None:
            stream.sock.settimeout(None)  # mutant: a large put may take a while
        return partial

    def _finish_put(self: Any, stream: Any, partial: Any) -> str:
        stream.sock.settimeout(self.config.idle_timeout)
        return str(finish(self, stream, partial))

    server._begin_put = _begin_put
    server._finish_put = _finish_put


def _eke_nfc_name() -> None:
    server = _eke_server().EkeServer
    original = server._serve_get

    def _serve_get(self: Any, stream: Any, name: str) -> str:
        return str(original(self, stream, unicodedata.normalize("NFC", name)))

    server._serve_get = _serve_get


# --- shared core -------------------------------------------------------------------------


def _bye_midput() -> None:
    app = _app()
    app._TRANSITIONS[(app.ResponderState.RECEIVING, b"BYE_")] = app.ResponderState.BYE_RECEIVED


def _rsfl_ignored() -> None:
    app = _app()
    app._TRANSITIONS[(app.ResponderState.IDLE, b"RSFL")] = app.ResponderState.IDLE


def _frame_limit_lenient() -> None:
    _patch_source(
        _frames(),
        "parse_header",
        ("if length > max_payload:", "if length - HEADER_SIZE > max_payload:"),
    )
    _propagate("reference.frames", "parse_header", "reference.app")


def _control_limit_off_by_one() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        ("length > MAX_CONTROL_PAYLOAD", "length >= MAX_CONTROL_PAYLOAD"),
    )


def _empty_data_ok() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        ("not 1 <= length <= MAX_DATA_PAYLOAD", "not 0 <= length <= MAX_DATA_PAYLOAD"),
    )


def _int_float_ok() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return (type(value) is int or (type(value) is float and value.is_integer()))"
            " and 0 <= value <= MAX_INT",
        ),
    )


def _dup_equal_ok() -> None:
    _patch_source(
        _frames(),
        "_no_duplicates",
        ("if key in result:", "if key in result and result[key] != value:"),
    )


def _putf_strict_members() -> None:
    _patch_source(
        _module("reference.messages"),
        "decode_message",
        (
            "check_schema(t, obj, schema)",
            "check_schema(t, obj, schema)\n"
            "    if t == T_PUTF and set(obj) - set(schema):\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'PUTF: unknown member')",
        ),
    )
    _propagate("reference.messages", "decode_message", "reference.app")


def _buffer_cleared() -> None:
    app = _app()
    original = app.ApplicationConnection.send

    def send(self: Any, event: Any) -> bytes:
        data: bytes = original(self, event)
        if self.role is app.RESPONDER and isinstance(event, app.Done):
            self._buffer.clear()  # mutant: "a fresh parser for the next request"
        return data

    app.ApplicationConnection.send = send


def _dir_forbidden() -> None:
    _patch_source(
        _share().ShareDirectory,
        "open",
        (
            "if not stat.S_ISREG(st.st_mode):",
            "if stat.S_ISDIR(st.st_mode):\n"
            "            raise NameRefused(f'{name[:64]!r} is a directory')\n"
            "        if not stat.S_ISREG(st.st_mode):",
        ),
    )


def _put_path_joined() -> None:
    _patch_source(
        _share().Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = '_'.join(check_name(name))"),
    )


def _putf_sha_dropped() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_on_control",
        (
            "elif isinstance(message, PutRequest):\n"
            "        self._incoming = _Transfer(message.size, message.sha256,",
            "elif isinstance(message, PutRequest):\n"
            "        self._incoming = _Transfer(message.size, None,",
        ),
    )


def _overflow_at_payload() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.count > self._incoming.announced:",
        ),
    )


def _patch_check_name(*edits: tuple[str, str]) -> None:
    _patch_source(_share(), "check_name", *edits)
    _propagate("reference.share", "check_name", "reference.transfer")


def _drive_upper_only() -> None:
    _patch_check_name(
        ("name[0].isascii() and name[0].isalpha()", "name[0].isascii() and name[0].isupper()")
    )


def _c0_off_by_one() -> None:
    _patch_check_name(("ord(c) < 0x20", "ord(c) < 0x1F"))


def _component_255_refused() -> None:
    _patch_check_name(
        (
            'len(part.encode("utf-8")) > MAX_COMPONENT_BYTES',
            'len(part.encode("utf-8")) >= MAX_COMPONENT_BYTES',
        )
    )


def _c1_bytes() -> None:
    _patch_check_name(
        (
            "0x7F <= ord(c) <= 0x9F for c in name)",
            "ord(c) == 0x7F for c in name) or any("
            "0x80 <= b <= 0x9F for b in name.encode('utf-8', 'surrogatepass'))",
        )
    )


def _prefix_confinement() -> None:
    share = _share()
    io = _module("io")
    stat = _module("stat")

    def open_(self: Any, name: str) -> Any:
        share.check_name(name)
        root = os.path.realpath(self.path)
        full = os.path.realpath(os.path.join(root, name))
        if not full.startswith(root):  # mutant: a string prefix, not path components
            raise share.NameRefused("outside the share")
        try:
            fd = os.open(full, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            raise share._not_found(name) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise share._not_found(name)
        return share.SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)

    share.ShareDirectory.open = open_


def _eror_upper_name() -> None:
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        ('"name": message.code.wire_name', '"name": message.code.name'),
    )
    _propagate("reference.messages", "encode_message", "reference.app", "reference.pki.peer")


def _unknown_type_bad_frame() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        (
            'ErrorCode.UNEXPECTED_FRAME, f"unknown frame type',
            'ErrorCode.BAD_FRAME, f"unknown frame type',
        ),
    )


def _lower_type_ok() -> None:
    _frames()._TYPE_RE = re.compile(rb"[A-Za-z0-9_]{4}")


def _sha_upper_ok() -> None:
    _frames()._SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")


def _max_conn_off_by_one() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "if self.open_connections >= self.max_connections:",
            "if self.open_connections > self.max_connections:",
        ),
    )


def _exists_at_done() -> None:
    share = _share()

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        return str(base)  # mutant: the link() at commit refuses an existing name anyway

    share.Inbox.target_name = target_name


def _put_replace() -> None:
    _patch_source(_share().PartialFile, "commit", ("if overwrite:", "if True:"))


def _digest_per_connection() -> None:
    app = _app()
    original = app.ApplicationConnection.send

    def send(self: Any, event: Any) -> bytes:
        data: bytes = original(self, event)
        if self.role is app.RESPONDER and isinstance(event, app.FileResponse):
            shared = self.__dict__.setdefault("_mutant_digest", self._outgoing.digest)
            self._outgoing.digest = shared  # mutant: one hasher per connection
        return data

    app.ApplicationConnection.send = send


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=f"b2app-{profile}-{name}",
        group="app",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # sft-pki/1 adapter
    _m(
        "policy-size-default",
        "pki",
        "APP-PUT-7",
        "test_app_put.py",
        "the responder policy is built without the configured max file size",
        _pki_policy_size_default,
    ),
    _m(
        "allow-prefix",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the allow list is matched by prefix",
        _pki_allow_prefix,
    ),
    _m(
        "allow-get-only",
        "pki",
        "PKI-ID-3",
        "test_pki_identity.py",
        "the allow list is enforced for gets only",
        _pki_allow_get_only,
    ),
    _m(
        "forbidden-no-close",
        "pki",
        "PKI-ID-3",
        "test_pki_identity.py",
        "a not-allowed initiator is answered forbidden but the connection stays open",
        _pki_forbidden_no_close,
    ),
    _m(
        "alpn-none-ok",
        "pki",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "a ClientHello without sft-pki/1 in its ALPN is served",
        _pki_alpn_none_ok,
    ),
    _m(
        "tls12-server",
        "pki",
        "PKI-TLS-1",
        "test_pki_tls.py",
        "the responder's context allows TLS 1.2",
        _pki_tls12_server,
    ),
    _m(
        "bare-close",
        "pki",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "connections are closed without close_notify",
        _pki_bare_close,
    ),
    _m(
        "close-after-refusal",
        "pki",
        "ERR-3",
        "test_app_refusals.py",
        "a non-fatal EROR closes the connection",
        _pki_close_after_refusal,
    ),
    _m(
        "rsfl-basename",
        "pki",
        "APP-GET-7",
        "test_app_get.py",
        "RSFL names the basename of the requested name",
        _pki_rsfl_basename,
    ),
    _m(
        "done-before-commit",
        "pki",
        "APP-PUT-8",
        "test_app_put.py",
        "DONE is sent before the rename; a lost race is only logged",
        _pki_done_before_commit,
    ),
    _m(
        "idle-no-eror",
        "pki",
        "LIM-2",
        "test_limits.py",
        "the idle timeout closes without EROR timeout",
        _pki_idle_no_eror,
    ),
    _m(
        "get-serialised",
        "pki",
        "LIM-5",
        "test_limits_responder.py",
        "gets run under one server-wide lock",
        _pki_get_serialised,
    ),
    # sft-eke/1 adapter
    _m(
        "put-no-size-limit",
        "eke",
        "APP-PUT-7",
        "test_app_put.py",
        "the eke adapter never checks the max file size of a put",
        _eke_put_no_size_limit,
    ),
    _m(
        "put-max-refused",
        "eke",
        "LIM-3",
        "test_app_put.py",
        "a put of exactly the max file size is refused (>=)",
        _eke_put_max_refused,
    ),
    _m(
        "idle-no-eror",
        "eke",
        "LIM-2",
        "test_limits.py",
        "the idle timeout closes without EROR timeout",
        _eke_idle_no_eror,
    ),
    _m(
        "eror-waits-peer",
        "eke",
        "ERR-3",
        "test_framing.py",
        "after a fatal EROR the responder waits up to 5 s for the peer to close",
        _eke_eror_waits_peer,
    ),
    _m(
        "put-no-idle",
        "eke",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is being received",
        _eke_put_no_idle,
    ),
    _m(
        "nfc-name",
        "eke",
        "APP-NAME-3",
        "test_app_names.py",
        "get names are NFC-normalised before the lookup",
        _eke_nfc_name,
    ),
    # shared core, planted in one profile
    _m(
        "bye-midput",
        "eke",
        "APP-BYE-1",
        "test_app_put.py",
        "BYE_ during a put ends it politely",
        _bye_midput,
    ),
    _m(
        "rsfl-ignored",
        "eke",
        "APP-1",
        "test_framing.py",
        "an RSFL in IDLE is ignored",
        _rsfl_ignored,
    ),
    _m(
        "control-limit-off-by-one",
        "eke",
        "FRM-8",
        "test_framing.py",
        "a control payload of exactly 65 536 bytes is refused",
        _control_limit_off_by_one,
    ),
    _m(
        "empty-data-ok",
        "eke",
        "FRM-13",
        "test_framing.py",
        "an empty DATA frame is accepted",
        _empty_data_ok,
    ),
    _m(
        "int-float-ok",
        "pki",
        "FRM-11",
        "test_framing.py",
        "integral floats (5.0, 1e3) pass as integers",
        _int_float_ok,
    ),
    _m(
        "dup-equal-ok",
        "eke",
        "FRM-9",
        "test_framing.py",
        "duplicate keys with equal values are accepted",
        _dup_equal_ok,
    ),
    _m(
        "putf-strict-members",
        "pki",
        "FRM-10",
        "test_framing.py",
        "a PUTF with an unknown member is refused bad_frame",
        _putf_strict_members,
    ),
    _m(
        "buffer-cleared",
        "pki",
        "APP-2",
        "test_framing.py",
        "the read buffer is reset after each get: pipelined requests are lost",
        _buffer_cleared,
    ),
    _m(
        "dir-forbidden",
        "pki",
        "APP-GET-2",
        "test_app_get.py",
        "a directory is answered forbidden, not not_found",
        _dir_forbidden,
    ),
    _m(
        "put-path-joined",
        "eke",
        "APP-PUT-2",
        "test_app_put.py",
        "a put of a/b is stored as a_b",
        _put_path_joined,
    ),
    _m(
        "putf-sha-dropped",
        "pki",
        "APP-PUT-5",
        "test_app_put.py",
        "PUTF.sha256 is never checked",
        _putf_sha_dropped,
    ),
    _m(
        "overflow-at-payload",
        "pki",
        "APP-PUT-6",
        "test_app_put.py",
        "a DATA frame beyond the announced size is refused only once its payload came",
        _overflow_at_payload,
    ),
    _m(
        "drive-upper-only",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "only upper-case drive letters are refused",
        _drive_upper_only,
    ),
    _m(
        "c0-off-by-one",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "U+001F is accepted in names",
        _c0_off_by_one,
    ),
    _m(
        "component-255-refused",
        "eke",
        "APP-NAME-7",
        "test_app_names.py",
        "a name component of exactly 255 bytes is refused",
        _component_255_refused,
    ),
    _m(
        "prefix-confinement",
        "pki",
        "APP-NAME-4",
        "test_app_names.py",
        "confinement by realpath and a string prefix",
        _prefix_confinement,
    ),
    _m(
        "c1-bytes",
        "eke",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "C1 controls looked for in the UTF-8 bytes (refuses the euro sign)",
        _c1_bytes,
    ),
    _m(
        "eror-upper-name",
        "pki",
        "ERR-1",
        "test_framing.py",
        "EROR names are the enum's upper-case names",
        _eror_upper_name,
    ),
    _m(
        "unknown-type-bad-frame",
        "pki",
        "FRM-5",
        "test_framing.py",
        "an unknown frame type is answered bad_frame",
        _unknown_type_bad_frame,
    ),
    _m(
        "lower-type-ok",
        "pki",
        "FRM-2",
        "test_framing.py",
        "frame type bytes matched case-insensitively",
        _lower_type_ok,
    ),
    _m(
        "sha-upper-ok",
        "pki",
        "FRM-12",
        "test_framing.py",
        "an upper-case sha256 member is accepted",
        _sha_upper_ok,
    ),
    _m(
        "max-conn-off-by-one",
        "eke",
        "LIM-4",
        "test_lockout.py",
        "max_connections + 1 connections are admitted",
        _max_conn_off_by_one,
    ),
    _m(
        "exists-at-done",
        "eke",
        "APP-PUT-3",
        "test_app_put.py",
        "no exists check at PUTF: the rename refuses at DONE",
        _exists_at_done,
    ),
    _m(
        "put-replace",
        "eke",
        "APP-PUT-8",
        "test_app_put.py",
        "the commit renames over an existing file",
        _put_replace,
    ),
    _m(
        "digest-per-connection",
        "eke",
        "APP-GET-2",
        "test_app_get.py",
        "one SHA-256 object for every get of a connection",
        _digest_per_connection,
    ),
)


# --- second batch: written after phase 2, once the suite had been read ----------------


def _pki_never_established() -> None:
    _patch_source(
        _peer().PeerServer,
        "_connection",
        ("evicted = not self._admission.established(key)", "evicted = False"),
    )


def _pki_shutdown_after_fatal() -> None:
    channel = _transfer()._Channel
    original = channel.fail

    def fail(self: Any, exc: Any) -> None:
        original(self, exc)
        with contextlib.suppress(OSError):  # mutant: "make sure the peer stops sending"
            socket.socket.shutdown(self.stream, socket.SHUT_RDWR)

    channel.fail = fail


def _pki_alpn_extra_protocol() -> None:
    _patch_source(
        _tls(),
        "server_context",
        ("ctx.set_alpn_protocols([ALPN])", "ctx.set_alpn_protocols([ALPN, 'http/1.1'])"),
    )
    _propagate("reference.pki.tls", "server_context", "reference.pki.peer")


def _pki_commit_on_eof() -> None:
    transfer = _transfer()
    errors = _module("reference.errors")

    def receive(self: Any, partial: Any, size: int) -> Any:
        try:
            return self.channel.receive_file(partial, size, None)
        except errors.TruncatedStream:
            if partial.written == size:  # mutant: "all the data came, only DONE was lost"
                partial.commit()
            raise

    transfer._mutant_receive = receive
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.receive_file(partial, request.size, None)",
            "_mutant_receive(self, partial, request.size)",
        ),
    )


def _eke_put_limit_wrong_field() -> None:
    _patch_source(
        _eke_server().EkeServer,
        "_begin_put",
        (
            "if request.size > self.config.max_file_size:",
            "if request.size > self.config.frame_limit:",
        ),
    )


def _pki_first_cn() -> None:
    _patch_source(_tls(), "_common_name", ("if len(names) != 1 or", "if not names or"))


def _done_sha_trusts_putf() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        ("done.sha256 == sha)", "done.sha256 == (self.expected_sha256 or sha))"),
        ("if self.expected_sha256 is not None and self.expected_sha256 != sha:", "if False:"),
    )


def _eke_send_no_timeout() -> None:
    server = _eke_server().EkeServer
    original = server._serve_get

    def _serve_get(self: Any, stream: Any, name: str) -> str:
        stream.sock.settimeout(None)  # mutant: a large get may take a while
        try:
            return str(original(self, stream, name))
        finally:
            stream.sock.settimeout(self.config.idle_timeout)

    server._serve_get = _serve_get


def _pki_cert_optional() -> None:
    _patch_source(
        _tls(),
        "server_context",
        ("ctx.verify_mode = ssl.CERT_REQUIRED", "ctx.verify_mode = ssl.CERT_OPTIONAL"),
    )
    _propagate("reference.pki.tls", "server_context", "reference.pki.peer")


MUTANTS += (
    _m(
        "never-established",
        "pki",
        "LIM-9",
        "test_lockout.py",
        "the adapter never marks a connection established: it stays evictable and counted "
        "as pending for its address",
        _pki_never_established,
    ),
    _m(
        "shutdown-after-fatal",
        "pki",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after a fatal EROR the TCP socket is shut down under TLS (no close_notify)",
        _pki_shutdown_after_fatal,
    ),
    _m(
        "alpn-extra-protocol",
        "pki",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "the responder also offers http/1.1 and selects it for a client offering only that",
        _pki_alpn_extra_protocol,
    ),
    _m(
        "commit-on-eof",
        "pki",
        "FRM-7",
        "test_app_put.py",
        "a put whose bytes all arrived is stored when the stream ends before DONE",
        _pki_commit_on_eof,
    ),
    _m(
        "put-limit-wrong-field",
        "eke",
        "LIM-3",
        "test_app_put.py",
        "a put's size compared with the frame limit, not the max file size",
        _eke_put_limit_wrong_field,
    ),
    _m(
        "first-cn",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the first of several CNs is taken as the alias",
        _pki_first_cn,
    ),
    _m(
        "done-sha-trusts-putf",
        "eke",
        "APP-PUT-5",
        "test_app_put.py",
        "DONE.sha256 compared with PUTF.sha256 (when given), not with the data",
        _done_sha_trusts_putf,
    ),
    _m(
        "send-no-timeout",
        "eke",
        "LIM-10",
        "test_limits.py",
        "no timeout while a get is being sent",
        _eke_send_no_timeout,
    ),
)


# --- third batch (after reading the suite): names, integers, codes, TLS parameters ----


def _eke_name_rstrip_slash() -> None:
    _patch_check_name(
        (
            '"""The components of a valid name [APP-NAME-1/2]; NameRefused otherwise."""',
            '"""The components of a valid name [APP-NAME-1/2]; NameRefused otherwise."""\n'
            "    name = name.rstrip('/')  # mutant: 'sub/' means the directory 'sub'",
        )
    )


def _pki_bidi_off_by_one() -> None:
    _share()._BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202E), *range(0x2066, 0x206A)]))


def _eke_name_4096_refused() -> None:
    _patch_check_name(("if not 1 <= size <= MAX_NAME_BYTES:", "if not 1 <= size < MAX_NAME_BYTES:"))


def _pki_int_no_upper_bound() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return type(value) is int and 0 <= value",
        ),
    )


def _eke_exists_code_swapped() -> None:
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        (
            '"code": int(message.code),',
            '"code": 13 if message.code == ErrorCode.EXISTS else int(message.code),',
        ),
    )
    _propagate("reference.messages", "encode_message", "reference.app")


def _pki_put_timeout_silent() -> None:
    transfer = _transfer()
    errors = _module("reference.errors")

    def receive(self: Any, partial: Any, size: int) -> Any:
        try:
            return self.channel.receive_file(partial, size, None)
        except TimeoutError:  # mutant: "the initiator went away: nothing to tell it"
            raise transfer.TransferFailed(
                errors.ErrorCode.TIMEOUT, "the initiator went silent", remote=False
            ) from None

    transfer._mutant_receive = receive
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.receive_file(partial, request.size, None)",
            "_mutant_receive(self, partial, request.size)",
        ),
    )


def _pki_ccm8_allowed() -> None:
    tls = _tls()
    tls.TLS13_CIPHERSUITES = tls.TLS13_CIPHERSUITES + ":TLS_AES_128_CCM_8_SHA256"


def _pki_ffdhe_allowed() -> None:
    tls = _tls()
    tls.TLS13_GROUPS = tls.TLS13_GROUPS + ":ffdhe2048"


MUTANTS += (
    _m(
        "name-rstrip-slash",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "trailing slashes stripped before the name check (hello.txt/ served)",
        _eke_name_rstrip_slash,
    ),
    _m(
        "bidi-off-by-one",
        "pki",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "U+202E (RLO) left out of the bidi range",
        _pki_bidi_off_by_one,
    ),
    _m(
        "name-4096-refused",
        "eke",
        "APP-NAME-7",
        "test_app_names.py",
        "a name of exactly 4096 bytes is refused",
        _eke_name_4096_refused,
    ),
    _m(
        "int-no-upper-bound",
        "pki",
        "FRM-11",
        "test_framing.py",
        "integers above 2^63-1 accepted",
        _pki_int_no_upper_bound,
    ),
    _m(
        "exists-code-swapped",
        "eke",
        "ERR-1",
        "test_app_refusals.py",
        "exists sent with code 13 (the name stays exists)",
        _eke_exists_code_swapped,
    ),
    _m(
        "put-timeout-silent",
        "pki",
        "LIM-2",
        "test_limits.py",
        "an idle timeout during a put closes without EROR timeout",
        _pki_put_timeout_silent,
    ),
    _m(
        "ccm8-allowed",
        "pki",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "TLS_AES_128_CCM_8_SHA256 added to the responder's suites",
        _pki_ccm8_allowed,
    ),
    _m(
        "ffdhe-allowed",
        "pki",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "ffdhe2048 added to the responder's groups",
        _pki_ffdhe_allowed,
    ),
)


def _pki_drain_after_fatal() -> None:
    responder = _transfer().Responder
    original = responder.run

    def run(self: Any) -> None:
        original(self)
        if self.channel.conn._error is not None:
            self._drain(64 * 1024)  # mutant: "read what the initiator still sends first"

    responder.run = run


def _pki_accept_offered_name() -> None:
    _patch_source(
        _transfer().Responder,
        "_put",
        ("self.channel.send(PutAccepted(final))", "self.channel.send(PutAccepted(request.name))"),
    )


MUTANTS += (
    _m(
        "drain-after-fatal",
        "pki",
        "ERR-3",
        "test_framing.py",
        "after a fatal EROR the responder reads on until the initiator stops or goes idle",
        _pki_drain_after_fatal,
    ),
    _m(
        "accept-offered-name",
        "pki",
        "APP-PUT-1",
        "test_app_put.py",
        "RSFL {accept} names the offered name, not the stored basename",
        _pki_accept_offered_name,
    ),
)


# --- fourth batch: the strict JSON parser, and close_notify on the BYE_ path ------------


def _pki_nan_accepted() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        (
            "object_pairs_hook=_no_duplicates, parse_constant=_reject_constant",
            "object_pairs_hook=_no_duplicates",
        ),
    )


def _eke_utf8_replace() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")',
            'text = bytes(payload).decode("utf-8", "replace")',
        ),
    )


def _pki_sha_prefix_match() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        (
            "return _SHA256_RE.fullmatch(value) is not None",
            "return _SHA256_RE.match(value) is not None",
        ),
    )


def _pki_bye_bare_close() -> None:
    responder = _transfer().Responder
    original = responder.run

    def run(self: Any) -> None:
        original(self)
        if (
            self.channel.conn.state is _app().ResponderState.CLOSED
            and self.channel.conn._error is None
        ):
            with contextlib.suppress(OSError):  # mutant: "BYE_ echoed: just hang up"
                socket.socket.shutdown(self.channel.stream, socket.SHUT_RDWR)

    responder.run = run


MUTANTS += (
    _m(
        "nan-accepted",
        "pki",
        "FRM-9",
        "test_framing.py",
        "NaN / Infinity accepted in control payloads",
        _pki_nan_accepted,
    ),
    _m(
        "utf8-replace",
        "eke",
        "FRM-9",
        "test_framing.py",
        "control payloads decoded with errors='replace'",
        _eke_utf8_replace,
    ),
    _m(
        "sha-prefix-match",
        "pki",
        "FRM-12",
        "test_framing.py",
        "sha256 members matched with re.match: 65 or more characters pass",
        _pki_sha_prefix_match,
    ),
    _m(
        "bye-bare-close",
        "pki",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after echoing BYE_ the TCP socket is shut down under TLS (no close_notify)",
        _pki_bye_bare_close,
    ),
)


def _eke_reserved_prefix_full_name() -> None:
    _patch_source(
        _share().Inbox,
        "target_name",
        ("if base.startswith(PARTIAL_PREFIX):", "if name.startswith(PARTIAL_PREFIX):"),
    )


def _pki_surrogate_used() -> None:
    _patch_source(
        _frames(),
        "_is_encodable",
        ('value.encode("utf-8")', "value.encode('utf-8', 'surrogatepass')"),
    )
    _patch_check_name(
        ('size = len(name.encode("utf-8"))', "size = len(name.encode('utf-8', 'surrogatepass'))"),
        ('len(part.encode("utf-8"))', "len(part.encode('utf-8', 'surrogatepass'))"),
    )


MUTANTS += (
    _m(
        "reserved-prefix-full-name",
        "eke",
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "the reserved prefix is looked for at the start of the whole name, not its basename",
        _eke_reserved_prefix_full_name,
    ),
    _m(
        "surrogate-used",
        "pki",
        "FRM-15",
        "test_framing.py",
        "names with lone surrogates encoded with surrogatepass and looked up",
        _pki_surrogate_used,
    ),
)
