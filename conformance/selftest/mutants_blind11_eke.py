"""Blind red-team round 11 (brief B40): the sft-eke/1 SERVER, through the lenses of
/work/briefs/s11/lenses11.md.

Phase 1 (blind: written from docs/SPEC.md §0-§2, §5, §6 and the reference's eke,
app, frames, share, admission modules only, before opening any case file or
independent implementation). Lenses: (1) performance shortcuts and caches, (2) time and
clocks, (3) I/O granularity, (4) lenient parsing and canonicalisation, (5) role,
direction and profile asymmetry (copy-paste), (6) fallbacks and downgrades.

The first list (35) was checked against every registered mutant once written: 24 were
already planted under another name (Ns drawn once, PUTF's sha256 trusted, size limit
on the first PUTF only, unknown names not counted, lock from the first failure, hard
lock expiring, deadline from the first byte, no idle timeout in a put, records after
EKE3 dropped, EOF after all bytes commits, empty DATA at 1 MiB multiples, equal
duplicate keys, raw_decode, case-folded exists, trailing slash stripped, integral
floats, basename-only put check, IPv4 per /24, fatal EROR in clear, RSFL basename,
X' reduced mod p, EKE1 restarting, surrogatepass names, exists following links) and
were replaced by the ones below, checked the same way.

(1) caches and shortcuts
- b11eke-throttle-verdict-cached -> EKE-THR-1: "not throttled" verdicts are cached per
  user name for 5 s in front of the failure tables: failures within the window do not
  throttle the name's next EKE1 (from another address).
- b11eke-empty-put-done-unchecked -> APP-PUT-5: fast path for 0-byte puts: nothing was
  hashed, so DONE's sha256 is not compared.
- b11eke-first-data-overrun-deferred -> APP-PUT-6: the overrun check skips a put's first
  DATA frame ("one chunk: compared at DONE"): too much data is answered only at DONE.
- b11eke-data-record-tag-skipped -> EKE-REC-4: records above 64 KiB (DATA) are decrypted
  as AES-CTR without checking the GCM tag ("SHA-256 at DONE covers it").
- b11eke-lim8-released-at-eke1 -> LIM-8: a connection stops counting against its
  address's pending cap once its EKE1 arrived ("it is talking: not a silent socket").

(2) time and clocks
- b11eke-failure-time-from-eke1 -> EKE-THR-5: a failed handshake is dated when its EKE1
  arrived (the attempt's time), not when it ended: a guess held open past the lock
  comes back unlocked.
- b11eke-retry-after-full-lock -> EKE-THR-6: retry_after is the whole lock, not the time
  left of it.
- b11eke-send-timeout-long -> LIM-10: the send timeout of a get is ten idle timeouts ("a
  1 MiB record may take a while").
- b11eke-cap-applied-to-base -> EKE-THR-6: min(cap, base) * 2^(n-N): the cap bounds the
  base, not the lock, which grows past it.

(3) I/O granularity
- b11eke-record-header-split -> FRM-4: a record header is parsed only when one read
  brings all 8 bytes; a split header ends the connection.
- b11eke-record-pipelined-dropped -> APP-2: one recv = one record: what a read brings
  beyond the first record is dropped.
- b11eke-half-close-abandons-request -> APP-2: a get is not served when the client has
  already half-closed ("nobody is listening").

(4) lenient parsing and canonicalisation
- b11eke-hex-stripped -> FRM-12: hex members are stripped of white space before the
  length check (bytes.fromhex ignores it anyway).
- b11eke-drive-letter-unicode-alpha -> APP-PUT-2: the drive-letter rule uses
  str.isalpha(): `é:x.txt` is refused forbidden.
- b11eke-isprintable-control-check -> APP-NAME-8: the control-character rule is
  `not name.isprintable()`: U+00A0, U+202F (and every format character) refused.
- b11eke-name-normpath -> APP-NAME-2: names are os.path.normpath()ed before the check:
  `sub/./nested.txt`, `a/../hello.txt`, `sub//nested.txt` are served.

(5) asymmetry
- b11eke-put-name-no-bidi-check -> APP-NAME-8: the put path keeps an old copy of the
  name check without C1 and bidi controls.
- b11eke-inner-type-syntax-unchecked -> FRM-2: the record layer and the app layer trust
  inner frame types like the sender side does: bad type bytes are unexpected_frame.
- b11eke-user-name-file-rule -> EKE-HS-3: EKE1's user name is also checked with the
  file-name rule: valid unknown names like `C:x` or `a/../b` answered bad_frame.
- b11eke-lim8-evicts-same-address -> LIM-8: over the per-address cap the oldest pending
  connection of that address is closed to admit the new one (LIM-9's rule).

(6) fallbacks and downgrades
- b11eke-unknown-user-default-account -> EKE-HS-3: an unknown user name gets the first
  account's key ("default user") instead of the fake key.
- b11eke-throttle-fails-open-non-ascii -> EKE-THR-1: the throttle check raises for a
  non-ASCII name and the error is taken as "not throttled".
- b11eke-get-case-fallback -> APP-NAME-3: a get whose name is not found is retried
  case-insensitively ("HELLO.TXT" serves hello.txt).
- b11eke-pending-cap-waits -> EKE-THR-7: over the pending cap EKE1 waits (up to 5 s) for
  a slot instead of being answered busy.
- b11eke-reflected-record-other-key -> EKE-REC-4: a record failing under the receive key
  is tried under the send key ("a client that mixed up the directions"): a reflected
  record is accepted.
- b11eke-done-sha-missing-default -> FRM-9: a DONE without sha256 is taken as "no hash
  to compare" instead of malformed.

Dropped: b11eke-record-short-write (EKE-REC-1: DATA records written with one send(), a
short write losing the rest of the record) — a real bug, but loopback socket buffers
(autotuned to megabytes) take a whole 1 MiB record in one send even behind a paused
reader, so no black-box case on the embedded target can make the short write happen.

Blind result (the suite before this round's cases): 18 of 27 detected with the case
files first guessed; no more when every other file citing the requirement was tried.
The 9 survivors and the cases written for their class (all 26 now detected):
  empty-put-done-unchecked     test_eke_put_digests.py (every size x every way to lie)
  drive-letter-unicode-alpha   test_eke_put_name_rules.py (names next to [A-Za-z]:)
  half-close-abandons-request  test_eke_half_close.py (requests arriving with the FIN)
  data-record-tag-skipped      test_eke_records.py (tampered DATA records of any size)
  failure-time-from-eke1       test_eke_throttling.py (a guess held past its lock)
  throttle-fails-open-non-ascii test_eke_throttling.py (names of every kind throttled)
  hex-stripped                 test_eke_handshake.py (white space in or around hex)
  lim8-released-at-eke1        test_eke_handshake_stalls.py (handshakes under way count)
  record-short-write           dropped (above)
"""

