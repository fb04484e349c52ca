"""Blind red-team round 14, operations (helper B70): the eke server and the pki responder
as long-running services that serve many connections at once and meet every path many
times. Written from docs/SPEC.md and the reference's servers only.

Lenses (/work/briefs/s14/lenses14.md); each description starts with its lens:
  3 shared mutable state: pki-shared-buffers, eke-shared-sealer-buffers,
    pki-app-buffer-on-class, eke-handshake-inbox-on-class, pki-one-watchdog,
    eke-shared-deadline, pki-busy-drops-crl-check
  6 trust carried over: pki-tickets-in-place, eke-address-at-accept, pki-clock-at-start,
    pki-put-deadline-once
  2 per item, not in aggregate: pki-admission-reset-at-refresh,
    eke-address-count-reset-on-establish
  5 effects before authority: pki-authz-after-lookup, eke-evict-before-address-check,
    eke-release-before-count

Twelve ideas of the first list were already registered (a shared digest, Ns or y, the
failed-login user on the server, an allow-list verdict shared, a context captured before
the CRL refresh, ...) and were replaced before the blind run. Blind run: 4 of 16
detected (handshake-inbox-on-class, shared-sealer-buffers, authz-after-lookup,
clock-at-start). After the blind run one mutant changed: pki-one-watchdog also drops the
per-socket timeout, which in Python's ssl already bounds a whole do_handshake (the shared
watchdog alone was not observable). eke-release-before-count is a race of tens of
microseconds: test_ops_eke_lock_moments.py catches it in most runs, not all.
"""

from __future__ import annotations

import inspect
import textwrap
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_EKE_SERVER = "reference.eke.server"
_THROTTLE = "reference.eke.throttle"
_PEER = "reference.pki.peer"


def _resource(module: str, qualname: str) -> tuple[Any, str, Any]:
    mod = _module(module)
    owner: Any = mod
    parts = qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    return mod, parts[-1], owner


def _patch(module: str, qualname: str, *edits: tuple[str, str], **globals_: Any) -> None:
    """Recompiles `module.qualname` (a function or method) with `edits` applied to its
    source; each `old` must occur exactly once. `globals_` are added to the module."""
    mod, name, owner = _resource(module, qualname)
    func = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    source = inspect.getsource(func)
    for old, new in edits:
        if source.count(old) != 1:
            raise RuntimeError(f"{qualname}: {old!r} found {source.count(old)} times")
        source = source.replace(old, new)
    source = textwrap.dedent(source)
    for key, value in globals_.items():
        setattr(mod, key, value)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<b14ops {qualname}>", "exec"), mod.__dict__, namespace)  # noqa: S102
    setattr(owner, name, namespace[name])


# -- lens 3: shared mutable state ---------------------------------------------------------


def _pki_shared_buffers() -> None:
    # The two 1 MiB DATA buffers allocated once for the process (they are big), not per
    # connection: concurrent transfers read their files into the same memory.
    transfer = _module("reference.transfer")
    original = transfer._Channel.__init__
    shared: dict[str, Any] = {}

    def init(self: Any, stream: Any, conn: Any) -> None:
        original(self, stream, conn)
        if "buffers" not in shared:
            shared["buffers"] = self._data_buffers
            shared["views"] = self._data_views
        self._data_buffers = shared["buffers"]
        self._data_views = shared["views"]

    transfer._Channel.__init__ = init


def _eke_shared_sealer_buffers() -> None:
    # The record sealer's plaintext and record buffers (1 MiB each) allocated once per
    # process and reused by every connection's sealer: concurrent gets seal into the same
    # memory.
    crypto = _module("reference.eke.crypto")
    original = crypto.RecordSealer.__init__
    shared: dict[int, tuple[Any, Any]] = {}

    def init(self: Any, key: bytes, iv: bytes, max_inner: int, **kwargs: Any) -> None:
        original(self, key, iv, max_inner, **kwargs)
        plains, record = shared.setdefault(max_inner, (self._plains, self._record))
        self._plains, self._record = plains, record
        self._plain = plains[self._turn]

    crypto.RecordSealer.__init__ = init


