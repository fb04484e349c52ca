"""The target options and target files, as every entry point reads them."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.target import load_target_file, target_from_options
from sftkit.outcomes import TargetConfigError
from sftkit.target_options import TARGET_OPTIONS, TargetOptions, register_target_options


def _file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "a.pw").write_text("alice pw\n")
    path = tmp_path / "t.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('accounts = []\n', "unknown key 'accounts' in the top level: it belongs in [eke]"),
        ('root = "r.pem"\n', "unknown key 'root' in the top level: it belongs in [pki]"),
        ('idle_timeout = 3\n', "unknown key 'idle_timeout' in the top level: it belongs in "
         "[limits]"),
        ('[eke]\nroot = "r.pem"\n', "unknown key 'root' in [eke]: it belongs in [pki]"),
        ('[pki]\nfeatures = ["get"]\n', "unknown key 'features' in [pki]: it belongs in the "
         "top level"),
        ('[pki]\nrooot = "r.pem"\n', "unknown key 'rooot' in [pki]: no such key"),
        ('[limits]\nidle_timeut = 3\n', "unknown key 'idle_timeut' in [limits]"),
        ('[files]\n"a.txt" = {size = 1, sha265 = "00"}\n', "unknown key 'sha265' in [files]"),
        ('[eke]\naccounts = [{user = "a", pasword_file = "a.pw"}]\n',
         "unknown key 'pasword_file' in [accounts]"),
        ('[pki.identities]\nx = {cert = "c", keyfile = "k"}\n',
         "unknown key 'keyfile' in [pki.identities]"),
        ('[tls]\nroot = "r"\n', "unknown key 'tls' in the top level: no such key"),
    ],
)
def test_an_unknown_key_names_itself_and_where_it_belongs(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _file(tmp_path, 'profile = "eke"\ntarget = "127.0.0.1:7000"\n' + text)
    with pytest.raises(TargetConfigError) as err:
        load_target_file(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_target_file_password_is_read_by_pwf_1(tmp_path: Path) -> None:
    (tmp_path / "crlf.pw").write_bytes(b" sp\xc3\xa9 \r\n")
    path = _file(tmp_path, 'profile = "eke"\ntarget = "127.0.0.1:7000"\n'
                 '[eke]\naccounts = [{user = "a", password_file = "crlf.pw"}]\n')
    assert load_target_file(path)["accounts"][0].password == " spé "


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register_target_options(parser.add_argument)
    return parser.parse_args(argv)


def test_the_options_round_trip_through_argv() -> None:
    argv = ["--target", "127.0.0.1:7000", "--profile", "eke", "--user", "a", "--user", "b",
            "--password-file", "a.pw", "--password-file", "b.pw", "--features", "get,put"]
    options = TargetOptions.from_values(_args(*argv))
    assert TargetOptions.from_values(_args(*options.to_argv())) == options
    assert options.to_argv(only=["--target"]) == ["--target", "127.0.0.1:7000"]
    assert {o.flag for o in TARGET_OPTIONS} >= {"--target", "--profile", "--target-config"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--target", "127.0.0.1:0"), "HOST:PORT"),
        (("--user", "a"), "one --password-file for each --user"),
        (("--client-cert", "c.pem"), "go together"),
        (("--enroll", "suite"), "ALIAS:PASSWORDFILE"),
    ],
)
def test_bad_options_are_one_usage_error(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(TargetConfigError, match=message):
        TargetOptions.from_values(_args(*argv))


def test_target_config_without_target_is_an_error(tmp_path: Path) -> None:
    path = _file(tmp_path, 'profile = "eke"\n')
    with pytest.raises(TargetConfigError, match="has no 'target'"):
        target_from_options(TargetOptions(target_config=str(path)))


def test_a_target_files_profile_is_every_entry_points_profile(tmp_path: Path) -> None:
    """`--target-config` with a profile and no `--profile`: that profile everywhere."""
    from audit.cli import config_from_args
    from conformance.legacy.conftest import legacy_profile
    from fuzz import conftest as fuzz_conftest
    from fuzz.__main__ import build_target

    path = _file(tmp_path, 'profile = "pki"\ntarget = "127.0.0.1:7443"\n')
    args = _args("--target-config", str(path))
    config = SimpleNamespace(option=args)
    assert target_from_options(TargetOptions.from_values(args)).profile == "pki"  # type: ignore[union-attr]
    assert build_target(args, None).profile == "pki"
    assert fuzz_conftest._profiles(config) == ("pki",)  # type: ignore[arg-type]
    assert legacy_profile(config) == "pki"  # type: ignore[arg-type]
    audit_args = argparse.Namespace(**vars(args), expectations=None, only_req=None,
                                    out=tmp_path, fuzz_budget=1.0, no_fuzz=True,
                                    no_capture=True, workers=1, strict=False)
    audit = config_from_args(audit_args)
    assert audit.profiles == ("pki",)
    assert audit.conformance_args[-2:] == ("--profile", "pki")
    legacy = _file(tmp_path, 'profile = "eke-legacy"\ntarget = "127.0.0.1:5000"\n')
    assert legacy_profile(SimpleNamespace(option=_args("--target-config", str(legacy)))) == (  # type: ignore[arg-type]
        "eke-legacy"
    )


def test_every_target_file_key_is_documented_and_the_readme_example_loads(
    tmp_path: Path,
) -> None:
    import re

    from conformance.target import TARGET_FILE_KEYS

    readme = (Path(__file__).resolve().parents[2] / "conformance" / "README.md").read_text()
    section = readme.split("## Target file keys", 1)[1].split("\n## ", 1)[0]
    def _words(text: str) -> set[str]:
        return set(re.findall(r"`[^`]+`", text))

    missing = sorted(
        f"{table or 'top level'}.{key}"
        for table, keys in TARGET_FILE_KEYS.items()
        for key in keys
        if not {f"`{key}`", f"`[{key}]`", f"`[{table}.{key}]`"} & _words(section)
    )
    assert missing == []
    # The README's own example target file is a valid target file.
    example = re.search(r"```toml\n(profile = .*?)```", readme, re.S)
    assert example is not None
    for name in ("alice.pw", "bob.pw"):
        (tmp_path / name).write_text("pw\n")
    loaded = load_target_file(_file(tmp_path, example.group(1)))
    assert loaded["profile"] == "eke" and loaded["extra"]["directories"] == ["adir"]
