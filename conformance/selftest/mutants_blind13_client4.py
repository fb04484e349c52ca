"""Blind red-team round 13 (client4): the sft-pki/1 initiator (`sft get`, `sft put`) as it
MOVES FILES — the frames it sends and accepts, the order of its steps, its answers to the
responder, its TLS session and the file it writes — through the six lenses of lenses13.md.

The first list (25 mutants) was written blind from docs/SPEC.md and the reference's
initiator (reference/pki/client.py, reference/transfer.py, app.py, messages.py, frames.py,
share.py) only; 22 of the 25 copied registered mutants and the whole list was replaced,
after reading the registry's names and descriptions, by the 21 below. BLIND run (each
against the case file first named for it): 8 of 21 detected (bye-mid-get-quiet,
close-notify-after-size-ok, sha-validator-str-only, put-empty-done-zero-digest,
exists-at-commit-unlinks-final, temp-kept-on-protocol-error, length-signed-i32,
no-close-notify-after-peer-close); eror-code-string was caught too, by
test_client_lenient_frames.py, a file not named for it. The 12 others are caught by the
phase-2 files test_client_pki_{error_forms,get_endings,put_steps,member_sets,
request_names,session_checks}.py; put-rsfl-size-dispatch was added in phase 2 as a class
check of rsfl-accept-dispatch (not counted in the blind measure). Lens of each mutant:

lens 1 (fail open): put-ack-skips-stray, bye-mid-get-quiet, close-notify-after-size-ok,
    put-shrunk-short-done, sha-validator-str-only
lens 2 (absent means permissive): put-empty-done-zero-digest, eror-no-code-nonfatal,
    done-size-optional
lens 3 (leaks on the unhappy path): exists-at-commit-unlinks-final,
    temp-kept-on-protocol-error, drain-unbounded
lens 4 (units and number forms): eror-code-string, length-signed-i32, eror-code-u32-wrap
lens 5 (part of the value compared): rsfl-accept-dispatch (and put-rsfl-size-dispatch),
    rqfl-name-stripped, alpn-any-selected, alias-64-truncated
lens 6 (half-rolled-back state): no-close-notify-after-peer-close,
    busy-retry-same-connection, get-rolled-back-on-close
"""

from __future__ import annotations

import os
import re
import ssl
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _app() -> Any:
    return _module("reference.app")


def _messages() -> Any:
    return _module("reference.messages")


def _frames() -> Any:
    return _module("reference.frames")


def _errors() -> Any:
    return _module("reference.errors")


def _transfer() -> Any:
    return _module("reference.transfer")


def _client() -> Any:
    return _module("reference.pki.client")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _share() -> Any:
    return _module("reference.share")


def _bad(message: str) -> Exception:
    errors = _errors()
    return errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, message)  # type: ignore[no-any-return]


def _wrap_decode(before: Callable[[Any, bool], Any]) -> None:
    """app.decode_message preceded by `before(frame, rsfl_for_put)`: a message it returns
    is used as is; None lets the reference decode the frame."""
    app = _app()
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        replaced = before(frame, rsfl_for_put)
        if replaced is not None:
            return replaced
        return original(frame, rsfl_for_put=rsfl_for_put)

    app.decode_message = decode_message


def _eror_rewrite(rewrite: Callable[[dict[str, Any]], Any]) -> None:
    """EROR frames decoded by `rewrite(obj)` first (a message, or None for the reference's)."""
    frames, messages = _frames(), _messages()

    def before(frame: Any, rsfl_for_put: bool) -> Any:
        if frame.type != messages.T_EROR:
            return None
        return rewrite(frames.loads_control(frame.payload))

    _wrap_decode(before)


def _eror(code: int, obj: dict[str, Any]) -> Any:
    errors, messages = _errors(), _messages()
    message = obj.get("message")
    return messages.ErrorFrame(
        errors.ErrorCode.from_wire(code), message if isinstance(message, str) else ""
    )