def _pki_app_buffer_on_class() -> None:
    # The application core's receive buffer made a class attribute (a mutable default
    # shared by every instance): bytes one connection left unparsed (a frame cut short
    # when it died) are the start of the next connection's stream.
    _patch(
        "reference.app",
        "ApplicationConnection.__init__",
        ("self._buffer = bytearray()", "self._buffer = _RECEIVE_BUFFER"),
        _RECEIVE_BUFFER=bytearray(),
    )


def _eke_handshake_inbox_on_class() -> None:
    # The handshake's input buffer shared by every handshake object (a class-level
    # bytearray): a connection that dies inside a handshake frame leaves its bytes in
    # front of every later connection's EKE1.
    _patch(
        "reference.eke.handshake",
        "_Handshake.__init__",
        ("self._inbox = bytearray()", "self._inbox = _HANDSHAKE_INBOX"),
        _HANDSHAKE_INBOX=bytearray(),
    )


def _pki_one_watchdog() -> None:
    # The handshake deadline is one watchdog timer for the server (no per-socket timeout),
    # re-armed by each new handshake: a newer connection cancels the deadline of the one
    # before, so a client trickling its ClientHello is never cut while others connect.
    _patch(
        "reference.pki.tls",
        "server_handshake",
        ("raw.settimeout(timeout)", "raw.settimeout(None)  # the watchdog is the deadline"),
        (
            "watchdog.daemon = True\n",
            "watchdog.daemon = True\n"
            "    if _WATCHDOG[0] is not None:\n"
            "        _WATCHDOG[0].cancel()\n"
            "    _WATCHDOG[0] = watchdog\n",
        ),
        _WATCHDOG=[None],
    )
    _module(_PEER).server_handshake = _module("reference.pki.tls").server_handshake


def _eke_shared_deadline() -> None:
    # The handshake deadline kept in one server-wide variable, set by each new
    # connection: a client trickling its EKE1 gets a new deadline whenever someone else
    # connects.
    deadline: list[float] = [0.0]
    _patch(
        "reference.eke.transport",
        "run_handshake",
        ("remaining = deadline - time.monotonic()", "remaining = _DEADLINE[0] - time.monotonic()"),
        _DEADLINE=deadline,
    )
    _patch(
        _EKE_SERVER,
        "EkeServer._handshake",
        (
            "deadline = time.monotonic() + self.config.handshake_timeout",
            "deadline = _DEADLINE[0] = time.monotonic() + self.config.handshake_timeout",
        ),
        _DEADLINE=deadline,
    )
    _module(_EKE_SERVER).run_handshake = _module("reference.eke.transport").run_handshake


def _pki_busy_drops_crl_check() -> None:
    # The polite `busy` answer needs no revocation check, so the busy path switches it
    # off — on the shared context: until the next CRL refresh rebuilds it, every new
    # handshake skips the CRL.
    _patch(
        _PEER,
        "PeerServer._busy",
        (
            "tls = self._handshake(raw)",
            "self._contexts.context.verify_flags &= ~ssl.VERIFY_CRL_CHECK_LEAF\n"
            "            tls = self._handshake(raw)",
        ),
    )


# -- lens 6: trust carried over ---------------------------------------------------------------


def _pki_tickets_in_place() -> None:
    # The TLS library's default session tickets left on, and the refreshed CRL loaded into
    # the running context (same ticket keys): a session resumed from before a revocation
    # skips the certificate and CRL checks.
    tls = _module("reference.pki.tls")
    _patch(
        "reference.pki.tls",
        "_base_context",
        ("ctx.num_tickets = 0", "pass"),
        ("ctx.options |= ssl.OP_NO_TICKET", "pass"),
    )
    _patch(
        _PEER,
        "PeerServer.refresh_crl",
        (
            "self._contexts.reload(crl)",
            "_load_trust(self._contexts.context, self.identity.root.read_bytes(), crl)",
        ),
        _load_trust=tls._load_trust,
    )


