"""ERR-6 for an sft-eke/1 CLIENT: the `EROR` it sends when it refuses a server's answer
carries no stack trace or debug dump ("An endpoint MUST NOT answer any input with a stack
trace, a debug dump ...").

The client's refusal of a malformed answer is written in two places: the line its user
reads, and the `EROR` it seals for the server. The user's line is judged by
test_eke_client_answer_member_types.py (no trace on the client's output); the `EROR`'s
message for the lies that reach the JSON schema check — a member missing or of another
JSON type, the path where a parser's exception object is at hand ("the whole story, for
the server's log": `printStackTrace` into a `StringWriter`, `traceback.format_exc()`,
`err.stack`) — is judged nowhere else: test_client_lies.py's provocations (not JSON, excess
data, an unknown type) fail before any member is read.

The suite is the server (it knows the password; test_eke_client_transfer.py's lying
server): an `RSFL`, or a `DONE` after an honest `RSFL` and data, with a member of the wrong
JSON type or missing. Verdict: the client's `EROR`, if it sends one, shows no mark of a
stack trace of any common runtime (test_error_disclosure.py's list). Whether it owes that
`EROR` at all, and the failed get, are the other file's business. The client is launched
from `--client-cmd`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_answer_member_types as members
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_error_disclosure import stack_trace_in
from conformance.wire import ConformanceFailure, ReceivedFrame

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_CASES = [
    pytest.param(
        members._rsfl({"name": lies.NAME, "size": str(lies.SIZE)}), id="rsfl-size-string"
    ),
    pytest.param(
        members._done({"size": lies.SIZE, "sha256": 7}), id="done-sha256-number"
    ),
    pytest.param(
        members._rsfl({"size": lies.SIZE}), id="rsfl-name-missing", marks=pytest.mark.slow
    ),
]


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize("lie", _CASES)
def test_client_eror_for_a_malformed_answer_carries_no_stack_trace(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    request: pytest.FixtureRequest,
) -> None:
    """The server's answer has a member of the wrong type or missing: the EROR the client
    sends for it (if any) has a message for people, no stack trace."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    reaction = server.reaction
    if not isinstance(reaction, ReceivedFrame) or reaction.type != b"EROR":
        return  # no EROR to judge
    message = (reaction.json() or {}).get("message")
    trace = stack_trace_in(message) if isinstance(message, str) else None
    if trace is not None:
        failure = ConformanceFailure.evidence(
            f"ERR-6: the client's EROR for a malformed answer ({request.node.callspec.id})",
            "a message for people: no stack trace or debug dump",
            f"its message carries a stack trace ({trace}); the EROR: {reaction.describe(300)}",
            note=case.describe(),
        )
        failure.violates = ("ERR-6",)
        raise failure
