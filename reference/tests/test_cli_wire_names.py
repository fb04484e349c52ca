"""A file name that is not UTF-8 (argv and file names arrive surrogate-escaped) is a usage
error before connecting — exit 2 and a one-line message — never a traceback after the
login (FRM-14: names travel as UTF-8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reference.cli import main

_BAD = os.fsdecode(b"report-\xff.txt")  # what argv holds for those bytes


@pytest.mark.parametrize(
    "argv",
    [
        ["eke", "get", "127.0.0.1:9", _BAD, "--user", "u", "--password-stdin"],
        ["get", "a@127.0.0.1:9", _BAD, "--id", "no-such-identity"],
    ],
    ids=["eke-get", "pki-get"],
)
def test_get_of_a_name_that_is_not_utf8(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not valid UTF-8" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("profile", ["eke", "pki"])
@pytest.mark.parametrize("given", [False, True], ids=["basename", "as"])
def test_put_whose_name_is_not_utf8(
    profile: str, given: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / (_BAD if not given else "plain.txt")
    source.write_bytes(b"x")
    extra = ["--as", _BAD] if given else []
    if profile == "eke":
        argv = ["eke", "put", "127.0.0.1:9", str(source), "--user", "u", "--password-stdin"]
    else:
        argv = ["put", "a@127.0.0.1:9", str(source), "--id", str(tmp_path / "no-id")]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert "not valid UTF-8" in err, err
    assert ("--as NAME" in err) is not given, err


@pytest.mark.parametrize(
    "argv",
    [
        ["eke", "get", "127.0.0.1:9", "hello.txt", "--user", "u", "--password-stdin"],
        ["get", "a@127.0.0.1:9", "hello.txt", "--id", "no-such-identity"],
    ],
    ids=["eke-get", "pki-get"],
)
@pytest.mark.parametrize("output", [".sft-partial-mine", "sub/.sft-partial-x.txt"])
def test_get_into_a_name_the_sweep_removes(
    argv: list[str],
    output: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """APP-STORE-3: a get's output named like an unfinished download would be committed
    and then deleted by the next get's sweep in that directory: a usage error before
    connecting (the old client wrote it, and lost it 600 s later)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    assert main([*argv, "-o", output]) == 2
    err = capsys.readouterr().err
    assert ".sft-partial-" in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sub"]
