"""Blind red-team round 12 (helper B52): the sft-eke/1 CLIENT (`sft eke get/put`), through
the lenses of /work/briefs/s12/lenses12.md (lens 5, two principals, is not in this brief).

Phase 1 (blind): written from docs/SPEC.md (§0-§3, §5, §6) and the reference's eke client,
handshake, transport, records, app, messages, frames, share and CLI only, before opening
any case file, mutant module or independent implementation (conformance/selftest/mutant.py
and `_patch_source` of mutants_app.py were read for the mechanics). A first list of 28 was
checked against the registered client mutants after it was written: 22 repeated registered
ones (sizes or digests skipped at DONE, commit at the last byte, commit replacing, temporary
0644, kept on EOF, `exists` as success, excess judged at DONE, sweep by atime, busy waited
from the attempt's start, jitter below retry_after, 0-byte fast path, put DONE in upper case,
empty DATA for a 0-byte put, request NFC, unknown types skipped, unknown handshake types
skipped, EROR in clear, unknown code non-fatal, `accept` truthy, RSFL.name used, RSFL.sha256
trusted) and were replaced. Three replacements were dropped: a request pipelined before EKE4
and a resume `offset` honoured (neither clearly breaks a MUST), and an Ns of another length
accepted from C2 (equivalent: EKE2's schema fixes `c` at 96 hex digits, so C2 always opens
to 32 bytes). 21 remain; five (*) have a pki-client twin registered, not an eke one.

Blind result (before any case change): 7 of 21 detected in the files named then, 8 with
putf-sha256-null (caught by the existing test_client_put.py, first named after another
file). Phase 2 cases: test_eke_client_answers.py, test_eke_client_put_ack.py and a case
added to test_eke_client_request_names.py; after them 19 of 22 (the 21 and one added after
the blind run). Unregistered after that (the lead, session 12), as no black-box case can
tell them from a right client: eror-name-over-code, eror-fatal-member, timeout-nonfatal: each
makes the client take a fatal EROR for a refusal, say BYE_, shut down its side (the suite
sees the FIN at once) and drain for close_linger (2 s) before the full close: within the
2 s ERR-3 allowance, and test_client_fatal_errors.py allows a BYE_ after a fatal EROR.

Lens 1, two values of the same type mixed up:
- b12cl-sweep-handshake-timeout (*) -> APP-STORE-3: the stale-temporary sweep ages by the
  handshake timeout instead of the idle timeout: a live temporary idle for 30 s goes.
- b12cl-put-data-frame-limit -> FRM-14: the put cuts DATA at the record's payload room
  (frame limit - tag - header = 1 048 808 bytes) instead of 1 MiB.
- b12cl-overrun-too-large -> APP-GET-4: DATA beyond RSFL.size answered `too_large` (the
  put's size code), sent as is, instead of `integrity_failed`.
- b12cl-record-limit-control (*) -> FRM-13: the record phase keeps the handshake's 64 KiB
  frame limit: a DATA frame above 64 KiB is refused.

Lens 2, acknowledged before done:
- b12cl-put-ack-timer -> APP-PUT-10: the put waits 2 s for the responder's DONE, then
  reports success ("the server is slow to fsync").
- b12cl-put-empty-no-ack -> APP-PUT-10: a 0-byte put is reported stored once its DONE is
  sent ("nothing to verify"), without the responder's DONE.
- b12cl-put-done-before-last-data -> APP-PUT-4 (added AFTER the blind run, not counted in
  it): the put's DONE leaves before the DATA record of its last chunk.

Lens 3, peer-claimed values trusted:
- b12cl-eror-name-over-code (*) -> ERR-1: a received EROR is acted on by its `name` when
  that names a code, not by its `code`.
- b12cl-eror-fatal-member -> ERR-3: an EROR member `"fatal": false` (not in the schema) is
  believed: a fatal code so marked leaves the client idle (BYE_, linger).

Lens 4, sloppy output:
- b12cl-eror-message-unbounded -> ERR-1: the client's EROR message quotes the offending
  member's value in full, and the 512-character cut is gone.
- b12cl-request-name-pathlib -> APP-NAME-3: the name to get goes through pathlib
  (`./x` -> `x`, `a//b` -> `a/b`, `d/` -> `d`) before RQFL.
- b12cl-bye-mid-transfer -> APP-BYE-1: a client stopped mid-transfer says BYE_ before it
  closes (in RECEIVING or SENDING).
- b12cl-auth-message-by-cause -> ERR-6: the client's EROR auth_failed names the cause when
  B does not decode to a group element ("not a valid group element").
- b12cl-putf-sha256-null (*) -> FRM-14: PUTF always carries `sha256`, null when not computed.
- b12cl-bye-empty-payload (*) -> APP-BYE-1: BYE_ goes with a 0-byte payload, not `{}`.
- b12cl-eror-name-enum -> ERR-1: the client's EROR `name` is the enum name
  (INTEGRITY_FAILED), not the table's.

Lens 6, deny-lists and enumerations:
- b12cl-timeout-nonfatal -> ERR-3: `timeout` is listed among the non-fatal codes ("the
  connection itself is fine"): the client stays, says BYE_ and lingers.
- b12cl-done-without-rsfl -> FRM-6: DONE is allowed "while a get is in progress" (GET_SENT
  too): a DONE{0, sha256("")} in place of RSFL saves an empty file.
- b12cl-int-negative -> FRM-11: integers are checked against the upper bound only.
- b12cl-json-infinity -> FRM-9: the JSON constant check refuses NaN only: Infinity and
  -Infinity pass.
- b12cl-hs-own-types-skipped -> EKE-HS-9: during the handshake, EKE1/EKE3 frames (the
  client's own types) coming from the server are skipped as echoes.
- b12cl-type-denylist -> FRM-2: frame types are refused only for control or non-ASCII
  bytes (`rsfl` passes the syntax check, then is unknown: unexpected_frame).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _messages_alias() -> None:
    """The modules that imported messages' functions by name see the patched ones."""
    messages = _module("reference.messages")
    for name in ("reference.app", "reference.eke.transport"):
        mod = _module(name)
        for attr in ("encode_message", "decode_message"):
            if hasattr(mod, attr):
                setattr(mod, attr, getattr(messages, attr))


