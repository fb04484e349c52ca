"""captures/sft.lua through tshark/pyshark: frames reassembled across segments become fields."""

from __future__ import annotations

import os
from pathlib import Path

from captures.facts import collect_facts
from captures.tests.synth import SERVER, conversation, frame


def test_lua_dissector_reports_frame_types_and_lengths(tmp_path: Path, tshark: str) -> None:
    data = os.urandom(3000)
    reply = frame(b"RSFL", b'{"name": "a", "size": 3000}') + frame(b"DATA", data)
    p = tmp_path / "frames.pcapng"
    # the DATA frame's header is split from its payload, and two frames share a segment
    conversation(p, [(0, frame(b"RQFL", b'{"name": "a"}')), (1, reply[:45]), (1, reply[45:])])
    facts = collect_facts(p, [], [SERVER[1]])
    assert "error" not in facts, facts
    seen = [(f["type"], f["length"]) for f in facts["sft_frames"]]
    assert seen == [("RQFL", 13), ("RSFL", 27), ("DATA", 3000)]
    assert facts["sft_frame_counts"] == {"RQFL": 1, "RSFL": 1, "DATA": 1}