def _ragged_eofs_raise() -> None:
    """The initiator's TLS socket made with suppress_ragged_eofs=False: a FIN without
    close_notify raises SSLEOFError, a close_notify reads as the end of the stream."""
    _patch_source(
        _client().PkiSession,
        "_connect_once",
        (
            "sock = context.wrap_socket(raw)",
            "sock = context.wrap_socket(raw, suppress_ragged_eofs=False)",
        ),
    )


# --- lens 1: fail open ------------------------------------------------------------------


def _put_ack_skips_stray() -> None:
    """pki put: once its DONE is sent the initiator waits for "the" DONE: any other frame
    (an RSFL, a DATA, a BYE_) is skipped until a DONE or an EROR arrives, instead of being
    answered unexpected_frame."""
    app = _app()
    conn = app.ApplicationConnection
    original = conn._next_event
    wanted = (b"DONE", b"EROR")

    def _next_event(self: Any) -> Any:
        if (
            self.state is app.InitiatorState.DONE_SENT
            and self._header is None
            and not self._payload_left
            and len(self._buffer) >= 8
        ):
            frame_type, length = struct.unpack("!4sI", bytes(self._buffer[:8]))
            if frame_type not in wanted and length <= self.config.max_frame_payload:
                if len(self._buffer) < 8 + length:
                    return original(self) if self._eof else app.NEED_DATA
                del self._buffer[: 8 + length]
                return self._next_event()
        return original(self)

    conn._next_event = _next_event


def _bye_mid_get_quiet() -> None:
    """pki get: a BYE_ from the responder in the middle of a transfer is taken as the
    responder leaving: the get fails and the connection is closed as after an end of the
    stream, without the EROR unexpected_frame the frame calls for."""
    app, errors, messages = _app(), _errors(), _messages()
    conn = app.ApplicationConnection
    original = conn._lookup

    def _lookup(self: Any, frame_type: bytes) -> Any:
        if (
            frame_type == messages.T_BYE
            and self.role is app.INITIATOR
            and self.state is not app.InitiatorState.BYE_SENT
        ):
            raise errors.TruncatedStream("the responder said goodbye")
        return original(self, frame_type)

    conn._lookup = _lookup


def _close_notify_after_size_ok() -> None:
    """pki get: a bare FIN raises (ragged EOF), but a TLS close_notify after exactly the
    announced bytes ends the get: TLS authenticated the end of the stream, so the file is
    complete and kept without DONE."""
    _ragged_eofs_raise()
    _patch_source(
        _app().ApplicationConnection,
        "_starved",
        (
            "    if self.state not in _CLEAN_EOF:\n",
            "    incoming = self._incoming\n"
            "    if (\n"
            "        self.state is InitiatorState.RECEIVING\n"
            "        and incoming is not None\n"
            "        and incoming.count == incoming.announced\n"
            "    ):\n"
            "        done = Done(incoming.count, incoming.digest.hexdigest())\n"
            "        incoming.check_done(done)\n"
            "        self._incoming = None\n"
            "        self.state = InitiatorState.IDLE\n"
            "        return done\n"
            "    if self.state not in _CLEAN_EOF:\n",
        ),
    )


def _put_shrunk_short_done() -> None:
    """pki put: a short read of the local file is its end: when the file shrank after
    PUTF, the initiator sends what it could read and a DONE with that size and digest,
    fewer bytes than it announced."""
    transfer, app = _transfer(), _app()
    _patch_source(
        transfer._Channel,
        "send_file",
        ('raise OSError("the file shrank while it was being sent")', "break"),
    )
    _patch_source(
        app.ApplicationConnection,
        "send",
        (
            "if event.size != transfer.count or event.size != transfer.announced:",
            "if event.size != transfer.count:",
        ),
    )


