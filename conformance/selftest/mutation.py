"""A mechanical mutation run of the reference's security-critical modules, judged by the
conformance suite: `python -m conformance.selftest.mutation` (or `tox -e mutation`).

The hand-written mutants (conformance/selftest/mutants*.py) are bugs we thought of; this
run lets cosmic-ray plant the ones we did not (a flipped comparison, a dropped `not`, an
off-by-one constant, a `break` for a `continue`) and asks the suite, run as a user runs it
against the embedded reference, whether it notices. A surviving mutant that is not
equivalent is a case to write.

Why cosmic-ray (not mutmut): the suite drives the reference in a SUBPROCESS it starts
itself. cosmic-ray mutates the source file on disk and runs an arbitrary test command, so
the server process imports the mutated code; mutmut's in-process trampolines would not
reach it. Because cosmic-ray edits files in place, the run works on a COPY of the tree
(`<work>/tree`), never on the checkout, and the copy is first on PYTHONPATH so that the
suite's `python -m reference` loads the copy (checked before any mutant runs).

Bounded and resumable: each module group is one cosmic-ray session (`<work>/<group>.sqlite`);
a seeded sample of `--per-module` mutants per module is kept and the rest marked skipped;
`--seconds` bounds the whole run (a session interrupted at the bound resumes where it
stopped on the next run with the same `--work`). The report (`<report>/mutation/summary.md`
and `summary.json`) gives the score per module and every survivor with its diff.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GROUPS", "ModuleGroup", "main"]

_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ModuleGroup:
    """Modules mutated together, and the part of the suite that judges them (the case
    files that exercise those modules, with the profile: a whole-suite run per mutant
    would cost minutes)."""

    name: str
    modules: tuple[str, ...]
    suite_args: tuple[str, ...]


# The security-critical modules: whatever decides what is accepted, refused, derived,
# counted or stored. The CLIs, logging and benchmarks are left out on purpose.
GROUPS: tuple[ModuleGroup, ...] = (
    ModuleGroup(
        "eke",
        (
            "reference/eke/crypto.py",
            "reference/eke/handshake.py",
            "reference/eke/throttle.py",
            "reference/eke/records.py",
        ),
        (
            "conformance/test_eke_handshake.py",
            "conformance/test_eke_records.py",
            "conformance/test_eke_throttling.py",
            # The reference's client shares handshake.py and records.py with its server.
            "conformance/test_eke_client.py",
            "--profile",
            "eke",
        ),
    ),
    ModuleGroup(
        "app",
        ("reference/app.py", "reference/share.py", "reference/frames.py"),
        (
            "conformance/test_app_get.py",
            "conformance/test_app_put.py",
            "conformance/test_app_names.py",
            "conformance/test_app_names_controls.py",
            "conformance/test_framing.py",
            "conformance/test_limits.py",
            "conformance/test_app_integrity.py",
            # Both profiles: the plaintext frame decoder (frames.py) is the pki channel's;
            # the eke records carry frames their own way (a mechanical run with eke alone
            # let a FrameDecoder that refuses every limit survive).
        ),
    ),
    ModuleGroup(
        "pki",
        ("reference/pki/tls.py", "reference/pki/peer.py", "reference/pki/ca.py"),
        (
            "conformance/test_pki_tls.py",
            "conformance/test_pki_certs.py",
            "conformance/test_pki_identity.py",
            "conformance/test_ca.py",
            "conformance/test_ca_csr.py",
            "conformance/test_pki_hardening.py",
            # peer.py's admission (LIM-4, LIM-8, LIM-9): without it a responder that
            # crashed at its first refused connection survived the pki group.
            "conformance/test_limits.py",
            "--profile",
            "pki",
        ),
    ),
)


# Operators whose mutants are almost all equivalent here or only make the code slower
# (numbers in log text, string constants), kept out so the sample is spent on decisions.
_EXCLUDED_OPERATORS = (
    "core/NumberReplacer",
    "core/ReplaceBinaryOperator_Pow_.*",
    "core/RemoveDecorator",
)


def _copy_tree(dest: Path) -> None:
    """The checkout's tracked files (as they are now, uncommitted edits included)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=_ROOT,
        check=True,
        capture_output=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = _ROOT / name
        if not source.is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Sources are mutated in place: conformance/conftest.py must not turn bytecode back on.
    env["SFT_BYTECODE_CACHE"] = "0"
    # The self-tests and the opt-in families must not recurse into the judged run.
    for name in ("SFT_SELFTEST", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER"):
        env.pop(name, None)
    return env


# cosmic-ray's commands are console scripts; run them with THIS interpreter (its tox env).
_ENTRY = "import sys; from {module} import main; sys.exit(main(sys.argv[1:]))"


def _check_imports_copy(tree: Path, env: dict[str, str]) -> None:
    """The judged suite must load the COPY of the reference, or every mutant survives."""
    out = subprocess.run(
        [sys.executable, "-c", "import reference, conformance; print(reference.__file__)"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(out).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"mutation: the suite would import {out}, not the copy in {tree}")


def _suite_command(group: ModuleGroup, report_dir: Path) -> str:
    return " ".join(
        [
            f'"{sys.executable}"',
            "-m pytest -x -q -n 2 --dist loadgroup --no-rerun",
            "-p no:cacheprovider",
            f'--report-dir "{report_dir}"',
            *group.suite_args,
        ]
    )


def _baseline(group: ModuleGroup, tree: Path, env: dict[str, str], work: Path) -> str | None:
    """The judged suite on the UNMUTATED copy: it must pass, or every mutant would count
    as killed. Returns the failure's tail, or None when it passed."""
    run = subprocess.run(
        shlex.split(_suite_command(group, work / "baseline-reports")),
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return None if run.returncode == 0 else (run.stdout + run.stderr)[-2000:]


def _config(group: ModuleGroup, timeout: float, report_dir: Path) -> str:
    suite = _suite_command(group, report_dir)
    modules = ", ".join(json.dumps(m) for m in group.modules)
    excluded = ", ".join(json.dumps(o) for o in _EXCLUDED_OPERATORS)
    return (
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(suite)}\n\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n\n'
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{excluded}]\n"
    )


def _cosmic_ray(*args: str, cwd: Path, env: dict[str, str], timeout: float | None) -> int:
    cmd = [sys.executable, "-c", _ENTRY.format(module="cosmic_ray.cli"), *args]
    try:
        return subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        return -1


def _annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where a module's type annotations are: under `from __future__ import annotations`
    they are never evaluated, so a mutant there is equivalent by construction."""
    tree = ast.parse(path.read_text())
    nodes: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            nodes.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            nodes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            nodes.append(node.annotation)
    return [
        ((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in nodes
    ]


def _in_annotation(spans: list[tuple[tuple[int, int], tuple[int, int]]], pos: Any) -> bool:
    where = (int(pos[0]), int(pos[1]))
    return any(start <= where < end for start, end in spans)


def _sample(session: Path, per_module: int, seed: int, tree: Path) -> None:
    """Keep `per_module` seeded random mutants of each module; mark the rest skipped
    (and every mutant of a type annotation: equivalent, see `_annotation_spans`)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), mode=WorkDB.Mode.open) as db:
        by_module: dict[str, list[str]] = {}
        spans: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
        equivalent: list[str] = []
        for item in db.pending_work_items:
            module = str(item.mutations[0].module_path) if item.mutations else "?"
            if module not in spans:
                spans[module] = _annotation_spans(tree / module) if item.mutations else []
            if item.mutations and _in_annotation(spans[module], item.mutations[0].start_pos):
                equivalent.append(item.job_id)
                continue
            by_module.setdefault(module, []).append(item.job_id)
        if equivalent:
            db.set_multiple_results(equivalent, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        rng = random.Random(seed)
        skipped: list[str] = []
        for jobs in by_module.values():
            jobs.sort()
            keep = set(rng.sample(jobs, min(per_module, len(jobs))))
            skipped += [j for j in jobs if j not in keep]
        if skipped:
            db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


def _results(session: Path) -> list[dict[str, Any]]:
    from cosmic_ray.work_db import WorkDB, use_db

    rows: list[dict[str, Any]] = []
    with use_db(str(session), mode=WorkDB.Mode.open) as db:
        results = dict(db.results)
        for item in db.work_items:
            result = results.get(item.job_id)
            mutation = item.mutations[0]
            outcome = "pending"
            if result is not None:
                if result.worker_outcome.value == "skipped":
                    continue
                outcome = (result.test_outcome or result.worker_outcome).value
            rows.append(
                {
                    "module": str(mutation.module_path),
                    "operator": mutation.operator_name,
                    "occurrence": mutation.occurrence,
                    "line": mutation.start_pos[0],
                    "outcome": outcome,
                    "diff": (result.diff or "") if result is not None else "",
                }
            )
    return rows


def _summary(rows: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    per_module: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = per_module.setdefault(row["module"], {})
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    lines = [
        "# Mechanical mutation run (cosmic-ray), judged by the conformance suite",
        "",
        "| module | sampled | killed | survived | incompetent | pending | score |",
        "|---|---|---|---|---|---|---|",
    ]
    total_killed = total_judged = 0
    for module, counts in sorted(per_module.items()):
        killed = counts.get("killed", 0)
        survived = counts.get("survived", 0)
        judged = killed + survived
        total_killed += killed
        total_judged += judged
        score = f"{100 * killed / judged:.0f} %" if judged else "-"
        lines.append(
            f"| {module} | {sum(counts.values())} | {killed} | {survived} | "
            f"{counts.get('incompetent', 0)} | {counts.get('pending', 0)} | {score} |"
        )
    overall = f"{100 * total_killed / total_judged:.0f} %" if total_judged else "-"
    lines += ["", f"Score: {total_killed}/{total_judged} killed ({overall}).", ""]
    survivors = [r for r in rows if r["outcome"] == "survived"]
    if survivors:
        lines += ["## Survivors (triage: equivalent, or a case to write)", ""]
        for row in survivors:
            lines += [
                f"### {row['module']}:{row['line']} {row['operator']} #{row['occurrence']}",
                "",
                "```diff",
                row["diff"].strip(),
                "```",
                "",
            ]
    data = {"per_module": per_module, "killed": total_killed, "judged": total_judged}
    return "\n".join(lines), data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.selftest.mutation")
    parser.add_argument("--work", type=Path, default=_ROOT / ".mutation", help="sessions + copy")
    parser.add_argument("--report-dir", type=Path, default=_ROOT / "reports")
    parser.add_argument("--group", action="append", choices=[g.name for g in GROUPS])
    parser.add_argument("--per-module", type=int, default=8, help="mutants sampled per module")
    parser.add_argument("--seconds", type=float, default=2400.0, help="bound on the whole run")
    parser.add_argument("--timeout", type=float, default=240.0, help="per mutant's suite run")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--fresh", action="store_true", help="new copy and sessions")
    args = parser.parse_args(argv)

    deadline = time.monotonic() + args.seconds
    work: Path = args.work.resolve()
    tree = work / "tree"
    if args.fresh and work.exists():
        shutil.rmtree(work)
    if not tree.is_dir():
        tree.mkdir(parents=True)
        _copy_tree(tree)
    env = _environment(tree)
    _check_imports_copy(tree, env)
    groups = [g for g in GROUPS if not args.group or g.name in args.group]
    for group in groups:
        config = work / f"{group.name}.toml"
        session = work / f"{group.name}.sqlite"
        config.write_text(_config(group, args.timeout, work / "judged-reports"))
        if not session.exists():
            failure = _baseline(group, tree, env, work)
            if failure is not None:
                print(
                    f"mutation: the unmutated {group.name} suite fails; fix that first:\n{failure}",
                    file=sys.stderr,
                )
                return 2
            if _cosmic_ray("init", str(config), str(session), cwd=tree, env=env, timeout=300):
                print(f"mutation: cosmic-ray init failed for {group.name}", file=sys.stderr)
                return 2
            _apply_filter(session, config, tree, env)
            _sample(session, args.per_module, args.seed, tree)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(f"mutation: time bound reached before {group.name}; rerun to resume")
            break
        code = _cosmic_ray("exec", str(config), str(session), cwd=tree, env=env, timeout=remaining)
        if code == -1:
            print(f"mutation: time bound reached in {group.name}; rerun to resume")
            break
    rows: list[dict[str, Any]] = []
    for group in groups:
        session = work / f"{group.name}.sqlite"
        if session.exists():
            rows += _results(session)
    text, data = _summary(rows)
    out = args.report_dir / "mutation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(text)
    (out / "summary.json").write_text(json.dumps({**data, "rows": rows}, indent=1) + "\n")
    print(text.split("## Survivors")[0])
    print(f"report: {out / 'summary.md'}")
    return 0


def _apply_filter(session: Path, config: Path, tree: Path, env: dict[str, str]) -> None:
    """cosmic-ray's own filters: excluded operators and `# pragma: no mutate` lines."""
    filters = ("operators_filter", "pragma_no_mutate")
    for tool in (f"cosmic_ray.tools.filters.{name}" for name in filters):
        args = [sys.executable, "-c", _ENTRY.format(module=tool), str(session)]
        if tool.endswith("operators_filter"):
            args.append(str(config))
        subprocess.run(args, cwd=tree, env=env, check=False)


if __name__ == "__main__":
    sys.exit(main())
