"""Blind red-team round 26 (helper B184): the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`)
through the six lenses of /work/briefs/s26/common.md. Phase 1 (blind): written from
docs/SPEC.md (PWF-1/2, §1-3 from the client's side, §5's client duties, §6) and the
reference's client code (reference/eke/client.py, handshake.py, records.py, transport.py,
crypto.py, reference/app.py, frames.py, reference/cli/eke.py) before any case file was
opened. Checked against the 1,320 registered client mutants (names and descriptions): the
ideas found there (a record limit never applied, the AD fallback to empty, unknown types
skipped, DATA right after PUTF, the malformed EROR skipped on the get path, the BYE_ that
ends a get, the temporary in $TMPDIR, an `exists` taken as success, the overrun judged per
frame or with a digest, the commit by copy, ...) were dropped (r) and replaced.

L1 the thin MUSTs (FRM-3, FRM-2, FRM-5, EKE-REC-3, ERR-8)
  b26client-frm3-limit-plus-tag  the record limit is compared with the record's length less
                                 its 16-byte tag (the inner frame's size): a RECD header
                                 announcing limit+1 .. limit+16 bytes is waited for (FRM-3)
  b26client-frm2-first-byte      the type syntax check is an unanchored pattern on the first
                                 byte: `R\\0\\0\\0` or `Rsfl` pass it and are answered
                                 unexpected_frame (an unknown type), not bad_frame (FRM-2)
  b26client-frm5-keepalive-types NOOP and PING inside a record are skipped as keep-alives
                                 wherever the client reads (other unknown types still
                                 answered unexpected_frame) (FRM-5)
  b26client-rec3-ad-inner-len    a record failing under its header as AD is opened again
                                 under "RECD" ‖ u32be(len(inner)) (a pre-release server's AD)
                                 (EKE-REC-3)
L2 the second half of the sentence
  b26client-frm3-drain-announced after its EROR frame_too_large the client reads and drops
                                 what the server still sends until the server's FIN or its
                                 idle timeout ("so that the close is no reset"): the close
                                 does not follow at once (FRM-3: "... and then close")
  b26client-err8-receipt-eror-skipped  a malformed EROR in place of the put's receipt DONE
                                 is skipped as noise (the get path refuses it): the receipt
                                 after it makes the put a success (ERR-8: "any further frame")
L3 passing the vectors
  b26client-put-mib-empty-data   the put's send loop is a do-while on read(): a file of an
                                 exact multiple of 1 MiB ends with an empty DATA frame (FRM-14)
L4 neighbouring-protocol habits
  b26client-put1-expect-timer    `Expect: 100-continue` à la curl: no answer to PUTF within
                                 1 s, and the DATA and DONE are sent anyway (APP-PUT-1)
  b26client-frm6-bye-answer-retry  a BYE_ in place of RSFL is an HTTP keep-alive race:
                                 the connection is dropped without a word and the get sent
                                 again on a new connection (FRM-6)
L6 crossing frames
  b26client-bye2-eror-after-bye  after a completed get the client's BYE_ crosses the server's
                                 fatal EROR (its idle timeout): the EROR read after the BYE_
                                 fails the run, exit 1, though the file was verified and
                                 saved (APP-BYE-2)
L5 (no fresh insecure default of the client was found that the registered set lacks: the
   frame limit never set, the temporary's mode, the busy retries, the sweep's age and the
   handshake timeout all are there.)
Post-blind siblings (after the cases, to show they take the class):
  b26client-post-frm2-isupper, b26client-post-drain-after-overrun,
  b26client-post-err8-accept-eror-skipped, b26client-post-put1-expect-timer-2s.

Blind result (10): 4 detected by the file first named (frm3-limit-plus-tag:
test_eke_client_transfer.py; frm5-keepalive-types: test_eke_client_record_strays.py;
rec3-ad-inner-len: test_eke_client_record_ad.py; put-mib-empty-data: test_client_put.py),
1 more by the whole suite (frm6-bye-answer-retry: test_client_run_frame_forms.py). Missed
by every file citing the requirement, and the cases now catching their class:
  frm2-first-byte, frm3-drain-announced,  -> test_eke_client_get_crossings.py (types with a
  bye2-eror-after-bye                        valid first byte; the close within 3 s of the
                                             client's own fatal EROR while the server keeps
                                             sending; EROR timeout after a verified get)
  err8-receipt-eror-skipped,              -> test_eke_client_put_answer_waits.py (malformed
  put1-expect-timer                          EROR before the receipt / the acceptance; the
                                             answer to PUTF after 2.5 s)
Final: 14 of 14 detected (-k b26client).
"""

