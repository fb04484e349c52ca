"""An sft-eke/1 CLIENT shows a server message that is valid JSON but not Unicode text (a lone
surrogate) without a stack trace (SPEC ERR-6, FRM-15).

[ERR-6] "An endpoint MUST NOT answer any input with a stack trace": a command-line client's
answer to its user is its output. RFC 8259 lets a JSON string escape a lone surrogate
(`"\\ud800"`): the parse succeeds, and the failure comes where the text meets an encoder —
when the client re-encodes the message to UTF-8 to show it, or writes it to a byte stream
(Python's `str.encode`, Java's strict CharsetEncoder, Rust's `String` conversion). FRM-15
reads such a string two ways (bad_frame or, for a name, forbidden); a crash is neither.
The suite answers every `EKE1` with an `EROR` whose `message` holds a lone high surrogate,
a lone low surrogate, or a reversed pair, under a fatal code (`internal`) and a non-fatal
one (`forbidden`, out of place in the login: the client must still end). The client must
fail the get (non-zero exit, no file) and its stdout and stderr hold no stack trace. Every
wait is bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_eke_client_throttled_answers import _check_every_eke1_answered
from conformance.wire import error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "surrogate.bin"


def _eror(code: str, message: str) -> bytes:
    obj = json.loads(error_payload(code, "suite"))
    obj["message"] = message
    return json.dumps(obj, ensure_ascii=True).encode()  # the surrogates as \\u escapes


_ANSWERS: dict[str, bytes] = {
    "internal-high": _eror("internal", "suite: broken \ud800 here"),
    "internal-reversed": _eror("internal", "suite: \udc00\ud800 reversed"),
    "forbidden-low": _eror("forbidden", "suite: lone \udfff low"),
}


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize("kind", list(_ANSWERS))
def test_client_shows_a_surrogate_message_without_a_stack_trace(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """Every EKE1 is answered EROR ({kind}) whose message holds a lone surrogate. The get
    fails, and the client's output holds no stack trace."""
    _check_every_eke1_answered(
        eke_target,
        tmp_path,
        transcripts,
        _ANSWERS[kind],
        name=_NAME,
        why=" (the message re-encoded to UTF-8 before it is shown?)",
    )
