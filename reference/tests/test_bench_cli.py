"""`python -m reference.bench`: its options and its summary (nothing here is timed)."""

from __future__ import annotations

from typing import Any

import pytest

from reference import bench
from reference.bench import PartResult, Row


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1GiB", 1 << 30),
        ("100MiB", 100 << 20),
        ("100MB", 100_000_000),
        ("4096", 4096),
        ("1.5 KiB", 1536),
        ("2g", 2_000_000_000),
    ],
)
def test_sizes_parse(text: str, size: int) -> None:
    assert bench.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "1XB", "GiB", "-1MiB", "0"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        bench.parse_size(text)


def test_sizes_format() -> None:
    assert bench.format_size(1 << 30) == "1 GiB"
    assert bench.format_size(100 << 20) == "100 MiB"
    assert bench.format_size(1536) == "1.5 KiB"
    assert bench.format_size(10) == "10 B"


def test_defaults_run_every_part_at_one_gib() -> None:
    config, child = bench.parse_args([])
    assert child is None
    assert config.parts == ("pki", "eke", "transfer", "memory", "fuzz", "capture")
    assert config.size_bytes == 1 << 30
    assert config.capture_mb == (100,)
    assert config.json_out is None and not config.markdown


def test_options_parse() -> None:
    config, _ = bench.parse_args(
        [
            "--size",
            "100MiB",
            "--only",
            "capture,pki,pki",
            "--json",
            "out.json",
            "--markdown",
            "--runs",
            "2",
            "--capture-mb",
            "100,1000",
            "--timeout",
            "60",
        ]
    )
    assert config.size_bytes == 100 << 20
    assert config.parts == ("pki", "capture")  # canonical order, once each
    assert str(config.json_out) == "out.json" and config.markdown
    assert config.runs == 2 and config.capture_mb == (100, 1000) and config.timeout == 60


@pytest.mark.parametrize(
    "argv",
    [
        ["--only", "pki,ftp"],
        ["--only", ""],
        ["--size", "lots"],
        ["--runs", "0"],
        ["--capture-mb", "x"],
        ["--timeout", "-1"],
    ],
)
def test_bad_options_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.parse_args(argv)
    assert exc.value.code == 2


def test_fuzz_output_parses() -> None:
    text = (
        "goal: >= 300 mutated sessions/s per profile (2 cores)\n"
        "pki: 1 worker(s):     87.0 mutated sessions/s\n"
        "pki: 2 worker(s):    122.4 mutated sessions/s\n"
        "eke: 1 worker(s):     45.5 mutated sessions/s\n"
    )
    assert bench.parse_fuzz_output(text) == {
        "sessions_per_s": {"pki": {"1": 87.0, "2": 122.4}, "eke": {"1": 45.5}}
    }
    # Since issue 17 the lines carry requests/s and the ceiling of the same run.
    line = (
        "pki: 1 worker(s):     39.9 mutated sessions/s, 454.4 mutated requests/s; ceiling "
        "234.4 honest handshakes/s (before 238.7, after 230.2); sessions 0.17x the ceiling"
    )
    assert bench.parse_fuzz_output(line) == {
        "sessions_per_s": {"pki": {"1": 39.9}},
        "requests_per_s": {"pki": {"1": 454.4}},
        "ceiling_per_s": {"pki": {"1": 234.4}},
    }


_PKI: dict[str, Any] = {
    "reference_get": {
        "mbps": 500.0,
        "responder_peak_rss_mib": 40.0,
        "initiator_peak_rss_mib": 70.0,
        "handshake_1byte_get_median_ms": 8.0,
    },
    "openssl_s_server_www": {"mbps": 100.0},
    "raw_tcp_1mib_mbps": 2000.0,
    "python_ssl_1mib_mbps": 1000.0,
}


def _pki_rows(mbps: float = 500.0) -> list[Row]:
    figures = {**_PKI, "reference_get": {**_PKI["reference_get"], "mbps": mbps}}
    return bench.rows_for(PartResult("pki", "ok", 1.0, figures), 1 << 30)


def test_pki_rows_carry_ratios_and_goals() -> None:
    rows = {(r.figure, r.anchor): r for r in _pki_rows()}
    # anchors that write no file: ratios shown, never judged (`transfer` is like for like)
    vs_openssl = rows[("1 GiB get", "openssl s_server -WWW → s_client, into memory (no file)")]
    assert vs_openssl.ratio == 5.0 and vs_openssl.goal is None
    vs_raw = rows[("1 GiB get", "raw loopback TCP (no file)")]
    assert vs_raw.ratio == 0.25 and vs_raw.goal is None
    assert rows[("peak RSS, initiator", "")].met is False
    assert rows[("peak RSS, responder", "")].met is True
    assert rows[("1 GiB get", "Python ssl, 1 MiB writes (no file)")].goal is None


