"""tshark's field output (the facts' fast path) against pyshark (their fallback): the same
facts from the same samples, and the field path answers by itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from captures import facts as facts_module
from captures.facts import FactsChild

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _ports(sample: str) -> tuple[list[int], list[int]]:
    # the responder's port of the sample's first connection, as the checker would pass it
    from captures.checker import CheckConfig, check_capture

    report = check_capture(CheckConfig(SAMPLES / sample, facts=False))
    port = int(report.streams[0].responder.rsplit(":", 1)[1])
    protocol = report.streams[0].protocol
    return ([port] if protocol == "tls" else []), ([port] if protocol.startswith("sft") else [])


@pytest.mark.parametrize("sample", ["pki.pcapng", "legacy-pki0.pcapng", "eke.pcapng"])
def test_field_output_gives_what_pyshark_gives(sample: str, tshark: str) -> None:
    tls_ports, sft_ports = _ports(sample)
    argv = facts_module._fields_argv(SAMPLES / sample, tls_ports, sft_ports, 50_000)
    run = subprocess.run(argv, capture_output=True, timeout=120, check=True)
    fast = facts_module._parse_fields(run.stdout, bool(sft_ports), 50_000)
    slow = FactsChild()._collect_with_pyshark(SAMPLES / sample, tls_ports, sft_ports, 120,
                                              50_000)
    assert "error" not in slow, slow
    for key in ("tls", "sft_frames", "sft_frame_counts"):
        assert fast[key] == slow[key], key
    # pyshark names an HTTP message by its first line as tshark shows it (with "\r\n")
    assert [h["line"] for h in fast["http"]] == [
        h["line"].removesuffix("\\r\\n") for h in slow["http"]]
    assert fast["tls"] or fast["sft_frames"] or fast["http"]  # the sample says something


def test_names_with_separators_stay_whole() -> None:
    # a certificate name holding a comma, a tab and a newline-free record separator
    sep, agg = facts_module._SEPARATOR, facts_module._AGGREGATOR
    cells = ["7", "0", "4433", "50000", "11", "", "", "", "", "", f"900{agg}700",
             f"Acme, Inc.\tLab{agg}bob", "", "alice.example", "", "", "", "", "", "", ""]
    out = (sep.join(cells) + "\n").encode()
    facts = facts_module._parse_fields(out, False, 10)
    (entry,) = facts["tls"]
    assert entry["certificates_in_clear"] == 2
    assert entry["names_in_clear"] == ["Acme, Inc.\tLab", "alice.example", "bob"]
    with pytest.raises(ValueError):
        facts_module._parse_fields(b"1\x1f2\n", False, 10)


def test_a_failing_field_run_falls_back_to_pyshark(
    tshark: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a field this tshark does not know makes it exit non-zero: the pyshark child answers
    monkeypatch.setattr(facts_module, "_FIELDS", (*facts_module._FIELDS, "no.such.field"))
    tls_ports, sft_ports = _ports("pki.pcapng")
    facts = FactsChild().collect(SAMPLES / "pki.pcapng", tls_ports, sft_ports, timeout=120)
    assert "error" not in facts, facts
    assert any("2" in t["handshake_types"] for t in facts["tls"])
