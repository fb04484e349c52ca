"""Blind red-team round 9: the sft-eke/1 SERVER, through the five lenses of round 9.

Written from docs/SPEC.md and the reference's server code only, before reading the
suite's cases. Lenses: (1) refactoring slips; (2) library defaults and lenient parsers;
(3) error paths; (4) configuration; (5) crypto API misuse.

Refactoring slips (lens 1)
- b9eke-ks1-th-len-chars            the transcript's u16be(len(U)) counts characters, not
  UTF-8 bytes: only a non-ASCII user's handshake breaks
- b9eke-thr1-addr-not-counted       `failed` loops over the user key only (the address
  key was dropped from the tuple): an address is never throttled
- b9eke-thr4-success-resets-addr    `succeeded` pops the ADDRESS entry instead of the
  user's: a success forgets the address's count and keeps the user's
- b9eke-thr7-end-user-twice         `end` releases the user key twice, never the
  address: an address's pending slots leak, later EKE1s are `busy`
- b9eke-thr6-exponent-off-by-one    the backoff exponent is n - N + 1: the first block
  is 2·base, every one twice too long
- b9eke-hs6-ns-check-inverted       `if (not ok and doomed) or ...`: a C3 under the right
  keys whose plaintext ends with another Ns is accepted
- b9eke-lim1-deadline-per-frame     the handshake deadline restarts at every handshake
  message answered (EKE1 at 1.9 s buys another full timeout)
- b9eke-thr6-retry-after-ms         `retry_after` sent in milliseconds (the throttle's
  time unit leaked to the wire)
Library defaults and lenient parsers (lens 2)
- b9eke-frm12-hex-fromhex           handshake hex members checked by `bytes.fromhex`
  decoding to the right length: upper-case hex (and spaces) accepted
- b9eke-frm9-hs-json-defaults       handshake frames parsed with plain `json.loads`:
  duplicate keys (last wins), NaN and Infinity accepted
- b9eke-pw4-user-strip              the account lookup uses `user.strip()` (the
  transcript keeps the name as sent): " alice" gets alice's pw
- b9eke-pw4-sql-like                the store's lookup is `WHERE name LIKE ?`: ASCII case
  folded and `_`/`%` wildcards ("al_ce", "%") match an account
- b9eke-x3-reduce-mod-p             X' >= p reduced mod p instead of refused: X' = p + 4
  gives X = 4, a handshake the sender can complete
- b9eke-err7-retry-after-float      `retry_after` encoded as a float (`2.0`)
Error paths (lens 3)
- b9eke-thr5-peer-eror-not-counted  a client's EROR after EKE2 ends the handshake
  uncounted ("it gave up politely")
- b9eke-thr5-bad-eke3-not-counted   a malformed or unexpected frame in place of EKE3 is
  not counted (only auth_failed, timeouts and EOF are)
- b9eke-thr5-timeout-not-counted    a handshake that times out after EKE2 is not counted
- b9eke-hs11-timeout-as-auth        a handshake timeout after EKE2 is answered
  `auth_failed` (the guess was spent) instead of `timeout`
- b9eke-rec4-bad-record-eror-clear  a record that fails to authenticate is answered with
  a plaintext `EROR bad_frame` before the close
- b9eke-rec4-bad-record-skipped     a record that fails to authenticate is dropped and the
  connection goes on
- b9eke-thr7-busy-counted           a `busy` refusal counts as a failure of the user and
  the address
- b9eke-err3-throttled-linger       after `EROR throttled` the server waits for the
  client's FIN (or its handshake timeout) before closing
Configuration (lens 4)
- b9eke-thr6-cap-ignored            --throttle-cap is parsed but the backoff is capped at
  the default 300 s
- b9eke-thr11-lock-after-ignored    --lock-after is parsed but the hard cap is the
  default 100
- b9eke-thr1-addr-threshold-default the address table uses the default threshold 5, the
  user table the configured N
- b9eke-thr8-restart-loses-addrs    the restart reloads the user table only
- b9eke-thr6-addr-hard-locked       the hard cap (a per-user setting) applied to
  addresses too: an address's lock never expires
- b9eke-thr9-shared-bound           one bound for both tables together, the oldest entry
  of either evicted
Crypto API misuse (lens 5)
- b9eke-hs10-ephemeral-cached       the server's y is drawn once per process
- b9eke-hs10-ns-cached              the server's Ns is drawn once per process
- b9eke-hs6-ns-prefix-compare       Ns compared on its first 16 bytes
- b9eke-rec4-replay-window          a record that fails is retried with the previous
  sequence number ("a retransmission"): a replayed record is delivered again
- b9eke-hs3-fake-key-scrypt         an unknown user's fake key is derived with scrypt at
  EKE1 (a known one is read from the store): unknown users answered ~100 ms later
Blind measure (in the files first named): 27 of 33. Survivors: lim1-deadline-per-frame and
hs11-timeout-as-auth (no case stalled a handshake AFTER EKE2: new case in
test_eke_handshake_stalls.py), thr7-end-user-twice (no case made more than Q sequential
logins from one address: new case in test_eke_second_use.py, re-targeted there),
err3-throttled-linger (the 2 s close allowance equals the embedded handshake timeout: the
refusal's close is now expected before the handshake deadline could bring it,
test_eke_throttling.py), thr6-addr-hard-locked (no case followed an address past L
failures: new case in test_eke_throttling.py, re-targeted there), hs3-fake-key-scrypt
(test_timing.py INCONCLUSIVE under the load of 8 helpers; FAIL when re-run).
Written AFTER the blind measure (not counted in the blind figure): err3-busy-linger checks
that the phase-2 close allowance catches the class; the other three probe new ground
(thr10 and rec1 survived the suite as it was: new cases; frm12-eke2 was caught)
- b9eke-err3-busy-linger            after `EROR busy` (the pending cap) the server waits for
  the client's FIN (or its handshake timeout) before closing
- b9eke-thr10-ipv4-per-24           the /64 rule carried over to IPv4 as a /24: a throttled
  address's neighbours are throttled with it (new case: test_eke_address_units.py)
- b9eke-frm12-eke2-upper-hex        the server writes EKE2's hex members in upper case
- b9eke-rec1-idle-eror-in-clear     the idle timeout's EROR goes out as a plaintext frame
  (new case: test_eke_records.py)
Dropped (equivalent): C3's plaintext length left unchecked (Na ‖ Ns ‖ more accepted) —
EKE3's schema fixes `c` at 160 hex characters, so the plaintext is always 64 bytes.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import socket
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind9-eke"


def _cr() -> Any:
    return _module("reference.eke.crypto")


def _hs() -> Any:
    return _module("reference.eke.handshake")


def _srv() -> Any:
    return _module("reference.eke.server")


def _thr() -> Any:
    return _module("reference.eke.throttle")


def _store() -> Any:
    return _module("reference.eke.store")


def _err() -> Any:
    return _module("reference.errors")


# --- lens 1: refactoring slips ------------------------------------------------------------


def _ks1_th_len_chars() -> None:
    cr = _cr()
    import hashlib
    import struct

    def transcript_hash(user: str, a: bytes, b: bytes) -> bytes:
        raw = user.encode("utf-8")
        return hashlib.sha256(
            b"sft-eke/1 transcript" + struct.pack("!H", len(user)) + raw + bytes(a) + bytes(b)
        ).digest()

    cr.transcript_hash = transcript_hash


def _thr1_addr_not_counted() -> None:
    thr = _thr()

    def failed(self: Any, user: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in (("user", user),):
                entry = self._live(key, now)
                if entry is None:
                    entry = thr._Entry(0, now)
                entry.failures += 1
                entry.last = now
                self._entries[key] = entry
                self._entries.move_to_end(key)
            self._trim(now)

    thr.Throttle.failed = failed


def _thr4_success_resets_addr() -> None:
    thr = _thr()

    def succeeded(self: Any, user: str, address: str) -> None:
        with self._lock:
            self._entries.pop(("addr", thr.address_key(address)), None)

    thr.Throttle.succeeded = succeeded


def _thr7_end_user_twice() -> None:
    thr = _thr()

    def end(self: Any, user: str, address: str) -> None:
        with self._lock:
            for key in (("user", user), ("user", user)):
                left = self._pending.get(key, 0) - 1
                if left > 0:
                    self._pending[key] = left
                else:
                    self._pending.pop(key, None)

    thr.Throttle.end = end


def _wait_with(
    *,
    extra_shift: int = 0,
    cap: float | None = None,
    addr_threshold: int | None = None,
) -> Callable[[Any, tuple[str, str], float], float]:
    def wait(self: Any, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        cfg = self.config
        threshold = cfg.failures
        if addr_threshold is not None and key[0] == "addr":
            threshold = addr_threshold
        if entry is None or entry.failures < threshold:
            return 0.0
        if self._hard_locked(key, entry):
            return float(math.ceil(cfg.cap))
        extra = min(entry.failures - threshold + extra_shift, 64)
        limit = cfg.cap if cap is None else cap
        lockout = max(1, math.ceil(min(limit, cfg.base * 2.0**extra)))
        return float(entry.last + lockout - now)

    return wait


def _thr6_exponent_off_by_one() -> None:
    _thr().Throttle._wait = _wait_with(extra_shift=1)


def _on_eke3_with(check: Callable[[Any, bytes], bool]) -> Callable[[Any, dict[str, Any]], Any]:
    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        hs = _hs()
        cr = _cr()
        plain = cr.open_confirm(self._keys.kcc, 3, bytes.fromhex(obj["c"]), self._th)
        if not check(self, plain) or len(plain) != 2 * cr.NONCE_LEN:
            raise _err().AuthenticationFailed()
        c4 = cr.seal_confirm(self._keys.kcs, 4, plain[: cr.NONCE_LEN], self._th)
        self._outbox += hs._control(hs.T_EKE4, {"c": c4.hex()})
        return hs.Established(self.user, self._keys)

    return on_eke3


def _hs6_ns_check_inverted() -> None:
    def check(self: Any, plain: bytes) -> bool:
        ok = hmac.compare_digest(plain[32:], self._ns)
        return not (not ok and self._doomed)

    _hs().ServerHandshake._on_eke3 = _on_eke3_with(check)


def _lim1_deadline_per_frame() -> None:
    srv = _srv()
    hs_mod = _hs()
    frames = _module("reference.frames")
    transport = _module("reference.eke.transport")

    def run_handshake(sock: Any, hs: Any, deadline: float, on_event: Any) -> Any:
        timeout = deadline - time.monotonic()
        transport._flush(sock, hs)
        while True:
            try:
                event = hs.next_event()
            except _err().RemoteProtocolError:
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
                continue
            if isinstance(event, hs_mod.Established):
                transport._flush(sock, hs)
                return event
            on_event(event)
            transport._flush(sock, hs)
            deadline = time.monotonic() + timeout  # "the client answered: it is alive"

    srv.run_handshake = run_handshake


def _thr6_retry_after_ms() -> None:
    hs = _hs()
    original = hs.ServerHandshake.refuse_throttled

    def refuse_throttled(self: Any, retry_after: float) -> None:
        original(self, retry_after * 1000.0)

    hs.ServerHandshake.refuse_throttled = refuse_throttled


# --- lens 2: library defaults and lenient parsers ---------------------------------------


def _frm12_hex_fromhex() -> None:
    frames = _module("reference.frames")
    original = frames._has_kind

    def has_kind(value: Any, kind: str) -> bool:
        if kind.startswith("hex:") and isinstance(value, str):
            try:
                return len(bytes.fromhex(value)) * 2 == int(kind[4:])
            except ValueError:
                return False
        result: bool = original(value, kind)
        return result

    frames._has_kind = has_kind


def _frm9_hs_json_defaults() -> None:
    hs = _hs()
    errors = _err()

    def loads_control(payload: Any) -> dict[str, Any]:
        try:
            value = json.loads(bytes(payload).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "bad JSON") from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not an object")
        return value

    hs.loads_control = loads_control


def _pw4_user_strip() -> None:
    store = _store()
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        result: bytes = original(self, name.strip())
        return result

    store.PasswordStore.key_for = key_for


def _pw4_sql_like() -> None:
    store = _store()
    cr = _cr()

    def key_for(self: Any, name: str) -> bytes:
        fake = cr.fake_password_key(self._server_secret, name)
        with self._lock:
            row = self._db.execute(
                "SELECT pw FROM users WHERE name LIKE ? ORDER BY name", (name,)
            ).fetchone()
        return bytes(row[0]) if row is not None else fake

    store.PasswordStore.key_for = key_for


def _x3_reduce_mod_p() -> None:
    cr = _cr()

    def pm_decode(encoded: bytes) -> int:
        if len(encoded) != cr.ELEMENT_LEN:
            raise _err().AuthenticationFailed()
        p: int = cr.P
        value = int.from_bytes(encoded, "big") % p  # "normalise into the group"
        residue = cr._is_residue_blinded(value)
        if value in (0, 1, p - 1):
            raise _err().AuthenticationFailed()
        return value if residue else p - value

    cr.pm_decode = pm_decode


def _err7_retry_after_float() -> None:
    hs = _hs()

    def refuse_throttled(self: Any, retry_after: float) -> None:
        if self.state is not hs.HandshakeState.SERVER_AWAIT_KEY:
            raise _err().LocalProtocolError(_err().ErrorCode.INTERNAL, "out of turn")
        seconds = float(math.ceil(max(1.0, retry_after)))
        self._outbox += hs.encode_error(
            _err().ErrorCode.THROTTLED, "too many failed logins; try again later", seconds
        )
        self._failure = _err().RemoteProtocolError(_err().ErrorCode.THROTTLED, "throttled")
        self.state = hs.HandshakeState.CLOSED

    hs.ServerHandshake.refuse_throttled = refuse_throttled


# --- lens 3: error paths (a copy of EkeServer._handshake with one slip) ------------------


def _handshake_with(
    *,
    counts: Callable[[BaseException], bool] = lambda exc: True,
    busy_counts: bool = False,
) -> Callable[[Any, socket.socket, str], Any]:
    def handshake(self: Any, sock: socket.socket, address: str) -> Any:
        hs_mod = _hs()
        errors = _err()
        transport = _module("reference.eke.transport")
        srv = _srv()
        hs = hs_mod.ServerHandshake()
        attempted: list[str] = []

        def on_event(event: Any) -> None:
            if isinstance(event, hs_mod.LoginAttempt):
                wait = self.throttle.retry_after(event.user, address)
                if wait is not None:
                    hs.refuse_throttled(wait)
                    return
                if not self.throttle.begin(event.user, address):
                    if busy_counts:
                        self.throttle.failed(event.user, address)
                    hs.refuse_busy(self.throttle.config.busy_retry_after)
                    return
                attempted.append(event.user)
                hs.accept(self.store.key_for(event.user))
            elif isinstance(event, hs_mod.PeerError):
                exc = errors.RemoteProtocolError(event.code, "the client sent an error")
                exc.peer_sent = True
                raise exc

        deadline = time.monotonic() + self.config.handshake_timeout
        try:
            established = srv.run_handshake(sock, hs, deadline, on_event)
        except BaseException as exc:
            counted = bool(attempted) and counts(exc)
            if counted:
                self.throttle.failed(attempted[0], address)
            if attempted:
                self.throttle.end(attempted[0], address)
            with contextlib.suppress(OSError):
                sock.close()
            if counted:
                self._login_failed(attempted[0], address, exc)
            if isinstance(exc, errors.ProtocolError | transport.HandshakeTimeout | OSError):
                return None
            raise
        self.throttle.succeeded(established.user, address)
        self.throttle.end(established.user, address)
        self.store.record_login(established.user, success=True)
        return established, hs.trailing_data()

    return handshake


def _thr5_peer_eror_not_counted() -> None:
    _srv().EkeServer._handshake = _handshake_with(
        counts=lambda exc: not getattr(exc, "peer_sent", False)
    )


def _thr5_bad_eke3_not_counted() -> None:
    codes = _err().ErrorCode

    def counts(exc: BaseException) -> bool:
        if isinstance(exc, _err().RemoteProtocolError) and not getattr(exc, "peer_sent", False):
            if exc.code in (codes.BAD_FRAME, codes.UNEXPECTED_FRAME, codes.FRAME_TOO_LARGE):
                return "closed" in exc.message  # EOF still counts
        return True

    _srv().EkeServer._handshake = _handshake_with(counts=counts)


def _thr5_timeout_not_counted() -> None:
    transport = _module("reference.eke.transport")
    _srv().EkeServer._handshake = _handshake_with(
        counts=lambda exc: not isinstance(exc, transport.HandshakeTimeout)
    )


def _thr7_busy_counted() -> None:
    _srv().EkeServer._handshake = _handshake_with(busy_counts=True)


def _hs11_timeout_as_auth() -> None:
    hs = _hs()
    original = hs.ServerHandshake.fail_timeout

    def fail_timeout(self: Any) -> None:
        if self.state is hs.HandshakeState.SERVER_AWAIT_EKE3:
            self._fail(_err().AuthenticationFailed())  # the guess is spent: a failed login
            return
        original(self)

    hs.ServerHandshake.fail_timeout = fail_timeout


def _rec4_bad_record_eror_clear() -> None:
    transport = _module("reference.eke.transport")
    original = transport.SecureStream.next_event

    def next_event(self: Any) -> Any:
        try:
            return original(self)
        except _err().AuthenticationFailed:
            with contextlib.suppress(OSError):
                self.sock.sendall(
                    _hs().encode_error(_err().ErrorCode.BAD_FRAME, "record does not authenticate")
                )
            raise

    transport.SecureStream.next_event = next_event


def _rec4_bad_record_skipped() -> None:
    records = _module("reference.eke.records")
    original = records.RecordReader._next_frame

    def next_frame(self: Any) -> Any:
        while True:
            try:
                return original(self)
            except _err().AuthenticationFailed:
                self._have, self._length = 0, None  # drop the forged record, read on

    records.RecordReader._next_frame = next_frame


def _linger_after(refusal: str) -> None:
    """After the EROR of `refusal` (a ServerHandshake method), "let the client read it and
    close first": the socket is kept until the client's FIN or the handshake timeout."""
    hs = _hs()
    frames = _module("reference.frames")
    original_refuse = getattr(hs.ServerHandshake, refusal)
    original_next = hs.ServerHandshake.next_event

    def refuse(self: Any, retry_after: Any) -> None:
        original_refuse(self, retry_after)
        self._drain_failure, self._failure = self._failure, None

    def next_event(self: Any) -> Any:
        drain = getattr(self, "_drain_failure", None)
        if drain is not None and self._failure is None:
            if self._eof:
                raise drain.detached()
            return frames.NEED_DATA
        return original_next(self)

    setattr(hs.ServerHandshake, refusal, refuse)
    hs.ServerHandshake.next_event = next_event


