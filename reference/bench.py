"""The benchmark entry point: `python -m reference.bench` (or `tox -e bench`).

    python -m reference.bench [--size 1GiB] [--only pki,eke,transfer,memory,fuzz,capture]
                              [--runs 2] [--capture-mb 100[,1000]] [--fuzz-seconds 20]
                              [--timeout 1200] [--json OUT] [--markdown]

A thin orchestrator over the per-part benchmarks, run in the same invocation so the
figures share one machine state:

* ``pki``     — `reference.bench_pki.run`: a get of ``--size`` through the reference
  beside `openssl s_server -WWW`/`s_client` and raw loopback TCP, peak RSS, and the
  median "connect + handshake + 1-byte get";
* ``eke``     — `reference.bench_eke.run`: handshake CPU, handshakes/s, a get of
  ``--size``, peak RSS; the raw loopback anchor is measured right after it, in the
  same child, with the PKI benchmark's own pump (`bench_pki._pump`). These in-process
  gets beside anchors that write no file are not like for like: ``transfer`` is;
* ``transfer`` — `reference.bench_transfer.run`: the whole `sft get` and `sft eke get`
  commands beside anchors doing the same work in the same run (raw TCP, Python `ssl`,
  `openssl s_server -WWW` → `s_client`, each into a file and into /dev/null), of
  ``--transfer-size``; user and kernel CPU and peak RSS per side;
* ``memory``  — `reference.bench_memory.run`: each server's RSS per idle established
  connection and its peak in a burst of ``--memory-burst`` clients;
* ``fuzz``    — `python -m fuzz.bench`: mutated sessions/s per profile, 1 and 2 workers;
* ``capture`` — `python -m captures.bench`: `sft capture check` throughput beside
  `tshark -q -Y tcp.len>0`, and its peak RSS (skipped, with the reason, without
  capture rights).

Every part runs in its own child process, in its own session: that bounds it in time
(``--timeout``; on expiry its whole process group is ended), keeps each part's RSS its
own, and keeps a failing part from stopping the others — it is reported with a
one-line reason. The fuzz and capture parts are their packages' CLIs, run as
subprocesses, so nothing of conformance/ or captures/ is imported here.

Progress goes to stderr; stdout gets the summary table (ratios, peak RSS, goals met),
and with ``--markdown`` the same table in Markdown; ``--json OUT`` writes every raw
figure of every run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "PARTS",
    "BenchConfig",
    "Goal",
    "PartResult",
    "Row",
    "combine_runs",
    "format_size",
    "main",
    "parse_args",
    "parse_fuzz_output",
    "parse_size",
    "TRANSFER_LABELS",
    "render_grid",
    "render_markdown",
    "render_text",
    "rows_for",
    "transfer_cpu_table",
]

PARTS = ("pki", "eke", "transfer", "memory", "fuzz", "capture")

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(text: str) -> int:
    """'1GiB' -> 1073741824, '100MB' -> 100000000, '4096' -> 4096."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match[2].lower() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 1GiB, 100MiB, 4096)")
    size = int(float(match[1]) * _UNITS[match[2].lower()])
    if size <= 0:
        raise ValueError(f"the size must be positive: {text!r}")
    return size