def _frames_alias(*attrs: str) -> None:
    frames = _module("reference.frames")
    for name in ("reference.messages", "reference.eke.handshake", "reference.app"):
        mod = _module(name)
        for attr in attrs:
            if hasattr(mod, attr):
                setattr(mod, attr, getattr(frames, attr))


# -- lens 1 -------------------------------------------------------------------------------


def _sweep_handshake_timeout() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_get",
        ("older_than=_STALE", "older_than=args.handshake_timeout"),
    )


def _put_data_frame_limit() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport.SecureStream,
        "send_file_chunk",
        ("min(limit, MAX_DATA_PAYLOAD)", "min(limit, self.channel.max_payload)"),
    )
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "send_data_header",
        ("if not 1 <= n <= MAX_DATA_PAYLOAD:", "if not 1 <= n:"),
    )


def _overrun_too_large() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            'ErrorCode.INTEGRITY_FAILED,\n                f"more data than',
            'ErrorCode.TOO_LARGE,\n                f"more data than',
        ),
    )
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "_next",
        ("exc.code if exc.code.fatal else ErrorCode.INTERNAL", "exc.code"),
    )


def _record_limit_control() -> None:
    _patch_source(
        _module("reference.eke.transport").SecureStream,
        "__init__",
        ("max_record=frame_limit)", "max_record=65536)"),
    )


# -- lens 2 -------------------------------------------------------------------------------


def _put_ack_timer() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "done = self._next(stream)\n",
            "stream.sock.settimeout(2.0)\n"
            "        try:\n"
            "            done = self._next(stream)\n"
            "        except TransferFailed as exc:\n"
            "            if 'idle timeout' not in str(exc):\n"
            "                raise\n"
            "            return answer.name\n",
        ),
    )


def _put_empty_no_ack() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "stream.send(stream.app.outgoing_done())\n",
            "stream.send(stream.app.outgoing_done())\n"
            "            if size == 0:\n"
            "                return answer.name\n",
        ),
    )


def _put_done_before_last_data() -> None:
    transport = _module("reference.eke.transport")
    original = transport.SecureStream.send_file_chunk

    def send_file_chunk(self: Any, file: Any, limit: int) -> int:
        if limit > transport.MAX_DATA_PAYLOAD:
            result: int = original(self, file, limit)
            return result
        # The last chunk: the DONE (over every byte, this one included) is queued on the
        # control path and leaves before the chunk's DATA record ("acknowledge early").
        buf = self.channel.payload_buffer()[:limit]
        n = file.readinto(buf)
        if not n:
            return 0
        self.app.send_data_header(buf[:n])
        self.sock.sendall(self.channel.seal(self.app.send(self.app.outgoing_done())))
        self.sock.sendall(self.channel.seal_payload(transport.T_DATA, n))
        return int(n)

    transport.SecureStream.send_file_chunk = send_file_chunk
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "put",
        (
            "stream.send(stream.app.outgoing_done())",
            "if stream.app.state.name == 'SENDING':\n"
            "                    stream.send(stream.app.outgoing_done())",
        ),
    )


