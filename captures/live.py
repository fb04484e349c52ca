"""Run the reference's servers and clients (the `sft` CLI) to produce real traffic.

Used by the live tests and by `captures/make_samples.py`. Servers print one
readiness line, ``listening on HOST:PORT``, once they accept connections; we
wait for that line (bounded), never for a fixed time.
"""

from __future__ import annotations

__all__ = ["ServerProcess", "sft_command", "sft_has"]

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

_READY = re.compile(r"listening on ([0-9.]+|\[[0-9a-f:]+\]):(\d+)")


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
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self.output: list[str] = []

    def _watch(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.output.append(line)
            m = _READY.search(line)
            if m and not self._ready.is_set():
                self.host, self.port = m.group(1), int(m.group(2))
                self._ready.set()

    def __enter__(self) -> ServerProcess:
        env = dict(os.environ)
        self._proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env,
        )
        if self.stdin is not None and self._proc.stdin is not None:
            self._proc.stdin.write(self.stdin)
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        threading.Thread(target=self._watch, daemon=True).start()
        if not self._ready.wait(self.timeout):
            self.stop()
            raise RuntimeError(f"{' '.join(self.argv[:3])} did not print its readiness line")
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
