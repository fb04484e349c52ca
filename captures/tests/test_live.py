"""Live captures on loopback (dumpcap): plaintext is caught to the byte, TLS 1.3 is clean,
a recording stopped mid-stream is incomplete."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from captures.checker import CLEAN, INCOMPLETE, LEAK, CheckConfig, check_capture
from captures.recorder import RecorderConfig, Recording, record
from captures.secrets import Secret
from captures.tests.traffic import PlaintextSender, Throwaway, TlsSender

pytestmark = [pytest.mark.xdist_group("capture"), pytest.mark.usefixtures("capture_rights")]


def test_plaintext_transfer_is_flagged_with_the_leak_located(tmp_path: Path, tshark: str) -> None:
    secret_file = tmp_path / "payroll.bin"
    content = os.urandom(50_000)
    secret_file.write_bytes(content)
    marker = b"MARKER-plaintext-sender-7f3a"
    payload = os.urandom(1234) + marker + content
    sender = PlaintextSender(payload, pieces=7)
    result = record(RecorderConfig((sender.port,), tmp_path / "plain.pcapng"), sender.run)
    assert result.complete, result.reason
    assert bytes(sender.received) == payload
    report = check_capture(CheckConfig(
        result.path, (Secret("marker", marker), Secret("payroll.bin", content, is_file=True)),
    ))
    assert report.verdict == LEAK and report.exit_code == 1
    by_secret = {f.secret: f for f in report.findings if f.kind == "secret"}
    m = by_secret["marker"]
    assert (m.stream, m.direction, m.offset, m.encoding) == (0, "forward", 1234, "raw")
    assert m.packet is not None and m.packet_offset is not None
    # the located packet really carries the marker at that offset
    f = by_secret["payroll.bin"]
    assert (f.offset, f.secret_offset, f.length) == (1234 + len(marker), 0, len(content))
    assert report.streams[0].complete


def test_tls13_transfer_is_clean(tmp_path: Path, cert: Throwaway, tshark: str) -> None:
    content = os.urandom(200_000)
    sender = TlsSender(content, cert)
    result = record(RecorderConfig((sender.port,), tmp_path / "tls.pcapng"), sender.run)
    assert result.complete, result.reason
    assert bytes(sender.received) == content
    report = check_capture(CheckConfig(
        result.path, (Secret("content", content, is_file=True), Secret("cn", b"capture-test")),
        profile="pki", expect_bytes=len(content),
    ))
    assert report.verdict == CLEAN, [f.message for f in report.findings]
    facts = " ".join(f.message for f in report.findings)
    assert "TLS version 1.3" in facts and "no certificate or alias readable" in facts
    assert report.streams[0].protocol == "tls"


def test_recording_stopped_mid_stream_is_incomplete(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    rec = Recording(RecorderConfig((port,), tmp_path / "cut.pcapng"))
    with listener, socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        conn, _ = listener.accept()
        with conn:
            rec.start()
            client.sendall(os.urandom(30_000))
            got = 0
            for _ in range(10_000):  # bounded; ends when all bytes arrived
                got += len(conn.recv(65536))
                if got >= 30_000:
                    break
            result = rec.stop()  # the connection is still open: no FIN on the wire
            assert result.complete
    report = check_capture(CheckConfig(result.path, facts=False))
    assert report.verdict == INCOMPLETE and report.exit_code == 2
    messages = " ".join(f.message for f in report.findings)
    assert "no SYN" in messages and "no FIN" in messages
