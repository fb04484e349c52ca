"""sft-pki/1 INITIATOR: control payloads at its JSON parser's own limits — nesting depth and
integer length (docs/SPEC.md §1, FRM-9, FRM-11).

A JSON parser has limits of its own that the SPEC's grammar does not have, and each raises
its own exception, not always the one the receiver's "malformed payload" path catches:

- FRM-9: "Valid JSON nested deeply (arrays or objects thousands of levels deep) is not
  malformed: a receiver MAY limit the nesting depth (RFC 8259 §9) and answer a deeper
  payload `bad_frame`, or parse it and ignore the members its schema does not define
  (FRM-10); both are conforming, a crash or an `internal` answer is not." A recursive
  parser runs out of stack (Python's `RecursionError`, which is not a `ValueError`; a C
  parser's stack overflow): the responder side of this has cases; the initiator's had none.
- FRM-11: an integer member beyond 2^63−1 "MUST be answered with bad_frame". A `size` of
  5000 digits is beyond it, and it is where Python's int-string limit (4300 digits) raises
  a plain `ValueError` from inside `json.loads` — not a `json.JSONDecodeError`, so a
  receiver that guards its parse with the narrower class lets it escape (other stacks:
  a big-number overflow, an `ERANGE` from strtoll).

The suite plays a responder that answers the client's get with an RSFL (or, slow run, a
DONE) carrying the hostile value, then the file and DONE honestly. The client's outcome
must be one of the conforming ones, judged on the wire and on disk:

- the depth cases: EITHER the get succeeds with the file intact (the member ignored), OR
  the client answers `EROR bad_frame` and fails the get (non-zero exit, nothing kept, no
  temporary left). Ending without either — no `EROR` (a traceback, a bare close), an
  `EROR internal` or another code — is the crash FRM-9 rules out;
- the integer case: `EROR bad_frame`, and the get failed (FRM-11 leaves no other answer).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    InitiatorRun,
    lab_pki,
    leftovers,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.pki_channel import HostileResponder, PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ERROR_CODES, ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a get whose answer sits at the JSON parser's limits\n"
DIGEST = hashlib.sha256(CONTENT).hexdigest()
NAME = "file.bin"
_DEPTH_ARRAY = 30_000  # 60 000 bytes of brackets: within FRM-8's 65 536-byte control limit
_DEPTH_OBJECT = 10_000  # '{"a":' ... '}': 60 000 bytes
_DIGITS = 5000  # beyond Python's int-string limit (4300) and far beyond 2^63 - 1


def _deep_array() -> bytes:
    return b"[" * _DEPTH_ARRAY + b"]" * _DEPTH_ARRAY


def _deep_object() -> bytes:
    return b'{"a":' * _DEPTH_OBJECT + b"1" + b"}" * _DEPTH_OBJECT


def _rsfl(extra: bytes = b"", size: bytes | None = None) -> bytes:
    size_text = size if size is not None else str(len(CONTENT)).encode()
    head = b'{"name":' + json.dumps(NAME).encode() + b',"size":' + size_text
    return head + (b',"x-deep":' + extra if extra else b"") + b"}"


def _done(extra: bytes = b"") -> bytes:
    head = b'{"size":%d,"sha256":"%s"' % (len(CONTENT), DIGEST.encode())
    return head + (b',"x-deep":' + extra if extra else b"") + b"}"


def _script(rsfl: bytes, done: bytes) -> Callable[[PkiChannel], None]:
    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        channel.send_frame("RSFL", rsfl)
        channel.send_frame("DATA", CONTENT)
        channel.send_frame("DONE", done)
        # Read what the client answers (an EROR, its BYE_) until it closes, bounded.
        deadline = deadline_after(3.0)
        for _ in range(8):
            if not isinstance(channel.recv_frame(deadline), ReceivedFrame):
                return

    return script


def _eror_codes(hostile: HostileResponder) -> list[object]:
    codes: list[object] = []
    for transcript in hostile.transcripts:
        for entry in transcript.entries:
            if entry.direction != "recv" or entry.data[:4] != b"EROR":
                continue
            try:
                obj = json.loads(entry.data[8:].decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                codes.append("(malformed EROR)")
                continue
            codes.append(obj.get("code") if isinstance(obj, dict) else "(not an object)")
    return codes


def _outcome(run: InitiatorRun, hostile: HostileResponder) -> tuple[bool, bool, str]:
    """(succeeded with the file intact, refused with EROR bad_frame and nothing kept, text)."""
    kept = run.out.read_bytes() if run.kept_file else None
    codes = _eror_codes(hostile)
    left = leftovers(run)
    intact = run.succeeded and kept == CONTENT and not codes
    refused = (
        codes == [ERROR_CODES["bad_frame"]] and not run.succeeded and kept is None and not left
    )
    text = (
        f"exit {run.returncode}{' (killed at its timeout)' if run.timed_out else ''}, "
        f"EROR codes sent {codes}, frames sent {hostile.frames_received()}, "
        f"output {'absent' if kept is None else f'{len(kept)} bytes'}, leftovers {left}"
    )
    return intact, refused, text


def _run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, rsfl: bytes, done: bytes
) -> tuple[InitiatorRun, HostileResponder]:
    cert = lab_pki(target).employee(responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=_script(rsfl, done), name=NAME
    )
    require_reached(run, hostile, request=True)
    return run, hostile


_DEPTHS = [
    pytest.param("rsfl", _deep_array, id="rsfl-array-30000-deep"),
    pytest.param("done", _deep_object, id="done-object-10000-deep", marks=pytest.mark.slow),
    pytest.param("rsfl", _deep_object, id="rsfl-object-10000-deep", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize(("where", "deep"), _DEPTHS)
def test_initiator_survives_a_deeply_nested_member(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    where: str,
    deep: Callable[[], bytes],
) -> None:
    rsfl = _rsfl(deep()) if where == "rsfl" else _rsfl()
    done = _done(deep()) if where == "done" else _done()
    run, hostile = _run(target, tmp_path, transcripts, rsfl, done)
    intact, refused, text = _outcome(run, hostile)
    if not (intact or refused):
        raise ConformanceFailure.evidence(
            f"FRM-9: the responder's {where.upper()} ({len(rsfl if where == 'rsfl' else done)} "
            "bytes, within the 65 536-byte control limit) carries an undefined member nested "
            "thousands of levels deep; the file and DONE are honest",
            "either the get succeeds with the file intact (the member ignored, FRM-10) or the "
            "client answers EROR bad_frame and fails the get, nothing kept — a crash, a bare "
            "close or an EROR of another code is neither",
            text,
            note=f"{run.describe()}; stderr tail: {run.stderr[-300:]!r}",
        )


@pytest.mark.req("FRM-11")
def test_initiator_refuses_a_size_of_thousands_of_digits(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    rsfl = _rsfl(size=b"9" * _DIGITS)
    run, hostile = _run(target, tmp_path, transcripts, rsfl, _done())
    _intact, refused, text = _outcome(run, hostile)
    if not refused:
        raise ConformanceFailure.evidence(
            f"FRM-11: the responder's RSFL announces a size of {_DIGITS} digits (far beyond "
            "2^63-1; a JSON parser's own integer limit may raise inside it)",
            "EROR bad_frame, and the get failed: non-zero exit, nothing kept, no temporary",
            text,
            note=f"{run.describe()}; stderr tail: {run.stderr[-300:]!r}",
        )
