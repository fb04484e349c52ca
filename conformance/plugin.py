"""The conformance suite's pytest plugin: options, targets, verdicts, reruns and reports.

Loaded by conformance/conftest.py. What it adds to pytest:

* options (`--target`, `--profile`, `--root`, `--ca-key`, `--ca-url`, `--enroll`, `--user`,
  `--password-file`, `--target-config`, `--client-cmd`, `--features`, `--expectations`,
  `--report-dir`, `--no-rerun`); pytest's own `--strict` also makes unmet SHOULDs FAIL;
* the `req(*ids, level=None)` marker: the SPEC IDs a test checks; `profile(name)` to pin
  a test to a profile (test_pki_* and test_eke_* files are pinned by their names);
* fixtures `target` (parametrized over the profiles under test), `eke_target`,
  `pki_target`, `app_channel`, `eke_channel_factory`, `transcripts`;
* the embedded default (no `--target`: the reference started per session / xdist worker),
  with a sanity conversation first and last;
* a verdict per case (PASS, FAIL, NON-STRICT, UNSUPPORTED, SKIP, TIMEOUT, ERROR), a
  failing case rerun once and labelled deterministic / timing-dependent, the
  expectations file, and reports/conformance.{json,md,html} with transcripts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import functools
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import ssl
import sys
import tempfile
import textwrap
import time
import tomllib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from conformance import report as reporting
from conformance import wire
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.eke_support import SourceAddresses, Victim, sources_for
from conformance.embedded import EmbeddedError, EmbeddedReference, _exclusive
from conformance.pki_channel import HandshakeRefused, client_context, close_bound, connect_pki
from conformance.target import Account, Target, target_from_options
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    Transcript,
    deadline_after,
    set_close_allowance,
)
from conformance.x509 import CertificateAuthority, LabPKI
from sftkit.outcomes import INCONCLUSIVE_PREFIX, CaseVerdict, TargetConfigError, TargetDown
from sftkit.target_options import TargetOptions

__all__ = [
    "ConformanceState",
    "Expectations",
    "TargetPool",
    "TranscriptBook",
    "Inconclusive",
    "Unsupported",
    "inconclusive",
    "unsupported",
]

_PACKAGE_DIR = Path(__file__).resolve().parent
_PROP_VERDICT = "sft_verdict"
_PROP_REQ = "req"
_PROP_PROFILE = "sft_profile"
_PROP_EVIDENCE = "sft_evidence"
_PROP_TRANSCRIPT = "sft_transcript"
_PROP_RERUN = "sft_rerun"
_PROP_EXPECTATION = "sft_expectation"
_PROP_UNEXPECTED = "sft_unexpected"
_PROP_LEVEL = "sft_level"
_PROP_SIDE = "sft_side"
_PROP_VIOLATES = "sft_violates"
_PROP_TARGET_DOWN = "sft_target_down"
_UNSUPPORTED_PREFIX = "unsupported: "
_SANITY_TIMEOUT = 10.0


def strict_mode(config: pytest.Config) -> bool:
    """pytest's own `--strict` (ini `strict`) also makes unmet SHOULDs fail the run."""
    try:
        return bool(config.getini("strict"))
    except ValueError:
        return bool(getattr(config.option, "strict", False))


