"""Blind red-team round 12 (pki): the sft-pki/1 responder and the app layer of both servers.

Written by helper B51 from docs/SPEC.md §0-§4, §6 and the reference's pki/peer.py,
pki/tls.py, app.py, frames.py, messages.py, share.py, transfer.py and eke/server.py only,
through the six round-12 lenses (lenses12.md); no conformance/test_*.py, mutant module or
independent implementation was read before the list was written. A first list of 29 was
then compared with the registered mutants: 20 duplicated one (SHA-384 certificates,
keyAgreement KU, SNI or SAN aliases, allow verdict per address, TLS 1.2, refused
certificates answered `forbidden`, get falling back to the inbox, RSFL basenames, exists in
the share, reserved prefix on the whole name, DONE before the commit, PUTF.sha256 trusted,
traceback in bad_frame, untruncated messages, temporaries named after the final name,
reservations leaking, upper-case drive letters only, DATA in IDLE, unknown or malformed
EROR ignored) and were replaced by the ones marked (r). Each breaks one observable MUST;
`profile` says which server runs it.

Lens 1 — two values of the same type mixed up:
  b12pki-busy-as-throttled (r)      LIM-4       over the connection limit: EROR throttled
                                                (retry_after 1), not busy
  b12app-eror-code-index            ERR-2       EROR code = 0-based index in the table
  b12app-get-limit-frame-limit (r)  LIM-3       a get's size compared with the frame limit,
                                                not the max file size (2 MiB file refused)
Lens 2 — acknowledged before done, visible before verified:
  b12app-final-before-done          APP-STORE-2 the final name is linked when the last
                                                announced byte is written, before DONE
  b12app-loser-temp-kept (r)        APP-STORE-3 the temporary of a put that lost the race
                                                (`exists` at DONE) is removed only when its
                                                connection ends
  b12app-empty-put-early-commit (r) APP-PUT-5   a 0-byte put is committed at RSFL{accept},
                                                before its DONE is verified
Lens 3 — peer-claimed values trusted:
  b12app-rqfl-offset-honoured (r)   FRM-10      an RQFL `offset` member resumes the get
  b12app-putf-overwrite-honoured (r) APP-PUT-3  a PUTF `overwrite: true` member replaces an
                                                existing file
  b12app-temp-named-by-sha (r)      APP-STORE-1 the temporary is named after PUTF.sha256
                                                (content-addressed staging): two puts
                                                claiming one digest collide
Lens 4 — sloppy output:
  b12pki-auth-failed-name (r)       ERR-1       the refused-certificate EROR (code 4) is
                                                named certificate_refused
  b12app-eror-retry-null            FRM-14      every EROR carries "retry_after": null
  b12app-rsfl-sha-upper             FRM-14      a get's RSFL carries sha256 in upper case
  b12app-bye-empty-payload          FRM-14      the BYE_ echo has an empty payload, not {}
  b12app-eror-no-message (r)        ERR-1       non-fatal EROR frames omit `message`
  b12app-eror-length-header (r)     FRM-1       fatal EROR frames' length counts the header
  b12app-accept-name-omitted (r)    APP-PUT-1   RSFL{accept} without `name`
Lens 5 — two principals at once:
  b12pki-refusals-lock-address (r)  LIM-5       3 refused certificates lock their source
                                                address out for 30 s (everyone on it)
  b12app-shared-file-cache          APP-GET-2   concurrent gets of one file share one
                                                descriptor (and its offset)
  b12app-temp-counter-per-conn (r)  APP-STORE-1 the temporary's "random" part is a counter
                                                per connection: concurrent first puts collide
  b12app-verified-put-shared (r)    APP-PUT-5   the verified put's DONE kept in a class
                                                attribute: a put is acknowledged with another
                                                connection's DONE
Lens 6 — deny-lists and enumerations:
  b12pki-ca-needs-pathlen           PKI-CERT-6  CA:TRUE refused only when a pathlen is given
  b12pki-expired-only (r)           PKI-CERT-3  OpenSSL's time check off; only expiry checked
                                                (not-yet-valid certificates pass)
  b12app-fatal-list-no-integrity (r) APP-PUT-5  the fatal codes listed without
                                                integrity_failed: it goes out as `internal`

Blind result: 12 of 23 detected as first run (every mutant under the requirement and the
file it was filed under blind). Undetected then: auth-failed-name (no case read the
refusal's EROR beyond its code), rqfl-offset-honoured and putf-overwrite-honoured (no
case sent a member with a meaning), temp-named-by-sha, temp-counter-per-conn and
verified-put-shared (no case ran two puts at once on two connections), final-before-done
and loser-temp-kept (no case watched the inbox between the last byte and DONE, or after
a non-fatal `exists`), shared-file-cache (no two gets of one file at once), and
bye-empty-payload / rsfl-sha-upper (no case read the BYE_ echo or an RSFL.sha256's form).
Phase 2 added test_app_extension_members.py, test_app_put_concurrent.py,
test_app_put_visibility.py, test_app_get_concurrent.py and the ERR-1 check of
test_pki_refusal_unprompted.py; the last two are caught by round 12's
test_interop_answer_frames.py (another helper's). 23 of 23 detected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _peer() -> Any:
    return _module("reference.pki.peer")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _share() -> Any:
    return _module("reference.share")


def _errors() -> Any:
    return _module("reference.errors")


def _eke_server() -> Any:
    return _module("reference.eke.server").EkeServer


def _responder() -> Any:
    return _module("reference.transfer").Responder


def _patch_encode_message(*edits: tuple[str, str]) -> None:
    """Edits messages.encode_message and installs it wherever it was imported."""
    messages = _module("reference.messages")
    _patch_source(messages, "encode_message", *edits)
    for name in ("reference.app", "reference.pki.peer"):
        _module(name).encode_message = messages.encode_message


def _patch_decode_message(wrap: Callable[[Any], Any]) -> None:
    messages = _module("reference.messages")
    original = messages.decode_message

    def decode(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        return wrap((frame, original(frame, rsfl_for_put=rsfl_for_put)))

    messages.decode_message = decode
    _module("reference.app").decode_message = decode


# --- lens 1 ------------------------------------------------------------------------------


def _busy_as_throttled() -> None:
    _patch_source(
        _peer().PeerServer,
        "_busy",
        (
            'ErrorFrame(ErrorCode.BUSY, "too many connections; try later")',
            'ErrorFrame(ErrorCode.THROTTLED, "too many connections; try later", 1)',
        ),
    )


def _eror_code_index() -> None:
    _patch_encode_message(('"code": int(message.code),', '"code": int(message.code) - 1,'))


def _get_limit_frame_limit() -> None:
    _patch_source(
        _responder(),
        "_get",
        (
            "if shared.size > self.policy.max_file_size:",
            "if shared.size > self.channel.conn.config.max_frame_payload:",
        ),
    )


# --- lens 2 ------------------------------------------------------------------------------


def _final_before_done() -> None:
    share = _share()
    cls = share.PartialFile
    write, commit, abort = cls.write, cls.commit, cls.abort

    def linking_write(self: Any, data: Any) -> None:
        write(self, data)
        if self.written == self.limit and not getattr(self, "_b12_linked", False):
            # Every announced byte is in: publish it now, DONE is a formality.
            self._file.flush()
            os.link(self.temp_name, self.final_name, src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd, follow_symlinks=False)
            self._b12_linked = True

    def linked_commit(self: Any, *, overwrite: bool = False) -> None:
        if not getattr(self, "_b12_linked", False):
            commit(self, overwrite=overwrite)
            return
        self._file.close()
        self._file = None
        os.unlink(self.temp_name, dir_fd=self._dir_fd)
        self._done = True
        self._untrack()
        self._release_dir()

    def linked_abort(self: Any) -> None:
        if getattr(self, "_b12_linked", False) and not self._done:
            with contextlib.suppress(OSError):
                os.unlink(self.final_name, dir_fd=self._dir_fd)
            self._b12_linked = False
        abort(self)

    cls.write, cls.commit, cls.abort = linking_write, linked_commit, linked_abort


def _loser_temp_kept() -> None:
    share = _share()
    cls = share.PartialFile
    abort = cls.abort
    _patch_source(
        cls,
        "commit",
        ("    except FileExistsError:\n        self.abort()\n",
         "    except FileExistsError:\n        _b12_defer(self)\n"),
    )
    pending: dict[int, list[Any]] = {}
    lock = threading.Lock()

    def defer(partial: Any) -> None:
        # Cleaned up with the connection (its thread), not at once.
        with lock:
            pending.setdefault(threading.get_ident(), []).append(partial)

    share._b12_defer = defer
    server = _eke_server()
    serve = server._serve_records

    def serve_records(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            serve(self, *args, **kwargs)
        finally:
            with lock:
                left = pending.pop(threading.get_ident(), [])
            for partial in left:
                abort(partial)

    server._serve_records = serve_records


def _empty_put_early_commit() -> None:
    _patch_source(
        _responder(),
        "_put",
        ("partial.commit()", "(partial.commit() if request.size else None)"),
        (
            "self.channel.send(PutAccepted(final))",
            "self.channel.send(PutAccepted(final)); partial.commit() if not request.size else None",
        ),
    )


# --- lens 3 ------------------------------------------------------------------------------


def _rqfl_offset_honoured() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")

    @dataclass(frozen=True, slots=True)
    class ResumedRequest(messages.FileRequest):  # type: ignore[misc,name-defined]
        offset: int = 0

    def wrap(pair: Any) -> Any:
        frame, message = pair
        if frame.type == b"RQFL":
            offset = frames.loads_control(frame.payload).get("offset")
            if type(offset) is int and offset > 0:
                return ResumedRequest(message.name, offset)
        return message

    _patch_decode_message(wrap)

    def skip_to(request: Any, shared: Any) -> int:
        skip = min(getattr(request, "offset", 0), shared.size)
        shared.file.seek(skip)
        return int(skip)

    _module("reference.transfer")._b12_skip = skip_to
    _patch_source(
        _responder(),
        "_get",
        (
            "self.channel.send(FileResponse(request.name, shared.size))",
            "skip = _b12_skip(request, shared); "
            "self.channel.send(FileResponse(request.name, shared.size - skip))",
        ),
        (
            "self.channel.send_file(shared.file.readinto, shared.size, None)",
            "self.channel.send_file(shared.file.readinto, shared.size - skip, None)",
        ),
    )


def _putf_overwrite_honoured() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    share = _share()

    @dataclass(frozen=True, slots=True)
    class ForcedPut(messages.PutRequest):  # type: ignore[misc,name-defined]
        overwrite: bool = False

    def wrap(pair: Any) -> Any:
        frame, message = pair
        if frame.type == b"PUTF" and frames.loads_control(frame.payload).get("overwrite") is True:
            return ForcedPut(message.name, message.size, message.sha256, True)
        return message

    _patch_decode_message(wrap)
    forced: set[int] = set()

    def forced_target(inbox: Any, request: Any) -> str:
        if getattr(request, "overwrite", False):
            return str(share.check_name(request.name)[-1])
        return str(inbox.target_name(request.name))

    def begin(inbox: Any, target: str, request: Any) -> Any:
        partial = inbox.begin(target, request.size)
        if getattr(request, "overwrite", False):
            forced.add(id(partial))
        return partial

    commit = share.PartialFile.commit

    def forced_commit(self: Any, *, overwrite: bool = False) -> None:
        commit(self, overwrite=overwrite or id(self) in forced)

    share.PartialFile.commit = forced_commit
    module = _module("reference.eke.server")
    module._b12_target, module._b12_begin = forced_target, begin
    _patch_source(
        _eke_server(),
        "_begin_put",
        ("target = self._inbox.target_name(request.name)",
         "target = _b12_target(self._inbox, request)"),
        ("partial = self._inbox.begin(target, request.size)",
         "partial = _b12_begin(self._inbox, target, request)"),
    )


def _temp_named_by_sha() -> None:
    share = _share()
    module = _module("reference.eke.server")
    lock = threading.Lock()

    def begin(inbox: Any, target: str, request: Any) -> Any:
        if request.sha256 is None:
            return inbox.begin(target, request.size)
        secrets = share.secrets
        with lock:  # content-addressed staging: the claimed digest names the temporary
            original = secrets.token_hex
            secrets.token_hex = lambda n=None: request.sha256[:24]
            try:
                return inbox.begin(target, request.size)
            finally:
                secrets.token_hex = original

    module._b12_begin_sha = begin
    _patch_source(
        _eke_server(),
        "_begin_put",
        ("partial = self._inbox.begin(target, request.size)",
         "partial = _b12_begin_sha(self._inbox, target, request)"),
    )


# --- lens 4 ------------------------------------------------------------------------------


def _auth_failed_name() -> None:
    peer = _peer()

    def refused_frame(_frame: Any) -> bytes:
        payload = b'{"code":4,"name":"certificate_refused","message":"authentication failed"}'
        return b"EROR" + struct.pack("!I", len(payload)) + payload

    peer._b12_refused_frame = refused_frame
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))',
            '_b12_refused_frame(ErrorCode.AUTH_FAILED)',
        ),
    )


def _eror_retry_null() -> None:
    _patch_encode_message(
        ("        if message.retry_after is not None:\n            obj[\"retry_after\"]",
         "        if True:  # every member of the dataclass\n            obj[\"retry_after\"]"),
    )


def _rsfl_sha_upper() -> None:
    module = _module("reference.eke.server")

    def digest(shared: Any) -> str:
        sha = hashlib.sha256()
        fd = shared.file.fileno()
        offset = 0
        while chunk := os.pread(fd, 1 << 20, offset):
            sha.update(chunk)
            offset += len(chunk)
        return sha.hexdigest().upper()

    module._b12_digest = digest
    _patch_source(
        _eke_server(),
        "_serve_get",
        ("stream.send(FileResponse(name, shared.size))",
         "stream.send(FileResponse(name, shared.size, _b12_digest(shared)))"),
    )


def _bye_empty_payload() -> None:
    _patch_source(
        _responder(),
        "run",
        ("channel.send(Bye())",
         "channel.conn.send(Bye()); channel.stream.sendall(b'BYE_' + bytes(4))"),
    )


def _eror_no_message() -> None:
    _patch_encode_message(
        ("        if message.retry_after is not None:\n            obj[\"retry_after\"]",
         "        if not message.code.fatal:\n"
         "            del obj[\"message\"]  # the name says it all\n"
         "        if message.retry_after is not None:\n            obj[\"retry_after\"]"),
    )


def _eror_length_header() -> None:
    module = _module("reference.eke.server")

    def send_fatal(stream: Any, frame: Any) -> None:
        data = stream.app.send(frame)
        data = data[:4] + struct.pack("!I", len(data)) + data[8:]  # len of the whole frame
        stream.sock.sendall(stream.channel.seal(data))

    module._b12_send_fatal = send_fatal
    _patch_source(
        _eke_server(),
        "_send_fatal",
        ("stream.send(ErrorFrame(code, message))",
         "_b12_send_fatal(stream, ErrorFrame(code, message))"),
    )


def _accept_name_omitted() -> None:
    _patch_encode_message(
        ('return _control(T_RSFL, {"accept": True, "name": message.name})',
         'return _control(T_RSFL, {"accept": True})'),
    )


# --- lens 5 ------------------------------------------------------------------------------


def _refusals_lock_address() -> None:
    peer = _peer()
    lock = threading.Lock()
    refusals: dict[str, list[float]] = {}
    locked: dict[str, float] = {}

    def refused(address: str) -> None:
        now = time.monotonic()
        with lock:
            recent = [t for t in refusals.get(address, []) if now - t < 60.0] + [now]
            refusals[address] = recent
            if len(recent) >= 3:
                locked[address] = now + 30.0  # fail2ban-style: the address, not the alias

    peer._b12_refused = refused
    _patch_source(
        peer.PeerServer,
        "_connection",
        ('self.log(f"{where}: refused: {exc}")',
         'self.log(f"{where}: refused: {exc}"); _b12_refused(addr[0])'),
        ('self.log(f"{where}: handshake failed: {reason}")',
         'self.log(f"{where}: handshake failed: {reason}"); '
         "_b12_refused(addr[0]) if isinstance(exc, ssl.SSLError) else None"),
    )
    dispatch = peer.PeerServer._dispatch

    def locking_dispatch(self: Any, raw: Any, addr: tuple[str, int]) -> None:
        with lock:
            until = locked.get(addr[0], 0.0)
        if time.monotonic() < until:
            raw.close()
            return
        dispatch(self, raw, addr)

    peer.PeerServer._dispatch = locking_dispatch


def _shared_file_cache() -> None:
    share = _share()
    lock = threading.Lock()
    table: dict[str, list[Any]] = {}  # name -> [SharedFile, users]
    open_file = share.ShareDirectory.open

    class CachedFile(share.SharedFile):  # type: ignore[misc,name-defined]
        __slots__ = ("_b12_name",)

        def close(self) -> None:
            with lock:
                entry = table.get(self._b12_name)
                if entry is None:
                    return
                entry[1] -= 1
                if entry[1] > 0:
                    return
                del table[self._b12_name]
            self.file.close()

    def cached_open(self: Any, name: str) -> Any:
        with lock:
            entry = table.get(name)
            if entry is not None:
                entry[1] += 1
                entry[0].file.seek(0)  # "rewind for the new reader"
                return entry[0]
        opened = open_file(self, name)
        cached = CachedFile(opened.file, opened.size)
        cached._b12_name = name
        with lock:
            table[name] = [cached, 1]
        return cached

    share.ShareDirectory.open = cached_open


def _temp_counter_per_conn() -> None:
    share = _share()
    local = threading.local()

    def token_hex(nbytes: int | None = None) -> str:
        n = getattr(local, "n", 0)
        local.n = n + 1
        return f"{n:024x}"

    class Secrets:
        pass

    counter = Secrets()
    counter.token_hex = token_hex  # type: ignore[attr-defined]
    share.secrets = counter


def _verified_put_shared() -> None:
    app = _module("reference.app")
    conn = app.ApplicationConnection
    _patch_source(
        conn,
        "_on_control",
        ("self._verified_put = message", "ApplicationConnection._b12_verified = message"),
    )
    _patch_source(
        conn,
        "stored_done",
        ("if self.state is not R.STORING or self._verified_put is None:",
         "if self.state is not R.STORING:"),
        ("return self._verified_put", "return ApplicationConnection._b12_verified"),
    )
    _patch_source(
        conn, "send", ("if event != self._verified_put:", "if event is None:"),
    )
    conn._b12_verified = None


# --- lens 6 ------------------------------------------------------------------------------


def _ca_needs_pathlen() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if bc.value.ca or not bc.critical:",
         "if (bc.value.ca and bc.value.path_length is not None) or not bc.critical:"),
    )
    _module("reference.pki.peer").peer_alias = _tls().peer_alias


def _expired_only() -> None:
    tls = _tls()
    _patch_source(
        tls,
        "server_context",
        ("    ctx.set_alpn_protocols([ALPN])\n",
         "    ctx.set_alpn_protocols([ALPN])\n"
         "    ctx.verify_flags |= 0x200000  # X509_V_FLAG_NO_CHECK_TIME: we check expiry\n"),
    )
    _patch_source(
        tls,
        "check_peer_certificate",
        ("    alias = _common_name(cert)\n",
         "    alias = _common_name(cert)\n"
         "    if cert.not_valid_after_utc < _b12_now():\n"
         "        raise CertificateRefused(f\"{alias}'s certificate has expired\")\n"),
    )
    tls._b12_now = lambda: dt.datetime.now(dt.UTC)
    peer = _peer()
    peer.server_context = tls.server_context
    peer.peer_alias = tls.peer_alias


def _fatal_list_no_integrity() -> None:
    errors = _errors()
    code = errors.ErrorCode
    fatal_codes = frozenset(
        {
            code.BAD_FRAME,
            code.FRAME_TOO_LARGE,
            code.UNEXPECTED_FRAME,
            code.AUTH_FAILED,
            code.BUSY,
            code.TIMEOUT,
            code.INTERNAL,
            code.THROTTLED,
        }
    )
    code.fatal = property(lambda self: self in fatal_codes)


def _m(
    name: str,
    lens: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=name,
        group=f"blind12-pki-{lens}",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m("b12pki-busy-as-throttled", "mixup", "pki", "LIM-4", "test_limits_slots.py",
       "over the connection limit the responder answers EROR throttled (retry_after 1), "
       "not busy", _busy_as_throttled),
    _m("b12app-eror-code-index", "mixup", "eke", "ERR-2", "test_app_error_frames.py",
       "EROR codes sent as the 0-based index of the table (not_found goes out as 5)",
       _eror_code_index),
    _m("b12app-get-limit-frame-limit", "mixup", "pki", "LIM-3", "test_app_get.py",
       "a get's file size compared with the frame limit, not the max file size",
       _get_limit_frame_limit),
    # lens 2
    _m("b12app-final-before-done", "early", "pki", "APP-STORE-2",
       "test_app_put_visibility.py",
       "the final name is linked once the last announced byte is written, before DONE is "
       "verified (removed again if it fails)", _final_before_done),
    _m("b12app-loser-temp-kept", "early", "eke", "APP-STORE-3",
       "test_app_put_visibility.py",
       "the temporary of a put that lost the race (`exists` at DONE) is removed only when "
       "its connection ends", _loser_temp_kept),
    _m("b12app-empty-put-early-commit", "early", "pki", "APP-PUT-5", "test_app_put.py",
       "a 0-byte put is committed at RSFL{accept}, before its DONE is verified",
       _empty_put_early_commit),
    # lens 3
    _m("b12app-rqfl-offset-honoured", "claimed", "pki", "FRM-10",
       "test_app_extension_members.py",
       "an RQFL `offset` member (not in the schema) resumes the get from that byte",
       _rqfl_offset_honoured),
    _m("b12app-putf-overwrite-honoured", "claimed", "eke", "APP-PUT-3",
       "test_app_extension_members.py",
       "a PUTF `overwrite: true` member (not in the schema) replaces an existing file",
       _putf_overwrite_honoured),
    _m("b12app-temp-named-by-sha", "claimed", "eke", "APP-STORE-1",
       "test_app_put_concurrent.py",
       "the temporary is named after the claimed PUTF.sha256: two puts claiming one digest "
       "collide (the second gets internal)", _temp_named_by_sha),
    # lens 4
    _m("b12pki-auth-failed-name", "output", "pki", "ERR-1",
       "test_pki_refusal_unprompted.py",
       "the EROR answering a refused certificate has code 4 but the name "
       "certificate_refused", _auth_failed_name),
    _m("b12app-eror-retry-null", "output", "pki", "FRM-14", "test_app_error_frames.py",
       "every EROR carries \"retry_after\": null", _eror_retry_null),
    _m("b12app-rsfl-sha-upper", "output", "eke", "FRM-14",
       "test_interop_answer_frames.py",
       "a get's RSFL carries the optional sha256 in upper-case hex", _rsfl_sha_upper),
    _m("b12app-bye-empty-payload", "output", "pki", "FRM-14",
       "test_interop_answer_frames.py",
       "the BYE_ echo has an empty payload, not the JSON object {}", _bye_empty_payload),
    _m("b12app-eror-no-message", "output", "eke", "ERR-1", "test_app_error_frames.py",
       "non-fatal EROR frames omit the `message` member", _eror_no_message),
    _m("b12app-eror-length-header", "output", "eke", "FRM-1", "test_framing.py",
       "fatal EROR frames announce a length that counts the 8-byte header",
       _eror_length_header),
    _m("b12app-accept-name-omitted", "output", "pki", "APP-PUT-1", "test_app_put.py",
       "RSFL{accept} is sent without the stored `name`", _accept_name_omitted),
    # lens 5
    _m("b12pki-refusals-lock-address", "principals", "pki", "LIM-5", "test_pki_isolation.py",
       "three refused certificates from an address lock that address out for 30 s, "
       "honest employees on it included", _refusals_lock_address),
    _m("b12app-shared-file-cache", "principals", "eke", "APP-GET-2",
       "test_app_get_concurrent.py",
       "concurrent gets of one file share one open descriptor (rewound by each new reader)",
       _shared_file_cache),
    _m("b12app-temp-counter-per-conn", "principals", "pki", "APP-STORE-1",
       "test_app_put_concurrent.py",
       "the temporary's random part is a per-connection counter: two connections' first "
       "puts collide", _temp_counter_per_conn),
    _m("b12app-verified-put-shared", "principals", "pki", "APP-PUT-5",
       "test_app_put_concurrent.py",
       "the verified put's DONE is kept in a class attribute: a put may be acknowledged "
       "with another connection's DONE", _verified_put_shared),
    # lens 6
    _m("b12pki-ca-needs-pathlen", "denylist", "pki", "PKI-CERT-6", "test_pki_certs.py",
       "a CA:TRUE client certificate is refused only when its BasicConstraints has a pathlen",
       _ca_needs_pathlen),
    _m("b12pki-expired-only", "denylist", "pki", "PKI-CERT-3", "test_pki_certs.py",
       "OpenSSL's time check is off and only expiry is checked: a not-yet-valid client "
       "certificate passes", _expired_only),
    _m("b12app-fatal-list-no-integrity", "denylist", "pki", "APP-PUT-5", "test_app_put.py",
       "the fatal codes are listed without integrity_failed: a failed put is answered "
       "`internal`", _fatal_list_no_integrity),
)