def _err3_throttled_linger() -> None:
    _linger_after("refuse_throttled")


def _err3_busy_linger() -> None:
    _linger_after("refuse_busy")


# --- lens 4: configuration ---------------------------------------------------------------


def _thr6_cap_ignored() -> None:
    _thr().Throttle._wait = _wait_with(cap=300.0)


def _thr11_lock_after_ignored() -> None:
    thr = _thr()

    def hard_locked(self: Any, key: tuple[str, str], entry: Any) -> bool:
        return key[0] == "user" and entry.failures >= 100

    thr.Throttle._hard_locked = hard_locked


def _thr1_addr_threshold_default() -> None:
    _thr().Throttle._wait = _wait_with(addr_threshold=5)


def _thr8_restart_loses_addrs() -> None:
    thr = _thr()

    def load(self: Any) -> None:
        if self._db is None:
            return
        rows = self._db.execute("SELECT kind, key, failures, last FROM failures ORDER BY last")
        for kind, key, failures, last in rows:
            if kind == "user":
                self._tables[kind][key] = thr._Entry(int(failures), float(last))

    thr._FailureTables.load = load


def _thr6_addr_hard_locked() -> None:
    thr = _thr()

    def hard_locked(self: Any, key: tuple[str, str], entry: Any) -> bool:
        return bool(entry.failures >= self.config.lock_after)

    thr.Throttle._hard_locked = hard_locked


