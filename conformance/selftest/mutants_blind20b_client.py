"""Blind red-team round 20, second pass (helper B118): the sft-eke/1 CLIENT (`sft eke get` /
`sft eke put`), through the six lenses of /work/briefs/s20/common_b.md. Phase 1 (blind):
written from docs/SPEC.md (§1-§3 client side, §5 client side, §6) and the reference's client
code (reference/eke/client.py, handshake.py, records.py, crypto.py, transport.py;
reference/transfer.py, app.py, frames.py, messages.py, share.py, reference/cli/eke.py)
before any case file, any independent implementation or the first pass's
mutants_blind20_client.py was opened.

The first list (one per lens) was then checked against the names and descriptions of
the 3 565 registered mutants and the first pass's mutants_blind20_client.py; five repeated a
registered idea and were replaced (r) by new ones written the same blind way: EKE2's Ns of
any length (b14cl-c2-lengths-asserts), the output's existence checked at start and the
commit renaming over it (eke-cli-replaces-on-commit, b10cli-replace-on-commit), the RSFL
name echoed in the client's bad_frame (b20cli-schema-error-got-value), the JSON parse under
`except json.JSONDecodeError` (b20ini-json-decode-error-only, b20cli-json-depth-crash),
RSFL.sha256 not compared (eke-cli-ignores-rsfl-sha256 and nine more). Further candidates
met a registered twin before they were written (BYE_ sent mid-transfer, the drain before
the FIN after frame_too_large, a symmetric busy jitter, the password cut at NUL, the
temporary's random part). Lens 1 (weak parameters) and lens 3 (administrator actions) and
lens 5 (exception taxonomy) found nothing left on the client: what the client accepts of
the server's values (Y', Z, Ns, hex forms, nonces, digests, sizes) and what another process
does beside it (a file made at the output, a concurrent sweep, the source changed during a
put) are registered by rounds 2-20, and the exceptions of its paths either are registered
(RecursionError, TypeError, ValueError of int(), resets after BYE_) or change nothing on
the wire (a traceback in place of a one-line failure, exit 1 either way).

Lens 2 — algorithmic complexity and depth:
- b20bc-eror-words-regex: the client shows a refusal's message as it is only when it "looks
  like words", `(\\w+\\s?)*`, and repr() otherwise: a nested quantifier, so a message with
  a long run of word characters before a character outside the class (`aaaa…a!`)
  backtracks exponentially — the client never reports the refusal (ERR-1: it must act on
  the code only; the message is for people).
Lens 4 — peer-controlled bytes reflected:
- b20bc-unknown-code-echoed (r): ERR-4's "treat as internal" written as a protocol error of
  the peer: an EROR with an unknown code is answered `EROR internal` quoting the server's
  message whole ("unknown error code 99 from the peer: …", up to the 512-character cut):
  the server's text comes back (ERR-5 SHOULD: strict).
Lens 6 — the MUST's later clauses:
- b20bc-invalid-y-told-apart (r): EKE-HS-4 "send EROR auth_failed and close, AND tell its
  user 'wrong password or unknown user'": an EKE2 whose B decrypts to an invalid Y' is
  answered auth_failed on the wire, but the user is told "the server sent an invalid group
  element: possible attack".

Blind result (each against the file first named, then against every other client case file
citing its requirement): 0 of 3 detected.
- eror-words-regex (ERR-1): test_eke_client_eror_quoted_text.py (its ERR-1 case passes, the
  others are slow), test_client_fatal_errors.py, test_client_lies.py,
  test_client_report_late_errors.py, test_client_run_fatal_endings.py,
  test_eke_client_answers.py, test_eke_client_login_eror_members.py: no case sends a
  refusal whose message is awkward to show; an honest message never backtracks.
- unknown-code-echoed (ERR-5, strict): test_eke_client_eror_echo_bounds.py,
  test_client_error_content.py, test_eke_client.py, test_eke_client_confirm_tags.py,
  test_eke_client_undecodable.py: the echo cases send frames the client refuses
  bad_frame; none sends an EROR carrying attacker text and looks at the answer.
- invalid-y-told-apart (EKE-HS-4): test_eke_client_login_frames.py, test_eke_client.py,
  test_eke_client_answers.py, test_eke_client_confirm_tags.py, test_eke_client_get_doors.py,
  test_eke_client_keys.py, test_eke_client_login_edges.py,
  test_eke_client_login_eror_members.py: the invalid Y' is judged on the wire (one EROR
  auth_failed, the close), never on what the user is told.

The cases that now catch each class (each passes the reference three times and the seven
eke independents eke1-eke7, slow variants included):
  test_eke_client_eror_text_verdict.py  ERR-1 a get refused with an awkward message —
      not_found with 100 word characters then "!", internal wrapped in ANSI escapes (a
      clear-screen ESC[2J among colour codes); slow: the other pairings and an empty
      message — is reported failed (non-zero exit, nothing kept) within the run's
      deadline (eror-words-regex).
  test_eke_client_eror_reply_echo.py  ERR-5 (SHOULD, strict) a server's EROR carrying 400
      letters of attacker text — code 99; slow: internal, a code that is a string — : an
      EROR the client sends back quotes at most 64 of them (unknown-code-echoed).
  test_eke_client_login_failure_report.py  EKE-HS-4 a C2 that does not open and a B hiding
      an invalid Y' (p + 1; slow: 0, 1, p - 1) are told to the user alike: exit status,
      stdout, stderr equal once white space is normalised and digit runs masked
      (invalid-y-told-apart).
Post-blind siblings, written after the cases to show they take the class (all detected):
ansi-strip-loop -> test_eke_client_eror_text_verdict.py; fatal-eror-acknowledged ->
test_eke_client_eror_reply_echo.py; invalid-y-wrong-class (the range check raising a
RemoteProtocolError(auth_failed) instead of the AuthenticationFailed class: the wire is
right, the user reads "protocol error during login") ->
test_eke_client_login_failure_report.py.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind20b-client"


def _client() -> Any:
    return _module("reference.eke.client")


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


# -- lens 2: algorithmic complexity and depth ------------------------------------------------


def _eror_words_regex() -> None:
    client = _client()
    words = re.compile(r"(\w+\s?)*")

    def __init__(self: Any, code: Any, message: str) -> None:
        shown = message if words.fullmatch(message) is not None else repr(message)
        client.ClientError.__init__(self, f"{code.wire_name}: {shown}")
        self.code = code

    client.TransferRefused.__init__ = __init__


# -- lens 4: peer-controlled bytes reflected -------------------------------------------------


def _unknown_code_echoed() -> None:
    messages = _messages()
    _patch_source(
        messages,
        "decode_message",
        (
            '        message = obj.get("message", "")\n',
            '        message = obj.get("message", "")\n'
            '        if obj["code"] not in ErrorCode._value2member_map_:  # [ERR-4]: internal\n'
            "            raise RemoteProtocolError(\n"
            "                ErrorCode.INTERNAL,\n"
            "                f\"unknown error code {obj['code']} from the peer: {message}\",\n"
            "            )\n",
        ),
    )
    _module("reference.app").decode_message = messages.decode_message


# -- lens 6: the MUST's later clauses --------------------------------------------------------


def _invalid_y_told_apart() -> None:
    hs = _handshake()
    _patch_method(
        hs.ClientHandshake,
        "_on_eke2",
        (
            "        y = crypto.reveal_element(self._pw, b)\n",
            "        try:\n"
            "            y = crypto.reveal_element(self._pw, b)\n"
            "        except AuthenticationFailed:\n"
            "            self._b20b_invalid_y = True  # the wire answer stays auth_failed\n"
            "            raise\n",
        ),
    )
    _patch_method(
        _client().EkeClient,
        "_connect_once",
        (
            "        except AuthenticationFailed:\n"
            "            self.close()\n"
            "            raise LoginFailed() from None\n",
            "        except AuthenticationFailed:\n"
            "            self.close()\n"
            '            if getattr(hs, "_b20b_invalid_y", False):\n'
            "                raise TransferFailed(\n"
            '                    "the server sent an invalid group element: possible attack"\n'
            "                ) from None\n"
            "            raise LoginFailed() from None\n",
        ),
    )


# -- post-blind siblings: other shapes of each class, written after the cases ---------------


def _ansi_strip_loop() -> None:
    client = _client()
    colours = re.compile(r"\x1b\[[0-9;]*m")
    original = client._peer_error

    def _peer_error(code: Any, message: str, retry_after: int | None = None) -> Any:
        while "\x1b" in message:  # colour codes off before the user sees the text
            message = colours.sub("", message)
        return original(code, message, retry_after)

    client._peer_error = _peer_error


def _fatal_eror_acknowledged() -> None:
    client = _client()
    client.encode_message = _messages().encode_message
    _patch_method(
        client.EkeClient,
        "_next",
        (
            "        if isinstance(event, ErrorFrame):\n            if event.fatal:\n",
            "        if isinstance(event, ErrorFrame):\n"
            "            if event.fatal:  # acknowledged, so that the server's log shows it\n"
            "                with contextlib.suppress(OSError, ProtocolError):\n"
            '                    ack = ErrorFrame(event.code, f"received: {event.message}")\n'
            "                    stream.sock.sendall(stream.channel.seal(encode_message(ack)))\n",
        ),
    )


def _invalid_y_wrong_class() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    crypto.RemoteProtocolError = errors.RemoteProtocolError
    _patch_source(
        crypto,
        "pm_decode",
        (
            "    if value in (0, 1, P - 1) or value >= P:\n        raise AuthenticationFailed()\n",
            "    if value in (0, 1, P - 1) or value >= P:\n"
            '        raise RemoteProtocolError(ErrorCode.AUTH_FAILED, "element out of range")\n',
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
        client=True,
        strict=strict,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b20bc-eror-words-regex",
        "ERR-1",
        "test_eke_client_eror_text_verdict.py",
        "L2: a refusal's message shown only if it fullmatches (\\w+\\s?)*: a long word run"
        " before a '!' backtracks exponentially, the refusal is never reported",
        _eror_words_regex,
    ),
    _m(
        "b20bc-unknown-code-echoed",
        "ERR-5",
        "test_eke_client_eror_reply_echo.py",
        "L4: an EROR of an unknown code is answered EROR internal quoting the server's message"
        " whole (up to the 512 cut): the server's text echoed back",
        _unknown_code_echoed,
        strict=True,
    ),
    _m(
        "b20bc-invalid-y-told-apart",
        "EKE-HS-4",
        "test_eke_client_login_failure_report.py",
        "L6: an invalid Y' is answered auth_failed on the wire, but the user is told 'the"
        " server sent an invalid group element', not 'wrong password or unknown user'",
        _invalid_y_told_apart,
    ),
    # post-blind siblings
    _m(
        "b20bc-ansi-strip-loop",
        "ERR-1",
        "test_eke_client_eror_text_verdict.py",
        "(post-blind) colour codes stripped from the server's message in a loop until no ESC is"
        " left: a clear-screen ESC[2J is never removed, the client never reports the EROR",
        _ansi_strip_loop,
    ),
    _m(
        "b20bc-fatal-eror-acknowledged",
        "ERR-5",
        "test_eke_client_eror_reply_echo.py",
        "(post-blind) every fatal EROR is acknowledged with an EROR of its code quoting the"
        " server's message ('received: ...')",
        _fatal_eror_acknowledged,
        strict=True,
    ),
    _m(
        "b20bc-invalid-y-wrong-class",
        "EKE-HS-4",
        "test_eke_client_login_failure_report.py",
        "(post-blind) Y' out of range raised as a RemoteProtocolError(auth_failed), not the"
        " AuthenticationFailed class: the wire says auth_failed, the user 'protocol error"
        " during login'",
        _invalid_y_wrong_class,
    ),
)
