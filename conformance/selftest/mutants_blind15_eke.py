"""Blind red-team round 15 (helper B72): the sft-eke/1 SERVER, through the six lenses of
/work/briefs/s15/lenses15.md. Phase 1 (blind): written from docs/SPEC.md (§0-§3, §5, §6)
and the reference's eke server code (reference/eke/*.py, app.py, frames.py, share.py,
transfer.py, admission.py) before any case file or independent implementation was opened.
The first list (29) was then checked against the registered mutants' names and
descriptions; 21 of them repeated a registered idea (accept-loop peek, no send timeout,
reflected record under the send key, EKE2 cached per EKE1, C3 under Kcs, cached Ns,
COLLATE NOCASE, fromhex hex, busy as throttled, min of waits, X' mod p, scrypt fake key,
throttled/busy counted, length after payload, lost interleaved failures, slot after the
modexp, replace at commit, temp named after the final name, ...) and were replaced by
the ones marked (r), written the same way before any case was read.

Lens 1 — one blocks all:
- b15eke-user-lock-across-eke3: a per-user-name lock taken at EKE1 and held until the
  handshake ends: a second login of a name whose handshake is pending waits for it.
- b15eke-put-under-server-lock (r): a put is received holding the server's connection
  table lock: a client silent mid-put stalls every new connection's admission.
- b15eke-refusal-lingers-on-accept-loop (r): a connection refused busy at accept (LIM-4,
  LIM-8) is closed with a lingering close ON THE ACCEPT THREAD: a refused client that
  never closes stalls the accept loop for 2 s.
- b15eke-busy-paced-under-throttle-lock (r): a busy refusal is paced (sleeps its
  retry_after) while holding the throttle's lock: every other login waits behind it.
- b15eke-silent-sockets-uncounted (r): a connection joins its address's pending count
  only once its first bytes arrive: held-silent sockets are never refused by LIM-8.
Lens 2 — reflection and cross-context acceptance:
- b15eke-pending-state-keyed-by-user (r): the pending handshake's keys, th and Ns kept
  per user name: a second concurrent login of that name makes the first one's valid EKE3
  fail (verified with the other connection's keys).
- b15eke-eke-frames-in-records-skipped (r): a handshake frame (EKE1..EKE4) inside a
  record is dropped as a stray retransmission instead of unexpected_frame.
- b15eke-unknown-names-one-counter (r): the throttle keys on the account: every unknown
  user name shares one counter (and pending cap), so a fresh unknown name is throttled
  where a known one is not.
Lens 3 — the default branch:
- b15eke-eke3-wait-skips-undefined (r): awaiting EKE3, a frame of an undefined type is
  skipped (extensibility) instead of unexpected_frame.
- b15eke-handshake-unknown-eror-skipped (r): a client EROR whose code is not in the
  table is skipped during the handshake; the next EKE3 completes it.
- b15eke-record-unknown-eror-skipped (r): the same in the record phase: the next
  request is served.
- b15eke-putf-sha256-misformed-dropped (r): a PUTF sha256 string that is not 64
  lowercase hex digits is taken as absent: the put is accepted.
- b15eke-commit-error-taken-as-stored (r): a commit error other than EEXIST (the
  temporary gone) is logged and the put acknowledged with DONE, nothing stored.
Lens 4 — compound conditions:
- b15eke-pending-cap-both-needed (r): busy only when the user name AND the address are
  at their pending caps (all for any).
- b15eke-success-resets-below-threshold-only (r): a success forgives the user's count
  only while it is below the throttle threshold.
- b15eke-waits-or-chain (r): the wait is `user_wait or address_wait`: a user whose lock
  ran out (a negative wait, truthy) hides its address's running lock.
Lens 5 — asymmetric cost:
- b15eke-throttle-check-after-modexp (r): D_pw(A), g^y and X^y are computed before the
  throttle decision: a throttled EKE1 costs the exponentiations.
- b15eke-busy-after-modexp (r): the pending cap is checked after the exponentiations.
- b15eke-throttle-rechecked-per-request (r): every request re-checks the user's and
  address's throttle: a session whose user got locked meanwhile is cut `throttled`.
Lens 6 — check-then-act under concurrency:
- b15eke-success-forgives-concurrent-pending (r): a success starts a new epoch of its
  user name; failures of handshakes begun before it are not counted against the name.
- b15eke-temp-per-connection-counter (r): the put's temporary is .sft-partial-<n>, n
  counted per connection, opened O_TRUNC without O_EXCL: two connections' puts share it.
- b15eke-commit-exists-then-rename (r): the commit checks that the final name is free,
  fsyncs, then renames over it: two puts of one name verified at once are both stored.
(post-blind) b15eke-throttled-paced-under-throttle-lock: the busy pacing's sibling, a
  throttled refusal tarpitted under the throttle lock; added to prove the case's family.

Blind result: 5 of 22 detected in the file first named (user-lock-across-eke3,
handshake-unknown-eror-skipped, record-unknown-eror-skipped, putf-sha256-misformed-dropped,
pending-cap-both-needed). Run against every case file citing the same requirement, 7 more
were caught by existing cases (the test_file now names them): eke-frames-in-records-skipped
(test_eke_records.py), eke3-wait-skips-undefined and unknown-names-one-counter
(test_eke_handshake.py), refusal-lingers-on-accept-loop and silent-sockets-uncounted
(test_lockout.py), throttle-check-after-modexp and busy-after-modexp (the lead's
test_eke_throttled_cost.py, committed while this round ran); pending-state-keyed-by-user
only incidentally (test_eke_throttling.py's locked-pending case). temp-per-connection-
counter shows only as APP-PUT-5 (a valid put answered `internal`; test_app_put_concurrent.py
caught it there) and is named so. The rest, and the cases that now catch their class:
- throttle-rechecked-per-request, success-resets-below-threshold-only,
  success-forgives-concurrent-pending, waits-or-chain -> test_eke_lock_reach.py: a session
  established before its name or address got locked still served (get and put); a success
  after the lock frees the name; guesses pending across a success counted; an address's
  lock refuses a name whose own lock ran out.
- put-under-server-lock, busy-paced-under-throttle-lock -> test_eke_served_meanwhile.py: a
  put left silent (after accept, mid-data, mid-record) or a BYE_ left unread, and EKE1s
  refused busy or throttled one after another: an honest login and get elsewhere done in a
  fraction of the idle timeout / retry_after (fastest of two at once, against a baseline).
- commit-error-taken-as-stored, commit-exists-then-rename -> test_eke_put_commit.py: the
  put's temporary removed mid-put (DONE only if the final name holds the bytes); two puts
  of one name whose DONEs leave back to back (one DONE, the other `exists`); and (for
  temp-per-connection-counter) puts of two names interleaved frame by frame: a put
  answered DONE holds its own bytes.
- pending-state-keyed-by-user -> test_eke_concurrent_logins.py: two honest logins of one
  name pending together (and a wrong guess beside them), finished in either order: EKE4.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind15-eke"


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _server() -> Any:
    return _module("reference.eke.server")


def _transport() -> Any:
    return _module("reference.eke.transport")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


def _unindent(text: str) -> str:
    """`text` written at the method's indentation in its file, as _patch_source sees it
    (the method's source dedented by one class level)."""
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


# -- lens 1 --------------------------------------------------------------------------------


def _user_lock_across_eke3() -> None:
    cls = _throttle().Throttle
    begin, end = cls.begin, cls.end
    locks: dict[str, threading.Lock] = {}
    guard = threading.Lock()

    def locked_begin(self: Any, user: str, address: str) -> bool:
        with guard:
            lock = locks.setdefault(user, threading.Lock())
        lock.acquire(timeout=30)
        ok = bool(begin(self, user, address))
        if not ok and lock.locked():
            lock.release()
        return ok

    def locked_end(self: Any, user: str, address: str) -> None:
        end(self, user, address)
        lock = locks.get(user)
        if lock is not None and lock.locked():
            lock.release()

    cls.begin = locked_begin
    cls.end = locked_end


def _put_under_server_lock() -> None:
    server = _server()
    init = server.EkeServer.__init__

    def rlock_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._lock = threading.RLock()  # so that the finally below can re-enter it

    server.EkeServer.__init__ = rlock_init
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "partial: PartialFile | None = None\n",
            "partial: PartialFile | None = None\n        held = False\n",
        ),
        (
            "                    if partial is not None:\n"
            "                        with self._lock:\n"
            "                            self._receiving.add(conn_id)\n",
            "                    if partial is not None:\n"
            "                        self._lock.acquire()\n"
            "                        held = True\n"
            "                        self._receiving.add(conn_id)\n",
        ),
        (
            "                    with self._lock:\n"
            "                        self._receiving.discard(conn_id)\n"
            "                    log.info(",
            "                    with self._lock:\n"
            "                        self._receiving.discard(conn_id)\n"
            "                    if held:\n"
            "                        held = False\n"
            "                        self._lock.release()\n"
            "                    log.info(",
        ),
        (
            "        finally:\n"
            "            with self._lock:\n"
            "                self._receiving.discard(conn_id)\n",
            "        finally:\n"
            "            with self._lock:\n"
            "                self._receiving.discard(conn_id)\n"
            "            if held:\n"
            "                self._lock.release()\n",
        ),
    )


