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
import shlex
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from sftkit.client_run import run_client
from sftkit.target_options import TargetOptions, client_launch

__all__ = ["main", "capture_transfer", "capture_legacy"]

# Large enough that the 16-byte window test means something (several DATA frames or
# records), small enough that one get stays well under a second on loopback.
_MAX_FILE = 4 * 1024 * 1024
_CHECKER_PROFILE = {"pki": "pki", "eke": "eke"}
_LEGACY_CHECKER = {"pki-legacy": "pki0", "eke-legacy": "eke0"}


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


# --- legacy targets: record a legacy client talking to the target -----------------------


@dataclass
class _LegacySetup:
    profile: str  # pki-legacy | eke-legacy
    host: str
    port: int
    ports: tuple[int, ...]
    secrets: list[Secret]
    # (argv template, stdin template, success rule) of the legacy client, if one is known
    client: tuple[list[str], str | None, str] | None
    values: dict[str, str]
    # pki: (root PEM, CA URL, ALIAS:PASSWORDFILE, root key PEM) to make an identity with
    enrolment: tuple[bytes, str | None, str | None, bytes | None] | None = None
    password: str = ""
    user: str = ""
    stop: Callable[[], None] = lambda: None


def _legacy_setup(args: argparse.Namespace, workdir: Path) -> _LegacySetup:
    from conformance.legacy.embedded import start_eke_legacy, start_pki_legacy
    from sftkit.hostport import parse_hostport
    from sftkit.password_file import read_password_file

    options = TargetOptions.from_values(args)
    profile = options.chosen_profile() or ""
    out = str(workdir / "received.bin")
    given = (
        (shlex.split(options.client_cmd), options.client_stdin, options.client_success or "exit")
        if options.client_cmd else None
    )
    if profile == "eke-legacy":
        if options.target:
            host, port = parse_hostport(options.target)
            if not (options.user and options.password_file):
                raise CapturePartError("eke-legacy capture needs --user U --password-file F")
            user, pwfile = options.user[0], options.password_file[0]
            password = read_password_file(pwfile)
            stop: Callable[[], None] = lambda: None  # noqa: E731
        else:
            eke = start_eke_legacy(workdir)
            host, port, user, password, stop = eke.host, eke.port, eke.user, eke.password, eke.stop
            pwfile = str(workdir / "eke.pw")
            if given is None and eke.client_cmd:
                given = (eke.client_cmd, None, "exit")
        values = {"host": host, "port": str(port), "user": user, "password_file": pwfile,
                  "out": out, "name": "", "alias": ""}
        return _LegacySetup(profile, host, port, (port,),
                            [Secret(f"password of {user}", password.encode())], given, values,
                            password=password, user=user, stop=stop)
    if options.target:
        host, port = parse_hostport(options.target)
        if not options.root:
            raise CapturePartError("pki-legacy capture needs the organisation root (--root)")
        root = Path(options.root).read_bytes()
        enrol = options.enroll[0] if options.enroll else None
        ca_key = Path(options.ca_key).read_bytes() if options.ca_key else None
        ca_url = options.ca_url
        name, alias = "report.bin", ""
        stop = lambda: None  # noqa: E731
    else:
        pki = start_pki_legacy(workdir)
        assert pki.root is not None and pki.enroll is not None
        host, port, stop, ca_url, ca_key = pki.host, pki.port, pki.stop, pki.ca_url, None
        root = pki.root.read_bytes()
        pwfile_path = workdir / "enrol.password"
        pwfile_path.touch(mode=0o600)
        pwfile_path.write_text(pki.enroll[1] + "\n")
        enrol = f"{pki.enroll[0]}:{pwfile_path}"
        name = pki.known_file.name if pki.known_file else "report.bin"
        alias = pki.responder_alias or ""
        if given is None and pki.client_cmd:
            given = (pki.client_cmd, None, "exit")
    ports = [port]
    if ca_url and enrol:
        ports.append(urllib.parse.urlsplit(ca_url).port or 80)
    secrets = []
    if enrol:
        alias_e, _, pwfile_e = enrol.partition(":")
        secrets.append(Secret(f"enrolment password of {alias_e}",
                              read_password_file(pwfile_e).encode()))
    values = {"host": host, "port": str(port), "name": name, "alias": alias, "out": out,
              "key": str(workdir / "id.key"), "cert": str(workdir / "id.pem")}
    return _LegacySetup(profile, host, port, tuple(ports), secrets, given, values,
                        enrolment=(root, ca_url, enrol, ca_key), stop=stop)


