"""Blind red-team round 27 (helper B199): the sft-eke/1 SERVER through the six lenses of
/work/briefs/s27/common.md. Phase 1 (blind): written from docs/SPEC.md (§1-3 as the eke
server runs them, §5, §6) and reference/eke/{server,handshake,crypto,records,transport,
store}.py, reference/app.py, reference/frames.py, reference/messages.py and
reference/share.py before any case file was opened. The first list was checked against
the names and descriptions of the 4,347 registered mutants; ideas found there were
dropped (r): DATA beyond the size refused only at DONE (cov-eke-overflow-found-at-done),
an account looked up by prefix (caught by the trim cases), Z minimally encoded
(b6eke-ks2-short-z), a user name limit on its JSON-escaped spelling (b13eke-name-limit-
escaped, for file names), the put's name checked on its basename only.

Lens 1 — the thin MUSTs, recounted:
- b27eke-eror-mid-put-malformed-skipped: during a put a malformed EROR (no integer code)
  is skipped as noise; the DATA and DONE after it are stored and acknowledged [ERR-8].
- b27eke-record-limit-less-tag: the record limit is compared with the record's length
  less its 16-byte tag: a RECD header announcing limit+1 .. limit+16 is waited for [FRM-3].
Lens 2 — the assistant's draft:
- b27eke-user-category-c: user names refused when a character's Unicode category starts
  with C (meant: controls): format, private-use and unassigned characters too [EKE-PW-1;
  filed under EKE-HS-3, the requirement its catching case cites].
- b27eke-put-name-log-utf8-cut: the put's log line cuts the name at 64 UTF-8 bytes and
  decodes it strictly: a name whose 64th byte splits a character kills the connection
  before the answer [APP-PUT-2].
Lens 3 — cross-references and defined terms:
- b27eke-number-fraction-refused: FRM-11's integer rule applied to every JSON number of a
  control payload: an extension member holding 1.5 or 1e3 is bad_frame [FRM-10].
Lens 4 — interop is not conformance:
- b27eke-put-accept-one: the put's acceptance is RSFL {"accept": 1, ...} (a C printf
  of a flag); its own client tests accept for truth [APP-PUT-1].
Lens 5 — two faults at once:
- b27eke-eke1-a-checked-for-accounts: the account is looked up before EKE1's `a` is
  validated, and `a` is checked on the known-account path only: a malformed `a` is
  bad_frame for an account, EKE2 for an unknown name [EKE-HS-3].
- b27eke-too-large-after-temp: the temporary is created at PUTF before the size check; a
  too_large refusal leaves the .sft-partial- file in the inbox [APP-STORE-3].
Lens 6 — beyond the toy sizes:
- b27eke-put-excess-per-frame: DATA beyond the announced size judged per frame (length >
  size), not on the running total: a put's second frame overruns to disk [APP-STORE-4].
- b27eke-get-name-log-utf8-cut: the get's log line cuts the name at 64 UTF-8 bytes
  strictly: a long multibyte name whose 64th byte splits a character is never answered
  [APP-NAME-7].
Post-blind sibling (after the case, to show it takes the class):
- b27eke-eke1-a-lenient-for-accounts: `a` decoded with bytes.fromhex (upper case taken) on
  the account's path, the strict schema for made-up names [EKE-HS-3].
Not planted: EKE-REC-7 (not observable on the wire), EKE-THR-10 (needs a dual-stack or
IPv6 listener), EKE-SEC-4 and APP-NAME-5 (timing and races), EKE-GRP-1 (a wrong group
fails every interop run; the one registered mutant is the seed's client-chosen group).

Blind result (10): 2 detected by the file first named (record-limit-less-tag:
test_eke_records.py; too-large-after-temp: test_app_put_refusal_leftovers.py) and 2 more by
another file first tried (put-name-log-utf8-cut: test_app_put_names.py; get-name-log-utf8-
cut: test_app_names.py); 5 more by the whole suite (eror-mid-put-malformed-skipped:
test_app_fatal_answer_forms.py; number-fraction-refused: test_framing.py; put-accept-one:
test_app_state_machine.py; put-excess-per-frame: test_app_put.py; user-category-c:
test_eke_user_name_code_points.py, which cites EKE-HS-3 only, so the mutant is filed under
EKE-HS-3); 1 missed (eke1-a-checked-for-accounts). New case:
test_eke_eke1_malformed_account_blind.py (EKE-HS-3: ten malformed `a`, each with an
account's name and a made-up one, answers compared). Final: 11 of 11 detected (-k b27eke).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind27-eke"


def _server_module() -> Any:
    return _module("reference.eke.server")


# -- lens 1 ------------------------------------------------------------------------------


def _eror_mid_put_malformed_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        try:\n"
            "            message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n"
            "        except RemoteProtocolError:\n"
            "            if frame.type == T_EROR and self.state is R.RECEIVING:\n"
            "                return self._next_event()  # garbled noise mid-put: the put goes on\n"
            "            raise\n",
        ),
    )


def _record_limit_less_tag() -> None:
    _patch_method(
        _module("reference.eke.records").RecordReader,
        "_parse_header",
        (
            "            frame_type, length = parse_header(self._view[:HEADER_SIZE], "
            "self.max_record)\n",
            "            # the limit is on the frame inside: the tag is ours, not the peer's\n"
            "            frame_type, length = parse_header(\n"
            "                self._view[:HEADER_SIZE], self.max_record + 16\n"
            "            )\n",
        ),
    )


# -- lens 2 ------------------------------------------------------------------------------


def _user_category_c() -> None:
    _patch_method(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke1",
        (
            '        user = obj["user"]\n',
            '        user = obj["user"]\n'
            '        _ud = __import__("unicodedata")\n'
            '        if any(_ud.category(ch).startswith("C") for ch in user):  # no controls\n'
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.BAD_FRAME, "EKE1: control character in the user name"\n'
            "            )\n",
        ),
    )


def _put_name_log_utf8_cut() -> None:
    _patch_method(
        _server_module().EkeServer,
        "_serve_records",
        (
            "                elif isinstance(event, PutRequest):\n",
            "                elif isinstance(event, PutRequest):\n"
            '                    log.debug("put offered: %s", event.name.encode()[:64].decode())\n',
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _number_fraction_refused() -> None:
    frames = _module("reference.frames")
    json = _module("json")
    original = frames.loads_control

    def no_fraction(text: str) -> Any:
        raise ValueError(f"{text} is not an integer")

    def loads_control(payload: Any) -> Any:
        value = original(payload)
        try:  # [FRM-11]: numbers are integers
            json.loads(bytes(payload).decode("utf-8"), parse_float=no_fraction)
        except ValueError:
            raise _module("reference.errors").RemoteProtocolError(
                _module("reference.errors").ErrorCode.BAD_FRAME, "numbers must be integers"
            ) from None
        return value

    for name in ("reference.frames", "reference.messages", "reference.eke.handshake"):
        _module(name).loads_control = loads_control


# -- lens 4 ------------------------------------------------------------------------------


def _put_accept_one() -> None:
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        (
            '        return _control(T_RSFL, {"accept": True, "name": message.name})\n',
            '        return _control(T_RSFL, {"accept": 1, "name": message.name})\n',
        ),
    )


# -- lens 5 ------------------------------------------------------------------------------


def _eke1_a_checked_for_accounts() -> None:
    handshake = _module("reference.eke.handshake")
    schemas = handshake._SCHEMAS
    schemas[handshake.T_EKE1] = {"user": ("str", True), "a": ("str", True)}
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke1",
        (
            '        self._a = _hex(obj, "a")\n',
            '        self._a_text = obj["a"]  # decoded once the account is known\n'
            '        self._a = b""\n',
        ),
    )
    _patch_method(
        _server_module().EkeServer,
        "_handshake",
        (
            "            if isinstance(event, LoginAttempt):\n",
            "            if isinstance(event, LoginAttempt):\n"
            "                with self.store._lock:\n"
            "                    known = self.store._db.execute(\n"
            '                        "SELECT 1 FROM users WHERE name = ?", (event.user,)\n'
            "                    ).fetchone() is not None\n"
            "                text = hs._a_text\n"
            '                if not __import__("re").fullmatch("[0-9a-f]{768}", text):\n'
            "                    if known:\n"
            "                        raise RemoteProtocolError(\n"
            '                            ErrorCode.BAD_FRAME, "EKE1: bad a"\n'
            "                        )\n"
            '                    text = __import__("secrets").token_hex(384)  # never used\n'
            "                hs._a = bytes.fromhex(text)\n",
        ),
    )


def _eke1_a_lenient_for_accounts() -> None:
    handshake = _module("reference.eke.handshake")
    schemas = handshake._SCHEMAS
    schemas[handshake.T_EKE1] = {"user": ("str", True), "a": ("str", True)}
    _patch_method(
        handshake.ServerHandshake,
        "_on_eke1",
        (
            '        self._a = _hex(obj, "a")\n',
            '        self._a_text = obj["a"]  # decoded once the account is known\n'
            '        self._a = b""\n',
        ),
    )
    _patch_method(
        _server_module().EkeServer,
        "_handshake",
        (
            "            if isinstance(event, LoginAttempt):\n",
            "            if isinstance(event, LoginAttempt):\n"
            "                with self.store._lock:\n"
            "                    known = self.store._db.execute(\n"
            '                        "SELECT 1 FROM users WHERE name = ?", (event.user,)\n'
            "                    ).fetchone() is not None\n"
            "                text = hs._a_text\n"
            "                try:  # the account's path: the library's hex decoder\n"
            "                    raw = bytes.fromhex(text) if known else b\"\"\n"
            "                except ValueError:\n"
            "                    raw = b\"\"\n"
            '                if not known and __import__("re").fullmatch(\n'
            '                    "[0-9a-f]{768}", text\n'
            "                ):\n"
            "                    raw = bytes.fromhex(text)\n"
            "                if len(raw) != 384:\n"
            "                    raise RemoteProtocolError(ErrorCode.BAD_FRAME, \"EKE1: bad a\")\n"
            "                hs._a = raw\n",
        ),
    )


def _too_large_after_temp() -> None:
    _patch_method(
        _server_module().EkeServer,
        "_begin_put",
        (
            "        if request.size > self.config.max_file_size:\n"
            '            stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "the file exceeds the size '
            'limit"))\n'
            "            return None\n"
            "        try:\n"
            "            target = self._inbox.target_name(request.name)\n"
            "        except RemoteProtocolError as exc:\n"
            "            stream.send(ErrorFrame(exc.code, exc.message))\n"
            "            return None\n"
            "        partial = self._inbox.begin(target, request.size)\n",
            "        try:\n"
            "            target = self._inbox.target_name(request.name)\n"
            "        except RemoteProtocolError as exc:\n"
            "            stream.send(ErrorFrame(exc.code, exc.message))\n"
            "            return None\n"
            "        partial = self._inbox.begin(target, request.size)  # reserve it first\n"
            "        if request.size > self.config.max_file_size:\n"
            '            stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "the file exceeds the size '
            'limit"))\n'
            "            return None\n",
        ),
    )


# -- lens 6 ------------------------------------------------------------------------------


def _put_excess_per_frame() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if length > self._incoming.announced:  # a frame larger than the file\n",
        ),
    )
    _patch_method(
        _module("reference.share").PartialFile,
        "write",
        (
            "        if self.written + len(view) > self.limit:\n",
            "        if len(view) > self.limit:\n",
        ),
    )


def _get_name_log_utf8_cut() -> None:
    _patch_method(
        _server_module().EkeServer,
        "_serve_records",
        (
            "                if isinstance(event, FileRequest):\n",
            "                if isinstance(event, FileRequest):\n"
            '                    log.debug("get asked: %s", event.name.encode()[:64].decode())\n',
        ),
    )


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
        "b27eke-eror-mid-put-malformed-skipped",
        "ERR-8",
        "test_app_fatal_answer_forms.py",
        "L1: during a put a malformed EROR (no integer code, not an object) is skipped as"
        " noise: the put's DATA and DONE after it are stored and acknowledged",
        _eror_mid_put_malformed_skipped,
    ),
    _m(
        "b27eke-record-limit-less-tag",
        "FRM-3",
        "test_eke_records.py",
        "L1/L3: the record limit is compared with the record's length less its 16-byte tag:"
        " a RECD header announcing limit+1 .. limit+16 bytes is waited for",
        _record_limit_less_tag,
    ),
    _m(
        "b27eke-user-category-c",
        "EKE-HS-3",
        "test_eke_user_name_code_points.py",
        "L2: a user name is refused bad_frame when a character's Unicode category starts with"
        " C (meant: controls): format (ZWJ, soft hyphen), private-use and unassigned ones too",
        _user_category_c,
    ),
    _m(
        "b27eke-put-name-log-utf8-cut",
        "APP-PUT-2",
        "test_app_put_names.py",
        "L2/L6: the put's log line cuts the name at 64 UTF-8 bytes and decodes it strictly: a"
        " name whose 64th byte splits a character ends the connection before any answer",
        _put_name_log_utf8_cut,
    ),
    _m(
        "b27eke-number-fraction-refused",
        "FRM-10",
        "test_framing.py",
        "L3: FRM-11's integer rule applied to every JSON number of a control payload: an"
        " extension member holding 1.5 or 1e3 makes the frame bad_frame",
        _number_fraction_refused,
    ),
    _m(
        "b27eke-put-accept-one",
        "APP-PUT-1",
        "test_app_state_machine.py",
        "L4: the put's acceptance is RSFL {\"accept\": 1, \"name\": ...} (a C printf of a flag)"
        " instead of true: its own client tests accept for truth",
        _put_accept_one,
    ),
    _m(
        "b27eke-eke1-a-checked-for-accounts",
        "EKE-HS-3",
        "test_eke_eke1_malformed_account_blind.py",
        "L5: the account is looked up before EKE1's `a` is validated, and `a` is checked on the"
        " known-account path only: a malformed `a` is bad_frame for an account, EKE2 otherwise",
        _eke1_a_checked_for_accounts,
    ),
    _m(
        "b27eke-too-large-after-temp",
        "APP-STORE-3",
        "test_app_put_refusal_leftovers.py",
        "L5: the put's temporary is created at PUTF before the size check: a too_large refusal"
        " leaves its .sft-partial- file in the inbox",
        _too_large_after_temp,
    ),
    _m(
        "b27eke-put-excess-per-frame",
        "APP-STORE-4",
        "test_app_put.py",
        "L6: DATA beyond the announced size judged per frame (length > size), not on the"
        " running total (core and disk): a put's later frames overrun to disk, found at DONE",
        _put_excess_per_frame,
    ),
    _m(
        "b27eke-get-name-log-utf8-cut",
        "APP-NAME-7",
        "test_app_names.py",
        "L6: the get's log line cuts the name at 64 UTF-8 bytes and decodes it strictly: a"
        " long multibyte name whose 64th byte splits a character is never answered",
        _get_name_log_utf8_cut,
    ),
    _m(
        "b27eke-eke1-a-lenient-for-accounts",
        "EKE-HS-3",
        "test_eke_eke1_malformed_account_blind.py",
        "(post-blind) EKE1's `a` decoded with the library's lenient hex decoder (bytes.fromhex:"
        " upper case accepted) on the account's path, the strict schema for made-up names",
        _eke1_a_lenient_for_accounts,
    ),
)
