"""Mutants planted while settling the spec's ambiguities (docs/SPEC.md FRM-16, APP-NAME-9).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _reserved_prefix_accepted() -> None:
    """The inbox stores a put under `.sft-partial-…`: the next start's sweep deletes it."""
    _patch_source(
        _module("reference.share").Inbox,
        "target_name",
        ("if base.startswith(PARTIAL_PREFIX):", "if False:  # mutant: no reserved prefix"),
    )


def _invalid_names_matched() -> None:
    """Any name accepted at EKE1, then "cleaned" before the lookup: control characters
    dropped and the name cut to 64 bytes — so `alice\x01` is alice."""
    crypto = _module("reference.eke.crypto")
    store = _module("reference.eke.store")

    def check_user_name(user: str) -> bytes:
        return user.encode("utf-8")

    original = store.PasswordStore.key_for

    def key_for(self: object, name: str) -> bytes:
        cleaned = "".join(ch for ch in name if ch.isprintable() or ch == " ")
        cleaned = cleaned.encode("utf-8")[:64].decode("utf-8", "ignore").rstrip("\x00")
        return bytes(original(self, cleaned))

    crypto.check_user_name = check_user_name
    store.PasswordStore.key_for = key_for


_RESERVED = tuple(
    Mutant(
        name=f"{profile}-reserved-prefix-stored",
        group="app",
        profile=profile,
        requirement="APP-NAME-9",
        test_file="test_app_reserved_names.py",
        description="a put named .sft-partial-… is stored (and swept away at the next start)",
        apply=_reserved_prefix_accepted,
    )
    for profile in ("eke", "pki")
)


def _eke_fatal_reaped_by_idle() -> None:
    """After a fatal EROR of the record phase the server stops serving the connection but
    leaves the close to its idle timer ("the reaper closes dead connections"): no close
    at once (ERR-3), invisible whenever the idle timeout is shorter than the suite's
    default wait."""
    server = _module("reference.eke.server")
    original = server.EkeServer._send_fatal

    def send_fatal(self: object, stream: object, code: object, message: str) -> None:
        original(self, stream, code, message)
        sock = stream.sock  # type: ignore[attr-defined]
        sock.settimeout(self.config.idle_timeout)  # type: ignore[attr-defined]
        try:
            while sock.recv(65536):  # processed no more, just drained
                pass
        except OSError:
            pass

    server.EkeServer._send_fatal = send_fatal


def _eke_handshake_refusal_left_to_deadline() -> None:
    """A failed handshake's connection is left open until the handshake deadline ("the
    deadline closes it anyway"), reading and dropping what the client sends: the EROR is
    out, the close is not at once (ERR-3)."""
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_handshake",
        (
            "        with contextlib.suppress(OSError):\n            sock.close()",
            "            with contextlib.suppress(OSError):\n"
            "                sock.settimeout(max(0.01, deadline - time.monotonic()))\n"
            "                while sock.recv(65536):\n"
            "                    pass\n"
            "        with contextlib.suppress(OSError):\n            sock.close()",
        ),
    )


def _kill_later(sock: object, seconds: float) -> None:
    """`destroy()` of the socket after `seconds`, from a timer nobody cancels."""
    os = _module("os")
    socket = _module("socket")
    threading = _module("threading")

    def kill() -> None:
        try:
            dup = socket.socket(fileno=os.dup(sock.fileno()))  # type: ignore[attr-defined]
        except OSError:
            return  # closed already
        with _module("contextlib").suppress(OSError):
            dup.shutdown(socket.SHUT_RDWR)
        dup.close()

    timer = threading.Timer(max(0.0, seconds), kill)
    timer.daemon = True
    timer.start()


def _eke_handshake_timer_never_disarmed() -> None:
    """The handshake deadline is a timer armed for the connection and never cancelled
    once the handshake is done (a `setTimeout(destroy)` cleared only on close): every
    session ends one handshake timeout after it began (LIM-1, APP-2)."""
    server = _module("reference.eke.server").EkeServer
    original = server._serve_records

    def serve_records(self: Any, sock: Any, *args: Any, **kwargs: Any) -> None:
        _kill_later(sock, self.config.handshake_timeout)
        original(self, sock, *args, **kwargs)

    server._serve_records = serve_records


