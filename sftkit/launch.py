"""The one way the kit starts, waits for and stops a process: a reference server (v1 or
legacy), a one-shot reference command, any server under test the kit runs itself.

The rules, the same for every caller (conformance/embedded.py, conformance/legacy/embedded.py,
captures/live.py, the benchmarks):

- **own process group**: each process starts in a new session, so that stopping it also
  stops whatever it spawned, and a stop never signals the kit itself;
- **readiness by a stated rule, never a sleep**: a server is ready when a line of its
  output says so (by default the reference's `listening on HOST:PORT`); the wait is
  bounded, and a process that exits first is reported at once with its output's tail;
- **stop**: SIGTERM to the group, then SIGKILL to the group after a deadline;
- **logs**: stdout and stderr both go to one log file (given, or a temporary one that is
  read back and removed at stop); a server's output keeps being drained there, so it
  never blocks on a full pipe;
- **no orphans**: processes still running when the interpreter exits are stopped.

Standard library only (the kit's core; see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "DEFAULT_READY_TIMEOUT",
    "DEFAULT_STOP_DEADLINE",
    "LaunchError",
    "LaunchedProcess",
    "ReadyRule",
    "launch_server",
    "listening_address",
    "python_env",
    "run_command",
    "stop_all",
]

DEFAULT_READY_TIMEOUT = 20.0
DEFAULT_STOP_DEADLINE = 5.0
_READY_PREFIX = "listening on "

# A readiness rule: given one line of the process's output, the address it listens on
# once that line says it is ready, else None.
ReadyRule = Callable[[str], tuple[str, int] | None]


class LaunchError(RuntimeError):
    """A process could not be started, did not become ready in time, or failed (one
    line, ending with the last line of its output)."""


def listening_address(line: str) -> tuple[str, int] | None:
    """The reference's readiness rule: a line `listening on HOST:PORT` (IPv6 in [])."""
    text = line.strip()
    if not text.startswith(_READY_PREFIX):
        return None
    words = text[len(_READY_PREFIX):].split()
    if not words:
        return None
    host, _, port = words[0].rpartition(":")
    if not host or not (port.isascii() and port.isdigit()):
        return None
    return host.strip("[]"), int(port)


def python_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment, with unbuffered Python output (a readiness line must not wait in
    a buffer) and no bytecode written into the checkout."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    if extra:
        env.update(extra)
    return env


_RUNNING: set[LaunchedProcess] = set()
_RUNNING_LOCK = threading.Lock()


class LaunchedProcess:
    """A started server: its address once ready, its log, and a stop that always ends it."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        log: Path | None = None,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        ready: ReadyRule = listening_address,
    ) -> None:
        self.argv = tuple(argv)
        self.name = name
        self.host = ""
        self.port = 0
        self._owns_log = log is None
        if log is None:
            fd, raw = tempfile.mkstemp(prefix=f"sft-{_safe(name)}-", suffix=".log")
            os.close(fd)
            log = Path(raw)
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self._final_output: str | None = None
        self._ready_rule = ready
        self._ready = threading.Event()
        self._eof = False
        self._stop_lock = threading.Lock()
        self.proc = subprocess.Popen(
            list(self.argv),
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else python_env(),
            cwd=cwd,
            start_new_session=True,
        )
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        if stdin is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write(stdin)
                self.proc.stdin.close()
            except BrokenPipeError:  # it exited before reading: its log says why
                pass
        self._pump = threading.Thread(target=self._drain, name=f"log-{name}", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain(self) -> None:
        """Copy the output into the log, watching each line for readiness until it comes."""
        stdout = self.proc.stdout
        assert stdout is not None
        pending = b""
        with self.log.open("ab") as out:
            while chunk := os.read(stdout.fileno(), 65536):
                out.write(chunk)
                out.flush()
                if self._ready.is_set():
                    continue
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    address = self._ready_rule(raw.decode("utf-8", "replace"))
                    if address is not None:
                        self.host, self.port = address
                        self._ready.set()
                        break
        stdout.close()
        self._eof = True
        self._ready.set()  # wakes a waiter at once: the process has closed its output

    def wait_ready(self, timeout: float = DEFAULT_READY_TIMEOUT) -> tuple[str, int]:
        """Block until the readiness rule matched (bounded); else stop and raise."""
        self._ready.wait(timeout)
        if self.port or self.host:
            return self.host, self.port
        why = "exited" if self._eof else f"did not say it was ready within {timeout:g} s"
        self.stop()
        raise LaunchError(f"`{self.describe()}` {why}: {self.log_tail()}")

    def describe(self) -> str:
        """The command, short enough for one line of an error."""
        words = [Path(self.argv[0]).name, *self.argv[1:5]]
        return " ".join(words) + (" ..." if len(self.argv) > 5 else "")

    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        """Everything it wrote so far (stdout and stderr)."""
        if self._final_output is not None:
            return self._final_output
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self) -> str:
        lines = self.output().strip().splitlines()
        return lines[-1] if lines else f"no output (exit code {self.proc.poll()})"

    def signal_stop(self) -> None:
        """SIGTERM to its process group (without waiting)."""
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)

    def stop(self, deadline: float = DEFAULT_STOP_DEADLINE) -> str:
        """SIGTERM to the group, SIGKILL after `deadline` seconds; returns its output."""
        with self._stop_lock:
            self.signal_stop()
            self._reap(deadline)
            self._pump.join(timeout=deadline)
            text = self.output()
            if self._owns_log and self._final_output is None:
                self._final_output = text
                self.log.unlink(missing_ok=True)
            with _RUNNING_LOCK:
                _RUNNING.discard(self)
            return text

    def _reap(self, deadline: float) -> None:
        try:
            self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            # Still alive (the group is then still ours: its leader is not reaped).
            _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=deadline)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40] or "process"


def launch_server(
    argv: Sequence[str],
    *,
    name: str,
    log: Path | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ready: ReadyRule = listening_address,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
) -> LaunchedProcess:
    """Start `argv` in its own process group and wait until `ready` matches a line of its
    output (the reference's `listening on HOST:PORT` by default). Raises LaunchError
    (with its output's last line) if it exits or stays silent; it is then stopped."""
    process = LaunchedProcess(argv, name=name, log=log, stdin=stdin, env=env, cwd=cwd,
                              ready=ready)
    process.wait_ready(ready_timeout)
    return process


def stop_all(processes: Iterable[LaunchedProcess], deadline: float = DEFAULT_STOP_DEADLINE) -> None:
    """Stop several at once: every group gets SIGTERM first, then each is reaped."""
    listed = list(processes)
    for process in listed:
        process.signal_stop()
    for process in listed:
        process.stop(deadline)


def run_command(
    argv: Sequence[str],
    *,
    stdin: bytes = b"",
    timeout: float,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a one-shot command to its end in its own process group (the whole group is
    killed when it overruns `timeout`: LaunchError); its output goes to `log` if given.
    The exit code is the caller's to judge."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else python_env(),
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.communicate()
        words = " ".join([Path(argv[0]).name, *argv[1:4]])
        raise LaunchError(f"`{words}` did not finish within {timeout:g} s") from None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(out + err)
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


@atexit.register
def _stop_leftovers() -> None:
    with _RUNNING_LOCK:
        leftovers = list(_RUNNING)
    stop_all(leftovers, deadline=2.0)
