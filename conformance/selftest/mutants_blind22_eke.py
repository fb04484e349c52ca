"""Blind red-team round 22 (helper B131): the sft-eke/1 SERVER, through the six lenses of
/work/briefs/s22/common.md. Phase 1 (blind): written from docs/SPEC.md (§0-§3, §5, §6) and
the reference's eke server code (reference/eke/server.py, handshake.py, records.py,
transport.py, throttle.py, store.py, crypto.py; reference/app.py, transfer.py, share.py,
frames.py, messages.py) before any case file or independent implementation was opened.
A first list was checked against the names and descriptions of the 3705 registered
mutants; the ideas found there (the address lock judged at accept, the failure count
written back from the EKE1 snapshot, the receipt DONE before the commit, the dangling link
replaced at the commit, the PUTF.sha256 inherited by the next put, a put's name found
existing case-blind, the raw-JSON backslash check, the unknown member in EKE1/EKE3, the
reflected record tried under the send key, the C3 tried under Kcs ...) were replaced by
the ones below, written the same way before any case was read.

Lens 1 — residue after an aborted request:
- b22eke-refusal-seq-not-advanced: a non-fatal refusal (not_found, forbidden, too_large,
  exists ...) is sealed by a reply helper that takes the send sequence number without
  advancing it: the record that answers the NEXT request reuses its nonce.
- b22eke-get-offset-kept: share files stay open in a per-server cache and are rewound when
  a get completes; a get cut mid-way leaves its offset, and the next get of that file (the
  next session) starts in the middle.
- b22eke-refused-put-data-swallowed: after a refused PUTF, DATA frames are dropped until
  the next request ("the client may have sent them before it read the refusal"): a DATA
  in IDLE is not unexpected_frame.
- b22eke-put-limit-first-put: the writer's size limit is set by the connection's first
  put: a later, larger put on the same connection fails integrity_failed.
Lens 2 — the peer's freedom:
- b22eke-put-frames-counted: a put's DATA frames are counted, ceil(size / 1 MiB) of them
  (the reference's own frame size): a client sending smaller frames is cut off
  integrity_failed.
- b22eke-eke1-member-order: EKE1 must list `user` before `a` (a streaming reader starts
  the key lookup on `user`): `{"a": ..., "user": ...}` is bad_frame.
- b22eke-eke3-compact-only: EKE3's payload must be the compact `{"c":"..."}`: a valid EKE3
  with white space is bad_frame.
Lens 3 — check-then-act between sessions:
- b22eke-pending-counted-toward-user-lock: to close the window between the throttle check
  at EKE1 and the failure booked at the end, a user name's pending handshakes are added to
  its failures for the throttle decision: N-1 failures and one honest login in flight
  make the next EKE1 `throttled`.
Lens 4 — two spellings of one value:
- b22eke-th-user-nfc: the transcript hash takes the NFC form of the user name (the one
  logged): an account whose name is not NFC cannot log in.
- b22eke-throttle-key-raw-json: the throttle keys a user name by its raw JSON token,
  escapes undecoded: `\\u0061lice` and `alice` are counted apart.
Lens 5 — half-done actions:
- b22eke-throttle-write-behind: failure counts reach SQLite through a write-behind queue
  flushed every 5 s: a restart within it loses them.
- b22eke-putf-digest-after-commit: PUTF.sha256 is compared after the file is committed: a
  mismatch is answered integrity_failed but the file stays under its final name.
Lens 6 — reflection and role confusion:
- b22eke-peer-eror-keeps-idle: the responder applies the initiator's rule to an EROR it
  receives: a non-fatal one returns to IDLE instead of closing.
- b22eke-eke4-sealed-kcc: C4 is sealed under Kcc, the client's confirmation key.
- b22eke-c4-own-ns: C4 carries the server's own Ns instead of the client's Na.
- b22eke-get-receipt-accepted: a DONE from the client right after a get is taken as its
  receipt (the mirror of a put's) and dropped, not unexpected_frame.

Blind result (each mutant against the file first named, --only-req, --no-rerun): 8 of 16
detected — refusal-seq-not-advanced (test_eke_records.py), refused-put-data-swallowed
(test_app_refused_put_followers.py), put-frames-counted (test_app_put.py: its 64 KiB
DATA frames), pending-counted-toward-user-lock (test_eke_pending_beside_success.py),
throttle-write-behind (test_eke_restart.py), putf-digest-after-commit
(test_eke_put_digests.py), peer-eror-keeps-idle (test_app_eror_from_initiator.py),
get-receipt-accepted (test_eke_stray_frames.py).
Against the other case files citing the requirement, 2 more were caught (test_file now
names the file): get-offset-kept (test_app_get_concurrent.py: two gets of one file at
once share the cached descriptor's offset — the concurrency, not the abandoned get, shows
it), throttle-key-raw-json (test_eke_user_spellings.py).
Not judged blind (NOT_JUDGED), judged after the lead's follow-ups:
- eke4-sealed-kcc, c4-own-ns: every login failed at EKE4, so the suite's sanity
  conversation said "target down or misconfigured" and every case was an ERROR (as
  blind9's every-handshake-fails idioms). But a C2 that verified proves the password and
  the keys right: what goes wrong after the suite's honest EKE3 is the server's fault.
  conformance/eke_diagnosis.py's diagnose_c4 now names it (C4 sealed with Kcc: EKE-KS-4;
  Ns for Na: EKE-HS-6; an honest EKE3 refused: EKE-HS-6), the target is judged, and every
  case that opens a channel FAILs the named requirement: both detected
  (test_eke_records.py, test_eke_handshake.py).
- th-user-nfc: observable only with an account whose name is not NFC; the embedded
  reference's accounts were all NFC. Now the embedded reference (and the eke
  independents' lay-out) has a fourth account "re\u0301my", decomposed; detected by
  test_eke_handshake.py's every-account handshake (and its nfc-variant case, which used
  to SKIP on the reference, now runs).
Missed by every file tried, and the cases that now catch their class (each passes the
reference three times and the independents listed in the report):
- eke1-member-order, eke3-compact-only (EKE-HS-2 / EKE-HS-6: test_eke_handshake.py,
  test_eke_handshake_encodings.py, test_eke_records.py, test_vectors.py,
  test_eke_hex_digit_lookalikes.py, test_eke_hex_number_spellings.py,
  test_eke_concurrent_logins.py tried) -> test_eke_handshake_json_spellings.py: honest
  handshakes whose EKE1 and EKE3 are legal JSON spelled otherwise (members reversed,
  pretty-printed with CRLF and white space around the object, spaced separators, the hex
  members' first and last digits as upper-case \\u escapes, every account's user name
  fully \\u-escaped): EKE4 must come and verify.
- put-limit-first-put (APP-PUT-5: test_app_put_sequence.py, test_app_later_put_checks.py,
  test_app_put_interleaved.py, test_framing.py, test_interop_transfer_state.py,
  test_eke_put_announced.py tried: their sequences shrink or keep sizes) ->
  test_app_put_growing_sequence.py: 1 B, 1 000 B, 70 000 B, 1 MiB + 1 on one connection,
  each acknowledged with its own DONE and stored whole (both profiles).
Post-blind siblings, written after the cases to show they take the class:
- get-offset-kept-locked (the cached descriptor held by one get at a time, so concurrent
  gets never mix: only the abandoned get leaves residue; test_app_get_concurrent.py PASSes
  it) -> test_eke_get_after_abandoned_get.py: a 2 MiB share file, a get reset after RSFL
  and after the first DATA frame with the server blocked mid-file (4 KiB receive buffer),
  then two gets of it on a new connection, whole. It catches get-offset-kept too.
- eke1-hex-checked-raw (EKE1's `a` checked as 768 hex digits on the raw payload bytes)
  -> test_eke_handshake_json_spellings.py.
Final: 15 of 15 registered mutants detected (13 blind, judged, + 2 siblings;
test_mutants -k b22eke-: 15 passed); 3 not judged.
"""

