"""The EKE benchmark runs end to end (opt-in: `pytest -m slow`)."""

from __future__ import annotations

import pytest

from reference import bench_eke


@pytest.mark.slow
def test_bench_eke_reports_every_figure() -> None:
    figures = bench_eke.run(2 * 1024 * 1024)
    for key in (
        "handshake_client_cpu_ms",
        "handshake_server_cpu_ms",
        "scrypt_client_cpu_ms",
        "handshake_wall_ms_median",
        "handshakes_per_s",
        "server_cpu_per_handshake_ms",
        "get_MBps",
        "client_peak_rss_mib",
        "server_peak_rss_mib",
    ):
        assert figures[key] > 0, key
    assert figures["get_bytes"] == 2 * 1024 * 1024