def _sha_validator_str_only() -> None:
    """The sha256 format check looks at strings only: a member of another JSON type
    (null, a number) passes it, and RSFL {"sha256": null} is an RSFL without a digest."""
    frames = _frames()
    original = frames._has_kind

    def _has_kind(value: Any, kind: str) -> bool:
        if kind == "sha256" and not isinstance(value, str):
            return True
        return original(value, kind)  # type: ignore[no-any-return]

    frames._has_kind = _has_kind


# --- lens 2: absent means permissive ----------------------------------------------------


def _put_empty_done_zero_digest() -> None:
    """pki put of a 0-byte file: the digest is finalised only once something was hashed;
    with nothing sent DONE carries the zero value, 64 zeros, not SHA-256 of nothing."""
    app, messages = _app(), _messages()
    conn = app.ApplicationConnection
    original = conn.outgoing_done

    def outgoing_done(self: Any) -> Any:
        if self._outgoing is not None and self._outgoing.count == 0:
            return messages.Done(0, "0" * 64)
        return original(self)

    conn.outgoing_done = outgoing_done
    sender = app.ApplicationConnection.send

    def send(self: Any, event: Any) -> bytes:
        if isinstance(event, messages.Done) and event.sha256 == "0" * 64 and event.size == 0:
            self.state = app.InitiatorState.DONE_SENT
            return messages.encode_message(event)  # type: ignore[no-any-return]
        return sender(self, event)  # type: ignore[no-any-return]

    conn.send = send


def _eror_no_code_nonfatal() -> None:
    """An EROR without `code` is no fatal error: it is read as a refusal (forbidden), so
    the initiator stays on the connection and says BYE_."""

    def rewrite(obj: dict[str, Any]) -> Any:
        if "code" in obj:
            return None
        return _eror(5, obj)

    _eror_rewrite(rewrite)


def _done_size_optional() -> None:
    """pki get: a DONE without `size` is checked on its digest alone; its size is taken to
    be the bytes received."""
    app, messages = _app(), _messages()
    frames = _frames()

    def before(frame: Any, rsfl_for_put: bool) -> Any:
        if frame.type != messages.T_DONE:
            return None
        obj = frames.loads_control(frame.payload)
        sha = obj.get("sha256")
        if "size" not in obj and isinstance(sha, str) and _SHA256.fullmatch(sha):
            return messages.Done(None, sha)
        return None

    _wrap_decode(before)
    transfer_cls = app._Transfer
    check = transfer_cls.check_done

    def check_done(self: Any, done: Any) -> None:
        if done.size is None:
            object.__setattr__(done, "size", self.count)
        check(self, done)

    transfer_cls.check_done = check_done


# --- lens 3: leaks on the unhappy path --------------------------------------------------


def _exists_at_commit_unlinks_final() -> None:
    """pki get: when the final rename fails because the output name appeared meanwhile,
    the clean-up removes both names it might have made, the temporary and the output, so
    the other file that took the name is deleted."""
    _patch_source(
        _share().PartialFile,
        "commit",
        (
            "    except FileExistsError:\n        self.abort()\n",
            "    except FileExistsError:\n"
            "        try:\n"
            "            os.unlink(self.final_name, dir_fd=self._dir_fd)\n"
            "        except OSError:\n"
            "            pass\n"
            "        self.abort()\n",
        ),
    )


def _temp_kept_on_protocol_error() -> None:
    """pki get: the temporary file is removed on the failures the author foresaw (an
    integrity failure, a truncation, an I/O error, a signal); a malformed or unexpected
    frame from the responder mid-get leaves it behind."""
    share, errors = _share(), _errors()
    kept = {
        errors.ErrorCode.BAD_FRAME,
        errors.ErrorCode.UNEXPECTED_FRAME,
        errors.ErrorCode.FRAME_TOO_LARGE,
    }

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._done:
            return
        if (
            isinstance(exc, errors.RemoteProtocolError)
            and not isinstance(exc, errors.TruncatedStream)
            and exc.code in kept
        ):
            if self._file is not None:
                self._file.close()
                self._file = None
            self._done = True
            self._untrack()
            self._release_dir()
            return
        self.abort()

    share.PartialFile.__exit__ = __exit__


