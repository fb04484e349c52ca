"""`sft capture record|check`: exit codes, reports written, one-line errors."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from captures.tests.synth import conversation
from sftkit.cli import main

MARKER = b"MARKER-cli-2718281828"


def test_check_exit_codes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean.pcapng"
    conversation(clean, [(0, os.urandom(5000)), (1, os.urandom(5000))])
    leak = tmp_path / "leak.pcapng"
    conversation(leak, [(0, os.urandom(100) + MARKER + os.urandom(100))])
    cut = tmp_path / "cut.pcapng"
    conversation(cut, [(0, os.urandom(5000))], fin=False)
    marker_file = tmp_path / "marker.txt"
    marker_file.write_bytes(MARKER + b"\n")
    common = ["--secret-text-file", str(marker_file), "--no-facts"]
    assert main(["capture", "check", str(clean), *common]) == 0
    out = tmp_path / "r"
    assert main(["capture", "check", str(leak), *common, "--json", f"{out}.json",
                 "--markdown", f"{out}.md", "--report", f"{out}.html"]) == 1
    assert json.loads(Path(f"{out}.json").read_text())["verdict"] == "leak"
    assert Path(f"{out}.md").read_text().startswith("# Capture check: **LEAK**")
    assert "<svg" in Path(f"{out}.html").read_text()
    assert main(["capture", "check", str(cut), *common]) == 2
    assert main(["capture", "check", str(tmp_path / "nope.pcapng"), "--no-facts"]) == 2
    assert main(["capture", "check", str(clean), "--secret-file", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "cannot read a secret file" in err and "Traceback" not in err


def test_record_without_a_command_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capture", "record", "--port", "4000", "--out", str(tmp_path / "f")]) == 2
    assert "give the command to run" in capsys.readouterr().err
    assert main(["capture", "record", "--port", "70000", "--out", str(tmp_path / "f"),
                 "--", "true"]) == 2


@pytest.mark.xdist_group("capture")
@pytest.mark.usefixtures("capture_rights")
def test_record_runs_the_command_under_capture(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    port = listener.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            for _ in range(10_000):
                data = conn.recv(65536)
                if not data:
                    break
                received.extend(data)

    t = threading.Thread(target=serve)
    t.start()
    code = (
        f"import socket;s=socket.create_connection(('127.0.0.1',{port}));"
        f"s.sendall(b'{MARKER.decode()}');s.shutdown(socket.SHUT_WR);s.recv(1);s.close()"
    )
    out = tmp_path / "cmd.pcapng"
    try:
        rc = main(["capture", "record", "--port", str(port), "--out", str(out), "--",
                   sys.executable, "-c", code])
    finally:
        t.join(20)
        listener.close()
    assert rc == 0 and bytes(received) == MARKER
    assert main(["capture", "check", str(out), "--secret-text", MARKER.decode(),
                 "--no-facts"]) == 1
