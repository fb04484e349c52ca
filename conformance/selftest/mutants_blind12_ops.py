"""Blind red-team round 12 (ops): the servers as services of several principals at once.

Written blind (docs/SPEC.md and the reference's servers only) by helper B55; seven
mutants of the first list duplicated registered ones (a reservation leaking after an
aborted put, the per-address cap counting established connections, the allow list on
puts only, `exists` for regular files only, DONE before the rename on both profiles,
the inbox listed once per connection, the reserved prefix read on the full name) and
were replaced before the blind run. Lenses of /work/briefs/s12/lenses12.md:

- lens 1 (two values mixed up): thr-user-casefold, thr-retry-after-user-first,
  known-user-counted-twice, lim8-refused-as-throttled, pki-revocation-checks-issuer
- lens 2 (acknowledged before done / fetched vs used): failure-counted-after-linger,
  forgive-at-eke2, crl-fetched-not-used
- lens 3 (peer-claimed values trusted): eror-after-eke2-not-counted, malformed-eke3-not-
  counted (the peer's way of ending decides whether its guess counts)
- lens 4 (sloppy output): busy-retry-after-zero, throttled-named-busy, pki-busy-no-close-
  notify, lim8-refused-as-throttled
- lens 5 (two principals at once): thr-unknown-one-key, thr-user-first-address,
  thr-addr-key-with-port, pending-end-on-busy, shared-
  partial, pki-partial-name-counter, idle-timer-server-wide(-eke), lim9-evicts-oldest-
  any, pki-policy-shared-first-connection
- lens 6 (deny-lists and enumerations): lim8-exempt-loopback, malformed-eke3-not-counted

Blind measure (before any new case, each mutant run against every existing case file
citing its requirement): 15 of 26 detected; two more were caught by existing cases once
their declaration was corrected (shared-partial breaks APP-PUT-5, not LIM-5; crl-fetched-
not-used breaks the refetch SHOULD of PKI-CERT-7: strict). Phase 2 added
test_ops_throttle_principals.py and test_ops_idle_shared.py for the rest.

Dropped after the blind run as not observable here (listed so that nobody plants them
again expecting a detection):
- thr-exempt-127001 (failures from 127.0.0.1 not counted against the address): only the
  suite's own main address shows it, and a case locking that address would throttle the
  honest traffic of every other case running beside it.
- pending-slot-leak-on-busy (begin() takes the user's pending slot, then the address's
  cap refuses and the user's slot leaks): the address cap Q is reached only with Q
  handshakes pending from one address, and the embedded reference's per-address
  connection cap (LIM-8) equals Q, so the next connection is refused before its EKE1.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_G = "b12ops"


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _server() -> Any:
    return _module("reference.eke.server")


# -- lens 1 / 5: the throttle's keys ---------------------------------------------------------


def _thr_user_casefold() -> None:
    """User names counted case-insensitively: `ALICE`'s failures lock `alice`."""
    cls = _throttle().Throttle
    failed, retry_after, succeeded = cls.failed, cls.retry_after, cls.succeeded

    def f(self: Any, user: str, address: str) -> None:
        failed(self, user.casefold(), address)

    def r(self: Any, user: str, address: str) -> float | None:
        result: float | None = retry_after(self, user.casefold(), address)
        return result

    def s(self: Any, user: str, address: str) -> None:
        succeeded(self, user.casefold(), address)

    cls.failed, cls.retry_after, cls.succeeded = f, r, s


def _thr_unknown_one_key() -> None:
    """Failures of names the store does not hold are counted under one shared key."""
    server = _server().EkeServer
    handshake = server._handshake
    cls = _throttle().Throttle

    def patched(self: Any, sock: Any, address: str) -> Any:
        throttle, store = self.throttle, self.store
        if "failed" not in vars(throttle):

            def key(user: str) -> str:
                return user if any(u.name == user for u in store.users()) else "<unknown>"

            throttle.failed = lambda user, addr: cls.failed(throttle, key(user), addr)
            throttle.retry_after = lambda user, addr: cls.retry_after(throttle, key(user), addr)
        return handshake(self, sock, address)

    server._handshake = patched