def _refusal_lingers_on_accept_loop() -> None:
    _patch_method(
        _server().EkeServer,
        "_admit",
        (
            "                sock.sendall(encode_error(ErrorCode.BUSY, message))\n"
            "            close_at_once(sock)\n",
            "                sock.sendall(encode_error(ErrorCode.BUSY, message))\n"
            "            close_gracefully(sock, 2.0)\n",
        ),
    )


def _busy_paced_under_throttle_lock() -> None:
    _patch_method(
        _throttle().Throttle,
        "begin",
        (
            "                return False\n",
            "                time.sleep(self.config.busy_retry_after)  # pace the refused\n"
            "                return False\n",
        ),
    )


def _silent_sockets_uncounted() -> None:
    admission = _module("reference.admission")
    server = _server()
    cls = admission.Admission
    admit, forget = cls.admit, cls._forget_pending

    def lazy_admit(self: Any, key: int, address: str) -> Any:
        decision = admit(self, key, address)
        if decision.admitted:
            # counted only once the connection has said something (touch below)
            left = self._pending_by_address[address] - 1
            if left:
                self._pending_by_address[address] = left
            else:
                del self._pending_by_address[address]
        return decision

    def touch(self: Any, key: int) -> None:
        touched = self.__dict__.setdefault("_touched", set())
        address = self._pending.get(key)
        if address is not None and key not in touched:
            touched.add(key)
            self._pending_by_address[address] = self.pending_from(address) + 1

    def lazy_forget(self: Any, key: int) -> None:
        touched = self.__dict__.setdefault("_touched", set())
        if key in touched:
            touched.discard(key)
            forget(self, key)
        else:
            self._pending.pop(key)

    cls.admit = lazy_admit
    cls.touch = touch
    cls._forget_pending = lazy_forget
    local = threading.local()
    server._T15 = local
    run = server.EkeServer._run_connection

    def run_connection(self: Any, conn_id: int, sock: Any, address: str) -> None:
        local.start = time.monotonic()
        with self._lock:
            admitted = conn_id in self._admission._pending
        if admitted:
            try:
                sock.settimeout(self.config.handshake_timeout)
                sock.recv(1, __import__("socket").MSG_PEEK)
            except OSError:
                pass
            with self._lock:
                self._admission.touch(conn_id)
        run(self, conn_id, sock, address)

    server.EkeServer._run_connection = run_connection
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "deadline = time.monotonic() + self.config.handshake_timeout",
            "deadline = getattr(_T15, 'start', time.monotonic()) + self.config.handshake_timeout",
        ),
    )


