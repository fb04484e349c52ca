"""Blind red-team mutants of the sft-eke/1 SERVER (round R1), prefix `blind-eke-`.

Phase 1 was written from docs/SPEC.md §5 (+ §1-§3, §6) and the reference's eke modules
alone, before the conformance cases were read: what a hurried implementer of the server
gets wrong while the honest client still interoperates. Each breaks one MUST.

Blind list: name -> requirement -> the bug [detected before -> after phase 3]:

- x3-reduced-mod-p -> EKE-X-3: X' is reduced mod p instead of rejected when X' >= p [yes]
- x3-trivial-accepted -> EKE-X-3: no 0/1/p-1 checks on X' nor on Z [yes]
- x3-early-reject -> EKE-X-3: an invalid X' is answered auth_failed at EKE1, not EKE3 [yes]
- hs8-invalid-x-bad-frame -> EKE-HS-8: an invalid X' fails EKE3 with bad_frame [yes]
- hs6-ns-not-checked -> EKE-HS-6: C3 is authenticated but its Ns never compared [yes]
- x1-y-reused -> EKE-X-1: the server's exponent is drawn once per process [yes]
- hs10-ns-reused -> EKE-HS-10: the server's Ns is drawn once per process [yes]
- hs3-unknown-user-refused -> EKE-HS-3: an unknown user gets auth_failed at EKE1 [yes]
- pw4-nocase -> EKE-PW-4: the account lookup is `COLLATE NOCASE` [yes]
- pw4-strip -> EKE-PW-4: the account lookup strips surrounding white space [yes]
- rec4-bad-record-skipped -> EKE-REC-4: a record failing to authenticate is dropped [yes]
- rec4-replay-window -> EKE-REC-4: a failing record is retried with seq-1 (replay) [yes]
- rec4-skip-ahead -> EKE-REC-4: a failing record is retried with seq+1..+3 (drop) [yes]
- rec4-clear-eror -> EKE-REC-4: a bad record is answered with a plaintext EROR [yes]
- rec1-trailing-bytes -> EKE-REC-1: bytes after the record's one frame are ignored [yes]
- rec1-short-payload -> EKE-REC-1: an inner length above the record's rest is cut [no -> yes]
- rec6-limit-plus-overhead -> EKE-REC-6: record limit = frame limit + tag + header [yes]
- lim1-deadline-per-read -> LIM-1: the handshake timer is per read [yes]
- hs11-timeout-silent -> EKE-HS-11: a handshake timeout closes without EROR timeout [yes]
- lim2-no-idle-during-put -> LIM-2: no idle timeout while a put is received [yes]
- lim2-idle-silent -> LIM-2: the idle timeout closes without EROR timeout [yes]
- thr1-user-only -> EKE-THR-1: failures counted per user name only [yes]
- thr1-check-user-only -> EKE-THR-1: the EKE1 check consults the user table only [yes]
- thr1-reset-on-eke2 -> EKE-THR-1: the user's count is reset when EKE2 goes out [yes]
- thr1-off-by-one -> EKE-THR-1: throttled after N+1 failures [yes]
- thr5-close-not-counted -> EKE-THR-5: a close after EKE2 is not a failure [yes]
- err7-retry-after-float -> ERR-7: `retry_after` is the float of seconds left [yes]
- thr6-backoff-flat -> EKE-THR-6: the lock is always `base` (no doubling) [yes]
- thr6-success-resets-address -> EKE-THR-6: a success resets the address's count [yes]
- thr7-busy-counted -> EKE-THR-7: an EKE1 refused busy counts as a failure [yes]
- thr7-cap-off-by-one -> EKE-THR-7: P+1 pending handshakes of a user [yes]
- thr7-busy-no-retry-after -> EKE-THR-7: `busy` without `retry_after` [yes]
- hs9-eke1-restarts -> EKE-HS-9: a second EKE1 after EKE2 restarts the handshake [no -> yes]
- frm5-unknown-type-bad-frame -> FRM-5: an undefined type in the handshake is bad_frame
  [no -> yes]
- err3-peer-eror-ignored -> ERR-3: a client's EROR during the handshake is ignored (the
  handshake timer closes the connection) [no -> yes]
- frm12-hex-lenient -> FRM-12: EKE1 `a` parsed by bytes.fromhex alone [yes]
- put7-size-boundary -> APP-PUT-7: a put of exactly the maximum size is refused [yes]
- bye1-waits-for-peer -> APP-BYE-1: after the BYE_ echo the server waits for the client's
  close [yes]
- (dropped) frm8-handshake-frame-limit: handshake frames read up to the 1 MiB frame limit,
  then refused frame_too_large once the payload is in. FRM-8 does not say when a control
  payload over 64 KiB is refused (FRM-3's "at the header" is for the frame limit), and an
  independent implementation does exactly this: conforming, so not a mutant.

Phase 3 (written after reading the suite, to widen the families it now checks; all
detected after the cases below were added or strengthened):

- frm8-handshake-limit-off-by-one -> FRM-8: an EKE1 of exactly 65 536 bytes is refused
- frm12-eke3-hex-lenient -> FRM-12: EKE3 `c` parsed by bytes.fromhex alone [no -> yes]
- frm9-handshake-json-lenient -> FRM-9: clear handshake frames parsed by a plain json.loads
  (duplicates last-wins, NaN, invalid UTF-8 replaced) [no -> yes]
- thr6-throttled-counted -> EKE-THR-6: a throttled EKE1 counts as a failure [yes]
- thr11-lock-off-by-one -> EKE-THR-11: the hard lock one failure late [yes]
- lim1-deadline-from-eke2 -> LIM-1: the handshake timer restarts when EKE2 goes out
  [no -> yes]
- thr7-slot-leaked-on-close -> EKE-THR-7: the pending slot of a handshake that ends other
  than by a bad EKE3 (close, EROR, unexpected frame) is never given back [no -> yes]
- rec5-plaintext-skipped -> EKE-REC-5: a plaintext frame after EKE4 is skipped; the idle
  timer's encrypted EROR timeout then passed for "closed" [no -> yes]
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _server() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _records() -> Any:
    return _module("reference.eke.records")


# -- the hidden values and the handshake ------------------------------------------------


def _x3_reduced_mod_p() -> None:
    """`int.from_bytes(...) % P`: X' = p + X is taken for X."""
    _patch_source(
        _crypto(),
        "pm_decode",
        ('value = int.from_bytes(encoded, "big")', 'value = int.from_bytes(encoded, "big") % P'),
    )


