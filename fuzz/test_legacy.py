"""Fuzzing the legacy profiles (opt-in: --fuzz-legacy).

With no `--target`, each test runs a hypothesis campaign against the embedded legacy
reference and asserts that it FAILS with the requirement the seed's design breaks: a
file from outside the share served to a requested name (sft-pki/0, APP-NAME-4) and the
file in clear on the wire (sft-eke/0, EKE-SEC-2).

With `--target HOST:PORT --profile pki-legacy|eke-legacy` it fuzzes THAT target (the
identity from `--ca-url --enroll ALIAS:PWFILE --root`, or `--ca-key --root` in lab
mode; the account from `--user --password-file`), and every violation found is the
test's FAIL, with the shrunk case saved for `pytest fuzz` to replay.

The shrunk case goes to `--fuzz-findings DIR` when given, else to the run's temporary
directory (printed): a fuzz run never writes into the checkout.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import Phase, given, seed
from hypothesis import strategies as st

from conformance.legacy import der, pki0
from conformance.legacy.embedded import start_eke_legacy, start_pki_legacy
from fuzz.campaign import FindingRecorder
from fuzz.cases import Case, Write
from fuzz.legacy import LegacyPkiIdentity, judge, run_eke_legacy, run_pki_legacy
from fuzz.mutators import Mutation, apply_all
from fuzz.oracles import Secrets
from fuzz.settings import fuzz_settings, run_seed
from fuzz.strategies import Knowledge, hostile_names, mutations
from sftkit.hostport import parse_hostport
from sftkit.password_file import read_password_file
from sftkit.target_options import TargetOptions

pytestmark = [pytest.mark.fuzz_legacy, pytest.mark.xdist_group("fuzz-legacy")]

_DEADLINE = 12.0  # the embedded legacy peer's idle timeout is 10 s
# No shrinking: a case is one name and at most one mutation, already small, and every
# hang it would retry costs fuzz.legacy.HANG_PATIENCE: the campaign stays bounded.
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


@dataclass
class _Fuzzed:
    """One legacy target to fuzz, and what the campaign may know about it."""

    host: str
    port: int
    embedded: bool
    secrets: Secrets
    identity: LegacyPkiIdentity | None = None
    user: str = "yash101"
    password: str = ""
    file_name: str = "report.bin"
    canary_name: str = "secret.txt"


def _options(config: pytest.Config) -> TargetOptions:
    return TargetOptions.from_values(config.option)


@pytest.fixture(scope="session")
def legacy_findings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """--fuzz-findings when the user gave it; never the checkout's corpus by default."""
    given_dir = Path(request.config.getoption("--fuzz-findings"))
    default = Path(__file__).parent / "corpus"
    if given_dir.resolve() != default.resolve():
        return given_dir
    return tmp_path_factory.mktemp("fuzz-legacy-findings")


def _external(config: pytest.Config, profile: str) -> tuple[str, int] | None:
    options = _options(config)
    if not options.target:
        return None
    if options.profile != profile:
        pytest.skip(f"--target is not a {profile} target (--profile {profile})")
    return parse_hostport(options.target)


def _identity(
    root: Path, ca_url: str | None, enroll: str | None, ca_key: Path | None
) -> LegacyPkiIdentity:
    """An identity the responder accepts, made by the tester's own pki/0 code."""
    key = pki0.suite_key(0)
    key_pem = key.export_key("PEM")
    if ca_url and enroll:
        alias, _, pwfile = enroll.partition(":")
        public = key.public_key().export_key("PEM") + b"\n"
        body = pki0.verify_body(root.read_bytes(), alias, read_password_file(pwfile), public)
        status, answer = pki0.post_verify(ca_url, body)
        if status != 200:
            pytest.fail(f"sanity: enrolment of {alias!r} answered {status}: {answer[:200]!r}")
        return LegacyPkiIdentity(answer, key_pem)
    if ca_key is not None:
        from Crypto.PublicKey import RSA

        now = datetime.datetime.now(datetime.UTC)
        pem = der.mint_under_root(
            root.read_bytes(),
            RSA.import_key(ca_key.read_bytes()),
            "fuzz",
            key,
            not_before=now - datetime.timedelta(minutes=5),
            not_after=now + datetime.timedelta(days=1),
            extensions=(
                der.basic_constraints(False),
                der.extended_key_usage(der.EKU_CLIENT_AUTH, der.EKU_SERVER_AUTH),
            ),
        )
        return LegacyPkiIdentity(pem, key_pem)
    pytest.skip("pki-legacy fuzzing needs an identity: --root with --ca-url/--enroll or --ca-key")


@pytest.fixture(scope="module")
def pki_fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Fuzzed]:
    address = _external(request.config, "pki-legacy")
    if address is not None:
        options = _options(request.config)
        if not options.root:
            pytest.skip("pki-legacy fuzzing needs the organisation root (--root)")
        identity = _identity(
            Path(options.root),
            options.ca_url,
            options.enroll[0] if options.enroll else None,
            Path(options.ca_key) if options.ca_key else None,
        )
        # No canary known: a served /etc/passwd is the evidence of an escape.
        yield _Fuzzed(*address, False, Secrets(canary=b"root:x:0:0:"), identity=identity)
        return
    workdir = tmp_path_factory.mktemp("fuzz-pki-legacy")
    target = start_pki_legacy(workdir)
    try:
        assert target.root is not None and target.enroll is not None
        pwfile = workdir / "enrol.password"
        pwfile.write_text(target.enroll[1] + "\n")
        pwfile.chmod(0o600)
        identity = _identity(target.root, target.ca_url, f"{target.enroll[0]}:{pwfile}", None)
        canary = (workdir / "secret.txt").read_bytes()
        yield _Fuzzed(target.host, target.port, True, Secrets(canary=canary), identity=identity)
    finally:
        target.stop()


