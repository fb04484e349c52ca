"""Blind red-team round 27 (helper B201): the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`)
through the six lenses of /work/briefs/s27/common.md. Phase 1 (blind): written from
docs/SPEC.md (PWF-1/2, §1-3 from the client's side, §5's client duties, §6) and the
reference's client code (reference/eke/client.py, handshake.py, records.py, transport.py,
reference/app.py, messages.py, frames.py, share.PartialFile, reference/cli/eke.py,
reference/redact.py) before any case file was opened. Checked against the 4,347 registered
mutants: the ideas found there were dropped (r) and replaced: x reused on the retry after
busy (b10cli-x-per-process, b22cli-busy-retry-same-ephemeral), the deep-JSON traceback
(b20cli-json-depth-crash), a float or string EROR code (b11cl3-eke-eror-code-from-string).
KS-2 was left out: behind a correct EKE-X-3 no Y gives Z in {0, 1, p-1}, and Y' and Z both
unchecked is registered (b6cli-eke-z-unchecked).

L1 the thin MUSTs, recounted (APP-BYE-1, FRM-7, APP-STORE-4, FRM-1)
  b27client-bye1-mid-get-silent   a BYE_ among a get's DATA is the server leaving: the get
                                  fails and the client closes without EROR unexpected_frame
                                  (APP-BYE-1: BYE_ during a transfer is unexpected_frame)
  b27client-frm7-hs-early-json    the login's reader is a streaming JSON parser: an EKE2
                                  whose bytes so far form a complete JSON object is acted on
                                  (EKE3 sent) before the announced length has arrived; the
                                  rest (white space) is dropped when it comes (FRM-7)
  b27client-store4-write-then-check  the overrun is judged on the bytes already received,
                                  after the frame was written: the DATA frame that crosses the
                                  announced size is written to disk whole (APP-STORE-4)
L2 the assistant's draft
  b27client-err4-code-by-name     an EROR code the table does not list is looked up by its
                                  `name`: {"code": 99, "name": "not_found"} is a non-fatal
                                  refusal (the client stays and says BYE_) (ERR-4; also L5:
                                  two faults, the name decides)
  b27client-pwf2-whole-only       the check of a server's message for the password looks for
                                  the whole password only: a message quoting a run of 6+ of
                                  its characters (a "masked" password) is shown (PWF-2)
L3 cross-references and defined terms
  b27client-frm2-inner-type-trusted  after the login the frame type's syntax is no longer
                                  checked ("the record authenticated it"): a lower-case or
                                  NUL-holding type inside a record is answered unexpected_frame,
                                  not bad_frame (FRM-2; the login's reader still checks it)
  b27client-frm5-eke4-in-record   an EKE4 (or EKE2) inside a record is a late duplicate of the
                                  login and skipped (FRM-5: after EKE4 the handshake types are
                                  undefined types)
  b27client-frm10-hs-eror-strict  the login's EROR is decoded with unknown members denied: an
                                  EROR auth_failed carrying a member its schema does not define
                                  is answered EROR bad_frame (FRM-10 in the record phase only)
  b27client-pwf2-fatal-unfiltered the password filter of a server's message is applied to the
                                  non-fatal refusals of get/put only: a fatal EROR's message
                                  (internal, timeout ...) that quotes the password is shown
                                  (PWF-2)
L4 interop is not conformance
  b27client-frm1-hs-skip-crlf     the login's reader skips CR, LF, space and NUL before a
                                  header (its own server never sends them, a telnet habit):
                                  an EKE2 followed by CRLF then EKE4 logs in (FRM-1)
  b27client-hs5-c3-upper          EKE3's `c` is written in upper-case hex (the C3 path uses
                                  its own formatter; its own server parses either case)
                                  (EKE-HS-5 / FRM-12)
L6 beyond the toy sizes
  b27client-frm13-put-chunk-frame-limit  the put's DATA chunk is the frame limit less the
                                  record overhead (1 MiB + 232 bytes), not 1 MiB: a put of
                                  more than 1 MiB sends oversize DATA frames (FRM-13)
  b27client-put1-warmup-big       a put of more than 1 MiB sends its first MiB of DATA right
                                  after PUTF, to fill the pipe, before the answer (smaller
                                  files wait as they should) (APP-PUT-1)
Post-blind siblings (after the cases, to show they take the class):
  b27client-post-pwf2-prefix-runs, b27client-post-frm1-hs-resync,
  b27client-post-err4-clamped, b27client-post-frm13-chunk-plus-tag.

Blind result (13): 4 detected by the file first named (bye1-mid-get-silent:
test_eke_client_get_stray_ends.py; frm7-hs-early-json: test_eke_client_login_cuts.py;
store4-write-then-check: test_eke_client_overrun_paths.py; frm2-inner-type-trusted:
test_eke_client_get_crossings.py), 1 more by the whole suite (hs5-c3-upper:
test_eke_client.py's well-formed handshake frames), and frm5-eke4-in-record by
test_eke_client_record_strays.py, which cited only FRM-6 for it (SPEC's FRM-5 names the
same frames; the lead made the case cite FRM-5 too, and the mutant is FRM-5's). Missed by
every file citing the requirement, and the cases now catching their class:
  frm1-hs-skip-crlf, frm10-hs-eror-strict  -> test_eke_client_login_strays.py
  frm13-put-chunk-frame-limit,             -> test_eke_client_put_big_offer.py (a put of
  put1-warmup-big                             2 MiB + 3 answered after 1 s)
  pwf2-whole-only, pwf2-fatal-unfiltered   -> test_eke_client_message_runs.py (a 7-character
                                              run from the middle; internal; the login)
  err4-code-by-name                        -> test_eke_client_unknown_code_names.py (no BYE_
                                              after an unknown code named like a refusal)
"""

