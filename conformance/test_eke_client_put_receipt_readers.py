"""The end of an sft-eke/1 CLIENT's put, read by a second parser: the acceptance's `accept`
read as text, the receipt `DONE` read leniently, the `BYE_` sent ahead of the receipt
(SPEC APP-PUT-9, FRM-11, FRM-12, APP-PUT-10, APP-BYE-1).

A client has two readers of `RSFL` and of `DONE`: the get's, exercised by every case,
and the put's, written later ("the receipt only has to match what I sent"). Three ways
the put's reader is looser than the SPEC:

- APP-PUT-9: "an `RSFL` whose `accept` is missing or not `true` ... is malformed". A
  reader that takes the member's text (Jackson's `asText()` then `parseBoolean`, a
  JavaScript `String(v) === "true"`, a C `strcasecmp`) takes the string `"true"` for
  `true` and sends DATA. (test_client_put.py has this shape as a `slow` variant only.)
- FRM-11 / FRM-12: the receipt's `size` written `N.0` (a JavaScript number: `N.0 == N`),
  its `sha256` in upper case (compared case-insensitively): malformed, `bad_frame`, and
  the put MUST NOT be reported stored (APP-PUT-10: no `DONE` answered it).
- APP-BYE-1: "`BYE_` during a transfer is `unexpected_frame`" and BYE_ "is sent only
  between transfers" (APP-BYE-2). A client that saves a round trip by sealing `BYE_`
  right behind its `DONE` sends it while the put still awaits its receipt. The suite
  waits a second before its receipt and records what comes meanwhile: nothing may.

The suite plays the responder of `client_put_cmd` (embedded run: `sft eke put`). Every
wait is bounded (a few seconds, a bounded number of frames).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ReceivedFrame, TimedOut, control, deadline_after

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_PAUSE = 1.0  # the receipt comes this long after the client's DONE
_SIZE = 3000


def _serve(
    receipt: Callable[[int, str], bytes], between: list[ReceivedFrame], rsfl: bytes | None = None
) -> puts.Serve:
    """Accepts the put (or answers `rsfl`), reads its DATA and DONE, records what comes
    during _PAUSE seconds into `between`, then sends `receipt(size, sha256)` raw."""

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        acceptance = rsfl if rsfl is not None else control({"accept": True, "name": offered})
        channel.send_frame("RSFL", acceptance)
        seen.answered = f"RSFL {acceptance.decode('utf-8', 'replace')}"
        if rsfl is not None:
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
            return
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        end = deadline_after(_PAUSE)
        for _ in range(puts.MAX_FRAMES):  # bounded; a BYE_ here is not answered
            event = channel.recv_frame(end)
            if not isinstance(event, ReceivedFrame):
                if not isinstance(event, TimedOut):
                    seen.ended = event.describe()
                    return
                break
            between.append(event)
        payload = receipt(*got)
        channel.send_frame("DONE", payload)
        seen.answered += f"; after {_PAUSE:g} s DONE {payload[:120].decode('utf-8', 'replace')}"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


def _honest(size: int, digest: str) -> bytes:
    return control({"size": size, "sha256": digest})


@pytest.mark.req("APP-BYE-1", "APP-BYE-2")
def test_client_put_sends_nothing_while_its_receipt_is_owed(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest put whose receipt DONE comes 1 s after the client's DONE: meanwhile the
    client sends nothing (no BYE_: the put is still in progress), and the put succeeds."""
    between: list[ReceivedFrame] = []
    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(), puts._content(_SIZE),
        serve=_serve(_honest, between),
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    byes = [f for f in between if f.type == b"BYE_"]
    if byes:
        problems.append(
            (
                "APP-BYE-1",
                f"sent {[f.describe(40) for f in between][:4]} after its DONE, before the "
                "responder's receipt: BYE_ during a transfer (sent only between transfers, "
                "APP-BYE-2) — a round trip saved by sealing BYE_ behind DONE",
            )
        )
    if not put.run.succeeded and not byes:
        problems.append(
            (
                "APP-PUT-10",
                f"an honest put answered after {_PAUSE:g} s failed: {put.run.describe()}",
            )
        )
    puts._fail(put, problems, f"a put whose receipt comes {_PAUSE:g} s after its DONE")


