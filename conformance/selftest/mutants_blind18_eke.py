"""Blind red-team round 18 (helper B91): the sft-eke/1 SERVER, through the six lenses of
/work/briefs/s18/common.md. Phase 1 (blind): written from docs/SPEC.md (§0-§3, §5, §6)
and the reference's eke server code (reference/eke/*.py, app.py, frames.py, share.py,
transfer.py, admission.py, closing.py, messages.py) before any case file or independent
implementation was opened. A first list of about thirty ideas was checked against the
names and descriptions of the 3163 registered mutants; most were there already (hex by
bytes.fromhex, integers as floats or u64, the RECD limit plus the tag, a second EKE1 that
restarts, BYE_ during a put, the 0644 temporary, dangling links, the exists check through
case folding, the digest kept per connection, the do/while empty DATA, ...) and were
replaced by the ones below, written the same way before any case was read.

Lens 1 — negotiation, versions, unknown or extra fields:
- b18eke-bye-payload-exact: BYE_ is recognised by its payload bytes being exactly `{}`:
  `{ }` or `{"reason":"done"}` (an extension member, FRM-10) is answered bad_frame.
- b18eke-int-safe-range: integer members are held to JavaScript's safe range
  (2^53 - 1): a PUTF size in 2^53 .. 2^63 - 1 is bad_frame (fatal) instead of too_large.
- b18eke-eke3-strict-members: the EKE3 schema is closed: an EKE3 carrying a member
  besides `c` is bad_frame (EKE1's extension members are ignored as they should be).
- b18eke-unknown-eror-code-ignored: an EROR of the client whose code is not in the table
  (0, 15, 99) is dropped as noise; the connection goes on.
Lens 2 — round trips and inverses:
- b18eke-json-solidus-kept: the JSON decoder keeps `\\/` as backslash + solidus: a name
  sent with an escaped solidus (`sub\\/file`) is refused forbidden (a backslash).
- b18eke-json-escape-hex-lower-only: `\\u` escapes are read with lower-case hex digits
  only: `caf\\u00E9.txt` is bad_frame.
- b18eke-rsfl-json-by-format: the RSFL answers (get and put) are built by string
  formatting: a name holding `"` makes a payload that is not JSON.
- b18eke-eror-message-byte-cut: refusals echo the name cut at 64 BYTES (`%.64s`): a name
  of multi-byte characters is cut inside one, and the EROR payload is not UTF-8.
Lens 3 — out-of-order and early messages:
- b18eke-bye-in-handshake-quiet: a BYE_ before the record phase ends the connection
  quietly (no EROR unexpected_frame).
- b18eke-hs-eke1-leftover-dropped: bytes that arrived behind EKE1 (a pipelined EKE3) are
  dropped when EKE1 is taken: the server then waits for an EKE3 that already came, until
  the handshake timeout (EROR timeout instead of auth_failed).
- b18eke-stray-requests-in-put-ignored: an RQFL or RSFL received while a put is being
  received is skipped (the receive loop only looks for DATA and DONE).
- b18eke-fin-before-commit-aborts: a put whose DONE is followed by the client's FIN (a
  half-close) is dropped before storing: "nobody is left to tell".
Lens 4 — the deployment is not the developer's machine:
- b18eke-exists-isfile: the exists check is os.path.isfile(): a directory, a FIFO or a
  link to a directory of the put's name is accepted at PUTF and refused only at DONE.
- b18eke-temp-in-tmpdir: the temporary is made by mkstemp() in the system temporary
  directory and linked into the inbox at commit: no `.sft-partial-*` in the inbox while
  the put runs (and EXDEV where /tmp is another filesystem).
- b18eke-temp-mode-late: the temporary is created with the umask's mode (0644) and made
  0600 only at its first write.
Lens 5 — distinguishers:
- b18eke-enotdir-forbidden: a get through a regular file used as a directory
  (`hello.txt/x`) is answered forbidden ("not a directory") instead of not_found.
- b18eke-unknown-user-reset: after EROR auth_failed an unknown user's connection is
  closed with a reset (SO_LINGER 0, "drop attackers fast"), a known user's with a FIN.
- b18eke-link-refusal-tells-target: the forbidden answer to a symbolic link says whether
  it leads to an existing file ("to an existing file" / "that leads nowhere").
Lens 6 — sibling paths (first vs later transfer):
- b18eke-put-limit-cumulative: the size limit is applied to the connection's total of
  accepted puts: a second put within the limit is refused too_large.
- b18eke-putf-sha-first-only: PUTF.sha256 is verified on the first put of a connection
  only; a later put whose announced digest differs from its bytes is stored.

Blind result (each mutant against the file first named, --only-req, --no-rerun): 6 of 20
detected — eke3-strict-members, bye-in-handshake-quiet (test_eke_handshake.py),
eror-message-byte-cut (test_app_error_frames.py), stray-requests-in-put-ignored
(test_framing.py), fin-before-commit-aborts (test_eke_half_close.py), exists-isfile
(test_app_put_inbox_links.py). Several first guesses named a file that does not cite the
requirement (no report).
Against other case files citing the requirement, 5 more were caught (the test_file now
names the file): bye-payload-exact and unknown-eror-code-ignored (test_framing.py),
int-safe-range and temp-in-tmpdir (test_app_put.py), rsfl-json-by-format — its put half
(RSFL{accept} not JSON) by test_app_put_names.py under APP-PUT-2; its get half is seen by
test_eke_answer_names.py only as an APP-GET-2 failure of a case citing APP-GET-7 (the RSFL
has no readable size), so the mutant now cites APP-PUT-2.
Missed by every case file tried (all of those citing the requirement unless said), and
the cases that now catch their class (each passes the reference three times and the eke
independents eke1..eke7 — eke1 declares no inbox, so the temporary-mode case SKIPs there;
the four test_app_ files also run on the pki profile, pass pki1..pki7, and are in
PKI_FILES):
- hs-eke1-leftover-dropped (FRM-4: test_eke_handshake, test_framing,
  test_interop_split_puts; test_vectors selects nothing) -> test_eke_handshake_early_frames.py:
  EKE1 with, in the same write, the whole of a (well-formed, failing) EKE3, its header
  only, its first byte only (the rest once EKE2 came): EKE2, then EROR auth_failed and the
  close before the handshake timeout. test_eke_handshake.py pipelines only behind EKE3.
- json-solidus-kept (APP-PUT-2: test_app_put_names, test_app_name_separators,
  test_app_name_character_rules, test_app_put, test_app_names, test_app_name_shapes,
  test_eke_put_name_rules) and json-escape-hex-lower-only (FRM-9:
  test_app_duplicate_key_escape_forms, test_interop_json_grammar,
  test_app_payload_encodings; VEC-2: test_app_json_encodings) -> test_app_json_escape_forms.py
  (both now cite VEC-2, "any valid JSON encoding ... escapes"): gets and puts whose
  payloads write keys and name with upper-case and mixed-case hex escapes, an escaped
  solidus (the put stored under the basename, APP-PUT-2), astral characters as escaped
  surrogate pairs in both cases.
- temp-mode-late (APP-STORE-1: test_app_put, test_app_put_concurrent) ->
  test_app_put_temporary_modes.py: the inbox watched once the PUTF is accepted (before any
  DATA), after the first DATA, with all but the last byte sent, and for a put of zero
  bytes between acceptance and DONE: every new .sft-partial-* file is 0600 each time.
- unknown-user-reset (EKE-HS-8: test_eke_handshake, test_eke_invalid_elements; the timing
  tier not run) -> test_eke_auth_failure_endings.py: how the connection ends after EROR
  auth_failed (eof, reset, still open after 2.5 s) is one and the same for the known
  account with a wrong password and for unknown names, twice each, fresh addresses.
- link-refusal-tells-target (APP-NAME-6: test_app_names) -> test_app_escape_link_answers.py:
  every name of the target's escape_symlinks, grouped by number of components, gets one
  code and one message once the name and its components are blotted out
  (test_app_names.py compares only names below one link, where such a server says the
  same thing).
- put-limit-cumulative (APP-PUT-7: test_app_put, test_app_size_widths,
  test_eke_later_requests; not tried: test_eke_put_refusal_state, test_framing, the ops
  restart file) and putf-sha-first-only (APP-PUT-5: test_app_put_sequence, test_app_put,
  test_eke_put_digests, test_interop_transfer_state, test_eke_put_announced; the other
  fifteen files citing APP-PUT-5 not tried) -> test_app_later_put_checks.py: a put whose
  PUTF.sha256 is not its bytes' digest is integrity_failed, and a PUTF of exactly
  max_file_size is accepted, first on a connection, after one and two stored puts, after
  a refused put and a get.
Not judged (SPEC silent): enotdir-forbidden, missed by all six files citing APP-NAME-7.
A case (gets of hello.txt/x, hello.txt/x/y.txt, sub/nested.txt/x: not_found) passed the
reference, eke3, eke4 and eke5, but the unmodified independent eke1 answers them
`forbidden` ("name leads outside the share"). APP-NAME-7's "a get of such a name that names
no file of the share is `not_found`" sits in a sentence about length, and APP-GET-2 lists
forbidden among the non-fatal answers: the SPEC does not say which a name through a
regular file gets. Kept in SPEC_SILENT, the case withdrawn; proposed for APP-NAME-7: "A
name whose directory part runs through a regular file of the share (`hello.txt/x`) names
no file of the share: it MUST be answered `not_found`, like any other missing file (not
`forbidden`: it is an acceptable name, and the answer must not tell the share's layout
apart from a missing file)."
Final: 19 of 19 judged mutants detected (test_mutants -k b18eke-, each against its
test_file).
Post-blind siblings, written after the cases to show they take the class:
link-refusal-shows-target-path (the refusal quotes where the link leads) ->
test_app_escape_link_answers.py; json-surrogate-pair-refused (a \\u escape in the
surrogate range refused even as half of a pair; it passes test_interop_json_grammar.py,
test_app_name_shapes.py and test_app_json_encodings.py) -> test_app_json_escape_forms.py;
unknown-user-lingers-open (an unknown name's connection held open 3 s after EROR) ->
test_eke_auth_failure_endings.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import struct
import tempfile
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "SPEC_SILENT"]

_GROUP = "blind18-eke"


def _server() -> Any:
    return _module("reference.eke.server")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _unindent(text: str) -> str:
    """`text` written at the method's indentation in its file, as _patch_source sees it
    (the method's source dedented by one class level)."""
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


def _set_loads(loads: Any) -> None:
    """Installs a replacement of frames.loads_control wherever it was imported."""
    _frames().loads_control = loads
    _messages().loads_control = loads
    _handshake().loads_control = loads


# -- lens 1: negotiation, versions, extra fields -----------------------------------------


def _bye_payload_exact() -> None:
    messages = _messages()
    _patch_source(
        messages,
        "decode_message",
        (
            "    t = frame.type\n",
            "    t = frame.type\n"
            '    if t == T_BYE and bytes(frame.payload) != b"{}":\n'
            '        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "BYE_ must carry {}")\n',
        ),
    )
    _app().decode_message = messages.decode_message


def _int_safe_range() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return type(value) is int and 0 <= value <= 2**53 - 1  # Number.isSafeInteger",
        ),
    )


