"""Mutants of the sft-eke/1 server: handshake, key schedule, records, throttling.

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement. Every mutant still interoperates with an honest client (the sanity
conversation passes): the bug shows only to a client that deviates.
"""

from __future__ import annotations

import hmac
import math
import unicodedata
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_HS = "test_eke_handshake.py"
_REC = "test_eke_records.py"
_THR = "test_eke_throttling.py"


# ---------------------------------------------------------------- EKE3 verification


def _patch_on_eke3(check: Any, *, key_fallback: bool = False) -> None:
    """Replaces ServerHandshake._on_eke3 by one that opens C3 and asks `check(plain, ns)`
    for the client nonce Na (None: refuse)."""
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        sealed = bytes.fromhex(obj["c"])
        try:
            plain = crypto.open_confirm(self._keys.kcc, 3, sealed, self._th)
        except errors.AuthenticationFailed:
            if not key_fallback:
                raise
            plain = crypto.open_confirm(self._keys.kcs, 3, sealed, self._th)
        na = check(bytes(plain), self._ns)
        if na is None or self._doomed:
            raise errors.AuthenticationFailed()
        c4 = crypto.seal_confirm(self._keys.kcs, 4, na, self._th)
        self._outbox += handshake._control(handshake.T_EKE4, {"c": c4.hex()})
        return handshake.Established(self.user, self._keys)

    handshake.ServerHandshake._on_eke3 = on_eke3


def _ns_not_compared() -> None:
    # "The AEAD tag already proves the client has the key": Ns is never looked at.
    _patch_on_eke3(lambda plain, ns: plain[:32])


def _ns_prefix_compared() -> None:
    # A fixed-size compare copied from a 16-byte MAC check.
    _patch_on_eke3(
        lambda plain, ns: plain[:32] if hmac.compare_digest(plain[32:48], ns[:16]) else None
    )


def _ns_anywhere() -> None:
    # "Ns must be in there somewhere": a substring test instead of the position.
    _patch_on_eke3(lambda plain, ns: plain[:32] if ns in plain else None)


def _c3_any_length() -> None:
    # A lenient schema ("c" is any hex string) and "ends with Ns" read literally.
    handshake = _module("reference.eke.handshake")
    handshake._SCHEMAS[handshake.T_EKE3] = {"c": ("str", True)}
    _patch_on_eke3(lambda plain, ns: plain[:32] if plain.endswith(ns) else None)


def _c3_tag_unchecked() -> None:
    # C3 decrypted as plain AES-CTR ("Ns is checked anyway, the tag is redundant").
    crypto = _module("reference.eke.crypto")
    ciphers = _module("cryptography.hazmat.primitives.ciphers")
    original = crypto.open_confirm

    def open_confirm(key: bytes, step: int, sealed: bytes, th: bytes) -> bytes:
        if step != 3:
            result: bytes = original(key, step, sealed, th)
            return result
        # GCM encrypts with the counter block nonce ‖ u32be(2) onwards.
        counter = bytes(11) + bytes((step,)) + (2).to_bytes(4, "big")
        decryptor = ciphers.Cipher(
            ciphers.algorithms.AES(key), ciphers.modes.CTR(counter)
        ).decryptor()
        return bytes(decryptor.update(sealed[:-16]) + decryptor.finalize())

    crypto.open_confirm = open_confirm


def _c3_either_confirm_key() -> None:
    # A C3 that fails under Kcc is retried under Kcs ("the two confirmation keys got mixed
    # up once, be tolerant"): the server's own confirmation key now opens client proofs.
    _patch_on_eke3(
        lambda plain, ns: plain[:32] if hmac.compare_digest(plain[32:], ns) else None,
        key_fallback=True,
    )


# ---------------------------------------------------------------- key schedule, names


def _transcript_counts_characters() -> None:
    crypto = _module("reference.eke.crypto")
    hashlib = _module("hashlib")
    struct = _module("struct")

    def transcript_hash(user: str, a: bytes, b: bytes) -> bytes:
        # u16be(len(U)) with len() of the str: characters, not UTF-8 bytes.
        raw = user.encode("utf-8")
        data = b"sft-eke/1 transcript" + struct.pack("!H", len(user)) + raw + bytes(a) + bytes(b)
        digest: bytes = hashlib.sha256(data).digest()
        return digest

    crypto.transcript_hash = transcript_hash


def _patch_key_for(normalise: Any) -> None:
    store = _module("reference.eke.store")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        result: bytes = original(self, normalise(self, name))
        return result

    store.PasswordStore.key_for = key_for


