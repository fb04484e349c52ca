"""Blind red-team round 8: the sft-eke/1 SERVER, through four lenses.

Written from docs/SPEC.md and the reference's server code only, before reading the
suite's cases. Lenses: (1) the SECOND use of something; (2) two correct steps in the
wrong order; (3) a value right in the common case, wrong at a rarely produced edge;
(4) a check done on a copy while the original is used.

Records and transfers on one connection (lens 1)
- b8eke-rec2-send-seq-reset-at-done  the server's send sequence restarts at 0 after every
  DONE it sends (the buffer release also "resets the sealer"): nonce reuse, the second
  transfer's records fail at the client
- b8eke-rec2-recv-seq-reset-at-done  the server's receive sequence restarts at 0 after a
  transfer: the client's next request (seq k) does not authenticate, the server closes
- b8eke-get2-digest-reused           one SHA-256 object per connection: the second get's
  DONE carries SHA-256(first file ‖ second file)
Throttling (lenses 1 and 2)
- b8eke-thr6-block-expiry-resets     when a block expires the count drops to N-1: every
  later failure blocks for `base` again, never doubles (second block)
- b8eke-thr8-insert-only             the throttle table is written INSERT OR IGNORE: the
  database keeps the FIRST failure's count, a restart finds 1
- b8eke-thr7-success-slot-leak       a successful handshake never releases its pending
  slot: the fifth login of a user (ninth from an address) is `busy` forever
- b8eke-thr6-throttled-counts        a throttled EKE1 is counted as a failure (count,
  then check): every refused try extends the block
- b8eke-thr7-slot-before-check       the pending slot is reserved before the throttle
  check and a throttled refusal never releases it: after a block the user stays `busy`
- b8eke-thr5-count-deferred          the failure is counted after the FIN, by a deferred
  job (a slow store write first): an immediate retry finds it uncounted
Puts and gets (lenses 2 and 3)
- b8eke-put5-done-before-commit      the put's DONE is sent, then the file committed
  (reply then record); a lost race is reported after DONE
- b8eke-get2-empty-data-at-multiple  a get of a file whose size is a non-zero multiple of
  1 MiB ends with an empty DATA frame (loop until read() returns b"")
- b8eke-get2-empty-data-zero-file    a get of a 0-byte file sends one empty DATA frame
- b8eke-put5-zero-byte-not-stored    a 0-byte put is answered DONE but no file is created
  (the file is only created on the first DATA)
- b8eke-frm13-1mib-data-refused      a DATA of exactly 1 048 576 bytes refused (`<`)
- b8eke-rec6-exact-limit-refused     a RECD of exactly the frame limit refused (`>=`)
- b8eke-name1-255-refused            a 255-byte name component refused (`>=`)
- b8eke-name1-component-chars        the 255 limit counted in characters: a 256-byte
  component of 2-byte characters passes the check (the OS then fails: internal error)
Handshake (lenses 3 and 4)
- b8eke-hs3-user-escaped-length      the 64-byte limit checked on the JSON-escaped copy of
  the name: a valid 64-byte name of 2-byte characters answered `bad_frame`
- b8eke-pw4-lookup-nfc               the account lookup uses an NFC-normalised copy of the
  name: the NFD spelling of an account's name gets that account's pw
- b8eke-frm4-trailing-dropped        bytes after EKE3 in the same read (a pipelined first
  record) are dropped with the handshake's buffer
- b8eke-lim4-established-leak        a finished established connection never frees its
  slot: after max_connections sessions every connection is refused `busy`
Blind measure (in the files first named): 12 of 21. Re-targeted after it, to where the
suite already judged the requirement: the two name mutants (test_app_put.py ->
test_app_names.py) and frm4 (test_eke_records.py -> test_eke_handshake.py), caught
there; lim4 and thr7-slot-before-check moved to the new test_eke_second_use.py.
Written AFTER the blind measure, to check that the phase-2 cases catch the class (not
counted in the blind figure)
- b8eke-pw4-lookup-casefold          the account lookup is case-insensitive (a lower-cased copy)
- b8eke-hs3-user-nfd-length          the 64-byte limit measured on the NFD form of the name
- b8eke-rec6-limit-minus-tag         the record limit is the frame limit less the 16-byte tag
- b8eke-lim4-leak-unless-bye         an established connection frees its slot only when it
  ended with BYE_ (a client's close or a forged record keeps it)
"""

