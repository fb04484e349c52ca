"""sft-pki/1 INITIATOR: its temporary file is created exclusively, under a name nobody can
predict (docs/SPEC.md APP-STORE-1).

Before an honest get, the suite plants in the client's output directory regular files
(mode 0644, a sentinel content) under the `.sft-partial-` names an implementation could
derive without randomness: the output name, the requested name, and the epoch seconds of
the next `_SECONDS` seconds (a name from the clock: two gets started in the same second
share it). A temporary "created exclusively (O_EXCL)" never opens one of them: the get
completes beside them and every planted file is left as it was. A client that opens its
temporary with O_CREAT|O_TRUNC under a predictable name takes one over — it truncates
and writes another get's live data, and its commit removes it.

(test_client_temporaries.py compares the names of two gets; a name from the clock differs
between them unless both fall within one second, so it cannot tell.)

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    honest_get_script,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator_watched,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a get beside planted temporaries\n"
NAME = "planted.bin"
OUT = "received.bin"
PREFIX = ".sft-partial-"
_SECONDS = 30  # the clock names planted: now - 1 ... now + _SECONDS
_SENTINEL = b"planted by the conformance suite: another get's live temporary\n"


@pytest.mark.req("APP-STORE-1")
def test_pki_initiator_temporary_never_takes_over_a_predictable_name(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    now = int(time.time())
    suffixes = [OUT, NAME, *(str(t) for t in range(now - 1, now + _SECONDS + 1))]
    planted = [outdir / f"{PREFIX}{s}" for s in suffixes]
    for path in planted:
        path.write_bytes(_SENTINEL)
        path.chmod(0o644)
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
        out=outdir / OUT,
        name=NAME,
    )
    require_reached(run, hostile, request=True)
    taken = []
    for path in planted:
        if not path.is_file() or path.is_symlink():
            taken.append(f"{path.name} (removed)")
        elif path.read_bytes() != _SENTINEL:
            taken.append(f"{path.name} (overwritten)")
    if taken:
        raise ConformanceFailure.evidence(
            f"APP-STORE-1: an honest get, with {len(planted)} files planted in the output "
            f"directory under {PREFIX}<output name>, <requested name>, <epoch seconds>",
            "the temporary is created exclusively (O_EXCL) under a name with a random part: "
            "every planted file is left as it was",
            f"taken over: {', '.join(taken[:5])}",
            note=run.describe(),
        )
    if not run.succeeded or not run.kept_file or run.out.read_bytes() != CONTENT:
        raise ConformanceFailure.evidence(
            "APP-STORE-1: an honest get beside files planted under predictable temporary names",
            "the get completes (its own temporary has a random part, so nothing collides)",
            run.describe(),
        )