def _thr_addr_key_with_port() -> None:
    """The connection's address handed on as HOST:PORT: one count per connection."""
    _patch_source(
        _server().EkeServer,
        "_admit",
        ("args=(conn_id, sock, addr[0]),", 'args=(conn_id, sock, f"{addr[0]}:{addr[1]}"),'),
    )


def _thr_retry_after_user_first() -> None:
    """retry_after: the user's wait when the user is locked, else the address's."""
    cls = _throttle().Throttle

    def retry_after(self: Any, user: str, address: str) -> float | None:
        address = _throttle().address_key(address)
        now = self._clock()
        with self._lock:
            wait = self._wait(("user", user), now) or self._wait(("addr", address), now)
        return wait if wait > 0 else None

    cls.retry_after = retry_after


# -- lens 5 / 2: pending slots ------------------------------------------------------------


def _busy_retry_after_zero() -> None:
    """busy's retry_after: half the configured second, floored (0)."""
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "refuse_busy",
        ("max(1, retry_after)", "int(retry_after * 0.5)"),
    )


def _throttled_named_busy() -> None:
    """The throttled EROR carries code 14 but the name of `busy` (a copied line)."""
    hs = _module("reference.eke.handshake")

    def named_busy(code: Any, message: str, retry_after: int | None = None) -> bytes:
        obj: dict[str, Any] = {"code": int(code), "name": "busy", "message": message}
        if retry_after is not None:
            obj["retry_after"] = retry_after
        return bytes(hs.encode_frame(hs.T_EROR, hs.dumps_control(obj)))

    hs._b12_named_busy = named_busy
    _patch_source(
        hs.ServerHandshake,
        "refuse_throttled",
        ("self._outbox += encode_error(", "self._outbox += _b12_named_busy("),
    )


# -- lens 2 / 3: when a failure counts ------------------------------------------------------


def _failure_counted_after_linger() -> None:
    """The failure is counted after a lingering close (waits for the client's FIN)."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        ("self.throttle.failed(attempted[0], address)", "pass"),
        ("self.throttle.end(attempted[0], address)", "pass"),
        ("sock.close()", "close_gracefully(sock, self.config.close_linger)"),
        (
            "self._login_failed(attempted[0], address, exc)",
            "self.throttle.failed(attempted[0], address); "
            "self.throttle.end(attempted[0], address); "
            "self._login_failed(attempted[0], address, exc)",
        ),
    )


def _forgive_at_eke2() -> None:
    """The user's count is reset when its EKE2 goes out, not when its EKE3 verifies."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "attempted.append(event.user)",
            "attempted.append(event.user); self.throttle.succeeded(event.user, address)",
        ),
    )


def _eror_after_eke2_not_counted() -> None:
    """A client's EROR after EKE2 is taken as a polite abort: the guess is not counted."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            'raise RemoteProtocolError(event.code, "the client sent an error")',
            "if attempted:\n"
            "                self.throttle.end(attempted.pop(), address)\n"
            '            raise RemoteProtocolError(event.code, "the client sent an error")',
        ),
    )


def _malformed_eke3_not_counted() -> None:
    """An EKE3 the server cannot parse (bad_frame) is not a guess: not counted."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "if not (isinstance(exc, ProtocolError) and exc.code is ErrorCode.BAD_FRAME): "
            "self.throttle.failed(attempted[0], address)",
        ),
    )


# -- lens 5: per-connection state shared ----------------------------------------------------


def _shared_partial() -> None:
    """The put being received is kept on the server object, not the connection."""
    server = _server().EkeServer
    server._b12_partial = None
    _patch_source(server, "_serve_records", ("partial", "self._b12_partial"))


def _pki_policy_shared_first_connection() -> None:
    """The responder's policy (and with it the allow verdict) is built for the first
    connection and reused for every later one."""
    peer = _module("reference.pki.peer")
    responder = peer.Responder
    first: list[Any] = []

    def make(stream: Any, policy: Any, config: Any = None, log: Any = None) -> Any:
        if not first:
            first.append(policy)
        return responder(stream, first[0], config, log)

    peer.Responder = make


