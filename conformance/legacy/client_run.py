"""The one way the legacy cases run an eke/0 client under test against a server the
suite plays: a loopback listener, the password in a 0600 file, the client launched with
the target's command (an interactive one typed at), bounded on both sides."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from conformance.legacy.embedded import LegacyEkeTarget
from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

__all__ = ["run_eke0_client"]

Log = TypeVar("Log")


def run_eke0_client(
    target: LegacyEkeTarget,
    tmp_path: Path,
    serve: Callable[[socket.socket], Log],
    *,
    serve_extra: float = 0.0,
) -> tuple[Log | None, ClientRun, bytes | None]:
    """(what `serve(listener)` returned — None if it did not finish —, the client's run,
    the file it saved or None). `serve_extra`: seconds the server may go on after the
    client ended (a server that waits on purpose)."""
    if not target.client_cmd:
        pytest.skip("needs a legacy client to launch (embedded, or --client-cmd)")
    tmp_path.mkdir(parents=True, exist_ok=True)
    pwfile = tmp_path / "client.password"
    pwfile.touch(mode=0o600)
    pwfile.write_text(target.password + "\n")
    out = tmp_path / "received.bin"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(30)
        result: list[Log] = []
        thread = threading.Thread(target=lambda: result.append(serve(listener)), daemon=True)
        thread.start()
        values = {
            "host": "127.0.0.1",
            "port": str(listener.getsockname()[1]),
            "user": target.user,
            "password_file": str(pwfile),
            "out": str(out),
        }
        launch = client_launch(
            target.client_cmd,
            values,
            stdin_template=target.client_stdin,
            success=target.client_success,
            password=target.password,
        )
        try:
            done = run_client(launch, timeout=30)
        finally:
            listener.close()
            thread.join(timeout=15 + serve_extra)
    return (result[0] if result else None), done, (out.read_bytes() if out.exists() else None)