from __future__ import annotations

import contextlib
import re
import threading
import unicodedata
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_JUDGED"]

_GROUP = "blind22-eke"


def _server() -> Any:
    return _module("reference.eke.server")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


def _unindent(text: str) -> str:
    """`text` written at the method's indentation in its file, as _patch_source sees it
    (the method's source dedented by one class level)."""
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


# -- lens 1: residue after an aborted request ---------------------------------------------


def _refuse_reusing_seq(stream: Any, frame: Any) -> None:
    """A refusal sealed under the current sequence number, which is left as it was."""
    sealer = stream.channel.sealer
    seq = sealer.sequence
    stream.send(frame)
    sealer.sequence = seq


def _refusal_seq_not_advanced() -> None:
    server = _server()
    server._b22_refuse = _refuse_reusing_seq
    _patch_method(
        server.EkeServer,
        "_serve_get",
        (
            "        except RemoteProtocolError as exc:\n"
            "            stream.send(ErrorFrame(exc.code, exc.message))\n",
            "        except RemoteProtocolError as exc:\n"
            "            _b22_refuse(stream, ErrorFrame(exc.code, exc.message))\n",
        ),
        (
            "                stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "
            '"the file exceeds the size limit"))\n',
            "                _b22_refuse(stream, ErrorFrame(ErrorCode.TOO_LARGE, "
            '"the file exceeds the size limit"))\n',
        ),
    )
    _patch_method(
        server.EkeServer,
        "_begin_put",
        (
            "            stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "
            '"the file exceeds the size limit"))\n',
            "            _b22_refuse(stream, ErrorFrame(ErrorCode.TOO_LARGE, "
            '"the file exceeds the size limit"))\n',
        ),
        (
            "        except RemoteProtocolError as exc:\n"
            "            stream.send(ErrorFrame(exc.code, exc.message))\n",
            "        except RemoteProtocolError as exc:\n"
            "            _b22_refuse(stream, ErrorFrame(exc.code, exc.message))\n",
        ),
    )