from __future__ import annotations

import hashlib
import select
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind26-client"
_MIB = 1 << 20


def _client_cls() -> Any:
    return _module("reference.eke.client").EkeClient


# -- lens 1 ------------------------------------------------------------------------------


def _frm3_limit_plus_tag() -> None:
    _patch_method(
        _module("reference.eke.records").RecordReader,
        "_parse_header",
        (
            "parse_header(self._view[:HEADER_SIZE], self.max_record)",
            "parse_header(self._view[:HEADER_SIZE], self.max_record + crypto.TAG_LEN)",
        ),
    )


def _frm2_first_byte() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "parse_header",
        (
            "    if not _TYPE_RE.fullmatch(frame_type):\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME,",
            "    if not __import__('re').match(rb'[A-Z0-9_]', frame_type):\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME,",
        ),
    )
    for name in ("reference.app", "reference.eke.records", "reference.eke.handshake"):
        module = _module(name)
        if hasattr(module, "parse_header"):
            module.parse_header = frames.parse_header


def _frm5_keepalive_types() -> None:
    _patch_method(
        _module("reference.eke.transport").SecureStream,
        "next_event",
        (
            "            assert isinstance(frame, InnerFrame)\n",
            "            assert isinstance(frame, InnerFrame)\n"
            "            if frame.type in (b'NOOP', b'PING'):\n"
            "                continue  # keep-alives\n",
        ),
    )


def _rec3_ad_inner_len() -> None:
    _patch_method(
        _module("reference.eke.crypto").RecordOpener,
        "open",
        (
            "        except InvalidTag:\n"
            "            raise AuthenticationFailed() from None\n",
            "        except InvalidTag:\n"
            "            try:  # a pre-release server's AD: the inner frame's length\n"
            "                self._aead.decrypt_into(\n"
            "                    nonce, sealed,\n"
            "                    bytes(header[:4]) + plain_len.to_bytes(4, 'big'), out\n"
            "                )\n"
            "            except InvalidTag:\n"
            "                raise AuthenticationFailed() from None\n",
        ),
    )


# -- lens 2 ------------------------------------------------------------------------------


def _frm3_drain_announced() -> None:
    _patch_method(
        _client_cls(),
        "_next",
        (
            "            self._abandon()\n"
            "            if exc.code is ErrorCode.INTEGRITY_FAILED:\n",
            "            if exc.code is ErrorCode.FRAME_TOO_LARGE and self._sock is not None:\n"
            "                # read what is on its way, so that the close is not a reset\n"
            "                with contextlib.suppress(OSError):\n"
            "                    self._sock.settimeout(self.config.idle_timeout)\n"
            "                    while self._sock.recv(65536):\n"
            "                        pass\n"
            "            self._abandon()\n"
            "            if exc.code is ErrorCode.INTEGRITY_FAILED:\n",
        ),
    )


def _err8_receipt_eror_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        try:\n"
            "            message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n"
            "        except RemoteProtocolError:\n"
            "            if frame.type == T_EROR and self.state is I.DONE_SENT:\n"
            "                return self._next_event()  # noise: wait for the receipt\n"
            "            raise\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _put_mib_empty_data() -> None:
    _patch_method(
        _client_cls(),
        "put",
        (
            "                stream.send(stream.app.outgoing_done())\n",
            "                if size and size % (1 << 20) == 0:  # the read() that found EOF\n"
            "                    empty = b'DATA' + bytes(4)\n"
            "                    stream.sock.sendall(stream.channel.seal(empty))\n"
            "                stream.send(stream.app.outgoing_done())\n",
        ),
    )


# -- lens 4 ------------------------------------------------------------------------------