# -- lens 3 -------------------------------------------------------------------------------






# -- lens 4 -------------------------------------------------------------------------------


def _eror_message_unbounded() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "check_schema",
        (
            'f"{label}: member {name!r} must be {_describe(kind)}"',
            'f"{label}: member {name!r} must be {_describe(kind)}, not {obj[name]!r}"',
        ),
    )
    _frames_alias("check_schema")
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        ('"message": message.message[:MAX_MESSAGE_CHARS],', '"message": message.message,'),
    )
    _messages_alias()


def _request_name_pathlib() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_get",
        ("client.get(args.name,", "client.get(str(Path(args.name)),"),
    )


def _bye_mid_transfer() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "close",
        (
            "except (OSError, ProtocolError):\n            pass",
            "except ProtocolError:  # not idle: say goodbye all the same\n"
            "            with contextlib.suppress(OSError):\n"
            '                sock.sendall(stream.channel.seal(b"BYE_\\x00\\x00\\x00\\x02{}"))\n'
            "        except OSError:\n"
            "            pass",
        ),
    )


def _auth_message_by_cause() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "y = crypto.reveal_element(self._pw, b)\n"
            "    z = crypto.shared_secret(self._ephemeral, y)",
            "try:\n"
            "        y = crypto.reveal_element(self._pw, b)\n"
            "        z = crypto.shared_secret(self._ephemeral, y)\n"
            "    except AuthenticationFailed:\n"
            "        raise RemoteProtocolError(\n"
            '            ErrorCode.AUTH_FAILED, "EKE2: B is not a valid group element"\n'
            "        ) from None",
        ),
    )
    _patch_source(
        handshake,
        "_public_message",
        ("if exc.code is ErrorCode.AUTH_FAILED:", "if isinstance(exc, AuthenticationFailed):"),
    )


def _putf_sha256_null() -> None:
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        (
            'if message.sha256 is not None:\n            obj["sha256"] = message.sha256\n'
            "        return _control(T_PUTF, obj)",
            'obj["sha256"] = message.sha256\n        return _control(T_PUTF, obj)',
        ),
    )
    _messages_alias()


def _bye_empty_payload() -> None:
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        ("return _control(T_BYE, {})", 'return encode_frame(T_BYE, b"")'),
    )
    _messages_alias()


def _eror_name_enum() -> None:
    _patch_source(
        _module("reference.messages"),
        "encode_message",
        ('"name": message.code.wire_name,', '"name": message.code.name,'),
    )
    _messages_alias()


# -- lens 6 -------------------------------------------------------------------------------




def _done_without_rsfl() -> None:
    app = _module("reference.app")
    app._TRANSITIONS[(app.InitiatorState.GET_SENT, app.T_DONE)] = app.InitiatorState.IDLE
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        (
            "            assert self._incoming is not None\n"
            "            self._incoming.check_done(message)",
            "            if self._incoming is None:  # a get of nothing: DONE alone\n"
            "                self._incoming = _Transfer(0, None, self._digest_factory)\n"
            "            self._incoming.check_done(message)",
        ),
    )
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "get",
        (
            "    if not isinstance(answer, FileResponse):",
            "    if isinstance(answer, Done):\n"
            "        with PartialFile.create(destination, 0) as empty:\n"
            "            empty.commit(overwrite=overwrite)\n"
            "        return answer\n"
            "    if not isinstance(answer, FileResponse):",
        ),
    )


def _int_negative() -> None:
    _patch_source(
        _module("reference.frames"),
        "_has_kind",
        ("type(value) is int and 0 <= value <= MAX_INT", "type(value) is int and value <= MAX_INT"),
    )


def _json_infinity() -> None:
    _patch_source(
        _module("reference.frames"),
        "loads_control",
        (
            "parse_constant=_reject_constant",
            'parse_constant=lambda c: _reject_constant(c) if c == "NaN" else float(c)',
        ),
    )
    _frames_alias("loads_control")


def _hs_own_types_skipped() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_source(
        handshake._Handshake,
        "_read_frame",
        (
            "    if step is None:\n",
            "    if step is None and frame_type in (T_EKE1, T_EKE3):\n"
            "        if len(buf) < HEADER_SIZE + length:\n"
            "            return self._need_more()\n"
            "        del buf[: HEADER_SIZE + length]  # our own frame type: an echo\n"
            "        return self._read_frame()\n"
            "    if step is None:\n",
        ),
    )