class _CachedShared:
    """A share file kept open between gets; rewound when a get completes."""

    def __init__(self, file: Any, size: int) -> None:
        self.file = file
        self.size = size

    def close(self) -> None:
        pass

    def __enter__(self) -> _CachedShared:
        return self

    def __exit__(self, exc_type: Any, *rest: object) -> None:
        if exc_type is None:
            self.file.seek(0)  # ready for the next get


def _get_offset_kept(kind: Any = _CachedShared) -> None:
    share = _share()
    os_mod = _module("os")
    original = share.ShareDirectory.open
    lock = threading.Lock()

    def cached_open(self: Any, name: str) -> Any:
        with lock:
            cache = self.__dict__.setdefault("_b22_open_files", {})
            entry = cache.get(name)
            if entry is not None:
                try:
                    same = os_mod.fstat(entry.file.fileno()).st_size == entry.size
                except OSError:
                    same = False
                if same:
                    return entry
            shared = original(self, name)
            entry = kind(shared.file, shared.size)
            cache[name] = entry
            return entry

    share.ShareDirectory.open = cached_open


class _LockedCachedShared(_CachedShared):
    """The cached file held by one get at a time (concurrent gets wait their turn)."""

    def __init__(self, file: Any, size: int) -> None:
        super().__init__(file, size)
        self.busy = threading.Lock()

    def __enter__(self) -> _CachedShared:
        self.busy.acquire()
        return self

    def __exit__(self, exc_type: Any, *rest: object) -> None:
        try:
            super().__exit__(exc_type, *rest)
        finally:
            self.busy.release()


def _get_offset_kept_locked() -> None:
    _get_offset_kept(_LockedCachedShared)