def _size_written(suffix: str) -> Callable[[int, str], bytes]:
    def build(size: int, digest: str) -> bytes:
        return f'{{"size": {size}{suffix}, "sha256": "{digest}"}}'.encode()

    return build


def _upper_digest(size: int, digest: str) -> bytes:
    return control({"size": size, "sha256": digest.upper()})


_RECEIPTS: dict[str, tuple[str, Callable[[int, str], bytes]]] = {
    "size-fraction": ("FRM-11", _size_written(".0")),
    "size-exponent": ("FRM-11", _size_written("e0")),
    "sha256-upper": ("FRM-12", _upper_digest),
}
_SLOW_RECEIPTS = frozenset({"size-exponent"})


@pytest.mark.req("FRM-11", "FRM-12", "APP-PUT-10")
@pytest.mark.parametrize(
    "form",
    [pytest.param(f, marks=pytest.mark.slow) if f in _SLOW_RECEIPTS else f for f in _RECEIPTS],
)
def test_client_put_refuses_a_receipt_whose_member_is_malformed(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    request: pytest.FixtureRequest,
    form: str,
) -> None:
    """The receipt DONE repeats the client's size and digest, but {form}: not an integer
    (FRM-11) or not lower-case hex (FRM-12). The client answers EROR bad_frame and reports
    the put failed (APP-PUT-10: no DONE answered its own)."""
    skip_slow_variant(request)
    requirement, build = _RECEIPTS[form]
    between: list[ReceivedFrame] = []
    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(), puts._content(_SIZE),
        serve=_serve(build, between),
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    if "DONE" not in put.seen.answered:
        puts._fail(put, problems, f"a put whose receipt is malformed ({form})")
        return  # the client never sent its DONE: judged by test_client_put.py
    sample = build(_SIZE, hashlib.sha256(put.content).hexdigest())[:90].decode()
    if put.run.succeeded:
        problems.append(
            (
                requirement,
                f"the receipt {sample} is malformed, yet the client "
                f"{put.run.success_evidence()} (a put reader looser than the get's)",
            )
        )
        problems.append(("APP-PUT-10", "no well-formed DONE answered the client's DONE"))
    errors = [f for f in put.seen.after if f.type == b"EROR"]
    if not any(f.error_code == 1 for f in errors):
        problems.append(
            (
                requirement,
                f"no EROR bad_frame (code 1) for the receipt {sample}; the client sent "
                f"{[f.describe(60) for f in put.seen.after] or 'nothing'}",
            )
        )
    puts._fail(put, problems, f"a put whose receipt is malformed ({form})")


@pytest.mark.req("APP-PUT-9")
def test_client_put_takes_the_text_true_as_no_acceptance(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """PUTF answered RSFL {"accept": "true", name}: a string, not `true` — malformed for
    that state. No DATA or DONE, EROR bad_frame, and the put fails."""
    between: list[ReceivedFrame] = []
    content = puts._content(_SIZE)
    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(), content,
        serve=_serve(_honest, between, rsfl=b'{"accept": "true", "name": "x.bin"}'),
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    sent = puts._data_bytes(put.seen.after)
    if sent:
        problems.append(
            (
                "APP-PUT-9",
                f"took {put.seen.answered} as an acceptance (its text read as a boolean): sent "
                f"{len(sent)} DATA/DONE frames",
            )
        )
    errors = [f for f in put.seen.after if f.type == b"EROR"]
    if not sent and not any(f.error_code == 1 for f in errors):
        problems.append(
            (
                "APP-PUT-9",
                f"no EROR bad_frame (code 1) for {put.seen.answered}; the client sent "
                f"{[f.describe(60) for f in errors] or 'no EROR'}",
            )
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-9",
                f"the put was never accepted, yet the client {put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, 'a put answered RSFL {"accept": "true"}')