def _x3_trivial_accepted() -> None:
    """Only X' < p is checked; 0, 1, p-1 (and Z in them) go through."""
    crypto = _crypto()
    _patch_source(
        crypto, "pm_decode", ("if value in (0, 1, P - 1) or value >= P:", "if value >= P:")
    )
    _patch_source(
        crypto,
        "shared_secret",
        ("if not 1 < peer_element < P - 1:", "if False:"),
        ("if z in (0, 1, P - 1):", "if False:"),
    )

    def modexp(base: int, exponent: int) -> int:
        return pow(base, exponent, int(crypto.P))

    crypto._modexp = modexp


def _x3_early_reject() -> None:
    """The natural early exit: an invalid X' is refused as soon as A is decrypted."""
    _patch_source(
        _handshake().ServerHandshake,
        "accept",
        (
            "self._doomed, x = True, crypto.G  # same exponentiation cost, result unused",
            "self._outbox += encode_error(ErrorCode.AUTH_FAILED, "
            "AuthenticationFailed.MESSAGE)\n"
            "        self._failure = RemoteProtocolError(ErrorCode.AUTH_FAILED, 'bad X')\n"
            "        self.state = HandshakeState.CLOSED\n"
            "        return",
        ),
    )


def _hs8_invalid_x_bad_frame() -> None:
    """An invalid X' is a malformed message, isn't it? bad_frame at EKE3."""
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "plain = crypto.open_confirm(",
            "if self._doomed:\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'EKE1: invalid public value')\n"
            "    plain = crypto.open_confirm(",
        ),
    )


def _hs6_ns_not_checked() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        ("ok = hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)", "ok = True"),
    )


def _x1_y_reused() -> None:
    """One ephemeral per process "to save a modexp per login"; the sign stays random."""
    crypto = _crypto()
    first = crypto.new_ephemeral()

    def new_ephemeral() -> Any:
        return first

    crypto.new_ephemeral = new_ephemeral


def _hs10_ns_reused() -> None:
    crypto = _crypto()
    first = crypto.new_nonce()

    def new_nonce() -> bytes:
        return bytes(first)

    crypto.new_nonce = new_nonce


