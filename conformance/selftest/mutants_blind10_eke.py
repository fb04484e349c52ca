"""Blind red-team round 10 (eke SERVER): 34 planted bugs, written from docs/SPEC.md and the
reference's eke server code only, through the five lenses of round 10.

Lens 1 — misreadings of the SPEC:
  b10eke-th-user-len-chars          EKE-KS-1   u16be(len(U)) counts characters, not bytes
  b10eke-throttle-after-n-plus-one  EKE-THR-1  "after N failures" read as "after more than N"
  b10eke-throttle-per-pair          EKE-THR-1  counted per (user, address) pair, not per each
  b10eke-pending-cap-less-than      EKE-THR-7  "at most P pending" read as "fewer than P"
  b10eke-retry-after-ms             EKE-THR-6  throttled retry_after in milliseconds
  b10eke-ipv4-per-24                EKE-THR-10 IPv4 counted per /24 ("a /64 for IPv6" carried over)
  b10eke-record-limit-1mib          EKE-REC-6  record limit 1 MiB, not the frame limit (1 MiB + 256)
Lens 2 — lazy or stubbed features:
  b10eke-backoff-never-grows        EKE-THR-6  the lock is always `base`: no doubling
  b10eke-abandoned-not-counted      EKE-THR-5  only a bad EKE3 counts; a closed/timed-out one not
  b10eke-unknown-user-not-counted   EKE-THR-1  unknown user names get no per-name count
  b10eke-put-idle-unbounded         LIM-2      the idle timeout only between requests, not in a put
  b10eke-get-size-unchecked         APP-GET-2  max file size enforced on puts only
  b10eke-name-check-first-only      APP-NAME-2 the name check runs on a connection's first get only
  b10eke-handshake-deadline-per-read LIM-1     the handshake deadline restarts with every read
Lens 3 — state across sessions, connections and transfers:
  b10eke-pending-user-slot-leak     EKE-THR-7  a success releases the address's pending slot only
  b10eke-server-ephemeral-cached    EKE-HS-10  y, its sign and Ns drawn once per process
  b10eke-admission-pending-leak     LIM-4      a connection ending in its handshake keeps its slot
  b10eke-count-reset-after-lock     EKE-THR-6  the count is forgotten when a lock runs out
  b10eke-send-seq-reset-per-transfer EKE-REC-2 the send sequence restarts at 0 after each DONE
  b10eke-refused-put-stays-receiving ERR-3     after a refused PUTF the connection stays RECEIVING
  b10eke-digest-per-connection      APP-2      one SHA-256 object per connection, never reset
  b10eke-hard-lock-total-failures   EKE-THR-11 the hard cap counts total failures (not consecutive)
Lens 4 — over-eager hardening:
  b10eke-ascii-user-names           EKE-PW-1   non-ASCII user names refused (bad_frame)
  b10eke-close-after-not-found      ERR-3      the connection closes after a non-fatal get refusal
  b10eke-strict-eke1-members        FRM-10     an EKE1 with an unknown member is bad_frame
  b10eke-early-x-reject             EKE-X-3    an invalid X' is refused at EKE1 (no EKE2)
  b10eke-non-ascii-names-refused    APP-NAME-8 every non-ASCII file name refused `forbidden`
  b10eke-unknown-users-throttled-early EKE-HS-3 unknown user names throttled after one failure
Lens 5 — layer seams:
  b10eke-bad-record-eror-in-clear   EKE-REC-4  a record failing to authenticate answered in clear
  b10eke-auth-message-by-cause      EKE-HS-8   the auth_failed message passes the cause through
  b10eke-integrity-swallowed        APP-PUT-5  the DONE check's error logged and dropped
  b10eke-truncated-put-committed    APP-STORE-3 a `finally` commits the partial file of a cut put
  b10eke-inner-unknown-type-bad-frame FRM-5    unknown inner frame types refused bad_frame
  b10eke-trailing-after-eke3-dropped FRM-4     bytes after EKE3 in the same read are dropped
Written after the blind run (to check the new case generalises; not in the blind count):
  b10eke-put-size-check-first-only  APP-PUT-7  too_large checked on a connection's first PUTF only

Blind result (the suite before this round's cases): 33 of 34 detected (25 with the case
files first guessed; 8 more once `test_file` named the file that judges the requirement:
test_limits.py, test_app_put_sequence.py, test_eke_throttling.py, test_app_names_controls.py,
test_timing.py, test_app_put.py, test_framing.py). The one survivor, name-check-first-only,
is caught by test_eke_later_requests.py; admission-pending-leak and
unknown-users-throttled-early now name the deterministic cases written for their class
(test_eke_second_use.py, test_eke_throttling.py) instead of the cases that caught them
in passing (test_limits.py, test_timing.py).
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_EKE = "eke"


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _server() -> Any:
    return _module("reference.eke.server")


def _transport() -> Any:
    return _module("reference.eke.transport")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _errors() -> Any:
    return _module("reference.errors")


# --- lens 1: misreadings ----------------------------------------------------------------


def _th_user_len_chars() -> None:
    crypto = _crypto()
    _patch_source(
        crypto, "transcript_hash", ('struct.pack("!H", len(raw))', 'struct.pack("!H", len(user))')
    )


def _throttle_after_n_plus_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("entry.failures < cfg.failures", "entry.failures <= cfg.failures"),
    )


def _throttle_per_pair() -> None:
    throttle = _throttle()
    cls = throttle.Throttle
    failed, retry_after, succeeded = cls.failed, cls.retry_after, cls.succeeded

    def pair(user: str, address: str) -> tuple[str, str]:
        unit = throttle.address_key(address)
        return f"{user}\x00{unit}", f"{unit}\x00{user}"

    def new_failed(self: Any, user: str, address: str) -> None:
        u, a = pair(user, address)
        failed(self, u, a)

    def new_retry_after(self: Any, user: str, address: str) -> Any:
        u, a = pair(user, address)
        return retry_after(self, u, a)

    def new_succeeded(self: Any, user: str, address: str) -> None:
        u, a = pair(user, address)
        succeeded(self, u, a)

    cls.failed, cls.retry_after, cls.succeeded = new_failed, new_retry_after, new_succeeded


def _pending_cap_less_than() -> None:
    _patch_source(
        _throttle().Throttle,
        "begin",
        ("self._pending.get(k, 0) >= cap", "self._pending.get(k, 0) >= cap - 1"),
    )


def _retry_after_ms() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        (
            "seconds = max(1, math.ceil(retry_after))",
            "seconds = max(1, math.ceil(retry_after * 1000))",
        ),
    )


def _ipv4_per_24() -> None:
    throttle = _throttle()
    _patch_source(
        throttle,
        "address_key",
        ("return str(ip)", "return str(ipaddress.IPv4Network((ip, 24), strict=False))"),
    )


def _record_limit_1mib() -> None:
    _patch_source(
        _transport().SecureStream,
        "__init__",
        (
            "RecordChannel(established.keys, is_client=is_client, max_record=frame_limit)",
            "RecordChannel(established.keys, is_client=is_client, max_record=MAX_DATA_PAYLOAD)",
        ),
    )


# --- lens 2: lazy or stubbed --------------------------------------------------------------


def _backoff_never_grows() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("cfg.base * 2.0**extra", "cfg.base"),
    )


def _abandoned_not_counted() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "if isinstance(exc, AuthenticationFailed):\n"
            "                self.throttle.failed(attempted[0], address)",
        ),
    )


def _b10_user_known(store: Any, user: str) -> bool:
    with store._lock:
        row = store._db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone()
    return row is not None


def _unknown_user_not_counted() -> None:
    server = _server()
    throttle = _throttle()

    def counted(srv: Any, user: str, address: str) -> None:
        if _b10_user_known(srv.store, user):
            srv.throttle.failed(user, address)
            return
        # The per-name count lives in the users table: an unknown name has no row.
        thr = srv.throttle
        now = thr._clock()
        key = ("addr", throttle.address_key(address))
        with thr._lock:
            entry = thr._live(key, now) or throttle._Entry(0, now)
            entry.failures += 1
            entry.last = now
            thr._entries[key] = entry
            thr._entries.move_to_end(key)

    server._b10_counted = counted
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "_b10_counted(self, attempted[0], address)",
        ),
    )


def _put_idle_unbounded() -> None:
    cls = _server().EkeServer
    begin, finish = cls._begin_put, cls._finish_put

    def new_begin(self: Any, stream: Any, request: Any) -> Any:
        partial = begin(self, stream, request)
        if partial is not None:
            stream.sock.settimeout(None)  # "a put in progress is busy, not idle"
        return partial

    def new_finish(self: Any, stream: Any, partial: Any) -> str:
        stream.sock.settimeout(self.config.idle_timeout)
        result: str = finish(self, stream, partial)
        return result

    cls._begin_put, cls._finish_put = new_begin, new_finish


def _get_size_unchecked() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        ("if shared.size > self.config.max_file_size:", "if False:"),
    )


def _name_check_first_only() -> None:
    share = _module("reference.share")
    check = share.check_name
    seen = threading.local()

    def lazy_check(name: str) -> list[str]:
        if getattr(seen, "checked", False):
            return name.split("/")
        parts: list[str] = check(name)
        seen.checked = True
        return parts

    _patch_source(
        share.ShareDirectory, "open", ("parts = check_name(name)", "parts = _b10_lazy_check(name)")
    )
    share._b10_lazy_check = lazy_check


def _handshake_deadline_per_read() -> None:
    transport = _transport()
    _patch_source(
        transport,
        "run_handshake",
        (
            "_flush(sock, hs)\n    while True:",
            "_flush(sock, hs)\n    span = deadline - time.monotonic()\n    while True:",
        ),
        (
            "hs.receive_data(data)\n",
            "hs.receive_data(data)\n            deadline = time.monotonic() + span\n",
        ),
    )
    _server().run_handshake = transport.run_handshake


# --- lens 3: state ---------------------------------------------------------------------------


def _pending_user_slot_leak() -> None:
    throttle = _throttle()
    cls = throttle.Throttle

    def end_address_only(self: Any, user: str, address: str) -> None:
        with self._lock:
            key = ("addr", throttle.address_key(address))
            left = self._pending.get(key, 0) - 1
            if left > 0:
                self._pending[key] = left
            else:
                self._pending.pop(key, None)

    cls._b10_end_address = end_address_only
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.succeeded(established.user, address)\n"
            "    self.throttle.end(established.user, address)",
            "self.throttle.succeeded(established.user, address)\n"
            "    self.throttle._b10_end_address(established.user, address)",
        ),
    )


def _server_ephemeral_cached() -> None:
    handshake = _handshake()
    crypto = _crypto()
    cls = handshake.ServerHandshake
    init = cls.__init__
    cache: list[Any] = []

    def new_init(self: Any) -> None:
        init(self)
        if not cache:
            cache.append((crypto.new_ephemeral(), secrets.randbits(1), crypto.new_nonce()))
        self._pinned = cache[0]

    cls.__init__ = new_init


def _admission_pending_leak() -> None:
    cls = _module("reference.admission").Admission

    def release(self: Any, key: int) -> None:
        self._established.discard(key)

    cls.release = release


def _count_reset_after_lock() -> None:
    cls = _throttle().Throttle
    wait = cls._wait

    def new_wait(self: Any, key: tuple[str, str], now: float) -> float:
        left: float = wait(self, key, now)
        entry = self._entries.get(key)
        if (
            left <= 0
            and entry is not None
            and entry.failures >= self.config.failures
            and not self._hard_locked(key, entry)
        ):
            del self._entries[key]  # "the lock is over: a clean slate"
        return left

    cls._wait = new_wait


def _send_seq_reset_per_transfer() -> None:
    _patch_source(
        _transport().SecureStream,
        "send",
        (
            "self.channel.release_buffers()",
            "self.channel.release_buffers()\n        self.channel.sealer.sequence = 0",
        ),
    )


def _refused_put_stays_receiving() -> None:
    app = _module("reference.app")
    r = app.ResponderState
    app._SEND_TRANSITIONS[(r.PUT_REQUESTED, _module("reference.messages").ErrorFrame)] = r.RECEIVING


def _digest_per_connection() -> None:
    transport = _transport()
    transport._b10_hashlib = hashlib
    _patch_source(
        transport.SecureStream,
        "__init__",
        (
            "digest_factory=PipelinedSha256,",
            "digest_factory=(lambda d: lambda: d)(_b10_hashlib.sha256()),",
        ),
    )


def _hard_lock_total_failures() -> None:
    throttle = _throttle()
    cls = throttle.Throttle
    failed, wait, locked = cls.failed, cls._wait, cls.locked
    totals: dict[str, int] = {}

    def new_failed(self: Any, user: str, address: str) -> None:
        failed(self, user, address)
        totals[user] = totals.get(user, 0) + 1  # like the store's total_failures column

    def new_wait(self: Any, key: tuple[str, str], now: float) -> float:
        if key[0] == "user" and totals.get(key[1], 0) >= self.config.lock_after:
            return float(math.ceil(self.config.cap))
        left: float = wait(self, key, now)
        return left

    def new_locked(self: Any, user: str) -> bool:
        return totals.get(user, 0) >= self.config.lock_after or bool(locked(self, user))

    cls.failed, cls._wait, cls.locked = new_failed, new_wait, new_locked


# --- lens 4: over-eager hardening ------------------------------------------------------------


def _ascii_user_names() -> None:
    crypto = _crypto()
    check = crypto.check_user_name

    def ascii_only(user: str) -> bytes:
        raw: bytes = check(user)
        if not user.isascii():
            raise ValueError("user names must be ASCII")
        return raw

    crypto.check_user_name = ascii_only


def _close_after_not_found() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        (
            "stream.send(ErrorFrame(exc.code, exc.message))\n"
            '        return f"refused {exc.code.wire_name}"',
            "stream.send(ErrorFrame(exc.code, exc.message))\n"
            '        raise ConnectionError("refused: closing")',
        ),
    )


def _strict_eke1_members() -> None:
    handshake = _handshake()
    cls = handshake.ServerHandshake
    on_eke1 = cls._on_eke1
    errors = _errors()

    def strict(self: Any, obj: dict[str, Any]) -> Any:
        extra = set(obj) - {"user", "a"}
        if extra:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "EKE1: unexpected member")
        return on_eke1(self, obj)

    cls._on_eke1 = strict


def _early_x_reject() -> None:
    handshake = _handshake()
    crypto = _crypto()
    cls = handshake.ServerHandshake
    accept = cls.accept
    errors = _errors()

    def checking_accept(self: Any, pw: bytes) -> None:
        try:
            crypto.reveal_element(pw, self._a)
        except errors.AuthenticationFailed:
            exc = errors.AuthenticationFailed()
            self._outbox += handshake.encode_error(exc.code, exc.MESSAGE)
            self._failure = exc
            self.state = handshake.HandshakeState.CLOSED
            return
        accept(self, pw)

    cls.accept = checking_accept


def _non_ascii_names_refused() -> None:
    share = _module("reference.share")
    check = share.check_name

    def ascii_names(name: str) -> list[str]:
        parts: list[str] = check(name)
        if not name.isascii():
            raise share.NameRefused("non-ASCII names are not allowed")
        return parts

    share.check_name = ascii_names


def _unknown_users_throttled_early() -> None:
    server = _server()

    def wait_for(srv: Any, user: str) -> Any:
        if not _b10_user_known(srv.store, user) and srv.throttle.failures(user=user) >= 1:
            return float(srv.throttle.config.cap)
        return None

    server._b10_unknown_wait = wait_for
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "wait = self.throttle.retry_after(event.user, address)",
            "wait = self.throttle.retry_after(event.user, address)"
            " or _b10_unknown_wait(self, event.user)",
        ),
    )


# --- lens 5: layer seams -------------------------------------------------------------------


def _bad_record_eror_in_clear() -> None:
    server = _server()
    _patch_source(
        server.EkeServer,
        "_serve_records",
        (
            "except (AuthenticationFailed, TruncatedStream):\n                return",
            "except AuthenticationFailed as exc:\n"
            "                sock.sendall(encode_error(exc.code, exc.message))\n"
            "                return\n"
            "            except TruncatedStream:\n"
            "                return",
        ),
    )


def _auth_message_by_cause() -> None:
    handshake = _handshake()
    errors = _errors()
    crypto = _crypto()
    handshake._public_message = lambda exc: exc.message
    cls = handshake.ServerHandshake

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        try:
            plain = crypto.open_confirm(self._keys.kcc, 3, bytes.fromhex(obj["c"]), self._th)
        except errors.AuthenticationFailed:
            cause = "invalid public value" if self._doomed else "key confirmation failed"
            raise errors.RemoteProtocolError(errors.ErrorCode.AUTH_FAILED, cause) from None
        if self._doomed:
            raise errors.RemoteProtocolError(errors.ErrorCode.AUTH_FAILED, "invalid public value")
        if plain[crypto.NONCE_LEN :] != self._ns or len(plain) != 2 * crypto.NONCE_LEN:
            raise errors.RemoteProtocolError(errors.ErrorCode.AUTH_FAILED, "nonce mismatch")
        c4 = crypto.seal_confirm(self._keys.kcs, 4, plain[: crypto.NONCE_LEN], self._th)
        self._outbox += handshake._control(handshake.T_EKE4, {"c": c4.hex()})
        return handshake.Established(self.user, self._keys)

    cls._on_eke3 = on_eke3


def _integrity_swallowed() -> None:
    app = _module("reference.app")
    cls = app._Transfer
    check = cls.check_done
    errors = _errors()
    log = logging.getLogger("sft.app")

    def tolerant(self: Any, done: Any) -> None:
        try:
            check(self, done)
        except errors.RemoteProtocolError as exc:
            log.warning("integrity: %s", exc)  # "the data is there; store it anyway"

    cls.check_done = tolerant


def _truncated_put_committed() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "        if partial is not None:\n            partial.abort()  # [APP-STORE-3]",
            "        if partial is not None:\n"
            "            try:\n"
            "                partial.commit()  # keep what arrived\n"
            "            except Exception:\n"
            "                partial.abort()",
        ),
    )


def _inner_unknown_type_bad_frame() -> None:
    records = _module("reference.eke.records")
    split = records._split_inner
    errors = _errors()
    known = {b"RQFL", b"RSFL", b"PUTF", b"DATA", b"DONE", b"EROR", b"BYE_"}

    def split_known(inner: Any) -> Any:
        frame = split(inner)
        if bytes(frame.type) not in known:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "record plaintext is not an application frame"
            )
        return frame

    records._split_inner = split_known


def _trailing_after_eke3_dropped() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "return established, hs.trailing_data()",
            'hs.trailing_data()\n    return established, b""',
        ),
    )


def _put_size_check_first_only() -> None:
    server = _server()
    seen = threading.local()

    def first_put() -> bool:
        first = not getattr(seen, "put", False)
        seen.put = True
        return first

    server._b10_first_put = first_put
    _patch_source(
        server.EkeServer,
        "_begin_put",
        (
            "if request.size > self.config.max_file_size:",
            "if _b10_first_put() and request.size > self.config.max_file_size:",
        ),
    )


def _m(
    name: str, lens: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=f"blind10-eke-{lens}",
        profile=_EKE,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b10eke-th-user-len-chars",
        "misreading",
        "EKE-KS-1",
        "test_eke_handshake.py",
        "the transcript's u16be(len(U)) counts characters, not UTF-8 bytes",
        _th_user_len_chars,
    ),
    _m(
        "b10eke-throttle-after-n-plus-one",
        "misreading",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "throttled only after more than N failures",
        _throttle_after_n_plus_one,
    ),
    _m(
        "b10eke-throttle-per-pair",
        "misreading",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failures counted per (user, address) pair instead of per user and per address",
        _throttle_per_pair,
    ),
    _m(
        "b10eke-pending-cap-less-than",
        "misreading",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "pending cap P allows only P-1 pending handshakes",
        _pending_cap_less_than,
    ),
    _m(
        "b10eke-retry-after-ms",
        "misreading",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "throttled retry_after given in milliseconds",
        _retry_after_ms,
    ),
    _m(
        "b10eke-ipv4-per-24",
        "misreading",
        "EKE-THR-10",
        "test_eke_address_units.py",
        "IPv4 client addresses counted per /24",
        _ipv4_per_24,
    ),
    _m(
        "b10eke-record-limit-1mib",
        "misreading",
        "EKE-REC-6",
        "test_eke_records.py",
        "record length limit 1 MiB instead of the frame limit: a full DATA record refused",
        _record_limit_1mib,
    ),
    # lens 2
    _m(
        "b10eke-backoff-never-grows",
        "lazy",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the lock is always `base` seconds: no exponential growth",
        _backoff_never_grows,
    ),
    _m(
        "b10eke-abandoned-not-counted",
        "lazy",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a pending handshake that is closed or times out is not counted",
        _abandoned_not_counted,
    ),
    _m(
        "b10eke-unknown-user-not-counted",
        "lazy",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failures of unknown user names are not counted per name",
        _unknown_user_not_counted,
    ),
    _m(
        "b10eke-put-idle-unbounded",
        "lazy",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is being received",
        _put_idle_unbounded,
    ),
    _m(
        "b10eke-get-size-unchecked",
        "lazy",
        "APP-GET-2",
        "test_app_get.py",
        "a get of a file above the size limit is served (limit checked for puts only)",
        _get_size_unchecked,
    ),
    _m(
        "b10eke-name-check-first-only",
        "lazy",
        "APP-NAME-2",
        "test_eke_later_requests.py",
        "the name of a get is checked on a connection's first get only",
        _name_check_first_only,
    ),
    _m(
        "b10eke-handshake-deadline-per-read",
        "lazy",
        "LIM-1",
        "test_eke_handshake_stalls.py",
        "the handshake deadline restarts with every read: trickling bytes extend it",
        _handshake_deadline_per_read,
    ),
    # lens 3
    _m(
        "b10eke-pending-user-slot-leak",
        "state",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "a successful handshake releases the address's pending slot but not the user's",
        _pending_user_slot_leak,
    ),
    _m(
        "b10eke-server-ephemeral-cached",
        "state",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server's y, sign bit and Ns drawn once per process",
        _server_ephemeral_cached,
    ),
    _m(
        "b10eke-admission-pending-leak",
        "state",
        "LIM-4",
        "test_eke_second_use.py",
        "a connection that ends during its handshake never frees its slot",
        _admission_pending_leak,
    ),
    _m(
        "b10eke-count-reset-after-lock",
        "state",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the failure count is forgotten once a lock runs out",
        _count_reset_after_lock,
    ),
    _m(
        "b10eke-send-seq-reset-per-transfer",
        "state",
        "EKE-REC-2",
        "test_eke_records.py",
        "the server's send sequence number restarts at 0 after each DONE it sends",
        _send_seq_reset_per_transfer,
    ),
    _m(
        "b10eke-refused-put-stays-receiving",
        "state",
        "ERR-3",
        "test_app_refusals.py",
        "after a non-fatal refusal of PUTF the connection stays in RECEIVING",
        _refused_put_stays_receiving,
    ),
    _m(
        "b10eke-digest-per-connection",
        "state",
        "APP-2",
        "test_app_put_sequence.py",
        "one SHA-256 object per connection, never reset between transfers",
        _digest_per_connection,
    ),
    _m(
        "b10eke-hard-lock-total-failures",
        "state",
        "EKE-THR-11",
        "test_eke_throttling.py",
        "the hard cap counts a user's total failures, which a success does not reset",
        _hard_lock_total_failures,
    ),
    # lens 4
    _m(
        "b10eke-ascii-user-names",
        "hardening",
        "EKE-PW-1",
        "test_eke_handshake.py",
        "non-ASCII user names refused with bad_frame",
        _ascii_user_names,
    ),
    _m(
        "b10eke-close-after-not-found",
        "hardening",
        "ERR-3",
        "test_app_refusals.py",
        "the connection is closed after a non-fatal refusal of a get",
        _close_after_not_found,
    ),
    _m(
        "b10eke-strict-eke1-members",
        "hardening",
        "FRM-10",
        "test_eke_handshake.py",
        "an EKE1 with a member the schema does not define is bad_frame",
        _strict_eke1_members,
    ),
    _m(
        "b10eke-early-x-reject",
        "hardening",
        "EKE-X-3",
        "test_eke_handshake.py",
        "an invalid X' is refused with auth_failed at EKE1 instead of at EKE3",
        _early_x_reject,
    ),
    _m(
        "b10eke-non-ascii-names-refused",
        "hardening",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "every file name with a non-ASCII character is refused forbidden",
        _non_ascii_names_refused,
    ),
    _m(
        "b10eke-unknown-users-throttled-early",
        "hardening",
        "EKE-HS-3",
        "test_eke_throttling.py",
        "an unknown user name is throttled after its first failure",
        _unknown_users_throttled_early,
    ),
    # lens 5
    _m(
        "b10eke-bad-record-eror-in-clear",
        "seam",
        "EKE-REC-4",
        "test_eke_records.py",
        "a record that fails to authenticate is answered with a clear EROR auth_failed",
        _bad_record_eror_in_clear,
    ),
    _m(
        "b10eke-auth-message-by-cause",
        "seam",
        "EKE-HS-8",
        "test_eke_handshake.py",
        "the auth_failed message says the cause (invalid value, confirmation, nonce)",
        _auth_message_by_cause,
    ),
    _m(
        "b10eke-integrity-swallowed",
        "seam",
        "APP-PUT-5",
        "test_app_put.py",
        "a size/SHA-256 mismatch at DONE is logged and the put stored anyway",
        _integrity_swallowed,
    ),
    _m(
        "b10eke-truncated-put-committed",
        "seam",
        "APP-STORE-3",
        "test_app_put.py",
        "a `finally` commits the partial file of a put cut short",
        _truncated_put_committed,
    ),
    _m(
        "b10eke-inner-unknown-type-bad-frame",
        "seam",
        "FRM-5",
        "test_framing.py",
        "the record layer refuses an unknown inner frame type with bad_frame",
        _inner_unknown_type_bad_frame,
    ),
    _m(
        "b10eke-trailing-after-eke3-dropped",
        "seam",
        "FRM-4",
        "test_eke_handshake.py",
        "bytes that arrive with EKE3 (the first records) are dropped",
        _trailing_after_eke3_dropped,
    ),
    # written after the blind run
    _m(
        "b10eke-put-size-check-first-only",
        "lazy",
        "APP-PUT-7",
        "test_eke_later_requests.py",
        "the size limit of a put is checked on a connection's first PUTF only",
        _put_size_check_first_only,
    ),
)
