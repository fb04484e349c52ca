"""Blind round 2 (brief B1): bugs an implementer of the sft-eke/1 SERVER could plausibly
write, planted in the reference WITHOUT looking at the conformance cases first.

The blind list (name -> requirement -> the mistake), written before measuring:

Throttling core (reference/eke/throttle.py)
- b2eke-thr-addr-not-counted        EKE-THR-1  failed() counts the user name only, not the address
- b2eke-thr-threshold-off-by-one    EKE-THR-1  throttled after N+1 failures (`<=` for `<`)
- b2eke-thr-min-of-waits            EKE-THR-1  retry_after takes the SMALLER of the user and
                                               address waits: throttled only when both are
- b2eke-thr-unknown-not-counted     EKE-THR-1  failures of names with no account are not counted
- b2eke-thr-success-resets-address  EKE-THR-6  a success also wipes the address's failures
- b2eke-thr-success-keeps-user      EKE-THR-4  a success does not reset the user's count
- b2eke-thr-counted-at-eke2         EKE-THR-5  the failure is counted when EKE2 goes out and
                                               taken back on success: pending counts
- b2eke-thr-retry-after-floored     EKE-THR-6  retry_after = int(time left): 0 s in the last second
- b2eke-thr-backoff-flat            EKE-THR-6  every lock lasts `base`: no doubling
- b2eke-thr-backoff-exponent-plus-one EKE-THR-6 first lock 2·base (2^(n−N+1))
- b2eke-thr-throttled-attempt-counted EKE-THR-6 an EKE1 refused `throttled` counts as a failure
- b2eke-thr-busy-counted            EKE-THR-7  an EKE1 refused `busy` counts as a failure
- b2eke-thr-pending-cap-off-by-one  EKE-THR-7  P+1 pending logins allowed (`>` for `>=`)
- b2eke-thr-busy-no-retry-after     EKE-THR-7  `busy` sent without retry_after
- b2eke-thr-lock-expires            EKE-THR-11 the hard lock is an ordinary capped backoff
- b2eke-thr-lock-inf-crash          EKE-THR-11 a hard lock waits math.inf: ceil(inf) raises,
                                               the connection closes without EROR throttled
- b2eke-thr-ipv4-per-24             EKE-THR-2  IPv4 addresses counted per /24: a neighbour's
                                               failures lock an honest client out
Command line (reference/cli/eke.py)
- b2eke-cli-base-from-cap           EKE-THR-6  --throttle-base wired from --throttle-cap
- b2eke-cli-lock-after-ignored      EKE-THR-11 --lock-after never reaches the throttle (100)
Handshake and group (reference/eke/handshake.py, crypto.py, server.py)
- b2eke-x-invalid-rejected-at-eke1  EKE-X-3    an invalid X' ends the handshake at EKE1
- b2eke-x-reduced-mod-p             EKE-X-3    X' >= p is reduced mod p instead of refused
- b2eke-x-sign-from-parity          EKE-X-2    the ± "bit" is Y's parity: X' is always even
- b2eke-hs-ephemeral-cached         EKE-HS-10  the server's y (and g^y) computed once, reused
- b2eke-hs-ns-static                EKE-HS-10  the server's Ns drawn once at start
- b2eke-hs-ns-mismatch-bad-frame    EKE-HS-8   a C3 that opens but ends with the wrong Ns is
                                               answered bad_frame, not auth_failed
- b2eke-hs-unknown-user-silent      EKE-HS-8   an unknown user's bad EKE3 is closed without EROR
- b2eke-hs-eke1-restarts            EKE-HS-9   a second EKE1 while awaiting EKE3 restarts the
                                               handshake (a second guess on one connection)
- b2eke-hs-timeout-no-eror          EKE-HS-11  the handshake timeout closes without EROR timeout
- b2eke-hs-deadline-per-read        LIM-1      the handshake deadline restarts at every read:
                                               a trickling client is never timed out
Password store (reference/eke/store.py)
- b2eke-pw-lookup-nocase            EKE-PW-4   SELECT ... COLLATE NOCASE: ALICE logs in as alice
- b2eke-pw-lookup-strip             EKE-PW-4   the name is strip()ped for the lookup only
Records (reference/eke/records.py, crypto.py)
- b2eke-rec-plaintext-skipped       EKE-REC-5  a plaintext frame after EKE4 is skipped, not fatal
- b2eke-rec-resync-window           EKE-REC-4  a record that fails is retried at seq+1, seq+2
                                               ("lost records"): a dropped record goes unseen
- b2eke-rec-limit-on-plaintext      EKE-REC-6  the record limit is applied to the plaintext
                                               (limit + 16 accepted on the header)
- b2eke-rec-inner-trailing-ignored  EKE-REC-1  bytes after the record's inner frame are ignored
Admission and errors (reference/admission.py, server.py)
- b2eke-adm-slot-leak               LIM-4      a connection whose handshake fails keeps its slot
- b2eke-adm-established-still-pending LIM-9    established connections stay in the pending
                                               table: they count twice and can be evicted
- b2eke-err-throttled-lingers       ERR-3      after `throttled`/`busy` the server waits (10 s)
                                               for the client to close first (no FIN)

Added after the first measurement, while reading the cases (not blind):
- b2eke-hs-deadline-from-first-byte LIM-1      the handshake clock starts at the first bytes
- b2eke-thr-last-failure-not-updated EKE-THR-6 the lock runs from the first failure only
- b2eke-thr-local-address           EKE-THR-2  counted per getsockname(): one shared "address"
- b2eke-pw-lookup-nfkc              EKE-PW-4   the name is NFKC-folded for the lookup (width)
- b2eke-hs-auth-message-by-cause    EKE-HS-8   auth_failed's message names the failed check
- b2eke-hs-trailing-dropped         FRM-4      the first record, sent with EKE3, is dropped
- b2eke-hs-partial-frame-refused    FRM-4      a handshake frame split across reads: bad_frame
- b2eke-hs-fake-secret-zero         EKE-HS-3   server_secret left at 32 zero bytes
- b2eke-hs-fake-key-unkeyed         EKE-HS-3   the fake key is SHA-256(label || user)
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _patch_lines(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """`_patch_source` whose replacement lines after the first are indented like the line
    where the replaced text starts (write them without that indentation)."""
    func = inspect.getattr_static(owner, attr)
    raw = getattr(func, "__func__", func)
    source = textwrap.dedent(inspect.getsource(raw))
    fixed: list[tuple[str, str]] = []
    for old, new in edits:
        at = source.find(old)
        if at < 0:
            raise RuntimeError(f"mutant: {attr} no longer contains {old!r}")
        line_start = source.rfind("\n", 0, at) + 1
        indent = source[line_start:at]
        indent = indent[: len(indent) - len(indent.lstrip())]
        fixed.append((old, new.replace("\n", "\n" + indent)))
    _patch_source(owner, attr, *fixed)


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _server() -> Any:
    return _module("reference.eke.server")


# --- throttling core -------------------------------------------------------------------


def _addr_not_counted() -> None:
    _patch_source(
        _throttle().Throttle,
        "failed",
        ('for key in (("user", user), ("addr", address)):', 'for key in (("user", user),):'),
    )


def _threshold_off_by_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("entry.failures < cfg.failures:", "entry.failures <= cfg.failures:"),
    )


def _min_of_waits() -> None:
    _patch_source(_throttle().Throttle, "retry_after", ("wait = max(waits)", "wait = min(waits)"))


def _unknown_not_counted() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "(self.throttle.failed(attempted[0], address) "
            "if any(u.name == attempted[0] for u in self.store.users()) else None)",
        ),
    )


def _success_resets_address() -> None:
    _patch_lines(
        _throttle().Throttle,
        "succeeded",
        ("del address  # a shared address's other failures are not ours to forgive", "pass"),
        (
            'self._entries.pop(("user", user), None)',
            'self._entries.pop(("user", user), None)\n'
            'self._entries.pop(("addr", address_key(address)), None)',
        ),
    )


def _success_keeps_user() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        ('self._entries.pop(("user", user), None)', "pass"),
    )


def _counted_at_eke2() -> None:
    throttle = _throttle()
    _patch_lines(
        _server().EkeServer,
        "_handshake",
        (
            "attempted.append(event.user)",
            "attempted.append(event.user)\nself.throttle.failed(event.user, address)",
        ),
        ("self.throttle.failed(attempted[0], address)", "pass"),
    )

    def succeeded(self: Any, user: str, address: str) -> None:
        # Forgive what EKE2 counted: the user's count restarts, the address gets one back.
        key = ("addr", throttle.address_key(address))
        with self._lock:
            self._entries.pop(("user", user), None)
            entry = self._entries.get(key)
            if entry is not None:
                entry.failures = max(0, entry.failures - 1)
                self._entries[key] = entry

    throttle.Throttle.succeeded = succeeded


def _retry_after_floored() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        ("seconds = max(1, math.ceil(retry_after))", "seconds = int(retry_after)"),
    )


def _backoff_flat() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("min(cfg.cap, cfg.base * 2.0**extra)", "min(cfg.cap, cfg.base)"),
    )


def _backoff_exponent_plus_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        (
            "extra = min(entry.failures - cfg.failures, 64)",
            "extra = min(entry.failures - cfg.failures + 1, 64)",
        ),
    )


def _throttled_attempt_counted() -> None:
    _patch_lines(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_throttled(wait)",
            "self.throttle.failed(event.user, address)\nhs.refuse_throttled(wait)",
        ),
    )


def _busy_counted() -> None:
    _patch_lines(
        _server().EkeServer,
        "_handshake",
        (
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
            "self.throttle.failed(event.user, address)\n"
            "hs.refuse_busy(self.throttle.config.busy_retry_after)",
        ),
    )


def _pending_cap_off_by_one() -> None:
    _patch_source(
        _throttle().Throttle,
        "begin",
        ("self._pending.get(k, 0) >= cap", "self._pending.get(k, 0) > cap"),
    )


def _busy_no_retry_after() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_busy",
        (", max(1, retry_after)", ""),
    )


def _lock_expires() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("if self._hard_locked(key, entry):", "if False:  # mutant: a lock is a long backoff"),
    )


def _lock_inf_crash() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        ("return float(math.ceil(cfg.cap))", "return math.inf  # mutant: locked for good"),
    )


def _ipv4_per_24() -> None:
    _patch_source(
        _throttle(),
        "address_key",
        ("return str(ip)", "return str(ipaddress.IPv4Network((ip, 24), strict=False))"),
    )


# --- command line ------------------------------------------------------------------------


def _cli_base_from_cap() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_serve",
        ("base=args.throttle_base,", "base=args.throttle_cap,"),
    )


def _cli_lock_after_ignored() -> None:
    _patch_source(_module("reference.cli.eke"), "_serve", ("lock_after=args.lock_after,", ""))


# --- handshake and group -------------------------------------------------------------------


def _invalid_rejected_at_eke1() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "accept",
        ("self._doomed, x = True, crypto.G  # same exponentiation cost, result unused", "raise"),
    )


def _reduced_mod_p() -> None:
    _patch_source(
        _module("reference.eke.crypto"),
        "pm_decode",
        ('value = int.from_bytes(encoded, "big")', 'value = int.from_bytes(encoded, "big") % P'),
    )


def _sign_from_parity() -> None:
    _patch_source(
        _module("reference.eke.crypto"),
        "hide_element",
        ("sign_bit=secrets.randbits(1)", "sign_bit=element & 1"),
    )


def _ephemeral_cached() -> None:
    crypto = _module("reference.eke.crypto")
    crypto.new_ephemeral = functools.lru_cache(maxsize=1)(crypto.new_ephemeral)


def _ns_static() -> None:
    crypto = _module("reference.eke.crypto")
    ns = crypto.new_nonce()
    crypto.new_nonce = lambda: ns


def _ns_mismatch_bad_frame() -> None:
    _patch_lines(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "if not ok or self._doomed",
            "if not ok and not self._doomed:\n"
            '    raise RemoteProtocolError(ErrorCode.BAD_FRAME, "EKE3: nonce mismatch")\n'
            "if self._doomed",
        ),
    )


def _unknown_user_silent() -> None:
    _patch_lines(
        _server().EkeServer,
        "_handshake",
        (
            "hs.accept(self.store.key_for(event.user))",
            "hs._unknown = event.user not in {u.name for u in self.store.users()}\n"
            "hs.accept(self.store.key_for(event.user))",
        ),
    )
    _patch_lines(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "plain = crypto.open_confirm(",
            "if getattr(self, '_unknown', False):  # no account: just hang up\n"
            "    self._failure = AuthenticationFailed()\n"
            "    self.state = HandshakeState.CLOSED\n"
            "    raise AuthenticationFailed()\n"
            "plain = crypto.open_confirm(",
        ),
    )


def _eke1_restarts() -> None:
    hs = _handshake()
    states = hs.HandshakeState
    hs._TRANSITIONS[(states.SERVER_AWAIT_EKE3, hs.T_EKE1)] = ("_on_eke1", states.SERVER_AWAIT_KEY)


def _timeout_no_eror() -> None:
    hs = _handshake()
    errors = _module("reference.errors")

    def should_answer(self: Any, exc: Any) -> bool:
        return bool(exc.code is not errors.ErrorCode.TIMEOUT)

    hs.ServerHandshake._should_answer = should_answer


def _deadline_per_read() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:",
            "    _flush(sock, hs)\n    budget = deadline - time.monotonic()\n    while True:",
        ),
        (
            "hs.receive_data(data)",
            "hs.receive_data(data)\n            deadline = time.monotonic() + budget",
        ),
    )
    _server().run_handshake = transport.run_handshake


def _deadline_from_first_byte() -> None:
    transport = _module("reference.eke.transport")
    _patch_lines(
        transport,
        "run_handshake",
        (
            "_flush(sock, hs)\n    while True:",
            "_flush(sock, hs)\nbudget, started = deadline - time.monotonic(), False\nwhile True:",
        ),
        (
            "hs.receive_data(data)",
            "if not started:  # the clock starts when the client speaks\n"
            "    started, deadline = True, time.monotonic() + budget\n"
            "hs.receive_data(data)",
        ),
    )
    _server().run_handshake = transport.run_handshake


def _last_failure_not_updated() -> None:
    _patch_source(_throttle().Throttle, "failed", ("entry.last = now", "pass"))


def _local_address() -> None:
    _patch_source(
        _server().EkeServer,
        "_run_connection",
        ("self._handshake(sock, address)", "self._handshake(sock, sock.getsockname()[0])"),
    )


def _lookup_nfkc() -> None:
    store = _module("reference.eke.store")
    unicodedata = _module("unicodedata")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        # "PRECIS-like": width and compatibility forms folded, so ａｌｉｃｅ is alice.
        return bytes(original(self, unicodedata.normalize("NFKC", name)))

    store.PasswordStore.key_for = key_for


def _auth_message_by_cause() -> None:
    hs = _handshake()
    _patch_lines(
        hs.ServerHandshake,
        "_on_eke3",
        (
            "if not ok or self._doomed",
            "if not ok and not self._doomed:  # for the logs: which check failed\n"
            '    raise RemoteProtocolError(ErrorCode.AUTH_FAILED, "authentication failed: '
            'nonce mismatch")\n'
            "if not ok or self._doomed",
        ),
    )
    hs._public_message = lambda exc: exc.message


def _trailing_dropped() -> None:
    _patch_lines(
        _server().EkeServer,
        "_handshake",
        (
            "return established, hs.trailing_data()",
            "hs.trailing_data()  # the record reader starts on a clean buffer\n"
            'return established, b""',
        ),
    )


def _partial_frame_refused() -> None:
    # "One recv() is one frame": a frame split across reads is taken as truncated.
    _patch_source(
        _handshake()._Handshake, "_need_more", ("if self._eof:", "if self._eof or self._inbox:")
    )


def _fake_secret_zero() -> None:
    # "Until an administrator sets --secret": a placeholder that is never replaced.
    _module("reference.eke.store").PasswordStore._load_secret = lambda self: bytes(32)


def _fake_key_unkeyed() -> None:
    crypto = _module("reference.eke.crypto")
    hashlib = _module("hashlib")

    def fake_password_key(server_secret: bytes, user: str) -> bytes:
        # "Stable per name, so repeated probes look alike": but anyone can compute it.
        return bytes(hashlib.sha256(b"sft-eke/1 fake" + user.encode("utf-8")).digest())

    crypto.fake_password_key = fake_password_key


# --- password store ------------------------------------------------------------------------


def _lookup_nocase() -> None:
    _patch_source(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        (
            '"SELECT pw FROM users WHERE name = ?"',
            '"SELECT pw FROM users WHERE name = ? COLLATE NOCASE"',
        ),
    )


def _lookup_strip() -> None:
    _patch_source(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        ("(name,)).fetchone()", "(name.strip(),)).fetchone()"),
    )


# --- records ---------------------------------------------------------------------------------


def _plaintext_skipped() -> None:
    records = _module("reference.eke.records")
    frames = _module("reference.frames")
    header_size = frames.HEADER_SIZE

    def parse_header(self: Any) -> None:
        try:
            _type, length = frames.parse_header(self._view[:header_size], self.max_record)
        except records.RemoteProtocolError as exc:
            self._failed = exc.detached()
            raise
        self._length = length

    def next_frame(self: Any) -> Any:
        while True:
            self._place_pending()
            if self._length is None or self._have < header_size + self._length:
                if not self._eof:
                    return frames.NEED_DATA
                if self.in_record:
                    raise records.TruncatedStream("connection closed inside a record")
                return frames.CLOSED
            header = self._view[:header_size]
            if bytes(header[:4]) != records.RECORD_TYPE:
                self._have, self._length = 0, None  # a stray keep-alive: skip it
                continue
            sealed = self._view[header_size : header_size + self._length]
            inner = self._opener.open(header, sealed)
            self._have, self._length = 0, None
            return records._split_inner(inner)

    records.RecordReader._parse_header = parse_header
    records.RecordReader._next_frame = next_frame


def _resync_window() -> None:
    crypto = _module("reference.eke.crypto")

    def open_record(self: Any, header: Any, sealed: memoryview) -> memoryview:
        plain_len = len(sealed) - crypto.TAG_LEN
        if plain_len < 0 or plain_len > len(self._plains[0]):
            raise crypto.AuthenticationFailed()
        out = memoryview(self._plains[self._turn ^ 1])[:plain_len]
        for seq in range(self.sequence, self.sequence + 3):  # tolerate two lost records
            nonce = (self._iv ^ seq).to_bytes(crypto.IV_LEN, "big")
            try:
                self._aead.decrypt_into(nonce, sealed, bytes(header), out)
            except crypto.InvalidTag:
                continue
            break
        else:
            raise crypto.AuthenticationFailed()
        self._turn ^= 1
        self.sequence = seq + 1
        self.blocks += -(-plain_len // 16) + 1
        return out

    crypto.RecordOpener.open = open_record


def _limit_on_plaintext() -> None:
    _patch_source(
        _module("reference.eke.records").RecordReader,
        "_parse_header",
        ("self.max_record)", "self.max_record + crypto.TAG_LEN)"),
    )


def _inner_trailing_ignored() -> None:
    _patch_source(
        _module("reference.eke.records"),
        "_split_inner",
        ("if length != len(inner) - HEADER_SIZE:", "if length > len(inner) - HEADER_SIZE:"),
        (
            "InnerFrame(frame_type, inner[HEADER_SIZE:])",
            "InnerFrame(frame_type, inner[HEADER_SIZE : HEADER_SIZE + length])",
        ),
    )


# --- admission and errors ------------------------------------------------------------------


def _slot_leak() -> None:
    _patch_lines(
        _server().EkeServer,
        "_run_connection",
        (
            "self._admission.release(conn_id)",
            "if conn_id in self._admission._established:\n    self._admission.release(conn_id)",
        ),
    )


def _established_still_pending() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "established",
        ("self._forget_pending(key)\n", ""),
    )


def _throttled_lingers() -> None:
    _patch_lines(
        _server().EkeServer,
        "_handshake",
        (
            "# Close (the EROR is out already), then",
            "if isinstance(exc, RemoteProtocolError) and exc.code in (\n"
            "    ErrorCode.THROTTLED, ErrorCode.BUSY\n"
            "):\n"
            "    sock.settimeout(10.0)  # let the client read it and hang up first: no RST\n"
            "    with contextlib.suppress(OSError):\n"
            "        sock.recv(1)\n"
            "# Close (the EROR is out already), then",
        ),
    )


_THR = "test_eke_throttling.py"
_HS = "test_eke_handshake.py"
_REC = "test_eke_records.py"


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b2eke-{name}",
        group="blind2-eke",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "thr-addr-not-counted",
        "EKE-THR-1",
        _THR,
        "failed handshakes are counted per user name only, not per address",
        _addr_not_counted,
    ),
    _m(
        "thr-threshold-off-by-one",
        "EKE-THR-1",
        _THR,
        "throttled only after N+1 failures",
        _threshold_off_by_one,
    ),
    _m(
        "thr-min-of-waits",
        "EKE-THR-1",
        _THR,
        "throttled only when both the user name and the address are",
        _min_of_waits,
    ),
    _m(
        "thr-unknown-not-counted",
        "EKE-THR-1",
        _THR,
        "failed handshakes of unknown user names are not counted",
        _unknown_not_counted,
    ),
    _m(
        "thr-success-resets-address",
        "EKE-THR-6",
        _THR,
        "a successful login also forgets its address's failures",
        _success_resets_address,
    ),
    _m(
        "thr-success-keeps-user",
        "EKE-THR-4",
        _THR,
        "a successful login does not reset the user's failure count",
        _success_keeps_user,
    ),
    _m(
        "thr-counted-at-eke2",
        "EKE-THR-5",
        _THR,
        "a failure is counted when EKE2 is sent and taken back on success",
        _counted_at_eke2,
    ),
    _m(
        "thr-retry-after-floored",
        "EKE-THR-6",
        _THR,
        "retry_after is the time left rounded down (0 in the last second)",
        _retry_after_floored,
    ),
    _m(
        "thr-backoff-flat",
        "EKE-THR-6",
        _THR,
        "every lock lasts the base time: no doubling",
        _backoff_flat,
    ),
    _m(
        "thr-backoff-exponent-plus-one",
        "EKE-THR-6",
        _THR,
        "the first lock lasts 2 x base",
        _backoff_exponent_plus_one,
    ),
    _m(
        "thr-throttled-attempt-counted",
        "EKE-THR-6",
        _THR,
        "an EKE1 answered throttled counts as one more failure",
        _throttled_attempt_counted,
    ),
    _m(
        "thr-busy-counted",
        "EKE-THR-7",
        _THR,
        "an EKE1 answered busy counts as a failure",
        _busy_counted,
    ),
    _m(
        "thr-pending-cap-off-by-one",
        "EKE-THR-7",
        _THR,
        "P + 1 pending logins of one user name are allowed",
        _pending_cap_off_by_one,
    ),
    _m(
        "thr-busy-no-retry-after",
        "EKE-THR-7",
        _THR,
        "EROR busy carries no retry_after",
        _busy_no_retry_after,
    ),
    _m(
        "thr-lock-expires",
        "EKE-THR-11",
        _THR,
        "the hard lock expires like an ordinary capped backoff",
        _lock_expires,
    ),
    _m(
        "thr-lock-inf-crash",
        "EKE-THR-11",
        _THR,
        "a hard-locked user waits math.inf: the refusal crashes, no EROR throttled",
        _lock_inf_crash,
    ),
    _m(
        "thr-ipv4-per-24",
        "EKE-THR-2",
        _THR,
        "IPv4 clients counted per /24: one address's failures throttle its neighbours",
        _ipv4_per_24,
    ),
    _m(
        "cli-base-from-cap",
        "EKE-THR-6",
        _THR,
        "--throttle-base is read from --throttle-cap",
        _cli_base_from_cap,
    ),
    _m(
        "cli-lock-after-ignored",
        "EKE-THR-11",
        _THR,
        "--lock-after is not passed on: the default 100 applies",
        _cli_lock_after_ignored,
    ),
    _m(
        "x-invalid-rejected-at-eke1",
        "EKE-X-3",
        _HS,
        "an invalid X' ends the handshake at EKE1 instead of failing at EKE3",
        _invalid_rejected_at_eke1,
    ),
    _m(
        "x-reduced-mod-p",
        "EKE-X-3",
        _HS,
        "an X' >= p is reduced mod p instead of rejected",
        _reduced_mod_p,
    ),
    _m(
        "x-sign-from-parity",
        "EKE-X-2",
        _HS,
        "the sign bit is Y's parity, not a fresh random bit: X' is always even",
        _sign_from_parity,
    ),
    _m(
        "hs-ephemeral-cached",
        "EKE-HS-10",
        _HS,
        "the server computes its y (and g^y) once and reuses it",
        _ephemeral_cached,
    ),
    _m("hs-ns-static", "EKE-HS-10", _HS, "the server's Ns is drawn once at start", _ns_static),
    _m(
        "hs-ns-mismatch-bad-frame",
        "EKE-HS-8",
        _HS,
        "a C3 that opens but carries a wrong Ns is answered bad_frame",
        _ns_mismatch_bad_frame,
    ),
    _m(
        "hs-unknown-user-silent",
        "EKE-HS-8",
        _HS,
        "a failed EKE3 of an unknown user is closed without EROR auth_failed",
        _unknown_user_silent,
    ),
    _m(
        "hs-eke1-restarts",
        "EKE-HS-9",
        _HS,
        "a second EKE1 while awaiting EKE3 restarts the handshake",
        _eke1_restarts,
    ),
    _m(
        "hs-timeout-no-eror",
        "EKE-HS-11",
        _HS,
        "the handshake timeout closes without EROR timeout",
        _timeout_no_eror,
    ),
    _m(
        "hs-deadline-per-read",
        "LIM-1",
        _HS,
        "the handshake deadline restarts at every read: a trickle is never timed out",
        _deadline_per_read,
    ),
    _m(
        "pw-lookup-nocase",
        "EKE-PW-4",
        _HS,
        "the store looks user names up COLLATE NOCASE",
        _lookup_nocase,
    ),
    _m(
        "pw-lookup-strip",
        "EKE-PW-4",
        _HS,
        "the store looks up the user name strip()ped",
        _lookup_strip,
    ),
    _m(
        "rec-plaintext-skipped",
        "EKE-REC-5",
        _REC,
        "a plaintext frame after EKE4 is skipped as a keep-alive",
        _plaintext_skipped,
    ),
    _m(
        "rec-resync-window",
        "EKE-REC-4",
        _REC,
        "a record that fails is tried at seq+1 and seq+2: dropped records go unseen",
        _resync_window,
    ),
    _m(
        "rec-limit-on-plaintext",
        "EKE-REC-6",
        _REC,
        "the record limit is applied to the plaintext: limit + 16 passes the header check",
        _limit_on_plaintext,
    ),
    _m(
        "rec-inner-trailing-ignored",
        "EKE-REC-1",
        _REC,
        "bytes after the inner frame of a record are ignored",
        _inner_trailing_ignored,
    ),
    _m(
        "adm-slot-leak",
        "LIM-4",
        "test_limits.py",
        "a connection whose handshake fails never gives its slot back",
        _slot_leak,
    ),
    _m(
        "adm-established-still-pending",
        "LIM-9",
        "test_lockout.py",
        "established connections stay counted (and evictable) as pending",
        _established_still_pending,
    ),
    _m(
        "err-throttled-lingers",
        "ERR-3",
        _THR,
        "after throttled/busy the server waits up to 10 s for the client to close",
        _throttled_lingers,
    ),
    _m(
        "hs-deadline-from-first-byte",
        "LIM-1",
        _HS,
        "the handshake deadline starts at the client's first bytes, not at accept",
        _deadline_from_first_byte,
    ),
    _m(
        "thr-last-failure-not-updated",
        "EKE-THR-6",
        _THR,
        "the lock is counted from the first failure: later ones do not move it",
        _last_failure_not_updated,
    ),
    _m(
        "thr-local-address",
        "EKE-THR-2",
        _THR,
        "failures counted per the server's own address (getsockname for getpeername)",
        _local_address,
    ),
    _m(
        "pw-lookup-nfkc",
        "EKE-PW-4",
        _HS,
        "the store looks up the NFKC form of the name: fullwidth letters match",
        _lookup_nfkc,
    ),
    _m(
        "hs-auth-message-by-cause",
        "EKE-HS-8",
        _HS,
        "auth_failed says 'nonce mismatch' when C3 opens but ends with the wrong Ns",
        _auth_message_by_cause,
    ),
    _m(
        "hs-trailing-dropped",
        "FRM-4",
        _HS,
        "bytes that came with EKE3 (the first record) are dropped",
        _trailing_dropped,
    ),
    _m(
        "hs-partial-frame-refused",
        "FRM-4",
        _HS,
        "a handshake frame split across reads is refused as truncated",
        _partial_frame_refused,
    ),
    _m(
        "hs-fake-secret-zero",
        "EKE-HS-3",
        _HS,
        "server_secret is 32 zero bytes: every unknown name's key is public",
        _fake_secret_zero,
    ),
    _m(
        "hs-fake-key-unkeyed",
        "EKE-HS-3",
        _HS,
        "an unknown user's key is SHA-256(label || user), without the server's secret",
        _fake_key_unkeyed,
    ),
)
