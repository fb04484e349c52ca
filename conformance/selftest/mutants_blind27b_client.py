"""Blind red-team round 27, second pass (helper B210): the sft-eke/1 CLIENT (`sft eke
get/put`) through the six lenses of /work/briefs/s27/common.md. Phase 1 (blind): written
from docs/SPEC.md (PWF-1/2, §1, §2, §3 client side, §5 client side) and reference/eke/
{client,handshake,transport,records}.py, reference/app.py, reference/messages.py and
reference/redact.py before any case file was opened. Checked against the registered
mutants; repeats replaced (r): the login parsed without the duplicate-key check
(b16cli-hs-json-dups), a 64-byte user refused (b17cli-user-64-refused), an RSFL.name
mismatch answered forbidden (b19cli-rsfl-name-mismatch-forbidden), Na kept on the busy
retry (b22cli-busy-retry-same-na), an empty put's DONE pipelined (b18cli-put-empty-
pipelined), the connection's end in place of the receipt taken as success
(b2cli-eke-put-closed-is-success), RQFL sealed before EKE4 (b14cl-rqfl-before-eke4).

Lens 1 — the thin MUSTs:
- b27bclient-bye-answer-taken: a BYE_ in place of the answer to RQFL, PUTF or the put's
  DONE is the server leaving: the transfer fails and the client closes without EROR
  unexpected_frame [APP-BYE-1].
Lens 3 — cross-references:
- b27bclient-bye-after-own-eror: after its own fatal EROR (integrity_failed, bad_frame,
  unexpected_frame ...) the client still says goodbye: a BYE_ record follows the EROR
  before the close ("fatal" closing only for the EROR it receives) [ERR-3].
- b27bclient-hs-unknown-code-skipped: during the login an EROR whose code the table does
  not list is informational and skipped; the EKE2 after it is answered EKE3 (ERR-4 applied
  in the record phase only) [ERR-4].
- b27bclient-put-code-by-name: the answer to PUTF has its own reader: an EROR code the
  table does not list is looked up by its `name` ({code 99, name exists} is a non-fatal
  refusal: the client stays and says BYE_); the get path reads it as internal [ERR-4].
- b27bclient-pwf2-first-64: the password filter looks at the first 64 characters of a
  server's message only (ERR-5's "beyond 64 characters" taken as the echo's bound), while
  up to 200 are shown: a message quoting the password after 64 characters is shown [PWF-2].
Lens 4 / 6 — interop and beyond the toy sizes:
- b27bclient-th-b-minimal: the transcript takes B re-encoded from its integer value in its
  minimal length (a BigInteger round trip): a B whose first byte is 0 (one login in 256)
  gives another th, and the login fails against an honest server [EKE-KS-1].
- b27bclient-pwf2-short-password: the filter looks for runs of exactly 6 characters: a
  password shorter than 6 has no run of 6, and a message quoting it whole is shown [PWF-2].
Post-blind siblings (after the cases, to show they take the class):
- b27bclient-post-c2-minimal: EKE2's c read as a hex number and written back in minimal
  length before the AEAD opens it [EKE-HS-4].
- b27bclient-post-eke4-unknown-skipped: an unknown EROR code skipped only while awaiting
  EKE4 [ERR-4].

Blind result (7): none caught by the file first named, none by the whole citing set
(SFT_MUTANT_FILES=citing: only the new files below failed). New cases:
test_eke_client_farewell_frames.py (ERR-3: nothing after the client's own fatal EROR;
FRM-6/APP-BYE-1: BYE_ in place of the answer to RQFL or PUTF; ERR-4: an unknown code named
like a refusal answering PUTF, and in the login before EKE2 and before EKE4),
test_eke_client_message_placement.py (PWF-2: a 5-character password quoted whole; the
password after 150 characters), test_eke_client_zero_led_values.py (EKE-KS-1/EKE-HS-4/
EKE-HS-5: B, C2, Ns beginning with a zero byte). Final: 9 of 9 detected (-k b27bclient).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind27b-client"


def _client_cls() -> Any:
    return _module("reference.eke.client").EkeClient


# -- lens 1 ------------------------------------------------------------------------------


def _bye_answer_taken() -> None:
    app = _module("reference.app")
    states = app.InitiatorState
    for state in (states.GET_SENT, states.PUT_SENT, states.DONE_SENT):
        app._TRANSITIONS[(state, app.T_BYE)] = states.CLOSED


# -- lens 3 ------------------------------------------------------------------------------


def _bye_after_own_eror() -> None:
    _patch_method(
        _client_cls(),
        "_next",
        (
            "            self._abandon()\n"
            "            if exc.code is ErrorCode.INTEGRITY_FAILED:\n",
            "            with contextlib.suppress(OSError, ProtocolError):\n"
            '                stream.sock.sendall(stream.channel.seal_frame(b"BYE_", b"{}"))\n'
            "            self._abandon()\n"
            "            if exc.code is ErrorCode.INTEGRITY_FAILED:\n",
        ),
    )


def _hs_unknown_code_skipped() -> None:
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        handler, next_state = step\n",
            "        handler, next_state = step\n"
            "        known = {c.value for c in ErrorCode}\n"
            '        if frame_type == T_EROR and obj["code"] not in known:\n'
            "            return self.next_event()  # not a code we know: informational\n",
        ),
    )


def _put_code_by_name() -> None:
    _patch_source(
        _module("reference.messages"),
        "decode_message",
        (
            "        return ErrorFrame(\n"
            '            ErrorCode.from_wire(obj["code"]),\n',
            '        code = ErrorCode.from_wire(obj["code"])\n'
            '        if rsfl_for_put and code.value != obj["code"]:\n'
            '            named = str(obj.get("name", "")).upper()\n'
            "            code = ErrorCode.__members__.get(named, code)\n"
            "        return ErrorFrame(\n"
            "            code,\n",
        ),
    )


def _pwf2_first_64() -> None:
    _patch_method(
        _module("reference.redact"),
        "quotes_password",
        ("    for view in _views(message):\n", "    for view in _views(message[:64]):\n"),
    )


# -- lens 4 / 6 --------------------------------------------------------------------------


def _th_b_minimal() -> None:
    _patch_method(
        _module("reference.eke.handshake").ClientHandshake,
        "_on_eke2",
        (
            "        self._th = crypto.transcript_hash(self.user, self._a, b)\n",
            '        b_int = int.from_bytes(b, "big")\n'
            "        self._th = crypto.transcript_hash(\n"
            '            self.user, self._a, b_int.to_bytes((b_int.bit_length() + 7) // 8, "big")\n'
            "        )\n",
        ),
    )


def _pwf2_short_password() -> None:
    _patch_method(
        _module("reference.redact"),
        "quotes_password",
        ("        run = min(6, len(form))\n", "        run = 6\n"),
    )


def _post_c2_minimal() -> None:
    _patch_method(
        _module("reference.eke.handshake").ClientHandshake,
        "_on_eke2",
        (
            '        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n',
            '        c_int = int(obj["c"], 16)\n'
            '        c2 = c_int.to_bytes((c_int.bit_length() + 7) // 8, "big")\n'
            "        ns = crypto.open_confirm(keys.kcs, 2, c2, self._th)\n",
        ),
    )


def _post_eke4_unknown_skipped() -> None:
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        handler, next_state = step\n",
            "        handler, next_state = step\n"
            "        known = {c.value for c in ErrorCode}\n"
            "        awaiting_eke4 = self.state is HandshakeState.CLIENT_AWAIT_EKE4\n"
            '        if frame_type == T_EROR and awaiting_eke4 and obj["code"] not in known:\n'
            "            return self.next_event()  # not a code we know: informational\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b27bclient-bye-answer-taken",
        "APP-BYE-1",
        "test_eke_client_farewell_frames.py",
        "L1/L3: a BYE_ in place of the answer to RQFL, PUTF or the put's DONE is the server "
        "leaving: the transfer fails and the client closes without EROR unexpected_frame",
        _bye_answer_taken,
    ),
    _m(
        "b27bclient-bye-after-own-eror",
        "ERR-3",
        "test_eke_client_farewell_frames.py",
        "L3: after its own fatal EROR (integrity_failed, bad_frame, unexpected_frame) the "
        "client sends a BYE_ record before the close: the EROR is not the last thing it writes",
        _bye_after_own_eror,
    ),
    _m(
        "b27bclient-hs-unknown-code-skipped",
        "ERR-4",
        "test_eke_client_farewell_frames.py",
        "L3: during the login an EROR of a code the table does not list is skipped as "
        "informational: the EKE2 after it is answered EKE3 and the login goes on",
        _hs_unknown_code_skipped,
    ),
    _m(
        "b27bclient-put-code-by-name",
        "ERR-4",
        "test_eke_client_farewell_frames.py",
        "L3/L5: the answer to PUTF is read by its own decoder: an unknown EROR code is looked "
        "up by its name ({code 99, name exists} a non-fatal refusal: the client stays, BYE_)",
        _put_code_by_name,
    ),
    _m(
        "b27bclient-pwf2-first-64",
        "PWF-2",
        "test_eke_client_message_placement.py",
        "L3: the password filter checks the first 64 characters of a server's message only "
        "(ERR-5's echo bound), up to 200 are shown: the password after 64 characters is shown",
        _pwf2_first_64,
    ),
    _m(
        "b27bclient-th-b-minimal",
        "EKE-KS-1",
        "test_eke_client_zero_led_values.py",
        "L4/L6: th takes B re-encoded from its integer in minimal length (a BigInteger round "
        "trip): a B whose first byte is 0 (one login in 256) gives another th, the login fails",
        _th_b_minimal,
    ),
    _m(
        "b27bclient-pwf2-short-password",
        "PWF-2",
        "test_eke_client_message_placement.py",
        "L6: the filter looks for runs of exactly 6 characters: a password of fewer than 6 "
        "has none, and a server's message quoting it whole is shown",
        _pwf2_short_password,
    ),
    _m(
        "b27bclient-post-c2-minimal",
        "EKE-HS-4",
        "test_eke_client_zero_led_values.py",
        "(post-blind) EKE2's c read as a hex number and written back in minimal length "
        "before the AEAD opens it: a C2 whose first byte is 0 fails, the login is refused",
        _post_c2_minimal,
    ),
    _m(
        "b27bclient-post-eke4-unknown-skipped",
        "ERR-4",
        "test_eke_client_farewell_frames.py",
        "(post-blind) awaiting EKE4 (only), an EROR of a code the table does not list is "
        "skipped as informational: the EKE4 after it completes the login and the get goes on",
        _post_eke4_unknown_skipped,
    ),
)
