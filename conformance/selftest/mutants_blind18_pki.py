"""Blind red-team round 18 (helper B92): the sft-pki/1 RESPONDER and the application
protocol it serves (TLS 1.3 set-up, ALPN, certificates and identity, get/put, names,
storage, endings, limits), through the six lenses of round 18.

Phase 1 (blind): written from docs/SPEC.md (§0-§4.3, §6) and the reference's responder
code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, frames.py, messages.py,
share.py, transfer.py, closing.py) before any case file or independent implementation was
opened. Every idea was checked against the names and descriptions of the 3 163 registered
mutants while the list was drawn up; those that repeated a registered idea were replaced
before any code was written (dropped: an anyExtendedKeyUsage-only client certificate —
OpenSSL's ssl_client purpose refuses it first, not observable —, a size given as an
integral float, a put's `exists` judged on the whole name, a directory answered
forbidden, the C1/bidi rule on gets only, the reserved prefix on the whole name, a
temporary named after the final name, a too_large refusal followed by the close, a
negative not_found cache, the CRL refresh dropping the CRL check, a responder-side
"validity in local time", DATA beyond the size judged at its payload, and a put's name
reserved before the size check).

Lens 1 — negotiation and versions:
  b18pki-alpn-legacy-prefix         the responder also offers sft-pki/0 (compatibility) and
                                    checks the negotiated ALPN by its `sft-pki/` prefix: a
                                    ClientHello offering only sft-pki/0 is served
  b18pki-rqfl-sha256-conditional    an RQFL `sha256` member (not in its schema) is a
                                    conditional get: equal to the file's digest, answered
                                    `exists` ("you have it") instead of being ignored
  b18pki-done-object-compared       the put's DONE is verified by comparing the received JSON
                                    object with the expected {size, sha256}: an extra member
                                    makes it integrity_failed
Lens 2 — round trips and inverses:
  b18pki-rsfl-sha-cache-by-name     RSFL carries a sha256 from a per-name cache filled at the
                                    first get: a file replaced in the share keeps its old
                                    digest in RSFL while DONE has the new one
  b18pki-json-astral-escape         a hand-rolled JSON encoder writes every non-ASCII
                                    character as \\u + its code point: a character beyond
                                    U+FFFF (emoji) comes back as another name in RSFL
  b18pki-eror-message-byte-cut      an EROR message echoes the name cut at 64 BYTES: a
                                    multibyte character cut in two puts invalid UTF-8 into
                                    the control payload
Lens 3 — out-of-order and early messages:
  b18pki-put-done-after-next        the put's receipt DONE is written by the store step after
                                    the next answer has started: a request pipelined behind a
                                    put's DONE is answered before that DONE
  b18pki-done-repeat-ignored        a DONE in IDLE that repeats the put's DONE just answered
                                    is ignored as a retransmission instead of unexpected_frame
  b18pki-pipelined-during-get-refused  a frame already received when a get starts its DATA
                                    (anything but EROR) is answered unexpected_frame: a
                                    request pipelined behind an RQFL kills the connection
Lens 4 — the deployment is not the developer's machine:
  b18pki-names-latin1-locale        file names go to the file system in the locale's
                                    encoding (ISO-8859-1): a name with `€` fails (internal),
                                    a UTF-8 name in the share is not found
  b18pki-temp-in-tmpdir             the put is written in $TMPDIR and moved into the inbox
                                    with a replacing rename: a name made in the inbox during
                                    the put (or by a concurrent put) is replaced
  (dropped) idle-from-handshake-timeout  the idle timeout is never set after the
                                    handshake: reads wait the handshake timeout instead
  b18pki-exists-case-folded         the inbox's `exists` check is case-blind (a developer's
                                    case-insensitive file system): README is refused when
                                    readme is stored
Lens 5 — distinguishers:
  b18pki-traversal-forbidden-closes a name with a `..` component is answered forbidden and
                                    then the connection is closed (an "attack"); other
                                    forbidden names leave it open
  b18pki-link-message-leak          a symbolic link out of the share is refused forbidden in
                                    both cases, but the message says whether its target exists
  b18pki-fatal-abortive-close       after a fatal EROR the socket is closed abortively
                                    (SO_LINGER 0: a reset), which can destroy the EROR
Lens 6 — sibling paths:
  b18pki-put-component-limit-missing the put path's own name check lacks the 255-byte
                                    component limit: a long directory component is stored
                                    under its basename, a long basename ends the connection
  b18pki-done-sha-case-blind        the responder compares a put's DONE sha256 case-blind and
                                    accepts upper-case hex (the initiator's twin is fixed)
  b18pki-get-checks-basename-only   the get path checks only the last component (as the put
                                    path, which stores the basename): `../x` is opened above
                                    the share, `/abs` and `a//b` are not_found

Blind result: 11 of 19 detected in the file first named (alpn-legacy-prefix,
eror-message-byte-cut, put-done-after-next, pipelined-during-get-refused,
names-latin1-locale, temp-in-tmpdir — by test_app_put.py's concurrent puts —,
traversal-forbidden-closes, fatal-abortive-close, put-component-limit-missing,
done-sha-case-blind, get-checks-basename-only). Run against every other case file citing
the same requirement, 2 more were caught by existing cases (test_file now names them):
done-object-compared (test_framing.py's unknown members in every frame) and
rsfl-sha-cache-by-name (test_app_share_files.py: a file rewritten in place). 6 missed:
the 5 the cases below catch, and idle-from-handshake-timeout, dropped after the blind
run as not observable at the limits the suite is given: the embedded reference runs with
a handshake timeout of 2.0 s and an idle timeout of 1.5 s, and a close after 2.0 s of
idleness is within LIM-2's 1.5 x 1.5 s (a target whose handshake timeout exceeds 1.5 x
its idle timeout would show it; test_limits.py's idle cases then FAIL it).
After (the cases of this round): 18 of 18, and the class check below —
- test_app_foreign_members.py: rqfl-sha256-conditional (members another frame defines —
  RQFL sha256 equal to the file's digest, another digest, upper-case, accept, code,
  retry_after, size — change nothing; a put's DONE with name/accept/code/message is
  stored; PUTF with accept/code/retry_after is accepted; BYE_ with members ends
  politely); it catches done-object-compared too;
- test_app_late_repeats.py: done-repeat-ignored (the put's DONE sent again, the get's DONE
  or RSFL echoed, the DATA of a put refused `exists`: unexpected_frame, never the request
  sent behind it answered);
- test_app_put_name_folds.py: exists-case-folded (a stored name, then a put of its
  look-alike — ASCII case, ß/ss, the Kelvin sign, NFC/NFD, full-width, a ligature — is
  stored under its own name); class check b18pki-exists-nfc-folded (an NFC-comparing
  exists check) caught too;
- test_app_get_name_echo.py: json-astral-escape (files of the share named with
  supplementary-plane characters, U+FFFD, private use, U+2028, U+0301, U+FEFF, `<>&`, a
  quotation mark: RSFL.name is the request, the bytes the file's);
- test_app_link_target_existence.py: link-message-leak (the same link out of the share,
  to a file or a directory, asked for before and after the suite removed its target:
  the same EROR forbidden, code and message).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import tempfile
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind18-pki"


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


def _messages() -> Any:
    return _module("reference.messages")


def _frames() -> Any:
    return _module("reference.frames")


# --- lens 1: negotiation and versions --------------------------------------------------


def _alpn_legacy_prefix() -> None:
    tls = _tls()
    peer = _peer()
    original = tls.server_context

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.set_alpn_protocols([tls.ALPN, "sft-pki/0"])  # old peers still connect
        return ctx

    _patch_source(
        tls,
        "peer_alias",
        (
            "if sock.selected_alpn_protocol() != ALPN:",
            'if not (sock.selected_alpn_protocol() or "").startswith("sft-pki/"):',
        ),
    )
    tls.server_context = server_context
    peer.server_context = server_context
    peer.peer_alias = tls.peer_alias


def _rqfl_sha256_conditional() -> None:
    app = _app()
    messages = _messages()
    transfer = _transfer()
    errors = _errors()
    original_decode = app.decode_message
    original_get = transfer.Responder._get
    wanted: dict[int, str] = {}

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = original_decode(frame, rsfl_for_put=rsfl_for_put)
        if frame.type == messages.T_RQFL:
            obj = json.loads(frame.payload)
            if isinstance(obj.get("sha256"), str):
                wanted[id(message)] = obj["sha256"]
        return message

    def _get(self: Any, request: Any) -> None:
        known = wanted.pop(id(request), None)
        share = self.policy.share
        if known is not None and share is not None:
            try:
                shared = share.open(request.name)
            except errors.RemoteProtocolError:
                shared = None
            if shared is not None:
                with shared:
                    digest = hashlib.sha256(shared.file.read()).hexdigest()
                if digest == known:  # "not modified": the initiator has it already
                    self._refuse(
                        errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "you have it already")
                    )
                    return
        original_get(self, request)

    app.decode_message = decode_message
    transfer.Responder._get = _get


def _done_object_compared() -> None:
    app = _app()
    messages = _messages()
    errors = _errors()
    original_decode = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = original_decode(frame, rsfl_for_put=rsfl_for_put)
        if frame.type == messages.T_DONE:
            obj = json.loads(frame.payload)
            if obj != {"size": message.size, "sha256": message.sha256}:
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.INTEGRITY_FAILED, "DONE does not match the transfer"
                )
        return message

    app.decode_message = decode_message


# --- lens 2: round trips and inverses --------------------------------------------------


def _rsfl_sha_cache_by_name() -> None:
    transfer = _transfer()
    messages = _messages()
    errors = _errors()
    cache: dict[str, str] = {}

    def _get(self: Any, request: Any) -> None:
        share = self.policy.share
        if share is None:
            self._refuse(errors.RemoteProtocolError(errors.ErrorCode.UNSUPPORTED, "no share"))
            return
        try:
            shared = share.open(request.name)
        except errors.RemoteProtocolError as exc:
            self._refuse(exc)
            return
        with shared:
            if shared.size > self.policy.max_file_size:
                self._refuse(
                    errors.RemoteProtocolError(errors.ErrorCode.TOO_LARGE, "the file is too large")
                )
                return
            digest = cache.get(request.name)
            if digest is None:  # hashed once per name: big files are costly to hash
                sha = hashlib.sha256()
                while chunk := shared.file.read(1 << 20):
                    sha.update(chunk)
                shared.file.seek(0)
                digest = cache[request.name] = sha.hexdigest()
            self.channel.send(messages.FileResponse(request.name, shared.size, digest))
            self.channel.send_file(shared.file.readinto, shared.size, None)

    transfer.Responder._get = _get


def _json_astral_escape() -> None:
    frames = _frames()
    messages = _messages()

    def dumps_control(obj: Any) -> bytes:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        out = "".join(c if ord(c) < 0x80 else f"\\u{ord(c):04x}" for c in text)
        return out.encode("ascii")

    frames.dumps_control = dumps_control
    messages.dumps_control = dumps_control


def _eror_message_byte_cut() -> None:
    share = _share()
    frames = _frames()
    messages = _messages()

    def _shown(name: str) -> str:
        raw = name.encode("utf-8", "surrogatepass")
        cut = raw[:64].decode("utf-8", "surrogateescape")  # 64 bytes, as the C version did
        return "'" + cut + "'" + ("..." if len(raw) > 64 else "")

    def dumps_control(obj: Any) -> bytes:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "surrogateescape")

    share._shown = _shown
    frames.dumps_control = dumps_control
    messages.dumps_control = dumps_control


# --- lens 3: out-of-order and early messages -------------------------------------------


class _HeldStream:
    """The stream, with a frame held back until the next write has gone out."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.held = b""

    def sendall(self, data: Any) -> None:
        self.inner.sendall(data)
        if self.held:
            held, self.held = self.held, b""
            self.inner.sendall(held)

    def recv_into(self, buffer: Any, *args: Any) -> int:
        n: int = self.inner.recv_into(buffer, *args)
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _put_done_after_next() -> None:
    transfer = _transfer()
    original_init = transfer.Responder.__init__

    def __init__(self: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, stream, *args, **kwargs)
        self.channel.stream = _HeldStream(self.channel.stream)

    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.send(self.channel.conn.stored_done())",
            "data = self.channel.conn.send(self.channel.conn.stored_done())\n"
            "    if self.channel.conn._buffer:  # the store step answers in the background\n"
            "        self.channel.stream.held = data\n"
            "    else:\n"
            "        self.channel.stream.sendall(data)",
        ),
    )
    transfer.Responder.__init__ = __init__