def _eke3_strict_members() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n",
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n"
            '        if frame_type == b"EKE3" and set(obj) != {"c"}:\n'
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'EKE3: extra member')\n",
        ),
    )


def _unknown_eror_code_ignored() -> None:
    app = _app()
    app._b18_loads = _frames().loads_control
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        nxt = self._lookup(frame.type)\n"
            "        if frame.type == T_EROR and self.role is RESPONDER:\n"
            "            code = _b18_loads(frame.payload).get('code')\n"
            "            if type(code) is int and not 1 <= code <= 14:\n"
            "                return self._next_event()  # not one of ours: noise\n",
        ),
    )


# -- lens 2: round trips and inverses ----------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)


def _keep_solidus(text: str) -> str:
    def token(match: re.Match[str]) -> str:
        return _ESCAPE.sub(lambda e: "\\\\/" if e.group(1) == "/" else e.group(0), match.group(0))

    return _JSON_STRING.sub(token, text)


def _json_solidus_kept() -> None:
    frames = _frames()
    frames._b18_keep_solidus = _keep_solidus
    _patch_source(
        frames,
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")',
            'text = _b18_keep_solidus(bytes(payload).decode("utf-8"))',
        ),
    )
    _set_loads(frames.loads_control)


def _upper_hex_escape(text: str) -> bool:
    for match in _JSON_STRING.finditer(text):
        for esc in _ESCAPE.finditer(match.group(0)):
            if esc.group(1).startswith("u") and esc.group(1) != esc.group(1).lower():
                return True
    return False


