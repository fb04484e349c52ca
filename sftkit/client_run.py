"""Running an initiator (client / requester) under test once, the same way everywhere.

`sftkit.target_options.client_launch` expands `--client-cmd`, `--client-stdin` and
`--client-success` into a `ClientLaunch`; `run_client` runs it: in its own process group,
typing its stdin (an interactive client answers prompts from it), bounded by a timeout
after which the whole group is killed, and judged by the declared success rule — so an
interactive seed client that saves the file and then never exits cleanly is driven and
judged like any other.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sftkit.launch import python_env
from sftkit.target_options import ClientLaunch

__all__ = ["ClientRun", "run_client"]


@dataclass(frozen=True)
class ClientRun:
    """What one run of the client did."""

    launch: ClientLaunch
    returncode: int | None  # None: still running at the timeout (then killed)
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def succeeded(self) -> bool:
        """By the declared rule: exit code 0, or the {out} file there (a killed client
        counts when the rule is `file` and it had saved the file)."""
        if self.launch.success == "file":
            return self.launch.succeeded(-1)
        return self.returncode is not None and self.launch.succeeded(self.returncode)

    def describe(self) -> str:
        """`exit code N` or `killed after the timeout`, for evidence."""
        return "killed after the timeout" if self.returncode is None else (
            f"exit code {self.returncode}"
        )

    def success_evidence(self) -> str:
        """How the run reported success, by its rule, for evidence: `exited 0`, or that
        it left the {out} file (with how it ended)."""
        if self.launch.success == "file":
            left = "left" if self.succeeded else "did not leave"
            return f"{left} its output file ({self.describe()})"
        return "exited 0" if self.returncode == 0 else self.describe()


def run_client(
    launch: ClientLaunch,
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> ClientRun:
    """Run the client to its end (or kill its process group at `timeout`).

    `env` adds variables to the environment (e.g. a planted SSL_CERT_FILE); `started`
    gets the running process before its stdin is typed and its end awaited (a case that
    signals its client mid-transfer needs the handle)."""
    proc = subprocess.Popen(
        list(launch.argv),
        stdin=subprocess.DEVNULL if launch.stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=python_env(env),
        start_new_session=True,
    )
    if started is not None:
        try:
            started(proc)
        except BaseException:
            _kill_group(proc)
            proc.communicate()
            raise
    code: int | None
    try:
        out, err = proc.communicate(launch.stdin, timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        code = None
    return ClientRun(launch, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the client's whole process group (a wrapper's children go too)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
