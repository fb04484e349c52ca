"""Blind red-team round 18, second pass: the sft-eke/1 CLIENT (`sft eke get/put`), helper B97.

Written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke client alone (client.py,
handshake.py, transport.py, crypto.py, app.py, messages.py, frames.py, share.py's
PartialFile, cli/eke.py), before any case file or conformance module was read, through
the round's six lenses. Each mutant is the reference's client with one plausible slip.

Of the first ten, five repeated registered ideas and were replaced, still blind to the
case files, by the ones marked (r): RSFL.sha256 never compared (client-rsfl-sha-ignored,
b4eke-client-rsfl-sha-ignored), the temporary 0666 & ~umask (get-temp-mode-0644), the final
rename replacing (get-rename-replaces-link, b8cli-eke-get-overwrite), `exists` in place of
the receipt DONE taken as success (b1x), the request NFC-normalised (a b9 list). One repeat
is kept as a sibling: the put's DATA before RSFL{accept} is registered for the pki client
only (b6cli-pki-put-data-before-accept); the eke client's put is another code path.

L1 negotiation and versions
  b18b-cli-hex-any-case            the handshake's hex members checked with [0-9a-fA-F]
                                   (bytes.fromhex reads both): an EKE2 whose `b`/`c` is
                                   upper-case hex is taken and the login goes on (FRM-12)
  b18b-cli-eror-acts-on-name       an EROR's code taken from its `name` when the name is a
                                   known one: {"code": 9 busy, "name": "not_found"} is not
                                   retried, {"code": 6, "name": "busy"} is (ERR-1)
L2 round trips and inverses
  b18b-cli-done-size-vs-count      DONE.size compared to the bytes received only, not to
                                   RSFL.size: RSFL {size N}, fewer bytes (0 included) and a
                                   DONE naming those commits a short file (APP-GET-3)
L3 out-of-order and early messages
  b18b-cli-put-data-before-accept  the put sends its first DATA chunk right after PUTF,
                                   without waiting for RSFL{accept} (saves a round trip):
                                   a refused put has sent DATA (APP-PUT-10) [eke twin of b6]
  b18b-cli-eke2-repeat-skipped (r) a second EKE2 while awaiting EKE4 skipped as a
                                   retransmission, not unexpected_frame (EKE-HS-9)
  b18b-cli-bye-ends-get (r)        the server's BYE_ after every announced byte, before
                                   DONE, taken as the get's end: the unverified file is
                                   committed (APP-GET-6; APP-BYE-1 says unexpected_frame)
L5 distinguishers
  b18b-cli-invalid-y-bad-frame     an EKE2 whose B decrypts to an invalid Y' (0, 1, p-1,
                                   >= p) answered EROR bad_frame, not auth_failed: the
                                   client tells "invalid element" from "wrong password"
                                   (EKE-HS-4)
  b18b-cli-impostor-said-wrong-password (r)  a bad EKE4 told to the user as "wrong password
                                   or unknown user" (one failure class for the login),
                                   not "the server failed to prove ... impostor" (EKE-HS-7)
(L4 and L6 ideas all repeated registered ones: temporaries' mode, name and sweep
directory; the rename replacing; `exists` / any DONE as the receipt; RSFL.name used.)
Blind run (each against the file named blind, then every case file citing its
requirement): 1 of 8 detected by the file named blind — put-data-before-accept
(test_eke_client_put_offers.py); 3 more by other existing files: done-size-vs-count
(test_eke_client_transfer.py, fewer-bytes-then-done), invalid-y-bad-frame
(test_eke_client_login_frames.py, invalid-element), impostor-said-wrong-password
(test_eke_client.py, test_client_tells_an_impostor_from_a_wrong_password). Missed by
every file tried: hex-any-case (login_frames, login_edges, confirm_tags),
eke2-repeat-skipped (login_frames, login_rules, test_eke_client.py), bye-ends-get
(get_outcomes, test_client_run_get_lies.py, test_eke_client_transfer.py),
eror-acts-on-name (busy_wraps, test_eke_client_answers.py, test_client_fatal_errors.py;
withdrawn as not observable, below).
After the round's cases all 7 registered mutants are detected:
  test_eke_client_get_stray_ends.py  FRM-6 / APP-BYE-1 / APP-GET-6: BYE_ (RQFL, PUTF slow)
                                   where the get's DONE is owed, alone and with the honest
                                   DONE behind it
  test_eke_client_login_repeats.py EKE-HS-9 EKE2 again while awaiting EKE4 (EKE4 behind it);
                                   FRM-12 EKE2 (EKE4, c only: slow) in upper-case hex
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_OBSERVABLE"]

_GROUP = "blind18b-client"


def _client() -> Any:
    return _module("reference.eke.client")


# -- L1 ------------------------------------------------------------------------------------


def _hex_any_case() -> None:
    frames = _module("reference.frames")
    re = _module("re")
    frames._HEX_RE = re.compile(r"[0-9a-fA-F]*")  # mutant: upper case passes too


def _eror_acts_on_name() -> None:
    errors = _module("reference.errors")
    handshake = _module("reference.eke.handshake")
    messages = _module("reference.messages")

    def _b18b_code(obj: dict[str, Any]) -> Any:
        name = obj.get("name")
        for code in errors.ErrorCode:
            if code.wire_name == name:  # mutant: the name is the readable one
                return code
        return errors.ErrorCode.from_wire(obj["code"])

    handshake._b18b_code = _b18b_code
    messages._b18b_code = _b18b_code
    _patch_source(
        handshake._Handshake, "_on_error", ('ErrorCode.from_wire(obj["code"])', "_b18b_code(obj)")
    )
    _patch_source(
        messages, "decode_message", ('ErrorCode.from_wire(obj["code"])', "_b18b_code(obj)")
    )
    _module("reference.app").decode_message = messages.decode_message


# -- L2 ------------------------------------------------------------------------------------


def _done_size_vs_count() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        ("done.size == self.announced == self.count", "done.size == self.count"),
    )


# -- L3 ------------------------------------------------------------------------------------


def _put_data_before_accept() -> None:
    app = _module("reference.app")
    initiator = app.InitiatorState
    app._SEND_TRANSITIONS[(initiator.PUT_SENT, _module("reference.messages").Data)] = (
        initiator.PUT_SENT
    )
    _patch_source(
        _client().EkeClient,
        "put",
        (
            "answer = self._next(stream)",
            # mutant: the first chunk goes out with the offer
            "early = stream.send_file_chunk(file, size) if size else 0\n"
            "        answer = self._next(stream)",
        ),
        ("sent = 0", "sent = early"),
    )


def _eke2_repeat_skipped() -> None:
    handshake = _module("reference.eke.handshake")
    state = handshake.HandshakeState
    # mutant: a repeated EKE2 is a retransmission, skipped
    handshake._TRANSITIONS[(state.CLIENT_AWAIT_EKE4, handshake.T_EKE2)] = (
        "_b18b_skip",
        state.CLIENT_AWAIT_EKE4,
    )
    handshake.ClientHandshake._b18b_skip = lambda self, obj: None


def _bye_ends_get() -> None:
    app = _module("reference.app")
    initiator = app.InitiatorState
    app._TRANSITIONS[(initiator.RECEIVING, b"BYE_")] = initiator.CLOSED
    _patch_source(
        _client().EkeClient,
        "_receive",
        (
            "            else:\n"
            '                raise TransferFailed("unexpected frame during a get")',
            # mutant: the server said goodbye after the last byte: the file is complete
            "            elif isinstance(event, Bye) and received == answer.size:\n"
            "                partial.commit(overwrite=overwrite)\n"
            "                return Done(received, '0' * 64)\n"
            "            else:\n"
            '                raise TransferFailed("unexpected frame during a get")',
        ),
    )


def _impostor_said_wrong_password() -> None:
    _patch_source(
        _client().EkeClient,
        "_connect_once",
        ("raise ServerImpostor() from None", "raise LoginFailed() from None"),
    )


# -- L5 ------------------------------------------------------------------------------------


def _invalid_y_bad_frame() -> None:
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")

    def _b18b_reveal(pw: bytes, b: bytes) -> int:
        try:
            value: int = crypto.reveal_element(pw, b)
        except errors.AuthenticationFailed:
            # mutant: an invalid element is a malformed EKE2, not a failed login
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "EKE2: invalid element"
            ) from None
        return value

    handshake._b18b_reveal = _b18b_reveal
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke2",
        ("y = crypto.reveal_element(self._pw, b)", "y = _b18b_reveal(self._pw, b)"),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b18b-cli-hex-any-case",
        "FRM-12",
        "test_eke_client_login_repeats.py",
        "L1: the handshake's hex members checked case-insensitively: an EKE2 in upper-case "
        "hex is taken and the login goes on",
        _hex_any_case,
    ),
    _m(
        "b18b-cli-done-size-vs-count",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "L2: DONE.size compared to the bytes received only, not RSFL.size: RSFL {N+1}, N "
        "bytes, DONE {N} commits",
        _done_size_vs_count,
    ),
    _m(
        "b18b-cli-put-data-before-accept",
        "APP-PUT-10",
        "test_eke_client_put_offers.py",
        "L3: the put's first DATA chunk sent right after PUTF, before RSFL{accept}: a "
        "refused put has sent DATA",
        _put_data_before_accept,
    ),
    _m(
        "b18b-cli-invalid-y-bad-frame",
        "EKE-HS-4",
        "test_eke_client_login_frames.py",
        "L5: an EKE2 whose B decrypts to an invalid Y' is answered bad_frame, not auth_failed",
        _invalid_y_bad_frame,
    ),
    _m(
        "b18b-cli-eke2-repeat-skipped",
        "EKE-HS-9",
        "test_eke_client_login_repeats.py",
        "L3: a second EKE2 while awaiting EKE4 skipped as a retransmission, not answered "
        "unexpected_frame: the login completes",
        _eke2_repeat_skipped,
    ),
    _m(
        "b18b-cli-bye-ends-get",
        "APP-GET-6",
        "test_eke_client_get_stray_ends.py",
        "L3: the server's BYE_ after every announced byte, before DONE, ends the get: the "
        "unverified file is committed (exit 0)",
        _bye_ends_get,
    ),
    _m(
        "b18b-cli-impostor-said-wrong-password",
        "EKE-HS-7",
        "test_eke_client.py",
        "L5: a bad EKE4 told to the user as a wrong password, not as a server that failed "
        "to prove it knows the password",
        _impostor_said_wrong_password,
    ),
)
# Not observable through a one-request command-line client (phase 3): whatever the code and
# the name say, the get or put fails; a busy `retry` is a MAY (EKE-THR-7), a BYE_ on the way
# out after a fatal EROR is tolerated (ERR-3 forbids processing frames, not saying BYE_), and
# closing without BYE_ after a non-fatal one is allowed. Kept out of MUTANTS.
NOT_OBSERVABLE: tuple[Mutant, ...] = (
    _m(
        "b18b-cli-eror-acts-on-name",
        "ERR-1",
        "test_eke_client_busy_wraps.py",
        "L1: an EROR's code taken from its name when the name is known: busy named "
        "not_found is not retried, not_found named busy is",
        _eror_acts_on_name,
    ),
)
