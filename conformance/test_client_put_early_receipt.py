"""An sft-pki/1 INITIATOR as a SENDER takes a DONE that comes before its own for no receipt
and no acceptance (docs/SPEC.md APP-PUT-9, APP-PUT-10).

"An initiator MUST report a put as succeeded (a command-line initiator: exit status 0)
only once the responder has answered its DONE with DONE", and "after its PUTF, an
initiator MUST take only RSFL with "accept": true as an acceptance ... MUST NOT send
DATA". The other put cases answer the PUTF with an EROR, a close, silence or an RSFL
that is no acceptance, and the client's DONE with frames other than DONE
(test_interop_put_receipt_frames.py); here a frame valid only LATER comes early: a DONE
carrying the file's own size and SHA-256 right after the PUTF, before any acceptance (a
responder "that already holds this file"). A de-duplicating client takes it as the put
done and sends nothing; one that reads the receipt without checking what it answers
takes it as the end of a put it never made. The client sent no DONE, so none was
answered: it MUST NOT send DATA and MUST report the put failed (non-zero exit).

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`). The
sft-eke/1 client's twin is in test_eke_client_put_offers.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    AFTER_WAIT,
    READ_TIMEOUT,
    Answer,
    Problems,
    PutSeen,
    _content,
    _data_bytes,
    _drain,
    _fail,
    _next,
    _run_put,
)
from conformance.wire import control

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("client-put"),
]

SIZE = 5000


def _read_putf(channel: Channel, seen: PutSeen) -> str | None:
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
        return None
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    return str((seen.putf or {}).get("name", ""))


@pytest.mark.req("APP-PUT-9", "APP-PUT-10")
def test_initiator_put_takes_an_early_done_for_no_acceptance(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    content = _content(SIZE)
    early = control({"size": SIZE, "sha256": hashlib.sha256(content).hexdigest()})

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        if _read_putf(channel, seen) is None:
            return
        channel.send_frame("DONE", early)
        seen.answered = f"DONE {early.decode()} (the file's own values, in place of RSFL)"
        _drain(channel, seen, seen.sending, AFTER_WAIT)

    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    problems: Problems = []
    sent = _data_bytes(put.seen.sending)
    if sent:
        problems.append(
            (
                "APP-PUT-9",
                f"sent {[f.describe(40) for f in sent[:3]]} after a DONE that is no acceptance",
            )
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                "the responder answered PUTF with a DONE (no acceptance, and no DONE of the "
                f"client's to answer), yet the client {put.run.success_evidence()}",
            )
        )
    _fail(put, problems, "a put whose PUTF was answered by a DONE with the file's own values")
