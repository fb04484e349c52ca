"""pytest entry of the fuzzers: profiles, options, the target fixture, the run's seed.

`pytest fuzz` with no target fuzzes the embedded reference (both v1 profiles, started
by `conformance.embedded.start_embedded`); `pytest fuzz --target HOST:PORT --profile
eke --user U --password-file F` (or `--target-config target.toml`, the conformance
suite's target file) fuzzes any implementation. The target options are the kit's
(sftkit.target_options): one meaning in every entry point.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.target import Target, target_from_options
from fuzz.settings import current_profile, run_seed
from sftkit.outcomes import TargetConfigError
from sftkit.target_options import TargetOptions

_V1_PROFILES = ("pki", "eke")
_DEFAULT_FINDINGS = Path(__file__).parent / "corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    # The target options (--target, --profile, --user, --client-cert, ...) are the kit's,
    # registered once for every suite by sftkit.pytest_plugin; these are the fuzzers' own.
    group = parser.getgroup("sft-fuzz", "sft fuzzers")
    group.addoption(
        "--fuzz-db", default=None, help="share hypothesis' example database: redis://HOST:PORT/N"
    )
    group.addoption(
        "--fuzz-findings",
        default=str(_DEFAULT_FINDINGS),
        help="where shrunk failing cases are saved (default fuzz/corpus)",
    )
    group.addoption(
        "--fuzz-legacy",
        action="store_true",
        default=False,
        help="also fuzz the legacy profiles: the embedded legacy reference (its known flaws "
        "must be found), or --target with --profile pki-legacy|eke-legacy",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz_legacy: fuzzes the legacy reference (opt-in)")
    # Chosen in the controller and put in the environment, so xdist workers share it.
    run_seed()


def pytest_report_header(config: pytest.Config) -> list[str]:
    profile = current_profile()
    return [
        f"fuzz: seed {run_seed()} (replay with FUZZ_SEED={run_seed()}), "
        f"profile {profile.name} ({profile.max_examples} examples/test, "
        f"budget {profile.budget_seconds:.0f} s/test)"
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One xdist group per profile: each worker then starts one embedded reference, not
    # both (starting the PKI side costs seconds: a CA and three enrolments). tryfirst:
    # xdist's loadgroup reads the marks in its own hook, after this one.
    for item in items:
        callspec = getattr(item, "callspec", None)
        profile = callspec.params.get("fuzz_profile") if callspec is not None else None
        if profile and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(f"fuzz-{profile}"))
    if config.getoption("--fuzz-legacy"):
        return
    skip = pytest.mark.skip(reason="legacy fuzzing is opt-in: pytest fuzz --fuzz-legacy")
    for item in items:
        if "fuzz_legacy" in item.keywords:
            item.add_marker(skip)


def _options(config: pytest.Config) -> TargetOptions:
    try:
        return TargetOptions.from_values(config.option)
    except TargetConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc


def _external_target(config: pytest.Config) -> Target:
    target = target_from_options(_options(config))
    if target is None:
        raise TargetConfigError("--target HOST:PORT (or a target file) is required")
    return target


def _profiles(config: pytest.Config) -> tuple[str, ...]:
    """The profiles to fuzz: the external target's (--profile, else its target file's),
    or, for the embedded reference, --profile's or both v1 profiles."""
    options = _options(config)
    try:
        chosen = options.chosen_profile()
    except TargetConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if options.external:
        if chosen and chosen.endswith("-legacy"):
            return ()  # fuzz/test_legacy.py (--fuzz-legacy) fuzzes legacy targets
        return (chosen,) if chosen else ("eke",)
    return (chosen,) if chosen in _V1_PROFILES else _V1_PROFILES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if getattr(metafunc.function, "fuzz_profile_from_case", False):
        return  # the test module parametrizes fuzz_profile with its cases
    if "fuzz_profile" in metafunc.fixturenames:
        wanted = _profiles(metafunc.config)
        only = getattr(metafunc.function, "fuzz_profiles", None)
        chosen = [p for p in wanted if only is None or p in only]
        metafunc.parametrize("fuzz_profile", chosen, scope="session")


@pytest.fixture(scope="session")
def fuzz_target(
    request: pytest.FixtureRequest, fuzz_profile: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The target for `fuzz_profile`: external from the options, or the embedded reference."""
    config = request.config
    if _options(config).external:
        try:
            yield _external_target(config)
        except (TargetConfigError, OSError) as exc:
            pytest.exit(f"fuzz: {exc}", returncode=2)
        return
    from conformance.embedded import EmbeddedError, start_embedded
    from fuzz.oracles import measurable_allocator

    # Started once per profile per process, whatever parametrization asks for it (the
    # corpus tests parametrize fuzz_profile their own way); stopped at session end.
    if fuzz_profile not in _EMBEDDED:
        try:
            workdir = tmp_path_factory.mktemp(f"fuzz-{fuzz_profile}")
            with measurable_allocator():  # test_resources_stay_bounded reads its RSS
                _EMBEDDED[fuzz_profile] = start_embedded(fuzz_profile, workdir)
        except EmbeddedError as exc:
            pytest.skip(f"the embedded reference ({fuzz_profile}) cannot start: {exc}")
    yield _EMBEDDED[fuzz_profile]


_EMBEDDED: dict[str, Target] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _EMBEDDED:
        _profile, target = _EMBEDDED.popitem()
        target.stop()


@pytest.fixture(scope="session")
def findings_dir(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--fuzz-findings"))


@pytest.fixture(scope="session")
def example_db(request: pytest.FixtureRequest) -> object:
    url = request.config.getoption("--fuzz-db")
    if not url:
        return None
    from fuzz.db import FuzzDbError, open_example_db

    try:
        return open_example_db(url)
    except FuzzDbError as exc:
        pytest.exit(f"fuzz: {exc}", returncode=2)


os.environ.setdefault("HYPOTHESIS_PROFILE", "quick")
