"""Blind red-team round 17, operations: `sft eke serve` and `sft peer serve` as programs.

Written from docs/SPEC.md (§0-§3, §5.6, §6: LIM-*, EKE-THR-*, APP-STORE-*) and the
reference's servers (reference/cli/eke.py, pki.py, options.py, admission.py, closing.py,
share.py, transfer.py, eke/server.py, store.py, throttle.py, pki/peer.py) before any case
file was opened, through this round's six lenses. The embedded target's configuration
(conformance/embedded.py EMBEDDED_LIMITS: N = 3, cap 4 s, L = 5, E = 40, Q = 5, LIM-8 7,
max_connections 10 / pki 8, idle 1.5 s, handshake 2 s) was read so that each mutant
touches a value the target declares or configures away from the default. The first list
was checked against the names and descriptions of the registered mutants; two repeated a
registered idea and were replaced (r): the idle-timeout EROR sent in clear
(b5eke-idle-eror-in-clear) and the pki timeout closed without close_notify
(b9pki-timeout-fin-no-notify).

Lens 1 (boundaries and exact multiples):
  b17ops-eke-table-evicts-at-bound     a failure table is trimmed when it REACHES E (to E-1)
                                       (dropped after the cases: see below)
  b17ops-eke-hard-lock-one-early       the hard lock at L-1 consecutive failures
  b17ops-eke-full-low-watermark        once full, new connections only below a low watermark
  b17ops-pki-full-low-watermark        the same on the pki responder
Lens 2 (fatal vs recoverable):
  b17ops-eke-idle-timeout-warns-first  the first idle timeout is a warning (EROR, stay open)
  b17ops-pki-idle-timeout-warns-first  the same on the pki responder
  b17ops-eke-busy-refusal-left-open    a connection refused busy at accept is never closed
  b17ops-eke-throttled-keeps-connection  after `throttled` the login waits for another EKE1
Lens 3 (duplicates and repetition):
  b17ops-eke-load-consumes-rows        the throttle journal is truncated once loaded: a
                                       second restart forgets every count
  b17ops-eke-reload-merges-twice       the rows are loaded twice at start, adding up
  b17ops-eke-hard-lock-streak-in-memory  the consecutive-failure streak of the hard cap is
                                       kept in memory: L failures across a restart never lock
Lens 4 (API misuse on the error path):
  b17ops-eke-close-with-reset (r)      SO_LINGER 0 on every connection: each close a reset
                                       (dropped after the blind run: see below)
  b17ops-eke-send-deadline-per-record  one sendall per 1 MiB record under the idle timeout
                                       (a SHOULD NOT: strict)
  b17ops-pki-evict-shuts-newcomer (r)  the eviction handle taken is the newcomer's own
Lens 5 (content that looks like structure):
  b17ops-eke-db-key-without-kind       the throttle database keyed by the key alone: a user
                                       name spelled as an address overwrites its row
  b17ops-eke-throttle-sql-interpolated a failure row written with an f-string: a name with
                                       an apostrophe is never counted
  b17ops-eke-throttle-realm-stripped   user names counted without their @realm
  b17ops-eke-sweep-substring           the start sweep removes names CONTAINING .sft-partial-
Lens 6 (lifecycle ends):
  b17ops-eke-restart-commits-complete-put  a put whose bytes are all in is committed at a
                                       restart, without its DONE
  b17ops-eke-restart-counts-pending-twice  a login pending at a restart counted twice

Blind run (each against the file guessed from its name alone): 4 of 20 detected
(idle-timeout-warns-first x2 by test_limits.py, throttled-keeps-connection by
test_eke_throttling.py, load-consumes-rows by test_eke_restart.py, whose hard-lock case
restarts twice). Two more were caught by another file citing the requirement:
reload-merges-twice by test_eke_restart_locks.py, busy-refusal-left-open by
test_limits_slots.py (test_file points there). Four guesses named a file that does not
cite the requirement (test_eke_lock_reach.py: EKE-THR-11; test_lockout.py and
test_app_error_frames.py: ERR-3; test_ops_slow_reader_get.py: LIM-10).

The misses, and the new case files that catch their class:
  eke-hard-lock-one-early, eke-hard-lock-streak-in-memory, eke-db-key-without-kind,
  eke-restart-counts-pending-twice
                          test_ops_eke_restart_counts.py (the hard cap L as the boundary
                          that shows a count inflated or reset by a restart: L - 1
                          failures before a restart, or across it with logins pending,
                          answered EKE2 after their backoff; L spanning the restart stays
                          locked; user names spelled as addresses and back keep both
                          counts across a restart). Also catches eke-reload-merges-twice.
  eke-throttle-sql-interpolated, eke-throttle-realm-stripped
                          test_ops_eke_throttle_name_shapes.py (user names holding quotes,
                          wildcards, backslashes, JSON are counted; look-alikes of an
                          account with @, \\, /, :, space do not throttle it)
  eke-sweep-substring, eke-restart-commits-complete-put
                          test_ops_eke_restart_put_ends.py (one restart: a put with none and
                          one with all of its bytes and no DONE leave nothing; names that
                          contain .sft-partial- survive the start-up sweep)
  eke-full-low-watermark, pki-full-low-watermark
                          test_ops_slot_return.py (test_lockout.py's refill case, with the
                          other connections kept served while the new one is retried:
                          test_lockout.py lets them idle out, which passes any watermark)
  eke-send-deadline-per-record
                          test_ops_eke_paced_reader.py (SHOULD NOT: a reader taking 1 MiB
                          per two idle timeouts, steadily, is not cut)
  pki-evict-shuts-newcomer
                          caught by test_interop_pki_eviction_order.py (found after the
                          blind run); test_ops_lim9_newcomer.py catches it too, on the
                          newcomer's first attempt with the slots filled exactly
  (busy-refusal-left-open: test_ops_refusal_close.py also catches it, on the LIM-8 path)
Not caught, and why:
  eke-table-evicts-at-bound   dropped from MUTANTS (missed by test_eke_tables.py,
                              test_eke_throttling.py, test_eke_lock_whole_seconds.py,
                              test_ops_eke_table_order*.py). test_eke_tables.py fills
                              E + 1; a table of exactly E cannot be arranged from outside
                              while other cases (other xdist workers) add entries to the
                              shared user table, and locked entries of earlier cases count
                              towards the bound. Observable on an idle server only.
  eke-close-with-reset        dropped from MUTANTS: the SPEC does not say that the close
                              after a fatal EROR is a FIN, not a reset (ERR-3 speaks of
                              "the endpoint's FIN" and of lingering "so that unread bytes
                              do not turn the close into a reset"; PKI-TLS-7 forbids a
                              reset over TLS only): no case until the SPEC says so.
After the cases: 18 of the 18 kept detected (of the 20 written, two dropped as above).
"""

