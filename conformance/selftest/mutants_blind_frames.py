"""Blind red-team mutants: frames, errors, limits and ending, on both profiles (brief R5).

Written from docs/SPEC.md §1, §2, §3.2, §3.7, §6 and the reference modules alone, before
reading the conformance cases: each is one realistic implementer's mistake against ONE
MUST, planted in the responder (server) of the profile named.

Blind list (name -> requirement -> the bug):

sft-pki/1
- (dropped) blind-frm-pki-limit-after-type -> FRM-3 -> the frame limit is checked after the
  per-type checks: an undefined type announcing 4 GiB gets `unexpected_frame`, a huge DATA
  header `bad_frame`, never `frame_too_large`.
  DROPPED in phase 2: FRM-16 lets a frame that breaks several rules be answered with
  the code of any of them, and every oversize type breaks another rule too.
- blind-frm-pki-limit-waits-payload -> FRM-3 -> the whole frame is read before its header
  is judged: an oversize header alone gets no answer.
- blind-frm-pki-control-limit-chars -> FRM-8 -> the 64 KiB control limit is counted in
  characters after decoding, not in bytes.
- blind-frm-pki-dup-keys-last-wins -> FRM-9 -> duplicate JSON keys resolved last-wins.
- blind-frm-pki-int-float -> FRM-11 -> `size: 5.0` (an integral float) accepted.
- blind-frm-pki-putf-unknown-member -> FRM-10 -> a PUTF with a member the schema does not
  define is refused `bad_frame` (strict schema on the put path only).
- blind-frm-pki-unknown-type-bad-frame -> FRM-5 -> an undefined, well-formed type is
  answered `bad_frame`, not `unexpected_frame`.
- blind-frm-pki-bye-unparsed -> FRM-9 -> BYE_'s payload is never parsed ("it has no
  content"): `BYE_ "[]"` or garbage is echoed and the connection ended.
- blind-frm-pki-json-trailing -> FRM-9 -> a streaming JSON decoder (raw_decode) ignores
  bytes after the object: `{"name":"x"}garbage` accepted.
- blind-frm-pki-sha256-prefix -> FRM-12 -> `re.match` instead of fullmatch: a sha256 of 65+
  hex characters (or 64 hex + junk) accepted.
- blind-frm-pki-pipelined-dropped -> FRM-4 -> the rest of the read buffer is dropped after
  a control frame: a pipelined second request is lost.
- blind-frm-pki-short-read -> FRM-4 -> a control payload that does not arrive in the same
  read as its header is `bad_frame`.
- blind-frm-err-pki-name-upper -> ERR-1 -> EROR `name` is the enum's name (`NOT_FOUND`), not the
  table's (`not_found`).
- blind-frm-err-pki-fatal-keeps-reading -> ERR-3 -> after a fatal EROR the responder keeps
  reading (and dropping) what the initiator sends until it stops or closes.
- blind-frm-end-pki-bye-keeps-reading -> APP-BYE-1 -> BYE_ is echoed, then the responder waits
  for the initiator to close first (reads until EOF).
- blind-frm-lim-pki-no-idle-during-put -> LIM-2 -> no idle timeout while a put's data arrives.
- blind-frm-lim-pki-handshake-per-read -> LIM-1 -> the TLS handshake timeout is a per-read
  timeout only. First planted by dropping the watchdog: an EQUIVALENT mutant (CPython's
  blocking do_handshake already treats the socket timeout as one deadline), so it was
  rewritten as a non-blocking loop whose every wait gets the whole timeout.
- blind-frm-lim-pki-per-address-off-by-one -> LIM-8 -> `>` instead of `>=`: one address may
  hold max_pending_per_address + 1 handshakes.
- blind-frm-lim-pki-failed-handshake-leak -> LIM-4 -> a connection whose handshake failed
  never gives back its pending slot: after a few failures nobody gets in.
- blind-frm-lim-pki-per-address-held -> LIM-8 -> a connection over the per-address cap gets a
  "polite" TLS handshake + busy, so a silent one is held for the handshake timeout.
- blind-frm-lim-pki-put-at-limit-refused -> APP-PUT-7 -> `>=` instead of `>`: a put of exactly
  the maximum file size is refused `too_large`.

sft-eke/1
- blind-frm-eke-control-limit-inclusive -> FRM-8 -> `>=` instead of `>`: a control
  payload of exactly 65 536 bytes is refused `frame_too_large`.
- blind-frm-eke-empty-payload-object -> FRM-9 -> a zero-length control payload is {}.
- blind-frm-eke-dup-keys-top-level -> FRM-9 -> duplicate keys refused at the top level
  only; `{"name":"x","ext":{"a":1,"a":2}}` accepted.
- blind-frm-eke-nan -> FRM-9 -> NaN / Infinity accepted (parse_constant left default).
- blind-frm-eke-bool-int -> FRM-11 -> `isinstance(v, int)`: `size: true` is 1.
- blind-frm-eke-int-u64 -> FRM-11 -> integers checked against 2^64-1, not 2^63-1.
- blind-frm-eke-sha256-upper -> FRM-12 -> uppercase hex accepted in sha256 members.
- blind-frm-eke-type-case -> FRM-2 -> frame types compared case-insensitively (`rqfl` is
  RQFL).
- blind-frm-eke-type-printable -> FRM-2 -> any printable ASCII type passes the syntax
  check, so `rq l` gets `unexpected_frame`, not `bad_frame`.
- blind-frm-eke-wrong-state-bad-frame -> FRM-6 -> a defined frame in the wrong state is
  `bad_frame`.
- blind-frm-eke-data-idle-integrity -> FRM-6 -> DATA with no transfer in progress is
  `integrity_failed` (the byte count is checked before the state).
- blind-frm-eke-empty-data -> FRM-13 -> an empty DATA frame is accepted (and ignored).
- blind-frm-eke-utf8-replace -> FRM-9 -> invalid UTF-8 decoded with errors="replace".
- blind-frm-err-eke-fatal-keeps-reading -> ERR-3 -> after a fatal EROR the server drains what
  the client still sends before closing.
- blind-frm-end-eke-bye-during-put -> APP-BYE-1 -> BYE_ during a put ends the connection
  (echo) instead of `unexpected_frame`.
- blind-frm-lim-eke-idle-after-first-request -> LIM-2 -> the idle timer is armed only by the
  first request: a client that never asks holds its connection forever.
- blind-frm-lim-eke-idle-no-eror -> LIM-2 -> the idle timeout closes without `EROR timeout`.
- blind-frm-lim-eke-handshake-per-read -> LIM-1 -> the handshake deadline restarts with every
  byte received: a trickling client never times out.
- blind-frm-lim-eke-per-address-port -> LIM-8 -> the per-address cap is keyed on
  address:port, so it never applies.
- blind-frm-lim-eke-established-leak -> LIM-4 -> an established connection's slot is never
  released: after max_connections sessions nobody gets in.

Phase 2 (measured against the suite as it was): 33 of the 41 planted were detected at
once; 8 survived. Two were no bugs (limit-after-type: FRM-16 allows it; the first
handshake-per-read: equivalent, rewritten, then detected by the existing slow-sender
case); the established-slot leak was caught by test_lockout.py once its test_file pointed
there. The other five were real gaps, killed in phase 3 by new cases in
test_framing.py: pki-putf-unknown-member (undefined members in every frame type),
pki-bye-unparsed and eke-empty-payload-object (malformed BYE_ and DONE payloads),
pki-control-limit-chars (65 537 bytes in every encoding), err-eke-fatal-keeps-reading
(the close must follow a fatal EROR while the initiator keeps sending).

Added in phase 3, written after reading the cases, for the same families:
- blind-frm-lim-eke-idle-lost-after-get -> LIM-2 -> the get path drops the socket timeout.
- blind-frm-lim-pki-idle-lost-after-put -> LIM-2 -> settimeout(None) after a stored put.
- blind-frm-eke-done-size-lenient -> FRM-11 -> DONE's size compared as a number.
- blind-frm-pki-done-sha-case -> FRM-12 -> DONE's sha256 stripped and lower-cased.
- blind-frm-eke-record-limit-exclusive -> FRM-3 -> a RECD of exactly the limit refused.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _app() -> Any:
    return _module("reference.app")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _errors() -> Any:
    return _module("reference.errors")


def _protocol_error(code_name: str, message: str) -> Exception:
    errors = _errors()
    exc: Exception = errors.RemoteProtocolError(getattr(errors.ErrorCode, code_name), message)
    return exc


def _replace_loads_control(make: Any) -> None:
    """Installs `make(original)` as the control parser of the application messages."""
    messages = _messages()
    messages.loads_control = make(messages.loads_control)


def _replace_has_kind(check: Any) -> None:
    """`check(value, kind)` returns True/False, or None to defer to the reference."""
    frames = _frames()
    original = frames._has_kind

    def has_kind(value: Any, kind: str) -> bool:
        verdict = check(value, kind)
        return bool(original(value, kind)) if verdict is None else bool(verdict)

    frames._has_kind = has_kind


def _wrap_decode_message(before: Any) -> None:
    """`before(frame)` returns a message to use, or None to decode as the reference does."""
    app = _app()
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = before(frame)
        return original(frame, rsfl_for_put=rsfl_for_put) if message is None else message

    app.decode_message = decode_message


# ---------------------------------------------------------------- frames: sft-pki/1


def _limit_waits_payload() -> None:
    # Read the whole frame (bounded at 2 MiB "for safety"), then parse it.
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "if len(buf) < HEADER_SIZE:",
            "if len(buf) < HEADER_SIZE or len(buf) < HEADER_SIZE + min("
            "int.from_bytes(buf[4:8], 'big'), 2 * 1024 * 1024):",
        ),
    )


def _control_limit_chars() -> None:
    app = _app()
    app.MAX_CONTROL_PAYLOAD = 0xFFFFFFFF  # the header check goes; the parser counts

    def make(original: Any) -> Any:
        def loads_control(payload: Any) -> Any:
            text = bytes(payload).decode("utf-8", "surrogateescape")
            if len(text) > 64 * 1024:
                raise _protocol_error("FRAME_TOO_LARGE", "control payload too large")
            frames = _frames()
            saved = frames.MAX_CONTROL_PAYLOAD
            frames.MAX_CONTROL_PAYLOAD = 0xFFFFFFFF
            try:
                return original(payload)
            finally:
                frames.MAX_CONTROL_PAYLOAD = saved

        return loads_control

    _replace_loads_control(make)


def _dup_keys_last_wins() -> None:
    _frames()._no_duplicates = dict


def _int_float() -> None:
    frames = _frames()

    def check(value: Any, kind: str) -> bool | None:
        if kind == "int" and type(value) is float and value.is_integer():
            return bool(0 <= value <= frames.MAX_INT)
        return None

    _replace_has_kind(check)


def _putf_unknown_member() -> None:
    messages = _messages()
    known = {"name", "size", "sha256"}

    def before(frame: Any) -> Any:
        if frame.type == messages.T_PUTF:
            obj = messages.loads_control(frame.payload)
            extra = set(obj) - known
            if extra:
                raise _protocol_error("BAD_FRAME", f"PUTF: unknown member {sorted(extra)[0]!r}")
        return None

    _wrap_decode_message(before)


def _unknown_type_bad_frame() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        (
            'ErrorCode.UNEXPECTED_FRAME, f"unknown frame type',
            'ErrorCode.BAD_FRAME, f"unknown frame type',
        ),
    )


def _bye_unparsed() -> None:
    messages = _messages()

    def before(frame: Any) -> Any:
        return messages.Bye() if frame.type == messages.T_BYE else None

    _wrap_decode_message(before)


def _json_trailing() -> None:
    def make(original: Any) -> Any:
        def loads_control(payload: Any) -> Any:
            try:
                text = bytes(payload).decode("utf-8")
                _, end = json.JSONDecoder().raw_decode(text)
            except (UnicodeDecodeError, ValueError):
                return original(payload)
            return original(text[:end].encode("utf-8"))

        return loads_control

    _replace_loads_control(make)


def _sha256_prefix() -> None:
    def check(value: Any, kind: str) -> bool | None:
        if kind == "sha256":
            return isinstance(value, str) and re.match(r"[0-9a-f]{64}", value) is not None
        return None

    _replace_has_kind(check)


def _pipelined_dropped() -> None:
    _patch_source(_app().ApplicationConnection, "_next_event", ("del buf[:length]", "del buf[:]"))


def _short_read() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "    if len(buf) < length:\n        return self._starved()",
            "    if len(buf) < length:\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'short frame')",
        ),
    )


def _name_upper() -> None:
    _patch_source(
        _messages(),
        "encode_message",
        ('"name": message.code.wire_name,', '"name": message.code.name,'),
    )


def _drain_until_quiet(recv_into: Any) -> None:
    """Reads and drops until the peer closes or stops sending (each read: idle timeout)."""
    buf = bytearray(65536)
    with contextlib.suppress(Exception):
        for _ in range(100_000):
            if not recv_into(buf):
                return


def _pki_fatal_keeps_reading() -> None:
    channel = _module("reference.transfer")._Channel
    original = channel.fail

    def fail(self: Any, exc: Any) -> None:
        original(self, exc)
        _drain_until_quiet(self.stream.recv_into)  # "let the initiator finish first"

    channel.fail = fail


def _pki_bye_keeps_reading() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "run",
        ("channel.send(Bye())", "channel.send(Bye()); self._drain(1 << 40)"),
    )


def _pki_no_idle_during_put() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        (
            "self.receiving = True",
            "self.receiving = True; _idle = self.channel.stream.gettimeout(); "
            "self.channel.stream.settimeout(None)",
        ),
        (
            "self.receiving = False",
            "self.receiving = False; self.channel.stream.settimeout(_idle)",
        ),
    )


def _pki_handshake_per_read() -> None:
    """A non-blocking handshake loop whose every wait gets the whole timeout.

    (Dropping the watchdog alone is an equivalent mutant: CPython's blocking
    `do_handshake` already treats the socket timeout as one deadline for the call.)
    """
    tls = _module("reference.pki.tls")
    select = _module("select")
    ssl = _module("ssl")

    def server_handshake(context: Any, raw: Any, timeout: float) -> Any:
        raw.settimeout(timeout)
        sock = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        try:
            sock.setblocking(False)
            while True:
                try:
                    sock.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    if not select.select([sock], [], [], timeout)[0]:
                        raise TimeoutError("handshake timeout") from None
                except ssl.SSLWantWriteError:
                    select.select([], [sock], [], timeout)
            sock.settimeout(timeout)
        except BaseException:
            tls._lingering_close(sock)
            raise
        return sock

    tls.server_handshake = server_handshake
    _module("reference.pki.peer").server_handshake = server_handshake


def _per_address_off_by_one() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "if self.pending_from(address) >= self.max_pending_per_address:",
            "if self.pending_from(address) > self.max_pending_per_address:",
        ),
    )


def _failed_handshake_leak() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "release",
        ("if key in self._pending:", "if False:  # mutant: only established ones"),
    )


def _pki_per_address_held() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        ("elif decision.refused is Refusal.PER_ADDRESS:", "elif False:"),
    )


def _pki_put_at_limit_refused() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        (
            "if request.size > self.policy.max_file_size:",
            "if request.size >= self.policy.max_file_size:",
        ),
    )


# ---------------------------------------------------------------- frames: sft-eke/1


def _control_limit_inclusive() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        (
            "length > MAX_CONTROL_PAYLOAD",
            "length >= MAX_CONTROL_PAYLOAD",
        ),
    )


def _empty_payload_object() -> None:
    def make(original: Any) -> Any:
        def loads_control(payload: Any) -> Any:
            return {} if not payload else original(payload)

        return loads_control

    _replace_loads_control(make)


def _dup_keys_top_level() -> None:
    frames = _frames()
    frames._no_duplicates = dict

    def make(original: Any) -> Any:
        def loads_control(payload: Any) -> Any:
            with contextlib.suppress(ValueError):
                pairs = json.loads(bytes(payload).decode("utf-8"), object_pairs_hook=list)
                if isinstance(pairs, list) and all(
                    isinstance(p, tuple) and len(p) == 2 for p in pairs
                ):
                    keys = [p[0] for p in pairs]
                    if len(keys) != len(set(keys)):
                        raise _protocol_error("BAD_FRAME", "duplicate key")
            return original(payload)

        return loads_control

    _replace_loads_control(make)


def _nan() -> None:
    _frames()._reject_constant = float


def _bool_int() -> None:
    frames = _frames()

    def check(value: Any, kind: str) -> bool | None:
        if kind == "int":
            return isinstance(value, int) and bool(0 <= value <= frames.MAX_INT)
        return None

    _replace_has_kind(check)


def _int_u64() -> None:
    def check(value: Any, kind: str) -> bool | None:
        if kind == "int":
            return type(value) is int and 0 <= value <= 2**64 - 1
        return None

    _replace_has_kind(check)


def _sha256_upper() -> None:
    def check(value: Any, kind: str) -> bool | None:
        if kind == "sha256":
            return isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value) is not None
        return None

    _replace_has_kind(check)


def _type_case() -> None:
    frames = _frames()
    records = _module("reference.eke.records")
    frames._TYPE_RE = re.compile(rb"[A-Za-z0-9_]{4}")
    original = records._split_inner

    def split_inner(inner: Any) -> Any:
        frame = original(inner)
        return records.InnerFrame(frame.type.upper(), frame.payload)

    records._split_inner = split_inner


def _type_printable() -> None:
    _frames()._TYPE_RE = re.compile(rb"[\x20-\x7e]{4}")


def _wrong_state_bad_frame() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_lookup",
        ("ErrorCode.UNEXPECTED_FRAME", "ErrorCode.BAD_FRAME"),
    )


def _data_idle_integrity() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "    nxt = self._lookup(frame_type)\n",
            "    if frame_type == T_DATA and self._incoming is None:\n"
            "        raise RemoteProtocolError(ErrorCode.INTEGRITY_FAILED, 'no transfer')\n"
            "    nxt = self._lookup(frame_type)\n",
        ),
    )


def _empty_data() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        ("not 1 <= length <= MAX_DATA_PAYLOAD", "not 0 <= length <= MAX_DATA_PAYLOAD"),
    )


def _utf8_replace() -> None:
    def make(original: Any) -> Any:
        def loads_control(payload: Any) -> Any:
            return original(bytes(payload).decode("utf-8", "replace").encode("utf-8"))

        return loads_control

    _replace_loads_control(make)


def _eke_fatal_keeps_reading() -> None:
    server = _module("reference.eke.server").EkeServer
    original = server._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        _drain_until_quiet(stream.sock.recv_into)

    server._send_fatal = send_fatal


def _eke_bye_during_put() -> None:
    app = _app()
    states = app.ResponderState
    app._TRANSITIONS[(states.RECEIVING, b"BYE_")] = states.BYE_RECEIVED


def _eke_idle_after_first_request() -> None:
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_records",
        (
            "sock.settimeout(self.config.idle_timeout)",
            "sock.settimeout(None)",
        ),
        (
            "            if isinstance(event, FileRequest):",
            "            sock.settimeout(self.config.idle_timeout)\n"
            "            if isinstance(event, FileRequest):",
        ),
    )


def _eke_idle_no_eror() -> None:
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_records",
        ('self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")', "pass"),
    )


def _eke_handshake_per_read() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:",
            "    _window = deadline - time.monotonic()\n    _flush(sock, hs)\n    while True:",
        ),
        (
            "            hs.receive_data(data)\n",
            "            hs.receive_data(data)\n"
            "            deadline = time.monotonic() + _window\n",
        ),
    )
    _module("reference.eke.server").run_handshake = transport.run_handshake


def _eke_per_address_port() -> None:
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_admit",
        (
            "self._admission.admit(conn_id, addr[0])",
            "self._admission.admit(conn_id, f'{addr[0]}:{addr[1]}')",
        ),
    )


def _established_leak() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "release",
        ("self._established.discard(key)", "pass"),
    )


def _eke_idle_lost_after_get() -> None:
    """ "A large file may take long to send": the get path drops the socket timeout and
    nothing sets the idle timeout again, so after any get the connection never times out."""
    server = _module("reference.eke.server").EkeServer
    original = server._serve_get

    def serve_get(self: Any, stream: Any, name: str) -> Any:
        stream.sock.settimeout(None)
        return original(self, stream, name)

    server._serve_get = serve_get


def _pki_idle_lost_after_put() -> None:
    """After a put is stored the socket is put "back to blocking" with settimeout(None)."""
    responder = _module("reference.transfer").Responder
    original = responder._put

    def put(self: Any, request: Any) -> None:
        original(self, request)
        self.channel.stream.settimeout(None)

    responder._put = put


def _done_decoder(normalise: Any) -> None:
    """DONE decoded by its own code path, which `normalise`s the object first."""
    messages = _messages()
    frames = _frames()

    def before(frame: Any) -> Any:
        if frame.type != messages.T_DONE:
            return None
        obj = messages.loads_control(frame.payload)
        normalise(obj)
        frames.check_schema(frame.type, obj, messages._SCHEMAS["DONE"])
        return messages.Done(obj["size"], obj["sha256"])

    _wrap_decode_message(before)


def _eke_done_size_lenient() -> None:
    def normalise(obj: dict[str, Any]) -> None:
        size: Any = obj.get("size")
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            if type(size) is not int and float(size) == int(float(size)):
                obj["size"] = int(float(size))  # "compare sizes as numbers"

    _done_decoder(normalise)


def _pki_done_sha_case() -> None:
    def normalise(obj: dict[str, Any]) -> None:
        sha = obj.get("sha256")
        if isinstance(sha, str):
            obj["sha256"] = sha.strip().lower()  # "hex digests are case-insensitive"

    _done_decoder(normalise)


def _eke_record_limit_exclusive() -> None:
    """The limit read as exclusive: a record of exactly the frame limit is too large."""
    _patch_source(
        _module("reference.eke.records").RecordReader,
        "_parse_header",
        ("self.max_record)", "self.max_record - 1)"),
    )


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"blind-frm-{name.removeprefix('frm-')}",
        group="blind-frames",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


_F = "test_framing.py"
_L = "test_limits.py"
_LO = "test_lockout.py"

MUTANTS: tuple[Mutant, ...] = (
    # sft-pki/1
    _m(
        "frm-pki-limit-waits-payload",
        "pki",
        "FRM-3",
        _F,
        "the whole frame is read before its header is judged",
        _limit_waits_payload,
    ),
    _m(
        "frm-pki-control-limit-chars",
        "pki",
        "FRM-8",
        _F,
        "control limit counted in decoded characters, not bytes",
        _control_limit_chars,
    ),
    _m(
        "frm-pki-dup-keys-last-wins",
        "pki",
        "FRM-9",
        _F,
        "duplicate JSON keys resolved last-wins",
        _dup_keys_last_wins,
    ),
    _m(
        "frm-pki-int-float",
        "pki",
        "FRM-11",
        _F,
        "an integral float (5.0) accepted as an integer",
        _int_float,
    ),
    _m(
        "frm-pki-putf-unknown-member",
        "pki",
        "FRM-10",
        _F,
        "PUTF with an undefined member refused bad_frame",
        _putf_unknown_member,
    ),
    _m(
        "frm-pki-unknown-type-bad-frame",
        "pki",
        "FRM-5",
        _F,
        "undefined well-formed type answered bad_frame",
        _unknown_type_bad_frame,
    ),
    _m("frm-pki-bye-unparsed", "pki", "FRM-9", _F, "BYE_ payload never parsed", _bye_unparsed),
    _m(
        "frm-pki-json-trailing",
        "pki",
        "FRM-9",
        _F,
        "bytes after the JSON object ignored (raw_decode)",
        _json_trailing,
    ),
    _m(
        "frm-pki-sha256-prefix",
        "pki",
        "FRM-12",
        _F,
        "sha256 checked with re.match (a longer value passes)",
        _sha256_prefix,
    ),
    _m(
        "frm-pki-pipelined-dropped",
        "pki",
        "FRM-4",
        _F,
        "bytes after a control frame in the same read dropped",
        _pipelined_dropped,
    ),
    _m(
        "frm-pki-short-read",
        "pki",
        "FRM-4",
        _F,
        "a control payload split from its header is bad_frame",
        _short_read,
    ),
    _m(
        "err-pki-name-upper",
        "pki",
        "ERR-1",
        _F,
        "EROR name is NOT_FOUND (enum name), not not_found",
        _name_upper,
    ),
    _m(
        "err-pki-fatal-keeps-reading",
        "pki",
        "ERR-3",
        _F,
        "after a fatal EROR the responder drains until the peer is quiet",
        _pki_fatal_keeps_reading,
    ),
    _m(
        "end-pki-bye-keeps-reading",
        "pki",
        "APP-BYE-1",
        "test_app_get.py",
        "BYE_ echoed, then the responder waits for the initiator to close",
        _pki_bye_keeps_reading,
    ),
    _m(
        "lim-pki-no-idle-during-put",
        "pki",
        "LIM-2",
        _L,
        "no idle timeout while a put's data arrives",
        _pki_no_idle_during_put,
    ),
    _m(
        "lim-pki-handshake-per-read",
        "pki",
        "LIM-1",
        _L,
        "TLS handshake timeout per read only (no total deadline)",
        _pki_handshake_per_read,
    ),
    _m(
        "lim-pki-per-address-off-by-one",
        "pki",
        "LIM-8",
        _LO,
        "one address may hold one handshake more than the cap",
        _per_address_off_by_one,
    ),
    _m(
        "lim-pki-failed-handshake-leak",
        "pki",
        "LIM-4",
        _L,
        "a failed handshake never releases its pending slot",
        _failed_handshake_leak,
    ),
    _m(
        "lim-pki-per-address-held",
        "pki",
        "LIM-8",
        _LO,
        "over the per-address cap: a TLS handshake + busy instead of a prompt close",
        _pki_per_address_held,
    ),
    _m(
        "lim-pki-put-at-limit-refused",
        "pki",
        "APP-PUT-7",
        "test_app_put.py",
        "a put of exactly the maximum file size refused too_large",
        _pki_put_at_limit_refused,
    ),
    # sft-eke/1
    _m(
        "frm-eke-control-limit-inclusive",
        "eke",
        "FRM-8",
        _F,
        "a control payload of exactly 65536 bytes refused",
        _control_limit_inclusive,
    ),
    _m(
        "frm-eke-empty-payload-object",
        "eke",
        "FRM-9",
        _F,
        "a zero-length control payload is {}",
        _empty_payload_object,
    ),
    _m(
        "frm-eke-dup-keys-top-level",
        "eke",
        "FRM-9",
        _F,
        "duplicate keys refused at the top level only",
        _dup_keys_top_level,
    ),
    _m("frm-eke-nan", "eke", "FRM-9", _F, "NaN / Infinity accepted", _nan),
    _m("frm-eke-bool-int", "eke", "FRM-11", _F, "true accepted as the integer 1", _bool_int),
    _m(
        "frm-eke-int-u64",
        "eke",
        "FRM-11",
        _F,
        "integers checked against 2^64-1, not 2^63-1",
        _int_u64,
    ),
    _m(
        "frm-eke-sha256-upper",
        "eke",
        "FRM-12",
        _F,
        "uppercase hex accepted in sha256 members",
        _sha256_upper,
    ),
    _m(
        "frm-eke-type-case",
        "eke",
        "FRM-2",
        _F,
        "frame types compared case-insensitively",
        _type_case,
    ),
    _m(
        "frm-eke-type-printable",
        "eke",
        "FRM-2",
        _F,
        "any printable ASCII type passes the syntax check",
        _type_printable,
    ),
    _m(
        "frm-eke-wrong-state-bad-frame",
        "eke",
        "FRM-6",
        _F,
        "a defined frame in the wrong state answered bad_frame",
        _wrong_state_bad_frame,
    ),
    _m(
        "frm-eke-data-idle-integrity",
        "eke",
        "FRM-6",
        _F,
        "DATA with no transfer answered integrity_failed",
        _data_idle_integrity,
    ),
    _m("frm-eke-empty-data", "eke", "FRM-13", _F, "an empty DATA frame accepted", _empty_data),
    _m(
        "frm-eke-utf8-replace",
        "eke",
        "FRM-9",
        _F,
        "invalid UTF-8 decoded with errors=replace",
        _utf8_replace,
    ),
    _m(
        "err-eke-fatal-keeps-reading",
        "eke",
        "ERR-3",
        _F,
        "after a fatal EROR the server drains until the peer is quiet",
        _eke_fatal_keeps_reading,
    ),
    _m(
        "end-eke-bye-during-put",
        "eke",
        "APP-BYE-1",
        "test_app_put.py",
        "BYE_ during a put ends the connection with an echo",
        _eke_bye_during_put,
    ),
    _m(
        "lim-eke-idle-after-first-request",
        "eke",
        "LIM-2",
        _L,
        "idle timer armed only by the first request",
        _eke_idle_after_first_request,
    ),
    _m(
        "lim-eke-idle-no-eror",
        "eke",
        "LIM-2",
        _L,
        "idle timeout closes without EROR timeout",
        _eke_idle_no_eror,
    ),
    _m(
        "lim-eke-handshake-per-read",
        "eke",
        "LIM-1",
        _L,
        "handshake deadline restarts with every read",
        _eke_handshake_per_read,
    ),
    _m(
        "lim-eke-per-address-port",
        "eke",
        "LIM-8",
        _LO,
        "per-address cap keyed on address:port",
        _eke_per_address_port,
    ),
    # added in phase 3 (the families the phase-2 survivors pointed at)
    _m(
        "lim-eke-idle-lost-after-get",
        "eke",
        "LIM-2",
        _L,
        "no idle timeout any more once a get was served",
        _eke_idle_lost_after_get,
    ),
    _m(
        "lim-pki-idle-lost-after-put",
        "pki",
        "LIM-2",
        _L,
        "no idle timeout any more once a put was stored",
        _pki_idle_lost_after_put,
    ),
    _m(
        "eke-done-size-lenient",
        "eke",
        "FRM-11",
        _F,
        'DONE\'s size compared as a number (1.0, true, "1" accepted)',
        _eke_done_size_lenient,
    ),
    _m(
        "pki-done-sha-case",
        "pki",
        "FRM-12",
        _F,
        "DONE's sha256 stripped and lower-cased before the comparison",
        _pki_done_sha_case,
    ),
    _m(
        "eke-record-limit-exclusive",
        "eke",
        "FRM-3",
        _F,
        "a RECD of exactly the frame limit refused frame_too_large",
        _eke_record_limit_exclusive,
    ),
    _m(
        "lim-eke-established-leak",
        "eke",
        "LIM-4",
        _LO,
        "an established connection's slot is never released",
        _established_leak,
    ),
)