def _done_repeat_ignored() -> None:
    app = _app()
    errors = _errors()
    messages = _messages()
    conn_cls = app.ApplicationConnection
    idle = app.ResponderState.IDLE
    storing = app.ResponderState.STORING
    original_lookup = conn_cls._lookup
    original_on_control = conn_cls._on_control
    original_send = conn_cls.send

    def _lookup(self: Any, frame_type: bytes) -> Any:
        if self.state is idle and frame_type == messages.T_DONE and getattr(self, "_b18", None):
            return idle
        return original_lookup(self, frame_type)

    def _on_control(self: Any, frame: Any) -> Any:
        if self.state is idle and frame.type == messages.T_DONE:
            last, self._b18 = getattr(self, "_b18", None), None
            if last is not None and messages.decode_message(frame) == last:
                return self._next_event()  # a retransmitted DONE: already answered
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME, "DONE is not allowed in state IDLE"
            )
        self._b18 = None
        return original_on_control(self, frame)

    def send(self: Any, event: Any) -> bytes:
        was_storing = self.state is storing
        data: bytes = original_send(self, event)
        if was_storing and isinstance(event, messages.Done):
            self._b18 = event
        return data

    conn_cls._lookup = _lookup
    conn_cls._on_control = _on_control
    conn_cls.send = send