def _throttled_paced_under_throttle_lock() -> None:
    _patch_method(
        _throttle().Throttle,
        "retry_after",
        (
            '_wait(("addr", address), now)]\n',
            '_wait(("addr", address), now)]\n'
            "            if max(waits) > 0:  # tarpit the refused, at most a second\n"
            "                time.sleep(min(max(waits), 1.0))\n",
        ),
    )


# -- lens 2 --------------------------------------------------------------------------------


def _pending_state_keyed_by_user() -> None:
    handshake = _handshake()
    handshake._BY_USER15 = {}
    _patch_method(
        handshake.ServerHandshake,
        "accept",
        (
            "        self.state = HandshakeState.SERVER_AWAIT_EKE3\n",
            "        self.state = HandshakeState.SERVER_AWAIT_EKE3\n"
            "        _BY_USER15[self.user] = (self._keys, self._th, self._ns, self._doomed)\n",
        ),
    )
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke3",
        (
            "        plain = crypto.open_confirm(",
            "        self._keys, self._th, self._ns, self._doomed = _BY_USER15.get(\n"
            "            self.user, (self._keys, self._th, self._ns, self._doomed)\n"
            "        )\n"
            "        plain = crypto.open_confirm(",
        ),
    )


def _eke_frames_in_records_skipped() -> None:
    _patch_method(
        _transport().SecureStream,
        "_next_record",
        (
            "                assert isinstance(frame, InnerFrame) or frame is CLOSED\n",
            "                assert isinstance(frame, InnerFrame) or frame is CLOSED\n"
            "                if isinstance(frame, InnerFrame) and frame.type[:3] == b'EKE':\n"
            "                    continue  # a retransmitted handshake frame\n",
        ),
    )


