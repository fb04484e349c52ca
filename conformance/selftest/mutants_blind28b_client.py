"""Blind red-team round 28, second pass (helper B229): the sft-eke/1 CLIENT (`sft eke get` /
`sft eke put`) through the lenses of /work/briefs/s28/common.md, aimed at the lenses the first
pass (B218) used least (L2 lost errors, L3 endings, L4 retries, L5 two copies of a rule).
Phase 1 (blind): written from docs/SPEC.md (PWF-2, §1-3 client side, §5, §6) and the
reference's client code before any case file or the first pass's table was read. Checked
against the registered mutants; replaced as repeats (r): EOF inside a login frame taken as the
frame (b25bclient-frm7-hs-eof-payload), BYE_ awaiting the put's answers (b27bclient-bye-answer-
taken), size 0 read as unbounded (b25client-store4-size0-stream), the empty-AD record fallback
(b6cli-eke-record-ad-fallback), an integral float size (b5eke-c-size-float-accepted), the EROR
after BYE_ failing the get (b26client-bye2-eror-after-bye), busy without retry_after crashing
(b14cl3-busy-no-retry-after-crash), the output reserved before the get (b25client-store5-
placeholder), commit by copy (b25bclient-store5-commit-copy), a pw key id in -v output
(lead24-eke-client-pw-fingerprint), Na reused across a busy retry (unobservable: a busy login
never reaches EKE3; b22cli-busy-retry-same-na).

L2 lost errors
  b28bclient-put10-reset-receipt-ok   a reset (ECONNRESET) while awaiting the put's receipt is
                                      caught as 'the server dropped us after storing': the put
                                      is reported stored, exit 0 (a FIN still fails it)
  b28bclient-err8-login-eror-skipped  a malformed EROR during the login (no code, a string
                                      code) is dropped as noise and the client keeps waiting:
                                      the EKE2 after it is used (the record phase stays right)
L3 endings
  b28bclient-err6-surrogate-message   a login EROR's message is free text: its schema check
                                      skips the UTF-8 test (FRM-15), and a lone surrogate
                                      (\\ud800, valid JSON) is re-encoded to UTF-8 before it is
                                      shown: the UnicodeEncodeError ends the client with a
                                      traceback (B237: B229's first version only re-encoded,
                                      which the reference's schema check made unreachable)
L4 retries
  b28bclient-lim9-retry-no-deadline   the login retried after busy runs without the handshake
                                      timeout (the first attempt's timer is not re-armed): a
                                      server silent after the retry's EKE1 holds the client
  b28bclient-put10-retry-exists-ok    a receipt lost to a close is recovered by offering the put
                                      again on a new connection; `exists` there is taken as
                                      'stored after all': exit 0
L5 two copies of a rule
  b28bclient-frm3-limit-scaled-to-get during a get the record limit is raised to the announced
                                      file size ('records of a big file may be big'): a RECD
                                      header above the frame limit within a large get is not
                                      answered frame_too_large (the buffer cannot take it: the
                                      client reads it as EOF, no EROR)
Post-blind (B237), siblings proving the new cases catch the class
  b28bclient-put10-reset-mid-send-ok  a reset or broken pipe met while SENDING the put's DATA
                                      is taken as 'the server had what it needed': exit 0
  b28bclient-frm3-limit-doubled-in-get once RSFL is in, the record limit is doubled: a record
                                      header of limit + 1 within the get is awaited
Cases (B237): put10-reset-* -> test_eke_client_put_reset_receipt.py (a reset after DONE, or
mid-send of a 24 MiB put), lim9 -> test_eke_client_busy_retry_silent.py (busy, then the
retry's login held silent), frm3-* -> test_eke_client_record_limit_in_big_get.py (RSFL of
4 MiB, then a record header of limit + 1), err6 -> test_eke_client_message_surrogates.py.
None of the four was caught by the whole suite (SFT_MUTANT_FILES=citing) before.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "blind28b-client"


def _client_cls() -> Any:
    return _module("reference.eke.client").EkeClient


# -- lens 2 ------------------------------------------------------------------------------


def _put10_reset_receipt_ok() -> None:
    _patch_method(
        _client_cls(),
        "put",
        (
            "            done = self._next(stream)\n",
            "            try:\n"
            "                done = self._next(stream)\n"
            "            except TransferFailed as exc:\n"
            "                if 'reset' in str(exc).lower():\n"
            "                    return answer.name  # the server dropped us after storing\n"
            "                raise\n",
        ),
    )


def _err8_login_eror_skipped() -> None:
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n",
            "        if frame_type == T_EROR and self.state.name.startswith('CLIENT'):\n"
            "            try:\n"
            "                check_schema(frame_type, obj, _SCHEMAS[frame_type])\n"
            "            except ProtocolError:\n"
            "                return self.next_event()  # noise: wait for the real answer\n"
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _err6_surrogate_message() -> None:
    # The EROR's message is free text for a person: its schema check skips the UTF-8 test
    # the other strings get (FRM-15), so a lone surrogate reaches the display path.
    handshake = _module("reference.eke.handshake")
    strict = handshake.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        if frame_type == b"EROR" and isinstance(obj.get("message"), str):
            obj = {**obj, "message": ""}
        strict(frame_type, obj, schema)

    handshake.check_schema = check_schema
    client = _module("reference.eke.client")
    original = client.peer_text

    def peer_text(text: str, limit: int = 200) -> str:
        return str(original(text.encode("utf-8").decode("utf-8"), limit))

    client.peer_text = peer_text


# -- lens 4 ------------------------------------------------------------------------------


def _lim9_retry_no_deadline() -> None:
    cls = _client_cls()
    _patch_method(
        cls,
        "connect",
        (
            "            except ServerBusy as exc:\n",
            "            except ServerBusy as exc:\n"
            "                self._b28b_retry = True\n",
        ),
    )
    _patch_method(
        cls,
        "_connect_once",
        (
            "                sock, hs, time.monotonic() + cfg.handshake_timeout, on_event\n",
            "                sock,\n"
            "                hs,\n"
            "                time.monotonic()\n"
            "                + (86400.0 if getattr(self, '_b28b_retry', False)\n"
            "                   else cfg.handshake_timeout),\n"
            "                on_event,\n",
        ),
    )


def _put10_retry_exists_ok() -> None:
    _patch_method(
        _client_cls(),
        "put",
        (
            "            done = self._next(stream)\n",
            "            try:\n"
            "                done = self._next(stream)\n"
            "            except TransferFailed as exc:\n"
            "                if exc.code is not None:\n"
            "                    raise\n"
            "                # The receipt was lost: offer the put again on a new connection.\n"
            "                self.connect()\n"
            "                again = self._require()\n"
            "                again.send(PutRequest(name or path.name, size))\n"
            "                try:\n"
            "                    self._next(again)\n"
            "                except TransferRefused as refused:\n"
            "                    if refused.code is ErrorCode.EXISTS:\n"
            "                        return answer.name  # stored after all\n"
            "                    raise\n"
            "                raise\n",
        ),
    )


# -- lens 5 ------------------------------------------------------------------------------


def _frm3_limit_scaled_to_get() -> None:
    _patch_method(
        _client_cls(),
        "_receive",
        (
            "        with PartialFile.create(destination, answer.size) as partial:\n",
            "        stream.reader.max_record = max(stream.reader.max_record, answer.size + 64)\n"
            "        with PartialFile.create(destination, answer.size) as partial:\n",
        ),
    )


# -- post-blind siblings (B237) ------------------------------------------------------------


def _put10_reset_mid_send_ok() -> None:
    _patch_method(
        _client_cls(),
        "put",
        (
            "            except OSError as exc:\n"
            "                self._abandon()\n"
            "                raise TransferFailed(f\"connection lost: {exc}: nothing was saved\")",
            "            except OSError as exc:\n"
            "                if isinstance(exc, (ConnectionResetError, BrokenPipeError)):\n"
            "                    return answer.name  # the server had what it needed\n"
            "                self._abandon()\n"
            "                raise TransferFailed(f\"connection lost: {exc}: nothing was saved\")",
        ),
    )


def _frm3_limit_doubled_in_get() -> None:
    _patch_method(
        _client_cls(),
        "_receive",
        (
            "        with PartialFile.create(destination, answer.size) as partial:\n",
            "        stream.reader.max_record *= 2  # a full chunk plus slack\n"
            "        with PartialFile.create(destination, answer.size) as partial:\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b28bclient-put10-reset-receipt-ok",
        "APP-PUT-10",
        "test_eke_client_put_reset_receipt.py",
        "L2: a reset while awaiting the put's receipt DONE is taken as the server dropping the"
        " connection after storing: the put is reported stored, exit 0 (a FIN still fails it)",
        _put10_reset_receipt_ok,
    ),
    _m(
        "b28bclient-err8-login-eror-skipped",
        "ERR-8",
        "test_eke_client_login_frames.py",
        "L2/L5: a malformed EROR during the login (no code, a string code) is dropped as noise"
        " and the client keeps waiting: the EKE2 after it is used (the record phase is right)",
        _err8_login_eror_skipped,
    ),
    _m(
        "b28bclient-err6-surrogate-message",
        "ERR-6",
        "test_eke_client_message_surrogates.py",
        "L3: a login EROR's message is free text (its schema check skips the UTF-8 test) and"
        " a lone surrogate in it (an escaped \\ud800, valid JSON) is re-encoded to UTF-8"
        " before it is shown: UnicodeEncodeError, the client ends with a traceback",
        _err6_surrogate_message,
    ),
    _m(
        "b28bclient-lim9-retry-no-deadline",
        "LIM-9",
        "test_eke_client_busy_retry_silent.py",
        "L4: the login retried after busy runs without the handshake timeout (the first"
        " attempt's timer is not re-armed): a server silent after the retry's EKE1 holds the"
        " client",
        _lim9_retry_no_deadline,
    ),
    _m(
        "b28bclient-put10-retry-exists-ok",
        "APP-PUT-10",
        "test_eke_client_put_lost_receipt.py",
        "L4: a receipt lost to a close is recovered by offering the put again on a new"
        " connection; `exists` there is taken as 'stored after all': exit 0",
        _put10_retry_exists_ok,
    ),
    _m(
        "b28bclient-frm3-limit-scaled-to-get",
        "FRM-3",
        "test_eke_client_record_limit_in_big_get.py",
        "L5: during a get the record limit is raised to the announced file size: a RECD header"
        " above the frame limit within a large get is not answered frame_too_large",
        _frm3_limit_scaled_to_get,
    ),
    _m(
        "b28bclient-put10-reset-mid-send-ok",
        "APP-PUT-10",
        "test_eke_client_put_reset_receipt.py",
        "L2 (post-blind): a reset or broken pipe met while sending the put's DATA is taken as"
        " the server having what it needed: the put is reported stored, exit 0",
        _put10_reset_mid_send_ok,
    ),
    _m(
        "b28bclient-frm3-limit-doubled-in-get",
        "FRM-3",
        "test_eke_client_record_limit_in_big_get.py",
        "L5 (post-blind): once RSFL is in, the record limit is doubled ('a full chunk plus"
        " slack'): a record header just above the frame limit within a get is awaited, not"
        " answered frame_too_large",
        _frm3_limit_doubled_in_get,
    ),
)