def _refused_put_data_swallowed() -> None:
    app = _app()
    app.ApplicationConnection._b22_refused_put = False
    _patch_method(
        app.ApplicationConnection,
        "_next_event",
        (
            "        nxt = self._lookup(frame_type)\n        if frame_type == T_DATA:\n",
            "        if frame_type == T_DATA and self.state is R.IDLE and self._b22_refused_put:\n"
            "            nxt = R.IDLE  # sent before the client read our refusal: dropped\n"
            "            self._incoming = _Transfer(1 << 62, None, self._digest_factory)\n"
            "        else:\n"
            "            nxt = self._lookup(frame_type)\n"
            "        if frame_type == T_DATA:\n",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        nxt = self._lookup(frame.type)\n        self._b22_refused_put = False\n",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "send",
        (
            "        if isinstance(event, ErrorFrame):\n"
            "            self._incoming = self._outgoing = None\n",
            "        if isinstance(event, ErrorFrame):\n"
            "            self._b22_refused_put = self.state is R.PUT_REQUESTED\n"
            "            self._incoming = self._outgoing = None\n",
        ),
    )
    _patch_method(
        _server().EkeServer,
        "_serve_records",
        (
            "                    assert partial is not None\n"
            "                    partial.write(event.data)\n",
            "                    if partial is not None:  # else: a refused put's late data\n"
            "                        partial.write(event.data)\n",
        ),
    )


def _put_limit_first_put() -> None:
    _patch_method(
        _server().EkeServer,
        "_begin_put",
        (
            "        partial = self._inbox.begin(target, request.size)\n",
            "        # One writer limit per connection, set by its first put.\n"
            '        limit = stream.__dict__.setdefault("_b22_limit", request.size)\n'
            "        partial = self._inbox.begin(target, limit)\n",
        ),
    )


# -- lens 2: the peer's freedom --------------------------------------------------------------


def _put_frames_counted() -> None:
    app = _app()
    app.ApplicationConnection._b22_frames_left = None
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "        elif isinstance(message, PutRequest):\n",
            "        elif isinstance(message, PutRequest):\n"
            "            # The number of DATA frames the put takes (1 MiB each).\n"
            "            self._b22_frames_left = -(-message.size // MAX_DATA_PAYLOAD)\n",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_next_event",
        (
            "            assert self._incoming is not None\n",
            "            assert self._incoming is not None\n"
            "            if self.role is RESPONDER and self._b22_frames_left is not None:\n"
            "                self._b22_frames_left -= 1\n"
            "                if self._b22_frames_left < 0:\n"
            "                    raise RemoteProtocolError(\n"
            '                        ErrorCode.INTEGRITY_FAILED, "more DATA frames than '
            'announced"\n'
            "                    )\n",
        ),
    )


def _eke1_member_order() -> None:
    _patch_method(
        _handshake().ServerHandshake,
        "_on_eke1",
        (
            '        user = obj["user"]\n',
            '        if list(obj)[:2] != ["user", "a"]:  # user first: its key is looked up\n'
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "
            '"EKE1: user, then a")\n'
            '        user = obj["user"]\n',
        ),
    )


def _eke3_compact_only() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        if frame_type == T_EKE3 and not (\n"
            "            payload.startswith(b'{\"c\":\"') and payload.endswith(b'\"}')\n"
            "        ):\n"
            '            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "EKE3 is {c}")\n'
            "        obj = loads_control(payload)\n",
        ),
    )


def _eke1_hex_checked_raw() -> None:
    handshake = _handshake()
    handshake._b22_raw_a = re.compile(rb'"a"\s*:\s*"[0-9a-f]{768}"')
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        if frame_type == T_EKE1 and not _b22_raw_a.search(payload):\n"
            "            # FRM-12 on the bytes: 768 lowercase hex digits, nothing else.\n"
            '            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "EKE1: a is not hex")\n'
            "        obj = loads_control(payload)\n",
        ),
    )


# -- lens 3: check-then-act between sessions ----------------------------------------------


def _pending_counted_toward_user_lock() -> None:
    _patch_method(
        _throttle().Throttle,
        "retry_after",
        (
            '            waits = [self._wait(("user", user), now), '
            'self._wait(("addr", address), now)]\n',
            '            waits = [self._wait(("user", user), now), '
            'self._wait(("addr", address), now)]\n'
            "            # Guesses in flight are spent guesses: count them now, not when\n"
            "            # they fail (no window between this check and the booking).\n"
            '            entry = self._live(("user", user), now)\n'
            '            held = self._pending.get(("user", user), 0)\n'
            "            if held and (entry.failures if entry else 0) + held >= "
            "self.config.failures:\n"
            "                waits.append(float(self.config.base))\n",
        ),
    )


# -- lens 4: two spellings of one value -----------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _th_user_nfc() -> None:
    handshake = _handshake()
    handshake._b22_nfc = _nfc
    _patch_method(
        handshake.ServerHandshake,
        "accept",
        (
            "        self._th = crypto.transcript_hash(self.user, self._a, b)\n",
            "        self._th = crypto.transcript_hash(_b22_nfc(self.user), self._a, b)\n",
        ),
    )