def _pki_handshake_timer_never_disarmed() -> None:
    """As above, in the pki responder: armed at accept, never cancelled."""
    peer = _module("reference.pki.peer").PeerServer
    time = _module("time")
    original = peer._handshake

    def handshake(self: Any, raw: Any) -> Any:
        started = time.monotonic()
        tls = original(self, raw)
        _kill_later(tls, started + self.config.handshake_timeout - time.monotonic())
        return tls

    peer._handshake = handshake


_TIMER = tuple(
    Mutant(
        name=f"lead-{profile}-handshake-timer-never-disarmed",
        group="limits",
        profile=profile,
        requirement="LIM-1",
        test_file="test_limits.py",
        description="the handshake deadline's timer is never cancelled: sessions die with it",
        apply=apply,
    )
    for profile, apply in (
        ("eke", _eke_handshake_timer_never_disarmed),
        ("pki", _pki_handshake_timer_never_disarmed),
    )
)


def _per_address_counts_every_connection() -> None:
    """The per-address counter is raised at accept and lowered only at close (one map
    `connections[address]`): established sessions fill the cap of LIM-8, which is for
    connections still in their handshake."""
    admission = _module("reference.admission").Admission

    def established(self: Any, key: int) -> bool:
        if key not in self._pending:
            return False
        address = self._pending.pop(key)  # the address keeps its count until the close
        self._established.add(key)
        self.__dict__.setdefault("_mutant_addresses", {})[key] = address
        return True

    def release(self: Any, key: int) -> None:
        addresses = self.__dict__.setdefault("_mutant_addresses", {})
        if key in self._established:
            self._established.discard(key)
            address = addresses.pop(key)
            left = self._pending_by_address.get(address, 0) - 1
            if left > 0:
                self._pending_by_address[address] = left
            else:
                self._pending_by_address.pop(address, None)
        elif key in self._pending:
            self._forget_pending(key)

    admission.established = established
    admission.release = release


_PER_ADDRESS = tuple(
    Mutant(
        name=f"lead-{profile}-per-address-cap-counts-established",
        group="limits",
        profile=profile,
        requirement="LIM-8",
        test_file="test_lockout.py",
        description="the per-address cap counts established connections too (lowered at close)",
        apply=_per_address_counts_every_connection,
    )
    for profile in ("eke", "pki")
)


def _ca_keeps_alive_after_framing_error() -> None:
    """The CA refuses a body of unknown length (400/411) but keeps the connection, as
    for any other error: the bytes after the head are read as the next request."""
    server = _module("reference.pki.ca_server")
    original = server._HttpError.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["close"] = False
        original(self, *args, **kwargs)

    server._HttpError.__init__ = init
    # Nor does it close for a body it did not read (the reference's second guard).
    server._Handler._body_left_unread = lambda self: False


def _ca_json_takes_constants() -> None:
    """The CA parses bodies with Python's json.loads as it comes: NaN, Infinity and
    -Infinity are read as numbers, so a body that is not JSON is answered as a login."""
    server = _module("reference.pki.ca_server")
    server._not_json = float


def _ca_short_body_processed() -> None:
    """`rfile.read(length)` trusted: a body its client ended early (a short read at the
    end of stream) is parsed as the whole body (RFC 9112 §8: an incomplete message)."""
    server = _module("reference.pki.ca_server")
    _patch_source(server._Handler, "_read_json", ("if len(body) < length:", "if False:"))


def _ca_body_read_as_available() -> None:
    """One read of "what is there" for the body (`read1`): a body not yet all on the wire
    is parsed as it stands, before its Content-Length bytes have arrived."""
    server = _module("reference.pki.ca_server")
    _patch_source(
        server._Handler,
        "_read_json",
        ("body = self.rfile.read(length)", "body = self.rfile.read1(length)"),
        ("if len(body) < length:", "if False:"),
    )