def _unknown_names_one_counter() -> None:
    server = _server()
    init = server.EkeServer.__init__

    def keyed_init(self: Any, config: Any, store: Any, **kwargs: Any) -> None:
        init(self, config, store, **kwargs)
        throttle = self.throttle

        def key(user: str) -> str:
            with store._lock:
                row = store._db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone()
            return user if row is not None else "(unknown user)"

        for method in ("retry_after", "begin", "end", "failed", "succeeded", "locked"):
            original = getattr(throttle, method)

            def keyed(user: str, *args: Any, _original: Any = original) -> Any:
                return _original(key(user), *args)

            setattr(throttle, method, keyed)

    server.EkeServer.__init__ = keyed_init


# -- lens 3 --------------------------------------------------------------------------------


def _eke3_wait_skips_undefined() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
            "        step = _TRANSITIONS.get((self.state, frame_type))\n"
            "        if (\n"
            "            step is None\n"
            "            and self.state is HandshakeState.SERVER_AWAIT_EKE3\n"
            "            and frame_type not in (T_EKE1, T_EKE2, T_EKE3, T_EKE4, T_EROR)\n"
            "        ):\n"
            "            if len(buf) < HEADER_SIZE + length:\n"
            "                return self._need_more()\n"
            "            del buf[: HEADER_SIZE + length]  # an extension we do not know\n"
            "            return self._read_frame()\n",
        ),
    )


def _handshake_unknown_eror_skipped() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            "        handler, next_state = step\n",
            "        if frame_type == T_EROR and obj['code'] not in {int(c) for c in ErrorCode}:\n"
            "            return self._read_frame()  # not an error we know of\n"
            "        handler, next_state = step\n",
        ),
    )


def _record_unknown_eror_skipped() -> None:
    _patch_method(
        _app().ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        if frame.type == T_EROR:\n"
            "            try:\n"
            "                code = __import__('json').loads(bytes(frame.payload)).get('code')\n"
            "            except Exception:\n"
            "                code = None\n"
            "            if type(code) is int and code not in {int(c) for c in ErrorCode}:\n"
            "                return self._next_event()  # not an error we know of\n"
            "        nxt = self._lookup(frame.type)\n",
        ),
    )


