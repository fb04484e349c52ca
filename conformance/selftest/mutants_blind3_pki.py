"""Blind round 3: sft-pki/1 responder and initiator, application layer, limits (brief B7).

Measured before phase 3: 22 of 29 caught (76 %). The 7 that passed the suite, and the
case that now catches each (all 29 caught after; the 5 written in phase 3 are listed at
the end):

- b3pki-symlink-exists-leak: the embedded share gained `escape-dangling` (a link out of
  the share to a missing file) in `escape_symlinks` (conformance/embedded.py), so
  test_app_names.py's symlink cases see `not_found` beside `forbidden`.
- b3pki-empty-file-empty-data: already caught by test_framing.py (the test_file guess was
  wrong).
- b3pki-length-in-chars: test_framing.py::test_frame_lengths_count_utf8_bytes (names of
  2-, 3- and 4-byte characters in RSFL, EROR and a put's RSFL).
- b3pki-handshake-under-lock: test_limits_responder.py::
  test_a_stalled_handshake_does_not_hold_up_other_connections.
- b3pki-put-eof-in-done: test_app_put.py::test_put_ended_inside_its_done_is_not_stored.
- b3pki-client-put-exact-mib: test_client_put.py's close-in-place-of-DONE case now puts
  exactly 1 MiB (one whole DATA frame) in the default run.
- b3pki-client-eof-in-done: test_pki_initiator_transfer.py's `close-notify-inside-the-done`.

Written from docs/SPEC.md §1–§4.3, §6 and the reference's pki/app/transfer/share modules
only, before reading any conformance case, each the mistake of a hurried implementer
(docs/SPEC.md ID in brackets). Responder (server) bugs:

- b3pki-crl-first-entry [PKI-CERT-11]: revocation checked by hand against the CRL's first
  entry only (the CRL is no longer handed to OpenSSL).
- b3pki-no-cert-guest [PKI-TLS-3]: client certificate optional; no certificate = "guest".
- b3pki-allow-no-close [PKI-ID-3]: an initiator off the allow list gets `forbidden` per
  request but the connection stays open.
- b3pki-alias-from-frame [PKI-ID-2]: a request carrying an `alias` member naming an allowed
  employee is authorised as that employee.
- b3pki-refused-cert-forbidden [PKI-TLS-10]: a refused certificate is treated as "not on
  the allow list": each request answered `forbidden` instead of refusing the connection.
- b3pki-auth-failed-linger [PKI-TLS-7]: after `EROR auth_failed` the responder drains the
  initiator's input until it closes (up to the idle timeout) before closing.
- b3pki-fatal-bare-fin [PKI-TLS-7]: after a fatal EROR of the application layer the TCP
  socket is shut down directly: no close_notify.
- b3pki-symlink-exists-leak [APP-NAME-6]: a symlink out of the share is `forbidden` when
  its target exists, `not_found` when it does not.
- b3pki-empty-file-empty-data [FRM-14]: a get of an empty file sends one empty DATA frame.
- b3pki-digest-per-connection [APP-GET-2]: the SHA-256 of a get is one object per
  connection: the 2nd get's DONE carries the hash of both files.
- b3pki-pipelined-dropped [APP-2]: bytes read after an RQFL are dropped ("one request per
  read"): a pipelined 2nd request is lost.
- b3pki-put-limit-inclusive [LIM-3]: a put of exactly the maximum file size is `too_large`.
- b3pki-put-name-stripped [APP-NAME-3]: a put's name is stripped of surrounding spaces.
- b3pki-bye-during-put [APP-BYE-1]: BYE_ during a put ends it quietly (no unexpected_frame).
- b3pki-length-in-chars [FRM-1]: control frames' length counts characters, not bytes.
- b3pki-handshake-under-lock [LIM-5]: the TLS handshake runs under the admission lock: a
  silent connection stops the accept loop for the handshake timeout.
- b3pki-stray-data-ignored [FRM-6]: DATA in IDLE is drained and ignored.
- b3pki-putf-during-put [APP-3]: a PUTF during a put is answered `forbidden` (non-fatal) and
  the put goes on.
- b3pki-idle-lost-after-get [LIM-2]: a get switches the socket to blocking for speed; the
  idle timeout is gone for the rest of the connection.
- b3pki-name-limit-255 [APP-NAME-7]: the whole name is limited to 255 bytes (the component
  limit), so valid longer names are `forbidden`.
- b3pki-put-eof-in-done [FRM-7]: a put whose data is complete is stored when the stream ends
  inside the DONE frame.

Initiator (client=True) bugs:

- b3pki-client-unknown-code-nonfatal [ERR-4]: an EROR code it does not know is taken as a
  non-fatal refusal (it sends BYE_ and carries on).
- b3pki-client-empty-data [FRM-14]: a put of an empty file sends one empty DATA frame.
- b3pki-client-put-exact-mib [APP-PUT-4]: a put of an exact multiple of 1 MiB omits its
  last chunk (off-by-one in the chunk loop); DONE still says the announced size.
- b3pki-client-bye-wrong-peer [PKI-ID-1]: on an alias mismatch it says BYE_ before leaving.
- b3pki-client-alias-prefix [PKI-ID-4]: the alias check is a prefix match.
- b3pki-client-crl-unchecked [PKI-CERT-7]: the CRL is loaded but VERIFY_CRL_CHECK_LEAF off.
- b3pki-client-wait-after-fatal [ERR-3]: after a fatal EROR it sends BYE_ and waits for the
  responder to close (up to its idle timeout) instead of closing at once.
- b3pki-client-eof-in-done [FRM-7]: a get whose data is complete is kept when the stream
  ends inside the DONE frame.

Added in phase 3, other kinds of mistakes (caught: 4 at once; the 5th once the case that
makes an initiator retry existed):

- b3pki-client-length-in-chars [FRM-1] (the initiator's side of b3pki-length-in-chars):
  the RQFL's length counts characters. Caught by test_pki_initiator_transfer.py::
  test_initiator_request_length_counts_utf8_bytes (new).
- b3pki-idle-none-during-put [LIM-2]: no idle timeout while a put is received.
- b3pki-get-limit-inclusive [LIM-3]: a get of exactly the maximum size is too_large.
- b3pki-exists-casefold [APP-NAME-3]: `exists` when a name differing in case is stored.
- b3pki-client-alias-unchecked-on-retry [PKI-ID-1]: the alias is checked on the first
  connection attempt only; after a busy refusal (closed before TLS) the retry talks to
  anyone. No case made an initiator retry: test_pki_identity.py::
  test_initiator_checks_the_alias_again_after_a_busy_retry (new) does.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _transfer() -> Any:
    return _module("reference.transfer")


def _app() -> Any:
    return _module("reference.app")


# --- responder ---------------------------------------------------------------------------


def _crl_first_entry() -> None:
    tls, peer = _tls(), _peer()
    x509 = _module("cryptography.x509")
    state: dict[str, bytes] = {}
    build = peer.server_context

    def server_context(identity: Any, crl_der: bytes) -> Any:
        state["crl"] = crl_der
        return build(identity, None)  # "we check revocation ourselves"

    alias_of = peer.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias = str(alias_of(sock, as_server=as_server))
        entries = list(x509.load_der_x509_crl(state["crl"]))
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        if entries and entries[0].serial_number == cert.serial_number:
            raise tls.CertificateRefused("the certificate was revoked")
        return alias

    peer.server_context = server_context
    peer.peer_alias = peer_alias


def _no_cert_guest() -> None:
    peer = _peer()
    build = peer.server_context

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = build(identity, crl_der)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    alias_of = peer.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if sock.getpeercert(binary_form=True) is None:
            return "guest"
        return str(alias_of(sock, as_server=as_server))

    peer.server_context = server_context
    peer.peer_alias = peer_alias


def _allow_no_close() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                return",
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                continue",
        ),
    )


def _alias_from_frame() -> None:
    messages, peer, transfer = _module("reference.messages"), _peer(), _transfer()
    local = threading.local()
    loads = messages.loads_control

    def loads_control(payload: Any) -> Any:
        obj = loads(payload)
        local.last = obj
        return obj

    connection = peer.PeerServer._connection

    def _connection(self: Any, raw: Any, addr: Any, key: int) -> None:
        local.allow = self.config.allow
        connection(self, raw, addr, key)

    def claimed() -> bool:
        last = getattr(local, "last", None)
        return isinstance(last, dict) and last.get("alias") in getattr(local, "allow", ())

    messages.loads_control = loads_control
    peer.PeerServer._connection = _connection
    transfer._claimed = claimed
    _patch_source(
        transfer.Responder,
        "run",
        ("if not self.policy.authorised:", "if not self.policy.authorised and not _claimed():"),
    )


_REFUSED = "\x00refused"


def _refused_cert_forbidden() -> None:
    tls, peer = _tls(), _peer()
    alias_of = peer.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            return str(alias_of(sock, as_server=as_server))
        except tls.CertificateRefused:
            return _REFUSED

    peer.peer_alias = peer_alias
    peer._REFUSED = _REFUSED
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = alias != _REFUSED and (not self.config.allow or alias in self.config.allow)",
        ),
    )


def _auth_failed_linger() -> None:
    tls, peer = _tls(), _peer()
    refused: set[int] = set()
    alias_of = peer.peer_alias
    close = peer.close_tls

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            return str(alias_of(sock, as_server=as_server))
        except tls.CertificateRefused:
            refused.add(id(sock))
            raise

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        if id(sock) in refused:
            refused.discard(id(sock))
            # "Read what the client still sends, so that closing does not reset it."
            with contextlib.suppress(OSError, ValueError):
                sock.settimeout(30.0)
                for _ in range(256):
                    if not sock.recv(4096):
                        break
        close(sock, timeout)

    peer.peer_alias = peer_alias
    peer.close_tls = close_tls


def _fatal_bare_fin() -> None:
    transfer = _transfer()
    fail = transfer._Channel.fail

    def fail_and_drop(self: Any, exc: Any) -> None:
        fail(self, exc)
        if isinstance(self.stream, socket.socket):
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.stream, socket.SHUT_RDWR)

    transfer._Channel.fail = fail_and_drop


def _symlink_exists_leak() -> None:
    share = _module("reference.share")
    os_ = _module("os")

    def target_exists(part: str, dir_fd: int) -> bool:
        try:
            os_.stat(part, dir_fd=dir_fd)  # follows the link
        except OSError:
            return False
        return True

    share._target_exists = target_exists
    _patch_source(
        share.ShareDirectory,
        "_open_component",
        (
            "raise _symlink_refused(name) from None",
            "raise (_symlink_refused(name) if _target_exists(part, dir_fd) "
            "else _not_found(name)) from None",
        ),
    )


def _empty_file_empty_data() -> None:
    transfer, frames = _transfer(), _module("reference.frames")
    send_file = transfer._Channel.send_file

    def send(self: Any, reader: Any, size: int, progress: Any) -> None:
        if size == 0:
            self.stream.sendall(frames.encode_header(b"DATA", 0))  # "the file's one chunk"
        send_file(self, reader, size, progress)

    transfer._Channel.send_file = send


def _digest_per_connection() -> None:
    app = _app()
    send = app.ApplicationConnection.send

    def send_once(self: Any, event: Any) -> bytes:
        data = bytes(send(self, event))
        if self.role is app.RESPONDER and isinstance(event, app.FileResponse):
            kept = self.__dict__.setdefault("_mutant_digest", self._outgoing.digest)
            self._outgoing.digest = kept
        return data

    app.ApplicationConnection.send = send_once


def _pipelined_dropped() -> None:
    app = _app()
    on_control = app.ApplicationConnection._on_control

    def on_control_once(self: Any, frame: Any) -> Any:
        message = on_control(self, frame)
        if self.role is app.RESPONDER and isinstance(message, app.FileRequest):
            self._buffer.clear()  # "a request comes in a read of its own"
        return message

    app.ApplicationConnection._on_control = on_control_once


def _put_limit_inclusive() -> None:
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "if request.size > self.policy.max_file_size:",
            "if request.size >= self.policy.max_file_size:",
        ),
    )


def _put_name_stripped() -> None:
    _patch_source(
        _module("reference.share").Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = check_name(name)[-1].strip() or '_'"),
    )


def _bye_during_put() -> None:
    app, transfer = _app(), _transfer()
    app._TRANSITIONS[(app.R.RECEIVING, b"BYE_")] = app.R.BYE_RECEIVED
    _patch_source(
        transfer._Channel,
        "receive_file",
        (
            "elif isinstance(event, ErrorFrame):",
            "elif isinstance(event, Bye):\n"
            "            raise TransferFailed(ErrorCode.INTERNAL, 'bye', remote=True)\n"
            "        elif isinstance(event, ErrorFrame):",
        ),
    )


def _length_in_chars() -> None:
    messages, frames = _module("reference.messages"), _module("reference.frames")

    def encode_frame(frame_type: bytes, payload: Any) -> bytes:
        data = bytes(payload)
        return bytes(frames.encode_header(frame_type, len(data.decode("utf-8")))) + data

    messages.encode_frame = encode_frame


def _handshake_under_lock() -> None:
    peer = _peer()
    handshake = peer.PeerServer._handshake

    def locked(self: Any, raw: Any) -> Any:
        with self._admission_lock:  # "handshakes touch the admission table"
            return handshake(self, raw)

    peer.PeerServer._handshake = locked


def _stray_data_ignored() -> None:
    app, transfer = _app(), _transfer()

    def stray(conn: Any, frame_type: bytes) -> Any:
        if frame_type == b"DATA" and conn.state is app.R.IDLE:
            # "a refused put's initiator may have sent data anyway: drain it"
            conn._incoming = app._Transfer(2**63 - 1, None, conn._digest_factory)
            return app.R.IDLE
        return conn._lookup(frame_type)

    app._stray = stray
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        ("nxt = self._lookup(frame_type)", "nxt = _stray(self, frame_type)"),
    )
    _patch_source(
        transfer.Responder,
        "run",
        (
            "if event is CLOSED or isinstance(event, ErrorFrame):",
            "if isinstance(event, Data):\n"
            "                continue\n"
            "            if event is CLOSED or isinstance(event, ErrorFrame):",
        ),
    )


def _putf_during_put() -> None:
    app, transfer, messages = _app(), _transfer(), _module("reference.messages")
    app._TRANSITIONS[(app.R.RECEIVING, b"PUTF")] = app.R.RECEIVING
    on_control = app.ApplicationConnection._on_control

    def on_control_keeping(self: Any, frame: Any) -> Any:
        if frame.type == b"PUTF" and self.state is app.R.RECEIVING:
            return messages.decode_message(frame)
        return on_control(self, frame)

    app.ApplicationConnection._on_control = on_control_keeping
    _patch_source(
        transfer._Channel,
        "receive_file",
        (
            "elif isinstance(event, ErrorFrame):",
            "elif isinstance(event, PutRequest):\n"
            "            self.stream.sendall(encode_message(ErrorFrame(\n"
            "                ErrorCode.FORBIDDEN, 'a put is in progress')))\n"
            "        elif isinstance(event, ErrorFrame):",
        ),
    )
    transfer.encode_message = messages.encode_message


def _idle_lost_after_get() -> None:
    transfer = _transfer()
    send_file = transfer._Channel.send_file

    def send(self: Any, reader: Any, size: int, progress: Any) -> None:
        if hasattr(self.stream, "settimeout"):
            self.stream.settimeout(None)  # "bulk sends must not time out"
        send_file(self, reader, size, progress)

    transfer._Channel.send_file = send


def _name_limit_255() -> None:
    share = _module("reference.share")
    _patch_source(
        share,
        "check_name",
        ("if not 1 <= size <= MAX_NAME_BYTES:", "if not 1 <= size <= MAX_COMPONENT_BYTES:"),
    )


def _eof_in_done() -> None:
    """Shared by the responder's put and the initiator's get: _Channel.receive_file."""
    transfer = _transfer()
    errors, messages = _module("reference.errors"), _module("reference.messages")

    def next_or_done(channel: Any, received: int, size: int) -> Any:
        try:
            return channel.next_event()
        except errors.TruncatedStream:
            conn = channel.conn
            if received == size and (conn._buffer or conn._header is not None):
                # "all the data is here; the DONE was cut short: keep it"
                digest = conn._incoming.digest.hexdigest() if conn._incoming else ""
                conn._incoming = None
                return messages.Done(size, digest)
            raise

    transfer._next_or_done = next_or_done
    _patch_source(
        transfer._Channel,
        "receive_file",
        ("event = self.next_event()", "event = _next_or_done(self, received, size)"),
    )
    app = _app()
    stored_done = app.ApplicationConnection.stored_done

    def stored(self: Any) -> Any:
        if self.state is not app.R.STORING:
            raise OSError("connection closed")  # the put is committed; nobody to tell
        return stored_done(self)

    app.ApplicationConnection.stored_done = stored


# --- initiator ---------------------------------------------------------------------------


def _client_unknown_code_nonfatal() -> None:
    errors = _module("reference.errors")

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value)
        except ValueError:
            return cls.UNSUPPORTED  # "a newer responder's refusal we do not know"

    errors.ErrorCode.from_wire = classmethod(from_wire)


def _client_put_exact_mib() -> None:
    transfer, app, messages = _transfer(), _app(), _module("reference.messages")

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        sent = 0
        sha = hashlib.sha256()
        chunk = transfer.BUFFER_SIZE

        def send(n: int) -> None:
            nonlocal sent
            view = memoryview(bytearray(8 + n))
            got = transfer._read_exactly(reader, view[8:])
            view[:8] = self.conn.send_data_header(view[8 : 8 + got])
            self.stream.sendall(view[: 8 + got])
            sha.update(view[8 : 8 + got])
            sent += got

        while sent + chunk < size:
            send(chunk)
        if 0 < size - sent < chunk:  # the last, shorter chunk
            send(size - sent)
        self.stream.sendall(messages.encode_message(messages.Done(size, sha.hexdigest())))
        self.conn.state = app.I.DONE_SENT
        self.conn._outgoing = None

    transfer._Channel.send_file = send_file
    # The responder's DONE is checked against what we sent: skip it like the rest.
    on_control = app.ApplicationConnection._on_control

    def on_control_lenient(self: Any, frame: Any) -> Any:
        if self.state is app.I.DONE_SENT and frame.type == b"DONE":
            self.state = app.I.IDLE
            return messages.decode_message(frame)
        return on_control(self, frame)

    app.ApplicationConnection._on_control = on_control_lenient


def _client_bye_wrong_peer() -> None:
    client, messages = _module("reference.pki.client"), _module("reference.messages")

    def bye(sock: Any) -> bool:
        with contextlib.suppress(OSError):
            sock.sendall(messages.encode_message(messages.Bye()))
        return True

    client._bye_first = bye
    _patch_source(
        client.PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if name != self.alias and _bye_first(sock):"),
    )


def _client_alias_prefix() -> None:
    _patch_source(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if not name.startswith(self.alias):"),
    )


def _client_crl_unchecked() -> None:
    client = _module("reference.pki.client")
    build = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = build(identity, crl_der)
        ctx.verify_flags &= ~ssl.VERIFY_CRL_CHECK_LEAF
        return ctx

    client.client_context = client_context


def _client_wait_after_fatal() -> None:
    transfer, messages = _transfer(), _module("reference.messages")

    def bye(self: Any) -> None:
        stream = self.channel.stream
        with contextlib.suppress(OSError, ValueError):
            stream.sendall(messages.encode_message(messages.Bye()))
            # "let the responder close first": read until its close_notify or EOF
            buf = bytearray(4096)
            for _ in range(256):
                if not stream.recv_into(buf):
                    break

    transfer.Initiator.bye = bye


# --- phase 3: further kinds of mistakes, written after the first measurement ------------


def _idle_none_during_put() -> None:
    transfer = _transfer()
    receive_file = transfer._Channel.receive_file

    def receive(self: Any, sink: Any, size: int, progress: Any) -> Any:
        if hasattr(self.stream, "settimeout"):
            self.stream.settimeout(None)  # "a big upload may pause: never time it out"
        return receive_file(self, sink, size, progress)

    transfer._Channel.receive_file = receive


def _get_limit_inclusive() -> None:
    _patch_source(
        _transfer().Responder,
        "_get",
        (
            "if shared.size > self.policy.max_file_size:",
            "if shared.size >= self.policy.max_file_size:",
        ),
    )


def _exists_casefold() -> None:
    share = _module("reference.share")
    os_ = _module("os")

    def taken(base: str, dir_fd: int) -> bool:
        # "Windows and macOS users share these files": one name per case-folded spelling.
        return any(entry.casefold() == base.casefold() for entry in os_.listdir(dir_fd))

    share._taken = taken
    _patch_source(
        share.Inbox,
        "target_name",
        (
            "os.stat(base, dir_fd=self._fd, follow_symlinks=False)",
            "os.stat(base, dir_fd=self._fd, follow_symlinks=False) if not _taken(base, "
            "self._fd) else None",
        ),
    )


def _client_alias_unchecked_on_retry() -> None:
    _patch_source(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        ("if name != self.alias:", "if name != self.alias and not reached:"),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b3pki-{name}",
        group="blind3-pki",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


def _c(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b3pki-client-{name}",
        group="blind3-pki-client",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "crl-first-entry",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "revocation checked by hand against the CRL's first entry only",
        _crl_first_entry,
    ),
    _m(
        "no-cert-guest",
        "PKI-TLS-3",
        "test_pki_tls.py",
        "client certificate optional; a connection without one is served as 'guest'",
        _no_cert_guest,
    ),
    _m(
        "allow-no-close",
        "PKI-ID-3",
        "test_pki_identity.py",
        "an initiator off the allow list gets forbidden per request; the connection stays",
        _allow_no_close,
    ),
    _m(
        "alias-from-frame",
        "PKI-ID-2",
        "test_pki_identity.py",
        "a request's 'alias' member naming an allowed employee authorises it",
        _alias_from_frame,
    ),
    _m(
        "refused-cert-forbidden",
        "PKI-TLS-10",
        "test_pki_certs.py",
        "a refused certificate is served like an alias off the allow list (forbidden)",
        _refused_cert_forbidden,
    ),
    _m(
        "auth-failed-linger",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after EROR auth_failed it reads until the initiator closes before closing",
        _auth_failed_linger,
    ),
    _m(
        "fatal-bare-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after a fatal application EROR the TCP socket is shut down: no close_notify",
        _fatal_bare_fin,
    ),
    _m(
        "symlink-exists-leak",
        "APP-NAME-6",
        "test_app_names.py",
        "a symlink out of the share: forbidden if its target exists, not_found if not",
        _symlink_exists_leak,
    ),
    _m(
        "empty-file-empty-data",
        "FRM-14",
        "test_framing.py",
        "a get of an empty file sends one empty DATA frame",
        _empty_file_empty_data,
    ),
    _m(
        "digest-per-connection",
        "APP-GET-2",
        "test_app_get.py",
        "one SHA-256 per connection: the 2nd get's DONE hashes both files",
        _digest_per_connection,
    ),
    _m(
        "pipelined-dropped",
        "APP-2",
        "test_framing.py",
        "bytes after an RQFL in the same read are dropped",
        _pipelined_dropped,
    ),
    _m(
        "put-limit-inclusive",
        "LIM-3",
        "test_app_put.py",
        "a put of exactly the maximum file size is too_large",
        _put_limit_inclusive,
    ),
    _m(
        "put-name-stripped",
        "APP-NAME-3",
        "test_app_put.py",
        "a put's stored name is stripped of surrounding spaces",
        _put_name_stripped,
    ),
    _m(
        "bye-during-put",
        "APP-BYE-1",
        "test_app_put.py",
        "BYE_ during a put ends it quietly instead of unexpected_frame",
        _bye_during_put,
    ),
    _m(
        "length-in-chars",
        "FRM-1",
        "test_framing.py",
        "control frames' length counts characters, not UTF-8 bytes",
        _length_in_chars,
    ),
    _m(
        "handshake-under-lock",
        "LIM-5",
        "test_limits_responder.py",
        "the TLS handshake holds the admission lock: one silent client stalls accept",
        _handshake_under_lock,
    ),
    _m(
        "stray-data-ignored",
        "FRM-6",
        "test_framing.py",
        "DATA in IDLE is drained and ignored",
        _stray_data_ignored,
    ),
    _m(
        "putf-during-put",
        "APP-3",
        "test_framing.py",
        "a PUTF during a put is answered forbidden and the put goes on",
        _putf_during_put,
    ),
    _m(
        "idle-lost-after-get",
        "LIM-2",
        "test_limits.py",
        "a get makes the socket blocking: no idle timeout afterwards",
        _idle_lost_after_get,
    ),
    _m(
        "name-limit-255",
        "APP-NAME-7",
        "test_app_names.py",
        "the whole name is limited to 255 bytes",
        _name_limit_255,
    ),
    _m(
        "put-eof-in-done",
        "FRM-7",
        "test_app_put.py",
        "a complete put is stored when the stream ends inside its DONE",
        _eof_in_done,
    ),
    _m(
        "idle-none-during-put",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is being received",
        _idle_none_during_put,
    ),
    _m(
        "get-limit-inclusive",
        "LIM-3",
        "test_app_get.py",
        "a get of a file of exactly the maximum size is too_large",
        _get_limit_inclusive,
    ),
    _m(
        "exists-casefold",
        "APP-NAME-3",
        "test_app_put.py",
        "a put is `exists` when a name differing only in case is in the inbox",
        _exists_casefold,
    ),
    _c(
        "alias-unchecked-on-retry",
        "PKI-ID-1",
        "test_pki_identity.py",
        "the alias is checked on the first connection attempt only, not after a retry",
        _client_alias_unchecked_on_retry,
    ),
    _c(
        "unknown-code-nonfatal",
        "ERR-4",
        "test_client_fatal_errors.py",
        "an unknown EROR code is taken as a non-fatal refusal",
        _client_unknown_code_nonfatal,
    ),
    _c(
        "empty-data",
        "FRM-14",
        "test_client_put.py",
        "a put of an empty file sends one empty DATA frame",
        _empty_file_empty_data,
    ),
    _c(
        "put-exact-mib",
        "APP-PUT-4",
        "test_client_put.py",
        "a put of an exact multiple of 1 MiB omits its last chunk",
        _client_put_exact_mib,
    ),
    _c(
        "bye-wrong-peer",
        "PKI-ID-1",
        "test_pki_identity.py",
        "on an alias mismatch it sends BYE_ before leaving",
        _client_bye_wrong_peer,
    ),
    _c(
        "alias-prefix",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the responder's alias is checked as a prefix",
        _client_alias_prefix,
    ),
    _c(
        "crl-unchecked",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL is loaded but not checked (no VERIFY_CRL_CHECK_LEAF)",
        _client_crl_unchecked,
    ),
    _c(
        "wait-after-fatal",
        "ERR-3",
        "test_client_fatal_errors.py",
        "after a fatal EROR it sends BYE_ and waits for the responder to close",
        _client_wait_after_fatal,
    ),
    _c(
        "length-in-chars",
        "FRM-1",
        "test_pki_initiator_transfer.py",
        "the RQFL's length counts characters, not UTF-8 bytes",
        _length_in_chars,
    ),
    _c(
        "eof-in-done",
        "FRM-7",
        "test_pki_initiator_transfer.py",
        "a complete get is kept when the stream ends inside its DONE",
        _eof_in_done,
    ),
)