def _user_name_case_folded() -> None:
    # `SELECT ... WHERE name = ? COLLATE NOCASE`: "Alice" logs in with alice's key.
    def normalise(store: Any, name: str) -> str:
        with store._lock:
            row = store._db.execute(
                "SELECT name FROM users WHERE name = ? COLLATE NOCASE", (name,)
            ).fetchone()
        return str(row[0]) if row is not None else name

    _patch_key_for(normalise)


def _user_name_trimmed() -> None:
    _patch_key_for(lambda store, name: name.strip())


def _user_name_nfc() -> None:
    _patch_key_for(lambda store, name: unicodedata.normalize("NFC", name))


# ---------------------------------------------------------------- elements, randomness


def _x_reduced_mod_p() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    p = int(crypto.P)

    def pm_decode(encoded: bytes) -> int:
        # "Normalise first": X' >= p is reduced instead of refused.
        value = int.from_bytes(encoded, "big") % p
        if value in (0, 1, p - 1):
            raise errors.AuthenticationFailed()
        return value if crypto.jacobi(value, p) == 1 else p - value

    crypto.pm_decode = pm_decode


def _ns_reused() -> None:
    crypto = _module("reference.eke.crypto")
    nonce = crypto.new_nonce()
    crypto.new_nonce = lambda: nonce  # drawn once at start-up


def _y_reused() -> None:
    crypto = _module("reference.eke.crypto")
    fixed = crypto.new_ephemeral()
    crypto.new_ephemeral = lambda: fixed  # "DH key pair cached for speed"; sign stays random


# ---------------------------------------------------------------- throttling


def _count_at_eke3_only() -> None:
    server = _module("reference.eke.server")
    handshake = _module("reference.eke.handshake")
    transport = _module("reference.eke.transport")
    errors = _module("reference.errors")
    contextlib = _module("contextlib")
    time = _module("time")

    def _handshake(self: Any, sock: Any, address: str) -> Any:
        hs = handshake.ServerHandshake()
        attempted: list[str] = []

        def on_event(event: Any) -> None:
            if isinstance(event, handshake.LoginAttempt):
                wait = self.throttle.retry_after(event.user, address)
                if wait is not None:
                    hs.refuse_throttled(wait)
                    return
                attempted.append(event.user)
                hs.accept(self.store.key_for(event.user))
            elif isinstance(event, handshake.PeerError):
                raise errors.RemoteProtocolError(event.code, "the client sent an error")

        deadline = time.monotonic() + self.config.handshake_timeout
        try:
            established = transport.run_handshake(sock, hs, deadline, on_event)
        except (errors.ProtocolError, transport.HandshakeTimeout, OSError) as exc:
            with contextlib.suppress(OSError):
                sock.close()
            # A failure is a wrong EKE3; a client that walked away has not failed.
            if attempted and isinstance(exc, errors.AuthenticationFailed):
                self.throttle.failed(attempted[0], address)
            return None
        self.throttle.succeeded(established.user, address)
        return established, hs.trailing_data()

    server.EkeServer._handshake = _handshake
    throttle = _module("reference.eke.throttle")

    def succeeded(self: Any, user: str, address: str) -> None:
        with self._lock:
            self._entries.pop(("user", user), None)

    throttle.Throttle.succeeded = succeeded


