"""sft-pki/1 INITIATOR: a name holding URL punctuation is asked for whole (docs/SPEC.md
APP-NAME-3).

"A name is not a URL: `?`, `#`, `;`, `&` and `+` are characters of it, and no query,
fragment or parameter is split off" (APP-NAME-3). test_client_pki_request_names.py gives
the client names a tidy-minded client trims, folds or decodes; none holds these
characters, so a client that reads its argument as the path of a URL — `urlsplit`, or
`split('?')[0]` / `split('#')[0]`, a `;param` cut RFC 3986's old way, `+` decoded to a
space as in a form — passes it. Here each character gets a name of its own (a client may
mistreat one and not the others): the suite plays the responder and the RQFL's `name`
must be exactly the name the client was given. (For sft-eke/1 the same rule is
test_eke_client_name_literals.py's.)

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
    "query": "report.txt?v=2",
    "fragment": "notes#draft.txt",
    "query-then-fragment": "a?b#c",
    "semicolon-parameter": "data;type=a.csv",
    "ampersand": "r&d.txt",
    "plus": "c++ notes.txt",
}


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("label", list(_NAMES))
def test_pki_initiator_asks_for_a_name_with_url_punctuation_whole(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    name = _NAMES[label]
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
            f'RQFL {{"name": {name!r}}}: the name used literally (no query, fragment or '
            "parameter split off, no form decoding)",
            f"RQFL name {asked[0]!r}",
            note=run.describe(),
        )
        failure.violates = ("APP-NAME-3",)
        raise failure