def _hs3_unknown_user_refused() -> None:
    """No such user: why bother with a fake key? auth_failed at once."""
    store = _module("reference.eke.store")
    _patch_source(
        store.PasswordStore,
        "key_for",
        (
            "return bytes(row[0]) if row is not None else fake",
            "return bytes(row[0]) if row else b''",
        ),
    )
    _patch_source(
        _handshake().ServerHandshake,
        "accept",
        (
            "assert self.user is not None\n",
            "assert self.user is not None\n"
            "    if not pw:\n"
            "        self._outbox += encode_error(ErrorCode.AUTH_FAILED, "
            "AuthenticationFailed.MESSAGE)\n"
            "        self._failure = RemoteProtocolError(ErrorCode.AUTH_FAILED, 'no such user')\n"
            "        self.state = HandshakeState.CLOSED\n"
            "        return\n",
        ),
    )


def _pw4_nocase() -> None:
    _patch_source(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        (
            '"SELECT pw FROM users WHERE name = ?"',
            '"SELECT pw FROM users WHERE name = ? COLLATE NOCASE"',
        ),
    )


def _pw4_strip() -> None:
    store = _module("reference.eke.store")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        return bytes(original(self, name.strip()))

    store.PasswordStore.key_for = key_for


# -- records -----------------------------------------------------------------------------


def _rec4_bad_record_skipped() -> None:
    """A corrupted record is dropped ("the network garbled it") and reading goes on."""
    _patch_source(
        _records().RecordReader,
        "_next_frame",
        (
            "inner = self._opener.open(header, sealed)",
            "try:\n"
            "        inner = self._opener.open(header, sealed)\n"
            "    except Exception:\n"
            "        self._have, self._length = 0, None\n"
            "        return self._next_frame()",
        ),
    )


def _opener_retrying(offsets: tuple[int, ...]) -> None:
    crypto = _crypto()
    errors = _module("reference.errors")
    original = crypto.RecordOpener.open

    def open_(self: Any, header: Any, sealed: Any) -> Any:
        try:
            return original(self, header, sealed)
        except errors.AuthenticationFailed:
            seq = self.sequence
            for offset in offsets:
                if seq + offset < 0:
                    continue
                self.sequence = seq + offset
                try:
                    return original(self, header, sealed)
                except errors.AuthenticationFailed:
                    pass
            self.sequence = seq
            raise

    crypto.RecordOpener.open = open_


def _rec4_replay_window() -> None:
    """A retransmitted record (seq - 1) is opened again, "TCP may duplicate"."""
    _opener_retrying((-1,))


def _rec4_skip_ahead() -> None:
    """A record that fails is tried with the next few sequence numbers (lost records)."""
    _opener_retrying((1, 2, 3))


def _rec4_clear_eror() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "except (AuthenticationFailed, TruncatedStream):\n",
            "except (AuthenticationFailed, TruncatedStream) as exc:\n"
            "                if isinstance(exc, AuthenticationFailed):\n"
            "                    with contextlib.suppress(OSError):\n"
            "                        sock.sendall(encode_error(ErrorCode.AUTH_FAILED, "
            "'record authentication failed'))\n",
        ),
    )


def _rec1_trailing_bytes() -> None:
    _patch_source(
        _records(),
        "_split_inner",
        (
            "if length != len(inner) - HEADER_SIZE:",
            "if length > len(inner) - HEADER_SIZE:",
        ),
        (
            "return InnerFrame(frame_type, inner[HEADER_SIZE:])",
            "return InnerFrame(frame_type, inner[HEADER_SIZE : HEADER_SIZE + length])",
        ),
    )


def _rec1_short_payload() -> None:
    _patch_source(
        _records(),
        "_split_inner",
        (
            "if length != len(inner) - HEADER_SIZE:",
            "if length < len(inner) - HEADER_SIZE:",
        ),
    )


def _rec6_limit_plus_overhead() -> None:
    """The record limit counts the tag and the inner header on top of the frame limit."""
    _patch_source(
        _records().RecordReader,
        "__init__",
        (
            "self.max_record = max_record",
            "self.max_record = max_record = max_record + crypto.TAG_LEN + HEADER_SIZE",
        ),
    )


# -- timeouts ----------------------------------------------------------------------------


