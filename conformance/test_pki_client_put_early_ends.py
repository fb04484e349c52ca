"""An sft-pki/1 INITIATOR's put when something ends early: the responder's acceptance cut
by the end of the stream, and the local source cut while the put waits for it (docs/SPEC.md
FRM-7, APP-PUT-1, APP-PUT-10, ERR-6).

FRM-7: "A connection that ends (EOF) inside a frame ... MUST be treated as a failed
connection, never as a complete frame". The receipt cut at EOF is checked elsewhere
(test_pki_client_put_receipt_cut.py); the acceptance is the other frame a sender reads,
and a cut one taken as complete makes it send the file to a responder that never
accepted it (APP-PUT-1: no DATA before the answer). The classic reader that does it:
`while got < length: chunk = read(); if not chunk: break` — it returns the short payload,
which parses when the responder announced more than it sent. So the suite's responder
reads the PUTF, sends an RSFL {accept} whose header announces 1 or 64 bytes more than
its (complete, valid) JSON payload, then ends its TCP sending side (a FIN, no
close_notify: PKI-TLS-6's truncation) and keeps reading for `_WATCH` seconds: the put
MUST fail (non-zero exit) and no DATA or DONE may arrive.

ERR-6: an endpoint MUST NOT answer any input with a stack trace. A put's source that is
cut after PUTF announced its size (the suite truncates it while it holds the answer to
PUTF, then accepts) cannot be sent as announced: APP-PUT-4 allows the put refused or
failed, and APP-PUT-10 wants it reported failed — one line, never a crash (an `assert`
in the send loop, an unchecked short read). The put MUST NOT be reported stored, and the
client's output MUST hold no stack trace of any language.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.pki_channel import end_sending
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _accept,
    _content,
    _drain,
    _next,
    _run_put,
)
from conformance.test_pki_client_transport_faults import _TRACES
from conformance.wire import ConformanceFailure, header_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 50_000
_WATCH = 3.0  # how long the suite reads after its cut acceptance (a sender sends at once)


def _putf(channel: Channel, seen: PutSeen) -> bool:
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
        return False
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    return True


@pytest.mark.req("FRM-7", "APP-PUT-1", "APP-PUT-10")
@pytest.mark.parametrize("how", ["close_notify", "fin"])
@pytest.mark.parametrize("missing", [1, 64])
def test_initiator_takes_no_acceptance_cut_by_the_end_of_the_stream(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, missing: int, how: str
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    state = {"cut": False}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        if not _putf(channel, seen):
            return
        payload = _accept(str((seen.putf or {}).get("name", name)))
        channel.send_raw(header_bytes("RSFL", len(payload) + missing) + payload)
        sock = getattr(channel, "sock", None)
        if sock is None:
            raise RuntimeError("harness: the pki channel has no socket to half-close")
        end_sending(sock, how)
        state["cut"] = True
        seen.answered = f"an RSFL {{accept}} {missing} bytes short of its header, then {how}"
        _drain(channel, seen, seen.sending, _WATCH)

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(SIZE), serve=serve)
    if not state["cut"]:
        raise RuntimeError(f"harness: the client sent no PUTF: {put.describe()}")
    sent = [f.type.decode("ascii", "replace") for f in put.seen.sending if f.type != b"BYE_"]
    problems = []
    if any(kind in ("DATA", "DONE") for kind in sent):
        problems.append(f"it sent {', '.join(sorted(set(sent)))} after the cut acceptance")
    if put.run.succeeded:
        problems.append("exit 0 (reported stored)")
    if problems:
        failure = ConformanceFailure.evidence(
            f"FRM-7: the responder's RSFL {{accept}} announces {missing} bytes more than it "
            f"sends; then the responder's end of the stream ({how})",
            "the put failed (non-zero exit) and no DATA or DONE: a frame cut by the end of "
            "the stream is no frame, and no acceptance came (APP-PUT-1)",
            "; ".join(problems),
            note=put.describe(),
        )
        failure.violates = ("FRM-7",) if sent else ("FRM-7", "APP-PUT-10")
        raise failure


@pytest.mark.req("ERR-6", "APP-PUT-10")
def test_initiator_reports_a_source_cut_during_the_put_without_a_stack_trace(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    state = {"cut": ""}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        if not _putf(channel, seen):
            return
        sources = sorted(tmp_path.glob("src-*/outgoing.bin"))
        if len(sources) != 1:
            raise RuntimeError(f"harness: cannot find the put's source ({sources})")
        with sources[0].open("r+b") as f:  # cut while the client waits for the answer
            f.truncate(SIZE // 3)
        state["cut"] = str(sources[0])
        channel.send_frame("RSFL", _accept(str((seen.putf or {}).get("name", name))))
        seen.answered = f"RSFL {{accept}} once the source was cut to {SIZE // 3} bytes"
        _drain(channel, seen, seen.sending, READ_TIMEOUT)

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(SIZE), serve=serve)
    if not state["cut"]:
        raise RuntimeError(f"harness: the client sent no PUTF: {put.describe()}")
    output = f"{put.run.stdout}\n{put.run.stderr}"
    trace = _TRACES.search(output)
    problems: list[tuple[str, str]] = []
    if trace is not None:
        problems.append(("ERR-6", f"its output holds a stack trace ({trace.group(0)!r})"))
    if put.run.succeeded:
        problems.append(("APP-PUT-10", "exit 0 (reported stored)"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"ERR-6: the put's source ({SIZE} bytes announced in PUTF) cut to {SIZE // 3} "
            "bytes before the responder accepted it",
            "the put reported failed in a line a person reads: non-zero exit, no stack "
            "trace",
            "; ".join(text for _, text in problems),
            note=put.describe(),
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure
