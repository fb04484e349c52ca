"""sft-pki/1 INITIATOR: the name it asks for is the name it was given, byte for byte
(docs/SPEC.md APP-NAME-3).

"A name MUST be used literally: it MUST NOT be percent-decoded, unescaped, case-folded or
Unicode-normalised before use." The suite runs the client under test with names that a
tidy-minded client changes before its RQFL — spaces at either end (`str.strip`, a shell-
style trim), no-break and ideographic spaces at the ends (which Python's `strip` removes
too), a trailing dot (Windows drops it), a percent escape, upper-case letters, a
decomposed accent (NFC) — all of them names §3.5 allows — and plays the responder: the
RQFL's `name` must be exactly the name the client was given. (For sft-eke/1:
test_eke_client_request_names.py.)

A client that refuses such a name before connecting never reaches the suite: the case is
then an ERROR (nothing judged), not a PASS.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    ClientNotExercised,
    lab_pki,
    responder_alias,
    run_initiator_watched,
)
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, control, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"the file the suite serves under any name\n"

_NAMES = {
    "leading-space": " lead.txt",
    "trailing-space": "trail.txt ",
    "spaces-both-ends-of-a-component": "dir / both .txt",
    "no-break-spaces-at-the-ends": "\u00a0nbsp.txt\u00a0",
    "ideographic-space-at-the-end": "wide.txt\u3000",
    "trailing-dot": "report.",
    "percent-escape": "50%25 off.txt",
    "upper-case": "README.TXT",
    "decomposed-accent": "cafe\u0301.txt",
}


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("label", sorted(_NAMES))
def test_pki_initiator_asks_for_the_name_it_was_given(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    _check_name_asked(target, tmp_path, transcripts, _NAMES[label], label)


def _check_name_asked(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    name: str,
    label: str,
    literally: str = "",
) -> None:
    """Runs the client under test on `name` against the kit playing an honest responder;
    FAILs APP-NAME-3 unless its RQFL asks for exactly `name` (`literally`: what that
    excludes, for the message). Shared with test_pki_client_request_name_url_chars.py."""
    asked: list[object] = []

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        requested = (event.json() or {}).get("name")
        asked.append(requested)
        digest = hashlib.sha256(CONTENT).hexdigest()
        channel.send_frame("RSFL", control({"name": requested, "size": len(CONTENT)}))
        channel.send_frame("DATA", CONTENT)
        channel.send_frame("DONE", control({"size": len(CONTENT), "sha256": digest}))
        channel.recv_frame(deadline_after(2.0))

    outdir = tmp_path / f"out-{uuid.uuid4().hex[:6]}"
    outdir.mkdir()
    run, _hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / "received.bin",
        name=name,
    )
    if not asked:
        raise ClientNotExercised(
            f"the client sent no RQFL for the name {name!r} ({label}), which §3.5 allows: "
            f"nothing to judge ({run.describe()})"
        )
    if asked[0] != name:
        failure = ConformanceFailure.evidence(
            f"APP-NAME-3: the client was told to get {name!r} ({label})",
            f'RQFL {{"name": {name!r}}}: the name used literally{literally}',
            f"RQFL name {asked[0]!r}",
            note=run.describe(),
        )
        failure.violates = ("APP-NAME-3",)
        raise failure