def format_size(size: int) -> str:
    """1073741824 -> '1 GiB', 104857600 -> '100 MiB', 1000 -> '1000 B'."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


@dataclass(frozen=True)
class BenchConfig:
    """Every option of one benchmark invocation, validated once by `parse_args`."""

    size_bytes: int = 1 << 30
    parts: tuple[str, ...] = PARTS
    runs: int = 1
    pki_repeats: int = 3
    pki_latency_rounds: int = 30
    fuzz_seconds: float = 20.0
    capture_mb: tuple[int, ...] = (100,)
    transfer_size_bytes: int = 512 * 1024**2
    transfer_repeats: int = 3
    memory_connections: int = 50
    memory_burst: int = 100
    timeout: float = 1200.0
    json_out: Path | None = None
    markdown: bool = False


def _parts_list(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(unknown) or '(none)'}; choose from {','.join(PARTS)}"
        )
    return tuple(p for p in PARTS if p in parts)  # canonical order, no duplicates


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mb_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of MB: {text!r}") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"not a list of positive MB: {text!r}")
    return sizes


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return check


_CHILD_PARTS = ("pki", "eke", "transfer", "memory")  # run as `--child PART`


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m reference.bench",
        description="Benchmarks of the reference, the fuzzer and the capture checker.",
    )
    ap.add_argument(
        "--size",
        type=_size_arg,
        default=1 << 30,
        help="bytes of the PKI and EKE gets (1GiB, 100MiB, 4096...; default 1GiB)",
    )
    ap.add_argument(
        "--only",
        type=_parts_list,
        default=PARTS,
        metavar="PARTS",
        help=f"comma-separated parts to run (default {','.join(PARTS)})",
    )
    ap.add_argument(
        "--runs",
        type=_positive(int),
        default=1,
        help="run every part this many times, interleaved; medians are reported",
    )
    ap.add_argument(
        "--pki-repeats",
        type=_positive(int),
        default=3,
        help="interleaved rounds inside one PKI run (bench_pki's medians)",
    )
    ap.add_argument(
        "--pki-rounds",
        type=_positive(int),
        default=30,
        help="handshake + 1-byte get rounds for the PKI latency",
    )
    ap.add_argument(
        "--fuzz-seconds",
        type=_positive(float),
        default=20.0,
        help="seconds per fuzz profile and worker count",
    )
    ap.add_argument(
        "--capture-mb",
        type=_mb_list,
        default=(100,),
        metavar="MB[,MB]",
        help="transfer sizes of the capture benchmark (default 100)",
    )
    ap.add_argument(
        "--transfer-size",
        type=_size_arg,
        default=512 * 1024**2,
        help="bytes of the whole-command transfers beside their anchors (default 512MiB)",
    )
    ap.add_argument(
        "--transfer-repeats",
        type=_positive(int),
        default=3,
        help="interleaved rounds of the transfer part (medians)",
    )
    ap.add_argument(
        "--memory-connections",
        type=_positive(int),
        default=50,
        help="idle established connections of the memory part (default 50)",
    )
    ap.add_argument(
        "--memory-burst",
        type=_positive(int),
        default=100,
        help="concurrent clients of the memory part's burst (default 100)",
    )
    ap.add_argument(
        "--timeout",
        type=_positive(float),
        default=1200.0,
        help="seconds one part may take before it is stopped (default 1200)",
    )
    ap.add_argument(
        "--json",
        type=Path,
        dest="json_out",
        metavar="OUT",
        help="write every raw figure to OUT as JSON",
    )
    ap.add_argument(
        "--markdown", action="store_true", help="also print the summary as a Markdown table"
    )
    # A child role: one part's figures as JSON on stdout (pki, eke).
    ap.add_argument("--child", choices=_CHILD_PARTS, help=argparse.SUPPRESS)
    return ap


def parse_args(argv: Sequence[str] | None = None) -> tuple[BenchConfig, str | None]:
    """The config, and the child role when this process is one part's child."""
    args = _parser().parse_args(argv)
    config = BenchConfig(
        size_bytes=args.size,
        parts=args.only,
        runs=args.runs,
        pki_repeats=args.pki_repeats,
        pki_latency_rounds=args.pki_rounds,
        fuzz_seconds=args.fuzz_seconds,
        capture_mb=args.capture_mb,
        transfer_size_bytes=args.transfer_size,
        transfer_repeats=args.transfer_repeats,
        memory_connections=args.memory_connections,
        memory_burst=args.memory_burst,
        timeout=args.timeout,
        json_out=args.json_out,
        markdown=args.markdown,
    )
    return config, args.child


# --- the parts, each a child process ----------------------------------------------------