def _json_escape_hex_lower_only() -> None:
    frames = _frames()
    frames._b18_upper_hex_escape = _upper_hex_escape
    _patch_source(
        frames,
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")\n',
            'text = bytes(payload).decode("utf-8")\n'
            "        if _b18_upper_hex_escape(text):\n"
            '            raise ValueError("bad \\\\u escape")\n',
        ),
    )
    _set_loads(frames.loads_control)


def _rsfl_json_by_format() -> None:
    messages = _messages()
    original = messages.encode_message

    def encode(message: Any) -> bytes:
        if isinstance(message, messages.FileResponse):
            text = '{"name":"' + message.name + '","size":' + str(message.size) + "}"
            return bytes(messages.encode_frame(messages.T_RSFL, text.encode("utf-8")))
        if isinstance(message, messages.PutAccepted):
            text = '{"accept":true,"name":"' + message.name + '"}'
            return bytes(messages.encode_frame(messages.T_RSFL, text.encode("utf-8")))
        return bytes(original(message))

    messages.encode_message = encode
    _app().encode_message = encode


def _shown_bytes(name: str) -> str:
    raw = name.encode("utf-8", "surrogatepass")
    cut = raw[:64].decode("utf-8", "surrogateescape")
    return "'" + cut + "'" + ("..." if len(raw) > 64 else "")