from __future__ import annotations

import inspect
import os
import select
import socket
import textwrap
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind11-eke"


def _variant(module: Any, name: str, new_name: str, *edits: tuple[str, str]) -> None:
    """Adds `new_name` to `module`: a copy of its function `name` with `edits` applied."""
    raw = getattr(module, name)
    source = textwrap.dedent(inspect.getsource(raw))
    for old, new in edits:
        if old not in source:
            raise RuntimeError(f"mutant: {name} no longer contains {old!r}")
        source = source.replace(old, new)
    source = source.replace(f"def {name}(", f"def {new_name}(", 1)
    namespace: dict[str, Any] = {}
    code = compile("from __future__ import annotations\n" + source, f"<mutant {new_name}>", "exec")
    exec(code, raw.__globals__, namespace)  # noqa: S102 - the mutant's own edited source
    setattr(module, new_name, namespace[new_name])


def _server() -> Any:
    return _module("reference.eke.server")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


# -- (1) caches and shortcuts ----------------------------------------------------------


def _throttle_verdict_cached() -> None:
    cls = _throttle().Throttle
    original = cls.retry_after
    cleared: dict[str, float] = {}

    def retry_after(self: Any, user: str, address: str) -> float | None:
        seen = cleared.get(user)
        if seen is not None and time.monotonic() - seen < 5.0:
            return None
        wait: float | None = original(self, user, address)
        if wait is None:
            cleared[user] = time.monotonic()
        return wait

    cls.retry_after = retry_after