def _crl_fetched_not_used() -> None:
    """The refreshed CRL is fetched and logged; the TLS context keeps the start one."""
    peer = _module("reference.pki.peer")

    def refresh(self: Any) -> None:
        crl = self._crl_source()
        revoked = peer._revoked_serials(crl)
        if revoked != self._revoked:
            self.log(f"CRL refreshed: {len(revoked)} revoked certificate(s)")
            self._revoked = revoked

    peer.PeerServer.refresh_crl = refresh


def _pki_busy_no_close_notify() -> None:
    """The busy refusal (LIM-4) ends with a bare close after its EROR: no close_notify."""
    _patch_source(
        _module("reference.pki.peer").PeerServer, "_busy", ("close_tls(tls)", "tls.close()")
    )


def _idle_timer_server_wide() -> None:
    """The idle timer is the server's: a connection times out only when none was active."""
    transfer = _module("reference.transfer")
    next_event = transfer._Channel.next_event
    last = [time.monotonic()]

    def ne(self: Any) -> Any:
        while True:
            try:
                event = next_event(self)
            except TimeoutError:
                timeout = self.stream.gettimeout() or 0.0
                if time.monotonic() - last[0] < timeout:
                    continue
                raise
            last[0] = time.monotonic()
            return event

    transfer._Channel.next_event = ne


# -- admission (LIM-8) ---------------------------------------------------------------------


def _lim8_exempt_loopback() -> None:
    """Loopback clients are exempt from the per-address cap (they are 'local')."""
    cls = _module("reference.admission").Admission
    admit = cls.admit

    def a(self: Any, key: int, address: str) -> Any:
        try:
            loopback = ipaddress.ip_address(address).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return admit(self, key, address)
        saved = self.max_pending_per_address
        self.max_pending_per_address = 1 << 30
        try:
            return admit(self, key, address)
        finally:
            self.max_pending_per_address = saved

    cls.admit = a


def _lim8_refused_as_throttled() -> None:
    """The per-address refusal is sent as `throttled` (without retry_after), not `busy`."""
    _patch_source(
        _server().EkeServer,
        "_admit",
        (
            "sock.sendall(encode_error(ErrorCode.BUSY, message))",
            "sock.sendall(encode_error(ErrorCode.THROTTLED if decision.refused is "
            "Refusal.PER_ADDRESS else ErrorCode.BUSY, message))",
        ),
    )


def _thr_user_first_address() -> None:
    """A user's failures are counted against the address of its first failed login."""
    cls = _throttle().Throttle
    failed = cls.failed

    def f(self: Any, user: str, address: str) -> None:
        first: dict[str, str] = self.__dict__.setdefault("_b12_first_address", {})
        failed(self, user, first.setdefault(user, address))

    cls.failed = f


def _known_user_counted_twice() -> None:
    """A known user's failure is counted by the throttle and again with the store's row."""
    server = _server().EkeServer
    login_failed = server._login_failed

    def lf(self: Any, user: str, address: str, exc: BaseException) -> None:
        login_failed(self, user, address, exc)
        if any(u.name == user for u in self.store.users()):
            self.throttle.failed(user, address)

    server._login_failed = lf


def _pending_end_on_busy() -> None:
    """An EKE1 refused `busy` still releases a pending slot (end() on every path)."""
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
            "hs.refuse_busy(self.throttle.config.busy_retry_after); "
            "self.throttle.end(event.user, address)",
        ),
    )


def _lim9_evicts_oldest_any() -> None:
    """When every slot is taken the oldest connection makes room, established or not."""
    admission = _module("reference.admission")
    cls = admission.Admission
    release = cls.release

    def admit(self: Any, key: int, address: str) -> Any:
        order: list[int] = self.__dict__.setdefault("_b12_order", [])
        if self.pending_from(address) >= self.max_pending_per_address:
            return admission.AdmissionDecision(refused=admission.Refusal.PER_ADDRESS)
        evict: int | None = None
        if self.open_connections >= self.max_connections:
            if not order:
                return admission.AdmissionDecision(refused=admission.Refusal.FULL)
            evict = order.pop(0)
            if evict in self._pending:
                self._forget_pending(evict)
            else:
                self._established.discard(evict)
        self._pending[key] = address
        self._pending_by_address[address] = self.pending_from(address) + 1
        order.append(key)
        return admission.AdmissionDecision(evict=evict)

    def r(self: Any, key: int) -> None:
        order: list[int] = self.__dict__.setdefault("_b12_order", [])
        if key in order:
            order.remove(key)
        release(self, key)

    cls.admit, cls.release = admit, r


