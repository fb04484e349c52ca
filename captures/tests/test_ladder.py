"""The ladder of an unframed legacy stream shows each turn and what it says in clear."""

from __future__ import annotations

import json

from captures.checker import CheckConfig, check_capture
from captures.make_samples import MANIFEST, SAMPLES
from captures.reports import to_html


def test_unframed_turns_are_drawn_with_their_cleartext() -> None:
    entry = json.loads(MANIFEST.read_text())["legacy-eke0"]
    report = check_capture(CheckConfig(SAMPLES / entry["file"], profile="eke0", facts=False))
    (stream,) = report.streams
    forward = stream.forward.units
    # one unit per message the client sent (user, password, p, g, ...), not "no payload"
    assert len(forward) > 3 and {u["kind"] for u in forward} == {"bytes"}
    assert sum(u["length"] for u in forward) == stream.forward.bytes
    offsets = [u["offset"] for u in forward]
    assert offsets == sorted(offsets) and offsets[0] == 0
    # the seed sends the password as its own message: the ladder shows it as it is
    assert any(u["preview"] == entry["password"] for u in forward)
    assert f"&quot;{entry['password']}&quot;" in to_html(report)


def test_framed_streams_keep_their_frames() -> None:
    entry = json.loads(MANIFEST.read_text())["eke"]
    report = check_capture(CheckConfig(SAMPLES / entry["file"], profile="eke", facts=False))
    kinds = {u["kind"] for s in report.streams for u in s.forward.units}
    assert "EKE1" in kinds and "bytes" not in kinds
    assert all("preview" not in u for s in report.streams for u in s.forward.units)