def _empty_put_done_unchecked() -> None:
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        (
            "    sha = self.digest.hexdigest()\n",
            "    if self.announced == 0 and done.size == 0:\n"
            "        return\n"
            "    sha = self.digest.hexdigest()\n",
        ),
    )


def _first_data_overrun_deferred() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.count and "
            "self._incoming.count + length > self._incoming.announced:",
        ),
    )
    _patch_source(
        _module("reference.share").PartialFile,
        "write",
        (
            "if self.written + len(view) > self.limit:",
            "if self.written and self.written + len(view) > self.limit:",
        ),
    )


def _data_record_tag_skipped() -> None:
    crypto = _module("reference.eke.crypto")
    ciphers = _module("cryptography.hazmat.primitives.ciphers")
    modes = _module("cryptography.hazmat.primitives.ciphers.modes")
    algorithms = _module("cryptography.hazmat.primitives.ciphers.algorithms")
    cls = crypto.RecordOpener
    init, opened = cls.__init__, cls.open

    def new_init(self: Any, key: bytes, iv: bytes, *args: Any, **kwargs: Any) -> None:
        init(self, key, iv, *args, **kwargs)
        self.b11_key = key

    def new_open(self: Any, header: Any, sealed: memoryview) -> memoryview:
        plain_len = len(sealed) - crypto.TAG_LEN
        if plain_len <= 64 * 1024 or plain_len > len(self._plains[0]):
            result: memoryview = opened(self, header, sealed)
            return result
        seq = self.sequence
        nonce = (self._iv ^ seq).to_bytes(crypto.IV_LEN, "big")
        # GCM's keystream starts at counter 2 for a 96-bit nonce: the plaintext, no tag.
        ctr = ciphers.Cipher(algorithms.AES(self.b11_key), modes.CTR(nonce + b"\0\0\0\2"))
        out = memoryview(self._plains[self._turn ^ 1])[:plain_len]
        out[:] = ctr.decryptor().update(bytes(sealed[:plain_len]))
        self._turn ^= 1
        self.sequence = seq + 1
        self.blocks += -(-plain_len // 16) + 1
        return out

    cls.__init__ = new_init
    cls.open = new_open


def _lim8_released_at_eke1() -> None:
    server = _server()
    admission = _module("reference.admission").Admission
    ids: dict[int, int] = {}

    def talking(srv: Any, address: str) -> bool:
        conn_id = ids.get(threading.get_ident())
        with srv._lock:
            adm = srv._admission
            talked: set[int] = adm.__dict__.setdefault("b11_talked", set())
            if conn_id is not None and conn_id in adm._pending and conn_id not in talked:
                talked.add(conn_id)
                left = adm._pending_by_address.get(address, 0) - 1
                if left > 0:
                    adm._pending_by_address[address] = left
                else:
                    adm._pending_by_address.pop(address, None)
        return True

    def forget_pending(self: Any, key: int) -> None:
        address = self._pending.pop(key)
        talked: set[int] = self.__dict__.setdefault("b11_talked", set())
        if key in talked:
            talked.discard(key)
            return
        left = self._pending_by_address[address] - 1
        if left:
            self._pending_by_address[address] = left
        else:
            del self._pending_by_address[address]

    server._b11_ids = ids
    server._b11_talking = talking
    admission._forget_pending = forget_pending
    _patch_source(
        server.EkeServer,
        "_run_connection",
        (
            "result = self._handshake(sock, address)",
            "_b11_ids[threading.get_ident()] = conn_id; "
            "result = self._handshake(sock, address)",
        ),
    )
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "if isinstance(event, LoginAttempt):",
            "if isinstance(event, LoginAttempt) and _b11_talking(self, address):",
        ),
    )