def _thr9_shared_bound() -> None:
    thr = _thr()

    def trim(self: Any, now: float) -> None:
        tables = self._entries
        excess = len(tables) - self.config.max_entries
        if excess <= 0:
            return
        candidates: list[tuple[float, str, str]] = []
        for kind in thr._KINDS:
            for key, entry in tables.table(kind).items():
                if not self._hard_locked((kind, key), entry) and self._wait((kind, key), now) <= 0:
                    candidates.append((entry.last, kind, key))
        candidates.sort()
        for _, kind, key in candidates[:excess]:
            del tables[(kind, key)]

    thr.Throttle._trim = trim


def _thr10_ipv4_per_24() -> None:
    thr = _thr()
    original = thr.address_key

    def address_key(address: str) -> str:
        key: str = original(address)
        if "." in key and ":" not in key and "/" not in key:
            return key.rsplit(".", 1)[0] + ".0/24"  # "a /24 is one site, like a /64"
        return key

    thr.address_key = address_key


def _frm12_eke2_upper_hex() -> None:
    hs = _hs()
    original = hs._control

    def control(frame_type: bytes, obj: dict[str, Any]) -> bytes:
        if frame_type == hs.T_EKE2:
            obj = {k: v.upper() if isinstance(v, str) else v for k, v in obj.items()}
        result: bytes = original(frame_type, obj)
        return result

    hs._control = control