def _user_wait(throttle: Any, user: str) -> float | None:
    with throttle._lock:
        wait = throttle._wait(("user", user), throttle._clock())
    return wait if wait > 0 else None


def _eke_address_at_accept() -> None:
    # The address checked when the connection is accepted (cheap, before a thread does
    # anything), the user name at EKE1: an address locked meanwhile is not seen.
    _patch(
        _EKE_SERVER,
        "EkeServer._handshake",
        (
            "hs = ServerHandshake()",
            'hs = ServerHandshake()\n        address_wait = self.throttle.retry_after("", address)',
        ),
        (
            "wait = self.throttle.retry_after(event.user, address)",
            "wait = _user_wait(self.throttle, event.user) or address_wait",
        ),
        _user_wait=_user_wait,
    )


def _pki_clock_at_start() -> None:
    # Validity dates checked in the application against the time the responder started
    # (computed once, with the library's own time check switched off "for clock skew"):
    # a certificate that expired while the responder runs is still accepted.
    datetime = _module("datetime")
    _patch(
        "reference.pki.tls",
        "server_context",
        (
            "ctx.verify_mode = ssl.CERT_REQUIRED  # [PKI-TLS-3]",
            "ctx.verify_mode = ssl.CERT_REQUIRED  # [PKI-TLS-3]\n"
            "    ctx.verify_flags |= 0x200000  # X509_V_FLAG_NO_CHECK_TIME",
        ),
    )
    _patch(
        "reference.pki.tls",
        "check_peer_certificate",
        (
            "cert = _decoded(der)\n",
            "cert = _decoded(der)\n"
            "    if not cert.not_valid_before_utc <= _STARTED <= cert.not_valid_after_utc:\n"
            '        raise CertificateRefused("the certificate is not valid now")\n',
        ),
        _STARTED=datetime.datetime.now(datetime.UTC),
    )


def _pki_put_deadline_once() -> None:
    # The idle timeout applied to a put as a whole (one deadline set at PUTF, like an
    # asyncio wait_for around the receive): a put still streaming when it passes is cut.
    _patch(
        "reference.transfer",
        "Responder._put",
        (
            "self.channel.receive_file(partial, request.size, None)",
            "_receive_within_deadline(self.channel, partial, request.size)",
        ),
        _receive_within_deadline=_receive_within_deadline,
    )