def _type_denylist() -> None:
    import re

    _module("reference.frames")._TYPE_RE = re.compile(rb"[\x21-\x7e]{4}")


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Callable[[], None]
) -> Mutant:
    return Mutant(
        name=f"b12cl-{name}",
        group="blind12-client",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "sweep-handshake-timeout",
        "APP-STORE-3",
        "test_client_sweep_idle_age.py",
        "eke get: the stale-temporary sweep ages by the handshake timeout, not the idle one",
        _sweep_handshake_timeout,
    ),
    _m(
        "put-data-frame-limit",
        "FRM-14",
        "test_client_put.py",
        "eke put: DATA cut at the record's payload room (1 048 808 bytes), not 1 MiB",
        _put_data_frame_limit,
    ),
    _m(
        "overrun-too-large",
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "eke get: DATA beyond RSFL.size answered EROR too_large instead of integrity_failed",
        _overrun_too_large,
    ),
    _m(
        "record-limit-control",
        "FRM-13",
        "test_eke_client_answers.py",
        "eke client: the record phase keeps the handshake's 64 KiB limit (DATA > 64 KiB refused)",
        _record_limit_control,
    ),
    _m(
        "put-ack-timer",
        "APP-PUT-10",
        "test_client_put.py",
        "eke put: no responder DONE within 2 s is taken as success (exit 0)",
        _put_ack_timer,
    ),
    _m(
        "put-empty-no-ack",
        "APP-PUT-10",
        "test_eke_client_put_ack.py",
        "eke put: a 0-byte put reported stored once its DONE is sent, without the answer",
        _put_empty_no_ack,
    ),
    _m(
        "put-done-before-last-data",
        "APP-PUT-4",
        "test_client_put.py",
        "eke put: the DONE leaves before the last chunk's DATA record (queued on another path)",
        _put_done_before_last_data,
    ),
    _m(
        "eror-message-unbounded",
        "ERR-1",
        "test_eke_client_answers.py",
        "eke client: its EROR message quotes the bad member in full, no 512-character cut",
        _eror_message_unbounded,
    ),
    _m(
        "request-name-pathlib",
        "APP-NAME-3",
        "test_eke_client_request_names.py",
        "eke get: the name goes through pathlib before RQFL (./x -> x, a//b -> a/b)",
        _request_name_pathlib,
    ),
    _m(
        "bye-mid-transfer",
        "APP-BYE-1",
        "test_eke_client_answers.py",
        "eke client: stopped mid-transfer it sends BYE_ before closing",
        _bye_mid_transfer,
    ),
    _m(
        "auth-message-by-cause",
        "ERR-6",
        "test_eke_client_answers.py",
        "eke client: its EROR auth_failed says when B is not a valid group element",
        _auth_message_by_cause,
    ),
    _m(
        "putf-sha256-null",
        "FRM-14",
        "test_client_put.py",
        "eke put: PUTF always carries sha256, null when it is not computed",
        _putf_sha256_null,
    ),
    _m(
        "bye-empty-payload",
        "APP-BYE-1",
        "test_client_put.py",
        "eke client: BYE_ sent with a 0-byte payload instead of {}",
        _bye_empty_payload,
    ),
    _m(
        "eror-name-enum",
        "ERR-1",
        "test_client_lies.py",
        "eke client: its EROR name is the enum name (INTEGRITY_FAILED)",
        _eror_name_enum,
    ),
    _m(
        "done-without-rsfl",
        "FRM-6",
        "test_eke_client_answers.py",
        "eke get: a DONE{0, sha256('')} in place of RSFL saves an empty file",
        _done_without_rsfl,
    ),
    _m(
        "int-negative",
        "FRM-11",
        "test_eke_client_answers.py",
        "eke client: integer members checked against the upper bound only (-1 passes)",
        _int_negative,
    ),
    _m(
        "json-infinity",
        "FRM-9",
        "test_eke_client_answers.py",
        "eke client: the JSON constant check refuses NaN only (Infinity passes)",
        _json_infinity,
    ),
    _m(
        "hs-own-types-skipped",
        "EKE-HS-9",
        "test_eke_client_answers.py",
        "eke client: EKE1/EKE3 frames from the server skipped during the handshake",
        _hs_own_types_skipped,
    ),
    _m(
        "type-denylist",
        "FRM-2",
        "test_client_lenient_frames.py",
        "eke client: frame types refused only for control/non-ASCII bytes (rsfl passes)",
        _type_denylist,
    ),
)
