"""FRM-2, FRM-3, FRM-5 and FRM-8 at an sft-pki/1 INITIATOR while it waits on its PUT:
the answer to PUTF and the receipt DONE (docs/SPEC.md §1, §3.4).

The frame rules hold for every frame a receiver reads, "whatever its type and the state
it comes in" (FRM-8), not only on a get. The put has two waits of its own, where the
initiator expects a small, known set of frames — the answer to PUTF (RSFL{accept} or an
EROR) and the receipt DONE (DONE or an EROR) — and that is where a reader gets a shortcut
of its own: the header checks skipped "because only DONE or EROR can come", the length
not judged "because a receipt is small", keep-alives skipped "because a responder reading
its disk may ping" before it answers. The get's cases (test_pki_client_frame_types.py,
test_pki_client_control_limits_mid_get.py, test_pki_client_oversize_close.py) never reach
that code.

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`) and
sends, in place of the answer to PUTF or in place of the receipt, one of:
- a type with one bad byte after good ones (`DON `, `DONe`, `RS\\0L`) [FRM-2]:
  `bad_frame` (its length is small: FRM-16 leaves no other code);
- an undefined type, `NOOP` or `PING` (one with an empty payload) [FRM-5]:
  `unexpected_frame`;
- a header announcing 4 GiB, its payload never sent [FRM-3]: `frame_too_large` at once,
  without waiting for the payload;
- (receipt) a DONE of the right size and digest, padded with white space to 70 000 bytes
  [FRM-8]: `frame_too_large`.
The initiator has `_ANSWER_WITHIN` seconds to answer with that EROR; a silent one gets
the honest rest (the acceptance, or the receipt) so that it ends. Judged: the first frame
the initiator sends after the stray one is an EROR of the code owed; at the receipt, the
put is also not reported stored (the put has no receipt: APP-PUT-10).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_put_receipt_retry import _until_done
from conformance.test_client_put import (
    READ_TIMEOUT,
    Answer,
    PutSeen,
    _accept,
    _content,
    _next,
    _run_put,
)
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 20_000
_ANSWER_WITHIN = 2.0  # how long the initiator has to answer before the honest rest follows
_HUGE = 0xFFFFFFFF  # above any frame limit a target can have (the length field's maximum)


def _huge_header(frame_type: bytes) -> bytes:
    return struct.pack("!4sI", frame_type, _HUGE)


def _padded_done(size: int, digest: str) -> bytes:
    body = control({"size": size, "sha256": digest})
    return frame_bytes("DONE", body + b" " * (70_000 - len(body)))


_BF, _UF, _TL = "bad_frame", "unexpected_frame", "frame_too_large"


def _stray(frame_type: bytes, payload: bytes) -> Callable[[int, str], bytes]:
    def build(size: int, digest: str) -> bytes:
        return frame_bytes(frame_type, payload)

    return build


def _huge(frame_type: bytes) -> Callable[[int, str], bytes]:
    def build(size: int, digest: str) -> bytes:
        return _huge_header(frame_type)

    return build


# name: (requirement, where, wire builder (size, digest) -> bytes, code owed)
_CASES: dict[str, tuple[str, str, Callable[[int, str], bytes], str]] = {
    "answer-nul-third": ("FRM-2", "answer", _stray(b"RS\x00L", b"{}"), _BF),
    "answer-noop": ("FRM-5", "answer", _stray(b"NOOP", b"{}"), _UF),
    "answer-ping-empty": ("FRM-5", "answer", _stray(b"PING", b""), _UF),
    "answer-4gib": ("FRM-3", "answer", _huge(b"RSFL"), _TL),
    "receipt-space-last": ("FRM-2", "receipt", _stray(b"DON ", b"{}"), _BF),
    "receipt-lower-last": ("FRM-2", "receipt", _stray(b"DONe", b"{}"), _BF),
    "receipt-noop": ("FRM-5", "receipt", _stray(b"NOOP", b"{}"), _UF),
    "receipt-4gib": ("FRM-3", "receipt", _huge(b"DONE"), _TL),
    "receipt-over-64k": ("FRM-8", "receipt", _padded_done, _TL),
}


def _reaction(channel: Channel) -> ReceivedFrame | str | None:
    """The initiator's first frame within _ANSWER_WITHIN (None: silent; str: it ended)."""
    end = deadline_after(_ANSWER_WITHIN)
    event = channel.recv_frame(end)
    if isinstance(event, ReceivedFrame):
        return event
    if isinstance(event, TimedOut):
        return None
    return event.describe()


@pytest.mark.parametrize(
    "case", [pytest.param(k, marks=pytest.mark.req(v[0]), id=k) for k, v in _CASES.items()]
)
def test_initiator_judges_frames_while_its_put_waits(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    req, where, build, owed = _CASES[case]
    content = _content(SIZE)
    digest = hashlib.sha256(content).hexdigest()
    wire = build(SIZE, digest)
    state: dict[str, object] = {"sent": False, "reaction": None}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, put_name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf = first.json()
        accept = _accept(str((seen.putf or {}).get("name", put_name)))
        if where == "receipt":
            channel.send_frame("RSFL", accept)
            if not _until_done(channel, seen):
                return
        channel.send_raw(wire)
        state["sent"] = True
        reaction = _reaction(channel)
        state["reaction"] = reaction
        if reaction is None:  # silent: it skipped the frame or waits; the honest rest
            if where == "answer":
                channel.send_frame("RSFL", accept)
                if not _until_done(channel, seen):
                    return
            channel.send_raw(frame_bytes("DONE", control({"size": SIZE, "sha256": digest})))
        seen.answered = f"{case}: {wire[:24]!r}"
        end = deadline_after(2.0)
        for _ in range(8):  # bounded: what the client still sends, then its end
            event = channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame):
                break
            seen.after.append(event)

    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    if not state["sent"]:
        raise RuntimeError(f"harness: the put did not reach the {where}: {put.describe()}")
    reaction = state["reaction"]
    place = "in place of the answer to PUTF" if where == "answer" else "in place of the receipt"
    expected = f"EROR {owed} (fatal) as the initiator's next frame"
    if isinstance(reaction, ReceivedFrame):
        got = f"{reaction.describe(80)}"
        ok = reaction.error_name == owed
    elif reaction is None:
        got = f"no frame within {_ANSWER_WITHIN:g} s (the frame skipped or waited on)"
        ok = False
    else:
        got = f"no EROR: {reaction}"
        ok = False
    if not ok:
        raise ConformanceFailure.evidence(
            f"{req}: the responder sent {wire[:24]!r} (total {len(wire)} bytes) {place}",
            expected,
            got,
            note=put.describe(),
        )
    if where == "receipt" and put.run.succeeded:
        raise ConformanceFailure.evidence(
            f"{req}: the put's receipt was replaced by {wire[:24]!r}; the initiator answered "
            f"{owed}",
            "the put reported failed (non-zero exit): it has no receipt (APP-PUT-10)",
            "exit 0 (reported stored)",
            note=put.describe(),
        )