def _child_main(role: str, config: BenchConfig) -> int:
    if role == "pki":
        from reference import bench_pki

        figures = bench_pki.run(config.size_bytes, config.pki_latency_rounds, config.pki_repeats)
    elif role == "transfer":
        from reference import bench_transfer

        figures = bench_transfer.run(config.transfer_size_bytes, config.transfer_repeats)
    elif role == "memory":
        from reference import bench_memory

        figures = bench_memory.run(config.memory_connections, config.memory_burst)
    else:
        from reference import bench_eke

        # bench_pki's pump is the loopback anchor the PKI figures use; measured here,
        # right after the EKE get, so both see the same load.
        from reference.bench_pki import _pump

        figures = bench_eke.run(config.size_bytes)
        raws = [_pump(config.size_bytes) for _ in range(3)]
        figures["raw_tcp_1mib_runs"] = [round(config.size_bytes / s / 1e6, 1) for s in raws]
        figures["raw_tcp_1mib_mbps"] = statistics.median(figures["raw_tcp_1mib_runs"])
    print(json.dumps(figures))
    return 0


def _argv(part: str, config: BenchConfig) -> list[str]:
    py = sys.executable
    if part in _CHILD_PARTS:
        return [
            py,
            "-m",
            "reference.bench",
            "--child",
            part,
            "--size",
            str(config.size_bytes),
            "--pki-repeats",
            str(config.pki_repeats),
            "--pki-rounds",
            str(config.pki_latency_rounds),
            "--transfer-size",
            str(config.transfer_size_bytes),
            "--transfer-repeats",
            str(config.transfer_repeats),
            "--memory-connections",
            str(config.memory_connections),
            "--memory-burst",
            str(config.memory_burst),
        ]
    if part == "fuzz":
        return [py, "-m", "fuzz.bench", "--seconds", str(config.fuzz_seconds)]
    argv = [py, "-m", "captures.bench"]
    for mb in config.capture_mb:
        argv += ["--mb", str(mb)]
    return argv


_FUZZ_LINE = re.compile(r"^(\w+): (\d+) worker\(s\):\s+([\d.]+) mutated sessions/s", re.M)
# The rest of the same line (python -m fuzz.bench since issue 17): requests/s and the
# ceiling, honest handshakes/s measured in the same run on the same cores.
_FUZZ_MORE = re.compile(
    r"^(\w+): (\d+) worker\(s\):.*?([\d.]+) mutated requests/s; ceiling ([\d.]+) honest",
    re.M,
)


def parse_fuzz_output(text: str) -> dict[str, Any]:
    """`python -m fuzz.bench` output -> {"sessions_per_s": {"pki": {"1": 87.0, "2":
    122.4}, ...}, "requests_per_s": {...}, "ceiling_per_s": {...}} (the last two when
    the lines carry them)."""
    rates: dict[str, dict[str, float]] = {}
    for profile, workers, rate in _FUZZ_LINE.findall(text):
        rates.setdefault(profile, {})[workers] = float(rate)
    out: dict[str, Any] = {"sessions_per_s": rates}
    requests: dict[str, dict[str, float]] = {}
    ceilings: dict[str, dict[str, float]] = {}
    for profile, workers, per_s, ceiling in _FUZZ_MORE.findall(text):
        requests.setdefault(profile, {})[workers] = float(per_s)
        ceilings.setdefault(profile, {})[workers] = float(ceiling)
    if requests:
        out["requests_per_s"] = requests
        out["ceiling_per_s"] = ceilings
    return out


def _parse_capture_output(text: str) -> dict[str, Any]:
    sizes: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip().startswith("{"):
            continue
        obj = json.loads(line)
        if "transfer_mb" in obj:
            sizes.append(obj)
        else:
            extra.update(obj)
    return {"sizes": sizes, **extra}


@dataclass
class PartResult:
    """One run of one part: its figures, or why there are none."""

    part: str
    status: str  # "ok", "failed", "skipped"
    seconds: float
    figures: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _reader(stream: Any, sink: list[str], echo: str | None) -> None:
    for line in stream:
        sink.append(line)
        if echo is not None and line.strip():
            print(f"  {echo}: {line.rstrip()}", file=sys.stderr, flush=True)