def _eror_message_byte_cut() -> None:
    frames = _frames()
    _patch_source(
        frames,
        "dumps_control",
        (".encode()", '.encode("utf-8", "surrogateescape")'),
    )
    _messages().dumps_control = frames.dumps_control
    _handshake().dumps_control = frames.dumps_control
    _share()._shown = _shown_bytes


# -- lens 3: out-of-order and early messages -----------------------------------------------


def _bye_in_handshake_quiet() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
            '        if frame_type == b"BYE_" and self.state is _S.SERVER_AWAIT_EKE1 or (\n'
            '            frame_type == b"BYE_" and self.state is _S.SERVER_AWAIT_EKE3\n'
            "        ):\n"
            "            # the client says goodbye: nothing to answer\n"
            '            self._failure = RemoteProtocolError(ErrorCode.UNEXPECTED_FRAME, "bye")\n'
            "            self.state = HandshakeState.CLOSED\n"
            "            raise self._failure.detached()\n"
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
        ),
    )


def _hs_eke1_leftover_dropped() -> None:
    _patch_method(
        _handshake().ServerHandshake,
        "_on_eke1",
        (
            "        self.user = user\n",
            "        self.user = user\n"
            "        self._inbox.clear()  # one frame per read: the rest was noise\n",
        ),
    )


def _stray_requests_in_put_ignored() -> None:
    _patch_method(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        nxt = self._lookup(frame_type)\n",
            "        if self.state is R.RECEIVING and frame_type in (T_RQFL, T_RSFL):\n"
            "            # a put is running: only DATA and DONE matter here\n"
            "            if len(buf) < length:\n"
            "                return self._starved()\n"
            "            del buf[:length]\n"
            "            self._header = None\n"
            "            return self._next_event()\n"
            "        nxt = self._lookup(frame_type)\n",
        ),
    )


def _peer_gone(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def _fin_before_commit_aborts() -> None:
    server = _server()
    server._b18_peer_gone = _peer_gone
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "                elif isinstance(event, Done):\n"
            "                    assert partial is not None\n",
            "                elif isinstance(event, Done):\n"
            "                    assert partial is not None\n"
            "                    if _b18_peer_gone(sock):  # nobody is left to tell\n"
            "                        partial.abort()\n"
            "                        partial = None\n"
            "                        return\n",
        ),
    )


# -- lens 4: the deployment ----------------------------------------------------------------


def _exists_isfile() -> None:
    _patch_method(
        _share().Inbox,
        "target_name",
        (
            "        try:\n"
            "            os.stat(base, dir_fd=self._fd, follow_symlinks=False)\n"
            "        except FileNotFoundError:\n"
            "            return base\n",
            "        if not os.path.isfile(os.path.join(self.path, base)):\n"
            "            return base\n",
        ),
    )


