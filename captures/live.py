"""Run the reference's servers and clients (the `sft` CLI) to produce real traffic.

Used by the live tests and by `captures/make_samples.py`. Servers print one
readiness line, ``listening on HOST:PORT``, once they accept connections; we
wait for that line (bounded), never for a fixed time — through the kit's one launcher,
sftkit.launch (own process group, SIGTERM then SIGKILL at stop).
"""

from __future__ import annotations

__all__ = ["ServerProcess", "sft_command", "sft_has"]

import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from sftkit.launch import LaunchedProcess, LaunchError, launch_server


def sft_command() -> list[str]:
    """argv prefix that runs this kit's `sft` CLI with the current interpreter."""
    exe = Path(sys.executable).with_name("sft")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("sft")
    if found:
        return [found]
    return [sys.executable, "-m", "reference"]


def sft_has(*words: str) -> bool:
    """True when `sft WORDS... --help` works (that command exists in this tree)."""
    try:
        proc = subprocess.run(
            [*sft_command(), *words, "--help"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


class ServerProcess:
    """`with ServerProcess([...]) as srv: srv.port` — started, ready, and stopped at exit."""

    def __init__(self, argv: list[str], stdin: bytes | None = None, timeout: float = 20.0) -> None:
        self.argv = argv
        self.stdin = stdin
        self.timeout = timeout
        self.port = 0
        self.host = ""
        self._process: LaunchedProcess | None = None

    @property
    def output(self) -> list[str]:
        """What it wrote so far (stdout and stderr), line by line."""
        return [] if self._process is None else self._process.output().splitlines()

    def __enter__(self) -> ServerProcess:
        try:
            self._process = launch_server(
                self.argv, name=Path(self.argv[0]).name, stdin=self.stdin or b"",
                ready_timeout=self.timeout,
            )
        except LaunchError as exc:  # a RuntimeError, as this always raised
            raise LaunchError(
                f"{' '.join(self.argv[:3])} did not print its readiness line: {exc}"
            ) from None
        self.host, self.port = self._process.host, self._process.port
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(deadline=10)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