def _stop_group(proc: subprocess.Popen[str]) -> None:
    """Ends the part's own process group (it was started in a session of its own)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _one_line(lines: Sequence[str], fallback: str) -> str:
    for line in reversed(lines):
        if line.strip():
            return line.strip()[:300]
    return fallback


def _run_part(part: str, config: BenchConfig) -> PartResult:
    argv = _argv(part, config)
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,  # so `-m fuzz.bench` resolves
    )
    out: list[str] = []
    err: list[str] = []
    assert proc.stdout is not None and proc.stderr is not None
    # the fuzz bench prints its figures as it goes: echo them as progress
    readers = [
        threading.Thread(target=_reader, args=(proc.stdout, out, part if part == "fuzz" else None)),
        threading.Thread(target=_reader, args=(proc.stderr, err, part)),
    ]
    for t in readers:
        t.daemon = True
        t.start()
    try:
        proc.wait(timeout=config.timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        for t in readers:
            t.join(5)
        return PartResult(
            part,
            "failed",
            time.monotonic() - started,
            reason=f"timed out after {config.timeout:.0f} s",
        )
    for t in readers:
        t.join(30)
    seconds = time.monotonic() - started
    text = "".join(out)
    if part == "capture" and proc.returncode == 2:
        reason = _one_line(err, "capture is unavailable").removeprefix("captures.bench: ")
        return PartResult(part, "skipped", seconds, reason=reason)
    if proc.returncode != 0:
        return PartResult(
            part, "failed", seconds, reason=_one_line(err, f"exited with status {proc.returncode}")
        )
    try:
        if part == "fuzz":
            figures = parse_fuzz_output(text)
            if not figures["sessions_per_s"]:
                raise ValueError("no sessions/s line in the output")
        elif part == "capture":
            figures = _parse_capture_output(text)
        else:
            figures = json.loads(text)
    except (ValueError, KeyError) as exc:
        return PartResult(part, "failed", seconds, reason=f"unreadable output: {exc}")
    return PartResult(part, "ok", seconds, figures)


# --- from raw figures to summary rows ----------------------------------------------------


@dataclass(frozen=True)
class Goal:
    """A goal from the issues: `on` ("value" or "ratio") `op` `limit`."""

    text: str
    on: str
    op: str
    limit: float

    def met(self, row: Row) -> bool | None:
        x = row.ratio if self.on == "ratio" else row.value
        if x is None:
            return None
        return x >= self.limit if self.op == ">=" else x <= self.limit


@dataclass(frozen=True)
class Row:
    """One line of the summary. `values` holds each run's value when there were several."""

    part: str
    figure: str
    value: float | None
    unit: str
    anchor: str = ""
    anchor_value: float | None = None
    ratio: float | None = None
    goal: Goal | None = None
    values: tuple[float, ...] = ()

    @property
    def met(self) -> bool | None:
        return self.goal.met(self) if self.goal else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _num(d: dict[str, Any], *keys: str) -> float | None:
    cur: Any = d
    for k in keys:
        if not isinstance(cur, dict) or k not in cur:
            return None
        cur = cur[k]
    return float(cur) if isinstance(cur, int | float) and not isinstance(cur, bool) else None


_RSS64 = Goal("≤ 64 MiB", "value", "<=", 64)
_NOFILE_OPENSSL = "openssl s_server -WWW → s_client, into memory (no file)"
_NOFILE_RAW = "raw loopback TCP (no file)"
_NOFILE_PYSSL = "Python ssl, 1 MiB writes (no file)"


