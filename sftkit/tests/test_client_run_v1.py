"""An interactive v1 client driven through the v1 client cases by the one client runner.

The v1 eke client cases (conformance/eke_hostile.py, test_eke_client_transfer.py) launch
the client under test through sftkit.client_run: `--client-stdin` is typed at its prompts
(with {password} from the password file, never on its command line) and its success is
judged by `--client-success`. The client here is the reference's `sft eke get` behind a
prompt script that, like the seeds' interactive clients, exits 0 whatever happened: only
the `file` rule tells its success, and under the `exit` rule the same refusal case FAILs.
"""

from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path

import pytest

from conformance.eke_hostile import ServerView, eke_pw, establish, run_case, serve_records
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection

with warnings.catch_warnings():
    # Its marks (side, req, ...) are registered by the conformance plugin, which a run of
    # sftkit's tests does not load.
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from conformance import test_eke_client_transfer as transfer

# Asks its questions on stdin, keeps the password in a private file of its own, runs the
# reference client, and exits 0 whatever happened.
_PROMPTING = """
import os, subprocess, sys, tempfile
server = input("Server: ")
name = input("File: ")
out = input("Save as: ")
user = input("User: ")
password = input("Password: ")
with tempfile.TemporaryDirectory() as home:
    secret = os.path.join(home, "pw")
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(password)
    done = subprocess.run(
        [sys.executable, "-m", "reference", "eke", "get", server, name, "--user", user,
         "--password-file", secret, "-o", out, "--quiet", "--connect-timeout", "5",
         "--handshake-timeout", "5"],
        stdin=subprocess.DEVNULL, check=False,
    )
print("finished" if done.returncode == 0 else "something went wrong")
sys.exit(0)
"""
_TYPED = "{host}:{port}\\n{name}\\n{out}\\n{user}\\n{password}\\n"


def _interactive_target(tmp_path: Path, success: str) -> Target:
    script = tmp_path / "prompting_client.py"
    script.write_text(_PROMPTING, encoding="utf-8")
    return Target(
        profile="eke",
        host="127.0.0.1",
        port=9,  # never dialled: the client cases run their own hostile server
        client_cmd=f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}",
        client_stdin=_TYPED,
        client_success=success,
    )


def _lie(case_id: str) -> tuple[transfer.Lie, str | None]:
    for param in transfer._LIES:
        if getattr(param, "id", None) == case_id:
            lie, owed = param.values  # type: ignore[attr-defined]
            return lie, owed
    raise AssertionError(f"no lie {case_id!r} in test_eke_client_transfer.py")


def test_an_interactive_client_is_typed_at_and_keeps_an_honest_get(tmp_path: Path) -> None:
    target = _interactive_target(tmp_path, "file")
    password = "typed p\u00e4ssword"  # typed at the prompt from the file, as given
    pw = eke_pw("alice", password)

    def honest(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, 5.0)
        if channel is not None:
            serve_records(channel, view, {"offered.bin": b"x" * 3000}, 5.0)

    case = run_case(target, tmp_path, TranscriptBook(), honest, name="offered.bin",
                    password=password)
    assert case.view.saw("EKE1"), case.describe()
    assert case.result.succeeded and case.result.success == "file", case.describe()
    assert case.result.out.read_bytes() == b"x" * 3000
    assert "Password: " in case.result.stdout and password not in case.result.stdout


@pytest.mark.parametrize("case_id", ["rsfl-sha256-wrong", "close-after-0-bytes"])
def test_a_lying_server_case_judges_an_interactive_client_by_its_rule(
    tmp_path: Path, case_id: str
) -> None:
    lie, owed = _lie(case_id)
    # By the declared rule (`file`): it kept nothing, sent the owed EROR: PASS.
    (tmp_path / "file").mkdir()
    target = _interactive_target(tmp_path / "file", "file")
    case, server = transfer._run_lie(target, tmp_path / "file", TranscriptBook(), lie)
    assert case.view.saw("EKE1") and case.result.returncode == 0, case.describe()
    transfer._judge_failed_get(case, case_id, owed=owed, server=server)
    # The same client judged by its exit code (which says nothing): FAIL, with evidence.
    (tmp_path / "exit").mkdir()
    target = _interactive_target(tmp_path / "exit", "exit")
    case, server = transfer._run_lie(target, tmp_path / "exit", TranscriptBook(), lie)
    with pytest.raises(ConformanceFailure, match="exit code 0"):
        transfer._judge_failed_get(case, case_id, owed=owed, server=server)
