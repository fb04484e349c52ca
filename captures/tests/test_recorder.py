"""The recorder's contract with dumpcap, checked against stand-in dumpcap scripts:
waits for the File: line, reports drops as incomplete, explains missing rights."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from captures.recorder import (
    CaptureRightsError,
    RecorderConfig,
    RecorderError,
    Recording,
    record,
)


def _fake_dumpcap(tmp_path: Path, body: str) -> str:
    script = tmp_path / "dumpcap"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(0o755)
    return str(script)


_CAPTURING = textwrap.dedent("""
    import signal, sys
    out = sys.argv[sys.argv.index("-w") + 1]
    # SIGINT is blocked, then awaited synchronously: no handler races the main thread
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    open(out, "wb").write(b"pcapng")
    print("Capturing on 'Loopback: lo'", file=sys.stderr)
    print("File: " + out, file=sys.stderr, flush=True)
    signal.sigtimedwait({signal.SIGINT}, 30)
    print("Packets received/dropped on interface 'Loopback: lo': %s (pcap:0)" % STATS,
          file=sys.stderr, flush=True)
""")


def test_traffic_starts_only_after_the_file_line(tmp_path: Path) -> None:
    fake = _fake_dumpcap(tmp_path, "STATS = '12/0'\n" + _CAPTURING)
    seen: list[bool] = []
    rec = Recording(RecorderConfig((4000,), tmp_path / "a.pcapng", dumpcap=fake, settle=0))

    def traffic() -> None:
        seen.append(b"File:" in bytes(rec._stderr))

    with rec:
        traffic()
    assert seen == [True]
    assert rec.result is not None and rec.result.complete
    assert (rec.result.received, rec.result.dropped) == (12, 0)
    assert (tmp_path / "a.pcapng").read_bytes() == b"pcapng"


def test_drops_make_the_recording_incomplete(tmp_path: Path) -> None:
    fake = _fake_dumpcap(tmp_path, "STATS = '1000/37'\n" + _CAPTURING)
    result = record(RecorderConfig((4000,), tmp_path / "d.pcapng", dumpcap=fake, settle=0),
                    lambda: None)
    assert not result.complete
    assert "dropped 37 of 1000" in result.reason


def test_missing_counters_make_the_recording_incomplete(tmp_path: Path) -> None:
    silent = _CAPTURING.split("print(\"Packets")[0]  # stops without its counters line
    fake = _fake_dumpcap(tmp_path, silent)
    result = record(RecorderConfig((4000,), tmp_path / "m.pcapng", dumpcap=fake, settle=0),
                    lambda: None)
    assert not result.complete and "did not report" in result.reason


def test_missing_capture_rights_say_which(tmp_path: Path) -> None:
    fake = _fake_dumpcap(tmp_path, """
        import sys
        print("dumpcap: You don't have permission to capture on that device "
              "(socket: Operation not permitted)", file=sys.stderr)
        sys.exit(2)
    """)
    with pytest.raises(CaptureRightsError) as exc:
        record(RecorderConfig((4000,), tmp_path / "r.pcapng", dumpcap=fake), lambda: None)
    message = str(exc.value)
    assert "run as root" in message and "cap_net_raw" in message and "\n" not in message
    assert not (tmp_path / "r.pcapng").exists()


def test_missing_dumpcap_and_bad_ports(tmp_path: Path) -> None:
    with pytest.raises(RecorderError, match="install tshark"):
        record(RecorderConfig((4000,), tmp_path / "x", dumpcap="no-such-dumpcap-here"),
               lambda: None)
    with pytest.raises(RecorderError, match="not a TCP port"):
        RecorderConfig((0,), tmp_path / "x")
    with pytest.raises(RecorderError, match="at least one"):
        RecorderConfig((), tmp_path / "x")


def test_capture_filter_covers_every_port(tmp_path: Path) -> None:
    cfg = RecorderConfig((4000, 4443), tmp_path / "x")
    assert cfg.capture_filter() == "(tcp port 4000 or tcp port 4443)"