def _pki_rows(f: dict[str, Any], size: str) -> list[Row]:
    ref = _num(f, "reference_get", "mbps")
    ossl = _num(f, "openssl_s_server_www", "mbps")
    raw = _num(f, "raw_tcp_1mib_mbps")
    pyssl = _num(f, "python_ssl_1mib_mbps")
    # The get writes, hashes and fsyncs a file; these anchors write nothing: their
    # ratios show the cost of the file and the hash, not a goal (the `transfer` part
    # compares like with like).
    return [
        Row("pki", f"{size} get", ref, "MB/s", _NOFILE_OPENSSL, ossl, _ratio(ref, ossl)),
        Row("pki", f"{size} get", ref, "MB/s", _NOFILE_RAW, raw, _ratio(ref, raw)),
        Row("pki", f"{size} get", ref, "MB/s", _NOFILE_PYSSL, pyssl, _ratio(ref, pyssl)),
        Row(
            "pki",
            "peak RSS, responder",
            _num(f, "reference_get", "responder_peak_rss_mib"),
            "MiB",
            goal=_RSS64,
        ),
        Row(
            "pki",
            "peak RSS, initiator",
            _num(f, "reference_get", "initiator_peak_rss_mib"),
            "MiB",
            goal=_RSS64,
        ),
        Row(
            "pki",
            "connect + handshake + 1-byte get, median",
            _num(f, "reference_get", "handshake_1byte_get_median_ms"),
            "ms",
            goal=Goal("≤ 10 ms", "value", "<=", 10),
        ),
    ]


def _eke_rows(f: dict[str, Any], size: str) -> list[Row]:
    get = _num(f, "get_MBps")
    raw = _num(f, "raw_tcp_1mib_mbps")
    cpu = Goal("≤ 15 ms", "value", "<=", 15)
    return [
        Row(
            "eke",
            "server CPU per handshake (sans-IO core)",
            _num(f, "handshake_server_cpu_ms"),
            "ms",
            goal=cpu,
        ),
        Row(
            "eke",
            "server CPU per handshake (live server, /proc)",
            _num(f, "server_cpu_per_handshake_ms"),
            "ms",
            goal=cpu,
        ),
        Row(
            "eke",
            "client CPU per handshake (sans-IO, without scrypt)",
            _num(f, "handshake_client_cpu_ms"),
            "ms",
        ),
        Row("eke", "client scrypt (once per password)", _num(f, "scrypt_client_cpu_ms"), "ms"),
        Row("eke", "handshake wall time, median", _num(f, "handshake_wall_ms_median"), "ms"),
        Row("eke", "handshakes/s (2 client processes)", _num(f, "handshakes_per_s"), "/s"),
        Row("eke", f"{size} get", get, "MB/s", _NOFILE_RAW, raw, _ratio(get, raw)),
        Row("eke", "peak RSS, server", _num(f, "server_peak_rss_mib"), "MiB", goal=_RSS64),
        Row(
            "eke",
            "peak RSS, client (incl. scrypt's 32 MiB)",
            _num(f, "client_peak_rss_mib"),
            "MiB",
            goal=_RSS64,
        ),
        Row(
            "eke",
            "peak RSS, client during the transfer",
            _num(f, "client_transfer_peak_rss_mib"),
            "MiB",
        ),
    ]


TRANSFER_LABELS = {
    "raw_tcp_file": "raw TCP → file (fsync)",
    "raw_tcp_null": "raw TCP → /dev/null",
    "python_ssl_file": "Python ssl → file (fsync)",
    "python_ssl_null": "Python ssl → /dev/null",
    "openssl_www_file": "openssl s_server -WWW → s_client > file",
    "openssl_www_null": "openssl s_server -WWW → s_client > /dev/null",
    "sft_get": "sft get (whole command)",
    "sft_eke_get": "sft eke get (whole command)",
}


