"""The suite's TLS pieces work against each other (no target needed)."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

import pytest

from conformance.pki_channel import (
    ALPN,
    HandshakeRefused,
    HostileResponder,
    PkiChannel,
    client_context,
    connect_pki,
    refused_after_handshake,
    run_client_command,
    server_context,
)
from conformance.wire import ExpectFrame, control
from conformance.x509 import CertificateAuthority, LabPKI


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[LabPKI, Path]:
    directory = tmp_path_factory.mktemp("pki")
    pki = LabPKI(CertificateAuthority.create())
    (directory / "root.pem").write_text(pki.root.certificate.pem)
    pki.employee("alice").write(directory, "alice")
    pki.employee("suite").write(directory, "suite")
    return pki, directory


def _echo(channel: PkiChannel) -> None:
    event = channel.recv_frame()
    if not isinstance(event, ssl.SSLSocket) and hasattr(event, "type"):
        channel.send_frame("RSFL", control({"name": "x", "size": 0}))


def test_tls13_with_alpn_and_client_cert(lab: tuple[LabPKI, Path]) -> None:
    _, d = lab
    ctx = server_context(d / "alice.pem", d / "alice.key", d / "root.pem")
    with HostileResponder(ctx, _echo) as server:
        channel = connect_pki(
            server.host,
            server.port,
            client_context(d / "root.pem", d / "suite.pem", d / "suite.key"),
        )
        assert isinstance(channel, PkiChannel)
        assert channel.peer.version == "TLSv1.3" and channel.peer.alpn == ALPN
        assert channel.peer.peer_cn == "alice"
        channel.send_frame("RQFL", {"name": "x"})
        assert channel.expect(ExpectFrame("RSFL")).ok
        channel.close()
    assert server.frames_received() == ["RQFL"]
    assert server.channels[0].peer.peer_cn == "suite"


def test_tls12_client_is_refused_by_a_tls13_server(lab: tuple[LabPKI, Path]) -> None:
    _, d = lab
    ctx = server_context(d / "alice.pem", d / "alice.key", d / "root.pem")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with HostileResponder(ctx, _echo) as server:
        result = connect_pki(
            server.host,
            server.port,
            client_context(d / "root.pem", max_version=ssl.TLSVersion.TLSv1_2),
        )
        assert isinstance(result, HandshakeRefused)
        assert "VERSION" in result.reason.upper()


def test_foreign_server_certificate_is_refused_by_the_suite_client(
    lab: tuple[LabPKI, Path], tmp_path: Path
) -> None:
    pki, d = lab
    cert, key = pki.bad("foreign_ca", "alice").write(tmp_path, "foreign")
    with HostileResponder(server_context(cert, key), _echo) as server:
        result = connect_pki(server.host, server.port, client_context(d / "root.pem"))
        assert isinstance(result, HandshakeRefused)
        assert "CERTIFICATE_VERIFY_FAILED" in result.reason
        assert refused_after_handshake(result, 0.1) is not None


def test_client_command_template_is_filled_without_a_shell(tmp_path: Path) -> None:
    out = tmp_path / "o.bin"
    template = (
        f"{sys.executable} -c 'import sys; open(sys.argv[2], \"w\").write(sys.argv[1])' "
        "{alias}@{host}:{port}/{name} {out}"
    )
    run = run_client_command(template, host="127.0.0.1", port=9, name="a b", out=out, alias="alice")
    assert run.returncode == 0 and run.kept_file
    assert out.read_text() == "alice@127.0.0.1:9/a b"