from __future__ import annotations

import hashlib
import json
import threading
import unicodedata
from typing import Any

from conformance.selftest.mutant import Mutant, _module

_GROUP = "blind8-eke"


def _cr() -> Any:
    return _module("reference.eke.crypto")


def _srv() -> Any:
    return _module("reference.eke.server")


def _thr() -> Any:
    return _module("reference.eke.throttle")


def _app() -> Any:
    return _module("reference.app")


# --- records and transfers on one connection ------------------------------------------


def _rec2_send_seq_reset() -> None:
    cr = _cr()
    original = cr.RecordSealer.release_buffers

    def release_buffers(self: Any) -> None:
        original(self)
        self.sequence = 0  # "a fresh start for the next transfer"

    cr.RecordSealer.release_buffers = release_buffers


def _rec2_recv_seq_reset() -> None:
    cr = _cr()
    original = cr.RecordOpener.release_buffers

    def release_buffers(self: Any) -> None:
        original(self)
        self.sequence = 0

    cr.RecordOpener.release_buffers = release_buffers


def _get2_digest_reused() -> None:
    app = _app()
    original = app.ApplicationConnection.__init__

    def init(self: Any, role: Any, config: Any = None, **kwargs: Any) -> None:
        shared = hashlib.sha256()  # one hash object per connection, never renewed
        kwargs["digest_factory"] = lambda: shared
        original(self, role, config, **kwargs)

    app.ApplicationConnection.__init__ = init


# --- throttling ---------------------------------------------------------------------------


def _thr6_block_expiry_resets() -> None:
    thr = _thr()
    original = thr.Throttle._wait

    def wait(self: Any, key: tuple[str, str], now: float) -> float:
        result: float = original(self, key, now)
        entry = self._entries.get(key)
        if (
            result <= 0
            and entry is not None
            and entry.failures >= self.config.failures
            and not self._hard_locked(key, entry)
        ):
            entry.failures = self.config.failures - 1  # the block is over: start again
        return result

    thr.Throttle._wait = wait


def _thr8_insert_only() -> None:
    thr = _thr()
    original = thr._FailureTables.__setitem__

    def setitem(self: Any, key: tuple[str, str], entry: Any) -> None:
        db = self._db
        self._db = None
        try:
            original(self, key, entry)
        finally:
            self._db = db
        if db is not None:
            db.execute(
                "INSERT OR IGNORE INTO failures (kind, key, failures, last) VALUES (?, ?, ?, ?)",
                (key[0], key[1], entry.failures, entry.last),
            )

    thr._FailureTables.__setitem__ = setitem


def _thr7_success_slot_leak() -> None:
    thr = _thr()
    real_end = thr.Throttle.end
    real_succeeded = thr.Throttle.succeeded
    flag = threading.local()

    def succeeded(self: Any, user: str, address: str) -> None:
        flag.success = True
        real_succeeded(self, user, address)

    def end(self: Any, user: str, address: str) -> None:
        if getattr(flag, "success", False):
            flag.success = False
            return  # the success path forgot to release its slot
        real_end(self, user, address)

    thr.Throttle.succeeded = succeeded
    thr.Throttle.end = end


def _thr6_throttled_counts() -> None:
    thr = _thr()
    original = thr.Throttle.retry_after

    def retry_after(self: Any, user: str, address: str) -> Any:
        wait = original(self, user, address)
        if wait is not None:
            self.failed(user, address)  # a refused try is a try
        return wait

    thr.Throttle.retry_after = retry_after