class _TmpdirPartial:
    """A put's temporary made by mkstemp() in the system temporary directory, linked into
    the inbox at commit (the interface of reference.share.PartialFile)."""

    def __init__(self, inbox_fd: int, final_name: str, limit: int) -> None:
        fd, self._path = tempfile.mkstemp(prefix=".sft-partial-")
        self.temp_name = os.path.basename(self._path)
        self._file: Any = os.fdopen(fd, "wb", buffering=0)
        self._inbox_fd = inbox_fd
        self.final_name = final_name
        self.limit = limit
        self.written = 0
        self._done = False

    def write(self, data: Any) -> None:
        errors = _module("reference.errors")
        view = memoryview(data).cast("B")
        if self.written + len(view) > self.limit:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED, "more data than announced"
            )
        self._file.write(view)
        self.written += len(view)

    def commit(self, *, overwrite: bool = False) -> None:
        errors = _module("reference.errors")
        os.fsync(self._file.fileno())
        self._file.close()
        try:
            os.link(self._path, self.final_name, dst_dir_fd=self._inbox_fd)
        except FileExistsError:
            self.abort()
            raise errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "already exists") from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        with contextlib.suppress(OSError):
            os.unlink(self._path)
        os.fsync(self._inbox_fd)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        if not self._done:
            self._done = True
            with contextlib.suppress(OSError):
                os.unlink(self._path)

    def __enter__(self) -> _TmpdirPartial:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            self.abort()


def _temp_in_tmpdir() -> None:
    def begin(self: Any, final_name: str, size: int) -> _TmpdirPartial:
        return _TmpdirPartial(self._fd, final_name, size)

    _share().Inbox.begin = begin


def _temp_mode_late() -> None:
    partial = _share().PartialFile
    _patch_method(
        partial,
        "__init__",
        ("            0o600,\n", "            0o666,  # the umask decides\n"),
    )
    _patch_method(
        partial,
        "write",
        (
            '        view = memoryview(data).cast("B")\n',
            '        view = memoryview(data).cast("B")\n'
            "        if self.written == 0 and view:\n"
            "            os.fchmod(self._file.fileno(), 0o600)  # private once it holds data\n",
        ),
    )


# -- lens 5: distinguishers ----------------------------------------------------------------


def _enotdir_forbidden() -> None:
    _patch_method(
        _share().ShareDirectory,
        "_open_component",
        (
            "                raise _not_found(name) from None\n"
            "            if exc.errno == errno.EACCES:\n",
            "                if exc.errno == errno.ENOTDIR:\n"
            '                    raise NameRefused(f"not a directory: {_shown(name)}") from None\n'
            "                raise _not_found(name) from None\n"
            "            if exc.errno == errno.EACCES:\n",
        ),
    )


def _known_user(store: Any, user: str) -> bool:
    with store._lock:
        row = store._db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone()
    return row is not None


def _linger_zero(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _unknown_user_reset() -> None:
    server = _server()
    server._b18_known_user = _known_user
    server._b18_linger_zero = _linger_zero
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "            with contextlib.suppress(OSError):\n                sock.close()\n",
            "            if attempted and not _b18_known_user(self.store, attempted[0]):\n"
            "                _b18_linger_zero(sock)  # an unknown name: drop it hard\n"
            "            with contextlib.suppress(OSError):\n"
            "                sock.close()\n",
        ),
    )


def _link_refusal_tells_target() -> None:
    _patch_method(
        _share().ShareDirectory,
        "_open_component",
        (
            "                if stat.S_ISLNK(st.st_mode):\n"
            "                    raise _symlink_refused(name) from None\n",
            "                if stat.S_ISLNK(st.st_mode):\n"
            "                    try:\n"
            "                        os.stat(part, dir_fd=dir_fd)\n"
            '                        where = "to an existing file"\n'
            "                    except OSError:\n"
            '                        where = "that leads nowhere"\n'
            "                    raise NameRefused(\n"
            '                        f"symbolic link {where} is not served: {_shown(name)}"\n'
            "                    ) from None\n",
        ),
    )


# -- lens 6: sibling paths -------------------------------------------------------------------


def _put_limit_cumulative() -> None:
    _patch_method(
        _server().EkeServer,
        "_begin_put",
        (
            "        if request.size > self.config.max_file_size:\n",
            '        used = getattr(stream, "_b18_put_total", 0)\n'
            "        if used + request.size > self.config.max_file_size:\n",
        ),
        (
            "        return partial\n",
            "        stream._b18_put_total = used + request.size\n        return partial\n",
        ),
    )