def _patch_failed(keys: Any) -> None:
    throttle = _module("reference.eke.throttle")

    def failed(self: Any, user: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys(self, user, address):
                entry = self._live(key, now) or throttle._Entry(0, now)
                entry.failures += 1
                entry.last = now
                self._entries[key] = entry
                self._entries.move_to_end(key)

    throttle.Throttle.failed = failed


def _no_address_counter() -> None:
    _patch_failed(lambda self, user, address: [("user", user)])


def _no_user_counter() -> None:
    _patch_failed(lambda self, user, address: [("addr", address)])


def _unknown_user_not_counted() -> None:
    server = _module("reference.eke.server")
    original_init = server.EkeServer.__init__
    known: set[str] = set()

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        known.update(u.name for u in self.store.users())

    server.EkeServer.__init__ = init
    # "Only real accounts can be locked": a name with no row counts for its address only.
    _patch_failed(
        lambda self, user, address: (
            [("addr", address)] + ([("user", user)] if user in known else [])
        )
    )


def _backoff_constant() -> None:
    throttle = _module("reference.eke.throttle")

    def _wait(self: Any, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        cfg = self.config
        if entry is None or entry.failures < cfg.failures:
            return 0.0
        lockout = max(1, math.ceil(min(cfg.cap, cfg.base)))  # no doubling
        return float(entry.last + lockout - now)

    throttle.Throttle._wait = _wait


def _success_clears_address() -> None:
    throttle = _module("reference.eke.throttle")

    def succeeded(self: Any, user: str, address: str) -> None:
        with self._lock:  # "a good login proves the address is fine"
            self._entries.pop(("user", user), None)
            self._entries.pop(("addr", address), None)

    throttle.Throttle.succeeded = succeeded


def _throttle_one_late() -> None:
    throttle = _module("reference.eke.throttle")
    original = throttle.Throttle._wait

    def _wait(self: Any, key: tuple[str, str], now: float) -> float:
        entry = self._live(key, now)
        if entry is None or entry.failures <= self.config.failures:  # `<=`: one too many
            return 0.0
        result: float = original(self, key, now)
        return result

    throttle.Throttle._wait = _wait


def _retry_after_float() -> None:
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")

    def refuse_throttled(self: Any, retry_after: float) -> None:
        # The exact remaining time, "more precise than whole seconds".
        self._outbox += handshake.encode_error(
            errors.ErrorCode.THROTTLED, "too many failed logins", round(retry_after, 3)
        )
        self._failure = errors.RemoteProtocolError(errors.ErrorCode.THROTTLED, "throttled")
        self.state = handshake.HandshakeState.CLOSED

    handshake.ServerHandshake.refuse_throttled = refuse_throttled


# ---------------------------------------------------------------- records


def _bad_record_skipped() -> None:
    records = _module("reference.eke.records")
    errors = _module("reference.errors")
    original = records.RecordReader._next_frame

    def _next_frame(self: Any) -> Any:
        for _ in range(1000):
            try:
                return original(self)
            except errors.AuthenticationFailed:
                # "Drop the damaged record and keep the connection": nothing delivered.
                self._have, self._length = 0, None
        raise errors.AuthenticationFailed()

    records.RecordReader._next_frame = _next_frame


def _short_record_keepalive() -> None:
    records = _module("reference.eke.records")
    errors = _module("reference.errors")
    original = records.RecordReader._next_frame

    def _next_frame(self: Any) -> Any:
        for _ in range(1000):
            try:
                return original(self)
            except errors.RemoteProtocolError:
                # "A record with no room for a frame is a keepalive."
                if self._length is None or self._length > 16:
                    raise
                self._have, self._length = 0, None
        raise errors.AuthenticationFailed()

    records.RecordReader._next_frame = _next_frame


def _record_gap_tolerated() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    original = crypto.RecordOpener.open

    def open_(self: Any, header: Any, sealed: Any) -> Any:
        expected = self.sequence
        for skip in range(4):  # "records may be lost: look a few ahead"
            self.sequence = expected + skip
            try:
                return original(self, header, sealed)
            except errors.AuthenticationFailed:
                continue
        self.sequence = expected
        raise errors.AuthenticationFailed()

    crypto.RecordOpener.open = open_


def _record_reorder_window() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    original = crypto.RecordOpener.open

    def open_(self: Any, header: Any, sealed: Any) -> Any:
        # A DTLS-style window: any unseen sequence number near the expected one.
        seen: set[int] = self.__dict__.setdefault("_seen", set())
        expected = self.sequence
        for seq in range(max(0, expected - 4), expected + 4):
            if seq in seen:
                continue
            self.sequence = seq
            try:
                result = original(self, header, sealed)
            except errors.AuthenticationFailed:
                continue
            seen.add(seq)
            self.sequence = max(expected, seq + 1)
            return result
        self.sequence = expected
        raise errors.AuthenticationFailed()

    crypto.RecordOpener.open = open_


def _record_either_direction_key() -> None:
    records = _module("reference.eke.records")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    original_init = records.RecordChannel.__init__

    def init(
        self: Any, keys: Any, *, is_client: bool, max_record: int = 1_048_832, **kwargs: Any
    ) -> None:
        original_init(self, keys, is_client=is_client, max_record=max_record, **kwargs)
        opener = self.reader._opener
        own_key, own_iv = (keys.key_c2s, keys.iv_c2s) if is_client else (keys.key_s2c, keys.iv_s2c)
        other = crypto.RecordOpener(own_key, own_iv, max_record - 16)
        first = opener.open

        def open_(header: Any, sealed: Any) -> Any:
            try:
                return first(header, sealed)
            except errors.AuthenticationFailed:
                # "Maybe the peer used the other key": our own sending key also opens.
                other.sequence = opener.sequence
                result = other.open(header, sealed)
                opener.sequence += 1
                return result

        opener.open = open_

    records.RecordChannel.__init__ = init


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"eke-srv-{name}", "eke-server", "eke", requirement, test_file, description, apply
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("ns-not-compared", "EKE-HS-6", _HS, "C3 opened but Ns never compared", _ns_not_compared),
    _m(
        "ns-prefix-compared",
        "EKE-HS-6",
        _HS,
        "only the first 16 bytes of Ns compared",
        _ns_prefix_compared,
    ),
    _m("ns-anywhere", "EKE-HS-6", _HS, "Ns accepted anywhere in the C3 plaintext", _ns_anywhere),
    _m(
        "c3-any-length",
        "EKE-HS-6",
        _HS,
        "C3 of any length accepted if it ends with Ns",
        _c3_any_length,
    ),
    _m(
        "c3-tag-unchecked",
        "EKE-HS-6",
        _HS,
        "C3 decrypted as AES-CTR, its tag never checked",
        _c3_tag_unchecked,
    ),
    _m(
        "c3-either-confirm-key",
        "EKE-KS-4",
        _HS,
        "C3 also accepted under the server's Kcs",
        _c3_either_confirm_key,
    ),
    _m(
        "transcript-counts-characters",
        "EKE-KS-1",
        _HS,
        "th uses u16be of the name's character count, not its UTF-8 byte count",
        _transcript_counts_characters,
    ),
    _m(
        "user-name-case-folded",
        "EKE-PW-4",
        _HS,
        "user names looked up COLLATE NOCASE",
        _user_name_case_folded,
    ),
    _m(
        "user-name-trimmed",
        "EKE-PW-4",
        _HS,
        "user names stripped of spaces before lookup",
        _user_name_trimmed,
    ),
    _m("user-name-nfc", "EKE-PW-4", _HS, "user names NFC-normalised before lookup", _user_name_nfc),
    _m(
        "x-reduced-mod-p",
        "EKE-X-3",
        _HS,
        "X' >= p reduced mod p instead of refused",
        _x_reduced_mod_p,
    ),
    _m("ns-reused", "EKE-HS-10", _HS, "Ns drawn once at start-up", _ns_reused),
    _m("y-reused", "EKE-HS-10", _HS, "the exponent y is reused (its sign stays random)", _y_reused),
    _m(
        "count-at-eke3-only",
        "EKE-THR-5",
        _THR,
        "a failure counted only at a bad EKE3: guesses checked on C2 and abandoned are free",
        _count_at_eke3_only,
    ),
    _m(
        "no-address-counter",
        "EKE-THR-1",
        _THR,
        "failures counted per user name only",
        _no_address_counter,
    ),
    _m("no-user-counter", "EKE-THR-1", _THR, "failures counted per address only", _no_user_counter),
    _m(
        "unknown-user-not-counted",
        "EKE-THR-1",
        _THR,
        "unknown user names are not counted",
        _unknown_user_not_counted,
    ),
    _m(
        "backoff-constant",
        "EKE-THR-6",
        _THR,
        "the lock never grows (no doubling)",
        _backoff_constant,
    ),
    _m(
        "success-clears-address",
        "EKE-THR-6",
        _THR,
        "a success resets the address's whole count",
        _success_clears_address,
    ),
    _m(
        "throttle-one-late",
        "EKE-THR-1",
        _THR,
        "throttled after N+1 failures, not N",
        _throttle_one_late,
    ),
    _m(
        "retry-after-float",
        "ERR-7",
        _THR,
        "retry_after sent as fractional seconds",
        _retry_after_float,
    ),
    _m(
        "bad-record-skipped",
        "EKE-REC-4",
        _REC,
        "a record that fails to authenticate is dropped and the connection kept",
        _bad_record_skipped,
    ),
    _m(
        "short-record-keepalive",
        "EKE-REC-4",
        _REC,
        "a record of at most 16 bytes (no room for a frame) is ignored as a keepalive",
        _short_record_keepalive,
    ),
    _m(
        "record-gap-tolerated",
        "EKE-REC-2",
        _REC,
        "a record is also tried with the next 3 sequence numbers (lost records tolerated)",
        _record_gap_tolerated,
    ),
    _m(
        "record-reorder-window",
        "EKE-REC-2",
        _REC,
        "a replay window: any unseen sequence number near the expected one opens",
        _record_reorder_window,
    ),
    _m(
        "record-either-direction-key",
        "EKE-KS-4",
        _REC,
        "a record that fails under the c2s key is opened with the s2c key",
        _record_either_direction_key,
    ),
)
