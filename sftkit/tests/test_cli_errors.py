"""The command line a daily user meets: one option vocabulary, help for every option,
`--version`, and every environment error as one line with the documented exit code
(0 done, 1 refused or failed, 2 usage or environment) — never a traceback.

Parser checks run in-process (cheap); each environment error runs the real command in
a subprocess, as the user would, and asserts its exit code and its stderr.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from reference.cli import build_parser as reference_parser
from sftkit.cli import build_parser as sft_parser

TIMEOUT = 60.0


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (sub)command parser under `parser`, with the words that reach it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in parser._actions for o in a.option_strings}


def _sft_command(*words: str) -> argparse.ArgumentParser:
    for path, parser in _commands(sft_parser()):
        if path == words:
            return parser
    raise AssertionError(f"no command {' '.join(words)}")


# The pass-through commands hand every word to another tool's own parser.
_PASS_THROUGH = {("fuzz",), ("bench",)}


def test_every_option_and_argument_has_help_text() -> None:
    missing = []
    for root in (sft_parser(), reference_parser()):
        for path, parser in _commands(root):
            if path in _PASS_THROUGH:
                continue
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    continue
                if action.help is None or (
                    action.help != argparse.SUPPRESS and not action.help.strip()
                ):
                    name = "/".join(action.option_strings) or action.dest
                    missing.append(f"{root.prog} {' '.join(path)}: {name}")
    assert not missing, "options without help text:\n" + "\n".join(missing)


def test_every_command_that_reads_a_password_takes_a_password_file() -> None:
    lacking = [
        " ".join(path)
        for path, parser in _commands(sft_parser())
        if "--password-stdin" in _options(parser) and "--password-file" not in _options(parser)
    ]
    assert not lacking, f"--password-stdin without --password-file: {lacking}"


# One name per concept: the PKI initiator and the EKE client spell each option alike.
_CLIENT_VOCABULARY = {
    "-q", "--quiet", "-v", "--verbose", "-o", "--output", "--force",
    "--connect-timeout", "--handshake-timeout", "--idle-timeout", "--max-frame",
}


@pytest.mark.parametrize(
    ("pki", "eke", "shared"),
    [
        (("get",), ("eke", "get"), _CLIENT_VOCABULARY),
        (("put",), ("eke", "put"), (_CLIENT_VOCABULARY - {"-o", "--output", "--force"}) | {"--as"}),
        (
            ("peer", "serve"),
            ("eke", "serve"),
            {"--listen", "--share", "--inbox", "--handshake-timeout", "--idle-timeout",
             "--max-connections", "--max-pending-per-address", "--max-file-size", "--max-frame"},
        ),
    ],
)
def test_both_profiles_spell_each_option_alike(
    pki: tuple[str, ...], eke: tuple[str, ...], shared: set[str]
) -> None:
    for words in (pki, eke):
        visible = {
            o
            for a in _sft_command(*words)._actions
            if a.help != argparse.SUPPRESS
            for o in a.option_strings
        }
        assert shared <= visible, f"sft {' '.join(words)} lacks {sorted(shared - visible)}"


@pytest.mark.parametrize(
    ("argv", "dest", "value"),
    [
        (["put", "bob@127.0.0.1:1", "f", "--id", "i", "--name", "n.txt"], "remote_name", "n.txt"),
        (["put", "bob@127.0.0.1:1", "f", "--id", "i", "--frame-limit", "512"], "max_frame", 512),
        (["eke", "put", "h:1", "f", "--user", "u", "--name", "n.txt"], "remote_name", "n.txt"),
        (["eke", "get", "h:1", "f", "--user", "u", "--frame-limit", "512"], "frame_limit", 512),
        (["eke", "get", "h:1", "f", "--user", "u", "--timeout", "3"], "connect_timeout", 3.0),
        (["eke", "get", "h:1", "f", "--user", "u", "--timeout", "3"], "handshake_timeout", 3.0),
        (
            ["eke", "serve", "--store", "s", "--listen", "h:1", "--share", "a", "--inbox", "b",
             "--frame-limit", "512"],
            "frame_limit",
            512,
        ),
    ],
)
def test_old_spellings_still_work_hidden_and_say_so(
    argv: list[str], dest: str, value: object, capsys: pytest.CaptureFixture[str]
) -> None:
    args = sft_parser().parse_args(argv)
    assert getattr(args, dest) == value
    old = next(w for w in argv if w in ("--name", "--frame-limit", "--timeout"))
    warning = capsys.readouterr().err.strip().splitlines()
    assert warning == [warning[0]] and "deprecated" in warning[0] and old in warning[0]
    parser = _sft_command(*[w for w in argv[:2] if not w.startswith(("bob@", "h:"))])
    assert old not in parser.format_help(), f"{old} should be hidden from --help"


def test_new_spellings_keep_the_defaults_when_old_ones_are_absent() -> None:
    args = sft_parser().parse_args(["eke", "get", "h:1", "f", "--user", "u"])
    assert args.connect_timeout == args.handshake_timeout == 10.0
    assert args.remote_name is None if hasattr(args, "remote_name") else True
    args = sft_parser().parse_args(["put", "bob@h:1", "f", "--id", "i"])
    assert args.remote_name is None and args.max_frame > 0


# -- the real commands ------------------------------------------------------------------------


def _run(
    *argv: str, cwd: Path, tool: str = "reference", stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    module = "reference" if tool == "reference" else "sftkit"
    return subprocess.run(
        [sys.executable, "-m", module, *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _one_line_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{done.stderr}"
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]


@pytest.mark.parametrize("tool", ["reference", "sft"])
def test_version_comes_from_the_package_metadata(tool: str, tmp_path: Path) -> None:
    done = _run("--version", cwd=tmp_path, tool=tool)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(version("sft-kit")), done.stdout


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:  # nothing listens on it once closed
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "pw"
    path.write_text("correct horse battery staple\n", encoding="utf-8")
    return path


def test_an_unreachable_eke_server_is_one_line(
    tmp_path: Path, closed_port: int, password_file: Path
) -> None:
    done = _run(
        "eke", "get", f"127.0.0.1:{closed_port}", "f", "--user", "alice",
        "--password-file", str(password_file), cwd=tmp_path,
    )
    _one_line_error(done, 2)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("eke", "serve", "--store", "missing.db", "--listen", "127.0.0.1:0",
          "--share", ".", "--inbox", "."), ()),
        (("eke", "serve", "--store", "missing.db", "--listen", "127.0.0.1:0",
          "--share", "./typo", "--inbox", "."), ("typo",)),
        (("eke", "put", "127.0.0.1:1", "./typo.bin", "--user", "alice",
          "--password-file", "pw"), ("typo",)),
        (("eke", "get", "127.0.0.1:1", "f", "--user", "alice", "--password-file", "./typo"),
         ("password file",)),
        (("peer", "serve", "--id", "./typo", "--listen", "127.0.0.1:0"), ("typo",)),
        (("ca", "serve", "--dir", "./typo", "--listen", "127.0.0.1:0"), ()),
        (("ca", "user", "add", "bob", "--dir", "./typo", "--password-file", "pw"), ()),
        (("enroll", "--ca", "https://127.0.0.1:1", "--root", "./typo.pem", "--alias", "bob",
          "--password-file", "pw", "--out", "id"), ("typo.pem",)),
        (("enroll", "--ca", "https://127.0.0.1:1", "--root", "pw", "--alias", "bob",
          "--password-file", "./typo", "--out", "id"), ("password file",)),
        (("eke", "user", "list", "--store", "./typo/x.db"), ()),
        (("eke", "get", "127.0.0.1:1", "f", "--user", "alice", "--password-file", "pw",
          "-o", "./nodir/f"), ("nodir",)),
        (("get", "bob@127.0.0.1:1", "f", "--id", "./typo", "-o", "./nodir/f"), ("nodir",)),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, tuple) and len(v) > 2 else None,
)
def test_environment_errors_are_one_line_with_exit_code_2(
    tmp_path: Path, password_file: Path, argv: tuple[str, ...], words: tuple[str, ...]
) -> None:
    assert password_file.parent == tmp_path
    _one_line_error(_run(*argv, cwd=tmp_path), 2, *words)


def test_a_password_file_enrols_like_stdin(tmp_path: Path, password_file: Path) -> None:
    """`sft ca user add --password-file` stores the same password stdin would."""
    assert _run("ca", "init", "--dir", "ca", "--unencrypted-key", cwd=tmp_path).returncode == 0
    done = _run("ca", "user", "add", "bob", "--dir", "ca", "--password-file", "pw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    from reference.pki.ca import CertificateAuthority

    ca = CertificateAuthority(tmp_path / "ca")
    try:
        assert [u.alias for u in ca.list_users()] == ["bob"]
    finally:
        ca.close()


def test_a_user_list_into_a_closed_pipe_is_quiet(tmp_path: Path, password_file: Path) -> None:
    """`sft eke user list | head -1`: the reader went away; no BrokenPipeError, exit 0."""
    for user in ("alice", "bob"):
        added = _run(
            "eke", "user", "add", user, "--store", "s.db", "--password-file", "pw", cwd=tmp_path
        )
        assert added.returncode == 0, added.stderr
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reference", "eke", "user", "list", "--store", "s.db"],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


def test_audit_into_an_unwritable_report_directory_is_a_harness_error(
    tmp_path: Path, closed_port: int, password_file: Path
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    done = _run(
        "audit", "--target", f"127.0.0.1:{closed_port}", "--profile", "eke", "--user", "alice",
        "--password-file", "pw", "--no-fuzz", "--no-capture", "--out", "a-file/reports",
        cwd=tmp_path, tool="sft",
    )
    _one_line_error(done, 2, "a-file/reports")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_audit_into_a_read_only_directory_is_a_harness_error(
    tmp_path: Path, closed_port: int, password_file: Path
) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o555)
    done = _run(
        "audit", "--target", f"127.0.0.1:{closed_port}", "--profile", "eke", "--user", "alice",
        "--password-file", "pw", "--no-fuzz", "--no-capture", "--out", "ro",
        cwd=tmp_path, tool="sft",
    )
    _one_line_error(done, 2, "ro")


def test_an_unreachable_audit_target_is_short(
    tmp_path: Path, closed_port: int, password_file: Path
) -> None:
    """A relative password file, a closed port: the verdict in a few lines, exit 2."""
    done = _run(
        "audit", "--target", f"127.0.0.1:{closed_port}", "--profile", "eke", "--user", "alice",
        "--password-file", "pw", "--fuzz-budget", "1", "--no-capture", "--out", "reports",
        cwd=tmp_path, tool="sft",
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(done.stdout.splitlines()) + len(done.stderr.splitlines()) <= 16, (
        done.stdout + done.stderr
    )
    assert "refused" in done.stdout.lower(), done.stdout
    assert "cannot read password file" not in done.stdout + done.stderr
