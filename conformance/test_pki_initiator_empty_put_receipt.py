"""sft-pki/1 INITIATOR: a put of an EMPTY file is reported stored only on the responder's
receipt, like any other put (docs/SPEC.md §3.4, APP-PUT-10).

APP-PUT-10: "An initiator MUST report a put as succeeded (a command-line initiator: exit
status 0) only once the responder has answered its `DONE` with `DONE`. ... An `EROR` (e.g.
`integrity_failed`) or the end of the connection in place of the responder's `DONE` MUST be
reported as a failure, never as success." A put of 0 bytes has no DATA and a DONE whose
digest is the empty string's: an initiator is tempted to treat it as "nothing to store,
nothing to confirm" and report it done once its DONE is out, without reading the answer.
test_client_put.py judges the receipt of puts of 1 MiB and more and of 5000 bytes only.

The suite plays a responder (test_client_put.py's) that accepts the empty put, reads the
client's DONE, and answers it with `EROR integrity_failed` (fatal; slow run: closes
without answering it, or answers `EROR exists`, APP-PUT-8's late refusal): the run must
fail (non-zero exit), and the local (empty) file stays as it was. The honest empty put is
test_client_put.py's `sends_exactly_its_file[0]`.

Fixtures (conformance/plugin.py): `target` (pki, lab mode, `client_put_cmd`), `transcripts`,
`tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_ENDINGS = ("integrity_failed", "close", "exists")
_SLOW = frozenset({"close", "exists"})


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize(
    "ending", [pytest.param(e, marks=pytest.mark.slow) if e in _SLOW else e for e in _ENDINGS]
)
def test_initiator_empty_put_waits_for_its_receipt(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    if ending == "exists":
        put = puts._run_put(
            target, tmp_path, transcripts, puts.Answer(), b"", serve=puts._serve_put_then_exists
        )
    else:
        put = puts._run_put(target, tmp_path, transcripts, puts.Answer(final=ending), b"")
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    answered = {
        "integrity_failed": "EROR integrity_failed",
        "close": "no answer to DONE",
        "exists": "EROR exists in place of DONE",
    }[ending]
    if answered in put.seen.answered and (put.run.succeeded or put.run.timed_out):
        problems.append(
            (
                "APP-PUT-10",
                f"the responder answered the DONE of an empty put with {answered!r} (no "
                f"DONE of its own), yet the client {put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put of an empty file whose DONE got {answered!r}")
