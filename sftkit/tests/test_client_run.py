"""sftkit.client_run: a client under test is typed at (an interactive one answers its
prompts from `--client-stdin`), bounded (its whole group killed at the timeout), and
judged by the declared success rule, never by a guess."""

from __future__ import annotations

import sys
from pathlib import Path

from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

# Asks two questions, writes the answer to the file it is told, exits 0 whatever happened
# (the shape of the seeds' interactive clients).
_PROMPTING = """
import sys
name = input("File name: ")
out = input("Save as: ")
if name == "good":
    open(out, "w").write("saved")
print("done")
"""


def _launch(tmp_path: Path, name: str, success: str) -> tuple[Path, ClientRun]:
    out = tmp_path / f"{name}-{success}.out"
    launch = client_launch(
        [sys.executable, "-c", _PROMPTING],
        {"name": name, "out": str(out)},
        stdin_template="{name}\\n{out}\\n",
        success=success,
    )
    return out, run_client(launch, timeout=30)


def test_an_interactive_client_is_typed_at_and_judged_by_its_file(tmp_path: Path) -> None:
    out, run = _launch(tmp_path, "good", "file")
    assert out.read_text() == "saved"
    assert run.succeeded and run.returncode == 0
    assert "File name: Save as: done" in run.stdout
    assert run.success_evidence().startswith("left its output file")
    out, run = _launch(tmp_path, "bad", "file")
    assert not out.exists()
    # Exit code 0 but no file: by the declared rule, not a success.
    assert run.returncode == 0 and not run.succeeded
    _, run = _launch(tmp_path, "bad", "exit")
    assert run.succeeded and run.success_evidence() == "exited 0"


def test_a_client_that_never_exits_is_killed_and_judged_by_its_rule(tmp_path: Path) -> None:
    out = tmp_path / "saved.bin"
    script = f"open({str(out)!r}, 'w').write('x')\nimport time\ntime.sleep(60)"
    for rule, succeeded in (("file", True), ("exit", False)):
        launch = client_launch([sys.executable, "-c", script], {"out": str(out)}, success=rule)
        run = run_client(launch, timeout=1.0)
        assert run.timed_out and run.returncode is None
        assert run.succeeded is succeeded, rule
        assert "killed after the timeout" in run.describe()