def _putf_sha_first_only() -> None:
    _patch_method(
        _app().ApplicationConnection,
        "_on_control",
        (
            "            self._incoming = _Transfer(message.size, message.sha256,"
            " self._digest_factory)\n"
            "        elif isinstance(message, FileResponse):\n",
            '            first = not getattr(self, "_b18_put_seen", False)\n'
            "            self._b18_put_seen = True\n"
            "            self._incoming = _Transfer(\n"
            "                message.size, message.sha256 if first else None,"
            " self._digest_factory\n"
            "            )\n"
            "        elif isinstance(message, FileResponse):\n",
        ),
    )


# -- post-blind siblings (written after the cases, to show they take the class) -------------


def _link_refusal_shows_target_path() -> None:
    _patch_method(
        _share().ShareDirectory,
        "_open_component",
        (
            "                if stat.S_ISLNK(st.st_mode):\n"
            "                    raise _symlink_refused(name) from None\n",
            "                if stat.S_ISLNK(st.st_mode):\n"
            "                    target = os.readlink(part, dir_fd=dir_fd)\n"
            "                    raise NameRefused(\n"
            '                        f"{_shown(name)} is a link out of the share (to {target})"\n'
            "                    ) from None\n",
        ),
    )


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _json_surrogate_pair_refused() -> None:
    frames = _frames()
    frames._b18_escaped_surrogate = _ESCAPED_SURROGATE
    _patch_source(
        frames,
        "loads_control",
        (
            'text = bytes(payload).decode("utf-8")\n',
            'text = bytes(payload).decode("utf-8")\n'
            "        if _b18_escaped_surrogate.search(text):  # no escape names a surrogate\n"
            '            raise ValueError("\\\\u escape of a surrogate")\n',
        ),
    )
    _set_loads(frames.loads_control)


