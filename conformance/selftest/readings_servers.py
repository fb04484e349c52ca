"""Conforming variants of the reference (servers): the EKE server, the PKI responder and
the application/framing layer they share.

Each `Reading` plants an allowed choice the reference does not make; the suite must PASS
it (conformance/selftest/test_ambig_readings.py). Every description quotes the SPEC
sentence that allows the choice. Planted like the mutants: a monkeypatch of the
reference inside the subprocess that runs it (`python -m conformance.selftest.mutants_ambig
NAME -- ...`); reference modules are reached only through `_module`, at apply time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]


# ---------------------------------------------------------------- helpers


def _everywhere(module_name: str, attr: str, new: Any) -> None:
    """Replaces `module.attr` and every `reference.*` module's by-name import of it."""
    module = _module(module_name)
    old = getattr(module, attr)
    setattr(module, attr, new)
    for mod in list(sys.modules.values()):
        name = getattr(mod, "__name__", "")
        if name.startswith("reference.") and getattr(mod, attr, None) is old:
            setattr(mod, attr, new)


def _load_everything() -> None:
    """Imports the server modules first, so that `_everywhere` reaches their imports."""
    for name in (
        "reference.frames",
        "reference.messages",
        "reference.app",
        "reference.transfer",
        "reference.share",
        "reference.eke.handshake",
        "reference.eke.transport",
        "reference.eke.server",
        "reference.pki.tls",
        "reference.pki.peer",
    ):
        _module(name)


def _patch_dumps(dumps: Callable[[Any], bytes]) -> None:
    """Every control payload the servers send is encoded by `dumps(obj)`."""
    _load_everything()
    _everywhere("reference.frames", "dumps_control", dumps)


def _patch_errors(rewrite: Callable[[str], str]) -> None:
    """Every EROR message (records, TLS stream and the EKE handshake in clear)."""
    _load_everything()
    messages = _module("reference.messages")
    handshake = _module("reference.eke.handshake")
    encode_message = messages.encode_message
    encode_error = handshake.encode_error

    def encode_message_(message: Any) -> bytes:
        if isinstance(message, messages.ErrorFrame):
            message = dataclasses.replace(message, message=rewrite(message.message))
        data: bytes = encode_message(message)
        return data

    def encode_error_(code: Any, message: str, retry_after: int | None = None) -> bytes:
        data: bytes = encode_error(code, rewrite(message), retry_after)
        return data

    _everywhere("reference.messages", "encode_message", encode_message_)
    _everywhere("reference.eke.handshake", "encode_error", encode_error_)


# ---------------------------------------------------------------- JSON (FRM-8/9/10)


def _json_spaced() -> None:
    # RFC 8259 allows insignificant white space around every structural character.
    _patch_dumps(lambda obj: json.dumps(obj, indent=2, ensure_ascii=False).encode() + b"\n")


def _escape_all(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "/":
            out.append("\\/")
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04X}")
        elif code > 0x7E or ch in "ae":
            out.append(f"\\u{code:04x}")
        else:
            out.append(json.dumps(ch)[1:-1])
    return '"' + "".join(out) + '"'


def _dumps_escaped(obj: Any) -> str:
    if isinstance(obj, dict):
        return "{" + ",".join(f"{_escape_all(k)}:{_dumps_escaped(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, str):
        return _escape_all(obj)
    if isinstance(obj, list):
        return "[" + ", ".join(_dumps_escaped(v) for v in obj) + "]"
    return json.dumps(obj)


def _json_escapes() -> None:
    # RFC 8259 §7: any character may be escaped (`\/`, `\u0061`, surrogate pairs).
    _patch_dumps(lambda obj: _dumps_escaped(obj).encode("ascii"))


def _json_reversed_members() -> None:
    # RFC 8259 §4: an object is an unordered collection of members.
    _patch_dumps(
        lambda obj: json.dumps(dict(reversed(list(obj.items()))), ensure_ascii=False).encode()
    )


def _json_extra_members() -> None:
    # FRM-10: receivers ignore members the schema does not define (extensibility).
    _patch_dumps(
        lambda obj: json.dumps(
            {"x_impl": "readings", **obj, "x_meta": {"v": [1, 2.5, None, True]}},
            ensure_ascii=False,
        ).encode()
    )


def _json_depth_limit() -> None:
    # FRM-9: "a receiver MAY limit the nesting depth (RFC 8259 §9) and answer a deeper
    # payload `bad_frame`". This one allows 16 levels.
    _load_everything()
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    original = frames.loads_control

    def depth(payload: bytes) -> int:
        deepest = level = 0
        in_string = escaped = False
        for b in payload:
            if in_string:
                if escaped:
                    escaped = False
                elif b == 0x5C:
                    escaped = True
                elif b == 0x22:
                    in_string = False
            elif b == 0x22:
                in_string = True
            elif b in (0x5B, 0x7B):
                level += 1
                deepest = max(deepest, level)
            elif b in (0x5D, 0x7D):
                level -= 1
        return deepest

    def loads_control(payload: Any) -> dict[str, Any]:
        if len(payload) <= frames.MAX_CONTROL_PAYLOAD and depth(bytes(payload)) > 16:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "JSON nested too deep")
        result: dict[str, Any] = original(payload)
        return result

    _everywhere("reference.frames", "loads_control", loads_control)


def _surrogate_name_forbidden() -> None:
    # FRM-15: a lone surrogate in a name MAY be refused `forbidden` (non-fatal) instead
    # of `bad_frame`. The schema lets such strings through; the name check refuses them.
    _load_everything()
    frames = _module("reference.frames")
    frames._is_encodable = lambda _value: True


# ---------------------------------------------------------------- messages the servers send


def _eror_generic_message() -> None:
    # ERR-1: "`name` and `message` are for people"; a receiver acts on `code` only.
    _patch_errors(lambda _message: "request refused")


def _eror_long_message() -> None:
    # ERR-1: `message` is "human-readable, at most 512 characters": this one uses all 512.
    filler = " (see the responder's log for the details of this refusal)"

    def rewrite(message: str) -> str:
        text = message
        while len(text) < 512:
            text += filler
        return text[:512]

    _patch_errors(rewrite)


_HASHES = threading.local()


