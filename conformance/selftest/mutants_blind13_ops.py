"""Blind red-team round 13 (ops): the servers as long-running services (helper B62).

Written from docs/SPEC.md (§3.4, §3.6, §5.6, §6, PKI-CERT-7) and the reference's servers
(reference/eke/server.py, throttle.py, admission.py, reference/pki/peer.py, tls.py,
share.py, transfer.py, the CLI serve commands) before any case file or registered mutant
was read; duplicates of registered mutants found afterwards were replaced. Each is a
mistake of a server that runs for days and meets every failing path many times: what a
failing path takes (a pending-login slot, an admission count, a file descriptor, a name
reservation) and never gives back, or gives back twice; bookkeeping that a refusal, a
timeout or a success elsewhere leaves half changed; a reload that drops a check.

Lens of each (lenses13.md): L1 fail open, L2 absent means permissive, L3 leaks on the
unhappy path, L4 units, L5 part of the value, L6 half-rolled-back state.

* b13ops-eke-pending-released-twice (L3): a failed handshake gives its pending slot back
  twice: more than P logins of one user name in flight.
* b13ops-eke-evicted-login-not-counted (L6): a pending login closed for LIM-9 (eviction)
  is not counted as a failure.
* b13ops-lim8-evict-keeps-address-count (L3): an evicted connection's address keeps its
  pending count: after enough evictions the address is refused for good.
* b13ops-eke-get-fd-leak-too-large (L3): a get refused `too_large` keeps the file open.
* b13ops-pki-dir-fd-leak-not-found (L3): a name whose last component is missing leaks the
  descriptor of its directory.
* b13ops-pki-exists-fd-leak (L3): the inbox's `exists` look-up leaks an O_PATH descriptor.
* b13ops-eke-lim9-evicts-newest (L3): LIFO eviction: the newest pending connection (an
  honest one in mid-handshake) is closed, not the oldest.
* b13ops-eke-refusal-keeps-admission (L3): a handshake refused `throttled`/`busy` keeps
  its address's pending-connection count.
* b13ops-eke-success-clears-user-pending (L6): a success resets the user's pending count:
  the user's other in-flight logins are forgotten.
* b13ops-eke-success-rearms-address-lock (L6): a success touches the address's entry: an
  expired lock of that address starts again.
* b13ops-pki-reservation-kept-after-drop (L6): a name reserved at PUTF is released on
  EROR paths but not when the connection ends mid-put.
* b13ops-eke-reservation-kept-after-timeout (L6): the same, not on the idle timeout.
* b13ops-pki-refresh-drops-crl-check (L1): the context rebuilt at a CRL refresh has no
  CRL check: after the first refresh revoked certificates are accepted.
* b13ops-pki-refresh-allows-tls12 (L1): the context rebuilt at a CRL refresh keeps the
  library's minimum version: TLS 1.2 negotiated (then refused by the alias check).
* b13ops-eke-idle-timeout-int (L4): the idle timeout truncated to whole seconds.
* b13ops-pki-idle-timeout-int (L4): the same on the pki responder.
* b13ops-eke-unknown-users-uncapped (L2): pending logins counted per account: unknown user
  names have no pending cap.
* b13ops-eke-address-lock-no-retry-after (L2): an address-only lock is answered
  `throttled` without `retry_after` (taken from the user's entry, absent).
* b13ops-eke-pending-cap-casefold (L5): the pending cap keyed by casefold(user).

Post-blind variants (written after the cases, to check they catch the class, not the
example): b13ops-pki-evict-keeps-address-count, b13ops-eke-dir-fd-leak-not-found,
b13ops-eke-pending-leak-on-client-eror, b13ops-eke-refusal-released-twice.

Dropped before writing (not observable): "begin() takes the user's slot and then refuses
on the address cap" — with Q equal to LIM-8 (the SPEC defaults and the embedded target)
the address cap of pending logins is never reached: LIM-8 refuses the connection first.
"""

from __future__ import annotations

import os
import resource
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

# Descriptors a leaky server keeps (a Python server's leaked file object would be closed by
# reference counting; a C or Go server's descriptor stays open: these references model it).
_KEPT: list[Any] = []


