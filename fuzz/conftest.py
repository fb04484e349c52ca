"""pytest entry of the fuzzers: profiles, options, the target fixture, the run's seed.

`pytest fuzz` with no target fuzzes the embedded reference (both v1 profiles, started
by `conformance.embedded.start_embedded`); `pytest fuzz --target HOST:PORT --profile
eke --user U --password-file F` (or `--target-config target.toml`, the conformance
suite's target file) fuzzes any implementation. Options the conformance plugin already
registers are reused, not registered twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.target import (
    Account,
    Target,
    TargetConfigError,
    load_target_file,
    parse_hostport,
)
from fuzz.settings import current_profile, run_seed

_V1_PROFILES = ("pki", "eke")
_DEFAULT_FINDINGS = Path(__file__).parent / "corpus"


def _add(group: pytest.OptionGroup, *names: str, **kwargs: object) -> None:
    try:
        group.addoption(*names, **kwargs)
    except ValueError:
        pass  # already registered by the conformance plugin: same meaning, reuse it


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sft-fuzz", "sft fuzzers")
    _add(group, "--target", default=None, help="HOST:PORT of the target (default: embedded)")
    _add(group, "--profile", default=None, help="pki | eke | pki-legacy | eke-legacy")
    _add(group, "--target-config", default=None, help="target file (TOML), as in conformance")
    # Same spelling and meaning as the conformance plugin (repeatable; the first is used).
    _add(group, "--user", action="append", default=[], help="eke: account name")
    _add(
        group, "--password-file", action="append", default=[], help="eke: file holding the password"
    )
    _add(group, "--root", default=None, help="pki: organisation root certificate (PEM)")
    _add(group, "--client-cert", default=None, help="pki: client certificate the target accepts")
    _add(group, "--client-key", default=None, help="pki: its private key (PEM)")
    _add(
        group, "--client-cmd", default=None, help="initiator under test: {host} {port} {name} {out}"
    )
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
        help="also fuzz the embedded legacy reference and assert real failures are found",
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


def _external_target(config: pytest.Config, profile: str) -> Target:
    target_file = config.getoption("--target-config")
    kwargs: dict[str, object] = {}
    if target_file:
        kwargs.update(load_target_file(Path(target_file)))
    hostport = config.getoption("--target")
    if hostport:
        kwargs["host"], kwargs["port"] = parse_hostport(hostport)
    kwargs["profile"] = config.getoption("--profile") or kwargs.get("profile") or profile
    if "host" not in kwargs:
        raise TargetConfigError("--target HOST:PORT (or a target file) is required")
    users, pwfiles = config.getoption("--user") or [], config.getoption("--password-file") or []
    if isinstance(users, str):
        users, pwfiles = [users], [pwfiles]
    accounts = []
    for user, pwfile in zip(users, pwfiles, strict=False):
        text = Path(pwfile).read_text(encoding="utf-8")
        accounts.append(Account(user, text[:-1] if text.endswith("\n") else text))
    if accounts:
        kwargs["accounts"] = tuple(accounts)
    if config.getoption("--root"):
        kwargs["root"] = Path(config.getoption("--root"))
    cert, key = config.getoption("--client-cert"), config.getoption("--client-key")
    if cert and key:
        kwargs["identities"] = {"fuzzer": (Path(cert), Path(key))}
    return Target(**kwargs)  # type: ignore[arg-type]


def _profiles(config: pytest.Config) -> tuple[str, ...]:
    if config.getoption("--target") or config.getoption("--target-config"):
        chosen = config.getoption("--profile")
        return (chosen,) if chosen else ("eke",)
    return _V1_PROFILES


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
    if config.getoption("--target") or config.getoption("--target-config"):
        try:
            yield _external_target(config, fuzz_profile)
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
