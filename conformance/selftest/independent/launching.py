"""How the independent implementations' tests start them: the kit's one launcher
(sftkit.launch: own process group, readiness from the `listening on HOST:PORT` line,
output drained to a log, group stopped at the end), with exactly the planted faults asked."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
from pathlib import Path

from sftkit.launch import python_env

__all__ = ["FAULTS_VARIABLE", "fault_env"]

FAULTS_VARIABLE = "SFT_INDEPENDENT_FAULTS"


def fault_env(faults: str) -> dict[str, str]:
    """This environment for a child with exactly `faults` planted (none when empty): a
    fault variable the caller happens to have must not leak into a clean run."""
    env = python_env()
    env.pop(FAULTS_VARIABLE, None)
    if faults:
        env[FAULTS_VARIABLE] = faults
    return env


def _hup_and_wait(pid: int, log: Path, timeout: float = 20.0) -> int:
    """SIGHUP `pid` (a server that re-executes itself on its listening socket) and return
    once its log has one more `listening on` line: the new image serves, so the suite's
    next connection cannot be accepted by the old one and then dropped."""

    def ready_lines() -> int:
        try:
            return log.read_text(encoding="utf-8", errors="replace").count("listening on ")
        except FileNotFoundError:
            return 0

    before = ready_lines()
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_lines() > before:
            return 0
        time.sleep(0.02)  # polling a file another process appends to; bounded above
    print(f"no new 'listening on' line in {log} within {timeout:.0f} s", file=sys.stderr)
    return 1


def hup_restart_command(pid: int, log: Path) -> str:
    """A target's restart_cmd for such a server: SIGHUP, then wait until it serves again."""
    return shlex.join([sys.executable, "-m", __name__, "hup", str(pid), str(log)])


__all__ += ["hup_restart_command"]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "hup":
        raise SystemExit(_hup_and_wait(int(sys.argv[2]), Path(sys.argv[3])))
    raise SystemExit(f"usage: python -m {__name__} hup PID LOG")
