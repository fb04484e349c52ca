"""Blind red-team round 12 (helper B50): the sft-eke/1 SERVER, through lenses12.md.

Phase 1 (blind: written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke server,
app, messages, frames, share and throttle code only, before opening any case file, any
other mutant module's code or any independent implementation). Lenses: 1 two values of
one type mixed up, 2 acknowledged before done / visible before verified, 3 peer-claimed
values trusted, 4 sloppy output (EKE2, RSFL, DATA, DONE, EROR), 5 two principals at
once, 6 deny-lists and enumerations. 30 were written; 16 of them duplicated registered
mutants (by name/description, checked after the list was written: a basename RSFL,
reserved prefix on the whole name, basename-only put check, digest per connection,
DONE before commit, pending cap checked before reserving, overflow found at DONE, DONE
vs PUTF.sha256, upper-case EROR name, record-sized DATA, float retry_after, throttle
address with port, established connections kept pending, upper-case-only drive letters,
RLO-only bidi, BYE_ during a put) and were replaced, as were two replacements that were
duplicates too (IPv4 per /24, a cached throttle verdict). The 26 (b12eke-pending-caps-swapped,
lens 1, dropped after the blind run: see the end; the 25 registered follow):

- b12eke-success-forgets-address-key -> EKE-THR-4 (1): a success pops ("user",
  address_key(address)) instead of ("user", user): the user's count is never reset.
- b12eke-hard-lock-at-throttle-threshold -> EKE-THR-6 (1): the hard lock (L) compared
  with the throttle threshold (N): N failures lock the name for good, retry_after = cap.
- b12eke-get-falls-back-to-inbox -> APP-NAME-4 (1): a get not found in the share is
  looked up in the inbox ("an upload can be fetched back"): a file outside the share is
  served.
- b12eke-failure-counted-late -> EKE-THR-5 (2): a failed handshake is counted off the
  connection thread, 0.5 s after the close: a fast reconnect escapes the count.
- b12eke-put-name-placeholder -> APP-STORE-2 (2): the final name is reserved at PUTF
  with an empty 0600 file (replaced at commit): the name is visible before the data is
  verified.
- b12eke-pending-released-at-eke2 -> EKE-THR-7 (2): the pending-login slot is given back
  once EKE2 is out ("the costly part is over"), not when the handshake ends: any number
  of guesses of one user are held open at once.
- b12eke-peer-nonfatal-eror-kept-open -> ERR-3 (3): a non-fatal code in the client's
  EROR is believed: the responder drops the transfer and stays open.
- b12eke-eke1-control-limit-is-frame-limit -> FRM-8 (3): the handshake reader takes the
  announced length up to the frame limit (and the parser has no 64 KiB check): a
  100 KB EKE1 is answered EKE2.
- b12eke-put-accept-echoes-offered-name -> APP-PUT-1 (3): RSFL{accept} echoes the offered
  name (`d/x.txt`), not the stored basename.
- b12eke-rsfl-sha256-null -> FRM-14 (4): a get's RSFL carries `"sha256": null`.
- b12eke-eror-message-whole-name -> ERR-1 (4): refusal messages quote the whole name and
  the encoder does not cut the message: over 512 characters for a long name.
- b12eke-put-done-without-sha -> APP-PUT-5 (4): the put's acknowledging DONE carries
  `size` only.
- b12eke-eke2-b-short-hex -> EKE-HS-2 (4): EKE2's `b` is `format(int(B), "x")`: no
  leading zeros (one handshake in 16 has fewer than 768 hex characters).
- b12eke-busy-refusal-no-name -> ERR-1 (4): the admission's `busy` EROR (LIM-4/LIM-8),
  built by hand, has no `name`.
- b12eke-data-length-counts-header -> EKE-REC-1 (4): a get's DATA frames carry a length
  that counts their own 8-byte header.
- b12eke-get-done-sha-prefixed -> FRM-12 (4): a get's DONE sha256 is "sha256:<hex>".
- b12eke-success-forgives-all-users -> EKE-THR-1 (5): a success clears the whole user
  table: alice's login forgives mallory's guesses.
- b12eke-temp-name-from-final-name -> APP-PUT-8 (5): the temporary is `.sft-partial-` +
  the final name, created O_EXCL: a second concurrent PUTF of the name fails `internal`.
- b12eke-pending-login-held-till-close -> EKE-THR-7 (5): the pending-login slot of a
  successful handshake is released only when its connection ends: P open sessions of a
  user make its next EKE1 `busy`.
- b12eke-attempted-on-the-class -> EKE-THR-2 (5): the "user whose EKE2 went out" list
  lives on the class: every later failure is counted against the first user name ever
  attempted (the honest one), any user's.
- b12eke-fifo-served -> APP-GET-2 (6): the non-regular check refuses directories only: a
  FIFO is served as an empty file.
- b12eke-unknown-type-ignored-receiving -> FRM-5 (6): an undefined frame type is skipped
  while a put is being received (refused only between requests).
- b12eke-dot-components-by-substring -> APP-NAME-2 (6): `.`/`..` components refused by
  a substring deny-list (`../`, `/../`, `./`, `/./`, `//`): `a/..`, `a/.`, `.`, `a/`
  pass.
- b12eke-del-not-refused -> APP-NAME-2 (6): the control range starts at 0x80: DEL passes.
- b12eke-unknown-type-skipped-in-handshake -> EKE-HS-9 (6): a frame type the handshake
  does not define is skipped as an extension before EKE1 and between EKE2 and EKE3.

Blind measure (the suite as it stood, each mutant against the case file guessed before
reading any case): 15 of 26 detected. Of the 11 misses, 4 were caught by the unchanged
suite in another file than the one guessed (rsfl-sha256-null: test_framing.py;
get-done-sha-prefixed: test_interop_answer_frames.py; del-not-refused: test_app_names.py;
put-accept-echoes-offered-name: test_app_put.py): 19 of 26 by the unchanged suite. One
was dropped as not observable against the embedded limits: b12eke-pending-caps-swapped
(the per-user and per-address pending caps swapped) changes nothing while P = Q (both 4
in conformance/embedded.py). Six escaped, and phase 2 added (new files, by topic):
- test_eke_login_bookkeeping.py: a success forgives its own user name only (another
  name's lock stays: success-forgives-all-users); open sessions are not pending logins
  (P sessions held, the next login must complete: pending-login-held-till-close).
- test_eke_clear_errors.py: every EROR sent in clear (admission busy, pending busy,
  throttled, auth_failed, unexpected_frame, bad_frame, handshake timeout) is checked
  member by member (busy-refusal-no-name).
- test_eke_undefined_types.py: an undefined frame type is unexpected_frame in every
  record-phase state: idle, a put accepted, mid-put, after a refused put, pipelined
  behind a get (unknown-type-ignored-receiving).
- test_eke_share_scope.py: a file only the inbox holds is not served by a get
  (get-falls-back-to-inbox).
- test_eke_handshake_encodings.py: 64 handshakes, each EKE2 b/c and EKE4 c of their exact
  lowercase hex length (eke2-b-short-hex: one handshake in 16; the unchanged suite saw it
  only by chance in a whole-suite run, not in its own file's run).
After: 25 of 25 detected.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import textwrap
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _edit(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """`_patch_source` whose replacement may span lines: each "\\n" in `new` is followed
    by the indentation of the line that holds `old`."""
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


def _server() -> Any:
    return _module("reference.eke.server")


def _app() -> Any:
    return _module("reference.app")


def _share() -> Any:
    return _module("reference.share")


def _throttle() -> Any:
    return _module("reference.eke.throttle")


# --- lens 1: two values of one type -----------------------------------------------


def _success_forgets_address_key() -> None:
    _patch_source(
        _throttle().Throttle,
        "succeeded",
        ("del address  #", "pass  #"),
        (
            'self._entries.pop(("user", user), None)',
            'self._entries.pop(("user", address_key(address)), None)',
        ),
    )


# --- lens 2: acknowledged before done ---------------------------------------------


def _failure_counted_late() -> None:
    _patch_source(
        _server().EkeServer,
        "_handshake",
        (
            "self.throttle.failed(attempted[0], address)",
            "threading.Timer(0.5, self.throttle.failed, (attempted[0], address)).start()",
        ),
    )


def _put_name_placeholder() -> None:
    share = _share()
    partial_cls = share.PartialFile
    original_commit = partial_cls.commit
    original_abort = partial_cls.abort

    def begin(self: Any, final_name: str, size: int) -> Any:
        fd = os.open(
            final_name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=self._fd,
        )
        os.close(fd)
        partial = partial_cls(self._fd, final_name, size)
        partial._mutant_placeholder = True
        return partial

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if getattr(self, "_mutant_placeholder", False):
            self._mutant_placeholder = False
            overwrite = True
        original_commit(self, overwrite=overwrite)

    def abort(self: Any) -> None:
        if getattr(self, "_mutant_placeholder", False) and not self._done:
            self._mutant_placeholder = False
            with contextlib.suppress(OSError):
                os.unlink(self.final_name, dir_fd=self._dir_fd)
        original_abort(self)

    share.Inbox.begin = begin
    partial_cls.commit = commit
    partial_cls.abort = abort


# --- lens 3: peer-claimed values trusted ------------------------------------------


def _peer_nonfatal_eror_kept_open() -> None:
    server = _server()

    def drop(partial: Any) -> None:
        if partial is not None:
            partial.abort()

    server._mutant_drop = drop
    _patch_source(
        _app().ApplicationConnection,
        "_on_control",
        (
            "self.state = nxt if not message.fatal else self._closed()",
            "self.state = (R.IDLE if self.role is RESPONDER else nxt) "
            "if not message.fatal else self._closed()",
        ),
    )
    _edit(
        server.EkeServer,
        "_serve_records",
        (
            "if event is CLOSED or isinstance(event, ErrorFrame):",
            "if isinstance(event, ErrorFrame) and not event.fatal:\n"
            "    partial = _mutant_drop(partial)\n"
            "    continue\n"
            "if event is CLOSED or isinstance(event, ErrorFrame):",
        ),
    )


# --- lens 4: sloppy output --------------------------------------------------------


def _rsfl_sha256_null() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.FileResponse):
            obj = {"name": message.name, "size": message.size, "sha256": message.sha256}
            encoded: bytes = frames.encode_frame(messages.T_RSFL, frames.dumps_control(obj))
            return encoded
        result: bytes = original(message)
        return result

    messages.encode_message = encode_message
    _app().encode_message = encode_message


def _eror_message_whole_name() -> None:
    messages = _module("reference.messages")
    share = _share()
    share._shown = repr
    _patch_source(
        messages,
        "encode_message",
        ('"message": message.message[:MAX_MESSAGE_CHARS]', '"message": message.message'),
    )
    _app().encode_message = messages.encode_message


def _put_done_without_sha() -> None:
    server = _server()
    frames = _module("reference.frames")

    def ack(stream: Any) -> None:
        done = stream.app.send(stream.app.stored_done())  # accounting only
        del done
        frame = frames.encode_frame(b"DONE", frames.dumps_control({"size": stream._mutant_size}))
        stream.sock.sendall(stream.channel.seal(frame))
        stream.channel.release_buffers()

    server._mutant_ack = ack
    _edit(
        server.EkeServer,
        "_finish_put",
        (
            "stream.send(stream.app.stored_done())",
            "stream._mutant_size = partial.written\n_mutant_ack(stream)",
        ),
    )


def _eke2_b_short_hex() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "accept",
        (
            '{"b": b.hex(), "c": c2.hex()}',
            '{"b": format(int.from_bytes(b, "big"), "x"), "c": c2.hex()}',
        ),
    )


# --- lens 5: two principals at once -----------------------------------------------


def _success_forgives_all_users() -> None:
    _edit(
        _throttle().Throttle,
        "succeeded",
        (
            'self._entries.pop(("user", user), None)',
            'for name in list(self._entries.table("user")):\n'
            '    self._entries.pop(("user", name), None)',
        ),
    )


def _temp_name_from_final_name() -> None:
    _patch_source(
        _share().PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            'self.temp_name = f"{PARTIAL_PREFIX}{final_name}"[:255]',
        ),
    )


def _pending_login_held_till_close() -> None:
    server = _server()

    def end_login(owner: Any) -> None:
        held = getattr(threading.current_thread(), "_mutant_login", None)
        if held is not None:
            owner.throttle.end(*held)

    server._mutant_end_login = end_login
    _edit(
        server.EkeServer,
        "_handshake",
        (
            "self.throttle.end(established.user, address)",
            "threading.current_thread()._mutant_login = (established.user, address)",
        ),
    )
    _edit(
        server.EkeServer,
        "_run_connection",
        (
            "self._threads.discard(threading.current_thread())",
            "self._threads.discard(threading.current_thread())\n_mutant_end_login(self)",
        ),
    )


# --- lens 6: deny-lists -----------------------------------------------------------


def _fifo_served() -> None:
    _patch_source(
        _share().ShareDirectory,
        "open",
        ("if not stat.S_ISREG(st.st_mode):", "if stat.S_ISDIR(st.st_mode):"),
    )


def _unknown_type_ignored_receiving() -> None:
    app = _app()
    conn = app.ApplicationConnection
    original = inspect.getattr_static(conn, "_check_header").__func__

    def check_header(self: Any, frame_type: bytes, length: int) -> tuple[bytes, int]:
        if (
            frame_type not in app._KNOWN_TYPES
            and self.state is app.ResponderState.RECEIVING
            and length <= app.MAX_CONTROL_PAYLOAD
        ):
            return frame_type, length  # a keep-alive or an extension: skipped below
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    conn._check_header = check_header
    _edit(
        conn,
        "_next_event",
        (
            "nxt = self._lookup(frame_type)",
            "if frame_type not in _KNOWN_TYPES:\n"
            "    if len(buf) < length:\n"
            "        return self._starved()\n"
            "    del buf[:length]\n"
            "    self._header = None\n"
            "    return self._next_event()\n"
            "nxt = self._lookup(frame_type)",
        ),
    )


# --- round-12 replacements of duplicates (lenses in the docstring) -----------------


def _hard_lock_at_throttle_threshold() -> None:
    _patch_source(
        _throttle().Throttle,
        "_hard_locked",
        ("entry.failures >= self.config.lock_after", "entry.failures >= self.config.failures"),
    )


def _get_falls_back_to_inbox() -> None:
    server = _server()
    share = _share()
    errors = _module("reference.errors")

    def open_shared(owner: Any, name: str) -> Any:
        try:
            return owner._share.open(name)
        except errors.RemoteProtocolError as exc:
            if exc.code is not errors.ErrorCode.NOT_FOUND or owner._inbox is None:
                raise
            inbox = getattr(owner, "_mutant_inbox_share", None)
            if inbox is None:
                inbox = owner._mutant_inbox_share = share.ShareDirectory(owner._inbox.path)
            return inbox.open(name)  # "a file just uploaded can be fetched back"

    server._mutant_open = open_shared
    _patch_source(
        server.EkeServer,
        "_serve_get",
        ("shared = self._share.open(name)", "shared = _mutant_open(self, name)"),
    )


def _pending_released_at_eke2() -> None:
    _edit(
        _server().EkeServer,
        "_handshake",
        (
            "hs.accept(self.store.key_for(event.user))",
            "hs.accept(self.store.key_for(event.user))\n"
            "self.throttle.end(event.user, address)  # the costly part is over",
        ),
    )


def _eke1_control_limit_is_frame_limit() -> None:
    handshake = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    json = _module("json")

    def loads_control(payload: Any) -> dict[str, Any]:
        try:
            value = json.loads(
                bytes(payload).decode("utf-8"),
                object_pairs_hook=frames._no_duplicates,
                parse_constant=frames._reject_constant,
            )
        except UnicodeDecodeError:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not UTF-8") from None
        except (ValueError, RecursionError):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not JSON") from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not an object")
        return value

    handshake.loads_control = loads_control
    _patch_source(
        handshake._Handshake,
        "_read_frame",
        (
            "parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD)",
            "parse_header(buf[:HEADER_SIZE], 1048832)",
        ),
    )


def _put_accept_echoes_offered_name() -> None:
    _patch_source(
        _server().EkeServer,
        "_begin_put",
        ("stream.send(PutAccepted(target))", "stream.send(PutAccepted(request.name))"),
    )


def _busy_refusal_no_name() -> None:
    server = _server()
    frames = _module("reference.frames")

    def busy(message: str) -> bytes:
        payload = frames.dumps_control({"code": 9, "message": message})
        encoded: bytes = frames.encode_frame(b"EROR", payload)
        return encoded

    server._mutant_busy = busy
    _patch_source(
        server.EkeServer,
        "_admit",
        (
            "sock.sendall(encode_error(ErrorCode.BUSY, message))",
            "sock.sendall(_mutant_busy(message))",
        ),
    )


def _data_length_counts_header() -> None:
    _patch_source(
        _module("reference.eke.crypto").RecordSealer,
        "seal_payload",
        (
            "_HEADER.pack_into(self._plain, 0, frame_type, length)",
            "_HEADER.pack_into(self._plain, 0, frame_type, RECORD_HEADER_LEN + length)",
        ),
    )


def _get_done_sha_prefixed() -> None:
    server = _server()
    frames = _module("reference.frames")

    def done(stream: Any) -> None:
        ours = stream.app.outgoing_done()
        stream.app.send(ours)  # accounting only
        payload = frames.dumps_control({"size": ours.size, "sha256": "sha256:" + ours.sha256})
        stream.sock.sendall(stream.channel.seal(frames.encode_frame(b"DONE", payload)))
        stream.channel.release_buffers()

    server._mutant_get_done = done
    _patch_source(
        server.EkeServer,
        "_serve_get",
        ("stream.send(stream.app.outgoing_done())", "_mutant_get_done(stream)"),
    )


def _attempted_on_the_class() -> None:
    server = _server()
    server.EkeServer._mutant_attempted = []
    _patch_source(
        server.EkeServer,
        "_handshake",
        (
            "attempted: list[str] = []",
            "attempted: list[str] = self._mutant_attempted",
        ),
    )


def _dot_components_by_substring() -> None:
    _edit(
        _share(),
        "check_name",
        (
            'parts = name.split("/")',
            'if name == ".." or name.startswith(("../", "./")) or any(\n'
            '    bad in name for bad in ("/../", "/./", "//")\n'
            "):\n"
            '    raise NameRefused(f"dot components are not allowed: {_shown(name)}")\n'
            'parts = name.split("/")',
        ),
        ('if part in ("", ".", ".."):', "if False:"),
    )


def _del_not_refused() -> None:
    _patch_source(
        _share(),
        "check_name",
        ("ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F", "ord(c) < 0x20 or 0x80 <= ord(c) <= 0x9F"),
    )


def _unknown_type_skipped_in_handshake() -> None:
    _edit(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "if step is None:",
            "if step is None and frame_type not in _SCHEMAS:  # an extension: skip it\n"
            "    if len(buf) < HEADER_SIZE + length:\n"
            "        return self._need_more()\n"
            "    del buf[: HEADER_SIZE + length]\n"
            "    return self._read_frame()\n"
            "if step is None:",
        ),
    )


def _server_mutant(
    name: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"b12eke-{name}",
        group="eke",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _server_mutant(
        "success-forgets-address-key",
        "EKE-THR-4",
        "test_eke_throttling.py",
        "a success pops the user entry keyed by the address: the user's count is kept",
        _success_forgets_address_key,
    ),
    _server_mutant(
        "hard-lock-at-throttle-threshold",
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the hard lock compared with the throttle threshold: N failures lock for good",
        _hard_lock_at_throttle_threshold,
    ),
    _server_mutant(
        "get-falls-back-to-inbox",
        "APP-NAME-4",
        "test_eke_share_scope.py",
        "a get not found in the share is served from the inbox (outside the share)",
        _get_falls_back_to_inbox,
    ),
    _server_mutant(
        "failure-counted-late",
        "EKE-THR-5",
        "test_eke_throttling.py",
        "a failed handshake is counted 0.5 s after its close: a fast reconnect escapes",
        _failure_counted_late,
    ),
    _server_mutant(
        "put-name-placeholder",
        "APP-STORE-2",
        "test_app_inbox_files.py",
        "the final name is reserved with an empty file at PUTF: visible before verified",
        _put_name_placeholder,
    ),
    _server_mutant(
        "pending-released-at-eke2",
        "EKE-THR-7",
        "test_eke_throttling.py",
        "the pending-login slot is given back once EKE2 is out, not when the login ends",
        _pending_released_at_eke2,
    ),
    _server_mutant(
        "peer-nonfatal-eror-kept-open",
        "ERR-3",
        "test_app_eror_from_initiator.py",
        "a client's EROR with a non-fatal code drops the transfer; the connection stays",
        _peer_nonfatal_eror_kept_open,
    ),
    _server_mutant(
        "eke1-control-limit-is-frame-limit",
        "FRM-8",
        "test_eke_handshake.py",
        "handshake frames are bounded by the frame limit, not 64 KiB: a 100 KB EKE1 passes",
        _eke1_control_limit_is_frame_limit,
    ),
    _server_mutant(
        "put-accept-echoes-offered-name",
        "APP-PUT-1",
        "test_app_put.py",
        "RSFL{accept} echoes the offered name, not the stored basename",
        _put_accept_echoes_offered_name,
    ),
    _server_mutant(
        "rsfl-sha256-null",
        "FRM-14",
        "test_framing.py",
        'a get\'s RSFL carries "sha256": null',
        _rsfl_sha256_null,
    ),
    _server_mutant(
        "eror-message-whole-name",
        "ERR-1",
        "test_app_error_frames.py",
        "refusals quote the whole name and the message is not cut at 512 characters",
        _eror_message_whole_name,
    ),
    _server_mutant(
        "put-done-without-sha",
        "APP-PUT-5",
        "test_app_put.py",
        "the put's acknowledging DONE carries size only",
        _put_done_without_sha,
    ),
    _server_mutant(
        "eke2-b-short-hex",
        "EKE-HS-2",
        "test_eke_handshake_encodings.py",
        'EKE2 b is format(int(B), "x"): leading zeros dropped (1 handshake in 16)',
        _eke2_b_short_hex,
    ),
    _server_mutant(
        "busy-refusal-no-name",
        "ERR-1",
        "test_eke_clear_errors.py",
        "the admission's busy EROR has no name member",
        _busy_refusal_no_name,
    ),
    _server_mutant(
        "data-length-counts-header",
        "EKE-REC-1",
        "test_eke_records.py",
        "a get's DATA frame length counts its own 8-byte header",
        _data_length_counts_header,
    ),
    _server_mutant(
        "get-done-sha-prefixed",
        "FRM-12",
        "test_interop_answer_frames.py",
        'a get\'s DONE sha256 is "sha256:<hex>"',
        _get_done_sha_prefixed,
    ),
    _server_mutant(
        "success-forgives-all-users",
        "EKE-THR-1",
        "test_eke_login_bookkeeping.py",
        "a success clears every user's failures: alice's login forgives mallory's guesses",
        _success_forgives_all_users,
    ),
    _server_mutant(
        "temp-name-from-final-name",
        "APP-PUT-8",
        "test_app_put_race_loser.py",
        "the temporary is .sft-partial- + the final name: a second concurrent PUTF fails",
        _temp_name_from_final_name,
    ),
    _server_mutant(
        "pending-login-held-till-close",
        "EKE-THR-7",
        "test_eke_login_bookkeeping.py",
        "a successful login's pending slot is released only when its connection ends",
        _pending_login_held_till_close,
    ),
    _server_mutant(
        "attempted-on-the-class",
        "EKE-THR-2",
        "test_eke_throttling.py",
        "the attempted-user list is a class attribute: failures go to the first user",
        _attempted_on_the_class,
    ),
    _server_mutant(
        "fifo-served",
        "APP-GET-2",
        "test_app_share_files.py",
        "the non-regular check refuses directories only: a FIFO is served empty",
        _fifo_served,
    ),
    _server_mutant(
        "unknown-type-ignored-receiving",
        "FRM-5",
        "test_eke_undefined_types.py",
        "an undefined frame type is skipped while a put is received",
        _unknown_type_ignored_receiving,
    ),
    _server_mutant(
        "dot-components-by-substring",
        "APP-NAME-2",
        "test_app_names.py",
        "dot components refused by a substring deny-list: a/.., a/., . and a/ pass",
        _dot_components_by_substring,
    ),
    _server_mutant(
        "del-not-refused",
        "APP-NAME-2",
        "test_app_names.py",
        "the control-character range starts at 0x80: DEL is accepted in names",
        _del_not_refused,
    ),
    _server_mutant(
        "unknown-type-skipped-in-handshake",
        "EKE-HS-9",
        "test_eke_handshake.py",
        "a frame type the handshake does not define is skipped as an extension",
        _unknown_type_skipped_in_handshake,
    ),
)