def _rec1_idle_eror_in_clear() -> None:
    srv = _srv()
    original = srv.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if code is _err().ErrorCode.TIMEOUT:
            with contextlib.suppress(OSError):
                stream.sock.sendall(_hs().encode_error(code, message))
            return
        original(self, stream, code, message)

    srv.EkeServer._send_fatal = send_fatal


# --- lens 5: crypto API misuse -----------------------------------------------------------


def _hs10_ephemeral_cached() -> None:
    cr = _cr()
    original = cr.new_ephemeral
    cache: list[Any] = []

    def new_ephemeral() -> Any:
        if not cache:
            cache.append(original())  # modexp is expensive: once per process
        return cache[0]

    cr.new_ephemeral = new_ephemeral


def _hs10_ns_cached() -> None:
    cr = _cr()
    original = cr.new_nonce
    cache: list[bytes] = []

    def new_nonce() -> bytes:
        if not cache:
            cache.append(original())
        return cache[0]

    cr.new_nonce = new_nonce


def _hs6_ns_prefix_compare() -> None:
    def check(self: Any, plain: bytes) -> bool:
        ok = hmac.compare_digest(plain[32:48], self._ns[:16])
        return ok and not self._doomed

    _hs().ServerHandshake._on_eke3 = _on_eke3_with(check)


