"""sft-pki/1 INITIATOR: every non-fatal refusal of its put is a failed put, the last two of
APP-PUT-10's list included (docs/SPEC.md §3.4, APP-PUT-10).

APP-PUT-10: "A non-fatal refusal of its `PUTF` (`exists`, `too_large`, `forbidden`,
`unsupported`) ends that put: the initiator MUST NOT send `DATA` or `DONE` for it and MUST
report it failed (non-zero exit)." test_client_put.py tries `exists` and `too_large` on an
sft-pki/1 initiator in the default run, the other two only in the slow run (where the
self-test of planted bugs never looks); test_eke_client_put_receipts.py covers
`unsupported` for sft-eke/1 clients. The codes at the end of the list are where a client
is tempted to read a refusal as "nothing to do here": `unsupported` (the responder takes
no puts at all — "skip it") and `forbidden` (this peer does not want files from me).

The suite plays a responder that answers the client's `PUTF` with `EROR unsupported` (slow
run: `EROR forbidden` too; test_client_put.py's hostile responder): no `DATA` or `DONE` may follow,
and the run must fail (non-zero exit), with the local file left as it was.

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

_SIZE = 3000


@pytest.mark.req("APP-PUT-10")
@pytest.mark.parametrize("code", ["unsupported", pytest.param("forbidden", marks=pytest.mark.slow)])
def test_initiator_put_refused_late_in_the_list_fails(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: str
) -> None:
    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(refuse=code), puts._content(_SIZE)
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    sent = puts._data_bytes(put.seen.after)
    if sent:
        problems.append(
            ("APP-PUT-10", f"after EROR {code} the client sent {len(sent)} DATA/DONE frames")
        )
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                f"the put was refused with EROR {code} (non-fatal), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put refused with EROR {code} (non-fatal)")
