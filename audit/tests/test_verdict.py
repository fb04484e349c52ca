"""The audit's overall verdict and the CLI's mapping of options onto the parts."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from audit.cli import AuditUsageError, config_from_args, register
from audit.runner import _plan
from audit.verdict import EXIT_CODES, PartResult, id_order, overall_verdict


def _part(part: str, status: str, failed: tuple[str, ...] = ()) -> PartResult:
    return PartResult(part, "eke", status, "summary", failed_requirements=list(failed))


LEVELS = {"APP-1": "MUST", "APP-GET-3": "MUST", "LIM-1": "SHOULD", "EKE-HS-3": "MUST"}


@pytest.mark.parametrize(
    ("parts", "verdict"),
    [
        ([_part("conformance", "pass"), _part("fuzz", "pass"), _part("capture", "skipped")],
         "conformant"),
        ([_part("conformance", "findings", ("APP-1",))], "non-conformant"),
        ([_part("conformance", "findings", ("EKE-HS-3",))], "insecure"),
        ([_part("conformance", "findings", ("APP-GET-3",))], "insecure"),
        ([_part("conformance", "pass"), _part("fuzz", "findings")], "insecure"),
        ([_part("conformance", "pass"), _part("capture", "findings")], "insecure"),
        ([_part("conformance", "error")], "error"),
        # a part that could not run leaves a non-conformant target undecided ...
        ([_part("conformance", "findings", ("APP-1",)), _part("fuzz", "error")], "error"),
        # ... but nothing it could say would make a proven-insecure target secure
        ([_part("conformance", "findings", ("EKE-HS-3",)), _part("capture", "error")],
         "insecure"),
        # a failed SHOULD (only under --strict) is no MUST failure
        ([_part("conformance", "findings", ("LIM-1",))], "conformant"),
    ],
)
def test_overall_verdict(parts: list[PartResult], verdict: str) -> None:
    assert overall_verdict(parts, LEVELS) == verdict
    assert EXIT_CODES[verdict] == {"conformant": 0, "error": 2}.get(verdict, 1)


def test_requirement_ids_sort_by_number() -> None:
    ids = ["LEG-EKE-10", "LEG-EKE-2", "APP-GET-3", "LEG-EKE-1", "APP-1"]
    assert sorted(ids, key=id_order) == ["APP-1", "APP-GET-3", "LEG-EKE-1", "LEG-EKE-2",
                                         "LEG-EKE-10"]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["audit", *argv])


def test_default_is_the_embedded_reference_with_both_v1_profiles(tmp_path: Path) -> None:
    config = config_from_args(_args("--out", str(tmp_path)))
    assert config.embedded and config.profiles == ("pki", "eke")
    assert config.conformance_args == () and config.fuzz_args == ()
    assert [(part, profile) for part, profile, how in _plan(config) if not isinstance(how, str)] \
        == [("fuzz", "pki"), ("fuzz", "eke"), ("capture", "pki"), ("capture", "eke")]


def test_external_target_options_reach_each_part(tmp_path: Path) -> None:
    config = config_from_args(_args(
        "--target", "127.0.0.1:7000", "--profile", "eke", "--user", "alice",
        "--password-file", "a.pw", "--user", "bob", "--password-file", "b.pw",
        "--features", "get,put", "--only-req", "FRM-3", "--out", str(tmp_path)))
    assert not config.embedded and config.profiles == ("eke",)
    c = list(config.conformance_args)
    assert c[c.index("--target") + 1] == "127.0.0.1:7000"
    assert c[c.index("--profile") + 1] == "eke"
    assert c.count("--user") == 2 and "b.pw" in c and c[c.index("--only-req") + 1] == "FRM-3"
    f = list(config.fuzz_args)
    # the fuzzer and the capture get the same accounts (they use the first), and no
    # conformance-only option
    assert f == ["--target", "127.0.0.1:7000", "--user", "alice", "--user", "bob",
                 "--password-file", "a.pw", "--password-file", "b.pw"]


def test_a_pki_target_without_an_identity_skips_fuzz_and_capture_with_the_reason(
    tmp_path: Path,
) -> None:
    config = config_from_args(_args("--target", "127.0.0.1:7443", "--profile", "pki",
                                    "--root", "root.pem", "--out", str(tmp_path)))
    reasons = {part: how for part, _profile, how in _plan(config)}
    assert all(isinstance(how, str) and "--client-cert" in how for how in reasons.values())


@pytest.mark.parametrize("profile", ["pki-legacy", "eke-legacy"])
def test_legacy_profiles_run_every_part_with_no_manual_step(tmp_path: Path, profile: str) -> None:
    """A legacy deployment gets a fuzz campaign and a capture (after conformance, which
    always runs) like a v1 one: every part is a runner, none a pointer to a command the
    auditor must type."""
    config = config_from_args(_args("--profile", profile, "--out", str(tmp_path)))
    assert config.embedded and config.profiles == (profile,)
    plan = {part: how for part, _profile, how in _plan(config)}
    assert set(plan) == {"fuzz", "capture"}
    assert all(callable(how) for how in plan.values()), plan


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--target", "127.0.0.1:7000"), "--profile is required"),
        (("--user", "alice"), "one --password-file for each --user"),
        (("--fuzz-budget", "0"), "--fuzz-budget"),
    ],
)
def test_usage_errors_are_one_line(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(AuditUsageError, match=message):
        config_from_args(_args(*argv))


def test_a_part_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    """A hung part (here with a child of its own holding the output pipe) cannot hang
    the audit: its whole process group goes at the timeout."""
    import io
    import sys
    import time

    from audit.runner import _run

    hang = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
            "print('started', flush=True); time.sleep(120)")
    progress = io.StringIO()
    started = time.monotonic()
    run = _run([sys.executable, "-c", hang], "hang", progress, 2.0, tmp_path / "hang.log")
    assert run.timed_out and run.returncode != 0
    assert time.monotonic() - started < 30
    assert "[hang] started" in progress.getvalue()
    assert (tmp_path / "hang.log").read_text().splitlines()[-1] == "started"