def _put1_expect_timer(wait: float = 1.0) -> None:
    client_mod = _module("reference.eke.client")
    app = _module("reference.app")
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    cls = client_mod.EkeClient

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stream = self._require()
        data = Path(path).read_bytes()
        stream.send(messages.PutRequest(name or path.name, len(data)))
        ready, _, _ = select.select([stream.sock], [], [], wait)
        chunks = [data[i : i + _MIB] for i in range(0, len(data), _MIB)]
        if ready:
            answer = self._next(stream)
            if not isinstance(answer, messages.PutAccepted):
                raise client_mod.TransferFailed("unexpected answer from the server")
            for chunk in chunks:
                stream.send(messages.Data(chunk))
            stream.send(stream.app.outgoing_done())
        else:  # no "100 Continue" within 1 s: send the body anyway
            for chunk in chunks:
                stream.sock.sendall(stream.channel.seal(frames.encode_frame(b"DATA", chunk)))
            done = messages.Done(len(data), hashlib.sha256(data).hexdigest())
            stream.sock.sendall(stream.channel.seal(messages.encode_message(done)))
            answer = self._next(stream)
            if not isinstance(answer, messages.PutAccepted):
                raise client_mod.TransferFailed("unexpected answer from the server")
            transfer = app._Transfer(len(data), None, hashlib.sha256)
            transfer.add(data)
            stream.app._outgoing = transfer
            stream.app.state = app.InitiatorState.DONE_SENT
        receipt = self._next(stream)
        if not isinstance(receipt, messages.Done):
            raise client_mod.TransferFailed("unexpected answer from the server")
        return str(answer.name)

    cls.put = put


def _frm6_bye_answer_retry() -> None:
    client_mod = _module("reference.eke.client")
    app = _module("reference.app")
    messages = _module("reference.messages")
    app._TRANSITIONS[(app.InitiatorState.GET_SENT, app.T_BYE)] = app.InitiatorState.CLOSED
    cls = client_mod.EkeClient
    original_next = cls._next
    original_get = cls.get

    def _next(self: Any, stream: Any) -> Any:
        event = original_next(self, stream)
        if isinstance(event, messages.Bye):
            raise _ServerLeft()
        return event

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        try:
            return original_get(self, name, destination, **kw)
        except _ServerLeft:
            if getattr(self, "_b26_retried", False):
                raise client_mod.TransferFailed("the server left") from None
            self._b26_retried = True
            self._abandon()  # the keep-alive race: the server closed an idle connection
            self._connect_once()
            return get(self, name, destination, **kw)

    cls._next = _next
    cls.get = get


class _ServerLeft(Exception):
    pass


# -- lens 6 ------------------------------------------------------------------------------


def _bye2_eror_after_bye() -> None:
    _patch_method(
        _client_cls(),
        "close",
        (
            "            else:\n"
            "                close_gracefully(sock, self.config.close_linger)\n"
            "                return\n",
            "            else:\n"
            "                try:\n"
            "                    sock.settimeout(self.config.close_linger)\n"
            "                    last = stream.next_event()\n"
            "                except Exception:\n"
            "                    last = None\n"
            "                with contextlib.suppress(OSError):\n"
            "                    sock.close()\n"
            "                if isinstance(last, ErrorFrame):\n"
            "                    raise TransferFailed(\n"
            "                        f'the server reported {last.code.wire_name} at the end'\n"
            "                    )\n"
            "                return\n",
        ),
    )


# -- post-blind siblings (after the cases: the class, not the one example) ------------------


def _post_frm2_isupper() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "parse_header",
        (
            "    if not _TYPE_RE.fullmatch(frame_type):\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME,",
            "    if not (frame_type.isupper() or frame_type.isdigit()):\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME,",
        ),
    )
    for name in ("reference.app", "reference.eke.records", "reference.eke.handshake"):
        module = _module(name)
        if hasattr(module, "parse_header"):
            module.parse_header = frames.parse_header


def _post_drain_after_overrun() -> None:
    _patch_method(
        _client_cls(),
        "_next",
        (
            "            self._abandon()\n"
            "            if exc.code is ErrorCode.INTEGRITY_FAILED:\n",
            "            if exc.code is ErrorCode.INTEGRITY_FAILED and self._sock is not None:\n"
            "                # the rest of the excess is on its way: read it, then close\n"
            "                with contextlib.suppress(OSError):\n"
            "                    self._sock.settimeout(self.config.idle_timeout)\n"
            "                    while self._sock.recv(65536):\n"
            "                        pass\n"
            "            self._abandon()\n"
            "            if exc.code is ErrorCode.INTEGRITY_FAILED:\n",
        ),
    )


def _post_err8_accept_eror_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "        message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n",
            "        try:\n"
            "            message = decode_message(frame, rsfl_for_put=self.state is I.PUT_SENT)\n"
            "        except RemoteProtocolError:\n"
            "            if frame.type == T_EROR and self.state is I.PUT_SENT:\n"
            "                return self._next_event()  # noise: wait for the answer\n"
            "            raise\n",
        ),
    )


