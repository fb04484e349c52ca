"""`sft audit`: run the three parts against a target and merge them into one verdict.

Each part is a subprocess of its own tool, so that one part's crash, hang or global
state (hypothesis, pyshark's event loop) cannot spoil another, and so that each can
also be run alone exactly as the audit ran it:

- conformance: ``python -m pytest conformance ... --report-dir OUT/conformance``;
- fuzz: ``python -m fuzz campaign --profile P --seconds BUDGET --json ...`` per profile
  (a legacy profile runs fuzz.legacy's bounded campaign, same JSON);
- capture: ``python -m audit.capture_part --profile P --out OUT/capture`` per profile
  (a legacy profile records the legacy client, --client-cmd or the embedded one, and
  checks the capture with the pki0|eke0 profile).

The audit only reads the parts' JSON reports (their documented schemas) and their exit
codes; it never re-judges what a part decided.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from audit.report import build_audit_report, write_report
from audit.verdict import EXIT_CODES, PartResult, id_order, overall_verdict
from sftkit.outcomes import TARGET_DOWN, RequirementVerdict
from sftkit.target_options import V1_PROFILES

__all__ = ["AuditConfig", "AuditOutcome", "run_audit", "V1_PROFILES"]

_REPO: Final = Path(__file__).resolve().parent.parent
_FAILING: Final = frozenset({"FAIL", "TIMEOUT"})


@dataclass(frozen=True)
class AuditConfig:
    """What to audit and how; validated by the CLI.

    `conformance_args` are the conformance suite's target options (``--target``,
    ``--profile``, ``--root`` ...); `fuzz_args` the subset the fuzzer and the capture
    part understand. Both are empty for the embedded reference.
    """

    out: Path
    profiles: tuple[str, ...] = V1_PROFILES
    embedded: bool = True
    address: str = ""
    conformance_args: tuple[str, ...] = ()
    fuzz_args: tuple[str, ...] = ()
    fuzz_budget: float = 20.0
    fuzz: bool = True
    capture: bool = True
    workers: int = 2
    strict: bool = False
    # Why fuzzing / capturing a pki target is impossible with the options given.
    pki_identity_missing: str = ""
    part_timeout: float = 1200.0
    python: str = field(default_factory=lambda: sys.executable)

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ValueError("no profile to audit")
        if self.fuzz_budget <= 0:
            raise ValueError("--fuzz-budget must be a positive number of seconds")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")


@dataclass
class AuditOutcome:
    verdict: str
    exit_code: int
    report: dict[str, Any]
    index: Path
    json_path: Path


@dataclass
class _Run:
    returncode: int
    tail: list[str]
    duration: float
    timed_out: bool


def _run(
    argv: Sequence[str], label: str, progress: TextIO, timeout: float, log: Path
) -> _Run:
    """Run one part, echoing its output to `progress` (prefixed) and to `log`."""
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    tail: list[str] = []
    with log.open("w", encoding="utf-8") as sink:
        sink.write("$ " + shlex.join(argv) + "\n")
        proc = subprocess.Popen(
            list(argv),
            cwd=_REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            # Its own process group: a part's children (xdist workers, the embedded
            # servers) share its stdout, so killing the part alone would leave this
            # loop waiting for them.
            start_new_session=True,
        )
        timer = threading.Timer(timeout, _kill_group, (proc,))
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                sink.write(line)
                stripped = line.rstrip()
                if stripped:
                    tail = [*tail[-19:], stripped]
                    progress.write(f"  [{label}] {stripped}\n")
                    progress.flush()
            proc.wait()
        finally:
            timed_out = not timer.is_alive() and proc.returncode != 0
            timer.cancel()
            _kill_group(proc)  # whatever the part left behind (or all of it, on ^C)
            proc.wait()
    return _Run(proc.returncode, tail, time.monotonic() - started, timed_out)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _last(run: _Run) -> str:
    return run.tail[-1] if run.tail else "no output"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- conformance -------------------------------------------------------------------


def _conformance(config: AuditConfig, progress: TextIO) -> tuple[PartResult, list[dict[str, Any]]]:
    report_dir = config.out / "conformance"
    report_path = report_dir / "conformance.json"
    report_path.unlink(missing_ok=True)
    # The toolkit's self-tests (mutants, independent implementations) judge the kit, not
    # the target: not collected (thousands of items, seconds of CPU per worker).
    argv = [
        config.python, "-m", "pytest", "conformance", "--ignore=conformance/selftest", "-q",
        "-p", "no:cacheprovider", "--report-dir", str(report_dir),
    ]
    if config.workers > 1:
        argv += ["-n", str(config.workers), "--dist", "loadgroup"]
    if config.strict:
        argv.append("--strict")
    argv += config.conformance_args
    profile = "+".join(config.profiles)
    log = config.out / "logs" / "conformance.log"
    run = _run(argv, "conformance", progress, config.part_timeout, log)
    links = {"conformance.html": "conformance/conformance.html",
             "conformance.json": "conformance/conformance.json",
             "log": "logs/conformance.log"}
    report = _read_json(report_path)
    if run.timed_out:
        return PartResult("conformance", profile, "error",
                          f"did not finish within {config.part_timeout:.0f} s",
                          links, duration_s=run.duration), []
    if report is None or run.returncode not in (0, 1):
        why = f"pytest exited {run.returncode}: {_last(run)}"
        return PartResult("conformance", profile, "error", why, links,
                          duration_s=run.duration), []
    summary = report.get("summary", {})
    # Only requirements some case judged count as tested (not skipped, not unsupported,
    # not cited by another profile's cases: conformance/report.py decides `tested`).
    # ERROR ones too: the harness could not judge them, which the audit must say.
    requirements = [
        r for r in report.get("requirements", [])
        if r.get("applicable")
        and (r.get("tested", _judged(r.get("verdict"))) or r.get("verdict") == "ERROR")
    ]
    rows = [
        {"id": r["id"], "profile": _profile_of(r["id"]),
         "level": r.get("level", ""), "verdict": r["verdict"], "text": r.get("text", ""),
         "tests": r.get("tests", [])}
        for r in requirements
    ]
    failing = set(_FAILING) | ({"NON-STRICT"} if config.strict else set())
    failed = sorted((r["id"] for r in requirements if r["verdict"] in failing), key=id_order)
    errored = sorted((r["id"] for r in requirements if r["verdict"] == "ERROR"), key=id_order)
    cases = summary.get("cases", {})
    counts = ", ".join(f"{n} {v}" for v, n in cases.items() if n)
    tested = len([r for r in requirements if r.get("verdict") != "ERROR"])
    text = f"{tested} requirements tested ({counts} cases)"
    findings = [_evidence(report, rid) for rid in failed]
    findings += [f"{rid}: harness error: {_evidence(report, rid, 'ERROR')}" for rid in errored]
    target_down = False
    if not summary.get("sanity_ok", False):
        # Every case is then a harness error; listing them would bury the one line
        # that matters.
        status, text = "error", f"{TARGET_DOWN}: " + _sanity_detail(report)
        findings = []
        target_down = True
    elif failed:
        status = "findings"
        text += f"; {len(failed)} failed: {' '.join(failed)}"
    elif errored or summary.get("unexpected"):
        status = "error"
        text += f"; {len(errored)} could not be tested (harness errors)"
    else:
        status = "pass"
    inconclusive = sorted(
        (r["id"] for r in requirements if r["verdict"] == "INCONCLUSIVE"), key=id_order
    )
    if inconclusive and not target_down:
        # Shown apart: a measurement that could not decide is neither PASS nor a finding.
        text += f"; INCONCLUSIVE (resolution not reached): {' '.join(inconclusive)}"
    part = PartResult("conformance", profile, status, text, links, failed, findings,
                      {"summary": summary, "coverage": report.get("coverage", {})},
                      run.duration, target_down=target_down)
    return part, rows


def _judged(verdict: object) -> bool:
    """For a report without the `tested` field: a verdict some case reached."""
    try:
        return RequirementVerdict(str(verdict)).tested
    except ValueError:
        return False


def _profile_of(rid: str) -> str:
    if rid.startswith(("PKI-", "CA-")):
        return "pki"
    if rid.startswith("EKE-"):
        return "eke"
    if rid.startswith("LEG-"):
        return "legacy"
    return "all"


def _evidence(report: dict[str, Any], rid: str, verdict: str | None = None) -> str:
    for case in report.get("cases", []):
        if rid in case.get("requirements", []) and case.get("verdict") in (
            {verdict} if verdict else _FAILING
        ):
            message = str(case.get("message", "")).strip().splitlines()
            first = message[0] if message else ""
            if verdict is not None:
                return first[:300]
            head = first if first.startswith(rid) else f"{rid}: {first}"
            return f"{head[:300]} ({case.get('nodeid', '')})"
    return rid


def _sanity_detail(report: dict[str, Any]) -> str:
    details = []
    for profile, checks in report.get("sanity", {}).items():
        for when, check in checks.items():
            if not check.get("ok", False):
                details.append(f"{profile} ({when}): {check.get('detail', '')}")
    return "; ".join(details) or "the sanity conversation did not run"


# --- fuzz --------------------------------------------------------------------------


def _fuzz(config: AuditConfig, profile: str, progress: TextIO) -> PartResult:
    out = config.out / "fuzz"
    json_path = out / f"fuzz-{profile}.json"
    json_path.unlink(missing_ok=True)
    argv = [
        config.python, "-m", "fuzz", "campaign", "--profile", profile,
        "--seconds", str(config.fuzz_budget), "--examples", "1000000",
        "--findings", str(out / f"findings-{profile}"), "--json", str(json_path),
        *config.fuzz_args,
    ]
    log = config.out / "logs" / f"fuzz-{profile}.log"
    timeout = config.fuzz_budget * 4 + 180
    run = _run(argv, f"fuzz {profile}", progress, timeout, log)
    links = {"fuzz.json": f"fuzz/fuzz-{profile}.json", "log": f"logs/fuzz-{profile}.log"}
    doc = _read_json(json_path)
    if run.timed_out:
        return PartResult("fuzz", profile, "error", f"did not finish within {timeout:.0f} s",
                          links, duration_s=run.duration)
    if doc is None:
        return PartResult("fuzz", profile, "error",
                          f"the campaign did not run (exit {run.returncode}): {_last(run)}",
                          links, duration_s=run.duration)
    text = (
        f"{doc['sessions']} mutated sessions ({doc['sessions_per_s']}/s, seed {doc['seed']}), "
        + (
            f"{doc['requests']} requests ({doc['requests_per_s']}/s), "
            if "requests" in doc
            else ""
        )
        + f"{doc['distinct_responses']} distinct responses"
    )
    failure = str(doc.get("failure") or "")
    if doc.get("target_down"):
        return PartResult("fuzz", profile, "error", failure.splitlines()[0], links, data=doc,
                          duration_s=run.duration)
    findings = [line for line in failure.splitlines()[:3] if line.strip()]
    findings += [f"resources: {r}" for r in doc.get("resource_findings", [])]
    if doc.get("saved_case"):
        findings.append(
            f"shrunk case saved: {doc['saved_case']} "
            f"(replay: python -m fuzz replay {doc['saved_case']})"
        )
    status = "pass" if doc.get("ok") else "findings"
    if status == "findings":
        text += "; the target broke an oracle"
    # The oracles' requirement IDs (e.g. EKE-SEC-2: file bytes in clear on the wire).
    failed = sorted(map(str, doc.get("violations") or {}), key=id_order)
    return PartResult("fuzz", profile, status, text, links, failed, findings, doc, run.duration)


# --- capture -----------------------------------------------------------------------


def _capture(config: AuditConfig, profile: str, progress: TextIO) -> PartResult:
    from captures.recorder import capture_unavailable_reason

    links = {"capture.html": f"capture/capture-{profile}.html",
             "capture.json": f"capture/capture-{profile}.json",
             "pcapng": f"capture/capture-{profile}.pcapng",
             "log": f"logs/capture-{profile}.log"}
    reason = capture_unavailable_reason()
    if reason:
        return PartResult("capture", profile, "skipped", reason)
    json_path = config.out / "capture" / f"capture-{profile}.json"
    json_path.unlink(missing_ok=True)
    argv = [
        config.python, "-m", "audit.capture_part", "--profile", profile,
        "--out", str(config.out / "capture"), *config.fuzz_args,
    ]
    run = _run(argv, f"capture {profile}", progress, 300.0,
               config.out / "logs" / f"capture-{profile}.log")
    doc = _read_json(json_path)
    if doc is None:
        return PartResult("capture", profile, "error", _last(run).removeprefix("capture: "),
                          {"log": links["log"]}, duration_s=run.duration)
    leaks = [f for f in doc.get("findings", []) if f.get("severity") == "leak"]
    # Each finding names the requirements it is evidence against (captures.checker).
    findings = [
        (f"{' / '.join(f['requirements'])}: " if f.get("requirements") else "")
        + str(f.get("message", ""))
        for f in leaks
    ]
    failed = sorted({str(r) for f in leaks for r in f.get("requirements", [])}, key=id_order)
    versions = [str(f.get("message", "")) for f in doc.get("findings", [])
                if f.get("kind") == "version"]
    status = {"clean": "pass", "leak": "findings"}.get(str(doc.get("verdict")), "error")
    return PartResult("capture", profile, status, str(doc.get("summary", "")), links, failed,
                      findings + [f"info: {v}" for v in versions],
                      {"verdict": doc.get("verdict"), "facts": doc.get("facts", {}),
                       "versions": versions},
                      run.duration)


# --- the audit ---------------------------------------------------------------------


_PartRunner = Callable[[AuditConfig, str, TextIO], PartResult]


def _plan(config: AuditConfig) -> list[tuple[str, str, _PartRunner | str]]:
    """(part, profile, the part's runner or why it is skipped), in running order."""
    plan: list[tuple[str, str, _PartRunner | str]] = []
    runners: tuple[tuple[str, bool, _PartRunner], ...] = (
        ("fuzz", config.fuzz, _fuzz),
        ("capture", config.capture, _capture),
    )
    for part, wanted, runner in runners:
        for profile in config.profiles:
            how: _PartRunner | str = runner
            if not wanted:
                how = f"--no-{part} given"
            elif profile == "pki" and config.pki_identity_missing:
                how = config.pki_identity_missing
            plan.append((part, profile, how))
    return plan


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("sft-kit", "pytest", "hypothesis", "pycryptodome", "cryptography", "pyshark"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def _unreachable(address: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at HOST:PORT (None: it accepts connections, or `address` is
    a target file, whose parts find the address themselves)."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return None
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def run_audit(config: AuditConfig, progress: TextIO = sys.stderr) -> AuditOutcome:
    started = time.monotonic()
    config.out.mkdir(parents=True, exist_ok=True)
    parts: list[PartResult] = []
    progress.write(f"sft audit: conformance ({'+'.join(config.profiles)})\n")
    # A legacy target may serve ONE connection and exit (the seeds' servers do): probing
    # it would spend the session the conformance part needs, so only v1 targets are probed.
    one_shot_possible = any(profile.endswith("-legacy") for profile in config.profiles)
    unreachable = (
        None if config.embedded or one_shot_possible else _unreachable(config.address)
    )
    if unreachable is not None:
        # Nothing answers at the address: running every case only to see each one
        # fail to connect would print hundreds of lines before the one that matters.
        conformance = PartResult(
            "conformance", "+".join(config.profiles), "error",
            f"{TARGET_DOWN}: {config.address}: {unreachable}", target_down=True,
        )
        requirements: list[dict[str, Any]] = []
    else:
        conformance, requirements = _conformance(config, progress)
    parts.append(conformance)
    progress.write(f"sft audit: conformance {conformance.status}: {conformance.summary}\n")
    down = conformance.target_down
    for part, profile, how in _plan(config):
        if down and not isinstance(how, str):
            how = "not run: the target is down or misconfigured (see conformance)"
        if isinstance(how, str):
            result = PartResult(part, profile, "skipped", how)
        else:
            progress.write(f"sft audit: {part} ({profile})\n")
            result = how(config, profile, progress)
        progress.write(f"sft audit: {part} {profile} {result.status}: {result.summary}\n")
        parts.append(result)
    levels = {str(r["id"]): str(r["level"]) for r in requirements}
    verdict = overall_verdict(parts, levels)
    description = (
        "embedded reference, started by the audit on 127.0.0.1 (ephemeral ports)"
        if config.embedded
        else config.address
    )
    report = build_audit_report(
        verdict=verdict,
        targets=[{"profile": p, "description": description} for p in config.profiles],
        parts=parts,
        requirements=requirements,
        generated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=time.monotonic() - started,
        versions=_versions(),
    )
    index, json_path = write_report(report, config.out)
    return AuditOutcome(verdict, EXIT_CODES[verdict], report, index, json_path)
