"""The audit's capture part: record an honest transfer with dumpcap, then check it.

    python -m audit.capture_part --profile eke --out DIR [target options as python -m fuzz]

Runs in a process of its own (pyshark fights a running event loop, and a recording
must never outlive its parent). It starts the embedded reference of the profile unless
a target is given, records the target's port on loopback while the conformance
toolkit gets one known file through the secure channel and says `BYE_`, then checks
the capture for every 16-byte window of that file's bytes (as received through the
channel, so this works for any target) and for each account's password.

Writes DIR/capture-PROFILE.{pcapng,json,md,html} and prints one summary line.
Exit codes as `sft capture check`: 0 clean, 1 leak, 2 incomplete or impossible.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from captures.checker import CheckConfig, check_capture
from captures.recorder import RecorderConfig, RecorderError, Recording, capture_unavailable_reason
from captures.reports import to_html, to_json, to_markdown
from captures.secrets import Secret
from conformance.target import KnownFile, Target, TargetConfigError
from conformance.wire import control, frame_bytes
from fuzz.__main__ import UsageError, add_target_options, build_target
from fuzz.cases import Case, Write
from fuzz.runner import RunConfig, SetupFailed, run_case

__all__ = ["main", "capture_transfer"]

# Large enough that the 16-byte window test means something (several DATA frames or
# records), small enough that one get stays well under a second on loopback.
_MAX_FILE = 4 * 1024 * 1024
_CHECKER_PROFILE = {"pki": "pki", "eke": "eke"}


class CapturePartError(Exception):
    """The capture could not be made (one line for the audit's report)."""


def _pick_file(target: Target) -> KnownFile:
    candidates = [f for f in target.files if 0 < f.size <= _MAX_FILE]
    if not candidates:
        raise CapturePartError(
            "no known file of 1 byte to 4 MiB in the target's share: "
            "list one under [files] in the target file"
        )
    return max(candidates, key=lambda f: f.size)


def _honest_get(target: Target, known: KnownFile, deadline: float) -> bytes:
    writes = (
        Write(frame_bytes("RQFL", control({"name": known.name}))),
        Write(frame_bytes("BYE_", b"{}")),
    )
    case = Case(target.profile, "channel", writes)  # type: ignore[arg-type]
    try:
        outcome = run_case(target, case, RunConfig(deadline=deadline))
    except SetupFailed as exc:
        raise CapturePartError(f"the honest session failed to set up: {exc}") from exc
    types = outcome.frame_types()
    if not types or types[0] != "RSFL":
        raise CapturePartError(
            f"the honest get of {known.name!r} was answered {outcome.signature()}"
        )
    data = b"".join(f.payload for f in outcome.frames if f.type == b"DATA")
    if hashlib.sha256(data).hexdigest() != known.sha256:
        raise CapturePartError(
            f"the honest get of {known.name!r} returned {len(data)} bytes that do not match "
            "its known SHA-256"
        )
    return data


def capture_transfer(target: Target, out: Path, deadline: float = 10.0) -> tuple[int, str]:
    """Record and check one honest get; returns (exit code, one-line summary)."""
    if target.profile not in _CHECKER_PROFILE:
        raise CapturePartError(f"no live capture for profile {target.profile}")
    reason = capture_unavailable_reason()
    if reason:
        raise CapturePartError(reason)
    known = _pick_file(target)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"capture-{target.profile}"
    pcap = stem.with_suffix(".pcapng")
    recording = Recording(RecorderConfig(ports=(target.port,), out=pcap))
    try:
        with recording:
            data = _honest_get(target, known, deadline)
    except RecorderError as exc:
        raise CapturePartError(str(exc)) from exc
    assert recording.result is not None
    secrets = [Secret(f"file {known.name}", data, is_file=True)]
    secrets += [Secret(f"password of {a.user}", a.password.encode()) for a in target.accounts]
    report = check_capture(
        CheckConfig(capture=pcap, secrets=tuple(secrets), profile=_CHECKER_PROFILE[target.profile],
                    expect_bytes=len(data))
    )
    stem.with_suffix(".json").write_text(to_json(report), encoding="utf-8")
    stem.with_suffix(".md").write_text(to_markdown(report), encoding="utf-8")
    stem.with_suffix(".html").write_text(to_html(report), encoding="utf-8")
    return report.exit_code, report.summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.capture_part", description=__doc__)
    add_target_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="directory for the reports")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sft-audit-capture-") as tmp:
        try:
            target = build_target(args, Path(tmp))
        except (UsageError, TargetConfigError) as exc:
            print(f"capture: {exc}", file=sys.stderr)
            return 2
        try:
            code, summary = capture_transfer(target, args.out, args.deadline)
        except CapturePartError as exc:
            print(f"capture: {exc}")
            return 2
        finally:
            target.stop()
    print(f"capture: {summary}")
    return code


if __name__ == "__main__":
    sys.exit(main())
