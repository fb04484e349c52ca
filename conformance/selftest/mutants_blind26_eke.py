"""Blind red-team round 26 (helper B182): the sft-eke/1 SERVER through the six lenses of
/work/briefs/s26/common.md. Phase 1 (blind): written from docs/SPEC.md (§1-3 as the eke
server runs them, §5, §6) and reference/eke/{server,handshake,crypto,records,transport,
store}.py, reference/app.py, reference/messages.py and reference/share.py before any case
file was opened. The first list was checked against the names and descriptions of the
4,224 registered mutants; the ideas found there (a second EKE1 restarting the handshake,
an EROR of code 0 skipped, user names refused unless str.isprintable(), min(Y, p - Y) as
the sign choice, a malformed EROR dropped mid-put, a non-fatal EROR keeping the
connection, a VARCHAR(32) throttle key) were dropped.

Lens 1 — the thin MUSTs:
- b26eke-user-c1-bound-typo: the user name's control check refuses U+007F-U+00FF (the C1
  upper bound typed 0xFF for 0x9F): a valid name with é, ü or ß is bad_frame [EKE-PW-1].
- b26eke-user-word-regex: user names must match [\\w.@-]+ (a web form's rule): a valid name
  with a space, `+` or an apostrophe is bad_frame instead of a login [EKE-PW-1].
- b26eke-rsfl-name-stripped: RSFL carries the request's name strip()ped (a display
  cleanup): a get of ` notes.txt ` is answered with `notes.txt` [APP-GET-7].
Lens 3 — passing the vectors:
- b26eke-surrogate-name-fffd: a name's lone surrogates become U+FFFD (Go's encoding/json,
  Node's TextEncoder) and the name is used: `x\\ud800` is the file `x\\ufffd` [FRM-15].
- b26eke-get-last-chunk-full: a get of more than 1 MiB sends its last DATA frame as the
  whole 1 MiB buffer (stale bytes after the file's end) [APP-GET-4].
Lens 4 — neighbouring-protocol habits:
- b26eke-eror-1xx-provisional-skipped: an EROR whose code is 100-199 is a provisional
  answer (HTTP 1xx) and skipped, in the handshake and in the record phase [ERR-4].
- b26eke-renegotiate-in-records: an EKE1 inside a record is a re-key (TLS renegotiation):
  answered EKE2 in the channel, outside the throttle: unlimited guesses against any user
  name on one logged-in connection [EKE-SEC-3].
- b26eke-store-replaced-after-login: after a successful login the store is rewritten as a
  copy renamed over it (write-then-rename): the copy has the umask's mode 0644 [EKE-PW-2].
Post-blind siblings (after the cases, to show they take the class):
- b26eke-unknown-code-by-name, b26eke-rsfl-name-windows-trim, b26eke-renegotiate-clear-eke2;
  and one more probe of lens 6, b26eke-eror-after-get-cancels [APP-3] (caught already by
  test_app_state_machine.py).
Not planted: EKE-REC-7 (the usage limit cannot be reached on the wire, SPEC says so) and
EKE-THR-10 (the ::ffff: and /64 rules need a dual-stack or non-loopback IPv6 listener; a
case over 127.0.0.1 cannot tell them); EKE-KS-2's p - 1 (unreachable once EKE-X-3 holds).

Blind result (8): 4 detected by the file first named (user-c1-bound-typo, user-word-regex:
test_eke_user_names_invalid.py; store-replaced-after-login: test_ops_eke_store_files.py;
surrogate-name-fffd: test_framing.py, once the mutant was made live - its first version was
inert, the reference's schema refusing lone surrogates before the planted decoder), 1 more
by the whole suite (get-last-chunk-full: test_app_share_files.py), 3 missed. New cases:
test_eke_eror_code_ranges.py (ERR-4: fourteen unknown codes across HTTP-like ranges with
non-fatal names, in the channel and before EKE1), test_app_get_name_echo.py (APP-GET-7:
RSFL.name for names with blanks, dots and case at their edges), test_eke_login_inside_channel
.py (EKE-SEC-3 / FRM-5: handshake frames inside the channel, EKE2 sealed or clear). Final:
12 of 12 detected (-k b26eke).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind26-eke"


def _handshake_module() -> Any:
    return _module("reference.eke.handshake")


# -- lens 1 ------------------------------------------------------------------------------


def _user_c1_bound_typo() -> None:
    _patch_method(
        _handshake_module().ServerHandshake,
        "_on_eke1",
        (
            '        user = obj["user"]\n',
            '        user = obj["user"]\n'
            "        if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0xFF for ch in user):\n"
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.BAD_FRAME, "EKE1: control character"\n'
            "            )\n",
        ),
    )


def _user_word_regex() -> None:
    _patch_method(
        _handshake_module().ServerHandshake,
        "_on_eke1",
        (
            '        user = obj["user"]\n',
            '        user = obj["user"]\n'
            '        if not __import__("re").fullmatch(r"[\\w.@-]+", user):\n'
            '            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "EKE1: bad user name")\n',
        ),
    )


def _rsfl_name_stripped() -> None:
    _patch_method(
        _module("reference.eke.server").EkeServer,
        "_serve_get",
        (
            "            stream.send(FileResponse(name, shared.size))\n",
            "            stream.send(FileResponse(name.strip(), shared.size))\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _surrogate_name_fffd() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    # The decoder replaced them already (Go's encoding/json): every string is text.
    _module("reference.frames")._is_encodable = lambda value: True
    original = app.decode_message
    lone = _module("re").compile("[\ud800-\udfff]")

    def decode(frame: Any, **kwargs: Any) -> Any:
        message = original(frame, **kwargs)
        if isinstance(message, messages.FileRequest | messages.PutRequest):
            fixed = lone.sub("\ufffd", message.name)
            if fixed != message.name:
                message = _module("dataclasses").replace(message, name=fixed)
        return message

    app.decode_message = decode


def _get_last_chunk_full() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "send_file_chunk",
        (
            "        self.app.send_data_header(buf[:n])  # accounts and hashes; the header is "
            "ours\n"
            "        send_progressing(self.sock, self.channel.seal_payload(T_DATA, n))\n",
            "        later = self.app._outgoing is not None and self.app._outgoing.count > 0\n"
            "        self.app.send_data_header(buf[:n])\n"
            "        size = MAX_DATA_PAYLOAD if later and n < MAX_DATA_PAYLOAD else n\n"
            "        send_progressing(self.sock, self.channel.seal_payload(T_DATA, size))\n",
        ),
    )


# -- lens 4 ------------------------------------------------------------------------------


def _eror_1xx_provisional_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        nxt = self._lookup(frame.type)\n"
            "        if frame.type == T_EROR:\n"
            '            code = __import__("json").loads(bytes(frame.payload)).get("code")\n'
            "            if type(code) is int and 100 <= code <= 199:  # provisional (HTTP 1xx)\n"
            "                return self._next_event()\n",
        ),
    )
    _patch_method(
        _handshake_module()._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        obj = loads_control(payload)\n"
            '        code = obj.get("code") if isinstance(obj, dict) else None\n'
            "        if frame_type == T_EROR and type(code) is int and 100 <= code <= 199:\n"
            "            return self._read_frame()  # provisional, like HTTP 1xx\n",
        ),
    )


def _renegotiate_in_records() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "next_event",
        (
            "            assert isinstance(frame, InnerFrame)\n",
            "            assert isinstance(frame, InnerFrame)\n"
            '            if frame.type == b"EKE1":  # a re-key inside the channel (renegotiation)\n'
            "                from reference.eke import crypto as _crypto\n"
            "                from reference.eke.handshake import ServerHandshake as _Server\n"
            "                hs = _Server()\n"
            "                hs.receive_data(\n"
            '                    b"EKE1" + len(frame.payload).to_bytes(4, "big")\n'
            "                    + bytes(frame.payload)\n"
            "                )\n"
            "                attempt = hs.next_event()\n"
            "                hs.accept(_crypto.fake_password_key(bytes(32), attempt.user))\n"
            "                self.sock.sendall(self.channel.seal(hs.data_to_send()))\n"
            "                continue\n",
        ),
    )


def _unknown_code_by_name() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        nxt = self._lookup(frame.type)\n",
            "        nxt = self._lookup(frame.type)\n"
            "        if frame.type == T_EROR:\n"
            '            obj = __import__("json").loads(bytes(frame.payload))\n'
            '            known = {int(c) for c in ErrorCode}\n'
            '            names = {c.wire_name: c for c in ErrorCode}\n'
            '            code, name = obj.get("code"), obj.get("name")\n'
            "            if code not in known and name in names and not names[name].fatal:\n"
            "                return self._next_event()  # the name says what the code means\n",
        ),
    )


def _rsfl_name_windows_trim() -> None:
    _patch_method(
        _module("reference.eke.server").EkeServer,
        "_serve_get",
        (
            "            stream.send(FileResponse(name, shared.size))\n",
            '            stream.send(FileResponse(name.rstrip(". "), shared.size))\n',
        ),
    )


def _renegotiate_clear_eke2() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "next_event",
        (
            "            assert isinstance(frame, InnerFrame)\n",
            "            assert isinstance(frame, InnerFrame)\n"
            '            if frame.type == b"EKE1":  # a new login: its EKE2 in clear, as at first\n'
            "                from reference.eke import crypto as _crypto\n"
            "                from reference.eke.handshake import ServerHandshake as _Server\n"
            "                hs = _Server()\n"
            "                hs.receive_data(\n"
            '                    b"EKE1" + len(frame.payload).to_bytes(4, "big")\n'
            "                    + bytes(frame.payload)\n"
            "                )\n"
            "                attempt = hs.next_event()\n"
            "                hs.accept(_crypto.fake_password_key(bytes(32), attempt.user))\n"
            "                self.sock.sendall(hs.data_to_send())\n"
            "                continue\n",
        ),
    )


def _eror_after_get_cancels() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "                if event is CLOSED or isinstance(event, ErrorFrame):\n"
            "                    return\n",
            "                if isinstance(event, ErrorFrame) and last_get:\n"
            "                    last_get = False  # the client cancels the get it was sent\n"
            "                    stream.app.state = type(stream.app.state).IDLE\n"
            "                    continue\n"
            "                if event is CLOSED or isinstance(event, ErrorFrame):\n"
            "                    return\n"
            "                last_get = isinstance(event, FileRequest)\n",
        ),
        (
            "        partial: PartialFile | None = None\n",
            "        partial: PartialFile | None = None\n"
            "        last_get = False\n",
        ),
    )


def _store_replaced_after_login() -> None:
    store = _module("reference.eke.store")
    _patch_method(
        store.PasswordStore,
        "record_login",
        (
            "        when = time.time() if now is None else now\n",
            "        when = time.time() if now is None else now\n"
            "        if success:  # a compact copy replaces the store (write, then rename over)\n"
            '            fresh = self.path.with_name(self.path.name + ".new")\n'
            '            __import__("shutil").copyfile(self.path, fresh)\n'
            '            __import__("os").replace(fresh, self.path)\n',
        ),
    )
    # Self-test only: the run's store is shared by every mutant's server; this one works
    # on a private copy (0600, in a directory of its own beside it) and leaves it alone.
    original = store.PasswordStore.__init__
    os, shutil = _module("os"), _module("shutil")

    def private_copy(self: Any, path: Any, *, create: bool = False) -> None:
        source = store.Path(path)
        here = source.parent / f".b26eke-store-{os.getpid()}"
        here.mkdir(mode=0o700, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if source.with_name(source.name + suffix).exists():
                shutil.copy2(source.with_name(source.name + suffix), here / (source.name + suffix))
        original(self, here / source.name, create=create)

    store.PasswordStore.__init__ = private_copy


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b26eke-user-c1-bound-typo",
        "EKE-PW-1",
        "test_eke_user_names_invalid.py",
        "L1: the user name's control check refuses U+007F-U+00FF (the C1 upper bound typed"
        " 0xFF for 0x9F): a valid user name with e-acute, u-umlaut or sharp s is bad_frame",
        _user_c1_bound_typo,
    ),
    _m(
        "b26eke-user-word-regex",
        "EKE-PW-1",
        "test_eke_user_names_invalid.py",
        "L1: user names must match [\\w.@-]+ (a web form's rule): a valid name with a space,"
        " '+' or an apostrophe is answered bad_frame instead of EKE2",
        _user_word_regex,
    ),
    _m(
        "b26eke-rsfl-name-stripped",
        "APP-GET-7",
        "test_app_get_name_echo.py",
        "L1/L3: the get's RSFL carries the request's name strip()ped (a display cleanup): a"
        " get of ' notes.txt ' is answered RSFL name 'notes.txt'",
        _rsfl_name_stripped,
    ),
    _m(
        "b26eke-surrogate-name-fffd",
        "FRM-15",
        "test_framing.py",
        "L3/L5: lone surrogates of a get's or put's name become U+FFFD (Go's encoding/json,"
        " Node's TextEncoder) and the name is used: x + U+D800 is the file x + U+FFFD",
        _surrogate_name_fffd,
    ),
    _m(
        "b26eke-get-last-chunk-full",
        "APP-GET-4",
        "test_app_share_files.py",
        "L3: a get of more than 1 MiB sends its last DATA frame as the whole 1 MiB buffer"
        " (stale bytes after the file's end): more DATA bytes than RSFL announced",
        _get_last_chunk_full,
    ),
    _m(
        "b26eke-eror-1xx-provisional-skipped",
        "ERR-4",
        "test_eke_eror_code_ranges.py",
        "L4: an EROR whose code is 100-199 is a provisional answer (HTTP 1xx) and skipped, in"
        " the handshake and in the record phase, instead of internal (fatal)",
        _eror_1xx_provisional_skipped,
    ),
    _m(
        "b26eke-renegotiate-in-records",
        "EKE-SEC-3",
        "test_eke_login_inside_channel.py",
        "L4: an EKE1 inside a record is a re-key (TLS renegotiation) and answered EKE2 in the"
        " channel, outside the throttle: unlimited guesses against any user on one connection",
        _renegotiate_in_records,
    ),
    _m(
        "b26eke-store-replaced-after-login",
        "EKE-PW-2",
        "test_ops_eke_store_files.py",
        "L4/L5: after each successful login the password store is rewritten as a copy renamed"
        " over it (write, then rename): the store holding every pw becomes mode 0644",
        _store_replaced_after_login,
    ),
    _m(
        "b26eke-unknown-code-by-name",
        "ERR-4",
        "test_eke_eror_code_ranges.py",
        "(post-blind) an EROR whose code is not in the table is judged by its name: one named"
        " not_found, exists, forbidden... is a non-fatal refusal, skipped, the connection goes on",
        _unknown_code_by_name,
    ),
    _m(
        "b26eke-rsfl-name-windows-trim",
        "APP-GET-7",
        "test_app_get_name_echo.py",
        "(post-blind) the get's RSFL carries the request's name with its trailing dots and"
        " spaces trimmed (Windows' rule for file names)",
        _rsfl_name_windows_trim,
    ),
    _m(
        "b26eke-renegotiate-clear-eke2",
        "EKE-SEC-3",
        "test_eke_login_inside_channel.py",
        "(post-blind) an EKE1 inside a record starts a new login answered by a clear EKE2 (as"
        " the first login was): a guess outside the throttle on a logged-in connection",
        _renegotiate_clear_eke2,
    ),
    _m(
        "b26eke-eror-after-get-cancels",
        "APP-3",
        "test_app_state_machine.py",
        "(post-blind) L6: an EROR that arrives right behind a get (crossing its DATA) is the"
        " initiator cancelling that get: skipped, and the requests after it are served",
        _eror_after_get_cancels,
    ),
)