def _putf_sha256_misformed_dropped() -> None:
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            "    obj = loads_control(frame.payload)\n"
            "    if t == T_PUTF and isinstance(obj.get('sha256'), str):\n"
            "        if __import__('re').fullmatch('[0-9a-f]{64}', obj['sha256']) is None:\n"
            "            del obj['sha256']  # not a digest we can use: check the DONE only\n",
        ),
    )
    _app().decode_message = messages.decode_message


def _commit_error_taken_as_stored() -> None:
    _patch_method(
        _share().PartialFile,
        "commit",
        (
            "        except BaseException:\n            self.abort()\n            raise\n",
            "        except OSError as exc:  # logged; the data was verified already\n"
            "            __import__('logging').getLogger('sft').warning('commit: %s', exc)\n",
        ),
    )


# -- lens 4 --------------------------------------------------------------------------------


def _pending_cap_both_needed() -> None:
    _patch_method(
        _throttle().Throttle,
        "begin",
        ("if any(self._pending.get(k, 0) >= cap", "if all(self._pending.get(k, 0) >= cap"),
    )


def _success_resets_below_threshold_only() -> None:
    _patch_method(
        _throttle().Throttle,
        "succeeded",
        (
            '            self._entries.pop(("user", user), None)\n',
            '            entry = self._entries.get(("user", user))\n'
            "            if entry is None or entry.failures < self.config.failures:\n"
            '                self._entries.pop(("user", user), None)\n',
        ),
    )


def _waits_or_chain() -> None:
    _patch_method(
        _throttle().Throttle,
        "retry_after",
        ("        wait = max(waits)\n", "        wait = waits[0] or waits[1]\n"),
    )


# -- lens 5 --------------------------------------------------------------------------------


def _precompute(self: Any, hs: Any, user: str) -> None:
    """The exponentiations of EKE2 (D_pw(A), g^y, X^y) for `user`, result unused."""
    crypto = _crypto()
    pw = self.store.key_for(user)
    ephemeral = crypto.new_ephemeral()
    try:
        x = crypto.reveal_element(pw, hs._a)
        crypto.shared_secret(ephemeral, x)
    except Exception:  # an invalid X' costs the same below
        crypto.shared_secret(ephemeral, crypto.G + 1)


def _throttle_check_after_modexp() -> None:
    server = _server()
    server._precompute15 = _precompute
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "                wait = self.throttle.retry_after(event.user, address)\n",
            "                _precompute15(self, hs, event.user)  # EKE2 prepared first\n"
            "                wait = self.throttle.retry_after(event.user, address)\n",
        ),
    )


def _busy_after_modexp() -> None:
    server = _server()
    server._precompute15 = _precompute
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "                if not self.throttle.begin(event.user, address):\n",
            "                _precompute15(self, hs, event.user)  # EKE2 prepared first\n"
            "                if not self.throttle.begin(event.user, address):\n",
        ),
    )


def _throttle_rechecked_per_request() -> None:
    _patch_method(
        _server().EkeServer,
        "_serve_records",
        (
            "                if isinstance(event, FileRequest):\n",
            "                if isinstance(event, FileRequest | PutRequest) and (\n"
            "                    self.throttle.retry_after(\n"
            "                        established.user, sock.getpeername()[0]\n"
            "                    )\n"
            "                    is not None\n"
            "                ):\n"
            "                    self._send_fatal(stream, ErrorCode.THROTTLED, 'locked')\n"
            "                    return\n"
            "                if isinstance(event, FileRequest):\n",
        ),
    )


# -- lens 6 --------------------------------------------------------------------------------


