"""Blind red-team round 19, operations: the servers and clients as programs.

Written from docs/SPEC.md (§2, §3.6, §3.7, §5.6, §6) and the reference's operational code
(reference/cli/*.py, admission.py, closing.py, share.py, buffers.py, transfer.py's sweep,
eke/server.py, eke/store.py, eke/throttle.py, pki/peer.py, the clients' busy retries)
before any case file was opened, through this round's six lenses. The embedded target's
limits were taken from round 18's docstring only (N = 3, cap 4 s, L = 5, E = 40, Q = 5,
LIM-8 7, idle 1.5 s, handshake 2 s). The first list was checked against the names and
descriptions of the 3,300 registered mutants; ideas already there (retry_after rounded
down, a success that clears the user's pending count, DONE before the commit, the hard
cap from total_failures, sqlite's default isolation level, a size limit cumulated per
connection, a pipelined request dropped after a refusal, a put's temporary from a
per-connection counter, ...) were replaced (r).

Lens 1 (library defaults):
  b19ops-eke-commit-shutil-move        the put is committed with shutil.move(): a file made
                                       meanwhile under the final name is replaced
                                       (os.rename), a directory receives the temporary
                                       inside it; DONE either way
  b19ops-eke-idle-from-default-timeout socket.setdefaulttimeout(0.5) for the accept loop's
                                       wake-ups: accepted sockets inherit it and the record
                                       phase never sets its own, so "idle" is 0.5 s
  b19ops-eke-throttle-db-same-thread (r)  the throttle's SQLite connection opened with the
                                       default check_same_thread: every write from a
                                       connection thread raises after memory was updated
                                       (nothing reaches the disk, the pending slot of a
                                       failed login is never given back)
Lens 2 (porting idioms):
  b19ops-eke-sweep-prefix-casefold     the start-up sweep compares the reserved prefix
                                       case-blind (strcasecmp): a stored put named
                                       .SFT-PARTIAL-notes is deleted by the next start
  b19ops-eke-sweep-prefix-one-short    the sweep compares 12 bytes of the 13-byte prefix
                                       (strncmp one short): a stored .sft-partial or
                                       .sft-partial.txt is deleted by the next start
  b19ops-eke-evicted-release-zero-default (r)  the release of a connection evicted for
                                       LIM-9 decrements its address's pending count again
                                       (a map's zero default where Python would raise):
                                       each eviction gives the address one more slot
Lens 3 (feature interactions):
  b19ops-eke-success-forgives-own-address-share (withdrawn)  a success takes the user's
                                       own failures off its address's count as well
  b19ops-eke-admission-refusal-counted a connection refused at accept (LIM-8, LIM-4) is
                                       counted as a failure of its address: an address
                                       without one failed handshake gets throttled
  b19ops-eke-throttled-holds-pending-slot (r)  the pending slot is reserved before the
                                       throttle check and a throttled refusal never gives
                                       it back: after Q throttled EKE1s the address is busy
                                       for every user, after P its user name
Lens 4 (trusting its own earlier state):
  b19ops-eke-restart-removes-empty-files  the start-up sweep also removes empty regular
                                       files ("placeholders an earlier version left"): a
                                       stored empty put is deleted by the next start
  b19ops-eke-load-drops-expired-locks  at start, rows at or past N whose lock has run out
                                       are dropped as stale: a restart resets the count of
                                       a name or address whose backoff has just ended
  b19ops-eke-inbox-exists-cache        names found existing in the inbox are remembered:
                                       a stored file removed since is still `exists`
Lens 5 (what the user and the peer are told):
  b19ops-eke-client-busy-giveup-exit0  the eke client that gives up after its busy retries
                                       says so and exits 0
  b19ops-pki-client-busy-giveup-exit0  the pki initiator that gives up after its retries of
                                       a close before the TLS handshake exits 0
  b19ops-eke-lim8-soft-limit           the per-address cap is a warning while the server has
                                       more than two free slots: over-cap handshakes from
                                       one address are admitted
Lens 6 (refactoring slips):
  b19ops-eke-sweep-first-only          the start-up sweep returns after its first removal
  b19ops-eke-attempted-default-list    `attempted=[]` as a default argument of the
                                       handshake: shared by every connection, so every
                                       later connection that ends in its handshake is a
                                       failure of the first user that ever got EKE2
  b19ops-pki-release-latest-key        the slot release closure reads self._next_key (the
                                       latest admitted) instead of its own key
  b19ops-eke-send-fatal-inverted (r)   `if code.fatal` for `if not code.fatal`: every fatal
                                       EROR of the record phase goes out as `internal`
                                       (an idle timeout included)
  b19ops-eke-sweep-share-not-inbox     the start-up sweep is given the share, not the inbox
Post-blind (written once the cases were read, to check the new case's class):
  b19ops-eke-full-refusal-counted      only a full server's refusals at accept (LIM-4) are
                                       counted against their address

Blind run (each against the file guessed from its name alone): 8 of 20 detected
(commit-shutil-move by test_app_inbox_now.py, idle-from-default-timeout by
test_ops_idle_floor.py, throttle-db-same-thread by test_eke_restart.py,
evicted-release-zero-default by test_ops_admission_ledger.py, inbox-exists-cache by
test_app_inbox_now.py, pki-client-busy-giveup-exit0 by test_client_pki_give_up.py,
send-fatal-inverted by test_limits.py, sweep-share-not-inbox by test_eke_restart_state.py).
Five more were caught by another file citing the requirement (test_file points there):
lim8-soft-limit by test_eke_handshake_stalls.py (the guess test_limits.py runs no LIM-8
case on eke), attempted-default-list by test_eke_confirmation_failures.py (the guess cites
no EKE-THR-5), pki-release-latest-key by test_limits.py, throttled-holds-pending-slot by
test_eke_second_use.py, sweep-prefix-one-short by test_ops_eke_restart_put_ends.py (its
look-alike `.sft-partialx`). load-drops-expired-locks FAILed
test_eke_throttling.py::test_failure_counts_survive_a_restart only because the launcher's
restart outlasts the first lock (1 s): a server restarting faster shows nothing there, so a
case was written. success-forgives-own-address-share was withdrawn: EKE-THR-6's MUST NOT is
on "the address's count of OTHER users' failures"; a success that also takes the user's
own failures off the address is read by "forgives only what EKE-THR-4 and EKE-THR-5 say",
which is not a MUST of its own — ambiguous, no case (a SPEC sentence is proposed in the
round's report).
Not caught by any existing file, and the new case files that catch their class:
  eke-sweep-prefix-casefold, eke-restart-removes-empty-files, eke-sweep-first-only
                          test_ops_eke_restart_sweep_scope.py (three stale temporaries of
                          three random-part shapes and five stored puts next to the prefix —
                          `.sft-partial_x`, `.sft-partialx`, `.SFT-PARTIAL-x`,
                          `.Sft-Partial-x.txt` — and an empty one, one restart: every
                          temporary gone, every stored file kept; also catches
                          sweep-prefix-one-short)
  eke-admission-refusal-counted
                          test_ops_eke_accept_refusals_uncounted.py (N + 1 connections
                          refused at accept — over the per-address cap, and by a server whose
                          every slot holds an established login — then the address's EKE1 of
                          a fresh name: EKE2; also catches full-refusal-counted)
  eke-load-drops-expired-locks
                          test_ops_eke_restart_spent_locks.py (N failures of a name and of an
                          address, their lock waited out, a restart, one failure more: the
                          (N + 1)-th locks both at once)
  eke-client-busy-giveup-exit0
                          test_eke_client_busy_verdict.py (every EKE1 answered busy with
                          retry_after an hour or 2^63 - 1: a client that ends by itself
                          reports failure)
After the cases: 20 of 20 detected.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(owner, attr, *edits)


def _eke_srv() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


# -- lens 1 --------------------------------------------------------------------------


def _move(dir_fd: int, temp: str, final: str) -> None:
    import shutil

    base = f"/proc/self/fd/{dir_fd}"
    shutil.move(os.path.join(base, temp), os.path.join(base, final))


def _eke_commit_shutil_move() -> None:
    # "Move the temporary to its name": shutil.move renames over a file and, when the
    # destination is a directory, moves the source into it.
    share = _module("reference.share")
    share._b19ops_move = _move
    _patch(
        share.PartialFile,
        "commit",
        (
            "            os.link(\n"
            "                self.temp_name,\n"
            "                self.final_name,\n"
            "                src_dir_fd=self._dir_fd,\n"
            "                dst_dir_fd=self._dir_fd,\n"
            "                follow_symlinks=False,\n"
            "            )\n"
            "            os.unlink(self.temp_name, dir_fd=self._dir_fd)\n",
            "            _b19ops_move(self._dir_fd, self.temp_name, self.final_name)\n",
        ),
    )


def _eke_idle_from_default_timeout() -> None:
    # The accept loop's half-second wake-up set process-wide; accepted sockets inherit it
    # and the record phase takes "the socket's timeout" as its idle timeout.
    socket.setdefaulttimeout(0.5)
    _patch(
        _eke_srv().EkeServer,
        "_serve_records",
        (
            "sock.settimeout(self.config.idle_timeout)",
            "sock.settimeout(socket.getdefaulttimeout())",
        ),
    )


def _eke_throttle_db_same_thread() -> None:
    _patch(
        _throttle().Throttle,
        "__init__",
        ("path, check_same_thread=False, isolation_level=None", "path, isolation_level=None"),
    )


# -- lens 2 --------------------------------------------------------------------------


def _sweep_with(matches: Any, *, first_only: bool = False) -> Any:
    def remove_stale_partials(directory: Any, *, older_than: float | None = None) -> int:
        import stat

        removed = 0
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return 0
        for entry in entries:
            if not matches(entry):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                os.unlink(entry.path)
                removed += 1
                if first_only:
                    return removed
        return removed

    return remove_stale_partials


_PREFIX = ".sft-partial-"


def _eke_sweep_prefix_casefold() -> None:
    _eke_srv().remove_stale_partials = _sweep_with(lambda e: e.name.casefold().startswith(_PREFIX))


def _eke_sweep_prefix_one_short() -> None:
    _eke_srv().remove_stale_partials = _sweep_with(lambda e: e.name[:12] == _PREFIX[:12])


def _eke_evicted_release_zero_default() -> None:
    adm = _module("reference.admission").Admission
    admit = adm.admit

    def admit_(self: Any, key: int, address: str) -> Any:
        decision = admit(self, key, address)
        if decision.admitted:
            self.__dict__.setdefault("_b19_addr", {})[key] = address
        return decision

    def release(self: Any, key: int) -> None:
        address = self.__dict__.setdefault("_b19_addr", {}).pop(key, None)
        if key in self._established:
            self._established.discard(key)
            return
        if key in self._pending:
            self._forget_pending(key)
            return
        if address is not None:  # evicted: counts[address]-- on a zero default
            self._pending_by_address[address] = self._pending_by_address.get(address, 0) - 1

    adm.admit = admit_
    adm.release = release


# -- lens 3 --------------------------------------------------------------------------


def _count_address(throttle: Any, address: str) -> None:
    t = _throttle()
    key = ("addr", t.address_key(address))
    now = throttle._clock()
    with throttle._lock:
        entry = throttle._live(key, now)
        if entry is None:
            entry = t._Entry(0, now)
        entry.failures += 1
        entry.last = now
        throttle._entries[key] = entry
        throttle._entries.move_to_end(key)


def _eke_admission_refusal_counted() -> None:
    srv = _eke_srv()
    srv._b19ops_count_address = _count_address
    _patch(
        srv.EkeServer,
        "_admit",
        (
            'log.warning("refused %s: %s", addr[0], decision.refused.value)',
            'log.warning("refused %s: %s", addr[0], decision.refused.value)\n'
            "        _b19ops_count_address(self.throttle, addr[0])",
        ),
    )


def _eke_full_refusal_counted() -> None:
    # (post-blind) only the refusals of a full server (LIM-4) are counted against their
    # address: "a client that keeps knocking on a full server is suspicious".
    srv = _eke_srv()
    srv._b19ops_count_address = _count_address
    _patch(
        srv.EkeServer,
        "_admit",
        (
            'log.warning("refused %s: %s", addr[0], decision.refused.value)',
            'log.warning("refused %s: %s", addr[0], decision.refused.value)\n'
            "        if decision.refused is Refusal.FULL:\n"
            "            _b19ops_count_address(self.throttle, addr[0])",
        ),
    )


def _eke_throttled_holds_pending_slot() -> None:
    _patch(
        _eke_srv().EkeServer,
        "_handshake",
        (
            "            wait = self.throttle.retry_after(event.user, address)\n",
            "            reserved = self.throttle.begin(event.user, address)\n"
            "            wait = self.throttle.retry_after(event.user, address)\n",
        ),
        (
            "            if not self.throttle.begin(event.user, address):\n",
            "            if not reserved:\n",
        ),
    )


# -- lens 4 --------------------------------------------------------------------------


def _eke_restart_removes_empty_files() -> None:
    srv = _eke_srv()
    sweep = srv.remove_stale_partials

    def remove_stale_partials(directory: Any, **kwargs: Any) -> int:
        import stat

        removed = int(sweep(directory, **kwargs))
        with contextlib.suppress(OSError):
            for entry in list(os.scandir(directory)):
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode) and info.st_size == 0:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    srv.remove_stale_partials = remove_stale_partials


def _eke_load_drops_expired_locks() -> None:
    t = _throttle()
    init = t.Throttle.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        now = self._clock()
        with self._lock:
            for kind in t._KINDS:
                table = self._entries.table(kind)
                for key, entry in list(table.items()):
                    if (
                        entry.failures >= self.config.failures
                        and not self._hard_locked((kind, key), entry)
                        and self._wait((kind, key), now) <= 0
                    ):
                        del self._entries[(kind, key)]

    t.Throttle.__init__ = __init__


def _eke_inbox_exists_cache() -> None:
    share = _module("reference.share")
    target_name = share.Inbox.target_name

    def target_name_(self: Any, name: str) -> str:
        seen = self.__dict__.setdefault("_b19_seen", set())
        base = share.check_name(name)[-1]
        if base in seen:
            raise share.RemoteProtocolError(
                share.ErrorCode.EXISTS, f"{share._shown(base)} already exists in the inbox"
            )
        try:
            return str(target_name(self, name))
        except share.RemoteProtocolError as exc:
            if exc.code is share.ErrorCode.EXISTS:
                seen.add(base)
            raise

    share.Inbox.target_name = target_name_


# -- lens 5 --------------------------------------------------------------------------


def _eke_client_busy_giveup_exit0() -> None:
    cli = _module("reference.cli.eke")
    client = _module("reference.eke.client")
    fail = cli._fail

    def _fail(exc: Any) -> Any:
        if isinstance(exc, client.ServerBusy):
            # "Not our failure: the server asked us to come back later."
            return cli.CommandError(f"notice: {exc}", 0)
        return fail(exc)

    cli._fail = _fail


def _pki_client_busy_giveup_exit0() -> None:
    _patch(
        _module("reference.pki.client").PkiSession,
        "_connect",
        ('"handshake; try later"', '"handshake; try later", 0'),
    )


def _eke_lim8_soft_limit() -> None:
    _patch(
        _module("reference.admission").Admission,
        "admit",
        (
            "if self.pending_from(address) >= self.max_pending_per_address:",
            "if (self.pending_from(address) >= self.max_pending_per_address\n"
            "                and self.open_connections >= self.max_connections - 2):",
        ),
    )


# -- lens 6 --------------------------------------------------------------------------


def _eke_sweep_first_only() -> None:
    _eke_srv().remove_stale_partials = _sweep_with(
        lambda e: e.name.startswith(_PREFIX), first_only=True
    )


def _eke_attempted_default_list() -> None:
    _patch(
        _eke_srv().EkeServer,
        "_handshake",
        (
            "def _handshake(self, sock: socket.socket, address: str)",
            "def _handshake(self, sock: socket.socket, address: str, attempted: list[str] = [])",
        ),
        (
            "    attempted: list[str] = []  # the user whose EKE2 went out: a guess is pending\n",
            "",
        ),
    )


def _pki_release_latest_key() -> None:
    _patch(
        _module("reference.pki.peer").PeerServer,
        "_dispatch",
        (
            "                self._admission.release(key)\n"
            "                handle = self._handles.pop(key, None)\n",
            "                self._admission.release(self._next_key)\n"
            "                handle = self._handles.pop(self._next_key, None)\n",
        ),
    )


def _eke_send_fatal_inverted() -> None:
    _patch(
        _eke_srv().EkeServer,
        "_send_fatal",
        ("if not code.fatal:", "if code.fatal:"),
    )


def _eke_sweep_share_not_inbox() -> None:
    _patch(
        _eke_srv().EkeServer,
        "__init__",
        (
            "swept = remove_stale_partials(config.inbox)",
            "swept = remove_stale_partials(config.share or config.inbox)",
        ),
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
        f"b19ops-{name}",
        "blind19-ops",
        profile,
        requirement,
        test_file,
        description,
        apply,
        **extra,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("eke-commit-shutil-move", "eke", "APP-PUT-3", "test_app_inbox_now.py",
       "L1: the put is committed with shutil.move(): a file made meanwhile under the final "
       "name is replaced, a directory made meanwhile receives the temporary; DONE either way",
       _eke_commit_shutil_move),
    _m("eke-idle-from-default-timeout", "eke", "LIM-2", "test_ops_idle_floor.py",
       "L1: socket.setdefaulttimeout(0.5) for the accept loop: accepted sockets inherit it "
       "and the record phase never sets the idle timeout (a silent client is cut at 0.5 s)",
       _eke_idle_from_default_timeout),
    _m("eke-throttle-db-same-thread", "eke", "EKE-THR-8", "test_eke_restart.py",
       "L1 (r): the throttle database opened with sqlite3's default check_same_thread: "
       "every write from a connection thread raises after memory was updated (nothing "
       "persisted; a failed login's pending slot never given back)",
       _eke_throttle_db_same_thread),
    _m("eke-sweep-prefix-casefold", "eke", "APP-PUT-5", "test_ops_eke_restart_sweep_scope.py",
       "L2: the start-up sweep compares the reserved prefix case-blind: a stored put named "
       ".SFT-PARTIAL-notes is deleted by the next start", _eke_sweep_prefix_casefold),
    _m("eke-sweep-prefix-one-short", "eke", "APP-PUT-5", "test_ops_eke_restart_put_ends.py",
       "L2: the start-up sweep compares 12 bytes of the 13-byte prefix: a stored "
       ".sft-partial or .sft-partial.txt is deleted by the next start",
       _eke_sweep_prefix_one_short),
    _m("eke-evicted-release-zero-default", "eke", "LIM-8", "test_ops_admission_ledger.py",
       "L2 (r): the release of a connection evicted for LIM-9 lowers its address's pending "
       "count a second time (a zero default): each eviction gives the address one more slot",
       _eke_evicted_release_zero_default),
    _m("eke-admission-refusal-counted", "eke", "EKE-THR-7",
       "test_ops_eke_accept_refusals_uncounted.py",
       "L3: a connection refused at accept (LIM-8, LIM-4) counts as a failure of its address: "
       "an address without one failed handshake is throttled", _eke_admission_refusal_counted),
    _m("eke-full-refusal-counted", "eke", "EKE-THR-7",
       "test_ops_eke_accept_refusals_uncounted.py",
       "(post-blind) only a full server's refusals at accept (LIM-4) count as failures of "
       "their address: an address that met a full server N times is throttled",
       _eke_full_refusal_counted),
    _m("eke-throttled-holds-pending-slot", "eke", "EKE-THR-7", "test_eke_second_use.py",
       "L3 (r): the pending slot is reserved before the throttle check and a throttled "
       "refusal never releases it: after Q throttled EKE1s the address is busy for everyone",
       _eke_throttled_holds_pending_slot),
    _m("eke-restart-removes-empty-files", "eke", "APP-PUT-5", "test_ops_eke_restart_sweep_scope.py",
       "L4: the start-up sweep also removes empty regular files of the inbox: a stored empty "
       "put is deleted by the next start", _eke_restart_removes_empty_files),
    _m("eke-load-drops-expired-locks", "eke", "EKE-THR-8", "test_ops_eke_restart_spent_locks.py",
       "L4: at start the rows at or past N whose lock has run out are dropped: a restart "
       "resets a count whose backoff has just ended", _eke_load_drops_expired_locks),
    _m("eke-inbox-exists-cache", "eke", "APP-PUT-1", "test_app_inbox_now.py",
       "L4: a name once found existing in the inbox is remembered: a stored file removed "
       "since is still answered exists", _eke_inbox_exists_cache),
    _m("eke-client-busy-giveup-exit0", "eke", "LIM-9", "test_eke_client_busy_verdict.py",
       "L5: the eke client that gives up after its busy retries says so and exits 0",
       _eke_client_busy_giveup_exit0, client=True),
    _m("pki-client-busy-giveup-exit0", "pki", "LIM-9", "test_client_pki_give_up.py",
       "L5: the pki initiator that gives up retrying a close before the TLS handshake "
       "exits 0", _pki_client_busy_giveup_exit0, client=True),
    _m("eke-lim8-soft-limit", "eke", "LIM-8", "test_eke_handshake_stalls.py",
       "L5: the per-address cap is only a warning while the server has more than two free "
       "slots: over-cap handshakes from one address are admitted",
       _eke_lim8_soft_limit),
    _m("eke-sweep-first-only", "eke", "APP-STORE-3", "test_ops_eke_restart_sweep_scope.py",
       "L6: the start-up sweep returns after its first removal: of two leftover "
       "temporaries one stays", _eke_sweep_first_only),
    _m("eke-attempted-default-list", "eke", "EKE-THR-5", "test_eke_confirmation_failures.py",
       "L6: `attempted=[]` a default argument of the handshake: every later connection that "
       "ends in its handshake is a failure of the first user that ever got EKE2",
       _eke_attempted_default_list),
    _m("pki-release-latest-key", "pki", "LIM-4", "test_limits.py",
       "L6: the slot release reads self._next_key (the latest admitted connection) instead "
       "of its own key", _pki_release_latest_key),
    _m("eke-send-fatal-inverted", "eke", "LIM-2", "test_limits.py",
       "L6 (r): `if code.fatal` for `if not code.fatal`: every fatal EROR of the record "
       "phase (the idle timeout's included) goes out as internal", _eke_send_fatal_inverted),
    _m("eke-sweep-share-not-inbox", "eke", "APP-STORE-3", "test_eke_restart_state.py",
       "L6: the start-up sweep is given the share, not the inbox (the wrong one of two "
       "directory options)", _eke_sweep_share_not_inbox),
)  # fmt: skip
