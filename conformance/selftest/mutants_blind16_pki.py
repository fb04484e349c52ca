"""Blind red-team round 16 (helper B80): the sft-pki/1 RESPONDER and the application
protocol it serves (get, put, names, storage, ending), through the six lenses of round 16.

Phase 1 (blind): written from docs/SPEC.md (§0-§4.3, §6) and the reference's responder
code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, frames.py, share.py,
transfer.py, admission.py, closing.py, messages.py) before any case file or independent
implementation was opened. A first list of 24 was checked against the registered mutants'
names and descriptions; 14 repeated a registered idea (PUTF size in a u32, limit in KiB,
signed frame lengths, digest per connection, PUTF sha256 carried, allow list cached per
address or for puts only, policy built with the default size, trailing JSON bytes,
per-connection deadlines for a put, no idle timeout in a put, the responder's start time
as the clock, revocation cached per alias, the race loser closing, a UTF-8 BOM (which
RFC 8259 lets a parser ignore: not a violation)) and were replaced by the ones marked (r),
written the same way before any case was read. 21 were measured; 3 were dropped after
the blind run (below).

Lens 1 — units and widths:
  b16pki-name-limit-escaped (r)     the 4096-byte name limit measured on the JSON-escaped
                                    text (`\\u00e9` is 6 bytes): a valid non-ASCII name of
                                    1 500 bytes is refused `forbidden`
  b16pki-drive-letter-any-alpha (r) the drive-letter rule uses Unicode isalpha(): `é:x`,
                                    `ж:notes` refused `forbidden`
  b16pki-bidi-control-property (r)  the bidi rule refuses the whole Unicode Bidi_Control
                                    property (U+061C, U+200E, U+200F too), wider than
                                    APP-NAME-8's ranges (a put of such a name: APP-PUT-2)
  b16pki-put-size-block-overflow (r) the size limit compares the size rounded up to 4 KiB
                                    blocks in a signed 64-bit integer: sizes within 4 KiB
                                    of 2^63 wrap negative and are accepted
Lens 2 — the second time:
  b16pki-validity-memoised (r)      validity dates checked by the application (library
                                    time check off) once per certificate and remembered:
                                    a certificate seen valid once is accepted after expiry
  b16pki-existing-names-memoised (r) names found existing in the inbox (or stored) are
                                    remembered: once removed from the inbox, a put of the
                                    name is still refused `exists` (APP-PUT-1, ERR-2)
  (dropped) start-sweep-aged (r)    at start the responder sweeps only `.sft-partial-*`
                                    files older than 10 minutes
Lens 3 — configuration honoured:
  b16pki-reload-drops-alpn (r)      the context rebuilt at each CRL refresh has no ALPN:
                                    after the first refresh every honest initiator is
                                    refused
  b16pki-get-limit-default (r)      the get path compares the file with the default 4 GiB,
                                    not the configured maximum file size
  b16pki-send-timeout-default (r)   the send timeout of a get is its own 60 s default,
                                    not the configured idle timeout
  (dropped) idle-is-handshake-timeout (r) the socket keeps the handshake timeout after
                                    the handshake
Lens 4 — the error path's own errors:
  b16pki-enotdir-internal (r)       open errors other than ENOENT/ELOOP/EACCES are
                                    `internal` (fatal): `file.txt/x` (ENOTDIR) ends the
                                    connection instead of `not_found`
  b16pki-exists-commit-temp-kept (r) the commit marks itself done before the link: a put
                                    refused `exists` at DONE leaves its temporary
  b16pki-eror-midput-temp-kept (r)  a put the initiator aborts with EROR keeps its
                                    temporary ("for a retry")
  b16pki-excess-answered-too-large (r) DATA beyond the announced size answered `too_large`
                                    (a non-fatal code) instead of `integrity_failed`
Lens 5 — layer boundaries:
  b16pki-json-bytes-autodetect (r)  control payloads handed to json.loads as bytes: UTF-16
                                    and UTF-32 payloads are detected and accepted
  b16pki-json-cstring (r)           the control payload is read as a C string: bytes from
                                    the first NUL on are ignored
  b16pki-inbox-per-alias (r)        puts are stored under inbox/<peer alias>/, not in the
                                    inbox itself
Lens 6 — time:
  (dropped) get-sendall-one-deadline (r) a get sent under one deadline of the idle timeout
                                    (a total sendall timeout)
  b16pki-frame-read-deadline (r)    each frame must arrive whole within the idle timeout of
                                    its first byte (wait_for(readexactly)): a DATA frame
                                    trickling in steadily is cut
  b16pki-validity-local-zone (r)    validity compared with naive local time of a UTC+2
                                    zone: a certificate valid from an hour from now passes

Blind result: 10 of 21 detected in the file first named (put-size-block-overflow,
validity-memoised, get-limit-default, send-timeout-default, enotdir-internal,
eror-midput-temp-kept, excess-answered-too-large, inbox-per-alias, frame-read-deadline,
validity-local-zone). Run against every other case file citing the same requirement, 4
more were caught by existing cases (test_file now names the first three):
exists-commit-temp-kept (test_app_put_visibility.py's race loser), json-cstring
(test_app_control_bytes.py), name-limit-escaped (test_interop_escaped_names.py's escaped
names at 4096 bytes), and reload-drops-alpn only incidentally (test_pki_tls.py's
honest-handshake cases, because they happen to run after the embedded responder's first
2 s CRL refresh).
Dropped after the blind run, as not observable here:
- idle-is-handshake-timeout: the embedded limits (handshake 2 s, idle 1.5 s) put the
  close at 2 s, inside LIM-2's 1.5 x idle window: conforming under these limits;
- start-sweep-aged: the start sweep needs a restart of the pki responder, and a pki
  target declares no restart command (only the CA's, `ca_restart_cmd`);
- get-sendall-one-deadline: LIM-10 does not say a responder MUST NOT cut a get whose
  reader keeps reading, and the reference itself cuts one whose 1 MiB DATA write takes
  longer than the idle timeout in total (CPython's SSL write: one deadline per call).
After (the cases of this round): 18 of 18 —
- test_app_name_character_rules.py: drive-letter-any-alpha, bidi-control-property, and
  name-limit-escaped too (names §3.5 allows, refused by a character class or a length
  measure wider than the SPEC's: puts stored, long gets `not_found`);
- test_app_inbox_now.py: existing-names-memoised (a name gone from the inbox is accepted
  again), exists-commit-temp-kept too (no temporary after `exists` at DONE, the name
  made by a put, a file or a directory);
- test_app_payload_encodings.py: json-bytes-autodetect (UTF-16/UTF-32 payloads, with and
  without a byte order mark, are `bad_frame`);
- test_pki_refreshed_service.py: reload-drops-alpn (after a CRL refresh an honest
  initiator still negotiates TLS 1.3 and ALPN sft-pki/1 and is answered).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind16-pki"
_NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _app() -> Any:
    return _module("reference.app")


def _errors() -> Any:
    return _module("reference.errors")


# --- lens 1: units and widths ------------------------------------------------------------


def _name_limit_escaped() -> None:
    # The limit measured on the name as it travels (JSON text, \\u escapes for non-ASCII).
    _patch_source(
        _share(),
        "check_name",
        (
            'size = len(name.encode("utf-8"))',
            'name.encode("utf-8")\n'
            '        size = len(__import__("json").dumps(name)) - 2',
        ),
    )


def _drive_letter_any_alpha() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            'name[1] == ":" and name[0].isascii() and name[0].isalpha()',
            'name[1] == ":" and name[0].isalpha()',
        ),
    )


def _bidi_control_property() -> None:
    share = _share()
    # Unicode's Bidi_Control property: ALM, LRM, RLM, the embeddings/overrides, the isolates.
    share._BIDI_CONTROLS = frozenset(share._BIDI_CONTROLS | {"\u061c", "\u200e", "\u200f"})


def _put_size_block_overflow() -> None:
    def _blocks(size: int) -> int:
        # (size + 4095) / 4096 * 4096 in an int64: wraps negative near 2^63
        value = (size + 4095) & (2**64 - 1)
        if value >= 2**63:
            value -= 2**64
        return value // 4096 * 4096

    _transfer()._b16_blocks = _blocks
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "if request.size > self.policy.max_file_size:",
            "if _b16_blocks(request.size) > self.policy.max_file_size:",
        ),
    )


# --- lens 2: the second time ------------------------------------------------------------


def _time_checked_server_context(check: Any) -> None:
    """The responder's context with the library's time check off; `check(cert)` in
    check_peer_certificate (server side) decides instead."""
    tls = _tls()
    peer = _peer()
    original_context = tls.server_context
    original_check = tls.check_peer_certificate

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original_context(identity, crl_der)
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME  # "clock skew"
        return ctx

    def check_peer_certificate(der: Any, *, as_server: bool) -> str:
        if as_server and der is not None:
            cert = tls._decoded(der)
            if not check(cert, der):
                raise tls.CertificateRefused("the certificate is not valid now")
        result: str = original_check(der, as_server=as_server)
        return result

    tls.server_context = server_context
    peer.server_context = server_context
    tls.check_peer_certificate = check_peer_certificate


def _validity_memoised() -> None:
    seen: set[bytes] = set()
    lock = threading.Lock()

    def check(cert: Any, der: bytes) -> bool:
        digest = hashlib.sha256(der).digest()
        with lock:
            if digest in seen:
                return True  # validated before: skip the dates
        now = _dt.datetime.now(_dt.UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return False
        with lock:
            seen.add(digest)
        return True

    _time_checked_server_context(check)


def _existing_names_memoised() -> None:
    share = _share()
    errors = _errors()
    known: set[str] = set()
    lock = threading.Lock()
    original_target = share.Inbox.target_name
    original_commit = share.PartialFile.commit

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        with lock:
            if base in known:  # no stat for a name we know exists
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, f"{base[:64]!r} already exists in the inbox"
                )
        try:
            result: str = original_target(self, name)
        except errors.RemoteProtocolError as exc:
            if exc.code is errors.ErrorCode.EXISTS:
                with lock:
                    known.add(base)
            raise
        return result

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original_commit(self, overwrite=overwrite)
        if not self._owns_dir_fd:  # the responder's inbox
            with lock:
                known.add(self.final_name)

    share.Inbox.target_name = target_name
    share.PartialFile.commit = commit


def _reload_drops_alpn() -> None:
    tls = _tls()
    original = tls.ServerContextHolder.reload

    def reload(self: Any, crl_der: bytes) -> None:
        original(self, crl_der)
        with self._lock:
            # the refreshed context is built "with the new trust" only
            self._context.set_alpn_protocols([])

    tls.ServerContextHolder.reload = reload


def _get_limit_default() -> None:
    _patch_source(
        _transfer().Responder,
        "_get",
        (
            "if shared.size > self.policy.max_file_size:",
            "if shared.size > DEFAULT_MAX_FILE_SIZE:",
        ),
    )


def _send_timeout_default() -> None:
    transfer = _transfer()
    original = transfer.Responder._get

    def _get(self: Any, request: Any) -> None:
        stream = self.channel.stream
        idle = stream.gettimeout()
        stream.settimeout(60.0)  # SEND_TIMEOUT = 60 s, its own constant
        try:
            original(self, request)
        finally:
            with contextlib.suppress(OSError):
                stream.settimeout(idle)

    transfer.Responder._get = _get


def _enotdir_internal() -> None:
    _patch_source(
        _share().ShareDirectory,
        "_open_component",
        (
            "if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):",
            "if exc.errno in (errno.ELOOP, errno.EMLINK):",
        ),
        (
            ') from None\n        raise _not_found(name) from None\n',
            ') from None\n'
            "        if exc.errno == errno.ENOENT:\n"
            "            raise _not_found(name) from None\n"
            "        raise RemoteProtocolError(ErrorCode.INTERNAL, 'cannot open the file')\n",
        ),
    )


def _exists_commit_temp_kept() -> None:
    _patch_source(
        _share().PartialFile,
        "commit",
        (
            "    self._file = None\n    try:",
            "    self._file = None\n    self._done = True  # committed\n    try:",
        ),
    )


def _eror_midput_temp_kept() -> None:
    transfer = _transfer()
    original = transfer._Channel.receive_file

    def receive_file(self: Any, sink: Any, size: int, progress: Any) -> Any:
        try:
            return original(self, sink, size, progress)
        except transfer.TransferFailed:
            if not sink._owns_dir_fd:  # the responder: keep what came for a retry
                if sink._file is not None:
                    sink._file.close()
                    sink._file = None
                sink._done = True
            raise

    transfer._Channel.receive_file = receive_file


def _excess_answered_too_large() -> None:
    app = _app()
    transfer = _transfer()
    messages = _module("reference.messages")
    errors = _errors()
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "ErrorCode.INTEGRITY_FAILED,\n"
            '                f"more data than the',
            "ErrorCode.TOO_LARGE,\n"
            '                f"more data than the',
        ),
    )
    original_fail = transfer._Channel.fail

    def fail(self: Any, exc: Any) -> None:
        if isinstance(exc, errors.RemoteProtocolError) and exc.code is errors.ErrorCode.TOO_LARGE:
            with contextlib.suppress(OSError):
                self.stream.sendall(
                    messages.encode_message(messages.ErrorFrame(exc.code, exc.message))
                )
            return
        original_fail(self, exc)

    transfer._Channel.fail = fail


# --- lens 5: layer boundaries ----------------------------------------------------------------


def _json_bytes_autodetect() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")\n',
            "text = bytes(payload)  # json.loads takes bytes (it detects the encoding)\n",
        ),
    )
    _module("reference.messages").loads_control = frames.loads_control


def _json_cstring() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")\n',
            'text = bytes(payload).split(b"\\0", 1)[0].decode("utf-8")\n',
        ),
    )
    _module("reference.messages").loads_control = frames.loads_control


def _inbox_per_alias() -> None:
    peer = _peer()
    share = _share()
    boxes: dict[tuple[int, str], Any] = {}
    lock = threading.Lock()

    def alias_inbox(inbox: Any, alias: str) -> Any:
        if inbox is None:
            return None
        with lock:
            box = boxes.get((id(inbox), alias))
            if box is None:
                path = inbox.path / alias  # one folder per colleague
                os.makedirs(path, exist_ok=True)
                box = boxes[(id(inbox), alias)] = share.Inbox(path)
            return box

    peer._b16_alias_inbox = alias_inbox
    _patch_source(
        peer.PeerServer,
        "_connection",
        ("inbox=self.inbox,", "inbox=_b16_alias_inbox(self.inbox, alias),"),
    )


# --- lens 6: time ----------------------------------------------------------------------------


def _frame_read_deadline() -> None:
    transfer = _transfer()
    app = _app()
    conn_cls = app.ApplicationConnection
    original_check = conn_cls._check_header
    original_init = transfer.Responder.__init__

    class _Counter(threading.local):
        count = 0

    frames = _Counter()

    def _check_header(frame_type: bytes, length: int) -> Any:
        frames.count += 1
        return original_check(frame_type, length)

    conn_cls._check_header = staticmethod(_check_header)

    class _PerFrame:
        """recv_into with a deadline per frame: the frame in progress must be whole within
        the idle timeout of its first byte (asyncio.wait_for(readexactly(n), idle))."""

        def __init__(self, stream: Any, conn: Any) -> None:
            self._stream = stream
            self._conn = conn
            self._idle = stream.gettimeout()
            self._frame = -1
            self._start = 0.0

        def recv_into(self, buffer: Any, *args: Any) -> int:
            conn = self._conn
            busy = bool(conn._buffer) or conn._header is not None or conn._payload_left > 0
            if busy and self._idle:
                if self._frame != frames.count or not self._start:
                    self._frame = frames.count
                    self._start = time.monotonic()
                left = self._start + self._idle - time.monotonic()
                if left <= 0:
                    raise TimeoutError("frame deadline")
                self._stream.settimeout(min(self._idle, left))
            else:
                self._start = 0.0
                self._stream.settimeout(self._idle)
            try:
                n: int = self._stream.recv_into(buffer, *args)
            finally:
                self._stream.settimeout(self._idle)
            return n

        def __getattr__(self, attr: str) -> Any:
            return getattr(self._stream, attr)

    def __init__(self: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, stream, *args, **kwargs)
        self.channel.stream = _PerFrame(stream, self.channel.conn)

    transfer.Responder.__init__ = __init__


def _validity_local_zone() -> None:
    def check(cert: Any, der: bytes) -> bool:
        # naive local time of the server's zone (UTC+2) against the certificate's dates
        now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None) + _dt.timedelta(hours=2)
        before = cert.not_valid_before_utc.replace(tzinfo=None)
        after = cert.not_valid_after_utc.replace(tzinfo=None)
        return bool(before <= now <= after)

    _time_checked_server_context(check)


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b16pki-name-limit-escaped", "APP-NAME-7", "test_interop_escaped_names.py",
        "L1: the 4096-byte name limit is measured on the JSON-escaped name (\\u00e9 counts 6 "
        "bytes): a valid non-ASCII name well under 4096 UTF-8 bytes is refused forbidden",
        _name_limit_escaped,
    ),
    _m(
        "b16pki-drive-letter-any-alpha", "APP-PUT-2", "test_app_name_character_rules.py",
        "L1: the drive-letter rule uses Unicode isalpha(): a name starting `é:` or `ж:` is "
        "refused forbidden though APP-NAME-2 names [A-Za-z]: only",
        _drive_letter_any_alpha,
    ),
    _m(
        "b16pki-bidi-control-property", "APP-PUT-2", "test_app_name_character_rules.py",
        "L1: the bidi rule refuses Unicode's whole Bidi_Control property: names with U+200E, "
        "U+200F or U+061C are refused forbidden, outside APP-NAME-8's ranges",
        _bidi_control_property,
    ),
    _m(
        "b16pki-put-size-block-overflow", "APP-PUT-7", "test_app_put.py",
        "L1: the limit compares the size rounded up to 4 KiB blocks in a signed 64-bit "
        "integer: a PUTF size within 4 KiB of 2^63 wraps negative and is accepted",
        _put_size_block_overflow,
    ),
    # lens 2
    _m(
        "b16pki-validity-memoised", "PKI-CERT-3", "test_pki_certs.py",
        "L2: validity dates checked by the application (library time check off) once per "
        "certificate and remembered: a certificate seen valid once is accepted after expiry",
        _validity_memoised,
    ),
    _m(
        "b16pki-existing-names-memoised", "APP-PUT-1", "test_app_inbox_now.py",
        "L2: names found existing in the inbox, or stored, are remembered: once the file is "
        "removed from the inbox a put of its name is still refused exists",
        _existing_names_memoised,
    ),
    # lens 3
    _m(
        "b16pki-reload-drops-alpn", "PKI-TLS-2", "test_pki_refreshed_service.py",
        "L3: the context rebuilt at each CRL refresh selects no ALPN: after the first refresh "
        "every honest initiator is refused",
        _reload_drops_alpn,
    ),
    _m(
        "b16pki-get-limit-default", "APP-GET-2", "test_app_get.py",
        "L3: the get path compares the file's size with the default 4 GiB, not the configured "
        "maximum file size: a file above the configured limit is served",
        _get_limit_default,
    ),
    _m(
        "b16pki-send-timeout-default", "LIM-10", "test_limits.py",
        "L3: a get's writes wait up to a fixed 60 s send timeout, not the configured idle "
        "timeout: a peer that stopped reading holds the connection 60 s",
        _send_timeout_default,
    ),
    # lens 4
    _m(
        "b16pki-enotdir-internal", "APP-GET-2", "test_app_get.py",
        "L4: open errors other than ENOENT, ELOOP and EACCES are internal (fatal): a get of "
        "`file.txt/x` (ENOTDIR) ends the connection instead of not_found",
        _enotdir_internal,
    ),
    _m(
        "b16pki-exists-commit-temp-kept", "APP-STORE-3", "test_app_put_visibility.py",
        "L4: the commit marks itself done before its link: a put refused exists at DONE "
        "(the name appeared meanwhile) leaves its .sft-partial- temporary in the inbox",
        _exists_commit_temp_kept,
    ),
    _m(
        "b16pki-eror-midput-temp-kept", "APP-STORE-3", "test_app_failed_put_traces.py",
        "L4: a put that the initiator aborts with an EROR keeps its temporary (for a retry)",
        _eror_midput_temp_kept,
    ),
    _m(
        "b16pki-excess-answered-too-large", "APP-PUT-6", "test_app_put.py",
        "L4: DATA beyond the announced size is answered too_large (a non-fatal code) and the "
        "connection closed, instead of integrity_failed",
        _excess_answered_too_large,
    ),
    # lens 5
    _m(
        "b16pki-json-bytes-autodetect", "FRM-9", "test_app_payload_encodings.py",
        "L5: control payloads handed to json.loads as bytes: UTF-16 and UTF-32 payloads are "
        "detected and accepted instead of bad_frame",
        _json_bytes_autodetect,
    ),
    _m(
        "b16pki-json-cstring", "FRM-9", "test_app_control_bytes.py",
        "L5: the control payload is read as a C string: `{...}` followed by a NUL and more "
        "bytes is accepted instead of bad_frame",
        _json_cstring,
    ),
    _m(
        "b16pki-inbox-per-alias", "APP-PUT-2", "test_app_put.py",
        "L5: puts are stored under inbox/<the peer's alias>/, not in the inbox itself",
        _inbox_per_alias,
    ),
    # lens 6
    _m(
        "b16pki-frame-read-deadline", "LIM-2", "test_interop_live_slow_senders.py",
        "L6: each frame must arrive whole within the idle timeout of its first byte: a DATA "
        "frame trickling in steadily for longer is cut with EROR timeout",
        _frame_read_deadline,
    ),
    _m(
        "b16pki-validity-local-zone", "PKI-CERT-3", "test_pki_certs.py",
        "L6: validity compared with the naive local time of a UTC+2 zone: a certificate "
        "valid from an hour from now is accepted",
        _validity_local_zone,
    ),
)
