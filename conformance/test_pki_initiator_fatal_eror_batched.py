"""sft-pki/1 INITIATOR: a fatal `EROR` ends the get even when more frames follow it in the
same read (docs/SPEC.md §2 ERR-3, ERR-4; §3.3 APP-GET-5).

ERR-3: after receiving an `EROR` whose code is fatal, an endpoint MUST close the
connection and MUST NOT process further frames of it. The suite's other fatal-`EROR`
cases send the `EROR` on its own and then wait; a responder's bytes may as well arrive
with more frames behind the `EROR` in one TLS record (one write of the responder, or its
writes coalesced). The class of bug: an initiator that decodes every frame of a read
before acting on them (a batch loop, an event queue, "handle errors once the buffer is
drained"): the `EROR` marks the transfer failed, but the `DATA` and `DONE` after it are
written and verified, the file renamed under its final name, and the run may even end
as a success.

The suite plays the responder: an honest `RSFL` and part of the file, then ONE write
holding a fatal `EROR` followed by frames that would complete the get (the rest of the
`DATA`, then a `DONE` right for the whole file):

- `internal-then-rest`: `EROR internal` after 2 000 of 5 120 bytes, then the remaining
  `DATA` and the `DONE`;
- `integrity-then-done`: every byte sent, then `EROR integrity_failed` and the `DONE`;
- `unknown-code-then-done`: every byte sent, then an `EROR` of code 99 (unknown: fatal
  as `internal`, ERR-4) and the `DONE`.

The get MUST fail: non-zero exit, nothing under the final name, no temporary file
[ERR-3, APP-STORE-3].

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, error_payload, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_CONTENT = pki_lies.CONTENT
_DONE = frame_bytes("DONE", control({"size": pki_lies.SIZE, "sha256": pki_lies.DIGEST}))

# case: (bytes sent before the batch, the fatal EROR's code, what the batch holds)
_CASES: dict[str, tuple[int, int, str]] = {
    "internal-then-rest": (2000, 11, "EROR internal, the remaining DATA and the DONE"),
    "integrity-then-done": (pki_lies.SIZE, 8, "EROR integrity_failed and the DONE"),
    "unknown-code-then-done": (pki_lies.SIZE, 99, "an EROR of unknown code 99 and the DONE"),
}


def _rest(offset: int) -> bytes:
    out = b""
    for start in range(offset, pki_lies.SIZE, pki_lies.CHUNK):
        out += frame_bytes("DATA", _CONTENT[start : start + pki_lies.CHUNK])
    return out


def _batched_lie(case: str) -> pki_lies.Lie:
    sent, code, _what = _CASES[case]

    def lie(peer: pki_lies.LyingResponder) -> None:
        peer.rsfl(sha256=pki_lies.DIGEST)
        peer.data(_CONTENT[:sent])
        eror = frame_bytes("EROR", error_payload(code, "the responder gives up"))
        # One write: the EROR and, behind it, what would complete the get.
        peer.answered = True
        peer.channel.send_raw(eror + _rest(sent) + _DONE)
        peer.await_reaction()

    return lie


@pytest.mark.req("ERR-3", "ERR-4", "APP-STORE-3")
@pytest.mark.parametrize("case", list(_CASES))
def test_pki_initiator_stops_at_a_fatal_eror_with_frames_behind_it(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    sent, code, what = _CASES[case]
    got = pki_lies._run_lie(target, tmp_path, transcripts, _batched_lie(case))
    own = ("ERR-3", "ERR-4") if code == 99 else ("ERR-3",)
    pki_lies._judge_failed_get(
        got,
        f"ERR-3: an honest RSFL and {sent} of {pki_lies.SIZE} bytes, then in ONE write {what} "
        f"({case}): nothing after the fatal EROR may be processed",
        None,
        own,
    )
