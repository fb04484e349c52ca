"""Lead, round 26: a frame cut by the end of the stream AFTER a whole JSON object, per
control frame a receiver acts on (SPEC FRM-7), over sft-pki/1.

The class (a foreign pass, report_pki2.md): a reader whose "read exactly n bytes" returns
short at the end of the stream, so a control frame whose header announces its JSON plus
trailing white space (valid JSON, RFC 8259), cut after the JSON, parses and is acted on.
The cases that cut inside the JSON never see it (the parse fails anyway). Each mutant has
that reader on ONE path of the reference's application core (reference/app.py
`ApplicationConnection._next_event`: the payload that arrived taken as the frame when the
stream has ended), so each frame of the enumeration is proven caught on its own:

Responder (test_app_cut_after_whole_json_frames.py):
- lead26-cut-resp-rqfl: an RQFL cut after its JSON is served (RSFL, DATA, DONE sent).
- lead26-cut-resp-putf: a PUTF cut after its JSON is accepted (RSFL {accept}, a
  temporary created).
- lead26-cut-resp-bye: a BYE_ cut after its `{}` is answered BYE_.
- lead26-cut-resp-done: a put's DONE cut after its JSON stores the file (B196's
  foreign pass found it in pki2 first).
Initiator (test_client_cut_after_whole_json_frames.py, via the target's client commands):
- lead26-cut-ini-get-done: a get's DONE cut after its JSON: the file is kept, exit 0
  (B196 found it in pki2's initiator first).
- lead26-cut-ini-put-accept: a put's RSFL {accept} cut after its JSON: DATA and DONE sent.
- lead26-cut-ini-put-receipt: a put's DONE receipt cut after its JSON: exit 0.

Not planted, because nothing observable follows. A get's RSFL taken as complete still
needs DATA and a DONE, so the get fails at the next read. An EROR, at either side, ends
the request or the connection, and so does the end of the stream. Over sft-eke/1 the class
has no application-frame path: a record is authenticated whole, so an EOF inside it is a
truncated record (EKE-REC-4), and a record whose inner frame announces more than the
record holds is EKE-REC-1 (test_eke_records.py, length-over-by-1/16). The clear handshake
frames are b25eke-eof-short-frame-parsed (EKE1, test_eke_handshake_frame_edges.py, which
also cuts the account's EKE3) and b25bclient-frm7-hs-eof-payload (EKE2,
test_eke_client_login_cuts.py).
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

_CUT = "        if len(buf) < length:\n            return self._starved()\n"


def _short_read_at_eof(condition: str) -> None:
    """At the end of the stream, a control frame of `condition` (an expression over
    `frame_type` and `self`) whose payload came short is parsed from what came."""
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            _CUT,
            "        if len(buf) < length:\n"
            f"            if not (self._eof and buf and {condition}):\n"
            "                return self._starved()\n"
            "            length = len(buf)\n",
        ),
    )


def _resp_rqfl() -> None:
    _short_read_at_eof('self.role is RESPONDER and frame_type == b"RQFL"')


def _resp_putf() -> None:
    _short_read_at_eof('self.role is RESPONDER and frame_type == b"PUTF"')


def _resp_bye() -> None:
    _short_read_at_eof('self.role is RESPONDER and frame_type == b"BYE_"')


def _resp_done() -> None:
    _short_read_at_eof('self.role is RESPONDER and frame_type == b"DONE"')


def _ini_get_done() -> None:
    _short_read_at_eof(
        'self.role is INITIATOR and frame_type == b"DONE" and self.state is not I.DONE_SENT'
    )


def _ini_put_accept() -> None:
    _short_read_at_eof('frame_type == b"RSFL" and self.state is I.PUT_SENT')


def _ini_put_receipt() -> None:
    _short_read_at_eof('frame_type == b"DONE" and self.state is I.DONE_SENT')


_RESP = "test_app_cut_after_whole_json_frames.py"
_INI = "test_client_cut_after_whole_json_frames.py"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead26-cut-resp-rqfl",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_RESP,
        description="the responder's reader returns short at EOF for an RQFL: an RQFL whose "
        "header announces white space after its JSON, cut after the JSON, is served",
        apply=_resp_rqfl,
    ),
    Mutant(
        name="lead26-cut-resp-putf",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_RESP,
        description="the responder's reader returns short at EOF for a PUTF: a PUTF cut after "
        "its JSON is accepted (RSFL {accept}, a temporary begun)",
        apply=_resp_putf,
    ),
    Mutant(
        name="lead26-cut-resp-bye",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_RESP,
        description="the responder's reader returns short at EOF for a BYE_: a BYE_ whose "
        "header announces white space after `{}`, cut after it, is answered BYE_",
        apply=_resp_bye,
    ),
    Mutant(
        name="lead26-cut-resp-done",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_RESP,
        description="the responder's reader returns short at EOF for a DONE: a complete put "
        "whose DONE is cut after its JSON is stored",
        apply=_resp_done,
    ),
    Mutant(
        name="lead26-cut-ini-get-done",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_INI,
        description="the initiator's reader returns short at EOF for a get's DONE: every "
        "byte, then a DONE cut after its JSON, and the file is kept (exit 0)",
        apply=_ini_get_done,
        client=True,
    ),
    Mutant(
        name="lead26-cut-ini-put-accept",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_INI,
        description="the initiator's reader returns short at EOF for a put's RSFL: an "
        "RSFL {accept} cut after its JSON is taken, and DATA and DONE are sent",
        apply=_ini_put_accept,
        client=True,
    ),
    Mutant(
        name="lead26-cut-ini-put-receipt",
        group="lead26-cut",
        profile="pki",
        requirement="FRM-7",
        test_file=_INI,
        description="the initiator's reader returns short at EOF for a put's DONE receipt: "
        "a receipt cut after its JSON is taken, and the put is reported stored (exit 0)",
        apply=_ini_put_receipt,
        client=True,
    ),
)
