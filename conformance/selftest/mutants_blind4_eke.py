"""Blind red-team round 4 (brief B10): sft-eke/1 server and client, written from the SPEC.

Phase 1 (blind: written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke modules
only, before opening any case file, other family or independent implementation). Kinds
aimed at: (a) state in the wrong place, (b) numbers and types, (c) time, (d) error and
cleanup paths, (e) order of operations.

Server (profile eke):
- b4eke-ns-class-attribute -> EKE-HS-10 (a): Ns drawn once, kept on the class, reused
  by every handshake.
- b4eke-y-cached-at-start -> EKE-HS-10 (a): the server's ephemeral y drawn once at
  start-up (only the sign bit of B stays random).
- b4eke-addr-count-keyed-by-user -> EKE-THR-1 (a): the address table keyed on
  (user, address): one address guessing many user names is never throttled.
- b4eke-admission-keyed-by-port -> LIM-8 (a): the per-address cap of pending
  connections keyed on (address, port): every connection is its own "address".
- b4eke-throttle-clock-frozen -> EKE-THR-6 (a/c): retry_after() uses a `now` taken once
  at start-up: retry_after grows with the server's age and a lock never runs out.
- b4eke-retry-after-float -> ERR-7 (b): `max(1.0, ceil(wait))`: retry_after goes out
  as the JSON number 1.0.
- b4eke-hex-uppercase -> FRM-12 (b): handshake hex members accepted in upper case.
- b4eke-put-limit-inclusive -> APP-PUT-7 (b): `size >= max_file_size` is too_large: a
  put of exactly the maximum size is refused.
- b4eke-int-accepts-float -> FRM-11 (b): integer members accept 10.0 (== int(10.0)).
- b4eke-retry-after-ms -> EKE-THR-6 (c): retry_after sent in milliseconds.
- b4eke-hs-deadline-extended -> LIM-9 (c): every byte of the handshake restarts the
  handshake deadline: a trickle never times out.
- b4eke-hs-deadline-from-first-byte -> LIM-1 (c): the handshake timer starts at the
  first byte; a connection that sends nothing is never closed.
- b4eke-no-idle-timeout-in-put -> LIM-2 (c): the idle timeout is switched off while a
  put is received ("large uploads must not time out").
- b4eke-timeout-not-counted -> EKE-THR-5 (c/d): a pending handshake that times out
  is not counted as a failure.
- b4eke-pending-leak-on-timeout -> EKE-THR-7 (d): the pending slot is released only on
  protocol errors: handshakes that time out (or reset) leak it, the user stays busy.
- b4eke-racing-put-replaces -> APP-PUT-8 (d): the rename that finds the name taken
  falls back to os.replace: the later of two racing puts replaces the first.
- b4eke-get-refusal-as-not-found -> APP-NAME-2 (d): a refused get name is answered
  not_found ("reveal nothing") instead of forbidden.
- b4eke-integrity-failure-commits -> APP-PUT-5 (d/e): the cleanup commits a put whose
  bytes all arrived even though DONE's SHA-256 did not match.
- b4eke-unknown-users-not-counted -> EKE-THR-1 (e): failures counted only for names of
  the store (the user table is consulted before counting).
- b4eke-eke3-ns-prefix -> EKE-HS-6 (e): only the first 16 bytes of Ns are compared.
- b4eke-user-nfkc -> EKE-PW-4 (e): the name is checked as sent, then NFKC-normalised
  for the lookup.

Client (client=True):
- b4eke-client-hex-uppercase -> FRM-12 (b): EKE2/EKE4 hex accepted in upper case.
- b4eke-client-eke4-na-length -> EKE-HS-7 (e): C4 authenticated, but only the length
  of its plaintext checked, not that it is our Na.
- b4eke-client-commits-bad-get -> APP-GET-3 (d): a get whose bytes all arrived is
  kept when DONE's check fails (the error path commits).
- b4eke-client-put-exists-ok -> APP-PUT-10 (d): `exists` caught and reported as
  success ("it is already there").
- b4eke-client-accept-truthy -> APP-PUT-9 (b): `"accept": 1` taken as true (== True).
- b4eke-client-int-accepts-bool -> FRM-11 (b): `"size": true` taken as 1
  (isinstance(True, int)).
- b4eke-client-writes-final-name -> APP-STORE-5 (e): a get written straight under its
  final name (removed on a handled failure, left behind by SIGKILL).
- b4eke-client-unknown-code-refusal -> ERR-4 (b): an EROR of unknown code taken as a
  non-fatal refusal (not_found).
- b4eke-client-rsfl-sha-ignored -> APP-GET-3 (e): RSFL.sha256 never compared.
- b4eke-client-c2-unverified -> EKE-HS-4 (e): a C2 that fails to open is replaced by a
  zero Ns and the client goes on with EKE3.

Phase 2 (the suite as it was): 26 of 31 detected (84 %). Survivors:
b4eke-hs-deadline-extended (LIM-1 after retargeting; first guessed LIM-9 in
test_lockout.py), b4eke-timeout-not-counted (EKE-THR-5), b4eke-pending-leak-on-timeout
(EKE-THR-7), b4eke-client-hex-uppercase (FRM-12), b4eke-client-unknown-code-refusal (ERR-4).

Phase 3: the first four are detected now (test_eke_handshake_stalls.py: a trickled EKE1;
test_eke_throttling.py: pending handshakes that time out; test_eke_client.py: an EKE2 in
upper-case hex). b4eke-client-unknown-code-refusal was DROPPED: with the one-request
clients of the CLI, an unknown code taken as a non-fatal refusal still fails the get,
keeps nothing and closes at once; the only difference is a `BYE_` on the way out, which
test_client_fatal_errors.py rightly allows (the spec does not forbid it): not observable.

Added in phase 3 (the brief's ERR-5 gap and a second blind batch, same method):
- b4eke-eror-echoes-data -> ERR-5: a refused DATA record quoted in the EROR (detected by
  the existing test_error_disclosure.py case, which covers eke already).
- b4eke-handshake-eror-echoes-frame -> ERR-5: a frame refused before the record phase
  quoted in the clear EROR (survived; new case in test_error_disclosure.py).
- b4eke-user-64-bytes-refused -> EKE-HS-3 (b): a valid 64-byte unknown name refused
  (survived; new case in test_eke_handshake.py).
- b4eke-throttled-attempt-counted -> EKE-THR-5 (d): an EKE1 refused `throttled` counted
  as a failure, re-locking (survived under EKE-THR-5; new case in test_eke_throttling.py).
- b4eke-put-size-u32-wrap -> APP-PUT-7 (b): the size compared with the limit in 32 bits
  (survived; new case in test_app_put.py, both profiles).
- b4eke-user-address-one-namespace -> EKE-THR-2 (a): one failure table keyed by a bare
  string (survived; new case in test_eke_throttling.py).
- b4eke-client-sweeps-live-partials -> APP-STORE-3 (d): the client's start-up sweep
  removes every partial of its output directory (detected as it was).
- b4eke-bad-record-clear-eror (EKE-REC-4), b4eke-record-trailing-bytes-ignored
  (EKE-REC-1), b4eke-bye-waits-for-the-client (APP-BYE-1), b4eke-eror-name-hyphenated
  (ERR-1): detected as they were.
- Tried and left out: two exponentiations before the throttle is consulted (EKE-THR-1)
  survives test_eke_throttling.py's one-sample "3x slower than EKE2" check; only a
  statistical timing case could see it, at a false-FAIL risk for foreign servers whose
  throttled path is itself slow (a database read): not planted.
- b4eke-lock-from-first-failure, b4eke-backoff-off-by-one (EKE-THR-6),
  b4eke-put-exists-casefold (APP-NAME-3), b4eke-get-limit-inclusive (APP-GET-2),
  b4eke-client-output-created-early (APP-GET-6): detected as they were.
"""