# -- (2) time and clocks ---------------------------------------------------------------


def _failure_time_from_eke1() -> None:
    throttle = _throttle()
    cls = throttle.Throttle
    begin, succeeded = cls.begin, cls.succeeded

    def began(self: Any) -> dict[tuple[str, str], float]:
        table: dict[tuple[str, str], float] = self.__dict__.setdefault("_b11_began", {})
        return table

    def new_begin(self: Any, user: str, address: str) -> bool:
        ok: bool = begin(self, user, address)
        if ok:
            began(self)[(user, throttle.address_key(address))] = self._clock()
        return ok

    def new_succeeded(self: Any, user: str, address: str) -> None:
        began(self).pop((user, throttle.address_key(address)), None)
        succeeded(self, user, address)

    cls.begin = new_begin
    cls.succeeded = new_succeeded
    _patch_source(
        cls,
        "failed",
        (
            "now = self._clock()",
            "now = self.__dict__.get('_b11_began', {}).pop((user, address), None)"
            " or self._clock()",
        ),
    )


def _retry_after_full_lock() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        (
            "return entry.last + lockout - now",
            "return float(lockout) if entry.last + lockout > now else 0.0",
        ),
    )


def _send_timeout_long() -> None:
    _patch_source(
        _server().EkeServer,
        "_serve_get",
        (
            "remaining = shared.size",
            "remaining = shared.size; stream.sock.settimeout(self.config.idle_timeout * 10)",
        ),
        (
            "stream.send(stream.app.outgoing_done())",
            "stream.send(stream.app.outgoing_done()); "
            "stream.sock.settimeout(self.config.idle_timeout)",
        ),
    )


def _cap_applied_to_base() -> None:
    _patch_source(
        _throttle().Throttle,
        "_wait",
        (
            "lockout = max(1, math.ceil(min(cfg.cap, cfg.base * 2.0**extra)))",
            "lockout = max(1, math.ceil(min(cfg.cap, cfg.base) * 2.0**extra))",
        ),
    )


# -- (3) I/O granularity ---------------------------------------------------------------


def _record_header_split() -> None:
    _patch_source(
        _module("reference.eke.records").RecordReader,
        "buffer_updated",
        (
            "if self._length is None and self._have >= HEADER_SIZE:",
            "if self._length is None and nbytes >= HEADER_SIZE:",
        ),
    )


def _record_pipelined_dropped() -> None:
    transport = _module("reference.eke.transport")

    def _next_record(self: Any) -> Any:
        reader = self.reader
        while True:
            frame = reader.next_frame()
            if frame is not transport.NEED_DATA:
                reader._pending.clear()  # one read, one record
                return frame
            data = self.sock.recv(2 * 1024 * 1024)
            if not data:
                reader.eof_received()
            else:
                reader.receive_data(data)

    transport.SecureStream._next_record = _next_record


def _half_close_abandons_request() -> None:
    server = _server()

    def peer_gone(sock: socket.socket) -> bool:
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return False

    server._b11_peer_gone = peer_gone
    _patch_source(
        server.EkeServer,
        "_serve_records",
        (
            "if event is CLOSED or isinstance(event, ErrorFrame):",
            "if event is CLOSED or isinstance(event, ErrorFrame) or ("
            "isinstance(event, FileRequest) and _b11_peer_gone(sock)):",
        ),
    )


# -- (4) lenient parsing and canonicalisation ----------------------------------------


def _hex_stripped() -> None:
    _patch_source(
        _module("reference.frames"),
        "_has_kind",
        (
            "return len(value) == int(kind[4:]) and _HEX_RE.fullmatch(value) is not None",
            "return len(value.strip()) == int(kind[4:]) and "
            "_HEX_RE.fullmatch(value.strip()) is not None",
        ),
    )