def _transfer_rows(f: dict[str, Any]) -> list[Row]:
    size = format_size(int(f.get("size_bytes", 0)))
    cmds: dict[str, Any] = f.get("commands", {})

    def rate(name: str) -> float | None:
        return _num(cmds, name, "mib_s")

    rows = [
        Row("transfer", f"{size}: {label}", rate(name), "MiB/s")
        for name, label in TRANSFER_LABELS.items()
    ]
    comparisons = (
        ("sft_get", "python_ssl_file", Goal("≥ 0.9×", "ratio", ">=", 0.9)),
        ("sft_get", "openssl_www_file", Goal("≥ 1.0×", "ratio", ">=", 1.0)),
        ("sft_get", "raw_tcp_file", None),
        ("sft_eke_get", "sft_get", Goal("≥ 1.0×", "ratio", ">=", 1.0)),
        ("sft_eke_get", "python_ssl_file", None),
    )
    for name, anchor, goal in comparisons:
        rows.append(
            Row(
                "transfer",
                f"{size}: {TRANSFER_LABELS[name]}",
                rate(name),
                "MiB/s",
                TRANSFER_LABELS[anchor],
                rate(anchor),
                _ratio(rate(name), rate(anchor)),
                goal,
            )
        )
    for name in ("sft_get", "sft_eke_get"):
        for side in ("client", "server"):
            rows.append(
                Row(
                    "transfer",
                    f"{TRANSFER_LABELS[name]}: peak RSS, {side}",
                    _num(cmds, name, f"{side}_peak_rss_mib"),
                    "MiB",
                    goal=_RSS64,
                )
            )
    return rows


def transfer_cpu_table(results: Sequence[PartResult]) -> list[list[str]]:
    """Where the time goes, per transfer command (medians of the last ok transfer run):
    wall seconds, user/kernel CPU seconds per side, peak RSS per side."""
    ok = [r for r in results if r.part == "transfer" and r.status == "ok"]
    if not ok:
        return []
    cmds: dict[str, Any] = ok[-1].figures.get("commands", {})
    table = [
        [
            "command",
            "wall s",
            "client user s",
            "client kernel s",
            "server user s",
            "server kernel s",
            "client peak RSS MiB",
            "server peak RSS MiB",
        ]
    ]
    keys = (
        "seconds",
        "client_user_s",
        "client_sys_s",
        "server_user_s",
        "server_sys_s",
        "client_peak_rss_mib",
        "server_peak_rss_mib",
    )
    for name, label in TRANSFER_LABELS.items():
        if name in cmds and "skipped" not in cmds[name]:
            table.append([label] + [_fmt(_num(cmds, name, k)) for k in keys])
        elif name in cmds:
            table.append([label, f"skipped: {cmds[name]['skipped']}"] + [""] * (len(keys) - 1))
    return table


def _memory_rows(f: dict[str, Any]) -> list[Row]:
    rows = []
    for profile, server in (("eke", "EKE server"), ("pki", "PKI peer")):
        m = f.get(profile, {})
        n = m.get("connections", "?")
        burst = m.get("burst_clients", "?")
        rows += [
            Row(
                "memory",
                f"{server}: RSS per connection, {n} idle established (after one get each)",
                _num(m, "per_connection_mib"),
                "MiB",
                goal=Goal("≤ 2 MiB", "value", "<=", 2),
            ),
            Row("memory", f"{server}: RSS with no connection", _num(m, "rss_idle_mib"), "MiB"),
            Row(
                "memory",
                f"{server}: peak RSS, {burst} clients at once "
                f"({m.get('burst_gets_done', '?')} gets done, "
                f"{m.get('burst_refusals', '?')} refused or failed tries retried, "
                f"{m.get('burst_given_up', 0)} given up)",
                _num(m, "burst_peak_mib"),
                "MiB",
                goal=Goal("≤ 256 MiB", "value", "<=", 256),
            ),
        ]
    return rows


_FUZZ_CEILING = "honest handshakes/s (same run, same cores)"