from __future__ import annotations

import os
import time
import unicodedata
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "eke"


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _server() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _frames() -> Any:
    return _module("reference.frames")


# -- server -------------------------------------------------------------------------------


def _ns_class_attribute() -> None:
    hs = _handshake()
    hs.ServerHandshake._NS = hs.crypto.new_nonce()
    _patch_source(
        hs.ServerHandshake,
        "accept",
        (
            "crypto.new_ephemeral(), None, crypto.new_nonce()",
            "crypto.new_ephemeral(), None, ServerHandshake._NS",
        ),
    )


def _y_cached_at_start() -> None:
    hs = _handshake()
    hs._SERVER_EPHEMERAL = hs.crypto.new_ephemeral()
    _patch_source(
        hs.ServerHandshake,
        "accept",
        (
            "crypto.new_ephemeral(), None, crypto.new_nonce()",
            "_SERVER_EPHEMERAL, None, crypto.new_nonce()",
        ),
    )


def _addr_count_keyed_by_user() -> None:
    t = _throttle().Throttle
    _patch_source(
        t,
        "retry_after",
        ('self._wait(("addr", address), now)', 'self._wait(("addr", user + "|" + address), now)'),
    )
    _patch_source(
        t,
        "failed",
        ('(("user", user), ("addr", address))', '(("user", user), ("addr", user + "|" + address))'),
    )


