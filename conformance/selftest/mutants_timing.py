"""Mutants of side channels: value- or class-dependent time (timing cases).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement in conformance/test_timing.py. None changes a message, a size or an
error code — the deterministic cases pass them all; only the clock tells.

Which tier catches which (docs in conformance/test_timing.py): the quick tier (default
run) is built for effects of about a millisecond and more; `timing-sec4-value-delay`
(~100 µs) is for the thorough tier (`SFT_TIMING_TIER=thorough`, inherited by the
self-test's suite runs).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_FILE = "test_timing.py"


# ---------------------------------------------------------------- EKE-HS-3: unknown users


def _fake_keys() -> set[bytes]:
    """Patches PasswordStore.key_for to remember which keys it made up (unknown users)."""
    store = _module("reference.eke.store")
    made_up: set[bytes] = set()
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        key: bytes = original(self, name)
        with self._lock:
            row = self._db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            made_up.add(key)
        return key

    store.PasswordStore.key_for = key_for
    return made_up


def _unknown_user_no_dh() -> None:
    # "Nobody can log in as a user who does not exist: send random B and C2, skip the
    # Diffie–Hellman." Same sizes, same EROR later — and an EKE2 milliseconds early.
    made_up = _fake_keys()
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    original = handshake.ServerHandshake.accept

    def accept(self: Any, pw: bytes) -> None:
        if pw not in made_up:
            original(self, pw)
            return
        b = crypto.random_bytes(crypto.ELEMENT_LEN)
        self._doomed = True
        self._th = crypto.transcript_hash(self.user, self._a, b)
        self._keys = crypto.derive_keys(crypto.random_bytes(crypto.ELEMENT_LEN), self._th)
        self._ns = crypto.new_nonce()
        c2 = crypto.seal_confirm(self._keys.kcs, 2, self._ns, self._th)
        self._outbox += handshake._control(handshake.T_EKE2, {"b": b.hex(), "c": c2.hex()})
        self.state = handshake.HandshakeState.SERVER_AWAIT_EKE3

    handshake.ServerHandshake.accept = accept


def _unknown_user_half_dh() -> None:
    # "B must look real, but there is no X to make Z with": g^y and E_fake(Y) are
    # computed, D_fake(A), its Jacobi symbol and X^y are not.
    made_up = _fake_keys()
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    original = handshake.ServerHandshake.accept

    def accept(self: Any, pw: bytes) -> None:
        if pw not in made_up:
            original(self, pw)
            return
        ephemeral = crypto.new_ephemeral()
        b = crypto.hide_element(pw, ephemeral.element)
        self._doomed = True
        self._th = crypto.transcript_hash(self.user, self._a, b)
        self._keys = crypto.derive_keys(crypto.random_bytes(crypto.ELEMENT_LEN), self._th)
        self._ns = crypto.new_nonce()
        c2 = crypto.seal_confirm(self._keys.kcs, 2, self._ns, self._th)
        self._outbox += handshake._control(handshake.T_EKE2, {"b": b.hex(), "c": c2.hex()})
        self.state = handshake.HandshakeState.SERVER_AWAIT_EKE3

    handshake.ServerHandshake.accept = accept


def _unknown_user_scrypt_fake_key() -> None:
    # "Derive the fake key like a real one": scrypt per unknown name (0.1 s) where a
    # known user's pw is read from the store — the unknown user's EKE2 comes late.
    store = _module("reference.eke.store")
    crypto = _module("reference.eke.crypto")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        key: bytes = original(self, name)
        with self._lock:
            row = self._db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            key = crypto.password_key(name, self._server_secret.hex())
        return key

    store.PasswordStore.key_for = key_for


_SERVER: list[Any] = []


def _remember_servers() -> None:
    server = _module("reference.eke.server")
    original = server.EkeServer.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _SERVER.append(self)

    server.EkeServer.__init__ = init


def _known_user_counters_before_fin() -> None:
    # The order before commit 05c4051: a failed login's counters are written to the
    # store (a row for a known user, nothing for an unknown one), durably, and only then
    # is the connection closed: the FIN of a known user's failure comes later.
    _remember_servers()
    server = _module("reference.eke.server")
    socket_mod = _module("socket")
    real_close = socket_mod.socket.close

    def close(sock: Any) -> None:
        user = _ATTEMPTS.pop(id(sock), None)
        if user is not None and _SERVER:
            store = _SERVER[0].store
            store.record_login(user, success=False)
            _slow_commit(store)
        real_close(sock)

    socket_mod.socket.close = close
    _track_attempts(server)


_ATTEMPTS: dict[int, str] = {}


def _track_attempts(server: Any) -> None:
    """Remembers, per server socket, the user whose EKE2 went out, until it fails."""
    original = server.EkeServer._handshake
    handshake = _module("reference.eke.handshake")
    accept = handshake.ServerHandshake.accept
    local = threading.local()

    def tracked_handshake(self: Any, sock: Any, address: str) -> Any:
        local.sock = sock
        try:
            result = original(self, sock, address)
        finally:
            local.sock = None
        if result is not None:
            _ATTEMPTS.pop(id(sock), None)
        return result

    def tracked_accept(self: Any, pw: bytes) -> None:
        accept(self, pw)
        sock = getattr(local, "sock", None)
        store = _SERVER[0].store if _SERVER else None
        if sock is not None and store is not None and self.user is not None:
            with store._lock:
                row = store._db.execute(
                    "SELECT 1 FROM users WHERE name = ?", (self.user,)
                ).fetchone()
            if row is not None:
                _ATTEMPTS[id(sock)] = self.user

    server.EkeServer._handshake = tracked_handshake
    handshake.ServerHandshake.accept = tracked_accept


def _slow_commit(store: Any) -> None:
    # The store commits with a durable write (what a production store does per login).
    with store._lock:
        store._db.commit()
    fd, path = tempfile.mkstemp(prefix="sft-mutant-")
    try:
        os.write(fd, b"failed login\n" * 64)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(path)


# ---------------------------------------------------------------- EKE-HS-8: causes at EKE3


def _ns_mismatch_recomputes() -> None:
    # "The AEAD opened, so the keys are right; maybe our Ns is stale: re-derive and
    # compare again" — one more exponentiation only when the cause is a wrong Ns.
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    hmac = _module("hmac")
    original = handshake.ServerHandshake._on_eke3

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        try:
            plain = crypto.open_confirm(self._keys.kcc, 3, bytes.fromhex(obj["c"]), self._th)
        except Exception:
            return original(self, obj)
        if not hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns):
            fresh = crypto.new_ephemeral()
            crypto._modexp(fresh.element, fresh.exponent)
        return original(self, obj)

    handshake.ServerHandshake._on_eke3 = on_eke3


def _counters_before_eror() -> None:
    # A failed EKE3 of a known user updates its store row (and the durable log) before
    # the EROR goes out; an unknown user has no row, so its EROR comes at once.
    _remember_servers()
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    original = handshake.ServerHandshake._on_eke3

    def on_eke3(self: Any, obj: dict[str, Any]) -> Any:
        try:
            return original(self, obj)
        except errors.AuthenticationFailed:
            store = _SERVER[0].store if _SERVER else None
            if store is not None and self.user is not None:
                with store._lock:
                    row = store._db.execute(
                        "SELECT 1 FROM users WHERE name = ?", (self.user,)
                    ).fetchone()
                if row is not None:
                    store.record_login(self.user, success=False)
                    _slow_commit(store)
            raise

    handshake.ServerHandshake._on_eke3 = on_eke3


# ---------------------------------------------------------------- EKE-SEC-4: D_pw(A)


def _old_jacobi() -> None:
    # The residuosity decision straight on D_pw(A), as before the fix: the binary
    # Jacobi loop's length follows the password-dependent value.
    crypto = _module("reference.eke.crypto")
    crypto._is_residue_blinded = lambda value: crypto.jacobi(value, crypto.P) == 1


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _value_delay() -> None:
    # ~100 µs more when D_pw(A) is above p/2 (the negation branch of ±X done through a
    # slow big-integer path): a small value-dependent delay, for the thorough tier.
    crypto = _module("reference.eke.crypto")
    original = crypto.pm_decode

    def pm_decode(encoded: bytes) -> int:
        if int.from_bytes(encoded, "big") > crypto.P // 2:
            _busy(100e-6)
        result: int = original(encoded)
        return result

    crypto.pm_decode = pm_decode


def _double_checked_negation() -> None:
    # "Make sure p − X' is the residue": a second (blinded, but still) Jacobi symbol,
    # only when X' itself is a non-residue — the residuosity of D_pw(A) shows in time.
    crypto = _module("reference.eke.crypto")
    original = crypto._is_residue_blinded

    def is_residue(value: int) -> bool:
        residue: bool = original(value)
        if not residue:
            original(crypto.P - value % crypto.P)
        return residue

    crypto._is_residue_blinded = is_residue


# ---------------------------------------------------------------- CA-ENR-6


def _ca_no_dummy_hash() -> None:
    # "An unknown alias can never match: return False at once."
    ca = _module("reference.pki.ca")
    original = ca.CertificateAuthority.authenticate

    def authenticate(self: Any, alias: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM users WHERE alias = ?", (alias,)).fetchone()
        if row is None:
            return False
        result: bool = original(self, alias, password)
        return result

    ca.CertificateAuthority.authenticate = authenticate


def _ca_cheap_dummy_hash() -> None:
    # "The dummy hash only has to exist": its record made with scrypt N = 2^10.
    ca = _module("reference.pki.ca")
    secrets = _module("secrets")
    salt = secrets.token_bytes(16)
    digest = ca._hash_password(secrets.token_urlsafe(24), salt, 2**10, 8, 1)
    record = f"scrypt${2**10}$8$1${salt.hex()}${digest.hex()}"
    ca._dummy_record = lambda: record


# ---------------------------------------------------------------- APP-NAME-6


def _audit_existing_outside() -> None:
    # "Log attempts at real files outside the share as security events": a durable
    # audit line (fsync) only when the name resolves to an existing file outside.
    share = _module("reference.share")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        try:
            return original(self, name)
        except share.NameRefused:
            if isinstance(name, str) and os.path.isfile(os.path.join(self.path, name)):
                fd, path = tempfile.mkstemp(prefix="sft-audit-")
                try:
                    os.write(fd, f"refused existing file {name!r}\n".encode() * 64)
                    os.fsync(fd)
                    _busy(1.5e-3)  # and the log line is formatted with its stat
                finally:
                    os.close(fd)
                    os.unlink(path)
            raise

    share.ShareDirectory.open = open_


def _m(name: str, requirement: str, description: str, apply: Any, **kw: Any) -> Mutant:
    profile = "pki" if kw.get("ca") else "eke"
    return Mutant(name, "timing", profile, requirement, _FILE, description, apply, **kw)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "timing-hs3-unknown-user-no-dh",
        "EKE-HS-3",
        "unknown user: random B and C2, no Diffie-Hellman (EKE2 early)",
        _unknown_user_no_dh,
        default=True,
    ),
    _m(
        "timing-hs3-unknown-user-half-dh",
        "EKE-HS-3",
        "unknown user: g^y and E_fake(Y) only, no D_fake(A) nor X^y",
        _unknown_user_half_dh,
    ),
    _m(
        "timing-hs3-unknown-user-scrypt-fake-key",
        "EKE-HS-3",
        "unknown user: fake key derived with scrypt (EKE2 late)",
        _unknown_user_scrypt_fake_key,
    ),
    _m(
        "timing-hs3-known-user-counters-before-fin",
        "EKE-HS-3",
        "failed login: a known user's counters written (durably) before the close",
        _known_user_counters_before_fin,
    ),
    _m(
        "timing-hs8-ns-mismatch-recomputes",
        "EKE-HS-8",
        "wrong Ns at EKE3: one more exponentiation before the EROR",
        _ns_mismatch_recomputes,
    ),
    _m(
        "timing-hs8-counters-before-eror",
        "EKE-HS-8",
        "failed EKE3 of a known user: store row and durable log before the EROR",
        _counters_before_eror,
    ),
    _m(
        "timing-sec4-old-jacobi",
        "EKE-SEC-4",
        "residuosity of D_pw(A) by the unblinded binary Jacobi loop",
        _old_jacobi,
        tier="thorough",
    ),
    _m(
        "timing-sec4-double-checked-negation",
        "EKE-SEC-4",
        "a second Jacobi symbol when D_pw(A) is a non-residue",
        _double_checked_negation,
        tier="thorough",
    ),
    _m(
        "timing-sec4-value-delay",
        "EKE-SEC-4",
        "~100 µs more when D_pw(A) > p/2 (thorough tier)",
        _value_delay,
        tier="thorough",
    ),
    _m(
        "timing-ca-no-dummy-hash",
        "CA-ENR-6",
        "CA: unknown alias refused without hashing",
        _ca_no_dummy_hash,
        ca=True,
    ),
    _m(
        "timing-ca-cheap-dummy-hash",
        "CA-ENR-6",
        "CA: the dummy record hashed with scrypt N=2^10",
        _ca_cheap_dummy_hash,
        ca=True,
    ),
    _m(
        "timing-app-audit-existing-outside",
        "APP-NAME-6",
        "refused name: a durable audit line when the file exists outside the share",
        _audit_existing_outside,
    ),
)