def _fuzz_rows(f: dict[str, Any]) -> list[Row]:
    """Issue 17's goals: mutated sessions/s >= 70 % of the honest-handshake ceiling
    measured in the same run, and >= 10 requests per session, per profile and workers."""
    rows = []
    rates: dict[str, dict[str, float]] = f.get("sessions_per_s", {})
    requests: dict[str, dict[str, float]] = f.get("requests_per_s", {})
    ceilings: dict[str, dict[str, float]] = f.get("ceiling_per_s", {})
    for profile, by_workers in rates.items():
        for workers in sorted(by_workers, key=int):
            sessions = by_workers[workers]
            ceiling = ceilings.get(profile, {}).get(workers)
            per_s = requests.get(profile, {}).get(workers)
            label = f"{profile}: mutated sessions/s, {workers} worker(s)"
            if ceiling is None:  # an old fuzz.bench: no ceiling, nothing to judge against
                rows.append(Row("fuzz", label, sessions, "/s"))
                continue
            rows.append(
                Row(
                    "fuzz",
                    label,
                    sessions,
                    "/s",
                    _FUZZ_CEILING,
                    ceiling,
                    _ratio(sessions, ceiling),
                    Goal("≥ 0.70×", "ratio", ">=", 0.70),
                )
            )
            if per_s is not None:
                rows.append(
                    Row("fuzz", f"{profile}: mutated requests/s, {workers} worker(s)", per_s, "/s")
                )
                rows.append(
                    Row(
                        "fuzz",
                        f"{profile}: requests per mutated session, {workers} worker(s)",
                        round(per_s / sessions, 1) if sessions else None,
                        "",
                        goal=Goal("≥ 10", "value", ">=", 10),
                    )
                )
    return rows


def _capture_rows(f: dict[str, Any]) -> list[Row]:
    rows = []
    rss = Goal("≤ 256 MiB", "value", "<=", 256)
    floor_label = "tshark -q -Y tcp.len>0"
    for s in f.get("sizes", []):
        label = f"{s.get('transfer_mb')} MB transfer"
        floor_s = _num(s, "tshark_floor_s")
        floor = _num(s, "tshark_floor_mb_s")
        rows += [
            # the goal is on time: the check within 3× of tshark's floor
            Row(
                "capture",
                f"{label}: check time",
                _num(s, "check_s"),
                "s",
                floor_label,
                floor_s,
                _ratio(_num(s, "check_s"), floor_s),
                Goal("≤ 3×", "ratio", "<=", 3),
            ),
            Row(
                "capture",
                f"{label}: check throughput",
                _num(s, "check_mb_s"),
                "MB/s",
                floor_label,
                floor,
                _ratio(_num(s, "check_mb_s"), floor),
            ),
            Row(
                "capture",
                f"{label}: fast path (no tshark facts)",
                _num(s, "fast_path_mb_s"),
                "MB/s",
                floor_label,
                floor,
                _ratio(_num(s, "fast_path_mb_s"), floor),
            ),
            Row(
                "capture",
                f"{label}: peak RSS, check process",
                _num(s, "check", "peak_rss_mib"),
                "MiB",
                goal=rss,
            ),
            Row(
                "capture",
                f"{label}: peak RSS, its tshark children (upper bound)",
                _num(s, "check", "children_maxrss_mib_upper_bound"),
                "MiB",
                goal=rss,
            ),
        ]
    return rows


def rows_for(result: PartResult, size_bytes: int) -> list[Row]:
    """The summary rows of one run of one part (none when it did not succeed)."""
    if result.status != "ok":
        return []
    size = format_size(size_bytes)
    f = result.figures
    if result.part == "pki":
        return _pki_rows(f, size)
    if result.part == "eke":
        return _eke_rows(f, size)
    if result.part == "transfer":
        return _transfer_rows(f)
    if result.part == "memory":
        return _memory_rows(f)
    if result.part == "fuzz":
        return _fuzz_rows(f)
    return _capture_rows(f)


def _median(xs: Sequence[float | None]) -> float | None:
    got = [x for x in xs if x is not None]
    return float(statistics.median(got)) if got else None


def combine_runs(runs: Sequence[Sequence[Row]]) -> list[Row]:
    """Rows of several runs -> one row per (part, figure, anchor), medians, runs kept."""
    order: list[tuple[str, str, str]] = []
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for rows in runs:
        for row in rows:
            key = (row.part, row.figure, row.anchor)
            if key not in groups:
                order.append(key)
                groups[key] = []
            groups[key].append(row)
    combined = []
    for key in order:
        rows = groups[key]
        if len(rows) == 1:
            combined.append(rows[0])
            continue
        combined.append(
            replace(
                rows[0],
                value=_median([r.value for r in rows]),
                anchor_value=_median([r.anchor_value for r in rows]),
                ratio=_median([r.ratio for r in rows]),
                values=tuple(r.value for r in rows if r.value is not None),
            )
        )
    return combined


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "—"
    text = f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"
    return f"{text} {unit}".strip()