def _admission_keyed_by_port() -> None:
    _patch_source(
        _server().EkeServer,
        "_admit",
        (
            "self._admission.admit(conn_id, addr[0])",
            'self._admission.admit(conn_id, f"{addr[0]}:{addr[1]}")',
        ),
    )


def _throttle_clock_frozen() -> None:
    _throttle()._STARTED = time.time()
    _patch_source(_throttle().Throttle, "retry_after", ("now = self._clock()", "now = _STARTED"))


def _retry_after_float() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        ("max(1, math.ceil(retry_after))", "max(1.0, math.ceil(retry_after))"),
    )


def _hex_uppercase() -> None:
    frames = _frames()
    frames._HEX_RE = frames.re.compile(r"[0-9a-fA-F]*")


def _put_limit_inclusive() -> None:
    _patch_source(
        _server().EkeServer,
        "_begin_put",
        ("request.size > self.config.max_file_size", "request.size >= self.config.max_file_size"),
    )


def _int_accepts_float() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return isinstance(value, int | float) and not isinstance(value, bool) "
            "and value == int(value) and 0 <= value <= MAX_INT",
        ),
    )


def _retry_after_ms() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        ("max(1, math.ceil(retry_after))", "max(1, math.ceil(retry_after * 1000))"),
    )


def _hs_deadline_extended() -> None:
    _patch_source(
        _server(),
        "run_handshake",
        (
            "_flush(sock, hs)\n    while True:",
            "_flush(sock, hs)\n    budget = deadline - time.monotonic()\n    while True:",
        ),
        (
            "hs.receive_data(data)\n",
            "hs.receive_data(data)\n            deadline = time.monotonic() + budget\n",
        ),
    )


def _hs_deadline_from_first_byte() -> None:
    _patch_source(
        _server(),
        "run_handshake",
        (
            "_flush(sock, hs)\n    while True:",
            "_flush(sock, hs)\n    budget = deadline - time.monotonic()\n    first = True\n"
            "    while True:",
        ),
        ("sock.settimeout(remaining)", "sock.settimeout(None if first else remaining)"),
        (
            "hs.receive_data(data)\n",
            "hs.receive_data(data)\n            if first:\n                first = False\n"
            "                deadline = time.monotonic() + budget\n",
        ),
    )


def _no_idle_timeout_in_put() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "self._receiving.add(conn_id)\n",
            "self._receiving.add(conn_id)\n                        sock.settimeout(None)\n",
        ),
        (
            "current, partial = partial, None\n",
            "current, partial = partial, None\n"
            "                sock.settimeout(self.config.idle_timeout)\n",
        ),
    )


def _timeout_not_counted() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)\n",
            "if not isinstance(exc, HandshakeTimeout):\n"
            "                    self.throttle.failed(attempted[0], address)\n",
        ),
    )


def _pending_leak_on_timeout() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.end(attempted[0], address)\n",
            "if isinstance(exc, ProtocolError):\n"
            "                    self.throttle.end(attempted[0], address)\n",
        ),
    )


def _racing_put_replaces() -> None:
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "commit",
        (
            "except FileExistsError:\n        self.abort()\n",
            "except FileExistsError:\n"
            "        os.replace(self.temp_name, self.final_name, src_dir_fd=self._dir_fd, "
            "dst_dir_fd=self._dir_fd)\n"
            "        self._done = True\n"
            "        self._release_dir()\n"
            "        return\n",
        ),
    )


def _get_refusal_as_not_found() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        (
            "stream.send(ErrorFrame(exc.code, exc.message))",
            'stream.send(ErrorFrame(ErrorCode.NOT_FOUND, "no such file"))',
        ),
    )


def _integrity_failure_commits() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "partial.abort()  # [APP-STORE-3]\n",
            "partial.commit() if partial.written == partial.limit else partial.abort()\n",
        ),
    )