def _drive_letter_unicode_alpha() -> None:
    _patch_source(
        _module("reference.share"),
        "check_name",
        (
            'name[1] == ":" and name[0].isascii() and name[0].isalpha()',
            'name[1] == ":" and name[0].isalpha()',
        ),
    )


def _isprintable_control_check() -> None:
    _patch_source(
        _module("reference.share"),
        "check_name",
        (
            "if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):",
            "if not name.isprintable():",
        ),
    )


def _name_normpath() -> None:
    _patch_source(
        _module("reference.share"),
        "check_name",
        ('parts = name.split("/")', 'parts = os.path.normpath(name).split("/")'),
    )


# -- (5) asymmetry -----------------------------------------------------------------------


def _put_name_no_bidi_check() -> None:
    share = _module("reference.share")
    _variant(
        share,
        "check_name",
        "_b11_put_check_name",
        (
            "if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):",
            "if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):",
        ),
        ("if not _BIDI_CONTROLS.isdisjoint(name):", "if False:"),
    )
    _patch_source(
        share.Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = _b11_put_check_name(name)[-1]"),
    )


def _inner_type_syntax_unchecked() -> None:
    frames = _module("reference.frames")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        frame_type, length = frames.HEADER.unpack(header)
        if length > max_payload:
            raise frames.RemoteProtocolError(
                frames.ErrorCode.FRAME_TOO_LARGE,
                f"frame announces {length} bytes, limit is {max_payload}",
            )
        return bytes(frame_type), int(length)

    for name in ("reference.eke.records", "reference.app"):
        _module(name).parse_header = parse_header


def _user_name_file_rule() -> None:
    handshake = _module("reference.eke.handshake")
    share = _module("reference.share")

    def file_rule(user: str) -> None:
        try:
            share.check_name(user)
        except share.NameRefused as exc:
            raise ValueError(f"invalid user name: {exc.message}") from None

    handshake._b11_file_rule = file_rule
    _patch_source(
        handshake.ServerHandshake,
        "_on_eke1",
        ("crypto.check_user_name(user)", "crypto.check_user_name(user); _b11_file_rule(user)"),
    )


def _lim8_evicts_same_address() -> None:
    admission = _module("reference.admission")

    def admit(self: Any, key: int, address: str) -> Any:
        evict: int | None = None
        if self.pending_from(address) >= self.max_pending_per_address:
            # LIM-9's rule, one address at a time: the oldest of its pending ones goes.
            evict = next(k for k, a in self._pending.items() if a == address)
            self._forget_pending(evict)
        elif self.open_connections >= self.max_connections:
            if not self._pending:
                return admission.AdmissionDecision(refused=admission.Refusal.FULL)
            evict = next(iter(self._pending))
            self._forget_pending(evict)
        self._pending[key] = address
        self._pending_by_address[address] = self.pending_from(address) + 1
        return admission.AdmissionDecision(evict=evict)

    admission.Admission.admit = admit


# -- (6) fallbacks and downgrades --------------------------------------------------------


def _unknown_user_default_account() -> None:
    _patch_source(
        _module("reference.eke.store").PasswordStore,
        "key_for",
        (
            "return bytes(row[0]) if row is not None else fake",
            "if row is None:\n"
            "        with self._lock:\n"
            "            row = self._db.execute(\n"
            "                'SELECT pw FROM users ORDER BY name LIMIT 1'\n"
            "            ).fetchone()\n"
            "    return bytes(row[0]) if row is not None else fake",
        ),
    )


def _throttle_fails_open_non_ascii() -> None:
    cls = _throttle().Throttle
    original = cls.retry_after

    def retry_after(self: Any, user: str, address: str) -> float | None:
        try:
            user.encode("ascii")  # the table key of an older release
            wait: float | None = original(self, user, address)
        except Exception:
            return None  # never lock anyone out because of our own error
        return wait

    cls.retry_after = retry_after