def _rsfl_with_sha256() -> None:
    # APP-GET-2: "RSFL {name, size} (and MAY include `sha256`)".
    _load_everything()
    share = _module("reference.share")
    app = _module("reference.app")
    messages = _module("reference.messages")
    original_open = share.ShareDirectory.open
    original_send = app.ApplicationConnection.send

    def open_(self: Any, name: str) -> Any:
        shared = original_open(self, name)
        digest = hashlib.sha256()
        fd, at = shared.file.fileno(), 0
        while chunk := os.pread(fd, 1 << 20, at):
            digest.update(chunk)
            at += len(chunk)
        _HASHES.value = (name, digest.hexdigest()) if at == shared.size else None
        return shared

    def send(self: Any, event: Any) -> bytes:
        known = getattr(_HASHES, "value", None)
        if isinstance(event, messages.FileResponse) and known and known[0] == event.name:
            event = dataclasses.replace(event, sha256=known[1])
            _HASHES.value = None
        data: bytes = original_send(self, event)
        return data

    share.ShareDirectory.open = open_
    app.ApplicationConnection.send = send


def _chunks(first: int) -> Callable[[int], int]:
    """DATA sizes: `first` one-byte frames, then odd sizes (a prime, then the largest)."""

    def size(index: int) -> int:
        if index < first:
            return 1
        return 65521 if index % 2 else 1 << 20

    return size


def _pki_small_data_frames() -> None:
    # FRM-13: a DATA payload is "1 to 1 048 576 bytes": the sender chooses each size.
    _load_everything()
    transfer = _module("reference.transfer")
    schedule = _chunks(48)

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        sent = index = 0
        while sent < size:
            want = min(schedule(index), size - sent)
            index += 1
            buf = bytearray(want)
            view = memoryview(buf)
            got = 0
            while got < want:
                n = reader(view[got:])
                if not n:
                    raise OSError("the file shrank while it was being sent")
                got += n
            header = self.conn.send_data_header(view)
            self.stream.sendall(header + bytes(buf))
            sent += want
        self.send(self.conn.outgoing_done())
        self.release_buffers()

    transfer._Channel.send_file = send_file


def _eke_small_data_frames() -> None:
    # FRM-13 / EKE-REC-1: one frame per record, its DATA payload 1 .. 1 MiB.
    _load_everything()
    transport = _module("reference.eke.transport")
    original = transport.SecureStream.send_file_chunk
    schedule = _chunks(48)
    counts: dict[int, int] = {}

    def send_file_chunk(self: Any, file: Any, limit: int) -> int:
        index = counts.get(id(self), 0)
        counts[id(self)] = index + 1
        n: int = original(self, file, min(limit, schedule(index)))
        if n == limit:  # the last chunk of this get: the next get starts over
            counts.pop(id(self), None)
        return n

    transport.SecureStream.send_file_chunk = send_file_chunk


class _SplitStream:
    """A TLS stream whose writes go out in many small TLS records: 1 byte, 3 bytes, then
    pieces of at most 1000 bytes (a frame header is always split across records)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def sendall(self, data: Any) -> None:
        view = memoryview(bytes(data))
        for size in (1, 3):
            if view:
                self._inner.sendall(view[:size])
                view = view[size:]
        while view:
            self._inner.sendall(view[:1000])
            view = view[1000:]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CoalescingStream:
    """A TLS stream that gathers its writes and sends them at the next read, at the close,
    or past 256 KiB: RSFL, DATA and DONE of a small get leave in one TLS record."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._pending = bytearray()

    def flush(self) -> None:
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            self._inner.sendall(data)

    def sendall(self, data: Any) -> None:
        self._pending += data
        if len(self._pending) >= 256 * 1024:
            self.flush()

    def recv_into(self, buffer: Any, *args: Any) -> int:
        self.flush()
        n: int = self._inner.recv_into(buffer, *args)
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _wrap_responder_stream(wrap: Callable[[Any], Any]) -> None:
    _load_everything()
    transfer = _module("reference.transfer")
    init = transfer.Responder.__init__
    run = transfer.Responder.run

    def __init__(self: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        init(self, wrap(stream), *args, **kwargs)

    def run_(self: Any) -> None:
        try:
            run(self)
        finally:
            flush = getattr(self.channel.stream, "flush", None)
            if flush is not None:
                try:
                    flush()
                except OSError:
                    pass

    transfer.Responder.__init__ = __init__
    transfer.Responder.run = run_


def _pki_split_writes() -> None:
    # PKI-TLS-6: the application protocol "runs directly over the TLS stream" (a byte
    # stream: how the frames are cut into TLS records is the sender's choice, FRM-4).
    _wrap_responder_stream(_SplitStream)


def _pki_coalesced_writes() -> None:
    # PKI-TLS-6 / FRM-4: several frames in one TLS record (pipelining) are one stream.
    _wrap_responder_stream(_CoalescingStream)


def _no_bye_echo() -> None:
    # §3.2: "IDLE | BYE_ | MAY send BYE_, close"; APP-BYE-1: "the responder MAY answer".
    _load_everything()
    transfer = _module("reference.transfer")
    transport = _module("reference.eke.transport")
    messages = _module("reference.messages")
    send = transfer._Channel.send
    send_eke = transport.SecureStream.send

    def channel_send(self: Any, event: Any) -> None:
        if not isinstance(event, messages.Bye):
            send(self, event)

    def stream_send(self: Any, message: Any) -> None:
        if not isinstance(message, messages.Bye):
            send_eke(self, message)

    transfer._Channel.send = channel_send
    transport.SecureStream.send = stream_send


# ---------------------------------------------------------------- orders (FRM-16, ...)


def _name_before_size() -> None:
    # FRM-16: "a `PUTF` whose name is refused and whose size is too large (`forbidden` or
    # `too_large`, both non-fatal)": here the name is checked first (and `exists` too).
    _load_everything()
    share = _module("reference.share")
    original = share.Inbox.target_name
    transfer = _module("reference.transfer")
    server = _module("reference.eke.server")
    put = transfer.Responder._put
    begin_put = server.EkeServer._begin_put

    def check_first(inbox: Any, request: Any) -> Any:
        """The refusal of the offered name (forbidden, exists), or None."""
        if inbox is None:
            return None
        errors = _module("reference.errors")
        try:
            original(inbox, request.name)
        except errors.RemoteProtocolError as exc:
            return exc
        return None

    def put_(self: Any, request: Any) -> None:
        refusal = check_first(self.policy.inbox, request)
        if refusal is not None:
            self._refuse(refusal)
            return
        put(self, request)

    def begin_put_(self: Any, stream: Any, request: Any) -> Any:
        messages = _module("reference.messages")
        refusal = check_first(self._inbox, request)
        if refusal is not None:
            stream.send(messages.ErrorFrame(refusal.code, refusal.message))
            return None
        return begin_put(self, stream, request)

    transfer.Responder._put = put_
    server.EkeServer._begin_put = begin_put_


def _patch_check_header(check: Callable[[Any, bytes, int], tuple[bytes, int]]) -> None:
    _load_everything()
    app = _module("reference.app")
    original = app.ApplicationConnection._check_header

    def check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        return check(original, frame_type, length)

    app.ApplicationConnection._check_header = staticmethod(check_header)


def _control_length_before_type() -> None:
    # FRM-16: "an undefined type whose length is above 65 536 but within the frame limit
    # (`unexpected_frame` or `frame_too_large`)": the length first.
    def check(original: Any, frame_type: bytes, length: int) -> tuple[bytes, int]:
        app = _module("reference.app")
        errors = _module("reference.errors")
        if frame_type != app.T_DATA and length > app.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, f"control payload of {length} bytes"
            )
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    _patch_check_header(check)


