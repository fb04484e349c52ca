"""Blind red-team round 16, operations: `sft eke serve` and `sft peer serve` as programs.

Written from docs/SPEC.md (§0-§3, §5.6, §6: LIM-*, EKE-THR-*, APP-STORE-*) and the
reference's servers (reference/cli/eke.py, pki.py, options.py, admission.py, closing.py,
share.py, transfer.py, eke/server.py, store.py, throttle.py, pki/peer.py) before any case
file was opened, through this round's six lenses. The first list was checked against the
names and descriptions of the registered mutants; ideas already planted (a start sweep of
every `.sft-*` file, the get path's default size limit, a size limit read as KiB, the CRL
refresh in minutes, ...) were replaced (r) by the ones below. Each is one plausible
implementer's mistake breaking ONE requirement a black-box tester can observe.

Lens 1 (units and widths):
  b16ops-eke-idle-stamp-whole-seconds   last activity stamped in whole seconds (time_t)
  b16ops-pki-idle-stamp-whole-seconds   the same on the pki responder, between requests
  b16ops-eke-throttle-times-ms          failure times written as epoch ms, read back as s
  b16ops-eke-busy-retry-after-from-timeout  busy's retry_after = handshake timeout // 4 (0)
Lens 2 (the second time: restarts):
  b16ops-eke-restart-redates-failures   reloaded failures dated at the start, locks re-run
  b16ops-eke-reload-newest-first        rows reloaded newest first: eviction order reversed
  b16ops-eke-restart-prunes-unknown-names  (r) counts of names not in the store dropped at start
  b16ops-eke-restart-parks-partial      a put cut by the restart is parked as NAME.part
Lens 3 (configuration honoured):
  b16ops-eke-admission-args-swapped     Admission(per-address cap, max connections)
  b16ops-eke-pending-q-from-lim8        Q read from --max-pending-per-address
  b16ops-eke-restart-default-limits     the SIGHUP re-exec keeps state options, drops limits
  b16ops-eke-no-connection-cap-undeclared  no LIM-4 cap, max_connections undeclared
  b16ops-pki-no-connection-cap-undeclared  the same on the pki responder
Lens 4 (the error path's own errors):
  b16ops-pki-failed-handshake-dup-leak  a failed TLS handshake's eviction handle never closed
  b16ops-eke-timeout-linger-minutes     a stalled send's lingering close bounded in minutes
  b16ops-eke-put-timeout-as-integrity   an idle timeout during a put answered integrity_failed
Lens 5 (layer boundaries):
  b16ops-eke-defer-accept               TCP_DEFER_ACCEPT: the kernel holds silent connections
  b16ops-eke-established-at-first-record  a login counts as established at its first record
Lens 6 (time):
  b16ops-eke-record-timeout-left-from-handshake  the record phase keeps the handshake's
                                        remaining time as its per-read timeout

Blind run (each against the file guessed from its name alone): 8 of 20 written detected
(idle-stamp x2 by test_ops_idle_floor.py, prunes-unknown-names by test_eke_restart.py,
args-swapped and pki-no-connection-cap by test_lockout.py, pending-q by
test_eke_throttling.py, put-timeout-as-integrity and defer-accept by test_limits.py);
three more were caught by another file citing the requirement (throttle-times-ms and
restart-redates by test_eke_restart_locks.py, busy-retry-after by test_eke_throttling.py:
their test_file now points there). Dropped: b16ops-pki-frame-limit-whole-kib (FRM-3
compared in whole KiB) is not observable on the reference: every frame type announced
1..1023 bytes above the limit breaks another rule checked on the header too (FRM-8's
64 KiB control limit, FRM-13's DATA limit, FRM-5), and FRM-16 lets either code answer.
Two were ineffective as first written and were repaired after the blind run, keeping the
idea: the eviction handle dropped without close (CPython closes a dropped socket: now
detached, as a C or Go server leaks the number), and a blocking `EROR timeout` after a
stalled send (the channel refused the EROR after a cut record; now
b16ops-eke-timeout-linger-minutes: the close lingers for close_linger read as minutes).

The idle-stamp pair was caught by test_ops_idle_floor.py only when its request happened to
come well after a whole second (the pki one was missed in one run of three): both now
point at test_ops_idle_whole_seconds.py, which sends its request 0.7 s past a second.

The misses, each now caught by a new case file that catches its class:
  eke-no-connection-cap-undeclared      test_ops_connection_cap.py (max_connections + 1
                                        silent connections from as many addresses: one
                                        must end before the handshake timeout)
  eke-record-timeout-left-from-handshake  test_ops_login_pace_idle.py (a slow handshake,
                                        then a pause below the idle timeout)
  eke-restart-parks-partial, eke-restart-default-limits
                                        test_ops_eke_restart_midway.py (a put cut by a
                                        restart leaves nothing; the limits hold after it)
  eke-established-at-first-record       test_ops_established_before_request.py
  pki-failed-handshake-dup-leak         test_ops_failed_handshake_descriptors.py
  eke-timeout-linger-minutes            test_ops_stalled_readers_slots.py (max_connections
                                        sessions that stop reading: their slots come back)
  eke-reload-newest-first               test_ops_eke_table_order_restart.py
After the cases: 19 of 19 detected.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
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


def _idle_left(idle: float) -> float:
    # The time left before a connection stamped `int(time.time())` (a C time_t) at its
    # last frame is idle for `idle` seconds: up to a second short of `idle`.
    return max(0.001, math.floor(time.time()) + idle - time.time())


# -- lens 1 --------------------------------------------------------------------------


def _eke_idle_stamp_whole_seconds() -> None:
    # "last = time(NULL)" at each frame, the reaper closes at `now - last >= idle`: the
    # idle timeout runs from the start of the second the last frame came in.
    srv = _eke_srv()
    srv._b16ops_idle_left = _idle_left
    _patch(
        srv.EkeServer,
        "_serve_records",
        (
            "event = stream.next_event()",
            "sock.settimeout(_b16ops_idle_left(self.config.idle_timeout)); "
            "event = stream.next_event()",
        ),
    )


def _pki_idle_stamp_whole_seconds() -> None:
    # The same stamp on the pki responder, taken at each request.
    transfer = _module("reference.transfer")

    def _b16ops_restamp(stream: Any, owner: Any) -> None:
        idle = owner.__dict__.setdefault("_b16ops_idle", stream.gettimeout())
        if idle:
            stream.settimeout(_idle_left(idle))

    transfer._b16ops_restamp = _b16ops_restamp
    _patch(
        transfer.Responder,
        "run",
        (
            "event = channel.next_event()",
            "_b16ops_restamp(channel.stream, self); event = channel.next_event()",
        ),
    )


def _eke_throttle_times_ms() -> None:
    # The failures table keeps `last` as INTEGER epoch milliseconds (what an operator's
    # query shows); the loader forgot the conversion back: after a restart every time
    # lies 1000x in the future and a running lock never ends.
    _patch(
        _throttle()._FailureTables,
        "__setitem__",
        (
            "(key[0], key[1], entry.failures, entry.last)",
            "(key[0], key[1], entry.failures, int(entry.last * 1000))",
        ),
    )


def _eke_busy_retry_after_from_timeout() -> None:
    # "A pending handshake ends within the handshake timeout: a quarter of it is a fair
    # wait" — integer division of a 2 s timeout is 0, and nothing clamps it.
    _patch(
        _module("reference.eke.handshake").ServerHandshake,
        "refuse_busy",
        ("max(1, retry_after)", "retry_after"),
    )
    _patch(
        _eke_srv().EkeServer,
        "_handshake",
        (
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
            "hs.refuse_busy(int(self.config.handshake_timeout // 4))",
        ),
    )


# -- lens 2 --------------------------------------------------------------------------


def _eke_restart_redates_failures() -> None:
    # "The server was down: a lock restarts from the moment it is back" — reloaded
    # failures are dated at the start, so every running lock runs its whole length again.
    _patch(
        _throttle()._FailureTables,
        "load",
        ("_Entry(int(failures), float(last))", "_Entry(int(failures), time.time())"),
    )


def _eke_reload_newest_first() -> None:
    # Rows reloaded newest first ("the recent ones matter"): the OrderedDict is built in
    # that order, so after a restart the table evicts its most recent failures first.
    _patch(_throttle()._FailureTables, "load", ("ORDER BY last", "ORDER BY last DESC"))


def _eke_restart_prunes_unknown_names() -> None:
    # Housekeeping at start: counts of user names that are not in the password store
    # ("users deleted since the last run") are dropped. Unknown names' counts do not
    # survive a restart, and a ghost name's lock ends with it.
    server = _eke_srv().EkeServer
    original = server.__init__

    def __init__(self: Any, config: Any, store: Any, *, throttle: Any = None) -> None:
        original(self, config, store, throttle=throttle)
        known = {record.name for record in store.users()}
        entries = self.throttle._entries
        with self.throttle._lock:
            for name in [n for n in entries.table("user") if n not in known]:
                entries.pop(("user", name))

    server.__init__ = __init__


def _eke_restart_parks_partial() -> None:
    # "A restart must not lose an upload": a put still receiving when the server stops is
    # kept in the inbox as NAME.part for the sender to resume, instead of removed.
    share = _module("reference.share")
    server = _eke_srv().EkeServer
    shutdown = server.shutdown
    abort = share.PartialFile.abort

    def shutdown_(self: Any) -> None:
        share._b16ops_stopping = True
        shutdown(self)

    def abort_(self: Any) -> None:
        if getattr(share, "_b16ops_stopping", False) and not self._done and self.written:
            if self._file is not None:
                self._file.close()
                self._file = None
            with contextlib.suppress(OSError):
                os.rename(
                    self.temp_name,
                    f"{self.final_name}.part",
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                )
        abort(self)

    server.shutdown = shutdown_
    share.PartialFile.abort = abort_


# -- lens 3 --------------------------------------------------------------------------


def _eke_admission_args_swapped() -> None:
    # Positional arguments in the wrong order: the per-address cap is the connection
    # limit and the connection limit the per-address cap.
    _patch(
        _eke_srv().EkeServer,
        "__init__",
        (
            "Admission(config.max_connections, config.max_pending_per_address)",
            "Admission(config.max_pending_per_address, config.max_connections)",
        ),
    )


def _eke_pending_q_from_lim8() -> None:
    # Two options say "per address": the pending-login cap Q is wired to the connection
    # option (--max-pending-per-address) instead of --max-pending-logins-per-address.
    _patch(
        _module("reference.cli.eke"),
        "_serve",
        (
            "pending_per_address=args.max_pending_logins_per_address",
            "pending_per_address=args.max_pending_per_address",
        ),
    )


_LIMIT_OPTIONS = (
    "--handshake-timeout",
    "--idle-timeout",
    "--max-connections",
    "--max-pending-per-address",
    "--max-file-size",
    "--max-frame",
)


def _eke_restart_default_limits() -> None:
    # The SIGHUP restart re-executes a command line rebuilt from the options that carry
    # state (store, listen, share, inbox, throttle database); the limits were meant to
    # come from a configuration file: after a restart every limit is the default.
    cli = _module("reference.cli.eke")

    def restart_on(listener: Any, variable: str) -> None:
        os.set_inheritable(listener.fileno(), True)
        os.environ[variable] = str(listener.fileno())
        argv = list(sys.orig_argv[1:])
        kept: list[str] = []
        skip = False
        for arg in argv:
            if skip:
                skip = False
                continue
            if arg in _LIMIT_OPTIONS:
                skip = True
                continue
            if arg.split("=", 1)[0] in _LIMIT_OPTIONS:
                continue
            kept.append(arg)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, *kept])  # noqa: S606

    cli.restart_on = restart_on


def _no_connection_cap() -> None:
    # "Threads are cheap": the max_connections option is parsed, and the admission never
    # compares with it (no LIM-4 refusal, no LIM-9 eviction either).
    _patch(
        _module("reference.admission").Admission,
        "admit",
        ("if self.open_connections >= self.max_connections:", "if False:"),
    )


# -- lens 4 --------------------------------------------------------------------------


def _pki_failed_handshake_dup_leak() -> None:
    # A connection whose TLS handshake failed takes its eviction handle (a dup of the
    # socket) out of the table and detaches it ("so that no eviction or release touches a
    # dead socket whose number a new connection may reuse") — without closing it. Under
    # the common default of 1024 descriptors (set here, as a service manager's default
    # would), about a thousand failed handshakes exhaust them.
    resource = _module("resource")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    _patch(
        _peer().PeerServer,
        "_connection",
        (
            '        self.log(f"{where}: handshake failed: {reason}")\n'
            "        return\n",
            '        self.log(f"{where}: handshake failed: {reason}")\n'
            "        with self._admission_lock:\n"
            "            handle = self._handles.pop(key, None)\n"
            "        if handle is not None:\n"
            "            handle.detach()\n"
            "        return\n",
        ),
    )


def _eke_timeout_linger_minutes() -> None:
    # "A connection we give up on is closed gracefully": after a send that timed out (the
    # peer stopped reading a get) the server sends its FIN and reads until the peer's FIN
    # (so that no reset destroys what it sent), for close_linger read as minutes (2 min).
    # A peer that neither reads nor closes holds the connection, its thread and its slot.
    _patch(
        _eke_srv().EkeServer,
        "_serve_records",
        (
            "    except (TimeoutError, ConnectionError):\n        return\n",
            "    except TimeoutError:\n"
            "        close_gracefully(sock, self.config.close_linger * 60)\n"
            "        return\n"
            "    except ConnectionError:\n"
            "        return\n",
        ),
    )


def _eke_put_timeout_as_integrity() -> None:
    # An idle timeout in the middle of a put is "an incomplete file": integrity_failed.
    _patch(
        _eke_srv().EkeServer,
        "_serve_records",
        (
            'self._send_fatal(stream, ErrorCode.TIMEOUT, "idle timeout")',
            "self._send_fatal(\n"
            "                        stream,\n"
            "                        ErrorCode.TIMEOUT if partial is None\n"
            "                        else ErrorCode.INTEGRITY_FAILED,\n"
            '                        "idle timeout",\n'
            "                    )",
        ),
    )


# -- lens 5 --------------------------------------------------------------------------


def _eke_defer_accept() -> None:
    # "Do not spend a thread on a silent socket": TCP_DEFER_ACCEPT for the handshake
    # timeout. The kernel holds a silent connection (about 3 s for 2 s on Linux) before
    # accept() sees it, and only then does the handshake deadline start.
    srv = _eke_srv()
    socket = _module("socket")
    listen = srv.EkeServer.listen

    def listen_(self: Any, inherited: Any = None) -> tuple[str, int]:
        address: tuple[str, int] = listen(self, inherited)
        assert self._listener is not None
        self._listener.setsockopt(
            socket.IPPROTO_TCP,
            socket.TCP_DEFER_ACCEPT,
            max(1, int(self.config.handshake_timeout)),
        )
        return address

    srv.EkeServer.listen = listen_


def _eke_established_at_first_record() -> None:
    # "A login is proven once the client's first record decrypts": the admission moves a
    # connection to established at its first record, not when EKE4 is sent. A client
    # logged in and silent still counts as pending for its address and can be evicted.
    srv = _eke_srv()

    def _b16ops_mark(server: Any, conn_id: int) -> bool:
        with server._lock:
            admission = server._admission
            if conn_id in admission._pending:
                return bool(admission.established(conn_id))
            return conn_id in admission._established

    srv._b16ops_mark = _b16ops_mark
    _patch(
        srv.EkeServer,
        "_run_connection",
        (
            "evicted = not self._admission.established(conn_id)",
            "evicted = conn_id not in self._admission._pending",
        ),
    )
    _patch(
        srv.EkeServer,
        "_serve_records",
        (
            "            if event is CLOSED or isinstance(event, ErrorFrame):\n",
            "            if not _b16ops_mark(self, conn_id):\n"
            "                return\n"
            "            if event is CLOSED or isinstance(event, ErrorFrame):\n",
        ),
    )


# -- lens 6 --------------------------------------------------------------------------


def _eke_record_timeout_left_from_handshake() -> None:
    # "The handshake already put a timeout on the socket": the record phase never sets the
    # idle timeout, and each read waits what was left of the handshake deadline when
    # EKE3 was awaited — a login that took a second leaves a second.
    _patch(
        _eke_srv().EkeServer,
        "_serve_records",
        ("    sock.settimeout(self.config.idle_timeout)\n", ""),
    )


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
        f"b16ops-{name}", "blind16-ops", profile, requirement, test_file, description, apply,
        **extra,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("eke-idle-stamp-whole-seconds", "eke", "LIM-2", "test_ops_idle_whole_seconds.py",
       "L1/L6: a connection's last activity is stamped in whole seconds (time_t) and it is "
       "closed idle_timeout after that stamp: up to a second before the idle timeout has "
       "passed since its last byte", _eke_idle_stamp_whole_seconds),
    _m("pki-idle-stamp-whole-seconds", "pki", "LIM-2", "test_ops_idle_whole_seconds.py",
       "L1/L6: the pki responder stamps each request in whole seconds and closes the "
       "connection idle_timeout after that stamp: up to a second early",
       _pki_idle_stamp_whole_seconds),
    _m("eke-throttle-times-ms", "eke", "EKE-THR-6", "test_eke_restart_locks.py",
       "L1/L2: failure times are persisted as epoch milliseconds and reloaded as seconds: "
       "after a restart a running lock lies 1000x in the future (retry_after of decades, "
       "the lock never ends)", _eke_throttle_times_ms),
    _m("eke-busy-retry-after-from-timeout", "eke", "EKE-THR-7", "test_eke_throttling.py",
       "L1: busy's retry_after is the handshake timeout // 4 with no clamp: 0 under a 2 s "
       "handshake timeout (at least 1 is required)", _eke_busy_retry_after_from_timeout),
    _m("eke-restart-redates-failures", "eke", "EKE-THR-6", "test_eke_restart_locks.py",
       "L2/L6: failures reloaded at start are dated at the start: a lock with a second "
       "left runs its whole length again after a restart", _eke_restart_redates_failures),
    _m("eke-reload-newest-first", "eke", "EKE-THR-9", "test_ops_eke_table_order_restart.py",
       "L2: failure rows are reloaded newest first: after a restart a full table evicts "
       "its most recently failed entries first", _eke_reload_newest_first),
    _m("eke-restart-prunes-unknown-names", "eke", "EKE-THR-8", "test_eke_restart.py",
       "L2 (r): at start the counts of user names not in the password store are dropped "
       "as housekeeping: an unknown name's count and lock do not survive a restart",
       _eke_restart_prunes_unknown_names),
    _m("eke-restart-parks-partial", "eke", "APP-STORE-3", "test_ops_eke_restart_midway.py",
       "L2/L4: a put still receiving when the server restarts is kept in the inbox as "
       "NAME.part (for a resume) instead of removed", _eke_restart_parks_partial),
    _m("eke-admission-args-swapped", "eke", "LIM-8", "test_lockout.py",
       "L3: Admission built with its two limits swapped: the per-address cap is "
       "max_connections and the connection limit the per-address cap",
       _eke_admission_args_swapped),
    _m("eke-pending-q-from-lim8", "eke", "EKE-THR-7", "test_eke_throttling.py",
       "L3: the per-address pending-login cap Q is read from --max-pending-per-address "
       "(LIM-8's option) instead of --max-pending-logins-per-address",
       _eke_pending_q_from_lim8),
    _m("eke-restart-default-limits", "eke", "APP-PUT-7", "test_ops_eke_restart_midway.py",
       "L3/L2: the SIGHUP restart re-executes a command line without the limit options: "
       "after a restart every limit is the default (4 GiB files, 60 s idle ...)",
       _eke_restart_default_limits),
    _m("eke-no-connection-cap-undeclared", "eke", "LIM-4", "test_ops_connection_cap.py",
       "L3: max_connections is parsed and never compared (no refusal, no eviction), and "
       "the target declares no max_connections", _no_connection_cap,
       undeclared=("max_connections",)),
    _m("pki-no-connection-cap-undeclared", "pki", "LIM-4", "test_lockout.py",
       "L3: max_connections is parsed and never compared (no refusal, no eviction), and "
       "the target declares no max_connections (the pki responder)", _no_connection_cap,
       undeclared=("max_connections",)),
    _m("pki-failed-handshake-dup-leak", "pki", "LIM-5", "test_ops_failed_handshake_descriptors.py",
       "L4: a failed TLS handshake drops its eviction handle (a dup of the socket) "
       "without closing it: under 1024 descriptors a thousand failed handshakes and "
       "accept() fails for everyone", _pki_failed_handshake_dup_leak),
    _m("eke-timeout-linger-minutes", "eke", "LIM-10", "test_ops_stalled_readers_slots.py",
       "L4/L1: a connection whose send timed out is closed lingering (FIN, then read until "
       "the peer's FIN) for close_linger read as minutes: a peer that neither reads nor "
       "closes holds the connection and its slot for 2 min",
       _eke_timeout_linger_minutes),
    _m("eke-put-timeout-as-integrity", "eke", "LIM-2", "test_limits.py",
       "L4: an idle timeout in the middle of a put is answered integrity_failed, not "
       "timeout", _eke_put_timeout_as_integrity),
    _m("eke-defer-accept", "eke", "LIM-1", "test_limits.py",
       "L5/L6: the listener sets TCP_DEFER_ACCEPT to the handshake timeout: a silent "
       "connection reaches accept() only ~3 s later and is closed ~5 s after it was "
       "established (2 s handshake timeout)", _eke_defer_accept),
    _m("eke-established-at-first-record", "eke", "LIM-9", "test_ops_established_before_request.py",
       "L5: a login counts as established at its first record, not at EKE4: a client "
       "logged in and silent is still pending for its address and is closed to admit "
       "newcomers", _eke_established_at_first_record),
    _m("eke-record-timeout-left-from-handshake", "eke", "LIM-2", "test_ops_login_pace_idle.py",
       "L6: the record phase never sets the idle timeout: each read waits what was left "
       "of the handshake deadline when EKE3 was awaited (a slow login leaves little)",
       _eke_record_timeout_left_from_handshake),
)  # fmt: skip