def _put_receipt_unchecked() -> None:
    """The initiator takes any DONE in answer to its put's DONE: "the responder has it"
    — a receipt for other bytes (another digest, another size) is reported success."""
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        ("self._outgoing.check_done(message)", "pass"),
    )


def _pki_cert_decode_error_escapes() -> None:
    tls = _module("reference.pki.tls")
    # "Every refusal raises CertificateRefused" — but cryptography's ValueError on an
    # extension it cannot decode does not: the initiator dies with a bare FIN.
    tls._decoded = _module("cryptography.x509").load_der_x509_certificate


def _pki_cert_decode_error_fails_open() -> None:
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    checked = tls.check_peer_certificate
    tls._decoded = x509.load_der_x509_certificate  # the ValueError reaches the wrapper

    def check_peer_certificate(der: bytes | None, *, as_server: bool) -> str:
        try:
            return str(checked(der, as_server=as_server))
        except ValueError:  # "OpenSSL verified the chain: read the alias and go on"
            return str(tls._common_name(x509.load_der_x509_certificate(der)))

    tls.check_peer_certificate = check_peer_certificate


def _eke_client_takes_oversize_control() -> None:
    """The 64 KiB control limit forgotten on the client: only the frame limit holds."""
    frames = _module("reference.frames")
    handshake = _module("reference.eke.handshake")
    frames.MAX_CONTROL_PAYLOAD = frames.DEFAULT_MAX_PAYLOAD
    handshake.MAX_CONTROL_PAYLOAD = frames.DEFAULT_MAX_PAYLOAD


def _eke_refusal_left_to_idle() -> None:
    """A protocol error is logged, not answered: no EROR, the idle timer closes later."""
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    original = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if code is errors.ErrorCode.TIMEOUT:
            original(self, stream, code, message)
            return
        time.sleep(self.config.idle_timeout)  # "the peer will give up by itself"

    server.EkeServer._send_fatal = send_fatal


def _ca_revocation_checked_at_login_only() -> None:
    """Revocation read at the password check only: a revoke committed while the
    certificate is being signed leaves it unrevoked (the reference before session 9)."""
    ca = _module("reference.pki.ca")
    _patch_source(
        ca.CertificateAuthority,
        "enroll",
        ("if row is not None and row[0] is not None:", "if False:"),
    )


def _eke_hard_locks_fill_the_table() -> None:
    """Hard-locked names count towards the user table's bound (never evicted, though):
    a table of E hard locks evicts every new partial count at the next failure."""
    throttle = _module("reference.eke.throttle")

    def _trim(self: Any, now: float) -> None:
        for kind in ("user", "addr"):
            table = self._entries.table(kind)
            excess = len(table) - self.config.max_entries
            if excess <= 0:
                continue
            evictable = [
                key
                for key, entry in table.items()
                if not self._hard_locked((kind, key), entry) and self._wait((kind, key), now) <= 0
            ][:excess]
            for key in evictable:
                del self._entries[(kind, key)]

    throttle.Throttle._trim = _trim


def _ca_hard_locks_fill_the_table() -> None:
    """The CA counts hard-locked aliases towards its alias table's bound (never evicted,
    though): E locked aliases and every new partial count goes at its next failure."""
    server = _module("reference.pki.ca_server")
    original = server.LoginThrottle._count

    def _count(self: Any, keys: tuple[str, ...], now: float) -> None:
        self._held_sizes.clear()
        original(self, keys, now)
        self._held_sizes.clear()

    server.LoginThrottle._count = _count


def _client_sweeps_after_an_hour() -> None:
    """An initiator's sweep of stale temporaries waits an hour ("stale" as people say
    it), beyond APP-STORE-3's 10 minutes."""
    transfer = _module("reference.transfer")
    cli_eke = _module("reference.cli.eke")
    original = transfer.remove_stale_partials

    def remove_stale_partials(directory: Any, *, older_than: float | None = None) -> int:
        return int(original(directory, older_than=None if older_than is None else 3600.0))

    transfer.remove_stale_partials = remove_stale_partials
    cli_eke.remove_stale_partials = remove_stale_partials