def _pipelined_during_get_refused() -> None:
    _patch_source(
        _transfer().Responder,
        "_get",
        (
            "self.channel.send(FileResponse(request.name, shared.size))",
            "self.channel.send(FileResponse(request.name, shared.size))\n"
            "        pending = bytes(self.channel.conn._buffer[:4])\n"
            '        if len(pending) == 4 and pending != b"EROR":  # only a cancel may come now\n'
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.UNEXPECTED_FRAME, "a frame arrived during a get"\n'
            "            )",
        ),
    )


# --- lens 4: the deployment --------------------------------------------------------------


def _names_latin1_locale() -> None:
    share = _share()
    _patch_source(
        share.ShareDirectory,
        "_open_component",
        ("return os.open(part, flags", 'return os.open(part.encode("latin-1"), flags'),
        ("st = os.stat(part, dir_fd", 'st = os.stat(part.encode("latin-1"), dir_fd'),
    )
    _patch_source(
        share.Inbox,
        "target_name",
        ("os.stat(base, dir_fd", 'os.stat(base.encode("latin-1"), dir_fd'),
    )
    _patch_source(
        share.PartialFile,
        "commit",
        (
            "os.link(\n                self.temp_name,\n                self.final_name,",
            "os.link(\n                self.temp_name.encode(),\n"
            '                self.final_name.encode("latin-1"),',
        ),
    )