def _success_forgives_concurrent_pending() -> None:
    cls = _throttle().Throttle
    begin, failed, succeeded = cls.begin, cls.failed, cls.succeeded
    epochs: dict[str, int] = {}
    local = threading.local()

    def epoch_begin(self: Any, user: str, address: str) -> bool:
        ok = bool(begin(self, user, address))
        local.epoch = epochs.get(user, 0) if ok else None
        return ok

    def epoch_succeeded(self: Any, user: str, address: str) -> None:
        epochs[user] = epochs.get(user, 0) + 1
        succeeded(self, user, address)

    def epoch_failed(self: Any, user: str, address: str) -> None:
        started = getattr(local, "epoch", None)
        local.epoch = None
        if started is None or started >= epochs.get(user, 0):
            failed(self, user, address)
            return
        # Begun before the user's latest success: a stale failure, the address's only.
        with self._lock:
            before = self._entries.get(("user", user))
            kept = None if before is None else (before.failures, before.last)
        failed(self, user, address)
        with self._lock:
            if kept is None:
                self._entries.pop(("user", user), None)
            else:
                entry = self._entries.get(("user", user))
                if entry is not None:
                    entry.failures, entry.last = kept
                    self._entries[("user", user)] = entry

    cls.begin = epoch_begin
    cls.failed = epoch_failed
    cls.succeeded = epoch_succeeded


def _temp_per_connection_counter() -> None:
    share = _share()
    local = threading.local()

    def next_temp() -> int:
        local.n = getattr(local, "n", 0) + 1
        return int(local.n)

    share._next_temp15 = next_temp
    _patch_method(
        share.PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            'self.temp_name = f"{PARTIAL_PREFIX}{_next_temp15()}"',
        ),
        (
            "os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC",
            "os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC",
        ),
    )