def _lim1_deadline_per_read() -> None:
    """The handshake timeout is applied to each read: bytes trickling in extend it."""
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:",
            "    span = deadline - time.monotonic()\n    _flush(sock, hs)\n    while True:",
        ),
        ("if remaining <= 0:", "if False:"),
        ("sock.settimeout(remaining)", "sock.settimeout(span)"),
    )
    _server().run_handshake = transport.run_handshake


def _hs11_timeout_silent() -> None:
    """The server copied the client's `_should_answer` (no EROR on a timeout)."""
    handshake = _handshake()
    errors = _module("reference.errors")

    def should_answer(self: Any, exc: Any) -> bool:
        return bool(exc.code is not errors.ErrorCode.TIMEOUT)

    handshake.ServerHandshake._should_answer = should_answer


def _lim2_no_idle_during_put() -> None:
    """A large put may be slow: no timeout while receiving it."""
    server = _server().EkeServer
    _patch_source(
        server,
        "_begin_put",
        (
            "stream.send(PutAccepted(target))",
            "stream.send(PutAccepted(target))\n        stream.sock.settimeout(None)",
        ),
    )
    _patch_source(
        server,
        "_finish_put",
        (
            "try:\n        partial.commit()",
            "stream.sock.settimeout(self.config.idle_timeout)\n    try:\n        partial.commit()",
        ),
    )


def _lim2_idle_silent() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        ('self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")', "pass"),
    )


# -- throttling --------------------------------------------------------------------------


def _thr1_user_only() -> None:
    _patch_source(
        _throttle().Throttle,
        "failed",
        ('for key in (("user", user), ("addr", address)):', 'for key in (("user", user),):'),
    )


def _thr1_check_user_only() -> None:
    _patch_source(
        _throttle().Throttle,
        "retry_after",
        (
            'waits = [self._wait(("user", user), now), self._wait(("addr", address), now)]',
            'waits = [self._wait(("user", user), now)]',
        ),
    )


def _thr1_reset_on_eke2() -> None:
    """The user's count restarts when a login gets going (EKE2), not when it succeeds."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "attempted.append(event.user)\n",
            "attempted.append(event.user)\n"
            "            self.throttle.succeeded(event.user, address)\n",
        ),
    )


def _thr1_off_by_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        (
            "if entry is None or entry.failures < cfg.failures:",
            "if entry is None or entry.failures <= cfg.failures:",
        ),
    )


def _thr5_close_not_counted() -> None:
    """Only a wrong EKE3 is a failed login; a client that vanishes after EKE2 is not."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)\n",
            "if isinstance(exc, AuthenticationFailed):\n"
            "                self.throttle.failed(attempted[0], address)\n",
        ),
    )


def _err7_retry_after_float() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        ("seconds = max(1, math.ceil(retry_after))", "seconds = max(1.0, retry_after)"),
    )


def _thr6_backoff_flat() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        (
            "lockout = max(1, math.ceil(min(cfg.cap, cfg.base * 2.0**extra)))",
            "lockout = max(1, math.ceil(cfg.base))",
        ),
    )


def _thr6_success_resets_address() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        ("del address  #", "address = address_key(address)  #"),
        (
            'self._entries.pop(("user", user), None)',
            'self._entries.pop(("user", user), None)\n'
            '        self._entries.pop(("addr", address), None)',
        ),
    )


def _thr7_busy_counted() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
            "self.throttle.failed(event.user, address)\n"
            "                hs.refuse_busy(self.throttle.config.busy_retry_after)",
        ),
    )


def _thr7_cap_off_by_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "begin",
        ("self._pending.get(k, 0) >= cap", "self._pending.get(k, 0) > cap"),
    )


def _thr7_busy_no_retry_after() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_busy",
        (
            '"too many logins in progress; try again shortly", max(1, retry_after)',
            '"too many logins in progress; try again shortly"',
        ),
    )


# -- frames during the handshake, and the application over records ------------------------


def _hs9_eke1_restarts() -> None:
    """A second EKE1 (a client retrying) starts the handshake over."""
    handshake = _handshake()
    state = handshake.HandshakeState
    handshake._TRANSITIONS[(state.SERVER_AWAIT_EKE3, handshake.T_EKE1)] = (
        "_on_eke1",
        state.SERVER_AWAIT_KEY,
    )


def _frm8_handshake_limit_off_by_one() -> None:
    """(Phase 3, after reading the suite.) `length >= limit` in spirit: an EKE1 of exactly
    65 536 bytes is refused."""
    _patch_source(
        _handshake()._Handshake,
        "_read_frame",
        (
            "parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD)",
            "parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD - 1)",
        ),
    )


