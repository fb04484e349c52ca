"""Blind red-team round 10 (ops): the servers as long-running services.

Written blind (from docs/SPEC.md and the reference's servers only) by helper B36. Each
mutant is one mistake of an implementer whose server works for the first connection,
transfer or user and then drifts: state kept per process instead of per connection (or
the reverse), counters and slots not given back after success, failure or timeout, a
restart that forgets or wrongly keeps state, a limit applied on one path only, an option
parsed but not applied. Lens (docs lenses10.md) of each:

- b10ops-eke-pending-not-ended-on-success       L3 pending slot never given back on success
- b10ops-eke-failure-charged-to-last-user       L3 pending user kept on the server object
- b10ops-eke-success-reset-not-persisted        L3 restart brings a forgiven count back
- b10ops-eke-restart-relocks-expired            L3 restart re-arms an expired backoff
- b10ops-eke-restart-drops-hard-locks           L3 start-up "cleanup" forgets hard locks
- b10ops-eke-restart-forgets-addresses          L3 only the user table is reloaded
- b10ops-eke-db-insert-or-ignore                L5 write-through keeps the first count only
- b10ops-eke-sweep-all-sft-files                L4 start-up sweep deletes committed files
- b10ops-eke-failed-handshake-slot-leak         L3 slot freed only after a handshake succeeded
- b10ops-eke-idle-timer-not-rearmed             L3 idle watchdog armed once per connection
- b10ops-eke-put-lifts-idle-timeout             L2 idle timeout off once a put began
- b10ops-eke-timeout-keeps-partial              L2 temporary kept "for a resume" on timeout
- b10ops-eke-race-loser-closes                  L4 close after the non-fatal `exists` at DONE
- b10ops-eke-busy-counts-failure                L1 busy counted as a failure
- b10ops-eke-success-resets-address             L1 success forgives the address too
- b10ops-eke-throttle-per-user-address          L1 "per user" counted per (user, address)
- b10ops-eke-lock-after-not-applied             L1 --lock-after parsed, 100 applied
- b10ops-eke-pending-address-cap-default        L1 --max-pending-per-address not applied
- b10ops-eke-inbox-snapshot                     L3 inbox listing cached per connection
- b10ops-eke-one-put-per-connection             L4 connection closed after a stored put
- b10ops-eke-one-pending-login-per-user         L4 "one login at a time" per user name
- b10ops-pki-release-forgets-established        L3 slot of a completed session never freed
- b10ops-pki-release-forgets-pending            L3 slot of a failed TLS handshake never freed
- b10ops-pki-established-never-marked           L3 established connections stay "pending"
- b10ops-pki-watchdog-not-cancelled             L5 handshake watchdog cuts a live session
- b10ops-pki-alias-cache-by-address             L3 identity cached per client address
- b10ops-pki-timeout-keeps-partial              L2 temporary kept on an idle timeout
- b10ops-pki-blocking-after-get                 L3 socket left blocking after a get
- b10ops-pki-max-file-size-default              L1 --max-file-size parsed, default applied
- b10ops-pki-share-negative-cache               L3 not_found cached per connection
- b10ops-pki-allow-list-first-request-only      L2 allow list checked on the first request

Written after the blind run (not counted in its measure), for the classes phase 2 covers:

- b10ops-eke-db-last-not-updated               L3 the upsert keeps the first failure's time
- b10ops-pki-inbox-snapshot                    L3 inbox listed once per process at start
- b10ops-eke-share-open-file-cache             L3 descriptors of served files kept per process
- b10ops-pki-exists-only-regular-files          L1 "exists" checked with isfile()
- b10ops-eke-validated-path-cache              L3 a name checked once, then opened by path
- b10ops-eke-keepalive-request-limit           L4 a connection closed after 100 requests
- b10ops-pki-keepalive-request-limit           L4 a connection closed after 100 requests

Dropped: a file-descriptor leak per get of a directory (the embedded server runs with
20000 descriptors: not observable in a bounded run); a per-process SHA-256 cache for
RSFL.sha256 (RSFL.sha256 is optional and no MUST ties it to the file's bytes beyond the
initiator's check); pending handshakes not persisted across a restart (a SHOULD); a
start-up sweep that applies the initiator's age rule (older than the idle timeout) to the
inbox (test_eke_restart_state.py documents it as lenient, not wrong: dropped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import stat
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind10-ops"


def _server() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _cut_later(sock: socket.socket, delay: float) -> None:
    """Shuts `sock` down after `delay` seconds, whatever happens meanwhile."""

    def cut() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(delay, cut)
    timer.daemon = True
    timer.start()


# -- eke: throttling state ----------------------------------------------------------------


def _pending_not_ended_on_success() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        ("self.throttle.end(established.user, address)", "pass"),
    )


def _failure_charged_to_last_user() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "attempted.append(event.user)",
            "attempted.append(event.user); self._b10_last_user = event.user",
        ),
        (
            "self.throttle.failed(attempted[0], address)",
            "self.throttle.failed(self._b10_last_user, address)",
        ),
    )


def _success_reset_not_persisted() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        ('self._entries.pop(("user", user), None)', 'self._entries.table("user").pop(user, None)'),
    )


def _restart_relocks_expired() -> None:
    _patch_source(
        _throttle()._FailureTables,
        "load",
        ("_Entry(int(failures), float(last))", "_Entry(int(failures), time.time())"),
    )


def _restart_drops_hard_locks() -> None:
    _patch_source(
        _throttle().Throttle,
        "__init__",
        (
            "self._entries.load()",
            "self._entries.load(); [self._entries.pop(k) for k in list(self._entries)"
            " if self._clock() - self._entries.get(k).last > self.config.cap]",
        ),
    )


def _restart_forgets_addresses() -> None:
    _patch_source(
        _throttle()._FailureTables,
        "load",
        ("if kind in self._tables:", 'if kind == "user":'),
    )


def _db_insert_or_ignore() -> None:
    _patch_source(
        _throttle()._FailureTables,
        "__setitem__",
        ("INSERT OR REPLACE", "INSERT OR IGNORE"),
    )


def _busy_counts_failure() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
            "hs.refuse_busy(self.throttle.config.busy_retry_after);"
            " self.throttle.failed(event.user, address)",
        ),
    )


def _success_resets_address() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        ("del address", "pass"),
        (
            'self._entries.pop(("user", user), None)',
            'self._entries.pop(("user", user), None);'
            ' self._entries.pop(("addr", address_key(address)), None)',
        ),
    )


def _throttle_per_user_address() -> None:
    throttle = _throttle().Throttle
    _patch_source(
        throttle,
        "failed",
        ('for key in (("user", user), ("addr", address)):',
         'for key in (("user", f"{user}@{address}"), ("addr", address)):'),
    )
    _patch_source(
        throttle,
        "retry_after",
        ('self._wait(("user", user), now)', 'self._wait(("user", f"{user}@{address}"), now)'),
    )


def _lock_after_not_applied() -> None:
    _patch_source(
        _throttle().Throttle,
        "_hard_locked",
        ("entry.failures >= self.config.lock_after", "entry.failures >= 100"),
    )


def _one_pending_login_per_user() -> None:
    _patch_source(
        _throttle().Throttle,
        "begin",
        ("caps = (self.config.pending_per_user,", "caps = (1,"),
    )


# -- eke: connections, puts, the inbox -------------------------------------------------------


def _sweep_all_sft_files() -> None:
    def sweep(directory: Any, *, older_than: float | None = None) -> int:
        del older_than
        removed = 0
        for entry in list(os.scandir(directory)):
            if entry.name.startswith(".sft-") and stat.S_ISREG(
                entry.stat(follow_symlinks=False).st_mode
            ):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    _server().remove_stale_partials = sweep


def _failed_handshake_slot_leak() -> None:
    _patch_source(
        _server().EkeServer,
        "_run_connection",
        (
            "self._admission.release(conn_id)",
            "(self._admission.release(conn_id)"
            " if locals().get('result') is not None else None)",
        ),
    )


def _idle_timer_not_rearmed() -> None:
    server = _server()
    server._b10_cut_later = _cut_later
    _patch_source(
        server.EkeServer,
        "_serve_records",
        (
            "sock.settimeout(self.config.idle_timeout)",
            "sock.settimeout(self.config.idle_timeout);"
            " _b10_cut_later(sock, self.config.idle_timeout)",
        ),
    )


def _put_lifts_idle_timeout() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        ("self._receiving.add(conn_id)", "self._receiving.add(conn_id); sock.settimeout(None)"),
    )


def _timeout_keeps_partial() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            'self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")',
            'self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout"); partial = None',
        ),
    )


def _race_loser_closes() -> None:
    _patch_source(
        _server().EkeServer,
        "_finish_put",
        ('return f"refused {exc.code.wire_name}"', 'raise ConnectionError("lost the race")'),
    )


def _pending_address_cap_default() -> None:
    _patch_source(
        _server().EkeServer,
        "__init__",
        (
            "Admission(config.max_connections, config.max_pending_per_address)",
            "Admission(config.max_connections, 8)",
        ),
    )


def _inbox_snapshot() -> None:
    share = _module("reference.share")
    local = threading.local()

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        names = getattr(local, "names", None)
        if names is None:  # the listing, once per connection (one thread each)
            names = local.names = set(os.listdir(self.path))
        if base in names:
            raise share.RemoteProtocolError(share.ErrorCode.EXISTS, f"{base!r} already exists")
        return base

    share.Inbox.target_name = target_name


def _one_put_per_connection() -> None:
    _patch_source(
        _server().EkeServer,
        "_finish_put",
        ('return "stored"', 'raise ConnectionError("one put per connection")'),
    )


# -- pki --------------------------------------------------------------------------------------


def _admission() -> Any:
    return _module("reference.admission").Admission


def _pki_release_forgets_established() -> None:
    _patch_source(_admission(), "release", ("self._established.discard(key)", "pass"))


def _pki_release_forgets_pending() -> None:
    _patch_source(_admission(), "release", ("self._forget_pending(key)", "pass"))


def _pki_established_never_marked() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_connection",
        ("evicted = not self._admission.established(key)", "evicted = False"),
    )


def _pki_watchdog_not_cancelled() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "server_handshake",
        ("    finally:\n        watchdog.cancel()\n", "    finally:\n        pass\n"),
    )
    peer = _module("reference.pki.peer")
    peer.server_handshake = _module("reference.pki.tls").server_handshake


def _pki_alias_cache_by_address() -> None:
    peer = _module("reference.pki.peer")
    original = peer.peer_alias
    cache: dict[str, str] = {}
    lock = threading.Lock()

    def cached(sock: Any, *, as_server: bool) -> str:
        address = str(sock.getpeername()[0])
        with lock:
            if address in cache:
                return cache[address]
        alias: str = original(sock, as_server=as_server)
        with lock:
            cache[address] = alias
        return alias

    peer.peer_alias = cached


def _pki_timeout_keeps_partial() -> None:
    _patch_source(
        _module("reference.share").PartialFile,
        "__exit__",
        ("if not self._done:", "if not self._done and exc_type is not TimeoutError:"),
    )


def _pki_blocking_after_get() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "_get",
        (
            "self.channel.send_file(shared.file.readinto, shared.size, None)",
            "self.channel.stream.settimeout(None);"
            " self.channel.send_file(shared.file.readinto, shared.size, None)",
        ),
    )


def _pki_max_file_size_default() -> None:
    _patch_source(
        _module("reference.pki.peer").PeerServer,
        "_connection",
        ("max_file_size=self.config.max_file_size,", "max_file_size=DEFAULT_MAX_FILE_SIZE,"),
    )


def _pki_share_negative_cache() -> None:
    share = _module("reference.share")
    original = share.ShareDirectory.open
    local = threading.local()

    def open_cached(self: Any, name: str) -> Any:
        missing: set[str] | None = getattr(local, "missing", None)
        if missing is None:
            missing = local.missing = set()
        if name in missing:
            raise share._not_found(name)
        try:
            return original(self, name)
        except share.RemoteProtocolError as exc:
            if exc.code is share.ErrorCode.NOT_FOUND:
                missing.add(name)
            raise

    share.ShareDirectory.open = open_cached


def _pki_allow_list_first_request_only() -> None:
    transfer = _module("reference.transfer")
    transfer._b10_authorised = lambda policy: dataclasses.replace(policy, authorised=True)
    _patch_source(
        transfer.Responder,
        "run",
        (
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))",
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal));"
            " self.policy = _b10_authorised(self.policy); continue",
        ),
    )


# -- written after the blind run ----------------------------------------------------------------


def _db_last_not_updated() -> None:
    _patch_source(
        _throttle()._FailureTables,
        "__setitem__",
        (
            "INSERT OR REPLACE INTO failures (kind, key, failures, last) VALUES (?, ?, ?, ?)",
            "INSERT INTO failures (kind, key, failures, last) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET failures = excluded.failures",
        ),
    )


def _pki_inbox_snapshot() -> None:
    share = _module("reference.share")
    known: dict[int, set[str]] = {}
    lock = threading.Lock()

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        with lock:
            names = known.setdefault(id(self), set(os.listdir(self.path)))
            if base in names:
                raise share.RemoteProtocolError(
                    share.ErrorCode.EXISTS, f"{base!r} already exists"
                )
        return base

    original_commit = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original_commit(self, overwrite=overwrite)
        with lock:
            for names in known.values():
                names.add(self.final_name)

    share.Inbox.target_name = target_name
    share.PartialFile.commit = commit


def _share_open_file_cache() -> None:
    share = _module("reference.share")
    original = share.ShareDirectory.open
    cache: dict[str, int] = {}
    lock = threading.Lock()

    def open_cached(self: Any, name: str) -> Any:
        with lock:
            fd = cache.get(name)
        if fd is None:
            opened = original(self, name)
            fd = os.dup(opened.file.fileno())
            opened.close()
            with lock:
                cache[name] = fd
        mine = os.dup(fd)
        os.lseek(mine, 0, os.SEEK_SET)
        size = os.fstat(mine).st_size
        return share.SharedFile(_module("io").FileIO(mine, "rb", closefd=True), size)

    share.ShareDirectory.open = open_cached


def _exists_only_regular_files() -> None:
    share = _module("reference.share")

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        if os.path.isfile(os.path.join(self.path, base)):
            raise share.RemoteProtocolError(share.ErrorCode.EXISTS, f"{base!r} already exists")
        return base

    share.Inbox.target_name = target_name


def _validated_path_cache() -> None:
    share = _module("reference.share")
    original = share.ShareDirectory.open
    checked: set[str] = set()
    lock = threading.Lock()

    def open_cached(self: Any, name: str) -> Any:
        with lock:
            known = name in checked
        if not known:
            result = original(self, name)
            with lock:
                checked.add(name)
            return result
        try:
            fd = os.open(os.path.join(self.path, name), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            raise share._not_found(name) from None
        size = os.fstat(fd).st_size
        return share.SharedFile(_module("io").FileIO(fd, "rb", closefd=True), size)

    share.ShareDirectory.open = open_cached


_KEEPALIVE_REQUESTS = 100  # nginx's keepalive_requests of old


def _keepalive_limit(error: Any) -> Any:
    """A counter of requests per connection that raises `error()` past the limit."""
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def count(connection: object) -> None:
        with lock:
            seen = counts[id(connection)] = counts.get(id(connection), 0) + 1
        if seen > _KEEPALIVE_REQUESTS:
            raise error()

    return count


def _eke_keepalive_request_limit() -> None:
    server = _server()
    server._b10_limit = _keepalive_limit(lambda: ConnectionError("keepalive request limit"))
    _patch_source(
        server.EkeServer,
        "_serve_records",
        (
            "outcome = self._serve_get(stream, event.name)",
            "_b10_limit(stream); outcome = self._serve_get(stream, event.name)",
        ),
    )


def _pki_keepalive_request_limit() -> None:
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    transfer._b10_limit = _keepalive_limit(
        lambda: transfer.TransferFailed(
            errors.ErrorCode.BUSY, "keepalive request limit", remote=False
        )
    )
    _patch_source(
        transfer.Responder, "run", ("self._get(event)", "_b10_limit(self); self._get(event)")
    )


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b10ops-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("eke-pending-not-ended-on-success", "eke", "EKE-THR-7", "test_eke_throttling.py",
       "a successful handshake never gives its pending slot back: after P logins of a "
       "user (sequential, all successful) its EKE1 is answered busy",
       _pending_not_ended_on_success),
    _m("eke-failure-charged-to-last-user", "eke", "EKE-THR-5",
       "test_ops_eke_interleaved_logins.py",
       "the user of the last EKE2 sent is kept on the server object: a failed handshake "
       "is counted against whichever user logged in meanwhile",
       _failure_charged_to_last_user),
    _m("eke-success-reset-not-persisted", "eke", "EKE-THR-4", "test_eke_restart.py",
       "a success forgives the user's count in memory only: a restart brings it back",
       _success_reset_not_persisted),
    _m("eke-restart-relocks-expired", "eke", "EKE-THR-6", "test_eke_restart_locks.py",
       "failure times are not reloaded: a restart re-arms the backoff of every entry "
       "from the restart's time",
       _restart_relocks_expired),
    _m("eke-restart-drops-hard-locks", "eke", "EKE-THR-11", "test_eke_restart_locks.py",
       "start-up drops entries whose latest failure is older than the cap, hard locks too",
       _restart_drops_hard_locks),
    _m("eke-restart-forgets-addresses", "eke", "EKE-THR-8", "test_eke_restart.py",
       "only the user-name table is reloaded at start: address counts reset by a restart",
       _restart_forgets_addresses),
    _m("eke-db-insert-or-ignore", "eke", "EKE-THR-8", "test_eke_restart.py",
       "the write-through never updates a row: a restart reloads every count as 1",
       _db_insert_or_ignore),
    _m("eke-sweep-all-sft-files", "eke", "APP-PUT-5", "test_eke_restart_state.py",
       "the start-up sweep removes every '.sft-*' file, also a committed put '.sft-notes'",
       _sweep_all_sft_files),
    _m("eke-failed-handshake-slot-leak", "eke", "LIM-4", "test_app_server_ops.py",
       "a connection whose handshake failed keeps its admission slot: after the per-address "
       "cap of failed handshakes an address can never connect again",
       _failed_handshake_slot_leak),
    _m("eke-idle-timer-not-rearmed", "eke", "APP-2", "test_limits.py",
       "the idle watchdog is armed once at login and never re-armed: an active connection "
       "is cut idle_timeout after its handshake",
       _idle_timer_not_rearmed),
    _m("eke-put-lifts-idle-timeout", "eke", "LIM-2", "test_limits.py",
       "once a put is accepted the socket has no timeout: a put that stalls is never closed",
       _put_lifts_idle_timeout),
    _m("eke-timeout-keeps-partial", "eke", "APP-STORE-3", "test_limits.py",
       "a put ended by the idle timeout keeps its temporary file (for a resume)",
       _timeout_keeps_partial),
    _m("eke-race-loser-closes", "eke", "ERR-3", "test_app_put_race_loser.py",
       "after the non-fatal `exists` that ends a put which lost the race at DONE the "
       "responder closes the connection",
       _race_loser_closes),
    _m("eke-busy-counts-failure", "eke", "EKE-THR-7", "test_eke_throttling.py",
       "an EKE1 answered busy is counted as a failure", _busy_counts_failure),
    _m("eke-success-resets-address", "eke", "EKE-THR-6", "test_eke_throttling.py",
       "a success forgives the address's failures too", _success_resets_address),
    _m("eke-throttle-per-user-address", "eke", "EKE-THR-1", "test_eke_throttling.py",
       "user-name failures are counted per (user, address): guesses from many addresses "
       "are never throttled by name",
       _throttle_per_user_address),
    _m("eke-lock-after-not-applied", "eke", "EKE-THR-11", "test_eke_throttling.py",
       "--lock-after is parsed but the hard cap applied is 100", _lock_after_not_applied),
    _m("eke-pending-address-cap-default", "eke", "LIM-8", "test_lockout.py",
       "--max-pending-per-address is parsed but the admission uses 8",
       _pending_address_cap_default),
    _m("eke-inbox-snapshot", "eke", "APP-PUT-3", "test_app_inbox_files.py",
       "the inbox's names are listed once per connection: a file that appeared since is "
       "accepted at PUTF and refused only at DONE",
       _inbox_snapshot),
    _m("eke-one-put-per-connection", "eke", "APP-2", "test_app_put_sequence.py",
       "the connection is closed after a stored put (its DONE is never sent)",
       _one_put_per_connection),
    _m("eke-one-pending-login-per-user", "eke", "EKE-THR-7", "test_eke_throttling.py",
       "one pending login per user name: a second concurrent login is busy",
       _one_pending_login_per_user),
    _m("pki-release-forgets-established", "pki", "LIM-4", "test_limits_slots.py",
       "a completed session never frees its slot: after max_connections sessions every "
       "new one is busy",
       _pki_release_forgets_established),
    _m("pki-release-forgets-pending", "pki", "LIM-4", "test_app_server_ops.py",
       "a connection whose TLS handshake failed never frees its slot: an address with "
       "that many failed handshakes is refused from then on",
       _pki_release_forgets_pending),
    _m("pki-established-never-marked", "pki", "LIM-4", "test_limits_slots.py",
       "established connections stay counted as pending: established sessions from one "
       "address use up its per-address cap",
       _pki_established_never_marked),
    _m("pki-watchdog-not-cancelled", "pki", "APP-2", "test_limits.py",
       "the handshake watchdog is not cancelled after success: every connection is cut "
       "handshake_timeout after accept",
       _pki_watchdog_not_cancelled),
    _m("pki-alias-cache-by-address", "pki", "PKI-ID-3", "test_pki_identity.py",
       "the client's alias is cached per source address: a second certificate from the "
       "same address is taken for the first",
       _pki_alias_cache_by_address),
    _m("pki-timeout-keeps-partial", "pki", "APP-STORE-3", "test_limits.py",
       "a put ended by the idle timeout keeps its temporary file (for a resume)",
       _pki_timeout_keeps_partial),
    _m("pki-blocking-after-get", "pki", "LIM-2", "test_limits.py",
       "a get sets the socket blocking for the bulk send and never restores the timeout: "
       "after a get the connection never idles out",
       _pki_blocking_after_get),
    _m("pki-max-file-size-default", "pki", "APP-PUT-7", "test_app_put.py",
       "--max-file-size is parsed but the responder applies the 4 GiB default",
       _pki_max_file_size_default),
    _m("pki-share-negative-cache", "pki", "APP-GET-2", "test_app_share_files.py",
       "not_found answers are cached per connection: a file that appears in the share "
       "afterwards is still not_found on that connection",
       _pki_share_negative_cache),
    _m("pki-allow-list-first-request-only", "pki", "PKI-ID-3", "test_pki_identity.py",
       "an initiator off the allow list gets forbidden for its first request only; the "
       "connection stays open and later requests are served",
       _pki_allow_list_first_request_only),
    _m("eke-db-last-not-updated", "eke", "EKE-THR-8", "test_eke_restart_locks.py",
       "the write-through upsert updates the count but keeps the first failure's time: "
       "after a restart a running lock counts from the first failure and ends early",
       _db_last_not_updated),
    _m("pki-inbox-snapshot", "pki", "APP-PUT-3", "test_app_inbox_files.py",
       "the inbox is listed once per process (plus what it stored since): a file dropped "
       "in by another program is accepted at PUTF and refused only at DONE",
       _pki_inbox_snapshot),
    _m("eke-share-open-file-cache", "eke", "APP-GET-2", "test_app_share_files.py",
       "served files' descriptors are kept per process: a file removed from the share "
       "is still served",
       _share_open_file_cache),
    _m("pki-exists-only-regular-files", "pki", "APP-PUT-3", "test_app_inbox_files.py",
       "the inbox's `exists` check is isfile(): a directory or FIFO of that name is "
       "accepted at PUTF and refused only at DONE",
       _exists_only_regular_files),
    _m("eke-validated-path-cache", "eke", "APP-NAME-5", "test_app_toctou.py",
       "a name checked once is remembered and later opened by its path, following links: "
       "a file replaced by a symbolic link out of the share is served",
       _validated_path_cache),
    _m("eke-keepalive-request-limit", "eke", "APP-2", "test_ops_long_sessions.py",
       "a connection is closed after 100 requests (a keepalive limit)",
       _eke_keepalive_request_limit),
    _m("pki-keepalive-request-limit", "pki", "APP-2", "test_ops_long_sessions.py",
       "a connection is closed after 100 requests (a keepalive limit)",
       _pki_keepalive_request_limit),
)
