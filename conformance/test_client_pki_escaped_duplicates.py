"""sft-pki/1 INITIATOR: a member named twice is a duplicate however its name is spelt, and
a duplicated EROR `code` is a malformed EROR (docs/SPEC.md FRM-9, ERR-8).

FRM-9: a control payload "that has a duplicate key at any level" MUST be answered
`bad_frame` (fatal). A key is a JSON string: `"size"` and `"s\\u0069ze"` are the same key
(RFC 8259 §7, §8.3: names are compared after their escapes are decoded). A receiver that
looks for duplicates on the raw text of its tokenizer (a hand-written C or Java scanner,
a streaming parser that compares token bytes) sees two different keys; its object then
keeps one of the two values, the first or the last, and a lying responder chooses which
one a reader of the other kind would not take.

The suite's responder answers the client's get with:

- [FRM-9] an RSFL whose `size` or `sha256` is given twice, once plain and once with a
  `\\u` escape in its name, in both orders, the values such that a reader keeping the
  first (or the last) value takes a right get; then the file and a right DONE. The client
  MUST answer `bad_frame` and keep nothing;
- [FRM-9] a right RSFL and file, then a DONE whose `sha256` is given so. The client MUST
  fail the get (`bad_frame`; `integrity_failed` too, for a DONE, FRM-16) and keep nothing;
- [ERR-8] in place of the RSFL, an EROR whose `code` is given twice, 6 (`not_found`, non-
  fatal) and 11 (`internal`), plain or escaped, in both orders. Malformed (FRM-9), it still
  ends the connection: the client fails the get and closes within PROMPT_CLOSE seconds
  while the suite sends nothing more. A client that keeps the first (or the last) `code`
  reads one of them as a refusal it can continue from: it says BYE_ and waits.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.test_client_fatal_errors import Ending, _watch
from conformance.wire import ConformanceFailure, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_N = pki_lies.NAME
_S = pki_lies.SIZE
_D = pki_lies.DIGEST
_W = pki_lies.WRONG

# Written by hand: each holds one member twice, one spelling with a \u escape.
_RSFLS: dict[str, bytes] = {
    "size-escaped-last": f'{{"name":"{_N}","size":1,"s\\u0069ze":{_S}}}'.encode(),
    "size-escaped-first": f'{{"name":"{_N}","s\\u0069ze":{_S},"size":1}}'.encode(),
    "sha256-escaped-last": (
        f'{{"name":"{_N}","size":{_S},"sha256":"{_W}","sh\\u0061256":"{_D}"}}'.encode()
    ),
    "sha256-escaped-first": (
        f'{{"name":"{_N}","size":{_S},"sh\\u0061256":"{_D}","sha256":"{_W}"}}'.encode()
    ),
}
_SHA_ESCAPED = "sha\\u0032\\u00356"  # "sha256" once decoded
_DONES: dict[str, bytes] = {
    "done-sha256-escaped-last": (
        f'{{"size":{_S},"sha256":"{_W}","{_SHA_ESCAPED}":"{_D}"}}'.encode()
    ),
    "done-sha256-escaped-first": (
        f'{{"size":{_S},"{_SHA_ESCAPED}":"{_D}","sha256":"{_W}"}}'.encode()
    ),
}


def _rsfl_lie(payload: bytes) -> pki_lies.Lie:
    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("RSFL", payload)
        r.data(pki_lies.CONTENT)
        r.done()
        r.await_reaction()

    return lie


def _done_lie(payload: bytes) -> pki_lies.Lie:
    def lie(r: pki_lies.LyingResponder) -> None:
        r.rsfl()
        r.data(pki_lies.CONTENT)
        r.frame("DONE", payload)
        r.await_reaction()

    return lie


# Default run: the escaped `size` in both orders (a reader keeping the first value and one
# keeping the last are each caught by one) and the plain duplicated code whose first value
# is non-fatal; the others in the slow run.
_DEFAULT = ("size-escaped-first", "size-escaped-last", "code-6-then-11")


def _params(names: list[str]) -> list[object]:
    return [n if n in _DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in names]


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize("variant", _params(sorted(_RSFLS) + sorted(_DONES)))
def test_initiator_refuses_a_member_named_twice_with_an_escape(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    in_done = variant in _DONES
    payload = _DONES[variant] if in_done else _RSFLS[variant]
    lie = _done_lie(payload) if in_done else _rsfl_lie(payload)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    frame = "DONE" if in_done else "RSFL"
    what = (
        f"FRM-9: the get's {frame} payload is {payload.decode()} ({variant}): one member "
        "twice, once spelt with a \\u escape (the same key once decoded); every other "
        "frame right"
    )
    owed = "bad_frame|integrity_failed" if in_done else "bad_frame"
    pki_lies._judge_failed_get(got, what, owed, ("FRM-9",))


_ERORS: dict[str, bytes] = {
    "code-6-then-11": b'{"code":6,"name":"not_found","message":"suite: twice","code":11}',
    "code-11-then-6": b'{"code":11,"name":"internal","message":"suite: twice","code":6}',
    "code-11-then-escaped-6": (
        b'{"code":11,"name":"internal","message":"suite: twice","c\\u006fde":6}'
    ),
    "escaped-6-then-11": (
        b'{"c\\u006fde":6,"name":"not_found","message":"suite: twice","code":11}'
    ),
}


@pytest.mark.req("ERR-8", "FRM-9")
@pytest.mark.parametrize("variant", _params(sorted(_ERORS)))
def test_initiator_ends_the_connection_on_an_eror_with_two_codes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    payload = _ERORS[variant]
    box: dict[str, Ending] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", payload)
        box["ending"] = _watch(lambda left: r.channel.recv_frame(deadline_after(left)))
        r.ended = True

    what = f"ERR-8: in place of the RSFL, the EROR {payload.decode()} ({variant})"
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, what, None, ("ERR-8",))
    ending = box["ending"]
    if not ending.closed:
        sent = f" after sending {', '.join(ending.frames)}" if ending.frames else ""
        failure = ConformanceFailure.evidence(
            what,
            f"the client closes within {PROMPT_CLOSE:g} s while the suite sends nothing: a "
            "malformed EROR (a duplicate key, FRM-9) still ends the connection",
            f"the connection was still open {PROMPT_CLOSE:g} s later{sent}",
            "a client that keeps one of the two codes read a non-fatal refusal and stayed",
        )
        failure.violates = ("ERR-8",)
        raise failure
