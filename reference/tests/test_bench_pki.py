"""The sft-pki/1 benchmark runs end to end on a small size (opt-in: SFT_SLOW=1)."""

from __future__ import annotations

import os

import pytest

from reference import bench_pki


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SFT_SLOW") != "1", reason="slow: set SFT_SLOW=1")
def test_bench_pki_reports_every_figure() -> None:
    figures = bench_pki.run(4 * 1024 * 1024, latency_rounds=3, repeats=1)
    reference = figures["reference_get"]
    for key in (
        "mbps",
        "responder_peak_rss_mib",
        "initiator_peak_rss_mib",
        "handshake_1byte_get_median_ms",
    ):
        assert reference[key] > 0, key
    assert figures["raw_tcp_1mib_mbps"] > 0 and figures["python_ssl_1mib_mbps"] > 0
    assert set(figures["goals"]) == {
        "ratio_vs_openssl>=2.5",
        "ratio_vs_raw>=0.35",
        "peak_rss<=64MiB",
        "latency<=10ms",
    }