def _unknown_users_not_counted() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)\n",
            "if any(r.name == attempted[0] for r in self.store.users()):\n"
            "                    self.throttle.failed(attempted[0], address)\n",
        ),
    )


def _eke3_ns_prefix() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)",
            "hmac.compare_digest(plain[crypto.NONCE_LEN : crypto.NONCE_LEN + 16], self._ns[:16])",
        ),
    )


def _user_nfkc() -> None:
    store = _module("reference.eke.store")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        return bytes(original(self, unicodedata.normalize("NFKC", name)))

    store.PasswordStore.key_for = key_for


def _eror_echoes_data() -> None:
    transport = _module("reference.eke.transport")
    errors = _module("reference.errors")
    original = transport.SecureStream.next_event

    def next_event(self: Any) -> Any:
        try:
            return original(self)
        except errors.RemoteProtocolError as exc:
            payload = self._payload
            if payload is None or exc.code is errors.ErrorCode.AUTH_FAILED:
                raise
            # "say what we got": the refused DATA frame's first bytes, for debugging
            shown = bytes(payload[:64])
            raise errors.RemoteProtocolError(exc.code, f"{exc.message}: {shown!r}") from None

    transport.SecureStream.next_event = next_event


def _handshake_eror_echoes_frame() -> None:
    hs = _handshake()
    original = hs._Handshake._read_frame

    def _read_frame(self: Any) -> Any:
        buf = self._inbox
        if len(buf) >= hs.HEADER_SIZE:
            frame_type, length = hs.parse_header(buf[: hs.HEADER_SIZE], hs.MAX_CONTROL_PAYLOAD)
            if (self.state, frame_type) not in hs._TRANSITIONS:
                # whole frames first, then dispatch: the refusal quotes what it refused
                if len(buf) < hs.HEADER_SIZE + length:
                    return self._need_more()
                payload = bytes(buf[hs.HEADER_SIZE : hs.HEADER_SIZE + length])
                raise hs.RemoteProtocolError(
                    hs.ErrorCode.UNEXPECTED_FRAME,
                    f"unexpected {frame_type.decode()} in {self.state.name}: {payload[:64]!r}",
                )
        return original(self)

    hs._Handshake._read_frame = _read_frame


def _user_64_bytes_refused() -> None:
    hs = _handshake()

    def check_user_strict(user: str) -> bytes:
        raw = hs.crypto.check_user_name(user)
        if len(raw) >= hs.crypto.MAX_USER_BYTES:  # "at most 64": < instead of <=
            raise ValueError("user name too long")
        return bytes(raw)

    hs._check_user_strict = check_user_strict
    _patch_source(
        hs.ServerHandshake,
        "_on_eke1",
        ("crypto.check_user_name(user)", "_check_user_strict(user)"),
    )


def _lock_from_first_failure() -> None:
    _patch_source(_throttle().Throttle, "failed", ("entry.last = now\n", "pass\n"))


def _backoff_off_by_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("entry.failures - cfg.failures, 64", "entry.failures - cfg.failures + 1, 64"),
    )


def _throttled_attempt_counted() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_throttled(wait)\n",
            "self.throttle.failed(event.user, address)\n"
            "                hs.refuse_throttled(wait)\n",
        ),
    )


def _put_exists_casefold() -> None:
    share = _module("reference.share")

    def casefold_stat(base: str, dir_fd: int) -> None:
        if not any(entry.casefold() == base.casefold() for entry in os.listdir(dir_fd)):
            raise FileNotFoundError(base)

    share._casefold_stat = casefold_stat
    _patch_source(
        share.Inbox,
        "target_name",
        ("os.stat(base, dir_fd=self._fd, follow_symlinks=False)", "_casefold_stat(base, self._fd)"),
    )


def _get_limit_inclusive() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        ("shared.size > self.config.max_file_size", "shared.size >= self.config.max_file_size"),
    )


def _put_size_u32_wrap() -> None:
    _patch_source(
        _server().EkeServer,
        "_begin_put",
        (
            "request.size > self.config.max_file_size",
            "request.size & 0xFFFFFFFF > self.config.max_file_size",
        ),
    )


def _user_address_one_namespace() -> None:
    t = _throttle().Throttle
    _patch_source(
        t,
        "retry_after",
        ('self._wait(("addr", address), now)', 'self._wait(("user", address), now)'),
    )
    _patch_source(t, "failed", ('("addr", address)', '("user", address)'))