def _eke_failure_time_rounded_down() -> None:
    """Failure times kept in whole seconds, rounded down (an INTEGER column): every
    lock ends up to a second early."""
    throttle = _module("reference.eke.throttle")
    original = throttle.Throttle.failed

    def failed(self: Any, user: str, address: str) -> None:
        original(self, user, address)
        with self._lock:
            for key in (("user", user), ("addr", throttle.address_key(address))):
                entry = self._entries.get(key)
                if entry is not None:
                    entry.last = float(int(entry.last))

    throttle.Throttle.failed = failed


def _eke_exponentiation_before_throttle() -> None:
    """The server draws b and computes B = g^b for every EKE1 before asking its throttle
    (an EKE2 prepared early): a throttled EKE1 costs an exponentiation."""
    throttle = _module("reference.eke.throttle")
    crypto = _module("reference.eke.crypto")
    original = throttle.Throttle.retry_after

    def retry_after(self: Any, user: str, address: str) -> Any:
        crypto.new_ephemeral()
        return original(self, user, address)

    throttle.Throttle.retry_after = retry_after


def _ca_verifies_before_throttle() -> None:
    """The CA runs its slow hash on every login before it asks the throttle: a throttled
    login is still answered 429, after a full verification."""
    server = _module("reference.pki.ca_server")
    ca_module = _module("reference.pki.ca")
    original = server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        verdict = int(original(self, *keys))
        if verdict > 0:  # throttled: the hash it ran before asking (admitted: run after)
            ca_module._verify_password_record(ca_module._dummy_record(), "not-yet-checked")
        return verdict

    server.LoginThrottle.admit = admit


def _eke_exponentiation_before_pending_cap() -> None:
    """The server computes B = g^b after the throttle check but before the pending cap
    (EKE-THR-7): a `busy` EKE1 costs an exponentiation."""
    throttle = _module("reference.eke.throttle")
    crypto = _module("reference.eke.crypto")
    original = throttle.Throttle.begin

    def begin(self: Any, user: str, address: str) -> Any:
        crypto.new_ephemeral()
        return original(self, user, address)

    throttle.Throttle.begin = begin


def _ca_failure_time_rounded_down() -> None:
    """The CA dates each failed login in whole wall-clock seconds, rounded down: every
    backoff ends up to a second early."""
    server = _module("reference.pki.ca_server")
    original = server.LoginThrottle._count

    def _count(self: Any, keys: tuple[str, ...], now: float) -> None:
        original(self, keys, now - self.wall_clock() % 1.0)

    server.LoginThrottle._count = _count


def _eke_client_login_close_reported(*, resets_only: bool) -> Callable[[], None]:
    """The eke client reports a close during its login as a bare transport error: a
    reset only (`resets_only`: "connection lost: [Errno 104] ..."), or a FIN too
    ("protocol error during login: connection closed during handshake")."""

    def apply() -> None:
        client = _module("reference.eke.client")
        original = client.EkeClient.connect

        def connect(self: Any) -> Any:
            try:
                return original(self)
            except client.TransferFailed as exc:
                if "server busy?" not in str(exc):
                    raise
                cause = exc.__context__
                if isinstance(cause, ConnectionResetError):
                    raise client.TransferFailed(
                        f"connection lost during login: {cause}"
                    ) from None
                if resets_only:
                    raise
                raise client.TransferFailed(
                    "protocol error during login: connection closed during handshake"
                ) from None

        client.EkeClient.connect = connect

    return apply


