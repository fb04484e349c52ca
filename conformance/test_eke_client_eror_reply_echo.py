"""When an sft-eke/1 CLIENT answers a server's EROR with one of its own, its message quotes
at most 64 characters of the server's (SPEC §2 ERR-5, a SHOULD: NON-STRICT unless run with
--strict).

ERR-5: an EROR message "SHOULD NOT echo attacker-controlled bytes beyond 64 characters".
test_eke_client_eror_echo_bounds.py sends frames the client refuses `bad_frame`; the
server's own EROR is attacker text too, and a client may answer it: ERR-4's "treat as
`internal`" written as a protocol error of the peer ("unknown error code 99 from the peer:
<its message>"), a malformed EROR answered `bad_frame` (ERR-8 allows it) with the payload
quoted. A client that only closes — what ERR-3 asks after a fatal EROR — is not judged
here.

The suite, as a server after an honest login, answers the client's RQFL with an EROR whose
message is 400 random letters that occur nowhere else: code 99 (unknown, ERR-4); slow:
code 11 (`internal`) and an EROR whose `code` is a string (malformed, ERR-8). If the client
sends an EROR back, its message must not hold 65 consecutive characters of those letters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_eror_echo_bounds as bounds
from conformance import test_eke_client_transfer as lies
from conformance.disclosure import attacker_text
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]


def _eror(kind: str, marker: str) -> bytes:
    if kind == "unknown-code":
        return control({"code": 99, "name": "internal", "message": marker})
    if kind == "internal":
        return control({"code": 11, "name": "internal", "message": marker})
    return control({"code": "eleven", "name": "internal", "message": marker})  # malformed


def _answer_with_eror(kind: str, marker: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame("EROR", _eror(kind, marker))
        s.await_reaction()

    return lie


@pytest.mark.req("ERR-5", level="SHOULD")
@pytest.mark.parametrize(
    "kind",
    [
        "unknown-code",
        pytest.param("internal", marks=pytest.mark.slow),
        pytest.param("code-not-integer", marks=pytest.mark.slow),
    ],
)
def test_client_answer_to_eror_does_not_echo_it(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """A server's EROR carrying 400 characters of attacker text: an EROR the client sends
    back quotes at most 64 of them."""
    skip_slow_variant(request)
    marker = attacker_text()
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _answer_with_eror(kind, marker))
    bounds._judge(server.reaction, marker, f"ERR-5: answer to an EROR ({kind})", case.describe())