_RAW_USER = re.compile(rb'"user"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _raw_user(hs: Any) -> str | None:
    raw = getattr(hs, "_b22_raw_eke1", None)
    if raw is None:
        return None
    match = _RAW_USER.search(raw)
    return match.group(1).decode("utf-8", "replace") if match else None


def _throttle_key_raw_json() -> None:
    handshake = _handshake()
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        if frame_type == T_EKE1:\n"
            "            self._b22_raw_eke1 = payload  # the user's token, for the throttle\n"
            "        obj = loads_control(payload)\n",
        ),
    )
    server = _server()
    server._b22_raw_user = _raw_user
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "            if isinstance(event, LoginAttempt):\n"
            "                wait = self.throttle.retry_after(event.user, address)\n",
            "            if isinstance(event, LoginAttempt):\n"
            "                key = _b22_raw_user(hs) or event.user\n"
            "                wait = self.throttle.retry_after(key, address)\n",
        ),
        (
            "                if not self.throttle.begin(event.user, address):\n",
            "                if not self.throttle.begin(key, address):\n",
        ),
        (
            "                attempted.append(event.user)\n",
            "                attempted.append(key)\n",
        ),
        (
            "        self.throttle.succeeded(established.user, address)\n"
            "        self.throttle.end(established.user, address)\n",
            "        self.throttle.succeeded(attempted[0], address)\n"
            "        self.throttle.end(attempted[0], address)\n",
        ),
    )


# -- lens 5: half-done actions ---------------------------------------------------------------


def _throttle_write_behind() -> None:
    tables = _throttle()._FailureTables

    def flusher(owner: Any) -> None:
        stop = threading.Event()
        while not stop.wait(5.0):
            queue = owner.__dict__.get("_b22_queue", [])
            batch, queue[:] = list(queue), []
            db = owner._db
            if db is None:
                return
            for row in batch:
                with contextlib.suppress(Exception):  # the flusher never dies
                    db.execute(
                        "INSERT OR REPLACE INTO failures (kind, key, failures, last) "
                        "VALUES (?, ?, ?, ?)",
                        row,
                    )

    def setitem(self: Any, key: tuple[str, str], entry: Any) -> None:
        self._tables[key[0]][key[1]] = entry
        if self._db is not None:
            # Written behind, in batches: one SQLite write per 5 s, not per failure.
            self.__dict__.setdefault("_b22_queue", []).append(
                (key[0], key[1], entry.failures, entry.last)
            )
            if "_b22_flusher" not in self.__dict__:
                thread = threading.Thread(target=flusher, args=(self,), daemon=True)
                self.__dict__["_b22_flusher"] = thread
                thread.start()

    tables.__setitem__ = setitem


def _putf_digest_after_commit() -> None:
    app = _app()
    app.ApplicationConnection._b22_announced = None
    _patch_method(
        app._Transfer,
        "check_done",
        (
            "        if self.expected_sha256 is not None and self.expected_sha256 != sha:\n"
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.INTEGRITY_FAILED, "SHA-256 differs from the one '
            'announced"\n'
            "            )\n",
            "",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "                assert self._incoming is not None\n"
            "                self._incoming.check_done(message)\n",
            "                assert self._incoming is not None\n"
            "                self._b22_announced = self._incoming.expected_sha256\n"
            "                self._incoming.check_done(message)\n",
        ),
    )
    _patch_method(
        _server().EkeServer,
        "_finish_put",
        (
            "        stream.send(stream.app.stored_done())\n",
            "        # The announced digest, checked once the file is safe on disk.\n"
            "        announced = stream.app._b22_announced\n"
            "        if announced is not None and announced != stream.app.stored_done().sha256:\n"
            "            stream.send(\n"
            "                ErrorFrame(ErrorCode.INTEGRITY_FAILED, "
            '"SHA-256 differs from the one announced")\n'
            "            )\n"
            '            return "refused integrity_failed"\n'
            "        stream.send(stream.app.stored_done())\n",
        ),
    )


# -- lens 6: reflection and role confusion -------------------------------------------------


