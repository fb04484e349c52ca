"""sft-pki/1 INITIATOR: an EROR message of 512 characters is a conforming EROR, whatever
the bytes of its characters (docs/SPEC.md ERR-1).

ERR-1: an EROR carries "`message` (human-readable, at most 512 characters)" and "a
receiver MUST act on `code` only; `name` and `message` are for people". A receiver that
also polices the message's length must count what ERR-1 counts: characters (code points).
Counted in UTF-8 bytes (Go's `len`, C's `strlen`), in UTF-16 code units (Java's and
JavaScript's `length`), or with `>=` at the limit, a conforming EROR is judged malformed:
the client answers `bad_frame` to a responder that did nothing wrong, or reads its code
as something else.

The suite's responder answers the client's get with a non-fatal `EROR not_found` whose
message is exactly 512 characters: four-byte characters (2048 UTF-8 bytes, 1024 UTF-16
units; the default run: one message catches the three miscounts), and in the slow run
ASCII (the boundary itself) and two-byte characters. The client MUST fail the get as
refused (non-zero exit, nothing kept) and MUST NOT answer with an EROR of its own (it
MAY say BYE_, which the suite echoes, and close).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_MESSAGES = {
    "512-four-byte": "\U0001f642" * 512,
    "512-ascii": "n" * 512,
    "512-two-byte": "\u00e9" * 512,
}


@pytest.mark.req("ERR-1")
@pytest.mark.parametrize(
    "message",
    [
        "512-four-byte",
        pytest.param("512-ascii", marks=pytest.mark.slow),
        pytest.param("512-two-byte", marks=pytest.mark.slow),
    ],
)
def test_initiator_acts_on_the_code_of_an_eror_with_a_512_character_message(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, message: str
) -> None:
    text = _MESSAGES[message]
    assert len(text) == 512
    payload = control({"code": 6, "name": "not_found", "message": text})

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", payload)
        r.await_reaction()  # BYE_ is echoed; the reaction is what follows it

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    what = (
        f"ERR-1: the responder answers the RQFL with EROR not_found whose message is 512 "
        f"characters ({message}: {len(text.encode())} UTF-8 bytes, "
        f"{len(text.encode('utf-16-le')) // 2} UTF-16 units), a conforming EROR"
    )
    pki_lies._judge_failed_get(got, what, None, ("ERR-1",))
    reaction = got.responder.reaction
    if isinstance(reaction, ReceivedFrame) and reaction.type == b"EROR":
        failure = ConformanceFailure.evidence(
            what,
            "the client takes the refusal (acts on `code`, 6) and sends no EROR of its own",
            f"it answered {reaction.describe(120)}",
            "a message length counted in bytes or UTF-16 units, or with >= at 512, judges a "
            "conforming EROR malformed",
        )
        failure.violates = ("ERR-1",)
        raise failure