def _oversize_data_frame_too_large() -> None:
    # FRM-16: "a `DATA` frame of 1 048 577 bytes up to the frame limit (`bad_frame` or
    # `frame_too_large`)": frame_too_large.
    def check(original: Any, frame_type: bytes, length: int) -> tuple[bytes, int]:
        app = _module("reference.app")
        errors = _module("reference.errors")
        if frame_type == app.T_DATA and length > app.MAX_DATA_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, f"DATA payload of {length} bytes"
            )
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    _patch_check_header(check)


def _state_after_payload() -> None:
    # FRM-6 (no "as soon as the header has arrived", unlike FRM-3) and FRM-16: "a frame
    # not allowed in the current state whose payload is also malformed
    # (`unexpected_frame` or `bad_frame`)": a control frame is read whole (≤ 64 KiB,
    # FRM-8) and parsed, then judged against the state.
    _load_everything()
    app = _module("reference.app")
    errors = _module("reference.errors")
    lookup = app.ApplicationConnection._lookup
    on_control = app.ApplicationConnection._on_control

    def lookup_(self: Any, frame_type: bytes) -> Any:
        if self._header is not None and frame_type != app.T_DATA:
            try:
                return lookup(self, frame_type)
            except errors.RemoteProtocolError:
                return self.state  # judged in _on_control, once the payload is parsed
        return lookup(self, frame_type)

    def on_control_(self: Any, frame: Any) -> Any:
        app.decode_message(frame, rsfl_for_put=self.state is app.I.PUT_SENT)
        return on_control(self, frame)

    app.ApplicationConnection._lookup = lookup_
    app.ApplicationConnection._on_control = on_control_


def _malformed_eror_silent_close() -> None:
    # ERR-8: a malformed EROR "MAY [be answered] `bad_frame` (FRM-9) or close without
    # answering — both are conforming".
    _load_everything()
    app = _module("reference.app")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    decode = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        try:
            return decode(frame, rsfl_for_put=rsfl_for_put)
        except errors.RemoteProtocolError:
            if frame.type == messages.T_EROR:
                raise errors.TruncatedStream("a malformed EROR: closed") from None
            raise

    app.decode_message = decode_message


def _partial_get_forbidden() -> None:
    # APP-NAME-9: "A get of such a name MAY be answered `forbidden` or `not_found`".
    _load_everything()
    share = _module("reference.share")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        parts = share.check_name(name)
        if parts[-1].startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        return original(self, name)

    share.ShareDirectory.open = open_


def _put_in_progress_exists() -> None:
    # APP-PUT-8: "a second `PUTF` of that name MAY be accepted or answered `exists`".
    _load_everything()
    share = _module("reference.share")
    errors = _module("reference.errors")
    lock = threading.Lock()
    busy: set[str] = set()
    target_name = share.Inbox.target_name
    begin = share.Inbox.begin
    commit = share.PartialFile.commit
    abort = share.PartialFile.abort

    def target_name_(self: Any, name: str) -> str:
        base: str = target_name(self, name)
        with lock:
            if base in busy:
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, "a put of that name is in progress"
                )
        return base

    def begin_(self: Any, final_name: str, size: int) -> Any:
        partial = begin(self, final_name, size)
        with lock:
            busy.add(final_name)
        return partial

    def ended(method: Callable[..., None]) -> Callable[..., None]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                method(self, *args, **kwargs)
            finally:
                with lock:
                    busy.discard(self.final_name)

        return wrapper

    share.Inbox.target_name = target_name_
    share.Inbox.begin = begin_
    share.PartialFile.commit = ended(commit)
    share.PartialFile.abort = ended(abort)


# ---------------------------------------------------------------- the EKE server


def _eke_invalid_user_as_unknown() -> None:
    # EKE-PW-5: an invalid user name "MAY be answered `bad_frame` (fatal) or handled as an
    # unknown user (EKE-HS-3); both are conforming".
    _load_everything()
    handshake = _module("reference.eke.handshake")

    def on_eke1(self: Any, obj: dict[str, Any]) -> Any:
        self.user = obj["user"]
        self._a = handshake._hex(obj, "a")
        return handshake.LoginAttempt(self.user)

    handshake.ServerHandshake._on_eke1 = on_eke1


def _eke_busy_by_close() -> None:
    # LIM-4: "refuse new connections (close, or `EROR busy` where possible)"; LIM-8:
    # "refuse the next one ... promptly (close, or `EROR busy` where possible)".
    _load_everything()
    server = _module("reference.eke.server")
    server.encode_error = lambda *_args, **_kwargs: b""


def _pki_busy_by_close() -> None:
    # LIM-4: "refuse new connections (close, or `EROR busy` where possible)".
    _load_everything()
    peer = _module("reference.pki.peer")
    peer._BUSY_EXTRA = 0


def _eke_busy_retry_after_longer() -> None:
    # EKE-THR-7: `busy` carries "`retry_after` (an integer number of seconds, at least 1)".
    _load_everything()
    handshake = _module("reference.eke.handshake")
    original = handshake.ServerHandshake.refuse_busy

    def refuse_busy(self: Any, retry_after: int) -> None:
        original(self, max(retry_after, 3))

    handshake.ServerHandshake.refuse_busy = refuse_busy


def _eke_slow_put_done() -> None:
    # APP-PUT-5: `DONE` "only once the file is durably stored": a slow disk answers later
    # (here 0.8 s, far within the idle timeout).
    _load_everything()
    server = _module("reference.eke.server")
    original = server.EkeServer._finish_put

    def finish_put(self: Any, stream: Any, partial: Any) -> str:
        time.sleep(0.8)
        result: str = original(self, stream, partial)
        return result

    server.EkeServer._finish_put = finish_put


# ---------------------------------------------------------------- the PKI responder (TLS)


def _pki_certificate_checked_after_handshake() -> None:
    # PKI-TLS-3: "A stack that completes the handshake without a certificate and refuses
    # then is conforming" (EROR auth_failed, close_notify and the close: PKI-TLS-10).
    _load_everything()
    tls = _module("reference.pki.tls")
    peer = _module("reference.pki.peer")
    ssl = _module("ssl")
    original = tls.server_context

    def server_context(*args: Any, **kwargs: Any) -> Any:
        ctx = original(*args, **kwargs)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    tls.server_context = server_context
    peer.server_context = server_context