def _thr7_slot_before_check() -> None:
    thr = _thr()
    original = thr.Throttle.retry_after
    original_begin = thr.Throttle.begin
    reserved = threading.local()

    def retry_after(self: Any, user: str, address: str) -> Any:
        reserved.ok = original_begin(self, user, address)  # reserve first
        wait = original(self, user, address)
        if wait is not None:
            return wait  # refused: the reserved slot is never given back
        return wait

    def begin(self: Any, user: str, address: str) -> bool:
        ok = getattr(reserved, "ok", None)
        reserved.ok = None
        if ok is None:
            result: bool = original_begin(self, user, address)
            return result
        return bool(ok)

    thr.Throttle.retry_after = retry_after
    thr.Throttle.begin = begin


def _thr5_count_deferred() -> None:
    thr = _thr()
    original = thr.Throttle.failed

    def failed(self: Any, user: str, address: str) -> None:
        timer = threading.Timer(0.3, original, args=(self, user, address))
        timer.daemon = True
        timer.start()

    thr.Throttle.failed = failed


# --- puts and gets ------------------------------------------------------------------------


def _put5_done_before_commit() -> None:
    srv = _srv()

    def finish_put(self: Any, stream: Any, partial: Any) -> str:
        stream.send(stream.app.stored_done())
        try:
            partial.commit()
        except Exception:  # the client already has its DONE
            return "refused exists"
        return "stored"

    srv.EkeServer._finish_put = finish_put


def _empty_data_after_get(condition: Any) -> None:
    srv = _srv()
    original = srv.EkeServer._serve_get

    def serve_get(self: Any, stream: Any, name: str) -> str:
        sent: list[int] = []
        real_chunk = stream.send_file_chunk
        real_send = stream.send

        def chunk(file: Any, limit: int) -> int:
            n: int = real_chunk(file, limit)
            sent.append(n)
            return n

        def send(message: Any) -> None:
            messages = _module("reference.messages")
            if isinstance(message, messages.FileResponse):
                sent.clear()
                real_send(message)
                if condition(message.size):
                    # a do-while read loop: an empty read is sent before it stops
                    if message.size == 0:
                        stream.sock.sendall(stream.channel.seal(b"DATA\x00\x00\x00\x00"))
                return
            if isinstance(message, messages.Done) and sent and condition(sum(sent)):
                stream.sock.sendall(stream.channel.seal(b"DATA\x00\x00\x00\x00"))
            real_send(message)

        stream.send_file_chunk = chunk
        stream.send = send
        try:
            result: str = original(self, stream, name)
        finally:
            del stream.send_file_chunk, stream.send
        return result

    srv.EkeServer._serve_get = serve_get


def _get2_empty_data_at_multiple() -> None:
    _empty_data_after_get(lambda size: size > 0 and size % (1024 * 1024) == 0)


def _get2_empty_data_zero_file() -> None:
    _empty_data_after_get(lambda size: size == 0)


def _put5_zero_byte_not_stored() -> None:
    share = _module("reference.share")
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if self.written == 0 and self.limit == 0:
            self.abort()  # nothing was written: nothing to store
            return
        original(self, overwrite=overwrite)

    share.PartialFile.commit = commit


def _frm13_1mib_refused() -> None:
    app = _app()
    original = app.ApplicationConnection._check_header

    def check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type == b"DATA" and length >= app.MAX_DATA_PAYLOAD:
            raise _module("reference.errors").RemoteProtocolError(
                _module("reference.errors").ErrorCode.BAD_FRAME, "DATA too long"
            )
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    app.ApplicationConnection._check_header = staticmethod(check_header)


def _rec6_exact_limit_refused() -> None:
    records = _module("reference.eke.records")
    original = records.RecordReader.__init__

    def init(self: Any, opener: Any, max_record: int = records.DEFAULT_MAX_PAYLOAD) -> None:
        original(self, opener, max_record)
        self.max_record = max_record - 1  # "less than the limit"

    records.RecordReader.__init__ = init


def _name1_255_refused() -> None:
    share = _module("reference.share")
    share.MAX_COMPONENT_BYTES = 254  # "fewer than 255"


def _name1_component_chars() -> None:
    share = _module("reference.share")
    original = share.check_name
    share.MAX_COMPONENT_BYTES = 1 << 30  # the byte rule replaced by a character rule

    def check_name(name: str) -> list[str]:
        parts: list[str] = original(name)
        if any(len(part) > 255 for part in parts):
            raise share.NameRefused("a name component must be at most 255 characters")
        return parts

    share.check_name = check_name


