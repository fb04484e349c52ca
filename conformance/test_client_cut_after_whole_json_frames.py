"""Every control frame an sft-pki/1 INITIATOR acts on, cut by the end of the stream AFTER a
whole JSON object (SPEC FRM-7: "A connection that ends (EOF) inside a frame ... MUST be
treated as a failed connection, never as a complete frame; any transfer in progress
fails").

The suite's responder sends one frame whose header announces its JSON object followed by
white space, a valid payload (RFC 8259 allows white space around a value). It sends the
object and not the white space, then ends its sending side: a TLS close_notify, or a bare
TCP FIN. What arrived parses. A reader whose "read exactly n bytes" returns short at the
end of the stream therefore acts on a frame that never came. Cases that cut inside the JSON
(test_pki_initiator_transfer.py, test_pki_client_put_receipt_cut.py) do not see this,
because the parse fails anyway. The frames and what acting on them shows, through the
target's client commands:

- a get's `DONE`, after every byte of the file: the file kept, exit 0 [FRM-7, APP-GET-5]
  (the judgement is test_pki_initiator_transfer.py's: non-zero exit, no file, no
  temporary).
- a put's `RSFL {accept}`: DATA or DONE sent after it [FRM-7, APP-PUT-1], or exit 0
  [APP-PUT-10]. The suite keeps reading after its cut.
- a put's `DONE` receipt, after the client's whole put: exit 0 [FRM-7, APP-PUT-10].

Not judged, because nothing observable follows:
- a get's `RSFL` taken as complete still needs DATA and a DONE, so the get fails at the
  next read;
- an `EROR` refusal fails the request, exactly as the end of the stream does (no exit
  status tells them apart).
Over sft-eke/1 the frames travel in authenticated records (EKE-REC-1, EKE-REC-4), and the
clear login frames are test_eke_client_login_cuts.py's.
Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.pki_channel import end_sending
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_put_receipt_retry import _until_done
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
from conformance.test_pki_initiator_transfer import (
    CONTENT,
    DIGEST,
    SIZE,
    Lie,
    LyingResponder,
    _judge_failed_get,
    _run_lie,
)
from conformance.wire import ConformanceFailure, control, header_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

PUT_SIZE = 20_000
# How long the suite reads after its cut frame: a client that takes it sends at once; one
# that sees the failed connection closes, which ends the watch early.
_WATCH = 2.0

# (white space announced after the JSON, how the suite's responder ends its sending side)
_CUTS = [
    pytest.param(1, "close_notify", id="1-space-close-notify"),
    # The same reader as 1 space (slow: each case runs the client once).
    pytest.param(64, "close_notify", id="64-spaces-close-notify", marks=pytest.mark.slow),
    pytest.param(1, "fin", id="1-space-tcp-fin"),
]


def _cut(frame_type: str, body: bytes, padding: int) -> bytes:
    """The header announces `body` plus `padding` spaces; only `body` follows."""
    return header_bytes(frame_type, len(body) + padding) + body


def _end_sending(channel: Channel, how: str) -> None:
    sock = getattr(channel, "sock", None)
    if not isinstance(sock, ssl.SSLSocket):
        raise RuntimeError("harness: the sft-pki/1 channel has no TLS socket to half-close")
    end_sending(sock, how)


def _what(frame: str, padding: int, how: str) -> str:
    return (
        f"{frame} whose header announced {padding} byte(s) of white space after its JSON; "
        f"the responder's stream ended ({how}) after the JSON"
    )


# -- a get's DONE ----------------------------------------------------------------------------


def _get_done_cut(padding: int, how: str) -> Lie:
    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT)
        r.channel.send_raw(_cut("DONE", control({"size": SIZE, "sha256": DIGEST}), padding))
        if how == "fin":
            r.tcp_fin()
        else:
            r.close_notify()

    return lie


@pytest.mark.req("FRM-7", "APP-GET-5")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_get_done_cut_after_its_json_fails_the_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, padding: int, how: str
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _get_done_cut(padding, how))
    _judge_failed_get(
        got,
        _what("a get's DONE", padding, how) + " (every byte of the file came before it)",
        None,
        ("FRM-7", "APP-GET-5"),
    )


# -- a put's RSFL {accept} -------------------------------------------------------------------


def _putf(channel: Channel, seen: PutSeen) -> bool:
    first = _next(channel, seen, READ_TIMEOUT)
    if first is None or first.type != b"PUTF":
        seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
        return False
    seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
    seen.putf = first.json()
    return True


@pytest.mark.req("FRM-7", "APP-PUT-1", "APP-PUT-10")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_put_acceptance_cut_after_its_json_sends_nothing(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, padding: int, how: str
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    state = {"cut": False}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        if not _putf(channel, seen):
            return
        channel.send_raw(_cut("RSFL", _accept(str((seen.putf or {}).get("name", name))), padding))
        _end_sending(channel, how)
        state["cut"] = True
        seen.answered = f"an RSFL {{accept}} cut after its JSON ({padding} announced), {how}"
        _drain(channel, seen, seen.sending, _WATCH)

    put = _run_put(target, tmp_path, transcripts, Answer(), _content(PUT_SIZE), serve=serve)
    if not state["cut"]:
        raise RuntimeError(f"harness: the client sent no PUTF: {put.describe()}")
    sent = sorted({f.type_text for f in put.seen.sending if f.type in (b"DATA", b"DONE")})
    problems = []
    if sent:
        problems.append(f"it sent {', '.join(sent)} after the cut acceptance")
    if put.run.succeeded:
        problems.append("exit 0 (reported stored)")
    if problems:
        failure = ConformanceFailure.evidence(
            "FRM-7: " + _what("a put's RSFL {accept}", padding, how),
            "the put fails (non-zero exit) and no DATA or DONE is sent: a frame cut by the "
            "end of the stream is no frame, so no acceptance came (APP-PUT-1)",
            "; ".join(problems),
            note=put.describe(),
        )
        failure.violates = ("FRM-7", "APP-PUT-1") if sent else ("FRM-7", "APP-PUT-10")
        raise failure


# -- a put's DONE receipt --------------------------------------------------------------------


@pytest.mark.req("FRM-7", "APP-PUT-10")
@pytest.mark.parametrize(("padding", "how"), _CUTS)
def test_put_receipt_cut_after_its_json_is_no_success(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, padding: int, how: str
) -> None:
    if target.profile != "pki":
        pytest.skip("an sft-pki/1 initiator case")
    content = _content(PUT_SIZE)
    receipt = control({"size": PUT_SIZE, "sha256": hashlib.sha256(content).hexdigest()})
    state = {"done": False}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        if not _putf(channel, seen):
            return
        channel.send_frame("RSFL", _accept(str((seen.putf or {}).get("name", name))))
        if not _until_done(channel, seen):
            return
        state["done"] = True
        channel.send_raw(_cut("DONE", receipt, padding))
        _end_sending(channel, how)
        seen.answered = f"RSFL {{accept}}; a DONE receipt cut after its JSON, {how}"
        _drain(channel, seen, seen.after, _WATCH)

    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    if not state["done"]:
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    if put.run.succeeded:
        failure = ConformanceFailure.evidence(
            "FRM-7: " + _what("the put's DONE receipt", padding, how)
            + f" (the client had sent its whole put of {PUT_SIZE} bytes)",
            "the put reported failed (non-zero exit): a frame cut by the end of the stream "
            "is no frame, so no receipt came",
            "exit 0 (reported stored)",
            note=put.describe(),
        )
        failure.violates = ("FRM-7", "APP-PUT-10")
        raise failure
