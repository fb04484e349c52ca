"""The campaign's own parts that need no lab: its table, and its hostile-input oracle."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from reliability.campaign import Row, _closes_promptly, main, render_table


def test_the_table_sums_what_held_and_the_bytes_lost() -> None:
    rows = [
        Row("load", "eke", "burst", 100, 100, True),
        Row("load", "pki", "slowloris", 15, 14, False),
        Row("fault", "eke", "SIGTERM", 20, 19, False, bytes_lost=4096),
        Row("input", "eke", "bad inputs", 12, 12, True),
        Row("input", "pki", "bad inputs", 12, 11, False),
    ]
    table = render_table(rows)
    assert table.count("\n| ") == len(rows)  # one line per row below the header
    assert "14/15 **FAILED**" in table
    assert table.splitlines()[-1] == (
        "load held 1/2, faults survived 0/1, bad inputs handled 23/24, bytes lost = 4096"
    )


def test_a_server_that_never_closes_is_not_handling_the_input() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        held: list[socket.socket] = []
        accepting = threading.Thread(target=lambda: held.append(listener.accept()[0]))
        accepting.start()
        assert not _closes_promptly("127.0.0.1", port, b"garbage", timeout=0.5)
        accepting.join(5)
        for conn in held:
            conn.close()


def test_a_server_that_closes_handles_the_input() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def close_at_once() -> None:
            conn, _ = listener.accept()
            conn.close()

        closer = threading.Thread(target=close_at_once)
        closer.start()
        assert _closes_promptly("127.0.0.1", port, b"garbage", timeout=5)
        closer.join(5)


@pytest.mark.slow
def test_a_small_campaign_holds_against_the_reference(tmp_path: Path) -> None:
    """The whole campaign, scaled down (about a minute and a half on 2 cores)."""
    code = main(["--work", str(tmp_path / "lab"), "--rounds", "1", "--burst", "5",
                 "--puts", "3", "--pki-bursts", "10", "--json", str(tmp_path / "rows.json")])
    rows = json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))
    assert code == 0, [r for r in rows if not r["held"]]
    assert {r["kind"] for r in rows} == {"load", "fault", "input"}
    assert sum(r["bytes_lost"] for r in rows) == 0