def _drain_unbounded() -> None:
    """The lingering close after the initiator's fatal EROR reads and drops what the
    responder still sends with a 1 s timeout per read but no bound in total: a responder
    that keeps sending holds the connection open."""
    closing, tls = _module("reference.closing"), _tls()
    _patch_source(
        closing,
        "close_gracefully",
        (
            "        while drained <= limit:\n"
            "            remaining = deadline - time.monotonic()\n"
            "            if remaining <= 0:\n"
            "                break\n"
            "            sock.settimeout(remaining)\n",
            "        while True:\n            sock.settimeout(1.0)\n",
        ),
    )
    tls.close_gracefully = closing.close_gracefully


# --- lens 4: units and number forms -----------------------------------------------------


def _eror_code_string() -> None:
    """An EROR code given as a string of digits ("6") is converted with int(): a malformed
    EROR is read as a non-fatal not_found and the initiator stays and says BYE_."""

    def rewrite(obj: dict[str, Any]) -> Any:
        code = obj.get("code")
        if isinstance(code, str) and code.isascii() and code.isdigit():
            return _eror(int(code), obj)
        return None

    _eror_rewrite(rewrite)


def _length_signed_i32() -> None:
    """The frame header's length is read as a signed 32-bit integer ("!4si"): a length of
    2^31 or more is negative, passes the limit check, and the frame is refused bad_frame
    (an empty payload) instead of frame_too_large."""
    app, frames, errors = _app(), _frames(), _errors()
    type_re = re.compile(rb"[A-Z0-9_]{4}")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        frame_type, length = struct.unpack("!4si", bytes(header))
        if not type_re.fullmatch(frame_type):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "bad frame type")
        if length > max_payload:
            raise errors.RemoteProtocolError(errors.ErrorCode.FRAME_TOO_LARGE, "frame too large")
        return frame_type, length

    app.parse_header = parse_header
    frames.parse_header = parse_header


def _eror_code_u32_wrap() -> None:
    """EROR codes are held in 32 bits (a C uint32_t): an unknown code 2^32 + 6 is read as
    6, a non-fatal not_found, instead of internal (fatal)."""

    def rewrite(obj: dict[str, Any]) -> Any:
        code = obj.get("code")
        if type(code) is int and 0xFFFFFFFF < code <= 2**63 - 1:
            return _eror(code & 0xFFFFFFFF, obj)
        return None

    _eror_rewrite(rewrite)


# --- lens 5: part of the value compared -------------------------------------------------


def _rsfl_accept_dispatch() -> None:
    """RSFL's two schemas are told apart by their members, not by the request: a get's
    RSFL {name, size} that also carries an `accept` member (an unknown member for a get)
    is taken as a put's answer and the get fails bad_frame."""
    frames, messages = _frames(), _messages()

    def before(frame: Any, rsfl_for_put: bool) -> Any:
        if frame.type == messages.T_RSFL and not rsfl_for_put:
            if "accept" in frames.loads_control(frame.payload):
                raise _bad("RSFL {accept} answers a put, not a get")
        return None

    _wrap_decode(before)


def _put_rsfl_size_dispatch() -> None:
    """(phase 2, a class check of rsfl-accept-dispatch) pki put: an RSFL carrying `size`
    is a get's answer whatever was asked: a put's RSFL {accept, name} with an extra `size`
    member is refused bad_frame and the put fails."""
    frames, messages = _frames(), _messages()

    def before(frame: Any, rsfl_for_put: bool) -> Any:
        if frame.type == messages.T_RSFL and rsfl_for_put:
            if "size" in frames.loads_control(frame.payload):
                raise _bad("RSFL {name, size} answers a get, not a put")
        return None

    _wrap_decode(before)