def _cells(row: Row) -> list[str]:
    value = _fmt(row.value, row.unit)
    if len(row.values) > 1:
        value += " (runs: " + ", ".join(_fmt(v) for v in row.values) + ")"
    anchor = f"{row.anchor} {_fmt(row.anchor_value, row.unit)}" if row.anchor else ""
    ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
    met = {True: "met", False: "MISSED", None: "—" if row.goal else ""}[row.met]
    return [row.part, row.figure, value, anchor, ratio, row.goal.text if row.goal else "", met]


_HEADER = ["part", "figure", "value", "anchor", "ratio", "goal", "met?"]


def render_text(rows: Sequence[Row], results: Sequence[PartResult]) -> str:
    """A fixed-width table, then one line per part that failed or was skipped."""
    table = [_HEADER] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADER))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += _notes(results)
    return "\n".join(lines)


def render_grid(table: Sequence[Sequence[str]], *, markdown: bool = False) -> str:
    """A header row and body rows as fixed-width text, or as a Markdown table."""
    if not table:
        return ""
    if markdown:
        lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table[1:]]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[Row], results: Sequence[PartResult]) -> str:
    """The same table in Markdown (for README.md's Performance section)."""

    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    lines += ["| " + " | ".join(esc(c) for c in _cells(r)) + " |" for r in rows]
    notes = _notes(results)
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines)


def _notes(results: Sequence[PartResult]) -> list[str]:
    seen = set()
    notes = []
    for r in results:
        if r.status != "ok" and (r.part, r.reason) not in seen:
            seen.add((r.part, r.reason))
            notes.append(f"{r.part}: {r.status}: {r.reason}")
    return notes


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    config, child = parse_args(argv)
    if child is not None:
        return _child_main(child, config)
    machine = _machine()
    _progress(
        f"parts {','.join(config.parts)}, size {format_size(config.size_bytes)}, "
        f"{config.runs} run(s), {machine['cpus']} CPU(s), "
        f"load {machine['load_average_1m']:.2f}"
    )
    results: list[PartResult] = []
    for i in range(config.runs):  # interleaved: run 1 of every part, then run 2...
        for part in config.parts:
            _progress(f"{part}: run {i + 1}/{config.runs} (timeout {config.timeout:.0f} s)")
            result = _run_part(part, config)
            results.append(result)
            detail = f": {result.reason}" if result.reason else ""
            _progress(f"{part}: {result.status} in {result.seconds:.1f} s{detail}")
    rows = combine_runs([rows_for(r, config.size_bytes) for r in results])
    machine["load_average_1m_end"] = os.getloadavg()[0]
    cpu = transfer_cpu_table(results)
    print(render_text(rows, results))
    if cpu:
        print()
        print(render_grid(cpu))
    if config.markdown:
        print()
        print(render_markdown(rows, results))
        if cpu:
            print()
            print(render_grid(cpu, markdown=True))
    if config.json_out is not None:
        config.json_out.write_text(
            json.dumps(
                {
                    "machine": machine,
                    "config": {
                        "size_bytes": config.size_bytes,
                        "parts": config.parts,
                        "runs": config.runs,
                        "pki_repeats": config.pki_repeats,
                        "fuzz_seconds": config.fuzz_seconds,
                        "capture_mb": config.capture_mb,
                        "transfer_size_bytes": config.transfer_size_bytes,
                        "transfer_repeats": config.transfer_repeats,
                        "memory_connections": config.memory_connections,
                        "memory_burst": config.memory_burst,
                    },
                    "results": [r.__dict__ for r in results],
                    "summary": [
                        {
                            **{h: c for h, c in zip(_HEADER, _cells(r), strict=True)},
                            "value_number": r.value,
                            "ratio_number": r.ratio,
                        }
                        for r in rows
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        _progress(f"wrote {config.json_out}")
    return 0 if all(r.status != "failed" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