def _post_put1_expect_timer_2s() -> None:
    _put1_expect_timer(2.0)


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name, _GROUP, "eke", requirement, test_file, description, apply, client=True
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b26client-frm3-limit-plus-tag",
        "FRM-3",
        "test_eke_client_transfer.py",
        "L1/L3: the record limit is compared with the record's length less its 16-byte tag:"
        " a RECD header announcing limit+1 .. limit+16 bytes is waited for",
        _frm3_limit_plus_tag,
    ),
    _m(
        "b26client-frm2-first-byte",
        "FRM-2",
        "test_eke_client_get_crossings.py",
        "L1/L3: the frame type's syntax is checked on its first byte only (an unanchored"
        " pattern): `R` followed by any three bytes is answered unexpected_frame, not bad_frame",
        _frm2_first_byte,
    ),
    _m(
        "b26client-frm5-keepalive-types",
        "FRM-5",
        "test_eke_client_record_strays.py",
        "L1/L4: NOOP and PING inside a record are skipped as keep-alives wherever the client"
        " reads (other unknown types are answered unexpected_frame)",
        _frm5_keepalive_types,
    ),
    _m(
        "b26client-rec3-ad-inner-len",
        "EKE-REC-3",
        "test_eke_client_record_ad.py",
        "L1/L4: a record failing under its header as AD is opened again under 'RECD' ‖"
        " u32be(len(inner frame)) (a pre-release server's AD)",
        _rec3_ad_inner_len,
    ),
    _m(
        "b26client-frm3-drain-announced",
        "FRM-3",
        "test_eke_client_get_crossings.py",
        "L2: after its EROR frame_too_large the client reads and drops what the server still"
        " sends until the server's FIN or its idle timeout: the close does not follow at once",
        _frm3_drain_announced,
    ),
    _m(
        "b26client-err8-receipt-eror-skipped",
        "ERR-8",
        "test_eke_client_put_answer_waits.py",
        "L2: a malformed EROR in place of the put's receipt DONE is skipped as noise (the get"
        " path refuses it): a receipt after it makes the put a success",
        _err8_receipt_eror_skipped,
    ),
    _m(
        "b26client-put-mib-empty-data",
        "FRM-14",
        "test_client_put.py",
        "L3: the put's send loop is a do-while on read(): a file of an exact multiple of 1 MiB"
        " ends with an empty DATA frame",
        _put_mib_empty_data,
    ),
    _m(
        "b26client-put1-expect-timer",
        "APP-PUT-1",
        "test_eke_client_put_answer_waits.py",
        "L4: Expect: 100-continue à la curl: with no answer to PUTF within 1 s the DATA and"
        " DONE are sent anyway",
        lambda: _put1_expect_timer(1.0),
    ),
    _m(
        "b26client-frm6-bye-answer-retry",
        "FRM-6",
        "test_client_run_frame_forms.py",
        "L4: a BYE_ in place of RSFL is taken for an HTTP keep-alive race: the connection is"
        " dropped without an EROR and the get sent again on a new connection",
        _frm6_bye_answer_retry,
    ),
    _m(
        "b26client-bye2-eror-after-bye",
        "APP-BYE-2",
        "test_eke_client_get_crossings.py",
        "L6: the client's BYE_ after a completed get crosses the server's fatal EROR (its"
        " idle timeout): the EROR read after the BYE_ fails the run, exit 1, though the file"
        " was verified and saved",
        _bye2_eror_after_bye,
    ),
    _m(
        "b26client-post-frm2-isupper",
        "FRM-2",
        "test_eke_client_get_crossings.py",
        "(post-blind) the frame type's syntax is bytes.isupper() or isdigit(): true for"
        " `RSF` NUL, `RS-L` and non-ASCII bytes beside capitals (only `Rsfl` is refused)",
        _post_frm2_isupper,
    ),
    _m(
        "b26client-post-drain-after-overrun",
        "ERR-3",
        "test_eke_client_get_crossings.py",
        "(post-blind) after its EROR integrity_failed for DATA beyond the announced size the"
        " client reads the rest of the excess until the server's FIN or its idle timeout",
        _post_drain_after_overrun,
    ),
    _m(
        "b26client-post-err8-accept-eror-skipped",
        "ERR-8",
        "test_eke_client_put_answer_waits.py",
        "(post-blind) a malformed EROR in place of the answer to PUTF is skipped as noise:"
        " the RSFL accept after it starts the put's DATA",
        _post_err8_accept_eror_skipped,
    ),
    _m(
        "b26client-post-put1-expect-timer-2s",
        "APP-PUT-1",
        "test_eke_client_put_answer_waits.py",
        "(post-blind) the Expect-style wait for the answer to PUTF is 2 s, then the DATA and"
        " DONE are sent anyway",
        _post_put1_expect_timer_2s,
    ),
)