def _rec4_replay_window() -> None:
    cr = _cr()
    original = cr.RecordOpener.open

    def open_record(self: Any, header: Any, sealed: Any) -> Any:
        try:
            return original(self, header, sealed)
        except _err().AuthenticationFailed:
            if self.sequence == 0:
                raise
            self.sequence -= 1  # a retransmission of the last record?
            try:
                return original(self, header, sealed)
            except _err().AuthenticationFailed:
                self.sequence += 1
                raise

    cr.RecordOpener.open = open_record


def _hs3_fake_key_scrypt() -> None:
    store = _store()
    cr = _cr()

    def key_for(self: Any, name: str) -> bytes:
        with self._lock:
            row = self._db.execute("SELECT pw FROM users WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return bytes(row[0])
        # An unknown user gets a key "like everyone's": scrypt of a per-server secret.
        key: bytes = cr.password_key(name, self._server_secret.hex())
        return key

    store.PasswordStore.key_for = key_for


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b9eke-ks1-th-len-chars",
        "EKE-KS-1",
        "test_eke_handshake.py",
        "the transcript's length prefix counts characters, not UTF-8 bytes",
        _ks1_th_len_chars,
    ),
    _m(
        "b9eke-thr1-addr-not-counted",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failed handshakes are counted per user name only, never per address",
        _thr1_addr_not_counted,
    ),
    _m(
        "b9eke-thr4-success-resets-addr",
        "EKE-THR-4",
        "test_eke_throttling.py",
        "a success forgets the address's failures instead of the user's",
        _thr4_success_resets_addr,
    ),
    _m(
        "b9eke-thr7-end-user-twice",
        "EKE-THR-7",
        "test_eke_second_use.py",
        "ending a handshake releases the user's pending slot twice, never the address's",
        _thr7_end_user_twice,
    ),
    _m(
        "b9eke-thr6-exponent-off-by-one",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the backoff exponent is n - N + 1: every block twice too long",
        _thr6_exponent_off_by_one,
    ),
    _m(
        "b9eke-hs6-ns-check-inverted",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "a C3 under the right keys but with another Ns is accepted (condition inverted)",
        _hs6_ns_check_inverted,
    ),
    _m(
        "b9eke-lim1-deadline-per-frame",
        "LIM-1",
        "test_eke_handshake_stalls.py",
        "the handshake deadline restarts at every handshake message answered",
        _lim1_deadline_per_frame,
    ),
    _m(
        "b9eke-thr6-retry-after-ms",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "retry_after is sent in milliseconds",
        _thr6_retry_after_ms,
    ),
    # lens 2
    _m(
        "b9eke-frm12-hex-fromhex",
        "FRM-12",
        "test_eke_handshake.py",
        "handshake hex members checked by bytes.fromhex: upper-case hex accepted",
        _frm12_hex_fromhex,
    ),
    _m(
        "b9eke-frm9-hs-json-defaults",
        "FRM-9",
        "test_eke_handshake.py",
        "handshake frames parsed with json.loads defaults: duplicate keys and NaN accepted",
        _frm9_hs_json_defaults,
    ),
    _m(
        "b9eke-pw4-user-strip",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "the account lookup strips the user name: ' alice' gets alice's pw",
        _pw4_user_strip,
    ),
    _m(
        "b9eke-pw4-sql-like",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "the account lookup uses SQL LIKE: case folded, '_' and '%' match an account",
        _pw4_sql_like,
    ),
    _m(
        "b9eke-x3-reduce-mod-p",
        "EKE-X-3",
        "test_eke_handshake.py",
        "X' >= p is reduced mod p instead of refused",
        _x3_reduce_mod_p,
    ),
    _m(
        "b9eke-err7-retry-after-float",
        "ERR-7",
        "test_eke_throttling.py",
        "retry_after is encoded as a float (2.0)",
        _err7_retry_after_float,
    ),
    # lens 3
    _m(
        "b9eke-thr5-peer-eror-not-counted",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a client's EROR after EKE2 ends the handshake uncounted",
        _thr5_peer_eror_not_counted,
    ),
    _m(
        "b9eke-thr5-bad-eke3-not-counted",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a malformed or unexpected frame in place of EKE3 is not counted",
        _thr5_bad_eke3_not_counted,
    ),
    _m(
        "b9eke-thr5-timeout-not-counted",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a handshake that times out after EKE2 is not counted",
        _thr5_timeout_not_counted,
    ),
    _m(
        "b9eke-hs11-timeout-as-auth",
        "EKE-HS-11",
        "test_eke_handshake_stalls.py",
        "a handshake timeout after EKE2 is answered auth_failed instead of timeout",
        _hs11_timeout_as_auth,
    ),
    _m(
        "b9eke-rec4-bad-record-eror-clear",
        "EKE-REC-4",
        "test_eke_records.py",
        "a record that fails to authenticate is answered by a plaintext EROR",
        _rec4_bad_record_eror_clear,
    ),
    _m(
        "b9eke-rec4-bad-record-skipped",
        "EKE-REC-4",
        "test_eke_records.py",
        "a record that fails to authenticate is dropped; the connection goes on",
        _rec4_bad_record_skipped,
    ),
    _m(
        "b9eke-thr7-busy-counted",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "a busy refusal counts as a failure",
        _thr7_busy_counted,
    ),
    _m(
        "b9eke-err3-throttled-linger",
        "ERR-3",
        "test_eke_throttling.py",
        "after EROR throttled the server waits for the client's FIN before closing",
        _err3_throttled_linger,
    ),
    # lens 4
    _m(
        "b9eke-thr6-cap-ignored",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "--throttle-cap is parsed but the backoff is capped at 300 s",
        _thr6_cap_ignored,
    ),
    _m(
        "b9eke-thr11-lock-after-ignored",
        "EKE-THR-11",
        "test_eke_throttling.py",
        "--lock-after is parsed but the hard cap is 100",
        _thr11_lock_after_ignored,
    ),
    _m(
        "b9eke-thr1-addr-threshold-default",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "the address table uses the default threshold 5, not the configured N",
        _thr1_addr_threshold_default,
    ),
    _m(
        "b9eke-thr8-restart-loses-addrs",
        "EKE-THR-8",
        "test_eke_restart.py",
        "a restart reloads the user table only: addresses' counts are lost",
        _thr8_restart_loses_addrs,
    ),
    _m(
        "b9eke-thr6-addr-hard-locked",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the hard cap applies to addresses too: an address's lock never expires",
        _thr6_addr_hard_locked,
    ),
    _m(
        "b9eke-thr9-shared-bound",
        "EKE-THR-9",
        "test_eke_tables.py",
        "one bound for both failure tables; the oldest entry of either is evicted",
        _thr9_shared_bound,
    ),
    # lens 5
    _m(
        "b9eke-hs10-ephemeral-cached",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server's ephemeral y is drawn once per process",
        _hs10_ephemeral_cached,
    ),
    _m(
        "b9eke-hs10-ns-cached",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server's Ns is drawn once per process",
        _hs10_ns_cached,
    ),
    _m(
        "b9eke-hs6-ns-prefix-compare",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "Ns is compared on its first 16 bytes",
        _hs6_ns_prefix_compare,
    ),
    _m(
        "b9eke-rec4-replay-window",
        "EKE-REC-4",
        "test_eke_records.py",
        "a failing record is retried with the previous sequence number: replays delivered",
        _rec4_replay_window,
    ),
    _m(
        "b9eke-hs3-fake-key-scrypt",
        "EKE-HS-3",
        "test_timing.py",
        "an unknown user's fake key is derived with scrypt: unknown users answered later",
        _hs3_fake_key_scrypt,
    ),
    # written after the blind measure
    _m(
        "b9eke-err3-busy-linger",
        "ERR-3",
        "test_eke_throttling.py",
        "after EROR busy the server waits for the client's FIN before closing",
        _err3_busy_linger,
    ),
    _m(
        "b9eke-thr10-ipv4-per-24",
        "EKE-THR-10",
        "test_eke_address_units.py",
        "IPv4 addresses are counted per /24, like IPv6 per /64",
        _thr10_ipv4_per_24,
    ),
    _m(
        "b9eke-frm12-eke2-upper-hex",
        "FRM-12",
        "test_eke_handshake.py",
        "EKE2's hex members are written in upper case",
        _frm12_eke2_upper_hex,
    ),
    _m(
        "b9eke-rec1-idle-eror-in-clear",
        "EKE-REC-1",
        "test_eke_records.py",
        "the idle timeout's EROR is sent as a plaintext frame",
        _rec1_idle_eror_in_clear,
    ),
)