def _idle_timer_server_wide_eke() -> None:
    """sft-eke/1: a connection's idle timeout fires only when no connection was active."""
    server = _server()
    next_event = server.SecureStream.next_event
    last = [time.monotonic()]

    def ne(self: Any) -> Any:
        while True:
            try:
                event = next_event(self)
            except TimeoutError:
                timeout = self.sock.gettimeout() or 0.0
                if time.monotonic() - last[0] < timeout:
                    continue
                raise
            last[0] = time.monotonic()
            return event

    server.SecureStream.next_event = ne


def _pki_partial_name_counter() -> None:
    """Temporary names from a per-connection counter: two connections' puts collide."""
    share = _module("reference.share")
    local = threading.local()

    def next_temp() -> str:
        local.n = getattr(local, "n", 0) + 1
        return str(local.n)

    share._b12_next_temp = next_temp
    _patch_source(
        share.PartialFile,
        "__init__",
        ("{secrets.token_hex(12)}", "{_b12_next_temp()}"),
    )


def _pki_revocation_checks_issuer() -> None:
    """The responder checks the CRL itself, against the chain's last certificate (the
    root) instead of the leaf; OpenSSL's CRL check is off."""
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    revoked: list[frozenset[int]] = [frozenset()]
    issuer: list[int] = [-1]
    revoked_serials, peer_alias = peer._revoked_serials, peer.peer_alias

    def rs(crl_der: bytes) -> frozenset[int]:
        result: frozenset[int] = revoked_serials(crl_der)
        revoked[0] = result
        return result

    def sc(identity: Any, crl_der: bytes) -> Any:
        issuer[0] = x509.load_pem_x509_certificate(identity.root.read_bytes()).serial_number
        return tls.server_context(identity, None)

    def pa(sock: Any, *, as_server: bool) -> str:
        alias: str = peer_alias(sock, as_server=as_server)
        if issuer[0] in revoked[0]:
            raise tls.CertificateRefused("the certificate was revoked")
        return alias

    peer._revoked_serials, peer.server_context, peer.peer_alias = rs, sc, pa