def _eke_refusals_recorded_durably() -> None:
    """Every refused EKE1 (throttled, busy) committed to disk before it is answered: a
    few milliseconds per refusal (EKE-THR-1/-7: refused promptly; FP12's reading of
    session 15, non-conforming since the SPEC says so)."""
    time = _module("time")
    handshake = _module("reference.eke.handshake")
    cls = handshake.ServerHandshake
    throttled, busy = cls.refuse_throttled, cls.refuse_busy

    def refuse_throttled(self: Any, retry_after: float) -> None:
        time.sleep(0.004)
        throttled(self, retry_after)

    def refuse_busy(self: Any, retry_after: int) -> None:
        time.sleep(0.004)
        busy(self, retry_after)

    cls.refuse_throttled = refuse_throttled
    cls.refuse_busy = refuse_busy


def _ca_throttled_answer_paced() -> None:
    """A tarpit: every 429 held 0.25 s on its request's thread (CA-ENR-14/-19: refused
    promptly; a paced refusal holds a connection per guess)."""
    time = _module("time")
    server = _module("reference.pki.ca_server")
    original = server.LoginThrottle.admit

    def admit(self: Any, *keys: str) -> int:
        wait = int(original(self, *keys))
        if wait > 0:
            time.sleep(0.25)
        return wait

    server.LoginThrottle.admit = admit


def _enroll_first_cn_indexed() -> None:
    """`sft enroll` takes the answer's first CN without asking whether there is one."""
    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]",
            "names = [cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value]",
        ),
    )


def _ca_hostile_alias_recorded() -> None:
    """The CA takes any JSON string as an alias: one holding a lone surrogate is counted
    in the failure table (in memory), then fails to be written (no UTF-8) — and later
    fails again when its eviction comes, inside another client's login."""
    _patch_source(
        _module("reference.pki.ca_server")._Handler,
        "_enroll",
        ("if not _is_text(value):", "if False:"),
    )


