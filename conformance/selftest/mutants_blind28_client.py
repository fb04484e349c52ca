"""Blind red-team round 28 (helper B218): the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`)
through the six lenses of /work/briefs/s28/common.md. Phase 1 (blind): written from
docs/SPEC.md (PWF-1/2, §1-3 from the client's side, §5's client duties) and the reference's
client code (reference/eke/client.py, handshake.py, transport.py, records.py, reference/app.py,
messages.py, frames.py, share.PartialFile, reference/cli/eke.py, reference/redact.py) before
any case file was opened. Checked against the 4,470 registered mutants; ideas found there
were dropped before planting (the retry after busy re-using x, a BYE_ echo error after the
get, an EROR's trailing line end, NOOP in the login, the float size of any frame, EROR
strictness, copy-commit and in-place writes), and one kept out as a SPEC silence (a commit
refused `exists` whose failure is swallowed: no sentence says the get must then fail).

L1 the thin MUSTs, recounted (EKE-X-1, APP-PUT-9, FRM-2, APP-STORE-4, FRM-5, APP-BYE-1)
  b28client-put9-accept-astext    the put's acceptance read as Jackson's asText() compared
                                  case-insensitively with "true": "accept": "true" (a string)
                                  and "TRUE" accept the put and DATA is sent (APP-PUT-9)
L2 lost errors
  b28client-store4-digest-trusted the get's overrun bound is skipped when RSFL announced a
                                  sha256 ("the digest will catch it"): DATA beyond the
                                  announced size reaches the disk, refused only at DONE
                                  (APP-STORE-4)
L3 every ending of a one-shot program
  b28client-err6-throttled-clock  a throttled login tells the user the clock time to retry
                                  at (now + retry_after): a retry_after of 2^63-1 (a valid
                                  integer) overflows datetime: Python traceback (ERR-6)
L4 retries, reconnects, resumes
  b28client-x1-replay-eke1-on-close  a server that closes after EKE1 (a LIM-9 eviction) is
                                  retried once at once with the very same EKE1 bytes: the same
                                  x, sign and Na on a second handshake (EKE-X-1)
  b28client-frm2-casefold         frame types matched case-insensitively (C strncasecmp): a
                                  lower-case `eke2`, `rsfl`, `done` is taken as its upper-case
                                  type, in the login and in records (FRM-2)
L5 two implementations of one rule
  b28client-frm11-receipt-float   the put's receipt DONE is read leniently (its size only
                                  compared): an integral float 5.0 / 5e0 passes there, the
                                  get's DONE stays strict (FRM-11)
  b28client-frm10-receipt-bytes   the put's receipt is compared byte for byte with the DONE
                                  the client sent: a receipt with an extra member (or other
                                  member order or spacing) fails the put (FRM-10)
  b28client-frm5-hs-unknown-bad-frame  the login's reader answers any type that is not a
                                  login frame (EKE1-4, EROR) bad_frame; the record reader's
                                  unexpected_frame is the right one (FRM-5)
L6 concurrency in the idiom
  b28client-bye1-put-pipelined    a round trip saved: BYE_ is sealed right behind the put's
                                  DONE, before the server's receipt (BYE_ during a transfer)
                                  (APP-BYE-1)
Post-blind siblings (after the cases, to show they take the class):
  b28client-post-x1-fresh-sign-same-x, b28client-post-err6-throttled-minutes,
  b28client-post-receipt-digest-casefold.

Blind result (9): 4 detected by the file first named (store4-digest-trusted:
test_eke_client_overrun_paths.py [rsfl-sha256]; frm2-casefold: test_eke_client_login_frames.py;
frm10-receipt-bytes: test_eke_client_put_receipt_members.py; frm5-hs-unknown-bad-frame:
test_eke_client_login_rules.py). Missed by every file citing the requirement before this
round, and the cases now catching their class:
  x1-replay-eke1-on-close                -> test_eke_client_login_replays.py (the login
                                            dropped by FIN / reset after EKE1 or before EKE4;
                                            a second EKE1 must hide another X)
  err6-throttled-clock                   -> test_eke_client_throttled_answers.py (throttled
                                            with retry_after 2^63-1 or none; auth_failed
                                            carrying retry_after)
  put9-accept-astext (test_client_put.py has "accept": "true" as a slow variant only),
  frm11-receipt-float, bye1-put-pipelined -> test_eke_client_put_receipt_readers.py
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind28-client"


def _client_cls() -> Any:
    return _module("reference.eke.client").EkeClient


def _app_cls() -> Any:
    return _module("reference.app").ApplicationConnection


# -- lens 1 ------------------------------------------------------------------------------


def _put9_accept_astext() -> None:
    _patch_source(
        _module("reference.frames"),
        "_has_kind",
        (
            '    if kind == "true":\n        return value is True\n',
            '    if kind == "true":  # Boolean.parseBoolean(node.asText())\n'
            "        return value is True or (\n"
            '            isinstance(value, str) and value.lower() == "true"\n'
            "        )\n",
        ),
    )


# -- lens 2 ------------------------------------------------------------------------------


def _store4_digest_trusted() -> None:
    _patch_method(
        _app_cls(),
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if (\n"
            "                self._incoming.expected_sha256 is None\n"
            "                and self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )
    _patch_method(
        _client_cls(),
        "_receive",
        (
            "        with PartialFile.create(destination, answer.size) as partial:\n",
            "        limit = answer.size if answer.sha256 is None else 2**63 - 1\n"
            "        with PartialFile.create(destination, limit) as partial:\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _err6_throttled_clock() -> None:
    client = _module("reference.eke.client")
    client.datetime, client.timedelta = datetime, timedelta
    _patch_method(
        client.Throttled,
        "__init__",
        (
            '        wait = f"{retry_after} s" if retry_after is not None else "a while"\n'
            '        super().__init__(f"too many failed logins for this user or address:'
            ' try again in {wait}")\n',
            "        wait = (\n"
            '            f"at {datetime.now() + timedelta(seconds=retry_after):%H:%M:%S}"\n'
            '            if retry_after is not None\n'
            '            else "later"\n'
            "        )\n"
            '        ClientError.__init__(self, f"too many failed logins: try again {wait}")\n',
        ),
    )


# -- lens 4 ------------------------------------------------------------------------------


def _x1_replay_eke1_on_close() -> None:
    client = _module("reference.eke.client")
    hs_cls = _module("reference.eke.handshake").ClientHandshake
    saved: dict[str, Any] = {}
    setup = hs_cls._setup

    def _setup(self: Any, user: str, pw: bytes, *, ephemeral: Any, sign_bit: Any, na: Any) -> None:
        first = saved.get("login") if saved.get("replay") else None
        if first is not None:
            ephemeral, na = first[0], first[1]
        setup(self, user, pw, ephemeral=ephemeral, sign_bit=sign_bit, na=na)
        if first is not None:  # the same login again, byte for byte
            self._a = first[2]
            self._outbox[:] = first[3]
        else:
            saved["login"] = (ephemeral, na, self._a, bytes(self._outbox))

    hs_cls._setup = _setup
    connect = client.EkeClient.connect

    def connect_again(self: Any) -> Any:
        try:
            return connect(self)
        except client.TransferFailed as exc:
            if "closed the connection during the login" not in str(exc):
                raise
            saved["replay"] = True  # dropped before EKE2: send the login again
            return connect(self)

    client.EkeClient.connect = connect_again


def _frm2_casefold() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "parse_header",
        (
            "    frame_type, length = HEADER.unpack(header)\n",
            "    frame_type, length = HEADER.unpack(header)\n"
            "    frame_type = frame_type.upper()  # strncasecmp(type, want, 4)\n",
        ),
    )
    for name in ("reference.app", "reference.eke.handshake", "reference.eke.records"):
        _module(name).parse_header = frames.parse_header


# -- lens 5 ------------------------------------------------------------------------------


def _lenient_receipt(frame: Any) -> Any:
    frames = _module("reference.frames")
    try:
        obj = json.loads(bytes(frame.payload))
    except ValueError:
        return frame
    size = obj.get("size") if isinstance(obj, dict) else None
    if isinstance(size, float) and size.is_integer():
        obj["size"] = int(size)  # a JavaScript number: 5.0 is 5, only compared here
        return frames.Frame(frame.type, frames.dumps_control(obj))
    return frame


def _frm11_receipt_float() -> None:
    app = _module("reference.app")
    app._b28_lenient_receipt = _lenient_receipt
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        if self.state is I.DONE_SENT and frame.type == T_DONE:\n"
            "            frame = _b28_lenient_receipt(frame)\n"
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
        ),
    )


def _frm10_receipt_bytes() -> None:
    app = _module("reference.app")
    _patch_method(
        app.ApplicationConnection,
        "send",
        (
            "        data = encode_message(event)\n",
            "        data = encode_message(event)\n"
            "        if isinstance(event, Done) and self.role is not RESPONDER:\n"
            "            self._b28_done = bytes(data[HEADER_SIZE:])\n",
        ),
    )
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "            if self.state is I.DONE_SENT:\n"
            "                assert self._outgoing is not None\n",
            "            if self.state is I.DONE_SENT:\n"
            "                assert self._outgoing is not None\n"
            "                if bytes(frame.payload) != getattr(self, '_b28_done', None):\n"
            "                    raise RemoteProtocolError(\n"
            "                        ErrorCode.INTEGRITY_FAILED, 'the receipt is not our DONE'\n"
            "                    )\n",
        ),
    )


def _frm5_hs_unknown_bad_frame() -> None:
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
            "        if frame_type not in (T_EKE1, T_EKE2, T_EKE3, T_EKE4, T_EROR):\n"
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'not a login frame')\n"
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
        ),
    )


# -- lens 6 ------------------------------------------------------------------------------


def _bye1_put_pipelined() -> None:
    client = _module("reference.eke.client")
    client.encode_message = _module("reference.messages").encode_message
    _patch_method(
        client.EkeClient,
        "put",
        (
            "                stream.send(stream.app.outgoing_done())\n",
            "                stream.send(stream.app.outgoing_done())\n"
            "                # a round trip saved: BYE_ rides behind DONE\n"
            "                stream.sock.sendall(stream.channel.seal(encode_message(Bye())))\n",
        ),
        (
            "            return answer.name\n",
            "            self._stream = None  # our BYE_ is out already\n"
            "            if self._sock is not None:\n"
            "                close_gracefully(self._sock, self.config.close_linger)\n"
            "                self._sock = None\n"
            "            return answer.name\n",
        ),
    )


# -- post-blind siblings (after the cases, to show they take the class) ---------------------


def _post_x1_fresh_sign_same_x() -> None:
    """The reconnect after a drop makes a new client handshake object (fresh sign bit and
    Na) around the ephemeral the client object drew once: `a` differs, X does not."""
    client = _module("reference.eke.client")
    hs_cls = _module("reference.eke.handshake").ClientHandshake
    kept: dict[str, Any] = {}
    setup = hs_cls._setup

    def _setup(self: Any, user: str, pw: bytes, *, ephemeral: Any, sign_bit: Any, na: Any) -> None:
        ephemeral = kept.setdefault("ephemeral", ephemeral) if kept.get("again") else ephemeral
        kept.setdefault("ephemeral", ephemeral)
        setup(self, user, pw, ephemeral=ephemeral, sign_bit=sign_bit, na=na)

    hs_cls._setup = _setup
    connect = client.EkeClient.connect

    def connect_again(self: Any) -> Any:
        try:
            return connect(self)
        except client.TransferFailed as exc:
            if "closed the connection during the login" not in str(exc):
                raise
            kept["again"] = True
            return connect(self)

    client.EkeClient.connect = connect_again


def _post_err6_throttled_minutes() -> None:
    client = _module("reference.eke.client")
    _patch_method(
        client.Throttled,
        "__init__",
        (
            '        wait = f"{retry_after} s" if retry_after is not None else "a while"\n'
            '        super().__init__(f"too many failed logins for this user or address:'
            ' try again in {wait}")\n',
            '        wait = f"{retry_after // 60} min {retry_after % 60} s"\n'
            '        ClientError.__init__(self, f"too many failed logins: try again in {wait}")\n',
        ),
    )


def _post_receipt_digest_casefold() -> None:
    app = _module("reference.app")

    def lenient(frame: Any) -> Any:
        frames = _module("reference.frames")
        try:
            obj = json.loads(bytes(frame.payload))
        except ValueError:
            return frame
        digest = obj.get("sha256") if isinstance(obj, dict) else None
        if isinstance(digest, str):
            obj["sha256"] = digest.lower()  # compared with ours, case-insensitively
            return frames.Frame(frame.type, frames.dumps_control(obj))
        return frame

    app._b28_lenient_receipt = lenient
    _patch_method(
        app.ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        if self.state is I.DONE_SENT and frame.type == T_DONE:\n"
            "            frame = _b28_lenient_receipt(frame)\n"
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b28client-put9-accept-astext",
        "APP-PUT-9",
        "test_eke_client_put_receipt_readers.py",
        "L1: the put's acceptance read as Jackson's asText() compared case-insensitively with"
        ' "true": "accept": "true" (a string) or "TRUE" accepts the put and DATA is sent',
        _put9_accept_astext,
    ),
    _m(
        "b28client-store4-digest-trusted",
        "APP-STORE-4",
        "test_eke_client_overrun_paths.py",
        "L2: the get's overrun bound is skipped when RSFL announced a sha256 ('the digest will"
        " catch it'): DATA beyond the announced size reaches the disk, refused only at DONE",
        _store4_digest_trusted,
    ),
    _m(
        "b28client-err6-throttled-clock",
        "ERR-6",
        "test_eke_client_throttled_answers.py",
        "L3: a throttled login tells the clock time to retry at (now + retry_after): a"
        " retry_after of 2^63-1, a valid integer, overflows datetime: a Python traceback",
        _err6_throttled_clock,
    ),
    _m(
        "b28client-x1-replay-eke1-on-close",
        "EKE-X-1",
        "test_eke_client_login_replays.py",
        "L4: a server that closes after EKE1 (a LIM-9 eviction) is retried once at once with"
        " the very same EKE1 bytes: the same x, sign and Na on a second handshake",
        _x1_replay_eke1_on_close,
    ),
    _m(
        "b28client-frm2-casefold",
        "FRM-2",
        "test_eke_client_login_frames.py",
        "L4: frame types matched case-insensitively (C strncasecmp): a lower-case eke2, rsfl,"
        " done is taken as its upper-case type, in the login and in records",
        _frm2_casefold,
    ),
    _m(
        "b28client-frm11-receipt-float",
        "FRM-11",
        "test_eke_client_put_receipt_readers.py",
        "L5: the put's receipt DONE is read leniently (its size is only compared): an integral"
        " float 5.0 / 5e0 passes there; the get's DONE stays strict",
        _frm11_receipt_float,
    ),
    _m(
        "b28client-frm10-receipt-bytes",
        "FRM-10",
        "test_eke_client_put_receipt_members.py",
        "L5: the put's receipt is compared byte for byte with the DONE the client sent: a"
        " receipt with an extra member (or another member order or spacing) fails the put",
        _frm10_receipt_bytes,
    ),
    _m(
        "b28client-frm5-hs-unknown-bad-frame",
        "FRM-5",
        "test_eke_client_login_rules.py",
        "L5: the login's reader answers any type that is not a login frame (EKE1-4, EROR)"
        " bad_frame; the record reader's unexpected_frame is the right one",
        _frm5_hs_unknown_bad_frame,
    ),
    _m(
        "b28client-bye1-put-pipelined",
        "APP-BYE-1",
        "test_eke_client_put_receipt_readers.py",
        "L6: a round trip saved: BYE_ is sealed right behind the put's DONE, before the"
        " server's receipt (BYE_ during a transfer)",
        _bye1_put_pipelined,
    ),
    _m(
        "b28client-post-x1-fresh-sign-same-x",
        "EKE-X-1",
        "test_eke_client_login_replays.py",
        "(post-blind) the login after a drop is a new handshake object (fresh sign bit, Na and"
        " `a`) around the ephemeral drawn once per client: X is the first connection's",
        _post_x1_fresh_sign_same_x,
    ),
    _m(
        "b28client-post-err6-throttled-minutes",
        "ERR-6",
        "test_eke_client_throttled_answers.py",
        "(post-blind) a throttled wait shown as minutes and seconds (retry_after // 60): a"
        " throttled EROR without retry_after ends in a TypeError traceback",
        _post_err6_throttled_minutes,
    ),
    _m(
        "b28client-post-receipt-digest-casefold",
        "FRM-12",
        "test_eke_client_put_receipt_readers.py",
        "(post-blind) the put's receipt digest compared with ours case-insensitively: a"
        " receipt sha256 in upper case passes (the get's DONE stays strict)",
        _post_receipt_digest_casefold,
    ),
)
