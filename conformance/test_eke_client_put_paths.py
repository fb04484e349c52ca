"""An sft-eke/1 CLIENT holds its put's answers to the rules its get's answers meet.

A client reads the answer to its RQFL and the answers to its PUTF and DONE with two
pieces of code; a limit or a check written for the first can be missing from the
second. The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`)
and answers the PUTF (or, after every byte and the client's DONE, the DONE) with:

* [FRM-8] an `RSFL {accept}`, or a receipt `DONE`, above 65 536 bytes but below 65 536
  characters (a padding member of `é` or `€`, ignored by FRM-10): `frame_too_large`; the
  client sends no DATA for an acceptance it refused, and the put fails.
* [EKE-REC-6] in place of the answer, a `RECD` header announcing 2^32 − 1 or 2^31 bytes
  (the body never comes): `EROR frame_too_large` from the header alone, within
  `_ANSWER_WITHIN` seconds — not a wait for 4 GiB.
* [EKE-REC-4] the acceptance, or the receipt, in a record whose tag has one bit flipped:
  it does not authenticate, so it is no acceptance (no DATA) and no receipt (the put is
  not reported stored).

And an error code read with too few bits, on both paths:

* [ERR-4] `EROR` with code 256 + k, 65 536 + k or 2^32 + k (k a non-fatal code: 6
  `not_found` for a get; 12 `exists`, 13 `unsupported` for a put): unknown codes, so
  `internal` (fatal). Compared on the same client with `EROR internal` (11): a client
  that keeps the code in 8, 16 or 32 bits reads a refusal and goes on (a `BYE_` from an
  idle connection, a next request) where after `internal` it sends nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance import test_eke_client_transfer as eke_lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    error_payload,
    frame_bytes,
    header_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 3000
_ANSWER_WITHIN = 3.0
_CONTROL_LIMIT = 65_536

# -- the responder's lies ---------------------------------------------------------------

Send = Callable[[Any, dict[str, object]], None]  # (channel, the honest answer's members)


def _padded(char: str) -> Send:
    def send(channel: Any, obj: dict[str, object]) -> None:
        plain = control({**obj, "pad": ""})
        count = (_CONTROL_LIMIT - len(plain)) // len(char.encode()) + 40
        body = control({**obj, "pad": char * count})
        assert len(body) > _CONTROL_LIMIT and len(body.decode()) <= _CONTROL_LIMIT
        frame_type = "RSFL" if "accept" in obj else "DONE"
        channel.send_raw(frame_bytes(frame_type, body))

    return send


def _header(length: int) -> Send:
    def send(channel: Any, _obj: dict[str, object]) -> None:
        channel.raw.send_raw(header_bytes("RECD", length))  # the body never comes

    return send


def _tag_flipped(channel: Any, obj: dict[str, object]) -> None:
    frame_type = "RSFL" if "accept" in obj else "DONE"
    record = channel.seal(frame_bytes(frame_type, control(obj)))
    channel.raw.send_raw(record[:-1] + bytes([record[-1] ^ 0x01]))


# label: (answered step: "accept" | "receipt", the lie, owed EROR, must it come, requirement)
_LIES: dict[str, tuple[str, Send, str | None, bool, str]] = {
    "accept-over-64kib-of-e-acute": (
        "accept",
        _padded("\u00e9"),
        "frame_too_large",
        False,
        "FRM-8",
    ),
    "accept-over-64kib-of-euro": ("accept", _padded("\u20ac"), "frame_too_large", False, "FRM-8"),
    "receipt-over-64kib-of-e-acute": (
        "receipt",
        _padded("\u00e9"),
        "frame_too_large",
        False,
        "FRM-8",
    ),
    "receipt-over-64kib-of-euro": ("receipt", _padded("\u20ac"), "frame_too_large", False, "FRM-8"),
    "accept-recd-header-4gib": (
        "accept",
        _header(0xFFFFFFFF),
        "frame_too_large",
        True,
        "EKE-REC-6",
    ),
    "accept-recd-header-2gib": ("accept", _header(1 << 31), "frame_too_large", True, "EKE-REC-6"),
    "receipt-recd-header-4gib": (
        "receipt",
        _header(0xFFFFFFFF),
        "frame_too_large",
        True,
        "EKE-REC-6",
    ),
    "accept-record-tag-flipped": ("accept", _tag_flipped, None, False, "EKE-REC-4"),
    "receipt-record-tag-flipped": ("receipt", _tag_flipped, None, False, "EKE-REC-4"),
}


# Variants the default run leaves out (each costs a client run; `-m slow` runs them).
_SLOW = frozenset(
    {
        "accept-over-64kib-of-euro",
        "receipt-over-64kib-of-e-acute",
        "accept-recd-header-2gib",
        "accept-record-tag-flipped",
    }
)


def _serve(label: str, box: dict[str, object]) -> puts.Serve:
    step, send, _owed, _must, _req = _LIES[label]

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        if step == "accept":
            send(channel, {"accept": True, "name": offered})
            seen.answered = f"{label} (in place of RSFL accept)"
        else:
            channel.send_frame("RSFL", puts._accept(offered))
            seen.answered = "RSFL accept"
            got = puts.read_put_data(channel, seen)
            if got is None:
                return
            count, digest = got
            send(channel, {"size": count, "sha256": digest})
            seen.answered += f"; {label} (in place of the receipt DONE)"
        box["lied"] = time.monotonic()
        event = channel.recv_frame(deadline_after(_ANSWER_WITHIN))
        box["after"] = time.monotonic() - float(str(box["lied"]))
        box["answer"] = event
        if isinstance(event, ReceivedFrame):
            seen.after.append(event)
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
        elif not isinstance(event, TimedOut):
            seen.ended = event.describe()

    return serve


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(
            label,
            marks=[pytest.mark.req(requirement), *([pytest.mark.slow] if label in _SLOW else [])],
            id=label,
        )
        for label, (_s, _l, _o, _m, requirement) in _LIES.items()
    ],
)
def test_initiator_put_refuses_an_answer_its_get_would_refuse(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The answer of `label` (module docstring) to the client's PUTF or DONE: no DATA after
    a refused acceptance, the put reported failed, and the EROR the rule names (at once,
    where the rule refuses from the header alone)."""
    skip_slow_variant(request)
    step, _send, owed, must, requirement = _LIES[label]
    box: dict[str, object] = {}
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=_serve(label, box),
    )
    if "lied" not in box:
        if step == "receipt" and not put.seen.sending:
            return  # the client's put never reached its DONE: judged by test_client_put.py
        raise RuntimeError(f"the suite's responder did not get to its lie: {put.describe()}")
    problems: puts.Problems = []
    answer = box.get("answer")
    if step == "accept":
        sent = puts._data_bytes(put.seen.after)
        if sent:
            problems.append((requirement, f"after the lie the client sent {len(sent)} DATA/DONE"))
    if put.run.succeeded or put.run.timed_out:
        problems.append((requirement, f"the client {put.run.success_evidence()}"))
    got = answer if isinstance(answer, ReceivedFrame) else None
    if owed is not None and (got is not None or must):
        if got is None or got.error_name != owed:
            shown = got.describe(80) if got is not None else getattr(answer, "describe", str)()
            waited = float(str(box.get("after", 0.0)))
            problems.append(
                (requirement, f"its answer was {shown} after {waited:.1f} s, not EROR {owed}")
            )
    puts._fail(put, problems, f"{requirement}: the responder answered with {label}")


