"""The like-for-like transfer and memory-per-connection parts of `python -m reference.bench`.

The summary logic runs on canned figures (fast); the parts themselves end to end on a
small size only when asked (SFT_SLOW=1): they are benchmarks, reported, never asserted.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from reference import bench, bench_memory, bench_transfer
from reference.bench import PartResult

_CMDS: dict[str, Any] = {
    name: {
        "mib_s": rate,
        "seconds": 512 / rate,
        "client_user_s": 0.5,
        "client_sys_s": 0.25,
        "server_user_s": 0.4,
        "server_sys_s": 0.3,
        "client_peak_rss_mib": 40.0,
        "server_peak_rss_mib": 70.0 if name == "sft_eke_get" else 42.0,
    }
    for name, rate in zip(
        bench_transfer.COMMANDS, (200.0, 250.0, 100.0, 140.0, 80.0, 90.0, 95.0, 100.0), strict=True
    )
}
_TRANSFER: dict[str, Any] = {"size_bytes": 512 << 20, "commands": _CMDS}
_MEMORY: dict[str, Any] = {
    profile: {
        "connections": 50,
        "rss_idle_mib": 38.0,
        "per_connection_mib": per_connection,
        "burst_clients": 100,
        "burst_peak_mib": peak,
        "burst_gets_done": 100,
        "burst_refusals": 3,
    }
    for profile, per_connection, peak in (("eke", 0.06, 83.0), ("pki", 2.5, 300.0))
}


def test_every_command_has_a_label_and_the_parts_are_run_as_children() -> None:
    assert set(bench.TRANSFER_LABELS) == set(bench_transfer.COMMANDS)
    config, _ = bench.parse_args(["--only", "memory,transfer", "--transfer-size", "64MiB"])
    assert config.parts == ("transfer", "memory") and config.transfer_size_bytes == 64 << 20
    argv = bench._argv("transfer", config)
    assert argv[1:5] == ["-m", "reference.bench", "--child", "transfer"]
    assert bench.parse_args(argv[3:])[0].transfer_size_bytes == 64 << 20


def test_transfer_rows_compare_like_with_like() -> None:
    rows = bench.rows_for(PartResult("transfer", "ok", 1.0, _TRANSFER), 1 << 30)
    by_anchor = {(r.figure, r.anchor): r for r in rows}
    get = "512 MiB: sft get (whole command)"
    vs_python = by_anchor[(get, "Python ssl → file (fsync)")]
    assert vs_python.ratio == 0.95 and vs_python.met is True  # goal ≥ 0.9×
    vs_openssl = by_anchor[(get, "openssl s_server -WWW → s_client > file")]
    assert vs_openssl.ratio == round(95 / 80, 3) and vs_openssl.met is True
    eke = by_anchor[("512 MiB: sft eke get (whole command)", "sft get (whole command)")]
    assert eke.ratio == round(100 / 95, 3) and eke.met is True
    rss = {r.figure: r for r in rows if "peak RSS" in r.figure}
    assert rss["sft eke get (whole command): peak RSS, server"].met is False  # 70 > 64 MiB
    assert rss["sft get (whole command): peak RSS, client"].met is True


def test_a_skipped_command_leaves_its_ratio_undecided() -> None:
    figures = {**_TRANSFER, "commands": {**_CMDS, "openssl_www_file": {"skipped": "no openssl"}}}
    rows = bench.rows_for(PartResult("transfer", "ok", 1.0, figures), 1 << 30)
    row = next(r for r in rows if r.anchor.startswith("openssl") and "sft get" in r.figure)
    assert row.ratio is None and row.met is None
    table = bench.transfer_cpu_table([PartResult("transfer", "ok", 1.0, figures)])
    assert any(line[1].startswith("skipped: no openssl") for line in table)


def test_where_the_time_goes_table() -> None:
    table = bench.transfer_cpu_table(
        [PartResult("transfer", "failed", 1.0), PartResult("transfer", "ok", 1.0, _TRANSFER)]
    )
    assert table[0][:3] == ["command", "wall s", "client user s"]
    assert len(table) == 1 + len(bench_transfer.COMMANDS)
    assert all(len(line) == len(table[0]) for line in table)
    text = bench.render_grid(table)
    assert text.splitlines()[1].replace(" ", "").strip("-") == ""
    md = bench.render_grid(table, markdown=True).splitlines()
    assert md[0].startswith("| command | wall s |") and md[1].startswith("|---|")
    assert bench.transfer_cpu_table([]) == [] and bench.render_grid([]) == ""


def test_memory_rows_judge_per_connection_and_burst_peak() -> None:
    rows = bench.rows_for(PartResult("memory", "ok", 1.0, _MEMORY), 1 << 30)
    judged = {
        r.figure.split(":")[0] + (" peak" if "peak" in r.figure else ""): r for r in rows if r.goal
    }
    assert judged["EKE server"].met is True and judged["EKE server peak"].met is True
    assert judged["PKI peer"].met is False and judged["PKI peer peak"].met is False
    assert any(
        "100 gets done, 3 refused or failed tries retried, 0 given up" in r.figure for r in rows
    )


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SFT_SLOW") != "1", reason="slow: set SFT_SLOW=1")
def test_the_parts_run_end_to_end_on_a_small_size() -> None:
    figures = bench_transfer.run(8 << 20, repeats=1)
    for name in bench_transfer.COMMANDS:
        got = figures["commands"][name]
        assert "skipped" in got or got["mib_s"] > 0, (name, got)
    memory = bench_memory.run(connections=4, burst=8, file_mib=1)
    for profile in ("eke", "pki"):
        assert memory[profile]["burst_gets_done"] == 8
        assert memory[profile]["per_connection_mib"] < 2