def _rqfl_name_stripped() -> None:
    """pki get: the name to get is strip()ped before RQFL (' a.txt ' is asked as 'a.txt')."""
    session = _client().PkiSession
    original = session.get

    def get(self: Any, name: str, destination: Path, **kwargs: Any) -> int:
        return original(self, name.strip(), destination, **kwargs)  # type: ignore[no-any-return]

    session.get = get


def _alpn_any_selected() -> None:
    """The initiator offers sft-pki/1 and http/1.1 (its CA client's list) and checks only
    that a protocol was selected, not which one."""
    client, tls = _client(), _tls()
    original = tls.client_context

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx = original(identity, crl_der)
        ctx.set_alpn_protocols([tls.ALPN, "http/1.1"])
        return ctx  # type: ignore[no-any-return]

    client.client_context = client_context
    _patch_source(
        tls,
        "peer_alias",
        ("if sock.selected_alpn_protocol() != ALPN:", "if sock.selected_alpn_protocol() is None:"),
    )
    client.peer_alias = tls.peer_alias


def _alias_64_truncated() -> None:
    """The responder's CN is read into a 64-character buffer (an alias is at most 64): a
    longer CN whose first 64 characters are the alias passes the alias check."""
    client, tls = _client(), _tls()
    _patch_source(
        tls,
        "check_peer_certificate",
        ("alias = _common_name(cert)\n", "alias = _common_name(cert)[:64]\n"),
    )
    client.peer_alias = tls.peer_alias


# --- lens 6: half-rolled-back state -----------------------------------------------------