def _get_case_fallback() -> None:
    share = _module("reference.share")
    cls = share.ShareDirectory
    opened = cls.open

    def matched(root: str, name: str) -> str | None:
        path, found = root, []
        for part in name.split("/"):
            try:
                entries = os.listdir(path)
            except OSError:
                return None
            same = [e for e in entries if e.casefold() == part.casefold()]
            if len(same) != 1:
                return None
            found.append(same[0])
            path = os.path.join(path, same[0])
        return "/".join(found)

    def new_open(self: Any, name: str) -> Any:
        try:
            return opened(self, name)
        except share.RemoteProtocolError as exc:
            if exc.code is not share.ErrorCode.NOT_FOUND:
                raise
            other = matched(str(self.path), name)
            if other is None or other == name:
                raise
            return opened(self, other)

    cls.open = new_open


def _pending_cap_waits() -> None:
    cls = _throttle().Throttle
    begin = cls.begin

    def new_begin(self: Any, user: str, address: str) -> bool:
        deadline = time.monotonic() + 5.0
        while not begin(self, user, address):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)  # a slot frees within a round trip
        return True

    cls.begin = new_begin


def _reflected_record_other_key() -> None:
    crypto = _module("reference.eke.crypto")
    records = _module("reference.eke.records")
    invalid_tag = _module("cryptography.exceptions").InvalidTag
    opener_cls, channel_cls = crypto.RecordOpener, records.RecordChannel
    opened, init = opener_cls.open, channel_cls.__init__

    def new_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.reader._opener.b11_other = (self.sealer._aead, self.sealer._iv)

    def new_open(self: Any, header: Any, sealed: memoryview) -> memoryview:
        try:
            result: memoryview = opened(self, header, sealed)
            return result
        except crypto.AuthenticationFailed:
            other = getattr(self, "b11_other", None)
            if other is None:
                raise
            aead, iv = other
            seq = self.sequence
            try:
                plain = aead.decrypt((iv ^ seq).to_bytes(crypto.IV_LEN, "big"), bytes(sealed),
                                     bytes(header))
            except invalid_tag:
                raise crypto.AuthenticationFailed() from None
            out = memoryview(self._plains[self._turn ^ 1])[: len(plain)]
            out[:] = plain
            self._turn ^= 1
            self.sequence = seq + 1
            return out

    channel_cls.__init__ = new_init
    opener_cls.open = new_open