def _bad_record_clear_eror() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "return  # [EKE-REC-4]: close, deliver nothing, send nothing",
            'sock.sendall(encode_error(ErrorCode.AUTH_FAILED, "bad record"))\n'
            "                return",
        ),
    )


def _record_trailing_bytes_ignored() -> None:
    _patch_source(
        _module("reference.eke.records"),
        "_split_inner",
        ("if length != len(inner) - HEADER_SIZE:", "if length > len(inner) - HEADER_SIZE:"),
        (
            "return InnerFrame(frame_type, inner[HEADER_SIZE:])",
            "return InnerFrame(frame_type, inner[HEADER_SIZE : HEADER_SIZE + length])",
        ),
    )


def _bye_waits_for_the_client() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_records",
        (
            "close_gracefully(sock, self.config.close_linger)",
            "close_gracefully(sock, self.config.idle_timeout)  # let the client hang up first",
        ),
    )
    _patch_source(
        _server(),
        "close_gracefully",
        ("sock.shutdown(socket.SHUT_WR)\n", "pass  # our FIN only once the peer's came\n"),
    )


def _eror_name_hyphenated() -> None:
    errors = _module("reference.errors")
    errors.ErrorCode.wire_name = property(lambda self: self.name.lower().replace("_", "-"))


# -- client -------------------------------------------------------------------------------


def _client_eke4_na_length() -> None:
    _patch_source(
        _handshake().ClientHandshake,
        "_on_eke4",
        ("if not hmac.compare_digest(na, self._na):", "if len(na) != len(self._na):"),
    )


def _client_commits_bad_get() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "_receive",
        (
            "event = self._next(stream)\n",
            "try:\n"
            "                event = self._next(stream)\n"
            "            except TransferFailed as exc:\n"
            "                if exc.code is ErrorCode.INTEGRITY_FAILED and received:\n"
            "                    partial.commit(overwrite=overwrite)\n"
            "                raise\n",
        ),
    )


def _client_put_exists_ok() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_put",
        (
            "except ClientError as exc:\n",
            "except ClientError as exc:\n"
            '        if isinstance(exc, TransferRefused) and "exists" in str(exc):\n'
            "            bar.finish()\n"
            "            return 0\n",
        ),
    )


def _client_accept_truthy() -> None:
    _patch_source(_frames(), "_has_kind", ("return value is True", "return value == True"))


def _client_int_accepts_bool() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        ("return type(value) is int and", "return isinstance(value, int) and"),
    )


def _client_writes_final_name() -> None:
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            "self.temp_name = final_name",
        ),
        ("os.O_WRONLY | os.O_CREAT | os.O_EXCL", "os.O_WRONLY | os.O_CREAT | os.O_TRUNC"),
    )
    _patch_source(
        share.PartialFile,
        "commit",
        (
            "os.fsync(self._file.fileno())\n",
            "os.fsync(self._file.fileno())\n"
            "    if self.temp_name == self.final_name:\n"
            "        self._file.close()\n"
            "        self._file = None\n"
            "        self._done = True\n"
            "        self._release_dir()\n"
            "        return\n",
        ),
    )


def _client_rsfl_sha_ignored() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "self._incoming = _Transfer(message.size, message.sha256, self._digest_factory)\n"
            "    elif isinstance(message, PutAccepted)",
            "self._incoming = _Transfer(message.size, None, self._digest_factory)\n"
            "    elif isinstance(message, PutAccepted)",
        ),
    )


def _client_c2_unverified() -> None:
    hs = _handshake()
    crypto = hs.crypto

    def open_or_zero(key: bytes, step: int, sealed: bytes, th: bytes) -> bytes:
        try:
            return bytes(crypto.open_confirm(key, step, sealed, th))
        except hs.AuthenticationFailed:
            return bytes(crypto.NONCE_LEN)

    hs._open_or_zero = open_or_zero
    _patch_source(
        hs.ClientHandshake,
        "_on_eke2",
        (
            'ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)',
            'ns = _open_or_zero(keys.kcs, 2, _hex(obj, "c"), self._th)',
        ),
    )


def _client_output_created_early() -> None:
    client = _module("reference.eke.client").EkeClient
    _patch_source(
        client,
        "get",
        (
            "stream.send(FileRequest(name))\n",
            "destination.touch(exist_ok=overwrite)  # reserve the name\n"
            "        stream.send(FileRequest(name))\n",
        ),
    )
    _patch_source(
        client,
        "_receive",
        ("partial.commit(overwrite=overwrite)", "partial.commit(overwrite=True)"),
    )