def test_missing_figures_leave_the_goal_undecided() -> None:
    figures = {"reference_get": {"mbps": 500.0}, "openssl_s_server_www": {"skipped": "x"}}
    rows = bench.rows_for(PartResult("pki", "ok", 1.0, figures), 1 << 30)
    vs_openssl = rows[0]
    assert vs_openssl.anchor_value is None and vs_openssl.ratio is None
    assert vs_openssl.met is None


def test_runs_combine_to_medians_and_keep_each_value() -> None:
    combined = bench.combine_runs([_pki_rows(400.0), _pki_rows(600.0), _pki_rows(500.0)])
    assert len(combined) == len(_pki_rows())
    first = combined[0]
    assert first.value == 500.0 and first.values == (400.0, 600.0, 500.0)
    assert first.ratio == 5.0


def test_failed_parts_have_no_rows_but_a_one_line_note() -> None:
    failed = PartResult("eke", "failed", 3.0, reason="timed out after 3 s")
    skipped = PartResult("capture", "skipped", 0.1, reason="no capture rights")
    assert bench.rows_for(failed, 1 << 30) == []
    text = bench.render_text(_pki_rows(), [failed, skipped])
    assert "eke: failed: timed out after 3 s" in text
    assert "capture: skipped: no capture rights" in text


def test_summary_renders_as_text_and_markdown() -> None:
    rows = bench.combine_runs([_pki_rows(400.0), _pki_rows(600.0)])
    text = bench.render_text(rows, [])
    header, rule, *body = text.splitlines()
    assert header.split() == ["part", "figure", "value", "anchor", "ratio", "goal", "met?"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert any("500 MB/s (runs: 400, 600)" in line and "5.00×" in line for line in body)
    assert any("MISSED" in line for line in body) and any("met" in line for line in body)
    md = bench.render_markdown(rows, [PartResult("fuzz", "failed", 1.0, reason="boom")])
    lines = md.splitlines()
    assert lines[0] == "| part | figure | value | anchor | ratio | goal | met? |"
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert all(line.count("|") == 8 for line in lines[2 : 2 + len(rows)])
    assert lines[-1] == "- fuzz: failed: boom"


def test_fuzz_and_capture_rows() -> None:
    fuzz = bench.rows_for(
        PartResult(
            "fuzz",
            "ok",
            1.0,
            bench.parse_fuzz_output(
                "pki: 1 worker(s): 100.0 mutated sessions/s, 1500.0 mutated requests/s; "
                "ceiling 125.0 honest handshakes/s\n"
                "pki: 2 worker(s): 100.0 mutated sessions/s, 900.0 mutated requests/s; "
                "ceiling 200.0 honest handshakes/s\n"
            ),
        ),
        1 << 30,
    )
    # Per worker count: sessions/s against the ceiling (>= 0.70x), requests/s, and
    # requests per session (>= 10).
    assert [(r.value, r.ratio, r.met) for r in fuzz] == [
        (100.0, 0.8, True),
        (1500.0, None, None),
        (15.0, None, True),
        (100.0, 0.5, False),
        (900.0, None, None),
        (9.0, None, False),
    ]
    old = bench.rows_for(
        PartResult(
            "fuzz", "ok", 1.0, bench.parse_fuzz_output("eke: 1 worker(s): 5.0 mutated sessions/s")
        ),
        1 << 30,
    )
    assert [(r.value, r.goal) for r in old] == [(5.0, None)]  # no ceiling: nothing judged
    capture = bench.rows_for(
        PartResult(
            "capture",
            "ok",
            1.0,
            {
                "sizes": [
                    {
                        "transfer_mb": 100,
                        "tshark_floor_s": 2.0,
                        "tshark_floor_mb_s": 50.0,
                        "check_s": 8.0,
                        "check_mb_s": 12.5,
                        "fast_path_mb_s": 25.0,
                        "check": {"peak_rss_mib": 60.0, "children_maxrss_mib_upper_bound": 300.0},
                    }
                ]
            },
        ),
        1 << 30,
    )
    by_figure = {r.figure: r for r in capture}
    assert by_figure["100 MB transfer: check time"].ratio == 4.0
    assert by_figure["100 MB transfer: check time"].met is False
    assert by_figure["100 MB transfer: peak RSS, check process"].met is True