def _unknown_user_lingers_open() -> None:
    server = _server()
    server._b18_known_user = _known_user
    server._b18_time = _module("time")
    _patch_method(
        server.EkeServer,
        "_handshake",
        (
            "            with contextlib.suppress(OSError):\n                sock.close()\n",
            "            if attempted and not _b18_known_user(self.store, attempted[0]):\n"
            "                _b18_time.sleep(3.0)  # make a name-guesser wait\n"
            "            with contextlib.suppress(OSError):\n"
            "                sock.close()\n",
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
        "b18eke-bye-payload-exact",
        "FRM-10",
        "test_framing.py",
        "L1: BYE_ recognised by its payload being exactly {}: { } or an extension member is"
        " bad_frame",
        _bye_payload_exact,
    ),
    _m(
        "b18eke-int-safe-range",
        "FRM-11",
        "test_app_put.py",
        "L1: integers held to 2^53 - 1 (JavaScript's safe range): a PUTF size of 2^53 .."
        " 2^63 - 1 is bad_frame instead of too_large",
        _int_safe_range,
    ),
    _m(
        "b18eke-eke3-strict-members",
        "FRM-10",
        "test_eke_handshake.py",
        "L1: the EKE3 schema is closed: an EKE3 with a member besides c is bad_frame",
        _eke3_strict_members,
    ),
    _m(
        "b18eke-unknown-eror-code-ignored",
        "ERR-4",
        "test_framing.py",
        "L1: a client's EROR whose code is not in the table is dropped; the connection goes on",
        _unknown_eror_code_ignored,
    ),
    # lens 2
    _m(
        "b18eke-json-solidus-kept",
        "VEC-2",
        "test_app_json_escape_forms.py",
        "L2: the JSON decoder keeps \\/ as backslash + solidus: a name sent with an escaped"
        " solidus is refused forbidden",
        _json_solidus_kept,
    ),
    _m(
        "b18eke-json-escape-hex-lower-only",
        "VEC-2",
        "test_app_json_escape_forms.py",
        "L2: \\u escapes read with lower-case hex digits only: caf\\u00E9.txt is bad_frame",
        _json_escape_hex_lower_only,
    ),
    _m(
        "b18eke-rsfl-json-by-format",
        "APP-PUT-2",
        "test_app_put_names.py",
        "L2: RSFL (get and put) built by string formatting: a name holding a quote makes a"
        " payload that is not JSON",
        _rsfl_json_by_format,
    ),
    _m(
        "b18eke-eror-message-byte-cut",
        "ERR-1",
        "test_app_error_frames.py",
        "L2: refusals echo the name cut at 64 bytes: a multi-byte character is cut and the"
        " EROR payload is not UTF-8",
        _eror_message_byte_cut,
    ),
    # lens 3
    _m(
        "b18eke-bye-in-handshake-quiet",
        "EKE-HS-9",
        "test_eke_handshake.py",
        "L3: a BYE_ before the record phase ends the connection without EROR unexpected_frame",
        _bye_in_handshake_quiet,
    ),
    _m(
        "b18eke-hs-eke1-leftover-dropped",
        "FRM-4",
        "test_eke_handshake_early_frames.py",
        "L3: bytes behind EKE1 (a pipelined EKE3) dropped: the server waits for the EKE3"
        " that came, until the handshake timeout",
        _hs_eke1_leftover_dropped,
    ),
    _m(
        "b18eke-stray-requests-in-put-ignored",
        "FRM-6",
        "test_framing.py",
        "L3: an RQFL or RSFL received during a put is skipped instead of unexpected_frame",
        _stray_requests_in_put_ignored,
    ),
    _m(
        "b18eke-fin-before-commit-aborts",
        "APP-2",
        "test_eke_half_close.py",
        "L3: a put whose DONE is followed by the client's FIN is dropped before storing (no"
        " DONE, nothing stored)",
        _fin_before_commit_aborts,
    ),
    # lens 4
    _m(
        "b18eke-exists-isfile",
        "APP-PUT-3",
        "test_app_put_inbox_links.py",
        "L4: exists checked with os.path.isfile(): a directory, FIFO or link to a directory"
        " of the put's name is accepted and refused only at DONE",
        _exists_isfile,
    ),
    _m(
        "b18eke-temp-in-tmpdir",
        "APP-STORE-1",
        "test_app_put.py",
        "L4: the put's temporary made by mkstemp() in the system temporary directory, linked"
        " into the inbox at commit",
        _temp_in_tmpdir,
    ),
    _m(
        "b18eke-temp-mode-late",
        "APP-STORE-1",
        "test_app_put_temporary_modes.py",
        "L4: the put's temporary created with the umask's mode and made 0600 at its first write",
        _temp_mode_late,
    ),
    # lens 5
    _m(
        "b18eke-unknown-user-reset",
        "EKE-HS-8",
        "test_eke_auth_failure_endings.py",
        "L5: after EROR auth_failed an unknown user's connection is reset (SO_LINGER 0), a"
        " known user's closed with a FIN",
        _unknown_user_reset,
    ),
    _m(
        "b18eke-link-refusal-tells-target",
        "APP-NAME-6",
        "test_app_escape_link_answers.py",
        "L5: the forbidden answer to a symbolic link says whether it leads to an existing file",
        _link_refusal_tells_target,
    ),
    # lens 6
    _m(
        "b18eke-put-limit-cumulative",
        "APP-PUT-7",
        "test_app_later_put_checks.py",
        "L6: the size limit applied to the connection's total of accepted puts: a second put"
        " within the limit is refused too_large",
        _put_limit_cumulative,
    ),
    _m(
        "b18eke-putf-sha-first-only",
        "APP-PUT-5",
        "test_app_later_put_checks.py",
        "L6: PUTF.sha256 verified on a connection's first put only",
        _putf_sha_first_only,
    ),
    # post-blind siblings
    _m(
        "b18eke-link-refusal-shows-target-path",
        "APP-NAME-6",
        "test_app_escape_link_answers.py",
        "(post-blind) the forbidden answer to a symbolic link quotes where it leads",
        _link_refusal_shows_target_path,
    ),
    _m(
        "b18eke-json-surrogate-pair-refused",
        "VEC-2",
        "test_app_json_escape_forms.py",
        "(post-blind) a \\u escape in the surrogate range is refused bad_frame, also as half"
        " of a pair",
        _json_surrogate_pair_refused,
    ),
    _m(
        "b18eke-unknown-user-lingers-open",
        "EKE-HS-8",
        "test_eke_auth_failure_endings.py",
        "(post-blind) after EROR auth_failed an unknown user's connection stays open 3 s",
        _unknown_user_lingers_open,
    ),
)

# Not judged (SPEC silent, see the docstring): a get through a regular file used as a
# directory answered forbidden.
SPEC_SILENT: tuple[Mutant, ...] = (
    _m(
        "b18eke-enotdir-forbidden",
        "APP-NAME-7",
        "test_app_names.py",
        "L5: a get through a regular file used as a directory (hello.txt/x) is forbidden"
        " instead of not_found",
        _enotdir_forbidden,
    ),
)