def _conclude(
    fuzzed: _Fuzzed, recorder: FindingRecorder, findings: Path, name: str, campaign: object
) -> None:
    """Embedded: the expected finding must be found. External: a finding FAILs."""
    assert callable(campaign)
    try:
        campaign()
    except AssertionError as exc:
        saved = recorder.save(findings, name)
        if fuzzed.embedded:
            print(f"\nlegacy finding (expected): {exc}\nsaved: {saved}")
            raise
        pytest.fail(
            f"{exc}\nshrunk case saved: {saved} (replay: pytest fuzz --target "
            f"{fuzzed.host}:{fuzzed.port} ...)",
            pytrace=False,
        )


@pytest.mark.req("APP-NAME-4", "LIM-5", "LEG-GEN-2")
def test_fuzzing_pki_legacy(pki_fuzzed: _Fuzzed, legacy_findings: Path) -> None:
    identity = pki_fuzzed.identity
    assert identity is not None
    knowledge = Knowledge(file_name=pki_fuzzed.file_name, canary_name=pki_fuzzed.canary_name)
    recorder = FindingRecorder()
    names = st.one_of(
        st.just(pki_fuzzed.file_name),
        st.just("no-such-file.bin"),
        st.just("/etc/passwd"),
        hostile_names(knowledge),
    )

    @seed(run_seed())
    @fuzz_settings(max_examples=200, database=None, phases=_PHASES)
    @given(
        name=names,
        muts=st.lists(mutations("pki-legacy", "connect", knowledge), max_size=1),
        half_close=st.booleans(),
    )
    def campaign(name: str, muts: list[Mutation], half_close: bool) -> None:
        writes = apply_all((Write(b""),), muts)
        case = Case(
            "pki-legacy",
            "connect",
            writes,
            tuple(m.describe() for m in muts),
            extra={"name": name, "half_close": half_close},
        )
        out = run_pki_legacy(pki_fuzzed.host, pki_fuzzed.port, identity, case, _DEADLINE)
        violations = judge(out, pki_fuzzed.secrets, _DEADLINE)
        if violations:
            recorder.record(case, violations)
            raise AssertionError("; ".join(map(str, violations)))

    if pki_fuzzed.embedded:
        with pytest.raises(AssertionError) as found:
            _conclude(pki_fuzzed, recorder, legacy_findings, "pki-legacy-finding.json", campaign)
        assert "APP-NAME-4" in str(found.value)
        saved = legacy_findings / "pki-legacy-finding.json"
        assert "APP-NAME-4" in saved.read_text()
        return
    _conclude(pki_fuzzed, recorder, legacy_findings, "pki-legacy-finding.json", campaign)


@pytest.fixture(scope="module")
def eke_fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Fuzzed]:
    address = _external(request.config, "eke-legacy")
    if address is not None:
        options = _options(request.config)
        if not (options.user and options.password_file):
            pytest.skip("eke-legacy fuzzing needs an account: --user U --password-file F")
        password = read_password_file(options.password_file[0])
        yield _Fuzzed(
            *address,
            False,
            Secrets(passwords=(password,)),
            user=options.user[0],
            password=password,
        )
        return
    workdir = tmp_path_factory.mktemp("fuzz-eke-legacy")
    target = start_eke_legacy(workdir)
    try:
        secrets = Secrets(
            files={"testfile1.pdf": (workdir / "testfile1.pdf").read_bytes()},
            passwords=(target.password,),
        )
        yield _Fuzzed(
            target.host, target.port, True, secrets, user=target.user, password=target.password
        )
    finally:
        target.stop()


@pytest.mark.req("EKE-SEC-2", "LEG-GEN-2")
def test_fuzzing_eke_legacy(eke_fuzzed: _Fuzzed, legacy_findings: Path) -> None:
    recorder = FindingRecorder()

    @seed(run_seed())
    @fuzz_settings(max_examples=50, database=None, phases=_PHASES)
    @given(
        user=st.sampled_from([eke_fuzzed.user, "", "nobody", eke_fuzzed.user + "\x00"]),
        steps=st.integers(1, 4),
        tail=st.lists(st.binary(max_size=64), max_size=2),
    )
    def campaign(user: str, steps: int, tail: list[bytes]) -> None:
        case = Case(
            "eke-legacy",
            "connect",
            tuple(Write(t) for t in tail if t),
            extra={"user": user, "steps": steps},
        )
        out = run_eke_legacy(eke_fuzzed.host, eke_fuzzed.port, eke_fuzzed.password, case, _DEADLINE)
        violations = judge(out, eke_fuzzed.secrets, _DEADLINE)
        if violations:
            recorder.record(case, violations)
            raise AssertionError("; ".join(map(str, violations)))

    if eke_fuzzed.embedded:
        with pytest.raises(AssertionError) as found:
            _conclude(eke_fuzzed, recorder, legacy_findings, "eke-legacy-finding.json", campaign)
        assert "EKE-SEC-2" in str(found.value)
        return
    _conclude(eke_fuzzed, recorder, legacy_findings, "eke-legacy-finding.json", campaign)