# -- error codes read with too few bits --------------------------------------------------

_WIDTHS = {"u8": 1 << 8, "u16": 1 << 16, "u32": 1 << 32}
_PUT_CODES = {"exists": 12, "unsupported": 13}
_DEFAULT_WIDTHS = {("u8", "exists"), ("u32", "unsupported")}


def _frames_after_put_eror(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: int, tag: str
) -> tuple[list[str], puts.PutRun]:
    """The suite answers the client's PUTF with EROR `code`, then only listens: what the
    client sends before it closes (bounded by PROMPT_CLOSE seconds and 16 frames)."""
    after: list[str] = []

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or "no PUTF"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        channel.send_frame("EROR", error_payload(code, "suite: error"))
        seen.answered = f"EROR code {code}"
        deadline = time.monotonic() + PROMPT_CLOSE
        while len(after) < 16 and (left := deadline - time.monotonic()) > 0:
            event = channel.recv_frame(deadline_after(left))
            if not isinstance(event, ReceivedFrame):
                break
            after.append(event.describe(60))

    run_dir = tmp_path / tag
    run_dir.mkdir()
    put = puts._run_put(target, run_dir, transcripts, puts.Answer(), puts._content(_SIZE), serve)
    return after, put


_BASELINES: dict[tuple[str, str], list[str]] = {}