MUTANTS: tuple[Mutant, ...] = (
    *_RESERVED,
    Mutant(
        name="lead-ca-revocation-checked-at-login-only",
        group="ca",
        profile="pki",
        requirement="CA-ENR-11",
        test_file="test_ca.py",
        description="a revocation committed between an enrolment's login and its "
        "certificate leaves a certificate no CRL lists",
        apply=_ca_revocation_checked_at_login_only,
        ca=True,
    ),
    Mutant(
        name="lead-eke-refusal-left-to-idle",
        group="eke",
        profile="eke",
        requirement="FRM-7",
        test_file="test_framing.py",
        description="a malformed record is not answered; the idle timer closes the connection",
        apply=_eke_refusal_left_to_idle,
    ),
    Mutant(
        name="lead-eke-client-takes-oversize-control",
        group="eke-client",
        profile="eke",
        requirement="FRM-8",
        test_file="test_eke_client.py",
        description="the eke client takes an EKE2 of 100 000 bytes (no 64 KiB control limit)",
        apply=_eke_client_takes_oversize_control,
        client=True,
    ),
    Mutant(
        name="lead-ca-json-takes-nan",
        group="ca",
        profile="pki",
        requirement="CA-ENR-9",
        test_file="test_ca.py",
        description="the CA's JSON parser takes NaN/Infinity (Python's extension): answered "
        "as a login, not 400 bad_request",
        apply=_ca_json_takes_constants,
        ca=True,
    ),
    Mutant(
        name="lead-ca-short-body-processed",
        group="ca",
        profile="pki",
        requirement="CA-ENR-9",
        test_file="test_ca_incomplete_bodies.py",
        description="a body its client ended before its Content-Length is parsed as the "
        "whole body: the login it holds is answered with a certificate",
        apply=_ca_short_body_processed,
        ca=True,
    ),
    Mutant(
        name="lead-ca-body-read-as-available",
        group="ca",
        profile="pki",
        requirement="CA-ENR-9",
        test_file="test_ca_incomplete_bodies.py",
        description="the body read with one read of what has arrived: a login is acted on "
        "before its last Content-Length bytes come",
        apply=_ca_body_read_as_available,
        ca=True,
    ),
    *(
        Mutant(
            name=f"lead-{profile}-put-receipt-unchecked",
            group="client",
            profile=profile,
            requirement="APP-PUT-11",
            test_file="test_client_put.py",
            description="the initiator takes any DONE answering its put's DONE: a receipt "
            "for other bytes is reported success (a SHOULD: judged strict)",
            apply=_put_receipt_unchecked,
            client=True,
            strict=True,
        )
        for profile in ("eke", "pki")
    ),
    Mutant(
        name="lead-pki-cert-decode-error-bare-fin",
        group="client",
        profile="pki",
        requirement="PKI-TLS-7",
        test_file="test_client_pki_cert_forms.py",
        description="a responder certificate OpenSSL verified but whose extension the "
        "initiator's X.509 library cannot decode raises past the refusal path: the "
        "connection ends with a bare FIN (the reference before this session)",
        apply=_pki_cert_decode_error_escapes,
        client=True,
    ),
    Mutant(
        name="lead-pki-responder-cert-decode-error-fails-open",
        group="pki",
        profile="pki",
        requirement="PKI-CERT-5",
        test_file="test_pki_cert_decoding.py",
        description="a client certificate OpenSSL verified but whose extension the "
        "responder's X.509 library cannot decode is served on its CN (fail open: the "
        "missing clientAuth EKU is never looked at)",
        apply=_pki_cert_decode_error_fails_open,
    ),
    Mutant(
        name="lead-ca-keep-alive-after-framing-error",
        group="ca",
        profile="pki",
        requirement="CA-ENR-9",
        test_file="test_ca.py",
        description="a body of unknown length refused, the connection kept: request smuggling",
        apply=_ca_keeps_alive_after_framing_error,
        ca=True,
    ),
    *_PER_ADDRESS,
    *_TIMER,
    Mutant(
        name="lead-eke-refusal-close-left-to-deadline",
        group="eke",
        profile="eke",
        requirement="ERR-3",
        test_file="test_eke_handshake.py",
        description="after auth_failed the connection stays open until the handshake deadline",
        apply=_eke_handshake_refusal_left_to_deadline,
    ),
    Mutant(
        name="lead-eke-fatal-close-left-to-idle",
        group="app",
        profile="eke",
        requirement="ERR-3",
        test_file="test_framing.py",
        description="after a fatal EROR the server stops reading frames; the idle timer closes",
        apply=_eke_fatal_reaped_by_idle,
    ),
    Mutant(
        name="eke-invalid-user-names-matched",
        group="eke",
        profile="eke",
        requirement="EKE-PW-5",
        test_file="test_eke_user_names_invalid.py",
        description="control characters dropped and names cut to 64 bytes before the lookup",
        apply=_invalid_names_matched,
    ),
    Mutant(
        name="lead-eke-hard-locks-fill-the-table",
        group="eke",
        profile="eke",
        requirement="EKE-THR-9",
        test_file="test_eke_hard_lock_bound.py",
        description="hard-locked names count towards the user table's bound: E hard locks "
        "and every new partial count is evicted at the next failure",
        apply=_eke_hard_locks_fill_the_table,
    ),
    Mutant(
        name="lead-ca-hard-locks-fill-the-table",
        group="ca",
        profile="pki",
        requirement="CA-ENR-20",
        test_file="test_ca_hard_lock_bound.py",
        description="hard-locked aliases count towards the CA's alias table bound: E locked "
        "aliases and every new partial count is evicted at its next failure",
        apply=_ca_hard_locks_fill_the_table,
        ca=True,
    ),
    *(
        Mutant(
            name=f"lead-{profile}-client-sweeps-after-an-hour",
            group="client",
            profile=profile,
            requirement="APP-STORE-3",
            test_file="test_client_sweep_upper_age.py",
            description="the initiator sweeps temporaries last written over an hour ago "
            "only: one a killed get left 11 minutes ago stays",
            apply=_client_sweeps_after_an_hour,
            client=True,
        )
        for profile in ("eke", "pki")
    ),
    Mutant(
        name="lead-eke-failure-time-rounded-down",
        group="eke",
        profile="eke",
        requirement="EKE-THR-6",
        test_file="test_eke_lock_whole_seconds.py",
        description="failure times kept in whole seconds rounded down: a lock ends up to "
        "a second early",
        apply=_eke_failure_time_rounded_down,
    ),
    Mutant(
        name="lead-eke-exponentiation-before-throttle",
        group="eke",
        profile="eke",
        requirement="EKE-THR-1",
        test_file="test_eke_throttled_cost.py",
        description="B = g^b computed for every EKE1 before the throttle is asked: a "
        "throttled EKE1 costs an exponentiation",
        apply=_eke_exponentiation_before_throttle,
    ),
    Mutant(
        name="lead-eke-exponentiation-before-pending-cap",
        group="eke",
        profile="eke",
        requirement="EKE-THR-7",
        test_file="test_eke_throttled_cost.py",
        description="B = g^b computed after the throttle check but before the pending cap: "
        "a busy EKE1 costs an exponentiation",
        apply=_eke_exponentiation_before_pending_cap,
    ),
    Mutant(
        name="lead-eke-refusals-recorded-durably",
        group="eke",
        profile="eke",
        requirement="EKE-THR-1",
        test_file="test_eke_throttled_cost.py",
        description="every throttled or busy EKE1 committed to disk (4 ms) before it is "
        "answered: refusals not prompt",
        apply=_eke_refusals_recorded_durably,
    ),
    Mutant(
        name="lead-ca-throttled-answer-paced",
        group="ca",
        profile="pki",
        requirement="CA-ENR-14",
        test_file="test_ca_throttled_cost.py",
        description="a tarpit: every 429 held 0.25 s before it is sent",
        apply=_ca_throttled_answer_paced,
        ca=True,
    ),
    Mutant(
        name="lead-eke-client-login-close-bare",
        group="eke-client",
        profile="eke",
        requirement="LIM-9",
        test_file="test_client_login_closed.py",
        description="the eke client reports a FIN during its login as 'protocol error "
        "during login: connection closed during handshake' (a reset as the socket's error)",
        apply=_eke_client_login_close_reported(resets_only=False),
        client=True,
    ),
    Mutant(
        name="lead-eke-client-login-reset-bare",
        group="eke-client",
        profile="eke",
        requirement="LIM-9",
        test_file="test_client_login_closed.py",
        description="the eke client reports a reset during its login as 'connection lost "
        "during login: [Errno 104] Connection reset by peer' (a SHOULD: judged strict)",
        apply=_eke_client_login_close_reported(resets_only=True),
        client=True,
        strict=True,
    ),
    Mutant(
        name="lead-ca-verifies-before-throttle",
        group="ca",
        profile="pki",
        requirement="CA-ENR-14",
        test_file="test_ca_throttled_cost.py",
        description="the CA verifies every password (scrypt) before asking its throttle: a "
        "throttled login is answered 429 after a full verification",
        apply=_ca_verifies_before_throttle,
        ca=True,
    ),
    Mutant(
        name="lead-ca-failure-time-rounded-down",
        group="ca",
        profile="pki",
        requirement="CA-ENR-7",
        test_file="test_ca_lock_whole_seconds.py",
        description="failed logins dated in whole seconds rounded down: each backoff ends "
        "up to a second early",
        apply=_ca_failure_time_rounded_down,
        ca=True,
    ),
    Mutant(
        name="lead-enroll-first-cn-indexed",
        group="enroll-client",
        profile="pki",
        requirement="ERR-6",
        test_file="test_enroll_hostile_bodies.py",
        description="sft enroll reads the answer's first CN by index: a certificate for its "
        "key with no CN ends in an IndexError traceback",
        apply=_enroll_first_cn_indexed,
        client=True,
        enroll=True,
    ),
    Mutant(
        name="lead-ca-hostile-alias-recorded",
        group="ca",
        profile="pki",
        requirement="CA-ENR-6",
        test_file="test_ca_hostile_values_spill.py",
        description="an alias with a lone surrogate is counted in the CA's failure table and "
        "its write fails: evicting it later raises inside another client's login (500)",
        apply=_ca_hostile_alias_recorded,
        ca=True,
    ),
)