def _done_sha_missing_default() -> None:
    messages = _module("reference.messages")
    messages._SCHEMAS["DONE"] = {"size": ("int", True), "sha256": ("sha256", False)}
    _patch_source(
        messages,
        "decode_message",
        ('return Done(obj["size"], obj["sha256"])', 'return Done(obj["size"], obj.get("sha256"))'),
    )
    _patch_source(
        _module("reference.app")._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and done.sha256 == sha",
            "done.size == self.announced == self.count and done.sha256 in (None, sha)",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b11eke-{name}",
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # (1) caches and shortcuts
    _m("throttle-verdict-cached", "EKE-THR-1", "test_eke_throttling.py",
       "'not throttled' is cached per user name for 5 s", _throttle_verdict_cached),
    _m("empty-put-done-unchecked", "APP-PUT-5", "test_eke_put_digests.py",
       "a 0-byte put's DONE sha256 is not compared", _empty_put_done_unchecked),
    _m("first-data-overrun-deferred", "APP-PUT-6", "test_app_put.py",
       "a put's first DATA frame is not checked against the announced size",
       _first_data_overrun_deferred),
    _m("data-record-tag-skipped", "EKE-REC-4", "test_eke_records.py",
       "records above 64 KiB decrypted as AES-CTR, their tag never checked",
       _data_record_tag_skipped),
    _m("lim8-released-at-eke1", "LIM-8", "test_eke_handshake_stalls.py",
       "a connection leaves its address's pending count once its EKE1 came",
       _lim8_released_at_eke1),
    # (2) time and clocks
    _m("failure-time-from-eke1", "EKE-THR-5", "test_eke_throttling.py",
       "a failed handshake is dated at its EKE1, not at its end", _failure_time_from_eke1),
    _m("retry-after-full-lock", "EKE-THR-6", "test_eke_throttling.py",
       "retry_after is the whole lock, not the time left", _retry_after_full_lock),
    _m("send-timeout-long", "LIM-10", "test_limits.py",
       "a get's send timeout is ten idle timeouts", _send_timeout_long),
    _m("cap-applied-to-base", "EKE-THR-6", "test_eke_throttling.py",
       "min(cap, base) * 2^(n-N): the lock grows past the cap", _cap_applied_to_base),
    # (3) I/O granularity
    _m("record-header-split", "FRM-4", "test_framing.py",
       "a record header split across reads ends the connection", _record_header_split),
    _m("record-pipelined-dropped", "APP-2", "test_framing.py",
       "what one read brings beyond the first record is dropped", _record_pipelined_dropped),
    _m("half-close-abandons-request", "APP-2", "test_eke_half_close.py",
       "a get is not served once the client has half-closed", _half_close_abandons_request),
    # (4) lenient parsing and canonicalisation
    _m("hex-stripped", "FRM-12", "test_eke_handshake.py",
       "hex members are stripped of white space before the check", _hex_stripped),
    _m("drive-letter-unicode-alpha", "APP-PUT-2", "test_eke_put_name_rules.py",
       "the drive-letter rule uses str.isalpha(): é:x.txt refused", _drive_letter_unicode_alpha),
    _m("isprintable-control-check", "APP-NAME-8", "test_app_names_controls.py",
       "control characters found with str.isprintable(): U+00A0 refused",
       _isprintable_control_check),
    _m("name-normpath", "APP-NAME-2", "test_app_names.py",
       "names normpath()ed before the check: sub/./nested.txt served", _name_normpath),
    # (5) asymmetry
    _m("put-name-no-bidi-check", "APP-NAME-8", "test_app_names_controls.py",
       "the put path's name check lacks C1 and bidi controls", _put_name_no_bidi_check),
    _m("inner-type-syntax-unchecked", "FRM-2", "test_framing.py",
       "inner frame type bytes are not checked (unexpected_frame)", _inner_type_syntax_unchecked),
    _m("user-name-file-rule", "EKE-HS-3", "test_eke_user_names_invalid.py",
       "EKE1 user names also checked with the file-name rule (bad_frame)", _user_name_file_rule),
    _m("lim8-evicts-same-address", "LIM-8", "test_lockout.py",
       "over the per-address cap the address's oldest pending connection is closed",
       _lim8_evicts_same_address),
    # (6) fallbacks and downgrades
    _m("unknown-user-default-account", "EKE-HS-3", "test_eke_handshake.py",
       "an unknown user name gets the first account's key", _unknown_user_default_account),
    _m("throttle-fails-open-non-ascii", "EKE-THR-1", "test_eke_throttling.py",
       "an error in the throttle check (non-ASCII name) means not throttled",
       _throttle_fails_open_non_ascii),
    _m("get-case-fallback", "APP-NAME-3", "test_app_names.py",
       "a get not found is retried case-insensitively", _get_case_fallback),
    _m("pending-cap-waits", "EKE-THR-7", "test_eke_throttling.py",
       "over the pending cap EKE1 waits for a slot instead of busy", _pending_cap_waits),
    _m("reflected-record-other-key", "EKE-REC-4", "test_eke_records.py",
       "a record failing under the receive key is tried under the send key",
       _reflected_record_other_key),
    _m("done-sha-missing-default", "FRM-9", "test_framing.py",
       "a DONE without sha256 is taken as nothing to compare", _done_sha_missing_default),
)
