"""Blind red-team round 14: the sft-eke/1 CLIENT (`sft eke get/put`), helper B67.

Written from docs/SPEC.md and the reference's eke client alone, before any case file
or mutant module was read; duplicates of registered client mutants were replaced
after the list was written. Each mutant is the reference's client with one plausible
slip, seen through one lens of the round (briefs/s14/lenses14.md). (A 23rd, "the put's
DONE carries the digest computed before PUTF", was dropped after the blind run: when the
source changes under it the responder refuses the DONE, the put fails, and no MUST is
broken; an independent initiator, eke3, does the same.)

L1 checks that never run
  b14cl-c2-lengths-asserts        EKE2's `c` length and Ns length are asserts (-O): a
                                  33-byte Ns goes into an EKE3 of 162 hex digits
  b14cl-jacobi-truthy             `if jacobi(Y', p):` -- -1 is truthy: a non-residue Y'
                                  is taken as Y itself
  b14cl-overrun-first-frame-only  the beyond-announced check (core and disk) runs on
                                  the first DATA frame only
  b14cl-sweep-first-only          the stale-temporary sweep breaks after its first removal
L2 per item, not in aggregate
  b14cl-overrun-per-frame         each DATA frame compared with the announced size, not
                                  the running total (core and disk)
  b14cl-put-shrunk-done           a source that shrank after PUTF: DONE for what was read
  b14cl-full-frame-counted-twice  a full 1 MiB DATA payload is counted twice: honest
                                  gets above 1 MiB fail
  b14cl-record-limit-plus-overhead the record limit is frame limit + header + tag: a
                                  RECD header just above the limit is waited for
L3 shared mutable state
  b14cl-hs-inbox-shared           one handshake input buffer per process: the retry
                                  after busy reads what the first connection left
  b14cl-sign-from-pw              the sign bit is a bit of HMAC(pw): the same in every run
  b14cl-put-sent-cache            puts remembered per (user, name, size) in a file: a
                                  second put of that name and size reports success unsent
L4 the checked form is not the used form
  b14cl-rsfl-name-casefold        RSFL.name equal to the request after NFC + casefold is
                                  taken as the canonical spelling and stored under
  b14cl-json-bytes-autodetect     the UTF-8 check is on a copy; json.loads gets the
                                  bytes (UTF-16/32 detected and accepted)
  b14cl-sha-stripped              sha256 members strip()ped before the check and the use
  b14cl-salt-user-casefold        the scrypt salt uses the NFC-casefolded user name,
                                  EKE1 and th the name as given
  b14cl-request-name-unquoted     the name is percent-decoded before RQFL
  b14cl-eror-name-off-by-one      the EROR's `name` looked up in a 0-based list by code
L5 effects before authority
  b14cl-temp-before-login         a temporary is reserved before the login and released
                                  once logged in: a failed login leaves it
  b14cl-rqfl-before-eke4          RQFL sealed and sent right after EKE3, before EKE4
  b14cl-temp-mode-late            the temporary is created 0644 and chmod 0600 at the
                                  first write
L6 trust carried over
  b14cl-busy-first-retry-after    every busy retry waits the FIRST busy's retry_after
  b14cl-hs-deadline-until-eke2    the login deadline guards EKE2 only: a server that
                                  withholds EKE4 holds the client
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind14-client"


def _client() -> Any:
    return _module("reference.eke.client")


# -- L1 ------------------------------------------------------------------------------------


def _c2_lengths_asserts() -> None:
    hs = _module("reference.eke.handshake")
    # `assert len(c) == 96` and `assert len(ns) == 32` under python -O: gone.
    hs._SCHEMAS[hs.T_EKE2] = {"b": (hs._HEX_ELEMENT, True), "c": ("str", True)}
    _patch_source(hs.ClientHandshake, "_on_eke2", ("if len(ns) != crypto.NONCE_LEN:", "if False:"))


def _jacobi_truthy() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")

    def pm_decode(encoded: bytes) -> int:
        if len(encoded) != crypto.ELEMENT_LEN:
            raise errors.AuthenticationFailed()
        value = int.from_bytes(encoded, "big")
        residue = crypto.jacobi(value, crypto.P)  # 1 or -1: both truthy
        if value in (0, 1, crypto.P - 1) or value >= crypto.P:
            raise errors.AuthenticationFailed()
        return value if residue else crypto.P - value

    crypto.pm_decode = pm_decode


def _overrun_first_frame_only() -> None:
    app = _module("reference.app")
    share = _module("reference.share")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.count == 0 and length > self._incoming.announced:",
        ),
    )
    _patch_source(
        share.PartialFile,
        "write",
        (
            "if self.written + len(view) > self.limit:",
            "if self.written == 0 and len(view) > self.limit:",
        ),
    )


def _sweep_first_only() -> None:
    transfer = _module("reference.transfer")
    cli = _module("reference.cli.eke")
    _patch_source(
        transfer,
        "remove_stale_partials",
        ("            removed += 1\n", "            removed += 1\n            break\n"),
    )
    cli.remove_stale_partials = transfer.remove_stale_partials


# -- L2 ------------------------------------------------------------------------------------


def _overrun_per_frame() -> None:
    app = _module("reference.app")
    share = _module("reference.share")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if length > self._incoming.announced:",
        ),
    )
    _patch_source(
        share.PartialFile,
        "write",
        ("if self.written + len(view) > self.limit:", "if len(view) > self.limit:"),
    )


def _put_shrunk_done() -> None:
    app = _module("reference.app")
    _patch_source(
        _client().EkeClient,
        "put",
        (
            "if n == 0:\n                    self._abandon()\n",
            "if n == 0:\n                    break\n",
        ),
    )
    _patch_source(
        app.ApplicationConnection,
        "send",
        (
            "if event.size != transfer.count or event.size != transfer.announced:",
            "if event.size != transfer.count:",
        ),
    )


def _full_frame_counted_twice() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    original = app.ApplicationConnection.receive_payload

    def receive_payload(self: Any, data: Any) -> Any:
        event = original(self, data)
        if len(data) == frames.MAX_DATA_PAYLOAD and self._incoming is not None:
            self._incoming.count += len(data)  # the slow path's count as well
        return event

    app.ApplicationConnection.receive_payload = receive_payload


def _record_limit_plus_overhead() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records.RecordChannel,
        "__init__",
        (
            "self.reader = RecordReader(opener, max_record)",
            "self.reader = RecordReader(opener, max_record + HEADER_SIZE + crypto.TAG_LEN)",
        ),
    )


# -- L3 ------------------------------------------------------------------------------------


def _hs_inbox_shared() -> None:
    hs = _module("reference.eke.handshake")
    shared = bytearray()  # "the" input buffer of the login
    original = hs._Handshake.__init__

    def init(self: Any, state: Any) -> None:
        original(self, state)
        self._inbox = shared

    hs._Handshake.__init__ = init


def _sign_from_pw() -> None:
    crypto = _module("reference.eke.crypto")

    def hide_element(pw: bytes, element: int) -> bytes:
        sign = hmac.new(pw, b"sign", hashlib.sha256).digest()[0] & 1
        hidden: bytes = crypto._hide_element_from_parts(pw, element, sign_bit=sign)
        return hidden

    crypto.hide_element = hide_element


def _put_sent_cache() -> None:
    client = _client()
    original = client.EkeClient.put
    cache = Path(tempfile.gettempdir()) / f"sft-b14cl-sent-{os.getuid()}.json"

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        key = f"{self.config.user}\0{name or path.name}\0{path.stat().st_size}"
        try:
            sent = json.loads(cache.read_text())
        except (OSError, ValueError):
            sent = {}
        if key in sent:
            return str(sent[key])  # "already there": nothing sent
        stored: str = original(self, path, name=name, progress=progress)
        sent[key] = stored
        cache.write_text(json.dumps(sent))
        return stored

    client.EkeClient.put = put


# -- L4 ------------------------------------------------------------------------------------


def _canonical(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _rsfl_name_casefold() -> None:
    client = _client()
    client._b14_canonical = _canonical
    _patch_source(
        client.EkeClient,
        "get",
        (
            'raise TransferFailed("unexpected answer from the server")\n',
            'raise TransferFailed("unexpected answer from the server")\n'
            "    if answer.name != name and _b14_canonical(answer.name) == _b14_canonical(name):\n"
            '        destination = destination.with_name(answer.name.rsplit("/", 1)[-1])\n',
        ),
    )


def _json_bytes_autodetect() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        (
            "            text, object_pairs_hook",
            "            bytes(payload), object_pairs_hook",
        ),
    )
    for name in ("reference.messages", "reference.eke.handshake"):
        _module(name).loads_control = frames.loads_control


def _sha_stripped() -> None:
    messages = _module("reference.messages")
    original = messages.loads_control

    def loads_control(payload: Any) -> dict[str, Any]:
        obj: dict[str, Any] = original(payload)
        if isinstance(obj.get("sha256"), str):
            obj["sha256"] = obj["sha256"].strip()
        return obj

    messages.loads_control = loads_control


def _salt_user_casefold() -> None:
    crypto = _module("reference.eke.crypto")
    original = crypto.password_key

    def password_key(user: str, password: str | bytes) -> bytes:
        key: bytes = original(_canonical(user), password)
        return key

    crypto.password_key = password_key


def _request_name_unquoted() -> None:
    client = _client()
    original = client.EkeClient.get

    def get(self: Any, name: str, destination: Path, **kwargs: Any) -> Any:
        return original(self, urllib.parse.unquote(name), destination, **kwargs)

    client.EkeClient.get = get


def _eror_name_off_by_one() -> None:
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    hs = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    names = [code.wire_name for code in sorted(errors.ErrorCode, key=int)]  # 0-based

    def wrong_name(code: int) -> str:
        return names[code] if code < len(names) else "internal"

    original_encode = messages.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.ErrorFrame):
            obj: dict[str, object] = {
                "code": int(message.code),
                "name": wrong_name(int(message.code)),
                "message": message.message[: messages.MAX_MESSAGE_CHARS],
            }
            if message.retry_after is not None:
                obj["retry_after"] = message.retry_after
            return bytes(frames.encode_frame(messages.T_EROR, frames.dumps_control(obj)))
        data: bytes = original_encode(message)
        return data

    def encode_error(code: Any, message: str, retry_after: int | None = None) -> bytes:
        obj: dict[str, object] = {
            "code": int(code),
            "name": wrong_name(int(code)),
            "message": message[:512],
        }
        if retry_after is not None:
            obj["retry_after"] = retry_after
        return bytes(frames.encode_frame(hs.T_EROR, frames.dumps_control(obj)))

    messages.encode_message = encode_message
    _module("reference.app").encode_message = encode_message
    hs.encode_error = encode_error


# -- L5 ------------------------------------------------------------------------------------


def _temp_before_login() -> None:
    cli = _module("reference.cli.eke")
    cli._B14PartialFile = _module("reference.share").PartialFile
    _patch_source(
        cli,
        "_get",
        (
            "        with client.connect():\n",
            "        _probe = _B14PartialFile.create(output, 0)\n"
            "        with client.connect():\n"
            "            _probe.abort()\n",
        ),
    )


def _rqfl_before_eke4() -> None:
    client = _client()
    cli = _module("reference.cli.eke")
    records = _module("reference.eke.records")
    messages = _module("reference.messages")
    transport = _module("reference.eke.transport")
    early: dict[str, Any] = {"name": None, "sent": False}

    original_get = cli._get

    def _get(args: Any) -> int:
        early["name"] = args.name
        result: int = original_get(args)
        return result

    cli._get = _get  # `register` binds `func=_get` by name when the parser is built

    original_run = client.run_handshake

    class EarlySocket:
        def __init__(self, sock: Any, hs: Any) -> None:
            self._sock, self._hs = sock, hs

        def settimeout(self, value: Any) -> None:
            self._sock.settimeout(value)

        def recv(self, n: int) -> bytes:
            data: bytes = self._sock.recv(n)
            return data

        def sendall(self, data: bytes) -> None:
            self._sock.sendall(data)
            name = early["name"]
            if bytes(data[:4]) == b"EKE3" and name is not None and not early["sent"]:
                # 0-RTT: the request leaves with EKE3, sealed with the keys just derived.
                channel = records.RecordChannel(self._hs._keys, is_client=True)
                frame = messages.encode_message(messages.FileRequest(name))
                self._sock.sendall(bytes(channel.seal(frame)))
                early["sent"] = True

    def run_handshake(sock: Any, hs: Any, deadline: float, on_event: Any) -> Any:
        return original_run(EarlySocket(sock, hs), hs, deadline, on_event)

    client.run_handshake = run_handshake

    original_connect_once = client.EkeClient._connect_once

    def _connect_once(self: Any) -> Any:
        result = original_connect_once(self)
        if early["sent"] and self._stream is not None:
            self._stream.channel.sealer.sequence = 1
            self._stream._b14_early = True
        return result

    client.EkeClient._connect_once = _connect_once

    original_send = transport.SecureStream.send

    def send(self: Any, message: Any) -> None:
        if getattr(self, "_b14_early", False) and isinstance(message, messages.FileRequest):
            self._b14_early = False
            self.app.send(message)  # already on the wire
            return
        original_send(self, message)

    transport.SecureStream.send = send


def _temp_mode_late() -> None:
    share = _module("reference.share")
    _patch_source(share.PartialFile, "__init__", ("        0o600,\n", "        0o644,\n"))
    _patch_source(
        share.PartialFile,
        "write",
        (
            '    view = memoryview(data).cast("B")\n',
            '    view = memoryview(data).cast("B")\n'
            "    if self.written == 0:\n"
            "        os.fchmod(self._file.fileno(), 0o600)  # before any data lands\n",
        ),
    )


# -- L6 ------------------------------------------------------------------------------------


def _busy_first_retry_after() -> None:
    client = _client()

    def connect(self: Any) -> Any:
        tries = 0
        first: int | None = None
        while True:
            tries += 1
            try:
                return self._connect_once()
            except client.ServerBusy as exc:
                if first is None:
                    first = exc.retry_after if exc.retry_after is not None else 1
                wait = first  # the server's pace, learnt once
                if tries > self.config.busy_retries or wait > client._BUSY_WAIT_CAP:
                    raise client.ServerBusy(exc.retry_after, tries) from None
                time.sleep(max(1, wait) * (1.0 + secrets.randbelow(501) / 1000))

    client.EkeClient.connect = connect


def _hs_deadline_until_eke2() -> None:
    transport = _module("reference.eke.transport")
    client = _client()
    _patch_source(
        transport,
        "run_handshake",
        (
            "remaining = deadline - time.monotonic()",
            "remaining = (\n"
            "                deadline - time.monotonic()\n"
            '                if hs.state.name != "CLIENT_AWAIT_EKE4"\n'
            "                else 3600.0  # the server has answered: it is alive\n"
            "            )",
        ),
    )
    client.run_handshake = transport.run_handshake


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b14cl-c2-lengths-asserts",
        "FRM-12",
        "test_eke_client_login_edges.py",
        "L1: EKE2's c length and Ns length are asserts (gone under -O): EKE3 of 162 hex",
        _c2_lengths_asserts,
    ),
    _m(
        "b14cl-jacobi-truthy",
        "EKE-X-3",
        "test_eke_client_signs.py",
        "L1: `if jacobi(Y', p):` (-1 is truthy): a non-residue Y' is taken as Y",
        _jacobi_truthy,
    ),
    _m(
        "b14cl-overrun-first-frame-only",
        "APP-STORE-4",
        "test_eke_client_transfer.py",
        "L1: DATA beyond the announced size checked on the first frame only (core and disk)",
        _overrun_first_frame_only,
    ),
    _m(
        "b14cl-sweep-first-only",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "L1: the stale-temporary sweep stops after its first removal",
        _sweep_first_only,
    ),
    # L2
    _m(
        "b14cl-overrun-per-frame",
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "L2: each DATA frame compared with the announced size, not the running total",
        _overrun_per_frame,
    ),
    _m(
        "b14cl-put-shrunk-done",
        "APP-PUT-4",
        "test_eke_client_put_source.py",
        "L2: a source that shrank after PUTF ends with DONE for the bytes read",
        _put_shrunk_done,
    ),
    _m(
        "b14cl-full-frame-counted-twice",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "L2: a full 1 MiB DATA payload is counted twice: honest gets above 1 MiB fail",
        _full_frame_counted_twice,
    ),
    _m(
        "b14cl-record-limit-plus-overhead",
        "EKE-REC-6",
        "test_eke_client_transfer.py",
        "L2: the record limit is the frame limit + 24 (header, tag): a RECD header just "
        "above the limit is waited for",
        _record_limit_plus_overhead,
    ),
    # L3
    _m(
        "b14cl-hs-inbox-shared",
        "ERR-3",
        "test_eke_client_login_edges.py",
        "L3: one login input buffer per process: the retry after busy reads the bytes "
        "that followed the busy EROR on the first connection",
        _hs_inbox_shared,
    ),
    _m(
        "b14cl-sign-from-pw",
        "EKE-X-2",
        "test_eke_client_transfer.py",
        "L3: the sign bit is a bit of HMAC(pw, 'sign'): the same in every handshake",
        _sign_from_pw,
    ),
    _m(
        "b14cl-put-sent-cache",
        "APP-PUT-10",
        "test_eke_client_put_source.py",
        "L3: puts remembered per (user, name, size) in a file: a later put of that name "
        "and size is reported stored without being sent",
        _put_sent_cache,
    ),
    # L4
    _m(
        "b14cl-rsfl-name-casefold",
        "APP-GET-7",
        "test_eke_client_transfer.py",
        "L4: an RSFL.name equal to the request after NFC + casefold is stored under",
        _rsfl_name_casefold,
    ),
    _m(
        "b14cl-json-bytes-autodetect",
        "FRM-9",
        "test_eke_client_transfer.py",
        "L4: UTF-8 checked on a copy, json.loads given the bytes: UTF-16/32 JSON accepted",
        _json_bytes_autodetect,
    ),
    _m(
        "b14cl-sha-stripped",
        "FRM-12",
        "test_eke_client_transfer.py",
        "L4: sha256 members strip()ped before the check and the use",
        _sha_stripped,
    ),
    _m(
        "b14cl-salt-user-casefold",
        "EKE-PW-1",
        "test_eke_client.py",
        "L4: the scrypt salt uses the NFC-casefolded user name, EKE1 and th the name as given",
        _salt_user_casefold,
    ),
    _m(
        "b14cl-request-name-unquoted",
        "APP-NAME-3",
        "test_eke_client_request_names.py",
        "L4: the name to get is percent-decoded before RQFL",
        _request_name_unquoted,
    ),
    _m(
        "b14cl-eror-name-off-by-one",
        "ERR-1",
        "test_client_lies.py",
        "L4: the EROR name looked up by code in a 0-based list (integrity_failed named busy)",
        _eror_name_off_by_one,
    ),
    # L5
    _m(
        "b14cl-temp-before-login",
        "APP-STORE-3",
        "test_eke_client_login_edges.py",
        "L5: a temporary reserved before the login, released once logged in: a failed "
        "login leaves it",
        _temp_before_login,
    ),
    _m(
        "b14cl-rqfl-before-eke4",
        "EKE-HS-9",
        "test_eke_client_login_rules.py",
        "L5: RQFL sealed and sent with EKE3, before EKE4 is verified",
        _rqfl_before_eke4,
    ),
    _m(
        "b14cl-temp-mode-late",
        "APP-STORE-1",
        "test_eke_client_transfer.py",
        "L5: the temporary is created 0644 and made 0600 at its first write",
        _temp_mode_late,
    ),
    # L6
    _m(
        "b14cl-busy-first-retry-after",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "L6: every busy retry waits the first busy's retry_after",
        _busy_first_retry_after,
    ),
    _m(
        "b14cl-hs-deadline-until-eke2",
        "LIM-9",
        "test_eke_client_login_rules.py",
        "L6: the login deadline guards EKE2 only: a server withholding EKE4 holds the client",
        _hs_deadline_until_eke2,
    ),
)
