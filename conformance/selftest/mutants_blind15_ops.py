"""Blind red-team round 15, operations: the eke server and the pki responder as services.

Written from docs/SPEC.md (LIM-*, EKE-THR-*, APP-PUT-*, APP-STORE-*, PKI-CERT-7) and the
reference's servers (reference/eke/server.py, throttle.py, transport.py, pki/peer.py,
pki/tls.py, admission.py, share.py, transfer.py) before any case file was opened. A first
list of 25 ideas was checked against the registered mutants' names and descriptions;
fifteen of them were already planted (handshakes serialised, inline peek, lost-update
failure counts, pending slot taken after the modexp, server-wide allow verdict, last
user charged, eviction keeping the address count, inbox snapshot, busy/throttled
counted, LIM-10 blocking sends, ...) and were replaced by the ones below. Each is one
realistic implementer's mistake breaking ONE MUST a black-box tester observes.

Blind run (before any case change, each against the file named at the time): 6 of 16
detected (eke-name-reservation-leak, eke-refusal-reads-eke1, eke-rsfl-name-of-first,
pki-final-placeholder, pki-missing-get-fd-leak, pki-too-large-drains). The ten survivors
now name the new case files that catch their class (test_ops_stalled_neighbours.py,
test_ops_declared_sizes_timers.py, test_ops_eke_throttle_attribution.py,
test_ops_pki_resumption.py, test_ops_admission_refusal_order.py): 16 of 16 detected.

Lens 1 (one blocks all):
  b15ops-pki-handshake-pool           TLS handshakes run on a pool of two workers
  b15ops-eke-handshake-pool           EKE handshakes run on a pool of three workers
  b15ops-eke-bye-linger-under-lock    the BYE_ echo's lingering close holds the server lock
  b15ops-pki-bye-close-waits-peer     close_notify sent, then unwrap() waits unbounded
Lens 5 (asymmetric cost):
  b15ops-eke-refusal-reads-eke1       a thread per refused connection waits for its EKE1
  b15ops-pki-missing-get-fd-leak      a get of a missing name leaks a descriptor
  b15ops-pki-too-large-drains         a too_large PUTF drains `size` bytes of the stream
  b15ops-eke-idle-scaled-by-size      the put's idle timeout stretched to size / 100 KiB/s
  b15ops-eke-hs-deadline-by-length    the handshake deadline grows with a declared length
Lens 6 (check-then-act):
  b15ops-eke-user-slot-not-rolled-back  pending caps checked and taken one key at a time
  b15ops-eke-name-reservation-leak    names of puts in progress are released at commit only
  b15ops-pki-final-placeholder        the final name reserved by an empty file at PUTF
  b15ops-pki-evict-before-address-check  LIM-9's eviction made before LIM-8's check
Lens 2 (another connection's values):
  b15ops-eke-address-of-latest        a failure counted against the latest peer's address
  b15ops-pki-ticket-resumes-revoked   session tickets on, the CRL loaded into the live context
  b15ops-eke-rsfl-name-of-first       RSFL names the connection's first request
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _eke_srv() -> Any:
    return _module("reference.eke.server")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _share() -> Any:
    return _module("reference.share")


# -- lens 1 --------------------------------------------------------------------------


def _pki_handshake_pool() -> None:
    # "A small pool for the CPU-heavy TLS handshakes (two cores), the sessions on their
    # own threads": a queued connection waits for a worker without a deadline, and two
    # silent clients hold both workers for the whole handshake timeout.
    server = _peer().PeerServer
    original = server._handshake
    pool = threading.BoundedSemaphore(2)

    def _handshake(self: Any, raw: Any) -> Any:
        with pool:
            return original(self, raw)

    server._handshake = _handshake


def _eke_handshake_pool() -> None:
    # The same on the eke server: three handshake workers (the modexps are the cost).
    server = _eke_srv().EkeServer
    original = server._handshake
    pool = threading.BoundedSemaphore(3)

    def _handshake(self: Any, sock: Any, address: str) -> Any:
        with pool:
            return original(self, sock, address)

    server._handshake = _handshake


def _eke_bye_linger_under_lock() -> None:
    # "Drop the connection from the table only once it is closed": the lingering close
    # after the BYE_ echo (up to close_linger for the client's FIN) runs under the
    # server's lock, which every accept takes.
    _patch(
        _eke_srv().EkeServer,
        "_serve_records",
        (
            "close_gracefully(sock, self.config.close_linger)",
            "with self._lock:\n"
            "                    close_gracefully(sock, self.config.close_linger)",
        ),
    )


def _pki_bye_close_waits_peer() -> None:
    # unwrap() on a blocking socket: our close_notify goes out, then the responder waits
    # for the initiator's close_notify (or FIN) without a bound before closing TCP.
    peer = _peer()
    tls = _module("reference.pki.tls")

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        try:
            sock.settimeout(None)
            sock.unwrap()
        except (OSError, ValueError):
            tls.close_gracefully(sock, timeout, limit=tls._DRAIN_LIMIT)
            return
        with contextlib.suppress(OSError):
            sock.close()

    peer.close_tls = close_tls


# -- lens 5 --------------------------------------------------------------------------


def _eke_refusal_reads_eke1() -> None:
    # "Log who was refused": a connection refused at accept (LIM-4, LIM-8) gets a thread
    # that first reads its EKE1 (up to the handshake timeout), then answers busy. The
    # refusal is no longer prompt, and each refused connection costs a thread.
    srv = _eke_srv()

    def _b15ops_refuse(server: Any, sock: Any, message: str) -> None:
        with contextlib.suppress(OSError):
            sock.settimeout(server.config.handshake_timeout)
            sock.recv(65536)
            sock.settimeout(1.0)
            sock.sendall(srv.encode_error(srv.ErrorCode.BUSY, message))
        sock.close()

    srv._b15ops_refuse = _b15ops_refuse
    _patch(
        srv.EkeServer,
        "_admit",
        (
            "        with contextlib.suppress(OSError):\n"
            "            sock.settimeout(1.0)\n"
            "            sock.sendall(encode_error(ErrorCode.BUSY, message))\n"
            "        close_at_once(sock)\n"
            "        return",
            "        threading.Thread(\n"
            "            target=_b15ops_refuse, args=(self, sock, message), daemon=True\n"
            "        ).start()\n"
            "        return",
        ),
    )


def _pki_missing_get_fd_leak() -> None:
    # The walk starts from a dup() of the share's descriptor; the not_found path raises
    # without closing it. Under the common default of 1024 descriptors (set here, as a
    # service manager's default would), about a thousand refused gets exhaust them: the
    # listener's accept() fails with EMFILE for everyone.
    resource = _module("resource")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    share = _share().ShareDirectory
    original = share.open

    def open_(self: Any, name: str) -> Any:
        walk = os.dup(self._fd)
        shared = original(self, name)  # raises for a missing name: `walk` leaks
        os.close(walk)
        return shared

    share.open = open_


def _pki_too_large_drains() -> None:
    # "Keep the stream in sync in case the initiator sends anyway": after answering a
    # too_large PUTF, the responder reads and drops up to the announced size — the
    # initiator's next request included, until the idle timeout.
    _patch(
        _module("reference.transfer").Responder,
        "_put",
        (
            'f"files are limited to {self.policy.max_file_size} bytes"\n'
            "            )\n"
            "        )\n"
            "        return",
            'f"files are limited to {self.policy.max_file_size} bytes"\n'
            "            )\n"
            "        )\n"
            "        self._drain(request.size)\n"
            "        return",
        ),
    )


def _eke_idle_scaled_by_size() -> None:
    # "A big put over a slow link must not be cut": while a put is received, the idle
    # timeout becomes the time its announced size takes at 100 KiB/s (a 2 MiB put: 20 s).
    _patch(
        _eke_srv().EkeServer,
        "_serve_records",
        (
            "                        self._receiving.add(conn_id)",
            "                        self._receiving.add(conn_id)\n"
            "                        sock.settimeout(\n"
            "                            max(self.config.idle_timeout, partial.limit / 102400)\n"
            "                        )",
        ),
        (
            "                current, partial = partial, None",
            "                current, partial = partial, None\n"
            "                sock.settimeout(self.config.idle_timeout)",
        ),
    )


def _eke_hs_deadline_by_length() -> None:
    # "A slow link needs time for a long frame": while a handshake frame is incomplete,
    # the deadline is extended by one second per KiB its header announces (an EKE1
    # header announcing 60 KiB, then a trickle, holds the handshake for a minute).
    transport = _module("reference.eke.transport")

    def _b15ops_allowance(hs: Any) -> float:
        buf = hs._inbox
        if len(buf) < 8:
            return 0.0
        return int.from_bytes(bytes(buf[4:8]), "big") / 1024.0

    transport._b15ops_allowance = _b15ops_allowance
    _patch(
        transport,
        "run_handshake",
        (
            "remaining = deadline - time.monotonic()",
            "remaining = deadline + _b15ops_allowance(hs) - time.monotonic()",
        ),
    )
    _eke_srv().run_handshake = transport.run_handshake


# -- lens 6 --------------------------------------------------------------------------


def _eke_user_slot_not_rolled_back() -> None:
    # The caps checked and taken key by key: the user name's slot is taken, then the
    # address is found at its cap and `busy` answered — the user's slot is not given
    # back. P busy answers for the address and the user name is busy for good.
    throttle = _module("reference.eke.throttle")

    def begin(self: Any, user: str, address: str) -> bool:
        keys = (("user", user), ("addr", throttle.address_key(address)))
        caps = (self.config.pending_per_user, self.config.pending_per_address)
        with self._lock:
            for key, cap in zip(keys, caps, strict=True):
                if self._pending.get(key, 0) >= cap:
                    return False
                self._pending[key] = self._pending.get(key, 0) + 1
        return True

    throttle.Throttle.begin = begin


def _eke_name_reservation_leak() -> None:
    # Names of puts in progress are kept in a server-wide set (a second PUTF of one is
    # answered `exists`, which APP-PUT-8 allows); the name leaves the set when its put
    # is stored, not when it fails: after a failed put its name is `exists` for good.
    share = _share()
    errors = _module("reference.errors")
    in_progress: set[str] = set()
    target_name = share.Inbox.target_name
    commit = share.PartialFile.commit

    def target(self: Any, name: str) -> str:
        base: str = target_name(self, name)
        if base in in_progress:
            raise errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "a put of it runs")
        in_progress.add(base)
        return base

    def commit_(self: Any, *, overwrite: bool = False) -> None:
        commit(self, overwrite=overwrite)
        in_progress.discard(self.final_name)

    share.Inbox.target_name = target
    share.PartialFile.commit = commit_


def _pki_final_placeholder() -> None:
    # The final name is reserved at PUTF by creating it empty (O_EXCL), and the verified
    # temporary is renamed over it: the final name exists before verification.
    share = _share()
    errors = _module("reference.errors")
    begin = share.Inbox.begin
    commit = share.PartialFile.commit
    abort = share.PartialFile.abort

    def begin_(self: Any, final_name: str, size: int) -> Any:
        try:
            fd = os.open(final_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=self._fd)
        except FileExistsError:
            raise errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "exists") from None
        os.close(fd)
        partial = begin(self, final_name, size)
        partial._b15ops_placeholder = True
        return partial

    def commit_(self: Any, *, overwrite: bool = False) -> None:
        if getattr(self, "_b15ops_placeholder", False):
            dir_fd = self._dir_fd
            commit(self, overwrite=True)
            self._b15ops_placeholder = False
            del dir_fd
            return
        commit(self, overwrite=overwrite)

    def abort_(self: Any) -> None:
        dir_fd = self._dir_fd
        abort(self)
        if getattr(self, "_b15ops_placeholder", False):
            self._b15ops_placeholder = False
            with contextlib.suppress(OSError):
                os.unlink(self.final_name, dir_fd=dir_fd)

    share.Inbox.begin = begin_
    share.PartialFile.commit = commit_
    share.PartialFile.abort = abort_


def _pki_evict_before_address_check() -> None:
    # "Make room first": when every slot is taken, the oldest pending connection is
    # evicted (LIM-9) before the new one's address is checked (LIM-8); an address at
    # its cap is then refused anyway — its refused connections close other addresses'
    # handshakes in progress.
    admission = _module("reference.admission").Admission
    _patch(
        admission,
        "admit",
        (
            "    if self.pending_from(address) >= self.max_pending_per_address:\n"
            "        return AdmissionDecision(refused=Refusal.PER_ADDRESS)\n",
            "",
        ),
        (
            "    self._pending[key] = address\n",
            "    if self.pending_from(address) >= self.max_pending_per_address:\n"
            "        return AdmissionDecision(refused=Refusal.PER_ADDRESS, evict=evict)\n"
            "    self._pending[key] = address\n",
        ),
    )
    _patch(
        _peer().PeerServer,
        "_dispatch",
        (
            "            if decision.evict is not None:\n"
            "                evicted = self._handles.pop(decision.evict, None)\n",
            "        if decision.evict is not None:\n"
            "            evicted = self._handles.pop(decision.evict, None)\n",
        ),
    )


# -- lens 2 --------------------------------------------------------------------------


def _eke_address_of_latest() -> None:
    # Late binding: the accept loop keeps the latest peer's address on the server, and a
    # failed handshake is counted against that attribute, read when the failure happens:
    # another address's failures land on whoever connected last.
    srv = _eke_srv().EkeServer
    _patch(
        srv,
        "_admit",
        (
            "        conn_id = self._next_id\n",
            "        conn_id = self._next_id\n        self._b15ops_latest = addr[0]\n",
        ),
    )
    _patch(
        srv,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "self.throttle.failed(attempted[0], self._b15ops_latest)",
        ),
    )


def _pki_ticket_resumes_revoked() -> None:
    # "Resumption saves a handshake's signatures": session tickets on, and the CRL
    # refetch loads the new CRL into the live context instead of building a new one (so
    # the tickets stay valid). A resumed session skips the certificate checks: a client
    # whose certificate was revoked since it got its ticket is served.
    peer = _peer()
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    tempfile = _module("tempfile")
    x509 = _module("cryptography.x509")
    serialization = _module("cryptography.hazmat.primitives.serialization")
    server_context = peer.server_context

    def context(identity: Any, crl_der: bytes) -> Any:
        ctx = server_context(identity, crl_der)
        ctx.options &= ~ssl.OP_NO_TICKET
        ctx.num_tickets = 2
        return ctx

    def reload(self: Any, crl_der: bytes) -> None:
        pem = x509.load_der_x509_crl(crl_der).public_bytes(serialization.Encoding.PEM)
        fd, name = tempfile.mkstemp(prefix="sft-crl-", suffix=".pem")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            with self._lock:
                self._context.load_verify_locations(cafile=name)
        finally:
            os.unlink(name)

    peer.server_context = context
    tls.ServerContextHolder.reload = reload


def _eke_rsfl_name_of_first() -> None:
    # The get's answer is built from the connection's request record, filled at its
    # first request only ("the name for the log line"): later gets on the connection
    # are answered RSFL with the first request's name.
    srv = _eke_srv().EkeServer
    _patch(
        srv,
        "_serve_get",
        (
            "stream.send(FileResponse(name, shared.size))",
            "stream.send(FileResponse(_b15ops_first(stream, name), shared.size))",
        ),
    )

    def _b15ops_first(stream: Any, name: str) -> str:
        first: str = stream.__dict__.setdefault("_b15ops_first", name)
        return first

    _eke_srv()._b15ops_first = _b15ops_first


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
) -> Mutant:
    return Mutant(
        f"b15ops-{name}", "blind15-ops", profile, requirement, test_file, description, apply
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("pki-handshake-pool", "pki", "LIM-5", "test_ops_stalled_neighbours.py",
       "L1: TLS handshakes run on a pool of two workers: two silent clients hold both for "
       "the handshake timeout and an honest handshake waits behind them",
       _pki_handshake_pool),
    _m("eke-handshake-pool", "eke", "LIM-5", "test_ops_stalled_neighbours.py",
       "L1: EKE handshakes run on a pool of three workers: three silent clients hold all "
       "of them and an honest login waits (its deadline runs out in the queue)",
       _eke_handshake_pool),
    _m("eke-bye-linger-under-lock", "eke", "LIM-5", "test_ops_stalled_neighbours.py",
       "L1: the lingering close after the BYE_ echo (up to 2 s for the client's FIN) runs "
       "under the server's lock: a client that sends BYE_ and keeps its socket stalls "
       "every accept", _eke_bye_linger_under_lock),
    _m("pki-bye-close-waits-peer", "pki", "APP-BYE-1", "test_ops_stalled_neighbours.py",
       "L1: the close is unwrap() on a blocking socket: after BYE_ (or an error) the "
       "responder waits unbounded for the initiator's close_notify before it closes TCP",
       _pki_bye_close_waits_peer),
    _m("eke-refusal-reads-eke1", "eke", "LIM-8", "test_lockout.py",
       "L5: a connection refused at accept gets a thread that first waits for its EKE1 "
       "(to log the user), then answers busy: a silent refused client is not refused "
       "promptly, and each costs a thread", _eke_refusal_reads_eke1),
    _m("pki-missing-get-fd-leak", "pki", "LIM-5", "test_ops_refusal_descriptors.py",
       "L5: a get of a missing name leaks a dup() of the share's descriptor: under a "
       "1024-descriptor limit a thousand refused gets and accept() fails for everyone",
       _pki_missing_get_fd_leak),
    _m("pki-too-large-drains", "pki", "APP-PUT-7", "test_app_put.py",
       "L5: after answering a PUTF too_large the responder reads and drops up to its "
       "announced size: the initiator's next request is swallowed",
       _pki_too_large_drains),
    _m("eke-idle-scaled-by-size", "eke", "LIM-2", "test_ops_declared_sizes_timers.py",
       "L5: during a put the idle timeout is stretched to the announced size at 100 KiB/s: "
       "a PUTF of 2 MiB followed by silence is kept for 20 s",
       _eke_idle_scaled_by_size),
    _m("eke-hs-deadline-by-length", "eke", "LIM-1", "test_ops_declared_sizes_timers.py",
       "L5: the handshake deadline is extended by 1 s per KiB a pending frame header "
       "announces: an EKE1 header of 60 KiB and a trickle hold the handshake for a minute",
       _eke_hs_deadline_by_length),
    _m("eke-user-slot-not-rolled-back", "eke", "EKE-THR-7", "test_ops_eke_throttle_attribution.py",
       "L6: the pending caps are checked and taken key by key: an EKE1 refused busy for its "
       "address keeps the user name's slot; P such refusals and the name is busy for good",
       _eke_user_slot_not_rolled_back),
    _m("eke-name-reservation-leak", "eke", "APP-PUT-8", "test_ops_put_after_failed_put.py",
       "L6: names of puts in progress are reserved server-wide and released only when "
       "stored: after a failed put its name is answered exists for good",
       _eke_name_reservation_leak),
    _m("pki-final-placeholder", "pki", "APP-STORE-2", "test_app_put_visibility.py",
       "L6: the final name is reserved at PUTF by an empty file and the verified temporary "
       "renamed over it: the final name exists during the whole put",
       _pki_final_placeholder),
    _m("pki-evict-before-address-check", "pki", "LIM-8", "test_ops_admission_refusal_order.py",
       "L6: with every slot taken, the oldest pending connection is closed (LIM-9) before "
       "the new one's address is checked (LIM-8): refused connections of an address at its "
       "cap close other addresses' handshakes", _pki_evict_before_address_check),
    _m("eke-address-of-latest", "eke", "EKE-THR-2", "test_ops_eke_throttle_attribution.py",
       "L2: a failed handshake is counted against the address of the latest connection "
       "(a server attribute), not its own: an attacker's failures lock out the honest "
       "address that connected meanwhile", _eke_address_of_latest),
    _m("pki-ticket-resumes-revoked", "pki", "PKI-CERT-7", "test_ops_pki_resumption.py",
       "L2: session tickets on and the CRL refetch loaded into the live context: a session "
       "resumed with a ticket skips the certificate checks, a revoked client is served",
       _pki_ticket_resumes_revoked),
    _m("eke-rsfl-name-of-first", "eke", "APP-GET-7", "test_app_get.py",
       "L2: a get's RSFL names the connection's first request: the second get of a "
       "connection is answered with the first one's name",
       _eke_rsfl_name_of_first),
)
