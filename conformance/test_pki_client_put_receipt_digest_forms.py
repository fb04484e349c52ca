"""An sft-pki/1 INITIATOR's put is not stored on a receipt whose `sha256` is not of FRM-12's
form, even when it names the right digest (docs/SPEC.md FRM-12, FRM-16, APP-PUT-10).

"`sha256` members MUST be exactly 64 lowercase hexadecimal characters" (FRM-12); FRM-16
lists "a DONE whose ... sha256 is ... not of the form FRM-11 / FRM-12 give (upper-case
hex, a line end after the digits)" among the frames answered `bad_frame` or
`integrity_failed`: either way the put failed. The receipt is the one `sha256` an
initiator does not compute but only compares, and that is where the parse is skipped: the
receipt lower-cased, stripped of white space, or compared by prefix "because only a match
matters" before it is checked — and a responder that spells the digest otherwise (whose
own store then is not known to hold what was sent) gets an initiator reporting "stored".

The suite plays the responder (test_client_put.py's machinery, `client_put_cmd`): it
accepts the put, reads every byte and the client's DONE, and answers a `DONE` whose size
is right and whose `sha256` is the right digest spelt wrong: in upper-case hex, or with a
line end after the digits (slow: mixed case; the first 63 digits). Judged: the put
reported failed (non-zero exit, APP-PUT-10 on a receipt that is no receipt).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
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
from conformance.wire import ConformanceFailure, ReceivedFrame, control, deadline_after, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

SIZE = 20_000
_FORMS: dict[str, Callable[[str], str]] = {
    "upper-case": str.upper,
    "line-end-after": lambda h: h + "\n",
    "mixed-case": lambda h: "".join(c.upper() if i % 2 else c for i, c in enumerate(h)),
    "63-digits": lambda h: h[:63],
}
_SLOW = {"mixed-case", "63-digits"}


@pytest.mark.req("FRM-12")
@pytest.mark.parametrize(
    "form", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _FORMS]
)
def test_initiator_put_not_stored_on_a_misspelt_receipt_digest(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, form: str
) -> None:
    content = _content(SIZE)
    digest = hashlib.sha256(content).hexdigest()
    spelt = _FORMS[form](digest)
    assert spelt != digest
    state: dict[str, object] = {"done": False}

    def serve(channel: Channel, seen: PutSeen, answer: Answer, put_name: str) -> None:
        first = _next(channel, seen, READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or f"the first frame was {first and first.describe(60)}"
            return
        seen.putf = first.json()
        channel.send_frame("RSFL", _accept(str((seen.putf or {}).get("name", put_name))))
        if not _until_done(channel, seen):
            return
        state["done"] = True
        channel.send_raw(frame_bytes("DONE", control({"size": SIZE, "sha256": spelt})))
        seen.answered = f"RSFL {{accept}}; DONE with sha256 {spelt!r} ({form})"
        end = deadline_after(2.0)
        for _ in range(8):  # bounded: the client's answer (an EROR, a BYE_), then its end
            if not isinstance(channel.recv_frame(end), ReceivedFrame):
                break

    put = _run_put(target, tmp_path, transcripts, Answer(), content, serve=serve)
    if not state["done"]:
        raise RuntimeError(f"harness: the client sent no DONE for its put: {put.describe()}")
    if put.run.succeeded:
        raise ConformanceFailure.evidence(
            f"FRM-12: the put's DONE answered with a receipt DONE of the right size whose "
            f"sha256 is the right digest spelt {form} ({spelt!r})",
            "the put reported failed (non-zero exit): a sha256 member is exactly 64 "
            "lower-case hex digits (FRM-12), the receipt is bad_frame or integrity_failed "
            "(FRM-16)",
            "exit 0 (reported stored)",
            note=put.describe(),
        )