def _temp_in_tmpdir() -> None:
    share = _share()

    class _TmpPartial(share.PartialFile):  # type: ignore[misc,name-defined]
        def __init__(self, inbox_fd: int, final_name: str, limit: int) -> None:
            self._inbox_fd = inbox_fd
            tmp = os.open(tempfile.gettempdir(), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            super().__init__(tmp, final_name, limit, owns_dir_fd=True)

        def commit(self, *, overwrite: bool = False) -> None:
            file: Any = getattr(self, "_file")  # noqa: B009
            if file is None:
                raise ValueError("the partial file is closed")
            os.fsync(file.fileno())
            file.close()
            self._file = None
            try:  # "shutil.move": the name's absence was checked at PUTF
                os.replace(
                    self.temp_name,
                    self.final_name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._inbox_fd,
                )
            except BaseException:
                self.abort()
                raise
            self._done = True
            os.fsync(self._inbox_fd)
            self._release_dir()

    def begin(self: Any, final_name: str, size: int) -> Any:
        return _TmpPartial(self._fd, final_name, size)

    share.Inbox.begin = begin


def _exists_case_folded() -> None:
    share = _share()
    errors = _errors()
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base: str = original(self, name)
        folded = base.casefold()
        for entry in os.listdir(self._fd):
            if entry.casefold() == folded:  # the same file on the developer's file system
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, f"{base!r} already exists in the inbox"
                )
        return base

    share.Inbox.target_name = target_name


