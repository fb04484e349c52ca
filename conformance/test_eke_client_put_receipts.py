"""An sft-eke/1 CLIENT's put succeeds on a responder's DONE only — not on a receipt it cannot
decode, and not on a refusal by any code.

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`):

* [FRM-9] the responder accepts, reads the whole file and the client's right DONE, and
  answers with a DONE that lacks `sha256` (a required member): malformed, so not a
  receipt; a client that checks an absent digest as "nothing to compare" reports success.
* [APP-PUT-10] the same, with a DONE whose payload is cut short (not JSON) or whose
  sha256 is not hex: a client that takes "the receipt failed to decode" for "the data went
  out, so it is stored" reports success.
* [APP-PUT-10] the PUTF refused `unsupported` (non-fatal; test_client_put.py runs it only
  as a slow variant for eke): the put failed, whatever the code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 3000

_RECEIPTS: dict[str, tuple[str, Callable[[int, str], Any]]] = {
    # kind: (requirement, the receipt made from the right size and digest)
    "no-sha256": ("FRM-9", lambda size, _digest: {"size": size}),
    "cut-short": (
        "APP-PUT-10",
        lambda size, digest: (
            b'{"size":%d,"sha256":"%s'
            % (
                size,
                digest.encode(),
            )
        ),
    ),
    "sha256-not-hex": ("APP-PUT-10", lambda size, _digest: {"size": size, "sha256": "z" * 64}),
}


def _serve_bad_receipt(kind: str) -> puts.Serve:
    make = _RECEIPTS[kind][1]

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        channel.send_frame("RSFL", puts._accept(offered))
        seen.answered = "RSFL accept"
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        receipt = make(count, digest)
        channel.send_frame("DONE", receipt)
        seen.answered += f"; DONE {receipt!r} (malformed)"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("FRM-9", "APP-PUT-10")
@pytest.mark.parametrize("kind", list(_RECEIPTS))
def test_initiator_put_fails_on_a_receipt_it_cannot_decode(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The responder accepts, reads every byte and the client's DONE, and answers with a
    malformed DONE ([FRM-9] without sha256; cut short; sha256 not hex): that is no receipt,
    so the put is not known to be stored — the client MUST NOT report success
    [APP-PUT-10]."""
    requirement = _RECEIPTS[kind][0]
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=_serve_bad_receipt(kind),
    )
    problems: puts.Problems = []
    if "(malformed)" not in put.seen.answered:
        return  # the client's put never reached its DONE: judged by test_client_put.py
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                requirement,
                f"the responder's answer to its DONE was malformed ({kind}), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put whose receipt DONE is malformed ({kind})")


@pytest.mark.req("APP-PUT-10")
def test_initiator_put_refused_unsupported_fails(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-PUT-10] PUTF answered `EROR unsupported` (non-fatal: puts are disabled here).
    The put failed: non-zero exit, no DATA or DONE for it. A client that reads
    `unsupported` as "nothing to do" exits 0."""
    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(refuse="unsupported"), puts._content(_SIZE)
    )
    problems: puts.Problems = []
    sent = puts._data_bytes(put.seen.after)
    if sent:
        problems.append(
            ("APP-PUT-10", f"after EROR unsupported the client sent {len(sent)} DATA/DONE frames")
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                f"the put was refused with EROR unsupported, yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, "a put refused with EROR unsupported (non-fatal)")