class _Tracked:
    """The initiator's TLS socket, remembering whether the responder ended the stream."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.b64_sock = sock
        self.b64_peer_closed = False

    def recv_into(self, buffer: Any, *args: Any) -> int:
        n = self.b64_sock.recv_into(buffer, *args)
        if n == 0:
            self.b64_peer_closed = True
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.b64_sock, name)


def _no_close_notify_after_peer_close() -> None:
    """Once the responder's close_notify has arrived the TLS session counts as over: the
    initiator then closes the socket without its own close_notify (a bare FIN)."""
    client = _client()
    session = client.PkiSession
    connect = session._connect

    def _connect(self: Any, context: Any, host: str, port: int) -> Any:
        return _Tracked(connect(self, context, host, port))

    def close(self: Any) -> None:
        self._initiator.bye()
        sock = self._sock
        if isinstance(sock, _Tracked) and sock.b64_peer_closed:
            sock.b64_sock.close()
            return
        client.close_tls(sock.b64_sock if isinstance(sock, _Tracked) else sock)

    session._connect = _connect
    session.close = close


def _busy_retry_same_connection() -> None:
    """pki get: an EROR busy that carries retry_after is read as "try later", not as the
    end of the connection: the initiator waits a second and sends
    its RQFL again on the same connection."""
    messages, transfer, errors = _messages(), _transfer(), _errors()
    busy = errors.ErrorCode.BUSY
    messages.ErrorFrame.fatal = property(
        lambda self: self.code.fatal and not (self.code is busy and self.retry_after is not None)
    )
    initiator = transfer.Initiator
    original = initiator.get

    def get(self: Any, name: str, destination: Path, **kwargs: Any) -> Any:
        for _ in range(3):
            try:
                return original(self, name, destination, **kwargs)
            except transfer.TransferRefused as exc:
                if exc.code is not busy:
                    raise
                time.sleep(1.0)
        return original(self, name, destination, **kwargs)

    initiator.get = get


def _get_rolled_back_on_close() -> None:
    """pki get: a completed get (DONE verified, file renamed) is undone when the
    connection then ends without close_notify (a bare FIN or a reset as BYE_ is said):
    the initiator takes it as a cut connection, removes the file and fails."""
    client, messages, errors = _client(), _messages(), _errors()
    _ragged_eofs_raise()
    session = client.PkiSession
    get = session.get

    def tracked_get(self: Any, name: str, destination: Path, **kwargs: Any) -> int:
        size = get(self, name, destination, **kwargs)
        self.b64_saved = destination
        return size  # type: ignore[no-any-return]

    def close(self: Any) -> None:
        cut = False
        channel = self._initiator.channel
        try:
            channel.send(messages.Bye())
            channel.next_event()
        except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError):
            cut = True
        except (OSError, errors.ProtocolError):
            pass
        client.close_tls(self._sock)
        saved = getattr(self, "b64_saved", None)
        if cut and saved is not None:
            os.unlink(saved)
            raise client.PkiClientError("the connection was cut after the get: file removed")

    session.get = tracked_get
    session.close = close


def _m(name: str, requirement: str, test_file: str, apply: Callable[[], None]) -> Mutant:
    return Mutant(
        name=f"b13cl4-{name}",
        group="blind13-client4",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=" ".join((apply.__doc__ or "").split()),
        apply=apply,
        client=True,
    )


_GET = "test_pki_initiator_transfer.py"
_PUT = "test_client_put.py"
# Phase 2 (round 13): the new case files that catch the blind run's survivors.
_ERRORS = "test_client_pki_error_forms.py"
_ENDINGS = "test_client_pki_get_endings.py"
_PUT_STEPS = "test_client_pki_put_steps.py"
_MEMBERS = "test_client_pki_member_sets.py"
_SESSION = "test_client_pki_session_checks.py"

MUTANTS: tuple[Mutant, ...] = (
    _m("put-ack-skips-stray", "FRM-6", _PUT_STEPS, _put_ack_skips_stray),
    _m("bye-mid-get-quiet", "FRM-6", "test_client_lies.py", _bye_mid_get_quiet),
    _m("close-notify-after-size-ok", "APP-GET-5", _GET, _close_notify_after_size_ok),
    _m("put-shrunk-short-done", "APP-PUT-4", _PUT_STEPS, _put_shrunk_short_done),
    _m("sha-validator-str-only", "FRM-9", "test_client_json_nulls.py", _sha_validator_str_only),
    _m("put-empty-done-zero-digest", "APP-PUT-4", _PUT, _put_empty_done_zero_digest),
    _m("eror-no-code-nonfatal", "ERR-8", _ERRORS, _eror_no_code_nonfatal),
    _m("done-size-optional", "FRM-9", _MEMBERS, _done_size_optional),
    _m("exists-at-commit-unlinks-final", "APP-GET-6", _GET, _exists_at_commit_unlinks_final),
    _m(
        "temp-kept-on-protocol-error",
        "APP-STORE-3",
        "test_client_lies.py",
        _temp_kept_on_protocol_error,
    ),
    _m("drain-unbounded", "ERR-3", _ENDINGS, _drain_unbounded),
    _m("eror-code-string", "ERR-8", "test_client_lenient_frames.py", _eror_code_string),
    _m("length-signed-i32", "FRM-3", _GET, _length_signed_i32),
    _m("eror-code-u32-wrap", "ERR-4", _ERRORS, _eror_code_u32_wrap),
    _m("rsfl-accept-dispatch", "FRM-10", _MEMBERS, _rsfl_accept_dispatch),
    _m("put-rsfl-size-dispatch", "FRM-10", _MEMBERS, _put_rsfl_size_dispatch),
    _m("rqfl-name-stripped", "APP-NAME-3", "test_client_pki_request_names.py", _rqfl_name_stripped),
    _m("alpn-any-selected", "PKI-TLS-2", _SESSION, _alpn_any_selected),
    _m("alias-64-truncated", "PKI-ID-4", _SESSION, _alias_64_truncated),
    _m(
        "no-close-notify-after-peer-close",
        "PKI-TLS-7",
        "test_pki_tls.py",
        _no_close_notify_after_peer_close,
    ),
    _m("busy-retry-same-connection", "ERR-3", _ERRORS, _busy_retry_same_connection),
    _m("get-rolled-back-on-close", "APP-BYE-2", _ENDINGS, _get_rolled_back_on_close),
)