def _ordinary_fd_limit() -> None:
    """The descriptor limit of an ordinary service (1024, the usual soft limit), which a
    leak on a refused path exhausts; the machine running the self-test allows far more."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = 1024 if hard == resource.RLIM_INFINITY else min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _server() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


# -- L3: leaks on the unhappy path -------------------------------------------------------


def _pending_released_twice() -> None:
    # `end` in the failure branch and again in a `finally` written later "to be safe".
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "            self.throttle.failed(attempted[0], address)\n"
            "            self.throttle.end(attempted[0], address)\n",
            "            self.throttle.failed(attempted[0], address)\n"
            "            self.throttle.end(attempted[0], address)\n"
            "            self.throttle.end(attempted[0], address)  # mutant: and in finally\n",
        ),
    )


def _evicted_login_not_counted() -> None:
    server = _server()
    server._b13_evicted = set()
    _patch_source(
        server.EkeServer,
        "_admit",
        (
            "                evicted = self._connections.get(decision.evict)\n",
            "                evicted = self._connections.get(decision.evict)\n"
            "                _b13_evicted.add(evicted)  # mutant: our own doing\n",
        ),
    )
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "            self.throttle.failed(attempted[0], address)\n",
            "            if sock not in _b13_evicted:  # mutant: we closed it, not a guess\n"
            "                self.throttle.failed(attempted[0], address)\n",
        ),
    )


def _evict_keeps_address_count() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        ("        self._forget_pending(evict)\n", "        self._pending.pop(evict)\n"),
    )


def _get_fd_leak_too_large() -> None:
    _ordinary_fd_limit()
    server = _server()
    server._b13_kept = _KEPT
    _patch_source(
        server.EkeServer,
        "_serve_get",
        ("    with shared:\n", "    _b13_kept.append(shared)\n    if True:  # mutant\n"),
        (
            "        stream.send(stream.app.outgoing_done())\n",
            "        stream.send(stream.app.outgoing_done())\n"
            "        _b13_kept.remove(shared)\n"
            "        shared.close()  # mutant: closed on the happy path only\n",
        ),
    )


def _dir_fd_leak_not_found() -> None:
    _ordinary_fd_limit()
    _patch_source(
        _module("reference.share").ShareDirectory,
        "open",
        (
            "    finally:\n        if current != self._fd:\n            os.close(current)\n",
            "    except BaseException:\n"
            "        raise  # mutant: the directory is closed on success only\n"
            "    if current != self._fd:\n        os.close(current)\n",
        ),
    )


def _exists_fd_leak() -> None:
    _ordinary_fd_limit()
    share = _module("reference.share")

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        try:
            # mutant: O_PATH sees a dangling link too; the descriptor is never closed
            os.open(base, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self._fd)
        except FileNotFoundError:
            return base
        raise share.RemoteProtocolError(
            share.ErrorCode.EXISTS, f"{share._shown(base)} already exists in the inbox"
        )

    share.Inbox.target_name = target_name


def _evicts_newest() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "        evict = next(iter(self._pending))\n",
            "        evict = next(reversed(self._pending))  # mutant: the newest\n",
        ),
    )


def _refusal_keeps_admission() -> None:
    server = _server()
    server._b13_refused = set()
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "        with contextlib.suppress(OSError):\n            sock.close()\n",
            "        if getattr(exc, 'code', None) in (ErrorCode.THROTTLED, ErrorCode.BUSY):\n"
            "            _b13_refused.add(threading.get_ident())  # mutant\n"
            "        with contextlib.suppress(OSError):\n            sock.close()\n",
        ),
    )
    _patch_source(
        server.EkeServer,
        "_run_connection",
        (
            "            self._admission.release(conn_id)\n",
            "            if threading.get_ident() not in _b13_refused:  # mutant: refused early\n"
            "                self._admission.release(conn_id)\n"
            "            _b13_refused.discard(threading.get_ident())\n",
        ),
    )


# -- L6: half-rolled-back state ----------------------------------------------------------


def _success_clears_user_pending() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        (
            '        self._entries.pop(("user", user), None)\n',
            '        self._entries.pop(("user", user), None)\n'
            '        self._pending.pop(("user", user), None)  # mutant: a clean slate\n',
        ),
    )


def _success_rearms_address_lock() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        ("    del address  # a shared address's other failures are not ours to forgive\n", ""),
        (
            '        self._entries.pop(("user", user), None)\n',
            '        self._entries.pop(("user", user), None)\n'
            '        key = ("addr", address_key(address))\n'
            "        entry = self._entries.get(key)\n"
            "        if entry is not None:  # mutant: touched, like an LRU cache\n"
            "            entry.last = self._clock()\n"
            "            self._entries[key] = entry\n",
        ),
    )


_RESERVED: set[tuple[int, str]] = set()
_RESERVED_LOCK = threading.Lock()


def _install_reservations() -> None:
    """Names of puts in progress, reserved at PUTF (a second PUTF of one is `exists`, which
    APP-PUT-8 allows) and released when the put is stored or aborted — unless the abort is
    marked `_b13_keep` (the path the mutant forgets)."""
    share = _module("reference.share")
    inbox_cls, partial_cls = share.Inbox, share.PartialFile
    original_target, original_begin = inbox_cls.target_name, inbox_cls.begin
    original_commit, original_abort = partial_cls.commit, partial_cls.abort

    def target_name(self: Any, name: str) -> str:
        base: str = original_target(self, name)
        with _RESERVED_LOCK:
            if (id(self), base) in _RESERVED:
                raise share.RemoteProtocolError(
                    share.ErrorCode.EXISTS, f"{share._shown(base)} is being received"
                )
        return base

    def begin(self: Any, final_name: str, size: int) -> Any:
        partial = original_begin(self, final_name, size)
        with _RESERVED_LOCK:
            _RESERVED.add((id(self), final_name))
        partial._b13_reservation = (id(self), final_name)
        return partial

    def _release(partial: Any) -> None:
        key = getattr(partial, "_b13_reservation", None)
        if key is not None and not getattr(partial, "_b13_keep", False):
            partial._b13_reservation = None
            with _RESERVED_LOCK:
                _RESERVED.discard(key)

    def commit(self: Any, *, overwrite: bool = False) -> None:
        try:
            original_commit(self, overwrite=overwrite)
        finally:
            _release(self)

    def abort(self: Any) -> None:
        original_abort(self)
        _release(self)

    inbox_cls.target_name, inbox_cls.begin = target_name, begin
    partial_cls.commit, partial_cls.abort = commit, abort


def _pki_reservation_kept_after_drop() -> None:
    _install_reservations()
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        (
            "            self.channel.receive_file(partial, request.size, None)\n",
            "            try:\n"
            "                self.channel.receive_file(partial, request.size, None)\n"
            "            except (TruncatedStream, OSError, TransferFailed):\n"
            "                partial._b13_keep = True  # mutant: the peer may come back\n"
            "                raise\n",
        ),
    )


def _eke_reservation_kept_after_timeout() -> None:
    _install_reservations()
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            '                self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")\n'
            "                return\n",
            '                self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")\n'
            "                if partial is not None:\n"
            "                    partial._b13_keep = True  # mutant: a resume may follow\n"
            "                return\n",
        ),
    )


# -- L1: fail open -----------------------------------------------------------------------


def _refresh_drops_crl_check() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "refresh_crl",
        (
            "    self._contexts.reload(crl)\n",
            "    self._contexts._build = lambda der: server_context(self.identity, None)\n"
            "    self._contexts.reload(crl)  # mutant: the reload path forgets the CRL\n",
        ),
    )


def _refresh_allows_tls12() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "refresh_crl",
        (
            "    self._contexts.reload(crl)\n",
            "    self._contexts.reload(crl)\n"
            "    # mutant: the reload path's context keeps the library's minimum version\n"
            "    self._contexts.context.minimum_version = ssl.TLSVersion.TLSv1_2\n",
        ),
    )


# -- L4: units -----------------------------------------------------------------------


def _eke_idle_timeout_int() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "    sock.settimeout(self.config.idle_timeout)\n",
            "    sock.settimeout(int(self.config.idle_timeout))  # mutant: whole seconds\n",
        ),
    )


def _pki_idle_timeout_int() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_connection",
        (
            "        tls.settimeout(self.config.idle_timeout)\n",
            "        tls.settimeout(int(self.config.idle_timeout))  # mutant: whole seconds\n",
        ),
    )


# -- L2: absent means permissive ---------------------------------------------------------


def _unknown_users_uncapped() -> None:
    server = _server()

    def _b13_known(store: Any, user: str) -> bool:
        return any(record.name == user for record in store.users())

    server._b13_known = _b13_known
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "            if not self.throttle.begin(event.user, address):\n",
            "            # mutant: pending logins are kept on the account; none, no count\n"
            "            known = _b13_known(self.store, event.user)\n"
            "            if known and not self.throttle.begin(event.user, address):\n",
        ),
    )


def _address_lock_no_retry_after() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_source(
        handshake.ServerHandshake,
        "refuse_throttled",
        (
            "    seconds = max(1, math.ceil(retry_after))\n",
            "    seconds = None if retry_after is None else max(1, math.ceil(retry_after))\n",
        ),
    )
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "                hs.refuse_throttled(wait)\n",
            "                # mutant: the wait is the user's; an address lock has none\n"
            "                user_locked = (\n"
            "                    self.throttle.failures(user=event.user)\n"
            "                    >= self.throttle.config.failures\n"
            "                )\n"
            "                hs.refuse_throttled(wait if user_locked else None)\n",
        ),
    )


# -- L5: part of the value ---------------------------------------------------------------


def _pending_cap_casefold() -> None:
    throttle = _throttle().Throttle
    _patch_source(
        throttle,
        "begin",
        ('    keys = (("user", user), ', '    keys = (("user", user.casefold()), '),
    )
    _patch_source(
        throttle,
        "end",
        (
            '        for key in (("user", user), ',
            '        for key in (("user", user.casefold()), ',
        ),
    )


# -- post-blind variants (written after the cases, to check that each catches its class) --


def _pending_leak_on_client_eror() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "            self.throttle.end(attempted[0], address)\n",
            "            if getattr(exc, 'message', '') != 'the client sent an error':\n"
            "                self.throttle.end(attempted[0], address)  # mutant\n",
        ),
    )


def _refusal_released_twice() -> None:
    server = _server()
    server._b13_refused = set()
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "        with contextlib.suppress(OSError):\n            sock.close()\n",
            "        if getattr(exc, 'code', None) in (ErrorCode.THROTTLED, ErrorCode.BUSY):\n"
            "            _b13_refused.add(threading.get_ident())\n"
            "        with contextlib.suppress(OSError):\n            sock.close()\n",
        ),
    )
    _patch_source(
        server.EkeServer,
        "_run_connection",
        (
            "        result = self._handshake(sock, address)\n",
            "        result = self._handshake(sock, address)\n"
            "        if threading.get_ident() in _b13_refused:\n"
            "            _b13_refused.discard(threading.get_ident())\n"
            "            with self._lock:  # mutant: the slot freed at once (and at the end)\n"
            "                counts = self._admission._pending_by_address\n"
            "                counts[address] = counts.get(address, 0) - 1\n",
        ),
    )


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b13ops-{name}",
        group="blind13-ops",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "eke-pending-released-twice",
        "eke",
        "EKE-THR-7",
        "test_ops_eke_pending_ledger.py",
        "L3: a failed handshake gives its pending-login slot back twice (the failure branch "
        "and a finally): more than P logins of one user name get EKE2 at once",
        _pending_released_twice,
    ),
    _m(
        "eke-evicted-login-not-counted",
        "eke",
        "EKE-THR-5",
        "test_interop_x_evicted_handshakes.py",
        "L6: a pending login the server closes to make room (LIM-9) is not counted as a "
        "failure: filling the slots evicts one's own spent guesses for free",
        _evicted_login_not_counted,
    ),
    _m(
        "lim8-evict-keeps-address-count",
        "eke",
        "LIM-8",
        "test_ops_admission_ledger.py",
        "L3: a pending connection evicted for LIM-9 leaves its address's pending count "
        "raised: after that many evictions the address is refused for good",
        _evict_keeps_address_count,
    ),
    _m(
        "eke-get-fd-leak-too-large",
        "eke",
        "LIM-5",
        "test_ops_refusal_descriptors.py",
        "L3: a get refused too_large never closes the file it opened (1024 descriptors): "
        "after about a thousand such gets the server accepts nothing",
        _get_fd_leak_too_large,
    ),
    _m(
        "pki-dir-fd-leak-not-found",
        "pki",
        "LIM-5",
        "test_ops_refusal_descriptors.py",
        "L3: a get of a missing file inside a directory leaks that directory's descriptor "
        "(1024 descriptors): after about a thousand the peer accepts nothing",
        _dir_fd_leak_not_found,
    ),
    _m(
        "pki-exists-fd-leak",
        "pki",
        "LIM-5",
        "test_ops_refusal_descriptors.py",
        "L3: the inbox's exists look-up (O_PATH open) never closes its descriptor when the "
        "name exists (1024 descriptors): a thousand refused puts and the peer accepts nothing",
        _exists_fd_leak,
    ),
    _m(
        "eke-lim9-evicts-newest",
        "eke",
        "LIM-9",
        "test_ops_lim9_eviction_order.py",
        "L3: a full server closes the NEWEST pending connection to admit one: an honest "
        "client in mid-handshake is closed by the next silent socket",
        _evicts_newest,
    ),
    _m(
        "eke-refusal-keeps-admission",
        "eke",
        "LIM-8",
        "test_ops_admission_ledger.py",
        "L3: a handshake refused throttled or busy never gives its address's pending "
        "connection count back: a throttled address is refused at accept for good",
        _refusal_keeps_admission,
    ),
    _m(
        "eke-success-clears-user-pending",
        "eke",
        "EKE-THR-7",
        "test_ops_eke_pending_ledger.py",
        "L6: a successful login resets its user name's pending count: the user's other "
        "in-flight logins are forgotten and P more are let in",
        _success_clears_user_pending,
    ),
    _m(
        "eke-success-rearms-address-lock",
        "eke",
        "EKE-THR-6",
        "test_ops_eke_pending_ledger.py",
        "L6: a success touches its address's failure entry (LRU style): an address whose "
        "lock ran out is locked again from that success",
        _success_rearms_address_lock,
    ),
    _m(
        "pki-reservation-kept-after-drop",
        "pki",
        "APP-PUT-8",
        "test_ops_put_after_failed_put.py",
        "L6: a put's name is reserved at PUTF and released when it is stored or refused, "
        "but not when its connection ends mid-put: that name is `exists` for good",
        _pki_reservation_kept_after_drop,
    ),
    _m(
        "eke-reservation-kept-after-timeout",
        "eke",
        "APP-PUT-8",
        "test_ops_put_after_failed_put.py",
        "L6: a put's name is reserved at PUTF and released when it is stored or refused, "
        "but not when the idle timeout ends it: that name is `exists` for good",
        _eke_reservation_kept_after_timeout,
    ),
    _m(
        "pki-refresh-drops-crl-check",
        "pki",
        "PKI-CERT-7",
        "test_ops_pki_refreshed_context.py",
        "L1: the context rebuilt at each CRL refresh has no CRL: after the first refresh "
        "every revoked certificate is accepted",
        _refresh_drops_crl_check,
    ),
    _m(
        "pki-refresh-allows-tls12",
        "pki",
        "PKI-TLS-1",
        "test_ops_pki_refreshed_context.py",
        "L1: the context rebuilt at each CRL refresh keeps the library's minimum version: "
        "after the first refresh a TLS 1.2 handshake completes (then refused by the alias "
        "check)",
        _refresh_allows_tls12,
    ),
    _m(
        "eke-idle-timeout-int",
        "eke",
        "LIM-2",
        "test_ops_idle_floor.py",
        "L4: the idle timeout truncated to whole seconds (1.5 s -> 1 s): a client silent "
        "for less than the idle timeout is cut off",
        _eke_idle_timeout_int,
    ),
    _m(
        "pki-idle-timeout-int",
        "pki",
        "LIM-2",
        "test_ops_idle_floor.py",
        "L4: the idle timeout truncated to whole seconds (1.5 s -> 1 s): a client silent "
        "for less than the idle timeout is cut off",
        _pki_idle_timeout_int,
    ),
    _m(
        "eke-unknown-users-uncapped",
        "eke",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "L2: pending logins counted on the account: an unknown user name (and its "
        "address) has no pending cap",
        _unknown_users_uncapped,
    ),
    _m(
        "eke-address-lock-no-retry-after",
        "eke",
        "ERR-7",
        "test_eke_throttling.py",
        "L2: retry_after comes from the user's entry: an EKE1 refused for its address's "
        "lock alone is `throttled` without retry_after",
        _address_lock_no_retry_after,
    ),
    _m(
        "pki-evict-keeps-address-count",
        "pki",
        "LIM-8",
        "test_ops_admission_ledger.py",
        "L3 (post-blind): a pending connection evicted for LIM-9 leaves its address's "
        "pending count raised (the pki peer): that address is refused for good",
        _evict_keeps_address_count,
    ),
    _m(
        "eke-dir-fd-leak-not-found",
        "eke",
        "LIM-5",
        "test_ops_refusal_descriptors.py",
        "L3 (post-blind): a get of a missing file inside a directory leaks that "
        "directory's descriptor (the eke server, 1024 descriptors)",
        _dir_fd_leak_not_found,
    ),
    _m(
        "eke-pending-leak-on-client-eror",
        "eke",
        "EKE-THR-7",
        "test_ops_eke_pending_ledger.py",
        "L3 (post-blind): a login the client ends with its own EROR after EKE2 is counted "
        "but never gives its pending slot back: P such endings and the name is busy for good",
        _pending_leak_on_client_eror,
    ),
    _m(
        "eke-refusal-released-twice",
        "eke",
        "LIM-8",
        "test_ops_admission_ledger.py",
        "L3 (post-blind): a handshake refused throttled or busy lowers its address's "
        "pending count at once and again when it ends: one more connection than the cap",
        _refusal_released_twice,
    ),
    _m(
        "eke-pending-cap-casefold",
        "eke",
        "EKE-THR-7",
        "test_ops_eke_pending_ledger.py",
        "L5: the pending cap keyed by casefold(user): logins of `Ghost` fill the cap of "
        "`ghost`, another user name",
        _pending_cap_casefold,
    ),
)