def _client_sweeps_live_partials() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_get",
        ("older_than=_STALE)", "older_than=None)  # every partial here is a dead run's"),
    )


def _server_mutant(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b4eke-{name}",
        group=_GROUP,
        profile="eke",
        requirement=req,
        test_file=test_file,
        description=description,
        apply=apply,
    )


def _client_mutant(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b4eke-client-{name}",
        group=_GROUP,
        profile="eke",
        requirement=req,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


_S = _server_mutant
_C = _client_mutant

MUTANTS: tuple[Mutant, ...] = (
    _S(
        "ns-class-attribute",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server's Ns is drawn once and reused by every handshake",
        _ns_class_attribute,
    ),
    _S(
        "y-cached-at-start",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server's ephemeral y is drawn once at start-up",
        _y_cached_at_start,
    ),
    _S(
        "addr-count-keyed-by-user",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failures of an address counted per (user, address)",
        _addr_count_keyed_by_user,
    ),
    _S(
        "admission-keyed-by-port",
        "LIM-8",
        "test_lockout.py",
        "pending connections counted per (address, port)",
        _admission_keyed_by_port,
    ),
    _S(
        "throttle-clock-frozen",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "retry_after computed against the start-up time",
        _throttle_clock_frozen,
    ),
    _S(
        "retry-after-float",
        "ERR-7",
        "test_eke_throttling.py",
        "retry_after sent as 1.0",
        _retry_after_float,
    ),
    _S(
        "hex-uppercase",
        "FRM-12",
        "test_eke_handshake.py",
        "upper-case hex accepted in EKE1",
        _hex_uppercase,
    ),
    _S(
        "put-limit-inclusive",
        "APP-PUT-7",
        "test_app_put.py",
        "a put of exactly the maximum size is refused too_large",
        _put_limit_inclusive,
    ),
    _S(
        "int-accepts-float",
        "FRM-11",
        "test_framing.py",
        "integer members accept integral floats (10.0)",
        _int_accepts_float,
    ),
    _S(
        "retry-after-ms",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "retry_after sent in milliseconds",
        _retry_after_ms,
    ),
    _S(
        "hs-deadline-extended",
        "LIM-1",
        "test_eke_handshake_stalls.py",
        "every handshake byte restarts the handshake deadline",
        _hs_deadline_extended,
    ),
    _S(
        "hs-deadline-from-first-byte",
        "LIM-1",
        "test_limits.py",
        "the handshake timer starts at the first byte received",
        _hs_deadline_from_first_byte,
    ),
    _S(
        "no-idle-timeout-in-put",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is received",
        _no_idle_timeout_in_put,
    ),
    _S(
        "timeout-not-counted",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a pending handshake that times out is not counted as a failure",
        _timeout_not_counted,
    ),
    _S(
        "pending-leak-on-timeout",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "the pending slot leaks when a handshake times out or resets",
        _pending_leak_on_timeout,
    ),
    _S(
        "racing-put-replaces",
        "APP-PUT-8",
        "test_app_put.py",
        "a put whose name was taken meanwhile replaces the stored file",
        _racing_put_replaces,
    ),
    _S(
        "get-refusal-as-not-found",
        "APP-NAME-2",
        "test_app_names.py",
        "a refused get name is answered not_found",
        _get_refusal_as_not_found,
    ),
    _S(
        "integrity-failure-commits",
        "APP-PUT-5",
        "test_app_put.py",
        "a put whose bytes all arrived is stored despite a SHA-256 mismatch",
        _integrity_failure_commits,
    ),
    _S(
        "unknown-users-not-counted",
        "EKE-THR-1",
        "test_eke_throttling.py",
        "failed handshakes of unknown user names are not counted",
        _unknown_users_not_counted,
    ),
    _S(
        "eke3-ns-prefix",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "only the first 16 bytes of Ns are compared at EKE3",
        _eke3_ns_prefix,
    ),
    _S(
        "user-nfkc",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "the user name is NFKC-normalised for the lookup",
        _user_nfkc,
    ),
    _S(
        "eror-echoes-data",
        "ERR-5",
        "test_error_disclosure.py",
        "a refused DATA frame's first 64 bytes are quoted in the EROR message",
        _eror_echoes_data,
    ),
    _S(
        "handshake-eror-echoes-frame",
        "ERR-5",
        "test_error_disclosure.py",
        "a frame refused before the record phase is quoted in the (clear) EROR message",
        _handshake_eror_echoes_frame,
    ),
    _S(
        "user-64-bytes-refused",
        "EKE-HS-3",
        "test_eke_handshake.py",
        "a valid unknown user name of exactly 64 bytes refused bad_frame",
        _user_64_bytes_refused,
    ),
    _S(
        "lock-from-first-failure",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the lock runs from the first failure, not the latest",
        _lock_from_first_failure,
    ),
    _S(
        "backoff-off-by-one",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the lock after the N-th failure is 2 * base",
        _backoff_off_by_one,
    ),
    _S(
        "throttled-attempt-counted",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "an EKE1 refused throttled counts as one more failure",
        _throttled_attempt_counted,
    ),
    _S(
        "put-exists-casefold",
        "APP-NAME-3",
        "test_app_put.py",
        "a put whose name matches a stored one but for case is refused exists",
        _put_exists_casefold,
    ),
    _S(
        "get-limit-inclusive",
        "APP-GET-2",
        "test_app_get.py",
        "a get of a file of exactly the maximum size is refused too_large",
        _get_limit_inclusive,
    ),
    _S(
        "put-size-u32-wrap",
        "APP-PUT-7",
        "test_app_put.py",
        "the put's size compared with the limit as a u32 (2^32 wraps to 0)",
        _put_size_u32_wrap,
    ),
    _S(
        "user-address-one-namespace",
        "EKE-THR-2",
        "test_eke_throttling.py",
        "user names and addresses counted in one table: a user named 127.0.0.9 is that address",
        _user_address_one_namespace,
    ),
    _S(
        "bad-record-clear-eror",
        "EKE-REC-4",
        "test_eke_records.py",
        "a record that fails to authenticate answered with a clear EROR auth_failed",
        _bad_record_clear_eror,
    ),
    _S(
        "record-trailing-bytes-ignored",
        "EKE-REC-1",
        "test_eke_records.py",
        "bytes after the inner frame of a record are ignored",
        _record_trailing_bytes_ignored,
    ),
    _S(
        "bye-waits-for-the-client",
        "APP-BYE-1",
        "test_app_get.py",
        "after its BYE_ echo the server waits for the client to close first",
        _bye_waits_for_the_client,
    ),
    _S(
        "eror-name-hyphenated",
        "ERR-1",
        "test_framing.py",
        "EROR names spelled frame-too-large, not frame_too_large",
        _eror_name_hyphenated,
    ),
    _C(
        "hex-uppercase",
        "FRM-12",
        "test_eke_client.py",
        "the client accepts upper-case hex in EKE2/EKE4",
        _hex_uppercase,
    ),
    _C(
        "eke4-na-length",
        "EKE-HS-7",
        "test_eke_client.py",
        "the client checks only the length of C4's plaintext",
        _client_eke4_na_length,
    ),
    _C(
        "commits-bad-get",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "the client keeps a get whose DONE check failed",
        _client_commits_bad_get,
    ),
    _C(
        "put-exists-ok",
        "APP-PUT-10",
        "test_client_put.py",
        "the client reports a put refused `exists` as success",
        _client_put_exists_ok,
    ),
    _C(
        "accept-truthy",
        "APP-PUT-9",
        "test_client_put.py",
        'the client takes "accept": 1 as an acceptance',
        _client_accept_truthy,
    ),
    _C(
        "int-accepts-bool",
        "FRM-11",
        "test_eke_client_transfer.py",
        'the client takes "size": true as 1',
        _client_int_accepts_bool,
    ),
    _C(
        "writes-final-name",
        "APP-STORE-5",
        "test_eke_client_transfer.py",
        "the client writes a get straight under its final name",
        _client_writes_final_name,
    ),
    _C(
        "rsfl-sha-ignored",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "the client never compares RSFL.sha256",
        _client_rsfl_sha_ignored,
    ),
    _C(
        "output-created-early",
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "the client creates the output file before its RQFL (left there on a refusal)",
        _client_output_created_early,
    ),
    _C(
        "sweeps-live-partials",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "the client's start-up sweep removes every .sft-partial-* of its output directory",
        _client_sweeps_live_partials,
    ),
    _C(
        "c2-unverified",
        "EKE-HS-4",
        "test_eke_client.py",
        "the client goes on with EKE3 after a C2 that does not open",
        _client_c2_unverified,
    ),
)