def _legacy_exchange(setup: _LegacySetup, deadline: float) -> tuple[bytes, str]:
    """Inside the recording: (pki) make the identity, then run the legacy client, or the
    suite's own honest session when no client command is known. Returns the file the
    client received and how it ran."""
    from fuzz.legacy import LegacyTargetDown, legacy_identity, run_pki_legacy

    identity = None
    if setup.enrolment is not None:
        root, ca_url, enrol, ca_key = setup.enrolment
        try:
            identity = legacy_identity(root, ca_url, enrol, ca_key)
        except (LegacyTargetDown, ValueError, OSError) as exc:
            raise CapturePartError(f"no identity to request with: {exc}") from exc
        Path(setup.values["key"]).touch(mode=0o600)
        Path(setup.values["key"]).write_bytes(identity.key_pem)
        Path(setup.values["cert"]).write_bytes(identity.certificate_pem)
    if setup.client is not None:
        argv, stdin_template, success = setup.client
        try:
            launch = client_launch(argv, setup.values, stdin_template=stdin_template,
                                   success=success, password=setup.password or None)
        except TargetConfigError as exc:
            raise CapturePartError(str(exc)) from exc
        try:
            # The one client runner: stdin typed, its group killed at the timeout, and
            # judged by the declared rule (a `file` client that never exits still counts).
            done = run_client(launch, timeout=60)
        except OSError as exc:
            raise CapturePartError(f"the legacy client did not run: {exc}") from exc
        out = Path(setup.values["out"])
        if not done.succeeded:
            raise CapturePartError(
                f"the legacy client failed ({done.describe()}, success rule "
                f"{launch.success}): {done.stderr[-300:]!r}"
            )
        received = out.read_bytes() if out.is_file() else b""
        return received, f"the legacy client {setup.client[0][0]}"
    if setup.profile == "pki-legacy":
        assert identity is not None
        case = Case("pki-legacy", "connect", (Write(b""),),
                    extra={"name": setup.values["name"]})
        try:
            got = run_pki_legacy(setup.host, setup.port, identity, case, deadline)
        except OSError as exc:
            raise CapturePartError(f"the honest pki/0 session failed: {exc}") from exc
        return b"".join(got.pieces), "the suite's own pki/0 requester (no --client-cmd)"
    from conformance.legacy.eke0 import EkeClient
    from conformance.legacy.stream import LegacyStream, TargetDown, TargetGone

    try:
        stream = LegacyStream(setup.host, setup.port, deadline)
    except (TargetDown, TargetGone) as exc:
        raise CapturePartError(
            f"{exc} (a one-shot server, like the eke/0 seed, serves one connection and exits)"
        ) from exc
    try:
        data = EkeClient(stream, setup.password.encode()).run(setup.user.encode())
    except Exception as exc:  # any failure of the honest session is one line
        raise CapturePartError(f"the honest eke/0 session failed: {exc}") from exc
    finally:
        stream.close()
    return data, "the suite's own eke/0 client (no --client-cmd)"


def capture_legacy(args: argparse.Namespace, out: Path, workdir: Path) -> tuple[int, str]:
    """Record a legacy client against the target, check it with the pki0|eke0 profile."""
    reason = capture_unavailable_reason()
    if reason:
        raise CapturePartError(reason)
    setup = _legacy_setup(args, workdir)
    try:
        profile = setup.profile
        out.mkdir(parents=True, exist_ok=True)
        stem = out / f"capture-{profile}"
        pcap = stem.with_suffix(".pcapng")
        recording = Recording(RecorderConfig(ports=setup.ports, out=pcap))
        try:
            with recording:
                data, who = _legacy_exchange(setup, max(args.deadline, 10.0))
        except RecorderError as exc:
            raise CapturePartError(str(exc)) from exc
    finally:
        setup.stop()
    secrets = list(setup.secrets)
    if data:
        secrets.append(Secret("the transferred file", data, is_file=True))
    report = check_capture(
        CheckConfig(capture=pcap, secrets=tuple(secrets), profile=_LEGACY_CHECKER[profile])
    )
    stem.with_suffix(".json").write_text(to_json(report), encoding="utf-8")
    stem.with_suffix(".md").write_text(to_markdown(report), encoding="utf-8")
    stem.with_suffix(".html").write_text(to_html(report), encoding="utf-8")
    return report.exit_code, f"{report.summary} (recorded: {who}, {len(data)} bytes received)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.capture_part", description=__doc__)
    add_target_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="directory for the reports")
    args = parser.parse_args(argv)
    if (TargetOptions.from_values(args).chosen_profile() or "").endswith("-legacy"):
        with tempfile.TemporaryDirectory(prefix="sft-audit-capture-") as tmp:
            try:
                code, summary = capture_legacy(args, args.out, Path(tmp))
            except (CapturePartError, TargetConfigError, OSError) as exc:
                print(f"capture: {exc}")
                return 2
        print(f"capture: {summary}")
        return code
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