from __future__ import annotations

import json
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind27-client"


def _client_cls() -> Any:
    return _module("reference.eke.client").EkeClient


def _hs_cls() -> Any:
    return _module("reference.eke.handshake")._Handshake


# -- lens 1 ------------------------------------------------------------------------------


def _bye1_mid_get_silent() -> None:
    app = _module("reference.app")
    app._TRANSITIONS[(app.InitiatorState.RECEIVING, app.T_BYE)] = app.InitiatorState.CLOSED


def _frm7_hs_early_json() -> None:
    _patch_method(
        _hs_cls(),
        "_read_frame",
        (
            "        buf = self._inbox\n",
            "        buf = self._inbox\n"
            "        skip = getattr(self, '_b27_skip', 0)\n"
            "        if skip:  # the rest of a frame we already acted on\n"
            "            n = min(skip, len(buf))\n"
            "            del buf[:n]\n"
            "            self._b27_skip = skip - n\n"
            "            if self._b27_skip:\n"
            "                return self._need_more()\n",
        ),
        (
            "        if len(buf) < HEADER_SIZE + length:\n"
            "            return self._need_more()\n",
            "        if len(buf) < HEADER_SIZE + length:\n"
            "            try:  # a streaming parser: the object is complete once it closes\n"
            "                loads_control(bytes(buf[HEADER_SIZE:]))\n"
            "            except ProtocolError:\n"
            "                return self._need_more()\n"
            "            self._b27_skip = HEADER_SIZE + length - len(buf)\n"
            "            length = len(buf) - HEADER_SIZE\n",
        ),
    )


def _store4_write_then_check() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if self._incoming.count >= self._incoming.announced:\n",
        ),
    )
    _patch_method(
        _module("reference.share").PartialFile,
        "write",
        (
            "        if self.written + len(view) > self.limit:\n",
            "        if self.written > self.limit:\n",
        ),
    )


# -- lens 2 ------------------------------------------------------------------------------


def _err4_code_by_name() -> None:
    messages = _module("reference.messages")

    def code_of(obj: dict[str, Any]) -> Any:
        code = messages.ErrorCode.from_wire(obj["code"])
        if code is messages.ErrorCode.INTERNAL and obj["code"] != code.value:
            for known in messages.ErrorCode:  # a newer server's code: trust its name
                if known.wire_name == obj.get("name"):
                    return known
        return code

    messages._b27_code_of = code_of
    _patch_source(
        messages,
        "decode_message",
        ('ErrorCode.from_wire(obj["code"]),', "_b27_code_of(obj),"),
    )
    _module("reference.app").decode_message = messages.decode_message


def _pwf2_whole_only() -> None:
    redact = _module("reference.redact")

    def quotes_password(message: str, password: str) -> bool:
        text = message.casefold()
        return any(
            form.casefold() in text for form in (password, json.dumps(password)[1:-1]) if form
        )

    redact.quotes_password = quotes_password


# -- lens 3 ------------------------------------------------------------------------------


def _frm2_inner_type_trusted() -> None:
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        frame_type, length = frames.HEADER.unpack(header)
        if length > max_payload:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE,
                f"frame announces {length} bytes, limit is {max_payload}",
            )
        return bytes(frame_type), length

    # The record layer and the application layer after the login; the login keeps its check.
    _module("reference.app").parse_header = parse_header
    _module("reference.eke.records").parse_header = parse_header


def _frm5_eke4_in_record() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "next_event",
        (
            "            assert isinstance(frame, InnerFrame)\n",
            "            assert isinstance(frame, InnerFrame)\n"
            "            if frame.type in (b'EKE2', b'EKE4'):\n"
            "                continue  # a late duplicate of the login\n",
        ),
    )