def _exists_nfc_folded() -> None:
    share = _share()
    errors = _errors()
    unicodedata = _module("unicodedata")
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base: str = original(self, name)
        wanted = unicodedata.normalize("NFC", base)
        for entry in os.listdir(self._fd):
            if unicodedata.normalize("NFC", entry) == wanted:  # one file on macOS' HFS+
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, f"{base!r} already exists in the inbox"
                )
        return base

    share.Inbox.target_name = target_name


# --- lens 5: distinguishers ------------------------------------------------------------


def _traversal_forbidden_closes() -> None:
    close = (
        '\n                if isinstance(event.name, str) and ".." in event.name.split("/"):'
        "\n                    return  # a traversal attempt: drop the connection"
    )
    _patch_source(
        _transfer().Responder,
        "run",
        ("self._get(event)", "self._get(event)" + close),
        ("self._put(event)", "self._put(event)" + close),
    )


def _link_message_leak() -> None:
    share = _share()
    _patch_source(
        share.ShareDirectory,
        "_open_component",
        (
            "raise _symlink_refused(name) from None",
            "try:\n"
            "                    os.stat(part, dir_fd=dir_fd)\n"
            "                    where = 'to an existing file outside the share'\n"
            "                except OSError:\n"
            "                    where = 'whose target does not exist'\n"
            "                raise NameRefused(\n"
            "                    f'symbolic link {where}: {_shown(name)}'\n"
            "                ) from None",
        ),
    )


def _fatal_abortive_close() -> None:
    transfer = _transfer()
    original_fail = transfer._Channel.fail

    def fail(self: Any, exc: Any) -> None:
        original_fail(self, exc)
        if isinstance(exc, transfer.TruncatedStream):
            return
        try:  # free the slot at once: no TIME_WAIT, no lingering
            self.stream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            socket.socket.close(self.stream)
        except OSError:
            pass

    transfer._Channel.fail = fail


# --- lens 6: sibling paths -------------------------------------------------------------


def _put_component_limit_missing() -> None:
    share = _share()
    original = share.check_name
    _patch_source(
        share,
        "check_name",
        ('if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:', "if False:"),
    )
    share._b18_put_check = share.check_name
    share.check_name = original
    _patch_source(
        share.Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = _b18_put_check(name)[-1]"),
    )


def _done_sha_case_blind() -> None:
    frames = _frames()
    app = _app()
    frames._SHA256_RE = _module("re").compile(r"[0-9a-fA-F]{64}")
    _patch_source(
        app._Transfer,
        "check_done",
        ("done.sha256 == sha", "done.sha256.lower() == sha"),
    )


