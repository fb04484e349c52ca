"""Against the legacy reference the fuzzers must find real failures (opt-in: --fuzz-legacy).

Each test runs a hypothesis campaign against the embedded legacy reference and
asserts that it FAILS with the requirement the seed's design breaks: a file from
outside the share served to a requested name (sft-pki/0, APP-NAME-4) and the file in
clear on the wire (sft-eke/0, EKE-SEC-2). The shrunk case is saved under
fuzz/corpus/legacy/ with that requirement.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, seed
from hypothesis import strategies as st

from conformance.legacy.embedded import (
    LegacyEkeTarget,
    LegacyPkiTarget,
    start_eke_legacy,
    start_pki_legacy,
)
from fuzz.campaign import FindingRecorder
from fuzz.cases import Case, Write
from fuzz.legacy import LegacyPkiIdentity, judge, run_eke_legacy, run_pki_legacy
from fuzz.mutators import Mutation, apply_all
from fuzz.oracles import Secrets
from fuzz.settings import fuzz_settings, run_seed
from fuzz.strategies import Knowledge, hostile_names, mutations

pytestmark = [pytest.mark.fuzz_legacy, pytest.mark.xdist_group("fuzz-legacy")]

_DEADLINE = 12.0  # the embedded legacy peer's idle timeout is 10 s
_LEGACY_FINDINGS = Path(__file__).parent / "corpus" / "legacy"


@pytest.fixture(scope="module")
def pki_legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LegacyPkiTarget, Path]]:

    workdir = tmp_path_factory.mktemp("fuzz-pki-legacy")
    target = start_pki_legacy(workdir)
    try:
        yield target, workdir
    finally:
        target.stop()


def _enrol(target: LegacyPkiTarget, workdir: Path) -> LegacyPkiIdentity:
    assert target.enroll is not None and target.ca_url is not None, "embedded legacy CA"
    alias, password = target.enroll
    out = workdir / "fuzz-id"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reference",
            "legacy",
            "pki-enrol",
            "--ca-url",
            target.ca_url,
            "--root",
            str(target.root),
            "--alias",
            alias,
            "--password-stdin",
            "--out-dir",
            str(out),
        ],
        input=(password + "\n").encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return LegacyPkiIdentity(
        (out / f"{alias}.pem").read_bytes(), (out / f"{alias}.key").read_bytes()
    )


@pytest.mark.req("APP-NAME-4", "LEG-GEN-2")
def test_fuzzing_pki_legacy_finds_the_path_escape(pki_legacy: tuple[LegacyPkiTarget, Path]) -> None:
    target, workdir = pki_legacy
    identity = _enrol(target, workdir)
    secrets = Secrets(canary=(workdir / "secret.txt").read_bytes())
    knowledge = Knowledge(file_name="report.bin", canary_name="secret.txt")
    recorder = FindingRecorder()
    names = st.one_of(st.just("report.bin"), hostile_names(knowledge))

    @seed(run_seed())
    @fuzz_settings(max_examples=200, database=None)
    @given(name=names, muts=st.lists(mutations("pki-legacy", "connect", knowledge), max_size=1))
    def campaign(name: str, muts: list[Mutation]) -> None:
        writes = apply_all((Write(b""),), muts)
        case = Case(
            "pki-legacy",
            "connect",
            writes,
            tuple(m.describe() for m in muts),
            extra={"name": name},
        )
        out = run_pki_legacy(target.host, target.port, identity, case, _DEADLINE)
        violations = judge(out, secrets, _DEADLINE)
        if violations:
            recorder.record(case, violations)
            raise AssertionError("; ".join(map(str, violations)))

    with pytest.raises(AssertionError) as found:
        campaign()
    assert "APP-NAME-4" in str(found.value)
    # One file per requirement: a rerun refreshes the finding instead of adding one.
    saved = recorder.save(_LEGACY_FINDINGS, "pki-legacy-app-name-4.json")
    assert saved is not None and "APP-NAME-4" in saved.read_text()
    print(f"\nlegacy finding (expected): {found.value}\nsaved: {saved}")


@pytest.fixture(scope="module")
def eke_legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LegacyEkeTarget, Path]]:

    workdir = tmp_path_factory.mktemp("fuzz-eke-legacy")
    target = start_eke_legacy(workdir)
    try:
        yield target, workdir
    finally:
        target.stop()


@pytest.mark.req("EKE-SEC-2", "LEG-GEN-2")
def test_fuzzing_eke_legacy_finds_the_file_in_clear(
    eke_legacy: tuple[LegacyEkeTarget, Path],
) -> None:
    target, workdir = eke_legacy
    secrets = Secrets(
        files={"testfile1.pdf": (workdir / "testfile1.pdf").read_bytes()},
        passwords=(target.password,),
    )
    recorder = FindingRecorder()

    @seed(run_seed())
    @fuzz_settings(max_examples=50, database=None)
    @given(
        user=st.sampled_from(["yash101", "", "nobody", "yash101\x00"]),
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
        out = run_eke_legacy(target.host, target.port, target.password, case, _DEADLINE)
        violations = judge(out, secrets, _DEADLINE)
        if violations:
            recorder.record(case, violations)
            raise AssertionError("; ".join(map(str, violations)))

    with pytest.raises(AssertionError) as found:
        campaign()
    assert "EKE-SEC-2" in str(found.value)
    saved = recorder.save(_LEGACY_FINDINGS, "eke-legacy-eke-sec-2.json")
    assert saved is not None
    print(f"\nlegacy finding (expected): {found.value}\nsaved: {saved}")
