"""An sft-pki/1 initiator checks the responder's alias on EVERY connection [PKI-ID-1].

A client may remember things between runs (the CRL it fetched, in its identity
directory). Remembering a VERDICT is the bug: "the responder `bob` was verified before"
keyed on the alias the user typed (or on host and port) lets the next connection to
`bob@…` skip the certificate checks, and a man in the middle holding another employee's
valid certificate is then talked to. The case runs the initiator twice with the same
identity (the embedded run's client keeps one identity directory per target): first
against an honest responder for the alias (a get that succeeds), then against a
responder at the same alias presenting a valid certificate of another employee. The
second run must send no application frame, keep no file and report failure, as on a
first connection (test_pki_identity.py judges the first connection alone).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    lab_pki,
    responder_alias,
    run_initiator_watched,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"alias memory\n"


@pytest.mark.req("PKI-ID-1")
def test_initiator_checks_the_alias_again_on_a_later_run(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    alias = responder_alias(target)
    lab = lab_pki(target)
    first_dir = tmp_path / "first"
    first_dir.mkdir()
    first, _ = run_initiator_watched(
        target,
        first_dir,
        transcripts,
        cert=lab.employee(alias),
        script=honest_get_script(CONTENT),
        out=first_dir / "received.bin",
    )
    if not first.succeeded:
        raise RuntimeError(f"the honest get the case relies on failed: {first.describe()}")
    impostor = lab.employee(f"sft-other-{secrets.token_hex(3)}")
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    run, hostile = run_initiator_watched(
        target,
        second_dir,
        transcripts,
        cert=impostor,
        script=honest_get_script(CONTENT),
        out=second_dir / "received.bin",
    )
    sent = hostile.frames_received()
    if sent or run.kept_file or run.succeeded:
        raise ConformanceFailure.evidence(
            f"PKI-ID-1: asked for {alias!r} twice; the first responder was honest, the "
            f"second (same alias asked for) presented a valid certificate of "
            f"{impostor.common_name!r}",
            "the second run refuses it as a first connection would: no application frame, "
            "no file, a failure reported",
            f"frames sent {sent}, file kept: {run.kept_file}, {run.describe()}",
            note=f"first run: {first.describe()}",
        )