class _DeadlineStream:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.timeout = stream.gettimeout()
        self.deadline = time.monotonic() + self.timeout

    def recv_into(self, buffer: Any, *args: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("put deadline")
        self.stream.settimeout(left)
        n: int = self.stream.recv_into(buffer, *args)
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _receive_within_deadline(channel: Any, partial: Any, size: int) -> Any:
    wrapped = _DeadlineStream(channel.stream)
    channel.stream = wrapped
    try:
        return channel.receive_file(partial, size, None)
    finally:
        channel.stream = wrapped.stream
        wrapped.stream.settimeout(wrapped.timeout)


# -- lens 2: per item, not in aggregate ---------------------------------------------------


def _pki_admission_reset_at_refresh() -> None:
    # The periodic reload (CRL refresh) rebuilds the server's connection accounting with
    # its limits: the count of open connections restarts at 0 every refresh.
    _patch(
        _PEER,
        "PeerServer.refresh_crl",
        (
            "crl = self._crl_source()\n",
            "crl = self._crl_source()\n"
            "        with self._admission_lock:\n"
            "            self._admission = Admission(\n"
            "                self.config.max_connections, self.config.max_pending_per_address\n"
            "            )\n",
        ),
    )


def _eke_address_count_reset_on_establish() -> None:
    # When one handshake of an address completes, the address's count of pending
    # connections is dropped ("it has a live session now") instead of lowered by one.
    admission = _module("reference.admission")
    _patch(
        "reference.admission",
        "Admission.established",
        (
            "self._forget_pending(key)",
            "self._pending_by_address.pop(self._pending.pop(key), None)",
        ),
    )
    _patch(
        "reference.admission",
        "Admission._forget_pending",
        (
            "left = self._pending_by_address[address] - 1",
            "left = self._pending_by_address.get(address, 0) - 1",
        ),
        (
            "if left:",
            "if left > 0:",
        ),
        (
            "del self._pending_by_address[address]",
            "self._pending_by_address.pop(address, None)",
        ),
    )
    del admission


# -- lens 5: effects before authority -------------------------------------------------------


def _pki_authz_after_lookup() -> None:
    # The allow list checked where each request is served, after the name was looked up:
    # a peer not on the list learns not_found/exists/forbidden answers and keeps its
    # connection; only a request that would be served is refused.
    _patch(
        "reference.transfer",
        "Responder.run",
        ("if not self.policy.authorised:", "if False:"),
    )
    refuse = (
        "if not self.policy.authorised:\n"
        "                self._refuse(\n"
        "                    RemoteProtocolError(ErrorCode.FORBIDDEN, self.policy.refusal)\n"
        "                )\n"
        '                raise TransferFailed(ErrorCode.FORBIDDEN, "not allowed", remote=False)\n'
        "            "
    )
    _patch(
        "reference.transfer",
        "Responder._get",
        (
            "with shared:\n            if shared.size",
            "with shared:\n            " + refuse + "if shared.size",
        ),
    )
    _patch(
        "reference.transfer",
        "Responder._put",
        (
            "partial = inbox.begin(final, request.size)",
            refuse + "partial = inbox.begin(final, request.size)",
        ),
    )


def _eke_evict_before_address_check() -> None:
    # A full server makes room (forgets the oldest pending connection) before it looks at
    # the new connection's address: a connection then refused for its address's cap has
    # still cost another client its slot, whose handshake is closed once it completes.
    _patch(
        "reference.admission",
        "Admission.admit",
        (
            "        if self.pending_from(address) >= self.max_pending_per_address:\n"
            "            return AdmissionDecision(refused=Refusal.PER_ADDRESS)\n",
            "",
        ),
        (
            "            self._forget_pending(evict)\n",
            "            self._forget_pending(evict)\n"
            "        if self.pending_from(address) >= self.max_pending_per_address:\n"
            "            return AdmissionDecision(refused=Refusal.PER_ADDRESS)\n",
        ),
    )


def _eke_release_before_count() -> None:
    # A failed pending login gives its pending slot back first and is counted as a failure
    # only after the connection is closed and the store updated: in between, an EKE1 of
    # that user sees neither the pending login nor its failure.
    _patch(
        _EKE_SERVER,
        "EkeServer._handshake",
        (
            "                self.throttle.failed(attempted[0], address)\n"
            "                self.throttle.end(attempted[0], address)\n",
            "                self.throttle.end(attempted[0], address)\n",
        ),
        (
            "                self._login_failed(attempted[0], address, exc)\n",
            "                self._login_failed(attempted[0], address, exc)\n"
            "                self.throttle.failed(attempted[0], address)\n",
        ),
    )


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b14ops-{name}",
        group="blind14-ops",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pki-shared-buffers",
        "pki",
        "APP-GET-2",
        "test_ops_concurrent_transfers.py",
        "L3: the DATA buffers allocated once per process: concurrent gets read their files "
        "into the same memory",
        _pki_shared_buffers,
    ),
    _m(
        "eke-shared-sealer-buffers",
        "eke",
        "APP-GET-2",
        "test_app_get_concurrent.py",
        "L3: the record sealer's buffers allocated once per process: concurrent gets seal "
        "into the same memory",
        _eke_shared_sealer_buffers,
    ),
    _m(
        "pki-app-buffer-on-class",
        "pki",
        "LIM-5",
        "test_ops_dead_connection_leftovers.py",
        "L3: the application receive buffer is a class attribute: bytes a dead connection "
        "left unparsed start the next connection's stream",
        _pki_app_buffer_on_class,
    ),
    _m(
        "eke-handshake-inbox-on-class",
        "eke",
        "LIM-5",
        "test_eke_handshake_stalls.py",
        "L3: the handshake input buffer is shared by every handshake: a connection that dies "
        "inside EKE1 leaves its bytes in front of later EKE1s",
        _eke_handshake_inbox_on_class,
    ),
    _m(
        "pki-one-watchdog",
        "pki",
        "LIM-1",
        "test_ops_trickle_deadlines.py",
        "L3: one handshake watchdog for the server, re-armed by each new handshake: a "
        "trickling ClientHello outlives its deadline while others connect",
        _pki_one_watchdog,
    ),
    _m(
        "eke-shared-deadline",
        "eke",
        "LIM-1",
        "test_ops_trickle_deadlines.py",
        "L3: the handshake deadline is one server-wide variable set at each new connection: "
        "a trickling EKE1 is never cut while others connect",
        _eke_shared_deadline,
    ),
    _m(
        "pki-busy-drops-crl-check",
        "pki",
        "PKI-CERT-7",
        "test_ops_pki_trust_carried.py",
        "L3: the busy path clears VERIFY_CRL_CHECK_LEAF on the shared context: after a busy "
        "answer, revoked certificates pass until the next CRL refresh",
        _pki_busy_drops_crl_check,
    ),
    _m(
        "pki-tickets-in-place",
        "pki",
        "PKI-CERT-7",
        "test_ops_pki_trust_carried.py",
        "L6: session tickets left on and the refreshed CRL loaded into the running context: "
        "a session resumed from before a revocation is accepted",
        _pki_tickets_in_place,
    ),
    _m(
        "eke-address-at-accept",
        "eke",
        "EKE-THR-1",
        "test_ops_eke_lock_moments.py",
        "L6: the address's lock checked at accept, the user's at EKE1: an address locked while "
        "a connection waited is answered EKE2",
        _eke_address_at_accept,
    ),
    _m(
        "pki-clock-at-start",
        "pki",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "L6: certificate validity checked against the responder's start time (library time "
        "check off): a certificate that expired since is accepted",
        _pki_clock_at_start,
    ),
    _m(
        "pki-put-deadline-once",
        "pki",
        "LIM-2",
        "test_ops_slow_put.py",
        "L6: the idle timeout applied to a whole put as one deadline set at PUTF: a put still "
        "streaming when it passes is cut with EROR timeout",
        _pki_put_deadline_once,
    ),
    _m(
        "pki-admission-reset-at-refresh",
        "pki",
        "LIM-4",
        "test_ops_admission_counts.py",
        "L2: each CRL refresh rebuilds the connection accounting: the count of open "
        "connections restarts at 0 and the limit is exceeded",
        _pki_admission_reset_at_refresh,
    ),
    _m(
        "eke-address-count-reset-on-establish",
        "eke",
        "LIM-8",
        "test_ops_admission_counts.py",
        "L2: one completed handshake drops its address's whole count of pending connections: "
        "an address interleaving one login holds any number",
        _eke_address_count_reset_on_establish,
    ),
    _m(
        "pki-authz-after-lookup",
        "pki",
        "PKI-ID-3",
        "test_pki_identity.py",
        "L5: the allow list checked only for a request that would be served: a peer not on it "
        "gets not_found/exists/forbidden and keeps its connection",
        _pki_authz_after_lookup,
    ),
    _m(
        "eke-evict-before-address-check",
        "eke",
        "LIM-9",
        "test_ops_admission_counts.py",
        "L5: a full server forgets its oldest pending connection before the per-address check "
        "that then refuses the newcomer: the victim is closed for nothing",
        _eke_evict_before_address_check,
    ),
    _m(
        "eke-release-before-count",
        "eke",
        "EKE-THR-5",
        "test_ops_eke_lock_moments.py",
        "L5: a failed pending login gives back its pending slot before its failure is counted "
        "(after the close and the store update): an EKE1 in between gets EKE2",
        _eke_release_before_count,
    ),
)