def _frm10_hs_eror_strict() -> None:
    _patch_method(
        _hs_cls(),
        "_read_frame",
        (
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n",
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n"
            "        if frame_type == T_EROR and set(obj) - set(_SCHEMAS[T_EROR]):\n"
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'EROR: unknown member')\n",
        ),
    )


def _pwf2_fatal_unfiltered() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_fail",
        ("    if quotes(text):", "    if isinstance(exc, TransferRefused) and quotes(text):"),
    )


# -- lens 4 ------------------------------------------------------------------------------


def _frm1_hs_skip_crlf() -> None:
    _patch_method(
        _hs_cls(),
        "_read_frame",
        (
            "        buf = self._inbox\n",
            "        buf = self._inbox\n"
            "        while buf and buf[0] in b'\\r\\n \\x00':  # stray line ends\n"
            "            del buf[0]\n",
        ),
    )


def _hs5_c3_upper() -> None:
    _patch_method(
        _module("reference.eke.handshake").ClientHandshake,
        "_on_eke2",
        ('_control(T_EKE3, {"c": c3.hex()})', '_control(T_EKE3, {"c": c3.hex().upper()})'),
    )


# -- lens 6 ------------------------------------------------------------------------------


def _frm13_put_chunk_frame_limit() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "send_file_chunk",
        (
            "self.channel.payload_buffer()[: min(limit, MAX_DATA_PAYLOAD)]",
            "self.channel.payload_buffer()[:limit]",
        ),
    )
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "send_data_header",
        (
            "        if not 1 <= n <= MAX_DATA_PAYLOAD:\n",
            "        if not 1 <= n <= self.config.max_frame_payload:\n",
        ),
    )


def _put1_warmup_big() -> None:
    _patch_method(
        _client_cls(),
        "put",
        (
            "            answer = self._next(stream)\n"
            "            if not isinstance(answer, PutAccepted):\n"
            '                raise TransferFailed("unexpected answer from the server")\n'
            "            sent = 0\n",
            "            early = b''\n"
            "            if size > (1 << 20):  # warm the pipe: the first MiB goes with the offer\n"
            "                early = os.read(fd, 1 << 20)\n"
            "                head = b'DATA' + len(early).to_bytes(4, 'big')\n"
            "                stream.sock.sendall(stream.channel.seal(head + early))\n"
            "            answer = self._next(stream)\n"
            "            if not isinstance(answer, PutAccepted):\n"
            '                raise TransferFailed("unexpected answer from the server")\n'
            "            sent = 0\n"
            "            if early:\n"
            "                stream.app.send_data_header(early)  # accounted, already sent\n"
            "                sent = len(early)\n",
        ),
    )


# -- post-blind siblings (after the cases: the class, not the one example) ------------------


def _post_pwf2_prefix_runs() -> None:
    redact = _module("reference.redact")

    def quotes_password(message: str, password: str) -> bool:
        text = message.casefold()  # the whole password, or its first 6 characters shown
        return any(form.casefold() in text for form in (password, password[:6]) if form)

    redact.quotes_password = quotes_password


def _post_frm1_hs_resync() -> None:
    _patch_method(
        _hs_cls(),
        "_read_frame",
        (
            "        buf = self._inbox\n",
            "        buf = self._inbox\n"
            "        if len(buf) >= 4 and bytes(buf[:4]) not in (b'EKE2', b'EKE4', b'EROR'):\n"
            "            for known in (b'EKE2', b'EKE4', b'EROR'):  # resynchronise\n"
            "                at = buf.find(known)\n"
            "                if at > 0:\n"
            "                    del buf[:at]\n"
            "                    break\n",
        ),
    )


def _post_err4_clamped() -> None:
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        ('ErrorCode.from_wire(obj["code"]),', 'ErrorCode.from_wire(min(obj["code"], 13)),'),
    )
    _module("reference.app").decode_message = messages.decode_message


