"""An sft-eke/1 CLIENT's verdict on a refusal follows its `code`, whatever its `message`
says (SPEC §2 ERR-1: "A receiver MUST act on `code` only; `name` and `message` are for
people").

A client shows the server's refusal to its user, and the code that shows it is where the
message's text can change what the client does: a "does it look like words?" check written
with a nested quantifier (`(\\w+\\s?)*`, `^([a-z]+ ?)*$`) backtracks exponentially on a
long run of word characters followed by a character outside the class, a sanitiser that
loops over escape sequences, a message taken apart by a parser. The client then hangs
instead of reporting the refusal, or reports something else.

The suite, as a server after an honest login, answers the client's RQFL with an EROR whose
message is awkward for code that shows it (at most 512 characters, ERR-1): `not_found`
(non-fatal: the get fails, the connection may be ended with BYE_) whose message is a run of
100 word characters followed by "!", and `internal` (fatal) whose message is ANSI escape
sequences around the text (a clear-screen `ESC[2J` among colour codes). Slow: the other
pairings, and an empty message.
The client must report the get failed — a non-zero exit, nothing under the final name, no
temporary — within the run's deadline (5 s after the EROR). ERR-1 is the requirement
judged: the code alone decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import error_payload

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# A word run long enough that an exponential backtracking check never ends (2^100 steps),
# short enough for ERR-1's 512 characters.
_WORD_RUN = "a" * 100 + "!"
_MESSAGES = {
    "word-run": _WORD_RUN,
    "ansi-escapes": "\x1b[2J\x1b[31m" * 20 + "no such file" + "\x1b[0m",
    "empty": "",
}
_CASES = [
    ("not_found", "word-run", False),
    ("internal", "ansi-escapes", False),
    ("internal", "word-run", True),
    ("not_found", "ansi-escapes", True),
    ("not_found", "empty", True),
]


def _refuse(code: str, message: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.frame("EROR", error_payload(code, message))
        s.await_reaction()

    return lie


@pytest.mark.req("ERR-1")
@pytest.mark.parametrize(
    ("code", "text"),
    [
        pytest.param(code, text, marks=[pytest.mark.slow] if slow else [], id=f"{code}-{text}")
        for code, text, slow in _CASES
    ],
)
def test_client_refusal_verdict_ignores_the_message(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    code: str,
    text: str,
    request: pytest.FixtureRequest,
) -> None:
    """A get refused with `code` and an awkward message: the client reports the failure
    (non-zero exit, nothing kept) in time, as for any other message."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _refuse(code, _MESSAGES[text]))
    lies._judge_failed_get(
        case,
        f"ERR-1: EROR {code} with a {text} message",
        server=server,
        own=("ERR-1",),
    )