def _pki_tls_constants(**values: str) -> None:
    _load_everything()
    tls = _module("reference.pki.tls")
    for name, value in values.items():
        setattr(tls, name, value)


def _pki_chacha_only() -> None:
    # PKI-TLS-9: "MUST negotiate only these TLS 1.3 parameters" — a subset: ChaCha20 only.
    _pki_tls_constants(TLS13_CIPHERSUITES="TLS_CHACHA20_POLY1305_SHA256")


def _pki_groups_hrr() -> None:
    # PKI-TLS-9: groups from the list only; this responder takes P-256 then P-384 (a
    # client's x25519 key share gets a HelloRetryRequest, RFC 8446 §4.1.4).
    _pki_tls_constants(TLS13_GROUPS="P-256:P-384")


def _follow_symlinks_inside_share() -> None:
    # APP-NAME-4: "A symbolic link that stays inside the share MAY be followed or refused
    # with forbidden (the reference refuses every symbolic link); both are conforming."
    # The name is resolved; a path that stays inside is opened (without following
    # anything, so a link swapped in meanwhile is still refused: APP-NAME-5); a path
    # that leaves the share is forbidden, whether it exists or not (APP-NAME-6).
    _load_everything()
    share = _module("reference.share")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        share.check_name(name)
        root = os.path.realpath(self.path)
        resolved = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, resolved]) != root or resolved == root:
            raise share.NameRefused("the name leaves the share")
        return original(self, os.path.relpath(resolved, root))

    share.ShareDirectory.open = open_


def _pki_header_length_first() -> None:
    # FRM-16: "a header with bad type bytes and an oversize length (bad_frame or
    # frame_too_large)": the length first, over TLS too.
    _load_everything()
    _module("conformance.selftest.mutants_ambig")._length_checked_before_type()


def _nagle() -> None:
    # No requirement sets a latency: a server that leaves Nagle's algorithm on (no
    # TCP_NODELAY) answers small frames up to a delayed-ACK time later.
    socket = _module("socket")
    setsockopt = socket.socket.setsockopt

    def setsockopt_(self: Any, level: int, option: int, *args: Any) -> None:
        if level == socket.IPPROTO_TCP and option == socket.TCP_NODELAY:
            return
        setsockopt(self, level, option, *args)

    socket.socket.setsockopt = setsockopt_


def _eke_slow_eke2() -> None:
    # EKE-HS-2 sets no time for EKE2 but the handshake timeout (LIM-1, 10 s by default):
    # this server takes 0.15 s more for every EKE2, whoever the user (EKE-HS-3). (The
    # embedded reference's handshake timeout is 2 s: a larger delay leaves the pending-cap
    # cases, which hold P logins open at once, rightly INCONCLUSIVE.)
    _load_everything()
    handshake = _module("reference.eke.handshake")
    original = handshake.ServerHandshake.accept

    def accept(self: Any, pw: bytes) -> None:
        time.sleep(0.15)
        original(self, pw)

    handshake.ServerHandshake.accept = accept


def _eke_fatal_graceful_close() -> None:
    # ERR-3: "The close follows the EROR at once" — here a FIN at once (shutdown), then
    # what the client still sends is read and dropped, never processed, for at most 1 s
    # before the socket is closed (no reset that could destroy the EROR in flight).
    _load_everything()
    server = _module("reference.eke.server")
    closing = _module("reference.closing")
    original = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        closing.close_gracefully(stream.sock, 1.0)

    server.EkeServer._send_fatal = send_fatal


def _pki_slow_rsfl() -> None:
    # APP-GET-2 sets no time for the RSFL but the idle timeout: a responder on a slow
    # disk answers a get 0.8 s later.
    _load_everything()
    transfer = _module("reference.transfer")
    original = transfer.Responder._get

    def get(self: Any, request: Any) -> None:
        time.sleep(0.8)
        original(self, request)

    transfer.Responder._get = get


def _timeouts_late() -> None:
    # LIM-1/LIM-2 say what is closed, not to the millisecond when: a server whose timers
    # are checked by a periodic sweep closes up to 0.5 s after the timeout has expired.
    _load_everything()
    for module, cls in (
        ("reference.eke.server", "ServerConfig"),
        ("reference.pki.peer", "PeerConfig"),
    ):
        config = getattr(_module(module), cls)
        post_init = config.__post_init__

        def __post_init__(self: Any, post_init: Callable[[Any], None] = post_init) -> None:
            post_init(self)
            object.__setattr__(self, "idle_timeout", self.idle_timeout + 0.5)
            object.__setattr__(self, "handshake_timeout", self.handshake_timeout + 0.5)

        config.__post_init__ = __post_init__


def _eke_bye_close_at_once() -> None:
    # APP-BYE-1: "the responder MAY answer BYE_ and MUST then close": this one closes
    # right after its echo, without lingering for the client's FIN.
    _load_everything()
    config = _module("reference.eke.server").ServerConfig
    post_init = config.__post_init__

    def __post_init__(self: Any) -> None:
        post_init(self)
        object.__setattr__(self, "close_linger", 0.0)

    config.__post_init__ = __post_init__


def _pki_close_without_waiting() -> None:
    # PKI-TLS-7: "MUST send a TLS close_notify before closing the TCP connection": this
    # one sends it and closes within 50 ms, without waiting for the peer's close_notify.
    _load_everything()
    tls = _module("reference.pki.tls")
    original = tls.close_tls

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        original(sock, min(timeout, 0.05))

    _everywhere("reference.pki.tls", "close_tls", close_tls)


def _eror_unicode_message() -> None:
    # ERR-1: `message` is a human-readable string: localised, with non-ASCII characters
    # (an astral one too), quotes and a backslash.
    _patch_errors(lambda message: f"refusé « {message} » — voir le journal \\ 🚫")


def _json_every_style() -> None:
    # RFC 8259 and FRM-10 together: members reversed, undefined members added, every
    # string escaped, white space around the object.
    def dumps(obj: Any) -> bytes:
        styled = {"x_impl": "readings", **dict(reversed(list(obj.items()))), "x_n": [1.5]}
        return b"\r\n  " + _dumps_escaped(styled).encode("ascii") + b" \t\n"

    _patch_dumps(dumps)


