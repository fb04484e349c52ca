"""sftkit.launch: readiness by a line (never a sleep), a process that exits or stays
silent is an error with its output's tail, a stop ends the whole process group (SIGTERM,
then SIGKILL after the deadline), logs hold stdout and stderr."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from sftkit.launch import (
    LaunchError,
    launch_server,
    listening_address,
    run_command,
    stop_all,
)

# A server in miniature: binds port 0, says so, serves until told to stop.
_SERVER = """
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("starting", file=sys.stderr, flush=True)
data = sys.stdin.read() if len(sys.argv) > 1 else ""
print("typed:", data, flush=True)
print(f"listening on 127.0.0.1:{s.getsockname()[1]}", flush=True)
while True:
    s.accept()[0].close()
"""

# Ignores SIGTERM and spawns a child in its group: only the group's SIGKILL ends both.
_STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(f"child {child.pid}", flush=True)
print("listening on [::1]:4242", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(
    ("line", "address"),
    [
        ("listening on 127.0.0.1:7000", ("127.0.0.1", 7000)),
        ("listening on [::1]:7000\r", ("::1", 7000)),
        ("  listening on localhost:1 (pid 4)", ("localhost", 1)),
        ("listening on 127.0.0.1:", None),
        ("listening on :7000", None),
        ("not listening on 127.0.0.1:7000", None),
        ("", None),
    ],
)
def test_the_readiness_rule_reads_only_a_listening_line(
    line: str, address: tuple[str, int] | None
) -> None:
    assert listening_address(line) == address


def test_a_server_is_ready_on_its_line_and_logs_both_streams(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server.log"
    server = launch_server(
        [sys.executable, "-c", _SERVER, "stdin"], name="mini", log=log, stdin=b"hello\n"
    )
    try:
        assert server.host == "127.0.0.1" and server.port > 0
        assert server.running()
        assert os.getpgid(server.pid) == server.pid  # its own process group
    finally:
        output = server.stop()
    assert not server.running()
    assert "starting" in output and "typed: hello" in output
    assert log.is_file()  # a given log is kept


def test_a_process_that_exits_first_is_an_error_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(LaunchError, match="exited: boom"):
        launch_server(
            [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(2)"],
            name="dies",
            ready_timeout=30,
        )
    assert time.monotonic() - started < 20


def test_a_silent_process_is_an_error_after_the_bound_and_is_stopped() -> None:
    with pytest.raises(LaunchError, match=r"did not say it was ready within 0\.5 s") as info:
        launch_server([sys.executable, "-c", "print('hi', flush=True)\nimport time\n"
                       "time.sleep(60)"], name="silent", ready_timeout=0.5)
    assert "hi" in str(info.value)


def test_a_stop_kills_the_whole_group_after_the_deadline() -> None:
    server = launch_server([sys.executable, "-c", _STUBBORN], name="stubborn")
    assert (server.host, server.port) == ("::1", 4242)
    child = int(server.output().split("child ", 1)[1].split()[0])
    stop_all([server], deadline=0.5)
    assert server.proc.returncode == -9
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the child is killed too (a zombie at most)
        if not _alive(child):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the server's child {child} survived the stop")


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_a_command_runs_to_its_end_or_is_killed(tmp_path: Path) -> None:
    log = tmp_path / "cmd.log"
    done = run_command(
        [sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"],
        stdin=b"abc",
        timeout=30,
        log=log,
    )
    assert done.returncode == 0 and done.stdout.strip() == b"ABC"
    assert log.read_bytes().strip() == b"ABC"
    with pytest.raises(LaunchError, match=r"did not finish within 0\.5 s"):
        run_command([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