# --- handshake ----------------------------------------------------------------------------


def _hs3_user_escaped_length() -> None:
    cr = _cr()
    original = cr.check_user_name

    def check_user_name(user: str) -> bytes:
        raw: bytes = original(user)
        if len(json.dumps(user)) - 2 > cr.MAX_USER_BYTES:  # the escaped copy measured
            raise ValueError(f"user name must be 1 to {cr.MAX_USER_BYTES} UTF-8 bytes")
        return raw

    cr.check_user_name = check_user_name


def _pw4_lookup_nfc() -> None:
    store = _module("reference.eke.store")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        result: bytes = original(self, unicodedata.normalize("NFC", name))
        return result

    store.PasswordStore.key_for = key_for


def _frm4_trailing_dropped() -> None:
    hs = _module("reference.eke.handshake")
    original = hs._Handshake.trailing_data

    def trailing_data(self: Any) -> bytes:
        original(self)
        return b""

    hs._Handshake.trailing_data = trailing_data


def _lim4_established_leak() -> None:
    adm = _module("reference.admission")
    original = adm.Admission.release

    def release(self: Any, key: int) -> None:
        if key in self._established:
            return  # only pending connections were thought to need freeing
        original(self, key)

    adm.Admission.release = release


def _pw4_lookup_casefold() -> None:
    store = _module("reference.eke.store")
    original = store.PasswordStore.key_for

    def key_for(self: Any, name: str) -> bytes:
        result: bytes = original(self, name.lower())
        return result

    store.PasswordStore.key_for = key_for


def _hs3_user_nfd_length() -> None:
    cr = _cr()
    original = cr.check_user_name

    def check_user_name(user: str) -> bytes:
        raw: bytes = original(user)
        if len(unicodedata.normalize("NFD", user).encode("utf-8")) > cr.MAX_USER_BYTES:
            raise ValueError(f"user name must be 1 to {cr.MAX_USER_BYTES} UTF-8 bytes")
        return raw

    cr.check_user_name = check_user_name


def _rec6_limit_minus_tag() -> None:
    records = _module("reference.eke.records")
    original = records.RecordReader.__init__

    def init(self: Any, opener: Any, max_record: int = records.DEFAULT_MAX_PAYLOAD) -> None:
        original(self, opener, max_record)
        self.max_record = max_record - 16  # "the ciphertext must fit the frame limit"

    records.RecordReader.__init__ = init