def _frm5_unknown_type_bad_frame() -> None:
    _patch_source(
        _handshake()._Handshake,
        "_read_frame",
        (
            "ErrorCode.UNEXPECTED_FRAME,",
            "ErrorCode.UNEXPECTED_FRAME if frame_type in (T_EKE1, T_EKE2, T_EKE3, T_EKE4, T_EROR)"
            " else ErrorCode.BAD_FRAME,",
        ),
    )


def _err3_peer_eror_ignored() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            'raise RemoteProtocolError(event.code, "the client sent an error")',
            'log.info("the client sent an error; ignored")',
        ),
    )


def _frm12_hex_lenient() -> None:
    handshake = _handshake()
    handshake._SCHEMAS[handshake.T_EKE1] = {"user": ("str", True), "a": ("str", True)}


# -- phase 3: written after reading the suite, to widen the families it now checks ---------


def _frm12_eke3_hex_lenient() -> None:
    """EKE3's `c` parsed by bytes.fromhex alone: upper case and spaces pass."""
    handshake = _handshake()
    handshake._SCHEMAS[handshake.T_EKE3] = {"c": ("str", True)}


def _frm9_handshake_json_lenient() -> None:
    """The handshake parses its clear frames with a plain json.loads (duplicates: last wins)."""
    handshake = _handshake()
    json = _module("json")
    errors = _module("reference.errors")

    def loads_control(payload: Any) -> Any:
        try:
            value = json.loads(bytes(payload).decode("utf-8", "replace"))
        except ValueError:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not JSON") from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not an object")
        return value

    handshake.loads_control = loads_control


def _thr6_throttled_counted() -> None:
    """A throttled EKE1 counts as one more failure (and pushes the lock further)."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_throttled(wait)",
            "self.throttle.failed(event.user, address)\n                hs.refuse_throttled(wait)",
        ),
    )


def _thr11_lock_off_by_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "_hard_locked",
        ("entry.failures >= self.config.lock_after", "entry.failures > self.config.lock_after"),
    )


def _lim1_deadline_from_eke2() -> None:
    """The handshake timer restarts when EKE2 goes out ("each step gets its own timeout")."""
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "        on_event(event)\n",
            "        on_event(event)\n"
            "        deadline = time.monotonic() + getattr(hs, 'step_timeout', 0.0)\n",
        ),
    )
    _server().run_handshake = transport.run_handshake
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs = ServerHandshake()",
            "hs = ServerHandshake()\n    hs.step_timeout = self.config.handshake_timeout",
        ),
    )


def _thr7_slot_leaked_on_close() -> None:
    """The pending slot is given back only when EKE3 arrives (good or bad), not on a close."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.end(attempted[0], address)\n",
            "if isinstance(exc, AuthenticationFailed):\n"
            "                    self.throttle.end(attempted[0], address)\n",
        ),
    )


def _rec5_plaintext_skipped() -> None:
    """A plaintext frame after EKE4 ("a retransmitted handshake message") is skipped."""
    records = _records()
    _patch_source(
        records.RecordReader,
        "_parse_header",
        (
            "if frame_type != RECORD_TYPE:",
            # setattr() is None: the frame is marked for skipping, never refused.
            "if frame_type != RECORD_TYPE and not setattr(self, '_skipping', True) and False:",
        ),
    )
    _patch_source(
        records.RecordReader,
        "_next_frame",
        (
            "header = self._view[:HEADER_SIZE]",
            "if getattr(self, '_skipping', False):\n"
            "        self._skipping = False\n"
            "        self._have, self._length = 0, None\n"
            "        return self._next_frame()\n"
            "    header = self._view[:HEADER_SIZE]",
        ),
    )


def _put7_size_boundary() -> None:
    _patch_source(
        _server().EkeServer,
        "_begin_put",
        (
            "if request.size > self.config.max_file_size:",
            "if request.size >= self.config.max_file_size:",
        ),
    )


def _bye1_waits_for_peer() -> None:
    """After the echo the server waits for the client to close first (no FIN of its own)."""
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "close_gracefully(sock, self.config.close_linger)",
            "with contextlib.suppress(OSError):\n"
            "                    sock.settimeout(self.config.idle_timeout)\n"
            "                    while sock.recv(4096):\n"
            "                        pass",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"blind-eke-{name}",
        group="blind-eke",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