def _get_checks_basename_only() -> None:
    _patch_source(
        _share().ShareDirectory,
        "open",
        (
            "parts = check_name(name)",
            'check_name(name.rsplit("/", 1)[-1])  # the basename, as a put stores it\n'
            '    parts = name.split("/")',
        ),
    )


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
        "b18pki-alpn-legacy-prefix", "PKI-TLS-2", "test_pki_tls.py",
        "L1: the responder also offers sft-pki/0 and checks the negotiated ALPN by its "
        "sft-pki/ prefix: a ClientHello offering only sft-pki/0 is served",
        _alpn_legacy_prefix,
    ),
    _m(
        "b18pki-rqfl-sha256-conditional", "FRM-10", "test_app_foreign_members.py",
        "L1: an RQFL sha256 member (not in its schema) makes a conditional get: equal to the "
        "file's digest, the get is answered exists instead of served",
        _rqfl_sha256_conditional,
    ),
    _m(
        "b18pki-done-object-compared", "FRM-10", "test_framing.py",
        "L1: a put's DONE verified by comparing the received JSON object with the expected "
        "{size, sha256}: an extra member makes it integrity_failed",
        _done_object_compared,
    ),
    # lens 2
    _m(
        "b18pki-rsfl-sha-cache-by-name", "APP-GET-2", "test_app_share_files.py",
        "L2: RSFL carries a sha256 from a per-name cache filled at the first get: a file "
        "replaced in the share keeps its old digest in RSFL",
        _rsfl_sha_cache_by_name,
    ),
    _m(
        "b18pki-json-astral-escape", "APP-GET-7", "test_app_get_name_echo.py",
        "L2: a hand-rolled JSON encoder writes non-ASCII as \\u + the code point: a character "
        "beyond U+FFFF comes back as another name in RSFL",
        _json_astral_escape,
    ),
    _m(
        "b18pki-eror-message-byte-cut", "FRM-14", "test_app_error_frames.py",
        "L2: an EROR message echoes the name cut at 64 bytes: a multibyte character cut in "
        "two puts invalid UTF-8 into the payload",
        _eror_message_byte_cut,
    ),
    # lens 3
    _m(
        "b18pki-put-done-after-next", "APP-2", "test_framing.py",
        "L3: the put's receipt DONE is written after the next answer started: a request "
        "pipelined behind a put's DONE is answered first",
        _put_done_after_next,
    ),
    _m(
        "b18pki-done-repeat-ignored", "APP-1", "test_app_late_repeats.py",
        "L3: a DONE in IDLE repeating the put's DONE just answered is ignored as a "
        "retransmission instead of unexpected_frame",
        _done_repeat_ignored,
    ),
    _m(
        "b18pki-pipelined-during-get-refused", "APP-2", "test_framing.py",
        "L3: a frame already received when a get starts its DATA (not an EROR) is answered "
        "unexpected_frame: a request pipelined behind an RQFL ends the connection",
        _pipelined_during_get_refused,
    ),
    # lens 4
    _m(
        "b18pki-names-latin1-locale", "APP-PUT-2", "test_app_put_names.py",
        "L4: names go to the file system in the locale's encoding (ISO-8859-1): a name with "
        "the euro sign fails, a UTF-8 name of the share is not found",
        _names_latin1_locale,
    ),
    _m(
        "b18pki-temp-in-tmpdir", "APP-PUT-3", "test_app_put.py",
        "L4: a put is written in $TMPDIR and moved into the inbox with a replacing rename: a "
        "name made in the inbox meanwhile is replaced",
        _temp_in_tmpdir,
    ),
    _m(
        "b18pki-exists-case-folded", "APP-PUT-1", "test_app_put_name_folds.py",
        "L4: the inbox's exists check is case-blind (a case-insensitive file system): README "
        "is refused when readme is stored",
        _exists_case_folded,
    ),
    _m(
        "b18pki-exists-nfc-folded", "APP-PUT-1", "test_app_put_name_folds.py",
        "L4 (after the blind run, a class check): the inbox's exists check compares NFC forms "
        "(one file on HFS+): a put of cafe + U+0301 is refused when caf\u00e9 is stored",
        _exists_nfc_folded,
    ),
    # lens 5
    _m(
        "b18pki-traversal-forbidden-closes", "ERR-3", "test_app_refusals.py",
        "L5: a name with a '..' component is answered forbidden and the connection closed; "
        "other forbidden names leave it open",
        _traversal_forbidden_closes,
    ),
    _m(
        "b18pki-link-message-leak", "APP-NAME-6", "test_app_link_target_existence.py",
        "L5: a symbolic link out of the share is refused forbidden either way, but the message "
        "says whether its target exists",
        _link_message_leak,
    ),
    _m(
        "b18pki-fatal-abortive-close", "PKI-TLS-7", "test_pki_tls.py",
        "L5: after a fatal EROR the socket is closed abortively (SO_LINGER 0): a reset, no "
        "close_notify, the EROR may be lost",
        _fatal_abortive_close,
    ),
    # lens 6
    _m(
        "b18pki-put-component-limit-missing", "APP-NAME-1", "test_app_names.py",
        "L6: the put path's name check lacks the 255-byte component limit: a long directory "
        "component is stored under the basename, a long basename ends the connection",
        _put_component_limit_missing,
    ),
    _m(
        "b18pki-done-sha-case-blind", "FRM-12", "test_framing.py",
        "L6: the responder takes a put's sha256 in any case and compares it case-blind: an "
        "upper-case DONE digest is stored (the initiator's twin is fixed)",
        _done_sha_case_blind,
    ),
    _m(
        "b18pki-get-checks-basename-only", "APP-NAME-2", "test_app_names.py",
        "L6: the get path checks only the last component (as the put path, which stores the "
        "basename): ../x is opened above the share",
        _get_checks_basename_only,
    ),
)