from __future__ import annotations

import contextlib
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


def _throttle() -> Any:
    return _module("reference.eke.throttle")


# -- lens 1 --------------------------------------------------------------------------


def _eke_hard_lock_one_early() -> None:
    # "After L failures every FURTHER EKE1 is refused": the refused one is taken as the
    # L-th, so the lock is set at the (L-1)-th failure.
    throttle = _throttle().Throttle
    _patch(
        throttle,
        "_hard_locked",
        (
            "entry.failures >= self.config.lock_after",
            "entry.failures >= self.config.lock_after - 1",
        ),
    )
    _patch(
        throttle,
        "locked",
        (
            "entry.failures >= self.config.lock_after",
            "entry.failures >= self.config.lock_after - 1",
        ),
    )


def _full_low_watermark() -> None:
    # Hysteresis, as load shedders do: once the responder was full (a connection refused
    # with every slot established), it admits again only below ~90 % (at least one slot
    # under the limit), not as soon as one connection ends.
    admission = _module("reference.admission")
    cls = admission.Admission
    admit = cls.admit

    def admit_(self: Any, key: int, address: str) -> Any:
        low = max(1, self.max_connections - 1 - self.max_connections // 10)
        if self.__dict__.get("_b17ops_full", False):
            if self.open_connections >= low:
                if (
                    self.open_connections < self.max_connections
                    and self.pending_from(address) < self.max_pending_per_address
                ):
                    return admission.AdmissionDecision(refused=admission.Refusal.FULL)
            else:
                self._b17ops_full = False
        decision = admit(self, key, address)
        if decision.refused is admission.Refusal.FULL:
            self._b17ops_full = True
        return decision

    cls.admit = admit_


# -- lens 2 --------------------------------------------------------------------------


def _eke_warn_timeout(stream: Any) -> None:
    # The EROR, sealed in a record, without telling the application core (which would
    # take the connection as closed).
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    frame = messages.ErrorFrame(errors.ErrorCode.TIMEOUT, "idle timeout")
    stream.sock.sendall(stream.channel.seal(messages.encode_message(frame)))


def _eke_idle_timeout_warns_first() -> None:
    # "Tell the client first": the first idle timeout sends EROR timeout and keeps the
    # connection; only a second timeout in a row closes it. A request after the warning
    # is served.
    srv = _eke_srv()
    srv._b17ops_warn = _eke_warn_timeout
    _patch(
        srv.EkeServer,
        "_serve_records",
        (
            "    partial: PartialFile | None = None\n",
            "    partial: PartialFile | None = None\n    warned = False\n",
        ),
        (
            "            except TimeoutError:\n"
            '                self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")\n'
            "                return\n",
            "            except TimeoutError:\n"
            "                if warned:\n"
            '                    self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")\n'
            "                    return\n"
            "                warned = True\n"
            "                _b17ops_warn(stream)\n"
            "                continue\n",
        ),
        (
            "            if event is CLOSED or isinstance(event, ErrorFrame):\n",
            "            warned = False\n"
            "            if event is CLOSED or isinstance(event, ErrorFrame):\n",
        ),
    )


def _pki_idle_timeout_warns_first() -> None:
    # The same on the pki responder: the first idle timeout is a warning.
    transfer = _module("reference.transfer")
    messages = _module("reference.messages")

    def _b17ops_warn(channel: Any) -> None:
        frame = messages.ErrorFrame(transfer.ErrorCode.TIMEOUT, "idle timeout")
        channel.stream.sendall(messages.encode_message(frame))

    transfer._b17ops_warn = _b17ops_warn
    _patch(
        transfer.Responder,
        "run",
        (
            "    channel = self.channel\n",
            "    channel = self.channel\n    warned = False\n",
        ),
        (
            "            event = channel.next_event()\n",
            "            try:\n"
            "                event = channel.next_event()\n"
            "            except TimeoutError:\n"
            "                if warned:\n"
            "                    raise\n"
            "                warned = True\n"
            "                _b17ops_warn(channel)\n"
            "                continue\n"
            "            warned = False\n",
        ),
    )


_PARKED: list[Any] = []


def _eke_busy_refusal_left_open() -> None:
    # The refusal path writes EROR busy and returns: the close was forgotten (a C server
    # leaks the descriptor; here the socket is kept referenced). The client reads busy and
    # then waits for an end that never comes.
    srv = _eke_srv()
    srv._b17ops_parked = _PARKED
    _patch(
        srv.EkeServer,
        "_admit",
        (
            "        close_at_once(sock)\n        return\n",
            "        _b17ops_parked.append(sock)\n        return\n",
        ),
    )


def _eke_throttled_keeps_connection() -> None:
    # "throttled concerns that user name": after the refusal the login goes back to
    # awaiting EKE1, so the client may try another account on the same connection (which
    # it then gets EKE2 for); the connection ends only at the handshake deadline.
    hs = _module("reference.eke.handshake")
    _patch(
        hs.ServerHandshake,
        "refuse_throttled",
        (
            '    self._failure = RemoteProtocolError(ErrorCode.THROTTLED, "throttled")\n'
            "    self.state = HandshakeState.CLOSED\n",
            "    self.state = HandshakeState.SERVER_AWAIT_EKE1\n",
        ),
    )


# -- lens 3 --------------------------------------------------------------------------


def _eke_load_consumes_rows() -> None:
    # The failures table used as a journal: replayed into memory at start, then truncated
    # ("each entry is written again at its next change"). After one restart the counts
    # are in memory only; a second restart with no failure in between forgets them.
    _patch(
        _throttle()._FailureTables,
        "load",
        (
            "            self._tables[kind][key] = _Entry(int(failures), float(last))\n",
            "            self._tables[kind][key] = _Entry(int(failures), float(last))\n"
            '    self._db.execute("DELETE FROM failures")\n',
        ),
    )


def _eke_reload_merges_twice() -> None:
    # The loader merges rows into what memory holds (so that a reload never loses a
    # failure counted meanwhile), and the server reloads once more after adopting the
    # listener a restart handed it: every count comes back doubled.
    _patch(
        _throttle()._FailureTables,
        "load",
        (
            "self._tables[kind][key] = _Entry(int(failures), float(last))",
            "old = self._tables[kind].get(key)\n"
            "            self._tables[kind][key] = _Entry(\n"
            "                int(failures) + (old.failures if old else 0), float(last)\n"
            "            )",
        ),
    )
    server = _eke_srv().EkeServer
    listen = server.listen

    def listen_(self: Any, inherited: Any = None) -> tuple[str, int]:
        address: tuple[str, int] = listen(self, inherited)
        with self.throttle._lock:
            self.throttle._entries.load()
        return address

    server.listen = listen_


def _eke_hard_lock_streak_in_memory() -> None:
    # Two counters: the backoff count (persisted) and the consecutive-failure streak of
    # the hard cap, kept in memory; a reached lock is persisted (a row at L or beyond
    # comes back locked), a streak under L restarts from 0 with the process.
    throttle = _throttle().Throttle
    init = throttle.__init__
    failed = throttle.failed
    succeeded = throttle.succeeded
    unlock = throttle.unlock

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        self._b17ops_streak = {}
        init(self, *args, **kwargs)
        for name, entry in self._entries.table("user").items():
            if entry.failures >= self.config.lock_after:
                self._b17ops_streak[name] = entry.failures

    def failed_(self: Any, user: str, address: str) -> None:
        with self._lock:
            self._b17ops_streak[user] = self._b17ops_streak.get(user, 0) + 1
        failed(self, user, address)

    def succeeded_(self: Any, user: str, address: str) -> None:
        with self._lock:
            self._b17ops_streak.pop(user, None)
        succeeded(self, user, address)

    def unlock_(self: Any, user: str) -> bool:
        with self._lock:
            self._b17ops_streak.pop(user, None)
        return bool(unlock(self, user))

    def _hard_locked(self: Any, key: tuple[str, str], entry: Any) -> bool:
        del entry
        streak = self.__dict__.get("_b17ops_streak", {})
        return key[0] == "user" and streak.get(key[1], 0) >= self.config.lock_after

    def locked(self: Any, user: str) -> bool:
        with self._lock:
            return bool(self._b17ops_streak.get(user, 0) >= self.config.lock_after)

    throttle.__init__ = __init__
    throttle.failed = failed_
    throttle.succeeded = succeeded_
    throttle.unlock = unlock_
    throttle._hard_locked = _hard_locked
    throttle.locked = locked


# -- lens 4 --------------------------------------------------------------------------


def _eke_send_deadline_per_record() -> None:
    # A DATA record goes out in one sendall() under the socket's idle timeout: Python's
    # (and a C loop's with one deadline) timeout is for the whole call, so a reader that
    # takes longer than the idle timeout to read 1 MiB — steadily — is cut.
    _patch(
        _module("reference.eke.transport").SecureStream,
        "send_file_chunk",
        (
            "send_progressing(self.sock, self.channel.seal_payload(T_DATA, n))",
            "self.sock.sendall(self.channel.seal_payload(T_DATA, n))",
        ),
    )


def _pki_evict_shuts_newcomer() -> None:
    # The handle shut to make room is looked up by the wrong key: the newcomer's own (just
    # stored) handle instead of the evicted connection's. The accounting forgets the
    # oldest pending connection, which stays open; the new one is shut.
    _patch(
        _peer().PeerServer,
        "_dispatch",
        (
            "evicted = self._handles.pop(decision.evict, None)",
            "evicted = self._handles.pop(key, None)",
        ),
    )


# -- lens 5 --------------------------------------------------------------------------


def _eke_db_key_without_kind() -> None:
    # The failures table keyed by the key alone ("names and addresses never look alike"):
    # a user name spelled as an address (127.0.0.1) replaces that address's row, and
    # after a restart the address's count (and lock) is gone.
    t = _throttle()
    t._SCHEMA = t._SCHEMA.replace("PRIMARY KEY (kind, key)", "PRIMARY KEY (key)")


def _eke_throttle_sql_interpolated() -> None:
    # The write-through builds its SQL with an f-string, and writes the database before
    # memory ("durable first"): a user name holding an apostrophe makes the statement
    # fail, the exception escapes failed() (the failure is counted neither for the name
    # nor for the address, and the pending slot is never given back).
    t = _throttle()
    tables = t._FailureTables

    def __setitem__(self: Any, key: tuple[str, str], entry: Any) -> None:
        if self._db is not None:
            sql = (  # the planted bug
                "INSERT OR REPLACE INTO failures (kind, key, failures, last) "  # noqa: S608
                f"VALUES ('{key[0]}', '{key[1]}', {entry.failures}, {entry.last})"
            )
            self._db.execute(sql)
        self._tables[key[0]][key[1]] = entry

    tables.__setitem__ = __setitem__


def _eke_throttle_realm_stripped() -> None:
    # "alice@corp is alice": the throttle counts user names without their @realm suffix
    # (as the log aggregation does). Guesses against bob@x lock bob out.
    throttle = _throttle().Throttle

    def wrap(name: str) -> None:
        original = getattr(throttle, name)

        def method(self: Any, user: str, *args: Any) -> Any:
            return original(self, user.split("@", 1)[0], *args)

        setattr(throttle, name, method)

    for name in ("retry_after", "begin", "end", "failed", "succeeded", "locked"):
        wrap(name)


def _eke_sweep_substring() -> None:
    # The start sweep matches `.sft-partial-` anywhere in the name (a `*.sft-partial-*`
    # glob): a committed put named report.sft-partial-v2.txt (allowed: APP-NAME-9 is on
    # the prefix) is deleted at the next start.
    transfer = _module("reference.transfer")
    _patch(
        transfer,
        "remove_stale_partials",
        (
            "if not entry.name.startswith(PARTIAL_PREFIX):",
            "if PARTIAL_PREFIX not in entry.name:",
        ),
    )
    _eke_srv().remove_stale_partials = transfer.remove_stale_partials


# -- lens 6 --------------------------------------------------------------------------


def _eke_restart_commits_complete_put() -> None:
    # "A restart must not lose a finished upload": a put whose announced bytes have all
    # arrived but whose DONE has not is committed when the server stops, instead of
    # removed. Its final name appears without the DONE verification.
    share = _module("reference.share")
    server = _eke_srv().EkeServer
    shutdown = server.shutdown
    abort = share.PartialFile.abort

    def shutdown_(self: Any) -> None:
        share._b17ops_stopping = True
        shutdown(self)

    def abort_(self: Any) -> None:
        if (
            getattr(share, "_b17ops_stopping", False)
            and not self._done
            and self._file is not None
            and self.written == self.limit
        ):
            with contextlib.suppress(Exception):  # falls back to the removal
                self.commit()
                return
        abort(self)

    server.shutdown = shutdown_
    share.PartialFile.abort = abort_


def _eke_restart_counts_pending_twice() -> None:
    # "Count abandoned logins before the exec, so none is lost" (EKE-THR-5's SHOULD): the
    # stop counts every pending login as failed — and the connection's own thread, which
    # the stop then ends, counts it again.
    throttle = _throttle().Throttle
    begin = throttle.begin
    end = throttle.end
    server = _eke_srv().EkeServer
    shutdown = server.shutdown

    def begin_(self: Any, user: str, address: str) -> bool:
        ok = bool(begin(self, user, address))
        if ok:
            with self._lock:
                self.__dict__.setdefault("_b17ops_inflight", []).append((user, address))
        return ok

    def end_(self: Any, user: str, address: str) -> None:
        with self._lock:
            inflight = self.__dict__.setdefault("_b17ops_inflight", [])
            if (user, address) in inflight:
                inflight.remove((user, address))
        end(self, user, address)

    def shutdown_(self: Any) -> None:
        with self.throttle._lock:
            inflight = list(self.throttle.__dict__.get("_b17ops_inflight", []))
        for user, address in inflight:
            self.throttle.failed(user, address)
        shutdown(self)

    throttle.begin = begin_
    throttle.end = end_
    server.shutdown = shutdown_


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    **extra: Any,
) -> Mutant:
    return Mutant(
        f"b17ops-{name}", "blind17-ops", profile, requirement, test_file, description, apply,
        **extra,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("eke-hard-lock-one-early", "eke", "EKE-THR-11", "test_ops_eke_restart_counts.py",
       "L1: the hard lock is set at L - 1 consecutive failures (the refused EKE1 taken as "
       "the L-th): a user name with L - 1 failures is locked for good",
       _eke_hard_lock_one_early),
    _m("eke-full-low-watermark", "eke", "LIM-4", "test_ops_slot_return.py",
       "L1/L6: hysteresis: once every slot was established and a connection refused, the "
       "server admits again only below ~90 % of max_connections (at least two must end), "
       "not as soon as one connection ends", _full_low_watermark),
    _m("pki-full-low-watermark", "pki", "LIM-4", "test_ops_slot_return.py",
       "L1/L6: the same hysteresis on the pki responder: after a refusal at the limit one "
       "ended connection does not make room", _full_low_watermark),
    _m("eke-idle-timeout-warns-first", "eke", "LIM-2", "test_limits.py",
       "L2: the first idle timeout sends EROR timeout and keeps the connection (a request "
       "after it is served); only a second timeout in a row closes it, at twice the idle "
       "timeout", _eke_idle_timeout_warns_first),
    _m("pki-idle-timeout-warns-first", "pki", "LIM-2", "test_limits.py",
       "L2: the pki responder's first idle timeout sends EROR timeout and keeps the "
       "connection; a second one in a row closes it", _pki_idle_timeout_warns_first),
    _m("eke-busy-refusal-left-open", "eke", "ERR-3", "test_limits_slots.py",
       "L2: a connection refused at accept (LIM-4 / LIM-8) gets EROR busy and is never "
       "closed (the close forgotten on the refusal path)", _eke_busy_refusal_left_open),
    _m("eke-throttled-keeps-connection", "eke", "ERR-3", "test_eke_throttling.py",
       "L2/L3: after EROR throttled the login goes back to awaiting EKE1: the connection "
       "stays open until the handshake deadline and a second EKE1 (another user name) on "
       "it is answered EKE2", _eke_throttled_keeps_connection),
    _m("eke-load-consumes-rows", "eke", "EKE-THR-8", "test_eke_restart.py",
       "L3/L6: the failure table is a journal truncated once loaded: counts survive one "
       "restart, and a second restart with no failure between forgets them",
       _eke_load_consumes_rows),
    _m("eke-reload-merges-twice", "eke", "EKE-THR-8", "test_eke_restart_locks.py",
       "L3: the rows are loaded twice at start (again after the listener is adopted) and "
       "merged by adding counts: after a restart every count is doubled (N - 1 failures "
       "come back locked)", _eke_reload_merges_twice),
    _m("eke-hard-lock-streak-in-memory", "eke", "EKE-THR-11",
       "test_ops_eke_restart_counts.py",
       "L3/L6: the hard cap's consecutive-failure streak is kept in memory (a reached lock "
       "is persisted): L failures spanning a restart never lock the name",
       _eke_hard_lock_streak_in_memory),
    _m("eke-send-deadline-per-record", "eke", "LIM-10", "test_ops_eke_paced_reader.py",
       "L4: a 1 MiB DATA record is sent by one sendall() under the idle timeout, which "
       "bounds the whole call: a reader taking longer than the idle timeout to read one "
       "record, steadily, is cut (SHOULD NOT)", _eke_send_deadline_per_record, strict=True),
    _m("pki-evict-shuts-newcomer", "pki", "LIM-9", "test_interop_pki_eviction_order.py",
       "L4 (r): the LIM-9 eviction shuts the handle looked up by the newcomer's key: the "
       "new connection is closed and the oldest silent one stays (uncounted)",
       _pki_evict_shuts_newcomer),
    _m("eke-db-key-without-kind", "eke", "EKE-THR-8", "test_ops_eke_restart_counts.py",
       "L5/L3: the throttle database keyed by the key alone: a failure of a user name "
       "spelled as an address replaces that address's row, whose count and lock a restart "
       "then forgets", _eke_db_key_without_kind),
    _m("eke-throttle-sql-interpolated", "eke", "EKE-THR-1",
       "test_ops_eke_throttle_name_shapes.py",
       "L5: failure rows written with f-string SQL before memory: a user name holding an "
       "apostrophe breaks the statement and its failures are never counted (nor its "
       "address's)", _eke_throttle_sql_interpolated),
    _m("eke-throttle-realm-stripped", "eke", "EKE-THR-2",
       "test_ops_eke_throttle_name_shapes.py",
       "L5: user names counted without their @realm: failures of bob@x throttle bob "
       "logging in from another address", _eke_throttle_realm_stripped),
    _m("eke-sweep-substring", "eke", "APP-PUT-5", "test_ops_eke_restart_put_ends.py",
       "L5: the start sweep removes every file whose name contains .sft-partial-: a "
       "committed put named x.sft-partial-y is deleted by the next restart",
       _eke_sweep_substring),
    _m("eke-restart-commits-complete-put", "eke", "APP-STORE-3",
       "test_ops_eke_restart_put_ends.py",
       "L6: a put whose announced bytes all arrived but whose DONE has not is committed "
       "under its final name when the server restarts", _eke_restart_commits_complete_put),
    _m("eke-restart-counts-pending-twice", "eke", "EKE-THR-5",
       "test_ops_eke_restart_counts.py",
       "L6: a login pending when the server restarts is counted twice (by the stop and by "
       "its own thread): N - 2 failures and one abandoned login come back locked",
       _eke_restart_counts_pending_twice),
)  # fmt: skip
