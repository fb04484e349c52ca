"""An sft-pki/1 INITIATOR's get whose DONE is cut after a whole JSON object (SPEC FRM-7).

The DONE's header announces its JSON object followed by white space (valid JSON: RFC
8259 allows it around a value), and the stream ends — close_notify, or a bare TCP FIN —
once the object, but not the white space, has arrived. What came parses, and every byte
of the file came before it; the frame is still partial, so it is no frame [FRM-7] and
the get fails [APP-GET-5]: an initiator that reads a control payload "up to its length
or the end of the stream" and parses what it got keeps a file no DONE vouched for.
test_pki_initiator_transfer.py cuts its DONE inside the JSON, where such a reader fails
at the parse. The lying responder and the judgement are that file's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.target import Target
from conformance.test_pki_initiator_transfer import (
    CONTENT,
    DIGEST,
    SIZE,
    Lie,
    LyingResponder,
    _judge_failed_get,
    _run_lie,
)
from conformance.wire import control, header_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _done_cut_after_json(padding: int, *, fin: bool) -> Lie:
    """Every byte of the file, then a DONE announcing its JSON and `padding` spaces,
    of which only the JSON is sent, then the end of the stream."""

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT)
        body = control({"size": SIZE, "sha256": DIGEST})
        r.channel.send_raw(header_bytes("DONE", len(body) + padding) + body)
        if fin:
            r.tcp_fin()
        else:
            r.close_notify()

    return lie


@pytest.mark.req("FRM-7", "APP-GET-5")
@pytest.mark.parametrize(
    ("padding", "fin"),
    [(1, False), (64, False), (1, True)],
    ids=["1-space-close-notify", "64-spaces-close-notify", "1-space-tcp-fin"],
)
def test_initiator_fails_a_get_whose_done_is_cut_after_its_json(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    padding: int,
    fin: bool,
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _done_cut_after_json(padding, fin=fin))
    _judge_failed_get(
        got,
        f"a DONE announcing {padding} byte(s) of white space after its JSON, cut after the "
        f"JSON ({'TCP FIN' if fin else 'close_notify'})",
        None,
        ("FRM-7", "APP-GET-5"),
    )