def _lim4_leak_unless_bye() -> None:
    srv, adm = _srv(), _module("reference.admission")
    original_close, original_release = srv.close_gracefully, adm.Admission.release
    said_bye = threading.local()

    def close_gracefully(sock: Any, linger: float, **kwargs: Any) -> None:
        said_bye.flag = True
        original_close(sock, linger, **kwargs)

    def release(self: Any, key: int) -> None:
        if key in self._established and not getattr(said_bye, "flag", False):
            return  # only the BYE_ path was thought to end a session
        said_bye.flag = False
        original_release(self, key)

    srv.close_gracefully = close_gracefully
    adm.Admission.release = release


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b8eke-{name}",
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m("rec2-send-seq-reset-at-done", "EKE-REC-2", "test_eke_records.py",
       "the server's send sequence restarts at 0 after each DONE it sends",
       _rec2_send_seq_reset),
    _m("rec2-recv-seq-reset-at-done", "EKE-REC-2", "test_eke_records.py",
       "the server's receive sequence restarts at 0 after each transfer",
       _rec2_recv_seq_reset),
    _m("get2-digest-reused", "APP-GET-2", "test_app_get.py",
       "one SHA-256 object per connection: the second get's DONE hashes both files",
       _get2_digest_reused),
    _m("thr6-block-expiry-resets", "EKE-THR-6", "test_eke_throttling.py",
       "an expired block drops the count to N-1: the backoff never doubles",
       _thr6_block_expiry_resets),
    _m("thr8-insert-only", "EKE-THR-8", "test_eke_restart.py",
       "the failure table is written INSERT OR IGNORE: a restart finds the first count",
       _thr8_insert_only),
    _m("thr7-success-slot-leak", "EKE-THR-7", "test_eke_throttling.py",
       "a successful handshake never releases its pending slot",
       _thr7_success_slot_leak),
    _m("thr6-throttled-counts", "EKE-THR-6", "test_eke_throttling.py",
       "a throttled EKE1 counts as a failure: each refused try extends the block",
       _thr6_throttled_counts),
    _m("thr7-slot-before-check", "EKE-THR-7", "test_eke_second_use.py",
       "the pending slot is reserved before the throttle check; a throttled refusal "
       "never frees it", _thr7_slot_before_check),
    _m("thr5-count-deferred", "EKE-THR-5", "test_eke_throttling.py",
       "a failure is counted 0.3 s after the FIN (a deferred job)",
       _thr5_count_deferred),
    _m("put5-done-before-commit", "APP-PUT-5", "test_app_put.py",
       "the put's DONE goes out before the file is committed",
       _put5_done_before_commit),
    _m("get2-empty-data-at-multiple", "FRM-13", "test_app_get.py",
       "a get of a non-zero multiple of 1 MiB ends with an empty DATA",
       _get2_empty_data_at_multiple),
    _m("get2-empty-data-zero-file", "FRM-13", "test_app_get.py",
       "a get of a 0-byte file sends one empty DATA",
       _get2_empty_data_zero_file),
    _m("put5-zero-byte-not-stored", "APP-PUT-5", "test_app_put.py",
       "a 0-byte put is answered DONE, but no file is created",
       _put5_zero_byte_not_stored),
    _m("frm13-1mib-data-refused", "FRM-13", "test_app_put.py",
       "a DATA of exactly 1 MiB refused bad_frame (off by one)",
       _frm13_1mib_refused),
    _m("rec6-exact-limit-refused", "EKE-REC-6", "test_eke_records.py",
       "a RECD of exactly the frame limit refused frame_too_large (off by one)",
       _rec6_exact_limit_refused),
    _m("name1-255-refused", "APP-NAME-1", "test_app_names.py",
       "a name component of exactly 255 bytes refused forbidden (off by one)",
       _name1_255_refused),
    _m("name1-component-chars", "APP-NAME-1", "test_app_names.py",
       "the 255 component limit counted in characters, not bytes",
       _name1_component_chars),
    _m("hs3-user-escaped-length", "EKE-HS-3", "test_eke_user_names_invalid.py",
       "the 64-byte user name limit measured on the JSON-escaped copy",
       _hs3_user_escaped_length),
    _m("pw4-lookup-nfc", "EKE-PW-4", "test_eke_user_names_invalid.py",
       "the account lookup uses an NFC-normalised copy of the user name",
       _pw4_lookup_nfc),
    _m("frm4-trailing-dropped", "FRM-4", "test_eke_handshake.py",
       "records pipelined behind EKE3 are dropped with the handshake buffer",
       _frm4_trailing_dropped),
    _m("lim4-established-leak", "LIM-4", "test_eke_second_use.py",
       "an ended established connection never frees its admission slot",
       _lim4_established_leak),
    # Written after the blind measure (see the module docstring).
    _m("pw4-lookup-casefold", "EKE-PW-4", "test_eke_user_names_invalid.py",
       "the account lookup uses a lower-cased copy of the user name",
       _pw4_lookup_casefold),
    _m("hs3-user-nfd-length", "EKE-HS-3", "test_eke_user_names_invalid.py",
       "the 64-byte user name limit measured on the NFD form",
       _hs3_user_nfd_length),
    _m("rec6-limit-minus-tag", "EKE-REC-6", "test_eke_records.py",
       "the record limit is the frame limit less the 16-byte tag",
       _rec6_limit_minus_tag),
    _m("lim4-leak-unless-bye", "LIM-4", "test_eke_second_use.py",
       "an established connection frees its slot only on the BYE_ path",
       _lim4_leak_unless_bye),
)