_HS = "test_eke_handshake.py"
_REC = "test_eke_records.py"
_THR = "test_eke_throttling.py"

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "x3-reduced-mod-p", "EKE-X-3", _HS, "X' >= p reduced mod p, not rejected", _x3_reduced_mod_p
    ),
    _m(
        "x3-trivial-accepted",
        "EKE-X-3",
        _HS,
        "X' of 0, 1, p-1 and Z of 0, 1, p-1 accepted",
        _x3_trivial_accepted,
    ),
    _m(
        "x3-early-reject",
        "EKE-X-3",
        _HS,
        "an invalid X' is answered auth_failed at EKE1",
        _x3_early_reject,
    ),
    _m(
        "hs8-invalid-x-bad-frame",
        "EKE-HS-8",
        _HS,
        "an invalid X' fails EKE3 with bad_frame, not auth_failed",
        _hs8_invalid_x_bad_frame,
    ),
    _m(
        "hs6-ns-not-checked",
        "EKE-HS-6",
        _HS,
        "C3 authenticated, its Ns never compared",
        _hs6_ns_not_checked,
    ),
    _m(
        "x1-y-reused",
        "EKE-X-1",
        _HS,
        "the server's exponent is drawn once per process",
        _x1_y_reused,
    ),
    _m(
        "hs10-ns-reused",
        "EKE-HS-10",
        _HS,
        "the server's Ns is drawn once per process",
        _hs10_ns_reused,
    ),
    _m(
        "hs3-unknown-user-refused",
        "EKE-HS-3",
        _HS,
        "an unknown user gets auth_failed at EKE1",
        _hs3_unknown_user_refused,
    ),
    _m(
        "pw4-nocase",
        "EKE-PW-4",
        _HS,
        "account lookup with COLLATE NOCASE",
        _pw4_nocase,
    ),
    _m(
        "pw4-strip",
        "EKE-PW-4",
        _HS,
        "account lookup strips white space",
        _pw4_strip,
    ),
    _m(
        "rec4-bad-record-skipped",
        "EKE-REC-4",
        _REC,
        "a record failing to authenticate is dropped",
        _rec4_bad_record_skipped,
    ),
    _m(
        "rec4-replay-window",
        "EKE-REC-4",
        _REC,
        "a failing record is retried with seq-1",
        _rec4_replay_window,
    ),
    _m(
        "rec4-skip-ahead",
        "EKE-REC-4",
        _REC,
        "a failing record is retried with seq+1..+3",
        _rec4_skip_ahead,
    ),
    _m(
        "rec4-clear-eror",
        "EKE-REC-4",
        _REC,
        "a bad record is answered by a plaintext EROR",
        _rec4_clear_eror,
    ),
    _m(
        "rec1-trailing-bytes",
        "EKE-REC-1",
        _REC,
        "bytes after the record's one frame ignored",
        _rec1_trailing_bytes,
    ),
    _m(
        "rec1-short-payload",
        "EKE-REC-1",
        _REC,
        "an inner length above the record's rest is cut to the rest",
        _rec1_short_payload,
    ),
    _m(
        "rec6-limit-plus-overhead",
        "EKE-REC-6",
        _REC,
        "record limit = frame limit + tag + inner header",
        _rec6_limit_plus_overhead,
    ),
    _m(
        "lim1-deadline-per-read",
        "LIM-1",
        "test_limits.py",
        "the handshake timeout is per read: trickled bytes extend it",
        _lim1_deadline_per_read,
    ),
    _m(
        "hs11-timeout-silent",
        "EKE-HS-11",
        _HS,
        "handshake timeout closes without EROR timeout",
        _hs11_timeout_silent,
    ),
    _m(
        "lim2-no-idle-during-put",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is received",
        _lim2_no_idle_during_put,
    ),
    _m(
        "lim2-idle-silent",
        "LIM-2",
        "test_limits.py",
        "idle timeout closes without EROR timeout",
        _lim2_idle_silent,
    ),
    _m("thr1-user-only", "EKE-THR-1", _THR, "failures counted per user name only", _thr1_user_only),
    _m(
        "thr1-check-user-only",
        "EKE-THR-1",
        _THR,
        "the EKE1 check consults the user table only",
        _thr1_check_user_only,
    ),
    _m(
        "thr1-reset-on-eke2",
        "EKE-THR-1",
        _THR,
        "the user's count is reset when EKE2 goes out",
        _thr1_reset_on_eke2,
    ),
    _m("thr1-off-by-one", "EKE-THR-1", _THR, "throttled only after N+1 failures", _thr1_off_by_one),
    _m(
        "thr5-close-not-counted",
        "EKE-THR-5",
        _THR,
        "a handshake closed after EKE2 is not a failure",
        _thr5_close_not_counted,
    ),
    _m(
        "err7-retry-after-float",
        "ERR-7",
        _THR,
        "retry_after sent as a float of seconds left",
        _err7_retry_after_float,
    ),
    _m(
        "thr6-backoff-flat",
        "EKE-THR-6",
        _THR,
        "the lock is always `base` seconds",
        _thr6_backoff_flat,
    ),
    _m(
        "thr6-success-resets-address",
        "EKE-THR-6",
        _THR,
        "a success resets the address's failures too",
        _thr6_success_resets_address,
    ),
    _m(
        "thr7-busy-counted",
        "EKE-THR-7",
        _THR,
        "an EKE1 refused busy is counted as a failure",
        _thr7_busy_counted,
    ),
    _m(
        "thr7-cap-off-by-one",
        "EKE-THR-7",
        _THR,
        "P+1 pending handshakes of one user allowed",
        _thr7_cap_off_by_one,
    ),
    _m(
        "thr7-busy-no-retry-after",
        "EKE-THR-7",
        _THR,
        "busy sent without retry_after",
        _thr7_busy_no_retry_after,
    ),
    _m(
        "hs9-eke1-restarts",
        "EKE-HS-9",
        _HS,
        "a second EKE1 after EKE2 restarts the handshake",
        _hs9_eke1_restarts,
    ),
    _m(
        "frm8-handshake-limit-off-by-one",
        "FRM-8",
        _HS,
        "an EKE1 of exactly 65 536 bytes is refused frame_too_large",
        _frm8_handshake_limit_off_by_one,
    ),
    _m(
        "frm5-unknown-type-bad-frame",
        "FRM-5",
        _HS,
        "an unknown type during the handshake is bad_frame",
        _frm5_unknown_type_bad_frame,
    ),
    _m(
        "err3-peer-eror-ignored",
        "ERR-3",
        _HS,
        "a client's EROR in the handshake is ignored",
        _err3_peer_eror_ignored,
    ),
    _m(
        "frm12-hex-lenient",
        "FRM-12",
        _HS,
        "EKE1 `a` parsed by bytes.fromhex alone",
        _frm12_hex_lenient,
    ),
    _m(
        "frm12-eke3-hex-lenient",
        "FRM-12",
        _HS,
        "EKE3 `c` parsed by bytes.fromhex alone",
        _frm12_eke3_hex_lenient,
    ),
    _m(
        "frm9-handshake-json-lenient",
        "FRM-9",
        _HS,
        "clear handshake frames parsed by a plain json.loads",
        _frm9_handshake_json_lenient,
    ),
    _m(
        "thr6-throttled-counted",
        "EKE-THR-6",
        _THR,
        "a throttled EKE1 counts as a failure",
        _thr6_throttled_counted,
    ),
    _m(
        "thr11-lock-off-by-one",
        "EKE-THR-11",
        _THR,
        "the hard lock after lock_after + 1 failures",
        _thr11_lock_off_by_one,
    ),
    _m(
        "lim1-deadline-from-eke2",
        "LIM-1",
        _HS,
        "the handshake timer restarts when EKE2 goes out",
        _lim1_deadline_from_eke2,
    ),
    _m(
        "thr7-slot-leaked-on-close",
        "EKE-THR-7",
        _THR,
        "the pending slot of a handshake closed after EKE2 is never given back",
        _thr7_slot_leaked_on_close,
    ),
    _m(
        "rec5-plaintext-skipped",
        "EKE-REC-5",
        _REC,
        "a plaintext frame after EKE4 is skipped, not fatal",
        _rec5_plaintext_skipped,
    ),
    _m(
        "put7-size-boundary",
        "APP-PUT-7",
        "test_app_put.py",
        "a put of exactly the maximum size is refused",
        _put7_size_boundary,
    ),
    _m(
        "bye1-waits-for-peer",
        "APP-BYE-1",
        "test_app_get.py",
        "after the BYE_ echo the server waits for the client's close",
        _bye1_waits_for_peer,
    ),
)