class _KeyUpdatingStream:
    """A TLS stream that sends a TLS 1.3 KeyUpdate (RFC 8446 §4.6.3) before each write of
    a control frame or a small DATA frame: the first asks the peer to update too."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._requested = False
        ctypes = _module("ctypes")
        lib = ctypes.CDLL(_module("_ssl").__file__)
        lib.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.SSL_version.argtypes = [ctypes.c_void_p]
        self._lib = lib
        # CPython's PySSLSocket: the object header, a weak reference, then `SSL *`.
        at = id(inner._sslobj) + object.__basicsize__ + ctypes.sizeof(ctypes.c_void_p)
        handle = ctypes.c_void_p.from_address(at).value
        self._ssl = handle if handle and lib.SSL_version(handle) == 0x0304 else None

    def sendall(self, data: Any) -> None:
        if self._ssl is not None and len(data) <= 70000:
            self._lib.SSL_key_update(self._ssl, 0 if self._requested else 1)
            self._requested = True
        self._inner.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _pki_key_update() -> None:
    # PKI-TLS-1: the channel is TLS 1.3 (RFC 8446), whose §4.6.3 lets either side send a
    # KeyUpdate at any time after the handshake.
    _wrap_responder_stream(_KeyUpdatingStream)


def _pki_chain_with_root() -> None:
    # PKI-CERT-10 is on the chain a peer validates (the employee certificate issued
    # directly by the root); RFC 8446 §4.4.2 lets a sender add the root ("a certificate
    # that specifies a trust anchor MAY be omitted"): this responder sends it too.
    _load_everything()
    tls = _module("reference.pki.tls")
    peer = _module("reference.pki.peer")
    tempfile = _module("tempfile")
    original = tls.server_context

    def server_context(identity: Any, *args: Any, **kwargs: Any) -> Any:
        ctx = original(identity, *args, **kwargs)
        folder = tempfile.mkdtemp(prefix="sft-reading-chain-")
        chain = os.path.join(folder, "chain.pem")
        with open(chain, "wb") as out:
            out.write(identity.cert.read_bytes() + identity.root.read_bytes())
        ctx.load_cert_chain(chain, identity.key)
        return ctx

    tls.server_context = server_context
    peer.server_context = server_context


# ---------------------------------------------------------------- the readings

_GET = "test_app_get.py"
_PUT = "test_app_put.py"
_FRAMING = "test_framing.py"
_REFUSALS = "test_app_refusals.py"
_APP_RESPONDER = tuple(
    "APP-1 APP-2 APP-3 APP-BYE-1 APP-BYE-2 APP-GET-2 APP-GET-7 APP-NAME-1 APP-NAME-2 "
    "APP-NAME-3 APP-NAME-7 APP-NAME-8 APP-NAME-9 APP-PUT-1 APP-PUT-2 APP-PUT-3 APP-PUT-4 "
    "APP-PUT-5 APP-PUT-6 APP-PUT-7 APP-PUT-8 ERR-1 ERR-3 ERR-8 FRM-2 FRM-3 FRM-4 FRM-5 FRM-6 "
    "FRM-8 FRM-9 FRM-10 FRM-11 FRM-13 FRM-14 FRM-15 FRM-16".split()
)
_APP_FILES = tuple(
    f"test_{name}.py"
    for name in (
        "app_get app_put app_names app_names_controls app_integrity app_refusals "
        "app_error_frames app_reserved_names app_json_encodings app_put_race_loser "
        "app_schema_refusal_close app_eror_from_initiator framing"
    ).split()
)


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    files: tuple[str, ...],
    text: str,
    apply: Callable[[], None],
) -> Reading:
    return Reading(name, profile, requirements, files, text, apply)


READINGS: tuple[Reading, ...] = (
    _r(
        "srv-ok-pki-json-spaced",
        "pki",
        ("APP-GET-2", "APP-PUT-1", "APP-PUT-5", "APP-BYE-1", "ERR-1", "FRM-8", "FRM-14"),
        (_GET, _PUT, _REFUSALS, _FRAMING),
        "control JSON pretty-printed with white space and a final newline (RFC 8259 §2: "
        "insignificant whitespace is allowed before or after any structural character)",
        _json_spaced,
    ),
    _r(
        "srv-ok-eke-json-spaced",
        "eke",
        ("EKE-HS-2", "EKE-HS-6", "APP-GET-2", "APP-PUT-5", "FRM-14", "EKE-REC-1"),
        ("test_eke_handshake.py", "test_eke_records.py", _GET, _PUT),
        "EKE2/EKE4 and every control frame pretty-printed (RFC 8259 §2 white space)",
        _json_spaced,
    ),
    _r(
        "srv-ok-pki-json-escapes",
        "pki",
        ("APP-GET-2", "APP-GET-7", "APP-PUT-1", "APP-NAME-3", "APP-NAME-8"),
        (_GET, _PUT, "test_app_names.py", "test_app_names_controls.py"),
        "every string escaped: non-ASCII as \\uXXXX (surrogate pairs), '/' as '\\/', some "
        "letters as \\u0061 (RFC 8259 §7: any character may be escaped)",
        _json_escapes,
    ),
    _r(
        "srv-ok-eke-json-reversed-members",
        "eke",
        ("EKE-HS-2", "APP-GET-2", "APP-PUT-1", "APP-PUT-5", "ERR-1", "ERR-7", "EKE-THR-1"),
        ("test_eke_handshake.py", _GET, _PUT, _REFUSALS, "test_eke_throttling.py"),
        "members in reverse order (sha256 before size, message before code; RFC 8259 §4: "
        "an object is an unordered collection)",
        _json_reversed_members,
    ),
    _r(
        "srv-ok-pki-json-extra-members",
        "pki",
        ("APP-GET-2", "APP-PUT-1", "APP-PUT-5", "ERR-1", "APP-BYE-1"),
        (_GET, _PUT, _REFUSALS),
        "every control object carries undefined members (FRM-10: 'A receiver MUST ignore "
        "members of a control object that the schema does not define (extensibility)')",
        _json_extra_members,
    ),
    _r(
        "srv-ok-eke-json-depth-limit",
        "eke",
        ("FRM-9", "FRM-10"),
        (_FRAMING,),
        "JSON nested deeper than 16 levels answered bad_frame (FRM-9: 'a receiver MAY limit "
        "the nesting depth (RFC 8259 §9) and answer a deeper payload bad_frame')",
        _json_depth_limit,
    ),
    _r(
        "srv-ok-pki-surrogate-name-forbidden",
        "pki",
        ("FRM-15", "FRM-9", "APP-NAME-2"),
        (_FRAMING, "test_app_names.py"),
        "a name with a lone surrogate refused forbidden, non-fatal (FRM-15: 'or, for a name, "
        "refuse the name with forbidden ... Both readings are conforming')",
        _surrogate_name_forbidden,
    ),
    _r(
        "srv-ok-pki-eror-generic-message",
        "pki",
        (
            "ERR-1",
            "ERR-2",
            "ERR-3",
            "FRM-2",
            "FRM-3",
            "FRM-5",
            "FRM-6",
            "FRM-9",
            "APP-NAME-2",
            "APP-PUT-3",
            "APP-PUT-7",
        ),
        (_REFUSALS, "test_app_error_frames.py", _FRAMING, "test_app_names.py", _PUT),
        "every EROR message is 'request refused' (ERR-1: 'A receiver MUST act on code only; "
        "name and message are for people')",
        _eror_generic_message,
    ),
    _r(
        "srv-ok-eke-eror-long-message",
        "eke",
        ("ERR-1", "ERR-5", "EKE-HS-8", "EKE-THR-1", "FRM-5", "APP-NAME-2"),
        (
            "test_eke_handshake.py",
            "test_eke_throttling.py",
            _FRAMING,
            "test_app_names.py",
            "test_error_disclosure.py",
        ),
        "every EROR message padded with fixed text to 512 characters (ERR-1: 'message "
        "(human-readable, at most 512 characters)')",
        _eror_long_message,
    ),
    _r(
        "srv-ok-pki-rsfl-sha256",
        "pki",
        ("APP-GET-2", "APP-GET-7"),
        (_GET, "test_app_integrity.py"),
        "a get's RSFL carries sha256 (APP-GET-2: 'RSFL {name, size} (and MAY include sha256)')",
        _rsfl_with_sha256,
    ),
    _r(
        "srv-ok-eke-rsfl-sha256",
        "eke",
        ("APP-GET-2", "APP-GET-7"),
        (_GET, "test_app_integrity.py"),
        "a get's RSFL carries sha256 (APP-GET-2: 'and MAY include sha256')",
        _rsfl_with_sha256,
    ),
    _r(
        "srv-ok-pki-small-data-frames",
        "pki",
        ("APP-GET-2", "FRM-13", "APP-2"),
        (_GET, "test_app_integrity.py"),
        "a get's DATA frames: 48 of one byte, then 65 521 and 1 048 576 bytes in turn "
        "(FRM-13: 'a DATA frame's payload MUST be 1 to 1 048 576 bytes')",
        _pki_small_data_frames,
    ),
    _r(
        "srv-ok-eke-small-data-frames",
        "eke",
        ("APP-GET-2", "FRM-13", "EKE-REC-1", "APP-2"),
        (_GET, "test_app_integrity.py", "test_eke_records.py"),
        "a get's DATA records: 48 of one byte, then 65 521 and 1 048 576 bytes in turn "
        "(FRM-13: 1 to 1 048 576 bytes)",
        _eke_small_data_frames,
    ),
    _r(
        "srv-ok-pki-split-writes",
        "pki",
        ("APP-GET-2", "APP-PUT-1", "APP-PUT-5", "APP-BYE-1", "ERR-1", "APP-2"),
        (_GET, _PUT, _REFUSALS),
        "every frame cut into TLS records of 1, 3, then at most 1000 bytes (PKI-TLS-6: the "
        "application protocol 'runs directly over the TLS stream'; FRM-4)",
        _pki_split_writes,
    ),
    _r(
        "srv-ok-pki-coalesced-writes",
        "pki",
        ("APP-GET-2", "APP-PUT-1", "APP-PUT-5", "APP-BYE-1", "ERR-1", "APP-2"),
        (_GET, _PUT, _REFUSALS),
        "writes gathered until the next read: RSFL, DATA and DONE in one TLS record "
        "(PKI-TLS-6: a TLS stream; FRM-4: 'several frames in one segment')",
        _pki_coalesced_writes,
    ),
    _r(
        "srv-ok-pki-no-bye-echo",
        "pki",
        ("APP-BYE-1", "APP-BYE-2", "PKI-TLS-7", "APP-2"),
        (_GET, _PUT, "test_pki_tls.py"),
        "BYE_ is not echoed: close_notify and the close (§3.2: 'MAY send BYE_, close'; "
        "APP-BYE-1: 'the responder MAY answer BYE_ and MUST then close')",
        _no_bye_echo,
    ),
    _r(
        "srv-ok-eke-no-bye-echo",
        "eke",
        ("APP-BYE-1", "APP-BYE-2", "APP-2"),
        (_GET, _PUT),
        "BYE_ is not echoed, the server closes (APP-BYE-1: 'the responder MAY answer BYE_')",
        _no_bye_echo,
    ),
    _r(
        "srv-ok-pki-name-before-size",
        "pki",
        ("FRM-16", "APP-PUT-7", "APP-PUT-1", "APP-NAME-2", "APP-PUT-3"),
        (_FRAMING, _PUT, "test_app_names.py", "test_error_disclosure.py"),
        "a PUTF's name (forbidden, exists) judged before its size (FRM-16: 'a PUTF whose "
        "name is refused and whose size is too large (forbidden or too_large)')",
        _name_before_size,
    ),
    _r(
        "srv-ok-eke-name-before-size",
        "eke",
        ("FRM-16", "APP-PUT-7", "APP-PUT-1", "APP-NAME-2", "APP-PUT-3"),
        (_FRAMING, _PUT, "test_app_names.py", "test_error_disclosure.py"),
        "a PUTF's name (forbidden, exists) judged before its size (FRM-16)",
        _name_before_size,
    ),
    _r(
        "srv-ok-pki-control-length-first",
        "pki",
        ("FRM-16", "FRM-5", "FRM-8", "FRM-3"),
        (_FRAMING, "test_error_disclosure.py"),
        "an undefined type above 65 536 bytes answered frame_too_large (FRM-16: "
        "'unexpected_frame or frame_too_large')",
        _control_length_before_type,
    ),
    _r(
        "srv-ok-eke-oversize-data-too-large",
        "eke",
        ("FRM-16", "FRM-13", "FRM-3", "APP-PUT-6"),
        (_FRAMING, _PUT, "test_error_disclosure.py"),
        "a DATA frame of 1 048 577 bytes up to the limit answered frame_too_large (FRM-16: "
        "'bad_frame or frame_too_large')",
        _oversize_data_frame_too_large,
    ),
    _r(
        "srv-ok-pki-state-after-payload",
        "pki",
        ("FRM-6", "FRM-16", "APP-1", "APP-3", "FRM-9", "APP-BYE-1"),
        (_FRAMING, _PUT, "test_app_integrity.py", "test_error_disclosure.py"),
        "a control frame is read whole and parsed before the state judges it (FRM-6 has no "
        "'as soon as the header has arrived'; FRM-16: 'unexpected_frame or bad_frame')",
        _state_after_payload,
    ),
    _r(
        "srv-ok-eke-state-after-payload",
        "eke",
        ("FRM-6", "FRM-16", "APP-1", "APP-3", "FRM-9", "APP-BYE-1"),
        (_FRAMING, _PUT, "test_app_integrity.py", "test_eke_records.py"),
        "a control frame is parsed before the state judges it (FRM-16)",
        _state_after_payload,
    ),
    _r(
        "srv-ok-pki-malformed-eror-close",
        "pki",
        ("ERR-8", "ERR-3", "FRM-9"),
        (_FRAMING, "test_app_eror_from_initiator.py"),
        "a malformed EROR closes the connection without an answer (ERR-8: 'MAY answer it "
        "bad_frame (FRM-9) or close without answering — both are conforming')",
        _malformed_eror_silent_close,
    ),
    _r(
        "srv-ok-eke-malformed-eror-close",
        "eke",
        ("ERR-8", "ERR-3", "FRM-9"),
        (_FRAMING, "test_app_eror_from_initiator.py"),
        "a malformed EROR closes the connection without an answer (ERR-8)",
        _malformed_eror_silent_close,
    ),
    _r(
        "srv-ok-pki-partial-get-forbidden",
        "pki",
        ("APP-NAME-9",),
        ("test_app_reserved_names.py",),
        "a get of a .sft-partial- name answered forbidden (APP-NAME-9: 'A get of such a name "
        "MAY be answered forbidden or not_found')",
        _partial_get_forbidden,
    ),
    _r(
        "srv-ok-eke-put-in-progress-exists",
        "eke",
        ("APP-PUT-8", "APP-PUT-3", "APP-PUT-1"),
        (_PUT, "test_app_put_race_loser.py"),
        "a PUTF of a name being put is answered exists (APP-PUT-8: 'a second PUTF of that "
        "name MAY be accepted or answered exists')",
        _put_in_progress_exists,
    ),
    _r(
        "srv-ok-pki-put-in-progress-exists",
        "pki",
        ("APP-PUT-8", "APP-PUT-3", "APP-PUT-1"),
        (_PUT, "test_app_put_race_loser.py"),
        "a PUTF of a name being put is answered exists (APP-PUT-8)",
        _put_in_progress_exists,
    ),
    _r(
        "srv-ok-eke-invalid-user-as-unknown",
        "eke",
        ("EKE-PW-5", "EKE-PW-4", "EKE-HS-3", "EKE-HS-8"),
        ("test_eke_user_names_invalid.py", "test_eke_handshake.py"),
        "an EKE1 with an invalid user name runs as an unknown user (EKE-PW-5: 'MAY be "
        "answered bad_frame (fatal) or handled as an unknown user (EKE-HS-3); both are "
        "conforming')",
        _eke_invalid_user_as_unknown,
    ),
    _r(
        "srv-ok-eke-busy-by-close",
        "eke",
        ("LIM-4", "LIM-8", "LIM-9", "LIM-5"),
        (
            "test_lockout.py",
            "test_limits.py",
            "test_eke_handshake_stalls.py",
        ),
        "connections over LIM-4/LIM-8 are closed without EROR busy (LIM-4: 'refuse new "
        "connections (close, or EROR busy where possible)')",
        _eke_busy_by_close,
    ),
    _r(
        "srv-ok-pki-busy-by-close",
        "pki",
        ("LIM-4", "LIM-8", "LIM-9", "LIM-5"),
        ("test_lockout.py", "test_limits.py"),
        "connections over LIM-4 are closed before TLS, without EROR busy (LIM-4: 'close, or "
        "EROR busy where possible')",
        _pki_busy_by_close,
    ),
    _r(
        "srv-ok-eke-busy-retry-after-3",
        "eke",
        ("EKE-THR-7", "EKE-THR-5", "ERR-7"),
        ("test_eke_throttling.py", "test_eke_second_use.py"),
        "EROR busy carries retry_after 3 (EKE-THR-7: 'retry_after (an integer number of "
        "seconds, at least 1)')",
        _eke_busy_retry_after_longer,
    ),
    _r(
        "srv-ok-eke-slow-put-done",
        "eke",
        ("APP-PUT-5", "APP-PUT-4", "APP-PUT-8"),
        (_PUT,),
        "a put's DONE answered 0.8 s after the initiator's (APP-PUT-5: 'answer DONE only "
        "once the file is durably stored'; no deadline but the idle timeout)",
        _eke_slow_put_done,
    ),
    _r(
        "srv-ok-pki-cert-checked-after-handshake",
        "pki",
        ("PKI-TLS-3", "PKI-TLS-10", "PKI-TLS-7", "PKI-CERT-4"),
        ("test_pki_tls.py", "test_pki_certs.py"),
        "no client certificate: the handshake completes, then EROR auth_failed and the close "
        "(PKI-TLS-3: 'A stack that completes the handshake without a certificate and "
        "refuses then is conforming')",
        _pki_certificate_checked_after_handshake,
    ),
    _r(
        "srv-ok-pki-chacha-only",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-1", "PKI-TLS-2"),
        ("test_pki_hardening.py", "test_pki_tls.py"),
        "the responder's only suite is TLS_CHACHA20_POLY1305_SHA256 (PKI-TLS-9: 'MUST "
        "negotiate only these TLS 1.3 parameters')",
        _pki_chacha_only,
    ),
    _r(
        "srv-ok-pki-groups-hrr",
        "pki",
        ("PKI-TLS-9", "PKI-TLS-1", "PKI-TLS-2"),
        ("test_pki_hardening.py", "test_pki_tls.py"),
        "the responder's groups are P-256 and P-384: an x25519 key share gets a "
        "HelloRetryRequest (PKI-TLS-9: key-exchange groups from its list)",
        _pki_groups_hrr,
    ),
    _r(
        "srv-ok-pki-symlinks-inside-followed",
        "pki",
        ("APP-NAME-4", "APP-NAME-5", "APP-NAME-6", "APP-GET-2"),
        ("test_app_names.py", "test_app_toctou.py", _GET),
        "a symbolic link that stays inside the share is followed (APP-NAME-4: 'MAY be "
        "followed or refused with forbidden ... both are conforming')",
        _follow_symlinks_inside_share,
    ),
    _r(
        "srv-ok-pki-header-length-first",
        "pki",
        ("FRM-2", "FRM-3", "FRM-16"),
        (_FRAMING,),
        "the header's length is checked before its type bytes, over TLS (FRM-16: 'bad_frame "
        "or frame_too_large')",
        _pki_header_length_first,
    ),
    _r(
        "srv-ok-pki-nagle",
        "pki",
        ("APP-GET-2", "APP-PUT-5", "APP-2", "ERR-3", "FRM-4", "FRM-6", "APP-BYE-1"),
        (_GET, _PUT, _FRAMING),
        "Nagle's algorithm left on (no TCP_NODELAY): small frames may wait for a delayed ACK "
        "(no requirement sets a latency)",
        _nagle,
    ),
    _r(
        "srv-ok-eke-nagle",
        "eke",
        ("APP-GET-2", "APP-PUT-5", "APP-2", "ERR-3", "FRM-4", "EKE-HS-2", "EKE-HS-6"),
        (_GET, _PUT, _FRAMING, "test_eke_handshake.py"),
        "Nagle's algorithm left on (no TCP_NODELAY) (no requirement sets a latency)",
        _nagle,
    ),
    _r(
        "srv-ok-eke-slow-eke2",
        "eke",
        ("EKE-HS-2", "EKE-HS-3", "EKE-HS-8", "EKE-THR-1", "EKE-THR-5", "LIM-1"),
        ("test_eke_handshake.py", "test_eke_throttling.py"),
        "every EKE2 leaves 0.15 s later, known user or not (EKE-HS-3: timing must not depend "
        "on the user; LIM-1: 10 s for the whole handshake)",
        _eke_slow_eke2,
    ),
    _r(
        "srv-ok-eke-json-extra-members",
        "eke",
        (
            "EKE-HS-2",
            "EKE-HS-6",
            "EKE-HS-8",
            "EKE-THR-1",
            "ERR-7",
            "FRM-10",
            "FRM-4",
            "APP-PUT-5",
            "APP-GET-2",
            "APP-2",
            "ERR-3",
        ),
        (
            "test_eke_handshake.py",
            "test_eke_throttling.py",
            _FRAMING,
            "test_app_put.py",
            "test_app_integrity.py",
            _GET,
        ),
        "EKE2, EKE4 and every control frame carry undefined members (FRM-10: receivers "
        "ignore them, 'extensibility')",
        _json_extra_members,
    ),
    _r(
        "srv-ok-eke-fatal-graceful-close",
        "eke",
        ("ERR-3", "FRM-5", "FRM-6", "FRM-9", "FRM-13", "APP-PUT-6", "EKE-REC-1"),
        (_FRAMING, "test_app_integrity.py", _PUT, "test_app_schema_refusal_close.py"),
        "after a fatal EROR: FIN at once, then the client's bytes are dropped for at most "
        "1 s before the close (ERR-3: 'The close follows the EROR at once'; MUST NOT "
        "process further frames)",
        _eke_fatal_graceful_close,
    ),
    _r(
        "srv-ok-pki-slow-rsfl",
        "pki",
        ("APP-GET-2", "APP-GET-7", "APP-2", "APP-NAME-3"),
        (_GET, "test_app_names.py"),
        "every get is answered 0.8 s late (APP-GET-2 sets no time; LIM-2's idle timeout is 60 s)",
        _pki_slow_rsfl,
    ),
    _r(
        "srv-ok-eke-timeouts-late",
        "eke",
        ("LIM-1", "LIM-2", "LIM-10", "EKE-HS-11"),
        (
            "test_limits.py",
            "test_limits_responder.py",
            "test_eke_handshake_stalls.py",
        ),
        "the handshake and idle timeouts close 0.5 s after they expire (LIM-1/LIM-2: a "
        "responder MUST close a connection ... not established / that sends nothing for the "
        "timeout; no promptness is set)",
        _timeouts_late,
    ),
    _r(
        "srv-ok-pki-timeouts-late",
        "pki",
        ("LIM-1", "LIM-2", "LIM-10"),
        (
            "test_limits.py",
            "test_limits_responder.py",
        ),
        "the handshake and idle timeouts close 0.5 s after they expire (LIM-1/LIM-2)",
        _timeouts_late,
    ),
    _r(
        "srv-ok-eke-bye-close-at-once",
        "eke",
        ("APP-BYE-1", "APP-BYE-2", "APP-2"),
        (_GET, _PUT, _FRAMING),
        "after its BYE_ echo the server closes at once, no linger for the client's FIN "
        "(APP-BYE-1: 'MAY answer BYE_ and MUST then close')",
        _eke_bye_close_at_once,
    ),
    _r(
        "srv-ok-pki-close-without-waiting",
        "pki",
        ("APP-BYE-1", "PKI-TLS-7", "ERR-3", "FRM-5", "FRM-9", "APP-2"),
        (_GET, _PUT, _FRAMING, "test_pki_tls.py"),
        "close_notify and the close without waiting for the peer's close_notify (PKI-TLS-7: "
        "'MUST send a TLS close_notify before closing the TCP connection')",
        _pki_close_without_waiting,
    ),
    _r(
        "srv-ok-pki-eror-unicode-message",
        "pki",
        ("ERR-1", "ERR-5", "APP-NAME-2", "APP-PUT-3", "FRM-5", "FRM-9"),
        (_REFUSALS, "test_app_names.py", _PUT, _FRAMING, "test_error_disclosure.py"),
        "EROR messages localised with non-ASCII text, an astral character, quotes and a "
        "backslash (ERR-1: message is 'human-readable', a string)",
        _eror_unicode_message,
    ),
    _r(
        "srv-ok-pki-json-every-style",
        "pki",
        _APP_RESPONDER,
        _APP_FILES,
        "every control payload: members reversed, undefined members, every string escaped, "
        "white space around the object (RFC 8259 §2, §4, §7; FRM-10)",
        _json_every_style,
    ),
    _r(
        "srv-ok-eke-json-every-style",
        "eke",
        _APP_RESPONDER,
        _APP_FILES,
        "every control payload: members reversed, undefined members, every string escaped, "
        "white space (RFC 8259 §2, §4, §7; FRM-10)",
        _json_every_style,
    ),
    _r(
        "srv-ok-pki-key-update",
        "pki",
        ("PKI-TLS-1", "PKI-TLS-6", "APP-GET-2", "APP-PUT-1", "APP-PUT-5", "APP-BYE-1", "ERR-1"),
        (_GET, _PUT, _REFUSALS, "test_pki_tls.py"),
        "a TLS KeyUpdate before every small write, the first update_requested (RFC 8446 "
        "§4.6.3; PKI-TLS-1: 'The channel MUST be TLS 1.3 (RFC 8446)')",
        _pki_key_update,
    ),
    _r(
        "srv-ok-pki-chain-with-root",
        "pki",
        ("PKI-TLS-1", "PKI-TLS-4", "PKI-CERT-10", "PKI-CERT-4", "APP-GET-2"),
        ("test_pki_tls.py", "test_pki_certs.py", _GET),
        "the responder's Certificate message carries the root after its own certificate "
        "(RFC 8446 §4.4.2: the trust anchor MAY be omitted, so MAY be sent)",
        _pki_chain_with_root,
    ),
)