@pytest.mark.req("ERR-4")
@pytest.mark.parametrize(
    ("width", "refusal"),
    [
        pytest.param(w, r, marks=[] if (w, r) in _DEFAULT_WIDTHS else [pytest.mark.slow])
        for w in _WIDTHS
        for r in _PUT_CODES
    ],
)
def test_initiator_put_treats_a_wide_unknown_code_like_internal(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    width: str,
    refusal: str,
    request: pytest.FixtureRequest,
) -> None:
    """[ERR-4] PUTF answered with EROR code `2^width + code(refusal)`: an unknown code,
    `internal`. What the client sends after it must be what it sends after EROR internal
    (11) — a client that reads the code modulo 2^width takes it for `refusal`."""
    skip_slow_variant(request)
    key = (str(eke_target.client_put_cmd), "put")
    if key not in _BASELINES:
        _BASELINES[key], _ = _frames_after_put_eror(
            eke_target, tmp_path, transcripts, 11, "internal"
        )
    code = _WIDTHS[width] + _PUT_CODES[refusal]
    after, put = _frames_after_put_eror(eke_target, tmp_path, transcripts, code, "wide")
    problems: puts.Problems = []
    if after and not _BASELINES[key]:
        problems.append(
            (
                "ERR-4",
                f"after EROR internal the client sent nothing; after code {code} "
                f"({width} wrap of {refusal}) it sent {after}",
            )
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(("ERR-4", f"the client {put.run.success_evidence()}"))
    puts._fail(put, problems, f"ERR-4: PUTF answered EROR code {code}, compared with internal")


@pytest.mark.req("ERR-4")
@pytest.mark.parametrize(
    "width", [pytest.param(w, marks=[] if w == "u8" else [pytest.mark.slow]) for w in _WIDTHS]
)
def test_client_get_treats_a_wide_unknown_code_like_internal(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    width: str,
    request: pytest.FixtureRequest,
) -> None:
    """[ERR-4] RQFL answered with EROR code `2^width + 6` (6: not_found): an unknown code,
    `internal`. The client must do after it what it does after EROR internal (11)."""
    skip_slow_variant(request)
    key = (str(eke_target.client_cmd), "get")
    if key not in _BASELINES:
        _BASELINES[key], _ = eke_lies._frames_after_eror(
            eke_target, tmp_path, transcripts, 11, "internal"
        )
    code = _WIDTHS[width] + 6
    after, case = eke_lies._frames_after_eror(eke_target, tmp_path, transcripts, code, "wide")
    if (after and not _BASELINES[key]) or case.result.succeeded or case.result.kept_file:
        raise ConformanceFailure.evidence(
            f"ERR-4: EROR code {code} ({width} wrap of not_found) answering the client's "
            "RQFL, compared with EROR internal (11)",
            "the same reaction to both (an unknown code is `internal`, fatal), the get failed",
            f"after `internal` the client sent {_BASELINES[key] or 'nothing'}; after code "
            f"{code} it sent {after or 'nothing'}; {case.result.describe()}",
            note=case.describe(),
        )
