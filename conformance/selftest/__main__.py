"""`python -m conformance.selftest`: plant every mutant, run the suite against each, check
that a separately started reference gets the embedded run's verdicts, and print the
detection rate and the parity (also written to <report dir>/selftest/summary.md).

Extra arguments go to pytest (e.g. `-n 2`, `--report-dir /tmp/r`: default `reports/`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conformance.selftest.mutants import MUTANTS

__all__ = ["main", "summarise"]

_HERE = Path(__file__).resolve().parent


def summarise(directory: Path) -> tuple[str, int, int]:
    """A Markdown table of the results in `directory`; (text, detected, planted)."""
    rows = []
    detected = 0
    planted = 0
    for mutant in MUTANTS:
        path = directory / f"{mutant.name}.json"
        if not path.is_file():
            continue
        result = json.loads(path.read_text())
        planted += 1
        detected += bool(result["detected"])
        evidence = (result["evidence"].strip().splitlines() or [""])[0][:110]
        rows.append(
            f"| {mutant.group} | `{mutant.name}` | {mutant.requirement} | "
            f"{'**detected**' if result['detected'] else 'MISSED'} | {evidence.replace('|', '/')} |"
        )
    rate = f"{detected}/{planted}" + (f" ({100 * detected / planted:.0f} %)" if planted else "")
    head = [
        f"Mutant detection rate: {rate}",
        "",
        "| group | mutant | requirement | result | first line of the evidence |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(head + rows + _parity(directory)) + "\n", detected, planted


def _parity(directory: Path) -> list[str]:
    """Lines on the external-vs-embedded runs (test_parity.py), if they ran."""
    lines = []
    for path in sorted(directory.glob("parity-*.json")):
        result = json.loads(path.read_text())
        differences = result["differences"]
        found = "; ".join(
            f"{req} external {d['external']} / embedded {d['embedded']}"
            for req, d in differences.items()
        )
        lines.append(
            f"- {result['profile']}: {result['compared']} applicable requirements compared "
            f"({result['tested']} tested), "
            + (f"**{len(differences)} differ**: {found}" if differences else "same verdicts")
        )
    if lines:
        lines = ["", "External target (--target-config) against the embedded default:", *lines]
    return lines


def _report_dir(args: list[str]) -> Path:
    """The `--report-dir` given for pytest (its last occurrence), else reports/."""
    found = "reports"
    for i, arg in enumerate(args):
        if arg == "--report-dir" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--report-dir="):
            found = arg.partition("=")[2]
    return Path(found)


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    out = _report_dir(extra) / "selftest"
    for old in out.glob("*.json") if out.is_dir() else []:
        old.unlink()
    env = dict(os.environ, SFT_SELFTEST="all")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(_HERE), "-q", "-p", "no:cacheprovider", *extra],
        env=env,
        check=False,
    )
    text, detected, planted = summarise(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(text)
    print(text)
    return 0 if run.returncode == 0 and detected == planted == len(MUTANTS) else 1


if __name__ == "__main__":
    sys.exit(main())