def _post_frm13_chunk_plus_tag() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "send_file_chunk",
        (
            "self.channel.payload_buffer()[: min(limit, MAX_DATA_PAYLOAD)]",
            "self.channel.payload_buffer()[: min(limit, MAX_DATA_PAYLOAD + 16)]",
        ),
    )
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "send_data_header",
        (
            "        if not 1 <= n <= MAX_DATA_PAYLOAD:\n",
            "        if not 1 <= n <= MAX_DATA_PAYLOAD + 16:\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b27client-bye1-mid-get-silent",
        "APP-BYE-1",
        "test_eke_client_get_stray_ends.py",
        "L1: a BYE_ among a get's DATA is the server leaving: the get fails and the client"
        " closes without EROR unexpected_frame",
        _bye1_mid_get_silent,
    ),
    _m(
        "b27client-frm7-hs-early-json",
        "FRM-7",
        "test_eke_client_login_cuts.py",
        "L1/L2: the login's reader is a streaming JSON parser: an EKE2 whose bytes so far form"
        " a complete JSON object is acted on (EKE3 sent) before its announced length arrived",
        _frm7_hs_early_json,
    ),
    _m(
        "b27client-store4-write-then-check",
        "APP-STORE-4",
        "test_eke_client_overrun_paths.py",
        "L1: the get's overrun judged on the bytes already received, after the frame is"
        " written: the DATA frame that crosses the announced size is written to disk whole",
        _store4_write_then_check,
    ),
    _m(
        "b27client-err4-code-by-name",
        "ERR-4",
        "test_eke_client_unknown_code_names.py",
        "L2/L5: an EROR code the table does not list is looked up by its name: {code 99, name"
        " not_found} is a non-fatal refusal (the client stays, says BYE_)",
        _err4_code_by_name,
    ),
    _m(
        "b27client-pwf2-whole-only",
        "PWF-2",
        "test_eke_client_message_runs.py",
        "L2: a server's message is checked for the whole password only: one quoting a run of"
        " 6 or more of its characters (a masked password) is shown",
        _pwf2_whole_only,
    ),
    _m(
        "b27client-frm2-inner-type-trusted",
        "FRM-2",
        "test_eke_client_get_crossings.py",
        "L3: after the login the frame type's syntax is not checked (the record authenticated"
        " it): a lower-case or NUL-holding type in a record is answered unexpected_frame",
        _frm2_inner_type_trusted,
    ),
    _m(
        "b27client-frm5-eke4-in-record",
        "FRM-5",
        "test_eke_client_record_strays.py",
        "L3: an EKE4 or EKE2 inside a record is a late duplicate of the login and skipped",
        _frm5_eke4_in_record,
    ),
    _m(
        "b27client-frm10-hs-eror-strict",
        "FRM-10",
        "test_eke_client_login_strays.py",
        "L3: the login's EROR is decoded with unknown members denied: an EROR auth_failed with"
        " a member its schema does not define is answered EROR bad_frame",
        _frm10_hs_eror_strict,
    ),
    _m(
        "b27client-pwf2-fatal-unfiltered",
        "PWF-2",
        "test_eke_client_message_runs.py",
        "L3: the password filter of a server's message covers the non-fatal refusals only: a"
        " fatal EROR's message (internal, timeout) quoting the password is shown",
        _pwf2_fatal_unfiltered,
    ),
    _m(
        "b27client-frm1-hs-skip-crlf",
        "FRM-1",
        "test_eke_client_login_strays.py",
        "L4: the login's reader skips CR, LF, space and NUL before a header: an EKE2 followed"
        " by CRLF, then EKE4, logs in",
        _frm1_hs_skip_crlf,
    ),
    _m(
        "b27client-hs5-c3-upper",
        "EKE-HS-5",
        "test_eke_client.py",
        "L4: EKE3's c is written in upper-case hex (its own server parses either case)",
        _hs5_c3_upper,
    ),
    _m(
        "b27client-frm13-put-chunk-frame-limit",
        "FRM-13",
        "test_eke_client_put_big_offer.py",
        "L6: the put's DATA chunk is the frame limit less the record overhead (1 MiB + 232"
        " bytes): a put of more than 1 MiB sends oversize DATA frames",
        _frm13_put_chunk_frame_limit,
    ),
    _m(
        "b27client-put1-warmup-big",
        "APP-PUT-1",
        "test_eke_client_put_big_offer.py",
        "L6: a put of more than 1 MiB sends its first MiB of DATA right after PUTF, before the"
        " answer (smaller files wait for it)",
        _put1_warmup_big,
    ),
    _m(
        "b27client-post-pwf2-prefix-runs",
        "PWF-2",
        "test_eke_client_message_runs.py",
        "(post-blind) a server's message is checked for the whole password and its first 6"
        " characters only: a run from the middle of it is shown",
        _post_pwf2_prefix_runs,
    ),
    _m(
        "b27client-post-frm1-hs-resync",
        "FRM-1",
        "test_eke_client_login_strays.py",
        "(post-blind) a login header of unknown type bytes is resynchronised: the reader"
        " skips to the next EKE2, EKE4 or EROR in its buffer",
        _post_frm1_hs_resync,
    ),
    _m(
        "b27client-post-err4-clamped",
        "ERR-4",
        "test_eke_client_unknown_code_names.py",
        "(post-blind) an EROR code above the table is clamped to 13 (a lookup array's bound):"
        " code 99 is unsupported, a non-fatal refusal (the client stays, says BYE_)",
        _post_err4_clamped,
    ),
    _m(
        "b27client-post-frm13-chunk-plus-tag",
        "FRM-13",
        "test_eke_client_put_big_offer.py",
        "(post-blind) the put's DATA chunk is 1 MiB + 16 (the tag counted into the payload):"
        " a put of more than 1 MiB sends DATA frames of 1 048 592 bytes",
        _post_frm13_chunk_plus_tag,
    ),
)
