"""Blind red-team round 6: the sft-eke/1 SERVER, as an implementer in a hurry gets it wrong.

Written from docs/SPEC.md (§0-§3, §5, §6) and the reference's server code only, before
reading the suite's cases. Each mutant is one plausible mistake breaking one MUST:

EKE2 and the ±X / key schedule (EKE-HS-2, X-1, X-2, X-3, KS-2, HS-10, SEC-1)
- b6eke-hs2-uppercase-hex        EKE2 `b`/`c` in UPPERCASE hex (`.hex().upper()`)
- b6eke-x3-no-pm-recover         X taken as X' (the ±X / Jacobi step forgotten)
- b6eke-x2-sign-zero             the server's sign bit s is always 0 (partition attack)
- b6eke-sec1-debug-y             EKE2 carries the unhidden ±Y "for debugging"
- b6eke-x1-cached-ephemeral      one server exponent y cached for every handshake
- b6eke-hs10-static-ns           Ns drawn once per process (C2 always hides the same Ns)
- b6eke-ks2-short-z              Z = minimal big-endian bytes (long_to_bytes), not 384
- b6eke-ks2-accept-unit          X' = p-1 (and 1) accepted and Z = 1 not refused
User names (EKE-PW-5, HS-3)
- b6eke-pw5-strip-controls       the account lookup strips a trailing CR/LF/NUL
- b6eke-pw5-forbidden            an invalid name answered `forbidden` (wrong code)
- b6eke-hs3-64-byte-refused      a valid 64-byte name refused `bad_frame` (off by one)
Handshake timeout (EKE-HS-11, LIM-1)
- b6eke-hs11-silent-timeout      the deadline closes without `EROR timeout`
- b6eke-hs11-auth-code           a timeout after EKE2 answered `auth_failed`
- b6eke-lim1-inactivity          the deadline restarts whenever bytes arrive (LIM-1)
Throttling (EKE-THR-1/4/5/6/7/9/10/11, HS-9, ERR-7, ERR-3, HS-6)
- b6eke-thr4-no-reset            a success does not reset the user's count
- b6eke-thr4-memory-only         a success resets memory only: a restart restores it
- b6eke-thr6-success-clears-addr a success also washes the address's count
- b6eke-thr1-late                throttled only after N+1 failures (off by one)
- b6eke-thr7-early               throttled after N-1 failures (off by one)
- b6eke-thr9-evict-locked        a full table evicts its oldest entry, locked or not
- b6eke-thr10-per-address-v6     IPv6 counted per /128 (not observable on IPv4 loopback:
  written, not registered; loopback has one IPv6 address, ::1)
- b6eke-thr11-lock-not-reloaded  hard locks dropped when the table is reloaded
- b6eke-thr5-abandon-free        only a bad EKE3 counts; close/timeout after EKE2 is free
- b6eke-hs9-eke1-restart         a second EKE1 after EKE2 restarts the handshake (free guesses)
- b6eke-thr5-interleaved         of a user's parallel pending handshakes only the last counts
- b6eke-thr7-pending-leak        a failed handshake never releases its pending slot
- b6eke-hs6-recheck-throttle     a valid EKE3 refused because the user got locked meanwhile
- b6eke-err7-float-retry         `retry_after` a float (2.73)
- b6eke-err7-missing-on-lock     no `retry_after` once hard-locked ("forever")
- b6eke-thr1-busy-code           throttling answered with code 9 `busy`
- b6eke-err3-throttled-lingers   after `throttled` the server waits for the client to close
Records (EKE-REC-3, REC-4, REC-6)
- b6eke-rec3-ad-type-only        the record AD is "RECD" without the length
- b6eke-rec6-slack               the record limit is the frame limit + 24 (tag/header slack)
- b6eke-rec6-bad-frame-code      an oversize RECD answered `bad_frame`
- b6eke-rec4-clear-eror          a forged record answered with a clear `EROR auth_failed`
Application (APP-1, APP-BYE-1, ERR-3)
- b6eke-app1-done-ignored        a DONE in IDLE silently dropped
- b6eke-app1-rsfl-bad-frame      an RSFL in IDLE answered `bad_frame`
- b6eke-bye1-bye-in-put          BYE_ during a put's DATA accepted (echo, close; APP-BYE-1)
- b6eke-err3-after-refused-put   after a refused PUTF the next request is `unexpected_frame`
Connections (LIM-5, LIM-10)
- b6eke-lim5-inline-peek         the acceptor peeks the first bytes before spawning a thread
- b6eke-lim5-slot-leak           a failed handshake's admission slot is never released
- b6eke-lim10-no-send-timeout    a get's writes block forever on a peer that stops reading
Written AFTER the blind measure, to check that the phase-2 cases catch the class (not
counted in the blind figure)
- b6eke-sec1-eke4-debug-key      EKE4 carries the server's record key (base64)
- b6eke-pw5-auth-failed-at-eke1  an invalid user name answered `auth_failed` at once
- b6eke-hs6-pending-cut-on-lock  a locked user's pending handshake fails at a valid EKE3
- b6eke-lim5-serialised-handshakes one lock around every handshake
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import math
import socket
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module

_GROUP = "blind6-eke"
_local = threading.local()


def _hs() -> Any:
    return _module("reference.eke.handshake")


def _cr() -> Any:
    return _module("reference.eke.crypto")


def _srv() -> Any:
    return _module("reference.eke.server")


def _thr() -> Any:
    return _module("reference.eke.throttle")


def _err() -> Any:
    return _module("reference.errors")


def _app() -> Any:
    return _module("reference.app")


# --- EKE2, ±X, key schedule -----------------------------------------------------------


def _hs2_uppercase_hex() -> None:
    hs = _hs()
    original = hs._control

    def control(frame_type: bytes, obj: dict[str, Any]) -> bytes:
        if frame_type == hs.T_EKE2:
            obj = {key: value.upper() for key, value in obj.items()}
        result: bytes = original(frame_type, obj)
        return result

    hs._control = control


def _hs2_no_pm_recover() -> None:
    cr = _cr()

    def pm_decode(encoded: bytes) -> int:
        if len(encoded) != cr.ELEMENT_LEN:
            raise _err().AuthenticationFailed()
        value = int.from_bytes(encoded, "big")
        if value in (0, 1, cr.P - 1) or value >= cr.P:
            raise _err().AuthenticationFailed()
        return value  # the residue choice of EKE-X-3 forgotten

    cr.pm_decode = pm_decode


def _x2_sign_zero() -> None:
    cr = _cr()

    def hide_element(pw: bytes, element: int) -> bytes:
        result: bytes = cr._hide_element_from_parts(pw, element, sign_bit=0)
        return result

    cr.hide_element = hide_element


def _sec1_debug_y() -> None:
    hs, cr = _hs(), _cr()
    original = hs.ServerHandshake.accept

    def accept(self: Any, pw: bytes) -> None:
        original(self, pw)
        out = bytes(self._outbox)
        obj = json.loads(out[8:])
        # "Y is public anyway": the unhidden ±Y lets an eavesdropper test E_guess(Y) == B.
        obj["y_pub"] = cr.feistel_decrypt(pw, bytes.fromhex(obj["b"])).hex()
        self._outbox = bytearray(hs._control(hs.T_EKE2, obj))

    hs.ServerHandshake.accept = accept


def _x1_cached_ephemeral() -> None:
    cr = _cr()
    cr.new_ephemeral = functools.lru_cache(maxsize=1)(cr.new_ephemeral)


def _hs10_static_ns() -> None:
    cr = _cr()
    cr.new_nonce = functools.lru_cache(maxsize=1)(cr.new_nonce)


def _ks2_short_z() -> None:
    cr = _cr()
    original = cr.shared_secret

    def shared_secret(ours: Any, peer_element: int) -> bytes:
        z: bytes = original(ours, peer_element)
        return z.lstrip(b"\x00")  # long_to_bytes: no leading zero bytes

    cr.shared_secret = shared_secret


def _ks2_accept_unit() -> None:
    cr = _cr()

    def pm_decode(encoded: bytes) -> int:
        if len(encoded) != cr.ELEMENT_LEN:
            raise _err().AuthenticationFailed()
        value = int.from_bytes(encoded, "big")
        residue = cr._is_residue_blinded(value)
        if value == 0 or value >= cr.P:
            raise _err().AuthenticationFailed()
        return value if residue else cr.P - value

    def shared_secret(ours: Any, peer_element: int) -> bytes:
        z = pow(peer_element, ours.exponent, cr.P)
        return int(z).to_bytes(cr.ELEMENT_LEN, "big")

    cr.pm_decode = pm_decode
    cr.shared_secret = shared_secret


# --- user names -----------------------------------------------------------------------------


def _pw5_strip_controls() -> None:
    hs, cr = _hs(), _cr()

    def on_eke1(self: Any, obj: dict[str, Any]) -> Any:
        user = obj["user"]
        looked_up = user.rstrip("\r\n\x00")  # a C-string / readline habit
        try:
            cr.check_user_name(looked_up)
        except ValueError as exc:
            raise _err().RemoteProtocolError(_err().ErrorCode.BAD_FRAME, f"EKE1: {exc}") from None
        self.user = user  # the transcript keeps the wire name
        self._a = bytes.fromhex(obj["a"])
        return hs.LoginAttempt(looked_up)

    hs.ServerHandshake._on_eke1 = on_eke1


def _pw5_forbidden() -> None:
    hs, cr = _hs(), _cr()

    def on_eke1(self: Any, obj: dict[str, Any]) -> Any:
        user = obj["user"]
        try:
            cr.check_user_name(user)
        except ValueError as exc:
            raise _err().RemoteProtocolError(_err().ErrorCode.FORBIDDEN, f"EKE1: {exc}") from None
        self.user = user
        self._a = bytes.fromhex(obj["a"])
        return hs.LoginAttempt(user)

    hs.ServerHandshake._on_eke1 = on_eke1


def _pw1_64_refused() -> None:
    cr = _cr()
    original = cr.check_user_name

    def check_user_name(user: str) -> bytes:
        raw: bytes = original(user)
        if len(raw) >= cr.MAX_USER_BYTES:
            raise ValueError(f"user name must be under {cr.MAX_USER_BYTES} bytes")
        return raw

    cr.check_user_name = check_user_name


# --- handshake timeout --------------------------------------------------------------------


def _hs11_silent_timeout() -> None:
    hs, err = _hs(), _err()

    def fail_timeout(self: Any) -> None:
        self._failure = err.RemoteProtocolError(err.ErrorCode.TIMEOUT, "handshake timeout")
        self.state = hs.HandshakeState.CLOSED

    hs.ServerHandshake.fail_timeout = fail_timeout


def _hs11_auth_code() -> None:
    hs, err = _hs(), _err()

    def fail_timeout(self: Any) -> None:
        code = (
            err.ErrorCode.AUTH_FAILED
            if self.state is hs.HandshakeState.SERVER_AWAIT_EKE3
            else err.ErrorCode.TIMEOUT
        )
        self._fail(err.RemoteProtocolError(code, "handshake timeout"))

    hs.ServerHandshake.fail_timeout = fail_timeout


def _hs11_inactivity() -> None:
    srv = _srv()
    transport = _module("reference.eke.transport")
    frames = _module("reference.frames")
    err = _err()

    def run_handshake(sock: Any, hs: Any, deadline: float, on_event: Any) -> Any:
        timeout = deadline - time.monotonic()
        transport._flush(sock, hs)
        while True:
            try:
                event = hs.next_event()
            except err.RemoteProtocolError:
                transport._flush(sock, hs)
                raise
            if event is frames.NEED_DATA:
                transport._flush(sock, hs)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    hs.fail_timeout()
                    transport._flush(sock, hs)
                    raise transport.HandshakeTimeout()
                sock.settimeout(remaining)
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    hs.fail_timeout()
                    transport._flush(sock, hs)
                    raise transport.HandshakeTimeout() from None
                hs.receive_data(data)
                deadline = time.monotonic() + timeout  # an inactivity timer, not a deadline
                continue
            if isinstance(event, _hs().Established):
                transport._flush(sock, hs)
                return event
            on_event(event)
            transport._flush(sock, hs)

    srv.run_handshake = run_handshake


# --- throttling -------------------------------------------------------------------------


def _thr4_no_reset() -> None:
    def succeeded(self: Any, user: str, address: str) -> None:
        del user, address

    _thr().Throttle.succeeded = succeeded


def _thr4_memory_only() -> None:
    def succeeded(self: Any, user: str, address: str) -> None:
        del address
        with self._lock:
            self._entries.table("user").pop(user, None)  # the database row stays

    _thr().Throttle.succeeded = succeeded


def _thr6_success_clears_addr() -> None:
    thr = _thr()

    def succeeded(self: Any, user: str, address: str) -> None:
        with self._lock:
            self._entries.pop(("user", user), None)
            self._entries.pop(("addr", thr.address_key(address)), None)

    thr.Throttle.succeeded = succeeded


def _wait_with_threshold(offset: int) -> None:
    thr = _thr()

    def wait(self: Any, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        cfg = self.config
        threshold = cfg.failures + offset
        if entry is None or entry.failures < threshold:
            return 0.0
        if self._hard_locked(key, entry):
            return float(math.ceil(cfg.cap))
        extra = min(max(entry.failures - threshold, 0), 64)
        lockout = max(1, math.ceil(min(cfg.cap, cfg.base * 2.0**extra)))
        result: float = entry.last + lockout - now
        return result

    thr.Throttle._wait = wait


def _thr1_late() -> None:
    _wait_with_threshold(+1)


def _thr7_early() -> None:
    _wait_with_threshold(-1)


def _thr9_evict_locked() -> None:
    thr = _thr()

    def trim(self: Any, now: float) -> None:
        for kind in thr._KINDS:
            table = self._entries.table(kind)
            excess = len(table) - self.config.max_entries
            for key in list(table)[: max(excess, 0)]:  # oldest first, lock or no lock
                del self._entries[(kind, key)]

    thr.Throttle._trim = trim


def _thr10_per_address_v6() -> None:
    _thr().address_key = lambda address: address.split("%", 1)[0]


def _thr11_lock_not_reloaded() -> None:
    thr = _thr()
    original = thr.Throttle.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        table = self._entries.table("user")
        for key in [k for k, e in table.items() if e.failures >= self.config.lock_after]:
            del table[key]  # "stale": a lock from an earlier run

    thr.Throttle.__init__ = init


def _track_handshake_exception() -> None:
    srv = _srv()
    original = srv.run_handshake

    def run_handshake(*args: Any, **kwargs: Any) -> Any:
        _local.exc = None
        try:
            return original(*args, **kwargs)
        except BaseException as exc:
            _local.exc = exc
            raise

    srv.run_handshake = run_handshake


def _sec3_abandon_free() -> None:
    _track_handshake_exception()
    thr = _thr()
    original = thr.Throttle.failed

    def failed(self: Any, user: str, address: str) -> None:
        if isinstance(getattr(_local, "exc", None), _err().AuthenticationFailed):
            original(self, user, address)  # only a bad EKE3 is "a failed login"

    thr.Throttle.failed = failed


def _sec3_eke1_restart() -> None:
    hs = _hs()
    state = hs.HandshakeState
    hs._TRANSITIONS[(state.SERVER_AWAIT_EKE3, hs.T_EKE1)] = ("_on_eke1", state.SERVER_AWAIT_KEY)


def _thr5_interleaved() -> None:
    thr = _thr()
    original = thr.Throttle.failed

    def failed(self: Any, user: str, address: str) -> None:
        with self._lock:
            others = self._pending.get(("user", user), 0) > 1
        if not others:  # counted once the user's last pending handshake ends
            original(self, user, address)

    thr.Throttle.failed = failed


def _thr7_pending_leak() -> None:
    thr = _thr()
    failed, end = thr.Throttle.failed, thr.Throttle.end

    def failed_(self: Any, user: str, address: str) -> None:
        _local.failed = True
        failed(self, user, address)

    def end_(self: Any, user: str, address: str) -> None:
        if not getattr(_local, "failed", False):
            end(self, user, address)

    thr.Throttle.failed, thr.Throttle.end = failed_, end_


def _hs6_recheck_throttle() -> None:
    srv, hs, err = _srv(), _hs(), _err()
    handshake, verify = srv.EkeServer._handshake, hs.ServerHandshake._on_eke3

    def handshake_(self: Any, sock: Any, address: str) -> Any:
        _local.address, _local.throttle = address, self.throttle
        return handshake(self, sock, address)

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        throttle = getattr(_local, "throttle", None)
        if throttle is not None and throttle.retry_after(self.user, _local.address) is not None:
            raise err.RemoteProtocolError(err.ErrorCode.THROTTLED, "throttled")
        return verify(self, obj)

    srv.EkeServer._handshake = handshake_
    hs.ServerHandshake._on_eke3 = on_eke3


def _refuse_throttled(encode: Any) -> None:
    hs, err = _hs(), _err()

    def refuse_throttled(self: Any, retry_after: float) -> None:
        self._outbox += encode(hs, err, retry_after)
        self._failure = err.RemoteProtocolError(err.ErrorCode.THROTTLED, "throttled")
        self.state = hs.HandshakeState.CLOSED

    hs.ServerHandshake.refuse_throttled = refuse_throttled


def _err7_float_retry() -> None:
    _refuse_throttled(
        lambda hs, err, wait: hs.encode_error(
            err.ErrorCode.THROTTLED, "too many failed logins", round(max(wait, 1.0), 2) + 0.01
        )
    )


def _err7_missing_on_lock() -> None:
    thr = _thr()
    original = thr.Throttle._wait

    def wait(self: Any, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        if entry is not None and self._hard_locked(key, entry):
            return math.inf
        result: float = original(self, key, now)
        return result

    thr.Throttle._wait = wait

    def encode(hs: Any, err: Any, wait: float) -> bytes:
        if math.isinf(wait):  # locked for good: no retry to announce
            result: bytes = hs.encode_error(err.ErrorCode.THROTTLED, "locked")
            return result
        return bytes(hs.encode_error(err.ErrorCode.THROTTLED, "throttled", math.ceil(wait)))

    _refuse_throttled(encode)


def _thr1_busy_code() -> None:
    _refuse_throttled(
        lambda hs, err, wait: hs.encode_error(
            err.ErrorCode.BUSY, "too many failed logins", max(1, math.ceil(wait))
        )
    )


def _err3_throttled_lingers() -> None:
    srv, err = _srv(), _err()
    original = srv.run_handshake

    def run_handshake(sock: Any, hs: Any, deadline: float, on_event: Any) -> Any:
        try:
            return original(sock, hs, deadline, on_event)
        except err.RemoteProtocolError as exc:
            if exc.code is err.ErrorCode.THROTTLED:
                # "Let the client read the EROR": wait for its close, up to 5 s.
                end = time.monotonic() + 5.0
                with contextlib.suppress(OSError):
                    while (left := end - time.monotonic()) > 0:
                        sock.settimeout(left)
                        if not sock.recv(4096):
                            break
            raise

    srv.run_handshake = run_handshake


# --- records ----------------------------------------------------------------------------


def _rec3_ad_type_only() -> None:
    cr, err = _cr(), _err()

    def seal(self: Any, inner: Any) -> memoryview:
        if not self._within_usage_limit(len(inner)):
            raise err.LocalProtocolError(err.ErrorCode.INTERNAL, "usage limit")
        sealed_len = len(inner) + cr.TAG_LEN
        header = cr._HEADER.pack(cr._RECORD_TYPE, sealed_len)
        self._record[: cr.RECORD_HEADER_LEN] = header
        out = memoryview(self._record)[cr.RECORD_HEADER_LEN : cr.RECORD_HEADER_LEN + sealed_len]
        self._aead.encrypt_into(self._next_nonce(), inner, cr._RECORD_TYPE, out)
        return memoryview(self._record)[: cr.RECORD_HEADER_LEN + sealed_len]

    cr.RecordSealer._seal = seal


def _rec6_slack() -> None:
    records = _module("reference.eke.records")
    original = records.RecordReader.__init__

    def init(self: Any, opener: Any, max_record: int = 1_048_832) -> None:
        original(self, opener, max_record + 24)  # "room for the header and the tag"

    records.RecordReader.__init__ = init


def _rec6_bad_frame_code() -> None:
    records, err = _module("reference.eke.records"), _err()
    original = records.RecordReader._parse_header

    def parse_header(self: Any) -> None:
        try:
            original(self)
        except err.RemoteProtocolError as exc:
            if exc.code is not err.ErrorCode.FRAME_TOO_LARGE:
                raise
            self._failed = err.RemoteProtocolError(err.ErrorCode.BAD_FRAME, "bad record")
            raise self._failed.detached() from None

    records.RecordReader._parse_header = parse_header


def _rec4_clear_eror() -> None:
    transport, hs, err = _module("reference.eke.transport"), _hs(), _err()
    original = transport.SecureStream.next_event

    def next_event(self: Any) -> Any:
        try:
            return original(self)
        except err.AuthenticationFailed:
            with contextlib.suppress(OSError):
                self.sock.sendall(
                    hs.encode_error(err.ErrorCode.AUTH_FAILED, "authentication failed")
                )
            raise

    transport.SecureStream.next_event = next_event


# --- application states -----------------------------------------------------------------------


def _patch_lookup(table: dict[tuple[Any, bytes], Any]) -> None:
    app = _app()
    original = app.ApplicationConnection._lookup

    def lookup(self: Any, frame_type: bytes) -> Any:
        if self.role is app.RESPONDER and (self.state, frame_type) in table:
            outcome = table[(self.state, frame_type)]
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        return original(self, frame_type)

    app.ApplicationConnection._lookup = lookup


def _app1_done_ignored() -> None:
    app = _app()
    responder = app.ResponderState
    _patch_lookup({(responder.IDLE, app.T_DONE): responder.IDLE})
    original = app.ApplicationConnection._on_control

    def on_control(self: Any, frame: Any) -> Any:
        if self.role is app.RESPONDER and self.state is responder.IDLE and frame.type == app.T_DONE:
            return self._next_event()  # nothing to acknowledge: drop it
        return original(self, frame)

    app.ApplicationConnection._on_control = on_control


def _app1_rsfl_bad_frame() -> None:
    app, err = _app(), _err()
    error = err.RemoteProtocolError(err.ErrorCode.BAD_FRAME, "RSFL: not a request")
    _patch_lookup({(app.ResponderState.IDLE, app.T_RSFL): error})


def _app3_bye_in_put() -> None:
    app = _app()
    responder = app.ResponderState
    _patch_lookup({(responder.RECEIVING, app.T_BYE): responder.BYE_RECEIVED})


def _err3_after_refused_put() -> None:
    app = _app()
    responder = app.ResponderState
    app._SEND_TRANSITIONS[(responder.PUT_REQUESTED, _module("reference.messages").ErrorFrame)] = (
        responder.RECEIVING
    )


# --- connections ------------------------------------------------------------------------


def _lim5_inline_peek() -> None:
    srv = _srv()
    original = srv.EkeServer._admit

    def admit(self: Any, sock: socket.socket, addr: tuple[str, int]) -> None:
        # "Peek at the first bytes to log what connects": in the accept loop.
        with contextlib.suppress(OSError):
            sock.settimeout(self.config.handshake_timeout)
            sock.recv(8, socket.MSG_PEEK)
        original(self, sock, addr)

    srv.EkeServer._admit = admit


def _lim5_slot_leak() -> None:
    admission = _module("reference.admission")
    original = admission.Admission.release

    def release(self: Any, key: int) -> None:
        if key in self._pending:
            return  # only established connections were thought to hold a slot
        original(self, key)

    admission.Admission.release = release


def _lim10_no_send_timeout() -> None:
    transport = _module("reference.eke.transport")
    original = transport.SecureStream.send_file_chunk

    def send_file_chunk(self: Any, file: Any, limit: int) -> int:
        previous = self.sock.gettimeout()
        self.sock.settimeout(None)  # "a get must not fail half-way on a slow link"
        try:
            result: int = original(self, file, limit)
        finally:
            self.sock.settimeout(previous)
        return result

    transport.SecureStream.send_file_chunk = send_file_chunk


# --- written after the blind measure: variants of the survivors' classes ----------------


def _sec1_eke4_debug_key() -> None:
    hs = _hs()
    original = hs.ServerHandshake._on_eke3

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        event = original(self, obj)
        out = bytes(self._outbox)
        message = json.loads(out[8:])
        message["session"] = base64.b64encode(self._keys.key_s2c).decode()  # "for the logs"
        self._outbox = bytearray(hs._control(hs.T_EKE4, message))
        return event

    hs.ServerHandshake._on_eke3 = on_eke3


def _pw5_auth_failed_at_eke1() -> None:
    hs, cr, err = _hs(), _cr(), _err()

    def on_eke1(self: Any, obj: dict[str, Any]) -> Any:
        user = obj["user"]
        try:
            cr.check_user_name(user)
        except ValueError:
            raise err.AuthenticationFailed() from None  # "no such user"
        self.user = user
        self._a = bytes.fromhex(obj["a"])
        return hs.LoginAttempt(user)

    hs.ServerHandshake._on_eke1 = on_eke1


def _hs6_pending_cut_on_lock() -> None:
    srv, hs, err = _srv(), _hs(), _err()
    handshake, verify = srv.EkeServer._handshake, hs.ServerHandshake._on_eke3

    def handshake_(self: Any, sock: Any, address: str) -> Any:
        _local.throttle = self.throttle
        return handshake(self, sock, address)

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        throttle = getattr(_local, "throttle", None)
        # "A locked account logs in no more": its pending handshakes fail as well.
        if throttle is not None and throttle.failures(user=self.user) >= throttle.config.failures:
            raise err.AuthenticationFailed()  # "locked"
        return verify(self, obj)

    srv.EkeServer._handshake = handshake_
    hs.ServerHandshake._on_eke3 = on_eke3


def _lim5_serialised_handshakes() -> None:
    srv = _srv()
    original = srv.EkeServer._handshake
    lock = threading.Lock()  # "the store and the throttle are shared": one at a time

    def handshake(self: Any, sock: Any, address: str) -> Any:
        with lock:
            return original(self, sock, address)

    srv.EkeServer._handshake = handshake


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b6eke-{name}",
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


_HS = "test_eke_handshake.py"
_THR = "test_eke_throttling.py"
_REC = "test_eke_records.py"

MUTANTS: tuple[Mutant, ...] = (
    _m("hs2-uppercase-hex", "EKE-HS-2", _HS, "EKE2 hex members in uppercase", _hs2_uppercase_hex),
    _m(
        "x3-no-pm-recover",
        "EKE-X-3",
        _HS,
        "X taken as X' (no residue choice): fails when the client's sign bit is 1",
        _hs2_no_pm_recover,
    ),
    _m(
        "x2-sign-zero",
        "EKE-X-2",
        _HS,
        "server sign bit always 0: B decrypts to a residue",
        _x2_sign_zero,
    ),
    _m("sec1-debug-y", "EKE-SEC-1", _HS, "EKE2 carries the unhidden ±Y (y_pub)", _sec1_debug_y),
    _m(
        "x1-cached-ephemeral",
        "EKE-X-1",
        _HS,
        "one server exponent for every handshake",
        _x1_cached_ephemeral,
    ),
    _m("hs10-static-ns", "EKE-HS-10", _HS, "Ns drawn once per process", _hs10_static_ns),
    _m(
        "ks2-short-z",
        "EKE-KS-2",
        "test_eke_shared_secret.py",
        "Z without leading zero bytes (long_to_bytes)",
        _ks2_short_z,
    ),
    _m(
        "ks2-accept-unit",
        "EKE-KS-2",
        _HS,
        "X' = p-1 or 1 accepted, Z = 1 not refused",
        _ks2_accept_unit,
    ),
    _m(
        "pw5-strip-controls",
        "EKE-PW-5",
        "test_eke_user_names_invalid.py",
        "account lookup strips a trailing CR/LF/NUL of the user name",
        _pw5_strip_controls,
    ),
    _m(
        "pw5-forbidden",
        "EKE-PW-5",
        "test_eke_user_names_invalid.py",
        "an invalid user name answered forbidden",
        _pw5_forbidden,
    ),
    _m(
        "hs3-64-byte-refused",
        "EKE-HS-3",
        _HS,
        "a valid 64-byte user name refused bad_frame",
        _pw1_64_refused,
    ),
    _m(
        "hs11-silent-timeout",
        "EKE-HS-11",
        _HS,
        "handshake timeout closes without EROR timeout",
        _hs11_silent_timeout,
    ),
    _m(
        "hs11-auth-code",
        "EKE-HS-11",
        _HS,
        "a timeout after EKE2 answered auth_failed",
        _hs11_auth_code,
    ),
    _m(
        "lim1-inactivity",
        "LIM-1",
        _HS,
        "the handshake deadline restarts whenever bytes arrive",
        _hs11_inactivity,
    ),
    _m(
        "thr4-no-reset",
        "EKE-THR-4",
        _THR,
        "a success does not reset the user's count",
        _thr4_no_reset,
    ),
    _m(
        "thr4-memory-only",
        "EKE-THR-4",
        "test_eke_restart.py",
        "a success resets the in-memory count only; a restart restores it",
        _thr4_memory_only,
    ),
    _m(
        "thr6-success-clears-addr",
        "EKE-THR-6",
        _THR,
        "a success resets the address count too",
        _thr6_success_clears_addr,
    ),
    _m("thr1-late", "EKE-THR-1", _THR, "throttled only after N+1 failures", _thr1_late),
    _m("thr7-early", "EKE-THR-7", _THR, "throttled after N-1 failures", _thr7_early),
    _m(
        "thr9-evict-locked",
        "EKE-THR-9",
        "test_eke_tables.py",
        "a full table evicts its oldest entry even while locked",
        _thr9_evict_locked,
    ),
    _m(
        "thr11-lock-not-reloaded",
        "EKE-THR-11",
        "test_eke_restart.py",
        "hard locks dropped when the failure table is reloaded",
        _thr11_lock_not_reloaded,
    ),
    _m(
        "thr5-abandon-free",
        "EKE-THR-5",
        _THR,
        "only a bad EKE3 counts: closing after EKE2 is a free guess",
        _sec3_abandon_free,
    ),
    _m(
        "hs9-eke1-restart",
        "EKE-HS-9",
        _HS,
        "a second EKE1 after EKE2 restarts the handshake (one count, many guesses)",
        _sec3_eke1_restart,
    ),
    _m(
        "thr5-interleaved",
        "EKE-THR-5",
        _THR,
        "of a user's parallel pending handshakes only the last failure counts",
        _thr5_interleaved,
    ),
    _m(
        "thr7-pending-leak",
        "EKE-THR-7",
        _THR,
        "a failed handshake never releases its pending slot",
        _thr7_pending_leak,
    ),
    _m(
        "hs6-recheck-throttle",
        "EKE-HS-6",
        _THR,
        "a valid EKE3 refused throttled: the user got locked while it was pending",
        _hs6_recheck_throttle,
    ),
    _m("err7-float-retry", "ERR-7", _THR, "retry_after sent as a float", _err7_float_retry),
    _m(
        "err7-missing-on-lock",
        "ERR-7",
        _THR,
        "no retry_after once hard-locked",
        _err7_missing_on_lock,
    ),
    _m("thr1-busy-code", "EKE-THR-1", _THR, "throttling answered with code busy", _thr1_busy_code),
    _m(
        "err3-throttled-lingers",
        "ERR-3",
        _THR,
        "after EROR throttled the server waits up to 5 s for the client's close",
        _err3_throttled_lingers,
    ),
    _m(
        "rec3-ad-type-only",
        "EKE-REC-3",
        _REC,
        "record AD is 'RECD' without the length",
        _rec3_ad_type_only,
    ),
    _m("rec6-slack", "EKE-REC-6", _REC, "record limit = frame limit + 24", _rec6_slack),
    _m(
        "rec6-bad-frame-code",
        "EKE-REC-6",
        _REC,
        "an oversize RECD answered bad_frame",
        _rec6_bad_frame_code,
    ),
    _m(
        "rec4-clear-eror",
        "EKE-REC-4",
        _REC,
        "a forged record answered with EROR auth_failed in clear",
        _rec4_clear_eror,
    ),
    _m(
        "app1-done-ignored",
        "APP-1",
        "test_framing.py",
        "a DONE in IDLE silently dropped",
        _app1_done_ignored,
    ),
    _m(
        "app1-rsfl-bad-frame",
        "APP-1",
        "test_framing.py",
        "an RSFL in IDLE answered bad_frame",
        _app1_rsfl_bad_frame,
    ),
    _m(
        "bye1-bye-in-put",
        "APP-BYE-1",
        "test_app_put.py",
        "BYE_ during a put's DATA accepted",
        _app3_bye_in_put,
    ),
    _m(
        "err3-after-refused-put",
        "ERR-3",
        "test_app_refusals.py",
        "after a refused PUTF the responder is left receiving",
        _err3_after_refused_put,
    ),
    _m(
        "lim5-inline-peek",
        "LIM-5",
        "test_eke_handshake_stalls.py",
        "the accept loop peeks a connection's first bytes (blocks up to the handshake timeout)",
        _lim5_inline_peek,
    ),
    _m(
        "lim5-slot-leak",
        "LIM-5",
        "test_limits.py",
        "failed handshakes never release their admission slot",
        _lim5_slot_leak,
    ),
    _m(
        "lim10-no-send-timeout",
        "LIM-10",
        "test_limits.py",
        "a get's writes block forever on a peer that stops reading",
        _lim10_no_send_timeout,
    ),
    # Written after the blind measure (variants of the survivors' classes).
    _m(
        "sec1-eke4-debug-key",
        "EKE-SEC-1",
        _HS,
        "EKE4 carries the server's record key in base64 (post-blind variant)",
        _sec1_eke4_debug_key,
    ),
    _m(
        "pw5-auth-failed-at-eke1",
        "EKE-PW-5",
        "test_eke_user_names_invalid.py",
        "an invalid user name answered auth_failed at EKE1 (post-blind variant)",
        _pw5_auth_failed_at_eke1,
    ),
    _m(
        "hs6-pending-cut-on-lock",
        "EKE-HS-6",
        _THR,
        "a locked user's pending handshake fails at a valid EKE3 (post-blind variant)",
        _hs6_pending_cut_on_lock,
    ),
    _m(
        "lim5-serialised-handshakes",
        "LIM-5",
        "test_eke_handshake_stalls.py",
        "one lock around every handshake (post-blind variant)",
        _lim5_serialised_handshakes,
    ),
)