def _peer_eror_keeps_idle() -> None:
    app = _app()
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "            self.state = nxt if not message.fatal else self._closed()\n",
            "            # A refusal returns to IDLE, whoever sent it (ERR-3).\n"
            "            self.state = (\n"
            "                (R.IDLE if self.state is R.IDLE else nxt)\n"
            "                if not message.fatal\n"
            "                else self._closed()\n"
            "            )\n",
        ),
    )
    _patch_method(
        _server().EkeServer,
        "_serve_records",
        (
            "                if event is CLOSED or isinstance(event, ErrorFrame):\n",
            "                if event is CLOSED or isinstance(event, ErrorFrame) "
            "and event.fatal:\n",
        ),
    )


def _eke4_sealed_kcc() -> None:
    _patch_method(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "        c4 = crypto.seal_confirm(self._keys.kcs, 4,",
            "        c4 = crypto.seal_confirm(self._keys.kcc, 4,",
        ),
    )


def _c4_own_ns() -> None:
    _patch_method(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "        c4 = crypto.seal_confirm(self._keys.kcs, 4, plain[: crypto.NONCE_LEN], "
            "self._th)\n",
            "        c4 = crypto.seal_confirm(self._keys.kcs, 4, self._ns, self._th)\n",
        ),
    )


def _get_receipt_accepted() -> None:
    app = _app()
    app.ApplicationConnection._b22_sent_get = False
    _patch_method(
        app.ApplicationConnection,
        "_lookup",
        (
            "        nxt = _TRANSITIONS.get((self.state, frame_type))\n",
            "        nxt = _TRANSITIONS.get((self.state, frame_type))\n"
            "        if nxt is None and frame_type == T_DONE and self._b22_sent_get:\n"
            "            nxt = R.IDLE  # the client's receipt of the get we sent\n",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "        elif isinstance(message, Done):\n            if self.state is I.DONE_SENT:\n",
            "        elif isinstance(message, Done) and self.state is R.IDLE:\n"
            "            self._b22_sent_get = False\n"
            "        elif isinstance(message, Done):\n"
            "            if self.state is I.DONE_SENT:\n",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "send",
        (
            "                if self.role is RESPONDER:\n"
            "                    self._outgoing = None\n",
            "                if self.role is RESPONDER:\n"
            "                    self._outgoing = None\n"
            "                    self._b22_sent_get = True\n",
        ),
    )
    _patch_method(
        _server().EkeServer,
        "_serve_records",
        (
            "                elif isinstance(event, Done):\n"
            "                    assert partial is not None\n",
            "                elif isinstance(event, Done) and partial is None:\n"
            "                    pass  # the client acknowledged our get\n"
            "                elif isinstance(event, Done):\n"
            "                    assert partial is not None\n",
        ),
    )


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        strict=strict,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b22eke-refusal-seq-not-advanced",
        "EKE-REC-2",
        "test_eke_records.py",
        "L1: a non-fatal refusal is sealed by a reply helper that does not advance the send"
        " sequence number: the record answering the next request reuses its nonce",
        _refusal_seq_not_advanced,
    ),
    _m(
        "b22eke-get-offset-kept",
        "APP-GET-2",
        "test_app_get_concurrent.py",
        "L1: share files stay open in a server-wide cache, rewound only when a get completes:"
        " a get cut mid-way leaves the offset, the next get of the file starts in the middle",
        _get_offset_kept,
    ),
    _m(
        "b22eke-get-offset-kept-locked",
        "APP-GET-2",
        "test_eke_get_after_abandoned_get.py",
        "(post-blind sibling) L1: as get-offset-kept, the cached file held by one get at a"
        " time (concurrent gets serialised, never mixed): only an abandoned get leaves its"
        " offset to the next get of the file",
        _get_offset_kept_locked,
    ),
    _m(
        "b22eke-refused-put-data-swallowed",
        "FRM-6",
        "test_app_refused_put_followers.py",
        "L1: after a refused PUTF, DATA frames are dropped until the next request (sent before"
        " the refusal was read): a DATA in IDLE is not unexpected_frame",
        _refused_put_data_swallowed,
    ),
    _m(
        "b22eke-put-limit-first-put",
        "APP-PUT-5",
        "test_app_put_growing_sequence.py",
        "L1: the writer's size limit is set by the connection's first put: a later, larger put"
        " on the same connection fails integrity_failed",
        _put_limit_first_put,
    ),
    # lens 2
    _m(
        "b22eke-put-frames-counted",
        "APP-PUT-5",
        "test_app_put.py",
        "L2: a put's DATA frames counted, ceil(size / 1 MiB) of them: a client sending"
        " smaller frames is cut off integrity_failed",
        _put_frames_counted,
    ),
    _m(
        "b22eke-eke1-member-order",
        "EKE-HS-2",
        "test_eke_handshake_json_spellings.py",
        "L2: EKE1 must list user before a (a streaming reader starts the key lookup on user):"
        " {a, user} is bad_frame",
        _eke1_member_order,
    ),
    _m(
        "b22eke-eke3-compact-only",
        "EKE-HS-6",
        "test_eke_handshake_json_spellings.py",
        'L2: EKE3\'s payload must be the compact {"c":"..."}: a valid EKE3 with white space is'
        " bad_frame",
        _eke3_compact_only,
    ),
    _m(
        "b22eke-eke1-hex-checked-raw",
        "EKE-HS-2",
        "test_eke_handshake_json_spellings.py",
        "(post-blind sibling) L2: EKE1's a checked as 768 lowercase hex digits on the raw"
        " payload bytes: a digit written as a JSON escape (\\u0030) is bad_frame",
        _eke1_hex_checked_raw,
    ),
    # lens 3
    _m(
        "b22eke-pending-counted-toward-user-lock",
        "EKE-THR-5",
        "test_eke_pending_beside_success.py",
        "L3: a user name's pending handshakes are added to its failures for the throttle"
        " decision: N-1 failures and one login in flight make the next EKE1 throttled",
        _pending_counted_toward_user_lock,
    ),
    # lens 4
    _m(
        "b22eke-throttle-key-raw-json",
        "EKE-THR-1",
        "test_eke_user_spellings.py",
        "L4: the throttle keys a user name by its raw JSON token, escapes undecoded:"
        " \\u0061lice and alice are counted apart",
        _throttle_key_raw_json,
    ),
    # lens 5
    _m(
        "b22eke-throttle-write-behind",
        "EKE-THR-8",
        "test_eke_restart.py",
        "L5: failure counts reach SQLite through a write-behind queue flushed every 5 s: a"
        " restart within it loses them",
        _throttle_write_behind,
    ),
    _m(
        "b22eke-putf-digest-after-commit",
        "APP-PUT-5",
        "test_eke_put_digests.py",
        "L5: PUTF.sha256 compared after the commit: a mismatch is answered integrity_failed"
        " but the file stays under its final name",
        _putf_digest_after_commit,
    ),
    # lens 6
    _m(
        "b22eke-peer-eror-keeps-idle",
        "ERR-3",
        "test_app_eror_from_initiator.py",
        "L6: the responder applies the initiator's rule to an EROR it receives: a non-fatal"
        " one returns to IDLE instead of closing",
        _peer_eror_keeps_idle,
    ),
    _m(
        "b22eke-get-receipt-accepted",
        "APP-1",
        "test_eke_stray_frames.py",
        "L6: a DONE from the client right after a get is taken as its receipt (the mirror of"
        " a put's) and dropped, not unexpected_frame",
        _get_receipt_accepted,
    ),
    _m(
        "b22eke-eke4-sealed-kcc",
        "EKE-KS-4",
        "test_eke_records.py",
        "L6: C4 sealed under Kcc, the client's confirmation key",
        _eke4_sealed_kcc,
    ),
    _m(
        "b22eke-c4-own-ns",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "L6: C4 carries the server's own Ns instead of the client's Na",
        _c4_own_ns,
    ),
    _m(
        "b22eke-th-user-nfc",
        "EKE-KS-1",
        "test_eke_handshake.py",
        "L4: the server's transcript hash takes the NFC form of the user name: an account"
        " whose name is not NFC cannot log in",
        _th_user_nfc,
    ),
)

NOT_JUDGED: tuple[Mutant, ...] = ()
