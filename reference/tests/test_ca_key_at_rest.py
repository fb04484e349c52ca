"""The CA's signing key at rest [CA-ENR-22]: encrypted under a passphrase kept outside
the CA's directory, asked for only when the key signs, and refused with a one-line
message when missing or wrong."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from reference.pki.ca import CaError, CertificateAuthority


def _passphrase_file(directory: Path, passphrase: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "ca.passphrase"
    path.write_text(passphrase + "\n")
    path.chmod(0o600)
    return path


def _sft(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,  # no terminal: the passphrase must come from a file
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.req("CA-ENR-22")
def test_the_key_is_encrypted_and_signs_only_once_unlocked(tmp_path: Path) -> None:
    passphrase = secrets.token_urlsafe(16).encode()
    created = CertificateAuthority.init(tmp_path / "ca", passphrase=passphrase)
    serial = created.root.serial_number
    created.close()
    pem = (tmp_path / "ca" / CertificateAuthority.ROOT_KEY).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # what a stolen copy of the directory gives
        serialization.load_pem_private_key(pem, password=None)
    ca = CertificateAuthority(tmp_path / "ca")  # managing users needs no passphrase
    try:
        ca.add_user("alice", "pw alice")
        assert [u.alias for u in ca.list_users()] == ["alice"]
        assert ca.key_encrypted
        with pytest.raises(CaError, match="encrypted: give its passphrase"):
            ca.crl()
        with pytest.raises(CaError, match="wrong passphrase"):
            ca.unlock(b"not " + passphrase)
        ca.unlock(passphrase)
        crl = ca.crl()
        assert crl.is_signature_valid(ca.root.public_key())  # type: ignore[arg-type]
        assert ca.root.serial_number == serial
    finally:
        ca.close()


@pytest.mark.req("CA-ENR-22")
def test_cli_init_refuses_a_clear_key_unless_asked_and_a_passphrase_beside_it(
    tmp_path: Path,
) -> None:
    refused = _sft(["ca", "init", "--dir", "ca"], tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "--passphrase-file" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "ca").exists()

    inside = _passphrase_file(tmp_path / "ca2", "correct horse")
    beside = _sft(["ca", "init", "--dir", "ca2", "--passphrase-file", str(inside)], tmp_path)
    assert beside.returncode == 2 and "inside the CA directory" in beside.stderr, beside.stderr
    assert not (tmp_path / "ca2" / CertificateAuthority.ROOT_KEY).exists()

    clear = _sft(["ca", "init", "--dir", "ca3", "--unencrypted-key"], tmp_path)
    assert clear.returncode == 0, clear.stderr
    assert "NOT encrypted" in clear.stderr  # it says so when it creates it
    key = (tmp_path / "ca3" / CertificateAuthority.ROOT_KEY).read_bytes()
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----")


@pytest.mark.req("CA-ENR-22")
def test_cli_serve_needs_the_right_passphrase(tmp_path: Path) -> None:
    passphrase = secrets.token_urlsafe(16)
    right = _passphrase_file(tmp_path / "secrets", passphrase)
    wrong = _passphrase_file(tmp_path / "other", passphrase + "x")
    made = _sft(["ca", "init", "--dir", "ca", "--passphrase-file", str(right)], tmp_path)
    assert made.returncode == 0, made.stderr
    assert "NOT encrypted" not in made.stderr
    assert passphrase not in made.stdout + made.stderr
    pem = (tmp_path / "ca" / CertificateAuthority.ROOT_KEY).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert not any(passphrase.encode() in p.read_bytes() for p in (tmp_path / "ca").iterdir())

    serve = ["ca", "serve", "--dir", "ca", "--listen", "127.0.0.1:0"]
    for extra, message in (
        ([], "no terminal to ask for the CA key's passphrase"),
        (["--passphrase-file", str(wrong)], "wrong passphrase"),
    ):
        failed = _sft([*serve, *extra], tmp_path)
        assert failed.returncode == 2, (extra, failed.stdout, failed.stderr)
        assert message in failed.stderr and "Traceback" not in failed.stderr, failed.stderr
        assert "listening on" not in failed.stdout  # refused before it listens

    server = subprocess.Popen(
        [sys.executable, "-m", "reference", *serve, "--passphrase-file", str(right)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("listening on "), line
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0 and "Traceback" not in err, err
    assert passphrase not in err
    assert os.stat(right).st_mode & 0o777 == 0o600