def _m(
    name: str, profile: str, req: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=f"b12ops-{name}",
        group=_G,
        profile=profile,
        requirement=req,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "thr-user-casefold",
        "eke",
        "EKE-THR-2",
        "test_eke_throttling.py",
        "user names counted case-insensitively: ALICE's failures throttle alice",
        _thr_user_casefold,
    ),
    _m(
        "thr-unknown-one-key",
        "eke",
        "EKE-HS-3",
        "test_eke_handshake.py",
        "failures of unknown user names counted under one key: one ghost locks every ghost",
        _thr_unknown_one_key,
    ),
    _m(
        "thr-addr-key-with-port",
        "eke",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "the address counted as HOST:PORT: one count per connection, never per address",
        _thr_addr_key_with_port,
    ),
    _m(
        "thr-retry-after-user-first",
        "eke",
        "EKE-THR-6",
        "test_ops_throttle_principals.py",
        "retry_after is the user's wait when the user is locked, even if the address's "
        "lock runs longer",
        _thr_retry_after_user_first,
    ),
    _m(
        "busy-retry-after-zero",
        "eke",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "busy carries retry_after 0",
        _busy_retry_after_zero,
    ),
    _m(
        "throttled-named-busy",
        "eke",
        "ERR-1",
        "test_ops_throttle_principals.py",
        "the throttled EROR carries code 14 with the name busy",
        _throttled_named_busy,
    ),
    _m(
        "failure-counted-after-linger",
        "eke",
        "EKE-THR-5",
        "test_ops_throttle_principals.py",
        "a failed EKE3 is counted only after a lingering close: a fast reconnect escapes it",
        _failure_counted_after_linger,
    ),
    _m(
        "forgive-at-eke2",
        "eke",
        "EKE-THR-5",
        "test_ops_throttle_principals.py",
        "the user's count is reset when EKE2 goes out, not when EKE3 verifies",
        _forgive_at_eke2,
    ),
    _m(
        "eror-after-eke2-not-counted",
        "eke",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a client EROR after EKE2 releases the pending slot without counting the guess",
        _eror_after_eke2_not_counted,
    ),
    _m(
        "malformed-eke3-not-counted",
        "eke",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "an EKE3 the server cannot parse (bad_frame) is not counted as a failure",
        _malformed_eke3_not_counted,
    ),
    _m(
        "shared-partial",
        "eke",
        "APP-PUT-5",
        "test_interop_transfer_state.py",
        "the put being received is kept on the server object: a second connection's start "
        "or put takes over the first one's",
        _shared_partial,
    ),
    _m(
        "lim8-exempt-loopback",
        "eke",
        "LIM-8",
        "test_lockout.py",
        "loopback clients are exempt from the per-address cap",
        _lim8_exempt_loopback,
    ),
    _m(
        "lim8-refused-as-throttled",
        "eke",
        "LIM-8",
        "test_eke_handshake_stalls.py",
        "the per-address refusal is EROR throttled (no retry_after) instead of busy",
        _lim8_refused_as_throttled,
    ),
    _m(
        "pki-policy-shared-first-connection",
        "pki",
        "PKI-ID-3",
        "test_pki_identity.py",
        "the policy (allow verdict) of the first connection is reused for every later one",
        _pki_policy_shared_first_connection,
    ),
    _m(
        "crl-fetched-not-used",
        "pki",
        "PKI-CERT-7",
        "test_ops_pki_revocation.py",
        "the refetched CRL is logged but the TLS context keeps the start CRL",
        _crl_fetched_not_used,
        strict=True,
    ),
    _m(
        "pki-busy-no-close-notify",
        "pki",
        "PKI-TLS-7",
        "test_limits_slots.py",
        "the busy refusal closes without close_notify",
        _pki_busy_no_close_notify,
    ),
    _m(
        "idle-timer-server-wide",
        "pki",
        "LIM-2",
        "test_ops_idle_shared.py",
        "a connection's idle timeout fires only when no connection was active",
        _idle_timer_server_wide,
    ),
    _m(
        "thr-user-first-address",
        "eke",
        "EKE-THR-2",
        "test_ops_throttle_principals.py",
        "a user's failures are counted against the address of its first failed login",
        _thr_user_first_address,
    ),
    _m(
        "known-user-counted-twice",
        "eke",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "a known user's failure is counted twice (throttle and store row): throttled early",
        _known_user_counted_twice,
    ),
    _m(
        "pending-end-on-busy",
        "eke",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "an EKE1 refused busy releases a pending slot it never took",
        _pending_end_on_busy,
    ),
    _m(
        "lim9-evicts-oldest-any",
        "eke",
        "LIM-9",
        "test_lockout.py",
        "with every slot taken the oldest connection is closed, even an established one",
        _lim9_evicts_oldest_any,
    ),
    _m(
        "idle-timer-server-wide-eke",
        "eke",
        "LIM-2",
        "test_ops_idle_shared.py",
        "a connection's idle timeout fires only when no connection was active",
        _idle_timer_server_wide_eke,
    ),
    _m(
        "pki-partial-name-counter",
        "pki",
        "LIM-5",
        "test_interop_transfer_state.py",
        "temporary names from a per-connection counter: concurrent puts of two connections "
        "collide (O_EXCL) and the second connection dies",
        _pki_partial_name_counter,
    ),
    _m(
        "pki-revocation-checks-issuer",
        "pki",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL is checked against the root's serial (the chain's last), not the leaf's",
        _pki_revocation_checks_issuer,
    ),
)