def _commit_exists_then_rename() -> None:
    _patch_method(
        _share().PartialFile,
        "commit",
        (
            "        os.fsync(self._file.fileno())\n",
            "        try:\n"
            "            os.stat(self.final_name, dir_fd=self._dir_fd, follow_symlinks=False)\n"
            "        except FileNotFoundError:\n"
            "            overwrite = True  # free: the rename below may take it\n"
            "        os.fsync(self._file.fileno())\n"
            "        __import__('time').sleep(0.2)  # a slow disk's fsync\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b15eke-user-lock-across-eke3",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "a per-user-name lock held from EKE1 to the handshake's end: a second login of a"
        " name with a pending handshake waits for it instead of EKE2",
        _user_lock_across_eke3,
    ),
    _m(
        "b15eke-put-under-server-lock",
        "LIM-5",
        "test_eke_served_meanwhile.py",
        "a put is received holding the connection-table lock: a client silent mid-put"
        " stalls every new connection until its idle timeout",
        _put_under_server_lock,
    ),
    _m(
        "b15eke-refusal-lingers-on-accept-loop",
        "LIM-8",
        "test_lockout.py",
        "a connection refused busy at accept is closed lingering on the accept thread:"
        " a refused client that never closes stalls every accept for 2 s",
        _refusal_lingers_on_accept_loop,
    ),
    _m(
        "b15eke-busy-paced-under-throttle-lock",
        "LIM-5",
        "test_eke_served_meanwhile.py",
        "a busy refusal sleeps its retry_after holding the throttle lock: every other"
        " login waits behind it",
        _busy_paced_under_throttle_lock,
    ),
    _m(
        "b15eke-throttled-paced-under-throttle-lock",
        "LIM-5",
        "test_eke_served_meanwhile.py",
        "(post-blind, the busy one's sibling) a throttled refusal sleeps up to 1 s holding"
        " the throttle lock: every other login waits behind it",
        _throttled_paced_under_throttle_lock,
    ),
    _m(
        "b15eke-silent-sockets-uncounted",
        "LIM-8",
        "test_lockout.py",
        "a connection joins its address's pending count only once its first bytes"
        " arrive: held-silent sockets are never refused",
        _silent_sockets_uncounted,
    ),
    # lens 2
    _m(
        "b15eke-pending-state-keyed-by-user",
        "EKE-HS-6",
        "test_eke_concurrent_logins.py",
        "the pending handshake's keys, th and Ns kept per user name: a concurrent second"
        " login of the name makes the first one's valid EKE3 fail",
        _pending_state_keyed_by_user,
    ),
    _m(
        "b15eke-eke-frames-in-records-skipped",
        "FRM-6",
        "test_eke_records.py",
        "a handshake frame (EKE1..EKE4) inside a record is dropped as a retransmission",
        _eke_frames_in_records_skipped,
    ),
    _m(
        "b15eke-unknown-names-one-counter",
        "EKE-HS-3",
        "test_eke_handshake.py",
        "the throttle keys on the account: every unknown user name shares one failure"
        " count and pending cap",
        _unknown_names_one_counter,
    ),
    # lens 3
    _m(
        "b15eke-eke3-wait-skips-undefined",
        "FRM-5",
        "test_eke_handshake.py",
        "awaiting EKE3, a frame of an undefined type is skipped, not unexpected_frame",
        _eke3_wait_skips_undefined,
    ),
    _m(
        "b15eke-handshake-unknown-eror-skipped",
        "ERR-4",
        "test_eke_handshake.py",
        "a client EROR whose code is not in the table is skipped during the handshake",
        _handshake_unknown_eror_skipped,
    ),
    _m(
        "b15eke-record-unknown-eror-skipped",
        "ERR-4",
        "test_framing.py",
        "a client EROR whose code is not in the table is skipped in the record phase",
        _record_unknown_eror_skipped,
    ),
    _m(
        "b15eke-putf-sha256-misformed-dropped",
        "FRM-12",
        "test_eke_put_announced.py",
        "a PUTF sha256 string that is not 64 lowercase hex digits is taken as absent",
        _putf_sha256_misformed_dropped,
    ),
    _m(
        "b15eke-commit-error-taken-as-stored",
        "APP-PUT-5",
        "test_eke_put_commit.py",
        "a commit error other than EEXIST (the temporary gone) is logged and the put"
        " answered DONE with nothing stored",
        _commit_error_taken_as_stored,
    ),
    # lens 4
    _m(
        "b15eke-pending-cap-both-needed",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "busy only when the user name AND the address are at their pending caps",
        _pending_cap_both_needed,
    ),
    _m(
        "b15eke-success-resets-below-threshold-only",
        "EKE-THR-4",
        "test_eke_lock_reach.py",
        "a success forgives the user's count only while it is below the threshold",
        _success_resets_below_threshold_only,
    ),
    _m(
        "b15eke-waits-or-chain",
        "EKE-THR-1",
        "test_eke_lock_reach.py",
        "the wait is user_wait or address_wait: a user whose lock ran out (a negative"
        " wait) hides its address's running lock",
        _waits_or_chain,
    ),
    # lens 5
    _m(
        "b15eke-throttle-check-after-modexp",
        "EKE-THR-1",
        "test_eke_throttled_cost.py",
        "D_pw(A), g^y and X^y computed before the throttle decision: a throttled EKE1"
        " costs the exponentiations",
        _throttle_check_after_modexp,
    ),
    _m(
        "b15eke-busy-after-modexp",
        "EKE-THR-7",
        "test_eke_throttled_cost.py",
        "the pending cap is checked after the exponentiations: a busy EKE1 costs them",
        _busy_after_modexp,
    ),
    _m(
        "b15eke-throttle-rechecked-per-request",
        "APP-2",
        "test_eke_lock_reach.py",
        "every request re-checks the throttle: a session whose user or address got"
        " locked meanwhile is cut with EROR throttled",
        _throttle_rechecked_per_request,
    ),
    # lens 6
    _m(
        "b15eke-success-forgives-concurrent-pending",
        "EKE-THR-5",
        "test_eke_lock_reach.py",
        "a success starts a new epoch of its user name: failures of handshakes begun"
        " before it are not counted against the name",
        _success_forgives_concurrent_pending,
    ),
    _m(
        "b15eke-temp-per-connection-counter",
        "APP-PUT-5",
        "test_eke_put_commit.py",
        "the put's temporary is .sft-partial-<n>, n per connection, opened O_TRUNC"
        " without O_EXCL: two connections' puts share one file",
        _temp_per_connection_counter,
    ),
    _m(
        "b15eke-commit-exists-then-rename",
        "APP-PUT-8",
        "test_eke_put_commit.py",
        "the commit checks the final name is free, fsyncs, then renames over it: two"
        " puts of one name verified at once are both answered DONE",
        _commit_exists_then_rename,
    ),
)