class Unsupported(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A skip that means UNSUPPORTED: the target does not declare the feature. The verdict
    is read from the exception's type, not from its text."""


class Inconclusive(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A skip that means INCONCLUSIVE: a measurement ran against the target and reached
    neither a difference nor its resolution within the budget. Never a PASS."""


def inconclusive(reason: str) -> None:
    """End the current test as INCONCLUSIVE (shown apart from PASS and SKIP)."""
    raise Inconclusive(INCONCLUSIVE_PREFIX + reason)


def unsupported(reason: str) -> None:
    """Skip the current test as UNSUPPORTED: the target does not declare the feature."""
    raise Unsupported(_UNSUPPORTED_PREFIX + reason)


# ---------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    # The target options (--target, --profile, --root, ...) are the kit's, registered
    # once for every suite by sftkit.pytest_plugin; these are the conformance suite's own.
    group = parser.getgroup("sft conformance", "sft conformance suite (docs/SPEC.md)")
    add = group.addoption
    add(
        "--expectations",
        metavar="FILE",
        help="per-implementation expectations (TOML/JSON): disabled cases and expected failures",
    )
    add(
        "--report-dir",
        default="reports",
        metavar="DIR",
        help="where conformance.{json,md,html} and transcripts go (default: reports/)",
    )
    add("--no-rerun", action="store_true", help="do not rerun a failing case once")
    add(
        "--only-req",
        metavar="IDS",
        help="run only the cases citing one of these "
        "comma-separated SPEC IDs (e.g. EKE-HS-3,FRM-3)",
    )


# ---------------------------------------------------------------- expectations


@dataclass
class Expectations:
    """The expectations file: disabled cases and expected failures (with an error substring)."""

    disabled: list[dict[str, str]] = field(default_factory=list)
    expected_failures: list[dict[str, str]] = field(default_factory=list)
    source: str | None = None

    @classmethod
    def load(cls, path: Path) -> Expectations:
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"cannot read expectations file {path}: {exc}") from exc
        out = cls(source=str(path))
        for entry in data.get("disabled", []):
            out.disabled.append({k: str(v) for k, v in entry.items()})
        for entry in data.get("expected_failure", data.get("expected_failures", [])):
            out.expected_failures.append({k: str(v) for k, v in entry.items()})
        for entry in out.disabled + out.expected_failures:
            if "match" not in entry and "req" not in entry:
                raise pytest.UsageError(f"{path}: every entry needs 'match' or 'req'")
        return out

    @staticmethod
    def _matches(entry: dict[str, str], nodeid: str, reqs: list[str]) -> bool:
        if "match" in entry:
            # The pattern may name the full node id, "file.py::test[param]", or the test.
            path, _, name = nodeid.partition("::")
            forms = (nodeid, f"{path.rsplit('/', 1)[-1]}::{name}", name)
            if not any(fnmatch.fnmatchcase(form, entry["match"]) for form in forms):
                return False
        return not ("req" in entry and entry["req"] not in reqs)

    def disabled_for(self, nodeid: str, reqs: list[str]) -> dict[str, str] | None:
        return next((e for e in self.disabled if self._matches(e, nodeid, reqs)), None)

    def failure_for(self, nodeid: str, reqs: list[str]) -> dict[str, str] | None:
        return next((e for e in self.expected_failures if self._matches(e, nodeid, reqs)), None)


# ---------------------------------------------------------------- targets


def _external_target(config: pytest.Config) -> Target | None:
    """The target the options / target file describe, or None for the embedded default."""
    try:
        return target_from_options(
            TargetOptions.from_values(config.option), strict=strict_mode(config)
        )
    except TargetConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc


@dataclass
class SanityResult:
    """The sanity conversation's outcome. `ok`: the target was reached and completed an
    honest handshake, so the cases can judge it. What went wrong after the handshake is
    `misbehaved`: reported, and judged by the cases under the requirement it breaks."""

    ok: bool
    detail: str
    misbehaved: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, "misbehaved": self.misbehaved}


class TargetPool:
    """The targets of this process: built (or started) on first use, sanity-checked."""

    def __init__(self, config: pytest.Config, external: Target | None) -> None:
        self.config = config
        self.external = external
        self.embedded: EmbeddedReference | None = None
        self._workdir: Path | None = None
        self.targets: dict[str, Target] = {}
        self.failures: dict[str, str] = {}
        self.sanity: dict[str, dict[str, SanityResult]] = {}
        # Profiles the collected cases use (set at collection): started together.
        self.needed: set[str] = set()

    @property
    def profiles(self) -> list[str]:
        if self.external is not None:
            return [self.external.profile]
        chosen = getattr(self.config.option, "profile", None)
        if chosen:
            # `--profile X` without `--target`: only X's embedded reference (the legacy
            # ones are started by conformance/legacy/conftest.py).
            return [str(chosen)]
        return ["pki", "eke"]

    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="sft-conformance-"))
        return self._workdir

    def get(self, profile: str) -> Target:
        if profile not in self.profiles:
            pytest.skip(
                f"profile {profile} is not under test (--profile {'/'.join(self.profiles)})"
            )
        if profile in self.failures:
            raise TargetDown(self.failures[profile])
        if profile not in self.targets:
            try:
                target = self._build(profile)
            except (EmbeddedError, OSError) as exc:
                self.failures[profile] = f"the embedded {profile} reference did not start: {exc}"
                raise TargetDown(self.failures[profile]) from None
            result = run_sanity_with_retries(target)
            self.sanity.setdefault(profile, {})["first"] = result
            if not result.ok:
                self.failures[profile] = (
                    "the sanity conversation could not reach the target or complete an "
                    f"honest handshake, so no verdict on conformance is possible: {result.detail}"
                )
                raise TargetDown(self.failures[profile])
            self.targets[profile] = target
        return self.targets[profile]

    def _build(self, profile: str) -> Target:
        if self.external is not None:
            return self.external
        if profile not in ("pki", "eke"):
            raise EmbeddedError(f"no embedded {profile} target here (conformance/legacy/ has it)")
        if self.embedded is None:
            self.embedded = EmbeddedReference(
                self.workdir(), template=_shared_template(self.config)
            )
            # Start every profile this session will need at once: the set-up chains
            # (CA, enrolments, stores) then overlap instead of adding up.
            others = [p for p in sorted(self.needed) if p != profile and p in self.profiles]
            try:
                self.embedded.start([profile, *others])
            except EmbeddedError:
                pass  # the failing profile reports itself below; others may be fine
        target = self.embedded.pki() if profile == "pki" else self.embedded.eke()
        return target.with_changes(strict=strict_mode(self.config))

    def finish(self) -> None:
        for profile, target in self.targets.items():
            self.sanity.setdefault(profile, {})["last"] = run_sanity(target)
        if self.embedded is not None:
            self.embedded.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


# ---------------------------------------------------------------- channels


def _pki_identity(target: Target, workdir: Path, alias: str = "suite") -> tuple[Path, Path]:
    """A certificate + key the responder accepts: enrolled (embedded) or minted (lab mode)."""
    if alias in target.identities:
        return target.identities[alias]
    if target.ca_key is not None and target.root is not None:
        root = CertificateAuthority.load(target.root.read_bytes(), target.ca_key.read_bytes())
        cert = LabPKI(root).employee(alias)
        return cert.write(workdir, alias)
    enrolee = _enrolment_account(target, alias)
    if enrolee is not None:
        return _enrolled_identity(target, enrolee, workdir)
    unsupported(
        "the suite holds no pki identity: give --ca-key (lab mode) or an embedded/enrolled identity"
    )
    raise AssertionError("unreachable")


def _enrolment_account(target: Target, alias: str) -> Account | None:
    """Enrolment mode (`--ca-url --enroll ALIAS:FILE`, no `--ca-key`): the account the
    suite may enrol as `alias` (its own identity, "suite", is the first one given)."""
    if not target.enroll or not target.ca_url:
        return None
    named = [a for a in target.enroll if a.user == alias]
    if named:
        return named[0]
    return target.enroll[0] if alias == "suite" else None


# (CA URL, alias) -> (certificate PEM, key PEM): one enrolment per process and alias.
_ENROLLED: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _enrolled_identity(target: Target, account: Account, workdir: Path) -> tuple[Path, Path]:
    """An identity the target's own CA issues (POST /v1/enroll, a fresh P-256 key): how
    the suite holds a certificate the responder accepts when it holds no root key. Kept
    for the process, so the cases do not each enrol (and the CA does not count them)."""
    from conformance import ca_support

    cached = (str(target.ca_url), account.user)
    if cached not in _ENROLLED:
        key = ca_support.CsrKey.ec()
        csr = ca_support.csr_pem(key, ca_support.name((ca_support.OID_CN, account.user)))
        answer = ca_support.enrol(target, account.user, account.password, csr)
        obj = ca_support.json_body(answer, "enrolment of the suite's identity")
        certificate = obj.get("certificate")
        if answer.status != 200 or not isinstance(certificate, str):
            raise ConformanceFailure(
                f"enrolment of the suite's identity {account.user!r} (--enroll) at "
                f"{target.ca_url}: {answer.describe()}"
            )
        key_pem = key.key.export_key(format="PEM")
        _ENROLLED[cached] = (
            certificate.encode(),
            key_pem.encode() if isinstance(key_pem, str) else bytes(key_pem),
        )
    cert_pem, key_pem_bytes = _ENROLLED[cached]
    workdir.mkdir(parents=True, exist_ok=True)
    cert_path = workdir / f"{account.user}.enrolled.pem"
    key_path = workdir / f"{account.user}.enrolled.key"
    cert_path.write_bytes(cert_pem)
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_pem_bytes)
    return cert_path, key_path


# (root, certificate, key) PEM bytes -> the honest initiator's context. Building one
# (parse the root, the chain, the key) costs ~1 ms, and a run opens hundreds of honest
# channels per worker. Keyed on the files' bytes, not their names: a rewritten file gets
# a new context. Only wrap_socket is called on it, and a client context resumes no
# session unless asked (connect_pki never does), so sharing changes no handshake.
_HONEST_CONTEXTS: dict[tuple[bytes, bytes, bytes], ssl.SSLContext] = {}


def _honest_client_context(root: Path, cert: Path, key: Path) -> ssl.SSLContext:
    cached = (root.read_bytes(), cert.read_bytes(), key.read_bytes())
    ctx = _HONEST_CONTEXTS.get(cached)
    if ctx is None:
        ctx = _HONEST_CONTEXTS[cached] = client_context(root, cert, key)
    return ctx


def open_pki_channel(
    target: Target, workdir: Path, *, timeout: float, alias: str = "suite"
) -> Channel:
    if target.root is None:
        unsupported("pki needs --root")
    assert target.root is not None
    cert, key = _pki_identity(target, workdir, alias)
    ctx = _honest_client_context(target.root, cert, key)
    result = connect_pki(target.host, target.port, ctx, timeout=timeout, name=f"pki as {alias}")
    if isinstance(result, HandshakeRefused):
        raise ConformanceFailure(
            f"an honest TLS 1.3 handshake as {alias!r} was refused: {result.describe()}"
        )
    # ERR-3, PKI-TLS-7: a close after a fatal EROR that only the idle timeout brings FAILs.
    result.close_within = close_bound(target.limits.idle_timeout)
    return result


def open_eke_channel(
    target: Target,
    *,
    account: int | Account = 0,
    timeout: float,
    source: str | None = None,
) -> EkeChannel:
    if isinstance(account, int):
        if len(target.accounts) <= account:
            pytest.skip(f"needs eke account #{account + 1} (give --user/--password-file)")
        account = target.accounts[account]
    channel = EkeChannel.connect(
        target.host, target.port, account.user, account.password, timeout=timeout, source=source
    )
    # ERR-3: a close after a fatal EROR that only the idle timeout brings FAILs (as for pki).
    if target.limits.idle_timeout:
        channel.close_within = close_bound(target.limits.idle_timeout)
    return channel


# A target on a loaded machine (or one still draining the previous run's connections) may
# miss one sanity conversation; a down target still fails all attempts, ~3 s later.
_SANITY_ATTEMPTS = 3
_SANITY_BACKOFF = (0.5, 2.0)


def run_sanity_with_retries(target: Target) -> SanityResult:
    """The first sanity conversation, tried up to `_SANITY_ATTEMPTS` times: the whole run
    hangs on it (a failure makes every case of the profile a harness ERROR), so one
    transient refusal or timeout must not cost the verdicts."""
    failures: list[str] = []
    for attempt in range(_SANITY_ATTEMPTS):
        if attempt:
            time.sleep(_SANITY_BACKOFF[min(attempt - 1, len(_SANITY_BACKOFF) - 1)])
        result = run_sanity(target)
        if result.ok:
            if failures:
                result.detail += f" (after {len(failures)} failed attempt(s): {failures[-1]})"
            return result
        failures.append(result.detail)
        if result.detail.startswith("no eke account"):
            break  # a missing option, not a transient failure
    return SanityResult(False, f"{failures[-1]} ({len(failures)} attempt(s))")


def run_sanity(target: Target) -> SanityResult:
    """The sanity conversation: an honest channel, one get (or a refused one), BYE_.

    Only the first part decides whether the target can be judged at all: a target that
    cannot be reached, or cannot complete an honest handshake, is down or misconfigured
    (a harness error, exit 2). A target that completes the handshake and then misbehaves
    is judged: the get's failure is kept in `misbehaved`, and the cases FAIL it under the
    requirement it breaks.
    """
    started = time.monotonic()
    channel: Channel | None = None
    try:
        if target.profile == "eke":
            if not target.accounts:
                return SanityResult(False, "no eke account (give --user and --password-file)")
            channel = open_eke_channel(target, timeout=_SANITY_TIMEOUT)
        elif target.profile == "pki":
            workdir = Path(tempfile.mkdtemp(prefix="sft-sanity-"))
            try:
                channel = open_pki_channel(target, workdir, timeout=_SANITY_TIMEOUT)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        else:
            with socket.create_connection(target.address, timeout=_SANITY_TIMEOUT):
                pass
            return SanityResult(True, f"TCP connect in {time.monotonic() - started:.2f} s")
    except pytest.skip.Exception as exc:
        return SanityResult(False, str(exc))
    except ConformanceFailure as exc:
        if exc.violates:
            # The target answered, and its bytes verify under a named deviation from the
            # spec (conformance/eke_diagnosis.py): it is reachable and the target file's
            # password is right, so it is judged — every case FAILs the named requirement.
            return SanityResult(True, "handshake answered", misbehaved=_first_line(exc))
        return SanityResult(False, _first_line(exc))
    except OSError as exc:
        return SanityResult(False, _first_line(exc))
    handshake = f"{target.profile} channel in {time.monotonic() - started:.2f} s"
    try:
        known = target.file("hello.txt") or target.file()
        name = known.name if known else "sft-sanity-probe-that-does-not-exist"
        channel.send_frame("RQFL", {"name": name})
        outcome = channel.expect(
            [ExpectFrame("RSFL"), ExpectError("not_found", "forbidden")], timeout=_SANITY_TIMEOUT
        )
        outcome.check("sanity: answer to a get")
        if isinstance(outcome.actual, ReceivedFrame) and outcome.actual.type == b"RSFL":
            channel.expect(ExpectFrame("DONE"), timeout=_SANITY_TIMEOUT, skip=["DATA"]).check(
                "sanity: end of the get"
            )
        channel.send_frame("BYE_", {})
        return SanityResult(
            True, f"{target.profile} channel + get in {time.monotonic() - started:.2f} s"
        )
    except (ConformanceFailure, OSError) as exc:
        return SanityResult(True, handshake, misbehaved=_first_line(exc))
    finally:
        channel.close()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


class TranscriptBook:
    """The transcripts of one test case; written next to the report at teardown."""

    def __init__(self) -> None:
        self.transcripts: list[Transcript] = []

    def add(self, item: Transcript | Channel | Any) -> None:
        transcript = item if isinstance(item, Transcript) else getattr(item, "transcript", None)
        if isinstance(transcript, Transcript) and transcript not in self.transcripts:
            self.transcripts.append(transcript)

    def write(self, directory: Path, stem: str) -> Path | None:
        if not self.transcripts:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        text = "\n\n".join(t.to_text() + _key_log_text(t) for t in self.transcripts)
        path = directory / f"{stem}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        (directory / f"{stem}.json").write_text(
            json.dumps([t.to_json() for t in self.transcripts], indent=1) + "\n",
            encoding="utf-8",
        )
        return path


def _key_log_text(transcript: Transcript) -> str:
    if not transcript.key_log:
        return ""
    return "\n# key log (the suite's own session keys)\n" + "\n".join(transcript.key_log)


# ---------------------------------------------------------------- state


@dataclass
class ConformanceState:
    """Per-process state of the plugin."""

    config: pytest.Config
    report_dir: Path
    expectations: Expectations
    pool: TargetPool
    is_worker: bool
    worker_id: str
    started: float = field(default_factory=time.monotonic)
    cases: dict[str, reporting.CaseResult] = field(default_factory=dict)
    spec_levels: dict[str, str] = field(default_factory=dict)

    @property
    def transcript_dir(self) -> Path:
        return self.report_dir / "transcripts"

    @property
    def sanity_dir(self) -> Path:
        return self.report_dir / ".sanity"


_STATE = pytest.StashKey[ConformanceState]()


def _state(config: pytest.Config) -> ConformanceState:
    return config.stash[_STATE]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(*ids, level=None): SPEC IDs the test checks")
    config.addinivalue_line("markers", "profile(name): the profile a test applies to")
    config.addinivalue_line("markers", "toolkit: checks the suite's own tools, not a target")
    config.addinivalue_line(
        "markers", "side(name): the role the case judges: responder (default), initiator, ca"
    )
    # Registered by pytest-xdist when it is loaded; also here so `-p no:xdist` runs work.
    config.addinivalue_line("markers", "xdist_group(name): run these cases on one worker")
    if not config.pluginmanager.has_plugin("sft-group-tags"):
        config.pluginmanager.register(_GroupTags(), "sft-group-tags")
    invocation = Path(config.invocation_params.dir)
    report_dir = Path(config.option.report_dir)
    if not report_dir.is_absolute():
        report_dir = invocation / report_dir
    expectations = (
        Expectations.load(Path(config.option.expectations))
        if config.option.expectations
        else Expectations()
    )
    is_worker = hasattr(config, "workerinput")
    worker_id = config.workerinput["workerid"] if is_worker else "main"  # type: ignore[attr-defined]
    spec, _source = reporting.load_spec()
    state = ConformanceState(
        config=config,
        report_dir=report_dir,
        expectations=expectations,
        pool=TargetPool(config, _external_target(config)),
        is_worker=is_worker,
        worker_id=worker_id,
        spec_levels={r.id: r.level for r in spec},
    )
    config.stash[_STATE] = state
    if not is_worker:
        for sub in (state.transcript_dir, state.sanity_dir):
            shutil.rmtree(sub, ignore_errors=True)


def _under_package(item: pytest.Item) -> bool:
    return _file_place(str(item.path))[0]


@functools.cache
def _file_place(path: str) -> tuple[bool, str]:
    """(under conformance/, the name of its directory) of a test file, once per file:
    ~2,000 items in ~60 files, in every xdist worker; resolving is an lstat per path
    component, and `in parents` builds a Path per ancestor."""
    resolved = Path(path).resolve()
    return _PACKAGE_DIR in resolved.parents, resolved.parent.name


# Asked several times per case (collection, each report phase, the transcripts fixture):
# the answer is kept on the item, not recomputed (resolving the path is a syscall each).
_CONFORMANCE_ITEM = pytest.StashKey[bool]()


def _is_conformance_item(item: pytest.Item) -> bool:
    """A case judged against a target: a test under conformance/ that is not a check of
    the toolkit itself (conformance/unit, conformance/selftest, marker `toolkit`)."""
    known = item.stash.get(_CONFORMANCE_ITEM, None)
    if known is None:
        under, directory = _file_place(str(item.path))
        known = (
            under
            and directory not in ("unit", "selftest")
            and item.get_closest_marker("toolkit") is None
        )
        item.stash[_CONFORMANCE_ITEM] = known
    return known


def _item_reqs(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("req"):
        ids.extend(str(a) for a in mark.args)
    return sorted(set(ids))


def _item_level(item: pytest.Item, state: ConformanceState) -> str:
    """SHOULD when the test says so or every requirement it checks is a SHOULD."""
    for mark in item.iter_markers("req"):
        if mark.kwargs.get("level"):
            return str(mark.kwargs["level"]).upper()
    levels = {state.spec_levels.get(r, "MUST") for r in _item_reqs(item)}
    return "SHOULD" if levels and levels <= {"SHOULD", "MAY"} else "MUST"


def _item_side(item: pytest.Item) -> str:
    """The role of the target a case judges: the `side(name)` marker; else the CA for
    test_ca.py, the initiator for test_eke_client.py and `test_initiator_*` cases (they
    run the client under test against the suite's hostile responder); else the responder."""
    mark = item.get_closest_marker("side")
    if mark is not None and mark.args:
        return str(mark.args[0])
    module = item.path.stem
    if module == "test_ca":
        return "ca"
    if module == "test_eke_client" or item.name.startswith("test_initiator_"):
        return "initiator"
    return "responder"


def _item_profile(item: pytest.Item) -> str | None:
    """The profile whose target the case runs against (its verdict counts only for it)."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "sft_profile" in callspec.params:
        return str(callspec.params["sft_profile"])
    names = set(getattr(item, "fixturenames", ()))
    used = [p for p in ("pki", "eke") if f"{p}_target" in names]
    mark = item.get_closest_marker("profile")
    if len(used) == 1:
        return used[0]
    if mark is not None and len(mark.args) == 1:
        return str(mark.args[0])
    return None


def _profiles_for(metafunc: pytest.Metafunc, pool: TargetPool) -> list[str]:
    mark = metafunc.definition.get_closest_marker("profile")
    if mark is not None:
        return [str(a) for a in mark.args]
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    for profile in ("pki", "eke"):
        if module.startswith(f"test_{profile}_"):
            return [profile]
    return pool.profiles


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sft_profile" in metafunc.fixturenames:
        profiles = _profiles_for(metafunc, _state(metafunc.config).pool)
        metafunc.parametrize("sft_profile", profiles, scope="session")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = _state(config)
    only = (
        {r.strip() for r in config.option.only_req.split(",") if r.strip()}
        if config.option.only_req
        else None
    )
    deselected: list[pytest.Item] = []
    run_slow = "slow" in (config.getoption("markexpr", "") or "")
    for item in items:
        if not run_slow and item.get_closest_marker("slow") and _under_package(item):
            # `slow` is excluded from the default run (pyproject's marker says so); under
            # conformance/ nothing else enforced it, so slow self-tests ran every time.
            item.add_marker(pytest.mark.skip(reason="slow: run with -m slow"))
        if not _is_conformance_item(item):
            if only is not None:
                deselected.append(item)
            continue
        reqs = _item_reqs(item)
        if only is not None and not only.intersection(reqs):
            deselected.append(item)
            continue
        item.user_properties.append((_PROP_REQ, ",".join(reqs)))
        item.user_properties.append((_PROP_LEVEL, _item_level(item, state)))
        item.user_properties.append((_PROP_SIDE, _item_side(item)))
        profile = _item_profile(item)
        if profile is not None:
            item.user_properties.append((_PROP_PROFILE, profile))
        disabled = state.expectations.disabled_for(item.nodeid, reqs)
        if disabled is not None:
            reason = disabled.get("reason", "no reason given")
            item.add_marker(pytest.mark.skip(reason=f"disabled by expectations: {reason}"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        dropped = set(map(id, deselected))  # a list scan per item took ~1 s with --only-req
        items[:] = [i for i in items if id(i) not in dropped]


def pytest_collection_finish(session: pytest.Session) -> None:
    """The profiles the selected cases use (after -k/-m/--only-req): started together."""
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    for item in session.items:
        if not _is_conformance_item(item):
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "sft_profile" in callspec.params:
            state.pool.needed.add(str(callspec.params["sft_profile"]))
        names = set(getattr(item, "fixturenames", ()))
        for profile in ("pki", "eke"):
            if f"{profile}_target" in names:
                state.pool.needed.add(profile)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def sft_pool(request: pytest.FixtureRequest) -> Iterator[TargetPool]:
    state = _state(request.config)
    yield state.pool


@pytest.fixture(scope="session")
def sft_profile(request: pytest.FixtureRequest) -> str:
    """Overridden by parametrization (pytest_generate_tests); here for completeness."""
    return str(getattr(request, "param", "eke"))


def _armed(target: Target) -> Target:
    """ERR-3: a close after a fatal EROR that only a timeout of the target brings (idle or
    handshake) FAILs, also on receivers that carry no `close_within` of their own."""
    timeouts = [t for t in (target.limits.idle_timeout, target.limits.handshake_timeout) if t]
    set_close_allowance(close_bound(min(timeouts)) if timeouts else None)
    return target


@pytest.fixture
def target(sft_pool: TargetPool, sft_profile: str) -> Target:
    """The implementation under test for this case's profile."""
    return _armed(sft_pool.get(sft_profile))


@pytest.fixture
def eke_target(sft_pool: TargetPool) -> Target:
    return _armed(sft_pool.get("eke"))


@pytest.fixture
def pki_target(sft_pool: TargetPool) -> Target:
    return _armed(sft_pool.get("pki"))


@pytest.fixture(autouse=True)
def transcripts(request: pytest.FixtureRequest) -> Iterator[TranscriptBook]:
    """Every transcript made during a case, saved next to the report at teardown.

    Channels may be registered explicitly (`transcripts.add(channel)`); when
    conformance.wire offers `TRANSCRIPT_OBSERVERS`, every transcript created during the
    case is collected without the test doing anything.
    """
    book = TranscriptBook()
    if not _is_conformance_item(request.node):
        yield book
        return
    observers = getattr(wire, "TRANSCRIPT_OBSERVERS", None)
    if isinstance(observers, list):
        observers.append(book.add)
    try:
        yield book
    finally:
        if isinstance(observers, list) and book.add in observers:
            observers.remove(book.add)
    state = _state(request.config)
    stem = _safe_stem(untagged_nodeid(request.node))
    rerun = getattr(request.node, "_sft_rerunning", False)
    path = book.write(state.transcript_dir, stem + (".rerun" if rerun else ""))
    if path is not None and not rerun:
        rel = path.relative_to(state.report_dir).as_posix()
        request.node.user_properties.append((_PROP_TRANSCRIPT, rel))


def _safe_stem(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", nodeid)[:180]


@pytest.fixture
def eke_channel_factory(
    eke_target: Target, transcripts: TranscriptBook
) -> Iterator[Callable[..., EkeChannel]]:
    """`factory(account=0, *, source=None, timeout=None) -> EkeChannel` (handshake done)."""
    opened: list[EkeChannel] = []

    def factory(
        account: int | Account = 0, *, source: str | None = None, timeout: float | None = None
    ) -> EkeChannel:
        channel = open_eke_channel(
            eke_target,
            account=account,
            source=source,
            timeout=timeout or _default_timeout(eke_target),
        )
        transcripts.add(channel)
        opened.append(channel)
        return channel

    yield factory
    for channel in opened:
        channel.close()


@pytest.fixture
def app_channel(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> Iterator[Callable[..., Channel]]:
    """`app_channel(timeout=None) -> Channel`: a fresh authenticated channel to `target`."""
    opened: list[Channel] = []

    def factory(timeout: float | None = None) -> Channel:
        budget = timeout or _default_timeout(target)
        channel: Channel
        if target.profile == "eke":
            channel = open_eke_channel(target, timeout=budget)
        elif target.profile == "pki":
            channel = open_pki_channel(target, tmp_path, timeout=budget)
        else:
            unsupported(f"no application channel for profile {target.profile}")
            raise AssertionError("unreachable")
        transcripts.add(channel)
        opened.append(channel)
        return channel

    yield factory
    for channel in opened:
        channel.close()


@pytest.fixture
def eke_sources(eke_target: Target) -> SourceAddresses:
    """Fresh loopback source addresses for handshakes that fail on purpose."""
    return sources_for(eke_target)


@pytest.fixture
def eke_victim(eke_target: Target, eke_sources: SourceAddresses) -> Iterator[Victim]:
    """The account tests fail as (the second one if given); reset by an honest handshake."""
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    account = eke_target.accounts[1] if len(eke_target.accounts) > 1 else eke_target.accounts[0]
    victim = Victim(eke_target, account, _default_timeout(eke_target))
    yield victim
    victim.resets.append(victim.reset(eke_sources))


def _default_timeout(target: Target) -> float:
    # Long enough for a loaded 2-core machine, short enough that a silent target costs little.
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    state.pool.finish()
    if state.pool.sanity:
        state.sanity_dir.mkdir(parents=True, exist_ok=True)
        data = {
            p: {w: r.to_json() for w, r in sides.items()} for p, sides in state.pool.sanity.items()
        }
        (state.sanity_dir / f"{state.worker_id}.json").write_text(json.dumps(data) + "\n")
    if not state.is_worker and state.cases:
        report = _build_report(state)
        if report["summary"]["status"] != "ok" and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        state.config.stash[_REPORT] = report


_REPORT = pytest.StashKey[dict[str, Any]]()


# ---------------------------------------------------------------- verdicts


def _exception_verdict(excinfo: pytest.ExceptionInfo[BaseException]) -> CaseVerdict:
    exc = excinfo.value
    if isinstance(exc, TargetDown):
        return CaseVerdict.ERROR
    if isinstance(exc, TimeoutError | socket.timeout):
        return CaseVerdict.TIMEOUT
    if isinstance(exc, AssertionError | pytest.fail.Exception):
        return CaseVerdict.FAIL
    if isinstance(exc, OSError):
        return CaseVerdict.FAIL  # the target refused or dropped a connection the case needed
    return CaseVerdict.ERROR


def _skip_verdict(call: pytest.CallInfo[None]) -> CaseVerdict:
    if call.excinfo is not None and isinstance(call.excinfo.value, Inconclusive):
        return CaseVerdict.INCONCLUSIVE
    unsupported = call.excinfo is not None and isinstance(call.excinfo.value, Unsupported)
    return CaseVerdict.UNSUPPORTED if unsupported else CaseVerdict.SKIP


def _evidence_text(report: pytest.TestReport) -> str:
    text = report.longreprtext or ""
    lines = [ln[4:].rstrip() if ln.startswith("E   ") else None for ln in text.splitlines()]
    picked = textwrap.dedent("\n".join(ln for ln in lines if ln is not None)).splitlines()
    if picked:
        # "conformance.wire.ConformanceFailure: msg" -> "msg": the class is not evidence.
        picked[0] = re.sub(
            r"^[\w.]*(ConformanceFailure|AssertionError|TargetDown): ", "", picked[0]
        )
    return "\n".join(picked) if picked else text[-3000:]


def _hex_excerpt(evidence: str) -> str:
    for line in evidence.splitlines():
        if line.strip().startswith("Hex:"):
            return line.split(":", 1)[1].strip()
    return ""


def _props(report: pytest.TestReport) -> dict[str, Any]:
    return dict(report.user_properties)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    rep: pytest.TestReport = outcome.get_result()
    if not _is_conformance_item(item):
        return
    state = _state(item.config)
    props = _props(rep)
    reqs = [r for r in str(props.get(_PROP_REQ, "")).split(",") if r]
    level = str(props.get(_PROP_LEVEL, "MUST"))
    verdict: CaseVerdict | None = None
    extra: list[tuple[str, Any]] = []
    if call.excinfo is not None and isinstance(call.excinfo.value, TargetDown):
        extra.append((_PROP_TARGET_DOWN, True))
        # One line, not a traceback: it is a statement about the target, not the suite.
        rep.longrepr = str(call.excinfo.value)
    if rep.when == "setup":
        if rep.failed:
            verdict = CaseVerdict.ERROR
        elif rep.skipped:
            verdict = _skip_verdict(call)
    elif rep.when == "call":
        if rep.passed:
            verdict = CaseVerdict.PASS
        elif rep.skipped:
            verdict = _skip_verdict(call)
        elif call.excinfo is not None:
            verdict = _exception_verdict(call.excinfo)
            violates = getattr(call.excinfo.value, "violates", ())
            if verdict == "FAIL" and violates:
                extra.append((_PROP_VIOLATES, ",".join(violates)))
            if verdict == "FAIL" and level == "SHOULD" and not strict_mode(item.config):
                verdict = CaseVerdict.NON_STRICT
        expected = state.expectations.failure_for(item.nodeid, reqs)
        if expected is not None:
            if rep.passed:
                extra.append(
                    (
                        _PROP_UNEXPECTED,
                        "unexpected pass: the expectations file says "
                        f"this fails ({expected.get('reason', '')}); update it",
                    )
                )
            elif verdict in ("FAIL", "TIMEOUT", "ERROR", "NON-STRICT"):
                wanted = expected.get("error", "")
                if wanted and wanted not in (rep.longreprtext or ""):
                    extra.append(
                        (_PROP_UNEXPECTED, f"failed, but not with the expected error {wanted!r}")
                    )
                else:
                    extra.append((_PROP_EXPECTATION, json.dumps(expected)))
    elif rep.when == "teardown" and rep.failed:
        verdict = CaseVerdict.ERROR
    if verdict is None:
        return
    if verdict in ("FAIL", "ERROR", "TIMEOUT", "NON-STRICT"):
        evidence = _evidence_text(rep)
        extra.append((_PROP_EVIDENCE, evidence[:20000]))
    rep.user_properties = [*rep.user_properties, (_PROP_VERDICT, verdict.value), *extra]
    if rep.when == "call":
        # Also on the item, so that --junitxml (which writes the teardown report's
        # properties) carries the verdict beside the requirement IDs.
        item.user_properties.append((_PROP_VERDICT, verdict.value))
    # Outcomes that must not fail the run become xfail; an unexpected pass fails it.
    if verdict == "NON-STRICT" or any(k == _PROP_EXPECTATION for k, _ in extra):
        label = "NON-STRICT (unmet SHOULD)" if verdict == "NON-STRICT" else "expected failure"
        first = _evidence_text(rep).strip().splitlines()
        rep.outcome = "skipped"
        rep.wasxfail = f"{label}: {first[0][:200] if first else ''}"
    elif any(k == _PROP_UNEXPECTED for k, _ in extra) and rep.passed:
        rep.outcome = "failed"
        rep.longrepr = dict(extra)[_PROP_UNEXPECTED]


def _skip_reason(rep: pytest.TestReport) -> str:
    if isinstance(rep.longrepr, tuple) and len(rep.longrepr) == 3:
        reason = str(rep.longrepr[2])
        return reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason
    return str(rep.longrepr or "")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Run a conformance case; if it fails, run it once more and label the failure."""
    if not _is_conformance_item(item) or item.config.option.no_rerun:
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    failing = [
        r
        for r in reports
        if r.when == "call" and _props(r).get(_PROP_VERDICT) in ("FAIL", "TIMEOUT")
    ]
    if failing:
        item._sft_rerunning = True  # type: ignore[attr-defined]
        # Fresh function-scoped fixtures for the rerun (as pytest-rerunfailures does).
        item._initrequest()  # type: ignore[attr-defined]
        again = runtestprotocol(item, nextitem=nextitem, log=False)
        item._sft_rerunning = False  # type: ignore[attr-defined]
        still = any(
            r.when == "call"
            and _props(r).get(_PROP_VERDICT) == _props(failing[0]).get(_PROP_VERDICT)
            for r in again
        )
        label = "deterministic" if still else "timing-dependent"
        failing[0].user_properties = [*failing[0].user_properties, (_PROP_RERUN, label)]
        for rep in reports:
            if rep.when == "call":
                rep.sections.append(("sft rerun", f"failed again on rerun: {still} ({label})"))
    for rep in reports:
        item.ihook.pytest_runtest_logreport(report=rep)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect verdicts (on the controller under xdist; workers forward their reports)."""
    props = _props(report)
    verdict = props.get(_PROP_VERDICT)
    config = _CONFIG_REF.get("config")
    if config is None or (verdict is None and _PROP_TRANSCRIPT not in props):
        return
    state = _state(config)
    if state.is_worker:
        return
    if verdict is None:
        # The teardown report of a passing case: it brings the transcript's path.
        known = state.cases.get(report.nodeid)
        if known is not None and not known.transcript:
            known.transcript = str(props[_PROP_TRANSCRIPT])
        return
    reqs = [r for r in str(props.get(_PROP_REQ, "")).split(",") if r]
    case = state.cases.get(report.nodeid)
    evidence = str(props.get(_PROP_EVIDENCE, ""))
    message = ""
    if verdict in ("SKIP", "UNSUPPORTED"):
        message = _skip_reason(report)
    elif evidence:
        message = evidence.strip().splitlines()[0] if evidence.strip() else ""
    expectation = props.get(_PROP_EXPECTATION)
    new = reporting.CaseResult(
        nodeid=report.nodeid,
        requirements=reqs,
        verdict=str(verdict),
        profile=props.get(_PROP_PROFILE),
        message=message,
        evidence=evidence,
        hex=_hex_excerpt(evidence),
        transcript=props.get(_PROP_TRANSCRIPT),
        duration=round(report.duration, 4),
        rerun=props.get(_PROP_RERUN),
        expectation=json.loads(expectation) if expectation else None,
        unexpected=_PROP_UNEXPECTED in props,
        level=str(props.get(_PROP_LEVEL, "MUST")),
        side=str(props.get(_PROP_SIDE, "responder")),
        target_down=bool(props.get(_PROP_TARGET_DOWN, False)),
        violates=[r for r in str(props.get(_PROP_VIOLATES, "")).split(",") if r],
    )
    if _PROP_UNEXPECTED in props:
        new.message = str(props[_PROP_UNEXPECTED]) + (f"; {message}" if message else "")
    if case is None:
        state.cases[report.nodeid] = new
        return
    # A later phase: keep the worst verdict, and the transcript wherever it came from.
    if reporting.requirement_verdict([case.verdict, new.verdict]) == new.verdict and (
        new.verdict != case.verdict
    ):
        new.transcript = new.transcript or case.transcript
        new.duration += case.duration
        state.cases[report.nodeid] = new
    else:
        case.transcript = case.transcript or new.transcript
        case.duration = round(case.duration + new.duration, 4)


_CONFIG_REF: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG_REF["config"] = session.config


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "pytest": pytest.__version__}
    for dist in ("sft-kit", "pycryptodome", "pytest-xdist"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _merged_sanity(state: ConformanceState) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    files = sorted(state.sanity_dir.glob("*.json")) if state.sanity_dir.is_dir() else []
    for path in files:
        data = json.loads(path.read_text())
        for profile, sides in data.items():
            for when, result in sides.items():
                slot = merged.setdefault(profile, {}).setdefault(when, {"ok": True, "detail": ""})
                slot["ok"] = slot["ok"] and result["ok"]
                if not result["ok"] or not slot["detail"]:
                    slot["detail"] = f"[{path.stem}] {result['detail']}"
    return merged


def _build_report(state: ConformanceState) -> dict[str, Any]:
    spec, source = reporting.load_spec()
    pool = state.pool
    targets = [t.describe() for t in pool.targets.values()]
    if not targets and pool.external is not None:
        targets = [pool.external.describe()]
    if not targets:
        targets = [
            {"profile": p, "address": "embedded (not started in this process)", "embedded": True}
            for p in pool.profiles
        ]
    data = reporting.ReportInput(
        cases=list(state.cases.values()),
        targets=targets,
        sanity=_merged_sanity(state),
        options={
            "strict": strict_mode(state.config),
            "expectations": state.expectations.source,
            "profiles": pool.profiles,
            "rerun": not state.config.option.no_rerun,
            "argv": [a for a in sys.argv[1:] if "password" not in a.lower()],
        },
        versions=_versions(),
        generated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration=time.monotonic() - state.started,
        spec_source=source,
        spec=spec,
    )
    return reporting.build_report(data)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or state.is_worker:
        return
    report = config.stash.get(_REPORT, None)
    if report is None:
        if not state.cases:
            return
        report = _build_report(state)
    paths = reporting.write_reports(report, state.report_dir)
    terminalreporter.section("sft conformance: verdicts by requirement")
    for line in reporting.terminal_lines(report, verbose=config.option.verbose > 0):
        terminalreporter.write_line(line)
    terminalreporter.write_line("reports: " + ", ".join(str(p) for p in paths))


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash.get(_STATE, None)
    if state is None:
        return []
    external = state.pool.external
    if external is None:
        return ["sft conformance: embedded reference (pki + eke on 127.0.0.1, ephemeral ports)"]
    return [f"sft conformance: target {external.host}:{external.port} profile {external.profile}"]


# A deadline helper re-exported for tests that wait on targets.
__all__ += ["deadline_after"]


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`pytest conformance` as typed uses the cores it has: the whole suite, with no `-n`
    given, runs on xdist workers (`default_worker_count`: 1.5 per core, at most 4;
    `--dist loadgroup`, which the cases' groups need). A single file or `-k` selection
    stays in one process (each worker starts its own embedded reference, which a small
    run does not repay); `-n 0` keeps one process."""
    option = config.option
    if (
        getattr(option, "numprocesses", "absent") is not None
        or os.environ.get("PYTEST_XDIST_WORKER")
        or not config.pluginmanager.hasplugin("xdist")
        or option.collectonly
        or (os.cpu_count() or 1) < 2
    ):
        return
    package = Path(__file__).resolve().parent
    if not any(Path(arg).resolve() == package for arg in config.args):
        return
    option.numprocesses = default_worker_count(os.cpu_count() or 1)
    if getattr(option, "dist", "no") == "no":
        option.dist = "loadgroup"


def default_worker_count(cores: int) -> int:
    """xdist workers for `pytest conformance` as typed: one and a half per core, at most 4.

    The run is half waiting (handshake and idle timeouts, throttling backoffs, a CRL
    refetch, timing samples): with one worker per core a core idles while its worker
    sleeps. Measured on 2 cores (issue 17), the same tree back to back at a load of ~6:
    2 workers 172 s wall, 105 s CPU; 3 workers 122 s wall, 103 s CPU (the workers share
    one provisioning, so a third costs only its collection and servers). More than 4
    only adds start-ups."""
    return max(1, min(cores + cores // 2, 4))


__all__ += ["default_worker_count"]


# The workers' shared provisioning directory (conformance.embedded's `template`): made by
# the controller, handed to each worker, removed when the run ends.
_TEMPLATE_KEY = "sft_embedded_template"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist (controller): give each worker the run's shared template directory."""
    config = node.config
    template = config.stash.get(_TEMPLATE_DIR, None)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="sft-embedded-template-"))
        config.stash[_TEMPLATE_DIR] = template
        config.add_cleanup(lambda: shutil.rmtree(template, ignore_errors=True))
    node.workerinput[_TEMPLATE_KEY] = str(template)
    node.workerinput[_LOADGROUP_KEY] = config.getvalue("dist") == "loadgroup"


_TEMPLATE_DIR = pytest.StashKey[Path]()
_LOADGROUP_KEY = "sft_loadgroup"


class _GroupTags:
    """`--dist loadgroup` for pytest 9 (worker side).

    xdist (3.8) tags each grouped case by rewriting `item._nodeid` to `ID@group`, which
    its controller schedules one group per worker; pytest 9 builds `nodeid` from
    `item._id` and ignores `_nodeid`, so the tags are lost and a group's cases spread
    over the workers — cases that must not overlap against one target (a victim
    account's lockout, the CA's throttle counts, the timing samples) then run at once.
    This sets the tag where pytest reads it, once, after xdist's own attempt; with a
    pytest that honours xdist's tag the ids already carry it and nothing is changed."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        workerinput = getattr(config, "workerinput", None)
        loadgroup = workerinput and (
            workerinput.get(_LOADGROUP_KEY) or config.getvalue("loadgroup")
        )
        if not loadgroup:
            return
        for item in items:
            groups = sorted(
                {
                    str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")
                }
            )
            if groups and "@" not in item.nodeid:
                _retag(item, "_".join(groups))


def untagged_nodeid(item: pytest.Item) -> str:
    """`item.nodeid` without the `@group` tag `_GroupTags` (or xdist) adds: the same name
    for the case's files (transcripts, timing samples) with or without `-n`."""
    groups = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    tag = "@" + "_".join(sorted(groups))
    return item.nodeid.removesuffix(tag) if groups else item.nodeid


__all__ += ["untagged_nodeid"]


def _retag(item: pytest.Item, group: str) -> None:
    """`item.nodeid` becomes `ID@group`, the form xdist's controller splits on "@"."""
    current: Any = getattr(item, "_id", None)
    names = getattr(current, "names", None)
    if dataclasses.is_dataclass(current) and not isinstance(current, type) and names:
        # pytest >= 9: a structured NodeId, whose str() rebuilds `path::names[params]`
        # when it travels (so a suffix after the params would become "[p]@group]"):
        # the params and the tag go into the last name instead.
        params = getattr(current, "params", None)
        last = names[-1] + (f"[{params}]" if params is not None else "") + f"@{group}"
        retagged = dataclasses.replace(current, names=(*names[:-1], last), params=None)
        setattr(item, "_id", retagged)  # noqa: B010 - pytest >= 9 reads `_id`
    else:
        setattr(item, "_nodeid", f"{item.nodeid}@{group}")  # noqa: B010 - as xdist does


def _shared_template(config: pytest.Config) -> Path | None:
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or not workerinput.get(_TEMPLATE_KEY):
        return None
    return Path(workerinput[_TEMPLATE_KEY])


__all__ += ["pytest_configure_node"]


def run_shared_bytes(config: pytest.Config, name: str, build: Callable[[], bytes]) -> bytes:
    """`build()`, once per run: the first xdist worker that asks builds it into the run's
    shared directory (the embedded template's), the others read it; without xdist, built
    here. For costly values that are the same for every worker: a test key (pycryptodome's
    RSA-2048 costs 0.3-1.5 s of CPU), the vector generator's output. Without it each
    worker that draws one case of a module builds the module's fixture again: pytest-xdist
    3.8's xdist_group does not take under pytest 9 (it renames `item._nodeid`, which
    pytest 9 no longer reads), so no module stays on one worker."""
    template = _shared_template(config)
    if template is None:
        return build()
    shared = template / "shared"
    path = shared / name
    with _exclusive(template / f"shared-{name}.lock"):
        if not path.is_file():
            shared.mkdir(mode=0o700, exist_ok=True)
            tmp = shared / f".{name}.tmp"
            tmp.touch(mode=0o600)  # it may be a private key
            tmp.write_bytes(build())
            os.replace(tmp, path)
    return path.read_bytes()


__all__ += ["run_shared_bytes"]
